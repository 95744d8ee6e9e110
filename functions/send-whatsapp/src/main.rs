//! The WhatsApp sender Lambda: the Cloud API client, its bearer token (read
//! once from SSM) and configuration built once; each SQS record is one
//! notification (see `sim::sending`). A refusal falls back to SMS.

use lambda_runtime::Error;
use sim::adapters::ssm::secure_parameter;
use sim::adapters::whatsapp::CloudApiWhatsApp;
use sim::config::{parsed_or, required};
use sim::domain::notification::NotificationMessage;
use sim::domain::policy::Channel;
use sim::sending::send_batch;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = sim::adapters::aws::load_config().await;
    let token = secure_parameter(&aws, &required("WHATSAPP_TOKEN_PARAMETER")?).await?;
    let base: String = parsed_or("WHATSAPP_API_BASE", "https://graph.facebook.com".to_owned())?;
    let version: String = parsed_or("WHATSAPP_API_VERSION", "v21.0".to_owned())?;
    let sender = CloudApiWhatsApp::new(&base, &version, &required("WHATSAPP_PHONE_NUMBER_ID")?, token)?;
    let deps = sim::startup::sender(Channel::WhatsApp, Arc::new(sender), &aws).await?;
    let deps = &deps;
    sim::sqs_batch::run_batches(
        move |messages: Vec<NotificationMessage>| async move { send_batch(deps, &messages).await },
    )
    .await
}
