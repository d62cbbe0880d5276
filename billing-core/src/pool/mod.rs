//! Cost pools and what their split returns: a [`Pool`] (amount, [`Key`], [`Participants`],
//! [`Cap`]) and its [`Allocation`] (one [`Part`] per party, exact shares, rounds).
//!
//! The split itself is [`split::allocate`] (re-exported as [`crate::allocate`]); each rule it
//! applies has its own module below this one:
//!
//! | rule | module |
//! |---|---|
//! | R1 Population share | [`population`] |
//! | R2 Procurement cap | [`cap`] |
//! | R3 Cost per user, with users outside the parties | [`users`] |
//! | R12 Fixed and one-off costs: the fixed key's amounts are checked in [`split`] | [`crate::costs`] |
//! | R14 Pools shared by a subset | [`subset`] |
//!
//! The modules below import the types of this one; this one imports none of them.

pub mod cap;
pub mod population;
pub mod split;
pub mod subset;
pub mod users;

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::agreement::{PartyId, SourceRef, Sourced};
use crate::apportion::{apportion_distinct, Apportionment};
use crate::error::{PoolId, SplitError};
use crate::money::{ratio_to_decimal, Currency, Money};
use crate::problems::Problems;
use crate::thresholds::Threshold;

/// A cost to be shared: an amount for a period, a key, the parties that share it and an optional
/// cap.
///
/// Make one with [`Pool::new`] (a pool shared by all, no cap) or [`Pool::builder`] (with its
/// optional parts), and change one with [`Pool::to_builder`]: each checks it, the id like a
/// party's id ([`crate::PartyId::new`]), a fixed cap above 0, so a `Pool` that exists has passed
/// these checks (deserializing one, with the `serde` feature, checks it the same way). The amount
/// may be negative: a credit is a negative pool, split like any other. What needs the parties
/// (participants, figures, the absorbing party) is checked when it is split
/// ([`split::allocate`]). Read it through its accessors.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "PoolData"))]
#[non_exhaustive]
pub struct Pool {
    id: PoolId,
    name: String,
    amount: Money,
    currency: Currency,
    year: Option<i32>,
    key: Key,
    participants: Participants,
    cap: Option<Cap>,
    source: Option<SourceRef>,
}

/// A pool as written (JSON and other serde formats): the same fields as [`Pool`], read before
/// they are checked by [`PoolBuilder::build`].
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct PoolData {
    id: String,
    name: String,
    amount: Money,
    #[serde(default)]
    currency: Currency,
    #[serde(default)]
    year: Option<i32>,
    key: Key,
    #[serde(default)]
    participants: Participants,
    #[serde(default)]
    cap: Option<Cap>,
    #[serde(default)]
    source: Option<SourceRef>,
}

#[cfg(feature = "serde")]
impl TryFrom<PoolData> for Pool {
    type Error = Problems<SplitError>;

    fn try_from(data: PoolData) -> Result<Pool, Problems<SplitError>> {
        let mut pool = Pool::unchecked(&data.id, &data.name, data.amount, data.key);
        pool.currency = data.currency;
        pool.year = data.year;
        pool.participants = data.participants;
        pool.cap = data.cap;
        pool.source = data.source;
        PoolBuilder { id: data.id, pool }.build()
    }
}

impl Pool {
    /// A pool shared by all parties, with no cap and no year, in SEK; [`Pool::builder`] sets
    /// the optional parts.
    ///
    /// ```
    /// use billing_core::{Key, Money, Pool, SplitError};
    /// let pool = Pool::new("system-2020", "System", Money::from_kronor(2_000_000), Key::Population)?;
    /// assert_eq!(pool.id().as_ref(), "system-2020");
    /// assert!(Pool::new("system ", "System", Money::ZERO, Key::Equal).is_err());
    /// # Ok::<(), SplitError>(())
    /// ```
    ///
    /// # Errors
    /// [`SplitError::BadPoolId`] when the id is empty or has leading or trailing spaces: it is
    /// checked like a party id ([`crate::PartyId::new`]).
    pub fn new(id: &str, name: &str, amount: Money, key: Key) -> Result<Pool, SplitError> {
        if !is_good_id(id) {
            return Err(SplitError::BadPoolId { id: id.to_owned() });
        }
        Ok(Pool::unchecked(id, name, amount, key))
    }

    /// A pool shared by all with no cap, its id not checked: for [`PoolBuilder`], which checks
    /// it, and for ids made by the crate from checked parts.
    pub(crate) fn unchecked(id: &str, name: &str, amount: Money, key: Key) -> Pool {
        Pool {
            id: PoolId::from(id),
            name: name.to_owned(),
            amount,
            currency: Currency::SEK,
            year: None,
            key,
            participants: Participants::All,
            cap: None,
            source: None,
        }
    }

    /// Its id, e.g. `system-2020`.
    pub fn id(&self) -> &PoolId {
        &self.id
    }

    /// What it pays for, in words.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The amount to share; negative for a credit.
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// The currency of the amount.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The calendar year the amount is billed for; a `lou` cap needs it.
    pub fn year(&self) -> Option<i32> {
        self.year
    }

    /// How it is split.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// Who shares it.
    pub fn participants(&self) -> &Participants {
        &self.participants
    }

    /// The most one party pays, and where the excess goes.
    pub fn cap(&self) -> Option<&Cap> {
        self.cap.as_ref()
    }

    /// Where the amount was read.
    pub fn source(&self) -> Option<&SourceRef> {
        self.source.as_ref()
    }

    /// A builder holding this pool's parts, to change some and build it again (checked again).
    pub fn to_builder(&self) -> PoolBuilder {
        PoolBuilder {
            id: self.id.to_string(),
            pool: self.clone(),
        }
    }

    /// Instalment `k` (counted from 0) of `n`: the same pool for `amount`, named with its number
    /// (`System (2/4)`, language-neutral).
    pub fn instalment(&self, k: usize, n: usize, amount: Money) -> Pool {
        Pool {
            name: format!("{} ({}/{n})", self.name, k + 1),
            amount,
            ..self.clone()
        }
    }

    /// The same pool shared by `parties` only (R14: the members on its due date).
    pub fn shared_by(&self, parties: Vec<PartyId>) -> Pool {
        Pool {
            participants: Participants::Only(parties),
            ..self.clone()
        }
    }

    /// The same pool with its amount in `currency` (a change that needs no check).
    pub fn in_currency(&self, currency: Currency) -> Pool {
        Pool {
            currency,
            ..self.clone()
        }
    }

    /// The part of the pool billed for `year`: `amount` under `name` (R12: a cost spread over
    /// months is split year by year).
    pub fn part_for_year(&self, year: i32, name: String, amount: Money) -> Pool {
        Pool {
            name,
            amount,
            year: Some(year),
            ..self.clone()
        }
    }
}

impl Pool {
    /// A builder for a pool whose id is checked like a party id, with its optional parts
    /// (participants, cap, year, currency, source) set by name.
    ///
    /// ```
    /// use billing_core::{Cap, CapLimit, ExcessPolicy, Key, Money, Pool};
    /// let pool = Pool::builder("system-2020", "System", Money::from_kronor(2_000_000), Key::Population)
    ///     .year(2020)
    ///     .cap(Cap::new(CapLimit::Lou, ExcessPolicy::Redistribute))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(pool.year(), Some(2020));
    /// assert!(Pool::builder(" x", "X", Money::ZERO, Key::Equal).build().is_err());
    /// ```
    pub fn builder(id: &str, name: &str, amount: Money, key: Key) -> PoolBuilder {
        PoolBuilder {
            id: id.to_owned(),
            pool: Pool::unchecked(id, name, amount, key),
        }
    }
}

/// Builds a [`Pool`]: see [`Pool::builder`].
#[derive(Clone, Debug)]
#[must_use]
pub struct PoolBuilder {
    id: String,
    pool: Pool,
}

impl PoolBuilder {
    /// Only these parties share it (R14); all by default.
    pub fn participants(mut self, parties: Vec<PartyId>) -> PoolBuilder {
        self.pool.participants = Participants::Only(parties);
        self
    }

    /// Who shares it, all or some.
    pub fn shared_by(mut self, participants: Participants) -> PoolBuilder {
        self.pool.participants = participants;
        self
    }

    /// The most one party pays in a year, and where the excess goes (R2).
    pub fn cap(mut self, cap: Cap) -> PoolBuilder {
        self.pool.cap = Some(cap);
        self
    }

    /// The calendar year billed (a `lou` cap needs it).
    pub fn year(mut self, year: i32) -> PoolBuilder {
        self.pool.year = Some(year);
        self
    }

    /// The currency of the amount (SEK by default).
    pub fn currency(mut self, currency: Currency) -> PoolBuilder {
        self.pool.currency = currency;
        self
    }

    /// Where the pool was read.
    pub fn source(mut self, source: SourceRef) -> PoolBuilder {
        self.pool.source = Some(source);
        self
    }

    /// Another amount.
    pub fn amount(mut self, amount: Money) -> PoolBuilder {
        self.pool.amount = amount;
        self
    }

    /// Another key.
    pub fn key(mut self, key: Key) -> PoolBuilder {
        self.pool.key = key;
        self
    }

    /// The pool.
    ///
    /// # Errors
    /// Every problem at once: [`SplitError::BadPoolId`] for an empty id or one with surrounding
    /// spaces, and [`SplitError::NonPositiveCap`] for a fixed cap of zero or below. What needs
    /// the parties (participants, figures, the absorbing party) is checked when it is split
    /// ([`split::allocate`]).
    pub fn build(self) -> Result<Pool, Problems<SplitError>> {
        let mut problems = Vec::new();
        if !is_good_id(&self.id) {
            problems.push(SplitError::BadPoolId { id: self.id });
        }
        if let Some(Cap {
            limit: CapLimit::Fixed(cap),
            ..
        }) = &self.pool.cap
        {
            if !cap.is_positive() {
                problems.push(SplitError::NonPositiveCap {
                    pool: self.pool.id.clone(),
                    cap: *cap,
                });
            }
        }
        Problems::check(self.pool, problems)
    }
}

/// A pool id is checked like a party id: not empty, no leading or trailing spaces.
fn is_good_id(id: &str) -> bool {
    !id.is_empty() && id.trim() == id
}

/// How a pool is split.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "key", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Key {
    /// In proportion to population (R1).
    Population,
    /// In proportion to users (R3). With `total_users`, the count of every user of the system
    /// including organisations outside the agreement, each party pays `A · users / total` and the
    /// rest is borne outside.
    Users {
        /// Users in all organisations, parties or not.
        #[cfg_attr(feature = "serde", serde(default))]
        total_users: Option<Sourced<u64>>,
    },
    /// The same for every participant.
    Equal,
    /// In proportion to a named figure of each party.
    Weight {
        /// The figure's name, as in [`crate::Party::figures`].
        figure: String,
    },
    /// A fixed amount per party; they must add up to the pool.
    Fixed {
        /// Each participant's amount.
        amounts: BTreeMap<PartyId, Sourced<Money>>,
    },
    /// One party pays all.
    Direct {
        /// The payer.
        party: PartyId,
    },
}

impl Key {
    /// The key's name, as shown in explanations.
    pub fn name(&self) -> &'static str {
        match self {
            Key::Population => "population",
            Key::Users { .. } => "users",
            Key::Equal => "equal",
            Key::Weight { .. } => "weight",
            Key::Fixed { .. } => "fixed",
            Key::Direct { .. } => "direct",
        }
    }

    fn figure(&self) -> String {
        match self {
            Key::Weight { figure } => figure.clone(),
            Key::Fixed { .. } => "fixed amount".to_owned(),
            Key::Equal | Key::Direct { .. } => "share".to_owned(),
            other => other.name().to_owned(),
        }
    }
}

/// The parties that share a pool (R14).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Participants {
    /// Every party of the agreement.
    #[default]
    All,
    /// Only these; the others pay nothing for the pool.
    Only(Vec<PartyId>),
}

/// A cap on what one party pays for a pool in a year, and the policy for what is cut off.
///
/// A fixed limit must be above 0: [`PoolBuilder::build`] refuses a pool with one that is not.
///
/// ```
/// use billing_core::{Cap, CapLimit, ExcessPolicy, Money};
/// let cap = Cap::new(CapLimit::Fixed(Money::from_kronor(600_000)), ExcessPolicy::Redistribute);
/// assert_eq!(cap.excess, ExcessPolicy::Redistribute);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Cap {
    /// The limit.
    pub limit: CapLimit,
    /// Where the excess goes.
    pub excess: ExcessPolicy,
}

impl Cap {
    /// A cap of `limit`, the excess going where `excess` says.
    pub fn new(limit: CapLimit, excess: ExcessPolicy) -> Cap {
        Cap { limit, excess }
    }
}

/// The amount of a cap.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum CapLimit {
    /// A fixed amount.
    Fixed(Money),
    /// The direct-award threshold in force on the first day of the pool's year.
    Lou,
}

/// Where the excess above a cap goes (R2).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ExcessPolicy {
    /// One named party pays all of it (`absorb:<party>`).
    Absorb(PartyId),
    /// Shared among the uncapped parties by the same key until nobody is above the cap.
    Redistribute,
    /// Nobody pays it; it is reported as unallocated.
    Uncovered,
}

impl std::fmt::Display for ExcessPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExcessPolicy::Absorb(p) => write!(f, "absorb:{p}"),
            ExcessPolicy::Redistribute => f.write_str("redistribute"),
            ExcessPolicy::Uncovered => f.write_str("uncovered"),
        }
    }
}

/// An exact fraction of one öre-denominated amount: `num / den` öre.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ratio {
    num: i128,
    den: i128,
}

impl Ratio {
    /// Zero.
    pub const ZERO: Ratio = Ratio { num: 0, den: 1 };

    /// A whole amount of money as a ratio.
    pub fn whole(amount: Money) -> Ratio {
        Ratio {
            num: amount.ore(),
            den: 1,
        }
    }

    /// True when the value is zero.
    pub fn is_zero(&self) -> bool {
        self.num == 0
    }

    pub(crate) fn new(num: i128, den: i128) -> Ratio {
        Ratio { num, den }
    }

    /// The numerator, in öre.
    pub fn numerator(&self) -> i128 {
        self.num
    }

    /// The denominator.
    pub fn denominator(&self) -> i128 {
        self.den
    }

    /// The value in currency units (kronor), to 28 significant digits.
    pub fn kronor(&self) -> Decimal {
        ratio_to_decimal(self.num, self.den)
            .map(|ore| ore / Decimal::ONE_HUNDRED)
            .unwrap_or_default()
    }

    /// The value in öre, to 28 significant digits.
    pub fn ore(&self) -> Decimal {
        ratio_to_decimal(self.num, self.den).unwrap_or_default()
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Ratio {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.kronor())
    }
}

/// The cap applied to a pool.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct AppliedCap {
    /// The amount.
    pub limit: Money,
    /// The threshold it came from, for a `lou` cap.
    pub threshold: Option<Threshold>,
    /// The excess policy.
    pub excess: ExcessPolicy,
}

/// One round of water-filling under `redistribute`: the amount still to share, the basis of the
/// parties still uncapped, and who went over the cap in it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Round {
    /// 1 for the first.
    pub number: u32,
    /// The amount shared in this round among the parties not yet capped.
    pub amount: Money,
    /// Their basis added up.
    pub basis_total: Decimal,
    /// The parties whose share went over the cap in this round.
    pub capped: Vec<PartyId>,
}

/// The part of a pool borne by users outside the agreement (R3).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Outside {
    /// Users in all organisations.
    pub total_users: Sourced<u64>,
    /// The parties' users added up.
    pub parties_users: u64,
    /// What the parties pay together: the pool split between them and the rest, to öre
    /// (negative for a credit, like the pool).
    pub parties_amount: Money,
    /// What is borne outside (negative for a credit).
    pub amount: Money,
    /// The parties' exact share together, before rounding.
    pub parties_exact: Ratio,
    /// The outside users' exact share, before rounding: they take part in the split as one more
    /// claimant.
    pub exact: Ratio,
}

/// One participant's part of a pool, with everything needed to explain it (R16).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Part {
    /// The party.
    pub party: PartyId,
    /// Its figure for the key (population, users, weight, fixed amount; 1 for equal and direct).
    pub basis: Decimal,
    /// Where the figure was read.
    pub basis_source: Option<SourceRef>,
    /// Its exact share of the amount split, by key, before any cap.
    pub exact_share: Ratio,
    /// Its exact share in the split that was rounded: the same as `exact_share`, except under
    /// `redistribute` after a cap, where it is the share of what was left for the uncapped.
    pub final_share: Ratio,
    /// `final_share` truncated to öre.
    pub truncated: Money,
    /// Whether it took part in the rounded split (every part, except one fixed at the cap under
    /// `redistribute`); see [`Allocation::remainder_rank`].
    pub rounded_by_remainder: bool,
    /// Whether it got one of the leftover öre.
    pub extra_ore: bool,
    /// The share after rounding, before the cap.
    pub rounded: Money,
    /// The round of water-filling in which it went over the cap, or 1 when capped under
    /// `absorb` or `uncovered`.
    pub capped_in_round: Option<u32>,
    /// What was cut off above the cap: whole öre under `absorb` and `uncovered` (rounded share
    /// less the cap), the exact excess in its capping round under `redistribute`.
    pub excess: Ratio,
    /// What it pays for the pool.
    pub amount: Money,
}

impl Part {
    /// The remainder after truncation, as a numerator over the split's common denominator.
    fn remainder_ore_numerator(&self) -> i128 {
        (self.final_share.numerator() - self.truncated.ore() * self.final_share.denominator()).abs()
    }
}

/// A pool split among its participants.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Allocation {
    /// The pool's id.
    pub pool: PoolId,
    /// The pool's name.
    pub name: String,
    /// The pool's amount.
    pub amount: Money,
    /// Its currency.
    pub currency: Currency,
    /// The key's name.
    pub key: &'static str,
    /// The name of the figure the key reads (population, users, …).
    pub figure: String,
    /// The participants' basis added up.
    pub basis_total: Decimal,
    /// The amount split among the participants (the pool less what is borne outside).
    pub split_amount: Money,
    /// The part borne outside the agreement, under a users key with a total.
    pub outside: Option<Outside>,
    /// The cap, if any.
    pub cap: Option<AppliedCap>,
    /// Rounds of water-filling, under `redistribute`.
    pub rounds: Vec<Round>,
    /// How many öre the remainder rule handed out in the rounded split.
    pub leftover_ore: usize,
    /// The parts, ordered by party id.
    pub parts: Vec<Part>,
    /// The party that absorbed the excess, and how much.
    pub absorbed: Option<(PartyId, Money)>,
    /// Excess that nobody pays.
    pub uncovered: Money,
    /// Where the pool's amount was read.
    pub source: Option<SourceRef>,
    /// Which instalment of the pool this is, when it is billed in several.
    pub instalment: Option<Instalment>,
    /// Each part's remainder rank, by part, computed once, when first asked for (issue 12: not
    /// a scan of every part for each part; and not for a split whose ranks are never read, as
    /// `check`'s).
    #[cfg_attr(feature = "serde", serde(skip))]
    ranks: Ranks,
}

/// The remainder ranks of an allocation's parts, computed on first use. They follow from the
/// parts, which an allocation's equality compares: two allocations are not told apart by
/// whether their ranks were computed yet.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ranks(std::sync::OnceLock<Vec<Option<usize>>>);

impl PartialEq for Ranks {
    fn eq(&self, _: &Ranks) -> bool {
        true
    }
}

impl Eq for Ranks {}

/// One of several instalments of a pool.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Instalment {
    /// 1 for the first.
    pub number: usize,
    /// How many there are.
    pub of: usize,
    /// The whole pool's amount.
    pub whole_amount: Money,
    /// What each party pays for the whole pool, in the order of the parts.
    pub whole_parts: Vec<Money>,
    /// What the absorbing party absorbs of the whole pool.
    pub whole_absorbed: Option<Money>,
    /// What nobody pays of the whole pool.
    pub whole_uncovered: Money,
    /// What is borne outside of the whole pool.
    pub whole_outside: Option<Money>,
    /// The whole pool's name.
    pub whole_name: String,
}

impl Allocation {
    /// The part of `party`, if it shares the pool.
    pub fn part(&self, party: &PartyId) -> Option<&Part> {
        self.parts
            .binary_search_by(|p| p.party.cmp(party))
            .ok()
            .map(|i| &self.parts[i])
    }

    /// What `party` pays for this pool: its part plus any excess it absorbed.
    pub fn amount_for(&self, party: &PartyId) -> Money {
        let part = self.part(party).map(|p| p.amount).unwrap_or_default();
        let absorbed = match &self.absorbed {
            Some((p, amount)) if p == party => *amount,
            _ => Money::ZERO,
        };
        part + absorbed
    }

    /// The rank (1 = largest) of `part`'s remainder after truncation among the parts of the
    /// rounded split, ties ranked by party id: the order in which the leftover öre were handed
    /// out. `None` for a part fixed at the cap. Computed on demand, in O(n), so the split itself
    /// never sorts every party.
    pub fn remainder_rank(&self, part: &Part) -> Option<usize> {
        if !part.rounded_by_remainder {
            return None;
        }
        let ranks = self.ranks.0.get_or_init(|| self.compute_ranks());
        match self.parts.binary_search_by(|p| p.party.cmp(&part.party)) {
            Ok(i) if ranks.len() == self.parts.len() && self.parts[i] == *part => ranks[i],
            _ => Some(self.rank_among_all(part)),
        }
    }

    /// Every part's remainder rank at once: one sort, O(n log n).
    fn compute_ranks(&self) -> Vec<Option<usize>> {
        let mut order: Vec<usize> = (0..self.parts.len())
            .filter(|i| self.parts[*i].rounded_by_remainder)
            .collect();
        order.sort_by(|a, b| {
            let (pa, pb) = (&self.parts[*a], &self.parts[*b]);
            pb.remainder_ore_numerator()
                .cmp(&pa.remainder_ore_numerator())
                .then_with(|| pa.party.cmp(&pb.party))
        });
        let mut ranks = vec![None; self.parts.len()];
        for (position, i) in order.into_iter().enumerate() {
            let part = &self.parts[i];
            ranks[i] = Some(position + 1 + usize::from(self.outside_before(part)));
        }
        ranks
    }

    /// The rank of `part` by scanning every part: for a part not of this allocation's split.
    fn rank_among_all(&self, part: &Part) -> usize {
        let mine = part.remainder_ore_numerator();
        let before = self
            .parts
            .iter()
            .filter(|p| p.rounded_by_remainder)
            .filter(|p| {
                let theirs = p.remainder_ore_numerator();
                theirs > mine || (theirs == mine && p.party < part.party)
            })
            .count();
        before + 1 + usize::from(self.outside_before(part))
    }

    /// Whether the users outside, who took part in the same split after every party in a tie,
    /// come before `part`.
    fn outside_before(&self, part: &Part) -> bool {
        let mine = part.remainder_ore_numerator();
        self.outside_in_split().is_some_and(|o| {
            // Its amount may include an öre; the remainder is of the truncated share.
            let theirs = o.exact.numerator().abs() % o.exact.denominator().max(1);
            theirs * part.final_share.denominator() > mine * o.exact.denominator()
        })
    }

    /// The users outside the parties, when they took part in the rounded split as a claimant.
    pub fn outside_in_split(&self) -> Option<&Outside> {
        self.outside
            .as_ref()
            .filter(|o| !o.exact.is_zero() && self.rounds.is_empty() && !self.is_redistributed())
    }

    fn is_redistributed(&self) -> bool {
        self.cap
            .as_ref()
            .is_some_and(|c| c.excess == ExcessPolicy::Redistribute)
    }

    /// The allocation billed in `n` equal instalments (n ≥ 1): every amount — each part, the
    /// absorbed, uncovered and outside amounts — split in `n` to the öre, the odd öre to the
    /// earliest instalments. The pool is split and capped once, as a whole, so a party's
    /// instalments add up to exactly what it pays for the whole pool, and a cap holds for the
    /// year however the pool is billed.
    pub fn instalments(&self, n: usize) -> Vec<Allocation> {
        let n = n.max(1);
        let spread = |amount: Money| -> Vec<Money> {
            let claims: Vec<(usize, Decimal)> = (0..n).map(|i| (i, Decimal::ONE)).collect();
            match apportion_distinct(amount, &claims) {
                Ok(a) => a.portions().iter().map(|p| p.amount()).collect(),
                // Never for n ≥ 1 and an amount that was split once already.
                Err(_) => std::iter::once(amount)
                    .chain(std::iter::repeat_n(Money::ZERO, n - 1))
                    .collect(),
            }
        };
        let parts: Vec<Vec<Money>> = self.parts.iter().map(|p| spread(p.amount)).collect();
        let absorbed = self.absorbed.as_ref().map(|(_, a)| spread(*a));
        let uncovered = spread(self.uncovered);
        let outside = self.outside.as_ref().map(|o| spread(o.amount));
        (0..n)
            .map(|k| {
                // The whole split's ranks, as they were when the split computed them first: an
                // instalment's part that is the whole's keeps the whole's rank.
                self.ranks.0.get_or_init(|| self.compute_ranks());
                let mut a = self.clone();
                for (part, pieces) in a.parts.iter_mut().zip(&parts) {
                    part.amount = pieces[k];
                }
                if let (Some((_, amount)), Some(pieces)) = (a.absorbed.as_mut(), &absorbed) {
                    *amount = pieces[k];
                }
                a.uncovered = uncovered[k];
                if let (Some(o), Some(pieces)) = (a.outside.as_mut(), &outside) {
                    o.amount = pieces[k];
                }
                let outside_k = a.outside.as_ref().map(|o| o.amount).unwrap_or_default();
                let absorbed_k = a.absorbed.as_ref().map(|x| x.1).unwrap_or_default();
                a.amount = a.allocated() + absorbed_k + a.uncovered + outside_k;
                a.instalment = Some(Instalment {
                    number: k + 1,
                    of: n,
                    whole_amount: self.amount,
                    whole_parts: self.parts.iter().map(|p| p.amount).collect(),
                    whole_absorbed: self.absorbed.as_ref().map(|x| x.1),
                    whole_uncovered: self.uncovered,
                    whole_outside: self.outside.as_ref().map(|o| o.amount),
                    whole_name: self.name.clone(),
                });
                // Language-neutral: the explanation says "instalment k of n" in words.
                a.name = format!("{} ({}/{n})", self.name, k + 1);
                a
            })
            .collect()
    }

    /// The whole pool's allocation that this instalment is part of (itself when it is not an
    /// instalment).
    pub fn whole(&self) -> Allocation {
        let Some(i) = &self.instalment else {
            return self.clone();
        };
        let mut a = self.clone();
        for (part, whole) in a.parts.iter_mut().zip(&i.whole_parts) {
            part.amount = *whole;
        }
        if let (Some((_, amount)), Some(whole)) = (a.absorbed.as_mut(), i.whole_absorbed) {
            *amount = whole;
        }
        a.uncovered = i.whole_uncovered;
        if let (Some(o), Some(whole)) = (a.outside.as_mut(), i.whole_outside) {
            o.amount = whole;
        }
        a.amount = i.whole_amount;
        a.name = i.whole_name.clone();
        a.instalment = None;
        a
    }

    /// What `party` pays for the whole pool when this is an instalment of it (its part, without
    /// what it absorbs).
    pub fn whole_part(&self, party: &PartyId) -> Option<Money> {
        let i = self.instalment.as_ref()?;
        let index = self.parts.binary_search_by(|p| p.party.cmp(party)).ok()?;
        i.whole_parts.get(index).copied()
    }

    /// The parts added up (without absorbed, uncovered or outside amounts).
    pub fn allocated(&self) -> Money {
        self.parts.iter().map(|p| p.amount).sum()
    }
}

/// A participant and its figure for the key, borrowed from the agreement.
struct Claim<'a> {
    party: &'a PartyId,
    weight: Decimal,
    source: Option<&'a SourceRef>,
}

/// +1 or −1 öre, the direction of an amount (zero counts as positive).
fn sign(amount: Money) -> i128 {
    if amount.is_negative() {
        -1
    } else {
        1
    }
}

/// The part of `claim`, which is claim `index` of the rounded split `result`.
fn rounded_part(claim: &Claim, result: &Apportionment, index: usize) -> Part {
    let portion = &result.portions()[index];
    let (num, den) = result.share_ratio(index);
    let share = Ratio { num, den };
    Part {
        party: claim.party.clone(),
        basis: claim.weight,
        basis_source: claim.source.cloned(),
        exact_share: share,
        final_share: share,
        truncated: portion.truncated(),
        rounded_by_remainder: true,
        extra_ore: portion.extra_ore(),
        rounded: portion.amount(),
        capped_in_round: None,
        excess: Ratio::ZERO,
        amount: portion.amount(),
    }
}

#[cfg(test)]
mod tests {
    use super::split::allocate;
    use super::*;
    use crate::agreement::{Agreement, Party};
    use crate::thresholds::ThresholdTable;

    /// Issue 12: the ranks computed once by sorting are the ranks found by scanning every part,
    /// with ties, a users key with users outside, and a redistributed cap.
    #[test]
    fn ranks_computed_once_agree_with_a_scan() {
        let parties: Vec<Party> = (0..40u64)
            .map(|i| {
                Party::new(PartyId::new(&format!("p{i:02}")).unwrap(), "P")
                    .with_population(1_000 + (i * 7919) % 3_001, None)
                    .with_users(1 + i % 3)
            })
            .collect();
        let agreement = Agreement::new(parties).unwrap();
        let mut pools = vec![
            Pool::new("equal", "E", Money::from_ore(100_001), Key::Equal).unwrap(),
            Pool::new("pop", "P", Money::from_ore(123_456_789), Key::Population).unwrap(),
            Pool::new(
                "users",
                "U",
                Money::from_ore(9_999_999),
                Key::Users {
                    total_users: Some(Sourced::new(997)),
                },
            )
            .unwrap(),
        ];
        let capped = Pool::builder("cap", "C", Money::from_kronor(1_000_000), Key::Population)
            .cap(Cap::new(
                CapLimit::Fixed(Money::from_kronor(30_000)),
                ExcessPolicy::Redistribute,
            ))
            .build()
            .unwrap();
        pools.push(capped);
        for pool in &pools {
            let (a, _) = allocate(&agreement, pool, &ThresholdTable::swedish_lou()).unwrap();
            assert!(a.ranks.0.get().is_none(), "no rank before one is asked for");
            for part in &a.parts {
                let scanned = part.rounded_by_remainder.then(|| a.rank_among_all(part));
                assert_eq!(
                    a.remainder_rank(part),
                    scanned,
                    "{} {}",
                    pool.id,
                    part.party
                );
            }
        }
    }
}
