//! CSV and JSON lines: a period's figures, its per-incident rows, and the
//! audit export of timelines. Timeline entries hold ids, codes and plain
//! descriptions, never victims' or suspects' details; contacts appear by id,
//! and by name only when the caller passes names (council staff only).
//!
//! Text cells that a spreadsheet would run as a formula (starting with `=`,
//! `+`, `-`, `@`) are prefixed with `'`.

use super::figures::{Figures, Spread};
use super::row::IncidentRow;
use super::PeriodReport;
use crate::domain::TimelineEvent;
use std::collections::HashMap;
use std::fmt::Write;

/// The header of `figures_csv`: one figure a line.
pub const FIGURES_HEADER: &str = "licensee,from,to,category,figure,subject,value";
/// The header of `rows_csv`: one incident a line; times in seconds from the police report.
pub const ROWS_HEADER: &str = "incident_id,reported_at,category,time_to_first_message_s,time_to_all_required_s,\
required_roles,required_roles_acknowledged,deputies_alerted,chief_executive_told,messages_sent,\
messages_delivered,messages_failed,messages_fell_back,time_to_close_s";
/// The header of `timeline_csv`.
pub const TIMELINE_HEADER: &str = "incident_id,at,kind,contact_id,contact_name,details";

/// One CSV cell: quoted when it holds a separator, quote or line break;
/// a leading formula character is defused.
pub fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn spread_lines(out: &mut Vec<(String, String, String)>, name: &str, subject: &str, s: &Spread) {
    out.push((format!("{name}_count"), subject.into(), s.count.to_string()));
    out.push((format!("{name}_median_s"), subject.into(), opt(s.median)));
    out.push((format!("{name}_p90_s"), subject.into(), opt(s.p90)));
    out.push((format!("{name}_max_s"), subject.into(), opt(s.max)));
}

/// (figure, subject, value) for every figure, in a fixed order.
pub fn figure_lines(f: &Figures) -> Vec<(String, String, String)> {
    let mut out = vec![("incidents".to_owned(), String::new(), f.incidents.to_string())];
    spread_lines(&mut out, "time_to_first_message", "", &f.time_to_first_message);
    spread_lines(&mut out, "time_to_all_required", "", &f.time_to_all_required);
    for r in &f.roles {
        out.push(("role_alerted".into(), r.role.clone(), r.alerted.to_string()));
        out.push(("role_acknowledged".into(), r.role.clone(), r.acknowledged.to_string()));
        out.push(("role_time_to_acknowledge_median_s".into(), r.role.clone(), opt(r.time_to_acknowledge.median)));
        out.push(("role_time_to_acknowledge_p90_s".into(), r.role.clone(), opt(r.time_to_acknowledge.p90)));
        out.push(("role_within_deadline".into(), r.role.clone(), r.within_deadline.to_string()));
        out.push(("role_within_deadline_percent".into(), r.role.clone(), opt(r.within_deadline_percent())));
    }
    out.push(("deputies_alerted".into(), String::new(), f.deputies_alerted.to_string()));
    out.push(("incidents_with_deputies".into(), String::new(), f.incidents_with_deputies.to_string()));
    out.push(("chief_executive_told".into(), String::new(), f.chief_executive_told.to_string()));
    for (channel, c) in &f.channels {
        out.push(("channel_sent".into(), channel.to_string(), c.sent.to_string()));
        out.push(("channel_delivered".into(), channel.to_string(), c.delivered.to_string()));
        out.push(("channel_failed".into(), channel.to_string(), c.failed.to_string()));
        out.push(("channel_fell_back".into(), channel.to_string(), c.fell_back.to_string()));
        out.push(("channel_pending".into(), channel.to_string(), c.pending.to_string()));
    }
    for s in &f.checklist {
        let pct = s.percent_done();
        out.push(("checklist_items".into(), s.section_id.clone(), s.items.to_string()));
        for (i, label) in ["24h", "72h", "7d"].iter().enumerate() {
            out.push((format!("checklist_done_{label}"), s.section_id.clone(), s.done_by[i].to_string()));
            out.push((format!("checklist_done_{label}_percent"), s.section_id.clone(), pct[i].to_string()));
        }
    }
    out.push(("closed".into(), String::new(), f.closed.to_string()));
    spread_lines(&mut out, "time_to_close", "", &f.time_to_close);
    out
}

/// The period's figures, overall (category `all`) then per category.
pub fn figures_csv(p: &PeriodReport) -> String {
    let mut out = format!("{FIGURES_HEADER}\n");
    let scopes = std::iter::once(("all".to_owned(), &p.report.overall))
        .chain(p.report.by_category.iter().map(|(c, f)| (c.to_string(), f)));
    for (scope, figures) in scopes {
        for (figure, subject, value) in figure_lines(figures) {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{}",
                cell(p.licensee.as_str()),
                p.period.from,
                p.period.to,
                scope,
                figure,
                cell(&subject),
                value
            );
        }
    }
    out
}

/// One line per incident.
pub fn rows_csv(rows: &[IncidentRow]) -> String {
    let mut out = format!("{ROWS_HEADER}\n");
    for r in rows {
        let required: Vec<_> = r.roles.iter().filter(|x| x.required).collect();
        let acknowledged = required.iter().filter(|x| x.acknowledged_at.is_some()).count();
        let (sent, delivered, failed, fell_back) = r
            .channels
            .values()
            .fold((0, 0, 0, 0), |(s, d, f, b), c| (s + c.sent, d + c.delivered, f + c.failed, b + c.fell_back));
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            cell(r.incident_id.as_str()),
            r.reported_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            opt(r.category),
            opt(r.time_to_first_message().map(|d| d.whole_seconds())),
            opt(r.time_to_all_required().map(|d| d.whole_seconds())),
            required.len(),
            acknowledged,
            r.deputies_alerted,
            r.chief_executive_told,
            sent,
            delivered,
            failed,
            fell_back,
            opt(r.time_to_close().map(|d| d.whole_seconds())),
        );
    }
    out
}

/// One JSON object per line: the rows as stored.
pub fn rows_jsonl(rows: &[IncidentRow]) -> String {
    rows.iter().map(|r| serde_json::to_string(r).expect("rows serialise") + "\n").collect()
}

/// Contact names by contact id, for exports to council staff only.
pub type ContactNames = HashMap<String, String>;

/// Timeline entries, one a line, in the order given.
pub fn timeline_csv(events: &[TimelineEvent], names: Option<&ContactNames>) -> String {
    let mut out = format!("{TIMELINE_HEADER}\n");
    for e in events {
        let contact = e.event.contact();
        let name = contact.and_then(|c| names.and_then(|n| n.get(c))).map(String::as_str);
        let details = serde_json::to_string(&e.event).expect("events serialise");
        let _ = writeln!(
            out,
            "{},{},{},{},{},{}",
            cell(e.incident_id.as_str()),
            e.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            e.event.kind(),
            cell(contact.unwrap_or("")),
            cell(name.unwrap_or("")),
            cell(&details)
        );
    }
    out
}

/// Timeline entries as JSON lines; with names, `contact_name` is added beside `contact_id`.
pub fn timeline_jsonl(events: &[TimelineEvent], names: Option<&ContactNames>) -> String {
    let mut out = String::new();
    for e in events {
        let mut value = serde_json::to_value(e).expect("events serialise");
        if let (Some(contact), Some(names)) = (e.event.contact(), names) {
            if let Some(name) = names.get(contact) {
                value["contact_name"] = name.clone().into();
            }
        }
        out.push_str(&value.to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(cell("-1,2"), "\"'-1,2\"");
    }
}
