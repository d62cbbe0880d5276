//! Helpers shared by the command-line tests: running the built binary, the test-data cases,
//! writing a CSV folder as a workbook, and reading workbooks back as cell grids.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use calamine::{Data, Reader};
use rust_decimal::Decimal;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

/// The repository's `testdata/`.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("testdata")
}

/// A case folder under `testdata/cases/`.
pub fn case_dir(case: &str) -> PathBuf {
    testdata().join("cases").join(case)
}

/// The four seed arrangements, with the invoice dates whose outputs are golden.
pub const CASES: &[(&str, &[&str])] = &[
    (
        "kalmar-2010",
        &["2010-01-01", "2011-05-31", "2011-07-01", "2012-07-01"],
    ),
    ("stockholm-2020", &["2020-03-01", "2021-03-01"]),
    ("social-emergency-8", &["2017-07-01", "2017-08-01"]),
    ("ikomet-3", &["2019-03-01"]),
    ("ikomet-fee-review", &["2019-03-01"]),
];

/// Serialises the tests that read or rewrite the cases' workbooks: under `UPDATE_GOLDEN=1` one
/// test rewrites `agreement.xlsx` while another reads it.
pub fn golden_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// True when the golden files are to be rewritten.
pub fn update_golden() -> bool {
    std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1")
}

/// What a run of the binary gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Panics with the output unless the exit code is `code`.
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code {} (expected {code})\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

/// Runs the built binary with `args` in the folder `dir`.
pub fn cli_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_billing-report"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    Run::from(out)
}

/// Runs the built binary with `args`.
pub fn cli(args: &[&str]) -> Run {
    cli_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// A path as a `&str` argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A fresh temporary folder, removed when dropped.
pub fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("billing-report-test-")
        .tempdir()
        .expect("temp dir")
}

/// Copies the source CSV files of a case (not its workbook or expected outputs) into `to`.
pub fn copy_case_csv(case: &str, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for (name, _) in csv_files(&case_dir(case)) {
        std::fs::copy(case_dir(case).join(&name), to.join(&name)).unwrap();
    }
}

/// The CSV files of a folder, sorted, with their sheet names (the file stems).
pub fn csv_files(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "csv"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, stem)
        })
        .collect();
    out.sort();
    out
}

/// Reads a CSV file as rows of fields.
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// Writes rows of fields as a CSV file.
pub fn write_csv(path: &Path, rows: &[Vec<String>]) {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_path(path)
        .unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

/// How a CSV field is written into a workbook: as a finance officer would type it.
#[derive(Debug, PartialEq)]
pub enum Typed {
    Empty,
    Text(String),
    Number(Decimal),
    Date(chrono::NaiveDate),
    /// A formula whose cached result is an error value such as `#REF!` (written as `=#REF!`).
    ErrorCell(String),
}

/// Numbers become number cells unless they carry a leading zero (municipality codes such as
/// `0880` stay text); ISO dates become date cells; everything else is text.
pub fn typed(field: &str) -> Typed {
    if field.trim().is_empty() {
        return Typed::Empty;
    }
    if let Some(e) = field.strip_prefix('=').filter(|e| e.starts_with('#')) {
        return Typed::ErrorCell(e.to_owned());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(field, "%Y-%m-%d") {
        if field.len() == 10 {
            return Typed::Date(d);
        }
    }
    let leading_zero = field.len() > 1 && field.starts_with('0') && !field.starts_with("0.");
    let plain = field
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && field.chars().any(|c| c.is_ascii_digit())
        && !field[1..].contains('-');
    if plain && !leading_zero {
        if let Ok(d) = field.parse::<Decimal>() {
            return Typed::Number(d);
        }
    }
    Typed::Text(field.to_owned())
}

/// The order of sheets in a generated workbook: as the template has them.
fn sheet_rank(name: &str) -> usize {
    billing_report::workbook::SHEETS
        .iter()
        .position(|s| s.name == name)
        .unwrap_or(usize::MAX)
}

/// Writes the CSV tables `sheets` (name, rows) as an xlsx workbook with typed cells.
pub fn tables_to_xlsx(sheets: &[(String, Vec<Vec<String>>)]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2000, 1, 1).unwrap();
    wb.set_properties(
        &DocProperties::new()
            .set_title("agreement")
            .set_creation_datetime(&created),
    );
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let mut order: Vec<&(String, Vec<Vec<String>>)> = sheets.iter().collect();
    order.sort_by_key(|(n, _)| (sheet_rank(n), n.clone()));
    for (name, rows) in order {
        let ws = wb.add_worksheet().set_name(name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, field) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match typed(field) {
                    Typed::Empty => {}
                    Typed::Text(t) => {
                        ws.write_string(r, c, t).unwrap();
                    }
                    Typed::Number(d) => {
                        let f: f64 = d.to_string().parse().unwrap();
                        ws.write_number(r, c, f).unwrap();
                    }
                    Typed::Date(d) => {
                        let x = ExcelDateTime::parse_from_str(&d.to_string()).unwrap();
                        ws.write_datetime_with_format(r, c, &x, &date).unwrap();
                    }
                    Typed::ErrorCell(e) => {
                        let f = rust_xlsxwriter::Formula::new("=1/0").set_result(e);
                        ws.write_formula(r, c, f).unwrap();
                    }
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// Writes a CSV folder's tables as an xlsx workbook.
pub fn csv_folder_to_xlsx(dir: &Path) -> Vec<u8> {
    let sheets: Vec<(String, Vec<Vec<String>>)> = csv_files(dir)
        .into_iter()
        .map(|(name, stem)| (stem, read_csv(&dir.join(name))))
        .collect();
    tables_to_xlsx(&sheets)
}

/// Every sheet of a workbook as a grid of cells (`Debug` of calamine's `Data`), by sheet name.
pub fn grid(path: &Path) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut wb =
        calamine::open_workbook_auto(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let names = wb.sheet_names();
    names
        .into_iter()
        .map(|n| {
            let range = wb.worksheet_range(&n).unwrap();
            let (r0, c0) = range.start().unwrap_or((0, 0));
            let mut rows: Vec<Vec<Data>> = vec![Vec::new(); r0 as usize];
            for row in range.rows() {
                let mut cells = vec![Data::Empty; c0 as usize];
                cells.extend(row.iter().cloned());
                rows.push(cells);
            }
            (n, rows)
        })
        .collect()
}

/// Compares two workbooks as cell grids; the first difference, if any.
pub fn grid_difference(expected: &Path, actual: &Path) -> Option<String> {
    let (e, a) = (grid(expected), grid(actual));
    let names = |g: &[(String, Vec<Vec<Data>>)]| g.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    if names(&e) != names(&a) {
        return Some(format!("sheets {:?} != {:?}", names(&e), names(&a)));
    }
    for ((sheet, eg), (_, ag)) in e.iter().zip(&a) {
        let rows = eg.len().max(ag.len());
        for r in 0..rows {
            let er = eg.get(r).cloned().unwrap_or_default();
            let ar = ag.get(r).cloned().unwrap_or_default();
            for c in 0..er.len().max(ar.len()) {
                let ec = er.get(c).unwrap_or(&Data::Empty);
                let ac = ar.get(c).unwrap_or(&Data::Empty);
                if ec != ac {
                    return Some(format!(
                        "{sheet}!{}{}: expected {ec:?}, found {ac:?}",
                        billing_report::input::column_letters(c as u32),
                        r + 1
                    ));
                }
            }
        }
    }
    None
}

/// Every file under `dir`, as paths relative to it, sorted; not the `.billing-report` marker.
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if p == base.join(".billing-report") {
                // The marker saying what wrote the folder, not an output.
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

/// Asserts that `actual` holds the files of `expected` (the marker aside), each byte for byte;
/// `what` names the case in the messages.
pub fn assert_same_files(expected: &Path, actual: &Path, what: &str) {
    let files = files_under(expected);
    assert_eq!(files_under(actual), files, "{what}");
    for f in &files {
        assert!(
            std::fs::read(actual.join(f)).unwrap() == std::fs::read(expected.join(f)).unwrap(),
            "{what}: {f} differs"
        );
    }
}

/// The dates `issue --through 2017-12-01` issues for social-emergency-8 (with no date issued
/// before): its monthly fees, the first of each month from July.
pub const SOCIAL_EMERGENCY_MONTHS: [&str; 6] = [
    "2017-07-01",
    "2017-08-01",
    "2017-09-01",
    "2017-10-01",
    "2017-11-01",
    "2017-12-01",
];

/// Compares an output folder with an expected one: the same files; CSV and JSON byte for
/// byte, workbooks as cell grids. Every difference, in words.
pub fn folder_differences(expected: &Path, actual: &Path) -> Vec<String> {
    let (ef, af) = (files_under(expected), files_under(actual));
    let mut out = Vec::new();
    if ef != af {
        out.push(format!("files {ef:?} != {af:?}"));
        return out;
    }
    for f in &ef {
        let (e, a) = (expected.join(f), actual.join(f));
        if f.ends_with(".xlsx") {
            if let Some(d) = grid_difference(&e, &a) {
                out.push(format!("{f}: {d}"));
            }
        } else {
            let (eb, ab) = (std::fs::read(&e).unwrap(), std::fs::read(&a).unwrap());
            if eb != ab {
                let (et, at) = (String::from_utf8_lossy(&eb), String::from_utf8_lossy(&ab));
                let line = et
                    .lines()
                    .zip(at.lines())
                    .position(|(x, y)| x != y)
                    .unwrap_or(et.lines().count().min(at.lines().count()));
                out.push(format!(
                    "{f} differs at line {}: expected {:?}, found {:?}",
                    line + 1,
                    et.lines().nth(line),
                    at.lines().nth(line)
                ));
            }
        }
    }
    out
}

/// Where `actual` first differs from `expected`, byte for byte, in words: the offset and, for
/// a workbook, the part it falls in (compared as XML text).
pub fn bytes_difference(expected: &[u8], actual: &[u8]) -> Option<String> {
    let at = expected
        .iter()
        .zip(actual)
        .position(|(e, a)| e != a)
        .or((expected.len() != actual.len()).then(|| expected.len().min(actual.len())))?;
    let parts = |bytes: &[u8]| -> Vec<(String, Vec<u8>)> {
        let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())) else {
            return Vec::new();
        };
        (0..zip.len())
            .filter_map(|i| {
                let mut f = zip.by_index(i).ok()?;
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut f, &mut data).ok()?;
                Some((f.name().map(|n| n.to_string()).unwrap_or_default(), data))
            })
            .collect()
    };
    let part = parts(expected)
        .into_iter()
        .zip(parts(actual))
        .find(|(e, a)| e != a)
        .map(|((en, e), (an, a))| {
            let from = e
                .iter()
                .zip(&a)
                .position(|(x, y)| x != y)
                .unwrap_or(e.len().min(a.len()));
            let around = |d: &[u8]| {
                String::from_utf8_lossy(
                    d.get(from.saturating_sub(40)..(from + 80).min(d.len()))
                        .unwrap_or(&[]),
                )
                .into_owned()
            };
            format!(": {en} {:?} / {an} {:?}", around(&e), around(&a))
        })
        .unwrap_or_default();
    Some(format!(
        "byte {at} differs ({} bytes expected, {} found){part}",
        expected.len(),
        actual.len()
    ))
}

/// Where the workbook `write` makes of the draft of the agreement in `input` on `on`
/// (`YYYY-MM-DD`) differs, byte for byte, from the pinned file `pinned` (`file: difference`).
pub fn pinned_difference(
    input: &Path,
    on: &str,
    pinned: &Path,
    write: impl Fn(&billing_report::workbook::Input, &billing_report::compute::Draft) -> Vec<u8>,
) -> Option<String> {
    let (agreement, _) = billing_report::workbook::load(input)
        .unwrap_or_else(|p| panic!("{} loads: {p:?}", input.display()));
    let on = chrono::NaiveDate::parse_from_str(on, "%Y-%m-%d").expect("a date");
    let draft = billing_report::compute::compute(
        &agreement,
        on,
        &billing_report::compute::History::default(),
    )
    .unwrap_or_else(|p| panic!("{} computes: {p:?}", input.display()));
    let written = write(&agreement, &draft);
    let pinned_bytes = std::fs::read(pinned).expect("the pinned workbook");
    bytes_difference(&pinned_bytes, &written).map(|d| format!("{}: {d}", pinned.display()))
}

/// Copies a folder's files (recursively) into `to`, replacing it.
pub fn replace_folder(from: &Path, to: &Path) {
    if to.exists() {
        std::fs::remove_dir_all(to).unwrap();
    }
    for f in files_under(from) {
        let dest = to.join(&f);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&f), dest).unwrap();
    }
}

/// The data rows of `lines.csv` as maps from header to field.
pub fn lines(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let rows = read_csv(path);
    let head = rows[0].clone();
    rows[1..]
        .iter()
        .map(|r| head.iter().cloned().zip(r.iter().cloned()).collect())
        .collect()
}

/// Starts billing-report with `args`, to pause at the test step `step`
/// (`BILLING_REPORT_TEST_PAUSE_AT`, `NAME` or `NAME@N` for the N-th time NAME is reached), and
/// returns it, still paused, once it reports the pause; the test fails if it ends first.
pub fn start_paused(args: &[&str], step: &str) -> std::process::Child {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_billing-report"))
        .args(args)
        .env("BILLING_REPORT_TEST_PAUSE_AT", step)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        seen.push_str(&line);
        let paused = line.contains("test pause at");
        line.clear();
        if paused {
            break;
        }
    }
    // Read to the end while paused: the process's other threads still print, and a closed
    // pipe would make their prints fail (and them stop).
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let name = step.split('@').next().unwrap_or(step);
    assert!(
        seen.contains(&format!("test pause at {name}")),
        "never paused at {step}:\n{seen}"
    );
    child
}

/// Runs billing-report with `args` and kills it (SIGKILL) once it pauses at `step`.
pub fn killed_at(args: &[&str], step: &str) {
    let mut child = start_paused(args, step);
    child.kill().unwrap();
    child.wait().unwrap();
}
