//! The console's sign-in against the local stack's development OpenID
//! provider (`sim_cli::dev_oidc`), which can be made to misbehave: every bad
//! ID token is refused with nothing created, and a rotated signing key is
//! picked up by refreshing the cached key set.

use console::{handle, Deps, OidcConfig};
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sim::adapters::memory_console::MemoryConsoleStore;
use sim::adapters::memory_store::MemoryStore;
use sim::clock::ManualClock;
use sim::domain::staff::{ConsoleRole, Login, StaffId, StaffMember};
use sim::ids::LicenseeId;
use sim::ports::sessions::{AuditKind, SessionStore};
use sim::ports::staff::StaffStore;
use sim_cli::dev_oidc::{DevOidc, DevPerson, Tamper};
use sim_tests::console_deps;
use std::collections::BTreeSet;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

const REDIRECT: &str = "http://127.0.0.1:3000/console/auth/callback";

struct World {
    provider: Arc<DevOidc>,
    deps: Deps,
    console: Arc<MemoryConsoleStore>,
    clock: Arc<ManualClock>,
}

async fn world() -> World {
    let person =
        DevPerson { subject: "lambeth-duty".into(), email: "duty@lambeth.test".into(), label: "Lambeth duty".into() };
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let provider =
        DevOidc::start(0, "sim-console-local", "dev-secret", REDIRECT, vec![person], clock.clone()).await.unwrap();
    let console = Arc::new(MemoryConsoleStore::new());
    let login = Login { issuer: provider.issuer().to_owned(), subject: "lambeth-duty".into() };
    let member = StaffMember::new(
        StaffId::parse("stf-duty").unwrap(),
        LicenseeId::parse("lambeth").unwrap(),
        "Dee Duty",
        None,
        Some(login),
        BTreeSet::from([ConsoleRole::Duty]),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    console.put_staff(&member).await.unwrap();
    let config = OidcConfig {
        issuer: provider.issuer().to_owned(),
        client_id: "sim-console-local".into(),
        client_secret: "dev-secret".into(),
        redirect_uri: REDIRECT.into(),
    };
    let memory = Arc::new(MemoryStore::new());
    let deps = console_deps(memory.clone(), memory, clock.clone(), Arc::new(sim::ids::RandomIds))
        .console(console.clone())
        .oidc(config)
        .build();
    World { provider, deps, console, clock }
}

fn request(uri: &str, cookie: Option<&str>) -> http::Request<Vec<u8>> {
    let mut b = http::Request::builder().uri(uri);
    if let Some(c) = cookie {
        b = b.header("cookie", c);
    }
    b.body(Vec::new()).unwrap()
}

/// Starts at the console, chooses the person at the provider, and returns the console's answer to the callback.
async fn sign_in(deps: &Deps) -> http::Response<String> {
    let started = handle(deps, request("/console/sign-in", None)).await;
    assert_eq!(started.status(), 302, "{}", started.body());
    let cookie = started.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let authorize = started.headers()["location"].to_str().unwrap().to_owned();
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
    // Without a choice the provider shows its page of demo people.
    let page = client.request(hyper::Request::get(&authorize).body(Empty::new()).unwrap()).await.unwrap();
    assert_eq!(page.status(), 200);
    let chosen = client
        .request(hyper::Request::get(format!("{authorize}&as=lambeth-duty")).body(Empty::new()).unwrap())
        .await
        .unwrap();
    let back = chosen.headers()["location"].to_str().unwrap().to_owned();
    let query = back.strip_prefix(&format!("{REDIRECT}?")).expect("back to the console");
    handle(deps, request(&format!("/console/auth/callback?{query}"), Some(&cookie))).await
}

fn signed_in(response: &http::Response<String>) -> bool {
    response.status() == 303
        && response.headers().get_all("set-cookie").iter().any(|c| {
            c.to_str().unwrap().starts_with("__Host-sim-session=")
                && !c.to_str().unwrap().starts_with("__Host-sim-session=;")
        })
}

#[tokio::test]
async fn bad_id_tokens_are_refused_and_nothing_else_happens() {
    let w = world().await;
    assert!(signed_in(&sign_in(&w.deps).await), "a good token signs in");
    let sessions_before = w.console.session_count();
    let cases = [
        (Tamper::WrongAudience, "id_token_wrong_audience"),
        (Tamper::Expired, "id_token_expired"),
        (Tamper::WrongNonce, "id_token_wrong_nonce"),
        (Tamper::BadSignature, "id_token_bad_signature"),
        (Tamper::UnknownKid, "id_token_unknown_key"),
    ];
    for (tamper, _) in cases {
        w.provider.set_tamper(Some(tamper));
        // Past the key-set refresh interval, so an unknown kid does refetch (and still fails).
        w.clock.advance(Duration::minutes(2));
        let r = sign_in(&w.deps).await;
        assert_eq!(r.status(), 403, "{tamper:?} was not refused");
        assert!(!signed_in(&r));
    }
    assert_eq!(w.console.session_count(), sessions_before, "a refused token created a session");
    let refused: Vec<String> = w
        .console
        .audit(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == AuditKind::Refused)
        .map(|e| e.reason)
        .collect();
    assert_eq!(refused, cases.map(|(_, code)| code.to_owned()));
    // Discovery's key set, then one refresh for the unknown kid.
    assert_eq!(w.deps.oidc.key_set_fetches(), 2);
}

#[tokio::test]
async fn a_rotated_signing_key_is_fetched_once_and_accepted() {
    let w = world().await;
    assert!(signed_in(&sign_in(&w.deps).await));
    w.provider.rotate_key();
    w.clock.advance(Duration::minutes(2));
    assert!(signed_in(&sign_in(&w.deps).await), "the new key was not picked up");
    assert!(signed_in(&sign_in(&w.deps).await));
    assert_eq!(w.deps.oidc.key_set_fetches(), 2);
}
