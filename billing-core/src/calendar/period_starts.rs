//! Billing periods: half-years from 1 January and 1 July by default, or any set of yearly starts.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::calendar::error::CalendarError;
use crate::calendar::period::Period;

/// The days of the year on which billing periods start, e.g. 1 January and 1 July.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PeriodStarts {
    /// (month, day) pairs, sorted, distinct, each valid in every year.
    starts: Vec<(u32, u32)>,
}

impl Default for PeriodStarts {
    fn default() -> PeriodStarts {
        PeriodStarts::half_years()
    }
}

impl PeriodStarts {
    /// Half-years from 1 January and 1 July (R6): H1 = [1 Jan, 1 Jul), H2 = [1 Jul, 1 Jan).
    pub fn half_years() -> PeriodStarts {
        PeriodStarts {
            starts: vec![(1, 1), (7, 1)],
        }
    }

    /// Periods starting on each of `starts` (month, day) every year, in any order.
    ///
    /// # Errors
    /// [`CalendarError::BadPeriodStarts`] when the list is empty, a start repeats, or a start is
    /// not a day of every year (29 February included).
    pub fn new(mut starts: Vec<(u32, u32)>) -> Result<PeriodStarts, CalendarError> {
        let bad = |reason: String| Err(CalendarError::BadPeriodStarts { reason });
        if starts.is_empty() {
            return bad("no period start is given".to_owned());
        }
        for &(m, d) in &starts {
            // 2001 is not a leap year: a start must exist in every year.
            if NaiveDate::from_ymd_opt(2001, m, d).is_none() {
                return bad(format!("{m:02}-{d:02} is not a day of every year"));
            }
        }
        starts.sort_unstable();
        if let Some(w) = starts.windows(2).find(|w| w[0] == w[1]) {
            return bad(format!("{:02}-{:02} is given twice", w[0].0, w[0].1));
        }
        Ok(PeriodStarts { starts })
    }

    /// How many periods a year has: the fee per user and period is F divided by it.
    pub fn per_year(&self) -> usize {
        self.starts.len()
    }

    /// True when `date` is the first day of a period.
    pub fn is_start(&self, date: NaiveDate) -> bool {
        self.starts.contains(&(date.month(), date.day()))
    }

    /// The period that starts on `date`.
    ///
    /// # Errors
    /// [`CalendarError::NotAPeriodStart`] when no period starts that day, and
    /// [`CalendarError::DateOutOfRange`] at the end of the calendar.
    pub fn starting(&self, date: NaiveDate) -> Result<Period, CalendarError> {
        if !self.is_start(date) {
            return Err(CalendarError::NotAPeriodStart {
                date,
                starts: self.to_string(),
            });
        }
        self.containing(date)
    }

    /// The period that contains `date`.
    ///
    /// # Errors
    /// [`CalendarError::DateOutOfRange`] at either end of the calendar.
    pub fn containing(&self, date: NaiveDate) -> Result<Period, CalendarError> {
        let out = || CalendarError::DateOutOfRange {
            what: format!("the billing period around {date}"),
        };
        let start = self.last_start_on_or_before(date).ok_or_else(out)?;
        let end = self.first_start_after(date).ok_or_else(out)?;
        Period::new(start, end).ok_or_else(out)
    }

    /// The period just before `period`.
    ///
    /// # Errors
    /// [`CalendarError::DateOutOfRange`] at the start of the calendar.
    pub fn previous(&self, period: Period) -> Result<Period, CalendarError> {
        let day = period
            .start()
            .pred_opt()
            .ok_or(CalendarError::DateOutOfRange {
                what: format!("the period before {period}"),
            })?;
        self.containing(day)
    }

    /// Every period start from `first` to `last`, both included.
    pub fn starts_between(&self, first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut day = if self.is_start(first) {
            Some(first)
        } else {
            self.first_start_after(first)
        };
        while let Some(d) = day.filter(|d| *d <= last) {
            out.push(d);
            day = self.first_start_after(d);
        }
        out
    }

    fn in_year(&self, year: i32) -> impl Iterator<Item = NaiveDate> + '_ {
        self.starts
            .iter()
            .filter_map(move |&(m, d)| NaiveDate::from_ymd_opt(year, m, d))
    }

    fn last_start_on_or_before(&self, date: NaiveDate) -> Option<NaiveDate> {
        let this_year = self.in_year(date.year()).filter(|d| *d <= date).last();
        this_year.or_else(|| self.in_year(date.year() - 1).last())
    }

    fn first_start_after(&self, date: NaiveDate) -> Option<NaiveDate> {
        let this_year = self.in_year(date.year()).find(|d| *d > date);
        this_year.or_else(|| self.in_year(date.year() + 1).next())
    }
}

impl fmt::Display for PeriodStarts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (m, d)) in self.starts.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{m:02}-{d:02}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// Issue 11: `{:?}` printed the exclusive end (`end: 2011-07-01`) where `{}` printed the
    /// last day; both now print the same bounds.
    #[test]
    fn display_and_debug_print_the_same_bounds() {
        let p = Period::new(day(2011, 1, 1), day(2011, 7, 1)).unwrap();
        assert_eq!(p.to_string(), "2011-01-01..2011-06-30");
        assert_eq!(format!("{p:?}"), "Period(2011-01-01..2011-06-30)");
    }

    #[test]
    fn half_years_have_the_lengths_of_r7() {
        let starts = PeriodStarts::half_years();
        let check = |start: NaiveDate, days: i64| {
            assert_eq!(starts.starting(start).unwrap().days(), days, "{start}");
        };
        check(day(2011, 1, 1), 181);
        check(day(2011, 7, 1), 184);
        check(day(2012, 1, 1), 182);
        check(day(2012, 7, 1), 184);
    }

    #[test]
    fn containing_and_previous() {
        let starts = PeriodStarts::half_years();
        let p = starts.containing(day(2012, 2, 29)).unwrap();
        assert_eq!(p.to_string(), "2012-01-01..2012-06-30");
        assert_eq!(
            starts.previous(p).unwrap().to_string(),
            "2011-07-01..2011-12-31"
        );
        assert_eq!(
            starts.starts_between(day(2010, 1, 1), day(2011, 7, 1)),
            [
                day(2010, 1, 1),
                day(2010, 7, 1),
                day(2011, 1, 1),
                day(2011, 7, 1)
            ]
        );
    }

    #[test]
    fn not_a_period_start_is_an_error() {
        let err = PeriodStarts::half_years()
            .starting(day(2011, 3, 1))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invoice date 2011-03-01 is not a period start (periods start on 01-01, 07-01)"
        );
    }

    #[test]
    fn quarters_and_bad_starts() {
        let q = PeriodStarts::new(vec![(10, 1), (1, 1), (4, 1), (7, 1)]).unwrap();
        assert_eq!(q.containing(day(2011, 12, 31)).unwrap().days(), 92);
        assert!(PeriodStarts::new(vec![]).is_err());
        assert!(PeriodStarts::new(vec![(2, 29)]).is_err());
        assert!(PeriodStarts::new(vec![(1, 1), (1, 1)]).is_err());
        let one = PeriodStarts::new(vec![(3, 1)]).unwrap();
        assert_eq!(one.containing(day(2012, 2, 29)).unwrap().days(), 366);
        assert_eq!(one.containing(day(2013, 2, 28)).unwrap().days(), 365);
    }
}
