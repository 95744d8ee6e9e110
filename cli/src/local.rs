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
use sim::links::LinkKey;
use categorise::ChannelQueues;
use crate::outbox::Outbox;
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
    pub categorise: Arc<categorise::Deps>,
    pub outbox: Arc<Outbox>,
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

type Backend = (Arc<dyn Store>, Arc<dyn Queue>, ChannelQueues, String);

async fn backend(backing: &Backing) -> Result<Backend, Box<dyn Error>> {
    let Backing::Aws { table } = backing else {
        let queue = |name: &str| Arc::new(MemoryQueue::new(name)) as Arc<dyn Queue>;
        let channels = ChannelQueues { sms: queue("sms"), email: queue("email"), whatsapp: queue("whatsapp") };
        return Ok((
            Arc::new(MemoryStore::new()),
            queue("categorise"),
            channels,
            "embedded: in-memory store and queues".into(),
        ));
    };
    let config = sim::adapters::aws::load_config().await;
    let store = DynamoStore::from_config(&config, table);
    store.create_table_if_missing().await?;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue = |suffix: &'static str| {
        let (sqs, name) = (sqs.clone(), format!("{table}-{suffix}"));
        async move { SqsQueue::create_if_missing(sqs, &name).await }
    };
    let categorise = queue("categorise").await?;
    let channels = ChannelQueues {
        sms: Arc::new(queue("sms").await?),
        email: Arc::new(queue("email").await?),
        whatsapp: Arc::new(queue("whatsapp").await?),
    };
    let endpoint = config.endpoint_url().unwrap_or("AWS");
    let description = format!("DynamoDB table {table} and SQS queues {table}-* at {endpoint}");
    Ok((Arc::new(store), Arc::new(categorise), channels, description))
}

/// Builds the stack and seeds the demo licensees with fresh keys.
pub async fn build(
    backing: &Backing,
    base_url: &str,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
) -> Result<Stack, Box<dyn Error>> {
    let (store, queue, channels, backend) = backend(backing).await?;
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
    let categorise =
        categorise::Deps { store: store.clone(), queues: channels, clock: clock.clone(), ids: ids.clone() };
    let sweep = sweep::Deps { store, queue, clock, ids, after: Duration::seconds(30) };
    Ok(Stack {
        intake: Arc::new(intake),
        sweep: Arc::new(sweep),
        categorise: Arc::new(categorise),
        outbox: Arc::new(Outbox::new(base_url.to_owned(), LinkKey::generate())),
        keys,
        backend,
    })
}

/// Serves intake and the outbox on the listener; runs what AWS would
/// trigger: the categorise queue's consumer, the sender queues into the
/// outbox, and the sweeper every 15 s.
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
    let (categoriser, handoffs) = (stack.categorise.clone(), stack.sweep.queue.clone());
    let outbox = stack.outbox.clone();
    tokio::spawn(async move {
        loop {
            for m in handoffs.receive(10).await.unwrap_or_default() {
                match categorise::handle_message(&categoriser, &m.body).await {
                    Ok(outcome) => {
                        tracing::info!(?outcome, "categorised");
                        let _ = handoffs.delete(&m.receipt).await;
                    }
                    // Left on the queue: redelivered after its visibility timeout, as in AWS.
                    Err(error) => tracing::warn!(%error, "categorisation failed"),
                }
            }
            let now = categoriser.clock.now();
            for queue in [&categoriser.queues.sms, &categoriser.queues.email, &categoriser.queues.whatsapp] {
                outbox.drain(&*categoriser.store, &**queue, now).await;
            }
            tokio::time::sleep(StdDuration::from_millis(200)).await;
        }
    });
    let (deps, outbox) = (stack.intake.clone(), stack.outbox.clone());
    crate::server::serve(listener, move |req| {
        let (deps, outbox) = (deps.clone(), outbox.clone());
        async move {
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
    let stack = build(&Backing::from_env(), &url, Arc::new(SystemClock), Arc::new(RandomIds)).await?;
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

See the alerts it produced, rendered as they would arrive:
  {url}/outbox

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
