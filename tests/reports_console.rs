//! The console's reports pages (`/console/reports…`) on Lambeth's fixture
//! incident: the period picker with its error summary, the figures with
//! their charts and tables, the CSV exports with their documented headers,
//! the audit export, the printable summary linked from the incident page,
//! every console role reading, and Kent seeing none of it.

#[path = "reports_rig.rs"]
mod rig;

use rig::{get, rig, signed_in};
use sim::domain::staff::ConsoleRole;
use sim::reports::export::{FIGURES_HEADER, ROWS_HEADER, TIMELINE_HEADER};

const NOVEMBER: &str = "from-day=1&from-month=11&from-year=2026&to-day=30&to-month=11&to-year=2026";

#[tokio::test]
async fn the_reports_page_shows_the_periods_figures_with_charts_tables_and_downloads() {
    let rig = rig().await;
    let viewer = signed_in(&rig, "lambeth", ConsoleRole::Viewer).await;
    let r = get(&rig, &format!("/console/reports?{NOVEMBER}"), &viewer).await;
    assert_eq!(r.status(), 200);
    let page = r.body();
    assert!(page.contains(">Reports</a>"), "the nav links the reports");
    assert!(page.contains("value=\"30\"") && page.contains("value=\"2026\""), "the period is shown in the picker");
    assert!(page.contains("<dt>Incidents</dt><dd>1</dd>"), "{page}");
    assert!(page.contains("median 20 s, 90th percentile 20 s, maximum 20 s (of 1 incident)"));
    assert_eq!(page.matches("role=\"img\"").count(), 10, "five charts for all incidents, five for CRITICAL");
    assert_eq!(page.matches("(figures)</caption>").count(), 10, "each chart with its table");
    assert!(page.contains("<th scope=\"row\">First message, median</th><td>20 s</td>"));
    assert!(page.contains("href=\"/console/reports/figures.csv?from=2026-11-01&amp;to=2026-11-30\""));
    assert!(page.contains("href=\"/console/reports/incidents.csv?from=2026-11-01&amp;to=2026-11-30\""));
    assert!(page.contains("href=\"/console/reports/incidents/inc-000001\""), "each incident links its summary");

    // No dates: this month so far.
    let default = get(&rig, "/console/reports", &viewer).await;
    assert_eq!(default.status(), 200);
    assert!(default.body().contains("lambeth") || default.body().contains("Lambeth"));
    assert!(default.body().contains("2026-11-01 to 2026-11-21"), "{}", default.body());

    // Every console role reads reports; Kent reads only its own (none here).
    for role in [ConsoleRole::Admin, ConsoleRole::Duty, ConsoleRole::Dpo] {
        let who = signed_in(&rig, "lambeth", role).await;
        assert_eq!(get(&rig, &format!("/console/reports?{NOVEMBER}"), &who).await.status(), 200, "{role:?}");
    }
    let kent = signed_in(&rig, "kent", ConsoleRole::Duty).await;
    let theirs = get(&rig, &format!("/console/reports?{NOVEMBER}"), &kent).await;
    assert!(theirs.body().contains("<dt>Incidents</dt><dd>0</dd>") && !theirs.body().contains("inc-000001"));
    let signed_out = get(&rig, "/console/reports", "").await;
    assert!(signed_out.body().contains("Sign in to the SIM console") && !signed_out.body().contains("Show report"));
}

#[tokio::test]
async fn a_wrong_date_is_named_in_the_error_summary_and_given_back() {
    let rig = rig().await;
    let duty = signed_in(&rig, "lambeth", ConsoleRole::Duty).await;
    let q = "from-day=31&from-month=2&from-year=2026&to-day=&to-month=11&to-year=2026";
    let r = get(&rig, &format!("/console/reports?{q}"), &duty).await;
    assert_eq!(r.status(), 422);
    let page = r.body();
    assert!(page.contains("<title>Error: Reports - SIM</title>"), "{page}");
    assert!(page.contains("class=\"error-summary\""));
    assert!(page.contains("<a href=\"#from-day\">The start date must be a real date, for example 1 11 2026</a>"));
    assert!(page.contains("<a href=\"#to-day\">The end date must include a day</a>"));
    assert!(page.contains("id=\"from-day\" name=\"from-day\" value=\"31\""), "what was typed is given back");
    assert!(!page.contains("role=\"img\""), "no figures for a period that is not one");
    let backwards = "from-day=2&from-month=11&from-year=2026&to-day=1&to-month=11&to-year=2026";
    let r = get(&rig, &format!("/console/reports?{backwards}"), &duty).await;
    assert_eq!(r.status(), 422);
    assert!(r.body().contains("The end date must be the same as or after the start date"));
}

#[tokio::test]
async fn the_csv_exports_open_with_their_documented_headers() {
    let rig = rig().await;
    let viewer = signed_in(&rig, "lambeth", ConsoleRole::Viewer).await;
    let period = "from=2026-11-01&to=2026-11-30";
    let figures = get(&rig, &format!("/console/reports/figures.csv?{period}"), &viewer).await;
    assert_eq!(figures.status(), 200);
    assert_eq!(figures.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        figures.headers()["content-disposition"],
        "attachment; filename=\"sim-lambeth-2026-11-01-2026-11-30-figures.csv\""
    );
    assert_eq!(figures.headers()["cache-control"], "no-store");
    assert_eq!(figures.body().lines().next(), Some(FIGURES_HEADER));
    assert!(figures.body().contains("\nlambeth,2026-11-01,2026-11-30,all,incidents,,1\n"), "{}", figures.body());
    assert!(figures.body().contains("\nlambeth,2026-11-01,2026-11-30,CRITICAL,time_to_first_message_median_s,,20\n"));

    let rows = get(&rig, &format!("/console/reports/incidents.csv?{period}"), &viewer).await;
    assert_eq!(rows.body().lines().next(), Some(ROWS_HEADER));
    assert!(rows.body().contains("\ninc-000001,2026-11-21T02:10:00Z,CRITICAL,20,20,"), "{}", rows.body());

    let audit = get(&rig, &format!("/console/reports/audit?{period}"), &viewer).await;
    assert_eq!(audit.body().lines().next(), Some(TIMELINE_HEADER));
    assert!(audit.body().lines().skip(1).all(|l| l.starts_with("inc-000001,")));
    let jsonl = get(&rig, &format!("/console/reports/audit?{period}&format=jsonl"), &viewer).await;
    assert_eq!(jsonl.headers()["content-type"], "application/x-ndjson; charset=utf-8");
    let lines: Vec<serde_json::Value> = jsonl.body().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), audit.body().lines().count() - 1);

    let kent = signed_in(&rig, "kent", ConsoleRole::Admin).await;
    let theirs = get(&rig, &format!("/console/reports/incidents.csv?{period}"), &kent).await;
    assert_eq!(theirs.body(), &format!("{ROWS_HEADER}\n"), "Kent gets the header only");
    let none = get(&rig, "/console/reports/figures.csv", &viewer).await;
    assert_eq!(none.status(), 422, "an export needs its period");
}

#[tokio::test]
async fn the_printable_summary_is_linked_from_the_incident_and_hidden_from_other_licensees() {
    let rig = rig().await;
    let viewer = signed_in(&rig, "lambeth", ConsoleRole::Viewer).await;
    let incident = get(&rig, "/console/incidents/inc-000001", &viewer).await;
    assert!(incident.body().contains("href=\"/console/reports/incidents/inc-000001\""));
    let summary = get(&rig, "/console/reports/incidents/inc-000001", &viewer).await;
    assert_eq!(summary.status(), 200);
    let page = summary.body();
    assert!(page.contains("Incident inc-000001: summary for review"));
    assert!(page.contains("21 Nov 2026 02:10:20 GMT (20 s after the report)"), "{page}");
    assert!(!page.contains("<form"), "printable: no navigation or forms");
    let audit = get(&rig, "/console/reports/incidents/inc-000001/audit", &viewer).await;
    assert_eq!(audit.body().lines().next(), Some(TIMELINE_HEADER));

    let kent = signed_in(&rig, "kent", ConsoleRole::Duty).await;
    for path in ["/console/reports/incidents/inc-000001", "/console/reports/incidents/inc-000001/audit"] {
        let r = get(&rig, path, &kent).await;
        assert_eq!(r.status(), 404, "{path}");
        assert!(!r.body().contains("inc-000001,"));
    }
    assert_eq!(get(&rig, "/console/reports/incidents/inc-999999", &viewer).await.status(), 404);
}

/// The local stack has no stream: it refreshes the newest incidents' rows itself.
#[tokio::test]
async fn the_local_stack_keeps_report_rows_up_to_date_without_a_stream() {
    let memory = std::sync::Arc::new(sim::adapters::memory_store::MemoryStore::new());
    let h = sim_tests::Harness::new(
        memory.clone(),
        std::sync::Arc::new(sim::adapters::memory_queue::MemoryQueue::new("c")),
    )
    .seeded()
    .await;
    assert_eq!(h.call(sim_tests::event("intake-report.json")).await.status(), 202);
    let november = sim::reports::Period::month_of(sim_tests::START.date());
    let rows = || async { sim::reports::for_period(&*memory, &sim::demo::lambeth(), november).await.unwrap().rows };
    assert!(rows().await.is_empty());
    let licensees = [sim::demo::lambeth(), sim::demo::kent()];
    assert_eq!(sim_cli::local::report_rows::refresh_newest(&*memory, &*memory, &licensees).await, 1);
    assert_eq!(rows().await.len(), 1);
    assert_eq!(rows().await[0].incident_id.as_str(), "inc-000001");
}
