//! The console's pages, on `sim::web` (maud, the one layout, security headers).

use crate::incidents::{age, label, per_channel, BoardRow, SearchForm};
use crate::SignedIn;
use http::{Response, StatusCode};
use sim::domain::notification::Categorisation;
use sim::domain::Incident;
use sim::web::{document, html, html_response, Layout, Markup};
use time::OffsetDateTime;

/// The board refreshes itself: it fetches the page and swaps the board in
/// place (no focus or scroll lost). Without JavaScript, a reload does the same.
/// The fetch says it is a refresh (`REFRESH_HEADER: board`), so the answer
/// leaves out the header it would not use (and its count's query).
pub const REFRESH: &str = "setInterval(function(){fetch(location.href,{credentials:'same-origin',\
headers:{'SIM-Refresh':'board'}})\
.then(function(r){return r.ok&&!r.redirected?r.text():null}).then(function(t){if(!t)return;\
var n=new DOMParser().parseFromString(t,'text/html').getElementById('board'),o=document.getElementById('board');\
if(n&&o)o.replaceWith(n)}).catch(function(){})},5000);";

/// The request header the board's refresh sends.
pub const REFRESH_HEADER: &str = "sim-refresh";

pub const BOARD_LAYOUT: Layout = Layout { script: Some(REFRESH), ..LAYOUT };

pub const LAYOUT: Layout = Layout {
    footer: "SIM, the Serious Incident Manager: the council console. Sign out when you leave a shared screen.",
    wide: true,
    script: None,
};

pub(crate) fn page(status: StatusCode, title: &str, main: Markup) -> Response<String> {
    html_response(&LAYOUT, status, document(&LAYOUT, title, main))
}

pub(crate) fn when(at: OffsetDateTime) -> String {
    at.format(time::macros::format_description!("[day] [month repr:short] [year] [hour]:[minute] UTC"))
        .unwrap_or_default()
}

/// Who is signed in, with the sign-out button (every form carries the CSRF token).
pub(crate) fn header(who: &SignedIn, licensee: &str) -> Markup {
    html! {
        div class="meta" {
            "Signed in as " strong { (who.member.name) } " (" (who.member.roles_text()) "), " (licensee) ". "
            a href="/console" { "Live board" } " · " a href="/console/incidents" { "Past incidents" }
            " · " a href="/console/reports" { "Reports" } " · " (crate::shares::shared_with_us_link(who))
            @if who.member.has(sim::domain::staff::ConsoleRole::Admin) {
                " · " a href="/console/staff" { "Staff" } " · " a href="/console/directory" { "Directory" }
            }
            form method="post" action="/console/sign-out" {
                input type="hidden" name="csrf" value=(who.session.csrf);
                button type="submit" class="secondary" { "Sign out" }
            }
        }
    }
}

pub fn problem(status: StatusCode, text: &str) -> Response<String> {
    page(status, "There is a problem", html! { h1 { "There is a problem" } p { (text) } })
}

pub fn not_found() -> Response<String> {
    page(
        StatusCode::NOT_FOUND,
        "Page not found",
        html! { h1 { "Page not found" } p { "Check the address, or go to " a href="/console" { "the board" } "." } },
    )
}

pub fn sign_in(signed_out: bool) -> Response<String> {
    page(
        StatusCode::OK,
        "Sign in",
        html! {
            @if signed_out {
                div class="done" role="status" { p { "You have signed out." } }
            }
            h1 { "Sign in to the SIM console" }
            p { "Sign in with your council account. Only staff your council has added can sign in." }
            p { a href="/console/sign-in" class="button" { "Sign in" } }
        },
    )
}

pub fn refused() -> Response<String> {
    page(
        StatusCode::FORBIDDEN,
        "You could not be signed in",
        html! {
            h1 { "You could not be signed in" }
            p { "Your sign-in could not be completed, or your account has no access to this console. \
                 If you should have access, ask your council's SIM administrator." }
            p { a href="/console/sign-in" { "Try signing in again" } }
        },
    )
}

pub fn board(who: &SignedIn, licensee: &str, rows: &[BoardRow], now: OffsetDateTime) -> Response<String> {
    let main = html! {
        // The refresh (no count asked) swaps in only `#board`: no header.
        @if who.offers_awaiting.is_some() { (header(who, licensee)) }
        h1 { "Live board" }
        div id="board" {
            p class="meta" { "Open incidents, newest first. Updated " (when(now)) "." }
            (crate::handoff::board_banner(rows.iter().map(|r| &r.incident), now))
            @if rows.is_empty() {
                p { "No open incidents." }
            } @else {
                table {
                    caption class="meta" { (rows.len()) " open incidents" }
                    thead { tr {
                        th scope="col" { "Incident" } th scope="col" { "Where and when" } th scope="col" { "Age" }
                        th scope="col" { "Acknowledged" } th scope="col" { "Messages" } th scope="col" { "Checklist" }
                        th scope="col" { "Escalation" }
                    } }
                    tbody {
                        @for row in rows {
                            @let i = &row.incident;
                            @let people = required_people(&row.notifications);
                            @let acked = people.iter().filter(|c| row.acknowledgements.iter().any(|a| &&a.contact_id == *c)).count();
                            @let done = row.checklist.iter().filter(|c| matches!(label(&c.status).as_str(), "done" | "not applicable")).count();
                            tr {
                                td {
                                    (crate::handoff::board_tag(i, now))
                                    @if let Some(c) = &row.categorisation {
                                        strong class="tag" { (c.category.label()) } " "
                                    }
                                    @if i.shared_from.is_some() { strong class="tag grey" { "Shared" } " " }
                                    a href={ "/console/incidents/" (i.id) } { (label(&i.report.incident_type)) }
                                    br; span class="meta" { (i.report.police_reference.as_str()) }
                                }
                                td {
                                    (i.report.location.borough.as_str())
                                    @if let Some(w) = &i.report.location.ward { ", " (w.as_str()) }
                                    br; span class="meta" { (when(i.report.occurred_at)) }
                                }
                                td { (age(i.received_at, now)) }
                                td { (acked) " of " (people.len()) }
                                td {
                                    @for (channel, (sent, failed, waiting)) in per_channel(&row.notifications, &row.deliveries) {
                                        (channel) ": " (sent) " sent"
                                        @if failed > 0 { ", " strong { (failed) " failed" } }
                                        @if waiting > 0 { ", " (waiting) " waiting" }
                                        br;
                                    }
                                }
                                td { (done) " of " (row.checklist.len()) }
                                td {
                                    @if let Some(e) = &row.escalation {
                                        "Step " (e.ran) " of " (e.steps)
                                        @if let Some(due) = e.next_due { br; span class="meta" { "Next " (when(due)) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    html_response(&BOARD_LAYOUT, StatusCode::OK, document(&BOARD_LAYOUT, "Live board", main))
}

pub fn search(
    who: &SignedIn,
    form: &SearchForm,
    rows: &[(Incident, Option<Categorisation>)],
    next: Option<&str>,
    errors: &[&str],
) -> Response<String> {
    use sim::domain::choice::Choice;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let next_link = next.map(|cursor| {
        let query: Vec<(&str, &str)> = vec![
            ("from", &form.from),
            ("to", &form.to),
            ("category", &form.category),
            ("ward", &form.ward),
            ("reference", &form.reference),
            ("page", cursor),
        ];
        format!("/console/incidents?{}", serde_urlencoded::to_string(query).unwrap_or_default())
    });
    page(
        status,
        "Past incidents",
        html! {
            (header(who, who.member.licensee_id.as_str()))
            @if !errors.is_empty() {
                div class="error-summary" role="alert" {
                    h2 { "There is a problem" }
                    ul { @for e in errors { li { (e) } } }
                }
            }
            h1 { "Past incidents" }
            form method="get" action="/console/incidents" {
                label for="from" { "Received from (date)" }
                input type="date" id="from" name="from" value=(form.from);
                label for="to" { "Received to (date)" }
                input type="date" id="to" name="to" value=(form.to);
                label for="category" { "Category" }
                select id="category" name="category" {
                    option value="" { "Any" }
                    @for (text, c) in sim::domain::category::Category::ALL {
                        option value=(text) selected[form.category == *text] { (c.label()) }
                    }
                }
                label for="ward" { "Ward" }
                input type="text" id="ward" name="ward" value=(form.ward);
                label for="reference" { "Police reference" }
                input type="text" id="reference" name="reference" value=(form.reference);
                button type="submit" class="secondary" { "Search" }
            }
            @if rows.is_empty() && errors.is_empty() {
                p { "No incidents on this page match." }
            }
            @if !rows.is_empty() {
                table {
                    thead { tr { th scope="col" { "Incident" } th scope="col" { "Where" } th scope="col" { "Received" } } }
                    tbody { @for (i, c) in rows { tr {
                        td {
                            @if let Some(c) = c { strong class="tag" { (c.category.label()) } " " }
                            a href={ "/console/incidents/" (i.id) } { (label(&i.report.incident_type)) }
                            br; span class="meta" { (i.report.police_reference.as_str()) }
                        }
                        td { (i.report.location.borough.as_str()) @if let Some(w) = &i.report.location.ward { ", " (w.as_str()) } }
                        td { (when(i.received_at)) }
                    } } }
                }
            }
            @if let Some(href) = next_link { p { a href=(href) { "Older incidents" } } }
        },
    )
}

/// The people whose acknowledgement is required, once each.
fn required_people(notifications: &[sim::domain::notification::Notification]) -> Vec<&sim::ids::ContactId> {
    let mut people: Vec<_> = notifications.iter().filter(|n| n.required).map(|n| &n.contact_id).collect();
    people.sort();
    people.dedup();
    people
}

pub fn staff(who: &SignedIn, staff: &[sim::domain::staff::StaffMember], errors: &[String]) -> Response<String> {
    page(
        StatusCode::OK,
        "Staff",
        html! {
            (header(who, who.member.licensee_id.as_str()))
            @if !errors.is_empty() {
                div class="error-summary" role="alert" {
                    h2 { "There is a problem" }
                    ul { @for e in errors { li { (e) } } }
                }
            }
            h1 { "Staff" }
            table {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Roles" } th scope="col" { "Signed in before" } th scope="col" { span class="meta" { "Action" } } } }
                tbody { @for m in staff { tr {
                    td { (m.name) }
                    td { (m.email.as_ref().map(|e| e.as_str()).unwrap_or("-")) }
                    td { (m.roles_text()) }
                    td { @if m.login.is_some() { "Yes" } @else { "Not yet" } }
                    td { @if m.id != who.member.id {
                        form method="post" action={ "/console/staff/" (m.id) "/remove" } {
                            input type="hidden" name="csrf" value=(who.session.csrf);
                            button type="submit" class="secondary" { "Remove " (m.name) }
                        }
                    } }
                } } }
            }
            h2 { "Add a staff member" }
            p { "They sign in with their council account; the email must be the one your identity provider verifies." }
            form method="post" action="/console/staff" {
                input type="hidden" name="csrf" value=(who.session.csrf);
                label for="name" { "Name" }
                input type="text" id="name" name="name" maxlength="100";
                label for="email" { "Email" }
                input type="text" id="email" name="email" autocomplete="off";
                fieldset {
                    legend { "Roles" }
                    @for (name, hint) in [("admin", "staff, directory, settings"), ("duty", "watch and act on incidents"), ("viewer", "read only"), ("dpo", "data protection officer")] {
                        div class="choice" {
                            input type="checkbox" id={ "role_" (name) } name={ "role_" (name) } value="on";
                            " " label for={ "role_" (name) } { (name) ": " (hint) }
                        }
                    }
                }
                button type="submit" { "Add staff member" }
            }
        },
    )
}
