//! The duty officer at 2 a.m. with an incident categorisation never took up
//! (the sweep gave up on it), in headless Chromium against the local stack:
//! the board and the incident page say nobody was alerted, the officer sends
//! it for categorisation again, and the local stack categorises it. axe-core
//! finds no violations on the board and the page with their warnings.

use fantoccini::{Client, Locator};
use sim::domain::incident::{HandoffReason, PendingHandoff, HANDOFF_ATTEMPTS};
use sim::domain::{Incident, IncidentReport};
use sim::ids::IncidentId;
use sim_tests::browser::{axe_violations, ChromeDriver};
use sim_tests::*;
use std::time::Duration as StdDuration;
use time::Duration;

async fn text(browser: &Client, css: &str) -> String {
    browser.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

/// Lambeth's fixture report, received 20 minutes ago; the sweep sent it its
/// five times and gave up (its messages were lost).
fn abandoned() -> Incident {
    let received = START - Duration::minutes(20);
    let report = IncidentReport::from_json(&event_body("intake-report.json"), received).unwrap();
    Incident {
        id: IncidentId::parse("inc-stuck").unwrap(),
        licensee_id: sim::demo::lambeth(),
        caller_id: sim::demo::met_cad(),
        fingerprint: report.fingerprint(),
        report,
        received_at: received,
        version: 1,
        handoff: Some(PendingHandoff {
            attempts: HANDOFF_ATTEMPTS + 1,
            last_sent: Some(START - Duration::minutes(8)),
            ..PendingHandoff::new(HandoffReason::Reported, received)
        }),
        shared_from: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duty_officer_sees_an_incident_nobody_was_alerted_about_and_sends_it_again() {
    let (stack, base_url) = serve_local_stack().await;
    stack.console.store.create_incident(&abandoned(), &[]).await.unwrap();

    let driver = ChromeDriver::start().await;
    // A phone: the officer is not at a desk at 2 a.m.
    let officer = driver.browser(390).await;
    officer.goto(&format!("{base_url}/console")).await.unwrap();
    officer.find(Locator::LinkText("Sign in")).await.unwrap().click().await.unwrap();
    officer.find(Locator::XPath("//a[contains(., 'Lambeth duty')]")).await.unwrap().click().await.unwrap();
    assert_eq!(text(&officer, "h1").await, "Live board");
    let board = text(&officer, "#board").await;
    assert!(board.contains("Not categorised: no alerts have been sent for this incident"), "{board}");
    let board_violations = axe_violations(&officer).await;
    assert!(board_violations.is_empty(), "axe on the board: {board_violations:#?}");

    officer.goto(&format!("{base_url}/console/incidents/inc-stuck")).await.unwrap();
    let warning = text(&officer, "div.warning").await;
    assert!(warning.contains("Nobody has been alerted by SIM"), "{warning}");
    let page_violations = axe_violations(&officer).await;
    assert!(page_violations.is_empty(), "axe on the incident page: {page_violations:#?}");

    officer
        .find(Locator::XPath("//button[normalize-space()='Send for categorisation again']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    officer.wait().for_element(Locator::XPath("//li[contains(., 'sent for categorisation again')]")).await.unwrap();
    // The local stack categorises it within moments: reload until the category shows.
    let mut categorised = false;
    for _ in 0..100 {
        if officer.find(Locator::Css("h1 strong.tag")).await.is_ok() {
            categorised = true;
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
        officer.refresh().await.unwrap();
    }
    assert!(categorised, "not categorised after it was sent again");
    let main = text(&officer, "main").await;
    assert!(main.contains("sent for categorisation again, by Lambeth duty (council staff)"), "{main}");
    assert!(!main.contains("Not categorised") && !main.contains("Categorisation delayed"), "{main}");
    officer.close().await.unwrap();
}
