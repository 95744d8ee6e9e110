//! The composition root: every Lambda's dependencies built from its
//! environment, once per cold start, in one place (the role
//! zero-to-production's `startup.rs` plays). Function mains call one builder
//! here and hand the result to their handler; tests and the local stack build
//! the same structs with in-memory or moto adapters instead.

#[cfg(all(feature = "dynamodb", feature = "sqs"))]
use crate::adapters::{dynamodb::DynamoStore, sqs::SqsQueue};
#[cfg(all(feature = "dynamodb", feature = "sqs"))]
use crate::config::{required, ConfigError};
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

/// A secret a function reads at start from SSM (a SecureString), named by the
/// environment variable holding its parameter's name.
#[cfg(feature = "ssm")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secret {
    /// `LINK_KEY_PARAMETER`: the hex key signing personal links.
    LinkKey,
    /// `VAULT_INDEX_KEY_PARAMETER`: the vault's blind-index key, hex.
    VaultIndexKey,
    /// `WHATSAPP_TOKEN_PARAMETER`: the Cloud API bearer token.
    WhatsAppToken,
    /// `WHATSAPP_VERIFY_TOKEN_PARAMETER`: the webhook's verification token.
    WhatsAppVerifyToken,
    /// `WHATSAPP_APP_SECRET_PARAMETER`: the webhook's signing secret.
    WhatsAppAppSecret,
    /// `OIDC_CLIENT_SECRET_PARAMETER`: the console's OIDC client secret.
    OidcClientSecret,
}

#[cfg(feature = "ssm")]
impl Secret {
    pub fn variable(self) -> &'static str {
        match self {
            Secret::LinkKey => "LINK_KEY_PARAMETER",
            Secret::VaultIndexKey => "VAULT_INDEX_KEY_PARAMETER",
            Secret::WhatsAppToken => "WHATSAPP_TOKEN_PARAMETER",
            Secret::WhatsAppVerifyToken => "WHATSAPP_VERIFY_TOKEN_PARAMETER",
            Secret::WhatsAppAppSecret => "WHATSAPP_APP_SECRET_PARAMETER",
            Secret::OidcClientSecret => "OIDC_CLIENT_SECRET_PARAMETER",
        }
    }
}

/// A function's secrets, all read at start in ONE SSM `GetParameters` request;
/// each builder below takes the ones it needs.
#[cfg(feature = "ssm")]
pub struct Secrets(Vec<(Secret, String)>);

#[cfg(feature = "ssm")]
impl Secrets {
    /// Reads `wanted` (none: no request) in one request.
    pub async fn read(
        aws: &aws_config::SdkConfig,
        wanted: &[Secret],
    ) -> Result<Secrets, Box<dyn std::error::Error + Send + Sync>> {
        let names = wanted.iter().map(|s| crate::config::required(s.variable())).collect::<Result<Vec<_>, _>>()?;
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let values = crate::adapters::ssm::secure_parameters(aws, &names).await?;
        Ok(Secrets(wanted.iter().copied().zip(values).collect()))
    }

    /// Takes a secret read at start; one not asked for in `read` is an error naming its variable.
    pub fn take(&mut self, secret: Secret) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        let at = self.0.iter().position(|(s, _)| *s == secret);
        at.map(|i| self.0.swap_remove(i).1).ok_or_else(|| format!("{} was not read at start", secret.variable()).into())
    }

    /// The personal links' signing key (`Secret::LinkKey`, hex).
    pub fn link_key(&mut self) -> Result<crate::links::LinkKey, Box<dyn std::error::Error + Send + Sync>> {
        let key_hex = self.take(Secret::LinkKey)?;
        Ok(crate::links::LinkKey::from_hex(&key_hex).map_err(|e| format!("the link key {e}"))?)
    }
}

/// The personal links' signing key, read once from SSM (`LINK_KEY_PARAMETER`, a SecureString in hex),
/// for functions with no other secret.
#[cfg(all(feature = "dynamodb", feature = "sqs", feature = "ssm"))]
pub async fn link_key(
    aws: &aws_config::SdkConfig,
) -> Result<crate::links::LinkKey, Box<dyn std::error::Error + Send + Sync>> {
    Secrets::read(aws, &[Secret::LinkKey]).await?.link_key()
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

/// One-time schedules on EventBridge Scheduler: `SCHEDULE_GROUP`, delivering
/// to `BRIEFINGS_QUEUE_ARN` (dead letters to `BRIEFINGS_DLQ_ARN`) as
/// `SCHEDULER_ROLE_ARN`.
#[cfg(all(feature = "dynamodb", feature = "sqs", feature = "scheduler"))]
pub fn scheduler(aws: &aws_config::SdkConfig) -> Result<Arc<dyn crate::ports::Scheduler>, ConfigError> {
    use crate::adapters::eventbridge_scheduler::{EventBridgeScheduler, ScheduleTarget};
    let target = ScheduleTarget {
        group: required("SCHEDULE_GROUP")?,
        queue_arn: required("BRIEFINGS_QUEUE_ARN")?,
        dead_letter_arn: required("BRIEFINGS_DLQ_ARN")?,
        role_arn: required("SCHEDULER_ROLE_ARN")?,
    };
    Ok(Arc::new(EventBridgeScheduler::from_config(aws, target)))
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
/// concurrent instance), `FALLBACK_QUEUE_URL` (optional). The link key is
/// read by the caller, with its other secrets in the same request.
#[cfg(all(feature = "dynamodb", feature = "sqs", feature = "ssm"))]
pub fn sender(
    channel: crate::domain::policy::Channel,
    sender: Arc<dyn crate::ports::Sender>,
    aws: &aws_config::SdkConfig,
    key: crate::links::LinkKey,
) -> Result<crate::sending::SenderDeps, Box<dyn std::error::Error + Send + Sync>> {
    use crate::config::parsed_or;
    use crate::sending::{fallback_for, Fallback, Links, Pacer, SenderDeps};
    let links = Links {
        key,
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

/// The personal-data vault for the local stack and handler tests: data keys
/// wrapped by an in-memory master key and a random blind-index key, both
/// lost on restart (and with them every record: nothing persists by design).
pub fn local_vault(
    store: std::sync::Arc<dyn crate::ports::Store>,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    ids: std::sync::Arc<dyn crate::ids::IdGenerator>,
) -> crate::vault::Vault {
    crate::vault::Vault {
        keys: std::sync::Arc::new(crate::adapters::memory_keys::MemoryKeys::new()),
        store,
        clock,
        ids,
        index_key: crate::ports::keys::PlainKey::random().bytes().to_vec(),
        agreement: crate::vault::Agreement::default(),
        dpo_alert: None,
    }
}

/// The vault from the environment, or `None` where it is not deployed:
/// `VAULT_KMS_KEY_ID` (the licensee's customer-managed key; blank or absent
/// turns the vault off), `VAULT_INDEX_KEY_PARAMETER` (SSM SecureString, hex,
/// the blind-index key). Who may view, the lawful conditions and the
/// retention are each licensee's data-sharing agreement (`Licensee::data_sharing`).
/// `secrets` must hold what `vault_secrets()` asks for.
#[cfg(all(feature = "dynamodb", feature = "kms", feature = "ssm"))]
pub fn vault(
    aws: &aws_config::SdkConfig,
    store: std::sync::Arc<dyn crate::ports::Store>,
    secrets: &mut Secrets,
) -> Result<Option<crate::vault::Vault>, Box<dyn std::error::Error + Send + Sync>> {
    let Some(key_id) = vault_key_id() else {
        return Ok(None);
    };
    let index_hex = secrets.take(Secret::VaultIndexKey)?;
    let index_key = hex::decode(index_hex.trim()).map_err(|_| "the blind-index key parameter is not hex")?;
    if index_key.len() < 32 {
        return Err("the blind-index key must be at least 32 bytes".into());
    }
    Ok(Some(crate::vault::Vault {
        keys: std::sync::Arc::new(crate::adapters::kms::KmsKeys::from_config(aws, key_id)),
        store,
        clock: std::sync::Arc::new(crate::clock::SystemClock),
        ids: std::sync::Arc::new(crate::ids::RandomIds),
        index_key,
        agreement: crate::vault::Agreement::default(),
        // Break-glass views happen in the console, which wires the DPO's email.
        dpo_alert: None,
    }))
}

/// `VAULT_KMS_KEY_ID`, blank or absent when the vault is off.
#[cfg(all(feature = "dynamodb", feature = "kms", feature = "ssm"))]
fn vault_key_id() -> Option<String> {
    std::env::var("VAULT_KMS_KEY_ID").ok().filter(|k| !k.is_empty())
}

/// The secrets `vault` needs: the blind-index key where the vault is on, else none.
#[cfg(all(feature = "dynamodb", feature = "kms", feature = "ssm"))]
pub fn vault_secrets() -> &'static [Secret] {
    match vault_key_id() {
        Some(_) => &[Secret::VaultIndexKey],
        None => &[],
    }
}

/// The receipts function's wiring from its environment: `TABLE_NAME`, the
/// three sender queues (`SMS_QUEUE_URL`, `EMAIL_QUEUE_URL`,
/// `WHATSAPP_QUEUE_URL`) a late failure falls back on, and
/// `LINK_KEY_PARAMETER` (SSM SecureString, hex) to verify quick replies.
#[cfg(all(feature = "dynamodb", feature = "sqs", feature = "ssm"))]
pub async fn receipts(aws: &aws_config::SdkConfig) -> Result<ReceiptsWiring, Box<dyn std::error::Error + Send + Sync>> {
    Ok(ReceiptsWiring {
        store: store(aws)?,
        queues: ChannelQueues {
            sms: queue(aws, "SMS_QUEUE_URL")?,
            email: queue(aws, "EMAIL_QUEUE_URL")?,
            whatsapp: queue(aws, "WHATSAPP_QUEUE_URL")?,
        },
        link_key: link_key(aws).await?,
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
/// and `WHATSAPP_APP_SECRET_PARAMETER` (SSM SecureStrings, one request), `RECEIPTS_QUEUE_URL`.
#[cfg(all(feature = "dynamodb", feature = "sqs", feature = "ssm"))]
pub async fn webhook_secrets(
    aws: &aws_config::SdkConfig,
) -> Result<(String, Vec<u8>, Arc<dyn Queue>), Box<dyn std::error::Error + Send + Sync>> {
    let mut secrets = Secrets::read(aws, &[Secret::WhatsAppVerifyToken, Secret::WhatsAppAppSecret]).await?;
    let verify_token = secrets.take(Secret::WhatsAppVerifyToken)?;
    let app_secret = secrets.take(Secret::WhatsAppAppSecret)?;
    Ok((verify_token, app_secret.into_bytes(), queue(aws, "RECEIPTS_QUEUE_URL")?))
}

/// Reads an optional setting: unset and empty are the same. Only the
/// providers below read one: the cfg is theirs, so no feature set leaves it unused.
#[cfg(any(all(feature = "sns", feature = "eum-sms"), feature = "ses"))]
fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.is_empty())
}

/// The SMS provider the SMS sender (and the console's test messages) send
/// through: AWS End User Messaging SMS with `SMS_CONFIGURATION_SET` (and
/// `SMS_ORIGINATION_IDENTITY`), whose delivery receipts reach `receipts`;
/// without, SNS Publish (`SMS_SENDER_ID`).
#[cfg(all(feature = "sns", feature = "eum-sms"))]
pub fn sms_provider(aws: &aws_config::SdkConfig) -> std::sync::Arc<dyn crate::ports::Sender> {
    match optional("SMS_CONFIGURATION_SET") {
        Some(set) => std::sync::Arc::new(crate::adapters::eum_sms::EumSms::from_config(
            aws,
            set,
            optional("SMS_ORIGINATION_IDENTITY"),
        )),
        None => std::sync::Arc::new(crate::adapters::sns::SnsSms::from_config(aws, optional("SMS_SENDER_ID"))),
    }
}

/// The email provider: SES from `EMAIL_FROM`, with `EMAIL_CONFIGURATION_SET` (optional).
#[cfg(feature = "ses")]
pub fn email_provider(
    aws: &aws_config::SdkConfig,
) -> Result<std::sync::Arc<dyn crate::ports::Sender>, crate::config::ConfigError> {
    let from = crate::config::required("EMAIL_FROM")?;
    Ok(std::sync::Arc::new(crate::adapters::ses::SesEmail::from_config(aws, from, optional("EMAIL_CONFIGURATION_SET"))))
}

/// The WhatsApp provider: the Cloud API (`WHATSAPP_API_BASE`,
/// `WHATSAPP_API_VERSION`, `WHATSAPP_PHONE_NUMBER_ID`) with its bearer token
/// read once from SSM (`Secret::WhatsAppToken`, taken from `secrets`).
#[cfg(all(feature = "whatsapp", feature = "ssm"))]
pub fn whatsapp_provider(
    secrets: &mut Secrets,
) -> Result<std::sync::Arc<dyn crate::ports::Sender>, Box<dyn std::error::Error + Send + Sync>> {
    use crate::config::{parsed_or, required};
    let token = secrets.take(Secret::WhatsAppToken)?;
    let base: String = parsed_or("WHATSAPP_API_BASE", "https://graph.facebook.com".to_owned())?;
    let version: String = parsed_or("WHATSAPP_API_VERSION", "v21.0".to_owned())?;
    let phone_number_id = required("WHATSAPP_PHONE_NUMBER_ID")?;
    Ok(std::sync::Arc::new(crate::adapters::whatsapp::CloudApiWhatsApp::new(&base, &version, &phone_number_id, token)?))
}
