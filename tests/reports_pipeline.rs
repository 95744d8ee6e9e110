//! Report figures from a seeded pipeline run with an injected clock, in
//! memory and on moto: police report at 02:10:00, categorised at once, every
//! first message handed to a provider 20 s later, four of the five required
//! roles acknowledge at 3 min, gold stays silent, so gold and its deputy are
//! chased at 10 min and the chief executive is told at 20 min.

use sim::adapters::memory_queue::MemoryQueue;
use sim::adapters::recording_sender::RecordingSender;
use sim::domain::policy::Channel;
use sim::ids::IncidentId;
use sim::links::LinkKey;
use sim::ports::ChannelQueues;
use sim::reports::{Period, Spread};
use sim::sending::{send_message, Links, Pacer, SenderDeps};
use sim_tests::*;
use std::sync::Arc;
use time::Duration;

const PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36";

/// Hands every queued message to a recording provider at the clock's time.
async fn send_all(h: &Harness, queues: &ChannelQueues, key: &LinkKey) -> usize {
    let mut sent = 0;
    for (channel, queue) in
        [(Channel::Sms, &queues.sms), (Channel::Email, &queues.email), (Channel::WhatsApp, &queues.whatsapp)]
    {
        let deps = SenderDeps {
            channel,
            store: h.store.clone(),
            sender: Arc::new(RecordingSender::default()),
            fallback: None,
            clock: h.clock.clone(),
            ids: h.ids.clone(),
            links: Links { key: key.clone(), base_url: "https://sim.example".into(), lifetime: Duration::days(7) },
            pacer: Pacer::per_second(0.0),
            lease: Duration::seconds(60),
            reads: Default::default(),
        };
        for body in drain(&**queue).await {
            send_message(&deps, &body.to_string()).await.unwrap();
            sent += 1;
        }
    }
    sent
}

async fn pipeline(h: Harness, queues: ChannelQueues) {
    let escalation = Arc::new(MemoryQueue::new("escalation"));
    let categorise = categoriser_with(&h, queues.clone(), escalation.clone());
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    categorise_handed_on(&h, &categorise).await;
    let key = LinkKey::generate();
    let respond = responder(&h, key.clone());
    let escalate = escalate::Deps {
        store: h.store.clone(),
        queues: queues.clone(),
        escalation: escalation.clone(),
        briefings: Arc::new(MemoryQueue::new("updates")),
        clock: h.clock.clone(),
        ids: h.ids.clone(),
    };
    let check = || {
        let (body, _) = escalation.take_scheduled().pop().expect("a check is scheduled");
        serde_json::from_str::<sim::domain::notification::EscalationCheck>(&body).unwrap()
    };

    h.clock.advance(Duration::seconds(20));
    assert_eq!(send_all(&h, &queues, &key).await, 13, "the first alerts");
    h.clock.advance(Duration::seconds(160));
    for contact in ["con-csl", "con-cs-officer", "con-comms", "con-police-liaison"] {
        let token = link_token(&key, "inc-000001", contact, Channel::Sms);
        let form = format!("form_key={}&response=responding", key.form_key(&token));
        let req = lambda_http::http::Request::builder()
            .method("POST")
            .uri(format!("/a/{token}"))
            .header("user-agent", PHONE)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(lambda_http::Body::from(form))
            .unwrap();
        assert_eq!(respond::handle(&respond, req).await.status(), 200);
    }
    let first = check();
    h.clock.advance(Duration::minutes(7));
    escalate::escalate(&escalate, &first).await.unwrap();
    assert_eq!(send_all(&h, &queues, &key).await, 6, "gold and gold's deputy chased");
    let second = check();
    h.clock.advance(Duration::minutes(10));
    escalate::escalate(&escalate, &second).await.unwrap();
    assert!(send_all(&h, &queues, &key).await >= 1, "the chief executive told");

    let id = IncidentId::parse("inc-000001").unwrap();
    let row = sim::reports::refresh(&*h.store, &id).await.unwrap().unwrap();
    assert_eq!(sim::reports::refresh(&*h.store, &id).await.unwrap().unwrap(), row, "refreshing again: same row");
    let read =
        sim::reports::for_period(&*h.store, &sim::demo::lambeth(), Period::month_of(START.date())).await.unwrap();
    assert_eq!(read.rows, vec![row]);
    let f = &read.report.overall;
    let twenty = Spread { count: 1, median: Some(20), p90: Some(20), max: Some(20) };
    assert_eq!((f.incidents, f.time_to_first_message, f.time_to_all_required), (1, twenty, twenty));
    let roles: Vec<_> = f.roles.iter().map(|r| (r.role.as_str(), r.acknowledged, r.within_deadline)).collect();
    assert_eq!(roles.len(), 5, "{roles:?}");
    for r in &f.roles {
        assert_eq!(r.alerted, 1);
        if r.role == "gold" {
            assert_eq!(
                (r.acknowledged, r.within_deadline_percent(), r.time_to_acknowledge),
                (0, Some(0), Spread::default())
            );
        } else {
            // Sent at 20 s, acknowledged at 3 min: 160 s, inside CRITICAL's 10 minutes.
            let took = Spread { count: 1, median: Some(160), p90: Some(160), max: Some(160) };
            assert_eq!((r.acknowledged, r.within_deadline_percent(), r.time_to_acknowledge), (1, Some(100), took));
        }
    }
    assert_eq!((f.deputies_alerted, f.chief_executive_told), (1, 1));
    let sent: u32 = f.channels.values().map(|c| c.sent).sum();
    assert_eq!(sent as usize, read.rows[0].channels.values().map(|c| c.sent as usize).sum::<usize>());
    assert!(sent >= 20 /* 13 + 6 + 1 */ && f.channels.values().all(|c| c.failed == 0 && c.pending == 0));
    assert_eq!(read.report.by_category.len(), 1);
    assert_eq!(read.report.by_category[0].0, sim::domain::category::Category::Critical);
}

#[tokio::test]
async fn figures_from_a_pipeline_run_in_memory() {
    pipeline(memory_harness().await, memory_channel_queues()).await;
}

#[tokio::test]
async fn figures_from_a_pipeline_run_on_moto() {
    needs_moto!();
    pipeline(moto_harness().await, moto_channel_queues().await).await;
}
