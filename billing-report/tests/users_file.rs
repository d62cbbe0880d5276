//! The user register in a CSV file named by the setting `users_file` (issue 12): read a row at a
//! time, it gives exactly what the Users sheet gives; its bad rows are located at the file's
//! line and column; a path leaving the workbook's folder, a file that is not there, and a
//! register given both as a sheet and as a file are errors at the setting's value.

mod common;

use std::path::Path;

use common::*;

const CASE: &str = "kalmar-2010";
const DATE: &str = "2011-07-01";

/// The case's tables (name, rows) from its CSV folder.
fn tables() -> Vec<(String, Vec<Vec<String>>)> {
    csv_files(&case_dir(CASE))
        .into_iter()
        .map(|(name, stem)| (stem, read_csv(&case_dir(CASE).join(name))))
        .collect()
}

/// The case as a workbook in `dir`, its register moved to `dir/file` and named by `users_file`
/// (with `extra` settings rows), or kept as the Users sheet when `file` is `None`.
fn workbook(dir: &Path, file: Option<&str>, keep_sheet: bool) -> std::path::PathBuf {
    let mut sheets = tables();
    if let Some(file) = file {
        let users = sheets
            .iter()
            .find(|(n, _)| n == "Users")
            .map(|(_, rows)| rows.clone())
            .expect("the case has a register");
        write_csv(&dir.join(file), &users);
        if !keep_sheet {
            sheets.retain(|(n, _)| n != "Users");
        }
        for (name, rows) in &mut sheets {
            if name == "Settings" {
                rows.push(vec!["users_file".to_owned(), file.to_owned()]);
            }
        }
    }
    let path = dir.join("agreement.xlsx");
    std::fs::write(&path, tables_to_xlsx(&sheets)).unwrap();
    path
}

fn run(input: &Path, out: &Path) -> Run {
    cli(&["run", s(input), "--date", DATE, "--out", s(out), "--quiet"])
}

/// Every output file, byte for byte, of two output folders.
fn same_bytes(a: &Path, b: &Path) {
    let (fa, fb) = (files_under(a), files_under(b));
    assert_eq!(fa, fb, "the same files");
    assert!(fa.len() > 5, "outputs were written: {fa:?}");
    for f in &fa {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs between the Users sheet and users_file"
        );
    }
}

#[test]
fn a_register_file_gives_what_the_sheet_gives_byte_for_byte() {
    let t = tmp();
    let (sheet_dir, file_dir) = (t.path().join("sheet"), t.path().join("file"));
    std::fs::create_dir_all(&sheet_dir).unwrap();
    std::fs::create_dir_all(&file_dir).unwrap();
    let with_sheet = workbook(&sheet_dir, None, false);
    let with_file = workbook(&file_dir, Some("register.csv"), false);
    run(&with_sheet, &t.path().join("out-sheet")).expect(0);
    run(&with_file, &t.path().join("out-file")).expect(0);
    same_bytes(&t.path().join("out-sheet"), &t.path().join("out-file"));
    // `check` counts the same registrations.
    let count = |p: &Path| cli(&["check", s(p)]).expect(0).stdout;
    assert_eq!(
        count(&with_sheet).replace(s(&with_sheet), ""),
        count(&with_file).replace(s(&with_file), "")
    );
}

#[test]
fn a_csv_folder_may_name_its_register_file_too() {
    let t = tmp();
    let plain = t.path().join("plain");
    copy_case_csv(CASE, &plain);
    let named = t.path().join("named");
    copy_case_csv(CASE, &named);
    std::fs::rename(named.join("Users.csv"), named.join("register.csv")).unwrap();
    let mut settings = read_csv(&named.join("Settings.csv"));
    settings.push(vec!["users_file".to_owned(), "register.csv".to_owned()]);
    write_csv(&named.join("Settings.csv"), &settings);
    run(&plain, &t.path().join("out-plain")).expect(0);
    run(&named, &t.path().join("out-named")).expect(0);
    same_bytes(&t.path().join("out-plain"), &t.path().join("out-named"));
}

#[test]
fn bad_rows_of_the_file_are_located_all_at_once_and_no_user_id_is_shown() {
    let t = tmp();
    let path = workbook(t.path(), Some("register.csv"), false);
    let mut rows = read_csv(&t.path().join("register.csv"));
    let width = rows[0].len();
    // Line 3: an unknown party; line 5: a bad first day; line 7: no user id; a blank line
    // before line 9 is counted: the row after it is on line 10, its last day before its first.
    rows[2][0] = "9999".to_owned();
    rows[4][2] = "2010-13-45".to_owned();
    rows[6][1] = String::new();
    rows[8] = vec![
        rows[8][0].clone(),
        "198001011234".to_owned(),
        "2011-01-01".to_owned(),
        "2010-01-01".to_owned(),
    ];
    rows[8].resize(width, String::new());
    let mut text = String::new();
    for (i, r) in rows.iter().enumerate() {
        if i == 8 {
            text.push('\n');
        }
        text.push_str(&r.join(","));
        text.push('\n');
    }
    std::fs::write(t.path().join("register.csv"), text).unwrap();
    let r = cli(&["check", s(&path)]).expect(1);
    let file = t.path().join("register.csv");
    // At the file's lines, as a transactions file's rows: the workbook has no sheet Users.
    assert!(!r.stderr.contains("Users!"), "{}", r.stderr);
    for line in [
        "3: the party is not a party of the agreement\n",
        "5: first_day must be a date (YYYY-MM-DD)\n",
        "7: user_id is required, the cell is empty\n",
        "10: the last day is before the first day (2011-01-01)\n",
    ] {
        assert!(
            r.stderr
                .contains(&format!("error: {}:{line}", file.display())),
            "{line} not located in:\n{}",
            r.stderr
        );
    }
    assert!(r.stderr.contains("date"), "{}", r.stderr);
    assert!(!r.stderr.contains("198001011234"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("9999"),
        "a register value is never shown: {}",
        r.stderr
    );
}

#[test]
fn a_row_wider_than_the_header_and_a_quote_left_open_are_located() {
    let t = tmp();
    let path = workbook(t.path(), Some("register.csv"), false);
    let file = t.path().join("register.csv");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("0880,x-1,2010-01-01,,,extra\n0880,\"x-2,2010-01-01,,\n0880,x-3,2010-01-01,,\n");
    let lines = text.lines().count();
    std::fs::write(&file, text).unwrap();
    let r = cli(&["check", s(&path)]).expect(1);
    assert!(
        r.stderr.contains(&format!(
            "{}:{}: the line has 6 fields",
            file.display(),
            lines - 2
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!(
            "{}:{}: the field of column B runs over several lines: is a quote (\") left open?",
            file.display(),
            lines - 1
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn a_path_leaving_the_folder_is_refused_at_the_setting() {
    let t = tmp();
    let inner = t.path().join("inner");
    std::fs::create_dir_all(&inner).unwrap();
    workbook(t.path(), Some("register.csv"), false);
    for bad in ["../register.csv", s(&t.path().join("register.csv"))] {
        let mut sheets = tables();
        sheets.retain(|(n, _)| n != "Users");
        for (name, rows) in &mut sheets {
            if name == "Settings" {
                rows.push(vec!["users_file".to_owned(), bad.to_owned()]);
            }
        }
        let path = inner.join("agreement.xlsx");
        std::fs::write(&path, tables_to_xlsx(&sheets)).unwrap();
        let r = cli(&["check", s(&path)]).expect(1);
        let settings_row = sheets
            .iter()
            .find(|(n, _)| n == "Settings")
            .map(|(_, rows)| rows.len())
            .unwrap();
        assert!(
            r.stderr.contains(&format!("Settings!B{settings_row}"))
                && r.stderr
                    .contains("users_file must name a file inside the workbook's folder"),
            "{bad}: {}",
            r.stderr
        );
    }
    // A link inside the folder leading out of it is refused too.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(t.path().join("register.csv"), inner.join("link.csv")).unwrap();
        let mut sheets = tables();
        sheets.retain(|(n, _)| n != "Users");
        for (name, rows) in &mut sheets {
            if name == "Settings" {
                rows.push(vec!["users_file".to_owned(), "link.csv".to_owned()]);
            }
        }
        let path = inner.join("agreement.xlsx");
        std::fs::write(&path, tables_to_xlsx(&sheets)).unwrap();
        let r = cli(&["check", s(&path)]).expect(1);
        assert!(
            r.stderr.contains("inside the workbook's folder"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn a_register_given_as_sheet_and_file_is_an_error_at_the_setting() {
    let t = tmp();
    let path = workbook(t.path(), Some("register.csv"), true);
    let r = cli(&["check", s(&path)]).expect(1);
    let rows = read_csv(&case_dir(CASE).join("Settings.csv")).len() + 1;
    assert!(
        r.stderr.contains(&format!("Settings!B{rows}"))
            && r.stderr.contains("the Users table is given twice"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_missing_file_is_an_error_at_the_setting() {
    let t = tmp();
    let path = workbook(t.path(), Some("register.csv"), false);
    std::fs::remove_file(t.path().join("register.csv")).unwrap();
    let r = cli(&["check", s(&path)]).expect(1);
    assert!(
        r.stderr.contains("users_file names no file"),
        "{}",
        r.stderr
    );
}
