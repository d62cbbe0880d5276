//! The split of one pool: each party's figure for the key, one largest-remainder split to the
//! öre, then the cap. It applies the rules of [`super::population`] (R1), [`super::users`] (R3),
//! [`super::subset`] (R14) and [`super::cap`] (R2), and checks a fixed key's amounts (R12).

use crate::agreement::{Agreement, SourceRef};
use crate::apportion::{apportion_distinct, ApportionError};
use crate::error::{Finding, SplitError};
use crate::money::Money;
use crate::pool::cap::{applied_cap, clip, water_fill};
use crate::pool::population::{population_claim, population_dates};
use crate::pool::subset::participants;
use crate::pool::users::outside_users;
use crate::pool::*;
use crate::problems::Problems;
use crate::thresholds::ThresholdTable;
use rust_decimal::Decimal;

/// Splits `pool` among the parties of `agreement` by its key, subset and cap.
///
/// Returns the allocation and the findings that do not stop it. The result satisfies, exactly:
/// parts + absorbed + uncovered + borne outside = the pool's amount; and after rounding no party
/// is above its cap.
///
/// # Errors
/// Every problem with the pool at once ([`Problems`]): unknown or repeated participants, an empty
/// participant set, missing or non-positive figures, a cap of zero or below, a `lou` cap without
/// a year or threshold, an unknown absorbing party, fixed amounts that do not add up, a users
/// total below the parties' users, or amounts too large for exact arithmetic.
pub fn allocate(
    agreement: &Agreement,
    pool: &Pool,
    thresholds: &ThresholdTable,
) -> Result<(Allocation, Vec<Finding>), Problems<SplitError>> {
    let mut problems = Vec::new();
    let members = participants(agreement, pool, &mut problems);
    let claims = claims(agreement, pool, &members, &mut problems);
    let cap = applied_cap(agreement, pool, thresholds, &mut problems);
    let users = outside_users(pool, &claims, &mut problems);
    let basis_total = basis_total(&claims);
    if basis_total.is_none() && problems.is_empty() {
        problems.push(SplitError::TooLarge {
            pool: pool.id.clone(),
            amount: pool.amount,
        });
    }
    if !problems.is_empty() {
        return Err(Problems::new(problems));
    }
    let mut findings = population_dates(agreement, pool, &members);
    let too_large = |_| SplitError::TooLarge {
        pool: pool.id.clone(),
        amount: pool.amount,
    };

    // One largest-remainder split over the parties, and under a users key with a total, the
    // users outside them as one more claimant (sorting after every party in a tie): each party
    // pays A · users / all users to within an öre (R3).
    let outside_weight = users
        .as_ref()
        .filter(|u| u.outside > 0)
        .map(|u| Decimal::from(u.outside));
    let redistribute = matches!(&cap, Some(c) if c.excess == ExcessPolicy::Redistribute);
    let first = if !redistribute || outside_weight.is_some() {
        Some(rounded_parts(&claims, pool.amount, outside_weight).map_err(too_large)?)
    } else {
        None
    };
    let (outside_amount, outside_exact) = first
        .as_ref()
        .and_then(|f| f.2)
        .unwrap_or((Money::ZERO, Ratio::ZERO));
    let outside = users.map(|u| Outside {
        exact: outside_exact,
        parties_exact: Ratio {
            num: pool.amount.ore() * i128::from(u.parties),
            den: i128::from(u.total.value.max(1)),
        },
        total_users: u.total,
        parties_users: u.parties,
        parties_amount: pool.amount - outside_amount,
        amount: outside_amount,
    });
    let split_amount = pool.amount - outside_amount;
    let mut allocation = Allocation {
        pool: pool.id.clone(),
        name: pool.name.clone(),
        amount: pool.amount,
        currency: pool.currency,
        key: pool.key.name(),
        figure: pool.key.figure(),
        basis_total: basis_total.unwrap_or_default(),
        split_amount,
        outside,
        cap: cap.clone(),
        rounds: Vec::new(),
        leftover_ore: 0,
        parts: Vec::with_capacity(claims.len()),
        absorbed: None,
        uncovered: Money::ZERO,
        source: pool.source.clone(),
        instalment: None,
        ranks: Default::default(),
    };

    match (&cap, first) {
        (Some(cap), _) if redistribute => {
            water_fill(&mut allocation, &claims, cap.limit).map_err(too_large)?;
        }
        (cap, Some((parts, leftover, _))) => {
            allocation.parts = parts;
            allocation.leftover_ore = leftover;
            if let Some(cap) = cap {
                clip(&mut allocation, cap);
            }
        }
        (_, None) => {}
    }

    if let Some(o) = &allocation.outside {
        if !o.amount.is_zero() {
            findings.push(Finding::BorneOutside {
                pool: pool.id.clone(),
                amount: o.amount,
            });
        }
    }
    if !allocation.uncovered.is_zero() {
        findings.push(Finding::Uncovered {
            pool: pool.id.clone(),
            amount: allocation.uncovered,
        });
    }
    Ok((allocation, findings))
}

/// Allocates every pool, collecting the problems of all of them.
///
/// # Errors
/// The problems of every pool that could not be allocated, all together.
pub fn allocate_all(
    agreement: &Agreement,
    pools: &[Pool],
    thresholds: &ThresholdTable,
) -> Result<(Vec<Allocation>, Vec<Finding>), Problems<SplitError>> {
    let mut allocations = Vec::with_capacity(pools.len());
    let mut findings = Vec::new();
    let mut problems = Vec::new();
    for pool in pools {
        match allocate(agreement, pool, thresholds) {
            Ok((a, f)) => {
                allocations.push(a);
                findings.extend(f);
            }
            Err(p) => problems.extend(p.into_vec()),
        }
    }
    if problems.is_empty() {
        Ok((allocations, findings))
    } else {
        Err(Problems::new(problems))
    }
}

/// The claims' weights added up, in integers at their common scale when they fit (the usual
/// case, and much cheaper than adding decimals one by one); `None` when the sum does not fit a
/// decimal.
fn basis_total(claims: &[Claim]) -> Option<Decimal> {
    let scale = claims.iter().map(|c| c.weight.scale()).max().unwrap_or(0);
    let exact = claims.iter().try_fold(0i128, |acc, c| {
        crate::money::decimal_to_i128_at_scale(c.weight, scale).and_then(|w| acc.checked_add(w))
    });
    exact
        .and_then(|total| Decimal::try_from_i128_with_scale(total, scale).ok())
        .or_else(|| {
            claims
                .iter()
                .try_fold(Decimal::ZERO, |acc, c| acc.checked_add(c.weight))
        })
}

/// Each participant's figure for the key, checked.
fn claims<'a>(
    agreement: &'a Agreement,
    pool: &'a Pool,
    members: &[usize],
    problems: &mut Vec<SplitError>,
) -> Vec<Claim<'a>> {
    let parties = agreement.parties();
    let figure = pool.key.figure();
    let mut out = Vec::with_capacity(members.len());
    if let Key::Fixed { amounts } = &pool.key {
        for id in amounts.keys() {
            let known = agreement.contains(id);
            let member = agreement
                .place(id)
                .is_some_and(|i| members.binary_search(&i).is_ok());
            if !known {
                problems.push(SplitError::UnknownParty {
                    pool: pool.id.clone(),
                    party: id.clone(),
                    role: "fixed amount",
                });
            } else if !member {
                problems.push(SplitError::FixedAmountForNonParticipant {
                    pool: pool.id.clone(),
                    party: id.clone(),
                });
            }
        }
        let sum: Money = amounts.values().map(|a| a.value).sum();
        if sum != pool.amount {
            problems.push(SplitError::FixedAmountsDoNotAddUp {
                pool: pool.id.clone(),
                sum,
                amount: pool.amount,
            });
        }
    }
    for &i in members {
        let party = &parties[i];
        let missing = || SplitError::MissingFigure {
            pool: pool.id.clone(),
            party: party.id.clone(),
            figure: figure.clone(),
        };
        let found: Option<(Decimal, Option<&SourceRef>)> = match &pool.key {
            Key::Population => {
                match population_claim(pool, party) {
                    Ok(claim) => out.push(claim),
                    Err(problem) => problems.push(problem),
                }
                continue;
            }
            Key::Users { .. } => party
                .users
                .as_ref()
                .map(|u| (Decimal::from(u.value), u.source.as_ref())),
            Key::Equal | Key::Direct { .. } => Some((Decimal::ONE, None)),
            Key::Weight { figure } => party
                .figures
                .get(figure)
                .map(|f| (f.value, f.source.as_ref())),
            Key::Fixed { amounts } => match amounts.get(&party.id) {
                // A credit's fixed amounts are negative: the weight is the amount in the
                // direction of the pool.
                Some(a) => Some((
                    Money::from_ore(sign(pool.amount) * a.value.ore()).to_decimal(),
                    a.source.as_ref(),
                )),
                None => {
                    problems.push(SplitError::MissingFixedAmount {
                        pool: pool.id.clone(),
                        party: party.id.clone(),
                    });
                    continue;
                }
            },
        };
        let Some((weight, source)) = found else {
            problems.push(missing());
            continue;
        };
        if weight.is_sign_negative() || weight.is_zero() {
            problems.push(SplitError::NonPositiveWeight {
                pool: pool.id.clone(),
                party: party.id.clone(),
                figure: figure.clone(),
                value: weight,
                place: source.cloned(),
            });
            continue;
        }
        out.push(Claim {
            party: &party.id,
            weight,
            source,
        });
    }
    out
}

/// The parts of a rounded split, the öre handed out by remainder, and the amount and exact
/// share of the users outside when they took part.
type RoundedSplit = (Vec<Part>, usize, Option<(Money, Ratio)>);

/// Splits `amount` among `claims` by largest remainder, uncapped, with the users outside the
/// parties as one more claimant when `outside` is given. The claims are in id order, so their
/// position breaks ties the way ids do; the outside claimant comes last. Returns the parts, the
/// öre handed out by remainder, and the amount borne outside.
fn rounded_parts(
    claims: &[Claim],
    amount: Money,
    outside: Option<Decimal>,
) -> Result<RoundedSplit, ApportionError> {
    let mut keyed: Vec<(usize, Decimal)> = claims
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.weight))
        .collect();
    if let Some(w) = outside {
        keyed.push((claims.len(), w));
    }
    let result = apportion_distinct(amount, &keyed)?;
    let parts = claims
        .iter()
        .enumerate()
        .map(|(i, claim)| rounded_part(claim, &result, i))
        .collect();
    let outside_share = outside.map(|_| {
        let (num, den) = result.share_ratio(claims.len());
        (result.portions()[claims.len()].amount(), Ratio { num, den })
    });
    Ok((parts, result.leftover_ore(), outside_share))
}
