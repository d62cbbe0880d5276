//! Transactions counted: one party, one kind, a run of days, how many (R11). Both a tally and
//! a pre-counted file give counts; pricing reads them.

use crate::agreement::{PartyId, SourceRef};
use crate::calendar::Period;
use crate::transactions::kind::Kind;

/// A number of transactions of one kind by one party over a period: a pre-counted row, or a
/// run of days of a [`crate::transactions::Tally`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Count {
    /// The party.
    pub party: PartyId,
    /// The kind.
    pub kind: Kind,
    /// The days counted; all its transactions must share one price and one billing period.
    pub period: Period,
    /// How many.
    pub count: u64,
    /// Where the row was read, e.g. `counts.csv:12`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub source: Option<SourceRef>,
}
