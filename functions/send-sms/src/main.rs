//! The SMS sender Lambda: client and configuration built once; each SQS
//! record is one notification (see `sim::sending`). With
//! `SMS_CONFIGURATION_SET` it sends through AWS End User Messaging SMS, whose
//! delivery receipts reach the `receipts` function; without, through SNS
//! Publish (receipts only in CloudWatch Logs).

use lambda_runtime::Error;
use sim::adapters::eum_sms::EumSms;
use sim::adapters::sns::SnsSms;
use sim::domain::notification::NotificationMessage;
use sim::domain::policy::Channel;
use sim::ports::Sender;
use sim::sending::send_batch;
use std::sync::Arc;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.is_empty())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = sim::adapters::aws::load_config().await;
    let sender: Arc<dyn Sender> = match env("SMS_CONFIGURATION_SET") {
        Some(set) => Arc::new(EumSms::from_config(&aws, set, env("SMS_ORIGINATION_IDENTITY"))),
        None => Arc::new(SnsSms::from_config(&aws, env("SMS_SENDER_ID"))),
    };
    let deps = sim::startup::sender(Channel::Sms, sender, &aws).await?;
    let deps = &deps;
    sim::sqs_batch::run_batches(
        move |messages: Vec<NotificationMessage>| async move { send_batch(deps, &messages).await },
    )
    .await
}
