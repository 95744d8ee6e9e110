//! The console's sign-in against a real, certified OpenID provider (the npm
//! `oidc-provider`, run with the machine's Node.js on loopback; installed by
//! `tests/oidc/install.sh`). The browser's part is played by a small HTTP
//! client that follows the provider's redirects and keeps its cookies.

use console::{handle, Deps, OidcConfig};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sim::adapters::memory_console::MemoryConsoleStore;
use sim::adapters::memory_store::MemoryStore;
use sim::clock::ManualClock;
use sim::domain::staff::{ConsoleRole, Login, StaffEmail, StaffId, StaffMember};
use sim::ids::LicenseeId;
use sim::ports::sessions::{AuditKind, SessionStore};
use sim::ports::staff::StaffStore;
use sim_tests::console_deps;
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

const CLIENT_ID: &str = "sim-console";
const CLIENT_SECRET: &str = "a-test-client-secret-of-some-length";
const REDIRECT: &str = "https://console.test/console/auth/callback";

/// The provider process, stopped when the test ends.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_provider() -> Provider {
    let dir = format!("{}/oidc", env!("CARGO_MANIFEST_DIR"));
    let installed = Command::new("bash").arg(format!("{dir}/install.sh")).status().expect("bash runs");
    assert!(installed.success(), "tests/oidc/install.sh failed (npm install oidc-provider)");
    let mut child = Command::new("node")
        .arg(format!("{dir}/provider.mjs"))
        .args([CLIENT_ID, CLIENT_SECRET, REDIRECT])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node starts (Node.js 20 is on the machine)");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut issuer = String::new();
    for line in lines.by_ref() {
        let line = line.expect("provider output");
        if let Some(url) = line.strip_prefix("issuer ") {
            issuer = url.to_owned();
            break;
        }
    }
    // Keep draining its output: a closed pipe would stop it at its next notice.
    std::thread::spawn(move || lines.for_each(drop));
    assert!(!issuer.is_empty(), "the provider printed no issuer");
    Provider { child, issuer }
}

fn lic(id: &str) -> LicenseeId {
    LicenseeId::parse(id).unwrap()
}

fn member(id: &str, licensee: &str, email: Option<&str>, login: Option<Login>) -> StaffMember {
    StaffMember::new(
        StaffId::parse(id).unwrap(),
        lic(licensee),
        &format!("Officer {id}"),
        email.map(|e| StaffEmail::parse(e).unwrap()),
        login,
        BTreeSet::from([ConsoleRole::Duty]),
        OffsetDateTime::now_utc(),
    )
    .unwrap()
}

struct World {
    provider: Provider,
    deps: Deps,
    console: Arc<MemoryConsoleStore>,
    clock: Arc<ManualClock>,
}

/// Lambeth's duty officer `alice` is known by subject, Kent's `kate` by
/// email only (pinned on first sign-in); the issuer may sign in `allowed`.
async fn world(allowed: Option<Vec<LicenseeId>>) -> World {
    let provider = start_provider();
    let console = Arc::new(MemoryConsoleStore::new());
    let alice = Login { issuer: provider.issuer.clone(), subject: "alice".into() };
    console.put_staff(&member("stf-alice", "lambeth", None, Some(alice))).await.unwrap();
    console.put_staff(&member("stf-kate", "kent", Some("kate@example.gov.uk"), None)).await.unwrap();
    console.put_staff(&member("stf-una", "lambeth", Some("unverified-una@example.gov.uk"), None)).await.unwrap();
    // Real time: the provider's tokens carry real issue and expiry times.
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let config = OidcConfig {
        issuer: provider.issuer.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        redirect_uri: REDIRECT.into(),
    };
    let memory = Arc::new(MemoryStore::new());
    let deps = console_deps(memory.clone(), memory, clock.clone(), Arc::new(sim::ids::RandomIds))
        .console(console.clone())
        .oidc(config)
        .licensees(allowed)
        .build();
    World { provider, deps, console, clock }
}

fn request(method: &str, uri: &str, cookie: Option<&str>, body: &str) -> http::Request<Vec<u8>> {
    let mut b = http::Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        b = b.header("cookie", c);
    }
    b.header("content-type", "application/x-www-form-urlencoded").body(body.as_bytes().to_vec()).unwrap()
}

/// `name=value` of the Set-Cookie named `name` (empty value: cleared).
fn set_cookie(response: &http::Response<String>, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

fn location(response: &http::Response<String>) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// Plays the browser at the provider: from the authorization URL to the
/// redirect back to the console, signing in as `subject`. Returns the callback's query.
async fn at_provider(authorize: &str, subject: &str) -> String {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
    let base = {
        let u = url::Url::parse(authorize).unwrap();
        format!("{}://{}", u.scheme(), u.host_str().unwrap()) + &format!(":{}", u.port().unwrap())
    };
    let mut jar: HashMap<String, String> = HashMap::new();
    let mut next = authorize.to_owned();
    for _ in 0..10 {
        if next.starts_with(REDIRECT) {
            return next.split_once('?').map(|(_, q)| q.to_owned()).unwrap_or_default();
        }
        let mut url = if next.starts_with('/') { format!("{base}{next}") } else { next.clone() };
        if url.contains("/interaction/") && !url.contains('?') {
            url.push_str(&format!("?as={subject}"));
        }
        let cookies = jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let req = hyper::Request::get(&url).header("cookie", cookies).body(Empty::new()).unwrap();
        let response = client.request(req).await.expect("the provider answers");
        for value in response.headers().get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                jar.insert(k.to_owned(), v.to_owned());
            }
        }
        let status = response.status();
        let Some(loc) = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()) else {
            let body = response.into_body().collect().await.unwrap().to_bytes();
            panic!("the provider stopped at {url} with {status}: {}", String::from_utf8_lossy(&body));
        };
        next = loc;
    }
    panic!("too many redirects at the provider");
}

/// Starts a sign-in at the console: (the sign-in cookie, the provider's URL).
async fn start(deps: &Deps) -> (String, String) {
    let response = handle(deps, request("GET", "/console/sign-in", None, "")).await;
    assert_eq!(response.status(), 302, "{}", response.body());
    let cookie = set_cookie(&response, "__Host-sim-signin").expect("a sign-in cookie");
    (cookie, location(&response))
}

/// The whole sign-in as `subject`: the console's answer to the callback.
async fn sign_in(deps: &Deps, subject: &str) -> http::Response<String> {
    let (cookie, authorize) = start(deps).await;
    let query = at_provider(&authorize, subject).await;
    handle(deps, request("GET", &format!("/console/auth/callback?{query}"), Some(&cookie), "")).await
}

fn session_cookie(response: &http::Response<String>) -> String {
    assert_eq!(response.status(), 303, "{}", response.body());
    assert_eq!(location(response), "/console");
    set_cookie(response, "__Host-sim-session").expect("a session cookie")
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    page[at..].split('"').next().unwrap().to_owned()
}

async fn reasons(console: &MemoryConsoleStore, licensee: Option<&LicenseeId>) -> Vec<(AuditKind, String)> {
    console.audit(licensee).await.unwrap().into_iter().map(|e| (e.kind, e.reason)).collect()
}

#[tokio::test]
async fn a_known_person_signs_in_sees_the_board_and_signs_out() {
    let w = world(None).await;
    let (cookie, authorize) = start(&w.deps).await;
    assert!(authorize.starts_with(&format!("{}/auth?", w.provider.issuer)));
    for part in ["code_challenge_method=S256", "code_challenge=", "state=", "nonce=", "scope=openid+email"] {
        assert!(authorize.contains(part), "{part} missing from {authorize}");
    }
    let query = at_provider(&authorize, "alice").await;
    let response = handle(&w.deps, request("GET", &format!("/console/auth/callback?{query}"), Some(&cookie), "")).await;
    let session = session_cookie(&response);
    let set = response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect::<Vec<_>>();
    assert!(set.iter().any(|c| c.starts_with("__Host-sim-session=") && c.contains("Secure; HttpOnly; SameSite=Lax")));

    let board = handle(&w.deps, request("GET", "/console", Some(&session), "")).await;
    assert_eq!(board.status(), 200);
    assert!(board.body().contains("Officer stf-alice"), "{}", board.body());
    assert!(board.headers().contains_key("strict-transport-security"));

    // A second sign-in reuses the cached discovery and key set.
    let again = sign_in(&w.deps, "alice").await;
    session_cookie(&again);
    assert_eq!(w.deps.oidc.key_set_fetches(), 1);

    // Sign-out needs the session's CSRF token; without it nothing changes.
    let refused = handle(&w.deps, request("POST", "/console/sign-out", Some(&session), "csrf=forged")).await;
    assert_eq!(refused.status(), 403);
    assert!(handle(&w.deps, request("GET", "/console", Some(&session), "")).await.body().contains("Officer stf-alice"));
    let body = format!("csrf={}", csrf_of(board.body()));
    let out = handle(&w.deps, request("POST", "/console/sign-out", Some(&session), &body)).await;
    assert_eq!(out.status(), 303);
    assert_eq!(set_cookie(&out, "__Host-sim-session").as_deref(), Some("__Host-sim-session="));
    let after = handle(&w.deps, request("GET", "/console", Some(&session), "")).await;
    assert!(after.body().contains("Sign in to the SIM console"));
    assert!(!after.body().contains("Officer stf-alice"));
    let trail = reasons(&w.console, Some(&lic("lambeth"))).await;
    assert_eq!(trail.first(), Some(&(AuditKind::SignedIn, "signed_in".to_owned())));
    assert_eq!(trail.last(), Some(&(AuditKind::SignedOut, "signed_out".to_owned())));
}

#[tokio::test]
async fn the_first_sign_in_by_verified_email_pins_the_subject() {
    let w = world(None).await;
    session_cookie(&sign_in(&w.deps, "kate").await);
    let kate = w.console.get_staff(&lic("kent"), &StaffId::parse("stf-kate").unwrap()).await.unwrap().unwrap();
    assert_eq!(kate.login, Some(Login { issuer: w.provider.issuer.clone(), subject: "kate".into() }));
    // An email the provider has not verified is not enough.
    let una = sign_in(&w.deps, "unverified-una").await;
    assert_eq!(una.status(), 403);
    assert!(una.body().contains("You could not be signed in"));
}

#[tokio::test]
async fn sessions_end_after_30_idle_minutes_and_after_12_hours() {
    let w = world(None).await;
    let session = session_cookie(&sign_in(&w.deps, "alice").await);
    let signed_in = |r: http::Response<String>| r.body().contains("Officer stf-alice");
    // Active every 20 minutes: still in after 11 hours 40.
    for _ in 0..35 {
        w.clock.advance(Duration::minutes(20));
        assert!(signed_in(handle(&w.deps, request("GET", "/console", Some(&session), "")).await));
    }
    w.clock.advance(Duration::minutes(21));
    assert!(!signed_in(handle(&w.deps, request("GET", "/console", Some(&session), "")).await), "12 h absolute");

    // Back to real time: the provider's tokens carry real times.
    w.clock.set(OffsetDateTime::now_utc());
    let session = session_cookie(&sign_in(&w.deps, "alice").await);
    w.clock.advance(Duration::minutes(29));
    assert!(signed_in(handle(&w.deps, request("GET", "/console", Some(&session), "")).await));
    w.clock.advance(Duration::minutes(30));
    assert!(!signed_in(handle(&w.deps, request("GET", "/console", Some(&session), "")).await), "30 min idle");
    let trail = reasons(&w.console, Some(&lic("lambeth"))).await;
    assert!(trail.contains(&(AuditKind::SessionExpired, "absolute".into())));
    assert!(trail.contains(&(AuditKind::SessionExpired, "idle".into())));
}

#[tokio::test]
async fn refused_sign_ins_create_nothing_and_are_audited() {
    let w = world(Some(vec![lic("lambeth")])).await;

    // Wrong state: the provider's answer for another sign-in.
    let (cookie, authorize) = start(&w.deps).await;
    let query = at_provider(&authorize, "alice").await;
    let forged = query
        .split('&')
        .map(|p| if p.starts_with("state=") { "state=forged".to_owned() } else { p.to_owned() })
        .collect::<Vec<_>>()
        .join("&");
    let r = handle(&w.deps, request("GET", &format!("/console/auth/callback?{forged}"), Some(&cookie), "")).await;
    assert_eq!(r.status(), 403);
    // The sign-in in flight is used up: the genuine answer no longer works either.
    let r = handle(&w.deps, request("GET", &format!("/console/auth/callback?{query}"), Some(&cookie), "")).await;
    assert_eq!(r.status(), 403);
    // No sign-in cookie at all.
    let (_, authorize) = start(&w.deps).await;
    let query = at_provider(&authorize, "alice").await;
    let r = handle(&w.deps, request("GET", &format!("/console/auth/callback?{query}"), None, "")).await;
    assert_eq!(r.status(), 403);

    // Unknown person; a person of another licensee (Kent, on an issuer for Lambeth only).
    assert_eq!(sign_in(&w.deps, "mallory").await.status(), 403);
    assert_eq!(sign_in(&w.deps, "kate").await.status(), 403);

    assert_eq!(w.console.session_count(), 0, "a refused sign-in created a session");
    let unknown = reasons(&w.console, None).await;
    let codes = unknown.iter().map(|(_, r)| r.as_str()).collect::<Vec<_>>();
    assert_eq!(codes, ["wrong_state", "no_sign_in_in_progress", "no_sign_in_in_progress", "unknown_person"]);
    assert!(unknown.iter().all(|(k, _)| *k == AuditKind::Refused));
    assert_eq!(reasons(&w.console, Some(&lic("kent"))).await, [(AuditKind::Refused, "other_licensee".into())]);

    // Alice still gets in: the refusals changed nothing for her.
    session_cookie(&sign_in(&w.deps, "alice").await);
}
