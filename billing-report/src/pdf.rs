//! The invoice as a PDF: one A4 document per invoice, the one people open, print and send
//! (issue 13, DOMAIN R15 and R16).
//!
//! Page 1 has the issuer, the buyer's address where a Swedish window envelope (C5/E65) shows
//! it (20 mm from the left, 45 mm from the top), the invoice facts, the lines, the VAT per
//! category, the totals and a payment box. Lines that do not fit flow to further pages under a
//! repeated table header. The basis ("Underlag", R16) follows on a page of its own. Every page
//! has a footer "Sida N av M".
//!
//! Text that does not fit its column wraps inside it, and is never cut. The font, DejaVu Sans
//! Condensed, is embedded (subset) from the `dejavu` crate: nothing is read from the system
//! or downloaded. The same document gives the same bytes: there is no creation date and the
//! file id is a hash of the content.

// Layout coordinates are floating-point millimetres; amounts arrive formatted from `Money`
// and `Decimal` and are never computed here.
#![allow(clippy::float_arithmetic)]

mod layout;

use crate::document::{
    document_date, swedish_decimal, DocLine, DocParty, DocumentKind, InvoiceDocument, Labels,
    Language, VatCategory, VatCode,
};
use rust_decimal::Decimal;

use layout::{Fonts, Ink, Op, Page, Style, PT_PER_MM};

/// Why a PDF could not be written.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    /// The document breaks an invariant the layout relies on ([`InvoiceDocument::check`]).
    #[error("invoice {invoice}: the document is inconsistent: {}", problems.join("; "))]
    Inconsistent {
        /// The invoice's number, or "draft".
        invoice: String,
        /// Each broken invariant, in words.
        problems: Vec<String>,
    },
    /// An embedded font could not be parsed.
    #[error("the embedded font {name} cannot be read")]
    Font {
        /// The font's name.
        name: &'static str,
    },
    /// A character the embedded font has no glyph for.
    #[error("the font has no glyph for {character:?} (U+{:04X}) in {text:?}", u32::from(*character))]
    MissingGlyph {
        /// The character.
        character: char,
        /// The text it is in.
        text: String,
    },
    /// A shape with an impossible size (a bug in the layout rather than in the data).
    #[error("{what} has an impossible size")]
    Geometry {
        /// What was being drawn.
        what: &'static str,
    },
    /// The PDF writer failed.
    #[error("the pdf cannot be written: {message}")]
    Write {
        /// The writer's message.
        message: String,
    },
}

/// Writes `doc` as one A4 PDF.
///
/// # Errors
/// [`PdfError::Inconsistent`] when [`InvoiceDocument::check`] finds a problem (the PDF would
/// print figures that do not add up); [`PdfError::MissingGlyph`] for a character the embedded
/// font cannot draw; [`PdfError::Font`], [`PdfError::Geometry`] and [`PdfError::Write`] for
/// failures of the font or the writer.
pub fn render(doc: &InvoiceDocument) -> Result<Vec<u8>, PdfError> {
    let problems = doc.check();
    if !problems.is_empty() {
        return Err(PdfError::Inconsistent {
            invoice: doc
                .number
                .map_or_else(|| "draft".to_owned(), |n| n.to_string()),
            problems,
        });
    }
    let fonts = layout::fonts()?;
    let mut composer = Composer::new(doc, fonts);
    composer.first_page()?;
    composer.line_table()?;
    composer.vat_summary()?;
    composer.totals()?;
    composer.payment_box()?;
    composer.basis()?;
    composer.footers()?;
    let words = Words::of(doc.language);
    let title = format!(
        "{} {} – {}",
        composer.kind_label(),
        composer.number_text(),
        doc.buyer.name
    );
    layout::write(&composer.pages, fonts, title, words.language_tag)
}

// The sheet, in millimetres.
const LEFT: f32 = 20.0;
const RIGHT: f32 = 190.0;
const WIDTH: f32 = RIGHT - LEFT;
const TOP: f32 = 15.0;
/// Content ends here; the footer is below.
const BOTTOM: f32 = 272.0;
const FOOTER: f32 = 284.0;
/// The buyer's address window of C5/E65 envelopes.
const WINDOW_LEFT: f32 = 20.0;
const WINDOW_TOP: f32 = 45.0;
const WINDOW_WIDTH: f32 = 85.0;
/// The facts block beside the window.
const FACTS_LEFT: f32 = 115.0;
const FACTS_VALUE: f32 = 148.0;

/// A size (points), a weight and a colour of text.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Type {
    size: f32,
    style: Style,
    ink: Ink,
}

const fn ty(size: f32, style: Style, ink: Ink) -> Type {
    Type { size, style, ink }
}

const BODY: Type = ty(9.0, Style::Regular, Ink::Black);
const BODY_BOLD: Type = ty(9.0, Style::Bold, Ink::Black);
const LABEL: Type = ty(8.0, Style::Regular, Ink::Grey);
const SMALL: Type = ty(8.0, Style::Regular, Ink::Black);
const TABLE: Type = ty(8.0, Style::Regular, Ink::Black);
const TABLE_HEAD: Type = ty(8.0, Style::Bold, Ink::Black);
const NOTE: Type = ty(7.0, Style::Regular, Ink::Grey);
const ADDRESS: Type = ty(10.0, Style::Regular, Ink::Black);
const ADDRESS_NAME: Type = ty(10.0, Style::Bold, Ink::Black);
const ISSUER_NAME: Type = ty(12.0, Style::Bold, Ink::Black);
const TITLE: Type = ty(18.0, Style::Bold, Ink::Black);
const HEADING: Type = ty(16.0, Style::Bold, Ink::Black);
const SECTION: Type = ty(10.0, Style::Bold, Ink::Black);
const TOTAL: Type = ty(11.0, Style::Bold, Ink::Black);

/// The height of a line of text of type `t`, in millimetres.
fn leading(t: Type) -> f32 {
    t.size * 1.3 / PT_PER_MM
}

/// From the top of a line box to its baseline, in millimetres.
fn ascent(t: Type) -> f32 {
    t.size * 0.98 / PT_PER_MM
}

/// Words of the layout that [`Labels`] does not hold, in the document's language.
struct Words {
    language_tag: &'static str,
    vat_category: &'static str,
    taxable_standard: &'static str,
    zero_rated: &'static str,
    no_basis: &'static str,
}

impl Words {
    fn of(language: Language) -> &'static Words {
        match language {
            Language::Sv => &Words {
                language_tag: "sv",
                vat_category: "Momskategori",
                taxable_standard: "Momspliktig försäljning",
                zero_rated: "Nollskattesats",
                no_basis: "Fakturan har inget underlag utöver raderna.",
            },
            Language::En => &Words {
                language_tag: "en",
                vat_category: "VAT category",
                taxable_standard: "Standard rated",
                zero_rated: "Zero rated",
                no_basis: "The invoice has no basis beyond its lines.",
            },
        }
    }
}

/// How a cell's text sits in its column.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// A column of a table: its left and right edges in millimetres.
#[derive(Clone, Copy)]
struct Column {
    left: f32,
    right: f32,
    align: Align,
}

impl Column {
    const fn new(left: f32, right: f32, align: Align) -> Column {
        Column { left, right, align }
    }
    fn width(self) -> f32 {
        self.right - self.left
    }
}

/// The line table's columns: Beskrivning, Period, Antal, Enhet, À-pris, Belopp, Moms. Two
/// millimetres between columns, so right-aligned amounts never touch their neighbour.
const LINE_COLUMNS: [Column; 7] = [
    Column::new(LEFT, 67.0, Align::Left),
    Column::new(69.0, 102.5, Align::Left),
    Column::new(104.0, 116.0, Align::Right),
    Column::new(118.0, 135.0, Align::Left),
    Column::new(137.0, 156.0, Align::Right),
    Column::new(158.0, 179.0, Align::Right),
    Column::new(181.0, RIGHT, Align::Right),
];

/// The VAT summary's columns: category (or the reason in words), taxable sum, rate, VAT.
const VAT_COLUMNS: [Column; 4] = [
    Column::new(LEFT, 112.0, Align::Left),
    Column::new(114.0, 145.0, Align::Right),
    Column::new(147.0, 166.0, Align::Right),
    Column::new(168.0, RIGHT, Align::Right),
];

/// One wrapped line of a cell.
#[derive(Clone)]
struct Piece {
    text: String,
    t: Type,
}

/// The cells of one table row, each a list of wrapped lines.
type Row = Vec<Vec<Piece>>;

/// Padding above and below the text of a table row, in millimetres.
const ROW_PAD: f32 = 1.0;

struct Composer<'a> {
    doc: &'a InvoiceDocument,
    fonts: &'a Fonts,
    labels: &'static Labels,
    words: &'static Words,
    pages: Vec<Page>,
    /// The top of the next thing to place on the last page.
    y: f32,
}

impl<'a> Composer<'a> {
    fn new(doc: &'a InvoiceDocument, fonts: &'a Fonts) -> Composer<'a> {
        Composer {
            doc,
            fonts,
            labels: Labels::of(doc.language),
            words: Words::of(doc.language),
            pages: vec![Page::default()],
            y: TOP,
        }
    }

    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn push(&mut self, op: Op) {
        self.page().ops.push(op);
    }

    fn kind_label(&self) -> &'static str {
        match self.doc.kind {
            DocumentKind::Invoice => self.labels.invoice,
            DocumentKind::CreditNote => self.labels.credit_note,
        }
    }

    fn number_text(&self) -> String {
        self.doc
            .number
            .map_or_else(|| self.labels.draft.to_owned(), |n| n.to_string())
    }

    fn payable_label(&self) -> &'static str {
        match self.doc.kind {
            DocumentKind::Invoice => self.labels.payable,
            DocumentKind::CreditNote => self.labels.to_credit,
        }
    }

    /// Draws one line of `text` with its line box's top at `top`; returns its width in mm.
    fn text(&mut self, x: f32, top: f32, t: Type, text: &str) -> Result<f32, PdfError> {
        if text.is_empty() {
            return Ok(0.0);
        }
        let run = self.fonts.run(text, t.style)?;
        let width = run.width(t.size);
        self.page()
            .text(x, top + ascent(t), t.size, t.style, t.ink, run);
        Ok(width)
    }

    /// Draws one line of `text` ending at `right`.
    fn text_right(&mut self, right: f32, top: f32, t: Type, text: &str) -> Result<(), PdfError> {
        if text.is_empty() {
            return Ok(());
        }
        let run = self.fonts.run(text, t.style)?;
        self.page()
            .text_right(right, top + ascent(t), t.size, t.style, t.ink, run);
        Ok(())
    }

    /// Draws `text` wrapped to `width` from `top` down; returns the height used.
    fn paragraph(
        &mut self,
        x: f32,
        top: f32,
        width: f32,
        t: Type,
        text: &str,
    ) -> Result<f32, PdfError> {
        let mut y = top;
        for line in self.fonts.wrap(text, width, t.size, t.style)? {
            self.text(x, y, t, &line)?;
            y += leading(t);
        }
        Ok(y - top)
    }

    /// `text` wrapped to `column`, as the lines of a cell.
    fn pieces(&self, text: &str, column: Column, t: Type) -> Result<Vec<Piece>, PdfError> {
        Ok(self
            .fonts
            .wrap(text, column.width(), t.size, t.style)?
            .into_iter()
            .map(|text| Piece { text, t })
            .collect())
    }

    /// A figure or a heading in one line: in a smaller size where it does not fit `column`
    /// (down to 6 pt), so that "12 345 678,00" is never broken at a digit group; wrapped only
    /// if even that is too wide.
    fn fitted(&self, text: &str, column: Column, t: Type) -> Result<Vec<Piece>, PdfError> {
        let mut size = t.size;
        while size >= 6.0 {
            if self.fonts.width(text, size, t.style)? <= column.width() {
                let t = Type { size, ..t };
                return Ok(vec![Piece {
                    text: text.to_owned(),
                    t,
                }]);
            }
            size -= 0.5;
        }
        self.pieces(text, column, t)
    }

    /// Starts a new page, headed by a line that says whose invoice it continues.
    fn new_page(&mut self) -> Result<(), PdfError> {
        self.pages.push(Page::default());
        let heading = format!(
            "{} {} · {}",
            self.kind_label(),
            self.number_text(),
            self.doc.buyer.name,
        );
        let used = self.paragraph(LEFT, TOP, WIDTH, LABEL, &heading)?;
        self.y = TOP + used + 3.0;
        Ok(())
    }

    /// Moves to a new page unless `height` millimetres fit below the cursor.
    fn ensure(&mut self, height: f32) -> Result<(), PdfError> {
        if self.y + height > BOTTOM {
            self.new_page()?;
        }
        Ok(())
    }

    fn first_page(&mut self) -> Result<(), PdfError> {
        let doc = self.doc;
        let labels = self.labels;
        // The issuer, top left, above the window.
        let mut y = TOP;
        y += self.paragraph(LEFT, y, WINDOW_WIDTH, ISSUER_NAME, &doc.seller.name)?;
        let mut issuer = address_lines(&doc.seller);
        if let Some(org_nr) = &doc.seller.org_nr {
            issuer.push(format!("{} {org_nr}", labels.org_nr));
        }
        if let Some(vat_number) = &doc.seller.vat_number {
            issuer.push(format!("{} {vat_number}", labels.vat_number));
        }
        if doc.seller_f_tax {
            issuer.push(labels.f_tax.to_owned());
        }
        for line in &issuer {
            y += self.paragraph(LEFT, y, WINDOW_WIDTH, SMALL, line)?;
        }

        // The buyer, in the window (lower only if a long issuer block reaches into it).
        let mut y = WINDOW_TOP.max(y + 2.0);
        y += self.paragraph(WINDOW_LEFT, y, WINDOW_WIDTH, ADDRESS_NAME, &doc.buyer.name)?;
        for line in address_lines(&doc.buyer) {
            y += self.paragraph(WINDOW_LEFT, y, WINDOW_WIDTH, ADDRESS, &line)?;
        }
        // The buyer's identifiers, below the window so they do not crowd the address.
        let mut y = y.max(WINDOW_TOP + 22.0) + 2.0;
        if let Some(org_nr) = &doc.buyer.org_nr {
            let line = format!("{} {org_nr}", labels.org_nr);
            y += self.paragraph(WINDOW_LEFT, y, WINDOW_WIDTH, LABEL, &line)?;
        }
        if let Some(vat_number) = &doc.buyer.vat_number {
            let line = format!("{} {vat_number}", labels.vat_number);
            y += self.paragraph(WINDOW_LEFT, y, WINDOW_WIDTH, LABEL, &line)?;
        }
        let buyer_bottom = y;

        // The title and the facts, top right.
        self.text(FACTS_LEFT, TOP - 1.0, TITLE, self.kind_label())?;
        let none = || "–".to_owned();
        let facts: [(&str, String); 6] = [
            (labels.number, self.number_text()),
            (labels.issue_date, document_date(doc.issue_date)),
            (labels.due_date, document_date(doc.due_date)),
            (
                labels.terms,
                format!("{} {}", doc.payment.days, labels.days_net),
            ),
            (
                labels.buyer_reference,
                doc.buyer.reference.clone().unwrap_or_else(none),
            ),
            (
                labels.seller_reference,
                doc.seller.reference.clone().unwrap_or_else(none),
            ),
        ];
        let mut y = TOP + 11.0;
        for (label, value) in facts {
            let label_width = FACTS_VALUE - FACTS_LEFT - 2.0;
            let label_height = self.paragraph(FACTS_LEFT, y + 0.3, label_width, LABEL, label)?;
            let value_height = self.paragraph(FACTS_VALUE, y, RIGHT - FACTS_VALUE, BODY, &value)?;
            y += label_height.max(value_height) + 0.6;
        }
        let facts_bottom = y;

        // The subject, the invoice a credit note credits, and the document's note.
        let mut y = buyer_bottom.max(facts_bottom) + 5.0;
        let label_width = self.text(LEFT, y + 0.3, LABEL, labels.subject)?;
        let subject_x = LEFT + label_width.max(16.0) + 2.0;
        y += self.paragraph(subject_x, y, RIGHT - subject_x, BODY_BOLD, &doc.agreement)?;
        if let Some(credited) = &doc.credited {
            let line = format!(
                "{} {} ({} {})",
                labels.credits_invoice,
                credited.number,
                labels.issue_date.to_lowercase(),
                document_date(credited.issue_date)
            );
            y += self.paragraph(LEFT, y + 1.0, WIDTH, BODY_BOLD, &line)? + 1.0;
        }
        if let Some(note) = &doc.note {
            y += self.paragraph(LEFT, y + 1.0, WIDTH, BODY, note)? + 1.0;
        }
        self.y = y + 5.0;
        Ok(())
    }

    /// Draws a table's header row: a grey band with bold labels.
    fn table_header(&mut self, columns: &[Column], titles: &[&str]) -> Result<(), PdfError> {
        let row: Row = columns
            .iter()
            .zip(titles)
            .map(|(column, title)| self.fitted(title, *column, TABLE_HEAD))
            .collect::<Result<_, _>>()?;
        let y = self.y;
        self.push(Op::Shade {
            x: LEFT - 1.0,
            y,
            w: WIDTH + 2.0,
            h: row_height(&row),
        });
        self.draw_row(columns, &row)
    }

    /// Draws a row at the cursor and moves the cursor below it.
    fn draw_row(&mut self, columns: &[Column], row: &Row) -> Result<(), PdfError> {
        let top = self.y + ROW_PAD;
        for (column, cell) in columns.iter().zip(row) {
            let mut y = top;
            for piece in cell {
                match column.align {
                    Align::Left => {
                        self.text(column.left, y, piece.t, &piece.text)?;
                    }
                    Align::Right => self.text_right(column.right, y, piece.t, &piece.text)?,
                }
                y += leading(piece.t);
            }
        }
        self.y += row_height(row);
        Ok(())
    }

    /// Places a row, breaking the page (and repeating the table header, if any) where it does
    /// not fit; a row taller than a whole page is split between its lines.
    fn place_row(
        &mut self,
        columns: &[Column],
        header: Option<&[&str]>,
        mut row: Row,
        rule: bool,
    ) -> Result<(), PdfError> {
        let mut fresh = false;
        loop {
            if self.y + row_height(&row) <= BOTTOM {
                self.draw_row(columns, &row)?;
                if rule {
                    let y = self.y;
                    self.push(Op::Rule {
                        from: (LEFT - 1.0, y),
                        to: (RIGHT + 1.0, y),
                        width: 0.3,
                    });
                }
                return Ok(());
            }
            if fresh {
                let (head, rest) = split_row(row, BOTTOM - self.y - 2.0 * ROW_PAD);
                self.draw_row(columns, &head)?;
                row = rest;
            }
            self.new_page()?;
            if let Some(titles) = header {
                self.table_header(columns, titles)?;
            }
            fresh = true;
        }
    }

    fn line_table(&mut self) -> Result<(), PdfError> {
        let labels = self.labels;
        let titles = [
            labels.description,
            labels.period,
            labels.quantity,
            labels.unit,
            labels.unit_price,
            labels.amount,
            labels.vat,
        ];
        self.ensure(3.0 * (leading(TABLE) + 2.0 * ROW_PAD))?;
        self.table_header(&LINE_COLUMNS, &titles)?;
        for line in &self.doc.lines {
            let row = self.line_row(line)?;
            self.place_row(&LINE_COLUMNS, Some(&titles), row, true)?;
        }
        self.y += 4.0;
        Ok(())
    }

    fn line_row(&self, line: &DocLine) -> Result<Row, PdfError> {
        let [description, period, quantity, unit, price, amount, vat] = LINE_COLUMNS;
        let mut first = self.pieces(&line.description, description, TABLE)?;
        if let Some(note) = &line.note {
            first.extend(self.pieces(note, description, NOTE)?);
        }
        let period_text = line.period.map_or_else(String::new, |(from, to)| {
            format!("{} – {}", document_date(from), document_date(to))
        });
        Ok(vec![
            first,
            self.pieces(&period_text, period, TABLE)?,
            self.fitted(&swedish_decimal(line.quantity), quantity, TABLE)?,
            self.pieces(line.unit.label(self.doc.language), unit, TABLE)?,
            self.fitted(&unit_price_text(line.unit_price), price, TABLE)?,
            self.fitted(&line.amount.to_swedish(), amount, TABLE)?,
            self.fitted(&rate_text(&line.vat), vat, TABLE)?,
        ])
    }

    fn vat_summary(&mut self) -> Result<(), PdfError> {
        let labels = self.labels;
        let titles = [
            self.words.vat_category,
            labels.taxable,
            labels.vat_rate,
            labels.vat,
        ];
        let [what_column, taxable_column, rate_column, vat_column] = VAT_COLUMNS;
        let mut rows = Vec::with_capacity(self.doc.vat.len());
        for b in &self.doc.vat {
            let what = match (b.category.code, &b.category.exemption_reason) {
                (_, Some(reason)) if !reason.is_empty() => reason.clone(),
                (VatCode::Standard, _) => self.words.taxable_standard.to_owned(),
                (VatCode::ZeroRated, _) => self.words.zero_rated.to_owned(),
                // `check` has refused E and O without a reason.
                (VatCode::Exempt | VatCode::OutsideScope, _) => String::new(),
            };
            rows.push(vec![
                self.pieces(&what, what_column, TABLE)?,
                self.fitted(&b.taxable.to_swedish(), taxable_column, TABLE)?,
                self.fitted(&rate_text(&b.category), rate_column, TABLE)?,
                self.fitted(&b.vat.to_swedish(), vat_column, TABLE)?,
            ]);
        }
        let first = rows.first().map_or(0.0, row_height);
        self.ensure(leading(TABLE) + 2.0 * ROW_PAD + first)?;
        self.table_header(&VAT_COLUMNS, &titles)?;
        for row in rows {
            self.place_row(&VAT_COLUMNS, Some(&titles), row, true)?;
        }
        self.y += 4.0;
        Ok(())
    }

    fn totals(&mut self) -> Result<(), PdfError> {
        let labels = self.labels;
        let doc = self.doc;
        let rows = [
            (labels.net_total, doc.net_total.to_swedish()),
            (labels.vat_total, doc.vat_total.to_swedish()),
            (labels.rounding, doc.rounding.to_swedish()),
        ];
        self.ensure(3.0 * leading(BODY) + leading(TOTAL) + 3.0)?;
        let label_x = 120.0;
        let mut y = self.y;
        for (label, value) in rows {
            self.text(label_x, y, BODY, label)?;
            self.text_right(RIGHT, y, BODY, &value)?;
            y += leading(BODY);
        }
        y += 0.8;
        self.push(Op::Rule {
            from: (label_x, y),
            to: (RIGHT, y),
            width: 0.8,
        });
        y += 1.2;
        let payable = format!("{} {}", doc.payable.to_swedish(), doc.currency);
        self.text(label_x, y, TOTAL, self.payable_label())?;
        self.text_right(RIGHT, y, TOTAL, &payable)?;
        self.y = y + leading(TOTAL) + 6.0;
        Ok(())
    }

    fn payment_box(&mut self) -> Result<(), PdfError> {
        let labels = self.labels;
        let doc = self.doc;
        let none = || "–".to_owned();
        let cells = [
            (
                labels.bankgiro,
                doc.payment.bankgiro.clone().unwrap_or_else(none),
            ),
            (labels.ocr, doc.payment.ocr.clone().unwrap_or_else(none)),
            (labels.due_date, document_date(doc.due_date)),
            (
                self.payable_label(),
                format!("{} {}", doc.payable.to_swedish(), doc.currency),
            ),
        ];
        let cell_width = WIDTH / 4.0;
        let mut wrapped = Vec::with_capacity(cells.len());
        let mut inner: f32 = 0.0;
        for (i, (label, value)) in cells.iter().enumerate() {
            let left = LEFT + cell_width * i as f32 + 3.0;
            let column = Column::new(left, left + cell_width - 6.0, Align::Left);
            let mut lines = self.pieces(label, column, LABEL)?;
            lines.extend(self.fitted(value, column, TOTAL)?);
            inner = inner.max(lines.iter().map(|p| leading(p.t)).sum());
            wrapped.push(lines);
        }
        let height = inner + 5.0;
        self.ensure(height)?;
        let top = self.y;
        self.push(Op::Frame {
            x: LEFT,
            y: top,
            w: WIDTH,
            h: height,
            width: 1.0,
        });
        for (i, lines) in wrapped.iter().enumerate() {
            let left = LEFT + cell_width * i as f32;
            if i > 0 {
                self.push(Op::Rule {
                    from: (left, top),
                    to: (left, top + height),
                    width: 0.5,
                });
            }
            let mut y = top + 2.2;
            for piece in lines {
                self.text(left + 3.0, y, piece.t, &piece.text)?;
                y += leading(piece.t);
            }
        }
        self.y = top + height + 4.0;
        Ok(())
    }

    /// The basis ("Underlag", R16) from a page of its own: the buyer's own figures only, as
    /// the document model holds them.
    fn basis(&mut self) -> Result<(), PdfError> {
        self.new_page()?;
        let doc = self.doc;
        let y = self.y;
        self.text(LEFT, y, HEADING, self.labels.basis)?;
        self.y += leading(HEADING) + 2.0;
        if doc.basis.is_empty() {
            let y = self.y;
            self.y += self.paragraph(LEFT, y, WIDTH, BODY, self.words.no_basis)?;
            return Ok(());
        }
        let columns = [
            Column::new(LEFT, 128.0, Align::Left),
            Column::new(130.0, RIGHT, Align::Right),
        ];
        for section in &doc.basis {
            let title = self.pieces(
                &section.title,
                Column::new(LEFT, RIGHT, Align::Left),
                SECTION,
            )?;
            let title_height = title.iter().map(|p| leading(p.t)).sum::<f32>();
            self.ensure(title_height + leading(BODY) + 2.0 * ROW_PAD + 1.0)?;
            for piece in &title {
                let y = self.y;
                self.text(LEFT, y, piece.t, &piece.text)?;
                self.y += leading(piece.t);
            }
            self.y += 0.5;
            let y = self.y;
            self.push(Op::Rule {
                from: (LEFT, y),
                to: (RIGHT, y),
                width: 0.5,
            });
            for (label, value) in &section.rows {
                let row = vec![
                    self.pieces(label, columns[0], BODY)?,
                    self.pieces(value, columns[1], BODY)?,
                ];
                self.place_row(&columns, None, row, true)?;
            }
            self.y += 5.0;
        }
        Ok(())
    }

    /// "Sida N av M" and the issuer's name and organisation number at the foot of every page.
    fn footers(&mut self) -> Result<(), PdfError> {
        let total = self.pages.len();
        let seller = &self.doc.seller;
        let mut identity = seller.name.clone();
        if let Some(org_nr) = &seller.org_nr {
            identity = format!("{identity} · {} {org_nr}", self.labels.org_nr);
        }
        let lines = self.fonts.wrap(&identity, 125.0, NOTE.size, NOTE.style)?;
        for index in 0..total {
            let page_text = format!(
                "{} {} {} {}",
                self.labels.page,
                index + 1,
                self.labels.of,
                total
            );
            let page_run = self.fonts.run(&page_text, NOTE.style)?;
            let mut runs = Vec::with_capacity(lines.len());
            for line in &lines {
                runs.push(self.fonts.run(line, NOTE.style)?);
            }
            let page = &mut self.pages[index];
            page.ops.push(Op::Rule {
                from: (LEFT, FOOTER - 1.5),
                to: (RIGHT, FOOTER - 1.5),
                width: 0.3,
            });
            let baseline = FOOTER + ascent(NOTE);
            page.text_right(RIGHT, baseline, NOTE.size, NOTE.style, NOTE.ink, page_run);
            let mut y = baseline;
            for run in runs {
                page.text(LEFT, y, NOTE.size, NOTE.style, NOTE.ink, run);
                y += leading(NOTE);
            }
        }
        Ok(())
    }
}

/// The address lines of a party: street, postcode and city, and the country where it is not
/// Sweden.
fn address_lines(party: &DocParty) -> Vec<String> {
    let Some(address) = &party.address else {
        return Vec::new();
    };
    let mut lines = vec![
        address.street.clone(),
        format!("{} {}", address.postcode, address.city),
    ];
    if !address.country.is_empty() && address.country != "SE" {
        lines.push(address.country.clone());
    }
    lines
}

/// A unit price in kronor: every decimal it has, and at least two (`6 000,00`, `0,30`,
/// `0,0125`), so prices line up with the amounts beside them.
fn unit_price_text(price: Decimal) -> String {
    let text = swedish_decimal(price);
    if text.contains(',') {
        text
    } else {
        format!("{text},00")
    }
}

/// A rate as printed: `25 %`, `0 %`.
fn rate_text(category: &VatCategory) -> String {
    format!("{} %", swedish_decimal(category.rate))
}

fn row_height(row: &Row) -> f32 {
    row.iter()
        .map(|cell| cell.iter().map(|p| leading(p.t)).sum::<f32>())
        .fold(0.0, f32::max)
        + 2.0 * ROW_PAD
}

/// Splits a row so that its first part holds at most `height` millimetres of text: the lines
/// of each cell that fit stay, the rest continue on the next page. Each cell keeps at least
/// one line, so a split always makes progress.
fn split_row(row: Row, height: f32) -> (Row, Row) {
    let mut head = Vec::with_capacity(row.len());
    let mut rest = Vec::with_capacity(row.len());
    for mut cell in row {
        let mut used = 0.0;
        let mut keep = 0;
        for piece in &cell {
            if keep > 0 && used + leading(piece.t) > height {
                break;
            }
            used += leading(piece.t);
            keep += 1;
        }
        let tail = cell.split_off(keep);
        head.push(cell);
        rest.push(tail);
    }
    (head, rest)
}
