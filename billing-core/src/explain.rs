//! How each allocated amount was derived (R16): structured steps, renderable as plain text.

use std::fmt;

use rust_decimal::Decimal;

use crate::agreement::{PartyId, SourceRef};
use crate::error::PoolId;
use crate::money::{group_thousands, Money};
use crate::pool::{Allocation, ExcessPolicy, Part, Ratio};

/// The derivation of one party's amount for one pool.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Explanation {
    /// The pool.
    pub pool: PoolId,
    /// The party.
    pub party: PartyId,
    /// What the party pays for the pool.
    pub amount: Money,
    /// The steps, from the inputs to the amount.
    pub steps: Vec<Step>,
}

/// One step of a derivation: an input, a computed value or a rounding.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Step {
    /// What the value is, in words.
    pub label: String,
    /// How it was computed, if it was, e.g. `2 000 000,00 × 935 619 / 2 269 060`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub formula: Option<String>,
    /// The value, formatted the Swedish way.
    pub value: String,
    /// Where an input was read, e.g. `Parties!C7`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub source: Option<SourceRef>,
}

impl Step {
    /// An input value and where it was read.
    pub fn input(label: impl Into<String>, value: String, source: Option<&SourceRef>) -> Step {
        Step {
            label: label.into(),
            formula: None,
            value,
            source: source.cloned(),
        }
    }

    /// A computed value and how it was computed.
    pub fn computed(label: impl Into<String>, formula: String, value: String) -> Step {
        Step {
            label: label.into(),
            formula: Some(formula),
            value,
            source: None,
        }
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "pool {}, party {}: {}",
            self.pool,
            self.party,
            self.amount.to_swedish()
        )?;
        for step in &self.steps {
            write!(f, "  {}: ", step.label)?;
            if let Some(formula) = &step.formula {
                write!(f, "{formula} = ")?;
            }
            f.write_str(&step.value)?;
            if let Some(source) = &step.source {
                write!(f, " ({source})")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// A decimal the Swedish way, with at most `dp` decimals and no trailing zeros: `1 234,5678`.
pub fn swedish_decimal(value: Decimal, dp: u32) -> String {
    let v = value.round_dp(dp).normalize();
    let text = v.abs().to_string();
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if v.is_sign_negative() && !v.is_zero() {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{}", group_thousands(whole))
    } else {
        format!("{sign}{},{frac}", group_thousands(whole))
    }
}

fn ratio(r: &Ratio) -> String {
    swedish_decimal(r.kronor(), 10)
}

impl Allocation {
    /// How `party`'s amount for this pool was derived, or `None` if it neither shares the pool
    /// nor absorbs its excess.
    pub fn explain(&self, party: &PartyId) -> Option<Explanation> {
        let part = self.part(party);
        let absorbs = matches!(&self.absorbed, Some((p, _)) if p == party);
        if part.is_none() && !absorbs {
            return None;
        }
        let mut steps = vec![Step::input(
            format!("pool {} ({})", self.name, self.pool),
            format!("{} {}", self.amount.to_swedish(), self.currency),
            self.source.as_ref(),
        )];
        steps.push(Step::input("key", self.key.to_owned(), None));
        self.explain_outside(&mut steps);
        if let Some(part) = part {
            self.explain_part(part, &mut steps);
        }
        if let Some((_, absorbed)) = self.absorbed.as_ref().filter(|_| absorbs) {
            let capped = self.parts.iter().filter(|p| p.capped_in_round.is_some());
            steps.push(Step::computed(
                "absorbs the excess above the cap",
                format!("{} capped part(s), sum of their excess", capped.count()),
                absorbed.to_swedish(),
            ));
        }
        let amount = self.amount_for(party);
        if let Some(i) = &self.instalment {
            let whole = self.whole_part(party).unwrap_or_default()
                + if absorbs {
                    i.whole_absorbed.unwrap_or_default()
                } else {
                    Money::ZERO
                };
            steps.push(Step::computed(
                format!("instalment {} of {}", i.number, i.of),
                format!(
                    "{} for the whole pool of {} in {} equal instalments, the odd öre to the earliest",
                    whole.to_swedish(),
                    i.whole_amount.to_swedish(),
                    i.of
                ),
                amount.to_swedish(),
            ));
        }
        steps.push(Step::input("amount", amount.to_swedish(), None));
        Some(Explanation {
            pool: self.pool.clone(),
            party: party.clone(),
            amount,
            steps,
        })
    }

    fn explain_outside(&self, steps: &mut Vec<Step>) {
        let Some(o) = &self.outside else { return };
        steps.push(Step::input(
            "users in all organisations",
            group_thousands(&o.total_users.value.to_string()),
            o.total_users.source.as_ref(),
        ));
        steps.push(Step::input(
            "users of the parties",
            group_thousands(&o.parties_users.to_string()),
            None,
        ));
        let per_user = self.amount.to_decimal() / Decimal::from(o.total_users.value.max(1));
        steps.push(Step::computed(
            "cost per user",
            format!(
                "{} / {}",
                self.amount.to_swedish(),
                group_thousands(&o.total_users.value.to_string())
            ),
            swedish_decimal(per_user, 10),
        ));
        steps.push(Step::computed(
            "the parties' exact share together",
            format!(
                "{} × {} / {}",
                self.amount.to_swedish(),
                o.parties_users,
                o.total_users.value
            ),
            ratio(&o.parties_exact),
        ));
        steps.push(Step::computed(
            "the parties together pay, to öre",
            "one largest-remainder split among the parties and the users outside".to_owned(),
            o.parties_amount.to_swedish(),
        ));
        steps.push(Step::input(
            "borne outside the agreement",
            o.amount.to_swedish(),
            None,
        ));
    }

    fn explain_part(&self, part: &Part, steps: &mut Vec<Step>) {
        let basis = swedish_decimal(part.basis, 10);
        steps.push(Step::input(
            format!("{} of {}", self.figure, part.party),
            basis.clone(),
            part.basis_source.as_ref(),
        ));
        steps.push(Step::input(
            format!("{} of all {} participants", self.figure, self.parts.len()),
            swedish_decimal(self.basis_total, 10),
            None,
        ));
        let (amount, total) = match &self.outside {
            Some(o) => (
                self.amount,
                group_thousands(&o.total_users.value.to_string()),
            ),
            None => (self.split_amount, swedish_decimal(self.basis_total, 10)),
        };
        steps.push(Step::computed(
            "exact share",
            format!("{} × {} / {}", amount.to_swedish(), basis, total),
            ratio(&part.exact_share),
        ));
        if let Some(cap) = &self.cap {
            let origin = match &cap.threshold {
                Some(t) => format!(
                    "LOU direct-award threshold in force from {}",
                    t.in_force_from
                ),
                None => "fixed cap".to_owned(),
            };
            steps.push(Step::computed(
                "cap",
                origin,
                format!("{} (excess: {})", cap.limit.to_swedish(), cap.excess),
            ));
        }
        let redistributed = self
            .cap
            .as_ref()
            .is_some_and(|c| c.excess == ExcessPolicy::Redistribute);
        if redistributed {
            self.explain_rounds(part, steps);
        }
        if part.rounded_by_remainder {
            self.explain_rounding(part, steps);
        }
        if !redistributed && part.capped_in_round.is_some() {
            let whither = match self.cap.as_ref().map(|c| &c.excess) {
                Some(ExcessPolicy::Absorb(p)) => format!("paid by {p}"),
                _ => "left uncovered".to_owned(),
            };
            steps.push(Step::computed(
                format!("above the cap: cut to the cap, the excess {whither}"),
                format!(
                    "{} − {}",
                    part.rounded.to_swedish(),
                    part.amount.to_swedish()
                ),
                ratio(&part.excess),
            ));
        }
    }

    fn explain_rounds(&self, part: &Part, steps: &mut Vec<Step>) {
        for round in &self.rounds {
            let here = round.capped.contains(&part.party);
            let label = format!(
                "round {}: {} shared by {} of basis {}",
                round.number,
                round.amount.to_swedish(),
                self.figure,
                swedish_decimal(round.basis_total, 10)
            );
            let value = if here {
                format!(
                    "{} of {} capped here, {} among them, {} above the cap and redistributed",
                    round.capped.len(),
                    self.parts.len(),
                    part.party,
                    ratio(&part.excess)
                )
            } else {
                format!("{} part(s) capped", round.capped.len())
            };
            steps.push(Step::input(label, value, None));
            if here {
                return;
            }
        }
        if !self.rounds.is_empty() {
            let uncapped = self.parts.iter().filter(|p| p.capped_in_round.is_none());
            let basis: Decimal = uncapped.clone().map(|p| p.basis).sum();
            steps.push(Step::computed(
                "share of what is left after the capped parties",
                format!(
                    "{} × {} / {}",
                    uncapped.map(|p| p.rounded).sum::<Money>().to_swedish(),
                    swedish_decimal(part.basis, 10),
                    swedish_decimal(basis, 10)
                ),
                ratio(&part.final_share),
            ));
        }
    }

    fn explain_rounding(&self, part: &Part, steps: &mut Vec<Step>) {
        // The users outside, when they took part, are one more claimant in the ranking.
        let splitters = self.parts.iter().filter(|p| p.rounded_by_remainder).count()
            + usize::from(self.outside_in_split().is_some());
        steps.push(Step::computed(
            "truncated to öre",
            format!("{} kr", ratio(&part.final_share)),
            part.truncated.to_swedish(),
        ));
        let rank = self.remainder_rank(part).unwrap_or_default();
        let remainder = part.final_share.minus(part.truncated);
        let verdict = if part.extra_ore {
            "one öre added".to_owned()
        } else {
            "no öre added".to_owned()
        };
        let rule = if self.leftover_ore == 0 {
            "the truncated shares add up to the amount: no öre left over".to_owned()
        } else {
            format!(
                "remainder {} öre ranks {rank} of {splitters}; the {} öre left over go to ranks 1–{}",
                swedish_decimal(remainder.ore().abs(), 6),
                self.leftover_ore,
                self.leftover_ore
            )
        };
        steps.push(Step::computed("remainder rule", rule, verdict));
        steps.push(Step::input(
            "rounded share",
            part.rounded.to_swedish(),
            None,
        ));
    }
}

impl Ratio {
    /// This value less a whole amount.
    pub fn minus(&self, amount: Money) -> Ratio {
        Ratio::new(
            self.numerator() - amount.ore() * self.denominator(),
            self.denominator(),
        )
    }
}
