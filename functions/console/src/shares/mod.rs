//! Cross-borough shares in the console (issue 19).
//!
//! - `GET /console/incidents/{incident}/shares`: the owner's share section
//!   (partners, states, history) with Confirm and Withdraw for duty staff;
//!   `POST` with `partner` and `action` moves a share.
//! - `GET /console/shared`: the incidents other licensees share with this one,
//!   each marked "Shared", with Accept and Refuse where confirmed.
//! - `GET /console/shared/{incident}`: what a partner may read of the shared
//!   incident (summary, category, checklist progress), read only and only
//!   while accepted; `POST` with `action` accepts or refuses. The owner is sent
//!   to its own incident page; anyone else gets 404.
//!
//! Every form carries the session's CSRF token; only duty staff move shares.

use crate::incidents::{label, own_incident};
use crate::pages::{self, LAYOUT};
use crate::posted::{self, CsrfForm};
use crate::{Deps, Failure, SignedIn};
use http::{Request, Response, StatusCode};
use serde::Deserialize;
use sim::domain::choice::Choice;
use sim::domain::share::{Share, ShareAction, ShareActor, ShareState};
use sim::domain::staff::ConsoleRole;
use sim::ids::{IncidentId, LicenseeId};
use sim::shares::{self, Ctx, ShareFailure};
use sim::web::{self, document, html, html_response, Markup};
use time::OffsetDateTime;

fn when(at: OffsetDateTime) -> String {
    at.format(time::macros::format_description!("[day] [month repr:short] [year] [hour]:[minute] UTC"))
        .unwrap_or_default()
}

fn page(who: &SignedIn, title: &str, main: Markup) -> Response<String> {
    let main = html! {
        div class="meta" {
            "Signed in as " strong { (who.member.name) } ". "
            a href="/console" { "Live board" } " · " (shared_with_us_link(who))
        }
        (main)
    };
    html_response(&LAYOUT, StatusCode::OK, document(&LAYOUT, title, main))
}

/// The header's "Shared with us" link, with the number of offers awaiting
/// this licensee's acceptance when there are any.
pub(crate) fn shared_with_us_link(who: &SignedIn) -> Markup {
    html! {
        a href="/console/shared" {
            "Shared with us"
            @if let Some(n) = who.offers_awaiting.filter(|n| *n > 0) {
                " (" (n) span class="visually-hidden" { " offers awaiting" } ")"
            }
        }
    }
}

/// On the owner's incident view, under its checklist: each accepted
/// partner's own section, headed with the partner's name and progress, read
/// only (the partner works it from its own console and links).
pub(crate) fn partner_sections(sections: &[shares::PartnerSection]) -> Markup {
    html! {
        @for p in sections {
            h3 { (p.name) ": its own section (" (p.closed()) " of " (p.items.len()) " done, read only)" }
            table {
                thead { tr { th scope="col" { "Item" } th scope="col" { "Status" } } }
                tbody { @for item in &p.items { tr { td { (item.text) } td { (label(&item.status)) } } } }
            }
        }
    }
}

fn state_tag(state: ShareState) -> Markup {
    let class = match state {
        ShareState::Accepted => "tag",
        _ => "tag grey",
    };
    html! { strong class=(class) { (state.as_str()) } }
}

fn history(share: &Share) -> Markup {
    html! {
        ol class="items" {
            @for step in &share.history {
                li { span class="meta" { (when(step.at)) } " " (step.state.as_str()) " by " (step.actor) }
            }
        }
    }
}

fn action_form(action_url: &str, csrf: &str, partner: Option<&LicenseeId>, action: ShareAction, text: &str) -> Markup {
    html! {
        form method="post" action=(action_url) {
            input type="hidden" name="csrf" value=(csrf);
            @if let Some(p) = partner { input type="hidden" name="partner" value=(p); }
            input type="hidden" name="action" value=(action.as_str());
            button type="submit" class=(if action == ShareAction::Confirm || action == ShareAction::Accept { "" } else { "secondary" }) { (text) }
        }
    }
}

#[derive(Deserialize)]
struct Move {
    csrf: String,
    #[serde(default)]
    partner: Option<String>,
    action: String,
    /// `action=add-area`: the connected area named.
    #[serde(default)]
    area: Option<String>,
}

impl CsrfForm for Move {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn act(
    deps: &Deps,
    who: &SignedIn,
    incident: &IncidentId,
    partner: &LicenseeId,
    action: ShareAction,
) -> Result<Result<Share, Response<String>>, Failure> {
    let ctx = Ctx { store: &*deps.store, clock: &*deps.clock, ids: &*deps.ids };
    let actor = ShareActor::Staff(who.member.id.to_string());
    match shares::act(ctx, &who.member.licensee_id, incident, partner, action, actor).await {
        Ok(share) => Ok(Ok(share)),
        Err(ShareFailure::NotFound) => Ok(Err(pages::not_found())),
        Err(ShareFailure::NotAllowed(e)) => {
            Ok(Err(pages::problem(StatusCode::CONFLICT, &format!("That cannot be done: {e}."))))
        }
        Err(ShareFailure::Store(sim::ports::StoreError::Conflict)) => Ok(Err(pages::problem(
            StatusCode::CONFLICT,
            "Someone else changed this share first. Go back, reload the page and try again.",
        ))),
        Err(ShareFailure::Store(e)) => Err(e.into()),
    }
}

/// `GET /console/incidents/{incident}/shares`: the owner's share section.
pub async fn owner_section(deps: &Deps, who: &SignedIn, incident_id: &str) -> Result<Response<String>, Failure> {
    let Some(incident) = own_incident(deps, who, incident_id).await? else { return Ok(pages::not_found()) };
    section(deps, who, &incident, None).await
}

/// The share section; with `refused` (the message and what was entered), the
/// connected area form was refused: 422 with an error summary.
async fn section(
    deps: &Deps,
    who: &SignedIn,
    incident: &sim::domain::Incident,
    refused: Option<(&str, &str)>,
) -> Result<Response<String>, Failure> {
    let list = deps.store.shares_of_incident(&incident.id).await?;
    let mut progress = Vec::new();
    for share in &list {
        if let Some(sections) = shares::partner_progress(&*deps.store, share).await? {
            progress.push((share.partner.clone(), sections));
        }
    }
    let url = format!("/console/incidents/{}/shares", incident.id);
    let duty = who.member.has(ConsoleRole::Duty);
    let main = html! {
        @if let Some((message, _)) = refused {
            div class="error-summary" role="alert" tabindex="-1" {
                h2 { "There is a problem" }
                ul { li { a href="#area" { (message) } } }
            }
        }
        p { a href={ "/console/incidents/" (incident.id) } { "Back to the incident" } }
        h1 { "Sharing: " (incident.report.police_reference.as_str()) }
        @if incident.report.connected_areas.is_empty() {
            p { "Police named no connected areas: the incident is not shared." }
        } @else {
            p { "Connected areas: " (incident.report.connected_areas.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")) "." }
        }
        @if list.is_empty() {
            p { "No other licensee covers a connected area: nothing is offered." }
        } @else {
            table {
                caption class="meta" { "Licensees offered this incident" }
                thead { tr { th scope="col" { "Licensee" } th scope="col" { "Area" } th scope="col" { "State" } th scope="col" { "History" } th scope="col" { "Action" } } }
                tbody { @for share in &list { tr {
                    td { (share.partner) }
                    td { (share.area.as_str()) }
                    td { (state_tag(share.state)) }
                    td { (history(share)) }
                    td {
                        @if duty && share.state == ShareState::Offered {
                            (action_form(&url, &who.session.csrf, Some(&share.partner), ShareAction::Confirm, &format!("Confirm sharing with {}", share.partner)))
                        }
                        @if duty && matches!(share.state, ShareState::Offered | ShareState::Confirmed | ShareState::Accepted) {
                            (action_form(&url, &who.session.csrf, Some(&share.partner), ShareAction::Withdraw, &format!("Withdraw from {}", share.partner)))
                        }
                    }
                } } }
            }
        }
        @if duty {
            form method="post" action=(url) {
                input type="hidden" name="csrf" value=(who.session.csrf);
                input type="hidden" name="action" value=(ADD_AREA);
                label for="area" { "Add a connected area" }
                div class="hint" id="area-hint" { "A borough or council area name only, never why." }
                @if let Some((message, _)) = refused { p class="error-message" id="area-error" { "Error: " (message) } }
                input type="text" id="area" name="area" autocomplete="off"
                    aria-describedby=(if refused.is_some() { "area-hint area-error" } else { "area-hint" })
                    value=(refused.map(|(_, entered)| entered).unwrap_or_default());
                button type="submit" class="secondary" { "Add the area" }
            }
        }
        @for (partner, sections) in &progress {
            h2 { "Checklist progress at " (partner) " (read only)" }
            @if sections.is_empty() { p { "No checklist yet." } } @else {
                table {
                    caption class="meta" { "Their own checklist for this incident" }
                    thead { tr { th scope="col" { "Section" } th scope="col" { "Done" } } }
                    tbody { @for (_, section) in sections { tr { td { (section.title) } td { (section.closed) " of " (section.total) } } } }
                }
            }
        }
    };
    let mut answer = page(who, if refused.is_some() { "Error: sharing" } else { "Sharing" }, main);
    if refused.is_some() {
        *answer.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(answer)
}

/// `POST /console/incidents/{incident}/shares`: the owner confirms or withdraws.
pub async fn owner_move(
    deps: &Deps,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    incident_id: &str,
) -> Result<Response<String>, Failure> {
    let Some(incident) = own_incident(deps, who, incident_id).await? else { return Ok(pages::not_found()) };
    let form: Move = match posted::read(who, req, ConsoleRole::Duty) {
        Ok(form) => form,
        Err(refused) => return Ok(*refused),
    };
    if form.action == ADD_AREA {
        return add_area(deps, who, &incident, form.area.as_deref().unwrap_or_default()).await;
    }
    let (Some(partner), Some(action)) =
        (form.partner.as_deref().and_then(|p| LicenseeId::parse(p).ok()), ShareAction::parse(&form.action))
    else {
        return Ok(posted::unreadable());
    };
    Ok(match act(deps, who, &incident.id, &partner, action).await? {
        Ok(_) => web::redirect(&format!("/console/incidents/{}/shares", incident.id)),
        Err(answer) => answer,
    })
}

const ADD_AREA: &str = "add-area";

/// Duty staff name another connected area (issue 19): parsed as police
/// naming is, on the timeline with who did it, and a share offered as for
/// police naming. A refused name answers 422 and changes nothing.
async fn add_area(
    deps: &Deps,
    who: &SignedIn,
    incident: &sim::domain::Incident,
    text: &str,
) -> Result<Response<String>, Failure> {
    let Ok(area) = sim::domain::AreaName::parse(text.trim()) else {
        return section(deps, who, incident, Some(("Enter a borough or council area name, like Southwark", text)))
            .await;
    };
    let ctx = Ctx { store: &*deps.store, clock: &*deps.clock, ids: &*deps.ids };
    match shares::add_connected_area(ctx, incident, area, who.member.id.clone().into()).await {
        Ok(_) => Ok(web::redirect(&format!("/console/incidents/{}/shares", incident.id))),
        Err(shares::AddAreaFailure::Store(sim::ports::StoreError::Conflict)) => Ok(pages::problem(
            StatusCode::CONFLICT,
            "Someone else changed this incident first. Go back, reload the page and try again.",
        )),
        Err(shares::AddAreaFailure::Store(e)) => Err(e.into()),
        Err(e) => {
            let said = e.to_string();
            let mut first = said.chars();
            let message: String = first.next().map(|c| c.to_uppercase().chain(first).collect()).unwrap_or_default();
            section(deps, who, incident, Some((&message, text))).await
        }
    }
}

/// `GET /console/shared`: incidents other licensees share with this one.
pub async fn partner_list(deps: &Deps, who: &SignedIn) -> Result<Response<String>, Failure> {
    let mut list = deps.store.shares_with_partner(&who.member.licensee_id).await?;
    // Until the owner confirms, the partner does not know of an offer.
    list.retain(|s| s.state != ShareState::Offered);
    list.sort_by_key(|s| std::cmp::Reverse(s.history.last().map(|h| h.at)));
    let main = html! {
        h1 { "Incidents shared with us" }
        @if list.is_empty() {
            p { "No other licensee has shared an incident with you." }
        } @else {
            table {
                caption class="meta" { (list.len()) " shared incidents" }
                thead { tr { th scope="col" { "Incident" } th scope="col" { "From" } th scope="col" { "Our area" } th scope="col" { "State" } } }
                tbody { @for share in &list { tr {
                    td { strong class="tag" { "Shared" } " " a href={ "/console/shared/" (share.incident_id) } { (share.incident_id) } }
                    td { (share.owner) }
                    td { (share.area.as_str()) }
                    td { (state_tag(share.state)) }
                } } }
            }
        }
    };
    Ok(page(who, "Shared with us", main))
}

/// `GET /console/shared/{incident}`: the offer, or (accepted) the shared incident read only.
pub async fn partner_view(deps: &Deps, who: &SignedIn, incident_id: &str) -> Result<Response<String>, Failure> {
    let Ok(id) = IncidentId::parse(incident_id) else { return Ok(pages::not_found()) };
    if own_incident(deps, who, incident_id).await?.is_some() {
        return Ok(web::redirect(&format!("/console/incidents/{id}")));
    }
    let me = &who.member.licensee_id;
    let Some(share) = deps.store.get_share(&id, me).await?.filter(|s| s.state != ShareState::Offered) else {
        return Ok(pages::not_found());
    };
    let url = format!("/console/shared/{id}");
    let duty = who.member.has(ConsoleRole::Duty);
    let view = shares::partner_view(&*deps.store, me, &id).await?;
    let main = html! {
        h1 { strong class="tag" { "Shared" } " Incident shared by " (share.owner) }
        p { "Shared because it touches " (share.area.as_str()) ". " (state_tag(share.state)) }
        @if share.state == ShareState::Confirmed && duty {
            (action_form(&url, &who.session.csrf, None, ShareAction::Accept, "Accept and alert our people"))
            (action_form(&url, &who.session.csrf, None, ShareAction::Refuse, "Refuse"))
        }
        @if let Some(v) = &view {
            p { a href={ "/console/incidents/" (v.linked_incident) } { "Our own response: alerts and our checklist" } }
            h2 { "Summary (read only)" }
            dl {
                dt { "Police reference" } dd { (v.report.police_reference.as_str()) }
                dt { "Where" } dd { (v.report.location.borough.as_str()) @if let Some(w) = &v.report.location.ward { ", " (w.as_str()) } }
                dt { "When" } dd { (when(v.report.occurred_at)) }
                dt { "What" } dd { (label(&v.report.incident_type)) ", " (label(&v.report.weapon)) }
                dt { "Category" } dd { @match v.category { Some(c) => (c.label()), None => "not yet categorised" } }
            }
            h2 { "Their checklist progress" }
            @if v.checklist.is_empty() { p { "No checklist yet." } } @else {
                table {
                    thead { tr { th scope="col" { "Section" } th scope="col" { "Done" } } }
                    tbody { @for (_, section) in &v.checklist { tr { td { (section.title) } td { (section.closed) " of " (section.total) } } } }
                }
            }
        }
        h2 { "History" }
        (history(&share))
    };
    Ok(page(who, "Shared incident", main))
}

/// `POST /console/shared/{incident}`: the partner accepts or refuses.
pub async fn partner_move(
    deps: &Deps,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    incident_id: &str,
) -> Result<Response<String>, Failure> {
    let Ok(id) = IncidentId::parse(incident_id) else { return Ok(pages::not_found()) };
    let me = who.member.licensee_id.clone();
    if own_incident(deps, who, incident_id).await?.is_some() {
        return Ok(pages::problem(
            StatusCode::CONFLICT,
            "This is your own incident: manage its sharing from its page.",
        ));
    }
    if deps.store.get_share(&id, &me).await?.is_none_or(|s| s.state == ShareState::Offered) {
        return Ok(pages::not_found());
    }
    let form: Move = match posted::read(who, req, ConsoleRole::Duty) {
        Ok(form) => form,
        Err(refused) => return Ok(*refused),
    };
    let Some(action) = ShareAction::parse(&form.action) else {
        return Ok(posted::unreadable());
    };
    Ok(match act(deps, who, &id, &me, action).await? {
        Ok(share) => {
            if share.state == ShareState::Accepted {
                hand_on_linked(deps, &share.partner_incident_id).await;
            }
            web::redirect(&url_of(&id))
        }
        Err(answer) => answer,
    })
}

/// Hands the partner's new linked incident on for categorisation at once, so
/// its people are alerted now. If this cannot, its hand-off marker stays and
/// the sweeper hands it on within a minute or two: the acceptance stands.
async fn hand_on_linked(deps: &Deps, linked: &IncidentId) {
    let outcome = match deps.store.get_incident(linked).await {
        Ok(Some(incident)) => deps.handoff_sender().hand_on(&incident, None).await.map_err(|e| e.to_string()),
        Ok(None) => Err("the linked incident was not found".to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(error) = outcome {
        tracing::warn!(incident_id = %linked, error = %error, "linked incident left for the sweeper to hand on");
    }
}

fn url_of(id: &IncidentId) -> String {
    format!("/console/shared/{id}")
}
