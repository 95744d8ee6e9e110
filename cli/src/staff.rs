//! `sim staff add|remove|list`: council staff who may sign in to the console.
//! The first admin of a licensee is added here; after that admins can add
//! staff in the console.

use clap::Subcommand;
use sim::domain::staff::{ConsoleRole, Login, StaffEmail, StaffId, StaffMember};
use sim::ids::{IdGenerator, LicenseeId, RandomIds};
use sim::ports::staff::StaffStore;
use sim::ports::StoreError;
use std::collections::BTreeSet;
use std::error::Error;

#[derive(Subcommand)]
pub enum StaffCommand {
    /// Add a staff member: by the email their identity provider verifies (pinned
    /// to their account on first sign-in), or by issuer and subject.
    Add {
        #[arg(long, value_parser = parse_licensee)]
        licensee: LicenseeId,
        /// Their name as shown in the console.
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_email, required_unless_present = "subject")]
        email: Option<StaffEmail>,
        /// A console role: admin, duty, viewer or dpo (repeat for several).
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<ConsoleRole>,
        /// The issuer URL, with --subject, to add someone by their account instead of their email.
        #[arg(long, requires = "subject")]
        issuer: Option<String>,
        #[arg(long, requires = "issuer")]
        subject: Option<String>,
    },
    /// Remove a staff member (their sessions end at their next request).
    Remove {
        #[arg(long, value_parser = parse_licensee)]
        licensee: LicenseeId,
        /// The staff id, as `sim staff list` shows it.
        id: String,
    },
    /// List a licensee's staff.
    List {
        #[arg(long, value_parser = parse_licensee)]
        licensee: LicenseeId,
    },
}

fn parse_licensee(text: &str) -> Result<LicenseeId, String> {
    LicenseeId::parse(text).map_err(|e| format!("licensee id '{text}' {e}"))
}
fn parse_email(text: &str) -> Result<StaffEmail, String> {
    StaffEmail::parse(text).map_err(|e| e.to_string())
}
fn parse_role(text: &str) -> Result<ConsoleRole, String> {
    ConsoleRole::parse(text).map_err(|e| e.to_string())
}

/// Runs one staff command, returning what to print.
pub async fn run(store: &dyn StaffStore, command: StaffCommand) -> Result<String, Box<dyn Error>> {
    match command {
        StaffCommand::Add { licensee, name, email, roles, issuer, subject } => {
            let login = issuer.zip(subject).map(|(issuer, subject)| Login { issuer, subject });
            let id = StaffId::generate(&RandomIds as &dyn IdGenerator);
            let member = StaffMember::new(
                id,
                licensee,
                &name,
                email,
                login,
                roles.into_iter().collect::<BTreeSet<_>>(),
                time::OffsetDateTime::now_utc(),
            )?;
            match store.put_staff(&member).await {
                Err(StoreError::Conflict) => {
                    Err("that email or account already belongs to another staff member".into())
                }
                Err(e) => Err(e.into()),
                Ok(()) => Ok(format!(
                    "added {} ({}) to {}: {}",
                    member.id,
                    member.name,
                    member.licensee_id,
                    member.roles_text()
                )),
            }
        }
        StaffCommand::Remove { licensee, id } => {
            let id = StaffId::parse(&id)?;
            if store.remove_staff(&licensee, &id).await? {
                Ok(format!("removed {id}"))
            } else {
                Err(format!("{licensee} has no staff member {id}").into())
            }
        }
        StaffCommand::List { licensee } => {
            let lines: Vec<String> = store
                .staff(&licensee)
                .await?
                .iter()
                .map(|m| {
                    let email = m.email.as_ref().map(StaffEmail::as_str).unwrap_or("-");
                    let pinned = if m.login.is_some() { "signed in before" } else { "not yet signed in" };
                    format!("{}  {}  {}  {}  ({pinned})", m.id, m.name, email, m.roles_text())
                })
                .collect();
            Ok(if lines.is_empty() { format!("{licensee} has no staff") } else { lines.join("\n") })
        }
    }
}
