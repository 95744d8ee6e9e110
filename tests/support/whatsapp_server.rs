//! A loopback stand-in for the WhatsApp Business Cloud API: records every
//! request exactly as received and answers from a script (200 with a message
//! id unless told otherwise).

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
    pub authorization: String,
    pub content_type: String,
    pub body: Value,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// Answers to give next, in order: (status, body).
    script: VecDeque<(u16, Value)>,
    /// Numbers (without +) the API refuses as "not on WhatsApp".
    not_on_whatsapp: Vec<String>,
}

#[derive(Clone)]
pub struct CloudApi {
    pub base_url: String,
    state: Arc<Mutex<State>>,
}

impl CloudApi {
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

    pub fn then_answer(&self, status: u16, body: Value) {
        self.state.lock().unwrap().script.push_back((status, body));
    }

    pub fn refuse_number(&self, e164: &str) {
        self.state.lock().unwrap().not_on_whatsapp.push(e164.trim_start_matches('+').to_owned());
    }
}

async fn answer(state: &Mutex<State>, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (method, path, authorization, content_type) =
        (req.method().to_string(), req.uri().path().to_owned(), header("authorization"), header("content-type"));
    let bytes = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let mut s = state.lock().unwrap();
    let to = body["to"].as_str().unwrap_or_default().to_owned();
    s.received.push(Received { method, path, authorization, content_type, body });
    let n = s.received.len();
    let (status, reply) = if s.not_on_whatsapp.contains(&to) {
        (400, json!({"error": {"message": "Message undeliverable", "type": "OAuthException", "code": 131026}}))
    } else {
        s.script.pop_front().unwrap_or_else(|| {
            (200, json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": format!("wamid.test{n}")}]}))
        })
    };
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(reply.to_string())))
        .unwrap()
}
