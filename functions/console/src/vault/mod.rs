//! The personal-data vault in the console (see `docs/vault.md`). Every page
//! checks the incident and record against the session's licensee (another
//! licensee's id is 404), every form carries the CSRF token, and every
//! value is shown only in the body of a `no-store` page answering a POST:
//! never in a URL, a log line, an error text or the timeline.
//!
//! - `/console/incidents/{incident}/subjects`: the incident's records by role,
//!   without values; staff whose role the agreement lists add one here.
//! - `/console/incidents/{incident}/subjects/{subject}`: GET asks for the lawful
//!   condition and a reason (an emergency reason for staff outside the
//!   agreement: break-glass, the DPO is emailed at once); POST shows the record
//!   after the vault has logged the view, with "appears in N other incidents"
//!   for listed roles (a logged search).
//! - `/console/incidents/{incident}/subjects/{subject}/erase`: the DPO erases one subject.
//! - `/console/vault/log` (and `log.csv`), `/console/vault/search`: the DPO's
//!   access log, its export, and the subject access search (blind index).

mod pages;

use crate::{incidents, session, Deps, Failure, Route, SignedIn};
use http::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use sim::domain::staff::ConsoleRole;
use sim::domain::subject::{SubjectRecord, SubjectSource};
use sim::domain::Incident;
use sim::ids::SubjectId;
use sim::ports::store::SealedSubject;
use sim::vault::{Agreement, Purpose, Reader, Vault, VaultError};
use sim::web;
use std::collections::BTreeSet;

/// The vault routes' dispatch: `route` is one of the `Vault*` routes.
pub async fn dispatch(
    deps: &Deps,
    who: &SignedIn,
    route: Route,
    req: &Request<Vec<u8>>,
    incident: &str,
    subject: &str,
) -> Result<Response<String>, Failure> {
    let Some(vault) = deps.vault.as_deref() else {
        return Ok(crate::pages::problem(
            StatusCode::NOT_FOUND,
            "The personal-data vault is not set up for this council.",
        ));
    };
    let post = req.method() == Method::POST;
    let agreement = vault.agreement(&who.member.licensee_id).await.map_err(vault_failure)?;
    let agreement = &agreement;
    match route {
        Route::VaultLog | Route::VaultLogCsv | Route::VaultSearch if !who.member.has(ConsoleRole::Dpo) => {
            Ok(pages::forbidden("Only your council's data protection officer can see this."))
        }
        Route::VaultLog => {
            Ok(pages::log(who, &vault.access_log(&who.member.licensee_id).await.map_err(vault_failure)?))
        }
        Route::VaultLogCsv => {
            Ok(pages::log_csv(&vault.access_log(&who.member.licensee_id).await.map_err(vault_failure)?))
        }
        Route::VaultSearch if post => search(vault, agreement, who, req).await,
        Route::VaultSearch => Ok(pages::search(who, agreement, &SearchForm::default(), &[], None)),
        _ => {
            let Some(incident) = incidents::own_incident(deps, who, incident).await? else {
                return Ok(crate::pages::not_found());
            };
            match route {
                Route::VaultSubjects if post => add(deps, vault, agreement, who, req, &incident).await,
                Route::VaultSubjects => list(vault, agreement, who, req, &incident).await,
                _ => {
                    let Some(sealed) = own_subject(vault, &incident, subject).await? else {
                        return Ok(crate::pages::not_found());
                    };
                    match route {
                        Route::VaultErase => erase(vault, agreement, who, req, &incident, &sealed).await,
                        _ if post => show(vault, agreement, who, req, &incident, &sealed).await,
                        _ => Ok(pages::ask(who, agreement, &incident, &sealed, &ViewForm::default(), None)),
                    }
                }
            }
        }
    }
}

fn vault_failure(e: VaultError) -> Failure {
    match e {
        VaultError::Store(e) => Failure::Store(e),
        other => Failure::Vault(other),
    }
}

/// The record named in a path, if it belongs to this incident (and so to the
/// session's licensee); None is a 404.
async fn own_subject(vault: &Vault, incident: &Incident, id: &str) -> Result<Option<SealedSubject>, Failure> {
    let Ok(id) = SubjectId::parse(id) else { return Ok(None) };
    let found = vault.store.subject(&incident.id, &id).await?;
    Ok(found.filter(|s| s.licensee_id == incident.licensee_id))
}

/// Whether any of the member's roles is one the data-sharing agreement lists.
pub fn listed(agreement: &Agreement, who: &SignedIn) -> bool {
    who.member.roles.iter().any(|r| agreement.roles().contains(r))
}

/// Who is reading, for the access log: the listed role they read in (else
/// all their roles), and the address the request came from.
fn reader(agreement: &Agreement, who: &SignedIn, req: &Request<Vec<u8>>) -> Reader {
    let role = who
        .member
        .roles
        .iter()
        .find(|r| agreement.roles().contains(r))
        .map(|r| r.as_str().to_owned())
        .unwrap_or_else(|| who.member.roles_text());
    // Lambda function URLs and API Gateway put the caller's address first.
    let address = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    Reader { id: who.member.id.to_string(), role, address }
}

fn stale() -> Response<String> {
    crate::posted::expired()
}

async fn list(
    vault: &Vault,
    agreement: &Agreement,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    incident: &Incident,
) -> Result<Response<String>, Failure> {
    let done = req.uri().query().unwrap_or_default();
    // The date as it stands now (from the closing), moved into the store if it changed.
    sim::vault::settle_retention(&*vault.store, &incident.id, &vault.agreement).await?;
    let subjects = vault.store.subjects(&incident.id).await?;
    Ok(pages::list(who, agreement, incident, &subjects, done, &AddForm::default(), &[], StatusCode::OK))
}

/// The add form's fields, kept to show them again beside any problem.
#[derive(Debug, Default)]
pub struct AddForm {
    pub role: String,
    pub name: String,
    pub date_of_birth: String,
    pub address: String,
    pub postcode: String,
    pub school: String,
    pub flags: BTreeSet<String>,
    pub note: String,
}

impl AddForm {
    fn read(pairs: &[(String, String)]) -> (Self, String) {
        let mut form = AddForm::default();
        let mut csrf = String::new();
        for (key, value) in pairs {
            match key.as_str() {
                "csrf" => csrf = value.clone(),
                "role" => form.role = value.clone(),
                "name" => form.name = value.clone(),
                "date_of_birth" => form.date_of_birth = value.clone(),
                "address" => form.address = value.clone(),
                "postcode" => form.postcode = value.clone(),
                "school" => form.school = value.clone(),
                "safeguarding_flags" => {
                    form.flags.insert(value.clone());
                }
                "note" => form.note = value.clone(),
                _ => {}
            }
        }
        (form, csrf)
    }

    /// The record as the police API would send it, so the console's checks
    /// are exactly intake's (blank fields left out).
    fn json(&self) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        for (key, value) in [
            ("role", &self.role),
            ("name", &self.name),
            ("date_of_birth", &self.date_of_birth),
            ("address", &self.address),
            ("postcode", &self.postcode),
            ("school", &self.school),
            ("note", &self.note),
        ] {
            if !value.trim().is_empty() || key == "name" || key == "role" {
                object.insert(key.into(), value.clone().into());
            }
        }
        if !self.flags.is_empty() {
            object.insert("safeguarding_flags".into(), self.flags.iter().cloned().collect::<Vec<_>>().into());
        }
        object.into()
    }
}

async fn add(
    deps: &Deps,
    vault: &Vault,
    agreement: &Agreement,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    incident: &Incident,
) -> Result<Response<String>, Failure> {
    let Ok(pairs) = web::parse_form::<Vec<(String, String)>>(req.body()) else {
        return Ok(crate::posted::unreadable());
    };
    let (form, csrf) = AddForm::read(&pairs);
    if !session::equal(&csrf, &who.session.csrf) {
        return Ok(stale());
    }
    if !listed(agreement, who) {
        return Ok(pages::forbidden("Only staff your data-sharing agreement names can add personal data."));
    }
    let today = deps.clock.now().date();
    let source = SubjectSource::Council { staff_id: who.member.id.to_string() };
    let record = match SubjectRecord::from_json(&form.json(), today, source) {
        Ok(r) => r,
        Err(errors) => {
            let errors: Vec<String> = errors.iter().map(|e| pages::field_error(&e.field, &e.message)).collect();
            let subjects = vault.store.subjects(&incident.id).await?;
            return Ok(pages::list(who, agreement, incident, &subjects, "", &form, &errors, StatusCode::BAD_REQUEST));
        }
    };
    match vault.add(&incident.licensee_id, &incident.id, &record, &reader(agreement, who, req)).await {
        Ok(subject) => {
            tracing::info!(incident_id = %incident.id, subject_id = %subject, staff = %who.member.id, "subject record added in the console");
            Ok(web::redirect(&format!("/console/incidents/{}/subjects?added", incident.id)))
        }
        Err(VaultError::Expired) => Ok(pages::expired()),
        Err(e) => Err(vault_failure(e)),
    }
}

/// The view form: the lawful condition, the reason, and for staff outside
/// the agreement the emergency box.
#[derive(Debug, Default, Deserialize)]
pub struct ViewForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub lawful_basis: String,
    #[serde(default)]
    pub reason: String,
    pub emergency: Option<String>,
}

impl ViewForm {
    fn purpose(&self) -> Purpose {
        Purpose {
            lawful_basis: self.lawful_basis.clone(),
            reason: self.reason.clone(),
            emergency: self.emergency.is_some(),
        }
    }
}

async fn show(
    vault: &Vault,
    agreement: &Agreement,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    incident: &Incident,
    sealed: &SealedSubject,
) -> Result<Response<String>, Failure> {
    let form: ViewForm = web::parse_form(req.body()).unwrap_or_default();
    if !session::equal(&form.csrf, &who.session.csrf) {
        return Ok(stale());
    }
    let reader = reader(agreement, who, req);
    let purpose = form.purpose();
    let shown = match vault.read(&incident.licensee_id, &incident.id, &sealed.subject_id, &reader, &purpose).await {
        Ok(shown) => shown,
        Err(VaultError::Refused(why)) => return Ok(pages::ask(who, agreement, incident, sealed, &form, Some(why))),
        Err(VaultError::NotFound) => return Ok(crate::pages::not_found()),
        Err(VaultError::Expired) => return Ok(pages::expired()),
        Err(VaultError::Unopenable) => {
            tracing::error!(incident_id = %incident.id, subject_id = %sealed.subject_id, "a subject record did not open under its own binding");
            return Ok(crate::pages::problem(
                StatusCode::CONFLICT,
                "This record cannot be opened. It has been reported.",
            ));
        }
        Err(e) => return Err(vault_failure(e)),
    };
    tracing::info!(incident_id = %incident.id, subject_id = %sealed.subject_id, staff = %who.member.id, access_id = %shown.entry, break_glass = shown.break_glass, "subject record viewed");
    // The repeat-victim flag: listed roles only, and itself a logged search.
    let elsewhere = if shown.break_glass {
        None
    } else {
        let found = vault
            .search(
                &incident.licensee_id,
                shown.record.name.as_str(),
                shown.record.date_of_birth,
                &reader,
                &Purpose { reason: format!("repeat check while viewing: {}", purpose.reason.trim()), ..purpose },
            )
            .await
            .map_err(vault_failure)?;
        let others: BTreeSet<_> = found.iter().map(|r| &r.incident_id).filter(|i| **i != incident.id).collect();
        Some(others.len())
    };
    Ok(pages::record(who, incident, sealed, &shown, elsewhere))
}

#[derive(Deserialize)]
struct EraseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn erase(
    vault: &Vault,
    agreement: &Agreement,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    incident: &Incident,
    sealed: &SealedSubject,
) -> Result<Response<String>, Failure> {
    if req.method() != Method::POST {
        return Ok(crate::pages::problem(StatusCode::METHOD_NOT_ALLOWED, "That cannot be done here."));
    }
    let form: Option<EraseForm> = web::parse_form(req.body()).ok();
    let Some(form) = form.filter(|f| session::equal(&f.csrf, &who.session.csrf)) else {
        return Ok(stale());
    };
    if !who.member.has(ConsoleRole::Dpo) {
        return Ok(pages::forbidden("Only your council's data protection officer can erase personal data."));
    }
    if form.reason.trim().is_empty() {
        return Ok(pages::ask_erase_reason(who, incident, sealed));
    }
    vault
        .erase(&incident.licensee_id, &incident.id, &sealed.subject_id, &reader(agreement, who, req), &form.reason)
        .await
        .map_err(vault_failure)?;
    tracing::info!(incident_id = %incident.id, subject_id = %sealed.subject_id, staff = %who.member.id, "subject record erased");
    Ok(web::redirect(&format!("/console/incidents/{}/subjects?erased", incident.id)))
}

/// The subject access search form.
#[derive(Debug, Default, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub date_of_birth: String,
    #[serde(default)]
    pub lawful_basis: String,
    #[serde(default)]
    pub reason: String,
}

async fn search(
    vault: &Vault,
    agreement: &Agreement,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
) -> Result<Response<String>, Failure> {
    let form: SearchForm = web::parse_form(req.body()).unwrap_or_default();
    if !session::equal(&form.csrf, &who.session.csrf) {
        return Ok(stale());
    }
    let mut errors = Vec::new();
    if form.name.trim().is_empty() {
        errors.push("Enter the person's name".to_owned());
    }
    let dob = match form.date_of_birth.trim() {
        "" => None,
        text => match time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")) {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push("Date of birth must be a date, e.g. 2009-04-17".to_owned());
                None
            }
        },
    };
    if !errors.is_empty() {
        return Ok(pages::search(who, agreement, &form, &errors, None));
    }
    let purpose = Purpose { lawful_basis: form.lawful_basis.clone(), reason: form.reason.clone(), emergency: false };
    match vault.search(&who.member.licensee_id, &form.name, dob, &reader(agreement, who, req), &purpose).await {
        Ok(found) => Ok(pages::search(who, agreement, &form, &[], Some(&found))),
        Err(VaultError::Refused(why)) => Ok(pages::search(who, agreement, &form, &[why.to_owned()], None)),
        Err(e) => Err(vault_failure(e)),
    }
}
