//! The responder's page behind a personal link, on in-memory adapters:
//! opening changes nothing, a deliberate POST from SIM's own page
//! acknowledges once, scanners and other sites cannot, bad links are refused.

use lambda_http::{Body, Request, Response};
use sim::domain::policy::Channel;
use sim::ids::IncidentId;
use sim::links::LinkKey;
use sim_tests::*;
use time::Duration;

const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Version/17.1 Mobile/15E148 Safari/604.1";

fn page(response: &Response<Body>) -> String {
    String::from_utf8_lossy(response.body().as_ref()).into_owned()
}

fn get(token: &str, method: &str, user_agent: &str) -> Request {
    lambda_http::http::Request::builder()
        .method(method)
        .uri(format!("/a/{token}"))
        .header("user-agent", user_agent)
        .header("host", "sim.lambeth.example")
        .body(Body::Empty)
        .unwrap()
}

fn post(token: &str, form: &str, user_agent: &str, origin: Option<&str>) -> Request {
    let mut builder = lambda_http::http::Request::builder()
        .method("POST")
        .uri(format!("/a/{token}"))
        .header("user-agent", user_agent)
        .header("host", "sim.lambeth.example")
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(origin) = origin {
        builder = builder.header("origin", origin);
    }
    builder.body(Body::from(form.to_owned())).unwrap()
}

fn form_key(html: &str) -> String {
    let start =
        html.find("name=\"form_key\" value=\"").expect("the page has the form") + "name=\"form_key\" value=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

struct Rig {
    h: Harness,
    deps: respond::Deps,
    token: String,
}

async fn rig() -> Rig {
    rig_on(memory_harness().await).await
}

/// The same on DynamoDB in moto, with every request the store sends recorded.
async fn recorded_moto_rig() -> (Rig, sim_tests::recorder::Recorder) {
    let (config, recorder) = sim_tests::recorder::recorded_moto().await;
    let store = sim::adapters::dynamodb::DynamoStore::from_config(&config, unique("sim-respond"));
    store.create_table_if_missing().await.unwrap();
    let queue = std::sync::Arc::new(sim::adapters::memory_queue::MemoryQueue::new("categorise"));
    (rig_on(Harness::new(std::sync::Arc::new(store), queue).seeded().await).await, recorder)
}

async fn rig_on(h: Harness) -> Rig {
    let categorise = categoriser(&h, memory_channel_queues());
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    categorise_handed_on(&h, &categorise).await;
    let key = LinkKey::generate();
    let token = link_token(&key, "inc-000001", "con-gold", Channel::Sms);
    let deps = responder(&h, key);
    Rig { h, deps, token }
}

async fn acks(rig: &Rig) -> usize {
    rig.h.store.acknowledgements(&IncidentId::parse("inc-000001").unwrap()).await.unwrap().len()
}

#[tokio::test]
async fn opening_the_link_shows_the_summary_and_changes_nothing() {
    let rig = rig().await;
    let response = respond::handle(&rig.deps, get(&rig.token, "GET", PHONE)).await;
    assert_eq!(response.status(), 200);
    let html = page(&response);
    for expected in [
        "CRITICAL",
        "Stabbing in Lambeth (Brixton North)",
        "What is expected of you",
        "As gold you are asked to acknowledge this alert by 02:20 GMT",
        ">Acknowledge</button>",
        "CAD 1234/21NOV26",
        "No one yet.",
    ] {
        assert!(html.contains(expected), "{expected} missing from {html}");
    }
    assert!(!html.contains("<script"), "works without JavaScript");
    let csp = response.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("form-action 'self'"));
    assert_eq!(response.headers()["referrer-policy"], "no-referrer", "the token never leaks in a Referer");
    assert!(response.headers()["strict-transport-security"].to_str().unwrap().starts_with("max-age="));

    let head = respond::handle(&rig.deps, get(&rig.token, "HEAD", PHONE)).await;
    assert_eq!(head.status(), 200);
    assert!(head.body().as_ref().is_empty());
    assert_eq!(acks(&rig).await, 0, "GET and HEAD record nothing");
}

#[tokio::test]
async fn pressing_acknowledge_records_it_once_and_police_see_the_role() {
    let rig = rig().await;
    let html = page(&respond::handle(&rig.deps, get(&rig.token, "GET", PHONE)).await);
    let form = format!("form_key={}&response=responding", form_key(&html));
    rig.h.clock.advance(Duration::minutes(4));

    let first = respond::handle(&rig.deps, post(&rig.token, &form, PHONE, Some("https://sim.lambeth.example"))).await;
    assert_eq!(first.status(), 200);
    let html = page(&first);
    assert!(
        html.contains("Thank you: your acknowledgement is recorded.") && html.contains("You acknowledged at 02:14 GMT"),
        "{html}"
    );
    let again = respond::handle(&rig.deps, post(&rig.token, &form, PHONE, None)).await;
    assert!(page(&again).contains("You had already acknowledged"));
    assert_eq!(acks(&rig).await, 1);
    let ack = &rig.h.store.acknowledgements(&IncidentId::parse("inc-000001").unwrap()).await.unwrap()[0];
    assert_eq!((ack.contact_id.as_str(), ack.role.as_str(), ack.channel), ("con-gold", "gold", Channel::Sms));

    let status = json(&rig.h.call(event("intake-status.json")).await);
    assert_eq!(status["acknowledgements"], serde_json::json!([{"role": "gold", "at": "2026-11-21T02:14:00Z"}]));
    assert_eq!(
        status["awaiting"],
        serde_json::json!(["comms", "community-safety", "community-safety-lead", "police-liaison"])
    );
    assert!(
        !status.to_string().contains("con-gold") && !status.to_string().contains("+44"),
        "no contact details for police"
    );
}

#[tokio::test]
async fn scanners_other_sites_and_forms_without_the_key_acknowledge_nothing() {
    let rig = rig().await;
    let html = page(&respond::handle(&rig.deps, get(&rig.token, "GET", PHONE)).await);
    let form = format!("form_key={}&response=responding", form_key(&html));

    let scanner = respond::handle(
        &rig.deps,
        post(&rig.token, &form, "Mozilla/5.0 (compatible; Microsoft Office SafeLinks)", None),
    )
    .await;
    assert_eq!(scanner.status(), 200, "a scanner is shown the page");
    let other_site = respond::handle(&rig.deps, post(&rig.token, &form, PHONE, Some("https://evil.example"))).await;
    assert_eq!(other_site.status(), 403);
    assert!(page(&other_site).contains("Open the link from your SIM message again"));
    let no_key = respond::handle(&rig.deps, post(&rig.token, "form_key=forged", PHONE, None)).await;
    assert_eq!(no_key.status(), 403);
    let other_token = link_token(&rig.deps.key, "inc-000001", "con-comms", Channel::Sms);
    let wrong_key = respond::handle(&rig.deps, post(&other_token, &form, PHONE, None)).await;
    assert_eq!(wrong_key.status(), 403, "a form key works only for its own link");
    assert_eq!(acks(&rig).await, 0);
}

#[tokio::test]
async fn forged_tampered_and_expired_links_are_refused_plainly() {
    let rig = rig().await;
    let forged = link_token(&LinkKey::generate(), "inc-000001", "con-gold", Channel::Sms);
    let tampered = rig.token.replace("con-gold", "con-ceo");
    for token in [forged.as_str(), tampered.as_str(), "nonsense"] {
        let response = respond::handle(&rig.deps, get(token, "GET", PHONE)).await;
        assert_eq!(response.status(), 404);
        let html = page(&response);
        assert!(html.contains("This link is not valid") && !html.contains("Lambeth"), "{html}");
    }
    rig.h.clock.advance(Duration::days(8));
    let expired = respond::handle(&rig.deps, get(&rig.token, "GET", PHONE)).await;
    assert_eq!(expired.status(), 410);
    assert!(page(&expired).contains("This link has expired"));
    let expired_post = respond::handle(&rig.deps, post(&rig.token, "form_key=x", PHONE, None)).await;
    assert_eq!(expired_post.status(), 410);
    assert_eq!(acks(&rig).await, 0);
}

#[tokio::test]
async fn every_route_refuses_a_forged_link_and_unknown_paths_are_not_found() {
    let rig = rig().await;
    let forged = link_token(&LinkKey::generate(), "inc-000001", "con-gold", Channel::Sms);
    for path in respond::ROUTES.paths() {
        let path = path.replace("{token}", &forged).replace("{item}", "communications-01");
        for method in ["GET", "POST"] {
            let mut req = post(&forged, "form_key=x", PHONE, None);
            *req.method_mut() = method.parse().unwrap();
            *req.uri_mut() = path.parse().unwrap();
            let response = respond::handle(&rig.deps, req).await;
            assert!([404, 405].contains(&response.status().as_u16()), "{method} {path}: {}", response.status());
            assert!(!page(&response).contains("Lambeth"));
        }
    }
    for path in ["/", "/a/", "/a", "/other", &format!("/a/{}/items/", rig.token)] {
        let mut req = get(&rig.token, "GET", PHONE);
        *req.uri_mut() = path.parse().unwrap();
        assert_eq!(respond::handle(&rig.deps, req).await.status(), 404, "{path}");
    }
    assert_eq!(acks(&rig).await, 0);
}

#[tokio::test]
async fn moto_a_scanner_hammering_bad_or_unknown_links_costs_no_read_or_one() {
    needs_moto!();
    let (rig, recorder) = recorded_moto_rig().await;
    let forged = link_token(&LinkKey::generate(), "inc-000001", "con-gold", Channel::Sms);
    let tampered = rig.token.replace("con-gold", "con-ceo");
    // Signed by SIM, but for an incident there is not (or no longer) any of.
    let unknown = link_token(&rig.deps.key, "inc-000999", "con-gold", Channel::Sms);
    let unknown_key = rig.deps.key.form_key(&unknown);
    recorder.clear();
    for token in [forged.as_str(), tampered.as_str(), "nonsense"] {
        for path in respond::ROUTES.paths() {
            let path = path.replace("{token}", token).replace("{item}", "communications-01");
            for method in ["GET", "HEAD", "POST"] {
                let mut req = post(token, "form_key=x&response=responding", PHONE, None);
                *req.method_mut() = method.parse().unwrap();
                *req.uri_mut() = path.parse().unwrap();
                let status = respond::handle(&rig.deps, req).await.status().as_u16();
                assert!([404, 405].contains(&status), "{method} {path}: {status}");
            }
        }
    }
    assert_eq!(recorder.count(), 0, "a bad signature costs no read: {:?}", recorder.all());

    let response = respond::handle(&rig.deps, get(&unknown, "GET", PHONE)).await;
    assert_eq!(response.status(), 404);
    assert!(page(&response).contains("This link is not valid"));
    assert_eq!(recorder.count(), 1, "an unknown incident costs one read: {:?}", recorder.all());
    let form = format!("form_key={unknown_key}&response=responding");
    for path in ["", "/close", "/key-dates", "/areas", "/items/communications-01"] {
        recorder.clear();
        let mut req = post(&unknown, &form, PHONE, None);
        *req.uri_mut() = format!("/a/{unknown}{path}").parse().unwrap();
        // Not found, or refused for its form before anything is read.
        let status = respond::handle(&rig.deps, req).await.status().as_u16();
        assert!([404, 422].contains(&status), "POST {path}: {status}");
        assert!(recorder.count() <= 1, "POST {path}: {} reads", recorder.count());
    }

    // The incident's own link still opens its page.
    let response = respond::handle(&rig.deps, get(&rig.token, "GET", PHONE)).await;
    assert_eq!(response.status(), 200);
    assert!(page(&response).contains("Acknowledge"));
}

#[tokio::test]
async fn the_respond_lambda_handles_its_sample_events() {
    let h = memory_harness().await;
    let categorise = categoriser(&h, memory_channel_queues());
    h.call(event("intake-report.json")).await;
    categorise_handed_on(&h, &categorise).await;
    // The events are signed with the test link key 5e…5e.
    let deps = responder(&h, LinkKey::from_hex(&"5e".repeat(32)).unwrap());
    let shown = respond::handle(&deps, event("respond-get.json")).await;
    assert_eq!(shown.status(), 200);
    assert_eq!(respond::handle(&deps, event("respond-post.json")).await.status(), 200);
    assert!(page(&respond::handle(&deps, event("respond-post.json")).await).contains("already acknowledged"));
    let acks = h.store.acknowledgements(&IncidentId::parse("inc-000001").unwrap()).await.unwrap();
    assert_eq!(acks.len(), 1);
}

fn item_form(html: &str, item: &str) -> (String, String) {
    let anchor = html.find(&format!("id=\"item-{item}\"")).expect("the item is on the page");
    let rest = &html[anchor..];
    let version_at = rest.find("name=\"version\" value=\"").unwrap() + "name=\"version\" value=\"".len();
    let version = rest[version_at..version_at + rest[version_at..].find('"').unwrap()].to_owned();
    (form_key(html), version)
}

fn post_item(token: &str, item: &str, form: &str) -> Request {
    let mut req = post(token, form, PHONE, None);
    *req.uri_mut() = format!("/a/{token}/items/{item}").parse().unwrap();
    req
}

#[tokio::test]
async fn responders_run_the_checklist_and_a_stale_form_is_refused() {
    let rig = rig().await;
    let html = page(&respond::handle(&rig.deps, get(&rig.token, "GET", PHONE)).await);
    assert!(
        html.contains("Response checklist") && html.contains("0 of 48 items done"),
        "the toolkit's checklist is on the page"
    );
    let (key, version) = item_form(&html, "communications-01");
    assert_eq!(version, "1");

    let done = format!("form_key={key}&version=1&status=done&assignee=me&note=Holding+statement+agreed+with+police");
    let saved = respond::handle(&rig.deps, post_item(&rig.token, "communications-01", &done)).await;
    assert_eq!(saved.status(), 303, "back to the page");
    assert_eq!(saved.headers()["location"], format!("/a/{}#item-communications-01", rig.token));

    // A colleague's page shows it.
    let comms = link_token(&rig.deps.key, "inc-000001", "con-comms", Channel::Sms);
    let theirs = page(&respond::handle(&rig.deps, get(&comms, "GET", PHONE)).await);
    assert!(theirs.contains("1 of 48 items done"));
    assert!(
        theirs.contains("Note: “Holding statement agreed with police”") && theirs.contains("Director of Communities")
    );

    // The first page's form is now stale.
    let stale = respond::handle(
        &rig.deps,
        post_item(&rig.token, "communications-01", &format!("form_key={key}&version=1&status=in_progress")),
    )
    .await;
    assert_eq!(stale.status(), 409);
    assert!(page(&stale).contains("Reload the page to see the latest"));

    let too_long = format!("form_key={key}&version=2&note={}", "x".repeat(281));
    assert_eq!(respond::handle(&rig.deps, post_item(&rig.token, "communications-01", &too_long)).await.status(), 422);
    let unknown =
        respond::handle(&rig.deps, post_item(&rig.token, "no-such-item", &format!("form_key={key}&version=1"))).await;
    assert_eq!(unknown.status(), 404);

    let status = json(&rig.h.call(event("intake-status.json")).await);
    let communications =
        status["checklist"].as_array().unwrap().iter().find(|s| s["section"] == "communications").unwrap();
    assert_eq!((communications["done"].as_u64(), communications["total"].as_u64()), (Some(1), Some(6)));
    let timeline = rig.h.store.timeline(&IncidentId::parse("inc-000001").unwrap()).await.unwrap();
    let change = timeline.iter().find(|e| e.event.kind() == "checklist_changed").expect("on the timeline");
    let text = format!("{:?}", change.event);
    assert!(text.contains("status open → done") && !text.contains("Holding statement"), "{text}");
}

const CUBOT_WEBVIEW: &str = "Mozilla/5.0 (Linux; Android 13; CUBOT P80 Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36";

/// The value of attribute `name` in one tag's text.
fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let value = &tag[start..start + tag[start..].find('"')?];
    Some(value.replace("&amp;", "&").replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">"))
}

/// Every form on a page as a submitting robot sees it: its action and the
/// fields a plain submit sends (hidden and other inputs with their values,
/// checked radios only, each select's selected or first option, textareas).
fn robot_forms(html: &str, token: &str) -> Vec<(String, String)> {
    let mut forms = Vec::new();
    for chunk in html.split("<form").skip(1) {
        let form = &chunk[..chunk.find("</form>").unwrap()];
        let open = &form[..form.find('>').unwrap()];
        let action = attr(open, "action").unwrap_or_else(|| format!("/a/{token}"));
        let mut fields: Vec<(String, String)> = Vec::new();
        for input in form.split("<input").skip(1) {
            let tag = &input[..input.find('>').unwrap()];
            let (Some(name), kind) = (attr(tag, "name"), attr(tag, "type").unwrap_or_default()) else { continue };
            if (kind == "radio" || kind == "checkbox") && !tag.contains(" checked") {
                continue;
            }
            fields.push((name, attr(tag, "value").unwrap_or_default()));
        }
        for select in form.split("<select").skip(1) {
            let name = attr(&select[..select.find('>').unwrap()], "name").unwrap();
            let body = &select[..select.find("</select>").unwrap()];
            let options: Vec<&str> = body.split("<option").skip(1).collect();
            let chosen = options.iter().find(|o| o[..o.find('>').unwrap()].contains(" selected")).or(options.first());
            fields.push((name, chosen.and_then(|o| attr(o, "value")).unwrap_or_default()));
        }
        for textarea in form.split("<textarea").skip(1) {
            let name = attr(&textarea[..textarea.find('>').unwrap()], "name").unwrap();
            fields.push((name, String::new()));
        }
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()))
            .collect::<Vec<_>>()
            .join("&");
        forms.push((action, body));
    }
    forms
}

#[tokio::test]
async fn a_form_submitting_robot_records_nothing_whatever_its_agent_or_origin() {
    let rig = rig().await;
    let id = IncidentId::parse("inc-000001").unwrap();
    let timeline_before = rig.h.store.timeline(&id).await.unwrap().len();
    let agents = [
        PHONE,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
        "curl/8.5.0",
    ];
    let html = page(&respond::handle(&rig.deps, get(&rig.token, "GET", PHONE)).await);
    let forms = robot_forms(&html, &rig.token);
    assert!(forms.len() >= 50, "the acknowledge, 48 item, key-date and close forms: {}", forms.len());
    let mut answers = std::collections::BTreeMap::new();
    for agent in agents {
        for origin in [Some("https://sim.lambeth.example"), None] {
            for (action, body) in &forms {
                let mut req = post(&rig.token, body, agent, origin);
                *req.uri_mut() = action.parse().unwrap();
                *answers.entry(respond::handle(&rig.deps, req).await.status().as_u16()).or_insert(0) += 1;
            }
        }
    }
    assert_eq!(acks(&rig).await, 0, "no acknowledgement from a robot: {answers:?}");
    let items = rig.h.store.checklist(&id).await.unwrap();
    assert!(items.iter().all(|i| i.version == 1), "no checklist change");
    let follow_up = rig.h.store.get_follow_up(&id).await.unwrap();
    assert!(follow_up.is_none_or(|f| f.closure.is_none() && f.key_dates.is_empty()), "not closed, no key date");
    assert_eq!(rig.h.store.timeline(&id).await.unwrap().len(), timeline_before, "nothing on the timeline");
}

#[tokio::test]
async fn acknowledging_is_a_choice_and_the_channel_and_device_are_shown() {
    let rig = rig().await;
    let html = page(&respond::handle(&rig.deps, get(&rig.token, "GET", PHONE)).await);
    assert!(html.contains("I'm responding") && html.contains("I can't respond"), "{html}");
    assert!(!html.contains(" checked"), "nothing is pre-selected");
    let key = form_key(&html);

    let no_choice = respond::handle(&rig.deps, post(&rig.token, &format!("form_key={key}"), PHONE, None)).await;
    assert_eq!(no_choice.status(), 422);
    assert!(page(&no_choice).contains("Choose whether you are responding"));
    let cannot =
        respond::handle(&rig.deps, post(&rig.token, &format!("form_key={key}&response=cannot_respond"), PHONE, None))
            .await;
    assert_eq!(cannot.status(), 200);
    assert!(page(&cannot).contains("your role stays awaited"), "{}", page(&cannot));
    assert_eq!(acks(&rig).await, 0, "not responding is not an acknowledgement");

    let form = format!("form_key={key}&response=responding");
    let done = respond::handle(&rig.deps, post(&rig.token, &form, CUBOT_WEBVIEW, None)).await;
    assert!(page(&done).contains("Thank you: your acknowledgement is recorded."), "{}", page(&done));
    let ack = &rig.h.store.acknowledgements(&IncidentId::parse("inc-000001").unwrap()).await.unwrap()[0];
    assert_eq!(ack.device, "Android phone");
    let comms = link_token(&rig.deps.key, "inc-000001", "con-comms", Channel::Email);
    let theirs = page(&respond::handle(&rig.deps, get(&comms, "GET", PHONE)).await);
    assert!(
        theirs.contains("gold at 02:10 GMT Sat 21 Nov") && theirs.contains("(SMS link, Android phone)"),
        "{theirs}"
    );
}

#[tokio::test]
async fn a_cubot_phone_is_a_person_and_a_refused_automatic_save_says_why() {
    let rig = rig().await;
    let html = page(&respond::handle(&rig.deps, get(&rig.token, "GET", CUBOT_WEBVIEW)).await);
    let key = form_key(&html);
    let (_, version) = item_form(&html, "communications-01");
    let item = format!("form_key={key}&version={version}&status=done");
    let saved = respond::handle(&rig.deps, {
        let mut req = post_item(&rig.token, "communications-01", &item);
        req.headers_mut().insert("user-agent", CUBOT_WEBVIEW.parse().unwrap());
        req
    })
    .await;
    assert_eq!(saved.status(), 303, "a CUBOT WebView is a phone, not a bot: {}", page(&saved));

    let scanner = "Mozilla/5.0 (compatible; Microsoft Office SafeLinks)";
    let item = format!("form_key={key}&version=2&status=in_progress");
    let refused = respond::handle(&rig.deps, {
        let mut req = post_item(&rig.token, "communications-01", &item);
        req.headers_mut().insert("user-agent", scanner.parse().unwrap());
        req
    })
    .await;
    assert_eq!(refused.status(), 403);
    let text = page(&refused);
    assert!(text.contains("automatic link checker") && !text.contains("press Acknowledge"), "{text}");
    let ack =
        respond::handle(&rig.deps, post(&rig.token, &format!("form_key={key}&response=responding"), scanner, None))
            .await;
    assert!(page(&ack).contains("Nothing was recorded: this browser looked like an automatic link checker"));
    assert_eq!(acks(&rig).await, 0);
}

#[tokio::test]
async fn notes_append_each_with_its_author_and_time() {
    let rig = rig().await;
    let comms = link_token(&rig.deps.key, "inc-000001", "con-comms", Channel::Sms);
    for (token, note, minutes) in
        [(&rig.token, "Holding statement drafted", 2), (&comms, "Statement agreed with police", 3)]
    {
        rig.h.clock.advance(Duration::minutes(minutes));
        let html = page(&respond::handle(&rig.deps, get(token, "GET", PHONE)).await);
        let (key, version) = item_form(&html, "communications-01");
        let form = format!("form_key={key}&version={version}&note={}", note.replace(' ', "+"));
        assert_eq!(respond::handle(&rig.deps, post_item(token, "communications-01", &form)).await.status(), 303);
    }
    let html = page(&respond::handle(&rig.deps, get(&rig.token, "GET", PHONE)).await);
    let item = &html[html.find("id=\"item-communications-01\"").unwrap()..];
    let item = &item[..item.find("</li></ul>").expect("the item's notes")];
    let first = item.find("Note: “Holding statement drafted” by you at 02:12 GMT").expect(item);
    let second = item.find("Note: “Statement agreed with police” by ").expect(item);
    assert!(first < second, "oldest first: {item}");
    assert!(item.contains("at 02:15 GMT") && item.contains("Last changed by "), "{item}");
    let timeline = rig.h.store.timeline(&IncidentId::parse("inc-000001").unwrap()).await.unwrap();
    let added = timeline.iter().filter(|e| format!("{:?}", e.event).contains("note added")).count();
    assert_eq!(added, 2, "each note is on the timeline (without its text)");
}

#[tokio::test]
async fn a_closed_incident_says_so_and_asks_nobody_to_acknowledge() {
    let rig = rig().await;
    let html = page(&respond::handle(&rig.deps, get(&rig.token, "GET", PHONE)).await);
    let version = {
        let at = html.find("action=\"/a/").unwrap();
        let close = &html[html[at..].find("/close\"").map(|i| at + i).unwrap()..];
        let start = close.find("name=\"version\" value=\"").unwrap() + "name=\"version\" value=\"".len();
        close[start..start + close[start..].find('"').unwrap()].to_owned()
    };
    let mut close = post(
        &rig.token,
        &format!("form_key={}&version={version}&closing_note=Stood+down", form_key(&html)),
        PHONE,
        None,
    );
    *close.uri_mut() = format!("/a/{}/close", rig.token).parse().unwrap();
    assert!(page(&respond::handle(&rig.deps, close).await).contains("The incident is closed."));

    let comms = link_token(&rig.deps.key, "inc-000001", "con-comms", Channel::Sms);
    let theirs = page(&respond::handle(&rig.deps, get(&comms, "GET", PHONE)).await);
    assert!(theirs.contains("This incident is closed"), "{theirs}");
    for gone in ["What is expected of you", ">Acknowledge</button>", "SIM reminds you", "I'm responding"] {
        assert!(!theirs.contains(gone), "{gone} on a closed incident's page");
    }
    let form = format!("form_key={}&response=responding", rig.deps.key.form_key(&comms));
    let late = respond::handle(&rig.deps, post(&comms, &form, PHONE, None)).await;
    assert!(page(&late).contains("This incident is closed: there is nothing to acknowledge."));
    assert_eq!(acks(&rig).await, 0);
}

#[tokio::test]
async fn only_people_and_roles_alerted_can_be_assigned_and_invisible_controls_are_stripped_from_notes() {
    let rig = rig().await;
    let html = page(&respond::handle(&rig.deps, get(&rig.token, "GET", PHONE)).await);
    let (key, version) = item_form(&html, "communications-01");
    for assignee in ["person:con-nobody-alerted", "role:education-lead"] {
        let form = format!("form_key={key}&version={version}&assignee={assignee}");
        let refused = respond::handle(&rig.deps, post_item(&rig.token, "communications-01", &form)).await;
        assert_eq!(refused.status(), 422, "{assignee}");
        assert!(page(&refused).contains("Items can be given only to the people and roles alerted"));
    }
    let form =
        format!("form_key={key}&version={version}&assignee=person:con-comms&note=Call%E2%80%AE+back%E2%80%AC+at+10");
    assert_eq!(respond::handle(&rig.deps, post_item(&rig.token, "communications-01", &form)).await.status(), 303);
    let items = rig.h.store.checklist(&IncidentId::parse("inc-000001").unwrap()).await.unwrap();
    let item = items.iter().find(|i| i.item_id == "communications-01").unwrap();
    assert_eq!(item.notes[0].text, "Call back at 10");
    assert!(format!("{:?}", item.assignee).contains("con-comms"));
}

#[tokio::test]
async fn refusal_pages_lead_back_to_the_incident_and_keep_what_was_typed() {
    let rig = rig().await;
    let html = page(&respond::handle(&rig.deps, get(&rig.token, "GET", PHONE)).await);
    let key = form_key(&html);
    let (_, version) = item_form(&html, "communications-01");
    let done = format!("form_key={key}&version={version}&status=done");
    assert_eq!(respond::handle(&rig.deps, post_item(&rig.token, "communications-01", &done)).await.status(), 303);

    let back = format!("href=\"/a/{}#item-communications-01\"", rig.token);
    let stale = format!("form_key={key}&version={version}&note=Press+office+briefed+at+nine");
    let too_long = format!("form_key={key}&version=2&note=Long+{}", "x".repeat(300));
    let forged = "form_key=forged&version=2&note=Typed+on+a+forged+form".to_owned();
    for (form, status, typed) in [
        (stale, 409, "Press office briefed at nine"),
        (too_long, 422, "Long xxxx"),
        (forged, 403, "Typed on a forged form"),
    ] {
        let refused = respond::handle(&rig.deps, post_item(&rig.token, "communications-01", &form)).await;
        assert_eq!(refused.status(), status);
        let text = page(&refused);
        assert!(text.contains(&back) && text.contains(">Back to the incident</a>"), "{status}: {text}");
        assert!(text.contains(typed) && text.contains("Your note as you typed it"), "{status}: {text}");
    }
    let mut close = post(&rig.token, &format!("form_key={key}&version=9&closing_note=Stood+down+early"), PHONE, None);
    *close.uri_mut() = format!("/a/{}/close", rig.token).parse().unwrap();
    let refused = respond::handle(&rig.deps, close).await;
    assert_eq!(refused.status(), 409);
    let text = page(&refused);
    assert!(text.contains(&format!("href=\"/a/{}#close\"", rig.token)) && text.contains("Stood down early"), "{text}");
}

#[tokio::test]
async fn after_acknowledging_the_page_says_what_is_mine_and_who_is_awaited() {
    let rig = rig().await;
    let html = page(&respond::handle(&rig.deps, get(&rig.token, "GET", PHONE)).await);
    assert!(!html.contains("Your actions"), "not before acknowledging");
    let key = form_key(&html);
    let form = format!("form_key={key}&response=responding");
    let html = page(&respond::handle(&rig.deps, post(&rig.token, &form, PHONE, None)).await);
    let actions = &html[html.find("Your actions").expect("Your actions after acknowledging")..];
    let actions = &actions[..actions.find("<h2>Summary").unwrap()];
    assert!(actions.contains("Still awaited") && actions.contains("comms, community safety"), "{actions}");
    assert!(actions.contains("href=\"#item-") && actions.contains("open"), "gold's own items with status: {actions}");
    let gold_items = actions.matches("<li>").count();
    assert!(gold_items > 0);
}

#[tokio::test]
async fn each_items_controls_carry_the_item_in_their_accessible_name() {
    let rig = rig().await;
    let html = page(&respond::handle(&rig.deps, get(&rig.token, "GET", PHONE)).await);
    let items = html.matches("<li id=\"item-").count();
    assert_eq!(items, 48);
    for chunk in html.split("<li id=\"item-").skip(1) {
        let id = &chunk[..chunk.find('"').unwrap()];
        assert!(chunk.contains(&format!("<p id=\"text-{id}\">")), "{id}");
        for control in ["status-label-", "assignee-label-", "note-label-", "save-"] {
            let labelled = format!("aria-labelledby=\"{control}{id} text-{id}\"");
            assert!(chunk.contains(&labelled), "{labelled} missing");
        }
    }
}

#[tokio::test]
async fn behind_cloudfront_the_origin_is_checked_against_the_public_address() {
    let mut rig = rig().await;
    rig.deps.site = respond::Site::from_public_base_url("https://sim.lambeth.gov.example").unwrap();
    let html = page(&respond::handle(&rig.deps, get(&rig.token, "GET", PHONE)).await);
    let form = format!("form_key={}&response=responding", form_key(&html));
    // CloudFront forwards to the execute-api host; the browser's Origin is the public one.
    let from = |origin: &str| {
        let mut req = post(&rig.token, &form, PHONE, Some(origin));
        req.headers_mut().insert("host", "abc123.execute-api.eu-west-2.amazonaws.com".parse().unwrap());
        req
    };
    let other =
        respond::handle(&rig.deps, from("https://abc123.execute-api.eu-west-2.amazonaws.com.evil.example")).await;
    assert_eq!(other.status(), 403);
    let pressed = respond::handle(&rig.deps, from("https://sim.lambeth.gov.example")).await;
    assert!(page(&pressed).contains("Thank you: your acknowledgement is recorded."), "{}", page(&pressed));
    assert_eq!(acks(&rig).await, 1);
}

#[tokio::test]
async fn under_a_base_path_routes_forms_and_redirects_carry_the_prefix() {
    let mut rig = rig().await;
    rig.deps.site = respond::Site::from_public_base_url("https://council.example/sim").unwrap();
    let mut open = get(&rig.token, "GET", PHONE);
    *open.uri_mut() = format!("/sim/a/{}", rig.token).parse().unwrap();
    let opened = respond::handle(&rig.deps, open).await;
    assert_eq!(opened.status(), 200);
    let html = page(&opened);
    assert!(html.contains(&format!("action=\"/sim/a/{}/items/communications-01\"", rig.token)));
    assert!(html.contains(&format!("action=\"/sim/a/{}/close\"", rig.token)));
    assert!(!html.contains(&format!("action=\"/a/{}", rig.token)), "no root-absolute form action");
    let (key, version) = item_form(&html, "communications-01");
    let mut save = post_item(&rig.token, "communications-01", &format!("form_key={key}&version={version}&status=done"));
    *save.uri_mut() = format!("/sim/a/{}/items/communications-01", rig.token).parse().unwrap();
    let saved = respond::handle(&rig.deps, save).await;
    assert_eq!(saved.status(), 303);
    assert_eq!(saved.headers()["location"], format!("/sim/a/{}#item-communications-01", rig.token));
}

#[tokio::test]
async fn an_item_keeps_at_most_two_hundred_notes() {
    let rig = rig().await;
    let key = rig.deps.key.form_key(&rig.token);
    for n in 1..=201u32 {
        let form = format!("form_key={key}&version={n}&note=Note+{n}");
        let response = respond::handle(&rig.deps, post_item(&rig.token, "communications-01", &form)).await;
        let expected = if n <= 200 { 303 } else { 422 };
        assert_eq!(response.status(), expected, "note {n}");
    }
    let items = rig.h.store.checklist(&IncidentId::parse("inc-000001").unwrap()).await.unwrap();
    let item = items.iter().find(|i| i.item_id == "communications-01").unwrap();
    assert_eq!((item.notes.len(), item.notes[199].text.as_str()), (200, "Note 200"));
}
