//! How an invoice line's amount is counted: a quantity of a [`Unit`] times a unit price, or one
//! lump sum and why ([`LineQuantity`]). The rules that make lines (R6, R7, R10–R12) and invoice
//! assembly (R15) all use it; it imports nothing but [`Money`], so none of them import each
//! other for it.

use rust_decimal::Decimal;

use crate::money::Money;

/// The unit a line's quantity is counted in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Unit {
    /// One piece, a share or a lump sum.
    Piece,
    /// A user for a charge period.
    User,
    /// A month.
    Month,
    /// A day.
    Day,
    /// A transaction of the named kind (e.g. `login`, `signature`, `sms`).
    Transaction(String),
}

/// A pool share in figures, for saying it in words ("your share 3.52 % of 285 000,00 kr by
/// population").
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PoolShare {
    /// The party's figure for the key (its population, users, weight…).
    pub basis: Decimal,
    /// The figures of all parties of the split added up.
    pub basis_total: Decimal,
    /// The amount split among the parties.
    pub pool_amount: Money,
    /// The key, e.g. `population`, `users`, `equal`, `weight`, `fixed`, `direct`.
    pub key: &'static str,
}

impl PoolShare {
    /// The share in percent, exact (`basis / basis_total × 100`), or `None` for an empty basis.
    pub fn percent(&self) -> Option<Decimal> {
        if self.basis_total.is_zero() {
            return None;
        }
        self.basis
            .checked_mul(Decimal::ONE_HUNDRED)?
            .checked_div(self.basis_total)
    }
}

/// Why a line is one lump sum rather than a quantity times a unit price.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum LumpReason {
    /// Billed for part of the period only: `days` of the period's `of` days.
    ProRata {
        /// The days billed (weighted days, for a first-year multiplier, are counted whole).
        days: i64,
        /// The days of the period.
        of: i64,
    },
    /// A correction of what was billed before (R7).
    Correction,
    /// A share of a pool (its figures are in [`LineQuantity::share`]).
    Share,
    /// An amount given as it is (a provider's cost, an öresavrundning).
    Amount,
}

/// How a line's amount is counted: `quantity × unit_price` is the amount to the öre, or the
/// quantity is 1, the unit price the amount and `lump` says why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct LineQuantity {
    /// How many units.
    pub quantity: Decimal,
    /// The unit.
    pub unit: Unit,
    /// The price of one unit, exact.
    pub unit_price: Decimal,
    /// For a pool share: its figures.
    pub share: Option<PoolShare>,
    /// Why the line is one lump sum, when it is.
    pub lump: Option<LumpReason>,
}

impl LineQuantity {
    /// `quantity × unit_price` in `unit` when that product rounds (half away from zero) to
    /// `amount` to the öre; otherwise 1 piece × `amount`, with `otherwise` as the reason.
    pub fn counted(
        quantity: Decimal,
        unit: Unit,
        unit_price: Decimal,
        amount: Money,
        otherwise: LumpReason,
    ) -> LineQuantity {
        let product = quantity.checked_mul(unit_price).map(|p| {
            p.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        });
        if product == Some(amount.to_decimal()) {
            LineQuantity {
                quantity,
                unit,
                unit_price,
                share: None,
                lump: None,
            }
        } else {
            LineQuantity::lump(amount, otherwise)
        }
    }

    /// 1 piece × `amount`, for `reason`.
    pub fn lump(amount: Money, reason: LumpReason) -> LineQuantity {
        LineQuantity {
            quantity: Decimal::ONE,
            unit: Unit::Piece,
            unit_price: amount.to_decimal(),
            share: None,
            lump: Some(reason),
        }
    }

    /// 1 share × `amount`, with the share's figures.
    pub fn share(amount: Money, share: PoolShare) -> LineQuantity {
        LineQuantity {
            share: Some(share),
            ..LineQuantity::lump(amount, LumpReason::Share)
        }
    }
}
