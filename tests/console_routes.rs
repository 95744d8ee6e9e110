//! The console's board and incident view, and object-level licensee checks:
//! a Kent duty officer tried on every console route (listed from the router
//! itself, so a new route cannot be missed) with Lambeth's ids gets 404.

use console::{handle, routes, Deps};
use sim::adapters::memory_console::MemoryConsoleStore;
use sim::adapters::memory_queue::MemoryQueue;
use sim::adapters::memory_scheduler::MemoryScheduler;
use sim::adapters::memory_store::MemoryStore;
use sim::domain::staff::{ConsoleRole, StaffId, StaffMember};
use sim::ids::LicenseeId;
use sim::ports::sessions::SessionStore;
use sim::ports::staff::StaffStore;
use sim_tests::*;
use std::collections::BTreeSet;
use std::sync::Arc;
use time::Duration;

struct Rig {
    h: Harness,
    escalation: Arc<MemoryQueue>,
    sms: Arc<MemoryQueue>,
    briefings: Arc<MemoryQueue>,
    /// Reviews and key dates days ahead, as one-time schedules.
    scheduler: Arc<MemoryScheduler>,
    deps: Deps,
    console: Arc<MemoryConsoleStore>,
    /// A personal-data record on Lambeth's incident.
    subject: String,
}

/// Lambeth has one incident (the fixture report, categorised and alerted).
async fn rig() -> Rig {
    let memory = Arc::new(MemoryStore::new());
    rig_on(memory.clone(), memory).await
}

/// The same on DynamoDB in moto (the console's sessions and staff stay in memory).
async fn moto_rig() -> Rig {
    moto_rig_with(moto().await).await
}

/// On moto, with every request the store sends recorded.
async fn recorded_moto_rig() -> (Rig, sim_tests::recorder::Recorder) {
    let (config, recorder) = sim_tests::recorder::recorded_moto().await;
    (moto_rig_with(config).await, recorder)
}

async fn moto_rig_with(config: aws_config::SdkConfig) -> Rig {
    let table = unique("sim-console");
    let store = sim::adapters::dynamodb::DynamoStore::from_config(&config, table.clone());
    store.create_table_if_missing().await.unwrap();
    let search = sim::adapters::dynamodb_console::DynamoConsoleStore::from_config(&config, table);
    search.ensure_incident_index().await.unwrap();
    rig_on(Arc::new(store), Arc::new(search)).await
}

async fn rig_on(
    store: Arc<dyn sim::ports::Store>,
    search: Arc<dyn sim::ports::incident_search::IncidentSearch>,
) -> Rig {
    let h = Harness::new(store, Arc::new(MemoryQueue::new("categorise"))).seeded().await;
    let categorise = categoriser(&h, memory_channel_queues());
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    categorise_handed_on(&h, &categorise).await;
    let console = Arc::new(MemoryConsoleStore::new());
    let escalation = Arc::new(MemoryQueue::new("escalation"));
    let sms = Arc::new(MemoryQueue::new("sms"));
    let briefings = Arc::new(MemoryQueue::new("briefings"));
    let scheduler = Arc::new(MemoryScheduler::new(h.clock.clone(), briefings.clone()));
    // Signing in is by putting sessions in the console store.
    let deps = console_deps(h.store.clone(), search, h.clock.clone(), h.ids.clone())
        .console(console.clone())
        .escalation(escalation.clone())
        .queues(sim::ports::ChannelQueues { sms: sms.clone(), ..memory_channel_queues() })
        .briefings(briefings.clone())
        .scheduler(scheduler.clone())
        .vault(Arc::new(sim::startup::local_vault(h.store.clone(), h.clock.clone(), h.ids.clone())))
        .build();
    let record = sim::domain::subject::SubjectRecord::from_json(
        &serde_json::json!({"role": "witness", "name": "A Witness"}),
        START.date(),
        sim::domain::subject::SubjectSource::Council { staff_id: "stf-lambeth-duty".into() },
    )
    .unwrap();
    let police = sim::vault::Reader { id: "met-cad".into(), role: "police".into(), address: None };
    let lambeth = LicenseeId::parse("lambeth").unwrap();
    let incident = sim::ids::IncidentId::parse(LAMBETH_INCIDENT).unwrap();
    let vault = deps.vault.as_ref().unwrap();
    let subject = vault.add(&lambeth, &incident, &record, &police).await.unwrap().to_string();
    Rig { h, escalation, sms, briefings, scheduler, deps, console, subject }
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
    session_for(&rig.console, &member, rig.h.clock.now_for_tests()).await
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
            .replace("{subject}", &rig.subject)
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
    for shown in ["recorded in the console", "Recorded by Duty officer", "“phoned; on the way”"] {
        assert!(view.body().contains(shown), "{shown} missing from {}", view.body());
    }
    let acks = rig.h.store.acknowledgements(&sim::ids::IncidentId::parse(LAMBETH_INCIDENT).unwrap()).await.unwrap();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].via, sim::domain::notification::AckVia::Console);
    assert_eq!(acks[0].note.as_ref().map(|n| n.as_str()), Some("phoned; on the way"));
    assert_eq!(acks[0].recorded_by.as_ref().map(|s| s.as_str()), Some("stf-lambeth-duty"));
    assert!(acks[0].user_agent.is_empty(), "the note is no longer written into the user agent");
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
    let (cookie, csrf) = session_for(&rig.console, &viewer, rig.h.clock.now_for_tests()).await;
    let other = format!("/console/incidents/{LAMBETH_INCIDENT}/people/con-csl/acknowledge");
    let refused = handle(&rig.deps, request("POST", &other, &cookie, &format!("csrf={csrf}"))).await;
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

/// Every check on a delay queue, due or not.
fn scheduled(queue: &MemoryQueue) -> Vec<serde_json::Value> {
    queue.take_scheduled().into_iter().map(|(body, _)| serde_json::from_str(&body).unwrap()).collect()
}

fn lambeth_incident() -> sim::ids::IncidentId {
    sim::ids::IncidentId::parse(LAMBETH_INCIDENT).unwrap()
}

/// A viewer of `licensee`, signed in: the cookie header and the CSRF token.
async fn viewer(rig: &Rig, licensee: &str) -> (String, String) {
    let member = StaffMember::new(
        StaffId::parse(&format!("stf-{licensee}-viewer")).unwrap(),
        LicenseeId::parse(licensee).unwrap(),
        "Viewer",
        None,
        None,
        BTreeSet::from([ConsoleRole::Viewer]),
        START,
    )
    .unwrap();
    session_for(&rig.console, &member, rig.h.clock.now_for_tests()).await
}

#[tokio::test]
async fn a_duty_officer_resends_a_persons_alert_on_one_channel_once_it_has_left() {
    resends(rig().await).await;
}

async fn resends(rig: Rig) {
    use sim::domain::notification::{NotificationKey, NotificationStatus, Step};
    use sim::domain::policy::Channel;
    let (lambeth, csrf) = duty(&rig, "lambeth").await;
    let path = format!("/console/incidents/{LAMBETH_INCIDENT}/people/{LAMBETH_CONTACT}/resend");
    let gold = sim::ids::ContactId::parse(LAMBETH_CONTACT).unwrap();
    let key = NotificationKey::new(&gold, Channel::Sms, Step::FIRST);
    let sms = || async { rig.h.store.get_notification(&lambeth_incident(), &key).await.unwrap().unwrap() };
    drain(&*rig.sms).await;

    // Still pending from the first fan-out: already on its way, nothing queued.
    assert_eq!(sms().await.status, NotificationStatus::Pending);
    let r = handle(&rig.deps, request("POST", &path, &lambeth, &format!("csrf={csrf}&channel=sms"))).await;
    assert_eq!(r.status(), 422);
    assert!(r.body().contains("already on its way"));
    assert!(drain(&*rig.sms).await.is_empty());

    // Sent (and perhaps lost): re-sending queues the same alert on SMS again.
    let sent = sim::domain::notification::Notification {
        status: NotificationStatus::Sent,
        sent_at: Some(rig.h.clock.now_for_tests()),
        provider_message_id: Some("msg-1".into()),
        ..sms().await
    };
    rig.h.store.put_notifications(&[sent]).await.unwrap();
    // A stale form or a viewer changes nothing.
    assert_eq!(handle(&rig.deps, request("POST", &path, &lambeth, "csrf=old&channel=sms")).await.status(), 403);
    let (viewer, viewer_csrf) = viewer(&rig, "lambeth").await;
    let body = format!("csrf={viewer_csrf}&channel=sms");
    assert_eq!(handle(&rig.deps, request("POST", &path, &viewer, &body)).await.status(), 403);
    assert!(drain(&*rig.sms).await.is_empty());
    assert_eq!(sms().await.status, NotificationStatus::Sent);

    let r = handle(&rig.deps, request("POST", &path, &lambeth, &format!("csrf={csrf}&channel=sms"))).await;
    assert_eq!(r.status(), 303, "{}", r.body());
    let queued = drain(&*rig.sms).await;
    assert_eq!(queued.len(), 1);
    assert_eq!((queued[0]["contact_id"].as_str(), queued[0]["step"].as_u64()), (Some(LAMBETH_CONTACT), Some(0)));
    assert_eq!(sms().await.status, NotificationStatus::Pending, "the sender claims it again");
    let timeline = rig.h.store.timeline(&lambeth_incident()).await.unwrap();
    assert!(timeline.iter().any(|e| matches!(&e.event,
        sim::domain::Event::Resent { contact_id, channel: Channel::Sms, staff_id, .. }
            if contact_id == &gold && staff_id == "stf-lambeth-duty")));
    let view = handle(&rig.deps, request("GET", &format!("/console/incidents/{LAMBETH_INCIDENT}"), &lambeth, "")).await;
    assert!(view.body().contains("resent: Director of Communities on sms, by Duty officer (council staff)"));

    // No channel chosen: the page says so, nothing queued.
    let r = handle(&rig.deps, request("POST", &path, &lambeth, &format!("csrf={csrf}&channel=pigeon"))).await;
    assert_eq!(r.status(), 422);
    assert!(r.body().contains("error-summary"));
    assert!(drain(&*rig.sms).await.is_empty());
}

#[tokio::test]
async fn a_duty_officer_adds_a_key_date_which_schedules_its_briefing() {
    adds_a_key_date(rig().await).await;
}

async fn adds_a_key_date(rig: Rig) {
    let (lambeth, csrf) = duty(&rig, "lambeth").await;
    let path = format!("/console/incidents/{LAMBETH_INCIDENT}/key-dates");
    // Past dates and unknown kinds are refused with the reason, nothing stored.
    for bad in ["what=funeral&date=2026-11-20", "what=party&date=2026-12-01", "what=funeral&date=1+Dec"] {
        let r = handle(&rig.deps, request("POST", &path, &lambeth, &format!("csrf={csrf}&{bad}"))).await;
        assert_eq!(r.status(), 422, "{bad}");
        assert!(r.body().contains("error-summary"));
    }
    let (viewer, viewer_csrf) = viewer(&rig, "lambeth").await;
    let body = format!("csrf={viewer_csrf}&what=funeral&date=2026-12-01");
    assert_eq!(handle(&rig.deps, request("POST", &path, &viewer, &body)).await.status(), 403);
    assert!(rig.h.store.get_follow_up(&lambeth_incident()).await.unwrap().is_none_or(|f| f.key_dates.is_empty()));
    assert!(scheduled(&rig.briefings).is_empty());

    let body = format!("csrf={csrf}&what=funeral&date=2026-12-01");
    let r = handle(&rig.deps, request("POST", &path, &lambeth, &body)).await;
    assert_eq!(r.status(), 303, "{}", r.body());
    let follow_up = rig.h.store.get_follow_up(&lambeth_incident()).await.unwrap().unwrap();
    assert_eq!(follow_up.key_dates.len(), 1);
    let staff = sim::domain::staff::StaffId::parse("stf-lambeth-duty").unwrap();
    assert_eq!(follow_up.key_dates[0].added_by, sim::domain::Actor::from(staff));
    // Days ahead: one EventBridge-style schedule at 09:00 UK time on the day, not a queued check.
    assert!(scheduled(&rig.briefings).is_empty());
    let schedules: Vec<_> = rig.scheduler.pending().into_values().collect();
    assert_eq!(schedules.len(), 1);
    assert_eq!(schedules[0].expression, "at(2026-12-01T09:00:00)");
    let check: serde_json::Value = serde_json::from_str(&schedules[0].body).unwrap();
    assert_eq!(check["reason"]["kind"], "key_date");
    let view = handle(&rig.deps, request("GET", &format!("/console/incidents/{LAMBETH_INCIDENT}"), &lambeth, "")).await;
    assert!(view.body().contains("Funeral, 2026-12-01 (added by Duty officer (council staff))"), "{}", view.body());
    assert!(view.body().contains("key date added (Funeral, 2026-12-01), by Duty officer (council staff)"));
    // The same date again adds nothing (its check is queued again, harmlessly).
    handle(&rig.deps, request("POST", &path, &lambeth, &body)).await;
    assert_eq!(rig.h.store.get_follow_up(&lambeth_incident()).await.unwrap().unwrap().key_dates.len(), 1);
}

#[tokio::test]
async fn a_duty_officer_closes_the_incident_for_the_lead_role_with_a_note() {
    closes(rig().await).await;
}

async fn closes(rig: Rig) {
    let (lambeth, csrf) = duty(&rig, "lambeth").await;
    let path = format!("/console/incidents/{LAMBETH_INCIDENT}/close");
    let no_note = handle(&rig.deps, request("POST", &path, &lambeth, &format!("csrf={csrf}&version=0"))).await;
    assert_eq!(no_note.status(), 422);
    assert!(no_note.body().contains("Write a sentence or two"));
    let (viewer, viewer_csrf) = viewer(&rig, "lambeth").await;
    let body = format!("csrf={viewer_csrf}&version=0&closing_note=Done");
    assert_eq!(handle(&rig.deps, request("POST", &path, &viewer, &body)).await.status(), 403);
    // A form from before someone else changed the record is refused.
    let stale = format!("csrf={csrf}&version=3&closing_note=Response+ended");
    assert_eq!(handle(&rig.deps, request("POST", &path, &lambeth, &stale)).await.status(), 422);
    assert!(rig.h.store.get_follow_up(&lambeth_incident()).await.unwrap().is_none());
    assert!(scheduled(&rig.briefings).is_empty());

    let body = format!("csrf={csrf}&version=0&closing_note=Response+ended%3B+review+booked");
    let r = handle(&rig.deps, request("POST", &path, &lambeth, &body)).await;
    assert_eq!(r.status(), 303, "{}", r.body());
    let closure = rig.h.store.get_follow_up(&lambeth_incident()).await.unwrap().unwrap().closure.unwrap();
    assert_eq!(closure.closed_by.staff().map(|s| s.as_str()), Some("stf-lambeth-duty"));
    assert_eq!(closure.role.as_str(), "gold", "closed in the name of the policy's lead role");
    assert_eq!(closure.note, "Response ended; review booked");
    // The closing briefing at once, and the three reviews.
    // The closing briefing goes at once; the three reviews are schedules days ahead.
    let reasons: Vec<String> =
        scheduled(&rig.briefings).iter().map(|c| c["reason"]["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(reasons, ["closed"]);
    let reviews: Vec<String> = rig
        .scheduler
        .pending()
        .into_values()
        .map(|s| {
            serde_json::from_str::<serde_json::Value>(&s.body).unwrap()["reason"]["kind"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(reviews, ["review", "review", "review"]);
    let timeline = rig.h.store.timeline(&lambeth_incident()).await.unwrap();
    assert!(timeline.iter().any(|e| matches!(&e.event, sim::domain::Event::Closed { by, .. } if by.staff().is_some())));

    let view = handle(&rig.deps, request("GET", &format!("/console/incidents/{LAMBETH_INCIDENT}"), &lambeth, "")).await;
    assert!(view.body().contains("by Duty officer (council staff) for the gold"));
    assert!(!view.body().contains("/close\""), "a closed incident offers no close form");
    let board = handle(&rig.deps, request("GET", "/console", &lambeth, "")).await;
    assert!(!board.body().contains(REFERENCE), "a closed incident leaves the board");
}

#[tokio::test]
async fn the_board_and_view_show_escalation_delivery_and_failures() {
    use sim::domain::delivery::{Delivery, DeliveryState};
    use sim::domain::notification::{NotificationStatus, Step};
    use sim::domain::policy::Channel;
    let rig = rig().await;
    let (lambeth, _) = duty(&rig, "lambeth").await;
    let notifications = rig.h.store.notifications(&lambeth_incident()).await.unwrap();
    let gold_sms = notifications
        .iter()
        .find(|n| n.contact_id.as_str() == LAMBETH_CONTACT && n.channel == Channel::Sms)
        .unwrap()
        .clone();
    let at = rig.h.clock.now_for_tests();
    let sent = sim::domain::notification::Notification {
        status: NotificationStatus::Sent,
        sent_at: Some(at),
        provider_message_id: Some("msg-gold".into()),
        ..gold_sms.clone()
    };
    rig.h.store.put_notifications(&[sent]).await.unwrap();
    let bounced = Delivery {
        incident_id: lambeth_incident(),
        contact_id: gold_sms.contact_id.clone(),
        channel: Channel::Sms,
        step: Step::FIRST,
        provider_message_id: "msg-gold".into(),
        state: DeliveryState::FailedPermanent,
        at,
        detail: Some("UNREACHABLE".into()),
    };
    assert!(rig.h.store.record_delivery(&bounced, &[]).await.unwrap());

    let board = handle(&rig.deps, request("GET", "/console", &lambeth, "")).await;
    assert!(board.body().contains("sms: "), "{}", board.body());
    assert!(board.body().contains("<strong>1 failed</strong>"), "a late failure counts: {}", board.body());
    assert!(board.body().contains("Step 0 of "), "the escalation step is shown");
    assert!(board.body().contains("Next "), "and when the next is due");
    let view = handle(&rig.deps, request("GET", &format!("/console/incidents/{LAMBETH_INCIDENT}"), &lambeth, "")).await;
    for shown in ["failed permanent", "UNREACHABLE", "Police amendments", "steps run; the next is due", "grp-gold"] {
        assert!(view.body().contains(shown), "{shown} missing");
    }

    // Re-sent and sent again: the old message's failure no longer describes it.
    let resent = sim::domain::notification::Notification {
        status: NotificationStatus::Sent,
        sent_at: Some(at),
        provider_message_id: Some("msg-gold-2".into()),
        ..gold_sms
    };
    rig.h.store.put_notifications(&[resent]).await.unwrap();
    let board = handle(&rig.deps, request("GET", "/console", &lambeth, "")).await;
    assert!(!board.body().contains("failed</strong>"), "{}", board.body());
    let view = handle(&rig.deps, request("GET", &format!("/console/incidents/{LAMBETH_INCIDENT}"), &lambeth, "")).await;
    assert!(!view.body().contains("failed permanent"));
}

#[tokio::test]
async fn dynamodb_keeps_what_the_duty_actions_write() {
    needs_moto!();
    resends(moto_rig().await).await;
    adds_a_key_date(moto_rig().await).await;
    closes(moto_rig().await).await;
}

#[tokio::test]
async fn a_filtered_search_reads_on_until_its_page_is_full() {
    let rig = rig().await;
    // Sixty more Lambeth reports, every other one in Brixton North: with the
    // fixture's, 31 in Brixton North, so two pages however the index pages fall.
    for i in 0..60 {
        let mut body = event_body("intake-report.json");
        body["police_reference"] = format!("CAD {}/22NOV26", 5000 + i).into();
        if i % 2 == 1 {
            body["location"]["ward"] = "Clapham Town".into();
        }
        rig.h.clock.advance(Duration::minutes(1));
        let r = rig.h.call(sim_tests::request("POST", "/v1/incidents", Some(&met_key()), Some(body.to_string()))).await;
        assert_eq!(r.status(), 202);
    }
    // Signed in after the reports (an hour of them outlasts a session's idle timeout).
    let (lambeth, _) = duty(&rig, "lambeth").await;
    let references = |page: &str| -> Vec<String> {
        page.match_indices("CAD ").map(|(at, _)| page[at..].split('<').next().unwrap().to_owned()).collect()
    };
    let first = handle(&rig.deps, request("GET", "/console/incidents?ward=brixton", &lambeth, "")).await;
    let found = references(first.body());
    assert_eq!(found.len(), console::SEARCH_PAGE, "a full page: {found:?}");
    assert_eq!(found[0], "CAD 5058/22NOV26", "newest first");
    let next = first.body().split("href=\"/console/incidents?").nth(1).map(|rest| rest.split('"').next().unwrap());
    let mut all = found.clone();
    if let Some(query) = next {
        let query = query.replace("&amp;", "&");
        let second = handle(&rig.deps, request("GET", &format!("/console/incidents?{query}"), &lambeth, "")).await;
        all.extend(references(second.body()));
    }
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 31, "every match once, none skipped: {all:?}");
}

/// The board's own refresh, as its script sends it every 5 seconds.
fn board_refresh(cookie: &str) -> http::Request<Vec<u8>> {
    let mut req = request("GET", "/console", cookie, "");
    req.headers_mut().insert("sim-refresh", http::HeaderValue::from_static("board"));
    req
}

#[tokio::test]
async fn moto_the_boards_refresh_makes_no_offers_query_and_a_full_page_shows_the_count() {
    needs_moto!();
    use sim::domain::share::{Share, ShareState};
    let (rig, recorder) = recorded_moto_rig().await;
    // Lambeth has confirmed a share to Kent, which has not answered yet.
    let (lambeth, kent_id) = (LicenseeId::parse("lambeth").unwrap(), LicenseeId::parse("kent").unwrap());
    let incident = sim::ids::IncidentId::parse(LAMBETH_INCIDENT).unwrap();
    let area = sim::domain::area::AreaName::parse("Kent").unwrap();
    let offer = Share::offer(&incident, &lambeth, &kent_id, &area, START);
    assert!(rig.h.store.offer_share(&Share { state: ShareState::Confirmed, ..offer }, &[]).await.unwrap());
    let (kent, _) = duty(&rig, "kent").await;

    recorder.clear();
    let full = handle(&rig.deps, request("GET", "/console", &kent, "")).await;
    assert_eq!(full.status(), 200);
    assert!(full.body().contains("Shared with us (1<span"), "the header counts Kent's offer: {}", full.body());
    assert_eq!(recorder.mentioning("SHARED#kent"), 1, "one offers query for the full page");

    recorder.clear();
    let refresh = handle(&rig.deps, board_refresh(&kent)).await;
    assert_eq!(refresh.status(), 200);
    assert!(refresh.body().contains(r#"id="board""#), "the refresh still carries the board");
    assert!(!refresh.body().contains("Shared with us"), "the refresh carries no header");
    assert_eq!(recorder.mentioning("SHARED#kent"), 0, "a refresh every 5 seconds costs no offers query");
    assert!(recorder.count() > 0, "the refresh did read the board");

    // Any other page still counts: the search page shows the header too.
    recorder.clear();
    let search = handle(&rig.deps, request("GET", "/console/incidents", &kent, "")).await;
    assert!(search.body().contains("Shared with us (1<span"), "{}", search.body());
    assert_eq!(recorder.mentioning("SHARED#kent"), 1);
}
