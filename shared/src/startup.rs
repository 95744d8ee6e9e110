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

/// Intake's and the sweeper's wiring: `TABLE_NAME`, `CATEGORISE_QUEUE_URL`,
/// the system clock and random ids, with the function's own settings.
#[cfg(all(feature = "dynamodb", feature = "sqs"))]
pub fn handoff<S>(aws: &aws_config::SdkConfig, settings: S) -> Result<crate::handoff::HandoffDeps<S>, ConfigError> {
    Ok(crate::handoff::HandoffDeps {
        store: store(aws)?,
        queue: queue(aws, "CATEGORISE_QUEUE_URL")?,
        clock: Arc::new(crate::clock::SystemClock),
        ids: Arc::new(crate::ids::RandomIds),
        settings,
    })
}

/// The personal links' signing key, read once from SSM (`LINK_KEY_PARAMETER`, a SecureString in hex).
#[cfg(all(feature = "dynamodb", feature = "sqs", feature = "ssm"))]
pub async fn link_key(
    aws: &aws_config::SdkConfig,
) -> Result<crate::links::LinkKey, Box<dyn std::error::Error + Send + Sync>> {
    let key_hex = crate::adapters::ssm::secure_parameter(aws, &required("LINK_KEY_PARAMETER")?).await?;
    Ok(crate::links::LinkKey::from_hex(&key_hex).map_err(|e| format!("the link key {e}"))?)
}

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
/// `BRIEFINGS_QUEUE_URL`. Clients are built here, once per cold start.
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
        briefings: queue("BRIEFINGS_QUEUE_URL")?,
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
    let links = Links {
        key: link_key(aws).await?,
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
