//! The key provider on AWS KMS: `GenerateDataKey` (AES-256) under the
//! licensee's customer-managed key and `Decrypt`, both with the encryption
//! context, so KMS itself refuses a wrapped key presented for another
//! incident and CloudTrail records every unwrap with its context.

use crate::adapters::aws::is_retryable;
use crate::ports::keys::{DataKey, KeyContext, KeyError, KeyProvider, PlainKey, WrappedKey};
use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use aws_sdk_kms::Client;

#[derive(Clone)]
pub struct KmsKeys {
    client: Client,
    /// Key id or ARN of the customer-managed key.
    key_id: String,
}

impl KmsKeys {
    pub fn new(client: Client, key_id: impl Into<String>) -> Self {
        Self { client, key_id: key_id.into() }
    }

    pub fn from_config(config: &aws_config::SdkConfig, key_id: impl Into<String>) -> Self {
        Self::new(Client::new(config), key_id)
    }
}

#[async_trait]
impl KeyProvider for KmsKeys {
    async fn generate(&self, context: &KeyContext) -> Result<DataKey, KeyError> {
        let mut request = self.client.generate_data_key().key_id(&self.key_id).key_spec(DataKeySpec::Aes256);
        for (k, v) in context.pairs() {
            request = request.encryption_context(k, v);
        }
        let out = request.send().await.map_err(|e| {
            if is_retryable(&e) {
                KeyError::Unavailable(Box::new(e))
            } else {
                KeyError::Permanent(Box::new(e))
            }
        })?;
        let plain = out
            .plaintext
            .and_then(|b| PlainKey::from_slice(b.as_ref()))
            .ok_or_else(|| KeyError::Permanent("KMS returned no 256-bit plaintext key".into()))?;
        let wrapped = out
            .ciphertext_blob
            .map(|b| WrappedKey::from_bytes(b.as_ref()))
            .ok_or_else(|| KeyError::Permanent("KMS returned no wrapped key".into()))?;
        Ok(DataKey { plain, wrapped })
    }

    async fn unwrap(&self, wrapped: &WrappedKey, context: &KeyContext) -> Result<PlainKey, KeyError> {
        let bytes = wrapped.to_bytes().ok_or_else(|| KeyError::Refused("the wrapped key is not base64".into()))?;
        let mut request = self.client.decrypt().key_id(&self.key_id).ciphertext_blob(Blob::new(bytes));
        for (k, v) in context.pairs() {
            request = request.encryption_context(k, v);
        }
        let out = request.send().await.map_err(|e| {
            let refused = e.as_service_error().is_some_and(|s| {
                s.is_invalid_ciphertext_exception()
                    || s.is_incorrect_key_exception()
                    || s.is_disabled_exception()
                    || s.is_key_unavailable_exception()
                    || s.is_not_found_exception()
            });
            if refused {
                KeyError::Refused(Box::new(e))
            } else if is_retryable(&e) {
                KeyError::Unavailable(Box::new(e))
            } else {
                KeyError::Permanent(Box::new(e))
            }
        })?;
        out.plaintext
            .and_then(|b| PlainKey::from_slice(b.as_ref()))
            .ok_or_else(|| KeyError::Permanent("KMS returned no 256-bit plaintext key".into()))
    }
}
