//! Places: boroughs and wards by name, postcode districts.

use serde::{Deserialize, Serialize};

/// A borough, district or ward name as police and councils write it
/// ("Tower Hamlets", "Barking and Dagenham"). Compared by its key, so
/// "tower hamlets" and "Tower  Hamlets" are the same area.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaName(String);

impl AreaName {
    /// Normalised first (NFC, typographic punctuation as plain: "St John’s" is
    /// "St John's"), then held to Latin letters, digits and `space - ' & , . ( )`:
    /// British place names need nothing else, and Cyrillic look-alikes or
    /// full-width letters would only ever fail to match a known area.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let normalised = super::text::normalise(input);
        let s = normalised.split_whitespace().collect::<Vec<_>>().join(" ");
        if !(2..=80).contains(&s.chars().count()) {
            return Err("must be 2 to 80 characters");
        }
        if !s.chars().all(|c| is_latin_letter(c) || c.is_ascii_digit() || " -'&,.()".contains(c)) {
            return Err("must contain only Latin letters, digits, spaces and - ' & , . ( )");
        }
        Ok(Self(s))
    }

    /// Stable lookup key: lower-case words joined by hyphens, "&" read as "and",
    /// without the forms councils add to a name ("London Borough of Lambeth",
    /// "Maidstone Borough Council" and "Lambeth" have one key).
    pub fn key(&self) -> String {
        let words: Vec<String> = self
            .0
            .to_lowercase()
            .replace('&', " and ")
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        let mut words: &[String] = &words;
        for prefix in COUNCIL_PREFIXES {
            if words.len() > prefix.len() && words.iter().zip(prefix.iter()).all(|(w, p)| w == p) {
                words = &words[prefix.len()..];
                break;
            }
        }
        for suffix in COUNCIL_SUFFIXES {
            if words.len() > suffix.len() && words.iter().rev().zip(suffix.iter().rev()).all(|(w, p)| w == p) {
                words = &words[..words.len() - suffix.len()];
                break;
            }
        }
        words.join("-")
    }

    /// Whether this is a GSS (ONS) code such as E09000022 rather than a name.
    pub fn is_ons_code(&self) -> bool {
        is_ons_code(&self.0)
    }
}

/// Forms a council's name takes around the place name, longest first. "City
/// of" is deliberately absent: "City of London" is a place's whole name.
const COUNCIL_PREFIXES: &[&[&str]] = &[
    &["the", "london", "borough", "of"],
    &["london", "borough", "of"],
    &["the", "royal", "borough", "of"],
    &["royal", "borough", "of"],
    &["metropolitan", "borough", "of"],
    &["borough", "of"],
];
const COUNCIL_SUFFIXES: &[&[&str]] = &[
    &["london", "borough", "council"],
    &["metropolitan", "borough", "council"],
    &["borough", "council"],
    &["district", "council"],
    &["city", "council"],
    &["county", "council"],
    &["council"],
];

/// Latin letters, with their accents: what British place names are written in.
pub fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || (('\u{C0}'..='\u{24F}').contains(&c) && c != '×' && c != '÷')
}

/// A GSS code as ONS publishes it: a letter, then eight digits (E09000022).
pub fn is_ons_code(s: &str) -> bool {
    let b = s.trim().as_bytes();
    b.len() == 9
        && matches!(b[0].to_ascii_uppercase(), b'E' | b'W' | b'S' | b'N')
        && b[1..].iter().all(u8::is_ascii_digit)
}

/// A ward a licensee knows, with its ONS code where the council gave one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownWard {
    pub name: AreaName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ons_code: Option<String>,
}

/// A ward as police sent it, matched against the licensee's known wards.
#[derive(Debug, Clone, PartialEq)]
pub enum WardMatch {
    /// One of the licensee's wards: its name as the licensee writes it.
    Known(AreaName),
    /// Not a ward the licensee knows. Stored for operators, never put in
    /// messages: free text here has carried names, addresses and postcodes.
    Unmatched,
}

impl KnownWard {
    /// The known ward `sent` names, by name (in any of its usual forms) or by ONS code.
    pub fn find<'w>(wards: &'w [KnownWard], sent: &str) -> Option<&'w KnownWard> {
        let sent = sent.trim();
        if is_ons_code(sent) {
            return wards.iter().find(|w| w.ons_code.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(sent)));
        }
        let name = AreaName::parse(sent).ok()?;
        let key = name.key();
        let key = key.strip_suffix("-ward").unwrap_or(&key);
        wards.iter().find(|w| w.name.key() == key)
    }

    pub fn classify(wards: &[KnownWard], sent: &str) -> WardMatch {
        match Self::find(wards, sent) {
            Some(ward) => WardMatch::Known(ward.name.clone()),
            None => WardMatch::Unmatched,
        }
    }
}

impl PartialEq for AreaName {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for AreaName {}

crate::text_newtype!(AreaName);

/// The outward half of a UK postcode ("SW9", "EC1A"). A full postcode can
/// point at a home, so SIM refuses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PostcodeDistrict(String);

impl PostcodeDistrict {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.trim().to_ascii_uppercase();
        if s.contains(' ') {
            return Err("must be the postcode district only (e.g. SW9), not a full postcode");
        }
        let b = s.as_bytes();
        let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
        let rest = &b[letters..];
        let ok = (1..=2).contains(&letters)
            && !rest.is_empty()
            && rest[0].is_ascii_digit()
            && rest.len() <= 2
            && rest.iter().all(|c| c.is_ascii_alphanumeric());
        if ok {
            Ok(Self(s))
        } else if s.len() > 4 {
            Err("must be the postcode district only (e.g. SW9), not a full postcode")
        } else {
            Err("must be a UK postcode district such as SW9, E1 or EC1A")
        }
    }
}

crate::text_newtype!(PostcodeDistrict);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_names_compare_by_key() {
        let a = AreaName::parse("Barking & Dagenham").unwrap();
        let b = AreaName::parse("barking  and dagenham").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.key(), "barking-and-dagenham");
        assert!(AreaName::parse("x").is_err());
        assert!(AreaName::parse("Lambeth<script>").is_err());
    }

    #[test]
    fn common_forms_of_a_council_name_share_a_key() {
        let lambeth = AreaName::parse("Lambeth").unwrap();
        for form in ["London Borough of Lambeth", "the London Borough of Lambeth", "Lambeth Council", "LAMBETH"] {
            assert_eq!(AreaName::parse(form).unwrap(), lambeth, "{form}");
        }
        let maidstone = AreaName::parse("Maidstone").unwrap();
        assert_eq!(AreaName::parse("Maidstone Borough Council").unwrap(), maidstone);
        assert_eq!(AreaName::parse("Royal Borough of Greenwich").unwrap().key(), "greenwich");
        // A name that is only the council form is kept whole, and "City of" is part of a name.
        assert_eq!(AreaName::parse("Council").unwrap().key(), "council");
        assert_eq!(AreaName::parse("City of London").unwrap().key(), "city-of-london");
        assert!(AreaName::parse("E09000022").unwrap().is_ons_code());
        assert!(!AreaName::parse("Lambeth").unwrap().is_ons_code());
    }

    #[test]
    fn area_names_are_normalised_and_held_to_latin_script() {
        assert_eq!(AreaName::parse("St John\u{2019}s").unwrap().as_str(), "St John's");
        assert_eq!(AreaName::parse("Ke\u{0301}nnington").unwrap().as_str(), "Kénnington");
        assert!(AreaName::parse("Châtelet").is_ok());
        // Cyrillic "а" in place of Latin "a"; full-width letters.
        assert!(AreaName::parse("L\u{0430}mbeth").is_err());
        assert!(AreaName::parse("\u{FF2E}\u{FF4F}\u{FF52}\u{FF54}\u{FF48}").is_err());
    }

    #[test]
    fn wards_match_by_name_form_or_ons_code_and_anything_else_is_unmatched() {
        let wards = vec![
            KnownWard { name: AreaName::parse("Brixton Acre Lane").unwrap(), ons_code: Some("E05014085".into()) },
            KnownWard { name: AreaName::parse("Myatt's Fields").unwrap(), ons_code: None },
        ];
        let known = |n: &str| WardMatch::Known(AreaName::parse(n).unwrap());
        assert_eq!(KnownWard::classify(&wards, "brixton acre lane"), known("Brixton Acre Lane"));
        assert_eq!(KnownWard::classify(&wards, "Brixton Acre Lane ward"), known("Brixton Acre Lane"));
        assert_eq!(KnownWard::classify(&wards, "e05014085"), known("Brixton Acre Lane"));
        assert_eq!(KnownWard::classify(&wards, "Myatt\u{2019}s Fields"), known("Myatt's Fields"));
        for personal in
            ["Brixton Acre Lane victim Jo Bloggs aged 15", "outside 12 Acre Lane", "SW9 8AB", "E05099999", "<b>"]
        {
            assert_eq!(KnownWard::classify(&wards, personal), WardMatch::Unmatched, "{personal}");
        }
    }

    #[test]
    fn postcode_districts_only() {
        for ok in ["SW9", "e1", "EC1A", "W1D", "N17"] {
            assert!(PostcodeDistrict::parse(ok).is_ok(), "{ok} refused");
        }
        assert_eq!(PostcodeDistrict::parse("sw9").unwrap().as_str(), "SW9");
        let full = PostcodeDistrict::parse("SW9 8AB").unwrap_err();
        assert!(full.contains("not a full postcode"));
        assert!(PostcodeDistrict::parse("SW98AB").unwrap_err().contains("not a full postcode"));
        assert!(PostcodeDistrict::parse("9SW").is_err());
    }
}
