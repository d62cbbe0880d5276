//! Properties of transaction pricing and aggregation on random inputs: the priced lines add up
//! to Σ count × price exactly (whole-öre prices) or within half an öre per line (finer prices);
//! splitting the rows into pieces and adding the tallies gives the same counts and lines; and a
//! tally priced day by day agrees with the same counts given as pre-counted rows.

use std::sync::Arc;

use billing_core::calendar::{Period, PeriodStarts};
use billing_core::transactions::{
    monthly, price_counts, price_tally, yearly, Count, Kind, Tally, Tariff, TariffTable, UnitPrice,
};
use billing_core::PartyId;
use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;

const PARTIES: [&str; 3] = ["0191", "0114", "0115"];
const KINDS: [&str; 3] = ["login", "signature", "sms"];

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2017, 1, 1).unwrap()
}

/// Transactions as (day from 2017-01-01, party, kind, count).
type Row = (u64, usize, usize, u64);

/// Per kind, tariffs that cover 2017–2018 without gaps: change days (from 1 to 729) and a price
/// in ten-thousandths of a krona for each segment.
#[derive(Clone, Debug)]
struct Case {
    changes: Vec<Vec<u64>>,
    prices: Vec<Vec<i64>>,
    rows: Vec<Row>,
    pieces: Vec<usize>,
    billing: u8,
}

fn case(whole_ore: bool) -> impl Strategy<Value = Case> {
    let price = if whole_ore {
        (0i64..500).prop_map(|o| o * 100).boxed()
    } else {
        (0i64..50_000).boxed()
    };
    let kind_tariffs = (
        prop::collection::btree_set(1u64..729, 0..4),
        prop::collection::vec(price, 5),
    );
    (
        prop::collection::vec(kind_tariffs, 3),
        prop::collection::vec((0u64..730, 0usize..3, 0usize..3, 1u64..1_000_000), 0..40),
        prop::collection::vec(0usize..40, 0..4),
        0u8..3,
    )
        .prop_map(|(tariffs, rows, pieces, billing)| Case {
            changes: tariffs
                .iter()
                .map(|(c, _)| c.iter().copied().collect())
                .collect(),
            prices: tariffs.into_iter().map(|(_, p)| p).collect(),
            rows,
            pieces,
            billing,
        })
}

impl Case {
    fn table(&self) -> TariffTable {
        let mut tariffs = Vec::new();
        for (k, changes) in self.changes.iter().enumerate() {
            let mut bounds = vec![0u64];
            bounds.extend(changes);
            bounds.push(730);
            for (i, w) in bounds.windows(2).enumerate() {
                let price = UnitPrice::new(Decimal::new(self.prices[k][i], 4)).unwrap();
                let from = start() + Days::new(w[0]);
                let to = start() + Days::new(w[1] - 1);
                tariffs.push(Tariff::new(
                    Kind::new(KINDS[k]).unwrap(),
                    price,
                    from,
                    Some(to),
                ));
            }
        }
        TariffTable::new(tariffs).unwrap()
    }

    fn billing(&self) -> PeriodStarts {
        match self.billing {
            0 => monthly(),
            1 => PeriodStarts::half_years(),
            _ => yearly(),
        }
    }

    /// Σ count × price in ten-thousandths of a krona, each at the price of its own day.
    fn exact_total(&self, table: &TariffTable) -> i128 {
        self.rows
            .iter()
            .map(|(d, _, k, n)| {
                let day = start() + Days::new(*d);
                let tariff = table.price_on(&Kind::new(KINDS[*k]).unwrap(), day).unwrap();
                i128::from(*n) * tariff.price.ten_thousandths()
            })
            .sum()
    }
}

fn empty_tally() -> Tally {
    let parties: Arc<[PartyId]> = PARTIES.iter().map(|p| PartyId::new(p).unwrap()).collect();
    let kinds: Arc<[Kind]> = KINDS.iter().map(|k| Kind::new(k).unwrap()).collect();
    Tally::new(parties, kinds, 24)
}

fn tally(rows: &[Row]) -> Tally {
    let mut t = empty_tally();
    for (d, p, k, n) in rows {
        let day = billing_core::transactions::Day::from_date(start() + Days::new(*d)).unwrap();
        t.add(day, *p, *k, *n).unwrap();
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// With prices in whole öre, the lines add up to Σ count × price exactly.
    #[test]
    fn lines_add_up_to_count_times_price(c in case(true)) {
        let table = c.table();
        let lines = price_tally(&tally(&c.rows), &table, &c.billing()).unwrap();
        let total: i128 = lines.iter().map(|l| l.amount.ore()).sum();
        prop_assert_eq!(total * 100, c.exact_total(&table));
        let count: u64 = lines.iter().map(|l| l.count).sum();
        prop_assert_eq!(count, c.rows.iter().map(|r| r.3).sum::<u64>());
        // One line per party, kind, billing period and price, each within its billing period.
        for l in &lines {
            prop_assert!(l.billing_period.start() <= l.priced_days.start());
            prop_assert!(l.priced_days.end() <= l.billing_period.end());
        }
    }

    /// With prices in fractions of an öre, each line is its exact amount rounded to öre, so the
    /// total is within half an öre per line of Σ count × price.
    #[test]
    fn finer_prices_round_per_line(c in case(false)) {
        let table = c.table();
        let lines = price_tally(&tally(&c.rows), &table, &c.billing()).unwrap();
        let total: i128 = lines.iter().map(|l| l.amount.ore()).sum();
        let diff = (total * 100 - c.exact_total(&table)).abs();
        prop_assert!(diff <= 50 * lines.len() as i128, "off by {diff} / 10^4 kr");
        for l in &lines {
            let exact_ore = l.exact * Decimal::ONE_HUNDRED;
            prop_assert!((Decimal::from(l.amount.ore()) - exact_ore).abs() <= Decimal::new(5, 1));
        }
    }

    /// Splitting the rows into pieces, tallying each and adding the tallies gives the same
    /// counts and the same priced lines as one tally of all rows.
    #[test]
    fn pieces_add_up_to_the_whole(c in case(true)) {
        let whole = tally(&c.rows);
        let mut cuts: Vec<usize> = c.pieces.iter().map(|p| p.min(&c.rows.len()).to_owned()).collect();
        cuts.push(0);
        cuts.push(c.rows.len());
        cuts.sort_unstable();
        let mut merged = empty_tally();
        for w in cuts.windows(2) {
            merged.merge(&tally(&c.rows[w[0]..w[1]])).unwrap();
        }
        prop_assert_eq!(&merged, &whole);
        let table = c.table();
        prop_assert_eq!(
            price_tally(&merged, &table, &c.billing()).unwrap(),
            price_tally(&whole, &table, &c.billing()).unwrap()
        );
    }

    /// The tally's days given as pre-counted rows of one day each price the same.
    #[test]
    fn day_counts_price_like_the_tally(c in case(true)) {
        let t = tally(&c.rows);
        let counts: Vec<Count> = t
            .iter()
            .map(|(day, p, k, n)| Count {
                party: t.parties()[p].clone(),
                kind: t.kinds()[k].clone(),
                period: Period::new(day, day.succ_opt().unwrap()).unwrap(),
                count: n,
                source: None,
            })
            .collect();
        let table = c.table();
        prop_assert_eq!(
            price_counts(&counts, &table, &c.billing()).unwrap(),
            price_tally(&t, &table, &c.billing()).unwrap()
        );
    }
}
