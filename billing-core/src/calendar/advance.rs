//! User-fee lines: the advance for the period that starts on an invoice date (R6), and the
//! correction of the period just ended (R7, in [`crate::calendar::correction`]).
//!
//! Every amount is computed as one exact fraction of integers, `n · F · Σ m(d) / (k · |P|)`
//! with the multiplier scaled to an integer, and rounded to öre once, under the configured
//! policy. What was billed for a period is an input (the lines issued earlier), never
//! recomputed, so a register edited after an invoice produces the right correction.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::agreement::PartyId;
use crate::calendar::correction::{correction_line, Billed};
use crate::calendar::error::{CalendarError, CalendarProblems};
use crate::calendar::fee::{AnnualFee, FeeSchedule};
use crate::calendar::membership::{Members, Membership};
use crate::calendar::period::{Period, PeriodStarts};
use crate::calendar::register::{day_number, Users};
use crate::calendar::{policy_words, CorrectionPolicy};
use crate::error::PoolId;
use crate::explain::{swedish_decimal, Explanation, Step};
use crate::money::{
    decimal_to_i128_at_scale, group_thousands, ratio_to_decimal, Money, RoundingPolicy,
};

/// How the calendar bills user fees.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CalendarConfig {
    /// The billing periods (half-years from 1 January and 1 July by default).
    pub periods: PeriodStarts,
    /// How corrections are computed (R7); `next_invoice_count` by default.
    pub policy: CorrectionPolicy,
    /// The rounding of each line (to öre, half away from zero by default).
    pub rounding: RoundingPolicy,
}

/// What a user-fee line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum FeeLineKind {
    /// The advance for the period starting on the invoice date (R6).
    Advance,
    /// The correction of an earlier period (R7).
    Correction,
}

/// One user-fee line of a party: an advance or a correction, for its charge period, billed on
/// an invoice date.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FeeLine {
    /// The party billed.
    pub party: PartyId,
    /// Advance or correction.
    pub kind: FeeLineKind,
    /// The period the line pays for (a correction names the period it corrects).
    pub period: Period,
    /// The invoice date it is billed on.
    pub invoice_date: NaiveDate,
    /// The amount, to öre; a correction may be negative.
    pub amount: Money,
    /// How it was derived (R16).
    pub explanation: Explanation,
}

impl FeeLine {
    /// A line issued earlier, as read back from the invoices sent (its explanation only says
    /// so): the input that corrections are computed against.
    pub fn issued(
        party: PartyId,
        kind: FeeLineKind,
        period: Period,
        invoice_date: NaiveDate,
        amount: Money,
    ) -> FeeLine {
        let explanation = Explanation {
            pool: user_fee_pool(period),
            party: party.clone(),
            amount,
            steps: vec![Step {
                label: format!("issued on {invoice_date}"),
                formula: None,
                value: amount.to_swedish(),
                source: None,
            }],
        };
        FeeLine {
            party,
            kind,
            period,
            invoice_date,
            amount,
            explanation,
        }
    }
}

/// The id under which user-fee lines explain themselves, e.g. `user-fee 2011-01-01..2011-06-30`.
pub(crate) fn user_fee_pool(period: Period) -> PoolId {
    PoolId::from(format!("user-fee {period}"))
}

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
    lines_due(invoice_date, config, fees, members, users, issued, true)
}

/// [`fee_lines`], with the correction of the period just ended left out when `correct` is
/// false (the first date billed with no history: nothing before it was billed or assumed).
pub(crate) fn lines_due(
    invoice_date: NaiveDate,
    config: &CalendarConfig,
    fees: &FeeSchedule,
    members: &Members,
    users: Users<'_>,
    issued: &[FeeLine],
    correct: bool,
) -> Result<Vec<FeeLine>, CalendarProblems> {
    let period = config.periods.starting(invoice_date)?;
    let previous = config.periods.previous(period)?;
    if config.policy == CorrectionPolicy::ProRataDays && matches!(users, Users::Counts(_)) {
        return Err(CalendarError::CountsNeedNextInvoiceCount.into());
    }
    let per_year = config.periods.per_year();

    let mut billed: BTreeMap<&PartyId, Billed> = BTreeMap::new();
    for line in issued.iter().filter(|l| l.period == previous) {
        let b = billed.entry(&line.party).or_default();
        b.amount += line.amount;
        b.lines += 1;
        if !b.dates.contains(&line.invoice_date) {
            b.dates.push(line.invoice_date);
        }
    }

    let mut problems = Vec::new();
    let mut out = Vec::with_capacity(members.memberships().len() * 2);
    let no_membership: Vec<(&PartyId, &Billed)> = billed
        .iter()
        .filter(|(p, _)| members.get(p).is_none())
        .map(|(p, b)| (*p, b))
        .collect();
    for m in members.memberships() {
        let billed_before = billed.get(m.party());
        let member_days = member_days(m, previous);
        if correct && (member_days.total() > 0 || billed_before.is_some()) {
            // R6: the fee in force on the period's start or, for a member that joined inside
            // it, on its first member day.
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
                        per_year,
                        invoice_date,
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
        // R6: an advance only for a party that is a member on the period's first day; a party
        // (or an agreement) that starts inside the period pays its days as a correction.
        if m.is_member_on(period.start()) {
            let Some(fee) = fees.in_force(period.start()) else {
                problems.push(CalendarError::NoFee { period });
                continue;
            };
            let ctx = Ctx {
                config,
                period,
                fee,
                per_year,
                invoice_date,
            };
            match advance_line(&ctx, m, users) {
                Ok(Some(line)) => out.push(line),
                Ok(None) => {}
                Err(e) => problems.push(e),
            }
        }
    }
    // A party billed for the period that no longer has a membership gets its billing reversed.
    for (party, b) in no_membership.into_iter().filter(|_| correct) {
        out.push(reversal_line(party, previous, invoice_date, b));
    }
    CalendarProblems::check(out, problems)
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
        let lines = lines_due(date, config, fees, members, users, &all, correct)?;
        all.extend(lines);
        correct = true;
    }
    Ok(all.split_off(before))
}

/// What one line's computation needs to know.
pub(crate) struct Ctx<'a> {
    pub(crate) config: &'a CalendarConfig,
    pub(crate) period: Period,
    pub(crate) fee: &'a AnnualFee,
    pub(crate) per_year: usize,
    pub(crate) invoice_date: NaiveDate,
}

impl Ctx<'_> {
    /// The steps of an amount counted from users on one day: n, Σ m(d), and
    /// `n × F × Σ m(d) / (k × |P|)` — the same for an advance (R6) and for the actual amount of
    /// a correction under `next_invoice_count` (R7).
    pub(crate) fn count_steps(
        &self,
        users_label: String,
        n: u64,
        days: &Weighted,
        amount_label: &str,
        exact: Decimal,
        period: Period,
    ) -> [Step; 3] {
        [
            Step {
                label: users_label,
                formula: None,
                value: group_thousands(&n.to_string()),
                source: None,
            },
            Step {
                label: "member days weighted by the fee multiplier, Σ m(d)".to_owned(),
                formula: Some(days.formula()),
                value: swedish_decimal(days.value(), 10),
                source: None,
            },
            Step {
                label: amount_label.to_owned(),
                formula: Some(format!(
                    "n × F × Σ m(d) / ({} × |P|) = {} × {} × {} / ({} × {})",
                    self.per_year,
                    n,
                    self.fee.amount().to_swedish(),
                    swedish_decimal(days.value(), 10),
                    self.per_year,
                    period.days()
                )),
                value: swedish_decimal(exact, 10),
                source: None,
            },
        ]
    }

    /// The steps shared by every line of the period: the fee and the fee per period.
    pub(crate) fn fee_steps(&self) -> Vec<Step> {
        let mut steps = self.fee.steps().to_vec();
        let per_period = self.fee.amount().to_decimal() / Decimal::from(self.per_year as u64);
        steps.push(Step {
            label: format!(
                "fee per user and period h ({} periods a year)",
                self.per_year
            ),
            formula: Some(format!("F / {}", self.per_year)),
            value: swedish_decimal(per_period, 10),
            source: None,
        });
        steps.push(Step {
            label: format!("days in period {}, |P|", self.period),
            formula: None,
            value: self.period.days().to_string(),
            source: None,
        });
        steps
    }

    /// `count · F · weighted / (k · |P| · 10^scale)` as an exact fraction in kronor, rounded
    /// once. `weighted` is Σ m(d) scaled by 10^scale.
    pub(crate) fn amount(
        &self,
        party: &PartyId,
        count: u64,
        weighted: &Weighted,
        what: &'static str,
    ) -> Result<(Decimal, Money), CalendarError> {
        let too_large = || CalendarError::TooLarge {
            party: party.clone(),
            period: self.period,
            what,
        };
        let num = i128::from(count)
            .checked_mul(self.fee.amount().ore())
            .and_then(|x| x.checked_mul(weighted.scaled))
            .ok_or_else(too_large)?;
        let den = (self.per_year as i128)
            .checked_mul(i128::from(self.period.days()))
            .and_then(|x| x.checked_mul(weighted.unit))
            .and_then(|x| x.checked_mul(100))
            .ok_or_else(too_large)?;
        let exact = ratio_to_decimal(num, den).ok_or_else(too_large)?;
        let rounded = Money::round(exact, self.config.rounding).map_err(|_| too_large())?;
        Ok((exact, rounded))
    }

    pub(crate) fn explanation(
        &self,
        party: &PartyId,
        amount: Money,
        steps: Vec<Step>,
    ) -> Explanation {
        Explanation {
            pool: user_fee_pool(self.period),
            party: party.clone(),
            amount,
            steps,
        }
    }

    pub(crate) fn rounding_step(&self, exact: Decimal, rounded: Money) -> Step {
        Step {
            label: format!("rounded {}", policy_words(self.config.rounding)),
            formula: Some(swedish_decimal(exact, 10)),
            value: rounded.to_swedish(),
            source: None,
        }
    }
}

/// Σ m(d) over some days: the days at the first-year multiplier and the days at 1, and their
/// weighted sum as the integer `scaled / unit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Weighted {
    /// Days (or user-days) in the first year.
    pub(crate) first_year: i64,
    /// Days (or user-days) after it, or of a member with no first year.
    pub(crate) other: i64,
    /// The multiplier of the first-year days.
    pub(crate) multiplier: Decimal,
    /// Σ m(d) · unit.
    pub(crate) scaled: i128,
    /// 10^scale of the multiplier.
    pub(crate) unit: i128,
}

impl Weighted {
    pub(crate) fn new(first_year: i64, other: i64, multiplier: Decimal) -> Option<Weighted> {
        let m = multiplier.normalize();
        let unit = 10i128.checked_pow(m.scale())?;
        let m_int = decimal_to_i128_at_scale(m, m.scale())?;
        let scaled = i128::from(first_year)
            .checked_mul(m_int)?
            .checked_add(i128::from(other).checked_mul(unit)?)?;
        Some(Weighted {
            first_year,
            other,
            multiplier: m,
            scaled,
            unit,
        })
    }

    pub(crate) fn total(&self) -> i64 {
        self.first_year + self.other
    }

    /// Σ m(d) as a decimal.
    pub(crate) fn value(&self) -> Decimal {
        ratio_to_decimal(self.scaled, self.unit).unwrap_or_default()
    }

    /// `91 × 2 + 90 × 1` or just `181`.
    pub(crate) fn formula(&self) -> String {
        if self.first_year == 0 {
            group_thousands(&self.other.to_string())
        } else {
            format!(
                "{} × {} + {} × 1",
                group_thousands(&self.first_year.to_string()),
                swedish_decimal(self.multiplier, 10),
                group_thousands(&self.other.to_string())
            )
        }
    }
}

/// The days of `period` on which `m` is a member: (first day, last day) as day numbers.
pub(crate) fn member_span(m: &Membership, period: Period) -> Option<(i64, i64)> {
    let first = day_number(period.start().max(m.from()));
    let last = day_number(match m.last_day() {
        Some(l) => l.min(period.last_day()),
        None => period.last_day(),
    });
    (last >= first).then_some((first, last))
}

/// The first-year span of `m` as day numbers, both included, if it has one.
pub(crate) fn first_year_span(m: &Membership) -> Option<(i64, i64, Decimal)> {
    let f = m.first_year()?;
    Some((day_number(m.from()), day_number(f.until) - 1, f.multiplier))
}

/// Σ_{d∈P, member(d)} m(d) for `m`.
pub(crate) fn member_days(m: &Membership, period: Period) -> Weighted {
    let Some((a, b)) = member_span(m, period) else {
        return Weighted::new(0, 0, Decimal::ONE).unwrap_or(ZERO_DAYS);
    };
    let (first, multiplier) = match first_year_span(m) {
        Some((fa, fb, mult)) => ((b.min(fb) - a.max(fa) + 1).max(0), mult),
        None => (0, Decimal::ONE),
    };
    let other = b - a + 1 - first;
    // Cannot fail: at most a period's days (a few hundred) times a decimal mantissa (< 2^96)
    // stays far below i128::MAX.
    Weighted::new(first, other, multiplier).unwrap_or(ZERO_DAYS)
}

const ZERO_DAYS: Weighted = Weighted {
    first_year: 0,
    other: 0,
    multiplier: Decimal::ONE,
    scaled: 0,
    unit: 1,
};

/// The advance of `m` for the period of `ctx`: n(s) · h · Σ m(d) / |P|, or `None` when zero.
fn advance_line(
    ctx: &Ctx<'_>,
    m: &Membership,
    users: Users<'_>,
) -> Result<Option<FeeLine>, CalendarError> {
    let party = m.party();
    let start = ctx.period.start();
    let n = users.users_on(party, start);
    let days = member_days(m, ctx.period);
    if n == 0 || days.total() == 0 {
        return Ok(None);
    }
    let (exact, amount) = ctx.amount(party, n, &days, "advance")?;
    if amount.is_zero() {
        return Ok(None);
    }
    let mut steps = ctx.fee_steps();
    steps.extend(ctx.count_steps(
        format!("users of {party} on {start}, n(s)"),
        n,
        &days,
        "advance",
        exact,
        ctx.period,
    ));
    steps.push(ctx.rounding_step(exact, amount));
    Ok(Some(FeeLine {
        party: party.clone(),
        kind: FeeLineKind::Advance,
        period: ctx.period,
        invoice_date: ctx.invoice_date,
        amount,
        explanation: ctx.explanation(party, amount, steps),
    }))
}

/// Reverses what was billed to a party that has no membership any more.
fn reversal_line(party: &PartyId, period: Period, invoice_date: NaiveDate, b: &Billed) -> FeeLine {
    let amount = -b.amount;
    let steps = vec![
        Step {
            label: format!("billed for {period}"),
            formula: Some(format!("{} line(s) issued", b.lines)),
            value: b.amount.to_swedish(),
            source: None,
        },
        Step {
            label: "no membership in the period: correction".to_owned(),
            formula: Some("0 − billed".to_owned()),
            value: amount.to_swedish(),
            source: None,
        },
    ];
    FeeLine {
        party: party.clone(),
        kind: FeeLineKind::Correction,
        period,
        invoice_date,
        amount,
        explanation: Explanation {
            pool: user_fee_pool(period),
            party: party.clone(),
            amount,
            steps,
        },
    }
}
