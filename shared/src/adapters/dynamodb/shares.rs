//! `ShareStore` on DynamoDB: the share under its incident
//! (`INCIDENT#<id>` / `SHARE#<partner>`) and a copy in the partner's list
//! (`SHARED#<partner>` / `INCIDENT#<id>`), written together.

use super::codec::*;
use super::keys::*;
use super::{DynamoStore, Item};
use crate::domain::share::Share;
use crate::domain::{Incident, TimelineEvent};
use crate::ids::{IncidentId, LicenseeId};
use crate::ports::store::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

fn share_sk(partner: &LicenseeId) -> String {
    format!("SHARE#{partner}")
}

fn share_items(share: &Share) -> Result<(Item, Item), StoreError> {
    let main = to_item(share, incident_pk(&share.incident_id), share_sk(&share.partner))?;
    let listed = to_item(share, shared_with_pk(&share.partner), incident_pk(&share.incident_id))?;
    Ok((main, listed))
}

#[async_trait]
impl ShareStore for DynamoStore {
    async fn offer_share(&self, share: &Share, events: &[TimelineEvent]) -> Result<bool, StoreError> {
        let (main, listed) = share_items(share)?;
        let mut items =
            vec![put(&self.table, main, Some("attribute_not_exists(pk)"))?, put(&self.table, listed, None)?];
        for e in events {
            items.push(put(&self.table, event_item(e)?, None)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(true),
            Err(e) if failed_condition(&e) == Some(0) => Ok(false),
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn get_share(&self, incident: &IncidentId, partner: &LicenseeId) -> Result<Option<Share>, StoreError> {
        self.get(incident_pk(incident), &share_sk(partner)).await
    }

    async fn shares_of_incident(&self, incident: &IncidentId) -> Result<Vec<Share>, StoreError> {
        self.query_prefix(incident_pk(incident), "SHARE#").await
    }

    async fn shares_with_partner(&self, partner: &LicenseeId) -> Result<Vec<Share>, StoreError> {
        self.query_prefix(shared_with_pk(partner), "INCIDENT#").await
    }

    async fn move_share(
        &self,
        share: &Share,
        events: &[TimelineEvent],
        linked: Option<&Incident>,
    ) -> Result<(), StoreError> {
        let (main, listed) = share_items(share)?;
        let previous = AttributeValue::N(share.version.saturating_sub(1).to_string());
        let conditional = Put::builder()
            .table_name(&self.table)
            .set_item(Some(main))
            .condition_expression("version = :previous")
            .expression_attribute_values(":previous", previous)
            .build()
            .map_err(corrupt)?;
        let mut items = vec![TransactWriteItem::builder().put(conditional).build(), put(&self.table, listed, None)?];
        if let Some(incident) = linked {
            items.push(put(&self.table, incident_item(incident)?, Some("attribute_not_exists(pk)"))?);
        }
        for e in events {
            items.push(put(&self.table, event_item(e)?, None)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) if failed_condition(&e).is_some() => Err(StoreError::Conflict),
            Err(e) => Err(sdk_error(e)),
        }
    }
}
