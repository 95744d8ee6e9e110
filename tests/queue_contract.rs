//! One contract for the queue port, run against the in-memory adapter and
//! the SQS adapter (on moto).

use sim::adapters::memory_queue::MemoryQueue;
use sim::ports::{OutgoingMessage, Queue};
use sim_tests::*;
use std::collections::BTreeSet;

async fn delivers_every_message_until_deleted(queue: &dyn Queue) {
    // 23 messages: three SQS batches, the last one partial.
    let sent: Vec<OutgoingMessage> = (0..23).map(|i| OutgoingMessage::now(format!(r#"{{"n":{i}}}"#))).collect();
    queue.send(&sent).await.unwrap();

    let mut received = Vec::new();
    for _ in 0..20 {
        let batch = queue.receive(10).await.unwrap();
        assert!(batch.len() <= 10);
        received.extend(batch);
        if received.len() >= 23 {
            break;
        }
    }
    let bodies: BTreeSet<String> = received.iter().map(|m| m.body.clone()).collect();
    let expected: BTreeSet<String> = sent.iter().map(|m| m.body.clone()).collect();
    assert_eq!(bodies, expected, "every message, each once");

    // Received but not deleted: hidden, not lost and not redelivered at once.
    assert!(queue.receive(10).await.unwrap().is_empty());
    for m in &received {
        queue.delete(&m.receipt).await.unwrap();
    }
    assert!(queue.receive(10).await.unwrap().is_empty());
}

async fn holds_delayed_messages_back(queue: &dyn Queue) {
    queue.send(&[OutgoingMessage { body: "later".into(), delay_seconds: 600 }]).await.unwrap();
    queue.send(&[OutgoingMessage::now("now")]).await.unwrap();
    let batch = queue.receive(10).await.unwrap();
    let bodies: Vec<&str> = batch.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["now"]);
}

#[tokio::test]
async fn memory_queue_delivers_every_message_until_deleted() {
    delivers_every_message_until_deleted(&MemoryQueue::new("test")).await;
}

#[tokio::test]
async fn memory_queue_holds_delayed_messages_back() {
    holds_delayed_messages_back(&MemoryQueue::new("test")).await;
}

#[tokio::test]
async fn sqs_queue_delivers_every_message_until_deleted() {
    needs_moto!();
    delivers_every_message_until_deleted(&moto_queue().await).await;
}

#[tokio::test]
async fn sqs_queue_holds_delayed_messages_back() {
    needs_moto!();
    holds_delayed_messages_back(&moto_queue().await).await;
}
