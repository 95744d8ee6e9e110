//! SIM's domain: pure types and rules, no I/O.

pub mod actor;
pub mod area;
pub mod caller;
pub mod category;
pub mod checklist;
pub mod choice;
pub mod contact;
pub mod cover;
pub mod data_sharing;
pub mod delivery;
pub mod follow_up;
pub mod incident;
pub mod licensee;
pub mod notification;
pub mod policy;
pub mod rota;
pub mod share;
pub mod staff;
pub mod subject;
pub mod text;
pub mod timeline;
pub mod validation;

pub use actor::Actor;
pub use area::{AreaName, PostcodeDistrict};
pub use caller::{ApiKey, Caller, KeyHash};
pub use contact::{Contact, EmailAddress, Group, OptIn, PhoneNumber, Role};
pub use incident::{
    AgeBand, Coordinates, Flag, Incident, IncidentAmendment, IncidentReport, IncidentType, Injury, Location, Victim,
    Weapon,
};
pub use licensee::{Entitlement, LicenceStatus, Licensee, Tier};
pub use timeline::{Event, TimelineEvent};
pub use validation::FieldError;
