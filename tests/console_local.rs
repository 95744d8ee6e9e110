//! `sim local` serves the console, signing in through its development OpenID
//! provider exactly as production signs in through a council's: over HTTP,
//! a demo duty officer signs in, sees a police report appear on the board,
//! and signs out.

use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sim::clock::ManualClock;
use sim::ids::SequentialIds;
use sim_cli::local::{build, serve, Backing};
use sim_tests::*;
use std::sync::Arc;

struct Answer {
    status: u16,
    location: String,
    cookies: Vec<String>,
    body: String,
}

async fn send(method: &str, url: &str, cookie: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
    let mut req = hyper::Request::builder().method(method).uri(url).header("cookie", cookie);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let response = client.request(req.body(Full::new(bytes::Bytes::from(body.to_owned()))).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let body = String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Answer { status, location, cookies, body }
}

#[tokio::test]
async fn a_demo_duty_officer_signs_in_to_the_local_console_and_watches_a_report_arrive() {
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stack = build(&Backing::Embedded { speed: 1 }, &url, clock, Arc::new(SequentialIds::default())).await.unwrap();
    let served = stack.clone();
    tokio::spawn(async move { serve(&served, listener).await });
    assert_eq!(stack.dev_oidc.people().len(), 8, "one demo person per role for Lambeth and Kent");

    let start = send("GET", &format!("{url}/console/sign-in"), "", &[], "").await;
    assert_eq!(start.status, 302);
    assert!(start.location.starts_with(&format!("{}/authorize?", stack.dev_oidc.issuer())));
    let chooser = send("GET", &start.location, "", &[], "").await;
    assert!(chooser.body.contains("Lambeth duty"), "{}", chooser.body);
    let chosen = send("GET", &format!("{}&as=lambeth-duty", start.location), "", &[], "").await;
    assert!(chosen.location.starts_with(&format!("{url}/console/auth/callback?")));
    let back = send("GET", &chosen.location, &start.cookies[0], &[], "").await;
    assert_eq!(back.status, 303, "{}", back.body);
    let session = back.cookies.iter().find(|c| c.starts_with("__Host-sim-session=")).unwrap().clone();

    let board = send("GET", &format!("{url}/console"), &session, &[], "").await;
    assert!(board.body.contains("Lambeth duty"));
    assert!(board.body.contains("No open incidents."));

    let report = event_body("intake-report.json").to_string();
    let key = format!("Bearer {}", stack.keys.met_cad.reveal());
    let auth = [("authorization", key.as_str()), ("content-type", "application/json")];
    let accepted = send("POST", &format!("{url}/v1/incidents"), "", &auth, &report).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let board = send("GET", &format!("{url}/console"), &session, &[], "").await;
    assert!(board.body.contains("CAD 1234/21NOV26"), "the report is not on the board");

    let csrf = {
        let at = board.body.find("name=\"csrf\" value=\"").unwrap() + 19;
        board.body[at..].split('"').next().unwrap().to_owned()
    };
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let out = send("POST", &format!("{url}/console/sign-out"), &session, &form, &format!("csrf={csrf}")).await;
    assert_eq!(out.status, 303);
    let after = send("GET", &format!("{url}/console"), &session, &[], "").await;
    assert!(after.body.contains("Sign in to the SIM console") && !after.body.contains("CAD 1234/21NOV26"));
}
