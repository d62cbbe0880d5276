//! Every problem of one input, reported together, and where each one is, as data.
//!
//! [`Problems<E>`] is the one collection of problems of the crate: a split's
//! ([`crate::SplitError`]), the calendar's ([`crate::calendar::CalendarError`]), the
//! transactions' ([`crate::TransactionError`]) and the engine's ([`crate::engine::Problem`]).
//! Each problem tells where it is with [`Located::place`].

use std::fmt;

use crate::id::{PartyId, SourceRef};

/// Every problem found in one input, in the order found; never empty when returned as an error.
///
/// `Problems<SplitError>` are a split's problems, [`crate::calendar::CalendarProblems`] and
/// [`crate::TransactionProblems`] are the names of the calendar's and the transactions'.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problems<E>(Vec<E>);

impl<E> Problems<E> {
    /// Problems from a list.
    pub fn new(problems: Vec<E>) -> Problems<E> {
        Problems(problems)
    }

    /// The problems, in the order found.
    pub fn problems(&self) -> &[E] {
        &self.0
    }

    /// The problems, owned.
    pub fn into_vec(self) -> Vec<E> {
        self.0
    }

    /// `Ok(value)` when `problems` is empty, else all of them.
    ///
    /// # Errors
    /// The problems, when there are any.
    pub fn check<T>(value: T, problems: Vec<E>) -> Result<T, Problems<E>> {
        if problems.is_empty() {
            Ok(value)
        } else {
            Err(Problems(problems))
        }
    }
}

impl<E: Located> Problems<E> {
    /// Where each problem is, in the order found.
    pub fn places(&self) -> Vec<Place<'_>> {
        self.0.iter().map(Located::place).collect()
    }
}

impl<E: fmt::Display> fmt::Display for Problems<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} problem{}", if n == 1 { "" } else { "s" })?;
        for problem in &self.0 {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

impl<E: fmt::Display + fmt::Debug> std::error::Error for Problems<E> {}

impl<E> From<E> for Problems<E> {
    fn from(e: E) -> Problems<E> {
        Problems(vec![e])
    }
}

impl<E> From<Vec<E>> for Problems<E> {
    fn from(problems: Vec<E>) -> Problems<E> {
        Problems(problems)
    }
}

impl<E> IntoIterator for Problems<E> {
    type Item = E;
    type IntoIter = std::vec::IntoIter<E>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, E> IntoIterator for &'a Problems<E> {
    type Item = &'a E;
    type IntoIter = std::slice::Iter<'a, E>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Where a problem is, as data: the pool, party or cooperation it concerns, the field at fault
/// and the caller's source reference, each where known.
///
/// A caller that read the agreement from a table points the problem at the cell of `field` in
/// the row of `pool` or `party` (or at `source`, when given).
///
/// ```
/// use billing_core::{allocate, Agreement, Cap, CapLimit, ExcessPolicy, Key, Located, Money,
///                    Party, PartyId, Pool, ThresholdTable};
///
/// let a = Party::new(PartyId::new("a").unwrap(), "A").with_population(100, None);
/// let agreement = Agreement::new(vec![a]).unwrap();
/// // A `lou` cap needs the year the pool is billed for.
/// let pool = Pool::builder("system", "System", Money::from_kronor(1_000), Key::Population)
///     .cap(Cap::new(CapLimit::Lou, ExcessPolicy::Redistribute))
///     .build()
///     .unwrap();
/// let problems = allocate(&agreement, &pool, &ThresholdTable::swedish_lou()).unwrap_err();
/// let place = problems.problems()[0].place();
/// assert_eq!((place.pool, place.field), (Some("system"), Some("year")));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Place<'a> {
    /// The pool concerned.
    pub pool: Option<&'a str>,
    /// The party concerned.
    pub party: Option<&'a PartyId>,
    /// The cooperation concerned.
    pub cooperation: Option<&'a str>,
    /// The field at fault, by the name of the model's part: `amount`, `cap`, `key`,
    /// `participants`, `due`, `population`, `joined`, …
    pub field: Option<&'static str>,
    /// The caller's reference of the place, when it gave one (a cell, a file and line).
    pub source: Option<&'a SourceRef>,
}

impl<'a> Place<'a> {
    /// Nowhere in particular: the input as a whole.
    pub const NOWHERE: Place<'static> = Place {
        pool: None,
        party: None,
        cooperation: None,
        field: None,
        source: None,
    };

    /// A pool's place.
    pub fn pool(pool: &'a str) -> Place<'a> {
        Place {
            pool: Some(pool),
            ..Place::default()
        }
    }

    /// A party's place.
    pub fn party(party: &'a PartyId) -> Place<'a> {
        Place {
            party: Some(party),
            ..Place::default()
        }
    }

    /// The same place with the party concerned.
    pub fn with_party(mut self, party: &'a PartyId) -> Place<'a> {
        self.party = Some(party);
        self
    }

    /// The same place with the field at fault.
    pub fn with_field(mut self, field: &'static str) -> Place<'a> {
        self.field = Some(field);
        self
    }

    /// The same place with the caller's source reference, when there is one.
    pub fn with_source(mut self, source: Option<&'a SourceRef>) -> Place<'a> {
        self.source = source.or(self.source);
        self
    }
}

/// A problem that can tell where it is.
pub trait Located {
    /// Where the problem is.
    fn place(&self) -> Place<'_>;
}
