//! The console's board and incident view, and object-level licensee checks:
//! a Kent duty officer tried on every console route (listed from the router
//! itself, so a new route cannot be missed) with Lambeth's ids gets 404.

use console::http_client::HttpClient;
use console::oidc::Oidc;
use console::{handle, routes, Deps, OidcConfig};
use sim::adapters::memory_console::MemoryConsoleStore;
use sim::adapters::memory_queue::MemoryQueue;
use sim::adapters::memory_store::MemoryStore;
use sim::domain::staff::{ConsoleRole, StaffId, StaffMember};
use sim::ids::LicenseeId;
use sim::ports::sessions::{Session, SessionStore};
use sim::ports::staff::StaffStore;
use sim_tests::*;
use std::collections::BTreeSet;
use std::sync::Arc;
use time::Duration;

struct Rig {
    h: Harness,
    escalation: Arc<MemoryQueue>,
    deps: Deps,
    console: Arc<MemoryConsoleStore>,
}

/// Lambeth has one incident (the fixture report, categorised and alerted).
async fn rig() -> Rig {
    let memory = Arc::new(MemoryStore::new());
    let h = Harness::new(memory.clone(), Arc::new(MemoryQueue::new("categorise"))).seeded().await;
    let categorise = categoriser(&h, memory_channel_queues());
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    categorise_handed_on(&h, &categorise).await;
    let console = Arc::new(MemoryConsoleStore::new());
    let escalation = Arc::new(MemoryQueue::new("escalation"));
    let config = OidcConfig {
        // Never reached: these tests sign in by putting sessions in the store.
        issuer: "http://127.0.0.1:9".into(),
        client_id: "unused".into(),
        client_secret: "unused".into(),
        redirect_uri: "http://127.0.0.1:9/console/auth/callback".into(),
    };
    let deps = Deps {
        store: h.store.clone(),
        search: memory,
        staff: console.clone(),
        sessions: console.clone(),
        oidc: Oidc::new(config, HttpClient::new().unwrap(), h.clock.clone()),
        clock: h.clock.clone(),
        ids: h.ids.clone(),
        escalation: escalation.clone(),
        licensees: None,
    };
    Rig { h, escalation, deps, console }
}

/// A signed-in duty officer of `licensee`: the cookie header and the CSRF token.
async fn duty(rig: &Rig, licensee: &str) -> (String, String) {
    let id = StaffId::parse(&format!("stf-{licensee}-duty")).unwrap();
    let licensee = LicenseeId::parse(licensee).unwrap();
    let member = StaffMember::new(
        id.clone(),
        licensee.clone(),
        "Duty officer",
        None,
        None,
        BTreeSet::from([ConsoleRole::Duty]),
        START,
    )
    .unwrap();
    rig.console.put_staff(&member).await.unwrap();
    let value = console::session::random_token();
    let csrf = console::session::random_token();
    let now = rig.h.clock.now_for_tests();
    rig.console
        .put_session(&Session {
            key: console::session::key_of(&value),
            staff_id: id,
            licensee_id: licensee,
            csrf: csrf.clone(),
            created_at: now,
            last_seen: now,
            expires_at: now + Duration::hours(12),
        })
        .await
        .unwrap();
    (format!("__Host-sim-session={value}"), csrf)
}

trait Now {
    fn now_for_tests(&self) -> time::OffsetDateTime;
}
impl Now for sim::clock::ManualClock {
    fn now_for_tests(&self) -> time::OffsetDateTime {
        sim::clock::Clock::now(self)
    }
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

const LAMBETH_INCIDENT: &str = "inc-000001";
const REFERENCE: &str = "CAD 1234/21NOV26";
/// Lambeth's gold commander, alerted about the fixture report.
const LAMBETH_CONTACT: &str = "con-gold";

#[tokio::test]
async fn the_board_shows_the_licensees_open_incidents_and_links_to_each() {
    let rig = rig().await;
    let (lambeth, _) = duty(&rig, "lambeth").await;
    rig.h.clock.advance(Duration::minutes(7));
    let board = handle(&rig.deps, request("GET", "/console", &lambeth, "")).await;
    assert_eq!(board.status(), 200);
    let page = board.body();
    assert!(page.contains(REFERENCE), "{page}");
    assert!(page.contains(&format!("href=\"/console/incidents/{LAMBETH_INCIDENT}\"")));
    assert!(page.contains("7 min"), "the age is shown");
    assert!(page.contains("0 of "), "acknowledgements awaited are counted");
    assert!(board.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'sha256-"));

    let view = handle(&rig.deps, request("GET", &format!("/console/incidents/{LAMBETH_INCIDENT}"), &lambeth, "")).await;
    assert_eq!(view.status(), 200);
    for part in [REFERENCE, "People", "Checklist", "Timeline", "Awaited"] {
        assert!(view.body().contains(part), "{part} missing");
    }
    // The timeline filter keeps only the chosen kind.
    let all = handle(&rig.deps, request("GET", &format!("/console/incidents/{LAMBETH_INCIDENT}"), &lambeth, "")).await;
    let filtered = handle(
        &rig.deps,
        request("GET", &format!("/console/incidents/{LAMBETH_INCIDENT}?kind=nothing+such"), &lambeth, ""),
    )
    .await;
    assert!(all.body().matches("<li>").count() > filtered.body().matches("<li>").count());

    let (kent, _) = duty(&rig, "kent").await;
    let board = handle(&rig.deps, request("GET", "/console", &kent, "")).await;
    assert!(!board.body().contains(REFERENCE), "Kent sees Lambeth's incident");
    assert!(board.body().contains("No open incidents."));
}

#[tokio::test]
async fn a_kent_duty_officer_gets_404_on_every_route_with_lambeths_ids() {
    let rig = rig().await;
    let (kent, kent_csrf) = duty(&rig, "kent").await;
    let (lambeth, lambeth_csrf) = duty(&rig, "lambeth").await;
    let mut tried = 0;
    for pattern in routes().paths() {
        if !pattern.contains('{') {
            continue;
        }
        // Every parameter gets a real Lambeth id of its kind.
        let path = pattern
            .replace("{incident}", LAMBETH_INCIDENT)
            .replace("{contact}", LAMBETH_CONTACT)
            .replace("{staff}", "stf-lambeth-duty")
            .replace("{caller}", "met-cad");
        assert!(!path.contains('{'), "no Lambeth id for a parameter of {pattern}: add one to this test");
        for method in ["GET", "POST"] {
            let kent_said = handle(&rig.deps, request(method, &path, &kent, &format!("csrf={kent_csrf}"))).await;
            let lambeth_said =
                handle(&rig.deps, request(method, &path, &lambeth, &format!("csrf={lambeth_csrf}"))).await;
            // Routes that do not take this method answer 405 to both.
            if lambeth_said.status() == 405 {
                assert_eq!(kent_said.status(), 405, "{method} {path}");
                continue;
            }
            assert_ne!(lambeth_said.status(), 404, "{method} {path}: Lambeth's own officer should reach it");
            assert_eq!(kent_said.status(), 404, "{method} {path} answered Kent with {}", kent_said.status());
            assert!(!kent_said.body().contains(REFERENCE));
            tried += 1;
        }
    }
    assert!(tried >= 1, "no route with an id was tried");
    // Ids that do not exist, or are not ids, are 404 too.
    for bad in ["inc-999999", "INC-1", "..%2F"] {
        let r = handle(&rig.deps, request("GET", &format!("/console/incidents/{bad}"), &kent, "")).await;
        assert_eq!(r.status(), 404, "{bad}");
    }
    // Signed out, every route with an id shows the sign-in page, never the incident.
    let r = handle(&rig.deps, request("GET", &format!("/console/incidents/{LAMBETH_INCIDENT}"), "", "")).await;
    assert!(r.body().contains("Sign in to the SIM console") && !r.body().contains(REFERENCE));
}

#[tokio::test]
async fn a_duty_officer_records_an_acknowledgement_on_someones_behalf() {
    let rig = rig().await;
    let (lambeth, csrf) = duty(&rig, "lambeth").await;
    let path = format!("/console/incidents/{LAMBETH_INCIDENT}/people/{LAMBETH_CONTACT}/acknowledge");
    // A stale form changes nothing.
    let stale = handle(&rig.deps, request("POST", &path, &lambeth, "csrf=old&note=x")).await;
    assert_eq!(stale.status(), 403);
    assert!(rig
        .h
        .store
        .acknowledgements(&sim::ids::IncidentId::parse(LAMBETH_INCIDENT).unwrap())
        .await
        .unwrap()
        .is_empty());

    let done =
        handle(&rig.deps, request("POST", &path, &lambeth, &format!("csrf={csrf}&note=phoned%3B+on+the+way"))).await;
    assert_eq!(done.status(), 303);
    let view = handle(&rig.deps, request("GET", &format!("/console/incidents/{LAMBETH_INCIDENT}"), &lambeth, "")).await;
    assert!(view.body().contains("Recorded in the console by Duty officer: phoned; on the way"), "{}", view.body());
    let timeline = rig.h.store.timeline(&sim::ids::IncidentId::parse(LAMBETH_INCIDENT).unwrap()).await.unwrap();
    let on_behalf: Vec<_> =
        timeline.iter().filter(|e| matches!(&e.event, sim::domain::Event::AcknowledgedOnBehalf { .. })).collect();
    assert_eq!(on_behalf.len(), 1);
    assert!(matches!(&on_behalf[0].event,
        sim::domain::Event::AcknowledgedOnBehalf { contact_id, staff_id, .. } if contact_id.as_str() == LAMBETH_CONTACT && staff_id == "stf-lambeth-duty"));

    // A viewer may look but not act.
    let viewer = StaffMember::new(
        StaffId::parse("stf-viewer").unwrap(),
        LicenseeId::parse("lambeth").unwrap(),
        "Viewer",
        None,
        None,
        BTreeSet::from([ConsoleRole::Viewer]),
        START,
    )
    .unwrap();
    rig.console.put_staff(&viewer).await.unwrap();
    let value = console::session::random_token();
    let now = rig.h.clock.now_for_tests();
    rig.console
        .put_session(&Session {
            key: console::session::key_of(&value),
            staff_id: viewer.id.clone(),
            licensee_id: viewer.licensee_id.clone(),
            csrf: "viewer-csrf".into(),
            created_at: now,
            last_seen: now,
            expires_at: now + Duration::hours(12),
        })
        .await
        .unwrap();
    let other = format!("/console/incidents/{LAMBETH_INCIDENT}/people/con-csl/acknowledge");
    let refused =
        handle(&rig.deps, request("POST", &other, &format!("__Host-sim-session={value}"), "csrf=viewer-csrf")).await;
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn past_incidents_are_searched_by_date_category_ward_and_reference() {
    let rig = rig().await;
    let (lambeth, _) = duty(&rig, "lambeth").await;
    let (kent, _) = duty(&rig, "kent").await;
    let get = |cookie: String, query: &str| {
        let path = format!("/console/incidents?{query}");
        let deps = &rig.deps;
        async move { handle(deps, request("GET", &path, &cookie, "")).await }
    };
    let all = get(lambeth.clone(), "").await;
    assert_eq!(all.status(), 200);
    assert!(all.body().contains(REFERENCE));
    for (query, found) in [
        ("from=2026-11-21&to=2026-11-21", true),
        ("from=2026-11-22", false),
        ("to=2026-11-20", false),
        ("category=CRITICAL", true),
        ("category=RECORD_ONLY", false),
        ("ward=brixton", true),
        ("ward=clapham", false),
        ("reference=1234%2F21nov", true),
        ("reference=9999", false),
    ] {
        let r = get(lambeth.clone(), query).await;
        assert_eq!(r.body().contains(REFERENCE), found, "{query}");
    }
    let bad = get(lambeth.clone(), "from=21%2F11%2F2026").await;
    assert_eq!(bad.status(), 422);
    assert!(bad.body().contains("error-summary"));
    assert!(!get(kent, "").await.body().contains(REFERENCE), "Kent finds Lambeth's incident");
}

#[tokio::test]
async fn escalate_now_queues_the_next_step_at_once_and_says_who_asked() {
    let rig = rig().await;
    let (lambeth, csrf) = duty(&rig, "lambeth").await;
    let path = format!("/console/incidents/{LAMBETH_INCIDENT}/escalate");
    assert_eq!(handle(&rig.deps, request("POST", &path, &lambeth, "csrf=stale")).await.status(), 403);
    assert!(drain(&*rig.escalation).await.is_empty(), "a stale form queued a check");

    let r = handle(&rig.deps, request("POST", &path, &lambeth, &format!("csrf={csrf}"))).await;
    assert_eq!(r.status(), 303, "{}", r.body());
    let checks = drain(&*rig.escalation).await;
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0]["incident_id"], LAMBETH_INCIDENT);
    assert_eq!(checks[0]["step"], 0, "the first escalation step");
    let due = time::OffsetDateTime::parse(
        checks[0]["due_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(due, rig.h.clock.now_for_tests(), "due at once");
    let timeline = rig.h.store.timeline(&sim::ids::IncidentId::parse(LAMBETH_INCIDENT).unwrap()).await.unwrap();
    assert!(timeline.iter().any(|e| matches!(&e.event,
        sim::domain::Event::EscalatedNow { step: 1, staff_id } if staff_id == "stf-lambeth-duty")));
}

#[tokio::test]
async fn an_admin_adds_and_removes_their_own_staff_only() {
    let rig = rig().await;
    let (admin, csrf) = duty(&rig, "lambeth").await;
    // Make the Lambeth officer an admin too.
    let id = StaffId::parse("stf-lambeth-duty").unwrap();
    let mut me = rig.console.get_staff(&LicenseeId::parse("lambeth").unwrap(), &id).await.unwrap().unwrap();
    me.roles.insert(ConsoleRole::Admin);
    rig.console.put_staff(&me).await.unwrap();

    let add = format!("csrf={csrf}&name=Val+Viewer&email=Val.Viewer%40lambeth.gov.uk&role_viewer=on");
    let r = handle(&rig.deps, request("POST", "/console/staff", &admin, &add)).await;
    assert_eq!(r.status(), 303, "{}", r.body());
    let list = handle(&rig.deps, request("GET", "/console/staff", &admin, "")).await;
    assert!(list.body().contains("val.viewer@lambeth.gov.uk") && list.body().contains("Not yet"));
    let again = handle(&rig.deps, request("POST", "/console/staff", &admin, &add)).await;
    assert_eq!(again.status(), 422, "the same email twice");
    let no_role =
        handle(&rig.deps, request("POST", "/console/staff", &admin, &format!("csrf={csrf}&name=X&email=x%40y.z")))
            .await;
    assert_eq!(no_role.status(), 422);
    assert!(no_role.body().contains("at least one role"));

    let staff = rig.console.staff(&LicenseeId::parse("lambeth").unwrap()).await.unwrap();
    let val = staff.iter().find(|m| m.name == "Val Viewer").unwrap();
    // Kent's admin cannot see or remove Lambeth's staff: not found.
    let (kent, kent_csrf) = duty(&rig, "kent").await;
    let path = format!("/console/staff/{}/remove", val.id);
    assert_eq!(handle(&rig.deps, request("POST", &path, &kent, &format!("csrf={kent_csrf}"))).await.status(), 404);
    // A duty officer who is not an admin may not manage staff.
    assert_eq!(handle(&rig.deps, request("GET", "/console/staff", &kent, "")).await.status(), 403);
    let r = handle(&rig.deps, request("POST", &path, &admin, &format!("csrf={csrf}"))).await;
    assert_eq!(r.status(), 303);
    assert!(!handle(&rig.deps, request("GET", "/console/staff", &admin, "")).await.body().contains("Val Viewer"));
    let trail: Vec<_> = rig
        .console
        .audit(Some(&LicenseeId::parse("lambeth").unwrap()))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        trail.contains(&sim::ports::sessions::AuditKind::StaffAdded)
            && trail.contains(&sim::ports::sessions::AuditKind::StaffRemoved)
    );
}
