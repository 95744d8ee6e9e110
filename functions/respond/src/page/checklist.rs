//! The checklist on the responder's page: sections, items and their forms.

use super::*;

/// The response checklist by section, each item with its own small form.
pub(super) fn checklist(v: &View<'_>) -> Markup {
    html! {
        (own_checklist(v))
        (partner_sections(v))
        (owner_progress(v))
    }
}

/// On an incident another council shared with this one: that council's own
/// checklist progress by section, read only (counts, never who did what).
fn owner_progress(v: &View<'_>) -> Markup {
    let Some(sections) = v.owner_progress else { return html! {} };
    html! {
        h2 id="owner-progress" { "The sharing council's progress" }
        p { "The council this incident was shared by works its own checklist. Read only: done of all, by section." }
        @if sections.is_empty() {
            p { "No checklist yet." }
        } @else {
            ul {
                @for s in sections {
                    li { (s.title) ": " (s.closed) " of " (s.total) " done" }
                }
            }
        }
    }
}

/// Each accepted partner's own section, read only: the partner works it from
/// its own links; here is its progress, never who did what.
fn partner_sections(v: &View<'_>) -> Markup {
    if v.partners.is_empty() {
        return html! {};
    }
    html! {
        h2 id="partner-sections" { "Partner areas' sections" }
        p { "Councils this incident is shared with work their own section. Read only: their progress as they record it." }
        @for p in v.partners {
            section id={ "partner-" (p.partner) } aria-labelledby={ "partner-heading-" (p.partner) } {
                h3 id={ "partner-heading-" (p.partner) } {
                    (p.name) " (" (p.closed()) " of " (p.items.len()) " done)"
                }
                ul {
                    @for item in &p.items {
                        li { (item.text) " — " strong { (words(item.status.as_str())) } }
                    }
                }
            }
        }
    }
}

fn own_checklist(v: &View<'_>) -> Markup {
    if v.checklist.is_empty() {
        return html! {};
    }
    let closed = v.checklist.iter().filter(|i| i.is_closed()).count();
    let mut sections: Vec<(&str, &str, Vec<&ChecklistItem>)> = Vec::new();
    for item in v.checklist {
        match sections.last_mut() {
            Some((id, _, items)) if *id == item.section_id => items.push(item),
            _ => sections.push((&item.section_id, &item.section_title, vec![item])),
        }
    }
    html! {
        h2 id="checklist" { "Response checklist" }
        p {
            (closed) " of " (v.checklist.len()) " items done. Open a section to take, assign or update its items. \
             Notes are working notes: never write names or details of victims or suspects."
        }
        @for (id, title, items) in &sections {
            details id={ "section-" (id) } {
                summary {
                    strong { (title) }
                    " (" (items.iter().filter(|i| i.is_closed()).count()) " of " (items.len()) " done)"
                }
                ol class="items" {
                    @for item in items {
                        (item_html(v, item))
                    }
                }
            }
        }
    }
}

fn assignee_words(v: &View<'_>, assignee: Option<&Assignee>) -> String {
    match assignee {
        None => "nobody yet".to_owned(),
        Some(Assignee::Role(r)) => format!("the {} role", role_words(r)),
        Some(Assignee::Person(p)) => {
            v.people.people.iter().find(|(id, _)| id == p).map_or(p.to_string(), |(_, n)| n.clone())
        }
    }
}

/// A colleague by name, from the people alerted for this incident.
fn person_words(v: &View<'_>, id: &ContactId) -> String {
    if *id == v.contact.id {
        return "you".to_owned();
    }
    v.people.people.iter().find(|(p, _)| p == id).map_or_else(|| "a colleague".to_owned(), |(_, n)| n.clone())
}

fn item_html(v: &View<'_>, item: &ChecklistItem) -> Markup {
    let id = &item.item_id;
    let current = |a: &Assignee| item.assignee.as_ref() == Some(a);
    let me = Assignee::Person(v.contact.id.clone());
    html! {
        li id={ "item-" (id) } {
            p id={ "text-" (id) } { (item.text) }
            div class="meta" {
                p {
                    "Owner: " (role_words(&item.owner_role)) ". Status: " strong { (words(item.status.as_str())) }
                    ". Assigned to: " (assignee_words(v, item.assignee.as_ref())) "."
                    @if let (Some(by), Some(at)) = (&item.updated_by, item.updated_at) {
                        " Last changed by " (person_words(v, by)) " at " (when(at)) "."
                    }
                }
                @if item.notes.len() + usize::from(item.legacy_note.is_some()) > 0 {
                    ul class="notes" {
                        @for (text, note) in item.all_notes() {
                            li {
                                "Note: “" (text) "”"
                                @if let Some(note) = note {
                                    " by " (person_words(v, &note.by)) " at " (when(note.at))
                                }
                            }
                        }
                    }
                }
            }
            form method="post" action={ (v.base) "/a/" (v.token) "/items/" (id) } {
                input type="hidden" name="form_key" value=(v.form_key);
                input type="hidden" name="version" value=(item.version);
                label id={ "status-label-" (id) } for={ "status-" (id) } { "Status" }
                select id={ "status-" (id) } name="status" aria-labelledby={ "status-label-" (id) " text-" (id) } {
                    @for (value, status) in ItemStatus::ALL {
                        option value=(value) selected[*status == item.status] { (words(value)) }
                    }
                }
                label id={ "assignee-label-" (id) } for={ "assignee-" (id) } { "Assigned to" }
                select id={ "assignee-" (id) } name="assignee"
                    aria-labelledby={ "assignee-label-" (id) " text-" (id) } {
                    option value="" selected[item.assignee.is_none()] { "Nobody" }
                    option value="me" selected[current(&me)] { "Me" }
                    @for role in &v.people.roles {
                        option value={ "role:" (role.as_str()) } selected[current(&Assignee::Role(role.clone()))] {
                            "The " (role_words(role)) " role"
                        }
                    }
                    @for (person, name) in v.people.people.iter().filter(|(p, _)| *p != v.contact.id) {
                        option value={ "person:" (person.as_str()) }
                            selected[current(&Assignee::Person(person.clone()))] { (name) }
                    }
                }
                label id={ "note-label-" (id) } for={ "note-" (id) } { "Add a note (optional)" }
                input type="text" id={ "note-" (id) } name="note" maxlength="280"
                    aria-labelledby={ "note-label-" (id) " text-" (id) };
                button type="submit" class="secondary" id={ "save-" (id) } aria-labelledby={ "save-" (id) " text-" (id) } {
                    "Save this item"
                }
            }
        }
    }
}
