//! Counting transactions per party, kind and day, with an allocation-free hot path.
//!
//! A [`Tally`] holds one block of counters per calendar month that has transactions: a flat
//! array indexed by party, kind and day of the month. Adding a transaction is an index
//! computation and an add; a new block is allocated only the first time a month is seen. Day
//! resolution means that every transaction is later priced at the tariff valid on its own date,
//! whatever the billing period or the tariff changes.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};

use crate::agreement::PartyId;
use crate::calendar::Period;
use crate::transactions::count::Count;
use crate::transactions::error::{TransactionError, TransactionProblems};
use crate::transactions::kind::Kind;

/// A calendar day as year, month and day, checked on construction and cheap to make from
/// digits: the hot path of a file reader builds one per row without going through a calendar
/// library.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day {
    year: u16,
    month: u8,
    day: u8,
}

impl Day {
    /// The day `year-month-day` of years 1–9999, or `None` when there is no such day.
    #[inline]
    pub fn new(year: u32, month: u32, day: u32) -> Option<Day> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let last = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        // The casts are exact: year ≤ 9999, month ≤ 12, day ≤ 31.
        (day <= last).then_some(Day {
            year: year as u16,
            month: month as u8,
            day: day as u8,
        })
    }

    /// The day of a date, if its year is 1–9999.
    pub fn from_date(date: NaiveDate) -> Option<Day> {
        let year = u32::try_from(date.year()).ok()?;
        Day::new(year, date.month(), date.day())
    }

    /// As a date.
    pub fn date(&self) -> NaiveDate {
        // Every Day is a valid date of years 1–9999, which chrono covers.
        NaiveDate::from_ymd_opt(
            i32::from(self.year),
            u32::from(self.month),
            u32::from(self.day),
        )
        .unwrap_or_default()
    }

    /// Months since January of year 0: consecutive months have consecutive keys.
    #[inline]
    fn month_key(&self) -> u32 {
        u32::from(self.year) * 12 + u32::from(self.month) - 1
    }
}

/// The first day of the month of a month key.
fn month_start(key: u32) -> NaiveDate {
    // Keys come from valid days, so the month is a valid month of a valid year.
    let year = i32::try_from(key / 12).unwrap_or(1);
    NaiveDate::from_ymd_opt(year, key % 12 + 1, 1).unwrap_or_default()
}

/// Counts of transactions per party, kind and day.
///
/// Parties and kinds are numbered by their position in the lists given at construction; a
/// reader maps each row's party code and kind to those numbers once per row. Two tallies are
/// equal when they count the same parties and kinds and hold the same non-zero counts.
#[derive(Clone, Debug)]
pub struct Tally {
    parties: Arc<[PartyId]>,
    kinds: Arc<[Kind]>,
    max_months: usize,
    /// Blocks by month key, ascending; each holds `parties × kinds × 31` counters.
    months: Vec<(u32, Box<[u64]>)>,
    /// The index in `months` of the block used last: rows come mostly in date order.
    last: usize,
}

impl PartialEq for Tally {
    fn eq(&self, other: &Tally) -> bool {
        self.parties == other.parties && self.kinds == other.kinds && self.iter().eq(other.iter())
    }
}

impl Eq for Tally {}

impl Tally {
    /// An empty tally of `parties` and `kinds` that holds at most `max_months` distinct months
    /// (each month takes `8 × 31 × parties × kinds` bytes: 216 KiB for 290 parties and 3 kinds).
    pub fn new(parties: Arc<[PartyId]>, kinds: Arc<[Kind]>, max_months: usize) -> Tally {
        Tally {
            parties,
            kinds,
            max_months,
            months: Vec::new(),
            last: 0,
        }
    }

    /// The parties, in index order.
    pub fn parties(&self) -> &Arc<[PartyId]> {
        &self.parties
    }

    /// The kinds, in index order.
    pub fn kinds(&self) -> &Arc<[Kind]> {
        &self.kinds
    }

    /// The index of `party`, if the tally counts it.
    pub fn party_index(&self, party: &PartyId) -> Option<usize> {
        self.parties.iter().position(|p| p == party)
    }

    /// The index of `kind`, if the tally counts it.
    pub fn kind_index(&self, kind: &Kind) -> Option<usize> {
        self.kinds.iter().position(|k| k == kind)
    }

    /// Adds `count` transactions of kind number `kind` by party number `party` on `day`.
    ///
    /// Allocates only the first time a month is seen.
    ///
    /// # Errors
    /// [`TransactionError::OutOfTally`] for an index beyond the lists,
    /// [`TransactionError::TooManyMonths`] for one month more than the limit, and
    /// [`TransactionError::CountOverflow`] when a day's count would pass 2^64.
    #[inline]
    pub fn add(
        &mut self,
        day: Day,
        party: usize,
        kind: usize,
        count: u64,
    ) -> Result<(), TransactionError> {
        let key = day.month_key();
        let block = match self.months.get(self.last) {
            Some((k, _)) if *k == key => self.last,
            _ => self.block(key)?,
        };
        let n_kinds = self.kinds.len();
        if party >= self.parties.len() || kind >= n_kinds {
            return Err(self.out_of_tally(party, kind));
        }
        let index = (party * n_kinds + kind) * 31 + usize::from(day.day) - 1;
        let cell = self
            .months
            .get_mut(block)
            .and_then(|(_, b)| b.get_mut(index));
        match cell.map(|c| c.checked_add(count).map(|sum| *c = sum)) {
            Some(Some(())) => Ok(()),
            Some(None) => Err(self.overflow(party, kind, day.date())),
            None => Err(self.out_of_tally(party, kind)),
        }
    }

    /// Adds every (day, party index, kind index, count) of `rows`, stopping at the first error.
    ///
    /// # Errors
    /// As [`Tally::add`].
    pub fn add_all<I>(&mut self, rows: I) -> Result<(), TransactionError>
    where
        I: IntoIterator<Item = (Day, usize, usize, u64)>,
    {
        rows.into_iter()
            .try_for_each(|(day, party, kind, count)| self.add(day, party, kind, count))
    }

    /// Adds a transaction by party and kind named rather than numbered: a convenience for
    /// small inputs, with a linear search of each list.
    ///
    /// # Errors
    /// As [`Tally::add`], plus [`TransactionError::OutOfTally`] for a party or kind the tally
    /// does not count and [`TransactionError::DateOutOfRange`] for a date outside years 1–9999.
    pub fn add_named(
        &mut self,
        date: NaiveDate,
        party: &PartyId,
        kind: &Kind,
        count: u64,
    ) -> Result<(), TransactionError> {
        let day = Day::from_date(date).ok_or_else(|| TransactionError::DateOutOfRange {
            what: format!("transaction date {date}"),
        })?;
        let p = self.party_index(party).unwrap_or(usize::MAX);
        let k = self.kind_index(kind).unwrap_or(usize::MAX);
        self.add(day, p, k, count)
    }

    /// Adds every count of `other`, which must count the same parties and kinds.
    ///
    /// # Errors
    /// [`TransactionError::OutOfTally`] when the lists differ, and the errors of [`Tally::add`].
    pub fn merge(&mut self, other: &Tally) -> Result<(), TransactionError> {
        if self.parties != other.parties || self.kinds != other.kinds {
            return Err(self.out_of_tally(other.parties.len(), other.kinds.len()));
        }
        for (key, block) in &other.months {
            let mine = self.block(*key)?;
            let Some((_, target)) = self.months.get_mut(mine) else {
                continue;
            };
            for (i, (t, s)) in target.iter_mut().zip(block.iter()).enumerate() {
                match t.checked_add(*s) {
                    Some(sum) => *t = sum,
                    None => {
                        let (party, kind, day) = self.cell(i);
                        let date = month_start(*key) + chrono::Days::new(day as u64);
                        return Err(self.overflow(party, kind, date));
                    }
                }
            }
        }
        Ok(())
    }

    /// Every non-zero count as (day, party index, kind index, count), by party, kind and day.
    pub fn iter(&self) -> impl Iterator<Item = (NaiveDate, usize, usize, u64)> + '_ {
        let cells = self.parties.len() * self.kinds.len();
        (0..cells).flat_map(move |pk| {
            let (party, kind) = (pk / self.kinds.len().max(1), pk % self.kinds.len().max(1));
            self.months.iter().flat_map(move |(key, block)| {
                let start = month_start(*key);
                let days = block.get(pk * 31..pk * 31 + 31).unwrap_or(&[]);
                days.iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .map(move |(d, n)| (start + chrono::Days::new(d as u64), party, kind, *n))
            })
        })
    }

    /// Every non-zero count as a [`Count`] of one day, by party, kind and day: the input of
    /// [`crate::cooperation::fee_review`] and [`crate::transactions::price_counts`].
    pub fn day_counts(&self) -> Vec<Count> {
        self.iter()
            .filter_map(|(day, p, k, count)| {
                Some(Count {
                    party: self.parties.get(p)?.clone(),
                    kind: self.kinds.get(k)?.clone(),
                    period: Period::new(day, day.succ_opt()?)?,
                    count,
                    source: None,
                })
            })
            .collect()
    }

    /// The counts added up per party, kind and calendar month, as (first day of the month,
    /// party index, kind index, count), by party, kind and month: the equivalent of
    /// `GROUP BY party, kind, month`.
    ///
    /// # Errors
    /// [`TransactionError::CountTooLarge`] for every month whose count does not fit 64 bits (a
    /// month holds up to 31 days of 2^64 − 1 each).
    pub fn per_month(&self) -> Result<Vec<(NaiveDate, usize, usize, u64)>, TransactionProblems> {
        let n_kinds = self.kinds.len().max(1);
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for pk in 0..self.parties.len() * self.kinds.len() {
            for (key, block) in &self.months {
                let days = block.get(pk * 31..pk * 31 + 31).unwrap_or(&[]);
                let n: u128 = days.iter().map(|n| u128::from(*n)).sum();
                if n == 0 {
                    continue;
                }
                let (party, kind) = (pk / n_kinds, pk % n_kinds);
                match u64::try_from(n) {
                    Ok(n) => out.push((month_start(*key), party, kind, n)),
                    Err(_) => problems.push(TransactionError::CountTooLarge {
                        what: format!(
                            "party {}: the count of {} in {}",
                            self.name_of_party(party),
                            self.name_of_kind(kind),
                            month_start(*key).format("%Y-%m")
                        ),
                    }),
                }
            }
        }
        TransactionProblems::check(out, problems)
    }

    fn name_of_party(&self, party: usize) -> String {
        self.parties
            .get(party)
            .map_or_else(|| format!("#{party}"), ToString::to_string)
    }

    fn name_of_kind(&self, kind: usize) -> String {
        self.kinds
            .get(kind)
            .map_or_else(|| format!("#{kind}"), ToString::to_string)
    }

    /// All transactions counted.
    pub fn total(&self) -> u128 {
        self.months
            .iter()
            .flat_map(|(_, b)| b.iter())
            .map(|n| u128::from(*n))
            .sum()
    }

    /// The block of month `key`, made if missing.
    fn block(&mut self, key: u32) -> Result<usize, TransactionError> {
        let i = match self.months.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(i) => i,
            Err(i) => {
                if self.months.len() >= self.max_months {
                    let start = month_start(key);
                    return Err(TransactionError::TooManyMonths {
                        limit: self.max_months,
                        month: start.format("%Y-%m").to_string(),
                    });
                }
                let len = self.parties.len() * self.kinds.len() * 31;
                self.months
                    .insert(i, (key, vec![0; len].into_boxed_slice()));
                i
            }
        };
        self.last = i;
        Ok(i)
    }

    fn cell(&self, index: usize) -> (usize, usize, usize) {
        let n_kinds = self.kinds.len().max(1);
        let pk = index / 31;
        (pk / n_kinds, pk % n_kinds, index % 31)
    }

    fn out_of_tally(&self, party: usize, kind: usize) -> TransactionError {
        TransactionError::OutOfTally {
            party,
            kind,
            parties: self.parties.len(),
            kinds: self.kinds.len(),
        }
    }

    fn overflow(&self, party: usize, kind: usize, date: NaiveDate) -> TransactionError {
        TransactionError::CountOverflow {
            party: self
                .parties
                .get(party)
                .cloned()
                .unwrap_or_else(unknown_party),
            kind: self.kinds.get(kind).cloned().unwrap_or_else(unknown_kind),
            date,
        }
    }
}

fn unknown_party() -> PartyId {
    // "?" is a valid id: non-empty, no surrounding spaces.
    PartyId::new("?").unwrap_or_else(|_| unreachable!())
}

fn unknown_kind() -> Kind {
    Kind::new("?").unwrap_or_else(|_| unreachable!())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(max_months: usize) -> Tally {
        let parties: Arc<[PartyId]> = ["0191", "0114"]
            .iter()
            .map(|p| PartyId::new(p).unwrap())
            .collect();
        let kinds: Arc<[Kind]> = ["login", "signature"]
            .iter()
            .map(|k| Kind::new(k).unwrap())
            .collect();
        Tally::new(parties, kinds, max_months)
    }

    #[test]
    fn days_are_checked() {
        assert!(Day::new(2024, 2, 29).is_some());
        assert!(Day::new(2023, 2, 29).is_none());
        assert!(Day::new(1900, 2, 29).is_none());
        assert!(Day::new(2000, 2, 29).is_some());
        assert!(Day::new(2023, 4, 31).is_none());
        assert!(Day::new(2023, 13, 1).is_none());
        assert!(Day::new(0, 1, 1).is_none());
        assert_eq!(
            Day::new(2023, 12, 31).unwrap().date().to_string(),
            "2023-12-31"
        );
    }

    #[test]
    fn counts_per_day_and_month() {
        let mut t = tally(12);
        let d = |m, d| Day::new(2017, m, d).unwrap();
        t.add(d(4, 30), 1, 0, 2).unwrap();
        t.add(d(3, 1), 1, 0, 1).unwrap();
        t.add(d(4, 1), 1, 0, 3).unwrap();
        t.add(d(4, 1), 0, 1, 5).unwrap();
        let rows: Vec<String> = t
            .iter()
            .map(|(day, p, k, n)| format!("{day} {p} {k} {n}"))
            .collect();
        assert_eq!(
            rows,
            [
                "2017-04-01 0 1 5",
                "2017-03-01 1 0 1",
                "2017-04-01 1 0 3",
                "2017-04-30 1 0 2"
            ]
        );
        let months: Vec<String> = t
            .per_month()
            .unwrap()
            .iter()
            .map(|(day, p, k, n)| format!("{day} {p} {k} {n}"))
            .collect();
        assert_eq!(
            months,
            ["2017-04-01 0 1 5", "2017-03-01 1 0 1", "2017-04-01 1 0 5"]
        );
        assert_eq!(t.total(), 11);
    }

    #[test]
    fn bad_indices_months_and_overflow_are_errors() {
        let mut t = tally(1);
        let day = Day::new(2017, 4, 1).unwrap();
        assert!(matches!(
            t.add(day, 2, 0, 1),
            Err(TransactionError::OutOfTally { party: 2, .. })
        ));
        t.add(day, 0, 0, u64::MAX).unwrap();
        assert_eq!(
            t.add(day, 0, 0, 1).unwrap_err().to_string(),
            "party 0191: the count of login on 2017-04-01 is beyond 2^64"
        );
        assert_eq!(
            t.add(Day::new(2017, 5, 1).unwrap(), 0, 0, 1)
                .unwrap_err()
                .to_string(),
            "the transactions fall in more than 1 distinct months (2017-05 is one too many): \
             split the input by year"
        );
    }

    /// Regression (A7): a month whose days add up beyond 2^64 was reported as 2^64 − 1.
    #[test]
    fn a_month_count_beyond_64_bits_is_an_error() {
        let mut t = tally(12);
        t.add(Day::new(2017, 4, 1).unwrap(), 1, 0, u64::MAX)
            .unwrap();
        t.add(Day::new(2017, 4, 2).unwrap(), 1, 0, 1).unwrap();
        t.add(Day::new(2017, 4, 2).unwrap(), 0, 1, 3).unwrap();
        assert_eq!(
            t.per_month().unwrap_err().to_string(),
            "1 problem\n  party 0114: the count of login in 2017-04 is beyond 2^64"
        );
    }

    #[test]
    fn merging_adds_up() {
        let mut a = tally(12);
        let mut b = tally(12);
        let d = Day::new(2017, 4, 9).unwrap();
        a.add(d, 0, 0, 1).unwrap();
        b.add_all([(d, 0, 0, 2), (Day::new(2016, 1, 1).unwrap(), 1, 1, 7)])
            .unwrap();
        a.merge(&b).unwrap();
        assert_eq!(a.total(), 10);
        assert_eq!(a.iter().count(), 2);
    }
}
