//! An incident categorisation never took up, in the console: the board and
//! the incident page say categorisation is delayed, then that nobody was
//! alerted once the sweeper gave up; a duty officer sends it for
//! categorisation again (one message, the sweeper counting afresh, on the
//! timeline); a viewer cannot (403) nor can another licensee's officer (404).
//! Run on the in-memory adapters and on moto.

use console::{handle, Deps};
use sim::adapters::memory_console::MemoryConsoleStore;
use sim::adapters::memory_queue::MemoryQueue;
use sim::adapters::memory_store::MemoryStore;
use sim::domain::incident::HANDOFF_ATTEMPTS;
use sim::domain::staff::{ConsoleRole, StaffId, StaffMember};
use sim::ids::{IncidentId, LicenseeId};
use sim_tests::*;
use std::collections::BTreeSet;
use std::sync::Arc;
use time::Duration;

struct Rig {
    h: Harness,
    deps: Deps,
    console: Arc<MemoryConsoleStore>,
}

/// Lambeth's fixture report, stored and handed on, its message lost.
async fn rig_on(
    store: Arc<dyn sim::ports::Store>,
    search: Arc<dyn sim::ports::incident_search::IncidentSearch>,
) -> Rig {
    let h = Harness::new(store, Arc::new(MemoryQueue::new("categorise"))).seeded().await;
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    assert_eq!(h.drain().await.len(), 1);
    let console = Arc::new(MemoryConsoleStore::new());
    let deps = console_deps(h.store.clone(), search, h.clock.clone(), h.ids.clone())
        .console(console.clone())
        .handoff(h.queue.clone())
        .build();
    Rig { h, deps, console }
}

async fn memory_rig() -> Rig {
    let memory = Arc::new(MemoryStore::new());
    rig_on(memory.clone(), memory).await
}

async fn moto_rig() -> Rig {
    let config = moto().await;
    let table = unique("sim-console-handoff");
    let store = sim::adapters::dynamodb::DynamoStore::from_config(&config, table.clone());
    store.create_table_if_missing().await.unwrap();
    let search = sim::adapters::dynamodb_console::DynamoConsoleStore::from_config(&config, table);
    search.ensure_incident_index().await.unwrap();
    rig_on(Arc::new(store), Arc::new(search)).await
}

/// A signed-in member of `licensee` with `role`: the cookie header and the CSRF token.
async fn signed_in(rig: &Rig, licensee: &str, role: ConsoleRole) -> (String, String) {
    let name = if role == ConsoleRole::Duty { "duty" } else { "viewer" };
    let id = StaffId::parse(&format!("stf-{licensee}-{name}")).unwrap();
    let licensee = LicenseeId::parse(licensee).unwrap();
    let member =
        StaffMember::new(id.clone(), licensee.clone(), "Sam Duty", None, None, BTreeSet::from([role]), START).unwrap();
    session_for(&rig.console, &member, sim::clock::Clock::now(&*rig.h.clock)).await
}

fn request(method: &str, path: &str, cookie: &str, body: &str) -> http::Request<Vec<u8>> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

const INCIDENT: &str = "inc-000001";
const PAGE: &str = "/console/incidents/inc-000001";
const ACTION: &str = "/console/incidents/inc-000001/categorise-again";
const NOT_CATEGORISED: &str = "Not categorised: no alerts have been sent for this incident";
const DELAYED: &str = "Categorisation delayed";

fn incident_id() -> IncidentId {
    IncidentId::parse(INCIDENT).unwrap()
}

async fn get(rig: &Rig, path: &str, cookie: &str) -> String {
    let r = handle(&rig.deps, request("GET", path, cookie, "")).await;
    assert_eq!(r.status(), 200, "{path}");
    r.into_body()
}

async fn attempts(rig: &Rig) -> u32 {
    rig.h.store.get_incident(&incident_id()).await.unwrap().unwrap().handoff.expect("still pending").attempts
}

async fn abandoned_then_sent_again(rig: Rig) {
    let (duty, csrf) = signed_in(&rig, "lambeth", ConsoleRole::Duty).await;
    let (viewer, viewer_csrf) = signed_in(&rig, "lambeth", ConsoleRole::Viewer).await;
    let (kent, kent_csrf) = signed_in(&rig, "kent", ConsoleRole::Duty).await;

    // Just handed on: nothing new to say.
    let (board, page) = (get(&rig, "/console", &duty).await, get(&rig, PAGE, &duty).await);
    for text in [&board, &page] {
        assert!(!text.contains(DELAYED) && !text.contains(NOT_CATEGORISED), "{text}");
    }

    // Three minutes on, still not categorised: delayed, on the board and the page, nothing to press yet.
    rig.h.clock.advance(Duration::minutes(3));
    let (board, page) = (get(&rig, "/console", &duty).await, get(&rig, PAGE, &duty).await);
    assert!(board.contains(DELAYED) && !board.contains(NOT_CATEGORISED), "{board}");
    assert!(page.contains(DELAYED) && page.contains("no alerts have gone out"), "{page}");
    assert!(!page.contains(ACTION), "the sweeper is still trying");

    // The sweeper tries its five times, every message lost, then gives up.
    let sweeper = rig.h.sweeper(rig.h.queue.clone());
    for _ in 0..=HANDOFF_ATTEMPTS {
        rig.h.clock.advance(Duration::minutes(2));
        sweep::sweep(&sweeper).await.unwrap();
    }
    assert_eq!(rig.h.drain().await.len(), HANDOFF_ATTEMPTS as usize);
    assert_eq!(attempts(&rig).await, HANDOFF_ATTEMPTS + 1, "given up on");

    let board = get(&rig, "/console", &duty).await;
    assert!(board.contains(NOT_CATEGORISED), "{board}");
    assert!(board.contains(r#"<strong class="tag">Not categorised</strong>"#), "the incident's row is marked");
    assert!(board.contains(r#"href="/console/incidents/inc-000001""#));
    let page = get(&rig, PAGE, &duty).await;
    assert!(page.contains(NOT_CATEGORISED) && page.contains("alert the responders by phone"), "{page}");
    assert!(page.contains(ACTION) && page.contains("Send for categorisation again"), "the duty officer's button");
    let seen_by_viewer = get(&rig, PAGE, &viewer).await;
    assert!(seen_by_viewer.contains(NOT_CATEGORISED) && seen_by_viewer.contains("Tell the duty officer"));
    assert!(!seen_by_viewer.contains(ACTION), "no button a viewer cannot use");

    // A viewer, another licensee's officer, or a stale form: refused, nothing sent or changed.
    let refused = [(&viewer, viewer_csrf.as_str(), 403), (&kent, kent_csrf.as_str(), 404), (&duty, "stale", 403)];
    for (cookie, token, status) in refused {
        let r = handle(&rig.deps, request("POST", ACTION, cookie, &format!("csrf={token}"))).await;
        assert_eq!(r.status(), status, "{}", r.body());
        assert!(!r.body().contains("CAD 1234"), "nothing of the incident in a refusal");
        assert!(rig.h.drain().await.is_empty(), "a refused request sent the incident");
        assert_eq!(attempts(&rig).await, HANDOFF_ATTEMPTS + 1);
    }

    // The duty officer sends it again: one message, the count afresh, on the timeline, a banner saying so.
    let r = handle(&rig.deps, request("POST", ACTION, &duty, &format!("csrf={csrf}"))).await;
    assert_eq!(r.status(), 303, "{}", r.body());
    assert_eq!(r.headers()["location"], PAGE);
    let sent = rig.h.drain().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["incident_id"], INCIDENT);
    assert_eq!(attempts(&rig).await, 0);
    let timeline = rig.h.store.timeline(&incident_id()).await.unwrap();
    assert!(timeline.iter().any(|e| matches!(&e.event,
        sim::domain::Event::SentForCategorisationAgain { staff_id } if staff_id == "stf-lambeth-duty")));
    let page = get(&rig, PAGE, &duty).await;
    assert!(page.contains("Sent for categorisation again") && page.contains("Sam Duty sent it"), "{page}");
    assert!(!page.contains(NOT_CATEGORISED) && !page.contains(ACTION), "{page}");
    assert!(page.contains("sent for categorisation again, by Sam Duty (council staff)"), "the timeline entry");

    // The sweeper sends it again after its grace, counting from one.
    rig.h.clock.advance(Duration::minutes(2));
    assert_eq!(sweep::sweep(&sweeper).await.unwrap().handed_on, 1);
    assert_eq!(attempts(&rig).await, 1);
    assert!(get(&rig, PAGE, &duty).await.contains(DELAYED), "still late: the page says so again");

    // Categorised at last: no banner anywhere, and sending again changes nothing.
    let categorise = categoriser(&rig.h, memory_channel_queues());
    assert!(!categorise_handed_on(&rig.h, &categorise).await.is_empty());
    assert_eq!(rig.h.store.get_incident(&incident_id()).await.unwrap().unwrap().handoff, None);
    let (board, page) = (get(&rig, "/console", &duty).await, get(&rig, PAGE, &duty).await);
    for text in [&board, &page] {
        assert!(!text.contains(DELAYED) && !text.contains(NOT_CATEGORISED) && !text.contains(ACTION), "{text}");
    }
    let r = handle(&rig.deps, request("POST", ACTION, &duty, &format!("csrf={csrf}"))).await;
    assert_eq!(r.status(), 409);
    assert!(r.body().contains("categorised meanwhile") && r.body().contains("Nothing was changed"));
    assert!(rig.h.drain().await.is_empty());
    assert_eq!(rig.h.store.get_incident(&incident_id()).await.unwrap().unwrap().handoff, None);

    // A police amendment categorisation never takes up: people were alerted before, so the page says what is true.
    assert_eq!(rig.h.call(event("intake-amendment.json")).await.status(), 202);
    assert_eq!(rig.h.drain().await.len(), 1);
    for _ in 0..=HANDOFF_ATTEMPTS {
        rig.h.clock.advance(Duration::minutes(2));
        sweep::sweep(&sweeper).await.unwrap();
    }
    rig.h.drain().await;
    let board = get(&rig, "/console", &duty).await;
    assert!(board.contains(r#"<strong class="tag">Amendment not categorised</strong>"#), "{board}");
    let page = get(&rig, PAGE, &duty).await;
    assert!(page.contains("Police amendment not categorised: alerts have not been updated"), "{page}");
    assert!(!page.contains("Nobody has been alerted") && page.contains(ACTION), "{page}");
}

#[tokio::test]
async fn an_abandoned_incident_is_shown_and_a_duty_officer_sends_it_again_in_memory() {
    abandoned_then_sent_again(memory_rig().await).await;
}

#[tokio::test]
async fn an_abandoned_incident_is_shown_and_a_duty_officer_sends_it_again_on_dynamodb() {
    needs_moto!();
    abandoned_then_sent_again(moto_rig().await).await;
}
