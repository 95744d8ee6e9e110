//! Categorisation: rules as data, first match wins, each decision with the
//! rule that matched and why. The defaults are the brief's; a licensee may
//! store its own rule set, validated when loaded.

use super::incident::{AgeBand, Flag, IncidentReport, IncidentType, Injury, Weapon};
use crate::choice;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

choice!(
    /// Ordered from least to most serious, so an upgrade is `new > old`.
    Category {
        RecordOnly = "RECORD_ONLY",
        IncidentOfNote = "INCIDENT_OF_NOTE",
        SeriousViolence = "SERIOUS_VIOLENCE",
        Critical = "CRITICAL",
    }
);

/// A test on the facts of an incident.
/// The widest ward window a rule may have (`within_days`): categorisation
/// reads this much of a ward's history before it knows the licensee's rules.
pub const MAX_WARD_WINDOW_DAYS: u32 = 366;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Police set any of these flags.
    AnyFlag(Vec<Flag>),
    IncidentType(Vec<IncidentType>),
    Weapon(Vec<Weapon>),
    /// The most severe injury is at least this.
    InjuryAtLeast(Injury),
    /// At least `count` victims match (injury at least / age under, when given).
    Victims {
        count: u32,
        #[serde(default)]
        injury_at_least: Option<Injury>,
        #[serde(default)]
        under_age: Option<u8>,
    },
    /// At least this many other incidents in the same ward within the window
    /// before this one (so `at_least: 2` means "the third").
    PriorInWard {
        at_least: u32,
        within_days: u32,
    },
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub category: Category,
    /// Plain words for the timeline: why this category.
    pub reason: String,
    pub when: Condition,
}

/// What categorisation knows about an incident.
pub struct Facts<'a> {
    pub report: &'a IncidentReport,
    /// When the other incidents in the same ward happened (from one query).
    pub ward_history: &'a [OffsetDateTime],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub category: Category,
    /// The matching rule's id, or `default` when none matched.
    pub rule: String,
    pub reason: String,
}

/// Age bands end at these ages, so "under N" is exact only for them.
const AGE_BOUNDARIES: &[u8] = &[10, 14, 18, 25, 35, 50, 65];

impl AgeBand {
    /// The age this band ends before (exclusive), if known.
    fn ends_before(self) -> Option<u8> {
        match self {
            AgeBand::Under10 => Some(10),
            AgeBand::From10To13 => Some(14),
            AgeBand::From14To17 => Some(18),
            AgeBand::From18To24 => Some(25),
            AgeBand::From25To34 => Some(35),
            AgeBand::From35To49 => Some(50),
            AgeBand::From50To64 => Some(65),
            AgeBand::Over65 | AgeBand::Unknown => None,
        }
    }
}

impl Condition {
    pub fn holds(&self, facts: &Facts<'_>) -> bool {
        let r = facts.report;
        match self {
            Condition::AnyFlag(flags) => flags.iter().any(|f| r.has(*f)),
            Condition::IncidentType(types) => types.contains(&r.incident_type),
            Condition::Weapon(weapons) => weapons.contains(&r.weapon),
            Condition::InjuryAtLeast(injury) => r.most_severe_injury() >= *injury,
            Condition::Victims { count, injury_at_least, under_age } => {
                let matching = r
                    .victims
                    .iter()
                    .filter(|v| injury_at_least.is_none_or(|i| v.injury >= i))
                    .filter(|v| under_age.is_none_or(|age| v.age_band.ends_before().is_some_and(|e| e <= age)))
                    .count();
                matching >= *count as usize
            }
            Condition::PriorInWard { at_least, within_days } => {
                let since = r.occurred_at - Duration::days((*within_days).into());
                let prior = facts.ward_history.iter().filter(|t| **t >= since && **t <= r.occurred_at).count();
                prior >= *at_least as usize
            }
            Condition::All(all) => all.iter().all(|c| c.holds(facts)),
            Condition::Any(any) => any.iter().any(|c| c.holds(facts)),
        }
    }

    /// The longest ward window any part of this condition looks back over.
    fn ward_window_days(&self) -> Option<u32> {
        match self {
            Condition::PriorInWard { within_days, .. } => Some(*within_days),
            Condition::All(cs) | Condition::Any(cs) => cs.iter().filter_map(Condition::ward_window_days).max(),
            _ => None,
        }
    }

    fn check(&self, at: &str, problems: &mut Vec<String>) {
        match self {
            Condition::AnyFlag(v) if v.is_empty() => problems.push(format!("{at}: any_flag needs at least one flag")),
            Condition::IncidentType(v) if v.is_empty() => problems.push(format!("{at}: incident_type needs a type")),
            Condition::Weapon(v) if v.is_empty() => problems.push(format!("{at}: weapon needs a weapon")),
            Condition::Victims { count, under_age, .. } => {
                if *count == 0 {
                    problems.push(format!("{at}: victims count must be at least 1"));
                }
                if let Some(age) = under_age.filter(|a| !AGE_BOUNDARIES.contains(a)) {
                    problems
                        .push(format!("{at}: under_age must be an age band boundary ({AGE_BOUNDARIES:?}), not {age}"));
                }
            }
            Condition::PriorInWard { within_days, .. } if !(1..=MAX_WARD_WINDOW_DAYS).contains(within_days) => {
                problems.push(format!("{at}: within_days must be 1 to {MAX_WARD_WINDOW_DAYS}"))
            }
            Condition::All(cs) | Condition::Any(cs) if cs.is_empty() => {
                problems.push(format!("{at}: all/any needs at least one condition"))
            }
            Condition::All(cs) | Condition::Any(cs) => {
                for (i, c) in cs.iter().enumerate() {
                    c.check(&format!("{at}/{i}"), problems);
                }
            }
            _ => {}
        }
    }
}

/// An ordered rule set: the first rule whose condition holds decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Rule>", into = "Vec<Rule>")]
pub struct RuleSet(Vec<Rule>);

impl TryFrom<Vec<Rule>> for RuleSet {
    type Error = RuleSetError;
    fn try_from(rules: Vec<Rule>) -> Result<Self, RuleSetError> {
        Self::new(rules)
    }
}

impl From<RuleSet> for Vec<Rule> {
    fn from(set: RuleSet) -> Vec<Rule> {
        set.0
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the rule set is not valid: {}", .0.join("; "))]
pub struct RuleSetError(pub Vec<String>);

impl RuleSet {
    /// A validated rule set: unique non-empty ids and reasons, well-formed conditions.
    pub fn new(rules: Vec<Rule>) -> Result<Self, RuleSetError> {
        let mut problems = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.id.trim().is_empty() || !seen.insert(rule.id.clone()) {
                problems.push(format!("rule {i}: id must be present and unique"));
            }
            if rule.reason.trim().is_empty() {
                problems.push(format!("rule {i} ({}): reason must be given", rule.id));
            }
            rule.when.check(&format!("rule {i} ({})", rule.id), &mut problems);
        }
        if problems.is_empty() {
            Ok(Self(rules))
        } else {
            Err(RuleSetError(problems))
        }
    }

    /// Parses and validates a licensee's rules from JSON.
    pub fn from_json(text: &str) -> Result<Self, RuleSetError> {
        let rules: Vec<Rule> = serde_json::from_str(text).map_err(|e| RuleSetError(vec![e.to_string()]))?;
        Self::new(rules)
    }

    pub fn rules(&self) -> &[Rule] {
        &self.0
    }

    /// How far back the ward history must reach, if any rule asks for it.
    pub fn ward_window(&self) -> Option<Duration> {
        self.ward_window_days().map(|d| Duration::days(d.into()))
    }

    /// `ward_window` in whole days (1 to `MAX_WARD_WINDOW_DAYS`), as the
    /// hand-off message carries it.
    pub fn ward_window_days(&self) -> Option<u32> {
        self.0.iter().filter_map(|r| r.when.ward_window_days()).max()
    }

    pub fn decide(&self, facts: &Facts<'_>) -> Decision {
        self.0
            .iter()
            .find(|rule| rule.when.holds(facts))
            .map(|rule| Decision { category: rule.category, rule: rule.id.clone(), reason: rule.reason.clone() })
            .unwrap_or_else(|| Decision {
                category: Category::RecordOnly,
                rule: "default".into(),
                reason: "No rule matched: recorded, no alert".into(),
            })
    }

    /// The brief's default rules (§6).
    pub fn defaults() -> Self {
        use Condition as C;
        let serious_weapons = vec![Weapon::Knife, Weapon::SharpInstrument, Weapon::Firearm, Weapon::CorrosiveSubstance];
        let any_weapon = vec![
            Weapon::Knife,
            Weapon::SharpInstrument,
            Weapon::Firearm,
            Weapon::CorrosiveSubstance,
            Weapon::BluntInstrument,
            Weapon::Other,
        ];
        let rule =
            |id: &str, category, reason: &str, when| Rule { id: id.into(), category, reason: reason.into(), when };
        let rules = vec![
            rule(
                "critical-declared",
                Category::Critical,
                "Police declared a critical incident or convened a gold group",
                C::AnyFlag(vec![Flag::CriticalIncidentDeclared, Flag::GoldGroupConvened]),
            ),
            rule("critical-fatality", Category::Critical, "A victim has died", C::InjuryAtLeast(Injury::Fatal)),
            rule(
                "critical-firearm-injury",
                Category::Critical,
                "A firearm was discharged and someone was injured",
                C::All(vec![
                    C::Any(vec![
                        C::AnyFlag(vec![Flag::FirearmDischarged]),
                        C::IncidentType(vec![IncidentType::Shooting]),
                    ]),
                    C::InjuryAtLeast(Injury::Minor),
                ]),
            ),
            rule(
                "critical-multiple-life-threatening",
                Category::Critical,
                "Two or more victims have life-threatening injuries",
                C::Victims { count: 2, injury_at_least: Some(Injury::LifeThreatening), under_age: None },
            ),
            rule(
                "critical-child-life-threatening",
                Category::Critical,
                "A victim under 18 has a life-threatening injury",
                C::Victims { count: 1, injury_at_least: Some(Injury::LifeThreatening), under_age: Some(18) },
            ),
            rule(
                "serious-weapon-injury",
                Category::SeriousViolence,
                "Knife, firearm, corrosive substance or serious assault with a serious or life-threatening injury",
                C::All(vec![
                    C::Any(vec![C::Weapon(serious_weapons), C::IncidentType(vec![IncidentType::SeriousAssault])]),
                    C::InjuryAtLeast(Injury::Serious),
                ]),
            ),
            rule(
                "serious-weapon-under-25",
                Category::SeriousViolence,
                "A weapon incident involving a victim under 25",
                C::All(vec![
                    C::Weapon(any_weapon),
                    C::Victims { count: 1, injury_at_least: None, under_age: Some(25) },
                ]),
            ),
            rule(
                "serious-community-impact",
                Category::SeriousViolence,
                "High community impact: retaliation risk, footage circulating or near a school",
                C::AnyFlag(vec![Flag::RetaliationRisk, Flag::FootageCirculating, Flag::NearSchool]),
            ),
            rule(
                "note-community-concern",
                Category::IncidentOfNote,
                "Raising community concern",
                C::AnyFlag(vec![Flag::CommunityConcern]),
            ),
            rule(
                "note-cumulative-ward",
                Category::IncidentOfNote,
                "The third incident in the same ward within 28 days",
                C::PriorInWard { at_least: 2, within_days: 28 },
            ),
        ];
        Self::new(rules).expect("the default rules are valid")
    }
}

impl Category {
    pub fn label(self) -> &'static str {
        match self {
            Category::Critical => "CRITICAL",
            Category::SeriousViolence => "SERIOUS VIOLENCE",
            Category::IncidentOfNote => "INCIDENT OF NOTE",
            Category::RecordOnly => "RECORD ONLY",
        }
    }
}

#[cfg(test)]
mod tests;
