//! The WhatsApp sender Lambda: the Cloud API client, its bearer token (read
//! once from SSM) and configuration built once; each SQS record is one
//! notification (see `sim::sending`). A refusal falls back to SMS.

use lambda_runtime::Error;
use sim::domain::notification::NotificationMessage;
use sim::domain::policy::Channel;
use sim::sending::send_batch;
use sim::startup::{Secret, Secrets};

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = sim::adapters::aws::load_config().await;
    // Both secrets in one SSM request.
    let mut secrets = Secrets::read(&aws, &[Secret::WhatsAppToken, Secret::LinkKey]).await?;
    let sender = sim::startup::whatsapp_provider(&mut secrets)?;
    let deps = sim::startup::sender(Channel::WhatsApp, sender, &aws, secrets.link_key()?)?;
    let deps = &deps;
    sim::sqs_batch::run_batches(
        move |messages: Vec<NotificationMessage>| async move { send_batch(deps, &messages).await },
    )
    .await
}
