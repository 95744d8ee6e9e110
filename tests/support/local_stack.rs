//! The local stack (`sim local`) served on a free loopback port, as the
//! browser tests drive it: embedded store and queues, the fixtures' clock.

use crate::START;
use sim::clock::ManualClock;
use sim::ids::SequentialIds;
use sim_cli::local::{build, serve, Backing, Stack};
use std::sync::Arc;

/// Builds the embedded local stack and serves it in the background: the
/// stack (to reach its stores and outbox) and its base URL.
pub async fn serve_local_stack() -> (Stack, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let clock = Arc::new(ManualClock::new(START));
    let stack =
        build(&Backing::Embedded { speed: 1 }, &base_url, clock, Arc::new(SequentialIds::default())).await.unwrap();
    let served = stack.clone();
    tokio::spawn(async move { serve(&served, listener).await });
    (stack, base_url)
}
