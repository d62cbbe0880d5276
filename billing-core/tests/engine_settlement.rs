//! The engine stepped date by date gives what `invoices_due` gives afresh, also for providers'
//! costs billed in arrears (R10) on settlement days when the agreement has no start: such a day
//! asked for is computed for itself, and a later date, computed afresh, does not count it.

use billing_core::calendar::NaiveDate;
use billing_core::engine::{invoices_due, Engine, History, Model, Settings};
use billing_core::invoice::VatRate;
use billing_core::settlement::ProviderCost;
use billing_core::{Agreement, Money, Party, PartyId};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn pid(id: &str) -> PartyId {
    PartyId::new(id).unwrap()
}

/// Parties `coord`, `a` and `b`, no start, and two costs of `a` (settlement on 31 May and 30
/// November, the default).
fn model(start: Option<NaiveDate>) -> Model {
    let parties = ["coord", "a", "b"]
        .iter()
        .map(|id| Party::new(pid(id), id).with_population(100, None))
        .collect();
    let mut m = Model::new(
        Settings::new(pid("coord"), start),
        Agreement::new(parties).unwrap(),
    );
    let cost = |incurred, kronor| ProviderCost {
        provider: pid("a"),
        description: "servrar".to_owned(),
        incurred,
        amount: Money::from_kronor(kronor),
        vat: VatRate::Zero,
        source: None,
    };
    m.provider_costs = vec![cost(day(2024, 3, 1), 1_000), cost(day(2024, 9, 1), 500)];
    m
}

#[test]
fn a_settlement_day_without_start_is_not_carried() {
    for start in [None, Some(day(2024, 6, 15))] {
        let m = model(start);
        let mut engine = Engine::new(&m, &History::default()).unwrap();
        for date in [day(2024, 5, 31), day(2024, 11, 30)] {
            let stepped = engine.invoices_due(date).unwrap();
            let fresh = invoices_due(&m, date, &History::default()).unwrap();
            assert_eq!(stepped, fresh, "start {start:?}, {date}");
        }
    }
}

#[test]
fn the_first_settlement_bills_the_costs_in_arrears() {
    let m = model(None);
    let billing = invoices_due(&m, day(2024, 5, 31), &History::default()).unwrap();
    assert!(!billing.invoices.is_empty());
    assert!(billing.assumed_dates.is_empty());
    // The later date, afresh, neither assumes the earlier settlement billed nor shows it.
    let later = invoices_due(&m, day(2024, 11, 30), &History::default()).unwrap();
    assert!(later.assumed_dates.is_empty());
}
