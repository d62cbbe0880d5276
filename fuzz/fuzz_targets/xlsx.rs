//! An xlsx workbook (bytes as they are), read and validated.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let file = common::scratch("xlsx").join("avtal.xlsx");
    if std::fs::write(&file, data).is_ok() {
        common::check_load(&file);
    }
});
