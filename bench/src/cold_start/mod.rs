//! Cold start beside its floor (issue 18): each function's release binary from spawn to its first event
//! answered (clients built, secrets read from SSM, the event handled against moto), next to a hello-world
//! `lambda_runtime` binary (`bench/hello`) built with the same profile, started the same way with the same
//! environment and event, alternately. Target: each function's median ≤ 2× the hello world's.
//!
//! `sim-bench cold-start` serves the Lambda Runtime API itself on loopback (`runtime_api`); the events are in
//! `events`. It needs moto (`AWS_ENDPOINT_URL`) and the release binaries; the command is in the root README.md,
//! "Performance".

pub mod events;
pub mod runtime_api;

use crate::stats::{median_range, ms};
use events::{Function, Secrets, FUNCTIONS};
use runtime_api::{CallKind, RuntimeApi};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The floor's binary (package `sim-hello`).
pub const HELLO: &str = "hello";
/// The target: a function's median cold start at most this many times the hello world's.
pub const TARGET_RATIO: f64 = 2.0;

const PREFIX: &str = "sim-cold";
const LINK_KEY_HEX: &str = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e";
const VERIFY_TOKEN: &str = "cold-start-verify";

#[derive(clap::Parser, Debug)]
#[command(
    name = "sim-bench cold-start",
    about = "Each function's release binary from spawn to its first event answered, beside a hello world"
)]
pub struct Args {
    /// Where the release binaries are (every function's and `hello`).
    #[arg(long, default_value = "target/release")]
    pub bin_dir: PathBuf,
    /// Timed starts of each function and of the hello world beside it, alternately.
    #[arg(long, default_value_t = 7)]
    pub runs: usize,
    /// Only these functions (binary names, comma-separated); all by default.
    #[arg(long, value_delimiter = ',')]
    pub functions: Vec<String>,
}

/// How a process answered its first event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A response: an HTTP status, or a batch with no failed records, or any other success.
    Ok(String),
    /// A response that reports a failure: failed batch records, an HTTP 5xx.
    Failed(String),
    /// `invocation/{id}/error` or `init/error`: counted as answered, reported.
    Error(String),
}

impl Answer {
    pub fn is_ok(&self) -> bool {
        matches!(self, Answer::Ok(_))
    }
    fn text(&self) -> &str {
        match self {
            Answer::Ok(t) | Answer::Failed(t) | Answer::Error(t) => t,
        }
    }
}

/// What the body posted to the runtime API says about the event's outcome.
pub fn read_answer(kind: &CallKind, body: &[u8]) -> Answer {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    match kind {
        CallKind::Error(_) | CallKind::InitError => {
            let field = |name: &str| json.as_ref().and_then(|j| j[name].as_str()).unwrap_or("").to_owned();
            Answer::Error(format!("{}: {}", field("errorType"), field("errorMessage")))
        }
        _ => match json {
            Some(j) if j.get("statusCode").is_some() => {
                let status = j["statusCode"].as_u64().unwrap_or(0);
                let text = format!("HTTP {status}");
                if status >= 500 {
                    Answer::Failed(text)
                } else {
                    Answer::Ok(text)
                }
            }
            Some(j) if j.get("batchItemFailures").is_some() => {
                match j["batchItemFailures"].as_array().map_or(0, Vec::len) {
                    0 => Answer::Ok("batch done".into()),
                    n => Answer::Failed(format!("{n} record(s) reported failed")),
                }
            }
            _ => Answer::Ok("answered".into()),
        },
    }
}

/// One timed start.
#[derive(Debug)]
pub struct Start {
    /// Spawn to the answer posted.
    pub elapsed: Duration,
    /// Spawn to the first `next` (init: clients built, secrets read); the answer's time when it never asked.
    pub init: Duration,
    pub answer: Answer,
}

/// The figures for one function.
pub struct Figure {
    pub function: Function,
    pub size_bytes: u64,
    pub starts: Vec<Start>,
    pub hello: Vec<Start>,
    /// The last warning or error the function logged, when its answer was not a success.
    pub log: Option<String>,
    /// The AWS requests moto served during the untimed start, in order.
    pub requests: Vec<String>,
}

impl Figure {
    pub fn times(&self) -> Vec<Duration> {
        self.starts.iter().map(|s| s.elapsed).collect()
    }
    pub fn hello_times(&self) -> Vec<Duration> {
        self.hello.iter().map(|s| s.elapsed).collect()
    }
    /// The function's median over the hello world's, both from this run.
    pub fn ratio(&self) -> f64 {
        ratio(&self.times(), &self.hello_times())
    }
}

pub fn ratio(function: &[Duration], hello: &[Duration]) -> f64 {
    median_range(function).0.as_secs_f64() / median_range(hello).0.as_secs_f64()
}

/// The environment every process (functions and hello world alike) is started with besides
/// `AWS_LAMBDA_RUNTIME_API`: a superset of what each function reads, pointed at moto (`AWS_ENDPOINT_URL` and credentials are inherited from `tests/moto.sh`).
pub fn environment(endpoint: &str, function: &str) -> Vec<(String, String)> {
    let queue = |name: &str| format!("{endpoint}/000000000000/{PREFIX}-{name}");
    let arn = |name: &str| format!("arn:aws:sqs:us-east-1:000000000000:{PREFIX}-{name}");
    [
        ("AWS_LAMBDA_FUNCTION_NAME", function.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "cold-start".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "cold-start".into()),
        ("TABLE_NAME", format!("{PREFIX}-table")),
        ("CATEGORISE_QUEUE_URL", queue("categorise")),
        ("SMS_QUEUE_URL", queue("sms")),
        ("EMAIL_QUEUE_URL", queue("email")),
        ("WHATSAPP_QUEUE_URL", queue("whatsapp")),
        ("ESCALATION_QUEUE_URL", queue("escalation")),
        ("BRIEFINGS_QUEUE_URL", queue("briefings")),
        ("RECEIPTS_QUEUE_URL", queue("receipts")),
        ("FALLBACK_QUEUE_URL", queue("sms")),
        ("BRIEFINGS_QUEUE_ARN", arn("briefings")),
        ("BRIEFINGS_DLQ_ARN", arn("briefings-dlq")),
        ("SCHEDULE_GROUP", format!("{PREFIX}-follow-ups")),
        ("SCHEDULER_ROLE_ARN", "arn:aws:iam::000000000000:role/sim-cold-scheduler".into()),
        ("LINK_KEY_PARAMETER", format!("/{PREFIX}/link-key")),
        ("WHATSAPP_TOKEN_PARAMETER", format!("/{PREFIX}/whatsapp-token")),
        ("WHATSAPP_VERIFY_TOKEN_PARAMETER", format!("/{PREFIX}/whatsapp-verify-token")),
        ("WHATSAPP_APP_SECRET_PARAMETER", format!("/{PREFIX}/whatsapp-app-secret")),
        ("WHATSAPP_PHONE_NUMBER_ID", "1234567890".into()),
        ("WHATSAPP_API_BASE", "http://127.0.0.1:9".into()),
        ("OIDC_CLIENT_SECRET_PARAMETER", format!("/{PREFIX}/oidc-client-secret")),
        ("OIDC_ISSUER", "https://login.sim.bench.example".into()),
        ("OIDC_CLIENT_ID", "sim-console".into()),
        ("CONSOLE_BASE_URL", "https://sim.bench.example".into()),
        // The vault as deployed with it on: the blind-index key is read at start (the KMS key only when used).
        ("VAULT_KMS_KEY_ID", "alias/sim-cold-vault".into()),
        ("VAULT_INDEX_KEY_PARAMETER", format!("/{PREFIX}/vault-index-key")),
        ("PUBLIC_BASE_URL", "https://sim.bench.example".into()),
        ("EMAIL_FROM", "alerts@sim.example".into()),
        ("RUST_LOG", "warn".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The table, queues and SSM parameters the functions read, in moto (the init figures use them too).
pub(crate) async fn set_up() {
    let aws = sim::adapters::aws::load_config().await;
    sim::adapters::dynamodb::DynamoStore::from_config(&aws, format!("{PREFIX}-table"))
        .create_table_if_missing()
        .await
        .expect("table created in moto");
    let sqs = aws_sdk_sqs::Client::new(&aws);
    for name in ["categorise", "sms", "email", "whatsapp", "escalation", "briefings", "briefings-dlq", "receipts"] {
        sqs.create_queue().queue_name(format!("{PREFIX}-{name}")).send().await.expect("queue created in moto");
    }
    let ssm = aws_sdk_ssm::Client::new(&aws);
    for (name, value) in [
        ("link-key", LINK_KEY_HEX),
        ("whatsapp-token", "cold-start-token"),
        ("whatsapp-verify-token", VERIFY_TOKEN),
        ("whatsapp-app-secret", "cold-start-app-secret"),
        ("oidc-client-secret", "cold-start-client-secret"),
        ("vault-index-key", LINK_KEY_HEX),
    ] {
        ssm.put_parameter()
            .name(format!("/{PREFIX}/{name}"))
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .overwrite(true)
            .send()
            .await
            .expect("SSM parameter stored in moto");
    }
}

/// Starts `binary` with `env` (and `AWS_LAMBDA_RUNTIME_API`), answers its first `next` with `event`, and times
/// spawn → its answer posted. Each start gets a runtime API of its own, so nothing a killed process had already
/// sent can reach the next one.
fn start_once(binary: &Path, env: &[(String, String)], event: &[u8], log: &Path) -> Start {
    let name = binary.file_name().and_then(|n| n.to_str()).unwrap_or("function");
    let api = RuntimeApi::start().expect("a loopback port for the runtime API");
    api.arm("cold-start-1", name, event);
    let log_file = std::fs::File::create(log).expect("a log file");
    let start = Instant::now();
    let mut child = Command::new(binary)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().expect("log file"))
        .stderr(log_file)
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (build the release binaries first: bench/run.sh, or see the root README.md, Performance)",
                binary.display()
            )
        });
    let mut init = None;
    let outcome = loop {
        match api.calls.recv_timeout(Duration::from_millis(5)) {
            Ok(call) => match call.kind {
                CallKind::Response(_) | CallKind::Error(_) | CallKind::InitError => {
                    let elapsed = call.at - start;
                    let answer = read_answer(&call.kind, &call.body);
                    break Start { elapsed, init: init.unwrap_or(elapsed), answer };
                }
                CallKind::Next => init = init.or(Some(call.at - start)),
                CallKind::Other(_) => {}
            },
            Err(_) => {
                let elapsed = start.elapsed();
                if let Ok(Some(status)) = child.try_wait() {
                    let answer = Answer::Error(format!("exited ({status}) before answering: {}", last_problem(log)));
                    break Start { elapsed, init: init.unwrap_or(elapsed), answer };
                }
                if elapsed > Duration::from_secs(60) {
                    let answer = Answer::Error("no answer within 60 s".into());
                    break Start { elapsed, init: init.unwrap_or(elapsed), answer };
                }
            }
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    outcome
}

/// The last warning or error in a process's output (or its last line), shortened; a JSON log line is given as
/// its message and error.
pub fn last_problem(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let line = lines
        .iter()
        .rev()
        .find(|l| ["WARN", "ERROR", "Error"].iter().any(|w| l.contains(w)))
        .or(lines.last())
        .copied()
        .unwrap_or("(no output)");
    let line = match serde_json::from_str::<Value>(line) {
        Ok(json) if json["fields"]["message"].is_string() => {
            let fields = &json["fields"];
            match fields["error"].as_str() {
                Some(error) => format!("{}: {error}", fields["message"].as_str().unwrap_or_default()),
                None => fields["message"].as_str().unwrap_or_default().to_owned(),
            }
        }
        _ => line.to_owned(),
    };
    line.chars().take(300).collect()
}

/// The AWS operations in a moto recording (one JSON line per request), in order: `ssm:GetParameter`,
/// `dynamodb:GetItem`, ... (the service from the request's signing scope).
pub fn recorded_operations(recording: &str) -> Vec<String> {
    recording
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .map(|entry| {
            let headers = &entry["headers"];
            let header = |name: &str| {
                headers[name].as_str().or(headers[name.to_ascii_lowercase()].as_str()).unwrap_or("").to_owned()
            };
            let service = header("Authorization")
                .split("Credential=")
                .nth(1)
                .and_then(|c| c.split('/').nth(3))
                .unwrap_or("aws")
                .to_owned();
            let target = header("X-Amz-Target");
            let body = entry["body"].as_str().unwrap_or("");
            let operation = match target.rsplit_once('.') {
                Some((_, op)) => op.to_owned(),
                None => body
                    .split('&')
                    .find_map(|p| p.strip_prefix("Action="))
                    .map(str::to_owned)
                    .unwrap_or_else(|| entry["path"].as_str().unwrap_or("?").to_owned()),
            };
            format!("{service}:{operation}")
        })
        .collect()
}

/// moto's time to answer one small request on a new connection (an SSM GetParameter, as a cold start's first
/// secret read), median of 15: what each of a cold start's requests costs here and not on AWS.
fn moto_request_time(endpoint: &str) -> Duration {
    use std::io::{Read, Write};
    let authority = endpoint.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let body = format!("{{\"Name\":\"/{PREFIX}/link-key\",\"WithDecryption\":true}}");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: AmazonSSM.GetParameter\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20261122/eu-west-2/ssm/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Connection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let times: Vec<Duration> = (0..15)
        .filter_map(|_| {
            let start = Instant::now();
            let mut stream = std::net::TcpStream::connect(&authority).ok()?;
            stream.write_all(request.as_bytes()).ok()?;
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).ok()?;
            answer.starts_with(b"HTTP/1.1 200").then(|| start.elapsed())
        })
        .collect();
    median_range(&times).0
}

pub async fn main(args: Args) {
    let endpoint =
        std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL (moto): source tests/moto.sh && start_moto");
    set_up().await;
    let link_key = sim::links::LinkKey::from_hex(LINK_KEY_HEX).expect("a hex key");
    let secrets = Secrets { link_key: &link_key, verify_token: VERIFY_TOKEN };
    let chosen: Vec<Function> = FUNCTIONS
        .into_iter()
        .filter(|f| args.functions.is_empty() || args.functions.iter().any(|n| n == f.binary))
        .collect();
    let hello = args.bin_dir.join(HELLO);
    let logs = std::env::temp_dir();
    let mut figures = Vec::new();
    for function in chosen {
        eprintln!("      {} ...", function.binary);
        let binary = args.bin_dir.join(function.binary);
        let env = environment(&endpoint, function.binary);
        let event = function.trigger.event(&secrets).to_string().into_bytes();
        let (log, hello_log) =
            (logs.join(format!("{PREFIX}-{}.log", function.binary)), logs.join(format!("{PREFIX}-hello.log")));
        // One untimed start of each first (the binaries into the page cache), the function's recorded by moto.
        crate::e2e::moto_api(&endpoint, "/moto-api/recorder/reset-recording").await;
        crate::e2e::moto_api(&endpoint, "/moto-api/recorder/start-recording").await;
        start_once(&binary, &env, &event, &log);
        crate::e2e::moto_api(&endpoint, "/moto-api/recorder/stop-recording").await;
        let requests =
            recorded_operations(&crate::e2e::moto_api(&endpoint, "/moto-api/recorder/download-recording").await);
        start_once(&hello, &env, &event, &hello_log);
        let (mut starts, mut hello_times) = (Vec::new(), Vec::new());
        for _ in 0..args.runs {
            starts.push(start_once(&binary, &env, &event, &log));
            hello_times.push(start_once(&hello, &env, &event, &hello_log));
        }
        let log = starts.iter().any(|s| !s.answer.is_ok()).then(|| last_problem(&log));
        let size_bytes = std::fs::metadata(&binary).map_or(0, |m| m.len());
        figures.push(Figure { function, size_bytes, starts, hello: hello_times, log, requests });
    }
    print(&figures, &hello, args.runs, moto_request_time(&endpoint));
}

fn print(figures: &[Figure], hello: &Path, runs: usize, moto_request: Duration) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    println!(
        "## Cold start beside its floor ({runs} starts each, function and hello world alternately, after one untimed start of each; {cpu}, {} cores; AWS emulated by moto)\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("Spawn of the {} binary to its answer to the first event posted to the runtime API (served on loopback by the benchmark). The hello world ({:.1} MB) is `bench/hello`, same profile, same environment and event.\n",
        crate::profile(), std::fs::metadata(hello).map_or(0.0, |m| m.len() as f64 / 1e6));
    println!("| function | binary | first event | answer | function median (min-max) | hello world median (min-max) | ratio, target <= {TARGET_RATIO} | verdict | of which init (to first `next`), function / hello |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for f in figures {
        let (fm, flo, fhi) = median_range(&f.times());
        let (hm, hlo, hhi) = median_range(&f.hello_times());
        let init = median_range(&f.starts.iter().map(|s| s.init).collect::<Vec<_>>()).0;
        let hello_init = median_range(&f.hello.iter().map(|s| s.init).collect::<Vec<_>>()).0;
        let answers: std::collections::BTreeSet<&str> = f.starts.iter().map(|s| s.answer.text()).collect();
        let ratio = f.ratio();
        println!(
            "| {} | {:.1} MB | {} | {} | {} ({}-{}) | {} ({}-{}) | {ratio:.2} | {} | {} / {} |",
            f.function.binary,
            f.size_bytes as f64 / 1e6,
            f.function.trigger.describe(),
            answers.into_iter().collect::<Vec<_>>().join("; "),
            ms(fm),
            ms(flo),
            ms(fhi),
            ms(hm),
            ms(hlo),
            ms(hhi),
            if ratio <= TARGET_RATIO { "met" } else { "MISSED" },
            ms(init),
            ms(hello_init)
        );
    }
    println!(
        "\nAWS requests during a start (moto's recorder, the untimed start), each costing about {} here (moto's median \
         for an SSM GetParameter on a new connection); on AWS from inside a region a few milliseconds:\n",
        ms(moto_request)
    );
    println!("| function | requests | in order |");
    println!("|---|---|---|");
    for f in figures {
        println!("| {} | {} | {} |", f.function.binary, f.requests.len(), f.requests.join(", "));
    }
    let problems: Vec<&Figure> = figures.iter().filter(|f| f.log.is_some()).collect();
    if !problems.is_empty() {
        println!("\nAnswered with an error or a failed record (counted as answered):\n");
        for f in problems {
            println!("- {}: {}", f.function.binary, f.log.as_deref().unwrap_or_default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_from_what_the_function_posted() {
        let batch = |failures: &str| format!("{{\"batchItemFailures\":[{failures}]}}").into_bytes();
        let ok = CallKind::Response("1".into());
        assert_eq!(read_answer(&ok, &batch("")), Answer::Ok("batch done".into()));
        assert_eq!(
            read_answer(&ok, &batch("{\"itemIdentifier\":\"m1\"}")),
            Answer::Failed("1 record(s) reported failed".into())
        );
        assert_eq!(read_answer(&ok, br#"{"statusCode":401,"body":"x"}"#), Answer::Ok("HTTP 401".into()));
        assert_eq!(read_answer(&ok, br#"{"statusCode":502}"#), Answer::Failed("HTTP 502".into()));
        assert_eq!(read_answer(&ok, br#"{"handed_on":0}"#), Answer::Ok("answered".into()));
        let error = br#"{"errorType":"&alloc::boxed::Box<dyn Error>","errorMessage":"TABLE_NAME is not set"}"#;
        assert_eq!(
            read_answer(&CallKind::Error("1".into()), error),
            Answer::Error("&alloc::boxed::Box<dyn Error>: TABLE_NAME is not set".into())
        );
        assert!(!read_answer(&CallKind::InitError, b"{}").is_ok());
    }

    #[test]
    fn recorded_requests_are_named_by_service_and_operation() {
        let recording = [
            r#"{"module":"x","headers":{"Authorization":"AWS4-HMAC-SHA256 Credential=test/20261122/eu-west-2/ssm/aws4_request, SignedHeaders=host","X-Amz-Target":"AmazonSSM.GetParameter"},"body":"{}"}"#,
            r#"{"headers":{"authorization":"AWS4-HMAC-SHA256 Credential=test/20261122/eu-west-2/dynamodb/aws4_request","x-amz-target":"DynamoDB_20120810.GetItem"},"body":"{}"}"#,
            r#"{"headers":{"Authorization":"AWS4-HMAC-SHA256 Credential=test/20261122/eu-west-2/sqs/aws4_request"},"body":"Action=SendMessage&Version=2012-11-05"}"#,
            "not json",
        ]
        .join("\n");
        assert_eq!(recorded_operations(&recording), ["ssm:GetParameter", "dynamodb:GetItem", "sqs:SendMessage"]);
    }

    #[test]
    fn the_ratio_is_of_the_medians() {
        let d = |v: &[u64]| v.iter().map(|m| Duration::from_millis(*m)).collect::<Vec<_>>();
        // Medians 30 and 10 whatever the outliers.
        assert_eq!(ratio(&d(&[30, 29, 31, 500, 28, 32, 30]), &d(&[10, 9, 11, 10, 200, 10, 12])), 3.0);
    }

    #[test]
    fn every_function_is_pointed_at_moto() {
        let env = environment("http://127.0.0.1:5000", "intake");
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("AWS_LAMBDA_FUNCTION_NAME"), Some("intake"));
        assert_eq!(get("SMS_QUEUE_URL"), Some("http://127.0.0.1:5000/000000000000/sim-cold-sms"));
        assert!(get("LINK_KEY_PARAMETER").is_some() && get("VAULT_INDEX_KEY_PARAMETER").is_some());
    }

    #[test]
    fn the_last_warning_is_what_is_reported() {
        let path = std::env::temp_dir().join(format!("sim-cold-test-{}.log", std::process::id()));
        let warning = r#"{"level":"WARN","fields":{"message":"message failed","error":"no incident inc-1"}}"#;
        std::fs::write(&path, format!("starting\n{warning}\ndone\n")).unwrap();
        assert_eq!(last_problem(&path), "message failed: no incident inc-1");
        std::fs::write(&path, "only this\n").unwrap();
        assert_eq!(last_problem(&path), "only this");
        let _ = std::fs::remove_file(&path);
    }
}
