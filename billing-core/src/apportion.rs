//! The largest-remainder split (Hamilton's method) of an amount to the öre.
//!
//! Each claimant's exact share `total · w_i / Σw` is truncated to öre; the öre left over go one
//! each to the largest truncated remainders, ties to the claimant whose key sorts first. The
//! arithmetic is done in integers (öre × scaled weights), so remainders are compared exactly and
//! the parts always add up to the total. A negative total (a credit) is split as its absolute
//! value and negated, so a credit mirrors the charge it reverses öre for öre.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use crate::money::{decimal_to_i128_at_scale, ratio_to_decimal, Money};

/// Why an amount could not be split.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApportionError {
    /// There is nobody to split among.
    #[error("nobody to split among")]
    Empty,
    /// A weight is zero or negative.
    #[error("claim {index}: weight must be above 0, found {weight}")]
    NonPositiveWeight {
        /// Position of the claim in the input.
        index: usize,
        /// The weight found.
        weight: Decimal,
    },
    /// Two claims have the same key, so a tie between them could not be broken.
    #[error("claims {first} and {second} have the same key")]
    DuplicateKey {
        /// Position of the first of the two.
        first: usize,
        /// Position of the second.
        second: usize,
    },
    /// The amount times a weight does not fit 128 bits.
    #[error("amount {total} and weights too large to split exactly")]
    TooLarge {
        /// The amount being split.
        total: Money,
    },
}

/// One claimant's part of a split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Portion {
    amount: Money,
    truncated: Money,
    remainder: i128,
    extra_ore: bool,
}

impl Portion {
    /// The part, to the öre.
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// The exact share truncated to öre (toward zero).
    pub fn truncated(&self) -> Money {
        self.truncated
    }

    /// Whether this part got one of the öre left over after truncation.
    pub fn extra_ore(&self) -> bool {
        self.extra_ore
    }
}

/// The result of [`apportion`]: one [`Portion`] per claim, in the input order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Apportionment {
    total: Money,
    weight_total: i128,
    portions: Vec<Portion>,
    leftover_ore: usize,
}

impl Apportionment {
    /// The amount that was split.
    pub fn total(&self) -> Money {
        self.total
    }

    /// The parts, in the order of the claims.
    pub fn portions(&self) -> &[Portion] {
        &self.portions
    }

    /// How many öre were left after truncation and handed out by remainder.
    pub fn leftover_ore(&self) -> usize {
        self.leftover_ore
    }

    /// The exact share of claim `index` as a signed fraction `num / den` of öre.
    pub(crate) fn share_ratio(&self, index: usize) -> (i128, i128) {
        let p = &self.portions[index];
        // |truncated| · W + r is |total| · w_i, which was computed without overflow.
        let num = p.truncated.ore().abs() * self.weight_total + p.remainder;
        let sign = if self.total.is_negative() { -1 } else { 1 };
        (sign * num, self.weight_total)
    }

    /// The exact (unrounded) share of claim `index`, in currency units, to 28 significant digits.
    pub fn exact_share(&self, index: usize) -> Option<Decimal> {
        let p = self.portions.get(index)?;
        let ore = ratio_to_decimal(p.remainder, self.weight_total)?
            .checked_add(p.truncated.to_decimal() * Decimal::ONE_HUNDRED)?;
        let share = ore / Decimal::ONE_HUNDRED;
        Some(if self.total.is_negative() {
            -share
        } else {
            share
        })
    }

    /// The remainder of claim `index` after truncation, as a fraction of one öre (0 ≤ r < 1).
    pub fn remainder_ore(&self, index: usize) -> Option<Decimal> {
        ratio_to_decimal(self.portions.get(index)?.remainder, self.weight_total)
    }

    /// The rank (1 = largest) of claim `index`'s remainder among all claims, ties ranked by key.
    ///
    /// Computed on demand, in O(n), so that the split itself never sorts every claim.
    pub fn remainder_rank<K: Ord>(&self, claims: &[(K, Decimal)], index: usize) -> Option<usize> {
        let me = self.portions.get(index)?;
        let key = &claims.get(index)?.0;
        let before = self
            .portions
            .iter()
            .zip(claims)
            .filter(|(p, (k, _))| {
                compare_remainders(p.remainder, k, me.remainder, key) == Ordering::Less
            })
            .count();
        Some(before + 1)
    }
}

/// Splits `total` among `claims` (key, weight) by the largest-remainder method.
///
/// The keys break ties between equal remainders (the key that sorts first gets the öre) and must
/// be distinct. The result does not depend on the order of `claims`: permuting them permutes the
/// portions the same way.
///
/// # Errors
/// [`ApportionError::Empty`] with no claims, [`ApportionError::NonPositiveWeight`] for a weight
/// of zero or less, [`ApportionError::DuplicateKey`] when two keys are equal, and
/// [`ApportionError::TooLarge`] when the exact arithmetic would overflow 128 bits.
pub fn apportion<K: Ord>(
    total: Money,
    claims: &[(K, Decimal)],
) -> Result<Apportionment, ApportionError> {
    if let Some((first, second)) = first_duplicate(claims) {
        return Err(ApportionError::DuplicateKey { first, second });
    }
    apportion_distinct(total, claims)
}

/// [`apportion`] for callers that already know the keys are distinct.
pub(crate) fn apportion_distinct<K: Ord>(
    total: Money,
    claims: &[(K, Decimal)],
) -> Result<Apportionment, ApportionError> {
    if claims.is_empty() {
        return Err(ApportionError::Empty);
    }
    let too_large = ApportionError::TooLarge { total };
    let weights = integer_weights(claims)?.ok_or(too_large.clone())?;
    let weight_total = weights
        .iter()
        .try_fold(0i128, |acc, w| acc.checked_add(*w))
        .ok_or(too_large.clone())?;

    let amount = total.ore().checked_abs().ok_or(too_large.clone())?;
    let sign = if total.is_negative() { -1 } else { 1 };
    let mut portions = Vec::with_capacity(claims.len());
    let mut handed_out = 0i128;
    for &w in &weights {
        let product = amount.checked_mul(w).ok_or(too_large.clone())?;
        let (quotient, remainder) = div_rem(product, weight_total);
        handed_out += quotient;
        portions.push(Portion {
            amount: Money::from_ore(sign * quotient),
            truncated: Money::from_ore(sign * quotient),
            remainder,
            extra_ore: false,
        });
    }

    // Fewer than one öre per claim is left, because each remainder is below one öre.
    let leftover = usize::try_from(amount - handed_out).unwrap_or(0);
    if leftover > 0 {
        let mut candidates: Vec<usize> = (0..claims.len())
            .filter(|&i| portions[i].remainder > 0)
            .collect();
        let by_rank = |a: &usize, b: &usize| {
            compare_remainders(
                portions[*a].remainder,
                &claims[*a].0,
                portions[*b].remainder,
                &claims[*b].0,
            )
        };
        if leftover < candidates.len() {
            candidates.select_nth_unstable_by(leftover - 1, by_rank);
        }
        for &i in candidates.iter().take(leftover) {
            portions[i].extra_ore = true;
            portions[i].amount += Money::from_ore(sign);
        }
    }

    Ok(Apportionment {
        total,
        weight_total,
        portions,
        leftover_ore: leftover,
    })
}

/// Orders by remainder, largest first, then by key, smallest first: the order in which the
/// leftover öre are handed out.
fn compare_remainders<K: Ord>(ra: i128, ka: &K, rb: i128, kb: &K) -> Ordering {
    rb.cmp(&ra).then_with(|| ka.cmp(kb))
}

/// The weights as integers at one common scale, or `None` if they do not fit 128 bits.
pub(crate) fn integer_weights<K>(
    claims: &[(K, Decimal)],
) -> Result<Option<Vec<i128>>, ApportionError> {
    let mut scale = 0;
    for (index, (_, weight)) in claims.iter().enumerate() {
        if weight.is_sign_negative() || weight.is_zero() {
            return Err(ApportionError::NonPositiveWeight {
                index,
                weight: *weight,
            });
        }
        scale = scale.max(weight.scale());
    }
    let at = |scale, normal: bool| -> Option<Vec<i128>> {
        claims
            .iter()
            .map(|(_, w)| {
                let w = if normal { w.normalize() } else { *w };
                decimal_to_i128_at_scale(w, scale)
            })
            .collect()
    };
    if scale == 0 {
        return Ok(at(0, false));
    }
    // Trailing zeros (`1.500`) only make the integers larger: drop them when they are in the way.
    Ok(at(scale, false).or_else(|| {
        let scale = claims.iter().map(|(_, w)| w.normalize().scale()).max()?;
        at(scale, true)
    }))
}

/// `a / b` and `a % b` for non-negative operands, in 64-bit arithmetic when both fit: a 128-bit
/// division is several times slower and the usual split (öre × population) fits 64 bits.
fn div_rem(a: i128, b: i128) -> (i128, i128) {
    match (u64::try_from(a), u64::try_from(b)) {
        (Ok(a), Ok(b)) => (i128::from(a / b), i128::from(a % b)),
        _ => (a / b, a % b),
    }
}

fn first_duplicate<K: Ord>(claims: &[(K, Decimal)]) -> Option<(usize, usize)> {
    let mut order: Vec<usize> = (0..claims.len()).collect();
    order.sort_unstable_by(|a, b| claims[*a].0.cmp(&claims[*b].0).then(a.cmp(b)));
    order
        .windows(2)
        .find(|w| claims[w[0]].0 == claims[w[1]].0)
        .map(|w| (w[0], w[1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn check(total: &str, claims: &[(&str, Decimal)], expected: &[&str]) {
        let total: Money = total.parse().unwrap();
        let result = apportion(total, claims).unwrap();
        let got: Vec<String> = result
            .portions()
            .iter()
            .map(|p| p.amount().to_string())
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn hundred_kronor_among_three_equal() {
        // docs/rules.md, money and rounding: 33.34, 33.33, 33.33.
        let equal = [("a", dec!(1)), ("b", dec!(1)), ("c", dec!(1))];
        check("100.00", &equal, &["33.34", "33.33", "33.33"]);
    }

    #[test]
    fn ikomet_fee_among_three_members() {
        // docs/rules.md: 5,000.00 among 3 gives 1,666.67, 1,666.67, 1,666.66.
        let equal = [("m1", dec!(1)), ("m2", dec!(1)), ("m3", dec!(1))];
        check("5000.00", &equal, &["1666.67", "1666.67", "1666.66"]);
    }

    #[test]
    fn ties_go_to_the_key_that_sorts_first_whatever_the_input_order() {
        let equal = [("c", dec!(1)), ("a", dec!(1)), ("b", dec!(1))];
        check("100.00", &equal, &["33.33", "33.34", "33.33"]);
        check("0.02", &equal, &["0.00", "0.01", "0.01"]);
    }

    #[test]
    fn credits_mirror_charges() {
        let equal = [("a", dec!(1)), ("b", dec!(1)), ("c", dec!(1))];
        check("-100.00", &equal, &["-33.34", "-33.33", "-33.33"]);
    }

    #[test]
    fn largest_remainder_wins_over_key() {
        // 1.00 by 1:2 → exact 0.3333.., 0.6666..: the larger remainder belongs to "b".
        check("1.00", &[("a", dec!(1)), ("b", dec!(2))], &["0.33", "0.67"]);
    }

    #[test]
    fn fractional_weights_are_exact() {
        check(
            "10.00",
            &[("a", dec!(0.1)), ("b", dec!(0.25)), ("c", dec!(0.65))],
            &["1.00", "2.50", "6.50"],
        );
    }

    #[test]
    fn exact_share_remainder_and_rank_are_reported() {
        let claims = [("a", dec!(1)), ("b", dec!(1)), ("c", dec!(1))];
        let result = apportion(Money::from_ore(10000), &claims).unwrap();
        assert_eq!(result.leftover_ore(), 1);
        assert_eq!(result.exact_share(0).unwrap().round_dp(6), dec!(33.333333));
        assert_eq!(result.remainder_ore(2).unwrap().round_dp(4), dec!(0.3333));
        assert_eq!(result.remainder_rank(&claims, 0), Some(1));
        assert_eq!(result.remainder_rank(&claims, 2), Some(3));
    }

    #[test]
    fn bad_claims_are_errors() {
        assert_eq!(
            apportion::<&str>(Money::from_ore(1), &[]),
            Err(ApportionError::Empty)
        );
        assert_eq!(
            apportion(Money::from_ore(1), &[("a", dec!(1)), ("b", dec!(0))]),
            Err(ApportionError::NonPositiveWeight {
                index: 1,
                weight: dec!(0)
            })
        );
        assert_eq!(
            apportion(Money::from_ore(1), &[("a", dec!(1)), ("a", dec!(2))]),
            Err(ApportionError::DuplicateKey {
                first: 0,
                second: 1
            })
        );
        let huge = Decimal::MAX;
        assert!(matches!(
            apportion(
                Money::from_kronor(1_000_000),
                &[("a", huge), ("b", dec!(0.0000001))]
            ),
            Err(ApportionError::TooLarge { .. })
        ));
    }
}
