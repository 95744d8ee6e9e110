//! A police report, parsed and validated: what SIM stores as the incident.

use super::police_reference::*;
use super::*;
use crate::domain::area::{AreaName, KnownWard, PostcodeDistrict, WardMatch};
use crate::domain::choice::Choice;
use crate::domain::validation::{self as v, Errors, FieldError, Object};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use time::{Duration, OffsetDateTime};

/// What police tell SIM about an incident, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentReport {
    pub police_reference: PoliceReference,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// When police logged it, if they say; SIM records its own receipt time too.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub reported_at: Option<OffsetDateTime>,
    pub location: Location,
    pub incident_type: IncidentType,
    pub weapon: Weapon,
    pub victims: Vec<Victim>,
    pub flags: BTreeSet<Flag>,
    /// Other boroughs or districts police say the incident touches (young
    /// people living or at school there): names only, never why. Sorted by
    /// key, no repeats, never the incident's own borough. Each one covered by
    /// another licensee is offered a share (see `crate::shares`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connected_areas: Vec<AreaName>,
}

/// Allowance for clocks in police systems running ahead of SIM's.
pub(super) const CLOCK_SKEW: Duration = Duration::minutes(15);
/// How old an incident may be when first reported, unless configured otherwise.
pub const DEFAULT_MAX_AGE: Duration = Duration::days(30);
pub(super) const MAX_VICTIMS: usize = 50;
/// More connected areas than this is not a cross-borough response but a mistake.
pub const MAX_CONNECTED_AREAS: usize = 8;

impl IncidentReport {
    pub const FIELDS: &'static [&'static str] = &[
        "police_reference",
        "occurred_at",
        "reported_at",
        "location",
        "incident_type",
        "weapon",
        "victims",
        "flags",
        "connected_areas",
    ];

    /// Reads a report from a JSON body, naming every bad field; incidents
    /// older than [`DEFAULT_MAX_AGE`] are refused.
    pub fn from_json(body: &Value, now: OffsetDateTime) -> Result<Self, Vec<FieldError>> {
        Self::from_json_within(body, now, DEFAULT_MAX_AGE)
    }

    /// As [`Self::from_json`], refusing incidents that occurred more than
    /// `max_age` before `now`: a placeholder date (1900-01-01) must not alert
    /// as if fresh.
    pub fn from_json_within(body: &Value, now: OffsetDateTime, max_age: Duration) -> Result<Self, Vec<FieldError>> {
        let mut errs = Errors::default();
        let Some(obj) = Object::new(body, "", &mut errs) else {
            return errs.finish(None);
        };
        obj.deny_unknown(Self::FIELDS, &mut errs);
        let police_reference = obj.required("police_reference", &mut errs, v::simple(v::text(PoliceReference::parse)));
        let occurred_at = obj.required("occurred_at", &mut errs, v::simple(v::timestamp));
        let reported_at = obj.optional("reported_at", &mut errs, v::simple(v::timestamp));
        let location = obj.required("location", &mut errs, read_location);
        let incident_type = obj.required("incident_type", &mut errs, v::simple(v::choice::<IncidentType>));
        let weapon = obj.optional("weapon", &mut errs, v::simple(v::choice::<Weapon>));
        let victims = obj.optional("victims", &mut errs, v::array_of(MAX_VICTIMS, read_victim));
        let flags = obj.optional("flags", &mut errs, read_flags);
        let connected_areas = obj.optional("connected_areas", &mut errs, read_connected_areas);
        if let (Some(location), Some(Some(areas))) = (&location, &connected_areas) {
            if areas.contains(&location.borough) {
                errs.add("/connected_areas", "must not name the incident's own borough (location.borough)");
            }
        }

        if let Some(at) = occurred_at {
            if at > now + CLOCK_SKEW {
                errs.add("/occurred_at", "must not be in the future");
            } else if at < now - max_age {
                errs.add(
                    "/occurred_at",
                    format!(
                        "must be within the last {} days: SIM alerts on recent incidents. Check the date was \
                         not left as a placeholder; for an older incident call the SIM service desk",
                        max_age.whole_days()
                    ),
                );
            }
        }
        if let (Some(occurred), Some(Some(reported))) = (occurred_at, reported_at) {
            if reported < occurred {
                errs.add("/reported_at", "must not be before occurred_at");
            }
            if reported > now + CLOCK_SKEW {
                errs.add("/reported_at", "must not be in the future");
            }
        }

        let built = (|| {
            Some(IncidentReport {
                police_reference: police_reference?,
                occurred_at: occurred_at?,
                reported_at: reported_at?,
                location: location?,
                incident_type: incident_type?,
                weapon: weapon?.unwrap_or(Weapon::Unknown),
                victims: victims?.unwrap_or_default(),
                flags: flags?.unwrap_or_default(),
                connected_areas: connected_areas?.unwrap_or_default(),
            })
        })();
        errs.finish(built)
    }

    /// Identifies the report's content, so a retry of the same report is
    /// told apart from a different report reusing a police reference. Taken
    /// over the canonical report: times in UTC (the same instant sent as
    /// `+01:00` is the same report), victims in a fixed order, flags as a set.
    /// A report already in that form fingerprints as it did before.
    pub fn fingerprint(&self) -> String {
        let mut canonical = self.clone();
        canonical.occurred_at = canonical.occurred_at.to_offset(time::UtcOffset::UTC);
        canonical.reported_at = canonical.reported_at.map(|at| at.to_offset(time::UtcOffset::UTC));
        sort_victims(&mut canonical.victims);
        // Connected areas by key: "Southwark" and "London Borough of Southwark" are one area.
        canonical.connected_areas =
            canonical.connected_areas.iter().map(|a| AreaName::parse(&a.key()).unwrap_or_else(|_| a.clone())).collect();
        if canonical.location.ward.is_none() {
            if let Some(sent) = canonical.location.unmatched_ward.as_deref().and_then(|w| AreaName::parse(w).ok()) {
                canonical.location.ward = Some(sent);
                canonical.location.unmatched_ward = None;
            }
        }
        let bytes = serde_json::to_vec(&canonical).expect("a report always serialises");
        hex::encode(Sha256::digest(bytes))
    }

    /// Keeps the ward only if it is one the licensee knows (by name or ONS
    /// code), in the licensee's spelling; otherwise it stays unmatched.
    /// Returns whether a sent ward was left unmatched, for operators.
    pub fn match_ward(&mut self, known: &[KnownWard]) -> bool {
        let Some(sent) = self.location.unmatched_ward.take() else {
            return false;
        };
        match KnownWard::classify(known, &sent) {
            WardMatch::Known(name) => {
                self.location.ward = Some(name);
                false
            }
            WardMatch::Unmatched => {
                self.location.unmatched_ward = Some(sent);
                true
            }
        }
    }

    pub fn most_severe_injury(&self) -> Injury {
        self.victims.iter().map(|v| v.injury).max().unwrap_or(Injury::Unknown)
    }

    pub fn has(&self, flag: Flag) -> bool {
        self.flags.contains(&flag)
    }
}

pub(super) fn read_location(value: &Value, at: &str, errs: &mut Errors) -> Option<Location> {
    let obj = Object::new(value, at, errs)?;
    obj.deny_unknown(&["borough", "ward", "postcode_district", "latitude", "longitude"], errs);
    let borough = obj.required("borough", errs, v::simple(v::text(AreaName::parse)));
    // Any text is taken for the ward: it is matched against the licensee's
    // wards later, and a report is never refused over it.
    let ward = obj.optional("ward", errs, v::simple(|value| v::string(value).map(sent_ward)));
    let postcode_district = obj.optional("postcode_district", errs, v::simple(v::text(PostcodeDistrict::parse)));
    let latitude = obj.optional("latitude", errs, v::simple(v::number_in(-90.0, 90.0)));
    let longitude = obj.optional("longitude", errs, v::simple(v::number_in(-180.0, 180.0)));
    let coordinates = match (latitude?, longitude?) {
        (Some(latitude), Some(longitude)) => Some(Coordinates { latitude, longitude }),
        (None, None) => None,
        _ => {
            errs.add(at, "latitude and longitude must be given together");
            return None;
        }
    };
    Some(Location {
        borough: borough?,
        ward: None,
        postcode_district: postcode_district?,
        coordinates,
        unmatched_ward: ward?.flatten(),
    })
}

/// A sent ward as kept until it is matched: normalised, without control
/// characters, at most [`MAX_UNMATCHED_WARD`] characters; none if blank.
pub(super) fn sent_ward(text: &str) -> Option<String> {
    let clean: String = crate::domain::text::normalise(text).chars().filter(|c| !c.is_control()).collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    let kept: String = clean.chars().take(MAX_UNMATCHED_WARD).collect();
    (!kept.is_empty()).then_some(kept)
}

/// Victims in a fixed order: the order police list them in means nothing.
pub(super) fn sort_victims(victims: &mut [Victim]) {
    victims.sort_by(|a, b| (a.age_band.as_str(), a.injury.as_str()).cmp(&(b.age_band.as_str(), b.injury.as_str())));
}

pub(super) fn same_victims(a: &[Victim], b: &[Victim]) -> bool {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    sort_victims(&mut a);
    sort_victims(&mut b);
    a == b
}

pub(super) fn read_victim(value: &Value, at: &str, errs: &mut Errors) -> Option<Victim> {
    let obj = Object::new(value, at, errs)?;
    obj.deny_unknown(&["age_band", "injury"], errs);
    let age_band = obj.required("age_band", errs, v::simple(v::choice::<AgeBand>));
    let injury = obj.required("injury", errs, v::simple(v::choice::<Injury>));
    Some(Victim { age_band: age_band?, injury: injury? })
}

pub(super) fn read_flags(value: &Value, at: &str, errs: &mut Errors) -> Option<BTreeSet<Flag>> {
    let list = v::array_of(Flag::ALL.len() * 2, v::simple(v::choice::<Flag>))(value, at, errs)?;
    Some(list.into_iter().collect())
}

/// A list of area names: each parsed like the incident's own borough, at most
/// [`MAX_CONNECTED_AREAS`], sorted by key with repeats (in any spelling) dropped.
pub(super) fn read_connected_areas(value: &Value, at: &str, errs: &mut Errors) -> Option<Vec<AreaName>> {
    let list = v::array_of(MAX_CONNECTED_AREAS, v::simple(v::text(AreaName::parse)))(value, at, errs)?;
    Some(sorted_areas(list))
}

/// Areas sorted by key, each once.
pub(crate) fn sorted_areas(mut areas: Vec<AreaName>) -> Vec<AreaName> {
    areas.sort_by_key(AreaName::key);
    areas.dedup();
    areas
}
