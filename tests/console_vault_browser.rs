//! The personal-data vault in a browser: Lambeth's data protection officer
//! (headless Chromium against the local stack and its development OpenID
//! provider) opens an incident's personal data, adds a person, opens the
//! record after choosing a lawful condition and giving a reason, and reads
//! the access log. axe-core finds no violations on any of those pages.

use fantoccini::Locator;
use sim_tests::browser::{axe_clean, text, ChromeDriver};
use sim_tests::*;
use std::time::Duration as StdDuration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dpo_adds_and_opens_a_record_and_reads_the_log_on_accessible_pages() {
    let (stack, base_url) = serve_local_stack().await;
    let report =
        request("POST", "/v1/incidents", Some(&stack.keys.met_cad), Some(event_body("intake-report.json").to_string()));
    assert_eq!(intake::handle(&stack.intake, report).await.status(), 202);

    let driver = ChromeDriver::start().await;
    let dpo = driver.browser(1280).await;
    dpo.goto(&format!("{base_url}/console")).await.unwrap();
    dpo.find(Locator::LinkText("Sign in")).await.unwrap().click().await.unwrap();
    dpo.find(Locator::XPath("//a[contains(., 'Lambeth dpo')]")).await.unwrap().click().await.unwrap();
    let row = dpo
        .wait()
        .at_most(StdDuration::from_secs(20))
        .for_element(Locator::Css("a[href^='/console/incidents/']"))
        .await
        .expect("the incident is on the board");
    let incident_page = row.attr("href").await.unwrap().unwrap();
    dpo.goto(&format!("{base_url}{incident_page}")).await.unwrap();
    dpo.find(Locator::LinkText("Personal data")).await.unwrap().click().await.unwrap();
    assert_eq!(text(&dpo, "h1").await, "Personal data");
    assert!(text(&dpo, "main").await.contains("No personal data is held for this incident."));
    axe_clean(&dpo, "the personal-data list").await;

    // Add a person: the form's own checks, then the record listed by role only.
    let form = dpo.find(Locator::Css("form[action$='/subjects']")).await.unwrap();
    form.find(Locator::Css("select[name=role] option[value=victim]")).await.unwrap().click().await.unwrap();
    form.find(Locator::Css("input[name=name]")).await.unwrap().send_keys("Quillon Zarathustra-Vex").await.unwrap();
    form.find(Locator::Css("input[name=postcode]")).await.unwrap().send_keys("se11 5qy").await.unwrap();
    form.find(Locator::Css("input[id=flag_child]")).await.unwrap().click().await.unwrap();
    form.find(Locator::Css("button")).await.unwrap().click().await.unwrap();
    dpo.wait().for_element(Locator::XPath("//*[contains(., 'The record was added')]")).await.unwrap();
    assert!(!dpo.current_url().await.unwrap().as_str().contains("Quillon"), "no value in the address");
    let list = text(&dpo, "main").await;
    assert!(list.contains("Victim") && !list.contains("Quillon"), "{list}");

    // Open it: condition and reason first.
    dpo.find(Locator::Css("a[href*='/subjects/sub-']")).await.unwrap().click().await.unwrap();
    assert_eq!(text(&dpo, "h1").await, "Open a personal-data record");
    axe_clean(&dpo, "the open-a-record page").await;
    let form = dpo.find(Locator::Css("form[action*='/subjects/sub-']:not([action$='/erase'])")).await.unwrap();
    form.find(Locator::Css("input[name=reason]")).await.unwrap().send_keys("Strategy meeting").await.unwrap();
    form.find(Locator::Css("button")).await.unwrap().click().await.unwrap();
    dpo.wait().for_element(Locator::XPath("//h1[normalize-space()='Personal-data record']")).await.unwrap();
    let record = text(&dpo, "main").await;
    assert!(record.contains("Quillon Zarathustra-Vex") && record.contains("SE11 5QY"), "{record}");
    axe_clean(&dpo, "the record page").await;

    dpo.goto(&format!("{base_url}/console/vault/log")).await.unwrap();
    let log = text(&dpo, "table").await;
    assert!(log.contains("Strategy meeting") && log.contains("view") && !log.contains("Quillon"), "{log}");
    axe_clean(&dpo, "the access log").await;
    dpo.goto(&format!("{base_url}/console/vault/search")).await.unwrap();
    axe_clean(&dpo, "the subject access search").await;
    dpo.close().await.unwrap();
}
