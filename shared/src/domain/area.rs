//! Places: boroughs and wards by name, postcode districts.

use serde::{Deserialize, Serialize};

/// A borough, district or ward name as police and councils write it
/// ("Tower Hamlets", "Barking and Dagenham"). Compared by its key, so
/// "tower hamlets" and "Tower  Hamlets" are the same area.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaName(String);

impl AreaName {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if !(2..=80).contains(&s.chars().count()) {
            return Err("must be 2 to 80 characters");
        }
        if !s.chars().all(|c| c.is_alphanumeric() || " -'&,.()".contains(c)) {
            return Err("must contain only letters, digits, spaces and - ' & , . ( )");
        }
        Ok(Self(s))
    }

    /// Stable lookup key: lower-case words joined by hyphens, "&" read as "and".
    pub fn key(&self) -> String {
        self.0
            .to_lowercase()
            .replace('&', " and ")
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("-")
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
