//! The old and new values of a directory change, for the audit trail the
//! console shows. Values live in the store's change records, never in logs.

use crate::domain::Contact;
use crate::ports::store::{ValueChange, MAX_VALUE_CHANGES};

/// A contact's fields as the audit trail names and shows them.
fn fields(c: &Contact) -> [(&'static str, String); 8] {
    [
        ("name", c.name.clone()),
        ("role", c.role.to_string()),
        ("organisation", c.organisation.clone()),
        ("mobile", c.mobile.as_ref().map(|m| m.as_str().to_owned()).unwrap_or_default()),
        ("email", c.email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default()),
        ("whatsapp_opt_in", if c.whatsapp_opt_in { "yes" } else { "no" }.to_owned()),
        (
            "whatsapp_opt_in_given",
            c.whatsapp_opt_in_given.as_ref().map(|g| format!("{}: {}", g.on, g.how)).unwrap_or_default(),
        ),
        ("deputy", c.deputy.as_ref().map(|d| d.to_string()).unwrap_or_default()),
    ]
}

/// The fields that differ between `before` and `after` (`None`: the contact
/// did not exist, or no longer does).
pub fn value_changes(before: Option<&Contact>, after: Option<&Contact>) -> Vec<ValueChange> {
    let Some(contact) = after.or(before).map(|c| c.id.clone()) else { return vec![] };
    let empty = || std::array::from_fn::<_, 8, _>(|_| ("", String::new()));
    let old = before.map(fields).unwrap_or_else(empty);
    let new = after.map(fields).unwrap_or_else(empty);
    old.into_iter()
        .zip(new)
        .filter(|((_, o), (_, n))| o != n)
        .map(|((a, o), (b, n))| ValueChange {
            contact: contact.clone(),
            field: if a.is_empty() { b } else { a }.to_owned(),
            old: o,
            new: n,
        })
        .collect()
}

/// At most `MAX_VALUE_CHANGES` of `values`, and how many were left out.
pub fn capped(mut values: Vec<ValueChange>) -> (Vec<ValueChange>, usize) {
    let omitted = values.len().saturating_sub(MAX_VALUE_CHANGES);
    values.truncate(MAX_VALUE_CHANGES);
    (values, omitted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PhoneNumber;

    fn contact() -> Contact {
        // From JSON, as stored: fields added later with defaults need no change here.
        serde_json::from_value(serde_json::json!({
            "id": "con-a", "licensee_id": "lambeth", "name": "Ann", "role": "gold", "organisation": "Lambeth",
            "mobile": "+447700900001", "whatsapp_opt_in": false, "email": null, "deputy": null
        }))
        .unwrap()
    }

    #[test]
    fn only_the_fields_that_differ_are_kept_with_old_and_new_values() {
        let before = contact();
        let after = Contact { mobile: Some(PhoneNumber::parse("+447700900009").unwrap()), ..contact() };
        let changes = value_changes(Some(&before), Some(&after));
        assert_eq!(changes.len(), 1);
        assert_eq!((changes[0].field.as_str(), changes[0].old.as_str()), ("mobile", "+447700900001"));
        assert_eq!(changes[0].new, "+447700900009");
        // An added contact: every non-empty field, from nothing.
        let added = value_changes(None, Some(&after));
        assert!(added.iter().all(|c| c.old.is_empty()));
        assert!(added.iter().any(|c| c.field == "name" && c.new == "Ann"));
        assert_eq!(value_changes(Some(&before), Some(&before)), vec![]);
    }
}
