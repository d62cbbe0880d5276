//! `billing-report verify`: recomputes a run from its input and compares it with an output
//! folder written before, reporting every difference.
//!
//! The date and the status (draft or issued) are read from the folder's `invoices.json`; an
//! issued folder is recomputed with the invoice numbers and OCR references the invoice register
//! recorded for (issuer, buyer, date), never with the folder's own: a folder claiming numbers the
//! register did not issue differs. Every file is recomputed in memory; equal bytes are the same
//! file, otherwise it is compared by content: CSV files field by field, JSON value by value
//! (with its path), workbooks by their zip parts (another deflate level is the same workbook)
//! and as cell grids (sheet and cell), PDFs by what they show (page, line, text, place, font,
//! colour, rules and boxes: see [`pdf_content`]), e-invoices element by element (with the
//! element's path) and the PDF they embed as a PDF, anything else byte for byte. So a folder
//! written by an earlier version (krilla's PDFs, workbooks zipped at level 6) verifies when it
//! says what the input gives.

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
        if differences.is_empty() && !by_content(name) {
            // The same CSV or JSON read back from other bytes: those writers never changed, so
            // other bytes are still not what the input gives.
            out.push(Difference {
                file: name.clone(),
                place: String::new(),
                expected: format!("{} bytes", bytes.len()),
                found: format!("{} other bytes (the same content read back)", found.len()),
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

/// Whether files named so are compared by what they say only, whatever their bytes: PDFs,
/// e-invoices and workbooks, whose writers changed (pdf-writer instead of krilla, another zip
/// level) without changing a word or a cell. A folder written by an earlier version verifies.
fn by_content(name: &str) -> bool {
    let lower = name.to_lowercase();
    [".pdf", ".xml", ".xlsx"].iter().any(|e| lower.ends_with(e))
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
    } else if lower.ends_with(".pdf") {
        compare_pdf(expected, found, "", &diff)
    } else if lower.ends_with(".xml") {
        compare_xml(expected, found, &diff)
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

/// Every part of a zip file (name → uncompressed bytes), or None when it is not a readable zip.
fn zip_parts(bytes: &[u8]) -> Option<BTreeMap<String, Vec<u8>>> {
    use std::io::Read as _;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut parts = BTreeMap::new();
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).ok()?;
        let mut content = Vec::new();
        part.read_to_end(&mut content).ok()?;
        let name = part.name().ok()?.into_owned();
        parts.insert(name, content);
    }
    Some(parts)
}

fn compare_xlsx(expected: &[u8], found: &[u8], diff: &Diff) -> Result<Vec<Difference>, String> {
    // The same parts zipped otherwise (another deflate level, order or zip writer): the same
    // workbook.
    let (ep, fp) = (zip_parts(expected), zip_parts(found));
    if ep.is_some() && ep == fp {
        return Ok(Vec::new());
    }
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
    if out.is_empty() {
        // The same cells and formulas, other parts (styles, widths, an added part): what a
        // reader sees may differ, so each such part is a difference.
        let (ep, fp) = (ep.unwrap_or_default(), fp.unwrap_or_default());
        let names: BTreeSet<&String> = ep.keys().chain(fp.keys()).collect();
        let size = |p: Option<&Vec<u8>>| {
            p.map_or_else(|| "no part".to_owned(), |b| format!("{} bytes", b.len()))
        };
        for name in names {
            let (x, y) = (ep.get(name), fp.get(name));
            if x != y {
                out.push(diff(
                    format!("part {name}"),
                    size(x),
                    format!("{} (the same cells and formulas read back)", size(y)),
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

/// PDFs compared by what they show: the page count and size, every page's text in reading
/// order (decoded through the fonts' ToUnicode CMaps) with its place, font and colour, and
/// every drawn rule and box; the document's title and language. Not compared: the bytes, the
/// object structure and compression, the embedded font programs (glyph outlines), metadata
/// other than the title and language.
mod pdf_content {
    #![allow(clippy::float_arithmetic)] // geometry of the page, not money

    use lopdf::content::Content;
    use lopdf::{Document, Encoding, Object, ObjectId};
    use std::collections::BTreeMap;

    /// Coordinates closer than this (in points, 1/72 inch) are the same place: writers round
    /// the same figure differently in the last digits.
    const TOLERANCE: f64 = 0.01;
    /// Runs whose baselines are closer than this are on one line.
    const SAME_LINE: f64 = 0.5;
    /// The most a content stream may decompress to (an invoice page is a few kilobytes).
    const MAX_CONTENT: usize = 64 * 1024 * 1024;

    /// What a PDF shows.
    #[derive(Debug, Default)]
    pub struct Shown {
        pub title: String,
        pub lang: String,
        pub pages: Vec<Page>,
    }

    /// One page.
    #[derive(Debug, Default)]
    pub struct Page {
        /// The media box, as text.
        pub size: String,
        /// Text lines top to bottom.
        pub lines: Vec<Line>,
        /// Painted paths in drawing order.
        pub drawings: Vec<Drawing>,
        /// What else is drawn on the page and could cover its text: XObjects (`Do`), inline
        /// images (`BI`), shadings (`sh`) and annotations, in order.
        pub marks: Vec<String>,
    }

    /// Text shown at one place by one font.
    #[derive(Clone, Debug)]
    pub struct Run {
        pub x: f64,
        pub y: f64,
        pub font: String,
        pub size: f64,
        pub colour: String,
        pub text: String,
        /// The text rendering mode (`Tr`); modes 3 and 7 (invisible) are never a run.
        pub mode: i64,
        /// The stroke colour, for modes that stroke the glyphs; empty otherwise.
        pub stroke: String,
        /// Character and word spacing (`Tc`, `Tw`), horizontal scaling in percent (`Tz`) and
        /// rise (`Ts`), in text space units.
        pub spacing: (f64, f64, f64, f64),
    }

    impl Run {
        pub fn describe(&self) -> String {
            let mut s = format!(
                "{} at ({:.2}, {:.2}), {} {:.2} pt, colour {}",
                self.text, self.x, self.y, self.font, self.size, self.colour
            );
            if self.mode != 0 {
                s.push_str(&format!(", rendering mode {}", self.mode));
            }
            if !self.stroke.is_empty() {
                s.push_str(&format!(", stroke {}", self.stroke));
            }
            let (tc, tw, tz, ts) = self.spacing;
            if !(near(tc, 0.0) && near(tw, 0.0) && near(tz, 100.0) && near(ts, 0.0)) {
                s.push_str(&format!(
                    ", spacing {tc:.2} word spacing {tw:.2} scaling {tz:.2}% rise {ts:.2}"
                ));
            }
            s
        }

        pub fn same_look(&self, o: &Run) -> bool {
            self.text == o.text
                && near(self.x, o.x)
                && near(self.y, o.y)
                && self.font == o.font
                && near(self.size, o.size)
                && self.colour == o.colour
                && self.mode == o.mode
                && self.stroke == o.stroke
                && near(self.spacing.0, o.spacing.0)
                && near(self.spacing.1, o.spacing.1)
                && near(self.spacing.2, o.spacing.2)
                && near(self.spacing.3, o.spacing.3)
        }
    }

    /// One line of text: runs on one baseline, left to right.
    #[derive(Debug)]
    pub struct Line {
        pub runs: Vec<Run>,
    }

    impl Line {
        /// The line's text, its runs separated by a space.
        pub fn text(&self) -> String {
            let parts: Vec<&str> = self.runs.iter().map(|r| r.text.as_str()).collect();
            parts.join(" ")
        }
    }

    /// A painted path: its points in page space, how it is painted and in what colour.
    #[derive(Clone, Debug, Default)]
    pub struct Drawing {
        pub paint: &'static str,
        pub subpaths: Vec<(Vec<(f64, f64)>, bool)>,
        pub fill: String,
        pub stroke: String,
        pub width: f64,
    }

    impl Drawing {
        pub fn describe(&self) -> String {
            let mut s = self.paint.to_owned();
            if !self.fill.is_empty() {
                s.push_str(&format!(", fill {}", self.fill));
            }
            if !self.stroke.is_empty() {
                s.push_str(&format!(", stroke {} width {:.2}", self.stroke, self.width));
            }
            for (points, closed) in &self.subpaths {
                s.push(':');
                for (x, y) in points {
                    s.push_str(&format!(" ({x:.2}, {y:.2})"));
                }
                if *closed {
                    s.push_str(" closed");
                }
            }
            s
        }

        pub fn same(&self, o: &Drawing) -> bool {
            self.paint == o.paint
                && self.fill == o.fill
                && self.stroke == o.stroke
                && near(self.width, o.width)
                && self.subpaths.len() == o.subpaths.len()
                && self
                    .subpaths
                    .iter()
                    .zip(&o.subpaths)
                    .all(|((a, ac), (b, bc))| {
                        ac == bc
                            && a.len() == b.len()
                            && a.iter()
                                .zip(b)
                                .all(|(p, q)| near(p.0, q.0) && near(p.1, q.1))
                    })
        }
    }

    pub fn near(a: f64, b: f64) -> bool {
        (a - b).abs() <= TOLERANCE
    }

    type Matrix = [f64; 6];
    const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

    /// `m` then `n` (PDF's row-vector convention: a point times `m` times `n`).
    fn mul(m: &Matrix, n: &Matrix) -> Matrix {
        [
            m[0] * n[0] + m[1] * n[2],
            m[0] * n[1] + m[1] * n[3],
            m[2] * n[0] + m[3] * n[2],
            m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4],
            m[4] * n[1] + m[5] * n[3] + n[5],
        ]
    }

    fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
        (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])
    }

    /// How much `m` scales lengths (the square root of its determinant's size).
    fn scale(m: &Matrix) -> f64 {
        (m[0] * m[3] - m[1] * m[2]).abs().sqrt()
    }

    fn number(o: &Object) -> Option<f64> {
        match o {
            Object::Integer(i) => Some(*i as f64),
            Object::Real(r) => Some(f64::from(*r)),
            _ => None,
        }
    }

    fn numbers(operands: &[Object]) -> Option<Vec<f64>> {
        operands.iter().map(number).collect()
    }

    fn matrix(operands: &[Object]) -> Option<Matrix> {
        let n = numbers(operands)?;
        (n.len() == 6).then(|| [n[0], n[1], n[2], n[3], n[4], n[5]])
    }

    /// A colour as text; a gray level as the RGB colour it is (black set by `0 g` or by
    /// `0 0 0 rg`, or left as the default, is the same black).
    fn colour(space: &str, operands: &[Object]) -> String {
        if space == "gray" {
            if let [level] = operands {
                if let Some(v) = number(level) {
                    return format!("rgb {v:.3} {v:.3} {v:.3}");
                }
            }
        }
        let values: Vec<String> = operands
            .iter()
            .map(|o| match number(o) {
                Some(v) => format!("{v:.3}"),
                None => match o {
                    Object::Name(n) => String::from_utf8_lossy(n).into_owned(),
                    other => format!("{other:?}"),
                },
            })
            .collect();
        format!("{space} {}", values.join(" "))
    }

    #[derive(Clone)]
    struct State {
        ctm: Matrix,
        fill: String,
        stroke: String,
        width: f64,
        /// Text rendering mode (`Tr`).
        mode: i64,
        /// `Tc`, `Tw`, `Tz`, `Ts`.
        spacing: (f64, f64, f64, f64),
    }

    impl State {
        /// The stroke colour as far as it shows on text: only in modes that stroke glyphs.
        fn text_stroke(&self) -> String {
            if matches!(self.mode, 1 | 2 | 5 | 6) {
                self.stroke.clone()
            } else {
                String::new()
            }
        }

        /// What a run takes from the state besides its place and font: a change in any of it
        /// ends the run.
        fn look(&self) -> (String, i64, String, (f64, f64, f64, f64)) {
            (
                self.fill.clone(),
                self.mode,
                self.text_stroke(),
                self.spacing,
            )
        }
    }

    struct Font<'a> {
        name: String,
        encoding: Option<Encoding<'a>>,
    }

    /// Reads what `bytes` show.
    ///
    /// # Errors
    /// Bytes that are not a PDF lopdf can read.
    pub fn read(bytes: &[u8]) -> Result<Shown, String> {
        let doc = Document::load_mem(bytes).map_err(|e| format!("not a PDF: {e}"))?;
        let mut shown = Shown::default();
        if let Ok(info) = doc
            .trailer
            .get_deref(b"Info", &doc)
            .and_then(Object::as_dict)
        {
            if let Ok(title) = info.get_deref(b"Title", &doc) {
                shown.title = lopdf::decode_text_string(title).unwrap_or_default();
            }
        }
        if let Ok(lang) = doc.catalog().and_then(|c| c.get_deref(b"Lang", &doc)) {
            shown.lang = lopdf::decode_text_string(lang).unwrap_or_default();
        }
        for page_id in doc.get_pages().into_values() {
            shown.pages.push(page(&doc, page_id)?);
        }
        Ok(shown)
    }

    fn media_box(doc: &Document, page_id: ObjectId) -> String {
        let mut dict = doc.get_dictionary(page_id).ok();
        for _ in 0..32 {
            let Some(d) = dict else { break };
            if let Ok(b) = d.get_deref(b"MediaBox", doc).and_then(Object::as_array) {
                let n: Vec<String> = b
                    .iter()
                    .map(|o| number(o).map_or_else(|| "?".to_owned(), |v| format!("{v:.2}")))
                    .collect();
                return n.join(" ");
            }
            dict = d
                .get(b"Parent")
                .and_then(Object::as_reference)
                .and_then(|id| doc.get_dictionary(id))
                .ok();
        }
        String::new()
    }

    fn page(doc: &Document, page_id: ObjectId) -> Result<Page, String> {
        let fonts: BTreeMap<Vec<u8>, Font> = doc
            .get_page_fonts(page_id)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|(key, dict)| {
                let base = dict
                    .get(b"BaseFont")
                    .and_then(Object::as_name)
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .unwrap_or_default();
                // A subset's tag (`ABCDEF+`) names the subset, not the typeface.
                let name = match base.split_once('+') {
                    Some((tag, rest))
                        if tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()) =>
                    {
                        rest.to_owned()
                    }
                    _ => base,
                };
                let encoding = dict.get_font_encoding(doc).ok();
                (key, Font { name, encoding })
            })
            .collect();
        let data = doc
            .get_page_content_with_limit(page_id, MAX_CONTENT)
            .map_err(|e| e.to_string())?;
        let content = Content::decode(&data).map_err(|e| format!("a page's content: {e}"))?;

        let mut state = State {
            ctm: IDENTITY,
            fill: "rgb 0.000 0.000 0.000".to_owned(),
            stroke: "rgb 0.000 0.000 0.000".to_owned(),
            width: 1.0,
            mode: 0,
            spacing: (0.0, 0.0, 100.0, 0.0),
        };
        let mut saved: Vec<State> = Vec::new();
        let (mut tm, mut tlm) = (IDENTITY, IDENTITY);
        let mut leading = 0.0;
        let mut font: Option<&Font> = None;
        let mut font_size = 0.0;
        // A run goes on while text is shown without moving: its start stays.
        let mut moved = true;
        let mut runs: Vec<Run> = Vec::new();
        let mut path: Vec<(Vec<(f64, f64)>, bool)> = Vec::new();
        let mut drawings = Vec::new();
        let mut marks: Vec<String> = Vec::new();
        let name = |o: &[Object]| {
            o.first()
                .and_then(|n| n.as_name().ok())
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_default()
        };

        for op in &content.operations {
            let o = &op.operands;
            // A change of colour, rendering mode or spacing ends the run being shown.
            let look = state.look();
            match op.operator.as_str() {
                "q" => saved.push(state.clone()),
                "Q" => {
                    if let Some(s) = saved.pop() {
                        state = s;
                    }
                }
                "cm" => {
                    if let Some(m) = matrix(o) {
                        state.ctm = mul(&m, &state.ctm);
                    }
                }
                "w" => state.width = o.first().and_then(number).unwrap_or(state.width),
                "g" => state.fill = colour("gray", o),
                "G" => state.stroke = colour("gray", o),
                "rg" => state.fill = colour("rgb", o),
                "RG" => state.stroke = colour("rgb", o),
                "k" => state.fill = colour("cmyk", o),
                "K" => state.stroke = colour("cmyk", o),
                "sc" | "scn" => state.fill = colour("colour", o),
                "SC" | "SCN" => state.stroke = colour("colour", o),
                // A colour space set: its initial colour.
                "cs" => state.fill = format!("space {}", name(o)),
                "CS" => state.stroke = format!("space {}", name(o)),
                "Tr" => {
                    if let Some(Object::Integer(m)) = o.first() {
                        state.mode = *m;
                    }
                }
                "Tc" => state.spacing.0 = o.first().and_then(number).unwrap_or(state.spacing.0),
                "Tw" => state.spacing.1 = o.first().and_then(number).unwrap_or(state.spacing.1),
                "Tz" => state.spacing.2 = o.first().and_then(number).unwrap_or(state.spacing.2),
                "Ts" => state.spacing.3 = o.first().and_then(number).unwrap_or(state.spacing.3),
                "Do" => marks.push(format!("XObject /{} drawn (Do)", name(o))),
                "BI" => marks.push("inline image (BI)".to_owned()),
                "sh" => marks.push(format!("shading /{} painted (sh)", name(o))),
                "BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                    moved = true;
                }
                "Tf" => {
                    font = o
                        .first()
                        .and_then(|n| n.as_name().ok())
                        .and_then(|n| fonts.get(n));
                    font_size = o.get(1).and_then(number).unwrap_or(0.0);
                    moved = true;
                }
                "TL" => leading = o.first().and_then(number).unwrap_or(leading),
                "Tm" => {
                    if let Some(m) = matrix(o) {
                        tm = m;
                        tlm = m;
                        moved = true;
                    }
                }
                "Td" | "TD" => {
                    if let Some(n) = numbers(o).filter(|n| n.len() == 2) {
                        if op.operator == "TD" {
                            leading = -n[1];
                        }
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, n[0], n[1]], &tlm);
                        tm = tlm;
                        moved = true;
                    }
                }
                "T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -leading], &tlm);
                    tm = tlm;
                    moved = true;
                }
                "Tj" | "TJ" | "'" | "\"" => {
                    if op.operator != "Tj" && op.operator != "TJ" {
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -leading], &tlm);
                        tm = tlm;
                        moved = true;
                    }
                    if op.operator == "\"" {
                        state.spacing.1 = o.first().and_then(number).unwrap_or(state.spacing.1);
                        state.spacing.0 = o.get(1).and_then(number).unwrap_or(state.spacing.0);
                        moved = true;
                    }
                    if matches!(state.mode, 3 | 7) {
                        // Invisible text is not shown: no run, and what follows starts anew.
                        moved = true;
                        continue;
                    }
                    let strings: Vec<&[u8]> = match op.operator.as_str() {
                        "TJ" => o
                            .first()
                            .and_then(|a| a.as_array().ok())
                            .map(|a| a.iter().filter_map(|s| s.as_str().ok()).collect())
                            .unwrap_or_default(),
                        "\"" => o.get(2).and_then(|s| s.as_str().ok()).into_iter().collect(),
                        _ => o
                            .first()
                            .and_then(|s| s.as_str().ok())
                            .into_iter()
                            .collect(),
                    };
                    let text: String = strings
                        .iter()
                        .map(|s| decode(font, s))
                        .collect::<Vec<_>>()
                        .concat();
                    if moved || runs.is_empty() {
                        let m = mul(&tm, &state.ctm);
                        let (x, y) = apply(&m, 0.0, 0.0);
                        runs.push(Run {
                            x,
                            y,
                            font: font.map_or_else(String::new, |f| f.name.clone()),
                            size: font_size * scale(&m),
                            colour: state.fill.clone(),
                            text,
                            mode: state.mode,
                            stroke: state.text_stroke(),
                            spacing: state.spacing,
                        });
                        moved = false;
                    } else if let Some(last) = runs.last_mut() {
                        last.text.push_str(&text);
                    }
                }
                "m" => {
                    if let Some(n) = numbers(o).filter(|n| n.len() == 2) {
                        path.push((vec![apply(&state.ctm, n[0], n[1])], false));
                    }
                }
                "l" | "c" | "v" | "y" => {
                    if let Some(n) = numbers(o) {
                        let points = n.chunks_exact(2).map(|p| apply(&state.ctm, p[0], p[1]));
                        match path.last_mut() {
                            Some((last, false)) => last.extend(points),
                            _ => path.push((points.collect(), false)),
                        }
                    }
                }
                "h" => close(&mut path),
                "re" => {
                    if let Some(n) = numbers(o).filter(|n| n.len() == 4) {
                        let (x, y, w, h) = (n[0], n[1], n[2], n[3]);
                        let points = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
                            .iter()
                            .map(|p| apply(&state.ctm, p.0, p.1))
                            .collect();
                        path.push((points, true));
                    }
                }
                "S" | "s" | "f" | "F" | "f*" | "B" | "B*" | "b" | "b*" => {
                    if matches!(op.operator.as_str(), "s" | "b" | "b*") {
                        close(&mut path);
                    }
                    let fills = !matches!(op.operator.as_str(), "S" | "s");
                    let strokes =
                        matches!(op.operator.as_str(), "S" | "s" | "B" | "B*" | "b" | "b*");
                    let even_odd = op.operator.ends_with('*');
                    drawings.push(Drawing {
                        paint: match (fills, strokes, even_odd) {
                            (true, true, false) => "fill and stroke",
                            (true, true, true) => "fill (even-odd) and stroke",
                            (true, false, false) => "fill",
                            (true, false, true) => "fill (even-odd)",
                            _ => "stroke",
                        },
                        subpaths: std::mem::take(&mut path),
                        fill: if fills {
                            state.fill.clone()
                        } else {
                            String::new()
                        },
                        stroke: if strokes {
                            state.stroke.clone()
                        } else {
                            String::new()
                        },
                        width: if strokes {
                            state.width * scale(&state.ctm)
                        } else {
                            0.0
                        },
                    });
                }
                // A path used only to clip, or dropped: nothing painted.
                "n" => path.clear(),
                _ => {}
            }
            if state.look() != look {
                moved = true;
            }
        }
        if let Ok(annots) = doc
            .get_dictionary(page_id)
            .and_then(|d| d.get_deref(b"Annots", doc))
            .and_then(Object::as_array)
        {
            for a in annots {
                let subtype = doc
                    .dereference(a)
                    .and_then(|(_, a)| a.as_dict())
                    .and_then(|d| d.get(b"Subtype"))
                    .and_then(Object::as_name)
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .unwrap_or_default();
                marks.push(format!("annotation /{subtype}"));
            }
        }
        Ok(Page {
            size: media_box(doc, page_id),
            lines: lines(runs),
            drawings,
            marks,
        })
    }

    /// Closes the current subpath; a last point on the first is the same closed path.
    fn close(path: &mut [(Vec<(f64, f64)>, bool)]) {
        if let Some((points, closed)) = path.last_mut() {
            if points.len() > 1 {
                let (first, last) = (points[0], points[points.len() - 1]);
                if near(first.0, last.0) && near(first.1, last.1) {
                    points.pop();
                }
            }
            *closed = true;
        }
    }

    fn decode(font: Option<&Font>, bytes: &[u8]) -> String {
        font.and_then(|f| f.encoding.as_ref())
            .and_then(|e| Document::decode_text(e, bytes).ok())
            .unwrap_or_else(|| {
                // Text no font decodes: shown as its codes, so that it differs from any text.
                let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
                format!("<{}>", hex.join(""))
            })
    }

    /// Runs grouped into lines by baseline, top to bottom, each left to right.
    fn lines(mut runs: Vec<Run>) -> Vec<Line> {
        runs.sort_by(|a, b| b.y.total_cmp(&a.y));
        let mut out: Vec<Line> = Vec::new();
        for run in runs {
            match out.last_mut() {
                Some(line) if (line.runs[0].y - run.y).abs() <= SAME_LINE => line.runs.push(run),
                _ => out.push(Line { runs: vec![run] }),
            }
        }
        for line in &mut out {
            line.runs.sort_by(|a, b| a.x.total_cmp(&b.x));
        }
        out
    }
}

/// A PDF by what it shows (see [`pdf_content`]); `prefix` places the PDF inside another file
/// (the attachment of an e-invoice).
fn compare_pdf(
    expected: &[u8],
    found: &[u8],
    prefix: &str,
    diff: &Diff,
) -> Result<Vec<Difference>, String> {
    let e = pdf_content::read(expected).map_err(|e| format!("the recomputed PDF: {e}"))?;
    let f = pdf_content::read(found)?;
    let place = |p: String| format!("{prefix}{p}");
    let mut out = Vec::new();
    if e.title != f.title {
        out.push(diff(
            place("title".to_owned()),
            e.title.clone(),
            f.title.clone(),
        ));
    }
    if e.lang != f.lang {
        out.push(diff(
            place("language".to_owned()),
            e.lang.clone(),
            f.lang.clone(),
        ));
    }
    if e.pages.len() != f.pages.len() {
        out.push(diff(
            place("pages".to_owned()),
            e.pages.len().to_string(),
            f.pages.len().to_string(),
        ));
    }
    for (i, (a, b)) in e.pages.iter().zip(&f.pages).enumerate() {
        let page = i + 1;
        if a.size != b.size {
            out.push(diff(
                place(format!("page {page}, size")),
                a.size.clone(),
                b.size.clone(),
            ));
        }
        for j in 0..a.lines.len().max(b.lines.len()) {
            let at = place(format!("page {page}, line {}", j + 1));
            match (a.lines.get(j), b.lines.get(j)) {
                (Some(x), Some(y)) => {
                    let (tx, ty) = (x.text(), y.text());
                    if tx != ty {
                        out.push(diff(at, tx, ty));
                    } else if let Some((r, s)) =
                        x.runs.iter().zip(&y.runs).find(|(r, s)| !r.same_look(s))
                    {
                        // The same words elsewhere, in another font, size or colour.
                        out.push(diff(at, r.describe(), s.describe()));
                    }
                }
                (Some(x), None) => out.push(diff(at, x.text(), "no line".to_owned())),
                (None, Some(y)) => out.push(diff(at, "no line".to_owned(), y.text())),
                (None, None) => {}
            }
        }
        for k in 0..a.drawings.len().max(b.drawings.len()) {
            let at = place(format!("page {page}, drawing {}", k + 1));
            match (a.drawings.get(k), b.drawings.get(k)) {
                (Some(x), Some(y)) if !x.same(y) => out.push(diff(at, x.describe(), y.describe())),
                (Some(x), None) => out.push(diff(at, x.describe(), "no drawing".to_owned())),
                (None, Some(y)) => out.push(diff(at, "no drawing".to_owned(), y.describe())),
                _ => {}
            }
        }
        // What the found page draws besides text and paths, that the recomputed one lacks.
        let mut expected_marks: BTreeMap<&str, usize> = BTreeMap::new();
        for m in &a.marks {
            *expected_marks.entry(m.as_str()).or_insert(0) += 1;
        }
        for m in &b.marks {
            match expected_marks.get_mut(m.as_str()) {
                Some(n) if *n > 0 => *n -= 1,
                _ => out.push(diff(
                    place(format!("page {page}, {m}")),
                    "not there".to_owned(),
                    "there".to_owned(),
                )),
            }
        }
    }
    Ok(out)
}

/// One element's text or one attribute, by its path (`Invoice/cac:InvoiceLine[2]/cbc:ID`,
/// `…/cbc:EmbeddedDocumentBinaryObject@filename`), in document order.
type XmlEntries = Vec<(String, String)>;

fn xml_entries(bytes: &[u8]) -> Result<XmlEntries, String> {
    use quick_xml::events::{BytesStart, Event};
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut out: XmlEntries = Vec::new();
    // Per open element: its path, its entry's index in `out`, and how many children of each
    // name it has had so far.
    let mut stack: Vec<(String, usize, BTreeMap<String, usize>)> = Vec::new();
    let mut buf = Vec::new();
    let open = |e: &BytesStart,
                stack: &mut Vec<(String, usize, BTreeMap<String, usize>)>,
                out: &mut XmlEntries|
     -> Result<(), String> {
        let name = e.name().as_ref().to_owned();
        let path = match stack.last_mut() {
            Some((parent, _, seen)) => {
                let n = seen.entry(name.clone()).or_insert(0);
                *n += 1;
                if *n == 1 {
                    format!("{parent}/{name}")
                } else {
                    format!("{parent}/{name}[{n}]")
                }
            }
            None => name,
        };
        out.push((path.clone(), String::new()));
        let index = out.len() - 1;
        for attr in e.attributes() {
            let attr = attr.map_err(|e| e.to_string())?;
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| e.to_string())?
                .into_owned();
            out.push((format!("{path}@{}", attr.key.as_ref()), value));
        }
        stack.push((path, index, BTreeMap::new()));
        Ok(())
    };
    loop {
        match reader.read_event_into(&mut buf).map_err(|e| {
            format!(
                "not well-formed XML at byte {}: {e}",
                reader.buffer_position()
            )
        })? {
            Event::Start(e) => open(&e, &mut stack, &mut out)?,
            Event::Empty(e) => {
                open(&e, &mut stack, &mut out)?;
                stack.pop();
            }
            Event::End(_) => {
                if let Some((_, index, _)) = stack.pop() {
                    let text = &mut out[index].1;
                    *text = text.trim().to_owned();
                }
            }
            Event::Text(t) => {
                if let Some((_, index, _)) = stack.last() {
                    out[*index].1.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some((_, index, _)) = stack.last() {
                    out[*index].1.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, index, _)) = stack.last() {
                    let name = r.xml10_content();
                    if let Some(s) = quick_xml::escape::resolve_xml_entity(&name) {
                        out[*index].1.push_str(s);
                    } else if let Ok(Some(c)) = r.resolve_char_ref() {
                        out[*index].1.push(c);
                    } else {
                        return Err(format!("unknown entity &{name};"));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err("the XML ends inside an element".to_owned());
    }
    Ok(out)
}

/// An e-invoice element by element, with its path; the PDF it embeds compared as a PDF.
fn compare_xml(expected: &[u8], found: &[u8], diff: &Diff) -> Result<Vec<Difference>, String> {
    use base64::Engine as _;
    let e = xml_entries(expected).map_err(|e| format!("the recomputed XML: {e}"))?;
    let f = xml_entries(found)?;
    let found_at: BTreeMap<&str, &str> = f.iter().map(|(p, v)| (p.as_str(), v.as_str())).collect();
    let expected_at: BTreeSet<&str> = e.iter().map(|(p, _)| p.as_str()).collect();
    let mut out = Vec::new();
    let absent = || "no such element".to_owned();
    let present = |v: &str| {
        if v.is_empty() {
            "an element".to_owned()
        } else {
            v.to_owned()
        }
    };
    // A missing or extra element is reported once, not with each of its children.
    let within = |path: &str, reported: &[String]| {
        reported.last().is_some_and(|r| {
            path.strip_prefix(r.as_str())
                .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('@'))
        })
    };
    let mut missing: Vec<String> = Vec::new();
    for (path, value) in &e {
        let Some(other) = found_at.get(path.as_str()) else {
            if !within(path, &missing) {
                out.push(diff(path.clone(), present(value), absent()));
                missing.push(path.clone());
            }
            continue;
        };
        if value == other {
            continue;
        }
        if path.ends_with("cbc:EmbeddedDocumentBinaryObject") {
            let decode = |s: &str| {
                let clean: String = s.split_ascii_whitespace().collect();
                base64::engine::general_purpose::STANDARD.decode(clean)
            };
            match (decode(value), decode(other)) {
                (Ok(a), Ok(b)) if a == b => {}
                (Ok(a), Ok(b)) => match compare_pdf(&a, &b, &format!("{path}: "), diff) {
                    Ok(d) => out.extend(d),
                    Err(why) => out.push(diff(
                        path.clone(),
                        format!("a PDF of {} bytes", a.len()),
                        format!("{} bytes that cannot be read: {why}", b.len()),
                    )),
                },
                (_, Err(why)) => out.push(diff(
                    path.clone(),
                    "a PDF in base64".to_owned(),
                    format!("{} characters that are not base64: {why}", other.len()),
                )),
                (Err(why), _) => return Err(format!("the recomputed attachment: {why}")),
            }
            continue;
        }
        out.push(diff(path.clone(), value.clone(), (*other).to_owned()));
    }
    let mut extra: Vec<String> = Vec::new();
    for (path, value) in &f {
        if !expected_at.contains(path.as_str()) && !within(path, &extra) {
            out.push(diff(path.clone(), absent(), present(value)));
            extra.push(path.clone());
        }
    }
    // The order of each element's children, of those in both (a missing or extra one is
    // reported above).
    let fc = children(&f, &expected_at);
    for (parent, names) in children(&e, &found_at.keys().copied().collect()) {
        if let Some(other) = fc.get(&parent) {
            if *other != names {
                let (a, b) = shortened(&names, other);
                out.push(diff(format!("{parent} (order of its elements)"), a, b));
            }
        }
    }
    Ok(out)
}

/// Per element path, the names of its child elements in order, counting only children whose
/// path is in `keep`.
fn children(entries: &XmlEntries, keep: &BTreeSet<&str>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, _) in entries {
        let Some((parent, last)) = path.rsplit_once('/') else {
            continue;
        };
        if last.contains('@') || !keep.contains(path.as_str()) {
            continue;
        }
        let name = last.split_once('[').map_or(last, |(n, _)| n);
        out.entry(parent.to_owned())
            .or_default()
            .push(name.to_owned());
    }
    out
}

/// Two sequences of names without what they share at the start and the end (shown as `…`).
fn shortened(a: &[String], b: &[String]) -> (String, String) {
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let show = |s: &[String]| {
        let mut parts: Vec<&str> = Vec::new();
        if head > 0 {
            parts.push("…");
        }
        parts.extend(s[head..s.len() - tail].iter().map(String::as_str));
        if tail > 0 {
            parts.push("…");
        }
        parts.join(", ")
    };
    (show(a), show(b))
}
