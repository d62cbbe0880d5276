//! Tables longer than a sheet (issue 12: at 100,000 parties overview.xlsx and audit.xlsx have
//! sheets of more than Excel's 1,048,576 rows) continue on further sheets, `Kassaflöde`,
//! `Kassaflöde (2)`, …, each with the same headings. The row limit is a parameter here, so that
//! a few dozen parties cross it: exactly at the limit (one sheet), one row over (two), and
//! several sheets; the workbooks are read back with calamine. The audit workbook's formulas
//! are recalculated by LibreOffice in `audit_libreoffice.rs`.

mod audit_support;

use std::io::{Cursor, Read as _};
use std::path::Path;

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;

use billing_report::audit::{self, AuditBook, Cached, Content, Sheet};
use billing_report::compute::{billing_dates, compute, Draft, History};
use billing_report::output::{overview_within, SHEET_ROWS};
use billing_report::workbook::{load, Input};

use audit_support::{generated_inputs, many_parties, many_rounds, scratch};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

/// The agreement of `n` parties and its draft on `on`.
fn agreement(name: &str, n: usize, on: &str) -> (Input, Draft) {
    let dir = scratch(name);
    let (input, _) = load(&many_parties(&dir, n)).expect("the agreement loads");
    let draft = compute(&input, date(on), &History::default()).expect("it computes");
    (input, draft)
}

/// Every sheet of a workbook, in order: its name and its cells as texts, row by row from the
/// first row (an empty cell is an empty text).
fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("an xlsx workbook");
    let names = wb.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).expect("a sheet");
            let (rows, cols) = range.end().map_or((0, 0), |(r, c)| (r + 1, c + 1));
            let grid = (0..rows)
                .map(|r| {
                    (0..cols)
                        .map(|c| match range.get_value((r, c)) {
                            None | Some(Data::Empty) => String::new(),
                            Some(d) => d.to_string(),
                        })
                        .collect()
                })
                .collect();
            (name, grid)
        })
        .collect()
}

/// Whether each sheet of the workbook (in order) has frozen panes, and below which row.
fn frozen(bytes: &[u8]) -> Vec<Option<u32>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("a zip");
    (1..)
        .map_while(|i| {
            let mut xml = String::new();
            zip.by_name(&format!("xl/worksheets/sheet{i}.xml"))
                .ok()?
                .read_to_string(&mut xml)
                .ok()?;
            Some(xml.split("<pane ").nth(1).map(|pane| {
                pane.split("ySplit=\"")
                    .nth(1)
                    .and_then(|v| v.split('"').next())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
            }))
        })
        .collect()
}

/// The sheets of the table `name` in a workbook: `name`, `name (2)`, … in order, with their
/// positions.
fn parts<'a, T>(all: &'a [(String, T)], name: &str) -> Vec<(usize, &'a T)> {
    let mut found = Vec::new();
    for k in 1.. {
        let want = if k == 1 {
            name.to_owned()
        } else {
            format!("{name} ({k})")
        };
        match all.iter().position(|(n, _)| *n == want) {
            Some(i) => found.push((i, &all[i].1)),
            None => break,
        }
    }
    found
}

/// The overview's tables and the rows at the top of each (title and headings).
const TABLES: [(&str, usize); 5] = [
    ("Sammanställning", 3),
    ("Kostnadsposter", 1),
    ("Fakturor", 1),
    ("Kassaflöde", 1),
    ("Iakttagelser", 1),
];

/// Checks the overview written with sheets of `limit` rows against the one without a limit:
/// each table's sheets follow one another, hold at most `limit` rows, begin with the same
/// headings and together hold the same rows in the same order; the sheets of a table on
/// more than one are frozen below the headings. Returns the number of sheets of each table.
fn check_overview(input: &Input, draft: &Draft, limit: u32) -> Vec<usize> {
    let whole_bytes = overview_within(input, draft, SHEET_ROWS).expect("the overview");
    let split_bytes = overview_within(input, draft, limit).expect("the split overview");
    let whole = sheets(&whole_bytes);
    let split = sheets(&split_bytes);
    let frozen = frozen(&split_bytes);
    assert_eq!(frozen.len(), split.len(), "a worksheet file per sheet");
    assert!(
        frozen_none(&overview_within(input, draft, SHEET_ROWS).expect("again")),
        "nothing is frozen in an overview that fits"
    );
    let mut counts = Vec::new();
    let mut seen = 0;
    for (name, head) in TABLES {
        let original = &parts(&whole, name);
        assert_eq!(original.len(), 1, "{name}: one sheet without a limit");
        let grid = original[0].1;
        let pieces = parts(&split, name);
        assert!(!pieces.is_empty(), "{name}: missing");
        seen += pieces.len();
        // In order, one after another.
        for w in pieces.windows(2) {
            assert_eq!(w[1].0, w[0].0 + 1, "{name}: its sheets follow one another");
        }
        let mut rows = Vec::new();
        for (i, grid_k) in &pieces {
            assert!(
                grid_k.len() <= limit as usize,
                "{name}: {} rows",
                grid_k.len()
            );
            assert!(grid_k.len() > head, "{name}: a sheet without rows");
            // Sheets differ in width when a column is empty on one: compare trimmed rows.
            let trim = |row: &Vec<String>| {
                let mut r = row.clone();
                while r.last().is_some_and(String::is_empty) {
                    r.pop();
                }
                r
            };
            let top: Vec<_> = grid_k[..head].iter().map(trim).collect();
            let want: Vec<_> = grid[..head].iter().map(trim).collect();
            assert_eq!(top, want, "{name}: the headings on each of its sheets");
            rows.extend(grid_k[head..].iter().map(trim));
            let expected_freeze = (pieces.len() > 1).then_some(head as u32);
            assert_eq!(
                frozen[*i], expected_freeze,
                "{name}: frozen below its headings"
            );
        }
        let want: Vec<Vec<String>> = grid[head..]
            .iter()
            .map(|row| {
                let mut r = row.clone();
                while r.last().is_some_and(String::is_empty) {
                    r.pop();
                }
                r
            })
            .collect();
        assert_eq!(rows, want, "{name}: the same rows, in the same order");
        let per = limit as usize - head;
        assert_eq!(
            pieces.len(),
            (grid.len() - head).div_ceil(per).max(1),
            "{name}: as few sheets as its rows need"
        );
        counts.push(pieces.len());
    }
    assert_eq!(seen, split.len(), "no other sheet: {:?}", names(&split));
    counts
}

fn frozen_none(bytes: &[u8]) -> bool {
    frozen(bytes).iter().all(Option::is_none)
}

fn names<T>(all: &[(String, T)]) -> Vec<&str> {
    all.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn overview_tables_continue_on_further_sheets_at_the_limit() {
    let (input, draft) = agreement("limits-overview", 24, "2026-02-01");
    let whole = sheets(&overview_within(&input, &draft, SHEET_ROWS).expect("the overview"));
    let rows = |name: &str| parts(&whole, name)[0].1.len() as u32;
    // 24 parties: the summary has its title, a blank row, the headings, 24 rows and the total.
    assert_eq!(rows("Sammanställning"), 28);
    let invoices = rows("Fakturor");
    assert_eq!(invoices, 25, "the headings, 23 invoices and the own share");
    // Exactly at the limit: one sheet; one row over: two, the second with one row.
    let at = check_overview(&input, &draft, invoices);
    assert_eq!(at[2], 1, "Fakturor fits in {invoices} rows");
    let over = check_overview(&input, &draft, invoices - 1);
    assert_eq!(
        over[2],
        2,
        "Fakturor takes two sheets of {} rows",
        invoices - 1
    );
    let split = sheets(&overview_within(&input, &draft, invoices - 1).expect("split"));
    let second = parts(&split, "Fakturor")[1].1;
    assert_eq!(second.len(), 2, "the headings and the last invoice row");
    // Several sheets: the summary's total on its last sheet, after every party.
    let several = check_overview(&input, &draft, 8);
    assert_eq!(several[0], 5, "25 rows under 3 heading rows, 5 a sheet");
    assert_eq!(several[2], 4, "24 rows, 7 a sheet");
    let split = sheets(&overview_within(&input, &draft, 8).expect("split"));
    let summary = parts(&split, "Sammanställning");
    let last = summary.last().expect("a last sheet").1;
    assert_eq!(last.last().map(|r| r[0].as_str()), Some("Summa"));
    assert!(names(&split).contains(&"Sammanställning (5)"));
    assert!(!names(&split).contains(&"Sammanställning (6)"));
}

#[test]
fn a_fee_review_continues_like_the_other_tables() {
    // Every table of the ikomet fee-review case, at limits from 2 rows up.
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cases/ikomet-fee-review");
    let inputs = audit_support::case_inputs(&case);
    let dates = audit_support::expected_dates(&case);
    let input_path = inputs.first().expect("an input");
    let (input, _) = load(input_path).expect("the case loads");
    for d in dates {
        let draft = compute(&input, d, &History::default()).expect("it computes");
        if draft.fee_reviews.is_empty() {
            continue;
        }
        let whole = sheets(&overview_within(&input, &draft, SHEET_ROWS).expect("overview"));
        let review = parts(&whole, "Avgiftsprövning")[0].1.clone();
        for limit in 2..=review.len().max(2) as u32 {
            let split = sheets(&overview_within(&input, &draft, limit).expect("split"));
            let pieces = parts(&split, "Avgiftsprövning");
            let mut rows: Vec<Vec<String>> = Vec::new();
            for (_, g) in &pieces {
                assert!(g.len() <= limit as usize, "{d} at {limit}: {g:?}");
                assert_eq!(g[0], review[0], "the headings on each sheet");
                rows.extend(g[1..].iter().cloned());
            }
            let trim = |v: &[Vec<String>]| -> Vec<String> {
                v.iter()
                    .map(|r| r.join("|").trim_end_matches('|').to_owned())
                    .collect()
            };
            assert_eq!(trim(&rows), trim(&review[1..]), "{d} at {limit} rows");
        }
        return;
    }
    panic!("no date of the case has a fee review");
}

/// The sheets of the audit table `name`.
fn audit_parts<'a>(book: &'a AuditBook, name: &str) -> Vec<&'a Sheet> {
    let all: Vec<(String, &Sheet)> = book.sheets.iter().map(|s| (s.name.clone(), s)).collect();
    parts(&all, name).into_iter().map(|(_, s)| *s).collect()
}

fn rows_of(sheet: &Sheet) -> u32 {
    sheet.cells.iter().map(|c| c.row + 1).max().unwrap_or(0)
}

/// The texts of row `row` of a sheet, by column.
fn row_texts(sheet: &Sheet, row: u32) -> Vec<(u16, String)> {
    let mut v: Vec<(u16, String)> = sheet
        .cells
        .iter()
        .filter(|c| c.row == row)
        .filter_map(|c| match &c.content {
            Content::Text(t) => Some((c.col, t.clone())),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

/// The cached values of column `col` below row `from`, in row order, on each of `sheets`.
fn column_values(sheets: &[&Sheet], col: u16, from: &[u32]) -> Vec<String> {
    let mut out = Vec::new();
    for (s, &start) in sheets.iter().zip(from) {
        let mut cells: Vec<_> = s
            .cells
            .iter()
            .filter(|c| c.col == col && c.row > start)
            .collect();
        cells.sort_by_key(|c| c.row);
        out.extend(cells.iter().map(|c| match &c.content {
            Content::Formula {
                cached: Cached::Number(x),
                ..
            }
            | Content::Input(x) => format!("{x}"),
            Content::Formula {
                cached: Cached::Text(t),
                ..
            }
            | Content::Text(t) => t.clone(),
        }));
    }
    out
}

/// Checks the audit book built with sheets of `limit` rows against the one without: the fee,
/// transaction and invoice tables on as many sheets as they need, each at most `limit` rows,
/// each further one beginning with the headings and frozen below them, the same figures in
/// the same order, every sheet listed on the about sheet. Returns the sheets of each table.
fn check_audit(input: &Input, draft: &Draft, limit: u32) -> [usize; 3] {
    let whole = audit::build(input, draft);
    let book = audit::build_within(input, draft, limit);
    let mut counts = [0; 3];
    for (k, (name, col)) in [
        ("Användaravgifter", 20),
        ("Transaktioner", 10),
        ("Fakturor", 2),
    ]
    .into_iter()
    .enumerate()
    {
        let original = audit_parts(&whole, name);
        assert_eq!(original.len(), 1, "{name}: one sheet without a limit");
        let pieces = audit_parts(&book, name);
        counts[k] = pieces.len();
        for s in &pieces {
            assert!(rows_of(s) <= limit, "{}: {} rows", s.name, rows_of(s));
        }
        // The first sheet's heading row (fees, transactions) or title (invoices) begins each
        // further sheet.
        let head = original[0].print_header.unwrap_or(0);
        let starts: Vec<u32> = pieces
            .iter()
            .enumerate()
            .map(|(i, _)| if i == 0 { head } else { 0 })
            .collect();
        if name == "Fakturor" {
            for s in &pieces {
                assert_eq!(row_texts(s, 0), row_texts(original[0], 0), "{}", s.name);
                assert_eq!(s.freeze, None);
            }
        } else {
            for s in &pieces[1..] {
                assert_eq!(row_texts(s, 0), row_texts(original[0], head), "{}", s.name);
                assert_eq!((s.freeze, s.print_header), (Some(1), Some(0)), "{}", s.name);
            }
        }
        assert_eq!(pieces[0].freeze, None, "{name}: its first sheet as before");
        let starts_whole = [if name == "Fakturor" { 0 } else { head }];
        assert_eq!(
            column_values(&pieces, col, &starts),
            column_values(&original, col, &starts_whole),
            "{name}: the same figures in the same order"
        );
        // Listed on the about sheet; a further sheet as what it continues, in correct Swedish.
        for s in &pieces {
            assert!(
                book.sheets[0]
                    .cells
                    .iter()
                    .any(|c| c.content == Content::Text(s.name.clone())),
                "{} is not on the about sheet",
                s.name
            );
        }
        if pieces.len() > 1 {
            let what = Content::Text(format!("fortsättning på bladet {name}"));
            assert!(
                book.sheets[0].cells.iter().any(|c| c.content == what),
                "{name}: {what:?} is not on the about sheet"
            );
        }
    }
    counts
}

#[test]
fn audit_tables_continue_on_further_sheets_at_the_limit() {
    let (input, draft) = agreement("limits-audit", 30, "2026-02-01");
    let whole = audit::build(&input, &draft);
    let rows = |name: &str| rows_of(audit_parts(&whole, name)[0]);
    let (fees, tx, invoices) = (
        rows("Användaravgifter"),
        rows("Transaktioner"),
        rows("Fakturor"),
    );
    assert!(
        fees > 40 && tx > 40 && invoices > fees,
        "tables of a few dozen rows: {fees}, {tx}, {invoices}"
    );
    // Exactly at a table's limit it takes one sheet; one row over, two, the second with the
    // headings and the last line (an invoice is never cut: the last invoice moves).
    assert_eq!(check_audit(&input, &draft, fees)[0], 1);
    assert_eq!(check_audit(&input, &draft, fees - 1)[0], 2);
    let book = audit::build_within(&input, &draft, fees - 1);
    assert_eq!(rows_of(audit_parts(&book, "Användaravgifter")[1]), 2);
    assert_eq!(check_audit(&input, &draft, tx)[1], 1);
    assert_eq!(check_audit(&input, &draft, tx - 1)[1], 2);
    let book = audit::build_within(&input, &draft, tx - 1);
    assert_eq!(rows_of(audit_parts(&book, "Transaktioner")[1]), 2);
    assert_eq!(check_audit(&input, &draft, invoices)[2], 1);
    assert_eq!(check_audit(&input, &draft, invoices - 1)[2], 2);
    // Several sheets of each.
    let several = check_audit(&input, &draft, 24);
    assert!(several.iter().all(|&n| n >= 3), "{several:?}");
    // A line on a further fee sheet refers to the parameters on the first, by name; an
    // invoice line to the further sheet its fee is on.
    let book = audit::build_within(&input, &draft, 24);
    let second = audit_parts(&book, "Användaravgifter")[1];
    assert!(second.cells.iter().any(|c| matches!(&c.content,
        Content::Formula { formula, .. } if formula.contains("'Användaravgifter'!$"))));
    assert!(book
        .sheets
        .iter()
        .flat_map(|s| &s.cells)
        .any(|c| matches!(&c.content,
        Content::Formula { formula, .. } if formula.starts_with("'Användaravgifter (2)'!$U$"))));
    // The pool sheets cannot continue: one row short of the longest, the book does not fit,
    // and says why.
    let pool_rows = whole
        .sheets
        .iter()
        .filter(|s| s.name.starts_with("Kostnadspost"))
        .map(rows_of)
        .max()
        .expect("pool sheets");
    let longest = whole
        .sheets
        .iter()
        .find(|s| rows_of(s) == pool_rows)
        .map(|s| s.name.clone())
        .expect("the longest");
    let book = audit::build_within(&input, &draft, pool_rows - 1);
    assert!(
        rows_of(&book.sheets[0]) < pool_rows - 1,
        "the about sheet fits"
    );
    let why = audit::fits(&book, pool_rows - 1).expect_err("a pool sheet is too long");
    assert!(
        why.contains(&format!("`{longest}` would have {pool_rows} rows"))
            && why.contains("--only json,csv,pdf,html,xlsx"),
        "{why}"
    );
    assert!(audit::fits(&audit::build_within(&input, &draft, pool_rows), pool_rows).is_ok());
    assert!(audit::fits(&whole, SHEET_ROWS).is_ok());
}

#[test]
fn a_pool_longer_than_a_sheet_is_refused_before_the_work() {
    let dir = scratch("limits-refused");
    let (input, _) = load(&many_parties(&dir, 30)).expect("the agreement loads");
    assert!(audit::check_size(&input).is_ok());
    // 30 parties and the outside row, twice (instalments), and the rest of the sheet.
    assert!(audit::check_size_within(&input, 31 * 2 + 48).is_ok());
    let why = audit::check_size_within(&input, 31 * 2 + 47).expect_err("refused");
    assert!(
        why.starts_with("Pools!"),
        "located at the pool's row: {why}"
    );
    for part in [
        "pool s1",
        "30 parties",
        "about 110 rows",
        "more than the 109 a sheet holds",
        "--only json,csv,pdf,html,xlsx",
    ] {
        assert!(why.contains(part), "{part}: {why}");
    }
}

/// The rows of each pool sheet of `book` (in Swedish `Kostnadspost n`, in English `Pool n`).
fn pool_sheet_rows(book: &AuditBook) -> Vec<(String, u32)> {
    book.sheets
        .iter()
        .filter(|s| s.name.starts_with("Kostnadspost ") || s.name.starts_with("Pool "))
        .map(|s| (s.name.clone(), rows_of(s)))
        .collect()
}

/// `check_size` is a bound, not an estimate: for every kind of pool (every key and cap policy,
/// users outside the parties, instalments, and a cap with redistribute that needs a round per
/// capped party), at the smallest limit it accepts, the built pool sheets fit within it. So a
/// pool it lets through is never refused by `fits` after the work.
#[test]
fn check_size_passing_means_the_pool_sheets_fit() {
    let dir = scratch("limits-bound");
    let mut inputs: Vec<(String, std::path::PathBuf, Vec<NaiveDate>)> = generated_inputs(&dir);
    inputs.push(("rounds".into(), many_rounds(&dir, 15), vec![]));
    inputs.push(("many".into(), many_parties(&dir, 30), vec![]));
    let mut checked = 0;
    let mut sixteen_rounds = false;
    for (name, path, dates) in inputs {
        let (input, _) = load(&path).unwrap_or_else(|_| panic!("{name} loads"));
        // The smallest limit check_size accepts.
        let least = (1..=10_000u32)
            .find(|&l| audit::check_size_within(&input, l).is_ok())
            .expect("some limit is accepted");
        assert!(audit::check_size_within(&input, least - 1).is_err() || least == 1);
        let dates = if dates.is_empty() {
            billing_dates(&input)
        } else {
            dates
        };
        for d in dates {
            let Ok(draft) = compute(&input, d, &History::default()) else {
                panic!("{name} computes on {d}");
            };
            let book = audit::build_within(&input, &draft, least);
            let rows = pool_sheet_rows(&book);
            for (sheet, n) in &rows {
                assert!(
                    *n <= least,
                    "{name} on {d}: `{sheet}` has {n} rows, but check_size accepted {least}"
                );
            }
            checked += rows.len();
            // The pool really needs a round per capped party: 15 and the last.
            sixteen_rounds |= name == "rounds"
                && book.sheets.iter().any(|s| {
                    s.cells.iter().any(
                        |c| matches!(&c.content, Content::Text(t) if t == "Över taket i omgång 16"),
                    )
                });
        }
    }
    assert!(sixteen_rounds, "the rounds pool has 16 rounds");
    assert!(checked > 20, "{checked} pool sheets checked");
}
