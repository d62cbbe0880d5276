//! The project's own small SpreadsheetML writer for the invoice workbooks, the overview and the
//! audit workbook (issue 12).
//!
//! `run` at national scale writes one workbook per invoice (2,901 at 2,901 parties), each a few
//! kilobytes. rust_xlsxwriter spent most of their time on what a small workbook does not need:
//! on every save it starts one thread per worksheet (5,758 threads per run, each with a fresh
//! stack and allocator heap), it hashes the whole `Format` on every formatted write (SipHash), and
//! builds every part with `format!`. This writer makes the same files byte for byte — the same
//! XML in the same parts, packed by the same `zip` crate with the same options — for the few
//! things these workbooks hold: text, numbers, formulas with their cached results, the ten
//! [`Style`]s and any other [`Look`] (fonts, number formats, alignment, a fill, a bottom border),
//! column widths, row heights, rows frozen at the top, a row printed on every page, A4 paper,
//! portrait or landscape, one page wide. The parts that do not depend on the cells (content
//! types, relationships, theme, workbook with its defined names, document properties) are taken
//! once from a workbook rust_xlsxwriter makes with the same sheet names, printed rows and
//! properties.
//!
//! An invoice workbook ([`Book`]) keeps its cells until it is saved. The overview ([`Streamed`])
//! at 100,000 parties has 1.76 million cells, which rust_xlsxwriter kept in memory (1.3 GB):
//! its sheets are written out as their rows come: it holds the shared strings, the XML of the
//! sheet being made and the deflated sheets, not a map of cells. The audit workbook (4.7
//! million cells at 100,000 parties, most of them formulas) is written the same way.
//!
//! What rust_xlsxwriter takes and clamps silently, this writer takes and clamps the same way: a
//! column wider than Excel's 255 characters is 255 wide, a row of any height keeps it (a row of
//! the default 15 points is written without a height). Every refusal names the sheet and the
//! cell, row or column. Five deliberate differences from rust_xlsxwriter, none of which a run
//! reaches: a number that is not finite (NaN, ±infinity) is refused, where rust_xlsxwriter
//! writes it as text; a text of the form `<r>…</r>` is escaped like any other, where
//! rust_xlsxwriter writes it as raw rich-text XML (the input refuses such texts); a
//! [`Streamed`] workbook refuses a write into a row it has written out, which rust_xlsxwriter,
//! keeping every cell, never needs to; a formula with a function outside [`FUNCTIONS`] is
//! refused, where rust_xlsxwriter would write the functions of Excel 2010 and later with a
//! prefix or as array formulas; and a column width or row height of 0 is refused, where
//! rust_xlsxwriter hides the column or row.
//!
//! The tests compare it, byte for byte, with rust_xlsxwriter writing the same cells
//! (`tests` below), every golden overview and audit workbook of `tests/cases.rs` with the file
//! itself, and overviews and audit workbooks split over many sheets with files rust_xlsxwriter
//! wrote (`tests/overview_pinned.rs`, `tests/audit_pinned.rs`).

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use indexmap::IndexSet;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, XlsxError};

/// The writer's error: rust_xlsxwriter's, for the same refusals.
pub(crate) type Error = XlsxError;

/// The formats of the cells of the invoice workbooks and the overview, and any other format
/// as a [`Look`] (the audit workbook's).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Style {
    /// Bold, 16 points.
    Title,
    Bold,
    BoldWrap,
    /// Wrapped text.
    Wrap,
    /// Italic, wrapped.
    Note,
    /// A unit price: `# ##0.00##`, right-aligned.
    Price,
    /// An amount: `# ##0.00`, right-aligned.
    Money,
    /// An amount in bold: `# ##0.00`.
    MoneyBold,
    /// Right-aligned.
    Right,
    /// Bold, right-aligned.
    LabelRight,
    /// Any other format.
    Look(Look),
}

/// A cell format: the few properties of rust_xlsxwriter's `Format` these workbooks use. The
/// default is no format (the workbook's style 0).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Look {
    pub(crate) bold: bool,
    pub(crate) italic: bool,
    /// The font size in points, when not the default 11.
    pub(crate) size: Option<u8>,
    /// A number format (always a format of its own from 164, as rust_xlsxwriter numbers them).
    pub(crate) num_format: Option<&'static str>,
    /// Aligned right.
    pub(crate) right: bool,
    /// Wrapped text.
    pub(crate) wrap: bool,
    /// A thin border below.
    pub(crate) underline_border: bool,
    /// A solid fill of this RGB colour.
    pub(crate) fill: Option<u32>,
}

/// A look's font: bold, italic, size.
type Font = (bool, bool, u8);

impl Look {
    /// The same format as rust_xlsxwriter tells formats apart: a font size of 11 is its
    /// default size and an empty number format its default format (no format of their own).
    fn normalised(self) -> Look {
        Look {
            size: self.size.filter(|s| *s != 11),
            num_format: self.num_format.filter(|f| !f.is_empty()),
            ..self
        }
    }

    fn font(self) -> Font {
        (self.bold, self.italic, self.size.unwrap_or(11))
    }

    /// The same format in rust_xlsxwriter's terms.
    pub(crate) fn format(self) -> Format {
        let mut f = Format::new();
        if self.bold {
            f = f.set_bold();
        }
        if self.italic {
            f = f.set_italic();
        }
        if let Some(size) = self.size {
            f = f.set_font_size(size);
        }
        if let Some(n) = self.num_format {
            f = f.set_num_format(n);
        }
        if self.right {
            f = f.set_align(FormatAlign::Right);
        }
        if self.wrap {
            f = f.set_text_wrap();
        }
        if self.underline_border {
            f = f.set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
        }
        if let Some(rgb) = self.fill {
            f = f.set_background_color(rust_xlsxwriter::Color::RGB(rgb));
        }
        f
    }
}

/// A font's XML, as rust_xlsxwriter writes it.
fn font_xml((bold, italic, size): Font, out: &mut String) {
    out.push_str("<font>");
    if bold {
        out.push_str("<b/>");
    }
    if italic {
        out.push_str("<i/>");
    }
    let _ = write!(
        out,
        r#"<sz val="{size}"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>"#
    );
}

impl Style {
    /// The format's properties.
    pub(crate) fn look(self) -> Look {
        let plain = Look::default();
        let bold = Look {
            bold: true,
            ..plain
        };
        let right = Look {
            right: true,
            ..plain
        };
        match self {
            Style::Title => Look {
                size: Some(16),
                ..bold
            },
            Style::Bold => bold,
            Style::BoldWrap => Look { wrap: true, ..bold },
            Style::Wrap => Look {
                wrap: true,
                ..plain
            },
            Style::Note => Look {
                italic: true,
                wrap: true,
                ..plain
            },
            Style::Price => Look {
                num_format: Some("# ##0.00##"),
                ..right
            },
            Style::Money => Look {
                num_format: Some("# ##0.00"),
                ..right
            },
            Style::MoneyBold => Look {
                num_format: Some("# ##0.00"),
                ..bold
            },
            Style::Right => right,
            Style::LabelRight => Look {
                right: true,
                ..bold
            },
            Style::Look(look) => look,
        }
    }

    /// The same format in rust_xlsxwriter's terms.
    pub(crate) fn format(self) -> Format {
        self.look().format()
    }
}

enum Value {
    Text(String),
    Number(f64),
    Blank,
    /// A formula (without `=`) and the text of its cached result.
    Formula(Box<str>, Box<str>),
}

struct Cell {
    row: u32,
    col: u16,
    value: Value,
    /// The index of the style in the sheet's `styles` plus one; 0 for none.
    style: u32,
}

/// The last row and column a sheet may use (Excel's limits).
const ROW_MAX: u32 = 1_048_576;
const COL_MAX: u16 = 16_384;
/// Excel's limit on the length of a cell's text, in UTF-16 units.
const MAX_STRING_LEN: usize = 32_767;
/// Excel's widest column, in characters (rust_xlsxwriter caps a width at it).
const MAX_COL_WIDTH: u16 = 255;

/// How a sheet prints.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Page {
    /// Excel's default page setup (nothing written).
    Default,
    /// A4 portrait, one page wide.
    Portrait,
    /// A4 landscape, one page wide.
    Landscape,
}

/// One worksheet: cells written in any order (the last write to a cell wins, as in
/// rust_xlsxwriter), column widths, row heights, frozen rows and its page setup. A sheet of a
/// [`Streamed`] workbook writes out its rows as the table goes on ([`Sheet::flush`]); a row
/// written out takes no more cells: every `write_*` and `set_row_height` into it is an error
/// naming the sheet and the row (the overview's `Pages::at` writes out the rows above the
/// one before the row asked for).
pub(crate) struct Sheet {
    name: String,
    page: Page,
    /// The rows above this one stay in view (none when 0).
    freeze: u32,
    cells: Vec<Cell>,
    /// Styles in the order of their first use on this sheet.
    styles: Vec<Look>,
    /// Column widths in pixels.
    widths: Vec<(u16, u32)>,
    /// Row heights in pixels.
    heights: Vec<(u32, u32)>,
    /// First row, first column, last row, last column, as rust_xlsxwriter tracks them.
    dims: Option<(u32, u16, u32, u16)>,
    /// The row printed at the top of every page, if any.
    repeat: Option<u32>,
    /// The XML of the rows written out so far, after `gap` bytes kept for the head (spaces, not
    /// part of the sheet), and the first row not written out.
    data: String,
    gap: usize,
    written: u32,
    /// The workbook's style index of each of `styles` (after 0, no style), as far as known.
    xf: Vec<u32>,
}

impl Sheet {
    fn new(name: &str, page: Page) -> Sheet {
        Sheet {
            name: name.to_owned(),
            page,
            freeze: 0,
            cells: Vec::new(),
            styles: Vec::new(),
            widths: Vec::new(),
            heights: Vec::new(),
            dims: None,
            repeat: None,
            data: String::new(),
            gap: 0,
            written: 0,
            xf: vec![0],
        }
    }

    fn check(&mut self, row: u32, col: u16) -> Result<(), XlsxError> {
        if row >= ROW_MAX || col >= COL_MAX {
            return Err(self.cell_error(
                row,
                col,
                "outside the sheet (at most 1,048,576 rows and 16,384 columns)",
            ));
        }
        if row < self.written {
            return Err(XlsxError::ParameterError(format!(
                "{}: row {} is already written out",
                self.name,
                row + 1
            )));
        }
        self.dims = Some(match self.dims {
            None => (row, col, row, col),
            Some((r0, c0, r1, c1)) => (r0.min(row), c0.min(col), r1.max(row), c1.max(col)),
        });
        Ok(())
    }

    /// The sheet's index of `style`, 0 for no format (rust_xlsxwriter's default format).
    fn style_index(&mut self, style: Style) -> u32 {
        let look = style.look().normalised();
        if look == Look::default() {
            return 0;
        }
        let at = match self.styles.iter().position(|s| *s == look) {
            Some(at) => at,
            None => {
                self.styles.push(look);
                self.styles.len() - 1
            }
        };
        u32::try_from(at + 1).unwrap_or(u32::MAX)
    }

    /// Numbers `style` among the sheet's formats as a cell written with it would (formats are
    /// numbered in the order of their first use).
    pub(crate) fn use_style(&mut self, style: Style) {
        self.style_index(style);
    }

    /// Text; an empty text is no cell (a blank cell with a style).
    pub(crate) fn write_string(
        &mut self,
        row: u32,
        col: u16,
        text: impl Into<String>,
        style: Option<Style>,
    ) -> Result<&mut Sheet, XlsxError> {
        let text = text.into();
        if text.is_empty() {
            if let Some(style) = style {
                self.check(row, col)?;
                let style = self.style_index(style);
                self.cells.push(Cell {
                    row,
                    col,
                    value: Value::Blank,
                    style,
                });
            }
            return Ok(self);
        }
        self.check(row, col)?;
        let units = text.encode_utf16().count();
        if units > MAX_STRING_LEN {
            let what = format!("a text of {units} characters, more than the 32,767 a cell holds");
            return Err(self.cell_error(row, col, &what));
        }
        let style = style.map_or(0, |s| self.style_index(s));
        self.cells.push(Cell {
            row,
            col,
            value: Value::Text(text),
            style,
        });
        Ok(self)
    }

    /// A number; it must be finite (every number written here is: rust_xlsxwriter would
    /// write NaN or infinity as a text).
    pub(crate) fn write_number(
        &mut self,
        row: u32,
        col: u16,
        number: f64,
        style: Option<Style>,
    ) -> Result<&mut Sheet, XlsxError> {
        if !number.is_finite() {
            return Err(self.cell_error(
                row,
                col,
                &format!("{number} is not a spreadsheet number"),
            ));
        }
        self.push(row, col, Value::Number(number), style)
    }

    /// An error naming the sheet and the cell: `Sheet!B7: what` (a place outside the sheet
    /// by its row and column numbers).
    fn cell_error(&self, row: u32, col: u16, what: &str) -> XlsxError {
        let mut cell = String::new();
        if row < ROW_MAX && col < COL_MAX {
            cell_name(&mut cell, row, col);
        } else {
            let _ = write!(
                cell,
                "row {}, column {}",
                u64::from(row) + 1,
                u32::from(col) + 1
            );
        }
        XlsxError::ParameterError(format!("{}!{cell}: {what}", self.name))
    }

    /// An error naming the sheet and the column: `Sheet!B: what`.
    fn column_error(&self, col: u16, what: &str) -> XlsxError {
        let mut cell = String::new();
        if col < COL_MAX {
            cell_name(&mut cell, 0, col);
            cell.truncate(cell.trim_end_matches(|c: char| c.is_ascii_digit()).len());
        } else {
            let _ = write!(cell, "column {}", u32::from(col) + 1);
        }
        XlsxError::ParameterError(format!("{}!{cell}: {what}", self.name))
    }

    /// An error naming the sheet and the row: `Sheet!row 7: what`.
    fn row_error(&self, row: u32, what: &str) -> XlsxError {
        XlsxError::ParameterError(format!("{}!row {}: {what}", self.name, u64::from(row) + 1))
    }

    /// Adds the cell at `row`, `col` holding `value`, once its place is checked.
    fn push(
        &mut self,
        row: u32,
        col: u16,
        value: Value,
        style: Option<Style>,
    ) -> Result<&mut Sheet, XlsxError> {
        self.check(row, col)?;
        let style = style.map_or(0, |s| self.style_index(s));
        self.cells.push(Cell {
            row,
            col,
            value,
            style,
        });
        Ok(self)
    }

    /// A column's width in characters, as rust_xlsxwriter stores it: 7 pixels a character and
    /// 5 of padding, a width above Excel's 255 capped at 255 (1,790 pixels) as rust_xlsxwriter
    /// caps it. A width of 0 (rust_xlsxwriter hides the column) is refused.
    pub(crate) fn set_column_width(&mut self, col: u16, width: u16) -> Result<(), XlsxError> {
        if col >= COL_MAX {
            return Err(self.column_error(col, "outside the sheet (at most 16,384 columns)"));
        }
        if width == 0 {
            return Err(self.column_error(col, "a width of 0 (a hidden column) is not written"));
        }
        self.widths.retain(|(c, _)| *c != col);
        self.widths
            .push((col, u32::from(width.min(MAX_COL_WIDTH)) * 7 + 5));
        Ok(())
    }

    /// A row's height in points, stored in pixels (4/3 of a point, rounded) as rust_xlsxwriter
    /// stores it (which, like this, does not hold to Excel's 409; a height of 15 points is
    /// Excel's default and written as a row without a height). A height of 0 (rust_xlsxwriter
    /// hides the row) is refused.
    pub(crate) fn set_row_height(&mut self, row: u32, points: u32) -> Result<(), XlsxError> {
        if points == 0 {
            return Err(self.row_error(row, "a height of 0 (a hidden row) is not written"));
        }
        // rust_xlsxwriter's `(points * 4.0 / 3.0).round() as u32`, in integers.
        let pixels = u32::try_from((u64::from(points) * 4 + 1) / 3).unwrap_or(u32::MAX);
        let col = self.dims.map_or(0, |d| d.1);
        self.check(row, col)?;
        self.heights.retain(|(r, _)| *r != row);
        self.heights.push((row, pixels));
        Ok(())
    }

    /// A formula (an `=` before it, and braces around it, are dropped as rust_xlsxwriter drops
    /// them) and the text of its cached result (a number as its shortest text, `TRUE`,
    /// `FALSE`, an error such as `#N/A`, or any other text; an empty result is `0`). Its
    /// functions must be among [`FUNCTIONS`]: rust_xlsxwriter writes the functions of Excel
    /// 2010 and later with a prefix (`_xlfn.`) and some as array formulas, which this writer
    /// refuses rather than writes differently.
    pub(crate) fn write_formula(
        &mut self,
        row: u32,
        col: u16,
        formula: &str,
        result: impl Into<String>,
        style: Option<Style>,
    ) -> Result<&mut Sheet, XlsxError> {
        let mut formula = formula;
        if let Some(f) = formula.strip_prefix('{') {
            formula = f;
        }
        if let Some(f) = formula.strip_prefix('=') {
            formula = f;
        }
        if let Some(f) = formula.strip_suffix('}') {
            formula = f;
        }
        if let Some(f) = unknown_function(formula) {
            let what = format!(
                "the function {f} is not one this writer writes (only functions of Excel 2007)"
            );
            return Err(self.cell_error(row, col, &what));
        }
        let result = result.into().into_boxed_str();
        self.push(row, col, Value::Formula(formula.into(), result), style)
    }

    /// Prints `row` at the top of every page (rust_xlsxwriter's `set_repeat_rows(row, row)`:
    /// a defined name of the workbook).
    pub(crate) fn set_repeat_row(&mut self, row: u32) -> Result<(), XlsxError> {
        if row >= ROW_MAX {
            return Err(self.row_error(row, "outside the sheet (at most 1,048,576 rows)"));
        }
        self.repeat = Some(row);
        Ok(())
    }

    /// Keeps the rows above `row` in view (rust_xlsxwriter's `set_freeze_panes(row, 0)`).
    pub(crate) fn set_freeze_rows(&mut self, row: u32) -> Result<(), XlsxError> {
        if row >= ROW_MAX {
            return Err(self.row_error(row, "outside the sheet (at most 1,048,576 rows)"));
        }
        self.freeze = row;
        Ok(())
    }

    /// The sheet's XML at once; `xf` gives each of its styles' index in the workbook and
    /// `strings` each text its index in the shared strings.
    fn xml(
        &self,
        selected: bool,
        xf: &[u32],
        strings: &mut Strings,
        out: &mut String,
    ) -> Result<(), XlsxError> {
        self.head_xml(selected, out);
        let mut heights = self.heights.clone();
        heights.sort_unstable();
        if self.cells.is_empty() && heights.is_empty() {
            out.push_str("<sheetData/>");
        } else {
            out.push_str("<sheetData>");
            self.rows_xml(&self.cells, &heights, xf, strings, out)?;
            out.push_str("</sheetData>");
        }
        self.tail_xml(out);
        Ok(())
    }

    /// Writes out the rows above `below`, rounded down to a multiple of 16 (the columns a row
    /// spans are those of its block of 16 rows): their XML is kept, their cells dropped. The
    /// styles first used on this sheet since the last time are added to `styles` (the
    /// workbook's, in the order rust_xlsxwriter numbers them: sheet by sheet, each in the order
    /// of first use), and the texts to `strings`. Sheets must be written out in order.
    fn flush(
        &mut self,
        below: u32,
        styles: &mut Vec<Look>,
        strings: &mut Strings,
    ) -> Result<(), XlsxError> {
        let end = below - below % 16;
        if end <= self.written {
            return Ok(());
        }
        global_styles(&self.styles, styles, &mut self.xf);
        let (done, rest): (Vec<Cell>, Vec<Cell>) = std::mem::take(&mut self.cells)
            .into_iter()
            .partition(|c| c.row < end);
        self.cells = rest;
        let mut heights: Vec<(u32, u32)> =
            self.heights.iter().filter(|h| h.0 < end).copied().collect();
        heights.sort_unstable();
        self.heights.retain(|h| h.0 >= end);
        if self.data.is_empty() {
            // Room for the head as it is now, a frozen pane added later and a larger
            // dimension: the head is written into it at the end, not in front of every row.
            let mut head = String::new();
            self.head_xml(true, &mut head);
            self.gap = head.len() + 256;
            self.data.extend(std::iter::repeat_n(' ', self.gap));
        }
        let mut data = std::mem::take(&mut self.data);
        let made = self.rows_xml(&done, &heights, &self.xf, strings, &mut data);
        self.data = data;
        made?;
        self.written = end;
        Ok(())
    }

    /// The `<row>` elements of `cells` (in any order, the last write to a cell kept) and of the
    /// rows with a height in `heights` (in order); `xf` maps the cells' styles to the workbook's.
    fn rows_xml(
        &self,
        cells: &[Cell],
        heights: &[(u32, u32)],
        xf: &[u32],
        strings: &mut Strings,
        out: &mut String,
    ) -> Result<(), XlsxError> {
        // The cells in row and column order, the last write to a cell kept.
        let mut order: Vec<usize> = (0..cells.len()).collect();
        order.sort_by_key(|&i| cells.get(i).map(|c| (c.row, c.col)));
        order.dedup_by(|later, earlier| {
            let key = |i: &mut usize| cells.get(*i).map(|c| (c.row, c.col));
            if key(later) == key(earlier) {
                *earlier = *later;
                true
            } else {
                false
            }
        });
        let cells: Vec<&Cell> = order.iter().filter_map(|&i| cells.get(i)).collect();
        // The columns used in each block of 16 rows ("spans").
        let mut spans: Vec<(u32, u16, u16)> = Vec::new();
        for c in &cells {
            let block = c.row / 16;
            match spans.last_mut() {
                Some((b, lo, hi)) if *b == block => {
                    *lo = (*lo).min(c.col);
                    *hi = (*hi).max(c.col);
                }
                _ => spans.push((block, c.col, c.col)),
            }
        }
        // Every row with cells or a height, in order.
        let mut rows: Vec<u32> = cells.iter().map(|c| c.row).collect();
        rows.extend(heights.iter().map(|(r, _)| *r));
        rows.sort_unstable();
        rows.dedup();
        let mut next = 0;
        // The spans from the block of this row on (both in order).
        let mut spans = spans.as_slice();
        for row in rows {
            let start = next;
            while cells.get(next).is_some_and(|c| c.row == row) {
                next += 1;
            }
            let row_cells = cells.get(start..next).unwrap_or(&[]);
            out.push_str(r#"<row r=""#);
            push_u32(out, row.saturating_add(1));
            out.push('"');
            while let Some(((b, _, _), rest)) = spans.split_first() {
                if *b >= row / 16 {
                    break;
                }
                spans = rest;
            }
            if let Some((_, lo, hi)) = spans.first().filter(|(b, _, _)| *b == row / 16) {
                out.push_str(r#" spans=""#);
                push_u32(out, u32::from(*lo) + 1);
                out.push(':');
                push_u32(out, u32::from(*hi) + 1);
                out.push('"');
            }
            // Excel's default height (20 pixels) is a row without one, as rust_xlsxwriter writes it.
            if let Some((_, px)) = heights.iter().find(|(r, p)| *r == row && *p != 20) {
                let _ = write!(
                    out,
                    r#" ht="{}" customHeight="1""#,
                    Fraction(u64::from(*px) * 3, 4)
                );
            }
            if row_cells.is_empty() {
                out.push_str("/>");
                continue;
            }
            out.push('>');
            for c in row_cells {
                let Some(&style) = xf.get(c.style as usize) else {
                    return Err(self.cell_error(
                        c.row,
                        c.col,
                        &format!("the format {} is not in the workbook", c.style),
                    ));
                };
                match &c.value {
                    Value::Text(text) => {
                        let id = strings.index(text);
                        out.push_str(r#"<c r=""#);
                        cell_name(out, c.row, c.col);
                        push_style(out, style);
                        out.push_str(r#" t="s"><v>"#);
                        push_u32(out, id);
                        out.push_str("</v></c>");
                    }
                    Value::Number(n) => {
                        out.push_str(r#"<c r=""#);
                        cell_name(out, c.row, c.col);
                        push_style(out, style);
                        let _ = write!(out, "><v>{n}</v></c>");
                    }
                    Value::Formula(formula, result) => {
                        out.push_str(r#"<c r=""#);
                        cell_name(out, c.row, c.col);
                        push_style(out, style);
                        // As rust_xlsxwriter: a result that does not read as a number is an
                        // error value, a boolean or a text.
                        let result: &str = if result.is_empty() { "0" } else { result };
                        let (kind, result) = match result {
                            _ if result.parse::<f64>().is_ok() => ("", result),
                            "#DIV/0!" | "#N/A" | "#NAME?" | "#NULL!" | "#NUM!" | "#REF!"
                            | "#VALUE!" | "#GETTING_DATA" => (r#" t="e""#, result),
                            "TRUE" => (r#" t="b""#, "1"),
                            "FALSE" => (r#" t="b""#, "0"),
                            _ => (r#" t="str""#, result),
                        };
                        out.push_str(kind);
                        out.push_str("><f>");
                        escape_data(out, formula);
                        out.push_str("</f><v>");
                        escape_data(out, result);
                        out.push_str("</v></c>");
                    }
                    Value::Blank => {
                        if style > 0 {
                            out.push_str(r#"<c r=""#);
                            cell_name(out, c.row, c.col);
                            let _ = write!(out, r#"" s="{style}"/>"#);
                        }
                    }
                }
            }
            out.push_str("</row>");
        }
        Ok(())
    }

    /// The XML before the rows: page properties, dimension, view, columns.
    fn head_xml(&self, selected: bool, out: &mut String) {
        out.push_str(concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
            "\n",
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#
        ));
        if self.page != Page::Default {
            out.push_str(r#"<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>"#);
        }
        let _ = match self.dims {
            Some((r0, c0, r1, c1)) => {
                out.push_str(r#"<dimension ref=""#);
                cell_name(out, r0, c0);
                if (r0, c0) != (r1, c1) {
                    out.push(':');
                    cell_name(out, r1, c1);
                }
                out.push_str(r#""/>"#);
                Ok(())
            }
            None => write!(out, r#"<dimension ref="A1"/>"#),
        };
        out.push_str(if selected {
            r#"<sheetViews><sheetView tabSelected="1" workbookViewId="0""#
        } else {
            r#"<sheetViews><sheetView workbookViewId="0""#
        });
        if self.freeze > 0 {
            let _ = write!(
                out,
                r#"><pane ySplit="{0}" topLeftCell="A{1}" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>"#,
                self.freeze,
                self.freeze + 1
            );
        } else {
            out.push_str("/></sheetViews>");
        }
        out.push_str(r#"<sheetFormatPr defaultRowHeight="15"/>"#);
        if !self.widths.is_empty() {
            let mut widths = self.widths.clone();
            widths.sort_unstable();
            out.push_str("<cols>");
            let mut i = 0;
            while let Some(&(first, pixels)) = widths.get(i) {
                let mut last = first;
                while let Some(&(c, p)) = widths.get(i + 1) {
                    if c != last + 1 || p != pixels {
                        break;
                    }
                    last = c;
                    i += 1;
                }
                // Excel's character width: pixels / 7, truncated to 1/256, printed exactly.
                let width = Fraction(u64::from(pixels) * 256 / 7, 256);
                let _ = write!(
                    out,
                    r#"<col min="{}" max="{}" width="{width}" customWidth="1"/>"#,
                    first + 1,
                    last + 1
                );
                i += 1;
            }
            out.push_str("</cols>");
        }
    }

    /// The XML after the rows: margins and page setup.
    fn tail_xml(&self, out: &mut String) {
        out.push_str(
            r#"<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>"#,
        );
        let orientation = match self.page {
            // Rows printed on every page count as a page setup for rust_xlsxwriter.
            Page::Default if self.repeat.is_some() => {
                out.push_str(r#"<pageSetup orientation="portrait" horizontalDpi="200" verticalDpi="200"/></worksheet>"#);
                return;
            }
            Page::Default => {
                out.push_str("</worksheet>");
                return;
            }
            Page::Portrait => "portrait",
            Page::Landscape => "landscape",
        };
        let _ = write!(
            out,
            r#"<pageSetup paperSize="9" fitToHeight="0" orientation="{orientation}" horizontalDpi="200" verticalDpi="200"/></worksheet>"#
        );
    }
}

/// Adds the styles of `local` that `xf` does not map yet to the workbook's `global` styles
/// (when new there) and their global index to `xf`.
fn global_styles(local: &[Look], global: &mut Vec<Look>, xf: &mut Vec<u32>) {
    for s in local.iter().skip(xf.len().saturating_sub(1)) {
        let at = global.iter().position(|g| g == s).unwrap_or_else(|| {
            global.push(*s);
            global.len() - 1
        });
        xf.push(u32::try_from(at + 1).unwrap_or(u32::MAX));
    }
}

/// Closes a cell's reference (`"`) and adds its style, if any (` s="3"`).
fn push_style(out: &mut String, style: u32) {
    out.push('"');
    if style > 0 {
        out.push_str(r#" s=""#);
        push_u32(out, style);
        out.push('"');
    }
}

/// `n / d` (`d` a power of two up to 256) in decimals, as Rust prints the double it is exactly:
/// the decimals of the exact value, without trailing zeros.
struct Fraction(u64, u64);

impl std::fmt::Display for Fraction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Fraction(n, d) = *self;
        let d = d.max(1);
        write!(f, "{}", n / d)?;
        // The remainder in units of 10^-8 (exact for d dividing 256).
        let mut rest = (n % d) * 100_000_000 / d;
        if rest > 0 {
            let mut digits = 8;
            while rest % 10 == 0 {
                rest /= 10;
                digits -= 1;
            }
            write!(f, ".{rest:0digits$}")?;
        }
        Ok(())
    }
}

/// The functions a formula may use: functions of Excel 2007, which rust_xlsxwriter writes as
/// they are (those of the audit workbook).
pub(crate) const FUNCTIONS: [&str; 15] = [
    "ABS",
    "AND",
    "DATE",
    "DAY",
    "IF",
    "INT",
    "MAX",
    "MIN",
    "MOD",
    "MONTH",
    "ROUND",
    "SUM",
    "SUMIF",
    "SUMPRODUCT",
    "YEAR",
];

/// The first function of `formula` not in [`FUNCTIONS`], found as rust_xlsxwriter finds the
/// functions it prefixes: a run of `A`-`Z`, `0`-`9` and `.` followed by `(`, outside texts in
/// double quotes.
fn unknown_function(formula: &str) -> Option<&str> {
    let mut in_text = false;
    let mut start = None;
    for (i, ch) in formula.char_indices() {
        if ch == '"' {
            in_text = !in_text;
        }
        if in_text {
            start = None;
            continue;
        }
        if ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '.' {
            start = start.or(Some(i));
            continue;
        }
        if let Some(from) = start.take() {
            let name = formula.get(from..i).unwrap_or_default();
            if ch == '(' && !FUNCTIONS.contains(&name) {
                return Some(name);
            }
        }
    }
    None
}

/// Appends `n` in decimal (as `{n}` formats it, without the formatting machinery: a sheet has
/// millions of row numbers, styles and string indices).
fn push_u32(out: &mut String, n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    for &d in digits.get(at..).unwrap_or_default() {
        out.push(char::from(d));
    }
}

/// A cell's A1 name.
fn cell_name(out: &mut String, row: u32, col: u16) {
    let mut letters = [0u8; 3];
    let mut n = u32::from(col) + 1;
    let mut len = 0;
    while n > 0 && len < 3 {
        let rem = (n - 1) % 26;
        if let (Some(slot), Ok(b)) = (letters.get_mut(len), u8::try_from(rem)) {
            *slot = b'A' + b;
        }
        len += 1;
        n = (n - 1) / 26;
    }
    for &b in letters.get(..len).unwrap_or(&[]).iter().rev() {
        out.push(char::from(b));
    }
    push_u32(out, row.saturating_add(1));
}

/// The shared strings, in the order of their first cell (sheet, row, column): each text kept
/// once, its index its place in that order (at 100,000 parties some 200,000 texts, which a map
/// to indices and a list in order held twice).
#[derive(Default)]
struct Strings {
    order: IndexSet<Box<str>>,
    count: usize,
}

impl Strings {
    fn index(&mut self, text: &str) -> u32 {
        self.count += 1;
        let i = match self.order.get_index_of(text) {
            Some(i) => i,
            None => self.order.insert_full(text.into()).0,
        };
        u32::try_from(i).unwrap_or(u32::MAX)
    }

    fn xml(&self, out: &mut String) {
        out.push_str(concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
            "\n"
        ));
        let _ = write!(
            out,
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{}" uniqueCount="{}">"#,
            self.count,
            self.order.len()
        );
        for s in &self.order {
            let ws = ['\t', '\n', ' '];
            if s.starts_with(ws) || s.ends_with(ws) {
                out.push_str(r#"<si><t xml:space="preserve">"#);
            } else {
                out.push_str("<si><t>");
            }
            escape_text(out, s);
            out.push_str("</t></si>");
        }
        out.push_str("</sst>");
    }
}

/// Text as rust_xlsxwriter writes it in the shared strings: a literal `_xHHHH_` gets its `_`
/// escaped (`_x005F_xHHHH_`), then as [`escape_data`].
fn escape_text(out: &mut String, s: &str) {
    escape(out, s, true);
}

/// Text as rust_xlsxwriter writes a formula and its result: `&`, `<` and `>` become
/// entities, and the control characters other than tab and line feed (and U+FFFE, U+FFFF)
/// become `_xHHHH_`.
fn escape_data(out: &mut String, s: &str) {
    escape(out, s, false);
}

/// An attribute's value as rust_xlsxwriter escapes it: `&`, `"`, `<`, `>` and a line feed
/// become entities.
fn escape_attribute(out: &mut String, s: &str) {
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("&#xA;"),
            _ => out.push(ch),
        }
    }
}

/// [`escape_text`] when `literals` (a literal `_xHHHH_` escaped), else [`escape_data`].
fn escape(out: &mut String, s: &str, literals: bool) {
    let bytes = s.as_bytes();
    // Every character escaped starts with a byte below 0x80, or 0xEF (U+FFFE and U+FFFF), so
    // the text is scanned byte by byte without decoding the characters between, and the text
    // since the last escaped character is copied at once (most texts at once, whole).
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let (escaped, len) = match b {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            // The control characters but tab and line feed.
            0..=0x08 | 0x0B..=0x1F => ("", 1),
            0xEF if bytes.get(i + 1) == Some(&0xBF)
                && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)) =>
            {
                ("", 3)
            }
            // `_x` followed by four hexadecimal digits and `_`.
            b'_' if literals
                && bytes.get(i + 1) == Some(&b'x')
                && bytes.get(i + 6) == Some(&b'_')
                && bytes
                    .get(i + 2..i + 6)
                    .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
            {
                ("_x005F_", 1)
            }
            _ => continue,
        };
        out.push_str(s.get(from..i).unwrap_or_default());
        from = i + len;
        if escaped.is_empty() {
            let ch = s
                .get(i..from)
                .and_then(|c| c.chars().next())
                .unwrap_or_default();
            let _ = write!(out, "_x{:04X}_", u32::from(ch));
        } else {
            out.push_str(escaped);
        }
    }
    out.push_str(s.get(from..).unwrap_or_default());
}

/// The parts of a workbook that do not depend on its cells, as rust_xlsxwriter writes them for a
/// workbook of sheets of these names with these properties, deflated once.
struct Fixed {
    /// The title, the sheet names and rows printed on every page, the date, the level, and
    /// whether there are shared strings.
    key: FixedKey,
    content_types: Packed,
    rels: Packed,
    workbook_rels: Packed,
    theme: Packed,
    workbook: Packed,
    core: Packed,
    app: Packed,
}

/// The title, each sheet's name and row printed on every page, the date, the zip level, and
/// whether there are shared strings.
type FixedKey = (
    String,
    Vec<(String, Option<u32>)>,
    chrono::NaiveDate,
    u8,
    bool,
);

/// The fixed parts made so far (one per language and date in a run).
static FIXED: Mutex<Vec<Arc<Fixed>>> = Mutex::new(Vec::new());

/// The workbook's properties as every output workbook has them: `title`, billing-report as
/// author, created on `date` (the invoice date, never the clock).
pub(crate) fn properties(title: &str, date: chrono::NaiveDate) -> DocProperties {
    let created = ExcelDateTime::from_ymd(
        u16::try_from(chrono::Datelike::year(&date)).unwrap_or(2000),
        u8::try_from(chrono::Datelike::month(&date)).unwrap_or(1),
        u8::try_from(chrono::Datelike::day(&date)).unwrap_or(1),
    )
    .unwrap_or_else(|_| ExcelDateTime::from_ymd(2000, 1, 1).unwrap_or_default());
    DocProperties::new()
        .set_title(title)
        .set_author("billing-report")
        .set_creation_datetime(&created)
}

fn fixed(
    title: &str,
    sheets: &[&Sheet],
    date: chrono::NaiveDate,
    level: u8,
    strings: bool,
) -> Result<Arc<Fixed>, XlsxError> {
    let key = (
        title.to_owned(),
        sheets.iter().map(|s| (s.name.clone(), s.repeat)).collect(),
        date,
        level,
        strings,
    );
    let mut made = FIXED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(f) = made.iter().find(|f| f.key == key) {
        return Ok(Arc::clone(f));
    }
    let mut wb = Workbook::new();
    wb.set_properties(&properties(title, date));
    for sheet in sheets {
        let ws = wb.add_worksheet().set_name(&sheet.name)?;
        if let Some(row) = sheet.repeat {
            ws.set_repeat_rows(row, row)?;
        }
        if strings {
            ws.write_string(0, 0, "-")?;
        } else {
            ws.write_number(0, 0, 0)?;
        }
    }
    let bytes = wb.save_to_buffer()?;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    let mut part = |name: &str| -> Result<Packed, XlsxError> {
        let mut file = zip.by_name(name)?;
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut out)?;
        pack(name, &out, level)
    };
    let fixed = Arc::new(Fixed {
        content_types: part("[Content_Types].xml")?,
        rels: part("_rels/.rels")?,
        workbook_rels: part("xl/_rels/workbook.xml.rels")?,
        theme: part("xl/theme/theme1.xml")?,
        workbook: part("xl/workbook.xml")?,
        core: part("docProps/core.xml")?,
        app: part("docProps/app.xml")?,
        key,
    });
    made.push(Arc::clone(&fixed));
    Ok(fixed)
}

/// An invoice workbook of two sheets.
pub(crate) struct Book {
    title: String,
    date: chrono::NaiveDate,
    sheets: [Sheet; 2],
}

impl Book {
    /// A workbook titled `title`, created on `date`, of two sheets named `names`, the first in
    /// portrait and the second in landscape.
    pub(crate) fn new(title: &str, date: chrono::NaiveDate, names: [&str; 2]) -> Book {
        Book {
            title: title.to_owned(),
            date,
            sheets: [
                Sheet::new(names[0], Page::Portrait),
                Sheet::new(names[1], Page::Landscape),
            ],
        }
    }

    /// The first sheet (portrait) and the second (landscape).
    pub(crate) fn sheets(&mut self) -> (&mut Sheet, &mut Sheet) {
        let [a, b] = &mut self.sheets;
        (a, b)
    }

    /// The workbook's bytes: the parts rust_xlsxwriter writes, in its order, deflated at
    /// `level` by the same zip writer.
    pub(crate) fn save(&self, level: u8) -> Result<Vec<u8>, XlsxError> {
        // The styles in the order of first use, sheet by sheet; xf[sheet][local] is the global.
        let mut styles: Vec<Look> = Vec::new();
        let xf: Vec<Vec<u32>> = self
            .sheets
            .iter()
            .map(|sheet| {
                let mut xf = vec![0];
                global_styles(&sheet.styles, &mut styles, &mut xf);
                xf
            })
            .collect();
        let mut strings = Strings::default();
        let mut xml = String::new();
        let mut sheets = Vec::with_capacity(2);
        for (i, (sheet, name)) in self
            .sheets
            .iter()
            .zip(["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"])
            .enumerate()
        {
            xml.clear();
            xml.reserve(64 * sheet.cells.len() + 1024);
            sheet.xml(
                i == 0,
                xf.get(i).map_or(&[], Vec::as_slice),
                &mut strings,
                &mut xml,
            )?;
            sheets.push(pack_sheet(name, xml.as_bytes(), level)?);
        }
        let [first, second] = &self.sheets;
        package(
            &self.title,
            &[first, second],
            self.date,
            level,
            &styles,
            &sheets,
            &strings,
        )
    }
}

/// A workbook of any number of sheets, each written out as its rows are made (issue 12: the
/// overview at 100,000 parties has 1.76 million cells; rust_xlsxwriter kept them all, 1.3 GB).
/// Its rows must come in order, sheet after sheet: a sheet written out ([`Streamed::flush`])
/// takes no more cells. What it holds is the shared strings, the XML of the sheets not yet
/// deflated and the deflated ones. The bytes are rust_xlsxwriter's for the same calls, as
/// for [`Book`] (but for the differences in the module's documentation).
pub(crate) struct Streamed {
    title: String,
    date: chrono::NaiveDate,
    level: u8,
    sheets: Vec<Sheet>,
    /// The deflated sheets, the first ones of `sheets`.
    packed: Vec<Packed>,
    styles: Vec<Look>,
    strings: Strings,
}

impl Streamed {
    /// A workbook titled `title`, created on `date`, deflated at `level`.
    pub(crate) fn new(title: &str, date: chrono::NaiveDate, level: u8) -> Streamed {
        Streamed {
            title: title.to_owned(),
            date,
            level,
            sheets: Vec::new(),
            packed: Vec::new(),
            styles: Vec::new(),
            strings: Strings::default(),
        }
    }

    /// Adds a sheet named `name` (a name Excel takes, not yet in the workbook) and returns
    /// its index.
    pub(crate) fn add_sheet(&mut self, name: &str, page: Page) -> Result<usize, XlsxError> {
        if name.is_empty() {
            return Err(XlsxError::SheetnameCannotBeBlank(name.to_owned()));
        }
        if name.encode_utf16().count() > 31 {
            return Err(XlsxError::SheetnameLengthExceeded(name.to_owned()));
        }
        if name.contains(['*', '?', ':', '[', ']', '\\', '/']) {
            return Err(XlsxError::SheetnameContainsInvalidCharacter(
                name.to_owned(),
            ));
        }
        if name.starts_with('\'') || name.ends_with('\'') {
            return Err(XlsxError::SheetnameStartsOrEndsWithApostrophe(
                name.to_owned(),
            ));
        }
        let lower = name.to_lowercase();
        if self.sheets.iter().any(|s| s.name.to_lowercase() == lower) {
            return Err(XlsxError::SheetnameReused(name.to_owned()));
        }
        self.sheets.push(Sheet::new(name, page));
        Ok(self.sheets.len() - 1)
    }

    /// Sheet `index`, while it is not written out.
    pub(crate) fn sheet(&mut self, index: usize) -> Result<&mut Sheet, XlsxError> {
        let written = self.packed.len();
        match self.sheets.get_mut(index) {
            Some(sheet) if index >= written => Ok(sheet),
            _ => Err(XlsxError::ParameterError(format!(
                "sheet {} is written out or missing",
                index + 1
            ))),
        }
    }

    /// Writes out every sheet before `index` and the rows of sheet `index` above `row` (as far
    /// as whole blocks of 16 rows go): they are complete.
    pub(crate) fn flush(&mut self, index: usize, row: u32) -> Result<(), XlsxError> {
        while self.packed.len() < index.min(self.sheets.len()) {
            self.finish_next()?;
        }
        if let Some(sheet) = self.sheets.get_mut(index) {
            if index == self.packed.len() {
                sheet.flush(row, &mut self.styles, &mut self.strings)?;
            }
        }
        Ok(())
    }

    /// Writes out the first sheet not yet written out, deflated.
    fn finish_next(&mut self) -> Result<(), XlsxError> {
        let i = self.packed.len();
        let Some(sheet) = self.sheets.get_mut(i) else {
            return Ok(());
        };
        sheet.flush(u32::MAX, &mut self.styles, &mut self.strings)?;
        // The head (dimension, pane, columns) is known only now. It goes into the room kept
        // for it in front of the rows (or, longer than that, in front of them, moving them
        // once), rather than both copied into a second buffer: the largest sheet at 100,000
        // parties is 220 MB of XML, which was held twice.
        let mut head = String::with_capacity(1024);
        sheet.head_xml(i == 0, &mut head);
        let gap = std::mem::take(&mut sheet.gap);
        let mut xml = std::mem::take(&mut sheet.data);
        let start = if xml.len() == gap {
            head.push_str("<sheetData/>");
            xml = head;
            0
        } else {
            head.push_str("<sheetData>");
            xml.push_str("</sheetData>");
            match gap.checked_sub(head.len()) {
                Some(start) => {
                    // The same length: the rows stay where they are.
                    xml.replace_range(start..gap, &head);
                    start
                }
                None => {
                    xml.replace_range(..gap, &head);
                    0
                }
            }
        };
        sheet.tail_xml(&mut xml);
        let name = format!("xl/worksheets/sheet{}.xml", i + 1);
        let part = xml.get(start..).unwrap_or_default();
        self.packed.push(pack(&name, part.as_bytes(), self.level)?);
        Ok(())
    }

    /// The workbook's bytes, as [`Book::save`] makes them.
    pub(crate) fn save(mut self) -> Result<Vec<u8>, XlsxError> {
        while self.packed.len() < self.sheets.len() {
            self.finish_next()?;
        }
        let sheets: Vec<&Sheet> = self.sheets.iter().collect();
        package(
            &self.title,
            &sheets,
            self.date,
            self.level,
            &self.styles,
            &self.packed,
            &self.strings,
        )
    }
}

/// The workbook of the deflated `sheets` of `made` (their names and rows printed on every
/// page), their `styles` and `strings`: the parts rust_xlsxwriter writes, in its order,
/// deflated at `level` by the same zip writer.
fn package(
    title: &str,
    made: &[&Sheet],
    date: chrono::NaiveDate,
    level: u8,
    styles: &[Look],
    sheets: &[Packed],
    strings: &Strings,
) -> Result<Vec<u8>, XlsxError> {
    let mut xml = String::new();
    strings.xml(&mut xml);
    let sst = pack("xl/sharedStrings.xml", xml.as_bytes(), level)?;
    // rust_xlsxwriter writes no shared strings part (nor its references) without text.
    let has_strings = strings.count > 0;
    let fixed = fixed(title, made, date, level, has_strings)?;
    let style_part = styles_part(styles, level)?;
    let mut parts: Vec<&Packed> = vec![
        &fixed.content_types,
        &fixed.rels,
        &fixed.workbook_rels,
        &fixed.theme,
        &style_part,
        &fixed.workbook,
    ];
    parts.extend(sheets);
    if has_strings {
        parts.push(&sst);
    }
    parts.extend([&fixed.core, &fixed.app]);
    zip(&parts)
}

/// The styles part for `styles`, deflated at `level`. Few workbooks differ in the styles they
/// use: each thread keeps the styles parts it made.
fn styles_part(styles: &[Look], level: u8) -> Result<Arc<Packed>, XlsxError> {
    STYLES.with(|cell| -> Result<Arc<Packed>, XlsxError> {
        let mut made = cell.borrow_mut();
        if let Some((_, _, p)) = made.iter().find(|(s, l, _)| s == styles && *l == level) {
            return Ok(Arc::clone(p));
        }
        let mut xml = String::with_capacity(4096);
        styles_xml(styles, &mut xml);
        let p = Arc::new(pack("xl/styles.xml", xml.as_bytes(), level)?);
        made.push((styles.to_vec(), level, Arc::clone(&p)));
        Ok(p)
    })
}

/// The styles part for the cell formats `styles` (xf 1, 2, …; xf 0 is the default), as
/// rust_xlsxwriter writes it: number formats from 164, fonts, fills (after the two defaults)
/// and borders (after the default) each numbered in the order of their first use.
fn styles_xml(styles: &[Look], out: &mut String) {
    /// The index of `x` in `list`, added at the end when new.
    fn index_of<T: PartialEq + Copy>(list: &mut Vec<T>, x: T) -> usize {
        list.iter().position(|g| *g == x).unwrap_or_else(|| {
            list.push(x);
            list.len() - 1
        })
    }
    out.push_str(concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        "\n",
        r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#
    ));
    let mut formats: Vec<&str> = Vec::new();
    let mut fonts: Vec<Font> = vec![Look::default().font()];
    // The fills after none and gray125, the borders after none.
    let mut fills: Vec<Option<u32>> = vec![None, None];
    let mut borders: Vec<bool> = vec![false];
    let mut xfs: Vec<[usize; 4]> = Vec::new();
    for &s in styles {
        let num = s.num_format.map_or(0, |f| 164 + index_of(&mut formats, f));
        let font = index_of(&mut fonts, s.font());
        let fill = s.fill.map_or(0, |rgb| index_of(&mut fills, Some(rgb)));
        let border = if s.underline_border {
            index_of(&mut borders, true)
        } else {
            0
        };
        xfs.push([num, font, fill, border]);
    }
    if !formats.is_empty() {
        let _ = write!(out, r#"<numFmts count="{}">"#, formats.len());
        for (i, f) in formats.iter().enumerate() {
            let _ = write!(out, r#"<numFmt numFmtId="{}" formatCode=""#, 164 + i);
            escape_attribute(out, f);
            out.push_str(r#""/>"#);
        }
        out.push_str("</numFmts>");
    }
    let _ = write!(out, r#"<fonts count="{}">"#, fonts.len());
    for f in &fonts {
        font_xml(*f, out);
    }
    let _ = write!(
        out,
        r#"</fonts><fills count="{}"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>"#,
        fills.len()
    );
    for rgb in fills.iter().flatten() {
        let _ = write!(
            out,
            r#"<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb:06X}"/><bgColor indexed="64"/></patternFill></fill>"#
        );
    }
    let _ = write!(
        out,
        r#"</fills><borders count="{}"><border><left/><right/><top/><bottom/><diagonal/></border>"#,
        borders.len()
    );
    for _ in borders.iter().skip(1) {
        out.push_str(
            r#"<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/></border>"#,
        );
    }
    out.push_str(concat!(
        r#"</borders>"#,
        r#"<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>"#
    ));
    let _ = write!(
        out,
        r#"<cellXfs count="{}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>"#,
        xfs.len() + 1
    );
    for ([num, font, fill, border], s) in xfs.into_iter().zip(styles) {
        let _ = write!(
            out,
            r#"<xf numFmtId="{num}" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0""#
        );
        for (applied, name) in [
            (num > 0, "applyNumberFormat"),
            (font > 0, "applyFont"),
            (fill > 0, "applyFill"),
            (border > 0, "applyBorder"),
        ] {
            if applied {
                let _ = write!(out, r#" {name}="1""#);
            }
        }
        if s.right || s.wrap {
            out.push_str(r#" applyAlignment="1"><alignment"#);
            if s.right {
                out.push_str(r#" horizontal="right""#);
            }
            if s.wrap {
                out.push_str(r#" wrapText="1""#);
            }
            out.push_str("/></xf>");
        } else {
            out.push_str("/>");
        }
    }
    out.push_str(concat!(
        r#"</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>"#,
        r#"<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/></styleSheet>"#
    ));
}

/// A part of the package, deflated.
#[derive(Clone)]
struct Packed {
    name: String,
    data: Vec<u8>,
    crc: u32,
    size: u32,
}

thread_local! {
    /// Each thread's compressor, reset for every part instead of made anew (its tables are
    /// a few hundred kilobytes to allocate and clear).
    static DEFLATE: std::cell::RefCell<Option<(u8, flate2::Compress)>> =
        const { std::cell::RefCell::new(None) };
    /// The styles parts this thread has made, by their styles.
    static STYLES: std::cell::RefCell<Vec<StylesPart>> =
        const { std::cell::RefCell::new(Vec::new()) };
    /// The invoice workbooks' sheets this thread has deflated, by their XML ([`pack_sheet`]).
    static SHEETS: std::cell::RefCell<SheetsPacked> = std::cell::RefCell::default();
}

/// Deflated sheets by their XML, at most [`SHEETS_KEPT`] of them.
/// Each with the level it is deflated at.
type SheetsPacked = std::collections::HashMap<Box<[u8]>, (u8, Packed), rustc_hash::FxBuildHasher>;

/// How many deflated sheets each thread keeps: about 6 kB each (the XML and its deflated
/// bytes), so at most some 12 MB per thread.
const SHEETS_KEPT: usize = 2048;

/// [`pack`] of an invoice workbook's sheet, deflated once per thread for each distinct XML.
/// The sheets hold numbers and the indices of shared strings, not the texts: of the first
/// 2,000 invoice workbooks of a 10,000-party run, 58 distinct first sheets and 58 second ones
/// (the shared strings, with the names, differ in each). Deflating is a function of the bytes
/// alone (each part from a reset compressor), so a copy is the same bytes.
fn pack_sheet(name: &str, bytes: &[u8], level: u8) -> Result<Packed, XlsxError> {
    let found = SHEETS.with(|cell| {
        cell.try_borrow()
            .ok()
            .and_then(|made| made.get(bytes).cloned())
    });
    if let Some((_, p)) = found.filter(|(l, p)| p.name == name && *l == level) {
        return Ok(p);
    }
    let p = pack(name, bytes, level)?;
    SHEETS.with(|cell| {
        if let Ok(mut made) = cell.try_borrow_mut() {
            if made.len() < SHEETS_KEPT {
                made.insert(bytes.into(), (level, p.clone()));
            }
        }
    });
    Ok(p)
}

/// A styles part made: for these styles, at this level.
type StylesPart = (Vec<Look>, u8, Arc<Packed>);

/// `bytes` deflated at `level` as the zip crate deflates a part (raw deflate, a 32 kB window),
/// with its CRC-32.
fn pack(name: &str, bytes: &[u8], level: u8) -> Result<Packed, XlsxError> {
    let too_large = || XlsxError::ParameterError(format!("{name} is too large for a workbook"));
    let size = u32::try_from(bytes.len()).map_err(|_| too_large())?;
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    let data = DEFLATE.with(|cell| -> Result<Vec<u8>, XlsxError> {
        let mut cell = cell.borrow_mut();
        let compress = match &mut *cell {
            Some((l, c)) if *l == level => {
                c.reset();
                c
            }
            other => {
                let c = flate2::Compress::new(flate2::Compression::new(u32::from(level)), false);
                &mut other.insert((level, c)).1
            }
        };
        // As flate2's writer does for the zip crate: the input without flushing, into an
        // output buffer of 32 kB emptied before each call, then the end of the stream. The
        // bytes depend on that buffer: deflated into one large buffer, a sheet of 30 MB (the
        // overview at 100,000 parties) came out different in a few blocks.
        let mut data = Vec::with_capacity(bytes.len() / 2 + 64);
        let mut buf: Vec<u8> = Vec::with_capacity(32 * 1024);
        let mut flush = flate2::FlushCompress::None;
        loop {
            data.extend_from_slice(&buf);
            buf.clear();
            let read = usize::try_from(compress.total_in()).map_err(|_| too_large())?;
            let rest = bytes.get(read..).unwrap_or(&[]);
            if rest.is_empty() {
                flush = flate2::FlushCompress::Finish;
            }
            let status = compress
                .compress_vec(rest, &mut buf, flush)
                .map_err(|e| XlsxError::ParameterError(format!("{name}: {e}")))?;
            if status == flate2::Status::StreamEnd {
                data.extend_from_slice(&buf);
                return Ok(data);
            }
        }
    })?;
    Ok(Packed {
        name: name.to_owned(),
        data,
        crc: crc.sum(),
        size,
    })
}

/// The zip file of `parts` as the zip crate writes it in streaming mode for rust_xlsxwriter:
/// each part's local header without sizes (flag 3), its data and a data descriptor, then the
/// central directory (Unix permissions 0600, 1980-01-01 00:00) and its end.
fn zip(parts: &[&Packed]) -> Result<Vec<u8>, XlsxError> {
    const DATE: u16 = (1 << 5) | 1;
    let too_large = || XlsxError::ParameterError("the workbook is too large".to_owned());
    let total: usize = parts
        .iter()
        .map(|p| p.data.len() + 2 * p.name.len() + 110)
        .sum();
    let mut out: Vec<u8> = Vec::with_capacity(total + 22);
    let u16s = |out: &mut Vec<u8>, v: &[u16]| v.iter().for_each(|x| out.extend(x.to_le_bytes()));
    let u32s = |out: &mut Vec<u8>, v: &[u32]| v.iter().for_each(|x| out.extend(x.to_le_bytes()));
    let mut offsets = Vec::with_capacity(parts.len());
    for p in parts {
        offsets.push(u32::try_from(out.len()).map_err(|_| too_large())?);
        let name_len = u16::try_from(p.name.len()).map_err(|_| too_large())?;
        let csize = u32::try_from(p.data.len()).map_err(|_| too_large())?;
        u32s(&mut out, &[0x0403_4b50]);
        u16s(&mut out, &[20, 8, 8, 0, DATE]);
        u32s(&mut out, &[0, 0, 0]);
        u16s(&mut out, &[name_len, 0]);
        out.extend(p.name.as_bytes());
        out.extend(&p.data);
        u32s(&mut out, &[0x0807_4b50, p.crc, csize, p.size]);
    }
    let directory = u32::try_from(out.len()).map_err(|_| too_large())?;
    for (p, offset) in parts.iter().zip(offsets) {
        let name_len = u16::try_from(p.name.len()).map_err(|_| too_large())?;
        let csize = u32::try_from(p.data.len()).map_err(|_| too_large())?;
        u32s(&mut out, &[0x0201_4b50]);
        u16s(&mut out, &[0x0314, 20, 8, 8, 0, DATE]);
        u32s(&mut out, &[p.crc, csize, p.size]);
        u16s(&mut out, &[name_len, 0, 0, 0, 0]);
        u32s(&mut out, &[0o100_600 << 16, offset]);
        out.extend(p.name.as_bytes());
    }
    let size = u32::try_from(out.len()).map_err(|_| too_large())? - directory;
    let count = u16::try_from(parts.len()).map_err(|_| too_large())?;
    u32s(&mut out, &[0x0605_4b50]);
    u16s(&mut out, &[0, 0, count, count]);
    u32s(&mut out, &[size, directory]);
    u16s(&mut out, &[0]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STYLES: [Style; 10] = [
        Style::Title,
        Style::Bold,
        Style::BoldWrap,
        Style::Wrap,
        Style::Note,
        Style::Price,
        Style::Money,
        Style::MoneyBold,
        Style::Right,
        Style::LabelRight,
    ];

    #[derive(Clone, Debug)]
    enum Op {
        Text(u32, u16, String, Option<Style>),
        Number(u32, u16, f64, Option<Style>),
        /// A formula and its cached result.
        Formula(u32, u16, String, String, Option<Style>),
        Width(u16, u16),
        Height(u32, u32),
    }

    /// The style `i` of [`STYLES`].
    fn st(i: usize) -> Option<Style> {
        STYLES.get(i).copied()
    }

    /// Applies `op` to this writer's `ours` and rust_xlsxwriter's `ws`, each row as `at` places
    /// it; the row written, if any.
    fn apply(
        op: &Op,
        ours: &mut Sheet,
        ws: &mut rust_xlsxwriter::Worksheet,
        at: impl Fn(u32) -> u32,
    ) -> Option<u32> {
        match op {
            Op::Text(r, c, t, s) => {
                let row = at(*r);
                let a = ours.write_string(row, *c, t.clone(), *s).is_ok();
                let b = match s.map(Style::format) {
                    Some(f) => ws.write_string_with_format(row, *c, t, &f).is_ok(),
                    None => ws.write_string(row, *c, t).is_ok(),
                };
                assert_eq!(a, b, "{op:?}");
                Some(row)
            }
            Op::Number(r, c, n, s) => {
                let row = at(*r);
                ours.write_number(row, *c, *n, *s).expect("number");
                match s.map(Style::format) {
                    Some(f) => ws.write_number_with_format(row, *c, *n, &f).map(|_| ()),
                    None => ws.write_number(row, *c, *n).map(|_| ()),
                }
                .expect("number");
                Some(row)
            }
            Op::Formula(r, c, f, result, s) => {
                let row = at(*r);
                ours.write_formula(row, *c, f, result.clone(), *s)
                    .expect("formula");
                let formula = rust_xlsxwriter::Formula::new(f).set_result(result);
                match s.map(Style::format) {
                    Some(format) => ws
                        .write_formula_with_format(row, *c, formula, &format)
                        .map(|_| ()),
                    None => ws.write_formula(row, *c, formula).map(|_| ()),
                }
                .expect("formula");
                Some(row)
            }
            Op::Width(c, w) => {
                ours.set_column_width(*c, *w).expect("width");
                ws.set_column_width(*c, *w).expect("width");
                None
            }
            Op::Height(r, lines) => {
                let row = at(*r);
                ours.set_row_height(row, 15 * lines).expect("height");
                ws.set_row_height(row, 15 * lines).expect("height");
                Some(row)
            }
        }
    }

    fn date() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap_or_default()
    }

    /// The workbook of `ops` (sheet 0 or 1 each) as this writer makes it and as rust_xlsxwriter
    /// makes it.
    fn both(ops: &[(usize, Op)]) -> (Vec<u8>, Vec<u8>) {
        let mut book = Book::new("Faktura & <co>", date(), ["Faktura", "Underlag"]);
        let mut wb = Workbook::new();
        wb.set_properties(&properties("Faktura & <co>", date()));
        wb.set_zip_compression_level(1);
        for (name, landscape) in [("Faktura", false), ("Underlag", true)] {
            let ws = wb.add_worksheet().set_name(name).expect("name");
            ws.set_paper_size(9).set_print_fit_to_pages(1, 0);
            if landscape {
                ws.set_landscape();
            }
        }
        for (i, op) in ops {
            let ws = wb.worksheet_from_index(*i).expect("sheet");
            let (a, b) = book.sheets();
            let sheet = if *i == 0 { a } else { b };
            apply(op, sheet, ws, |r| r);
        }
        (
            book.save(1).expect("ours"),
            wb.save_to_buffer().expect("theirs"),
        )
    }

    /// The first part where two workbooks differ, with both texts.
    fn difference(ours: &[u8], theirs: &[u8]) -> String {
        let read = |bytes: &[u8]| -> Vec<(String, String)> {
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("zip");
            (0..zip.len())
                .map(|i| {
                    let mut f = zip.by_index(i).expect("part");
                    let mut text = String::new();
                    std::io::Read::read_to_string(&mut f, &mut text).expect("text");
                    (f.name().map(|n| n.to_string()).unwrap_or_default(), text)
                })
                .collect()
        };
        let (a, b) = (read(ours), read(theirs));
        for (x, y) in a.iter().zip(&b) {
            if x != y {
                return format!("ours {x:?}\ntheirs {y:?}");
            }
        }
        format!("{} parts and {}", a.len(), b.len())
    }

    #[test]
    fn an_invoice_like_workbook_is_rust_xlsxwriters_byte_for_byte() {
        let mut ops = vec![
            (0, Op::Width(0, 40)),
            (0, Op::Width(1, 23)),
            (0, Op::Width(2, 23)),
            (0, Op::Text(0, 0, "FAKTURA".into(), st(0))),
            (0, Op::Text(2, 0, "Säljare".into(), st(1))),
            (0, Op::Text(2, 1, " Regionen & <Co> ".into(), None)),
            (0, Op::Text(3, 1, "a_x0041_b\u{1}\t\n_x00".into(), None)),
            (0, Op::Text(3, 2, "".into(), st(3))),
            (0, Op::Text(3, 3, "".into(), None)),
            (0, Op::Height(40, 3)),
            (0, Op::Text(40, 0, "Beskrivning".into(), st(3))),
            (0, Op::Number(40, 2, 1e21, None)),
            (0, Op::Number(40, 4, 0.1, st(5))),
            (0, Op::Number(40, 5, -27.78, st(6))),
            (0, Op::Text(40, 6, "25 %".into(), st(8))),
            (0, Op::Height(41, 2)),
            (0, Op::Text(41, 30, "Säljare".into(), st(4))),
            (0, Op::Text(2, 1, "överskriven".into(), st(9))),
            (0, Op::Height(70, 2)),
            (1, Op::Width(0, 60)),
            (1, Op::Width(1, 60)),
            (1, Op::Text(0, 0, "Underlag".into(), st(0))),
            (1, Op::Number(2, 2, 1234.5, st(7))),
            (1, Op::Text(2, 1, "Säljare".into(), st(2))),
            (1, Op::Text(3, 0, "x".repeat(32_768), None)),
        ];
        let (ours, theirs) = both(&ops);
        assert!(ours == theirs, "{}", difference(&ours, &theirs));
        // An empty second sheet.
        ops.retain(|(sheet, _)| *sheet == 0);
        let (ours, theirs) = both(&ops);
        assert!(ours == theirs, "{}", difference(&ours, &theirs));
    }

    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex(
            "[ a-zA-Z_0-9&<>\"'åäö\t\n\r\u{1}\u{1f}\u{fffd}\u{fffe}\u{ffff}–]{0,12}",
        )
        .expect("regex")
        .prop_filter("rust_xlsxwriter writes <r>…</r> as rich text", |t| {
            !(t.starts_with("<r>") && t.ends_with("</r>"))
        })
    }

    /// Any format of these properties (the default, no format, among them).
    fn look() -> impl Strategy<Value = Look> {
        let num_format = proptest::sample::select(vec![
            None,
            Some("0"),
            Some("#,##0.00"),
            Some("0.0000"),
            Some("yyyy-mm-dd"),
            Some("# ##0.00"),
            // Quotes, `<`, `>` and `&` escaped in the attribute.
            Some("0\" kr\""),
            Some("[<0]-0;[>=1000]0 \"&\""),
        ]);
        // 11 is rust_xlsxwriter's default size: no format of its own.
        let size = proptest::sample::select(vec![None, Some(11), Some(14), Some(16)]);
        let fill = proptest::sample::select(vec![None, Some(0xFF_F2_CC), Some(0x12_34_56)]);
        (
            (any::<bool>(), any::<bool>(), size, num_format),
            (any::<bool>(), any::<bool>(), any::<bool>(), fill),
        )
            .prop_map(
                |((bold, italic, size, num_format), (right, wrap, underline_border, fill))| Look {
                    bold,
                    italic,
                    size,
                    num_format,
                    right,
                    wrap,
                    underline_border,
                    fill,
                },
            )
    }

    /// A named style or any format, or none.
    fn style() -> impl Strategy<Value = Option<Style>> {
        proptest::option::of(prop_oneof![
            proptest::sample::select(STYLES.to_vec()),
            look().prop_map(Style::Look),
        ])
    }

    /// A formula of the audit workbook's kind (with `<`, `&`, a quoted sheet name, a text in
    /// quotes), or with an `=` or braces rust_xlsxwriter drops.
    fn formula() -> impl Strategy<Value = String> {
        proptest::sample::select(vec![
            "ROUND(C12*$B$9,0)",
            "IF($B$6<0,-1,1)",
            "SUMPRODUCT(--(H$12:H$35>H12))",
            "'Kostnadspost 1'!$B$7&\" kr <ö>\"",
            "=MAX(1,MIN(2,3))",
            "{=SUM(A1:A3)}",
            "IF(AND(A1>0,B1<>\"_x0041_\"),DATE(YEAR(A1),MONTH(A1)+1,DAY(A1)),\"\")",
        ])
        .prop_map(str::to_owned)
    }

    /// A formula's cached result: a number's text, a boolean, an error value or any text.
    fn result() -> impl Strategy<Value = String> {
        prop_oneof![
            (-1e16..1e16f64).prop_map(|n| n.to_string()),
            proptest::sample::select(vec!["TRUE", "FALSE", "#N/A", "#DIV/0!", "", "-0", "1e5"])
                .prop_map(str::to_owned),
            text(),
        ]
    }

    fn op() -> impl Strategy<Value = (usize, Op)> {
        (
            0..2usize,
            prop_oneof![
                (0..40u32, 0..30u16, text(), style()).prop_map(|(r, c, t, s)| Op::Text(r, c, t, s)),
                (0..40u32, 0..30u16, -1e16..1e16f64, style())
                    .prop_map(|(r, c, n, s)| Op::Number(r, c, n, s)),
                (0..40u32, 0..30u16, formula(), result(), style())
                    .prop_map(|(r, c, f, v, s)| Op::Formula(r, c, f, v, s)),
                // Widths above Excel's 255, which rust_xlsxwriter caps.
                (0..10u16, 1..400u16).prop_map(|(c, w)| Op::Width(c, w)),
                // One line is Excel's default height, a row without one.
                (0..40u32, 1..28u32).prop_map(|(r, l)| Op::Height(r, l)),
            ],
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_cells_make_rust_xlsxwriters_bytes(ops in proptest::collection::vec(op(), 0..60)) {
            let (ours, theirs) = both(&ops);
            prop_assert!(ours == theirs, "{}", difference(&ours, &theirs));
        }
    }

    /// A sheet of a streamed workbook: its page setup, whether it is frozen below its first
    /// `freeze` rows once the next sheet is added (as a table continued on further sheets),
    /// and its writes, each at a row relative to the furthest row so far (-1 writes the row
    /// before it, as the fee review completes a review's last row).
    #[derive(Clone, Debug)]
    struct Streaming {
        page: Page,
        freeze: u32,
        /// The row printed on every page, if any.
        repeat: Option<u32>,
        ops: Vec<(i32, Op)>,
    }

    /// The workbook of `sheets` as [`Streamed`] makes it, its rows written out as they go (all
    /// but the row before the furthest), and as rust_xlsxwriter makes it.
    fn both_streamed(sheets: &[Streaming]) -> (Vec<u8>, Vec<u8>) {
        let mut book = Streamed::new("Sammanställning", date(), 1);
        let mut wb = Workbook::new();
        wb.set_properties(&properties("Sammanställning", date()));
        wb.set_zip_compression_level(1);
        for (i, sheet) in sheets.iter().enumerate() {
            let name = if i == 0 {
                "Kassaflöde".to_owned()
            } else {
                format!("Kassaflöde ({})", i + 1)
            };
            let index = book.add_sheet(&name, sheet.page).expect("a sheet");
            let ws = wb.add_worksheet().set_name(&name).expect("a name");
            if sheet.page != Page::Default {
                ws.set_paper_size(9).set_print_fit_to_pages(1, 0);
                if sheet.page == Page::Landscape {
                    ws.set_landscape();
                }
            }
            if let Some(row) = sheet.repeat {
                ws.set_repeat_rows(row, row).expect("repeated");
                book.sheet(index)
                    .expect("open")
                    .set_repeat_row(row)
                    .expect("repeated");
            }
            if let Some(previous) = i.checked_sub(1).and_then(|p| sheets.get(p)) {
                if previous.freeze > 0 {
                    book.sheet(i - 1)
                        .expect("open")
                        .set_freeze_rows(previous.freeze)
                        .expect("frozen");
                    wb.worksheet_from_index(i - 1)
                        .expect("sheet")
                        .set_freeze_panes(previous.freeze, 0)
                        .expect("frozen");
                }
            }
            let mut furthest = 0u32;
            for (step, op) in &sheet.ops {
                let at = |r: u32| {
                    let row = i64::from(furthest) + i64::from(*step) + i64::from(r % 2);
                    u32::try_from(row.max(0)).unwrap_or(0)
                };
                book.flush(index, furthest.saturating_sub(1))
                    .expect("flushed");
                let ws = wb.worksheet_from_index(index).expect("sheet");
                let ours = book.sheet(index).expect("open");
                if let Some(row) = apply(op, ours, ws, at) {
                    furthest = furthest.max(row);
                }
            }
        }
        (
            book.save().expect("ours"),
            wb.save_to_buffer().expect("theirs"),
        )
    }

    fn streaming() -> impl Strategy<Value = Streaming> {
        let page = prop_oneof![
            Just(Page::Default),
            Just(Page::Portrait),
            Just(Page::Landscape)
        ];
        let step = prop_oneof![Just(-1), Just(0), Just(0), Just(1), Just(2), Just(17)];
        (
            page,
            prop_oneof![Just(0u32), 1..4u32],
            proptest::option::of(0..40u32),
            proptest::collection::vec((step, op().prop_map(|(_, op)| op)), 0..50),
        )
            .prop_map(|(page, freeze, repeat, ops)| Streaming {
                page,
                freeze,
                repeat,
                ops,
            })
    }

    #[test]
    fn a_table_on_three_sheets_is_rust_xlsxwriters_byte_for_byte() {
        let row = |n: u32| {
            vec![
                (1, Op::Text(0, 0, format!("part {n}"), None)),
                (0, Op::Number(0, 2, f64::from(n) / 100.0, st(6))),
                (0, Op::Text(0, 1, "2024-02-29".into(), None)),
            ]
        };
        let sheet = |page, freeze, rows: std::ops::Range<u32>| {
            let mut ops = vec![
                (0, Op::Width(0, 15)),
                (0, Op::Width(1, 30)),
                (0, Op::Text(0, 0, "Rubrik".into(), st(0))),
                (2, Op::Text(0, 0, "Part".into(), st(2))),
                (0, Op::Height(0, 3)),
            ];
            ops.extend(rows.flat_map(row));
            // A back-write into the row before the furthest, after it was started.
            ops.push((-1, Op::Number(0, 5, 1.5, st(7))));
            Streaming {
                page,
                freeze,
                repeat: Some(2),
                ops,
            }
        };
        let sheets = [
            sheet(Page::Landscape, 3, 0..40),
            sheet(Page::Landscape, 3, 40..75),
            sheet(Page::Landscape, 3, 75..76),
            sheet(Page::Default, 0, 0..0),
        ];
        let (ours, theirs) = both_streamed(&sheets);
        assert!(ours == theirs, "{}", difference(&ours, &theirs));
    }

    /// The writes this writer refuses and rust_xlsxwriter does not (module documentation) name
    /// the sheet and the place.
    #[test]
    fn refused_writes_name_the_sheet_and_the_place() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 2, 1).expect("a date");
        let mut book = Streamed::new("Sammanställning", date, 1);
        let index = book
            .add_sheet("Kassaflöde", Page::Landscape)
            .expect("a sheet");
        book.flush(index, 40).expect("rows above 32 written out");
        let ws = book.sheet(index).expect("open");
        let message = |r: Result<&mut Sheet, XlsxError>| match r {
            Err(XlsxError::ParameterError(m)) => m,
            other => panic!("{:?}", other.map(|_| ())),
        };
        assert_eq!(
            message(ws.write_number(31, 0, 1.0, None)),
            "Kassaflöde: row 32 is already written out"
        );
        assert_eq!(
            message(ws.write_string(5, 2, "x", Some(Style::Bold))),
            "Kassaflöde: row 6 is already written out"
        );
        assert!(ws.write_number(32, 0, 1.0, None).is_ok(), "row 33 is open");
        assert_eq!(
            message(ws.write_number(40, 27, f64::NAN, None)),
            "Kassaflöde!AB41: NaN is not a spreadsheet number"
        );
        assert_eq!(
            message(ws.write_number(40, 0, f64::NEG_INFINITY, None)),
            "Kassaflöde!A41: -inf is not a spreadsheet number"
        );
        // A function rust_xlsxwriter would write with a prefix, outside a text in quotes.
        assert_eq!(
            message(ws.write_formula(40, 1, "ROUND(XLOOKUP(A1,B:B,C:C),0)", "1", None)),
            "Kassaflöde!B41: the function XLOOKUP is not one this writer writes (only functions of Excel 2007)"
        );
        assert!(ws
            .write_formula(40, 1, r#"IF(A1>0,"CONCAT(x)",ROUND(A1,0))"#, "x", None)
            .is_ok());
        // rust_xlsxwriter's own refusals, located.
        assert_eq!(
            message(ws.write_string(40, 3, "å".repeat(32_768), None)),
            "Kassaflöde!D41: a text of 32768 characters, more than the 32,767 a cell holds"
        );
        assert_eq!(
            message(ws.write_number(1_048_576, 0, 1.0, None)),
            "Kassaflöde!row 1048577, column 1: outside the sheet (at most 1,048,576 rows and 16,384 columns)"
        );
        assert_eq!(
            message(ws.write_formula(40, 16_384, "1", "1", None)),
            "Kassaflöde!row 41, column 16385: outside the sheet (at most 1,048,576 rows and 16,384 columns)"
        );
        let beyond_rows = "outside the sheet (at most 1,048,576 rows)";
        let refused = [
            (
                ws.set_column_width(16_384, 10),
                "Kassaflöde!column 16385: outside the sheet (at most 16,384 columns)",
            ),
            (
                ws.set_column_width(27, 0),
                "Kassaflöde!AB: a width of 0 (a hidden column) is not written",
            ),
            (
                ws.set_row_height(40, 0),
                "Kassaflöde!row 41: a height of 0 (a hidden row) is not written",
            ),
            (
                ws.set_row_height(1_048_576, 30),
                "Kassaflöde!row 1048577, column 1: outside the sheet (at most 1,048,576 rows and 16,384 columns)",
            ),
            (ws.set_freeze_rows(1_048_576), "Kassaflöde!row 1048577: "),
            (ws.set_repeat_row(1_048_576), "Kassaflöde!row 1048577: "),
        ];
        for (result, said) in refused {
            let said = if said.ends_with(": ") {
                format!("{said}{beyond_rows}")
            } else {
                said.to_owned()
            };
            match result {
                Err(XlsxError::ParameterError(m)) => assert_eq!(m, said),
                other => panic!("{other:?}: {said}"),
            }
        }
    }

    /// A cell whose format the workbook does not know is an error naming the cell, not a cell
    /// written without its format.
    #[test]
    fn a_cell_of_an_unknown_format_is_an_error() {
        let mut sheet = Sheet::new("Fakturor", Page::Landscape);
        sheet
            .write_number(6, 1, 1.5, Some(Style::Bold))
            .expect("a number");
        let mut out = String::new();
        let made = sheet.xml(true, &[0], &mut Strings::default(), &mut out);
        match made {
            Err(XlsxError::ParameterError(m)) => {
                assert_eq!(m, "Fakturor!B7: the format 1 is not in the workbook");
            }
            other => panic!("{other:?}"),
        }
    }

    /// A width above Excel's 255 characters is 255, as rust_xlsxwriter caps it (1,790 pixels).
    #[test]
    fn a_width_above_255_is_capped_at_255() {
        let mut sheet = Sheet::new("Fakturor", Page::Landscape);
        sheet.set_column_width(2, 302).expect("a width");
        sheet.set_column_width(3, 255).expect("a width");
        let mut out = String::new();
        sheet.head_xml(true, &mut out);
        assert!(
            out.contains(r#"<col min="3" max="4" width="255.7109375" customWidth="1"/>"#),
            "{out}"
        );
    }

    /// A part of many megabytes is deflated as the zip crate deflates it (flate2's writer with
    /// its 32 kB buffer): the overview's sheets at 100,000 parties are 30 to 220 MB of XML.
    #[test]
    fn a_large_part_is_deflated_as_flate2s_writer_deflates_it() {
        let mut xml = String::new();
        let mut x: u64 = 1;
        for row in 1..150_000u32 {
            // A cheap pseudo-random sequence: amounts and strings as the overview has them.
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let _ = write!(
                xml,
                r#"<row r="{row}" spans="1:5"><c r="A{row}" t="s"><v>{}</v></c><c r="C{row}" s="3"><v>{}.{:02}</v></c></row>"#,
                x >> 50,
                (x >> 20) % 100_000,
                (x >> 8) % 100
            );
        }
        for level in [1, 6] {
            let ours = pack("xl/worksheets/sheet1.xml", xml.as_bytes(), level).expect("packed");
            let mut encoder = flate2::write::DeflateEncoder::new(
                Vec::new(),
                flate2::Compression::new(u32::from(level)),
            );
            std::io::Write::write_all(&mut encoder, xml.as_bytes()).expect("deflated");
            let theirs = encoder.finish().expect("finished");
            assert!(
                theirs.len() > 1_000_000,
                "{} bytes: too small a test",
                theirs.len()
            );
            assert!(ours.data == theirs, "level {level}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_streamed_sheets_make_rust_xlsxwriters_bytes(
            sheets in proptest::collection::vec(streaming(), 1..4)
        ) {
            let (ours, theirs) = both_streamed(&sheets);
            prop_assert!(ours == theirs, "{}", difference(&ours, &theirs));
        }
    }
}
