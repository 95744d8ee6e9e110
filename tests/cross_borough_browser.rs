//! The offer and acceptance of a cross-borough share (issue 19) walked through
//! the console in headless Chromium on the local stack: Lambeth's duty officer
//! confirms sharing a Lambeth incident that names Medway with Kent; Kent's
//! duty officer finds it in "Shared with us", accepts, and reads the summary,
//! category and checklist progress; when Lambeth withdraws, Kent's summary is
//! gone. axe-core finds no violations on either side's pages.

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use sim::clock::ManualClock;
use sim::ids::{IncidentId, SequentialIds};
use sim_cli::local::{build, serve, Backing};
use sim_tests::*;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration as StdDuration;

struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (Debian: apt-get install chromium chromium-driver)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
        Self { child, url: format!("http://127.0.0.1:{port}") }
    }

    async fn browser(&self, width: u32) -> Client {
        let profile = std::env::temp_dir().join(unique("sim-chromium"));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update", "--no-first-run",
                         "--disable-sync", format!("--window-size={width},900"), format!("--user-data-dir={}", profile.display())]
            }),
        );
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// axe-core's violations on the current page, as "rule: help" lines.
async fn axe_violations(browser: &Client) -> Vec<String> {
    let dir = env!("CARGO_MANIFEST_DIR");
    let installed = Command::new("bash").arg(format!("{dir}/oidc/install.sh")).status().unwrap();
    assert!(installed.success(), "tests/oidc/install.sh failed (npm install axe-core)");
    let axe = std::fs::read_to_string(format!("{dir}/oidc/node_modules/axe-core/axe.min.js")).unwrap();
    browser.execute(&axe, vec![]).await.expect("axe-core loads");
    let result = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document).then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' ' + \
             v.nodes.map(n => n.target.join(' ')).join(', '))));",
            vec![],
        )
        .await
        .expect("axe runs");
    result.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

async fn text(browser: &Client, css: &str) -> String {
    browser.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

async fn sign_in(browser: &Client, base_url: &str, who: &str) {
    browser.goto(&format!("{base_url}/console")).await.unwrap();
    browser.find(Locator::LinkText("Sign in")).await.unwrap().click().await.unwrap();
    browser.find(Locator::XPath(&format!("//a[contains(., '{who}')]"))).await.unwrap().click().await.unwrap();
    assert_eq!(text(browser, "h1").await, "Live board");
}

async fn click(browser: &Client, button: &str) {
    let xpath = format!("//button[normalize-space()='{button}']");
    browser.find(Locator::XPath(&xpath)).await.unwrap().click().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_is_offered_confirmed_accepted_and_withdrawn_in_the_console() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let clock = Arc::new(ManualClock::new(START));
    let stack =
        build(&Backing::Embedded { speed: 1 }, &base_url, clock, Arc::new(SequentialIds::default())).await.unwrap();
    let served = stack.clone();
    tokio::spawn(async move { serve(&served, listener).await });

    let mut body = event_body("intake-report.json");
    body["connected_areas"] = serde_json::json!(["Medway"]);
    let report = request("POST", "/v1/incidents", Some(&stack.keys.met_cad), Some(body.to_string()));
    let answer = intake::handle(&stack.intake, report).await;
    assert_eq!(answer.status(), 202);
    let id = IncidentId::parse(json(&answer)["id"].as_str().unwrap()).unwrap();
    let store = stack.intake.store.clone();
    for _ in 0..200 {
        if store.get_share(&id, &sim::demo::kent()).await.unwrap().is_some() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert!(store.get_share(&id, &sim::demo::kent()).await.unwrap().is_some(), "categorisation offers Kent a share");

    let driver = ChromeDriver::start().await;
    let lambeth = driver.browser(1280).await;
    sign_in(&lambeth, &base_url, "Lambeth duty").await;
    lambeth.goto(&format!("{base_url}/console/incidents/{id}")).await.unwrap();
    lambeth
        .find(Locator::LinkText("Sharing with the licensees of connected areas"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(text(&lambeth, "main").await.contains("Medway"));
    let violations = axe_violations(&lambeth).await;
    assert!(violations.is_empty(), "axe on the owner's share section: {violations:#?}");
    click(&lambeth, "Confirm sharing with kent").await;
    lambeth.wait().for_element(Locator::XPath("//td/strong[normalize-space()='confirmed']")).await.unwrap();

    let kent = driver.browser(390).await;
    sign_in(&kent, &base_url, "Kent duty").await;
    kent.goto(&format!("{base_url}/console/shared")).await.unwrap();
    let violations = axe_violations(&kent).await;
    assert!(violations.is_empty(), "axe on the partner's list: {violations:#?}");
    kent.find(Locator::Css(&format!("a[href='/console/shared/{id}']"))).await.unwrap().click().await.unwrap();
    assert!(!text(&kent, "main").await.contains("CAD 1234/21NOV26"), "no summary before acceptance");
    click(&kent, "Accept and alert our people").await;
    kent.wait().for_element(Locator::XPath("//h2[normalize-space()='Summary (read only)']")).await.unwrap();
    let shared = text(&kent, "main").await;
    for part in ["CAD 1234/21NOV26", "CRITICAL", "Their checklist progress", "accepted"] {
        assert!(shared.contains(part), "{part} missing: {shared}");
    }
    let violations = axe_violations(&kent).await;
    assert!(violations.is_empty(), "axe on the shared incident: {violations:#?}");

    lambeth.goto(&format!("{base_url}/console/incidents/{id}/shares")).await.unwrap();
    click(&lambeth, "Withdraw from kent").await;
    lambeth.wait().for_element(Locator::XPath("//td/strong[normalize-space()='withdrawn']")).await.unwrap();
    kent.goto(&format!("{base_url}/console/shared/{id}")).await.unwrap();
    let after = text(&kent, "main").await;
    assert!(after.contains("withdrawn") && !after.contains("CAD 1234/21NOV26"), "{after}");
    lambeth.close().await.unwrap();
    kent.close().await.unwrap();
}
