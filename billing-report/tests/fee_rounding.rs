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

/// Runs the five-party case on 2010-01-01 with `setting`, and with the fee 11,111.11 given in
/// Settings (annual_fee) in place of the budget when `given`; the output folder.
fn run_on_first_date(dir: &Path, setting: Option<(&str, &str)>, given: bool) -> std::path::PathBuf {
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    case(&input, setting);
    if given {
        std::fs::remove_file(input.join("Budget.csv")).unwrap();
        let mut settings = std::fs::read_to_string(input.join("Settings.csv")).unwrap();
        settings.push_str("annual_fee,11111.11\n");
        std::fs::write(input.join("Settings.csv"), settings).unwrap();
    }
    let out = dir.join("out");
    cli(&[
        "run",
        s(&input),
        "--date",
        "2010-01-01",
        "--out",
        s(&out),
        "--quiet",
    ])
    .expect(0);
    out
}

/// The advance lines of `out`'s lines.csv: amount, quantity and unit price.
fn advance_lines(out: &Path) -> Vec<(String, String, String)> {
    lines(&out.join("lines.csv"))
        .into_iter()
        .filter(|l| l["line_kind"] == "advance")
        .map(|l| {
            (
                l["amount"].clone(),
                l["quantity"].clone(),
                l["unit_price"].clone(),
            )
        })
        .collect()
}

/// A fee given directly (annual_fee) is used as it is under every policy (R5): 18 × 11,111.11 /
/// 2 = 99,999.99 a line under öre, kronor and exakt alike, where the same fee from a budget of
/// 1,000,000 kr over 90 users gives 99,999.00 under kronor and 100,000.00 under exakt.
#[test]
fn a_given_fee_is_the_same_under_every_policy() {
    let mut outputs = Vec::new();
    for setting in [
        None,
        Some(("fee_rounding", "öre")),
        Some(("fee_rounding", "kronor")),
        Some(("avgiftsavrundning", "exakt")),
    ] {
        let dir = tmp();
        let out = run_on_first_date(dir.path(), setting, true);
        let advances = advance_lines(&out);
        assert_eq!(
            advances,
            vec![
                (
                    "99999.99".to_owned(),
                    "18".to_owned(),
                    "5555.555".to_owned()
                );
                5
            ],
            "{setting:?}"
        );
        outputs.push(std::fs::read(out.join("lines.csv")).unwrap());
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
}

/// Under exakt an ordinary full-period line is the period's amount (1 × 100,000.00), never
/// "Pro rata 181 av 181 dagar"; overview.xlsx shows the exact fee to 10 decimals, marked.
#[test]
fn exact_fee_full_period_line_and_overview() {
    let dir = tmp();
    let out = run_on_first_date(dir.path(), Some(("avgiftsavrundning", "exakt")), false);
    let advances = advance_lines(&out);
    assert_eq!(
        advances,
        vec![
            (
                "100000.00".to_owned(),
                "1".to_owned(),
                "100000.00".to_owned()
            );
            5
        ]
    );
    let texts: Vec<String> = grid(&out.join("overview.xlsx"))
        .into_iter()
        .flat_map(|(_, rows)| rows.into_iter().flatten())
        .filter_map(|d| match d {
            calamine::Data::String(t) => Some(t),
            _ => None,
        })
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t == "årlig användaravgift från 2010-01-01: 11 111,1111111111 (exakt, B / N)"),
        "{texts:?}"
    );
    // The invoice says why the line is one sum: the period's amount, not pro rata.
    let invoice: Vec<String> = grid(&out.join("invoices").join("0100-0101.xlsx"))
        .into_iter()
        .flat_map(|(_, rows)| rows.into_iter().flatten())
        .filter_map(|d| match d {
            calamine::Data::String(t) => Some(t),
            _ => None,
        })
        .collect();
    assert!(
        invoice.iter().any(|t| t == "Belopp för perioden"),
        "{invoice:?}"
    );
    assert!(
        !invoice.iter().any(|t| t.contains("Pro rata")),
        "{invoice:?}"
    );
    // Under öre the overview shows the rounded fee unmarked.
    let dir = tmp();
    let out = run_on_first_date(dir.path(), None, false);
    let texts: Vec<String> = grid(&out.join("overview.xlsx"))
        .into_iter()
        .flat_map(|(_, rows)| rows.into_iter().flatten())
        .filter_map(|d| match d {
            calamine::Data::String(t) => Some(t),
            _ => None,
        })
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t == "årlig användaravgift från 2010-01-01: 11 111,11"),
        "{texts:?}"
    );
}
