//! The key provider in memory: data keys wrapped with AES-256-GCM under a
//! master key held by the process, the encryption context as associated
//! data, so it refuses a wrong context exactly as KMS does. For the local
//! stack and tests; a restart loses the master key and with it every record.

use crate::ports::keys::{DataKey, KeyContext, KeyError, KeyProvider, PlainKey, WrappedKey};
use crate::vault::cipher;
use async_trait::async_trait;

pub struct MemoryKeys {
    master: PlainKey,
}

impl Default for MemoryKeys {
    fn default() -> Self {
        Self { master: PlainKey::random() }
    }
}

impl MemoryKeys {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl KeyProvider for MemoryKeys {
    async fn generate(&self, context: &KeyContext) -> Result<DataKey, KeyError> {
        let plain = PlainKey::random();
        let wrapped =
            WrappedKey::from_bytes(&cipher::seal(&self.master, context.canonical().as_bytes(), plain.bytes()));
        Ok(DataKey { plain, wrapped })
    }

    async fn unwrap(&self, wrapped: &WrappedKey, context: &KeyContext) -> Result<PlainKey, KeyError> {
        let bytes = wrapped.to_bytes().ok_or_else(|| KeyError::Refused("the wrapped key is not base64".into()))?;
        let plain = cipher::open(&self.master, context.canonical().as_bytes(), &bytes)
            .map_err(|e| KeyError::Refused(Box::new(e)))?;
        PlainKey::from_slice(&plain).ok_or_else(|| KeyError::Refused("the wrapped key is not 256 bits".into()))
    }
}
