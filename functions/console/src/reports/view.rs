//! The reports pages' markup, in the console's layout.

use super::period::{FieldError, PeriodForm};
use crate::pages::{header, LAYOUT};
use crate::SignedIn;
use http::{Response, StatusCode};
use sim::reports::chart::figures_charts;
use sim::reports::export::ContactNames;
use sim::reports::figures::human_seconds;
use sim::reports::summary::{incident_summary, when, IncidentSummary};
use sim::reports::{Current, Figures, PeriodReport, Spread};
use sim::web::{document, html, html_response, Markup};

fn date_input(prefix: &str, legend: &str, day: &str, month: &str, year: &str, error: Option<&str>) -> Markup {
    html! {
        fieldset role="group" aria-describedby={ (prefix) "-hint" } {
            legend { (legend) }
            p class="meta" id={ (prefix) "-hint" } { "For example, 1 11 2026" }
            @if let Some(e) = error { p class="error" id={ (prefix) "-error" } { span class="meta" { "Error: " } (e) } }
            div class="choice" {
                label for={ (prefix) "-day" } { "Day" }
                input type="text" inputmode="numeric" id={ (prefix) "-day" } name={ (prefix) "-day" } value=(day)
                    maxlength="2" autocomplete="off";
            }
            div class="choice" {
                label for={ (prefix) "-month" } { "Month" }
                input type="text" inputmode="numeric" id={ (prefix) "-month" } name={ (prefix) "-month" } value=(month)
                    maxlength="2" autocomplete="off";
            }
            div class="choice" {
                label for={ (prefix) "-year" } { "Year" }
                input type="text" inputmode="numeric" id={ (prefix) "-year" } name={ (prefix) "-year" } value=(year)
                    maxlength="4" autocomplete="off";
            }
        }
    }
}

fn spread(s: &Spread) -> String {
    match (s.median, s.p90, s.max) {
        (Some(m), Some(p), Some(x)) => format!(
            "median {}, 90th percentile {}, maximum {} (of {} {})",
            human_seconds(m),
            human_seconds(p),
            human_seconds(x),
            s.count,
            if s.count == 1 { "incident" } else { "incidents" }
        ),
        _ => "none".to_owned(),
    }
}

fn key_figures(f: &Figures) -> Markup {
    html! {
        dl {
            dt { "Incidents" } dd { (f.incidents) }
            dt { "Police report to first message" } dd { (spread(&f.time_to_first_message)) }
            dt { "Police report to every required role alerted" } dd { (spread(&f.time_to_all_required)) }
            dt { "Escalations" } dd {
                (f.deputies_alerted) " deputies alerted in " (f.incidents_with_deputies) " incidents; chief executive told in "
                (f.chief_executive_told)
            }
            dt { "Closed" } dd { (f.closed) ", time to close " (spread(&f.time_to_close)) }
        }
    }
}

pub fn report(
    who: &SignedIn,
    licensee: &str,
    form: &PeriodForm,
    read: Option<&PeriodReport>,
    errors: &[FieldError],
) -> Response<String> {
    let error_for = |id: &str| errors.iter().find(|(f, _)| *f == id).map(|(_, e)| e.as_str());
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let title = if errors.is_empty() { "Reports".to_owned() } else { "Error: Reports".to_owned() };
    let main = html! {
        (header(who, licensee))
        @if !errors.is_empty() {
            div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                h2 id="error-summary-title" { "There is a problem" }
                ul { @for (field, e) in errors { li { a href={ "#" (field) } { (e) } } } }
            }
        }
        h1 { "Reports" }
        p { "How fast SIM alerted, who acknowledged and how the response went, for " (licensee) "." }
        form method="get" action="/console/reports" {
            (date_input("from", "Start date", &form.from_day, &form.from_month, &form.from_year, error_for("from-day")))
            (date_input("to", "End date (included)", &form.to_day, &form.to_month, &form.to_year, error_for("to-day")))
            button type="submit" class="secondary" { "Show report" }
        }
        @if let Some(read) = read {
            @let period = format!("from={}&to={}", read.period.from, read.period.to);
            @let f = &read.report.overall;
            h2 { (licensee) ", " (read.period.from) " to " (read.period.to) }
            p class="meta" {
                "Days are UTC days; times are measured from SIM receiving the police report. Percentiles are nearest-rank: \
                 each is a time that happened."
            }
            h2 { "Downloads" }
            ul {
                li { a href={ "/console/reports/figures.csv?" (period) } { "Figures (CSV)" } }
                li { a href={ "/console/reports/incidents.csv?" (period) } { "One line per incident (CSV)" } }
                li { a href={ "/console/reports/audit?" (period) } { "Audit export of the period's timelines (CSV)" } }
                li { a href={ "/console/reports/audit?" (period) "&format=jsonl" } { "Audit export of the period's timelines (JSON lines)" } }
            }
            h2 id="all" { "All incidents" }
            (key_figures(f))
            (figures_charts("all", f))
            @for (category, figures) in &read.report.by_category {
                @let id = category.to_string().to_lowercase().replace('_', "-");
                h2 id=(id) { (category.label()) }
                (key_figures(figures))
                (figures_charts(&id, figures))
            }
            h2 { "Incidents" }
            @if read.rows.is_empty() {
                p { "No incidents in this period." }
            } @else {
                table {
                    caption { "Incidents in the period, in order of the police report" }
                    thead { tr {
                        th scope="col" { "Incident" } th scope="col" { "Reported" } th scope="col" { "Category" }
                        th scope="col" { "First message" } th scope="col" { "Required roles acknowledged" } th scope="col" { "Closed" }
                    } }
                    tbody { @for r in &read.rows {
                        @let required: Vec<_> = r.roles.iter().filter(|x| x.required).collect();
                        tr {
                            th scope="row" { a href={ "/console/reports/incidents/" (r.incident_id) } { "Summary of " (r.incident_id) } }
                            td { (when(r.reported_at)) }
                            td { (r.category.map_or("not categorised".to_owned(), |c| c.label().to_owned())) }
                            td { (r.time_to_first_message().map_or("-".to_owned(), |d| human_seconds(d.whole_seconds()))) }
                            td { (required.iter().filter(|x| x.acknowledged_at.is_some()).count()) " of " (required.len()) }
                            td { (r.time_to_close().map_or("open".to_owned(), |d| format!("after {}", human_seconds(d.whole_seconds())))) }
                        }
                    } }
                }
            }
        }
    };
    html_response(&LAYOUT, status, document(&LAYOUT, &title, main))
}

/// The printable one-page summary: no navigation or forms, so it prints as it reads.
pub fn summary(current: &Current, names: &ContactNames) -> Response<String> {
    let id = &current.row.incident_id;
    let main = html! {
        p class="meta" {
            a href={ "/console/incidents/" (id) } { "Back to the incident" } " · "
            a href="/console/reports" { "Reports" } " · "
            a href={ "/console/reports/incidents/" (id) "/audit" } { "Audit export (CSV)" } " · "
            a href={ "/console/reports/incidents/" (id) "/audit?format=jsonl" } { "Audit export (JSON lines)" }
        }
        (incident_summary(&IncidentSummary {
            row: &current.row,
            timeline: &current.timeline,
            checklist: &current.checklist,
            follow_up: current.follow_up.as_ref(),
            names: Some(names),
        }))
    };
    let title = format!("Incident {id}: summary for review");
    html_response(&LAYOUT, StatusCode::OK, document(&LAYOUT, &title, main))
}
