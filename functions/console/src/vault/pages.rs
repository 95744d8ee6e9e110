//! The vault's pages. Values appear only on the record page (a POST answer);
//! every other page shows ids, roles, field names and times. Every page is
//! `no-store` (`web::html_response`), and so is the CSV export.

use super::{listed, AddForm, SearchForm, ViewForm};
use crate::pages::{header, page, when};
use crate::SignedIn;
use http::{header as h, HeaderValue, Response, StatusCode};
use sim::domain::choice::Choice;
use sim::domain::subject::{SafeguardingFlag, SubjectRole, SubjectSource};
use sim::domain::Incident;
use sim::ports::store::{AccessEntry, SealedSubject, SubjectRef};
use sim::vault::{Agreement, Shown};
use sim::web::{html, Markup};

pub fn forbidden(text: &str) -> Response<String> {
    crate::pages::problem(StatusCode::FORBIDDEN, text)
}

pub fn expired() -> Response<String> {
    crate::pages::problem(
        StatusCode::GONE,
        "This record is past its retention date. It can no longer be opened, and its key has been deleted.",
    )
}

/// A field problem as the form shows it: the field's label, and the
/// validator's message (which never repeats the value).
pub fn field_error(pointer: &str, message: &str) -> String {
    let field = pointer.trim_start_matches('/').split('/').next().unwrap_or_default();
    let label = match field {
        "" => "The record",
        "role" => "Role",
        "name" => "Name",
        "date_of_birth" => "Date of birth",
        "address" => "Address",
        "postcode" => "Postcode",
        "school" => "School or college",
        "safeguarding_flags" => "Safeguarding flags",
        "note" => "Note",
        _ => "A field",
    };
    format!("{label} {message}")
}

fn errors_box(errors: &[String]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div class="error-summary" role="alert" {
                h2 { "There is a problem" }
                ul { @for e in errors { li { (e) } } }
            }
        }
    }
}

fn words(text: &str) -> String {
    let spaced = text.replace('_', " ");
    let mut chars = spaced.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn back(incident: &Incident) -> Markup {
    html! { p { a href={ "/console/incidents/" (incident.id) } { "Back to the incident" } } }
}

#[allow(clippy::too_many_arguments)]
pub fn list(
    who: &SignedIn,
    agreement: &Agreement,
    incident: &Incident,
    subjects: &[SealedSubject],
    done: &str,
    form: &AddForm,
    errors: &[String],
    status: StatusCode,
) -> Response<String> {
    let may_add = listed(agreement, who);
    page(
        status,
        "Personal data",
        html! {
            (header(who, incident.licensee_id.as_str()))
            (errors_box(errors))
            @if done == "added" { div class="done" role="status" { p { "The record was added. The addition is in the access log." } } }
            @if done == "erased" { div class="done" role="status" { p { "The record was erased. The erasure is in the access log." } } }
            h1 { "Personal data" }
            p class="meta" { "Incident " (incident.report.police_reference.as_str()) ". Records are shown one at a time, \
                after you choose a lawful condition and give a reason. Every view is logged." }
            @if subjects.is_empty() {
                p { "No personal data is held for this incident." }
            } @else {
                table {
                    caption class="meta" { (subjects.len()) " records" }
                    thead { tr { th scope="col" { "Role" } th scope="col" { "Record" } th scope="col" { "Added" } th scope="col" { "Kept until" } } }
                    tbody {
                        @for role in SubjectRole::ALL.iter().map(|(_, r)| *r) {
                            @for s in subjects.iter().filter(|s| s.role == role) {
                                tr {
                                    td { strong class="tag note" { (words(role.as_str())) } }
                                    td { a href={ "/console/incidents/" (incident.id) "/subjects/" (s.subject_id) } { "Open record " (s.subject_id) } }
                                    td { (when(s.created_at)) }
                                    td { (when(s.retain_until)) }
                                }
                            }
                        }
                    }
                }
            }
            @if may_add {
                h2 { "Add a person" }
                (add_form(who, incident, form))
            }
            @if who.member.has(sim::domain::staff::ConsoleRole::Dpo) {
                p { a href="/console/vault/log" { "Personal-data access log" } " · " a href="/console/vault/search" { "Subject access search" } }
            }
            (back(incident))
        },
    )
}

fn add_form(who: &SignedIn, incident: &Incident, form: &AddForm) -> Markup {
    html! {
        form method="post" action={ "/console/incidents/" (incident.id) "/subjects" } autocomplete="off" {
            input type="hidden" name="csrf" value=(who.session.csrf);
            label for="role" { "Role in the incident" }
            select id="role" name="role" {
                @for (text, _) in SubjectRole::ALL { option value=(text) selected[form.role == *text] { (words(text)) } }
            }
            label for="name" { "Name" }
            input type="text" id="name" name="name" maxlength="200" value=(form.name);
            label for="date_of_birth" { "Date of birth (optional)" }
            input type="date" id="date_of_birth" name="date_of_birth" value=(form.date_of_birth);
            label for="address" { "Address (optional)" }
            input type="text" id="address" name="address" maxlength="300" value=(form.address);
            label for="postcode" { "Postcode (optional)" }
            input type="text" id="postcode" name="postcode" maxlength="8" value=(form.postcode);
            label for="school" { "School or college (optional)" }
            input type="text" id="school" name="school" maxlength="200" value=(form.school);
            fieldset {
                legend { "Safeguarding flags" }
                @for (text, _) in SafeguardingFlag::ALL {
                    div class="choice" {
                        input type="checkbox" id={ "flag_" (text) } name="safeguarding_flags" value=(text) checked[form.flags.contains(*text)];
                        " " label for={ "flag_" (text) } { (words(text)) }
                    }
                }
            }
            label for="note" { "Note (optional)" }
            input type="text" id="note" name="note" maxlength="500" value=(form.note);
            button type="submit" { "Add record" }
        }
    }
}

fn condition_choice(agreement: &Agreement, chosen: &str) -> Markup {
    html! {
        label for="lawful_basis" { "Lawful condition" }
        select id="lawful_basis" name="lawful_basis" {
            @for basis in agreement.lawful_conditions().iter().map(|c| c.as_str()) {
                option value=(basis) selected[chosen == basis] { (words(basis)) }
            }
        }
    }
}

/// Before a record is shown: the condition and the reason (and, outside
/// the agreement, the emergency box).
pub fn ask(
    who: &SignedIn,
    agreement: &Agreement,
    incident: &Incident,
    sealed: &SealedSubject,
    form: &ViewForm,
    refused: Option<&str>,
) -> Response<String> {
    let listed = listed(agreement, who);
    let errors: Vec<String> = refused.map(|why| format!("Access refused: {why}.")).into_iter().collect();
    let status = if refused.is_some() { StatusCode::FORBIDDEN } else { StatusCode::OK };
    let action = format!("/console/incidents/{}/subjects/{}", incident.id, sealed.subject_id);
    page(
        status,
        "Open a personal-data record",
        html! {
            (header(who, incident.licensee_id.as_str()))
            (errors_box(&errors))
            h1 { "Open a personal-data record" }
            p { "Record " (sealed.subject_id) " (" (words(sealed.role.as_str())) ") of incident "
                (incident.report.police_reference.as_str()) "." }
            @if !listed {
                div class="closed" role="note" {
                    p { strong { "Your role is not one your council's data-sharing agreement names." }
                        " You may open this record only in an emergency. Your data protection officer is emailed at once." }
                }
            }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(who.session.csrf);
                (condition_choice(agreement, &form.lawful_basis))
                label for="reason" { @if listed { "Why you need to see it" } @else { "The emergency" } }
                input type="text" id="reason" name="reason" maxlength="500" value=(form.reason);
                @if !listed {
                    div class="choice" {
                        input type="checkbox" id="emergency" name="emergency" value="yes";
                        " " label for="emergency" { "This is an emergency (break-glass access)" }
                    }
                }
                button type="submit" { "Open the record" }
            }
            @if who.member.has(sim::domain::staff::ConsoleRole::Dpo) {
                h2 { "Erase this record" }
                p { "On a request for erasure. The record is deleted; the erasure is logged with your reason." }
                (erase_form(who, &action, ""))
            }
            p { a href={ "/console/incidents/" (incident.id) "/subjects" } { "Back to the records" } }
        },
    )
}

fn erase_form(who: &SignedIn, action: &str, reason: &str) -> Markup {
    html! {
        form method="post" action={ (action) "/erase" } {
            input type="hidden" name="csrf" value=(who.session.csrf);
            label for="erase_reason" { "Request reference or reason" }
            input type="text" id="erase_reason" name="reason" maxlength="200" value=(reason);
            button type="submit" class="secondary" { "Erase this record" }
        }
    }
}

pub fn ask_erase_reason(who: &SignedIn, incident: &Incident, sealed: &SealedSubject) -> Response<String> {
    let action = format!("/console/incidents/{}/subjects/{}", incident.id, sealed.subject_id);
    page(
        StatusCode::BAD_REQUEST,
        "Erase a personal-data record",
        html! {
            (header(who, incident.licensee_id.as_str()))
            (errors_box(&["Enter the request reference or reason for the erasure".to_owned()]))
            h1 { "Erase a personal-data record" }
            (erase_form(who, &action, ""))
        },
    )
}

/// The record, after the vault logged the view.
pub fn record(
    who: &SignedIn,
    incident: &Incident,
    sealed: &SealedSubject,
    shown: &Shown,
    elsewhere: Option<usize>,
) -> Response<String> {
    let r = &shown.record;
    page(
        StatusCode::OK,
        "Personal-data record",
        html! {
            (header(who, incident.licensee_id.as_str()))
            @if shown.break_glass {
                div class="closed" role="status" { p { strong { "Break-glass access." } " Your data protection officer has been told." } }
            }
            h1 { "Personal-data record" }
            p class="meta" { "Record " (sealed.subject_id) " of incident " (incident.report.police_reference.as_str())
                ". This view is access-log entry " (shown.entry) ". Do not copy these details elsewhere." }
            @if let Some(n) = elsewhere {
                @if n > 0 {
                    div class="closed" role="status" { p { strong { "This person appears in " (n) " other incident" @if n != 1 { "s" } "." } } }
                } @else {
                    p { "This person appears in no other incident." }
                }
            }
            dl {
                dt { "Role" } dd { (words(r.role.as_str())) }
                dt { "Name" } dd { (r.name.as_str()) }
                @if let Some(d) = r.date_of_birth { dt { "Date of birth" } dd { (d) } }
                @if let Some(a) = &r.address { dt { "Address" } dd { (a.as_str()) } }
                @if let Some(p) = &r.postcode { dt { "Postcode" } dd { (p.as_str()) } }
                @if let Some(s) = &r.school { dt { "School or college" } dd { (s.as_str()) } }
                @if !r.safeguarding_flags.is_empty() {
                    dt { "Safeguarding flags" }
                    dd { @for f in &r.safeguarding_flags { strong class="tag grey" { (words(f.as_str())) } " " } }
                }
                @if let Some(n) = &r.note { dt { "Note" } dd { (n.as_str()) } }
                dt { "Source" } dd {
                    @match &r.source {
                        SubjectSource::Police { caller_id } => { "Police system " (caller_id) }
                        SubjectSource::Council { staff_id } => { "Council staff " (staff_id) }
                    }
                }
            }
            p { a href={ "/console/incidents/" (incident.id) "/subjects" } { "Back to the records" } }
        },
    )
}

fn log_rows(entries: &[AccessEntry]) -> impl Iterator<Item = [String; 11]> + '_ {
    entries.iter().rev().map(|e| {
        [
            e.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            e.action.as_str().to_owned(),
            if e.break_glass { "yes".into() } else { "no".into() },
            e.reader.clone(),
            e.role.clone(),
            e.lawful_basis.clone().unwrap_or_default(),
            e.reason.clone(),
            e.fields.join(" "),
            e.incident_id.as_ref().map(|i| i.to_string()).unwrap_or_default(),
            e.subject_id.as_ref().map(|s| s.to_string()).unwrap_or_default(),
            e.address.clone().unwrap_or_default(),
        ]
    })
}

const LOG_COLUMNS: [&str; 11] = [
    "When",
    "Action",
    "Break-glass",
    "Staff",
    "Role",
    "Lawful condition",
    "Reason",
    "Fields",
    "Incident",
    "Record",
    "Address",
];

/// The DPO's access log, newest first, break-glass views flagged.
pub fn log(who: &SignedIn, entries: &[AccessEntry]) -> Response<String> {
    let break_glass = entries.iter().filter(|e| e.break_glass).count();
    page(
        StatusCode::OK,
        "Personal-data access log",
        html! {
            (header(who, who.member.licensee_id.as_str()))
            h1 { "Personal-data access log" }
            p { a href="/console/vault/log.csv" download { "Export the log (CSV)" } " · " a href="/console/vault/search" { "Subject access search" } }
            @if break_glass > 0 {
                div class="closed" role="status" { p { strong { (break_glass) " break-glass access" @if break_glass != 1 { "es" } } " in the log: review each." } }
            }
            @if entries.is_empty() { p { "Nothing has been logged yet." } } @else {
                table {
                    caption class="meta" { (entries.len()) " entries, newest first" }
                    thead { tr { @for c in LOG_COLUMNS { th scope="col" { (c) } } } }
                    tbody {
                        @for row in log_rows(entries) {
                            tr {
                                @for (i, cell) in row.iter().enumerate() {
                                    td { @if i == 2 && cell == "yes" { strong class="tag" { "Break-glass" } } @else if i != 2 { (cell) } }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// A CSV cell: quoted, with a leading formula character defused.
fn csv_cell(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

pub fn log_csv(entries: &[AccessEntry]) -> Response<String> {
    let mut body = LOG_COLUMNS.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(",");
    body.push_str("\r\n");
    for row in log_rows(entries) {
        body.push_str(&row.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
        body.push_str("\r\n");
    }
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(h::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(h::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"vault-access-log.csv\""));
    headers.insert(h::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(h::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(h::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(sim::web::response::HSTS));
    headers.insert(h::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// The subject access search: by name and date of birth (blind index).
pub fn search(
    who: &SignedIn,
    agreement: &Agreement,
    form: &SearchForm,
    errors: &[String],
    found: Option<&[SubjectRef]>,
) -> Response<String> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    page(
        status,
        "Subject access search",
        html! {
            (header(who, who.member.licensee_id.as_str()))
            (errors_box(errors))
            h1 { "Subject access search" }
            p { "Finds every record about one person by their name and date of birth, without opening any. \
                 Spelling of case, accents and spacing does not matter. The search is logged." }
            form method="post" action="/console/vault/search" autocomplete="off" {
                input type="hidden" name="csrf" value=(who.session.csrf);
                label for="name" { "Name" }
                input type="text" id="name" name="name" maxlength="200" value=(form.name);
                label for="date_of_birth" { "Date of birth" }
                input type="date" id="date_of_birth" name="date_of_birth" value=(form.date_of_birth);
                (condition_choice(agreement, &form.lawful_basis))
                label for="reason" { "Request reference or reason" }
                input type="text" id="reason" name="reason" maxlength="500" value=(form.reason);
                button type="submit" { "Search" }
            }
            @if let Some(found) = found {
                h2 { "Records found" }
                @if found.is_empty() { p { "No record matches." } } @else {
                    p { (found.len()) " record" @if found.len() != 1 { "s" } " found." }
                    ul {
                        @for r in found {
                            li { a href={ "/console/incidents/" (r.incident_id) "/subjects/" (r.subject_id) } { "Record " (r.subject_id) " of incident " (r.incident_id) } }
                        }
                    }
                }
            }
            p { a href="/console/vault/log" { "Back to the access log" } }
        },
    )
}
