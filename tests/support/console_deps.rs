//! The console's dependencies for tests, built in one place: in-memory queues,
//! scheduler, console store and test senders, an OpenID provider that is never
//! reached (tests sign in by putting sessions in the store), no vault. A test
//! sets what it varies; a new field of `console::Deps` is added here only.

use crate::memory_channel_queues;
use console::http_client::HttpClient;
use console::oidc::Oidc;
use console::{OidcConfig, TestSenders};
use sim::adapters::memory_console::MemoryConsoleStore;
use sim::adapters::memory_queue::MemoryQueue;
use sim::adapters::memory_scheduler::MemoryScheduler;
use sim::adapters::recording_sender::RecordingSender;
use sim::clock::Clock;
use sim::domain::staff::StaffMember;
use sim::ids::{IdGenerator, LicenseeId};
use sim::ports::incident_search::IncidentSearch;
use sim::ports::sessions::{Session, SessionStore};
use sim::ports::staff::StaffStore;
use sim::ports::{ChannelQueues, Queue, Scheduler, Store};
use sim::vault::Vault;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// The console's dependencies on `store`, searching `search`, at `clock`'s time with `ids`.
pub fn console_deps(
    store: Arc<dyn Store>,
    search: Arc<dyn IncidentSearch>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
) -> ConsoleDepsBuilder {
    let console = Arc::new(MemoryConsoleStore::new());
    let deps = console::Deps {
        store,
        search,
        staff: console.clone(),
        sessions: console,
        oidc: oidc(unreached_provider(), &clock),
        clock: clock.clone(),
        ids,
        escalation: Arc::new(MemoryQueue::new("escalation")),
        queues: memory_channel_queues(),
        briefings: Arc::new(MemoryQueue::new("briefings")),
        scheduler: Arc::new(MemoryScheduler::new(clock, Arc::new(MemoryQueue::new("briefings")))),
        licensees: None,
        vault: None,
        test_senders: TestSenders::all(Arc::new(RecordingSender::default())),
        handoff: Arc::new(MemoryQueue::new("categorise")),
    };
    ConsoleDepsBuilder { deps }
}

/// A provider nobody calls: the tests that use it put sessions in the store.
fn unreached_provider() -> OidcConfig {
    OidcConfig {
        issuer: "http://127.0.0.1:9".into(),
        client_id: "unused".into(),
        client_secret: "unused".into(),
        redirect_uri: "http://127.0.0.1:9/console/auth/callback".into(),
    }
}

fn oidc(config: OidcConfig, clock: &Arc<dyn Clock>) -> Oidc {
    Oidc::new(config, HttpClient::new().expect("an HTTP client"), clock.clone())
}

#[must_use = "build() gives the dependencies"]
pub struct ConsoleDepsBuilder {
    deps: console::Deps,
}

impl ConsoleDepsBuilder {
    /// Staff and sessions in `console` (a test keeps it to sign people in).
    pub fn console(mut self, console: Arc<MemoryConsoleStore>) -> Self {
        self.deps.staff = console.clone();
        self.deps.sessions = console;
        self
    }

    /// Sign-in through this provider.
    pub fn oidc(mut self, config: OidcConfig) -> Self {
        self.deps.oidc = oidc(config, &self.deps.clock);
        self
    }

    /// The licensees the issuer may sign in (`None`: any).
    pub fn licensees(mut self, licensees: Option<Vec<LicenseeId>>) -> Self {
        self.deps.licensees = licensees;
        self
    }

    pub fn vault(mut self, vault: Arc<Vault>) -> Self {
        self.deps.vault = Some(vault);
        self
    }

    /// Test messages go out through `sender` on every channel.
    pub fn test_sender(mut self, sender: Arc<RecordingSender>) -> Self {
        self.deps.test_senders = TestSenders::all(sender);
        self
    }

    pub fn escalation(mut self, queue: Arc<dyn Queue>) -> Self {
        self.deps.escalation = queue;
        self
    }

    pub fn queues(mut self, queues: ChannelQueues) -> Self {
        self.deps.queues = queues;
        self
    }

    pub fn briefings(mut self, queue: Arc<dyn Queue>) -> Self {
        self.deps.briefings = queue;
        self
    }

    pub fn scheduler(mut self, scheduler: Arc<dyn Scheduler>) -> Self {
        self.deps.scheduler = scheduler;
        self
    }

    /// The categorise queue a partner's acceptance hands its linked incident on to.
    pub fn handoff(mut self, queue: Arc<dyn Queue>) -> Self {
        self.deps.handoff = queue;
        self
    }

    pub fn build(self) -> console::Deps {
        self.deps
    }
}

/// Signs `member` in as the console's sign-in does once the provider has
/// answered: their record and a fresh 12-hour session in `console`. Returns
/// the cookie header and the session's CSRF token.
pub async fn session_for(console: &MemoryConsoleStore, member: &StaffMember, now: OffsetDateTime) -> (String, String) {
    console.put_staff(member).await.unwrap();
    let value = console::session::random_token();
    let csrf = console::session::random_token();
    let session = Session {
        key: console::session::key_of(&value),
        staff_id: member.id.clone(),
        licensee_id: member.licensee_id.clone(),
        csrf: csrf.clone(),
        created_at: now,
        last_seen: now,
        expires_at: now + Duration::hours(12),
    };
    console.put_session(&session).await.unwrap();
    (format!("__Host-sim-session={value}"), csrf)
}
