//! The Swedish direct-award thresholds (LOU direktupphandlingsgräns) behind `lou` caps (R2).

use chrono::NaiveDate;

use crate::error::SplitError;
use crate::money::Money;

/// One threshold and the day it came into force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Threshold {
    /// The first day it applies.
    pub in_force_from: NaiveDate,
    /// The amount.
    pub amount: Money,
}

/// Thresholds with their effective dates, ordered by date.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ThresholdTable {
    entries: Vec<Threshold>,
}

impl ThresholdTable {
    /// The table shipped with the library (docs/rules.md, reference facts): 534,890 kr from 2016,
    /// 586,907 from 2018, 615,312 from 2020, 626,284 from 2022-01-01 and 700,000 from 2022-02-01.
    pub fn swedish_lou() -> ThresholdTable {
        let entry = |y, m, d, kronor| Threshold {
            // The dates are constants known to be valid.
            in_force_from: NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default(),
            amount: Money::from_kronor(kronor),
        };
        ThresholdTable {
            entries: vec![
                entry(2016, 1, 1, 534_890),
                entry(2018, 1, 1, 586_907),
                entry(2020, 1, 1, 615_312),
                entry(2022, 1, 1, 626_284),
                entry(2022, 2, 1, 700_000),
            ],
        }
    }

    /// A table of the caller's own, e.g. an override read from the agreement workbook.
    ///
    /// # Errors
    /// [`SplitError::BadThresholdTable`] when it is empty, has two entries for one date, or an
    /// amount of zero or less.
    pub fn new(mut entries: Vec<Threshold>) -> Result<ThresholdTable, SplitError> {
        entries.sort_by_key(|t| t.in_force_from);
        let reason = if entries.is_empty() {
            Some("the table is empty".to_owned())
        } else if let Some(w) = entries
            .windows(2)
            .find(|w| w[0].in_force_from == w[1].in_force_from)
        {
            Some(format!("two thresholds from {}", w[0].in_force_from))
        } else {
            entries
                .iter()
                .find(|t| !t.amount.is_positive())
                .map(|t| format!("threshold from {} is {}", t.in_force_from, t.amount))
        };
        match reason {
            Some(reason) => Err(SplitError::BadThresholdTable { reason }),
            None => Ok(ThresholdTable { entries }),
        }
    }

    /// The entries, ordered by date.
    pub fn entries(&self) -> &[Threshold] {
        &self.entries
    }

    /// The threshold in force on `day`, if any was.
    pub fn in_force_on(&self, day: NaiveDate) -> Option<Threshold> {
        self.entries
            .iter()
            .rev()
            .find(|t| t.in_force_from <= day)
            .copied()
    }

    /// The threshold for billing year `year`: the one in force on its first day (R2).
    pub fn for_year(&self, year: i32) -> Option<Threshold> {
        NaiveDate::from_ymd_opt(year, 1, 1).and_then(|day| self.in_force_on(day))
    }
}

impl Default for ThresholdTable {
    fn default() -> ThresholdTable {
        ThresholdTable::swedish_lou()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_of_a_year_is_the_one_in_force_on_1_january() {
        let table = ThresholdTable::swedish_lou();
        let kronor = |year| table.for_year(year).map(|t| t.amount.ore() / 100);
        assert_eq!(kronor(2015), None);
        assert_eq!(kronor(2016), Some(534_890));
        assert_eq!(kronor(2017), Some(534_890));
        assert_eq!(kronor(2019), Some(586_907));
        assert_eq!(kronor(2020), Some(615_312));
        // 700,000 came into force on 1 February 2022, after the year's first day.
        assert_eq!(kronor(2022), Some(626_284));
        assert_eq!(kronor(2023), Some(700_000));
        assert_eq!(kronor(2026), Some(700_000));
    }

    #[test]
    fn an_override_must_make_sense() {
        let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let t = |kronor| Threshold {
            in_force_from: day,
            amount: Money::from_kronor(kronor),
        };
        assert!(ThresholdTable::new(vec![]).is_err());
        assert!(ThresholdTable::new(vec![t(1), t(2)]).is_err());
        let err = ThresholdTable::new(vec![t(0)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "threshold table: threshold from 2024-01-01 is 0.00"
        );
        let table = ThresholdTable::new(vec![t(800_000)]).unwrap();
        assert_eq!(
            table.for_year(2025).unwrap().amount,
            Money::from_kronor(800_000)
        );
    }
}
