//! `DirectoryStore` on DynamoDB.

use super::codec::*;
use super::keys::*;
use super::{DynamoStore, Item};
use crate::domain::{AreaName, Caller, Contact, Group, Licensee};
use crate::ids::{CallerId, ContactId, LicenseeId};
use crate::ports::store::*;
use async_trait::async_trait;

#[async_trait]
impl DirectoryStore for DynamoStore {
    async fn put_licensee(&self, licensee: &Licensee) -> Result<(), StoreError> {
        let mut items = vec![put(&self.table, to_item(licensee, licensee_pk(&licensee.id), "PROFILE".into())?, None)?];
        for area in &licensee.areas {
            let mut item = Item::new();
            item.insert("pk".into(), s(format!("AREA#{}", area.key())));
            item.insert("sk".into(), s("AREA"));
            item.insert("licensee_id".into(), s(licensee.id.as_str()));
            items.push(put(&self.table, item, None)?);
        }
        self.transact(items).await.map_err(sdk_error)
    }

    async fn get_licensee(&self, id: &LicenseeId) -> Result<Option<Licensee>, StoreError> {
        self.get(licensee_pk(id), "PROFILE").await
    }

    async fn licensee_for_area(&self, area: &AreaName) -> Result<Option<LicenseeId>, StoreError> {
        #[derive(serde::Deserialize)]
        struct Area {
            licensee_id: LicenseeId,
        }
        let found: Option<Area> = self.get(format!("AREA#{}", area.key()), "AREA").await?;
        Ok(found.map(|a| a.licensee_id))
    }

    async fn record_lapse(&self, notice: &LapseNotice) -> Result<(), StoreError> {
        let sk = format!("LAPSE#{}#{}", sortable(notice.at), notice.incident_id);
        self.put_plain(to_item(notice, licensee_pk(&notice.licensee_id), sk)?).await
    }

    async fn lapses(&self, licensee: &LicenseeId) -> Result<Vec<LapseNotice>, StoreError> {
        self.query_prefix(licensee_pk(licensee), "LAPSE#").await
    }

    /// The caller's profile, and a copy under each licensee it acts for (so a
    /// council's callers are one Query); copies under licensees it no longer
    /// acts for are deleted in the same transaction.
    async fn put_caller(&self, caller: &Caller) -> Result<(), StoreError> {
        let sk = format!("CALLER#{}", caller.id);
        let before: Option<Caller> = self.get_caller(&caller.id).await?;
        let mut items = vec![put(&self.table, to_item(caller, sk.clone(), "PROFILE".into())?, None)?];
        for licensee in &caller.licensees {
            items.push(put(&self.table, to_item(caller, licensee_pk(licensee), sk.clone())?, None)?);
        }
        for dropped in before.iter().flat_map(|b| &b.licensees).filter(|l| !caller.licensees.contains(l)) {
            let delete = aws_sdk_dynamodb::types::Delete::builder()
                .table_name(&self.table)
                .key("pk", s(licensee_pk(dropped)))
                .key("sk", s(sk.clone()))
                .build()
                .map_err(corrupt)?;
            items.push(aws_sdk_dynamodb::types::TransactWriteItem::builder().delete(delete).build());
        }
        self.transact(items).await.map_err(sdk_error)
    }

    async fn callers(&self, licensee: &LicenseeId) -> Result<Vec<Caller>, StoreError> {
        self.query_prefix(licensee_pk(licensee), "CALLER#").await
    }

    async fn get_caller(&self, id: &CallerId) -> Result<Option<Caller>, StoreError> {
        self.get(format!("CALLER#{id}"), "PROFILE").await
    }

    async fn put_contact(&self, contact: &Contact) -> Result<(), StoreError> {
        let sk = format!("CONTACT#{}", contact.id);
        self.put_plain(to_item(contact, licensee_pk(&contact.licensee_id), sk)?).await
    }

    async fn contacts(&self, licensee: &LicenseeId) -> Result<Vec<Contact>, StoreError> {
        self.query_prefix(licensee_pk(licensee), "CONTACT#").await
    }

    async fn get_contact(&self, licensee: &LicenseeId, id: &ContactId) -> Result<Option<Contact>, StoreError> {
        self.get(licensee_pk(licensee), &format!("CONTACT#{id}")).await
    }

    async fn put_group(&self, group: &Group) -> Result<(), StoreError> {
        let sk = format!("GROUP#{}", group.id);
        self.put_plain(to_item(group, licensee_pk(&group.licensee_id), sk)?).await
    }

    async fn groups(&self, licensee: &LicenseeId) -> Result<Vec<Group>, StoreError> {
        self.query_prefix(licensee_pk(licensee), "GROUP#").await
    }

    /// One query of the licensee's partition, from its contacts to its
    /// profile (`CONTACT#…`, `GROUP#…`, `PROFILE`); the items sorted between
    /// them (the directory's version and change records, lapse notices) are
    /// read with it and skipped.
    async fn directory_snapshot(&self, licensee: &LicenseeId) -> Result<Option<Directory>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :first AND :last")
            .expression_attribute_values(":pk", s(licensee_pk(licensee)))
            .expression_attribute_values(":first", s("CONTACT#"))
            .expression_attribute_values(":last", s("PROFILE"))
            .consistent_read(true);
        let (mut profile, mut contacts, mut groups) = (None, Vec::new(), Vec::new());
        for item in self.all_items(query).await? {
            let sk = item.get("sk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            if sk == "PROFILE" {
                profile = Some(from_item::<Licensee>(item)?);
            } else if sk.starts_with("CONTACT#") {
                contacts.push(from_item(item)?);
            } else if sk.starts_with("GROUP#") {
                groups.push(from_item(item)?);
            }
        }
        Ok(profile.map(|licensee| Directory { licensee, contacts, groups }))
    }
}
