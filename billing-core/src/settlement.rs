//! R10 Arrears settlement among the providers: the providers' costs invoiced to the
//! coordinator in arrears on the settlement days, and the cash-flow timeline per party
//! (docs/rules.md, section "R10 Arrears settlement among the providers").
//!
//! The operator and the managers pay their costs as they arise and invoice them to the
//! coordinator on the settlement days (31 May and 30 November by default), each invoice holding
//! the costs since the previous settlement day. The coordinator collects user fees in advance
//! (R6), so it holds a rolling surplus and the providers a deficit; [`cash_flow`] shows both.
//!
//! **Decision** (docs/rules.md is silent): money moves on an invoice's issue date and on the day a
//! cost is incurred; payment terms would shift every date of a kind by the same days.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::agreement::{Agreement, PartyId, SourceRef};
use crate::calendar::error::{CalendarError, CalendarProblems};
use crate::calendar::period::Period;
use crate::calendar::period_starts::PeriodStarts;
use crate::explain::{Explanation, Step, Text};
use crate::invoice::{assemble_invoices, ExtraLine, Invoice, InvoiceOptions, VatRate};
use crate::money::Money;
use crate::quantity::{LineQuantity, LumpReason};

/// A provider's actual cost (salaries, servers, licences), paid when incurred and invoiced to
/// the coordinator in arrears.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ProviderCost {
    /// The operator or manager that bears it.
    pub provider: PartyId,
    /// What it is.
    pub description: String,
    /// The day it was incurred.
    pub incurred: NaiveDate,
    /// The amount before VAT.
    pub amount: Money,
    /// Its VAT rate on the arrears invoice.
    #[cfg_attr(feature = "serde", serde(default))]
    pub vat: VatRate,
    /// Where it was read.
    #[cfg_attr(feature = "serde", serde(default))]
    pub source: Option<SourceRef>,
}

/// The settlement days of the year: each arrears invoice covers the days after the previous
/// settlement day up to and including its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettlementDays {
    days: Vec<(u32, u32)>,
    /// The day after each settlement day, as period starts: each window is a period.
    windows: PeriodStarts,
}

impl Default for SettlementDays {
    fn default() -> SettlementDays {
        SettlementDays {
            days: vec![(5, 31), (11, 30)],
            windows: PeriodStarts::new(vec![(6, 1), (12, 1)]).unwrap_or_default(),
        }
    }
}

impl SettlementDays {
    /// Settlement on each (month, day) of the year.
    ///
    /// # Errors
    /// [`CalendarError::BadPeriodStarts`] when the list is empty, repeats a day, or has a day
    /// that is not in every year.
    pub fn new(mut days: Vec<(u32, u32)>) -> Result<SettlementDays, CalendarError> {
        days.sort_unstable();
        let mut after = Vec::with_capacity(days.len());
        for &(m, d) in &days {
            // 2001 is not a leap year: the day must exist in every year.
            let next = NaiveDate::from_ymd_opt(2001, m, d).and_then(|x| x.succ_opt());
            let Some(next) = next else {
                return Err(CalendarError::BadPeriodStarts {
                    reason: format!("settlement day {m:02}-{d:02} is not a day of every year"),
                });
            };
            after.push((next.month(), next.day()));
        }
        if let Some(w) = days.windows(2).find(|w| w[0] == w[1]) {
            return Err(CalendarError::BadPeriodStarts {
                reason: format!("settlement day {:02}-{:02} is given twice", w[0].0, w[0].1),
            });
        }
        let windows = PeriodStarts::new(after)?;
        Ok(SettlementDays { days, windows })
    }

    /// True when `date` is a settlement day: its month and day are one of the configured ones.
    /// (Compared directly: a day after 28 February is 29 February in a leap year.)
    pub fn is_settlement_day(&self, date: NaiveDate) -> bool {
        self.days.contains(&(date.month(), date.day()))
    }

    /// The costs settled on `date`: from the day after the previous settlement day up to and
    /// including `date`.
    /// The settlement days of `year`, in date order.
    pub fn days_in_year(&self, year: i32) -> impl Iterator<Item = NaiveDate> + '_ {
        self.days
            .iter()
            .filter_map(move |&(m, d)| NaiveDate::from_ymd_opt(year, m, d))
    }

    fn window_ending(&self, date: NaiveDate) -> Option<Period> {
        let mut day = date.pred_opt()?;
        // A settlement day comes at least once a year.
        for _ in 0..366 {
            if self.is_settlement_day(day) {
                return Period::new(day.succ_opt()?, date.succ_opt()?);
            }
            day = day.pred_opt()?;
        }
        None
    }

    fn words(&self) -> String {
        let days: Vec<String> = self
            .days
            .iter()
            .map(|(m, d)| format!("{m:02}-{d:02}"))
            .collect();
        days.join(", ")
    }
}

/// The arrears invoices of `date`, a settlement day: one from each provider (other than the
/// coordinator) with costs incurred since the previous settlement day, to the coordinator.
///
/// # Errors
/// [`CalendarError::NotASettlementDay`], [`CalendarError::UnknownParty`] for a coordinator or
/// provider the agreement does not know, and the errors of [`assemble_invoices`].
pub fn arrears_invoices(
    date: NaiveDate,
    agreement: &Agreement,
    coordinator: &PartyId,
    costs: &[ProviderCost],
    days: &SettlementDays,
    options: &InvoiceOptions,
) -> Result<Vec<Invoice>, CalendarProblems> {
    if !days.is_settlement_day(date) {
        return Err(CalendarError::NotASettlementDay {
            date,
            days: days.words(),
        }
        .into());
    }
    let window = days
        .window_ending(date)
        .ok_or_else(|| CalendarError::DateOutOfRange {
            what: format!("the settlement window ending {date}"),
        })?;
    let mut problems = Vec::new();
    if !agreement.contains(coordinator) {
        problems.push(CalendarError::UnknownParty {
            party: coordinator.clone(),
            what: "coordinator".to_owned(),
        });
    }
    let mut by_provider: BTreeMap<&PartyId, Vec<ExtraLine>> = BTreeMap::new();
    for (i, cost) in costs.iter().enumerate() {
        if !agreement.contains(&cost.provider) {
            problems.push(CalendarError::UnknownParty {
                party: cost.provider.clone(),
                what: format!("provider cost row {}", i + 1),
            });
            continue;
        }
        if !window.contains(cost.incurred) || cost.provider == *coordinator {
            continue;
        }
        let steps = vec![Step::input(
            Text::new(
                format!("faktisk kostnad uppkommen den {}", cost.incurred),
                format!("actual cost incurred on {}", cost.incurred),
            ),
            Text::plain(cost.amount.to_swedish()),
            cost.source.as_ref(),
        )];
        by_provider
            .entry(&cost.provider)
            .or_default()
            .push(ExtraLine {
                party: coordinator.clone(),
                due: date,
                description: format!("{} ({})", cost.description, cost.incurred),
                period: Some(window),
                amount: cost.amount,
                vat: cost.vat,
                quantity: LineQuantity::lump(cost.amount, LumpReason::Amount),
                explanation: Explanation {
                    pool: format!("arrears {window}").into(),
                    party: coordinator.clone(),
                    amount: cost.amount,
                    steps,
                }
                .into(),
            });
    }
    if !problems.is_empty() {
        return Err(CalendarProblems::new(problems));
    }
    let mut out = Vec::new();
    for (provider, mut lines) in by_provider {
        lines.sort_by_key(|l| l.period.map(|p| p.start()));
        out.extend(assemble_invoices(
            date,
            provider,
            &[],
            &[],
            &lines,
            options,
        )?);
    }
    Ok(out)
}

/// One day of a party's cash flow.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct CashEntry {
    /// The day.
    pub date: NaiveDate,
    /// Money received: invoices it issued.
    pub incoming: Money,
    /// Money paid: invoices it received and costs it bore.
    pub outgoing: Money,
    /// The balance after the day, from zero before the first entry.
    pub balance: Money,
}

/// A party's cash flow by date with its running balance.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PartyTimeline {
    /// The party.
    pub party: PartyId,
    /// The days money moved, in order.
    pub entries: Vec<CashEntry>,
}

impl PartyTimeline {
    /// The balance at the end of `day` (after that day's entries).
    pub fn balance_on(&self, day: NaiveDate) -> Money {
        let upto = self.entries.partition_point(|e| e.date <= day);
        upto.checked_sub(1)
            .map_or(Money::ZERO, |i| self.entries[i].balance)
    }
}

/// The cash-flow timeline of every party that issues or receives one of `invoices` or bears
/// one of `costs`, ordered by party: money in and out by date and the running balance. An
/// invoice a party sends itself counts both ways.
pub fn cash_flow(invoices: &[Invoice], costs: &[ProviderCost]) -> Vec<PartyTimeline> {
    cash_flow_of(
        invoices
            .iter()
            .map(|i| (&i.issuer, &i.buyer, i.issue_date, i.payable)),
        costs,
    )
}

/// [`cash_flow`] of invoices given as (issuer, buyer, issue date, payable): all the cash flow
/// needs of an invoice, so the engine keeps no more of an earlier date's invoices.
pub(crate) fn cash_flow_of<'a>(
    invoices: impl Iterator<Item = (&'a PartyId, &'a PartyId, NaiveDate, Money)>,
    costs: &'a [ProviderCost],
) -> Vec<PartyTimeline> {
    let mut moves: BTreeMap<&PartyId, BTreeMap<NaiveDate, (Money, Money)>> = BTreeMap::new();
    for (issuer, buyer, date, payable) in invoices {
        moves.entry(issuer).or_default().entry(date).or_default().0 += payable;
        moves.entry(buyer).or_default().entry(date).or_default().1 += payable;
    }
    for c in costs {
        moves
            .entry(&c.provider)
            .or_default()
            .entry(c.incurred)
            .or_default()
            .1 += c.amount;
    }
    moves
        .into_iter()
        .map(|(party, days)| {
            let mut balance = Money::ZERO;
            let entries = days
                .into_iter()
                .map(|(date, (incoming, outgoing))| {
                    balance += incoming - outgoing;
                    CashEntry {
                        date,
                        incoming,
                        outgoing,
                        balance,
                    }
                })
                .collect();
            PartyTimeline {
                party: party.clone(),
                entries,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agreement::Party;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn pid(id: &str) -> PartyId {
        PartyId::new(id).unwrap()
    }

    fn cost(provider: &str, incurred: NaiveDate, kronor: i64) -> ProviderCost {
        ProviderCost {
            provider: pid(provider),
            description: "operations".to_owned(),
            incurred,
            amount: Money::from_kronor(kronor),
            vat: VatRate::Zero,
            source: None,
        }
    }

    #[test]
    fn arrears_cover_the_days_since_the_previous_settlement() {
        let agreement = Agreement::new(vec![
            Party::new(pid("coord"), "C"),
            Party::new(pid("op"), "O"),
        ])
        .unwrap();
        let costs = [
            cost("op", day(2010, 11, 30), 1),
            cost("op", day(2010, 12, 1), 10),
            cost("op", day(2011, 5, 31), 100),
            cost("op", day(2011, 6, 1), 1000),
            cost("coord", day(2011, 3, 1), 7),
        ];
        let days = SettlementDays::default();
        let inv = arrears_invoices(
            day(2011, 5, 31),
            &agreement,
            &pid("coord"),
            &costs,
            &days,
            &InvoiceOptions::default(),
        )
        .unwrap();
        assert_eq!(inv.len(), 1);
        assert_eq!(inv[0].issuer, pid("op"));
        assert_eq!(inv[0].buyer, pid("coord"));
        assert_eq!(inv[0].payable, Money::from_kronor(110));

        let err = arrears_invoices(
            day(2011, 6, 1),
            &agreement,
            &pid("coord"),
            &costs,
            &days,
            &InvoiceOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "1 problem\n  arrears date 2011-06-01 is not a settlement day (settlement days are 05-31, 11-30)"
        );

        let flow = cash_flow(&inv, &costs);
        let coord = &flow[0];
        assert_eq!(coord.party, pid("coord"));
        assert_eq!(coord.balance_on(day(2011, 5, 31)), Money::from_kronor(-117));
        let op = &flow[1];
        assert_eq!(op.balance_on(day(2011, 5, 30)), Money::from_kronor(-11));
        assert_eq!(op.balance_on(day(2011, 5, 31)), Money::from_kronor(-1));
    }

    /// Regression: a settlement day of 28 February was refused in leap years (the day after it
    /// was compared) and 29 February accepted instead.
    #[test]
    fn last_day_of_february_settles_in_leap_years_too() {
        let days = SettlementDays::new(vec![(2, 28), (8, 31)]).unwrap();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert!(days.is_settlement_day(day(2012, 2, 28)));
        assert!(!days.is_settlement_day(day(2012, 2, 29)));
        assert_eq!(
            days.window_ending(day(2012, 2, 28))
                .map(|p| (p.start(), p.last_day())),
            Some((day(2011, 9, 1), day(2012, 2, 28)))
        );
        assert_eq!(
            days.window_ending(day(2012, 8, 31))
                .map(|p| (p.start(), p.last_day())),
            Some((day(2012, 2, 29), day(2012, 8, 31)))
        );
        assert!(SettlementDays::new(vec![(5, 31), (5, 31)]).is_err());
    }
}
