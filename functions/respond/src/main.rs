//! The respond Lambda: the link key read once from SSM, clients built once.

use lambda_http::{service_fn, Error};
use respond::{handle, Deps};
use sim::adapters::aws::load_config;
use sim::adapters::dynamodb::DynamoStore;
use sim::adapters::sqs::SqsQueue;
use sim::adapters::ssm::secure_parameter;
use sim::clock::SystemClock;
use sim::config::required;
use sim::ids::RandomIds;
use sim::links::LinkKey;
use std::convert::Infallible;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = load_config().await;
    let key_hex = secure_parameter(&aws, &required("LINK_KEY_PARAMETER")?).await?;
    let deps = Deps {
        store: Arc::new(DynamoStore::from_config(&aws, required("TABLE_NAME")?)),
        updates: Arc::new(SqsQueue::from_config(&aws, required("UPDATES_QUEUE_URL")?)),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
        key: LinkKey::from_hex(&key_hex).map_err(|e| format!("the link key {e}"))?,
    };
    let deps = &deps;
    lambda_http::run(service_fn(move |req| async move { Ok::<_, Infallible>(handle(deps, req).await) })).await
}
