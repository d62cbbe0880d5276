//! `billing-report verify`: recomputes a run from its input and compares it with an output
//! folder written before, reporting every difference.
//!
//! The date and the status (draft or issued) are read from the folder's `invoices.json`; an
//! issued folder is recomputed with the invoice numbers and OCR references the invoice register
//! recorded for (issuer, buyer, date), never with the folder's own: a folder claiming numbers the
//! register did not issue differs. Every file is recomputed in memory and compared by content:
//! CSV files field by field, JSON value by value (with its path), workbooks as cell grids
//! (sheet and cell), anything else byte for byte.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use serde_json::Value;

use crate::compute::{compute, Draft, History};
use crate::register::{default_path, InvoiceRegister, IssuedInvoice};
use crate::workbook::load;

/// Arguments of `billing-report verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The agreement workbook.
    pub input: PathBuf,
    /// The output folder to check.
    pub outdir: PathBuf,
    /// The invoice register (default: `<input>.register.sqlite` beside the input).
    #[arg(long)]
    pub register: Option<PathBuf>,
}

/// One difference between a recomputed file and the file in the folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The file, relative to the folder.
    pub file: String,
    /// Where in it: `row 3, amount`, `invoices[0].payable`, `Faktura!C17`, or empty for the
    /// whole file.
    pub place: String,
    /// The recomputed value.
    pub expected: String,
    /// The value in the folder.
    pub found: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.place.is_empty() {
            write!(f, "{}: ", self.file)?;
        } else {
            write!(f, "{}: {}: ", self.file, self.place)?;
        }
        write!(
            f,
            "recomputed {}, found {}",
            shown(&self.expected),
            shown(&self.found)
        )
    }
}

fn shown(s: &str) -> String {
    if s.is_empty() {
        "(empty)".to_owned()
    } else {
        format!("{s:?}")
    }
}

/// Runs `billing-report verify`: exit 0 when the folder is what the input gives, 1 when
/// anything differs (every difference printed).
///
/// # Errors
/// An input that does not load or compute, or a folder without a readable `invoices.json`
/// (exit 2 in `main`).
pub fn run(args: &VerifyArgs, quiet: bool) -> Result<ExitCode, String> {
    let differences = verify(&args.input, &args.outdir, args.register.as_deref())?;
    for d in &differences {
        println!("{d}");
    }
    if !quiet || !differences.is_empty() {
        let summary = if differences.is_empty() {
            format!(
                "{}: the same as recomputed from {}",
                args.outdir.display(),
                args.input.display()
            )
        } else {
            format!(
                "{}: {} difference(s) from what {} gives",
                args.outdir.display(),
                differences.len(),
                args.input.display()
            )
        };
        eprintln!("{summary}");
    }
    Ok(if differences.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Recomputes the run that wrote `outdir` and returns every difference.
///
/// # Errors
/// As [`run`].
pub fn verify(
    input: &Path,
    outdir: &Path,
    register: Option<&Path>,
) -> Result<Vec<Difference>, String> {
    if outdir.join(crate::credit::CREDIT_JSON).is_file() {
        return verify_credit(input, outdir, register);
    }
    let json_path = outdir.join("invoices.json");
    let text =
        std::fs::read_to_string(&json_path).map_err(|e| format!("{}: {e}", json_path.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", json_path.display()))?;
    let date = json
        .get("date")
        .and_then(Value::as_str)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| format!("{}: no date", json_path.display()))?;
    let issued = json.get("status").and_then(Value::as_str) == Some("issued");

    let (loaded, _) = load(input).map_err(|problems| problem_text(input, &problems))?;
    let register = register.map_or_else(|| default_path(input), Path::to_owned);
    let opened = InvoiceRegister::open_existing(&register).map_err(|e| e.to_string())?;
    let history = match &opened {
        Some(r) => r.history().map_err(|e| e.to_string())?,
        None => History::default(),
    };
    let mut draft =
        compute(&loaded, date, &history).map_err(|problems| problem_text(input, &problems))?;
    let mut out = Vec::new();
    if issued {
        // The numbers and OCR references are the register's, never the folder's: a folder
        // that claims numbers the register did not issue differs.
        let recorded = match &opened {
            Some(r) => r.invoices_on(date).map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        let (d, unmatched) = numbered(draft, &recorded, loaded.settings.ocr_length_digit)?;
        draft = d;
        let name = register.file_name().map_or_else(
            || "register".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        for r in unmatched {
            out.push(Difference {
                file: name.clone(),
                place: format!("invoice {} {} to {} on {date}", r.issuer, r.number, r.buyer),
                expected: "no such invoice recomputed".to_owned(),
                found: "issued".to_owned(),
            });
        }
    }
    let mut files = crate::output::render(&loaded, &draft, issued).map_err(|e| e.to_string())?;
    // A folder written with `--csv-dialect sv` is compared in that form.
    if std::fs::read(outdir.join("lines.csv")).is_ok_and(|b| b.starts_with(crate::output::BOM)) {
        crate::output::apply_dialect(&mut files, crate::output::CsvDialect::Sv)
            .map_err(|e| e.to_string())?;
    }
    out.extend(compare_folder(&files, outdir)?);
    Ok(out)
}

/// Compares a credit note's folder with what the register recorded: the credit note rebuilt
/// from the credited invoice as recorded, and the corrected invoice (if any) recomputed from the
/// input and numbered as recorded.
fn verify_credit(
    input: &Path,
    outdir: &Path,
    register: Option<&Path>,
) -> Result<Vec<Difference>, String> {
    use crate::register::RecordedKind;
    let json_path = outdir.join(crate::credit::CREDIT_JSON);
    let text =
        std::fs::read_to_string(&json_path).map_err(|e| format!("{}: {e}", json_path.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", json_path.display()))?;
    let note = json.get("credit_note").cloned().unwrap_or(Value::Null);
    let number = note
        .get("number")
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("{}: no credit note number", json_path.display()))?;
    let (loaded, _) = load(input).map_err(|problems| problem_text(input, &problems))?;
    let register = register.map_or_else(|| default_path(input), Path::to_owned);
    let name = register.file_name().map_or_else(
        || "register".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let opened = InvoiceRegister::open_existing(&register)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{}: no register there", register.display()))?;
    let issuer = loaded.settings.issuer.to_string();
    let mut out = Vec::new();
    let recorded = opened
        .document(&issuer, number)
        .map_err(|e| e.to_string())?
        .filter(|d| d.kind == RecordedKind::Credit);
    let Some(recorded) = recorded else {
        out.push(Difference {
            file: name,
            place: format!("credit note {issuer} {number}"),
            expected: "recorded in the register".to_owned(),
            found: "not recorded".to_owned(),
        });
        return Ok(out);
    };
    let credited = recorded.credits.unwrap_or_default();
    let original = opened
        .document(&issuer, credited)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            format!("{name}: invoice {credited} credited by {number} is not recorded")
        })?;
    let rebuilt = crate::credit::credit_note(
        &original,
        number,
        recorded.date,
        loaded.settings.payment_days,
        &recorded.reason,
        loaded.settings.ocr_length_digit,
    )?;
    if rebuilt.json != recorded.json {
        out.push(Difference {
            file: name.clone(),
            place: format!("credit note {issuer} {number}"),
            expected: format!("invoice {credited} negated, payable {}", rebuilt.payable),
            found: format!("{}", recorded.json.get("payable").unwrap_or(&Value::Null)),
        });
    }
    let reissue = opened
        .documents()
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|d| {
            d.kind == RecordedKind::Reissue && d.credits == Some(credited) && d.issuer == issuer
        });
    let history = opened.history().map_err(|e| e.to_string())?;
    let draft = match &reissue {
        Some(r) => {
            let draft = crate::credit::reissued(&loaded, &history, &original, r.number, r.date)?;
            let recomputed = draft
                .invoices
                .first()
                .map(|i| serde_json::to_value(i).unwrap_or(Value::Null))
                .unwrap_or(Value::Null);
            if recomputed != r.json {
                out.push(Difference {
                    file: name.clone(),
                    place: format!("corrected invoice {issuer} {}", r.number),
                    expected: format!(
                        "payable {}",
                        recomputed.get("payable").unwrap_or(&Value::Null)
                    ),
                    found: format!("payable {}", r.json.get("payable").unwrap_or(&Value::Null)),
                });
            }
            Some(draft)
        }
        None => None,
    };
    let files = crate::credit::credit_files(&loaded, &recorded.json, draft.as_ref())
        .map_err(|e| e.to_string())?;
    out.extend(compare_folder(&files, outdir)?);
    Ok(out)
}

fn problem_text(input: &Path, problems: &[crate::input::Problem]) -> String {
    let mut s = format!("{}: cannot recompute:", input.display());
    for p in problems {
        s.push_str("\n  ");
        s.push_str(&p.to_string());
    }
    s
}

/// The draft's invoices with the numbers and OCR references the register recorded for them,
/// matched by issuer and buyer (the register holds one invoice per issuer, buyer and date);
/// invoices the register did not issue stay unnumbered. Also returns the register's invoices
/// that no recomputed invoice matches.
fn numbered(
    draft: Draft,
    recorded: &[IssuedInvoice],
    length_digit: bool,
) -> Result<(Draft, Vec<IssuedInvoice>), String> {
    let mut by_pair: BTreeMap<(String, String), &IssuedInvoice> = recorded
        .iter()
        .map(|r| ((r.issuer.clone(), r.buyer.clone()), r))
        .collect();
    let mut invoices = Vec::with_capacity(draft.invoices.len());
    for inv in draft.invoices {
        match by_pair.remove(&(inv.issuer.to_string(), inv.buyer.to_string())) {
            Some(r) => {
                let mut inv = inv
                    .with_number(r.number, length_digit)
                    .map_err(|e| e.to_string())?;
                inv.ocr = Some(r.ocr.clone());
                invoices.push(inv);
            }
            None => invoices.push(inv),
        }
    }
    let unmatched = by_pair.into_values().cloned().collect();
    Ok((Draft { invoices, ..draft }, unmatched))
}

/// Compares recomputed files (relative path → bytes) with the files of `outdir`.
///
/// # Errors
/// A file of the folder that cannot be read.
pub fn compare_folder(
    expected: &[(String, Vec<u8>)],
    outdir: &Path,
) -> Result<Vec<Difference>, String> {
    let mut out = Vec::new();
    let mut present = BTreeSet::new();
    list_files(outdir, outdir, &mut present)?;
    for (name, bytes) in expected {
        let path = outdir.join(name);
        if !present.remove(name) {
            out.push(Difference {
                file: name.clone(),
                place: String::new(),
                expected: "a file".to_owned(),
                found: "no file".to_owned(),
            });
            continue;
        }
        let found = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if *bytes == found {
            continue;
        }
        let differences = compare_file(name, bytes, &found);
        if differences.is_empty() {
            // The same content read back from other bytes (e.g. a workbook zipped again): the
            // writer is deterministic, so other bytes are still not what the input gives.
            out.push(Difference {
                file: name.clone(),
                place: String::new(),
                expected: format!("{} bytes", bytes.len()),
                found: format!(
                    "{} other bytes (the same cells and formulas read back)",
                    found.len()
                ),
            });
        }
        out.extend(differences);
    }
    for name in present {
        out.push(Difference {
            file: name,
            place: String::new(),
            expected: "no file".to_owned(),
            found: "a file".to_owned(),
        });
    }
    Ok(out)
}

fn list_files(root: &Path, dir: &Path, out: &mut BTreeSet<String>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = entry.path();
        if path.is_dir() {
            list_files(root, &path, out)?;
        } else if path == root.join(crate::output::MARKER) {
            // What wrote the folder, not an output.
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.insert(rel.join("/"));
        }
    }
    Ok(())
}

/// The differences between two versions of one file, by its kind.
pub fn compare_file(name: &str, expected: &[u8], found: &[u8]) -> Vec<Difference> {
    let diff = |place: String, e: String, f: String| Difference {
        file: name.to_owned(),
        place,
        expected: e,
        found: f,
    };
    let lower = name.to_lowercase();
    let result = if lower.ends_with(".csv") {
        compare_csv(expected, found, &diff)
    } else if lower.ends_with(".json") {
        compare_json(expected, found, &diff)
    } else if lower.ends_with(".xlsx") {
        compare_xlsx(expected, found, &diff)
    } else {
        Err(String::new())
    };
    match result {
        Ok(d) => d,
        Err(why) => vec![diff(
            String::new(),
            format!("{} bytes", expected.len()),
            if why.is_empty() {
                format!("{} other bytes", found.len())
            } else {
                format!("{} bytes that cannot be read: {why}", found.len())
            },
        )],
    }
}

type Diff<'a> = dyn Fn(String, String, String) -> Difference + 'a;

fn compare_csv(expected: &[u8], found: &[u8], diff: &Diff) -> Result<Vec<Difference>, String> {
    let records = |bytes: &[u8]| -> Result<Vec<csv::StringRecord>, String> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes)
            .records()
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())
    };
    let e = records(expected)?;
    let f = records(found)?;
    let header = e.first().cloned().unwrap_or_default();
    let no_line = || "no line".to_owned();
    let mut out = Vec::new();
    for i in 0..e.len().max(f.len()) {
        match (e.get(i), f.get(i)) {
            (Some(a), Some(b)) => {
                // A missing field (e.g. one extra trailing empty field) is a difference even
                // though it reads as empty.
                for j in 0..a.len().max(b.len()) {
                    let (x, y) = (a.get(j), b.get(j));
                    if x != y {
                        let column = header
                            .get(j)
                            .map_or_else(|| format!("field {}", j + 1), str::to_owned);
                        let field = |v: Option<&str>| {
                            v.map_or_else(|| "no field".to_owned(), str::to_owned)
                        };
                        out.push(diff(format!("row {}, {column}", i + 1), field(x), field(y)));
                    }
                }
            }
            (Some(a), None) => out.push(diff(format!("row {}", i + 1), csv_line(a), no_line())),
            (None, Some(b)) => out.push(diff(format!("row {}", i + 1), no_line(), csv_line(b))),
            (None, None) => {}
        }
    }
    Ok(out)
}

/// A record as its CSV line, without the line end.
fn csv_line(record: &csv::StringRecord) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    if w.write_record(record).is_err() {
        return record.iter().collect::<Vec<_>>().join(",");
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .trim_end_matches(['\r', '\n'])
        .to_owned()
}

fn compare_json(expected: &[u8], found: &[u8], diff: &Diff) -> Result<Vec<Difference>, String> {
    let e: Value = serde_json::from_slice(expected).map_err(|e| e.to_string())?;
    let f: Value = serde_json::from_slice(found).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    json_walk("", &e, &f, diff, &mut out);
    Ok(out)
}

fn json_walk(path: &str, e: &Value, f: &Value, diff: &Diff, out: &mut Vec<Difference>) {
    let absent = || "(absent)".to_owned();
    match (e, f) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => json_walk(&p, x, y, diff, out),
                    (Some(x), None) => out.push(diff(p, x.to_string(), absent())),
                    (None, Some(y)) => out.push(diff(p, absent(), y.to_string())),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let p = format!("{path}[{i}]");
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => json_walk(&p, x, y, diff, out),
                    (Some(x), None) => out.push(diff(p, x.to_string(), absent())),
                    (None, Some(y)) => out.push(diff(p, absent(), y.to_string())),
                    (None, None) => {}
                }
            }
        }
        _ if e != f => out.push(diff(path.to_owned(), scalar(e), scalar(f))),
        _ => {}
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn compare_xlsx(expected: &[u8], found: &[u8], diff: &Diff) -> Result<Vec<Difference>, String> {
    let e = grids(expected)?;
    let f = grids(found)?;
    let mut out = Vec::new();
    compare_grids(&e, &f, diff, &mut out);
    // A formula replaced by a constant of the same value (or by another formula that gives it)
    // keeps every cached value: the formulas are compared too.
    let ef = formula_grids(expected)?;
    let ff = formula_grids(found)?;
    for (name, a) in &ef {
        let Some(b) = ff.get(name) else {
            continue;
        };
        let cells: BTreeSet<&(u32, u32)> = a.keys().chain(b.keys()).collect();
        for cell in cells {
            let (x, y) = (a.get(cell), b.get(cell));
            if x != y {
                let shown = |f: Option<&String>| {
                    f.map_or_else(|| "no formula".to_owned(), |f| format!("={f}"))
                };
                out.push(diff(
                    format!("{name}!{} (formula)", cell_name(cell.0, cell.1)),
                    shown(x),
                    shown(y),
                ));
            }
        }
    }
    Ok(out)
}

fn compare_grids(e: &ValueGrids, f: &ValueGrids, diff: &Diff, out: &mut Vec<Difference>) {
    let names: BTreeSet<&String> = e.keys().chain(f.keys()).collect();
    for name in names {
        match (e.get(name), f.get(name)) {
            (Some(a), Some(b)) => {
                let cells: BTreeSet<&(u32, u32)> = a.keys().chain(b.keys()).collect();
                for cell in cells {
                    let (x, xk) = a.get(cell).map_or(("", ""), |(t, k)| (t.as_str(), *k));
                    let (y, yk) = b.get(cell).map_or(("", ""), |(t, k)| (t.as_str(), *k));
                    let place = format!("{name}!{}", cell_name(cell.0, cell.1));
                    if x != y {
                        out.push(diff(place, x.to_owned(), y.to_owned()));
                    } else if xk != yk {
                        // The same text, another type: e.g. a number rewritten as text.
                        out.push(diff(place, format!("{x} ({xk})"), format!("{y} ({yk})")));
                    }
                }
            }
            (Some(_), None) => out.push(diff(
                format!("sheet {name}"),
                "a sheet".to_owned(),
                "no sheet".to_owned(),
            )),
            (None, Some(_)) => out.push(diff(
                format!("sheet {name}"),
                "no sheet".to_owned(),
                "a sheet".to_owned(),
            )),
            (None, None) => {}
        }
    }
}

/// Every formula of every sheet: (row, column) → the formula without `=`.
fn formula_grids(bytes: &[u8]) -> Result<Grids, String> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut out = Grids::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_formula(&name).map_err(|e| e.to_string())?;
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let cells = range
            .used_cells()
            .filter(|(_, _, f)| !f.is_empty())
            .map(|(r, c, f)| ((r0 + r as u32, c0 + c as u32), f.clone()))
            .collect();
        out.insert(name, cells);
    }
    Ok(out)
}

/// Per sheet: (row, column) → text.
type Grids = BTreeMap<String, BTreeMap<(u32, u32), String>>;

/// Every non-empty cell of every sheet, as text and its type: (row, column) → (value, type).
type ValueGrids = BTreeMap<String, BTreeMap<(u32, u32), (String, &'static str)>>;

fn grids(bytes: &[u8]) -> Result<ValueGrids, String> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut out = ValueGrids::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).map_err(|e| e.to_string())?;
        let mut cells = BTreeMap::new();
        for (r, c, v) in range.used_cells() {
            let text = match v {
                Data::Empty => continue,
                Data::String(s) => (s.clone(), "text"),
                Data::Float(f) => (format!("{f}"), "number"),
                Data::Int(i) => (i.to_string(), "number"),
                Data::Bool(b) => (b.to_string(), "boolean"),
                Data::DateTime(d) => (d.to_string(), "date"),
                Data::Error(e) => (e.to_string(), "error"),
                other => (other.to_string(), "date"),
            };
            let (r0, c0) = range.start().unwrap_or((0, 0));
            cells.insert((r0 + r as u32, c0 + c as u32), text);
        }
        out.insert(name, cells);
    }
    Ok(out)
}

fn cell_name(row: u32, col: u32) -> String {
    let mut n = col + 1;
    let mut letters = Vec::new();
    while n > 0 {
        letters.push(char::from(b'A' + ((n - 1) % 26) as u8));
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", letters.into_iter().collect::<String>(), row + 1)
}
