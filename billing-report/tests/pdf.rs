//! The PDF invoice (issue 13): read back with poppler's `pdftotext`, converted to PNG pages with
//! `pdftoppm`, and rendered twice to the same bytes.
//!
//! `.ci/run` installs poppler-utils where it is missing. Set `BILLING_PDF_OUT` to a folder to
//! keep the PDFs these tests write, to look at them.

use std::path::{Path, PathBuf};
use std::process::Command;

use billing_core::Money;
use billing_report::document::{
    example, Credited, DocLine, DocumentKind, InvoiceDocument, Labels, Language, VatBreakdown,
    VatCategory,
};
use billing_report::pdf::{render, PdfError};
use rust_decimal::{Decimal, RoundingStrategy};

/// Recomputes the VAT breakdown and the totals of `doc` from its lines (BR-CO-17, rounding the
/// payable to whole kronor), so variants of the example stay consistent.
fn consistent(mut doc: InvoiceDocument) -> InvoiceDocument {
    let mut categories: Vec<VatCategory> = Vec::new();
    for line in &doc.lines {
        if !categories.contains(&line.vat) {
            categories.push(line.vat.clone());
        }
    }
    categories.sort();
    doc.vat = categories
        .into_iter()
        .map(|category| {
            let taxable: Decimal = doc
                .lines
                .iter()
                .filter(|l| l.vat == category)
                .map(|l| l.amount.to_decimal())
                .sum();
            let vat = (taxable * category.rate / Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            VatBreakdown {
                category,
                taxable: Money::exact(taxable).unwrap(),
                vat: Money::exact(vat).unwrap(),
            }
        })
        .collect();
    let net: Decimal = doc.lines.iter().map(|l| l.amount.to_decimal()).sum();
    let vat: Decimal = doc.vat.iter().map(|b| b.vat.to_decimal()).sum();
    let payable = (net + vat).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    doc.net_total = Money::exact(net).unwrap();
    doc.vat_total = Money::exact(vat).unwrap();
    doc.payable = Money::exact(payable).unwrap();
    doc.rounding = Money::exact(payable - net - vat).unwrap();
    assert_eq!(doc.check(), Vec::<String>::new());
    doc
}

fn credit_note() -> InvoiceDocument {
    let mut doc = example();
    doc.kind = DocumentKind::CreditNote;
    doc.number = Some(1002);
    doc.credited = Some(Credited {
        number: 1001,
        issue_date: doc.issue_date,
    });
    doc.note = Some("Kreditering av faktura 1001: fel antal användare.".to_owned());
    doc
}

fn english() -> InvoiceDocument {
    let mut doc = example();
    doc.language = Language::En;
    for line in &mut doc.lines {
        if let Some(reason) = &mut line.vat.exemption_reason {
            *reason = "Outside the scope of VAT (cost sharing between municipalities)".to_owned();
        }
        line.description = line.description.replace("Inloggningar", "Logins");
    }
    doc.lines[4].note = Some("Your share 3.52 % of 285,000.00 by population".to_owned());
    doc.basis.clear();
    consistent(doc)
}

/// Sixty lines: the example's six lines ten times, numbered.
fn sixty_lines() -> InvoiceDocument {
    let mut doc = example();
    let lines: Vec<DocLine> = (0..60)
        .map(|i| {
            let mut line = doc.lines[i % 6].clone();
            line.description = format!("Rad {} {}", i + 1, line.description);
            line
        })
        .collect();
    doc.lines = lines;
    consistent(doc)
}

const LONG: &str = "Drift, förvaltning och vidareutveckling av det gemensamma \
    verksamhetssystemet för socialtjänstens individ- och familjeomsorg, inklusive \
    licenser, säkerhetskopiering, behörighetsadministration, utbildning av nya \
    handläggare, årlig revision av informationssäkerheten och slutligen \
    supportärenden utanför kontorstid";

fn long_description() -> InvoiceDocument {
    let mut doc = example();
    doc.lines[3].description = LONG.to_owned();
    doc
}

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

/// Writes the PDF to `dir` (and to `BILLING_PDF_OUT` when set) and returns its path.
fn write(dir: &Path, name: &str, pdf: &[u8]) -> PathBuf {
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("the pdf is written");
    if let Some(out) = std::env::var_os("BILLING_PDF_OUT") {
        let out = PathBuf::from(out);
        std::fs::create_dir_all(&out).expect("the output folder");
        std::fs::write(out.join(format!("{name}.pdf")), pdf).expect("the pdf is kept");
    }
    path
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs (poppler-utils installed?): {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// The text layer as `pdftotext -layout` reads it, pages separated by form feeds.
fn layout_text(path: &Path) -> String {
    run("pdftotext", &["-layout", path_str(path), "-"])
}

/// The text layer in reading order with every run of white space made one space, for text
/// that wraps inside one column.
fn flat_text(path: &Path) -> String {
    flatten(&run("pdftotext", &[path_str(path), "-"]))
}

fn flatten(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A word of the text layer and its horizontal extent in points.
#[derive(Debug)]
struct Word {
    x_min: f32,
    x_max: f32,
    text: String,
}

/// The words of page `page` as `pdftotext -bbox` finds them, in reading order.
fn page_words(path: &Path, page: usize) -> Vec<Word> {
    let page = page.to_string();
    let html = run(
        "pdftotext",
        &["-bbox", "-f", &page, "-l", &page, path_str(path), "-"],
    );
    let attribute = |line: &str, name: &str| -> f32 {
        let start = line.find(&format!("{name}=\"")).expect("the attribute") + name.len() + 2;
        let end = start + line[start..].find('"').expect("a closing quote");
        line[start..end].parse().expect("a number")
    };
    html.lines()
        .map(str::trim)
        .filter(|line| line.starts_with("<word "))
        .map(|line| {
            let start = line.find('>').expect("the end of the tag") + 1;
            let end = line.rfind("</word>").expect("the closing tag");
            Word {
                x_min: attribute(line, "xMin"),
                x_max: attribute(line, "xMax"),
                text: line[start..end].replace("&amp;", "&"),
            }
        })
        .collect()
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a utf-8 path")
}

fn page_count(path: &Path) -> usize {
    let info = run("pdfinfo", &[path_str(path)]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo prints the page count")
}

fn assert_holds(text: &str, needles: &[&str]) {
    let missing: Vec<&&str> = needles.iter().filter(|n| !text.contains(**n)).collect();
    assert!(missing.is_empty(), "missing {missing:?} in:\n{text}");
}

/// Every label of `from` that differs from the other language's, and is a word rather than
/// a short particle.
fn distinct_labels(from: Language, other: Language) -> Vec<&'static str> {
    let a = Labels::of(from);
    let b = Labels::of(other);
    let pairs = [
        (a.invoice, b.invoice),
        (a.credit_note, b.credit_note),
        (a.draft, b.draft),
        (a.number, b.number),
        (a.issue_date, b.issue_date),
        (a.due_date, b.due_date),
        (a.terms, b.terms),
        (a.days_net, b.days_net),
        (a.org_nr, b.org_nr),
        (a.vat_number, b.vat_number),
        (a.f_tax, b.f_tax),
        (a.buyer_reference, b.buyer_reference),
        (a.seller_reference, b.seller_reference),
        (a.subject, b.subject),
        (a.description, b.description),
        (a.quantity, b.quantity),
        (a.unit, b.unit),
        (a.unit_price, b.unit_price),
        (a.amount, b.amount),
        (a.taxable, b.taxable),
        (a.vat_rate, b.vat_rate),
        (a.net_total, b.net_total),
        (a.vat_total, b.vat_total),
        (a.rounding, b.rounding),
        (a.payable, b.payable),
        (a.to_credit, b.to_credit),
        (a.ocr, b.ocr),
        (a.credits_invoice, b.credits_invoice),
        (a.basis, b.basis),
        (a.page, b.page),
    ];
    pairs
        .into_iter()
        .filter(|(x, y)| x != y && x.len() > 3)
        .map(|(x, _)| x)
        .collect()
}

#[test]
fn the_swedish_invoice_holds_every_field_r15_requires() {
    let doc = example();
    let dir = scratch();
    let path = write(dir.path(), "example", &render(&doc).unwrap());
    let text = layout_text(&path);
    let flat = format!("{} || {}", flatten(&text), flat_text(&path));

    let sv = Labels::of(Language::Sv);
    assert_holds(
        &text,
        &[
            sv.invoice,
            sv.number,
            sv.issue_date,
            sv.due_date,
            sv.terms,
            sv.buyer_reference,
            sv.seller_reference,
            sv.subject,
            sv.description,
            sv.period,
            sv.quantity,
            sv.unit,
            sv.unit_price,
            sv.amount,
            sv.vat,
            sv.taxable,
            sv.vat_rate,
            sv.net_total,
            sv.vat_total,
            sv.rounding,
            sv.payable,
            sv.bankgiro,
            sv.ocr,
            sv.basis,
            sv.f_tax,
            "Sida 1 av 2",
            "Sida 2 av 2",
            "30 dagar netto",
        ],
    );
    // Both parties: names, postal addresses, organisation and VAT numbers, references.
    for party in [&doc.seller, &doc.buyer] {
        let address = party.address.as_ref().unwrap();
        let city = format!("{} {}", address.postcode, address.city);
        assert_holds(
            &text,
            &[
                &party.name,
                &address.street,
                &city,
                party.org_nr.as_deref().unwrap(),
                party.vat_number.as_deref().unwrap(),
            ],
        );
        assert_holds(&flat, &[party.reference.as_deref().unwrap()]);
    }
    assert_holds(
        &text,
        &["1001", "2011-07-01", "2011-07-31", "5050-1055", "100154"],
    );
    assert_holds(&flat, &[&doc.agreement]);
    // Every line: description, period, quantity, unit, unit price, amount, rate; the note.
    for line in &doc.lines {
        let (from, to) = line.period.unwrap();
        let from = from.to_string();
        let to = to.to_string();
        let quantity = billing_report::document::swedish_decimal(line.quantity);
        let price = billing_report::document::swedish_decimal(line.unit_price);
        let price = if price.contains(',') {
            price
        } else {
            format!("{price},00")
        };
        let amount = line.amount.to_swedish();
        assert_holds(
            &text,
            &[
                &line.description,
                &from,
                &to,
                &quantity,
                line.unit.label(Language::Sv),
                &price,
                &amount,
            ],
        );
        if let Some(note) = &line.note {
            assert_holds(&flat, &[note]);
        }
    }
    assert_holds(
        &text,
        &["25 %", "4 812", "0,30", "6 000,00", "inloggningar"],
    );
    // "0 %" is drawn with its space (`pdftotext -bbox` shows two words), but the character
    // grid of -layout sometimes closes it up.
    assert!(text.contains("0 %") || text.contains(" 0%"), "{text}");
    // Per category: taxable sum, rate, VAT, and the reason for the one outside the scope.
    for b in &doc.vat {
        assert_holds(&text, &[&b.taxable.to_swedish(), &b.vat.to_swedish()]);
        if let Some(reason) = &b.category.exemption_reason {
            assert_holds(&flat, &[reason]);
        }
    }
    // Totals exactly as Money::to_swedish prints them.
    let payable = doc.payable.to_swedish();
    assert_holds(
        &text,
        &[
            &doc.net_total.to_swedish(),
            &doc.vat_total.to_swedish(),
            &doc.rounding.to_swedish(),
            &payable,
            "-0,18",
            "29 513,00",
        ],
    );
    // The payable appears in the totals and again in the payment box.
    assert!(text.matches(payable.as_str()).count() >= 2, "{text}");
    // The basis page: the buyer's own figures.
    for section in &doc.basis {
        assert_holds(&text, &[&section.title]);
        for (label, value) in &section.rows {
            assert_holds(&text, &[label, value]);
        }
    }
    // No English label in a Swedish document.
    let english: Vec<&str> = distinct_labels(Language::En, Language::Sv)
        .into_iter()
        .filter(|label| text.contains(label))
        .collect();
    assert!(english.is_empty(), "English labels {english:?} in:\n{text}");
}

#[test]
fn the_buyer_address_sits_in_the_envelope_window() {
    let dir = scratch();
    let path = write(dir.path(), "window", &render(&example()).unwrap());
    // The window of a C5/E65 envelope: 20 mm from the left, 45 mm from the top, about 90 × 30
    // mm. In points (pdftotext's unit at -r 72): x 56.7, y 127.6, 255 × 85.
    let window = run(
        "pdftotext",
        &[
            "-f",
            "1",
            "-l",
            "1",
            "-x",
            "56",
            "-y",
            "127",
            "-W",
            "255",
            "-H",
            "70",
            path_str(&path),
            "-",
        ],
    );
    assert_holds(
        &flatten(&window),
        &[
            "Stockholms stad",
            "Ragnar Östbergs plan 1",
            "105 35 Stockholm",
        ],
    );
    assert!(
        !window.contains("Kalmar"),
        "the issuer is in the window:\n{window}"
    );
}

#[test]
fn a_credit_note_names_the_invoice_it_credits() {
    let dir = scratch();
    let path = write(dir.path(), "credit", &render(&credit_note()).unwrap());
    let text = layout_text(&path);
    let flat = flat_text(&path);
    assert_holds(
        &text,
        &["Kreditfaktura", "1002", "Att erhålla", "29 513,00"],
    );
    assert_holds(
        &flat,
        &[
            "Krediterar faktura 1001",
            "Kreditering av faktura 1001: fel antal användare.",
        ],
    );
}

#[test]
fn a_draft_says_so_instead_of_a_number() {
    let mut doc = example();
    doc.number = None;
    doc.payment.ocr = None;
    // A line without a period leaves its cell empty.
    doc.lines[0].period = None;
    let dir = scratch();
    let path = write(dir.path(), "draft", &render(&doc).unwrap());
    let text = layout_text(&path);
    assert_holds(&text, &["Utkast", "Faktura"]);
    assert!(!text.contains("1001"), "{text}");
}

#[test]
fn an_english_document_has_english_labels_only() {
    let doc = english();
    let dir = scratch();
    let path = write(dir.path(), "english", &render(&doc).unwrap());
    let text = layout_text(&path);
    assert_holds(
        &text,
        &[
            "Invoice",
            "Invoice date",
            "Due date",
            "Your reference",
            "Unit price",
            "Total excl. VAT",
            "Amount due",
            "OCR reference",
            "logins",
            "Page 1 of 2",
            "The invoice has no basis beyond its lines.",
        ],
    );
    let swedish: Vec<&str> = distinct_labels(Language::Sv, Language::En)
        .into_iter()
        .filter(|label| text.contains(label))
        .collect();
    assert!(swedish.is_empty(), "Swedish labels {swedish:?} in:\n{text}");
}

#[test]
fn sixty_lines_flow_to_further_pages_with_the_table_header_repeated() {
    let doc = sixty_lines();
    let dir = scratch();
    let path = write(dir.path(), "sixty", &render(&doc).unwrap());
    let pages = page_count(&path);
    assert!(pages >= 3, "60 lines and the basis on {pages} pages");
    let text = layout_text(&path);
    let page_texts: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert_eq!(page_texts.len(), pages);
    for (i, page) in page_texts.iter().enumerate() {
        assert_holds(page, &[&format!("Sida {} av {pages}", i + 1)]);
    }
    // Every page that carries lines repeats the table header.
    for page in &page_texts {
        if page.contains("Rad ") {
            assert_holds(
                page,
                &["Beskrivning", "Period", "Antal", "À-pris", "Belopp"],
            );
        }
    }
    let line_pages = page_texts.iter().filter(|p| p.contains("Rad ")).count();
    assert!(line_pages >= 2, "the lines fit on one page?\n{text}");
    for line in &doc.lines {
        assert_holds(&text, &[&line.description]);
    }
    assert_holds(
        &text,
        &[&doc.payable.to_swedish(), &doc.vat_total.to_swedish()],
    );
}

#[test]
fn a_long_description_wraps_inside_its_column_and_appears_whole() {
    let doc = long_description();
    assert!(LONG.chars().count() >= 300, "{}", LONG.chars().count());
    let dir = scratch();
    let path = write(dir.path(), "long", &render(&doc).unwrap());
    // The description column runs from 20 mm to 67 mm (56.7 to 189.9 pt). Every word of the
    // long text lies inside it, and the words inside it, in order, are the whole text: nothing
    // was cut and nothing ran into the period column.
    let words = page_words(&path, 1);
    // Its longer words, which appear nowhere else on the page ("för" does).
    let long_words: Vec<&str> = LONG
        .split_whitespace()
        .filter(|w| w.chars().count() >= 8)
        .collect();
    let mut column = Vec::new();
    for word in &words {
        let inside = word.x_min >= 56.0 && word.x_max <= 190.0;
        if long_words.contains(&word.text.as_str()) {
            assert!(inside, "{word:?} is outside the description column");
        }
        if inside {
            column.push(word.text.as_str());
        }
    }
    assert_holds(&column.join(" "), &[&flatten(LONG)]);
    assert_holds(&layout_text(&path), &["18 000,00", "2011-12-31"]);
}

#[test]
fn a_long_basis_flows_over_pages_and_keeps_every_row() {
    let mut doc = example();
    doc.basis[0].rows = (1..=120)
        .map(|i| (format!("Underlagsrad {i}"), format!("{i} 000,00 kr")))
        .collect();
    let dir = scratch();
    let path = write(dir.path(), "long-basis", &render(&doc).unwrap());
    let pages = page_count(&path);
    assert!(pages >= 4, "120 basis rows on {pages} pages");
    let text = layout_text(&path);
    for (label, value) in &doc.basis[0].rows {
        assert_holds(&text, &[label, value]);
    }
    assert_holds(&text, &[&format!("Sida {pages} av {pages}")]);
}

#[test]
fn large_figures_are_never_broken_at_a_digit_group() {
    let mut doc = example();
    doc.lines[0].quantity = "1234567".parse().unwrap();
    doc.lines[0].amount = "12370361.34".parse().unwrap();
    let doc = consistent(doc);
    let dir = scratch();
    let path = write(dir.path(), "large", &render(&doc).unwrap());
    let text = layout_text(&path);
    assert_holds(
        &text,
        &[
            "1 234 567",
            "12 370 361,34",
            &doc.net_total.to_swedish(),
            &doc.vat_total.to_swedish(),
            &doc.payable.to_swedish(),
        ],
    );
}

#[test]
fn every_page_converts_to_png() {
    let dir = scratch();
    for (name, doc) in [
        ("example", example()),
        ("credit", credit_note()),
        ("english", english()),
        ("sixty", sixty_lines()),
        ("long", long_description()),
    ] {
        let path = write(dir.path(), name, &render(&doc).unwrap());
        let prefix = dir.path().join(name);
        run(
            "pdftoppm",
            &["-png", "-r", "70", path_str(&path), path_str(&prefix)],
        );
        let pngs = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| {
                let file = e.file_name().to_string_lossy().into_owned();
                file.starts_with(&format!("{name}-")) && file.ends_with(".png")
            })
            .count();
        assert_eq!(pngs, page_count(&path), "{name}: one PNG per page");
    }
}

#[test]
fn the_same_document_gives_the_same_bytes() {
    for doc in [example(), credit_note(), sixty_lines()] {
        let first = render(&doc).unwrap();
        let second = render(&doc).unwrap();
        assert!(first.starts_with(b"%PDF-"));
        assert!(first == second, "two renderings differ");
    }
    assert_ne!(render(&example()).unwrap(), render(&credit_note()).unwrap());
}

#[test]
fn the_font_is_embedded_and_no_creation_date_is_written() {
    let pdf = render(&example()).unwrap();
    let dir = scratch();
    let path = write(dir.path(), "fonts", &pdf);
    let fonts = run("pdffonts", &[path_str(&path)]);
    assert!(fonts.contains("DejaVuSansCondensed"), "{fonts}");
    for row in fonts.lines().skip(2) {
        // Columns: name, type, encoding, emb, sub, uni, object id.
        let fields: Vec<&str> = row.split_whitespace().collect();
        let emb = fields.get(fields.len().saturating_sub(5)).copied();
        assert_eq!(emb, Some("yes"), "a font is not embedded: {row}");
    }
    let info = run("pdfinfo", &[path_str(&path)]);
    assert!(!info.contains("CreationDate"), "{info}");
}

#[test]
fn an_inconsistent_document_is_refused_with_its_problems() {
    let mut doc = example();
    doc.payable = "1.00".parse().unwrap();
    let Err(error) = render(&doc) else {
        panic!("a PDF was written where an error was expected");
    };
    assert!(matches!(error, PdfError::Inconsistent { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with("invoice 1001: the document is inconsistent: payable 1.00"),
        "{message}"
    );
}

#[test]
fn a_character_the_font_cannot_draw_is_an_error_not_a_box() {
    let mut doc = example();
    doc.lines[0].description = "Support 漢".to_owned();
    let Err(error) = render(&doc) else {
        panic!("a PDF was written where an error was expected");
    };
    assert_eq!(
        error.to_string(),
        "the font has no glyph for '漢' (U+6F22) in \"Support 漢\""
    );
}
