//! A whole agreement built from Rust values (no workbook): four parties, a capped system cost
//! shared by population, a user register, one entry and one notice. Computes the invoices of
//! two dates, feeding the first date's fee lines back as history, and prints them as JSON.
//!
//! Run with `cargo run -q -p billing-core --example agreement`.

use billing_core::calendar::{NaiveDate, Registration, UserId};
use billing_core::engine::{invoices_due, History, Model, ScheduledPool, Settings, Terms};
use billing_core::{
    Agreement, Cap, CapLimit, ExcessPolicy, Key, Money, Party, PartyId, Pool, Sourced,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).ok_or("no such day");
    let id = |s: &str| PartyId::new(s);
    let party = |s: &str, pop| {
        Ok::<_, billing_core::SplitError>(Party::new(id(s)?, s).with_population(pop, None))
    };
    let agreement = Agreement::new(vec![
        party("region", 150_000)?,
        party("a", 600_000)?,
        party("b", 250_000)?,
        party("new", 50_000)?,
    ])?;

    let mut model = Model::new(
        Settings::new(id("region")?, Some(day(2010, 1, 1)?)),
        agreement,
    );
    model.annual_fee = Some(Sourced::new(Money::from_kronor(12_000)));
    model.terms = vec![
        Terms::new(id("new")?).joined(day(2011, 4, 1)?, vec![id("region")?, id("a")?, id("b")?]),
        Terms::new(id("b")?).notice(day(2010, 6, 30)?),
    ];
    let system = Pool::builder(
        "system-2011",
        "System",
        Money::from_kronor(2_000_000),
        Key::Population,
    )
    .cap(Cap::new(
        CapLimit::Fixed(Money::from_kronor(700_000)),
        ExcessPolicy::Redistribute,
    ))
    .build()?;
    model.pools = vec![ScheduledPool::new(system, vec![day(2011, 1, 1)?])];
    for (p, users, from) in [
        ("region", 3, day(2010, 1, 1)?),
        ("a", 10, day(2010, 1, 1)?),
        ("b", 5, day(2010, 1, 1)?),
        ("new", 4, day(2011, 4, 1)?),
    ] {
        for u in 0..users {
            let user = UserId::new(&format!("{p}-{u}"));
            model
                .registrations
                .push(Registration::new(id(p)?, user, from, None));
        }
    }

    let mut history = History::default();
    let mut out = Vec::new();
    for date in [day(2011, 1, 1)?, day(2011, 7, 1)?] {
        let billing = invoices_due(&model, date, &history).map_err(|problems| {
            let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            text.join("\n")
        })?;
        // What an issuing caller records: the fee lines and the date.
        history.fee_lines.extend(billing.fee_lines.iter().cloned());
        history.dates.insert(date);
        out.push(serde_json::json!({
            "date": date,
            "invoices": billing.invoices,
            "issuer_share": billing.issuer_share,
        }));
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
