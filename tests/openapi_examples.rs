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
        BTreeSet::from([
            "/v1/incidents",
            "/v1/incidents/{id}",
            "/v1/incidents/{id}/subjects",
            "/v1/incidents/{id}/updates"
        ]),
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

/// Every problem object in the document (named examples and component
/// examples alike), found by its `type`.
fn problem_examples<'a>(value: &'a Value, found: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str).is_some_and(|t| t.starts_with("urn:sim:problem:")) {
                found.push(value);
            }
            map.values().for_each(|v| problem_examples(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| problem_examples(v, found)),
        _ => {}
    }
}

#[test]
fn every_problem_example_has_the_title_status_and_detail_the_server_sends() {
    use intake::IntakeError as E;
    use sim::ports::StoreError;
    let incident_id = sim::ids::IncidentId::parse("inc-7f3c2a9e41d0").unwrap();
    let server: Vec<sim::problem::Problem> = [
        E::Unauthorised,
        E::Forbidden(String::new()),
        E::NotFound,
        E::MalformedJson(String::new()),
        E::Invalid(vec![]),
        E::DuplicateReference { incident_id },
        E::TooLarge,
        E::UnsupportedMediaType,
        E::MethodNotAllowed("POST"),
        E::Contended,
        E::Store(StoreError::Permanent("x".into())),
        E::Vault(sim::vault::VaultError::Expired),
    ]
    .iter()
    .map(E::to_problem)
    .collect();
    let spec = spec();
    let mut examples = Vec::new();
    problem_examples(&spec["paths"], &mut examples);
    problem_examples(&spec["components"]["responses"], &mut examples);
    assert!(examples.len() >= 12, "only {} problem examples", examples.len());
    let mut types = BTreeSet::new();
    for example in examples {
        let kind = example["type"].as_str().unwrap();
        let sent = server.iter().find(|p| p.kind == kind).unwrap_or_else(|| panic!("the server never sends {kind}"));
        assert_eq!(example["title"], sent.title, "{kind}: title");
        assert_eq!(example["status"], sent.status, "{kind}: status");
        // Details with a variable part (a reason, an id) are checked by their fixed part only.
        let detail = example["detail"].as_str().unwrap();
        if !sent.detail.is_empty()
            && !matches!(kind, "urn:sim:problem:malformed-json" | "urn:sim:problem:duplicate-reference")
        {
            assert_eq!(detail, sent.detail, "{kind}: detail");
        }
        types.insert(kind);
    }
    for status in ["405", "500", "503"] {
        for (path, operations) in spec["paths"].as_object().unwrap() {
            for (method, operation) in operations.as_object().unwrap() {
                if operation.get("responses").is_some() {
                    assert!(operation["responses"].get(status).is_some(), "{method} {path} documents {status}");
                }
            }
        }
    }
    assert!(types.contains("urn:sim:problem:internal") && types.contains("urn:sim:problem:method-not-allowed"));
}

#[test]
fn the_document_states_the_limits_the_server_enforces() {
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    assert_eq!(schemas["IncidentReport"]["properties"]["flags"]["maxItems"], 14);
    assert_eq!(schemas["IncidentAmendment"]["properties"]["add_flags"]["maxItems"], 14);
    assert_eq!(schemas["IncidentAmendment"]["properties"]["remove_flags"]["maxItems"], 14);
    let most = sim::domain::incident::MAX_CONNECTED_AREAS;
    assert_eq!(schemas["IncidentReport"]["properties"]["connected_areas"]["maxItems"], most);
    assert_eq!(schemas["IncidentAmendment"]["properties"]["connected_areas"]["maxItems"], most);
    assert_eq!(schemas["PoliceReference"]["maxLength"], sim::domain::incident::PoliceReference::MAX_LEN);
    for optional in ["reported_at", "weapon", "victims", "flags", "connected_areas"] {
        assert_eq!(schemas["IncidentReport"]["properties"][optional]["nullable"], true, "{optional}");
    }
    for optional in ["ward", "postcode_district", "latitude", "longitude"] {
        assert_eq!(schemas["Location"]["properties"][optional]["nullable"], true, "{optional}");
    }
    let pairing = schemas["Location"]["anyOf"].as_array().expect("latitude and longitude go together");
    assert_eq!(pairing[0]["required"], serde_json::json!(["latitude", "longitude"]));
    let description = spec["info"]["description"].as_str().unwrap();
    for rule in ["NFC", "within the last 30 days", "appears twice", "case-insensitive", "E09000022"] {
        assert!(
            description.contains(rule) || serde_json::to_string(&spec).unwrap().contains(rule),
            "the document says: {rule}"
        );
    }
}
