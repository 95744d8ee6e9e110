//! The reports function keeps report rows up to date from the table's
//! DynamoDB Stream: the recorded stream records in `events/reports-stream.json`
//! replayed through its handler, in memory and on moto, refresh the
//! incident's row; replaying them again (a redelivery) changes nothing; a
//! later change shows once its records arrive; a store that fails is
//! reported as batch item failures; and the template's filter passes exactly
//! the items a row is derived from.

use reports::{handle, incidents, BatchItemFailure, BatchResponse, StreamEvent, ROW_SOURCES};
use sim::adapters::dynamodb::DynamoStore;
use sim::clock::Clock;
use sim::domain::notification::Acknowledgement;
use sim::domain::policy::Channel;
use sim::domain::{Event, Role, TimelineEvent};
use sim::ids::{ContactId, IncidentId};
use sim::reports::{IncidentRow, Period};
use sim_tests::*;
use time::Duration;

fn repo(path: &str) -> String {
    format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))
}

fn recorded() -> StreamEvent {
    serde_json::from_str(&std::fs::read_to_string(repo("events/reports-stream.json")).unwrap()).unwrap()
}

fn sequence(event: &StreamEvent, index: usize) -> String {
    event.records[index].dynamodb.sequence_number.clone()
}

async fn november_rows(h: &Harness) -> Vec<IncidentRow> {
    sim::reports::for_period(&*h.store, &sim::demo::lambeth(), Period::month_of(START.date())).await.unwrap().rows
}

#[test]
fn a_batch_names_each_changed_incident_once_and_skips_removals() {
    let event = recorded();
    let ids: Vec<(String, String)> = incidents(&event).into_iter().map(|(id, seq)| (id.to_string(), seq)).collect();
    assert_eq!(
        ids,
        vec![("inc-000001".into(), sequence(&event, 0)), ("inc-999999".into(), sequence(&event, 8))],
        "seven records of one incident are one refresh; the TTL removal is none"
    );
}

async fn stream_keeps_the_row_up_to_date(h: Harness, queues: categorise::ChannelQueues) {
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    categorise_handed_on(&h, &categoriser(&h, queues)).await;
    assert!(november_rows(&h).await.is_empty(), "no row before the stream is read");

    let ok = BatchResponse::default();
    assert_eq!(handle(&*h.store, &recorded()).await, ok, "an incident never stored is no failure");
    let rows = november_rows(&h).await;
    assert_eq!(rows.len(), 1);
    let id = IncidentId::parse("inc-000001").unwrap();
    assert_eq!(rows[0].incident_id, id);
    assert_eq!(rows[0].category, Some(sim::domain::category::Category::Critical));
    assert_eq!(rows[0].timeline_events as usize, h.store.timeline(&id).await.unwrap().len());
    let gold = rows[0].roles.iter().find(|r| r.role == "gold").expect("gold alerted");
    assert_eq!(gold.acknowledged_at, None);

    // Gold acknowledges; the stream delivers the write's records.
    h.clock.advance(Duration::minutes(3));
    let ack = Acknowledgement {
        incident_id: id.clone(),
        contact_id: ContactId::parse("con-gold").unwrap(),
        role: Role::parse("gold").unwrap(),
        channel: Channel::Sms,
        at: h.clock.now(),
        user_agent: "Mozilla/5.0 (iPhone)".into(),
        device: "iPhone".into(),
        via: Default::default(),
        note: None,
        recorded_by: None,
    };
    let acknowledged =
        Event::Acknowledged { contact_id: ack.contact_id.clone(), role: ack.role.clone(), channel: Channel::Sms };
    let entry = TimelineEvent::new(&*h.ids, &id, h.clock.now(), acknowledged);
    assert!(h.store.acknowledge(&ack, &[entry]).await.unwrap());
    assert_eq!(handle(&*h.store, &recorded()).await, ok);
    let rows = november_rows(&h).await;
    let gold = rows[0].roles.iter().find(|r| r.role == "gold").unwrap();
    assert_eq!(gold.acknowledged_at, Some(START + Duration::minutes(3)), "the row follows the incident");

    // Redelivered: the same row, still one.
    assert_eq!(handle(&*h.store, &recorded()).await, ok);
    assert_eq!(november_rows(&h).await, rows);
}

#[tokio::test]
async fn the_stream_keeps_the_row_up_to_date_in_memory() {
    stream_keeps_the_row_up_to_date(memory_harness().await, memory_channel_queues()).await;
}

#[tokio::test]
async fn the_stream_keeps_the_row_up_to_date_on_moto() {
    needs_moto!();
    stream_keeps_the_row_up_to_date(moto_harness().await, moto_channel_queues().await).await;
}

#[tokio::test]
async fn a_refresh_that_fails_is_reported_for_the_stream_to_retry() {
    needs_moto!();
    let gone = DynamoStore::from_config(&moto().await, unique("no-such-table"));
    let event = recorded();
    let failures = |seqs: &[usize]| BatchResponse {
        batch_item_failures: seqs.iter().map(|&i| BatchItemFailure { item_identifier: sequence(&event, i) }).collect(),
    };
    assert_eq!(handle(&gone, &event).await, failures(&[0, 8]), "each incident's first record");
    let body = serde_json::to_value(handle(&gone, &event).await).unwrap();
    assert_eq!(body["batchItemFailures"][0]["itemIdentifier"], sequence(&event, 0), "Lambda's response shape");
}

#[test]
fn the_templates_filter_passes_exactly_the_items_a_row_is_derived_from() {
    let text = std::fs::read_to_string(repo("infra/template.yaml")).unwrap();
    let doc: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let function = &doc["Resources"]["ReportsFunction"]["Properties"];
    let source = &function["Events"]["TableChanges"]["Properties"];
    assert_eq!(source["Type"], serde_norway::Value::Null, "properties, not the event");
    assert_eq!(function["Events"]["TableChanges"]["Type"], "DynamoDB");
    assert_eq!(source["FunctionResponseTypes"][0], "ReportBatchItemFailures");
    assert!(
        matches!(source["DestinationConfig"]["OnFailure"]["Destination"], serde_norway::Value::Tagged(_)),
        "an on-failure destination"
    );
    let pattern: serde_json::Value =
        serde_json::from_str(source["FilterCriteria"]["Filters"][0]["Pattern"].as_str().unwrap()).unwrap();
    assert_eq!(pattern["eventName"], serde_json::json!(["INSERT", "MODIFY"]));
    assert_eq!(pattern["dynamodb"]["Keys"]["pk"]["S"], serde_json::json!([{"prefix": "INCIDENT#"}]));
    let sks: Vec<String> = pattern["dynamodb"]["Keys"]["sk"]["S"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().or(v["prefix"].as_str()).unwrap().to_owned())
        .collect();
    let mut sources: Vec<&str> = ROW_SOURCES.to_vec();
    let mut listed: Vec<&str> = sks.iter().map(String::as_str).collect();
    sources.sort_unstable();
    listed.sort_unstable();
    assert_eq!(listed, sources);
    for (v, name) in pattern["dynamodb"]["Keys"]["sk"]["S"].as_array().unwrap().iter().zip(&sks) {
        assert_eq!(v.is_object(), name.ends_with('#'), "{name}: prefixes end in #, exact names do not");
    }
    assert!(!sks.iter().any(|s| "REPORTS#".starts_with(s.as_str())), "a row's own write never triggers a refresh");
    assert_eq!(
        doc["Resources"]["Table"]["Properties"]["StreamSpecification"]["StreamViewType"], "KEYS_ONLY",
        "no item data in the stream"
    );
}

/// `sim refresh-reports`: rows for incidents the stream never saw (written
/// before the reports function was deployed), found through the
/// incidents-by-licensee index, only the licensee's and the period's.
async fn backfill(h: Harness, search: &dyn sim::ports::incident_search::IncidentSearch) {
    use clap::Parser;
    use sim_cli::report::{refresh_reports, RefreshArgs};
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: RefreshArgs,
    }
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    let args = |licensee: &str, from: &str, to: &str| {
        Cli::try_parse_from(["sim", "--licensee", licensee, "--from", from, "--to", to]).unwrap().args
    };
    assert_eq!(refresh_reports(&*h.store, search, &args("kent", "2026-11-01", "2026-11-30")).await.unwrap(), 0);
    assert_eq!(refresh_reports(&*h.store, search, &args("lambeth", "2026-11-22", "2026-11-30")).await.unwrap(), 0);
    assert!(november_rows(&h).await.is_empty());
    assert_eq!(refresh_reports(&*h.store, search, &args("lambeth", "2026-11-21", "2026-11-21")).await.unwrap(), 1);
    let rows = november_rows(&h).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(refresh_reports(&*h.store, search, &args("lambeth", "2026-11-01", "2026-11-30")).await.unwrap(), 1);
    assert_eq!(november_rows(&h).await, rows, "again: the same row");
}

#[tokio::test]
async fn refresh_reports_backfills_rows_in_memory() {
    let memory = std::sync::Arc::new(sim::adapters::memory_store::MemoryStore::new());
    let h = Harness::new(memory.clone(), std::sync::Arc::new(sim::adapters::memory_queue::MemoryQueue::new("c")))
        .seeded()
        .await;
    backfill(h, &*memory).await;
}

#[tokio::test]
async fn refresh_reports_backfills_rows_on_moto() {
    needs_moto!();
    let aws = moto().await;
    let table = unique("sim-backfill");
    let store = DynamoStore::from_config(&aws, table.clone());
    store.create_table_if_missing().await.unwrap();
    let search = sim::adapters::dynamodb_console::DynamoConsoleStore::from_config(&aws, table);
    search.ensure_incident_index().await.unwrap();
    let h = Harness::new(std::sync::Arc::new(store), std::sync::Arc::new(moto_queue().await)).seeded().await;
    backfill(h, &search).await;
}
