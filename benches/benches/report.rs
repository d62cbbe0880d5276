//! Report benchmark (issue 5): a national agreement workbook — the 290 municipalities of
//! testdata/municipalities-2016.csv, 20 pools, 100,000 user registrations and a budget — from
//! reading it to written draft invoices, through the library calls the command line makes:
//! `check` (load, then compute the last billing date) and `run` (load, compute, render, write).
//! Goal: under 2 s.
//!
//! Measured (2-core machine shared with two other builds, `cargo bench -p benches --bench
//! report`): load 253 ms; check (load + compute the last billing date) 359 ms; run (load +
//! compute + render 290 invoice workbooks and the overview + write 17 MB) 1.13 s; check then
//! run 1.63 s. The command line end to end (release build, `/usr/bin/time -v`): `check` 0.37 s,
//! peak memory 74 MB; `run` 1.08 s, peak memory 121 MB. Rendering the 290 invoice workbooks is
//! most of a run.
//!
//! The workbook is generated once into `<temp>/billing-report-national/national.xlsx` and left
//! there so that the command line can be timed on it too:
//!
//! ```text
//! cargo bench -p benches --bench report
//! /usr/bin/time -v target/release/billing-report check /tmp/billing-report-national/national.xlsx
//! /usr/bin/time -v target/release/billing-report run /tmp/billing-report-national/national.xlsx \
//!     --date 2026-01-01 --out /tmp/billing-report-national/out --force
//! ```

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use billing_report::compute::{billing_dates, compute, History};
use billing_report::output::{render, write_folder};
use billing_report::workbook::load;

const REGISTRATIONS: usize = 100_000;
const POOLS: usize = 20;
const DATE: &str = "2026-01-01";

/// A fixed pseudo-random sequence (64-bit LCG), so every run reads the same workbook.
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

/// An amount in öre as the spreadsheet number a finance officer types (no float arithmetic).
fn kronor(ore: u64) -> f64 {
    format!("{}.{:02}", ore / 100, ore % 100)
        .parse()
        .expect("a number")
}

fn excel_date(d: NaiveDate) -> ExcelDateTime {
    ExcelDateTime::parse_from_str(&d.to_string()).expect("an ISO date")
}

/// Writes the national workbook: Settings, Parties, Pools, Budget and Users.
fn national_workbook(path: &Path) {
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
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let mut wb = Workbook::new();

    let ws = wb.add_worksheet().set_name("Settings").expect("a sheet");
    let settings = [
        ("setting", "value"),
        ("name", "Nationellt avtal (benchmark)"),
        ("issuer", "0180"),
        ("start", "2024-01-01"),
        ("round_totals", "yes"),
        ("first_invoice_number", "1001"),
    ];
    for (r, (k, v)) in settings.iter().enumerate() {
        ws.write_string(r as u32, 0, *k).expect("a cell");
        ws.write_string(r as u32, 1, *v).expect("a cell");
    }

    let ws = wb.add_worksheet().set_name("Parties").expect("a sheet");
    for (c, h) in ["id", "name", "kind", "population", "population_date"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).expect("a cell");
    }
    let pop_date = excel_date(NaiveDate::from_ymd_opt(2016, 12, 31).expect("a date"));
    for (i, (code, name, pop)) in munis.iter().enumerate() {
        let r = 1 + i as u32;
        ws.write_string(r, 0, code).expect("a cell");
        ws.write_string(r, 1, name).expect("a cell");
        ws.write_string(r, 2, "municipality").expect("a cell");
        ws.write_number(r, 3, kronor(*pop * 100)).expect("a cell");
        ws.write_datetime_with_format(r, 4, &pop_date, &date_format)
            .expect("a cell");
    }

    // 20 pools due on the date: population, equal and users keys, a subset, a LOU cap.
    let ws = wb.add_worksheet().set_name("Pools").expect("a sheet");
    for (c, h) in [
        "id",
        "name",
        "amount",
        "due",
        "key",
        "participants",
        "cap",
        "excess",
        "year",
        "vat",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).expect("a cell");
    }
    let due = excel_date(NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date"));
    let subset: Vec<&str> = munis.iter().take(60).map(|m| m.0.as_str()).collect();
    for i in 0..POOLS {
        let r = 1 + i as u32;
        ws.write_string(r, 0, format!("pool-{i:02}"))
            .expect("a cell");
        ws.write_string(r, 1, format!("Kostnadspost {i}"))
            .expect("a cell");
        ws.write_number(r, 2, kronor(100_000_000 + 1_234_567 * i as u64))
            .expect("a cell");
        ws.write_datetime_with_format(r, 3, &due, &date_format)
            .expect("a cell");
        let key = match i % 4 {
            0 | 1 => "population",
            2 => "equal",
            _ => "population",
        };
        ws.write_string(r, 4, key).expect("a cell");
        if i % 4 == 3 {
            ws.write_string(r, 5, subset.join(", ")).expect("a cell");
        }
        if i == 0 {
            ws.write_number(r, 2, 40_000_000.0).expect("a cell");
            ws.write_string(r, 6, "lou").expect("a cell");
            ws.write_string(r, 7, "redistribute").expect("a cell");
        }
        ws.write_number(r, 8, 2026.0).expect("a cell");
        ws.write_number(r, 9, if i % 5 == 0 { 25.0 } else { 0.0 })
            .expect("a cell");
    }

    let ws = wb.add_worksheet().set_name("Budget").expect("a sheet");
    for (c, h) in ["valid_from", "line", "amount"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).expect("a cell");
    }
    let lines = [
        ("Licenser", 60_000_000u64),
        ("Drift", 25_000_000),
        ("Förvaltning", 15_000_000),
    ];
    for (year, from) in [(0u32, 2024), (3, 2025), (6, 2026)] {
        for (j, (line, amount)) in lines.iter().enumerate() {
            let r = 1 + year + j as u32;
            let d = excel_date(NaiveDate::from_ymd_opt(from, 1, 1).expect("a date"));
            ws.write_datetime_with_format(r, 0, &d, &date_format)
                .expect("a cell");
            ws.write_string(r, 1, *line).expect("a cell");
            ws.write_number(r, 2, kronor((amount + u64::from(year) * 100_000) * 100))
                .expect("a cell");
        }
    }

    // 100,000 registrations, spread by population; a quarter end, a tenth start later.
    let ws = wb.add_worksheet().set_name("Users").expect("a sheet");
    for (c, h) in ["party", "user_id", "first_day", "last_day"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).expect("a cell");
    }
    let total_pop: u64 = munis.iter().map(|m| m.2).sum();
    let mut rng = Lcg(0x5eed);
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date");
    let mut r = 1u32;
    for (code, _, pop) in &munis {
        let n = (REGISTRATIONS as u64 * pop / total_pop).max(1);
        for k in 0..n {
            if r as usize > REGISTRATIONS {
                break;
            }
            ws.write_string(r, 0, code).expect("a cell");
            ws.write_string(r, 1, format!("{code}-u{k:05}"))
                .expect("a cell");
            let first = if rng.next(10) == 0 {
                start + chrono::Duration::days(rng.next(700) as i64)
            } else {
                start
            };
            ws.write_datetime_with_format(r, 2, excel_date(first), &date_format)
                .expect("a cell");
            if rng.next(4) == 0 {
                let last = first + chrono::Duration::days(30 + rng.next(600) as i64);
                ws.write_datetime_with_format(r, 3, excel_date(last), &date_format)
                    .expect("a cell");
            }
            r += 1;
        }
    }
    // Top up to exactly 100,000 with users of the largest municipality.
    while (r as usize) <= REGISTRATIONS {
        ws.write_string(r, 0, "0180").expect("a cell");
        ws.write_string(r, 1, format!("0180-x{r:06}"))
            .expect("a cell");
        ws.write_datetime_with_format(r, 2, excel_date(start), &date_format)
            .expect("a cell");
        r += 1;
    }
    wb.save(path).expect("the workbook is written");
}

fn fixture() -> PathBuf {
    // Written afresh every run: a workbook left by an older version could fail a newer check.
    let dir = std::env::temp_dir().join(format!("billing-report-national-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp folder");
    let path = dir.join("national.xlsx");
    {
        let t = Instant::now();
        national_workbook(&path);
        eprintln!(
            "wrote {} in {:.1} s",
            path.display(),
            t.elapsed().as_secs_f64()
        );
    }
    path
}

fn bench_report(c: &mut Criterion) {
    let path = fixture();
    let date: NaiveDate = DATE.parse().expect("a date");
    let out = path.with_file_name("bench-out");
    // A folder left by an earlier run (or by a version that wrote no marker) would be refused
    // by --force's rule; the benchmark starts from none.
    let _ = std::fs::remove_dir_all(&out);

    // Sanity: the workbook is what it claims, and checks clean.
    let (input, warnings) = load(&path).unwrap_or_else(|p| panic!("{p:?}"));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(input.agreement.parties().len(), 290);
    assert_eq!(input.pools.len(), POOLS);
    assert_eq!(input.registrations.len(), REGISTRATIONS);

    let mut g = c.benchmark_group("report");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function("load", |b| {
        b.iter(|| black_box(load(&path).expect("loads")));
    });
    g.bench_function("check (load + compute the last billing date)", |b| {
        b.iter(|| {
            let (input, _) = load(&path).expect("loads");
            let last = *billing_dates(&input).last().expect("dates");
            black_box(compute(&input, last, &History::default()).expect("computes"))
        });
    });
    g.bench_function("run (load + compute + render + write)", |b| {
        b.iter(|| {
            let (input, _) = load(&path).expect("loads");
            let draft = compute(&input, date, &History::default()).expect("computes");
            let files = render(&input, &draft, false).expect("renders");
            write_folder(&out, &files, true).expect("writes");
            black_box(files.len())
        });
    });
    g.bench_function("check then run", |b| {
        b.iter(|| {
            let (input, _) = load(&path).expect("loads");
            let last = *billing_dates(&input).last().expect("dates");
            compute(&input, last, &History::default()).expect("computes");
            let (input, _) = load(&path).expect("loads");
            let draft = compute(&input, date, &History::default()).expect("computes");
            let files = render(&input, &draft, false).expect("renders");
            write_folder(&out, &files, true).expect("writes");
            black_box(files.len())
        });
    });
    g.finish();
    if let Some(dir) = path.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

criterion_group!(benches, bench_report);
criterion_main!(benches);
