//! What the handler and end-to-end measurements share: a Lambeth seeded with
//! `n` people across CRITICAL's groups, a CRITICAL report, and the request
//! intake receives.

use sim::demo::{self, DemoKeys};
use sim::domain::{ApiKey, Contact, EmailAddress, Group, PhoneNumber, Role};
use sim::ids::{ContactId, GroupId};
use sim::ports::Store;

/// The demo licensees, plus people added to the comms group so that a
/// CRITICAL incident alerts `recipients` people (the demo has 5 in
/// CRITICAL's groups). Returns the Met CAD key.
pub async fn seed(store: &dyn Store, recipients: usize) -> ApiKey {
    let keys =
        DemoKeys { met_cad: ApiKey::generate(&demo::met_cad()), kent_police: ApiKey::generate(&demo::kent_police()) };
    let today = time::OffsetDateTime::now_utc().date();
    demo::seed(store, today, &keys).await.expect("seeding works");
    let mut comms: Group = store
        .groups(&demo::lambeth())
        .await
        .expect("groups")
        .into_iter()
        .find(|g| g.id.as_str() == "grp-comms")
        .expect("the demo has a comms group");
    for i in 0..recipients.saturating_sub(5) {
        let id = ContactId::parse(&format!("con-bench-{i:04}")).expect("valid id");
        store
            .put_contact(&Contact {
                id: id.clone(),
                licensee_id: demo::lambeth(),
                name: format!("Bench responder {i}"),
                role: Role::parse("comms").expect("valid role"),
                organisation: "London Borough of Lambeth".into(),
                mobile: Some(PhoneNumber::parse(&format!("+4477009{:05}", 10_000 + i)).expect("valid number")),
                whatsapp_opt_in: true,
                whatsapp_opt_in_given: None,
                email: Some(EmailAddress::parse(&format!("bench-{i}@lambeth.sim.example")).expect("valid email")),
                deputy: None,
                away_until: None,
            })
            .await
            .expect("contact stored");
        comms.members.push(id);
    }
    comms.id = GroupId::parse("grp-comms").expect("valid");
    store.put_group(&comms).await.expect("group stored");
    keys.met_cad
}

/// The README's CRITICAL stabbing, under police reference `reference`.
pub fn report(reference: &str) -> String {
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).expect("valid");
    serde_json::json!({
        "police_reference": reference,
        "occurred_at": now.format(&time::format_description::well_known::Rfc3339).expect("formats"),
        "location": {"borough": "Lambeth", "ward": "Brixton North", "postcode_district": "SW9"},
        "incident_type": "stabbing",
        "weapon": "knife",
        "victims": [{"age_band": "14-17", "injury": "life_threatening"}],
        "flags": ["critical_incident_declared"]
    })
    .to_string()
}

pub fn post(key: &ApiKey, body: String) -> lambda_http::Request {
    lambda_http::http::Request::builder()
        .method("POST")
        .uri("/v1/incidents")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", key.reveal()))
        .body(lambda_http::Body::from(body))
        .expect("valid request")
}
