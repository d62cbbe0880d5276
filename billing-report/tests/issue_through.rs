//! `issue --through DATE` (issue 12): every date up to DATE that is not issued yet, in one run
//! that reads the input once, gives exactly what issuing those dates one by one gives: the
//! same files, byte for byte, and the same register.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// A copy of a case's CSV tables at `dir/case` with its register created.
fn issuing_copy(case: &str, dir: &Path) -> PathBuf {
    let input = dir.join(case);
    copy_case_csv(case, &input);
    cli(&["register", "init", s(&input)]).expect(0);
    input
}

fn register_of(input: &Path) -> PathBuf {
    let name = input.file_name().unwrap().to_string_lossy().into_owned();
    input.with_file_name(format!("{name}.register.sqlite"))
}

/// Every row of every table of the register, as text, table by table in rowid order. Where a
/// folder was published (`publications`) is a path of the run, so only its date and state
/// are kept.
fn register_content(register: &Path) -> Vec<(String, Vec<String>)> {
    let conn = rusqlite::Connection::open(register).unwrap();
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables.retain(|t| !t.starts_with("sqlite_"));
    let mut out = Vec::new();
    for table in tables {
        let columns = if table == "publications" {
            "date, published"
        } else {
            "*"
        };
        let mut stmt = conn
            .prepare(&format!("SELECT {columns} FROM {table} ORDER BY rowid"))
            .unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| r.get_ref(i).map(|v| format!("{v:?}")))
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap()
            .map(|r| r.unwrap().join(" | "));
        out.push((table.clone(), rows.collect()));
    }
    out
}

/// The issued dates' folders under `out`, by name.
fn issued_folders(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Issues `case` through `through` in one run, then date by date in a second copy, and compares
/// the two: the dates issued, every file's bytes and every register row.
fn through_equals_one_by_one(case: &str, through: &str) -> Vec<String> {
    let t = tmp();
    let all = issuing_copy(case, &t.path().join("all"));
    let one = issuing_copy(case, &t.path().join("one"));
    cli(&["issue", s(&all), "--through", through]).expect(0);
    let dates = issued_folders(&t.path().join("all/out"));
    assert!(dates.len() > 1, "{case}: issued {dates:?}");
    for date in &dates {
        cli(&["issue", s(&one), "--date", date]).expect(0);
    }
    let (a, b) = (t.path().join("all/out"), t.path().join("one/out"));
    assert_eq!(issued_folders(&b), dates);
    let files = files_under(&a);
    assert_eq!(files, files_under(&b), "{case}: the same files");
    assert!(files.iter().any(|f| f.ends_with(".xml")) && files.iter().any(|f| f.ends_with(".pdf")));
    for f in &files {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{case}: {f} differs"
        );
    }
    let (ra, rb) = (
        register_content(&register_of(&all)),
        register_content(&register_of(&one)),
    );
    assert_eq!(ra, rb, "{case}: the same register");
    let invoices = &ra.iter().find(|(t, _)| t == "invoices").unwrap().1;
    assert!(!invoices.is_empty());
    // Nothing is left to issue through the same date.
    let again = cli(&["issue", s(&all), "--through", through]).expect(0);
    assert!(again.stderr.contains("nothing issued"), "{}", again.stderr);
    assert_eq!(register_content(&register_of(&all)), ra);
    dates
}

#[test]
fn issuing_through_a_date_is_issuing_each_date_one_by_one() {
    // Kalmar: an entry, a notice, the providers' arrears on a settlement day, an extra pool.
    let dates = through_equals_one_by_one("kalmar-2010", "2012-07-01");
    for d in ["2010-01-01", "2011-05-31", "2011-07-01", "2012-07-01"] {
        assert!(dates.iter().any(|x| x == d), "{d} in {dates:?}");
    }
    // Six monthly instalments after the start costs.
    let dates = through_equals_one_by_one("social-emergency-8", "2017-12-01");
    assert_eq!(dates, SOCIAL_EMERGENCY_MONTHS);
}

#[test]
fn issuing_through_continues_after_the_last_issued_date() {
    let t = tmp();
    let input = issuing_copy("social-emergency-8", t.path());
    cli(&["issue", s(&input), "--date", "2017-07-01"]).expect(0);
    cli(&["issue", s(&input), "--through", "2017-09-15"]).expect(0);
    assert_eq!(
        issued_folders(&t.path().join("out")),
        ["2017-07-01", "2017-08-01", "2017-09-01"]
    );
    // A date before the last issued one is refused, as with `--date`.
    let r = cli(&["issue", s(&input), "--date", "2017-08-01"]).expect(1);
    assert!(r.stderr.contains("already issued"), "{}", r.stderr);
}

#[test]
fn a_folder_in_the_way_of_a_later_date_stops_the_run_before_anything_is_issued() {
    let t = tmp();
    let input = issuing_copy("social-emergency-8", t.path());
    let register = register_of(&input);
    let before = register_content(&register);
    let in_the_way = t.path().join("out/2017-10-01");
    std::fs::create_dir_all(&in_the_way).unwrap();
    std::fs::write(in_the_way.join("notes.txt"), "mine").unwrap();
    let r = cli(&["issue", s(&input), "--through", "2017-12-01"]);
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("2017-10-01"), "{}", r.stderr);
    assert_eq!(register_content(&register), before, "nothing recorded");
    assert_eq!(issued_folders(&t.path().join("out")), ["2017-10-01"]);
    assert_eq!(
        std::fs::read_to_string(in_the_way.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn through_is_for_issue_and_not_with_date() {
    let t = tmp();
    let input = issuing_copy("social-emergency-8", t.path());
    let r = cli(&["run", s(&input), "--through", "2017-12-01"]).expect(2);
    assert!(
        r.stderr.contains("--through is for `issue`"),
        "{}",
        r.stderr
    );
    let r = cli(&[
        "issue",
        s(&input),
        "--date",
        "2017-07-01",
        "--through",
        "2017-12-01",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!t.path().join("out").exists());
}

/// Regression (reviewer, issue 12): `--through` read the register's history once but took the
/// register's lock only for each date's transaction, so another process could issue between two
/// dates and be missing from the history the later dates were computed from. Now the run holds
/// the register from before it reads the history to its end: paused after its first date is
/// committed, no other connection can start writing, nor read what it is doing.
#[test]
fn a_through_run_holds_the_register_between_its_dates() {
    let t = tmp();
    let input = issuing_copy("social-emergency-8", t.path());
    let register = register_of(&input);
    let step = "before-rename";
    let mut child = start_paused(&["issue", s(&input), "--through", "2017-12-01"], step);
    let other = rusqlite::Connection::open(&register).unwrap();
    other
        .busy_timeout(std::time::Duration::from_millis(100))
        .unwrap();
    let write = other.execute_batch("BEGIN IMMEDIATE; COMMIT;");
    let read = other.query_row("SELECT count(*) FROM invoices", [], |r| r.get::<_, i64>(0));
    child.kill().unwrap();
    child.wait().unwrap();
    let locked = |e: Option<&rusqlite::Error>| matches!(e, Some(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy);
    assert!(
        locked(write.as_ref().err()),
        "another writer got in: {write:?}"
    );
    assert!(
        locked(read.as_ref().err()),
        "another reader got in: {read:?}"
    );
    drop(other);
    // Once it is gone, the next run puts the first date's folder in place and issues the rest.
    let r = cli(&["issue", s(&input), "--through", "2017-12-01"]).expect(0);
    assert!(
        r.stderr
            .contains("finished publishing the invoices dated 2017-07-01"),
        "{}",
        r.stderr
    );
    assert_eq!(
        issued_folders(&t.path().join("out")),
        SOCIAL_EMERGENCY_MONTHS
    );
}

/// A kill after a date's folder is renamed into place and before the register records it so,
/// at a middle date and at the last: the next run records it (and issues the dates after it);
/// the folders and the register are those of a run never killed: nothing renumbered, every
/// file complete.
#[test]
fn a_kill_between_a_rename_and_its_record_is_finished_by_the_next_run() {
    let dates = SOCIAL_EMERGENCY_MONTHS;
    let t = tmp();
    let clean = issued_through(&t.path().join("clean"));
    let clean_out = t.path().join("clean/out");
    assert_eq!(issued_folders(&clean_out), dates);
    for nth in [3, 6] {
        let dir = t.path().join(format!("killed-{nth}"));
        let input = issuing_copy("social-emergency-8", &dir);
        let step = format!("after-rename@{nth}");
        killed_at(&["issue", s(&input), "--through", "2017-12-01"], &step);
        let out = dir.join("out");
        assert_eq!(issued_folders(&out), dates[..nth], "{step}");
        let waiting: Vec<String> = rusqlite::Connection::open(register_of(&input))
            .unwrap()
            .prepare("SELECT date FROM publications WHERE published = 0")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(waiting, [dates[nth - 1]], "{step}");
        cli(&["issue", s(&input), "--through", "2017-12-01"]).expect(0);
        assert_as_never_killed(&clean, &input, &step);
    }
}

/// The dates of the register's invoices, each once, in order.
fn invoice_dates(register: &Path) -> Vec<String> {
    rusqlite::Connection::open(register)
        .unwrap()
        .prepare("SELECT DISTINCT date FROM invoices ORDER BY date")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// `--through` renders a date in memory while another thread commits the date before it
/// (syncs its files, commits it, puts its folder in place). Paused there (`rendered-ahead`),
/// and killed, with the date before it committed or not: nothing of the date rendered ahead,
/// nor of a later one, is in the register or on the disk (no folder, no temporary folder);
/// the next run gives the folders and the register of a run never killed.
#[test]
fn a_kill_while_a_date_is_rendered_ahead_leaves_nothing_of_it() {
    let dates = SOCIAL_EMERGENCY_MONTHS;
    let t = tmp();
    let clean = issued_through(&t.path().join("clean"));
    for nth in [1, 4] {
        let dir = t.path().join(format!("killed-{nth}"));
        let input = issuing_copy("social-emergency-8", &dir);
        let step = format!("rendered-ahead@{nth}");
        // Paused once date nth + 1 is rendered, date nth committed by the other thread.
        let mut child = start_paused(&["issue", s(&input), "--through", "2017-12-01"], &step);
        let out = dir.join("out");
        let entries = || -> Vec<String> {
            match std::fs::read_dir(&out) {
                Ok(entries) => entries
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect(),
                Err(_) => Vec::new(),
            }
        };
        let mut written = entries();
        child.kill().unwrap();
        child.wait().unwrap();
        // The register is locked while the run holds it: read once it is killed.
        written.extend(entries());
        let recorded = invoice_dates(&register_of(&input));
        for later in &dates[nth..] {
            assert!(
                written.iter().all(|w| !w.contains(later)),
                "{step}: {later} written: {written:?}"
            );
        }
        assert!(
            recorded == dates[..nth] || recorded == dates[..nth - 1],
            "{step}: recorded {recorded:?}"
        );
        cli(&["issue", s(&input), "--through", "2017-12-01"]).expect(0);
        assert_as_never_killed(&clean, &input, &step);
    }
}

/// The numbers a date is rendered ahead with are a guess, checked against those the register
/// gives once the date before is committed: guessed wrong (the test fault `number-ahead`), the
/// date is rendered again with the register's numbers, and the folders and the register are
/// those of a run that guessed right.
#[test]
fn a_date_rendered_ahead_with_other_numbers_is_rendered_again() {
    let t = tmp();
    let clean = issued_through(&t.path().join("clean"));
    let input = issuing_copy("social-emergency-8", &t.path().join("guessed"));
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_billing-report"))
        .args(["issue", s(&input), "--through", "2017-12-01"])
        .env("BILLING_REPORT_TEST_FAIL_AT", "number-ahead")
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    assert_as_never_killed(&clean, &input, "number-ahead");
}

/// social-emergency-8 issued through 2017-12-01 in `dir`, in one run never killed: its input.
fn issued_through(dir: &Path) -> PathBuf {
    let clean = issuing_copy("social-emergency-8", dir);
    cli(&["issue", s(&clean), "--through", "2017-12-01"]).expect(0);
    clean
}

/// `input`'s folders (every date through 2017-12-01) and register are those of `clean`, issued
/// by [`issued_through`]: the same files, byte for byte, and the same rows.
fn assert_as_never_killed(clean: &Path, input: &Path, what: &str) {
    let out = input.with_file_name("out");
    assert_eq!(issued_folders(&out), SOCIAL_EMERGENCY_MONTHS, "{what}");
    assert_same_files(&clean.with_file_name("out"), &out, what);
    assert_eq!(
        register_content(&register_of(input)),
        register_content(&register_of(clean)),
        "{what}: the same register"
    );
}
