//! Read-only directory pages: alert gaps (one section per kind of gap),
//! groups (members, and the category policies that alert them) and the audit
//! trail of changes (who, when, old and new values).

use super::contacts::who_link;
use super::nav;
use crate::{pages, Deps, Failure, SignedIn};
use http::{Response, StatusCode};
use sim::directory::{gaps_now, Gap};
use sim::domain::policy::{AlertPolicy, EscalationTarget};
use sim::web::{html, Markup};

/// The kinds of gap, in the order the page shows them, with what each means.
const KINDS: [(&str, &str, &str); 10] = [
    ("missing-group", "Groups a policy names that do not exist", "Nobody is alerted through them."),
    ("empty-group", "Groups a policy names with nobody in them", "Nobody is alerted through them."),
    ("nobody-in-role", "Categories with nobody in the role that leads the response", "Nobody alerted can lead."),
    ("no-deputy", "Leading roles with no deputy SIM can reach", "If the lead does not acknowledge, nobody takes over."),
    (
        "no-channel",
        "Contacts with no usable channel",
        "They are in a group that is alerted, but SIM cannot reach them.",
    ),
    ("no-opt-in", "WhatsApp without opt-in", "The policy alerts on WhatsApp but they have not opted in."),
    ("missing-member", "Group members who are not in the directory", "The group names someone SIM does not know."),
    ("missing-deputy", "Deputies who are not in the directory", "Their deputy cannot be alerted."),
    (
        "away-uncovered",
        "People away with nobody to alert in their place",
        "They are away, and they have no deputy or every deputy is away too.",
    ),
    (
        "rota-uncovered",
        "Rota turns without cover in the next 4 weeks",
        "The person on duty is away, and so is everyone after them on the rota.",
    ),
];

fn kind(gap: &Gap) -> &'static str {
    match gap {
        Gap::MissingGroup { .. } => "missing-group",
        Gap::EmptyGroup { .. } => "empty-group",
        Gap::NobodyInRole { .. } => "nobody-in-role",
        Gap::NoDeputyInRole { .. } => "no-deputy",
        Gap::NoUsableChannel { .. } => "no-channel",
        Gap::WhatsAppWithoutOptIn { .. } => "no-opt-in",
        Gap::MemberNotInDirectory { .. } => "missing-member",
        Gap::DeputyNotInDirectory { .. } => "missing-deputy",
        Gap::AwayWithNobodyInTheirPlace { .. } => "away-uncovered",
        Gap::RotaWithoutCover { .. } => "rota-uncovered",
    }
}

fn gap_contact(gap: &Gap) -> Option<&sim::ids::ContactId> {
    match gap {
        Gap::NoUsableChannel { contact, .. }
        | Gap::WhatsAppWithoutOptIn { contact, .. }
        | Gap::DeputyNotInDirectory { contact, .. }
        | Gap::AwayWithNobodyInTheirPlace { contact, .. } => Some(contact),
        _ => None,
    }
}

pub async fn gaps(deps: &Deps, who: &SignedIn) -> Result<Response<String>, Failure> {
    let licensee = &who.member.licensee_id;
    let gaps = gaps_now(&*deps.store, licensee, deps.clock.now()).await?.unwrap_or_default();
    Ok(pages::page(
        StatusCode::OK,
        "Alert gaps",
        html! {
            (nav(who, "/console/directory/gaps"))
            h1 { "Alert gaps" }
            p { "What would be missed if an incident came now, from your alert policies and the directory as it is." }
            @if gaps.is_empty() {
                div class="done" role="status" { p { "No gaps: everyone the policies alert can be reached." } }
            } @else {
                p { strong { (gaps.len()) " gaps found." } }
            }
            @for (id, title, meaning) in KINDS {
                @let these: Vec<&Gap> = gaps.iter().filter(|g| kind(g) == id).collect();
                section aria-labelledby=(id) {
                    h2 id=(id) { (title) " " span class={ "tag" @if these.is_empty() { " grey" } } { (these.len()) } }
                    @if these.is_empty() { p class="meta" { "None." } } @else {
                        p class="meta" { (meaning) }
                        ul { @for g in these { li {
                            (g.to_string())
                            @if let Some(c) = gap_contact(g) { " " a href={ "/console/directory/contacts/" (c) "/edit" } { "Change their details" } }
                        } } }
                    }
                }
            }
        },
    ))
}

/// How each policy alerts a group: "CRITICAL", "SERIOUS if a victim is under 18", ...
fn alerted_by(policies: &[AlertPolicy], group: &sim::ids::GroupId) -> Vec<String> {
    let mut out = Vec::new();
    for p in policies {
        let label = p.category.label();
        if p.groups.contains(group) {
            out.push(label.to_owned());
        }
        if p.groups_if_victim_under_18.contains(group) {
            out.push(format!("{label}, if a victim is under 18"));
        }
        for (i, step) in p.escalation.iter().enumerate() {
            if matches!(&step.alert, EscalationTarget::Groups(g) if g.contains(group)) {
                out.push(format!("{label}, escalation step {}", i + 1));
            }
        }
    }
    out
}

pub async fn groups(deps: &Deps, who: &SignedIn) -> Result<Response<String>, Failure> {
    let licensee = &who.member.licensee_id;
    let policies =
        deps.store.get_licensee(licensee).await?.and_then(|l| l.policies).unwrap_or_else(AlertPolicy::defaults);
    let contacts = deps.store.contacts(licensee).await?;
    let mut groups = deps.store.groups(licensee).await?;
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(pages::page(
        StatusCode::OK,
        "Groups",
        html! {
            (nav(who, "/console/directory/groups"))
            h1 { "Groups" }
            p { "People are alerted as members of groups; each category's policy names the groups it alerts. "
                "Change who is in a group on each contact's page, or by importing a file." }
            @if groups.is_empty() { p { "The directory has no groups yet." } } @else {
                table {
                    thead { tr { th scope="col" { "Group" } th scope="col" { "Members" } th scope="col" { "Alerted for" } } }
                    tbody { @for g in &groups {
                        @let by = alerted_by(&policies, &g.id);
                        tr {
                            td { (g.name) br; span class="meta" { (g.id) } }
                            td {
                                @if g.members.is_empty() { strong { "Nobody" } }
                                @for (i, m) in g.members.iter().enumerate() { @if i > 0 { ", " } (who_link(&contacts, m)) }
                            }
                            td {
                                @if by.is_empty() { span class="meta" { "No policy alerts this group" } }
                                @for (i, b) in by.iter().enumerate() { @if i > 0 { br; } (b) }
                            }
                        }
                    } }
                }
            }
        },
    ))
}

fn field_label(field: &str) -> String {
    field.replace('_', " ")
}

fn values_of(record: &sim::ports::store::ChangeRecord, contacts: &[sim::domain::Contact]) -> Markup {
    html! {
        @if !record.values.is_empty() {
            table {
                thead { tr { th scope="col" { "Contact" } th scope="col" { "Field" } th scope="col" { "Was" } th scope="col" { "Now" } } }
                tbody { @for v in &record.values { tr {
                    td { (who_link(contacts, &v.contact)) }
                    td { (field_label(&v.field)) }
                    td { @if v.old.is_empty() { span class="meta" { "(none)" } } @else { (v.old) } }
                    td { @if v.new.is_empty() { span class="meta" { "(none)" } } @else { (v.new) } }
                } } }
            }
            @if record.values_omitted > 0 { p class="meta" { "And " (record.values_omitted) " more values, not kept." } }
        }
    }
}

pub async fn changes(deps: &Deps, who: &SignedIn) -> Result<Response<String>, Failure> {
    let licensee = &who.member.licensee_id;
    let records = deps.store.directory_changes(licensee).await?;
    let contacts = deps.store.contacts(licensee).await?;
    let staff = deps.staff.staff(licensee).await?;
    let by = |id: &str| {
        staff.iter().find(|m| m.id.as_str() == id).map(|m| m.name.clone()).unwrap_or_else(|| {
            match id.strip_prefix("cli:") {
                Some(user) => format!("{user} (command line)"),
                None => id.to_owned(),
            }
        })
    };
    let list = |ids: &[sim::ids::ContactId]| {
        html! { @for (i, id) in ids.iter().enumerate() { @if i > 0 { ", " } (who_link(&contacts, id)) } }
    };
    Ok(pages::page(
        StatusCode::OK,
        "Directory changes",
        html! {
            (nav(who, "/console/directory/changes"))
            h1 { "Directory changes" }
            p { "Every change to the directory, newest first: who made it, when, and the values before and after." }
            @if records.is_empty() { p { "No changes have been made through the console or an import yet." } }
            @for r in records.iter().rev() {
                section aria-labelledby={ "change-" (r.version) } {
                    h2 id={ "change-" (r.version) } {
                        "Version " (r.version) ": " @if r.how == "import" { "import" } @else { "edit" }
                        " by " (by(&r.by))
                    }
                    p class="meta" { (pages::when(r.at)) }
                    dl {
                        @if !r.added.is_empty() { dt { "Added" } dd { (list(&r.added)) } }
                        @if !r.changed.is_empty() { dt { "Changed" } dd { (list(&r.changed)) } }
                        @if !r.removed.is_empty() { dt { "Removed" } dd { (list(&r.removed)) } }
                        @if !r.groups.is_empty() { dt { "Groups" } dd {
                            @for (i, g) in r.groups.iter().enumerate() { @if i > 0 { ", " } (g) }
                        } }
                    }
                    (values_of(r, &contacts))
                }
            }
        },
    ))
}
