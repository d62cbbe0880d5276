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
const PINNED: [(&str, &str, u32, &str); 5] = [
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
    // 290 parties (as many as Sweden's municipalities): the invoice table, 5,398 rows, on a
    // sheet of 4,500 rows (written out by blocks of 4,096 rows, the head written in front of
    // them at the end) and a second sheet; the pool sheets of 309 rows.
    (
        "audit-pinned/many-290",
        "2026-02-01",
        4_500,
        "many-290-2026-02-01-limit-4500.xlsx",
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

/// A transaction kind of 300 characters without a space, priced in the fee review's heading
/// (`Kostnad: login räknade, prissatta som …`): its column would be 302 characters wide, which
/// rust_xlsxwriter capped at Excel's 255; `run` writes the audit workbook, its column capped
/// the same way, byte for byte the workbook main at 94cc3ec wrote with `run --only audit`.
#[test]
fn a_heading_wider_than_255_characters_is_capped_as_rust_xlsxwriter_capped_it() {
    let dir = common::tmp();
    let input = dir.path().join("in");
    let kind = format!("sms{}", "x".repeat(297));
    let from = testdata().join("overview-pinned/ikomet-fee-review");
    for sub in ["", "data"] {
        std::fs::create_dir_all(input.join(sub)).expect("a folder");
        for entry in std::fs::read_dir(from.join(sub)).expect("the input") {
            let path = entry.expect("a file").path();
            if path.is_file() {
                let text = std::fs::read_to_string(&path).expect("a CSV file");
                let name = path.file_name().expect("a name");
                std::fs::write(input.join(sub).join(name), text.replace("sms", &kind))
                    .expect("written");
            }
        }
    }
    let out = dir.path().join("out");
    let args = [
        "run",
        common::s(&input),
        "--date",
        "2019-03-01",
        "--out",
        common::s(&out),
        "--only",
        "audit",
        "-q",
    ];
    common::cli(&args).expect(0);
    let written = std::fs::read(out.join("audit.xlsx")).expect("audit.xlsx is written");
    // The fee review's column, 255 characters (1,790 pixels, 255 and 182/256 of a digit).
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(written.clone())).expect("a zip");
    let mut sheet = String::new();
    std::io::Read::read_to_string(
        &mut zip
            .by_name("xl/worksheets/sheet4.xml")
            .expect("the fee review"),
        &mut sheet,
    )
    .expect("its XML");
    assert!(
        sheet.contains(r#"<col min="1" max="1" width="255.7109375" customWidth="1"/>"#),
        "{sheet}"
    );
    let pinned = testdata().join("audit-pinned/ikomet-fee-review-long-kind.xlsx");
    let pinned = std::fs::read(pinned).expect("the pinned workbook");
    assert!(
        pinned == written,
        "{}",
        common::bytes_difference(&pinned, &written).unwrap_or_default()
    );
}
