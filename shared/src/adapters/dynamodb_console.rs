//! Staff, console sessions, sign-ins in flight and the console's audit trail
//! in SIM's one DynamoDB table (keys in `docs/data-model.md`, "Console").
//! Sessions and sign-ins carry the table's TTL attribute `expires_at` (epoch
//! seconds); the code checks lifetimes itself too, since TTL deletes late.

use super::aws::is_retryable;
use crate::domain::staff::{Login, StaffEmail, StaffId, StaffMember};
use crate::ids::LicenseeId;
use crate::ports::sessions::{AuditEntry, PendingSignIn, Session, SessionStore};
use crate::ports::staff::StaffStore;
use crate::ports::store::StoreError;
use crate::ports::Cause;
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, ReturnValue, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

type Item = HashMap<String, AttributeValue>;

pub struct DynamoConsoleStore {
    client: Client,
    table: String,
}

impl DynamoConsoleStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(config), table)
    }
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn sdk_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: super::aws::HasStatus + std::fmt::Debug + Send + Sync + 'static,
{
    if is_retryable(&err) {
        StoreError::Unavailable(Box::new(err))
    } else {
        StoreError::Permanent(Box::new(err))
    }
}

fn corrupt(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Permanent(Box::new(e) as Cause)
}

fn staff_key(licensee: &LicenseeId, id: &StaffId) -> (String, String) {
    (format!("LICENSEE#{licensee}"), format!("STAFF#{id}"))
}
fn login_key(login: &Login) -> (String, String) {
    (format!("LOGIN#{}#{}", login.issuer, login.subject), "LOGIN".into())
}
fn email_key(email: &StaffEmail) -> (String, String) {
    (format!("STAFFEMAIL#{}", email.as_str()), "STAFFEMAIL".into())
}
fn session_key(key: &str) -> (String, String) {
    (format!("SESSION#{key}"), "SESSION".into())
}
fn pending_key(key: &str) -> (String, String) {
    (format!("SIGNIN#{key}"), "SIGNIN".into())
}
fn audit_pk(licensee: Option<&LicenseeId>) -> String {
    match licensee {
        Some(l) => format!("AUDIT#{l}"),
        None => "AUDIT#-".into(),
    }
}

fn key((pk, sk): (String, String)) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

/// The value's attributes beside its keys; an `expires_at` becomes the TTL number.
fn to_item<T: Serialize>(value: &T, (pk, sk): (String, String)) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(value).map_err(corrupt)?;
    if let Some(AttributeValue::S(text)) = item.get("expires_at") {
        let at = OffsetDateTime::parse(text, &Rfc3339).map_err(corrupt)?;
        item.insert("expires_at".into(), AttributeValue::N(at.unix_timestamp().to_string()));
    }
    item.insert("pk".into(), s(pk));
    item.insert("sk".into(), s(sk));
    Ok(item)
}

fn from_item<T: DeserializeOwned>(mut item: Item) -> Result<T, StoreError> {
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
fn pointer(member: &StaffMember, at: (String, String)) -> Item {
    let mut item = key(at);
    item.insert("licensee_id".into(), s(member.licensee_id.as_str()));
    item.insert("staff_id".into(), s(member.id.as_str()));
    item
}

fn member_key_of(item: &Item) -> Option<(LicenseeId, StaffId)> {
    let licensee = item.get("licensee_id")?.as_s().ok()?;
    let staff = item.get("staff_id")?.as_s().ok()?;
    Some((LicenseeId::parse(licensee).ok()?, StaffId::parse(staff).ok()?))
}

const FREE_OR_MINE: &str = "attribute_not_exists(pk) OR (licensee_id = :l AND staff_id = :s)";

impl DynamoConsoleStore {
    fn put(
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

    fn delete(&self, at: (String, String), member: &StaffMember) -> Result<TransactWriteItem, StoreError> {
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
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<bool, StoreError> {
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

    async fn get(&self, at: (String, String)) -> Result<Option<Item>, StoreError> {
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

    async fn query(&self, pk: String, sk_prefix: Option<&str>) -> Result<Vec<Item>, StoreError> {
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

    async fn member_at(&self, at: (String, String)) -> Result<Option<StaffMember>, StoreError> {
        let Some(pointer) = self.get(at).await? else { return Ok(None) };
        let Some((licensee, id)) = member_key_of(&pointer) else { return Ok(None) };
        self.get_staff(&licensee, &id).await
    }
}

#[async_trait]
impl StaffStore for DynamoConsoleStore {
    async fn put_staff(&self, member: &StaffMember) -> Result<(), StoreError> {
        let old = self.get_staff(&member.licensee_id, &member.id).await?;
        let mut items = vec![self.put(to_item(member, staff_key(&member.licensee_id, &member.id))?, None, None)?];
        if let Some(email) = &member.email {
            items.push(self.put(pointer(member, email_key(email)), Some(FREE_OR_MINE), Some(member))?);
        }
        if let Some(login) = &member.login {
            items.push(self.put(pointer(member, login_key(login)), Some(FREE_OR_MINE), Some(member))?);
        }
        if let Some(old) = old {
            if let Some(email) = old.email.filter(|e| Some(e) != member.email.as_ref()) {
                items.push(self.delete(email_key(&email), member)?);
            }
            if let Some(login) = old.login.filter(|l| Some(l) != member.login.as_ref()) {
                items.push(self.delete(login_key(&login), member)?);
            }
        }
        if self.transact(items).await? {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    async fn get_staff(&self, licensee: &LicenseeId, id: &StaffId) -> Result<Option<StaffMember>, StoreError> {
        self.get(staff_key(licensee, id)).await?.map(from_item).transpose()
    }

    async fn staff(&self, licensee: &LicenseeId) -> Result<Vec<StaffMember>, StoreError> {
        self.query(format!("LICENSEE#{licensee}"), Some("STAFF#")).await?.into_iter().map(from_item).collect()
    }

    async fn staff_by_login(&self, login: &Login) -> Result<Option<StaffMember>, StoreError> {
        Ok(self.member_at(login_key(login)).await?.filter(|m| m.login.as_ref() == Some(login)))
    }

    async fn staff_by_email(&self, email: &StaffEmail) -> Result<Option<StaffMember>, StoreError> {
        Ok(self.member_at(email_key(email)).await?.filter(|m| m.email.as_ref() == Some(email)))
    }

    async fn pin_login(&self, member: &StaffMember, login: &Login) -> Result<bool, StoreError> {
        let Some(current) = self.get_staff(&member.licensee_id, &member.id).await? else { return Ok(false) };
        if current.login.is_some() {
            return Ok(false);
        }
        let pinned = StaffMember { login: Some(login.clone()), ..current };
        let unpinned = "attribute_exists(pk) AND (attribute_not_exists(login) OR attribute_type(login, :null))";
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&pinned, staff_key(&member.licensee_id, &member.id))?))
            .condition_expression(unpinned)
            .expression_attribute_values(":null", s("NULL"));
        let items = vec![
            TransactWriteItem::builder().put(put.build().map_err(corrupt)?).build(),
            self.put(pointer(&pinned, login_key(login)), Some("attribute_not_exists(pk)"), None)?,
        ];
        self.transact(items).await
    }

    async fn remove_staff(&self, licensee: &LicenseeId, id: &StaffId) -> Result<bool, StoreError> {
        let Some(member) = self.get_staff(licensee, id).await? else { return Ok(false) };
        let staff = Delete::builder().table_name(&self.table).set_key(Some(key(staff_key(licensee, id)))).build();
        let mut items = vec![TransactWriteItem::builder().delete(staff.map_err(corrupt)?).build()];
        if let Some(email) = &member.email {
            items.push(self.delete(email_key(email), &member)?);
        }
        if let Some(login) = &member.login {
            items.push(self.delete(login_key(login), &member)?);
        }
        if self.transact(items).await? {
            Ok(true)
        } else {
            Err(StoreError::Conflict)
        }
    }
}

#[async_trait]
impl SessionStore for DynamoConsoleStore {
    async fn put_session(&self, session: &Session) -> Result<(), StoreError> {
        let item = to_item(session, session_key(&session.key))?;
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn get_session(&self, key: &str) -> Result<Option<Session>, StoreError> {
        self.get(session_key(key)).await?.map(from_item).transpose()
    }

    async fn touch_session(&self, key: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self::key(session_key(key))))
            .update_expression("SET last_seen = :t")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":t", s(at.format(&Rfc3339).map_err(corrupt)?))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn delete_session(&self, key: &str) -> Result<(), StoreError> {
        let k = self::key(session_key(key));
        self.client.delete_item().table_name(&self.table).set_key(Some(k)).send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn put_pending(&self, pending: &PendingSignIn) -> Result<(), StoreError> {
        let item = to_item(pending, pending_key(&pending.key))?;
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn take_pending(&self, key: &str) -> Result<Option<PendingSignIn>, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(self::key(pending_key(key))))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(sdk_error)?;
        out.attributes.filter(|a| !a.is_empty()).map(from_item).transpose()
    }

    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(|e| StoreError::Permanent(e.to_string().into()))?;
        let sk = format!("{:020}#{}", entry.at.unix_timestamp_nanos().max(0), hex::encode(suffix));
        let item = to_item(entry, (audit_pk(entry.licensee_id.as_ref()), sk))?;
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn audit(&self, licensee: Option<&LicenseeId>) -> Result<Vec<AuditEntry>, StoreError> {
        self.query(audit_pk(licensee), None).await?.into_iter().map(from_item).collect()
    }
}

/// The index the console's incident search queries: every incident item
/// carries `licensee_id` and `received_at` (RFC 3339, UTC), and no other item
/// has both, so the index holds exactly the incidents.
pub const INCIDENTS_INDEX: &str = "incidents-by-licensee";

impl DynamoConsoleStore {
    /// Adds the incident index to an existing table (the local stack and
    /// tests; the SAM template declares it). Waits until it is active.
    pub async fn ensure_incident_index(&self) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate, KeySchemaElement,
            KeyType, Projection, ProjectionType, ScalarAttributeType,
        };
        let table = self.client.describe_table().table_name(&self.table).send().await.map_err(sdk_error)?;
        let has = table
            .table
            .as_ref()
            .and_then(|t| t.global_secondary_indexes.as_ref())
            .is_some_and(|g| g.iter().any(|i| i.index_name() == Some(INCIDENTS_INDEX)));
        if !has {
            let attr = |n: &str| {
                AttributeDefinition::builder().attribute_name(n).attribute_type(ScalarAttributeType::S).build()
            };
            let key = |n: &str, k| KeySchemaElement::builder().attribute_name(n).key_type(k).build();
            let create = CreateGlobalSecondaryIndexAction::builder()
                .index_name(INCIDENTS_INDEX)
                .key_schema(key("licensee_id", KeyType::Hash).map_err(corrupt)?)
                .key_schema(key("received_at", KeyType::Range).map_err(corrupt)?)
                .projection(Projection::builder().projection_type(ProjectionType::KeysOnly).build())
                .build()
                .map_err(corrupt)?;
            self.client
                .update_table()
                .table_name(&self.table)
                .attribute_definitions(attr("licensee_id").map_err(corrupt)?)
                .attribute_definitions(attr("received_at").map_err(corrupt)?)
                .global_secondary_index_updates(GlobalSecondaryIndexUpdate::builder().create(create).build())
                .send()
                .await
                .map_err(sdk_error)?;
        }
        Ok(())
    }
}

#[async_trait]
impl crate::ports::incident_search::IncidentSearch for DynamoConsoleStore {
    async fn recent_incidents(
        &self,
        licensee: &LicenseeId,
        received: crate::ports::incident_search::Received,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<crate::ports::incident_search::IncidentPage, StoreError> {
        use crate::ids::IncidentId;
        // The cursor is the last key of the previous page, as `received_at#incident`.
        let start = cursor.and_then(|c| c.split_once('#')).and_then(|(at, id)| {
            let id = IncidentId::parse(id).ok()?;
            Some(HashMap::from([
                ("pk".to_owned(), s(format!("INCIDENT#{id}"))),
                ("sk".to_owned(), s("INCIDENT")),
                ("licensee_id".to_owned(), s(licensee.as_str())),
                ("received_at".to_owned(), s(at)),
            ]))
        });
        // RFC 3339 in UTC sorts as time does (to the second), so a range is a key condition.
        let bound = |at: Option<OffsetDateTime>, open: &str| {
            at.and_then(|a| a.replace_nanosecond(0).ok()?.format(&Rfc3339).ok()).unwrap_or_else(|| open.to_owned())
        };
        let (from, to) = (bound(received.from, "0"), bound(received.to.map(|t| t + time::Duration::seconds(1)), "~"));
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(INCIDENTS_INDEX)
            .key_condition_expression("licensee_id = :l AND received_at BETWEEN :from AND :to")
            .expression_attribute_values(":l", s(licensee.as_str()))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s(to))
            .scan_index_forward(false)
            .limit(limit.clamp(1, 100) as i32)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_error)?;
        let id_of = |item: &Item| {
            item.get("pk")?.as_s().ok()?.strip_prefix("INCIDENT#").and_then(|id| IncidentId::parse(id).ok())
        };
        let incidents = out.items().iter().filter_map(id_of).collect();
        let next = out.last_evaluated_key().and_then(|k| {
            let at = k.get("received_at")?.as_s().ok()?;
            let id = k.get("pk")?.as_s().ok()?.strip_prefix("INCIDENT#")?;
            Some(format!("{at}#{id}"))
        });
        Ok(crate::ports::incident_search::IncidentPage { incidents, next })
    }
}
