use super::police_reference::*;
use super::report::*;
use super::*;
use crate::domain::area::{AreaName, KnownWard};
use crate::domain::validation::FieldError;
use serde_json::json;
use serde_json::Value;
use time::macros::datetime;
use time::Duration;

const NOW: OffsetDateTime = datetime!(2026-11-21 02:10 UTC);

fn valid() -> Value {
    json!({
        "police_reference": "CAD 1234/21NOV26",
        "occurred_at": "2026-11-21T01:50:00Z",
        "location": {"borough": "Lambeth", "ward": "Brixton North", "postcode_district": "sw9",
                     "latitude": 51.46, "longitude": -0.115},
        "incident_type": "stabbing",
        "weapon": "knife",
        "victims": [{"age_band": "14-17", "injury": "life_threatening"}],
        "flags": ["retaliation_risk", "near_school"]
    })
}

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn a_valid_report_parses_with_defaults() {
    let r = IncidentReport::from_json(&valid(), NOW).unwrap();
    assert_eq!(r.location.postcode_district.as_ref().unwrap().as_str(), "SW9");
    assert_eq!(r.most_severe_injury(), Injury::LifeThreatening);
    assert!(r.has(Flag::NearSchool));
    let mut minimal = valid();
    for k in ["weapon", "victims", "flags"] {
        minimal.as_object_mut().unwrap().remove(k);
    }
    let r = IncidentReport::from_json(&minimal, NOW).unwrap();
    assert_eq!((r.weapon, r.victims.len(), r.flags.len()), (Weapon::Unknown, 0, 0));
}

#[test]
fn every_bad_field_is_named_at_once() {
    let body = json!({
        "police_reference": "",
        "occurred_at": "yesterday",
        "location": {"borough": "Lambeth", "postcode_district": "SW9 8AB", "latitude": 51.4},
        "incident_type": "mugging",
        "victims": [{"age_band": "14-17", "injury": "bad", "name": "Jo Bloggs"}],
        "flags": ["near_school", "loud"],
        "suspect_name": "X"
    });
    let errors = IncidentReport::from_json(&body, NOW).unwrap_err();
    assert_eq!(
        fields(&errors),
        vec![
            "/suspect_name",
            "/police_reference",
            "/occurred_at",
            "/location/postcode_district",
            "/location",
            "/incident_type",
            "/victims/0/name",
            "/victims/0/injury",
            "/flags/1",
        ]
    );
    let type_error = errors.iter().find(|e| e.field == "/incident_type").unwrap();
    assert!(type_error.message.contains("stabbing, shooting"));
    let name_error = errors.iter().find(|e| e.field == "/victims/0/name").unwrap();
    assert!(name_error.message.contains("personal details"));
}

#[test]
fn missing_fields_and_impossible_times_are_refused() {
    let errors = IncidentReport::from_json(&json!({}), NOW).unwrap_err();
    assert_eq!(fields(&errors), vec!["/police_reference", "/occurred_at", "/location", "/incident_type"]);
    let mut future = valid();
    future["occurred_at"] = json!("2026-11-21T03:00:00Z");
    future["reported_at"] = json!("2026-11-21T01:00:00Z");
    let errors = IncidentReport::from_json(&future, NOW).unwrap_err();
    assert_eq!(fields(&errors), vec!["/occurred_at", "/reported_at"]);
    assert_eq!(fields(&IncidentReport::from_json(&json!([1]), NOW).unwrap_err()), vec![""]);
}

#[test]
fn the_fingerprint_ignores_layout_but_not_content() {
    let a = IncidentReport::from_json(&valid(), NOW).unwrap();
    let reordered: Value = serde_json::from_str(&valid().to_string()).unwrap();
    let mut flags_swapped = reordered.clone();
    flags_swapped["flags"] = json!(["near_school", "retaliation_risk"]);
    assert_eq!(a.fingerprint(), IncidentReport::from_json(&flags_swapped, NOW).unwrap().fingerprint());
    let mut changed = valid();
    changed["weapon"] = json!("firearm");
    assert_ne!(a.fingerprint(), IncidentReport::from_json(&changed, NOW).unwrap().fingerprint());
}

#[test]
fn placeholder_and_old_dates_are_refused_within_a_configurable_window() {
    for placeholder in ["1900-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "2026-10-21T02:09:00Z"] {
        let mut body = valid();
        body["occurred_at"] = json!(placeholder);
        let errors = IncidentReport::from_json(&body, NOW).unwrap_err();
        assert_eq!(fields(&errors), vec!["/occurred_at"], "{placeholder}");
        assert!(errors[0].message.contains("within the last 30 days"), "{}", errors[0].message);
    }
    let mut recent = valid();
    recent["occurred_at"] = json!("2026-10-22T02:10:00Z");
    assert!(IncidentReport::from_json(&recent, NOW).is_ok());
    let errors = IncidentReport::from_json_within(&recent, NOW, Duration::days(7)).unwrap_err();
    assert!(errors[0].message.contains("within the last 7 days"));
}

#[test]
fn police_references_are_codes_not_notes() {
    for ok in ["CAD 1234/21NOV26", "CAD1234/21NOV26", "01/123456/26", "REF-1", "CRIS 3012345/26", "KP-2026-000123"] {
        assert!(PoliceReference::parse(ok).is_ok(), "{ok} refused");
    }
    for personal in [
        "CAD 1234 JO BLOGGS DOB 01.02.2011",
        "CAD 1234 DOB",
        "CAD 1234 01.02.2011",
        "CAD 1234 1/2/11",
        "REF 2011-02-01",
        "CAD 1234 SW9 8AB",
        "CAD1234/SW98AB",
        "CAD 1234/21NOV26 JO BLOGGS",
        "JO BLOGGS",
        &"9".repeat(33),
    ] {
        assert!(PoliceReference::parse(personal).is_err(), "{personal} accepted");
    }
    let message = PoliceReference::parse("CAD 1 SW9 8AB").unwrap_err();
    assert!(!message.contains("SW9"), "the refusal never echoes the value");
}

#[test]
fn a_retry_re_serialised_has_the_same_fingerprint() {
    let mut body = valid();
    body["victims"] = json!([{"age_band": "14-17", "injury": "serious"}, {"age_band": "18-24", "injury": "minor"}]);
    let a = IncidentReport::from_json(&body, NOW).unwrap();
    let mut offset = body.clone();
    offset["occurred_at"] = json!("2026-11-21T02:50:00+01:00");
    let mut reordered = body.clone();
    reordered["victims"] =
        json!([{"age_band": "18-24", "injury": "minor"}, {"age_band": "14-17", "injury": "serious"}]);
    assert_eq!(a.fingerprint(), IncidentReport::from_json(&offset, NOW).unwrap().fingerprint());
    assert_eq!(a.fingerprint(), IncidentReport::from_json(&reordered, NOW).unwrap().fingerprint());
    let mut later = body.clone();
    later["occurred_at"] = json!("2026-11-21T01:50:00+01:00");
    assert_ne!(a.fingerprint(), IncidentReport::from_json(&later, NOW).unwrap().fingerprint());
}

#[test]
fn a_ward_is_kept_only_if_the_licensee_knows_it_and_never_refused() {
    let known = vec![KnownWard { name: AreaName::parse("Brixton North").unwrap(), ons_code: Some("E05014086".into()) }];
    let mut body = valid();
    body["location"]["ward"] = json!("brixton  north");
    let mut r = IncidentReport::from_json(&body, NOW).unwrap();
    assert!(!r.match_ward(&known));
    assert_eq!((r.location.ward.unwrap().as_str(), r.location.unmatched_ward), ("Brixton North", None));
    for personal in ["Brixton North victim Jo Bloggs aged 15", "outside 12 Acre Lane", "SW9 8AB", "Jo <b>Bloggs</b>"] {
        body["location"]["ward"] = json!(personal);
        let mut r = IncidentReport::from_json(&body, NOW).unwrap();
        assert!(r.match_ward(&known), "{personal}");
        assert_eq!(r.location.ward, None);
        assert_eq!(r.location.unmatched_ward.as_deref(), Some(personal));
    }
}

#[test]
fn amendments_describe_what_changed_and_a_repeat_changes_nothing() {
    let report = IncidentReport::from_json(&valid(), NOW).unwrap();
    let update = IncidentAmendment::from_json(&json!({
        "victims": [{"age_band": "14-17", "injury": "fatal"}],
        "add_flags": ["critical_incident_declared"]
    }))
    .unwrap();
    let (next, changes) = update.apply(&report);
    assert_eq!(next.most_severe_injury(), Injury::Fatal);
    assert_eq!(
        changes,
        vec!["victims 1 → 1, most severe injury life_threatening → fatal", "flag added: critical_incident_declared"]
    );
    let (again, none) = update.apply(&next);
    assert_eq!((again, none.len()), (next.clone(), 0));
    // The same victims listed in another order are no change either.
    let two = IncidentAmendment::from_json(&json!({"victims": [
        {"age_band": "14-17", "injury": "fatal"}, {"age_band": "25-34", "injury": "minor"}]}))
    .unwrap();
    let (with_two, _) = two.apply(&next);
    let reordered = IncidentAmendment::from_json(&json!({"victims": [
        {"age_band": "25-34", "injury": "minor"}, {"age_band": "14-17", "injury": "fatal"}]}))
    .unwrap();
    assert!(reordered.apply(&with_two).1.is_empty());
}

#[test]
fn empty_or_contradictory_amendments_are_refused() {
    let e = IncidentAmendment::from_json(&json!({})).unwrap_err();
    assert!(e[0].message.contains("at least one"));
    let e = IncidentAmendment::from_json(&json!({"add_flags": ["near_school"], "remove_flags": ["near_school"]}))
        .unwrap_err();
    assert_eq!(fields(&e), vec!["/remove_flags"]);
    let e = IncidentAmendment::from_json(&json!({"victim_name": "x"})).unwrap_err();
    assert_eq!(fields(&e), vec!["/victim_name"]);
}

#[test]
fn connected_areas_are_area_names_sorted_once_bounded_and_never_the_own_borough() {
    let mut body = valid();
    body["connected_areas"] = json!(["southwark", "Croydon", "London Borough of Southwark"]);
    let r = IncidentReport::from_json(&body, NOW).unwrap();
    let names: Vec<&str> = r.connected_areas.iter().map(AreaName::as_str).collect();
    assert_eq!(names, vec!["Croydon", "southwark"]);
    // The same areas in another order and spelling are the same report.
    body["connected_areas"] = json!(["Southwark", "croydon"]);
    assert_eq!(IncidentReport::from_json(&body, NOW).unwrap().fingerprint(), r.fingerprint());
    // A report without them fingerprints as before the field existed.
    let plain = IncidentReport::from_json(&valid(), NOW).unwrap();
    assert!(!serde_json::to_string(&plain).unwrap().contains("connected_areas"));

    for (bad, field) in [
        (json!(["Lambeth"]), "/connected_areas"),
        (json!(["Southwark <b>"]), "/connected_areas/0"),
        (json!("Southwark"), "/connected_areas"),
        (json!(["A1", "B2", "C3", "D4", "E5", "F6", "G7", "H8", "I9"]), "/connected_areas"),
    ] {
        body["connected_areas"] = bad.clone();
        let errors = IncidentReport::from_json(&body, NOW).unwrap_err();
        assert_eq!(fields(&errors), vec![field], "{bad}");
    }
}

#[test]
fn an_amendment_adds_connected_areas_once() {
    let report = IncidentReport::from_json(&valid(), NOW).unwrap();
    let add = IncidentAmendment::from_json(&json!({"connected_areas": ["Southwark", "lambeth"]})).unwrap();
    let (next, changes) = add.apply(&report);
    assert_eq!(changes, vec!["connected area added: Southwark"]);
    assert_eq!(next.connected_areas, vec![AreaName::parse("Southwark").unwrap()]);
    let (_, again) = add.apply(&next);
    assert!(again.is_empty(), "naming it again changes nothing");
    assert!(IncidentAmendment::from_json(&json!({"connected_areas": ["x"]})).is_err());
}

#[test]
fn a_hand_off_marker_stored_before_attempts_were_counted_reads_as_none_counted() {
    use super::{HandoffReason, PendingHandoff, HANDOFF_ATTEMPTS};
    let old: PendingHandoff = serde_json::from_str(r#"{"reason":"reported","since":"2026-11-21T02:10:00Z"}"#).unwrap();
    assert_eq!(old, PendingHandoff::new(HandoffReason::Reported, time::macros::datetime!(2026-11-21 02:10 UTC)));
    assert_eq!(old.last_sent(), old.since, "the sweeper's grace runs from when it was stored");

    // The sweeper's visits: HANDOFF_ATTEMPTS sends, then it gives up.
    let mut marker = old.clone();
    for attempt in 1..=HANDOFF_ATTEMPTS {
        marker = marker.visited(old.since + time::Duration::minutes(attempt.into()));
        assert!(marker.swept(), "attempt {attempt} is sent");
        assert_eq!(marker.last_sent(), old.since + time::Duration::minutes(attempt.into()));
    }
    assert!(!marker.visited(old.since + time::Duration::hours(1)).swept(), "then no more");
}
