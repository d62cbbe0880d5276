//! An invoice as a document: everything a buyer's accounts payable, an auditor and a Peppol BIS
//! Billing 3.0 e-invoice need (DOMAIN R15, mervärdesskattelagen 17 kap. 24 §), in one language
//! and independent of the format it is written in (PDF, UBL, workbook).
//!
//! The document holds text that is ready to print: descriptions, notes and the basis are
//! already in the document's language. Amounts are exact [`Money`]; unit prices are exact
//! decimals and may carry more than two decimals (a login at 0.30 kr, a fee per day).
//!
//! [`InvoiceDocument::check`] states the invariants every writer relies on: each line's amount
//! is its quantity times its unit price rounded to öre, or the line says why not; the VAT of a
//! category is computed on the category's net sum (BR-CO-17); the totals are the sums of their
//! parts to the öre.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use billing_core::Money;

/// The language of a document: one per document, never mixed (`language` setting, `sv` by
/// default). The library builds its explanations in both; a writer picks this one.
pub use billing_core::Language;

/// An invoice, or a credit note for an earlier invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// A debit invoice (UBL `Invoice`, type code 380).
    Invoice,
    /// A credit note (UBL `CreditNote`, type code 381); its amounts are positive and mean a
    /// credit, as in UBL.
    CreditNote,
}

/// A postal address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    /// Street and number, or box (one line).
    pub street: String,
    /// Postcode, e.g. `195 85`.
    pub postcode: String,
    /// City (postort).
    pub city: String,
    /// ISO 3166-1 alpha-2 country code, `SE` by default.
    pub country: String,
}

/// An electronic address (Peppol participant id), e.g. scheme `0007` and a Swedish
/// organisation number's ten digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The ISO 6523 ICD scheme, e.g. `0007` (Swedish organisation number) or `0088` (GLN).
    pub scheme: String,
    /// The identifier within the scheme.
    pub id: String,
}

/// The issuer or the buyer of an invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocParty {
    /// The party's id in the agreement (e.g. a municipality code).
    pub id: String,
    /// The legal name.
    pub name: String,
    /// Organisation number `NNNNNN-NNNC`, Luhn-checked upstream.
    pub org_nr: Option<String>,
    /// VAT registration number, `SE` + ten digits + `01`.
    pub vat_number: Option<String>,
    /// The postal address.
    pub address: Option<Address>,
    /// The Peppol address invoices are sent to (the buyer's) or from (the issuer's).
    pub endpoint: Option<Endpoint>,
    /// The buyer's reference ("Er referens", the routing code the buyer requires), or the
    /// issuer's contact ("Vår referens").
    pub reference: Option<String>,
}

/// The unit of a line's quantity, with its UN/ECE Recommendation 20 code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    /// One piece, one share, one lump sum (`C62`, "st").
    Piece,
    /// A user for a period (`C62`, "användare").
    User,
    /// A month (`MON`, "månader").
    Month,
    /// A day (`DAY`, "dagar").
    Day,
    /// A login (`C62`, "inloggningar").
    Login,
    /// A signature (`C62`, "underskrifter").
    Signature,
    /// A text message (`C62`, "sms").
    Sms,
    /// Any other counted transaction (`C62`, "st").
    Transaction,
}

impl Unit {
    /// The UN/ECE Recommendation 20 code used in UBL's `unitCode`.
    pub fn code(self) -> &'static str {
        match self {
            Unit::Month => "MON",
            Unit::Day => "DAY",
            _ => "C62",
        }
    }

    /// The unit as printed on the invoice, in `language`.
    pub fn label(self, language: Language) -> &'static str {
        match (self, language) {
            (Unit::Piece | Unit::Transaction, Language::Sv) => "st",
            (Unit::Piece | Unit::Transaction, Language::En) => "pcs",
            (Unit::User, Language::Sv) => "användare",
            (Unit::User, Language::En) => "users",
            (Unit::Month, Language::Sv) => "månader",
            (Unit::Month, Language::En) => "months",
            (Unit::Day, Language::Sv) => "dagar",
            (Unit::Day, Language::En) => "days",
            (Unit::Login, Language::Sv) => "inloggningar",
            (Unit::Login, Language::En) => "logins",
            (Unit::Signature, Language::Sv) => "underskrifter",
            (Unit::Signature, Language::En) => "signatures",
            (Unit::Sms, Language::Sv) => "sms",
            (Unit::Sms, Language::En) => "text messages",
        }
    }
}

/// A VAT category as EN 16931 names them (UNCL 5305 codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VatCode {
    /// `S`: standard or reduced rate (25, 12 or 6 %).
    Standard,
    /// `Z`: zero rated.
    ZeroRated,
    /// `E`: exempt from VAT (a reason is required).
    Exempt,
    /// `O`: outside the scope of VAT (a reason is required).
    OutsideScope,
}

impl VatCode {
    /// The UNCL 5305 code letter.
    pub fn letter(self) -> &'static str {
        match self {
            VatCode::Standard => "S",
            VatCode::ZeroRated => "Z",
            VatCode::Exempt => "E",
            VatCode::OutsideScope => "O",
        }
    }
}

/// The VAT treatment of a line: a category, its rate, and for `E` and `O` the reason in words
/// (and, where one applies, the VATEX code).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VatCategory {
    /// The category.
    pub code: VatCode,
    /// The rate in percent: 25, 12, 6, or 0 for `Z`, `E` and `O`.
    pub rate: Decimal,
    /// Why no VAT is charged, in the document's language (required for `E` and `O`).
    pub exemption_reason: Option<String>,
    /// The VATEX code of the reason, e.g. `VATEX-EU-O`, where one applies.
    pub exemption_code: Option<String>,
}

/// One line of the invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocLine {
    /// What it bills, in the document's language.
    pub description: String,
    /// A second line of text: how the amount was reached when it is a share ("Er andel 3,52 % av
    /// 285 000,00 kr enligt folkmängd"), or why quantity × unit price is not the amount.
    pub note: Option<String>,
    /// The first and the last day the line pays for, both included.
    pub period: Option<(NaiveDate, NaiveDate)>,
    /// How many units.
    pub quantity: Decimal,
    /// The unit.
    pub unit: Unit,
    /// The price of one unit, exact (may have more than two decimals).
    pub unit_price: Decimal,
    /// The net amount of the line, in öre.
    pub amount: Money,
    /// Its VAT category.
    pub vat: VatCategory,
}

/// The lines of one VAT category added up, and the VAT computed on that sum (BR-CO-17).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VatBreakdown {
    /// The category.
    pub category: VatCategory,
    /// The sum of the lines' net amounts in the category.
    pub taxable: Money,
    /// `taxable × rate`, rounded to öre half away from zero.
    pub vat: Money,
}

/// How and where to pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// The issuer's bankgiro number, e.g. `5050-1055`.
    pub bankgiro: Option<String>,
    /// The OCR payment reference (issued invoices only).
    pub ocr: Option<String>,
    /// Payment terms in days.
    pub days: u32,
}

/// The invoice a credit note credits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credited {
    /// Its number in the series.
    pub number: u64,
    /// Its issue date.
    pub issue_date: NaiveDate,
}

/// A section of the basis page ("Underlag"): a heading and its rows of label and value, only
/// the buyer's own figures and the totals it needs to check its share (R16).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasisSection {
    /// The heading, e.g. the pool's name.
    pub title: String,
    /// Rows of (label, value), already formatted.
    pub rows: Vec<(String, String)>,
}

/// One invoice or credit note, ready to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceDocument {
    /// The language every text of the document is in.
    pub language: Language,
    /// Invoice or credit note.
    pub kind: DocumentKind,
    /// The number in the issuer's series; `None` on a draft.
    pub number: Option<u64>,
    /// The issue date (fakturadatum).
    pub issue_date: NaiveDate,
    /// The due date (förfallodatum).
    pub due_date: NaiveDate,
    /// ISO 4217 currency code, `SEK`.
    pub currency: String,
    /// The issuer.
    pub seller: DocParty,
    /// True when the issuer is approved for F-tax ("Godkänd för F-skatt").
    pub seller_f_tax: bool,
    /// The buyer.
    pub buyer: DocParty,
    /// The agreement's name, shown as the invoice's subject.
    pub agreement: String,
    /// The lines, in the order printed.
    pub lines: Vec<DocLine>,
    /// Per VAT category: the taxable sum and the VAT.
    pub vat: Vec<VatBreakdown>,
    /// The sum of the lines' net amounts.
    pub net_total: Money,
    /// The sum of the categories' VAT.
    pub vat_total: Money,
    /// Öresavrundning: payable − (net + VAT); zero when totals are not rounded.
    pub rounding: Money,
    /// The amount to pay (or, on a credit note, to be credited).
    pub payable: Money,
    /// How to pay.
    pub payment: Payment,
    /// On a credit note: the invoice it credits.
    pub credited: Option<Credited>,
    /// A free text for the whole document (e.g. the reason of a credit note).
    pub note: Option<String>,
    /// The basis page.
    pub basis: Vec<BasisSection>,
}

impl InvoiceDocument {
    /// Every invariant the writers rely on that this document breaks, in words; empty when the
    /// document is consistent.
    ///
    /// - each line's amount is its quantity × unit price rounded to öre, unless its note says why
    ///   not;
    /// - `E` and `O` lines carry a reason; `S` lines a rate above zero, the others zero;
    /// - the breakdown has one entry per category used, its taxable sum is the sum of its lines,
    ///   its VAT is the taxable sum × rate rounded to öre half away from zero (BR-CO-17);
    /// - net, VAT and payable totals are the sums of their parts; rounding is under one krona;
    /// - a credit note names the invoice it credits, or its note says what it credits.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            let n = i + 1;
            let product = (line.quantity * line.unit_price)
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            if product != line.amount.to_decimal() && line.note.is_none() {
                problems.push(format!(
                    "line {n}: {} × {} is {product}, not the amount {}, and no note says why",
                    line.quantity, line.unit_price, line.amount
                ));
            }
            match line.vat.code {
                VatCode::Standard if line.vat.rate <= Decimal::ZERO => {
                    problems.push(format!("line {n}: category S needs a rate above 0"));
                }
                VatCode::ZeroRated | VatCode::Exempt | VatCode::OutsideScope
                    if !line.vat.rate.is_zero() =>
                {
                    problems.push(format!(
                        "line {n}: category {} must have rate 0",
                        line.vat.code.letter()
                    ));
                }
                VatCode::Exempt | VatCode::OutsideScope
                    if line
                        .vat
                        .exemption_reason
                        .as_deref()
                        .is_none_or(str::is_empty) =>
                {
                    problems.push(format!(
                        "line {n}: category {} needs the reason in words",
                        line.vat.code.letter()
                    ));
                }
                _ => {}
            }
            if let Some((first, last)) = line.period {
                if last < first {
                    problems.push(format!(
                        "line {n}: period ends {last} before it starts {first}"
                    ));
                }
            }
        }
        let mut categories: Vec<&VatCategory> = self.lines.iter().map(|l| &l.vat).collect();
        categories.sort();
        categories.dedup();
        if categories.len() != self.vat.len() {
            problems.push(format!(
                "{} VAT categories used on lines, {} in the breakdown",
                categories.len(),
                self.vat.len()
            ));
        }
        let mut vat_sum = Decimal::ZERO;
        for b in &self.vat {
            let taxable: Decimal = self
                .lines
                .iter()
                .filter(|l| l.vat == b.category)
                .map(|l| l.amount.to_decimal())
                .sum();
            if taxable != b.taxable.to_decimal() {
                problems.push(format!(
                    "category {} {} %: taxable {} is not the sum of its lines {taxable}",
                    b.category.code.letter(),
                    b.category.rate,
                    b.taxable
                ));
            }
            let vat = (b.taxable.to_decimal() * b.category.rate / Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            if vat != b.vat.to_decimal() {
                problems.push(format!(
                    "category {} {} %: VAT {} is not taxable × rate = {vat}",
                    b.category.code.letter(),
                    b.category.rate,
                    b.vat
                ));
            }
            vat_sum += b.vat.to_decimal();
        }
        let net: Decimal = self.lines.iter().map(|l| l.amount.to_decimal()).sum();
        if net != self.net_total.to_decimal() {
            problems.push(format!(
                "net total {} is not the sum of the lines {net}",
                self.net_total
            ));
        }
        if vat_sum != self.vat_total.to_decimal() {
            problems.push(format!(
                "VAT total {} is not the sum of the categories {vat_sum}",
                self.vat_total
            ));
        }
        let payable =
            self.net_total.to_decimal() + self.vat_total.to_decimal() + self.rounding.to_decimal();
        if payable != self.payable.to_decimal() {
            problems.push(format!(
                "payable {} is not net + VAT + rounding = {payable}",
                self.payable
            ));
        }
        if self.rounding.to_decimal().abs() >= Decimal::ONE {
            problems.push(format!("rounding {} is a krona or more", self.rounding));
        }
        // A credit note of this agreement credits no one invoice: it is the next date's
        // corrections exceeding what is due. Then its note says so (BT-22) instead.
        if self.kind == DocumentKind::CreditNote
            && self.credited.is_none()
            && self.note.as_deref().is_none_or(str::is_empty)
        {
            problems.push(
                "a credit note must name the invoice it credits or say in a note what it credits"
                    .to_owned(),
            );
        }
        problems
    }
}

/// An example document for the writers' tests and docs: Kalmar kommun invoices Stockholms stad
/// three lines at 25 % whose VATs, rounded line by line, would add up to 7.53 where the VAT of
/// their sum is 7.52 (BR-CO-17), a user-fee line (3 users × 6 000,00 kr), a split share at 0 %
/// outside the scope of VAT, 4 812 logins at 0,30 kr, and öresavrundning.
pub fn example() -> InvoiceDocument {
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a valid example date");
    let money = |s: &str| s.parse::<Money>().expect("a valid example amount");
    let dec = |s: &str| s.parse::<Decimal>().expect("a valid example decimal");
    let standard = VatCategory {
        code: VatCode::Standard,
        rate: dec("25"),
        exemption_reason: None,
        exemption_code: None,
    };
    let outside = VatCategory {
        code: VatCode::OutsideScope,
        rate: Decimal::ZERO,
        exemption_reason: Some(
            "Utanför mervärdesskattelagens tillämpningsområde (kostnadsfördelning mellan kommuner)"
                .to_owned(),
        ),
        exemption_code: Some("VATEX-EU-O".to_owned()),
    };
    let h2 = Some((date("2011-07-01"), date("2011-12-31")));
    let line = |description: &str,
                quantity: &str,
                unit: Unit,
                price: &str,
                amount: &str,
                vat: &VatCategory| DocLine {
        description: description.to_owned(),
        note: None,
        period: h2,
        quantity: dec(quantity),
        unit,
        unit_price: dec(price),
        amount: money(amount),
        vat: vat.clone(),
    };
    let lines = vec![
        line(
            "Support, juli",
            "1",
            Unit::Piece,
            "10.02",
            "10.02",
            &standard,
        ),
        line(
            "Support, augusti",
            "1",
            Unit::Piece,
            "10.02",
            "10.02",
            &standard,
        ),
        line(
            "Support, september",
            "1",
            Unit::Piece,
            "10.02",
            "10.02",
            &standard,
        ),
        line(
            "Användaravgift i förskott",
            "3",
            Unit::User,
            "6000",
            "18000.00",
            &outside,
        ),
        DocLine {
            note: Some("Er andel 3,52 % av 285 000,00 kr enligt folkmängd".to_owned()),
            ..line(
                "Startkostnad, e-tjänst",
                "1",
                Unit::Piece,
                "10032.00",
                "10032.00",
                &outside,
            )
        },
        line(
            "Inloggningar",
            "4812",
            Unit::Login,
            "0.30",
            "1443.60",
            &outside,
        ),
    ];
    InvoiceDocument {
        language: Language::Sv,
        kind: DocumentKind::Invoice,
        number: Some(1001),
        issue_date: date("2011-07-01"),
        due_date: date("2011-07-31"),
        currency: "SEK".to_owned(),
        seller: DocParty {
            id: "0880".to_owned(),
            name: "Kalmar kommun".to_owned(),
            org_nr: Some("212000-8806".to_owned()),
            vat_number: Some("SE212000880601".to_owned()),
            address: Some(Address {
                street: "Box 611".to_owned(),
                postcode: "391 26".to_owned(),
                city: "Kalmar".to_owned(),
                country: "SE".to_owned(),
            }),
            endpoint: Some(Endpoint {
                scheme: "0007".to_owned(),
                id: "2120008806".to_owned(),
            }),
            reference: Some("Ekonomienheten, Anna Andersson".to_owned()),
        },
        seller_f_tax: true,
        buyer: DocParty {
            id: "0180".to_owned(),
            name: "Stockholms stad".to_owned(),
            org_nr: Some("212000-0142".to_owned()),
            vat_number: Some("SE212000014201".to_owned()),
            address: Some(Address {
                street: "Ragnar Östbergs plan 1".to_owned(),
                postcode: "105 35".to_owned(),
                city: "Stockholm".to_owned(),
                country: "SE".to_owned(),
            }),
            endpoint: Some(Endpoint {
                scheme: "0007".to_owned(),
                id: "2120000142".to_owned(),
            }),
            reference: Some("ABC123".to_owned()),
        },
        agreement: "Samverkan kring verksamhetssystem, Kalmar län".to_owned(),
        lines,
        vat: vec![
            VatBreakdown {
                category: standard,
                taxable: money("30.06"),
                vat: money("7.52"),
            },
            VatBreakdown {
                category: outside,
                taxable: money("29475.60"),
                vat: money("0.00"),
            },
        ],
        net_total: money("29505.66"),
        vat_total: money("7.52"),
        rounding: money("-0.18"),
        payable: money("29513.00"),
        payment: Payment {
            bankgiro: Some("5050-1055".to_owned()),
            ocr: Some("100154".to_owned()),
            days: 30,
        },
        credited: None,
        note: None,
        basis: vec![BasisSection {
            title: "Startkostnad, e-tjänst".to_owned(),
            rows: vec![
                ("Belopp att fördela".to_owned(), "285 000,00 kr".to_owned()),
                ("Er folkmängd".to_owned(), "11 111".to_owned()),
                ("Summa folkmängd".to_owned(), "315 625".to_owned()),
                ("Er andel".to_owned(), "10 032,00 kr".to_owned()),
            ],
        }],
    }
}

/// The fixed words of an invoice document, in one language.
#[derive(Clone, Copy, Debug)]
pub struct Labels {
    /// "Faktura".
    pub invoice: &'static str,
    /// "Kreditfaktura".
    pub credit_note: &'static str,
    /// "Utkast" (a draft, not numbered).
    pub draft: &'static str,
    /// "Fakturanummer".
    pub number: &'static str,
    /// "Fakturadatum".
    pub issue_date: &'static str,
    /// "Förfallodatum".
    pub due_date: &'static str,
    /// "Betalningsvillkor".
    pub terms: &'static str,
    /// "dagar netto".
    pub days_net: &'static str,
    /// "Säljare" / issuer block heading.
    pub seller: &'static str,
    /// "Köpare".
    pub buyer: &'static str,
    /// "Organisationsnummer".
    pub org_nr: &'static str,
    /// "Momsregistreringsnummer".
    pub vat_number: &'static str,
    /// "Godkänd för F-skatt".
    pub f_tax: &'static str,
    /// "Er referens".
    pub buyer_reference: &'static str,
    /// "Vår referens".
    pub seller_reference: &'static str,
    /// "Avser".
    pub subject: &'static str,
    /// "Beskrivning".
    pub description: &'static str,
    /// "Period".
    pub period: &'static str,
    /// "Antal".
    pub quantity: &'static str,
    /// "Enhet".
    pub unit: &'static str,
    /// "À-pris".
    pub unit_price: &'static str,
    /// "Belopp".
    pub amount: &'static str,
    /// "Moms".
    pub vat: &'static str,
    /// "Momspliktigt belopp" / taxable sum.
    pub taxable: &'static str,
    /// "Momssats".
    pub vat_rate: &'static str,
    /// "Summa exkl. moms".
    pub net_total: &'static str,
    /// "Summa moms".
    pub vat_total: &'static str,
    /// "Öresavrundning".
    pub rounding: &'static str,
    /// "Att betala".
    pub payable: &'static str,
    /// "Att erhålla" (a credit note's total).
    pub to_credit: &'static str,
    /// "Bankgiro".
    pub bankgiro: &'static str,
    /// "OCR-nummer".
    pub ocr: &'static str,
    /// "Krediterar faktura".
    pub credits_invoice: &'static str,
    /// "Underlag".
    pub basis: &'static str,
    /// "Sida".
    pub page: &'static str,
    /// "av" (page N of M).
    pub of: &'static str,
    /// "Avtal": the agreement an invoice is billed under.
    pub agreement: &'static str,
    /// "Köparens id" (the party's id in the agreement).
    pub buyer_id: &'static str,
    /// "Valuta".
    pub currency: &'static str,
    /// "ej utfärdad": what a draft is.
    pub not_issued: &'static str,
    /// "Underlag per rad": the heading of the basis sheet.
    pub basis_per_line: &'static str,
    /// "Steg" (a step of a derivation).
    pub step: &'static str,
    /// "Beräkning".
    pub formula: &'static str,
    /// "Värde".
    pub value: &'static str,
    /// "Källa" (the cell a figure was read from).
    pub source: &'static str,
    /// "utanför momsens tillämpningsområde".
    pub outside_scope: &'static str,
    /// "utanför" (short, in a VAT column).
    pub outside_short: &'static str,
    /// "på" (VAT at a rate on a base).
    pub on: &'static str,
    /// "Momskategori": the heading of the VAT summary's first column.
    pub vat_category: &'static str,
    /// "Momspliktig försäljning": a category with VAT charged.
    pub taxable_standard: &'static str,
    /// "Nollskattesats": a zero-rated category.
    pub vat_zero_rated: &'static str,
}

impl Labels {
    /// The labels of `language`.
    pub fn of(language: Language) -> &'static Labels {
        match language {
            Language::Sv => &SV,
            Language::En => &EN,
        }
    }
}

const SV: Labels = Labels {
    invoice: "Faktura",
    credit_note: "Kreditfaktura",
    draft: "Utkast",
    number: "Fakturanummer",
    issue_date: "Fakturadatum",
    due_date: "Förfallodatum",
    terms: "Betalningsvillkor",
    days_net: "dagar netto",
    seller: "Säljare",
    buyer: "Köpare",
    org_nr: "Organisationsnummer",
    vat_number: "Momsregistreringsnummer",
    f_tax: "Godkänd för F-skatt",
    buyer_reference: "Er referens",
    seller_reference: "Vår referens",
    subject: "Avser",
    description: "Beskrivning",
    period: "Period",
    quantity: "Antal",
    unit: "Enhet",
    unit_price: "À-pris",
    amount: "Belopp",
    vat: "Moms",
    taxable: "Underlag för moms",
    vat_rate: "Momssats",
    net_total: "Summa exkl. moms",
    vat_total: "Summa moms",
    rounding: "Öresavrundning",
    payable: "Att betala",
    to_credit: "Att erhålla",
    bankgiro: "Bankgiro",
    ocr: "OCR-nummer",
    credits_invoice: "Krediterar faktura",
    basis: "Underlag",
    page: "Sida",
    of: "av",
    agreement: "Avtal",
    buyer_id: "Köparens id",
    currency: "Valuta",
    not_issued: "ej utfärdad",
    basis_per_line: "Underlag per rad",
    step: "Steg",
    formula: "Beräkning",
    value: "Värde",
    source: "Källa",
    outside_scope: "utanför momsens tillämpningsområde",
    outside_short: "utanför",
    on: "på",
    vat_category: "Momskategori",
    taxable_standard: "Momspliktig försäljning",
    vat_zero_rated: "Nollskattesats",
};

const EN: Labels = Labels {
    invoice: "Invoice",
    credit_note: "Credit note",
    draft: "Draft",
    number: "Invoice number",
    issue_date: "Invoice date",
    due_date: "Due date",
    terms: "Payment terms",
    days_net: "days net",
    seller: "Seller",
    buyer: "Buyer",
    org_nr: "Organisation number",
    vat_number: "VAT number",
    f_tax: "Approved for F-tax",
    buyer_reference: "Your reference",
    seller_reference: "Our reference",
    subject: "Regarding",
    description: "Description",
    period: "Period",
    quantity: "Quantity",
    unit: "Unit",
    unit_price: "Unit price",
    amount: "Amount",
    vat: "VAT",
    taxable: "Taxable amount",
    vat_rate: "VAT rate",
    net_total: "Total excl. VAT",
    vat_total: "Total VAT",
    rounding: "Rounding",
    payable: "Amount due",
    to_credit: "Amount credited",
    bankgiro: "Bankgiro",
    ocr: "OCR reference",
    credits_invoice: "Credits invoice",
    basis: "Basis",
    page: "Page",
    of: "of",
    agreement: "Agreement",
    buyer_id: "Buyer id",
    currency: "Currency",
    not_issued: "not issued",
    basis_per_line: "Basis of each line",
    step: "Step",
    formula: "Computation",
    value: "Value",
    source: "Source",
    outside_scope: "outside the scope of VAT",
    outside_short: "outside",
    on: "on",
    vat_category: "VAT category",
    taxable_standard: "Standard rated",
    vat_zero_rated: "Zero rated",
};

/// A decimal the Swedish way (`1 234,5`; `0,30`), keeping every decimal it has: for quantities
/// and unit prices. Amounts in öre use [`Money::to_swedish`].
pub fn swedish_decimal(value: Decimal) -> String {
    let text = value.normalize().to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    // Unit prices in kronor read best with at least two decimals: 0,30 rather than 0,3.
    let frac = if frac.len() == 1 {
        format!("{frac}0")
    } else {
        frac.to_owned()
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

/// A date as printed on Swedish documents: ISO 8601, `2011-07-01`.
pub fn document_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn swedish_decimals_group_thousands_and_keep_decimals() {
        assert_eq!(swedish_decimal(d("0.3")), "0,30");
        assert_eq!(swedish_decimal(d("1234567.5")), "1 234 567,50");
        assert_eq!(swedish_decimal(d("3")), "3");
        assert_eq!(swedish_decimal(d("-6033.1512")), "-6 033,1512");
    }

    #[test]
    fn the_example_is_consistent_and_its_vat_is_computed_on_the_sum() {
        let doc = example();
        assert_eq!(doc.check(), Vec::<String>::new());
        // Line by line, 2.505 rounds to 2.51 three times: 7.53. On the sum: 7.515 → 7.52.
        assert_eq!(doc.vat[0].vat.to_string(), "7.52");
    }

    #[test]
    fn check_finds_a_wrong_product_a_missing_reason_and_a_wrong_total() {
        let mut doc = example();
        doc.lines[5].amount = "1443.61".parse().unwrap();
        doc.lines[3].vat.exemption_reason = None;
        doc.payable = "1.00".parse().unwrap();
        let problems = doc.check().join("\n");
        assert!(
            problems.contains("line 6: 4812 × 0.30 is 1443.60, not the amount 1443.61"),
            "{problems}"
        );
        assert!(
            problems.contains("line 4: category O needs the reason in words"),
            "{problems}"
        );
        assert!(
            problems.contains("payable 1.00 is not net + VAT + rounding"),
            "{problems}"
        );
    }

    #[test]
    fn units_have_rec20_codes() {
        assert_eq!(Unit::Month.code(), "MON");
        assert_eq!(Unit::Login.code(), "C62");
        assert_eq!(Unit::Login.label(Language::Sv), "inloggningar");
    }
}
