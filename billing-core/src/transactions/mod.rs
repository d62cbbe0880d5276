//! R11 Transactions: counted transactions priced at the tariff valid on each one's date
//! (docs/rules.md, section "R11 Transactions"). Fixed and one-off costs (R12) are
//! [`crate::costs`] and cooperations (R13) [`crate::cooperation`], each the one path of its
//! items: both import this module's errors and prices, so re-exporting them here would make
//! `transactions` depend on modules that depend on it.
//!
//! The crate stays pure here too: rows come in as values (a [`Tally`] of one row per
//! transaction, or pre-counted [`Count`]s), never as files; `billing-report` reads the files.
//!
//! - [`TariffTable`]: unit prices per [`Kind`] with validity dates, never two valid at once.
//! - [`Tally`]: counts per party, kind and day, with an allocation-free hot path.
//! - [`price_tally`] and [`price_counts`]: one [`PricedLine`] per party, kind, billing period
//!   and price, each transaction at the price valid on its date.
//! - In [`crate::costs`], [`recurring_lines`](crate::costs::recurring_lines) and
//!   [`one_off_lines`](crate::costs::one_off_lines): fixed costs through any key, a one-off cost
//!   optionally spread over months.
//! - In [`crate::cooperation`], [`Cooperation`](crate::cooperation::Cooperation) and
//!   [`fee_review`](crate::cooperation::fee_review): the member limit, the fee pool and the
//!   yearly review.
//!
//! # Example: a month with a price change
//!
//! ```
//! use std::sync::Arc;
//! use billing_core::transactions::*;
//! use billing_core::PartyId;
//! use chrono::NaiveDate;
//!
//! let day = |m, d| NaiveDate::from_ymd_opt(2017, m, d).unwrap();
//! let login = Kind::new("login").unwrap();
//! let tariffs = TariffTable::new(vec![
//!     Tariff::new(login.clone(), UnitPrice::from_ore(30), day(1, 1), Some(day(4, 15))),
//!     Tariff::new(login.clone(), UnitPrice::from_ore(35), day(4, 16), None),
//! ]).unwrap();
//!
//! let sigtuna = PartyId::new("0191").unwrap();
//! let mut tally = Tally::new(Arc::from([sigtuna.clone()]), Arc::from([login.clone()]), 12);
//! tally.add_named(day(4, 2), &sigtuna, &login, 100).unwrap();
//! tally.add_named(day(4, 20), &sigtuna, &login, 10).unwrap();
//!
//! let lines = price_tally(&tally, &tariffs, &monthly()).unwrap();
//! let shown: Vec<String> = lines.iter().map(|l| format!("{} {}", l.description(), l.amount)).collect();
//! assert_eq!(shown, [
//!     "login 2017-04-01..2017-04-15: 100 × 0,30 kr 30.00",
//!     "login 2017-04-16..2017-04-30: 10 × 0,35 kr 3.50",
//! ]);
//! ```

pub mod count;
pub mod error;
pub mod kind;
pub mod pricing;
pub mod tally;
pub mod tariff;

pub use error::{TransactionError, TransactionProblems};
pub use kind::BadKind;
pub use pricing::{monthly, price_counts, price_tally, yearly, Count, PricedLine};
pub use tally::{Day, Tally};
pub use tariff::{Kind, Tariff, TariffTable, UnitPrice};
