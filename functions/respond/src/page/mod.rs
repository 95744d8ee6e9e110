//! Server-rendered, mobile-first, accessible HTML on SIM's one layout
//! (`sim::web`, `Layout::RESPONDER`): one column, large text and button, real
//! headings and labels, visible focus, high contrast. No JavaScript. Every
//! value is escaped by the templates.

use crate::checklist::People;
use lambda_http::http::StatusCode;
use sim::domain::checklist::{Assignee, ChecklistItem, ItemStatus};
use sim::domain::choice::Choice;
use sim::domain::follow_up::{FollowUp, KeyDateKind, SectionProgress};
use sim::domain::notification::{Acknowledgement, Categorisation};
use sim::domain::policy::Channel;
use sim::domain::{Contact, Incident, Role};
use sim::ids::ContactId;
use sim::render::{area, capitalise, when, when_date, words};
use sim::shares::PartnerSection;
use sim::web::{document, html, html_response, HtmlResponse, Layout, Markup};

pub type Message = (&'static str, &'static str);
pub const NOT_VALID: Message = (
    "This link is not valid",
    "Check that you opened the whole link from your SIM message. If it still does not work, call your duty officer.",
);
pub const EXPIRED: Message =
    ("This link has expired", "Use the link in your most recent SIM message, or call your duty officer.");
pub const RELOAD: Message = (
    "Your acknowledgement could not be confirmed",
    "Open the link from your SIM message again and press Acknowledge on that page.",
);
pub const CHOOSE: Message = (
    "Choose whether you are responding",
    "Nothing was recorded. Go back, choose “I'm responding” or “I can't respond”, then press Acknowledge.",
);
/// Shown on the page when a POST looked automated (a mail scanner or link preview).
pub const AUTOMATED_NOTE: &str = "Nothing was recorded: this browser looked like an automatic link checker (a mail \
scanner or link preview). If you pressed the button yourself, open the link in your phone's browser and try again, \
or call your duty officer.";
pub const AUTOMATED: Message = (
    "Nothing was saved: this looked like an automatic link checker",
    "SIM ignores forms sent by mail scanners and link previews. If you sent it yourself, open the link in your \
     phone's browser and try again, or call your duty officer.",
);
pub const CANNOT_RESPOND_NOTE: &str = "Thank you for saying so. You are not recorded as responding: your role stays \
awaited, so SIM reminds your role and alerts your deputy when the time to acknowledge passes. If it cannot wait, \
call your duty officer.";
pub const CLOSED_NOTE: &str = "This incident is closed: there is nothing to acknowledge.";
pub const UNREADABLE: Message =
    ("SIM could not read that form", "Open the link from your SIM message again and use the form on that page.");
pub const STALE: Message = (
    "Someone changed this item first",
    "It was updated after you opened the page. Reload the page to see the latest, then make your change again.",
);
pub const LEAD_ONLY: Message = (
    "Only the incident's lead can close it",
    "Closing is for the lead role of this incident's response. Ask them to close it from their own link.",
);
pub const LEAD_ONLY_AREAS: Message = (
    "Only the incident's lead can name a connected area",
    "Naming another area is for the lead role of this incident's response, or your council's duty officer. Ask \
     them to add it.",
);
pub const STALE_CLOSE: Message = (
    "The incident changed while you were closing it",
    "Someone closed it or added a key date after you opened the page. Reload the page to see the latest.",
);
pub const TRY_AGAIN: Message =
    ("SIM could not load this page", "Please try again in a moment. If it keeps failing, call your duty officer.");

mod areas;
mod checklist;
mod follow_up;

use areas::connected_areas;
use checklist::checklist;
use follow_up::{close, key_dates};

const LAYOUT: &Layout = &Layout::RESPONDER;

/// The way back from a refusal to the incident's page, with what the person
/// typed so it is not lost.
pub struct Back {
    pub href: String,
    /// (what it was, the text as typed)
    pub typed: Vec<(&'static str, String)>,
}

pub fn problem(status: StatusCode, (title, text): Message, back: Option<&Back>) -> HtmlResponse {
    let main = html! {
        h1 { (title) }
        p { (text) }
        @if let Some(back) = back {
            @for (n, (what, typed)) in back.typed.iter().enumerate() {
                label for={ "typed-" (n) } { (what) " as you typed it (copy it before going back)" }
                textarea id={ "typed-" (n) } rows="4" readonly { (typed) }
            }
            p { a href=(back.href) { "Back to the incident" } }
        }
    };
    html_response(LAYOUT, status, document(LAYOUT, title, main))
}

pub struct View<'a> {
    /// The base path the pages are served under ("" or "/sim").
    pub base: &'a str,
    pub token: &'a str,
    pub incident: &'a Incident,
    pub categorisation: &'a Categorisation,
    pub contact: &'a Contact,
    pub acknowledgements: &'a [Acknowledgement],
    pub checklist: &'a [ChecklistItem],
    /// Each accepted partner's own section (issue 19), read only.
    pub partners: &'a [PartnerSection],
    /// On a partner's linked incident: the owner's progress by section, read only.
    pub owner_progress: Option<&'a [SectionProgress]>,
    pub people: People,
    pub form_key: String,
    pub note: Option<String>,
    pub follow_up: &'a FollowUp,
    /// The role that may close the incident (none for categories without a policy).
    pub lead_role: Option<Role>,
    /// Roles whose acknowledgement is required and not yet given.
    pub awaited: Vec<Role>,
}

fn channel_words(channel: Channel) -> &'static str {
    match channel {
        Channel::Sms => "SMS",
        Channel::Email => "email",
        Channel::WhatsApp => "WhatsApp",
    }
}

fn role_words(role: &Role) -> String {
    role.as_str().replace('-', " ")
}

pub fn incident(v: &View<'_>) -> HtmlResponse {
    let report = &v.incident.report;
    let category = v.categorisation.category;
    let tag_class = match category.as_str() {
        "CRITICAL" => "tag",
        "SERIOUS_VIOLENCE" => "tag serious",
        _ => "tag note",
    };
    let title = format!("{} in {}", capitalise(&words(report.incident_type.as_str())), area(v.incident));
    let victims = match report.victims.len() {
        0 => "None reported".to_owned(),
        n => format!("{n}; most severe injury {}", words(report.most_severe_injury().as_str())),
    };
    let flags = if report.flags.is_empty() {
        "None".to_owned()
    } else {
        report.flags.iter().map(|f| words(f.as_str())).collect::<Vec<_>>().join(", ")
    };
    let mut place = area(v.incident);
    if let Some(pd) = &report.location.postcode_district {
        place.push_str(&format!(", {}", pd.as_str()));
    }
    let rows = [
        ("Why this category", v.categorisation.reason.clone()),
        ("Incident", words(report.incident_type.as_str())),
        ("Weapon", words(report.weapon.as_str())),
        ("Where", place),
        ("When", when(report.occurred_at)),
        ("Victims", victims),
        ("Police flags", flags),
        ("Police reference", report.police_reference.as_str().to_owned()),
    ];
    let main = html! {
        @if let Some(note) = &v.note {
            p class="note" role="status" { (note) }
        }
        p { span class=(tag_class) { (category.label()) } }
        h1 { (title) }
        @if let Some(closure) = &v.follow_up.closure {
            div class="closed" {
                h2 { "Closed at " (when(closure.at)) }
                p { "Closed by the " (role_words(&closure.role)) " lead. Closing note: " (closure.note) }
                p { "Reviews at 24 hours, 72 hours and 7 days re-alert the groups with the open items." }
            }
        }
        (expected(v))
        (your_actions(v))
        h2 { "Summary" }
        dl {
            @for (k, value) in &rows {
                dt { (k) }
                dd { (value) }
            }
        }
        h2 { "Acknowledged so far" }
        @if v.acknowledgements.is_empty() {
            p { "No one yet." }
        } @else {
            ul {
                @for a in v.acknowledgements {
                    li {
                        (words(&role_words(&a.role))) " at " (when(a.at))
                        span class="meta" { " (" (channel_words(a.channel)) " link, " (a.device) ")" }
                    }
                }
            }
        }
        (checklist(v))
        (key_dates(v))
        (connected_areas(v))
        (close(v))
    };
    html_response(LAYOUT, StatusCode::OK, document(LAYOUT, &title, main))
}

/// What this person is asked to do: acknowledge (the form), or nothing more.
fn expected(v: &View<'_>) -> Markup {
    let mine = v.acknowledgements.iter().find(|a| a.contact_id == v.contact.id);
    match (mine, v.categorisation.acknowledge_within_minutes) {
        (None, _) if v.follow_up.closure.is_some() => html! {
            div class="expected" {
                h2 { "This incident is closed" }
                p { "Nothing is asked of you now: no acknowledgement is needed and SIM sends no reminders for it." }
            }
        },
        (Some(ack), _) => html! {
            div class="done" {
                h2 { "You acknowledged at " (when(ack.at)) }
                p { "Thank you. The response checklist and updates will reach you as the response goes on." }
            }
        },
        (None, Some(minutes)) => {
            let due = v.categorisation.decided_at + time::Duration::minutes(minutes.into());
            html! {
                div class="expected" {
                    h2 { "What is expected of you" }
                    p {
                        "As " (role_words(&v.contact.role)) " you are asked to acknowledge this alert by " (when(due))
                        " (" (minutes) " minutes after it was sent). Every role alerted must acknowledge; if you do \
                         not, SIM reminds you and alerts your deputy."
                    }
                }
                form method="post" {
                    input type="hidden" name="form_key" value=(v.form_key);
                    fieldset {
                        legend { "Can you respond?" }
                        div class="choice" {
                            input type="radio" id="response-responding" name="response" value="responding" required;
                            " "
                            label for="response-responding" { "I'm responding" }
                        }
                        div class="choice" {
                            input type="radio" id="response-cannot" name="response" value="cannot_respond";
                            " "
                            label for="response-cannot" {
                                "I can't respond: leave my role awaited so SIM alerts my deputy at " (when(due))
                            }
                        }
                    }
                    button type="submit" { "Acknowledge" }
                }
            }
        }
        (None, None) => html! {
            div class="expected" {
                h2 { "What is expected of you" }
                p { "This is for your information; no acknowledgement is needed." }
            }
        },
    }
}

/// After acknowledging: what is next for this person, and who is awaited.
fn your_actions(v: &View<'_>) -> Markup {
    if !v.acknowledgements.iter().any(|a| a.contact_id == v.contact.id) {
        return html! {};
    }
    let me = Assignee::Person(v.contact.id.clone());
    let mine: Vec<&ChecklistItem> = v
        .checklist
        .iter()
        .filter(|i| {
            i.owner_role == v.contact.role
                || i.assignee.as_ref() == Some(&me)
                || i.assignee.as_ref() == Some(&Assignee::Role(v.contact.role.clone()))
        })
        .collect();
    let open = mine.iter().filter(|i| !i.is_closed()).count();
    html! {
        section id="your-actions" aria-labelledby="your-actions-heading" {
            h2 id="your-actions-heading" { "Your actions" }
            @if mine.is_empty() {
                p { "No checklist items are yours yet. Take one from the checklist below if you can help." }
            } @else {
                p { (open) " of your " (mine.len()) " items still to do (owned by your role or assigned to you):" }
                ul {
                    @for item in &mine {
                        li {
                            a href={ "#item-" (item.item_id) } { (item.text) }
                            " — " strong { (words(item.status.as_str())) }
                        }
                    }
                }
            }
            h3 { "Still awaited" }
            @if v.awaited.is_empty() {
                p { "Every role alerted has acknowledged." }
            } @else {
                p {
                    "Not yet acknowledged: "
                    (v.awaited.iter().map(role_words).collect::<Vec<_>>().join(", ")) "."
                }
            }
        }
    }
}
