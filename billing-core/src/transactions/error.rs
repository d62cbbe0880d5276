//! Errors of tariffs, pricing, aggregation, fixed costs and cooperations: each names the kind,
//! party, date, period or cooperation concerned and what is wrong.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::agreement::{PartyId, SourceRef};
use crate::calendar::Period;
use crate::error::SplitError;
use crate::problems::{Located, Place, Problems};
use crate::transactions::kind::{BadKind, Kind};

/// What is wrong with a transaction input, a tariff, a fixed cost or a cooperation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransactionError {
    /// A kind of transaction is empty or holds characters a file could not carry.
    #[error("transaction kind {kind:?} must be non-empty text without spaces, commas or quotes")]
    BadKind {
        /// The kind found.
        kind: String,
    },
    /// A unit price is negative or has more than 4 decimals.
    #[error("tariff {kind}{}: unit price must be 0 or more with at most 4 decimals, found {price}", at(.place))]
    BadPrice {
        /// The kind.
        kind: Kind,
        /// The price found.
        price: Decimal,
        /// Where it was read.
        place: Option<SourceRef>,
    },
    /// A tariff's last day is before its first day.
    #[error("tariff {kind}{}: valid to {valid_to} is before valid from {valid_from}", at(.place))]
    TariffEndsBeforeStart {
        /// The kind.
        kind: Kind,
        /// First day.
        valid_from: NaiveDate,
        /// Last day.
        valid_to: NaiveDate,
        /// Where it was read.
        place: Option<SourceRef>,
    },
    /// Two tariffs of one kind are valid on the same day.
    #[error("tariffs for {kind} overlap: {first} and {second} are both valid on {day}")]
    OverlappingTariffs {
        /// The kind.
        kind: Kind,
        /// The validity of the earlier one and where it was read, e.g.
        /// `2017-01-01..2017-12-31 (Tariffs!A2)`.
        first: String,
        /// The validity of the later one and where it was read.
        second: String,
        /// The first day both are valid.
        day: NaiveDate,
    },
    /// A transaction's kind has no tariff at all.
    #[error(
        "party {party}: {count} {kind} transaction(s) from {first_day}{}: no tariff for {kind}",
        at(.place)
    )]
    UnknownKind {
        /// The kind.
        kind: Kind,
        /// A party with such transactions.
        party: PartyId,
        /// The first day with such transactions.
        first_day: NaiveDate,
        /// How many transactions.
        count: u64,
        /// Where the row was read (pre-counted rows), e.g. `counts.csv:12`.
        place: Option<SourceRef>,
    },
    /// Transactions fall on days when no price of their kind is valid.
    #[error(
        "party {party}: {count} {kind} transaction(s) on {days} day(s) from {first_day} to \
         {last_day}{} have no valid price",
        at(.place)
    )]
    NoPrice {
        /// The party.
        party: PartyId,
        /// The kind.
        kind: Kind,
        /// The first day without a price that has transactions.
        first_day: NaiveDate,
        /// The last such day in the same run.
        last_day: NaiveDate,
        /// Days in the run with transactions.
        days: usize,
        /// Transactions on those days.
        count: u64,
        /// Where the row was read (pre-counted rows), e.g. `counts.csv:12`.
        place: Option<SourceRef>,
    },
    /// A pre-counted row's period crosses a change of price, so the count cannot be priced.
    #[error(
        "party {party}: the count of {kind} for {period}{} spans a price change on {change}: \
         give one count per price",
        at(.place)
    )]
    CountSpansPriceChange {
        /// The party.
        party: PartyId,
        /// The kind.
        kind: Kind,
        /// The row's period.
        period: Period,
        /// The first day of the new price (or of no price).
        change: NaiveDate,
        /// Where the row was read.
        place: Option<SourceRef>,
    },
    /// A pre-counted row's period crosses the end of a billing period.
    #[error(
        "party {party}: the count of {kind} for {period}{} spans two billing periods ({billing} \
         ends before it does)",
        at(.place)
    )]
    CountSpansBillingPeriods {
        /// The party.
        party: PartyId,
        /// The kind.
        kind: Kind,
        /// The row's period.
        period: Period,
        /// The billing period that contains the row's first day.
        billing: Period,
        /// Where the row was read.
        place: Option<SourceRef>,
    },
    /// A party index or kind index is outside the tally it is counted in.
    #[error(
        "tally of {parties} parties and {kinds} kinds has no cell for party #{party}, kind #{kind}"
    )]
    OutOfTally {
        /// The party index.
        party: usize,
        /// The kind index.
        kind: usize,
        /// Parties in the tally.
        parties: usize,
        /// Kinds in the tally.
        kinds: usize,
    },
    /// A count does not fit 64 bits.
    #[error("party {party}: the count of {kind} on {date} is beyond 2^64")]
    CountOverflow {
        /// The party.
        party: PartyId,
        /// The kind.
        kind: Kind,
        /// The day, or the first day of the period.
        date: NaiveDate,
    },
    /// A sum of counts (a month's, a year's) does not fit 64 bits: reported rather than
    /// rounded down to 2^64 − 1.
    #[error("{what} is beyond 2^64")]
    CountTooLarge {
        /// The sum in words, e.g. `party 0191: the count of login in 2017-04`.
        what: String,
    },
    /// Transactions span more distinct months than the tally was allowed to hold.
    #[error(
        "the transactions fall in more than {limit} distinct months ({month} is one too many): \
         split the input by year"
    )]
    TooManyMonths {
        /// The limit.
        limit: usize,
        /// The month that was one too many, e.g. `2031-04`.
        month: String,
    },
    /// An amount is beyond what money can hold.
    #[error("{what}: the amount is beyond ±10^15")]
    AmountTooLarge {
        /// What was being computed.
        what: String,
    },
    /// A date computation left the calendar.
    #[error("{what} is outside the calendar")]
    DateOutOfRange {
        /// What was being computed.
        what: String,
    },
    /// A fixed cost is spread over zero months or runs for zero months.
    #[error("cost {cost}: {what} must be at least 1 month, found 0")]
    ZeroMonths {
        /// The cost's pool id.
        cost: String,
        /// Which figure.
        what: &'static str,
    },
    /// A fixed cost cannot be split among the parties.
    #[error("cost {cost}: {problem}")]
    Split {
        /// The cost's pool id.
        cost: String,
        /// Why.
        problem: Box<SplitError>,
    },
    /// A cooperation has more members than it may.
    #[error(
        "cooperation {cooperation} may have at most {limit} members, found {}: {}",
        .members.len(), names(.members)
    )]
    TooManyMembers {
        /// The cooperation.
        cooperation: String,
        /// Its members, in the order given.
        members: Vec<PartyId>,
        /// The most it may have.
        limit: usize,
    },
    /// A cooperation has no members, or names one twice.
    #[error("cooperation {cooperation}: {what}")]
    BadCooperation {
        /// The cooperation.
        cooperation: String,
        /// What is wrong.
        what: String,
    },
}

fn at(place: &Option<SourceRef>) -> String {
    place
        .as_ref()
        .map(|p| format!(" ({p})"))
        .unwrap_or_default()
}

fn names(parties: &[PartyId]) -> String {
    let names: Vec<&str> = parties.iter().map(PartyId::as_str).collect();
    names.join(", ")
}

/// Every problem found in one input, reported together: the crate's one collection of
/// problems ([`crate::Problems`]) under its former name.
pub type TransactionProblems = Problems<TransactionError>;

impl Located for TransactionError {
    /// The party, cost (a pool) or cooperation concerned, the field at fault and where the
    /// tariff or count was read.
    fn place(&self) -> Place<'_> {
        use TransactionError as E;
        match self {
            E::BadKind { .. } => Place::default().with_field("kind"),
            E::BadPrice { place, .. } => Place::default()
                .with_field("price")
                .with_source(place.as_ref()),
            E::TariffEndsBeforeStart { place, .. } => Place::default()
                .with_field("valid_to")
                .with_source(place.as_ref()),
            E::OverlappingTariffs { .. } => Place::default().with_field("valid_from"),
            E::UnknownKind { party, place, .. } => Place::party(party)
                .with_field("kind")
                .with_source(place.as_ref()),
            E::NoPrice { party, place, .. } => Place::party(party).with_source(place.as_ref()),
            E::CountSpansPriceChange { party, place, .. }
            | E::CountSpansBillingPeriods { party, place, .. } => Place::party(party)
                .with_field("period")
                .with_source(place.as_ref()),
            E::CountOverflow { party, .. } => Place::party(party).with_field("count"),
            E::ZeroMonths { cost, what } => Place::pool(cost).with_field(what),
            E::Split { problem, .. } => problem.place(),
            E::TooManyMembers { cooperation, .. } | E::BadCooperation { cooperation, .. } => {
                Place {
                    cooperation: Some(cooperation),
                    field: Some("members"),
                    ..Place::default()
                }
            }
            E::OutOfTally { .. }
            | E::CountTooLarge { .. }
            | E::TooManyMonths { .. }
            | E::AmountTooLarge { .. }
            | E::DateOutOfRange { .. } => Place::default(),
        }
    }
}

impl From<BadKind> for TransactionError {
    fn from(e: BadKind) -> TransactionError {
        TransactionError::BadKind { kind: e.kind }
    }
}
