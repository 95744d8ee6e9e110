//! A council's SIM administrator keeps the directory, played by headless
//! Chromium against the local stack: signs in, opens a contact, makes a
//! mistake the error summary names, corrects it and saves; then uploads the
//! contacts file, checks the dry run, confirms a removal and applies it, and
//! sees the change on the audit trail. axe-core finds no violations on any
//! of the directory's pages.

use fantoccini::{Client, Locator};
use sim::ids::{ContactId, LicenseeId};
use sim_tests::browser::{axe_violations, ChromeDriver};
use sim_tests::*;

async fn text(browser: &Client, css: &str) -> String {
    browser.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

async fn click(browser: &Client, xpath: &str) {
    browser.find(Locator::XPath(xpath)).await.unwrap_or_else(|e| panic!("{xpath}: {e}")).click().await.unwrap();
}

/// Waits for the page whose heading is `expected` (a click on a link or a
/// submit button returns before the next page has loaded).
async fn heading(browser: &Client, expected: &str) {
    let xpath = format!("//h1[normalize-space()='{expected}']");
    if browser.wait().at_most(std::time::Duration::from_secs(15)).for_element(Locator::XPath(&xpath)).await.is_err() {
        panic!("no page headed {expected}: {}", text(browser, "main").await);
    }
}

async fn no_violations(browser: &Client, page: &str) {
    let violations = axe_violations(browser).await;
    assert!(violations.is_empty(), "axe on {page}: {violations:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_edits_a_contact_and_imports_the_contacts_file() {
    let (stack, base_url) = serve_local_stack().await;
    let store = stack.console.store.clone();
    let lambeth = LicenseeId::parse("lambeth").unwrap();

    let driver = ChromeDriver::start().await;
    let admin = driver.browser(1280).await;
    admin.goto(&format!("{base_url}/console")).await.unwrap();
    admin.find(Locator::LinkText("Sign in")).await.unwrap().click().await.unwrap();
    click(&admin, "//a[contains(., 'Lambeth admin')]").await;
    click(&admin, "//a[normalize-space()='Directory']").await;
    heading(&admin, "Contacts").await;
    no_violations(&admin, "the contacts list").await;

    // Edit a contact: a mistake first, named in the error summary.
    click(&admin, "//a[normalize-space()='Director of Communities']").await;
    heading(&admin, "Director of Communities").await;
    no_violations(&admin, "a contact's page").await;
    // A test message by SMS: through the stack's SMS sender (the outbox), its outcome in a banner.
    click(&admin, "//button[normalize-space()='Send a test message by SMS']").await;
    admin.wait().for_element(Locator::Css("div.done")).await.expect("the banner after sending");
    let banner = text(&admin, "div.done").await;
    assert!(banner.contains("Test message by SMS to Director of Communities") && banner.contains("Sent"), "{banner}");
    let sms = stack.outbox.sms.as_ref().expect("the outbox's SMS sender").sent();
    assert!(
        matches!(sms.as_slice(), [sim::ports::sender::Outgoing::Sms { text, .. }] if text.starts_with("SIM TEST MESSAGE")),
        "one test SMS in the outbox"
    );
    no_violations(&admin, "a contact's page after a test message").await;
    click(&admin, "//a[starts-with(normalize-space(), 'Change Director of Communities')]").await;
    heading(&admin, "Change Director of Communities").await;
    let mobile = admin.find(Locator::Id("mobile")).await.unwrap();
    mobile.clear().await.unwrap();
    mobile.send_keys("07700 900999").await.unwrap();
    click(&admin, "//button[normalize-space()='Save']").await;
    admin.wait().for_element(Locator::Css(".error-summary")).await.expect("the error summary");
    let summary = text(&admin, ".error-summary").await;
    assert!(summary.contains("Mobile must be in international format"), "{summary}");
    no_violations(&admin, "the contact form with an error").await;
    // The summary links to the field.
    click(&admin, "//div[@class='error-summary']//a[@href='#mobile']").await;
    let mobile = admin.find(Locator::Id("mobile")).await.unwrap();
    mobile.clear().await.unwrap();
    mobile.send_keys("+447700900999").await.unwrap();
    // When and how they opted in to WhatsApp (the date field's value set as its picker would).
    admin.execute("document.getElementById('whatsapp_opt_in_on').value = '2026-03-01';", vec![]).await.unwrap();
    admin.find(Locator::Id("whatsapp_opt_in_how")).await.unwrap().send_keys("signed consent form").await.unwrap();
    click(&admin, "//button[normalize-space()='Save']").await;
    heading(&admin, "Director of Communities").await;
    let page = text(&admin, "main").await;
    assert!(page.contains("+447700900999") && page.contains("given on 2026-03-01: signed consent form"), "{page}");
    assert!(page.contains("edit by Lambeth admin"), "the contact's own history: {page}");
    no_violations(&admin, "a contact's page with its changes").await;
    let gold = store.get_contact(&lambeth, &ContactId::parse("con-gold").unwrap()).await.unwrap().unwrap();
    assert_eq!(gold.mobile.unwrap().as_str(), "+447700900999");

    // Import the file: one contact renamed, one left out (a removal to confirm).
    let exported = String::from_utf8(sim::directory::export(&*store, &lambeth).await.unwrap()).unwrap();
    let file: String = exported
        .lines()
        .filter(|l| !l.starts_with("con-youth,"))
        .map(|l| l.replace("Head of Communications", "Director of Communications"))
        .collect::<Vec<_>>()
        .join("\n");
    let path = std::env::temp_dir().join(format!("{}.csv", unique("sim-contacts")));
    std::fs::write(&path, file).unwrap();
    click(&admin, "//nav//a[normalize-space()='Import']").await;
    heading(&admin, "Import contacts from a spreadsheet").await;
    no_violations(&admin, "the import form").await;
    admin.find(Locator::Id("file")).await.unwrap().send_keys(path.to_str().unwrap()).await.unwrap();
    click(&admin, "//button[normalize-space()='Check the file']").await;
    heading(&admin, "Check the changes before applying them").await;
    let dry_run = text(&admin, "main").await;
    assert!(dry_run.contains("0 to add, 1 to change, 1 to remove"), "{dry_run}");
    assert!(dry_run.contains("Youth Services Manager"));
    no_violations(&admin, "the dry run").await;
    click(&admin, "//label[@for='confirm_removals']").await;
    click(&admin, "//button[normalize-space()='Apply these changes']").await;
    heading(&admin, "Directory changes").await;
    let trail = text(&admin, "main").await;
    assert!(trail.contains("import by Lambeth admin"), "{trail}");
    assert!(trail.contains("edit by Lambeth admin"), "{trail}");
    no_violations(&admin, "the audit trail").await;
    let comms = store.get_contact(&lambeth, &ContactId::parse("con-comms").unwrap()).await.unwrap().unwrap();
    assert_eq!(comms.name, "Director of Communications");
    assert!(store.get_contact(&lambeth, &ContactId::parse("con-youth").unwrap()).await.unwrap().is_none());

    for (link, title) in [("Alert gaps", "Alert gaps"), ("Groups", "Groups"), ("Police callers", "Police callers")] {
        click(&admin, &format!("//nav//a[normalize-space()='{link}']")).await;
        heading(&admin, title).await;
        no_violations(&admin, title).await;
    }
    admin.close().await.unwrap();
    let _ = std::fs::remove_file(path);
}
