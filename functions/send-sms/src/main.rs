//! The SMS sender Lambda: SNS client and configuration built once; each SQS
//! record is one notification (see `sim::sending`).

use lambda_runtime::Error;
use sim::adapters::sns::SnsSms;
use sim::domain::notification::NotificationMessage;
use sim::domain::policy::Channel;
use sim::sending::send;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = sim::adapters::aws::load_config().await;
    let sender = SnsSms::from_config(&aws, std::env::var("SMS_SENDER_ID").ok().filter(|s| !s.is_empty()));
    let deps = sim::startup::sender(Channel::Sms, Arc::new(sender), &aws).await?;
    let deps = &deps;
    sim::sqs_batch::run(move |message: NotificationMessage| async move { send(deps, &message).await }).await
}
