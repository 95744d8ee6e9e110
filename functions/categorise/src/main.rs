//! The categorise Lambda, fed by the categorise queue: clients built once;
//! failed records are reported individually so SQS retries only those.

use categorise::{handle_message, ChannelQueues, Deps};
use lambda_runtime::Error;
use sim::adapters::aws::load_config;
use sim::adapters::dynamodb::DynamoStore;
use sim::adapters::sqs::SqsQueue;
use sim::clock::SystemClock;
use sim::config::required;
use sim::ids::RandomIds;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let table = required("TABLE_NAME")?;
    let (sms, email, whatsapp) =
        (required("SMS_QUEUE_URL")?, required("EMAIL_QUEUE_URL")?, required("WHATSAPP_QUEUE_URL")?);
    let (escalation, updates) = (required("ESCALATION_QUEUE_URL")?, required("UPDATES_QUEUE_URL")?);
    let aws = load_config().await;
    let deps = Deps {
        store: Arc::new(DynamoStore::from_config(&aws, table)),
        queues: ChannelQueues {
            sms: Arc::new(SqsQueue::from_config(&aws, sms)),
            email: Arc::new(SqsQueue::from_config(&aws, email)),
            whatsapp: Arc::new(SqsQueue::from_config(&aws, whatsapp)),
        },
        escalation: Arc::new(SqsQueue::from_config(&aws, escalation)),
        updates: Arc::new(SqsQueue::from_config(&aws, updates)),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
    };
    let deps = &deps;
    sim::sqs_batch::run(move |body| async move { handle_message(deps, &body).await.map(|_| ()) }).await
}
