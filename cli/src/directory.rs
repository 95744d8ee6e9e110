//! The directory commands a council's IT team runs against its deployed
//! table: import contacts from a CSV file (a dry run first), export them in
//! the same format, and list the alert gaps. The format is in `docs/directory.md`.

use clap::Subcommand;
use sim::clock::SystemClock;
use sim::directory::{self, CsvError, ImportError, Limits};
use sim::ids::LicenseeId;
use sim::ports::Store;
use std::error::Error;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Replace a licensee's contacts and group membership with a CSV file's (needs TABLE_NAME).
    ///
    /// Prints what would be added, changed and removed. Nothing is applied if any row is wrong;
    /// contacts the file leaves out are removed only with --confirm-removals.
    ImportContacts {
        /// The CSV file (columns in docs/directory.md).
        file: PathBuf,
        /// The licensee whose directory this is.
        #[arg(long, value_parser = parse_licensee)]
        licensee: LicenseeId,
        /// Show the changes and apply nothing.
        #[arg(long)]
        dry_run: bool,
        /// Remove the contacts the file leaves out.
        #[arg(long)]
        confirm_removals: bool,
    },
    /// Write a licensee's contacts as CSV, in the import format (needs TABLE_NAME).
    ExportContacts {
        #[arg(long, value_parser = parse_licensee)]
        licensee: LicenseeId,
        /// Where to write the file (standard output if absent).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// What categorisation would miss if an incident came now (needs TABLE_NAME).
    AlertGaps {
        #[arg(long, value_parser = parse_licensee)]
        licensee: LicenseeId,
    },
}

pub fn parse_licensee(text: &str) -> Result<LicenseeId, String> {
    LicenseeId::parse(text).map_err(|e| format!("licensee id '{text}' {e}"))
}

/// Who the audit trail says made a change from the CLI.
fn operator() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

/// A refused file, with every row error on its own line.
fn file_error(e: CsvError) -> Box<dyn Error> {
    match e {
        CsvError::Rows(rows) => {
            let mut text = format!("the file has {} error(s); nothing was changed", rows.len());
            for r in rows {
                text.push_str(&format!("\n  {r}"));
            }
            text.into()
        }
        other => other.to_string().into(),
    }
}

/// Runs one directory command, writing what it shows to `out`.
pub async fn run(store: &dyn Store, command: DirectoryCommand, out: &mut dyn Write) -> Result<(), Box<dyn Error>> {
    match command {
        DirectoryCommand::ImportContacts { file, licensee, dry_run, confirm_removals } => {
            if store.get_licensee(&licensee).await?.is_none() {
                return Err(format!("there is no licensee '{licensee}': add it with put-licensee first").into());
            }
            let bytes = std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let plan = match directory::plan_import(store, &licensee, &bytes, Limits::default()).await {
                Ok(plan) => plan,
                Err(ImportError::File(e)) => return Err(file_error(e)),
                Err(e) => return Err(e.into()),
            };
            write!(out, "{plan}")?;
            if dry_run {
                if !plan.removed.is_empty() {
                    writeln!(out, "{} removal(s): applying needs --confirm-removals", plan.removed.len())?;
                }
                writeln!(out, "dry run: nothing applied")?;
                return Ok(());
            }
            if plan.is_empty() {
                writeln!(out, "nothing to change")?;
                return Ok(());
            }
            if !plan.removed.is_empty() && !confirm_removals {
                return Err(format!(
                    "the file removes {} contact(s); run again with --confirm-removals to apply it",
                    plan.removed.len()
                )
                .into());
            }
            let version = directory::apply(store, &plan, confirm_removals, &operator(), &SystemClock).await?;
            writeln!(out, "applied: directory version {version}")?;
            Ok(())
        }
        DirectoryCommand::ExportContacts { licensee, output } => {
            let bytes = directory::export(store, &licensee).await?;
            match output {
                Some(path) => {
                    std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?
                }
                None => out.write_all(&bytes)?,
            }
            Ok(())
        }
        DirectoryCommand::AlertGaps { licensee } => {
            let gaps = directory::gaps_now(store, &licensee, sim::clock::Clock::now(&SystemClock))
                .await?
                .ok_or_else(|| format!("there is no licensee '{licensee}'"))?;
            if gaps.is_empty() {
                writeln!(out, "no alert gaps: every policy's groups, roles and channels are covered")?;
            }
            for gap in gaps {
                writeln!(out, "- {gap}")?;
            }
            Ok(())
        }
    }
}
