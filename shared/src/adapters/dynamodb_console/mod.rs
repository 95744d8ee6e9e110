//! Staff, console sessions, sign-ins in flight and the console's audit trail
//! in SIM's one DynamoDB table (keys in `docs/data-model.md`, "Console").
//! Sessions and sign-ins carry the table's TTL attribute `expires_at` (epoch
//! seconds); the code checks lifetimes itself too, since TTL deletes late.

mod search;
mod sessions;
mod staff;

pub use search::INCIDENTS_INDEX;

use crate::domain::staff::{Login, StaffEmail, StaffId, StaffMember};
use crate::ids::LicenseeId;
use crate::ports::staff::StaffStore;
use crate::ports::store::StoreError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub(super) type Item = HashMap<String, AttributeValue>;

pub struct DynamoConsoleStore {
    pub(super) client: Client,
    pub(super) table: String,
}

impl DynamoConsoleStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(config), table)
    }
}

// One set of DynamoDB helpers for every adapter on the table.
pub(super) use crate::adapters::dynamodb::codec::{corrupt, s, sdk_error, written};

pub(super) fn staff_key(licensee: &LicenseeId, id: &StaffId) -> (String, String) {
    (format!("LICENSEE#{licensee}"), format!("STAFF#{id}"))
}
pub(super) fn login_key(login: &Login) -> (String, String) {
    (format!("LOGIN#{}#{}", login.issuer, login.subject), "LOGIN".into())
}
pub(super) fn email_key(email: &StaffEmail) -> (String, String) {
    (format!("STAFFEMAIL#{}", email.as_str()), "STAFFEMAIL".into())
}
pub(super) fn session_key(key: &str) -> (String, String) {
    (format!("SESSION#{key}"), "SESSION".into())
}
pub(super) fn pending_key(key: &str) -> (String, String) {
    (format!("SIGNIN#{key}"), "SIGNIN".into())
}
pub(super) fn audit_pk(licensee: Option<&LicenseeId>) -> String {
    match licensee {
        Some(l) => format!("AUDIT#{l}"),
        None => "AUDIT#-".into(),
    }
}

pub(super) fn key((pk, sk): (String, String)) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

/// The value's attributes beside its keys; an `expires_at` becomes the TTL number.
pub(super) fn to_item<T: Serialize>(value: &T, (pk, sk): (String, String)) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(value).map_err(corrupt)?;
    if let Some(AttributeValue::S(text)) = item.get("expires_at") {
        let at = OffsetDateTime::parse(text, &Rfc3339).map_err(corrupt)?;
        item.insert("expires_at".into(), AttributeValue::N(at.unix_timestamp().to_string()));
    }
    item.insert("pk".into(), s(pk));
    item.insert("sk".into(), s(sk));
    Ok(item)
}

pub(super) fn from_item<T: DeserializeOwned>(mut item: Item) -> Result<T, StoreError> {
    item.remove("pk");
    item.remove("sk");
    if let Some(AttributeValue::N(n)) = item.get("expires_at") {
        let secs: i64 = n.parse().map_err(corrupt)?;
        let at = OffsetDateTime::from_unix_timestamp(secs).map_err(corrupt)?;
        item.insert("expires_at".into(), s(at.format(&Rfc3339).map_err(corrupt)?));
    }
    serde_dynamo::from_item(item).map_err(corrupt)
}

/// A pointer from an email or login to the member it belongs to.
pub(super) fn pointer(member: &StaffMember, at: (String, String)) -> Item {
    let mut item = key(at);
    item.insert("licensee_id".into(), s(member.licensee_id.as_str()));
    item.insert("staff_id".into(), s(member.id.as_str()));
    item
}

pub(super) fn member_key_of(item: &Item) -> Option<(LicenseeId, StaffId)> {
    let licensee = item.get("licensee_id")?.as_s().ok()?;
    let staff = item.get("staff_id")?.as_s().ok()?;
    Some((LicenseeId::parse(licensee).ok()?, StaffId::parse(staff).ok()?))
}

pub(super) const FREE_OR_MINE: &str = "attribute_not_exists(pk) OR (licensee_id = :l AND staff_id = :s)";

impl DynamoConsoleStore {
    pub(super) fn put(
        &self,
        item: Item,
        condition: Option<&str>,
        member: Option<&StaffMember>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some(c) = condition {
            put = put.condition_expression(c);
        }
        if let Some(m) = member {
            put = put
                .expression_attribute_values(":l", s(m.licensee_id.as_str()))
                .expression_attribute_values(":s", s(m.id.as_str()));
        }
        Ok(TransactWriteItem::builder().put(put.build().map_err(corrupt)?).build())
    }

    pub(super) fn delete(&self, at: (String, String), member: &StaffMember) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(at)))
            .condition_expression(FREE_OR_MINE)
            .expression_attribute_values(":l", s(member.licensee_id.as_str()))
            .expression_attribute_values(":s", s(member.id.as_str()))
            .build()
            .map_err(corrupt)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Runs a transaction; a failed condition is `Ok(false)`.
    pub(super) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<bool, StoreError> {
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(true),
            Err(err) => {
                let cancelled = err.as_service_error().is_some_and(|e| e.is_transaction_canceled_exception());
                if cancelled {
                    Ok(false)
                } else {
                    Err(sdk_error(err))
                }
            }
        }
    }

    pub(super) async fn get(&self, at: (String, String)) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(at)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.item)
    }

    pub(super) async fn query(&self, pk: String, sk_prefix: Option<&str>) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_values(":pk", s(pk.clone()))
                .set_exclusive_start_key(start);
            q = match sk_prefix {
                Some(prefix) => q
                    .key_condition_expression("pk = :pk AND begins_with(sk, :sk)")
                    .expression_attribute_values(":sk", s(prefix)),
                None => q.key_condition_expression("pk = :pk"),
            };
            let out = q.send().await.map_err(sdk_error)?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    pub(super) async fn member_at(&self, at: (String, String)) -> Result<Option<StaffMember>, StoreError> {
        let Some(pointer) = self.get(at).await? else { return Ok(None) };
        let Some((licensee, id)) = member_key_of(&pointer) else { return Ok(None) };
        self.get_staff(&licensee, &id).await
    }
}
