//! `SessionStore` on DynamoDB: sessions, sign-ins in flight, the audit trail.

use super::*;
use crate::ids::LicenseeId;
use crate::ports::sessions::{AuditEntry, PendingSignIn, Session, SessionStore};
use crate::ports::store::StoreError;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

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
        // A session already gone stays gone.
        written(result)?;
        Ok(())
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
