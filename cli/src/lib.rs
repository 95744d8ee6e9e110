//! Operator commands for SIM: the local stack, and the admin a council's IT
//! team needs after deploying (licensees, caller keys).

pub mod admin;
pub mod dev_oidc;
pub mod directory;
pub mod local;
pub mod outbox;
pub mod report;
pub mod server;
pub mod staff;
