//! `sim report` and `sim audit-export`: a licensee's figures for a period,
//! and the audit export of timelines, read from the report rows (one query
//! per month) and the incidents' timelines.

use clap::{Args, ValueEnum};
use sim::ids::{IncidentId, LicenseeId};
use sim::ports::incident_search::{IncidentSearch, Received};
use sim::ports::Store;
use sim::reports::export::{self, ContactNames};
use sim::reports::figures::human_seconds;
use sim::reports::{Figures, Period, PeriodReport, Spread};
use std::error::Error;
use std::fmt::Write;

/// `sim report --licensee ID --from DATE --to DATE [--csv]`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The licensee's id, e.g. lambeth.
    #[arg(long)]
    pub licensee: String,
    /// First day of the period (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub from: String,
    /// Last day of the period, included (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub to: String,
    /// The figures as CSV (header `licensee,from,to,category,figure,subject,value`).
    #[arg(long)]
    pub csv: bool,
    /// One CSV line per incident instead of the figures.
    #[arg(long)]
    pub incidents: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
}

/// `sim audit-export (--incident ID | --licensee ID --from DATE --to DATE) [--format csv|jsonl]`.
#[derive(Debug, Args)]
pub struct AuditExportArgs {
    /// One incident's timeline.
    #[arg(long, conflicts_with_all = ["licensee", "from", "to"], required_unless_present = "licensee")]
    pub incident: Option<String>,
    /// Every timeline of the licensee's incidents reported in the period.
    #[arg(long, requires_all = ["from", "to"])]
    pub licensee: Option<String>,
    #[arg(long)]
    pub from: Option<String>,
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Add contact names beside contact ids: for council staff's records only.
    #[arg(long)]
    pub with_contact_names: bool,
}

/// `sim refresh-reports --licensee ID --from DATE --to DATE`.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// The licensee's id, e.g. lambeth.
    #[arg(long)]
    pub licensee: String,
    /// First day (YYYY-MM-DD, UTC) on which SIM received the police reports.
    #[arg(long)]
    pub from: String,
    /// Last day, included (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub to: String,
}

/// Re-derives and stores the report rows of the licensee's incidents received
/// in the period, found through the incidents-by-licensee index (no scan):
/// after first deploying the `reports` function (its stream starts empty),
/// or when its on-failure alarm says some rows were not refreshed. Idempotent.
/// Returns how many rows were written.
pub async fn refresh_reports(
    store: &dyn Store,
    search: &dyn IncidentSearch,
    args: &RefreshArgs,
) -> Result<u32, Box<dyn Error>> {
    let licensee = licensee(&args.licensee)?;
    let period = Period::parse(&args.from, &args.to)?;
    let received = Received { from: Some(period.start()), to: Some(period.end() - time::Duration::nanoseconds(1)) };
    let (mut cursor, mut refreshed) = (None, 0);
    loop {
        let page = search.recent_incidents(&licensee, received, 100, cursor.as_deref()).await?;
        for id in &page.incidents {
            if sim::reports::refresh(store, id).await?.is_some() {
                refreshed += 1;
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(refreshed),
        }
    }
}

fn licensee(text: &str) -> Result<LicenseeId, Box<dyn Error>> {
    LicenseeId::parse(text).map_err(|e| format!("licensee id '{text}' {e}").into())
}

/// The report as text (or CSV), and how many requests reading its rows took.
pub async fn report(store: &dyn Store, args: &ReportArgs) -> Result<(String, u32), Box<dyn Error>> {
    let licensee = licensee(&args.licensee)?;
    let period = Period::parse(&args.from, &args.to)?;
    let read = sim::reports::for_period(store, &licensee, period).await?;
    let text = if args.incidents {
        export::rows_csv(&read.rows)
    } else if args.csv {
        export::figures_csv(&read)
    } else {
        summary(&read)
    };
    Ok((text, read.requests))
}

fn times(s: &Spread) -> String {
    match (s.median, s.p90, s.max) {
        (Some(m), Some(p), Some(x)) => {
            format!("median {}, 90th percentile {}, maximum {}", human_seconds(m), human_seconds(p), human_seconds(x))
        }
        _ => "none".into(),
    }
}

fn figures(out: &mut String, f: &Figures) {
    let _ = writeln!(out, "  incidents: {}", f.incidents);
    let _ = writeln!(out, "  police report to first message: {}", times(&f.time_to_first_message));
    let _ = writeln!(out, "  police report to every required role alerted: {}", times(&f.time_to_all_required));
    for r in &f.roles {
        let pct = r.within_deadline_percent().map_or("-".into(), |p| format!("{p}%"));
        let _ = writeln!(
            out,
            "  {}: alerted {}, acknowledged {}, within the deadline {} ({pct}); time to acknowledge {}",
            r.role,
            r.alerted,
            r.acknowledged,
            r.within_deadline,
            times(&r.time_to_acknowledge)
        );
    }
    let _ = writeln!(
        out,
        "  escalations: {} deputies alerted in {} incidents; chief executive told in {}",
        f.deputies_alerted, f.incidents_with_deputies, f.chief_executive_told
    );
    for (channel, c) in &f.channels {
        let _ = writeln!(
            out,
            "  {channel}: sent {}, delivered {}, failed {}, fell back {}, not yet sent {}",
            c.sent, c.delivered, c.failed, c.fell_back, c.pending
        );
    }
    for s in &f.checklist {
        let p = s.percent_done();
        let _ = writeln!(
            out,
            "  checklist {}: {} items, done by 24 h {}%, 72 h {}%, 7 days {}%",
            s.title, s.items, p[0], p[1], p[2]
        );
    }
    let _ = writeln!(out, "  closed: {}; time to close {}", f.closed, times(&f.time_to_close));
}

fn summary(p: &PeriodReport) -> String {
    let mut out =
        format!("Report for {} from {} to {} (UTC)\n\nAll incidents\n", p.licensee, p.period.from, p.period.to);
    figures(&mut out, &p.report.overall);
    for (category, f) in &p.report.by_category {
        let _ = writeln!(out, "\n{category}");
        figures(&mut out, f);
    }
    out
}

/// The audit export: one incident's timeline, or those of a period's incidents.
pub async fn audit_export(store: &dyn Store, args: &AuditExportArgs) -> Result<String, Box<dyn Error>> {
    let (licensee_id, ids) = match (&args.incident, &args.licensee, &args.from, &args.to) {
        (Some(id), None, None, None) => {
            let id = IncidentId::parse(id).map_err(|e| format!("incident id '{id}' {e}"))?;
            let incident = store.get_incident(&id).await?.ok_or("no such incident")?;
            (incident.licensee_id, vec![id])
        }
        (None, Some(l), Some(from), Some(to)) => {
            let l = licensee(l)?;
            let period = Period::parse(from, to)?;
            let read = sim::reports::for_period(store, &l, period).await?;
            (l, read.rows.into_iter().map(|r| r.incident_id).collect())
        }
        _ => return Err("name --incident, or --licensee with --from and --to".into()),
    };
    let names: Option<ContactNames> = if args.with_contact_names {
        let contacts = store.contacts(&licensee_id).await?;
        Some(contacts.into_iter().map(|c| (c.id.to_string(), c.name)).collect())
    } else {
        None
    };
    let mut events = Vec::new();
    for id in &ids {
        events.extend(store.timeline(id).await?);
    }
    Ok(match args.format {
        Format::Csv => export::timeline_csv(&events, names.as_ref()),
        Format::Jsonl => export::timeline_jsonl(&events, names.as_ref()),
    })
}
