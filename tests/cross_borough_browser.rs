//! The offer and acceptance of a cross-borough share (issue 19) walked through
//! the console in headless Chromium on the local stack: Lambeth's duty officer
//! confirms sharing a Lambeth incident that names Medway with Kent; Kent's
//! duty officer finds it in "Shared with us", accepts, and reads the summary,
//! category and checklist progress; when Lambeth withdraws, Kent's summary is
//! gone. axe-core finds no violations on either side's pages. Chromium and
//! axe-core come from the support module (`sim_tests::browser`).

use fantoccini::{Client, Locator};
use sim::ids::IncidentId;
use sim_tests::browser::{axe_violations, ChromeDriver};
use sim_tests::*;
use std::time::Duration as StdDuration;

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
    let (stack, base_url) = serve_local_stack().await;

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
    let awaiting = text(&kent, "a[href='/console/shared']").await;
    assert!(awaiting.starts_with("Shared with us (1"), "the header counts the offer awaiting Kent: {awaiting}");
    let violations = axe_violations(&kent).await;
    assert!(violations.is_empty(), "axe on the partner's board with an offer awaiting: {violations:#?}");
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

    // Lambeth's incident view shows Kent's own section once Kent's people are alerted, read only.
    let mut owner_view = String::new();
    for _ in 0..100 {
        lambeth.goto(&format!("{base_url}/console/incidents/{id}")).await.unwrap();
        owner_view = text(&lambeth, "main").await;
        if owner_view.contains("its own section") {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert!(owner_view.contains("its own section (0 of 4 done, read only)"), "{owner_view}");
    assert!(owner_view.contains("Schools in our area alerted"));
    let violations = axe_violations(&lambeth).await;
    assert!(violations.is_empty(), "axe on the owner's incident view with a partner's section: {violations:#?}");

    lambeth.goto(&format!("{base_url}/console/incidents/{id}/shares")).await.unwrap();
    click(&lambeth, "Withdraw from kent").await;
    lambeth.wait().for_element(Locator::XPath("//td/strong[normalize-space()='withdrawn']")).await.unwrap();
    kent.goto(&format!("{base_url}/console/shared/{id}")).await.unwrap();
    let after = text(&kent, "main").await;
    assert!(after.contains("withdrawn") && !after.contains("CAD 1234/21NOV26"), "{after}");
    lambeth.close().await.unwrap();
    kent.close().await.unwrap();
}
