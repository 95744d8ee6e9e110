//! Handler cost on in-memory adapters: the work a warm Lambda does per
//! event, without the network. Each incident alerts 50 people.

use crate::pipeline::{post, report, seed};
use crate::stats::{summarise, Summary};
use sim::adapters::memory_queue::MemoryQueue;
use sim::adapters::memory_store::MemoryStore;
use sim::clock::SystemClock;
use sim::domain::policy::Channel;
use sim::ids::RandomIds;
use sim::links::{LinkClaims, LinkKey};
use sim::ports::{ChannelQueues, Queue, Store};
use std::sync::Arc;
use std::time::Instant;

pub struct HandlerFigures {
    pub intake: Summary,
    pub categorise: Summary,
    pub acknowledge: Summary,
}

const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Mobile/15E148 Safari/604.1";

pub async fn measure(incidents: usize) -> HandlerFigures {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let key = seed(&*store, 50).await;
    let handoffs = Arc::new(MemoryQueue::new("categorise"));
    let queue = |name: &str| Arc::new(MemoryQueue::new(name)) as Arc<dyn Queue>;
    let intake = intake::Deps {
        store: store.clone(),
        queue: handoffs.clone(),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
        settings: intake::Settings { licence_grace: time::Duration::days(30), ..Default::default() },
        // The benchmark reports incidents only: no subject records.
    };
    let senders = ChannelQueues { sms: queue("sms"), email: queue("email"), whatsapp: queue("whatsapp") };
    let categorise = categorise::Deps {
        store: store.clone(),
        queues: senders.clone(),
        escalation: queue("escalation"),
        briefings: queue("briefings"),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
    };
    let link_key = LinkKey::generate();
    let respond = respond::Deps {
        store: store.clone(),
        briefings: queue("briefings"),
        scheduler: Arc::new(sim::adapters::memory_scheduler::MemoryScheduler::new(
            Arc::new(SystemClock),
            queue("briefings"),
        )),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
        key: link_key.clone(),
        site: respond::Site::default(),
    };
    let (mut t_intake, mut t_categorise, mut t_ack) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..incidents {
        let request = post(&key, report(&format!("CAD {i}/BENCH")));
        let start = Instant::now();
        let response = intake::handle(&intake, request).await;
        t_intake.push(start.elapsed());
        assert_eq!(response.status(), 202, "intake accepted the report");
        let incident_id: String = serde_json::from_slice::<serde_json::Value>(response.body().as_ref())
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_owned))
            .expect("the answer names the incident");

        let message = handoffs.receive(1).await.expect("receive").pop().expect("handed on");
        let start = Instant::now();
        let outcome = categorise::handle_message(&categorise, &message.body).await.expect("categorised");
        t_categorise.push(start.elapsed());
        assert!(matches!(outcome, categorise::Outcome::Alerted { messages, .. } if messages >= 100), "{outcome:?}");
        handoffs.delete(&message.receipt).await.expect("delete");
        for q in [&senders.sms, &senders.email, &senders.whatsapp] {
            drain(&**q).await;
        }

        let token = link_key.sign(&LinkClaims {
            incident_id: sim::ids::IncidentId::parse(&incident_id).expect("valid"),
            contact_id: sim::ids::ContactId::parse("con-gold").expect("valid"),
            channel: Channel::Sms,
            expires_at: time::OffsetDateTime::now_utc() + time::Duration::days(1),
        });
        let form = format!("form_key={}&response=responding", link_key.form_key(&token));
        let request = lambda_http::http::Request::builder()
            .method("POST")
            .uri(format!("/a/{token}"))
            .header("user-agent", PHONE)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(lambda_http::Body::from(form))
            .expect("valid request");
        let start = Instant::now();
        let response = respond::handle(&respond, request).await;
        t_ack.push(start.elapsed());
        assert_eq!(response.status(), 200, "acknowledged");
    }
    HandlerFigures { intake: summarise(t_intake), categorise: summarise(t_categorise), acknowledge: summarise(t_ack) }
}

async fn drain(queue: &dyn Queue) {
    loop {
        let batch = queue.receive(10).await.expect("receive");
        if batch.is_empty() {
            return;
        }
        for m in batch {
            queue.delete(&m.receipt).await.expect("delete");
        }
    }
}
