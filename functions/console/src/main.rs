//! The console Lambda: configuration and the client secret read once, clients built once.
//! The sender queues and the briefings queue are for the duty actions (re-send, close, key dates); the
//! providers themselves for the directory's test messages.

use console::http_client::HttpClient;
use console::oidc::Oidc;
use console::{handle, Deps, OidcConfig};
use lambda_http::{service_fn, Body, Error};
use sim::adapters::aws::load_config;
use sim::adapters::dynamodb::DynamoStore;
use sim::adapters::dynamodb_console::DynamoConsoleStore;
use sim::adapters::sqs::SqsQueue;
use sim::clock::SystemClock;
use sim::config::required;
use sim::ids::LicenseeId;
use sim::ports::{ChannelQueues, Queue};
use sim::startup::{Secret, Secrets};
use std::convert::Infallible;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sim::telemetry::init();
    let aws = load_config().await;
    let table = required("TABLE_NAME")?;
    // Every secret in one SSM request: the client secret, the vault's index key where the vault is on, the
    // WhatsApp token where WhatsApp is configured.
    let whatsapp = std::env::var("WHATSAPP_TOKEN_PARAMETER").is_ok_and(|p| !p.trim().is_empty());
    let mut wanted = vec![Secret::OidcClientSecret];
    wanted.extend_from_slice(sim::startup::vault_secrets());
    if whatsapp {
        wanted.push(Secret::WhatsAppToken);
    }
    let mut secrets = Secrets::read(&aws, &wanted).await?;
    let config = OidcConfig {
        issuer: required("OIDC_ISSUER")?,
        client_id: required("OIDC_CLIENT_ID")?,
        client_secret: secrets.take(Secret::OidcClientSecret)?,
        redirect_uri: format!("{}/console/auth/callback", required("CONSOLE_BASE_URL")?.trim_end_matches('/')),
    };
    let licensees = match std::env::var("OIDC_LICENSEES").unwrap_or_default().trim() {
        "" | "*" => None,
        list => Some(list.split(',').map(|l| LicenseeId::parse(l.trim())).collect::<Result<Vec<_>, _>>()?),
    };
    let queue = |name| -> Result<Arc<dyn Queue>, sim::config::ConfigError> {
        Ok(Arc::new(SqsQueue::from_config(&aws, required(name)?)))
    };
    let clock = Arc::new(SystemClock);
    let console = Arc::new(DynamoConsoleStore::from_config(&aws, table.clone()));
    let store = Arc::new(DynamoStore::from_config(&aws, table));
    let vault = match sim::startup::vault(&aws, store.clone(), &mut secrets)? {
        Some(mut vault) => {
            // Break-glass views email the DPO at once (`VAULT_DPO_EMAIL`, from `EMAIL_FROM`).
            if let Some(to) = std::env::var("VAULT_DPO_EMAIL").ok().filter(|e| !e.trim().is_empty()) {
                let sender = sim::adapters::ses::SesEmail::from_config(&aws, required("EMAIL_FROM")?, None);
                let to = sim::domain::contact::EmailAddress::parse(to.trim())
                    .map_err(|_| "VAULT_DPO_EMAIL is not an email address")?;
                vault.dpo_alert = Some(sim::vault::DpoAlert { sender: Arc::new(sender), to });
            }
            Some(Arc::new(vault))
        }
        None => None,
    };
    // "Send a test message" goes through the same providers as the sender
    // Lambdas, built by the same builders; WhatsApp only where it is configured.
    let test_senders = console::TestSenders {
        sms: sim::startup::sms_provider(&aws),
        email: sim::startup::email_provider(&aws)?,
        whatsapp: match whatsapp {
            true => Some(sim::startup::whatsapp_provider(&mut secrets)?),
            false => None,
        },
    };
    let deps = Deps {
        store,
        search: console.clone(),
        staff: console.clone(),
        sessions: console,
        oidc: Oidc::new(config, HttpClient::new()?, clock.clone()),
        clock,
        ids: Arc::new(sim::ids::RandomIds),
        escalation: queue("ESCALATION_QUEUE_URL")?,
        queues: ChannelQueues {
            sms: queue("SMS_QUEUE_URL")?,
            email: queue("EMAIL_QUEUE_URL")?,
            whatsapp: queue("WHATSAPP_QUEUE_URL")?,
        },
        briefings: queue("BRIEFINGS_QUEUE_URL")?,
        scheduler: sim::startup::scheduler(&aws)?,
        licensees,
        vault,
        test_senders,
        handoff: queue("CATEGORISE_QUEUE_URL")?,
    };
    let deps = &deps;
    lambda_http::run(service_fn(move |req: lambda_http::Request| async move {
        let (parts, body) = req.into_parts();
        let response = handle(deps, http::Request::from_parts(parts, body.to_vec())).await;
        Ok::<_, Infallible>(response.map(Body::from))
    }))
    .await
}
