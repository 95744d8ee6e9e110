//! The console's directory pages, each action run on the in-memory store and
//! on DynamoDB in moto: contacts edited with versioned writes (a stale page
//! refused), imports checked then applied (removals confirmed, errors by row
//! and column), export, alert gaps by kind, groups and the audit trail; test
//! messages, and their delivery receipts replayed through the receipts function.

use console::{handle, Deps};
use sim::adapters::memory_console::MemoryConsoleStore;
use sim::adapters::memory_queue::MemoryQueue;
use sim::adapters::memory_store::MemoryStore;
use sim::adapters::recording_sender::RecordingSender;
use sim::domain::policy::AlertPolicy;
use sim::domain::staff::{ConsoleRole, StaffId, StaffMember};
use sim::domain::Role;
use sim::ids::{ContactId, GroupId, LicenseeId};
use sim::ports::sessions::SessionStore;
use sim::ports::Store;
use sim_tests::*;
use std::collections::BTreeSet;
use std::sync::Arc;
use time::Duration;

pub struct Rig {
    pub h: Harness,
    pub deps: Deps,
    pub console: Arc<MemoryConsoleStore>,
    /// What the console's test messages went out as, every channel.
    pub sent: Arc<RecordingSender>,
}

async fn rig_on(store: Arc<dyn Store>) -> Rig {
    let h = Harness::new(store, Arc::new(MemoryQueue::new("categorise"))).seeded().await;
    let console = Arc::new(MemoryConsoleStore::new());
    let sent = Arc::new(RecordingSender::default());
    let deps = console_deps(h.store.clone(), Arc::new(MemoryStore::new()), h.clock.clone(), h.ids.clone())
        .console(console.clone())
        .test_sender(sent.clone())
        .build();
    Rig { h, deps, console, sent }
}

/// A signed-in staff member of `licensee` with `roles`: the cookie and the CSRF token.
async fn staff(rig: &Rig, licensee: &str, name: &str, roles: &[ConsoleRole]) -> (String, String) {
    let id = StaffId::parse(&format!("stf-{licensee}-{}", name.to_lowercase().replace(' ', "-"))).unwrap();
    let licensee = LicenseeId::parse(licensee).unwrap();
    let member = StaffMember::new(
        id.clone(),
        licensee.clone(),
        name,
        None,
        None,
        roles.iter().copied().collect::<BTreeSet<_>>(),
        START,
    )
    .unwrap();
    session_for(&rig.console, &member, sim::clock::Clock::now(&*rig.h.clock)).await
}

async fn admin(rig: &Rig) -> (String, String) {
    staff(rig, "lambeth", "Ada Admin", &[ConsoleRole::Admin]).await
}

fn req(method: &str, path: &str, cookie: &str, content_type: &str, body: Vec<u8>) -> http::Request<Vec<u8>> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("cookie", cookie)
        .header("content-type", content_type)
        .body(body)
        .unwrap()
}

async fn get(rig: &Rig, path: &str, cookie: &str) -> http::Response<String> {
    handle(&rig.deps, req("GET", path, cookie, "text/plain", vec![])).await
}

async fn post(rig: &Rig, path: &str, cookie: &str, form: &[(&str, &str)]) -> http::Response<String> {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    let body = form.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
    let body = body.into_bytes();
    handle(&rig.deps, req("POST", path, cookie, "application/x-www-form-urlencoded", body)).await
}

/// Uploads a file as a browser's file input does.
async fn upload(rig: &Rig, cookie: &str, csrf: &str, file: &str) -> http::Response<String> {
    let b = "----simtest7d1";
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"contacts.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{file}\r\n--{b}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={b}");
    handle(&rig.deps, req("POST", "/console/directory/import", cookie, &content_type, body.into_bytes())).await
}

fn lambeth() -> LicenseeId {
    LicenseeId::parse("lambeth").unwrap()
}

fn con(id: &str) -> ContactId {
    ContactId::parse(id).unwrap()
}

/// The hidden `version` field of a page's form.
fn version_in(page: &str) -> String {
    let at = page.find("name=\"version\" value=\"").expect("a version field") + "name=\"version\" value=\"".len();
    page[at..].split('"').next().unwrap().to_owned()
}

fn edit_form<'a>(csrf: &'a str, version: &'a str, mobile: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("version", version),
        ("name", "Director of Communities"),
        ("role", "gold"),
        ("organisation", "London Borough of Lambeth"),
        ("mobile", mobile),
        ("email", "gold@lambeth.sim.example"),
        ("whatsapp_opt_in", "yes"),
        ("whatsapp_opt_in_on", "2026-03-01"),
        ("whatsapp_opt_in_how", "signed consent form"),
        ("deputy", "con-gold-deputy"),
        ("groups", "grp-gold"),
        ("groups", "grp-comms"),
    ]
}

async fn editing_a_contact_saves_a_versioned_change_shown_with_old_and_new_values(rig: Rig) {
    let (cookie, csrf) = admin(&rig).await;
    let list = get(&rig, "/console/directory", &cookie).await;
    assert_eq!(list.status(), 200);
    assert!(list.body().contains("href=\"/console/directory/contacts/con-gold\""), "{}", list.body());
    let view = get(&rig, "/console/directory/contacts/con-gold", &cookie).await;
    assert!(view.body().contains("Director of Communities") && view.body().contains("+447700900002"));

    let form = get(&rig, "/console/directory/contacts/con-gold/edit", &cookie).await;
    assert_eq!(form.status(), 200);
    let version = version_in(form.body());
    let r =
        post(&rig, "/console/directory/contacts/con-gold/edit", &cookie, &edit_form(&csrf, &version, "+447700900999"))
            .await;
    assert_eq!(r.status(), 303, "{}", r.body());
    let saved = rig.h.store.get_contact(&lambeth(), &con("con-gold")).await.unwrap().unwrap();
    assert_eq!(saved.mobile.unwrap().as_str(), "+447700900999");
    let view = get(&rig, "/console/directory/contacts/con-gold", &cookie).await;
    assert!(view.body().contains("given on 2026-03-01: signed consent form"), "{}", view.body());
    assert!(
        view.body().contains("edit by Ada Admin") && view.body().contains("+447700900002"),
        "the contact's history"
    );
    let comms = rig.h.store.groups(&lambeth()).await.unwrap();
    assert!(comms.iter().find(|g| g.id.as_str() == "grp-comms").unwrap().members.contains(&con("con-gold")));

    let changes = get(&rig, "/console/directory/changes", &cookie).await;
    let page = changes.body();
    assert!(page.contains("edit by Ada Admin"), "{page}");
    for part in ["+447700900002", "+447700900999", "grp-comms grp-gold", "2026-03-01: signed consent form"] {
        assert!(page.contains(part), "{part} missing from the audit trail");
    }
    // A stale form token changes nothing.
    let r =
        post(&rig, "/console/directory/contacts/con-gold/edit", &cookie, &edit_form("old", &version, "+447700900111"))
            .await;
    assert_eq!(r.status(), 403);
}

async fn an_edit_from_a_stale_page_is_refused_and_the_colleagues_edit_stands(rig: Rig) {
    let (mine, my_csrf) = admin(&rig).await;
    let (theirs, their_csrf) = staff(&rig, "lambeth", "Col League", &[ConsoleRole::Admin]).await;
    let path = "/console/directory/contacts/con-gold/edit";
    let version = version_in(get(&rig, path, &mine).await.body());
    assert_eq!(version_in(get(&rig, path, &theirs).await.body()), version);
    let r = post(&rig, path, &theirs, &edit_form(&their_csrf, &version, "+447700900555")).await;
    assert_eq!(r.status(), 303);
    let r = post(&rig, path, &mine, &edit_form(&my_csrf, &version, "+447700900666")).await;
    assert_eq!(r.status(), 409);
    assert!(r.body().contains("Reload the page"), "{}", r.body());
    let stored = rig.h.store.get_contact(&lambeth(), &con("con-gold")).await.unwrap().unwrap();
    assert_eq!(stored.mobile.unwrap().as_str(), "+447700900555", "the colleague's edit stands");
}

async fn each_invalid_field_is_named_in_the_error_summary_and_nothing_is_saved(rig: Rig) {
    let (cookie, csrf) = admin(&rig).await;
    let before = rig.h.store.directory_version(&lambeth()).await.unwrap();
    let version = before.to_string();
    let form = [
        ("csrf", csrf.as_str()),
        ("version", &version),
        ("id", "con-new"),
        ("name", ""),
        ("role", "Gold Commander"),
        ("organisation", "Lambeth"),
        ("mobile", "07700 900123"),
        ("email", "not-an-address"),
        ("whatsapp_opt_in_how", "by email"),
        ("deputy", "con-new"),
    ];
    let r = post(&rig, "/console/directory/add", &cookie, &form).await;
    assert_eq!(r.status(), 422);
    let page = r.body();
    assert!(page.contains("error-summary"));
    for (field, text) in [
        ("name", "Name is required"),
        ("role", "Role must be"),
        ("mobile", "Mobile must be in international format"),
        ("email", "Email must contain @"),
        ("whatsapp_opt_in_on", "The day they opted in to WhatsApp is required with how they opted in"),
    ] {
        assert!(page.contains(&format!("href=\"#{field}\"")), "no link to {field}");
        assert!(page.contains(text), "{text} missing: {page}");
    }
    assert_eq!(rig.h.store.directory_version(&lambeth()).await.unwrap(), before);
    assert!(rig.h.store.get_contact(&lambeth(), &con("con-new")).await.unwrap().is_none());

    // Corrected, the contact is added.
    let good = [
        ("csrf", csrf.as_str()),
        ("version", &version),
        ("id", "con-new"),
        ("name", "New Person"),
        ("role", "comms"),
        ("organisation", "Lambeth"),
        ("email", "new@lambeth.sim.example"),
        ("deputy", "con-comms"),
        ("groups", "grp-comms"),
    ];
    let r = post(&rig, "/console/directory/add", &cookie, &good).await;
    assert_eq!(r.status(), 303, "{}", r.body());
    assert_eq!(r.headers()["location"], "/console/directory/contacts/con-new");
    // The same id again is refused, naming the field.
    let version = rig.h.store.directory_version(&lambeth()).await.unwrap().to_string();
    let again: Vec<_> = good.iter().map(|(k, v)| (*k, if *k == "version" { version.as_str() } else { v })).collect();
    let r = post(&rig, "/console/directory/add", &cookie, &again).await;
    assert_eq!(r.status(), 422);
    assert!(r.body().contains("Contact id is already used"));
}

async fn export(rig: &Rig, cookie: &str) -> String {
    let r = get(rig, "/console/directory/export", cookie).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    r.into_body()
}

async fn an_import_is_checked_then_applied_with_removals_confirmed(rig: Rig) {
    let (cookie, csrf) = admin(&rig).await;
    let file = export(&rig, &cookie).await;
    assert!(file.starts_with("id,name,role"));
    // One contact renamed, one removed, one added.
    let file: String = file
        .lines()
        .filter(|l| !l.starts_with("con-youth,"))
        .map(|l| l.replace("Head of Communications", "Director of Communications"))
        .chain(std::iter::once("con-new,New Officer,comms,Lambeth,+447700900321,,no,,grp-comms,,,,".to_owned()))
        .collect::<Vec<_>>()
        .join("\n");
    let before = rig.h.store.directory_version(&lambeth()).await.unwrap();
    let dry = upload(&rig, &cookie, &csrf, &file).await;
    assert_eq!(dry.status(), 200, "{}", dry.body());
    let page = dry.body().to_owned();
    for part in ["1 to add, 1 to change, 1 to remove", "Contacts to remove", "Youth Services Manager", "New Officer"] {
        assert!(page.contains(part), "{part} missing from the dry run: {page}");
    }
    assert_eq!(rig.h.store.directory_version(&lambeth()).await.unwrap(), before, "a dry run changes nothing");

    let version = version_in(&page);
    let apply = |confirm: bool| {
        let mut form = vec![("csrf", csrf.as_str()), ("version", version.as_str()), ("file", file.as_str())];
        if confirm {
            form.push(("confirm_removals", "yes"));
        }
        let (rig, cookie) = (&rig, cookie.clone());
        async move { post(rig, "/console/directory/import/apply", &cookie, &form).await }
    };
    let unconfirmed = apply(false).await;
    assert_eq!(unconfirmed.status(), 422);
    assert!(unconfirmed.body().contains("Confirm that the 1 contacts listed are to be removed"));
    assert!(rig.h.store.get_contact(&lambeth(), &con("con-youth")).await.unwrap().is_some());

    let done = apply(true).await;
    assert_eq!(done.status(), 303, "{}", done.body());
    assert_eq!(rig.h.store.directory_version(&lambeth()).await.unwrap(), before + 1, "one versioned change");
    assert!(rig.h.store.get_contact(&lambeth(), &con("con-youth")).await.unwrap().is_none());
    assert_eq!(
        rig.h.store.get_contact(&lambeth(), &con("con-comms")).await.unwrap().unwrap().name,
        "Director of Communications"
    );
    assert!(rig.h.store.get_contact(&lambeth(), &con("con-new")).await.unwrap().is_some());
    let trail = get(&rig, "/console/directory/changes", &cookie).await;
    assert!(trail.body().contains("import by Ada Admin"));
    assert!(trail.body().contains("Director of Communications") && trail.body().contains("Head of Communications"));
    // Applying the same checked file twice is refused: it was checked against the old version.
    assert_eq!(apply(true).await.status(), 409);
}

async fn a_bad_file_lists_each_error_by_row_and_column_without_its_value(rig: Rig) {
    let (cookie, csrf) = admin(&rig).await;
    let file = "id,name,role,organisation,mobile,email\n\
                con-a,Ann,gold,Lambeth,+447700900001,\n\
                con-b,Bob,gold,Lambeth,07700 900999,\n\
                con-c,Cat,gold,Lambeth,,cat-at-nowhere\n";
    let r = upload(&rig, &cookie, &csrf, file).await;
    assert_eq!(r.status(), 422);
    let page = r.body();
    assert!(page.contains("row 3, column mobile"), "{page}");
    assert!(page.contains("row 4, column email"), "{page}");
    assert!(!page.contains("07700 900999") && !page.contains("cat-at-nowhere"), "a value was echoed");
    assert!(rig.h.store.get_contact(&lambeth(), &con("con-a")).await.unwrap().is_none(), "nothing applied");
    // An empty upload says so.
    let r = upload(&rig, &cookie, &csrf, "").await;
    assert_eq!(r.status(), 422);
    assert!(r.body().contains("Choose a CSV file"));
}

async fn an_import_checked_before_a_colleagues_edit_is_refused_and_the_edit_stands(rig: Rig) {
    let (cookie, csrf) = admin(&rig).await;
    let file = export(&rig, &cookie).await.replace("Head of Communications", "Comms Chief");
    let dry = upload(&rig, &cookie, &csrf, &file).await;
    let version = version_in(dry.body());
    // A colleague edits a contact meanwhile.
    let edit = get(&rig, "/console/directory/contacts/con-gold/edit", &cookie).await;
    let v = version_in(edit.body());
    let r =
        post(&rig, "/console/directory/contacts/con-gold/edit", &cookie, &edit_form(&csrf, &v, "+447700900444")).await;
    assert_eq!(r.status(), 303);
    let r = post(
        &rig,
        "/console/directory/import/apply",
        &cookie,
        &[("csrf", &csrf), ("version", &version), ("file", &file)],
    )
    .await;
    assert_eq!(r.status(), 409);
    assert!(r.body().contains("check the file again"));
    let gold = rig.h.store.get_contact(&lambeth(), &con("con-gold")).await.unwrap().unwrap();
    assert_eq!(gold.mobile.unwrap().as_str(), "+447700900444", "the colleague's edit stands");
    assert_eq!(
        rig.h.store.get_contact(&lambeth(), &con("con-comms")).await.unwrap().unwrap().name,
        "Head of Communications"
    );
}

/// Lambeth's directory changed to have every kind of alert gap.
async fn with_every_kind_of_gap(rig: &Rig) {
    let store = &rig.h.store;
    let mut licensee = store.get_licensee(&lambeth()).await.unwrap().unwrap();
    let mut policies = AlertPolicy::defaults();
    policies[0].groups.push(GroupId::parse("grp-missing").unwrap());
    policies[2].lead_role = Role::parse("director").unwrap();
    licensee.policies = Some(policies);
    store.put_licensee(&licensee).await.unwrap();
    let groups = store.groups(&lambeth()).await.unwrap();
    let mut comms = groups.iter().find(|g| g.id.as_str() == "grp-comms").unwrap().clone();
    comms.members.clear();
    store.put_group(&comms).await.unwrap();
    let mut health = groups.iter().find(|g| g.id.as_str() == "grp-health").unwrap().clone();
    health.members.push(con("con-ghost"));
    store.put_group(&health).await.unwrap();
    let mut csl = store.get_contact(&lambeth(), &con("con-csl")).await.unwrap().unwrap();
    csl.deputy = None;
    store.put_contact(&csl).await.unwrap();
    let mut liaison = store.get_contact(&lambeth(), &con("con-police-liaison")).await.unwrap().unwrap();
    (liaison.mobile, liaison.email) = (None, None);
    store.put_contact(&liaison).await.unwrap();
    let mut comms_head = store.get_contact(&lambeth(), &con("con-comms")).await.unwrap().unwrap();
    comms_head.deputy = Some(con("con-gone"));
    store.put_contact(&comms_head).await.unwrap();
}

async fn the_gaps_page_lists_each_kind_of_gap_in_its_own_section(rig: Rig) {
    let (cookie, _) = admin(&rig).await;
    with_every_kind_of_gap(&rig).await;
    let r = get(&rig, "/console/directory/gaps", &cookie).await;
    assert_eq!(r.status(), 200);
    let page = r.body();
    let section = |id: &str| {
        let start = page.find(&format!("<h2 id=\"{id}\"")).unwrap_or_else(|| panic!("no section {id}"));
        let rest = &page[start..];
        rest[..rest.find("</section>").unwrap()].to_owned()
    };
    for (id, expected) in [
        ("missing-group", "group grp-missing is named by the CRITICAL policy but does not exist"),
        ("empty-group", "group grp-comms is named by the SERIOUS VIOLENCE, CRITICAL policy but has nobody in it"),
        ("nobody-in-role", "nobody alerted for INCIDENT OF NOTE has the role director"),
        ("no-deputy", "nobody with the role community-safety-lead (leading SERIOUS VIOLENCE) has a deputy"),
        (
            "no-channel",
            "Police Liaison Officer (con-police-liaison) is alerted for CRITICAL but has no mobile or email",
        ),
        ("no-opt-in", "Public Health Lead (con-health) would get SERIOUS VIOLENCE alerts on WhatsApp"),
        ("missing-member", "group grp-health lists con-ghost, who is not in the directory"),
        ("missing-deputy", "Head of Communications (con-comms) has deputy con-gone, who is not in the directory"),
    ] {
        assert!(section(id).contains(expected), "section {id} lacks: {expected}\n{}", section(id));
    }
    assert!(!page.contains("+44770090"), "a phone number on the gaps page");
}

async fn the_groups_page_shows_members_and_the_policies_that_alert_them(rig: Rig) {
    let (cookie, _) = admin(&rig).await;
    let r = get(&rig, "/console/directory/groups", &cookie).await;
    assert_eq!(r.status(), 200);
    let page = r.body();
    let row = |name: &str| {
        let start = page.find(name).unwrap_or_else(|| panic!("no group {name}"));
        let rest = &page[start..];
        rest[..rest.find("</tr>").unwrap()].to_owned()
    };
    let education = row("Education and youth services");
    assert!(education.contains("Head of Education Safeguarding") && education.contains("Youth Services Manager"));
    assert!(education.contains("SERIOUS VIOLENCE, if a victim is under 18"), "{education}");
    let chief = row("Chief executive");
    assert!(chief.contains("CRITICAL, escalation step 2"), "{chief}");
    let community = row("Community safety team");
    assert!(community.contains("CRITICAL") && community.contains("INCIDENT OF NOTE"), "{community}");
}

async fn only_admins_of_the_licensee_reach_the_directory(rig: Rig) {
    let (duty, duty_csrf) = staff(&rig, "lambeth", "Dee Duty", &[ConsoleRole::Duty]).await;
    let (kent, kent_csrf) = staff(&rig, "kent", "Kay Admin", &[ConsoleRole::Admin]).await;
    for path in ["/console/directory", "/console/directory/gaps", "/console/directory/export"] {
        assert_eq!(get(&rig, path, &duty).await.status(), 403, "{path}");
        assert_eq!(get(&rig, path, &kent).await.status(), 200, "{path}: Kent's admin sees Kent's directory");
    }
    let kent_list = get(&rig, "/console/directory", &kent).await;
    assert!(!kent_list.body().contains("con-gold"), "Kent's admin sees Lambeth's contacts");
    let path = "/console/directory/contacts/con-gold/edit";
    assert_eq!(get(&rig, path, &kent).await.status(), 404);
    let r = post(&rig, path, &kent, &edit_form(&kent_csrf, "0", "+447700900123")).await;
    assert_eq!(r.status(), 404);
    let r = post(&rig, path, &duty, &edit_form(&duty_csrf, "0", "+447700900123")).await;
    assert_eq!(r.status(), 403);
    let remove = "/console/directory/contacts/con-gold/remove";
    assert_eq!(post(&rig, remove, &kent, &[("csrf", &kent_csrf), ("version", "0")]).await.status(), 404);
    let gold = rig.h.store.get_contact(&lambeth(), &con("con-gold")).await.unwrap().unwrap();
    assert_eq!(gold.mobile.unwrap().as_str(), "+447700900002", "nothing changed");
    // Signed out: the sign-in page.
    assert!(get(&rig, "/console/directory", "").await.body().contains("Sign in to the SIM console"));
}

async fn removing_a_contact_takes_them_out_of_their_groups(rig: Rig) {
    let (cookie, csrf) = admin(&rig).await;
    let view = get(&rig, "/console/directory/contacts/con-csl", &cookie).await;
    let version = version_in(view.body());
    let r =
        post(&rig, "/console/directory/contacts/con-csl/remove", &cookie, &[("csrf", &csrf), ("version", &version)])
            .await;
    assert_eq!(r.status(), 303);
    assert!(rig.h.store.get_contact(&lambeth(), &con("con-csl")).await.unwrap().is_none());
    let groups = rig.h.store.groups(&lambeth()).await.unwrap();
    assert!(groups.iter().all(|g| !g.members.contains(&con("con-csl"))));
    assert_eq!(get(&rig, "/console/directory/contacts/con-csl", &cookie).await.status(), 404);
    let trail = get(&rig, "/console/directory/changes", &cookie).await;
    assert!(trail.body().contains("Removed") && trail.body().contains("Community Safety Lead"));
}

/// The key shown on the page, once.
fn key_in(page: &str) -> sim::domain::ApiKey {
    let at = page.find("id=\"key\" value=\"").expect("a key on the page") + "id=\"key\" value=\"".len();
    sim::domain::ApiKey::parse(page[at..].split('"').next().unwrap()).expect("a key").1
}

async fn report_with(rig: &Rig, key: &sim::domain::ApiKey, reference: &str) -> u16 {
    let mut body = event_body("intake-report.json");
    body["police_reference"] = reference.into();
    rig.h.call(request("POST", "/v1/incidents", Some(key), Some(body.to_string()))).await.status().as_u16()
}

async fn an_admin_adds_a_police_caller_sees_its_key_once_and_revokes_it(rig: Rig) {
    let (cookie, csrf) = admin(&rig).await;
    let list = get(&rig, "/console/directory/callers", &cookie).await;
    assert!(list.body().contains("Met Police CAD, Lambeth BCU"), "{}", list.body());
    assert!(!list.body().contains("Kent Police control room"), "another council's caller is listed");

    let form = [("csrf", csrf.as_str()), ("id", "lambeth-cctv"), ("name", "Lambeth CCTV control room")];
    let r = post(&rig, "/console/directory/callers", &cookie, &form).await;
    assert_eq!(r.status(), 200, "{}", r.body());
    assert_eq!(r.headers()["cache-control"], "no-store");
    let key = key_in(r.body());
    assert!(key.reveal().starts_with("sim_lambeth-cctv_"));
    assert_eq!(report_with(&rig, &key, "CAD 1/22NOV26").await, 202, "the new key reports to Lambeth");
    let list = get(&rig, "/console/directory/callers", &cookie).await;
    assert!(list.body().contains("Lambeth CCTV control room") && !list.body().contains(key.reveal()), "shown twice");
    // The same id again is refused, naming the field.
    let again = post(&rig, "/console/directory/callers", &cookie, &form).await;
    assert_eq!(again.status(), 422);
    assert!(again.body().contains("href=\"#id\"") && again.body().contains("Caller id is already used"));

    let revoke = "/console/directory/callers/lambeth-cctv/revoke";
    assert_eq!(post(&rig, revoke, &cookie, &[("csrf", "stale")]).await.status(), 403);
    assert_eq!(report_with(&rig, &key, "CAD 2/22NOV26").await, 202, "a stale form revoked the key");
    assert_eq!(post(&rig, revoke, &cookie, &[("csrf", &csrf)]).await.status(), 303);
    // A warm intake refuses a revoked key once its kept read of the caller lapses (`READ_TTL`).
    rig.h.clock.advance(intake::reads::READ_TTL);
    assert_eq!(report_with(&rig, &key, "CAD 3/22NOV26").await, 401, "a revoked key is refused");
    assert!(get(&rig, "/console/directory/callers", &cookie).await.body().contains("Revoked"));

    let renewed = post(&rig, "/console/directory/callers/lambeth-cctv/key", &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(renewed.status(), 200);
    let new_key = key_in(renewed.body());
    assert_eq!(report_with(&rig, &new_key, "CAD 4/22NOV26").await, 202);
    assert_eq!(report_with(&rig, &key, "CAD 5/22NOV26").await, 401, "the old key stays refused");

    // Kent's admin cannot touch Lambeth's callers.
    let (kent, kent_csrf) = staff(&rig, "kent", "Kay Admin", &[ConsoleRole::Admin]).await;
    let kent_key = "/console/directory/callers/lambeth-cctv/key";
    assert_eq!(post(&rig, kent_key, &kent, &[("csrf", &kent_csrf)]).await.status(), 404);
    assert_eq!(report_with(&rig, &new_key, "CAD 6/22NOV26").await, 202, "Kent changed Lambeth's key");
    let trail: Vec<_> =
        rig.console.audit(Some(&lambeth())).await.unwrap().into_iter().map(|e| (e.kind, e.reason)).collect();
    use sim::ports::sessions::AuditKind::{CallerKeyIssued, CallerKeyRevoked};
    let cctv = |k| trail.iter().filter(|(kind, r)| *kind == k && r == "lambeth-cctv").count();
    assert_eq!((cctv(CallerKeyIssued), cctv(CallerKeyRevoked)), (2, 1));
}

async fn marking_a_contact_away_stores_their_last_day_and_a_bad_date_is_named(rig: Rig) {
    let (cookie, csrf) = admin(&rig).await;
    let path = "/console/directory/contacts/con-gold/edit";
    let version = version_in(get(&rig, path, &cookie).await.body());
    let mut form = edit_form(&csrf, &version, "+447700900002");
    form.push(("away_until", "24 December"));
    let r = post(&rig, path, &cookie, &form).await;
    assert_eq!(r.status(), 422);
    assert!(r.body().contains("href=\"#away_until\""), "{}", r.body());
    assert_eq!(rig.h.store.get_contact(&lambeth(), &con("con-gold")).await.unwrap().unwrap().away_until, None);

    form.pop();
    form.push(("away_until", "2026-12-24"));
    let r = post(&rig, path, &cookie, &form).await;
    assert_eq!(r.status(), 303, "{}", r.body());
    let saved = rig.h.store.get_contact(&lambeth(), &con("con-gold")).await.unwrap().unwrap();
    assert_eq!(saved.away_until, Some(time::macros::date!(2026 - 12 - 24)));
    let again = get(&rig, path, &cookie).await;
    assert!(again.body().contains("value=\"2026-12-24\""), "the form shows the day: {}", again.body());
}

const TEST_PAGE: &str = "/console/directory/contacts/con-gold/test";

async fn a_test_message_goes_through_the_sender_marked_as_a_test_and_shows_on_the_contact(rig: Rig) {
    use sim::ports::sender::Outgoing;
    let (cookie, csrf) = admin(&rig).await;
    let view = get(&rig, "/console/directory/contacts/con-gold", &cookie).await;
    assert!(view.body().contains("No test messages have been sent"), "{}", view.body());
    for button in ["Send a test message by SMS", "Send a test message by email", "Send a test message by WhatsApp"] {
        assert!(view.body().contains(button), "{button} missing: {}", view.body());
    }
    assert!(view.body().contains(&format!("action=\"{TEST_PAGE}\"")));

    let r = post(&rig, TEST_PAGE, &cookie, &[("csrf", &csrf), ("channel", "sms")]).await;
    assert_eq!(r.status(), 303, "{}", r.body());
    let back = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(back, "/console/directory/contacts/con-gold?test=sms");
    let sent = rig.sent.sent();
    assert_eq!(sent.len(), 1);
    let Outgoing::Sms { to, text } = &sent[0] else { panic!("not an SMS: {:?}", sent[0]) };
    assert_eq!(to.as_str(), "+447700900002");
    assert!(text.starts_with("SIM TEST MESSAGE") && text.contains("there is no incident"), "{text}");
    assert!(!text.contains("inc-") && !text.contains("http"), "a test names no incident and carries no link: {text}");

    let page = get(&rig, &back, &cookie).await;
    let body = page.body();
    assert!(body.contains("role=\"status\""), "a banner after sending: {body}");
    assert!(body.contains("Test message by SMS to Director of Communities at"), "{body}");
    assert!(body.contains("Sent: the provider took it"), "{body}");
    assert!(!body.contains("No test messages have been sent"), "the outcome is listed: {body}");
    let recorded = rig.h.store.test_messages(&lambeth(), &con("con-gold")).await.unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].by, "stf-lambeth-ada-admin");
    assert!(
        matches!(&recorded[0].outcome, sim::ports::store::TestOutcome::Sent { provider_message_id } if provider_message_id == "local-1")
    );

    let r = post(&rig, TEST_PAGE, &cookie, &[("csrf", &csrf), ("channel", "email")]).await;
    assert_eq!(r.status(), 303, "{}", r.body());
    let sent = rig.sent.sent();
    let Outgoing::Email { email, .. } = &sent[1] else { panic!("not an email: {:?}", sent[1]) };
    assert!(email.subject.starts_with("[TEST]"), "{}", email.subject);
    let page = get(&rig, "/console/directory/contacts/con-gold?test=email", &cookie).await;
    assert!(page.body().contains("Test message by email to Director of Communities"), "{}", page.body());
    assert_eq!(rig.h.store.test_messages(&lambeth(), &con("con-gold")).await.unwrap().len(), 2);

    // An expired form or a channel that is not one sends nothing.
    assert_eq!(post(&rig, TEST_PAGE, &cookie, &[("csrf", "old"), ("channel", "sms")]).await.status(), 403);
    assert_eq!(post(&rig, TEST_PAGE, &cookie, &[("csrf", &csrf), ("channel", "pigeon")]).await.status(), 400);
    assert_eq!(get(&rig, TEST_PAGE, &cookie).await.status(), 405);
    assert_eq!(rig.sent.sent().len(), 2);
    assert_eq!(rig.h.store.test_messages(&lambeth(), &con("con-gold")).await.unwrap().len(), 2);
}

/// A sample SQS event's body (`events/FILE`), with the provider's message id
/// `sample_id` replaced by `provider_id` and each `(from, to)` replaced.
fn receipt_body(file: &str, sample_id: &str, provider_id: &str, replace: &[(&str, &str)]) -> String {
    let path = format!("{}/../events/{file}", env!("CARGO_MANIFEST_DIR"));
    let event: aws_lambda_events::event::sqs::SqsEvent =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let body = event.records[0].body.clone().unwrap().replace(sample_id, provider_id);
    replace.iter().fold(body, |body, (from, to)| body.replace(from, to))
}

/// The receipts function as deployed beside this console's store.
fn receipts_deps(rig: &Rig) -> receipts::Deps {
    receipts::Deps {
        store: rig.h.store.clone(),
        queues: sim_tests::memory_channel_queues(),
        clock: rig.h.clock.clone(),
        ids: rig.h.ids.clone(),
        link_key: sim::links::LinkKey::generate(),
        link_lifetime: Duration::days(7),
        sms_replies: None,
    }
}

async fn a_test_messages_delivery_receipt_shows_on_the_contact(rig: Rig) {
    use receipts::Outcome;
    use sim::ports::store::TestOutcome;
    const SES_SAMPLE: &str = "0102019355aa11bb-7c3e2f10-5d4a-4e8b-9f61-2a7c0b9e4d13-000000";
    const SMS_SAMPLE: &str = "6a1e7c1b-2f4d-4b8e-9a3c-0d5e8f7a1b2c";
    let (cookie, csrf) = admin(&rig).await;
    // An SMS and an email at 02:10, another SMS a minute later.
    for channel in ["sms", "email"] {
        assert_eq!(post(&rig, TEST_PAGE, &cookie, &[("csrf", &csrf), ("channel", channel)]).await.status(), 303);
    }
    rig.h.clock.advance(Duration::minutes(1));
    assert_eq!(post(&rig, TEST_PAGE, &cookie, &[("csrf", &csrf), ("channel", "sms")]).await.status(), 303);
    let tests = rig.h.store.test_messages(&lambeth(), &con("con-gold")).await.unwrap();
    let id_of = |channel: sim::domain::policy::Channel, minute: u8| {
        let t = tests.iter().find(|t| t.channel == channel && t.at.minute() == minute).expect("the test is recorded");
        match &t.outcome {
            TestOutcome::Sent { provider_message_id } => provider_message_id.clone(),
            other => panic!("not sent: {other:?}"),
        }
    };
    use sim::domain::policy::Channel;
    let (sms, email, blocked) = (id_of(Channel::Sms, 10), id_of(Channel::Email, 10), id_of(Channel::Sms, 11));
    let page = get(&rig, "/console/directory/contacts/con-gold", &cookie).await;
    assert_eq!(page.body().matches("No receipt yet").count(), 3, "{}", page.body());

    // The providers' receipts, as SNS puts them on the receipts queue, through the receipts function.
    let deps = receipts_deps(&rig);
    let at = |hms: &str| {
        let t = time::PrimitiveDateTime::parse(
            &format!("2026-11-21 {hms}"),
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        )
        .unwrap()
        .assume_utc();
        (t.unix_timestamp() * 1000).to_string()
    };
    let delivered =
        receipt_body("receipts-sms-delivered.json", SMS_SAMPLE, &sms, &[("1795226504000", &at("02:11:30"))]);
    let blocked_at = at("02:12:40");
    let blocked_body = receipt_body(
        "receipts-sms-carrier-unreachable.json",
        SMS_SAMPLE,
        &blocked,
        &[
            ("TEXT_CARRIER_UNREACHABLE", "TEXT_BLOCKED"),
            ("Carrier is unreachable", "Blocked"),
            ("1795226504000", &blocked_at),
        ],
    );
    let ses = receipt_body("receipts-ses-delivery.json", SES_SAMPLE, &email, &[]);
    for body in [&delivered, &blocked_body, &ses] {
        // Found at once (no NotYet, no retry into the dead-letter queue).
        let outcomes = receipts::handle(&deps, body).await.expect("a test message's receipt is matched");
        assert_eq!(outcomes, [Outcome::TestMessage { advanced: true }]);
    }
    // A duplicate changes nothing; no fallback, no alert.
    assert_eq!(receipts::handle(&deps, &ses).await.unwrap(), [Outcome::TestMessage { advanced: false }]);
    for q in [&deps.queues.sms, &deps.queues.email, &deps.queues.whatsapp] {
        assert!(drain(&**q).await.is_empty(), "a test's failure falls back to nothing");
    }

    let page = get(&rig, "/console/directory/contacts/con-gold", &cookie).await;
    let body = page.body();
    assert!(!body.contains("No receipt yet"), "{body}");
    let row = |channel: &str, at: &str| {
        format!("<td>21 Nov 2026 {at} UTC</td><td>{channel}</td><td>Sent: the provider took it</td>")
    };
    for (row, delivery) in [
        (row("SMS", "02:10"), "Delivered 02:11 UTC"),
        (row("email", "02:10"), "Delivered 02:10 UTC"),
        (row("SMS", "02:11"), "Failed 02:12 UTC: TEXT_BLOCKED: Blocked"),
    ] {
        assert!(body.contains(&format!("{row}<td>{delivery}</td>")), "{row} {delivery}: {body}");
    }
}

async fn only_admins_of_the_licensee_send_test_messages(rig: Rig) {
    let (duty, duty_csrf) = staff(&rig, "lambeth", "Dee Duty", &[ConsoleRole::Duty]).await;
    let (kent, kent_csrf) = staff(&rig, "kent", "Kay Admin", &[ConsoleRole::Admin]).await;
    assert_eq!(post(&rig, TEST_PAGE, &kent, &[("csrf", &kent_csrf), ("channel", "sms")]).await.status(), 404);
    assert_eq!(post(&rig, TEST_PAGE, &duty, &[("csrf", &duty_csrf), ("channel", "sms")]).await.status(), 403);
    assert!(rig.sent.sent().is_empty(), "nothing was sent");
    assert!(rig.h.store.test_messages(&lambeth(), &con("con-gold")).await.unwrap().is_empty());
}

async fn without_whatsapp_configured_its_button_says_so_and_nothing_is_sent(mut rig: Rig) {
    rig.deps.test_senders.whatsapp = None;
    let (cookie, csrf) = admin(&rig).await;
    let view = get(&rig, "/console/directory/contacts/con-gold", &cookie).await;
    assert!(!view.body().contains("Send a test message by WhatsApp"), "{}", view.body());
    assert!(view.body().contains("WhatsApp is not set up for this console"), "{}", view.body());
    assert!(view.body().contains("Send a test message by SMS"));
    let r = post(&rig, TEST_PAGE, &cookie, &[("csrf", &csrf), ("channel", "whatsapp")]).await;
    assert_eq!(r.status(), 303);
    let page = get(&rig, r.headers()["location"].to_str().unwrap(), &cookie).await;
    assert!(page.body().contains("No test message was sent: WhatsApp is not set up"), "{}", page.body());
    assert!(rig.sent.sent().is_empty());
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::rig_on(std::sync::Arc::new(sim::adapters::memory_store::MemoryStore::new())).await).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test]
                async fn $name() {
                    sim_tests::needs_moto!();
                    super::$name(super::rig_on(std::sync::Arc::new(sim_tests::moto_store().await)).await).await;
                }
            )*
        }
    };
}

both!(
    editing_a_contact_saves_a_versioned_change_shown_with_old_and_new_values,
    an_edit_from_a_stale_page_is_refused_and_the_colleagues_edit_stands,
    each_invalid_field_is_named_in_the_error_summary_and_nothing_is_saved,
    an_import_is_checked_then_applied_with_removals_confirmed,
    a_bad_file_lists_each_error_by_row_and_column_without_its_value,
    an_import_checked_before_a_colleagues_edit_is_refused_and_the_edit_stands,
    the_gaps_page_lists_each_kind_of_gap_in_its_own_section,
    the_groups_page_shows_members_and_the_policies_that_alert_them,
    only_admins_of_the_licensee_reach_the_directory,
    removing_a_contact_takes_them_out_of_their_groups,
    an_admin_adds_a_police_caller_sees_its_key_once_and_revokes_it,
    marking_a_contact_away_stores_their_last_day_and_a_bad_date_is_named,
    a_test_message_goes_through_the_sender_marked_as_a_test_and_shows_on_the_contact,
    a_test_messages_delivery_receipt_shows_on_the_contact,
    only_admins_of_the_licensee_send_test_messages,
    without_whatsapp_configured_its_button_says_so_and_nothing_is_sent,
);
