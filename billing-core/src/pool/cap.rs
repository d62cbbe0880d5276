//! R2 Procurement cap: no party pays more than the cap for a pool in a year (a fixed amount or the
//! LOU direct-award threshold of [`crate::thresholds`]); the excess is absorbed by one party,
//! redistributed among the others by water-filling, or left uncovered (docs/rules.md, section "R2
//! Procurement cap").

use crate::agreement::Agreement;
use crate::apportion::{apportion_distinct, integer_weights, ApportionError};
use crate::error::SplitError;
use crate::money::Money;
use crate::pool::*;
use crate::thresholds::ThresholdTable;
use rust_decimal::Decimal;
use std::cmp::Reverse;

pub(super) fn applied_cap(
    agreement: &Agreement,
    pool: &Pool,
    thresholds: &ThresholdTable,
    problems: &mut Vec<SplitError>,
) -> Option<AppliedCap> {
    let cap = pool.cap.as_ref()?;
    if let ExcessPolicy::Absorb(party) = &cap.excess {
        if !agreement.contains(party) {
            problems.push(SplitError::UnknownParty {
                pool: pool.id.clone(),
                party: party.clone(),
                role: "absorbing party",
            });
        }
    }
    let (limit, threshold) = match &cap.limit {
        CapLimit::Fixed(limit) => (*limit, None),
        CapLimit::Lou => {
            let Some(year) = pool.year else {
                problems.push(SplitError::CapWithoutYear {
                    pool: pool.id.clone(),
                });
                return None;
            };
            let Some(threshold) = thresholds.for_year(year) else {
                problems.push(SplitError::NoThreshold {
                    pool: pool.id.clone(),
                    year,
                });
                return None;
            };
            (threshold.amount, Some(threshold))
        }
    };
    if !limit.is_positive() {
        problems.push(SplitError::NonPositiveCap {
            pool: pool.id.clone(),
            cap: limit,
        });
        return None;
    }
    Some(AppliedCap {
        limit,
        threshold,
        excess: cap.excess.clone(),
    })
}

/// Cuts every part above the cap down to it; the excess goes to the absorbing party or is left
/// uncovered.
pub(super) fn clip(allocation: &mut Allocation, cap: &AppliedCap) {
    let mut excess_total = Money::ZERO;
    for part in &mut allocation.parts {
        if part.rounded.abs() > cap.limit {
            let limit = Money::from_ore(sign(part.rounded) * cap.limit.ore());
            let excess = part.rounded - limit;
            part.excess = Ratio::whole(excess);
            part.amount = limit;
            part.capped_in_round = Some(1);
            excess_total += excess;
        }
    }
    match &cap.excess {
        ExcessPolicy::Absorb(party) => {
            allocation.absorbed = Some((party.clone(), excess_total));
        }
        _ => allocation.uncovered = excess_total,
    }
}

/// `redistribute`: water-filling in exact integers. In each round every party whose share of
/// what is left goes over the cap is fixed at the cap; the rest is shared again among the others,
/// until nobody goes over. Then what is left is split to öre among the uncapped by largest
/// remainder: as each uncapped exact share is at most the cap, no rounded part exceeds it.
pub(super) fn water_fill(
    allocation: &mut Allocation,
    claims: &[Claim],
    limit: Money,
) -> Result<(), ApportionError> {
    let amount = allocation.split_amount;
    let too_large = ApportionError::TooLarge { total: amount };
    let keyed: Vec<(usize, Decimal)> = claims
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.weight))
        .collect();
    let weights = integer_weights(&keyed)?.ok_or(too_large.clone())?;
    let weight_total = weights
        .iter()
        .try_fold(0i128, |acc, w| acc.checked_add(*w))
        .ok_or(too_large.clone())?;
    let s = sign(amount);
    let cap = limit.ore();

    // The parties still under the cap, in id order. A round scans them all; rounds are few in
    // practice, and should an input need many, the rest are sorted by weight once so that each
    // further round takes a prefix: never worse than O(n log n) overall.
    let mut uncapped: Vec<usize> = (0..claims.len()).collect();
    let mut by_weight = false;
    let mut remaining = amount.ore().abs();
    let mut weight_left = weight_total;
    let mut basis_left = allocation.basis_total;
    let mut round_of: Vec<Option<(u32, Ratio)>> = vec![None; claims.len()];
    let mut rounds = Vec::new();
    loop {
        let at_cap = cap.checked_mul(weight_left).ok_or(too_large.clone())?;
        let over = |i: usize| {
            remaining
                .checked_mul(weights[i])
                .map(|share| share > at_cap)
                .ok_or(too_large.clone())
        };
        let mut newly = Vec::new();
        if by_weight {
            let mut k = 0;
            while k < uncapped.len() && over(uncapped[k])? {
                k += 1;
            }
            newly.extend(uncapped.drain(..k));
            newly.sort_unstable();
        } else {
            let mut keep = Vec::with_capacity(uncapped.len());
            for &i in &uncapped {
                if over(i)? {
                    newly.push(i);
                } else {
                    keep.push(i);
                }
            }
            uncapped = keep;
        }
        if newly.is_empty() {
            break;
        }
        let number = u32::try_from(rounds.len() + 1).unwrap_or(u32::MAX);
        rounds.push(Round {
            number,
            amount: Money::from_ore(s * remaining),
            basis_total: basis_left,
            capped: newly.iter().map(|&i| claims[i].party.clone()).collect(),
        });
        let (round_amount, round_weight) = (remaining, weight_left);
        for &i in &newly {
            // Exact excess in this round: amount · w / W − cap, over the common denominator W.
            let excess = Ratio {
                num: s * (round_amount * weights[i] - cap * round_weight),
                den: round_weight,
            };
            round_of[i] = Some((number, excess));
            remaining -= cap;
            weight_left -= weights[i];
            basis_left -= claims[i].weight;
        }
        if !by_weight && rounds.len() >= 8 {
            uncapped.sort_unstable_by_key(|&i| (Reverse(weights[i]), i));
            by_weight = true;
        }
    }

    // What is left is split among the uncapped, still in id order.
    let keyed: Vec<(usize, Decimal)> = (0..claims.len())
        .filter(|&i| round_of[i].is_none())
        .map(|i| (i, claims[i].weight))
        .collect();
    let rest = Money::from_ore(s * remaining);
    let result = if keyed.is_empty() {
        allocation.uncovered = rest;
        None
    } else {
        let result = apportion_distinct(rest, &keyed)?;
        allocation.leftover_ore = result.leftover_ore();
        Some(result)
    };

    let mut parts = Vec::with_capacity(claims.len());
    let mut next = 0;
    for (i, claim) in claims.iter().enumerate() {
        let first = Ratio {
            num: s * amount
                .ore()
                .abs()
                .checked_mul(weights[i])
                .ok_or(too_large.clone())?,
            den: weight_total,
        };
        let part = match (round_of[i], &result) {
            (None, Some(result)) => {
                next += 1;
                Part {
                    exact_share: first,
                    ..rounded_part(claim, result, next - 1)
                }
            }
            (None, None) => continue,
            (Some((round, excess)), _) => {
                let at_cap = Money::from_ore(s * cap);
                Part {
                    party: claim.party.clone(),
                    basis: claim.weight,
                    basis_source: claim.source.cloned(),
                    exact_share: first,
                    final_share: Ratio::whole(at_cap),
                    truncated: at_cap,
                    rounded_by_remainder: false,
                    extra_ore: false,
                    rounded: at_cap,
                    capped_in_round: Some(round),
                    excess,
                    amount: at_cap,
                }
            }
        };
        parts.push(part);
    }
    allocation.parts = parts;
    allocation.rounds = rounds;
    Ok(())
}
