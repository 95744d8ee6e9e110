//! `StaffStore` on DynamoDB.

use super::*;
use crate::domain::staff::{Login, StaffEmail, StaffId, StaffMember};
use crate::ids::LicenseeId;
use crate::ports::staff::StaffStore;
use crate::ports::store::StoreError;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

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
