//! The sweep Lambda: clients built once; each scheduled event runs one sweep.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use sim::adapters::aws::{load_config, table_and_categorise_queue};
use sim::clock::SystemClock;
use sim::handoff::SweepReport;
use sim::ids::RandomIds;
use std::sync::Arc;
use sweep::{after_from_env, sweep, Deps};

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let after = after_from_env()?;
    let (store, queue) = table_and_categorise_queue(&load_config().await)?;
    let deps = Deps { store, queue, clock: Arc::new(SystemClock), ids: Arc::new(RandomIds), after };
    let deps = &deps;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        // A store error fails the invocation; the next scheduled run tries again.
        Ok::<SweepReport, Error>(sweep(deps).await?)
    }))
    .await
}
