//! The console's reports (issue 17), under `/console/reports`: a licensee's
//! figures for a period with their charts and tables, CSV exports of the
//! figures and of the per-incident rows, the audit export of the period's
//! timelines, and the printable one-page summary of an incident (with its
//! own audit export). Every console role (admin, duty, viewer, dpo) may
//! read them; everything is read for the session's own licensee, and another
//! licensee's incident is 404 exactly as one that does not exist.
//!
//! The period picker is a plain GET form (GOV.UK date inputs: day, month,
//! year), so a report has an address that can be bookmarked and shared with
//! colleagues; it changes nothing, so it carries no CSRF token. Links to the
//! exports carry the period as `from` and `to` (YYYY-MM-DD).

mod period;
mod view;

use crate::incidents::own_incident;
use crate::{Deps, Failure, SignedIn};
use http::{header, HeaderValue, Response, StatusCode};
use serde::Deserialize;
use sim::domain::staff::ConsoleRole;
use sim::reports::export::{self, ContactNames};
use sim::reports::Period;

pub use period::PeriodForm;

/// The pages and files under `/console/reports`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// `/console/reports`: the period picker and the report.
    Report,
    /// `/console/reports/figures.csv`
    FiguresCsv,
    /// `/console/reports/incidents.csv`
    IncidentsCsv,
    /// `/console/reports/audit`: the period's timelines (`format=csv|jsonl`).
    Audit,
    /// `/console/reports/incidents/{incident}`: the printable summary.
    Summary,
    /// `/console/reports/incidents/{incident}/audit`: one incident's timeline.
    IncidentAudit,
}

/// Whether the staff member may read reports: every console role may.
fn may_read(who: &SignedIn) -> bool {
    ConsoleRole::ALL.into_iter().any(|r| who.member.has(r))
}

#[derive(Debug, Default, Deserialize)]
struct Export {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    format: String,
}

/// Serves one of the reports pages or files; `incident` is the path's
/// incident id (empty for the pages without one).
pub async fn handle(
    deps: &Deps,
    who: &SignedIn,
    page: Page,
    query: &str,
    incident: &str,
) -> Result<Response<String>, Failure> {
    if !may_read(who) {
        return Ok(crate::pages::problem(StatusCode::FORBIDDEN, "Your console roles do not include reading reports."));
    }
    let licensee = &who.member.licensee_id;
    match page {
        Page::Report => {
            let form: PeriodForm = sim::web::parse_form(query.as_bytes()).unwrap_or_default();
            let today = deps.clock.now().date();
            let name = deps.store.get_licensee(licensee).await?.map(|l| l.name).unwrap_or_else(|| licensee.to_string());
            match form.period(today) {
                Ok(period) => {
                    let read = sim::reports::for_period(&*deps.store, licensee, period).await?;
                    Ok(view::report(who, &name, &form.filled(period), Some(&read), &[]))
                }
                Err(errors) => Ok(view::report(who, &name, &form, None, &errors)),
            }
        }
        Page::FiguresCsv | Page::IncidentsCsv | Page::Audit => {
            let export: Export = sim::web::parse_form(query.as_bytes()).unwrap_or_default();
            let Ok(period) = Period::parse(&export.from, &export.to) else {
                return Ok(crate::pages::problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "That export needs a period: choose one on the reports page and use its links.",
                ));
            };
            let read = sim::reports::for_period(&*deps.store, licensee, period).await?;
            let stem = format!("sim-{licensee}-{}-{}", period.from, period.to);
            Ok(match page {
                Page::FiguresCsv => file(&format!("{stem}-figures.csv"), export::figures_csv(&read)),
                Page::IncidentsCsv => file(&format!("{stem}-incidents.csv"), export::rows_csv(&read.rows)),
                _ => {
                    let ids: Vec<_> = read.rows.iter().map(|r| r.incident_id.clone()).collect();
                    audit(deps, who, &ids, &format!("{stem}-audit"), &export.format).await?
                }
            })
        }
        Page::Summary | Page::IncidentAudit => {
            let Some(found) = own_incident(deps, who, incident).await? else {
                return Ok(crate::pages::not_found());
            };
            if page == Page::IncidentAudit {
                let export: Export = sim::web::parse_form(query.as_bytes()).unwrap_or_default();
                let stem = format!("sim-{}-audit", found.id);
                return audit(deps, who, &[found.id], &stem, &export.format).await;
            }
            let Some(current) = sim::reports::current(&*deps.store, &found.id).await? else {
                return Ok(crate::pages::not_found());
            };
            let names = contact_names(deps, who).await?;
            Ok(view::summary(&current, &names))
        }
    }
}

/// Contact names by id: the console serves council staff, who may see them.
async fn contact_names(deps: &Deps, who: &SignedIn) -> Result<ContactNames, Failure> {
    let contacts = deps.store.contacts(&who.member.licensee_id).await?;
    Ok(contacts.into_iter().map(|c| (c.id.to_string(), c.name)).collect())
}

/// The timelines of `ids`, as CSV or (`format=jsonl`) JSON lines, with contact names.
async fn audit(
    deps: &Deps,
    who: &SignedIn,
    ids: &[sim::ids::IncidentId],
    stem: &str,
    format: &str,
) -> Result<Response<String>, Failure> {
    let names = contact_names(deps, who).await?;
    let mut events = Vec::new();
    for id in ids {
        events.extend(deps.store.timeline(id).await?);
    }
    tracing::info!(licensee = %who.member.licensee_id, staff = %who.member.id, incidents = ids.len(), "audit export");
    Ok(if format == "jsonl" {
        file(&format!("{stem}.jsonl"), export::timeline_jsonl(&events, Some(&names)))
    } else {
        file(&format!("{stem}.csv"), export::timeline_csv(&events, Some(&names)))
    })
}

/// A download: CSV or JSON lines, never cached, with the console's security headers.
fn file(name: &str, body: String) -> Response<String> {
    let kind = if name.ends_with(".jsonl") { "application/x-ndjson; charset=utf-8" } else { "text/csv; charset=utf-8" };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(sim::web::response::HSTS));
    response
}
