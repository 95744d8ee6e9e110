//! The printable one-page summary of an incident for the review meeting:
//! what happened when, who was alerted and acknowledged when, the
//! checklist's state, key dates. Markup for the console to place in its
//! layout; ids, roles, codes and times only (contact names only when the
//! caller, serving council staff, passes them). Never victims' or suspects'
//! details.

use super::export::ContactNames;
use super::figures::human_seconds;
use super::row::IncidentRow;
use crate::domain::checklist::ChecklistItem;
use crate::domain::follow_up::FollowUp;
use crate::domain::TimelineEvent;
use crate::uk_time::uk_time;
use crate::web::{html, Markup};
use time::OffsetDateTime;

pub struct IncidentSummary<'a> {
    pub row: &'a IncidentRow,
    pub timeline: &'a [TimelineEvent],
    pub checklist: &'a [ChecklistItem],
    pub follow_up: Option<&'a FollowUp>,
    /// Contact names by id: only for council staff.
    pub names: Option<&'a ContactNames>,
}

/// A time as the reader's clock shows it: `21 Nov 2026 02:10:20 GMT`.
pub fn when(at: OffsetDateTime) -> String {
    let (local, zone) = uk_time(at);
    let format =
        time::macros::format_description!("[day padding:none] [month repr:short] [year] [hour]:[minute]:[second]");
    format!("{} {zone}", local.format(format).unwrap_or_default())
}

fn after(row: &IncidentRow, at: Option<OffsetDateTime>) -> String {
    at.map_or_else(
        || "not yet".to_owned(),
        |at| format!("{} ({} after the report)", when(at), human_seconds((at - row.reported_at).whole_seconds())),
    )
}

fn who(names: Option<&ContactNames>, id: &str) -> String {
    match names.and_then(|n| n.get(id)) {
        Some(name) => format!("{name} ({id})"),
        None => id.to_owned(),
    }
}

pub fn incident_summary(s: &IncidentSummary<'_>) -> Markup {
    let row = s.row;
    html! {
        article class="incident-summary" aria-labelledby="summary-title" {
            h1 id="summary-title" { "Incident " (row.incident_id) ": summary for review" }
            dl {
                dt { "Police report received" } dd { (when(row.reported_at)) }
                dt { "Occurred" } dd { (when(row.occurred_at)) }
                dt { "Category" } dd { (row.category.map_or("not categorised".to_owned(), |c| c.to_string())) }
                dt { "First message handed to a provider" } dd { (after(row, row.first_message_at)) }
                dt { "Every required role alerted" } dd { (after(row, row.all_required_alerted_at)) }
                dt { "Escalation" } dd {
                    (row.deputies_alerted) " deputies alerted; chief executive "
                    (if row.chief_executive_told { "told" } else { "not told" })
                }
                dt { "Closed" } dd { (after(row, row.closed_at)) }
            }
            h2 { "Who was alerted and acknowledged" }
            table {
                caption { "Roles alerted, first message and first acknowledgement" }
                thead { tr {
                    th scope="col" { "Role" } th scope="col" { "Required" } th scope="col" { "First message" }
                    th scope="col" { "Acknowledged" } th scope="col" { "Time to acknowledge" }
                } }
                tbody {
                    @for r in &row.roles {
                        tr {
                            th scope="row" { (r.role) }
                            td { (if r.required { "yes" } else { "no" }) }
                            td { (r.alerted_at.map_or("not sent".to_owned(), when)) }
                            td { (r.acknowledged_at.map_or("no".to_owned(), when)) }
                            td { (r.time_to_acknowledge().map_or("-".to_owned(), |d| human_seconds(d.whole_seconds()))) }
                        }
                    }
                }
            }
            h2 { "What happened when" }
            table {
                caption { "Timeline" }
                thead { tr { th scope="col" { "Time" } th scope="col" { "What" } th scope="col" { "Who" } } }
                tbody {
                    @for e in s.timeline {
                        tr {
                            td { (when(e.at)) }
                            td { (e.event.kind().replace('_', " ")) }
                            td { (e.event.contact().map(|c| who(s.names, c)).unwrap_or_default()) }
                        }
                    }
                }
            }
            h2 { "Checklist" }
            table {
                caption { "Checklist state" }
                thead { tr { th scope="col" { "Section" } th scope="col" { "Item" } th scope="col" { "State" } th scope="col" { "Last changed" } } }
                tbody {
                    @for item in s.checklist {
                        tr {
                            td { (item.section_title) }
                            td { (item.text) }
                            td { (item.status.to_string().replace('_', " ")) }
                            td { (item.updated_at.map_or("-".to_owned(), when)) }
                        }
                    }
                }
            }
            h2 { "Key dates" }
            @let dates = s.follow_up.map(|f| f.key_dates.as_slice()).unwrap_or_default();
            @if dates.is_empty() {
                p { "None recorded." }
            } @else {
                ul { @for d in dates { li { (d.kind.label()) ": " (d.date) } } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_read_on_the_uk_clock() {
        assert_eq!(when(datetime!(2026-11-21 02:10:20 UTC)), "21 Nov 2026 02:10:20 GMT");
        assert_eq!(when(datetime!(2026-07-01 08:00 UTC)), "1 Jul 2026 09:00:00 BST");
    }
}
