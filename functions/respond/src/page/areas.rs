//! Connected areas on the responder's page (issue 19): the areas named so
//! far, and for the incident's lead a form to name another.

use super::*;

/// The connected areas and, for the lead of an incident this licensee owns,
/// the form to name another (a partner's linked incident is not shared onwards).
pub(super) fn connected_areas(v: &View<'_>) -> Markup {
    let areas = &v.incident.report.connected_areas;
    let lead = v.lead_role.as_ref().is_some_and(|lead| *lead == v.contact.role);
    let may_add = lead && v.incident.shared_from.is_none() && v.follow_up.closure.is_none();
    if areas.is_empty() && !may_add {
        return html! {};
    }
    html! {
        h2 id="connected-areas" { "Connected areas" }
        @if areas.is_empty() {
            p { "No other area is named as connected to this incident." }
        } @else {
            p {
                "Other areas connected to this incident: "
                (areas.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")) "."
            }
        }
        @if may_add {
            form method="post" action={ (v.base) "/a/" (v.token) "/areas" } {
                input type="hidden" name="form_key" value=(v.form_key);
                label for="connected-area" { "Another area is connected" }
                p class="meta" id="connected-area-hint" {
                    "A borough or council area name only, never why. The council covering it is offered a share of \
                     this incident."
                }
                input type="text" id="connected-area" name="area" maxlength="80" autocomplete="off" required
                    aria-describedby="connected-area-hint";
                button type="submit" class="secondary" { "Add the area" }
            }
        }
    }
}
