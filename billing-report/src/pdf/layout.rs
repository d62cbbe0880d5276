//! The drawing layer under the invoice: embedded fonts, text measured with the same advances it
//! is drawn with, pages as lists of operations in millimetres, and their serialization by krilla.
//!
//! Pages are laid out first and written afterwards, so the footer can say "Sida N av M".

// Layout coordinates and font metrics are floating-point by nature (PDF user space is real
// numbers); no amount of money is computed here, amounts arrive as formatted text.
#![allow(clippy::float_arithmetic)]

use std::sync::OnceLock;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::Document;
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use super::PdfError;

/// Points per millimetre: PDF user space is in points of 1/72 inch.
pub(super) const PT_PER_MM: f32 = 72.0 / 25.4;
/// A4 in millimetres.
pub(super) const PAGE_WIDTH: f32 = 210.0;
pub(super) const PAGE_HEIGHT: f32 = 297.0;

/// The weight of a run of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Style {
    Regular,
    Bold,
}

/// The colour of a run of text: body text, or the grey of labels and notes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ink {
    Black,
    Grey,
}

/// The characters whose glyph and advance are kept in a dense table per face: Latin, Greek,
/// Cyrillic and general punctuation (dashes, quotes, the euro sign). Other characters are looked
/// up in the font's cmap as they come.
const TABLE_CHARS: u32 = 0x2200;

/// One embedded face: its bytes and metrics (for measuring) and krilla's handle (for drawing
/// and subsetting).
struct Face {
    font: Font,
    units_per_em: f32,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    /// Glyph id and advance in em of every character below [`TABLE_CHARS`], built once so that
    /// measuring text never parses the font again; glyph 0 marks a character the face lacks.
    table: Vec<(u16, f32)>,
}

/// The two faces every document uses: DejaVu Sans Condensed, regular and bold, shipped inside
/// the `dejavu` crate, so nothing is read from the system or downloaded at run time.
pub(super) struct Fonts {
    regular: Face,
    bold: Face,
}

impl Face {
    fn load(name: &'static str, data: &'static [u8]) -> Result<Face, PdfError> {
        let font = Font::new(data.into(), 0).ok_or(PdfError::Font { name })?;
        let units_per_em = font.units_per_em();
        if units_per_em <= 0.0 {
            return Err(PdfError::Font { name });
        }
        let parsed = FontRef::new(data).map_err(|_| PdfError::Font { name })?;
        let charmap = parsed.charmap();
        let metrics = parsed.glyph_metrics(Size::unscaled(), LocationRef::default());
        let mut face = Face {
            font,
            units_per_em,
            charmap,
            metrics,
            table: Vec::new(),
        };
        face.table = (0..TABLE_CHARS)
            .map(|code| {
                char::from_u32(code)
                    .and_then(|character| face.lookup(character))
                    .unwrap_or((0, 0.0))
            })
            .collect();
        Ok(face)
    }

    /// The glyph and advance (in em) of `character` read from the font; `None` where the face
    /// has no glyph for it (glyph 0 is `.notdef`, the empty box some cmaps map unknown
    /// characters to).
    fn lookup(&self, character: char) -> Option<(u16, f32)> {
        let glyph = self
            .charmap
            .map(character)
            .filter(|glyph| glyph.to_u32() != 0)?;
        let id = u16::try_from(glyph.to_u32()).ok()?;
        let advance = self.metrics.advance_width(glyph).unwrap_or(0.0) / self.units_per_em;
        Some((id, advance))
    }

    /// The glyph and advance (in em) of `character`, from the table where it is there.
    fn glyph(&self, character: char) -> Option<(u16, f32)> {
        match self.table.get(character as usize) {
            Some(&(0, _)) => None,
            Some(&found) => Some(found),
            None => self.lookup(character),
        }
    }
}

/// The fonts, parsed once per process (krilla hashes a font's bytes when it is created; the
/// glyph tables are built here too).
pub(super) fn fonts() -> Result<&'static Fonts, PdfError> {
    static FONTS: OnceLock<Result<Fonts, PdfError>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            Ok(Fonts {
                regular: Face::load("DejaVu Sans Condensed", dejavu::sans_condensed::regular())?,
                bold: Face::load("DejaVu Sans Condensed Bold", dejavu::sans_condensed::bold())?,
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// A line of text ready to draw: its glyphs with their advances, and its width in em.
#[derive(Clone, Debug)]
pub(super) struct Run {
    text: String,
    glyphs: Vec<KrillaGlyph>,
    em_width: f32,
}

impl Fonts {
    fn face(&self, style: Style) -> &Face {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
        }
    }

    /// Maps each character to its glyph and advance. Each glyph keeps the byte range of its
    /// character, so the PDF's text layer (ToUnicode) reads back exactly `text`.
    ///
    /// # Errors
    /// [`PdfError::MissingGlyph`] for a character the font cannot draw: better an error than a
    /// box where a letter should be.
    pub(super) fn run(&self, text: &str, style: Style) -> Result<Run, PdfError> {
        let face = self.face(style);
        let mut glyphs = Vec::with_capacity(text.len());
        let mut em_width = 0.0;
        for (at, character) in text.char_indices() {
            let (glyph, advance) = face
                .glyph(character)
                .ok_or_else(|| PdfError::MissingGlyph {
                    character,
                    text: text.to_owned(),
                })?;
            em_width += advance;
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(u32::from(glyph)),
                advance,
                0.0,
                0.0,
                0.0,
                at..at + character.len_utf8(),
                None,
            ));
        }
        Ok(Run {
            text: text.to_owned(),
            glyphs,
            em_width,
        })
    }

    /// The width of `text` in em, its advances added from the left.
    fn em_width(&self, text: &str, style: Style) -> Result<f32, PdfError> {
        self.em_after(0.0, text, style, || text.to_owned())
    }

    /// `start` plus the advances of `text`, added from the left (so a line measured piece by
    /// piece has the very width it has measured whole); `whole` names the line in an error.
    fn em_after(
        &self,
        start: f32,
        text: &str,
        style: Style,
        whole: impl Fn() -> String,
    ) -> Result<f32, PdfError> {
        let face = self.face(style);
        let mut em = start;
        for character in text.chars() {
            let (_, advance) = face
                .glyph(character)
                .ok_or_else(|| PdfError::MissingGlyph {
                    character,
                    text: whole(),
                })?;
            em += advance;
        }
        Ok(em)
    }

    /// The width of `text` in millimetres at `size` points.
    pub(super) fn width(&self, text: &str, size: f32, style: Style) -> Result<f32, PdfError> {
        Ok(self.em_width(text, style)? * size / PT_PER_MM)
    }

    /// Breaks `text` into lines no wider than `width` millimetres: at spaces where it can, inside
    /// a word only when the word alone is wider than the column, at line breaks always. Nothing
    /// is dropped: the lines joined hold every character of the text but the breaking spaces.
    ///
    /// A candidate line is measured by adding the advances of what it adds to the line's width
    /// so far, in the order a whole measurement adds them, so the breaks are those of measuring
    /// each candidate whole.
    pub(super) fn wrap(
        &self,
        text: &str,
        width: f32,
        size: f32,
        style: Style,
    ) -> Result<Vec<String>, PdfError> {
        let mm_of = |em: f32| em * size / PT_PER_MM;
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let paragraph = paragraph.replace(['\t', '\r'], " ");
            let mut line = String::new();
            let mut line_em = 0.0;
            for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
                let candidate_em = if line.is_empty() {
                    self.em_after(0.0, word, style, || word.to_owned())?
                } else {
                    let whole = || format!("{line} {word}");
                    let with_space = self.em_after(line_em, " ", style, whole)?;
                    self.em_after(with_space, word, style, whole)?
                };
                if mm_of(candidate_em) <= width {
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(word);
                    line_em = candidate_em;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_em = 0.0;
                }
                // The word alone: split it by characters where it is wider than the column.
                let face = self.face(style);
                for character in word.chars() {
                    // Every character of the word was measured above.
                    let advance = face.glyph(character).map_or(0.0, |(_, advance)| advance);
                    let longer_em = line_em + advance;
                    if !line.is_empty() && mm_of(longer_em) > width {
                        lines.push(std::mem::take(&mut line));
                        line.push(character);
                        line_em = 0.0 + advance;
                    } else {
                        line.push(character);
                        line_em = longer_em;
                    }
                }
            }
            lines.push(line);
        }
        Ok(lines)
    }
}

/// What a page holds, in millimetres from the top left corner of the sheet.
#[derive(Clone, Debug)]
pub(super) enum Op {
    /// A line of text; `y` is its baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        style: Style,
        ink: Ink,
        run: Run,
    },
    /// A horizontal or vertical rule, `width` in points.
    Rule {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
    },
    /// A light grey background.
    Shade { x: f32, y: f32, w: f32, h: f32 },
    /// A rectangle's outline, `width` in points.
    Frame {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        width: f32,
    },
}

/// One page's operations, in drawing order.
#[derive(Clone, Debug, Default)]
pub(super) struct Page {
    pub(super) ops: Vec<Op>,
}

impl Page {
    /// Adds a line of text at `x` with its baseline at `y`.
    pub(super) fn text(&mut self, x: f32, y: f32, size: f32, style: Style, ink: Ink, run: Run) {
        self.ops.push(Op::Text {
            x,
            y,
            size,
            style,
            ink,
            run,
        });
    }

    /// Adds a line of text ending at `right`.
    pub(super) fn text_right(
        &mut self,
        right: f32,
        y: f32,
        size: f32,
        style: Style,
        ink: Ink,
        run: Run,
    ) {
        let x = right - run.em_width * size / PT_PER_MM;
        self.text(x, y, size, style, ink, run);
    }
}

fn mm(value: f32) -> f32 {
    value * PT_PER_MM
}

fn colour(ink: Ink) -> rgb::Color {
    match ink {
        Ink::Black => rgb::Color::new(0, 0, 0),
        Ink::Grey => rgb::Color::new(90, 90, 90),
    }
}

fn fill(colour: rgb::Color) -> Fill {
    Fill {
        paint: colour.into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

/// Writes the pages as one PDF. No creation date and no random id: krilla derives the file id
/// from the content, so the same pages give the same bytes.
pub(super) fn write(
    pages: &[Page],
    fonts: &Fonts,
    title: String,
    language: &str,
) -> Result<Vec<u8>, PdfError> {
    let mut document = Document::new();
    document.set_metadata(Metadata::new().title(title).language(language.to_owned()));
    for page in pages {
        let settings =
            PageSettings::from_wh(mm(PAGE_WIDTH), mm(PAGE_HEIGHT)).ok_or(PdfError::Geometry {
                what: "the A4 page",
            })?;
        let mut pdf_page = document.start_page_with(settings);
        let mut surface = pdf_page.surface();
        for op in &page.ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    style,
                    ink,
                    run,
                } => {
                    surface.set_stroke(None);
                    surface.set_fill(Some(fill(colour(*ink))));
                    surface.draw_glyphs(
                        Point::from_xy(mm(*x), mm(*y)),
                        &run.glyphs,
                        fonts.face(*style).font.clone(),
                        &run.text,
                        *size,
                        false,
                    );
                }
                Op::Rule { from, to, width } => {
                    let mut path = PathBuilder::new();
                    path.move_to(mm(from.0), mm(from.1));
                    path.line_to(mm(to.0), mm(to.1));
                    let path = path.finish().ok_or(PdfError::Geometry { what: "a rule" })?;
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        paint: rgb::Color::new(120, 120, 120).into(),
                        width: *width,
                        ..Default::default()
                    }));
                    surface.draw_path(&path);
                }
                Op::Shade { x, y, w, h } => {
                    let rect = Rect::from_xywh(mm(*x), mm(*y), mm(*w), mm(*h)).ok_or(
                        PdfError::Geometry {
                            what: "a shaded box",
                        },
                    )?;
                    let mut path = PathBuilder::new();
                    path.push_rect(rect);
                    let path = path.finish().ok_or(PdfError::Geometry {
                        what: "a shaded box",
                    })?;
                    surface.set_stroke(None);
                    surface.set_fill(Some(fill(rgb::Color::new(232, 232, 232))));
                    surface.draw_path(&path);
                }
                Op::Frame { x, y, w, h, width } => {
                    let rect = Rect::from_xywh(mm(*x), mm(*y), mm(*w), mm(*h))
                        .ok_or(PdfError::Geometry { what: "a frame" })?;
                    let mut path = PathBuilder::new();
                    path.push_rect(rect);
                    let path = path
                        .finish()
                        .ok_or(PdfError::Geometry { what: "a frame" })?;
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        paint: rgb::Color::new(0, 0, 0).into(),
                        width: *width,
                        ..Default::default()
                    }));
                    surface.draw_path(&path);
                }
            }
        }
        surface.finish();
        pdf_page.finish();
    }
    document.finish().map_err(|e| PdfError::Write {
        message: e.to_string(),
    })
}
