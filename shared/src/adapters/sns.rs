//! SMS through Amazon SNS `Publish` to a phone number, as Transactional
//! messages with the configured sender ID.

use super::provider_errors::classify;
use crate::ports::sender::{wrong_channel, Outgoing, SendError, Sender};
use async_trait::async_trait;
use aws_sdk_sns::types::MessageAttributeValue;
use aws_sdk_sns::Client;

pub struct SnsSms {
    client: Client,
    /// UK networks require a registered alphanumeric sender ID.
    sender_id: Option<String>,
}

impl SnsSms {
    pub fn from_config(config: &aws_config::SdkConfig, sender_id: Option<String>) -> Self {
        Self { client: Client::new(config), sender_id }
    }
}

fn attribute(value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder().data_type("String").string_value(value).build().expect("data type is set")
}

#[async_trait]
impl Sender for SnsSms {
    async fn send(&self, message: &Outgoing) -> Result<String, SendError> {
        let Outgoing::Sms { to, text } = message else { return Err(wrong_channel("SMS")) };
        let mut request = self
            .client
            .publish()
            .phone_number(to.as_str())
            .message(text)
            .message_attributes("AWS.SNS.SMS.SMSType", attribute("Transactional"));
        if let Some(id) = &self.sender_id {
            request = request.message_attributes("AWS.SNS.SMS.SenderID", attribute(id));
        }
        let out = request.send().await.map_err(|e| {
            classify(
                e,
                &["InvalidParameter", "InvalidParameterValue", "OptedOut", "EndpointDisabled"],
                &["Throttling", "ThrottledException", "KMSThrottling"],
            )
        })?;
        Ok(out.message_id.unwrap_or_default())
    }
}
