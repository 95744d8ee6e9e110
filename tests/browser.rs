//! A responder's phone, played by headless Chromium (Debian's `chromium` and
//! `chromium-driver`, driven over WebDriver): open the personal link from a
//! rendered SMS, read the summary, press Acknowledge, see the confirmation.
//! A second browser that only loads a link, as a mail scanner does, records
//! nothing. Runs against the local stack, which serves the same handlers.

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use sim::ids::IncidentId;
use sim::ports::Outgoing;
use sim_cli::local::Stack;
use sim_tests::*;
use std::process::{Child, Command, Stdio};
use std::time::Duration as StdDuration;

/// chromedriver on a free loopback port, stopped when dropped.
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
            .expect("chromedriver is installed (Debian: apt-get install chromium chromium-driver; .ci/run does it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
        Self { child, url: format!("http://127.0.0.1:{port}") }
    }

    /// A fresh headless browser with its own profile.
    async fn browser(&self) -> Client {
        let profile = std::env::temp_dir().join(unique("sim-chromium"));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update", "--no-first-run",
                         "--disable-sync", "--window-size=390,844", format!("--user-data-dir={}", profile.display())]
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
    }
}

async fn stack() -> (Stack, String) {
    serve_local_stack().await
}

/// The local stack after the README's CRITICAL example, with the links in
/// the SMS sent to gold and to comms.
async fn reported() -> (Stack, String, String) {
    let (stack, base_url) = stack().await;
    let report =
        request("POST", "/v1/incidents", Some(&stack.keys.met_cad), Some(event_body("intake-report.json").to_string()));
    assert_eq!(intake::handle(&stack.intake, report).await.status(), 202);
    let gold = link_in_sms(&stack, "+447700900002", &base_url).await;
    let comms = link_in_sms(&stack, "+447700900006", &base_url).await;
    (stack, gold, comms)
}

/// The personal link in the SMS sent to `number`, once it has been sent.
async fn link_in_sms(stack: &Stack, number: &str, base_url: &str) -> String {
    for _ in 0..100 {
        let sent = stack.outbox.sms.as_ref().unwrap().sent();
        let text = sent.iter().find_map(|m| match m {
            Outgoing::Sms { to, text } if to.as_str() == number => Some(text.clone()),
            _ => None,
        });
        if let Some(text) = text {
            let start = text.find(&format!("{base_url}/a/")).expect("the SMS carries a link on SIM's own address");
            return text[start..].split_whitespace().next().unwrap().to_owned();
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("no SMS to {number}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_responder_acknowledges_from_the_link_in_their_sms_and_a_scanner_records_nothing() {
    let (stack, gold_link, comms_link) = reported().await;

    let driver = ChromeDriver::start().await;
    let phone = driver.browser().await;
    phone.goto(&gold_link).await.unwrap();
    let heading = phone.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(heading, "Stabbing in Lambeth (Brixton North)");
    let body = phone.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
    assert!(body.contains("CRITICAL") && body.contains("What is expected of you"), "{body}");
    assert!(body.contains("As gold you are asked to acknowledge this alert by 02:20 GMT"), "{body}");

    // Acknowledging is a choice, nothing pre-selected: a person makes it.
    phone.find(Locator::Css("label[for=response-responding]")).await.unwrap().click().await.unwrap();
    phone.find(Locator::XPath("//button[normalize-space()='Acknowledge']")).await.unwrap().click().await.unwrap();
    let note = phone.wait().for_element(Locator::Css("p.note")).await.unwrap().text().await.unwrap();
    assert_eq!(note, "Thank you: your acknowledgement is recorded.");
    let done = phone.find(Locator::Css(".done h2")).await.unwrap().text().await.unwrap();
    assert_eq!(done, "You acknowledged at 02:10 GMT Sat 21 Nov");
    phone.close().await.unwrap();

    // A scanner (or a chat preview) loads the page; a sandbox that presses the button chooses nothing.
    let scanner = driver.browser().await;
    scanner.goto(&comms_link).await.unwrap();
    let button = scanner.find(Locator::XPath("//button[normalize-space()='Acknowledge']")).await.unwrap();
    button.click().await.unwrap();
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    scanner.close().await.unwrap();

    let acks = stack.respond.store.acknowledgements(&IncidentId::parse("inc-000001").unwrap()).await.unwrap();
    let who: Vec<&str> = acks.iter().map(|a| a.contact_id.as_str()).collect();
    assert_eq!(who, ["con-gold"], "only the deliberate press counts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responders_complete_checklist_items_and_see_each_others_changes_and_a_stale_form_is_refused() {
    let (_stack, gold_link, comms_link) = reported().await;
    let driver = ChromeDriver::start().await;

    let gold = driver.browser().await;
    gold.goto(&gold_link).await.unwrap();
    // A colleague opens the page too, before gold's changes.
    let comms = driver.browser().await;
    comms.goto(&comms_link).await.unwrap();

    // Gold completes an item in two sections, with a note on one.
    for (section, item, note) in [
        ("incident-reporting", "incident-reporting-01", Some("CAD confirmed with the BCU duty inspector")),
        ("communications", "communications-01", None),
    ] {
        gold.find(Locator::Css(&format!("#section-{section} > summary"))).await.unwrap().click().await.unwrap();
        let form = gold.find(Locator::Css(&format!("#item-{item} form"))).await.unwrap();
        form.find(Locator::Css("select[name=status]")).await.unwrap().select_by_value("done").await.unwrap();
        if let Some(note) = note {
            form.find(Locator::Css("input[name=note]")).await.unwrap().send_keys(note).await.unwrap();
        }
        form.find(Locator::Css("button")).await.unwrap().click().await.unwrap();
        gold.wait().for_url(&url_with_fragment(&gold_link, item)).await.unwrap();
    }
    let after = gold.find(Locator::Css("#checklist + p")).await.unwrap().text().await.unwrap();
    assert!(after.starts_with("2 of 48 items done"), "{after}");

    // The colleague's stale form for an item gold changed is refused with the reload message.
    comms.find(Locator::Css("#section-communications > summary")).await.unwrap().click().await.unwrap();
    let stale = comms.find(Locator::Css("#item-communications-01 form")).await.unwrap();
    stale.find(Locator::Css("select[name=status]")).await.unwrap().select_by_value("in_progress").await.unwrap();
    stale.find(Locator::Css("button")).await.unwrap().click().await.unwrap();
    // Wait for the answer page itself, not the old page's heading.
    let action: url::Url = format!("{comms_link}/items/communications-01").parse().unwrap();
    comms.wait().for_url(&action).await.unwrap();
    let refused = comms.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(refused, "Someone changed this item first");
    assert!(comms.source().await.unwrap().contains("Reload the page to see the latest"));

    // Reloaded, the colleague sees gold's changes.
    comms.goto(&comms_link).await.unwrap();
    comms.find(Locator::Css("#section-incident-reporting > summary")).await.unwrap().click().await.unwrap();
    let item = comms.find(Locator::Css("#item-incident-reporting-01 .meta")).await.unwrap().text().await.unwrap();
    assert!(item.contains("Status: done") && item.contains("CAD confirmed with the BCU duty inspector"), "{item}");
    let progress = comms.find(Locator::Css("#checklist + p")).await.unwrap().text().await.unwrap();
    assert!(progress.starts_with("2 of 48 items done"), "{progress}");
    gold.close().await.unwrap();
    comms.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lead_adds_a_key_date_and_closes_the_incident_and_the_groups_are_told() {
    let (stack, gold_link, comms_link) = reported().await;
    let driver = ChromeDriver::start().await;
    let gold = driver.browser().await;
    gold.goto(&gold_link).await.unwrap();

    // A key date: the date field is the browser's own date picker; set its value as a picker would.
    let form = gold.find(Locator::Css("form[action$='/key-dates']")).await.unwrap();
    form.find(Locator::Css("select[name=what]")).await.unwrap().select_by_value("court_date").await.unwrap();
    gold.execute("document.getElementById('key-date-date').value = '2026-12-03'", vec![]).await.unwrap();
    form.find(Locator::Css("button")).await.unwrap().click().await.unwrap();
    let note = gold.wait().for_element(Locator::Css("p.note")).await.unwrap().text().await.unwrap();
    assert!(note.starts_with("Court date on Thu 3 Dec 2026 added."), "{note}");

    // Gold leads a CRITICAL response: the close form is theirs.
    let label = gold.find(Locator::Css("label[for=closing-note]")).await.unwrap().text().await.unwrap();
    assert!(label.starts_with("Closing note"), "{label}");
    gold.find(Locator::Css("#closing-note"))
        .await
        .unwrap()
        .send_keys("Response stood down; review booked")
        .await
        .unwrap();
    gold.find(Locator::XPath("//button[normalize-space()='Close incident']")).await.unwrap().click().await.unwrap();
    let closed = gold.wait().for_element(Locator::Css(".closed h2")).await.unwrap().text().await.unwrap();
    assert_eq!(closed, "Closed at 02:10 GMT Sat 21 Nov");
    gold.close().await.unwrap();

    // A colleague sees it closed, with the note and the key date, and no close form.
    let comms = driver.browser().await;
    comms.goto(&comms_link).await.unwrap();
    let main = comms.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
    assert!(main.contains("Closing note: Response stood down; review booked"), "{main}");
    assert!(main.contains("Court date: Thu 3 Dec 2026"), "{main}");
    assert!(comms.find(Locator::Css("#closing-note")).await.is_err());
    comms.close().await.unwrap();

    // The local stack's updates function tells the groups at once.
    let mut subjects = Vec::new();
    for _ in 0..100 {
        subjects = stack
            .outbox
            .email
            .as_ref()
            .unwrap()
            .sent()
            .iter()
            .filter_map(|m| match m {
                Outgoing::Email { to, email } if to.as_str() == "comms@lambeth.sim.example" => {
                    Some(email.subject.clone())
                }
                _ => None,
            })
            .collect();
        if subjects.iter().any(|s| s.starts_with("[SIM] Update 1")) {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert!(
        subjects.iter().any(|s| s == "[SIM] Update 1: CRITICAL stabbing in Lambeth (Brixton North)"),
        "{subjects:?}"
    );
}

fn url_with_fragment(link: &str, item: &str) -> url::Url {
    format!("{link}#item-{item}").parse().unwrap()
}
