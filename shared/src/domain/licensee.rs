//! Licensees (councils, community safety partnerships) and whether SIM serves them.

use super::area::{AreaName, KnownWard};
use super::category::RuleSet;
use super::checklist::ChecklistTemplate;
use super::data_sharing::DataSharing;
use super::policy::AlertPolicy;
use crate::ids::LicenseeId;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "tier", rename_all = "snake_case")]
pub enum Tier {
    /// London boroughs use SIM free, with no end date.
    LondonFree,
    /// Councils outside London hold a licence for a period.
    Licensed { starts_on: Date, ends_on: Date },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LicenceStatus {
    Active,
    /// Refused outright (e.g. at the licensee's own request or for misuse).
    Suspended {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Licensee {
    pub id: LicenseeId,
    pub name: String,
    pub tier: Tier,
    pub status: LicenceStatus,
    /// Boroughs or districts whose incidents this licensee responds to, by
    /// name and by ONS code (E09000022): police send either.
    pub areas: Vec<AreaName>,
    /// The wards of those areas, names and ONS codes: a ward police send is
    /// put in messages only if it is one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wards: Vec<KnownWard>,
    /// The licensee's own categorisation rules, validated when read; the
    /// defaults when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<RuleSet>,
    /// The licensee's own alert policies; the defaults when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<AlertPolicy>>,
    /// The licensee's own checklist; the toolkit's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checklist: Option<ChecklistTemplate>,
    /// Cross-borough sharing settings; the defaults when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharing: Option<super::share::SharingSettings>,
    /// The data-sharing agreement the personal-data vault applies; the
    /// defaults (`DataSharing::default`) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_sharing: Option<DataSharing>,
}

/// Whether an incident for this licensee is served today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entitlement {
    Served,
    /// The licence has lapsed but lives come first: served within the grace
    /// period, and the lapse is recorded for operators.
    ServedInGrace {
        lapsed_on: Date,
    },
    Refused {
        reason: String,
    },
}

impl Licensee {
    /// The alert policy for `category`, from the licensee's own policies or
    /// the defaults; none for a category that alerts nobody.
    pub fn policy_for(&self, category: super::category::Category) -> Option<super::policy::AlertPolicy> {
        use super::policy::AlertPolicy;
        match &self.policies {
            Some(own) => AlertPolicy::for_category(own, category).cloned(),
            None => AlertPolicy::for_category(&AlertPolicy::defaults(), category).cloned(),
        }
    }

    /// The alert policy for `incident` at `category`: for a partner's linked
    /// incident, the licensee's policy for shared incidents (issue 19); else
    /// [`Self::policy_for`]. None for RECORD_ONLY either way.
    pub fn policy_for_incident(
        &self,
        incident: &super::incident::Incident,
        category: super::category::Category,
    ) -> Option<super::policy::AlertPolicy> {
        match &incident.shared_from {
            Some(_) if category == super::category::Category::RecordOnly => None,
            Some(_) => Some(self.sharing.clone().unwrap_or_default().policy_for_shared(category)),
            None => self.policy_for(category),
        }
    }

    /// The rules categorisation applies: the licensee's own, else the defaults.
    pub fn rules_or_defaults(&self) -> std::borrow::Cow<'_, RuleSet> {
        match &self.rules {
            Some(own) => std::borrow::Cow::Borrowed(own),
            None => std::borrow::Cow::Owned(RuleSet::defaults()),
        }
    }

    /// The checklist opened for `incident`: on a partner's linked incident its
    /// own section for shared incidents (issue 19); else the licensee's own
    /// checklist or the toolkit's.
    pub fn checklist_for_incident(&self, incident: &super::incident::Incident) -> ChecklistTemplate {
        match &incident.shared_from {
            Some(_) => self.sharing.clone().unwrap_or_default().partner_checklist(),
            None => self.checklist.clone().unwrap_or_else(ChecklistTemplate::toolkit),
        }
    }

    pub fn entitlement(&self, today: Date, grace: Duration) -> Entitlement {
        if let LicenceStatus::Suspended { .. } = self.status {
            return Entitlement::Refused {
                reason: format!("{} is suspended from SIM; contact the SIM service desk", self.name),
            };
        }
        match &self.tier {
            Tier::LondonFree => Entitlement::Served,
            Tier::Licensed { starts_on, .. } if today < *starts_on => {
                Entitlement::Refused { reason: format!("the SIM licence of {} starts on {starts_on}", self.name) }
            }
            Tier::Licensed { ends_on, .. } if today <= *ends_on => Entitlement::Served,
            Tier::Licensed { ends_on, .. } => {
                let lapsed_on = ends_on.next_day().unwrap_or(*ends_on);
                if today < lapsed_on + grace {
                    Entitlement::ServedInGrace { lapsed_on }
                } else {
                    Entitlement::Refused {
                        reason: format!(
                            "the SIM licence of {} lapsed on {lapsed_on} and its grace period has ended",
                            self.name
                        ),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn licensed(ends_on: Date) -> Licensee {
        Licensee {
            id: LicenseeId::parse("kent").unwrap(),
            name: "Kent County Council".into(),
            tier: Tier::Licensed { starts_on: date!(2026 - 01 - 01), ends_on },
            status: LicenceStatus::Active,
            areas: vec![AreaName::parse("Maidstone").unwrap()],
            wards: vec![],
            rules: None,
            policies: None,
            checklist: None,
            sharing: None,
            data_sharing: None,
        }
    }

    #[test]
    fn licence_is_served_until_its_last_day_then_in_grace_then_refused() {
        let l = licensed(date!(2026 - 12 - 31));
        let grace = Duration::days(30);
        assert_eq!(l.entitlement(date!(2026 - 12 - 31), grace), Entitlement::Served);
        assert_eq!(
            l.entitlement(date!(2027 - 01 - 01), grace),
            Entitlement::ServedInGrace { lapsed_on: date!(2027 - 01 - 01) }
        );
        assert_eq!(
            l.entitlement(date!(2027 - 01 - 30), grace),
            Entitlement::ServedInGrace { lapsed_on: date!(2027 - 01 - 01) }
        );
        assert!(matches!(l.entitlement(date!(2027 - 01 - 31), grace), Entitlement::Refused { .. }));
        assert!(matches!(l.entitlement(date!(2025 - 12 - 31), grace), Entitlement::Refused { .. }));
    }

    #[test]
    fn london_is_free_but_suspension_refuses_anyone() {
        let mut l = licensed(date!(2020 - 01 - 01));
        l.tier = Tier::LondonFree;
        assert_eq!(l.entitlement(date!(2030 - 01 - 01), Duration::ZERO), Entitlement::Served);
        l.status = LicenceStatus::Suspended { reason: "request".into() };
        match l.entitlement(date!(2030 - 01 - 01), Duration::ZERO) {
            Entitlement::Refused { reason } => assert!(reason.contains("suspended")),
            other => panic!("{other:?}"),
        }
    }
}
