//! Ports: what SIM's functions need from the outside world. Each has an
//! in-memory adapter and an AWS adapter (see `crate::adapters`), and one
//! contract test suite runs against both.

pub mod incident_search;
pub mod keys;
pub mod queue;
pub mod scheduler;
pub mod sender;
pub mod sessions;
pub mod staff;
pub mod store;

pub use queue::{
    parse_message, ChannelQueues, DelayedCheck, OutgoingMessage, PoisonMessage, Queue, QueueError, QueueRoute,
    ReceivedMessage,
};
pub use scheduler::{schedule_checks, OneTimeSchedule, ScheduleError, ScheduleName, Scheduler};
pub use sender::{Outgoing, SendError, Sender};
pub use store::{
    AlertStore, CreateOutcome, DeliveryStore, DirectoryStore, IncidentStore, LapseNotice, ReportKey, ReportRows,
    ReportStore, ResponseStore, SendingStore, ShareStore, Store, StoreError, VaultStore,
};

/// The cause of an adapter error, kept for logs and `source()` chains.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;
