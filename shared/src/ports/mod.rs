//! Ports: what SIM's functions need from the outside world. Each has an
//! in-memory adapter and an AWS adapter (see `crate::adapters`), and one
//! contract test suite runs against both.

pub mod queue;
pub mod sender;
pub mod store;

pub use queue::{ChannelQueues, OutgoingMessage, Queue, QueueError, QueueRoute, ReceivedMessage};
pub use sender::{Outgoing, SendError, Sender};
pub use store::{
    AlertStore, CreateOutcome, DeliveryStore, DirectoryStore, IncidentStore, LapseNotice, ReportKey, ResponseStore, SendingStore,
    Store, StoreError,
};

/// The cause of an adapter error, kept for logs and `source()` chains.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;
