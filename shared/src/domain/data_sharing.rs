//! A licensee's data-sharing agreement as the personal-data vault applies it:
//! which console roles may view records, which lawful conditions a reader may
//! choose from, and how many months records are kept after the incident
//! closes. Configured on the licensee (`data_sharing` in its JSON); the
//! defaults below apply where a licensee has none.

use super::staff::ConsoleRole;
use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};

/// Months records are kept after the incident closes, unless configured.
pub const DEFAULT_RETENTION_MONTHS: u16 = 12;
/// The longest retention a licensee may configure (ten years).
pub const MAX_RETENTION_MONTHS: u16 = 120;

/// A lawful condition's identifier, e.g. `dpa2018_sch1_para18_safeguarding`:
/// lower case letters, digits and underscores, 3 to 80 characters, so it
/// can never carry free text into the access log.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LawfulCondition(String);

impl LawfulCondition {
    pub fn parse(input: &str) -> Result<Self, String> {
        let ok = (3..=80).contains(&input.len())
            && input.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(input.to_owned()))
        } else {
            Err("a lawful condition must be 3 to 80 lower-case letters, digits or underscores".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LawfulCondition {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<LawfulCondition> for String {
    fn from(c: LawfulCondition) -> String {
        c.0
    }
}

/// The agreement, checked when read: at least one role and one condition,
/// no repeats, retention 1 to 120 months.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawDataSharing", into = "RawDataSharing")]
pub struct DataSharing {
    roles: Vec<ConsoleRole>,
    lawful_conditions: Vec<LawfulCondition>,
    retention_months: u16,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataSharing {
    #[serde(default = "default_roles")]
    roles: Vec<ConsoleRole>,
    #[serde(default = "default_conditions")]
    lawful_conditions: Vec<LawfulCondition>,
    #[serde(default = "default_retention")]
    retention_months: u16,
}

fn default_roles() -> Vec<ConsoleRole> {
    vec![ConsoleRole::Dpo]
}

fn default_conditions() -> Vec<LawfulCondition> {
    [
        "dpa2018_sch1_para10_preventing_crime",
        "dpa2018_sch1_para18_safeguarding",
        "dpa2018_part3_law_enforcement",
        "serious_violence_duty_s16",
    ]
    .iter()
    .map(|c| LawfulCondition(c.to_string()))
    .collect()
}

fn default_retention() -> u16 {
    DEFAULT_RETENTION_MONTHS
}

impl TryFrom<RawDataSharing> for DataSharing {
    type Error = String;
    fn try_from(raw: RawDataSharing) -> Result<Self, String> {
        Self::new(raw.roles, raw.lawful_conditions, raw.retention_months)
    }
}

impl From<DataSharing> for RawDataSharing {
    fn from(d: DataSharing) -> Self {
        RawDataSharing { roles: d.roles, lawful_conditions: d.lawful_conditions, retention_months: d.retention_months }
    }
}

impl Default for DataSharing {
    fn default() -> Self {
        Self {
            roles: default_roles(),
            lawful_conditions: default_conditions(),
            retention_months: DEFAULT_RETENTION_MONTHS,
        }
    }
}

impl DataSharing {
    pub fn new(
        mut roles: Vec<ConsoleRole>,
        lawful_conditions: Vec<LawfulCondition>,
        retention_months: u16,
    ) -> Result<Self, String> {
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            return Err("the data-sharing agreement must list at least one role".into());
        }
        if lawful_conditions.is_empty() {
            return Err("the data-sharing agreement must list at least one lawful condition".into());
        }
        let mut seen = lawful_conditions.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != lawful_conditions.len() {
            return Err("the data-sharing agreement lists a lawful condition twice".into());
        }
        if !(1..=MAX_RETENTION_MONTHS).contains(&retention_months) {
            return Err(format!("retention_months must be 1 to {MAX_RETENTION_MONTHS}"));
        }
        Ok(Self { roles, lawful_conditions, retention_months })
    }

    pub fn roles(&self) -> &[ConsoleRole] {
        &self.roles
    }

    pub fn lawful_conditions(&self) -> &[LawfulCondition] {
        &self.lawful_conditions
    }

    pub fn retention_months(&self) -> u16 {
        self.retention_months
    }
}

/// An incident still open this many months after its first record is
/// treated as closed then: no record is kept for ever.
pub const OPEN_LIMIT_MONTHS: u16 = 24;

/// `at` plus whole calendar months, the day clamped to the month's end
/// (31 January + 1 month = 28 or 29 February).
pub fn months_after(at: OffsetDateTime, months: u16) -> OffsetDateTime {
    let total = at.year() * 12 + (at.month() as i32 - 1) + i32::from(months);
    let (year, month) = (total.div_euclid(12), Month::try_from((total.rem_euclid(12) + 1) as u8).expect("1 to 12"));
    let day = at.day().min(month.length(year));
    let date = Date::from_calendar_date(year, month, day).expect("a clamped day is valid");
    at.replace_date(date)
}

impl DataSharing {
    /// When the records of an incident are past retention: `retention_months`
    /// after its closing, or after `OPEN_LIMIT_MONTHS` from its first record
    /// while it stays open.
    pub fn retain_until(&self, first_record: OffsetDateTime, closed_at: Option<OffsetDateTime>) -> OffsetDateTime {
        let start = closed_at.unwrap_or_else(|| months_after(first_record, OPEN_LIMIT_MONTHS));
        months_after(start, self.retention_months)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn retention_counts_calendar_months_from_the_closing() {
        let d = DataSharing::default();
        let first = datetime!(2026-01-31 10:00 UTC);
        assert_eq!(months_after(first, 1), datetime!(2026-02-28 10:00 UTC));
        assert_eq!(d.retain_until(first, Some(datetime!(2026-03-05 09:00 UTC))), datetime!(2027-03-05 09:00 UTC));
        assert_eq!(d.retain_until(first, None), datetime!(2029-01-31 10:00 UTC), "open: 24 + 12 months");
    }

    #[test]
    fn absent_fields_take_the_defaults_and_bad_ones_are_refused() {
        let d: DataSharing = serde_json::from_str(r#"{"roles": ["duty", "dpo"]}"#).unwrap();
        assert_eq!(d.roles(), [ConsoleRole::Duty, ConsoleRole::Dpo]);
        assert_eq!(d.retention_months(), 12);
        assert_eq!(d.lawful_conditions().len(), 4);
        for bad in [
            r#"{"roles": []}"#,
            r#"{"roles": ["mayor"]}"#,
            r#"{"lawful_conditions": []}"#,
            r#"{"lawful_conditions": ["Because I Said So"]}"#,
            r#"{"lawful_conditions": ["abc", "abc"]}"#,
            r#"{"retention_months": 0}"#,
            r#"{"retention_months": 121}"#,
            r#"{"retention": 12}"#,
        ] {
            assert!(serde_json::from_str::<DataSharing>(bad).is_err(), "{bad}");
        }
        let round: DataSharing = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(round, d);
    }
}
