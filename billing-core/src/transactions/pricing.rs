//! Pricing counted transactions (R11): each transaction at the unit price valid on its date,
//! one line per party, kind, billing period and price.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::agreement::{PartyId, SourceRef};
use crate::calendar::{Period, PeriodStarts};
use crate::explain::{swedish_decimal, Explanation, Step, Text};
use crate::invoice::{ExtraLine, VatRate};
use crate::money::{group_thousands, Money, RoundingPolicy};
use crate::quantity::{LineQuantity, LumpReason, Unit};
use crate::transactions::error::{TransactionError, TransactionProblems};
use crate::transactions::tally::Tally;

pub use crate::transactions::count::Count;
use crate::transactions::tariff::{Kind, TariffTable, UnitPrice};

/// Transactions of one kind by one party in one billing period at one price, priced.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PricedLine {
    /// The party billed.
    pub party: PartyId,
    /// The kind.
    pub kind: Kind,
    /// The billing period.
    pub billing_period: Period,
    /// The days of the billing period on which this price was valid.
    pub priced_days: Period,
    /// The transactions.
    pub count: u64,
    /// The price of one.
    pub unit_price: UnitPrice,
    /// Where the tariff was read.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tariff_source: Option<SourceRef>,
    /// count × unit price, exactly.
    pub exact: Decimal,
    /// The amount billed: `exact` to öre, half away from zero.
    pub amount: Money,
}

impl PricedLine {
    /// The line in words, e.g. `login 2017-04-01..2017-04-30: 1 234 × 0,30 kr`.
    pub fn description(&self) -> String {
        format!(
            "{} {}: {} × {} kr",
            self.kind,
            self.priced_days,
            group_thousands(&self.count.to_string()),
            price_sv(self.unit_price)
        )
    }

    /// How the amount was derived (R16): the count, the price with its validity, the product
    /// and its rounding.
    pub fn explanation(&self) -> Explanation {
        let step = |label: Text, formula: Option<Text>, value: Text| Step {
            label,
            formula,
            value,
            source: None,
            figure: None,
        };
        let (kind, days) = (&self.kind, self.priced_days);
        let mut price = step(
            Text::new(
                format!("à-pris för {kind} som gäller {days}"),
                format!("unit price of {kind} valid {days}"),
            ),
            None,
            Text::plain(format!("{} kr", price_sv(self.unit_price))),
        );
        price.source = self.tariff_source.clone();
        Explanation {
            pool: format!("transactions:{}", self.kind).into(),
            party: self.party.clone(),
            amount: self.amount,
            steps: vec![
                step(
                    Text::new(
                        format!("transaktioner {kind} under {days}"),
                        format!("{kind} transactions in {days}"),
                    ),
                    None,
                    Text::plain(group_thousands(&self.count.to_string())),
                ),
                price,
                step(
                    Text::new("antal × à-pris", "count × unit price"),
                    Some(Text::plain(format!(
                        "{} × {}",
                        group_thousands(&self.count.to_string()),
                        price_sv(self.unit_price)
                    ))),
                    Text::plain(swedish_decimal(self.exact, 4)),
                ),
                step(
                    Text::new(
                        "avrundat till öre, hälften bort från noll",
                        "rounded to öre, half away from zero",
                    ),
                    None,
                    Text::plain(self.amount.to_swedish()),
                ),
            ]
            .into(),
        }
    }

    /// The line as a "later transaction" for [`crate::invoice::assemble_invoices`].
    pub fn to_extra_line(&self, due: NaiveDate, vat: VatRate) -> ExtraLine {
        ExtraLine {
            party: self.party.clone(),
            due,
            description: self.description(),
            period: Some(self.priced_days),
            amount: self.amount,
            vat,
            quantity: LineQuantity::counted(
                Decimal::from(self.count),
                Unit::Transaction(self.kind.as_str().to_owned()),
                self.unit_price.kronor(),
                self.amount,
                LumpReason::Amount,
            ),
            explanation: std::sync::Arc::new(self.explanation()),
        }
    }
}

/// A unit price the Swedish way, with at least two decimals: `0,30`, `0,0875`.
fn price_sv(price: UnitPrice) -> String {
    price.to_string().replace('.', ",")
}

/// Billing periods of one calendar month each.
pub fn monthly() -> PeriodStarts {
    // Twelve distinct first days of months are always valid starts.
    PeriodStarts::new((1..=12).map(|m| (m, 1)).collect()).unwrap_or_default()
}

/// Billing periods of one calendar year each.
pub fn yearly() -> PeriodStarts {
    PeriodStarts::new(vec![(1, 1)]).unwrap_or_default()
}

/// The key lines are grouped by: party, kind, billing period and the first day of the tariff.
type LineKey = (PartyId, Kind, Period, NaiveDate);

/// Prices pre-counted rows: each row must fall within one billing period and one tariff; rows
/// of the same party, kind, billing period and tariff are added into one line.
///
/// Lines are ordered by party, kind, billing period and price validity. The total of the lines
/// is Σ count × price, each line rounded to öre (exact when prices are whole öre).
///
/// # Errors
/// Every problem at once: [`TransactionError::UnknownKind`], [`TransactionError::NoPrice`],
/// [`TransactionError::CountSpansPriceChange`],
/// [`TransactionError::CountSpansBillingPeriods`], [`TransactionError::CountOverflow`],
/// [`TransactionError::AmountTooLarge`] and [`TransactionError::DateOutOfRange`].
pub fn price_counts(
    counts: &[Count],
    tariffs: &TariffTable,
    billing: &PeriodStarts,
) -> Result<Vec<PricedLine>, TransactionProblems> {
    let mut problems = Vec::new();
    let mut groups: BTreeMap<LineKey, u64> = BTreeMap::new();
    for c in counts.iter().filter(|c| c.count > 0) {
        let start = c.period.start();
        let Ok(bp) = billing.containing(start) else {
            problems.push(TransactionError::DateOutOfRange {
                what: format!("the billing period of {start}"),
            });
            continue;
        };
        if c.period.end() > bp.end() {
            problems.push(TransactionError::CountSpansBillingPeriods {
                party: c.party.clone(),
                kind: c.kind.clone(),
                period: c.period,
                billing: bp,
                place: c.source.clone(),
            });
            continue;
        }
        // A price change inside the period comes first: when the first day has no price but a
        // later day has one, "no valid price" would be wrong for part of the count.
        if let Some(change) = tariffs
            .next_change_after(&c.kind, start)
            .filter(|d| *d < c.period.end())
        {
            problems.push(TransactionError::CountSpansPriceChange {
                party: c.party.clone(),
                kind: c.kind.clone(),
                period: c.period,
                change,
                place: c.source.clone(),
            });
            continue;
        }
        let Some(tariff) = tariffs.price_on(&c.kind, start) else {
            problems.push(no_price(tariffs, c, c.period.days()));
            continue;
        };
        let key = (c.party.clone(), c.kind.clone(), bp, tariff.valid_from);
        let sum = groups.entry(key).or_insert(0);
        match sum.checked_add(c.count) {
            Some(s) => *sum = s,
            None => problems.push(TransactionError::CountOverflow {
                party: c.party.clone(),
                kind: c.kind.clone(),
                date: start,
            }),
        }
    }
    let lines = lines(groups, tariffs, &mut problems);
    TransactionProblems::check(lines, problems)
}

fn no_price(tariffs: &TariffTable, c: &Count, days: i64) -> TransactionError {
    if tariffs.tariffs(&c.kind).is_empty() {
        TransactionError::UnknownKind {
            kind: c.kind.clone(),
            party: c.party.clone(),
            first_day: c.period.start(),
            count: c.count,
            place: c.source.clone(),
        }
    } else {
        TransactionError::NoPrice {
            party: c.party.clone(),
            kind: c.kind.clone(),
            first_day: c.period.start(),
            last_day: c.period.last_day(),
            days: usize::try_from(days).unwrap_or(usize::MAX),
            count: c.count,
            place: c.source.clone(),
        }
    }
}

/// Prices a tally day by day: each day's transactions at the price valid that day, added into
/// one line per party, kind, billing period and price.
///
/// # Errors
/// As [`price_counts`]: days with transactions and no valid price are reported per party, kind
/// and run of consecutive unpriced days.
pub fn price_tally(
    tally: &Tally,
    tariffs: &TariffTable,
    billing: &PeriodStarts,
) -> Result<Vec<PricedLine>, TransactionProblems> {
    let mut problems = Vec::new();
    let mut groups: BTreeMap<LineKey, u64> = BTreeMap::new();
    let mut current_bp: Option<Period> = None;
    // A run of unpriced days: (party, kind, first, last, days, count).
    let mut unpriced: Option<(usize, usize, NaiveDate, NaiveDate, usize, u64)> = None;
    let flush = |run: &mut Option<(usize, usize, NaiveDate, NaiveDate, usize, u64)>,
                 problems: &mut Vec<TransactionError>| {
        if let Some((p, k, first, last, days, count)) = run.take() {
            let c = Count {
                party: tally.parties()[p].clone(),
                kind: tally.kinds()[k].clone(),
                period: Period::new(first, last.succ_opt().unwrap_or(last))
                    .unwrap_or_else(|| day_period(first)),
                count,
                source: None,
            };
            let mut e = no_price(tariffs, &c, 0);
            if let TransactionError::NoPrice { days: d, .. } = &mut e {
                *d = days;
            }
            problems.push(e);
        }
    };
    let mut run: Option<Run> = None;
    for (day, p, k, n) in tally.iter() {
        let bp = match current_bp.filter(|bp| bp.contains(day)) {
            Some(bp) => bp,
            None => match billing.containing(day) {
                Ok(bp) => {
                    current_bp = Some(bp);
                    bp
                }
                Err(_) => {
                    problems.push(TransactionError::DateOutOfRange {
                        what: format!("the billing period of {day}"),
                    });
                    continue;
                }
            },
        };
        let (party, kind) = (&tally.parties()[p], &tally.kinds()[k]);
        match tariffs.price_on(kind, day) {
            Some(t) => {
                // Days come by party, kind and date: add up a run of days of one line before
                // touching the map, which then sees one entry per line.
                let same = matches!(&run, Some((rp, rk, rbp, rfrom, _))
                    if *rp == p && *rk == k && *rbp == bp && *rfrom == t.valid_from);
                if !same {
                    flush_run(&mut run, tally, &mut groups, &mut problems);
                    run = Some((p, k, bp, t.valid_from, 0));
                }
                if let Some(r) = run.as_mut() {
                    match r.4.checked_add(n) {
                        Some(sum) => r.4 = sum,
                        None => problems.push(TransactionError::CountOverflow {
                            party: party.clone(),
                            kind: kind.clone(),
                            date: day,
                        }),
                    }
                }
            }
            None => {
                let extends = matches!(&unpriced, Some((up, uk, _, last, _, _))
                    if *up == p && *uk == k && last.succ_opt() == Some(day));
                if extends {
                    if let Some(run) = unpriced.as_mut() {
                        run.3 = day;
                        run.4 += 1;
                        run.5 = run.5.saturating_add(n);
                    }
                } else {
                    flush(&mut unpriced, &mut problems);
                    unpriced = Some((p, k, day, day, 1, n));
                }
            }
        }
    }
    flush(&mut unpriced, &mut problems);
    flush_run(&mut run, tally, &mut groups, &mut problems);
    let lines = lines(groups, tariffs, &mut problems);
    TransactionProblems::check(lines, problems)
}

/// Days of one line being added up: party and kind indices, billing period, tariff start, count.
type Run = (usize, usize, Period, NaiveDate, u64);

fn flush_run(
    run: &mut Option<Run>,
    tally: &Tally,
    groups: &mut BTreeMap<LineKey, u64>,
    problems: &mut Vec<TransactionError>,
) {
    let Some((p, k, bp, from, n)) = run.take() else {
        return;
    };
    let (Some(party), Some(kind)) = (tally.parties().get(p), tally.kinds().get(k)) else {
        return;
    };
    let sum = groups
        .entry((party.clone(), kind.clone(), bp, from))
        .or_insert(0);
    match sum.checked_add(n) {
        Some(s) => *sum = s,
        None => problems.push(TransactionError::CountOverflow {
            party: party.clone(),
            kind: kind.clone(),
            date: bp.start(),
        }),
    }
}

fn day_period(day: NaiveDate) -> Period {
    // A day's period is empty only at the very end of the calendar, which no Day reaches.
    Period::new(day, day.succ_opt().unwrap_or(day)).unwrap_or_else(|| {
        Period::new(day.pred_opt().unwrap_or(day), day).unwrap_or_else(|| unreachable!())
    })
}

/// The priced lines of the groups, in key order.
fn lines(
    groups: BTreeMap<LineKey, u64>,
    tariffs: &TariffTable,
    problems: &mut Vec<TransactionError>,
) -> Vec<PricedLine> {
    let mut out = Vec::with_capacity(groups.len());
    for ((party, kind, bp, from), count) in groups {
        let Some(tariff) = tariffs.price_on(&kind, from) else {
            continue;
        };
        let first = bp.start().max(tariff.valid_from);
        let end = match tariff.valid_to.and_then(|to| to.succ_opt()) {
            Some(after) => bp.end().min(after),
            None => bp.end(),
        };
        let priced_days = Period::new(first, end).unwrap_or(bp);
        let too_large = || TransactionError::AmountTooLarge {
            what: format!("party {party}: {count} {kind} in {bp}"),
        };
        let exact = i128::from(count)
            .checked_mul(tariff.price.ten_thousandths())
            .and_then(|x| Decimal::try_from_i128_with_scale(x, UnitPrice::MAX_DECIMALS).ok());
        let Some(exact) = exact else {
            problems.push(too_large());
            continue;
        };
        let Ok(amount) = Money::round(exact, RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO) else {
            problems.push(too_large());
            continue;
        };
        out.push(PricedLine {
            party,
            kind,
            billing_period: bp,
            priced_days,
            count,
            unit_price: tariff.price,
            tariff_source: tariff.source.clone(),
            exact: exact.normalize(),
            amount,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transactions::tariff::Tariff;
    use std::sync::Arc;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn kind(k: &str) -> Kind {
        Kind::new(k).unwrap()
    }

    fn pid(p: &str) -> PartyId {
        PartyId::new(p).unwrap()
    }

    /// 0.30 kr per login until 2017-04-15, 0.35 kr from 2017-04-16; signatures 1.50 kr from
    /// 2017-01-01 to 2017-12-31.
    fn table() -> TariffTable {
        TariffTable::new(vec![
            Tariff::new(
                kind("login"),
                UnitPrice::from_ore(30),
                day(2017, 1, 1),
                Some(day(2017, 4, 15)),
            ),
            Tariff::new(
                kind("login"),
                UnitPrice::from_ore(35),
                day(2017, 4, 16),
                None,
            ),
            Tariff::new(
                kind("signature"),
                UnitPrice::from_ore(150),
                day(2017, 1, 1),
                Some(day(2017, 12, 31)),
            ),
        ])
        .unwrap()
    }

    fn count(party: &str, k: &str, from: NaiveDate, to: NaiveDate, n: u64) -> Count {
        Count {
            party: pid(party),
            kind: kind(k),
            period: Period::new(from, to.succ_opt().unwrap()).unwrap(),
            count: n,
            source: None,
        }
    }

    fn show(lines: &[PricedLine]) -> Vec<String> {
        lines
            .iter()
            .map(|l| format!("{} {} {} {}", l.party, l.description(), l.exact, l.amount))
            .collect()
    }

    #[test]
    fn a_month_with_a_price_change_gives_two_lines() {
        let parties: Arc<[PartyId]> = [pid("a")].into();
        let kinds: Arc<[Kind]> = [kind("login"), kind("signature")].into();
        let mut tally = Tally::new(parties, kinds, 12);
        for (d, n) in [(1, 10), (15, 1), (16, 100), (30, 3)] {
            tally
                .add_named(day(2017, 4, d), &pid("a"), &kind("login"), n)
                .unwrap();
        }
        tally
            .add_named(day(2017, 5, 2), &pid("a"), &kind("signature"), 3)
            .unwrap();
        let lines = price_tally(&tally, &table(), &monthly()).unwrap();
        assert_eq!(
            show(&lines),
            [
                "a login 2017-04-01..2017-04-15: 11 × 0,30 kr 3.3 3.30",
                "a login 2017-04-16..2017-04-30: 103 × 0,35 kr 36.05 36.05",
                "a signature 2017-05-01..2017-05-31: 3 × 1,50 kr 4.5 4.50",
            ]
        );
        let why = lines[1].explanation().to_string();
        assert!(why.contains("103 × 0,35 = 36,05"), "{why}");
    }

    #[test]
    fn precounted_rows_are_priced_and_grouped() {
        let counts = [
            count("a", "login", day(2017, 4, 1), day(2017, 4, 15), 10),
            count("a", "login", day(2017, 4, 1), day(2017, 4, 1), 1),
            count("a", "login", day(2017, 5, 1), day(2017, 5, 31), 7),
        ];
        let lines = price_counts(&counts, &table(), &monthly()).unwrap();
        assert_eq!(
            show(&lines),
            [
                "a login 2017-04-01..2017-04-15: 11 × 0,30 kr 3.3 3.30",
                "a login 2017-05-01..2017-05-31: 7 × 0,35 kr 2.45 2.45",
            ]
        );
    }

    #[test]
    fn unpriceable_counts_are_named() {
        let counts = [
            count("a", "login", day(2017, 4, 1), day(2017, 4, 30), 10),
            count("a", "login", day(2017, 3, 25), day(2017, 4, 5), 10),
            count("b", "signature", day(2018, 1, 1), day(2018, 1, 31), 2),
            count("b", "sms", day(2018, 1, 1), day(2018, 1, 1), 2),
        ];
        let err = price_counts(&counts, &table(), &monthly()).unwrap_err();
        let text: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "party a: the count of login for 2017-04-01..2017-04-30 spans a price change on \
                 2017-04-16: give one count per price",
                "party a: the count of login for 2017-03-25..2017-04-05 spans two billing \
                 periods (2017-03-01..2017-03-31 ends before it does)",
                "party b: 2 signature transaction(s) on 31 day(s) from 2018-01-01 to 2018-01-31 \
                 have no valid price",
                "party b: 2 sms transaction(s) from 2018-01-01: no tariff for sms",
            ]
        );
    }

    /// Regression (A4): a count whose first day has no price but a later day has one was
    /// reported as having no valid price; it spans a price change. sms priced from 2019-01-10,
    /// a count for January 2019.
    #[test]
    fn a_count_from_before_the_first_price_spans_a_price_change() {
        let table = TariffTable::new(vec![Tariff::new(
            kind("sms"),
            UnitPrice::from_ore(50),
            day(2019, 1, 10),
            None,
        )])
        .unwrap();
        let mut c = count("a", "sms", day(2019, 1, 1), day(2019, 1, 31), 5);
        c.source = Some(SourceRef::new("counts.csv:7"));
        let err = price_counts(&[c], &table, &monthly()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "1 problem\n  party a: the count of sms for 2019-01-01..2019-01-31 (counts.csv:7) \
             spans a price change on 2019-01-10: give one count per price"
        );
    }

    /// Regression (A4): "no valid price" and "no tariff" errors of pre-counted rows did not say
    /// which row they came from.
    #[test]
    fn unpriced_counts_name_their_row() {
        let mut late = count("b", "signature", day(2018, 1, 1), day(2018, 1, 31), 2);
        late.source = Some(SourceRef::new("counts.csv:3"));
        let mut fax = count("b", "fax", day(2018, 1, 1), day(2018, 1, 1), 2);
        fax.source = Some(SourceRef::new("counts.csv:4"));
        let err = price_counts(&[late, fax], &table(), &monthly()).unwrap_err();
        let text: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "party b: 2 signature transaction(s) on 31 day(s) from 2018-01-01 to 2018-01-31 \
                 (counts.csv:3) have no valid price",
                "party b: 2 fax transaction(s) from 2018-01-01 (counts.csv:4): no tariff for fax",
            ]
        );
    }

    #[test]
    fn unpriced_days_of_a_tally_are_reported_as_runs() {
        let parties: Arc<[PartyId]> = [pid("a")].into();
        let kinds: Arc<[Kind]> = [kind("signature")].into();
        let mut tally = Tally::new(parties, kinds, 12);
        for d in [30, 31] {
            tally
                .add_named(day(2017, 12, d), &pid("a"), &kind("signature"), 1)
                .unwrap();
        }
        for d in [1, 2, 5] {
            tally
                .add_named(day(2018, 1, d), &pid("a"), &kind("signature"), 2)
                .unwrap();
        }
        let err = price_tally(&tally, &table(), &monthly()).unwrap_err();
        let text: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "party a: 4 signature transaction(s) on 2 day(s) from 2018-01-01 to 2018-01-02 \
                 have no valid price",
                "party a: 2 signature transaction(s) on 1 day(s) from 2018-01-05 to 2018-01-05 \
                 have no valid price",
            ]
        );
    }

    #[test]
    fn sub_ore_prices_round_per_line() {
        let table = TariffTable::new(vec![Tariff::new(
            kind("sms"),
            UnitPrice::new(Decimal::new(875, 4)).unwrap(),
            day(2019, 1, 1),
            None,
        )])
        .unwrap();
        let counts = [count("a", "sms", day(2019, 1, 1), day(2019, 12, 31), 3)];
        let lines = price_counts(&counts, &table, &yearly()).unwrap();
        assert_eq!(
            show(&lines),
            ["a sms 2019-01-01..2019-12-31: 3 × 0,0875 kr 0.2625 0.26"]
        );
    }
}
