//! Cross-borough sharing (issue 19): an incident's connected area covered by
//! another licensee gets a share offer. The owning licensee confirms it (its
//! lead, or its policy for CRITICAL), the partner's duty staff accept or
//! refuse it, and the owner may withdraw it at any time. Accepting opens the
//! partner's own linked incident, alerted under the partner's shared-incident
//! policy. Pure rules here; the store moves a share only from the version it
//! was read at.

use super::area::AreaName;
use super::category::Category;
use super::checklist::ChecklistTemplate;
use super::contact::Role;
use super::policy::{AlertPolicy, Channel, EscalationStep, EscalationTarget};
use crate::choice;
use crate::ids::{GroupId, IncidentId, LicenseeId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

choice!(
    /// Where a share stands. Refused and withdrawn are final.
    ShareState {
        /// SIM found the partner covering a connected area; the owner has not confirmed.
        Offered = "offered",
        /// The owner confirmed; the partner's duty staff have not answered.
        Confirmed = "confirmed",
        /// The partner accepted: it has its own linked incident and alerts.
        Accepted = "accepted",
        Refused = "refused",
        Withdrawn = "withdrawn",
    }
);

choice!(
    /// What someone does to a share.
    ShareAction {
        Confirm = "confirm",
        Accept = "accept",
        Refuse = "refuse",
        Withdraw = "withdraw",
    }
);

choice!(
    /// Which side of a share someone acts for.
    ShareSide {
        Owner = "owner",
        Partner = "partner",
    }
);

/// Who moved a share: a staff member (by id, never by name) or SIM under the
/// owner's policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", content = "id", rename_all = "snake_case")]
pub enum ShareActor {
    Staff(String),
    /// SIM itself: the offer, or a confirmation under "share CRITICAL automatically".
    Policy,
}

impl std::fmt::Display for ShareActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShareActor::Staff(id) => write!(f, "staff {id}"),
            ShareActor::Policy => f.write_str("SIM policy"),
        }
    }
}

/// One move of a share, kept on it so both licensees can read its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareStep {
    pub state: ShareState,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: ShareActor,
}

/// A share offer of one incident to one partner licensee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// The owner's incident.
    pub incident_id: IncidentId,
    pub owner: LicenseeId,
    pub partner: LicenseeId,
    /// The connected area that brought the partner in (as police wrote it).
    pub area: AreaName,
    pub state: ShareState,
    /// Bumped by every move; moves are conditional on it.
    pub version: u32,
    /// The partner's own incident, opened on acceptance (its id is fixed at the
    /// offer, so a retried acceptance opens it once).
    pub partner_incident_id: IncidentId,
    pub history: Vec<ShareStep>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    #[error("the {side} licensee cannot {action} a share")]
    WrongSide { side: ShareSide, action: ShareAction },
    #[error("a share that is {state} cannot be {action}ed")]
    NotAllowed { state: ShareState, action: ShareAction },
}

impl Share {
    /// A new offer, at version 1.
    pub fn offer(
        incident_id: &IncidentId,
        owner: &LicenseeId,
        partner: &LicenseeId,
        area: &AreaName,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            incident_id: incident_id.clone(),
            owner: owner.clone(),
            partner: partner.clone(),
            area: area.clone(),
            state: ShareState::Offered,
            version: 1,
            partner_incident_id: Self::linked_id(incident_id, partner),
            history: vec![ShareStep { state: ShareState::Offered, at, actor: ShareActor::Policy }],
        }
    }

    /// The partner's linked incident id: fixed by the owner's incident and the
    /// partner, so it is the same however often an acceptance is retried.
    fn linked_id(incident: &IncidentId, partner: &LicenseeId) -> IncidentId {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("{incident}\n{partner}").as_bytes());
        IncidentId::parse(&format!("{}-shr-{}", IncidentId::PREFIX, &hex::encode(digest)[..24]))
            .expect("a hex id is valid")
    }

    /// The share after `action` by `side`, one version on; an error if that
    /// side may not do it from the current state.
    pub fn apply(
        &self,
        side: ShareSide,
        action: ShareAction,
        actor: ShareActor,
        at: OffsetDateTime,
    ) -> Result<Share, ShareError> {
        use ShareAction::*;
        use ShareState::*;
        let allowed_side = match action {
            Confirm | Withdraw => ShareSide::Owner,
            Accept | Refuse => ShareSide::Partner,
        };
        if side != allowed_side {
            return Err(ShareError::WrongSide { side, action });
        }
        let next = match (self.state, action) {
            (Offered, Confirm) => Confirmed,
            (Confirmed, Accept) => Accepted,
            (Confirmed, Refuse) => Refused,
            (Offered | Confirmed | Accepted, Withdraw) => Withdrawn,
            (state, action) => return Err(ShareError::NotAllowed { state, action }),
        };
        let mut share = self.clone();
        share.state = next;
        share.version += 1;
        share.history.push(ShareStep { state: next, at, actor });
        Ok(share)
    }

    /// Whether the partner may see the shared incident (its summary, category
    /// and checklist progress): only while the share stands accepted.
    pub fn partner_may_read(&self) -> bool {
        self.state == ShareState::Accepted
    }
}

/// A licensee's settings for cross-borough sharing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SharingSettings {
    /// Confirm a share of a CRITICAL incident without waiting for the lead.
    #[serde(default)]
    pub confirm_critical_automatically: bool,
    /// How this licensee is alerted to incidents other licensees share with
    /// it; [`shared_incident_policy`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_policy: Option<AlertPolicy>,
    /// This licensee's own section on incidents shared with it (as its main
    /// checklist overrides the toolkit's); [`ChecklistTemplate::partner`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checklist: Option<ChecklistTemplate>,
}

impl SharingSettings {
    /// Whether a share of an incident of this category is confirmed at once.
    pub fn confirms_automatically(&self, category: Category) -> bool {
        self.confirm_critical_automatically && category == Category::Critical
    }

    /// The policy a partner alerts its people under for a shared incident of
    /// `category` (the policy's own category is ignored: one policy for all).
    pub fn policy_for_shared(&self, category: Category) -> AlertPolicy {
        AlertPolicy { category, ..self.shared_policy.clone().unwrap_or_else(shared_incident_policy) }
    }

    /// The checklist a partner works on an incident shared with it: its own
    /// section, not the owner's toolkit.
    pub fn partner_checklist(&self) -> ChecklistTemplate {
        self.checklist.clone().unwrap_or_else(ChecklistTemplate::partner)
    }
}

/// The default for a shared incident: the partner's community safety lead and
/// education and youth services, SMS and email, acknowledge within 30 minutes
/// (then their deputies); the partner's own checklist section.
pub fn shared_incident_policy() -> AlertPolicy {
    let group = |id: &str| GroupId::parse(id).expect("default group ids are valid");
    AlertPolicy {
        category: Category::Critical,
        groups: vec![group("grp-community-safety"), group("grp-education-youth")],
        groups_if_victim_under_18: vec![],
        channels: vec![Channel::Sms, Channel::Email],
        acknowledge_within_minutes: Some(30),
        escalation: vec![EscalationStep { after_minutes: 30, alert: EscalationTarget::Deputies }],
        checklist: true,
        lead_role: Role::parse("community-safety-lead").expect("valid role"),
        briefing_every_minutes: 30,
        briefing_channels: vec![Channel::Email],
        required_groups: None,
    }
}

/// On a partner's linked incident: whose incident it shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedFrom {
    pub incident_id: IncidentId,
    pub owner: LicenseeId,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const AT: OffsetDateTime = datetime!(2026-11-21 02:00 UTC);

    fn offer() -> Share {
        Share::offer(
            &IncidentId::parse("inc-1").unwrap(),
            &LicenseeId::parse("lambeth").unwrap(),
            &LicenseeId::parse("southwark").unwrap(),
            &AreaName::parse("Southwark").unwrap(),
            AT,
        )
    }

    #[test]
    fn a_share_moves_offered_confirmed_accepted_then_may_be_withdrawn() {
        let staff = |id: &str| ShareActor::Staff(id.into());
        let confirmed = offer().apply(ShareSide::Owner, ShareAction::Confirm, staff("lead"), AT).unwrap();
        assert_eq!((confirmed.state, confirmed.version), (ShareState::Confirmed, 2));
        assert!(!confirmed.partner_may_read(), "confirmed is not yet shared");
        let accepted = confirmed.apply(ShareSide::Partner, ShareAction::Accept, staff("duty"), AT).unwrap();
        assert!(accepted.partner_may_read());
        let withdrawn = accepted.apply(ShareSide::Owner, ShareAction::Withdraw, staff("lead"), AT).unwrap();
        assert!(!withdrawn.partner_may_read());
        let states: Vec<ShareState> = withdrawn.history.iter().map(|s| s.state).collect();
        use ShareState::*;
        assert_eq!(states, vec![Offered, Confirmed, Accepted, Withdrawn]);
        assert_eq!(
            withdrawn.apply(ShareSide::Owner, ShareAction::Withdraw, staff("lead"), AT),
            Err(ShareError::NotAllowed { state: Withdrawn, action: ShareAction::Withdraw })
        );
    }

    #[test]
    fn each_side_does_only_its_own_moves_in_order() {
        let s = offer();
        let partner_first = s.apply(ShareSide::Partner, ShareAction::Accept, ShareActor::Policy, AT);
        assert_eq!(
            partner_first,
            Err(ShareError::NotAllowed { state: ShareState::Offered, action: ShareAction::Accept })
        );
        assert!(matches!(
            s.apply(ShareSide::Partner, ShareAction::Confirm, ShareActor::Policy, AT),
            Err(ShareError::WrongSide { .. })
        ));
        assert!(matches!(
            s.apply(ShareSide::Owner, ShareAction::Accept, ShareActor::Policy, AT),
            Err(ShareError::WrongSide { .. })
        ));
        let refused = s
            .apply(ShareSide::Owner, ShareAction::Confirm, ShareActor::Policy, AT)
            .and_then(|c| c.apply(ShareSide::Partner, ShareAction::Refuse, ShareActor::Staff("d".into()), AT))
            .unwrap();
        assert!(refused.apply(ShareSide::Partner, ShareAction::Accept, ShareActor::Policy, AT).is_err());
    }

    #[test]
    fn the_linked_incident_id_is_fixed_by_incident_and_partner() {
        assert_eq!(offer().partner_incident_id, offer().partner_incident_id);
        let other = Share::offer(
            &IncidentId::parse("inc-1").unwrap(),
            &LicenseeId::parse("lambeth").unwrap(),
            &LicenseeId::parse("croydon").unwrap(),
            &AreaName::parse("Croydon").unwrap(),
            AT,
        );
        assert_ne!(offer().partner_incident_id, other.partner_incident_id);
    }

    #[test]
    fn a_partner_works_its_own_short_section_unless_it_set_its_own() {
        let section = SharingSettings::default().partner_checklist();
        let texts: Vec<&str> = section.sections.iter().flat_map(|s| &s.items).map(|i| i.text.as_str()).collect();
        assert_eq!(section.sections.len(), 1, "one section, not the toolkit's nine");
        assert!(texts.contains(&"Schools in our area alerted"));
        assert!(texts.contains(&"Named lead for our area agreed with the owner"));
        let own = ChecklistTemplate::from_json(
            r#"{"name": "Ours", "sections": [{"id": "ours", "title": "Ours", "items": [
                {"id": "ours-01", "text": "Ward councillors told", "owner_role": "community-safety-lead"}]}]}"#,
        )
        .unwrap();
        let settings = SharingSettings { checklist: Some(own.clone()), ..Default::default() };
        assert_eq!(settings.partner_checklist(), own);
        let back: SharingSettings = serde_json::from_str(&serde_json::to_string(&settings).unwrap()).unwrap();
        assert_eq!(back, settings, "the override is kept with the licensee");
    }

    #[test]
    fn only_critical_is_confirmed_automatically_and_only_when_asked() {
        let on = SharingSettings { confirm_critical_automatically: true, ..Default::default() };
        assert!(on.confirms_automatically(Category::Critical));
        assert!(!on.confirms_automatically(Category::SeriousViolence));
        assert!(!SharingSettings::default().confirms_automatically(Category::Critical));
        let p = SharingSettings::default().policy_for_shared(Category::SeriousViolence);
        assert_eq!(p.category, Category::SeriousViolence);
        assert_eq!(p.acknowledge_within_minutes, Some(30));
        assert_eq!(p.channels, vec![Channel::Sms, Channel::Email]);
    }
}
