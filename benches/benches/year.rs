//! Year-report benchmark (issue 15): the national agreement — the 290 municipalities of
//! testdata/municipalities-2016.csv, 20 pools (one capped at the LOU threshold, redistributed),
//! 100,000 user registrations and a budget — as a folder of CSV tables, and its year 2026 with
//! two scenarios ("Stockholm säger upp": a notice on 2025-06-30; "budget +10 %"), through the
//! library calls `billing-report year` makes: load, compute the year and the scenarios, write
//! `year-2026.xlsx` and `year-2026.html`.
//!
//! The folder is left in `target/tmp/billing-report-year/national` (Cargo's scratch folder for
//! benchmarks; each run replaces it, so runs do not pile up in the system's temp folder) so
//! that the command line can be timed on it too:
//!
//! ```text
//! cargo bench -p benches --bench year
//! /usr/bin/time -v target/release/billing-report year target/tmp/billing-report-year/national \
//!     --year 2026 --out /tmp/year-out --force --scenario "Stockholm säger upp" --scenario "budget +10 %"
//! ```

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use billing_core::engine::History;
use billing_report::compute;
use billing_report::workbook::load;
use criterion::{criterion_group, criterion_main, Criterion};

const REGISTRATIONS: u64 = 100_000;
const POOLS: usize = 20;

/// A small linear congruential generator: the same users every run, no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn national(dir: &Path) {
    let mut reader = csv::Reader::from_path(benches::testdata().join("municipalities-2016.csv"))
        .expect("testdata/municipalities-2016.csv");
    let munis: Vec<(String, String, u64)> = reader
        .records()
        .map(|r| {
            let r = r.expect("a record");
            (
                r[0].to_owned(),
                r[1].to_owned(),
                r[3].parse().expect("a population"),
            )
        })
        .collect();
    assert_eq!(munis.len(), 290);
    let write = |name: &str, text: String| std::fs::write(dir.join(name), text).expect("write");
    write(
        "Settings.csv",
        "setting,value\nname,Nationellt avtal (benchmark)\nissuer,0180\nstart,2024-01-01\n\
         round_totals,yes\nfirst_invoice_number,1001\n"
            .to_owned(),
    );
    let mut parties = String::from("id,name,kind,population,population_date\n");
    for (code, name, pop) in &munis {
        writeln!(parties, "{code},{name},municipality,{pop},2016-12-31").expect("text");
    }
    write("Parties.csv", parties);
    let subset: Vec<&str> = munis.iter().take(60).map(|m| m.0.as_str()).collect();
    let mut pools = String::from("id,name,amount,due,key,participants,cap,excess,year,vat\n");
    for i in 0..POOLS {
        let amount = if i == 0 {
            40_000_000
        } else {
            1_000_000 + 12_345 * i as u64
        };
        let key = if i % 4 == 2 { "equal" } else { "population" };
        let participants = if i % 4 == 3 {
            format!("\"{}\"", subset.join(", "))
        } else {
            String::new()
        };
        let (cap, excess) = if i == 0 {
            ("lou", "redistribute")
        } else {
            ("", "")
        };
        let vat = if i % 5 == 0 { 25 } else { 0 };
        writeln!(
            pools,
            "pool-{i:02},Kostnadspost {i},{amount}.00,2026-01-01,{key},{participants},{cap},{excess},2026,{vat}"
        )
        .expect("text");
    }
    write("Pools.csv", pools);
    let mut budget = String::from("valid_from,line,amount\n");
    for (k, from) in [2024, 2025, 2026].iter().enumerate() {
        for (line, amount) in [
            ("Licenser", 60_000_000u64),
            ("Drift", 25_000_000),
            ("Förvaltning", 15_000_000),
        ] {
            writeln!(
                budget,
                "{from}-01-01,{line},{}.00",
                amount + k as u64 * 100_000
            )
            .expect("text");
        }
    }
    write("Budget.csv", budget);
    let total_pop: u64 = munis.iter().map(|m| m.2).sum();
    let mut rng = Lcg(0x5eed);
    let mut users = String::from("party,user_id,first_day,last_day\n");
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date");
    let mut n_all = 0;
    for (code, _, pop) in &munis {
        let n = (REGISTRATIONS * pop / total_pop).max(1);
        for k in 0..n {
            let first = if rng.next(10) == 0 {
                start + chrono::Duration::days(rng.next(700) as i64)
            } else {
                start
            };
            let last = if rng.next(4) == 0 {
                (first + chrono::Duration::days(30 + rng.next(600) as i64)).to_string()
            } else {
                String::new()
            };
            writeln!(users, "{code},{code}-u{k:05},{first},{last}").expect("text");
            n_all += 1;
        }
    }
    assert!(n_all > 99_000);
    write("Users.csv", users);
    write(
        "Scenarios.csv",
        "scenario,change,party,pool,date,value,per_cent\n\
         Stockholm säger upp,notice,0180,,2025-06-30,,\n\
         budget +10 %,budget,,,2026-01-01,,10\n"
            .to_owned(),
    );
}

fn fixture() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("billing-report-year")
        .join("national");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp folder");
    national(&dir);
    dir
}

fn bench_year(c: &mut Criterion) {
    let path = fixture();
    let scenarios = vec!["Stockholm säger upp".to_owned(), "budget +10 %".to_owned()];
    let (input, warnings) = load(&path).unwrap_or_else(|p| panic!("{p:?}"));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(input.agreement.parties().len(), 290);
    let year = compute::year(&input, 2026, &History::default(), &scenarios)
        .unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(year.scenarios.len(), 2);
    eprintln!("year report at {}", path.display());
    let mut g = c.benchmark_group("year");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(40));
    g.bench_function("year 2026, two scenarios (load + compute + render)", |b| {
        b.iter(|| {
            let (input, _) = load(&path).expect("loads");
            let c = compute::year(&input, 2026, &History::default(), &scenarios).expect("computes");
            black_box(billing_report::year::render_year(&input, &c).expect("renders"))
        });
    });
    g.finish();
}

criterion_group!(benches, bench_year);
criterion_main!(benches);
