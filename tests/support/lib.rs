//! What the integration tests share: fixed keys and clock, event fixtures,
//! and harnesses that build intake's dependencies on in-memory adapters or on
//! moto's emulated DynamoDB and SQS (reached through `AWS_ENDPOINT_URL`).

use lambda_http::{Body, Request, Response};
use serde_json::Value;
use sim::adapters::dynamodb::DynamoStore;
use sim::adapters::memory_queue::MemoryQueue;
use sim::adapters::memory_scheduler::MemoryScheduler;
use sim::adapters::memory_store::MemoryStore;
use sim::adapters::sqs::SqsQueue;
use sim::clock::ManualClock;
use sim::demo::{self, DemoKeys};
use sim::domain::ApiKey;
use sim::ids::SequentialIds;
use sim::ports::{Queue, Store};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// Every test starts at this instant; time moves only when a test says.
pub const START: OffsetDateTime = datetime!(2026-11-21 02:10 UTC);

/// The Met CAD key the `events/` fixtures carry.
pub fn met_key() -> ApiKey {
    ApiKey::parse(&format!("sim_met-cad_{}", "e".repeat(64))).expect("fixture key parses").1
}

pub fn kent_key() -> ApiKey {
    ApiKey::parse(&format!("sim_kent-police_{}", "f".repeat(64))).expect("fixture key parses").1
}

pub fn fixed_keys() -> DemoKeys {
    DemoKeys { met_cad: met_key(), kent_police: kent_key() }
}

/// A request from `events/<name>`.
pub fn event(name: &str) -> Request {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{path} is not an HTTP API event: {e}"))
}

/// The JSON body of a fixture event, for tests that vary it.
pub fn event_body(name: &str) -> Value {
    let req = event(name);
    serde_json::from_slice(req.body().as_ref()).expect("fixture body is JSON")
}

/// A request built in the test, as API Gateway would deliver it.
pub fn request(method: &str, path: &str, key: Option<&ApiKey>, body: Option<String>) -> Request {
    let mut builder =
        lambda_http::http::Request::builder().method(method).uri(path).header("content-type", "application/json");
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {}", key.reveal()));
    }
    builder.body(body.map(Body::from).unwrap_or(Body::Empty)).expect("valid request")
}

pub fn json(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap_or_else(|_| {
        panic!("response body is not JSON: {:?}", String::from_utf8_lossy(response.body().as_ref()))
    })
}

pub fn header<'r>(response: &'r Response<Body>, name: &str) -> Option<&'r str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// intake's dependencies plus handles on them for assertions.
pub struct Harness {
    pub deps: intake::Deps,
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
    pub clock: Arc<ManualClock>,
    pub ids: Arc<SequentialIds>,
}

impl Harness {
    pub fn new(store: Arc<dyn Store>, queue: Arc<dyn Queue>) -> Self {
        let clock = Arc::new(ManualClock::new(START));
        let ids = Arc::new(SequentialIds::default());
        let deps = intake::Deps {
            store: store.clone(),
            queue: queue.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
            settings: intake::Settings {
                licence_grace: Duration::days(30),
                vault: Some(Arc::new(sim::startup::local_vault(store.clone(), clock.clone(), ids.clone()))),
                ..Default::default()
            },
        };
        Self { deps, store, queue, clock, ids }
    }

    pub async fn seeded(self) -> Self {
        demo::seed(&*self.store, START.date(), &fixed_keys()).await.expect("seeding works");
        self
    }

    pub async fn call(&self, req: Request) -> Response<Body> {
        intake::handle(&self.deps, req).await
    }

    /// Bodies of every message now on the queue (received and deleted).
    pub async fn drain(&self) -> Vec<Value> {
        drain(&*self.queue).await
    }

    pub fn sweeper(&self, queue: Arc<dyn Queue>) -> sweep::Deps {
        sweep::Deps {
            store: self.store.clone(),
            queue,
            clock: self.clock.clone(),
            ids: self.ids.clone(),
            settings: sweep::Settings { after: Duration::seconds(60) },
        }
    }
}

pub async fn drain(queue: &dyn Queue) -> Vec<Value> {
    let mut bodies = Vec::new();
    loop {
        let batch = queue.receive(10).await.expect("receive works");
        if batch.is_empty() {
            return bodies;
        }
        for m in batch {
            bodies.push(serde_json::from_str(&m.body).expect("queue bodies are JSON"));
            queue.delete(&m.receipt).await.expect("delete works");
        }
    }
}

pub async fn memory_harness() -> Harness {
    Harness::new(Arc::new(MemoryStore::new()), Arc::new(MemoryQueue::new("categorise"))).seeded().await
}

/// AWS configuration for moto's server; tests that need it fail with a
/// clear instruction when it is not running.
/// Whether moto's server is there for the AWS adapter tests. Plain
/// `cargo test` has no emulator: those tests then pass without running and say
/// so on the terminal. Under `./tests/run.sh` (`SIM_FULL_SUITE`) or in CI nothing
/// may skip: a missing emulator fails the test.
pub fn moto_available(test: &str) -> bool {
    if std::env::var_os("AWS_ENDPOINT_URL").is_some() {
        return true;
    }
    if std::env::var_os("CI").is_some() || std::env::var_os("SIM_FULL_SUITE").is_some() {
        panic!("AWS_ENDPOINT_URL is not set: moto's server must run for the full suite (./tests/run.sh starts it)");
    }
    skipped(test, "needs moto's server: run ./tests/run.sh");
    false
}

/// Says on the terminal that a test did not run: written straight to stderr,
/// which libtest does not capture, so a green `cargo test` does not hide it.
pub fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {test} ({why})");
}

/// First line of a test that talks to moto: returns early when it may skip.
#[macro_export]
macro_rules! needs_moto {
    () => {
        if !$crate::moto_available(concat!(file!(), ":", line!())) {
            return;
        }
    };
}

pub async fn moto() -> aws_config::SdkConfig {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("needs_moto!() checked that moto is there");
    assert!(
        endpoint.starts_with("http://127.") || endpoint.starts_with("http://localhost"),
        "refusing to run tests against {endpoint}: only a loopback emulator"
    );
    sim::adapters::aws::load_config().await
}

/// A name no other test uses, so tests can share one moto server.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000_000;
    format!("{prefix}-{}-{n}-{nanos}", std::process::id())
}

pub async fn moto_store() -> DynamoStore {
    let store = DynamoStore::from_config(&moto().await, unique("sim-test"));
    store.create_table_if_missing().await.expect("table created in moto");
    store
}

pub async fn moto_queue() -> SqsQueue {
    let config = moto().await;
    SqsQueue::create_if_missing(aws_sdk_sqs::Client::new(&config), &unique("categorise"))
        .await
        .expect("queue created in moto")
}

pub async fn moto_harness() -> Harness {
    Harness::new(Arc::new(moto_store().await), Arc::new(moto_queue().await)).seeded().await
}

/// The categorise function's dependencies, on the same store and clock as
/// intake's, with the three sender queues.
pub fn categoriser(h: &Harness, queues: categorise::ChannelQueues) -> categorise::Deps {
    categoriser_with(h, queues, Arc::new(MemoryQueue::new("escalation")))
}

pub fn categoriser_with(
    h: &Harness,
    queues: categorise::ChannelQueues,
    escalation: Arc<dyn Queue>,
) -> categorise::Deps {
    categorise::Deps {
        store: h.store.clone(),
        queues,
        escalation,
        briefings: Arc::new(MemoryQueue::new("briefings")),
        clock: h.clock.clone(),
        ids: h.ids.clone(),
    }
}

pub fn memory_channel_queues() -> categorise::ChannelQueues {
    categorise::ChannelQueues {
        sms: Arc::new(MemoryQueue::new("sms")),
        email: Arc::new(MemoryQueue::new("email")),
        whatsapp: Arc::new(MemoryQueue::new("whatsapp")),
    }
}

pub async fn moto_channel_queues() -> categorise::ChannelQueues {
    categorise::ChannelQueues {
        sms: Arc::new(moto_queue().await),
        email: Arc::new(moto_queue().await),
        whatsapp: Arc::new(moto_queue().await),
    }
}

/// Runs categorisation on everything intake has handed on; returns the
/// hand-off message bodies, so a test can deliver them again.
pub async fn categorise_handed_on(h: &Harness, deps: &categorise::Deps) -> Vec<String> {
    let mut bodies = Vec::new();
    for body in drain(&*h.queue).await {
        let text = body.to_string();
        categorise::handle_message(deps, &text).await.expect("categorisation succeeds");
        bodies.push(text);
    }
    bodies
}

/// An SQS queue that does not exist: every send fails, as when SQS is down.
pub async fn moto_unreachable_queue() -> SqsQueue {
    let config = moto().await;
    let url = format!("{}/000000000000/gone", config.endpoint_url().expect("moto endpoint"));
    SqsQueue::new(aws_sdk_sqs::Client::new(&config), url)
}

pub mod browser;
pub mod console_deps;
pub mod eum_server;
pub mod local_stack;
pub mod logs;
pub mod recorder;
pub mod whatsapp_server;

pub use console_deps::{console_deps, session_for, ConsoleDepsBuilder};
pub use local_stack::serve_local_stack;

/// What moto recorded as sent: (SMS as (number, text), emails as (to, subject, html)).
pub async fn moto_sent() -> (Vec<(String, String)>, Vec<(String, String, String)>) {
    use std::io::{Read, Write};
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("moto is running");
    let address = endpoint.trim_start_matches("http://").trim_end_matches('/').to_owned();
    // moto answers this dump from its Flask server; under heavy load a read may come back cut short, so a
    // non-JSON answer is retried a few times before the test is failed with what moto said.
    let mut last = String::new();
    let mut data = None;
    for attempt in 0..5u64 {
        let address = address.clone();
        let text = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
            let mut stream = std::net::TcpStream::connect(&address)?;
            write!(stream, "GET /moto-api/data.json HTTP/1.0\r\nHost: {address}\r\n\r\n")?;
            let mut response = String::new();
            stream.read_to_string(&mut response)?;
            Ok(response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default())
        })
        .await
        .unwrap();
        match text.map(|t| (serde_json::from_str::<Value>(&t), t)) {
            Ok((Ok(value), _)) => {
                data = Some(value);
                break;
            }
            Ok((Err(_), t)) => last = t.chars().take(200).collect(),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(std::time::Duration::from_millis(200 * (attempt + 1))).await;
    }
    let data = data.unwrap_or_else(|| panic!("moto's /moto-api/data.json did not answer JSON after 5 tries: {last}"));
    let sms = data["sns"]["SMS"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| {
            (
                m["phone_number"].as_str().unwrap_or_default().to_owned(),
                m["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let email = data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| {
            (
                m["destinations"]["ToAddresses"][0].as_str().unwrap_or_default().to_owned(),
                m["subject"].as_str().unwrap_or_default().to_owned(),
                m["body"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    (sms, email)
}

/// The respond function's dependencies on the harness's store and clock.
pub fn responder(h: &Harness, key: sim::links::LinkKey) -> respond::Deps {
    let briefings: Arc<dyn Queue> = Arc::new(MemoryQueue::new("briefings"));
    let scheduler = Arc::new(MemoryScheduler::new(h.clock.clone(), briefings.clone()));
    responder_with(h, key, briefings, scheduler)
}

/// The respond function's dependencies with its briefings queue and scheduler.
pub fn responder_with(
    h: &Harness,
    key: sim::links::LinkKey,
    briefings: Arc<dyn Queue>,
    scheduler: Arc<dyn sim::ports::Scheduler>,
) -> respond::Deps {
    respond::Deps {
        store: h.store.clone(),
        briefings,
        scheduler,
        clock: h.clock.clone(),
        ids: h.ids.clone(),
        key,
        site: respond::Site::default(),
    }
}

/// A personal link token for a contact, as a sender would sign it.
pub fn link_token(
    key: &sim::links::LinkKey,
    incident: &str,
    contact: &str,
    channel: sim::domain::policy::Channel,
) -> String {
    key.sign(&sim::links::LinkClaims {
        incident_id: sim::ids::IncidentId::parse(incident).unwrap(),
        contact_id: sim::ids::ContactId::parse(contact).unwrap(),
        channel,
        expires_at: START + Duration::days(7),
    })
}
