//! A folder of CSV files: the input is split at NUL bytes into Settings, Parties, Pools, Budget
//! and Users (a seed is a case's files joined by NUL), then read and validated as a whole.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const SHEETS: [&str; 5] = ["Settings", "Parties", "Pools", "Budget", "Users"];

fuzz_target!(|data: &[u8]| {
    let dir = common::scratch("csv").join("avtal");
    let _ = std::fs::remove_dir_all(&dir);
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    for (name, part) in SHEETS.iter().zip(data.split(|&b| b == 0)) {
        if std::fs::write(dir.join(format!("{name}.csv")), part).is_err() {
            return;
        }
    }
    common::check_load(&dir);
});
