//! The local stack: SIM's handlers served on 127.0.0.1 with no AWS account.
//!
//! By default everything is embedded (in-memory store and queues). With
//! `AWS_ENDPOINT_URL` set (moto's server, or real AWS) it uses DynamoDB and
//! SQS there instead, creating the table and queues it needs if missing.

use sim::adapters::dynamodb::DynamoStore;
use sim::adapters::memory_queue::MemoryQueue;
use sim::adapters::memory_store::MemoryStore;
use sim::adapters::sqs::SqsQueue;
use sim::clock::{Clock, SystemClock};
use sim::demo::{self, DemoKeys};
use sim::domain::ApiKey;
use sim::ids::{IdGenerator, RandomIds};
use sim::ports::{Queue, Store};
use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration as StdDuration;
use time::Duration;
use tokio::net::TcpListener;

pub struct Options {
    pub port: u16,
    /// Where the demo key is written for other terminals to read.
    pub state_dir: PathBuf,
}

/// Everything the local stack runs, wired to one store and one set of queues.
#[derive(Clone)]
pub struct Stack {
    pub intake: Arc<intake::Deps>,
    pub sweep: Arc<sweep::Deps>,
    pub keys: DemoKeys,
    /// What the stack runs on, for the banner.
    pub backend: String,
}

/// Where the local stack keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backing {
    /// In-memory store and queues: no AWS account, nothing to install.
    Embedded,
    /// DynamoDB and SQS at `AWS_ENDPOINT_URL` (moto's server, or real AWS);
    /// the table and its queues are created if missing.
    Aws { table: String },
}

impl Backing {
    /// Embedded unless `AWS_ENDPOINT_URL` is set; table from `SIM_LOCAL_TABLE`.
    pub fn from_env() -> Self {
        match std::env::var("AWS_ENDPOINT_URL") {
            Ok(_) => Backing::Aws { table: std::env::var("SIM_LOCAL_TABLE").unwrap_or_else(|_| "sim-local".into()) },
            Err(_) => Backing::Embedded,
        }
    }
}

type Backend = (Arc<dyn Store>, Arc<dyn Queue>, String);

async fn backend(backing: &Backing) -> Result<Backend, Box<dyn Error>> {
    let Backing::Aws { table } = backing else {
        return Ok((
            Arc::new(MemoryStore::new()),
            Arc::new(MemoryQueue::new("categorise")),
            "embedded: in-memory store and queues".into(),
        ));
    };
    let config = sim::adapters::aws::load_config().await;
    let store = DynamoStore::from_config(&config, table);
    store.create_table_if_missing().await?;
    let queue = SqsQueue::create_if_missing(aws_sdk_sqs::Client::new(&config), &format!("{table}-categorise")).await?;
    let endpoint = config.endpoint_url().unwrap_or("AWS");
    let description = format!("DynamoDB table {table} and SQS queue {} at {endpoint}", queue.url());
    Ok((Arc::new(store), Arc::new(queue), description))
}

/// Builds the stack and seeds the demo licensees with fresh keys.
pub async fn build(backing: &Backing, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Result<Stack, Box<dyn Error>> {
    let (store, queue, backend) = backend(backing).await?;
    let keys = DemoKeys {
        met_cad: ApiKey::generate(&demo::met_cad()),
        kent_police: ApiKey::generate(&demo::kent_police()),
    };
    demo::seed(&*store, clock.now().date(), &keys).await?;
    let intake = intake::Deps {
        store: store.clone(),
        queue: queue.clone(),
        clock: clock.clone(),
        ids: ids.clone(),
        settings: intake::Settings::from_env()?,
    };
    let sweep = sweep::Deps { store, queue, clock, ids, after: Duration::seconds(30) };
    Ok(Stack { intake: Arc::new(intake), sweep: Arc::new(sweep), keys, backend })
}

/// Serves intake on the listener and sweeps stalled hand-offs every 15 s.
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
    let deps = stack.intake.clone();
    crate::server::serve(listener, move |req| {
        let deps = deps.clone();
        async move { intake::handle(&deps, req).await }
    })
    .await
}

pub async fn run(options: Options) -> Result<(), Box<dyn Error>> {
    let stack = build(&Backing::from_env(), Arc::new(SystemClock), Arc::new(RandomIds)).await?;
    let listener = TcpListener::bind(("127.0.0.1", options.port)).await?;
    let url = format!("http://{}", listener.local_addr()?);
    std::fs::create_dir_all(&options.state_dir)?;
    let key_file = options.state_dir.join("api-key");
    std::fs::write(&key_file, stack.keys.met_cad.reveal())?;
    println!("{}", banner(&url, &stack, &key_file));
    serve(&stack, listener).await?;
    Ok(())
}

fn banner(url: &str, stack: &Stack, key_file: &std::path::Path) -> String {
    format!(
        r#"
SIM local stack listening on {url}
  running on: {backend}
  seeded: Lambeth (London, free; 10 contacts in 7 groups), Kent (licensed: Maidstone, Medway)

Demo API key for "Met Police CAD, Lambeth BCU" (also written to {key_file}):
  export SIM_KEY={key}

Report an incident:
  curl -s -X POST {url}/v1/incidents \
    -H "Authorization: Bearer $SIM_KEY" -H 'Content-Type: application/json' \
    -d '{{"police_reference":"CAD 1234/21NOV26","occurred_at":"{now}","location":{{"borough":"Lambeth","ward":"Brixton North","postcode_district":"SW9"}},"incident_type":"stabbing","weapon":"knife","victims":[{{"age_band":"14-17","injury":"life_threatening"}}],"flags":["retaliation_risk"]}}'

Then read it back (use the id from the answer):
  curl -s {url}/v1/incidents/<id> -H "Authorization: Bearer $SIM_KEY"

Stop with Ctrl-C. The embedded store is in memory: stopping forgets everything.
"#,
        backend = stack.backend,
        key_file = key_file.display(),
        key = stack.keys.met_cad.reveal(),
        now = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    )
}
