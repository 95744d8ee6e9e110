//! The console's pages, on `sim::web` (maud, the one layout, security headers).

use crate::SignedIn;
use http::{Response, StatusCode};
use sim::web::{document, html, html_response, Layout, Markup};

pub const LAYOUT: Layout = Layout {
    footer: "SIM, the Serious Incident Manager: the council console. Sign out when you leave a shared screen.",
    wide: true,
    script: None,
};

fn page(status: StatusCode, title: &str, main: Markup) -> Response<String> {
    html_response(&LAYOUT, status, document(&LAYOUT, title, main))
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

pub fn board(who: &SignedIn, licensee: Option<&str>) -> Response<String> {
    let licensee_name = licensee.unwrap_or(who.member.licensee_id.as_str());
    page(
        StatusCode::OK,
        "Live board",
        html! {
            p class="meta" { "Signed in as " strong { (who.member.name) } " (" (who.member.roles_text()) "), " (licensee_name) }
            h1 { "Live board" }
            form method="post" action="/console/sign-out" {
                input type="hidden" name="csrf" value=(who.session.csrf);
                button type="submit" class="secondary" { "Sign out" }
            }
        },
    )
}
