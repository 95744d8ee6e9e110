//! Reports from a scripted set of incidents with known times, on the
//! in-memory store and on DynamoDB in moto: the figures equal the ones
//! worked out by hand below, including an incident nobody acknowledged and
//! one escalated to the chief executive.
//!
//! Lambeth, November 2026 (times from SIM receiving the police report):
//! - A, CRITICAL (10 min): gold texted at 20 s and emailed at 25 s, comms
//!   texted at 30 s (its WhatsApp refused, fell back to SMS), youth services
//!   (not required) emailed at 40 s. Gold acknowledged at 3 min, comms at
//!   8 min. Checklist: section 1 item 1 done at 2 h, item 2 at 50 h;
//!   section 2's item open. Closed at 3 days.
//! - B, CRITICAL (10 min), a day later: gold texted at 15 s, comms at 60 s.
//!   Gold acknowledged at 12 min (late); comms never. Comms's deputy texted
//!   at 10 min, the chief executive at 20 min. Section 1's item done at 100 h.
//! - C, SERIOUS_VIOLENCE (30 min), two days later: the community safety lead
//!   texted at 45 s, the email refused; nobody acknowledged.
//!
//! Not in the report: a Kent incident, and a Lambeth incident in December.
//!
//! By hand: first message 20, 15, 45 s → median 20, p90 45, max 45. Every
//! required role alerted 30, 60, 45 s → median 45, p90 60, max 60. Gold:
//! alerted twice, acknowledged 160 s and 705 s → median 160, p90 705, one
//! within 10 min (50%). Comms: alerted twice, acknowledged once at 450 s,
//! within the deadline once (50%). Community safety lead: alerted once, never
//! acknowledged (0%). One deputy, one chief executive. SMS 7 sent; email 2
//! sent 1 failed; WhatsApp 1 failed 1 fell back. Section 1: 3 items, done by
//! 24 h / 72 h / 7 d: 1 / 2 / 3 (33% / 67% / 100%); section 2: 1 item, none.
//! One closed, in 259,200 s.

use sim::adapters::memory_store::MemoryStore;
use sim::domain::category::Category;
use sim::domain::checklist::{ChecklistItem, ItemStatus};
use sim::domain::follow_up::{Closure, FollowUp};
use sim::domain::notification::{Acknowledgement, Categorisation, Notification, NotificationStatus};
use sim::domain::policy::{Channel, Recipient};
use sim::domain::{Event, Incident, IncidentReport, Role, TimelineEvent};
use sim::ids::{ContactId, IncidentId, LicenseeId, SequentialIds};
use sim::ports::Store;
use sim::reports::export::{figures_csv, rows_csv, timeline_csv, timeline_jsonl, FIGURES_HEADER, ROWS_HEADER};
use sim::reports::{Period, Spread};
use sim_tests::*;
use time::{Duration, OffsetDateTime};

const DAY: Duration = Duration::DAY;

fn incident(id: &str, licensee: LicenseeId, at: OffsetDateTime) -> Incident {
    let mut body = event_body("intake-report.json");
    body["police_reference"] = format!("REF-{id}").into();
    let report = IncidentReport::from_json(&body, START).unwrap();
    Incident {
        id: IncidentId::parse(id).unwrap(),
        licensee_id: licensee,
        caller_id: sim::demo::met_cad(),
        fingerprint: report.fingerprint(),
        report,
        received_at: at,
        version: 1,
        handoff: None,
        shared_from: None,
    }
}

/// Writes incidents through the store as the functions would.
struct Script<'s> {
    store: &'s dyn Store,
    ids: SequentialIds,
}

impl Script<'_> {
    async fn incident(&self, id: &str, licensee: LicenseeId, at: OffsetDateTime, category: Category, minutes: u32) {
        let incident = incident(id, licensee, at);
        let reported = self.event(id, at, Event::Reported { caller_id: incident.caller_id.clone() });
        self.store.create_incident(&incident, &[reported]).await.unwrap();
        let categorisation = Categorisation {
            incident_id: incident.id.clone(),
            category,
            rule: "scripted".into(),
            reason: "scripted".into(),
            incident_version: 1,
            round: 1,
            fanout_done: true,
            widened: false,
            acknowledge_within_minutes: Some(minutes),
            decided_at: at,
        };
        self.store.put_categorisation(&categorisation, None, &[]).await.unwrap();
    }

    fn event(&self, id: &str, at: OffsetDateTime, event: Event) -> TimelineEvent {
        TimelineEvent::new(&self.ids, &IncidentId::parse(id).unwrap(), at, event)
    }

    /// A message to `contact` (role `role`) at `step`, sent at `sent` seconds, or refused.
    #[allow(clippy::too_many_arguments)]
    async fn message(
        &self,
        id: &str,
        at: OffsetDateTime,
        contact: &str,
        role: &str,
        channel: Channel,
        step: u32,
        required: bool,
        sent: Option<i64>,
        deputy_for: Option<&str>,
    ) {
        let to = Recipient {
            contact_id: ContactId::parse(contact).unwrap(),
            channels: vec![channel],
            groups: vec![],
            role: Role::parse(role).unwrap(),
        };
        let mut n = Notification::pending(IncidentId::parse(id).unwrap(), &to, channel, step.into(), 1, required, at);
        n.deputy_for = deputy_for.map(|d| ContactId::parse(d).unwrap());
        n.attempts = 1;
        match sent {
            Some(s) => {
                n.status = NotificationStatus::Sent;
                n.sent_at = Some(at + Duration::seconds(s));
                n.provider_message_id = Some(format!("msg-{contact}-{step}"));
            }
            None => {
                n.status = NotificationStatus::Failed;
                n.failure = Some("refused".into());
            }
        }
        self.store.put_notifications(&[n]).await.unwrap();
    }

    async fn acknowledge(&self, id: &str, at: OffsetDateTime, contact: &str, role: &str, after: Duration) {
        let ack = Acknowledgement {
            incident_id: IncidentId::parse(id).unwrap(),
            contact_id: ContactId::parse(contact).unwrap(),
            role: Role::parse(role).unwrap(),
            channel: Channel::Sms,
            at: at + after,
            user_agent: "Mozilla/5.0 (iPhone)".into(),
            device: "iPhone".into(),
            via: Default::default(),
            note: None,
            recorded_by: None,
        };
        let event = self.event(
            id,
            at + after,
            Event::Acknowledged {
                contact_id: sim::ids::ContactId::parse(contact).unwrap(),
                role: sim::domain::Role::parse(role).unwrap(),
                channel: Channel::Sms,
            },
        );
        assert!(self.store.acknowledge(&ack, &[event]).await.unwrap());
    }

    async fn checklist(&self, id: &str, at: OffsetDateTime, items: &[(u32, u32, Option<Duration>)]) {
        let items: Vec<ChecklistItem> = items
            .iter()
            .map(|&(section, position, done)| ChecklistItem {
                incident_id: IncidentId::parse(id).unwrap(),
                section_position: section,
                section_id: format!("section-{section}"),
                section_title: format!("Section {section}"),
                position,
                item_id: format!("item-{section}-{position}"),
                text: "Do the thing".into(),
                owner_role: Role::parse("community-safety-lead").unwrap(),
                status: if done.is_some() { ItemStatus::Done } else { ItemStatus::Open },
                assignee: None,
                notes: vec![],
                legacy_note: None,
                version: 1,
                updated_by: None,
                updated_at: done.map(|d| at + d),
            })
            .collect();
        self.store.put_checklist(&items).await.unwrap();
    }
}

async fn scripted(store: &dyn Store) -> [IncidentId; 3] {
    let s = Script { store, ids: SequentialIds::default() };
    let lambeth = sim::demo::lambeth();
    let (a, b, c) = (START, START + DAY, START + 2 * DAY);

    s.incident("inc-a", lambeth.clone(), a, Category::Critical, 10).await;
    s.message("inc-a", a, "con-gold", "gold", Channel::Sms, 0, true, Some(20), None).await;
    s.message("inc-a", a, "con-gold", "gold", Channel::Email, 0, true, Some(25), None).await;
    s.message("inc-a", a, "con-comms", "comms", Channel::WhatsApp, 0, true, None, None).await;
    s.message("inc-a", a, "con-comms", "comms", Channel::Sms, 0, true, Some(30), None).await;
    s.message("inc-a", a, "con-youth", "youth-services", Channel::Email, 0, false, Some(40), None).await;
    let fell_back = s.event(
        "inc-a",
        a + Duration::seconds(12),
        Event::FellBack {
            contact_id: sim::ids::ContactId::parse("con-comms").unwrap(),
            from: Channel::WhatsApp,
            to: Channel::Sms,
        },
    );
    store.append_event(&fell_back).await.unwrap();
    s.acknowledge("inc-a", a, "con-gold", "gold", Duration::minutes(3)).await;
    s.acknowledge("inc-a", a, "con-comms", "comms", Duration::minutes(8)).await;
    s.checklist("inc-a", a, &[(1, 1, Some(Duration::hours(2))), (1, 2, Some(Duration::hours(50))), (2, 1, None)]).await;
    let closure = Closure {
        closed_by: ContactId::parse("con-gold").unwrap().into(),
        role: Role::parse("gold").unwrap(),
        at: a + 3 * DAY,
        note: "done".into(),
    };
    let follow_up = FollowUp { closure: Some(closure), ..FollowUp::new(IncidentId::parse("inc-a").unwrap()).next() };
    store.put_follow_up(&follow_up, &[]).await.unwrap();

    s.incident("inc-b", lambeth.clone(), b, Category::Critical, 10).await;
    s.message("inc-b", b, "con-gold", "gold", Channel::Sms, 0, true, Some(15), None).await;
    s.message("inc-b", b, "con-comms", "comms", Channel::Sms, 0, true, Some(60), None).await;
    s.message("inc-b", b, "con-comms-deputy", "comms", Channel::Sms, 1, true, Some(600), Some("con-comms")).await;
    s.message("inc-b", b, "con-ceo", "chief-executive", Channel::Sms, 2, false, Some(1200), None).await;
    s.acknowledge("inc-b", b, "con-gold", "gold", Duration::minutes(12)).await;
    s.checklist("inc-b", b, &[(1, 1, Some(Duration::hours(100)))]).await;

    s.incident("inc-c", lambeth.clone(), c, Category::SeriousViolence, 30).await;
    s.message("inc-c", c, "con-csl", "community-safety-lead", Channel::Sms, 0, true, Some(45), None).await;
    s.message("inc-c", c, "con-csl", "community-safety-lead", Channel::Email, 0, true, None, None).await;

    // Outside the report: another licensee's incident, and December.
    s.incident("inc-kent", sim::demo::kent(), b, Category::Critical, 10).await;
    s.message("inc-kent", b, "con-kgold", "gold", Channel::Sms, 0, true, Some(1), None).await;
    s.incident("inc-dec", lambeth, START + 12 * DAY, Category::Critical, 10).await;
    s.message("inc-dec", START + 12 * DAY, "con-gold", "gold", Channel::Sms, 0, true, Some(1), None).await;

    let ids = ["inc-a", "inc-b", "inc-c", "inc-kent", "inc-dec"].map(|i| IncidentId::parse(i).unwrap());
    for id in &ids {
        sim::reports::refresh(store, id).await.unwrap().expect("the incident exists");
    }
    [ids[0].clone(), ids[1].clone(), ids[2].clone()]
}

fn spread(count: u32, median: i64, p90: i64, max: i64) -> Spread {
    Spread { count, median: Some(median), p90: Some(p90), max: Some(max) }
}

async fn figures_equal_the_hand_computed_ones(store: &dyn Store) {
    let [a, b, c] = scripted(store).await;
    let november = Period::month_of(START.date());
    let read = sim::reports::for_period(store, &sim::demo::lambeth(), november).await.unwrap();
    assert_eq!(read.rows.iter().map(|r| r.incident_id.clone()).collect::<Vec<_>>(), vec![a, b, c], "in report order");
    assert_eq!(read.requests, 1, "one month: one query");

    let f = &read.report.overall;
    assert_eq!(f.incidents, 3);
    assert_eq!(f.time_to_first_message, spread(3, 20, 45, 45));
    assert_eq!(f.time_to_all_required, spread(3, 45, 60, 60));
    let roles: Vec<_> = f
        .roles
        .iter()
        .map(|r| (r.role.as_str(), r.alerted, r.acknowledged, r.within_deadline, r.within_deadline_percent()))
        .collect();
    assert_eq!(
        roles,
        vec![("comms", 2, 1, 1, Some(50)), ("community-safety-lead", 1, 0, 0, Some(0)), ("gold", 2, 2, 1, Some(50))]
    );
    assert_eq!(f.roles[0].time_to_acknowledge, spread(1, 450, 450, 450));
    assert_eq!(f.roles[1].time_to_acknowledge, Spread::default(), "nobody acknowledged");
    assert_eq!(f.roles[2].time_to_acknowledge, spread(2, 160, 705, 705));
    assert_eq!((f.deputies_alerted, f.incidents_with_deputies, f.chief_executive_told), (1, 1, 1));
    let channels: Vec<_> =
        f.channels.iter().map(|(ch, c)| (ch.to_string(), c.sent, c.failed, c.fell_back, c.pending)).collect();
    assert_eq!(
        channels,
        vec![("sms".into(), 7, 0, 0, 0), ("email".into(), 2, 1, 0, 0), ("whatsapp".into(), 0, 1, 1, 0)]
    );
    let sections: Vec<_> =
        f.checklist.iter().map(|s| (s.section_id.as_str(), s.items, s.done_by, s.percent_done())).collect();
    assert_eq!(sections, vec![("section-1", 3, [1, 2, 3], [33, 67, 100]), ("section-2", 1, [0, 0, 0], [0, 0, 0])]);
    assert_eq!(f.closed, 1);
    assert_eq!(f.time_to_close, spread(1, 259_200, 259_200, 259_200));

    let categories: Vec<_> = read.report.by_category.iter().map(|(c, f)| (*c, f.incidents)).collect();
    assert_eq!(categories, vec![(Category::Critical, 2), (Category::SeriousViolence, 1)]);
    let critical = &read.report.by_category[0].1;
    assert_eq!(critical.time_to_first_message, spread(2, 15, 20, 20));
    assert_eq!(critical.chief_executive_told, 1);
    let serious = &read.report.by_category[1].1;
    assert_eq!(serious.roles[0].acknowledged, 0);
    assert_eq!(serious.time_to_all_required, spread(1, 45, 45, 45));

    // The CSVs carry the documented headers and these figures.
    let csv = figures_csv(&read);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(FIGURES_HEADER));
    assert!(csv.contains("\nlambeth,2026-11-01,2026-11-30,all,incidents,,3\n"), "{csv}");
    assert!(csv.contains("\nlambeth,2026-11-01,2026-11-30,all,role_within_deadline_percent,gold,50\n"));
    assert!(csv.contains("\nlambeth,2026-11-01,2026-11-30,CRITICAL,chief_executive_told,,1\n"));
    let rows = rows_csv(&read.rows);
    assert_eq!(rows.lines().next(), Some(ROWS_HEADER));
    assert!(rows.contains("\ninc-b,2026-11-22T02:10:00Z,CRITICAL,15,60,2,1,1,true,4,0,0,0,\n"), "{rows}");
}

async fn refreshing_again_changes_nothing(store: &dyn Store) {
    let [a, ..] = scripted(store).await;
    let november = Period::month_of(START.date());
    let before = sim::reports::for_period(store, &sim::demo::lambeth(), november).await.unwrap().rows;
    // Redelivered events re-derive the same row; a row from an older state never replaces a newer one.
    let again = sim::reports::refresh(store, &a).await.unwrap().unwrap();
    assert_eq!(again, before[0]);
    let stale = sim::reports::IncidentRow { timeline_events: 1, roles: vec![], ..again.clone() };
    assert!(!store.put_report_row(&stale).await.unwrap(), "the stale row is refused");
    let after = sim::reports::for_period(store, &sim::demo::lambeth(), november).await.unwrap().rows;
    assert_eq!(after, before);
}

async fn audit_export_of_a_timeline(store: &dyn Store) {
    let [a, ..] = scripted(store).await;
    let timeline = store.timeline(&a).await.unwrap();
    let csv = timeline_csv(&timeline, None);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "incident_id,at,kind,contact_id,contact_name,details");
    assert_eq!(lines.len(), 1 + 4, "reported, fell back, two acknowledgements");
    assert!(lines[1].starts_with("inc-a,2026-11-21T02:10:00Z,reported,,,"), "{csv}");
    assert!(lines[3].starts_with("inc-a,2026-11-21T02:13:00Z,acknowledged,con-gold,,"), "{csv}");
    let names = [("con-gold".to_owned(), "Gold Commander".to_owned())].into();
    let staff = timeline_jsonl(&timeline, Some(&names));
    let entries: Vec<serde_json::Value> = staff.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[2]["contact_name"], "Gold Commander", "names only when staff ask for them");
    assert!(!timeline_jsonl(&timeline, None).contains("Gold Commander"));
    // The incident's report never carries victims' details into the export.
    let victims = serde_json::to_string(&store.get_incident(&a).await.unwrap().unwrap().report.victims).unwrap();
    assert!(!csv.contains(&victims) && !staff.contains("age_band"));
}

/// Delivery receipts on top of the scripted month: gold's SMS and email for
/// A delivered (the email also read, which counts once), comms's SMS for A
/// only accepted, comms's SMS for B undeliverable (a late failure), the
/// community safety lead's SMS for C delivered and a receipt for the Kent
/// incident, which is not in the report. By hand: SMS 7 sent, 2 delivered,
/// 1 failed; email 2 sent, 1 delivered, 1 failed (refused when sent);
/// WhatsApp 1 failed, 1 fell back.
async fn delivered_per_channel_from_receipts(store: &dyn Store) {
    use sim::domain::delivery::{Delivery, DeliveryState};
    let [a, b, c] = scripted(store).await;
    let receipts = [
        (&a, "con-gold", Channel::Sms, DeliveryState::Delivered),
        (&a, "con-gold", Channel::Email, DeliveryState::Delivered),
        (&a, "con-gold", Channel::Email, DeliveryState::Read),
        (&a, "con-comms", Channel::Sms, DeliveryState::Accepted),
        (&b, "con-comms", Channel::Sms, DeliveryState::FailedPermanent),
        (&c, "con-csl", Channel::Sms, DeliveryState::Delivered),
    ];
    let kent = IncidentId::parse("inc-kent").unwrap();
    for (incident, contact, channel, state) in
        receipts.iter().copied().chain([(&kent, "con-kgold", Channel::Sms, DeliveryState::Delivered)])
    {
        let delivery = Delivery {
            incident_id: incident.clone(),
            contact_id: ContactId::parse(contact).unwrap(),
            channel,
            step: 0.into(),
            provider_message_id: format!("msg-{contact}-0"),
            state,
            at: START + Duration::minutes(1),
            detail: None,
        };
        store.record_delivery(&delivery, &[]).await.unwrap();
    }
    for id in [&a, &b, &c, &kent] {
        sim::reports::refresh(store, id).await.unwrap().unwrap();
    }
    let read = sim::reports::for_period(store, &sim::demo::lambeth(), Period::month_of(START.date())).await.unwrap();
    let channels: Vec<_> = read
        .report
        .overall
        .channels
        .iter()
        .map(|(ch, c)| (ch.to_string(), c.sent, c.delivered, c.failed, c.fell_back))
        .collect();
    assert_eq!(
        channels,
        vec![("sms".into(), 7, 2, 1, 0), ("email".into(), 2, 1, 1, 0), ("whatsapp".into(), 0, 0, 1, 1)]
    );
    let csv = figures_csv(&read);
    assert!(csv.contains("\nlambeth,2026-11-01,2026-11-30,all,channel_delivered,sms,2\n"), "{csv}");
    assert!(csv.contains("\nlambeth,2026-11-01,2026-11-30,CRITICAL,channel_failed,sms,1\n"), "{csv}");
    let rows = rows_csv(&read.rows);
    assert!(rows.contains("\ninc-b,2026-11-22T02:10:00Z,CRITICAL,15,60,2,1,1,true,4,0,1,0,\n"), "{rows}");
}

/// 1,000 incidents in a month: the month's report is one query's pages, not one read per incident.
async fn a_busy_month_reads_with_bounded_requests(store: &dyn Store) {
    let [a, ..] = scripted(store).await;
    let template = sim::reports::refresh(store, &a).await.unwrap().unwrap();
    let november = Period::month_of(START.date());
    for i in 0..1000 {
        let row = sim::reports::IncidentRow {
            incident_id: IncidentId::parse(&format!("inc-bulk-{i:04}")).unwrap(),
            reported_at: START + Duration::minutes(i),
            ..template.clone()
        };
        store.put_report_row(&row).await.unwrap();
    }
    let read = sim::reports::for_period(store, &sim::demo::lambeth(), november).await.unwrap();
    assert_eq!(read.report.overall.incidents, 1003);
    let bytes: usize = read.rows.iter().map(|r| serde_json::to_string(r).unwrap().len()).sum();
    println!("1,003 incidents in a month ({bytes} bytes of rows): report read with {} requests", read.requests);
    assert!(read.requests <= 1 + (bytes as u32) / 1_000_000 + 1, "{} requests", read.requests);
}

macro_rules! both_stores {
    ($($name:ident => $check:ident),* $(,)?) => {$(
        mod $name {
            use super::*;

            #[tokio::test]
            async fn memory() {
                $check(&MemoryStore::new()).await;
            }

            #[tokio::test]
            async fn dynamodb() {
                needs_moto!();
                $check(&moto_store().await).await;
            }
        }
    )*};
}

both_stores! {
    figures_equal_hand_computed_values => figures_equal_the_hand_computed_ones,
    refresh_is_idempotent_and_moves_forward_only => refreshing_again_changes_nothing,
    exports_a_timeline_for_the_council => audit_export_of_a_timeline,
    counts_delivered_and_late_failures_per_channel => delivered_per_channel_from_receipts,
    reads_a_busy_month_with_bounded_requests => a_busy_month_reads_with_bounded_requests,
}

/// `sim report` and `sim audit-export` on the same scripted month.
#[tokio::test]
async fn the_cli_prints_the_report_and_the_audit_export() {
    use clap::Parser;
    use sim_cli::report::{audit_export, report, AuditExportArgs, ReportArgs};

    #[derive(Parser)]
    struct Report {
        #[command(flatten)]
        args: ReportArgs,
    }
    #[derive(Parser)]
    struct Audit {
        #[command(flatten)]
        args: AuditExportArgs,
    }

    let store = MemoryStore::new();
    scripted(&store).await;
    let period = ["--licensee", "lambeth", "--from", "2026-11-01", "--to", "2026-11-30"];

    let text = Report::try_parse_from(std::iter::once("sim").chain(period)).unwrap();
    let (summary, requests) = report(&store, &text.args).await.unwrap();
    assert_eq!(requests, 1);
    assert!(summary.contains("  incidents: 3\n"), "{summary}");
    assert!(summary.contains("police report to first message: median 20 s, 90th percentile 45 s, maximum 45 s"));
    assert!(summary.contains(
        "  gold: alerted 2, acknowledged 2, within the deadline 1 (50%); time to acknowledge median 2 min 40 s"
    ));
    assert!(summary.contains("  community-safety-lead: alerted 1, acknowledged 0, within the deadline 0 (0%)"));
    assert!(summary.contains("chief executive told in 1"));

    let csv = Report::try_parse_from(std::iter::once("sim").chain(period).chain(["--csv"])).unwrap();
    let (csv, _) = report(&store, &csv.args).await.unwrap();
    assert!(csv.starts_with("licensee,from,to,category,figure,subject,value\n"));

    let narrow = Report::try_parse_from(["sim", "--licensee", "lambeth", "--from", "2026-11-23", "--to", "2026-11-23"]);
    let (narrow, _) = report(&store, &narrow.unwrap().args).await.unwrap();
    assert!(narrow.contains("  incidents: 1\n") && narrow.contains("SERIOUS_VIOLENCE"), "only C: {narrow}");

    let backwards =
        Report::try_parse_from(["sim", "--licensee", "lambeth", "--from", "2026-11-30", "--to", "2026-11-01"]);
    let refused = report(&store, &backwards.unwrap().args).await.unwrap_err();
    assert_eq!(refused.to_string(), "the period ends before it starts");

    let audit = Audit::try_parse_from(std::iter::once("sim").chain(period).chain(["--format", "jsonl"])).unwrap();
    let lines = audit_export(&store, &audit.args).await.unwrap();
    let incidents: std::collections::BTreeSet<String> = lines
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["incident_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(incidents.into_iter().collect::<Vec<_>>(), ["inc-a", "inc-b", "inc-c"], "Lambeth's November only");
    let one = Audit::try_parse_from(["sim", "--incident", "inc-b"]).unwrap();
    let csv = audit_export(&store, &one.args).await.unwrap();
    assert_eq!(csv.lines().count(), 1 + 2, "header, reported, gold's acknowledgement");
    assert!(Audit::try_parse_from(["sim", "--incident", "inc-b", "--licensee", "lambeth"]).is_err());
}

/// The charts and the printable summary show the same figures in their tables.
#[tokio::test]
async fn charts_and_the_printable_summary_carry_their_figures_in_tables() {
    use sim::reports::chart::figures_charts;
    use sim::reports::summary::{incident_summary, IncidentSummary};

    use sim::ports::store::prelude::*;
    let store = MemoryStore::new();
    let [_, b, _] = scripted(&store).await;
    let read = sim::reports::for_period(&store, &sim::demo::lambeth(), Period::month_of(START.date())).await.unwrap();
    let charts = figures_charts("all", &read.report.overall).into_string();
    assert_eq!(charts.matches("<svg").count(), 5);
    assert_eq!(charts.matches("<table>").count(), 5, "each chart with its table");
    assert!(charts.contains("<th scope=\"row\">gold</th><td>50% (1 of 2)</td>"), "{charts}");
    assert!(charts.contains("<th scope=\"row\">First message, median</th><td>20 s</td>"));
    assert!(charts.contains("<th scope=\"row\">Section 1 by 72 h</th><td>67% (2 of 3)</td>"));

    let row = read.rows.iter().find(|r| r.incident_id == b).unwrap();
    let names = [("con-gold".to_owned(), "Gold Commander".to_owned())].into();
    let timeline = store.timeline(&b).await.unwrap();
    let checklist = store.checklist(&b).await.unwrap();
    let summary = |names| {
        incident_summary(&IncidentSummary { row, timeline: &timeline, checklist: &checklist, follow_up: None, names })
            .into_string()
    };
    let page = summary(Some(&names));
    assert!(page.contains("<dd>22 Nov 2026 02:10:15 GMT (15 s after the report)</dd>"), "{page}");
    assert!(page.contains("1 deputies alerted; chief executive told"));
    assert!(page.contains(
        "<th scope=\"row\">gold</th><td>yes</td><td>22 Nov 2026 02:10:15 GMT</td><td>22 Nov 2026 02:22:00 GMT</td><td>11 min 45 s</td>"
    ));
    assert!(page.contains("<th scope=\"row\">comms</th><td>yes</td><td>22 Nov 2026 02:11:00 GMT</td><td>no</td>"));
    assert!(page.contains("Gold Commander (con-gold)"));
    assert!(!summary(None).contains("Gold Commander"), "names only for staff");
}
