//! Errors that name the pool and party they concern, and findings that do not stop a run.

use std::fmt;

use rust_decimal::Decimal;

use crate::id::{BadPartyId, PartyId, SourceRef};
use crate::money::Money;
use crate::problems::{Located, Place};

/// A pool's identifier as the caller names it, e.g. `system-2020`.
pub type PoolId = std::sync::Arc<str>;

/// What is wrong with a split's input. Every variant names the pool and, where one is concerned,
/// the party; a source reference is added when the caller supplied one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// A party id is empty or has surrounding spaces.
    #[error("party id {id:?} must be non-empty text without leading or trailing spaces")]
    BadPartyId {
        /// The id found.
        id: String,
    },
    /// A pool id is empty or has surrounding spaces (checked like a party id).
    #[error("pool id {id:?} must be non-empty text without leading or trailing spaces")]
    BadPoolId {
        /// The id found.
        id: String,
    },
    /// Two parties of the agreement share an id.
    #[error("party {party}: the id occurs more than once")]
    DuplicateParty {
        /// The repeated id.
        party: PartyId,
    },
    /// A pool names the same participant twice.
    #[error("pool {pool}: party {party} is named more than once among the participants")]
    DuplicateParticipant {
        /// The pool.
        pool: PoolId,
        /// The repeated party.
        party: PartyId,
    },
    /// A pool's participant list is empty.
    #[error("pool {pool}: the participant set is empty")]
    NoParticipants {
        /// The pool.
        pool: PoolId,
    },
    /// A pool names a party that is not in the agreement.
    #[error("pool {pool}: party {party} ({role}) is not a party of the agreement")]
    UnknownParty {
        /// The pool.
        pool: PoolId,
        /// The unknown party.
        party: PartyId,
        /// What the pool names it as: participant, absorbing party, payer, fixed amount.
        role: &'static str,
    },
    /// A party of the agreement has a fixed amount for a pool it does not take part in.
    #[error("pool {pool}: party {party} has a fixed amount but is not a participant of the pool")]
    FixedAmountForNonParticipant {
        /// The pool.
        pool: PoolId,
        /// The party, a party of the agreement.
        party: PartyId,
    },
    /// A party's figure for the pool's key is missing.
    #[error("pool {pool}: party {party} has no {figure}, which the key needs")]
    MissingFigure {
        /// The pool.
        pool: PoolId,
        /// The party.
        party: PartyId,
        /// Which figure: population, users or a named figure.
        figure: String,
    },
    /// A weight is zero or negative.
    #[error("pool {pool}: party {party}{}: {figure} must be above 0, found {value}", at(.place))]
    NonPositiveWeight {
        /// The pool.
        pool: PoolId,
        /// The party.
        party: PartyId,
        /// Which figure.
        figure: String,
        /// The value found.
        value: Decimal,
        /// Where it was read.
        place: Option<SourceRef>,
    },
    /// A cap is zero or negative.
    #[error("pool {pool}: the cap must be above 0, found {cap}")]
    NonPositiveCap {
        /// The pool.
        pool: PoolId,
        /// The cap found.
        cap: Money,
    },
    /// A `lou` cap needs the billing year, and the pool has none.
    #[error("pool {pool}: a lou cap needs the pool's billing year")]
    CapWithoutYear {
        /// The pool.
        pool: PoolId,
    },
    /// No threshold was in force on the first day of the billing year.
    #[error("pool {pool}: no direct-award threshold was in force on 1 January {year}")]
    NoThreshold {
        /// The pool.
        pool: PoolId,
        /// The billing year.
        year: i32,
    },
    /// Fixed amounts per party do not add up to the pool's amount.
    #[error(
        "pool {pool}: fixed amounts add up to {sum}, the pool is {amount}: {} by {}",
        if .sum > .amount { "over" } else { "short" },
        (*.sum - *.amount).abs()
    )]
    FixedAmountsDoNotAddUp {
        /// The pool.
        pool: PoolId,
        /// What the fixed amounts add up to.
        sum: Money,
        /// The pool's amount.
        amount: Money,
    },
    /// A participant has no fixed amount in a pool with the fixed key.
    #[error("pool {pool}: party {party} has no fixed amount")]
    MissingFixedAmount {
        /// The pool.
        pool: PoolId,
        /// The party.
        party: PartyId,
    },
    /// The users counted across all organisations are fewer than the parties' own users.
    #[error(
        "pool {pool}: {total} users in all organisations is fewer than the {parties} users of the parties"
    )]
    TooFewTotalUsers {
        /// The pool.
        pool: PoolId,
        /// The total given.
        total: u64,
        /// The parties' users added up.
        parties: u64,
    },
    /// The threshold table given is not usable.
    #[error("threshold table: {reason}")]
    BadThresholdTable {
        /// Why.
        reason: String,
    },
    /// The amount and weights are too large to split exactly in 128 bits.
    #[error("pool {pool}: amount {amount} with these weights is too large to split exactly")]
    TooLarge {
        /// The pool.
        pool: PoolId,
        /// The pool's amount.
        amount: Money,
    },
}

fn at(source: &Option<SourceRef>) -> String {
    source
        .as_ref()
        .map(|s| format!(" at {s}"))
        .unwrap_or_default()
}

/// Something worth a look that does not stop the split, returned beside the result.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "finding", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Finding {
    /// The populations in one pool refer to different dates.
    MixedPopulationDates {
        /// The pool.
        pool: PoolId,
        /// Each reference date (or none) with how many parties use it.
        dates: Vec<(Option<chrono::NaiveDate>, usize)>,
    },
    /// Part of a cost per user is borne by organisations outside the agreement (R3).
    BorneOutside {
        /// The pool.
        pool: PoolId,
        /// The amount nobody in the agreement pays.
        amount: Money,
    },
    /// Excess above a cap that nobody pays.
    Uncovered {
        /// The pool.
        pool: PoolId,
        /// The unallocated amount.
        amount: Money,
    },
}

impl Finding {
    /// The finding in words, in each language a document may be written in.
    pub fn text(&self) -> crate::text::Text {
        use crate::text::Text;
        match self {
            Finding::MixedPopulationDates { pool, dates } => {
                let (mut sv, mut en) = (
                    format!("kostnadspost {pool}: folkmängderna avser olika datum:"),
                    format!("pool {pool}: populations refer to different dates:"),
                );
                for (date, n) in dates {
                    match date {
                        Some(d) => {
                            sv.push_str(&format!(" {d} ({n})"));
                            en.push_str(&format!(" {d} ({n})"));
                        }
                        None => {
                            sv.push_str(&format!(" inget datum ({n})"));
                            en.push_str(&format!(" no date ({n})"));
                        }
                    }
                }
                Text::new(sv, en)
            }
            Finding::BorneOutside { pool, amount } => Text::new(
                format!("kostnadspost {pool}: {amount} bärs av användare utanför avtalet"),
                format!("pool {pool}: {amount} is borne by users outside the agreement"),
            ),
            Finding::Uncovered { pool, amount } => Text::new(
                format!("kostnadspost {pool}: {amount} över takbeloppen fördelas inte"),
                format!("pool {pool}: {amount} above the caps is not allocated"),
            ),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::MixedPopulationDates { pool, dates } => {
                write!(f, "pool {pool}: populations refer to different dates:")?;
                for (date, n) in dates {
                    match date {
                        Some(d) => write!(f, " {d} ({n})")?,
                        None => write!(f, " no date ({n})")?,
                    }
                }
                Ok(())
            }
            Finding::BorneOutside { pool, amount } => write!(
                f,
                "pool {pool}: {amount} is borne by users outside the agreement"
            ),
            Finding::Uncovered { pool, amount } => {
                write!(f, "pool {pool}: {amount} above the caps is not allocated")
            }
        }
    }
}

impl SplitError {
    /// The field of the pool (or, for a party's figure, of the party) at fault: `participants`,
    /// `key`, `cap`, `year`, `amount`, `total_users`, `excess`, `id`, or the figure's name.
    pub fn field(&self) -> Option<&'static str> {
        use SplitError as E;
        Some(match self {
            E::BadPartyId { .. } | E::BadPoolId { .. } | E::DuplicateParty { .. } => "id",
            E::DuplicateParticipant { .. }
            | E::NoParticipants { .. }
            | E::FixedAmountForNonParticipant { .. } => "participants",
            E::UnknownParty { role, .. } => match *role {
                "participant" => "participants",
                "absorbing party" => "excess",
                "payer" => "key",
                _ => "id",
            },
            E::MissingFigure { .. }
            | E::NonPositiveWeight { .. }
            | E::MissingFixedAmount { .. } => "key",
            E::NonPositiveCap { .. } => "cap",
            E::CapWithoutYear { .. } | E::NoThreshold { .. } => "year",
            E::FixedAmountsDoNotAddUp { .. } | E::TooLarge { .. } => "amount",
            E::TooFewTotalUsers { .. } => "total_users",
            E::BadThresholdTable { .. } => return None,
        })
    }
}

impl Located for SplitError {
    /// The pool and party concerned, the pool's field at fault ([`SplitError::field`]) and,
    /// for a party's weight, where the weight was read.
    fn place(&self) -> Place<'_> {
        use SplitError as E;
        let mut place = match self {
            E::BadPoolId { id } => Place::pool(id),
            E::DuplicateParticipant { pool, party }
            | E::UnknownParty { pool, party, .. }
            | E::FixedAmountForNonParticipant { pool, party }
            | E::MissingFigure { pool, party, .. }
            | E::MissingFixedAmount { pool, party } => Place::pool(pool).with_party(party),
            E::NonPositiveWeight {
                pool, party, place, ..
            } => Place::pool(pool)
                .with_party(party)
                .with_source(place.as_ref()),
            E::NoParticipants { pool }
            | E::NonPositiveCap { pool, .. }
            | E::CapWithoutYear { pool }
            | E::NoThreshold { pool, .. }
            | E::FixedAmountsDoNotAddUp { pool, .. }
            | E::TooFewTotalUsers { pool, .. }
            | E::TooLarge { pool, .. } => Place::pool(pool),
            E::DuplicateParty { party } => Place::party(party),
            E::BadPartyId { .. } | E::BadThresholdTable { .. } => Place::default(),
        };
        place.field = self.field();
        place
    }
}

impl From<BadPartyId> for SplitError {
    fn from(e: BadPartyId) -> SplitError {
        SplitError::BadPartyId { id: e.id }
    }
}
