//! SIM's benchmark. Run it with `bench/run.sh`, which builds the binaries
//! (release, or debug with `--debug`) and starts moto serving one request at
//! a time (`bench/moto_serial.py`); this program measures and prints every figure
//! with its target from the brief (§5). Timing lives here, never in tests.

mod cold_start;
mod counting;
mod e2e;
mod handlers;
mod init;
mod pipeline;
mod stats;

use stats::ms;
use std::path::PathBuf;

pub const LINK_KEY_PARAMETER: &str = "/sim/bench/link-key";
pub const WHATSAPP_TOKEN_PARAMETER: &str = "/sim/bench/whatsapp-token";

struct Options {
    bin_dir: PathBuf,
    starts: usize,
    handler_calls: usize,
    sizes: Vec<usize>,
    /// Measure the end-to-end figures only (no release binaries needed).
    e2e_only: bool,
    /// Timed runs per size, SIM and floor alternately.
    runs: usize,
}

fn options() -> Options {
    let mut o = Options {
        bin_dir: PathBuf::from("target/release"),
        starts: 20,
        handler_calls: 200,
        // Two sizes give per message (the slope) and fixed per incident (the intercept).
        sizes: vec![10, 50],
        e2e_only: false,
        runs: 5,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<String> = args
        .into_iter()
        .filter(|a| {
            let flag = a == "--e2e-only";
            o.e2e_only |= flag;
            !flag
        })
        .collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--bin-dir" => o.bin_dir = value.into(),
            "--runs" => o.runs = value.parse().expect("--runs N"),
            "--starts" => o.starts = value.parse().expect("--starts N"),
            "--handler-calls" => o.handler_calls = value.parse().expect("--handler-calls N"),
            "--sizes" => o.sizes = value.split(',').map(|s| s.parse().expect("--sizes 10,50,...")).collect(),
            other => {
                panic!("unknown option {other}; options: --bin-dir DIR --starts N --handler-calls N --sizes A,B,C --runs N --e2e-only")
            }
        }
    }
    o
}

/// The build profile of the binaries measured, as `bench/run.sh` says (release unless `--debug`).
pub fn profile() -> String {
    std::env::var("SIM_BENCH_PROFILE").unwrap_or_else(|_| "release".into())
}

/// How moto served the run: `bench/run.sh` starts it serving one request at a time.
fn moto_note() -> &'static str {
    if std::env::var("SIM_BENCH_MOTO").as_deref() == Ok("serial") {
        "moto serves one request at a time (bench/moto_serial.py): its DynamoDB transactions are not thread safe \
         (a transaction deep-copies the table while others write, and a cancelled one puts that copy back, losing \
         their writes). Counts are unaffected; a request's time includes its wait behind the others."
    } else {
        "WARNING: moto started by other means than bench/run.sh may serve requests concurrently; its DynamoDB \
         transactions are not thread safe, so runs at 50 recipients can stop part-way (a lost claim is then a \
         Conflict). Use bench/run.sh."
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

#[tokio::main]
async fn main() {
    // `sim-bench cold-start [...]`: the cold-start figure alone (see `cold_start`).
    if std::env::args().nth(1).as_deref() == Some("cold-start") {
        let args = <cold_start::Args as clap::Parser>::parse_from(std::env::args().skip(1));
        return cold_start::main(args).await;
    }
    let o = options();
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL (moto) is set: run bench/run.sh");
    let aws = sim::adapters::aws::load_config().await;
    let ssm = aws_sdk_ssm::Client::new(&aws);
    for (name, value) in [(LINK_KEY_PARAMETER, "5e".repeat(32)), (WHATSAPP_TOKEN_PARAMETER, "bench-token".into())] {
        ssm.put_parameter()
            .name(name)
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .overwrite(true)
            .send()
            .await
            .expect("SSM parameter stored in moto");
    }
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    println!(
        "SIM benchmark on {cpu}, {} cores; AWS emulated by moto at {endpoint}; {} build\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        profile()
    );
    println!("{}\n", moto_note());

    if !o.e2e_only {
        init_and_handlers(&o, &endpoint).await;
    }
    end_to_end(&o, &endpoint).await;
}

async fn init_and_handlers(o: &Options, endpoint: &str) {
    eprintln!("[1/4] init: starting each function {} times", o.starts);
    cold_start::set_up().await;
    println!("## Lambda init (process start to first request for an event, clients built, secrets read)\n");
    println!("| function | binary size | median | p95 | target | verdict |");
    println!("|---|---|---|---|---|---|");
    for function in init::FUNCTIONS {
        let figure = init::measure(&o.bin_dir.join(function), function, endpoint, o.starts);
        println!(
            "| {function} | {:.1} MB | {} | {} | <= 30 ms | {} |",
            figure.size_bytes as f64 / 1e6,
            ms(figure.starts.median),
            ms(figure.starts.p95),
            verdict(figure.starts.p95.as_secs_f64() <= 0.030)
        );
    }

    eprintln!("[2/4] handler cost: {} incidents of 50 recipients, in memory", o.handler_calls);
    let h = handlers::measure(o.handler_calls).await;
    println!("\n## Handler cost, warm, in-memory adapters ({} calls each; 50 recipients)\n", o.handler_calls);
    println!("| handler | median | p99 | target | verdict |");
    println!("|---|---|---|---|---|");
    println!(
        "| intake (report) | {} | {} | <= 20 ms p99 | {} |",
        ms(h.intake.median),
        ms(h.intake.p99),
        verdict(h.intake.p99.as_secs_f64() <= 0.020)
    );
    println!(
        "| categorise (50 recipients, 3 channels) | {} | {} | - | - |",
        ms(h.categorise.median),
        ms(h.categorise.p99)
    );
    println!(
        "| acknowledgement | {} | {} | <= 30 ms p99 | {} |",
        ms(h.acknowledge.median),
        ms(h.acknowledge.p99),
        verdict(h.acknowledge.p99.as_secs_f64() <= 0.030)
    );
}

async fn end_to_end(o: &Options, endpoint: &str) {
    eprintln!("[3/4] end to end against moto: {:?} recipients, {} alternating runs each", o.sizes, o.runs);
    let whatsapp = e2e::whatsapp_api_url().await;
    let mut runs = Vec::new();
    for n in &o.sizes {
        eprintln!("      {n} recipients ...");
        runs.push(e2e::run(*n, &whatsapp, o.runs, endpoint).await);
    }
    println!(
        "\n## End to end (CRITICAL incident; SMS, WhatsApp, email; moto; {} alternating runs after one warm-up each; \
         2 instances per sender queue, paced 10/7/10 per second as the template)\n",
        o.runs
    );
    println!("Timings on moto are indicative (moto serves requests far slower than AWS, and its transactions copy the table per item); the request counts are the primary figures.\n");
    println!("| recipients | messages | SIM median (min-max) | floor median (min-max) | ratio median (min-max), target <= 1.2 | POST -> first provider hand-off | POST -> every required role's first message |");
    println!("|---|---|---|---|---|---|---|");
    for r in &runs {
        let ratios: Vec<f64> = r.sim.iter().zip(&r.floor).map(|(s, f)| s.as_secs_f64() / f.as_secs_f64()).collect();
        let ratio = stats::spread_f64(&ratios);
        println!(
            "| {} | {} | {} | {} | {:.2} ({:.2}-{:.2}) {} | {} | {} |",
            r.recipients,
            r.messages,
            stats::spread(&r.sim),
            stats::spread(&r.floor),
            ratio.0,
            ratio.1,
            ratio.2,
            verdict(ratio.0 <= 1.2),
            stats::spread(&r.first_handoff),
            stats::spread(&r.required_roles),
        );
    }
    println!("\n| recipients | intake POST against moto, reads cold, median (min-max) | its AWS requests | target |");
    println!("|---|---|---|---|");
    for r in &runs {
        println!(
            "| {} | {} | {} sequential | <= 20 ms p99 (on AWS; moto answers each request in milliseconds) |",
            r.recipients,
            stats::spread(&r.intake),
            r.intake_requests
        );
    }
    println!("\n## Requests (SIM's own: AWS at the HTTP layer, WhatsApp at the Cloud API)\n");
    println!("| recipients | messages | SIM requests (runs min-max) | per message | floor requests | floor per message | moto's recorder (AWS, polling left out) | counting client (AWS) | poller requests | sequential round trips POST -> first provider call (target <= 6) |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in &runs {
        let (lo, hi) = (r.totals.iter().min().copied().unwrap_or(0), r.totals.iter().max().copied().unwrap_or(0));
        let floor: u64 = r.floor_requests.values().sum();
        println!(
            "| {} | {} | {} ({lo}-{hi}) | {:.2} | {floor} | {:.2} | {} | {} | {} | {} {} |",
            r.recipients,
            r.messages,
            r.total(),
            r.total() as f64 / r.messages as f64,
            floor as f64 / r.messages as f64,
            r.recorded.map_or("-".into(), |(n, unreadable)| format!(
                "{n}{} {}",
                if unreadable > 0 { format!(" + {unreadable} unreadable lines") } else { String::new() },
                if n == r.aws() { "(agrees)" } else { "(DIFFERS)" }
            )),
            r.aws(),
            r.polling,
            r.round_trips,
            verdict(r.round_trips <= 6),
        );
    }
    // Requests grow linearly with messages: slope per message, intercept fixed.
    if let (Some(a), Some(b)) = (runs.first(), runs.last()) {
        if b.messages > a.messages {
            let slope = (b.total() as f64 - a.total() as f64) / (b.messages - a.messages) as f64;
            let fixed = a.total() as f64 - slope * a.messages as f64;
            let floor = |r: &e2e::Run| r.floor_requests.values().sum::<u64>() as f64;
            let floor_slope = (floor(b) - floor(a)) / (b.messages - a.messages) as f64;
            let floor_fixed = floor(a) - floor_slope * a.messages as f64;
            println!("\n| figure | SIM | floor | target | verdict |");
            println!("|---|---|---|---|---|");
            println!(
                "| requests per message, provider calls included | {slope:.2} | {floor_slope:.2} | <= 1.1 | {} |",
                verdict(slope <= 1.1)
            );
            println!(
                "| requests fixed per incident | {fixed:.1} | {floor_fixed:.1} | <= 5 | {} |",
                verdict(fixed <= 5.0)
            );
        }
    }
    for r in &runs {
        println!(
            "\n### Requests by operation, {} recipients ({} messages), first timed run\n",
            r.recipients, r.messages
        );
        println!("| operation | SIM | per message | floor |");
        println!("|---|---|---|---|");
        let ops: std::collections::BTreeSet<&String> = r.requests.keys().chain(r.floor_requests.keys()).collect();
        for op in ops {
            let n = r.requests.get(op).copied().unwrap_or(0);
            println!(
                "| {op} | {n} | {:.2} | {} |",
                n as f64 / r.messages as f64,
                r.floor_requests.get(op).copied().unwrap_or(0)
            );
        }
    }
    eprintln!("[4/4] done");
}
