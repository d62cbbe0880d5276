//! R5 The annual user fee: the yearly budget B and the annual user fee F = B / N, or a fee
//! given as it is (docs/rules.md, section "R5 The annual user fee").

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::agreement::SourceRef;
use crate::calendar::error::CalendarError;
use crate::explain::{Language, Step, Text};
use crate::money::{group_thousands, Money, RoundingPolicy};

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

/// An annual user fee F and the day it applies from, with how it was derived.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AnnualFee {
    valid_from: NaiveDate,
    amount: Money,
    steps: Vec<Step>,
}

impl AnnualFee {
    /// A fee decided directly, not from a budget.
    pub fn given(valid_from: NaiveDate, amount: Money, source: Option<SourceRef>) -> AnnualFee {
        AnnualFee {
            valid_from,
            amount,
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

    /// F, per user and year.
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// How it was derived, as explanation steps.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
}

/// The annual fee F = B / N of `budget` with `users` users at its reference date, rounded once
/// under `policy` (R5).
///
/// # Errors
/// [`CalendarError::BudgetWithoutUsers`] when `users` is 0, and
/// [`CalendarError::NonPositiveBudget`] when the lines add up to 0 or less.
pub fn annual_fee(
    budget: &Budget,
    users: u64,
    policy: RoundingPolicy,
) -> Result<AnnualFee, CalendarError> {
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
    let amount = Money::round(exact, policy).map_err(|_| CalendarError::NonPositiveBudget {
        budget: budget.name.clone(),
        total,
    })?;
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
    let rounded = crate::money::policy_words(policy);
    let b_n = format!("B / N = {} / {}", total.to_swedish(), users);
    steps.push(Step::computed(
        Text::new(
            format!("årlig användaravgift F från {}", budget.valid_from),
            format!("annual user fee F from {}", budget.valid_from),
        ),
        Text::new(
            format!("{b_n}, avrundat {}", rounded.get(Language::Sv)),
            format!("{b_n}, rounded {}", rounded.get(Language::En)),
        ),
        Text::plain(amount.to_swedish()),
    ));
    Ok(AnnualFee {
        valid_from: budget.valid_from,
        amount,
        steps,
    })
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
