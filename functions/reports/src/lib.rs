//! The reports function: keeps each incident's report row up to date from
//! the table's DynamoDB Stream.
//!
//! The stream carries keys only, and the event source mapping's filter
//! passes only inserts and changes of the incident items a row is derived
//! from (`ROW_SOURCES`: the incident, its categorisation, notifications,
//! deliveries, acknowledgements, checklist, follow-up and timeline). A batch
//! names each incident it touches once, and each is re-derived from its own
//! items and stored (`sim::reports::refresh`), so a burst of writes for one
//! incident costs one refresh, and a redelivered batch writes the same row
//! again. Report rows live under `REPORTS#…`, which the filter does not pass:
//! writing a row never triggers another refresh.
//!
//! A refresh that fails is reported as a batch item failure (the incident's
//! first record in the batch): Lambda retries the batch from there, and
//! after its retries sends the batch's description to the on-failure
//! destination, whose alarm asks an operator to run `sim refresh-reports` for
//! the period.

use serde::{Deserialize, Serialize};
use sim::ids::IncidentId;
use sim::ports::Store;

/// Sort keys of the incident items a report row is derived from: exact
/// names, and prefixes ending in `#`. The template's filter lists the same.
pub const ROW_SOURCES: [&str; 8] =
    ["INCIDENT", "CATEGORISATION", "FOLLOWUP", "NOTIFY#", "DELIVERY#", "ACK#", "CHECK#", "EVENT#"];

/// A DynamoDB Stream event as Lambda delivers it (the fields SIM reads).
#[derive(Debug, Clone, Deserialize)]
pub struct StreamEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<StreamRecord>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StreamRecord {
    /// INSERT, MODIFY or REMOVE.
    #[serde(rename = "eventName", default)]
    pub event_name: String,
    pub dynamodb: StreamData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StreamData {
    #[serde(rename = "Keys")]
    pub keys: Keys,
    #[serde(rename = "SequenceNumber")]
    pub sequence_number: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Keys {
    pub pk: StringAttribute,
    pub sk: StringAttribute,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StringAttribute {
    #[serde(rename = "S")]
    pub s: String,
}

/// Lambda's partial batch response for stream sources (`ReportBatchItemFailures`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchResponse {
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<BatchItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchItemFailure {
    /// The record's sequence number: Lambda retries from the lowest reported.
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// Whether an item with this sort key is one a report row is derived from.
pub fn feeds_a_row(sk: &str) -> bool {
    ROW_SOURCES.iter().any(|k| if k.ends_with('#') { sk.starts_with(k) } else { sk == *k })
}

/// The incidents a batch changes, each once, in order, with the sequence
/// number of its first record. Removals (TTL, crypto-shredding) and items a
/// row does not depend on are left out, as the template's filter leaves them
/// out; a record whose key is not an incident's is skipped with a warning.
pub fn incidents(event: &StreamEvent) -> Vec<(IncidentId, String)> {
    let mut out: Vec<(IncidentId, String)> = Vec::new();
    for record in &event.records {
        let keys = &record.dynamodb.keys;
        if record.event_name == "REMOVE" || !feeds_a_row(&keys.sk.s) {
            continue;
        }
        let Some(id) = keys.pk.s.strip_prefix("INCIDENT#") else {
            continue;
        };
        let Ok(id) = IncidentId::parse(id) else {
            tracing::warn!(sequence_number = %record.dynamodb.sequence_number, "stream record with an unreadable incident id skipped");
            continue;
        };
        if !out.iter().any(|(seen, _)| *seen == id) {
            out.push((id, record.dynamodb.sequence_number.clone()));
        }
    }
    out
}

/// Refreshes the report row of every incident the batch changes; reports the
/// first record of each incident whose refresh failed.
pub async fn handle<S: Store + ?Sized>(store: &S, event: &StreamEvent) -> BatchResponse {
    let mut response = BatchResponse::default();
    for (id, sequence_number) in incidents(event) {
        match sim::reports::refresh(store, &id).await {
            Ok(Some(row)) => {
                tracing::info!(incident = %id, timeline_events = row.timeline_events, "report row refreshed")
            }
            // Crypto-shredded or never stored: nothing to report on.
            Ok(None) => tracing::warn!(incident = %id, "no such incident: no report row"),
            Err(error) => {
                tracing::warn!(incident = %id, %error, "report row not refreshed; the stream will retry");
                response.batch_item_failures.push(BatchItemFailure { item_identifier: sequence_number });
            }
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_items_a_row_is_derived_from_feed_it() {
        for sk in ["INCIDENT", "CATEGORISATION", "FOLLOWUP", "NOTIFY#con-1#sms#0", "ACK#con-1", "CHECK#01#02"] {
            assert!(feeds_a_row(sk), "{sk}");
        }
        for sk in ["VAULTKEY", "SUBJECT#sub-1", "INCIDENTS", "PROFILE", "00000001#inc-000001"] {
            assert!(!feeds_a_row(sk), "{sk}");
        }
    }
}
