//! R6 Half-yearly invoicing in advance: on each invoice date, the user fee of the period that
//! starts then, for the users registered that day (docs/rules.md, section "R6 Half-yearly
//! invoicing in advance"). The line itself is [`crate::calendar::fee_line`]; the correction of
//! the period just ended (R7) is [`crate::calendar::correction`].
//!
//! Every amount is computed as one exact fraction of integers, `n · F · Σ m(d) / (k · |P|)`
//! with the multiplier scaled to an integer, and rounded to öre once, under the configured
//! policy. What was billed for a period is an input (the lines issued earlier), never
//! recomputed, so a register edited after an invoice produces the right correction.

use chrono::NaiveDate;

use crate::agreement::PartyId;
use crate::calendar::correction::{correction_line, Billed};
use crate::calendar::error::{CalendarError, CalendarProblems};
use crate::calendar::fee::FeeSchedule;
use crate::calendar::fee_line::CorrectionPolicy;
use crate::calendar::fee_line::{
    member_days, user_fee_pool, CalendarConfig, Ctx, FeeLine, FeeLineKind, FeeSteps,
};
use crate::calendar::membership::{Members, Membership};
use crate::calendar::period::Period;
use crate::calendar::register::Users;
use crate::error::PoolId;
use crate::explain::{Explanation, Step, Text};
use crate::quantity::{LineQuantity, LumpReason, Unit};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

/// The user-fee lines due on `invoice_date`, a period start: for each party, the correction of
/// the period just ended (R7) and the advance for the period that starts (R6).
///
/// `issued` are the user-fee lines issued on earlier invoices; what was billed for a period is
/// the sum of the issued lines that name it. Advances of zero (no users, or no member days) are
/// left out; corrections are returned even when zero, for every party that was a member in the
/// period just ended or was billed for it.
///
/// # Errors
/// [`CalendarError::NotAPeriodStart`], [`CalendarError::CountsNeedNextInvoiceCount`] when
/// `users` are counts and the policy is `pro_rata_days`, [`CalendarError::NoFee`] when no annual
/// fee is in force for a period to bill, and [`CalendarError::TooLarge`].
pub fn fee_lines(
    invoice_date: NaiveDate,
    config: &CalendarConfig,
    fees: &FeeSchedule,
    members: &Members,
    users: Users<'_>,
    issued: &[FeeLine],
) -> Result<Vec<FeeLine>, CalendarProblems> {
    let issued: Vec<&FeeLine> = issued.iter().collect();
    lines_due(
        invoice_date,
        config,
        fees,
        members,
        users,
        &issued,
        true,
        true,
        Threads::new(1),
    )
}

/// How many threads [`lines_due`] computes a date's lines on, at most, and the fewest
/// memberships worth a thread of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Threads {
    /// The threads, the caller's included (0 counts as 1).
    pub n: usize,
    /// The fewest memberships a thread computes: fewer are computed on the caller's thread.
    pub min_chunk: usize,
}

impl Threads {
    /// At most `n` threads, each over at least [`Threads::MIN_CHUNK`] memberships.
    pub fn new(n: usize) -> Threads {
        Threads {
            n,
            min_chunk: Self::MIN_CHUNK,
        }
    }

    /// A membership's lines take about a microsecond and starting a thread some tens: below a
    /// few thousand memberships a thread costs more than it saves, and an agreement that small
    /// stays on the caller's thread whatever `n` is (issue 12, review of `core2`).
    pub const MIN_CHUNK: usize = 2_000;
}

/// [`fee_lines`], with the correction of the period just ended left out when `correct` is
/// false (the first date billed with no history: nothing before it was billed or assumed), and
/// the lines unexplained (no steps) when `explain` is false: lines computed only for their
/// amounts. The issued lines are borrowed: the engine gathers them from its history and from
/// the lines it computed, and copies of 200,000 lines per date were a tenth of its work at
/// 100,000 parties (issue 12).
///
/// The lines of the memberships are computed on up to `threads.n` threads (the caller's among
/// them), each over a contiguous run of at least `threads.min_chunk` memberships, and joined in
/// order: the lines, the problems and their order are the same for any number of threads.
#[allow(clippy::too_many_arguments)]
pub(crate) fn lines_due(
    invoice_date: NaiveDate,
    config: &CalendarConfig,
    fees: &FeeSchedule,
    members: &Members,
    users: Users<'_>,
    issued: &[&FeeLine],
    correct: bool,
    explain: bool,
    threads: Threads,
) -> Result<Vec<FeeLine>, CalendarProblems> {
    let period = config.periods.starting(invoice_date)?;
    let previous = config.periods.previous(period)?;
    if config.policy == CorrectionPolicy::ProRataDays && matches!(users, Users::Counts(_)) {
        return Err(CalendarError::CountsNeedNextInvoiceCount.into());
    }

    // What was billed for the period just ended, by the place of the party's membership: a
    // map keyed by party id compared ids in every look-up, most of this function at 100,000
    // parties (issue 12). The parties billed without a membership aside, by id.
    let memberships = members.memberships();
    let mut billed: Vec<Option<Billed>> = vec![None; memberships.len()];
    let mut without: FxHashMap<&PartyId, Billed> = FxHashMap::default();
    // The lines come mostly in the order of the memberships (as computed), so a line's
    // membership is most often the last one found or the next: looked up by id otherwise.
    let mut hint = 0;
    for line in issued.iter().filter(|l| l.period == previous) {
        let near = (hint..memberships.len().min(hint + 2))
            .find(|&i| *memberships[i].party() == line.party);
        let b = match near.or_else(|| members.index(&line.party)) {
            Some(i) => {
                hint = i;
                billed[i].get_or_insert_with(Billed::default)
            }
            None => without.entry(&line.party).or_default(),
        };
        b.amount += line.amount;
        b.lines += 1;
        // The dates are only said in an explanation.
        if explain && !b.dates.contains(&line.invoice_date) {
            b.dates.push(line.invoice_date);
        }
    }
    // The parties billed for the period without a membership, in the order of their ids.
    let mut no_membership: Vec<(&PartyId, Billed)> = without.into_iter().collect();
    no_membership.sort_unstable_by(|a, b| a.0.cmp(b.0));

    let date = DateLines {
        config,
        fees,
        users,
        invoice_date,
        period,
        previous,
        per_year: config.periods.per_year(),
        pools: (user_fee_pool(previous), user_fee_pool(period)),
        correct,
        explain,
    };
    // The first run's lines are gathered in a list with room for every line, which the
    // others' are added to: the lines of a date are moved once.
    let room = memberships.len() * 2 + no_membership.len();
    // Runs of at least `min_chunk` memberships, at most one per thread: the first on this
    // thread, the others each on a thread of its own, computed here when the system refuses
    // to start one (each run is independent, so the lines are the same).
    let chunk = memberships
        .len()
        .div_ceil(threads.n.max(1))
        .max(threads.min_chunk)
        .max(1);
    let (mut out, problems) = if memberships.len() <= chunk {
        date.lines(memberships, &billed, room)
    } else {
        let date = &date;
        std::thread::scope(|s| {
            let mut runs = memberships.chunks(chunk).zip(billed.chunks(chunk));
            let (first, first_billed) = runs.next().unwrap_or_default();
            let others: Vec<_> = runs
                .map(|(m, b)| {
                    std::thread::Builder::new()
                        .spawn_scoped(s, move || date.lines(m, b, m.len() * 2))
                        .map_err(|_| (m, b))
                })
                .collect();
            let (mut out, mut problems) = date.lines(first, first_billed, room);
            for run in others {
                let (lines, p) = match run {
                    Ok(running) => running
                        .join()
                        .unwrap_or_else(|e| std::panic::resume_unwind(e)),
                    Err((m, b)) => date.lines(m, b, 0),
                };
                out.extend(lines);
                problems.extend(p);
            }
            (out, problems)
        })
    };
    // A party billed for the period that no longer has a membership gets its billing reversed.
    for (party, b) in no_membership.iter().filter(|_| correct) {
        out.push(reversal_line(party, previous, invoice_date, b));
    }
    CalendarProblems::check(out, problems)
}

/// What the lines of one invoice date need, the same for every membership.
struct DateLines<'a> {
    config: &'a CalendarConfig,
    fees: &'a FeeSchedule,
    users: Users<'a>,
    invoice_date: NaiveDate,
    /// The period that starts on the invoice date and the one just ended.
    period: Period,
    previous: Period,
    per_year: usize,
    /// The user-fee pools of `previous` and `period`.
    pools: (PoolId, PoolId),
    correct: bool,
    explain: bool,
}

impl DateLines<'_> {
    /// The correction and the advance of each of `memberships`, with what was `billed` to each
    /// (`billed[i]` is the billing of `memberships[i]`), and the problems, in their order; the
    /// lines in a list with room for `room` lines.
    fn lines(
        &self,
        memberships: &[Membership],
        billed: &[Option<Billed>],
        room: usize,
    ) -> (Vec<FeeLine>, Vec<CalendarError>) {
        let (config, fees, users) = (self.config, self.fees, self.users);
        let (invoice_date, period, previous) = (self.invoice_date, self.period, self.previous);
        let shared = FeeSteps::default();
        let mut problems = Vec::new();
        let mut out = Vec::with_capacity(room);
        for (m, billed_before) in memberships.iter().zip(billed) {
            let billed_before = billed_before.as_ref();
            let member_days = member_days(m, previous);
            if self.correct && (member_days.total() > 0 || billed_before.is_some()) {
                // R6: the fee in force on the period's start or, for a member that joined
                // inside it, on its first member day.
                let fee_day = if previous.contains(m.from()) {
                    m.from()
                } else {
                    previous.start()
                };
                let fee = fees.in_force(fee_day);
                match fee {
                    Some(fee) => {
                        let ctx = Ctx {
                            config,
                            period: previous,
                            fee,
                            per_year: self.per_year,
                            invoice_date,
                            pool: &self.pools.0,
                            explain: self.explain,
                            shared: &shared,
                        };
                        match correction_line(&ctx, m, users, billed_before) {
                            Ok(line) => out.push(line),
                            Err(e) => problems.push(e),
                        }
                    }
                    None if member_days.total() > 0 => {
                        problems.push(CalendarError::NoFee { period: previous })
                    }
                    None => {}
                }
            }
            // R6: an advance only for a party that is a member on the period's first day; a
            // party (or an agreement) that starts inside the period pays its days as a
            // correction.
            if m.is_member_on(period.start()) {
                let Some(fee) = fees.in_force(period.start()) else {
                    problems.push(CalendarError::NoFee { period });
                    continue;
                };
                let ctx = Ctx {
                    config,
                    period,
                    fee,
                    per_year: self.per_year,
                    invoice_date,
                    pool: &self.pools.1,
                    explain: self.explain,
                    shared: &shared,
                };
                match advance_line(&ctx, m, users) {
                    Ok(Some(line)) => out.push(line),
                    Ok(None) => {}
                    Err(e) => problems.push(e),
                }
            }
        }
        (out, problems)
    }
}

/// [`fee_lines`] for each of `dates` in turn, each date's lines becoming issued lines for the
/// next. Returns the new lines of all dates, in date order.
///
/// With no `issued` lines, the first date starts the billing: the period before it is not
/// corrected, since nothing was billed or assumed billed for it (no 'correction' of a whole
/// half-year nobody invoiced).
///
/// # Errors
/// As [`fee_lines`], for the first date that fails.
pub fn bill_dates(
    dates: &[NaiveDate],
    config: &CalendarConfig,
    fees: &FeeSchedule,
    members: &Members,
    users: Users<'_>,
    issued: &[FeeLine],
) -> Result<Vec<FeeLine>, CalendarProblems> {
    let mut sorted = dates.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut all: Vec<FeeLine> = issued.to_vec();
    let before = all.len();
    let mut correct = !issued.is_empty();
    for date in sorted {
        let held: Vec<&FeeLine> = all.iter().collect();
        let lines = lines_due(
            date,
            config,
            fees,
            members,
            users,
            &held,
            correct,
            true,
            Threads::new(1),
        )?;
        all.extend(lines);
        correct = true;
    }
    Ok(all.split_off(before))
}

/// The advance of `m` for the period of `ctx`: n(s) · h · Σ m(d) / |P|, or `None` when zero.
fn advance_line(
    ctx: &Ctx<'_>,
    m: &Membership,
    users: Users<'_>,
) -> Result<Option<FeeLine>, CalendarError> {
    let party = m.party();
    let start = ctx.period.start();
    let n = users.users_on_at((m.place(), party), start);
    let days = member_days(m, ctx.period);
    if n == 0 || days.total() == 0 {
        return Ok(None);
    }
    let (exact, amount) = ctx.amount(party, n, &days, "advance")?;
    if amount.is_zero() {
        return Ok(None);
    }
    let mut steps = ctx.steps();
    steps.extend(|| {
        ctx.count_steps(
            Text::new(
                format!("användare hos {party} den {start}, n(s)"),
                format!("users of {party} on {start}, n(s)"),
            ),
            n,
            &days,
            Text::new("förskott", "advance"),
            exact,
            ctx.period,
        )
    });
    steps.push(|| ctx.rounding_step(exact, amount));
    // Users × the fee per user for the period (with the first-year multiplier) when the party
    // is a member the whole period; pro rata otherwise, where the price per user would be a
    // fraction that does not end. A whole period whose price per user does not end (an exact
    // fee, R5: 1,000,000 kr / 90 / 2 = 5,555.55… kr) is the period's amount as it is, never
    // "pro rata |P| of |P| days".
    let whole_period = days.total() == ctx.period.days();
    let per_user = exact.checked_div(Decimal::from(n));
    let quantity = match per_user {
        Some(price) if whole_period && price.normalize().scale() <= 6 => LineQuantity::counted(
            Decimal::from(n),
            Unit::User,
            price.normalize(),
            amount,
            LumpReason::Amount,
        ),
        _ if whole_period => LineQuantity::lump(amount, LumpReason::Amount),
        _ => LineQuantity::lump(
            amount,
            LumpReason::ProRata {
                days: days.total(),
                of: ctx.period.days(),
            },
        ),
    };
    Ok(Some(FeeLine {
        party: party.clone(),
        kind: FeeLineKind::Advance,
        period: ctx.period,
        invoice_date: ctx.invoice_date,
        amount,
        quantity,
        explanation: ctx.explanation(party, amount, steps).into(),
    }))
}

/// Reverses what was billed to a party that has no membership any more.
fn reversal_line(party: &PartyId, period: Period, invoice_date: NaiveDate, b: &Billed) -> FeeLine {
    let amount = -b.amount;
    let steps = vec![
        Step::computed(
            Text::new(
                format!("fakturerat för {period}"),
                format!("billed for {period}"),
            ),
            Text::new(
                format!("{} rad(er) fakturerade", b.lines),
                format!("{} line(s) issued", b.lines),
            ),
            Text::plain(b.amount.to_swedish()),
        )
        .with_figure(crate::explain::Figure::Billed(b.amount)),
        Step::computed(
            Text::new(
                "inget medlemskap i perioden: korrigering",
                "no membership in the period: correction",
            ),
            Text::new("0 − fakturerat", "0 − billed"),
            Text::plain(amount.to_swedish()),
        ),
    ];
    FeeLine {
        party: party.clone(),
        kind: FeeLineKind::Correction,
        period,
        invoice_date,
        amount,
        quantity: LineQuantity::lump(amount, LumpReason::Correction),
        explanation: Explanation {
            pool: user_fee_pool(period),
            party: party.clone(),
            amount,
            steps: steps.into(),
        }
        .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agreement::{Agreement, Party};
    use crate::calendar::fee::AnnualFee;
    use crate::calendar::register::{UserCount, UserCounts};
    use crate::money::Money;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn pid(i: usize) -> PartyId {
        PartyId::new(&format!("p{i}")).unwrap()
    }

    /// The lines of 2010-07-01 for parties p0..p6, members from 2010-01-01 with `users[i]`
    /// users each (p7 is a party without a membership), after the lines `issued` for the first
    /// half of 2010, on every number of threads from 1 to 9 with runs of one membership at
    /// least: each must give what one thread gives, which is returned.
    fn on_every_number_of_threads(
        users: &[u64; 7],
        issued: &[FeeLine],
    ) -> Result<Vec<FeeLine>, CalendarProblems> {
        let agreement = Agreement::new((0..8).map(|i| Party::new(pid(i), "P")).collect()).unwrap();
        let founding = (0..7)
            .map(|i| Membership::founding(pid(i), day(2010, 1, 1)))
            .collect();
        let members = Members::new(founding, &agreement).unwrap();
        let counts: Vec<UserCount> = (0..7)
            .map(|i| UserCount {
                party: pid(i),
                date: day(2010, 1, 1),
                count: users[i],
                source: None,
            })
            .collect();
        let counts = UserCounts::new(&counts, &agreement).unwrap();
        // 10^16 öre a year per user: u64::MAX users are far beyond 10^17 öre (`TooLarge`).
        let fee = AnnualFee::given(
            day(2010, 1, 1),
            Money::from_ore(10_000_000_000_000_000),
            None,
        );
        let fees = FeeSchedule::new(vec![fee]).unwrap();
        let config = CalendarConfig::default();
        let issued: Vec<&FeeLine> = issued.iter().collect();
        let due = |n| {
            let threads = Threads { n, min_chunk: 1 };
            let users = Users::Counts(&counts);
            lines_due(
                day(2010, 7, 1),
                &config,
                &fees,
                &members,
                users,
                &issued,
                true,
                true,
                threads,
            )
        };
        let one = due(1);
        for n in 2..=9 {
            assert_eq!(due(n), one, "{n} threads");
        }
        one
    }

    /// Problems naming parties in different runs (p1, p3, p5: the first and the second of two
    /// runs, the first, second and third of three) come out in the order of the memberships on
    /// any number of threads: none lost, none moved.
    #[test]
    fn the_problems_of_every_run_in_order() {
        let users = [3, u64::MAX, 3, u64::MAX, 3, u64::MAX, 3];
        let problems = on_every_number_of_threads(&users, &[]).unwrap_err();
        let named: Vec<String> = problems
            .problems()
            .iter()
            .map(|e| match e {
                CalendarError::TooLarge { party, .. } => party.to_string(),
                other => panic!("{other}"),
            })
            .collect();
        assert_eq!(named, ["p1", "p1", "p3", "p3", "p5", "p5"]);
    }

    /// The lines of every run in order, the billing of a party without a membership (p7)
    /// reversed after them, and what was billed to members found by their place on any
    /// number of threads.
    #[test]
    fn the_lines_of_every_run_in_order_and_the_reversal_last() {
        let h1 = CalendarConfig::default()
            .periods
            .starting(day(2010, 1, 1))
            .unwrap();
        let billed = |i, ore| {
            let amount = Money::from_ore(ore);
            FeeLine::issued(pid(i), FeeLineKind::Advance, h1, day(2010, 1, 1), amount)
        };
        // Issued out of the memberships' order, so that some are found by id, not by the hint.
        let issued = [
            billed(5, 100),
            billed(7, 2_500),
            billed(0, 100),
            billed(6, 100),
        ];
        let lines = on_every_number_of_threads(&[1, 2, 3, 4, 5, 6, 7], &issued).unwrap();
        let said: Vec<String> = lines
            .iter()
            .map(|l| format!("{} {:?} {}", l.party, l.kind, l.amount))
            .collect();
        assert_eq!(said.len(), 15, "{said:?}");
        // p0's half-year is 5·10^13 kr, of which 1 kr was billed.
        let p0 = [
            "p0 Correction 49999999999999.00",
            "p0 Advance 50000000000000.00",
        ];
        assert_eq!(said[..2], p0, "{said:?}");
        assert_eq!(said[14], "p7 Correction -25.00", "{said:?}");
        let parties: Vec<&str> = said.iter().map(|s| &s[..2]).collect();
        let mut sorted = parties.clone();
        sorted.sort_unstable();
        assert_eq!(parties, sorted);
    }
}
