//! The receipts Lambda: SES, End User Messaging SMS and WhatsApp receipts
//! from one SQS queue (see the library). Clients built once per cold start.

use lambda_runtime::Error;
use receipts::{handle, Deps};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = sim::adapters::aws::load_config().await;
    let wiring = sim::startup::receipts(&aws).await?;
    let deps = Deps {
        store: wiring.store,
        queues: wiring.queues,
        clock: Arc::new(sim::clock::SystemClock),
        ids: Arc::new(sim::ids::RandomIds),
        link_key: wiring.link_key,
    };
    let deps = &deps;
    // Receipts arrive in several shapes (SNS-wrapped SES and SMS events, webhook batches): read as JSON, sorted by `handle`.
    sim::sqs_batch::run(move |body: serde_json::Value| async move { handle(deps, &body.to_string()).await }).await
}
