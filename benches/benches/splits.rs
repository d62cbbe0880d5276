//! Split benchmarks (issue 3): one pool among the 290 municipalities, among 100,000 synthetic
//! parties, capped with `redistribute` among the 290, and the growth from 1,000 to 100,000.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use benches::{municipalities, synthetic};
use billing_core::{allocate, Cap, CapLimit, ExcessPolicy, Key, Money, Pool, ThresholdTable};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

fn pool(cap: Option<ExcessPolicy>) -> Pool {
    let mut pool = Pool::builder(
        "system",
        "System",
        Money::from_ore(12_345_678_901),
        Key::Population,
    )
    .year(2020);
    if let Some(excess) = cap {
        pool = pool.cap(Cap::new(CapLimit::Lou, excess));
    }
    // A pool of fixed figures: its id and cap are good.
    pool.build().expect("a good pool")
}

fn splits(c: &mut Criterion) {
    let thresholds = ThresholdTable::swedish_lou();
    let sweden = municipalities();
    let plain = pool(None);
    c.bench_function("population/290 municipalities", |b| {
        b.iter(|| allocate(black_box(&sweden), black_box(&plain), &thresholds))
    });
    let capped = pool(Some(ExcessPolicy::Redistribute));
    c.bench_function(
        "population/290 municipalities, lou cap, redistribute",
        |b| b.iter(|| allocate(black_box(&sweden), black_box(&capped), &thresholds)),
    );

    let mut group = c.benchmark_group("population/synthetic");
    group.sample_size(20);
    for n in [1_000usize, 10_000, 100_000] {
        let agreement = synthetic(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &agreement, |b, a| {
            b.iter(|| allocate(black_box(a), black_box(&plain), &thresholds))
        });
    }
    group.finish();
}

criterion_group!(benches, splits);
criterion_main!(benches);
