//! The console's reports page and printable incident summary, as the real
//! console routes serve them (`/console/reports` and
//! `/console/reports/incidents/{id}` for a signed-in Lambeth viewer), in
//! headless Chromium with axe-core: every chart is an image with a name and
//! its figures in a table, the figures CSV link is there, and axe finds no
//! violations on either page.
//!
//! Needs Debian's `chromium` and `chromium-driver`, and axe-core
//! (`tests/oidc/install.sh`); skipped with a message when they are missing,
//! failing under the full suite.

#[path = "reports_rig.rs"]
mod rig;

use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use sim::domain::staff::ConsoleRole;
use sim_tests::*;
use std::process::{Command, Stdio};
use std::time::Duration as StdDuration;

const AXE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/oidc/node_modules/axe-core/axe.min.js");

/// The reports page for November and the incident's printable summary, as served.
async fn pages() -> (String, String) {
    let rig = rig::rig().await;
    let viewer = rig::signed_in(&rig, "lambeth", ConsoleRole::Viewer).await;
    let november = "from-day=1&from-month=11&from-year=2026&to-day=30&to-month=11&to-year=2026";
    let report = rig::get(&rig, &format!("/console/reports?{november}"), &viewer).await;
    assert_eq!(report.status(), 200);
    let summary = rig::get(&rig, "/console/reports/incidents/inc-000001", &viewer).await;
    assert_eq!(summary.status(), 200);
    (report.into_body(), summary.into_body())
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
    let (report, summary) = pages().await;
    let file = std::env::temp_dir().join(format!("{}.html", unique("sim-reports")));
    std::fs::write(&file, &report).unwrap();
    let summary_file = std::env::temp_dir().join(format!("{}.html", unique("sim-summary")));
    std::fs::write(&summary_file, &summary).unwrap();

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
        let axe = std::fs::read_to_string(AXE).unwrap();
        let script = format!(
            "{axe}\nconst done = arguments[arguments.length - 1];\
             axe.run(document).then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' at ' + \
             v.nodes.map(n => n.target.join(' ')).join(', '))), e => done(['axe failed: ' + e]));"
        );
        client.goto(&format!("file://{}", file.display())).await.unwrap();
        let images = client.find_all(Locator::Css("figure.chart svg[role=img]")).await.unwrap();
        assert_eq!(images.len(), 10, "five charts for all incidents, five for CRITICAL");
        let tables = client.find_all(Locator::Css("figure.chart table caption")).await.unwrap();
        assert_eq!(tables.len(), 10, "each with its table");
        let first = client.find(Locator::Css("figure.chart table tbody")).await.unwrap().text().await.unwrap();
        assert!(first.contains("First message, median 20 s"), "{first}");
        let csv = client.find(Locator::LinkText("Figures (CSV)")).await.unwrap();
        let href = csv.attr("href").await.unwrap().unwrap();
        assert_eq!(href, "/console/reports/figures.csv?from=2026-11-01&to=2026-11-30");
        let violations = client.execute_async(&script, vec![]).await.unwrap();
        assert_eq!(violations, serde_json::json!([]), "axe-core violations on the reports page");

        client.goto(&format!("file://{}", summary_file.display())).await.unwrap();
        let title = client.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
        assert_eq!(title, "Incident inc-000001: summary for review");
        let violations = client.execute_async(&script, vec![]).await.unwrap();
        assert_eq!(violations, serde_json::json!([]), "axe-core violations on the printable summary");
    }
    .await;
    client.close().await.unwrap();
    let _ = driver.kill();
    let _ = driver.wait();
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&summary_file);
    let _ = std::fs::remove_dir_all(&profile);
    outcome
}
