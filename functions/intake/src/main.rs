//! The intake Lambda: clients built once (`sim::startup`), then the shared handler.

use intake::{handle, Settings};
use lambda_http::{service_fn, Error};
use std::convert::Infallible;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = sim::adapters::aws::load_config().await;
    let mut deps = sim::startup::handoff(&aws, Settings::from_env()?)?;
    let mut secrets = sim::startup::Secrets::read(&aws, sim::startup::vault_secrets()).await?;
    deps.settings.vault = sim::startup::vault(&aws, deps.store.clone(), &mut secrets)?.map(std::sync::Arc::new);
    let deps = &deps;
    lambda_http::run(service_fn(move |req| async move { Ok::<_, Infallible>(handle(deps, req).await) })).await
}
