//! `billing-report verify`: an untouched output folder passes; one öre changed in `lines.csv`
//! or in an invoice workbook is found, with file, place and both values, and exit code 1.

mod audit_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use calamine::{Data, Reader, Xlsx};

use audit_support::{generated_inputs, scratch};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_billing-report"))
        .args(args)
        .output()
        .expect("run billing-report")
}

fn text(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// A draft output folder of the `caps` agreement on 2026-01-01.
fn draft_output(test: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(test);
    let inputs = generated_inputs(&dir);
    let (_, input, dates) = inputs
        .iter()
        .find(|i| i.0 == "caps")
        .expect("the caps input");
    let out = dir.join("out");
    let date = dates[0].to_string();
    let run = cli(&["run", text(input), "--date", &date, "--out", text(&out)]);
    assert!(run.status.success(), "run: {run:?}");
    (input.clone(), out)
}

fn verify(input: &Path, out: &Path) -> (i32, String) {
    let o = cli(&["verify", text(input), text(out)]);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    (o.status.code().unwrap_or(-1), stdout)
}

/// Rewrites a workbook cell by cell (values only) with one number changed.
fn rewrite_xlsx(path: &Path, sheet: &str, change: impl Fn(f64) -> Option<f64>) -> String {
    rewrite_xlsx_with(path, sheet, |f| change(f).map(Data::Float))
}

/// Rewrites a workbook cell by cell (values only, each of its type) with the first number of
/// `sheet` that `change` answers replaced by its answer.
fn rewrite_xlsx_with(path: &Path, sheet: &str, change: impl Fn(f64) -> Option<Data>) -> String {
    let bytes = std::fs::read(path).expect("read the workbook");
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("an xlsx");
    let mut out = rust_xlsxwriter::Workbook::new();
    let mut changed = String::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).expect("a sheet");
        let ws = out.add_worksheet();
        ws.set_name(&name).expect("the sheet's name");
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (r, c, v) in range.used_cells() {
            let (r, c) = (r0 + r as u32, (c0 as usize + c) as u16);
            match v {
                Data::Float(f) => {
                    let new = if name == sheet && changed.is_empty() {
                        change(*f)
                    } else {
                        None
                    };
                    match new {
                        Some(n) => {
                            changed = format!("{name} row {} col {}: {f} → {n:?}", r + 1, c + 1);
                            match n {
                                Data::Float(x) => ws.write_number(r, c, x).expect("a number"),
                                other => ws.write_string(r, c, other.to_string()).expect("a text"),
                            };
                        }
                        None => {
                            ws.write_number(r, c, *f).expect("a number");
                        }
                    }
                }
                Data::Int(i) => {
                    ws.write_number(r, c, *i as f64).expect("a number");
                }
                Data::Bool(b) => {
                    ws.write_boolean(r, c, *b).expect("a boolean");
                }
                Data::DateTime(d) => {
                    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
                    ws.write_number_with_format(r, c, d.as_f64(), &date)
                        .expect("a date");
                }
                Data::Empty => {}
                other => {
                    ws.write_string(r, c, other.to_string()).expect("a text");
                }
            }
        }
    }
    std::fs::write(path, out.save_to_buffer().expect("save")).expect("write the workbook");
    changed
}

#[test]
fn an_untouched_output_passes() {
    let (input, out) = draft_output("verify-untouched");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.is_empty(), "{stdout}");
}

#[test]
fn one_ore_changed_in_lines_csv_is_found() {
    let (input, out) = draft_output("verify-lines-csv");
    let path = out.join("lines.csv");
    let csv = std::fs::read_to_string(&path).expect("lines.csv");
    // b's part of p1 (a, the coordinator, is never invoiced: R15).
    assert!(csv.contains(",33.33,25,8.33,"), "{csv}");
    std::fs::write(&path, csv.replacen(",33.33,25,8.33,", ",33.34,25,8.33,", 1)).expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stdout.trim(),
        r#"lines.csv: row 3, amount: recomputed "33.33", found "33.34""#
    );
}

#[test]
fn one_ore_changed_in_an_invoice_workbook_is_found() {
    let (input, out) = draft_output("verify-invoice-xlsx");
    let path = out.join("invoices/a-b.xlsx");
    // Beta's share of the equal split of 100 kr, first met as the unit price (1 × 33.33 kr):
    // 33.33 → 33.32.
    let changed = rewrite_xlsx(&path, "Faktura", |f| (f == 33.33).then_some(33.32));
    assert!(
        !changed.is_empty(),
        "no cell of 33.33 in {}",
        path.display()
    );
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(r#"invoices/a-b.xlsx: Faktura!E"#)
            && stdout.contains(r#"recomputed "33.33", found "33.32""#),
        "{changed}:\n{stdout}"
    );
    // Only that cell: rewriting a workbook keeps every other value.
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
}

#[test]
fn a_changed_audit_figure_and_a_missing_file_are_found() {
    let (input, out) = draft_output("verify-audit");
    std::fs::remove_file(out.join("overview.xlsx")).expect("remove");
    let changed = rewrite_xlsx(&out.join("audit.xlsx"), "Kostnadspost 1", |f| {
        (f == 33.34).then_some(33.35)
    });
    assert!(!changed.is_empty());
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(r#"overview.xlsx: recomputed "a file", found "no file""#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"audit.xlsx: Kostnadspost 1!"#),
        "{stdout}"
    );
}

#[test]
fn a_folder_without_invoices_json_is_an_error() {
    let (input, out) = draft_output("verify-no-json");
    std::fs::remove_file(out.join("invoices.json")).expect("remove");
    let o = cli(&["verify", text(&input), text(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("invoices.json"));
}

#[test]
fn an_issued_output_passes_with_its_numbers() {
    let (input, out) = issued_output("verify-issued");
    let json = std::fs::read_to_string(out.join("invoices.json")).expect("invoices.json");
    assert!(json.contains("\"number\": 1001"), "{json}");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 0, "{stdout}");
    // Issuing again would take new numbers; verify must not: the register is unchanged.
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 0, "{stdout}");
}

/// B2: verify compared only the cached values of workbooks, so an audit workbook whose
/// formulas were all replaced by their values passed.
#[test]
fn a_formula_replaced_by_its_value_is_found() {
    let (input, out) = draft_output("verify-formula-as-value");
    let path = out.join("audit.xlsx");
    rewrite_xlsx(&path, "", |_| None);
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("audit.xlsx: Kostnadspost 1!") && l.contains("(formula)"))
        .unwrap_or_else(|| panic!("no formula difference in Pool 1:\n{stdout}"));
    assert!(
        line.contains(r#"recomputed "="#) && line.ends_with(r#"found "no formula""#),
        "{line}"
    );
}

/// Every part of a zip file, in its order: (name, uncompressed bytes).
fn zip_parts(path: &Path) -> Vec<(String, Vec<u8>)> {
    use std::io::Read as _;
    let bytes = std::fs::read(path).expect("a workbook");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..zip.len())
        .map(|i| {
            let mut part = zip.by_index(i).expect("a part");
            let mut content = Vec::new();
            part.read_to_end(&mut content).expect("read a part");
            (part.name().expect("a name").into_owned(), content)
        })
        .collect()
}

/// Writes `parts` as a zip at deflate level `level`, in their order.
fn write_zip(path: &Path, parts: &[(String, Vec<u8>)], level: i64) {
    use std::io::Write as _;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(level));
    for (name, content) in parts {
        w.start_file(name.as_str(), options).expect("a part");
        w.write_all(content).expect("write a part");
    }
    let bytes = w.finish().expect("the zip").into_inner();
    std::fs::write(path, bytes).expect("write the workbook");
}

/// A workbook zipped again at another level, its parts in another order (as every workbook
/// written before 0325dd0, at level 6, is to today's level 1): the same workbook. verify
/// reported it as "other bytes".
#[test]
fn a_workbook_zipped_again_with_the_same_parts_passes() {
    let (input, out) = draft_output("verify-rezipped");
    let path = out.join("overview.xlsx");
    let before = std::fs::read(&path).expect("overview.xlsx");
    let mut parts = zip_parts(&path);
    parts.reverse();
    write_zip(&path, &parts, 9);
    assert_ne!(std::fs::read(&path).expect("overview.xlsx"), before);
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.is_empty(), "{stdout}");
}

/// B2: a file whose bytes differ but whose content reads back the same was not reported, and
/// verify exited 0. A workbook's content is its parts: a part the cells do not show (here an
/// added one) is still reported, by name.
#[test]
fn a_workbook_with_another_part_and_the_same_cells_is_found() {
    let (input, out) = draft_output("verify-other-bytes");
    let path = out.join("overview.xlsx");
    let mut parts = zip_parts(&path);
    parts.push((
        "customXml/item1.xml".to_owned(),
        b"<hidden>not in any cell</hidden>".to_vec(),
    ));
    write_zip(&path, &parts, 1);
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stdout.trim(),
        "overview.xlsx: part customXml/item1.xml: recomputed \"no part\", found \"32 bytes (the same cells and formulas read back)\""
    );
}

/// The PDF re-saved by another writer: streams decompressed, objects renumbered.
fn resaved_pdf(bytes: &[u8]) -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(bytes).expect("a PDF");
    doc.decompress();
    doc.renumber_objects_with(40);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save the PDF");
    assert_ne!(out, bytes);
    out
}

/// The PDF with two different character codes of the first run of page 1 whose text holds
/// `needle` swapped in its content stream (fonts untouched): returns the new PDF, the run's
/// text before and after.
fn swapped_pdf(bytes: &[u8], needle: &str) -> (Vec<u8>, String, String) {
    use lopdf::content::Content;
    use lopdf::Object;
    let mut doc = lopdf::Document::load_mem(bytes).expect("a PDF");
    let page = *doc.get_pages().get(&1).expect("page 1");
    let mut content = Content::decode(&doc.get_page_content(page)).expect("page 1's content");
    let (mut before, mut after) = (String::new(), String::new());
    {
        let fonts = doc.get_page_fonts(page).expect("fonts");
        let mut encoding = None;
        for op in &mut content.operations {
            match op.operator.as_str() {
                "Tf" => {
                    let name = op.operands[0].as_name().expect("a font name").to_vec();
                    encoding = Some(fonts[&name].get_font_encoding(&doc).expect("an encoding"));
                }
                // pdf-writer shows a run with Tj, krilla with TJ of one string.
                "Tj" | "TJ" => {
                    let enc = encoding.as_ref().expect("a font");
                    let codes = match &mut op.operands[0] {
                        Object::String(codes, _) => codes,
                        Object::Array(a) => match a.first_mut() {
                            Some(Object::String(codes, _)) => codes,
                            _ => continue,
                        },
                        _ => continue,
                    };
                    let text = lopdf::Document::decode_text(enc, codes).expect("text");
                    if !text.contains(needle) {
                        continue;
                    }
                    let i = (0..codes.len() / 2 - 1)
                        .find(|&i| codes[2 * i..2 * i + 2] != codes[2 * i + 2..2 * i + 4])
                        .expect("two different characters");
                    let (a, b) = codes.split_at_mut(2 * i + 2);
                    a[2 * i..].swap_with_slice(&mut b[..2]);
                    before = text;
                    after = lopdf::Document::decode_text(enc, codes).expect("text");
                    break;
                }
                _ => {}
            }
        }
    }
    assert!(!before.is_empty(), "no text with {needle:?} on page 1");
    assert_ne!(before, after);
    doc.change_page_content(page, content.encode().expect("encode"))
        .expect("change page 1");
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save the PDF");
    (out, before, after)
}

/// The invoices' PDFs written differently (as every PDF written with krilla before ce3607d is
/// to today's pdf-writer): the same documents. verify reported each as "other bytes".
#[test]
fn pdfs_written_differently_with_the_same_content_pass() {
    let (input, out) = draft_output("verify-pdf-resaved");
    let mut n = 0;
    for entry in std::fs::read_dir(out.join("invoices")).expect("invoices") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "pdf") {
            let bytes = std::fs::read(&path).expect("a PDF");
            std::fs::write(&path, resaved_pdf(&bytes)).expect("write");
            n += 1;
        }
    }
    assert!(n >= 2, "{n} PDFs");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.is_empty(), "{stdout}");
}

/// A figure changed inside a PDF's content stream (the fonts and everything else kept) is
/// reported with its page and line, both texts shown.
#[test]
fn a_text_changed_inside_a_pdf_is_found_with_its_page_and_line() {
    let (input, out) = draft_output("verify-pdf-text");
    let path = out.join("invoices/a-b.pdf");
    let bytes = std::fs::read(&path).expect("a-b.pdf");
    // The buyer's name.
    let (changed, before, after) = swapped_pdf(&resaved_pdf(&bytes), "Beta");
    std::fs::write(&path, changed).expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("invoices/a-b.pdf: page 1, line "))
        .unwrap_or_else(|| panic!("{before:?} → {after:?}:\n{stdout}"));
    assert!(
        line.contains(&format!("recomputed \"{before}"))
            && line.contains(&format!("found \"{after}")),
        "{before:?} → {after:?}:\n{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
}

/// A file that is not a PDF where a PDF belongs is a difference, not a failure of verify.
#[test]
fn a_pdf_that_does_not_parse_is_a_difference() {
    let (input, out) = draft_output("verify-pdf-garbage");
    std::fs::write(out.join("invoices/a-b.pdf"), b"%PDF-1.7\nnot really").expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.starts_with("invoices/a-b.pdf: recomputed \"")
            && stdout.contains("bytes that cannot be read: not a PDF"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
}

/// The old krilla PDF of `testdata/cases/ikomet-3` (see testdata/verify/README.md) in a folder
/// recomputed today: the same invoice, other bytes, verified clean.
#[test]
fn a_pdf_written_with_krilla_passes() {
    let dir = scratch("verify-krilla");
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cases/ikomet-3");
    let out = dir.join("out");
    let run = cli(&[
        "run",
        text(&case.join("agreement.xlsx")),
        "--date",
        "2019-03-01",
        "--out",
        text(&out),
    ]);
    assert!(run.status.success(), "run: {run:?}");
    let old = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/verify/krilla-ikomet-3-2019-03-01-0182-0120.pdf"),
    )
    .expect("the krilla fixture");
    let path = out.join("invoices/0182-0120.pdf");
    assert_ne!(std::fs::read(&path).expect("the PDF"), old);
    std::fs::write(&path, &old).expect("write");
    let (code, stdout) = verify(&case.join("agreement.xlsx"), &out);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.is_empty(), "{stdout}");
    // The comparison reads the krilla PDF's text: one word swapped in it is found.
    let (changed, before, after) = swapped_pdf(&old, "Nacka");
    std::fs::write(&path, changed).expect("write");
    let (code, stdout) = verify(&case.join("agreement.xlsx"), &out);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.starts_with("invoices/0182-0120.pdf: page 1, line ")
            && stdout.contains(&before)
            && stdout.contains(&after),
        "{before:?} → {after:?}:\n{stdout}"
    );
}

/// B9: a CSV line with one more (empty) field than recomputed read the same as the line
/// without it.
#[test]
fn an_extra_trailing_empty_field_in_a_csv_line_is_found() {
    let (input, out) = draft_output("verify-csv-extra-field");
    let path = out.join("lines.csv");
    let csv = std::fs::read_to_string(&path).expect("lines.csv");
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    lines[2].push(',');
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.trim().starts_with("lines.csv: row 3, field ")
            && stdout
                .trim()
                .ends_with(r#": recomputed "no field", found (empty)"#),
        "{stdout}"
    );
}

/// B9: a missing CSV line was reported with its first field only, not the line.
#[test]
fn a_missing_csv_line_is_reported_with_its_content() {
    let (input, out) = draft_output("verify-csv-missing-line");
    let path = out.join("lines.csv");
    let csv = std::fs::read_to_string(&path).expect("lines.csv");
    let lines: Vec<&str> = csv.lines().collect();
    let (last, kept) = lines.split_last().expect("lines");
    std::fs::write(&path, kept.join("\n") + "\n").expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stdout.trim(),
        format!(
            "lines.csv: row {}: recomputed {:?}, found \"no line\"",
            lines.len(),
            last
        )
    );
}

/// B9: a number of a workbook rewritten as the same text passed.
#[test]
fn a_number_rewritten_as_text_in_a_workbook_is_found() {
    let (input, out) = draft_output("verify-number-as-text");
    let path = out.join("invoices/a-b.xlsx");
    let changed = rewrite_xlsx_with(&path, "Faktura", |f| {
        (f == 33.33).then(|| Data::String("33.33".to_owned()))
    });
    assert!(!changed.is_empty(), "no cell of 33.33");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("invoices/a-b.xlsx: Faktura!E")
            && stdout.contains(r#"recomputed "33.33 (number)", found "33.33 (text)""#),
        "{changed}:\n{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
}

/// B3: an issued folder was recomputed with the numbers it claimed itself, so a folder whose
/// register was lost (or never issued those numbers) passed.
#[test]
fn an_issued_folder_claiming_numbers_the_register_did_not_issue_is_found() {
    let dir = scratch("verify-issued-unregistered");
    let input = dir.join("agreement");
    std::fs::create_dir_all(&input).expect("folder");
    for (name, body) in [
        (
            "Settings.csv",
            "setting,value\nname,Utfärdat\nissuer,0180\nstart,2026-01-01\nfirst_invoice_number,1001\n",
        ),
        (
            "Parties.csv",
            "id,name,org_nr,population,street,postcode,city,buyer_reference\n0180,Stockholm,212000-0142,900000,Box 1,111 11,Stockholm,A1\n1480,Göteborg,212000-1355,580000,Box 2,411 11,Göteborg,B2\n",
        ),
        (
            "Pools.csv",
            "id,name,amount,due,key\nsys,System,1000,2026-01-01,population\n",
        ),
    ] {
        std::fs::write(input.join(name), body).expect("write");
    }
    let out = dir.join("out");
    let register = dir.join("register.sqlite");
    let issue = cli(&[
        "issue",
        text(&input),
        "--date",
        "2026-01-01",
        "--out",
        text(&out),
        "--register",
        text(&register),
        "--new-register",
    ]);
    assert!(issue.status.success(), "issue: {issue:?}");
    let with = |reg: &Path| {
        let o = cli(&["verify", text(&input), text(&out), "--register", text(reg)]);
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, stdout) = with(&register);
    assert_eq!(code, Some(0), "{stdout}");
    // Another register, which issued nothing on the date: the folder's numbers are not its.
    let (code, stdout) = with(&dir.join("other.sqlite"));
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("invoices.json: invoices[0].number: recomputed \"null\", found \"1001\""),
        "{stdout}"
    );
}

/// An issued folder (PDFs and e-invoices) of three parties on 2026-01-01: (input, folder).
fn issued_output(test: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(test);
    let input = dir.join("agreement");
    std::fs::create_dir_all(&input).expect("folder");
    for (name, body) in [
        (
            "Settings.csv",
            "setting,value\nname,Utfärdat\nissuer,0180\nstart,2026-01-01\nfirst_invoice_number,1001\n",
        ),
        (
            "Parties.csv",
            "id,name,org_nr,population,street,postcode,city,buyer_reference\n0180,Stockholm,212000-0142,900000,Box 1,111 11,Stockholm,A1\n1480,Göteborg,212000-1355,580000,Box 2,411 11,Göteborg,B2\n1280,Malmö,212000-1124,350000,Box 3,211 11,Malmö,C3\n",
        ),
        (
            "Pools.csv",
            "id,name,amount,due,key\nsys,System,1000000.01,2026-01-01,population\n",
        ),
    ] {
        std::fs::write(input.join(name), body).expect("write");
    }
    let out = dir.join("out");
    let issue = cli(&[
        "issue",
        text(&input),
        "--date",
        "2026-01-01",
        "--out",
        text(&out),
        "--new-register",
    ]);
    assert!(issue.status.success(), "issue: {issue:?}");
    (input, out)
}

/// The text between `<tag ...>` and `</tag>` in `xml`: (start, end) byte offsets.
fn element_text(xml: &str, tag: &str) -> (usize, usize) {
    let open = xml.find(&format!("<{tag}")).expect("the element");
    let start = open + xml[open..].find('>').expect("its start tag's end") + 1;
    let end = start
        + xml[start..]
            .find(&format!("</{tag}>"))
            .expect("its end tag");
    (start, end)
}

const EMBEDDED: &str = "cbc:EmbeddedDocumentBinaryObject";
const EMBEDDED_PATH: &str =
    "Invoice/cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject";

/// `xml` with its embedded PDF replaced by `change(pdf)`, in base64 broken into lines of 76
/// characters as many writers do.
fn with_embedded_pdf(xml: &str, change: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    use base64::Engine as _;
    let (start, end) = element_text(xml, EMBEDDED);
    let b64 = base64::engine::general_purpose::STANDARD;
    let pdf = b64.decode(&xml[start..end]).expect("base64");
    let encoded = b64.encode(change(&pdf));
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).expect("ASCII"))
        .collect();
    format!("{}{}{}", &xml[..start], lines.join("\n"), &xml[end..])
}

/// An e-invoice whose embedded PDF was written by another writer (as every e-invoice issued
/// before ce3607d embeds a krilla PDF): the same e-invoice. verify reported it as "other
/// bytes".
#[test]
fn an_e_invoice_whose_embedded_pdf_was_written_differently_passes() {
    let (input, out) = issued_output("verify-xml-resaved");
    let path = out.join("invoices/0180-1001-1280.xml");
    let xml = std::fs::read_to_string(&path).expect("the e-invoice");
    std::fs::write(&path, with_embedded_pdf(&xml, resaved_pdf)).expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.is_empty(), "{stdout}");
}

/// A changed amount in an e-invoice is reported with its element's path; a changed text in
/// its embedded PDF with the path, the page and the line.
#[test]
fn a_changed_amount_or_embedded_text_in_an_e_invoice_is_found_with_its_path() {
    let (input, out) = issued_output("verify-xml-changed");
    let path = out.join("invoices/0180-1001-1280.xml");
    let xml = std::fs::read_to_string(&path).expect("the e-invoice");
    let (start, end) = element_text(&xml, "cbc:PayableAmount");
    let amount = &xml[start..end];
    let changed = match amount.strip_suffix('1') {
        Some(rest) => format!("{rest}2"),
        None => format!("{}1", &amount[..amount.len() - 1]),
    };
    std::fs::write(&path, format!("{}{changed}{}", &xml[..start], &xml[end..])).expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stdout.trim(),
        format!(
            "invoices/0180-1001-1280.xml: Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount: recomputed \"{amount}\", found \"{changed}\""
        )
    );

    let mut swap = (String::new(), String::new());
    let changed = with_embedded_pdf(&xml, |pdf| {
        let (bytes, before, after) = swapped_pdf(pdf, "Malmö");
        swap = (before, after);
        bytes
    });
    std::fs::write(&path, changed).expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    let (before, after) = swap;
    assert!(
        stdout.starts_with(&format!(
            "invoices/0180-1001-1280.xml: {EMBEDDED_PATH}: page 1, line "
        )) && stdout.contains(&format!("recomputed \"{before}"))
            && stdout.contains(&format!("found \"{after}")),
        "{before:?} → {after:?}:\n{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
}

/// An e-invoice that is not well-formed XML is a difference, not a failure of verify; an
/// element removed is reported once with its path.
#[test]
fn a_broken_e_invoice_or_a_missing_element_is_a_difference() {
    let (input, out) = issued_output("verify-xml-broken");
    let path = out.join("invoices/0180-1002-1480.xml");
    let xml = std::fs::read_to_string(&path).expect("the e-invoice");
    std::fs::write(&path, &xml[..xml.len() / 2]).expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.starts_with("invoices/0180-1002-1480.xml: recomputed \"")
            && stdout.contains("bytes that cannot be read"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");

    let open = xml.find("<cac:PaymentTerms>").expect("PaymentTerms");
    let close = xml.find("</cac:PaymentTerms>").expect("its end") + "</cac:PaymentTerms>".len();
    std::fs::write(&path, format!("{}{}", &xml[..open], &xml[close..])).expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stdout.trim(),
        "invoices/0180-1002-1480.xml: Invoice/cac:PaymentTerms: recomputed \"an element\", found \"no such element\""
    );
}

/// Page 1 of `bytes` with its content operations edited by `edit(operations, i)`, `i` the
/// first text-showing operation whose text holds `needle`.
fn edited_pdf(
    bytes: &[u8],
    needle: &str,
    edit: impl FnOnce(&mut Vec<lopdf::content::Operation>, usize),
) -> Vec<u8> {
    use lopdf::content::Content;
    use lopdf::Object;
    let mut doc = lopdf::Document::load_mem(bytes).expect("a PDF");
    let page = *doc.get_pages().get(&1).expect("page 1");
    let mut content = Content::decode(&doc.get_page_content(page)).expect("page 1's content");
    let at = {
        let fonts = doc.get_page_fonts(page).expect("fonts");
        let mut encoding = None;
        let mut at = None;
        for (i, op) in content.operations.iter().enumerate() {
            match op.operator.as_str() {
                "Tf" => {
                    let name = op.operands[0].as_name().expect("a font name").to_vec();
                    encoding = Some(fonts[&name].get_font_encoding(&doc).expect("an encoding"));
                }
                "Tj" | "TJ" => {
                    let codes = match &op.operands[0] {
                        Object::String(codes, _) => codes,
                        Object::Array(a) => match a.first() {
                            Some(Object::String(codes, _)) => codes,
                            _ => continue,
                        },
                        _ => continue,
                    };
                    let enc = encoding.as_ref().expect("a font");
                    let text = lopdf::Document::decode_text(enc, codes).expect("text");
                    if text.contains(needle) {
                        at = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        at.unwrap_or_else(|| panic!("no text with {needle:?} on page 1"))
    };
    edit(&mut content.operations, at);
    doc.change_page_content(page, content.encode().expect("encode"))
        .expect("change page 1");
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save the PDF");
    out
}

fn op(operator: &str, operands: Vec<lopdf::Object>) -> lopdf::content::Operation {
    lopdf::content::Operation::new(operator, operands)
}

/// The first (2-byte) character codes of a text-showing operation and the rest.
fn split_codes(op: &lopdf::content::Operation) -> (Vec<u8>, Vec<u8>) {
    let codes = match &op.operands[0] {
        lopdf::Object::String(codes, _) => codes.clone(),
        lopdf::Object::Array(a) => match a.first() {
            Some(lopdf::Object::String(codes, _)) => codes.clone(),
            other => panic!("no string: {other:?}"),
        },
        other => panic!("no string: {other:?}"),
    };
    assert!(codes.len() >= 4, "{codes:?}");
    (codes[..2].to_vec(), codes[2..].to_vec())
}

/// A draft of `test`, with its invoice `a-b.pdf` re-saved and page 1 edited as [`edited_pdf`]
/// edits it at the text `Beta`: the input, the output folder, the PDF's path and the edited
/// bytes (not yet written).
fn draft_with_edited_pdf(
    test: &str,
    edit: impl FnOnce(&mut Vec<lopdf::content::Operation>, usize),
) -> (PathBuf, PathBuf, PathBuf, Vec<u8>) {
    let (input, out) = draft_output(test);
    let path = out.join("invoices/a-b.pdf");
    let bytes = std::fs::read(&path).expect("a-b.pdf");
    let changed = edited_pdf(&resaved_pdf(&bytes), "Beta", edit);
    (input, out, path, changed)
}

/// `verify` fails, and its report starts with a line of page 1 of `a-b.pdf` holding `text`.
fn assert_a_page_1_line_differs(input: &Path, out: &Path, text: &str) {
    let (code, stdout) = verify(input, out);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.starts_with("invoices/a-b.pdf: page 1, line ") && stdout.contains(text),
        "{stdout}"
    );
}

/// A: the buyer's name drawn invisibly (`3 Tr`) is not the name shown.
#[test]
fn a_text_drawn_invisibly_in_a_pdf_is_found() {
    let (input, out, path, changed) = draft_with_edited_pdf("verify-pdf-invisible", |ops, i| {
        ops.insert(i + 1, op("Tr", vec![0.into()]));
        ops.insert(i, op("Tr", vec![3.into()]));
    });
    std::fs::write(&path, changed).expect("write");
    assert_a_page_1_line_differs(&input, &out, "Beta");
}

/// B: a fill colour changed inside a run (`(B)Tj 1 1 1 rg (eta)Tj 0 0 0 rg`: the rest in
/// white) is not the run drawn in one colour.
#[test]
fn a_colour_changed_inside_a_run_of_a_pdf_is_found() {
    let (input, out, path, changed) = draft_with_edited_pdf("verify-pdf-colour", |ops, i| {
        let (first, rest) = split_codes(&ops[i]);
        let string = |c: Vec<u8>| lopdf::Object::String(c, lopdf::StringFormat::Hexadecimal);
        ops[i] = op("Tj", vec![string(first)]);
        ops.insert(i + 1, op("rg", vec![1.into(), 1.into(), 1.into()]));
        ops.insert(i + 2, op("Tj", vec![string(rest)]));
        // Black again for what follows, as before.
        ops.insert(i + 3, op("rg", vec![0.into(), 0.into(), 0.into()]));
    });
    std::fs::write(&path, changed).expect("write");
    assert_a_page_1_line_differs(&input, &out, "eta");
}

/// C: a form XObject, a shading and an annotation added to a page (any of which can cover a
/// figure) are each found with the page.
#[test]
fn an_xobject_shading_or_annotation_added_to_a_pdf_is_found() {
    let (input, out, path, changed) = draft_with_edited_pdf("verify-pdf-cover", |ops, _| {
        ops.push(op("q", vec![]));
        ops.push(op("Do", vec![lopdf::Object::Name(b"Fm9".to_vec())]));
        ops.push(op("sh", vec![lopdf::Object::Name(b"Sh9".to_vec())]));
        ops.push(op("Q", vec![]));
    });
    let mut doc = lopdf::Document::load_mem(&changed).expect("a PDF");
    let page = *doc.get_pages().get(&1).expect("page 1");
    let mut square = lopdf::Dictionary::new();
    square.set("Type", lopdf::Object::Name(b"Annot".to_vec()));
    square.set("Subtype", lopdf::Object::Name(b"Square".to_vec()));
    square.set(
        "Rect",
        vec![0.into(), 0.into(), 100.into(), 100.into()] as Vec<lopdf::Object>,
    );
    let annot = doc.add_object(square);
    doc.get_dictionary_mut(page)
        .expect("page 1")
        .set("Annots", vec![lopdf::Object::Reference(annot)]);
    let mut changed = Vec::new();
    doc.save_to(&mut changed).expect("save the PDF");
    std::fs::write(&path, changed).expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for what in ["Fm9", "Sh9", "Square"] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("invoices/a-b.pdf: page 1, ") && l.contains(what)),
            "{what}:\n{stdout}"
        );
    }
}

/// E: two elements of the invoice swapped (`cbc:ID` after `cbc:IssueDate`) are found with
/// their parent and both orders.
#[test]
fn swapped_elements_in_an_e_invoice_are_found() {
    let (input, out) = issued_output("verify-xml-order");
    let path = out.join("invoices/0180-1001-1280.xml");
    let xml = std::fs::read_to_string(&path).expect("the e-invoice");
    let element = |tag: &str| {
        let open = xml.find(&format!("<{tag}>")).expect("the element");
        let close = xml[open..].find(&format!("</{tag}>")).expect("its end") + open;
        xml[open..close + tag.len() + 3].to_owned()
    };
    let (id, date) = (element("cbc:ID"), element("cbc:IssueDate"));
    assert!(xml.find(&id) < xml.find(&date), "{xml}");
    let swapped = xml
        .replacen(&id, "", 1)
        .replacen(&date, &format!("{date}{id}"), 1);
    std::fs::write(&path, swapped).expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.starts_with("invoices/0180-1001-1280.xml: Invoice (order of its elements): ")
            && stdout.contains("recomputed \"")
            && stdout.contains("cbc:ID, cbc:IssueDate")
            && stdout.contains("cbc:IssueDate, cbc:ID"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
}
