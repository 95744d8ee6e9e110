//! Log lines, for tests that look for personal data in them: the test
//! binary's global subscriber (JSON, every level), installed once by the first
//! test that asks. A thread-scoped one (`set_default`) missed events now and
//! then while the binary's other tests ran beside it, as tracing's callsite
//! interest is shared by every thread. Other tests' lines land in it too,
//! which only widens a search.

use std::sync::{Arc, Mutex, OnceLock};

/// Every log line written in this test binary since the capture was installed.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLogs {
    type Writer = CapturedLogs;
    fn make_writer(&'a self) -> CapturedLogs {
        self.clone()
    }
}

/// The capture, installed as the global subscriber on first use (a binary
/// that sets another global subscriber cannot use it: that panics here).
pub fn captured_logs() -> CapturedLogs {
    static CAPTURED: OnceLock<CapturedLogs> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = CapturedLogs::default();
            let subscriber = tracing_subscriber::fmt()
                .json()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(captured.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber in this binary");
            captured
        })
        .clone()
}
