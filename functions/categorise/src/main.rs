//! The categorise Lambda, fed by the categorise queue: clients built once;
//! failed records are reported individually so SQS retries only those.

use categorise::categorise;
use lambda_runtime::Error;
use sim::adapters::aws::load_config;
use sim::handoff::HandoffMessage;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = load_config().await;
    let deps = sim::startup::alerting(&aws)?;
    let deps = &deps;
    sim::sqs_batch::run(move |message: HandoffMessage| async move { categorise(deps, &message).await }).await
}
