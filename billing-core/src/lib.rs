//! `billing-core`: exact cost allocation and billing for Swedish municipalities, regions and
//! federations that share an IT system.
//!
//! The crate is pure: it reads no file, clock or environment. Amounts are exact ([`Money`], in
//! öre); every split adds up to its total to the öre; every allocated amount carries how it was
//! derived ([`Allocation::explain`]).
//!
//! The rules it implements (R1–R16, each decision and worked figure) are written in
//! `docs/rules.md` of the repository.
//!
//! - [`engine`]: a whole agreement ([`engine::Model`]) in, the invoices of a date out
//!   ([`engine::invoices_due`]), with allocations, fee lines, findings, fee reviews and the
//!   cash-flow timeline.
//! - The building blocks it uses, one module per rule (each module's documentation starts with
//!   its rule; no module imports one that imports it back, which `tests/layout.rs` checks):
//!
//! | rule | module |
//! |---|---|
//! | R1 Population share | [`pool::population`] (the split: [`allocate`]) |
//! | R2 Procurement cap | [`pool::cap`], the LOU table in [`thresholds`] |
//! | R3 Cost per user, with users outside the parties | [`pool::users`] |
//! | R4 Who counts as a user | [`calendar::register`] |
//! | R5 The annual user fee | [`calendar::fee`] |
//! | R6 Half-yearly invoicing in advance | [`calendar::advance`], the line itself in [`calendar::fee_line`] |
//! | R7 Corrections on the next invoice | [`calendar::correction`] |
//! | R8 Entry | [`calendar::membership::entry`] |
//! | R9 Exit | [`calendar::membership::exit`] |
//! | R10 Arrears settlement among the providers | [`settlement`] |
//! | R11 Transactions | [`transactions`] ([`transactions::tariff`], [`transactions::tally`], [`transactions::pricing`]) |
//! | R12 Fixed and one-off costs | [`costs`] |
//! | R13 Cooperations with a member limit and one fee | [`cooperation`] |
//! | R14 Pools shared by a subset | [`pool::subset`] |
//! | R15 Invoices | [`invoice`], OCR and organisation numbers in [`invoice::ids`] |
//! | R16 Every figure can be explained | [`explain`] |
//! | splitting to the öre (largest remainder) | [`mod@apportion`] |
//! | the whole agreement on a date | [`engine`] |
//!
//! # Example: a whole agreement invoiced on three dates
//!
//! Four parties (the region coordinates), a system cost capped at 700,000 kr per party with
//! the excess redistributed, a user register, one entry and one notice.
//!
//! ```
//! use billing_core::calendar::{NaiveDate, Registration, UserId};
//! use billing_core::engine::{invoices_due, History, Model, ScheduledPool, Settings, Terms};
//! use billing_core::{Agreement, Cap, CapLimit, ExcessPolicy, Key, Money, Party, PartyId, Pool,
//!                    Sourced};
//!
//! let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
//! let id = |s: &str| PartyId::new(s).unwrap();
//! let party = |s: &str, pop| Party::new(id(s), s).with_population(pop, None);
//! let agreement = Agreement::new(vec![party("region", 150_000), party("a", 600_000),
//!                                     party("b", 250_000), party("new", 50_000)]).unwrap();
//! let mut model = Model::new(Settings::new(id("region"), Some(day(2010, 1, 1))), agreement);
//! model.annual_fee = Some(Sourced::new(Money::from_kronor(12_000)));
//! model.terms = vec![
//!     // Joins 2011-04-01 (first year at twice the fee); b's membership ends 2011-06-30.
//!     Terms::new(id("new")).joined(day(2011, 4, 1), vec![id("region"), id("a"), id("b")]),
//!     Terms::new(id("b")).notice(day(2010, 6, 30)),
//! ];
//! let system = Pool::builder("system", "System", Money::from_kronor(2_000_000), Key::Population)
//!     .cap(Cap::new(CapLimit::Fixed(Money::from_kronor(700_000)), ExcessPolicy::Redistribute))
//!     .build()
//!     .unwrap();
//! model.pools = vec![ScheduledPool::new(system, vec![day(2011, 1, 1)])];
//! for (p, users, from) in [("region", 3, day(2010, 1, 1)), ("a", 10, day(2010, 1, 1)),
//!                          ("b", 5, day(2010, 1, 1)), ("new", 4, day(2011, 4, 1))] {
//!     for u in 0..users {
//!         let user = UserId::new(&format!("{p}-{u}"));
//!         model.registrations.push(Registration::new(id(p), user, from, None));
//!     }
//! }
//!
//! let mut history = History::default();
//! let mut totals = Vec::new();
//! for date in [day(2011, 1, 1), day(2011, 7, 1), day(2012, 1, 1)] {
//!     let billing = invoices_due(&model, date, &history).unwrap();
//!     for i in &billing.invoices {
//!         totals.push(format!("{date} {} {}", i.buyer, i.payable));
//!     }
//!     // The region's own share is computed, never invoiced (R15).
//!     assert!(billing.issuer_share.is_some());
//!     // Record what was issued: later corrections are computed against it.
//!     history.fee_lines.extend(billing.fee_lines);
//!     history.dates.insert(date);
//! }
//! assert_eq!(totals, [
//!     "2011-01-01 a 760000.00",     // advance 60,000 + the capped system cost 700,000
//!     "2011-01-01 b 730000.00",     // advance 30,000 for its last half-year + 700,000
//!     "2011-07-01 a 60000.00",
//!     "2011-07-01 new 72132.60",    // 4 · 6,000 · 91·2/181 for H1, then 4 · 6,000 · 2 for H2
//!     "2012-01-01 a 60000.00",
//!     "2012-01-01 new 36000.00",    // first year until 2012-03-31: 4 · 6,000 · (91·2 + 91)/182
//! ]);
//! ```
//!
//! # Errors
//!
//! The crate has one error type, [`Error`]: every error a function returns converts into it,
//! so a caller can write `Result<_, billing_core::Error>` and use `?` on anything. Problems
//! are collected, not stopped at the first: each function returns every problem of its input
//! at once, as [`Problems<E>`] (the calendar's [`calendar::CalendarProblems`], the
//! transactions' [`TransactionProblems`], a split's `Problems<SplitError>`, the engine's list
//! of [`engine::Problem`]). Every problem tells where it is, as data ([`Place`]: the pool,
//! party or cooperation, the field at fault, the caller's source reference), so that a caller
//! can point it at the exact cell it read.
//!
//! ```
//! use billing_core::{allocate, Agreement, Cap, CapLimit, ExcessPolicy, Error, Key, Money,
//!                    Party, PartyId, Pool, ThresholdTable};
//!
//! fn split(cap: i64) -> Result<Money, Error> {
//!     let party = |id: &str, pop| -> Result<Party, Error> {
//!         Ok(Party::new(PartyId::new(id)?, id).with_population(pop, None))
//!     };
//!     let agreement = Agreement::new(vec![party("a", 600)?, party("b", 400)?])?;
//!     let pool = Pool::builder("system", "System", Money::from_kronor(1_000), Key::Population)
//!         .cap(Cap::new(CapLimit::Fixed(Money::from_kronor(cap)), ExcessPolicy::Redistribute))
//!         .build()?;
//!     let (allocation, _findings) = allocate(&agreement, &pool, &ThresholdTable::swedish_lou())?;
//!     // Each kind of error converts: a bad party id, a pool's or a split's problems, a money
//!     // error.
//!     Ok(Money::try_from_ore(allocation.parts.iter().map(|p| p.amount.ore()).sum())?)
//! }
//!
//! assert_eq!(split(800).unwrap(), Money::from_kronor(1_000));
//! let error = split(0).unwrap_err();
//! assert_eq!(error.to_string(), "1 problem\n  pool system: the cap must be above 0, found 0.00");
//! // Where: the pool and the field at fault, as data.
//! let place = error.places()[0];
//! assert_eq!((place.pool, place.field), (Some("system"), Some("cap")));
//! ```
//!
//! # Example: a system cost shared by population, capped at the LOU threshold
//!
//! ```
//! use billing_core::{allocate, Agreement, Cap, CapLimit, ExcessPolicy, Key, Money, Party,
//!                    PartyId, Pool, ThresholdTable};
//!
//! let party = |id: &str, pop: u64| Party::new(PartyId::new(id).unwrap(), id).with_population(pop, None);
//! let agreement = Agreement::new(vec![
//!     party("A", 600_000), party("B", 250_000), party("C", 100_000), party("D", 50_000),
//! ]).unwrap();
//!
//! let pool = Pool::builder("system", "System cost", Money::from_kronor(2_000_000), Key::Population)
//!     .cap(Cap::new(CapLimit::Fixed(Money::from_kronor(700_000)), ExcessPolicy::Redistribute))
//!     .build()
//!     .unwrap();
//!
//! let (allocation, findings) = allocate(&agreement, &pool, &ThresholdTable::swedish_lou()).unwrap();
//! let paid: Vec<String> = allocation.parts.iter().map(|p| p.amount.to_string()).collect();
//! assert_eq!(paid, ["700000.00", "700000.00", "400000.00", "200000.00"]);
//! assert!(findings.is_empty());
//!
//! // Every part explains itself, in words and numbers.
//! let why = allocation.explain(&PartyId::new("C").unwrap()).unwrap();
//! assert!(why.to_string().contains("400 000,00"));
//! ```

pub mod agreement;
pub mod apportion;
pub mod cooperation;
pub mod costs;
mod crate_error;
pub mod error;
pub mod explain;
pub mod id;
pub mod invoice;
pub mod money;
pub mod pool;
mod problems;
mod quantity;
mod text;
pub mod thresholds;

pub use agreement::{Agreement, BadPartyId, Party, PartyId, Population, SourceRef, Sourced};
pub use apportion::{apportion, ApportionError, Apportionment, Portion};
pub use crate_error::Error;
pub use error::{Finding, PoolId, SplitError};
pub use explain::{Explanation, Figure, Language, Step, Text};
pub use money::{Currency, Money, MoneyError, RoundingMode, RoundingPolicy, RoundingUnit};
pub use pool::split::{allocate, allocate_all};
pub use pool::{
    Allocation, AppliedCap, Cap, CapLimit, ExcessPolicy, Instalment, Key, Outside, Part,
    Participants, Pool, PoolBuilder, Ratio, Round,
};
pub use problems::{Located, Place, Problems};
pub use settlement::{
    arrears_invoices, cash_flow, CashEntry, PartyTimeline, ProviderCost, SettlementDays,
};
pub use thresholds::{Threshold, ThresholdTable};

pub mod calendar;
pub mod engine;
pub mod settlement;
pub mod year;

pub mod transactions;
pub use cooperation::{fee_review, Cooperation, FeeReview};
pub use transactions::{
    price_counts, price_tally, Count, Kind, PricedLine, Tally, Tariff, TariffTable,
    TransactionError, TransactionProblems, UnitPrice,
};
