//! The setting `fee_rounding` (`avgiftsavrundning`, R5): how the annual fee F = B / N from a
//! budget is kept, öre (the default), kronor or exakt, read from the Settings sheet and used by
//! every user-fee line. DOMAIN's figures: 1,000,000 kr over 90 users, 18 at each of five
//! parties, all year.

mod common;

use std::path::Path;

use common::*;

/// A CSV folder in `dir`: the coordinator 0100 (no users) and five parties with 18 users each
/// from 2010-01-01, a budget of 1,000,000 kr, and the setting row `setting` if any.
fn case(dir: &Path, setting: Option<(&str, &str)>) {
    let rows = |r: &[&[&str]]| -> Vec<Vec<String>> {
        r.iter()
            .map(|row| row.iter().map(|c| (*c).to_owned()).collect())
            .collect()
    };
    let mut settings = rows(&[
        &["setting", "value"],
        &["name", "Avgiftsexempel"],
        &["issuer", "0100"],
        &["start", "2010-01-01"],
    ]);
    if let Some((key, value)) = setting {
        settings.push(vec![key.to_owned(), value.to_owned()]);
    }
    write_csv(&dir.join("Settings.csv"), &settings);
    let parties = ["0101", "0102", "0103", "0104", "0105"];
    let mut party_rows = rows(&[
        &["id", "name", "kind", "roles"],
        &["0100", "Samordnaren", "municipality", "coordinator"],
    ]);
    let mut counts = rows(&[&["party", "date", "count"]]);
    for p in parties {
        party_rows.push(vec![
            p.to_owned(),
            format!("Kommun {p}"),
            "municipality".to_owned(),
            String::new(),
        ]);
        counts.push(vec![p.to_owned(), "2010-01-01".to_owned(), "18".to_owned()]);
    }
    write_csv(&dir.join("Parties.csv"), &party_rows);
    write_csv(&dir.join("UserCounts.csv"), &counts);
    write_csv(
        &dir.join("Budget.csv"),
        &rows(&[
            &["valid_from", "line", "amount", "reference_date"],
            &["2010-01-01", "Drift", "1000000.00", "2010-01-01"],
        ]),
    );
}

/// The amounts of the advance lines billed on 2010-01-01 and 2010-07-01, and their sum in öre.
fn year_of_advances(setting: Option<(&str, &str)>) -> (Vec<String>, i64) {
    let dir = tmp();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    case(&input, setting);
    let mut amounts = Vec::new();
    for date in ["2010-01-01", "2010-07-01"] {
        let out = dir.path().join(date);
        cli(&[
            "run",
            s(&input),
            "--date",
            date,
            "--out",
            s(&out),
            "--quiet",
        ])
        .expect(0);
        amounts.extend(
            lines(&out.join("lines.csv"))
                .into_iter()
                .filter(|l| l["line_kind"] == "advance")
                .map(|l| l["amount"].clone()),
        );
    }
    let ore = amounts
        .iter()
        .map(|a| a.replace('.', "").parse::<i64>().unwrap())
        .sum();
    (amounts, ore)
}

/// Öre by default: F = 11,111.11, each half-year line 18 × 11,111.11 / 2 = 99,999.99, the year
/// 999,999.90; whole kronor: F = 11,111.00, lines 99,999.00, the year 999,990.00; exact (the
/// Swedish name and value): lines 100,000.00, the year exactly the budget, 1,000,000.00.
#[test]
fn fee_rounding_setting_gives_domains_figures() {
    for (setting, line, year) in [
        (None, "99999.99", 99_999_990),
        (Some(("fee_rounding", "öre")), "99999.99", 99_999_990),
        (Some(("fee_rounding", "kronor")), "99999.00", 99_999_000),
        (
            Some(("avgiftsavrundning", "exakt")),
            "100000.00",
            100_000_000,
        ),
        (
            Some(("Avgiftsavrundning", "Exact")),
            "100000.00",
            100_000_000,
        ),
    ] {
        let (amounts, sum) = year_of_advances(setting);
        assert_eq!(amounts, vec![line; 10], "{setting:?}");
        assert_eq!(sum, year, "{setting:?}");
    }
}

/// The explanation of an exact fee shows F to 10 decimals and says it is not rounded.
#[test]
fn exact_fee_is_explained_in_swedish() {
    let dir = tmp();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    case(&input, Some(("avgiftsavrundning", "exakt")));
    let register = dir.path().join("none.sqlite");
    let run = cli(&[
        "explain",
        s(&input),
        "--date",
        "2010-01-01",
        "--party",
        "0101",
        "--register",
        s(&register),
    ])
    .expect(0);
    assert!(
        run.stdout
            .contains("B / N = 1 000 000,00 / 90, exakt, ej avrundat (visas med 10 decimaler)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("11 111,1111111111"), "{}", run.stdout);
}
