//! The sweep Lambda: clients built once; each scheduled event runs one sweep.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use sim::adapters::dynamodb::DynamoStore;
use sim::adapters::sqs::SqsQueue;
use sim::clock::SystemClock;
use sim::config::required;
use sim::handoff::SweepReport;
use sim::ids::RandomIds;
use std::sync::Arc;
use sweep::{after_from_env, sweep, Deps};

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let table = required("TABLE_NAME")?;
    let queue_url = required("CATEGORISE_QUEUE_URL")?;
    let after = after_from_env()?;
    let aws = sim::adapters::aws::load_config().await;
    let deps = Deps {
        store: Arc::new(DynamoStore::from_config(&aws, table)),
        queue: Arc::new(SqsQueue::from_config(&aws, queue_url)),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
        after,
    };
    let deps = &deps;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        // A store error fails the invocation; the next scheduled run tries again.
        Ok::<SweepReport, Error>(sweep(deps).await?)
    }))
    .await
}
