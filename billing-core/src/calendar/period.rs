//! A billing period: a non-empty run of days, `[start, end)`. The days periods start on are
//! [`crate::calendar::period_starts`].

use std::fmt;

use chrono::NaiveDate;

/// A billing period: from its first day up to, not including, the next period's first day.
///
/// Never empty: the constructor refuses an end on or before the start.
///
/// `{}` and `{:?}` print the same bounds, the first and the last day, both included
/// (`2011-01-01..2011-06-30`; `{:?}` wraps them in `Period(…)`), the way invoices show them.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    start: NaiveDate,
    end: NaiveDate,
}

impl Period {
    /// The period `[start, end)`, or `None` when it would be empty.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Option<Period> {
        (end > start).then_some(Period { start, end })
    }

    /// Its first day.
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// The first day after it (the next period's start).
    pub fn end(&self) -> NaiveDate {
        self.end
    }

    /// Its last day.
    pub fn last_day(&self) -> NaiveDate {
        self.end.pred_opt().unwrap_or(self.start)
    }

    /// Its number of days, |P|.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days()
    }

    /// True when `day` is in the period.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day < self.end
    }
}

impl fmt::Debug for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Period({self})")
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.last_day())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Period", 3)?;
        s.serialize_field("first_day", &self.start)?;
        s.serialize_field("last_day", &self.last_day())?;
        s.serialize_field("days", &self.days())?;
        s.end()
    }
}
