//! The email sender Lambda: SES client and configuration built once; each
//! SQS record is one notification (see `sim::sending`).

use lambda_runtime::Error;
use sim::domain::notification::NotificationMessage;
use sim::domain::policy::Channel;
use sim::sending::send_batch;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = sim::adapters::aws::load_config().await;
    let sender = sim::startup::email_provider(&aws)?;
    let deps = sim::startup::sender(Channel::Email, sender, &aws, sim::startup::link_key(&aws).await?)?;
    let deps = &deps;
    sim::sqs_batch::run_batches(
        move |messages: Vec<NotificationMessage>| async move { send_batch(deps, &messages).await },
    )
    .await
}
