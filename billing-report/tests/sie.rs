//! SIE 4 files of issued invoices and a credit note, read back by a small parser: every
//! verification balances, every account and cost centre used is declared, the file is code
//! page 437; bad accounts and text are refused with a clear error.

use std::collections::{BTreeMap, BTreeSet};

use billing_core::Money;
use billing_report::document::{
    self, Credited, DocumentKind, InvoiceDocument, VatBreakdown, VatCategory, VatCode,
};
use billing_report::sie::{
    invoice_verification, write_sie, Account, Chart, CostCentre, LineBooking, SieError, SieFile,
    Transaction, Verification,
};
use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("a decimal")
}

fn money(d: Decimal) -> Money {
    Money::exact(d).expect("whole öre")
}

fn account(s: &str) -> Account {
    Account::new(s).expect("a BAS account")
}

/// The example with its support lines at 12 % and 6 % instead, totals recomputed.
fn reduced_rates() -> InvoiceDocument {
    let mut doc = document::example();
    doc.number = Some(1003);
    for (line, rate) in doc.lines.iter_mut().zip(["12", "6", "6"]) {
        line.vat = VatCategory {
            code: VatCode::Standard,
            rate: dec(rate),
            exemption_reason: None,
            exemption_code: None,
        };
    }
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
    let vat: Decimal = doc.vat.iter().map(|b| b.vat.to_decimal()).sum();
    let net = doc.net_total.to_decimal();
    let payable = (net + vat).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    doc.vat_total = money(vat);
    doc.rounding = money(payable - net - vat);
    doc.payable = money(payable);
    assert_eq!(doc.check(), Vec::<String>::new());
    doc
}

fn credit_note() -> InvoiceDocument {
    let mut doc = document::example();
    doc.kind = DocumentKind::CreditNote;
    doc.number = Some(1002);
    doc.issue_date = date("2011-08-15");
    doc.credited = Some(Credited {
        number: 1001,
        issue_date: date("2011-07-01"),
    });
    doc
}

fn chart() -> Chart {
    let mut chart = Chart::bas();
    chart.names.insert(
        account("3590"),
        "Fakturerade kostnader, samverkan".to_owned(),
    );
    chart
}

fn file() -> SieFile {
    let chart = chart();
    // The example's lines: three support lines on the default account, the user fee and the
    // start-up share on 3590 for cost centre 100, the logins on cost centre 200.
    let bookings = vec![
        LineBooking::default(),
        LineBooking::default(),
        LineBooking::default(),
        LineBooking {
            account: Some(account("3590")),
            cost_centre: Some("100".to_owned()),
        },
        LineBooking {
            account: Some(account("3590")),
            cost_centre: Some("100".to_owned()),
        },
        LineBooking {
            account: None,
            cost_centre: Some("200".to_owned()),
        },
    ];
    let verifications = vec![
        invoice_verification(&document::example(), &chart, &bookings, "F").expect("booked"),
        invoice_verification(&credit_note(), &chart, &bookings, "F").expect("booked"),
        invoice_verification(&reduced_rates(), &chart, &[], "F").expect("booked"),
    ];
    SieFile {
        program: ("billing-report".to_owned(), "0.1.0".to_owned()),
        generated: date("2011-08-31"),
        org_nr: "212000-8806".to_owned(),
        company: "Kalmar kommun".to_owned(),
        fiscal_year: (date("2011-01-01"), date("2011-12-31")),
        earlier_years: Vec::new(),
        chart,
        cost_centres: vec![
            CostCentre {
                id: "200".to_owned(),
                name: "Vård och omsorg".to_owned(),
            },
            CostCentre {
                id: "100".to_owned(),
                name: "Socialtjänst, \"jour\"".to_owned(),
            },
        ],
        verifications,
    }
}

/// The fields of one SIE line: quoted strings unescaped, `{…}` kept as one field.
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut field = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => field.extend(chars.next()),
                    '"' => break,
                    _ => field.push(c),
                }
            }
            out.push(field);
        } else if c == '{' {
            let mut field = String::new();
            for c in chars.by_ref() {
                field.push(c);
                if c == '}' {
                    break;
                }
            }
            out.push(field);
        } else {
            let mut field = String::new();
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                field.push(c);
                chars.next();
            }
            out.push(field);
        }
    }
    out
}

/// A verification read back: its #VER fields and its transactions (account, objects, amount).
type ParsedVer = (Vec<String>, Vec<(String, String, Decimal)>);

/// What the parser read: the header labels in order, declared accounts and objects, and per
/// verification its transactions (account, object list, amount).
struct Parsed {
    labels: Vec<String>,
    header: BTreeMap<String, Vec<String>>,
    accounts: BTreeSet<String>,
    objects: BTreeSet<String>,
    verifications: Vec<ParsedVer>,
}

fn parse(bytes: &[u8]) -> Parsed {
    use codepage_437::{FromCp437, CP437_CONTROL};
    let text = String::from_cp437(bytes.to_vec(), &CP437_CONTROL);
    assert!(text.ends_with("\r\n"), "lines end CR LF");
    let mut parsed = Parsed {
        labels: Vec::new(),
        header: BTreeMap::new(),
        accounts: BTreeSet::new(),
        objects: BTreeSet::new(),
        verifications: Vec::new(),
    };
    let mut open = false;
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
        let f = fields(line);
        match f[0].as_str() {
            "{" => open = true,
            "}" => open = false,
            "#VER" => parsed.verifications.push((f[1..].to_vec(), Vec::new())),
            "#TRANS" => {
                assert!(open, "#TRANS outside a verification: {line}");
                let amount: Decimal = f[3].parse().expect("an amount");
                assert!(amount.scale() <= 2, "{line}");
                let ver = parsed.verifications.last_mut().expect("a #VER before");
                ver.1.push((f[1].clone(), f[2].clone(), amount));
            }
            "#KONTO" => {
                parsed.accounts.insert(f[1].clone());
            }
            "#OBJEKT" => {
                parsed.objects.insert(format!("{{{} \"{}\"}}", f[1], f[2]));
            }
            label => {
                parsed.labels.push(label.to_owned());
                parsed.header.insert(label.to_owned(), f[1..].to_vec());
            }
        }
    }
    parsed
}

#[test]
fn a_file_of_invoices_and_a_credit_note_reads_back_balanced_and_declared() {
    let bytes = write_sie(&file()).expect("written");
    assert_eq!(bytes, write_sie(&file()).expect("written"), "deterministic");
    // Code page 437: å 0x86, ä 0x84, ö 0x94, Ö 0x99; no UTF-8 (0xC3 would lead å ä ö there).
    for (letter, byte) in [("å", 0x86u8), ("ä", 0x84), ("ö", 0x94), ("Ö", 0x99)] {
        assert!(bytes.contains(&byte), "{letter} as {byte:#x}");
    }
    assert!(!bytes.contains(&0xC3), "no UTF-8 bytes");
    assert!(std::str::from_utf8(&bytes).is_err());

    let parsed = parse(&bytes);
    assert_eq!(
        parsed.labels,
        ["#FLAGGA", "#PROGRAM", "#FORMAT", "#GEN", "#SIETYP", "#ORGNR", "#FNAMN", "#RAR", "#DIM"]
    );
    assert_eq!(parsed.header["#FLAGGA"], ["0"]);
    assert_eq!(parsed.header["#PROGRAM"], ["billing-report", "0.1.0"]);
    assert_eq!(parsed.header["#FORMAT"], ["PC8"]);
    assert_eq!(parsed.header["#GEN"], ["20110831"]);
    assert_eq!(parsed.header["#SIETYP"], ["4"]);
    assert_eq!(parsed.header["#ORGNR"], ["212000-8806"]);
    assert_eq!(parsed.header["#FNAMN"], ["Kalmar kommun"]);
    assert_eq!(parsed.header["#RAR"], ["0", "20110101", "20111231"]);
    assert_eq!(parsed.header["#DIM"], ["1", "Kostnadsställe"]);
    assert!(
        parsed.objects.contains("{1 \"100\"}"),
        "{:?}",
        parsed.objects
    );

    assert_eq!(parsed.verifications.len(), 3);
    let mut used = BTreeSet::new();
    for (head, transactions) in &parsed.verifications {
        let sum: Decimal = transactions.iter().map(|t| t.2).sum();
        assert_eq!(sum, Decimal::ZERO, "verification {head:?} balances");
        for (account, objects, _) in transactions {
            assert!(
                parsed.accounts.contains(account),
                "#KONTO {account} declared"
            );
            assert!(
                objects == "{}" || parsed.objects.contains(objects),
                "{objects}"
            );
            used.insert(account.clone());
        }
    }
    assert_eq!(
        used, parsed.accounts,
        "every declared account is used, and no other"
    );

    let amounts = |i: usize| -> Vec<(String, String, String)> {
        parsed.verifications[i]
            .1
            .iter()
            .map(|(a, o, d)| (a.clone(), o.clone(), d.to_string()))
            .collect()
    };
    let t = |a: &str, o: &str, d: &str| (a.to_owned(), o.to_owned(), d.to_owned());
    assert_eq!(
        parsed.verifications[0].0,
        ["F", "1001", "20110701", "Faktura 1001 Stockholms stad"]
    );
    assert_eq!(
        amounts(0),
        [
            t("1510", "{}", "29513.00"),
            t("3001", "{}", "-10.02"),
            t("3001", "{}", "-10.02"),
            t("3001", "{}", "-10.02"),
            t("3590", "{1 \"100\"}", "-18000.00"),
            t("3590", "{1 \"100\"}", "-10032.00"),
            t("3004", "{1 \"200\"}", "-1443.60"),
            t("2611", "{}", "-7.52"),
            t("3740", "{}", "0.18"),
        ]
    );
    // The credit note: the same, reversed.
    assert_eq!(
        parsed.verifications[1].0[3],
        "Kreditfaktura 1002 Stockholms stad"
    );
    let reversed: Vec<_> = amounts(0)
        .into_iter()
        .map(|(a, o, d)| {
            let negated = -d.parse::<Decimal>().expect("an amount");
            (a, o, format!("{negated:.2}"))
        })
        .collect();
    assert_eq!(amounts(1), reversed);
    // 12 % and 6 % on their own output VAT accounts.
    let vat: Vec<_> = amounts(2)
        .into_iter()
        .filter(|(a, _, _)| a.starts_with("26"))
        .collect();
    assert_eq!(vat, [t("2631", "{}", "-1.20"), t("2621", "{}", "-1.20")]);
}

#[test]
fn an_account_that_is_not_four_digits_is_refused() {
    for bad in ["15100", "151", "0510", "15a0", ""] {
        let message = Account::new(bad).expect_err(bad).to_string();
        assert_eq!(
            message,
            format!("account {bad:?} is not a 4-digit BAS account (1000–9999)")
        );
    }
    assert_eq!(account(" 1510 ").number(), 1510);
}

#[test]
fn unbalanced_undeclared_and_unwritable_input_is_refused() {
    let mut f = file();
    f.verifications[0].transactions[0].amount = money(dec("29513.01"));
    assert_eq!(
        write_sie(&f).expect_err("unbalanced").to_string(),
        "verification F 1001: transactions add up to 0.01, not 0"
    );

    let mut f = file();
    f.verifications[0].transactions.push(Transaction {
        account: account("3999"),
        cost_centre: None,
        amount: Money::ZERO,
        text: String::new(),
    });
    assert_eq!(
        write_sie(&f).expect_err("undeclared").to_string(),
        "account 3999 is used by verification F 1001 but has no name in the chart"
    );

    let mut f = file();
    f.cost_centres.remove(0);
    assert_eq!(
        write_sie(&f).expect_err("unknown cost centre").to_string(),
        "cost centre \"200\" is used by verification F 1001 but not declared"
    );

    let mut f = file();
    f.company = "Kalmar kommun €".to_owned();
    assert_eq!(
        write_sie(&f).expect_err("not in code page 437").to_string(),
        "SIE line 7: '€' cannot be written in code page 437 (PC8): \"#FNAMN \\\"Kalmar kommun €\\\"\""
    );

    let mut f = file();
    f.verifications.push(Verification {
        series: "F".to_owned(),
        number: 1005,
        date: date("2011-09-01"),
        text: "två\nrader".to_owned(),
        transactions: Vec::new(),
    });
    let message = write_sie(&f).expect_err("a line break").to_string();
    assert!(
        message.contains("a line break or control character"),
        "{message}"
    );

    let mut f = file();
    f.fiscal_year = (date("2012-01-01"), date("2012-12-31"));
    assert_eq!(
        write_sie(&f).expect_err("outside the year").to_string(),
        "verification F 1001 is dated 2011-07-01, outside the fiscal year 2012-01-01 – 2012-12-31"
    );

    let mut f = file();
    f.org_nr = "2120008806".to_owned();
    assert!(matches!(write_sie(&f), Err(SieError::OrgNr { .. })));

    let mut doc = document::example();
    doc.number = None;
    assert!(matches!(
        invoice_verification(&doc, &chart(), &[], "F"),
        Err(SieError::Invoice { number: 0, .. })
    ));
    let message = invoice_verification(
        &document::example(),
        &chart(),
        &[LineBooking::default()],
        "F",
    )
    .expect_err("one booking for six lines")
    .to_string();
    assert_eq!(message, "invoice 1001: 1 line bookings for 6 invoice lines");
}
