//! A loopback stand-in for AWS End User Messaging SMS (`pinpoint-sms-voice-v2`,
//! AWS JSON 1.0): records every request exactly as received (target header,
//! signature presence, JSON body) and answers from a script (200 with a
//! message id unless told otherwise). moto does not implement this API.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// `X-Amz-Target`: which operation.
    pub target: String,
    pub content_type: String,
    /// Whether the request was SigV4-signed.
    pub signed: bool,
    pub body: Value,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    script: VecDeque<(u16, Value)>,
}

#[derive(Clone)]
pub struct EumApi {
    pub base_url: String,
    state: Arc<Mutex<State>>,
}

impl EumApi {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let state: Arc<Mutex<State>> = Arc::default();
        let server_state = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let state = server_state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                        let state = state.clone();
                        async move { Ok::<_, hyper::Error>(answer(&state, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { base_url, state }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// The next answer: e.g. (400, {"__type": "ValidationException", ...}).
    pub fn then_answer(&self, status: u16, body: Value) {
        self.state.lock().unwrap().script.push_back((status, body));
    }

    /// A client for this server, as the SDK would be configured in Lambda.
    pub async fn client(&self) -> aws_sdk_pinpointsmsvoicev2::Client {
        use aws_sdk_pinpointsmsvoicev2::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_pinpointsmsvoicev2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-2"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .endpoint_url(&self.base_url)
            .build();
        aws_sdk_pinpointsmsvoicev2::Client::from_conf(config)
    }
}

async fn answer(state: &Mutex<State>, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (method, path, target, content_type) =
        (req.method().to_string(), req.uri().path().to_owned(), header("x-amz-target"), header("content-type"));
    let signed = header("authorization").starts_with("AWS4-HMAC-SHA256 ");
    let bytes = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let mut s = state.lock().unwrap();
    s.received.push(Received { method, path, target, content_type, signed, body });
    let n = s.received.len();
    let (status, reply) =
        s.script.pop_front().unwrap_or_else(|| (200, json!({"MessageId": format!("eum-message-{n}")})));
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .body(Full::new(Bytes::from(reply.to_string())))
        .unwrap()
}
