//! moto reached through an HTTP client that records every request the SDK
//! sends (retries included): its operation (`X-Amz-Target`) and its body, so
//! a test can say how many reads an answer cost and which ones.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use std::sync::{Arc, Mutex};

/// One request as sent.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `DynamoDB_20120810.Query` and the like (empty for services without the header).
    pub operation: String,
    pub body: String,
}

/// The requests sent so far, shared with the client that records them.
#[derive(Debug, Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Recorded>>>);

impl Recorder {
    /// Forgets what was recorded (after a test's set-up).
    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }

    pub fn all(&self) -> Vec<Recorded> {
        self.0.lock().unwrap().clone()
    }

    /// How many requests were sent.
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// How many requests' bodies contain `text` (a key, say).
    pub fn mentioning(&self, text: &str) -> usize {
        self.0.lock().unwrap().iter().filter(|r| r.body.contains(text)).count()
    }
}

#[derive(Debug, Clone)]
struct Recording {
    inner: SharedHttpClient,
    recorder: Recorder,
}

#[derive(Debug)]
struct RecordingConnector {
    inner: SharedHttpConnector,
    recorder: Recorder,
}

impl HttpClient for Recording {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        let inner = self.inner.http_connector(settings, components);
        SharedHttpConnector::new(RecordingConnector { inner, recorder: self.recorder.clone() })
    }
}

impl HttpConnector for RecordingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = request.headers().get("x-amz-target").unwrap_or_default().to_owned();
        let body = request.body().bytes().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
        self.recorder.0.lock().unwrap().push(Recorded { operation, body });
        self.inner.call(request)
    }
}

/// moto's configuration (as `moto()`) with every request recorded.
pub async fn recorded_moto() -> (aws_config::SdkConfig, Recorder) {
    let recorder = Recorder::default();
    let inner = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https();
    let client = Recording { inner, recorder: recorder.clone() };
    (crate::moto().await.into_builder().http_client(client).build(), recorder)
}
