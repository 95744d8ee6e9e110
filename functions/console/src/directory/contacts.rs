//! Contacts: the list, one contact's page (details, test messages, its own
//! changes) and removal, a versioned change like every edit. The form that
//! adds or changes one is in `form`.

use super::test_message::{delivery_status, label};
use super::{contact_link, name_of, nav};
use crate::{pages, Deps, Failure, SignedIn};
use http::{Request, Response, StatusCode};
use sim::directory::{remove_contact, EditError};
use sim::domain::{Contact, Group};
use sim::ids::ContactId;
use sim::ports::store::TestOutcome;
use sim::web::{self, html, Markup};

pub(super) fn yes_no(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "No"
    }
}

pub(super) fn groups_of<'g>(groups: &'g [Group], id: &ContactId) -> Vec<&'g Group> {
    groups.iter().filter(|g| g.members.contains(id)).collect()
}

fn channels(c: &Contact) -> String {
    use sim::domain::policy::Channel;
    let names: Vec<&str> = [(Channel::Sms, "SMS"), (Channel::WhatsApp, "WhatsApp"), (Channel::Email, "Email")]
        .into_iter()
        .filter(|(ch, _)| c.reachable(*ch))
        .map(|(_, n)| n)
        .collect();
    if names.is_empty() {
        "None".into()
    } else {
        names.join(", ")
    }
}

pub async fn list(deps: &Deps, who: &SignedIn, req: &Request<Vec<u8>>) -> Result<Response<String>, Failure> {
    let licensee = &who.member.licensee_id;
    let mut contacts = deps.store.contacts(licensee).await?;
    contacts.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let groups = deps.store.groups(licensee).await?;
    let removed = req.uri().query().is_some_and(|q| q.split('&').any(|p| p == "removed"));
    Ok(pages::page(
        StatusCode::OK,
        "Directory: contacts",
        html! {
            (nav(who, "/console/directory"))
            @if removed { div class="done" role="status" { p { "The contact was removed from the directory." } } }
            h1 { "Contacts" }
            p { a href="/console/directory/add" { "Add a contact" } }
            @if contacts.is_empty() {
                p { "The directory has no contacts yet. Add one, or import your contacts from a spreadsheet." }
            } @else {
                table {
                    caption class="meta" { (contacts.len()) " contacts" }
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "Role" } th scope="col" { "Organisation" }
                        th scope="col" { "Reachable on" } th scope="col" { "Deputy" } th scope="col" { "Groups" }
                    } }
                    tbody { @for c in &contacts { tr {
                        td { a href={ "/console/directory/contacts/" (c.id) } { (c.name) } br; span class="meta" { (c.id) } }
                        td { (c.role) }
                        td { (c.organisation) }
                        td { (channels(c)) }
                        td { @if let Some(d) = &c.deputy { (contact_link(&contacts, d)) } @else { "None" } }
                        td { @for (i, g) in groups_of(&groups, &c.id).iter().enumerate() { @if i > 0 { ", " } (g.name) } }
                    } } }
                }
            }
        },
    ))
}

fn outcome(o: &TestOutcome) -> String {
    match o {
        TestOutcome::Sent { .. } => "Sent: the provider took it".into(),
        TestOutcome::Refused { reason } => format!("Refused: {reason}"),
        TestOutcome::NotNow => "Not sent: the provider was busy, try again later".into(),
        TestOutcome::Unreachable { reason } => format!("Not sent: {reason}"),
    }
}

/// The channels a test message can be sent on to this contact, in the page's order.
fn test_channels(c: &Contact) -> Vec<sim::domain::policy::Channel> {
    use sim::domain::policy::Channel;
    [Channel::Sms, Channel::Email, Channel::WhatsApp].into_iter().filter(|ch| c.reachable(*ch)).collect()
}

pub async fn view(
    deps: &Deps,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    c: &Contact,
) -> Result<Response<String>, Failure> {
    use sim::domain::choice::Choice;
    let licensee = &who.member.licensee_id;
    let query: Vec<&str> = req.uri().query().unwrap_or_default().split('&').collect();
    let tested = query.iter().find_map(|p| p.strip_prefix("test=")).and_then(sim::domain::policy::Channel::parse);
    let not_configured = query.contains(&"not-configured");
    let contacts = deps.store.contacts(licensee).await?;
    let groups = deps.store.groups(licensee).await?;
    let version = deps.store.directory_version(licensee).await?;
    let tests = deps.store.test_messages(licensee, &c.id).await?;
    let staff = deps.staff.staff(licensee).await?;
    let by =
        |id: &str| staff.iter().find(|m| m.id.as_str() == id).map(|m| m.name.clone()).unwrap_or_else(|| id.to_owned());
    let history: Vec<_> = deps
        .store
        .directory_changes(licensee)
        .await?
        .into_iter()
        .rev()
        .filter(|r| r.values.iter().any(|v| v.contact == c.id) || r.changed.contains(&c.id) || r.added.contains(&c.id))
        .take(10)
        .collect();
    let deputises_for: Vec<&Contact> = contacts.iter().filter(|o| o.deputy.as_ref() == Some(&c.id)).collect();
    let mine = groups_of(&groups, &c.id);
    let path = format!("/console/directory/contacts/{}", c.id);
    let last_test = tested.and_then(|ch| tests.iter().rev().find(|t| t.channel == ch));
    Ok(pages::page(
        StatusCode::OK,
        &c.name,
        html! {
            (nav(who, ""))
            @if let Some(ch) = tested {
                div class="done" role="status" {
                    @if not_configured {
                        p { "No test message was sent: " (label(ch)) " is not set up for this console." }
                    } @else if let Some(t) = last_test {
                        p { "Test message by " (label(ch)) " to " (c.name) " at " (pages::when(t.at)) ": " (outcome(&t.outcome)) "." }
                    }
                }
            }
            h1 { (c.name) }
            p { a href={ (path) "/edit" } { "Change " (c.name) "'s details" } }
            dl {
                dt { "Contact id" } dd { (c.id) }
                dt { "Role" } dd { (c.role) }
                dt { "Organisation" } dd { (c.organisation) }
                dt { "Mobile" } dd { (c.mobile.as_ref().map(|m| m.as_str()).unwrap_or("None")) }
                dt { "Email" } dd { (c.email.as_ref().map(|e| e.as_str()).unwrap_or("None")) }
                dt { "WhatsApp opt-in" } dd {
                    (yes_no(c.whatsapp_opt_in))
                    @if let Some(g) = &c.whatsapp_opt_in_given { ", given on " (g.on) ": " (g.how) }
                    @else if c.whatsapp_opt_in { span class="meta" { " (when and how not recorded)" } }
                }
                dt { "Reachable on" } dd { (channels(c)) }
                dt { "Deputy" } dd { @if let Some(d) = &c.deputy { (contact_link(&contacts, d)) } @else { "None" } }
                dt { "Deputy for" } dd {
                    @if deputises_for.is_empty() { "Nobody" }
                    @for (i, o) in deputises_for.iter().enumerate() { @if i > 0 { ", " } (contact_link(&contacts, &o.id)) }
                }
                dt { "Groups" } dd {
                    @if mine.is_empty() { "None" }
                    @for (i, g) in mine.iter().enumerate() { @if i > 0 { ", " } (g.name) }
                }
            }
            h2 { "Test messages" }
            @if tests.is_empty() { p { "No test messages have been sent to " (c.name) "." } } @else {
                table {
                    thead { tr {
                        th scope="col" { "When" } th scope="col" { "Channel" } th scope="col" { "Outcome" }
                        th scope="col" { "Delivery" } th scope="col" { "Asked by" }
                    } }
                    tbody { @for t in tests.iter().rev() { tr {
                        td { (pages::when(t.at)) } td { (label(t.channel)) } td { (outcome(&t.outcome)) }
                        td { (delivery_status(t)) } td { (t.by) }
                    } } }
                }
            }
            h3 { "Send a test message" }
            @if test_channels(c).is_empty() {
                p { (c.name) " cannot be reached on any channel, so no test message can be sent." }
            } @else {
                p { "A test message says it is a test and names no incident. It goes through the same provider as an alert." }
                @for ch in test_channels(c) {
                    @if deps.test_senders.for_channel(ch).is_some() {
                        form method="post" action={ (path) "/test" } {
                            input type="hidden" name="csrf" value=(who.session.csrf);
                            input type="hidden" name="channel" value=(ch.as_str());
                            button type="submit" class="secondary" { "Send a test message by " (label(ch)) }
                        }
                    } @else {
                        p class="meta" { (label(ch)) " is not set up for this console: no test message can be sent by it." }
                    }
                }
            }
            h2 { "Changes to " (c.name) }
            @if history.is_empty() { p { "No changes recorded since the directory was first loaded." } }
            @for r in &history {
                h3 { (pages::when(r.at)) ": " (r.how) " by " (by(&r.by)) }
                @let mine: Vec<_> = r.values.iter().filter(|v| v.contact == c.id).collect();
                @if mine.is_empty() { p class="meta" { "Values not recorded." } } @else {
                    table {
                        thead { tr { th scope="col" { "Field" } th scope="col" { "Was" } th scope="col" { "Now" } } }
                        tbody { @for v in mine { tr {
                            td { (v.field.replace('_', " ")) }
                            td { @if v.old.is_empty() { span class="meta" { "(none)" } } @else { (v.old) } }
                            td { @if v.new.is_empty() { span class="meta" { "(none)" } } @else { (v.new) } }
                        } } }
                    }
                }
            }
            p { a href="/console/directory/changes" { "All changes to the directory" } }
            h2 { "Remove from the directory" }
            p { "Removing " (c.name) " takes them out of every group. Anyone who has them as deputy will show on the alert gaps page." }
            form method="post" action={ (path) "/remove" } {
                input type="hidden" name="csrf" value=(who.session.csrf);
                input type="hidden" name="version" value=(version);
                button type="submit" class="secondary" { "Remove " (c.name) }
            }
        },
    ))
}

pub async fn remove(
    deps: &Deps,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    c: &Contact,
) -> Result<Response<String>, Failure> {
    let form = match super::posted(who, req) {
        Ok(form) => form,
        Err(refused) => return Ok(*refused),
    };
    let one = |name: &str| form.one(name);
    let Ok(version) = one("version").parse::<u32>() else { return Ok(crate::posted::unreadable()) };
    let licensee = &who.member.licensee_id;
    match remove_contact(&*deps.store, licensee, version, &c.id, who.member.id.as_str(), &*deps.clock).await {
        Ok(_) => Ok(web::redirect("/console/directory?removed")),
        Err(EditError::Stale) => Ok(super::form::stale(who, &format!("/console/directory/contacts/{}", c.id))),
        Err(EditError::NoSuchContact) => Ok(pages::not_found()),
        Err(EditError::NoSuchDeputy) => Ok(crate::posted::unreadable()),
        Err(EditError::Store(e)) => Err(e.into()),
    }
}

/// A contact named in the audit trail: a link while they are in the directory.
pub fn who_link(contacts: &[Contact], id: &ContactId) -> Markup {
    if contacts.iter().any(|c| &c.id == id) {
        contact_link(contacts, id)
    } else {
        html! { (name_of(contacts, id)) }
    }
}
