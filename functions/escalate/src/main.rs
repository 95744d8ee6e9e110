//! The escalate Lambda, fed by the escalation delay queue.

use escalate::escalate;
use lambda_runtime::Error;
use sim::adapters::aws::load_config;
use sim::domain::notification::EscalationCheck;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = load_config().await;
    let deps = sim::startup::alerting(&aws)?;
    let deps = &deps;
    sim::sqs_batch::run(move |message: EscalationCheck| async move { escalate(deps, &message).await }).await
}
