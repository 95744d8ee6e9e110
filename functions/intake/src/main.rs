//! The intake Lambda: clients built once, then the shared handler.

use intake::{handle, Deps, Settings};
use lambda_http::{service_fn, Error};
use sim::adapters::aws::{load_config, table_and_categorise_queue};
use sim::clock::SystemClock;
use sim::ids::RandomIds;
use std::convert::Infallible;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let settings = Settings::from_env()?;
    let config = load_config().await;
    let (store, queue) = table_and_categorise_queue(&config)?;
    let vault = sim::startup::vault(&config, store.clone()).await?.map(Arc::new);
    let deps = Deps { store, queue, clock: Arc::new(SystemClock), ids: Arc::new(RandomIds), settings, vault };
    let deps = &deps;
    lambda_http::run(service_fn(move |req| async move { Ok::<_, Infallible>(handle(deps, req).await) })).await
}
