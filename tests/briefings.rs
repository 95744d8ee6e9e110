//! Stakeholder briefings against moto (DynamoDB, SQS, SNS, SES) with an
//! injected clock: responders' changes gathered into one digest per group
//! per interval; a completed section sent at once; closing by the lead role
//! schedules the reviews, and the 24-hour review re-alerts the groups with
//! the open items; key dates re-alert on the day.

use aws_sdk_scheduler::types::{ActionAfterCompletion, FlexibleTimeWindowMode};
use briefings::Outcome;
use lambda_http::{Body, Request, Response};
use sim::adapters::eventbridge_scheduler::{EventBridgeScheduler, ScheduleTarget};
use sim::adapters::memory_queue::MemoryQueue;
use sim::adapters::memory_scheduler::MemoryScheduler;
use sim::adapters::ses::SesEmail;
use sim::adapters::sns::SnsSms;
use sim::clock::Clock;
use sim::domain::follow_up::{BriefingCheck, BriefingReason};
use sim::domain::notification::NotificationMessage;
use sim::domain::policy::Channel;
use sim::ids::IncidentId;
use sim::links::LinkKey;
use sim::ports::ChannelQueues;
use sim::sending::{send_message, Links, Pacer, SenderDeps};
use sim_tests::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use time::macros::datetime;
use time::Duration;

const PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36";
const INCIDENT: &str = "inc-000001";

struct Rig {
    h: Harness,
    queues: ChannelQueues,
    briefings_queue: Arc<MemoryQueue>,
    /// Reviews and key dates days ahead, fired on the harness's clock.
    scheduler: Arc<MemoryScheduler>,
    briefings: briefings::Deps,
    respond: respond::Deps,
    key: LinkKey,
    senders: [SenderDeps; 2],
    /// Unique to this test: filters moto's shared record of sent messages.
    base_url: String,
}

async fn rig() -> Rig {
    let h = moto_harness().await;
    let queues = moto_channel_queues().await;
    let briefings_queue = Arc::new(MemoryQueue::new("briefings"));
    let categorise = categoriser(&h, queues.clone());
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    categorise_handed_on(&h, &categorise).await;
    let key = LinkKey::generate();
    let briefings = briefings::Deps {
        store: h.store.clone(),
        queues: queues.clone(),
        escalation: Arc::new(MemoryQueue::new("escalation")),
        briefings: briefings_queue.clone(),
        clock: h.clock.clone(),
        ids: h.ids.clone(),
    };
    let scheduler = Arc::new(MemoryScheduler::new(h.clock.clone(), briefings_queue.clone()));
    let respond = responder_with(&h, key.clone(), briefings_queue.clone(), scheduler.clone());
    let config = moto().await;
    let _ = aws_sdk_sesv2::Client::new(&config).create_email_identity().email_identity("sim.example").send().await;
    let base_url = format!("https://{}.sim.example", unique("u"));
    let links = Links { key: key.clone(), base_url: base_url.clone(), lifetime: Duration::days(30) };
    let sender = |channel, provider: Arc<dyn sim::ports::Sender>| SenderDeps {
        channel,
        store: h.store.clone(),
        sender: provider,
        fallback: None,
        clock: h.clock.clone(),
        ids: h.ids.clone(),
        links: links.clone(),
        pacer: Pacer::per_second(0.0),
        lease: Duration::seconds(60),
        reads: Default::default(),
    };
    let senders = [
        sender(Channel::Sms, Arc::new(SnsSms::from_config(&config, None))),
        sender(Channel::Email, Arc::new(SesEmail::from_config(&config, "alerts@sim.example".into(), None))),
    ];
    let rig = Rig { h, queues, briefings_queue, scheduler, briefings, respond, key, senders, base_url };
    for queue in [&rig.queues.sms, &rig.queues.email, &rig.queues.whatsapp] {
        drain(&**queue).await; // the first alerts are not what these tests are about
    }
    rig
}

fn html(response: &Response<Body>) -> String {
    String::from_utf8_lossy(response.body().as_ref()).into_owned()
}

fn field(html: &str, marker: &str) -> String {
    let start = html.find(marker).unwrap_or_else(|| panic!("{marker} not on the page")) + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

impl Rig {
    fn token(&self, contact: &str) -> String {
        link_token(&self.key, INCIDENT, contact, Channel::Email)
    }

    async fn page(&self, contact: &str) -> String {
        let req = lambda_http::http::Request::builder()
            .uri(format!("/a/{}", self.token(contact)))
            .header("user-agent", PHONE)
            .body(Body::Empty)
            .unwrap();
        html(&respond::handle(&self.respond, req).await)
    }

    async fn post(&self, contact: &str, path: &str, form: &str) -> Response<Body> {
        let token = self.token(contact);
        let body = format!("form_key={}&{form}", self.key.form_key(&token));
        let req: Request = lambda_http::http::Request::builder()
            .method("POST")
            .uri(format!("/a/{token}{path}"))
            .header("user-agent", PHONE)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        respond::handle(&self.respond, req).await
    }

    /// Sets an item's status from `contact`'s page, as the form would.
    async fn set(&self, contact: &str, item: &str, status: &str, note: &str) {
        let page = self.page(contact).await;
        let at = page.find(&format!("id=\"item-{item}\"")).expect("the item is on the page");
        let version = field(&page[at..], "name=\"version\" value=\"");
        let form = format!("version={version}&status={status}&assignee=&note={}", note.replace(' ', "+"));
        let response = self.post(contact, &format!("/items/{item}"), &form).await;
        assert_eq!(response.status(), 303, "{}", html(&response));
    }

    /// The update checks now on the delay queue (taken off it).
    fn checks(&self) -> Vec<BriefingCheck> {
        let scheduled = self.briefings_queue.take_scheduled();
        scheduled.into_iter().map(|(body, _)| serde_json::from_str(&body).unwrap()).collect()
    }

    /// The checks waiting as one-time schedules, soonest first.
    fn schedules(&self) -> Vec<BriefingCheck> {
        let mut checks: Vec<BriefingCheck> =
            self.scheduler.pending().values().map(|s| serde_json::from_str(&s.body).unwrap()).collect();
        checks.sort_by_key(|c| c.due_at);
        checks
    }

    /// Contact and channel of each update message on the sender queues (drained), by step.
    async fn queued(&self) -> BTreeMap<u32, BTreeSet<(String, String)>> {
        let mut out: BTreeMap<u32, BTreeSet<(String, String)>> = BTreeMap::new();
        for queue in [&self.queues.sms, &self.queues.email, &self.queues.whatsapp] {
            for body in drain(&**queue).await {
                let m: NotificationMessage = serde_json::from_value(body.clone()).unwrap();
                let fresh =
                    out.entry(u32::from(m.step)).or_default().insert((m.contact_id.to_string(), m.channel.to_string()));
                assert!(fresh, "one message per person per channel: {body}");
                for sender in &self.senders {
                    if sender.channel == m.channel {
                        send_message(sender, &body.to_string()).await.expect("the update is sent");
                    }
                }
            }
        }
        out
    }

    async fn emails_sent(&self) -> Vec<(String, String, String)> {
        moto_sent().await.1.into_iter().filter(|(_, _, html)| html.contains(&self.base_url)).collect()
    }

    async fn sms_sent(&self) -> Vec<(String, String)> {
        moto_sent().await.0.into_iter().filter(|(_, text)| text.contains(&self.base_url)).collect()
    }
}

/// CRITICAL's groups: gold, community safety, comms, police liaison; the
/// community safety lead is in two of them and gets one message per channel.
fn critical_groups_on(step: u32) -> BTreeMap<u32, BTreeSet<(String, String)>> {
    let people = ["con-gold", "con-csl", "con-cs-officer", "con-comms", "con-police-liaison"];
    let set = people.iter().flat_map(|p| ["sms", "email"].map(|c| (p.to_string(), c.to_string()))).collect();
    BTreeMap::from([(step, set)])
}

#[tokio::test]
async fn ten_changes_make_one_digest_per_group_and_a_completed_section_goes_at_once() {
    needs_moto!();
    let rig = rig().await;
    // Ten changes over ten minutes, in four sections, none completing one.
    let changes = [
        ("con-csl", "incident-reporting-01", "done"),
        ("con-csl", "incident-reporting-02", "in_progress"),
        ("con-comms", "communications-01", "done"),
        ("con-comms", "communications-02", "in_progress"),
        ("con-comms", "communications-03", "not_applicable"),
        ("con-cs-officer", "community-liaison-01", "in_progress"),
        ("con-cs-officer", "community-liaison-02", "done"),
        ("con-police-liaison", "relationship-mapping-01", "in_progress"),
        ("con-csl", "response-plan-01", "done"),
        ("con-csl", "incident-reporting-02", "done"),
    ];
    for (contact, item, status) in changes {
        rig.h.clock.advance(Duration::minutes(1));
        rig.set(contact, item, status, "Spoke to the family liaison officer").await;
    }
    let checks = rig.checks();
    assert_eq!(checks.len(), 10, "each change queues a check");
    assert!(checks.iter().all(|c| c.reason == BriefingReason::Changes));
    assert_eq!(checks[0].due_at, START + Duration::minutes(1 + 30), "the licensee's 30-minute interval");

    // The first check to fall due sends one digest covering all ten; the rest find nothing new.
    rig.h.clock.advance(Duration::minutes(21)); // 02:41
    let mut outcomes = Vec::new();
    for check in &checks {
        rig.h.clock.set(check.due_at.max(rig.h.clock.now()));
        outcomes.push(briefings::run(&rig.briefings, check).await.unwrap());
    }
    assert_eq!(outcomes[0], Outcome::Sent { number: 1, groups: 4, messages: 10 });
    assert!(outcomes[1..].iter().all(|o| *o == Outcome::NothingNew), "{outcomes:?}");
    assert_eq!(rig.queued().await, critical_groups_on(1001), "one digest per person in each group, SMS and email");

    let emails = rig.emails_sent().await;
    assert_eq!(emails.len(), 5);
    let (_, subject, body) = emails.iter().find(|(to, _, _)| to.starts_with("comms@")).unwrap();
    assert_eq!(subject, "[SIM] Update 1: CRITICAL stabbing in Lambeth (Brixton North)");
    assert!(body.contains("Communications planning and implementation: Identify the lead agency"), "{body}");
    assert!(body.contains("now not applicable"), "{body}");
    assert!(body.contains("42 of 48 checklist items open"), "{body}");
    assert!(!body.contains("family liaison"), "notes stay on the page");
    let sms = rig.sms_sent().await;
    assert_eq!(sms.len(), 5);
    assert!(sms[0].1.starts_with("SIM UPDATE 1: CRITICAL stabbing"), "{}", sms[0].1);
    assert!(sms[0].1.contains("9 changes."), "ten changes to nine items: {}", sms[0].1);

    // Completing a section sends at once, not at the end of the interval.
    rig.h.clock.advance(Duration::minutes(5));
    for item in ["health-planning-01", "health-planning-02"] {
        rig.set("con-csl", item, "done", "").await;
    }
    let later: Vec<BriefingReason> = rig.checks().into_iter().map(|c| c.reason).collect();
    assert_eq!(later, vec![BriefingReason::Changes, BriefingReason::Changes]);
    rig.set("con-csl", "health-planning-03", "not_applicable", "").await;
    let checks = rig.checks();
    assert_eq!(checks.len(), 1);
    let completed = &checks[0];
    assert_eq!(completed.reason, BriefingReason::SectionComplete { section_id: "health-planning".into() });
    assert_eq!(completed.due_at, rig.h.clock.now(), "due at once");
    assert_eq!(
        briefings::run(&rig.briefings, completed).await.unwrap(),
        Outcome::Sent { number: 2, groups: 4, messages: 10 }
    );
    assert_eq!(rig.queued().await, critical_groups_on(1002));
    let emails = rig.emails_sent().await;
    let update_2 = emails.iter().find(|(to, s, _)| to.starts_with("gold@") && s.contains("Update 2")).unwrap();
    assert!(update_2.2.contains("Section complete: Health planning."), "{}", update_2.2);

    // A redelivered check sends nothing again.
    assert_eq!(briefings::run(&rig.briefings, completed).await.unwrap(), Outcome::NothingNew);
    assert!(rig.queued().await.is_empty());
}

#[tokio::test]
async fn closing_schedules_the_reviews_and_the_24_hour_review_re_alerts_the_groups() {
    needs_moto!();
    let rig = rig().await;
    rig.h.clock.advance(Duration::hours(5));
    rig.set("con-comms", "communications-01", "done", "").await;
    rig.checks();

    // Only the lead role (gold, for CRITICAL) can close.
    let page = rig.page("con-comms").await;
    assert!(page.contains("The gold lead closes the incident"), "{page}");
    assert!(!page.contains("name=\"closing_note\""));
    let refused = rig.post("con-comms", "/close", "version=0&closing_note=Done").await;
    assert_eq!(refused.status(), 403);
    assert!(rig.checks().is_empty() && rig.schedules().is_empty(), "nothing scheduled");

    let page = rig.page("con-gold").await;
    assert!(page.contains("<label for=\"closing-note\">"), "{page}");
    let version = field(&page[page.find("/close\"").unwrap()..], "name=\"version\" value=\"");
    let empty = rig.post("con-gold", "/close", &format!("version={version}&closing_note=+")).await;
    assert_eq!(empty.status(), 422, "a closing note is required");
    let closed = rig
        .post("con-gold", "/close", &format!("version={version}&closing_note=Response+ended%3B+review+booked"))
        .await;
    assert_eq!(closed.status(), 200, "{}", html(&closed));
    let closed_at = rig.h.clock.now();
    assert!(html(&closed).contains("The incident is closed."));
    assert!(rig.page("con-csl").await.contains("Closing note: Response ended; review booked"));

    // The closing update goes on the queue at once; the reviews are schedules.
    let checks = rig.checks();
    assert_eq!(
        checks.iter().map(|c| (c.reason.clone(), c.due_at)).collect::<Vec<_>>(),
        vec![(BriefingReason::Closed, closed_at)]
    );
    let reviews = rig.schedules();
    let scheduled: Vec<(BriefingReason, time::OffsetDateTime)> =
        reviews.iter().map(|c| (c.reason.clone(), c.due_at)).collect();
    assert_eq!(
        scheduled,
        vec![
            (BriefingReason::Review { after_hours: 24 }, closed_at + Duration::hours(24)),
            (BriefingReason::Review { after_hours: 72 }, closed_at + Duration::hours(72)),
            (BriefingReason::Review { after_hours: 168 }, closed_at + Duration::days(7)),
        ]
    );
    // Closing tells the groups at once, with the change made before it.
    assert_eq!(
        briefings::run(&rig.briefings, &checks[0]).await.unwrap(),
        Outcome::Sent { number: 1, groups: 4, messages: 10 }
    );
    assert_eq!(rig.queued().await, critical_groups_on(1001));
    let closing = rig.emails_sent().await;
    let (_, subject, body) = closing.iter().find(|(to, _, _)| to.starts_with("csl@")).unwrap();
    assert!(subject.starts_with("[SIM] Update 1"), "{subject}");
    assert!(body.contains("The incident was closed by the gold lead."), "{body}");
    assert!(!body.contains("review booked"), "the closing note stays on the page");

    // The 24-hour review waits as a schedule, not on the queue; one delivered
    // early waits on the delay queue for the rest.
    let review = &reviews[0];
    rig.h.clock.advance(Duration::hours(23));
    assert_eq!(rig.scheduler.fire_due().await.unwrap(), 0);
    assert!(rig.checks().is_empty());
    assert_eq!(briefings::run(&rig.briefings, review).await.unwrap(), Outcome::NotYetDue);
    let requeued = rig.briefings_queue.take_scheduled();
    assert_eq!(requeued.len(), 1);
    assert!(requeued[0].1 > std::time::Duration::from_secs(890), "held back the most SQS allows");

    rig.h.clock.set(review.due_at);
    assert_eq!(rig.scheduler.fire_due().await.unwrap(), 1);
    assert_eq!(rig.checks(), vec![review.clone()], "the schedule delivered the review to the queue");
    assert_eq!(rig.schedules().len(), 2, "and was deleted");
    assert_eq!(
        briefings::run(&rig.briefings, review).await.unwrap(),
        Outcome::Sent { number: 2, groups: 4, messages: 10 }
    );
    assert_eq!(rig.queued().await, critical_groups_on(1002), "the groups are re-alerted");
    let emails = rig.emails_sent().await;
    let (_, subject, body) = emails.iter().find(|(to, s, _)| to.starts_with("gold@") && s.contains("review")).unwrap();
    assert_eq!(subject, "[SIM] 24-hour review: CRITICAL stabbing in Lambeth (Brixton North)");
    assert!(body.contains("Open items"), "{body}");
    assert!(body.contains("Incident reporting: "), "lists the open items: {body}");
    assert!(body.contains("47 of 48 checklist items open"), "{body}");
    // Delivered twice, sent once.
    assert_eq!(briefings::run(&rig.briefings, review).await.unwrap(), Outcome::AlreadySent);
    assert!(rig.queued().await.is_empty());

    let timeline = rig.h.store.timeline(&IncidentId::parse(INCIDENT).unwrap()).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.event.kind()).collect();
    assert!(kinds.contains(&"closed"));
    assert_eq!(kinds.iter().filter(|k| **k == "briefing_sent").count(), 2);
}

#[tokio::test]
async fn a_key_date_re_alerts_the_groups_on_the_morning_of_the_day() {
    needs_moto!();
    let rig = rig().await;
    let past = rig.post("con-cs-officer", "/key-dates", "what=funeral&date=2026-11-20").await;
    assert_eq!(past.status(), 422);
    let added = rig.post("con-cs-officer", "/key-dates", "what=funeral&date=2026-12-03").await;
    assert_eq!(added.status(), 200);
    assert!(html(&added).contains("Funeral on Thu 3 Dec 2026 added."));
    assert!(rig.page("con-gold").await.contains("<li>Funeral: Thu 3 Dec 2026</li>"));
    assert!(rig.checks().is_empty(), "days ahead: a schedule, not the queue");
    let checks = rig.schedules();
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].due_at, datetime!(2026-12-03 09:00 UTC));
    let pending = rig.scheduler.pending();
    let (name, schedule) = pending.iter().next().unwrap();
    assert_eq!(name.as_str(), "funeral-20261203-inc-000001");
    assert_eq!(schedule.expression, "at(2026-12-03T09:00:00)", "09:00 UK time on the day");
    // Adding it again (a retry) leaves one schedule.
    let again = rig.post("con-cs-officer", "/key-dates", "what=funeral&date=2026-12-03").await;
    assert!(html(&again).contains("That key date was already added."));
    assert_eq!(rig.scheduler.pending().len(), 1);

    rig.h.clock.set(checks[0].due_at);
    let outcome = briefings::run(&rig.briefings, &checks[0]).await.unwrap();
    assert_eq!(outcome, Outcome::Sent { number: 1, groups: 4, messages: 10 });
    assert_eq!(rig.queued().await, critical_groups_on(1001));
    let sms = rig.sms_sent().await;
    assert!(sms.iter().all(|(_, t)| t.starts_with("SIM FUNERAL: CRITICAL stabbing")), "{sms:?}");
    assert!(sms[0].1.contains("48 of 48 checklist items open"), "{}", sms[0].1);
}

#[tokio::test]
async fn the_briefings_lambda_handles_its_sample_event() {
    needs_moto!();
    let rig = rig().await;
    rig.h.clock.advance(Duration::minutes(1));
    rig.set("con-comms", "communications-01", "done", "").await;
    rig.checks();
    rig.h.clock.set(datetime!(2026-11-21 02:41 UTC));
    let text = std::fs::read_to_string(format!("{}/../events/briefings-sqs.json", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let deps = &rig.briefings;
    for expected in [10, 0] {
        let sqs_event: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&text).unwrap();
        let response = sim::sqs_batch::process(sqs_event, |check: sim::domain::follow_up::BriefingCheck| async move {
            briefings::run(deps, &check).await
        })
        .await;
        assert!(response.batch_item_failures.is_empty());
        let sent: usize = rig.queued().await.values().map(BTreeSet::len).sum();
        assert_eq!(sent, expected, "one digest, then nothing new on redelivery");
    }
}

/// EventBridge Scheduler on moto, delivering to a named queue and dead-letter queue.
async fn eventbridge(group: &str) -> (EventBridgeScheduler, ScheduleTarget, aws_sdk_scheduler::Client) {
    let config = moto().await;
    let target = ScheduleTarget {
        group: group.to_owned(),
        queue_arn: "arn:aws:sqs:eu-west-2:000000000000:sim-briefings".into(),
        dead_letter_arn: "arn:aws:sqs:eu-west-2:000000000000:sim-briefings-dlq".into(),
        role_arn: "arn:aws:iam::000000000000:role/sim-scheduler".into(),
    };
    let client = aws_sdk_scheduler::Client::new(&config);
    let scheduler = EventBridgeScheduler::new(client.clone(), target.clone());
    scheduler.create_group_if_missing().await.unwrap();
    (scheduler, target, client)
}

#[tokio::test]
async fn a_seven_day_review_is_one_eventbridge_schedule_however_often_closing_is_sent() {
    needs_moto!();
    let mut rig = rig().await;
    let group = unique("sim-follow-ups");
    let (scheduler, target, client) = eventbridge(&group).await;
    rig.respond = responder_with(&rig.h, rig.key.clone(), rig.briefings_queue.clone(), Arc::new(scheduler));

    let page = rig.page("con-gold").await;
    let version = field(&page[page.find("/close\"").unwrap()..], "name=\"version\" value=\"");
    let form = format!("version={version}&closing_note=Response+ended");
    let closed_at = rig.h.clock.now();
    assert_eq!(rig.post("con-gold", "/close", &form).await.status(), 200);
    // The button pressed again (a retry after a timeout) schedules the same checks again.
    let again = rig.post("con-gold", "/close", &form).await;
    assert!(html(&again).contains("This incident was already closed"), "{}", html(&again));
    let closing: Vec<BriefingReason> = rig.checks().into_iter().map(|c| c.reason).collect();
    assert_eq!(closing, vec![BriefingReason::Closed, BriefingReason::Closed], "only the closing update is queued");

    let listed = client.list_schedules().group_name(&group).send().await.unwrap();
    let mut names: Vec<String> = listed.schedules().iter().filter_map(|s| s.name().map(str::to_owned)).collect();
    names.sort();
    assert_eq!(names, ["review-168h-inc-000001", "review-24h-inc-000001", "review-72h-inc-000001"]);

    let week = client.get_schedule().group_name(&group).name("review-168h-inc-000001").send().await.unwrap();
    // Closed 02:10 GMT on 21 November: the review falls due at 02:10 UK time a week on.
    assert_eq!(week.schedule_expression(), Some("at(2026-11-28T02:10:00)"));
    assert_eq!(week.schedule_expression_timezone(), Some("Europe/London"));
    assert_eq!(week.action_after_completion(), Some(&ActionAfterCompletion::Delete));
    assert_eq!(week.flexible_time_window().map(|w| w.mode()), Some(&FlexibleTimeWindowMode::Off));
    let to = week.target().unwrap();
    assert_eq!((to.arn(), to.role_arn()), (target.queue_arn.as_str(), target.role_arn.as_str()));
    assert_eq!(to.dead_letter_config().and_then(|d| d.arn()), Some(target.dead_letter_arn.as_str()));
    let delivered: BriefingCheck = serde_json::from_str(to.input().unwrap()).unwrap();
    assert_eq!(delivered.reason, BriefingReason::Review { after_hours: 168 });
    assert_eq!(delivered.due_at, closed_at + Duration::days(7));
    assert_eq!(delivered.incident_id.as_str(), INCIDENT);
}
