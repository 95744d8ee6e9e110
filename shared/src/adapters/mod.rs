//! Adapters for the ports: in-memory (the local stack's embedded default and
//! handler tests) and AWS (behind features, one per SDK).

pub mod memory_queue;
pub mod memory_store;

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "sqs")]
pub mod sqs;

#[cfg(feature = "aws")]
pub mod aws;
