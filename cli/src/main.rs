//! `sim`: run SIM locally, and administer a deployed SIM.

use clap::{Parser, Subcommand};
use sim::adapters::dynamodb::DynamoStore;
use sim::ids::LicenseeId;

use sim_cli::directory::DirectoryCommand;
use sim_cli::{admin, directory, local, report, staff};
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

/// Operator commands for SIM, the Serious Incident Manager.
///
/// Admin commands use the AWS credentials and region of the environment, as
/// the AWS CLI does, and the table named by TABLE_NAME.
#[derive(Parser)]
#[command(name = "sim", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run SIM on 127.0.0.1: embedded in-memory store and queues unless AWS_ENDPOINT_URL is set.
    Local {
        /// The port to serve on.
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// Minutes that pass every minute (60 makes a minute pass every second: watch escalation).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=3600))]
        speed: u32,
    },
    /// Add or replace a licensee from its JSON file (needs TABLE_NAME).
    PutLicensee {
        /// The licensee's JSON file.
        file: PathBuf,
    },
    /// Issue a police caller's API key, shown once (needs TABLE_NAME).
    IssueKey {
        /// The caller's id, e.g. met-cad-lambeth.
        caller: String,
        /// The caller's display name.
        #[arg(long)]
        name: String,
        /// A licensee the caller may report for (repeat for several).
        #[arg(long = "licensee", required = true)]
        licensees: Vec<String>,
    },
    /// Let a police caller add personal-data subject records, off by default (needs TABLE_NAME).
    AllowSubjects {
        /// The caller's id, e.g. met-cad-lambeth.
        caller: String,
        /// Take the permission away instead.
        #[arg(long)]
        revoke: bool,
    },
    /// Council staff who may sign in to the console (needs TABLE_NAME).
    #[command(subcommand)]
    Staff(staff::StaffCommand),
    /// Incidents served on a lapsed licence (needs TABLE_NAME).
    Lapses {
        /// The licensee's id.
        #[arg(value_parser = parse_licensee)]
        licensee: LicenseeId,
    },
    #[command(flatten)]
    Directory(DirectoryCommand),
    /// A licensee's figures for a period: alerts, acknowledgements, escalation, delivery, checklist (needs TABLE_NAME).
    Report(report::ReportArgs),
    /// Incident timelines for the council's records, as CSV or JSON lines (needs TABLE_NAME).
    AuditExport(report::AuditExportArgs),
    /// Re-derive the report rows of a licensee's incidents received in a period (needs TABLE_NAME).
    RefreshReports(report::RefreshArgs),
}

fn parse_licensee(text: &str) -> Result<LicenseeId, String> {
    LicenseeId::parse(text).map_err(|e| format!("licensee id '{text}' {e}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command).await {
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

async fn table() -> Result<DynamoStore, Box<dyn Error>> {
    let table = sim::config::required("TABLE_NAME")?;
    Ok(DynamoStore::from_config(&sim::adapters::aws::load_config().await, table))
}

async fn run(command: Command) -> Result<(), Box<dyn Error>> {
    match command {
        Command::Local { port, speed } => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info,aws_config=warn,aws_smithy_runtime=warn".into()),
                )
                .with_target(false)
                .compact()
                .init();
            local::run(local::Options { port, speed, state_dir: ".sim-local".into() }).await
        }
        Command::PutLicensee { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let licensee = admin::put_licensee(&table().await?, &text).await?;
            println!("stored licensee {} ({} areas)", licensee.id, licensee.areas.len());
            Ok(())
        }
        Command::IssueKey { caller, name, licensees } => {
            let key = admin::issue_key(&table().await?, &caller, &name, &licensees).await?;
            println!("API key for {caller} (shown once; give it to the police integrator securely):");
            println!("{}", key.reveal());
            Ok(())
        }
        Command::AllowSubjects { caller, revoke } => {
            admin::set_subject_permission(&table().await?, &caller, !revoke).await?;
            let state = if revoke { "may no longer add" } else { "may now add" };
            println!("{caller} {state} personal-data subject records");
            Ok(())
        }
        Command::Staff(command) => {
            let table = sim::config::required("TABLE_NAME")?;
            let aws = sim::adapters::aws::load_config().await;
            let store = sim::adapters::dynamodb_console::DynamoConsoleStore::from_config(&aws, table);
            println!("{}", staff::run(&store, command).await?);
            Ok(())
        }
        Command::Lapses { licensee } => {
            for notice in sim::ports::DirectoryStore::lapses(&table().await?, &licensee).await? {
                println!("{}  incident {}  licence lapsed on {}", notice.at, notice.incident_id, notice.lapsed_on);
            }
            Ok(())
        }
        Command::Directory(command) => directory::run(&table().await?, command, &mut std::io::stdout().lock()).await,
        Command::Report(args) => {
            let (text, requests) = report::report(&table().await?, &args).await?;
            print!("{text}");
            eprintln!("read with {requests} requests");
            Ok(())
        }
        Command::AuditExport(args) => {
            print!("{}", report::audit_export(&table().await?, &args).await?);
            Ok(())
        }
        Command::RefreshReports(args) => {
            let table = sim::config::required("TABLE_NAME")?;
            let aws = sim::adapters::aws::load_config().await;
            let search = sim::adapters::dynamodb_console::DynamoConsoleStore::from_config(&aws, table.clone());
            let store = DynamoStore::from_config(&aws, table);
            let refreshed = report::refresh_reports(&store, &search, &args).await?;
            println!("refreshed the report rows of {refreshed} incidents");
            Ok(())
        }
    }
}
