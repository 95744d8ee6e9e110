//! The personal-data vault in the console: a role outside the agreement is
//! refused (and the refusal logged), a listed role sees a record only after
//! choosing a lawful condition and typing a reason (logged), break-glass
//! emails the DPO at once, pages with values are `no-store`, another
//! licensee's incident or record is 404, and the DPO's log, CSV export,
//! erasure and subject access search work. The canary name is searched for
//! in every log line, redirect and timeline entry the console produced.

use console::{handle, Deps};
use sim::adapters::memory_console::MemoryConsoleStore;
use sim::adapters::memory_keys::MemoryKeys;
use sim::adapters::memory_queue::MemoryQueue;
use sim::adapters::memory_store::MemoryStore;
use sim::adapters::recording_sender::RecordingSender;
use sim::clock::Clock;
use sim::domain::staff::{ConsoleRole, StaffId, StaffMember};
use sim::domain::subject::{SubjectRecord, SubjectSource};
use sim::ids::{IncidentId, LicenseeId, SubjectId};
use sim::ports::store::prelude::*;
use sim::ports::store::{AccessAction, AccessEntry, VaultStore};
use sim::vault::{Agreement, DpoAlert, Reader, Vault};
use sim_tests::*;
use std::collections::BTreeSet;
use std::sync::Arc;
use time::Duration;

/// A name that appears nowhere else, so finding it anywhere is a leak.
const CANARY: &str = "Quillon Zarathustra-Vex";
const INCIDENT: &str = "inc-000001";

struct Rig {
    deps: Deps,
    console: Arc<MemoryConsoleStore>,
    store: Arc<MemoryStore>,
    vault: Arc<Vault>,
    dpo_mail: Arc<RecordingSender>,
    clock: Arc<sim::clock::ManualClock>,
    /// Lambeth's record of the canary on the fixture incident.
    subject: SubjectId,
}

fn record(name: &str) -> SubjectRecord {
    let body = serde_json::json!({
        "role": "victim", "name": name, "date_of_birth": "2009-04-17", "postcode": "SE11 5QY",
        "school": "Canaryvex Academy", "safeguarding_flags": ["child"], "note": "Canaryvex note"
    });
    SubjectRecord::from_json(&body, START.date(), SubjectSource::Council { staff_id: "stf-x".into() }).unwrap()
}

/// Lambeth has the fixture incident with one record (the canary), and the
/// same person on a second incident.
async fn rig() -> Rig {
    let memory = Arc::new(MemoryStore::new());
    let h = Harness::new(memory.clone(), Arc::new(MemoryQueue::new("categorise"))).seeded().await;
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    let dpo_mail = Arc::new(RecordingSender::default());
    let vault = Arc::new(Vault {
        keys: Arc::new(MemoryKeys::new()),
        store: memory.clone(),
        clock: h.clock.clone(),
        ids: h.ids.clone(),
        index_key: b"a test blind-index key of 32 bytes".to_vec(),
        agreement: Agreement::default(),
        dpo_alert: Some(DpoAlert {
            sender: dpo_mail.clone(),
            to: sim::domain::EmailAddress::parse("dpo@lambeth.example").unwrap(),
        }),
    });
    let police = Reader { id: "met-cad".into(), role: "police".into(), address: None };
    let lambeth = sim::demo::lambeth();
    let subject = vault.add(&lambeth, &inc(INCIDENT), &record(CANARY), &police).await.unwrap();
    vault.add(&lambeth, &inc("inc-earlier"), &record(CANARY), &police).await.unwrap();
    let console = Arc::new(MemoryConsoleStore::new());
    let deps = console_deps(h.store.clone(), memory.clone(), h.clock.clone(), h.ids.clone())
        .console(console.clone())
        .vault(vault.clone())
        .build();
    Rig { deps, console, store: memory, vault, dpo_mail, clock: h.clock.clone(), subject }
}

fn inc(id: &str) -> IncidentId {
    IncidentId::parse(id).unwrap()
}

/// A signed-in member of `licensee` with one role: the cookie header and the CSRF token.
async fn member(rig: &Rig, licensee: &str, role: ConsoleRole) -> (String, String) {
    let id = StaffId::parse(&format!("stf-{licensee}-{}", role.as_str())).unwrap();
    let licensee = LicenseeId::parse(licensee).unwrap();
    let m = StaffMember::new(id.clone(), licensee.clone(), "Staff", None, None, BTreeSet::from([role]), START).unwrap();
    session_for(&rig.console, &m, rig.clock.now()).await
}

fn request(method: &str, path: &str, cookie: &str, body: &str) -> http::Request<Vec<u8>> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("cookie", cookie)
        .header("x-forwarded-for", "203.0.113.9, 10.0.0.1")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

const SAFEGUARDING: &str = "dpa2018_sch1_para18_safeguarding";

async fn log(rig: &Rig) -> Vec<AccessEntry> {
    rig.store.access_log(&sim::demo::lambeth()).await.unwrap()
}

impl Rig {
    fn record_path(&self) -> String {
        format!("/console/incidents/{INCIDENT}/subjects/{}", self.subject)
    }
    async fn open(&self, cookie: &str, body: &str) -> http::Response<String> {
        handle(&self.deps, request("POST", &self.record_path(), cookie, body)).await
    }
}

#[tokio::test]
async fn a_role_outside_the_agreement_is_refused_without_an_emergency_and_the_refusal_is_logged() {
    let rig = rig().await;
    let (duty, csrf) = member(&rig, "lambeth", ConsoleRole::Duty).await;
    // The incident links to its personal data; the list shows roles, never values.
    let incident = handle(&rig.deps, request("GET", &format!("/console/incidents/{INCIDENT}"), &duty, "")).await;
    assert!(incident.body().contains(&format!("href=\"/console/incidents/{INCIDENT}/subjects\"")));
    let list = handle(&rig.deps, request("GET", &format!("/console/incidents/{INCIDENT}/subjects"), &duty, "")).await;
    assert_eq!(list.status(), 200);
    assert!(list.body().contains("Victim") && list.body().contains(rig.subject.as_str()));
    assert!(!list.body().contains("Quillon") && !list.body().contains("Add a person"), "no values, no add form");

    let ask = handle(&rig.deps, request("GET", &rig.record_path(), &duty, "")).await;
    assert!(ask.body().contains("only in an emergency") && ask.body().contains(SAFEGUARDING));
    let body = form(&[("csrf", &csrf), ("lawful_basis", SAFEGUARDING), ("reason", "curious")]);
    let refused = rig.open(&duty, &body).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.body().contains("data-sharing agreement") && !refused.body().contains("Quillon"));
    let entries = log(&rig).await;
    let last = entries.last().unwrap();
    assert_eq!(
        (last.action, last.reader.as_str(), last.role.as_str()),
        (AccessAction::Refused, "stf-lambeth-duty", "duty")
    );
    assert!(rig.dpo_mail.sent().is_empty(), "a refusal is not a break-glass view");

    // Nor may they add a record.
    let before = rig.store.subjects(&inc(INCIDENT)).await.unwrap().len();
    let add = form(&[("csrf", &csrf), ("role", "witness"), ("name", "Someone Else")]);
    let r = handle(&rig.deps, request("POST", &format!("/console/incidents/{INCIDENT}/subjects"), &duty, &add)).await;
    assert_eq!(r.status(), 403);
    assert_eq!(rig.store.subjects(&inc(INCIDENT)).await.unwrap().len(), before);
}

#[tokio::test]
async fn a_listed_role_sees_the_record_no_store_after_a_condition_and_reason_and_the_view_is_logged() {
    let rig = rig().await;
    let (dpo, csrf) = member(&rig, "lambeth", ConsoleRole::Dpo).await;
    // A stale form or no reason shows nothing.
    let stale = rig.open(&dpo, &form(&[("csrf", "old"), ("lawful_basis", SAFEGUARDING), ("reason", "x")])).await;
    assert_eq!(stale.status(), 403);
    let no_reason = rig.open(&dpo, &form(&[("csrf", &csrf), ("lawful_basis", SAFEGUARDING), ("reason", " ")])).await;
    assert_eq!(no_reason.status(), 403);
    assert!(no_reason.body().contains("a reason is required") && !no_reason.body().contains("Quillon"));

    let body = form(&[("csrf", &csrf), ("lawful_basis", SAFEGUARDING), ("reason", "Strategy meeting 14:00")]);
    let shown = rig.open(&dpo, &body).await;
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let page = shown.body();
    assert!(page.contains(CANARY) && page.contains("SE11 5QY") && page.contains("Canaryvex Academy"));
    assert!(page.contains("appears in 1 other incident."), "the repeat flag: {page}");
    let entries = log(&rig).await;
    let view = entries.iter().find(|e| e.action == AccessAction::View).expect("the view is logged");
    assert_eq!(view.lawful_basis.as_deref(), Some(SAFEGUARDING));
    assert_eq!(view.reason, "Strategy meeting 14:00");
    assert_eq!((view.role.as_str(), view.address.as_deref()), ("dpo", Some("203.0.113.9")));
    assert!(view.fields.contains(&"name".to_owned()) && !view.break_glass);
    assert!(page.contains(view.id.as_str()), "the page names its log entry");
    assert!(entries.iter().any(|e| e.action == AccessAction::Search), "the repeat check is logged too");
}

#[tokio::test]
async fn break_glass_by_a_duty_officer_shows_the_record_and_emails_the_dpo_at_once() {
    let rig = rig().await;
    let (duty, csrf) = member(&rig, "lambeth", ConsoleRole::Duty).await;
    let body = form(&[
        ("csrf", &csrf),
        ("lawful_basis", SAFEGUARDING),
        ("reason", "Quillon is missing tonight"),
        ("emergency", "yes"),
    ]);
    let shown = rig.open(&duty, &body).await;
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["cache-control"], "no-store");
    assert!(shown.body().contains("Break-glass access") && shown.body().contains(CANARY));
    assert!(!shown.body().contains("other incident"), "no repeat flag outside the agreement");
    let sent = rig.dpo_mail.sent();
    assert_eq!(sent.len(), 1, "the DPO is emailed at once");
    let sim::ports::Outgoing::Email { to, email } = &sent[0] else { panic!("an email") };
    assert_eq!(to.as_str(), "dpo@lambeth.example");
    assert!(email.text.contains("stf-lambeth-duty") && !format!("{}{}", email.subject, email.text).contains("Quillon"));
    assert!(log(&rig).await.iter().any(|e| e.action == AccessAction::View && e.break_glass));
}

#[tokio::test]
async fn another_licensees_incident_or_record_is_404() {
    let rig = rig().await;
    let (kent, kent_csrf) = member(&rig, "kent", ConsoleRole::Dpo).await;
    let (lambeth, csrf) = member(&rig, "lambeth", ConsoleRole::Dpo).await;
    let open = form(&[("csrf", &kent_csrf), ("lawful_basis", SAFEGUARDING), ("reason", "r")]);
    for (method, path) in [
        ("GET", format!("/console/incidents/{INCIDENT}/subjects")),
        ("POST", format!("/console/incidents/{INCIDENT}/subjects")),
        ("GET", rig.record_path()),
        ("POST", rig.record_path()),
        ("POST", format!("{}/erase", rig.record_path())),
    ] {
        let r = handle(&rig.deps, request(method, &path, &kent, &open)).await;
        assert_eq!(r.status(), 404, "{method} {path}");
        assert!(!r.body().contains("Quillon"));
    }
    // Lambeth's own record under another incident's path, or an unknown id, is 404 too.
    let earlier = rig.store.subjects(&inc("inc-earlier")).await.unwrap()[0].subject_id.clone();
    let open = form(&[("csrf", &csrf), ("lawful_basis", SAFEGUARDING), ("reason", "r")]);
    for subject in [earlier.as_str(), "sub-999999", "not an id"] {
        let path = format!("/console/incidents/{INCIDENT}/subjects/{}", subject.replace(' ', "%20"));
        let r = handle(&rig.deps, request("POST", &path, &lambeth, &open)).await;
        assert_eq!(r.status(), 404, "{subject}");
    }
    assert!(!log(&rig).await.iter().any(|e| e.reader == "stf-kent-dpo"), "Kent reached nothing to log");
}

#[tokio::test]
async fn a_listed_role_adds_a_record_with_intakes_checks_and_no_value_in_the_address_bar() {
    let rig = rig().await;
    let (dpo, csrf) = member(&rig, "lambeth", ConsoleRole::Dpo).await;
    let path = format!("/console/incidents/{INCIDENT}/subjects");
    let bad = form(&[("csrf", &csrf), ("role", "witness"), ("name", "Ottoline Canaryvex"), ("postcode", "NOTAPOST")]);
    let r = handle(&rig.deps, request("POST", &path, &dpo, &bad)).await;
    assert_eq!(r.status(), 400);
    assert!(r.body().contains("Postcode must be a UK postcode"), "{}", r.body());
    let before = rig.store.subjects(&inc(INCIDENT)).await.unwrap().len();
    let good = form(&[
        ("csrf", &csrf),
        ("role", "witness"),
        ("name", "Ottoline Canaryvex"),
        ("postcode", "se11 5qy"),
        ("safeguarding_flags", "child"),
        ("safeguarding_flags", "mental_health"),
    ]);
    let r = handle(&rig.deps, request("POST", &path, &dpo, &good)).await;
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap();
    assert_eq!(location, format!("{path}?added"));
    let subjects = rig.store.subjects(&inc(INCIDENT)).await.unwrap();
    assert_eq!(subjects.len(), before + 1);
    let added = subjects.iter().find(|s| s.subject_id != rig.subject).unwrap();
    assert_eq!(added.role, sim::domain::subject::SubjectRole::Witness);
    let list = handle(&rig.deps, request("GET", location, &dpo, "")).await;
    assert!(list.body().contains("The record was added") && list.body().contains("Witness"));
    assert!(!list.body().contains("Ottoline"));
    let entry = log(&rig).await.into_iter().find(|e| e.subject_id.as_ref() == Some(&added.subject_id)).unwrap();
    assert_eq!((entry.action, entry.reader.as_str()), (AccessAction::Add, "stf-lambeth-dpo"));
    assert!(entry.fields.contains(&"safeguarding_flags".to_owned()));
}

#[tokio::test]
async fn the_dpo_reads_the_log_exports_it_searches_by_person_and_erases_one_record() {
    let rig = rig().await;
    let (duty, duty_csrf) = member(&rig, "lambeth", ConsoleRole::Duty).await;
    let (dpo, csrf) = member(&rig, "lambeth", ConsoleRole::Dpo).await;
    let emergency =
        form(&[("csrf", &duty_csrf), ("lawful_basis", SAFEGUARDING), ("reason", "urgent"), ("emergency", "yes")]);
    assert_eq!(rig.open(&duty, &emergency).await.status(), 200);
    for path in ["/console/vault/log", "/console/vault/log.csv", "/console/vault/search"] {
        assert_eq!(handle(&rig.deps, request("GET", path, &duty, "")).await.status(), 403, "{path}");
    }

    let page = handle(&rig.deps, request("GET", "/console/vault/log", &dpo, "")).await;
    assert_eq!(page.status(), 200);
    assert!(page.body().contains("1 break-glass access") && page.body().contains("stf-lambeth-duty"));
    let csv = handle(&rig.deps, request("GET", "/console/vault/log.csv", &dpo, "")).await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(csv.headers()["cache-control"], "no-store");
    let view_row = csv.body().lines().find(|l| l.contains("\"view\"")).expect("the view is exported");
    assert!(view_row.contains("\"yes\"") && view_row.contains("\"urgent\"") && view_row.contains(SAFEGUARDING));

    // Subject access: both records of the person, found without opening either.
    let search = form(&[
        ("csrf", &csrf),
        ("name", "  quillon ZARATHUSTRA-vex "),
        ("date_of_birth", "2009-04-17"),
        ("lawful_basis", "dpa2018_part3_law_enforcement"),
        ("reason", "SAR 2026-117"),
    ]);
    let found = handle(&rig.deps, request("POST", "/console/vault/search", &dpo, &search)).await;
    assert_eq!(found.status(), 200);
    assert!(found.body().contains("2 records found") && found.body().contains("inc-earlier"), "{}", found.body());
    let logged = log(&rig).await;
    let s = logged.iter().rev().find(|e| e.action == AccessAction::Search).unwrap();
    assert_eq!(s.reason, "SAR 2026-117");

    // Erasure: a reason is required; then the record is gone and the erasure logged.
    let erase = format!("{}/erase", rig.record_path());
    let r = handle(&rig.deps, request("POST", &erase, &duty, &form(&[("csrf", &duty_csrf), ("reason", "x")]))).await;
    assert_eq!(r.status(), 403, "only the DPO erases");
    let r = handle(&rig.deps, request("POST", &erase, &dpo, &form(&[("csrf", &csrf), ("reason", "")]))).await;
    assert_eq!(r.status(), 400);
    let r =
        handle(&rig.deps, request("POST", &erase, &dpo, &form(&[("csrf", &csrf), ("reason", "Erasure request E-9")])))
            .await;
    assert_eq!(r.status(), 303);
    assert_eq!(handle(&rig.deps, request("GET", &rig.record_path(), &dpo, "")).await.status(), 404);
    let e = log(&rig).await.into_iter().find(|e| e.action == AccessAction::Erase).unwrap();
    assert_eq!((e.reason.as_str(), e.subject_id.as_ref()), ("Erasure request E-9", Some(&rig.subject)));
    // The other incident's record of the same person still opens.
    let earlier = rig.store.subjects(&inc("inc-earlier")).await.unwrap()[0].subject_id.clone();
    let reader = Reader { id: "stf-lambeth-dpo".into(), role: "dpo".into(), address: None };
    let purpose = sim::vault::Purpose { lawful_basis: SAFEGUARDING.into(), reason: "r".into(), emergency: false };
    assert!(rig.vault.read(&sim::demo::lambeth(), &inc("inc-earlier"), &earlier, &reader, &purpose).await.is_ok());
}

#[tokio::test]
async fn the_canary_reaches_no_log_line_redirect_or_timeline_from_the_console_pages() {
    let captured = sim_tests::logs::captured_logs();
    let rig = rig().await;
    let (dpo, csrf) = member(&rig, "lambeth", ConsoleRole::Dpo).await;
    let (duty, duty_csrf) = member(&rig, "lambeth", ConsoleRole::Duty).await;
    let list = format!("/console/incidents/{INCIDENT}/subjects");
    let mut seen = Vec::new();
    for (method, path, cookie, body) in [
        ("GET", list.clone(), &dpo, String::new()),
        (
            "POST",
            list.clone(),
            &dpo,
            form(&[("csrf", &csrf), ("role", "suspect"), ("name", CANARY), ("postcode", "x")]),
        ),
        ("POST", list.clone(), &dpo, form(&[("csrf", &csrf), ("role", "suspect"), ("name", CANARY)])),
        ("POST", rig.record_path(), &dpo, form(&[("csrf", &csrf), ("lawful_basis", SAFEGUARDING), ("reason", "r")])),
        (
            "POST",
            rig.record_path(),
            &duty,
            form(&[("csrf", &duty_csrf), ("lawful_basis", SAFEGUARDING), ("reason", "r")]),
        ),
        (
            "POST",
            rig.record_path(),
            &duty,
            form(&[("csrf", &duty_csrf), ("lawful_basis", SAFEGUARDING), ("reason", "r"), ("emergency", "yes")]),
        ),
        (
            "POST",
            "/console/vault/search".into(),
            &dpo,
            form(&[("csrf", &csrf), ("name", CANARY), ("lawful_basis", SAFEGUARDING), ("reason", "r")]),
        ),
        ("GET", "/console/vault/log".into(), &dpo, String::new()),
        ("POST", format!("{}/erase", rig.record_path()), &dpo, form(&[("csrf", &csrf), ("reason", "E-1")])),
    ] {
        let r = handle(&rig.deps, request(method, &path, cookie, &body)).await;
        assert_ne!(r.status(), 503, "{method} {path}");
        for (name, value) in r.headers() {
            if name != "content-type" {
                seen.push(value.to_str().unwrap_or_default().to_owned());
            }
        }
    }
    let logs = captured.text();
    assert!(logs.contains("subject record viewed"), "the capture works");
    for part in ["Quillon", "Zarathustra", "Canaryvex", "SE11 5QY"] {
        assert!(!logs.contains(part), "{part} in a log line");
        assert!(!seen.iter().any(|h| h.contains(part)), "{part} in a header");
    }
    let timeline = format!("{:?}", rig.deps.store.timeline(&inc(INCIDENT)).await.unwrap());
    assert!(!timeline.contains("Quillon") && !timeline.contains("Canaryvex"));
    let access_log = serde_json::to_string(&log(&rig).await).unwrap();
    assert!(!access_log.contains("Quillon") && !access_log.contains("Canaryvex"), "the access log keeps ids only");
}

#[tokio::test]
async fn the_list_says_records_are_kept_until_twelve_months_after_the_closing() {
    use sim::domain::follow_up::{Closure, FollowUp};
    let rig = rig().await;
    let format = time::macros::format_description!("[day] [month repr:short] [year] [hour]:[minute] UTC");
    rig.clock.advance(Duration::days(3));
    let (dpo, _) = member(&rig, "lambeth", ConsoleRole::Dpo).await;
    let mut closed = FollowUp::new(inc(INCIDENT)).next();
    let role = sim::domain::contact::Role::parse("gold").unwrap();
    let by = sim::ids::ContactId::parse("con-gold").unwrap();
    closed.closure = Some(Closure { closed_by: by.into(), role, at: rig.clock.now(), note: "done".into() });
    rig.store.put_follow_up(&closed, &[]).await.unwrap();
    let until = sim::domain::data_sharing::months_after(rig.clock.now(), 12);
    let list = handle(&rig.deps, request("GET", &format!("/console/incidents/{INCIDENT}/subjects"), &dpo, "")).await;
    assert!(list.body().contains(&until.format(format).unwrap()), "{}", list.body());
    let stored = rig.store.subject(&inc(INCIDENT), &rig.subject).await.unwrap().unwrap();
    assert_eq!(stored.retain_until, until, "and the stored date (TTL) moved with it");
}

#[tokio::test]
async fn on_the_local_stack_a_break_glass_view_lands_in_the_outbox_for_the_demo_dpo() {
    let base_url = "http://127.0.0.1:9";
    let stack = sim_cli::local::build(
        &sim_cli::local::Backing::Embedded { speed: 1 },
        base_url,
        Arc::new(sim::clock::ManualClock::new(START)),
        Arc::new(sim::ids::SequentialIds::default()),
    )
    .await
    .unwrap();
    let vault = stack.console.vault.as_ref().expect("the local console has the vault");
    let lambeth = sim::demo::lambeth();
    let police = Reader { id: "met-cad".into(), role: "police".into(), address: None };
    let subject = vault.add(&lambeth, &inc("inc-local"), &record(CANARY), &police).await.unwrap();
    let duty = Reader { id: "stf-lambeth-duty".into(), role: "duty".into(), address: None };
    let purpose =
        sim::vault::Purpose { lawful_basis: SAFEGUARDING.into(), reason: "missing tonight".into(), emergency: true };
    assert!(vault.read(&lambeth, &inc("inc-local"), &subject, &duty, &purpose).await.unwrap().break_glass);
    let sent = stack.outbox.email.as_ref().unwrap().sent();
    let to_dpo: Vec<_> = sent
        .iter()
        .filter_map(|m| match m {
            sim::ports::Outgoing::Email { to, email } if to.as_str() == sim_cli::local::LOCAL_DPO => Some(email),
            _ => None,
        })
        .collect();
    assert_eq!(to_dpo.len(), 1, "{sent:?}");
    assert!(to_dpo[0].subject.contains(subject.as_str()) && !to_dpo[0].text.contains("Quillon"));
}
