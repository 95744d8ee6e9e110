//! `DirectoryChangeStore` on DynamoDB. The directory's version is an item
//! (`LICENSEE#<id>` / `DIRECTORY`); a change is written in transactions of
//! at most 100 items, the first holding the conditional version bump and the
//! audit record, so a change planned against a stale version writes nothing.
//! A change over 98 items is several transactions: should a later one fail,
//! the version has moved and the same import, run again, completes it (an
//! import states the whole directory, so it converges).
//!
//! A test message the provider took carries `gsi3pk = MSG#<provider id>`,
//! as a sent notification does, so one query on the index `gsi3` finds
//! either for a delivery receipt (`deliveries.rs`).

use super::codec::*;
use super::keys::*;
use super::DynamoStore;
use crate::ids::{ContactId, LicenseeId};
use crate::ports::store::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

/// DynamoDB's limit on the items of one transaction.
const TRANSACTION_ITEMS: usize = 100;

/// A test message's sort key: by contact, then time; the channel last, so
/// tests on two channels at the same instant are both kept.
pub(super) fn test_sk(
    contact: &ContactId,
    at: time::OffsetDateTime,
    channel: crate::domain::policy::Channel,
) -> String {
    format!("{TEST_PREFIX}{contact}#{}#{channel}", sortable(at))
}

/// The sort-key prefix of test messages, telling them apart in the message index.
pub(super) const TEST_PREFIX: &str = "TEST#";

/// A test message's item: with the message index keys once the provider
/// took it, and `delivery_rank` once a receipt gave it a delivery status.
fn test_item(record: &TestMessageRecord) -> Result<super::Item, StoreError> {
    let sk = test_sk(&record.contact_id, record.at, record.channel);
    let mut item = to_item(record, licensee_pk(&record.licensee_id), sk)?;
    if let Some(id) = record.provider_message_id() {
        item.insert("gsi3pk".into(), s(message_pk(id)));
        item.insert("gsi3sk".into(), s("TEST"));
    }
    if let Some(d) = &record.delivery {
        item.insert("delivery_rank".into(), AttributeValue::N(d.state.rank().to_string()));
    }
    Ok(item)
}

#[async_trait]
impl DirectoryChangeStore for DynamoStore {
    async fn directory_version(&self, licensee: &LicenseeId) -> Result<u32, StoreError> {
        #[derive(serde::Deserialize)]
        struct Version {
            version: u32,
        }
        let found: Option<Version> = self.get(licensee_pk(licensee), "DIRECTORY").await?;
        Ok(found.map(|v| v.version).unwrap_or(0))
    }

    async fn apply_directory_change(&self, change: &DirectoryChange) -> Result<u32, StoreError> {
        let version = change.base_version + 1;
        let pk = licensee_pk(&change.licensee_id);
        let mut version_item = super::Item::new();
        version_item.insert("pk".into(), s(pk.clone()));
        version_item.insert("sk".into(), s("DIRECTORY"));
        version_item.insert("version".into(), AttributeValue::N(version.to_string()));
        let bump = match change.base_version {
            0 => Put::builder().condition_expression("attribute_not_exists(pk)"),
            base => Put::builder()
                .condition_expression("version = :base")
                .expression_attribute_values(":base", AttributeValue::N(base.to_string())),
        }
        .table_name(&self.table)
        .set_item(Some(version_item))
        .build()
        .map_err(corrupt)?;
        let record = ChangeRecord { version, ..change.record.clone() };
        let mut items = vec![
            TransactWriteItem::builder().put(bump).build(),
            put(&self.table, to_item(&record, pk.clone(), format!("DIRCHANGE#{version:010}"))?, None)?,
        ];
        for c in &change.put_contacts {
            items.push(put(&self.table, to_item(c, licensee_pk(&c.licensee_id), format!("CONTACT#{}", c.id))?, None)?);
        }
        for g in &change.put_groups {
            items.push(put(&self.table, to_item(g, licensee_pk(&g.licensee_id), format!("GROUP#{}", g.id))?, None)?);
        }
        for id in &change.remove_contacts {
            let delete = Delete::builder()
                .table_name(&self.table)
                .key("pk", s(pk.clone()))
                .key("sk", s(format!("CONTACT#{id}")))
                .build()
                .map_err(corrupt)?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        let mut first = true;
        while !items.is_empty() {
            let rest = items.split_off(items.len().min(TRANSACTION_ITEMS));
            match self.transact(std::mem::replace(&mut items, rest)).await {
                Ok(()) => {}
                Err(e) if first && failed_condition(&e) == Some(0) => return Err(StoreError::Conflict),
                Err(e) => return Err(sdk_error(e)),
            }
            first = false;
        }
        Ok(version)
    }

    async fn directory_changes(&self, licensee: &LicenseeId) -> Result<Vec<ChangeRecord>, StoreError> {
        self.query_prefix(licensee_pk(licensee), "DIRCHANGE#").await
    }

    async fn record_test_message(&self, record: &TestMessageRecord) -> Result<(), StoreError> {
        self.put_plain(test_item(record)?).await
    }

    async fn test_messages(
        &self,
        licensee: &LicenseeId,
        contact: &ContactId,
    ) -> Result<Vec<TestMessageRecord>, StoreError> {
        self.query_prefix(licensee_pk(licensee), &format!("{TEST_PREFIX}{contact}#")).await
    }
}
