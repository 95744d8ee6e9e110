//! Adapters for the ports: in-memory (the local stack's embedded default and
//! handler tests) and AWS (behind features, one per SDK).

pub mod memory_console;
pub mod memory_keys;
pub mod memory_queue;
pub mod memory_scheduler;
pub mod memory_store;

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "dynamodb")]
pub mod dynamodb_console;
#[cfg(feature = "kms")]
pub mod kms;
#[cfg(feature = "sqs")]
pub mod sqs;

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "eum-sms")]
pub mod eum_sms;
#[cfg(feature = "scheduler")]
pub mod eventbridge_scheduler;
#[cfg(any(feature = "sns", feature = "ses", feature = "eum-sms"))]
mod provider_errors;
#[cfg(feature = "ses")]
pub mod ses;
#[cfg(feature = "sns")]
pub mod sns;
#[cfg(feature = "ssm")]
pub mod ssm;
#[cfg(feature = "whatsapp")]
pub mod whatsapp;

pub mod recording_sender;
