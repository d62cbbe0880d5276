//! A transactions file (one row per transaction, or pre-counted rows) read with small buffers
//! and two threads, so that rows straddle the boundaries.
#![no_main]

use std::sync::atomic::AtomicU64;

use billing_core::transactions::Kind;
use billing_core::PartyId;
use billing_report::transactions::reader::{read_file, Catalog, ReadOptions};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let file = common::scratch("transactions").join("t.csv");
    if std::fs::write(&file, data).is_err() {
        return;
    }
    let parties = ["0180", "1480", "1280", "0880"]
        .iter()
        .filter_map(|p| PartyId::new(p).ok())
        .collect();
    let kinds = ["login", "signature", "sms"]
        .iter()
        .filter_map(|k| Kind::new(k).ok())
        .collect();
    let catalog = Catalog::new(parties, kinds);
    let options = ReadOptions {
        threads: 2,
        max_errors: 5,
        max_months: 120,
        buffer: 64,
        min_range: 16,
    };
    let _ = read_file(&file, &catalog, &options, &AtomicU64::new(0));
});
