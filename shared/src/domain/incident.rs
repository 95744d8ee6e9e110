//! Incidents as police report them. There is deliberately no field for the
//! name or any other identifying detail of a victim or suspect: personal data
//! lives apart, in sensitive records, and a report carrying it is refused.

use super::area::{AreaName, KnownWard, PostcodeDistrict, WardMatch};
use super::choice::Choice;
use super::validation::{self as v, Errors, FieldError, Object};
use crate::choice;
use crate::ids::{CallerId, IncidentId, LicenseeId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use time::{Duration, OffsetDateTime};

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

/// The longest unmatched ward text kept.
const MAX_UNMATCHED_WARD: usize = 80;

/// The police reference (CAD or crime number) as the force writes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PoliceReference(String);

impl PoliceReference {
    pub const MAX_LEN: usize = 32;

    /// A reference is a code ("CAD 1234/21NOV26", "01/123456/26"), never a
    /// note: at most 32 characters in at most three parts, never two words in a row, and
    /// nothing shaped like a date of birth or a full postcode. Messages carry
    /// it, so anything personal in it would reach every reader.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.trim();
        if !(3..=Self::MAX_LEN).contains(&s.len()) {
            return Err("must be 3 to 32 characters");
        }
        let parts: Vec<&str> = s.split(' ').collect();
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric())
            || !s.chars().all(|c| c.is_ascii_alphanumeric() || " /-_.:".contains(c))
            || parts.len() > 3
            || parts.iter().any(|p| p.is_empty())
        {
            return Err("must be the force's reference only: up to three parts separated by single spaces, \
                        starting with a letter or digit, of letters, digits and / - _ . :");
        }
        let wordy = |p: &&str| p.len() > 1 && p.bytes().all(|b| b.is_ascii_alphabetic());
        if parts.windows(2).any(|w| wordy(&w[0]) && wordy(&w[1])) {
            return Err("must be the force's reference only: two words in a row read as a name");
        }
        if looks_personal(s) {
            return Err("must be the force's reference only: it looks like it holds a date of birth or a \
                        postcode, and personal details must never be sent");
        }
        Ok(Self(s.to_owned()))
    }
}

/// Whether a reference holds a date-of-birth or full-postcode shape: "DOB",
/// a dotted or slashed day-month-year, an ISO date, or an outward code
/// followed by an inward code ("SW9 8AB", "SW98AB").
fn looks_personal(s: &str) -> bool {
    let upper = s.to_ascii_uppercase();
    let words: Vec<&str> = upper.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    if words.iter().any(|w| *w == "DOB" || *w == "BORN") || upper.contains("D.O.B") {
        return true;
    }
    // Numeric dates: runs of digits joined by one separator, read as d-m-y or y-m-d.
    for token in upper.split(' ') {
        for sep in ['.', '/', '-'] {
            let nums: Vec<&str> = token.split(sep).collect();
            for w in nums.windows(3) {
                let n = |t: &str| {
                    (!t.is_empty() && t.len() <= 4 && t.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| t.parse::<u32>().unwrap_or(0))
                };
                if let (Some(a), Some(b), Some(c)) = (n(w[0]), n(w[1]), n(w[2])) {
                    let dmy = (1..=31).contains(&a)
                        && w[0].len() <= 2
                        && (1..=12).contains(&b)
                        && w[1].len() <= 2
                        && (w[2].len() == 2 || w[2].len() == 4);
                    let ymd = w[0].len() == 4 && (1..=12).contains(&b) && (1..=31).contains(&c) && w[2].len() <= 2;
                    if dmy || ymd {
                        return true;
                    }
                }
            }
        }
    }
    // Full postcodes, with or without the space.
    let is_outward = |w: &str| PostcodeDistrict::parse(w).is_ok();
    let is_inward = |w: &str| {
        let b = w.as_bytes();
        b.len() == 3 && b[0].is_ascii_digit() && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphabetic()
    };
    let spaced: Vec<&str> = upper.split(' ').collect();
    if spaced.windows(2).any(|p| is_outward(p[0]) && is_inward(p[1])) {
        return true;
    }
    spaced.iter().flat_map(|t| t.split(['/', '-', '_', '.', ':'])).any(|w| {
        w.len() >= 5
            && w.len() <= 7
            && w.is_char_boundary(w.len() - 3)
            && is_inward(&w[w.len() - 3..])
            && is_outward(&w[..w.len() - 3])
    })
}

crate::text_newtype!(PoliceReference);

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
}

/// Allowance for clocks in police systems running ahead of SIM's.
const CLOCK_SKEW: Duration = Duration::minutes(15);
/// How old an incident may be when first reported, unless configured otherwise.
pub const DEFAULT_MAX_AGE: Duration = Duration::days(30);
const MAX_VICTIMS: usize = 50;

impl IncidentReport {
    pub const FIELDS: &'static [&'static str] =
        &["police_reference", "occurred_at", "reported_at", "location", "incident_type", "weapon", "victims", "flags"];

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

fn read_location(value: &Value, at: &str, errs: &mut Errors) -> Option<Location> {
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
fn sent_ward(text: &str) -> Option<String> {
    let clean: String = super::text::normalise(text).chars().filter(|c| !c.is_control()).collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    let kept: String = clean.chars().take(MAX_UNMATCHED_WARD).collect();
    (!kept.is_empty()).then_some(kept)
}

/// Victims in a fixed order: the order police list them in means nothing.
fn sort_victims(victims: &mut [Victim]) {
    victims.sort_by(|a, b| (a.age_band.as_str(), a.injury.as_str()).cmp(&(b.age_band.as_str(), b.injury.as_str())));
}

fn same_victims(a: &[Victim], b: &[Victim]) -> bool {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    sort_victims(&mut a);
    sort_victims(&mut b);
    a == b
}

fn read_victim(value: &Value, at: &str, errs: &mut Errors) -> Option<Victim> {
    let obj = Object::new(value, at, errs)?;
    obj.deny_unknown(&["age_band", "injury"], errs);
    let age_band = obj.required("age_band", errs, v::simple(v::choice::<AgeBand>));
    let injury = obj.required("injury", errs, v::simple(v::choice::<Injury>));
    Some(Victim { age_band: age_band?, injury: injury? })
}

fn read_flags(value: &Value, at: &str, errs: &mut Errors) -> Option<BTreeSet<Flag>> {
    let list = v::array_of(Flag::ALL.len() * 2, v::simple(v::choice::<Flag>))(value, at, errs)?;
    Some(list.into_iter().collect())
}

/// A police amendment to an incident: any of these fields, at least one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IncidentAmendment {
    pub incident_type: Option<IncidentType>,
    pub weapon: Option<Weapon>,
    /// The full, current list of victims (replaces the previous list).
    pub victims: Option<Vec<Victim>>,
    pub add_flags: BTreeSet<Flag>,
    pub remove_flags: BTreeSet<Flag>,
}

impl IncidentAmendment {
    pub const FIELDS: &'static [&'static str] = &["incident_type", "weapon", "victims", "add_flags", "remove_flags"];

    pub fn from_json(body: &Value) -> Result<Self, Vec<FieldError>> {
        let mut errs = Errors::default();
        let Some(obj) = Object::new(body, "", &mut errs) else {
            return errs.finish(None);
        };
        obj.deny_unknown(Self::FIELDS, &mut errs);
        if errs.is_empty() && !Self::FIELDS.iter().any(|f| obj.has(f)) {
            errs.add("", format!("must change at least one of: {}", Self::FIELDS.join(", ")));
        }
        let incident_type = obj.optional("incident_type", &mut errs, v::simple(v::choice::<IncidentType>));
        let weapon = obj.optional("weapon", &mut errs, v::simple(v::choice::<Weapon>));
        let victims = obj.optional("victims", &mut errs, v::array_of(MAX_VICTIMS, read_victim));
        let add_flags = obj.optional("add_flags", &mut errs, read_flags);
        let remove_flags = obj.optional("remove_flags", &mut errs, read_flags);
        if let (Some(Some(add)), Some(Some(remove))) = (&add_flags, &remove_flags) {
            if let Some(both) = add.intersection(remove).next() {
                errs.add("/remove_flags", format!("cannot add and remove {both} in one update"));
            }
        }
        let built = (|| {
            Some(IncidentAmendment {
                incident_type: incident_type?,
                weapon: weapon?,
                victims: victims?,
                add_flags: add_flags?.unwrap_or_default(),
                remove_flags: remove_flags?.unwrap_or_default(),
            })
        })();
        errs.finish(built)
    }

    /// The report with this update applied, and a plain description of each
    /// change (none when the update changes nothing, e.g. a police retry).
    pub fn apply(&self, report: &IncidentReport) -> (IncidentReport, Vec<String>) {
        let mut next = report.clone();
        let mut changes = Vec::new();
        if let Some(t) = self.incident_type.filter(|t| *t != report.incident_type) {
            changes.push(format!("incident type {} → {t}", report.incident_type));
            next.incident_type = t;
        }
        if let Some(w) = self.weapon.filter(|w| *w != report.weapon) {
            changes.push(format!("weapon {} → {w}", report.weapon));
            next.weapon = w;
        }
        if let Some(victims) = self.victims.as_ref().filter(|v| !same_victims(v, &report.victims)) {
            next.victims = victims.clone();
            changes.push(format!(
                "victims {} → {}, most severe injury {} → {}",
                report.victims.len(),
                next.victims.len(),
                report.most_severe_injury(),
                next.most_severe_injury()
            ));
        }
        for flag in &self.add_flags {
            if next.flags.insert(*flag) {
                changes.push(format!("flag added: {flag}"));
            }
        }
        for flag in &self.remove_flags {
            if next.flags.remove(flag) {
                changes.push(format!("flag removed: {flag}"));
            }
        }
        (next, changes)
    }
}

choice!(
    /// Why an incident is waiting to be handed on for categorisation.
    HandoffReason {
        Reported = "reported",
        Amended = "amended",
    }
);

/// Set while an incident has a change not yet handed on for categorisation;
/// the sweeper finds such incidents through a sparse index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingHandoff {
    pub reason: HandoffReason,
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-21 02:10 UTC);

    fn valid() -> Value {
        json!({
            "police_reference": "CAD 1234/21NOV26",
            "occurred_at": "2026-11-21T01:50:00Z",
            "location": {"borough": "Lambeth", "ward": "Brixton North", "postcode_district": "sw9",
                         "latitude": 51.46, "longitude": -0.115},
            "incident_type": "stabbing",
            "weapon": "knife",
            "victims": [{"age_band": "14-17", "injury": "life_threatening"}],
            "flags": ["retaliation_risk", "near_school"]
        })
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_valid_report_parses_with_defaults() {
        let r = IncidentReport::from_json(&valid(), NOW).unwrap();
        assert_eq!(r.location.postcode_district.as_ref().unwrap().as_str(), "SW9");
        assert_eq!(r.most_severe_injury(), Injury::LifeThreatening);
        assert!(r.has(Flag::NearSchool));
        let mut minimal = valid();
        for k in ["weapon", "victims", "flags"] {
            minimal.as_object_mut().unwrap().remove(k);
        }
        let r = IncidentReport::from_json(&minimal, NOW).unwrap();
        assert_eq!((r.weapon, r.victims.len(), r.flags.len()), (Weapon::Unknown, 0, 0));
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let body = json!({
            "police_reference": "",
            "occurred_at": "yesterday",
            "location": {"borough": "Lambeth", "postcode_district": "SW9 8AB", "latitude": 51.4},
            "incident_type": "mugging",
            "victims": [{"age_band": "14-17", "injury": "bad", "name": "Jo Bloggs"}],
            "flags": ["near_school", "loud"],
            "suspect_name": "X"
        });
        let errors = IncidentReport::from_json(&body, NOW).unwrap_err();
        assert_eq!(
            fields(&errors),
            vec![
                "/suspect_name",
                "/police_reference",
                "/occurred_at",
                "/location/postcode_district",
                "/location",
                "/incident_type",
                "/victims/0/name",
                "/victims/0/injury",
                "/flags/1",
            ]
        );
        let type_error = errors.iter().find(|e| e.field == "/incident_type").unwrap();
        assert!(type_error.message.contains("stabbing, shooting"));
        let name_error = errors.iter().find(|e| e.field == "/victims/0/name").unwrap();
        assert!(name_error.message.contains("personal details"));
    }

    #[test]
    fn missing_fields_and_impossible_times_are_refused() {
        let errors = IncidentReport::from_json(&json!({}), NOW).unwrap_err();
        assert_eq!(fields(&errors), vec!["/police_reference", "/occurred_at", "/location", "/incident_type"]);
        let mut future = valid();
        future["occurred_at"] = json!("2026-11-21T03:00:00Z");
        future["reported_at"] = json!("2026-11-21T01:00:00Z");
        let errors = IncidentReport::from_json(&future, NOW).unwrap_err();
        assert_eq!(fields(&errors), vec!["/occurred_at", "/reported_at"]);
        assert_eq!(fields(&IncidentReport::from_json(&json!([1]), NOW).unwrap_err()), vec![""]);
    }

    #[test]
    fn the_fingerprint_ignores_layout_but_not_content() {
        let a = IncidentReport::from_json(&valid(), NOW).unwrap();
        let reordered: Value = serde_json::from_str(&valid().to_string()).unwrap();
        let mut flags_swapped = reordered.clone();
        flags_swapped["flags"] = json!(["near_school", "retaliation_risk"]);
        assert_eq!(a.fingerprint(), IncidentReport::from_json(&flags_swapped, NOW).unwrap().fingerprint());
        let mut changed = valid();
        changed["weapon"] = json!("firearm");
        assert_ne!(a.fingerprint(), IncidentReport::from_json(&changed, NOW).unwrap().fingerprint());
    }

    #[test]
    fn placeholder_and_old_dates_are_refused_within_a_configurable_window() {
        for placeholder in ["1900-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "2026-10-21T02:09:00Z"] {
            let mut body = valid();
            body["occurred_at"] = json!(placeholder);
            let errors = IncidentReport::from_json(&body, NOW).unwrap_err();
            assert_eq!(fields(&errors), vec!["/occurred_at"], "{placeholder}");
            assert!(errors[0].message.contains("within the last 30 days"), "{}", errors[0].message);
        }
        let mut recent = valid();
        recent["occurred_at"] = json!("2026-10-22T02:10:00Z");
        assert!(IncidentReport::from_json(&recent, NOW).is_ok());
        let errors = IncidentReport::from_json_within(&recent, NOW, Duration::days(7)).unwrap_err();
        assert!(errors[0].message.contains("within the last 7 days"));
    }

    #[test]
    fn police_references_are_codes_not_notes() {
        for ok in ["CAD 1234/21NOV26", "CAD1234/21NOV26", "01/123456/26", "REF-1", "CRIS 3012345/26", "KP-2026-000123"]
        {
            assert!(PoliceReference::parse(ok).is_ok(), "{ok} refused");
        }
        for personal in [
            "CAD 1234 JO BLOGGS DOB 01.02.2011",
            "CAD 1234 DOB",
            "CAD 1234 01.02.2011",
            "CAD 1234 1/2/11",
            "REF 2011-02-01",
            "CAD 1234 SW9 8AB",
            "CAD1234/SW98AB",
            "CAD 1234/21NOV26 JO BLOGGS",
            "JO BLOGGS",
            &"9".repeat(33),
        ] {
            assert!(PoliceReference::parse(personal).is_err(), "{personal} accepted");
        }
        let message = PoliceReference::parse("CAD 1 SW9 8AB").unwrap_err();
        assert!(!message.contains("SW9"), "the refusal never echoes the value");
    }

    #[test]
    fn a_retry_re_serialised_has_the_same_fingerprint() {
        let mut body = valid();
        body["victims"] = json!([{"age_band": "14-17", "injury": "serious"}, {"age_band": "18-24", "injury": "minor"}]);
        let a = IncidentReport::from_json(&body, NOW).unwrap();
        let mut offset = body.clone();
        offset["occurred_at"] = json!("2026-11-21T02:50:00+01:00");
        let mut reordered = body.clone();
        reordered["victims"] =
            json!([{"age_band": "18-24", "injury": "minor"}, {"age_band": "14-17", "injury": "serious"}]);
        assert_eq!(a.fingerprint(), IncidentReport::from_json(&offset, NOW).unwrap().fingerprint());
        assert_eq!(a.fingerprint(), IncidentReport::from_json(&reordered, NOW).unwrap().fingerprint());
        let mut later = body.clone();
        later["occurred_at"] = json!("2026-11-21T01:50:00+01:00");
        assert_ne!(a.fingerprint(), IncidentReport::from_json(&later, NOW).unwrap().fingerprint());
    }

    #[test]
    fn a_ward_is_kept_only_if_the_licensee_knows_it_and_never_refused() {
        let known =
            vec![KnownWard { name: AreaName::parse("Brixton North").unwrap(), ons_code: Some("E05014086".into()) }];
        let mut body = valid();
        body["location"]["ward"] = json!("brixton  north");
        let mut r = IncidentReport::from_json(&body, NOW).unwrap();
        assert!(!r.match_ward(&known));
        assert_eq!((r.location.ward.unwrap().as_str(), r.location.unmatched_ward), ("Brixton North", None));
        for personal in
            ["Brixton North victim Jo Bloggs aged 15", "outside 12 Acre Lane", "SW9 8AB", "Jo <b>Bloggs</b>"]
        {
            body["location"]["ward"] = json!(personal);
            let mut r = IncidentReport::from_json(&body, NOW).unwrap();
            assert!(r.match_ward(&known), "{personal}");
            assert_eq!(r.location.ward, None);
            assert_eq!(r.location.unmatched_ward.as_deref(), Some(personal));
        }
    }

    #[test]
    fn amendments_describe_what_changed_and_a_repeat_changes_nothing() {
        let report = IncidentReport::from_json(&valid(), NOW).unwrap();
        let update = IncidentAmendment::from_json(&json!({
            "victims": [{"age_band": "14-17", "injury": "fatal"}],
            "add_flags": ["critical_incident_declared"]
        }))
        .unwrap();
        let (next, changes) = update.apply(&report);
        assert_eq!(next.most_severe_injury(), Injury::Fatal);
        assert_eq!(
            changes,
            vec![
                "victims 1 → 1, most severe injury life_threatening → fatal",
                "flag added: critical_incident_declared"
            ]
        );
        let (again, none) = update.apply(&next);
        assert_eq!((again, none.len()), (next.clone(), 0));
        // The same victims listed in another order are no change either.
        let two = IncidentAmendment::from_json(&json!({"victims": [
            {"age_band": "14-17", "injury": "fatal"}, {"age_band": "25-34", "injury": "minor"}]}))
        .unwrap();
        let (with_two, _) = two.apply(&next);
        let reordered = IncidentAmendment::from_json(&json!({"victims": [
            {"age_band": "25-34", "injury": "minor"}, {"age_band": "14-17", "injury": "fatal"}]}))
        .unwrap();
        assert!(reordered.apply(&with_two).1.is_empty());
    }

    #[test]
    fn empty_or_contradictory_amendments_are_refused() {
        let e = IncidentAmendment::from_json(&json!({})).unwrap_err();
        assert!(e[0].message.contains("at least one"));
        let e = IncidentAmendment::from_json(&json!({"add_flags": ["near_school"], "remove_flags": ["near_school"]}))
            .unwrap_err();
        assert_eq!(fields(&e), vec!["/remove_flags"]);
        let e = IncidentAmendment::from_json(&json!({"victim_name": "x"})).unwrap_err();
        assert_eq!(fields(&e), vec!["/victim_name"]);
    }
}
