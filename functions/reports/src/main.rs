//! The reports Lambda: the table's DynamoDB Stream (filtered to the items a
//! report row is derived from) → each changed incident's row refreshed (see
//! the library). The store is built once per cold start.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use reports::{handle, BatchResponse, StreamEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let store = sim::startup::store(&sim::adapters::aws::load_config().await)?;
    let store = &*store;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<StreamEvent>| async move {
        Ok::<BatchResponse, Error>(handle(store, &event.payload).await)
    }))
    .await
}
