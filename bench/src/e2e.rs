//! End to end against moto: from intake's POST to the last message handed to
//! its provider, for one CRITICAL incident alerting `n` people on SMS,
//! WhatsApp (a loopback Cloud API) and email. The handlers are driven as
//! Lambda's SQS event source mapping drives them in production: batches of
//! up to 10, the template's concurrency per sender queue (2 instances each)
//! and its pacing per instance (SMS 10/s, email 7/s, WhatsApp 10/s).
//!
//! SIM's own requests are counted at the HTTP layer (AWS) and at the
//! loopback Cloud API (WhatsApp, a provider request like SNS Publish). The
//! queue polling (ReceiveMessage, DeleteMessage) is done by Lambda in AWS,
//! not by SIM's code: it goes through an uncounted client and is reported
//! apart. moto's own request recorder counts the first timed run again.
//!
//! The floor is the least set of calls the same job needs, with the same
//! sizes: the report written and queued; the notifications written
//! (BatchWriteItem) and queued (SendMessageBatch, SIM's message bodies);
//! per batch of 10 one transaction of conditional claims, the provider calls
//! (SIM's rendered texts), one transaction recording them sent; polled and
//! paced the same way. Both sides are warmed (one untimed run each) and then
//! run alternately, SIM then floor, `runs` times. Every timed SIM run starts
//! with cold caches (a new intake and new senders) on warm connections.

use crate::counting::{by_operation, counted_config, Span, Tally};
use crate::pipeline::{post, report, seed};
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, TransactWriteItem, Update, WriteRequest};
use sim::adapters::dynamodb::DynamoStore;
use sim::adapters::ses::SesEmail;
use sim::adapters::sns::SnsSms;
use sim::adapters::sqs::SqsQueue;
use sim::adapters::whatsapp::CloudApiWhatsApp;
use sim::clock::SystemClock;
use sim::domain::notification::{AlertKind, NotificationMessage, NotificationStatus};
use sim::domain::policy::Channel;
use sim::ids::{IncidentId, RandomIds};
use sim::links::LinkKey;
use sim::ports::store::prelude::*;
use sim::ports::{ChannelQueues, Outgoing, OutgoingMessage, Queue, Sender, Store};
use sim::render::Alert;
use sim::sending::{send_batch, Links, Pacer, SendFailure, SendOutcome, SenderDeps};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Requests the loopback WhatsApp Cloud API has answered: provider requests,
/// counted beside the AWS ones.
static WHATSAPP_REQUESTS: AtomicU64 = AtomicU64::new(0);

/// A loopback WhatsApp Cloud API that accepts every message.
pub async fn whatsapp_api_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("loopback port");
    let url = format!("http://{}", listener.local_addr().expect("bound"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    // One request: headers, then Content-Length bytes of body.
                    let Some(end) = find(&buffer, b"\r\n\r\n") else {
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while buffer.len() < end + 4 + length {
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buffer.drain(..end + 4 + length);
                    let body = format!(
                        "{{\"messaging_product\":\"whatsapp\",\"messages\":[{{\"id\":\"wamid.bench{}\"}}]}}",
                        WHATSAPP_REQUESTS.fetch_add(1, Ordering::Relaxed)
                    );
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if stream.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

struct Queues {
    urls: BTreeMap<&'static str, String>,
    counted: ChannelQueues,
    plain: ChannelQueues,
    categorise_counted: Arc<dyn Queue>,
    categorise_plain: Arc<dyn Queue>,
    escalation: Arc<dyn Queue>,
    briefings: Arc<dyn Queue>,
}

async fn queues(plain: &aws_config::SdkConfig, counted: &aws_config::SdkConfig, prefix: &str) -> Queues {
    let admin = aws_sdk_sqs::Client::new(plain);
    let (plain_client, counted_client) = (aws_sdk_sqs::Client::new(plain), aws_sdk_sqs::Client::new(counted));
    let mut urls = BTreeMap::new();
    for name in ["categorise", "sms", "email", "whatsapp", "escalation", "briefings"] {
        let url = admin.create_queue().queue_name(format!("{prefix}-{name}")).send().await.expect("queue created");
        urls.insert(name, url.queue_url().expect("a queue url").to_owned());
    }
    let q = |client: &aws_sdk_sqs::Client, name: &str| {
        Arc::new(SqsQueue::new(client.clone(), urls[name].clone())) as Arc<dyn Queue>
    };
    let channels = |client: &aws_sdk_sqs::Client| ChannelQueues {
        sms: q(client, "sms"),
        email: q(client, "email"),
        whatsapp: q(client, "whatsapp"),
    };
    Queues {
        urls: urls.clone(),
        counted: channels(&counted_client),
        plain: channels(&plain_client),
        categorise_counted: q(&counted_client, "categorise"),
        categorise_plain: q(&plain_client, "categorise"),
        escalation: q(&counted_client, "escalation"),
        briefings: q(&counted_client, "briefings"),
    }
}

/// Requests by operation, times, and the critical path of a run of `recipients`.
pub async fn run(recipients: usize, whatsapp_base: &str, runs: usize, endpoint: &str) -> Run {
    let plain = sim::adapters::aws::load_config().await;
    let (counted, tally): (aws_config::SdkConfig, Tally) = counted_config().await;
    let prefix = format!("sim-bench-{}-{recipients}", std::process::id());
    let table = DynamoStore::from_config(&plain, &prefix);
    table.create_table_if_missing().await.expect("table created");
    let _ = aws_sdk_sesv2::Client::new(&plain).create_email_identity().email_identity("sim.example").send().await;
    let store: Arc<dyn Store> = Arc::new(DynamoStore::from_config(&counted, &prefix));
    let key = seed(&DynamoStore::from_config(&plain, &prefix), recipients).await;
    let q = queues(&plain, &counted, &prefix).await;
    let sim_side = Side { store, q: &q, counted: &counted, whatsapp_base, key: &key };
    let floor_side = Floor::new(&prefix, &q, whatsapp_base).await;

    // Warm-up, untimed: one SIM run, and one floor run shaped like it.
    let warm = sim_side.once(&reference(recipients, 0)).await;
    let shape = Shape::of(&plain, &prefix, &warm.incident).await;
    floor_side.once(&shape, 0).await;
    tally.take();
    floor_side.tally.take();

    let mut out = Run { recipients, messages: shape.total(), ..Run::default() };
    for i in 1..=runs {
        let whatsapp_before = WHATSAPP_REQUESTS.load(Ordering::Relaxed);
        if i == 1 {
            moto_api(endpoint, "/moto-api/recorder/reset-recording").await;
            moto_api(endpoint, "/moto-api/recorder/start-recording").await;
        }
        let posted_at = time::OffsetDateTime::now_utc();
        let sim = sim_side.once(&reference(recipients, i)).await;
        if i == 1 {
            moto_api(endpoint, "/moto-api/recorder/stop-recording").await;
            out.recorded = Some(recorded_requests(&moto_api(endpoint, "/moto-api/recorder/download-recording").await));
        }
        let spans = tally.take();
        let whatsapp = WHATSAPP_REQUESTS.load(Ordering::Relaxed) - whatsapp_before;
        let mut requests = by_operation(&spans);
        requests.insert("whatsapp:POST /{version}/{phone}/messages".into(), whatsapp);
        out.totals.push(requests.values().sum());
        out.sim.push(sim.elapsed);
        out.intake.push(sim.intake);
        let sent = DynamoStore::from_config(&plain, &prefix).notifications(&sim.incident).await.expect("read back");
        assert_eq!(sent.len(), shape.total(), "every notification, once");
        assert!(sent.iter().all(|n| n.status == NotificationStatus::Sent), "every notification sent");
        let after_post = |at: time::OffsetDateTime| (at - posted_at).unsigned_abs();
        let first = sent.iter().filter_map(|n| n.sent_at).min().expect("sent");
        out.first_handoff.push(after_post(first));
        // Each required role's first message, and the last of those.
        let mut roles: BTreeMap<String, time::OffsetDateTime> = BTreeMap::new();
        for n in sent.iter().filter(|n| n.required) {
            let at = n.sent_at.expect("sent");
            let first = roles.entry(n.role.to_string()).or_insert(at);
            *first = (*first).min(at);
        }
        out.required_roles.push(roles.values().max().map_or(Duration::ZERO, |at| after_post(*at)));
        if i == 1 {
            out.round_trips = sequential_round_trips(&spans, sim.started, &sim.provider_starts);
            let answered = sim.started + sim.intake;
            out.intake_requests = spans.iter().filter(|s| s.sent >= sim.started && s.sent < answered).count();
            out.requests = requests;
            out.polling = sim.polling;
        }
        floor_side.tally.take();
        out.floor.push(floor_side.once(&shape, i).await);
        let floor_spans = floor_side.tally.take();
        if i == 1 {
            let mut floor_requests = by_operation(&floor_spans);
            floor_requests.insert("whatsapp:POST /{version}/{phone}/messages".into(), shape.whatsapp as u64);
            out.floor_requests = floor_requests;
        }
    }
    out
}

/// A police reference per run: "CAD BENCH/10A", "CAD BENCH/10B", ...
fn reference(recipients: usize, run: usize) -> String {
    let mut suffix = String::new();
    let mut n = run;
    loop {
        suffix.insert(0, char::from(b'A' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            break;
        }
    }
    format!("CAD BENCH/{recipients}{suffix}")
}

#[derive(Default)]
pub struct Run {
    pub recipients: usize,
    /// Messages handed to providers per run.
    pub messages: usize,
    pub sim: Vec<Duration>,
    pub floor: Vec<Duration>,
    /// SIM's own requests by service:operation, first timed run.
    pub requests: BTreeMap<String, u64>,
    /// SIM's requests in every timed run.
    pub totals: Vec<u64>,
    /// The floor's requests by operation, first timed run.
    pub floor_requests: BTreeMap<String, u64>,
    /// ReceiveMessage/DeleteMessage made by the poller (Lambda, in AWS), first timed run.
    pub polling: u64,
    /// moto's recorder: AWS requests it served in the first timed run,
    /// polling left out, and its unreadable lines.
    pub recorded: Option<(u64, u64)>,
    /// SIM's sequential requests from the POST to the first provider call, first timed run.
    pub round_trips: usize,
    pub first_handoff: Vec<Duration>,
    /// Intake's handler against moto, reads cold (a new container's first report).
    pub intake: Vec<Duration>,
    /// AWS requests intake made, first timed run.
    pub intake_requests: usize,
    pub required_roles: Vec<Duration>,
}

impl Run {
    pub fn total(&self) -> u64 {
        self.requests.values().sum()
    }

    pub fn aws(&self) -> u64 {
        self.requests.iter().filter(|(op, _)| !op.starts_with("whatsapp:")).map(|(_, n)| n).sum()
    }
}

/// The longest chain of SIM's requests, each sent after the one before was
/// answered, from the POST to the first provider call: the sequential round
/// trips on the critical path (requests made concurrently count once).
fn sequential_round_trips(spans: &[Span], from: Instant, provider_starts: &Mutex<Vec<Instant>>) -> usize {
    let provider = ["sns:", "ses:", "whatsapp:"];
    let aws_first = spans.iter().filter(|s| provider.iter().any(|p| s.operation.starts_with(p))).map(|s| s.sent).min();
    let whatsapp_first = provider_starts.lock().expect("lock").iter().min().copied();
    let Some(until) = [aws_first, whatsapp_first].into_iter().flatten().min() else { return 0 };
    let mut before: Vec<(Instant, Instant)> = spans
        .iter()
        .filter(|s| s.sent >= from && s.sent < until)
        .filter_map(|s| s.answered.map(|a| (s.sent, a)))
        .collect();
    before.sort_by_key(|(_, answered)| *answered);
    let (mut chain, mut free_at) = (0, from);
    for (sent, answered) in before {
        if sent >= free_at {
            chain += 1;
            free_at = answered;
        }
    }
    chain + 1 // the provider call itself
}

/// What a timed SIM run came to.
struct Once {
    incident: IncidentId,
    /// Intake's handler, POST to answer, against moto.
    intake: Duration,
    elapsed: Duration,
    started: Instant,
    polling: u64,
    provider_starts: Arc<Mutex<Vec<Instant>>>,
}

/// SIM's side: the counted store and queues, fresh handlers per run.
struct Side<'a> {
    store: Arc<dyn Store>,
    q: &'a Queues,
    counted: &'a aws_config::SdkConfig,
    whatsapp_base: &'a str,
    key: &'a sim::domain::ApiKey,
}

/// The template's instances per sender queue and pacing per instance.
const INSTANCES: usize = 2;

fn pace(channel: Channel) -> f64 {
    match channel {
        Channel::Sms => 10.0,
        Channel::Email => 7.0,
        Channel::WhatsApp => 10.0,
    }
}

impl Side<'_> {
    async fn once(&self, reference: &str) -> Once {
        let (clock, ids) = (Arc::new(SystemClock), Arc::new(RandomIds));
        let intake = intake::Deps {
            store: self.store.clone(),
            queue: self.q.categorise_counted.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
            // The benchmark reports incidents only: no subject records.
            settings: intake::Settings { licence_grace: time::Duration::days(30), ..Default::default() },
        };
        let categorise = categorise::Deps {
            store: self.store.clone(),
            queues: self.q.counted.clone(),
            escalation: self.q.escalation.clone(),
            briefings: self.q.briefings.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
        };
        let links = Links {
            key: LinkKey::generate(),
            base_url: "https://sim.bench.example".into(),
            lifetime: time::Duration::days(7),
        };
        let provider_starts = Arc::new(Mutex::new(Vec::new()));
        let sender = |channel| {
            let provider: Arc<dyn Sender> = match channel {
                Channel::Sms => Arc::new(SnsSms::from_config(self.counted, None)),
                Channel::Email => Arc::new(SesEmail::from_config(self.counted, "alerts@sim.example".into(), None)),
                Channel::WhatsApp => Arc::new(
                    CloudApiWhatsApp::new(self.whatsapp_base, "v21.0", "1234567890", "bench".into())
                        .expect("TLS roots"),
                ),
            };
            SenderDeps {
                channel,
                store: self.store.clone(),
                sender: Arc::new(Timed { inner: provider, starts: provider_starts.clone() }),
                fallback: None,
                clock: clock.clone(),
                ids: ids.clone(),
                links: links.clone(),
                pacer: Pacer::per_second(pace(channel)),
                lease: time::Duration::seconds(60),
                reads: Default::default(),
            }
        };
        let polling = Arc::new(AtomicU64::new(0));

        let started = Instant::now();
        let response = intake::handle(&intake, post(self.key, report(reference))).await;
        assert_eq!(response.status(), 202, "intake accepted the report");
        let intake_time = started.elapsed();
        let incident: IncidentId = serde_json::from_slice::<serde_json::Value>(response.body().as_ref())
            .ok()
            .and_then(|v| v["id"].as_str().and_then(|id| IncidentId::parse(id).ok()))
            .expect("the answer names the incident");
        loop {
            let batch = self.q.categorise_plain.receive(10).await.expect("receive");
            polling.fetch_add(1, Ordering::Relaxed);
            if batch.is_empty() {
                continue;
            }
            for m in batch {
                categorise::handle_message(&categorise, &m.body).await.expect("categorised");
                self.q.categorise_plain.delete(&m.receipt).await.expect("deleted");
                polling.fetch_add(1, Ordering::Relaxed);
            }
            break;
        }
        let consumers = [Channel::Sms, Channel::Email, Channel::WhatsApp]
            .into_iter()
            .flat_map(|channel| (0..INSTANCES).map(move |_| channel));
        let consumers = consumers.map(|channel| {
            let (deps, queue, polling) = (sender(channel), self.q.plain.for_channel_arc(channel), polling.clone());
            async move {
                loop {
                    let batch = queue.receive(10).await.expect("receive");
                    polling.fetch_add(1, Ordering::Relaxed);
                    if batch.is_empty() {
                        return;
                    }
                    // As Lambda's event source mapping hands a batch to the sender.
                    let messages: Vec<NotificationMessage> =
                        batch.iter().map(|m| sim::ports::parse_message(&m.body).expect("a notification")).collect();
                    for outcome in send_batch(&deps, &messages).await.expect("claimed") {
                        // A copy SQS delivered twice is already done or held by the
                        // other instance, which sends it; the run checks each was sent once.
                        assert!(
                            matches!(
                                outcome,
                                Ok(SendOutcome::Sent { .. } | SendOutcome::AlreadyDone) | Err(SendFailure::Busy)
                            ),
                            "sent: {outcome:?}"
                        );
                    }
                    for m in batch {
                        queue.delete(&m.receipt).await.expect("deleted");
                        polling.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
        futures_util::future::join_all(consumers).await;
        let elapsed = started.elapsed();
        Once {
            incident,
            intake: intake_time,
            elapsed,
            started,
            polling: polling.load(Ordering::Relaxed),
            provider_starts,
        }
    }
}

/// A provider that notes when each call starts (for the critical path).
struct Timed {
    inner: Arc<dyn Sender>,
    starts: Arc<Mutex<Vec<Instant>>>,
}

#[async_trait::async_trait]
impl Sender for Timed {
    async fn send(&self, message: &Outgoing) -> Result<String, sim::ports::SendError> {
        self.starts.lock().expect("lock").push(Instant::now());
        self.inner.send(message).await
    }

    async fn send_for(&self, message: &Outgoing, notification: &str) -> Result<String, sim::ports::SendError> {
        self.starts.lock().expect("lock").push(Instant::now());
        self.inner.send_for(message, notification).await
    }
}

/// What the floor must match: per channel the message count, SIM's queue
/// bodies and rendered messages, and the item sizes.
struct Shape {
    per_channel: [(Channel, usize); 3],
    /// A SIM queue body per channel (the floor's bodies are padded to it).
    bodies: HashMap<Channel, String>,
    outgoing: HashMap<Channel, Outgoing>,
    incident_item: String,
    notification_item: String,
    whatsapp: usize,
}

impl Shape {
    fn total(&self) -> usize {
        self.per_channel.iter().map(|(_, n)| n).sum()
    }

    async fn of(plain: &aws_config::SdkConfig, table: &str, id: &IncidentId) -> Shape {
        let store = DynamoStore::from_config(plain, table);
        let notifications = store.notifications(id).await.expect("notifications");
        let count = |c: Channel| notifications.iter().filter(|n| n.channel == c).count();
        let incident = store.get_incident(id).await.expect("read").expect("stored");
        let categorisation = store.get_categorisation(id).await.expect("read").expect("categorised");
        let contact = store
            .contacts(&incident.licensee_id)
            .await
            .expect("contacts")
            .into_iter()
            .find(|c| c.mobile.is_some() && c.email.is_some())
            .expect("a contact");
        let token = LinkKey::generate().sign(&sim::links::LinkClaims {
            incident_id: id.clone(),
            contact_id: contact.id.clone(),
            channel: Channel::Sms,
            expires_at: time::OffsetDateTime::now_utc() + time::Duration::days(7),
        });
        let link = format!("https://sim.bench.example/a/{token}");
        let alert = Alert {
            incident: &incident,
            category: categorisation.category,
            reason: &categorisation.reason,
            kind: AlertKind::First,
            acknowledge_within: categorisation.acknowledge_within_minutes,
            link: &link,
        };
        let (phone, email) = (contact.mobile.clone().expect("mobile"), contact.email.clone().expect("email"));
        let outgoing = HashMap::from([
            (Channel::Sms, Outgoing::Sms { to: phone.clone(), text: alert.sms().text }),
            (Channel::Email, Outgoing::Email { to: email, email: alert.email() }),
            (Channel::WhatsApp, Outgoing::WhatsApp { to: phone, template: alert.whatsapp(&token) }),
        ]);
        let body = |c: Channel| {
            let n = notifications.iter().find(|n| n.channel == c).expect("one per channel");
            serde_json::to_string(&n.message(&incident.licensee_id)).expect("serialises")
        };
        Shape {
            per_channel: [
                (Channel::Sms, count(Channel::Sms)),
                (Channel::Email, count(Channel::Email)),
                (Channel::WhatsApp, count(Channel::WhatsApp)),
            ],
            bodies: [Channel::Sms, Channel::Email, Channel::WhatsApp].into_iter().map(|c| (c, body(c))).collect(),
            outgoing,
            incident_item: serde_json::to_string(&incident).expect("serialises"),
            notification_item: serde_json::to_string(&notifications[0]).expect("serialises"),
            whatsapp: count(Channel::WhatsApp),
        }
    }
}

/// The floor's side: counted clients of its own, the same queues.
struct Floor<'a> {
    dynamo: aws_sdk_dynamodb::Client,
    /// The same queues through the floor's counted client: what it sends.
    sends: HashMap<&'static str, SqsQueue>,
    table: String,
    q: &'a Queues,
    tally: Tally,
    sms: SnsSms,
    email: SesEmail,
    whatsapp: CloudApiWhatsApp,
}

impl<'a> Floor<'a> {
    /// With counted clients of its own, so its requests are tallied apart.
    async fn new(table: &str, q: &'a Queues, whatsapp_base: &str) -> Self {
        let (config, tally) = counted_config().await;
        let sqs = aws_sdk_sqs::Client::new(&config);
        let sends = ["categorise", "sms", "email", "whatsapp"]
            .into_iter()
            .map(|name| (name, SqsQueue::new(sqs.clone(), q.urls[name].clone())))
            .collect();
        Floor {
            sends,
            dynamo: aws_sdk_dynamodb::Client::new(&config),
            table: table.to_owned(),
            q,
            tally,
            sms: SnsSms::from_config(&config, None),
            email: SesEmail::from_config(&config, "alerts@sim.example".into(), None),
            whatsapp: CloudApiWhatsApp::new(whatsapp_base, "v21.0", "1234567890", "bench".into()).expect("TLS roots"),
        }
    }

    /// The least set of calls for the job, timed.
    async fn once(&self, shape: &Shape, run: usize) -> Duration {
        let item = |pk: String, sk: String, body: &str| {
            [
                ("pk", AttributeValue::S(pk)),
                ("sk", AttributeValue::S(sk)),
                ("status", AttributeValue::S("pending".into())),
                ("body", AttributeValue::S(body.to_owned())),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<HashMap<_, _>>()
        };
        let pk = format!("FLOOR#{run}");
        let start = Instant::now();
        self.dynamo
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item(pk.clone(), "INCIDENT".into(), &shape.incident_item)))
            .send()
            .await
            .expect("put");
        self.sends["categorise"]
            .send(&[OutgoingMessage::now(r#"{"incident_id":"inc-floor","version":1,"reason":"reported"}"#)])
            .await
            .expect("send");
        loop {
            let batch = self.q.categorise_plain.receive(10).await.expect("receive");
            if let Some(m) = batch.first() {
                self.q.categorise_plain.delete(&m.receipt).await.expect("delete");
                break;
            }
        }
        let keys: Vec<String> = (0..shape.total()).map(|i| format!("NOTIFY#{i:05}")).collect();
        for chunk in keys.chunks(25) {
            let writes = chunk
                .iter()
                .map(|k| {
                    let put =
                        PutRequest::builder().set_item(Some(item(pk.clone(), k.clone(), &shape.notification_item)));
                    WriteRequest::builder().put_request(put.build().expect("valid")).build()
                })
                .collect();
            self.dynamo.batch_write_item().request_items(&self.table, writes).send().await.expect("batch write");
        }
        let mut offset = 0;
        let mut sends = Vec::new();
        for (channel, n) in shape.per_channel {
            // A body the size of SIM's: the key, padded.
            let size = shape.bodies[&channel].len();
            let bodies: Vec<OutgoingMessage> = keys[offset..offset + n]
                .iter()
                .map(|k| OutgoingMessage::now(format!("{k}{}", " ".repeat(size.saturating_sub(k.len())))))
                .collect();
            offset += n;
            let queue = &self.sends[sim::domain::choice::Choice::as_str(&channel)];
            sends.push(async move { queue.send(&bodies).await.expect("send batch") });
        }
        futures_util::future::join_all(sends).await;
        let consumers = shape.per_channel.iter().flat_map(|(channel, _)| (0..INSTANCES).map(move |_| *channel));
        let consumers = consumers.map(|channel| {
            let queue = self.q.plain.for_channel_arc(channel);
            let (pk, pacer) = (pk.clone(), Pacer::per_second(pace(channel)));
            let provider: &dyn Sender = match channel {
                Channel::Sms => &self.sms,
                Channel::Email => &self.email,
                Channel::WhatsApp => &self.whatsapp,
            };
            let outgoing = &shape.outgoing[&channel];
            async move {
                loop {
                    let batch = queue.receive(10).await.expect("receive");
                    if batch.is_empty() {
                        return;
                    }
                    let key = |m: &sim::ports::ReceivedMessage| {
                        [
                            ("pk".to_owned(), AttributeValue::S(pk.clone())),
                            ("sk".to_owned(), AttributeValue::S(m.body.trim_end().to_owned())),
                        ]
                        .into_iter()
                        .collect::<HashMap<_, _>>()
                    };
                    let update = |m, set: &str, condition: Option<&str>| {
                        let u = Update::builder()
                            .table_name(&self.table)
                            .set_key(Some(key(m)))
                            .update_expression(format!("SET #s = :{set}"))
                            .set_condition_expression(condition.map(str::to_owned))
                            .expression_attribute_names("#s", "status")
                            .expression_attribute_values(format!(":{set}"), AttributeValue::S(set.into()));
                        let u = match condition {
                            Some(_) => u.expression_attribute_values(":pending", AttributeValue::S("pending".into())),
                            None => u,
                        };
                        TransactWriteItem::builder().update(u.build().expect("valid")).build()
                    };
                    // The claims in one transaction; a copy SQS delivered twice
                    // fails its condition and the rest are claimed without it.
                    let mut claimed: Vec<&sim::ports::ReceivedMessage> = batch.iter().collect();
                    loop {
                        let claims = claimed.iter().map(|m| update(m, "sending", Some("#s = :pending"))).collect();
                        let error = match self.dynamo.transact_write_items().set_transact_items(Some(claims)).send().await {
                            Ok(_) => break,
                            Err(e) => e,
                        };
                        let reasons = match error.as_service_error() {
                            Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c)) => c.cancellation_reasons().to_vec(),
                            _ => panic!("claims: {error:?}"),
                        };
                        claimed = claimed
                            .into_iter()
                            .zip(reasons)
                            .filter(|(_, r)| r.code() != Some("ConditionalCheckFailed"))
                            .map(|(m, _)| m)
                            .collect();
                        if claimed.is_empty() {
                            break;
                        }
                    }
                    for _ in &claimed {
                        pacer.wait().await;
                        provider.send(outgoing).await.expect("provider accepted");
                    }
                    let records: Vec<_> = claimed.iter().map(|m| update(m, "sent", None)).collect();
                    if records.is_empty() {
                        for m in &batch {
                            queue.delete(&m.receipt).await.expect("delete");
                        }
                        continue;
                    }
                    self.dynamo.transact_write_items().set_transact_items(Some(records)).send().await.expect("records");
                    for m in &batch {
                        queue.delete(&m.receipt).await.expect("delete");
                    }
                }
            }
        });
        futures_util::future::join_all(consumers).await;
        start.elapsed()
    }
}

/// A moto API call; its answer's body.
pub(crate) async fn moto_api(endpoint: &str, path: &str) -> String {
    let authority = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = tokio::net::TcpStream::connect(authority).await.expect("moto reachable");
    let method = if path.ends_with("download-recording") { "GET" } else { "POST" };
    let request = format!("{method} {path} HTTP/1.0\r\nHost: {authority}\r\nContent-Length: 0\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("request sent");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    answer.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default()
}

/// Requests in moto's recording, the queue polling left out, and how many
/// of its lines could not be read (its recorder appends a line per request
/// from each server thread).
fn recorded_requests(recording: &str) -> (u64, u64) {
    let (mut requests, mut unreadable) = (0, 0);
    for line in recording.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
            unreadable += 1;
            continue;
        };
        let headers = &entry["headers"];
        let target = headers["X-Amz-Target"].as_str().or(headers["x-amz-target"].as_str()).unwrap_or("");
        let body = entry["body"].as_str().unwrap_or("");
        let polling = ["ReceiveMessage", "DeleteMessage"]
            .iter()
            .any(|op| target.ends_with(op) || body.contains(&format!("Action={op}")));
        if !polling {
            requests += 1;
        }
    }
    (requests, unreadable)
}
