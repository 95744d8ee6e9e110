//! The respond Lambda: the link key read once from SSM, clients built once.

use lambda_http::{service_fn, Error};
use respond::{handle, Deps, Site};
use sim::adapters::aws::load_config;
use sim::clock::SystemClock;
use sim::ids::RandomIds;
use std::convert::Infallible;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = load_config().await;
    // Behind CloudFront or under a base path the pages need the public
    // address; without it, Origin is compared with Host (the API's own URL).
    let site = match std::env::var("PUBLIC_BASE_URL") {
        Ok(url) if !url.trim().is_empty() => {
            Site::from_public_base_url(&url).map_err(|e| format!("PUBLIC_BASE_URL {e}"))?
        }
        _ => {
            tracing::warn!("PUBLIC_BASE_URL is not set: Origin is compared with Host");
            Site::default()
        }
    };
    let deps = Deps {
        store: sim::startup::store(&aws)?,
        briefings: sim::startup::queue(&aws, "BRIEFINGS_QUEUE_URL")?,
        scheduler: sim::startup::scheduler(&aws)?,
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
        key: sim::startup::link_key(&aws).await?,
        site,
    };
    let deps = &deps;
    lambda_http::run(service_fn(move |req| async move { Ok::<_, Infallible>(handle(deps, req).await) })).await
}
