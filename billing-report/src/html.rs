//! The report page (issue 15): one self-contained HTML5 file with charts and their tables, for
//! the year report and for `run`'s overview. The computing side fills a [`ReportPage`]; this
//! module only lays it out.
//!
//! What the page promises, whatever the model holds:
//! - **Self-contained**: inline CSS and inline SVG, the system's fonts, no script, no reference
//!   to anything outside the file. A Content-Security-Policy in the page forbids every load, so
//!   a reference that slipped in would be refused (and shown as a console error) rather than
//!   fetched.
//! - **Every chart has its table**: the table of a chart is made from the chart's own figures,
//!   so the two cannot disagree; the SVG is `role="img"` with a `<title>` and points at the
//!   table with `aria-describedby`, for screen readers and for copying into a spreadsheet.
//! - **Exact figures**: the model holds [`Money`] and [`Decimal`]; tables print them the Swedish
//!   way (`1 234 567,50 kr`, `3,52 %`). Chart geometry is computed in [`Decimal`] too and
//!   rounded to a hundredth of a user unit, so no floating point is involved anywhere and the
//!   same model always gives the same bytes.
//! - **Phones and paper**: charts scale with their `viewBox`, tables scroll sideways inside
//!   their own box, `@page { size: A4 }`; a printed chart is not broken across pages unless it
//!   is too tall to stay legible on one (more than about 60 bars), then it continues.
//! - **Many parties**: a bar chart grows in height with the number of bars (290 municipalities
//!   give a tall chart, never overlapping labels); a long name is shortened with an ellipsis in
//!   the chart only, and the table and the bar's tooltip carry the full name.
//!
//! The page is also well-formed XML (every element closed, void elements self-closed, no named
//! entities), so tests and tools can read it with an XML parser.
//!
//! Why SVG written here rather than a charting crate: plotters (0.3.7, SVG backend, no font
//! features) adds five crates, builds in about 14 s on one core here, and writes text as text, but its SVG has a fixed pixel size, no
//! `role`, `<title>`, ids or classes to hang accessibility and print styles on, and it lays out
//! labels without knowing the font; we would post-process its output string. The four chart
//! kinds here are rectangles, lines and text on linear scales: a few hundred lines that we
//! control to the byte.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use billing_core::Money;

use crate::document::Language;

/// A report page: a title, an optional subtitle and its sections, in one language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportPage {
    /// The page's title (`<title>` and `<h1>`), e.g. "Kostnadsfördelning 2011".
    pub title: String,
    /// A line under the title, e.g. the agreement and the date the figures were taken.
    pub subtitle: Option<String>,
    /// The language of the page and of every label it generates.
    pub language: Language,
    /// The sections, in order.
    pub sections: Vec<Section>,
}

/// One section of the page: a heading, an optional text, an optional chart (always followed by
/// the table of its figures) and an optional further table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// The section's heading (`<h2>`).
    pub heading: String,
    /// A paragraph under the heading.
    pub intro: Option<String>,
    /// A chart; its table is made from the chart's own figures.
    pub chart: Option<Chart>,
    /// A table of its own (e.g. every column of the year view, where the chart shows a few).
    pub table: Option<Table>,
}

/// The four kinds of chart the reports need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chart {
    /// One horizontal bar per party, one segment per cost category.
    Stacked(StackedBars),
    /// Two bars per party side by side: e.g. its share of the cost and of the population.
    Paired(PairedBars),
    /// Running balances over dates, one line per series.
    Lines(LineChart),
    /// One bar per party to the right (positive) or left (negative) of zero.
    Diverging(DivergingBars),
}

/// A stacked horizontal bar chart: each bar's values, one per category, add up to its total.
/// Negative values (corrections, credits) are stacked to the left of zero, positive ones to the
/// right, so a bar spans from the sum of its negative values to the sum of its positive ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackedBars {
    caption: String,
    categories: Vec<String>,
    bars: Vec<StackedBar>,
}

/// One bar of a [`StackedBars`]: a label and one amount per category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackedBar {
    label: String,
    values: Vec<Money>,
}

/// Two bars per party, in per cent: `first` and `second` are shares (fractions of one, so
/// `0.0352` is shown as `3,52 %`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairedBars {
    /// What the chart shows, e.g. "Andel av kostnaden och av befolkningen 2011".
    pub caption: String,
    /// The name of the first bar of each pair, e.g. "Andel av kostnaden".
    pub first_name: String,
    /// The name of the second bar of each pair, e.g. "Andel av befolkningen".
    pub second_name: String,
    /// The pairs, in the order shown.
    pub bars: Vec<PairedBar>,
}

/// One pair of a [`PairedBars`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairedBar {
    /// The party's name.
    pub label: String,
    /// The first share, a fraction of one.
    pub first: Decimal,
    /// The second share, a fraction of one.
    pub second: Decimal,
}

/// Running balances over dates, e.g. the coordinator's and the providers' cash flow over a year.
/// Each series holds its balance after each date it changes; the balance holds until its next
/// point, so the lines are drawn as steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineChart {
    caption: String,
    series: Vec<Series>,
}

/// One line of a [`LineChart`]: a name and its points, dates strictly increasing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    name: String,
    points: Vec<(NaiveDate, Money)>,
}

/// One bar per party from zero, to the right when positive and to the left when negative: e.g.
/// the difference a scenario makes against the base.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DivergingBars {
    /// What the chart shows, e.g. "Skillnad mot i dag: BBB lämnar".
    pub caption: String,
    /// The name of the value, the table's column heading, e.g. "Skillnad".
    pub value_name: String,
    /// The bars, in the order shown.
    pub bars: Vec<DivergingBar>,
}

/// One bar of a [`DivergingBars`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DivergingBar {
    /// The party's name.
    pub label: String,
    /// The value, positive or negative.
    pub value: Money,
}

/// A table: a caption, a heading for the first column (which holds each row's heading), the
/// other columns' headings, rows with one cell per column, and an optional footer row (a sum).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    caption: String,
    row_heading: String,
    columns: Vec<String>,
    rows: Vec<Row>,
    footer: Option<Row>,
}

/// One row of a [`Table`]: its heading (e.g. the party's name) and one cell per column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    heading: String,
    cells: Vec<Cell>,
}

/// A table cell. Figures are kept exact and formatted only when written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Text, e.g. the rule that made a difference.
    Text(String),
    /// An amount, shown as `1 234 567,50 kr`.
    Amount(Money),
    /// A share as a fraction of one, shown in per cent with two decimals: `3,52 %`.
    Share(Decimal),
    /// A plain number, e.g. a population, shown with its decimals: `66 571`.
    Number(Decimal),
    /// A date, shown as `2011-07-01`.
    Date(NaiveDate),
    /// Nothing.
    Empty,
}

/// A model that breaks an invariant of its type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A bar or row whose number of values differs from the number of categories or columns.
    #[error("{what} {label:?}: {found} values for {expected} columns")]
    WrongLength {
        /// What was being added, e.g. "stacked bar" or "table row".
        what: &'static str,
        /// Its label.
        label: String,
        /// The number of categories or columns.
        expected: usize,
        /// The number of values given.
        found: usize,
    },
    /// A series whose dates do not increase.
    #[error("series {series:?}: dates must increase, {date} follows {previous}")]
    DatesNotIncreasing {
        /// The series' name.
        series: String,
        /// The earlier point's date.
        previous: NaiveDate,
        /// The date that does not follow it.
        date: NaiveDate,
    },
}

/// Writes `page` as one self-contained HTML5 document.
///
/// The output depends on nothing but `page`: the same model gives the same bytes.
pub fn render(page: &ReportPage) -> String {
    let words = Words::of(page.language);
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!DOCTYPE html>\n");
    w(
        &mut out,
        format_args!("<html lang=\"{}\">\n<head>\n", words.lang),
    );
    out.push_str("<meta charset=\"utf-8\"/>\n");
    out.push_str(
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'\"/>\n",
    );
    w(
        &mut out,
        format_args!("<title>{}</title>\n", esc(&page.title)),
    );
    out.push_str("<style>\n");
    out.push_str(CSS);
    out.push_str("</style>\n</head>\n<body>\n<main>\n<header>\n");
    w(&mut out, format_args!("<h1>{}</h1>\n", esc(&page.title)));
    if let Some(subtitle) = &page.subtitle {
        w(
            &mut out,
            format_args!("<p class=\"subtitle\">{}</p>\n", esc(subtitle)),
        );
    }
    out.push_str("</header>\n");
    for (i, section) in page.sections.iter().enumerate() {
        write_section(&mut out, section, &format!("s{}", i + 1), words);
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

impl StackedBars {
    /// An empty chart with its caption and the names of its categories (the segments of each
    /// bar, e.g. pools, user fees, transactions, cooperation fees).
    pub fn new(caption: impl Into<String>, categories: Vec<String>) -> StackedBars {
        StackedBars {
            caption: caption.into(),
            categories,
            bars: Vec::new(),
        }
    }

    /// Adds a bar with one value per category, in the categories' order.
    ///
    /// # Errors
    /// [`ModelError::WrongLength`] when `values` does not have one value per category.
    pub fn push(&mut self, label: impl Into<String>, values: Vec<Money>) -> Result<(), ModelError> {
        let label = label.into();
        if values.len() != self.categories.len() {
            return Err(ModelError::WrongLength {
                what: "stacked bar",
                label,
                expected: self.categories.len(),
                found: values.len(),
            });
        }
        self.bars.push(StackedBar { label, values });
        Ok(())
    }

    /// What the chart shows.
    pub fn caption(&self) -> &str {
        &self.caption
    }

    /// The names of the categories.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// The bars, in the order shown.
    pub fn bars(&self) -> &[StackedBar] {
        &self.bars
    }
}

impl StackedBar {
    /// The party's name.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// One value per category.
    pub fn values(&self) -> &[Money] {
        &self.values
    }

    /// The sum of the values.
    pub fn total(&self) -> Money {
        self.values.iter().sum()
    }
}

impl LineChart {
    /// An empty chart with its caption.
    pub fn new(caption: impl Into<String>) -> LineChart {
        LineChart {
            caption: caption.into(),
            series: Vec::new(),
        }
    }

    /// Adds a series: the balance after each date it changes.
    ///
    /// # Errors
    /// [`ModelError::DatesNotIncreasing`] when a date does not follow the one before it.
    pub fn push(
        &mut self,
        name: impl Into<String>,
        points: Vec<(NaiveDate, Money)>,
    ) -> Result<(), ModelError> {
        let name = name.into();
        for pair in points.windows(2) {
            if let [(previous, _), (date, _)] = pair {
                if date <= previous {
                    return Err(ModelError::DatesNotIncreasing {
                        series: name,
                        previous: *previous,
                        date: *date,
                    });
                }
            }
        }
        self.series.push(Series { name, points });
        Ok(())
    }

    /// What the chart shows.
    pub fn caption(&self) -> &str {
        &self.caption
    }

    /// The series, in the order of the legend.
    pub fn series(&self) -> &[Series] {
        &self.series
    }
}

impl Series {
    /// The series' name, e.g. "Samordnaren".
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The balance after each date it changes, dates increasing.
    pub fn points(&self) -> &[(NaiveDate, Money)] {
        &self.points
    }
}

impl Table {
    /// An empty table: its caption, the heading of the first column (the rows' headings, e.g.
    /// "Part") and the headings of the other columns.
    pub fn new(
        caption: impl Into<String>,
        row_heading: impl Into<String>,
        columns: Vec<String>,
    ) -> Table {
        Table {
            caption: caption.into(),
            row_heading: row_heading.into(),
            columns,
            rows: Vec::new(),
            footer: None,
        }
    }

    /// Adds a row with one cell per column.
    ///
    /// # Errors
    /// [`ModelError::WrongLength`] when `cells` does not have one cell per column.
    pub fn push_row(
        &mut self,
        heading: impl Into<String>,
        cells: Vec<Cell>,
    ) -> Result<(), ModelError> {
        let row = self.row("table row", heading.into(), cells)?;
        self.rows.push(row);
        Ok(())
    }

    /// Sets the footer row (e.g. "Summa") with one cell per column.
    ///
    /// # Errors
    /// [`ModelError::WrongLength`] when `cells` does not have one cell per column.
    pub fn set_footer(
        &mut self,
        heading: impl Into<String>,
        cells: Vec<Cell>,
    ) -> Result<(), ModelError> {
        self.footer = Some(self.row("table footer", heading.into(), cells)?);
        Ok(())
    }

    fn row(
        &self,
        what: &'static str,
        heading: String,
        cells: Vec<Cell>,
    ) -> Result<Row, ModelError> {
        if cells.len() != self.columns.len() {
            return Err(ModelError::WrongLength {
                what,
                label: heading,
                expected: self.columns.len(),
                found: cells.len(),
            });
        }
        Ok(Row { heading, cells })
    }

    /// The caption.
    pub fn caption(&self) -> &str {
        &self.caption
    }

    /// The heading of the first column.
    pub fn row_heading(&self) -> &str {
        &self.row_heading
    }

    /// The headings of the other columns.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The rows.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The footer row, if any.
    pub fn footer(&self) -> Option<&Row> {
        self.footer.as_ref()
    }
}

impl Row {
    /// The row's heading.
    pub fn heading(&self) -> &str {
        &self.heading
    }

    /// One cell per column.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }
}

impl Chart {
    /// What the chart shows.
    pub fn caption(&self) -> &str {
        match self {
            Chart::Stacked(c) => &c.caption,
            Chart::Paired(c) => &c.caption,
            Chart::Lines(c) => &c.caption,
            Chart::Diverging(c) => &c.caption,
        }
    }

    /// The table of the chart's figures, as the page shows it beside the chart: every figure
    /// of the chart, and the sums, in the page's language.
    pub fn table(&self, language: Language) -> Table {
        chart_table(self, Words::of(language))
    }
}

/// An amount as the page prints it: `1 234 567,50 kr` (Swedish) or `1 234 567,50 SEK`.
pub fn amount_text(amount: Money, language: Language) -> String {
    format!("{} {}", amount.to_swedish(), Words::of(language).currency)
}

/// A share (a fraction of one) as the page prints it: per cent with two decimals, `3,52 %`.
pub fn share_text(share: Decimal) -> String {
    format!(
        "{} %",
        fixed2(share.checked_mul(HUNDRED).unwrap_or(Decimal::MAX))
    )
}

// ---------------------------------------------------------------------------------------------
// Words the page generates.

#[derive(Clone, Copy)]
struct Words {
    lang: &'static str,
    currency: &'static str,
    total: &'static str,
    party: &'static str,
    date: &'static str,
    increase: &'static str,
    decrease: &'static str,
    table_of: &'static str,
    chart_note: &'static str,
    thousands: &'static str,
    millions: &'static str,
    months: [&'static str; 12],
}

const SV: Words = Words {
    lang: "sv",
    currency: "kr",
    total: "Summa",
    party: "Part",
    date: "Datum",
    increase: "Ökning",
    decrease: "Minskning",
    table_of: "Tabell",
    chart_note: "Diagram. Samma siffror finns i tabellen efter diagrammet.",
    thousands: "tkr",
    millions: "mnkr",
    months: [
        "jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
    ],
};

const EN: Words = Words {
    lang: "en",
    currency: "SEK",
    total: "Total",
    party: "Party",
    date: "Date",
    increase: "Increase",
    decrease: "Decrease",
    table_of: "Table",
    chart_note: "Chart. The table after the chart holds the same figures.",
    thousands: "kSEK",
    millions: "MSEK",
    months: [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
};

impl Words {
    fn of(language: Language) -> Words {
        match language {
            Language::Sv => SV,
            Language::En => EN,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sections and tables.

fn write_section(out: &mut String, section: &Section, id: &str, words: Words) {
    w(
        out,
        format_args!(
            "<section aria-labelledby=\"{id}-h\">\n<h2 id=\"{id}-h\">{}</h2>\n",
            esc(&section.heading)
        ),
    );
    if let Some(intro) = &section.intro {
        w(out, format_args!("<p>{}</p>\n", esc(intro)));
    }
    if let Some(chart) = &section.chart {
        let table_id = format!("{id}-data");
        let table = chart_table(chart, words);
        // Side by side on a wide screen when the table is narrow enough to be read there;
        // a wider table goes under its chart, across the page.
        let layout = if table.columns.len() <= 3 {
            "pair"
        } else {
            "stack"
        };
        w(out, format_args!("<div class=\"{layout}\">\n"));
        write_chart(out, chart, id, &table_id, words);
        write_table(out, &table, &table_id, words);
        out.push_str("</div>\n");
    }
    if let Some(table) = &section.table {
        write_table(out, table, &format!("{id}-table"), words);
    }
    out.push_str("</section>\n");
}

fn write_table(out: &mut String, table: &Table, id: &str, words: Words) {
    // A scrollable box must be reachable by keyboard: tabindex and a name.
    w(
        out,
        format_args!(
            "<div class=\"table-box\" role=\"region\" tabindex=\"0\" aria-labelledby=\"{id}-cap\">\n\
             <table id=\"{id}\">\n<caption id=\"{id}-cap\"><span>{}</span></caption>\n<thead>\n<tr><th scope=\"col\">{}</th>",
            esc(&table.caption),
            esc(&table.row_heading)
        ),
    );
    for (i, column) in table.columns.iter().enumerate() {
        let numeric = table
            .rows
            .iter()
            .chain(table.footer.as_ref())
            .any(|r| r.cells.get(i).is_some_and(is_numeric));
        let class = if numeric { " class=\"num\"" } else { "" };
        w(
            out,
            format_args!("<th scope=\"col\"{class}>{}</th>", esc(column)),
        );
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for row in &table.rows {
        write_row(out, row, words);
    }
    out.push_str("</tbody>\n");
    if let Some(footer) = &table.footer {
        out.push_str("<tfoot>\n");
        write_row(out, footer, words);
        out.push_str("</tfoot>\n");
    }
    out.push_str("</table>\n</div>\n");
}

fn write_row(out: &mut String, row: &Row, words: Words) {
    w(
        out,
        format_args!("<tr><th scope=\"row\">{}</th>", esc(&row.heading)),
    );
    for cell in &row.cells {
        let class = if is_numeric(cell) {
            " class=\"num\""
        } else {
            ""
        };
        w(
            out,
            format_args!("<td{class}>{}</td>", esc(&cell_text(cell, words))),
        );
    }
    out.push_str("</tr>\n");
}

fn is_numeric(cell: &Cell) -> bool {
    matches!(
        cell,
        Cell::Amount(_) | Cell::Share(_) | Cell::Number(_) | Cell::Date(_)
    )
}

fn cell_text(cell: &Cell, words: Words) -> String {
    match cell {
        Cell::Text(text) => text.clone(),
        Cell::Amount(m) => format!("{} {}", m.to_swedish(), words.currency),
        Cell::Share(s) => share_text(*s),
        Cell::Number(n) => billing_core::explain::swedish_decimal(*n, 10),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        Cell::Empty => String::new(),
    }
}

/// The table of a chart's figures.
fn chart_table(chart: &Chart, words: Words) -> Table {
    let mut table = chart_figures(chart, words);
    table.caption = format!("{}: {}", words.table_of, table.caption);
    table
}

fn chart_figures(chart: &Chart, words: Words) -> Table {
    match chart {
        Chart::Stacked(c) => {
            let mut columns = c.categories.clone();
            columns.push(words.total.to_owned());
            let mut sums = vec![Money::ZERO; c.categories.len()];
            let mut rows = Vec::with_capacity(c.bars.len());
            for bar in &c.bars {
                let mut cells: Vec<Cell> = bar.values.iter().map(|v| Cell::Amount(*v)).collect();
                cells.push(Cell::Amount(bar.total()));
                for (sum, v) in sums.iter_mut().zip(&bar.values) {
                    *sum += *v;
                }
                rows.push(Row {
                    heading: bar.label.clone(),
                    cells,
                });
            }
            let grand: Money = sums.iter().sum();
            let mut footer: Vec<Cell> = sums.into_iter().map(Cell::Amount).collect();
            footer.push(Cell::Amount(grand));
            Table {
                caption: c.caption.clone(),
                row_heading: words.party.to_owned(),
                columns,
                rows,
                footer: Some(Row {
                    heading: words.total.to_owned(),
                    cells: footer,
                }),
            }
        }
        Chart::Paired(c) => {
            let rows = c
                .bars
                .iter()
                .map(|b| Row {
                    heading: b.label.clone(),
                    cells: vec![Cell::Share(b.first), Cell::Share(b.second)],
                })
                .collect();
            let first: Decimal = c.bars.iter().map(|b| b.first).fold(Decimal::ZERO, sat_add);
            let second: Decimal = c.bars.iter().map(|b| b.second).fold(Decimal::ZERO, sat_add);
            Table {
                caption: c.caption.clone(),
                row_heading: words.party.to_owned(),
                columns: vec![c.first_name.clone(), c.second_name.clone()],
                rows,
                footer: Some(Row {
                    heading: words.total.to_owned(),
                    cells: vec![Cell::Share(first), Cell::Share(second)],
                }),
            }
        }
        Chart::Lines(c) => {
            let dates: BTreeSet<NaiveDate> = c
                .series
                .iter()
                .flat_map(|s| s.points.iter().map(|(d, _)| *d))
                .collect();
            // Each series' balance on each date: the balance of its latest point on or before
            // the date (a balance holds until it changes), nothing before its first point.
            let mut cursors = vec![0usize; c.series.len()];
            let mut current: Vec<Option<Money>> = vec![None; c.series.len()];
            let mut rows = Vec::with_capacity(dates.len());
            for date in dates {
                let mut cells = Vec::with_capacity(c.series.len());
                for (k, series) in c.series.iter().enumerate() {
                    while let Some((d, v)) = series.points.get(cursors[k]) {
                        if *d > date {
                            break;
                        }
                        current[k] = Some(*v);
                        cursors[k] += 1;
                    }
                    cells.push(current[k].map_or(Cell::Empty, Cell::Amount));
                }
                rows.push(Row {
                    heading: date.format("%Y-%m-%d").to_string(),
                    cells,
                });
            }
            Table {
                caption: c.caption.clone(),
                row_heading: words.date.to_owned(),
                columns: c.series.iter().map(|s| s.name.clone()).collect(),
                rows,
                footer: None,
            }
        }
        Chart::Diverging(c) => {
            let rows = c
                .bars
                .iter()
                .map(|b| Row {
                    heading: b.label.clone(),
                    cells: vec![Cell::Amount(b.value)],
                })
                .collect();
            let sum: Money = c.bars.iter().map(|b| b.value).sum();
            Table {
                caption: c.caption.clone(),
                row_heading: words.party.to_owned(),
                columns: vec![c.value_name.clone()],
                rows,
                footer: Some(Row {
                    heading: words.total.to_owned(),
                    cells: vec![Cell::Amount(sum)],
                }),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Charts.

/// The width of every chart in SVG user units; the page scales it to the space it has.
const WIDTH: i64 = 400;
/// The right edge of the bar labels.
const LABEL_RIGHT: i64 = 154;
/// The plot area of horizontal bar charts (room at the right for half a tick label).
const BAR_X0: i64 = 160;
const BAR_X1: i64 = 384;
/// Room above the first bar (tick labels) and below the last (tick labels again).
const BAR_TOP: i64 = 22;
const BAR_BOTTOM: i64 = 22;
/// The width of the label column in thousandths of the label font's size (10.5 units in the
/// page's CSS): 150 units.
const LABEL_ROOM: u32 = 150 * 1000 * 2 / 21;

/// The height above which a chart is continued across printed pages rather than shrunk into
/// one: at 150 mm wide and 250 mm high, 1000 units keep a label at about 7 pt.
const TALL: i64 = 1000;

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

fn write_chart(out: &mut String, chart: &Chart, id: &str, table_id: &str, words: Words) {
    let caption = chart.caption();
    let (height, body, legend) = match chart {
        Chart::Stacked(c) => stacked_svg(c, words),
        Chart::Paired(c) => paired_svg(c, words),
        Chart::Lines(c) => lines_svg(c, words),
        Chart::Diverging(c) => diverging_svg(c, words),
    };
    // On paper a chart is shrunk to fit its page, unbroken, as long as its labels stay legible
    // there (about 60 bars); a taller one is continued on the next pages at its own scale.
    let class = if height > TALL { " class=\"tall\"" } else { "" };
    w(
        out,
        format_args!(
            "<figure{class}>\n<figcaption id=\"{id}-cap\">{cap}</figcaption>\n\
             <svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" \
             width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-labelledby=\"{id}-title\" \
             aria-describedby=\"{table_id}\">\n<title id=\"{id}-title\">{cap}</title>\n<desc>{note}</desc>\n",
            cap = esc(caption),
            note = esc(words.chart_note),
        ),
    );
    out.push_str(&body);
    out.push_str("</svg>\n");
    if !legend.is_empty() {
        out.push_str("<ul class=\"legend\">\n");
        for (key, name) in &legend {
            let sample = match key {
                Key::Area(class) => format!(
                    "<svg class=\"key\" viewBox=\"0 0 10 10\" width=\"10\" height=\"10\" aria-hidden=\"true\"><rect class=\"{class}\" width=\"10\" height=\"10\"/></svg>"
                ),
                Key::Line(k) => format!(
                    "<svg class=\"key wide\" viewBox=\"0 0 24 10\" width=\"24\" height=\"10\" aria-hidden=\"true\"><path class=\"line l{k}\" d=\"M0 5 H24\"/></svg>"
                ),
            };
            w(out, format_args!("<li>{sample}{}</li>\n", esc(name)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</figure>\n");
}

/// The colour class of the `i`-th category or series.
fn colour(i: usize) -> usize {
    i % 8
}

/// A linear scale from values to user units, with its ticks; all in exact decimals.
struct Scale {
    lo: Decimal,
    hi: Decimal,
    step: Decimal,
    from: Decimal,
    to: Decimal,
}

impl Scale {
    /// A scale whose domain covers `min..=max` and zero, widened to whole steps.
    fn new(min: Decimal, max: Decimal, from: i64, to: i64, intervals: u32) -> Scale {
        let min = min.min(Decimal::ZERO);
        let max = max.max(Decimal::ZERO);
        let step = nice_step(max.checked_sub(min).unwrap_or(Decimal::MAX), intervals);
        // The far end of the negative side only as far as needed (to a tenth of a step): a
        // few small credits should not take a whole step of the width.
        let lo = floor_to(min, step / Decimal::TEN);
        let hi = ceil_to(max, step);
        let hi = if hi <= lo {
            lo.checked_add(step).unwrap_or(Decimal::MAX)
        } else {
            hi
        };
        Scale {
            lo,
            hi,
            step,
            from: Decimal::from(from),
            to: Decimal::from(to),
        }
    }

    /// The position of `value`, rounded to a hundredth of a unit.
    fn at(&self, value: Decimal) -> Decimal {
        let value = value.max(self.lo).min(self.hi);
        value
            .checked_sub(self.lo)
            .and_then(|v| v.checked_mul(self.to - self.from))
            .and_then(|v| v.checked_div(self.hi.checked_sub(self.lo)?))
            .map_or(self.from, |v| self.from + v)
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    }

    /// The ticks: the multiples of the step from `lo` to `hi`.
    fn ticks(&self) -> Vec<Decimal> {
        let mut ticks = Vec::new();
        let mut t = ceil_to(self.lo, self.step);
        // At most a few dozen: the step is at least a quarter of the span.
        while t <= self.hi && ticks.len() < 64 {
            ticks.push(t);
            match t.checked_add(self.step) {
                Some(next) => t = next,
                None => break,
            }
        }
        ticks
    }
}

/// The smallest of 1, 2, 2.5, 5 times a power of ten that divides `span` into at most
/// `intervals` steps (one when the span is empty).
fn nice_step(span: Decimal, intervals: u32) -> Decimal {
    if span <= Decimal::ZERO {
        return Decimal::ONE;
    }
    let raw = span / Decimal::from(intervals.max(1));
    let ten = Decimal::TEN;
    let mut power = Decimal::ONE;
    // Bounded: Decimal holds 28 digits each way.
    for _ in 0..30 {
        if power.checked_mul(ten).is_some_and(|p| p <= raw) {
            power *= ten;
        } else {
            break;
        }
    }
    for _ in 0..30 {
        if power > raw {
            power /= ten;
        } else {
            break;
        }
    }
    for factor in [
        Decimal::ONE,
        Decimal::TWO,
        Decimal::new(25, 1),
        Decimal::new(5, 0),
        ten,
    ] {
        let step = power.checked_mul(factor).unwrap_or(Decimal::MAX);
        if step >= raw {
            return step;
        }
    }
    power.checked_mul(ten).unwrap_or(Decimal::MAX)
}

fn floor_to(v: Decimal, step: Decimal) -> Decimal {
    v.checked_div(step)
        .and_then(|q| q.floor().checked_mul(step))
        .unwrap_or(v)
}

fn ceil_to(v: Decimal, step: Decimal) -> Decimal {
    v.checked_div(step)
        .and_then(|q| q.ceil().checked_mul(step))
        .unwrap_or(v)
}

/// The unit the tick labels of an amount axis are written in, and its divisor: kronor,
/// thousands or millions, so that tick labels stay short.
fn money_unit(scale: &Scale, words: Words) -> (&'static str, Decimal) {
    let biggest = scale.lo.abs().max(scale.hi.abs());
    if biggest >= Decimal::from(2_000_000) {
        (words.millions, Decimal::from(1_000_000))
    } else if biggest >= Decimal::from(20_000) {
        (words.thousands, Decimal::from(1_000))
    } else {
        (words.currency, Decimal::ONE)
    }
}

fn tick_label(v: Decimal, divisor: Decimal) -> String {
    billing_core::explain::swedish_decimal(v.checked_div(divisor).unwrap_or(v), 3)
}

/// Vertical grid lines and tick labels above and below a horizontal bar chart, and the unit
/// at the left of the upper labels.
fn bar_axis(out: &mut String, scale: &Scale, bottom: i64, unit: &str, divisor: Decimal) {
    for t in scale.ticks() {
        let x = scale.at(t);
        let class = if t.is_zero() { "zero" } else { "grid" };
        w(
            out,
            format_args!(
                "<line class=\"{class}\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>\n",
                BAR_TOP - 4,
                bottom + 4
            ),
        );
        let label = esc(&tick_label(t, divisor));
        w(
            out,
            format_args!(
                "<text class=\"tick\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{label}</text>\n\
                 <text class=\"tick\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{label}</text>\n",
                BAR_TOP - 8,
                bottom + 15
            ),
        );
    }
    w(
        out,
        format_args!(
            "<text class=\"tick unit\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
            LABEL_RIGHT - 20,
            BAR_TOP - 8,
            esc(unit)
        ),
    );
}

/// A bar's label at the left, shortened with an ellipsis when it would not fit; the full name
/// is then its tooltip.
fn bar_label(out: &mut String, label: &str, y_middle: i64) {
    let short = truncate(label, LABEL_ROOM);
    let tip = if short == label {
        String::new()
    } else {
        format!("<title>{}</title>", esc(label))
    };
    w(
        out,
        format_args!(
            "<text class=\"lbl\" x=\"{LABEL_RIGHT}\" y=\"{}\" text-anchor=\"end\">{tip}{}</text>\n",
            y_middle + 4,
            esc(&short)
        ),
    );
}

fn rect(out: &mut String, class: &str, x0: Decimal, x1: Decimal, y: i64, h: i64, tip: &str) {
    let (a, b) = if x0 <= x1 { (x0, x1) } else { (x1, x0) };
    w(
        out,
        format_args!(
            "<rect class=\"{class}\" x=\"{a}\" y=\"{y}\" width=\"{}\" height=\"{h}\"><title>{}</title></rect>\n",
            b - a,
            esc(tip)
        ),
    );
}

/// How a legend entry shows its colour: a filled square, or a piece of line (colour class
/// and dash of the `k`-th series).
enum Key {
    Area(String),
    Line(usize),
}

type Legend = Vec<(Key, String)>;

fn stacked_svg(c: &StackedBars, words: Words) -> (i64, String, Legend) {
    const ROW: i64 = 16;
    const BAR: i64 = 11;
    let mut min = Decimal::ZERO;
    let mut max = Decimal::ZERO;
    for bar in &c.bars {
        let (neg, pos) = extent(&bar.values);
        min = min.min(neg.to_decimal());
        max = max.max(pos.to_decimal());
    }
    let rows = count(c.bars.len());
    let bottom = BAR_TOP + rows * ROW;
    let scale = Scale::new(min, max, BAR_X0, BAR_X1, 5);
    let (unit, divisor) = money_unit(&scale, words);
    let mut out = String::new();
    bar_axis(&mut out, &scale, bottom, unit, divisor);
    for (i, bar) in c.bars.iter().enumerate() {
        let y = BAR_TOP + count(i) * ROW;
        bar_label(&mut out, &bar.label, y + ROW / 2);
        let mut pos = Money::ZERO;
        let mut neg = Money::ZERO;
        for (j, (value, category)) in bar.values.iter().zip(&c.categories).enumerate() {
            if value.is_zero() {
                continue;
            }
            let (from, to) = if value.is_positive() {
                let from = pos;
                pos += *value;
                (from, pos)
            } else {
                let to = neg;
                neg += *value;
                (neg, to)
            };
            let tip = format!(
                "{}, {}: {}",
                bar.label,
                category,
                amount_words(*value, words)
            );
            rect(
                &mut out,
                &format!("seg c{}", colour(j)),
                scale.at(from.to_decimal()),
                scale.at(to.to_decimal()),
                y + (ROW - BAR) / 2,
                BAR,
                &tip,
            );
        }
    }
    let legend = c
        .categories
        .iter()
        .enumerate()
        .map(|(j, name)| (Key::Area(format!("c{}", colour(j))), name.clone()))
        .collect();
    (bottom + BAR_BOTTOM, out, legend)
}

/// The sums of a bar's negative and of its positive values.
fn extent(values: &[Money]) -> (Money, Money) {
    let neg = values.iter().filter(|v| v.is_negative()).sum();
    let pos = values.iter().filter(|v| v.is_positive()).sum();
    (neg, pos)
}

fn paired_svg(c: &PairedBars, _words: Words) -> (i64, String, Legend) {
    const ROW: i64 = 22;
    const BAR: i64 = 8;
    let percent = |share: Decimal| share.checked_mul(HUNDRED).unwrap_or(Decimal::MAX);
    let mut min = Decimal::ZERO;
    let mut max = Decimal::ZERO;
    for bar in &c.bars {
        for v in [percent(bar.first), percent(bar.second)] {
            min = min.min(v);
            max = max.max(v);
        }
    }
    let bottom = BAR_TOP + count(c.bars.len()) * ROW;
    let scale = Scale::new(min, max, BAR_X0, BAR_X1, 5);
    let mut out = String::new();
    bar_axis(&mut out, &scale, bottom, "%", Decimal::ONE);
    let zero = scale.at(Decimal::ZERO);
    for (i, bar) in c.bars.iter().enumerate() {
        let y = BAR_TOP + count(i) * ROW;
        bar_label(&mut out, &bar.label, y + ROW / 2);
        for (k, (name, share)) in [(&c.first_name, bar.first), (&c.second_name, bar.second)]
            .into_iter()
            .enumerate()
        {
            let tip = format!("{}, {}: {}", bar.label, name, share_text(share));
            rect(
                &mut out,
                &format!("c{}", colour(k)),
                zero,
                scale.at(percent(share)),
                y + 2 + count(k) * (BAR + 1),
                BAR,
                &tip,
            );
        }
    }
    let legend = vec![
        (Key::Area("c0".to_owned()), c.first_name.clone()),
        (Key::Area("c1".to_owned()), c.second_name.clone()),
    ];
    (bottom + BAR_BOTTOM, out, legend)
}

fn diverging_svg(c: &DivergingBars, words: Words) -> (i64, String, Legend) {
    const ROW: i64 = 16;
    const BAR: i64 = 11;
    let mut min = Decimal::ZERO;
    let mut max = Decimal::ZERO;
    for bar in &c.bars {
        min = min.min(bar.value.to_decimal());
        max = max.max(bar.value.to_decimal());
    }
    let bottom = BAR_TOP + count(c.bars.len()) * ROW;
    let scale = Scale::new(min, max, BAR_X0, BAR_X1, 5);
    let (unit, divisor) = money_unit(&scale, words);
    let mut out = String::new();
    bar_axis(&mut out, &scale, bottom, unit, divisor);
    let zero = scale.at(Decimal::ZERO);
    for (i, bar) in c.bars.iter().enumerate() {
        let y = BAR_TOP + count(i) * ROW;
        bar_label(&mut out, &bar.label, y + ROW / 2);
        if bar.value.is_zero() {
            continue;
        }
        let class = if bar.value.is_positive() {
            "up"
        } else {
            "down"
        };
        let tip = format!(
            "{}, {}: {}",
            bar.label,
            c.value_name,
            amount_words(bar.value, words)
        );
        rect(
            &mut out,
            class,
            zero,
            scale.at(bar.value.to_decimal()),
            y + (ROW - BAR) / 2,
            BAR,
            &tip,
        );
    }
    let legend = vec![
        (Key::Area("up".to_owned()), words.increase.to_owned()),
        (Key::Area("down".to_owned()), words.decrease.to_owned()),
    ];
    (bottom + BAR_BOTTOM, out, legend)
}

fn lines_svg(c: &LineChart, words: Words) -> (i64, String, Legend) {
    const HEIGHT: i64 = 250;
    const X0: i64 = 50;
    const X1: i64 = 386;
    const TOP: i64 = 14;
    const BOTTOM: i64 = 222;
    /// Markers and their tooltips only where they do not crowd the line.
    const MAX_MARKERS: usize = 60;
    let dates: BTreeSet<NaiveDate> = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|(d, _)| *d))
        .collect();
    let legend: Legend = c
        .series
        .iter()
        .enumerate()
        .map(|(k, s)| (Key::Line(colour(k)), s.name.clone()))
        .collect();
    let (Some(first), Some(last)) = (dates.first().copied(), dates.last().copied()) else {
        return (HEIGHT, String::new(), legend);
    };
    // The axis runs over whole months: from the first of the first month to the end of the
    // last one.
    let first = first.with_day(1).unwrap_or(first);
    let last = last
        .with_day(1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .and_then(|d| d.pred_opt())
        .unwrap_or(last);
    let mut min = Decimal::ZERO;
    let mut max = Decimal::ZERO;
    for (_, v) in c.series.iter().flat_map(|s| &s.points) {
        min = min.min(v.to_decimal());
        max = max.max(v.to_decimal());
    }
    // Values upwards: the scale maps lo to the bottom.
    let y_scale = Scale::new(min, max, BOTTOM, TOP, 5);
    let (unit, divisor) = money_unit(&y_scale, words);
    let span = Decimal::from((last - first).num_days().max(1));
    let x_scale = Scale {
        lo: Decimal::ZERO,
        hi: span,
        step: span,
        from: Decimal::from(X0),
        to: Decimal::from(X1),
    };
    let x_of = |d: NaiveDate| x_scale.at(Decimal::from((d - first).num_days()));
    let mut out = String::new();
    for t in y_scale.ticks() {
        let y = y_scale.at(t);
        let class = if t.is_zero() { "zero" } else { "grid" };
        w(
            &mut out,
            format_args!(
                "<line class=\"{class}\" x1=\"{X0}\" y1=\"{y}\" x2=\"{X1}\" y2=\"{y}\"/>\n\
                 <text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                X0 - 4,
                y + Decimal::new(35, 1),
                esc(&tick_label(t, divisor))
            ),
        );
    }
    w(
        &mut out,
        format_args!(
            "<text class=\"tick unit\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
            X0 - 4,
            TOP - 6,
            esc(unit)
        ),
    );
    for (date, label) in date_ticks(first, last, words) {
        let x = x_of(date);
        w(
            &mut out,
            format_args!(
                "<line class=\"grid\" x1=\"{x}\" y1=\"{BOTTOM}\" x2=\"{x}\" y2=\"{}\"/>\n\
                 <text class=\"tick\" x=\"{x}\" y=\"{}\" text-anchor=\"start\">{}</text>\n",
                BOTTOM + 4,
                BOTTOM + 14,
                esc(&label)
            ),
        );
    }
    for (k, series) in c.series.iter().enumerate() {
        let mut path = String::new();
        for (i, (date, value)) in series.points.iter().enumerate() {
            let x = x_of(*date);
            let y = y_scale.at(value.to_decimal());
            if i == 0 {
                w(&mut path, format_args!("M{x} {y}"));
            } else {
                // The balance holds until the date it changes.
                w(&mut path, format_args!(" H{x} V{y}"));
            }
        }
        if path.is_empty() {
            continue;
        }
        w(
            &mut out,
            format_args!("<path class=\"line l{}\" d=\"{path}\"/>\n", colour(k)),
        );
        if series.points.len() <= MAX_MARKERS {
            for (date, value) in &series.points {
                w(
                    &mut out,
                    format_args!(
                        "<circle class=\"c{}\" cx=\"{}\" cy=\"{}\" r=\"2.2\"><title>{}, {}: {}</title></circle>\n",
                        colour(k),
                        x_of(*date),
                        y_scale.at(value.to_decimal()),
                        esc(&series.name),
                        date.format("%Y-%m-%d"),
                        esc(&amount_words(*value, words))
                    ),
                );
            }
        }
    }
    (HEIGHT, out, legend)
}

/// Ticks along a date axis: each month for a span up to about a year, each quarter up to three
/// years, each year beyond (fewer when there are many), labelled with the month or the year.
fn date_ticks(first: NaiveDate, last: NaiveDate, words: Words) -> Vec<(NaiveDate, String)> {
    let index = |d: NaiveDate| d.year() * 12 + d.month0() as i32;
    let months = index(last) - index(first);
    let step = match months {
        ..=13 => 1,
        14..=40 => 3,
        41..=144 => 12,
        _ => 12 * ((months / 144) + 1),
    };
    let many_years = first.year() != last.year();
    // The first tick is the first month start on or after `first`.
    let start = if first.day() == 1 {
        index(first)
    } else {
        index(first) + 1
    };
    let mut ticks = Vec::new();
    for m in start..=index(last) {
        if m.rem_euclid(step) != 0 {
            continue;
        }
        let (year, month0) = (m.div_euclid(12), m.rem_euclid(12));
        let Some(date) = NaiveDate::from_ymd_opt(year, month0 as u32 + 1, 1) else {
            continue;
        };
        let month = words.months.get(month0 as usize).copied().unwrap_or("");
        let label = if step >= 12 {
            year.to_string()
        } else if many_years && month0 == 0 {
            format!("{month} {year}")
        } else {
            month.to_owned()
        };
        ticks.push((date, label));
    }
    ticks
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

fn amount_words(amount: Money, words: Words) -> String {
    format!("{} {}", amount.to_swedish(), words.currency)
}

/// A decimal rounded to two decimals, the Swedish way: `3,52`, `-1 234,50`, `0,00`.
fn fixed2(v: Decimal) -> String {
    let mut r = v.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    if r.is_zero() {
        r = Decimal::ZERO;
    }
    r.rescale(2);
    let text = r.abs().to_string();
    let (whole, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let sign = if r.is_sign_negative() && !r.is_zero() {
        "-"
    } else {
        ""
    };
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped},{frac}")
}

fn sat_add(a: Decimal, b: Decimal) -> Decimal {
    a.checked_add(b).unwrap_or(Decimal::MAX)
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX / 1024)
}

/// `text` cut to fit `room` (thousandths of the font size), ending in an ellipsis when cut.
fn truncate(text: &str, room: u32) -> String {
    let total: u32 = text.chars().map(char_width).sum();
    if total <= room {
        return text.to_owned();
    }
    let mut kept = String::new();
    let mut used = char_width('…');
    for ch in text.chars() {
        used += char_width(ch);
        if used > room {
            break;
        }
        kept.push(ch);
    }
    format!("{}…", kept.trim_end())
}

/// A character's advance in thousandths of the font size, rounded up from DejaVu Sans, the
/// widest of the usual system sans-serif fonts (Linux's default; Roboto, Segoe UI, San
/// Francisco and Arial are narrower), so a label that fits here fits everywhere.
fn char_width(ch: char) -> u32 {
    match ch {
        'i' | 'j' | 'l' | 'I' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 280,
        ' ' => 320,
        'f' | 't' | 'r' | '(' | ')' | '-' | '/' | '"' => 420,
        's' | 'c' | 'k' | 'z' | 'y' | 'v' | 'x' => 600,
        'm' | 'w' => 980,
        'M' | 'W' | '…' => 1000,
        'A'..='Z' | 'Å' | 'Ä' | 'Ö' | 'É' | 'Ü' | '&' | '%' => 780,
        _ => 640,
    }
}

/// Text for HTML and SVG, in element content and in quoted attributes alike.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// Writes formatted text to a string, which cannot fail.
fn w(out: &mut String, args: std::fmt::Arguments<'_>) {
    let _ = out.write_fmt(args);
}

/// The page's style: system fonts, a readable column, tables that scroll inside their box,
/// colours that survive printing in grey (the lines also differ by dash), and A4 print rules.
const CSS: &str = r#":root { color-scheme: light; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; background: #fff; color: #1a1a1a; line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.6rem; line-height: 1.2; margin: 0 0 .3rem; }
.subtitle { color: #444; margin: 0 0 1rem; }
section { margin: 2rem 0; }
h2 { font-size: 1.25rem; margin: 0 0 .5rem; padding-bottom: .2rem; border-bottom: 1px solid #ccc; }
.pair, .stack { display: grid; grid-template-columns: minmax(0, 1fr); gap: 1rem 2rem; align-items: start; margin-bottom: 1rem; }
@media (min-width: 1000px) { .pair { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); } }
figure { margin: 0; min-width: 0; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: .4rem; }
svg.chart { display: block; width: 100%; height: auto; max-width: 600px; }
svg.chart text { font-family: inherit; }
.lbl { font-size: 10.5px; fill: #1a1a1a; }
.tick { font-size: 9.5px; fill: #444; }
.unit { font-style: italic; }
.grid { stroke: #e3e3e3; stroke-width: .6; }
.zero { stroke: #555; stroke-width: 1; }
.seg { stroke: #fff; stroke-width: .5; }
.line { fill: none; stroke-width: 2; }
.c0 { fill: #0072b2; } .c1 { fill: #e69f00; } .c2 { fill: #009e73; } .c3 { fill: #cc79a7; }
.c4 { fill: #56b4e9; } .c5 { fill: #d55e00; } .c6 { fill: #777; } .c7 { fill: #f0e442; }
.l0 { stroke: #0072b2; } .l1 { stroke: #e69f00; stroke-dasharray: 6 3; } .l2 { stroke: #009e73; stroke-dasharray: 2 2; }
.l3 { stroke: #cc79a7; stroke-dasharray: 8 3 2 3; } .l4 { stroke: #56b4e9; } .l5 { stroke: #d55e00; stroke-dasharray: 6 3; }
.l6 { stroke: #777; stroke-dasharray: 2 2; } .l7 { stroke: #f0e442; }
.up { fill: #d55e00; } .down { fill: #0072b2; }
.legend { list-style: none; margin: .5rem 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem 1.2rem; font-size: .9rem; }
.legend .key { width: .8em; height: .8em; margin-right: .35em; vertical-align: -.05em; }
.legend .key.wide { width: 2em; }
.table-box { max-width: 100%; overflow-x: auto; margin-bottom: 1rem; }
.table-box:focus { outline: 2px solid #0072b2; outline-offset: 2px; }
table { border-collapse: separate; border-spacing: 0; font-size: .875rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 0 0 .4rem; }
caption > span { display: inline-block; position: sticky; left: 0; max-width: calc(100vw - 32px); }
th, td { padding: .2rem .6rem; border-bottom: 1px solid #e3e3e3; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #999; vertical-align: bottom; }
tbody th { font-weight: normal; }
th[scope="row"] { white-space: nowrap; position: sticky; left: 0; background: #fff; }
.num { text-align: right; white-space: nowrap; }
tfoot th, tfoot td { border-top: 2px solid #999; border-bottom: 0; font-weight: 600; }
@page { size: A4; margin: 15mm; }
@media print {
  main { max-width: none; padding: 0; }
  .pair { display: block; }
  svg.chart { max-width: 150mm; max-height: 250mm; }
  figure.tall { break-inside: auto; page-break-inside: auto; }
  figure.tall svg.chart { max-height: none; }
  .table-box { overflow: visible; }
  table { font-size: 8pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  thead { display: table-header-group; }
  tfoot { display: table-row-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn steps_are_one_two_two_and_a_half_or_five_times_a_power_of_ten() {
        let check = |span: &str, intervals: u32, step: &str| {
            assert_eq!(
                nice_step(d(span), intervals),
                d(step),
                "span {span} in {intervals}"
            );
        };
        check("1050000", 5, "250000");
        check("1050000", 4, "500000");
        check("100", 5, "20");
        check("0.03", 4, "0.01");
        check("7", 5, "2");
        check("0", 5, "1");
        check("-5", 5, "1");
    }

    #[test]
    fn scales_reach_below_zero_only_as_far_as_needed() {
        let scale = Scale::new(d("-1265"), d("1050000"), 160, 384, 5);
        assert_eq!(
            (scale.lo, scale.hi, scale.step),
            (d("-25000"), d("1250000"), d("250000"))
        );
        assert_eq!(scale.ticks()[0], Decimal::ZERO);
        assert_eq!(scale.ticks().len(), 6);
        assert_eq!(scale.at(scale.lo), d("160"));
        assert_eq!(scale.at(scale.hi), d("384"));
        // Values outside the domain stay inside the plot.
        assert_eq!(scale.at(d("99999999")), d("384"));
    }

    #[test]
    fn shares_print_in_per_cent_with_two_decimals() {
        let check = |share: &str, text: &str| assert_eq!(share_text(d(share)), text);
        check("0.0352", "3,52 %");
        check("0.03525", "3,53 %");
        check("1", "100,00 %");
        check("-0.00001", "0,00 %");
        check("-0.125", "-12,50 %");
        check("12.5", "1 250,00 %");
    }

    #[test]
    fn labels_are_cut_to_their_column_with_an_ellipsis() {
        let check = |text: &str, cut: &str| assert_eq!(truncate(text, LABEL_ROOM), cut);
        check("Skinnskattebergs kommun", "Skinnskattebergs kommun");
        check("Kalmarsunds gymnasieförbund", "Kalmarsunds gymnasiefö…");
        check("WWWWWWWWWWWWWWWWWWWWWWWW", "WWWWWWWWWWWWW…");
        check("", "");
    }

    #[test]
    fn date_axes_tick_each_month_quarter_or_year() {
        let check = |first: &str, last: &str, labels: &[&str]| {
            let ticks = date_ticks(
                NaiveDate::from_str(first).unwrap_or_default(),
                NaiveDate::from_str(last).unwrap_or_default(),
                SV,
            );
            let got: Vec<&str> = ticks.iter().map(|(_, l)| l.as_str()).collect();
            assert_eq!(got, labels, "{first} to {last}");
        };
        check(
            "2011-01-01",
            "2011-12-31",
            &[
                "jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
            ],
        );
        check(
            "2011-11-01",
            "2012-02-29",
            &["nov", "dec", "jan 2012", "feb"],
        );
        check(
            "2011-01-01",
            "2012-12-31",
            &[
                "jan 2011", "apr", "jul", "okt", "jan 2012", "apr", "jul", "okt",
            ],
        );
        check(
            "2010-01-01",
            "2014-06-30",
            &["2010", "2011", "2012", "2013", "2014"],
        );
    }
}
