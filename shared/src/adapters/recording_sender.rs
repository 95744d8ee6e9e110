//! A sender that records what it is given instead of delivering it: the
//! local stack's outbox, where a person reads the messages as they would
//! arrive.

use crate::ports::sender::{Outgoing, SendError, Sender};
use async_trait::async_trait;
use std::sync::Mutex;

#[derive(Default)]
pub struct RecordingSender {
    sent: Mutex<Vec<Outgoing>>,
}

impl RecordingSender {
    pub fn sent(&self) -> Vec<Outgoing> {
        self.sent.lock().expect("sender lock").clone()
    }
}

#[async_trait]
impl Sender for RecordingSender {
    async fn send(&self, message: &Outgoing) -> Result<String, SendError> {
        let mut sent = self.sent.lock().expect("sender lock");
        sent.push(message.clone());
        Ok(format!("local-{}", sent.len()))
    }
}
