//! Admin a council's IT team runs against its deployed table: add or change
//! a licensee, issue a police caller's API key, list licence lapses.

use sim::domain::{ApiKey, Caller, KeyHash, Licensee};
use sim::ids::{CallerId, LicenseeId};
use sim::ports::Store;
use std::error::Error;

/// Stores a licensee from its JSON description (see `docs/licensee.example.json`).
pub async fn put_licensee(store: &dyn Store, json: &str) -> Result<Licensee, Box<dyn Error>> {
    let licensee: Licensee = serde_json::from_str(json).map_err(|e| format!("the licensee file is not valid: {e}"))?;
    if licensee.areas.is_empty() {
        return Err("the licensee must cover at least one area".into());
    }
    if let Some(checklist) = &licensee.checklist {
        checklist.validate()?;
    }
    if let Some(partner) = licensee.sharing.as_ref().and_then(|s| s.checklist.as_ref()) {
        partner.validate()?;
    }
    for area in &licensee.areas {
        if let Some(other) = store.licensee_for_area(area).await?.filter(|o| *o != licensee.id) {
            return Err(format!("area '{area}' is already covered by licensee {other}").into());
        }
    }
    store.put_licensee(&licensee).await?;
    Ok(licensee)
}

/// Grants (or with `allowed` false, revokes) a police caller's permission to
/// add personal-data subject records (`POST /v1/incidents/{id}/subjects`),
/// which is off by default: grant it only where the council's data-sharing
/// agreement with the force covers it. Re-issuing the key turns it off again.
pub async fn set_subject_permission(store: &dyn Store, caller: &str, allowed: bool) -> Result<Caller, Box<dyn Error>> {
    let id = CallerId::parse(caller).map_err(|e| format!("caller id '{caller}' {e}"))?;
    let Some(mut found) = store.get_caller(&id).await? else {
        return Err(format!("there is no caller '{caller}': issue its key first").into());
    };
    found.may_add_subjects = allowed;
    store.put_caller(&found).await?;
    Ok(found)
}

/// Issues (or re-issues, replacing the old one) a caller's API key. The key
/// is returned to be shown once; only its hash is stored.
pub async fn issue_key(
    store: &dyn Store,
    caller: &str,
    name: &str,
    licensees: &[String],
) -> Result<ApiKey, Box<dyn Error>> {
    let id = CallerId::parse(caller).map_err(|e| format!("caller id '{caller}' {e}"))?;
    if licensees.is_empty() {
        return Err("name at least one --licensee the caller reports to".into());
    }
    let mut scope = Vec::new();
    for l in licensees {
        let lid = LicenseeId::parse(l).map_err(|e| format!("licensee id '{l}' {e}"))?;
        if store.get_licensee(&lid).await?.is_none() {
            return Err(format!("there is no licensee '{l}': add it with put-licensee first").into());
        }
        scope.push(lid);
    }
    let key = ApiKey::generate(&id);
    store
        .put_caller(&Caller {
            id,
            name: name.to_owned(),
            key_hash: KeyHash::of(&key),
            licensees: scope,
            may_add_subjects: false,
            key_issued_at: Some(time::OffsetDateTime::now_utc()),
            key_revoked_at: None,
        })
        .await?;
    Ok(key)
}
