//! R5 The annual user fee: the yearly budget B and the annual user fee F = B / N, or a fee
//! given as it is (docs/rules.md, section "R5 The annual user fee").

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::agreement::SourceRef;
use crate::calendar::error::CalendarError;
use crate::explain::{swedish_decimal, Language, Step, Text};
use crate::money::{group_thousands, ratio_to_decimal, Money, RoundingPolicy};

/// One cost line of a budget (licences, modules, consultants, system managers, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BudgetLine {
    /// What it pays for.
    pub name: String,
    /// The amount for the year.
    pub amount: Money,
    /// True when the figure was not in the source and was inferred (e.g. seed 004's licences).
    #[cfg_attr(feature = "serde", serde(default))]
    pub inferred: bool,
    /// Where it was read.
    #[cfg_attr(feature = "serde", serde(default))]
    pub source: Option<SourceRef>,
}

/// A yearly budget: its cost lines, the day its fee starts to apply and the day users are
/// counted at.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Budget {
    /// Its name, e.g. `budget 2010`.
    pub name: String,
    /// The first day the resulting fee applies, e.g. 2010-01-01.
    pub valid_from: NaiveDate,
    /// The day the users N are counted at.
    pub reference_date: NaiveDate,
    /// The cost lines.
    pub lines: Vec<BudgetLine>,
}

impl Budget {
    /// The total B of its lines.
    pub fn total(&self) -> Money {
        self.lines.iter().map(|l| l.amount).sum()
    }
}

/// How the annual fee F = B / N of a budget is kept (R5, the decision "the fee is a price in
/// öre"): rounded by a named policy, a published price (to öre, half away from zero, by
/// default), or exact, the fraction B / N itself, for agreements that want the budget recovered
/// to the öre. A fee given directly rather than from a budget is used as it is, under either.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum FeePolicy {
    /// F rounded once under the policy, then used as an amount in öre.
    Rounded(RoundingPolicy),
    /// F kept as the exact fraction B / N: each user-fee line is computed from B and N and
    /// rounded once, as a line (the calendar's line rounding).
    Exact,
}

impl FeePolicy {
    /// To öre, half away from zero: the default (11,111.11 kr for 1,000,000 kr over 90 users).
    pub const ORE: FeePolicy = FeePolicy::Rounded(RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO);
    /// To whole kronor, half away from zero (11,111.00 kr for 1,000,000 kr over 90 users).
    pub const KRONOR: FeePolicy = FeePolicy::Rounded(RoundingPolicy::KRONA_HALF_AWAY_FROM_ZERO);
}

impl Default for FeePolicy {
    /// [`FeePolicy::ORE`], the default of R5.
    fn default() -> FeePolicy {
        FeePolicy::ORE
    }
}

impl From<RoundingPolicy> for FeePolicy {
    fn from(policy: RoundingPolicy) -> FeePolicy {
        FeePolicy::Rounded(policy)
    }
}

/// An annual user fee F and the day it applies from, with how it was derived.
///
/// F is held as the fraction `numerator / divisor` with the numerator in öre: the divisor is 1
/// for a fee in öre (given, or rounded from a budget), and N for an exact fee
/// ([`FeePolicy::Exact`]), whose numerator is B.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AnnualFee {
    valid_from: NaiveDate,
    amount: Money,
    numerator: Money,
    divisor: u64,
    exact: bool,
    steps: Vec<Step>,
}

impl AnnualFee {
    /// A fee decided directly, not from a budget.
    pub fn given(valid_from: NaiveDate, amount: Money, source: Option<SourceRef>) -> AnnualFee {
        AnnualFee {
            valid_from,
            amount,
            numerator: amount,
            divisor: 1,
            exact: false,
            steps: vec![Step::input(
                Text::new(
                    format!("årlig användaravgift F från {valid_from}"),
                    format!("annual user fee F from {valid_from}"),
                ),
                Text::plain(amount.to_swedish()),
                source.as_ref(),
            )],
        }
    }

    /// The first day it applies.
    pub fn valid_from(&self) -> NaiveDate {
        self.valid_from
    }

    /// F per user and year, in öre: the fee itself when it is in öre; for an exact fee whose
    /// fraction does not end in öre, F rounded to öre half away from zero, for display only
    /// (the lines are computed from [`AnnualFee::fraction`]).
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// F as the exact fraction (numerator in öre, divisor): `(12,000.00 kr, 1)` for a fee in
    /// öre, `(1,000,000.00 kr, 90)` for 1,000,000 kr over 90 users kept exact. The user-fee
    /// lines compute with it.
    pub fn fraction(&self) -> (Money, u64) {
        (self.numerator, self.divisor)
    }

    /// True for a fee kept exact ([`FeePolicy::Exact`]), even when B / N ends in öre.
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// F as a decimal: exact when the fraction ends within 28 digits, else to 28 significant
    /// digits (for explanations, which show 10 decimals).
    pub fn value(&self) -> Decimal {
        if self.divisor == 1 {
            return self.numerator.to_decimal();
        }
        ratio_to_decimal(self.numerator.ore(), i128::from(self.divisor) * 100)
            .unwrap_or_else(|| self.amount.to_decimal())
    }

    /// True when F is a whole number of öre: given, rounded, or exact and even (1,080,000 kr
    /// over 90 users), not 1,000,000 kr over 90.
    fn ends_in_ore(&self) -> bool {
        self.numerator.ore() % i128::from(self.divisor) == 0
    }

    /// F as the explanations show it: `12 000,00` for a fee that ends in öre (rounded, given,
    /// or exact and even), else its exact value to 10 decimals, e.g. `11 111,1111111111`.
    pub fn to_swedish(&self) -> String {
        if self.ends_in_ore() {
            Money::from_ore(self.numerator.ore() / i128::from(self.divisor)).to_swedish()
        } else {
            swedish_decimal(self.value(), 10)
        }
    }

    /// How it was derived, as explanation steps.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
}

/// The annual fee F = B / N of `budget` with `users` users at its reference date, kept under
/// `policy` (R5): rounded once, or exact. A [`RoundingPolicy`] converts into the policy that
/// rounds with it.
///
/// # Errors
/// [`CalendarError::BudgetWithoutUsers`] when `users` is 0, and
/// [`CalendarError::NonPositiveBudget`] when the lines add up to 0 or less.
pub fn annual_fee(
    budget: &Budget,
    users: u64,
    policy: impl Into<FeePolicy>,
) -> Result<AnnualFee, CalendarError> {
    let policy = policy.into();
    let total = budget.total();
    if users == 0 {
        return Err(CalendarError::BudgetWithoutUsers {
            budget: budget.name.clone(),
            reference_date: budget.reference_date,
        });
    }
    if !total.is_positive() {
        return Err(CalendarError::NonPositiveBudget {
            budget: budget.name.clone(),
            total,
        });
    }
    let exact = total.to_decimal() / Decimal::from(users);
    // The rounded fee, for display when it is exact: to öre.
    let rounding = match policy {
        FeePolicy::Rounded(r) => r,
        FeePolicy::Exact => RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO,
    };
    let amount = Money::round(exact, rounding).map_err(|_| CalendarError::NonPositiveBudget {
        budget: budget.name.clone(),
        total,
    })?;
    let (numerator, divisor) = match policy {
        FeePolicy::Rounded(_) => (amount, 1),
        FeePolicy::Exact => (total, users),
    };
    let mut steps: Vec<Step> = budget
        .lines
        .iter()
        .map(|l| {
            let (sv, en) = if l.inferred {
                (" (härledd)", " (inferred)")
            } else {
                ("", "")
            };
            Step::input(
                Text::new(
                    format!("budget från {}: {}{sv}", budget.valid_from, l.name),
                    format!("budget from {}: {}{en}", budget.valid_from, l.name),
                ),
                Text::plain(l.amount.to_swedish()),
                l.source.as_ref(),
            )
        })
        .collect();
    let n_lines = budget.lines.len();
    steps.push(Step::computed(
        Text::new("budget B", "budget B"),
        Text::new(
            format!("summan av {n_lines} rader"),
            format!("sum of {n_lines} lines"),
        ),
        Text::plain(total.to_swedish()),
    ));
    let day = budget.reference_date;
    steps.push(
        Step::input(
            Text::new(
                format!("användare N den {day}"),
                format!("users N on {day}"),
            ),
            Text::plain(group_thousands(&users.to_string())),
            None,
        )
        .with_figure(crate::explain::Figure::BudgetUsers(users)),
    );
    let b_n = format!("B / N = {} / {}", total.to_swedish(), users);
    let fee = AnnualFee {
        valid_from: budget.valid_from,
        amount,
        numerator,
        divisor,
        exact: policy == FeePolicy::Exact,
        steps: Vec::new(),
    };
    let how = match policy {
        FeePolicy::Rounded(r) => {
            let rounded = crate::money::policy_words(r);
            Text::new(
                format!("{b_n}, avrundat {}", rounded.get(Language::Sv)),
                format!("{b_n}, rounded {}", rounded.get(Language::En)),
            )
        }
        // "Shown to 10 decimals" only when it is: a fee that ends in öre is shown as it is.
        FeePolicy::Exact if fee.ends_in_ore() => Text::new(
            format!("{b_n}, exakt, ej avrundat"),
            format!("{b_n}, exact, not rounded"),
        ),
        FeePolicy::Exact => Text::new(
            format!("{b_n}, exakt, ej avrundat (visas med 10 decimaler)"),
            format!("{b_n}, exact, not rounded (shown to 10 decimals)"),
        ),
    };
    steps.push(Step::computed(
        Text::new(
            format!("årlig användaravgift F från {}", budget.valid_from),
            format!("annual user fee F from {}", budget.valid_from),
        ),
        how,
        Text::plain(fee.to_swedish()),
    ));
    Ok(AnnualFee { steps, ..fee })
}

/// Annual fees by the day they apply from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FeeSchedule {
    fees: Vec<AnnualFee>,
}

impl FeeSchedule {
    /// A schedule from fees in any order.
    ///
    /// # Errors
    /// [`CalendarError::DuplicateFee`] when two fees apply from the same day.
    pub fn new(mut fees: Vec<AnnualFee>) -> Result<FeeSchedule, CalendarError> {
        fees.sort_by_key(|f| f.valid_from);
        if let Some(w) = fees.windows(2).find(|w| w[0].valid_from == w[1].valid_from) {
            return Err(CalendarError::DuplicateFee {
                valid_from: w[0].valid_from,
            });
        }
        Ok(FeeSchedule { fees })
    }

    /// The fee in force on `day`: the latest that applies from that day or before.
    pub fn in_force(&self, day: NaiveDate) -> Option<&AnnualFee> {
        let upto = self.fees.partition_point(|f| f.valid_from <= day);
        upto.checked_sub(1).map(|i| &self.fees[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn line(name: &str, kronor: i64) -> BudgetLine {
        BudgetLine {
            name: name.to_owned(),
            amount: Money::from_kronor(kronor),
            inferred: false,
            source: None,
        }
    }

    fn budget(lines: Vec<BudgetLine>) -> Budget {
        Budget {
            name: "budget 2010".to_owned(),
            valid_from: day(2010, 1, 1),
            reference_date: day(2010, 1, 1),
            lines,
        }
    }

    #[test]
    fn seed_004_budget_gives_12_000_per_user() {
        let mut licences = line("licences", 225_000);
        licences.inferred = true;
        let b = budget(vec![
            licences,
            line("module", 50_000),
            line("consultants", 50_000),
            line("system managers", 520_000),
            line("administration", 10_000),
            line("operations", 225_000),
        ]);
        let fee = annual_fee(&b, 90, RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO).unwrap();
        assert_eq!(fee.amount(), Money::from_kronor(12_000));
        assert!(
            fee.steps()[0]
                .label
                .get(crate::Language::En)
                .contains("(inferred)")
                && fee.steps()[0]
                    .label
                    .get(crate::Language::Sv)
                    .contains("(härledd)")
        );
    }

    #[test]
    fn fee_is_rounded_by_the_named_policy() {
        let b = budget(vec![line("all", 100)]);
        let half_up = annual_fee(&b, 3, RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO).unwrap();
        assert_eq!(half_up.amount().to_string(), "33.33");
        let kronor = annual_fee(&b, 3, RoundingPolicy::KRONA_HALF_AWAY_FROM_ZERO).unwrap();
        assert_eq!(kronor.amount().to_string(), "33.00");
    }

    #[test]
    fn exact_fee_keeps_b_over_n_unrounded() {
        // DOMAIN R5: 1,000,000 kr over 90 users.
        let b = budget(vec![line("all", 1_000_000)]);
        let ore = annual_fee(&b, 90, FeePolicy::ORE).unwrap();
        assert_eq!(ore.amount().to_string(), "11111.11");
        assert_eq!(ore.fraction(), (Money::from_ore(1_111_111), 1));
        assert!(!ore.is_exact());
        let kronor = annual_fee(&b, 90, FeePolicy::KRONOR).unwrap();
        assert_eq!(kronor.fraction(), (Money::from_kronor(11_111), 1));
        let exact = annual_fee(&b, 90, FeePolicy::Exact).unwrap();
        assert!(exact.is_exact());
        assert_eq!(exact.fraction(), (Money::from_kronor(1_000_000), 90));
        // Shown rounded to öre where a document needs an amount, and to 10 decimals in the
        // explanation, which says it is exact.
        assert_eq!(exact.amount().to_string(), "11111.11");
        assert_eq!(exact.to_swedish(), "11 111,1111111111");
        let last = exact.steps().last().unwrap();
        assert_eq!(
            last.formula.as_ref().unwrap().get(Language::Sv),
            "B / N = 1 000 000,00 / 90, exakt, ej avrundat (visas med 10 decimaler)"
        );
        assert_eq!(
            last.formula.as_ref().unwrap().get(Language::En),
            "B / N = 1 000 000,00 / 90, exact, not rounded (shown to 10 decimals)"
        );
        assert_eq!(last.value.get(Language::Sv), "11 111,1111111111");
        // A fee that ends in öre is the same figure under both policies.
        let even = annual_fee(&budget(vec![line("all", 1_080_000)]), 90, FeePolicy::Exact).unwrap();
        assert_eq!(even.amount(), Money::from_kronor(12_000));
        assert_eq!(even.to_swedish(), "12 000,00");
        // Exact, and said so, but not "shown to 10 decimals": it is shown in öre.
        let last = even.steps().last().unwrap();
        assert_eq!(
            last.formula.as_ref().unwrap().get(Language::Sv),
            "B / N = 1 080 000,00 / 90, exakt, ej avrundat"
        );
        assert_eq!(
            last.formula.as_ref().unwrap().get(Language::En),
            "B / N = 1 080 000,00 / 90, exact, not rounded"
        );
        assert_eq!(last.value.get(Language::Sv), "12 000,00");
    }

    /// A given fee is held in öre, never as a fraction; that every policy leaves it as it is
    /// is `billing-report/tests/fee_rounding.rs::a_given_fee_is_the_same_under_every_policy`.
    #[test]
    fn a_given_fee_is_held_in_ore() {
        let given = AnnualFee::given(day(2010, 1, 1), Money::from_ore(1_111_111), None);
        assert_eq!(given.fraction(), (Money::from_ore(1_111_111), 1));
        assert!(!given.is_exact());
        assert_eq!(given.to_swedish(), "11 111,11");
    }

    #[test]
    fn budget_with_no_users_is_an_error() {
        let err = annual_fee(
            &budget(vec![line("all", 100)]),
            0,
            RoundingPolicy::default(),
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "budget budget 2010: no users at the reference date 2010-01-01, so the fee B / N is undefined"
        );
        let empty = annual_fee(&budget(vec![]), 5, RoundingPolicy::default());
        assert!(matches!(
            empty,
            Err(CalendarError::NonPositiveBudget { .. })
        ));
    }

    #[test]
    fn schedule_picks_the_fee_in_force() {
        let s = FeeSchedule::new(vec![
            AnnualFee::given(day(2011, 1, 1), Money::from_kronor(13_000), None),
            AnnualFee::given(day(2010, 1, 1), Money::from_kronor(12_000), None),
        ])
        .unwrap();
        assert!(s.in_force(day(2009, 12, 31)).is_none());
        assert_eq!(
            s.in_force(day(2010, 7, 1)).unwrap().amount(),
            Money::from_kronor(12_000)
        );
        assert_eq!(
            s.in_force(day(2011, 1, 1)).unwrap().amount(),
            Money::from_kronor(13_000)
        );
    }
}
