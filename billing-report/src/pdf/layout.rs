//! The drawing layer under the invoice: embedded fonts, text measured with the same advances it
//! is drawn with, pages as lists of operations in millimetres, and their serialization with
//! `pdf-writer` (each face embedded as a subset by `subsetter`, streams deflated by `flate2`).
//!
//! Pages are laid out first and written afterwards, so the footer can say "Sida N av M".

// Layout coordinates and font metrics are floating-point by nature (PDF user space is real
// numbers); no amount of money is computed here, amounts arrive as formatted text.
#![allow(clippy::float_arithmetic)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hasher;
use std::sync::{Arc, Mutex, OnceLock};

use flate2::{Compress, Compression, FlushCompress, Status};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::writers::WMode;
use pdf_writer::{Chunk, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use rustc_hash::FxBuildHasher;
use siphasher::sip128::{Hasher128, SipHasher13};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::{BoundingBox, GlyphMetrics};
use skrifa::raw::TableProvider;
use skrifa::string::StringId;
use skrifa::{FontRef, GlyphId, MetadataProvider};
use subsetter::GlyphRemapper;

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

impl Style {
    /// The face's place in per-face arrays, and its resource name in a page.
    fn index(self) -> usize {
        match self {
            Style::Regular => 0,
            Style::Bold => 1,
        }
    }
}

/// The resource names of the faces in a page's font dictionary, by [`Style::index`].
const FONT_NAMES: [&[u8]; 2] = [b"F0", b"F1"];

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

/// One embedded face: its bytes (subset into each document), its metrics (for measuring and
/// for the font descriptor) and a table of the glyphs of common characters.
struct Face {
    name: &'static str,
    data: &'static [u8],
    units_per_em: f32,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    /// Glyph id and advance in em of every character below [`TABLE_CHARS`], built once so that
    /// measuring text never parses the font again; glyph 0 marks a character the face lacks.
    table: Vec<(u16, f32)>,
    /// What the font descriptor says of the face, in the PDF's units of 1/1000 em.
    descriptor: Descriptor,
}

/// The font descriptor's figures of a face, as krilla 0.8 wrote them (its `text/cid.rs`).
struct Descriptor {
    postscript_name: String,
    /// [`FontFlags`] bits.
    flags: u32,
    italic_angle: f32,
    ascent: f32,
    descent: f32,
    cap_height: f32,
    stem_v: f32,
    /// The whole face's bounding box, for a subset whose glyphs have none of their own.
    bbox: Option<BoundingBox>,
}

/// The two faces every document uses: DejaVu Sans Condensed, regular and bold, shipped inside
/// the `dejavu` crate, so nothing is read from the system or downloaded at run time.
pub(super) struct Fonts {
    regular: Face,
    bold: Face,
}

impl Face {
    fn load(name: &'static str, data: &'static [u8]) -> Result<Face, PdfError> {
        let parsed = FontRef::new(data).map_err(|_| PdfError::Font { name })?;
        let metrics = parsed.metrics(Size::unscaled(), LocationRef::default());
        let units_per_em = f32::from(metrics.units_per_em);
        if units_per_em <= 0.0 {
            return Err(PdfError::Font { name });
        }
        let postscript_name = parsed
            .localized_strings(StringId::POSTSCRIPT_NAME)
            .english_or_first()
            .map(|name| name.chars().collect::<String>())
            .ok_or(PdfError::Font { name })?;
        let os2 = parsed.os2().ok();
        let to_pdf = |value: f32| value / units_per_em * 1000.0;
        let ascent = to_pdf(
            os2.as_ref()
                .map_or(metrics.ascent, |os2| f32::from(os2.s_typo_ascender())),
        );
        let descent = to_pdf(
            os2.as_ref()
                .map_or(metrics.descent, |os2| f32::from(os2.s_typo_descender())),
        );
        let mut flags = FontFlags::empty();
        flags.set(FontFlags::SERIF, postscript_name.contains("Serif"));
        flags.set(FontFlags::FIXED_PITCH, metrics.is_monospace);
        flags.set(FontFlags::ITALIC, metrics.italic_angle != 0.0);
        flags.insert(FontFlags::SYMBOLIC);
        flags.insert(FontFlags::SMALL_CAP);
        let descriptor = Descriptor {
            flags: flags.bits(),
            italic_angle: metrics.italic_angle,
            ascent,
            descent,
            cap_height: metrics.cap_height.map_or(ascent, to_pdf),
            stem_v: 10.0 + 0.244 * (parsed.attributes().weight.value() - 50.0),
            bbox: metrics.bounds,
            postscript_name,
        };
        let mut face = Face {
            name,
            data,
            units_per_em,
            charmap: parsed.charmap(),
            metrics: parsed.glyph_metrics(Size::unscaled(), LocationRef::default()),
            table: Vec::new(),
            descriptor,
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

/// The fonts, parsed once per process, their glyph tables built once.
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

/// A line of text ready to draw: each glyph with the character it draws (what the PDF's text
/// layer, its ToUnicode map, reads back), and its width in em.
#[derive(Clone, Debug)]
pub(super) struct Run {
    glyphs: Vec<(u16, char)>,
    em_width: f32,
}

impl Run {
    /// The width in millimetres at `size` points: the very figure [`Fonts::width`] gives for
    /// the run's text (the same advances, added in the same order), without looking its
    /// characters up again.
    pub(super) fn width(&self, size: f32) -> f32 {
        self.em_width * size / PT_PER_MM
    }
}

impl Fonts {
    fn face(&self, style: Style) -> &Face {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
        }
    }

    /// Maps each character to its glyph, and adds their advances.
    ///
    /// # Errors
    /// [`PdfError::MissingGlyph`] for a character the font cannot draw: better an error than a
    /// box where a letter should be.
    pub(super) fn run(&self, text: &str, style: Style) -> Result<Run, PdfError> {
        let face = self.face(style);
        let mut glyphs = Vec::with_capacity(text.len());
        let mut em_width = 0.0;
        for character in text.chars() {
            let (glyph, advance) = face
                .glyph(character)
                .ok_or_else(|| PdfError::MissingGlyph {
                    character,
                    text: text.to_owned(),
                })?;
            em_width += advance;
            glyphs.push((glyph, character));
        }
        Ok(Run { glyphs, em_width })
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
        let x = right - run.width(size);
        self.text(x, y, size, style, ink, run);
    }
}

fn mm(value: f32) -> f32 {
    value * PT_PER_MM
}

/// An sRGB colour as the PDF writes it, each component from 0 to 1.
fn rgb(red: u8, green: u8, blue: u8) -> [f32; 3] {
    [red, green, blue].map(|c| f32::from(c) / 255.0)
}

fn colour(ink: Ink) -> [f32; 3] {
    match ink {
        Ink::Black => rgb(0, 0, 0),
        Ink::Grey => rgb(90, 90, 90),
    }
}

/// How hard streams are deflated: level 2. Measured on the 2,876 two-page invoices of
/// `benches/scale.sh 2901` (`run --only pdf`, CPU seconds / bytes of all PDFs): level 1 2.0 s /
/// 82.8 MB, level 2 2.4 s / 69.7 MB, level 6 (krilla's fixed level) 2.9 s / 65.7 MB; krilla
/// itself took 4.45 s / 68.7 MB. Level 1 is zlib's quick strategy, a fifth larger for little.
const COMPRESSION: Compression = Compression::new(2);

/// `data` as one zlib stream. Each thread keeps one compressor and resets it for every stream:
/// making a fresh one allocates and clears its window and hash tables (a few hundred kB), which
/// costs more than deflating a small page. A reset compressor gives the same bytes as a fresh
/// one.
fn deflate(data: &[u8]) -> Result<Vec<u8>, PdfError> {
    thread_local! {
        static COMPRESSOR: RefCell<Compress> = RefCell::new(Compress::new(COMPRESSION, true));
    }
    let failed = |message: String| PdfError::Write {
        message: format!("deflate: {message}"),
    };
    COMPRESSOR.with(|compressor| {
        let mut compressor = compressor
            .try_borrow_mut()
            .map_err(|e| failed(e.to_string()))?;
        compressor.reset();
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        loop {
            let taken = usize::try_from(compressor.total_in()).unwrap_or(usize::MAX);
            let rest = data.get(taken..).unwrap_or_default();
            match compressor.compress_vec(rest, &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return Ok(out),
                // The output is full: room for more, then go on.
                Ok(Status::Ok | Status::BufError) => out.reserve(out.capacity().max(64)),
                Err(e) => return Err(failed(e.to_string())),
            }
        }
    })
}

/// A 128-bit hash of `bytes` that is the same on every machine and in every build (SipHash 1-3
/// with fixed keys, as krilla uses for its subset tags and file ids).
fn stable_hash(bytes: &[u8]) -> u128 {
    let mut hasher = SipHasher13::new();
    hasher.write(bytes);
    hasher.finish128().as_u128()
}

/// The glyphs of one face that a document holds, numbered from 0 (`.notdef`) in the order of
/// their glyph ids: these numbers are the CIDs in the content streams and the glyph ids of the
/// subset. A face holds the glyphs the document draws and the ten digits (which nearly every
/// invoice draws anyway), so that documents drawing the same letters embed the same subset
/// whatever order they draw them in, and a process makes each such subset once ([`programs`]).
struct Used {
    /// By CID: the glyph, and the character it was first drawn for (what the ToUnicode map
    /// reads back; a digit not drawn reads as itself); nothing for `.notdef`.
    glyphs: Vec<(u16, Option<char>)>,
    /// By glyph id: its CID, 0 for a glyph the subset does not hold. A table rather than the
    /// subsetter's remapper (a hash map), which is made only where a subset is ([`Program`]):
    /// every glyph of every page is looked up here.
    cids: Vec<u16>,
}

/// The glyphs one face draws in a document, gathered page by page: each with the character it
/// is first drawn for. A table by glyph id and a list of the glyphs in it, rather than an
/// ordered map: thousands of glyphs are drawn per document, of a hundred or so distinct ones,
/// and inserting each into a `BTreeMap` took 6 % of the CPU of a 100,000-party `run --only
/// pdf` (issue 12).
#[derive(Default)]
struct Drawn {
    /// By glyph id: the character the glyph is first drawn for.
    first: Vec<Option<char>>,
    /// The glyphs of `first`, in the order first drawn.
    glyphs: Vec<u16>,
}

impl Drawn {
    /// Notes `glyph`, drawn for `character`, unless it is drawn already.
    fn add(&mut self, glyph: u16, character: char) {
        let slot = usize::from(glyph);
        if slot >= self.first.len() {
            self.first.resize(slot + 1, None);
        }
        let first = &mut self.first[slot];
        if first.is_none() {
            *first = Some(character);
            self.glyphs.push(glyph);
        }
    }
}

impl Used {
    /// The glyphs `drawn` (each with the character it was first drawn for) and the digits of
    /// `face`.
    fn new(face: &Face, mut drawn: Drawn) -> Used {
        for digit in '0'..='9' {
            if let Some((glyph, _)) = face.glyph(digit) {
                drawn.add(glyph, digit);
            }
        }
        drawn.glyphs.sort_unstable();
        let mut cids = vec![0; drawn.first.len()];
        let mut glyphs = Vec::with_capacity(drawn.glyphs.len() + 1);
        glyphs.push((0, None));
        for glyph in drawn.glyphs {
            if glyph != 0 {
                // CIDs are u16: a face has at most 65,536 glyphs, each held once.
                cids[usize::from(glyph)] = glyphs.len() as u16;
                glyphs.push((glyph, drawn.first[usize::from(glyph)]));
            }
        }
        Used { glyphs, cids }
    }

    /// The CID of `glyph`.
    fn cid(&self, glyph: u16) -> Result<u16, PdfError> {
        match self.cids.get(usize::from(glyph)) {
            Some(&cid) if cid != 0 => Ok(cid),
            _ => Err(PdfError::Write {
                message: format!("glyph {glyph} is missing from its subset"),
            }),
        }
    }

    /// The subsetter's numbering of the glyphs: the same CIDs, in the same order.
    fn remapper(&self) -> GlyphRemapper {
        let mut remapper = GlyphRemapper::new();
        for &(glyph, _) in self.glyphs.iter().skip(1) {
            remapper.remap(glyph);
        }
        remapper
    }
}

/// The glyphs each face draws in `pages`, each with the character it is first drawn for.
fn used_glyphs(pages: &[Page], fonts: &Fonts) -> [Option<Used>; 2] {
    let mut drawn: [Option<Drawn>; 2] = [None, None];
    for page in pages {
        for op in &page.ops {
            if let Op::Text { style, run, .. } = op {
                let glyphs = drawn[style.index()].get_or_insert_with(Drawn::default);
                for &(glyph, character) in &run.glyphs {
                    glyphs.add(glyph, character);
                }
            }
        }
    }
    let [regular, bold] = drawn;
    [
        regular.map(|d| Used::new(fonts.face(Style::Regular), d)),
        bold.map(|d| Used::new(fonts.face(Style::Bold), d)),
    ]
}

/// One page's content stream (deflated) and which faces it draws with.
struct PageContent {
    stream: Vec<u8>,
    faces: [bool; 2],
}

fn check_finite(values: &[f32], what: &'static str) -> Result<(), PdfError> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(PdfError::Geometry { what })
    }
}

/// The content stream of one page. Drawing happens in millimetres from the top left corner:
/// the page's coordinates are flipped once, and every text matrix flips its glyphs back.
fn page_content(page: &Page, used: &[Option<Used>; 2]) -> Result<PageContent, PdfError> {
    // Each thread writes its pages into one buffer, cleared for each page: the stream is
    // deflated and dropped, so a buffer of its own per page would only be grown and freed.
    thread_local! {
        static SCRATCH: RefCell<(Vec<u8>, Decimals)> =
            const { RefCell::new((Vec::new(), Decimals(Vec::new()))) };
    }
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.try_borrow_mut().map_err(|e| PdfError::Write {
            message: format!("content stream: {e}"),
        })?;
        let (bytes, decimals) = &mut *scratch;
        bytes.clear();
        let mut content = Stream { bytes, decimals };
        let faces = draw(page, used, &mut content)?;
        Ok(PageContent {
            stream: deflate(content.bytes)?,
            faces,
        })
    })
}

/// Writes the operations of `page` into `content`; returns which faces it draws with.
fn draw(
    page: &Page,
    used: &[Option<Used>; 2],
    content: &mut Stream,
) -> Result<[bool; 2], PdfError> {
    let mut faces = [false; 2];
    let mut fill = rgb(0, 0, 0);
    let mut codes = Vec::new();
    content.op(&[], "q");
    content.op(&[1.0, 0.0, 0.0, -1.0, 0.0, mm(PAGE_HEIGHT)], "cm");
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
                check_finite(&[*x, *y, *size], "a line of text")?;
                let index = style.index();
                faces[index] = true;
                let subset = used[index].as_ref().ok_or_else(|| PdfError::Write {
                    message: "a face drawn with has no subset".to_owned(),
                })?;
                codes.clear();
                for &(glyph, _) in &run.glyphs {
                    codes.extend_from_slice(&subset.cid(glyph)?.to_be_bytes());
                }
                let ink = colour(*ink);
                if ink != fill {
                    fill = ink;
                    content.op(&fill, "rg");
                }
                content.op(&[], "BT");
                content.set_font(FONT_NAMES[index], *size);
                content.op(&[1.0, 0.0, 0.0, -1.0, mm(*x), mm(*y)], "Tm");
                content.show(&codes);
                content.op(&[], "ET");
            }
            Op::Rule { from, to, width } => {
                check_finite(&[from.0, from.1, to.0, to.1, *width], "a rule")?;
                content.op(&rgb(120, 120, 120), "RG");
                content.op(&[*width], "w");
                content.op(&[mm(from.0), mm(from.1)], "m");
                content.op(&[mm(to.0), mm(to.1)], "l");
                content.op(&[], "S");
            }
            Op::Shade { x, y, w, h } => {
                check_finite(&[*x, *y, *w, *h], "a shaded box")?;
                let shade = rgb(232, 232, 232);
                if shade != fill {
                    fill = shade;
                    content.op(&fill, "rg");
                }
                content.op(&[mm(*x), mm(*y), mm(*w), mm(*h)], "re");
                content.op(&[], "f");
            }
            Op::Frame { x, y, w, h, width } => {
                check_finite(&[*x, *y, *w, *h, *width], "a frame")?;
                content.op(&[0.0, 0.0, 0.0], "RG");
                content.op(&[*width], "w");
                content.op(&[mm(*x), mm(*y), mm(*w), mm(*h)], "re");
                content.op(&[], "S");
            }
        }
    }
    content.op(&[], "Q");
    Ok(faces)
}

/// A content stream written byte for byte as pdf-writer's `Content` (in its default, pretty
/// settings) writes the same operations: one operation a line, its operands before it and
/// each followed by a space, numbers as `Buf::push_float` writes them and strings as `Str`
/// does. Writing each operation through pdf-writer's general `Operation` and `Obj` (each
/// operand padded and written through a generic primitive, each byte of a string through a
/// growing buffer, a new buffer for every page) took 9 % of the CPU of a 100,000-party `run
/// --only pdf` (issue 12). The golden PDFs (tests/cases.rs, tests/pdf.rs) hold these bytes.
struct Stream<'a> {
    bytes: &'a mut Vec<u8>,
    decimals: &'a mut Decimals,
}

impl Stream<'_> {
    /// An operation: its operands, then its operator.
    fn op(&mut self, operands: &[f32], operator: &str) {
        self.start();
        for &value in operands {
            self.number(value);
            self.bytes.push(b' ');
        }
        self.bytes.extend_from_slice(operator.as_bytes());
    }

    /// `Tf`: the font resource `name` (regular characters only, written as they are) at `size`.
    fn set_font(&mut self, name: &[u8], size: f32) {
        self.start();
        self.bytes.push(b'/');
        self.bytes.extend_from_slice(name);
        self.bytes.push(b' ');
        self.number(size);
        self.bytes.extend_from_slice(b" Tf");
    }

    /// `Tj`: shows the glyphs `codes`.
    fn show(&mut self, codes: &[u8]) {
        self.start();
        push_string(self.bytes, codes);
        self.bytes.extend_from_slice(b" Tj");
    }

    /// Every operation but the first starts on a new line.
    fn start(&mut self) {
        if !self.bytes.is_empty() {
            self.bytes.push(b'\n');
        }
    }

    /// A number as pdf-writer writes it: an integer without a decimal point, otherwise the
    /// shortest decimal that reads back as the same `f32` (ryu), and Rust's own formatting
    /// for the extremes.
    fn number(&mut self, value: f32) {
        if value as i32 as f32 == value {
            let mut digits = itoa::Buffer::new();
            self.bytes
                .extend_from_slice(digits.format(value as i32).as_bytes());
        } else if value == 0.0 || (value.abs() > 1e-6 && value.abs() < 1e12) {
            self.decimals.push(self.bytes, value);
        } else {
            use std::io::Write as _;
            // Writing to a vector cannot fail.
            let _ = write!(self.bytes, "{value}");
        }
    }
}

/// The decimals a thread has written (by ryu), remembered by their bits in a table of
/// [`DECIMALS_KEPT`] places, a later number replacing an earlier one in its place. The pages
/// of a run put their text at a few hundred positions, in a few sizes and colours: ryu took
/// 3.5 % of the CPU of a 100,000-party `run --only pdf` formatting the same numbers again.
struct Decimals(Vec<Written>);

/// A decimal as ryu writes it; `len` 0 marks a place not yet used.
#[derive(Clone, Copy)]
struct Written {
    bits: u32,
    len: u8,
    text: [u8; 15],
}

/// The places of [`Decimals`]: 2^10.
const DECIMALS_KEPT: usize = 1 << 10;

impl Decimals {
    /// Writes `value` as ryu does.
    fn push(&mut self, out: &mut Vec<u8>, value: f32) {
        if self.0.is_empty() {
            let unused = Written {
                bits: 0,
                len: 0,
                text: [0; 15],
            };
            self.0 = vec![unused; DECIMALS_KEPT];
        }
        let bits = value.to_bits();
        // Fibonacci hashing: the top 10 bits of the product, below DECIMALS_KEPT.
        let place = (bits.wrapping_mul(0x9E37_79B9) >> 22) as usize;
        let Some(kept) = self.0.get_mut(place) else {
            out.extend_from_slice(ryu::Buffer::new().format(value).as_bytes());
            return;
        };
        if kept.len == 0 || kept.bits != bits {
            let mut buffer = ryu::Buffer::new();
            let text = buffer.format(value).as_bytes();
            let Some(room) = kept.text.get_mut(..text.len()) else {
                out.extend_from_slice(text);
                return;
            };
            room.copy_from_slice(text);
            kept.bits = bits;
            // At most 15: `room` holds it.
            kept.len = text.len() as u8;
        }
        out.extend_from_slice(&kept.text[..usize::from(kept.len)]);
    }
}

/// A byte string as pdf-writer's `Str` writes it: a literal string where every byte is
/// ASCII (parentheses escaped unless all of them are balanced, other bytes escaped as
/// `\\`, `\n`, `\r`, `\t`, `\b`, `\f` or in octal), a hex string otherwise.
fn push_string(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.is_ascii() {
        out.reserve(4 * bytes.len() + 2);
        out.push(b'(');
        let mut balanced = None;
        for &byte in bytes {
            match byte {
                b'(' | b')' => {
                    if !*balanced.get_or_insert_with(|| byte != b')' && is_balanced(bytes)) {
                        out.push(b'\\');
                    }
                    out.push(byte);
                }
                b'\\' => out.extend_from_slice(br"\\"),
                b' '..=b'~' => out.push(byte),
                b'\n' => out.extend_from_slice(br"\n"),
                b'\r' => out.extend_from_slice(br"\r"),
                b'\t' => out.extend_from_slice(br"\t"),
                b'\x08' => out.extend_from_slice(br"\b"),
                b'\x0c' => out.extend_from_slice(br"\f"),
                _ => out.extend_from_slice(&[
                    b'\\',
                    b'0' + (byte >> 6),
                    b'0' + ((byte >> 3) & 7),
                    b'0' + (byte & 7),
                ]),
            }
        }
        out.push(b')');
    } else {
        let hex = |nibble: u8| match nibble {
            0..=9 => b'0' + nibble,
            _ => b'A' + (nibble - 10),
        };
        out.reserve(2 * bytes.len() + 2);
        out.push(b'<');
        for &byte in bytes {
            out.extend_from_slice(&[hex(byte >> 4), hex(byte & 0xF)]);
        }
        out.push(b'>');
    }
}

/// Whether every parenthesis in `bytes` is closed, and none closes before it opens.
fn is_balanced(bytes: &[u8]) -> bool {
    let mut depth = 0_usize;
    for &byte in bytes {
        match byte {
            b'(' => depth += 1,
            b')' if depth > 0 => depth -= 1,
            b')' => return false,
            _ => {}
        }
    }
    depth == 0
}

/// The registry and ordering of an Identity-H font's CIDs.
const SYSTEM_INFO: SystemInfo = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

/// The six capital letters before a subset's name, derived from the glyphs it holds, so the
/// same glyphs give the same name.
fn subset_tag(used: &Used) -> String {
    let mut glyphs = Vec::with_capacity(used.glyphs.len() * 2);
    for (glyph, _) in &used.glyphs {
        glyphs.extend_from_slice(&glyph.to_be_bytes());
    }
    let mut hash = stable_hash(&glyphs);
    let mut tag = String::with_capacity(6);
    for _ in 0..6 {
        // The remainder is below 26.
        tag.push(char::from(b'A' + (hash % 26) as u8));
        hash /= 26;
    }
    tag
}

/// What a face's subset embeds, made from its glyphs and their characters alone: the subset's
/// name, its TrueType program (deflated, and its length before), each CID's width in 1/1000
/// em, the glyphs' bounding box and the ToUnicode map (deflated).
struct Program {
    base_font: String,
    font_file: Vec<u8>,
    length1: i32,
    widths: Vec<f32>,
    bbox: Option<BoundingBox>,
    cmap: Vec<u8>,
    /// The font's objects as [`write_font`] writes them, by the references they are written
    /// with ([`Program::objects`]).
    objects: Mutex<Vec<(ObjectsKey, Arc<Chunk>)>>,
}

/// The references a font's objects are written with: the Type0 font's, and the first of the
/// four objects under it.
type ObjectsKey = (i32, i32);

/// How many sets of references a [`Program`] keeps the objects of: documents of one or two
/// pages, drawing with one face or two, number a face's objects in a handful of ways.
const OBJECTS_KEPT: usize = 8;

impl Program {
    fn new(face: &Face, used: &Used) -> Result<Program, PdfError> {
        let subset =
            subsetter::subset(face.data, 0, &used.remapper()).map_err(|e| PdfError::Write {
                message: format!("the subset of {}: {e}", face.name),
            })?;
        let to_pdf = |value: f32| value / face.units_per_em * 1000.0;
        let mut bbox: Option<BoundingBox> = None;
        let mut widths = Vec::with_capacity(used.glyphs.len());
        for &(glyph, _) in &used.glyphs {
            let id = GlyphId::new(u32::from(glyph));
            widths.push(to_pdf(face.metrics.advance_width(id).unwrap_or(0.0)));
            if let Some(bounds) = face.metrics.bounds(id) {
                bbox = Some(match bbox {
                    None => bounds,
                    Some(b) => BoundingBox {
                        x_min: b.x_min.min(bounds.x_min),
                        y_min: b.y_min.min(bounds.y_min),
                        x_max: b.x_max.max(bounds.x_max),
                        y_max: b.y_max.max(bounds.y_max),
                    },
                });
            }
        }
        let mut cmap = UnicodeCmap::<u16>::new(Name(b"Custom"), SYSTEM_INFO);
        for (cid, (_, character)) in used.glyphs.iter().enumerate() {
            if let Some(character) = character {
                // CIDs are u16: the remapper numbers at most 65,536 glyphs.
                cmap.pair(cid as u16, *character);
            }
        }
        // A TrueType program's stream says its length before deflating (Length1).
        let length1 = i32::try_from(subset.len()).map_err(|_| PdfError::Write {
            message: format!("the subset of {} is too large", face.name),
        })?;
        Ok(Program {
            base_font: format!("{}+{}", subset_tag(used), face.descriptor.postscript_name),
            font_file: deflate(&subset)?,
            length1,
            widths,
            bbox,
            cmap: deflate(&cmap.finish())?,
            objects: Mutex::new(Vec::new()),
        })
    }

    /// The objects of the font, written by [`write_font`] with `font` for the Type0 font and
    /// the references from `first` on for the objects under it, and the reference after them.
    /// Made once per program and set of references: the same program written with the same
    /// references is the same bytes (most documents of a run have the same number of pages),
    /// and formatting the widths and the dictionaries of two fonts for every document was
    /// most of what writing the fonts cost, beside copying their programs.
    fn objects(&self, face: &Face, font: Ref, first: Ref) -> (Arc<Chunk>, Ref) {
        let key = (font.get(), first.get());
        // A poisoned lock (a thread that panicked holding it) only means the objects are
        // written here.
        let found = self.objects.lock().ok().and_then(|objects| {
            objects
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, chunk)| Arc::clone(chunk))
        });
        let chunk = found.unwrap_or_else(|| {
            let mut chunk = Chunk::with_capacity(
                self.font_file.len() + self.cmap.len() + 12 * self.widths.len() + 2_000,
            );
            let mut refs = first;
            write_font(&mut chunk, &mut refs, face, self, font);
            let chunk = Arc::new(chunk);
            if let Ok(mut objects) = self.objects.lock() {
                if objects.len() < OBJECTS_KEPT {
                    objects.push((key, Arc::clone(&chunk)));
                }
            }
            chunk
        });
        (chunk, Ref::new(first.get() + FONT_OBJECTS))
    }
}

/// How many distinct subsets of each face a process keeps ([`programs`]): the invoices of one run
/// draw a handful of distinct glyph sets per face; beyond this many, subsets are made afresh.
const PROGRAMS_KEPT: usize = 512;

/// The [`Program`] of `used` glyphs of face `index`: made once per process for each distinct
/// set of glyphs and characters, and shared by every document that holds the same set. The
/// program is a function of the glyphs and characters alone, so a document's bytes do not
/// depend on what else the process renders.
fn program(index: usize, face: &Face, used: &Used) -> Result<Arc<Program>, PdfError> {
    // One map per face, so that a document's glyphs are looked up as they are, not copied
    // into a key.
    // Fx rather than SipHash: the key is a hundred or so glyphs, hashed for every document,
    // and the map only decides what is made again (the bytes do not depend on it).
    type Glyphs = Vec<(u16, Option<char>)>;
    type Programs = [Mutex<HashMap<Glyphs, Arc<Program>, FxBuildHasher>>; 2];
    static PROGRAMS: OnceLock<Programs> = OnceLock::new();
    let programs = &PROGRAMS.get_or_init(Default::default)[index];
    // A poisoned lock (a thread that panicked holding it) only means the subset is made here.
    let key = used.glyphs.as_slice();
    if let Some(found) = programs.lock().ok().and_then(|p| p.get(key).cloned()) {
        return Ok(found);
    }
    let made = Arc::new(Program::new(face, used)?);
    if let Ok(mut programs) = programs.lock() {
        if programs.len() < PROGRAMS_KEPT {
            programs
                .entry(key.to_vec())
                .or_insert_with(|| Arc::clone(&made));
        }
    }
    Ok(made)
}

/// How many objects [`write_font`] writes under a Type0 font: the CID font, its descriptor,
/// the ToUnicode map and the font program.
const FONT_OBJECTS: i32 = 4;

/// Embeds `program` (the glyphs of `face` a document holds) as a Type0 font with Identity-H
/// encoding over a CIDFontType2 subset (CIDs are the subset's glyph ids: CIDToGIDMap
/// Identity), with its widths, font descriptor and ToUnicode map. `font` is the Type0 font's
/// reference.
fn write_font(pdf: &mut Chunk, next: &mut Ref, face: &Face, program: &Program, font: Ref) {
    let cid_ref = next.bump();
    let descriptor_ref = next.bump();
    let cmap_ref = next.bump();
    let data_ref = next.bump();
    let base_font = program.base_font.as_bytes();
    let to_pdf = |value: f32| value / face.units_per_em * 1000.0;

    pdf.type0_font(font)
        .base_font(Name(base_font))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_ref)
        .to_unicode(cmap_ref);

    let widths = &program.widths;
    let mut cid = pdf.cid_font(cid_ref);
    cid.subtype(CidFontType::Type2)
        .base_font(Name(base_font))
        .system_info(SYSTEM_INFO)
        .font_descriptor(descriptor_ref)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    let mut width_writer = cid.widths();
    let mut first = 0;
    while first < widths.len() {
        let width = widths[first];
        let mut last = first;
        while last + 1 < widths.len() && widths[last + 1] == width {
            last += 1;
        }
        if width != 0.0 {
            // CIDs are u16: the remapper numbers at most 65,536 glyphs.
            width_writer.same(first as u16, last as u16, width);
        }
        first = last + 1;
    }
    width_writer.finish();
    cid.finish();

    let d = &face.descriptor;
    let bbox = program
        .bbox
        .or(d.bbox)
        .map_or(Rect::new(0.0, 0.0, 1000.0, 1000.0), |b| {
            Rect::new(
                to_pdf(b.x_min),
                to_pdf(b.y_min),
                to_pdf(b.x_max),
                to_pdf(b.y_max),
            )
        });
    pdf.font_descriptor(descriptor_ref)
        .name(Name(base_font))
        .flags(FontFlags::from_bits_truncate(d.flags))
        .bbox(bbox)
        .italic_angle(d.italic_angle)
        .ascent(d.ascent)
        .descent(d.descent)
        .cap_height(d.cap_height)
        .stem_v(d.stem_v)
        .font_file2(data_ref);

    let mut cmap_stream = pdf.cmap(cmap_ref, &program.cmap);
    cmap_stream.filter(Filter::FlateDecode);
    cmap_stream.writing_mode(WMode::Horizontal);
    cmap_stream.finish();

    pdf.stream(data_ref, &program.font_file)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), program.length1);
}

/// Writes the pages as one PDF 1.7: the catalog with the document's language, the page tree,
/// each page's deflated content, each face used as an embedded subset, and the document
/// information's title. No creation date and no random id: the file id is a hash of the
/// content, so the same pages give the same bytes.
pub(super) fn write(
    pages: &[Page],
    fonts: &Fonts,
    title: String,
    language: &str,
) -> Result<Vec<u8>, PdfError> {
    let used = used_glyphs(pages, fonts);
    let contents = pages
        .iter()
        .map(|page| page_content(page, &used))
        .collect::<Result<Vec<_>, _>>()?;
    let mut programs: [Option<Arc<Program>>; 2] = [None, None];
    for (index, style) in [Style::Regular, Style::Bold].into_iter().enumerate() {
        if let Some(used) = &used[index] {
            programs[index] = Some(program(index, fonts.face(style), used)?);
        }
    }

    // The streams and room for the objects around them, so the buffer is never grown (every
    // invoice of a run may be held until it is written).
    let streams: usize = contents.iter().map(|c| c.stream.len() + 512).sum::<usize>()
        + programs
            .iter()
            .flatten()
            .map(|p| p.font_file.len() + p.cmap.len() + 12 * p.widths.len() + 2_000)
            .sum::<usize>();
    let mut pdf = Pdf::with_capacity(streams + 4_000);
    let mut next = Ref::new(1);
    let catalog_ref = next.bump();
    let tree_ref = next.bump();
    let info_ref = next.bump();
    let page_refs: Vec<(Ref, Ref)> = contents
        .iter()
        .map(|_| (next.bump(), next.bump()))
        .collect();
    let font_refs = programs.each_ref().map(|p| p.as_ref().map(|_| next.bump()));

    pdf.catalog(catalog_ref)
        .pages(tree_ref)
        .lang(TextStr(language));
    let count = i32::try_from(page_refs.len()).map_err(|_| PdfError::Write {
        message: "too many pages".to_owned(),
    })?;
    pdf.pages(tree_ref)
        .kids(page_refs.iter().map(|(page, _)| *page))
        .count(count);
    for (content, &(page_ref, content_ref)) in contents.iter().zip(&page_refs) {
        let mut page = pdf.page(page_ref);
        page.parent(tree_ref)
            .media_box(Rect::new(0.0, 0.0, mm(PAGE_WIDTH), mm(PAGE_HEIGHT)))
            .contents(content_ref);
        let mut resources = page.resources();
        let mut page_fonts = resources.fonts();
        for (index, font) in font_refs.iter().enumerate() {
            if let (true, Some(font)) = (content.faces[index], font) {
                page_fonts.pair(Name(FONT_NAMES[index]), *font);
            }
        }
        page_fonts.finish();
        resources.finish();
        page.finish();
        pdf.stream(content_ref, &content.stream)
            .filter(Filter::FlateDecode);
    }
    for (index, style) in [Style::Regular, Style::Bold].into_iter().enumerate() {
        if let (Some(program), Some(font)) = (&programs[index], font_refs[index]) {
            let (objects, after) = program.objects(fonts.face(style), font, next);
            pdf.extend(&objects);
            next = after;
        }
    }
    pdf.document_info(info_ref).title(TextStr(&title));

    let id = stable_hash(pdf.as_bytes()).to_be_bytes().to_vec();
    pdf.set_file_id((id.clone(), id));
    let mut bytes = pdf.finish();
    bytes.shrink_to_fit();
    Ok(bytes)
}
