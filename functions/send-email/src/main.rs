//! The email sender Lambda: SES client and configuration built once; each
//! SQS record is one notification (see `sim::sending`).

use lambda_runtime::Error;
use sim::adapters::ses::SesEmail;
use sim::config::required;
use sim::domain::notification::NotificationMessage;
use sim::domain::policy::Channel;
use sim::sending::send_batch;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = sim::adapters::aws::load_config().await;
    let configuration_set = std::env::var("EMAIL_CONFIGURATION_SET").ok().filter(|s| !s.is_empty());
    let sender = SesEmail::from_config(&aws, required("EMAIL_FROM")?, configuration_set);
    let deps = sim::startup::sender(Channel::Email, Arc::new(sender), &aws).await?;
    let deps = &deps;
    sim::sqs_batch::run_batches(
        move |messages: Vec<NotificationMessage>| async move { send_batch(deps, &messages).await },
    )
    .await
}
