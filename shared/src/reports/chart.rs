//! Accessible SVG charts of a report's figures, drawn on the server. Each
//! chart is a `<figure>`: the SVG is an image named by its heading and
//! described in words, and a table beside it holds the same figures for
//! screen readers and for copying. Plain functions returning markup, for the
//! console's reports page.

pub use super::figures::human_seconds;
use super::figures::{Figures, Spread};
use crate::web::{html, Markup};

/// One bar: its label, its value, and the value as written in the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
}

const WIDTH: f64 = 640.0;
const LABEL_WIDTH: f64 = 220.0;
const BAR_HEIGHT: f64 = 28.0;
const GAP: f64 = 10.0;
/// Dark blue on white: well above 3:1 for graphics (WCAG 1.4.11).
const BAR_FILL: &str = "#1d4e89";
const TEXT_FILL: &str = "#0b0c0c";

/// A horizontal bar chart with its table. `id` must be unique on the page
/// (it ties the SVG to its heading and description); `unit` heads the
/// table's value column.
pub fn bar_chart(id: &str, title: &str, unit: &str, bars: &[Bar]) -> Markup {
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let scale = if max > 0.0 { (WIDTH - LABEL_WIDTH - 90.0) / max } else { 0.0 };
    let height = (bars.len().max(1) as f64) * (BAR_HEIGHT + GAP) + GAP;
    let description = if bars.is_empty() {
        "No figures for this period.".to_owned()
    } else {
        bars.iter().map(|b| format!("{}: {}", b.label, b.shown)).collect::<Vec<_>>().join("; ")
    };
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    html! {
        figure class="chart" id=(id) {
            figcaption id=(title_id) { (title) }
            svg xmlns="http://www.w3.org/2000/svg" role="img" width=(WIDTH) height=(height)
                viewBox=(format!("0 0 {WIDTH} {height}")) aria-labelledby=(format!("{title_id} {desc_id}")) {
                desc id=(desc_id) { (description) }
                @for (i, bar) in bars.iter().enumerate() {
                    @let y = GAP + i as f64 * (BAR_HEIGHT + GAP);
                    @let w = (bar.value.max(0.0) * scale).max(if bar.value > 0.0 { 1.0 } else { 0.0 });
                    text x=(LABEL_WIDTH - 8.0) y=(y + BAR_HEIGHT * 0.7) text-anchor="end" fill=(TEXT_FILL)
                        font-size="14" aria-hidden="true" { (bar.label) }
                    rect x=(LABEL_WIDTH) y=(y) width=(w) height=(BAR_HEIGHT) fill=(BAR_FILL) {}
                    text x=(LABEL_WIDTH + w + 6.0) y=(y + BAR_HEIGHT * 0.7) fill=(TEXT_FILL) font-size="14"
                        aria-hidden="true" { (bar.shown) }
                }
            }
            table {
                caption { (title) " (figures)" }
                thead { tr { th scope="col" { "Measure" } th scope="col" { (unit) } } }
                tbody {
                    @for bar in bars {
                        tr { th scope="row" { (bar.label) } td { (bar.shown) } }
                    }
                    @if bars.is_empty() {
                        tr { td colspan="2" { "No figures for this period." } }
                    }
                }
            }
        }
    }
}

fn spread_bars(prefix: &str, s: &Spread) -> Vec<Bar> {
    [("median", s.median), ("90th percentile", s.p90), ("maximum", s.max)]
        .into_iter()
        .filter_map(|(what, v)| {
            v.map(|v| Bar { label: format!("{prefix} {what}"), value: v as f64, shown: human_seconds(v) })
        })
        .collect()
}

/// The report's charts for one set of figures: time to alert, time to
/// acknowledge per role, share acknowledged in time, delivery per channel,
/// checklist completion. `id` prefixes every chart's id.
pub fn figures_charts(id: &str, f: &Figures) -> Markup {
    let mut alert = spread_bars("First message,", &f.time_to_first_message);
    alert.extend(spread_bars("All required roles,", &f.time_to_all_required));
    let acknowledge: Vec<Bar> = f
        .roles
        .iter()
        .filter_map(|r| {
            let m = r.time_to_acknowledge.median?;
            Some(Bar { label: format!("{} (median)", r.role), value: m as f64, shown: human_seconds(m) })
        })
        .collect();
    let in_time: Vec<Bar> = f
        .roles
        .iter()
        .filter_map(|r| {
            let p = r.within_deadline_percent()?;
            Some(Bar {
                label: r.role.clone(),
                value: p as f64,
                shown: format!("{p}% ({} of {})", r.within_deadline, r.alerted),
            })
        })
        .collect();
    let delivery: Vec<Bar> = f
        .channels
        .iter()
        .flat_map(|(channel, c)| {
            [("sent", c.sent), ("delivered", c.delivered), ("failed", c.failed), ("fell back", c.fell_back)]
                .into_iter()
                .map(move |(what, n)| Bar { label: format!("{channel} {what}"), value: n as f64, shown: n.to_string() })
        })
        .collect();
    let checklist: Vec<Bar> = f
        .checklist
        .iter()
        .flat_map(|s| {
            let pct = s.percent_done();
            ["24 h", "72 h", "7 days"].into_iter().enumerate().map(move |(i, at)| Bar {
                label: format!("{} by {at}", s.title),
                value: pct[i] as f64,
                shown: format!("{}% ({} of {})", pct[i], s.done_by[i], s.items),
            })
        })
        .collect();
    html! {
        (bar_chart(&format!("{id}-alert"), "Time from the police report to alerts", "Time", &alert))
        (bar_chart(&format!("{id}-ack"), "Time to acknowledge, per required role", "Median time", &acknowledge))
        (bar_chart(&format!("{id}-in-time"), "Acknowledged within the deadline, per role", "Share", &in_time))
        (bar_chart(&format!("{id}-delivery"), "Messages per channel", "Messages", &delivery))
        (bar_chart(&format!("{id}-checklist"), "Checklist completion per section", "Done", &checklist))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chart_has_its_figures_in_a_table_and_escapes_labels() {
        let bars = vec![
            Bar { label: "comms <team>".into(), value: 90.0, shown: human_seconds(90) },
            Bar { label: "gold".into(), value: 30.0, shown: human_seconds(30) },
        ];
        let html = bar_chart("c1", "Time to acknowledge", "Median time", &bars).into_string();
        assert!(html.contains("role=\"img\""));
        assert!(html.contains("aria-labelledby=\"c1-title c1-desc\""));
        assert!(html.contains("<th scope=\"row\">comms &lt;team&gt;</th><td>1 min 30 s</td>"), "{html}");
        assert!(html.contains("comms &lt;team&gt;: 1 min 30 s; gold: 30 s"), "the description says the figures");
        assert!(!html.contains("<team>"));
    }
}
