//! A user-fee line (R6, R7) and what computing one needs: the calendar configuration, the
//! member days of a period weighted by the first-year multiplier (R8), and the exact amount
//! `n · F · Σ m(d) / (k · |P|)` rounded once. Shared by the advance ([`crate::calendar::advance`])
//! and the correction ([`crate::calendar::correction`]), which do not import each other back.

use std::cell::RefCell;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::sync::Arc;

use crate::agreement::PartyId;
use crate::calendar::error::CalendarError;
use crate::calendar::fee::AnnualFee;
use crate::calendar::membership::Membership;
use crate::calendar::period::Period;
use crate::calendar::period_starts::PeriodStarts;
use crate::calendar::register::day_number;
use crate::error::PoolId;
use crate::explain::{self, swedish_decimal, Explanation, Figure, Language, Step, Text};
use crate::money::policy_words;
use crate::money::{
    decimal_to_i128_at_scale, group_thousands, ratio_to_decimal, Money, RoundingMode,
    RoundingPolicy, RoundingUnit,
};
use crate::quantity::{LineQuantity, LumpReason};

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

impl CalendarConfig {
    /// A builder starting from the defaults (half-years, `next_invoice_count`, öre half away
    /// from zero).
    ///
    /// ```
    /// use billing_core::calendar::{CalendarConfig, CorrectionPolicy};
    /// let config = CalendarConfig::builder()
    ///     .periods(vec![(1, 1), (4, 1), (7, 1), (10, 1)])
    ///     .policy(CorrectionPolicy::ProRataDays)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(config.periods.per_year(), 4);
    /// assert!(CalendarConfig::builder().periods(vec![(2, 30)]).build().is_err());
    /// ```
    pub fn builder() -> CalendarConfigBuilder {
        CalendarConfigBuilder {
            starts: None,
            config: CalendarConfig::default(),
        }
    }
}

/// Builds a [`CalendarConfig`]: see [`CalendarConfig::builder`].
#[derive(Clone, Debug)]
#[must_use]
pub struct CalendarConfigBuilder {
    starts: Option<Vec<(u32, u32)>>,
    config: CalendarConfig,
}

impl CalendarConfigBuilder {
    /// The (month, day) each billing period starts on, checked when built.
    pub fn periods(mut self, starts: Vec<(u32, u32)>) -> CalendarConfigBuilder {
        self.starts = Some(starts);
        self
    }

    /// How corrections are computed (R7).
    pub fn policy(mut self, policy: CorrectionPolicy) -> CalendarConfigBuilder {
        self.config.policy = policy;
        self
    }

    /// The rounding of each user-fee line.
    pub fn rounding(mut self, rounding: RoundingPolicy) -> CalendarConfigBuilder {
        self.config.rounding = rounding;
        self
    }

    /// The configuration.
    ///
    /// # Errors
    /// [`CalendarError::BadPeriodStarts`] for no start, a day that is not in every year, or a
    /// start given twice.
    pub fn build(self) -> Result<CalendarConfig, CalendarError> {
        let mut config = self.config;
        if let Some(starts) = self.starts {
            config.periods = PeriodStarts::new(starts)?;
        }
        Ok(config)
    }
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
#[non_exhaustive]
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
    /// Users × the fee per user for the period, or why the line is a lump sum.
    pub quantity: LineQuantity,
    /// How it was derived (R16), shared with the invoice line that bills it.
    pub explanation: Arc<Explanation>,
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
            steps: vec![Step::input(
                Text::new(
                    format!("fakturerat den {invoice_date}"),
                    format!("issued on {invoice_date}"),
                ),
                Text::plain(amount.to_swedish()),
                None,
            )]
            .into(),
        };
        FeeLine {
            party,
            kind,
            period,
            invoice_date,
            amount,
            quantity: LineQuantity::lump(
                amount,
                match kind {
                    FeeLineKind::Correction => LumpReason::Correction,
                    FeeLineKind::Advance => LumpReason::Amount,
                },
            ),
            explanation: explanation.into(),
        }
    }
}

/// The id under which user-fee lines explain themselves, e.g. `user-fee 2011-01-01..2011-06-30`.
pub(crate) fn user_fee_pool(period: Period) -> PoolId {
    PoolId::from(format!("user-fee {period}"))
}
/// What one line's computation needs to know.
pub(crate) struct Ctx<'a> {
    pub(crate) config: &'a CalendarConfig,
    pub(crate) period: Period,
    pub(crate) fee: &'a AnnualFee,
    pub(crate) per_year: usize,
    pub(crate) invoice_date: NaiveDate,
    /// The user-fee pool of `period` ([`user_fee_pool`]), made once for all the lines of a
    /// date rather than formatted for each line.
    pub(crate) pool: &'a PoolId,
    /// Whether the lines are explained (R16). The lines of an earlier date that the engine
    /// computes only for their amounts (what later dates correct, the cash flow) are not: their
    /// explanations would be built and dropped unread on every date issued after them.
    pub(crate) explain: bool,
    /// The steps every explained line of the period starts with, made once and shared.
    pub(crate) shared: &'a FeeSteps,
}

/// The steps an explained line starts with ([`Ctx::fee_steps`]: the annual fee's derivation,
/// the fee per period, the days of the period), made once per fee and period and shared by
/// every line that starts with them rather than copied into each (issue 12: a budget's
/// derivation copied into the two lines of each of 100,000 parties was most of a date's
/// memory).
#[derive(Default)]
pub(crate) struct FeeSteps(RefCell<Vec<SharedSteps>>);

/// The steps shared by the lines of one fee (by its address) and period.
type SharedSteps = (usize, Period, Arc<[Step]>);

impl FeeSteps {
    /// The steps of `ctx`'s fee and period, made on first use.
    fn get(&self, ctx: &Ctx<'_>) -> Arc<[Step]> {
        // The fee by its place: the fees of one date are borrowed from one schedule.
        let fee = std::ptr::from_ref(ctx.fee) as usize;
        if let Some((_, _, steps)) = self
            .0
            .borrow()
            .iter()
            .find(|(f, p, _)| *f == fee && *p == ctx.period)
        {
            return steps.clone();
        }
        let steps: Arc<[Step]> = ctx.fee_steps().into();
        self.0.borrow_mut().push((fee, ctx.period, steps.clone()));
        steps
    }
}

/// The steps of a line's explanation, built only when the line is explained.
pub(crate) struct Steps {
    on: bool,
    steps: explain::Steps,
}

impl Steps {
    /// Adds the step `f` makes, when the line is explained.
    pub(crate) fn push(&mut self, f: impl FnOnce() -> Step) {
        if self.on {
            self.steps.push(f());
        }
    }

    /// Adds the steps `f` makes, when the line is explained.
    pub(crate) fn extend<I: IntoIterator<Item = Step>>(&mut self, f: impl FnOnce() -> I) {
        if self.on {
            self.steps.extend(f());
        }
    }
}

impl Ctx<'_> {
    /// The steps of a line, starting with the fee's ([`Ctx::fee_steps`]); none when the line is
    /// not explained.
    pub(crate) fn steps(&self) -> Steps {
        Steps {
            on: self.explain,
            steps: if self.explain {
                explain::Steps::after(self.shared.get(self))
            } else {
                explain::Steps::new()
            },
        }
    }

    /// The steps of an amount counted from users on one day: n, Σ m(d), and
    /// `n × F × Σ m(d) / (k × |P|)` — the same for an advance (R6) and for the actual amount of
    /// a correction under `next_invoice_count` (R7).
    pub(crate) fn count_steps(
        &self,
        users_label: Text,
        n: u64,
        days: &Weighted,
        amount_label: Text,
        exact: Decimal,
        period: Period,
    ) -> [Step; 3] {
        [
            Step::input(
                users_label,
                Text::plain(group_thousands(&n.to_string())),
                None,
            )
            .with_figure(Figure::Users(n)),
            Step::computed(
                Text::new(
                    "medlemsdagar viktade med avgiftsfaktorn, Σ m(d)",
                    "member days weighted by the fee multiplier, Σ m(d)",
                ),
                Text::plain(days.formula()),
                Text::plain(swedish_decimal(days.value(), 10)),
            )
            .with_figure(days.figure(false)),
            Step::computed(
                amount_label,
                Text::plain(format!(
                    "n × F × Σ m(d) / ({} × |P|) = {} × {} × {} / ({} × {})",
                    self.per_year,
                    n,
                    self.fee.to_swedish(),
                    swedish_decimal(days.value(), 10),
                    self.per_year,
                    period.days()
                )),
                Text::plain(swedish_decimal(exact, 10)),
            ),
        ]
    }

    /// The steps shared by every line of the period: the fee and the fee per period.
    pub(crate) fn fee_steps(&self) -> Vec<Step> {
        let mut steps = self.fee.steps().to_vec();
        let k = self.per_year;
        let (fee, divisor) = self.fee.fraction();
        // F / k from the fraction: exact for an exact fee too (to 28 digits, shown to 10).
        let per_period = (k as i128)
            .checked_mul(i128::from(divisor))
            .and_then(|d| d.checked_mul(100))
            .and_then(|d| ratio_to_decimal(fee.ore(), d))
            .unwrap_or_default();
        steps.push(Step::computed(
            Text::new(
                format!("avgift per användare och period h ({k} perioder per år)"),
                format!("fee per user and period h ({k} periods a year)"),
            ),
            Text::plain(format!("F / {k}")),
            Text::plain(swedish_decimal(per_period, 10)),
        ));
        let period = self.period;
        steps.push(Step::input(
            Text::new(
                format!("dagar i perioden {period}, |P|"),
                format!("days in period {period}, |P|"),
            ),
            Text::plain(period.days().to_string()),
            None,
        ));
        steps
    }

    /// `count · F · weighted / (k · |P| · 10^scale)` as an exact fraction in kronor, rounded
    /// once. `weighted` is Σ m(d) scaled by 10^scale. F is the fee's fraction (R5): for an
    /// exact fee `B / N`, so the line is `count · B · weighted / (N · k · |P| · 10^scale)`.
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
        let (fee, divisor) = self.fee.fraction();
        let num = i128::from(count)
            .checked_mul(fee.ore())
            .and_then(|x| x.checked_mul(weighted.scaled))
            .ok_or_else(too_large)?;
        let den = (self.per_year as i128)
            .checked_mul(i128::from(divisor))
            .and_then(|x| x.checked_mul(i128::from(self.period.days())))
            .and_then(|x| x.checked_mul(weighted.unit))
            .and_then(|x| x.checked_mul(100))
            .ok_or_else(too_large)?;
        let exact = ratio_to_decimal(num, den).ok_or_else(too_large)?;
        // Rounded from the fraction itself, not from its decimal (28 digits), so that a share
        // a hair below half an öre never rounds up, however large N is (R5, the exact policy).
        let rounded = round_ratio(num, den / 100, self.config.rounding).ok_or_else(too_large)?;
        Ok((exact, rounded))
    }

    pub(crate) fn explanation(&self, party: &PartyId, amount: Money, steps: Steps) -> Explanation {
        Explanation {
            pool: self.pool.clone(),
            party: party.clone(),
            amount,
            steps: steps.steps,
        }
    }

    pub(crate) fn rounding_step(&self, exact: Decimal, rounded: Money) -> Step {
        let words = policy_words(self.config.rounding);
        Step::computed(
            Text::new(
                format!("avrundat {}", words.get(Language::Sv)),
                format!("rounded {}", words.get(Language::En)),
            ),
            Text::plain(swedish_decimal(exact, 10)),
            Text::plain(rounded.to_swedish()),
        )
    }
}

/// `num / den` öre (`den` > 0) rounded under `policy`, in integers: exact whatever the size of
/// the fraction. `None` when the result is beyond [`Money`]'s range.
fn round_ratio(num: i128, den: i128, policy: RoundingPolicy) -> Option<Money> {
    let unit: i128 = match policy.unit() {
        RoundingUnit::Ore => 1,
        RoundingUnit::Krona => 100,
    };
    let den = den.checked_mul(unit)?;
    if den <= 0 {
        return None;
    }
    // Truncated toward zero, with the remainder's size compared with half the divisor.
    let (q, r) = (num / den, (num % den).unsigned_abs());
    let away = num.signum();
    let twice = r.checked_mul(2)?;
    let half = twice.cmp(&den.unsigned_abs());
    let q = match policy.mode() {
        RoundingMode::TowardZero => q,
        RoundingMode::HalfAwayFromZero if half.is_ge() => q + away,
        RoundingMode::HalfEven if half.is_gt() || (half.is_eq() && q % 2 != 0) => q + away,
        RoundingMode::HalfAwayFromZero | RoundingMode::HalfEven => q,
    };
    Money::try_from_ore(q.checked_mul(unit)?).ok()
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
        // A whole multiplier other than zero (1 for most members) is its own normal form:
        // normalizing it is most of the work of a line's member days (issue 12).
        let m = if multiplier.scale() == 0 && !multiplier.is_zero() {
            multiplier
        } else {
            multiplier.normalize()
        };
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
    /// The days as a structured figure of an explanation step.
    pub(crate) fn figure(&self, user_days: bool) -> Figure {
        Figure::WeightedDays {
            user_days,
            first_year: self.first_year,
            other: self.other,
        }
    }

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

/// How a period's correction is computed (R7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum CorrectionPolicy {
    /// The seed's simple rule: the users on the period's last day, for the whole period.
    #[default]
    NextInvoiceCount,
    /// Each user for the days it was registered.
    ProRataDays,
}

impl fmt::Display for CorrectionPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CorrectionPolicy::NextInvoiceCount => "next_invoice_count",
            CorrectionPolicy::ProRataDays => "pro_rata_days",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORE: RoundingPolicy = RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO;

    #[test]
    fn round_ratio_rounds_as_the_policy_names() {
        let cases: &[(i128, i128, RoundingPolicy, &str)] = &[
            // 1 / 2 öre: a tie goes away from zero, or to the even öre.
            (1, 2, ORE, "0.01"),
            (-1, 2, ORE, "-0.01"),
            (1, 2, RoundingPolicy::ORE_HALF_EVEN, "0.00"),
            (3, 2, RoundingPolicy::ORE_HALF_EVEN, "0.02"),
            (-3, 2, RoundingPolicy::ORE_HALF_EVEN, "-0.02"),
            (19, 10, RoundingPolicy::ORE_TOWARD_ZERO, "0.01"),
            (-19, 10, RoundingPolicy::ORE_TOWARD_ZERO, "-0.01"),
            // 18 × 1,000,000.00 / (90 × 2) = 100,000.00; 16 × … = 88,888.888… → 88,888.89.
            (18 * 100_000_000, 180, ORE, "100000.00"),
            (16 * 100_000_000, 180, ORE, "88888.89"),
            // 5,555.50 kr to whole kronor: 5,556.00; 5,555.49: 5,555.00.
            (
                555_550,
                1,
                RoundingPolicy::KRONA_HALF_AWAY_FROM_ZERO,
                "5556.00",
            ),
            (
                555_549,
                1,
                RoundingPolicy::KRONA_HALF_AWAY_FROM_ZERO,
                "5555.00",
            ),
        ];
        for &(num, den, policy, expected) in cases {
            let got = round_ratio(num, den, policy).map(|m| m.to_string());
            assert_eq!(
                got.as_deref(),
                Some(expected),
                "{num} / {den} under {policy:?}"
            );
        }
    }

    /// A share a hair below half an öre: 10^12 kronor and 0.005 kronor less 10^-19 has more
    /// digits than a decimal holds (28), which rounds it to the tie and so up; the integers do
    /// not.
    #[test]
    fn round_ratio_is_exact_where_a_decimal_is_not() {
        let den: i128 = 10i128.pow(19);
        let num = 100_000_000_000_000 * den + den / 2 - 1;
        assert_eq!(
            round_ratio(num, den, ORE).unwrap().to_string(),
            "1000000000000.00"
        );
        let decimal = ratio_to_decimal(num, den * 100).unwrap();
        assert_eq!(
            Money::round(decimal, ORE).unwrap().to_string(),
            "1000000000000.01"
        );
        // Beyond Money's range: refused, not wrapped.
        assert!(round_ratio(i128::MAX, 1, ORE).is_none());
    }
}
