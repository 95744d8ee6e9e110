//! `VaultStore` on DynamoDB. Keys (see `docs/data-model.md`):
//!
//! - `INCIDENT#<id>` / `VAULTKEY`: the incident's wrapped data key
//! - `INCIDENT#<id>` / `SUBJECT#<subject>`: a sealed record
//! - `INCIDENT#<id>` / `SUBJKEY#<subject>`: the subject's wrapped data key
//! - `BLIND#<licensee>#<index>` / `AT#<incident>#<subject>`: where a person appears
//! - `VAULTLOG#<licensee>` / `LOG#<time>#<entry id>`: the access log
//!
//! Each carries `expires_at` (epoch seconds) at its retention date, so
//! DynamoDB TTL removes it too; reads enforce the date without waiting for TTL.
//! Access-log entries are written with `attribute_not_exists(pk)`: the
//! functions' IAM grants no UpdateItem or DeleteItem on them.

use super::codec::*;
use super::keys::*;
use super::DynamoStore;
use crate::domain::subject::BlindIndex;
use crate::ids::{IncidentId, LicenseeId, SubjectId};
use crate::ports::store::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use time::OffsetDateTime;

fn blind_pk(licensee: &LicenseeId, index: &BlindIndex) -> String {
    format!("BLIND#{licensee}#{}", index.as_str())
}

fn blind_sk(subject: &SealedSubject) -> String {
    format!("AT#{}#{}", subject.incident_id, subject.subject_id)
}

fn subject_sk(subject: &SubjectId) -> String {
    format!("SUBJECT#{subject}")
}

fn subject_key_sk(subject: &SubjectId) -> String {
    format!("SUBJKEY#{subject}")
}

fn expires(item: &mut super::Item, at: OffsetDateTime) {
    item.insert("expires_at".into(), AttributeValue::N(at.unix_timestamp().to_string()));
}

impl DynamoStore {
    async fn put_new(&self, item: super::Item) -> Result<(), StoreError> {
        let conditional = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(corrupt)?;
        self.conditional_put_with_events(conditional, &[]).await
    }

    /// Sets an item's retention date and TTL, if the item still exists.
    async fn retain(&self, pk: String, sk: String, until: OffsetDateTime) -> Result<(), StoreError> {
        let text = until.format(&time::format_description::well_known::Rfc3339).map_err(corrupt)?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression("SET retain_until = :r, expires_at = :e")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":r", s(text))
            .expression_attribute_values(":e", AttributeValue::N(until.unix_timestamp().to_string()))
            .send()
            .await;
        // Gone already: nothing to retain.
        written(result)?;
        Ok(())
    }

    async fn delete(&self, pk: String, sk: String) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }
}

#[async_trait]
impl VaultStore for DynamoStore {
    async fn create_incident_key(&self, key: &IncidentKey) -> Result<(), StoreError> {
        let mut item = to_item(key, incident_pk(&key.incident_id), "VAULTKEY".into())?;
        expires(&mut item, key.retain_until);
        self.put_new(item).await
    }

    async fn incident_key(&self, incident: &IncidentId) -> Result<Option<IncidentKey>, StoreError> {
        self.get(incident_pk(incident), "VAULTKEY").await
    }

    async fn set_retention(&self, incident: &IncidentId, until: OffsetDateTime) -> Result<(), StoreError> {
        self.retain(incident_pk(incident), "VAULTKEY".into(), until).await?;
        for subject in self.subjects(incident).await? {
            self.retain(incident_pk(incident), subject_sk(&subject.subject_id), until).await?;
            self.retain(incident_pk(incident), subject_key_sk(&subject.subject_id), until).await?;
            let (pk, sk) = (blind_pk(&subject.licensee_id, &subject.blind_index), blind_sk(&subject));
            // The index entry holds only ids: its TTL is what moves.
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", s(pk))
                .key("sk", s(sk))
                .update_expression("SET expires_at = :e")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":e", AttributeValue::N(until.unix_timestamp().to_string()))
                .send()
                .await;
            written(result)?;
        }
        Ok(())
    }

    async fn delete_incident_key(&self, incident: &IncidentId) -> Result<(), StoreError> {
        self.delete(incident_pk(incident), "VAULTKEY".into()).await
    }

    async fn put_subject_key(&self, key: &SubjectKey) -> Result<(), StoreError> {
        let mut item = to_item(key, incident_pk(&key.incident_id), subject_key_sk(&key.subject_id))?;
        expires(&mut item, key.retain_until);
        self.put_new(item).await
    }

    async fn subject_key(&self, incident: &IncidentId, subject: &SubjectId) -> Result<Option<SubjectKey>, StoreError> {
        self.get(incident_pk(incident), &subject_key_sk(subject)).await
    }

    async fn delete_subject_key(&self, incident: &IncidentId, subject: &SubjectId) -> Result<(), StoreError> {
        self.delete(incident_pk(incident), subject_key_sk(subject)).await
    }

    async fn put_subject(&self, subject: &SealedSubject) -> Result<(), StoreError> {
        let mut record = to_item(subject, incident_pk(&subject.incident_id), subject_sk(&subject.subject_id))?;
        expires(&mut record, subject.retain_until);
        let pointer = SubjectRef { incident_id: subject.incident_id.clone(), subject_id: subject.subject_id.clone() };
        let mut pointer = to_item(&pointer, blind_pk(&subject.licensee_id, &subject.blind_index), blind_sk(subject))?;
        expires(&mut pointer, subject.retain_until);
        let items = vec![
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(record))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .map_err(corrupt)?,
                )
                .build(),
            TransactWriteItem::builder()
                .put(Put::builder().table_name(&self.table).set_item(Some(pointer)).build().map_err(corrupt)?)
                .build(),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) if failed_condition(&e).is_some() => Err(StoreError::Conflict),
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn subject(&self, incident: &IncidentId, subject: &SubjectId) -> Result<Option<SealedSubject>, StoreError> {
        self.get(incident_pk(incident), &subject_sk(subject)).await
    }

    async fn subjects(&self, incident: &IncidentId) -> Result<Vec<SealedSubject>, StoreError> {
        self.query_prefix(incident_pk(incident), "SUBJECT#").await
    }

    async fn delete_subject(&self, subject: &SealedSubject) -> Result<(), StoreError> {
        let delete = |pk: String, sk: String| {
            Delete::builder()
                .table_name(&self.table)
                .key("pk", s(pk))
                .key("sk", s(sk))
                .build()
                .map(|d| TransactWriteItem::builder().delete(d).build())
                .map_err(corrupt)
        };
        let items = vec![
            delete(incident_pk(&subject.incident_id), subject_sk(&subject.subject_id))?,
            delete(blind_pk(&subject.licensee_id, &subject.blind_index), blind_sk(subject))?,
        ];
        self.transact(items).await.map_err(sdk_error)
    }

    async fn find_subjects(&self, licensee: &LicenseeId, index: &BlindIndex) -> Result<Vec<SubjectRef>, StoreError> {
        self.query_prefix(blind_pk(licensee, index), "AT#").await
    }

    async fn append_access(&self, entry: &AccessEntry) -> Result<(), StoreError> {
        let item = to_item(
            entry,
            format!("VAULTLOG#{}", entry.licensee_id),
            format!("LOG#{}#{}", sortable(entry.at), entry.id),
        )?;
        self.put_new(item).await
    }

    async fn access_log(&self, licensee: &LicenseeId) -> Result<Vec<AccessEntry>, StoreError> {
        self.query_prefix(format!("VAULTLOG#{licensee}"), "LOG#").await
    }
}
