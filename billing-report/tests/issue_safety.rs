//! Issuing and replacing outputs safely: nothing issued is ever overwritten or renumbered,
//! nothing is half-written, and nothing panics on any input.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// Copies a case's CSV tables into a fresh folder for issuing (the register goes beside it).
fn issuing_copy(case: &str, t: &Path) -> PathBuf {
    let dir = t.join(case);
    copy_case_csv(case, &dir);
    dir
}

/// The names in `dir` that start with a dot: temporary or old folders left behind.
fn dot_entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// The register's invoices as (issuer, number, buyer, date), read directly.
fn register_rows(register: &Path) -> Vec<(String, i64, String, String)> {
    if !register.exists() {
        return Vec::new();
    }
    let conn = rusqlite::Connection::open(register).unwrap();
    let mut stmt = conn
        .prepare("SELECT issuer, number, buyer, date FROM invoices ORDER BY issuer, number")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn register_of(input: &Path) -> PathBuf {
    let name = input.file_name().unwrap().to_string_lossy().into_owned();
    input.with_file_name(format!("{name}.register.sqlite"))
}

/// Regression: `issue` wrote its numbered files before the register committed, so a commit
/// that failed (a register locked by a reader) left numbered invoices without a register
/// entry, and the next issue reused their numbers. Now the files are staged, the register
/// commits, and only then do they appear; a failed commit leaves nothing behind.
#[test]
fn a_locked_register_leaves_no_numbered_files() {
    let t = tmp();
    let input = issuing_copy("social-emergency-8", t.path());
    let register = register_of(&input);
    let first = t.path().join("first");
    cli(&[
        "issue",
        s(&input),
        "--date",
        "2017-07-01",
        "--out",
        s(&first),
    ])
    .expect(0);
    let before = register_rows(&register);
    assert_eq!(before.len(), 8);

    // A reader holds the register in a read transaction: the commit cannot get its lock.
    let reader = rusqlite::Connection::open(&register).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let n: i64 = reader
        .query_row("SELECT count(*) FROM invoices", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 8);
    let out = t.path().join("second");
    let r = cli(&["issue", s(&input), "--date", "2017-08-01", "--out", s(&out)]).expect(2);
    assert!(r.stderr.contains("locked"), "{}", r.stderr);
    assert!(!out.exists(), "no numbered files without a register entry");
    assert!(
        dot_entries(t.path()).is_empty(),
        "{:?}",
        dot_entries(t.path())
    );
    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    assert_eq!(before, register_rows(&register));

    // Once the reader is gone the date issues with the numbers that were not taken: 9..16.
    cli(&["issue", s(&input), "--date", "2017-08-01", "--out", s(&out)]).expect(0);
    let after = register_rows(&register);
    let numbers: Vec<i64> = after.iter().map(|r| r.1).collect();
    assert_eq!(numbers, (1..=16).collect::<Vec<i64>>());
    let written = lines(&out.join("lines.csv"));
    assert!(written.iter().any(|l| l["invoice_number"] == "9"));
}

/// Regression: outputs that cannot be written (the output path is a file, or lies under one)
/// must leave the register unchanged and no temporary folder behind.
#[test]
fn an_unwritable_output_records_nothing() {
    let t = tmp();
    let input = issuing_copy("social-emergency-8", t.path());
    let register = register_of(&input);
    let file = t.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let r = cli(&[
        "issue",
        s(&input),
        "--date",
        "2017-07-01",
        "--out",
        s(&file),
    ])
    .expect(2);
    assert!(r.stderr.contains("exists"), "{}", r.stderr);
    let under = file.join("out");
    cli(&[
        "issue",
        s(&input),
        "--date",
        "2017-07-01",
        "--out",
        s(&under),
    ])
    .expect(2);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a folder");
    assert!(register_rows(&register).is_empty());
    assert!(
        dot_entries(t.path()).is_empty(),
        "{:?}",
        dot_entries(t.path())
    );
    // The date is still open.
    let out = t.path().join("out");
    cli(&["issue", s(&input), "--date", "2017-07-01", "--out", s(&out)]).expect(0);
    assert_eq!(register_rows(&register).len(), 8);
}
