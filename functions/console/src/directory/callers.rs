//! Callers: the police integrations that may report incidents to this
//! council, with when their key was issued and revoked. An admin may issue a
//! new caller (acting for their own council only), issue a new key for one
//! (the old key stops working; the new one is shown once and only its hash is
//! stored, as `sim issue-key` does) or revoke its key. A caller shared with
//! other councils is shown but managed by SIM's operators.

use super::{error_summary, nav};
use crate::posted::{self, CsrfForm, CsrfOnly};
use crate::{pages, Deps, Failure, SignedIn};
use http::{Request, Response, StatusCode};
use sim::domain::staff::ConsoleRole;
use sim::domain::{ApiKey, Caller, KeyHash};
use sim::ids::CallerId;
use sim::ports::sessions::AuditKind;
use sim::web::{self, html};

#[derive(serde::Deserialize)]
struct IssueForm {
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
}

impl CsrfForm for IssueForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Whether this council alone may manage the caller.
fn own(who: &SignedIn, caller: &Caller) -> bool {
    caller.licensees == [who.member.licensee_id.clone()]
}

pub async fn list(
    deps: &Deps,
    who: &SignedIn,
    form: (&str, &str),
    errors: &[(String, String)],
    status: StatusCode,
) -> Result<Response<String>, Failure> {
    let callers = deps.store.callers(&who.member.licensee_id).await?;
    let title = if errors.is_empty() { "Police callers" } else { "Error: police callers" };
    Ok(pages::page(
        status,
        title,
        html! {
            (nav(who, "/console/directory/callers"))
            (error_summary(errors))
            h1 { "Police callers" }
            p { "The police systems that report incidents to SIM for your council, each with its own API key." }
            @if callers.is_empty() { p { "No police system reports to your council yet." } } @else {
                table {
                    thead { tr {
                        th scope="col" { "Caller" } th scope="col" { "Reports to" } th scope="col" { "Key" }
                        th scope="col" { span class="meta" { "Actions" } }
                    } }
                    tbody { @for c in &callers { tr {
                        td { (c.name) br; span class="meta" { (c.id) } }
                        td { @for (i, l) in c.licensees.iter().enumerate() { @if i > 0 { ", " } (l) } }
                        td {
                            @if let Some(at) = c.key_revoked_at { strong class="tag grey" { "Revoked" } " " (pages::when(at)) }
                            @else { strong class="tag note" { "Active" } }
                            @if let Some(at) = c.key_issued_at { br; span class="meta" { "Issued " (pages::when(at)) } }
                        }
                        td {
                            @if own(who, c) {
                                form method="post" action={ "/console/directory/callers/" (c.id) "/key" } {
                                    input type="hidden" name="csrf" value=(who.session.csrf);
                                    button type="submit" class="secondary" { "Issue a new key for " (c.name) }
                                }
                                @if c.key_revoked_at.is_none() {
                                    form method="post" action={ "/console/directory/callers/" (c.id) "/revoke" } {
                                        input type="hidden" name="csrf" value=(who.session.csrf);
                                        button type="submit" class="secondary" { "Revoke the key of " (c.name) }
                                    }
                                }
                            } @else {
                                span class="meta" { "Shared with other councils: SIM's operators manage it." }
                            }
                        }
                    } } }
                }
            }
            h2 { "Add a police caller" }
            p { "The key is shown once, when it is issued: give it to the police system's administrators securely." }
            form method="post" action="/console/directory/callers" novalidate {
                input type="hidden" name="csrf" value=(who.session.csrf);
                label for="id" { "Caller id" }
                p class="meta" id="id-hint" { "Lower-case letters, digits and hyphens, e.g. met-cad-lambeth. It is part of the key." }
                input type="text" id="id" name="id" value=(form.0) aria-describedby="id-hint" autocomplete="off";
                label for="name" { "Name" }
                input type="text" id="name" name="name" value=(form.1) maxlength="100" autocomplete="off";
                button type="submit" { "Add the caller and issue its key" }
            }
        },
    ))
}

/// The key, shown this once.
fn issued(who: &SignedIn, caller: &Caller, key: &ApiKey) -> Response<String> {
    pages::page(
        StatusCode::OK,
        "Key issued",
        html! {
            (nav(who, "/console/directory/callers"))
            div class="done" role="status" {
                h1 { "Key issued for " (caller.name) }
                p { "Copy it now: SIM keeps only a fingerprint of it and cannot show it again." }
            }
            label for="key" { "API key for " (caller.id) }
            input type="text" id="key" value=(key.reveal()) readonly autocomplete="off";
            p { "The police system sends it as " code { "Authorization: Bearer <key>" } ". Any older key of this caller no longer works." }
            p { a href="/console/directory/callers" { "Back to police callers" } }
        },
    )
}

/// `POST /console/directory/callers`: a new caller for this council, its key shown once.
pub async fn add(deps: &Deps, who: &SignedIn, req: &Request<Vec<u8>>) -> Result<Response<String>, Failure> {
    let form: IssueForm = match posted::read(who, req, ConsoleRole::Admin) {
        Ok(form) => form,
        Err(refused) => return Ok(*refused),
    };
    let mut errors = Vec::new();
    let id = CallerId::parse(form.id.trim()).map_err(|e| errors.push(("id".into(), format!("Caller id {e}")))).ok();
    let name = form.name.trim();
    if name.is_empty() {
        errors.push(("name".into(), "Name is required".into()));
    } else if name.chars().count() > 100 || name.chars().any(char::is_control) {
        errors.push(("name".into(), "Name must be at most 100 characters, on one line".into()));
    }
    if let Some(id) = &id {
        if deps.store.get_caller(id).await?.is_some() {
            errors.push(("id".into(), "Caller id is already used: choose another".into()));
        }
    }
    let Some(id) = id.filter(|_| errors.is_empty()) else {
        return list(deps, who, (&form.id, &form.name), &errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let key = ApiKey::generate(&id);
    let caller = Caller {
        id,
        name: name.to_owned(),
        key_hash: KeyHash::of(&key),
        licensees: vec![who.member.licensee_id.clone()],
        may_add_subjects: false,
        key_issued_at: Some(deps.clock.now()),
        key_revoked_at: None,
    };
    deps.store.put_caller(&caller).await?;
    let licensee = Some(&who.member.licensee_id);
    crate::audit(deps, AuditKind::CallerKeyIssued, licensee, Some(&who.member.id), caller.id.as_str()).await?;
    Ok(issued(who, &caller, &key))
}

/// `POST .../key` (a new key, shown once) or `POST .../revoke`, for a caller this council alone has.
pub async fn change_key(
    deps: &Deps,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    caller: Caller,
    revoke: bool,
) -> Result<Response<String>, Failure> {
    if let Err(refused) = posted::read::<CsrfOnly>(who, req, ConsoleRole::Admin) {
        return Ok(*refused);
    }
    if !own(who, &caller) {
        return Ok(pages::problem(
            StatusCode::FORBIDDEN,
            "This caller reports to other councils too: ask SIM's operators to change its key.",
        ));
    }
    let licensee = Some(&who.member.licensee_id);
    if revoke {
        let revoked = Caller { key_revoked_at: Some(deps.clock.now()), ..caller };
        deps.store.put_caller(&revoked).await?;
        crate::audit(deps, AuditKind::CallerKeyRevoked, licensee, Some(&who.member.id), revoked.id.as_str()).await?;
        return Ok(web::redirect("/console/directory/callers"));
    }
    let key = ApiKey::generate(&caller.id);
    let renewed =
        Caller { key_hash: KeyHash::of(&key), key_issued_at: Some(deps.clock.now()), key_revoked_at: None, ..caller };
    deps.store.put_caller(&renewed).await?;
    crate::audit(deps, AuditKind::CallerKeyIssued, licensee, Some(&who.member.id), renewed.id.as_str()).await?;
    Ok(issued(who, &renewed, &key))
}
