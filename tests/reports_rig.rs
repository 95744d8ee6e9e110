//! Shared by `reports_console.rs` and `reports_browser.rs` (included with
//! `#[path]`): the console on the in-memory store with Lambeth's fixture
//! incident categorised, every alert handed to a provider 20 s after the
//! report, and its report row brought up to date by replaying the recorded
//! stream records through the reports function.

use console::Deps;
use sim::adapters::memory_console::MemoryConsoleStore;
use sim::adapters::memory_queue::MemoryQueue;
use sim::adapters::memory_store::MemoryStore;
use sim::domain::staff::{ConsoleRole, StaffId, StaffMember};
use sim::ids::LicenseeId;
use sim_tests::*;
use std::collections::BTreeSet;
use std::sync::Arc;

pub struct Rig {
    pub h: Harness,
    pub deps: Deps,
    pub console: Arc<MemoryConsoleStore>,
}

pub async fn rig() -> Rig {
    let memory = Arc::new(MemoryStore::new());
    let h = Harness::new(memory.clone(), Arc::new(MemoryQueue::new("categorise"))).seeded().await;
    let categorise = categoriser(&h, memory_channel_queues());
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    categorise_handed_on(&h, &categorise).await;
    let id = sim::ids::IncidentId::parse("inc-000001").unwrap();
    let mut sent = h.store.notifications(&id).await.unwrap();
    for n in &mut sent {
        n.status = sim::domain::notification::NotificationStatus::Sent;
        n.sent_at = Some(START + time::Duration::seconds(20));
    }
    h.store.put_notifications(&sent).await.unwrap();
    let records: reports::StreamEvent = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../events/reports-stream.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(reports::handle(&*h.store, &records).await, reports::BatchResponse::default());

    let console = Arc::new(MemoryConsoleStore::new());
    // Signing in is by putting sessions in the console store.
    let deps = console_deps(h.store.clone(), memory, h.clock.clone(), h.ids.clone()).console(console.clone()).build();
    Rig { h, deps, console }
}

/// A signed-in staff member of `licensee` with `role`: the cookie header.
pub async fn signed_in(rig: &Rig, licensee: &str, role: ConsoleRole) -> String {
    let id = StaffId::parse(&format!("stf-{licensee}-{}", role.as_str())).unwrap();
    let licensee = LicenseeId::parse(licensee).unwrap();
    let member =
        StaffMember::new(id.clone(), licensee.clone(), "Report reader", None, None, BTreeSet::from([role]), START)
            .unwrap();
    session_for(&rig.console, &member, sim::clock::Clock::now(&*rig.h.clock)).await.0
}

pub async fn get(rig: &Rig, path: &str, cookie: &str) -> http::Response<String> {
    let req = http::Request::builder().method("GET").uri(path).header("cookie", cookie).body(Vec::new()).unwrap();
    console::handle(&rig.deps, req).await
}
