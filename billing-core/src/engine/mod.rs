//! The whole engine: an agreement in ([`Model`]), the invoices of a date out ([`invoices_due`]).
//!
//! Given the model, an invoice date and what the register holds of earlier invoices
//! ([`History`]), [`invoices_due`] works through every billing date from the agreement's start
//! (period starts, pool due dates, settlement days, the ends of transaction periods): user fees
//! in advance with corrections (R6–R9), pools split by their keys among the members of the day
//! (R1–R3, R12–R14), transactions in arrears (R11), the providers' arrears (R10), one invoice
//! per party and date (R15) and the cash-flow timeline. Dates the register has not recorded
//! are assumed billed as computed, and said so.
//!
//! The rules are described in `docs/rules.md` of the repository.

mod model;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::agreement::PartyId;
use crate::apportion::apportion;
use crate::calendar::advance::{lines_due, Threads};
use crate::calendar::{
    annual_fee, AnnualFee, EntryRequest, FeeLine, FeeSchedule, Members, Membership, Period,
    Register, UserCounts, Users,
};
use crate::cooperation::{fee_review, FeeReview};
use crate::error::Finding;
use crate::invoice::{assemble, payables, DuePool, ExtraLine, Invoice};
use crate::pool::split::allocate;
use crate::pool::{Allocation, Key, Participants, Pool};
use crate::problems::Located;
use crate::settlement::{arrears_invoices, cash_flow_by_place, Moves, PartyTimeline};
use crate::transactions::{Count, PricedLine};

pub use model::{
    BudgetEntry, CooperationTerms, Model, Problem, ScheduledPool, Settings, Subject, Terms,
};

/// An error that says where it is: what the engine's building blocks return.
trait LocatedError: Located + std::fmt::Display {}

impl<E: Located + std::fmt::Display> LocatedError for E {}

/// What the register holds of earlier invoices: the input corrections are computed against.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct History {
    /// The user-fee lines issued, on any date.
    pub fee_lines: Vec<FeeLine>,
    /// The invoice dates on which invoices were issued.
    pub dates: BTreeSet<NaiveDate>,
}

impl History {
    /// The history of `fee_lines` issued on `dates`.
    pub fn new(fee_lines: Vec<FeeLine>, dates: BTreeSet<NaiveDate>) -> History {
        History { fee_lines, dates }
    }
}

/// The invoices due on one date, and what an overview shows.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Billing {
    /// The invoice date.
    pub date: NaiveDate,
    /// The coordinator's invoices to the parties, then the providers' arrears invoices. The
    /// coordinator never invoices itself (R15).
    pub invoices: Vec<Invoice>,
    /// The coordinator's own share on the date, computed like any invoice but never issued:
    /// no number, not in the cash flow (R15).
    pub issuer_share: Option<Invoice>,
    /// The pools (instalments) due on the date, split.
    pub allocations: Vec<Allocation>,
    /// The user-fee lines billed on the date, the coordinator's included (record them when
    /// issued: they are what later corrections are computed against).
    pub fee_lines: Vec<FeeLine>,
    /// The annual fees in force.
    pub fees: Vec<AnnualFee>,
    /// Findings of the splits.
    pub findings: Vec<Finding>,
    /// Money in and out per party, from the agreement's start to the date.
    pub timeline: Vec<PartyTimeline>,
    /// Invoice dates before this one that the history does not hold and that were assumed
    /// billed as computed.
    pub assumed_dates: Vec<NaiveDate>,
    /// The fee review of every cooperation whose fee covers counted transactions (R13).
    pub fee_reviews: Vec<FeeReview>,
    /// The priced transaction lines billed on the date (R11).
    pub transaction_lines: Vec<PricedLine>,
}

/// The invoices of `model` due on `date`, given what was issued before (`history`).
///
/// Lines the history holds for `date` or later are left out: the date is computed against
/// what was issued before it. This is [`Engine::new`] followed by one
/// [`Engine::invoices_due`]: a caller that bills several dates of one model makes the engine
/// once and steps it from date to date instead.
///
/// # Errors
/// Every problem found, each located by its [`Subject`] and the caller's source reference:
/// memberships (an entry without a majority, a notice of a non-member), users, budgets and
/// fees, pools (every split problem, and named participants that are not members on the due
/// date, R14), transactions and invoices.
pub fn invoices_due(
    model: &Model,
    date: NaiveDate,
    history: &History,
) -> Result<Billing, Vec<Problem>> {
    Engine::new(model, history)?.invoices_due(date)
}

/// The engine of one agreement, made once and stepped from date to date: the model validated
/// ([`check`]), the memberships, the users, the annual fees and the fee reviews computed once,
/// and what every billing date up to the last one computed contributes to later dates (its
/// user-fee lines, what its invoices move in the cash flow, whether it is a date assumed
/// billed) carried forward, so that billing the dates of an agreement one after another costs
/// each date its own work, not the agreement's whole history again.
///
/// # The contract
/// [`Engine::invoices_due`] gives, for any date, exactly what [`invoices_due`] gives for that
/// date with the history the engine was made with, extended by every date recorded with
/// [`Engine::record_issued`] since. Dates in increasing order cost only the billing dates
/// between them; a date before one already computed starts again from the agreement's start
/// (correct, not fast), and so does every date of a history whose lines are billed after the
/// period they correct (not a history this engine or the register writes).
///
/// When a date is issued, record it with [`Engine::record_issued`]: the register then
/// holds the date and its fee lines, and the engine holds them too. The lines recorded are
/// normally those the engine just returned for the date, which it already carries (with the
/// invoices they make); lines that differ from what the engine computed for their date make it
/// compute again from that date on.
///
/// # Threads
/// The engine computes on the caller's thread unless told otherwise with
/// [`Engine::set_threads`]: with `n` threads, a date's user-fee lines are computed over up to
/// `n` contiguous runs of the memberships (the caller's thread computing one, and runs of a few
/// thousand memberships at least, so a small agreement stays on one thread) and joined in
/// order, and the pools due are split on one more thread beside them. A thread the system
/// refuses to start leaves its work to the caller's thread. The results (lines, invoices, problems and their order)
/// are the same for any `n`. The engine reads no environment: the caller chooses `n`, e.g.
/// from [`std::thread::available_parallelism`] as `billing-report` does.
///
/// # Example
/// ```
/// use billing_core::calendar::{NaiveDate, Registration, UserId};
/// use billing_core::engine::{invoices_due, Engine, History, Model, Settings};
/// use billing_core::{Agreement, Money, Party, PartyId, Sourced};
///
/// let id = |s: &str| PartyId::new(s).unwrap();
/// let agreement = Agreement::new(vec![
///     Party::new(id("hub"), "Hubbe kommun").with_population(40_000, None),
///     Party::new(id("ost"), "Östra kommun").with_population(10_000, None),
/// ])
/// .unwrap();
/// let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
/// let mut model = Model::new(Settings::new(id("hub"), Some(start)), agreement);
/// model.annual_fee = Some(Sourced::new(Money::from_kronor(600)));
/// for u in 0..12 {
///     let user = UserId::new(&format!("ost-{u}"));
///     model.registrations.push(Registration::new(id("ost"), user, start, None));
/// }
///
/// // Issue three half-years one after another: the engine is made once, each date is recorded
/// // as issued, and every date gives what `invoices_due` gives with the register's history.
/// let mut engine = Engine::new(&model, &History::default()).unwrap();
/// // On two threads: the same results as on one, sooner on a machine with two cores free.
/// engine.set_threads(2);
/// let mut history = History::default();
/// for (y, m) in [(2024, 1), (2024, 7), (2025, 1)] {
///     let date = NaiveDate::from_ymd_opt(y, m, 1).unwrap();
///     let billing = engine.invoices_due(date).unwrap();
///     assert_eq!(billing, invoices_due(&model, date, &history).unwrap());
///     assert_eq!(billing.invoices.len(), 1);
///     engine.record_issued(date, &billing.fee_lines);
///     history.fee_lines.extend(billing.fee_lines.iter().cloned());
///     history.dates.insert(date);
/// }
/// ```
pub struct Engine<'m> {
    model: &'m Model,
    members: Option<Members>,
    register: Option<Register>,
    counts: Option<UserCounts>,
    fees: Vec<AnnualFee>,
    schedule: Option<FeeSchedule>,
    fee_reviews: Vec<FeeReview>,
    /// The problems of the memberships, users and fees: every date reports them.
    setup_problems: Vec<Problem>,
    /// The problems of the fee reviews: every date reports them, after its fee lines'.
    review_problems: Vec<Problem>,
    /// The transaction lines by the last day of their billing period, in the model's order.
    transaction_ends: BTreeMap<NaiveDate, Vec<&'m PricedLine>>,
    /// Every pool due date.
    pool_dates: BTreeSet<NaiveDate>,
    /// The fee lines issued: the history's, then those recorded, in that order.
    issued: Vec<FeeLine>,
    /// Indices into `issued` by invoice date and by the period a line pays for.
    issued_by_date: BTreeMap<NaiveDate, Vec<usize>>,
    issued_by_period: BTreeMap<Period, Vec<usize>>,
    /// The dates issued.
    issued_dates: BTreeSet<NaiveDate>,
    /// Whether every line issued is billed no later than the start of the period after the one
    /// it pays for (as every line the engine computes): then what a date computes does not
    /// depend on any later date, and it is carried.
    regular: bool,
    /// Every billing date up to this one is carried.
    carried: Option<NaiveDate>,
    /// The fee lines computed for the period starts carried, by date (issued or not), from
    /// `pruned` on: only the last two periods' lines are read by later dates, and holding every
    /// date's would make memory grow with parties × dates.
    computed: BTreeMap<NaiveDate, Vec<FeeLine>>,
    /// The computed lines of dates before this one are no longer held: a date recorded or
    /// rewound to before it computes again from the agreement's start.
    pruned: Option<NaiveDate>,
    /// What the invoices of each billing date carried move in the cash flow.
    moves: BTreeMap<NaiveDate, Moves>,
    /// The dates carried that are assumed billed unless issued: period starts whose lines were
    /// computed, and dates with invoices.
    assumable: BTreeSet<NaiveDate>,
    /// How many threads a date's user-fee lines are computed on ([`Engine::set_threads`]).
    threads: usize,
}

/// What a step computed, before it is carried.
struct Step {
    billing: Billing,
    /// The fee lines computed, from `pruned` on.
    lines: BTreeMap<NaiveDate, Vec<FeeLine>>,
    /// The lines of dates before this one were computed and dropped.
    pruned: Option<NaiveDate>,
    moves: BTreeMap<NaiveDate, Moves>,
    assumable: Vec<NaiveDate>,
}

/// A problem of the agreement as a whole, about the field the error names (a setting such as
/// `correction_policy`, a column such as `date`).
fn whole(e: &dyn LocatedError) -> Problem {
    Problem::new(Subject::Agreement, None, e.to_string()).at(e.place().field)
}

impl std::fmt::Debug for Engine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("issued_dates", &self.issued_dates)
            .field("carried", &self.carried)
            .finish_non_exhaustive()
    }
}

impl<'m> Engine<'m> {
    /// The engine of `model`, with `history` as what the register holds: validates the model and
    /// computes what every date needs (memberships, users, annual fees, fee reviews) once.
    ///
    /// # Errors
    /// The problems of [`check`] (among them an entry without a majority): a model that is not
    /// valid is not computed. Problems that only computing finds (a budget that cannot be
    /// computed…) are reported by every date, with that date's own.
    pub fn new(model: &'m Model, history: &History) -> Result<Engine<'m>, Vec<Problem>> {
        // A model that is not valid is not computed: what a computation would find in it is
        // noise beside its problems, and often the same problem again.
        let (problems, members) = check_model(model, true, &mut Strangers::default());
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Engine::build(model, members, history))
    }

    /// The engine of a model already checked, with `history` as what the register holds: as
    /// [`Engine::new`], without checking the model again (the type says it was) and with the
    /// memberships the check made. Problems that only computing finds are reported by every
    /// date, as with [`Engine::new`].
    pub fn checked(model: &'m CheckedModel, history: &History) -> Engine<'m> {
        Engine::build(&model.model, model.members.clone(), history)
    }

    /// The engine of `model`, which [`check`] found valid, with the memberships it made.
    fn build(model: &'m Model, members: Option<Members>, history: &History) -> Engine<'m> {
        let mut problems = Vec::new();
        let settings = &model.settings;

        // Users: the register when given, else the counts.
        let register = if model.registrations.is_empty() {
            None
        } else {
            match Register::new(&model.registrations, &model.agreement) {
                Ok(r) => Some(r),
                Err(e) => {
                    problems.extend(e.problems().iter().map(|p| whole(p)));
                    None
                }
            }
        };
        let counts = if model.user_counts.is_empty() {
            None
        } else {
            match UserCounts::new(&model.user_counts, &model.agreement) {
                Ok(c) => Some(c),
                Err(e) => {
                    problems.extend(e.problems().iter().map(|p| whole(p)));
                    None
                }
            }
        };
        let users = users_of(register.as_ref(), counts.as_ref());

        // The annual fees (R5): from each budget, or given.
        let mut fees = Vec::new();
        for b in &model.budgets {
            let n = b.users.or_else(|| {
                users.map(|u| {
                    model
                        .agreement
                        .parties()
                        .iter()
                        .map(|p| u.users_on(&p.id, b.budget.reference_date))
                        .sum()
                })
            });
            match annual_fee(&b.budget, n.unwrap_or(0), settings.fee_rounding) {
                Ok(f) => fees.push(f),
                // At the budget's first line: the budget has no place of its own.
                Err(e) => problems.push(
                    Problem::new(
                        Subject::Agreement,
                        b.budget.lines.first().and_then(|l| l.source.as_ref()),
                        e.to_string(),
                    )
                    .at(e.place().field),
                ),
            }
        }
        if let (Some(fee), Some(start)) = (&model.annual_fee, settings.start) {
            fees.push(AnnualFee::given(start, fee.value, fee.source.clone()));
        }
        let schedule = if fees.is_empty() {
            None
        } else {
            match FeeSchedule::new(fees.clone()) {
                Ok(s) => Some(s),
                Err(e) => {
                    problems.push(whole(&e));
                    None
                }
            }
        };
        let mut review_problems = Vec::new();
        let fee_reviews = fee_reviews(model, &mut review_problems);

        let mut transaction_ends: BTreeMap<NaiveDate, Vec<&PricedLine>> = BTreeMap::new();
        for l in &model.transaction_lines {
            transaction_ends
                .entry(l.billing_period.end())
                .or_default()
                .push(l);
        }
        let pool_dates = model
            .pools
            .iter()
            .flat_map(|p| p.due.iter().copied())
            .collect();
        let mut engine = Engine {
            model,
            members,
            register,
            counts,
            fees,
            schedule,
            fee_reviews,
            setup_problems: problems,
            review_problems,
            transaction_ends,
            pool_dates,
            issued: Vec::new(),
            issued_by_date: BTreeMap::new(),
            issued_by_period: BTreeMap::new(),
            issued_dates: history.dates.clone(),
            regular: true,
            carried: None,
            computed: BTreeMap::new(),
            pruned: None,
            moves: BTreeMap::new(),
            assumable: BTreeSet::new(),
            threads: 1,
        };
        for line in &history.fee_lines {
            engine.hold_issued(line.clone());
        }
        engine
    }

    /// Computes each date's user-fee lines on up to `threads` threads, the caller's among them
    /// (1, the default, computes them on the caller's thread; 0 counts as 1), and splits the
    /// pools due on one thread more when `threads` is above 1. The memberships are split into
    /// contiguous runs of a few thousand at least, whose lines are joined in order, so what the
    /// engine returns is the same for any number of threads: only the time it takes differs. The engine reads no environment: the
    /// caller chooses, e.g. from [`std::thread::available_parallelism`].
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    /// The invoices due on `date`, given the history the engine was made with and the dates
    /// recorded since: exactly what [`invoices_due`] gives with that history.
    ///
    /// Every billing date after the last date computed, up to `date`, is computed once and
    /// carried for the dates after it. A date that fails changes nothing of what is carried.
    ///
    /// # Errors
    /// As [`invoices_due`].
    pub fn invoices_due(&mut self, date: NaiveDate) -> Result<Billing, Vec<Problem>> {
        if !self.regular || self.carried.is_some_and(|c| date <= c) {
            self.restart();
        }
        let step = self.step(date)?;
        // The date itself is carried unless the history holds it (or lines dated on it): a
        // later date computes it against those, not as computed here.
        // Nor is a date that a later date computed afresh would not count among its billing
        // dates (a settlement day asked for when the model has no start, or before it): it is
        // computed for itself only.
        let keep_date = !self.issued_dates.contains(&date)
            && !self.issued_by_date.contains_key(&date)
            && self.is_billing_date(date);
        let Step {
            mut billing,
            lines,
            pruned,
            mut moves,
            assumable,
        } = step;
        for (d, l) in lines {
            if d < date || keep_date {
                self.computed.insert(d, l);
            }
        }
        if let Some(p) = pruned.filter(|p| self.pruned.is_none_or(|q| q < *p)) {
            self.computed = self.computed.split_off(&p);
            self.pruned = Some(p);
        }
        let date_moves = if keep_date {
            Moves::default()
        } else {
            moves.remove(&date).unwrap_or_default()
        };
        self.moves.extend(moves);
        self.assumable
            .extend(assumable.into_iter().filter(|d| *d < date || keep_date));
        self.carried = if keep_date {
            Some(date)
        } else {
            date.pred_opt()
        };
        billing.timeline = cash_flow_by_place(
            self.model.agreement.parties(),
            &self.model.settings.issuer,
            self.moves
                .iter()
                .map(|(d, m)| (*d, m))
                .chain(std::iter::once((date, &date_moves))),
            &self.model.provider_costs,
        );
        billing.assumed_dates = self
            .assumable
            .range(..date)
            .filter(|d| !self.issued_dates.contains(d))
            .copied()
            .collect();
        Ok(billing)
    }

    /// Records `date` as issued with its user-fee `lines` (those dated on it are recorded, as
    /// the register records them): they become part of the history for every later date.
    ///
    /// Record the fee lines this engine returned for the date ([`Billing::fee_lines`]): what it
    /// carries of the date is then already what the history holds. Other lines, or a date the
    /// history already holds, make the engine compute again from `date` on.
    pub fn record_issued(&mut self, date: NaiveDate, lines: &[FeeLine]) {
        let lines: Vec<FeeLine> = lines
            .iter()
            .filter(|l| l.invoice_date == date)
            .cloned()
            .collect();
        if self.carried.is_some_and(|c| date <= c) {
            let as_carried = !self.issued_dates.contains(&date)
                && self.pruned.is_none_or(|p| date >= p)
                && self
                    .computed
                    .get(&date)
                    .map_or(lines.is_empty(), |c| *c == lines);
            if !as_carried {
                self.rewind(date);
            }
        }
        for line in lines {
            self.hold_issued(line);
        }
        self.issued_dates.insert(date);
        self.computed.remove(&date);
    }

    /// Adds an issued line to the history held: as the register reads it back (what later dates
    /// read of it is its party, kind, period, date and amount), not its explanation.
    fn hold_issued(&mut self, line: FeeLine) {
        let line = FeeLine::issued(
            line.party,
            line.kind,
            line.period,
            line.invoice_date,
            line.amount,
        );
        let next_start = line.period.end().succ_opt();
        if next_start.is_none_or(|n| line.invoice_date > n) {
            self.regular = false;
        }
        let i = self.issued.len();
        self.issued_by_date
            .entry(line.invoice_date)
            .or_default()
            .push(i);
        self.issued_by_period
            .entry(line.period)
            .or_default()
            .push(i);
        self.issued.push(line);
    }

    /// Forgets what is carried of `from` and later; everything when the lines the dates from
    /// `from` on are computed against are no longer held.
    fn rewind(&mut self, from: NaiveDate) {
        if let Some(pruned) = self.pruned {
            let periods = &self.model.settings.calendar.periods;
            let read_from = from
                .pred_opt()
                .and_then(|d| periods.containing(d).ok())
                .map(|p| p.start());
            if read_from.is_none_or(|r| r < pruned) {
                self.restart();
                return;
            }
        }
        drop(self.computed.split_off(&from));
        drop(self.moves.split_off(&from));
        drop(self.assumable.split_off(&from));
        if self.carried.is_some_and(|c| c >= from) {
            self.carried = from.pred_opt();
        }
    }

    /// Forgets everything carried: the next date is computed from the agreement's start.
    fn restart(&mut self) {
        self.computed.clear();
        self.pruned = None;
        self.moves.clear();
        self.assumable.clear();
        self.carried = None;
    }

    /// The users: the register when given, else the counts.
    fn users(&self) -> Option<Users<'_>> {
        users_of(self.register.as_ref(), self.counts.as_ref())
    }

    /// What lines computed on the period start `day` are computed against, for `date`: the
    /// issued lines before `date`, then the lines computed for earlier dates the history does
    /// not hold (carried, or computed in this step: `fresh`), each only where it pays for the
    /// period that ends before `day` (the only lines the computation reads).
    fn issued_before<'a>(
        &'a self,
        day: NaiveDate,
        date: NaiveDate,
        fresh: &'a BTreeMap<NaiveDate, Vec<FeeLine>>,
    ) -> Vec<&'a FeeLine> {
        let periods = &self.model.settings.calendar.periods;
        let Ok(previous) = periods.starting(day).and_then(|p| periods.previous(p)) else {
            // The computation itself reports why.
            return Vec::new();
        };
        let mut out: Vec<&FeeLine> = self
            .issued_by_period
            .get(&previous)
            .into_iter()
            .flatten()
            .map(|&i| &self.issued[i])
            .filter(|l| l.invoice_date < date)
            .collect();
        // A computed line is billed on the start of the period it pays for or of the next.
        let range = previous.start()..day;
        let computed = self
            .computed
            .range(range.clone())
            .chain(fresh.range(range))
            .filter(|(d, _)| !self.issued_dates.contains(d));
        for (_, lines) in computed {
            out.extend(lines.iter().filter(|l| l.period == previous));
        }
        out
    }

    /// Whether every later date, computed afresh, counts `date` among its billing dates: a
    /// pool's due date, the end of a transaction period, or, from the agreement's start on, a
    /// period start or a settlement day (as `step` finds them).
    fn is_billing_date(&self, date: NaiveDate) -> bool {
        let settings = &self.model.settings;
        self.pool_dates.contains(&date)
            || self.transaction_ends.contains_key(&date)
            || settings.start.is_some_and(|start| {
                date >= start
                    && (!settlement_days(self.model, date, date).is_empty()
                        || (self.members.is_some()
                            && !settings
                                .calendar
                                .periods
                                .starts_between(date, date)
                                .is_empty()))
            })
    }

    /// Computes every billing date after those carried, up to `date`, without carrying them.
    fn step(&self, date: NaiveDate) -> Result<Step, Vec<Problem>> {
        let model = self.model;
        let settings = &model.settings;
        let after = self.carried;
        let in_step = |d: &NaiveDate| after.is_none_or(|c| *d > c) && *d <= date;

        // User fees (R6, R7): every period start from the agreement's start on, none before
        // it; a period the agreement starts inside is billed as the correction on the next
        // start. Each date's lines become "issued" for the next unless the history holds what
        // was issued. The lines of a period start are computed when the billing dates reach it
        // (they read only earlier dates' lines), and its problems are reported before the
        // fee reviews' and the days' as when every period start was computed first.
        let mut lines: BTreeMap<NaiveDate, Vec<FeeLine>> = BTreeMap::new();
        let mut pruned = None;
        let mut date_lines = Vec::new();
        let mut assumable = Vec::new();
        let mut fee_problems = Vec::new();
        let mut fees_failed = false;
        let period_starts: Vec<NaiveDate> = match (settings.start, &self.members) {
            (Some(start), Some(_)) => settings.calendar.periods.starts_between(start, date),
            _ => Vec::new(),
        };
        let fee_starts: BTreeSet<NaiveDate> = period_starts
            .iter()
            .copied()
            .filter(|d| in_step(d))
            .filter(|d| !(*d < date && self.issued_dates.contains(d)))
            .collect();
        let fee_inputs = match (&self.schedule, self.users(), &self.members) {
            (Some(schedule), Some(users), Some(members)) => Some((schedule, users, members)),
            _ => None,
        };

        // Every billing date up to this one, for the cash-flow timeline; none before the
        // start.
        let first = settings.start.unwrap_or(date);
        let first = after
            .and_then(|c| c.succ_opt())
            .map_or(first, |a| a.max(first));
        let mut billing_dates: BTreeSet<NaiveDate> = period_starts.iter().copied().collect();
        billing_dates.extend(self.transaction_ends.range(..=date).map(|(d, _)| *d));
        billing_dates.extend(self.pool_dates.range(..=date).copied());
        billing_dates.extend(settlement_days(model, first, date));
        billing_dates.insert(date);
        billing_dates.retain(in_step);

        let mut problems = Vec::new();
        let mut invoices_of_date = Vec::new();
        let mut issuer_share = None;
        let mut moves: BTreeMap<NaiveDate, Moves> = BTreeMap::new();
        let parties = model.agreement.parties();
        let issuer_place = model.agreement.place(&settings.issuer);
        let coordinator = (&settings.issuer, issuer_place);
        let mut allocations = Vec::new();
        let mut findings = Vec::new();
        let no_lines: Vec<FeeLine> = Vec::new();
        // The options (with every party's organisation number) once, not once per date.
        let mut options = settings.invoice.clone();
        options.bill_issuer = true;
        // The pools due are split on a thread of their own when the engine has more than one,
        // ahead of the dates that bill them (one date ahead at most: the thread hands a split
        // over only when this thread takes it, and computes the next meanwhile; a split has a
        // part per party, 100,000 at national scale): a split depends on the
        // model, the memberships and its date only, and computing it beside the fee lines
        // keeps the machine busy while this thread adds up payables (issue 12). What each
        // date's splits find is reported where it was when they were computed in turn.
        let pool_days: Vec<NaiveDate> = billing_dates
            .iter()
            .copied()
            .filter(|d| self.pool_dates.contains(d))
            .collect();
        std::thread::scope(|scope| {
            // No thread when the system refuses one: this thread splits the pools itself.
            let mut splits = (self.threads > 1 && !pool_days.is_empty())
                .then(|| {
                    let (send, splits) = std::sync::mpsc::sync_channel(0);
                    let members = self.members.as_ref();
                    std::thread::Builder::new()
                        .spawn_scoped(scope, move || {
                            for d in pool_days {
                                let (mut p, mut f) = (Vec::new(), Vec::new());
                                let due = due_pools(model, members, d, &mut p, &mut f);
                                if send.send((due, p, f)).is_err() {
                                    break;
                                }
                            }
                        })
                        .ok()
                        .map(|running| (splits, Some(running)))
                })
                .flatten();
            for &d in &billing_dates {
                if let Some((schedule, users, members)) =
                    fee_inputs.filter(|_| !fees_failed && fee_starts.contains(&d))
                {
                    let issued = self.issued_before(d, date, &lines);
                    // Only the date's own lines are explained: an earlier date's are computed for
                    // their amounts (what later dates correct, the cash flow), and an explanation
                    // built for each of them would be dropped unread.
                    let explain = d == date;
                    match lines_due(
                        d,
                        &settings.calendar,
                        schedule,
                        members,
                        users,
                        &issued,
                        true,
                        explain,
                        Threads::new(self.threads),
                    ) {
                        Ok(l) => {
                            if d == date {
                                date_lines = l.clone();
                            }
                            assumable.push(d);
                            lines.insert(d, l);
                        }
                        Err(e) => {
                            fee_problems.extend(e.problems().iter().map(|p| whole(p)));
                            fees_failed = true;
                        }
                    }
                }
                let mut day_findings = Vec::new();
                let split = match splits.as_mut().filter(|_| self.pool_dates.contains(&d)) {
                    Some((r, running)) => r.recv().map_err(|_| {
                        // The thread ended before its last date: it panicked, and its panic
                        // is raised here with its own message.
                        if let Some(Err(e)) = running.take().map(|t| t.join()) {
                            std::panic::resume_unwind(e)
                        }
                    }),
                    None => Err(()),
                }
                .ok();
                let due = match split {
                    Some((due, p, f)) => {
                        problems.extend(p);
                        day_findings.extend(f);
                        due
                    }
                    None => due_pools(
                        model,
                        self.members.as_ref(),
                        d,
                        &mut problems,
                        &mut day_findings,
                    ),
                };
                // The issued lines of an earlier date, then those computed for it.
                let fresh = lines.get(&d).unwrap_or(&no_lines);
                let issued = self.issued_by_date.get(&d).filter(|_| d < date);
                let joined: Vec<FeeLine>;
                let fee_for_day: &[FeeLine] = match issued {
                    Some(held) => {
                        joined = held
                            .iter()
                            .map(|&i| self.issued[i].clone())
                            .chain(fresh.iter().cloned())
                            .collect();
                        &joined
                    }
                    None => fresh,
                };
                let extra: Vec<ExtraLine> = self
                    .transaction_ends
                    .get(&d)
                    .into_iter()
                    .flatten()
                    .map(|l| l.to_extra_line(d, settings.transactions_vat))
                    .collect();
                // An earlier date's invoices are computed for the cash flow only: each buyer's
                // payable, not the invoices (unless they have problems to report).
                let totals = if d == date {
                    None
                } else {
                    payables(d, fee_for_day, &due, &extra, &options, parties)
                };
                let mut day_moves = Moves::default();
                let mut invoices = Vec::new();
                let mut own = None;
                if let Some(totals) = totals {
                    for (place, payable) in totals.by_place {
                        // R15: the issuer's own share is never issued.
                        if Some(place as usize) != issuer_place {
                            day_moves.push(
                                coordinator,
                                &settings.issuer,
                                (&parties[place as usize].id, Some(place as usize)),
                                payable,
                            );
                        }
                    }
                    for (buyer, payable) in &totals.other {
                        if *buyer != settings.issuer {
                            day_moves.push(coordinator, &settings.issuer, (buyer, None), *payable);
                        }
                    }
                } else {
                    let explain = d == date;
                    let assembled = assemble(
                        d,
                        &settings.issuer,
                        fee_for_day,
                        &due,
                        &extra,
                        &options,
                        explain,
                    );
                    invoices = match assembled {
                        Ok(i) => i,
                        Err(e) => {
                            problems.extend(e.problems().iter().map(|p| whole(p)));
                            Vec::new()
                        }
                    };
                    // R15: the issuer's own share is computed like any invoice but never issued.
                    own = invoices
                        .iter()
                        .position(|i| i.buyer == settings.issuer)
                        .map(|i| invoices.remove(i));
                }
                let coordinators = invoices.len();
                if settings.settlement.is_settlement_day(d) && !model.provider_costs.is_empty() {
                    match arrears_invoices(
                        d,
                        &model.agreement,
                        &settings.issuer,
                        &model.provider_costs,
                        &settings.settlement,
                        &options,
                    ) {
                        Ok(a) => invoices.extend(a),
                        Err(e) => problems.extend(e.problems().iter().map(|p| whole(p))),
                    }
                }
                for (k, i) in invoices.iter().enumerate() {
                    // The coordinator's invoices are ordered by buyer, as the parties are.
                    let place = if k < coordinators {
                        model.agreement.place(&i.buyer)
                    } else {
                        None
                    };
                    day_moves.push(coordinator, &i.issuer, (&i.buyer, place), i.payable);
                }
                if !day_moves.is_empty() {
                    // Taken as billed on its date unless the history holds it, and said so.
                    assumable.push(d);
                }
                moves.insert(d, day_moves);
                if d == date {
                    invoices_of_date = invoices;
                    issuer_share = own;
                    allocations = due.into_iter().map(|p| p.allocation).collect();
                    findings = day_findings;
                }
                // The dates after this one read the lines of the period before the one they start
                // and later (see `issued_before`): older lines are dropped, so that memory does not
                // grow with parties × dates.
                if let Some(keep) = self.keep_from(d).filter(|k| pruned.is_none_or(|p| p < *k)) {
                    lines = lines.split_off(&keep);
                    pruned = Some(keep);
                }
            }
        });
        let problems: Vec<Problem> = self
            .setup_problems
            .iter()
            .cloned()
            .chain(fee_problems)
            .chain(self.review_problems.iter().cloned())
            .chain(problems)
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Step {
            billing: Billing {
                date,
                invoices: invoices_of_date,
                issuer_share,
                allocations,
                fee_lines: date_lines,
                fees: self.fees.clone(),
                findings,
                timeline: Vec::new(),
                assumed_dates: Vec::new(),
                fee_reviews: self.fee_reviews.clone(),
                transaction_lines: self
                    .transaction_ends
                    .get(&date)
                    .into_iter()
                    .flatten()
                    .map(|l| (*l).clone())
                    .collect(),
            },
            lines,
            pruned,
            moves,
            assumable,
        })
    }

    /// The first date whose computed fee lines a billing date after `d` may read: the start
    /// of the period before the one that holds `d` (a period start reads the lines that pay
    /// for the period before it). `None` when the calendar cannot say.
    fn keep_from(&self, d: NaiveDate) -> Option<NaiveDate> {
        let periods = &self.model.settings.calendar.periods;
        periods
            .containing(d)
            .and_then(|p| periods.previous(p))
            .ok()
            .map(|p| p.start())
    }
}

/// The users: the register when given, else the counts.
fn users_of<'a>(
    register: Option<&'a Register>,
    counts: Option<&'a UserCounts>,
) -> Option<Users<'a>> {
    match (register, counts) {
        (Some(r), _) => Some(Users::Register(r)),
        (None, Some(c)) => Some(Users::Counts(c)),
        _ => None,
    }
}

/// The problems of `model` that need no date, every one at once, each located by its subject,
/// source reference and field: the settings (the issuer, the start with user fees, the member
/// limit), the terms (unknown parties, terms given twice, approvals by strangers) and, when they
/// are sound, the memberships they make (an entry without a majority, a notice by a party that
/// is not a member, R8 and R9) and the participants they leave without a member on a pool's due
/// date (R14), the pools (ids,
/// due dates, and every problem of their split among the parties, see [`check_pool`]), the rows
/// of the user register, the user counts and the providers' costs (parties the agreement does not
/// know, a registration that ends before it begins) and the cooperations (members that are not
/// parties). [`invoices_due`] computes nothing for a model with any of these.
///
/// A caller that reads the agreement from a file validates it with this alone: the model refuses
/// what the file would be refused for.
pub fn check(model: &Model) -> Vec<Problem> {
    check_model(model, true, &mut Strangers::default()).0
}

/// A model that [`check`] found valid: the type is the proof, so that an engine made of it
/// ([`Engine::checked`]) does not check it again. It keeps the memberships the check made (the
/// engine's own). Only what the check does not read can be changed: the transactions, read
/// from a file once the agreement is known to be sound.
#[derive(Clone, Debug)]
pub struct CheckedModel {
    model: Model,
    members: Option<Members>,
}

impl CheckedModel {
    /// Checks `model` as [`check`] does.
    ///
    /// # Errors
    /// The model given back (boxed: it is large), with the problems of [`check`], when there
    /// is any.
    pub fn new(model: Model) -> Result<CheckedModel, (Box<Model>, Vec<Problem>)> {
        let (problems, members) = check_model(&model, true, &mut Strangers::default());
        if problems.is_empty() {
            Ok(CheckedModel { model, members })
        } else {
            Err((Box::new(model), problems))
        }
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The model, no longer known to be checked.
    pub fn into_model(self) -> Model {
        self.model
    }

    /// Sets the priced transaction lines and the day counts, which [`check`] does not read.
    pub fn set_transactions(&mut self, lines: Vec<PricedLine>, counts: Vec<Count>) {
        self.model.transaction_lines = lines;
        self.model.transaction_counts = counts;
    }
}

/// As [`check`], without the memberships (R8, R9) and the participants they leave without a
/// member (R14): for a caller that could not read every value the memberships are made of (the
/// start, the notice period, a party's joining date or approvals, a party itself). Said of
/// memberships made without those values, a refused entry or a participant that is not a member
/// would only be a consequence of a problem said already. Such a model is refused anyway (the
/// caller has said why), so [`invoices_due`] never computes without this check.
pub fn check_except_memberships(model: &Model) -> Vec<Problem> {
    check_model(model, false, &mut Strangers::default()).0
}

/// As [`check_except_memberships`], for a caller that could not read some parties' ids, in
/// one pass: what is said of a party named anywhere (the issuer, a pool's participant, payer,
/// absorbing party or fixed amount, a row of the register, the user counts or the providers'
/// costs, an approval, a cooperation's member) that is not a party of the agreement is kept
/// aside with the party, since it may be one of the parties whose id could not be read (the
/// caller has said why). The caller learns those parties ([`UnreadCheck::unknown`]), decides
/// which may be unread, and takes the problems without what would be said of those
/// ([`UnreadCheck::problems`]).
pub fn check_with_unread_parties(model: &Model) -> UnreadCheck<'_> {
    let mut strangers = Strangers {
        defer: true,
        ..Strangers::default()
    };
    let (problems, _) = check_model(model, false, &mut strangers);
    UnreadCheck {
        model,
        problems,
        strangers,
    }
}

/// What [`check_with_unread_parties`] found: the problems, and beside them what it would say
/// of each party named that the agreement does not know, with its place among them. A row of
/// the register naming such a party is kept as its number: its problem is made only when it is
/// said, so a register full of a party the caller could not read costs no problem per row.
#[derive(Debug)]
pub struct UnreadCheck<'m> {
    model: &'m Model,
    problems: Vec<Problem>,
    strangers: Strangers,
}

impl UnreadCheck<'_> {
    /// The parties named that the agreement does not know, each once, in order.
    pub fn unknown(&self) -> impl Iterator<Item = &PartyId> {
        self.strangers.ids.keys()
    }

    /// Every problem in the order found, without those that say a party for which `muted`
    /// holds is not a party of the agreement. A register row of such a party is checked as a
    /// party's row instead (its last day).
    pub fn problems(self, muted: impl Fn(&PartyId) -> bool) -> Vec<Problem> {
        let s = self.strangers;
        let mut is_muted = vec![false; s.ids.len()];
        for (id, i) in &s.ids {
            is_muted[*i as usize] = muted(id);
        }
        let registrations = &self.model.registrations;
        let is_muted = &is_muted;
        let run = |(_, first, end, id): (usize, usize, usize, u32)| {
            (first..end).filter_map(move |i| {
                let r = &registrations[i];
                if is_muted[id as usize] {
                    last_day_problem(r, i)
                } else {
                    Some(unknown_row_problem(r, i))
                }
            })
        };
        let mut said = s.said.into_iter().enumerate().peekable();
        let mut rows = s.rows.into_iter().peekable();
        let mut out = Vec::with_capacity(self.problems.len());
        let mut problems = self.problems.into_iter();
        // Each kept-aside problem goes before the problem found after it; at one place, those
        // kept aside before the register's rows go before them.
        for at in 0.. {
            while let Some((_, (_, id, p))) =
                said.next_if(|(k, (pos, _, _))| *pos == at && *k < s.said_before_rows)
            {
                if !is_muted[id as usize] {
                    out.push(p);
                }
            }
            while let Some(r) = rows.next_if(|(pos, _, _, _)| *pos == at) {
                out.extend(run(r));
            }
            while let Some((_, (_, id, p))) = said.next_if(|(_, (pos, _, _))| *pos == at) {
                if !is_muted[id as usize] {
                    out.push(p);
                }
            }
            match problems.next() {
                Some(p) => out.push(p),
                None => break,
            }
        }
        out
    }
}

/// What the check does with what it says of a party named that the agreement does not know:
/// says it at once (a plain check), or keeps it aside, with the party and its place among the
/// problems (see [`UnreadCheck`]).
#[derive(Debug, Default)]
struct Strangers {
    defer: bool,
    /// Each party kept aside, with its number.
    ids: BTreeMap<PartyId, u32>,
    /// The problems kept aside: (place among the problems, party, problem).
    said: Vec<(usize, u32, Problem)>,
    /// How many were kept aside before the register's rows.
    said_before_rows: usize,
    /// The register's rows kept aside, in runs of one party: (place among the problems,
    /// first row, the row after the last, party).
    rows: Vec<(usize, usize, usize, u32)>,
}

impl Strangers {
    /// The number of `id`, numbered when first seen.
    fn number(&mut self, id: &PartyId) -> u32 {
        if let Some(i) = self.ids.get(id) {
            return *i;
        }
        let i = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.ids.insert(id.clone(), i);
        i
    }

    /// Says `problem`, about `id`, a party the agreement does not know, or keeps it aside.
    fn say(&mut self, problems: &mut Vec<Problem>, id: &PartyId, problem: Problem) {
        if self.defer {
            let i = self.number(id);
            self.said.push((problems.len(), i, problem));
        } else {
            problems.push(problem);
        }
    }
}

/// The problems of `model`, and the memberships when they were made (see [`check`]): the
/// engine of a valid model reuses them. What is said of a party the agreement does not know
/// goes through `strangers`.
fn check_model(
    model: &Model,
    with_memberships: bool,
    strangers: &mut Strangers,
) -> (Vec<Problem>, Option<Members>) {
    let unknown = |id: &PartyId| !model.agreement.contains(id);
    let mut problems = Vec::new();
    let settings = &model.settings;
    let agreement = &model.agreement;
    let setting = |field: &'static str, message: String| {
        Problem::new(Subject::Agreement, None, message).at(Some(field))
    };
    if unknown(&settings.issuer) {
        strangers.say(
            &mut problems,
            &settings.issuer,
            setting("issuer", "the issuer must be one of the parties".to_owned())
                .found(&settings.issuer),
        );
    }
    let user_fees = !model.budgets.is_empty() || model.annual_fee.is_some();

    // R5: one annual fee at a time. A fee given as a price is in force from the start, so a
    // budget in force at the start (the latest valid from that day or before) gives a second
    // one: from that day it gave two (found when computing, without a place, before); from
    // before, the given fee would replace it at the start without a word, and nothing before
    // the start is billed (R6), so the budget would never be used.
    if let (Some(fee), Some(start)) = (&model.annual_fee, settings.start) {
        if let Some(from) = model
            .budgets
            .iter()
            .map(|b| b.budget.valid_from)
            .filter(|d| *d <= start)
            .max()
        {
            let at = if from == start {
                String::new()
            } else {
                format!(", in force at the start ({start}),")
            };
            problems.push(
                setting(
                    "annual_fee",
                    format!(
                        "annual_fee and the budget valid from {from}{at} both give the annual \
                         fee from the start: keep one (a budget may start later)"
                    ),
                )
                .found(fee.value),
            );
        }
    }
    if settings.start.is_none() && user_fees {
        problems.push(setting(
            "start",
            "the setting start (the first day of the agreement) is required with user fees"
                .to_owned(),
        ));
    }
    if let Some(limit) = settings.member_limit {
        let parties = agreement.parties();
        if parties.len() as u64 > limit {
            let name = if settings.name.is_empty() {
                String::new()
            } else {
                format!(" {}", settings.name)
            };
            let ids: Vec<&str> = parties.iter().map(|p| p.id.as_str()).collect();
            problems.push(
                setting(
                    "member_limit",
                    format!(
                        "the agreement{name} allows at most {limit} members; the members are {}",
                        ids.join(", ")
                    ),
                )
                .found(parties.len()),
            );
        }
    }
    let before_terms = problems.len();
    let mut seen = BTreeSet::new();
    for t in &model.terms {
        let problem = |message: String| {
            Problem::new(Subject::Party(t.party.clone()), t.source.as_ref(), message)
        };
        if !agreement.contains(&t.party) {
            problems.push(
                problem(format!(
                    "terms for {}, which is not a party of the agreement",
                    t.party
                ))
                .at(Some("id")),
            );
        }
        if !seen.insert(&t.party) {
            problems
                .push(problem(format!("party {}: terms are given twice", t.party)).at(Some("id")));
        }
        if t.joined.is_some() && settings.start.is_none() {
            problems.push(
                problem(format!(
                    "party {}: a joining date needs the agreement's start",
                    t.party
                ))
                .at(Some("joined")),
            );
        }
        for a in t.approved_by.iter().filter(|a| unknown(a)) {
            strangers.say(
                &mut problems,
                a,
                problem(format!("party {} is approved by an unknown party", t.party))
                    .at(Some("approved_by"))
                    .found(a),
            );
        }
    }
    // The memberships (R8: an entry needs a majority; R9: notice is given by a member), once
    // the terms themselves are sound: a refused entry is found however wrong the rest of the
    // agreement is, so that every problem is said at once.
    // R14: so are the named participants of each pool that are not members on its due dates,
    // but neither on a date before the start (said as such below) nor for a party whose entry
    // was refused (said already: it is not a member only because of that).
    let mut made = None;
    if with_memberships && problems.len() == before_terms {
        if let Some((members, refused)) = memberships(model, &mut problems) {
            for p in &model.pools {
                problems.extend(
                    p.due
                        .iter()
                        .filter(|d| settings.start.is_none_or(|s| **d >= s))
                        .filter_map(|d| non_members_named(model, &members, &refused, p, *d)),
                );
            }
            made = Some(members);
        }
    }
    let mut ids: BTreeMap<&str, Option<&crate::id::SourceRef>> = BTreeMap::new();
    for p in &model.pools {
        let problem = |message: String| {
            Problem::new(
                Subject::Pool(p.pool.id().clone()),
                p.source.as_ref(),
                message,
            )
        };
        let id = p.pool.id().as_ref();
        if id.is_empty() || id.trim() != id {
            problems.push(
                problem(format!(
                    "pool id {id:?} must be non-empty text without leading or trailing spaces"
                ))
                .at(Some("id")),
            );
        }
        match ids.get(id) {
            Some(first) => {
                let first = first.map_or(String::new(), |s| format!(" (first at {s})"));
                problems.push(
                    problem(format!("the pool id is used twice{first}"))
                        .at(Some("id"))
                        .found(id),
                );
            }
            None => {
                ids.insert(id, p.source.as_ref());
            }
        }
        if p.due.is_empty() {
            problems.push(problem(format!("pool {id}: no due date")).at(Some("due")));
        }
        // R6: no date before the agreement's start is billed.
        if let Some(start) = settings.start {
            if let Some(d) = p.due.iter().find(|d| **d < start) {
                problems.push(
                    problem(format!(
                        "the pool is due on {d}, before the agreement starts ({start})"
                    ))
                    .at(Some("due"))
                    .found(d),
                );
            }
        }
        if p.due.len() > 1 && p.pool.cap().is_none() && matches!(p.pool.key(), Key::Fixed { .. }) {
            problems.push(
                problem(
                    "a pool with the fixed key cannot be billed in instalments unless capped"
                        .to_owned(),
                )
                .at(Some("due")),
            );
        }
        if let Err(e) = check_pool(agreement, &p.pool, &model.thresholds) {
            use crate::error::SplitError;
            // The parties missing one figure are said in one problem: one cause (a figure
            // not given, or given under another name), said once per party before.
            // So are the parties without a fixed amount, and then the amounts' sum is not
            // said to fall short: it would, for their amounts missing.
            let mut missing: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            let without_fixed = e
                .problems()
                .iter()
                .any(|x| matches!(x, SplitError::MissingFixedAmount { .. }));
            for x in e.problems() {
                match x {
                    // A fixed amount for a party that is not one is said at its own row (its
                    // party), not at the pool's: the pool's row is right, the amount's is not.
                    SplitError::UnknownParty {
                        party,
                        role: "fixed amount",
                        ..
                    } if unknown(party) && fixed_source(&p.pool, party).is_some() => {
                        strangers.say(
                            &mut problems,
                            party,
                            Problem::new(
                                Subject::Pool(p.pool.id().clone()),
                                fixed_source(&p.pool, party),
                                format!(
                                    "pool {id}: the fixed amount's party is not a party of the \
                                     agreement"
                                ),
                            )
                            .at(Some("party"))
                            .found(party),
                        );
                    }
                    SplitError::UnknownParty { party, .. } if unknown(party) => {
                        strangers.say(&mut problems, party, problem(x.to_string()).at(x.field()));
                    }
                    // A missing amount (each is in the direction of the pool: a credit's are
                    // negative) only makes the sum fall short: a sum over the pool is said all
                    // the same.
                    SplitError::FixedAmountsDoNotAddUp { sum, amount, .. }
                        if without_fixed && (sum < amount) != amount.is_negative() => {}
                    SplitError::MissingFigure { party, figure, .. } => {
                        missing.entry(figure).or_default().push(party.as_str());
                    }
                    SplitError::MissingFixedAmount { party, .. } => {
                        missing
                            .entry("fixed amount")
                            .or_default()
                            .push(party.as_str());
                    }
                    _ => problems.push(problem(x.to_string()).at(x.field())),
                }
            }
            for (figure, parties) in missing {
                let message = match parties.as_slice() {
                    [party] => {
                        format!("pool {id}: party {party} has no {figure}, which the key needs")
                    }
                    _ => format!(
                        "pool {id}: {} parties have no {figure}, which the key needs: {}",
                        parties.len(),
                        parties.join(", ")
                    ),
                };
                problems.push(problem(message).at(Some("key")));
            }
        }
    }
    check_registrations(model, strangers, &mut problems);
    // A party's count given twice for one date: found when computing before, without its row.
    // Said at the count, with both counts and where the first is.
    let mut counted: rustc_hash::FxHashMap<(&str, NaiveDate), &crate::calendar::UserCount> =
        rustc_hash::FxHashMap::default();
    for (i, c) in model.user_counts.iter().enumerate() {
        match counted.entry((c.party.as_str(), c.date)) {
            std::collections::hash_map::Entry::Occupied(first) => {
                let first = first.get();
                let at = first
                    .source
                    .as_ref()
                    .map_or(String::new(), |s| format!(" at {s}"));
                problems.push(
                    row(
                        "user count",
                        i + 1,
                        c.source.as_ref(),
                        format!(
                            "party {} has two counts for {}: {} here, {}{at}",
                            c.party, c.date, c.count, first.count
                        ),
                    )
                    .at(Some("count")),
                );
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(c);
            }
        }
        if unknown(&c.party) {
            strangers.say(
                &mut problems,
                &c.party,
                row(
                    "user count",
                    i + 1,
                    c.source.as_ref(),
                    "unknown party".to_owned(),
                )
                .at(Some("party"))
                .found(&c.party),
            );
        }
    }
    for (i, c) in model.provider_costs.iter().enumerate() {
        if unknown(&c.provider) {
            strangers.say(
                &mut problems,
                &c.provider,
                row(
                    "provider cost",
                    i + 1,
                    c.source.as_ref(),
                    "unknown party".to_owned(),
                )
                .at(Some("provider"))
                .found(&c.provider),
            );
        }
    }
    for c in &model.cooperations {
        let id = c.cooperation.id();
        for m in c.cooperation.members().iter().filter(|m| unknown(m)) {
            strangers.say(
                &mut problems,
                m,
                Problem::new(
                    Subject::Cooperation(id.to_owned()),
                    c.source.as_ref(),
                    format!("member {m} is not a party"),
                )
                .at(Some("members")),
            );
        }
    }
    (problems, made)
}

/// Where the fixed amount of `party` for `pool` was read, when it has a fixed key.
fn fixed_source<'a>(pool: &'a Pool, party: &PartyId) -> Option<&'a crate::id::SourceRef> {
    match pool.key() {
        Key::Fixed { amounts } => amounts.get(party).and_then(|a| a.source.as_ref()),
        _ => None,
    }
}

/// A problem of the row `number` of a list of `what` (a register row, a user count), at its
/// source; without one, the message names the row.
fn row(
    what: &str,
    number: usize,
    source: Option<&crate::id::SourceRef>,
    message: String,
) -> Problem {
    let message = match source {
        Some(_) => message,
        None => format!("{what} {number}: {message}"),
    };
    Problem::new(Subject::Agreement, source, message)
}

/// The problems of the rows of the register (see [`check`]): one pass, as cheap as reading
/// them; a row whose party the agreement does not know goes through `strangers`.
fn check_registrations(model: &Model, strangers: &mut Strangers, problems: &mut Vec<Problem>) {
    // Registers are usually grouped by party: a row with the previous row's party (known to
    // be a party) needs no search of the parties. Other rows (an interleaved register: every
    // row) look their party up in a hash set of the ids (FxHash, rustc-hash: the workbook's own
    // ids, a collision costs only time): a binary search of the parties per row, comparing
    // ids, was 17 % of `check` at 2,000,000 interleaved rows. So does a row with the previous
    // unknown party, kept aside (its number is not looked up again).
    let parties: rustc_hash::FxHashSet<&str> = if model.registrations.is_empty() {
        rustc_hash::FxHashSet::default()
    } else {
        model
            .agreement
            .parties()
            .iter()
            .map(|p| p.id.as_str())
            .collect()
    };
    strangers.said_before_rows = strangers.said.len();
    let mut known: Option<&str> = None;
    let mut stranger: Option<(&str, u32)> = None;
    for (i, r) in model.registrations.iter().enumerate() {
        let party = r.party.as_str();
        let is_party = known == Some(party) || parties.contains(party);
        if is_party {
            known = Some(party);
            problems.extend(last_day_problem(r, i));
        } else if strangers.defer {
            let number = match stranger {
                Some((id, n)) if id == party => n,
                _ => strangers.number(&r.party),
            };
            stranger = Some((party, number));
            // A run of rows of one party (a register grouped by party) is kept as one.
            match strangers.rows.last_mut() {
                Some((at, _, end, n)) if *at == problems.len() && *end == i && *n == number => {
                    *end = i + 1;
                }
                _ => strangers.rows.push((problems.len(), i, i + 1, number)),
            }
        } else {
            problems.push(unknown_row_problem(r, i));
        }
    }
}

/// That the party of the register's row `i` (`r`) is not a party of the agreement. The party
/// is not named when the row has a source: a register's party column may hold a user id typed
/// in the wrong column, and the caller shows the cell instead.
fn unknown_row_problem(r: &crate::calendar::Registration, i: usize) -> Problem {
    let message = match r.source {
        Some(_) => "the party is not a party of the agreement".to_owned(),
        None => format!("party {} is not a party of the agreement", r.party),
    };
    row("register row", i + 1, r.source.as_ref(), message).at(Some("party"))
}

/// That the last day of the register's row `i` (`r`) is before its first day, when it is.
fn last_day_problem(r: &crate::calendar::Registration, i: usize) -> Option<Problem> {
    let last = r.last_day.filter(|l| *l < r.first_day)?;
    Some(
        row(
            "register row",
            i + 1,
            r.source.as_ref(),
            format!("the last day is before the first day ({})", r.first_day),
        )
        .at(Some("last_day"))
        .found(last),
    )
}

/// The problems of splitting `pool` among `agreement`'s parties (participants, figures, cap,
/// absorbing party, fixed amounts), found before any date is billed: [`check`] runs it on every
/// pool of the model, and the engine splits each pool again on each due date with the members of
/// the day (R14).
///
/// # Errors
/// Every problem of the split at once (see [`crate::allocate`]).
pub fn check_pool(
    agreement: &crate::agreement::Agreement,
    pool: &crate::pool::Pool,
    thresholds: &crate::thresholds::ThresholdTable,
) -> Result<(), crate::problems::Problems<crate::error::SplitError>> {
    allocate(agreement, pool, thresholds).map(|_| ())
}

/// Every date on which `model` bills something, up to its last: period starts from the
/// agreement's start, and pool due dates. Computing the last one computes them all, so a
/// check of the whole agreement computes that one.
pub fn billing_dates(model: &Model) -> Vec<NaiveDate> {
    // The horizon is set by what is billed on dates (pools, costs) and by the users, but a
    // register date far ahead ("no end": 9999-12-31) must not make a check compute thousands
    // of periods: register dates count up to five years past the rest.
    let settings = &model.settings;
    let mut anchor = settings.start;
    let consider = |d: NaiveDate, anchor: &mut Option<NaiveDate>| {
        *anchor = Some(anchor.map_or(d, |l| l.max(d)));
    };
    for p in &model.pools {
        p.due.iter().for_each(|d| consider(*d, &mut anchor));
    }
    for c in &model.provider_costs {
        consider(c.incurred, &mut anchor);
    }
    let limit = anchor.and_then(|a| a.checked_add_months(chrono::Months::new(60)));
    let mut last = anchor;
    let register_days = model
        .registrations
        .iter()
        .flat_map(|r| std::iter::once(r.first_day).chain(r.last_day))
        .chain(model.user_counts.iter().map(|c| c.date));
    for d in register_days {
        if limit.is_none_or(|l| d <= l) {
            consider(d, &mut last);
        }
    }
    let Some(last) = last else {
        return Vec::new();
    };
    let mut dates: BTreeSet<NaiveDate> = model
        .pools
        .iter()
        .flat_map(|p| p.due.iter().copied())
        .collect();
    if let Some(start) = settings.start {
        if let Ok(p) = settings.calendar.periods.containing(last) {
            dates.extend(settings.calendar.periods.starts_between(start, p.end()));
        }
    }
    dates.into_iter().collect()
}

/// The settlement days from `first` to `last`, both included, found year by year (not day by
/// day: a far date must not cost a walk over every day).
fn settlement_days(model: &Model, first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
    use chrono::Datelike;
    let mut out = Vec::new();
    if first > last {
        return out;
    }
    for year in first.year()..=last.year() {
        out.extend(
            model
                .settings
                .settlement
                .days_in_year(year)
                .filter(|d| first <= *d && *d <= last),
        );
    }
    out
}

/// The fee review of each cooperation with a fee and covered costs (R13).
fn fee_reviews(model: &Model, problems: &mut Vec<Problem>) -> Vec<FeeReview> {
    let mut out = Vec::new();
    let Some(tariffs) = &model.tariffs else {
        return out;
    };
    for c in &model.cooperations {
        let (Some(fee), Some(year)) = (c.fee, c.year) else {
            continue;
        };
        if c.covers.is_empty() {
            continue;
        }
        match fee_review(
            &c.cooperation,
            year,
            fee,
            &model.transaction_counts,
            tariffs,
            &c.covers,
        ) {
            Ok(r) => out.push(r),
            // A fee review fails on what the fee covers (a kind without a price, a count too
            // large) or on its year.
            Err(e) => problems.extend(e.problems().iter().map(|p| {
                let field = match p {
                    crate::transactions::TransactionError::DateOutOfRange { .. } => "year",
                    _ => "covers",
                };
                Problem::new(
                    Subject::Cooperation(c.cooperation.id().to_owned()),
                    c.source.as_ref(),
                    p.to_string(),
                )
                .at(Some(field))
            })),
        }
    }
    out
}

/// The memberships: founding parties from the start, later ones admitted with their
/// approvals, notices recorded, in the order they happened, with the parties whose entry was
/// refused (said in `problems`).
fn memberships(model: &Model, problems: &mut Vec<Problem>) -> Option<(Members, BTreeSet<PartyId>)> {
    let start = model.settings.start?;
    // Each party's terms (the first given: `check` refuses terms given twice), found by id
    // rather than by a scan of every party's terms for every party (quadratic at 100,000).
    let mut by_party: BTreeMap<&PartyId, &model::Terms> = BTreeMap::new();
    for t in &model.terms {
        by_party.entry(&t.party).or_insert(t);
    }
    let terms = |id: &PartyId| by_party.get(id).copied();
    let founding: Vec<Membership> = model
        .agreement
        .parties()
        .iter()
        .filter(|p| {
            terms(&p.id)
                .and_then(|t| t.joined)
                .is_none_or(|j| j <= start)
        })
        .map(|p| Membership::founding(p.id.clone(), start))
        .collect();
    let mut members = match Members::new(founding, &model.agreement) {
        Ok(m) => m,
        Err(e) => {
            problems.extend(
                e.problems()
                    .iter()
                    .map(|p| Problem::new(Subject::Parties, None, p.to_string())),
            );
            return None;
        }
    };
    // Entries and notices in the order they happened: an entry's majority counts the parties
    // that are members on its joining day, so a notice given before it is applied first.
    enum Event {
        Notice,
        Entry,
    }
    let mut events: Vec<(NaiveDate, Event, &model::Terms)> = Vec::new();
    for t in &model.terms {
        if let Some(j) = t.joined.filter(|j| *j > start) {
            events.push((j, Event::Entry, t));
        }
        if let Some(n) = t.notice_given {
            events.push((n, Event::Notice, t));
        }
    }
    // On one day: other parties' notices, then entries, then the notice of a party that joins
    // that same day (it must be a member to give notice).
    let order = |e: &(NaiveDate, Event, &model::Terms)| match e.1 {
        Event::Notice if e.2.joined == Some(e.0) => 2u8,
        Event::Notice => 0,
        Event::Entry => 1,
    };
    events.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(order(a).cmp(&order(b)))
            .then(a.2.party.cmp(&b.2.party))
    });
    let mut refused = BTreeSet::new();
    for (date, event, t) in events {
        let problem = |message: String| {
            Problem::new(Subject::Party(t.party.clone()), t.source.as_ref(), message)
        };
        match event {
            Event::Entry => {
                let request = EntryRequest {
                    party: t.party.clone(),
                    joining: date,
                    approvals: t.approved_by.clone(),
                };
                if let Err(e) = members.admit(&request, &model.settings.entry) {
                    refused.insert(t.party.clone());
                    problems.extend(
                        e.problems()
                            .iter()
                            .map(|p| problem(p.to_string()).at(p.place().field)),
                    );
                }
            }
            Event::Notice => {
                if let Err(e) = members.give_notice(&t.party, date, &model.settings.exit) {
                    problems.push(problem(e.to_string()).at(Some("notice_given")));
                }
            }
        }
    }
    Some((members, refused))
}

/// R14: the parties that pool `p` names as participants but that are not members on its due
/// date `date` (a direct pool may name a party that has left: R9's data extraction), as one
/// problem at its participants' cell; the parties in `excused` are not named.
fn non_members_named(
    model: &Model,
    members: &Members,
    excused: &BTreeSet<PartyId>,
    p: &ScheduledPool,
    date: NaiveDate,
) -> Option<Problem> {
    let Participants::Only(ids) = p.pool.participants() else {
        return None;
    };
    if matches!(p.pool.key(), Key::Direct { .. }) {
        return None;
    }
    let outside: Vec<&str> = ids
        .iter()
        .filter(|id| model.agreement.contains(id) && !excused.contains(*id))
        .filter(|id| members.get(id).is_none_or(|m| !m.is_member_on(date)))
        .map(PartyId::as_str)
        .collect();
    (!outside.is_empty()).then(|| {
        Problem::new(
            Subject::Pool(p.pool.id().clone()),
            p.source.as_ref(),
            format!(
                "pool {} falls due on {date} but names {} as participant(s), not member(s) on \
                 that day",
                p.pool.id(),
                outside.join(", ")
            ),
        )
        .at(Some("participants"))
    })
}

/// The pools (or instalments of pools) due on `date`, split among the members of the day.
fn due_pools(
    model: &Model,
    members: Option<&Members>,
    date: NaiveDate,
    problems: &mut Vec<Problem>,
    findings: &mut Vec<Finding>,
) -> Vec<DuePool> {
    let mut out = Vec::new();
    for p in &model.pools {
        let Some(k) = p.due.iter().position(|d| *d == date) else {
            continue;
        };
        let problem = |message: String| {
            Problem::new(
                Subject::Pool(p.pool.id().clone()),
                p.source.as_ref(),
                message,
            )
        };
        // Instalments: without a cap, each instalment is the pool's amount split in n to the öre
        // and then split by key, so every instalment adds up to its share of the pool. With a
        // cap, the pool is split and capped as a whole and each party's amount spread in n, so
        // the cap holds for the year however the pool is billed.
        let n = p.due.len();
        let mut pool = p.pool.clone();
        if n > 1 && pool.cap().is_none() {
            let claims: Vec<(usize, rust_decimal::Decimal)> =
                (0..n).map(|i| (i, rust_decimal::Decimal::ONE)).collect();
            // (A pool with the fixed key is never here: `check` refuses it in instalments
            // unless capped.)
            match apportion(pool.amount(), &claims) {
                Ok(a) => pool = pool.instalment(k, n, a.portions()[k].amount()),
                Err(e) => {
                    problems.push(problem(e.to_string()).at(Some("amount")));
                    continue;
                }
            }
        }
        // R14: "all" is the members on the due date; named participants must be members then.
        // A direct pool may name a party that has left (R9: its data extraction).
        if let (Some(members), false) = (members, matches!(pool.key(), Key::Direct { .. })) {
            match pool.participants() {
                Participants::All => {
                    let on_day: Vec<PartyId> = model
                        .agreement
                        .parties()
                        .iter()
                        .filter(|x| members.get(&x.id).is_some_and(|m| m.is_member_on(date)))
                        .map(|x| x.id.clone())
                        .collect();
                    if on_day.len() < model.agreement.parties().len() {
                        pool = pool.shared_by(on_day);
                    }
                }
                Participants::Only(_) => {
                    if let Some(x) = non_members_named(model, members, &BTreeSet::new(), p, date) {
                        problems.push(x);
                        continue;
                    }
                }
            }
        }
        match allocate(&model.agreement, &pool, &model.thresholds) {
            Ok((whole, f)) => {
                findings.extend(f);
                let allocation = if n > 1 && pool.cap().is_some() {
                    whole.instalments(n).swap_remove(k)
                } else {
                    whole
                };
                out.push(DuePool {
                    allocation,
                    due: date,
                    vat: p.vat,
                    period: p.period,
                });
            }
            Err(e) => {
                for x in e.problems() {
                    problems.push(problem(x.to_string()).at(x.field()));
                }
            }
        }
    }
    out
}
