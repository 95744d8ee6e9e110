//! Init time: from starting a release `bootstrap` to its first request for
//! an event from the Lambda runtime API, served here on loopback. Each
//! function builds its AWS clients and reads its SSM secrets (from moto)
//! before that first request, as on Lambda.

use crate::stats::{summarise, Summary};
use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const FUNCTIONS: [&str; 9] =
    ["intake", "sweep", "categorise", "send-sms", "send-email", "send-whatsapp", "respond", "escalate", "briefings"];

pub struct InitFigure {
    pub size_bytes: u64,
    pub starts: Summary,
}

/// Environment every function is started with: the cold-start figure's (a superset of what each reads, with the
/// table, queues and secrets `cold_start::set_up` puts in moto), and this runtime API.
fn environment(endpoint: &str, runtime_api: &str, function: &str) -> Vec<(String, String)> {
    let mut env = crate::cold_start::environment(endpoint, function);
    env.push(("AWS_LAMBDA_RUNTIME_API".into(), runtime_api.to_owned()));
    env
}

/// Starts `binary` `runs` times; each time, the time until it asks the
/// runtime API for its first event.
pub fn measure(binary: &Path, function: &'static str, endpoint: &str, runs: usize) -> InitFigure {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let runtime_api = listener.local_addr().expect("bound").to_string();
    let env = environment(endpoint, &runtime_api, function);
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let mut child = Command::new(binary)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e} (build it first: bench/run.sh does)", binary.display()));
        let (mut stream, _) = accept_within(&listener, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{function} never asked for an event: does it start with this environment?"));
        let mut head = [0u8; 512];
        let n = stream.read(&mut head).unwrap_or(0);
        let ready = start.elapsed();
        let request = String::from_utf8_lossy(&head[..n]);
        assert!(request.contains("/runtime/invocation/next"), "{function} sent {request}");
        samples.push(ready);
        let _ = child.kill();
        let _ = child.wait();
    }
    let size_bytes = std::fs::metadata(binary).map(|m| m.len()).unwrap_or(0);
    InitFigure { size_bytes, starts: summarise(samples) }
}

fn accept_within(listener: &TcpListener, limit: Duration) -> Option<(std::net::TcpStream, std::net::SocketAddr)> {
    listener.set_nonblocking(true).ok()?;
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        match listener.accept() {
            Ok((stream, addr)) => {
                stream.set_nonblocking(false).ok()?;
                return Some((stream, addr));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_micros(200)),
            Err(_) => return None,
        }
    }
    None
}
