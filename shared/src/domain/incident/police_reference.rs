//! The police reference: a code, never a note that could carry personal data.

use crate::domain::area::PostcodeDistrict;
use serde::{Deserialize, Serialize};

/// The longest unmatched ward text kept.
pub(super) const MAX_UNMATCHED_WARD: usize = 80;

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
pub(super) fn looks_personal(s: &str) -> bool {
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
