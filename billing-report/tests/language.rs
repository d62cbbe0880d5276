//! One language per document (issue 13): every invoice workbook, overview and audit workbook of
//! every golden case (written in Swedish, the default) holds no word of the old English texts,
//! and a run with `language` `en` holds none of the Swedish labels, in its workbooks and in its
//! PDFs' text layer (`pdftotext`). Cells are read back with calamine.

mod audit_support;
mod common;

use std::path::{Path, PathBuf};

use calamine::Data;
use common::*;

/// Words of the former English labels, line texts and explanation steps. None is Swedish, and
/// none occurs in the test data's own names (parties, pools, budget lines).
const ENGLISH: &[&str] = &[
    "payable",
    "description",
    "issuer",
    "buyer",
    "draft",
    "issued",
    "share",
    "remainder",
    "rule",
    "users",
    "annual",
    "fee",
    "billed",
    "advance",
    "correction",
    "rounded",
    "truncated",
    "instalment",
    "excess",
    "participants",
    "key",
    "pool",
    "step",
    "formula",
    "value",
    "source",
    "amount",
    "total",
    "net",
    "due",
    "invoice",
    "invoices",
    "party",
    "name",
    "summary",
    "findings",
    "finding",
    "balance",
    "allocated",
    "absorbed",
    "uncovered",
    "borne",
    "cap",
    "month",
    "spread",
    "count",
    "price",
    "lines",
    "vat",
    "added",
    "days",
    "the",
    "of",
    "and",
    "for",
    "on",
    "inferred",
    "budget from",
    "agreement",
    "currency",
    "reference",
    "kind",
    "number",
    "rounding",
    "user",
    "fees",
    "other",
];

/// Swedish labels an English document must not hold (none occurs in the data).
const SWEDISH: &[&str] = &[
    "faktura",
    "kreditfaktura",
    "fakturadatum",
    "förfallodatum",
    "att betala",
    "moms",
    "öresavrundning",
    "underlag",
    "beskrivning",
    "belopp",
    "köpare",
    "säljare",
    "summa",
    "användaravgift",
    "användaravgifter",
    "exakt andel",
    "avrundat",
    "förskott",
    "steg",
    "beräkning",
    "värde",
    "källa",
    "avtal",
    "valuta",
    "sammanställning",
    "kostnadsposter",
    "fördelningsnyckel",
    "folkmängd",
    "användare",
    "takbelopp",
    "fakturerat",
    "korrigering",
    "dagar",
    "perioden",
    "största-rest-regeln",
    "namn",
    "part",
];

/// The words of a text, lower-cased, split at anything that is not a letter or a hyphen. An id
/// with a colon inside (`fee:ikomet-1:2019`, `transactions:login`) or an underscore (a setting's
/// name, `annual_fee`) is an identifier, printed as it is in every language, and is skipped.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|t| t.trim_matches(|c: char| "(),;".contains(c)))
        .filter(|t| !t.trim_end_matches(':').contains(':') && !t.contains('_'))
        .flat_map(|t| t.split(|c: char| !(c.is_alphabetic() || c == '-')))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `text` holds `phrase` (one or more words) as whole words.
fn holds(text: &str, phrase: &str) -> bool {
    let (text, phrase) = (words(text), words(phrase));
    text.windows(phrase.len()).any(|w| w == phrase.as_slice())
}

/// Every text cell of a workbook, with its place, and the sheet names.
fn texts(path: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (sheet, rows) in grid(path) {
        out.push((format!("sheet name {sheet}"), sheet.clone()));
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if let Data::String(t) = cell {
                    let place = format!(
                        "{sheet}!{}{}",
                        billing_report::input::column_letters(c as u32),
                        r + 1
                    );
                    out.push((place, t.clone()));
                }
            }
        }
    }
    out
}

/// The invoice workbooks, overviews and audit workbooks under `dir`.
fn documents(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|f| {
            f.ends_with(".xlsx")
                && (f.contains("invoices/")
                    || f.ends_with("overview.xlsx")
                    || f.ends_with("audit.xlsx"))
        })
        .map(|f| dir.join(f))
        .collect()
}

/// Every cell holding one of `forbidden`, as `file place: text (word)`.
fn offending(files: &[PathBuf], forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for file in files {
        for (place, text) in texts(file) {
            if let Some(w) = forbidden.iter().find(|w| holds(&text, w)) {
                found.push(format!("{} {place}: {text:?} ({w})", file.display()));
            }
        }
    }
    found
}

#[test]
fn golden_invoices_and_overviews_hold_no_english_word() {
    let cases = testdata().join("cases");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&cases).unwrap() {
        let expected = entry.unwrap().path().join("expected");
        if expected.is_dir() {
            files.extend(documents(&expected));
        }
    }
    assert!(files.len() > 40, "only {} documents found", files.len());
    let found = offending(&files, ENGLISH);
    assert!(
        found.is_empty(),
        "{} English texts:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn an_english_run_holds_no_swedish_label() {
    let t = tmp();
    for case in ["kalmar-2010", "stockholm-2020"] {
        let dir = t.path().join(case);
        copy_case_csv(case, &dir);
        let settings = dir.join("Settings.csv");
        let mut text = std::fs::read_to_string(&settings).unwrap();
        text.push_str("language,en\n");
        std::fs::write(&settings, text).unwrap();
        let date = if case == "kalmar-2010" {
            "2011-07-01"
        } else {
            "2020-03-01"
        };
        let out = t.path().join(format!("{case}-out"));
        cli(&["run", s(&dir), "--date", date, "--out", s(&out)]).expect(0);
        let files = documents(&out);
        assert!(files.len() > 2, "{case}: {files:?}");
        let found = offending(&files, SWEDISH);
        assert!(
            found.is_empty(),
            "{} Swedish texts:\n{}",
            found.len(),
            found.join("\n")
        );
        // And the English run says what the Swedish one says, in English.
        let all: Vec<String> = files
            .iter()
            .flat_map(|f| texts(f))
            .map(|(_, t)| t)
            .collect();
        for label in [
            "Amount due",
            "Due date",
            "Basis of each line",
            "exact share",
            "Your reference",
            "VAT category",
            "Exact share (kr) A·w/W",
        ] {
            assert!(
                all.iter().any(|t| t.contains(label)),
                "{case}: no {label:?}"
            );
        }
        // The PDFs' text layer: English labels, no Swedish one.
        let pdfs: Vec<PathBuf> = files_under(&out)
            .into_iter()
            .filter(|f| f.ends_with(".pdf"))
            .map(|f| out.join(f))
            .collect();
        assert!(pdfs.len() > 2, "{case}: {pdfs:?}");
        for pdf in &pdfs {
            let text = pdf_text(pdf);
            for line in text.lines() {
                if let Some(w) = SWEDISH.iter().find(|w| holds(line, w)) {
                    panic!("{}: Swedish {w:?} in {line:?}", pdf.display());
                }
            }
            for label in [
                "Invoice",
                "Invoice date",
                "Due date",
                "Amount due",
                "Basis",
                "Page",
            ] {
                assert!(
                    text.contains(label),
                    "{}: no {label:?}:\n{text}",
                    pdf.display()
                );
            }
        }
        // `explain` frames the lines in English too.
        let buyer = if case == "kalmar-2010" {
            "0821"
        } else {
            "0114"
        };
        let r = cli(&[
            "explain",
            s(&dir),
            "--party",
            buyer,
            "--date",
            date,
            "--register",
            s(&t.path().join("none.sqlite")),
        ])
        .expect(0);
        assert!(r.stdout.contains("invoice from "), "{}", r.stdout);
        assert!(r.stdout.contains("line 1: "), "{}", r.stdout);
        for swedish in ["faktura", "att betala", "rad 1", "moms "] {
            assert!(!r.stdout.contains(swedish), "{swedish}:\n{}", r.stdout);
        }
    }
}

/// The text layer of a PDF, as `pdftotext` (poppler-utils) reads it.
fn pdf_text(pdf: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", s(pdf), "-"])
        .output()
        .expect("pdftotext runs (poppler-utils, installed by .ci/run)");
    assert!(out.status.success(), "pdftotext {}", pdf.display());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_swedish_basis_explains_in_swedish() {
    let file = testdata().join("cases/kalmar-2010/expected/2011-07-01/invoices/0880-0821.xlsx");
    let all: Vec<String> = texts(&file).into_iter().map(|(_, t)| t).collect();
    for label in [
        "Att betala",
        "Förfallodatum",
        "Underlag per rad",
        "årlig användaravgift F från 2010-01-01",
        "användaravgift i förskott för 2011-07-01..2011-12-31",
    ] {
        assert!(
            all.iter().any(|t| t.contains(label)),
            "no {label:?} in {all:?}"
        );
    }
}

/// The Summary sheet of every golden overview: per row, the pools, user fees, other lines, VAT
/// and öresavrundning add up to the payable total, to the öre; pools are headed by name.
#[test]
fn every_summary_row_adds_up_to_the_payable() {
    let cases = testdata().join("cases");
    let mut rows_checked = 0;
    for entry in std::fs::read_dir(&cases).unwrap() {
        let expected = entry.unwrap().path().join("expected");
        if !expected.is_dir() {
            continue;
        }
        for file in files_under(&expected)
            .into_iter()
            .filter(|f| f.ends_with("overview.xlsx"))
        {
            let path = expected.join(&file);
            let sheets = grid(&path);
            let (_, rows) = sheets
                .iter()
                .find(|(n, _)| n == "Sammanställning")
                .unwrap_or_else(|| panic!("{file}: no Sammanställning sheet"));
            let head = &rows[2];
            let payable = head
                .iter()
                .position(|c| *c == Data::String("Att betala".to_owned()))
                .unwrap_or_else(|| panic!("{file}: no Att betala column in {head:?}"));
            assert!(
                !head
                    .iter()
                    .any(|c| matches!(c, Data::String(t) if t.contains(':'))),
                "{file}: a pool headed by its id: {head:?}"
            );
            for row in rows.iter().skip(3) {
                let ore = |c: &Data| match c {
                    Data::Float(f) => (f * 100.0).round() as i64,
                    _ => 0,
                };
                let parts: i64 = row[2..payable].iter().map(ore).sum();
                assert_eq!(parts, ore(&row[payable]), "{file}: row {row:?}");
                rows_checked += 1;
            }
        }
    }
    assert!(rows_checked > 50, "only {rows_checked} rows");
}

/// The audit workbook of every case and golden date: each pool sheet shows every party's name
/// beside its id (from the Parties sheet), every number fits its column as its format shows it
/// (no `###`), every heading fits its column on at most three lines, and the column headings
/// repeat on every printed page.
#[test]
fn audit_sheets_show_party_names_and_fit_their_figures() {
    use billing_report::audit::{Cached, Content, Style};
    let mut pool_rows = 0;
    let mut numbers = 0;
    for case in [
        "kalmar-2010",
        "stockholm-2020",
        "social-emergency-8",
        "ikomet-3",
    ] {
        let dir = case_dir(case);
        let names: std::collections::BTreeMap<String, String> = lines(&dir.join("Parties.csv"))
            .into_iter()
            .map(|p| (p["id"].clone(), p["name"].clone()))
            .collect();
        let dates = audit_support::expected_dates(&dir);
        for (book_name, book) in
            audit_support::case_books(case, &dir.join("agreement.xlsx"), &dates)
        {
            for sheet in &book.sheets {
                let width = |col: u16| {
                    sheet
                        .widths
                        .iter()
                        .find(|(c, _)| *c == col)
                        .map_or(8.43, |(_, w)| *w)
                };
                let text = |row: u32, col: u16| {
                    sheet.cells.iter().find_map(|c| match &c.content {
                        Content::Text(t) if c.row == row && c.col == col => Some(t.clone()),
                        _ => None,
                    })
                };
                for c in &sheet.cells {
                    let x = match (&c.content, c.style) {
                        (Content::Input(x), _)
                        | (
                            Content::Formula {
                                cached: Cached::Number(x),
                                ..
                            },
                            _,
                        ) => *x,
                        (Content::Text(t), Style::Header) => {
                            let longest = t.split_whitespace().map(|w| w.chars().count()).max();
                            let room = width(c.col) as usize;
                            let lines = t.chars().count().div_ceil(room);
                            assert!(
                                longest.unwrap_or(0) <= room && lines <= 3,
                                "{book_name} {}: heading {t:?} in a column {} wide",
                                sheet.name,
                                width(c.col)
                            );
                            continue;
                        }
                        _ => continue,
                    };
                    // As the cell's format shows it: thousands separators and two decimals
                    // for money, ten decimals for a fraction, four for a price.
                    let whole = format!("{:.0}", x.abs().trunc());
                    let groups = (whole.len() - 1) / 3;
                    let shown = usize::from(x < 0.0)
                        + match c.style {
                            Style::Money => whole.len() + groups + 3,
                            Style::Fraction => whole.len() + 11,
                            Style::Price => whole.len() + 5,
                            Style::Date => 10,
                            _ => whole.len(),
                        };
                    assert!(
                        shown < width(c.col) as usize,
                        "{book_name} {}: {x} ({:?}) needs {shown} characters, the column is {}",
                        sheet.name,
                        c.style,
                        width(c.col)
                    );
                    numbers += 1;
                }
                if !sheet.name.starts_with("Kostnadspost") {
                    continue;
                }
                let head = sheet
                    .print_header
                    .unwrap_or_else(|| panic!("{book_name} {}: no heading row", sheet.name));
                assert_eq!(text(head, 0).as_deref(), Some("Part"), "{}", sheet.name);
                assert_eq!(text(head, 1).as_deref(), Some("Namn"), "{}", sheet.name);
                let mut row = head + 1;
                while let Some(id) = text(row, 0) {
                    if let Some(name) = names.get(&id) {
                        assert_eq!(
                            text(row, 1).as_ref(),
                            Some(name),
                            "{book_name} {} row {}",
                            sheet.name,
                            row + 1
                        );
                        pool_rows += 1;
                    }
                    row += 1;
                }
            }
        }
    }
    assert!(pool_rows > 100, "only {pool_rows} pool rows");
    assert!(numbers > 1000, "only {numbers} numbers");
}

/// The template is in Swedish: its sheets and columns are named by their Swedish aliases, its
/// example values are Swedish words the reader accepts, its Instructions sheet explains every
/// sheet, column and setting in Swedish (the English name only in "(engelska: …)"), and `check`
/// accepts it as written, without a warning.
#[test]
fn the_template_is_in_swedish_and_checks_clean() {
    let t = tmp();
    let file = t.path().join("avtal.xlsx");
    cli(&["template", s(&file)]).expect(0);
    let r = cli(&["check", s(&file)]).expect(0);
    assert!(
        r.stderr.contains("no errors") && !r.stderr.contains("warning"),
        "{}",
        r.stderr
    );
    let sheets: Vec<String> = grid(&file).into_iter().map(|(n, _)| n).collect();
    for name in [
        "Instruktioner",
        "Inställningar",
        "Parter",
        "Kostnadsposter",
        "Konton",
    ] {
        assert!(sheets.iter().any(|n| n == name), "no {name} in {sheets:?}");
    }
    // Values and column names the reader takes in English only (the transactions file's
    // header, the Accounts sheet's `what`), printed as identifiers beside their Swedish words.
    const IDENTIFIERS: &[&str] = &["rounding", "party", "count", "kind", "timestamp", "period"];
    let mut found = Vec::new();
    for (place, text) in texts(&file) {
        let swedish = text.split("(engelska:").next().unwrap_or_default();
        let plain: String = swedish
            .split_whitespace()
            .map(|t| t.trim_matches(|c: char| "(),;.".contains(c)))
            .filter(|t| !t.contains([',', ':', '_']) && !IDENTIFIERS.contains(t))
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(w) = ENGLISH.iter().find(|w| holds(&plain, w)) {
            found.push(format!("{place}: {text:?} ({w})"));
        }
    }
    assert!(
        found.is_empty(),
        "English in the template:\n{}",
        found.join("\n")
    );
    let instructions = texts(&file)
        .into_iter()
        .filter(|(p, _)| p.starts_with("Instruktioner!"))
        .count();
    assert!(instructions > 150, "only {instructions} instruction cells");
}
