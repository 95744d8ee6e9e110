//! Council staff who sign in to the console: who they are at their identity
//! provider (issuer and subject, or a verified email until the first sign-in
//! pins the subject), which one licensee they work for, and their roles.

use crate::ids::LicenseeId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaffError {
    #[error("a staff id is 1 to 64 characters of lower-case letters, digits and hyphens")]
    Id,
    #[error("an email address needs one @ with text either side and no spaces")]
    Email,
    #[error("the name must be 1 to 100 characters")]
    Name,
    #[error("unknown role: use admin, duty, viewer or dpo")]
    Role,
    #[error("a staff member needs at least one role")]
    NoRole,
}

/// A staff member's id within SIM (`stf-...`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StaffId(String);

impl StaffId {
    pub const PREFIX: &'static str = "stf";

    pub fn parse(s: &str) -> Result<Self, StaffError> {
        let ok =
            (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(StaffError::Id)
        }
    }

    pub fn generate(ids: &dyn crate::ids::IdGenerator) -> Self {
        Self(format!("{}-{}", Self::PREFIX, ids.next_id()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StaffId {
    type Error = StaffError;
    fn try_from(s: String) -> Result<Self, StaffError> {
        Self::parse(&s)
    }
}

impl From<StaffId> for String {
    fn from(id: StaffId) -> String {
        id.0
    }
}

impl fmt::Display for StaffId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A sign-in email, lower-cased: identity providers differ in case, people do not.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StaffEmail(String);

impl StaffEmail {
    pub fn parse(s: &str) -> Result<Self, StaffError> {
        let s = s.trim().to_lowercase();
        match s.split_once('@') {
            Some((local, domain))
                if !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && s.len() <= 254
                    && !s.chars().any(char::is_whitespace) =>
            {
                Ok(Self(s))
            }
            _ => Err(StaffError::Email),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StaffEmail {
    type Error = StaffError;
    fn try_from(s: String) -> Result<Self, StaffError> {
        Self::parse(&s)
    }
}

impl From<StaffEmail> for String {
    fn from(e: StaffEmail) -> String {
        e.0
    }
}

/// What a staff member may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsoleRole {
    /// Staff, directory and settings.
    Admin,
    /// Watch and act on incidents.
    Duty,
    /// Read only.
    Viewer,
    /// Data protection officer (the vault).
    Dpo,
}

impl ConsoleRole {
    pub const ALL: [ConsoleRole; 4] = [ConsoleRole::Admin, ConsoleRole::Duty, ConsoleRole::Viewer, ConsoleRole::Dpo];

    pub fn parse(s: &str) -> Result<Self, StaffError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Self::Admin),
            "duty" => Ok(Self::Duty),
            "viewer" => Ok(Self::Viewer),
            "dpo" => Ok(Self::Dpo),
            _ => Err(StaffError::Role),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Duty => "duty",
            Self::Viewer => "viewer",
            Self::Dpo => "dpo",
        }
    }
}

/// Who a person is at their identity provider: the pair is unique and stable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Login {
    pub issuer: String,
    pub subject: String,
}

/// One staff member of one licensee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: StaffId,
    pub licensee_id: LicenseeId,
    pub name: String,
    /// Matched (verified by the provider) on the first sign-in only, then the subject is pinned.
    pub email: Option<StaffEmail>,
    /// Set on the first sign-in (or when added by issuer and subject).
    pub login: Option<Login>,
    pub roles: BTreeSet<ConsoleRole>,
    pub added_at: OffsetDateTime,
}

impl StaffMember {
    pub fn new(
        id: StaffId,
        licensee_id: LicenseeId,
        name: &str,
        email: Option<StaffEmail>,
        login: Option<Login>,
        roles: BTreeSet<ConsoleRole>,
        added_at: OffsetDateTime,
    ) -> Result<Self, StaffError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(StaffError::Name);
        }
        if roles.is_empty() {
            return Err(StaffError::NoRole);
        }
        Ok(Self { id, licensee_id, name: name.to_owned(), email, login, roles, added_at })
    }

    pub fn has(&self, role: ConsoleRole) -> bool {
        self.roles.contains(&role)
    }

    pub fn roles_text(&self) -> String {
        self.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(StaffEmail::parse(" Duty.Officer@Lambeth.GOV.uk ").unwrap().as_str(), "duty.officer@lambeth.gov.uk");
        for bad in ["", "no-at", "@x", "x@", "a b@c", "a@b@c"] {
            assert!(StaffEmail::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_parse_and_a_member_needs_one() {
        assert_eq!(ConsoleRole::parse("Duty").unwrap(), ConsoleRole::Duty);
        assert!(ConsoleRole::parse("root").is_err());
        let lic = LicenseeId::parse("lambeth").unwrap();
        let none = StaffMember::new(
            StaffId::parse("stf-1").unwrap(),
            lic,
            "A",
            None,
            None,
            BTreeSet::new(),
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(none.unwrap_err(), StaffError::NoRole);
    }
}
