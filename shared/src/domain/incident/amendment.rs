//! A police amendment to an incident, and what it changes.

use super::report::*;
use super::*;
use crate::domain::area::AreaName;
use crate::domain::validation::{self as v, Errors, FieldError, Object};
use serde_json::Value;
use std::collections::BTreeSet;

/// A police amendment to an incident: any of these fields, at least one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IncidentAmendment {
    pub incident_type: Option<IncidentType>,
    pub weapon: Option<Weapon>,
    /// The full, current list of victims (replaces the previous list).
    pub victims: Option<Vec<Victim>>,
    pub add_flags: BTreeSet<Flag>,
    pub remove_flags: BTreeSet<Flag>,
    /// Areas to add to the incident's connected areas (an area once named
    /// stays: the owning licensee withdraws a share, police do not).
    pub connected_areas: Vec<AreaName>,
}

impl IncidentAmendment {
    pub const FIELDS: &'static [&'static str] =
        &["incident_type", "weapon", "victims", "add_flags", "remove_flags", "connected_areas"];

    pub fn from_json(body: &Value) -> Result<Self, Vec<FieldError>> {
        let mut errs = Errors::default();
        let Some(obj) = Object::new(body, "", &mut errs) else {
            return errs.finish(None);
        };
        obj.deny_unknown(Self::FIELDS, &mut errs);
        if errs.is_empty() && !Self::FIELDS.iter().any(|f| obj.has(f)) {
            errs.add("", format!("must change at least one of: {}", Self::FIELDS.join(", ")));
        }
        let incident_type = obj.optional("incident_type", &mut errs, v::simple(v::choice::<IncidentType>));
        let weapon = obj.optional("weapon", &mut errs, v::simple(v::choice::<Weapon>));
        let victims = obj.optional("victims", &mut errs, v::array_of(MAX_VICTIMS, read_victim));
        let add_flags = obj.optional("add_flags", &mut errs, read_flags);
        let remove_flags = obj.optional("remove_flags", &mut errs, read_flags);
        let connected_areas = obj.optional("connected_areas", &mut errs, read_connected_areas);
        if let (Some(Some(add)), Some(Some(remove))) = (&add_flags, &remove_flags) {
            if let Some(both) = add.intersection(remove).next() {
                errs.add("/remove_flags", format!("cannot add and remove {both} in one update"));
            }
        }
        let built = (|| {
            Some(IncidentAmendment {
                incident_type: incident_type?,
                weapon: weapon?,
                victims: victims?,
                add_flags: add_flags?.unwrap_or_default(),
                remove_flags: remove_flags?.unwrap_or_default(),
                connected_areas: connected_areas?.unwrap_or_default(),
            })
        })();
        errs.finish(built)
    }

    /// The report with this update applied, and a plain description of each
    /// change (none when the update changes nothing, e.g. a police retry).
    pub fn apply(&self, report: &IncidentReport) -> (IncidentReport, Vec<String>) {
        let mut next = report.clone();
        let mut changes = Vec::new();
        if let Some(t) = self.incident_type.filter(|t| *t != report.incident_type) {
            changes.push(format!("incident type {} → {t}", report.incident_type));
            next.incident_type = t;
        }
        if let Some(w) = self.weapon.filter(|w| *w != report.weapon) {
            changes.push(format!("weapon {} → {w}", report.weapon));
            next.weapon = w;
        }
        if let Some(victims) = self.victims.as_ref().filter(|v| !same_victims(v, &report.victims)) {
            next.victims = victims.clone();
            changes.push(format!(
                "victims {} → {}, most severe injury {} → {}",
                report.victims.len(),
                next.victims.len(),
                report.most_severe_injury(),
                next.most_severe_injury()
            ));
        }
        for flag in &self.add_flags {
            if next.flags.insert(*flag) {
                changes.push(format!("flag added: {flag}"));
            }
        }
        for flag in &self.remove_flags {
            if next.flags.remove(flag) {
                changes.push(format!("flag removed: {flag}"));
            }
        }
        let added: Vec<AreaName> = self
            .connected_areas
            .iter()
            .filter(|a| **a != report.location.borough && !report.connected_areas.contains(a))
            .cloned()
            .collect();
        if !added.is_empty() {
            for area in &added {
                changes.push(format!("connected area added: {area}"));
            }
            next.connected_areas.extend(added);
            next.connected_areas = sorted_areas(next.connected_areas);
        }
        (next, changes)
    }
}
