//! The crate's one error type: every error a function of the crate returns converts into it,
//! so a caller can write `Result<_, billing_core::Error>` and `?` anything.

use crate::apportion::ApportionError;
use crate::calendar::error::CalendarError;
use crate::engine::Problem;
use crate::error::SplitError;
use crate::id::BadPartyId;
use crate::money::MoneyError;
use crate::problems::{Place, Problems};
use crate::transactions::error::TransactionError;
use crate::transactions::kind::BadKind;

/// Any error of `billing-core`, by the rules it comes from; each problem tells where it is
/// ([`Error::places`]).
///
/// Every error type of the crate converts into it with `?`: the problems of a split, of the
/// calendar, of transactions and of the agreement model, a bad party id or kind, money and
/// apportioning errors.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The problems of splitting pools among parties (R1–R3, R12, R14), or of the parties.
    #[error(transparent)]
    Split(Problems<SplitError>),
    /// The problems of the calendar: users, budgets, memberships, fees, invoices (R4–R10, R15).
    #[error(transparent)]
    Calendar(Problems<CalendarError>),
    /// The problems of transactions, tariffs, costs and cooperations (R11–R13).
    #[error(transparent)]
    Transaction(Problems<TransactionError>),
    /// The problems of a whole agreement model ([`crate::engine`]).
    #[error(transparent)]
    Model(Problems<Problem>),
    /// Money arithmetic beyond its range, or amounts in different currencies.
    #[error(transparent)]
    Money(MoneyError),
    /// An amount that cannot be apportioned.
    #[error(transparent)]
    Apportion(ApportionError),
}

impl Error {
    /// Where each problem is, in the order found (one place, nowhere in particular, for money
    /// and apportioning errors).
    pub fn places(&self) -> Vec<Place<'_>> {
        match self {
            Error::Split(p) => p.places(),
            Error::Calendar(p) => p.places(),
            Error::Transaction(p) => p.places(),
            Error::Model(p) => p.places(),
            Error::Money(_) | Error::Apportion(_) => vec![Place::default()],
        }
    }

    /// How many problems it holds (1 for money and apportioning errors).
    pub fn len(&self) -> usize {
        self.places().len()
    }

    /// Never true: an error holds at least one problem.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

macro_rules! from {
    ($variant:ident, $problem:ty) => {
        impl From<Problems<$problem>> for Error {
            fn from(e: Problems<$problem>) -> Error {
                Error::$variant(e)
            }
        }
        impl From<$problem> for Error {
            fn from(e: $problem) -> Error {
                Error::$variant(Problems::from(e))
            }
        }
        impl From<Vec<$problem>> for Error {
            fn from(e: Vec<$problem>) -> Error {
                Error::$variant(Problems::new(e))
            }
        }
    };
}

from!(Split, SplitError);
from!(Calendar, CalendarError);
from!(Transaction, TransactionError);
from!(Model, Problem);

impl From<MoneyError> for Error {
    fn from(e: MoneyError) -> Error {
        Error::Money(e)
    }
}

impl From<ApportionError> for Error {
    fn from(e: ApportionError) -> Error {
        Error::Apportion(e)
    }
}

impl From<BadPartyId> for Error {
    fn from(e: BadPartyId) -> Error {
        Error::from(SplitError::from(e))
    }
}

impl From<BadKind> for Error {
    fn from(e: BadKind) -> Error {
        Error::from(TransactionError::from(e))
    }
}
