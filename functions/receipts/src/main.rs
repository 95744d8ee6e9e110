//! The receipts Lambda: SES, End User Messaging SMS and WhatsApp receipts,
//! and inbound SMS replies, from one SQS queue (see the library). Clients
//! built once per cold start.

use lambda_runtime::Error;
use receipts::{handle_message, Deps};
use sim::adapters::eum_sms::EumSms;
use sim::ports::Sender;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = sim::adapters::aws::load_config().await;
    let wiring = sim::startup::receipts(&aws).await?;
    // Two-way SMS is answered on End User Messaging SMS, from the alerts' own number.
    let sms_replies = std::env::var("SMS_CONFIGURATION_SET").ok().filter(|s| !s.is_empty()).map(|set| {
        let from = std::env::var("SMS_ORIGINATION_IDENTITY").ok().filter(|s| !s.is_empty());
        Arc::new(EumSms::from_config(&aws, set, from)) as Arc<dyn Sender>
    });
    let deps = Deps {
        store: wiring.store,
        queues: wiring.queues,
        clock: Arc::new(sim::clock::SystemClock),
        ids: Arc::new(sim::ids::RandomIds),
        link_key: wiring.link_key,
        link_lifetime: time::Duration::hours(sim::config::parsed_or("LINK_LIFETIME_HOURS", 168)?),
        sms_replies,
    };
    let deps = &deps;
    // Receipts arrive in several shapes (SNS-wrapped SES and SMS events, webhook
    // batches): each body read as JSON once, by the batch runner, and sorted by `handle_message`.
    sim::sqs_batch::run(move |body: serde_json::Value| handle_message(deps, body)).await
}
