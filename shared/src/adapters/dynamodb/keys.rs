//! Partition and sort keys: one table, the layout in `docs/data-model.md`.

use crate::domain::incident::PoliceReference;
use crate::domain::AreaName;
use crate::ids::{CallerId, IncidentId, LicenseeId};
use time::OffsetDateTime;

pub const HANDOFF_INDEX: &str = "gsi1";
/// Incidents by licensee and ward, in time order: the cumulative-pattern rule.
pub const WARD_INDEX: &str = "gsi2";
/// Sent notifications by the provider's message id: delivery receipts.
pub const MESSAGE_INDEX: &str = "gsi3";
pub(super) const HANDOFF_PARTITION: &str = "HANDOFF#PENDING";

/// Sort-key form of a time: fixed width so lexical order is time order.
pub(super) fn sortable(at: OffsetDateTime) -> String {
    format!("{:020}", at.unix_timestamp_nanos().max(0))
}

pub(super) fn incident_pk(id: &IncidentId) -> String {
    format!("INCIDENT#{id}")
}
pub(super) fn licensee_pk(id: &LicenseeId) -> String {
    format!("LICENSEE#{id}")
}
pub(super) fn ward_pk(licensee: &LicenseeId, ward: &AreaName) -> String {
    format!("WARD#{licensee}#{}", ward.key())
}
pub(super) fn report_pk(caller: &CallerId, reference: &PoliceReference) -> String {
    format!("REPORT#{caller}#{}", reference.as_str())
}
pub(super) fn message_pk(provider_message_id: &str) -> String {
    format!("MSG#{provider_message_id}")
}
/// A partner licensee's list of shares offered to it (issue 19).
pub(super) fn shared_with_pk(partner: &LicenseeId) -> String {
    format!("SHARED#{partner}")
}
