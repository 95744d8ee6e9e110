//! The composition root: every Lambda's dependencies built from its
//! environment, once per cold start, in one place (the role
//! zero-to-production's `startup.rs` plays). Function mains call one builder
//! here and hand the result to their handler; tests and the local stack build
//! the same structs with in-memory or moto adapters instead.

#[cfg(all(feature = "dynamodb", feature = "sqs"))]
use crate::adapters::{dynamodb::DynamoStore, sqs::SqsQueue};
#[cfg(all(feature = "dynamodb", feature = "sqs"))]
use crate::config::{parsed_or, required, ConfigError};
#[cfg(all(feature = "dynamodb", feature = "sqs"))]
use crate::ports::{ChannelQueues, Queue};
#[cfg(all(feature = "dynamodb", feature = "sqs"))]
use std::sync::Arc;

/// The table every function shares: `TABLE_NAME`.
#[cfg(all(feature = "dynamodb", feature = "sqs"))]
pub fn store(aws: &aws_config::SdkConfig) -> Result<Arc<DynamoStore>, ConfigError> {
    Ok(Arc::new(DynamoStore::from_config(aws, required("TABLE_NAME")?)))
}

/// The SQS queue whose URL is in the environment variable `name`.
#[cfg(all(feature = "dynamodb", feature = "sqs"))]
pub fn queue(aws: &aws_config::SdkConfig, name: &'static str) -> Result<Arc<dyn Queue>, ConfigError> {
    Ok(Arc::new(SqsQueue::from_config(aws, required(name)?)))
}

/// Builds the wiring from the environment: `TABLE_NAME`, `SMS_QUEUE_URL`,
/// `EMAIL_QUEUE_URL`, `WHATSAPP_QUEUE_URL`, `ESCALATION_QUEUE_URL`,
/// `UPDATES_QUEUE_URL`. Clients are built here, once per cold start.
#[cfg(all(feature = "dynamodb", feature = "sqs"))]
pub fn alerting(aws: &aws_config::SdkConfig) -> Result<crate::fanout::Deps, ConfigError> {
    let queue = |name| queue(aws, name);
    Ok(crate::fanout::Deps {
        store: store(aws)?,
        queues: ChannelQueues {
            sms: queue("SMS_QUEUE_URL")?,
            email: queue("EMAIL_QUEUE_URL")?,
            whatsapp: queue("WHATSAPP_QUEUE_URL")?,
        },
        escalation: queue("ESCALATION_QUEUE_URL")?,
        updates: queue("UPDATES_QUEUE_URL")?,
        clock: Arc::new(crate::clock::SystemClock),
        ids: Arc::new(crate::ids::RandomIds),
    })
}

/// Builds a sender Lambda's dependencies from its environment: `TABLE_NAME`,
/// `LINK_KEY_PARAMETER` (SSM SecureString, hex), `PUBLIC_BASE_URL`,
/// `LINK_LIFETIME_HOURS` (168), `PROVIDER_RATE` (messages per second, per
/// concurrent instance), `FALLBACK_QUEUE_URL` (optional).
#[cfg(all(feature = "dynamodb", feature = "sqs", feature = "ssm"))]
pub async fn sender(
    channel: crate::domain::policy::Channel,
    sender: Arc<dyn crate::ports::Sender>,
    aws: &aws_config::SdkConfig,
) -> Result<crate::sending::SenderDeps, Box<dyn std::error::Error + Send + Sync>> {
    use crate::sending::{fallback_for, Fallback, Links, Pacer, SenderDeps};
    let key_hex = crate::adapters::ssm::secure_parameter(aws, &required("LINK_KEY_PARAMETER")?).await?;
    let links = Links {
        key: crate::links::LinkKey::from_hex(&key_hex).map_err(|e| format!("the link key {e}"))?,
        base_url: required("PUBLIC_BASE_URL")?,
        lifetime: time::Duration::hours(parsed_or("LINK_LIFETIME_HOURS", 168)?),
    };
    let fallback = std::env::var("FALLBACK_QUEUE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .map(|url| Fallback { channel: fallback_for(channel), queue: Arc::new(SqsQueue::from_config(aws, url)) });
    Ok(SenderDeps {
        fallback,
        pacer: Pacer::per_second(parsed_or("PROVIDER_RATE", 10.0)?),
        ..SenderDeps::new(channel, store(aws)?, sender, links)
    })
}

/// The receipts function's wiring from its environment: `TABLE_NAME`, the
/// three sender queues (`SMS_QUEUE_URL`, `EMAIL_QUEUE_URL`,
/// `WHATSAPP_QUEUE_URL`) a late failure falls back on, and
/// `LINK_KEY_PARAMETER` (SSM SecureString, hex) to verify quick replies.
#[cfg(all(feature = "dynamodb", feature = "sqs", feature = "ssm"))]
pub async fn receipts(aws: &aws_config::SdkConfig) -> Result<ReceiptsWiring, Box<dyn std::error::Error + Send + Sync>> {
    let key_hex = crate::adapters::ssm::secure_parameter(aws, &required("LINK_KEY_PARAMETER")?).await?;
    Ok(ReceiptsWiring {
        store: store(aws)?,
        queues: ChannelQueues {
            sms: queue(aws, "SMS_QUEUE_URL")?,
            email: queue(aws, "EMAIL_QUEUE_URL")?,
            whatsapp: queue(aws, "WHATSAPP_QUEUE_URL")?,
        },
        link_key: crate::links::LinkKey::from_hex(&key_hex).map_err(|e| format!("the link key {e}"))?,
    })
}

/// What `receipts` reads from the environment; the function adds its clock and ids.
#[cfg(all(feature = "dynamodb", feature = "sqs", feature = "ssm"))]
pub struct ReceiptsWiring {
    pub store: Arc<DynamoStore>,
    pub queues: ChannelQueues,
    pub link_key: crate::links::LinkKey,
}

/// The WhatsApp webhook's secrets and queue: `WHATSAPP_VERIFY_TOKEN_PARAMETER`
/// and `WHATSAPP_APP_SECRET_PARAMETER` (SSM SecureStrings), `RECEIPTS_QUEUE_URL`.
#[cfg(all(feature = "dynamodb", feature = "sqs", feature = "ssm"))]
pub async fn webhook_secrets(
    aws: &aws_config::SdkConfig,
) -> Result<(String, Vec<u8>, Arc<dyn Queue>), Box<dyn std::error::Error + Send + Sync>> {
    let verify_token = crate::adapters::ssm::secure_parameter(aws, &required("WHATSAPP_VERIFY_TOKEN_PARAMETER")?).await?;
    let app_secret = crate::adapters::ssm::secure_parameter(aws, &required("WHATSAPP_APP_SECRET_PARAMETER")?).await?;
    Ok((verify_token, app_secret.into_bytes(), queue(aws, "RECEIPTS_QUEUE_URL")?))
}
