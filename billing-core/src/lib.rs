//! `billing-core`: exact cost allocation and billing for Swedish municipalities, regions and
//! federations that share an IT system.
//!
//! The crate is pure: it reads no file, clock or environment. Amounts are exact ([`Money`], in
//! öre); every split adds up to its total to the öre; every allocated amount carries how it was
//! derived ([`Allocation::explain`]).
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
//! let mut pool = Pool::new("system", "System cost", Money::from_kronor(2_000_000), Key::Population);
//! pool.cap = Some(Cap { limit: CapLimit::Fixed(Money::from_kronor(700_000)),
//!                       excess: ExcessPolicy::Redistribute });
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
pub mod error;
pub mod explain;
pub mod money;
pub mod pool;
pub mod thresholds;

pub use agreement::{Agreement, Party, PartyId, Population, SourceRef, Sourced};
pub use apportion::{apportion, ApportionError, Apportionment, Portion};
pub use error::{Finding, PoolId, Problems, SplitError};
pub use explain::{Explanation, Step};
pub use money::{Currency, Money, MoneyError, RoundingMode, RoundingPolicy, RoundingUnit};
pub use pool::{
    allocate, allocate_all, Allocation, AppliedCap, Cap, CapLimit, ExcessPolicy, Instalment, Key,
    Outside, Part, Participants, Pool, Ratio, Round,
};
pub use thresholds::{Threshold, ThresholdTable};

pub mod calendar;
pub mod engine;

pub mod transactions;
pub use transactions::{
    fee_review, price_counts, price_tally, Cooperation, Count, FeeReview, Kind, PricedLine, Tally,
    Tariff, TariffTable, TransactionError, TransactionProblems, UnitPrice,
};
