//! Keeps docs/openapi.yaml in step with the handler: every named request
//! example is sent to intake, and the answer must have the status and the
//! shape of the response example of the same name.

use serde_json::Value;
use sim_tests::*;
use std::collections::BTreeSet;

fn spec() -> Value {
    let path = format!("{}/../docs/openapi.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("docs/openapi.yaml exists");
    serde_norway::from_str(&text).expect("docs/openapi.yaml is YAML")
}

/// (status, example) of the response holding an example with this name.
fn response_example<'a>(operation: &'a Value, name: &str) -> (u16, &'a Value) {
    let responses = operation["responses"].as_object().unwrap();
    let found: Vec<(u16, &Value)> = responses
        .iter()
        .flat_map(|(status, response)| {
            let content = response["content"].as_object().into_iter().flatten();
            content.filter_map(move |(_, media)| {
                media["examples"].get(name).map(|e| (status.parse().unwrap(), &e["value"]))
            })
        })
        .collect();
    assert_eq!(found.len(), 1, "example '{name}' must be under exactly one response");
    found[0]
}

fn assert_matches(name: &str, actual: &Value, expected: &Value) {
    for key in expected.as_object().unwrap().keys() {
        assert!(actual.get(key).is_some(), "example '{name}': answer lacks '{key}': {actual}");
    }
    for key in ["status", "type"] {
        if let Some(want) = expected.get(key).filter(|v| v.is_string()) {
            assert_eq!(&actual[key], want, "example '{name}': {key}");
        }
    }
    if let Some(errors) = expected.get("errors").and_then(Value::as_array) {
        let fields = |list: &[Value]| -> BTreeSet<String> {
            list.iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(fields(actual["errors"].as_array().unwrap()), fields(errors), "example '{name}': errors");
    }
}

#[tokio::test]
async fn every_documented_example_is_what_the_handler_answers() {
    let spec = spec();
    let paths = spec["paths"].as_object().unwrap();
    let documented: BTreeSet<&str> = paths.keys().map(String::as_str).collect();
    assert_eq!(
        documented,
        BTreeSet::from(["/v1/incidents", "/v1/incidents/{id}", "/v1/incidents/{id}/updates"]),
        "the document describes exactly the routes intake serves"
    );
    let bad_key = sim::domain::ApiKey::parse(&format!("sim_met-cad_{}", "0".repeat(64))).unwrap().1;
    let mut checked = 0;
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            if !["get", "post"].contains(&method.as_str()) {
                continue;
            }
            let requests = operation["requestBody"]["content"]["application/json"]["examples"].as_object();
            let mut cases: Vec<(String, Option<String>)> = requests
                .into_iter()
                .flatten()
                .map(|(name, example)| (name.clone(), Some(example["value"].to_string())))
                .collect();
            if method == "get" {
                let names = operation["responses"]["200"]["content"]["application/json"]["examples"].as_object();
                cases.extend(names.into_iter().flatten().map(|(name, _)| (name.clone(), None)));
            }
            for (name, body) in cases {
                let h = memory_harness().await;
                let id = if path.contains("{id}") {
                    let reported = h.call(event("intake-report.json")).await;
                    json(&reported)["id"].as_str().unwrap().to_owned()
                } else {
                    String::new()
                };
                let key = if name.starts_with("unauthorised") { bad_key.clone() } else { met_key() };
                let uri = path.replace("{id}", &id);
                let answer = h.call(request(&method.to_uppercase(), &uri, Some(&key), body)).await;
                let (status, expected) = response_example(operation, &name);
                assert_eq!(answer.status().as_u16(), status, "{method} {path} example '{name}'");
                assert_matches(&name, &json(&answer), expected);
                checked += 1;
            }
        }
    }
    assert!(checked >= 8, "only {checked} examples found");
}
