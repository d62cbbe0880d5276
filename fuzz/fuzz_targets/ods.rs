//! An ods workbook: the streaming reader on the bytes, then the whole load.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = billing_report::ods::read_ods(std::io::Cursor::new(data));
    let file = common::scratch("ods").join("avtal.ods");
    if std::fs::write(&file, data).is_ok() {
        common::check_load(&file);
    }
});
