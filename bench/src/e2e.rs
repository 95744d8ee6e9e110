//! End to end against moto: from intake's POST to the last message handed to
//! its provider, for one CRITICAL incident alerting `n` people on SMS,
//! WhatsApp (a loopback Cloud API) and email. The handlers are driven as
//! Lambda's SQS event source mapping would drive them: a batch of up to 10
//! as soon as it is on the queue, the three sender queues concurrently.
//!
//! SIM's own AWS requests are counted at the HTTP layer. The queue polling
//! (ReceiveMessage, DeleteMessage) is done by Lambda in AWS, not by SIM's
//! code: it goes through an uncounted client and is reported apart.
//!
//! The floor, measured in the same run: the bare calls the same fan-out
//! needs, with no SIM logic: the incident written and handed on; the
//! notifications written (BatchWriteItem) and queued (SendMessageBatch);
//! then per message one conditional claim, the provider call and one write
//! recording it sent, polled the same way.

use crate::counting::{counted_config, Tally};
use crate::pipeline::{post, report, seed};
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use sim::adapters::dynamodb::DynamoStore;
use sim::adapters::ses::SesEmail;
use sim::adapters::sns::SnsSms;
use sim::adapters::sqs::SqsQueue;
use sim::adapters::whatsapp::CloudApiWhatsApp;
use sim::clock::SystemClock;
use sim::domain::notification::NotificationMessage;
use sim::domain::policy::Channel;
use sim::domain::{EmailAddress, PhoneNumber};
use sim::ids::{IncidentId, RandomIds};
use sim::links::LinkKey;
use sim::ports::store::prelude::*;
use sim::ports::{ChannelQueues, Outgoing, OutgoingMessage, Queue, Sender, Store};
use sim::render::{Email, WhatsAppTemplate};
use sim::sending::{send_batch, Links, Pacer, SendOutcome, SenderDeps};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct Run {
    pub recipients: usize,
    /// Messages handed to providers.
    pub messages: usize,
    pub sim: Duration,
    pub floor: Duration,
    /// SIM's own AWS requests by service:operation.
    pub requests: BTreeMap<String, u64>,
    /// ReceiveMessage/DeleteMessage made by the poller (Lambda, in AWS).
    pub polling: u64,
}

impl Run {
    pub fn total(&self) -> u64 {
        self.requests.values().sum()
    }
}

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
        counted: channels(&counted_client),
        plain: channels(&plain_client),
        categorise_counted: q(&counted_client, "categorise"),
        categorise_plain: q(&plain_client, "categorise"),
        escalation: q(&counted_client, "escalation"),
        briefings: q(&counted_client, "briefings"),
    }
}

/// One run of `recipients`, SIM then the floor.
pub async fn run(recipients: usize, whatsapp_base: &str) -> Run {
    let plain = sim::adapters::aws::load_config().await;
    let (counted, tally): (aws_config::SdkConfig, Tally) = counted_config().await;
    let prefix = format!("sim-bench-{}-{recipients}", std::process::id());
    let table = DynamoStore::from_config(&plain, &prefix);
    table.create_table_if_missing().await.expect("table created");
    let _ = aws_sdk_sesv2::Client::new(&plain).create_email_identity().email_identity("sim.example").send().await;
    let store: Arc<dyn Store> = Arc::new(DynamoStore::from_config(&counted, &prefix));
    let key = seed(&DynamoStore::from_config(&plain, &prefix), recipients).await;
    let q = queues(&plain, &counted, &prefix).await;

    let (clock, ids) = (Arc::new(SystemClock), Arc::new(RandomIds));
    let intake = intake::Deps {
        store: store.clone(),
        queue: q.categorise_counted.clone(),
        clock: clock.clone(),
        ids: ids.clone(),
        settings: intake::Settings { licence_grace: time::Duration::days(30), ..Default::default() },
        // The benchmark reports incidents only: no subject records.
    };
    let categorise = categorise::Deps {
        store: store.clone(),
        queues: q.counted.clone(),
        escalation: q.escalation.clone(),
        briefings: q.briefings.clone(),
        clock: clock.clone(),
        ids: ids.clone(),
    };
    let links = Links {
        key: LinkKey::generate(),
        base_url: "https://sim.bench.example".into(),
        lifetime: time::Duration::days(7),
    };
    let sender = |channel, provider: Arc<dyn Sender>| SenderDeps {
        channel,
        store: store.clone(),
        sender: provider,
        fallback: None,
        clock: clock.clone(),
        ids: ids.clone(),
        links: links.clone(),
        pacer: Pacer::per_second(0.0),
        lease: time::Duration::seconds(60),
        reads: Default::default(),
    };
    let whatsapp = CloudApiWhatsApp::new(whatsapp_base, "v21.0", "1234567890", "bench".into()).expect("TLS roots");
    let senders = Arc::new([
        sender(Channel::Sms, Arc::new(SnsSms::from_config(&counted, None))),
        sender(Channel::Email, Arc::new(SesEmail::from_config(&counted, "alerts@sim.example".into(), None))),
        sender(Channel::WhatsApp, Arc::new(whatsapp)),
    ]);
    let polling = Arc::new(AtomicU64::new(0));
    tally.take();

    let whatsapp_before = WHATSAPP_REQUESTS.load(Ordering::Relaxed);
    let start = Instant::now();
    let response = intake::handle(&intake, post(&key, report(&format!("CAD BENCH/{recipients}")))).await;
    assert_eq!(response.status(), 202, "intake accepted the report");
    let incident: IncidentId = serde_json::from_slice::<serde_json::Value>(response.body().as_ref())
        .ok()
        .and_then(|v| v["id"].as_str().and_then(|id| IncidentId::parse(id).ok()))
        .expect("the answer names the incident");
    loop {
        let batch = q.categorise_plain.receive(10).await.expect("receive");
        polling.fetch_add(1, Ordering::Relaxed);
        if batch.is_empty() {
            continue;
        }
        for m in batch {
            categorise::handle_message(&categorise, &m.body).await.expect("categorised");
            q.categorise_plain.delete(&m.receipt).await.expect("deleted");
            polling.fetch_add(1, Ordering::Relaxed);
        }
        break;
    }
    let channels = (0..3).map(|i| {
        let (senders, queue, polling) = (senders.clone(), q.plain.for_channel_arc(senders[i].channel), polling.clone());
        async move {
            let mut sent = 0;
            loop {
                let batch = queue.receive(10).await.expect("receive");
                polling.fetch_add(1, Ordering::Relaxed);
                if batch.is_empty() {
                    return sent;
                }
                // As Lambda's event source mapping hands a batch to the sender.
                let messages: Vec<NotificationMessage> =
                    batch.iter().map(|m| sim::ports::parse_message(&m.body).expect("a notification")).collect();
                for outcome in send_batch(&senders[i], &messages).await.expect("claimed") {
                    assert!(matches!(outcome, Ok(SendOutcome::Sent { .. })), "sent: {outcome:?}");
                }
                for m in batch {
                    queue.delete(&m.receipt).await.expect("deleted");
                    polling.fetch_add(1, Ordering::Relaxed);
                    sent += 1;
                }
            }
        }
    });
    let messages: usize = futures_util::future::join_all(channels).await.into_iter().sum();
    let sim_time = start.elapsed();
    let mut requests = tally.take();
    requests.insert(
        "whatsapp:POST /{version}/{phone}/messages".into(),
        WHATSAPP_REQUESTS.load(Ordering::Relaxed) - whatsapp_before,
    );

    let per_channel = {
        let notifications =
            DynamoStore::from_config(&plain, &prefix).notifications(&incident).await.expect("notifications");
        let count = |c: Channel| notifications.iter().filter(|n| n.channel == c).count();
        [
            (Channel::Sms, count(Channel::Sms)),
            (Channel::Email, count(Channel::Email)),
            (Channel::WhatsApp, count(Channel::WhatsApp)),
        ]
    };
    assert_eq!(per_channel.iter().map(|(_, n)| n).sum::<usize>(), messages, "every notification was sent once");
    let floor = floor(&plain, &prefix, &q, per_channel, whatsapp_base).await;
    Run { recipients, messages, sim: sim_time, floor, requests, polling: polling.load(Ordering::Relaxed) }
}

/// The bare calls of the same fan-out, timed the same way.
async fn floor(
    config: &aws_config::SdkConfig,
    table: &str,
    q: &Queues,
    per_channel: [(Channel, usize); 3],
    whatsapp_base: &str,
) -> Duration {
    let dynamo = aws_sdk_dynamodb::Client::new(config);
    let sms = SnsSms::from_config(config, None);
    let email = SesEmail::from_config(config, "alerts@sim.example".into(), None);
    let whatsapp = CloudApiWhatsApp::new(whatsapp_base, "v21.0", "1234567890", "bench".into()).expect("TLS roots");
    let item = |pk: String, sk: String| {
        [("pk", AttributeValue::S(pk)), ("sk", AttributeValue::S(sk)), ("status", AttributeValue::S("pending".into()))]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<std::collections::HashMap<_, _>>()
    };
    let start = Instant::now();
    dynamo
        .put_item()
        .table_name(table)
        .set_item(Some(item("FLOOR".into(), "INCIDENT".into())))
        .send()
        .await
        .expect("put");
    q.categorise_plain.send(&[OutgoingMessage::now("{}")]).await.expect("send");
    loop {
        let batch = q.categorise_plain.receive(10).await.expect("receive");
        if let Some(m) = batch.first() {
            q.categorise_plain.delete(&m.receipt).await.expect("delete");
            break;
        }
    }
    let total: usize = per_channel.iter().map(|(_, n)| n).sum();
    let keys: Vec<String> = (0..total).map(|i| format!("NOTIFY#{i:05}")).collect();
    for chunk in keys.chunks(25) {
        let writes = chunk
            .iter()
            .map(|k| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder().set_item(Some(item("FLOOR".into(), k.clone()))).build().expect("valid"),
                    )
                    .build()
            })
            .collect();
        dynamo.batch_write_item().request_items(table, writes).send().await.expect("batch write");
    }
    let mut offset = 0;
    let mut sends = Vec::new();
    for (channel, n) in per_channel {
        let bodies: Vec<OutgoingMessage> =
            keys[offset..offset + n].iter().map(|k| OutgoingMessage::now(k.clone())).collect();
        offset += n;
        let queue = q.plain.for_channel_arc(channel);
        sends.push(async move { queue.send(&bodies).await.expect("send batch") });
    }
    futures_util::future::join_all(sends).await;
    let phone = PhoneNumber::parse("+447700900123").expect("valid");
    let address = EmailAddress::parse("floor@lambeth.sim.example").expect("valid");
    let channels = per_channel.map(|(channel, _)| {
        let (queue, dynamo, phone, address) =
            (q.plain.for_channel_arc(channel), dynamo.clone(), phone.clone(), address.clone());
        let (sms, email, whatsapp) = (&sms, &email, &whatsapp);
        async move {
            loop {
                let batch = queue.receive(10).await.expect("receive");
                if batch.is_empty() {
                    return;
                }
                for m in batch {
                    let key = || {
                        [
                            ("pk".to_owned(), AttributeValue::S("FLOOR".into())),
                            ("sk".to_owned(), AttributeValue::S(m.body.clone())),
                        ]
                        .into_iter()
                        .collect::<std::collections::HashMap<_, _>>()
                    };
                    dynamo
                        .update_item()
                        .table_name(table)
                        .set_key(Some(key()))
                        .update_expression("SET #s = :sending")
                        .condition_expression("#s = :pending")
                        .expression_attribute_names("#s", "status")
                        .expression_attribute_values(":sending", AttributeValue::S("sending".into()))
                        .expression_attribute_values(":pending", AttributeValue::S("pending".into()))
                        .send()
                        .await
                        .expect("claim");
                    let outgoing = match channel {
                        Channel::Sms => Outgoing::Sms { to: phone.clone(), text: "SIM: floor".into() },
                        Channel::Email => Outgoing::Email {
                            to: address.clone(),
                            email: Email { subject: "floor".into(), text: "floor".into(), html: "<p>floor</p>".into() },
                        },
                        Channel::WhatsApp => Outgoing::WhatsApp {
                            to: phone.clone(),
                            template: WhatsAppTemplate {
                                name: "sim_incident_alert",
                                language: "en_GB",
                                body: vec!["floor".into()],
                                button_url_suffix: "x".into(),
                                acknowledge_payload: None,
                            },
                        },
                    };
                    let provider: &dyn Sender = match channel {
                        Channel::Sms => sms,
                        Channel::Email => email,
                        Channel::WhatsApp => whatsapp,
                    };
                    provider.send(&outgoing).await.expect("provider accepted");
                    dynamo
                        .update_item()
                        .table_name(table)
                        .set_key(Some(key()))
                        .update_expression("SET #s = :sent")
                        .expression_attribute_names("#s", "status")
                        .expression_attribute_values(":sent", AttributeValue::S("sent".into()))
                        .send()
                        .await
                        .expect("record sent");
                    queue.delete(&m.receipt).await.expect("delete");
                }
            }
        }
    });
    futures_util::future::join_all(channels).await;
    start.elapsed()
}
