//! moto reached through an HTTP client that records every request the SDK
//! sends (retries included): its operation (`X-Amz-Target`) and its body, so
//! a test can say how many reads an answer cost and which ones.
//!
//! It can also hold two requests until both have been sent: a test then
//! shows two reads are in flight at once without timing anything. Read one
//! after the other (in either order), the first would wait for ever for the
//! second (the test wraps the call in a timeout that fails it).
//!
//! The benchmark has its own counter (`bench/src/counting.rs`, timed spans by service): sim-bench is a binary only,
//! and depending on it here (or it on sim-tests) would tie the test and benchmark builds together.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// How long a test waits for an answer while a hold is set before failing
/// it as read in sequence: well inside the SDK's stalled-stream grace period
/// (20 s), after which a held request fails as stalled (a store error, a
/// less clear failure). An answer read side by side takes well under a second.
pub const HOLD_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// One request as sent.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `DynamoDB_20120810.Query` and the like (empty for services without the header).
    pub operation: String,
    pub body: String,
}

/// Which requests a hold concerns: an operation (`GetItem`, the name after
/// the dot of `X-Amz-Target`) whose body contains a text (a key's prefix, say).
#[derive(Debug, Clone, Copy)]
pub struct Matching {
    pub operation: &'static str,
    pub mentioning: &'static str,
}

/// Requests of `operation` whose body contains `mentioning`.
pub fn matching(operation: &'static str, mentioning: &'static str) -> Matching {
    Matching { operation, mentioning }
}

impl Matching {
    fn matches(&self, request: &Recorded) -> bool {
        let operation = request.operation.rsplit('.').next().unwrap_or_default();
        operation == self.operation && request.body.contains(self.mentioning)
    }
}

#[derive(Debug)]
struct Hold {
    both: [Matching; 2],
    /// Whether a request matching each has been sent since the hold was set.
    sent: [bool; 2],
}

impl Hold {
    fn released(&self) -> bool {
        self.sent == [true, true]
    }
}

#[derive(Debug, Default)]
struct Shared {
    sent: Mutex<Vec<Recorded>>,
    hold: Mutex<Option<Hold>>,
    released: Notify,
}

/// The requests sent so far, shared with the client that records them.
#[derive(Debug, Clone, Default)]
pub struct Recorder(Arc<Shared>);

impl Recorder {
    /// Forgets what was recorded (after a test's set-up).
    pub fn clear(&self) {
        self.0.sent.lock().unwrap().clear();
    }

    pub fn all(&self) -> Vec<Recorded> {
        self.0.sent.lock().unwrap().clone()
    }

    /// How many requests were sent.
    pub fn count(&self) -> usize {
        self.0.sent.lock().unwrap().len()
    }

    /// How many requests' bodies contain `text` (a key, say).
    pub fn mentioning(&self, text: &str) -> usize {
        self.0.sent.lock().unwrap().iter().filter(|r| r.body.contains(text)).count()
    }

    /// From now on, requests matching `a` or `b` are not forwarded to moto
    /// until one matching each has been sent (since this call); later ones
    /// then pass. Calling it again sets a new hold.
    pub fn side_by_side(&self, a: Matching, b: Matching) {
        *self.0.hold.lock().unwrap() = Some(Hold { both: [a, b], sent: [false, false] });
    }

    /// Holds nothing from now on (a held request goes on).
    pub fn stop_holding(&self) {
        *self.0.hold.lock().unwrap() = None;
        self.0.released.notify_waiters();
    }

    /// Records a request; true when it is to be held.
    fn record(&self, request: Recorded) -> bool {
        let held = match &mut *self.0.hold.lock().unwrap() {
            Some(hold) if !hold.released() => {
                let matched = hold.both.map(|m| m.matches(&request));
                hold.sent = [hold.sent[0] || matched[0], hold.sent[1] || matched[1]];
                if hold.released() {
                    self.0.released.notify_waiters();
                }
                matched.contains(&true) && !hold.released()
            }
            _ => false,
        };
        self.0.sent.lock().unwrap().push(request);
        held
    }

    /// Returns once the hold is released (or replaced by one that is, or gone).
    async fn released(&self) {
        loop {
            let notified = self.0.released.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.0.hold.lock().unwrap().as_ref().is_none_or(Hold::released) {
                return;
            }
            notified.await;
        }
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
        if !self.recorder.record(Recorded { operation, body }) {
            return self.inner.call(request);
        }
        let (inner, recorder) = (self.inner.clone(), self.recorder.clone());
        HttpConnectorFuture::new(async move {
            recorder.released().await;
            inner.call(request).await
        })
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
