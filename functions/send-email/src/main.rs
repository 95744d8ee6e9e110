//! The email sender Lambda: SES client and configuration built once; each
//! SQS record is one notification (see `sim::sending`).

use lambda_runtime::Error;
use sim::adapters::ses::SesEmail;
use sim::config::required;
use sim::domain::notification::NotificationMessage;
use sim::domain::policy::Channel;
use sim::sending::send;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = sim::adapters::aws::load_config().await;
    let configuration_set = std::env::var("EMAIL_CONFIGURATION_SET").ok().filter(|s| !s.is_empty());
    let sender = SesEmail::from_config(&aws, required("EMAIL_FROM")?, configuration_set);
    let deps = sim::startup::sender(Channel::Email, Arc::new(sender), &aws).await?;
    let deps = &deps;
    sim::sqs_batch::run(move |message: NotificationMessage| async move { send(deps, &message).await }).await
}
