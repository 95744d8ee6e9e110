//! Counting AWS requests at the HTTP layer: an HTTP client that wraps the
//! SDK's own and tallies every request it sends (retries included) by
//! service and operation, read from the request itself.
//!
//! Not `sim-tests`' recorder (`tests/support/recorder.rs`): depending on sim-tests would build every function crate
//! and the browser tooling into the benchmark, and this one times each request's span, which that one does not.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Requests by "service:Operation", each with when it was sent and answered.
#[derive(Debug, Default, Clone)]
pub struct Tally(Arc<Mutex<Vec<Span>>>);

/// One request: its operation, when it was sent and when it was answered.
#[derive(Debug, Clone)]
pub struct Span {
    pub operation: String,
    pub sent: Instant,
    pub answered: Option<Instant>,
}

impl Tally {
    /// The requests made since the last `take`.
    pub fn take(&self) -> Vec<Span> {
        std::mem::take(&mut *self.0.lock().expect("tally lock"))
    }

    fn add(&self, operation: String) -> usize {
        let mut spans = self.0.lock().expect("tally lock");
        spans.push(Span { operation, sent: Instant::now(), answered: None });
        spans.len() - 1
    }

    fn answered(&self, index: usize) {
        if let Some(span) = self.0.lock().expect("tally lock").get_mut(index) {
            span.answered = Some(Instant::now());
        }
    }
}

/// Requests by operation.
pub fn by_operation(spans: &[Span]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for span in spans {
        *counts.entry(span.operation.clone()).or_default() += 1;
    }
    counts
}

#[derive(Debug)]
struct CountingClient {
    inner: SharedHttpClient,
    tally: Tally,
}

#[derive(Debug)]
struct CountingConnector {
    inner: SharedHttpConnector,
    tally: Tally,
}

impl HttpClient for CountingClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        let inner = self.inner.http_connector(settings, components);
        SharedHttpConnector::new(CountingConnector { inner, tally: self.tally.clone() })
    }
}

impl HttpConnector for CountingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let index = self.tally.add(operation(&request));
        let (tally, call) = (self.tally.clone(), self.inner.call(request));
        HttpConnectorFuture::new(async move {
            let answer = call.await;
            tally.answered(index);
            answer
        })
    }
}

/// "dynamodb:GetItem", "sqs:SendMessageBatch", "sns:Publish", "ses:POST /v2/email/outbound-emails".
fn operation(request: &HttpRequest) -> String {
    let headers = request.headers();
    // Credential=KEY/DATE/REGION/SERVICE/aws4_request
    let service = headers
        .get("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("unknown")
        .to_owned();
    if let Some(target) = headers.get("x-amz-target") {
        return format!("{service}:{}", target.rsplit('.').next().unwrap_or(target));
    }
    let body = request.body().bytes().map(String::from_utf8_lossy).unwrap_or_default();
    if let Some(action) = body.split('&').find_map(|p| p.strip_prefix("Action=")) {
        return format!("{service}:{action}");
    }
    let path = request.uri().split("://").nth(1).and_then(|r| r.find('/').map(|i| &r[i..])).unwrap_or("/");
    format!("{service}:{} {}", request.method(), path.split('?').next().unwrap_or(path))
}

/// The SDK configuration from the environment, with every request counted.
pub async fn counted_config() -> (aws_config::SdkConfig, Tally) {
    let base = sim::adapters::aws::load_config().await;
    // The client the SDK would build by default: hyper with rustls on aws-lc.
    let inner = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https();
    let tally = Tally::default();
    let client = CountingClient { inner, tally: tally.clone() };
    (base.into_builder().http_client(client).build(), tally)
}
