//! The briefings Lambda, fed by the briefings delay queue.

use briefings::run;
use lambda_runtime::Error;
use sim::adapters::aws::load_config;
use sim::domain::follow_up::BriefingCheck;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = load_config().await;
    let deps = sim::startup::alerting(&aws)?;
    let deps = &deps;
    sim::sqs_batch::run(move |message: BriefingCheck| async move { run(deps, &message).await }).await
}
