//! The intake Lambda: clients built once (`sim::startup`), then the shared handler.

use intake::{handle, Settings};
use lambda_http::{service_fn, Error};
use std::convert::Infallible;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let deps = sim::startup::handoff(&sim::adapters::aws::load_config().await, Settings::from_env()?)?;
    let deps = &deps;
    lambda_http::run(service_fn(move |req| async move { Ok::<_, Infallible>(handle(deps, req).await) })).await
}
