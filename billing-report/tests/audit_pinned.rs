//! The audit workbook pinned to rust_xlsxwriter's bytes (issue 12).
//!
//! `audit.xlsx` is written by the project's own streaming writer (`output/sheet.rs`): formulas
//! with their cached results, inputs on a fill, headings with a border, rows printed on every
//! page (defined names), frozen continuation sheets. The files under `testdata/audit-pinned/`
//! were written once by main at 94cc3ec, the last commit whose audit workbook rust_xlsxwriter
//! 0.102 wrote (`audit::build_within` and `audit::write_owned` with the inputs, dates and row
//! limits below), and nothing rewrites them. A difference here is a difference from
//! rust_xlsxwriter; if the audit workbook is meant to change, these files can only be replaced
//! by hand, with a note of what made the new ones (see the folder's README.md).

mod common;

use billing_report::audit::{build_within, write_owned};

use common::{pinned_difference, testdata};

/// The pinned workbooks: the input folder (under `testdata/`), the draft's date, the row limit
/// and the file.
const PINNED: [(&str, &str, u32, &str); 4] = [
    // 24 parties: the fee, transaction and invoice tables on several sheets of 8 rows, each
    // frozen below its headings and printing them on every page.
    (
        "overview-pinned/many-24",
        "2026-02-01",
        8,
        "many-24-limit-8.xlsx",
    ),
    // A cooperation's fee review and SMS tariffs, every table split after each row.
    (
        "overview-pinned/ikomet-fee-review",
        "2019-03-01",
        2,
        "ikomet-fee-review-limit-2.xlsx",
    ),
    // A cost pool under a LOU cap (2021: the excess redistributed), tables split.
    (
        "audit-pinned/stockholm-2020",
        "2021-03-01",
        12,
        "stockholm-2020-2021-03-01-limit-12.xlsx",
    ),
    // The cap absorbed by the region (2020), the workbook of a run.
    (
        "audit-pinned/stockholm-2020",
        "2020-03-01",
        1_048_576,
        "stockholm-2020-2020-03-01.xlsx",
    ),
];

#[test]
fn audit_workbooks_are_rust_xlsxwriters_byte_for_byte() {
    let dir = testdata();
    let failures: Vec<String> = PINNED
        .iter()
        .filter_map(|(input, on, limit, file)| {
            let pinned = dir.join("audit-pinned").join(file);
            pinned_difference(&dir.join(input), on, &pinned, |agreement, draft| {
                write_owned(build_within(agreement, draft, *limit)).expect("the workbook")
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "the audit workbook differs from rust_xlsxwriter's (main at 94cc3ec):\n{}",
        failures.join("\n")
    );
}
