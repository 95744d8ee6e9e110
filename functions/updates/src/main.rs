//! The updates Lambda, fed by the updates delay queue.

use lambda_runtime::Error;
use sim::adapters::aws::load_config;
use sim::adapters::dynamodb::DynamoStore;
use sim::adapters::sqs::SqsQueue;
use sim::clock::SystemClock;
use sim::config::required;
use sim::ids::RandomIds;
use sim::ports::ChannelQueues;
use std::sync::Arc;
use updates::{handle_message, Deps};

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = load_config().await;
    let queue = |name: &'static str| -> Result<Arc<SqsQueue>, Error> {
        Ok(Arc::new(SqsQueue::from_config(&aws, required(name)?)))
    };
    let deps = Deps {
        store: Arc::new(DynamoStore::from_config(&aws, required("TABLE_NAME")?)),
        queues: ChannelQueues {
            sms: queue("SMS_QUEUE_URL")?,
            email: queue("EMAIL_QUEUE_URL")?,
            whatsapp: queue("WHATSAPP_QUEUE_URL")?,
        },
        escalation: queue("ESCALATION_QUEUE_URL")?,
        updates: queue("UPDATES_QUEUE_URL")?,
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
    };
    let deps = &deps;
    sim::sqs_batch::run(move |body| async move { handle_message(deps, &body).await.map(|_| ()) }).await
}
