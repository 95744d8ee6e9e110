//! The period picker: GOV.UK date inputs (day, month, year) for the start
//! and end dates, read into a `Period`, or the errors to show in the error
//! summary, each naming the field it links to.

use serde::Deserialize;
use sim::reports::{Period, PeriodError};
use time::{Date, Month};

/// The picker's fields as typed (given back when there is an error).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PeriodForm {
    #[serde(rename = "from-day", default)]
    pub from_day: String,
    #[serde(rename = "from-month", default)]
    pub from_month: String,
    #[serde(rename = "from-year", default)]
    pub from_year: String,
    #[serde(rename = "to-day", default)]
    pub to_day: String,
    #[serde(rename = "to-month", default)]
    pub to_month: String,
    #[serde(rename = "to-year", default)]
    pub to_year: String,
}

/// An error for the summary: the id of the field it links to, and what to do.
pub type FieldError = (&'static str, String);

/// One date input: None when all three parts are empty.
fn date(day: &str, month: &str, year: &str, name: &str) -> Result<Option<Date>, String> {
    let parts = [day.trim(), month.trim(), year.trim()];
    if parts.iter().all(|p| p.is_empty()) {
        return Ok(None);
    }
    for (part, what) in parts.iter().zip(["day", "month", "year"]) {
        if part.is_empty() {
            return Err(format!("The {name} must include a {what}"));
        }
    }
    let number = |p: &str| p.parse::<u16>().ok();
    let real = match (number(parts[0]), number(parts[1]), number(parts[2])) {
        (Some(d), Some(m), Some(y)) if (2000..=2100).contains(&y) => u8::try_from(m)
            .ok()
            .and_then(|m| Month::try_from(m).ok())
            .and_then(|m| Date::from_calendar_date(y.into(), m, u8::try_from(d).ok()?).ok()),
        _ => None,
    };
    real.map(Some).ok_or_else(|| format!("The {name} must be a real date, for example 1 11 2026"))
}

impl PeriodForm {
    /// The period asked for. An empty start is the first of `today`'s month;
    /// an empty end is `today`.
    pub fn period(&self, today: Date) -> Result<Period, Vec<FieldError>> {
        let from = date(&self.from_day, &self.from_month, &self.from_year, "start date");
        let to = date(&self.to_day, &self.to_month, &self.to_year, "end date");
        let mut errors = Vec::new();
        if let Err(e) = &from {
            errors.push(("from-day", e.clone()));
        }
        if let Err(e) = &to {
            errors.push(("to-day", e.clone()));
        }
        let (Ok(from), Ok(to)) = (from, to) else {
            return Err(errors);
        };
        let to = to.unwrap_or(today);
        let from = from.unwrap_or_else(|| Period::month_of(to).from);
        Period::new(from, to).map_err(|e| {
            vec![match e {
                PeriodError::Backwards => ("to-day", "The end date must be the same as or after the start date".into()),
                PeriodError::TooLong => ("to-day", "A report covers at most 366 days: choose a shorter period".into()),
                PeriodError::BadDate => ("from-day", "Enter real dates".into()),
            }]
        })
    }

    /// The form showing `period`'s dates.
    pub fn filled(&self, period: Period) -> Self {
        let parts = |d: Date| (d.day().to_string(), u8::from(d.month()).to_string(), d.year().to_string());
        let (from_day, from_month, from_year) = parts(period.from);
        let (to_day, to_month, to_year) = parts(period.to);
        PeriodForm { from_day, from_month, from_year, to_day, to_month, to_year }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn form(from: [&str; 3], to: [&str; 3]) -> PeriodForm {
        PeriodForm {
            from_day: from[0].into(),
            from_month: from[1].into(),
            from_year: from[2].into(),
            to_day: to[0].into(),
            to_month: to[1].into(),
            to_year: to[2].into(),
        }
    }

    #[test]
    fn dates_are_read_from_day_month_and_year_with_errors_for_the_summary() {
        let today = date!(2026 - 11 - 22);
        assert_eq!(PeriodForm::default().period(today), Ok(Period::new(date!(2026 - 11 - 01), today).unwrap()));
        let p = form(["1", "10", "2026"], ["31", "10", "2026"]).period(today).unwrap();
        assert_eq!((p.from, p.to), (date!(2026 - 10 - 01), date!(2026 - 10 - 31)));
        let e = form(["31", "2", "2026"], ["", "11", "2026"]).period(today).unwrap_err();
        assert_eq!(e[0], ("from-day", "The start date must be a real date, for example 1 11 2026".into()));
        assert_eq!(e[1], ("to-day", "The end date must include a day".into()));
        let e = form(["2", "11", "2026"], ["1", "11", "2026"]).period(today).unwrap_err();
        assert_eq!(e, vec![("to-day", "The end date must be the same as or after the start date".into())]);
        assert!(form(["1", "1", "2025"], ["1", "11", "2026"]).period(today).is_err(), "over a year");
        let filled = PeriodForm::default().filled(p);
        assert_eq!((filled.from_day.as_str(), filled.to_month.as_str()), ("1", "10"));
    }
}
