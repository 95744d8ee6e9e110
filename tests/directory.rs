//! The council's directory: CSV import (dry run, row errors, versioned apply,
//! a colleague's concurrent edit), export, the CLI commands, alert gaps and
//! test messages. In memory and on moto.

use sim::adapters::memory_store::MemoryStore;
use sim::adapters::recording_sender::RecordingSender;
use sim::clock::ManualClock;
use sim::directory::{self, CsvError, Gap, ImportError, Limits};
use sim::domain::category::Category;
use sim::domain::policy::Channel;
use sim::domain::rota::Rota;
use sim::domain::{AreaName, Contact, EmailAddress, Group, LicenceStatus, Licensee, PhoneNumber, Role, Tier};
use sim::ids::{ContactId, GroupId, LicenseeId};
use sim::ports::sender::{Outgoing, SendError, Sender};
use sim::ports::store::prelude::*;
use sim::ports::store::{ChangeRecord, DirectoryChange, TestOutcome};
use sim::ports::Store;
use sim_cli::directory::{run, DirectoryCommand};
use sim_tests::*;

const HEADER: &str = "id,name,role,organisation,mobile,email,whatsapp_opt_in,deputy,groups\n";

/// A directory of `n` people: everyone in a group, every tenth one gold with the next as deputy.
fn rows(n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| {
            let (role, group, deputy) = if i % 10 == 1 && i < n {
                ("gold", "grp-gold", format!("c-{:04}", i + 1))
            } else {
                ("community-safety-lead", "grp-community-safety", String::new())
            };
            format!(
                "c-{i:04},Person {i},{role},Lambeth Council,+44 7700 9{i:05},p{i}@lambeth.gov.uk,{},{deputy},{group};grp-comms",
                if i % 2 == 0 { "yes" } else { "no" }
            )
        })
        .collect()
}

fn file(rows: &[String]) -> Vec<u8> {
    format!("{HEADER}{}\n", rows.join("\n")).into_bytes()
}

fn clock() -> ManualClock {
    ManualClock::new(START)
}

async fn seeded(store: &dyn Store) {
    sim::demo::seed(store, START.date(), &fixed_keys()).await.unwrap();
}

async fn five_hundred_rows_with_three_bad_ones(store: &dyn Store) {
    seeded(store).await;
    let lambeth = sim::demo::lambeth();
    let before = store.contacts(&lambeth).await.unwrap();
    let mut lines = rows(500);
    // Data row k is spreadsheet row k + 1 (the header is row 1).
    lines[9] = lines[9].replace("+44 7700 900010", "07700 900010");
    lines[249] = lines[249].replace("community-safety-lead", "Community Safety Lead");
    lines[399] = lines[399].replace("p400@lambeth.gov.uk", "p400-at-lambeth");
    let Err(ImportError::File(CsvError::Rows(errors))) =
        directory::plan_import(store, &lambeth, &file(&lines), Limits::default()).await
    else {
        panic!("a file with bad rows was accepted")
    };
    let found: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
    assert_eq!(found, [(11, "mobile"), (251, "role"), (401, "email")]);
    assert!(errors[0].reason.contains("international format"), "{}", errors[0]);
    assert_eq!(store.contacts(&lambeth).await.unwrap(), before, "nothing applied");
    assert_eq!(store.directory_version(&lambeth).await.unwrap(), 0);

    // The corrected file: a plan, refused until its removals are confirmed, then applied as one change.
    let plan = directory::plan_import(store, &lambeth, &file(&rows(500)), Limits::default()).await.unwrap();
    assert_eq!((plan.added.len(), plan.changed.len(), plan.removed.len()), (500, 0, 10));
    assert!(matches!(
        directory::apply(store, &plan, false, "cli:test", &clock()).await,
        Err(ImportError::RemovalsNotConfirmed(10))
    ));
    assert_eq!(store.contacts(&lambeth).await.unwrap(), before, "nothing applied without confirmation");
    assert_eq!(directory::apply(store, &plan, true, "cli:test", &clock()).await.unwrap(), 1);
    let after = store.contacts(&lambeth).await.unwrap();
    assert_eq!(after.len(), 500);
    let gold = store.groups(&lambeth).await.unwrap().into_iter().find(|g| g.id.as_str() == "grp-gold").unwrap();
    assert_eq!(gold.members.len(), 50);
    assert_eq!(gold.name, "Gold (leadership)", "an existing group keeps its name");
    let audit = store.directory_changes(&lambeth).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].version, audit[0].by.as_str(), audit[0].added.len(), audit[0].removed.len()),
        (1, "cli:test", 500, 10)
    );

    // The same file again changes nothing.
    let again = directory::plan_import(store, &lambeth, &file(&rows(500)), Limits::default()).await.unwrap();
    assert!(again.is_empty() && again.unchanged == 500, "{again}");
}

async fn a_colleagues_edit_during_an_import_is_not_lost(store: &dyn Store) {
    seeded(store).await;
    let lambeth = sim::demo::lambeth();
    let mut lines = rows(20);
    let plan = directory::plan_import(store, &lambeth, &file(&lines), Limits::default()).await.unwrap();
    directory::apply(store, &plan, true, "cli:first", &clock()).await.unwrap();

    // Someone checks a new file (version 1) ...
    lines[4] = lines[4].replace("Person 5", "Person Five");
    let checked = directory::plan_import(store, &lambeth, &file(&lines), Limits::default()).await.unwrap();
    assert_eq!(checked.changed.len(), 1);
    // ... while a colleague changes a phone number in the console.
    let id = ContactId::parse("c-0007").unwrap();
    let mut edited = store.get_contact(&lambeth, &id).await.unwrap().unwrap();
    edited.mobile = Some(PhoneNumber::parse("+447700900777").unwrap());
    let edit = DirectoryChange {
        licensee_id: lambeth.clone(),
        base_version: 1,
        put_contacts: vec![edited.clone()],
        remove_contacts: vec![],
        put_groups: vec![],
        record: ChangeRecord {
            licensee_id: lambeth.clone(),
            version: 2,
            at: START,
            by: "staff-jo".into(),
            how: "edit".into(),
            added: vec![],
            changed: vec![id.clone()],
            removed: vec![],
            groups: vec![],
            values: vec![],
            values_omitted: 0,
        },
    };
    assert_eq!(store.apply_directory_change(&edit).await.unwrap(), 2);

    // The import checked before the edit is refused and writes nothing.
    assert!(matches!(directory::apply(store, &checked, true, "cli:second", &clock()).await, Err(ImportError::Stale)));
    assert_eq!(store.get_contact(&lambeth, &id).await.unwrap().unwrap(), edited, "the colleague's edit stands");
    let five = store.get_contact(&lambeth, &ContactId::parse("c-0005").unwrap()).await.unwrap().unwrap();
    assert_eq!(five.name, "Person 5", "the stale import wrote nothing");

    // Checked again, the import shows that it would undo the colleague's edit.
    let rechecked = directory::plan_import(store, &lambeth, &file(&lines), Limits::default()).await.unwrap();
    let changes: Vec<(&str, &[&str])> =
        rechecked.changed.iter().map(|c| (c.after.id.as_str(), c.fields.as_slice())).collect();
    assert_eq!(changes, [("c-0005", &["name"][..]), ("c-0007", &["mobile"][..])]);
    assert_eq!(directory::apply(store, &rechecked, false, "cli:second", &clock()).await.unwrap(), 3);
    let who: Vec<(u32, String)> =
        store.directory_changes(&lambeth).await.unwrap().into_iter().map(|r| (r.version, r.by)).collect();
    assert_eq!(who, [(1, "cli:first".into()), (2, "staff-jo".into()), (3, "cli:second".into())]);
}

async fn export_reads_back_unchanged(store: &dyn Store) {
    seeded(store).await;
    let lambeth = sim::demo::lambeth();
    let exported = directory::export(store, &lambeth).await.unwrap();
    let text = String::from_utf8(exported.clone()).unwrap();
    assert!(
        text.starts_with(&HEADER.replace('\n', ",away_until,rota,whatsapp_opt_in_on,whatsapp_opt_in_how\n")),
        "{text}"
    );
    assert_eq!(text.lines().count(), 11);
    let plan = directory::plan_import(store, &lambeth, &exported, Limits::default()).await.unwrap();
    assert!(plan.is_empty(), "an exported file imports as no change: {plan}");
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;

            #[tokio::test]
            async fn memory() {
                super::$name(&MemoryStore::new()).await;
            }

            #[tokio::test]
            async fn moto() {
                needs_moto!();
                super::$name(&moto_store().await).await;
            }
        }
    )*};
}

/// A rota and an away date from the file: stored with the group and the
/// contact, read back by export, and an unchanged export imports as no change.
async fn a_rota_and_an_away_date_come_from_the_file(store: &dyn Store) {
    seeded(store).await;
    let lambeth = sim::demo::lambeth();
    let exported = String::from_utf8(directory::export(store, &lambeth).await.unwrap()).unwrap();
    // Comms becomes a weekly rota of three, turns from Monday 09:00 UK time; the health lead is away.
    let mut lines: Vec<String> = exported
        .lines()
        .map(|l| match l.split(',').next() {
            Some("con-comms") => l.replace(",grp-comms,,", ",,,grp-comms@2026-11-09"),
            Some("con-health") => l.replace(",grp-health,,", ",grp-health,2026-12-24,"),
            _ => l.to_owned(),
        })
        .collect();
    lines.push(
        "c-comms-2,Second Comms Officer,comms,Lambeth Council,+447700900555,,no,,,,grp-comms@2026-11-16,,".into(),
    );
    lines
        .push("c-comms-3,Third Comms Officer,comms,Lambeth Council,+447700900556,,no,,,,grp-comms@2026-11-02,,".into());
    let plan = directory::plan_import(store, &lambeth, lines.join("\n").as_bytes(), Limits::default()).await.unwrap();
    let dry_run = plan.to_string();
    assert!(
        dry_run.contains("group grp-comms: joined c-comms-3 c-comms-2 a rota, turns of 7 day(s) from 2026-11-02T09:00 UK time, in turn order: c-comms-3 con-comms c-comms-2"),
        "{dry_run}"
    );
    directory::apply(store, &plan, false, "cli:test", &clock()).await.unwrap();
    let groups = store.groups(&lambeth).await.unwrap();
    let comms = groups.iter().find(|g| g.id.as_str() == "grp-comms").unwrap();
    assert_eq!(comms.rota, Some(Rota::weekly_from(time::macros::date!(2026 - 11 - 02))));
    let order: Vec<&str> = comms.members.iter().map(|m| m.as_str()).collect();
    assert_eq!(order, ["c-comms-3", "con-comms", "c-comms-2"], "in turn order");
    let health = store.get_contact(&lambeth, &ContactId::parse("con-health").unwrap()).await.unwrap().unwrap();
    assert_eq!(health.away_until, Some(time::macros::date!(2026 - 12 - 24)));

    let again = directory::export(store, &lambeth).await.unwrap();
    let text = String::from_utf8(again.clone()).unwrap();
    assert!(text.contains(",grp-comms@2026-11-09,,\n") && text.contains(",2026-12-24,"), "{text}");
    let plan = directory::plan_import(store, &lambeth, &again, Limits::default()).await.unwrap();
    assert!(plan.is_empty(), "an exported rota imports as no change: {plan}");

    // Turns that do not follow on are refused on their row.
    let mut gap = lines.clone();
    let last = gap.len() - 1;
    gap[last] = gap[last].replace("@2026-11-02", "@2026-10-26");
    let Err(ImportError::File(CsvError::Rows(errors))) =
        directory::plan_import(store, &lambeth, gap.join("\n").as_bytes(), Limits::default()).await
    else {
        panic!("a rota with a week uncovered was accepted")
    };
    let at: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
    assert_eq!(at, [(last, "rota")], "the second comms officer's turn no longer follows on: {errors:?}");
}

both!(
    a_rota_and_an_away_date_come_from_the_file,
    five_hundred_rows_with_three_bad_ones,
    a_colleagues_edit_during_an_import_is_not_lost,
    export_reads_back_unchanged
);

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(unique(name));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test]
async fn import_contacts_prints_the_dry_run_then_applies_and_bad_files_fail_with_their_rows() {
    let store = MemoryStore::new();
    seeded(&store).await;
    let lambeth = sim::demo::lambeth();
    let mut lines = rows(3);
    let good = temp_file("good.csv", &file(&lines));
    let import = |file: &std::path::Path, dry_run, confirm_removals| DirectoryCommand::ImportContacts {
        file: file.to_owned(),
        licensee: lambeth.clone(),
        dry_run,
        confirm_removals,
    };

    let mut out = Vec::new();
    run(&store, import(&good, true, false), &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("3 added, 0 changed, 10 removed"), "{text}");
    assert!(text.contains("+ c-0001  Person 1 (gold)") && text.contains("- con-gold"), "{text}");
    assert!(text.contains("dry run: nothing applied") && text.contains("--confirm-removals"), "{text}");
    assert!(!text.contains("7700"), "no phone numbers on screen: {text}");
    assert_eq!(store.contacts(&lambeth).await.unwrap().len(), 10, "a dry run applies nothing");

    let refused = run(&store, import(&good, false, false), &mut Vec::new()).await.unwrap_err().to_string();
    assert!(refused.contains("--confirm-removals"), "{refused}");
    assert_eq!(store.contacts(&lambeth).await.unwrap().len(), 10);

    let mut out = Vec::new();
    run(&store, import(&good, false, true), &mut out).await.unwrap();
    assert!(String::from_utf8(out).unwrap().contains("applied: directory version 1"));
    assert_eq!(store.contacts(&lambeth).await.unwrap().len(), 3);

    lines[1] = lines[1].replace("community-safety-lead", "Community Safety");
    lines[2] = lines[2].replace(",no,", ",perhaps,");
    let bad = temp_file("bad.csv", &file(&lines));
    let error = run(&store, import(&bad, false, true), &mut Vec::new()).await.unwrap_err().to_string();
    assert!(error.contains("2 error(s); nothing was changed"), "{error}");
    assert!(error.contains("row 3, column role") && error.contains("row 4, column whatsapp_opt_in"), "{error}");
    assert_eq!(store.directory_version(&lambeth).await.unwrap(), 1);

    let huge = temp_file("huge.csv", &vec![b'x'; 2 * 1024 * 1024]);
    let error = run(&store, import(&huge, true, false), &mut Vec::new()).await.unwrap_err().to_string();
    assert!(error.contains("the most SIM accepts"), "{error}");

    let mut out = Vec::new();
    run(&store, DirectoryCommand::ExportContacts { licensee: lambeth.clone(), output: None }, &mut out).await.unwrap();
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 4);
    for p in [good, bad, huge] {
        let _ = std::fs::remove_file(p);
    }
}

fn person(
    id: &str,
    role: &str,
    mobile: Option<&str>,
    email: Option<&str>,
    opt_in: bool,
    deputy: Option<&str>,
) -> Contact {
    Contact {
        id: ContactId::parse(id).unwrap(),
        licensee_id: LicenseeId::parse("gapshire").unwrap(),
        name: format!("Name of {id}"),
        role: Role::parse(role).unwrap(),
        organisation: "Gapshire Council".into(),
        mobile: mobile.map(|m| PhoneNumber::parse(m).unwrap()),
        whatsapp_opt_in: opt_in,
        whatsapp_opt_in_given: None,
        email: email.map(|e| EmailAddress::parse(e).unwrap()),
        deputy: deputy.map(|d| ContactId::parse(d).unwrap()),
        away_until: None,
    }
}

/// A licensee built to have every kind of gap, on the default policies.
async fn gapshire(store: &dyn Store) -> LicenseeId {
    let id = LicenseeId::parse("gapshire").unwrap();
    store
        .put_licensee(&Licensee {
            id: id.clone(),
            name: "Gapshire Council".into(),
            tier: Tier::LondonFree,
            status: LicenceStatus::Active,
            areas: vec![AreaName::parse("Gapshire").unwrap()],
            wards: vec![],
            rules: None,
            policies: None,
            checklist: None,
            sharing: None,
            data_sharing: None,
        })
        .await
        .unwrap();
    let people = [
        // Gold with no deputy; everyone reachable on something.
        person("con-gold", "gold", Some("+447700900001"), Some("gold@gap.gov.uk"), true, None),
        // Alerted but unreachable.
        person("con-silent", "police-liaison", None, None, false, None),
        // A mobile, no WhatsApp opt-in.
        person("con-no-opt-in", "police-liaison", Some("+447700900003"), None, false, None),
        // A deputy who is not in the directory.
        person("con-health", "health", None, Some("health@gap.gov.uk"), false, Some("con-gone")),
        person("con-ceo", "chief-executive", None, Some("ceo@gap.gov.uk"), false, None),
        person("con-ceo-2", "chief-executive", None, Some("ceo2@gap.gov.uk"), false, None),
        // Away, and so is their deputy.
        person("con-away", "health", None, Some("away@gap.gov.uk"), false, Some("con-away-deputy")),
        person("con-away-deputy", "health", None, Some("away2@gap.gov.uk"), false, None),
    ];
    let away = |mut c: Contact, until| {
        c.away_until = Some(until);
        c
    };
    let [gold, silent, no_opt_in, health, ceo, ceo_2, on_leave, on_leave_deputy] = people;
    // The chief executive's rota: the one on duty in each of the next two turns is away, and so is the other.
    let people = [
        gold,
        silent,
        no_opt_in,
        health,
        away(ceo, time::macros::date!(2026 - 11 - 25)),
        away(ceo_2, time::macros::date!(2026 - 11 - 29)),
        away(on_leave, time::macros::date!(2026 - 11 - 30)),
        away(on_leave_deputy, time::macros::date!(2026 - 11 - 30)),
    ];
    for p in &people {
        store.put_contact(p).await.unwrap();
    }
    let groups: [(&str, &[&str]); 6] = [
        ("grp-gold", &["con-gold"]),
        ("grp-community-safety", &[]),
        ("grp-police-liaison", &["con-silent", "con-no-opt-in", "con-ghost"]),
        ("grp-health", &["con-health", "con-away"]),
        ("grp-chief-executive", &["con-ceo", "con-ceo-2"]),
        ("grp-education-youth", &["con-health"]),
    ];
    for (g, members) in groups {
        store
            .put_group(&Group {
                id: GroupId::parse(g).unwrap(),
                licensee_id: id.clone(),
                name: g.into(),
                members: members.iter().map(|m| ContactId::parse(m).unwrap()).collect(),
                // Weekly turns from Monday 16 November 2026, 09:00 UK time.
                rota: (g == "grp-chief-executive").then(|| Rota::weekly_from(time::macros::date!(2026 - 11 - 16))),
            })
            .await
            .unwrap();
    }
    id
}

#[tokio::test]
async fn alert_gaps_lists_each_kind_of_gap_of_a_licensee_built_to_have_them() {
    let store = MemoryStore::new();
    let id = gapshire(&store).await;
    let gaps = directory::gaps_now(&store, &id, START).await.unwrap().unwrap();
    let c = |s: &str| ContactId::parse(s).unwrap();
    let g = |s: &str| GroupId::parse(s).unwrap();
    let role = |s: &str| Role::parse(s).unwrap();
    let expected = [
        Gap::MissingGroup { group: g("grp-comms"), categories: vec![Category::SeriousViolence, Category::Critical] },
        Gap::EmptyGroup {
            group: g("grp-community-safety"),
            categories: vec![Category::IncidentOfNote, Category::SeriousViolence, Category::Critical],
        },
        Gap::MemberNotInDirectory { group: g("grp-police-liaison"), contact: c("con-ghost") },
        Gap::NobodyInRole { role: role("community-safety-lead"), category: Category::SeriousViolence },
        Gap::NoDeputyInRole { role: role("gold"), category: Category::Critical },
        Gap::NoUsableChannel {
            contact: c("con-silent"),
            name: "Name of con-silent".into(),
            categories: vec![Category::Critical],
        },
        Gap::WhatsAppWithoutOptIn {
            contact: c("con-no-opt-in"),
            name: "Name of con-no-opt-in".into(),
            categories: vec![Category::Critical],
        },
        Gap::DeputyNotInDirectory {
            contact: c("con-health"),
            name: "Name of con-health".into(),
            deputy: c("con-gone"),
        },
        Gap::AwayWithNobodyInTheirPlace {
            contact: c("con-away"),
            name: "Name of con-away".into(),
            away_until: time::macros::date!(2026 - 11 - 30),
            deputies_away: vec![c("con-away-deputy")],
            categories: vec![Category::SeriousViolence],
        },
        Gap::RotaWithoutCover {
            group: g("grp-chief-executive"),
            turn_starts: time::macros::datetime!(2026-11-16 09:00),
            on_duty: c("con-ceo"),
            categories: vec![Category::Critical],
        },
        Gap::RotaWithoutCover {
            group: g("grp-chief-executive"),
            turn_starts: time::macros::datetime!(2026-11-23 09:00),
            on_duty: c("con-ceo-2"),
            categories: vec![Category::Critical],
        },
    ];
    for gap in &expected {
        assert!(gaps.contains(gap), "missing {gap:?} in {gaps:#?}");
    }

    let mut out = Vec::new();
    run(&store, DirectoryCommand::AlertGaps { licensee: id.clone() }, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("group grp-comms is named by the SERIOUS VIOLENCE, CRITICAL policy but does not exist"),
        "{text}"
    );
    assert!(!text.contains("7700900") && !text.contains("@gap.gov.uk"), "no contact details: {text}");

    // Seeded Lambeth, set up properly, has fewer gaps than Gapshire and none of the structural kinds.
    let lambeth = MemoryStore::new();
    seeded(&lambeth).await;
    let gaps = directory::gaps_now(&lambeth, &sim::demo::lambeth(), START).await.unwrap().unwrap();
    assert!(
        !gaps.iter().any(|g| matches!(g, Gap::MissingGroup { .. } | Gap::EmptyGroup { .. } | Gap::NobodyInRole { .. })),
        "{gaps:#?}"
    );
}

struct Refusing;

#[async_trait::async_trait]
impl Sender for Refusing {
    async fn send(&self, _: &Outgoing) -> Result<String, SendError> {
        Err(SendError::Permanent("the number is not a mobile".into()))
    }
}

#[tokio::test]
async fn a_test_message_is_marked_as_a_test_creates_no_incident_and_its_outcome_shows_on_the_contact() {
    let store = MemoryStore::new();
    let id = gapshire(&store).await;
    let sender = RecordingSender::default();
    let gold = ContactId::parse("con-gold").unwrap();
    let sms =
        directory::send_test_message(&store, &sender, &id, &gold, Channel::Sms, "staff-jo", &clock()).await.unwrap();
    assert_eq!(sms.outcome, TestOutcome::Sent { provider_message_id: "local-1".into() });
    match &sender.sent()[..] {
        [Outgoing::Sms { to, text }] => {
            assert_eq!(to.as_str(), "+447700900001");
            assert!(
                text.starts_with("SIM TEST MESSAGE for Gapshire Council") && text.contains("no incident"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
    let email =
        directory::send_test_message(&store, &sender, &id, &gold, Channel::Email, "staff-jo", &clock()).await.unwrap();
    assert!(matches!(email.outcome, TestOutcome::Sent { .. }));
    assert!(matches!(&sender.sent()[1], Outgoing::Email { email, .. } if email.subject.starts_with("[TEST]")));

    let no_opt_in = ContactId::parse("con-no-opt-in").unwrap();
    let whatsapp =
        directory::send_test_message(&store, &sender, &id, &no_opt_in, Channel::WhatsApp, "staff-jo", &clock())
            .await
            .unwrap();
    assert!(matches!(&whatsapp.outcome, TestOutcome::Unreachable { reason } if reason.contains("opted in")));
    assert_eq!(sender.sent().len(), 2, "nothing sent to someone who has not opted in");
    let refused = directory::send_test_message(&store, &Refusing, &id, &no_opt_in, Channel::Sms, "staff-jo", &clock())
        .await
        .unwrap();
    assert_eq!(refused.outcome, TestOutcome::Refused { reason: "the number is not a mobile".into() });

    assert_eq!(store.test_messages(&id, &gold).await.unwrap(), vec![sms, email]);
    assert_eq!(store.test_messages(&id, &no_opt_in).await.unwrap().len(), 2);
    let far = START + time::Duration::days(365);
    assert!(store.pending_handoffs(far, 10).await.unwrap().is_empty(), "no incident was created");
}

#[tokio::test]
async fn a_test_sms_goes_out_through_the_same_sns_sender_on_moto() {
    needs_moto!();
    let store = moto_store().await;
    let id = gapshire(&store).await;
    let sns = sim::adapters::sns::SnsSms::from_config(&moto().await, Some("SIMALERT".into()));
    let gold = ContactId::parse("con-gold").unwrap();
    let record =
        directory::send_test_message(&store, &sns, &id, &gold, Channel::Sms, "staff-jo", &clock()).await.unwrap();
    assert!(matches!(record.outcome, TestOutcome::Sent { .. }), "{record:?}");
    let (sms, _) = moto_sent().await;
    assert!(
        sms.iter().any(|(to, text)| to == "+447700900001" && text.starts_with("SIM TEST MESSAGE for Gapshire Council")),
        "{sms:?}"
    );
    assert_eq!(store.test_messages(&id, &gold).await.unwrap(), vec![record]);
}

async fn an_edit_from_a_stale_page_is_refused(store: &dyn Store) {
    seeded(store).await;
    let lambeth = sim::demo::lambeth();
    let gold_id = ContactId::parse("con-gold").unwrap();
    let page = store.directory_version(&lambeth).await.unwrap();
    let original = store.get_contact(&lambeth, &gold_id).await.unwrap().unwrap();

    // Jo saves a new number and puts the person in comms as well.
    let jo = Contact { mobile: Some(PhoneNumber::parse("+447700900999").unwrap()), ..original.clone() };
    let groups = [GroupId::parse("grp-gold").unwrap(), GroupId::parse("grp-comms").unwrap()];
    assert_eq!(
        directory::save_contact(store, page, jo.clone(), &groups, "staff-jo", &clock()).await.unwrap(),
        page + 1
    );
    // Sam, on a page loaded before Jo saved, changes the name: refused, Jo's edit stands.
    let sam = Contact { name: "Someone Else".into(), ..original.clone() };
    let refused = directory::save_contact(store, page, sam, &groups, "staff-sam", &clock()).await.unwrap_err();
    assert!(matches!(refused, directory::EditError::Stale), "{refused}");
    assert!(refused.to_string().contains("reload"));
    assert_eq!(store.get_contact(&lambeth, &gold_id).await.unwrap().unwrap(), jo);
    let comms = store.groups(&lambeth).await.unwrap().into_iter().find(|g| g.id.as_str() == "grp-comms").unwrap();
    assert!(comms.members.contains(&gold_id));

    // A deputy must be in the directory.
    let bad = Contact { deputy: Some(ContactId::parse("con-nobody").unwrap()), ..jo.clone() };
    assert!(matches!(
        directory::save_contact(store, page + 1, bad, &groups, "staff-jo", &clock()).await,
        Err(directory::EditError::NoSuchDeputy)
    ));

    // Removing takes the person out of their groups too.
    directory::remove_contact(store, &lambeth, page + 1, &gold_id, "staff-jo", &clock()).await.unwrap();
    assert!(store.get_contact(&lambeth, &gold_id).await.unwrap().is_none());
    assert!(store.groups(&lambeth).await.unwrap().iter().all(|g| !g.members.contains(&gold_id)));
    let audit: Vec<(String, String)> =
        store.directory_changes(&lambeth).await.unwrap().into_iter().map(|r| (r.by, r.how)).collect();
    assert_eq!(audit, [("staff-jo".into(), "edit".into()), ("staff-jo".into(), "edit".into())]);
}

both!(an_edit_from_a_stale_page_is_refused);

#[tokio::test]
async fn after_an_import_categorisation_alerts_the_people_the_file_names() {
    let h = memory_harness().await;
    let lambeth = sim::demo::lambeth();
    let exported = String::from_utf8(directory::export(&*h.store, &lambeth).await.unwrap()).unwrap();
    // Comms moves from con-comms to a new person with a mobile and no email.
    let mut lines: Vec<String> = exported
        .lines()
        .map(|l| if l.starts_with("con-comms,") { l.replace(",grp-comms", ",") } else { l.to_owned() })
        .collect();
    lines.push("c-new-comms,New Comms Officer,comms,Lambeth Council,+447700900555,,no,,grp-comms,,,,".into());
    let plan =
        directory::plan_import(&*h.store, &lambeth, lines.join("\n").as_bytes(), Limits::default()).await.unwrap();
    directory::apply(&*h.store, &plan, false, "cli:test", &clock()).await.unwrap();

    let queues = memory_channel_queues();
    let deps = categoriser(&h, queues.clone());
    let mut report = event_body("intake-report.json");
    report["victims"] = serde_json::json!([{"age_band": "35-49", "injury": "serious"}]);
    report["flags"] = serde_json::json!([]);
    let answer = h.call(request("POST", "/v1/incidents", Some(&met_key()), Some(report.to_string()))).await;
    assert_eq!(answer.status(), 202);
    categorise_handed_on(&h, &deps).await;
    let who = |bodies: Vec<serde_json::Value>| -> std::collections::BTreeSet<String> {
        bodies.iter().map(|b| b["contact_id"].as_str().unwrap().to_owned()).collect()
    };
    let sms = who(drain(&*queues.sms).await);
    assert!(sms.contains("c-new-comms") && !sms.contains("con-comms"), "{sms:?}");
    let email = who(drain(&*queues.email).await);
    assert!(!email.contains("c-new-comms") && !email.contains("con-comms"), "{email:?}");
}
