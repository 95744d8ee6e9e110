//! SIM's shared library: the domain (pure types and rules), the ports the
//! functions talk through, and their adapters (in-memory always; AWS behind
//! cargo features so each Lambda compiles only the SDKs it calls).

pub mod adapters;
pub mod briefings;
pub mod clock;
pub mod config;
pub mod demo;
pub mod directory;
pub mod domain;
pub mod fanout;
pub mod handoff;
pub mod ids;
pub mod links;
pub mod ports;
pub mod problem;
pub mod render;
pub mod reports;
pub mod sending;
pub mod shares;
#[cfg(feature = "sqs-events")]
pub mod sqs_batch;
pub mod startup;
pub mod telemetry;
pub mod uk_time;
pub mod vault;
#[cfg(feature = "web")]
pub mod web;
