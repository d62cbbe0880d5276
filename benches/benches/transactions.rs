//! Transaction benchmarks (issue 6): the tally's hot path (one add per row) for a million rows
//! of 290 municipalities and 3 kinds over a year, adding two tallies, and pricing a full year
//! day by day. The file reader against DuckDB is measured by `benches/duckdb/compare.sh`.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use benches::municipalities;
use billing_core::transactions::{
    monthly, price_tally, Day, Kind, Tally, Tariff, TariffTable, UnitPrice,
};
use billing_core::PartyId;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const ROWS: usize = 1_000_000;

fn rows(parties: usize) -> Vec<(Day, usize, usize)> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |below: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % below) as usize
    };
    (0..ROWS)
        .map(|i| {
            // In date order through 2025, as a log file is.
            let day_of_year = i * 365 / ROWS;
            let (mut month, mut day) = (1, day_of_year + 1);
            for len in [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] {
                if day <= len {
                    break;
                }
                day -= len;
                month += 1;
            }
            let kind = match next(100) {
                0..=79 => 0,
                80..=94 => 1,
                _ => 2,
            };
            let d = Day::new(2025, month, day as u32).expect("a day of 2025");
            (d, next(parties as u64), kind)
        })
        .collect()
}

fn transactions(c: &mut Criterion) {
    let parties: Arc<[PartyId]> = municipalities()
        .parties()
        .iter()
        .map(|p| p.id.clone())
        .collect();
    let kinds: Arc<[Kind]> = ["login", "signature", "sms"]
        .iter()
        .map(|k| Kind::new(k).expect("a kind"))
        .collect();
    let rows = rows(parties.len());
    let fill = || {
        let mut t = Tally::new(parties.clone(), kinds.clone(), 24);
        for (day, p, k) in &rows {
            t.add(*day, *p, *k, 1).expect("in the tally");
        }
        t
    };

    let mut group = c.benchmark_group("tally");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("add 1M rows, 290 parties × 3 kinds, one year", |b| {
        b.iter(|| black_box(fill()))
    });
    group.finish();

    let full = fill();
    c.bench_function("tally/merge two one-year tallies", |b| {
        b.iter(|| {
            let mut t = full.clone();
            t.merge(black_box(&full)).expect("same lists");
            t
        })
    });

    let jan1 = Day::new(2025, 1, 1).expect("a day").date();
    let jul1 = Day::new(2025, 7, 1).expect("a day").date();
    let jun30 = Day::new(2025, 6, 30).expect("a day").date();
    let mut tariffs = Vec::new();
    for (kind, ore) in [("login", 30), ("signature", 150), ("sms", 45)] {
        let kind = Kind::new(kind).expect("a kind");
        tariffs.push(Tariff::new(
            kind.clone(),
            UnitPrice::from_ore(ore),
            jan1,
            Some(jun30),
        ));
        tariffs.push(Tariff::new(kind, UnitPrice::from_ore(ore + 5), jul1, None));
    }
    let table = TariffTable::new(tariffs).expect("no overlaps");
    c.bench_function(
        "price_tally/290 parties × 3 kinds × 365 days, monthly",
        |b| b.iter(|| price_tally(black_box(&full), &table, &monthly()).expect("priced")),
    );
}

criterion_group!(benches, transactions);
criterion_main!(benches);
