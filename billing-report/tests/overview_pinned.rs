//! The overview of tables continued on further sheets, pinned to rust_xlsxwriter's bytes
//! (issue 12; review of the streaming overview writer, finding 2).
//!
//! `overview.xlsx` is written by the project's own streaming writer (`output/sheet.rs`). The
//! golden cases never split a table, and `UPDATE_GOLDEN=1` rewrites their overviews with this
//! very writer. The files under `testdata/overview-pinned/` were written once by main at
//! 370c031, the last commit whose overview rust_xlsxwriter wrote (`overview_within` with the
//! same inputs, dates and row limits as below), and nothing rewrites them: they keep the split,
//! frozen and landscape continuation sheets, the fee review's rows and the shared strings of a
//! split table equal to rust_xlsxwriter's, byte for byte. A difference here is a difference
//! from rust_xlsxwriter; if the overview is meant to change, these files can only be replaced
//! by hand, with a note of what made the new ones (see the folder's README.md).

mod common;

use billing_report::output::overview_within;

use common::{pinned_difference, testdata};

/// The pinned workbooks: the input folder, the draft's date, the row limit and the file.
const PINNED: [(&str, &str, u32, &str); 3] = [
    // 24 parties: every table but the cost pools on several sheets of 8 rows.
    ("many-24", "2026-02-01", 8, "many-24-limit-8.xlsx"),
    // Sheets of 2 rows: every table with more than one row split, the cost pools too.
    ("many-24", "2026-02-01", 2, "many-24-limit-2.xlsx"),
    // A cooperation's fee review (landscape, its rows completed one row back) between split
    // tables.
    (
        "ikomet-fee-review",
        "2019-03-01",
        2,
        "ikomet-fee-review-limit-2.xlsx",
    ),
];

#[test]
fn split_overviews_are_rust_xlsxwriters_byte_for_byte() {
    let dir = testdata().join("overview-pinned");
    let failures: Vec<String> = PINNED
        .iter()
        .filter_map(|(input, on, limit, file)| {
            pinned_difference(&dir.join(input), on, &dir.join(file), |agreement, draft| {
                overview_within(agreement, draft, *limit).expect("the overview")
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "the split overview differs from rust_xlsxwriter's (main at 370c031):\n{}",
        failures.join("\n")
    );
}
