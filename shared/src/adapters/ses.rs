//! Email through Amazon SES v2 `SendEmail`: plain text and HTML, from the
//! configured verified identity, in the configured configuration set.

use super::provider_errors::classify;
use crate::ports::sender::{wrong_channel, Outgoing, SendError, Sender};
use async_trait::async_trait;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sesv2::Client;

pub struct SesEmail {
    client: Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesEmail {
    pub fn from_config(config: &aws_config::SdkConfig, from: String, configuration_set: Option<String>) -> Self {
        Self { client: Client::new(config), from, configuration_set }
    }
}

fn content(text: &str) -> Content {
    Content::builder().data(text).charset("UTF-8").build().expect("data is set")
}

#[async_trait]
impl Sender for SesEmail {
    async fn send(&self, message: &Outgoing) -> Result<String, SendError> {
        let Outgoing::Email { to, email } = message else { return Err(wrong_channel("email")) };
        let body = Body::builder().text(content(&email.text)).html(content(&email.html)).build();
        let simple = Message::builder().subject(content(&email.subject)).body(body).build();
        let out = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to.as_str()).build())
            .content(EmailContent::builder().simple(simple).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(|e| {
                classify(
                    e,
                    &["MessageRejected", "MailFromDomainNotVerifiedException"],
                    &["TooManyRequestsException", "LimitExceededException", "Throttling"],
                )
            })?;
        Ok(out.message_id.unwrap_or_default())
    }
}
