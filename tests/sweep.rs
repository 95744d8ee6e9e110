//! The hand-off to categorisation, end to end: intake stores the incident with
//! its marker, sends the message and stops; categorisation clears the marker
//! in its own write; the sweeper sends again what was not categorised,
//! counting, and after `HANDOFF_ATTEMPTS` stops and logs an error. Run on the
//! in-memory adapters and on moto.

use serde_json::{json, Value};
use sim::clock::{Clock, ManualClock};
use sim::domain::incident::{HandoffReason, PendingHandoff, HANDOFF_ATTEMPTS};
use sim::ids::IncidentId;
use sim::ports::Store;
use sim_tests::*;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use time::{Duration, OffsetDateTime};

fn first() -> IncidentId {
    IncidentId::parse("inc-000001").unwrap()
}

async fn status(h: &Harness) -> Value {
    json(&h.call(event("intake-status.json")).await)
}

async fn kinds(h: &Harness) -> Vec<String> {
    status(h).await["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
}

async fn categorise_all(deps: &categorise::Deps, bodies: &[Value]) {
    for body in bodies {
        categorise::handle_message(deps, &body.to_string()).await.expect("categorisation succeeds");
    }
}

async fn categorisation_clears_the_marker_intake_leaves(h: Harness, queues: categorise::ChannelQueues) {
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    let stored = h.store.get_incident(&first()).await.unwrap().unwrap();
    assert!(stored.handoff.is_some(), "intake sends and stops: no second write clearing the marker");
    assert_eq!(status(&h).await["handoff"], "pending", "pending: not yet categorised");

    let queued = h.drain().await;
    assert_eq!(
        queued,
        vec![json!({
            "incident_id": "inc-000001", "version": 1, "reason": "reported", "licensee_id": "lambeth",
            "ward": "Brixton North", "occurred_at": "2026-11-21T01:50:00Z", "ward_window_days": 28,
        })],
        "ids, the licensee and the ward: categorisation reads all three partitions at once"
    );
    categorise_all(&categoriser(&h, queues), &queued).await;

    let stored = h.store.get_incident(&first()).await.unwrap().unwrap();
    assert_eq!(stored.handoff, None, "cleared by categorisation's transaction");
    assert_eq!(status(&h).await["handoff"], "done");
    assert_eq!(status(&h).await["category"], "CRITICAL");
    assert!(!kinds(&h).await.contains(&"handed_on".to_owned()), "{:?}", kinds(&h).await);
    h.clock.advance(Duration::minutes(10));
    assert_eq!(sweep::sweep(&h.sweeper(h.queue.clone())).await.unwrap().handed_on, 0, "nothing left to sweep");
    assert!(h.drain().await.is_empty());

    // A police retry after categorisation sends nothing again.
    assert_eq!(h.call(event("intake-report-retry.json")).await.status(), 200);
    assert!(h.drain().await.is_empty());
}

async fn a_change_lost_before_categorisation_is_sent_again_by_the_sweeper(
    h: Harness,
    queues: categorise::ChannelQueues,
) {
    h.call(event("intake-report.json")).await;
    assert_eq!(h.drain().await.len(), 1, "sent, then lost: categorisation crashed before its write");
    let sweeper = h.sweeper(h.queue.clone());
    assert_eq!(sweep::sweep(&sweeper).await.unwrap().handed_on, 0, "within the grace: categorisation may be running");

    h.clock.advance(Duration::minutes(2));
    let report = sweep::sweep(&sweeper).await.unwrap();
    assert_eq!((report.handed_on, report.failed, report.abandoned), (1, 0, 0));
    let again = h.drain().await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["incident_id"], "inc-000001");
    assert_eq!(again[0]["ward"], "Brixton North");
    assert_eq!(
        again[0].get("ward_window_days"),
        None,
        "the sweeper has no licensee's rules: categorisation reads after"
    );
    let marker = h.store.get_incident(&first()).await.unwrap().unwrap().handoff.unwrap();
    assert_eq!(marker.attempts, 1, "the sweeper counts its attempt");
    assert_eq!(sweep::sweep(&sweeper).await.unwrap().handed_on, 0, "not again until another grace has passed");

    categorise_all(&categoriser(&h, queues), &again).await;
    assert_eq!(h.store.get_incident(&first()).await.unwrap().unwrap().handoff, None);
    h.clock.advance(Duration::minutes(2));
    assert_eq!(sweep::sweep(&sweeper).await.unwrap().handed_on, 0);
}

async fn the_sweeper_gives_up_after_its_attempts_and_logs_an_error(h: Harness) {
    let logs = sim_tests::logs::captured_logs();
    h.call(event("intake-report.json")).await;
    h.drain().await;
    let sweeper = h.sweeper(h.queue.clone());
    // Categorisation keeps failing: every message sent is lost.
    for attempt in 1..=HANDOFF_ATTEMPTS {
        h.clock.advance(Duration::minutes(2));
        assert_eq!(sweep::sweep(&sweeper).await.unwrap().handed_on, 1, "attempt {attempt}");
        assert_eq!(h.drain().await.len(), 1);
    }
    h.clock.advance(Duration::minutes(2));
    let report = sweep::sweep(&sweeper).await.unwrap();
    assert_eq!((report.handed_on, report.abandoned), (0, 1), "stops sending");
    assert!(h.drain().await.is_empty());
    let line = logs
        .text()
        .lines()
        .find(|l| l.contains("hand-off abandoned"))
        .map(str::to_owned)
        .expect("an error line an alarm can catch");
    assert!(line.contains(r#""level":"ERROR""#), "{line}");
    assert!(line.contains("inc-000001"), "{line}");

    h.clock.advance(Duration::hours(1));
    assert_eq!(sweep::sweep(&sweeper).await.unwrap(), sim::handoff::SweepReport::default(), "left out of sweeps");
    assert_eq!(status(&h).await["handoff"], "pending", "still honestly not categorised");
    assert_eq!(h.store.pending_handoffs(START + Duration::days(1), 10).await.unwrap(), vec![]);

    // A police amendment is a new change: sent at once, and swept again if lost.
    let amended = h.call(event("intake-amendment.json")).await;
    assert_eq!(amended.status(), 202);
    assert_eq!(h.drain().await.len(), 1);
    h.clock.advance(Duration::minutes(2));
    assert_eq!(sweep::sweep(&sweeper).await.unwrap().handed_on, 1);
}

#[tokio::test]
async fn categorisation_clears_the_marker_intake_leaves_in_memory() {
    categorisation_clears_the_marker_intake_leaves(memory_harness().await, memory_channel_queues()).await;
}

#[tokio::test]
async fn categorisation_clears_the_marker_intake_leaves_on_moto() {
    needs_moto!();
    categorisation_clears_the_marker_intake_leaves(moto_harness().await, moto_channel_queues().await).await;
}

#[tokio::test]
async fn a_change_lost_before_categorisation_is_sent_again_by_the_sweeper_in_memory() {
    a_change_lost_before_categorisation_is_sent_again_by_the_sweeper(memory_harness().await, memory_channel_queues())
        .await;
}

#[tokio::test]
async fn a_change_lost_before_categorisation_is_sent_again_by_the_sweeper_on_moto() {
    needs_moto!();
    a_change_lost_before_categorisation_is_sent_again_by_the_sweeper(moto_harness().await, moto_channel_queues().await)
        .await;
}

#[tokio::test]
async fn the_sweeper_gives_up_after_its_attempts_and_logs_an_error_in_memory() {
    the_sweeper_gives_up_after_its_attempts_and_logs_an_error(memory_harness().await).await;
}

#[tokio::test]
async fn the_sweeper_gives_up_after_its_attempts_and_logs_an_error_on_moto() {
    needs_moto!();
    the_sweeper_gives_up_after_its_attempts_and_logs_an_error(moto_harness().await).await;
}

/// A clock that, the first time categorisation asks it the time (after its
/// reads, before its write), lets a police amendment land on the in-memory store.
struct AmendmentMidway {
    clock: Arc<ManualClock>,
    amend: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Clock for AmendmentMidway {
    fn now(&self) -> OffsetDateTime {
        if let Some(amend) = self.amend.lock().unwrap().take() {
            amend();
        }
        self.clock.now()
    }
}

/// Runs a future of the in-memory store, which never waits, to its end.
fn at_once<T>(future: impl Future<Output = T>) -> T {
    match std::pin::pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("the in-memory store never waits"),
    }
}

#[tokio::test]
async fn an_amendment_arriving_while_categorisation_runs_stays_pending() {
    let h = memory_harness().await;
    h.call(event("intake-report.json")).await;
    let queued = h.drain().await;
    let store: Arc<dyn Store> = h.store.clone();
    let now = h.clock.now();
    let amend = move || {
        let current = at_once(store.get_incident(&first())).unwrap().unwrap();
        let next = sim::domain::Incident {
            version: current.version + 1,
            handoff: Some(PendingHandoff::new(HandoffReason::Amended, now)),
            ..current
        };
        at_once(store.update_incident(&next, &[])).unwrap();
    };
    let mut deps = categoriser(&h, memory_channel_queues());
    deps.clock = Arc::new(AmendmentMidway { clock: h.clock.clone(), amend: Mutex::new(Some(Box::new(amend))) });
    categorise_all(&deps, &queued).await;

    let stored = h.store.get_incident(&first()).await.unwrap().unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(stored.handoff.map(|p| p.reason), Some(HandoffReason::Amended), "the newer change stays pending");
    assert_eq!(status(&h).await["handoff"], "pending");
    assert_eq!(status(&h).await["category"], "CRITICAL", "version 1's round was written all the same");
    h.clock.advance(Duration::minutes(2));
    assert_eq!(sweep::sweep(&h.sweeper(h.queue.clone())).await.unwrap().handed_on, 1, "the sweeper still sees it");
}
