//! The Lambda Runtime API, served on loopback: the first `GET /2018-06-01/runtime/invocation/next` is answered
//! with the armed event; later ones are held (as Lambda holds them between events) until the process is ended.
//! Every call is passed to the runner with the instant its request had been read in full.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

const PREFIX: &str = "/2018-06-01/runtime/";

/// What a call to the runtime API was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallKind {
    Next,
    /// `POST invocation/{id}/response`.
    Response(String),
    /// `POST invocation/{id}/error`.
    Error(String),
    /// `POST init/error`: the runtime failed before asking for an event.
    InitError,
    Other(String),
}

#[derive(Debug)]
pub struct Call {
    pub kind: CallKind,
    pub at: Instant,
    pub body: Vec<u8>,
}

/// The call a method and path are.
pub fn classify(method: &str, path: &str) -> CallKind {
    let path = path.split('?').next().unwrap_or_default();
    let rest = path.strip_prefix(PREFIX).unwrap_or_default();
    let parts: Vec<&str> = rest.split('/').collect();
    match (method, parts.as_slice()) {
        ("GET", ["invocation", "next"]) => CallKind::Next,
        ("POST", ["invocation", id, "response"]) => CallKind::Response((*id).to_owned()),
        ("POST", ["invocation", id, "error"]) => CallKind::Error((*id).to_owned()),
        ("POST", ["init", "error"]) => CallKind::InitError,
        _ => CallKind::Other(format!("{method} {path}")),
    }
}

/// An HTTP/1.1 request read off a connection.
#[derive(Debug, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
}

/// Reads one request (a `Content-Length` or chunked body); `None` when the peer has closed the connection.
pub fn read_request(reader: &mut impl BufRead) -> std::io::Result<Option<HttpRequest>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut words = line.split_whitespace();
    let (method, path) = (words.next().unwrap_or_default().to_owned(), words.next().unwrap_or_default().to_owned());
    let (mut length, mut chunked) = (0usize, false);
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            return Ok(None);
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "content-length" {
                length = value.parse().map_err(|_| invalid("Content-Length"))?;
            } else if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or_default(), 16)
                .map_err(|_| invalid("chunk size"))?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(Some(HttpRequest { method, path, body }))
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("bad {what}"))
}

/// The answer to the first `next`: the event and the headers the runtime client requires.
pub fn next_response(request_id: &str, function: &str, event: &[u8]) -> Vec<u8> {
    let deadline =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
            + 900_000;
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {request_id}\r\n\
         Lambda-Runtime-Deadline-Ms: {deadline}\r\n\
         Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:eu-west-2:000000000000:function:{function}\r\n\
         Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0\r\n\
         Content-Length: {}\r\n\r\n",
        event.len()
    )
    .into_bytes();
    response.extend_from_slice(event);
    response
}

/// The event the next `next` is answered with.
struct Armed {
    request_id: String,
    function: String,
    event: Vec<u8>,
}

pub struct RuntimeApi {
    pub addr: SocketAddr,
    pub calls: Receiver<Call>,
    armed: Arc<Mutex<Option<Armed>>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl RuntimeApi {
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let (tx, calls) = channel();
        let armed = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (armed, stop) = (armed.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (tx, armed) = (tx.clone(), armed.clone());
                    std::thread::spawn(move || serve(stream, tx, armed));
                }
            })
        };
        Ok(RuntimeApi { addr, calls, armed, stop, acceptor: Some(acceptor) })
    }

    /// The next `next` (and only that one) gets `event`; calls left from an earlier process are dropped.
    pub fn arm(&self, request_id: &str, function: &str, event: &[u8]) {
        while self.calls.try_recv().is_ok() {}
        *self.armed.lock().expect("not poisoned") =
            Some(Armed { request_id: request_id.into(), function: function.into(), event: event.to_vec() });
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn serve(stream: TcpStream, tx: Sender<Call>, armed: Arc<Mutex<Option<Armed>>>) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    while let Ok(Some(request)) = read_request(&mut reader) {
        let at = Instant::now();
        let kind = classify(&request.method, &request.path);
        let reply = match &kind {
            CallKind::Next => armed.lock().expect("not poisoned").take().map(|a| next_response(&a.request_id, &a.function, &a.event)),
            CallKind::Response(_) | CallKind::Error(_) | CallKind::InitError => Some(
                b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}"
                    .to_vec(),
            ),
            CallKind::Other(_) => Some(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec()),
        };
        let _ = tx.send(Call { kind, at, body: request.body });
        match reply {
            Some(bytes) => {
                if writer.write_all(&bytes).is_err() {
                    return;
                }
            }
            // A second `next`: held until the process is ended and the connection closes.
            None => {
                let mut rest = Vec::new();
                let _ = reader.read_to_end(&mut rest);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn runtime_calls_are_told_apart() {
        assert_eq!(classify("GET", "/2018-06-01/runtime/invocation/next"), CallKind::Next);
        assert_eq!(classify("POST", "/2018-06-01/runtime/invocation/abc/response"), CallKind::Response("abc".into()));
        assert_eq!(classify("POST", "/2018-06-01/runtime/invocation/abc/error"), CallKind::Error("abc".into()));
        assert_eq!(classify("POST", "/2018-06-01/runtime/init/error"), CallKind::InitError);
        assert!(matches!(classify("GET", "/2018-06-01/runtime/invocation/abc/response"), CallKind::Other(_)));
        assert!(matches!(classify("POST", "/elsewhere/invocation/next"), CallKind::Other(_)));
    }

    #[test]
    fn requests_are_read_with_their_bodies_one_after_another() {
        let wire = "POST /2018-06-01/runtime/invocation/1/response HTTP/1.1\r\nhost: x\r\ncontent-length: 11\r\n\r\n\
                    {\"ok\":true}GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nhost: x\r\n\r\n";
        let mut reader = Cursor::new(wire.as_bytes());
        let first = read_request(&mut reader).unwrap().unwrap();
        assert_eq!((first.method.as_str(), first.body.as_slice()), ("POST", &b"{\"ok\":true}"[..]));
        let second = read_request(&mut reader).unwrap().unwrap();
        assert_eq!((second.method.as_str(), second.body.len()), ("GET", 0));
        assert_eq!(read_request(&mut reader).unwrap(), None);
    }

    #[test]
    fn chunked_bodies_are_joined() {
        let wire = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
        let request = read_request(&mut Cursor::new(wire.as_bytes())).unwrap().unwrap();
        assert_eq!(request.body, b"{\"a\":1}");
    }

    /// A client speaking to the server gets the event once, and its answer is passed on with its body.
    #[test]
    fn the_armed_event_is_served_once_and_the_answer_recorded() {
        let api = RuntimeApi::start().unwrap();
        api.arm("req-1", "intake", b"{\"hello\":1}");
        let mut stream = TcpStream::connect(api.addr).unwrap();
        stream.write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                length = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.contains("Lambda-Runtime-Aws-Request-Id: req-1"));
        assert!(head.contains("Lambda-Runtime-Deadline-Ms: "));
        let mut event = vec![0; length];
        reader.read_exact(&mut event).unwrap();
        assert_eq!(event, b"{\"hello\":1}");
        stream
            .write_all(b"POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}")
            .unwrap();
        let timeout = std::time::Duration::from_secs(5);
        assert_eq!(api.calls.recv_timeout(timeout).unwrap().kind, CallKind::Next);
        let answer = api.calls.recv_timeout(timeout).unwrap();
        assert_eq!((answer.kind, answer.body), (CallKind::Response("req-1".into()), b"{}".to_vec()));
    }
}
