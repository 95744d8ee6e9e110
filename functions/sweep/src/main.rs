//! The sweep Lambda: clients built once (`sim::startup`); each scheduled event runs one sweep.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use sim::handoff::SweepReport;
use sweep::{sweep, Settings};

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let deps = sim::startup::handoff(&sim::adapters::aws::load_config().await, Settings::from_env()?)?;
    let deps = &deps;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        // A store error fails the invocation; the next scheduled run tries again.
        Ok::<SweepReport, Error>(sweep(deps).await?)
    }))
    .await
}
