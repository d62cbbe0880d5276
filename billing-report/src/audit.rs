//! The audit workbook (R16, issue 7): every computed figure of a run as a live spreadsheet
//! formula over the inputs, with the engine's value as its cached result.
//!
//! An auditor opens `audit.xlsx` in Excel or LibreOffice, which recomputes every formula; the
//! figures must come out as the engine's, to the öre. The inputs are copied in as values (yellow
//! cells) with a note of the cell they were read from in the agreement workbook.
//!
//! Spreadsheet arithmetic is IEEE double, so every money step is done in whole öre, as integers,
//! which doubles hold exactly below 2^53:
//! - a split truncates `|A|·w / W` by the exact integer remainder
//!   `X = |A|·w − ROUND(|A|·w / W, 0)·W`, plus `W` when negative (never `INT` or `MOD` of a
//!   quotient, which LibreOffice rounds to 15 digits first); when `|A|·w` reaches 2^53, by long
//!   division in limbs of `|A|` (B7, see `pool_sheet`), each product staying below 2^53;
//! - ranks compare those integer remainders with `SUMPRODUCT`, ties going to the row above (rows
//!   are in party-id order, the engine's tie rule);
//! - every rounding to öre is `ROUND(integer / divisor, 0)` in öre, where a tie `x.5` is exact.
//!
//! The workbook is first built as an [`AuditBook`] (cells, formulas and cached values), then
//! written sheet by sheet by the project's streaming writer (`output/sheet.rs`), each sheet
//! dropped once written; tests alter a formula of the book to show that a recalculation catches
//! it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use billing_core::calendar::{FeeLine, FeeLineKind, FeePolicy};
use billing_core::cooperation::Outcome;
use billing_core::invoice::{Invoice, LineKind, VatRate};
use billing_core::transactions::PricedLine;
use billing_core::{Allocation, ExcessPolicy, Figure, Language, Money, PartyId};

use crate::compute::Draft;
use crate::output::sheet::{self, Look, Page, Streamed};
use crate::output::{excess_words, part_name, SHEET_ROWS, ZIP_LEVEL};
use crate::workbook::Input;

/// A whole audit workbook before it is written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditBook {
    /// The sheets, in order.
    pub sheets: Vec<Sheet>,
    /// The workbook's title (its document properties), in the workbook's language.
    pub title: String,
}

/// One sheet of the audit workbook.
#[derive(Clone, Debug, PartialEq)]
pub struct Sheet {
    /// Its name (at most 31 characters).
    pub name: String,
    /// Its cells, in any order.
    pub cells: Vec<Cell>,
    /// Column widths, in characters: at least these; [`write`] widens a column to fit its
    /// numbers, its texts (up to a limit) and its headings (wrapped on up to three lines).
    pub widths: Vec<(u16, f64)>,
    /// The row of column headings repeated at the top of every printed page, if any.
    pub print_header: Option<u32>,
    /// The first row that scrolls (the rows above stay in view), if any: on the further sheets
    /// of a table continued on several (`Fakturor (2)`, …), whose first row is its headings.
    pub freeze: Option<u32>,
}

/// One cell: where, what, and how it looks.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// Row, 0-based.
    pub row: u32,
    /// Column, 0-based.
    pub col: u16,
    /// What it holds.
    pub content: Content,
    /// How it is formatted.
    pub style: Style,
}

/// What a cell holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    /// A text: a label, a header, an id, a note.
    Text(String),
    /// An input copied in as a value.
    Input(f64),
    /// A computed figure: the formula (without `=`) and the engine's value.
    Formula {
        /// The formula, e.g. `ROUND(B5*100,0)`.
        formula: String,
        /// The engine's value, written as the formula's cached result.
        cached: Cached,
    },
}

/// The cached result of a formula.
#[derive(Clone, Debug, PartialEq)]
pub enum Cached {
    /// A number (amounts in kronor, öre, counts, date serials).
    Number(f64),
    /// A text.
    Text(String),
}

/// How a cell is formatted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// No format.
    Plain,
    /// The sheet's title.
    Title,
    /// A column header or a label.
    Header,
    /// A short explanation, in italics.
    Note,
    /// Kronor with two decimals.
    Money,
    /// A whole number (öre, counts, weights, ranks).
    Integer,
    /// An exact share or other fraction, with ten decimals.
    Fraction,
    /// A unit price in kronor, with four decimals.
    Price,
    /// A date.
    Date,
}

/// A formula cell whose recalculated value differs from the engine's.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// The sheet.
    pub sheet: String,
    /// The cell, e.g. `M7`.
    pub cell: String,
    /// The formula.
    pub formula: String,
    /// The engine's value.
    pub engine: String,
    /// The value the spreadsheet computed.
    pub recalculated: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}!{}: ={} gives {}, the engine {}",
            self.sheet, self.cell, self.formula, self.recalculated, self.engine
        )
    }
}

/// The audit workbook of a run, as bytes.
///
/// # Errors
/// A workbook that cannot be written.
pub fn audit_workbook(input: &Input, draft: &Draft) -> Result<Option<Vec<u8>>, String> {
    let book = build(input, draft);
    fits(&book, SHEET_ROWS)?;
    write_owned(book).map(Some)
}

/// The rows of a pool sheet besides its parts table (and the instalment block's copy of it)
/// and the rows of its rounds ([`ROUNDS_TABLE_ROWS`]): the heading, the parameters, the
/// totals, the limbs table; at most 48.
const POOL_SHEET_ROWS: usize = 48;

/// The rows a cap with redistribute adds besides one per round: the rounds table's heading
/// and the blank row above it, and the rows that push the limbs below it.
const ROUNDS_TABLE_ROWS: usize = 4;

/// `n` with a comma between thousands: `1,048,576`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// What to do when the audit workbook cannot be written: the other outputs.
const WAY_OUT: &str = "write the other outputs without it with --only json,csv,pdf,html,xlsx";

/// Refuses, before anything is computed, an agreement whose audit workbook could not be
/// written: a pool split among more parties than a sheet has rows. Its sheet cannot continue
/// on another (the remainder ranks and the totals are formulas over the whole parts table),
/// unlike the fee, transaction and invoice sheets, which do ([`build_within`]).
///
/// # Errors
/// The pool, where it is read, its parties, the rows its sheet would need and the limit.
pub fn check_size(input: &Input) -> Result<(), String> {
    check_size_within(input, SHEET_ROWS)
}

/// [`check_size`] with sheets of `limit` rows.
///
/// # Errors
/// As [`check_size`].
pub fn check_size_within(input: &Input, limit: u32) -> Result<(), String> {
    for pool in &input.pools {
        let parts = match pool.pool.participants() {
            billing_core::Participants::All => input.parties.len(),
            billing_core::Participants::Only(parties) => parties.len(),
        };
        // The users outside the agreement may be one more row; instalments repeat the parts.
        let copies = if pool.due.len() > 1 { 2 } else { 1 };
        // A cap with redistribute adds a table of its rounds: a row per round and the round
        // in which nobody goes over. Every round but that last caps at least one party, so
        // there are at most `parts` + 1 rows (an upper bound: the rounds are known only after
        // the split), plus the table's heading and the rows between it and the limbs.
        let redistribute = pool
            .pool
            .cap()
            .is_some_and(|c| c.excess == ExcessPolicy::Redistribute);
        let rounds = if redistribute {
            parts + 1 + ROUNDS_TABLE_ROWS
        } else {
            0
        };
        let rows = (parts + 1) * copies + rounds + POOL_SHEET_ROWS;
        if rows > limit as usize {
            return Err(format!(
                "{}: pool {} is split among {} parties: its sheet in audit.xlsx would need about {} rows, more than the {} a sheet holds, and a split cannot continue on another sheet (its ranks and totals are formulas over the whole table); {WAY_OUT}",
                pool.place,
                pool.pool.id(),
                thousands(parts),
                thousands(rows),
                thousands(limit as usize),
            ));
        }
    }
    Ok(())
}

/// Whether every sheet of `book` has at most `limit` rows: those that cannot continue on
/// another sheet (a pool split, whose ranks and totals are formulas over the whole parts table;
/// a fee review, whose costs are sums over their lines; one invoice longer than a sheet) may
/// not.
///
/// # Errors
/// The first sheet with more, its rows and the limit.
pub fn fits(book: &AuditBook, limit: u32) -> Result<(), String> {
    for sheet in &book.sheets {
        let rows = sheet
            .cells
            .iter()
            .map(|c| c.row as usize + 1)
            .max()
            .unwrap_or(0);
        if rows > limit as usize {
            return Err(format!(
                "the sheet `{}` would have {} rows, more than the {} a sheet holds, and it cannot continue on another sheet; {WAY_OUT}",
                sheet.name,
                thousands(rows),
                thousands(limit as usize),
            ));
        }
    }
    Ok(())
}

/// The words of `language`: the Swedish or the English text (R15: one language per document).
fn tr(language: Language, sv: &'static str, en: &'static str) -> &'static str {
    match language {
        Language::Sv => sv,
        Language::En => en,
    }
}

/// The sheets' names in the workbook's language.
mod names {
    use super::{tr, Language};

    pub(super) fn about(l: Language) -> &'static str {
        tr(l, "Om arbetsboken", "About")
    }
    pub(super) fn pool(l: Language, n: usize) -> String {
        format!("{} {n}", tr(l, "Kostnadspost", "Pool"))
    }
    pub(super) fn fees(l: Language) -> &'static str {
        tr(l, "Användaravgifter", "Fees")
    }
    pub(super) fn transactions(l: Language) -> &'static str {
        tr(l, "Transaktioner", "Transactions")
    }
    pub(super) fn fee_review(l: Language) -> &'static str {
        tr(l, "Avgiftsprövning", "Fee review")
    }
    pub(super) fn invoices(l: Language) -> &'static str {
        tr(l, "Fakturor", "Invoices")
    }
}

/// A party as the sheets show it: its id and, beside it, its name from the Parties sheet.
fn party_name(input: &Input, party: &PartyId) -> String {
    input
        .parties
        .get(party)
        .map_or_else(String::new, |p| p.name.clone())
}

/// The figure a key reads, in `lang`: population, users, a share; a weight's figure as named.
fn figure_words(figure: &str, lang: Language) -> String {
    match (figure, lang) {
        ("population", Language::Sv) => "folkmängd".to_owned(),
        ("users", Language::Sv) => "användare".to_owned(),
        ("fixed amount", Language::Sv) => "fast belopp".to_owned(),
        ("share", Language::Sv) => "andel".to_owned(),
        (other, _) => other.to_owned(),
    }
}

/// Builds the audit workbook of a run: an about sheet, one sheet per pool split, the user fees
/// and the invoices, in the agreement's language.
pub fn build(input: &Input, draft: &Draft) -> AuditBook {
    build_within(input, draft, SHEET_ROWS)
}

/// [`build`] with sheets of at most `limit` rows: the fee, transaction and invoice sheets
/// continue on further sheets (`Användaravgifter (2)`, …) when they have more, each beginning
/// with the same headings, frozen, every reference to a cell naming the sheet it is on. The
/// other sheets cannot be continued: [`fits`] says when one has more rows.
pub fn build_within(input: &Input, draft: &Draft, limit: u32) -> AuditBook {
    let mut sheets = Vec::new();
    let mut pool_refs = BTreeMap::new();
    let mut pool_sheets = Vec::new();
    for (i, a) in draft.allocations.iter().enumerate() {
        let (sheet, refs) = pool_sheet(input, i + 1, a);
        pool_refs.insert(a.pool.to_string(), refs);
        pool_sheets.push(sheet);
    }
    let (fee_sheets, fee_refs) = fee_sheet(input, draft, limit);
    let (tx_sheets, tx_refs) = transactions_sheet(input, draft, limit);
    let invoice_sheets = invoice_sheet(input, draft, &pool_refs, &fee_refs, &tx_refs, limit);
    let parts = Parts {
        fees: fee_sheets.len(),
        invoices: invoice_sheets.len(),
        transactions: tx_sheets.len(),
    };
    sheets.push(about_sheet(input, draft, &pool_sheets, &parts));
    sheets.extend(pool_sheets);
    sheets.extend(fee_sheets);
    sheets.extend(tx_sheets);
    sheets.extend(fee_review_sheet(input, draft));
    sheets.extend(invoice_sheets);
    for sheet in &mut sheets {
        fit_widths(sheet);
    }
    AuditBook {
        sheets,
        title: tr(
            input.settings.language,
            "Granskningsunderlag",
            "Audit workbook",
        )
        .to_owned(),
    }
}

/// Writes the book as xlsx.
///
/// # Errors
/// A sheet name, cell, column width or formula the writer refuses (`output/sheet.rs`).
pub fn write(book: &AuditBook) -> Result<Vec<u8>, String> {
    write_sheets(&book.title, book.sheets.iter().cloned(), ZIP_LEVEL)
}

/// [`write`], taking the book: the texts move into the workbook rather than being copied, and
/// each sheet is dropped once written, so that the book and the workbook are not held whole
/// together (issue 12: at 100,000 parties they were gigabytes each). The same bytes.
///
/// # Errors
/// As [`write`].
pub fn write_owned(book: AuditBook) -> Result<Vec<u8>, String> {
    write_deflated(book, ZIP_LEVEL)
}

/// [`write_owned`] at zip level `level` (at most 9): the golden audit workbooks were written
/// at the zip crate's default level 6, a run writes at 1 (`tests/cases.rs`).
///
/// # Errors
/// As [`write`].
#[doc(hidden)]
pub fn write_deflated(book: AuditBook, level: u8) -> Result<Vec<u8>, String> {
    let AuditBook { sheets, title } = book;
    write_sheets(&title, sheets.into_iter(), level.min(9))
}

/// The format of `style`, on the fill of an input cell when `input`.
fn style_look(style: Style, input: bool) -> Look {
    let plain = Look::default();
    let look = match style {
        Style::Plain => plain,
        Style::Title => Look {
            bold: true,
            size: Some(14),
            ..plain
        },
        Style::Header => Look {
            bold: true,
            underline_border: true,
            wrap: true,
            ..plain
        },
        Style::Note => Look {
            italic: true,
            ..plain
        },
        Style::Money => Look {
            num_format: Some("#,##0.00"),
            right: true,
            ..plain
        },
        Style::Integer => Look {
            num_format: Some("0"),
            ..plain
        },
        Style::Fraction => Look {
            num_format: Some("0.0000000000"),
            ..plain
        },
        Style::Price => Look {
            num_format: Some("0.0000"),
            ..plain
        },
        Style::Date => Look {
            num_format: Some("yyyy-mm-dd"),
            ..plain
        },
    };
    if input {
        Look {
            fill: Some(0xFF_F2_CC),
            ..look
        }
    } else {
        look
    }
}

/// The writer's format of `style`, on the fill of an input cell when `input`.
fn format(style: Style, input: bool) -> Option<sheet::Style> {
    Some(sheet::Style::Look(style_look(style, input)))
}

/// The rows of a sheet written out at a time: the cells above are complete (written in row
/// order), their XML is made and their cells dropped.
const ROWS_AT_A_TIME: u32 = 4096;

/// The workbook of `sheets` at zip level `level`, written by the project's streaming writer
/// (`output/sheet.rs`, issue 12: rust_xlsxwriter kept every cell of the workbook, over a
/// gigabyte at 100,000 parties, and hashed each cell's format): each sheet's cells are moved
/// into it in row order, its rows written out as they come, and the sheet dropped. The bytes
/// are those rust_xlsxwriter wrote for the same calls (`tests/audit_pinned.rs`).
fn write_sheets(
    title: &str,
    sheets: impl Iterator<Item = Sheet>,
    level: u8,
) -> Result<Vec<u8>, String> {
    // The writer's errors as text (they name the sheet and the cell).
    let e = |e: sheet::Error| e.to_string();
    // Fixed metadata: without a creation time the writer takes the clock, and the same input
    // would give different bytes.
    let created = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
    let mut book = Streamed::new(title, created, level);
    for mut sheet in sheets {
        // Printed legibly: A4 landscape, one page wide, the column headings on every page.
        let index = book.add_sheet(&sheet.name, Page::Landscape).map_err(e)?;
        let ws = book.sheet(index).map_err(e)?;
        for &(col, width) in &sheet.widths {
            let width = whole_width(width).ok_or_else(|| {
                format!(
                    "{}: kolumn {}: bredden {width} är inget helt antal tecken",
                    sheet.name,
                    u32::from(col) + 1
                )
            })?;
            ws.set_column_width(col, width).map_err(e)?;
        }
        if let Some(row) = sheet.freeze {
            ws.set_freeze_rows(row).map_err(e)?;
        }
        if let Some(row) = sheet.print_header {
            ws.set_repeat_row(row).map_err(e)?;
        }
        // A row of wrapped headings as high as its tallest heading: spreadsheet programs keep
        // the stored height when they open a file, and a wrapped text would be cut.
        let width = |col: u16| {
            sheet
                .widths
                .iter()
                .find(|(c, _)| *c == col)
                .map_or(8.43, |(_, w)| *w)
        };
        let mut lines: BTreeMap<u32, usize> = BTreeMap::new();
        for c in &sheet.cells {
            if let (Content::Text(t), Style::Header) = (&c.content, c.style) {
                let n = wrapped_lines(t, width(c.col));
                let entry = lines.entry(c.row).or_default();
                *entry = (*entry).max(n);
            }
        }
        for (row, n) in lines {
            if n > 1 {
                // As rust_xlsxwriter took `(15 * n) as f64`: a height beyond u32 saturates.
                let points = u32::try_from(15 * n).unwrap_or(u32::MAX);
                ws.set_row_height(row, points).map_err(e)?;
            }
        }
        // The formats numbered in the order of their first use in the book, as rust_xlsxwriter
        // numbered them, though the cells are written block by block.
        let mut used: Vec<(Style, bool)> = Vec::new();
        for c in &sheet.cells {
            let key = (c.style, matches!(c.content, Content::Input(_)));
            if !used.contains(&key) {
                used.push(key);
                let ws = book.sheet(index).map_err(e)?;
                if let Some(style) = format(key.0, key.1) {
                    ws.use_style(style);
                }
            }
        }
        // The cells by blocks of rows, each cell moved once and kept in the order written
        // (the last write to a cell wins), rather than all sorted: the writer puts the rows
        // it writes out in order.
        let mut blocks: Vec<Vec<Cell>> = Vec::new();
        for c in std::mem::take(&mut sheet.cells) {
            let block = (c.row / ROWS_AT_A_TIME) as usize;
            if blocks.len() <= block {
                blocks.resize_with(block + 1, Vec::new);
            }
            if let Some(b) = blocks.get_mut(block) {
                b.push(c);
            }
        }
        for (k, block) in blocks.into_iter().enumerate() {
            if k > 0 {
                let below = u32::try_from(k).map_or(u32::MAX, |k| k * ROWS_AT_A_TIME);
                book.flush(index, below).map_err(e)?;
            }
            write_block(book.sheet(index).map_err(e)?, block).map_err(e)?;
        }
        book.flush(index + 1, 0).map_err(e)?;
    }
    book.save().map_err(e)
}

/// Writes `cells` into `ws`.
fn write_block(ws: &mut sheet::Sheet, cells: Vec<Cell>) -> Result<(), sheet::Error> {
    for c in cells {
        match c.content {
            Content::Text(t) => ws.write_string(c.row, c.col, t, format(c.style, false)),
            Content::Input(x) => ws.write_number(c.row, c.col, x, format(c.style, true)),
            Content::Formula { formula, cached } => {
                let result = match cached {
                    Cached::Number(x) => number_text(x),
                    Cached::Text(t) => t,
                };
                ws.write_formula(c.row, c.col, &formula, result, format(c.style, false))
            }
        }?;
    }
    Ok(())
}

/// A column width in whole characters, as the writer takes it (every width here is whole, at
/// least 8); the writer caps a width above Excel's 255 at 255, as rust_xlsxwriter did (a
/// heading of one long word, such as a transaction kind, asks for more).
fn whole_width(width: f64) -> Option<u16> {
    (width.fract() == 0.0 && width >= 1.0).then(|| width.min(f64::from(u16::MAX)) as u16)
}

/// The widest a column grows to fit a text (a longer text wraps or runs into empty cells).
const MAX_TEXT_WIDTH: usize = 60;

/// The characters a number takes as its cell format shows it: `1,234,567.00` for money,
/// `0.1234567890` for a fraction; a spreadsheet shows `###` in a column narrower than that.
fn shown_width(x: f64, style: Style) -> usize {
    let whole = whole_digits(x);
    let sign = usize::from(x < 0.0);
    sign + match style {
        Style::Money => whole + (whole - 1) / 3 + 3,
        Style::Fraction => whole + 11,
        Style::Price => whole + 5,
        Style::Date => 10,
        Style::Integer => whole,
        _ => number_text(x).len().min(11),
    }
}

/// The lines `text` takes wrapped at word boundaries in a column `width` characters wide (a
/// character of padding on each side), as a spreadsheet wraps it; at least one.
pub fn wrapped_lines(text: &str, width: f64) -> usize {
    // In whole characters: the column's width less a character of padding.
    let room = (width as usize).saturating_sub(1).max(1);
    let mut lines = 1;
    let mut used = 0;
    for word in text.split_whitespace() {
        let w = word.chars().count();
        if used > 0 && used + 1 + w > room {
            lines += 1;
            used = w;
        } else if used > 0 {
            used += 1 + w;
        } else {
            used = w;
        }
    }
    lines
}

/// The width a heading needs wrapped on at most three lines, never narrower than its longest
/// word.
fn heading_width(text: &str) -> usize {
    let chars = text.chars().count();
    let longest = text
        .split_whitespace()
        .map(|w| w.chars().count())
        .max()
        .unwrap_or(0);
    longest.max(chars.div_ceil(3))
}

/// Widens the columns of `sheet` so that every number shows in full (never `###`), every
/// heading fits on up to three lines and every text that has a filled cell to its right shows
/// in full (up to [`MAX_TEXT_WIDTH`]); a text with an empty cell to its right runs into it.
fn fit_widths(sheet: &mut Sheet) {
    // The filled cells as sorted keys, searched: not a tree set of every cell (tens of
    // millions at 100,000 parties, each a node allocated).
    let key = |row: u32, col: u32| (u64::from(row) << 32) | u64::from(col);
    let mut filled: Vec<u64> = sheet
        .cells
        .iter()
        .map(|c| key(c.row, u32::from(c.col)))
        .collect();
    filled.sort_unstable();
    let mut need: BTreeMap<u16, usize> = BTreeMap::new();
    for c in &sheet.cells {
        let chars = |t: &str| t.chars().count();
        let runs_on = filled
            .binary_search(&key(c.row, u32::from(c.col) + 1))
            .is_err();
        let width = match (&c.content, c.style) {
            (Content::Text(t), Style::Header) => heading_width(t) + 2,
            (Content::Text(_), Style::Title) => 0,
            (Content::Text(_), _) if runs_on => 0,
            (Content::Text(t), _) => chars(t).min(MAX_TEXT_WIDTH) + 1,
            (Content::Input(x), style) => shown_width(*x, style) + 2,
            (
                Content::Formula {
                    cached: Cached::Number(x),
                    ..
                },
                style,
            ) => shown_width(*x, style) + 2,
            (
                Content::Formula {
                    cached: Cached::Text(t),
                    ..
                },
                _,
            ) => chars(t).min(MAX_TEXT_WIDTH) + 2,
        };
        let entry = need.entry(c.col).or_default();
        *entry = (*entry).max(width);
    }
    for (col, width) in need {
        let width = width.max(8) as f64;
        match sheet.widths.iter_mut().find(|(c, _)| *c == col) {
            Some((_, w)) => *w = w.max(width),
            None => sheet.widths.push((col, width)),
        }
    }
    sheet.widths.sort_by_key(|(c, _)| *c);
}

/// Compares every formula of `book` with the values of the same cells in `recalculated`, a copy
/// of the workbook that a spreadsheet program has recalculated and saved as xlsx. Numbers are
/// equal when they differ by less than a millionth (or 10^-13 of their size): every figure on
/// öre lands exactly, so any öre off is a difference.
///
/// # Errors
/// A file that cannot be read or a sheet that is missing.
pub fn recalculation_differences(
    book: &AuditBook,
    recalculated: &Path,
) -> Result<Vec<Difference>, String> {
    use calamine::{open_workbook_auto, Data, Reader};
    let mut wb =
        open_workbook_auto(recalculated).map_err(|e| format!("{}: {e}", recalculated.display()))?;
    let mut out = Vec::new();
    for sheet in &book.sheets {
        let range = wb
            .worksheet_range(&sheet.name)
            .map_err(|e| format!("{}: sheet {}: {e}", recalculated.display(), sheet.name))?;
        for c in &sheet.cells {
            let Content::Formula { formula, cached } = &c.content else {
                continue;
            };
            let got = range.get_value((c.row, u32::from(c.col)));
            let same = match (cached, got) {
                (Cached::Number(x), Some(Data::DateTime(d))) => close(*x, d.as_f64()),
                (Cached::Number(x), Some(Data::Float(y))) => close(*x, *y),
                (Cached::Number(x), Some(Data::Int(y))) => close(*x, *y as f64),
                // A text or a boolean where a number is expected is a difference, even when it
                // reads as the same number.
                (Cached::Number(_), _) => false,
                (Cached::Text(t), Some(Data::String(s))) => t == s,
                (Cached::Text(t), None) => t.is_empty(),
                _ => false,
            };
            if !same {
                out.push(Difference {
                    sheet: sheet.name.clone(),
                    cell: a1(c.row, c.col),
                    formula: formula.clone(),
                    engine: match cached {
                        Cached::Number(x) => number_text(*x),
                        Cached::Text(t) => t.clone(),
                    },
                    recalculated: got.map(|d| d.to_string()).unwrap_or_default(),
                });
            }
        }
    }
    Ok(out)
}

// Spreadsheet values are doubles at the edge of the program: comparing them needs a tolerance.
#[allow(clippy::float_arithmetic)]
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6_f64.max(a.abs() * 1e-13)
}

/// A number as the text of a cached result: the shortest text that reads back as the same
/// double.
fn number_text(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        // A whole number below 10^15 is an exact i64, printed as `{x:.0}` prints it (which
        // takes the slow exact path of float formatting, bignum arithmetic, for each cell).
        if x == 0.0 && x.is_sign_negative() {
            "-0".to_owned()
        } else {
            (x as i64).to_string()
        }
    } else {
        format!("{x}")
    }
}

/// The digits of the whole part of |x|, as `format!("{:.0}", x.abs().trunc())` has them.
fn whole_digits(x: f64) -> usize {
    let whole = x.abs().trunc();
    if whole < 1e15 {
        // Exact as an integer (NaN fails the test above and is formatted below).
        let mut n = whole as u64;
        let mut digits = 1;
        while n >= 10 {
            n /= 10;
            digits += 1;
        }
        digits
    } else {
        format!("{whole:.0}").len()
    }
}

// ---------------------------------------------------------------------------------------------
// Cell addresses and the sheet builder.

/// `A`, `B`, …, `Z`, `AA`, … for a 0-based column.
fn col_name(col: u16) -> String {
    let mut s = String::with_capacity(3);
    push_col(&mut s, col);
    s
}

/// Appends the letters of a 0-based column to `out`.
fn push_col(out: &mut String, col: u16) {
    // At most four letters: 26^4 > 65,536.
    let mut letters = [0u8; 4];
    let mut n = u32::from(col) + 1;
    let mut len = 0;
    while n > 0 && len < letters.len() {
        letters[len] = b'A' + ((n - 1) % 26) as u8;
        n = (n - 1) / 26;
        len += 1;
    }
    for &b in letters[..len].iter().rev() {
        out.push(char::from(b));
    }
}

/// `B7` for row 6, column 1.
fn a1(row: u32, col: u16) -> String {
    let mut s = String::with_capacity(12);
    push_col(&mut s, col);
    let _ = write!(s, "{}", row + 1);
    s
}

/// `$B$7`.
fn abs(row: u32, col: u16) -> String {
    let mut s = String::with_capacity(14);
    s.push('$');
    push_col(&mut s, col);
    let _ = write!(s, "${}", row + 1);
    s
}

/// `B$7:B$9`: a column's rows, fixed rows.
fn column_range(col: u16, first: u32, last: u32) -> String {
    let c = col_name(col);
    format!("{c}${}:{c}${}", first + 1, last + 1)
}

/// `'Pool 1'!$B$7`.
fn external(sheet: &str, cell: &str) -> String {
    format!("'{}'!{cell}", sheet.replace('\'', "''"))
}

/// Days since 1899-12-30: a spreadsheet date.
fn serial(d: NaiveDate) -> f64 {
    let base = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    (d - base).num_days() as f64
}

fn kr(m: Money) -> f64 {
    m.to_string().parse().unwrap_or(f64::NAN)
}

fn dec(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

fn int(x: i128) -> f64 {
    x as f64
}

/// Above this, an integer is no longer exact in a double.
const EXACT_LIMIT: i128 = 1 << 53;

impl Sheet {
    fn new(name: &str) -> Sheet {
        Sheet {
            name: name.to_owned(),
            cells: Vec::new(),
            widths: Vec::new(),
            print_header: None,
            freeze: None,
        }
    }

    fn put(&mut self, row: u32, col: u16, content: Content, style: Style) {
        self.cells.push(Cell {
            row,
            col,
            content,
            style,
        });
    }

    fn text(&mut self, row: u32, col: u16, text: impl Into<String>, style: Style) {
        self.put(row, col, Content::Text(text.into()), style);
    }

    fn input(&mut self, row: u32, col: u16, value: f64, style: Style) {
        self.put(row, col, Content::Input(value), style);
    }

    fn formula(&mut self, row: u32, col: u16, formula: String, cached: f64, style: Style) {
        self.put(
            row,
            col,
            Content::Formula {
                formula,
                cached: Cached::Number(cached),
            },
            style,
        );
    }

    fn formula_text(&mut self, row: u32, col: u16, formula: String, cached: &str) {
        self.put(
            row,
            col,
            Content::Formula {
                formula,
                cached: Cached::Text(cached.to_owned()),
            },
            Style::Plain,
        );
    }

    fn headers(&mut self, row: u32, heads: &[&str]) {
        for (c, h) in heads.iter().enumerate() {
            self.text(row, c as u16, *h, Style::Header);
        }
    }

    /// A title and a text saying what the sheet computes.
    fn heading(&mut self, title: &str, about: &[&str]) -> u32 {
        self.text(0, 0, title, Style::Title);
        for (i, line) in about.iter().enumerate() {
            self.text(1 + i as u32, 0, *line, Style::Note);
        }
        2 + about.len() as u32 + 1
    }
}

/// A column of parameters: label in A, value in B, note in C. Each call takes the next row and
/// returns the value's absolute address.
struct Params {
    row: u32,
}

impl Params {
    fn input(
        &mut self,
        s: &mut Sheet,
        label: &str,
        value: f64,
        style: Style,
        note: &str,
    ) -> String {
        let r = self.row;
        self.row += 1;
        s.text(r, 0, label, Style::Plain);
        s.input(r, 1, value, style);
        if !note.is_empty() {
            s.text(r, 2, note, Style::Note);
        }
        abs(r, 1)
    }

    fn formula(
        &mut self,
        s: &mut Sheet,
        label: &str,
        formula: String,
        cached: f64,
        style: Style,
        note: &str,
    ) -> String {
        let r = self.row;
        self.row += 1;
        s.text(r, 0, label, Style::Plain);
        s.formula(r, 1, formula, cached, style);
        if !note.is_empty() {
            s.text(r, 2, note, Style::Note);
        }
        abs(r, 1)
    }
}

fn source_note(lang: Language, source: Option<&billing_core::SourceRef>) -> String {
    source
        .map(|s| format!("{} {s}", tr(lang, "från", "from")))
        .unwrap_or_else(|| tr(lang, "indata", "input").to_owned())
}

/// `ROUND(P/W,0)` as Excel and LibreOffice compute it on non-negative integers: half up.
fn round_div(p: i128, w: i128) -> i128 {
    if w == 0 {
        0
    } else {
        (2 * p + w).div_euclid(2 * w)
    }
}

// ---------------------------------------------------------------------------------------------
// The about sheet.

/// How many sheets the tables that may continue on further sheets take.
struct Parts {
    fees: usize,
    invoices: usize,
    transactions: usize,
}

/// The sheets `name` continues on, `parts` in all, each with what it holds.
fn continued(name: &str, parts: usize, l: Language) -> impl Iterator<Item = (String, String)> + '_ {
    (1..parts).map(move |k| {
        (
            part_name(name, k),
            match l {
                Language::Sv => format!("fortsättning på bladet {name}"),
                Language::En => format!("continued from the sheet {name}"),
            },
        )
    })
}

fn about_sheet(input: &Input, draft: &Draft, pools: &[Sheet], parts: &Parts) -> Sheet {
    let l = input.settings.language;
    let t = |sv, en| tr(l, sv, en);
    let mut s = Sheet::new(names::about(l));
    s.widths = vec![(0, 28.0), (1, 90.0)];
    let mut r = s.heading(
        &match l {
            Language::Sv => format!(
                "Granskningsunderlag: {}, fakturor med fakturadatum {}",
                input.settings.name, draft.date
            ),
            Language::En => format!(
                "Audit workbook: {}, invoices due {}",
                input.settings.name, draft.date
            ),
        },
        &[
            t("Varje beräknat tal i arbetsboken är en formel över indata; de sparade resultaten är programmets.", "Every computed figure in this workbook is a formula over the inputs; the stored results are the engine's."),
            t("Räkna om (LibreOffice: Data > Beräkna > Ovillkorlig omräkning; Excel: Ctrl+Alt+F9): varje tal ska bli detsamma, på öret.", "Recalculate (LibreOffice: Data > Calculate > Recalculate Hard; Excel: Ctrl+Alt+F9) and every figure must stay the same, to the öre."),
            t("Gula celler är indata kopierade från avtalsarbetsboken; anteckningen bredvid säger vilken cell de lästes från.", "Yellow cells are inputs copied from the agreement workbook; the note beside each says which cell it was read from."),
            t("Beloppssteg räknas i hela ören (heltal) så att kalkylbladets aritmetik blir exakt; kronkolumner är öre / 100.", "Money steps are computed in whole öre (integers), so that spreadsheet arithmetic is exact; kronor columns are öre / 100."),
        ],
    );
    s.text(r, 0, t("Blad", "Sheet"), Style::Header);
    s.text(
        r,
        1,
        t("Vad det beräknar", "What it computes"),
        Style::Header,
    );
    s.print_header = Some(r);
    r += 1;
    let pool_what = t("fördelning av en kostnadspost: andelar, avkortning till öre, rang efter rest, de ören de får, tak och överskjutande belopp", "a pool split: shares, truncation to öre, remainder ranks, the öre they earn, caps and excess");
    let own = |(sheet, what): (&str, &str)| (sheet.to_owned(), what.to_owned());
    let mut listed: Vec<(String, String)> = pools
        .iter()
        .map(|p| own((p.name.as_str(), pool_what)))
        .collect();
    listed.push(own((names::fees(l), t("användaravgifter: årsavgiften, medlemsdagar som datumräkning, faktorer, förskott och korrigeringar (faktiskt − fakturerat)", "user fees: the annual fee, member days as date arithmetic, multipliers, advances and corrections (actual − billed)"))));
    listed.extend(continued(names::fees(l), parts.fees, l));
    listed.push(own((names::invoices(l), t("fakturarader (från bladen för kostnadsposter, avgifter och transaktioner), moms per rad, summor per momssats, öresavrundning och att betala", "invoice lines (from the pool, fee and transactions sheets), VAT per line, totals per VAT rate, rounding and the payable total"))));
    listed.extend(continued(names::invoices(l), parts.invoices, l));
    if !draft.transaction_lines.is_empty() {
        listed.push(own((names::transactions(l), t("transaktionsrader: antal × à-pris i tiotusendels kronor (heltal), avrundat till öre", "transaction lines: count × unit price in ten-thousandths of a krona (integers), rounded to öre"))));
        listed.extend(continued(names::transactions(l), parts.transactions, l));
    }
    if !draft.fee_reviews.is_empty() {
        listed.push(own((names::fee_review(l), t("per samverkan och år: debiterade avgifter, de täckta kostnaderna som antal × pris, summa, saldo, utfall och den avgift som hade täckt kostnaderna", "per cooperation and year: fees charged, the covered costs as counts × prices, total, balance, outcome and the covering fee"))));
    }
    for (sheet, what) in listed {
        s.text(r, 0, sheet, Style::Plain);
        s.text(r, 1, what, Style::Plain);
        r += 1;
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Pool sheets.

/// Where a pool sheet holds each party's amount and the absorbed excess.
/// The instalment block of a pool sheet: each party's amount for the whole pool spread in equal
/// instalments to the öre, the odd öre to the earliest; the invoice refers to this instalment.
fn instalment_block(
    input: &Input,
    s: &mut Sheet,
    sheet: &str,
    billed: &Allocation,
    inst: &billing_core::Instalment,
    refs: &mut PoolRefs,
) {
    let l = input.settings.language;
    let t = |sv, en| tr(l, sv, en);
    let top = s.cells.iter().map(|c| c.row).max().unwrap_or(0) + 2;
    s.text(
        top,
        0,
        match l {
            Language::Sv => format!("Delbetalning {} av {}", inst.number, inst.of),
            Language::En => format!("Instalment {} of {}", inst.number, inst.of),
        },
        Style::Header,
    );
    s.text(
        top + 1,
        0,
        t("Varje belopp för hela kostnadsposten i öre W: INT(|W|/n), plus ett öre i de första MOD(|W|,n) delbetalningarna; med W:s tecken.", "Each amount for the whole pool in öre W: INT(|W|/n), plus one öre in the first MOD(|W|,n) instalments; signed like W."),
        Style::Note,
    );
    s.headers(
        top + 2,
        &[
            t("Part", "Party"),
            t("Namn", "Name"),
            t("Hela posten (kr)", "Whole pool (kr)"),
            t("Delbetalningar n", "Instalments n"),
            t("Denna delbetalning k", "This instalment k"),
            t("Denna delbetalning (kr)", "This instalment (kr)"),
        ],
    );
    let mut row = top + 3;
    let mut lines: Vec<(PartyId, String, Money, bool)> = Vec::new();
    for part in &billed.parts {
        if let Some(cell) = refs.amount.get(&part.party) {
            lines.push((part.party.clone(), cell.clone(), part.amount, false));
        }
    }
    if let (Some((party, amount)), Some((_, cell))) = (&billed.absorbed, &refs.absorbed) {
        lines.push((party.clone(), cell.clone(), *amount, true));
    }
    for (party, whole_ref, amount, absorbed) in lines {
        s.text(
            row,
            0,
            if absorbed {
                format!("{party} ({})", t("bär överskjutande belopp", "absorbed"))
            } else {
                party.to_string()
            },
            Style::Plain,
        );
        s.text(row, 1, party_name(input, &party), Style::Plain);
        let whole_value = if absorbed {
            inst.whole_absorbed.unwrap_or_default()
        } else {
            billed.whole_part(&party).unwrap_or_default()
        };
        s.formula(row, 2, whole_ref.clone(), kr(whole_value), Style::Money);
        s.input(row, 3, inst.of as f64, Style::Integer);
        s.input(row, 4, inst.number as f64, Style::Integer);
        let w = format!("ROUND(ABS({})*100,0)", abs(row, 2));
        s.formula(
            row,
            5,
            format!(
                "IF({b}<0,-1,1)*(INT({w}/{n})+IF({k}<=MOD({w},{n}),1,0))/100",
                b = abs(row, 2),
                n = abs(row, 3),
                k = abs(row, 4),
            ),
            kr(amount),
            Style::Money,
        );
        let cell = external(sheet, &abs(row, 5));
        if absorbed {
            refs.absorbed = Some((party, cell));
        } else {
            refs.amount.insert(party, cell);
        }
        row += 1;
    }
}

struct PoolRefs {
    sheet: String,
    amount: BTreeMap<PartyId, String>,
    absorbed: Option<(PartyId, String)>,
}

/// One row of a parts table: a party, or the users outside the agreement (R3), with the
/// engine's figures.
struct Row {
    label: String,
    party: Option<PartyId>,
    basis: Decimal,
    source: String,
    exact: f64,
    final_share: f64,
    truncated: f64,
    rounded: f64,
    amount: f64,
    excess_clip: f64,
    excess_exact: f64,
    extra: bool,
    capped_in_round: Option<u32>,
    rank: usize,
}

fn rows_of(a: &Allocation, redistribute: bool, lang: Language) -> Vec<Row> {
    a.parts
        .iter()
        .map(|p| Row {
            label: p.party.to_string(),
            party: Some(p.party.clone()),
            basis: p.basis,
            source: p
                .basis_source
                .as_ref()
                .map(|x| format!("{} {x}", tr(lang, "från", "from")))
                .unwrap_or_else(|| tr(lang, "enligt nyckeln", "by key").to_owned()),
            exact: dec(p.exact_share.kronor()),
            final_share: dec(p.final_share.kronor()),
            truncated: kr(p.truncated),
            rounded: kr(p.rounded),
            amount: kr(p.amount),
            excess_clip: if redistribute {
                0.0
            } else {
                kr(p.rounded - p.amount)
            },
            excess_exact: dec(p.excess.kronor()),
            extra: p.extra_ore,
            capped_in_round: p.capped_in_round,
            rank: a.remainder_rank(p).unwrap_or(0),
        })
        .collect()
}

// Columns of the parts table.
const C_PARTY: u16 = 0;
const C_NAME: u16 = 1;
const C_BASIS: u16 = 2;
const C_SOURCE: u16 = 3;
const C_WEIGHT: u16 = 4;
const C_EXACT: u16 = 5;
const C_FLAGS: u16 = 6;

#[allow(clippy::too_many_lines)]
fn pool_sheet(input: &Input, n: usize, billed: &Allocation) -> (Sheet, PoolRefs) {
    let l = input.settings.language;
    let t = |sv, en| tr(l, sv, en);
    // An instalment is computed from the whole pool's split, then spread: the sheet shows both.
    let whole = billed.whole();
    let a = &whole;
    let name = names::pool(l, n);
    let mut s = Sheet::new(&name);
    let redistribute = matches!(&a.cap, Some(c) if c.excess == ExcessPolicy::Redistribute);
    let clipped = a.cap.is_some() && !redistribute;
    let mut about = vec![
        t("Fördelar kostnadsposten med största-rest-metoden: varje parts exakta andel |A|·w/W avkortas till öre,", "Splits the pool by the largest-remainder method: each party's exact share |A|·w/W is truncated to öre,"),
        t("och de ören som blir över går ett var till de största resterna (lika rest: den part vars id sorteras först, dvs. raden ovanför).", "and the öre left over go one each to the largest remainders (ties: the party whose id sorts first, i.e. the row above)."),
    ];
    if a.outside.is_some() {
        about.push(t("Användarnyckel med totalt antal: parterna betalar tillsammans |A|·(deras användare)/(alla användare), först fördelat på öret mellan parterna och dem utanför.", "Users key with a total: the parties together pay |A|·(their users)/(all users), split to öre between parties and outside first."));
    }
    if redistribute {
        about.push(t("Tak med omfördelning: i varje omgång går en part som ännu inte nått taket över när R·w > tak·W (R öre kvar, W vikt kvar);", "Cap with redistribute: in each round, a party not yet capped goes over when R·w > cap·W (R öre left, W weight left);"));
        about.push(t("den betalar taket och lämnar omgången; resten fördelas på de övriga. Omgångarna upprepas tills ingen går över.", "it pays the cap and leaves the round; the rest is split among the others. Rounds repeat until nobody goes over."));
    } else if clipped {
        about.push(t("Tak: en part vars avrundade andel är över taket betalar taket; det överskjutande beloppet går dit kostnadspostens regel säger.", "Cap: a party whose rounded share is above the cap pays the cap; the excess goes where the pool's policy says."));
    }
    let mut r = s.heading(
        &format!("{} {}: {}", t("Kostnadspost", "Pool"), a.pool, a.name),
        &about,
    );
    s.widths = vec![
        (0, 30.0),
        (1, 22.0),
        (2, 18.0),
        (3, 16.0),
        (4, 16.0),
        (5, 18.0),
    ];

    let sign: i128 = if a.amount.is_negative() { -1 } else { 1 };
    let amount_abs = a.amount.ore().abs();
    let mut p = Params { row: r };
    let amt = p.input(
        &mut s,
        t("Kostnadspostens belopp A (kr)", "Amount of the pool A (kr)"),
        kr(a.amount),
        Style::Money,
        &source_note(l, a.source.as_ref()),
    );
    let sgn = p.formula(
        &mut s,
        t("Tecken för A (−1: en kredit)", "Sign of A (−1: a credit)"),
        format!("IF({amt}<0,-1,1)"),
        int(sign),
        Style::Integer,
        t(
            "en kredit fördelas som sitt absoluta värde och får sedan tecknet",
            "a credit is split as its absolute value, then signed",
        ),
    );
    let aore = p.formula(
        &mut s,
        t("|A| i öre", "|A| in öre"),
        format!("ABS(ROUND({amt}*100,0))"),
        int(amount_abs),
        Style::Integer,
        "",
    );
    // The scale that makes every basis a whole number (the engine's integer weights).
    let scale = a
        .parts
        .iter()
        .map(|p| p.basis.normalize().scale())
        .max()
        .unwrap_or(0);
    let unit = 10i128.pow(scale);
    let scale_ref = p.input(
        &mut s,
        t("Viktskala 10^d", "Weight scale 10^d"),
        int(unit),
        Style::Integer,
        t(
            "gör varje underlag till ett heltal: d = flest decimaler i ett underlag",
            "makes every basis a whole number: d = the most decimals of a basis",
        ),
    );
    let cap_ore_value = a.cap.as_ref().map(|c| c.limit.ore()).unwrap_or(0);
    let cap_ore = if let Some(cap) = &a.cap {
        let note = match (&cap.threshold, l) {
            (Some(th), Language::Sv) => format!(
                "lou: direktupphandlingsgränsen som gäller från {} (årets första dag)",
                th.in_force_from
            ),
            (Some(th), Language::En) => format!(
                "lou: the direct-award threshold in force from {} (first day of the year)",
                th.in_force_from
            ),
            (None, _) => t(
                "fast tak från bladet Kostnadsposter",
                "fixed cap from the Pools sheet",
            )
            .to_owned(),
        };
        let c = p.input(
            &mut s,
            t("Tak (kr)", "Cap (kr)"),
            kr(cap.limit),
            Style::Money,
            &note,
        );
        p.formula(
            &mut s,
            t("Tak i öre", "Cap in öre"),
            format!("ROUND({c}*100,0)"),
            int(cap_ore_value),
            Style::Integer,
            "",
        )
    } else {
        String::new()
    };
    if let Some(cap) = &a.cap {
        let r0 = p.row;
        p.row += 1;
        s.text(
            r0,
            0,
            t("Överskjutande belopp", "Excess policy"),
            Style::Plain,
        );
        let policy = match &cap.excess {
            ExcessPolicy::Absorb(p) => {
                format!(
                    "{} ({})",
                    excess_words(&cap.excess, l),
                    party_name(input, p)
                )
            }
            other => excess_words(other, l),
        };
        s.text(r0, 1, policy, Style::Plain);
    }
    let total_users = a.outside.as_ref().map(|o| {
        p.input(
            &mut s,
            t(
                "Användare i alla organisationer",
                "Users in all organisations",
            ),
            o.total_users.value as f64,
            Style::Integer,
            &source_note(l, o.total_users.source.as_ref()),
        )
    });
    r = p.row + 1;

    // The parts table, with rows known before it is written so that the totals below it can be
    // referred to.
    let parts = &a.parts;
    let scale = a
        .parts
        .iter()
        .map(|p| p.basis.normalize().scale())
        .max()
        .unwrap_or(0);
    let unit = 10i128.pow(scale);
    // Under a users key with a total, the users outside the agreement are one more claimant of
    // the one split, sorting after every party on a tie (R3): the last row.
    let outside_users = a
        .outside
        .as_ref()
        .filter(|o| !redistribute && o.total_users.value > o.parties_users)
        .map(|o| i128::from(o.total_users.value - o.parties_users));
    let mut rows = rows_of(a, redistribute, l);
    let mut weights: Vec<i128> = parts
        .iter()
        .map(|p| {
            (p.basis * Decimal::from_i128_with_scale(unit, 0))
                .round()
                .to_i128()
                .unwrap_or(0)
        })
        .collect();
    if let (Some(u), Some(o)) = (outside_users, &a.outside) {
        weights.push(u * unit);
        let w_all: i128 = weights.iter().sum();
        let pw = amount_abs * u * unit;
        let trunc = if w_all == 0 { 0 } else { pw / w_all };
        rows.push(Row {
            label: t(
                "(användare utanför avtalet)",
                "(users outside the agreement)",
            )
            .to_owned(),
            party: None,
            basis: Decimal::from_i128_with_scale(u, 0),
            source: t(
                "alla användare minus parternas användare",
                "all users less the parties' users",
            )
            .to_owned(),
            exact: dec(Decimal::from_i128_with_scale(sign * pw, 0)
                / Decimal::from_i128_with_scale(w_all.max(1), 0)
                / Decimal::ONE_HUNDRED),
            final_share: 0.0,
            truncated: kr(Money::from_ore(sign * trunc)),
            rounded: kr(o.amount),
            amount: kr(o.amount),
            excess_clip: 0.0,
            excess_exact: 0.0,
            extra: o.amount.ore().abs() > trunc,
            capped_in_round: None,
            rank: 0,
        });
        let last = rows.len() - 1;
        rows[last].final_share = rows[last].exact;
    }
    let n_parts = rows.len() as u32;
    let n_party_rows = parts.len() as u32;
    let head = r;
    let first = head + 1;
    let last = first + n_parts.max(1) - 1;
    let rounds = if redistribute { a.rounds.len() + 1 } else { 0 };
    // Columns after the round flags.
    let c_capround = C_FLAGS + rounds as u16;
    let c_excess_exact = c_capround + 1;
    let c_p = if redistribute {
        c_excess_exact + 1
    } else {
        C_FLAGS
    };
    let c_x = c_p + 1;
    let c_rem = c_x + 1;
    let c_trunc_ore = c_rem + 1;
    let c_rank = c_trunc_ore + 1;
    let c_extra = c_rank + 1;
    let c_final = c_extra + 1;
    let c_trunc = c_final + 1;
    let c_rounded = c_trunc + 1;
    let (c_over, c_excess, c_amount) = if clipped {
        (c_rounded + 1, c_rounded + 2, c_rounded + 3)
    } else {
        (0, 0, c_rounded + 1)
    };

    // Totals below the table.
    let mut below = last + 2;
    let mut next = || {
        let x = below;
        below += 1;
        x
    };
    let row_basis_total = next();
    let row_w_total = next();
    let outside_rows = a.outside.as_ref().map(|_| {
        let rows: Vec<u32> = (0..3).map(|_| next()).collect();
        rows
    });
    let row_split = next();
    let row_leftover = next();
    let row_allocated = next();
    let row_absorbed = if matches!(&a.cap, Some(c) if matches!(c.excess, ExcessPolicy::Absorb(_))) {
        Some(next())
    } else {
        None
    };
    let row_uncovered = next();
    let row_check = next();
    let rounds_head = if redistribute {
        next();
        Some(next())
    } else {
        None
    };

    let w_total_ref = abs(row_w_total, 1);
    let split_ref = abs(row_split, 1);
    let leftover_ref = abs(row_leftover, 1);
    let range = |c: u16| column_range(c, first, last);

    // Integer weights and the values of the water-filling, as the spreadsheet computes them.
    let w_total: i128 = weights.iter().sum();
    let split_ore = if outside_users.is_some() {
        amount_abs
    } else {
        a.split_amount.ore().abs()
    };
    if outside_users.is_some() {
        // The engine ranks the parties among themselves; with the outside claimant the
        // spreadsheet ranks every row of the one split.
        let rem: Vec<i128> = weights
            .iter()
            .map(|w| (split_ore * w).rem_euclid(w_total.max(1)))
            .collect();
        // A row's rank is the remainders greater than its own plus the equal ones up to it:
        // its place in the order of remainders, largest first, ties by row. One sort, not a
        // count over every row for each row (issue 12).
        let mut order: Vec<usize> = (0..rem.len()).collect();
        order.sort_by(|&i, &j| rem[j].cmp(&rem[i]).then(i.cmp(&j)));
        for (place, i) in order.into_iter().enumerate() {
            if let Some(row) = rows.get_mut(i) {
                row.rank = place + 1;
            }
        }
    }
    let mut round_r = vec![split_ore];
    let mut round_w = vec![w_total];
    for k in 1..=rounds {
        let capped: Vec<usize> = (0..parts.len())
            .filter(|&i| parts[i].capped_in_round == Some(k as u32))
            .collect();
        let rk = round_r[k - 1] - cap_ore_value * capped.len() as i128;
        let wk = round_w[k - 1] - capped.iter().map(|&i| weights[i]).sum::<i128>();
        round_r.push(rk);
        round_w.push(wk);
    }
    let (rf_ref, wf_ref, rf, wf) = match rounds_head {
        Some(h) => (
            abs(h + rounds as u32, 1),
            abs(h + rounds as u32, 2),
            round_r[rounds - 1],
            round_w[rounds - 1],
        ),
        None => (split_ref.clone(), w_total_ref.clone(), split_ore, w_total),
    };
    // Round k (1-based) lives on row rounds_head + k; R_k in B, W_k in C.
    let round_cell = |k: usize, col: u16| abs(rounds_head.unwrap_or(0) + k as u32, col);
    // Exact split beyond 2^53 (B7). Doubles hold integers exactly below 2^53 only, and R·w
    // (öre to split × a weight) or R_k·w and cap·W_k (the water-filling test) may exceed it:
    // R ≈ 10^11 öre × w ≈ 10^6 already does. Then the sheet splits R (and the cap) in two limbs,
    // R = R_hi·B + R_lo with 0 ≤ R_lo < B, B a power of ten, and divides by long division:
    // - T_hi = R_hi·w; r_hi, q_hi its remainder and quotient by W (exact: T_hi < 2^53, checked);
    // - T = r_hi·B + R_lo·w < W·B + B·W = 2·W·B; the remainder of R·w by W is that of T, and the
    //   truncated share is q_hi·B + (T − remainder)/W.
    // B is the largest power of ten with 4·W_1·B ≤ 2^53 (W_1 = the total weight, the largest W
    // of any round), so T < 2^52. The water-filling test R_k·w > cap·W_k is the sign of
    // H·B + L with H = R_hi·w − C_hi·W_k and L = R_lo·w − C_lo·W_k (cap = C_hi·B + C_lo):
    // |L| < B·W_1, so when |H| > W_1 the sign is H's, and otherwise |H·B + L| < 2·W_1·B < 2^52
    // is exact. With every weight w ≤ W_1 this holds while R·W_1·w stays below about 2^104
    // (R = 10^13 öre, W_1 up to about 10^9); beyond that, the sheet says so.
    let max_w = weights.iter().copied().max().unwrap_or(0);
    let over_limit = |a: i128, b: i128| a.checked_mul(b).is_none_or(|x| x >= EXACT_LIMIT);
    let needs_limbs =
        over_limit(split_ore, max_w) || (redistribute && over_limit(cap_ore_value, w_total));
    let limb = if needs_limbs {
        let mut b: i128 = 1;
        while w_total > 0 && 4 * w_total * (b * 10) <= EXACT_LIMIT {
            b *= 10;
        }
        let fits =
            b >= 10 && !over_limit(split_ore / b, max_w) && !over_limit(cap_ore_value / b, w_total);
        fits.then_some(b)
    } else {
        None
    };
    if needs_limbs && limb.is_none() {
        s.text(
            2,
            4,
            t("obs: R·w är för stort även för uppdelning i delar; små skillnader är möjliga", "note: R·w is too large even for the split in limbs; small differences are possible"),
            Style::Note,
        );
    }
    // The limb rows, below everything else: B, the limbs of R (the rounds table holds them
    // under redistribute), the limbs of the cap.
    let limb_top = rounds_head.map_or(below + 1, |h| h + rounds as u32 + 3);
    let b_ref = abs(limb_top + 1, 1);
    let (r_hi_ref, r_lo_ref) = match rounds_head {
        Some(h) => (abs(h + rounds as u32, 6), abs(h + rounds as u32, 7)),
        None => (abs(limb_top + 2, 1), abs(limb_top + 2, 2)),
    };
    let (c_hi_ref, c_lo_ref) = (abs(limb_top + 3, 1), abs(limb_top + 3, 2));
    // Writes the limbs of `value` (a cell) in B: low in `lo`, high in `hi`.
    let limbs = |s: &mut Sheet, row: u32, hi: u16, lo: u16, value: &str, v: i128, b: i128| {
        let x = format!("{value}-ROUND({value}/{b_ref},0)*{b_ref}");
        s.formula(
            row,
            lo,
            format!("{x}+IF({x}<0,{b_ref},0)"),
            int(v.rem_euclid(b)),
            Style::Integer,
        );
        s.formula(
            row,
            hi,
            format!("({value}-{})/{b_ref}", a1(row, lo)),
            int(v.div_euclid(b)),
            Style::Integer,
        );
    };
    if let Some(b) = limb {
        s.text(
            limb_top,
            0,
            t(
                "Lång division i delar (R·w når 2^53, bortom exakta flyttal)",
                "Long division in limbs (R·w reaches 2^53, beyond exact doubles)",
            ),
            Style::Header,
        );
        s.text(
            limb_top + 1,
            0,
            t("Delstorlek B", "Limb size B"),
            Style::Plain,
        );
        s.input(limb_top + 1, 1, int(b), Style::Integer);
        s.text(
            limb_top + 1,
            2,
            t(
                "en tiopotens med 4·W·B ≤ 2^53: varje delprodukt förblir exakt",
                "a power of ten with 4·W·B ≤ 2^53: every limb product stays exact",
            ),
            Style::Note,
        );
        if rounds_head.is_none() {
            s.text(
                limb_top + 2,
                0,
                t(
                    "Öre att fördela R = R_hi·B + R_lo: R_hi, R_lo",
                    "Öre to split R = R_hi·B + R_lo: R_hi, R_lo",
                ),
                Style::Plain,
            );
            limbs(&mut s, limb_top + 2, 1, 2, &split_ref, split_ore, b);
        }
        if redistribute {
            s.text(
                limb_top + 3,
                0,
                t(
                    "Tak i öre = C_hi·B + C_lo: C_hi, C_lo",
                    "Cap in öre = C_hi·B + C_lo: C_hi, C_lo",
                ),
                Style::Plain,
            );
            limbs(&mut s, limb_top + 3, 1, 2, &cap_ore, cap_ore_value, b);
        }
    }

    // Headers.
    let mut heads: Vec<String> = vec![
        t("Part", "Party").into(),
        t("Namn", "Name").into(),
        format!(
            "{} ({})",
            t("Underlag", "Basis"),
            figure_words(&a.figure, l)
        ),
        t("Källa", "Source").into(),
        t("Vikt w (underlag × 10^d)", "Weight w (basis × 10^d)").into(),
        t("Exakt andel (kr) A·w/W", "Exact share (kr) A·w/W").into(),
    ];
    for k in 1..=rounds {
        heads.push(match l {
            Language::Sv => format!("Över taket i omgång {k}"),
            Language::En => format!("Over the cap in round {k}"),
        });
    }
    if redistribute {
        heads.push(t("Når taket i omgång", "Capped in round").into());
        heads.push(
            t(
                "Överskjutande i sin omgång (kr, exakt)",
                "Excess in its round (kr, exact)",
            )
            .into(),
        );
    }
    heads.extend(
        [
            t("R·w (öre × W)", "R·w (öre × W)"),
            "R·w − ROUND(R·w/W)·W",
            t("Rest (öre × W)", "Remainder (öre × W)"),
            t("Avkortat (öre)", "Truncated (öre)"),
            t("Rang efter rest", "Remainder rank"),
            t("Extra öre", "Extra öre"),
            t("Fördelad andel (kr, exakt)", "Share split (kr, exact)"),
            t("Avkortat (kr)", "Truncated (kr)"),
            t("Avrundat (kr)", "Rounded (kr)"),
        ]
        .map(String::from),
    );
    if clipped {
        heads.extend(
            [
                t("Över taket", "Over the cap"),
                t("Överskjutande (kr)", "Excess (kr)"),
            ]
            .map(String::from),
        );
    }
    heads.push(t("Belopp (kr)", "Amount (kr)").into());
    let c_thi = c_amount + 1;
    let (c_xhi, c_rhi, c_qhi, c_t) = (c_thi + 1, c_thi + 2, c_thi + 3, c_thi + 4);
    if limb.is_some() {
        heads[c_x as usize] = "T − ROUND(T/W)·W".into();
        heads.extend(
            [
                t("Delar: T_hi = R_hi·w", "Limbs: T_hi = R_hi·w"),
                "T_hi − ROUND(T_hi/W)·W",
                t("r_hi: rest av T_hi", "r_hi: remainder of T_hi"),
                t("q_hi: kvot av T_hi", "q_hi: quotient of T_hi"),
                "T = r_hi·B + R_lo·w",
            ]
            .map(String::from),
        );
    }
    let heads_ref: Vec<&str> = heads.iter().map(String::as_str).collect();
    s.headers(head, &heads_ref);
    s.print_header = Some(head);
    s.text(
        head - 1,
        c_p,
        t(
            "Avrundad fördelning: R = öre att fördela, W = vikten hos dem som delar",
            "Rounded split: R = öre to split, W = weight of those who share it",
        ),
        Style::Note,
    );

    let mut refs = PoolRefs {
        sheet: name.clone(),
        amount: BTreeMap::new(),
        absorbed: None,
    };
    let leftover = a.leftover_ore as i128;
    for (i, part) in rows.iter().enumerate() {
        let row = first + i as u32;
        let cell = |c: u16| a1(row, c);
        let w = weights[i];
        s.text(row, C_PARTY, &part.label, Style::Plain);
        let party_label = part
            .party
            .as_ref()
            .map_or_else(String::new, |p| party_name(input, p));
        s.text(row, C_NAME, party_label, Style::Plain);
        let basis_style = if scale == 0 {
            Style::Integer
        } else {
            Style::Fraction
        };
        match (&part.party, &total_users) {
            (None, Some(tu)) => s.formula(
                row,
                C_BASIS,
                format!("{tu}-{}", abs(row_basis_total, 1)),
                dec(part.basis),
                basis_style,
            ),
            _ => s.input(row, C_BASIS, dec(part.basis), basis_style),
        }
        s.text(row, C_SOURCE, &part.source, Style::Note);
        s.formula(
            row,
            C_WEIGHT,
            format!("ROUND({}*{scale_ref},0)", cell(C_BASIS)),
            int(w),
            Style::Integer,
        );
        s.formula(
            row,
            C_EXACT,
            format!("{sgn}*{split_ref}*{}/{w_total_ref}/100", cell(C_WEIGHT)),
            part.exact,
            Style::Fraction,
        );
        let capped_flag = if redistribute {
            let mut prev = Vec::new();
            for k in 1..=rounds {
                let c = C_FLAGS + (k - 1) as u16;
                let over = if limb.is_some() {
                    // The sign of H·B + L (see above).
                    let h = format!(
                        "({}*{w}-{c_hi_ref}*{wk})",
                        round_cell(k, 6),
                        w = cell(C_WEIGHT),
                        wk = round_cell(k, 2)
                    );
                    format!(
                        "IF(ABS{h}>{w_total_ref},{h}>0,{h}*{b_ref}+{}*{w}-{c_lo_ref}*{wk}>0)",
                        round_cell(k, 7),
                        w = cell(C_WEIGHT),
                        wk = round_cell(k, 2)
                    )
                } else {
                    format!(
                        "{}*{}>{cap_ore}*{}",
                        round_cell(k, 1),
                        cell(C_WEIGHT),
                        round_cell(k, 2)
                    )
                };
                let f = if prev.is_empty() {
                    format!("IF({over},1,0)")
                } else {
                    format!("IF(AND({}=0,{over}),1,0)", prev.join("+"))
                };
                s.formula(
                    row,
                    c,
                    f,
                    if part.capped_in_round == Some(k as u32) {
                        1.0
                    } else {
                        0.0
                    },
                    Style::Integer,
                );
                prev.push(cell(c));
            }
            let round_no: Vec<String> = (1..=rounds)
                .map(|k| format!("{k}*{}", cell(C_FLAGS + (k - 1) as u16)))
                .collect();
            s.formula(
                row,
                c_capround,
                round_no.join("+"),
                f64::from(part.capped_in_round.unwrap_or(0)),
                Style::Integer,
            );
            let terms: Vec<String> = (1..=rounds)
                .map(|k| {
                    format!(
                        "{}*({}*{}-{cap_ore}*{})/MAX({},1)",
                        cell(C_FLAGS + (k - 1) as u16),
                        round_cell(k, 1),
                        cell(C_WEIGHT),
                        round_cell(k, 2),
                        round_cell(k, 2)
                    )
                })
                .collect();
            s.formula(
                row,
                c_excess_exact,
                format!("{sgn}*({})/100", terms.join("+")),
                part.excess_exact,
                Style::Fraction,
            );
            Some(cell(c_capround))
        } else {
            None
        };
        let capped = part.capped_in_round.is_some() && redistribute;
        // R·w, its integer remainder and truncation.
        let pw = if capped { 0 } else { rf * w };
        // Under limbs, the remainder and the truncation come from T (see above).
        let (t_hi, r_hi, q_hi, t_lo) = match limb {
            Some(b) => {
                let t_hi = if capped { 0 } else { rf.div_euclid(b) * w };
                let x_hi = t_hi - round_div(t_hi, wf) * wf;
                let r_hi = if x_hi < 0 { x_hi + wf } else { x_hi };
                let q_hi = (t_hi - r_hi) / wf.max(1);
                let t_lo = if capped {
                    0
                } else {
                    r_hi * b + rf.rem_euclid(b) * w
                };
                (t_hi, r_hi, q_hi, t_lo)
            }
            None => (0, 0, 0, pw),
        };
        let x = t_lo - round_div(t_lo, wf) * wf;
        let rem = if capped {
            -1
        } else if x < 0 {
            x + wf
        } else {
            x
        };
        let wrap = |f: String, otherwise: &str| match &capped_flag {
            Some(c) => format!("IF({c}>0,{otherwise},{f})"),
            None => f,
        };
        s.formula(
            row,
            c_p,
            wrap(format!("{rf_ref}*{}", cell(C_WEIGHT)), "0"),
            int(pw),
            Style::Integer,
        );
        let t_cell = if limb.is_some() {
            s.formula(
                row,
                c_thi,
                wrap(format!("{r_hi_ref}*{}", cell(C_WEIGHT)), "0"),
                int(t_hi),
                Style::Integer,
            );
            s.formula(
                row,
                c_xhi,
                format!("{p}-ROUND({p}/MAX({wf_ref},1),0)*{wf_ref}", p = cell(c_thi)),
                int(t_hi - round_div(t_hi, wf) * wf),
                Style::Integer,
            );
            s.formula(
                row,
                c_rhi,
                format!("IF({x}<0,{x}+{wf_ref},{x})", x = cell(c_xhi)),
                int(r_hi),
                Style::Integer,
            );
            s.formula(
                row,
                c_qhi,
                format!("({}-{})/MAX({wf_ref},1)", cell(c_thi), cell(c_rhi)),
                int(q_hi),
                Style::Integer,
            );
            s.formula(
                row,
                c_t,
                wrap(
                    format!("{}*{b_ref}+{r_lo_ref}*{}", cell(c_rhi), cell(C_WEIGHT)),
                    "0",
                ),
                int(t_lo),
                Style::Integer,
            );
            cell(c_t)
        } else {
            cell(c_p)
        };
        s.formula(
            row,
            c_x,
            format!("{p}-ROUND({p}/MAX({wf_ref},1),0)*{wf_ref}", p = t_cell),
            int(x),
            Style::Integer,
        );
        s.formula(
            row,
            c_rem,
            wrap(format!("IF({x}<0,{x}+{wf_ref},{x})", x = cell(c_x)), "-1"),
            int(rem),
            Style::Integer,
        );
        let trunc_ore = if capped {
            cap_ore_value
        } else if wf == 0 {
            0
        } else {
            q_hi * limb.unwrap_or(0) + (t_lo - rem) / wf
        };
        let trunc_formula = if limb.is_some() {
            format!(
                "{}*{b_ref}+({t_cell}-{})/MAX({wf_ref},1)",
                cell(c_qhi),
                cell(c_rem)
            )
        } else {
            format!("({t_cell}-{})/MAX({wf_ref},1)", cell(c_rem))
        };
        s.formula(
            row,
            c_trunc_ore,
            wrap(trunc_formula, &cap_ore),
            int(trunc_ore),
            Style::Integer,
        );
        let rank = part.rank;
        let rem_range = range(c_rem);
        let rem_upto = format!("{}${}:{}", col_name(c_rem), first + 1, cell(c_rem));
        s.formula(
            row,
            c_rank,
            wrap(
                format!(
                    "SUMPRODUCT(({rem_range}>{r})*1)+SUMPRODUCT(({rem_upto}={r})*1)",
                    r = cell(c_rem)
                ),
                "0",
            ),
            rank as f64,
            Style::Integer,
        );
        s.formula(
            row,
            c_extra,
            format!("IF(AND({k}>0,{k}<={leftover_ref}),1,0)", k = cell(c_rank)),
            if part.extra { 1.0 } else { 0.0 },
            Style::Integer,
        );
        s.formula(
            row,
            c_final,
            wrap(
                format!("{sgn}*{}/MAX({wf_ref},1)/100", cell(c_p)),
                &format!("{sgn}*{cap_ore}/100"),
            ),
            part.final_share,
            Style::Fraction,
        );
        s.formula(
            row,
            c_trunc,
            format!("{sgn}*{}/100", cell(c_trunc_ore)),
            part.truncated,
            Style::Money,
        );
        s.formula(
            row,
            c_rounded,
            format!("{sgn}*({}+{})/100", cell(c_trunc_ore), cell(c_extra)),
            part.rounded,
            Style::Money,
        );
        if clipped {
            let ore = format!("({}+{})", cell(c_trunc_ore), cell(c_extra));
            s.formula(
                row,
                c_over,
                if part.party.is_some() {
                    format!("IF({ore}>{cap_ore},1,0)")
                } else {
                    "0".to_owned()
                },
                f64::from(part.capped_in_round.unwrap_or(0)),
                Style::Integer,
            );
            s.formula(
                row,
                c_excess,
                format!("{sgn}*{}*({ore}-{cap_ore})/100", cell(c_over)),
                part.excess_clip,
                Style::Money,
            );
            s.formula(
                row,
                c_amount,
                format!("{sgn}*MIN({ore},{cap_ore})/100"),
                part.amount,
                Style::Money,
            );
        } else {
            s.formula(
                row,
                c_amount,
                format!("{sgn}*({}+{})/100", cell(c_trunc_ore), cell(c_extra)),
                part.amount,
                Style::Money,
            );
        }
        if let Some(party) = &part.party {
            refs.amount
                .insert(party.clone(), external(&name, &abs(row, c_amount)));
        }
    }

    // Totals.
    let label = |s: &mut Sheet, row: u32, text: &str| s.text(row, 0, text, Style::Plain);
    label(&mut s, row_basis_total, t("Σ underlag", "Σ basis"));
    s.formula(
        row_basis_total,
        1,
        format!(
            "SUM({})",
            column_range(C_BASIS, first, first + n_party_rows.max(1) - 1)
        ),
        dec(a.basis_total),
        Style::Fraction,
    );
    label(&mut s, row_w_total, t("Σ vikter W", "Σ weights W"));
    s.formula(
        row_w_total,
        1,
        format!("SUM({})", range(C_WEIGHT)),
        int(w_total),
        Style::Integer,
    );
    if let (Some(o), Some(orows), Some(tu)) = (&a.outside, &outside_rows, &total_users) {
        let pu = abs(row_basis_total, 1);
        label(
            &mut s,
            orows[0],
            t(
                "Parternas exakta andel tillsammans (kr)",
                "Parties' exact share together (kr)",
            ),
        );
        s.formula(
            orows[0],
            1,
            format!("{sgn}*{aore}*{pu}/MAX({tu},1)/100"),
            dec(o.parties_exact.kronor()),
            Style::Fraction,
        );
        label(
            &mut s,
            orows[1],
            t(
                "Parterna betalar tillsammans (kr)",
                "Parties pay together (kr)",
            ),
        );
        s.formula(
            orows[1],
            1,
            format!(
                "ROUND(SUM({}),2)",
                column_range(c_amount, first, first + n_party_rows.max(1) - 1)
            ),
            kr(o.parties_amount),
            Style::Money,
        );
        label(
            &mut s,
            orows[2],
            t(
                "Bärs utanför avtalet (kr)",
                "Borne outside the agreement (kr)",
            ),
        );
        if outside_users.is_some() {
            s.formula(orows[2], 1, abs(last, c_amount), kr(o.amount), Style::Money);
        } else if redistribute {
            s.input(orows[2], 1, kr(o.amount), Style::Money);
            s.text(
                orows[2],
                2,
                t(
                    "från programmets första fördelning över parterna och användarna utanför",
                    "from the engine's first split over the parties and the users outside",
                ),
                Style::Note,
            );
        } else {
            s.formula(orows[2], 1, "0".to_owned(), 0.0, Style::Money);
        }
        label(&mut s, row_split, t("Öre att fördela", "Öre to split"));
        let f = if redistribute {
            format!("{aore}-ABS(ROUND({}*100,0))", abs(orows[2], 1))
        } else {
            aore.clone()
        };
        s.formula(row_split, 1, f, int(split_ore), Style::Integer);
    } else {
        label(&mut s, row_split, t("Öre att fördela", "Öre to split"));
        s.formula(row_split, 1, aore.clone(), int(split_ore), Style::Integer);
    }
    label(
        &mut s,
        row_leftover,
        t(
            "Öre över efter avkortning",
            "Öre left over after truncation",
        ),
    );
    s.formula(
        row_leftover,
        1,
        format!(
            "IF({wf_ref}=0,0,{rf_ref}-SUMPRODUCT(({}>0)*{}))",
            range(c_rank),
            range(c_trunc_ore)
        ),
        int(leftover),
        Style::Integer,
    );
    label(
        &mut s,
        row_allocated,
        t("Σ parternas belopp (kr)", "Σ amounts of the parties (kr)"),
    );
    s.formula(
        row_allocated,
        1,
        format!(
            "ROUND(SUM({}),2)",
            column_range(c_amount, first, first + n_party_rows.max(1) - 1)
        ),
        kr(a.allocated()),
        Style::Money,
    );
    let mut check_terms = vec![abs(row_allocated, 1)];
    if let (Some(row), Some((party, amount))) = (row_absorbed, &a.absorbed) {
        let text = match l {
            Language::Sv => format!("Överskjutande belopp som bärs av {party} (kr)"),
            Language::En => format!("Excess absorbed by {party} (kr)"),
        };
        label(&mut s, row, &text);
        s.formula(
            row,
            1,
            format!("ROUND(SUM({}),2)", range(c_excess)),
            kr(*amount),
            Style::Money,
        );
        check_terms.push(abs(row, 1));
        refs.absorbed = Some((party.clone(), external(&name, &abs(row, 1))));
    }
    label(
        &mut s,
        row_uncovered,
        t(
            "Ej täckt: ingen betalar (kr)",
            "Uncovered: nobody pays (kr)",
        ),
    );
    let uncovered_formula = match &a.cap {
        Some(c) if c.excess == ExcessPolicy::Uncovered => {
            format!("ROUND(SUM({}),2)", range(c_excess))
        }
        Some(c) if c.excess == ExcessPolicy::Redistribute => {
            format!("IF({wf_ref}=0,{sgn}*{rf_ref}/100,0)")
        }
        _ => "0".to_owned(),
    };
    s.formula(
        row_uncovered,
        1,
        uncovered_formula,
        kr(a.uncovered),
        Style::Money,
    );
    check_terms.push(abs(row_uncovered, 1));
    if let Some(rows) = &outside_rows {
        check_terms.push(abs(rows[2], 1));
    }
    label(
        &mut s,
        row_check,
        t(
            "Kontroll: andelar + buret + ej täckt + utanför = A",
            "Check: parts + absorbed + uncovered + outside = A",
        ),
    );
    s.formula(
        row_check,
        1,
        format!("ROUND({},2)", check_terms.join("+")),
        kr(a.amount),
        Style::Money,
    );

    if let Some(h) = rounds_head {
        s.text(
            h - 1,
            0,
            t("Omgångar av omfördelning", "Water-filling rounds"),
            Style::Header,
        );
        s.headers(
            h,
            &[
                t("Omgång", "Round"),
                t("Öre kvar R", "Öre left R"),
                t("Vikt kvar W", "Weight left W"),
                t(
                    "Belopp som fördelas i omgången (kr)",
                    "Amount shared in the round (kr)",
                ),
                t("Parter över taket", "Parties over the cap"),
                t("Deras vikter", "Their weights"),
                t("R_hi (delar av R)", "R_hi (limbs of R)"),
                "R_lo",
            ][..if limb.is_some() { 8 } else { 6 }],
        );
        for k in 1..=rounds {
            let row = h + k as u32;
            let flags = range(C_FLAGS + (k - 1) as u16);
            s.input(row, 0, k as f64, Style::Integer);
            let (rf_k, wf_k) = if k == 1 {
                (split_ref.clone(), w_total_ref.clone())
            } else {
                (
                    format!("{}-{cap_ore}*{}", abs(row - 1, 1), abs(row - 1, 4)),
                    format!("{}-{}", abs(row - 1, 2), abs(row - 1, 5)),
                )
            };
            s.formula(row, 1, rf_k, int(round_r[k - 1]), Style::Integer);
            s.formula(row, 2, wf_k, int(round_w[k - 1]), Style::Integer);
            if let Some(b) = limb {
                limbs(&mut s, row, 6, 7, &abs(row, 1), round_r[k - 1], b);
            }
            s.formula(
                row,
                3,
                format!("{sgn}*{}/100", abs(row, 1)),
                a.rounds
                    .get(k - 1)
                    .map(|r| kr(r.amount))
                    .unwrap_or(kr(Money::from_ore(sign * round_r[k - 1]))),
                Style::Money,
            );
            let newly = parts
                .iter()
                .filter(|p| p.capped_in_round == Some(k as u32))
                .count();
            s.formula(
                row,
                4,
                format!("SUM({flags})"),
                newly as f64,
                Style::Integer,
            );
            let newly_w: i128 = (0..parts.len())
                .filter(|&i| parts[i].capped_in_round == Some(k as u32))
                .map(|i| weights[i])
                .sum();
            s.formula(
                row,
                5,
                format!("SUMPRODUCT({flags},{})", range(C_WEIGHT)),
                int(newly_w),
                Style::Integer,
            );
        }
        s.text(
            h + rounds as u32 + 1,
            0,
            t("I sista omgången är ingen över taket: dess R och W fördelas på de övriga ovan.", "The last round has nobody over the cap: its R and W are split among the others above."),
            Style::Note,
        );
    }
    if let Some(inst) = &billed.instalment {
        instalment_block(input, &mut s, &name, billed, inst, &mut refs);
    }
    (s, refs)
}

// ---------------------------------------------------------------------------------------------
// User fees.

/// Where the fee sheet holds each fee line's amount, by (party, kind, period start).
type FeeRefs = BTreeMap<(PartyId, FeeLineKind, NaiveDate), String>;

/// What a fee line's explanation says: users counted, (user-)days in the first year and after
/// it with the multiplier, and what was billed before.
#[derive(Default)]
struct FeeFigures {
    n: u64,
    user_days: bool,
    first: i64,
    other: i64,
    billed: Money,
}

fn fee_figures(l: &FeeLine) -> FeeFigures {
    let mut f = FeeFigures::default();
    // The figures the engine attached to its steps: never parsed back from the wording.
    for step in &l.explanation.steps {
        match step.figure {
            Some(Figure::Users(n)) => f.n = n,
            Some(Figure::WeightedDays {
                user_days,
                first_year,
                other,
            }) => {
                f.user_days = user_days;
                f.first = first_year;
                f.other = other;
            }
            Some(Figure::Billed(b)) => f.billed = b,
            _ => {}
        }
    }
    if f.user_days {
        f.n = 1;
    }
    f
}

/// `d` plus `months` months, clamped to the month's last day, as a spreadsheet formula.
fn add_months_formula(d: &str, months: u32) -> String {
    format!(
        "DATE(YEAR({d}),MONTH({d})+{months},MIN(DAY({d}),DAY(DATE(YEAR({d}),MONTH({d})+{months}+1,0))))"
    )
}

#[allow(clippy::too_many_lines)]
fn fee_sheet(input: &Input, draft: &Draft, limit: u32) -> (Vec<Sheet>, FeeRefs) {
    let l = input.settings.language;
    let t = |sv, en| tr(l, sv, en);
    let sheet_name = names::fees(l);
    let mut s = Sheet::new(sheet_name);
    s.widths = vec![(0, 26.0), (1, 14.0), (2, 14.0), (3, 14.0)];
    for c in 4..=22 {
        s.widths.push((c, 13.0));
    }
    // How F is kept (R5): the formulas of the fee and of the lines follow the policy.
    let policy = input.settings.fee_rounding;
    let (fee_head, line_head) = match policy {
        FeePolicy::Exact => (
            t("Årsavgiften F = B / N från dess budget, exakt (avrundas inte), eller som angiven, sedan per rad: |P| = sista dag − första dag + 1; medlemsdagar = MIN/MAX av", "The annual fee F = B / N from its budget, exact (not rounded), or as given, then per line: |P| = last day − start + 1; member days = MIN/MAX of the"),
            t("Förskott = ROUND(n × B × Σ m(d) / (N × k × |P|)) till öre (med F angiven: ROUND(n × F × Σ m(d) / (k × |P|))); korrigering = faktiskt − fakturerat, faktiskt med samma formel för användarna vid periodens slut (korrigering", "Advance = ROUND(n × B × Σ m(d) / (N × k × |P|)) to öre (with F given: ROUND(n × F × Σ m(d) / (k × |P|))); correction = actual − billed, actual by the same formula for the users at the period's end"),
        ),
        FeePolicy::KRONOR => (
            t("Årsavgiften F = ROUND(B / N) till hela kronor från dess budget (eller som angiven), sedan per rad: |P| = sista dag − första dag + 1; medlemsdagar = MIN/MAX av", "The annual fee F = ROUND(B / N) to whole kronor from its budget (or as given), then per line: |P| = last day − start + 1; member days = MIN/MAX of the"),
            t("Förskott = ROUND(n × F × Σ m(d) / (k × |P|)) till öre; korrigering = faktiskt − fakturerat, faktiskt med samma formel för användarna vid periodens slut (korrigering", "Advance = ROUND(n × F × Σ m(d) / (k × |P|)) to öre; correction = actual − billed, actual by the same formula for the users at the period's end"),
        ),
        FeePolicy::Rounded(_) => (
            t("Årsavgiften F = ROUND(B / N) från dess budget (eller som angiven), sedan per rad: |P| = sista dag − första dag + 1; medlemsdagar = MIN/MAX av", "The annual fee F = ROUND(B / N) from its budget (or as given), then per line: |P| = last day − start + 1; member days = MIN/MAX of the"),
            t("Förskott = ROUND(n × F × Σ m(d) / (k × |P|)) till öre; korrigering = faktiskt − fakturerat, faktiskt med samma formel för användarna vid periodens slut (korrigering", "Advance = ROUND(n × F × Σ m(d) / (k × |P|)) to öre; correction = actual − billed, actual by the same formula for the users at the period's end"),
        ),
    };
    let mut r = s.heading(
        t("Användaravgifter", "User fees"),
        &[
            fee_head,
            t("perioden och medlemskapet (första året: från inträdet till 12 månader senare; sista dag: uppsägning + uppsägningstid); Σ m(d) = dagar första året × faktor + övriga dagar.", "period and the membership (first year: from joining until 12 months later; last day: notice + notice months); Σ m(d) = first-year days × multiplier + other days."),
            line_head,
            t("enligt antal) eller användarnas registrerade dagar som medlem (korrigering pro rata); fakturerat är vad tidigare fakturor debiterat för perioden (indata).", "(next_invoice_count) or the users' registered days while a member (pro_rata_days); billed is what earlier invoices charged for the period (an input)."),
        ],
    );
    let mut refs = FeeRefs::new();
    let per_year = input.settings.periods.per_year();
    let mut p = Params { row: r };
    let settings = t("Inställningar", "Settings");
    let k_ref = p.input(
        &mut s,
        t("Perioder per år k", "Periods a year k"),
        per_year as f64,
        Style::Integer,
        &format!("{settings}: period_starts"),
    );
    let start_ref = input.settings.start.map(|d| {
        p.input(
            &mut s,
            t("Avtalets första dag", "The agreement's first day"),
            serial(d),
            Style::Date,
            &format!("{settings}: start"),
        )
    });
    let mult = input.settings.first_year_multiplier.normalize();
    let unit = 10i128.pow(mult.scale());
    let mult_ref = p.input(
        &mut s,
        t("Faktor första året", "First-year multiplier"),
        dec(mult),
        Style::Fraction,
        &format!("{settings}: first_year_multiplier"),
    );
    let unit_ref = p.input(
        &mut s,
        t("Faktorns skala 10^d", "Multiplier scale 10^d"),
        int(unit),
        Style::Integer,
        t(
            "gör faktorn till ett heltal",
            "makes the multiplier a whole number",
        ),
    );
    let mult_int = mult.mantissa();
    let mult_int_ref = p.formula(
        &mut s,
        t("Faktor × 10^d", "Multiplier × 10^d"),
        format!("ROUND({mult_ref}*{unit_ref},0)"),
        int(mult_int),
        Style::Integer,
        "",
    );
    r = p.row + 1;

    // The annual fees.
    let mut fee_cells: Vec<(NaiveDate, FeeCell)> = Vec::new();
    s.text(r, 0, t("Årsavgifter", "Annual fees"), Style::Header);
    r += 1;
    for fee in &draft.fees {
        let budget = input
            .budgets
            .iter()
            .find(|b| b.budget.valid_from == fee.valid_from());
        s.text(
            r,
            0,
            format!("{} {}", t("Avgift från", "Fee from"), fee.valid_from()),
            Style::Header,
        );
        r += 1;
        let cell = if let Some(b) = budget {
            let first = r;
            for line in &b.budget.lines {
                s.text(r, 0, &line.name, Style::Plain);
                s.input(r, 1, kr(line.amount), Style::Money);
                s.text(r, 2, source_note(l, line.source.as_ref()), Style::Note);
                r += 1;
            }
            let last = r.saturating_sub(1).max(first);
            s.text(r, 0, t("Budget B", "Budget B"), Style::Plain);
            s.formula(
                r,
                1,
                format!("ROUND(SUM({}),2)", column_range(1, first, last)),
                kr(b.budget.total()),
                Style::Money,
            );
            let b_ref = abs(r, 1);
            r += 1;
            let n = b.users.unwrap_or_else(|| {
                fee.steps()
                    .iter()
                    .find_map(|st| match st.figure {
                        Some(Figure::BudgetUsers(n)) => Some(n),
                        _ => None,
                    })
                    .unwrap_or(0)
            });
            s.text(
                r,
                0,
                format!(
                    "{} {}",
                    t("Användare N den", "Users N on"),
                    b.budget.reference_date
                ),
                Style::Plain,
            );
            s.input(r, 1, n as f64, Style::Integer);
            s.text(
                r,
                2,
                if b.users.is_some() {
                    t("bladet Budget: användare", "Budget sheet: users")
                } else {
                    t(
                        "räknade i användarregistret",
                        "counted in the user register",
                    )
                },
                Style::Note,
            );
            let n_ref = abs(r, 1);
            r += 1;
            s.text(
                r,
                0,
                t("Årsavgift F = B / N", "Annual fee F = B / N"),
                Style::Plain,
            );
            // F under the fee's policy (R5), in integers of öre and one division: to öre, to
            // whole kronor, or exact (unrounded: the lines compute from B and N).
            if fee.is_exact() {
                s.formula(
                    r,
                    1,
                    format!("ROUND({b_ref}*100,0)/({n_ref}*100)"),
                    dec(fee.value()),
                    Style::Fraction,
                );
                s.text(
                    r,
                    2,
                    t("exakt, avrundas inte", "exact, not rounded"),
                    Style::Note,
                );
            } else if policy == FeePolicy::KRONOR {
                s.formula(
                    r,
                    1,
                    format!("ROUND(ROUND({b_ref}*100,0)/({n_ref}*100),0)"),
                    kr(fee.amount()),
                    Style::Money,
                );
                s.text(
                    r,
                    2,
                    t("avrundad till hela kronor", "rounded to whole kronor"),
                    Style::Note,
                );
            } else {
                s.formula(
                    r,
                    1,
                    format!("ROUND(ROUND({b_ref}*100,0)/{n_ref},0)/100"),
                    kr(fee.amount()),
                    Style::Money,
                );
            }
            r += 1;
            FeeCell {
                f: abs(r - 1, 1),
                exact: fee.is_exact().then_some((b_ref, n_ref)),
            }
        } else {
            s.text(
                r,
                0,
                t("Årsavgift F (angiven)", "Annual fee F (given)"),
                Style::Plain,
            );
            s.input(r, 1, kr(fee.amount()), Style::Money);
            s.text(
                r,
                2,
                fee.steps()
                    .first()
                    .and_then(|st| st.source.as_ref())
                    .map_or_else(
                        || format!("{settings}: annual_fee"),
                        |x| format!("{} {x}", t("från", "from")),
                    ),
                Style::Note,
            );
            r += 1;
            FeeCell {
                f: abs(r - 1, 1),
                exact: None,
            }
        };
        fee_cells.push((fee.valid_from(), cell));
    }
    r += 1;

    let heads = [
        t("Part", "Party"),
        t("Rad", "Line"),
        t("Periodens första dag", "Period start"),
        t("Periodens sista dag", "Period last day"),
        t("|P| dagar", "|P| days"),
        t("Medlem från", "Member from"),
        t("Första året till (exkl.)", "First year until (excl.)"),
        t("Sista dag (uppsägning)", "Last day (notice)"),
        t("Första medlemsdag i P", "First member day in P"),
        t("Sista medlemsdag i P", "Last member day in P"),
        t("Medlemsdagar", "Member days"),
        t("Dagar första året", "First-year days"),
        t("Övriga dagar", "Other days"),
        t("Användare n", "Users n"),
        t(
            "Använda (användar)dagar första året",
            "First-year (user-)days used",
        ),
        t("Övriga använda (användar)dagar", "Other (user-)days used"),
        "Σ m(d) × 10^d",
        t("Avgift F (kr)", "Fee F (kr)"),
        t("Faktiskt eller förskott (kr)", "Actual or advance (kr)"),
        t("Fakturerat tidigare (kr)", "Billed before (kr)"),
        t("Belopp (kr)", "Amount (kr)"),
        t("Namn", "Name"),
    ];
    s.headers(r, &heads);
    s.print_header = Some(r);
    r += 1;
    // The parameters the lines use, as the first sheet refers to them and as a further sheet
    // does (naming the first).
    let near = FeeParams {
        k: k_ref,
        unit: unit_ref,
        mult_int: mult_int_ref,
        start: start_ref,
        fees: fee_cells,
    };
    let far = near.on(sheet_name);
    let widths = s.widths.clone();
    let mut sheets = Vec::new();
    for line in &draft.fee_lines {
        if r >= limit {
            // The table continues on a further sheet: its headings, then the next lines.
            let mut next = Sheet::new(&part_name(sheet_name, sheets.len() + 1));
            next.widths = widths.clone();
            next.headers(0, &heads);
            next.print_header = Some(0);
            next.freeze = Some(1);
            sheets.push(std::mem::replace(&mut s, next));
            r = 1;
        }
        let FeeParams {
            k: k_ref,
            unit: unit_ref,
            mult_int: mult_int_ref,
            start: start_ref,
            fees: fee_cells,
        } = if sheets.is_empty() { &near } else { &far };
        let f = fee_figures(line);
        let party = input.parties.get(&line.party);
        let period = line.period;
        let c = |col: u16| a1(r, col);
        s.text(r, 0, line.party.as_str(), Style::Plain);
        s.text(r, 21, party_name(input, &line.party), Style::Plain);
        s.text(
            r,
            1,
            match line.kind {
                FeeLineKind::Advance => t("förskott", "advance"),
                FeeLineKind::Correction => t("korrigering", "correction"),
            },
            Style::Plain,
        );
        s.input(r, 2, serial(period.start()), Style::Date);
        s.input(r, 3, serial(period.last_day()), Style::Date);
        s.formula(
            r,
            4,
            format!("{}-{}+1", c(3), c(2)),
            period.days() as f64,
            Style::Integer,
        );
        // The membership, from the Parties sheet: joining (or the agreement's start), the
        // first year of a later joiner, the last day after notice.
        let start = input.settings.start.unwrap_or(period.start());
        let joined = party.and_then(|p| p.joined).filter(|j| *j > start);
        let from = joined.unwrap_or(start);
        match (joined, &start_ref) {
            (None, Some(sr)) => s.formula(r, 5, sr.clone(), serial(from), Style::Date),
            _ => s.input(r, 5, serial(from), Style::Date),
        }
        let until = joined.and_then(|j| j.checked_add_months(chrono::Months::new(12)));
        if let Some(u) = until {
            s.formula(r, 6, add_months_formula(&c(5), 12), serial(u), Style::Date);
        }
        let notice = party.and_then(|p| p.notice_given);
        let last_day = notice
            .and_then(|n| n.checked_add_months(chrono::Months::new(input.settings.notice_months)));
        if let (Some(nd), Some(ld)) = (notice, last_day) {
            // The notice date itself is an input: put it in a note column.
            s.text(
                r,
                24,
                format!(
                    "{} {nd} ({})",
                    t("uppsägning", "notice given"),
                    party.map(|p| p.place.as_str()).unwrap_or("")
                ),
                Style::Note,
            );
            s.input(r, 22, serial(nd), Style::Date);
            s.formula(
                r,
                7,
                add_months_formula(&c(22), input.settings.notice_months),
                serial(ld),
                Style::Date,
            );
        }
        let a = period.start().max(from);
        let b = last_day.map_or(period.last_day(), |ld| ld.min(period.last_day()));
        let days = ((b - a).num_days() + 1).max(0);
        s.formula(
            r,
            8,
            format!("MAX({},{})", c(2), c(5)),
            serial(a),
            Style::Date,
        );
        s.formula(
            r,
            9,
            format!("IF({h}=\"\",{d},MIN({d},{h}))", h = c(7), d = c(3)),
            serial(b),
            Style::Date,
        );
        s.formula(
            r,
            10,
            format!("MAX(0,{}-{}+1)", c(9), c(8)),
            days as f64,
            Style::Integer,
        );
        let first_days = until.map_or(0, |u| {
            let fb = u.pred_opt().unwrap_or(u);
            ((b.min(fb) - a).num_days() + 1).clamp(0, days)
        });
        s.formula(
            r,
            11,
            format!(
                "IF({g}=\"\",0,MIN({k},MAX(0,MIN({j},{g}-1)-{i}+1)))",
                g = c(6),
                i = c(8),
                j = c(9),
                k = c(10)
            ),
            first_days as f64,
            Style::Integer,
        );
        s.formula(
            r,
            12,
            format!("{}-{}", c(10), c(11)),
            (days - first_days) as f64,
            Style::Integer,
        );
        s.input(r, 13, f.n as f64, Style::Integer);
        let note_n = if f.user_days {
            t(
                "användardagar från registret",
                "user-days from the register",
            )
        } else {
            t(
                "användare räknade i registret",
                "users counted in the register",
            )
        };
        s.text(r, 23, note_n, Style::Note);
        if f.user_days {
            s.input(r, 14, f.first as f64, Style::Integer);
            s.input(r, 15, f.other as f64, Style::Integer);
        } else {
            s.formula(r, 14, c(11), f.first as f64, Style::Integer);
            s.formula(r, 15, c(12), f.other as f64, Style::Integer);
        }
        let weighted = i128::from(f.first) * mult_int + i128::from(f.other) * unit;
        let weighted_used = if until.is_some() || f.user_days {
            weighted
        } else {
            i128::from(f.first + f.other) * unit
        };
        s.formula(
            r,
            16,
            format!("{}*{mult_int_ref}+{}*{unit_ref}", c(14), c(15)),
            int(weighted_used),
            Style::Integer,
        );
        let fee = fee_cells
            .iter()
            .rev()
            .find(|(from, _)| *from <= period.start())
            .map(|(_, cell)| cell);
        let fee_value = draft
            .fees
            .iter()
            .filter(|x| x.valid_from() <= period.start())
            .max_by_key(|x| x.valid_from())
            .map(|x| {
                if x.is_exact() {
                    dec(x.value())
                } else {
                    kr(x.amount())
                }
            })
            .unwrap_or(0.0);
        match fee {
            Some(FeeCell { f, exact: Some(_) }) => {
                s.formula(r, 17, f.clone(), fee_value, Style::Fraction);
            }
            Some(FeeCell { f, exact: None }) => {
                s.formula(r, 17, f.clone(), fee_value, Style::Money);
            }
            None => s.input(r, 17, fee_value, Style::Money),
        }
        let billed = if line.kind == FeeLineKind::Correction {
            f.billed
        } else {
            Money::ZERO
        };
        let actual = line.amount + billed;
        // The line in öre: an integer numerator and one division, rounded once; an exact fee
        // (R5) from the B and N cells, never from a rounded F.
        let line_formula = match fee.and_then(|x| x.exact.as_ref()) {
            Some((b_ref, n_ref)) => format!(
                "ROUND({n}*ROUND({b_ref}*100,0)*{w}/({n_ref}*{k_ref}*{p}*{unit_ref}),0)/100",
                n = c(13),
                w = c(16),
                p = c(4)
            ),
            None => format!(
                "ROUND({n}*ROUND({fee}*100,0)*{w}/({k_ref}*{p}*{unit_ref}),0)/100",
                n = c(13),
                fee = c(17),
                w = c(16),
                p = c(4)
            ),
        };
        s.formula(r, 18, line_formula, kr(actual), Style::Money);
        s.input(r, 19, kr(billed), Style::Money);
        s.formula(
            r,
            20,
            format!("ROUND({}-{},2)", c(18), c(19)),
            kr(line.amount),
            Style::Money,
        );
        refs.insert(
            (line.party.clone(), line.kind, period.start()),
            external(&s.name, &abs(r, 20)),
        );
        r += 1;
    }
    sheets.push(s);
    (sheets, refs)
}

/// The cells of the fee sheet's parameters that its lines refer to.
struct FeeParams {
    k: String,
    unit: String,
    mult_int: String,
    start: Option<String>,
    fees: Vec<(NaiveDate, FeeCell)>,
}

/// Where the fee sheet holds a fee's F, and for an exact fee (R5) the cells of its B and N,
/// which the lines compute from.
struct FeeCell {
    f: String,
    exact: Option<(String, String)>,
}

impl FeeParams {
    /// The same cells referred to from another sheet.
    fn on(&self, sheet: &str) -> FeeParams {
        FeeParams {
            k: external(sheet, &self.k),
            unit: external(sheet, &self.unit),
            mult_int: external(sheet, &self.mult_int),
            start: self.start.as_ref().map(|c| external(sheet, c)),
            fees: self
                .fees
                .iter()
                .map(|(from, c)| {
                    (
                        *from,
                        FeeCell {
                            f: external(sheet, &c.f),
                            exact: c
                                .exact
                                .as_ref()
                                .map(|(b, n)| (external(sheet, b), external(sheet, n))),
                        },
                    )
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Invoices.

fn vat_label(rate: VatRate, lang: Language) -> &'static str {
    match rate {
        VatRate::Zero => "0",
        VatRate::Six => "6",
        VatRate::Twelve => "12",
        VatRate::TwentyFive => "25",
        VatRate::OutsideScope => tr(lang, "utanför", "outside"),
    }
}

fn kind_label(kind: LineKind, lang: Language) -> &'static str {
    match kind {
        LineKind::Advance => tr(lang, "förskott", "advance"),
        LineKind::Correction => tr(lang, "korrigering", "correction"),
        LineKind::Pool => tr(lang, "kostnadspost", "pool"),
        _ => tr(lang, "övrigt", "other"),
    }
}

#[allow(clippy::too_many_lines)]
fn invoice_sheet(
    input: &Input,
    draft: &Draft,
    pools: &BTreeMap<String, PoolRefs>,
    fees: &FeeRefs,
    transactions: &TxRefs,
    limit: u32,
) -> Vec<Sheet> {
    let l = input.settings.language;
    let t = |sv, en| tr(l, sv, en);
    let name = names::invoices(l);
    // Each sheet of invoices: its title and what it computes, then whole invoices.
    let sheet = |k: usize| {
        let mut s = Sheet::new(&part_name(name, k));
        s.widths = vec![
            (0, 46.0),
            (1, 12.0),
            (2, 16.0),
            (3, 10.0),
            (4, 10.0),
            (5, 16.0),
            (6, 14.0),
        ];
        let r = s.heading(
            t("Fakturor", "Invoices"),
            &[
                t("Varje faktura: dess rader (hämtade från bladen för kostnadsposter och avgifter), moms per rad i öre = ROUND(belopp i öre × sats / 100, 0),", "Each invoice: its lines (taken from the pool and fee sheets), VAT per line in öre = ROUND(amount in öre × rate / 100, 0),"),
                t("summorna per momssats (SUMIF), summa exkl. moms och moms, öresavrundningen ROUND(summa, 0) − summa när avtalet avrundar, och att betala.", "the totals per VAT rate (SUMIF), the net and VAT totals, the rounding ROUND(total, 0) − total when the agreement rounds, and the payable total."),
            ],
        );
        (s, r)
    };
    let (mut s, mut r) = sheet(0);
    let top = r;
    let mut sheets = Vec::new();
    let rounds = input.settings.round_totals;
    for inv in &draft.invoices {
        // An invoice is never cut: its totals are formulas over its lines. One that does not
        // fit below the invoices before it begins the next sheet (one longer than a sheet
        // stays too long, and `fits` says so).
        let height = inv.lines.len() + inv.vat_totals.len() + usize::from(rounds) + 8;
        if r as usize + height > limit as usize && r > top {
            let (next, first) = sheet(sheets.len() + 1);
            sheets.push(std::mem::replace(&mut s, next));
            r = first;
        }
        s.text(
            r,
            0,
            match l {
                Language::Sv => format!(
                    "Faktura från {} ({}) till {} ({}){}",
                    inv.issuer,
                    party_name(input, &inv.issuer),
                    inv.buyer,
                    party_name(input, &inv.buyer),
                    inv.number
                        .map(|n| format!(", nummer {n}"))
                        .unwrap_or_default()
                ),
                Language::En => format!(
                    "Invoice from {} ({}) to {} ({}){}",
                    inv.issuer,
                    party_name(input, &inv.issuer),
                    inv.buyer,
                    party_name(input, &inv.buyer),
                    inv.number
                        .map(|n| format!(", number {n}"))
                        .unwrap_or_default()
                ),
            },
            Style::Title,
        );
        r += 1;
        s.headers(
            r,
            &[
                t("Rad", "Line"),
                t("Slag", "Kind"),
                t("Belopp (kr)", "Amount (kr)"),
                t("Momssats", "VAT rate"),
                t("Moms %", "VAT %"),
                t("Belopp (öre)", "Amount (öre)"),
                t("Moms (kr)", "VAT (kr)"),
            ],
        );
        r += 1;
        let first = r;
        for line in &inv.lines {
            s.text(
                r,
                0,
                line.description.get(input.settings.language),
                Style::Plain,
            );
            s.text(r, 1, kind_label(line.kind, l), Style::Plain);
            let reference = line_reference(inv, line, pools, fees, transactions);
            match reference {
                Some(f) => s.formula(r, 2, f, kr(line.amount), Style::Money),
                None => s.input(r, 2, kr(line.amount), Style::Money),
            }
            s.text(r, 3, vat_label(line.vat_rate, l), Style::Plain);
            s.input(r, 4, dec(line.vat_rate.percent()), Style::Integer);
            s.formula(
                r,
                5,
                format!("ROUND({}*100,0)", a1(r, 2)),
                int(line.amount.ore()),
                Style::Integer,
            );
            s.formula(
                r,
                6,
                format!("ROUND({}*{}/100,0)/100", a1(r, 5), a1(r, 4)),
                kr(line.vat),
                Style::Money,
            );
            r += 1;
        }
        let last = r.saturating_sub(1).max(first);
        let amounts = column_range(2, first, last);
        let labels = column_range(3, first, last);
        r += 1;
        let total_row = |s: &mut Sheet, r: &mut u32, text: &str, f: String, v: f64| {
            s.text(*r, 0, text, Style::Header);
            s.formula(*r, 2, f, v, Style::Money);
            *r += 1;
            abs(*r - 1, 2)
        };
        let net = total_row(
            &mut s,
            &mut r,
            t("Summa exkl. moms (Σ rader)", "Net total (Σ lines)"),
            format!("ROUND(SUM({amounts}),2)"),
            kr(inv.net_total),
        );
        // R15 (BR-CO-17): each rate's VAT is computed on the rate's net sum, rounded once.
        let mut rate_vats = Vec::new();
        for v in &inv.vat_totals {
            let label = vat_label(v.rate, l);
            s.text(r, 3, label, Style::Plain);
            s.formula(
                r,
                5,
                format!("ROUND(SUMIF({labels},\"{label}\",{amounts}),2)"),
                kr(v.base),
                Style::Money,
            );
            let base = a1(r, 5);
            rate_vats.push(total_row(
                &mut s,
                &mut r,
                &match l {
                    Language::Sv => format!("Moms {label} på underlaget (F)"),
                    Language::En => format!("VAT {} on base (F)", v.rate),
                },
                format!("ROUND(ROUND({base}*100,0)*{}/100,0)/100", v.rate.percent()),
                kr(v.vat),
            ));
        }
        let vat = total_row(
            &mut s,
            &mut r,
            t("Summa moms (Σ moms)", "VAT total (Σ VAT)"),
            if rate_vats.is_empty() {
                "0".to_owned()
            } else {
                format!("ROUND({},2)", rate_vats.join("+"))
            },
            kr(inv.vat_total),
        );
        let total = total_row(
            &mut s,
            &mut r,
            t("Summa inkl. moms", "Total with VAT"),
            format!("ROUND({net}+{vat},2)"),
            kr(inv.net_total + inv.vat_total),
        );
        let mut payable_terms = total.clone();
        if rounds {
            let rounding = total_row(
                &mut s,
                &mut r,
                t("Öresavrundning", "Rounding"),
                format!("ROUND(ROUND({total},0)-{total},2)"),
                kr(inv.rounding.unwrap_or_default()),
            );
            payable_terms = format!("{total}+{rounding}");
        }
        total_row(
            &mut s,
            &mut r,
            t("Att betala", "Payable"),
            format!("ROUND({payable_terms},2)"),
            kr(inv.payable),
        );
        s.text(r, 0, t("Slag", "Kind"), Style::Header);
        let (credit_note, invoice) = (t("kreditfaktura", "credit note"), t("faktura", "invoice"));
        s.formula_text(
            r,
            2,
            format!("IF({total}<0,\"{credit_note}\",\"{invoice}\")"),
            match inv.kind {
                billing_core::invoice::InvoiceKind::CreditNote => credit_note,
                _ => invoice,
            },
        );
        r += 3;
    }
    sheets.push(s);
    sheets
}

/// The formula that takes a line's amount from the sheet that computes it, when one does.
fn line_reference(
    inv: &Invoice,
    line: &billing_core::invoice::InvoiceLine,
    pools: &BTreeMap<String, PoolRefs>,
    fees: &FeeRefs,
    transactions: &TxRefs,
) -> Option<String> {
    match line.kind {
        LineKind::Pool => {
            let refs = pools.get(line.explanation.pool.as_ref())?;
            let mut terms = Vec::new();
            if let Some(a) = refs.amount.get(&inv.buyer) {
                terms.push(a.clone());
            }
            if let Some((party, a)) = &refs.absorbed {
                if *party == inv.buyer {
                    terms.push(a.clone());
                }
            }
            let _ = &refs.sheet;
            match terms.len() {
                0 => None,
                1 => Some(terms.remove(0)),
                _ => Some(format!("ROUND({},2)", terms.join("+"))),
            }
        }
        LineKind::Advance | LineKind::Correction => {
            let kind = if line.kind == LineKind::Advance {
                FeeLineKind::Advance
            } else {
                FeeLineKind::Correction
            };
            let period = line.period?;
            fees.get(&(inv.buyer.clone(), kind, period.start()))
                .cloned()
        }
        _ => transactions
            .get(&(
                inv.buyer.clone(),
                line.description.get(Language::En).to_owned(),
            ))
            .cloned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Transactions (R11) and the fee review (R13).

/// Where the transactions sheet holds each line's amount, by (party, line description).
type TxRefs = BTreeMap<(PartyId, String), String>;

/// Writes a table of priced lines from row `r`: count and unit price as inputs, the amount as
/// integers in ten-thousandths of a krona rounded to öre. Returns the rows written, with the
/// column of the amount in kronor.
fn priced_table(
    input: &Input,
    s: &mut Sheet,
    mut r: u32,
    lines: &[PricedLine],
    count_note: &str,
) -> (u32, u32, u32) {
    let lang = input.settings.language;
    let t = |sv, en| tr(lang, sv, en);
    s.headers(
        r,
        &[
            t("Part", "Party"),
            t("Slag", "Kind"),
            t("Prissatta dagar", "Days priced"),
            t("Antal n", "Count n"),
            t("Räknat i", "Counted in"),
            t("À-pris p (kr)", "Unit price p (kr)"),
            t("Pris från", "Price from"),
            t("p i 1/10 000 kr", "p in 1/10 000 kr"),
            t("n × p (1/10 000 kr)", "n × p (1/10 000 kr)"),
            t("Belopp (öre)", "Amount (öre)"),
            t("Belopp (kr)", "Amount (kr)"),
            t("Namn", "Name"),
        ],
    );
    if s.print_header.is_none() {
        s.print_header = Some(r);
    }
    r += 1;
    let first = r;
    for l in lines {
        let c = |col: u16| a1(r, col);
        let p4 = l.unit_price.ten_thousandths();
        let product = i128::from(l.count) * p4;
        s.text(r, 0, l.party.as_str(), Style::Plain);
        s.text(r, 11, party_name(input, &l.party), Style::Plain);
        s.text(r, 1, l.kind.as_str(), Style::Plain);
        s.text(r, 2, l.priced_days.to_string(), Style::Plain);
        s.input(r, 3, l.count as f64, Style::Integer);
        s.text(r, 4, count_note, Style::Note);
        s.input(r, 5, dec(l.unit_price.kronor()), Style::Price);
        s.text(
            r,
            6,
            source_note(lang, l.tariff_source.as_ref()),
            Style::Note,
        );
        s.formula(
            r,
            7,
            format!("ROUND({}*10000,0)", c(5)),
            int(p4),
            Style::Integer,
        );
        s.formula(
            r,
            8,
            format!("{}*{}", c(3), c(7)),
            int(product),
            Style::Integer,
        );
        if product >= EXACT_LIMIT {
            s.text(
                r,
                12,
                t(
                    "obs: n × p når 2^53, bortom kalkylbladets exakta aritmetik",
                    "note: n × p reaches 2^53, beyond exact spreadsheet arithmetic",
                ),
                Style::Note,
            );
        }
        // Half away from zero: n × p is never negative, so half up, and a tie x.5 is exact.
        s.formula(
            r,
            9,
            format!("ROUND({}/100,0)", c(8)),
            int(l.amount.ore()),
            Style::Integer,
        );
        s.formula(r, 10, format!("{}/100", c(9)), kr(l.amount), Style::Money);
        r += 1;
    }
    (first, r.saturating_sub(1).max(first), r)
}

/// Where a transaction count was read: the transactions file, by name.
fn counted_in(input: &Input) -> String {
    input
        .transactions_path
        .as_ref()
        .and_then(|p| p.file_name())
        .map_or_else(
            || {
                tr(
                    input.settings.language,
                    "transaktionsfilen",
                    "the transactions file",
                )
                .to_owned()
            },
            |n| n.to_string_lossy().into_owned(),
        )
}

/// The transaction lines billed on the date; none without any.
fn transactions_sheet(input: &Input, draft: &Draft, limit: u32) -> (Vec<Sheet>, TxRefs) {
    let mut refs = TxRefs::new();
    if draft.transaction_lines.is_empty() {
        return (Vec::new(), refs);
    }
    let l = input.settings.language;
    let t = |sv, en| tr(l, sv, en);
    let name = names::transactions(l);
    let mut s = Sheet::new(name);
    s.widths = vec![
        (0, 14.0),
        (1, 12.0),
        (2, 24.0),
        (3, 12.0),
        (4, 22.0),
        (5, 14.0),
        (6, 22.0),
    ];
    for c in 7..=10 {
        s.widths.push((c, 16.0));
    }
    let r = s.heading(
        t("Transaktioner", "Transactions"),
        &[
            t("Varje rad: antalet n av ett slag av transaktioner hos en part under de dagar ett pris p gällde, i efterskott.", "Each line: the count n of one kind of transactions by one party over the days one price p was valid, in arrears."),
            t("Belopp = n × p avrundat till öre (hälften från noll), räknat i hela tiotusendels kronor (p har högst 4 decimaler) så att det blir exakt.", "Amount = n × p rounded to öre half away from zero, computed in whole ten-thousandths of a krona (p has at most 4 decimals) so that it is exact."),
        ],
    );
    let note = counted_in(input);
    // The lines that fit below the headings, then as many further sheets as the rest need,
    // each its headings (row 1) and lines.
    let room = limit.saturating_sub(r + 1).max(1) as usize;
    let (here, rest) = draft
        .transaction_lines
        .split_at(room.min(draft.transaction_lines.len()));
    let widths = s.widths.clone();
    let mut sheets = Vec::new();
    for (k, lines) in std::iter::once(here)
        .chain(rest.chunks(limit.saturating_sub(1).max(1) as usize))
        .enumerate()
    {
        if k > 0 {
            s = Sheet::new(&part_name(name, k));
            s.widths = widths.clone();
            s.freeze = Some(1);
        }
        let (first, _, _) = priced_table(input, &mut s, if k == 0 { r } else { 0 }, lines, &note);
        for (i, l) in lines.iter().enumerate() {
            refs.insert(
                (l.party.clone(), l.description()),
                external(&s.name, &abs(first + i as u32, 10)),
            );
        }
        sheets.push(std::mem::replace(&mut s, Sheet::new(name)));
    }
    (sheets, refs)
}

fn outcome_label(o: Outcome, lang: Language) -> &'static str {
    match o {
        Outcome::Surplus => tr(lang, "överskott", "surplus"),
        Outcome::Deficit => tr(lang, "underskott", "deficit"),
        Outcome::Balanced => tr(lang, "i balans", "balanced"),
    }
}

/// The fee review of each cooperation (R13); none without any.
fn fee_review_sheet(input: &Input, draft: &Draft) -> Option<Sheet> {
    if draft.fee_reviews.is_empty() {
        return None;
    }
    let l = input.settings.language;
    let t = |sv, en| tr(l, sv, en);
    let mut s = Sheet::new(names::fee_review(l));
    s.widths = vec![
        (0, 34.0),
        (1, 16.0),
        (2, 24.0),
        (3, 12.0),
        (4, 22.0),
        (5, 14.0),
        (6, 22.0),
    ];
    for c in 7..=10 {
        s.widths.push((c, 16.0));
    }
    let mut r = s.heading(
        t("Avgiftsprövning", "Fee review"),
        &[
            t("Per samverkan och år: de debiterade avgifterna mot de kostnader de ska täcka, varje kostnad medlemmarnas antal × det pris den prissätts till.", "Per cooperation and year: the fees charged against the costs they are meant to cover, each cost the members' counts × the price it is priced at."),
            t("Saldo = avgifter − kostnader (över noll ett överskott, under ett underskott); den avgift som hade täckt kostnaderna är kostnaderna.", "Balance = fees − costs (above zero a surplus, below a deficit); the fee that would have covered the costs is the costs."),
        ],
    );
    let note = counted_in(input);
    for review in &draft.fee_reviews {
        let coop = input
            .cooperations
            .iter()
            .find(|c| c.cooperation.id() == review.cooperation);
        s.text(
            r,
            0,
            format!(
                "{} {}: {}, {}",
                t("Samverkan", "Cooperation"),
                review.cooperation,
                review.name,
                review.year
            ),
            Style::Title,
        );
        r += 1;
        s.text(r, 0, t("Medlemmar", "Members"), Style::Plain);
        s.text(
            r,
            1,
            review
                .members
                .iter()
                .map(|m| format!("{m} ({})", party_name(input, m)))
                .collect::<Vec<_>>()
                .join(", "),
            Style::Plain,
        );
        r += 1;
        let mut p = Params { row: r };
        let fees = p.input(
            &mut s,
            t("Debiterade avgifter (kr)", "Fees charged (kr)"),
            kr(review.fees_charged),
            Style::Money,
            &coop.map_or_else(
                || t("indata", "input").to_owned(),
                |c| format!("{} {}", t("från", "from"), c.place),
            ),
        );
        r = p.row + 1;
        let mut cost_cells = Vec::new();
        for cost in &review.costs {
            s.text(
                r,
                0,
                match l {
                    Language::Sv => format!(
                        "Kostnad: {} räknade, prissatta som {}",
                        cost.cost.counted.as_str(),
                        cost.cost.priced_as.as_str()
                    ),
                    Language::En => format!(
                        "Cost: {} counted, priced as {}",
                        cost.cost.counted.as_str(),
                        cost.cost.priced_as.as_str()
                    ),
                },
                Style::Header,
            );
            r += 1;
            let (first, last, next) = priced_table(input, &mut s, r, &cost.lines, &note);
            r = next;
            s.text(r, 0, t("Antal", "Count"), Style::Plain);
            s.formula(
                r,
                3,
                if cost.lines.is_empty() {
                    "0".to_owned()
                } else {
                    format!("SUM({})", column_range(3, first, last))
                },
                cost.count as f64,
                Style::Integer,
            );
            r += 1;
            s.text(r, 0, t("Kostnad (kr)", "Cost (kr)"), Style::Plain);
            s.formula(
                r,
                10,
                if cost.lines.is_empty() {
                    "0".to_owned()
                } else {
                    format!("ROUND(SUM({}),2)", column_range(10, first, last))
                },
                kr(cost.amount),
                Style::Money,
            );
            cost_cells.push(abs(r, 10));
            r += 2;
        }
        let mut p = Params { row: r };
        let total = p.formula(
            &mut s,
            t("Summa kostnader (kr)", "Total costs (kr)"),
            if cost_cells.is_empty() {
                "0".to_owned()
            } else {
                format!("ROUND({},2)", cost_cells.join("+"))
            },
            kr(review.total_costs),
            Style::Money,
            "",
        );
        let balance = p.formula(
            &mut s,
            t(
                "Saldo = avgifter − kostnader (kr)",
                "Balance = fees − costs (kr)",
            ),
            format!("ROUND({fees}-{total},2)"),
            kr(review.balance),
            Style::Money,
            t(
                "över noll ett överskott, under noll ett underskott",
                "above zero a surplus, below zero a deficit",
            ),
        );
        let row = p.row;
        p.row += 1;
        s.text(row, 0, t("Utfall", "Outcome"), Style::Plain);
        let [surplus, deficit, balanced] =
            [Outcome::Surplus, Outcome::Deficit, Outcome::Balanced].map(|o| outcome_label(o, l));
        s.formula_text(
            row,
            1,
            format!("IF({balance}>0,\"{surplus}\",IF({balance}<0,\"{deficit}\",\"{balanced}\"))"),
            outcome_label(review.outcome, l),
        );
        p.formula(
            &mut s,
            t(
                "Avgift som hade täckt kostnaderna (kr)",
                "Fee that would have covered the costs (kr)",
            ),
            total.clone(),
            kr(review.covering_fee),
            Style::Money,
            t("kostnaderna", "the costs"),
        );
        r = p.row + 2;
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each style is written with a format of its own, and on an input's fill the same format
    /// with the fill (the lookup once went by the enum's position, and a style out of place
    /// got a blank format).
    #[test]
    fn each_style_has_its_format() {
        let all = [
            Style::Plain,
            Style::Title,
            Style::Header,
            Style::Note,
            Style::Money,
            Style::Integer,
            Style::Fraction,
            Style::Price,
            Style::Date,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(style_look(*a, false), style_look(*b, false), "{a:?} {b:?}");
            }
            let filled = style_look(*a, true);
            assert_eq!(filled.fill, Some(0xFF_F2_CC), "{a:?}");
            assert_eq!(
                Look {
                    fill: None,
                    ..filled
                },
                style_look(*a, false),
                "{a:?}"
            );
        }
        assert_eq!(style_look(Style::Plain, false), Look::default());
    }

    /// The integer shortcuts of `number_text`, `shown_width` and the cell addresses give the
    /// texts the general formatting gave.
    #[test]
    #[allow(clippy::float_arithmetic)]
    fn number_texts_and_addresses_are_those_of_the_general_formatting() {
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            9.0,
            10.0,
            99.5,
            -123_456.75,
            999_999_999_999_999.0,
            -999_999_999_999_999.0,
            1e15,
            -1e15,
            1e20,
            4_503_599_627_370_497.0,
            0.1,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        let mut x = 1.0_f64;
        for _ in 0..60 {
            values.push(x);
            values.push(-x);
            values.push(x + 1.0);
            x *= 1.9;
        }
        for &v in &values {
            let general = if v == v.trunc() && v.abs() < 1e15 {
                format!("{v:.0}")
            } else {
                format!("{v}")
            };
            assert_eq!(number_text(v), general, "{v}");
            assert_eq!(
                whole_digits(v),
                format!("{:.0}", v.abs().trunc()).len(),
                "{v}"
            );
        }
        for col in [0u16, 1, 25, 26, 27, 51, 52, 701, 702, 703, 16_383, u16::MAX] {
            let mut n = u32::from(col) + 1;
            let mut letters = Vec::new();
            while n > 0 {
                letters.push(char::from(b'A' + ((n - 1) % 26) as u8));
                n = (n - 1) / 26;
            }
            let name: String = letters.into_iter().rev().collect();
            assert_eq!(col_name(col), name);
            assert_eq!(a1(6, col), format!("{name}7"));
            assert_eq!(abs(1_048_575, col), format!("${name}$1048576"));
        }
    }

    #[test]
    fn text_wraps_at_words_within_its_column() {
        assert_eq!(wrapped_lines("Belopp (kr)", 14.0), 1);
        assert_eq!(wrapped_lines("Rang efter rest", 8.0), 3);
        // A word longer than the column takes a line of its own, never a part of one.
        assert_eq!(wrapped_lines("Överskjutande i sin omgång", 10.0), 3);
        assert_eq!(wrapped_lines("", 10.0), 1);
    }

    #[test]
    fn columns_fit_their_numbers_and_headings() {
        let mut s = Sheet::new("S");
        s.text(0, 0, "Fördelad andel (kr, exakt)", Style::Header);
        s.input(1, 0, 1_234_567.5, Style::Money);
        s.formula(1, 1, "1".to_owned(), -0.123_456_789_1, Style::Fraction);
        s.text(
            1,
            2,
            "a long note that runs on into the empty cells",
            Style::Note,
        );
        fit_widths(&mut s);
        let width = |c: u16| s.widths.iter().find(|(x, _)| *x == c).map(|(_, w)| *w);
        // "1,234,567.50" is 12 characters, the heading's longest word 8, a third of it 9.
        assert_eq!(width(0), Some(14.0));
        // "-0.1234567891" is 13 characters.
        assert_eq!(width(1), Some(15.0));
        // A text with nothing to its right runs on: its column keeps the least width.
        assert_eq!(width(2), Some(8.0));
    }
}
