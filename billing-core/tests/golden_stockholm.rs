//! Seed 003: the 26 municipalities of Stockholm county share 2,000,000 kr for the system by
//! population (SCB, 2016-12-31), each capped at the 2020 LOU threshold of 615,312 kr, under each
//! excess policy. The expected figures are in `testdata/splits/stockholm-2020/expected.csv`.
//!
//! How the expected figures were checked: `python3 testdata/splits/stockholm-2020/check.py`
//! recomputes every row independently, with Python's exact `fractions.Fraction`, its own
//! largest-remainder and water-filling code and no code shared with this crate, and compares them
//! with `expected.csv` (it prints `26 municipalities × 4 policies: all figures agree`).
//! `.ci/run` runs it too. `UPDATE_GOLDEN=1 cargo test` rewrites the file from the engine; a
//! rewritten file is reviewed like code.

use std::fmt::Write as _;
use std::path::PathBuf;

use billing_core::{
    allocate, Agreement, Cap, CapLimit, ExcessPolicy, Key, Money, Party, PartyId, Pool, SourceRef,
    ThresholdTable,
};
use chrono::NaiveDate;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

/// The municipalities of Stockholm county with the line each was read from, and the region.
fn agreement() -> Agreement {
    let text = std::fs::read_to_string(testdata().join("municipalities-2016.csv")).unwrap();
    let mut parties: Vec<Party> = text
        .lines()
        .enumerate()
        .skip(1)
        .filter_map(|(line, row)| {
            let cells: Vec<&str> = row.split(',').collect();
            (cells[2] == "Stockholms län").then(|| {
                let mut party = Party::new(PartyId::new(cells[0]).unwrap(), cells[1])
                    .with_population(
                        cells[3].parse().unwrap(),
                        NaiveDate::from_ymd_opt(2016, 12, 31),
                    );
                let place = format!("municipalities-2016.csv:{}", line + 1);
                party.population.as_mut().unwrap().source = Some(SourceRef::new(&place));
                party
            })
        })
        .collect();
    assert_eq!(parties.len(), 26);
    parties.push(Party::new(PartyId::new("01").unwrap(), "Region Stockholm"));
    Agreement::new(parties).unwrap()
}

fn pool(agreement: &Agreement, excess: Option<ExcessPolicy>) -> Pool {
    let mut pool = Pool::builder(
        "system-2020",
        "IT-stöd vid utskrivning 2020",
        Money::from_kronor(2_000_000),
        Key::Population,
    )
    .year(2020)
    .participants(
        agreement
            .parties()
            .iter()
            .filter(|p| p.population.is_some())
            .map(|p| p.id.clone())
            .collect(),
    );
    if let Some(excess) = excess {
        pool = pool.cap(Cap::new(CapLimit::Lou, excess));
    }
    pool.build().unwrap()
}

#[test]
fn stockholm_county_2020_under_each_policy() {
    let agreement = agreement();
    let region = PartyId::new("01").unwrap();
    let policies = [
        ("none", None),
        ("absorb:01", Some(ExcessPolicy::Absorb(region))),
        ("redistribute", Some(ExcessPolicy::Redistribute)),
        ("uncovered", Some(ExcessPolicy::Uncovered)),
    ];
    let mut csv = String::from("policy,party,name,population,amount\n");
    for (name, excess) in policies {
        let pool = pool(&agreement, excess);
        let (a, _) = allocate(&agreement, &pool, &ThresholdTable::swedish_lou()).unwrap();
        if let Some(cap) = &a.cap {
            assert_eq!(cap.limit, Money::from_kronor(615_312));
        }
        for part in &a.parts {
            let party = agreement.party(&part.party).unwrap();
            writeln!(
                csv,
                "{name},{},{},{},{}",
                part.party, party.name, part.basis, part.amount
            )
            .unwrap();
        }
        if let Some((party, amount)) = &a.absorbed {
            writeln!(csv, "{name},{party},absorbed,,{amount}").unwrap();
        }
        if !a.uncovered.is_zero() || name == "uncovered" {
            writeln!(csv, "{name},,uncovered,,{}", a.uncovered).unwrap();
        }
        let absorbed = a.absorbed.as_ref().map(|x| x.1).unwrap_or_default();
        assert_eq!(a.allocated() + absorbed + a.uncovered, pool.amount());
    }
    let path = testdata().join("splits/stockholm-2020/expected.csv");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &csv).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(csv, expected, "differs from {}", path.display());
}
