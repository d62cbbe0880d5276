//! R7 Corrections on the next invoice: correction(P) = actual(P) − what was billed for P,
//! billed on the next invoice date (docs/rules.md, section "R7 Corrections on the next
//! invoice").
//!
//! - `next_invoice_count`: actual(P) = n(e−1) · h · Σ_{d∈P, member(d)} m(d) / |P|, with n(e−1)
//!   the users on the last day of P on which the party is a member.
//! - `pro_rata_days`: actual(P) = h · Σ_u Σ_{d∈P, u registered, member(d)} m(d) / |P|.
//!
//! actual(P) is rounded to öre once; the correction is the difference of two whole amounts, so
//! advance + correction = actual exactly.

use chrono::NaiveDate;

use crate::calendar::error::CalendarError;
/// How a correction is computed is part of the calendar's configuration.
pub use crate::calendar::fee_line::CorrectionPolicy;
use crate::calendar::fee_line::{
    first_year_span, member_days, member_span, Ctx, FeeLine, FeeLineKind, Weighted,
};
use crate::calendar::membership::Membership;
use crate::calendar::register::Users;
use crate::explain::{swedish_decimal, Figure, Step, Text};
use crate::money::Money;
use crate::quantity::{LineQuantity, LumpReason};

/// What was billed for one party and period: the issued lines added up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Billed {
    pub(crate) amount: Money,
    pub(crate) lines: usize,
    pub(crate) dates: Vec<NaiveDate>,
}

/// The correction line of `m` for the period of `ctx`.
pub(crate) fn correction_line(
    ctx: &Ctx<'_>,
    m: &Membership,
    users: Users<'_>,
    billed: Option<&Billed>,
) -> Result<FeeLine, CalendarError> {
    let (party, place) = (m.party(), m.place());
    let period = ctx.period;
    let mut steps = ctx.steps();
    steps.push(|| {
        let policy = match ctx.config.policy {
            CorrectionPolicy::NextInvoiceCount => {
                Text::new("antal användare vid nästa faktura", "next_invoice_count")
            }
            CorrectionPolicy::ProRataDays => {
                Text::new("användardagar dag för dag", "pro_rata_days")
            }
        };
        Step::input(
            Text::new("korrigeringsregel", "correction policy"),
            policy,
            None,
        )
    });
    let span = member_span(m, period);
    let (exact, actual) = match (ctx.config.policy, users, span) {
        (_, _, None) => {
            steps.push(|| {
                Step::input(
                    Text::new(
                        format!("{party} är inte medlem i perioden"),
                        format!("{party} is not a member in the period"),
                    ),
                    Text::plain("0"),
                    None,
                )
            });
            (rust_decimal::Decimal::ZERO, Money::ZERO)
        }
        (CorrectionPolicy::NextInvoiceCount, _, Some(_)) => {
            let last = m
                .last_day()
                .map_or(period.last_day(), |l| l.min(period.last_day()));
            let n = users.users_on_at((place, party), last);
            let days = member_days(m, period);
            let (exact, actual) = ctx.amount(party, n, &days, "actual amount")?;
            steps.extend(|| {
                ctx.count_steps(
                    Text::new(
                        format!("användare hos {party} den {last}, n(e−1)"),
                        format!("users of {party} on {last}, n(e−1)"),
                    ),
                    n,
                    &days,
                    Text::new("faktiskt belopp", "actual amount"),
                    exact,
                    period,
                )
            });
            (exact, actual)
        }
        (CorrectionPolicy::ProRataDays, Users::Counts(_), Some(_)) => {
            return Err(CalendarError::CountsNeedNextInvoiceCount);
        }
        (CorrectionPolicy::ProRataDays, Users::Register(register), Some((a, b))) => {
            let total = register.user_days_between((place, party), a, b);
            let (first, multiplier) = match first_year_span(m) {
                Some((fa, fb, mult)) => (
                    register.user_days_between((place, party), a.max(fa), b.min(fb)),
                    mult,
                ),
                None => (0, rust_decimal::Decimal::ONE),
            };
            let too_large = || CalendarError::TooLarge {
                party: party.clone(),
                period,
                what: "user-days",
            };
            let first = i64::try_from(first).map_err(|_| too_large())?;
            let other = i64::try_from(total)
                .map_err(|_| too_large())?
                .saturating_sub(first);
            let days = Weighted::new(first, other, multiplier).ok_or_else(too_large)?;
            let (exact, actual) = ctx.amount(party, 1, &days, "actual amount")?;
            steps.push(|| {
                Step::computed(
                    Text::new(
                        format!("användardagar hos {party} under medlemskapet, viktade med avgiftsfaktorn, Σ_u Σ_d m(d)"),
                        format!("user-days of {party} while a member, weighted by the fee multiplier, Σ_u Σ_d m(d)"),
                    ),
                    Text::plain(days.formula()),
                    Text::plain(swedish_decimal(days.value(), 10)),
                )
                .with_figure(days.figure(true))
            });
            steps.push(|| {
                Step::computed(
                    Text::new("faktiskt belopp", "actual amount"),
                    Text::plain(format!(
                        "F × Σ_u Σ_d m(d) / ({} × |P|) = {} × {} / ({} × {})",
                        ctx.per_year,
                        ctx.fee.to_swedish(),
                        swedish_decimal(days.value(), 10),
                        ctx.per_year,
                        period.days()
                    )),
                    Text::plain(swedish_decimal(exact, 10)),
                )
            });
            (exact, actual)
        }
    };
    steps.push(|| ctx.rounding_step(exact, actual));
    let billed_amount = billed.map_or(Money::ZERO, |b| b.amount);
    steps.push(|| {
        let issued = match billed {
            Some(b) => {
                let dates: Vec<String> = b.dates.iter().map(|d| d.to_string()).collect();
                let dates = dates.join(", ");
                Text::new(
                    format!("{} rad(er) fakturerade den {dates}", b.lines),
                    format!("{} line(s) issued on {dates}", b.lines),
                )
            }
            None => Text::new("inget fakturerat", "nothing issued"),
        };
        Step::computed(
            Text::new(
                format!("fakturerat för {period}"),
                format!("billed for {period}"),
            ),
            issued,
            Text::plain(billed_amount.to_swedish()),
        )
        .with_figure(Figure::Billed(billed_amount))
    });
    let amount = actual - billed_amount;
    steps.push(|| {
        let figures = format!("{} − {}", actual.to_swedish(), billed_amount.to_swedish());
        Step::computed(
            Text::new("korrigering", "correction"),
            Text::new(
                format!("faktiskt − fakturerat = {figures}"),
                format!("actual − billed = {figures}"),
            ),
            Text::plain(amount.to_swedish()),
        )
    });
    Ok(FeeLine {
        party: party.clone(),
        kind: FeeLineKind::Correction,
        period,
        invoice_date: ctx.invoice_date,
        amount,
        quantity: LineQuantity::lump(amount, LumpReason::Correction),
        explanation: ctx.explanation(party, amount, steps).into(),
    })
}
