//! Key dates and closing on the responder's page.

use super::*;

/// Key dates so far, and the form to add one.
pub(super) fn key_dates(v: &View<'_>) -> Markup {
    if v.lead_role.is_none() {
        return html! {};
    }
    html! {
        h2 id="key-dates" { "Key dates" }
        p {
            "Funerals, court dates and anniversaries are times of risk. On the day, SIM re-alerts the groups with the \
             checklist's open items."
        }
        @if v.follow_up.key_dates.is_empty() {
            p { "None added yet." }
        } @else {
            ul {
                @for d in &v.follow_up.key_dates {
                    li { (d.kind.label()) ": " (when_date(d.date)) }
                }
            }
        }
        form method="post" action={ (v.base) "/a/" (v.token) "/key-dates" } {
            input type="hidden" name="form_key" value=(v.form_key);
            label for="key-date-what" { "What is the date?" }
            select id="key-date-what" name="what" {
                @for (value, kind) in KeyDateKind::ALL {
                    option value=(value) { (kind.label()) }
                }
            }
            label for="key-date-date" { "Date" }
            input type="date" id="key-date-date" name="date" required;
            button type="submit" class="secondary" { "Add key date" }
        }
    }
}

/// The close form, for the lead role while the incident is open.
pub(super) fn close(v: &View<'_>) -> Markup {
    let Some(lead) = &v.lead_role else { return html! {} };
    if v.follow_up.closure.is_some() {
        return html! {};
    }
    let lead_words = role_words(lead);
    if v.contact.role != *lead {
        return html! {
            h2 id="close" { "Closing the incident" }
            p { (capitalise(&format!("the {lead_words} lead"))) " closes the incident when the response has ended." }
        };
    }
    html! {
        h2 id="close" { "Close the incident" }
        p {
            "As the " (lead_words) " lead you close the incident when the response has ended. The groups are told at \
             once; reviews follow at 24 hours, 72 hours and 7 days."
        }
        form method="post" action={ (v.base) "/a/" (v.token) "/close" } {
            input type="hidden" name="form_key" value=(v.form_key);
            input type="hidden" name="version" value=(v.follow_up.version);
            label for="closing-note" { "Closing note (how the response ended; no names)" }
            textarea id="closing-note" name="closing_note" rows="4" maxlength="1000" required {}
            button type="submit" { "Close incident" }
        }
    }
}
