//! The yearly allocation report ("kostnadsfördelning"): what every party is charged for a year,
//! by cost, issued or projected, against the year before, and what-if scenarios beside it.
//!
//! Nothing here re-implements a rule: [`year_report`] asks [`crate::engine::invoices_due`] for
//! the invoices of every billing date, feeding each computed date's user-fee lines back as
//! history for the next date (as `issue` would record them), and sorts the lines it gets.
//!
//! **Which year a line belongs to.** A line belongs to the year its period *starts* in (a
//! period that straddles a new year is not apportioned by days: the invoice bills it as one
//! line, and splitting it would show amounts that are on no invoice). A user-fee line always
//! has a period (a correction names the period it corrects, so the correction of H2 2011
//! billed on 2012-01-01 belongs to 2011). A pool's line has no period: it belongs to the
//! pool's billing year when the pool has one (`year`, the year its cap is counted for, R2),
//! else to the year of its invoice date. Öresavrundning is not a cost and is left out.
//!
//! **Issued or projected.** A line is issued when the history holds its invoice date, else
//! projected from the model as it stands. The issuer's own share is computed like any invoice
//! and shown as borne by the issuer (R15): it is never an invoice.
//!
//! **Scenarios** ([`Scenario`], [`compare`]) are named lists of [`Change`]s to the model; they
//! never touch the history. A scenario keeps every issued line as issued (what was invoiced
//! stays invoiced) and recomputes the rest.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::agreement::{Agreement, Party, PartyId, Population, SourceRef, Sourced};
use crate::calendar::{BudgetLine, Registration, UserCount, UserId};
use crate::engine::{billing_dates, invoices_due, Engine, History, Model, Problem, Subject, Terms};
use crate::error::PoolId;
use crate::invoice::{Invoice, LineKind};
use crate::money::{Money, MoneyError, RoundingPolicy};
use crate::pool::{Allocation, Cap, CapLimit, ExcessPolicy, Key, Participants, Pool, PoolBuilder};
use crate::settlement::PartyTimeline;
use crate::thresholds::{Threshold, ThresholdTable};

/// What a line of the year pays for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Cost {
    /// A party's part of a pool.
    Pool(PoolId),
    /// A cooperation's fee (a pool named `fee:<cooperation>:<year>`, R13).
    Cooperation(PoolId),
    /// The user fee in advance (R6).
    Advance,
    /// A correction of a user fee (R7).
    Correction,
    /// Transactions (R11) and any other line.
    Transactions,
}

/// One invoice line of the year.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct YearLine {
    /// The party charged.
    pub party: PartyId,
    /// The invoice date that bills it.
    pub invoice_date: NaiveDate,
    /// The year it belongs to (see the module documentation).
    pub year: i32,
    /// What it pays for.
    pub cost: Cost,
    /// The line's text.
    pub description: crate::explain::Text,
    /// The amount before VAT.
    pub amount: Money,
    /// The line's own VAT, rounded to öre.
    pub vat: Money,
    /// True when the history holds its invoice date.
    pub issued: bool,
    /// True for the issuer's own share: computed, never invoiced (R15).
    pub borne_by_issuer: bool,
}

/// A party's year, by cost.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PartyYear {
    /// The party.
    pub party: PartyId,
    /// Its name.
    pub name: String,
    /// Its part of each pool (cooperation fees excluded), by pool id.
    pub pools: BTreeMap<PoolId, Money>,
    /// User fees in advance.
    pub advance: Money,
    /// User-fee corrections.
    pub corrections: Money,
    /// Transactions and other lines.
    pub transactions: Money,
    /// Cooperation fees.
    pub cooperation: Money,
    /// The VAT of its lines.
    pub vat: Money,
    /// Everything before VAT.
    pub net: Money,
    /// `net + vat`.
    pub total: Money,
    /// Its share of each pool, in per cent of what the parties pay for it (two decimals).
    pub pool_shares: BTreeMap<PoolId, Decimal>,
    /// Its share of all the parties' net charges, in per cent (two decimals).
    pub share: Decimal,
    /// Its population share among the parties with a population, in per cent (two decimals).
    pub population_share: Option<Decimal>,
    /// Its total of the year before.
    pub previous_total: Money,
    /// `total - previous_total`.
    pub change: Money,
    /// The change in per cent of the year before (two decimals); none when that was zero.
    pub change_percent: Option<Decimal>,
    /// True when every line of the year is issued.
    pub issued: bool,
    /// True for the issuer: its share is borne by it, not invoiced (R15).
    pub borne_by_issuer: bool,
}

/// Money in and out of one party over the year (R10: the coordinator and the providers).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct CashFlow {
    /// The party.
    pub party: PartyId,
    /// The balance on the last day of the year before.
    pub opening: Money,
    /// The days of the year with money in or out: (date, in, out, balance).
    pub entries: Vec<(NaiveDate, Money, Money, Money)>,
}

/// The year of every party.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct YearReport {
    /// The year.
    pub year: i32,
    /// The pools charged in the year (cooperation fees included), with their names.
    pub pools: Vec<(PoolId, String)>,
    /// Every party of the agreement, in the agreement's order.
    pub parties: Vec<PartyYear>,
    /// The lines of the year and of the year before.
    pub lines: Vec<YearLine>,
    /// The splits of the pools billed in the year (for the rule behind a difference).
    pub allocations: Vec<Allocation>,
    /// The coordinator's and the providers' cash flow over the year.
    pub cash_flow: Vec<CashFlow>,
}

impl YearReport {
    /// The party's year, if it is a party.
    pub fn party(&self, id: &PartyId) -> Option<&PartyYear> {
        self.parties.iter().find(|p| p.party == *id)
    }

    /// Every party's total added up.
    pub fn total(&self) -> Money {
        self.parties.iter().map(|p| p.total).sum()
    }
}

/// The year `year` of every party of `model`, given what was issued (`history`).
///
/// # Errors
/// The engine's problems (see [`invoices_due`]), from the first billing date that has any.
pub fn year_report(
    model: &Model,
    year: i32,
    history: &History,
) -> Result<YearReport, Vec<Problem>> {
    let computed = compute_lines(model, year, history)?;
    Ok(summarise(model, year, computed))
}

/// What the engine gave for the dates that bill the year and the year before.
struct Computed {
    lines: Vec<YearLine>,
    allocations: Vec<Allocation>,
    timelines: Vec<PartyTimeline>,
}

fn compute_lines(model: &Model, year: i32, history: &History) -> Result<Computed, Vec<Problem>> {
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year - 1, 1, 1),
        NaiveDate::from_ymd_opt(year + 1, 12, 31),
    ) else {
        return Err(vec![Problem::new(
            Subject::Agreement,
            None,
            format!("the year {year} is out of range"),
        )]);
    };
    let year_end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(last);
    // Every date that can bill a line of the two years: the engine's billing dates, the
    // period starts up to the end of the next year (a correction of the year's last period is
    // billed then) and the ends of transaction periods.
    let mut dates: BTreeSet<NaiveDate> = billing_dates(model).into_iter().collect();
    if let Some(start) = model.settings.start {
        dates.extend(model.settings.calendar.periods.starts_between(start, last));
    }
    dates.extend(
        model
            .transaction_lines
            .iter()
            .map(|l| l.billing_period.end()),
    );
    dates.retain(|d| first <= *d && *d <= last);
    let pool_year: BTreeMap<&str, Option<i32>> = model
        .pools
        .iter()
        .map(|p| (p.pool.id().as_ref(), p.pool.year()))
        .collect();
    let mut work = history.clone();
    let mut lines = Vec::new();
    let mut allocations = Vec::new();
    // One engine stepped from date to date, each date recorded as issued: what
    // `invoices_due` gives afresh with `work` (see [`Engine`]), without computing the
    // agreement's whole history again for every date.
    let mut engine = Engine::new(model, history)?;
    for d in dates {
        let billing = engine.invoices_due(d)?;
        let issued = history.dates.contains(&d);
        let coordinator = billing
            .invoices
            .iter()
            .filter(|i| i.issuer == model.settings.issuer)
            .map(|i| (i, false));
        for (invoice, own) in coordinator.chain(billing.issuer_share.iter().map(|i| (i, true))) {
            lines.extend(year_lines(invoice, issued, own, &pool_year));
        }
        if d.year() == year {
            allocations.extend(billing.allocations);
        }
        // As `issue` would record it: the next date is computed against this one.
        if !issued {
            engine.record_issued(d, &billing.fee_lines);
            work.fee_lines.extend(billing.fee_lines);
            work.dates.insert(d);
        }
    }
    lines.retain(|l| l.year == year || l.year == year - 1);
    let timelines = invoices_due(model, year_end, &work)?.timeline;
    Ok(Computed {
        lines,
        allocations,
        timelines,
    })
}

fn year_lines(
    invoice: &Invoice,
    issued: bool,
    own: bool,
    pool_year: &BTreeMap<&str, Option<i32>>,
) -> Vec<YearLine> {
    invoice
        .lines
        .iter()
        .map(|l| {
            let pool = l.explanation.pool.clone();
            let cost = match l.kind {
                LineKind::Advance => Cost::Advance,
                LineKind::Correction => Cost::Correction,
                LineKind::Pool if pool.starts_with("fee:") => Cost::Cooperation(pool.clone()),
                LineKind::Pool => Cost::Pool(pool.clone()),
                _ => Cost::Transactions,
            };
            let year = match (&cost, l.period) {
                (_, Some(p)) => p.start().year(),
                (Cost::Pool(_) | Cost::Cooperation(_), None) => pool_year
                    .get(pool.as_ref())
                    .copied()
                    .flatten()
                    .unwrap_or(invoice.issue_date.year()),
                _ => invoice.issue_date.year(),
            };
            YearLine {
                party: invoice.buyer.clone(),
                invoice_date: invoice.issue_date,
                year,
                cost,
                description: l.description.clone(),
                amount: l.amount,
                vat: l.vat,
                issued,
                borne_by_issuer: own,
            }
        })
        .collect()
}

/// Per cent of `part` in `whole`, to two decimals; zero of zero is none.
fn percent(part: Money, whole: Money) -> Option<Decimal> {
    if whole == Money::ZERO {
        return None;
    }
    Some(
        (part.to_decimal() * Decimal::ONE_HUNDRED / whole.to_decimal())
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
    )
}

fn summarise(model: &Model, year: i32, computed: Computed) -> YearReport {
    let Computed {
        lines,
        allocations,
        timelines,
    } = computed;
    let names: BTreeMap<&str, &str> = model
        .pools
        .iter()
        .map(|p| (p.pool.id().as_ref(), p.pool.name()))
        .collect();
    let mut pools: Vec<(PoolId, String)> = Vec::new();
    let mut pool_totals: BTreeMap<PoolId, Money> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.year == year) {
        if let Cost::Pool(id) | Cost::Cooperation(id) = &l.cost {
            if !pool_totals.contains_key(id) {
                let name = names
                    .get(id.as_ref())
                    .map_or(id.to_string(), |n| n.to_string());
                pools.push((id.clone(), name));
            }
            *pool_totals.entry(id.clone()).or_insert(Money::ZERO) += l.amount;
        }
    }
    pools.sort();
    let population_total: u64 = model
        .agreement
        .parties()
        .iter()
        .filter_map(|p| p.population.as_ref().map(|x| x.count))
        .sum();
    let mut parties = Vec::new();
    for party in model.agreement.parties() {
        let mut y = PartyYear {
            party: party.id.clone(),
            name: party.name.clone(),
            pools: BTreeMap::new(),
            advance: Money::ZERO,
            corrections: Money::ZERO,
            transactions: Money::ZERO,
            cooperation: Money::ZERO,
            vat: Money::ZERO,
            net: Money::ZERO,
            total: Money::ZERO,
            pool_shares: BTreeMap::new(),
            share: Decimal::ZERO,
            population_share: party.population.as_ref().and_then(|p| {
                percent(
                    Money::from_ore(i128::from(p.count)),
                    Money::from_ore(i128::from(population_total)),
                )
            }),
            previous_total: Money::ZERO,
            change: Money::ZERO,
            change_percent: None,
            issued: true,
            borne_by_issuer: party.id == model.settings.issuer,
        };
        for l in lines.iter().filter(|l| l.party == party.id) {
            if l.year == year - 1 {
                y.previous_total += l.amount + l.vat;
                continue;
            }
            y.issued &= l.issued;
            match &l.cost {
                Cost::Pool(id) => *y.pools.entry(id.clone()).or_insert(Money::ZERO) += l.amount,
                Cost::Cooperation(_) => y.cooperation += l.amount,
                Cost::Advance => y.advance += l.amount,
                Cost::Correction => y.corrections += l.amount,
                Cost::Transactions => y.transactions += l.amount,
            }
            y.net += l.amount;
            y.vat += l.vat;
        }
        y.total = y.net + y.vat;
        y.change = y.total - y.previous_total;
        y.change_percent = percent(y.change, y.previous_total);
        for (id, amount) in &y.pools {
            if let Some(p) = percent(*amount, pool_totals[id]) {
                y.pool_shares.insert(id.clone(), p);
            }
        }
        parties.push(y);
    }
    let all: Money = parties.iter().map(|p| p.net).sum();
    for p in &mut parties {
        p.share = percent(p.net, all).unwrap_or(Decimal::ZERO);
    }
    // R10: the coordinator and the providers (the parties with provider costs).
    let mut cash_parties: BTreeSet<&PartyId> =
        model.provider_costs.iter().map(|c| &c.provider).collect();
    cash_parties.insert(&model.settings.issuer);
    let cash_flow = timelines
        .iter()
        .filter(|t| cash_parties.contains(&t.party))
        .map(|t| {
            let opening =
                NaiveDate::from_ymd_opt(year - 1, 12, 31).map_or(Money::ZERO, |d| t.balance_on(d));
            CashFlow {
                party: t.party.clone(),
                opening,
                entries: t
                    .entries
                    .iter()
                    .filter(|e| e.date.year() == year)
                    .map(|e| (e.date, e.incoming, e.outgoing, e.balance))
                    .collect(),
            }
        })
        .collect();
    YearReport {
        year,
        pools,
        parties,
        lines,
        allocations,
        cash_flow,
    }
}

/// A change by an amount or a per cent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Adjustment {
    /// Add this amount (negative to lower).
    Amount(Money),
    /// Add this per cent (negative to lower); the result is rounded to öre, half away from zero.
    Percent(Decimal),
}

impl Adjustment {
    fn apply(self, amount: Money) -> Result<Money, MoneyError> {
        match self {
            Adjustment::Amount(a) => Ok(amount + a),
            Adjustment::Percent(p) => {
                let v = amount
                    .to_decimal()
                    .checked_mul(Decimal::ONE_HUNDRED + p)
                    .ok_or(MoneyError::OutOfRange { value: p })?
                    / Decimal::ONE_HUNDRED;
                Money::round(v, RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO)
            }
        }
    }

    fn in_words(self) -> String {
        match self {
            Adjustment::Amount(a) if a >= Money::ZERO => format!("+{} kr", a.to_swedish()),
            Adjustment::Amount(a) => format!("{} kr", a.to_swedish()),
            Adjustment::Percent(p) => {
                let sign = if p >= Decimal::ZERO { "+" } else { "" };
                format!("{sign}{} %", p.normalize().to_string().replace('.', ","))
            }
        }
    }
}

/// One change to the agreement as it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// A new party joins on `day` with its population and users, approved by `approved_by`
    /// (R8: more than half of the members that day).
    Join {
        /// The party (its id, name and population).
        party: Party,
        /// The joining day.
        day: NaiveDate,
        /// Its users from that day.
        users: u64,
        /// The members that approve.
        approved_by: Vec<PartyId>,
        /// The pools that name their participants which it joins from `day` (R14). A pool
        /// shared by all takes in every member on its due date, so the party takes part in
        /// it from its joining day without being named here.
        pools: Vec<PoolId>,
    },
    /// A party gives notice on `day` (R9).
    Notice {
        /// The party.
        party: PartyId,
        /// The day notice is given.
        day: NaiveDate,
    },
    /// A pool's amount changes.
    PoolAmount {
        /// The pool.
        pool: PoolId,
        /// By how much.
        by: Adjustment,
    },
    /// The budget in force on `from` changes from that day (R5: the annual fee follows).
    Budget {
        /// The first day of the changed budget.
        from: NaiveDate,
        /// By how much; an amount is added as a budget line of its own.
        by: Adjustment,
    },
    /// A pool's cap becomes `limit`; a pool without a cap gets one with the excess uncovered.
    Cap {
        /// The pool.
        pool: PoolId,
        /// The new cap.
        limit: CapLimit,
    },
    /// A pool's excess policy changes (R2).
    Excess {
        /// The pool.
        pool: PoolId,
        /// The new policy.
        policy: ExcessPolicy,
    },
    /// A LOU threshold of `amount` is in force from `from` (R2).
    Threshold {
        /// The first day.
        from: NaiveDate,
        /// The threshold.
        amount: Money,
    },
    /// A party's users are `users` from `from` (the users key and the user fees).
    Users {
        /// The party.
        party: PartyId,
        /// The first day.
        from: NaiveDate,
        /// The number of users.
        users: u64,
    },
    /// A party's population changes (the population key).
    Population {
        /// The party.
        party: PartyId,
        /// The new population.
        population: u64,
    },
    /// A pool's key changes.
    Key {
        /// The pool.
        pool: PoolId,
        /// The new key.
        key: Key,
    },
}

/// A change and where it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScenarioChange {
    /// The change.
    pub change: Change,
    /// Where it was read, e.g. `Scenarios!B3`.
    pub source: Option<SourceRef>,
}

impl ScenarioChange {
    /// `change`, read at `source`.
    pub fn new(change: Change, source: Option<SourceRef>) -> ScenarioChange {
        ScenarioChange { change, source }
    }
}

/// A named list of changes, applied together.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// Its changes.
    pub changes: Vec<ScenarioChange>,
}

impl Scenario {
    /// A scenario `name` of `changes`.
    pub fn new(name: &str, changes: Vec<ScenarioChange>) -> Scenario {
        Scenario {
            name: name.to_owned(),
            changes,
        }
    }
}

/// `model` with the scenario's changes, in order, for the year `year`.
///
/// # Errors
/// Every problem at once, at the change's source: a party or pool that does not exist, a date
/// outside the year, a party that joins and gives notice on the same day, a joining party that
/// already exists, a budget change with no budget in force.
pub fn apply(model: &Model, year: i32, scenario: &Scenario) -> Result<Model, Vec<Problem>> {
    let mut m = model.clone();
    let mut problems = Vec::new();
    let mut parties: Vec<Party> = m.agreement.parties().to_vec();
    let mut joins: BTreeMap<(PartyId, NaiveDate), ()> = BTreeMap::new();
    let mut notices: BTreeMap<(PartyId, NaiveDate), ()> = BTreeMap::new();
    for c in &scenario.changes {
        let source = c.source.as_ref();
        let mut problem = |subject: Subject, message: String| {
            problems.push(Problem::new(subject, source, message));
        };
        let in_year = |d: &NaiveDate| d.year() == year || d.year() == year - 1;
        match &c.change {
            Change::Join {
                party,
                day,
                users,
                approved_by,
                pools,
            } => {
                if !in_year(day) {
                    problem(
                        Subject::Party(party.id.clone()),
                        format!(
                            "scenario {}: the joining day {day} is outside {}–{year}, the years the report shows",
                            scenario.name, year - 1
                        ),
                    );
                    continue;
                }
                if parties.iter().any(|p| p.id == party.id) {
                    problem(
                        Subject::Party(party.id.clone()),
                        format!(
                            "scenario {}: {} is already a party",
                            scenario.name, party.id
                        ),
                    );
                    continue;
                }
                joins.insert((party.id.clone(), *day), ());
                let mut p = party.clone();
                p.users = Some(Sourced::new(*users));
                parties.push(p);
                let mut t = Terms::new(party.id.clone()).joined(*day, approved_by.clone());
                t.source = c.source.clone();
                m.terms.push(t);
                add_users(&mut m, &party.id, *day, *users, 0);
                for id in pools {
                    join_pool(&mut m, &party.id, *day, id, |s, message| {
                        problems.push(Problem::new(
                            s,
                            source,
                            format!("scenario {}: {message}", scenario.name),
                        ));
                    });
                }
            }
            Change::Notice { party, day } => {
                if !in_year(day) {
                    problem(
                        Subject::Party(party.clone()),
                        format!(
                            "scenario {}: the notice day {day} is outside {}–{year}, the years the report shows",
                            scenario.name, year - 1
                        ),
                    );
                    continue;
                }
                if !parties.iter().any(|p| p.id == *party) {
                    problem(
                        Subject::Party(party.clone()),
                        format!("scenario {}: unknown party {party}", scenario.name),
                    );
                    continue;
                }
                notices.insert((party.clone(), *day), ());
                match m.terms.iter_mut().find(|t| t.party == *party) {
                    Some(t) if t.notice_given.is_some() => problem(
                        Subject::Party(party.clone()),
                        format!(
                            "scenario {}: {party} has already given notice ({})",
                            scenario.name,
                            t.notice_given.map_or(String::new(), |d| d.to_string())
                        ),
                    ),
                    Some(t) => {
                        t.notice_given = Some(*day);
                        t.source = c.source.clone();
                    }
                    None => {
                        let mut t = Terms::new(party.clone()).notice(*day);
                        t.source = c.source.clone();
                        m.terms.push(t);
                    }
                }
            }
            Change::PoolAmount { pool, by } => {
                match m.pools.iter_mut().find(|p| *p.pool.id() == *pool) {
                    Some(p) => match by
                        .apply(p.pool.amount())
                        .map_err(|e| e.to_string())
                        .and_then(|a| changed(&p.pool, |b| b.amount(a)))
                    {
                        Ok(changed) => p.pool = changed,
                        Err(e) => problem(
                            Subject::Pool(pool.clone()),
                            format!("scenario {}: {e}", scenario.name),
                        ),
                    },
                    None => problem(
                        Subject::Pool(pool.clone()),
                        format!("scenario {}: unknown pool {pool}", scenario.name),
                    ),
                }
            }
            Change::Cap { pool, limit } => match m.pools.iter_mut().find(|p| *p.pool.id() == *pool)
            {
                Some(p) => {
                    let excess = p
                        .pool
                        .cap()
                        .map_or(ExcessPolicy::Uncovered, |c| c.excess.clone());
                    let cap = Cap {
                        limit: limit.clone(),
                        excess,
                    };
                    match changed(&p.pool, |b| b.cap(cap)) {
                        Ok(changed) => p.pool = changed,
                        Err(e) => problem(
                            Subject::Pool(pool.clone()),
                            format!("scenario {}: {e}", scenario.name),
                        ),
                    }
                }
                None => problem(
                    Subject::Pool(pool.clone()),
                    format!("scenario {}: unknown pool {pool}", scenario.name),
                ),
            },
            Change::Excess { pool, policy } => {
                match m.pools.iter_mut().find(|p| *p.pool.id() == *pool) {
                    Some(p) => match p.pool.cap() {
                        Some(cap) => {
                            let cap = Cap {
                                limit: cap.limit.clone(),
                                excess: policy.clone(),
                            };
                            match changed(&p.pool, |b| b.cap(cap)) {
                                Ok(changed) => p.pool = changed,
                                Err(e) => problem(
                                    Subject::Pool(pool.clone()),
                                    format!("scenario {}: {e}", scenario.name),
                                ),
                            }
                        }
                        None => problem(
                            Subject::Pool(pool.clone()),
                            format!(
                                "scenario {}: pool {pool} has no cap, so no excess to place",
                                scenario.name
                            ),
                        ),
                    },
                    None => problem(
                        Subject::Pool(pool.clone()),
                        format!("scenario {}: unknown pool {pool}", scenario.name),
                    ),
                }
            }
            Change::Key { pool, key } => match m.pools.iter_mut().find(|p| *p.pool.id() == *pool) {
                Some(p) => match changed(&p.pool, |b| b.key(key.clone())) {
                    Ok(changed) => p.pool = changed,
                    Err(e) => problem(
                        Subject::Pool(pool.clone()),
                        format!("scenario {}: {e}", scenario.name),
                    ),
                },
                None => problem(
                    Subject::Pool(pool.clone()),
                    format!("scenario {}: unknown pool {pool}", scenario.name),
                ),
            },
            Change::Threshold { from, amount } => {
                if !in_year(from) {
                    problem(
                        Subject::Agreement,
                        format!(
                            "scenario {}: the threshold's first day {from} is outside {}–{year}, the years the report shows",
                            scenario.name, year - 1
                        ),
                    );
                    continue;
                }
                let mut entries: Vec<Threshold> = m
                    .thresholds
                    .entries()
                    .iter()
                    .filter(|t| t.in_force_from != *from)
                    .cloned()
                    .collect();
                entries.push(Threshold {
                    in_force_from: *from,
                    amount: *amount,
                });
                match ThresholdTable::new(entries) {
                    Ok(t) => m.thresholds = t,
                    Err(e) => problem(
                        Subject::Agreement,
                        format!("scenario {}: {e}", scenario.name),
                    ),
                }
            }
            Change::Budget { from, by } => {
                if !in_year(from) {
                    problem(
                        Subject::Agreement,
                        format!(
                            "scenario {}: the budget's first day {from} is outside {}–{year}, the years the report shows",
                            scenario.name, year - 1
                        ),
                    );
                    continue;
                }
                let in_force = m
                    .budgets
                    .iter()
                    .filter(|b| b.budget.valid_from <= *from)
                    .max_by_key(|b| b.budget.valid_from)
                    .cloned();
                let Some(mut entry) = in_force else {
                    problem(
                        Subject::Agreement,
                        format!(
                            "scenario {}: no budget is in force on {from}",
                            scenario.name
                        ),
                    );
                    continue;
                };
                match by {
                    Adjustment::Percent(_) => {
                        for l in &mut entry.budget.lines {
                            match by.apply(l.amount) {
                                Ok(a) => l.amount = a,
                                Err(e) => {
                                    problems.push(Problem::new(
                                        Subject::Agreement,
                                        source,
                                        format!("scenario {}: {e}", scenario.name),
                                    ));
                                }
                            }
                        }
                    }
                    Adjustment::Amount(a) => entry.budget.lines.push(BudgetLine {
                        name: format!("scenario {}", scenario.name),
                        amount: *a,
                        inferred: false,
                        source: c.source.clone(),
                    }),
                }
                entry.budget.name = format!("{} ({})", entry.budget.name, by.in_words());
                entry.budget.valid_from = *from;
                m.budgets.retain(|b| b.budget.valid_from != *from);
                m.budgets.push(entry);
                m.budgets.sort_by_key(|b| b.budget.valid_from);
            }
            Change::Users { party, from, users } => {
                if !in_year(from) {
                    problem(
                        Subject::Party(party.clone()),
                        format!(
                            "scenario {}: the day {from} is outside {}–{year}, the years the report shows",
                            scenario.name, year - 1
                        ),
                    );
                    continue;
                }
                match parties.iter_mut().find(|p| p.id == *party) {
                    Some(p) => {
                        p.users = Some(Sourced::new(*users));
                        let now = users_on(&m, party, *from);
                        add_users(&mut m, party, *from, *users, now);
                    }
                    None => problem(
                        Subject::Party(party.clone()),
                        format!("scenario {}: unknown party {party}", scenario.name),
                    ),
                }
            }
            Change::Population { party, population } => {
                match parties.iter_mut().find(|p| p.id == *party) {
                    Some(p) => {
                        let date = p.population.as_ref().and_then(|x| x.reference_date);
                        p.population = Some(Population {
                            count: *population,
                            reference_date: date,
                            source: c.source.clone(),
                        });
                    }
                    None => problem(
                        Subject::Party(party.clone()),
                        format!("scenario {}: unknown party {party}", scenario.name),
                    ),
                }
            }
        }
    }
    for (party, day) in joins.keys() {
        if notices.contains_key(&(party.clone(), *day)) {
            let source = scenario
                .changes
                .iter()
                .find(|c| matches!(&c.change, Change::Notice { party: p, day: d } if p == party && d == day))
                .and_then(|c| c.source.as_ref());
            problems.push(Problem::new(
                Subject::Party(party.clone()),
                source,
                format!(
                    "scenario {}: {party} joins and gives notice on the same day {day}",
                    scenario.name
                ),
            ));
        }
    }
    match Agreement::new(parties) {
        Ok(a) => m.agreement = a,
        Err(e) => problems.extend(e.problems().iter().map(|p| {
            Problem::new(
                Subject::Parties,
                scenario
                    .changes
                    .iter()
                    .find(|c| matches!(c.change, Change::Join { .. }))
                    .or(scenario.changes.first())
                    .and_then(|c| c.source.as_ref()),
                format!("scenario {}: {p}", scenario.name),
            )
        })),
    }
    if problems.is_empty() {
        Ok(m)
    } else {
        Err(problems)
    }
}

/// Makes `party`, joining on `day`, a participant of the pool `id` (R14): a pool that names
/// its participants gets it named; a pool shared by all takes it in on its own. A direct pool
/// (billed to one party) and a pool that falls due before the joining day are problems: the
/// party would be named on a day it is not a member.
fn join_pool(
    m: &mut Model,
    party: &PartyId,
    day: NaiveDate,
    id: &PoolId,
    mut problem: impl FnMut(Subject, String),
) {
    let Some(p) = m.pools.iter_mut().find(|p| *p.pool.id() == *id) else {
        problem(Subject::Pool(id.clone()), format!("unknown pool {id}"));
        return;
    };
    if let Key::Direct { party: to } = p.pool.key() {
        problem(
            Subject::Pool(id.clone()),
            format!("pool {id} is billed to {to} alone (direct key): {party} cannot join it"),
        );
        return;
    }
    if let Some(before) = p.due.iter().filter(|d| **d < day).max() {
        problem(
            Subject::Pool(id.clone()),
            format!(
                "pool {id} falls due on {before}, before {party} joins on {day}: a joining party \
                 takes part in the pools that fall due from its joining day"
            ),
        );
        return;
    }
    if let Participants::Only(ids) = p.pool.participants() {
        if !ids.contains(party) {
            let mut ids = ids.clone();
            ids.push(party.clone());
            p.pool = p.pool.shared_by(ids);
        }
    }
}

/// `pool` with a scenario's change, checked as the pool itself is.
fn changed(pool: &Pool, change: impl FnOnce(PoolBuilder) -> PoolBuilder) -> Result<Pool, String> {
    change(pool.to_builder()).build().map_err(|e| {
        e.problems()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// The users of `party` on `day` in the model's register or counts.
fn users_on(m: &Model, party: &PartyId, day: NaiveDate) -> u64 {
    if !m.registrations.is_empty() {
        m.registrations
            .iter()
            .filter(|r| {
                r.party == *party && r.first_day <= day && r.last_day.is_none_or(|l| day <= l)
            })
            .count() as u64
    } else {
        m.user_counts
            .iter()
            .filter(|c| c.party == *party && c.date <= day)
            .max_by_key(|c| c.date)
            .map_or(0, |c| c.count)
    }
}

/// Makes `party` have `target` users from `day` (it has `now`): counts get a row; a register
/// gets users added from `day`, or its last-registered users end the day before.
fn add_users(m: &mut Model, party: &PartyId, day: NaiveDate, target: u64, now: u64) {
    if m.registrations.is_empty() {
        m.user_counts
            .retain(|c| !(c.party == *party && c.date == day));
        m.user_counts.push(UserCount {
            party: party.clone(),
            date: day,
            count: target,
            source: None,
        });
        return;
    }
    if target > now {
        for i in now..target {
            m.registrations.push(Registration::new(
                party.clone(),
                UserId::new(&format!("scenario:{party}:{day}:{i}")),
                day,
                None,
            ));
        }
    } else {
        let before = day.pred_opt().unwrap_or(day);
        let mut active: Vec<&mut Registration> = m
            .registrations
            .iter_mut()
            .filter(|r| {
                r.party == *party && r.first_day <= day && r.last_day.is_none_or(|l| day <= l)
            })
            .collect();
        active.sort_by_key(|r| std::cmp::Reverse(r.first_day));
        for r in active.into_iter().take((now - target) as usize) {
            r.last_day = Some(before);
        }
    }
}

/// One party in the base and in a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Difference {
    /// The party.
    pub party: PartyId,
    /// Its name.
    pub name: String,
    /// Its total in the base.
    pub base: Money,
    /// Its total in the scenario.
    pub scenario: Money,
    /// `scenario - base`.
    pub difference: Money,
    /// The difference in per cent of the base (two decimals); none when the base is zero.
    pub percent: Option<Decimal>,
    /// The rules that made the difference, in Swedish; empty when there is none.
    pub reasons: Vec<String>,
}

/// A scenario beside the base.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ScenarioResult {
    /// The scenario's name.
    pub name: String,
    /// The scenario's year.
    pub report: YearReport,
    /// Every party of the base or the scenario.
    pub differences: Vec<Difference>,
}

/// The base year and each scenario beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Comparison {
    /// The year as the model stands.
    pub base: YearReport,
    /// The scenarios, in the order given.
    pub scenarios: Vec<ScenarioResult>,
}

/// The year `year` of `model` and of each scenario. Issued lines stay as issued in every
/// scenario; the rest is recomputed from the changed model.
///
/// # Errors
/// Every problem of the base or of any scenario; a scenario's problems (an unknown party, an
/// entry without a majority, …) are at its changes' sources.
pub fn compare(
    model: &Model,
    year: i32,
    history: &History,
    scenarios: &[Scenario],
) -> Result<Comparison, Vec<Problem>> {
    let base_computed = compute_lines(model, year, history)?;
    let issued: Vec<YearLine> = base_computed
        .lines
        .iter()
        .filter(|l| l.issued)
        .cloned()
        .collect();
    let base = summarise(model, year, base_computed);
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for s in scenarios {
        let changed = match apply(model, year, s) {
            Ok(m) => m,
            Err(p) => {
                problems.extend(p);
                continue;
            }
        };
        let mut computed = match compute_lines(&changed, year, history) {
            Ok(c) => c,
            Err(p) => {
                // The base computed: the scenario's rows made these problems.
                problems.extend(p.into_iter().map(|p| at_scenario(s, p)));
                continue;
            }
        };
        computed.lines.retain(|l| !l.issued);
        computed.lines.extend(issued.iter().cloned());
        let report = summarise(&changed, year, computed);
        let differences = differences(model, &base, &report, s);
        out.push(ScenarioResult {
            name: s.name.clone(),
            report,
            differences,
        });
    }
    if problems.is_empty() {
        Ok(Comparison {
            base,
            scenarios: out,
        })
    } else {
        Err(problems)
    }
}

/// A problem the engine found in a scenario's model, located at the scenario's row that made
/// it: the change that names its pool or party, else a change that touches every pool (a join,
/// a notice, users, a population, a threshold), else the scenario's first row. Where the engine
/// read the figure (e.g. the pool's row) stays in the message.
fn at_scenario(s: &Scenario, p: Problem) -> Problem {
    let names = |c: &Change| match (&p.subject, c) {
        (
            Subject::Pool(id),
            Change::PoolAmount { pool, .. }
            | Change::Cap { pool, .. }
            | Change::Excess { pool, .. }
            | Change::Key { pool, .. },
        ) => pool == id,
        (Subject::Pool(id), Change::Join { pools, .. }) => pools.contains(id),
        (Subject::Party(id), Change::Join { party, .. }) => party.id == *id,
        (
            Subject::Party(id),
            Change::Notice { party, .. }
            | Change::Users { party, .. }
            | Change::Population { party, .. },
        ) => party == id,
        (Subject::Agreement, Change::Budget { .. } | Change::Threshold { .. }) => true,
        _ => false,
    };
    let broad = |c: &Change| {
        matches!(
            c,
            Change::Join { .. }
                | Change::Notice { .. }
                | Change::Users { .. }
                | Change::Population { .. }
                | Change::Threshold { .. }
        )
    };
    let row = s
        .changes
        .iter()
        .find(|c| names(&c.change))
        .or_else(|| s.changes.iter().find(|c| broad(&c.change)))
        .or_else(|| s.changes.first());
    let read_at = p
        .source
        .as_ref()
        .map_or(String::new(), |r| format!(" (read at {r})"));
    Problem {
        subject: p.subject.clone(),
        source: row.and_then(|c| c.source.clone()).or(p.source.clone()),
        // The source is the scenario row's cell itself, not a row to find a field in.
        field: None,
        message: format!("scenario {}: {}{read_at}", s.name, p.message),
        found: p.found.clone(),
    }
}

fn name_of(model: &Model, report: &YearReport, id: &PartyId) -> String {
    model
        .agreement
        .party(id)
        .map(|p| p.name.clone())
        .or_else(|| report.party(id).map(|p| p.name.clone()))
        .unwrap_or_else(|| id.to_string())
}

fn differences(
    model: &Model,
    base: &YearReport,
    s: &YearReport,
    scenario: &Scenario,
) -> Vec<Difference> {
    let mut out = Vec::new();
    for p in &s.parties {
        let b = base.party(&p.party);
        let base_total = b.map_or(Money::ZERO, |b| b.total);
        let difference = p.total - base_total;
        let reasons = if difference == Money::ZERO {
            Vec::new()
        } else {
            reasons(model, base, s, scenario, &p.party)
        };
        out.push(Difference {
            party: p.party.clone(),
            name: p.name.clone(),
            base: base_total,
            scenario: p.total,
            difference,
            percent: percent(difference, base_total),
            reasons,
        });
    }
    out
}

/// The rules behind a party's difference, in Swedish.
fn reasons(
    model: &Model,
    base: &YearReport,
    s: &YearReport,
    scenario: &Scenario,
    id: &PartyId,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |r: String| {
        if !out.contains(&r) {
            out.push(r);
        }
    };
    let (Some(bp), Some(sp)) = (base.party(id), s.party(id)) else {
        push("ny part i scenariot".to_owned());
        return out;
    };
    let fees_changed = bp.advance != sp.advance || bp.corrections != sp.corrections;
    for c in &scenario.changes {
        match &c.change {
            Change::Notice { party, day } if party == id => {
                let last = day
                    .checked_add_months(chrono::Months::new(model.settings.exit.notice_months))
                    .unwrap_or(*day);
                push(format!(
                    "utträde: uppsägning {day}, sista medlemsdag {last}"
                ));
            }
            Change::Notice { party, .. } if !fees_changed || bp.pools != sp.pools => {
                push(format!(
                    "omfördelning när {} lämnar avtalet",
                    name_of(model, s, party)
                ));
            }
            Change::Join { party, day, .. } if party.id == *id => push(format!(
                "inträde {day}: första årets användaravgift × {}",
                model.settings.entry.multiplier.normalize()
            )),
            Change::Join { party, .. } if bp.pools != sp.pools => {
                push(format!("omfördelning när {} går med i avtalet", party.name))
            }
            Change::Budget { by, from } if fees_changed => push(format!(
                "budgeten ändras {} från {from}: årsavgiften per användare följer (R5)",
                by.in_words()
            )),
            Change::Users { party, users, .. } if party == id => {
                push(format!("antal användare ändras till {users}"))
            }
            Change::Population { party, population } if party == id => {
                push(format!("folkmängden ändras till {population}"))
            }
            _ => {}
        }
    }
    // Pools: caps and the excess (R2), or the change of the pool itself.
    let pool_ids: BTreeSet<&PoolId> = bp.pools.keys().chain(sp.pools.keys()).collect();
    for pool in pool_ids {
        let before = bp.pools.get(pool).copied().unwrap_or(Money::ZERO);
        let after = sp.pools.get(pool).copied().unwrap_or(Money::ZERO);
        if before == after {
            continue;
        }
        let name = s
            .pools
            .iter()
            .find(|(p, _)| p == pool)
            .map_or(pool.to_string(), |(_, n)| n.clone());
        let capped = |r: &YearReport, who: &PartyId| {
            r.allocations.iter().any(|a| {
                a.pool == *pool
                    && a.parts
                        .iter()
                        .any(|p| p.party == *who && p.capped_in_round.is_some())
            })
        };
        if capped(s, id) || capped(base, id) {
            let limit = s
                .allocations
                .iter()
                .find(|a| a.pool == *pool)
                .and_then(|a| a.cap.as_ref())
                .map(|c| c.limit);
            match limit {
                Some(l) => push(format!(
                    "takbegränsad andel av {name}: taket är {} kr",
                    l.to_swedish()
                )),
                None => push(format!("takbegränsad andel av {name}")),
            }
            continue;
        }
        let alloc = s.allocations.iter().find(|a| a.pool == *pool);
        let capped_names: Vec<String> = alloc
            .map(|a| {
                a.parts
                    .iter()
                    .filter(|p| p.capped_in_round.is_some())
                    .map(|p| name_of(model, s, &p.party))
                    .collect()
            })
            .unwrap_or_default();
        let absorbed_by_me = alloc
            .and_then(|a| a.absorbed.as_ref())
            .is_some_and(|(who, _)| who == id);
        if absorbed_by_me {
            push(format!(
                "övertar överskottet av {} takbegränsade andel av {name}",
                genitive(&capped_names)
            ));
        } else if alloc.is_some_and(|a| {
            a.cap
                .as_ref()
                .is_some_and(|c| c.excess == ExcessPolicy::Redistribute)
        }) && !capped_names.is_empty()
        {
            push(format!(
                "omfördelat överskott från {} takbegränsade andel av {name}",
                genitive(&capped_names)
            ));
        }
        for c in &scenario.changes {
            match &c.change {
                Change::PoolAmount { pool: p, by } if p == pool => {
                    push(format!("{name} ändras {}", by.in_words()))
                }
                Change::Key { pool: p, .. } if p == pool => {
                    push(format!("{name} fördelas med en ny nyckel"))
                }
                Change::Population { party, .. } if party != id => push(format!(
                    "{} fördelas om efter {} nya folkmängd",
                    name,
                    genitive(&[name_of(model, s, party)])
                )),
                _ => {}
            }
        }
    }
    if out.is_empty() {
        out.push("omfördelning av scenariots ändringar".to_owned());
    }
    out
}

/// Swedish genitive of a list of names: "Stockholms", "Solna och Sundbybergs".
fn genitive(names: &[String]) -> String {
    let g = |n: &String| {
        if n.ends_with('s') || n.ends_with('x') || n.ends_with('z') {
            n.clone()
        } else {
            format!("{n}s")
        }
    };
    match names {
        [] => String::new(),
        [one] => g(one),
        [rest @ .., last] => format!(
            "{} och {}",
            rest.iter()
                .map(String::clone)
                .collect::<Vec<_>>()
                .join(", "),
            g(last)
        ),
    }
}
