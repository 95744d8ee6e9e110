//! The council's directory in the console, for its `admin` staff: contacts
//! (list, view, edit, add, remove: versioned writes, so a change made from a
//! stale page is refused, never overwriting a colleague's), import from a CSV
//! file (a dry run first, removals confirmed, applied as one change), export,
//! alert gaps, groups and the audit trail of every change.
//!
//! Every request is checked in the same order: the method (405), the
//! session (the sign-in page), the object against the signed-in person's
//! licensee (another licensee's id is 404, whoever asks), the role (403),
//! then the form's CSRF token (403).

mod callers;
mod contacts;
mod form;
mod import;
mod test_message;
mod views;

pub use test_message::TestSenders;

use crate::posted::{self, Fields};
use crate::{pages, signed_in, Deps, Failure, SignedIn};
use http::{Method, Request, Response, StatusCode};
use sim::domain::staff::ConsoleRole;
use sim::domain::Contact;
use sim::ids::{CallerId, ContactId};
use sim::web::{html, Markup};

/// The directory's pages (one `Route::Directory` each in the console's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Contacts,
    AddContact,
    Contact,
    EditContact,
    RemoveContact,
    Import,
    ApplyImport,
    Export,
    Gaps,
    Groups,
    Changes,
    Callers,
    CallerKey,
    RevokeCaller,
    TestMessage,
}

impl Page {
    fn allows(self, method: &Method) -> bool {
        match self {
            Page::Contacts | Page::Contact | Page::Export | Page::Gaps | Page::Groups | Page::Changes => {
                method == Method::GET
            }
            Page::AddContact | Page::EditContact | Page::Import | Page::Callers => {
                method == Method::GET || method == Method::POST
            }
            Page::RemoveContact | Page::ApplyImport | Page::CallerKey | Page::RevokeCaller | Page::TestMessage => {
                method == Method::POST
            }
        }
    }
}

pub async fn handle(
    deps: &Deps,
    req: &Request<Vec<u8>>,
    page: Page,
    contact: &str,
    caller: &str,
) -> Result<Response<String>, Failure> {
    if !page.allows(req.method()) {
        return Ok(pages::problem(StatusCode::METHOD_NOT_ALLOWED, "That cannot be done here."));
    }
    let Some(who) = signed_in(deps, req).await? else {
        return Ok(pages::sign_in(false));
    };
    // The object first: another licensee's contact is not found, whoever asks.
    let found = match page {
        Page::Contact | Page::EditContact | Page::RemoveContact | Page::TestMessage => {
            let Ok(id) = ContactId::parse(contact) else { return Ok(pages::not_found()) };
            match deps.store.get_contact(&who.member.licensee_id, &id).await? {
                Some(c) => Some(c),
                None => return Ok(pages::not_found()),
            }
        }
        _ => None,
    };
    // A caller that does not act for this licensee is not found either.
    let found_caller = match page {
        Page::CallerKey | Page::RevokeCaller => {
            let Ok(id) = CallerId::parse(caller) else { return Ok(pages::not_found()) };
            match deps.store.get_caller(&id).await? {
                Some(c) if c.may_act_for(&who.member.licensee_id) => Some(c),
                _ => return Ok(pages::not_found()),
            }
        }
        _ => None,
    };
    if !who.member.has(ConsoleRole::Admin) {
        return Ok(pages::problem(
            StatusCode::FORBIDDEN,
            "Only your council's SIM administrators can see and change the directory.",
        ));
    }
    let post = req.method() == Method::POST;
    match (page, found) {
        (Page::Contacts, _) => contacts::list(deps, &who, req).await,
        (Page::Contact, Some(c)) => contacts::view(deps, &who, req, &c).await,
        (Page::TestMessage, Some(c)) => test_message::send(deps, &who, req, &c).await,
        (Page::AddContact, _) if post => form::save(deps, &who, req, None).await,
        (Page::AddContact, _) => form::form(deps, &who, None).await,
        (Page::EditContact, Some(c)) if post => form::save(deps, &who, req, Some(&c)).await,
        (Page::EditContact, Some(c)) => form::form(deps, &who, Some(&c)).await,
        (Page::RemoveContact, Some(c)) => contacts::remove(deps, &who, req, &c).await,
        (Page::Import, _) if post => import::check(deps, &who, req).await,
        (Page::Import, _) => Ok(import::form(&who, &[], StatusCode::OK)),
        (Page::ApplyImport, _) => import::apply(deps, &who, req).await,
        (Page::Export, _) => import::export(deps, &who).await,
        (Page::Gaps, _) => views::gaps(deps, &who).await,
        (Page::Groups, _) => views::groups(deps, &who).await,
        (Page::Changes, _) => views::changes(deps, &who).await,
        (Page::Callers, _) if post => callers::add(deps, &who, req).await,
        (Page::Callers, _) => callers::list(deps, &who, ("", ""), &[], StatusCode::OK).await,
        (Page::CallerKey | Page::RevokeCaller, _) => match found_caller {
            Some(c) => callers::change_key(deps, &who, req, c, page == Page::RevokeCaller).await,
            None => Ok(pages::not_found()),
        },
        _ => Ok(pages::not_found()),
    }
}

/// A posted directory form's fields, once its CSRF token checks out
/// (the role is checked at dispatch, before the form).
fn posted(who: &SignedIn, req: &Request<Vec<u8>>) -> Result<Fields, posted::Refused> {
    posted::read(who, req, ConsoleRole::Admin)
}

/// The directory's own links, under the console's header.
fn nav(who: &SignedIn, current: &str) -> Markup {
    let links = [
        ("/console/directory", "Contacts"),
        ("/console/directory/groups", "Groups"),
        ("/console/directory/gaps", "Alert gaps"),
        ("/console/directory/import", "Import"),
        ("/console/directory/export", "Export (CSV)"),
        ("/console/directory/changes", "Changes"),
        ("/console/directory/callers", "Police callers"),
    ];
    html! {
        (pages::header(who, who.member.licensee_id.as_str()))
        nav aria-label="Directory" {
            p {
                @for (i, (href, text)) in links.iter().enumerate() {
                    @if i > 0 { " · " }
                    @if *href == current { strong { a href=(href) aria-current="page" { (text) } } }
                    @else { a href=(href) { (text) } }
                }
            }
        }
    }
}

/// An error summary: each problem linking to its field (`#field`), if any.
fn error_summary(errors: &[(String, String)]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                h2 id="error-summary-title" { "There is a problem" }
                ul {
                    @for (field, text) in errors {
                        li { @if field.is_empty() { (text) } @else { a href={ "#" (field) } { (text) } } }
                    }
                }
            }
        }
    }
}

/// A contact's name, or their id if they are not in the directory.
fn name_of(contacts: &[Contact], id: &ContactId) -> String {
    contacts.iter().find(|c| &c.id == id).map(|c| c.name.clone()).unwrap_or_else(|| id.to_string())
}

/// A link to a contact's page, by name.
fn contact_link(contacts: &[Contact], id: &ContactId) -> Markup {
    html! { a href={ "/console/directory/contacts/" (id) } { (name_of(contacts, id)) } }
}
