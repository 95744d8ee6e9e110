//! The intake Lambda: clients built once, then the shared handler.

use intake::{handle, Deps, Settings};
use lambda_http::{service_fn, Error};
use sim::adapters::dynamodb::DynamoStore;
use sim::adapters::sqs::SqsQueue;
use sim::clock::SystemClock;
use sim::config::required;
use sim::ids::RandomIds;
use std::convert::Infallible;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let table = required("TABLE_NAME")?;
    let queue_url = required("CATEGORISE_QUEUE_URL")?;
    let settings = Settings::from_env()?;
    let aws = sim::adapters::aws::load_config().await;
    let deps = Deps {
        store: Arc::new(DynamoStore::from_config(&aws, table)),
        queue: Arc::new(SqsQueue::from_config(&aws, queue_url)),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
        settings,
    };
    let deps = &deps;
    lambda_http::run(service_fn(move |req| async move { Ok::<_, Infallible>(handle(deps, req).await) })).await
}
