//! Escalation against moto with an injected clock: one required role stays
//! silent while the others acknowledge; only that role and its deputy are
//! chased, with reminder text; escalation stops once all have acknowledged.

use escalate::Outcome;
use sim::adapters::memory_queue::MemoryQueue;
use sim::adapters::recording_sender::RecordingSender;
use sim::domain::notification::{EscalationCheck, NotificationMessage};
use sim::domain::policy::Channel;
use sim::domain::{Contact, Event, PhoneNumber, Role};
use sim::ids::ContactId;
use sim::ids::IncidentId;
use sim::links::LinkKey;
use sim::ports::{ChannelQueues, Outgoing};
use sim::sending::{send_message, Links, Pacer, SenderDeps};
use sim_tests::*;
use std::collections::BTreeSet;
use std::sync::Arc;
use time::Duration;

const PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36";

struct Rig {
    h: Harness,
    queues: ChannelQueues,
    escalation: Arc<MemoryQueue>,
    escalate: escalate::Deps,
    respond: respond::Deps,
    key: LinkKey,
}

async fn rig() -> Rig {
    rig_on(moto_harness().await, moto_channel_queues().await, &[]).await
}

/// The rig on a harness whose directory has `contacts` put in before the incident is reported.
async fn rig_on(h: Harness, queues: ChannelQueues, contacts: &[Contact]) -> Rig {
    for c in contacts {
        h.store.put_contact(c).await.unwrap();
    }
    let escalation = Arc::new(MemoryQueue::new("escalation"));
    let categorise = categoriser_with(&h, queues.clone(), escalation.clone());
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    categorise_handed_on(&h, &categorise).await;
    let key = LinkKey::generate();
    let escalate = escalate::Deps {
        store: h.store.clone(),
        queues: queues.clone(),
        escalation: escalation.clone(),
        briefings: Arc::new(MemoryQueue::new("briefings")),
        clock: h.clock.clone(),
        ids: h.ids.clone(),
    };
    let respond = responder(&h, key.clone());
    Rig { h, queues, escalation, escalate, respond, key }
}

impl Rig {
    /// The escalation checks now scheduled, taken off the delay queue.
    fn checks(&self) -> Vec<(EscalationCheck, std::time::Duration)> {
        let scheduled = self.escalation.take_scheduled();
        scheduled.into_iter().map(|(body, delay)| (serde_json::from_str(&body).unwrap(), delay)).collect()
    }

    async fn acknowledge(&self, contact: &str) {
        let token = link_token(&self.key, "inc-000001", contact, Channel::Sms);
        let form = format!("form_key={}&response=responding", self.key.form_key(&token));
        let req = lambda_http::http::Request::builder()
            .method("POST")
            .uri(format!("/a/{token}"))
            .header("user-agent", PHONE)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(lambda_http::Body::from(form))
            .unwrap();
        let response = respond::handle(&self.respond, req).await;
        assert_eq!(response.status(), 200);
    }

    /// (contact, channel, step) of everything on the sender queues, drained.
    async fn queued(&self) -> BTreeSet<(String, String, u32)> {
        let mut out = BTreeSet::new();
        for queue in [&self.queues.sms, &self.queues.email, &self.queues.whatsapp] {
            for body in drain(&**queue).await {
                let m: NotificationMessage = serde_json::from_value(body).unwrap();
                out.insert((m.contact_id.to_string(), m.channel.to_string(), u32::from(m.step)));
            }
        }
        out
    }
}

#[tokio::test]
async fn only_the_silent_role_and_its_deputy_are_chased_until_everyone_has_acknowledged() {
    needs_moto!();
    let rig = rig().await;
    let checks = rig.checks();
    assert_eq!(checks.len(), 1, "categorisation scheduled the first check");
    let (first, delay) = checks[0].clone();
    assert_eq!((first.step, first.due_at), (0, START + Duration::minutes(10)));
    assert!(delay > std::time::Duration::from_secs(590), "held back on the delay queue: {delay:?}");
    assert_eq!(rig.queued().await.len(), 13, "the first alerts");

    // Everyone but gold acknowledges.
    rig.h.clock.advance(Duration::minutes(3));
    for contact in ["con-csl", "con-cs-officer", "con-comms", "con-police-liaison"] {
        rig.acknowledge(contact).await;
    }

    // Early delivery of the check: it waits for the rest.
    assert_eq!(escalate::escalate(&rig.escalate, &first).await.unwrap(), Outcome::NotYetDue);
    assert_eq!(rig.checks().len(), 1);

    rig.h.clock.advance(Duration::minutes(7));
    let outcome = escalate::escalate(&rig.escalate, &first).await.unwrap();
    assert_eq!(outcome, Outcome::Escalated { silent_roles: vec!["gold".into()], messages: 6, next_check: true });
    let chased = rig.queued().await;
    let expected: BTreeSet<(String, String, u32)> = ["con-gold", "con-gold-deputy"]
        .iter()
        .flat_map(|c| ["email", "sms", "whatsapp"].map(|ch| (c.to_string(), ch.to_string(), 1)))
        .collect();
    assert_eq!(chased, expected, "gold and gold's deputy only");

    // Reminder text differs from the first alert.
    let sms = Arc::new(RecordingSender::default());
    let sender = SenderDeps {
        channel: Channel::Sms,
        store: rig.h.store.clone(),
        sender: sms.clone(),
        fallback: None,
        clock: rig.h.clock.clone(),
        ids: rig.h.ids.clone(),
        links: Links { key: rig.key.clone(), base_url: "https://sim.example".into(), lifetime: Duration::days(7) },
        pacer: Pacer::per_second(0.0),
        lease: Duration::seconds(60),
        reads: Default::default(),
    };
    for contact in ["con-gold", "con-gold-deputy"] {
        let body = serde_json::json!({"incident_id": "inc-000001", "contact_id": contact, "channel": "sms", "step": 1});
        send_message(&sender, &body.to_string()).await.unwrap();
    }
    let texts: Vec<String> = sms
        .sent()
        .into_iter()
        .map(|m| match m {
            Outgoing::Sms { text, .. } => text,
            _ => unreachable!(),
        })
        .collect();
    assert!(
        texts[0].starts_with("SIM REMINDER: CRITICAL stabbing") && texts[0].contains("You have not acknowledged yet"),
        "{}",
        texts[0]
    );
    assert!(texts[1].starts_with("SIM ESCALATION: CRITICAL stabbing"), "{}", texts[1]);

    // The deputy acknowledges for gold; the next check finds everyone answered.
    rig.acknowledge("con-gold-deputy").await;
    let (second, _) = rig.checks().pop().expect("the next check was scheduled");
    assert_eq!((second.step, second.due_at), (1, START + Duration::minutes(20)));
    rig.h.clock.advance(Duration::minutes(10));
    assert_eq!(escalate::escalate(&rig.escalate, &second).await.unwrap(), Outcome::AllAcknowledged);
    assert!(rig.queued().await.is_empty(), "no chief executive alert");
    assert!(rig.checks().is_empty(), "no further checks");
    let timeline = rig.h.store.timeline(&IncidentId::parse("inc-000001").unwrap()).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.event.kind()).collect();
    assert!(kinds.ends_with(&["acknowledged", "escalation_ended"]) && kinds.contains(&"escalated"), "{kinds:?}");
}

#[tokio::test]
async fn when_a_role_stays_silent_the_chief_executive_is_told_at_twenty_minutes_and_then_checks_stop() {
    needs_moto!();
    let rig = rig().await;
    let (first, _) = rig.checks().remove(0);
    rig.queued().await;
    rig.h.clock.advance(Duration::minutes(10));
    let Outcome::Escalated { silent_roles, .. } = escalate::escalate(&rig.escalate, &first).await.unwrap() else {
        panic!()
    };
    assert_eq!(silent_roles.len(), 5, "nobody acknowledged: every required role is silent");
    rig.queued().await;
    let (second, _) = rig.checks().pop().unwrap();
    rig.h.clock.advance(Duration::minutes(10));
    let outcome = escalate::escalate(&rig.escalate, &second).await.unwrap();
    assert!(matches!(outcome, Outcome::Escalated { next_check: false, .. }), "{outcome:?}");
    let told: BTreeSet<String> = rig.queued().await.into_iter().map(|(c, _, _)| c).collect();
    assert_eq!(told, BTreeSet::from(["con-ceo".to_owned()]));
    assert!(rig.checks().is_empty(), "the policy's steps have run out");
}

#[tokio::test]
async fn forged_and_expired_links_cannot_acknowledge_on_moto_either() {
    needs_moto!();
    let rig = rig().await;
    let forged = link_token(&LinkKey::generate(), "inc-000001", "con-gold", Channel::Sms);
    let req = |token: &str| {
        lambda_http::http::Request::builder()
            .method("POST")
            .uri(format!("/a/{token}"))
            .header("user-agent", PHONE)
            .body(lambda_http::Body::from(format!("form_key={}&response=responding", rig.key.form_key(token))))
            .unwrap()
    };
    assert_eq!(respond::handle(&rig.respond, req(&forged)).await.status(), 404);
    let genuine = link_token(&rig.key, "inc-000001", "con-gold", Channel::Sms);
    rig.h.clock.advance(Duration::days(8));
    assert_eq!(respond::handle(&rig.respond, req(&genuine)).await.status(), 410);
    let acks = rig.h.store.acknowledgements(&IncidentId::parse("inc-000001").unwrap()).await.unwrap();
    assert!(acks.is_empty());
}

#[tokio::test]
async fn the_escalate_lambda_handles_its_sample_event() {
    needs_moto!();
    let rig = rig().await;
    rig.checks();
    rig.queued().await;
    rig.h.clock.advance(Duration::minutes(10));
    let text = std::fs::read_to_string(format!("{}/../events/escalate-sqs.json", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let sqs_event: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&text).unwrap();
    let deps = &rig.escalate;
    let response = sim::sqs_batch::process(sqs_event, |check: sim::domain::notification::EscalationCheck| async move {
        escalate::escalate(deps, &check).await
    })
    .await;
    assert!(response.batch_item_failures.is_empty());
    // Everyone silent: all five reminded (13 messages) and gold's deputy alerted
    // (3); the lead's deputy is the community safety officer, already reminded.
    let mut total = 0;
    for queue in [&rig.queues.sms, &rig.queues.email, &rig.queues.whatsapp] {
        total += drain(&**queue).await.len();
    }
    assert_eq!(total, 16, "one message per person per channel");
}

/// Gold stays silent and gold's deputy is away: the deputy's own deputy is
/// alerted in their place, the same rule as the first alert's.
async fn an_away_deputy_is_skipped(h: Harness, queues: ChannelQueues) {
    let last_day = time::macros::date!(2026 - 11 - 27);
    let contact = |id: &str, mobile: &str, deputy: Option<&str>, away_until| Contact {
        id: ContactId::parse(id).unwrap(),
        licensee_id: sim::demo::lambeth(),
        name: format!("Person {id}"),
        role: Role::parse("gold").unwrap(),
        organisation: "London Borough of Lambeth".into(),
        mobile: Some(PhoneNumber::parse(mobile).unwrap()),
        whatsapp_opt_in: false,
        email: None,
        deputy: deputy.map(|d| ContactId::parse(d).unwrap()),
        away_until,
        whatsapp_opt_in_given: None,
    };
    let rig = rig_on(
        h,
        queues,
        &[
            contact("con-gold-deputy", "+447700900003", Some("con-gold-second"), Some(last_day)),
            contact("con-gold-second", "+447700900103", None, None),
        ],
    )
    .await;
    let (first, _) = rig.checks().pop().expect("categorisation scheduled the first check");
    rig.queued().await;
    rig.h.clock.advance(Duration::minutes(3));
    for contact in ["con-csl", "con-cs-officer", "con-comms", "con-police-liaison"] {
        rig.acknowledge(contact).await;
    }
    rig.h.clock.advance(Duration::minutes(7));
    let outcome = escalate::escalate(&rig.escalate, &first).await.unwrap();
    assert_eq!(outcome, Outcome::Escalated { silent_roles: vec!["gold".into()], messages: 4, next_check: true });
    let chased = rig.queued().await;
    let expected: BTreeSet<(String, String, u32)> = ["email", "sms", "whatsapp"]
        .map(|ch| ("con-gold".to_string(), ch.to_string(), 1))
        .into_iter()
        .chain([("con-gold-second".to_string(), "sms".to_string(), 1)])
        .collect();
    assert_eq!(chased, expected, "gold's reminder and the deputy's deputy; not the deputy who is away");
    let incident = IncidentId::parse("inc-000001").unwrap();
    let second = rig.h.store.notifications(&incident).await.unwrap();
    let second = second.iter().find(|n| n.contact_id.as_str() == "con-gold-second").unwrap();
    assert_eq!(second.deputy_for.as_ref().map(|d| d.as_str()), Some("con-gold"));
    let timeline = rig.h.store.timeline(&incident).await.unwrap();
    assert!(timeline.iter().any(|e| e.event
        == Event::AwayDeputyAlerted {
            contact_id: ContactId::parse("con-gold-deputy").unwrap(),
            role: Role::parse("gold").unwrap(),
            away_until: last_day,
            deputy_id: ContactId::parse("con-gold-second").unwrap(),
            also_away: vec![],
        }));
}

#[tokio::test]
async fn in_memory_an_away_deputy_is_skipped_for_their_deputy_when_escalating() {
    an_away_deputy_is_skipped(memory_harness().await, memory_channel_queues()).await;
}

#[tokio::test]
async fn on_moto_an_away_deputy_is_skipped_for_their_deputy_when_escalating() {
    needs_moto!();
    an_away_deputy_is_skipped(moto_harness().await, moto_channel_queues().await).await;
}
