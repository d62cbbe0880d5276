//! Kinds of transaction, unit prices and tariffs with validity dates (R11).

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::agreement::SourceRef;
use crate::transactions::error::{TransactionError, TransactionProblems};

pub use crate::transactions::kind::Kind;

/// A price per transaction in currency units (kronor): 0 or more, with at most 4 decimals, so
/// that prices in fractions of an öre (e.g. 0.0875 kr per SMS) are exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct UnitPrice(Decimal);

impl UnitPrice {
    /// The most decimals a unit price may have.
    pub const MAX_DECIMALS: u32 = 4;

    /// A unit price from a decimal, exactly; `None` for a negative price, one with more than 4 decimals, or one above 10^9 kr.
    pub fn new(price: Decimal) -> Option<UnitPrice> {
        let exact = price.round_dp(Self::MAX_DECIMALS) == price;
        let in_range = !price.is_sign_negative() && price <= Decimal::from(1_000_000_000u64);
        (exact && in_range).then(|| UnitPrice(price.normalize()))
    }

    /// A unit price of whole öre.
    pub fn from_ore(ore: u32) -> UnitPrice {
        UnitPrice(Decimal::new(i64::from(ore), 2).normalize())
    }

    /// The price in kronor.
    pub fn kronor(&self) -> Decimal {
        self.0
    }

    /// The price in units of 10^-4 kr (hundredths of an öre).
    pub fn ten_thousandths(&self) -> i128 {
        // At most 4 decimals and at most 10^9: always whole and within i128.
        let mut scaled = self.0;
        scaled.rescale(Self::MAX_DECIMALS);
        scaled.mantissa()
    }
}

impl fmt::Display for UnitPrice {
    /// At least two decimals, point-separated: `0.30`, `0.0875`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = self.0;
        if v.scale() < 2 {
            v.rescale(2);
        }
        write!(f, "{v}")
    }
}

/// The unit price of one kind of transaction over a range of days.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Tariff {
    /// The kind it prices.
    pub kind: Kind,
    /// The price of one transaction.
    pub price: UnitPrice,
    /// The first day it is valid.
    pub valid_from: NaiveDate,
    /// The last day it is valid, both included; `None` for no end.
    pub valid_to: Option<NaiveDate>,
    /// Where it was read, e.g. `Tariffs!B3`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub source: Option<SourceRef>,
}

impl Tariff {
    /// A tariff with no source.
    pub fn new(
        kind: Kind,
        price: UnitPrice,
        valid_from: NaiveDate,
        valid_to: Option<NaiveDate>,
    ) -> Tariff {
        Tariff {
            kind,
            price,
            valid_from,
            valid_to,
            source: None,
        }
    }

    /// True when it is valid on `day`.
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day <= to)
    }

    /// Its validity in words, e.g. `2017-01-01..2017-12-31` or `2018-01-01..`.
    pub fn validity(&self) -> String {
        match self.valid_to {
            Some(to) => format!("{}..{to}", self.valid_from),
            None => format!("{}..", self.valid_from),
        }
    }
}

/// Every tariff of an agreement, per kind, with no two of one kind valid on the same day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TariffTable {
    /// Per kind, ordered by first valid day.
    by_kind: BTreeMap<Kind, Vec<Tariff>>,
}

impl TariffTable {
    /// A table of `tariffs`, in any order.
    ///
    /// # Errors
    /// Every problem at once: [`TransactionError::TariffEndsBeforeStart`] and
    /// [`TransactionError::OverlappingTariffs`] (naming both tariffs and the first day they
    /// share).
    pub fn new(tariffs: Vec<Tariff>) -> Result<TariffTable, TransactionProblems> {
        let mut problems = Vec::new();
        let mut by_kind: BTreeMap<Kind, Vec<Tariff>> = BTreeMap::new();
        for t in tariffs {
            if let Some(to) = t.valid_to.filter(|to| *to < t.valid_from) {
                problems.push(TransactionError::TariffEndsBeforeStart {
                    kind: t.kind.clone(),
                    valid_from: t.valid_from,
                    valid_to: to,
                    place: t.source.clone(),
                });
                continue;
            }
            by_kind.entry(t.kind.clone()).or_default().push(t);
        }
        for list in by_kind.values_mut() {
            list.sort_by_key(|t| t.valid_from);
            // Every pair, not only neighbours: a long tariff may overlap several later ones
            // (2017–2019 overlaps both January 2018 and June 2018 onwards). `open` holds the
            // earlier tariffs still valid on the current one's first day; as tariffs come by
            // first day, one that ends before it ends before every later one too.
            let mut open: Vec<&Tariff> = Vec::new();
            for b in list.iter() {
                open.retain(|a| a.valid_to.is_none_or(|to| to >= b.valid_from));
                for a in &open {
                    problems.push(TransactionError::OverlappingTariffs {
                        kind: a.kind.clone(),
                        first: format!("{}{}", a.validity(), place(&a.source)),
                        second: format!("{}{}", b.validity(), place(&b.source)),
                        day: b.valid_from,
                    });
                }
                open.push(b);
            }
        }
        TransactionProblems::check(TariffTable { by_kind }, problems)
    }

    /// The kinds that have a tariff, in order.
    pub fn kinds(&self) -> impl Iterator<Item = &Kind> {
        self.by_kind.keys()
    }

    /// The tariffs of `kind`, ordered by first valid day.
    pub fn tariffs(&self, kind: &Kind) -> &[Tariff] {
        self.by_kind.get(kind).map_or(&[], Vec::as_slice)
    }

    /// The tariff of `kind` valid on `day`.
    pub fn price_on(&self, kind: &Kind, day: NaiveDate) -> Option<&Tariff> {
        let list = self.tariffs(kind);
        // The last tariff starting on or before the day is the only candidate.
        let i = list.partition_point(|t| t.valid_from <= day);
        i.checked_sub(1)
            .and_then(|i| list.get(i))
            .filter(|t| t.valid_on(day))
    }

    /// The first day after `day` on which the price of `kind` may differ from its price on
    /// `day` (a tariff starts or ends), if any.
    pub fn next_change_after(&self, kind: &Kind, day: NaiveDate) -> Option<NaiveDate> {
        let list = self.tariffs(kind);
        let next_start = list.iter().map(|t| t.valid_from).find(|from| *from > day);
        let end_after = self
            .price_on(kind, day)
            .and_then(|t| t.valid_to)
            .and_then(|to| to.succ_opt());
        match (next_start, end_after) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

fn place(source: &Option<SourceRef>) -> String {
    source
        .as_ref()
        .map(|s| format!(" ({s})"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn tariff(kind: &str, ore: u32, from: NaiveDate, to: Option<NaiveDate>) -> Tariff {
        Tariff::new(Kind::new(kind).unwrap(), UnitPrice::from_ore(ore), from, to)
    }

    #[test]
    fn prices_by_date() {
        let table = TariffTable::new(vec![
            tariff("login", 35, day(2020, 1, 1), None),
            tariff("login", 30, day(2017, 1, 1), Some(day(2019, 12, 31))),
        ])
        .unwrap();
        let login = Kind::new("login").unwrap();
        let price = |d| table.price_on(&login, d).map(|t| t.price.to_string());
        assert_eq!(price(day(2016, 12, 31)), None);
        assert_eq!(price(day(2017, 1, 1)).as_deref(), Some("0.30"));
        assert_eq!(price(day(2019, 12, 31)).as_deref(), Some("0.30"));
        assert_eq!(price(day(2020, 1, 1)).as_deref(), Some("0.35"));
        assert_eq!(
            table.next_change_after(&login, day(2018, 5, 5)),
            Some(day(2020, 1, 1))
        );
        assert_eq!(table.next_change_after(&login, day(2020, 5, 5)), None);
    }

    #[test]
    fn overlapping_tariffs_are_named() {
        let err = TariffTable::new(vec![
            tariff("sms", 35, day(2019, 1, 1), Some(day(2019, 12, 31))),
            tariff("sms", 40, day(2019, 9, 16), None),
            tariff("login", 30, day(2019, 1, 1), Some(day(2018, 1, 1))),
        ])
        .unwrap_err();
        let text: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "tariff login: valid to 2018-01-01 is before valid from 2019-01-01",
                "tariffs for sms overlap: 2019-01-01..2019-12-31 and 2019-09-16.. are both valid \
                 on 2019-09-16",
            ]
        );
    }

    /// Regression (A5): only neighbouring tariffs were compared, so A 2017–2019 overlapping
    /// B (January 2018) and C (from June 2018) reported A/B but not A/C.
    #[test]
    fn a_long_tariff_overlapping_several_later_ones_is_reported_with_each() {
        let err = TariffTable::new(vec![
            tariff("login", 30, day(2017, 1, 1), Some(day(2019, 12, 31))),
            tariff("login", 35, day(2018, 1, 1), Some(day(2018, 1, 31))),
            tariff("login", 40, day(2018, 6, 1), None),
            tariff("login", 45, day(2020, 1, 1), None),
        ])
        .unwrap_err();
        let text: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "tariffs for login overlap: 2017-01-01..2019-12-31 and 2018-01-01..2018-01-31 \
                 are both valid on 2018-01-01",
                "tariffs for login overlap: 2017-01-01..2019-12-31 and 2018-06-01.. are both \
                 valid on 2018-06-01",
                "tariffs for login overlap: 2018-06-01.. and 2020-01-01.. are both valid on \
                 2020-01-01",
            ]
        );
    }

    #[test]
    fn kinds_and_prices_are_checked() {
        assert!(Kind::new("").is_err());
        assert!(Kind::new("a b").is_err());
        assert!(Kind::new("a,b").is_err());
        assert_eq!(Kind::new("e-signatur").unwrap().as_str(), "e-signatur");
        assert!(UnitPrice::new(Decimal::new(-1, 2)).is_none());
        assert!(UnitPrice::new(Decimal::new(12345, 5)).is_none());
        let p = UnitPrice::new(Decimal::new(875, 4)).unwrap();
        assert_eq!(p.ten_thousandths(), 875);
        assert_eq!(p.to_string(), "0.0875");
        assert_eq!(UnitPrice::from_ore(150).to_string(), "1.50");
        assert_eq!(UnitPrice::from_ore(150).ten_thousandths(), 15_000);
    }
}
