//! SMS through AWS End User Messaging SMS (`pinpoint-sms-voice-v2`
//! `SendTextMessage`) instead of SNS `Publish`: sent with a configuration set
//! whose event destination (SNS → SQS) brings delivery receipts back to the
//! `receipts` function, and a `Context` naming the notification (ids only).

use super::provider_errors::classify;
use crate::ports::sender::{wrong_channel, Outgoing, SendError, Sender};
use async_trait::async_trait;
use aws_sdk_pinpointsmsvoicev2::types::MessageType;
use aws_sdk_pinpointsmsvoicev2::Client;

pub struct EumSms {
    client: Client,
    /// The configuration set whose event destination publishes receipts.
    configuration_set: String,
    /// The registered sender ID, phone number or pool (ARN or id) to send from;
    /// None lets the service choose from the account's identities.
    origination_identity: Option<String>,
}

impl EumSms {
    pub fn new(client: Client, configuration_set: String, origination_identity: Option<String>) -> Self {
        Self { client, configuration_set, origination_identity }
    }

    pub fn from_config(
        config: &aws_config::SdkConfig,
        configuration_set: String,
        origination_identity: Option<String>,
    ) -> Self {
        Self::new(Client::new(config), configuration_set, origination_identity)
    }

    async fn send_text(&self, message: &Outgoing, notification: Option<&str>) -> Result<String, SendError> {
        let Outgoing::Sms { to, text } = message else { return Err(wrong_channel("SMS")) };
        let mut request = self
            .client
            .send_text_message()
            .destination_phone_number(to.as_str())
            .message_body(text)
            .message_type(MessageType::Transactional)
            .configuration_set_name(&self.configuration_set)
            .set_origination_identity(self.origination_identity.clone());
        if let Some(notification) = notification {
            request = request.context("notification", notification);
        }
        let out = request.send().await.map_err(|e| {
            classify(
                e,
                // Refused for good: a bad number, an opted-out one, or a
                // destination the account may not send to.
                &["ValidationException", "ConflictException", "ResourceNotFoundException"],
                &["ThrottlingException", "ServiceQuotaExceededException"],
            )
        })?;
        Ok(out.message_id.unwrap_or_default())
    }
}

#[async_trait]
impl Sender for EumSms {
    async fn send(&self, message: &Outgoing) -> Result<String, SendError> {
        self.send_text(message, None).await
    }

    async fn send_for(&self, message: &Outgoing, notification: &str) -> Result<String, SendError> {
        self.send_text(message, Some(notification)).await
    }
}
