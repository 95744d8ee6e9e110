//! The report's charts and the printable incident summary in headless
//! Chromium with axe-core: every chart is an image with a name and its
//! figures in a table, and axe finds no violations. The console will place
//! the same markup on its reports page.
//!
//! Needs Debian's `chromium` and `chromium-driver`, and axe-core under
//! `node_modules/` (`npm install --no-save axe-core@4`); skipped with a
//! message when they are missing, failing under the full suite.

use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use sim::reports::chart::figures_charts;
use sim::reports::summary::{incident_summary, IncidentSummary};
use sim::reports::Period;
use sim::web::{document, Layout, PreEscaped};
use sim_tests::*;
use std::process::{Command, Stdio};
use std::time::Duration as StdDuration;

const AXE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/oidc/node_modules/axe-core/axe.min.js");

const LAYOUT: Layout = Layout { footer: "SIM, the Serious Incident Manager.", wide: true, script: None };

async fn page() -> String {
    let lambeth = sim::demo::lambeth();
    // One incident as intake and categorisation leave it (alerts written, checklist open).
    let h = memory_harness().await;
    let categorise = categoriser(&h, memory_channel_queues());
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    categorise_handed_on(&h, &categorise).await;
    let id = sim::ids::IncidentId::parse("inc-000001").unwrap();
    // Every alert handed to a provider 20 s after the report.
    let mut sent = h.store.notifications(&id).await.unwrap();
    for n in &mut sent {
        n.status = sim::domain::notification::NotificationStatus::Sent;
        n.sent_at = Some(START + time::Duration::seconds(20));
    }
    h.store.put_notifications(&sent).await.unwrap();
    let row = sim::reports::refresh(&*h.store, &id).await.unwrap().unwrap();
    let read = sim::reports::for_period(&*h.store, &lambeth, Period::month_of(START.date())).await.unwrap();
    let timeline = h.store.timeline(&id).await.unwrap();
    let checklist = h.store.checklist(&id).await.unwrap();
    let charts = figures_charts("all", &read.report.overall).into_string();
    let summary =
        IncidentSummary { row: &row, timeline: &timeline, checklist: &checklist, follow_up: None, names: None };
    let main = PreEscaped(format!(
        "<h1>Reports: Lambeth, November 2026</h1>{charts}{}",
        incident_summary(&summary).into_string()
    ));
    document(&LAYOUT, "Reports", main).into_string()
}

#[tokio::test]
async fn charts_and_summary_are_accessible_in_a_browser() {
    let full = std::env::var_os("SIM_FULL_SUITE").is_some() || std::env::var_os("CI").is_some();
    let missing =
        [AXE, "/usr/bin/chromedriver", "/usr/bin/chromium"].into_iter().find(|p| !std::path::Path::new(p).exists());
    if let Some(path) = missing {
        assert!(!full, "{path} is missing");
        skipped("reports_browser", &format!("{path} is missing"));
        return;
    }
    let html = page().await;
    let file = std::env::temp_dir().join(format!("{}.html", unique("sim-reports")));
    std::fs::write(&file, &html).unwrap();

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    let profile = std::env::temp_dir().join(unique("sim-chromium"));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--no-first-run",
                     "--disable-sync", "--window-size=1280,900", format!("--user-data-dir={}", profile.display())]
        }),
    );
    let client =
        ClientBuilder::new(HttpConnector::new()).capabilities(caps).connect(&format!("http://127.0.0.1:{port}")).await;
    let client = match client {
        Ok(c) => c,
        Err(e) => {
            let _ = driver.kill();
            panic!("a Chromium session: {e}");
        }
    };
    let outcome = async {
        client.goto(&format!("file://{}", file.display())).await.unwrap();
        let images = client.find_all(Locator::Css("figure.chart svg[role=img]")).await.unwrap();
        assert_eq!(images.len(), 5, "five charts");
        let tables = client.find_all(Locator::Css("figure.chart table caption")).await.unwrap();
        assert_eq!(tables.len(), 5, "each with its table");
        let first = client.find(Locator::Css("figure.chart table tbody")).await.unwrap().text().await.unwrap();
        assert!(first.contains("First message, median 20 s"), "{first}");
        let axe = std::fs::read_to_string(AXE).unwrap();
        let script = format!(
            "{axe}\nconst done = arguments[arguments.length - 1];\
             axe.run(document).then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' at ' + \
             v.nodes.map(n => n.target.join(' ')).join(', '))), e => done(['axe failed: ' + e]));"
        );
        let violations = client.execute_async(&script, vec![]).await.unwrap();
        assert_eq!(violations, serde_json::json!([]), "axe-core violations");
    }
    .await;
    client.close().await.unwrap();
    let _ = driver.kill();
    let _ = driver.wait();
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_dir_all(&profile);
    outcome
}
