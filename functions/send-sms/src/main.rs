//! The SMS sender Lambda: client and configuration built once; each SQS
//! record is one notification (see `sim::sending`). With
//! `SMS_CONFIGURATION_SET` it sends through AWS End User Messaging SMS, whose
//! delivery receipts reach the `receipts` function; without, through SNS
//! Publish (receipts only in CloudWatch Logs). See `sim::startup::sms_provider`.

use lambda_runtime::Error;
use sim::domain::notification::NotificationMessage;
use sim::domain::policy::Channel;
use sim::sending::send_batch;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = sim::adapters::aws::load_config().await;
    let sender = sim::startup::sms_provider(&aws);
    let deps = sim::startup::sender(Channel::Sms, sender, &aws, sim::startup::link_key(&aws).await?)?;
    let deps = &deps;
    sim::sqs_batch::run_batches(
        move |messages: Vec<NotificationMessage>| async move { send_batch(deps, &messages).await },
    )
    .await
}
