//! Who did something to an incident: a responder through their personal
//! link, or council staff in the console.

use super::staff::StaffId;
use crate::ids::ContactId;
use serde::{Deserialize, Serialize};

/// A responder is stored as their bare contact id (as records written before
/// staff could act were), a staff member as `{"staff_id": "stf-…"}`, so
/// every stored record stays readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Actor {
    Contact(ContactId),
    Staff { staff_id: StaffId },
}

impl Actor {
    pub fn contact(&self) -> Option<&ContactId> {
        match self {
            Actor::Contact(id) => Some(id),
            Actor::Staff { .. } => None,
        }
    }

    pub fn staff(&self) -> Option<&StaffId> {
        match self {
            Actor::Staff { staff_id } => Some(staff_id),
            Actor::Contact(_) => None,
        }
    }
}

impl From<ContactId> for Actor {
    fn from(id: ContactId) -> Self {
        Actor::Contact(id)
    }
}

impl From<StaffId> for Actor {
    fn from(staff_id: StaffId) -> Self {
        Actor::Staff { staff_id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_responder_reads_as_before_and_staff_are_told_apart() {
        let contact = Actor::from(ContactId::parse("con-gold").unwrap());
        assert_eq!(serde_json::to_value(&contact).unwrap(), serde_json::json!("con-gold"));
        let staff = Actor::from(StaffId::parse("stf-dee").unwrap());
        assert_eq!(serde_json::to_value(&staff).unwrap(), serde_json::json!({"staff_id": "stf-dee"}));
        for actor in [contact, staff] {
            let text = serde_json::to_string(&actor).unwrap();
            assert_eq!(serde_json::from_str::<Actor>(&text).unwrap(), actor);
        }
        assert_eq!(serde_json::from_str::<Actor>("\"con-old\"").unwrap().contact().unwrap().as_str(), "con-old");
    }
}
