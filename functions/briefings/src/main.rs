//! The briefings Lambda, fed by the briefings delay queue.

use briefings::handle_message;
use lambda_runtime::Error;
use sim::adapters::aws::load_config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = load_config().await;
    let deps = sim::startup::alerting(&aws)?;
    let deps = &deps;
    sim::sqs_batch::run(move |body| async move { handle_message(deps, &body).await.map(|_| ()) }).await
}
