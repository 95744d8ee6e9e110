//! The local stack: SIM's handlers served on 127.0.0.1 with no AWS account.
//!
//! By default everything is embedded (in-memory store and queues). With
//! `AWS_ENDPOINT_URL` set (moto's server, or real AWS) it uses DynamoDB and
//! SQS there instead, creating the table and queues it needs if missing.

use crate::dev_oidc::{DevOidc, DevPerson};
use crate::outbox::Outbox;
use categorise::ChannelQueues;
use sim::adapters::dynamodb::DynamoStore;
use sim::adapters::dynamodb_console::DynamoConsoleStore;
use sim::adapters::memory_console::MemoryConsoleStore;
use sim::adapters::memory_queue::MemoryQueue;
use sim::adapters::memory_store::MemoryStore;
use sim::adapters::recording_sender::RecordingSender;
use sim::adapters::ses::SesEmail;
use sim::adapters::sns::SnsSms;
use sim::adapters::sqs::SqsQueue;
use sim::adapters::whatsapp::CloudApiWhatsApp;
use sim::clock::{Clock, ScaledClock, SystemClock};
use sim::demo::{self, DemoKeys};
use sim::domain::policy::Channel;
use sim::domain::staff::{ConsoleRole, Login, StaffEmail, StaffId, StaffMember};
use sim::domain::ApiKey;
use sim::ids::{IdGenerator, RandomIds};
use sim::links::LinkKey;
use sim::ports::incident_search::IncidentSearch;
use sim::ports::sessions::SessionStore;
use sim::ports::staff::StaffStore;
use sim::ports::Sender;
use sim::ports::{Queue, Store};
use sim::sending::{fallback_for, send_message, Fallback, Links, Pacer, SenderDeps};
use std::collections::BTreeSet;
use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration as StdDuration;
use time::Duration;
use tokio::net::TcpListener;

pub struct Options {
    pub port: u16,
    /// Minutes that pass every minute (escalation demos); embedded stack only.
    pub speed: u32,
    /// Where the demo key is written for other terminals to read.
    pub state_dir: PathBuf,
}

/// Everything the local stack runs, wired to one store and one set of queues.
#[derive(Clone)]
pub struct Stack {
    pub intake: Arc<intake::Deps>,
    pub sweep: Arc<sweep::Deps>,
    /// What categorise, escalate and briefings run on (one type: they all alert people).
    pub alerting: Arc<sim::fanout::Deps>,
    pub respond: Arc<respond::Deps>,
    /// The council console, signing in through `dev_oidc`.
    pub console: Arc<console::Deps>,
    /// The development OpenID provider and its demo staff (never deployed).
    pub dev_oidc: Arc<DevOidc>,
    /// The three senders, fed by the sender queues.
    pub senders: Arc<[SenderDeps; 3]>,
    pub outbox: Arc<Outbox>,
    pub keys: DemoKeys,
    /// What the stack runs on, for the banner.
    pub backend: String,
}

/// Where the local stack keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backing {
    /// In-memory store and queues: no AWS account, nothing to install.
    /// Queue delays pass `speed` times faster (pair it with a `ScaledClock`).
    Embedded { speed: u32 },
    /// DynamoDB and SQS at `AWS_ENDPOINT_URL` (moto's server, or real AWS);
    /// the table and its queues are created if missing.
    Aws { table: String },
}

impl Backing {
    /// Embedded unless `AWS_ENDPOINT_URL` is set; table from `SIM_LOCAL_TABLE`.
    pub fn from_env(speed: u32) -> Self {
        match std::env::var("AWS_ENDPOINT_URL") {
            Ok(_) => Backing::Aws { table: std::env::var("SIM_LOCAL_TABLE").unwrap_or_else(|_| "sim-local".into()) },
            Err(_) => Backing::Embedded { speed },
        }
    }
}

/// The store and queues the stack's functions share.
struct Backend {
    store: Arc<dyn Store>,
    /// The console's incident search, staff and sessions, on the same backing.
    search: Arc<dyn IncidentSearch>,
    staff: Arc<dyn StaffStore>,
    sessions: Arc<dyn SessionStore>,
    categorise: Arc<dyn Queue>,
    escalation: Arc<dyn Queue>,
    briefings: Arc<dyn Queue>,
    channels: ChannelQueues,
    description: String,
}

async fn backend(backing: &Backing) -> Result<Backend, Box<dyn Error>> {
    let table = match backing {
        Backing::Aws { table } => table,
        Backing::Embedded { speed } => {
            let queue = |name: &str| Arc::new(MemoryQueue::new(name).with_speed(*speed)) as Arc<dyn Queue>;
            let (memory, console) = (Arc::new(MemoryStore::new()), Arc::new(MemoryConsoleStore::new()));
            return Ok(Backend {
                store: memory.clone(),
                search: memory,
                staff: console.clone(),
                sessions: console,
                categorise: queue("categorise"),
                escalation: queue("escalation"),
                briefings: queue("briefings"),
                channels: ChannelQueues { sms: queue("sms"), email: queue("email"), whatsapp: queue("whatsapp") },
                description: "embedded: in-memory store and queues".into(),
            });
        }
    };
    let config = sim::adapters::aws::load_config().await;
    let store = DynamoStore::from_config(&config, table);
    store.create_table_if_missing().await?;
    let console = Arc::new(DynamoConsoleStore::from_config(&config, table));
    console.ensure_incident_index().await?;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue = |suffix: &'static str| {
        let (sqs, name) = (sqs.clone(), format!("{table}-{suffix}"));
        async move { SqsQueue::create_if_missing(sqs, &name).await }
    };
    let endpoint = config.endpoint_url().unwrap_or("AWS");
    Ok(Backend {
        store: Arc::new(store),
        search: console.clone(),
        staff: console.clone(),
        sessions: console,
        categorise: Arc::new(queue("categorise").await?),
        escalation: Arc::new(queue("escalation").await?),
        briefings: Arc::new(queue("briefings").await?),
        channels: ChannelQueues {
            sms: Arc::new(queue("sms").await?),
            email: Arc::new(queue("email").await?),
            whatsapp: Arc::new(queue("whatsapp").await?),
        },
        description: format!("DynamoDB table {table} and SQS queues {table}-* at {endpoint}"),
    })
}

/// Builds the stack and seeds the demo licensees with fresh keys.
pub async fn build(
    backing: &Backing,
    base_url: &str,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
) -> Result<Stack, Box<dyn Error>> {
    let Backend {
        store,
        search,
        staff,
        sessions,
        categorise: queue,
        escalation,
        briefings,
        channels,
        description: backend,
    } = backend(backing).await?;
    let keys =
        DemoKeys { met_cad: ApiKey::generate(&demo::met_cad()), kent_police: ApiKey::generate(&demo::kent_police()) };
    demo::seed(&*store, clock.now().date(), &keys).await?;
    let intake = intake::Deps {
        store: store.clone(),
        queue: queue.clone(),
        clock: clock.clone(),
        ids: ids.clone(),
        settings: intake::Settings {
            vault: Some(Arc::new(sim::startup::local_vault(store.clone(), clock.clone(), ids.clone()))),
            ..intake::Settings::from_env()?
        },
    };
    let key = LinkKey::generate();
    let (senders, outbox) = senders(backing, base_url, &key, &store, &channels, &clock, &ids).await;
    let alerting = sim::fanout::Deps {
        store: store.clone(),
        queues: channels.clone(),
        escalation,
        briefings: briefings.clone(),
        clock: clock.clone(),
        ids: ids.clone(),
    };
    let site = respond::Site::from_public_base_url(base_url).map_err(|e| format!("the base URL {e}"))?;
    let respond = respond::Deps { store: store.clone(), briefings, clock: clock.clone(), ids: ids.clone(), key, site };
    let (console, dev_oidc) =
        console_with_dev_oidc(base_url, &store, search, staff, sessions, &clock, &ids, alerting.escalation.clone())
            .await?;
    let sweep = sweep::Deps { store, queue, clock, ids, settings: sweep::Settings { after: Duration::seconds(30) } };
    Ok(Stack {
        intake: Arc::new(intake),
        sweep: Arc::new(sweep),
        alerting: Arc::new(alerting),
        respond: Arc::new(respond),
        console: Arc::new(console),
        dev_oidc,
        senders: Arc::new(senders),
        outbox: Arc::new(outbox),
        keys,
        backend,
    })
}

/// The client the local console is registered as at the development provider.
const DEV_CLIENT_ID: &str = "sim-console-local";

/// Starts the development OpenID provider on a free loopback port, seeds one
/// demo staff member per console role for Lambeth and Kent (pinned to that
/// provider's accounts), and builds the console on the production code path.
#[allow(clippy::too_many_arguments)] // the stack's parts, wired once
async fn console_with_dev_oidc(
    base_url: &str,
    store: &Arc<dyn Store>,
    search: Arc<dyn IncidentSearch>,
    staff: Arc<dyn StaffStore>,
    sessions: Arc<dyn SessionStore>,
    clock: &Arc<dyn Clock>,
    ids: &Arc<dyn IdGenerator>,
    escalation: Arc<dyn Queue>,
) -> Result<(console::Deps, Arc<DevOidc>), Box<dyn Error>> {
    let redirect_uri = format!("{base_url}/console/auth/callback");
    let secret = console::session::random_token();
    let mut people = Vec::new();
    for (licensee, council) in [(demo::lambeth(), "Lambeth"), (demo::kent(), "Kent")] {
        for role in ConsoleRole::ALL {
            let subject = format!("{licensee}-{}", role.as_str());
            people.push((
                licensee.clone(),
                role,
                DevPerson {
                    email: format!("{}@{licensee}.sim-local.example", role.as_str()),
                    label: format!("{council} {}", role.as_str()),
                    subject,
                },
            ));
        }
    }
    let provider = DevOidc::start(
        0,
        DEV_CLIENT_ID,
        &secret,
        &redirect_uri,
        people.iter().map(|(_, _, p)| p.clone()).collect(),
        clock.clone(),
    )
    .await?;
    for (licensee, role, person) in &people {
        let member = StaffMember::new(
            StaffId::parse(&format!("stf-{}", person.subject))?,
            licensee.clone(),
            &person.label,
            Some(StaffEmail::parse(&person.email)?),
            Some(Login { issuer: provider.issuer().to_owned(), subject: person.subject.clone() }),
            BTreeSet::from([*role]),
            clock.now(),
        )?;
        staff.put_staff(&member).await?;
    }
    let config = console::OidcConfig {
        issuer: provider.issuer().to_owned(),
        client_id: DEV_CLIENT_ID.to_owned(),
        client_secret: secret,
        redirect_uri,
    };
    let deps = console::Deps {
        store: store.clone(),
        search,
        staff,
        sessions,
        oidc: console::oidc::Oidc::new(config, console::http_client::HttpClient::new()?, clock.clone()),
        clock: clock.clone(),
        ids: ids.clone(),
        escalation,
        licensees: None,
    };
    Ok((deps, provider))
}

/// The SMS, email and WhatsApp senders. Embedded: recording adapters (the
/// outbox). On AWS_ENDPOINT_URL: SNS and SES there, and WhatsApp to
/// `WHATSAPP_API_BASE` if set (with `WHATSAPP_TOKEN`), else the outbox.
async fn senders(
    backing: &Backing,
    base_url: &str,
    key: &LinkKey,
    store: &Arc<dyn Store>,
    channels: &ChannelQueues,
    clock: &Arc<dyn Clock>,
    ids: &Arc<dyn IdGenerator>,
) -> ([SenderDeps; 3], Outbox) {
    let mut outbox = Outbox { base_url: base_url.to_owned(), ..Outbox::default() };
    let recording = |slot: &mut Option<Arc<RecordingSender>>| {
        let sender = Arc::new(RecordingSender::default());
        *slot = Some(sender.clone());
        sender as Arc<dyn Sender>
    };
    let (sms, email, whatsapp): (Arc<dyn Sender>, Arc<dyn Sender>, Arc<dyn Sender>) = match backing {
        Backing::Embedded { .. } => {
            (recording(&mut outbox.sms), recording(&mut outbox.email), recording(&mut outbox.whatsapp))
        }
        Backing::Aws { .. } => {
            let config = sim::adapters::aws::load_config().await;
            let from = std::env::var("SIM_EMAIL_FROM").unwrap_or_else(|_| "alerts@sim-local.example".into());
            let domain = from.rsplit_once('@').map(|(_, d)| d.to_owned()).unwrap_or_default();
            // An emulator needs the sending identity to exist; on real AWS it must be verified already.
            let _ = aws_sdk_sesv2::Client::new(&config).create_email_identity().email_identity(domain).send().await;
            let whatsapp: Arc<dyn Sender> = match std::env::var("WHATSAPP_API_BASE") {
                Ok(base) => {
                    let token = std::env::var("WHATSAPP_TOKEN").unwrap_or_default();
                    Arc::new(CloudApiWhatsApp::new(&base, "v21.0", "local", token).expect("TLS roots load"))
                }
                Err(_) => recording(&mut outbox.whatsapp),
            };
            (
                Arc::new(SnsSms::from_config(&config, Some("SIM".into()))),
                Arc::new(SesEmail::from_config(&config, from, None)),
                whatsapp,
            )
        }
    };
    let links = Links { key: key.clone(), base_url: base_url.to_owned(), lifetime: Duration::days(7) };
    let deps = |channel: Channel, sender: Arc<dyn Sender>| {
        let next = fallback_for(channel);
        SenderDeps {
            fallback: Some(Fallback { channel: next, queue: channels.for_channel_arc(next) }),
            clock: clock.clone(),
            ids: ids.clone(),
            pacer: Pacer::per_second(20.0),
            ..SenderDeps::new(channel, store.clone(), sender, links.clone())
        }
    };
    ([deps(Channel::Sms, sms), deps(Channel::Email, email), deps(Channel::WhatsApp, whatsapp)], outbox)
}

/// One poll of `queue`, as Lambda's SQS trigger runs it: each message
/// handled and deleted on success; a failure leaves it on the queue, to be
/// redelivered after its visibility timeout.
async fn consume<F, Fut, T, E>(queue: &dyn Queue, what: &str, handle: F)
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    T: std::fmt::Debug,
    E: std::fmt::Display,
{
    for m in queue.receive(10).await.unwrap_or_default() {
        match handle(m.body).await {
            Ok(outcome) => {
                tracing::info!(?outcome, "{what}");
                let _ = queue.delete(&m.receipt).await;
            }
            Err(error) => tracing::warn!(%error, "{what} failed; it will be retried"),
        }
    }
}

/// Serves intake, the responder's pages and the outbox on the listener; runs
/// what AWS would trigger: categorisation, the senders, escalation and briefing checks,
/// and the sweeper every 15 s.
pub async fn serve(stack: &Stack, listener: TcpListener) -> std::io::Result<()> {
    let sweeper = stack.sweep.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(StdDuration::from_secs(15)).await;
            if let Err(error) = sweep::sweep(&sweeper).await {
                tracing::warn!(%error, "sweep failed");
            }
        }
    });
    let (alerting, handoffs) = (stack.alerting.clone(), stack.sweep.queue.clone());
    let senders = stack.senders.clone();
    tokio::spawn(async move {
        let a = &*alerting;
        loop {
            consume(&*a.escalation, "escalation check", |b| async move { escalate::handle_message(a, &b).await }).await;
            consume(&*a.briefings, "briefing check", |b| async move { briefings::handle_message(a, &b).await }).await;
            consume(&*handoffs, "categorisation", |b| async move { categorise::handle_message(a, &b).await }).await;
            for sender in senders.iter() {
                let queue = &*a.queues.for_channel_arc(sender.channel);
                consume(queue, "send", |b| async move { send_message(sender, &b).await }).await;
            }
            tokio::time::sleep(StdDuration::from_millis(200)).await;
        }
    });
    let (deps, outbox, responder) = (stack.intake.clone(), stack.outbox.clone(), stack.respond.clone());
    let console = stack.console.clone();
    crate::server::serve(listener, move |req| {
        let (deps, outbox, responder, console) = (deps.clone(), outbox.clone(), responder.clone(), console.clone());
        async move {
            if req.uri().path().starts_with("/a/") {
                return respond::handle(&responder, req).await;
            }
            if req.uri().path() == "/console" || req.uri().path().starts_with("/console/") {
                let (parts, body) = req.into_parts();
                let response = console::handle(&console, http::Request::from_parts(parts, body.to_vec())).await;
                return response.map(lambda_http::Body::from);
            }
            if req.uri().path() == "/outbox" {
                return lambda_http::Response::builder()
                    .header("content-type", "text/html; charset=utf-8")
                    .body(lambda_http::Body::from(outbox.html()))
                    .expect("valid response");
            }
            intake::handle(&deps, req).await
        }
    })
    .await
}

pub async fn run(options: Options) -> Result<(), Box<dyn Error>> {
    let listener = TcpListener::bind(("127.0.0.1", options.port)).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let clock: Arc<dyn Clock> =
        if options.speed > 1 { Arc::new(ScaledClock::new(options.speed)) } else { Arc::new(SystemClock) };
    let stack = build(&Backing::from_env(options.speed), &url, clock, Arc::new(RandomIds)).await?;
    let key_files = write_keys(&options.state_dir, &stack.keys)?;
    let people = stack
        .dev_oidc
        .people()
        .iter()
        .map(|p| format!("    {:<16} {}", p.label, p.email))
        .collect::<Vec<_>>()
        .join("\n");
    println!("{}", banner(&url, &stack.backend, &stack.keys, &key_files, &stack.dev_oidc.issuer(), &people));
    serve(&stack, listener).await?;
    Ok(())
}

/// Where `sim local` writes the two demo callers' keys.
pub struct KeyFiles {
    pub met_cad: PathBuf,
    pub kent_police: PathBuf,
}

/// Writes both callers' keys into `dir`: `api-key` (Met, Lambeth) and
/// `kent-api-key` (Kent), so isolation between licensees can be tried.
pub fn write_keys(dir: &std::path::Path, keys: &DemoKeys) -> std::io::Result<KeyFiles> {
    std::fs::create_dir_all(dir)?;
    let files = KeyFiles { met_cad: dir.join("api-key"), kent_police: dir.join("kent-api-key") };
    std::fs::write(&files.met_cad, keys.met_cad.reveal())?;
    std::fs::write(&files.kent_police, keys.kent_police.reveal())?;
    Ok(files)
}

/// What `sim local` prints: where everything is, both caller keys, and how to
/// sign in to the console as each demo person (`people`, one per line).
pub fn banner(url: &str, backend: &str, keys: &DemoKeys, files: &KeyFiles, issuer: &str, people: &str) -> String {
    format!(
        r#"
SIM local stack listening on {url}
  running on: {backend}
  seeded: Lambeth (London, free; 10 contacts in 7 groups), Kent (licensed: Maidstone, Medway)

Demo API key for "Met Police CAD, Lambeth BCU" (also written to {met_file}):
  export SIM_KEY={key}
Demo API key for "Kent Police control room" (Maidstone, Medway; also written to {kent_file}):
  export SIM_KENT_KEY={kent_key}
  (a Kent key cannot see or report Lambeth incidents: try it on a Lambeth incident id for a 404)

Report an incident:
  curl -s -X POST {url}/v1/incidents \
    -H "Authorization: Bearer $SIM_KEY" -H 'Content-Type: application/json' \
    -d '{{"police_reference":"CAD 1234/21NOV26","occurred_at":"{now}","location":{{"borough":"Lambeth","ward":"Brixton North","postcode_district":"SW9"}},"incident_type":"stabbing","weapon":"knife","victims":[{{"age_band":"14-17","injury":"life_threatening"}}],"flags":["retaliation_risk"]}}'

Then read it back (use the id from the answer):
  curl -s {url}/v1/incidents/<id> -H "Authorization: Bearer $SIM_KEY"

See the alerts it produced, rendered as they would arrive:
  {url}/outbox

The council console (signs in through a development OpenID provider at {issuer}):
  {url}/console
  Choose "Sign in", then a demo person on the provider's page (no passwords):
{people}

Stop with Ctrl-C. The embedded store is in memory: stopping forgets everything.
"#,
        met_file = files.met_cad.display(),
        kent_file = files.kent_police.display(),
        key = keys.met_cad.reveal(),
        kent_key = keys.kent_police.reveal(),
        now = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_and_the_state_directory_give_both_licensees_keys() {
        let keys = DemoKeys {
            met_cad: ApiKey::generate(&demo::met_cad()),
            kent_police: ApiKey::generate(&demo::kent_police()),
        };
        let dir = std::env::temp_dir().join(format!("sim-local-keys-{}", std::process::id()));
        let files = write_keys(&dir, &keys).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("api-key")).unwrap(), keys.met_cad.reveal());
        assert_eq!(std::fs::read_to_string(dir.join("kent-api-key")).unwrap(), keys.kent_police.reveal());
        let text = banner(
            "http://127.0.0.1:1",
            "memory",
            &keys,
            &files,
            "http://127.0.0.1:2",
            "    duty lambeth     duty@lambeth.example",
        );
        assert!(text.contains(&format!("export SIM_KEY={}", keys.met_cad.reveal())));
        assert!(text.contains(&format!("export SIM_KENT_KEY={}", keys.kent_police.reveal())));
        assert!(text.contains("kent-api-key"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
