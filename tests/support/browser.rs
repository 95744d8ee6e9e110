//! Headless Chromium for browser tests: chromedriver on a free port, a fresh
//! profile per browser, and axe-core (from `tests/oidc/node_modules`, installed
//! by `tests/oidc/install.sh`) for accessibility checks.

use crate::unique;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::process::{Child, Command, Stdio};
use std::time::Duration as StdDuration;

/// chromedriver, killed when dropped.
pub struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    pub async fn start() -> Self {
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

    pub async fn browser(&self, width: u32) -> Client {
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
pub async fn axe_violations(browser: &Client) -> Vec<String> {
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

/// Fails the test, naming `page`, if axe-core finds any violation on the current page.
pub async fn axe_clean(browser: &Client, page: &str) {
    let violations = axe_violations(browser).await;
    assert!(violations.is_empty(), "axe on {page}: {violations:#?}");
}

/// The text of the first element matching `css`.
pub async fn text(browser: &Client, css: &str) -> String {
    browser.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}
