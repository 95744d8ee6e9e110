//! Incidents as police report them. There is deliberately no field for the
//! name or any other identifying detail of a victim or suspect: personal data
//! lives apart, in sensitive records, and a report carrying it is refused.

mod amendment;
mod police_reference;
mod report;
#[cfg(test)]
mod tests;

pub use amendment::IncidentAmendment;
pub use police_reference::PoliceReference;
pub use report::{IncidentReport, DEFAULT_MAX_AGE, MAX_CONNECTED_AREAS};

use crate::choice;
use crate::domain::area::{AreaName, PostcodeDistrict};
use crate::ids::{CallerId, IncidentId, LicenseeId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

choice!(
    /// What happened, as police classify it at first report.
    IncidentType {
        Stabbing = "stabbing",
        Shooting = "shooting",
        Homicide = "homicide",
        AcidAttack = "acid_attack",
        SeriousAssault = "serious_assault",
        OtherViolence = "other_violence",
    }
);

choice!(
    Weapon {
        Knife = "knife",
        SharpInstrument = "sharp_instrument",
        Firearm = "firearm",
        CorrosiveSubstance = "corrosive_substance",
        BluntInstrument = "blunt_instrument",
        Other = "other",
        None = "none",
        Unknown = "unknown",
    }
);

choice!(
    /// Ordered from least to most severe (unknown lowest), so the most severe
    /// injury of an incident is the maximum.
    Injury {
        Unknown = "unknown",
        None = "none",
        Minor = "minor",
        Serious = "serious",
        LifeThreatening = "life_threatening",
        Fatal = "fatal",
    }
);

choice!(
    AgeBand {
        Under10 = "0-9",
        From10To13 = "10-13",
        From14To17 = "14-17",
        From18To24 = "18-24",
        From25To34 = "25-34",
        From35To49 = "35-49",
        From50To64 = "50-64",
        Over65 = "65+",
        Unknown = "unknown",
    }
);

impl AgeBand {
    pub fn is_under_18(self) -> bool {
        matches!(self, Self::Under10 | Self::From10To13 | Self::From14To17)
    }

    pub fn is_under_25(self) -> bool {
        self.is_under_18() || self == Self::From18To24
    }
}

choice!(
    /// Facts police flag about an incident that change the response.
    Flag {
        CriticalIncidentDeclared = "critical_incident_declared",
        GoldGroupConvened = "gold_group_convened",
        FirearmDischarged = "firearm_discharged",
        RetaliationRisk = "retaliation_risk",
        FootageCirculating = "footage_circulating",
        NearSchool = "near_school",
        CommunityConcern = "community_concern",
    }
);

/// A victim, known only by age band and injury.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Victim {
    pub age_band: AgeBand,
    pub injury: Injury,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coordinates {
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub borough: AreaName,
    /// One of the licensee's known wards (see [`IncidentReport::match_ward`]):
    /// the only ward text that ever reaches a message.
    pub ward: Option<AreaName>,
    pub postcode_district: Option<PostcodeDistrict>,
    pub coordinates: Option<Coordinates>,
    /// A ward police sent that is not one the licensee knows, kept for
    /// operators only: free text here has carried names and addresses. Never
    /// put in messages, never a reason to refuse a report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unmatched_ward: Option<String>,
}

choice!(
    /// Why an incident is waiting to be handed on for categorisation.
    HandoffReason {
        Reported = "reported",
        Amended = "amended",
    }
);

/// How many times the sweeper re-sends a change categorisation has not taken
/// up before it stops and logs an error (an incident categorisation keeps
/// failing on is not re-sent every minute forever).
pub const HANDOFF_ATTEMPTS: u32 = 5;

/// How long a change may wait for categorisation before the console says it
/// is delayed (categorisation normally takes seconds; the sweeper's first
/// attempt comes after a minute).
pub const DELAYED_AFTER: time::Duration = time::Duration::minutes(2);

/// Set while an incident has a change not yet categorised: intake stores it
/// with the change, categorisation clears it in the transaction that records
/// its decision. The sweeper finds such incidents through a sparse index and
/// sends them again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingHandoff {
    pub reason: HandoffReason,
    /// When the change was stored.
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    /// How many times the sweeper has sent it again (absent on markers
    /// written before it was counted: none).
    #[serde(default)]
    pub attempts: u32,
    /// When it was last sent again (by the sweeper or with an amendment), if
    /// it was: the sweeper waits its grace from here.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    pub last_sent: Option<OffsetDateTime>,
}

impl PendingHandoff {
    /// A change stored at `since`, sent on once by whoever stored it.
    pub fn new(reason: HandoffReason, since: OffsetDateTime) -> Self {
        PendingHandoff { reason, since, attempts: 0, last_sent: None }
    }

    /// When it was last sent: the sweeper's grace runs from here.
    pub fn last_sent(&self) -> OffsetDateTime {
        self.last_sent.unwrap_or(self.since)
    }

    /// Whether the sweeper still looks at it: false once it has sent it
    /// `HANDOFF_ATTEMPTS` times and found it still pending (it has then
    /// logged an error; the marker stays, so the police status still says
    /// "pending", and the incident leaves the sweeper's index).
    pub fn swept(&self) -> bool {
        self.attempts <= HANDOFF_ATTEMPTS
    }

    /// The marker after the sweeper's next visit at `now`.
    pub fn visited(&self, now: OffsetDateTime) -> Self {
        PendingHandoff { attempts: self.attempts + 1, last_sent: Some(now), ..self.clone() }
    }

    /// The marker after duty staff sent it again at `now` (the console's
    /// "Send for categorisation again"): the sweeper's count starts afresh,
    /// its grace running from now; `since` still says when the change was stored.
    pub fn restarted(&self, now: OffsetDateTime) -> Self {
        PendingHandoff { attempts: 0, last_sent: Some(now), ..self.clone() }
    }

    /// Whether it has waited long enough to tell staff categorisation is
    /// late: `DELAYED_AFTER` since the change was stored.
    pub fn delayed(&self, now: OffsetDateTime) -> bool {
        now - self.since >= DELAYED_AFTER
    }
}

/// An incident as SIM holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    pub licensee_id: LicenseeId,
    /// The police integration that reported it.
    pub caller_id: CallerId,
    pub report: IncidentReport,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// Bumped by every change; writes are conditional on it.
    pub version: u32,
    /// Fingerprint of the report as first received (see `IncidentReport::fingerprint`).
    pub fingerprint: String,
    pub handoff: Option<PendingHandoff>,
    /// Set on a partner licensee's linked incident: the owner's incident it
    /// shares (see `crate::shares`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_from: Option<crate::domain::share::SharedFrom>,
}
