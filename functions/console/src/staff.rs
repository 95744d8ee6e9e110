//! Admins manage their own licensee's staff: list, add (by the email their
//! identity provider verifies; pinned to their account at first sign-in),
//! remove. Another licensee's staff id is 404; a non-admin gets 403.

use crate::{pages, posted, session, Deps, Failure, SignedIn};
use http::{Request, Response, StatusCode};
use serde::Deserialize;
use sim::domain::staff::{ConsoleRole, StaffEmail, StaffId, StaffMember};
use sim::ports::sessions::AuditKind;
use sim::ports::StoreError;
use sim::web;
use std::collections::BTreeSet;

fn forbidden() -> Response<String> {
    pages::problem(StatusCode::FORBIDDEN, "Only your council's SIM administrators can manage staff.")
}

pub async fn list(deps: &Deps, who: &SignedIn, errors: &[String]) -> Result<Response<String>, Failure> {
    if !who.member.has(ConsoleRole::Admin) {
        return Ok(forbidden());
    }
    let staff = deps.staff.staff(&who.member.licensee_id).await?;
    Ok(pages::staff(who, &staff, errors))
}

#[derive(Deserialize)]
struct AddForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    role_admin: Option<String>,
    role_duty: Option<String>,
    role_viewer: Option<String>,
    role_dpo: Option<String>,
}

pub async fn add(deps: &Deps, who: &SignedIn, req: &Request<Vec<u8>>) -> Result<Response<String>, Failure> {
    let Ok(form) = web::parse_form::<AddForm>(req.body()) else {
        return Ok(posted::unreadable());
    };
    if !session::equal(&form.csrf, &who.session.csrf) {
        return Ok(posted::expired());
    }
    if !who.member.has(ConsoleRole::Admin) {
        return Ok(forbidden());
    }
    let roles: BTreeSet<ConsoleRole> = [
        (form.role_admin.is_some(), ConsoleRole::Admin),
        (form.role_duty.is_some(), ConsoleRole::Duty),
        (form.role_viewer.is_some(), ConsoleRole::Viewer),
        (form.role_dpo.is_some(), ConsoleRole::Dpo),
    ]
    .into_iter()
    .filter_map(|(on, role)| on.then_some(role))
    .collect();
    let mut errors = Vec::new();
    let email = StaffEmail::parse(&form.email).map_err(|e| errors.push(e.to_string())).ok();
    let member = email.and_then(|email| {
        StaffMember::new(
            StaffId::generate(&*deps.ids),
            who.member.licensee_id.clone(),
            &form.name,
            Some(email),
            None,
            roles,
            deps.clock.now(),
        )
        .map_err(|e| errors.push(e.to_string()))
        .ok()
    });
    let Some(member) = member else {
        return list(deps, who, &errors).await.map(unprocessable);
    };
    match deps.staff.put_staff(&member).await {
        Err(StoreError::Conflict) => {
            let errors = ["That email already belongs to a staff member.".to_owned()];
            return list(deps, who, &errors).await.map(unprocessable);
        }
        other => other?,
    }
    crate::audit(deps, AuditKind::StaffAdded, Some(&member.licensee_id), Some(&who.member.id), member.id.as_str())
        .await?;
    Ok(web::redirect("/console/staff"))
}

fn unprocessable(mut response: Response<String>) -> Response<String> {
    if response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

pub async fn remove(
    deps: &Deps,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    staff_id: &str,
) -> Result<Response<String>, Failure> {
    let Ok(id) = StaffId::parse(staff_id) else { return Ok(pages::not_found()) };
    // Another licensee's staff member is not found, whoever asks.
    if deps.staff.get_staff(&who.member.licensee_id, &id).await?.is_none() {
        return Ok(pages::not_found());
    }
    let csrf = web::parse_form::<CsrfOnly>(req.body()).map(|f| f.csrf).unwrap_or_default();
    if !session::equal(&csrf, &who.session.csrf) {
        return Ok(posted::expired());
    }
    if !who.member.has(ConsoleRole::Admin) {
        return Ok(forbidden());
    }
    if id == who.member.id {
        return Ok(pages::problem(StatusCode::CONFLICT, "You cannot remove yourself: ask another administrator."));
    }
    deps.staff.remove_staff(&who.member.licensee_id, &id).await?;
    crate::audit(deps, AuditKind::StaffRemoved, Some(&who.member.licensee_id), Some(&who.member.id), id.as_str())
        .await?;
    Ok(web::redirect("/console/staff"))
}
