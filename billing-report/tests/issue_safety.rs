//! Issuing and replacing outputs safely: nothing issued is ever overwritten or renumbered,
//! nothing is half-written, and nothing panics on any input.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// Copies a case's CSV tables into a fresh folder for issuing (the register goes beside it).
/// A copy of a case with its invoice register created (`register init`): `issue` never
/// creates one by itself.
fn issuing_copy(case: &str, t: &Path) -> PathBuf {
    let dir = t.join(case);
    copy_case_csv(case, &dir);
    cli(&["register", "init", s(&dir)]).expect(0);
    dir
}

/// `issue INPUT --date DATE --out OUT`.
fn issue_into(input: &Path, date: &str, out: &Path) -> Run {
    cli(&["issue", s(input), "--date", date, "--out", s(out)])
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
    issue_into(&input, "2017-07-01", &first).expect(0);
    let before = register_rows(&register);
    assert_eq!(before.len(), 7); // never the coordinator (R15)

    // A reader holds the register in a read transaction: the commit cannot get its lock.
    let reader = rusqlite::Connection::open(&register).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let n: i64 = reader
        .query_row("SELECT count(*) FROM invoices", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 7);
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

    // Once the reader is gone the date issues with the numbers that were not taken: 8..14.
    cli(&["issue", s(&input), "--date", "2017-08-01", "--out", s(&out)]).expect(0);
    let after = register_rows(&register);
    let numbers: Vec<i64> = after.iter().map(|r| r.1).collect();
    assert_eq!(numbers, (1..=14).collect::<Vec<i64>>());
    let written = lines(&out.join("lines.csv"));
    assert!(written.iter().any(|l| l["invoice_number"] == "8"));
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
    let r = issue_into(&input, "2017-07-01", &file).expect(2);
    assert!(r.stderr.contains("exists"), "{}", r.stderr);
    let under = file.join("out");
    issue_into(&input, "2017-07-01", &under).expect(2);
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
    assert_eq!(register_rows(&register).len(), 7);
}

/// Every file under `dir` with its bytes, for "nothing changed" checks.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

/// Regression: `--force` deleted any folder: one holding the input, the register and issued
/// invoices, or the input folder itself. It now replaces only a draft folder billing-report
/// wrote (its `.billing-report` marker says so), never one that is or holds the input or the
/// register, and refuses with exit 2 otherwise.
#[test]
fn force_never_deletes_the_input_the_register_or_issued_invoices() {
    let t = tmp();
    let fz = t.path().join("fz");
    let input = issuing_copy("kalmar-2010", &fz);
    let issued = fz.join("k-out");
    issue_into(&input, "2011-07-01", &issued).expect(0);
    let before = snapshot(&fz);
    assert!(before.iter().any(|(f, _)| f.ends_with(".register.sqlite")));

    // The folder holding the input, the register and the issued invoices.
    let r = cli(&[
        "run",
        s(&input),
        "--date",
        "2012-01-01",
        "--out",
        s(&fz),
        "--force",
    ])
    .expect(2);
    assert!(r.stderr.contains("was not replaced"), "{}", r.stderr);
    assert_eq!(before, snapshot(&fz));
    // The input folder itself.
    cli(&[
        "run",
        s(&input),
        "--date",
        "2012-01-01",
        "--out",
        s(&input),
        "--force",
    ])
    .expect(2);
    assert_eq!(before, snapshot(&fz));
    // Issued invoices are never replaced by a draft, nor by another issue.
    let r = cli(&[
        "run",
        s(&input),
        "--date",
        "2011-07-01",
        "--out",
        s(&issued),
        "--force",
    ])
    .expect(2);
    assert!(r.stderr.contains("issued invoices"), "{}", r.stderr);
    // Not by a register export either.
    cli(&[
        "register",
        "export",
        s(&input),
        "--out",
        s(&issued),
        "--force",
    ])
    .expect(2);
    cli(&["register", "export", s(&input), "--out", s(&fz), "--force"]).expect(2);
    assert_eq!(before, snapshot(&fz));
    assert!(dot_entries(&fz).is_empty(), "{:?}", dot_entries(&fz));

    // A draft folder even one that a marker claims, is not replaced while it holds the register.
    let draft = fz.join("draft");
    cli(&["run", s(&input), "--date", "2012-01-01", "--out", s(&draft)]).expect(0);
    cli(&[
        "run",
        s(&input),
        "--date",
        "2012-01-01",
        "--out",
        s(&draft),
        "--force",
    ])
    .expect(0);
    let register = draft.join("reg.sqlite");
    std::fs::copy(fz.join("kalmar-2010.register.sqlite"), &register).unwrap();
    cli(&[
        "run",
        s(&input),
        "--date",
        "2012-01-01",
        "--out",
        s(&draft),
        "--force",
        "--register",
        s(&register),
    ])
    .expect(2);
    assert!(register.exists());
}

/// Regression: after `issue INPUT --date D` wrote `out/D`, `run INPUT --date D --force` wrote
/// its draft over the issued invoices. Drafts now default to `out/D-draft`, and issued folders
/// are never replaced.
#[test]
fn a_draft_never_replaces_issued_invoices_by_default() {
    let t = tmp();
    let input = issuing_copy("kalmar-2010", t.path());
    cli(&["issue", s(&input), "--date", "2011-07-01"]).expect(0);
    let issued = t.path().join("out/2011-07-01");
    let before = snapshot(&issued);
    // 13 invoices as workbook, PDF and e-invoice; overview.xlsx and .html, audit, lines, json.
    assert_eq!(before.len(), 44);
    let marker = std::fs::read_to_string(issued.join(".billing-report")).unwrap();
    assert!(marker.contains("status: issued"), "{marker}");
    cli(&["run", s(&input), "--date", "2011-07-01", "--force"]).expect(0);
    let draft = t.path().join("out/2011-07-01-draft");
    assert!(draft.join("lines.csv").exists());
    let marker = std::fs::read_to_string(draft.join(".billing-report")).unwrap();
    assert!(marker.contains("status: draft"), "{marker}");
    cli(&["run", s(&input), "--date", "2011-07-01", "--force"]).expect(0);
    assert_eq!(before, snapshot(&issued));
}

/// Regression: `template --force` replaced any file, an agreement with issued invoices or the
/// register itself.
#[test]
fn template_force_never_replaces_an_agreement_or_a_register() {
    let t = tmp();
    let input = t.path().join("avtal.xlsx");
    std::fs::write(&input, csv_folder_to_xlsx(&case_dir("social-emergency-8"))).unwrap();
    cli(&[
        "issue",
        s(&input),
        "--date",
        "2017-07-01",
        "--out",
        s(&t.path().join("o")),
        "--new-register",
    ])
    .expect(0);
    let register = t.path().join("avtal.xlsx.register.sqlite");
    let (agreement, db) = (
        std::fs::read(&input).unwrap(),
        std::fs::read(&register).unwrap(),
    );
    for file in [&input, &register] {
        let r = cli(&["template", s(file), "--force"]).expect(2);
        assert!(r.stderr.contains("was not replaced"), "{}", r.stderr);
    }
    assert_eq!(agreement, std::fs::read(&input).unwrap());
    assert_eq!(db, std::fs::read(&register).unwrap());
    let fresh = t.path().join("new.xlsx");
    cli(&["template", s(&fresh)]).expect(0);
    cli(&["template", s(&fresh), "--force"]).expect(0);
}

/// Regression: a date at or before the latest issued date was issued, so numbers ran out of
/// order and what was billed in between was never corrected. It is refused with exit 1, naming
/// the latest date, and the register is unchanged.
#[test]
fn issuing_a_date_before_the_latest_is_refused() {
    let t = tmp();
    let input = issuing_copy("social-emergency-8", t.path());
    let register = register_of(&input);
    let out = |d: &str| t.path().join(format!("out-{d}"));
    cli(&[
        "issue",
        s(&input),
        "--date",
        "2017-08-01",
        "--out",
        s(&out("a")),
    ])
    .expect(0);
    let before = register_rows(&register);
    let r = cli(&[
        "issue",
        s(&input),
        "--date",
        "2017-07-01",
        "--out",
        s(&out("b")),
    ])
    .expect(1);
    assert!(
        r.stderr
            .contains("invoices dated 2017-08-01 are already issued")
            && r.stderr.contains("not 2017-07-01"),
        "{}",
        r.stderr
    );
    assert!(!out("b").exists());
    assert_eq!(before, register_rows(&register));
    cli(&[
        "issue",
        s(&input),
        "--date",
        "2017-09-01",
        "--out",
        s(&out("c")),
    ])
    .expect(0);
}

/// Regression: the default register was derived from the input path as spelt, so issuing
/// `/tmp/k` and then `.` from inside it used two registers and issued the same date twice
/// with the same numbers. The path is canonical now, `issue` says which register it uses,
/// and it refuses to start a new register when the input already has one.
#[test]
fn the_register_does_not_depend_on_how_the_input_is_spelt() {
    let t = tmp();
    let input = issuing_copy("social-emergency-8", t.path());
    let register = register_of(&input);
    let a = t.path().join("a");
    let r = cli(&["issue", s(&input), "--date", "2017-07-01", "--out", s(&a)]).expect(0);
    assert!(r.stderr.contains(s(&register)), "{}", r.stderr);
    let b = t.path().join("b");
    let r = cli_in(
        &input,
        &["issue", ".", "--date", "2017-07-01", "--out", s(&b)],
    )
    .expect(1);
    assert!(r.stderr.contains("already issued"), "{}", r.stderr);
    assert!(!b.exists());
    let r = cli_in(
        &input,
        &["issue", "../social-emergency-8/", "--date", "2017-07-01"],
    )
    .expect(1);
    assert!(r.stderr.contains("already issued"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_dir(t.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".sqlite"))
            .count(),
        1
    );
    // A new register beside the one the input has would start the numbers again.
    let other = t.path().join("other.sqlite");
    let r = cli(&[
        "issue",
        s(&input),
        "--date",
        "2017-08-01",
        "--out",
        s(&b),
        "--register",
        s(&other),
    ])
    .expect(1);
    assert!(
        r.stderr
            .contains("issue never starts a number series by itself")
            && r.stderr.contains(&format!("recorded in {}", s(&register))),
        "{}",
        r.stderr
    );
    assert!(!other.exists() && !b.exists());
    // Not even when asked to: the other register does not hold numbers 1–7 of issuer 0191.
    let r = cli(&[
        "issue",
        s(&input),
        "--date",
        "2017-08-01",
        "--out",
        s(&b),
        "--register",
        s(&other),
        "--new-register",
    ])
    .expect(1);
    assert!(
        r.stderr
            .contains("holds invoice(s) 1, 2, 3, 4, 5, 6, 7 of issuer 0191 that register"),
        "{}",
        r.stderr
    );
    assert!(!other.exists() && !b.exists());
    // The next date from inside the folder continues the series.
    cli_in(
        &input,
        &["issue", ".", "--date", "2017-08-01", "--out", s(&b)],
    )
    .expect(0);
    let numbers: Vec<i64> = register_rows(&register).iter().map(|r| r.1).collect();
    // 7 invoices a date: the coordinator is never invoiced (R15).
    assert_eq!(numbers, (1..=14).collect::<Vec<i64>>());
}

/// Sets `first_invoice_number` in a case copy's Settings.csv.
fn set_first_number(input: &Path, first: &str) {
    let path = input.join("Settings.csv");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "first_invoice_number,1\n",
        &format!("first_invoice_number,{first}\n"),
    );
    std::fs::write(&path, text).unwrap();
}

/// Regression: a first invoice number near the top of u64 made `issue` panic ("attempt to add
/// with overflow"), and one near the top of i64 failed half way with a UNIQUE error. A series
/// that would pass 10^12 is refused with exit 1, nothing recorded or written.
#[test]
fn a_number_series_past_the_bound_is_refused_without_a_panic() {
    for first in [
        "18446744073709551615",
        "9223372036854775807",
        "999999999995",
    ] {
        let t = tmp();
        let input = issuing_copy("social-emergency-8", t.path());
        set_first_number(&input, first);
        let out = t.path().join("out");
        let r = cli(&["issue", s(&input), "--date", "2017-07-01", "--out", s(&out)]);
        assert!(!r.stderr.contains("panicked"), "{first}: {}", r.stderr);
        let r = r.expect(1);
        // Refused by the workbook check (a first number of 10^12 or more) or by the register
        // (a series that would pass 10^12).
        assert!(
            r.stderr.contains("beyond the largest number")
                || r.stderr
                    .contains("first_invoice_number must be below 10^12"),
            "{first}: {}",
            r.stderr
        );
        assert!(!out.exists(), "{first}");
        assert!(register_rows(&register_of(&input)).is_empty(), "{first}");
        assert!(dot_entries(t.path()).is_empty(), "{first}");
    }
    // Up to 10^12 itself is fine: 7 invoices from 999999999994.
    let t = tmp();
    let input = issuing_copy("social-emergency-8", t.path());
    set_first_number(&input, "999999999994");
    cli(&[
        "issue",
        s(&input),
        "--date",
        "2017-07-01",
        "--out",
        s(&t.path().join("o")),
    ])
    .expect(0);
    let numbers: Vec<i64> = register_rows(&register_of(&input))
        .iter()
        .map(|r| r.1)
        .collect();
    assert_eq!(numbers.last(), Some(&1_000_000_000_000));
}

/// Regression: `explain … | head -1` panicked with "failed printing to stdout: Broken pipe".
/// A reader that stops early is a normal end: exit 0, no panic.
#[test]
fn explain_into_a_closed_pipe_does_not_panic() {
    let input = case_dir("kalmar-2010").join("agreement.xlsx");
    let t = tmp();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_billing-report"))
        .args([
            "explain",
            s(&input),
            "--party",
            "landstinget-kalmar",
            "--date",
            "2011-07-01",
            "--register",
            s(&t.path().join("none.sqlite")),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the program writes.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// Regression: `--quiet` still printed the warnings when the input had errors; it prints only
/// the errors.
#[test]
fn quiet_prints_only_errors_on_failure() {
    let t = tmp();
    let dir = t.path().join("ikomet");
    copy_case_csv("ikomet-3", &dir);
    let pools = dir.join("Pools.csv");
    let text = std::fs::read_to_string(&pools)
        .unwrap()
        .replace("5000.00", "fem tusen");
    std::fs::write(&pools, text).unwrap();
    // Fixed amounts for a pool without the fixed key: a warning.
    std::fs::write(
        dir.join("FixedAmounts.csv"),
        "pool,party,amount\nno-such-pool,0120,1.00\n",
    )
    .unwrap();
    let r = cli(&["check", s(&dir)]).expect(1);
    assert!(r.stderr.contains("warning: "), "{}", r.stderr);
    for args in [
        vec!["--quiet", "check", s(&dir)],
        vec!["run", s(&dir), "--date", "2019-03-01", "--quiet"],
    ] {
        let r = cli(&args).expect(1);
        assert!(r.stderr.contains("fem tusen"), "{}", r.stderr);
        assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    }
}

/// Regression: `explain` and `run` for an issued date recomputed silently and could show other
/// figures than the issued invoice. They now warn that the date was issued, and name each party
/// whose recomputed payable differs, with both amounts.
#[test]
fn explain_and_run_warn_on_an_issued_date() {
    let t = tmp();
    let input = issuing_copy("social-emergency-8", t.path());
    let issued = t.path().join("issued");
    issue_into(&input, "2017-07-01", &issued).expect(0);
    let explain = || {
        cli(&[
            "explain",
            s(&input),
            "--party",
            "0114",
            "--date",
            "2017-07-01",
        ])
        .expect(0)
    };
    let r = explain();
    assert!(
        r.stderr
            .contains("invoices dated 2017-07-01 were issued (numbers 0191 1")
            && r.stderr.contains("recomputed from the current input"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("recomputed now"), "{}", r.stderr);
    // The input changed since: both amounts are named.
    let pools = input.join("Pools.csv");
    let text = std::fs::read_to_string(&pools)
        .unwrap()
        .replace("50000.00,2017-07-01", "60000.00,2017-07-01");
    std::fs::write(&pools, text).unwrap();
    let r = explain();
    assert!(
        r.stderr.contains("to 0114 was issued payable"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("recomputed now"), "{}", r.stderr);
    let r = cli(&[
        "run",
        s(&input),
        "--date",
        "2017-07-01",
        "--out",
        s(&t.path().join("d")),
    ])
    .expect(0);
    assert!(
        r.stderr.contains("to 0114 was issued payable"),
        "{}",
        r.stderr
    );
    // A date not issued has no warning.
    let r = cli(&[
        "run",
        s(&input),
        "--date",
        "2017-08-01",
        "--out",
        s(&t.path().join("e")),
    ])
    .expect(0);
    assert!(!r.stderr.contains("were issued"), "{}", r.stderr);
}

/// Regression (issue 10): saving the workbook under a new name ("socialjour v2.xlsx") silently
/// started a new register, and issuing the same date again gave numbers 1001–1008 a second
/// time. `issue` now never creates a register by itself, names the register of the series, and
/// refuses a new one while issued invoices of the issuer lie beside it.
#[test]
fn a_workbook_saved_under_a_new_name_does_not_start_the_numbers_again() {
    let t = tmp();
    let first = t.path().join("socialjour.xlsx");
    std::fs::write(&first, csv_folder_to_xlsx(&case_dir("social-emergency-8"))).unwrap();
    // The first issue of a series needs the explicit step.
    let r = cli(&["issue", s(&first), "--date", "2017-07-01"]).expect(1);
    assert!(r.stderr.contains("register init"), "{}", r.stderr);
    assert!(!t.path().join("out").exists());
    cli(&["register", "init", s(&first)]).expect(0);
    // `register init` twice is refused: it would start the numbers again.
    let r = cli(&["register", "init", s(&first)]).expect(1);
    assert!(r.stderr.contains("exists already"), "{}", r.stderr);
    cli(&["issue", s(&first), "--date", "2017-07-01"]).expect(0);
    let register = t.path().join("socialjour.xlsx.register.sqlite");
    let before = register_rows(&register);
    assert_eq!(before.len(), 7);

    let second = t.path().join("socialjour v2.xlsx");
    std::fs::copy(&first, &second).unwrap();
    for args in [
        vec!["issue", s(&second), "--date", "2017-07-01"],
        vec!["issue", s(&second), "--date", "2017-08-01"],
    ] {
        let r = cli(&args).expect(1);
        assert!(
            r.stderr.contains(&format!("recorded in {}", s(&register))),
            "{}",
            r.stderr
        );
    }
    // Asked for a new register, it still refuses: the old register and the issued folder hold
    // numbers of the same issuer that the new one would not.
    let r = cli(&[
        "issue",
        s(&second),
        "--date",
        "2017-08-01",
        "--new-register",
    ])
    .expect(1);
    assert!(
        r.stderr.contains("of issuer 0191 that register"),
        "{}",
        r.stderr
    );
    let r = cli(&["register", "init", s(&second)]).expect(1);
    assert!(
        r.stderr.contains("of issuer 0191 that register"),
        "{}",
        r.stderr
    );
    assert!(!t.path().join("socialjour v2.xlsx.register.sqlite").exists());
    // With the series' register, the new file continues the numbers.
    cli(&[
        "issue",
        s(&second),
        "--date",
        "2017-08-01",
        "--register",
        s(&register),
    ])
    .expect(0);
    let numbers: Vec<i64> = register_rows(&register).iter().map(|r| r.1).collect();
    assert_eq!(numbers, (1..=14).collect::<Vec<i64>>());
}

/// Regression (issue 10): a register served whatever workbook it was given. It records the
/// agreement and issuer it serves and refuses another.
#[test]
fn a_register_refuses_another_agreement() {
    let t = tmp();
    let a = t.path().join("a");
    copy_case_csv("social-emergency-8", &a);
    cli(&["register", "init", s(&a)]).expect(0);
    let register = register_of(&a);
    let b = t.path().join("b");
    copy_case_csv("ikomet-3", &b);
    let r = cli(&[
        "issue",
        s(&b),
        "--date",
        "2019-03-01",
        "--register",
        s(&register),
        "--out",
        s(&t.path().join("o")),
    ])
    .expect(1);
    assert!(
        r.stderr.contains("holds the invoice series of issuer 0191")
            && r.stderr.contains("not of issuer 0182"),
        "{}",
        r.stderr
    );
    assert!(register_rows(&register).is_empty());
    assert!(!t.path().join("o").exists());
}

/// Starts `issue` of `date` and kills it with SIGKILL once it reports the test pause `step`.
fn issue_killed_at(input: &Path, out: &Path, date: &str, step: &str) {
    killed_at(&["issue", s(input), "--date", date, "--out", s(out)], step);
}

/// The invoice numbers in an output folder's invoices.json, by issuer.
fn numbers_in_folder(out: &Path) -> Vec<(String, i64)> {
    let text = std::fs::read_to_string(out.join("invoices.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut v: Vec<(String, i64)> = json["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["issuer"].as_str().unwrap().to_owned(),
                i["number"].as_i64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Regression (issue 10): a crash between the register's commit and the rename of the output
/// folder left the register saying "issued" while the files sat in a hidden temporary folder,
/// and a rerun was refused without saying where they were. The next run finishes the
/// publication and says so; the files are the ones the register numbered.
#[test]
fn a_kill_between_commit_and_rename_is_finished_by_the_next_run() {
    for step in ["after-commit", "before-rename"] {
        let t = tmp();
        let input = issuing_copy("social-emergency-8", t.path());
        let register = register_of(&input);
        let out = t.path().join("issued");
        issue_killed_at(&input, &out, "2017-07-01", step);
        assert_eq!(register_rows(&register).len(), 7, "{step}");
        assert!(!out.exists(), "{step}");
        assert_eq!(
            dot_entries(t.path()).len(),
            1,
            "{step}: the staged folder waits"
        );
        // The same date again: refused as issued, but the folder is put in place first.
        let r = cli(&["issue", s(&input), "--date", "2017-07-01", "--out", s(&out)]).expect(1);
        assert!(
            r.stderr
                .contains("finished publishing the invoices dated 2017-07-01")
                && r.stderr.contains("already issued"),
            "{step}: {}",
            r.stderr
        );
        assert!(dot_entries(t.path()).is_empty(), "{step}");
        let held = numbers_in_register(&register);
        assert_eq!(numbers_in_folder(&out), held, "{step}");
        // And the series goes on.
        let next = t.path().join("next");
        issue_into(&input, "2017-08-01", &next).expect(0);
        let numbers: Vec<i64> = register_rows(&register).iter().map(|r| r.1).collect();
        assert_eq!(numbers, (1..=14).collect::<Vec<i64>>(), "{step}");
    }
}

/// A kill before the commit records nothing: the staged folder it left is removed by the next
/// run (and said so), which issues the same numbers.
#[test]
fn a_kill_before_the_commit_leaves_nothing_issued_and_its_folder_is_cleaned() {
    let t = tmp();
    let input = issuing_copy("social-emergency-8", t.path());
    let register = register_of(&input);
    let out = t.path().join("issued");
    issue_killed_at(&input, &out, "2017-07-01", "before-commit");
    assert!(register_rows(&register).is_empty());
    assert!(!out.exists());
    assert_eq!(dot_entries(t.path()).len(), 1);
    let r = cli(&["issue", s(&input), "--date", "2017-07-01", "--out", s(&out)]).expect(0);
    assert!(
        r.stderr
            .contains("a temporary folder of a run that stopped"),
        "{}",
        r.stderr
    );
    assert!(dot_entries(t.path()).is_empty());
    let held = numbers_in_register(&register);
    assert_eq!(
        held.iter().map(|h| h.1).collect::<Vec<_>>(),
        (1..=7).collect::<Vec<_>>()
    );
    assert_eq!(numbers_in_folder(&out), held);
}

/// `kill -9` at random moments of `issue` (a fixed pseudo-random sequence of delays), each
/// followed by a rerun: never a gap or a duplicate number, never a published folder without its
/// register rows, never register rows without their folder once the next run is done.
#[test]
fn kill_9_at_random_points_of_issue_never_loses_or_doubles_a_number() {
    let t = tmp();
    let input = issuing_copy("social-emergency-8", t.path());
    let register = register_of(&input);
    let dates = SOCIAL_EMERGENCY_MONTHS;
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut kills = 0;
    for date in dates {
        let out = t.path().join(date);
        loop {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let delay = std::time::Duration::from_millis(seed % 150);
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_billing-report"))
                .args(["issue", s(&input), "--date", date, "--out", s(&out)])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(delay);
            let finished = child.try_wait().unwrap().is_some();
            if !finished {
                child.kill().unwrap();
                kills += 1;
            }
            child.wait().unwrap();
            // The next run finishes what the killed one left; it may issue the date itself.
            let r = cli(&["issue", s(&input), "--date", date, "--out", s(&out)]);
            assert!(
                r.code == 0 || r.stderr.contains("already issued"),
                "{date}: {}",
                r.stderr
            );
            if out.exists() {
                break;
            }
        }
        let held: Vec<(String, i64)> = register_rows(&register)
            .into_iter()
            .filter(|r| r.3 == date)
            .map(|r| (r.0, r.1))
            .collect();
        assert_eq!(numbers_in_folder(&out), held, "{date}");
        assert!(dot_entries(t.path()).is_empty(), "{date}");
    }
    let numbers: Vec<i64> = register_rows(&register).iter().map(|r| r.1).collect();
    assert_eq!(
        numbers,
        (1..=42).collect::<Vec<i64>>(),
        "after {kills} kill(s)"
    );
    assert!(kills > 0, "no run was killed");
    eprintln!("{kills} kill(s)");
}

/// Regression: opening the register created the index `invoices_by_date` when it was missing,
/// so a register made before that index existed was written by `run` (and `verify`, `year`):
/// a read-only copy failed ("attempt to write a readonly database") and a reader waited for
/// another process's `issue`. Now only the commands that write the register build indexes.
#[test]
fn reading_an_older_register_never_writes_to_it() {
    let t = tmp();
    let input = issuing_copy("social-emergency-8", t.path());
    let register = register_of(&input);
    let first = t.path().join("first");
    issue_into(&input, "2017-07-01", &first).expect(0);
    let has_index = |register: &Path| -> bool {
        let conn = rusqlite::Connection::open(register).unwrap();
        conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'invoices_by_date'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
            == 1
    };
    assert!(has_index(&register), "issue builds the index");
    // As a register written before the index existed.
    rusqlite::Connection::open(&register)
        .unwrap()
        .execute_batch("DROP INDEX invoices_by_date")
        .unwrap();
    let bytes = std::fs::read(&register).unwrap();

    let draft = t.path().join("draft");
    cli(&["run", s(&input), "--date", "2017-08-01", "--out", s(&draft)]).expect(0);
    assert_eq!(
        std::fs::read(&register).unwrap(),
        bytes,
        "run left the register as it was"
    );
    assert!(!has_index(&register));

    let second = t.path().join("second");
    issue_into(&input, "2017-08-01", &second).expect(0);
    assert!(has_index(&register), "the next issue builds it");
    assert_eq!(register_rows(&register).len(), 14);
}

/// The next run (2017-08-01, into `next`) records 2017-07-01's folder `out` as in place and
/// issues its own date: `out` keeps the numbers `first`, and the series runs 1 to 14.
fn next_run_records_and_goes_on(
    input: &Path,
    register: &Path,
    out: &Path,
    next: &Path,
    first: &[(String, i64)],
) {
    issue_into(input, "2017-08-01", next).expect(0);
    assert_eq!(
        publications(register),
        vec![
            ("2017-07-01".to_owned(), true),
            ("2017-08-01".to_owned(), true)
        ]
    );
    assert_eq!(numbers_in_folder(out), first, "nothing renumbered");
    let numbers: Vec<i64> = register_rows(register).iter().map(|r| r.1).collect();
    assert_eq!(numbers, (1..=14).collect::<Vec<i64>>());
}

/// The `publications` rows of a register as (date, published).
fn publications(register: &Path) -> Vec<(String, bool)> {
    let conn = rusqlite::Connection::open(register).unwrap();
    let mut stmt = conn
        .prepare("SELECT date, published FROM publications ORDER BY date")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? != 0)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// The register's invoice numbers as (issuer, number), in its order.
fn numbers_in_register(register: &Path) -> Vec<(String, i64)> {
    register_rows(register)
        .into_iter()
        .map(|r| (r.0, r.1))
        .collect()
}

/// Asserts that the register holds `date` as its one publication, waiting (its folder not
/// recorded as in place); the register's invoice numbers (see [`numbers_in_register`]).
fn waiting_with_numbers(register: &Path, date: &str) -> Vec<(String, i64)> {
    assert_eq!(publications(register), vec![(date.to_owned(), false)]);
    numbers_in_register(register)
}

/// Runs the binary with `args` and the test fault `fault`; its exit code and stderr.
fn run_with_fault(args: &[&str], fault: &str) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_billing-report"))
        .args(args)
        .env("BILLING_REPORT_TEST_FAIL_AT", fault)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `issue INPUT WHEN... --out OUT`, WHEN being `--date D` or `--through D`, as arguments.
fn issue_args<'a>(input: &'a Path, when: [&'a str; 2], out: &'a Path) -> [&'a str; 6] {
    ["issue", s(input), when[0], when[1], "--out", s(out)]
}

/// A fresh copy of social-emergency-8 in `t`, issued with `when` (see [`issue_args`]) into
/// `t/NAME` under the test fault `fault`: the input, its register, the --out folder, and the
/// run's exit code and stderr.
fn faulty_issue(
    t: &Path,
    when: [&str; 2],
    name: &str,
    fault: &str,
) -> (PathBuf, PathBuf, PathBuf, i32, String) {
    let input = issuing_copy("social-emergency-8", t);
    let register = register_of(&input);
    let out = t.join(name);
    let (code, stderr) = run_with_fault(&issue_args(&input, when, &out), fault);
    (input, register, out, code, stderr)
}

/// Regression (review): when the sync of the rename into place failed, the folder was still
/// recorded as in place; after a power cut losing the rename, the next run would have removed
/// its complete temporary copy as a leftover (numbers without files). It stays waiting until a
/// run syncs it, and that run records it; nothing is renumbered.
#[test]
fn a_rename_that_could_not_be_synced_is_not_recorded_as_in_place() {
    let t = tmp();
    let (input, register, out, code, stderr) =
        faulty_issue(t.path(), ["--date", "2017-07-01"], "issued", "sync-parent");
    assert_eq!(code, 0, "{stderr}");
    assert!(out.join("invoices.json").is_file());
    let first = waiting_with_numbers(&register, "2017-07-01");
    assert_eq!(numbers_in_folder(&out), first);
    // The next run syncs and records it, then issues its own date.
    next_run_records_and_goes_on(&input, &register, &out, &t.path().join("next"), &first);
    assert!(dot_entries(t.path()).is_empty());

    // `--through`: none of its dates is recorded as in place; the next run records them all.
    let t = tmp();
    let (input, register, dir, code, stderr) =
        faulty_issue(t.path(), ["--through", "2017-08-01"], "out", "sync-parent");
    assert_eq!(code, 0, "{stderr}");
    let waiting = publications(&register);
    assert!(
        waiting.len() >= 2 && waiting.iter().all(|(_, p)| !p),
        "{waiting:?}"
    );
    let (code, stderr) = run_with_fault(
        &issue_args(&input, ["--through", "2017-08-01"], &dir),
        "none",
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        publications(&register).iter().all(|(_, p)| *p),
        "{:?}",
        publications(&register)
    );
}

/// Regression (review): `issue --date` read the history, finished the publications and
/// issued on three connections with no lock between them, so another process could issue
/// between the history read and this date's numbers. It holds the register from before it
/// reads the history: paused right after, no other writer gets in.
#[test]
fn issue_date_holds_the_register_from_its_history_to_its_numbers() {
    let t = tmp();
    let input = issuing_copy("social-emergency-8", t.path());
    let register = register_of(&input);
    let out = t.path().join("issued");
    let mut child = start_paused(
        &["issue", s(&input), "--date", "2017-07-01", "--out", s(&out)],
        "after-history",
    );
    let other = rusqlite::Connection::open(&register).unwrap();
    other
        .busy_timeout(std::time::Duration::from_millis(100))
        .unwrap();
    let write = other.execute_batch("BEGIN IMMEDIATE; COMMIT;");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        matches!(&write, Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy),
        "another writer got in: {write:?}"
    );
    drop(other);
    issue_into(&input, "2017-07-01", &out).expect(0);
    assert_eq!(register_rows(&register).len(), 7);
}

/// A kill after the folder is renamed into place and before the register records it so: the
/// next run finds it in place and records it; nothing is renumbered, the files are complete.
#[test]
fn a_kill_between_rename_and_record_is_finished_by_the_next_run() {
    let t = tmp();
    let input = issuing_copy("social-emergency-8", t.path());
    let register = register_of(&input);
    let out = t.path().join("issued");
    issue_killed_at(&input, &out, "2017-07-01", "after-rename");
    assert!(out.join("invoices.json").is_file());
    assert!(dot_entries(t.path()).is_empty(), "the copy is the folder");
    let first = waiting_with_numbers(&register, "2017-07-01");
    assert_eq!(first.len(), 7);
    // A clean issue of the same date elsewhere: the same files, byte for byte.
    let t2 = tmp();
    let clean = issuing_copy("social-emergency-8", t2.path());
    let clean_out = t2.path().join("issued");
    issue_into(&clean, "2017-07-01", &clean_out).expect(0);
    assert_same_files(&clean_out, &out, "a clean issue");
    // The next run records it, and the series goes on.
    next_run_records_and_goes_on(&input, &register, &out, &t.path().join("next"), &first);
}

/// Files that could not be synced to the disk (a failing disk, given by the test fault
/// `sync-file`: every file's sync fails) are each counted, the first named, and nothing is
/// recorded nor left behind: the files are synced in the background while the outputs are
/// rendered, and the register commits only once every one is on the disk.
#[test]
fn files_that_could_not_be_synced_are_counted_the_first_named_and_nothing_recorded() {
    let t = tmp();
    let (input, register, out, code, stderr) =
        faulty_issue(t.path(), ["--date", "2017-07-01"], "issued", "sync-file");
    failed_leaving_nothing(t.path(), &out, &register, code, &stderr);

    // The same run without the fault: the error counted each of its files and the marker,
    // and named the first ten at their final paths (not the temporary folder's, which holds
    // the process id and is gone), and how many more.
    issue_into(&input, "2017-07-01", &out).expect(0);
    let mut files = files_under(&out);
    assert!(files.len() > 10, "{files:?}");
    files.push(".billing-report".to_owned());
    files.sort();
    assert!(
        stderr.contains(&format!("{} outputs could not be written", files.len())),
        "{stderr}"
    );
    for file in &files[..10] {
        let path = out.join(file);
        assert!(
            stderr.contains(&format!("{}: test fault: the sync failed", path.display())),
            "{file}: {stderr}"
        );
    }
    assert_eq!(stderr.matches("test fault: the sync failed").count(), 10);
    assert!(
        stderr.contains(&format!("and {} more", files.len() - 10)),
        "{stderr}"
    );
    assert!(!stderr.contains(".tmp-"), "{stderr}");

    // `--through`: its first date fails, so nothing is issued.
    let t = tmp();
    let (_, register, dir, code, stderr) =
        faulty_issue(t.path(), ["--through", "2017-08-01"], "out", "sync-file");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("test fault: the sync failed"), "{stderr}");
    assert!(register_rows(&register).is_empty());
    assert!(publications(&register).is_empty());
    assert!(files_under(&dir).is_empty());
}

/// Regression (review): a thread syncing an issued folder's files that panics (the test fault
/// `sync-panic`: on the first file) fails the run, naming the file at its final path; the run
/// never hangs, and nothing is recorded nor left behind.
#[test]
fn a_thread_syncing_the_files_that_panics_fails_the_run_and_records_nothing() {
    let t = tmp();
    let (_, register, out, code, stderr) =
        faulty_issue(t.path(), ["--date", "2017-07-01"], "issued", "sync-panic");
    failed_leaving_nothing(t.path(), &out, &register, code, &stderr);
    let failed = stderr
        .lines()
        .find(|l| l.contains("the thread syncing it failed"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(failed.contains(s(&out)), "{stderr}");
    assert!(!stderr.contains(".tmp-"), "{stderr}");
}

/// A file system that could not be synced once an issued folder's files are written (where one
/// `syncfs` syncs them all instead of one sync per file; the test fault `sync-fs`: that sync
/// fails, as on a failing disk) fails the run, naming the folder at its final path (no file
/// can be named); nothing is recorded nor left behind.
#[cfg(target_os = "linux")]
#[test]
fn a_file_system_that_could_not_be_synced_fails_the_folder_and_records_nothing() {
    let t = tmp();
    let (_, register, out, code, stderr) =
        faulty_issue(t.path(), ["--date", "2017-07-01"], "issued", "sync-fs");
    failed_leaving_nothing(t.path(), &out, &register, code, &stderr);
    assert!(
        stderr.contains(&format!(
            "{}: its file system could not be synced, so its files may not all be on the \
             disk: test fault: the sync failed",
            out.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains(".tmp-"), "{stderr}");

    // `--through`: its first date fails, so nothing is issued.
    let t = tmp();
    let (_, register, dir, code, stderr) =
        faulty_issue(t.path(), ["--through", "2017-08-01"], "out", "sync-fs");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("its file system could not be synced"),
        "{stderr}"
    );
    assert!(register_rows(&register).is_empty());
    assert!(publications(&register).is_empty());
    assert!(files_under(&dir).is_empty());
    assert!(
        dot_entries(t.path()).is_empty(),
        "{:?}",
        dot_entries(t.path())
    );
}

/// Asserts that a run (in `t`, into `out`) failed with exit 2, with nothing recorded in
/// `register` nor left behind: no `out`, no temporary folder.
fn failed_leaving_nothing(t: &Path, out: &Path, register: &Path, code: i32, stderr: &str) {
    assert_eq!(code, 2, "{stderr}");
    assert!(!out.exists());
    assert!(register_rows(register).is_empty());
    assert!(publications(register).is_empty());
    assert!(dot_entries(t).is_empty(), "{:?}", dot_entries(t));
}
