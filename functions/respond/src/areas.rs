//! Naming another connected area from the personal page (issue 19):
//! `POST /a/{token}/areas`, the incident's lead role only (as closing is).
//! The area is parsed as police naming is (a borough or council area name,
//! never why), goes on the timeline with who named it, and a share is offered
//! to the licensee covering it exactly as for police naming.

use crate::{posted, show, Deps, PageError};
use lambda_http::Request;
use serde::Deserialize;
use sim::domain::{Actor, AreaName};
use sim::ports::StoreError;
use sim::shares::{self, AddAreaFailure, Ctx};
use sim::web::HtmlResponse;

#[derive(Deserialize)]
struct AreaForm {
    #[serde(default)]
    area: String,
}

const NOT_ADDED: &str = "The connected area was not added";

pub async fn add(deps: &Deps, token: &str, req: &Request) -> Result<HtmlResponse, PageError> {
    let (claims, form): (_, AreaForm) = posted(deps, token, req)?;
    let store = &*deps.store;
    let (incident, contact) = crate::as_lead(store, &claims, crate::page::LEAD_ONLY_AREAS).await?;
    let Ok(area) = AreaName::parse(form.area.trim()) else {
        return Err(PageError::Invalid((NOT_ADDED, "Enter a borough or council area name, like Southwark.")));
    };
    let named = area.as_str().to_owned();
    let ctx = Ctx { store, clock: &*deps.clock, ids: &*deps.ids };
    let offered = match shares::add_connected_area(ctx, &incident, area, Actor::from(contact.id.clone())).await {
        Ok(offered) => offered,
        Err(AddAreaFailure::Store(StoreError::Conflict)) => return Err(PageError::Busy),
        Err(AddAreaFailure::Store(e)) => return Err(e.into()),
        Err(refused) => return Err(PageError::Invalid((NOT_ADDED, refusal_text(&refused)))),
    };
    let note = if offered.offered > 0 {
        format!("{named} is added as a connected area. The council covering it is offered a share of this incident.")
    } else if offered.uncovered > 0 {
        format!("{named} is added as a connected area. No council using SIM covers it: nobody there is told.")
    } else {
        format!("{named} is added as a connected area.")
    };
    show(deps, token, Some(note)).await
}

fn refusal_text(refused: &AddAreaFailure) -> &'static str {
    match refused {
        AddAreaFailure::SharedIncident => {
            "This incident was shared with your council by another: ask its owner to name the area."
        }
        AddAreaFailure::OwnBorough => "That is this incident's own borough. Enter another area.",
        AddAreaFailure::AlreadyNamed => "That area is already named as connected to this incident.",
        AddAreaFailure::TooMany => "This incident already names as many connected areas as it can.",
        AddAreaFailure::Store(_) => "Please try again in a moment.",
    }
}
