//! Subject records: the people an incident is about (victim, suspect,
//! witness, associate), held only in the personal-data vault, sealed.
//!
//! Reading is as strict as intake's: unknown fields refused, every problem
//! named by its JSON Pointer, and no message ever repeats a value sent.
//! Debug never prints a personal value either, so a stray `{:?}` in a log
//! line shows which fields are present and nothing more.

use super::text::normalise;
use super::validation::{self as v, Errors, FieldError, Object};
use crate::choice;
use crate::ids::CallerId;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;
use std::fmt;
use time::macros::format_description;
use time::Date;

choice!(
    /// The person's part in the incident.
    SubjectRole {
        Victim = "victim",
        Suspect = "suspect",
        Witness = "witness",
        Associate = "associate",
    }
);

choice!(
    /// Safeguarding flags, from a closed list so no free text rides along.
    SafeguardingFlag {
        Child = "child",
        LookedAfterChild = "looked_after_child",
        ChildProtectionPlan = "child_protection_plan",
        SpecialEducationalNeeds = "special_educational_needs",
        VulnerableAdult = "vulnerable_adult",
        RiskOfExploitation = "risk_of_exploitation",
        DomesticAbuse = "domestic_abuse",
        MentalHealth = "mental_health",
    }
);

/// Free text about a person: never printed by Debug.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonalText(String);

impl PersonalText {
    /// NFC-normalised and trimmed; 1 to `max` characters; no control characters.
    pub fn parse(input: &str, max: usize) -> Result<Self, String> {
        let text = normalise(input).trim().to_owned();
        let chars = text.chars().count();
        if chars == 0 {
            return Err("must not be empty".into());
        }
        if chars > max {
            return Err(format!("must be at most {max} characters"));
        }
        if text.chars().any(|c| c.is_control() && c != '\n') || super::text::strip_invisible_controls(&text) != text {
            return Err("must not contain control or invisible characters".into());
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<personal>")
    }
}

/// A UK postcode, upper case with one space before the inward code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Postcode(String);

impl Postcode {
    pub fn parse(input: &str) -> Result<Self, String> {
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let ok = (5..=7).contains(&compact.len()) && compact.is_ascii() && {
            let (outward, inward) = compact.split_at(compact.len() - 3);
            let inward = inward.as_bytes();
            outward.as_bytes()[0].is_ascii_alphabetic()
                && outward.bytes().all(|b| b.is_ascii_alphanumeric())
                && inward[0].is_ascii_digit()
                && inward[1..].iter().all(u8::is_ascii_alphabetic)
        };
        if !ok {
            return Err("must be a UK postcode, e.g. SE11 5QY".into());
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        Ok(Self(format!("{outward} {inward}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<personal>")
    }
}

/// Who added a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SubjectSource {
    /// A police system through `POST /v1/incidents/{id}/subjects`.
    Police { caller_id: CallerId },
    /// Council staff in the console.
    Council { staff_id: String },
}

/// What is known about one person in one incident. Sealed as a whole.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectRecord {
    pub role: SubjectRole,
    pub name: PersonalText,
    pub date_of_birth: Option<Date>,
    pub address: Option<PersonalText>,
    pub postcode: Option<Postcode>,
    pub school: Option<PersonalText>,
    #[serde(default)]
    pub safeguarding_flags: Vec<SafeguardingFlag>,
    pub note: Option<PersonalText>,
    pub source: SubjectSource,
}

impl fmt::Debug for SubjectRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubjectRecord")
            .field("role", &self.role)
            .field("fields", &self.present_fields())
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

const NAME_MAX: usize = 200;
const ADDRESS_MAX: usize = 300;
const SCHOOL_MAX: usize = 200;
const NOTE_MAX: usize = 500;

impl SubjectRecord {
    pub const FIELDS: &'static [&'static str] =
        &["role", "name", "date_of_birth", "address", "postcode", "school", "safeguarding_flags", "note"];

    /// Reads a request body. `today` bounds the date of birth.
    pub fn from_json(body: &Value, today: Date, source: SubjectSource) -> Result<Self, Vec<FieldError>> {
        let mut errs = Errors::default();
        let Some(obj) = Object::new(body, "", &mut errs) else {
            return errs.finish(None);
        };
        deny_unknown(&obj, body, &mut errs);
        let text = |max: usize| v::simple(move |v: &Value| PersonalText::parse(v::string(v)?, max));
        let role = obj.required("role", &mut errs, v::simple(v::choice::<SubjectRole>));
        let name = obj.required("name", &mut errs, text(NAME_MAX));
        let date_of_birth = obj.optional("date_of_birth", &mut errs, v::simple(|v| date_of_birth(v, today)));
        let address = obj.optional("address", &mut errs, text(ADDRESS_MAX));
        let postcode = obj.optional("postcode", &mut errs, v::simple(|v| Postcode::parse(v::string(v)?)));
        let school = obj.optional("school", &mut errs, text(SCHOOL_MAX));
        let flags =
            obj.optional("safeguarding_flags", &mut errs, v::array_of(8, v::simple(v::choice::<SafeguardingFlag>)));
        let note = obj.optional("note", &mut errs, text(NOTE_MAX));
        let built = (|| {
            let mut safeguarding_flags = flags?.unwrap_or_default();
            safeguarding_flags.sort();
            safeguarding_flags.dedup();
            Some(SubjectRecord {
                role: role?,
                name: name?,
                date_of_birth: date_of_birth?,
                address: address?,
                postcode: postcode?,
                school: school?,
                safeguarding_flags,
                note: note?,
                source,
            })
        })();
        errs.finish(built)
    }

    /// The names of the fields that hold a value: what an access-log entry
    /// records as shown, and all Debug prints.
    pub fn present_fields(&self) -> Vec<&'static str> {
        let mut out = vec!["role", "name"];
        for (name, present) in [
            ("date_of_birth", self.date_of_birth.is_some()),
            ("address", self.address.is_some()),
            ("postcode", self.postcode.is_some()),
            ("school", self.school.is_some()),
            ("safeguarding_flags", !self.safeguarding_flags.is_empty()),
            ("note", self.note.is_some()),
        ] {
            if present {
                out.push(name);
            }
        }
        out
    }
}

/// Unknown fields are refused by pointer; a key that is not a plain field
/// name (it may itself be personal data) is not echoed.
fn deny_unknown(obj: &Object<'_>, body: &Value, errs: &mut Errors) {
    let Value::Object(map) = body else { return };
    let mut unknown = 0;
    for key in map.keys().filter(|k| !SubjectRecord::FIELDS.contains(&k.as_str())) {
        let plain = key.len() <= 40 && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        if plain {
            errs.add(&obj.pointer(key), "is not a field of a subject record");
        } else {
            unknown += 1;
        }
    }
    if unknown > 0 {
        errs.add("", format!("has {unknown} field(s) that are not fields of a subject record"));
    }
}

fn date_of_birth(v: &Value, today: Date) -> Result<Date, String> {
    let date = Date::parse(v::string(v)?, format_description!("[year]-[month]-[day]"))
        .map_err(|_| "must be a date, e.g. 2009-04-17".to_owned())?;
    if date > today {
        return Err("must not be in the future".into());
    }
    if date.year() < 1900 {
        return Err("must not be before 1900".into());
    }
    Ok(date)
}

/// A keyed blind index of a person: HMAC-SHA256 of their normalised name
/// and date of birth under a per-deployment key (SSM), so the data
/// protection officer can find every record about one person without
/// decrypting every record, and the index alone reveals nothing.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BlindIndex(String);

impl BlindIndex {
    pub fn of(key: &[u8], name: &str, date_of_birth: Option<Date>) -> Self {
        // Case, accents, punctuation and spacing do not make another person.
        let folded: String = super::text::transliterate_gsm7(&normalise(name))
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let dob = date_of_birth.map(|d| d.to_string()).unwrap_or_default();
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(folded.as_bytes());
        mac.update(b"\x1f");
        mac.update(dob.as_bytes());
        Self(hex::encode(mac.finalize().into_bytes()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlindIndex({}..)", &self.0[..8.min(self.0.len())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::date;

    fn police() -> SubjectSource {
        SubjectSource::Police { caller_id: CallerId::parse("met-cad").unwrap() }
    }

    #[test]
    fn reads_a_full_record_and_debug_hides_every_value() {
        let body = json!({
            "role": "victim", "name": " Zebedee  Quux ", "date_of_birth": "2009-04-17",
            "address": "1 Canary Row", "postcode": "se115qy", "school": "Quux Academy",
            "safeguarding_flags": ["child", "child"], "note": "Quux note"
        });
        let record = SubjectRecord::from_json(&body, date!(2026 - 11 - 22), police()).unwrap();
        assert_eq!(record.name.as_str(), "Zebedee  Quux");
        assert_eq!(record.postcode.as_ref().unwrap().as_str(), "SE11 5QY");
        assert_eq!(record.safeguarding_flags, vec![SafeguardingFlag::Child]);
        let debug = format!("{record:?}");
        for secret in ["Zebedee", "Quux", "Canary", "SE11", "2009"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(debug.contains("Victim") && debug.contains("postcode"), "{debug}");
    }

    #[test]
    fn refusals_name_fields_and_never_repeat_values() {
        let body = json!({
            "role": "Zebedee", "name": "", "date_of_birth": "Zebedee-01", "postcode": "Zebedee",
            "safeguarding_flags": ["Zebedee"], "nickname": "Zebedee", "Zebedee Quux": 1
        });
        let errors = SubjectRecord::from_json(&body, date!(2026 - 11 - 22), police()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in ["/role", "/name", "/date_of_birth", "/postcode", "/safeguarding_flags/0", "/nickname", ""] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        let text = serde_json::to_string(&errors).unwrap();
        assert!(!text.contains("Zebedee"), "{text}");
        let future = json!({"role": "witness", "name": "A", "date_of_birth": "2030-01-01"});
        assert!(SubjectRecord::from_json(&future, date!(2026 - 11 - 22), police()).is_err());
        assert!(SubjectRecord::from_json(&json!({"role": "witness"}), date!(2026 - 11 - 22), police()).is_err());
    }

    #[test]
    fn the_blind_index_matches_one_person_however_written_and_needs_the_key() {
        let dob = Some(date!(2009 - 04 - 17));
        let a = BlindIndex::of(b"key", "Zoë  O'Brien", dob);
        assert_eq!(a, BlindIndex::of(b"key", "zoe o brien", dob));
        assert_ne!(a, BlindIndex::of(b"key", "Zoe O'Brien", Some(date!(2009 - 04 - 18))));
        assert_ne!(a, BlindIndex::of(b"other", "Zoe O'Brien", dob));
        assert!(!format!("{a:?}").contains(a.as_str()));
    }
}
