//! A council duty officer at 2 a.m., played by headless Chromium against the
//! local stack (its development OpenID provider included): signs in, sees a
//! police report appear on the board by itself, sees a responder's
//! acknowledgement appear, records an acknowledgement on someone's behalf,
//! closes the incident, and signs out, after which the old cookie gets the sign-in page. axe-core
//! (from `tests/oidc/node_modules`) finds no violations on the board and the
//! incident page, open and closed.

use fantoccini::{Client, Locator};
use sim::ports::Outgoing;
use sim_cli::local::Stack;
use sim_tests::browser::{axe_violations, ChromeDriver};
use sim_tests::*;
use std::time::Duration as StdDuration;

async fn text(browser: &Client, css: &str) -> String {
    browser.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

/// The personal link in the SMS sent to `number`, once it has been sent.
async fn link_in_sms(stack: &Stack, number: &str, base_url: &str) -> String {
    for _ in 0..100 {
        let sent = stack.outbox.sms.as_ref().unwrap().sent();
        let found = sent.iter().find_map(|m| match m {
            Outgoing::Sms { to, text } if to.as_str() == number => Some(text.clone()),
            _ => None,
        });
        if let Some(text) = found {
            let start = text.find(&format!("{base_url}/a/")).unwrap();
            return text[start..].split_whitespace().next().unwrap().to_owned();
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("no SMS to {number}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duty_officer_watches_the_board_acts_and_signs_out() {
    let (stack, base_url) = serve_local_stack().await;

    let driver = ChromeDriver::start().await;
    // A wall screen's width; the layout is one column on a phone.
    let officer = driver.browser(1280).await;
    officer.goto(&format!("{base_url}/console")).await.unwrap();
    assert_eq!(text(&officer, "h1").await, "Sign in to the SIM console");
    officer.find(Locator::LinkText("Sign in")).await.unwrap().click().await.unwrap();
    officer.find(Locator::XPath("//a[contains(., 'Lambeth duty')]")).await.unwrap().click().await.unwrap();
    assert_eq!(text(&officer, "h1").await, "Live board");
    assert!(text(&officer, "main").await.contains("No open incidents."));

    // Police report: the board shows it without a reload.
    let report =
        request("POST", "/v1/incidents", Some(&stack.keys.met_cad), Some(event_body("intake-report.json").to_string()));
    assert_eq!(intake::handle(&stack.intake, report).await.status(), 202);
    let row = officer
        .wait()
        .at_most(StdDuration::from_secs(20))
        .for_element(Locator::Css("a[href^='/console/incidents/']"))
        .await
        .expect("the report appears on the board by itself");
    assert_eq!(row.text().await.unwrap(), "stabbing");
    // The board replaces its rows as it refreshes: keep where the row leads.
    let incident_page = row.attr("href").await.unwrap().expect("the row links to its incident");
    assert!(text(&officer, "#board").await.contains("CAD 1234/21NOV26"));
    let board_violations = axe_violations(&officer).await;
    assert!(board_violations.is_empty(), "axe on the board: {board_violations:#?}");

    // Gold acknowledges from the link in their SMS, on their phone.
    let gold_link = link_in_sms(&stack, "+447700900002", &base_url).await;
    let phone = driver.browser(390).await;
    phone.goto(&gold_link).await.unwrap();
    phone.find(Locator::Css("label[for=response-responding]")).await.unwrap().click().await.unwrap();
    phone.find(Locator::XPath("//button[normalize-space()='Acknowledge']")).await.unwrap().click().await.unwrap();
    phone.wait().for_element(Locator::Css("p.note")).await.unwrap();
    phone.close().await.unwrap();

    officer.goto(&format!("{base_url}{incident_page}")).await.unwrap();
    let people = text(&officer, "table").await;
    assert!(people.contains("Director of Communities"), "{people}");
    let gold_row = officer
        .find(Locator::XPath("//tr[td[1][normalize-space()='Director of Communities']]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!gold_row.contains("Awaited"), "gold's acknowledgement is not shown: {gold_row}");

    // Someone phoned in: recorded on their behalf.
    let form = officer.find(Locator::Css("form[action$='/acknowledge']")).await.unwrap();
    form.find(Locator::Css("input[name=note]")).await.unwrap().send_keys("phoned; on the way").await.unwrap();
    form.find(Locator::Css("button")).await.unwrap().click().await.unwrap();
    officer.wait().for_element(Locator::XPath("//*[contains(., 'phoned; on the way')]")).await.unwrap();
    let main = text(&officer, "main").await;
    assert!(main.contains("Recorded by Lambeth duty") && main.contains("“phoned; on the way”"), "{main}");
    assert!(main.contains("acknowledged on behalf"), "the timeline shows the action");
    let view_violations = axe_violations(&officer).await;
    assert!(view_violations.is_empty(), "axe on the incident page: {view_violations:#?}");

    // The response is over: closed from the console in the lead role's name.
    let form = officer.find(Locator::Css("form[action$='/close']")).await.unwrap();
    form.find(Locator::Css("textarea[name=closing_note]")).await.unwrap().send_keys("Response ended.").await.unwrap();
    form.find(Locator::Css("button")).await.unwrap().click().await.unwrap();
    officer.wait().for_element(Locator::Css("div.closed")).await.unwrap();
    let closed = text(&officer, "div.closed").await;
    assert!(closed.contains("by Lambeth duty (council staff)") && closed.contains("Response ended."), "{closed}");
    assert!(text(&officer, "main").await.contains("closed, by Lambeth duty (council staff)"), "on the timeline");
    let closed_violations = axe_violations(&officer).await;
    assert!(closed_violations.is_empty(), "axe on the closed incident: {closed_violations:#?}");

    // Sign out; the old cookie then gets the sign-in page.
    let old = officer.get_named_cookie("__Host-sim-session").await.expect("the session cookie").value().to_owned();
    officer.find(Locator::XPath("//button[normalize-space()='Sign out']")).await.unwrap().click().await.unwrap();
    officer.wait().for_element(Locator::XPath("//*[contains(., 'You have signed out.')]")).await.unwrap();
    officer.close().await.unwrap();
    let replay = console::handle(
        &stack.console,
        http::Request::builder()
            .uri("/console")
            .header("cookie", format!("__Host-sim-session={old}"))
            .body(Vec::new())
            .unwrap(),
    )
    .await;
    assert!(replay.body().contains("Sign in to the SIM console") && !replay.body().contains("CAD 1234/21NOV26"));
}
