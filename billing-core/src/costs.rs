//! R12 Fixed and one-off costs: fixed recurring fees and one-off costs are pools like any
//! other, split by any key, billed per month; a one-off cost may be spread over a number of
//! months (docs/rules.md, section "R12 Fixed and one-off costs"). A fixed key's amounts
//! ([`crate::Key::Fixed`]) are checked in [`crate::pool::split`].

use chrono::{Datelike, Months, NaiveDate};
use std::sync::Arc;

use crate::agreement::{Agreement, PartyId};
use crate::calendar::Period;
use crate::error::{Finding, PoolId};
use crate::explain::{Explanation, Step, Text};
use crate::invoice::{ExtraLine, VatRate};
use crate::money::Money;
use crate::pool::split::allocate;
use crate::pool::{Allocation, Pool};
use crate::quantity::{LineQuantity, LumpReason};
use crate::thresholds::ThresholdTable;
use crate::transactions::error::{TransactionError, TransactionProblems};

/// A fee charged every month, e.g. 7,000 kr a month for a hosted service; the pool's amount is
/// the fee for one month.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RecurringFee {
    /// The pool of one month: its amount, key, participants and cap.
    pub pool: Pool,
    /// Any day of the first month charged.
    pub first_month: NaiveDate,
    /// How many months are charged, from the first.
    pub months: u32,
}

/// A cost paid once, e.g. 285,000 kr of start costs, billed in one month or spread evenly over
/// several.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OneOffCost {
    /// The pool: the whole amount, its key, participants and cap.
    pub pool: Pool,
    /// Any day of the month it is billed in (the first month when spread).
    pub month: NaiveDate,
    /// Over how many months it is spread (1: not spread).
    pub spread_months: u32,
}

/// One party's part of a fixed cost for one month.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct CostLine {
    /// The cost's pool.
    pub pool: PoolId,
    /// The cost in words.
    pub name: String,
    /// The party billed.
    pub party: PartyId,
    /// The month it is billed for.
    pub month: Period,
    /// The amount.
    pub amount: Money,
    /// How it was derived: the split, and the spreading when spread.
    pub explanation: Arc<Explanation>,
}

impl CostLine {
    /// The line as an invoice line for [`crate::invoice::assemble_invoices`].
    pub fn to_extra_line(&self, due: NaiveDate, vat: VatRate) -> ExtraLine {
        ExtraLine {
            party: self.party.clone(),
            due,
            description: format!("{} ({}), {}", self.name, self.pool, self.month),
            period: Some(self.month),
            amount: self.amount,
            vat,
            quantity: LineQuantity::lump(self.amount, LumpReason::Amount),
            explanation: self.explanation.clone(),
        }
    }
}

/// The calendar month that contains `day`.
///
/// # Errors
/// [`TransactionError::DateOutOfRange`] at the end of the calendar.
pub fn month_of(day: NaiveDate) -> Result<Period, TransactionError> {
    let out = || TransactionError::DateOutOfRange {
        what: format!("the month of {day}"),
    };
    let first = day.with_day(1).ok_or_else(out)?;
    let next = first.checked_add_months(Months::new(1)).ok_or_else(out)?;
    Period::new(first, next).ok_or_else(out)
}

/// The `n`th month after the month of `day` (0: that month).
fn nth_month(day: NaiveDate, n: u32) -> Result<Period, TransactionError> {
    let start = day
        .with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(n)))
        .ok_or_else(|| TransactionError::DateOutOfRange {
            what: format!("month {n} after {day}"),
        })?;
    month_of(start)
}

/// Each party's part of `fee` for each month it runs: the monthly pool split once by its key
/// (the same parts every month), with the findings of the split.
///
/// # Errors
/// [`TransactionError::ZeroMonths`], [`TransactionError::Split`] for each problem of the pool
/// (unknown parties, missing figures, …) and [`TransactionError::DateOutOfRange`].
pub fn recurring_lines(
    agreement: &Agreement,
    fee: &RecurringFee,
    thresholds: &ThresholdTable,
) -> Result<(Vec<CostLine>, Vec<Finding>), TransactionProblems> {
    if fee.months == 0 {
        return Err(zero_months(&fee.pool, "the number of months charged").into());
    }
    if fee.pool.cap().is_some() {
        return capped_recurring_lines(agreement, fee, thresholds);
    }
    let (allocation, findings) = split(agreement, &fee.pool, thresholds)?;
    // The sums an explanation quotes, once per split rather than once per party (a
    // scan of every part for each party: quadratic at national scale).
    let explainer = allocation.explainer();
    let mut lines = Vec::new();
    for n in 0..fee.months {
        let month = nth_month(fee.first_month, n)?;
        for party in payers(&allocation) {
            let amount = allocation.amount_for(&party);
            let mut explanation = explain(&explainer, &allocation, &party, amount);
            let (i, of) = (n + 1, fee.months);
            explanation.steps.push(step(
                Text::new("debiterad månad", "month charged"),
                None,
                Text::new(
                    format!("{month} (månad {i} av {of})"),
                    format!("{month} (month {i} of {of})"),
                ),
            ));
            lines.push(cost_line(&allocation, party, month, amount, explanation));
        }
    }
    Ok((lines, findings))
}

/// A capped recurring fee: the cap is on a party's amount in a calendar year (R2), so the months
/// of each year are split and capped together — the monthly amount times the months charged in
/// that year — and each party's yearly amount spread over those months (to öre, the leftover
/// öre to the earliest).
fn capped_recurring_lines(
    agreement: &Agreement,
    fee: &RecurringFee,
    thresholds: &ThresholdTable,
) -> Result<(Vec<CostLine>, Vec<Finding>), TransactionProblems> {
    let months = (0..fee.months)
        .map(|n| nth_month(fee.first_month, n))
        .collect::<Result<Vec<_>, _>>()?;
    let mut lines = Vec::new();
    let mut findings = Vec::new();
    let mut start = 0;
    while start < months.len() {
        let year = months[start].start().year();
        let end = start
            + months[start..]
                .iter()
                .take_while(|m| m.start().year() == year)
                .count();
        let in_year = &months[start..end];
        let count = u32::try_from(in_year.len()).unwrap_or(u32::MAX);
        let pool = fee.pool.part_for_year(
            year,
            format!("{} {year} ({count} months)", fee.pool.name()),
            Money::from_ore(fee.pool.amount().ore() * i128::from(count)),
        );
        let (allocation, f) = split(agreement, &pool, thresholds)?;
        // The sums an explanation quotes, once per split rather than once per party (a
        // scan of every part for each party: quadratic at national scale).
        let explainer = allocation.explainer();
        findings.extend(f);
        for party in payers(&allocation) {
            let share = allocation.amount_for(&party);
            for (i, (month, amount)) in in_year.iter().zip(spread(share, count)).enumerate() {
                let mut explanation = explain(&explainer, &allocation, &party, amount);
                let (i, share) = (i + 1, share.to_swedish());
                explanation.steps.push(step(
                    Text::new(
                        format!("takbelopp för {year}: månad {i} av {count} ({month})"),
                        format!("capped for {year}: month {i} of {count} ({month})"),
                    ),
                    Some(Text::new(
                        format!(
                            "{share} för {year} / {count}, överblivna ören på de första månaderna"
                        ),
                        format!(
                            "{share} for {year} / {count}, leftover öre to the earliest months"
                        ),
                    )),
                    Text::plain(amount.to_swedish()),
                ));
                lines.push(cost_line(
                    &allocation,
                    party.clone(),
                    *month,
                    amount,
                    explanation,
                ));
            }
        }
        start = end;
    }
    Ok((lines, findings))
}

/// Each party's part of `cost`: the whole amount split once by its key, then each party's part
/// spread evenly over the months (to öre, the leftover öre to the earliest months), so that
/// spreading never changes what a party pays in all.
///
/// A capped cost is capped per calendar year, like a capped recurring fee: the cap is on a
/// party's amount in a year (R2), so the amount is first spread over the months, and the
/// months of each calendar year are split and capped together.
///
/// # Errors
/// As [`recurring_lines`].
pub fn one_off_lines(
    agreement: &Agreement,
    cost: &OneOffCost,
    thresholds: &ThresholdTable,
) -> Result<(Vec<CostLine>, Vec<Finding>), TransactionProblems> {
    if cost.spread_months == 0 {
        return Err(zero_months(&cost.pool, "the number of months spread over").into());
    }
    if cost.pool.cap().is_some() {
        return capped_one_off_lines(agreement, cost, thresholds);
    }
    let (allocation, findings) = split(agreement, &cost.pool, thresholds)?;
    // The sums an explanation quotes, once per split rather than once per party (a
    // scan of every part for each party: quadratic at national scale).
    let explainer = allocation.explainer();
    let months = (0..cost.spread_months)
        .map(|n| nth_month(cost.month, n))
        .collect::<Result<Vec<_>, _>>()?;
    let mut lines = Vec::new();
    for party in payers(&allocation) {
        let share = allocation.amount_for(&party);
        for (i, (month, amount)) in months
            .iter()
            .zip(spread(share, cost.spread_months))
            .enumerate()
        {
            let mut explanation = explain(&explainer, &allocation, &party, amount);
            if cost.spread_months > 1 {
                let (n, i, share) = (cost.spread_months, i + 1, share.to_swedish());
                explanation.steps.push(step(
                    Text::new(
                        format!("fördelat på {n} månader: månad {i} ({month})"),
                        format!("spread over {n} months: month {i} ({month})"),
                    ),
                    Some(Text::new(
                        format!("{share} / {n}, överblivna ören på de första månaderna"),
                        format!("{share} / {n}, leftover öre to the earliest months"),
                    )),
                    Text::plain(amount.to_swedish()),
                ));
            }
            lines.push(cost_line(
                &allocation,
                party.clone(),
                *month,
                amount,
                explanation,
            ));
        }
    }
    Ok((lines, findings))
}

/// A capped one-off cost: the amount spread over its months (leftover öre to the earliest),
/// the months of each calendar year split and capped together as one pool of that year, and
/// each party's yearly amount spread over those months.
fn capped_one_off_lines(
    agreement: &Agreement,
    cost: &OneOffCost,
    thresholds: &ThresholdTable,
) -> Result<(Vec<CostLine>, Vec<Finding>), TransactionProblems> {
    let months = (0..cost.spread_months)
        .map(|n| nth_month(cost.month, n))
        .collect::<Result<Vec<_>, _>>()?;
    let monthly = spread(cost.pool.amount(), cost.spread_months);
    let mut lines = Vec::new();
    let mut findings = Vec::new();
    let mut start = 0;
    while start < months.len() {
        let year = months[start].start().year();
        let end = start
            + months[start..]
                .iter()
                .take_while(|m| m.start().year() == year)
                .count();
        let in_year = &months[start..end];
        let count = u32::try_from(in_year.len()).unwrap_or(u32::MAX);
        let name = if cost.spread_months > 1 {
            format!(
                "{} {year} ({count} of {} months)",
                cost.pool.name(),
                cost.spread_months
            )
        } else {
            cost.pool.name().to_owned()
        };
        let pool = cost.pool.part_for_year(
            year,
            name,
            monthly.get(start..end).unwrap_or(&[]).iter().copied().sum(),
        );
        let (allocation, f) = split(agreement, &pool, thresholds)?;
        // The sums an explanation quotes, once per split rather than once per party (a
        // scan of every part for each party: quadratic at national scale).
        let explainer = allocation.explainer();
        findings.extend(f);
        for party in payers(&allocation) {
            let share = allocation.amount_for(&party);
            for (i, (month, amount)) in in_year.iter().zip(spread(share, count)).enumerate() {
                let mut explanation = explain(&explainer, &allocation, &party, amount);
                if cost.spread_months > 1 {
                    let (n, i, share) = (cost.spread_months, i + 1, share.to_swedish());
                    explanation.steps.push(step(
                        Text::new(
                            format!("fördelat på {n} månader, takbelopp för {year}: månad {i} av {count} ({month})"),
                            format!("spread over {n} months, capped for {year}: month {i} of {count} ({month})"),
                        ),
                        Some(Text::new(
                            format!("{share} för {year} / {count}, överblivna ören på de första månaderna"),
                            format!("{share} for {year} / {count}, leftover öre to the earliest months"),
                        )),
                        Text::plain(amount.to_swedish()),
                    ));
                }
                lines.push(cost_line(
                    &allocation,
                    party.clone(),
                    *month,
                    amount,
                    explanation,
                ));
            }
        }
        start = end;
    }
    Ok((lines, findings))
}

/// `amount` in `n` parts that differ by at most one öre and add up exactly, the larger first.
pub fn spread(amount: Money, n: u32) -> Vec<Money> {
    let n128 = i128::from(n.max(1));
    let (base, rest) = (amount.ore() / n128, amount.ore() % n128);
    (0..n128)
        .map(|i| Money::from_ore(base + if i < rest.abs() { rest.signum() } else { 0 }))
        .collect()
}

fn split(
    agreement: &Agreement,
    pool: &Pool,
    thresholds: &ThresholdTable,
) -> Result<(Allocation, Vec<Finding>), TransactionProblems> {
    allocate(agreement, pool, thresholds).map_err(|problems| {
        TransactionProblems::new(
            problems
                .into_vec()
                .into_iter()
                .map(|problem| TransactionError::Split {
                    cost: pool.id().to_string(),
                    problem: Box::new(problem),
                })
                .collect(),
        )
    })
}

fn zero_months(pool: &Pool, what: &'static str) -> TransactionError {
    TransactionError::ZeroMonths {
        cost: pool.id().to_string(),
        what,
    }
}

/// Everyone who pays something for the pool: its parts and an absorbing party.
fn payers(a: &Allocation) -> Vec<PartyId> {
    let mut payers: Vec<PartyId> = a.parts.iter().map(|p| p.party.clone()).collect();
    if let Some((absorber, _)) = &a.absorbed {
        payers.push(absorber.clone());
    }
    payers.sort();
    payers.dedup();
    payers
}

fn explain(
    explainer: &crate::explain::Explainer<'_>,
    a: &Allocation,
    party: &PartyId,
    amount: Money,
) -> Explanation {
    let mut e = explainer.explain(party).unwrap_or_else(|| Explanation {
        pool: a.pool.clone(),
        party: party.clone(),
        amount,
        steps: crate::explain::Steps::new(),
    });
    e.amount = amount;
    e
}

fn step(label: Text, formula: Option<Text>, value: Text) -> Step {
    Step {
        label,
        formula,
        value,
        source: None,
        figure: None,
    }
}

fn cost_line(
    a: &Allocation,
    party: PartyId,
    month: Period,
    amount: Money,
    explanation: Explanation,
) -> CostLine {
    CostLine {
        pool: a.pool.clone(),
        name: a.name.clone(),
        party,
        month,
        amount,
        explanation: Arc::new(explanation),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agreement::Party;
    use crate::pool::Key;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn agreement() -> Agreement {
        let p =
            |id: &str, pop| Party::new(PartyId::new(id).unwrap(), id).with_population(pop, None);
        Agreement::new(vec![p("a", 1), p("b", 1), p("c", 1)]).unwrap()
    }

    #[test]
    fn spreading_adds_up_and_gives_leftover_ore_first() {
        let parts: Vec<String> = spread(Money::from_ore(10_001), 3)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(parts, ["33.34", "33.34", "33.33"]);
        let parts: Vec<String> = spread(Money::from_ore(-10_001), 3)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(parts, ["-33.34", "-33.34", "-33.33"]);
    }

    #[test]
    fn a_spread_one_off_cost_keeps_each_party_total() {
        let cost = OneOffCost {
            pool: Pool::new("start", "Start", Money::from_kronor(100), Key::Population).unwrap(),
            month: day(2017, 11, 15),
            spread_months: 3,
        };
        let (lines, _) =
            one_off_lines(&agreement(), &cost, &ThresholdTable::swedish_lou()).unwrap();
        let shown: Vec<String> = lines
            .iter()
            .map(|l| format!("{} {} {}", l.party, l.month.start(), l.amount))
            .collect();
        assert_eq!(
            shown,
            [
                "a 2017-11-01 11.12",
                "a 2017-12-01 11.11",
                "a 2018-01-01 11.11",
                "b 2017-11-01 11.11",
                "b 2017-12-01 11.11",
                "b 2018-01-01 11.11",
                "c 2017-11-01 11.11",
                "c 2017-12-01 11.11",
                "c 2018-01-01 11.11",
            ]
        );
        let total: Money = lines.iter().map(|l| l.amount).sum();
        assert_eq!(total, Money::from_kronor(100));
        assert!(lines[0]
            .explanation
            .to_string()
            .contains("spread over 3 months"));
    }

    #[test]
    fn a_recurring_fee_runs_for_its_months() {
        let fee = RecurringFee {
            pool: Pool::new("monthly", "Monthly", Money::from_kronor(7_000), Key::Equal).unwrap(),
            first_month: day(2017, 4, 1),
            months: 2,
        };
        let (lines, _) =
            recurring_lines(&agreement(), &fee, &ThresholdTable::swedish_lou()).unwrap();
        assert_eq!(lines.len(), 6);
        assert_eq!(lines[0].amount.to_string(), "2333.34");
        assert_eq!(lines[5].month.to_string(), "2017-05-01..2017-05-31");
        let zero = RecurringFee { months: 0, ..fee };
        let err = recurring_lines(&agreement(), &zero, &ThresholdTable::swedish_lou()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "1 problem\n  cost monthly: the number of months charged must be at least 1 month, found 0"
        );
    }

    /// Regression (review): a capped monthly fee was capped month by month, so a party could
    /// pay the yearly cap every month. 100,000 kr a month paid by `a` alone, lou cap, 2023
    /// (700,000 kr): a pays 700,000 for the 12 months of 2023 and the excess is uncovered.
    #[test]
    fn a_capped_recurring_fee_is_capped_per_calendar_year() {
        use crate::pool::{Cap, CapLimit, ExcessPolicy};
        let pool = Pool::builder(
            "monthly",
            "Monthly",
            Money::from_kronor(100_000),
            Key::Direct {
                party: PartyId::new("a").unwrap(),
            },
        )
        .cap(Cap::new(CapLimit::Lou, ExcessPolicy::Uncovered))
        .build()
        .unwrap();
        let fee = RecurringFee {
            pool,
            first_month: day(2023, 7, 1),
            months: 12,
        };
        let (lines, findings) =
            recurring_lines(&agreement(), &fee, &ThresholdTable::swedish_lou()).unwrap();
        let year = |y| -> Money {
            lines
                .iter()
                .filter(|l| l.month.start().year() == y)
                .map(|l| l.amount)
                .sum()
        };
        // July–December 2023: 600,000 under the cap; January–June 2024: 600,000 under it too.
        assert_eq!(year(2023), Money::from_kronor(600_000));
        assert_eq!(year(2024), Money::from_kronor(600_000));
        assert!(findings.is_empty());
        let whole_year = RecurringFee {
            first_month: day(2023, 1, 1),
            ..fee
        };
        let (lines, findings) =
            recurring_lines(&agreement(), &whole_year, &ThresholdTable::swedish_lou()).unwrap();
        let total: Money = lines.iter().map(|l| l.amount).sum();
        assert_eq!(total, Money::from_kronor(700_000));
        assert_eq!(lines.len(), 12);
        assert_eq!(lines[0].amount.to_string(), "58333.34");
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(lines[11]
            .explanation
            .to_string()
            .contains("capped for 2023: month 12 of 12"));
    }

    /// Regression: a capped one-off cost spread across calendar years was capped once for the
    /// whole amount. 1,200,000 kr paid by `a` alone, lou cap, spread over 12 months from July
    /// 2023: 600,000 in 2023 and 600,000 in 2024, each under its year's cap.
    #[test]
    fn a_capped_one_off_cost_is_capped_per_calendar_year() {
        use crate::pool::{Cap, CapLimit, ExcessPolicy};
        let pool = Pool::builder(
            "start",
            "Start",
            Money::from_kronor(1_200_000),
            Key::Direct {
                party: PartyId::new("a").unwrap(),
            },
        )
        .cap(Cap::new(CapLimit::Lou, ExcessPolicy::Uncovered))
        .build()
        .unwrap();
        let cost = OneOffCost {
            pool,
            month: day(2023, 7, 1),
            spread_months: 12,
        };
        let (lines, findings) =
            one_off_lines(&agreement(), &cost, &ThresholdTable::swedish_lou()).unwrap();
        let year = |y| -> Money {
            lines
                .iter()
                .filter(|l| l.month.start().year() == y)
                .map(|l| l.amount)
                .sum()
        };
        assert_eq!(year(2023), Money::from_kronor(600_000));
        assert_eq!(year(2024), Money::from_kronor(600_000));
        assert_eq!(lines.len(), 12);
        assert!(findings.is_empty(), "{findings:?}");
        assert!(lines[6]
            .explanation
            .to_string()
            .contains("capped for 2024: month 1 of 6"));
        // Within one year the cap still holds: the same cost spread over January–December 2023.
        let in_2023 = OneOffCost {
            month: day(2023, 1, 1),
            ..cost
        };
        let (lines, findings) =
            one_off_lines(&agreement(), &in_2023, &ThresholdTable::swedish_lou()).unwrap();
        let total: Money = lines.iter().map(|l| l.amount).sum();
        assert_eq!(total, Money::from_kronor(700_000));
        assert_eq!(findings.len(), 1, "{findings:?}");
    }
}
