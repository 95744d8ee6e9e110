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
use sim::adapters::memory_scheduler::MemoryScheduler;
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

mod console_stack;
pub mod report_rows;
mod senders;

use console_stack::console_with_dev_oidc;
use senders::senders;

/// Where the local stack's vault reports break-glass views.
pub const LOCAL_DPO: &str = "dpo@lambeth.sim-local.example";

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
    /// Reviews and key dates days ahead: fired here on the stack's clock
    /// (moto stores EventBridge schedules but never fires them).
    pub scheduler: Arc<MemoryScheduler>,
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
    let key = LinkKey::generate();
    let (senders, outbox) = senders(backing, base_url, &key, &store, &channels, &clock, &ids).await;
    // Break-glass views email the demo DPO through the stack's email sender (the outbox).
    let mut vault = sim::startup::local_vault(store.clone(), clock.clone(), ids.clone());
    vault.dpo_alert = Some(sim::vault::DpoAlert {
        sender: senders[1].sender.clone(), // SMS, email, WhatsApp
        to: sim::domain::contact::EmailAddress::parse(LOCAL_DPO).map_err(|e| format!("{LOCAL_DPO} {e}"))?,
    });
    let intake = intake::Deps {
        store: store.clone(),
        queue: queue.clone(),
        clock: clock.clone(),
        ids: ids.clone(),
        settings: intake::Settings { vault: Some(Arc::new(vault)), ..intake::Settings::from_env()? },
    };
    let alerting = sim::fanout::Deps {
        store: store.clone(),
        queues: channels.clone(),
        escalation,
        briefings: briefings.clone(),
        clock: clock.clone(),
        ids: ids.clone(),
    };
    let site = respond::Site::from_public_base_url(base_url).map_err(|e| format!("the base URL {e}"))?;
    let scheduler = Arc::new(MemoryScheduler::new(clock.clone(), briefings.clone()));
    let respond = respond::Deps {
        store: store.clone(),
        briefings,
        scheduler: scheduler.clone(),
        clock: clock.clone(),
        ids: ids.clone(),
        key,
        site,
    };
    // Test messages from the directory go through the stack's senders (the outbox), as alerts do.
    let test_senders = console::TestSenders {
        sms: senders[0].sender.clone(),
        email: senders[1].sender.clone(),
        whatsapp: Some(senders[2].sender.clone()),
    };
    let (mut console, dev_oidc) = console_with_dev_oidc(
        base_url,
        &store,
        search,
        staff,
        sessions,
        &clock,
        &ids,
        &alerting,
        scheduler.clone(),
        test_senders,
        queue.clone(),
    )
    .await?;
    // One vault (one in-memory key provider) for intake and the console.
    console.vault = intake.settings.vault.clone();
    let sweep = sweep::Deps { store, queue, clock, ids, settings: sweep::Settings { after: Duration::seconds(60) } };
    Ok(Stack {
        intake: Arc::new(intake),
        sweep: Arc::new(sweep),
        alerting: Arc::new(alerting),
        respond: Arc::new(respond),
        scheduler,
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
/// the due one-time schedules, the sweeper every 15 s, and the report rows every 5 s.
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
    // What the table's stream triggers in AWS: report rows kept up to date.
    let console_deps = stack.console.clone();
    tokio::spawn(async move {
        let licensees = [demo::lambeth(), demo::kent()];
        loop {
            tokio::time::sleep(StdDuration::from_secs(5)).await;
            report_rows::refresh_newest(&*console_deps.store, &*console_deps.search, &licensees).await;
        }
    });
    let (alerting, handoffs) = (stack.alerting.clone(), stack.sweep.queue.clone());
    let (senders, scheduler) = (stack.senders.clone(), stack.scheduler.clone());
    tokio::spawn(async move {
        let a = &*alerting;
        loop {
            if let Err(error) = scheduler.fire_due().await {
                tracing::warn!(%error, "firing due schedules failed; they will fire on the next pass");
            }
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
    println!("{}", banner(&url, &stack.backend, &stack.keys, &key_files, stack.dev_oidc.issuer(), &people));
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
