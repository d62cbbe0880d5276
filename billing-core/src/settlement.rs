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
                    steps: steps.into(),
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
fn cash_flow_of<'a>(
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

/// What the invoices of one billing date move in the cash flow, held compactly: the engine
/// carries one of these for every billing date before the one asked for (issue 12: the
/// issuer's and buyer's ids of every earlier invoice, held per date, grew with parties ×
/// dates).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Moves {
    /// The coordinator's invoices: the buyer by its place among the agreement's parties (ordered
    /// by id), and the payable in öre.
    pub coordinator: Vec<(u32, i64)>,
    /// Every other invoice (the providers' arrears, a buyer that is not a party, a payable
    /// beyond 2^63 öre): issuer, buyer, payable.
    pub other: Vec<(PartyId, PartyId, Money)>,
}

impl Moves {
    /// Records an invoice from `issuer` to `buyer` of `payable`; `coordinator` is the
    /// coordinator and its place among `parties`; `place` the buyer's place if known.
    pub(crate) fn push(
        &mut self,
        coordinator: (&PartyId, Option<usize>),
        issuer: &PartyId,
        (buyer, place): (&PartyId, Option<usize>),
        payable: Money,
    ) {
        let compact = (coordinator.1.is_some() && issuer == coordinator.0)
            .then_some(place)
            .flatten()
            .and_then(|p| Some((u32::try_from(p).ok()?, i64::try_from(payable.ore()).ok()?)));
        match compact {
            Some(c) => self.coordinator.push(c),
            None => self.other.push((issuer.clone(), buyer.clone(), payable)),
        }
    }

    /// Whether no invoice moves anything.
    pub(crate) fn is_empty(&self) -> bool {
        self.coordinator.is_empty() && self.other.is_empty()
    }
}

/// [`cash_flow`] of the [`Moves`] of each date, given in date order, and `costs`: the
/// coordinator `issuer` and the `parties` (ordered by id) that the moves' places are among.
/// Each party's days are gathered in a list indexed by its place, not in maps keyed by id.
pub(crate) fn cash_flow_by_place<'a>(
    parties: &[crate::agreement::Party],
    issuer: &PartyId,
    moves: impl Iterator<Item = (NaiveDate, &'a Moves)>,
    costs: &[ProviderCost],
) -> Vec<PartyTimeline> {
    fn add(entries: &mut Vec<CashEntry>, date: NaiveDate, incoming: Money, outgoing: Money) {
        match entries.last_mut() {
            Some(e) if e.date == date => {
                e.incoming += incoming;
                e.outgoing += outgoing;
            }
            _ => entries.push(CashEntry {
                date,
                incoming,
                outgoing,
                balance: Money::ZERO,
            }),
        }
    }
    let place = |id: &PartyId| parties.binary_search_by(|p| p.id.cmp(id)).ok();
    let issuer_place = place(issuer);
    // Each party's list made at the size its coordinator's invoices give it, counted first:
    // grown entry by entry, the lists of 100,000 parties were copied at each doubling and
    // held up to twice the memory they fill (issue 12).
    let moves: Vec<(NaiveDate, &Moves)> = moves.collect();
    let mut sizes = vec![0_usize; parties.len()];
    for (_, m) in &moves {
        for &(buyer, _) in &m.coordinator {
            sizes[buyer as usize] += 1;
        }
        if let Some(i) = issuer_place.filter(|_| !m.coordinator.is_empty()) {
            sizes[i] += 1;
        }
    }
    let mut by_place: Vec<Vec<CashEntry>> = sizes.into_iter().map(Vec::with_capacity).collect();
    let mut other: BTreeMap<PartyId, Vec<CashEntry>> = BTreeMap::new();
    for (date, m) in moves {
        if !m.coordinator.is_empty() {
            let mut total = Money::ZERO;
            for &(buyer, ore) in &m.coordinator {
                let payable = Money::from_ore(i128::from(ore));
                add(&mut by_place[buyer as usize], date, Money::ZERO, payable);
                total += payable;
            }
            // `Moves::push` keeps the coordinator's invoices apart only when it is a party.
            if let Some(i) = issuer_place {
                add(&mut by_place[i], date, total, Money::ZERO);
            }
        }
        for (from, to, payable) in &m.other {
            match place(from) {
                Some(i) => add(&mut by_place[i], date, *payable, Money::ZERO),
                None => add(
                    other.entry(from.clone()).or_default(),
                    date,
                    *payable,
                    Money::ZERO,
                ),
            }
            match place(to) {
                Some(i) => add(&mut by_place[i], date, Money::ZERO, *payable),
                None => add(
                    other.entry(to.clone()).or_default(),
                    date,
                    Money::ZERO,
                    *payable,
                ),
            }
        }
    }
    for c in costs {
        match place(&c.provider) {
            Some(i) => add(&mut by_place[i], c.incurred, Money::ZERO, c.amount),
            None => add(
                other.entry(c.provider.clone()).or_default(),
                c.incurred,
                Money::ZERO,
                c.amount,
            ),
        }
    }
    let mut out: Vec<PartyTimeline> = by_place
        .into_iter()
        .zip(parties)
        .filter(|(entries, _)| !entries.is_empty())
        .map(|(entries, p)| PartyTimeline {
            party: p.id.clone(),
            entries,
        })
        .collect();
    if !other.is_empty() {
        out.extend(
            other
                .into_iter()
                .map(|(party, entries)| PartyTimeline { party, entries }),
        );
        out.sort_by(|a, b| a.party.cmp(&b.party));
    }
    for t in &mut out {
        // Costs (and dates given out of order) are days of their own: in date order, one entry
        // per day, as `cash_flow` gives them.
        if !t.entries.windows(2).all(|w| w[0].date < w[1].date) {
            t.entries.sort_by_key(|e| e.date);
            let mut merged: Vec<CashEntry> = Vec::with_capacity(t.entries.len());
            for e in t.entries.drain(..) {
                add(&mut merged, e.date, e.incoming, e.outgoing);
            }
            t.entries = merged;
        }
        let mut balance = Money::ZERO;
        for e in &mut t.entries {
            balance += e.incoming - e.outgoing;
            e.balance = balance;
        }
    }
    out
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
