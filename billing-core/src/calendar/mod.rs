//! The agreement calendar (seed 004, docs/rules.md R4–R9), one module per rule:
//!
//! | rule | module |
//! |---|---|
//! | R4 Who counts as a user | [`register`] |
//! | R5 The annual user fee | [`fee`] |
//! | R6 Half-yearly invoicing in advance | [`advance`] (the line itself: [`fee_line`]) |
//! | R7 Corrections on the next invoice | [`correction`] |
//! | R8 Entry | [`membership::entry`] |
//! | R9 Exit | [`membership::exit`] |
//!
//! Periods ([`Period`], [`PeriodStarts`], each public at this one path) and errors ([`error`])
//! are shared by them. This module only re-exports their items. Invoice assembly (R15) is
//! [`crate::invoice`], not part of the calendar, and its items are not re-exported here:
//! `invoice` imports the calendar's periods and fee lines, so a re-export would make the
//! calendar depend on a module that depends on it. For the same reason the providers' arrears
//! settlement (R10), which assembles invoices, is [`crate::settlement`], outside the calendar:
//! the calendar is imported by `invoice`, which `settlement` imports, and imports neither.
//!
//! Still pure: dates, the user register and the lines issued earlier are arguments.
//!
//! # Example: the second worked example of R7
//!
//! ```
//! use billing_core::calendar::*;
//! use billing_core::{Agreement, Money, Party, PartyId};
//! use chrono::NaiveDate;
//!
//! let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
//! let id = |s: &str| PartyId::new(s).unwrap();
//! let agreement = Agreement::new(vec![
//!     Party::new(id("a"), "A"), Party::new(id("b"), "B"), Party::new(id("new"), "New"),
//! ]).unwrap();
//! let founding = ["a", "b"].map(|p| Membership::founding(id(p), day(2010, 1, 1)));
//! let mut members = Members::new(founding.to_vec(), &agreement).unwrap();
//! let entry = EntryRequest { party: id("new"), joining: day(2011, 4, 1), approvals: vec![id("a"), id("b")] };
//! members.admit(&entry, &EntryRule::default()).unwrap();
//!
//! let rows: Vec<Registration> = (0..4)
//!     .map(|u| Registration::new(id("new"), UserId::new(&u.to_string()), day(2011, 4, 1), None))
//!     .collect();
//! let register = Register::new(&rows, &agreement).unwrap();
//! let fees = FeeSchedule::new(vec![AnnualFee::given(day(2010, 1, 1), Money::from_kronor(12_000), None)]).unwrap();
//!
//! let dates = [day(2011, 1, 1), day(2011, 7, 1), day(2012, 1, 1)];
//! let lines = bill_dates(&dates, &CalendarConfig::default(), &fees, &members,
//!                        Users::Register(&register), &[]).unwrap();
//! let new: Vec<String> = lines.iter().filter(|l| l.party == id("new"))
//!     .map(|l| format!("{} {:?} {}", l.invoice_date, l.kind, l.amount)).collect();
//! assert_eq!(new, [
//!     "2011-07-01 Correction 24132.60",
//!     "2011-07-01 Advance 48000.00",
//!     "2012-01-01 Correction 0.00",
//!     "2012-01-01 Advance 36000.00",
//! ]);
//! ```

pub mod advance;
pub mod correction;
pub mod error;
pub mod fee;
pub mod fee_line;
pub mod membership;
pub(crate) mod period;
pub(crate) mod period_starts;
pub mod register;

/// The date type of every calendar argument, re-exported so callers need no `chrono` of their own.
pub use chrono::NaiveDate;

pub use advance::{bill_dates, fee_lines};
pub use error::{CalendarError, CalendarProblems};
pub use fee::{annual_fee, AnnualFee, Budget, BudgetLine, FeePolicy, FeeSchedule};
pub use fee_line::{CalendarConfig, CalendarConfigBuilder, CorrectionPolicy, FeeLine, FeeLineKind};
pub use membership::entry::{EntryRequest, EntryRule};
pub use membership::exit::{extraction_pool, ExitRule};
pub use membership::{FirstYear, Members, Membership};
pub use period::Period;
pub use period_starts::PeriodStarts;
pub use register::{Register, Registration, UserCount, UserCounts, UserId, Users};
