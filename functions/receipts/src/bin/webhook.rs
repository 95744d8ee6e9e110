//! The WhatsApp webhook Lambda (HTTP API `GET`/`POST /whatsapp/webhook`):
//! secrets read once from SSM; verified posts are queued for `receipts`.

use lambda_http::{service_fn, Body, Error, Request};
use receipts::whatsapp::{handle, WebhookDeps};
use std::convert::Infallible;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = sim::adapters::aws::load_config().await;
    let (verify_token, app_secret, queue) = sim::startup::webhook_secrets(&aws).await?;
    let deps = WebhookDeps { verify_token, app_secret, queue };
    let deps = &deps;
    lambda_http::run(service_fn(move |req: Request| async move {
        let (parts, body) = req.into_parts();
        let response = handle(deps, http::Request::from_parts(parts, body.to_vec())).await;
        Ok::<_, Infallible>(response.map(Body::from))
    }))
    .await
}
