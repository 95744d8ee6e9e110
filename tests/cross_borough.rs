//! Cross-borough response (issue 19), end to end without the console pages:
//! a Lambeth incident naming Southwark offers Southwark a share; once Lambeth
//! confirms and Southwark accepts, Southwark's policy for shared incidents
//! alerts its people once; a withdrawal takes Southwark's access away and is
//! on both timelines; an amendment raising the category reaches Southwark.
//! On moto (DynamoDB, SQS), and the same scenario on the in-memory adapters.

use categorise::{ChannelQueues, Outcome};
use serde_json::{json, Value};
use sim::adapters::memory_queue::MemoryQueue;
use sim::domain::category::Category;
use sim::domain::contact::{Contact, EmailAddress, Group, PhoneNumber, Role};
use sim::domain::follow_up::{BriefingCheck, BriefingReason};
use sim::domain::notification::EscalationCheck;
use sim::domain::share::{ShareAction, ShareActor, ShareState, SharingSettings};
use sim::domain::{AreaName, Event, Incident, LicenceStatus, Licensee, Tier};
use sim::handoff::Handoff;
use sim::ids::{ContactId, GroupId, IncidentId, LicenseeId};
use sim::shares::{self, Ctx, ShareFailure};
use sim_tests::*;
use std::collections::BTreeSet;
use std::sync::Arc;
use time::Duration;

fn southwark() -> LicenseeId {
    LicenseeId::parse("southwark").unwrap()
}

/// Southwark, with a community safety team, education and youth services and
/// a comms team (which its shared-incident policy does not alert).
async fn seed_southwark(h: &Harness) {
    let store = &*h.store;
    store
        .put_licensee(&Licensee {
            id: southwark(),
            name: "London Borough of Southwark".into(),
            tier: Tier::LondonFree,
            status: LicenceStatus::Active,
            areas: ["Southwark", "E09000028"].iter().map(|a| AreaName::parse(a).unwrap()).collect(),
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
        ("con-sw-csl", "community-safety-lead", "101"),
        ("con-sw-cso", "community-safety", "102"),
        ("con-sw-edu", "education", "103"),
        ("con-sw-comms", "comms", "104"),
    ];
    for (id, role, suffix) in people {
        store
            .put_contact(&Contact {
                id: ContactId::parse(id).unwrap(),
                licensee_id: southwark(),
                name: format!("Southwark {role}"),
                role: Role::parse(role).unwrap(),
                organisation: "London Borough of Southwark".into(),
                mobile: Some(PhoneNumber::parse(&format!("+447700900{suffix}")).unwrap()),
                whatsapp_opt_in: true,
                email: Some(EmailAddress::parse(&format!("{id}@southwark.sim.example")).unwrap()),
                deputy: None,
                away_until: None,
                whatsapp_opt_in_given: None,
            })
            .await
            .unwrap();
    }
    let groups: [(&str, &[&str]); 3] = [
        ("grp-community-safety", &["con-sw-csl", "con-sw-cso"]),
        ("grp-education-youth", &["con-sw-edu"]),
        ("grp-comms", &["con-sw-comms"]),
    ];
    for (id, members) in groups {
        store
            .put_group(&Group {
                id: GroupId::parse(id).unwrap(),
                licensee_id: southwark(),
                name: id.into(),
                members: members.iter().map(|m| ContactId::parse(m).unwrap()).collect(),
                rota: None,
            })
            .await
            .unwrap();
    }
}

struct Rig {
    h: Harness,
    queues: ChannelQueues,
    briefings: Arc<MemoryQueue>,
    categorise: categorise::Deps,
}

impl Rig {
    async fn new(h: Harness, queues: ChannelQueues) -> Self {
        seed_southwark(&h).await;
        let briefings = Arc::new(MemoryQueue::new("briefings"));
        let categorise = categorise::Deps {
            store: h.store.clone(),
            queues: queues.clone(),
            escalation: Arc::new(MemoryQueue::new("escalation")),
            briefings: briefings.clone(),
            clock: h.clock.clone(),
            ids: h.ids.clone(),
        };
        Self { h, queues, briefings, categorise }
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx { store: &*self.h.store, clock: &*self.h.clock, ids: &*self.h.ids }
    }

    async fn report(&self, body: Value) -> IncidentId {
        let answer = self.h.call(request("POST", "/v1/incidents", Some(&met_key()), Some(body.to_string()))).await;
        assert_eq!(answer.status(), 202, "{:?}", json(&answer));
        IncidentId::parse(json(&answer)["id"].as_str().unwrap()).unwrap()
    }

    async fn status(&self, id: &IncidentId) -> Value {
        json(&self.h.call(request("GET", &format!("/v1/incidents/{id}"), Some(&met_key()), None)).await)
    }

    /// Who was sent what: (contact, channel) for every message on the sender queues.
    async fn sent(&self) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for queue in [&self.queues.sms, &self.queues.email, &self.queues.whatsapp] {
            for body in drain(&**queue).await {
                out.insert((body["contact_id"].as_str().unwrap().into(), body["channel"].as_str().unwrap().into()));
            }
        }
        out
    }

    async fn act(
        &self,
        acting_for: &LicenseeId,
        incident: &IncidentId,
        action: ShareAction,
        staff: &str,
    ) -> Result<ShareState, ShareFailure> {
        let actor = ShareActor::Staff(staff.into());
        shares::act(self.ctx(), acting_for, incident, &southwark(), action, actor).await.map(|s| s.state)
    }

    /// Hands on (as intake and the sweeper do) and categorises every incident with a pending hand-off.
    async fn hand_on_and_categorise(&self, incident: &IncidentId) -> Vec<String> {
        let incident = self.h.store.get_incident(incident).await.unwrap().unwrap();
        let handoff =
            Handoff { store: &*self.h.store, queue: &*self.h.queue, clock: &*self.h.clock, ids: &*self.h.ids };
        handoff.hand_on(&incident, None).await.unwrap();
        categorise_handed_on(&self.h, &self.categorise).await
    }

    async fn kinds(&self, incident: &IncidentId) -> Vec<&'static str> {
        self.h.store.timeline(incident).await.unwrap().iter().map(|e| e.event.kind()).collect()
    }

    async fn linked(&self, incident: &IncidentId) -> Incident {
        let share = self.h.store.get_share(incident, &southwark()).await.unwrap().unwrap();
        self.h.store.get_incident(&share.partner_incident_id).await.unwrap().expect("the linked incident is open")
    }
}

fn naming_southwark(reference: &str) -> Value {
    let mut body = event_body("intake-report.json");
    body["police_reference"] = json!(reference);
    body["connected_areas"] = json!(["London Borough of Southwark", "Atlantis"]);
    body
}

fn pairs(list: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

const SOUTHWARK_ALERTS: &[(&str, &str)] = &[
    ("con-sw-csl", "sms"),
    ("con-sw-csl", "email"),
    ("con-sw-cso", "sms"),
    ("con-sw-cso", "email"),
    ("con-sw-edu", "sms"),
    ("con-sw-edu", "email"),
];

fn count(kinds: &[&str], kind: &str) -> usize {
    kinds.iter().filter(|k| **k == kind).count()
}

async fn offer_confirm_accept_alerts_southwark_once(rig: Rig) {
    let lambeth = sim::demo::lambeth();
    let id = rig.report(naming_southwark("CAD 19/21NOV26")).await;
    let handed_on = rig.hand_on_and_categorise(&id).await;
    assert!(rig.sent().await.iter().all(|(contact, _)| !contact.starts_with("con-sw-")), "Lambeth's own alerts only");

    // Offered, not yet shared: Southwark can neither see nor accept it.
    let share = rig.h.store.get_share(&id, &southwark()).await.unwrap().expect("Southwark is offered a share");
    assert_eq!(share.state, ShareState::Offered);
    assert_eq!(share.area, AreaName::parse("Southwark").unwrap());
    assert!(matches!(
        rig.act(&southwark(), &id, ShareAction::Accept, "stf-sw-duty").await,
        Err(ShareFailure::NotFound)
    ));
    assert_eq!(shares::partner_view(&*rig.h.store, &southwark(), &id).await.unwrap(), None);
    let kinds = rig.kinds(&id).await;
    assert_eq!(count(&kinds, "share_offered"), 1);
    assert_eq!(count(&kinds, "alert_gap_connected_area"), 1, "Atlantis: no licensee covers it, nobody is told");
    let status = rig.status(&id).await;
    assert_eq!(status["connected_areas"], json!(["Atlantis", "London Borough of Southwark"]));
    assert_eq!(
        status["shared_with"],
        json!([{"licensee_id": "southwark", "share": "offered", "acknowledgements": [], "awaiting": []}])
    );

    // A redelivered hand-off offers nothing twice and records the gap once.
    for body in &handed_on {
        assert_eq!(categorise::handle_message(&rig.categorise, body).await.unwrap(), Outcome::AlreadyDone);
    }
    let kinds = rig.kinds(&id).await;
    assert_eq!((count(&kinds, "share_offered"), count(&kinds, "alert_gap_connected_area")), (1, 1));
    assert_eq!(rig.h.store.shares_with_partner(&southwark()).await.unwrap().len(), 1);

    // Lambeth's lead confirms; only Lambeth may, and Kent is told nothing.
    assert!(matches!(
        rig.act(&sim::demo::kent(), &id, ShareAction::Confirm, "stf-k").await,
        Err(ShareFailure::NotFound)
    ));
    assert!(matches!(
        rig.act(&southwark(), &id, ShareAction::Confirm, "stf-sw-duty").await,
        Err(ShareFailure::NotFound)
    ));
    assert_eq!(rig.act(&lambeth, &id, ShareAction::Confirm, "stf-lead").await.unwrap(), ShareState::Confirmed);
    assert!(matches!(rig.act(&lambeth, &id, ShareAction::Accept, "stf-lead").await, Err(ShareFailure::NotAllowed(_))));
    assert!(rig.sent().await.is_empty(), "confirmed is not accepted: nobody in Southwark is alerted yet");

    // Southwark's duty officer accepts: its own incident, alerted under its shared-incident policy.
    assert_eq!(rig.act(&southwark(), &id, ShareAction::Accept, "stf-sw-duty").await.unwrap(), ShareState::Accepted);
    let linked = rig.linked(&id).await;
    assert_eq!(linked.licensee_id, southwark());
    assert_eq!(linked.shared_from.as_ref().unwrap().incident_id, id);
    let linked_handed_on = rig.hand_on_and_categorise(&linked.id).await;
    assert_eq!(rig.sent().await, pairs(SOUTHWARK_ALERTS), "community safety and education, SMS and email, not comms");
    let notifications = rig.h.store.notifications(&linked.id).await.unwrap();
    assert!(notifications.iter().all(|n| n.required), "acknowledgement is expected");

    // Once: redelivery, a retried acceptance and the sweeper add nothing.
    for body in linked_handed_on.iter().chain(&handed_on) {
        assert_eq!(categorise::handle_message(&rig.categorise, body).await.unwrap(), Outcome::AlreadyDone);
    }
    assert!(matches!(
        rig.act(&southwark(), &id, ShareAction::Accept, "stf-sw-duty").await,
        Err(ShareFailure::NotAllowed(_))
    ));
    rig.h.clock.advance(Duration::minutes(5));
    let sweeper = rig.h.sweeper(rig.h.queue.clone());
    assert_eq!(sweep::sweep(&sweeper).await.unwrap().handed_on, 0);
    assert!(rig.sent().await.is_empty());

    // Both timelines tell the story; Southwark reads the summary, category and checklist progress.
    let owner_kinds = rig.kinds(&id).await;
    let partner_kinds = rig.kinds(&linked.id).await;
    for kind in ["share_offered", "share_confirmed", "share_accepted"] {
        assert_eq!(count(&owner_kinds, kind), 1, "{kind} on Lambeth's timeline");
        assert_eq!(count(&partner_kinds, kind), 1, "{kind} on Southwark's timeline");
    }
    let view = shares::partner_view(&*rig.h.store, &southwark(), &id).await.unwrap().expect("Southwark may read it");
    assert_eq!(view.category, Some(Category::Critical));
    assert_eq!(view.checklist.len(), 9, "the owner's checklist progress, by section");
    assert_eq!(view.report.police_reference.as_str(), "CAD 19/21NOV26");
    assert_eq!(shares::partner_view(&*rig.h.store, &sim::demo::kent(), &id).await.unwrap(), None);
    let own = rig.h.store.checklist(&linked.id).await.unwrap();
    let texts: Vec<&str> = own.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Schools in our area alerted",
            "Youth services informed",
            "Community reassurance in our area",
            "Named lead for our area agreed with the owner"
        ],
        "Southwark works its own short section, not the toolkit"
    );
    assert!(own.iter().all(|i| i.section_id == "partner-area"));
    assert!(shares::may_open(&*rig.h.store, &southwark(), &linked).await.unwrap());
    let owner = rig.h.store.get_incident(&id).await.unwrap().unwrap();
    assert!(!shares::may_open(&*rig.h.store, &southwark(), &owner).await.unwrap(), "never Lambeth's own incident");

    // Police see who is involved and who has acknowledged.
    let status = rig.status(&id).await;
    let partner = &status["shared_with"][0];
    assert_eq!(partner["share"], "accepted");
    assert_eq!(partner["awaiting"], json!(["community-safety", "community-safety-lead", "education"]));

    // Southwark's education lead marks its schools alerted from their own link; Lambeth's lead reads it.
    let key = sim::links::LinkKey::generate();
    let deps = responder(&rig.h, key.clone());
    let sms = sim::domain::policy::Channel::Sms;
    let (theirs, ours) =
        (link_token(&key, linked.id.as_str(), "con-sw-edu", sms), link_token(&key, id.as_str(), "con-gold", sms));
    let (_, html) = personal_page(&deps, &theirs, "", None).await;
    assert!(html.contains("Schools in our area alerted"), "their own section to work");
    let progress = &html[html.find("id=\"owner-progress\"").expect("the owner's progress")..];
    let progress = &progress[..progress.find("</ul>").unwrap()];
    assert!(progress.contains("Incident reporting: 0 of"), "the owner's progress, read only: {progress}");
    assert!(!progress.contains("<form") && !html.contains("incident-reporting-01"), "not the owner's items to work");
    let done = format!("form_key={}&version=1&status=done", form_key_of(&html));
    let (status, _) = personal_page(&deps, &theirs, "/items/partner-area-01", Some(&done)).await;
    assert_eq!(status, 303, "Southwark's responder works its own section");
    let (_, html) = personal_page(&deps, &ours, "", None).await;
    assert!(html.contains("London Borough of Southwark (1 of 4 done)"), "{html}");
    let section = &html[html.find("id=\"partner-southwark\"").expect("Southwark's section")..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.contains("Schools in our area alerted — <strong>done</strong>"), "{section}");
    assert!(!section.contains("<form") && !section.contains("Southwark education"), "read only, nobody named");

    // Withdrawal: Southwark loses access at once, and it is on both timelines.
    assert_eq!(rig.act(&lambeth, &id, ShareAction::Withdraw, "stf-lead").await.unwrap(), ShareState::Withdrawn);
    let (_, html) = personal_page(&deps, &ours, "", None).await;
    assert!(!html.contains("partner-southwark"), "a withdrawn share's section no longer shows");
    // Southwark's people's links stop opening the linked incident, and their forms change nothing.
    assert_eq!(personal_page(&deps, &theirs, "", None).await.0, 404, "withdrawal ends the partner's links too");
    let again = format!("form_key={}&version=2&status=not_started", key.form_key(&theirs));
    assert_eq!(personal_page(&deps, &theirs, "/items/partner-area-01", Some(&again)).await.0, 404);
    assert!(html.contains("Other areas connected to this incident: Atlantis, London Borough of Southwark."));
    assert_eq!(shares::partner_view(&*rig.h.store, &southwark(), &id).await.unwrap(), None);
    assert!(!shares::may_open(&*rig.h.store, &southwark(), &linked).await.unwrap());
    assert_eq!(count(&rig.kinds(&id).await, "share_withdrawn"), 1);
    assert_eq!(count(&rig.kinds(&linked.id).await, "share_withdrawn"), 1);
    assert!(rig.act(&southwark(), &id, ShareAction::Refuse, "stf-sw-duty").await.is_err());
    assert_eq!(rig.status(&id).await["shared_with"][0]["share"], "withdrawn");

    // Southwark's silent roles are no longer chased once the share is withdrawn.
    let now = sim::clock::Clock::now(&*rig.h.clock);
    let chase = EscalationCheck { incident_id: linked.id.clone(), round: 1, step: 0, due_at: now };
    assert_eq!(escalate::escalate(&rig.categorise, &chase).await.unwrap(), escalate::Outcome::Superseded);
    assert!(rig.sent().await.is_empty());
    // Nor briefed: a briefing check for Southwark's linked incident stops.
    let briefing =
        BriefingCheck { incident_id: linked.id.clone(), reason: BriefingReason::CategoryChanged, due_at: now };
    assert_eq!(briefings::run(&rig.categorise, &briefing).await.unwrap(), briefings::Outcome::ShareWithdrawn);
    assert!(rig.sent().await.is_empty(), "no briefing reaches Southwark's people after the withdrawal");
}

async fn a_raised_category_reaches_the_partner(rig: Rig) {
    let lambeth = sim::demo::lambeth();
    let mut body = naming_southwark("CAD 20/21NOV26");
    body["victims"] = json!([{"age_band": "35-49", "injury": "serious"}]);
    body["flags"] = json!([]);
    let id = rig.report(body).await;
    rig.hand_on_and_categorise(&id).await;
    rig.sent().await; // Lambeth's own alerts
    rig.act(&lambeth, &id, ShareAction::Confirm, "stf-lead").await.unwrap();
    rig.act(&southwark(), &id, ShareAction::Accept, "stf-sw-duty").await.unwrap();
    let linked = rig.linked(&id).await;
    rig.hand_on_and_categorise(&linked.id).await;
    let category = rig.h.store.get_categorisation(&linked.id).await.unwrap().unwrap().category;
    assert_eq!(category, Category::SeriousViolence);
    assert_eq!(rig.sent().await, pairs(SOUTHWARK_ALERTS), "alerted under its shared-incident policy");
    drain(&*rig.briefings).await;

    // Police: the victim has died. Lambeth's category rises, and so does Southwark's.
    let update = json!({"victims": [{"age_band": "35-49", "injury": "fatal"}]}).to_string();
    let path = format!("/v1/incidents/{id}/updates");
    assert_eq!(rig.h.call(request("POST", &path, Some(&met_key()), Some(update))).await.status(), 202);
    categorise_handed_on(&rig.h, &rig.categorise).await;
    rig.sent().await; // Lambeth's upgrade round
    let followed = rig.linked(&id).await;
    assert_eq!(followed.version, 2, "Southwark's incident follows the amendment");
    assert!(followed.handoff.is_some());
    rig.h.clock.advance(Duration::minutes(2));
    let sweeper = rig.h.sweeper(rig.h.queue.clone());
    assert_eq!(sweep::sweep(&sweeper).await.unwrap().handed_on, 1, "the sweeper hands Southwark's incident on");
    categorise_handed_on(&rig.h, &rig.categorise).await;
    let raised = rig.h.store.get_categorisation(&linked.id).await.unwrap().unwrap();
    assert_eq!((raised.category, raised.round), (Category::Critical, 2));
    assert!(rig.h.store.timeline(&linked.id).await.unwrap().iter().any(|e| matches!(
        e.event,
        Event::CategoryRaised { from: Category::SeriousViolence, to: Category::Critical, .. }
    )));
    // Southwark's people already alerted hear of the upgrade at once, under its policy.
    let checks: Vec<BriefingCheck> =
        drain(&*rig.briefings).await.into_iter().map(|b| serde_json::from_value(b).unwrap()).collect();
    let to_southwark: Vec<&BriefingCheck> = checks.iter().filter(|c| c.incident_id == linked.id).collect();
    assert_eq!(to_southwark.len(), 1);
    assert_eq!(to_southwark[0].reason, BriefingReason::CategoryChanged);
    let briefings = categorise::Deps {
        store: rig.h.store.clone(),
        queues: rig.queues.clone(),
        escalation: Arc::new(MemoryQueue::new("escalation")),
        briefings: rig.briefings.clone(),
        clock: rig.h.clock.clone(),
        ids: rig.h.ids.clone(),
    };
    briefings::run(&briefings, to_southwark[0]).await.unwrap();
    let told: BTreeSet<String> = rig.sent().await.into_iter().map(|(contact, _)| contact).collect();
    let expected: BTreeSet<String> = ["con-sw-csl", "con-sw-cso", "con-sw-edu"].map(String::from).into();
    assert_eq!(told, expected, "the partner's responding people, not its comms team");
}

async fn critical_is_confirmed_automatically_when_the_owner_says_so(rig: Rig) {
    let mut lambeth = rig.h.store.get_licensee(&sim::demo::lambeth()).await.unwrap().unwrap();
    lambeth.sharing = Some(SharingSettings { confirm_critical_automatically: true, ..Default::default() });
    rig.h.store.put_licensee(&lambeth).await.unwrap();
    let id = rig.report(naming_southwark("CAD 21/21NOV26")).await;
    rig.hand_on_and_categorise(&id).await;
    let share = rig.h.store.get_share(&id, &southwark()).await.unwrap().unwrap();
    assert_eq!(share.state, ShareState::Confirmed);
    assert_eq!(share.history.last().unwrap().actor, ShareActor::Policy);
    assert_eq!(count(&rig.kinds(&id).await, "share_confirmed"), 1);
    // Southwark's duty staff may refuse; that too is recorded.
    assert_eq!(rig.act(&southwark(), &id, ShareAction::Refuse, "stf-sw-duty").await.unwrap(), ShareState::Refused);
    assert_eq!(count(&rig.kinds(&id).await, "share_refused"), 1);
    let listed = rig.h.store.shares_with_partner(&southwark()).await.unwrap();
    let steps: Vec<ShareState> = listed[0].history.iter().map(|s| s.state).collect();
    assert_eq!(steps, vec![ShareState::Offered, ShareState::Confirmed, ShareState::Refused], "Southwark's record");
}

/// Council staff name Southwark on an incident police did not connect: on
/// the timeline with who did it, and Southwark is offered a share exactly as
/// for police naming; its own borough, a repeat or a linked incident are refused.
fn staff_duty() -> sim::domain::Actor {
    sim::domain::staff::StaffId::parse("stf-duty").unwrap().into()
}

async fn staff_name_a_connected_area(rig: Rig) {
    let mut body = event_body("intake-report.json");
    body["police_reference"] = json!("CAD 23/21NOV26");
    let id = rig.report(body).await;
    rig.hand_on_and_categorise(&id).await;
    assert!(rig.h.store.shares_of_incident(&id).await.unwrap().is_empty(), "nothing is offered yet");
    let area = |name: &str| AreaName::parse(name).unwrap();
    let incident = rig.h.store.get_incident(&id).await.unwrap().unwrap();
    let offered = shares::add_connected_area(rig.ctx(), &incident, area("London Borough of Southwark"), staff_duty())
        .await
        .unwrap();
    assert_eq!(offered.offered, 1);
    let share = rig.h.store.get_share(&id, &southwark()).await.unwrap().expect("Southwark is offered a share");
    assert_eq!((share.state, share.area.as_str()), (ShareState::Offered, "London Borough of Southwark"));
    let timeline = rig.h.store.timeline(&id).await.unwrap();
    let added: Vec<&Event> = timeline.iter().map(|e| &e.event).filter(|e| e.kind() == "connected_area_added").collect();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].staff(), Some("stf-duty"), "who did it");
    assert_eq!(count(&rig.kinds(&id).await, "share_offered"), 1);
    assert!(rig.sent().await.iter().all(|(c, _)| !c.starts_with("con-sw-")), "an offer alerts nobody in Southwark");

    let incident = rig.h.store.get_incident(&id).await.unwrap().unwrap();
    assert_eq!(incident.report.connected_areas, vec![area("Southwark")]);
    for (name, expected) in [("southwark", "already named"), ("Lambeth", "own borough")] {
        let refused = shares::add_connected_area(rig.ctx(), &incident, area(name), staff_duty()).await.unwrap_err();
        assert!(refused.to_string().contains(expected), "{name}: {refused}");
    }
    assert_eq!(rig.h.store.get_incident(&id).await.unwrap().unwrap().version, incident.version, "nothing changed");
}

#[tokio::test]
async fn memory_council_staff_name_a_connected_area_and_its_licensee_is_offered_a_share() {
    staff_name_a_connected_area(memory_rig().await).await;
}

#[tokio::test]
async fn moto_council_staff_name_a_connected_area_and_its_licensee_is_offered_a_share() {
    needs_moto!();
    staff_name_a_connected_area(moto_rig().await).await;
}

/// A page of the respond function for `token` (`path` after `/a/{token}`), as a phone opens or posts it.
async fn personal_page(deps: &respond::Deps, token: &str, path: &str, form: Option<&str>) -> (u16, String) {
    let builder = http::Request::builder()
        .method(if form.is_some() { "POST" } else { "GET" })
        .uri(format!("/a/{token}{path}"))
        .header("user-agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Safari/604.1")
        .header("content-type", "application/x-www-form-urlencoded");
    let body = form.map_or(lambda_http::Body::Empty, |f| lambda_http::Body::from(f.to_owned()));
    let answer = respond::handle(deps, builder.body(body).unwrap()).await;
    (answer.status().as_u16(), String::from_utf8_lossy(answer.body().as_ref()).into_owned())
}

fn form_key_of(html: &str) -> String {
    let start = html.find("name=\"form_key\" value=\"").expect("a form") + "name=\"form_key\" value=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// The incident's lead (Lambeth's gold for CRITICAL) names Southwark from
/// their personal page: on the timeline by that contact, and a share offered
/// as for police naming. Anyone else is shown no form and refused, and
/// nothing changes.
async fn the_lead_names_a_connected_area_from_the_personal_page(rig: Rig) {
    let mut body = event_body("intake-report.json");
    body["police_reference"] = json!("CAD 25/21NOV26");
    let id = rig.report(body).await;
    rig.hand_on_and_categorise(&id).await;
    let key = sim::links::LinkKey::generate();
    let deps = responder(&rig.h, key.clone());
    let sms = sim::domain::policy::Channel::Sms;
    let (lead, other) = (link_token(&key, id.as_str(), "con-gold", sms), link_token(&key, id.as_str(), "con-csl", sms));
    let before = rig.h.store.get_incident(&id).await.unwrap().unwrap();

    // Not the lead: no form, and a post is refused with nothing changed.
    let (status, html) = personal_page(&deps, &other, "", None).await;
    assert_eq!(status, 200);
    assert!(!html.contains("Another area is connected"), "only the lead is offered the form");
    let form = format!("form_key={}&area=Southwark", form_key_of(&html));
    let (status, html) = personal_page(&deps, &other, "/areas", Some(&form)).await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("Only the incident's lead can name a connected area"));
    assert!(rig.h.store.shares_of_incident(&id).await.unwrap().is_empty());
    assert_eq!(rig.h.store.get_incident(&id).await.unwrap().unwrap(), before);
    assert_eq!(count(&rig.kinds(&id).await, "connected_area_added"), 0);

    // The lead: the form; a forged form key or a blank or own-borough name changes nothing.
    let (_, html) = personal_page(&deps, &lead, "", None).await;
    assert!(html.contains("Another area is connected"), "{html}");
    let form_key = form_key_of(&html);
    let forged = personal_page(&deps, &lead, "/areas", Some("form_key=forged&area=Southwark")).await;
    assert_eq!(forged.0, 403);
    for (area, said) in [("", "Enter a borough or council area name"), ("Lambeth", "own borough")] {
        let (status, html) =
            personal_page(&deps, &lead, "/areas", Some(&format!("form_key={form_key}&area={area}"))).await;
        assert_eq!(status, 422, "{area:?}");
        assert!(html.contains(said), "{area:?}: {html}");
    }
    assert_eq!(rig.h.store.get_incident(&id).await.unwrap().unwrap(), before);

    let (status, html) =
        personal_page(&deps, &lead, "/areas", Some(&format!("form_key={form_key}&area=Southwark"))).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Southwark is added as a connected area"), "{html}");
    assert!(html.contains("Other areas connected to this incident: Southwark."));
    let share = rig.h.store.get_share(&id, &southwark()).await.unwrap().expect("Southwark is offered a share");
    assert_eq!(share.state, ShareState::Offered);
    let timeline = rig.h.store.timeline(&id).await.unwrap();
    let added: Vec<&Event> = timeline.iter().map(|e| &e.event).filter(|e| e.kind() == "connected_area_added").collect();
    assert_eq!(added.len(), 1);
    assert_eq!((added[0].contact(), added[0].staff()), (Some("con-gold"), None), "on the timeline by the lead");
    assert_eq!(count(&rig.kinds(&id).await, "share_offered"), 1);
    assert!(rig.sent().await.iter().all(|(c, _)| !c.starts_with("con-sw-")), "an offer alerts nobody in Southwark");
}

#[tokio::test]
async fn memory_the_incidents_lead_names_a_connected_area_from_the_personal_page_and_others_cannot() {
    the_lead_names_a_connected_area_from_the_personal_page(memory_rig().await).await;
}

#[tokio::test]
async fn moto_the_incidents_lead_names_a_connected_area_from_the_personal_page_and_others_cannot() {
    needs_moto!();
    the_lead_names_a_connected_area_from_the_personal_page(moto_rig().await).await;
}

async fn moto_rig() -> Rig {
    Rig::new(moto_harness().await, moto_channel_queues().await).await
}

async fn memory_rig() -> Rig {
    Rig::new(memory_harness().await, memory_channel_queues()).await
}

#[tokio::test]
async fn moto_a_lambeth_incident_naming_southwark_is_shared_by_consent_alerts_once_and_withdraws() {
    needs_moto!();
    offer_confirm_accept_alerts_southwark_once(moto_rig().await).await;
}

#[tokio::test]
async fn memory_a_lambeth_incident_naming_southwark_is_shared_by_consent_alerts_once_and_withdraws() {
    offer_confirm_accept_alerts_southwark_once(memory_rig().await).await;
}

#[tokio::test]
async fn moto_an_amendment_raising_the_category_reaches_the_partner_under_its_policy() {
    needs_moto!();
    a_raised_category_reaches_the_partner(moto_rig().await).await;
}

#[tokio::test]
async fn memory_an_amendment_raising_the_category_reaches_the_partner_under_its_policy() {
    a_raised_category_reaches_the_partner(memory_rig().await).await;
}

#[tokio::test]
async fn moto_critical_shares_are_confirmed_automatically_under_the_owners_policy_and_may_be_refused() {
    needs_moto!();
    critical_is_confirmed_automatically_when_the_owner_says_so(moto_rig().await).await;
}

mod console_pages {
    //! The same walk through the console, on the in-memory adapters: Lambeth's
    //! duty officer confirms, Southwark's accepts; Southwark's staff see the
    //! shared incident and nothing else of Lambeth's; a withdrawal ends it.
    use super::*;
    use console::{handle, routes};
    use sim::adapters::memory_console::MemoryConsoleStore;
    use sim::domain::staff::{ConsoleRole, StaffId, StaffMember};
    use sim::ports::sessions::{Session, SessionStore};
    use sim::ports::staff::StaffStore;

    struct Console {
        rig: Rig,
        deps: console::Deps,
        store: Arc<MemoryConsoleStore>,
    }

    async fn console() -> Console {
        let memory = Arc::new(sim::adapters::memory_store::MemoryStore::new());
        let h = Harness::new(memory.clone(), Arc::new(MemoryQueue::new("categorise"))).seeded().await;
        let rig = Rig::new(h, memory_channel_queues()).await;
        let store = Arc::new(MemoryConsoleStore::new());
        let deps = console_deps(rig.h.store.clone(), memory, rig.h.clock.clone(), rig.h.ids.clone())
            .console(store.clone())
            .handoff(rig.h.queue.clone())
            .build();
        Console { rig, deps, store }
    }

    /// A signed-in duty officer of `licensee`: the cookie header and the CSRF token.
    async fn duty(c: &Console, licensee: &str) -> (String, String) {
        let id = StaffId::parse(&format!("stf-{licensee}-duty")).unwrap();
        let licensee = LicenseeId::parse(licensee).unwrap();
        let roles = BTreeSet::from([ConsoleRole::Duty]);
        let member = StaffMember::new(id.clone(), licensee.clone(), "Duty officer", None, None, roles, START).unwrap();
        c.store.put_staff(&member).await.unwrap();
        let (value, csrf) = (console::session::random_token(), console::session::random_token());
        let now = sim::clock::Clock::now(&*c.rig.h.clock);
        let session = Session {
            key: console::session::key_of(&value),
            staff_id: id,
            licensee_id: licensee,
            csrf: csrf.clone(),
            created_at: now,
            last_seen: now,
            expires_at: now + Duration::hours(12),
        };
        c.store.put_session(&session).await.unwrap();
        (format!("__Host-sim-session={value}"), csrf)
    }

    async fn call(c: &Console, method: &str, path: &str, cookie: &str, body: &str) -> http::Response<String> {
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.as_bytes().to_vec())
            .unwrap();
        handle(&c.deps, req).await
    }

    #[tokio::test]
    async fn the_offer_and_acceptance_walk_through_the_console_and_southwark_sees_only_what_is_shared() {
        let c = console().await;
        let (lambeth, lambeth_csrf) = duty(&c, "lambeth").await;
        let (southwark_cookie, southwark_csrf) = duty(&c, "southwark").await;
        let id = c.rig.report(naming_southwark("CAD 22/21NOV26")).await;
        c.rig.hand_on_and_categorise(&id).await;
        c.rig.sent().await;

        // Offered: Lambeth sees it, Southwark does not yet.
        let section = call(&c, "GET", &format!("/console/incidents/{id}/shares"), &lambeth, "").await;
        assert_eq!(section.status(), 200);
        assert!(section.body().contains("Confirm sharing with southwark"), "{}", section.body());
        let list = call(&c, "GET", "/console/shared", &southwark_cookie, "").await;
        assert!(list.body().contains("No other licensee has shared an incident with you."));
        assert!(list.body().contains(r#"<a href="/console/shared">Shared with us</a>"#), "no offer awaiting yet");
        assert_eq!(call(&c, "GET", &format!("/console/shared/{id}"), &southwark_cookie, "").await.status(), 404);

        // A stale form moves nothing; Lambeth's duty officer confirms.
        let path = format!("/console/incidents/{id}/shares");
        let stale = call(&c, "POST", &path, &lambeth, "csrf=old&partner=southwark&action=confirm").await;
        assert_eq!(stale.status(), 403);
        let body = format!("csrf={lambeth_csrf}&partner=southwark&action=confirm");
        assert_eq!(call(&c, "POST", &path, &lambeth, &body).await.status(), 303);
        assert_eq!(c.rig.h.store.get_share(&id, &southwark()).await.unwrap().unwrap().state, ShareState::Confirmed);

        // Southwark's header counts the offer awaiting its acceptance (an unconfirmed offer was not counted).
        let awaiting =
            r#"<a href="/console/shared">Shared with us (1<span class="visually-hidden"> offers awaiting</span>)</a>"#;
        let board = call(&c, "GET", "/console", &southwark_cookie, "").await;
        assert!(board.body().contains(awaiting), "{}", board.body());
        let lambeth_board = call(&c, "GET", "/console", &lambeth, "").await;
        assert!(lambeth_board.body().contains(r#"<a href="/console/shared">Shared with us</a>"#), "not the owner's");

        // Southwark's list marks it shared; its duty officer accepts.
        let list = call(&c, "GET", "/console/shared", &southwark_cookie, "").await;
        assert!(list.body().contains("Shared") && list.body().contains(&format!("/console/shared/{id}")));
        let offer = call(&c, "GET", &format!("/console/shared/{id}"), &southwark_cookie, "").await;
        assert!(offer.body().contains("Accept and alert our people"));
        assert!(!offer.body().contains("CAD 22/21NOV26"), "no summary before acceptance");
        let accept = format!("csrf={southwark_csrf}&action=accept");
        assert_eq!(call(&c, "POST", &format!("/console/shared/{id}"), &southwark_cookie, &accept).await.status(), 303);
        // Accepting hands Southwark's linked incident on at once: no wait for the sweeper.
        let linked = c.rig.linked(&id).await;
        assert!(linked.handoff.is_some(), "pending until categorisation clears the marker");
        let handed_on = categorise_handed_on(&c.rig.h, &c.rig.categorise).await;
        assert_eq!(handed_on.len(), 1, "exactly one hand-off queued by the acceptance");
        assert!(handed_on[0].contains(linked.id.as_str()));
        assert!(c.rig.linked(&id).await.handoff.is_none(), "cleared by categorisation");
        assert_eq!(c.rig.sent().await, pairs(SOUTHWARK_ALERTS));

        // Read only: summary, category and checklist progress; the board marks its own response shared.
        let view = call(&c, "GET", &format!("/console/shared/{id}"), &southwark_cookie, "").await;
        assert_eq!(view.status(), 200);
        for part in ["CAD 22/21NOV26", "CRITICAL", "Their checklist progress", "Incident reporting"] {
            assert!(view.body().contains(part), "{part} missing from the shared view");
        }
        assert!(!view.body().contains("Accept and alert"));
        assert!(!view.body().contains("con-gold") && !view.body().contains("Director of Communities"));
        let board = call(&c, "GET", "/console", &southwark_cookie, "").await;
        assert!(board.body().contains("Shared"), "the board marks the shared incident");
        assert!(board.body().contains(linked.id.as_str()), "Southwark's board lists its linked incident");
        assert!(board.body().contains(r#"<a href="/console/shared">Shared with us</a>"#), "the header links to it");
        let own = call(&c, "GET", &format!("/console/incidents/{}", linked.id), &southwark_cookie, "").await;
        assert_eq!(own.status(), 200, "Southwark's own response to it");

        // Lambeth reads Southwark's own checklist progress on its share section, read only.
        let theirs = |body: &str| body.split("Checklist progress at southwark").nth(1).map(str::to_owned);
        let section = call(&c, "GET", &path_of(&id), &lambeth, "").await;
        let before = theirs(section.body()).expect("Southwark's progress is shown once it accepted");
        let items = c.rig.h.store.checklist(&linked.id).await.unwrap();
        let first = &items[0];
        let total = items.iter().filter(|i| i.section_id == first.section_id).count();
        assert!(before.contains(&format!("0 of {total}")), "{before}");
        let done = sim::domain::checklist::ItemChange {
            status: Some(sim::domain::checklist::ItemStatus::Done),
            ..Default::default()
        };
        let (next, _) =
            first.apply(&done, &ContactId::parse("con-sw-edu").unwrap(), sim::clock::Clock::now(&*c.rig.h.clock));
        c.rig.h.store.update_checklist_item(&next, &[]).await.unwrap();
        let section = call(&c, "GET", &path_of(&id), &lambeth, "").await;
        let after = theirs(section.body()).unwrap();
        assert!(after.contains(&format!("1 of {total}")), "Southwark's progress reaches Lambeth: {after}");
        assert!(!after.contains("con-sw-edu") && !after.contains("<form"), "counts only, nothing to change");
        // And on its incident view, under its own checklist: Southwark's section by item, read only.
        let owner_view = call(&c, "GET", &format!("/console/incidents/{id}"), &lambeth, "").await;
        let heading = "London Borough of Southwark: its own section (1 of 4 done, read only)";
        let at = owner_view.body().find(heading).unwrap_or_else(|| panic!("{}", owner_view.body()));
        let table = &owner_view.body()[at..at + owner_view.body()[at..].find("</table>").unwrap()];
        assert!(table.contains("<td>Schools in our area alerted</td><td>done</td>"), "{table}");
        assert!(!table.contains("<form") && !table.contains("Southwark education"), "read only, nobody named");

        // Every other console route with Lambeth's ids answers 404 to Southwark.
        let mut tried = 0;
        for pattern in routes().paths().iter().filter(|p| p.contains('{') && !p.starts_with("/console/shared/")) {
            let path = pattern
                .replace("{incident}", id.as_str())
                .replace("{contact}", "con-gold")
                .replace("{staff}", "stf-lambeth-duty");
            for method in ["GET", "POST"] {
                let said = call(&c, method, &path, &southwark_cookie, &format!("csrf={southwark_csrf}")).await;
                if said.status() == 405 {
                    continue;
                }
                assert_eq!(said.status(), 404, "{method} {path} answered Southwark with {}", said.status());
                tried += 1;
            }
        }
        assert!(tried >= 5, "only {tried} routes tried");

        // Lambeth withdraws: Southwark's summary and its own linked incident are gone.
        let body = format!("csrf={lambeth_csrf}&partner=southwark&action=withdraw");
        assert_eq!(call(&c, "POST", &path_of(&id), &lambeth, &body).await.status(), 303);
        let after = call(&c, "GET", &format!("/console/shared/{id}"), &southwark_cookie, "").await;
        assert!(!after.body().contains("CAD 22/21NOV26") && after.body().contains("withdrawn"));
        let own = call(&c, "GET", &format!("/console/incidents/{}", linked.id), &southwark_cookie, "").await;
        assert_eq!(own.status(), 404, "withdrawal removes the partner's access");
        let board = call(&c, "GET", "/console", &southwark_cookie, "").await;
        assert!(!board.body().contains(linked.id.as_str()), "a withdrawn linked incident leaves the board");
        let section = call(&c, "GET", &path_of(&id), &lambeth, "").await;
        assert!(section.body().contains("withdrawn"));
        let owner_view = call(&c, "GET", &format!("/console/incidents/{id}"), &lambeth, "").await;
        assert!(!owner_view.body().contains(heading), "a withdrawn share's section no longer shows");
    }

    #[tokio::test]
    async fn a_duty_officer_adds_a_connected_area_from_the_incident_view() {
        let c = console().await;
        let (lambeth, csrf) = duty(&c, "lambeth").await;
        let mut body = event_body("intake-report.json");
        body["police_reference"] = json!("CAD 24/21NOV26");
        let id = c.rig.report(body).await;
        c.rig.hand_on_and_categorise(&id).await;
        let view = call(&c, "GET", &format!("/console/incidents/{id}"), &lambeth, "").await;
        assert!(view.body().contains(&format!("href=\"{}\"", path_of(&id))), "the incident view links to sharing");
        let section = call(&c, "GET", &path_of(&id), &lambeth, "").await;
        assert!(section.body().contains("Add a connected area"));

        // A stale form, its own borough or a blank name change nothing.
        let stale = call(&c, "POST", &path_of(&id), &lambeth, "csrf=old&action=add-area&area=Southwark").await;
        assert_eq!(stale.status(), 403);
        for (area, message) in [("Lambeth", "own borough"), ("", "Enter a borough or council area name")] {
            let said =
                call(&c, "POST", &path_of(&id), &lambeth, &format!("csrf={csrf}&action=add-area&area={area}")).await;
            assert_eq!(said.status(), 422, "{area:?}");
            assert!(said.body().contains("There is a problem") && said.body().contains(message), "{}", said.body());
            assert!(said.body().contains("href=\"#area\""), "the error summary links to the field");
        }
        assert!(c.rig.h.store.shares_of_incident(&id).await.unwrap().is_empty());

        let added =
            call(&c, "POST", &path_of(&id), &lambeth, &format!("csrf={csrf}&action=add-area&area=Southwark")).await;
        assert_eq!(added.status(), 303);
        let section = call(&c, "GET", &path_of(&id), &lambeth, "").await;
        assert!(section.body().contains("Connected areas: Southwark."), "{}", section.body());
        assert!(section.body().contains("Confirm sharing with southwark"), "offered as for police naming");
        let timeline = c.rig.h.store.timeline(&id).await.unwrap();
        assert!(timeline
            .iter()
            .any(|e| e.event.kind() == "connected_area_added" && e.event.staff() == Some("stf-lambeth-duty")));
        let view = call(&c, "GET", &format!("/console/incidents/{id}"), &lambeth, "").await;
        assert!(
            view.body().contains("(Southwark), by Duty officer (council staff)"),
            "the timeline names who added it"
        );
    }

    fn path_of(id: &IncidentId) -> String {
        format!("/console/incidents/{id}/shares")
    }
}
