//! Cross-borough response (issue 19): offering an incident to the licensees
//! covering its connected areas, the owner's and partner's moves, the partner's
//! linked incident and what each side may read. The console and the functions
//! call these; the rules are in `domain::share`, the records in `ShareStore`.
//!
//! - After categorisation, [`after_categorisation`] offers a share per
//!   connected area covered by another licensee (confirmed at once under the
//!   owner's "share CRITICAL automatically"), records an area nobody covers as
//!   an alert gap, and carries police amendments onto accepted partners' linked
//!   incidents (handed on again, so a raised category re-alerts the partner
//!   under its policy for shared incidents).
//! - [`act`] confirms, accepts, refuses or withdraws; acceptance opens the
//!   partner's linked incident (pending hand-off: categorisation alerts the
//!   partner's people once under its shared-incident policy).
//! - [`partner_view`] is the object-level rule: a partner reads the shared
//!   incident's summary, category and checklist progress only while the share
//!   stands accepted.

use crate::clock::Clock;
use crate::domain::category::Category;
use crate::domain::checklist::{ChecklistItem, ItemStatus};
use crate::domain::follow_up::{progress, SectionProgress};
use crate::domain::incident::{HandoffReason, PendingHandoff, MAX_CONNECTED_AREAS};
use crate::domain::share::{Share, ShareAction, ShareActor, ShareError, ShareSide, ShareState, SharedFrom};
use crate::domain::{Actor, AreaName, Event, Incident, IncidentReport, TimelineEvent};
use crate::ids::{IdGenerator, IncidentId, LicenseeId};
use crate::ports::{Store, StoreError};

/// What the share operations run on.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub store: &'a dyn Store,
    pub clock: &'a dyn Clock,
    pub ids: &'a dyn IdGenerator,
}

#[derive(Debug, thiserror::Error)]
pub enum ShareFailure {
    /// No such share, or not one the acting licensee is party to (answer 404).
    #[error("no such share")]
    NotFound,
    #[error(transparent)]
    NotAllowed(#[from] ShareError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What [`after_categorisation`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Offered {
    pub offered: usize,
    pub confirmed: usize,
    /// Connected areas no licensee covers, recorded as alert gaps.
    pub uncovered: usize,
    /// Partners' linked incidents amended to follow the owner's.
    pub followed: usize,
}

fn share_event(share: &Share, state: ShareState, actor: &ShareActor) -> Event {
    let (owner, partner, actor) = (share.owner.clone(), share.partner.clone(), actor.clone());
    match state {
        ShareState::Offered => Event::ShareOffered { owner, partner, area: share.area.clone() },
        ShareState::Confirmed => Event::ShareConfirmed { owner, partner, actor },
        ShareState::Accepted => Event::ShareAccepted { owner, partner, actor },
        ShareState::Refused => Event::ShareRefused { owner, partner, actor },
        ShareState::Withdrawn => Event::ShareWithdrawn { owner, partner, actor },
    }
}

/// Runs after an incident is categorised (and again on redelivery: each
/// step is idempotent). Does nothing for an incident without connected areas
/// or for a partner's linked incident, so ordinary incidents cost no request.
pub async fn after_categorisation(ctx: Ctx<'_>, incident: &Incident) -> Result<Offered, StoreError> {
    let mut done = Offered::default();
    if incident.report.connected_areas.is_empty() || incident.shared_from.is_some() {
        return Ok(done);
    }
    let store = ctx.store;
    let (owner, categorisation, existing) = tokio::try_join!(
        store.get_licensee(&incident.licensee_id),
        store.get_categorisation(&incident.id),
        store.shares_of_incident(&incident.id),
    )?;
    let category = categorisation.map(|c| c.category);
    let auto = owner.and_then(|o| o.sharing).unwrap_or_default();
    let now = ctx.clock.now();
    let mut uncovered: Vec<&AreaName> = Vec::new();
    for area in &incident.report.connected_areas {
        let Some(partner) = store.licensee_for_area(area).await? else {
            uncovered.push(area);
            continue;
        };
        if partner == incident.licensee_id {
            continue;
        }
        let mut share = match existing.iter().find(|s| s.partner == partner) {
            Some(share) => share.clone(),
            None => {
                let share = Share::offer(&incident.id, &incident.licensee_id, &partner, area, now);
                let event = TimelineEvent::new(
                    ctx.ids,
                    &incident.id,
                    now,
                    share_event(&share, ShareState::Offered, &ShareActor::Policy),
                );
                if !store.offer_share(&share, &[event]).await? {
                    continue; // offered by a concurrent delivery
                }
                tracing::info!(incident_id = %incident.id, partner = %partner, "share offered");
                done.offered += 1;
                share
            }
        };
        if share.state == ShareState::Offered && category.is_some_and(|c| auto.confirms_automatically(c)) {
            share = share.apply(ShareSide::Owner, ShareAction::Confirm, ShareActor::Policy, now).expect("offered");
            let event =
                TimelineEvent::new(ctx.ids, &incident.id, now, share_event(&share, share.state, &ShareActor::Policy));
            match store.move_share(&share, &[event], None).await {
                Ok(()) => done.confirmed += 1,
                Err(StoreError::Conflict) => {} // someone moved it first
                Err(e) => return Err(e),
            }
        }
    }
    if !uncovered.is_empty() {
        // Recorded once per area: a redelivery finds it on the timeline.
        let timeline = store.timeline(&incident.id).await?;
        for area in uncovered {
            let recorded =
                timeline.iter().any(|e| matches!(&e.event, Event::ConnectedAreaUncovered { area: a } if a == area));
            if !recorded {
                let event = Event::ConnectedAreaUncovered { area: area.clone() };
                store.append_event(&TimelineEvent::new(ctx.ids, &incident.id, now, event)).await?;
                tracing::warn!(incident_id = %incident.id, "a connected area is covered by no licensee: alert gap");
                done.uncovered += 1;
            }
        }
    }
    done.followed = follow_owner(ctx, incident, &existing).await?;
    Ok(done)
}

/// Carries the owner's current report onto each accepted partner's linked
/// incident that has not got it yet, pending hand-off, so categorisation
/// re-decides it (a raised category re-alerts the partner).
async fn follow_owner(ctx: Ctx<'_>, incident: &Incident, shares: &[Share]) -> Result<usize, StoreError> {
    let mut followed = 0;
    for share in shares.iter().filter(|s| s.state == ShareState::Accepted) {
        for _ in 0..3 {
            let Some(linked) = ctx.store.get_incident(&share.partner_incident_id).await? else { break };
            let report = linked_report(&incident.report);
            if linked.report == report {
                break;
            }
            let now = ctx.clock.now();
            let changes = vec![format!("the shared incident was amended (version {})", incident.version)];
            let next = Incident {
                report,
                version: linked.version + 1,
                handoff: Some(
                    linked
                        .handoff
                        .clone()
                        .map(|pending| PendingHandoff { attempts: 0, ..pending })
                        .unwrap_or(PendingHandoff::new(HandoffReason::Amended, now)),
                ),
                ..linked.clone()
            };
            let event = TimelineEvent::new(
                ctx.ids,
                &next.id,
                now,
                Event::Amended { caller_id: incident.caller_id.clone(), changes },
            );
            match ctx.store.update_incident(&next, &[event]).await {
                Ok(()) => {
                    followed += 1;
                    break;
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(followed)
}

/// The report as the partner's linked incident holds it: the owner's, without
/// the connected areas (a partner does not share onwards).
fn linked_report(report: &IncidentReport) -> IncidentReport {
    IncidentReport { connected_areas: Vec::new(), ..report.clone() }
}

/// `acting_for` does `action` on the share of `incident` with `partner`:
/// the owner confirms or withdraws, the partner accepts or refuses. Each
/// move is on the owner's timeline and, once the partner has its linked
/// incident, on the partner's; acceptance opens that incident, to be handed
/// on (the sweeper does it if the caller cannot). Returns the moved share.
pub async fn act(
    ctx: Ctx<'_>,
    acting_for: &LicenseeId,
    incident: &IncidentId,
    partner: &LicenseeId,
    action: ShareAction,
    actor: ShareActor,
) -> Result<Share, ShareFailure> {
    let share = ctx.store.get_share(incident, partner).await?.ok_or(ShareFailure::NotFound)?;
    let side = if *acting_for == share.owner {
        ShareSide::Owner
    } else if *acting_for == share.partner && share.state != ShareState::Offered {
        // Until the owner confirms, the partner does not know of the offer.
        ShareSide::Partner
    } else {
        return Err(ShareFailure::NotFound);
    };
    let now = ctx.clock.now();
    let next = share.apply(side, action, actor.clone(), now)?;
    let on = |id: &IncidentId, state: ShareState, actor: &ShareActor, at| {
        TimelineEvent::new(ctx.ids, id, at, share_event(&next, state, actor))
    };
    let mut events = vec![on(&share.incident_id, next.state, &actor, now)];
    let mut linked = None;
    match next.state {
        ShareState::Accepted => {
            let owner_incident = ctx.store.get_incident(&share.incident_id).await?.ok_or(ShareFailure::NotFound)?;
            let opened = Incident {
                id: next.partner_incident_id.clone(),
                licensee_id: next.partner.clone(),
                caller_id: owner_incident.caller_id.clone(),
                report: linked_report(&owner_incident.report),
                received_at: now,
                version: 1,
                fingerprint: owner_incident.fingerprint.clone(),
                handoff: Some(PendingHandoff::new(HandoffReason::Reported, now)),
                shared_from: Some(SharedFrom { incident_id: share.incident_id.clone(), owner: share.owner.clone() }),
            };
            // The partner's timeline starts with the whole story of the share.
            for step in &next.history {
                events.push(on(&opened.id, step.state, &step.actor, step.at));
            }
            linked = Some(opened);
        }
        ShareState::Withdrawn if share.state == ShareState::Accepted => {
            events.push(on(&next.partner_incident_id, next.state, &actor, now));
        }
        _ => {}
    }
    ctx.store.move_share(&next, &events, linked.as_ref()).await?;
    tracing::info!(incident_id = %next.incident_id, partner = %next.partner, state = %next.state, "share moved");
    Ok(next)
}

/// Why a connected area could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddAreaFailure {
    #[error("a shared incident is not shared onwards: ask its owner to name the area")]
    SharedIncident,
    #[error("that is the incident's own borough")]
    OwnBorough,
    #[error("that area is already named")]
    AlreadyNamed,
    #[error("an incident names at most {MAX_CONNECTED_AREAS} connected areas")]
    TooMany,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Council staff in the console, or the incident's lead through their
/// personal link (`by`), name `area` as connected to `incident`: the same
/// rules as police naming (not its own borough, each area once, at most
/// [`MAX_CONNECTED_AREAS`]), on the timeline with who did it, and a share
/// offered exactly as [`after_categorisation`] offers one for police naming
/// (confirmed at once under the owner's policy for CRITICAL). Who may do it
/// is the caller's check (duty staff; the policy's lead role).
pub async fn add_connected_area(
    ctx: Ctx<'_>,
    incident: &Incident,
    area: AreaName,
    by: Actor,
) -> Result<Offered, AddAreaFailure> {
    let report = &incident.report;
    if incident.shared_from.is_some() {
        return Err(AddAreaFailure::SharedIncident);
    }
    if area == report.location.borough {
        return Err(AddAreaFailure::OwnBorough);
    }
    if report.connected_areas.contains(&area) {
        return Err(AddAreaFailure::AlreadyNamed);
    }
    if report.connected_areas.len() >= MAX_CONNECTED_AREAS {
        return Err(AddAreaFailure::TooMany);
    }
    let mut areas = report.connected_areas.clone();
    areas.push(area.clone());
    areas.sort_by_key(AreaName::key);
    let next = Incident {
        report: IncidentReport { connected_areas: areas, ..report.clone() },
        version: incident.version + 1,
        ..incident.clone()
    };
    let who = if by.staff().is_some() { "council staff" } else { "the incident's lead" };
    let event = Event::ConnectedAreaAdded { area, by: Some(by), staff_id: None };
    ctx.store.update_incident(&next, &[TimelineEvent::new(ctx.ids, &next.id, ctx.clock.now(), event)]).await?;
    tracing::info!(incident_id = %next.id, by = who, "connected area added");
    Ok(after_categorisation(ctx, &next).await?)
}

/// What a partner sees of a shared incident: read only.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedView {
    pub share: Share,
    /// The owner's incident as police reported it (no personal data by design).
    pub report: IncidentReport,
    pub category: Option<Category>,
    /// The owner's checklist progress by section.
    pub checklist: Vec<(String, SectionProgress)>,
    /// The partner's own linked incident (its alerts, its own checklist).
    pub linked_incident: IncidentId,
}

/// The shared incident as `partner` may see it, only while the share stands
/// accepted; None otherwise (and for any incident not shared with it), which
/// the console answers with 404.
pub async fn partner_view(
    store: &dyn Store,
    partner: &LicenseeId,
    incident: &IncidentId,
) -> Result<Option<SharedView>, StoreError> {
    let Some(share) = store.get_share(incident, partner).await?.filter(Share::partner_may_read) else {
        return Ok(None);
    };
    let (owner_incident, categorisation, items) =
        tokio::try_join!(store.get_incident(incident), store.get_categorisation(incident), store.checklist(incident),)?;
    let Some(owner_incident) = owner_incident else { return Ok(None) };
    let items: Vec<ChecklistItem> = items;
    Ok(Some(SharedView {
        linked_incident: share.partner_incident_id.clone(),
        share,
        report: owner_incident.report,
        category: categorisation.map(|c| c.category),
        checklist: progress(&items),
    }))
}

/// The partner's own checklist progress by section, for the owner to read
/// (issue 19: updates both ways): only while the share stands accepted, and
/// only counts and section titles, never who did what.
pub async fn partner_progress(
    store: &dyn Store,
    share: &Share,
) -> Result<Option<Vec<(String, SectionProgress)>>, StoreError> {
    if share.state != ShareState::Accepted {
        return Ok(None);
    }
    let items: Vec<ChecklistItem> = store.checklist(&share.partner_incident_id).await?;
    Ok(Some(progress(&items)))
}

/// One accepted partner's own section of the checklist, as its owner reads
/// it: the partner's name, and each item's text and status, never who did
/// what (the partner's people are not the owner's to see).
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerSection {
    pub partner: LicenseeId,
    /// The partner licensee's name.
    pub name: String,
    pub items: Vec<PartnerItem>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PartnerItem {
    pub text: String,
    pub status: ItemStatus,
}

impl PartnerSection {
    /// Items done or not applicable.
    pub fn closed(&self) -> usize {
        self.items.iter().filter(|i| matches!(i.status, ItemStatus::Done | ItemStatus::NotApplicable)).count()
    }
}

/// The sections of the partners `incident` stands shared with (accepted
/// shares only: a withdrawn one's section no longer shows), for the owner's
/// checklist, read only. One query for an incident never shared.
pub async fn partner_sections(store: &dyn Store, incident: &Incident) -> Result<Vec<PartnerSection>, StoreError> {
    if incident.shared_from.is_some() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for share in store.shares_of_incident(&incident.id).await?.into_iter().filter(|s| s.state == ShareState::Accepted) {
        let (licensee, items) =
            tokio::try_join!(store.get_licensee(&share.partner), store.checklist(&share.partner_incident_id))?;
        out.push(PartnerSection {
            name: licensee.map_or_else(|| share.partner.to_string(), |l| l.name),
            partner: share.partner,
            items: items.into_iter().map(|i| PartnerItem { text: i.text, status: i.status }).collect(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// How many shares other licensees have confirmed to `partner` and it has
/// not answered yet: the offers awaiting its duty staff (one query).
pub async fn offers_awaiting(store: &dyn Store, partner: &LicenseeId) -> Result<usize, StoreError> {
    Ok(store.shares_with_partner(partner).await?.iter().filter(|s| s.state == ShareState::Confirmed).count())
}

/// Whether `licensee` may open the partner's linked incident `incident` at
/// all: its own ordinary incidents always; a linked one only while its share
/// stands accepted (a withdrawal takes the partner's access away).
pub async fn may_open(store: &dyn Store, licensee: &LicenseeId, incident: &Incident) -> Result<bool, StoreError> {
    if incident.licensee_id != *licensee {
        return Ok(false);
    }
    let Some(from) = &incident.shared_from else { return Ok(true) };
    Ok(store.get_share(&from.incident_id, licensee).await?.is_some_and(|s| s.partner_may_read()))
}

/// One licensee involved in an incident, for police status: its share's
/// state and, once accepted, its acknowledgement state by role.
#[derive(Debug, Clone, PartialEq)]
pub struct Involved {
    pub licensee_id: LicenseeId,
    pub state: ShareState,
    /// Roles of the partner that acknowledged.
    pub acknowledged: Vec<String>,
    /// Required roles of the partner alerted and not acknowledged yet.
    pub awaiting: Vec<String>,
}

/// The partner licensees of an incident and where each stands.
pub async fn involved(store: &dyn Store, incident: &IncidentId) -> Result<Vec<Involved>, StoreError> {
    let mut out = Vec::new();
    for share in store.shares_of_incident(incident).await? {
        let (mut acknowledged, mut awaiting) = (Vec::new(), Vec::new());
        if share.state == ShareState::Accepted {
            let linked = &share.partner_incident_id;
            let (acks, notifications) = tokio::try_join!(store.acknowledgements(linked), store.notifications(linked))?;
            acknowledged = acks.iter().map(|a| a.role.to_string()).collect();
            awaiting = notifications
                .iter()
                .filter(|n| n.required && !acks.iter().any(|a| a.role == n.role))
                .map(|n| n.role.to_string())
                .collect();
        }
        for list in [&mut acknowledged, &mut awaiting] {
            list.sort();
            list.dedup();
        }
        out.push(Involved { licensee_id: share.partner, state: share.state, acknowledged, awaiting });
    }
    Ok(out)
}
