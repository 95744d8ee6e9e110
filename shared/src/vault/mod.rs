//! The personal-data vault: subject records sealed with envelope encryption,
//! every access logged before anything is returned, retention enforced on
//! every read, erasure and crypto-shredding. See `docs/vault.md`.
//!
//! Each subject record has its own data key from the key provider (KMS
//! `GenerateDataKey` under the licensee's key, encryption context licensee
//! and incident); only the wrapped key is stored, and erasing the subject
//! deletes it, so a copy of that record never opens again while the others
//! do. Each record is sealed with AES-256-GCM under it, with licensee,
//! incident and subject ids as associated data: a record copied to another
//! incident or subject fails to open. The incident also has a key (made with
//! its first record): it anchors retention, opens records sealed before
//! subjects had keys of their own, and goes with theirs when the incident is
//! crypto-shredded at the end of retention. The console calls [`Vault::read`]; police add records through intake.

pub mod cipher;

use crate::clock::Clock;
use crate::domain::contact::EmailAddress;
use crate::domain::subject::{BlindIndex, SubjectRecord};
use crate::ids::{AccessId, IdGenerator, IncidentId, LicenseeId, SubjectId};
use crate::ports::keys::{KeyContext, KeyError, KeyProvider, PlainKey};
use crate::ports::sender::{Outgoing, Sender};
use crate::ports::store::{
    AccessAction, AccessEntry, IncidentKey, SealedSubject, Store, StoreError, SubjectKey, SubjectRef,
};
use crate::render::Email;
use base64::Engine;
use std::sync::Arc;
use time::{Date, OffsetDateTime};

/// A licensee's data-sharing agreement: the roles that may view, the lawful
/// conditions offered, the retention in months after the incident closes.
pub type Agreement = crate::domain::data_sharing::DataSharing;

/// The agreement of `licensee` (configured on the licensee), else `default`.
async fn agreement_of(store: &dyn Store, licensee: &LicenseeId, default: &Agreement) -> Result<Agreement, StoreError> {
    Ok(store.get_licensee(licensee).await?.and_then(|l| l.data_sharing).unwrap_or_else(|| default.clone()))
}

/// When the incident's records are past retention, from its closing (or the
/// open-incident limit), under the licensee's agreement.
async fn deadline(
    store: &dyn Store,
    licensee: &LicenseeId,
    incident: &IncidentId,
    first_record: OffsetDateTime,
    default: &Agreement,
) -> Result<OffsetDateTime, StoreError> {
    let agreement = agreement_of(store, licensee, default).await?;
    let closed_at = store.get_follow_up(incident).await?.and_then(|f| f.closure).map(|c| c.at);
    Ok(agreement.retain_until(first_record, closed_at))
}

/// Brings the incident's stored retention date (and so DynamoDB's TTL) in
/// line with its closing: called when an incident closes, and on every
/// vault read and addition. Returns the date, or `None` if the incident has
/// no records. `default` is the agreement for licensees without their own.
pub async fn settle_retention(
    store: &dyn Store,
    incident: &IncidentId,
    default: &Agreement,
) -> Result<Option<OffsetDateTime>, StoreError> {
    let Some(key) = store.incident_key(incident).await? else { return Ok(None) };
    let until = deadline(store, &key.licensee_id, incident, key.created_at, default).await?;
    if until != key.retain_until {
        store.set_retention(incident, until).await?;
    }
    Ok(Some(until))
}

/// Who is asking, from where. The console fills it from the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    pub id: String,
    pub role: String,
    pub address: Option<String>,
}

/// Why: the chosen lawful condition and the typed reason. `emergency`
/// asks for break-glass access by a role outside the agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purpose {
    pub lawful_basis: String,
    pub reason: String,
    pub emergency: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The reader's role is outside the agreement (and no emergency), or the
    /// condition or reason is missing. The refusal is logged.
    #[error("access refused: {0}")]
    Refused(&'static str),
    #[error("no such subject record")]
    NotFound,
    /// Past the retention date: refused, and the data key shredded.
    #[error("the record is past its retention date")]
    Expired,
    /// The record does not open under its own binding: moved or tampered with.
    #[error("the record does not open in this incident")]
    Unopenable,
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a reader was shown, with the log entry that recorded it.
#[derive(Debug)]
pub struct Shown {
    pub record: SubjectRecord,
    /// True for a break-glass view: the console alerts the DPO at once.
    pub break_glass: bool,
    pub entry: AccessId,
}

/// Where break-glass views are reported at once: the DPO's address and
/// the email sender (SES in production).
pub struct DpoAlert {
    pub sender: Arc<dyn Sender>,
    pub to: EmailAddress,
}

pub struct Vault {
    pub keys: Arc<dyn KeyProvider>,
    /// The vault's own items, and the licensee (its agreement) and the
    /// incident's follow-up (its closing), which set retention.
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    /// The blind-index HMAC key (SSM SecureString in production).
    pub index_key: Vec<u8>,
    /// The agreement for licensees that configure none.
    pub agreement: Agreement,
    /// `None`: break-glass views are still flagged in the log, but no email goes.
    pub dpo_alert: Option<DpoAlert>,
}

/// The associated data a record is sealed with.
fn binding(licensee: &LicenseeId, incident: &IncidentId, subject: &SubjectId) -> Vec<u8> {
    format!("sim:licensee={licensee};sim:incident={incident};sim:subject={subject};").into_bytes()
}

impl Vault {
    fn entry(&self, licensee: &LicenseeId, action: AccessAction, reader: &Reader) -> AccessEntry {
        AccessEntry {
            id: AccessId::generate(&*self.ids),
            licensee_id: licensee.clone(),
            incident_id: None,
            subject_id: None,
            action,
            reader: reader.id.clone(),
            role: reader.role.clone(),
            lawful_basis: None,
            reason: String::new(),
            fields: Vec::new(),
            address: reader.address.clone(),
            break_glass: false,
            at: self.clock.now(),
        }
    }

    /// The licensee's data-sharing agreement (its own, else the default).
    pub async fn agreement(&self, licensee: &LicenseeId) -> Result<Agreement, VaultError> {
        Ok(agreement_of(&*self.store, licensee, &self.agreement).await?)
    }

    pub fn blind_index(&self, name: &str, date_of_birth: Option<Date>) -> BlindIndex {
        BlindIndex::of(&self.index_key, name, date_of_birth)
    }

    /// The incident's data key, made on first use.
    async fn data_key(
        &self,
        licensee: &LicenseeId,
        incident: &IncidentId,
    ) -> Result<(PlainKey, IncidentKey), VaultError> {
        let context = KeyContext { licensee_id: licensee.clone(), incident_id: incident.clone() };
        if let Some(stored) = self.store.incident_key(incident).await? {
            return Ok((self.keys.unwrap(&stored.wrapped, &context).await?, stored));
        }
        let fresh = self.keys.generate(&context).await?;
        let now = self.clock.now();
        let stored = IncidentKey {
            licensee_id: licensee.clone(),
            incident_id: incident.clone(),
            wrapped: fresh.wrapped,
            created_at: now,
            retain_until: deadline(&*self.store, licensee, incident, now, &self.agreement).await?,
        };
        match self.store.create_incident_key(&stored).await {
            Ok(()) => Ok((fresh.plain, stored)),
            // Another writer made it first: use theirs.
            Err(StoreError::Conflict) => {
                let stored = self.store.incident_key(incident).await?.ok_or(VaultError::NotFound)?;
                Ok((self.keys.unwrap(&stored.wrapped, &context).await?, stored))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Seals and stores a record, logging the addition (no values).
    pub async fn add(
        &self,
        licensee: &LicenseeId,
        incident: &IncidentId,
        record: &SubjectRecord,
        added_by: &Reader,
    ) -> Result<SubjectId, VaultError> {
        // The incident's key anchors retention (and opens records sealed
        // before subjects had keys of their own).
        self.data_key(licensee, incident).await?;
        let retain_until =
            settle_retention(&*self.store, incident, &self.agreement).await?.ok_or(VaultError::NotFound)?;
        if self.clock.now() > retain_until {
            return Err(VaultError::Expired);
        }
        let subject = SubjectId::generate(&*self.ids);
        let plain = serde_json::to_vec(record).expect("a subject record serialises");
        // The subject's own data key: erasing it shreds this subject alone.
        let context = KeyContext { licensee_id: licensee.clone(), incident_id: incident.clone() };
        let fresh = self.keys.generate(&context).await?;
        self.store
            .put_subject_key(&SubjectKey {
                licensee_id: licensee.clone(),
                incident_id: incident.clone(),
                subject_id: subject.clone(),
                wrapped: fresh.wrapped,
                created_at: self.clock.now(),
                retain_until,
            })
            .await?;
        let sealed = cipher::seal(&fresh.plain, &binding(licensee, incident, &subject), &plain);
        let sealed = SealedSubject {
            licensee_id: licensee.clone(),
            incident_id: incident.clone(),
            subject_id: subject.clone(),
            role: record.role,
            sealed: base64::engine::general_purpose::STANDARD.encode(sealed),
            blind_index: self.blind_index(record.name.as_str(), record.date_of_birth),
            created_at: self.clock.now(),
            retain_until,
        };
        self.store.put_subject(&sealed).await?;
        let entry = AccessEntry {
            incident_id: Some(incident.clone()),
            subject_id: Some(subject.clone()),
            fields: record.present_fields().into_iter().map(str::to_owned).collect(),
            reason: "record added".into(),
            ..self.entry(licensee, AccessAction::Add, added_by)
        };
        self.store.append_access(&entry).await?;
        Ok(subject)
    }

    /// Checks the reader may see personal data for this purpose; logs and
    /// refuses otherwise. Returns whether this is a break-glass access.
    async fn authorise(
        &self,
        licensee: &LicenseeId,
        at: Option<&SubjectRef>,
        reader: &Reader,
        purpose: &Purpose,
    ) -> Result<bool, VaultError> {
        let agreement = self.agreement(licensee).await?;
        let listed = agreement.roles().iter().any(|r| r.as_str() == reader.role);
        let refusal = if purpose.reason.trim().is_empty() {
            Some("a reason is required")
        } else if !agreement.lawful_conditions().iter().any(|b| b.as_str() == purpose.lawful_basis) {
            Some("the lawful condition is not one the agreement lists")
        } else if !listed && !purpose.emergency {
            Some("the role is not one the data-sharing agreement lists")
        } else {
            None
        };
        if let Some(why) = refusal {
            let entry = AccessEntry {
                incident_id: at.map(|a| a.incident_id.clone()),
                subject_id: at.map(|a| a.subject_id.clone()),
                lawful_basis: Some(purpose.lawful_basis.clone()),
                reason: format!("refused: {why}"),
                ..self.entry(licensee, AccessAction::Refused, reader)
            };
            self.store.append_access(&entry).await?;
            return Err(VaultError::Refused(why));
        }
        Ok(!listed)
    }

    /// Opens one record for a reader. Logs the view (who, role, condition,
    /// reason, fields, when, from where) before returning anything; if the
    /// log cannot be written, nothing is shown.
    pub async fn read(
        &self,
        licensee: &LicenseeId,
        incident: &IncidentId,
        subject: &SubjectId,
        reader: &Reader,
        purpose: &Purpose,
    ) -> Result<Shown, VaultError> {
        let at = SubjectRef { incident_id: incident.clone(), subject_id: subject.clone() };
        let break_glass = self.authorise(licensee, Some(&at), reader, purpose).await?;
        let sealed = match self.store.subject(incident, subject).await? {
            Some(s) if &s.licensee_id == licensee => s,
            _ => return Err(VaultError::NotFound),
        };
        // Retention from the incident's closing, checked on every read (TTL may lag two days).
        let retain_until = settle_retention(&*self.store, incident, &self.agreement).await?;
        if self.clock.now() > retain_until.unwrap_or(sealed.retain_until) {
            self.shred(licensee, incident, reader).await?;
            return Err(VaultError::Expired);
        }
        let record = self.open(&sealed).await?;
        let entry = AccessEntry {
            incident_id: Some(incident.clone()),
            subject_id: Some(subject.clone()),
            lawful_basis: Some(purpose.lawful_basis.clone()),
            reason: purpose.reason.trim().to_owned(),
            fields: record.present_fields().into_iter().map(str::to_owned).collect(),
            break_glass,
            ..self.entry(licensee, AccessAction::View, reader)
        };
        self.store.append_access(&entry).await?;
        if break_glass {
            self.alert_dpo(&entry).await;
        }
        Ok(Shown { record, break_glass, entry: entry.id })
    }

    /// Emails the DPO about a break-glass view: ids, role, condition and
    /// time only (the typed reason may name someone: it stays in the log).
    /// An emergency view is not held back if the email fails; the failure
    /// is logged as an error (which alarms) and the entry stays flagged.
    async fn alert_dpo(&self, entry: &AccessEntry) {
        let Some(alert) = &self.dpo_alert else { return };
        let incident = entry.incident_id.as_ref().map_or("-", |i| i.as_str());
        let subject = entry.subject_id.as_ref().map_or("-", |s| s.as_str());
        let text = format!(
            "A break-glass view of the personal-data vault was made.\n\nWhen: {at}\nStaff: {reader} (role {role}, \
             not listed in the data-sharing agreement)\nLawful condition: {basis}\nIncident: {incident}\nSubject \
             record: {subject}\nAccess-log entry: {id}\n\nThe emergency reason is in the access log. Review it \
             today.",
            at = entry.at,
            reader = entry.reader,
            role = entry.role,
            basis = entry.lawful_basis.as_deref().unwrap_or("-"),
            id = entry.id,
        );
        let html = format!("<pre>{}</pre>", escape_html(&text));
        let email = Email { subject: format!("SIM: break-glass view of vault record {subject}"), text, html };
        let message = Outgoing::Email { to: alert.to.clone(), email };
        if let Err(e) = alert.sender.send(&message).await {
            tracing::error!(access_id = %entry.id, error = %e, "the DPO could not be emailed about a break-glass view");
        }
    }

    /// Decrypts a sealed record under its own binding.
    async fn open(&self, sealed: &SealedSubject) -> Result<SubjectRecord, VaultError> {
        // The subject's own key; records sealed before subjects had one open
        // under the incident's. A copy of an erased subject's record finds
        // neither its key nor a key that opens it.
        let wrapped = match self.store.subject_key(&sealed.incident_id, &sealed.subject_id).await? {
            Some(own) => own.wrapped,
            None => self.store.incident_key(&sealed.incident_id).await?.ok_or(VaultError::Unopenable)?.wrapped,
        };
        let context = KeyContext { licensee_id: sealed.licensee_id.clone(), incident_id: sealed.incident_id.clone() };
        let key = match self.keys.unwrap(&wrapped, &context).await {
            Err(KeyError::Refused(_)) => return Err(VaultError::Unopenable),
            other => other?,
        };
        let bytes =
            base64::engine::general_purpose::STANDARD.decode(&sealed.sealed).map_err(|_| VaultError::Unopenable)?;
        let plain = cipher::open(&key, &binding(&sealed.licensee_id, &sealed.incident_id, &sealed.subject_id), &bytes)
            .map_err(|_| VaultError::Unopenable)?;
        serde_json::from_slice(&plain).map_err(|_| VaultError::Unopenable)
    }

    /// Every record of one person (same normalised name and date of birth)
    /// across the licensee's incidents, for a subject access request or the
    /// repeat-victim flag. Logged like a view; nothing is decrypted.
    pub async fn search(
        &self,
        licensee: &LicenseeId,
        name: &str,
        date_of_birth: Option<Date>,
        reader: &Reader,
        purpose: &Purpose,
    ) -> Result<Vec<SubjectRef>, VaultError> {
        let break_glass = self.authorise(licensee, None, reader, purpose).await?;
        let found = self.store.find_subjects(licensee, &self.blind_index(name, date_of_birth)).await?;
        let entry = AccessEntry {
            lawful_basis: Some(purpose.lawful_basis.clone()),
            reason: purpose.reason.trim().to_owned(),
            fields: vec![format!("{} record(s) found", found.len())],
            break_glass,
            ..self.entry(licensee, AccessAction::Search, reader)
        };
        self.store.append_access(&entry).await?;
        Ok(found)
    }

    /// Erases one subject on request: the record and its index entry are
    /// deleted and the erasure logged (the log keeps ids, never values).
    pub async fn erase(
        &self,
        licensee: &LicenseeId,
        incident: &IncidentId,
        subject: &SubjectId,
        reader: &Reader,
        reason: &str,
    ) -> Result<(), VaultError> {
        let sealed = match self.store.subject(incident, subject).await? {
            Some(s) if &s.licensee_id == licensee => s,
            _ => return Err(VaultError::NotFound),
        };
        let entry = AccessEntry {
            incident_id: Some(incident.clone()),
            subject_id: Some(subject.clone()),
            reason: reason.trim().to_owned(),
            ..self.entry(licensee, AccessAction::Erase, reader)
        };
        self.store.append_access(&entry).await?;
        // Its key first: from then on no copy of the record opens.
        self.store.delete_subject_key(incident, subject).await?;
        self.store.delete_subject(&sealed).await?;
        Ok(())
    }

    /// Crypto-shreds an incident: its data key deleted, so its records (and
    /// any backup of them) can never be opened again. Logged.
    pub async fn shred(&self, licensee: &LicenseeId, incident: &IncidentId, by: &Reader) -> Result<(), VaultError> {
        if self.store.incident_key(incident).await?.is_none() {
            return Ok(());
        }
        let entry = AccessEntry {
            incident_id: Some(incident.clone()),
            reason: "retention period ended".into(),
            ..self.entry(licensee, AccessAction::Shred, by)
        };
        self.store.append_access(&entry).await?;
        for subject in self.store.subjects(incident).await? {
            self.store.delete_subject_key(incident, &subject.subject_id).await?;
        }
        self.store.delete_incident_key(incident).await?;
        Ok(())
    }

    /// The licensee's access log, for the `dpo` role's page and CSV export.
    pub async fn access_log(&self, licensee: &LicenseeId) -> Result<Vec<AccessEntry>, VaultError> {
        Ok(self.store.access_log(licensee).await?)
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
