//! The figures for a licensee and period, overall and per category, computed
//! from its incidents' report rows.
//!
//! Percentiles are nearest-rank: the p-th percentile of n values is the
//! value at rank ⌈p·n/100⌉ in ascending order, so the median of 1, 2, 3, 4
//! is 2 and every figure is a time that actually happened.

use super::row::{ChannelCounts, IncidentRow, CHECKLIST_HORIZONS_HOURS};
use crate::domain::category::Category;
use crate::domain::policy::Channel;
use serde::Serialize;
use std::collections::BTreeMap;
use time::Duration;

/// Median, 90th percentile and maximum of a set of times, in whole seconds;
/// `count` is how many incidents (or roles) had the time at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Spread {
    pub count: u32,
    pub median: Option<i64>,
    pub p90: Option<i64>,
    pub max: Option<i64>,
}

impl Spread {
    pub fn of(times: impl IntoIterator<Item = Duration>) -> Self {
        let mut seconds: Vec<i64> = times.into_iter().map(|d| d.whole_seconds()).collect();
        seconds.sort_unstable();
        Spread {
            count: seconds.len() as u32,
            median: nearest_rank(&seconds, 50),
            p90: nearest_rank(&seconds, 90),
            max: seconds.last().copied(),
        }
    }
}

/// Nearest-rank percentile of sorted values.
pub fn nearest_rank(sorted: &[i64], percent: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent as usize * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

/// A duration in seconds as people read it: `45 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h`.
pub fn human_seconds(s: i64) -> String {
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => match s % 60 {
            0 => format!("{} min", s / 60),
            r => format!("{} min {r} s", s / 60),
        },
        s if s < 86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        s => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// Acknowledgement by one role across the period's incidents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleFigures {
    pub role: String,
    /// Incidents in which the role was alerted as a required role.
    pub alerted: u32,
    pub acknowledged: u32,
    /// From the role's first message to its acknowledgement.
    pub time_to_acknowledge: Spread,
    /// Acknowledged within the category's deadline, of those alerted.
    pub within_deadline: u32,
}

impl RoleFigures {
    /// Share acknowledged within the deadline, as a whole percentage (None if never alerted).
    pub fn within_deadline_percent(&self) -> Option<u32> {
        (self.alerted > 0).then(|| (self.within_deadline * 100 + self.alerted / 2) / self.alerted)
    }
}

/// A checklist section across the period's incidents: items and items done by each horizon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionFigures {
    pub section_id: String,
    pub title: String,
    pub items: u32,
    pub done_by: [u32; 3],
}

impl SectionFigures {
    /// Whole percentages done by 24 h, 72 h and 7 days.
    pub fn percent_done(&self) -> [u32; 3] {
        self.done_by.map(|d| (d * 100 + self.items / 2).checked_div(self.items).unwrap_or(0))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub incidents: u32,
    pub time_to_first_message: Spread,
    pub time_to_all_required: Spread,
    pub roles: Vec<RoleFigures>,
    pub deputies_alerted: u32,
    /// Incidents in which deputies were alerted.
    pub incidents_with_deputies: u32,
    pub chief_executive_told: u32,
    pub channels: BTreeMap<Channel, ChannelCounts>,
    pub checklist: Vec<SectionFigures>,
    pub closed: u32,
    pub time_to_close: Spread,
}

impl Figures {
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a IncidentRow> + Clone) -> Self {
        let all: Vec<&IncidentRow> = rows.into_iter().collect();
        let mut roles: BTreeMap<&str, (u32, u32, u32, Vec<Duration>)> = BTreeMap::new();
        let mut channels: BTreeMap<Channel, ChannelCounts> = BTreeMap::new();
        let mut checklist: Vec<SectionFigures> = Vec::new();
        for row in &all {
            for role in row.roles.iter().filter(|r| r.required && r.alerted_at.is_some()) {
                let entry = roles.entry(&role.role).or_default();
                entry.0 += 1;
                if let Some(took) = role.time_to_acknowledge() {
                    entry.1 += 1;
                    entry.3.push(took);
                    let deadline = row.acknowledge_within_minutes.map(|m| Duration::minutes(m.into()));
                    if deadline.is_none_or(|d| took <= d) {
                        entry.2 += 1;
                    }
                }
            }
            for (channel, c) in &row.channels {
                let total = channels.entry(*channel).or_default();
                total.sent += c.sent;
                total.delivered += c.delivered;
                total.failed += c.failed;
                total.fell_back += c.fell_back;
                total.pending += c.pending;
            }
            for section in &row.checklist {
                let at = match checklist.iter().position(|s| s.section_id == section.section_id) {
                    Some(i) => i,
                    None => {
                        checklist.push(SectionFigures {
                            section_id: section.section_id.clone(),
                            title: section.title.clone(),
                            items: 0,
                            done_by: [0; 3],
                        });
                        checklist.len() - 1
                    }
                };
                checklist[at].items += section.items;
                for i in 0..CHECKLIST_HORIZONS_HOURS.len() {
                    checklist[at].done_by[i] += section.done_by[i];
                }
            }
        }
        Figures {
            incidents: all.len() as u32,
            time_to_first_message: Spread::of(all.iter().filter_map(|r| r.time_to_first_message())),
            time_to_all_required: Spread::of(all.iter().filter_map(|r| r.time_to_all_required())),
            roles: roles
                .into_iter()
                .map(|(role, (alerted, acknowledged, within, times))| RoleFigures {
                    role: role.to_owned(),
                    alerted,
                    acknowledged,
                    time_to_acknowledge: Spread::of(times),
                    within_deadline: within,
                })
                .collect(),
            deputies_alerted: all.iter().map(|r| r.deputies_alerted).sum(),
            incidents_with_deputies: all.iter().filter(|r| r.deputies_alerted > 0).count() as u32,
            chief_executive_told: all.iter().filter(|r| r.chief_executive_told).count() as u32,
            channels,
            checklist,
            closed: all.iter().filter(|r| r.closed_at.is_some()).count() as u32,
            time_to_close: Spread::of(all.iter().filter_map(|r| r.time_to_close())),
        }
    }
}

/// A licensee's report for a period: every incident, and each category on its own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub overall: Figures,
    /// Per category, most serious first; incidents not yet categorised are left out here.
    pub by_category: Vec<(Category, Figures)>,
}

impl Report {
    pub fn of(rows: &[IncidentRow]) -> Self {
        let mut categories: Vec<Category> = rows.iter().filter_map(|r| r.category).collect();
        categories.sort_unstable_by(|a, b| b.cmp(a));
        categories.dedup();
        Report {
            overall: Figures::of(rows.iter()),
            by_category: categories
                .into_iter()
                .map(|c| (c, Figures::of(rows.iter().filter(move |r| r.category == Some(c)))))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_are_values_that_happened() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 90), Some(4));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 90), Some(9));
        assert_eq!(nearest_rank(&ten, 50), Some(5));
    }

    #[test]
    fn a_spread_counts_only_times_that_exist() {
        let s = Spread::of([Duration::seconds(30), Duration::seconds(10), Duration::seconds(20)]);
        assert_eq!(s, Spread { count: 3, median: Some(20), p90: Some(30), max: Some(30) });
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(human_seconds(45), "45 s");
        assert_eq!(human_seconds(120), "2 min");
        assert_eq!(human_seconds(200), "3 min 20 s");
        assert_eq!(human_seconds(7500), "2 h 5 min");
        assert_eq!(human_seconds(3 * 86_400 + 4 * 3600), "3 d 4 h");
    }
}
