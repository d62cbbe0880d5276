//! Seed 002's generated half-year of transactions read through the file reader, one thread and
//! two, priced at 0.30 kr per login and 1.50 kr per signature: the same lines as the golden file
//! that `billing-core`'s seed test writes and `testdata/transactions/seed-002/check.py` checks
//! independently.

use std::path::PathBuf;

use billing_report::transactions::files::{read_parties, read_tariffs};
use billing_report::transactions::reader::{Catalog, ReadOptions};
use billing_report::transactions::{read_and_price, write_lines, BillingPeriod};

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

#[test]
fn seed_002_file_prices_like_the_golden_lines() {
    let dir = testdata().join("transactions/seed-002");
    let tariffs = read_tariffs(&dir.join("tariffs.csv")).unwrap();
    let parties = read_parties(&testdata().join("municipalities-2016.csv")).unwrap();
    let catalog = Catalog::new(parties, tariffs.kinds().cloned().collect());
    let expected = std::fs::read_to_string(dir.join("expected/priced-lines.csv")).unwrap();
    for threads in [1, 2] {
        let options = ReadOptions {
            threads,
            min_range: 1,
            buffer: 4096,
            ..ReadOptions::default()
        };
        let lines = read_and_price(
            &dir.join("transactions.csv"),
            &catalog,
            &tariffs,
            BillingPeriod::Month.starts(),
            &options,
        )
        .unwrap();
        let mut out = Vec::new();
        write_lines(&mut out, &lines).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            expected,
            "{threads} threads"
        );
    }
}
