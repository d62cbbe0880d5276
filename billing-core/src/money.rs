//! Exact money: amounts in öre, currencies, and named rounding policies.
//!
//! An amount is kept as a whole number of öre (hundredths of the currency unit) in an `i128`, so
//! sums and differences are exact and cheap; arbitrary-precision intermediate values are
//! [`Decimal`]s and become [`Money`] only through a [`RoundingPolicy`] that the caller names.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

/// The largest absolute amount accepted from a decimal, in öre: 10^17 öre is 10^15 kronor, far
/// above any public budget, and low enough that sums of millions of amounts stay far from `i128`'s
/// limits.
const MAX_ABS_ORE: i128 = 100_000_000_000_000_000;

/// An exact amount of money, to the öre.
///
/// Two text forms, on purpose: `{}` ([`fmt::Display`]) is the plain form machines read back
/// (`-1234.50`, as in `lines.csv`, JSON and [`std::str::FromStr`]); [`Money::to_swedish`] is the
/// form people read (`-1 234,50`), used by every explanation ([`crate::Explanation`]) and
/// invoice text.
///
/// The currency is not part of the value: one agreement, pool or invoice has one currency, and it
/// is carried there (see [`Currency`]). Keeping it out keeps the arithmetic of a split free of
/// checks that could never fail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money {
    ore: i128,
}

/// Why a decimal could not become [`Money`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// The value has more than two decimals and the caller asked for an exact conversion.
    #[error("amount {value} has more than 2 decimals (öre)")]
    NotWholeOre {
        /// The value found.
        value: Decimal,
    },
    /// The value is beyond what any budget could hold.
    #[error("amount {value} is beyond ±10^15")]
    OutOfRange {
        /// The value found.
        value: Decimal,
    },
    /// Text that is not a decimal number.
    #[error("amount must be a decimal number such as 1234.50, found {text:?}")]
    NotADecimal {
        /// The text found.
        text: String,
    },
    /// A currency code is not three letters A–Z.
    #[error("currency code must be three letters A-Z, found {code:?}")]
    BadCurrency {
        /// The code found.
        code: String,
    },
}

impl Money {
    /// Zero.
    pub const ZERO: Money = Money { ore: 0 };

    /// An amount of `ore` öre. The caller keeps `|ore|` within 10^17 (10^15 kronor), as every
    /// amount read through [`Money::exact`], [`Money::round`] or serde is; beyond that, results
    /// saturate rather than panic. Use [`Money::try_from_ore`] for an amount not yet checked.
    pub const fn from_ore(ore: i128) -> Money {
        Money { ore }
    }

    /// An amount of `ore` öre, checked.
    ///
    /// # Errors
    /// [`MoneyError::OutOfRange`] beyond ±10^17 öre.
    pub fn try_from_ore(ore: i128) -> Result<Money, MoneyError> {
        if ore.unsigned_abs() > MAX_ABS_ORE.unsigned_abs() {
            return Err(MoneyError::OutOfRange {
                value: Decimal::try_from_i128_with_scale(ore, 2).unwrap_or(Decimal::MAX),
            });
        }
        Ok(Money { ore })
    }

    /// An amount of whole kronor.
    pub const fn from_kronor(kronor: i64) -> Money {
        Money {
            ore: kronor as i128 * 100,
        }
    }

    /// The amount in öre.
    pub const fn ore(self) -> i128 {
        self.ore
    }

    /// The amount as a decimal with exactly two decimals.
    pub fn to_decimal(self) -> Decimal {
        // A checked amount is far inside Decimal's 96-bit mantissa; an unchecked one beyond it
        // saturates instead of panicking.
        Decimal::try_from_i128_with_scale(self.ore, 2).unwrap_or(if self.ore < 0 {
            Decimal::MIN
        } else {
            Decimal::MAX
        })
    }

    /// Converts a decimal that is already whole öre, without rounding.
    ///
    /// # Errors
    /// [`MoneyError::NotWholeOre`] when `value` has a non-zero third decimal or beyond, and
    /// [`MoneyError::OutOfRange`] beyond ±10^15.
    pub fn exact(value: Decimal) -> Result<Money, MoneyError> {
        let rounded = value.round_dp_with_strategy(2, RoundingStrategy::ToZero);
        if rounded != value {
            return Err(MoneyError::NotWholeOre { value });
        }
        Self::from_rounded(rounded, value)
    }

    /// Rounds a decimal to money under a named policy.
    ///
    /// # Errors
    /// [`MoneyError::OutOfRange`] beyond ±10^15.
    pub fn round(value: Decimal, policy: RoundingPolicy) -> Result<Money, MoneyError> {
        Self::from_rounded(policy.apply(value), value)
    }

    fn from_rounded(rounded: Decimal, original: Decimal) -> Result<Money, MoneyError> {
        let mut scaled = rounded;
        scaled.rescale(2);
        let ore = scaled.mantissa();
        if scaled.scale() != 2 || ore.abs() > MAX_ABS_ORE {
            return Err(MoneyError::OutOfRange { value: original });
        }
        Ok(Money { ore })
    }

    /// The absolute amount.
    pub const fn abs(self) -> Money {
        Money {
            ore: self.ore.saturating_abs(),
        }
    }

    /// True for amounts below zero.
    pub const fn is_negative(self) -> bool {
        self.ore < 0
    }

    /// True for amounts above zero.
    pub const fn is_positive(self) -> bool {
        self.ore > 0
    }

    /// True for zero.
    pub const fn is_zero(self) -> bool {
        self.ore == 0
    }

    /// Formats the amount the Swedish way: a space between thousands, a comma before the öre,
    /// e.g. `1 234 567,50` and `-0,01`.
    pub fn to_swedish(self) -> String {
        let sign = if self.ore < 0 { "-" } else { "" };
        let abs = self.ore.unsigned_abs();
        let kronor = group_thousands(&(abs / 100).to_string());
        format!("{sign}{kronor},{:02}", abs % 100)
    }
}

/// Puts a space between each group of three digits, counted from the right.
pub(crate) fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Money {
    /// Plain decimal with two decimals and a point, e.g. `-1234.50`: the form machines read.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.ore < 0 { "-" } else { "" };
        let abs = self.ore.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Parses a plain decimal such as `1234.5` or `-0.01` exactly; more than two decimals is an
    /// error, never a silent rounding.
    fn from_str(s: &str) -> Result<Money, MoneyError> {
        let value = Decimal::from_str(s.trim())
            .map_err(|_| MoneyError::NotADecimal { text: s.to_owned() })?;
        Money::exact(value)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money {
            ore: self.ore + rhs.ore,
        }
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.ore += rhs.ore;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money {
            ore: self.ore - rhs.ore,
        }
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.ore -= rhs.ore;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money {
            ore: self.ore.saturating_neg(),
        }
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Money {
    /// Serialized as a decimal string (`"1234.50"`), so no reader turns it into a float.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let text = String::deserialize(deserializer)?;
        let value = Decimal::from_str(&text).map_err(serde::de::Error::custom)?;
        Money::exact(value).map_err(serde::de::Error::custom)
    }
}

/// A currency, by its ISO 4217 code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Swedish kronor, the default.
    pub const SEK: Currency = Currency(*b"SEK");

    /// A currency from its three-letter code.
    ///
    /// # Errors
    /// [`MoneyError::BadCurrency`] unless `code` is three letters A–Z.
    pub fn new(code: &str) -> Result<Currency, MoneyError> {
        match code.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => {
                Ok(Currency([*a, *b, *c]))
            }
            _ => Err(MoneyError::BadCurrency {
                code: code.to_owned(),
            }),
        }
    }

    /// The three-letter code.
    pub fn code(&self) -> &str {
        // Only ASCII capitals are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl Default for Currency {
    fn default() -> Currency {
        Currency::SEK
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Currency, D::Error> {
        let text = String::deserialize(deserializer)?;
        Currency::new(&text).map_err(serde::de::Error::custom)
    }
}

/// The unit a rounding lands on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum RoundingUnit {
    /// Hundredths: invoice lines and every allocated part.
    Ore,
    /// Whole kronor: the payable total when öresavrundning is on.
    Krona,
}

/// Which way a value between two units goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum RoundingMode {
    /// Half away from zero: 0.005 → 0.01, −0.005 → −0.01 (the Swedish commercial rule).
    HalfAwayFromZero,
    /// Half to even (banker's rounding): 0.005 → 0.00, 0.015 → 0.02.
    HalfEven,
    /// Toward zero (truncation): 0.019 → 0.01, −0.019 → −0.01.
    TowardZero,
}

/// A named rounding policy: the unit and the mode, never an implicit default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RoundingPolicy {
    unit: RoundingUnit,
    mode: RoundingMode,
}

impl RoundingPolicy {
    /// To öre, half away from zero: the rule for invoice lines (docs/rules.md, money and rounding).
    pub const ORE_HALF_AWAY_FROM_ZERO: RoundingPolicy = RoundingPolicy {
        unit: RoundingUnit::Ore,
        mode: RoundingMode::HalfAwayFromZero,
    };
    /// To öre, half to even.
    pub const ORE_HALF_EVEN: RoundingPolicy = RoundingPolicy {
        unit: RoundingUnit::Ore,
        mode: RoundingMode::HalfEven,
    };
    /// To öre, toward zero: the truncation step of the largest-remainder split.
    pub const ORE_TOWARD_ZERO: RoundingPolicy = RoundingPolicy {
        unit: RoundingUnit::Ore,
        mode: RoundingMode::TowardZero,
    };
    /// To whole kronor, half away from zero: öresavrundning of a payable total (01–49 öre down,
    /// 50–99 up).
    pub const KRONA_HALF_AWAY_FROM_ZERO: RoundingPolicy = RoundingPolicy {
        unit: RoundingUnit::Krona,
        mode: RoundingMode::HalfAwayFromZero,
    };

    /// A policy from its parts.
    pub const fn new(unit: RoundingUnit, mode: RoundingMode) -> RoundingPolicy {
        RoundingPolicy { unit, mode }
    }

    /// The unit it rounds to.
    pub const fn unit(&self) -> RoundingUnit {
        self.unit
    }

    /// The mode it rounds with.
    pub const fn mode(&self) -> RoundingMode {
        self.mode
    }

    /// Rounds `value` under this policy, keeping it a decimal.
    pub fn apply(&self, value: Decimal) -> Decimal {
        let dp = match self.unit {
            RoundingUnit::Ore => 2,
            RoundingUnit::Krona => 0,
        };
        let strategy = match self.mode {
            RoundingMode::HalfAwayFromZero => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingMode::TowardZero => RoundingStrategy::ToZero,
        };
        value.round_dp_with_strategy(dp, strategy)
    }

    /// Rounds an amount that is already in öre (e.g. a payable total to whole kronor).
    ///
    /// In integers: a payable total is rounded for each party on every date, and through a
    /// decimal that was a tenth of the payables' work at 100,000 parties (issue 12). The same
    /// as [`RoundingPolicy::apply`] to the amount's decimal (a test compares them).
    pub fn round_money(&self, value: Money) -> Money {
        let ore = value.ore;
        if ore.unsigned_abs() > MAX_ABS_ORE.unsigned_abs() {
            return self.round_money_as_decimal(value);
        }
        match self.unit {
            RoundingUnit::Ore => value,
            RoundingUnit::Krona => {
                let (q, r) = (ore / 100, (ore % 100).unsigned_abs());
                let away = ore.signum();
                let q = match self.mode {
                    RoundingMode::HalfAwayFromZero if r >= 50 => q + away,
                    RoundingMode::HalfEven if r > 50 || (r == 50 && q % 2 != 0) => q + away,
                    RoundingMode::TowardZero
                    | RoundingMode::HalfAwayFromZero
                    | RoundingMode::HalfEven => q,
                };
                // Whole kronor up to the largest amount (itself whole kronor) stay in range.
                Money { ore: q * 100 }
            }
        }
    }

    /// [`RoundingPolicy::round_money`] through the amount's decimal.
    fn round_money_as_decimal(&self, value: Money) -> Money {
        // A Money is always within Decimal's range and rounding never leaves it.
        let rounded = self.apply(value.to_decimal());
        Money::exact(rounded).unwrap_or(value)
    }
}

impl Default for RoundingPolicy {
    fn default() -> RoundingPolicy {
        RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO
    }
}

/// A decimal as an `i128` of units of `10^-scale`, if it fits.
pub(crate) fn decimal_to_i128_at_scale(value: Decimal, scale: u32) -> Option<i128> {
    let own = value.scale();
    if own == scale {
        return Some(value.mantissa());
    }
    if own > scale {
        return None;
    }
    10i128
        .checked_pow(scale - own)
        .and_then(|factor| value.mantissa().checked_mul(factor))
}

/// An `i128` fraction `num / den` as a decimal, as exact as 28 significant digits allow; `None`
/// when `den` is zero or a part does not fit a decimal.
pub(crate) fn ratio_to_decimal(num: i128, den: i128) -> Option<Decimal> {
    if den == 0 {
        return None;
    }
    // Divide in integers first so that a large numerator never overflows the decimal.
    let whole = Decimal::try_from_i128_with_scale(num / den, 0).ok()?;
    let rest = Decimal::try_from_i128_with_scale(num % den, 0).ok()?;
    let den = Decimal::try_from_i128_with_scale(den, 0).ok()?;
    whole.checked_add(rest.checked_div(den)?)
}

/// A rounding policy in words, e.g. `to öre, half away from zero`.
pub(crate) fn policy_words(policy: RoundingPolicy) -> crate::text::Text {
    let (unit_sv, unit_en) = match policy.unit() {
        RoundingUnit::Ore => ("till öre", "to öre"),
        RoundingUnit::Krona => ("till hela kronor", "to whole kronor"),
    };
    let (mode_sv, mode_en) = match policy.mode() {
        RoundingMode::HalfAwayFromZero => ("hälften bort från noll", "half away from zero"),
        RoundingMode::HalfEven => ("hälften till jämnt", "half to even"),
        RoundingMode::TowardZero => ("mot noll", "toward zero"),
    };
    crate::text::Text::new(
        format!("{unit_sv}, {mode_sv}"),
        format!("{unit_en}, {mode_en}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// Rounding an amount in integers gives what rounding its decimal gives, under every
    /// policy: around zero, at every öre of a krona, and at the largest amounts.
    #[test]
    fn round_money_in_integers_is_round_money_through_a_decimal() {
        let units = [RoundingUnit::Ore, RoundingUnit::Krona];
        let modes = [
            RoundingMode::HalfAwayFromZero,
            RoundingMode::HalfEven,
            RoundingMode::TowardZero,
        ];
        let mut amounts: Vec<i128> = (-1_000..=1_000).collect();
        for edge in [
            MAX_ABS_ORE,
            MAX_ABS_ORE - 49,
            MAX_ABS_ORE - 50,
            MAX_ABS_ORE - 51,
        ] {
            amounts.extend([edge, -edge]);
        }
        amounts.extend([123_456_789_050, -123_456_789_150, 987_654_321_099]);
        for unit in units {
            for mode in modes {
                let policy = RoundingPolicy::new(unit, mode);
                for &ore in &amounts {
                    let value = Money { ore };
                    assert_eq!(
                        policy.round_money(value),
                        policy.round_money_as_decimal(value),
                        "{ore} öre under {policy:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn half_away_from_zero_is_symmetric() {
        let p = RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO;
        assert_eq!(Money::round(dec!(0.005), p).unwrap(), Money::from_ore(1));
        assert_eq!(Money::round(dec!(-0.005), p).unwrap(), Money::from_ore(-1));
        assert_eq!(Money::round(dec!(0.0049), p).unwrap(), Money::ZERO);
    }

    #[test]
    fn other_modes_round_as_named() {
        let even = RoundingPolicy::ORE_HALF_EVEN;
        assert_eq!(Money::round(dec!(0.005), even).unwrap(), Money::ZERO);
        assert_eq!(Money::round(dec!(0.015), even).unwrap(), Money::from_ore(2));
        let trunc = RoundingPolicy::ORE_TOWARD_ZERO;
        assert_eq!(
            Money::round(dec!(-0.019), trunc).unwrap(),
            Money::from_ore(-1)
        );
        let krona = RoundingPolicy::KRONA_HALF_AWAY_FROM_ZERO;
        assert_eq!(
            krona.round_money(Money::from_ore(12349)),
            Money::from_ore(12300)
        );
        assert_eq!(
            krona.round_money(Money::from_ore(12350)),
            Money::from_ore(12400)
        );
        assert_eq!(
            krona.round_money(Money::from_ore(-12350)),
            Money::from_ore(-12400)
        );
    }

    #[test]
    fn exact_refuses_a_third_decimal() {
        assert_eq!(Money::exact(dec!(1.10)).unwrap(), Money::from_ore(110));
        assert_eq!(Money::exact(dec!(1.1000)).unwrap(), Money::from_ore(110));
        assert_eq!(
            Money::exact(dec!(1.105)),
            Err(MoneyError::NotWholeOre { value: dec!(1.105) })
        );
        assert!(matches!(
            Money::exact(dec!(1e16)),
            Err(MoneyError::OutOfRange { .. })
        ));
    }

    #[test]
    fn formats_plain_and_swedish() {
        let m = Money::from_ore(123_456_750);
        assert_eq!(m.to_string(), "1234567.50");
        assert_eq!(m.to_swedish(), "1 234 567,50");
        assert_eq!(Money::from_ore(-1).to_string(), "-0.01");
        assert_eq!(Money::from_ore(-1).to_swedish(), "-0,01");
        assert_eq!(Money::from_ore(99_900).to_swedish(), "999,00");
        assert_eq!("-12.3".parse::<Money>().unwrap(), Money::from_ore(-1230));
        assert_eq!(
            "abc".parse::<Money>().unwrap_err().to_string(),
            "amount must be a decimal number such as 1234.50, found \"abc\""
        );
        // Regression: an unchecked huge amount saturates instead of panicking.
        let huge = Money::from_ore(i128::MIN);
        assert!(huge.abs().is_positive());
        assert!((-huge).is_positive());
        assert_eq!(huge.to_decimal(), Decimal::MIN);
        assert!(Money::try_from_ore(i128::MAX).is_err());
        assert_eq!(Money::try_from_ore(5), Ok(Money::from_ore(5)));
    }

    #[test]
    fn currency_codes_are_three_capitals() {
        assert_eq!(Currency::new("EUR").unwrap().code(), "EUR");
        assert!(Currency::new("eur").is_err());
        assert!(Currency::new("SEKK").is_err());
        assert_eq!(Currency::default(), Currency::SEK);
    }
}
