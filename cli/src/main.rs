//! `sim`: run SIM locally, and administer a deployed SIM.

use sim::adapters::dynamodb::DynamoStore;
use sim_cli::{admin, local};
use std::error::Error;
use std::process::ExitCode;

const USAGE: &str = "\
sim: operator commands for SIM, the Serious Incident Manager

USAGE:
  sim local [--port PORT] [--speed N]
                                    run SIM on 127.0.0.1 (default port 3000); embedded
                                    in-memory store and queues unless AWS_ENDPOINT_URL is set;
                                    --speed 60 makes a minute pass every second (watch escalation)
  sim put-licensee FILE.json        add or replace a licensee           (needs TABLE_NAME)
  sim issue-key CALLER --name NAME --licensee ID [--licensee ID ...]
                                    issue a police caller's API key      (needs TABLE_NAME)
  sim lapses LICENSEE               incidents served on a lapsed licence (needs TABLE_NAME)

Admin commands use the AWS credentials and region of the environment, as the AWS CLI does.";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn option(args: &[String], name: &str) -> Vec<String> {
    args.windows(2).filter(|w| w[0] == name).map(|w| w[1].clone()).collect()
}

async fn table() -> Result<DynamoStore, Box<dyn Error>> {
    let table = sim::config::required("TABLE_NAME")?;
    Ok(DynamoStore::from_config(&sim::adapters::aws::load_config().await, table))
}

async fn run(args: &[String]) -> Result<(), Box<dyn Error>> {
    match args.first().map(String::as_str) {
        Some("local") => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info,aws_config=warn,aws_smithy_runtime=warn".into()),
                )
                .with_target(false)
                .compact()
                .init();
            let port = match option(args, "--port").first() {
                Some(p) => p.parse().map_err(|_| format!("--port must be a number, not '{p}'"))?,
                None => 3000,
            };
            let speed = match option(args, "--speed").first() {
                Some(s) => s.parse().map_err(|_| format!("--speed must be a whole number, not '{s}'"))?,
                None => 1,
            };
            local::run(local::Options { port, speed, state_dir: ".sim-local".into() }).await
        }
        Some("put-licensee") => {
            let file = args.get(1).ok_or("put-licensee needs a JSON file")?;
            let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?;
            let licensee = admin::put_licensee(&table().await?, &text).await?;
            println!("stored licensee {} ({} areas)", licensee.id, licensee.areas.len());
            Ok(())
        }
        Some("issue-key") => {
            let caller = args.get(1).filter(|a| !a.starts_with("--")).ok_or("issue-key needs a caller id")?;
            let name = option(args, "--name").pop().ok_or("issue-key needs --name")?;
            let key = admin::issue_key(&table().await?, caller, &name, &option(args, "--licensee")).await?;
            println!("API key for {caller} (shown once; give it to the police integrator securely):");
            println!("{}", key.reveal());
            Ok(())
        }
        Some("lapses") => {
            let id = args.get(1).ok_or("lapses needs a licensee id")?;
            let id = sim::ids::LicenseeId::parse(id).map_err(|e| format!("licensee id '{id}' {e}"))?;
            for notice in sim::ports::Store::lapses(&table().await?, &id).await? {
                println!("{}  incident {}  licence lapsed on {}", notice.at, notice.incident_id, notice.lapsed_on);
            }
            Ok(())
        }
        Some("help" | "--help" | "-h") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command '{other}'\n\n{USAGE}").into()),
    }
}
