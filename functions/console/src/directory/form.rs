//! The form that adds a contact or changes one. It goes through the
//! import's own row parser (the same rules for a page and a file), names each
//! wrong field in the error summary, and saves as a versioned change made
//! against the directory version the page was loaded at: a page left open
//! while a colleague changed the directory is refused, never overwriting them.

use super::contacts::groups_of;
use super::{error_summary, nav};
use crate::{pages, Deps, Failure, SignedIn};
use http::{Request, Response, StatusCode};
use sim::directory::csv::{parse_row, ContactRow};
use sim::directory::{save_contact, EditError};
use sim::domain::{Contact, Group};
use sim::ids::{ContactId, GroupId};
use sim::web::{self, html};

/// What the form shows: a contact's values as text (or what was typed).
#[derive(Default)]
struct Values {
    id: String,
    name: String,
    role: String,
    organisation: String,
    mobile: String,
    email: String,
    whatsapp: bool,
    opt_in_on: String,
    opt_in_how: String,
    deputy: String,
    /// The last day they are away, `YYYY-MM-DD` (UK date), or empty.
    away_until: String,
    groups: Vec<String>,
}

impl Values {
    fn of(c: &Contact, groups: &[Group]) -> Self {
        Values {
            id: c.id.to_string(),
            name: c.name.clone(),
            role: c.role.to_string(),
            organisation: c.organisation.clone(),
            mobile: c.mobile.as_ref().map(|m| m.as_str().to_owned()).unwrap_or_default(),
            email: c.email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default(),
            whatsapp: c.whatsapp_opt_in,
            opt_in_on: c.whatsapp_opt_in_given.as_ref().map(|g| g.on.to_string()).unwrap_or_default(),
            opt_in_how: c.whatsapp_opt_in_given.as_ref().map(|g| g.how.clone()).unwrap_or_default(),
            deputy: c.deputy.as_ref().map(|d| d.to_string()).unwrap_or_default(),
            away_until: c.away_until.map(|d| d.to_string()).unwrap_or_default(),
            groups: groups_of(groups, &c.id).iter().map(|g| g.id.to_string()).collect(),
        }
    }

    fn from_form(pairs: &[(String, String)]) -> Self {
        let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        Values {
            id: one("id"),
            name: one("name"),
            role: one("role"),
            organisation: one("organisation"),
            mobile: one("mobile"),
            email: one("email"),
            whatsapp: one("whatsapp_opt_in") == "yes",
            opt_in_on: one("whatsapp_opt_in_on"),
            opt_in_how: one("whatsapp_opt_in_how"),
            deputy: one("deputy"),
            away_until: one("away_until"),
            groups: pairs.iter().filter(|(k, _)| k == "groups").map(|(_, v)| v.clone()).collect(),
        }
    }
}

/// The label of a form field, by the column name the row parser reports.
fn label(column: &str) -> &'static str {
    match column {
        "id" => "Contact id",
        "name" => "Name",
        "role" => "Role",
        "organisation" => "Organisation",
        "mobile" => "Mobile",
        "email" => "Email",
        "whatsapp_opt_in" => "WhatsApp opt-in",
        "whatsapp_opt_in_on" => "The day they opted in to WhatsApp",
        "whatsapp_opt_in_how" => "How they opted in to WhatsApp",
        "deputy" => "Deputy",
        "away_until" => "Away until",
        "groups" => "Groups",
        _ => "The form",
    }
}

pub async fn form(deps: &Deps, who: &SignedIn, existing: Option<&Contact>) -> Result<Response<String>, Failure> {
    let licensee = &who.member.licensee_id;
    let groups = deps.store.groups(licensee).await?;
    let values = existing.map(|c| Values::of(c, &groups)).unwrap_or_default();
    let version = deps.store.directory_version(licensee).await?;
    render_form(deps, who, existing, &values, version, &[], StatusCode::OK).await
}

async fn render_form(
    deps: &Deps,
    who: &SignedIn,
    existing: Option<&Contact>,
    v: &Values,
    version: u32,
    errors: &[(String, String)],
    status: StatusCode,
) -> Result<Response<String>, Failure> {
    let licensee = &who.member.licensee_id;
    let mut contacts = deps.store.contacts(licensee).await?;
    contacts.sort_by(|a, b| a.name.cmp(&b.name));
    let groups = deps.store.groups(licensee).await?;
    let (title, action) = match existing {
        Some(c) => (format!("Change {}", c.name), format!("/console/directory/contacts/{}/edit", c.id)),
        None => ("Add a contact".to_owned(), "/console/directory/add".to_owned()),
    };
    let error_for = |field: &str| errors.iter().find(|(f, _)| f == field).map(|(_, t)| t.clone());
    let text_field = |field: &'static str, value: &str, hint: &str, autocomplete: &str| {
        let error = error_for(field);
        let described = match (&error, hint.is_empty()) {
            (Some(_), _) => format!("{field}-error"),
            (None, false) => format!("{field}-hint"),
            (None, true) => String::new(),
        };
        html! {
            label for=(field) { (label(field)) }
            @if !hint.is_empty() { p class="meta" id={ (field) "-hint" } { (hint) } }
            @if let Some(e) = &error { p class="error" id={ (field) "-error" } { "Error: " (e) } }
            input type="text" id=(field) name=(field) value=(value) autocomplete=(autocomplete)
                aria-describedby=[(!described.is_empty()).then_some(described.as_str())]
                aria-invalid=[error.as_ref().map(|_| "true")];
        }
    };
    let page_title = if errors.is_empty() { title.clone() } else { format!("Error: {title}") };
    Ok(pages::page(
        status,
        &page_title,
        html! {
            (nav(who, ""))
            (error_summary(errors))
            h1 { (title) }
            form method="post" action=(action) novalidate {
                input type="hidden" name="csrf" value=(who.session.csrf);
                input type="hidden" name="version" value=(version);
                @if existing.is_none() {
                    (text_field("id", &v.id, "A short id that stays the same, e.g. con-jo-smith: lower-case letters, digits and hyphens.", "off"))
                }
                (text_field("name", &v.name, "", "off"))
                (text_field("role", &v.role, "Their role in the response, e.g. gold, community-safety-lead, comms.", "off"))
                (text_field("organisation", &v.organisation, "", "off"))
                (text_field("mobile", &v.mobile, "In international format, e.g. +447700900123. Used for SMS and WhatsApp.", "off"))
                (text_field("email", &v.email, "", "off"))
                fieldset {
                    legend { "WhatsApp" }
                    @if let Some(e) = error_for("whatsapp_opt_in") { p class="error" id="whatsapp_opt_in-error" { "Error: " (e) } }
                    div class="choice" {
                        input type="checkbox" id="whatsapp_opt_in" name="whatsapp_opt_in" value="yes" checked[v.whatsapp];
                        " " label for="whatsapp_opt_in" { "They have opted in to alerts on WhatsApp" }
                    }
                    @let on_error = error_for("whatsapp_opt_in_on");
                    label for="whatsapp_opt_in_on" { "The day they opted in" }
                    @if let Some(e) = &on_error { p class="error" id="whatsapp_opt_in_on-error" { "Error: " (e) } }
                    input type="date" id="whatsapp_opt_in_on" name="whatsapp_opt_in_on" value=(v.opt_in_on)
                        aria-describedby=[on_error.as_ref().map(|_| "whatsapp_opt_in_on-error")]
                        aria-invalid=[on_error.as_ref().map(|_| "true")];
                    (text_field("whatsapp_opt_in_how", &v.opt_in_how, "For example: signed consent form, email to the emergency planning team.", "off"))
                }
                label for="deputy" { "Deputy" }
                p class="meta" id="deputy-hint" { "Alerted when this person has not acknowledged in time." }
                @if let Some(e) = error_for("deputy") { p class="error" id="deputy-error" { "Error: " (e) } }
                select id="deputy" name="deputy" aria-describedby="deputy-hint" {
                    option value="" { "No deputy" }
                    @for c in contacts.iter().filter(|c| existing.is_none_or(|e| e.id != c.id)) {
                        option value=(c.id) selected[v.deputy == c.id.as_str()] { (c.name) " (" (c.role) ")" }
                    }
                }
                @let away_error = error_for("away_until");
                label for="away_until" { "Away until (their last day away)" }
                p class="meta" id="away_until-hint" {
                    "Until the end of this day SIM alerts their deputy in their place at once. Leave empty when they are not away."
                }
                @if let Some(e) = &away_error { p class="error" id="away_until-error" { "Error: " (e) } }
                input type="date" id="away_until" name="away_until" value=(v.away_until)
                    aria-describedby=(if away_error.is_some() { "away_until-hint away_until-error" } else { "away_until-hint" })
                    aria-invalid=[away_error.as_ref().map(|_| "true")];
                fieldset id="groups" {
                    legend { "Groups" }
                    @if let Some(e) = error_for("groups") { p class="error" id="groups-error" { "Error: " (e) } }
                    @if groups.is_empty() { p { "Your directory has no groups yet: an import creates them." } }
                    @for g in &groups {
                        div class="choice" {
                            input type="checkbox" id={ "group-" (g.id) } name="groups" value=(g.id) checked[v.groups.iter().any(|x| x == g.id.as_str())];
                            " " label for={ "group-" (g.id) } { (g.name) }
                        }
                    }
                }
                button type="submit" { "Save" }
            }
        },
    ))
}

pub(super) fn stale(who: &SignedIn, again: &str) -> Response<String> {
    pages::page(
        StatusCode::CONFLICT,
        "Error: the directory has changed",
        html! {
            (nav(who, ""))
            (error_summary(&[(String::new(), "Someone else changed the directory since you opened this page, so your change was not saved: it would have overwritten theirs.".to_owned())]))
            h1 { "The directory has changed" }
            p { a href=(again) { "Reload the page" } " to see the directory as it is now, then make your change again." }
        },
    )
}

// The row is built with `..Default::default()` so columns the form does not
// show (the file gains them over time) stay empty rather than break the build.
#[allow(clippy::needless_update)]
pub async fn save(
    deps: &Deps,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    existing: Option<&Contact>,
) -> Result<Response<String>, Failure> {
    let form = match super::posted(who, req) {
        Ok(form) => form,
        Err(refused) => return Ok(*refused),
    };
    let one = |name: &str| form.one(name);
    let pairs = &form.0;
    let Ok(version) = one("version").parse::<u32>() else { return Ok(crate::posted::unreadable()) };
    let licensee = &who.member.licensee_id;
    let mut values = Values::from_form(pairs);
    if let Some(c) = existing {
        values.id = c.id.to_string();
    }
    let row = ContactRow {
        id: values.id.clone(),
        name: values.name.clone(),
        role: values.role.clone(),
        organisation: values.organisation.clone(),
        mobile: values.mobile.clone(),
        email: values.email.clone(),
        whatsapp_opt_in: if values.whatsapp { "yes" } else { "no" }.into(),
        whatsapp_opt_in_on: values.opt_in_on.clone(),
        whatsapp_opt_in_how: values.opt_in_how.clone(),
        deputy: values.deputy.clone(),
        away_until: values.away_until.clone(),
        groups: values.groups.join(";"),
        ..ContactRow::default()
    };
    let known = deps.store.groups(licensee).await?;
    let mut errors: Vec<(String, String)> = Vec::new();
    let parsed = parse_row(&row, licensee)
        .map_err(|e| errors.extend(e.into_iter().map(|(col, why)| (col.clone(), format!("{} {why}", label(&col))))))
        .ok();
    if existing.is_none() {
        if let Ok(id) = ContactId::parse(values.id.trim()) {
            if deps.store.get_contact(licensee, &id).await?.is_some() {
                errors.push(("id".into(), "Contact id is already used by another contact: choose another".into()));
            }
        }
    }
    let groups: Vec<GroupId> = parsed.as_ref().map(|p| p.groups.clone()).unwrap_or_default();
    if groups.iter().any(|g| known.iter().all(|k| &k.id != g)) {
        errors.push(("groups".into(), "Groups must be groups your directory has".into()));
    }
    let again = match existing {
        Some(c) => format!("/console/directory/contacts/{}/edit", c.id),
        None => "/console/directory/add".to_owned(),
    };
    let Some(parsed) = parsed.filter(|_| errors.is_empty()).map(|p| p.contact) else {
        return render_form(deps, who, existing, &values, version, &errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    // What the form shows replaces what was there; anything else the contact
    // has (a field this form does not show) is kept as it is.
    let contact = match existing {
        None => parsed,
        Some(before) => Contact {
            name: parsed.name,
            role: parsed.role,
            organisation: parsed.organisation,
            mobile: parsed.mobile,
            email: parsed.email,
            whatsapp_opt_in: parsed.whatsapp_opt_in,
            whatsapp_opt_in_given: parsed.whatsapp_opt_in_given,
            deputy: parsed.deputy,
            away_until: parsed.away_until,
            ..before.clone()
        },
    };
    let id = contact.id.clone();
    match save_contact(&*deps.store, version, contact, &groups, who.member.id.as_str(), &*deps.clock).await {
        Ok(_) => Ok(web::redirect(&format!("/console/directory/contacts/{id}"))),
        Err(EditError::Stale) => Ok(stale(who, &again)),
        Err(EditError::NoSuchDeputy) => {
            let errors = [("deputy".to_owned(), "Deputy must be another contact in the directory".to_owned())];
            render_form(deps, who, existing, &values, version, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(EditError::NoSuchContact) => Ok(pages::not_found()),
        Err(EditError::Store(e)) => Err(e.into()),
    }
}
