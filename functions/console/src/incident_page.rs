//! The incident view: summary and category history, police amendments, the
//! people alerted (groups, each message with its delivery status, the
//! acknowledgement), the checklist with owners and its latest changes, key
//! dates, the timeline naming who did what, and the duty actions.

use crate::incidents::{age, delivery_of, label, IncidentView};
use crate::pages::{header, page, when};
use crate::SignedIn;
use http::{Response, StatusCode};
use sim::domain::choice::Choice;
use sim::domain::follow_up::KeyDateKind;
use sim::domain::notification::Notification;
use sim::domain::policy::Channel;
use sim::domain::staff::ConsoleRole;
use sim::domain::{Actor, Event};
use sim::ids::ContactId;
use sim::web::{html, Markup};
use time::OffsetDateTime;

/// How many of the checklist's latest changes are listed under it.
const LATEST_CHANGES: usize = 5;

struct Names<'a>(&'a IncidentView);

impl Names<'_> {
    fn contact(&self, id: &str) -> String {
        self.0.contacts.iter().find(|c| c.id.as_str() == id).map(|c| c.name.clone()).unwrap_or_else(|| id.to_owned())
    }

    fn staff(&self, id: &str) -> String {
        self.0.staff.iter().find(|m| m.id.as_str() == id).map(|m| m.name.clone()).unwrap_or_else(|| id.to_owned())
    }

    fn actor(&self, actor: &Actor) -> String {
        match actor {
            Actor::Contact(id) => self.contact(id.as_str()),
            Actor::Staff { staff_id } => format!("{} (council staff)", self.staff(staff_id.as_str())),
        }
    }
}

/// A timeline entry in words, naming the person it is about and the staff
/// member who did it.
fn entry(names: &Names, event: &Event) -> String {
    let mut text = label(event);
    if let Some(contact) = event.contact() {
        text.push_str(&format!(": {}", names.contact(contact)));
    }
    match event {
        Event::Resent { channel, .. } => text.push_str(&format!(" on {}", label(channel))),
        Event::KeyDateAdded { what, date, .. } => text.push_str(&format!(" ({}, {date})", what.label())),
        Event::EscalatedNow { step, .. } => text.push_str(&format!(" (step {step})")),
        Event::Amended { changes, .. } => text.push_str(&format!(" ({})", changes.join("; "))),
        Event::ConnectedAreaAdded { area, .. } => text.push_str(&format!(" ({area})")),
        _ => {}
    }
    if let Some(staff) = event.staff() {
        text.push_str(&format!(", by {} (council staff)", names.staff(staff)));
    }
    text
}

fn message(v: &IncidentView, n: &Notification) -> Markup {
    let delivery = delivery_of(&v.deliveries, n);
    html! {
        (label(&n.channel)) " "
        @match n.step { sim::domain::notification::Step::Alert(0) => "first alert", _ => { "step " (n.step) } }
        ": " strong { (delivery.map(|d| d.state.as_str().replace('-', " ")).unwrap_or_else(|| label(&n.status))) }
        @if let Some(d) = delivery { " " (when(d.at)) } @else if let Some(at) = n.sent_at { " " (when(at)) }
        @if let Some(reason) = n.failure.as_deref().or(delivery.and_then(|d| d.detail.as_deref())) {
            br; span class="meta" { (reason) }
        }
    }
}

pub fn incident(
    who: &SignedIn,
    v: &IncidentView,
    kind: Option<&str>,
    now: OffsetDateTime,
    errors: &[&str],
) -> Response<String> {
    let i = &v.incident;
    let names = Names(v);
    let duty = who.member.has(ConsoleRole::Duty);
    let closure = v.follow_up.as_ref().and_then(|f| f.closure.as_ref());
    let open = closure.is_none();
    let mut people: Vec<&ContactId> = v.notifications.iter().map(|n| &n.contact_id).collect();
    people.sort();
    people.dedup();
    let kinds: std::collections::BTreeSet<String> = v.timeline.iter().map(|e| label(&e.event)).collect();
    let categories: Vec<_> = v
        .timeline
        .iter()
        .filter(|e| {
            matches!(e.event, Event::Categorised { .. } | Event::CategoryRaised { .. } | Event::CategoryKept { .. })
        })
        .collect();
    let amendments: Vec<_> = v.timeline.iter().filter(|e| matches!(e.event, Event::Amended { .. })).collect();
    let changes: Vec<_> = v
        .timeline
        .iter()
        .rev()
        .filter(|e| matches!(e.event, Event::ChecklistChanged { .. }))
        .take(LATEST_CHANGES)
        .collect();
    let title = format!("{} {}", label(&i.report.incident_type), i.report.police_reference.as_str());
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page(
        status,
        &title,
        html! {
            (header(who, i.licensee_id.as_str()))
            @if !errors.is_empty() {
                div class="error-summary" role="alert" {
                    h2 { "There is a problem" }
                    ul { @for e in errors { li { (e) } } }
                }
            }
            h1 {
                @if let Some(c) = &v.categorisation { strong class="tag" { (c.category.label()) } " " }
                (label(&i.report.incident_type))
            }
            (crate::handoff::incident_banner(who, v, now))
            @if let Some(closure) = closure {
                div class="closed" role="status" { p {
                    "Closed " (when(closure.at)) " by " (names.actor(&closure.closed_by))
                    " for the " (closure.role.as_str()) ": " (closure.note)
                } }
            }
            p { a href={ "/console/incidents/" (i.id) "/subjects" } { "Personal data" } }
            p { a href={ "/console/reports/incidents/" (i.id) } { "Printable summary for the review meeting" } }
            @if i.shared_from.is_none() {
                p { a href={ "/console/incidents/" (i.id) "/shares" } { "Sharing with the licensees of connected areas" } }
            }
            h2 { "Summary" }
            dl {
                dt { "Police reference" } dd { (i.report.police_reference.as_str()) }
                dt { "Where" } dd {
                    (i.report.location.borough.as_str())
                    @if let Some(w) = &i.report.location.ward { ", " (w.as_str()) }
                }
                dt { "When" } dd { (when(i.report.occurred_at)) " (" (age(i.report.occurred_at, now)) " ago)" }
                dt { "Weapon" } dd { (label(&i.report.weapon)) }
                dt { "Victims" } dd {
                    @for victim in &i.report.victims { (label(&victim.age_band)) ", " (label(&victim.injury)) br; }
                }
                @if let Some(c) = &v.categorisation {
                    dt { "Category" } dd { (c.category.label()) ": " (c.reason) " (rule " (c.rule) ", round " (c.round) ")" }
                }
                @if let Some(e) = &v.escalation {
                    dt { "Escalation" } dd {
                        (e.ran) " of " (e.steps) " steps run"
                        @if let Some(due) = e.next_due.filter(|_| open) { "; the next is due " (when(due)) }
                    }
                }
            }
            @if categories.len() > 1 {
                h3 { "Category history" }
                ol class="items" { @for e in &categories { li {
                    span class="meta" { (when(e.at)) } " "
                    @match &e.event {
                        Event::Categorised { category, reason, .. } => { "Categorised " (category.label()) ": " (reason) }
                        Event::CategoryRaised { from, to, reason, .. } => { "Raised from " (from.label()) " to " (to.label()) ": " (reason) }
                        Event::CategoryKept { kept, decided, .. } => { "Kept at " (kept.label()) " (the amendment alone would be " (decided.label()) ")" }
                        _ => {}
                    }
                } } }
            }
            h2 { "Police amendments" }
            @if amendments.is_empty() { p { "None." } } @else {
                ol class="items" { @for e in &amendments { li {
                    span class="meta" { (when(e.at)) } " "
                    @if let Event::Amended { changes, .. } = &e.event { (changes.join("; ")) }
                } } }
            }
            @if duty && open {
                h2 { "Duty actions" }
                form method="post" action={ "/console/incidents/" (i.id) "/escalate" } {
                    input type="hidden" name="csrf" value=(who.session.csrf);
                    button type="submit" class="secondary" { "Escalate now" }
                }
            }
            h2 { "People" }
            table {
                thead { tr {
                    th scope="col" { "Person" } th scope="col" { "Role and groups" } th scope="col" { "Messages" }
                    th scope="col" { "Acknowledged" }
                } }
                tbody {
                    @for person in &people {
                        @let theirs: Vec<_> = v.notifications.iter().filter(|n| &&n.contact_id == person).collect();
                        @let name = names.contact(person.as_str());
                        tr {
                            td { (name) }
                            td { @if let Some(n) = theirs.first() {
                                (n.role.as_str()) @if n.required { " (required)" }
                                br; span class="meta" { (n.groups.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(", ")) }
                            } }
                            td {
                                @for n in &theirs { (message(v, n)) br; }
                                @if duty && open {
                                    form method="post" action={ "/console/incidents/" (i.id) "/people/" (person) "/resend" } {
                                        input type="hidden" name="csrf" value=(who.session.csrf);
                                        label for={ "channel-" (person) } { "Send the alert again by" }
                                        select id={ "channel-" (person) } name="channel" {
                                            @for (value, channel) in Channel::ALL { option value=(value) { (label(channel)) } }
                                        }
                                        button type="submit" class="secondary" { "Re-send to " (name) }
                                    }
                                }
                            }
                            td {
                                @if let Some(a) = v.acknowledgements.iter().find(|a| &&a.contact_id == person) {
                                    (when(a.at)) ", " (label(&a.channel)) ", " (a.via.label())
                                    br; span class="meta" { (a.device) }
                                    @if let Some(staff) = &a.recorded_by { br; span class="meta" { "Recorded by " (names.staff(staff.as_str())) } }
                                    @if let Some(note) = &a.note { br; "“" (note) "”" }
                                } @else {
                                    span class="tag grey" { "Awaited" }
                                    @if duty && open {
                                        form method="post" action={ "/console/incidents/" (i.id) "/people/" (person) "/acknowledge" } {
                                            input type="hidden" name="csrf" value=(who.session.csrf);
                                            label for={ "note-" (person) } { "Acknowledged by phone? Note" }
                                            input type="text" id={ "note-" (person) } name="note" maxlength="200";
                                            button type="submit" class="secondary" { "Record acknowledgement for " (name) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Checklist" }
            @if v.checklist.is_empty() { p { "No checklist." } } @else {
                table {
                    thead { tr { th scope="col" { "Item" } th scope="col" { "Owner" } th scope="col" { "Status" } th scope="col" { "Last change" } } }
                    tbody { @for item in &v.checklist { tr {
                        td { (item.text) }
                        td { (item.owner_role.as_str()) }
                        td { (label(&item.status)) }
                        td { @if let Some(at) = item.updated_at {
                            (when(at)) @if let Some(by) = &item.updated_by { " by " (names.contact(by.as_str())) }
                        } }
                    } } }
                }
                @if !changes.is_empty() {
                    h3 { "Latest changes" }
                    ol class="items" { @for e in &changes { li {
                        span class="meta" { (when(e.at)) } " " (names.contact(e.event.contact().unwrap_or_default())) ": "
                        @if let Event::ChecklistChanged { item_id, changes, .. } = &e.event {
                            (v.checklist.iter().find(|c| &c.item_id == item_id).map(|c| c.text.as_str()).unwrap_or(item_id))
                            " (" (changes.join("; ")) ")"
                        }
                    } } }
                }
            }
            (crate::shares::partner_sections(&v.partner_sections))
            h2 id="key-dates" { "Key dates" }
            @let dates = v.follow_up.as_ref().map(|f| f.key_dates.as_slice()).unwrap_or_default();
            @if dates.is_empty() { p { "None yet." } } @else {
                ul { @for d in dates { li { (d.kind.label()) ", " (d.date) " (added by " (names.actor(&d.added_by)) ")" } } }
            }
            @if duty {
                form method="post" action={ "/console/incidents/" (i.id) "/key-dates" } {
                    input type="hidden" name="csrf" value=(who.session.csrf);
                    label for="what" { "What the date is" }
                    select id="what" name="what" {
                        @for (value, kind) in KeyDateKind::ALL { option value=(value) { (kind.label()) } }
                    }
                    label for="date" { "Date" }
                    input type="date" id="date" name="date";
                    button type="submit" class="secondary" { "Add key date" }
                }
            }
            @if duty && open {
                h2 id="close" { "Close the incident" }
                @let version = v.follow_up.as_ref().map_or(0, |f| f.version);
                form method="post" action={ "/console/incidents/" (i.id) "/close" } {
                    input type="hidden" name="csrf" value=(who.session.csrf);
                    input type="hidden" name="version" value=(version);
                    label for="closing_note" { "Closing note (how the response ended; no names)" }
                    textarea id="closing_note" name="closing_note" rows="3" maxlength="1000" {}
                    button type="submit" { "Close the incident for the lead role" }
                }
            }
            h2 id="timeline" { "Timeline" }
            form method="get" action={ "/console/incidents/" (i.id) } {
                label for="kind" { "Show" }
                select id="kind" name="kind" {
                    option value="" { "Everything" }
                    @for k in &kinds { option value=(k) selected[kind == Some(k.as_str())] { (k) } }
                }
                button type="submit" class="secondary" { "Filter" }
            }
            ol class="items" {
                @for e in v.timeline.iter().filter(|e| kind.is_none_or(|k| k.is_empty() || label(&e.event) == k)) {
                    li { span class="meta" { (when(e.at)) } " " (entry(&names, &e.event)) }
                }
            }
        },
    )
}
