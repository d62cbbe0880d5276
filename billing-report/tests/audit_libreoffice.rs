//! The audit workbook recalculated by an independent calculator: LibreOffice (headless) opens
//! every audit workbook with a full recalculation forced, and every formula must give the
//! engine's figure, to the öre. A workbook with one formula altered must not pass.
//!
//! LibreOffice is the Debian package `libreoffice-calc-nogui` (`.ci/run` installs it). Without
//! `soffice` on PATH these tests fail when `CI` is set, and say loudly that they did not run
//! otherwise.

mod audit_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use billing_report::audit::{self, AuditBook, Content};

use audit_support::{case_books, generated_inputs, scratch};

/// Whether `soffice` can run; panics with the reason under CI.
fn soffice() -> bool {
    let ok = Command::new("soffice")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let message = "soffice (LibreOffice) is not on PATH: install it with \
             `apt-get install -y --no-install-recommends libreoffice-calc-nogui` \
             (.ci/run does this)";
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("NOT RUN: {message}");
    }
    ok
}

/// As [`recalculate`], with files copied in as they are (`<name>.xlsx`) in the same run;
/// returns the recalculated books, then the recalculated files.
fn recalculate_with(
    dir: &Path,
    books: &[(String, AuditBook)],
    files: &[(String, PathBuf)],
) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let input = dir.join("in");
    std::fs::create_dir_all(&input).expect("scratch folder");
    for (name, path) in files {
        std::fs::copy(path, input.join(format!("{name}.xlsx"))).expect("copy a workbook");
    }
    let mut extra: Vec<PathBuf> = files
        .iter()
        .map(|(name, _)| input.join(format!("{name}.xlsx")))
        .collect();
    let all = recalculate_files(dir, books, &mut extra);
    let (a, b) = all.split_at(books.len());
    (a.to_vec(), b.to_vec())
}

/// Spreadsheet values are doubles: equal within a millionth (or 10^-13 of their size).
#[allow(clippy::float_arithmetic)]
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6_f64.max(a.abs() * 1e-13)
}

/// The formulas of a committed audit workbook whose value after LibreOffice's recalculation
/// differs from the value cached in the file: the number of formulas and the differences.
fn committed_differences(original: &Path, recalculated: &Path) -> (usize, Vec<String>) {
    use calamine::{open_workbook_auto, Data, Reader};
    let mut before = open_workbook_auto(original).expect("the committed workbook");
    let mut after = open_workbook_auto(recalculated).expect("the recalculated workbook");
    let mut out = Vec::new();
    let mut count = 0;
    for sheet in before.sheet_names() {
        let formulas = before.worksheet_formula(&sheet).expect("formulas");
        let cached = before.worksheet_range(&sheet).expect("values");
        let now = after.worksheet_range(&sheet).expect("recalculated values");
        let (r0, c0) = formulas.start().unwrap_or((0, 0));
        for (r, c, f) in formulas.used_cells() {
            if f.is_empty() {
                continue;
            }
            count += 1;
            let at = (r0 + r as u32, c0 + c as u32);
            let (x, y) = (cached.get_value(at), now.get_value(at));
            let num = |d: Option<&Data>| match d {
                Some(Data::Float(x)) => Some(*x),
                Some(Data::Int(i)) => Some(*i as f64),
                Some(Data::DateTime(d)) => Some(d.as_f64()),
                _ => None,
            };
            let same = match (num(x), num(y)) {
                (Some(a), Some(b)) => close(a, b),
                (None, None) => x == y,
                _ => false,
            };
            if !same {
                out.push(format!(
                    "{sheet}!R{}C{}: ={f} cached {x:?}, LibreOffice {y:?}",
                    at.0 + 1,
                    at.1 + 1
                ));
            }
        }
    }
    (count, out)
}

/// Writes each book as `<name>.xlsx`, recalculates them all in one LibreOffice run, and
/// returns the recalculated files in the same order.
fn recalculate(dir: &Path, books: &[(String, AuditBook)]) -> Vec<PathBuf> {
    recalculate_files(dir, books, &mut Vec::new())
}

/// Writes each book as `<name>.xlsx`, recalculates them and the `extra` files in one
/// LibreOffice run, and returns the recalculated files: the books', then the extra ones.
fn recalculate_files(
    dir: &Path,
    books: &[(String, AuditBook)],
    extra: &mut Vec<PathBuf>,
) -> Vec<PathBuf> {
    let input = dir.join("in");
    let output = dir.join("out");
    std::fs::create_dir_all(&input).expect("scratch folder");
    let mut files = Vec::new();
    for (name, book) in books {
        let path = input.join(format!("{name}.xlsx"));
        std::fs::write(
            &path,
            audit::write(book).expect("the audit workbook writes"),
        )
        .expect("write the workbook");
        files.push(path);
    }
    files.append(extra);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/libreoffice-recalc");
    let started = Instant::now();
    let status = Command::new("bash")
        .arg(&script)
        .arg(&output)
        .args(&files)
        .status()
        .expect("run scripts/libreoffice-recalc");
    eprintln!(
        "LibreOffice recalculated {} workbook(s) in {:.2} s",
        files.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(status.success(), "scripts/libreoffice-recalc failed");
    files
        .iter()
        .filter_map(|f| f.file_name())
        .map(|n| output.join(n))
        .collect()
}

fn formula_count(book: &AuditBook) -> usize {
    book.sheets
        .iter()
        .flat_map(|s| &s.cells)
        .filter(|c| matches!(c.content, Content::Formula { .. }))
        .count()
}

#[test]
fn libreoffice_recomputes_every_audit_figure_to_the_ore() {
    if !soffice() {
        return;
    }
    let dir = scratch("audit-lo-all");
    let mut books = Vec::new();
    let mut goldens: Vec<(String, PathBuf)> = Vec::new();
    for (name, input, dates) in generated_inputs(&dir) {
        books.extend(case_books(&name, &input, &dates));
    }
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cases");
    if let Ok(entries) = std::fs::read_dir(&cases) {
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for case in entries.iter().filter(|c| c.is_dir()) {
            let name = case
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let inputs = audit_support::case_inputs(case);
            assert!(!inputs.is_empty(), "{name}: no agreement input");
            // Every date the case has expected outputs of, each computed as `cases.rs` does.
            let dates = audit_support::expected_dates(case);
            assert!(!dates.is_empty(), "{name}: no expected/<date>/ folder");
            for input in inputs {
                books.extend(case_books(&name, &input, &dates));
            }
            for d in &dates {
                let committed = case.join("expected").join(d.to_string()).join("audit.xlsx");
                if committed.is_file() {
                    goldens.push((format!("golden-{name}-{d}"), committed));
                }
            }
        }
    }
    assert!(books.len() >= 20, "too few workbooks: {}", books.len());
    assert!(
        goldens.len() >= 10,
        "too few committed audit workbooks: {}",
        goldens.len()
    );
    let started = Instant::now();
    let (recalculated, golden_recalculated) = recalculate_with(&dir, &books, &goldens);
    let seconds = started.elapsed().as_secs_f64();
    let mut failures = Vec::new();
    let mut formulas = 0;
    for ((name, book), path) in books.iter().zip(&recalculated) {
        formulas += formula_count(book);
        let differences =
            audit::recalculation_differences(book, path).unwrap_or_else(|e| panic!("{name}: {e}"));
        failures.extend(differences.iter().map(|d| format!("{name}: {d}")));
    }
    // The committed audit workbooks, opened as they are: every formula recalculated by
    // LibreOffice must give the value cached in the file.
    let mut golden_formulas = 0;
    for ((name, original), path) in goldens.iter().zip(&golden_recalculated) {
        let (n, differences) = committed_differences(original, path);
        golden_formulas += n;
        failures.extend(differences.iter().map(|d| format!("{name}: {d}")));
    }
    assert!(
        golden_formulas > 0,
        "no formulas in the committed audit workbooks"
    );
    eprintln!(
        "{} workbook(s), {formulas} formulas, {} committed workbook(s), {golden_formulas} formulas, {} difference(s), LibreOffice {seconds:.2} s",
        books.len(),
        goldens.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} difference(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Alters one formula of a book: the first formula of `sheet` containing `find`.
fn altered(book: &AuditBook, sheet: &str, find: &str, replace: &str) -> (AuditBook, String) {
    let mut book = book.clone();
    let s = book
        .sheets
        .iter_mut()
        .find(|s| s.name == sheet)
        .unwrap_or_else(|| panic!("no sheet {sheet}"));
    let cell = s
        .cells
        .iter_mut()
        .find(|c| matches!(&c.content, Content::Formula { formula, .. } if formula.contains(find)))
        .unwrap_or_else(|| panic!("no formula with {find} in {sheet}"));
    let Content::Formula { formula, .. } = &mut cell.content else {
        unreachable!("matched a formula above");
    };
    let before = formula.clone();
    *formula = formula.replacen(find, replace, 1);
    let what = format!("{sheet}!{}: {before} → {formula}", cell.row + 1);
    (book, what)
}

#[test]
fn libreoffice_catches_a_wrong_formula() {
    if !soffice() {
        return;
    }
    let dir = scratch("audit-lo-mutants");
    let inputs = generated_inputs(&dir);
    let book_of = |name: &str, date: &str| {
        let (n, input, _) = inputs
            .iter()
            .find(|i| i.0 == name)
            .expect("a generated input");
        let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("a date");
        case_books(n, input, &[date])
            .into_iter()
            .next()
            .expect("a book")
            .1
    };
    let originals = [
        book_of("caps", "2026-01-01"),
        book_of("fees", "2012-01-01"),
        book_of("large", "2026-01-01"),
    ];
    // Each mutation is a plausible slip: a tie broken the wrong way, a remainder compared the
    // wrong way, VAT truncated instead of rounded, a cap applied as a floor, a round's test
    // inverted, the users outside miscounted, a first year a month short, a budget summed
    // with the wrong sign; in the long division in limbs (B7), the high limb of R taken for the
    // low one, and the water-filling test's sign inverted when the high limbs decide it.
    let mutations = [
        (0, "Kostnadspost 1", "=I", "<>I"),
        (0, "Kostnadspost 4", ">I", "<I"),
        (0, "Fakturor", "/100,0)/100", "/100-0.5,0)/100"),
        (0, "Kostnadspost 2", "MIN(", "MAX("),
        (0, "Kostnadspost 3", ">$B$", "<$B$"),
        (0, "Kostnadspost 5", "-$B$", "-1-$B$"),
        (1, "Användaravgifter", "+12,", "+11,"),
        (1, "Användaravgifter", "ROUND(S", "ROUND(-S"),
        (2, "Kostnadspost 1", "+$C$", "+$B$"),
        (2, "Kostnadspost 2", ">0,(", "<0,("),
    ];
    let mut books = vec![
        ("unaltered-0".to_owned(), originals[0].clone()),
        ("unaltered-1".to_owned(), originals[1].clone()),
        ("unaltered-2".to_owned(), originals[2].clone()),
    ];
    let mut what = Vec::new();
    for (i, (book, sheet, find, replace)) in mutations.iter().enumerate() {
        let (b, w) = altered(&originals[*book], sheet, find, replace);
        books.push((format!("mutant-{i}"), b));
        what.push(w);
    }
    let recalculated = recalculate(&dir, &books);
    for k in 0..originals.len() {
        let clean = audit::recalculation_differences(&books[k].1, &recalculated[k]).expect("read");
        assert!(clean.is_empty(), "the unaltered book differs: {clean:?}");
    }
    for (i, w) in what.iter().enumerate() {
        let n = originals.len();
        let found = audit::recalculation_differences(&books[i + n].1, &recalculated[i + n])
            .expect("read back");
        eprintln!("{w}: {} difference(s)", found.len());
        assert!(!found.is_empty(), "altered formula not caught: {w}");
    }
}

/// B8: the comparison read a text (or a boolean) where a number was expected as that number
/// (calamine's `as_f64` parses strings), so a formula LibreOffice turned into text passed.
#[test]
fn a_number_recalculated_as_text_or_boolean_is_a_difference() {
    use billing_report::audit::{Cached, Cell, Sheet, Style};
    let dir = scratch("audit-text-for-number");
    let cell = |row: u32, cached: f64| Cell {
        row,
        col: 0,
        content: Content::Formula {
            formula: "1+0".to_owned(),
            cached: Cached::Number(cached),
        },
        style: Style::Plain,
    };
    let book = AuditBook {
        sheets: vec![Sheet {
            name: "S".to_owned(),
            cells: vec![cell(0, 1.0), cell(1, 1.0), cell(2, 1.0), cell(3, 1.0)],
            widths: Vec::new(),
            print_header: None,
            freeze: None,
        }],
        title: String::new(),
    };
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("S").expect("name");
    ws.write_number(0, 0, 1.0).expect("number");
    ws.write_string(1, 0, "1").expect("text");
    ws.write_boolean(2, 0, true).expect("boolean");
    ws.write_string(3, 0, "1.0").expect("text");
    let path = dir.join("recalculated.xlsx");
    std::fs::write(&path, wb.save_to_buffer().expect("save")).expect("write");
    let found = audit::recalculation_differences(&book, &path).expect("read back");
    let cells: Vec<&str> = found.iter().map(|d| d.cell.as_str()).collect();
    assert_eq!(cells, ["A2", "A3", "A4"], "{found:?}");
}

/// B1: transaction lines were plain values on the Invoices sheet: they are now formulas on a
/// Transactions sheet (count and unit price as inputs, the amount computed), referred to.
#[test]
fn transaction_lines_are_computed_on_a_transactions_sheet() {
    let dir = scratch("audit-transactions-sheet");
    let inputs = generated_inputs(&dir);
    let (name, input, dates) = inputs
        .iter()
        .find(|i| i.0 == "transactions")
        .expect("the transactions input");
    let (_, book) = case_books(name, input, dates).remove(0);
    let sheet = |n: &str| {
        book.sheets
            .iter()
            .find(|s| s.name == n)
            .unwrap_or_else(|| panic!("no sheet {n}"))
    };
    let formulas = |n: &str| -> Vec<(String, f64)> {
        sheet(n)
            .cells
            .iter()
            .filter_map(|c| match &c.content {
                Content::Formula {
                    formula,
                    cached: audit::Cached::Number(x),
                } => Some((formula.clone(), *x)),
                _ => None,
            })
            .collect()
    };
    let tx = formulas("Transaktioner");
    // 2 × 0.0875 = 0.175 rounds half away from zero to 0.18; the large count stays exact.
    assert!(
        tx.iter()
            .any(|(f, x)| f.starts_with("ROUND(") && *x == 18.0),
        "{tx:?}"
    );
    assert!(tx.iter().any(|(_, x)| *x == 296_296_296.30), "{tx:?}");
    let refs: Vec<_> = formulas("Fakturor")
        .into_iter()
        .filter(|(f, _)| f.starts_with("'Transaktioner'!"))
        .collect();
    assert_eq!(refs.len(), 5, "{refs:?}");
}

/// B1: the fee review (R13) was not in the audit workbook: fees, costs as counts × prices,
/// total, balance, outcome and covering fee are now formulas.
#[test]
fn the_fee_review_is_computed_on_its_sheet() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cases/ikomet-fee-review");
    let input = audit_support::case_inputs(&case).remove(0);
    let date = chrono::NaiveDate::from_ymd_opt(2019, 3, 1).expect("a date");
    let (_, book) = case_books("ikomet-fee-review", &input, &[date]).remove(0);
    let sheet = book
        .sheets
        .iter()
        .find(|s| s.name == "Avgiftsprövning")
        .expect("a Fee review sheet");
    let texts: Vec<String> = sheet
        .cells
        .iter()
        .filter_map(|c| match &c.content {
            Content::Formula {
                formula,
                cached: audit::Cached::Text(t),
            } => Some(format!("{formula} = {t}")),
            _ => None,
        })
        .collect();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].starts_with("IF("), "{texts:?}");
    assert!(formula_count_of(sheet) > 10);
}

fn formula_count_of(sheet: &billing_report::audit::Sheet) -> usize {
    sheet
        .cells
        .iter()
        .filter(|c| matches!(c.content, Content::Formula { .. }))
        .count()
}

/// B4: a case that did not load or compute was left out of the LibreOffice check with a note,
/// so the test passed without checking it. It now fails the test.
#[test]
fn a_case_that_does_not_load_or_compute_is_not_left_out() {
    let dir = scratch("audit-case-does-not-load");
    let bad = dir.join("bad");
    std::fs::create_dir_all(&bad).expect("folder");
    std::fs::write(bad.join("Settings.csv"), "setting,value\nname,Trasig\n").expect("write");
    std::fs::write(
        bad.join("Pools.csv"),
        "id,name,amount,due,key\np,P,abc,2026-01-01,equal\n",
    )
    .expect("write");
    let result = std::panic::catch_unwind(|| case_books("bad", &bad, &[]));
    assert!(
        result.is_err(),
        "a broken case was left out instead of failing"
    );
}

/// Issue 12: the fee, transaction and invoice tables continued on further sheets (the row
/// limit lowered to a few dozen rows) keep every formula pointing at the right cells:
/// LibreOffice recalculates every figure of the books to the engine's, to the öre, and a
/// reference to the wrong sheet is caught.
#[test]
fn libreoffice_recomputes_tables_continued_on_further_sheets() {
    if !soffice() {
        return;
    }
    let dir = scratch("audit-lo-split");
    let (input, _) =
        billing_report::workbook::load(&audit_support::many_parties(&dir, 30)).expect("loads");
    let mut books = Vec::new();
    for d in ["2026-01-01", "2026-02-01"] {
        let date = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("a date");
        let draft = billing_report::compute::compute(
            &input,
            date,
            &billing_report::compute::History::default(),
        )
        .expect("computes");
        let whole = audit::build(&input, &draft);
        for limit in [24, 37, 64] {
            let book = audit::build_within(&input, &draft, limit);
            assert!(book.sheets.len() > whole.sheets.len(), "{d} at {limit}");
            books.push((format!("split-{d}-{limit}"), book));
        }
    }
    // Plausible slips: a line on a further fee sheet reading the parameters as if they were on
    // its own sheet; an invoice line reading the first fee sheet's cell for a line that is on
    // the second.
    let last = &books[books.len() - 1].1;
    let far = "'Användaravgifter (2)'!";
    let invoices = last
        .sheets
        .iter()
        .find(|s| {
            s.name.starts_with("Fakturor")
                && s.cells.iter().any(|c| {
                    matches!(&c.content, Content::Formula { formula, .. } if formula.contains(far))
                })
        })
        .map(|s| s.name.clone())
        .expect("an invoice line on the second fee sheet");
    let mutants = [
        altered(last, "Användaravgifter (2)", "'Användaravgifter'!", ""),
        altered(last, &invoices, far, "'Användaravgifter'!"),
    ];
    let n = books.len();
    for (i, (book, _)) in mutants.iter().enumerate() {
        books.push((format!("split-mutant-{i}"), book.clone()));
    }
    let recalculated = recalculate(&dir, &books);
    let mut failures = Vec::new();
    let mut formulas = 0;
    for ((name, book), path) in books.iter().zip(&recalculated).take(n) {
        formulas += formula_count(book);
        let differences =
            audit::recalculation_differences(book, path).unwrap_or_else(|e| panic!("{name}: {e}"));
        failures.extend(differences.iter().map(|d| format!("{name}: {d}")));
    }
    eprintln!("{n} split workbook(s), {formulas} formulas");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for (i, (_, what)) in mutants.iter().enumerate() {
        let found = audit::recalculation_differences(&books[n + i].1, &recalculated[n + i])
            .expect("read back");
        eprintln!("{what}: {} difference(s)", found.len());
        assert!(!found.is_empty(), "a wrong sheet not caught: {what}");
    }
}

/// The fee sheet's formula cells of a book: (row, formula, cached number).
fn fee_formulas(book: &AuditBook) -> Vec<(u32, String, f64)> {
    book.sheets
        .iter()
        .filter(|s| s.name.starts_with("Användaravgifter"))
        .flat_map(|s| &s.cells)
        .filter_map(|c| match &c.content {
            Content::Formula {
                formula,
                cached: audit::Cached::Number(x),
            } => Some((c.row, formula.clone(), *x)),
            _ => None,
        })
        .collect()
}

/// R5: under `exakt` and `kronor` the fee sheet follows the fee's policy. DOMAIN's 1,000,000 kr
/// over 90 users, then 1,000,001 kr over 16 from 2012, with a later joiner (the first-year
/// multiplier 2) and users changing (corrections, `next_invoice_count` under exakt and
/// `pro_rata_days` under kronor): LibreOffice recalculates every figure to the engine's. Under
/// exakt F is unrounded (11,111.1111111111) and each line is computed from B and N (party a's
/// 10 users for H1 2011: 10 × 1,000,000 / (90 × 2) = 55,555.56, where F rounded to öre gives
/// 55,555.55); under kronor F = 11,111 and the line is 55,555.00. The formulas of the öre
/// policy (the review's finding) in place of either are caught.
#[test]
fn libreoffice_recomputes_the_fee_under_the_exact_and_kronor_policies() {
    let dir = scratch("audit-lo-fee-policy");
    let inputs = generated_inputs(&dir);
    let book_of = |name: &str| {
        let (n, input, dates) = inputs
            .iter()
            .find(|i| i.0 == name)
            .expect("a generated input");
        case_books(n, input, dates)
    };
    let exakt = book_of("fees-exakt");
    let kronor = book_of("fees-kronor");
    assert_eq!(exakt.len(), 4);
    assert_eq!(kronor.len(), 4);
    let first = |books: &[(String, AuditBook)]| fee_formulas(&books[0].1);
    let f_exakt = first(&exakt);
    assert!(
        f_exakt.iter().any(|(_, f, x)| f.starts_with("ROUND($B$")
            && f.ends_with("*100)")
            && (x - 1_000_000.0 / 90.0).abs() < 1e-9),
        "{f_exakt:?}"
    );
    assert!(
        f_exakt
            .iter()
            .any(|(_, f, x)| f.contains("*ROUND($B$") && *x == 55_555.56),
        "{f_exakt:?}"
    );
    assert!(
        !f_exakt.iter().any(|(_, _, x)| *x == 55_555.55),
        "{f_exakt:?}"
    );
    let f_kronor = first(&kronor);
    assert!(
        f_kronor
            .iter()
            .any(|(_, f, x)| f.starts_with("ROUND(ROUND($B$")
                && f.ends_with("*100),0)")
                && *x == 11_111.0),
        "{f_kronor:?}"
    );
    assert!(
        f_kronor.iter().any(|(_, _, x)| *x == 55_555.0),
        "{f_kronor:?}"
    );
    // Later dates: corrections and the second budget's fee (62,500.0625 exact, 62,500 kronor).
    let later = |books: &[(String, AuditBook)], want: f64| {
        books[2..].iter().any(|(_, b)| {
            fee_formulas(b)
                .iter()
                .any(|(_, _, x)| (x - want).abs() < 1e-9)
        })
    };
    assert!(later(&exakt, 1_000_001.0 / 16.0));
    assert!(later(&kronor, 62_500.0));
    // The review's finding as mutants: kronor's F rounded to öre; an exact line computed from
    // F rounded to öre.
    let (kronor_mutant, kronor_what) =
        altered(&kronor[0].1, "Användaravgifter", "*100),0)", "),0)/100");
    let mut exakt_mutant = exakt[0].1.clone();
    let exakt_what = {
        let sheet = exakt_mutant
            .sheets
            .iter_mut()
            .find(|s| s.name == "Användaravgifter")
            .expect("the fee sheet");
        let cell = sheet
            .cells
            .iter_mut()
            .find(|c| {
                matches!(&c.content, Content::Formula { formula, .. } if formula.contains("*ROUND($B$"))
            })
            .expect("an exact line");
        let row = cell.row + 1;
        let Content::Formula { formula, .. } = &mut cell.content else {
            unreachable!("matched a formula above");
        };
        // ROUND(n*ROUND(B*100,0)*w/(N*k*p*unit),0)/100 → ROUND(n*ROUND(F*100,0)*w/(k*p*unit),0)/100
        let (_, denominator) = formula.split_once("/(").expect("a division");
        let (_, rest) = denominator.split_once('*').expect("N first");
        let before = formula.clone();
        *formula = format!("ROUND(N{row}*ROUND(R{row}*100,0)*Q{row}/({rest}");
        format!("{before} → {formula}")
    };
    if !soffice() {
        return;
    }
    let mut books: Vec<(String, AuditBook)> = exakt.into_iter().chain(kronor).collect();
    let n = books.len();
    books.push(("fee-mutant-kronor".to_owned(), kronor_mutant));
    books.push(("fee-mutant-exakt".to_owned(), exakt_mutant));
    let recalculated = recalculate(&dir, &books);
    let mut failures = Vec::new();
    for ((name, book), path) in books.iter().zip(&recalculated).take(n) {
        let differences =
            audit::recalculation_differences(book, path).unwrap_or_else(|e| panic!("{name}: {e}"));
        failures.extend(differences.iter().map(|d| format!("{name}: {d}")));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for (i, what) in [kronor_what, exakt_what].iter().enumerate() {
        let found = audit::recalculation_differences(&books[n + i].1, &recalculated[n + i])
            .expect("read back");
        eprintln!("{what}: {} difference(s)", found.len());
        assert!(!found.is_empty(), "the öre formula not caught: {what}");
    }
}
