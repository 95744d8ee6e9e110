//! Identifiers: newtypes that only hold a valid id, and the id-generator port.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 1 to 64 characters of lower-case letters, digits and hyphens")]
pub struct IdError;

fn valid_id(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Prefix of ids this service generates, so an id says what it names.
            pub const PREFIX: &'static str = $prefix;

            pub fn parse(s: &str) -> Result<Self, IdError> {
                if valid_id(s) { Ok(Self(s.to_owned())) } else { Err(IdError) }
            }

            pub fn generate(ids: &dyn IdGenerator) -> Self {
                Self(format!("{}-{}", $prefix, ids.next_id()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                if valid_id(&s) { Ok(Self(s)) } else { Err(IdError) }
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A licensee: a council or community safety partnership.
    LicenseeId, "lic");
id_type!(
    /// A police integration calling the API.
    CallerId, "cal");
id_type!(
    /// A person SIM alerts.
    ContactId, "con");
id_type!(
    /// Stakeholders alerted together.
    GroupId, "grp");
id_type!(
    /// An incident reported by police.
    IncidentId, "inc");
id_type!(
    /// One entry on an incident's timeline.
    EventId, "evt");
id_type!(
    /// A person recorded in the personal-data vault about one incident.
    SubjectId, "sub");
id_type!(
    /// One entry in the vault's access log.
    AccessId, "acc");

/// The id-generator port: production uses random ids, tests count.
pub trait IdGenerator: Send + Sync {
    /// A fresh id body: lower-case letters, digits and hyphens only.
    fn next_id(&self) -> String;
}

/// Random 128-bit ids.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn next_id(&self) -> String {
        uuid::Uuid::new_v4().simple().to_string()
    }
}

/// Deterministic ids for tests: 000001, 000002, ...
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl IdGenerator for SequentialIds {
    fn next_id(&self) -> String {
        format!("{:06}", self.0.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_only_safe_characters() {
        assert!(IncidentId::parse("inc-0001").is_ok());
        assert!(IncidentId::parse("").is_err());
        assert!(IncidentId::parse("INC-1").is_err());
        assert!(IncidentId::parse("inc/../x").is_err());
        assert!(IncidentId::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn generated_ids_carry_their_prefix_and_are_deterministic_in_tests() {
        let ids = SequentialIds::default();
        assert_eq!(IncidentId::generate(&ids).as_str(), "inc-000001");
        assert_eq!(EventId::generate(&ids).as_str(), "evt-000002");
        assert_eq!(RandomIds.next_id().len(), 32);
    }
}
