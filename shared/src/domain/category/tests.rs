use super::*;
use serde_json::{json, Value};
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-21 02:10 UTC);

fn report(victims: Value, weapon: &str, incident_type: &str, flags: Value) -> IncidentReport {
    IncidentReport::from_json(
        &json!({
            "police_reference": "REF-1", "occurred_at": "2026-11-21T01:50:00Z",
            "location": {"borough": "Lambeth", "ward": "Coldharbour"},
            "incident_type": incident_type, "weapon": weapon, "victims": victims, "flags": flags
        }),
        NOW,
    )
    .unwrap()
}

fn v(age: &str, injury: &str) -> Value {
    json!({"age_band": age, "injury": injury})
}

fn decide(r: &IncidentReport, history: &[OffsetDateTime]) -> (Category, String) {
    let d = RuleSet::defaults().decide(&Facts { report: r, ward_history: history });
    (d.category, d.rule)
}

#[test]
fn every_default_rule_and_its_boundaries() {
    use Category::*;
    let none = json!([]);
    let cases: Vec<(&str, IncidentReport, Category, &str)> = vec![
        (
            "declared critical",
            report(json!([v("35-49", "minor")]), "none", "other_violence", json!(["critical_incident_declared"])),
            Critical,
            "critical-declared",
        ),
        (
            "gold group",
            report(json!([]), "unknown", "other_violence", json!(["gold_group_convened"])),
            Critical,
            "critical-declared",
        ),
        (
            "not declared",
            report(json!([v("35-49", "minor")]), "none", "other_violence", none.clone()),
            RecordOnly,
            "default",
        ),
        (
            "fatal",
            report(json!([v("35-49", "fatal")]), "blunt_instrument", "homicide", none.clone()),
            Critical,
            "critical-fatality",
        ),
        (
            "firearm discharged, injured",
            report(json!([v("35-49", "minor")]), "firearm", "other_violence", json!(["firearm_discharged"])),
            Critical,
            "critical-firearm-injury",
        ),
        (
            "shooting, injured",
            report(json!([v("35-49", "serious")]), "firearm", "shooting", none.clone()),
            Critical,
            "critical-firearm-injury",
        ),
        (
            "shots fired, nobody hurt",
            report(json!([v("35-49", "none")]), "firearm", "shooting", none.clone()),
            RecordOnly,
            "default",
        ),
        (
            "two life-threatening",
            report(
                json!([v("35-49", "life_threatening"), v("25-34", "life_threatening")]),
                "blunt_instrument",
                "serious_assault",
                none.clone(),
            ),
            Critical,
            "critical-multiple-life-threatening",
        ),
        (
            "one life-threatening adult, knife",
            report(json!([v("35-49", "life_threatening"), v("25-34", "minor")]), "knife", "stabbing", none.clone()),
            SeriousViolence,
            "serious-weapon-injury",
        ),
        (
            "17-year-old life-threatening",
            report(json!([v("14-17", "life_threatening")]), "blunt_instrument", "serious_assault", none.clone()),
            Critical,
            "critical-child-life-threatening",
        ),
        (
            "18-year-old life-threatening",
            report(json!([v("18-24", "life_threatening")]), "blunt_instrument", "serious_assault", none.clone()),
            SeriousViolence,
            "serious-weapon-injury",
        ),
        (
            "17-year-old serious",
            report(json!([v("14-17", "serious")]), "knife", "stabbing", none.clone()),
            SeriousViolence,
            "serious-weapon-injury",
        ),
        (
            "knife, serious injury",
            report(json!([v("35-49", "serious")]), "knife", "stabbing", none.clone()),
            SeriousViolence,
            "serious-weapon-injury",
        ),
        (
            "corrosive, serious injury",
            report(json!([v("50-64", "serious")]), "corrosive_substance", "acid_attack", none.clone()),
            SeriousViolence,
            "serious-weapon-injury",
        ),
        (
            "knife, minor injury, adult",
            report(json!([v("35-49", "minor")]), "knife", "stabbing", none.clone()),
            RecordOnly,
            "default",
        ),
        (
            "knife, minor injury, 24",
            report(json!([v("18-24", "minor")]), "knife", "stabbing", none.clone()),
            SeriousViolence,
            "serious-weapon-under-25",
        ),
        (
            "knife, minor injury, 25",
            report(json!([v("25-34", "minor")]), "knife", "stabbing", none.clone()),
            RecordOnly,
            "default",
        ),
        (
            "no weapon, 16",
            report(json!([v("14-17", "minor")]), "none", "other_violence", none.clone()),
            RecordOnly,
            "default",
        ),
        (
            "retaliation risk",
            report(json!([v("35-49", "minor")]), "none", "other_violence", json!(["retaliation_risk"])),
            SeriousViolence,
            "serious-community-impact",
        ),
        (
            "footage",
            report(json!([]), "unknown", "other_violence", json!(["footage_circulating"])),
            SeriousViolence,
            "serious-community-impact",
        ),
        (
            "near a school",
            report(json!([]), "unknown", "other_violence", json!(["near_school"])),
            SeriousViolence,
            "serious-community-impact",
        ),
        (
            "community concern",
            report(json!([]), "unknown", "other_violence", json!(["community_concern"])),
            IncidentOfNote,
            "note-community-concern",
        ),
    ];
    for (name, r, category, rule) in cases {
        assert_eq!(decide(&r, &[]), (category, rule.to_owned()), "{name}");
    }
}

#[test]
fn the_third_incident_in_a_ward_within_28_days_is_of_note() {
    let r = report(json!([v("35-49", "minor")]), "none", "other_violence", json!([]));
    let day = |d: i64| r.occurred_at - Duration::days(d);
    assert_eq!(decide(&r, &[day(3), day(27)]).1, "note-cumulative-ward");
    assert_eq!(decide(&r, &[day(3)]).0, Category::RecordOnly, "second incident");
    assert_eq!(decide(&r, &[day(3), day(29)]).0, Category::RecordOnly, "one outside the window");
    assert_eq!(RuleSet::defaults().ward_window(), Some(Duration::days(28)));
}

#[test]
fn a_licensee_can_override_the_rules_and_bad_rules_are_explained() {
    let rules = RuleSet::from_json(
        r#"[{"id": "any-knife", "category": "CRITICAL", "reason": "Every knife incident is critical here",
             "when": {"weapon": ["knife"]}}]"#,
    )
    .unwrap();
    let r = report(json!([v("35-49", "minor")]), "knife", "stabbing", json!([]));
    let d = rules.decide(&Facts { report: &r, ward_history: &[] });
    assert_eq!((d.category, d.rule.as_str()), (Category::Critical, "any-knife"));
    assert_eq!(rules.ward_window(), None, "no ward query needed");

    let bad = RuleSet::from_json(
        r#"[{"id": "a", "category": "CRITICAL", "reason": "", "when": {"victims": {"count": 0, "under_age": 16}}},
            {"id": "a", "category": "SERIOUS_VIOLENCE", "reason": "x", "when": {"any": []}}]"#,
    )
    .unwrap_err()
    .to_string();
    for expected in [
        "reason must be given",
        "count must be at least 1",
        "under_age must be an age band boundary",
        "id must be present and unique",
        "needs at least one condition",
    ] {
        assert!(bad.contains(expected), "{expected} missing from {bad}");
    }
    let unknown =
        RuleSet::from_json(r#"[{"id": "a", "category": "URGENT", "reason": "x", "when": {"weapon": ["knife"]}}]"#);
    assert!(unknown.unwrap_err().to_string().contains("must be one of"));
}
