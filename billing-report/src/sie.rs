//! SIE 4 (type 4, with verifications): what was invoiced, as the Swedish accounting transfer
//! file a ledger imports. One verification per invoice: the receivable debited with the amount
//! to pay, each line's income account credited with its net amount, the output VAT account of
//! each rate credited with the rate's VAT (as the invoice computed it, BR-CO-17), and
//! öresavrundning on its own account, balancing to zero. A credit note is the same, reversed.
//!
//! The file is written in PC8 (code page 437), as the format requires, through the
//! `codepage-437` crate: text that code page 437 cannot hold is an error naming the line, never
//! a silent `?`. Accounts are four-digit BAS accounts ([`Account`]); the defaults are BAS's
//! ([`Chart::bas`]). The same input gives the same bytes: the generation date is an argument.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::NaiveDate;
use codepage_437::CP437_CONTROL;
use rust_decimal::Decimal;

use billing_core::Money;

use crate::document::{DocumentKind, InvoiceDocument, VatCode};

/// Why an SIE file or a verification cannot be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SieError {
    /// An account that is not a four-digit BAS account.
    #[error("account {value:?} is not a 4-digit BAS account (1000–9999)")]
    Account {
        /// The value found.
        value: String,
    },
    /// A verification whose transactions do not add up to zero.
    #[error("verification {series} {number}: transactions add up to {sum}, not 0")]
    Unbalanced {
        /// The series.
        series: String,
        /// The number.
        number: u64,
        /// Their sum.
        sum: Decimal,
    },
    /// An account used without a name to declare it with (#KONTO).
    #[error(
        "account {account} is used by verification {series} {number} but has no name in the chart"
    )]
    Undeclared {
        /// The account.
        account: Account,
        /// The series of the first verification using it.
        series: String,
        /// Its number.
        number: u64,
    },
    /// A cost centre used without being declared (#OBJEKT).
    #[error("cost centre {id:?} is used by verification {series} {number} but not declared")]
    UnknownCostCentre {
        /// The cost centre.
        id: String,
        /// The series of the verification using it.
        series: String,
        /// Its number.
        number: u64,
    },
    /// A verification dated outside the fiscal years of the file.
    #[error(
        "verification {series} {number} is dated {date}, outside the fiscal year {first} – {last}"
    )]
    OutsideYear {
        /// The series.
        series: String,
        /// The number.
        number: u64,
        /// Its date.
        date: NaiveDate,
        /// The first day of the fiscal year.
        first: NaiveDate,
        /// The last day.
        last: NaiveDate,
    },
    /// VAT at a rate that has no output VAT account in the chart.
    #[error(
        "invoice {number}: VAT {vat} at {rate} % has no output VAT account (25, 12 and 6 % have)"
    )]
    VatRate {
        /// The invoice number.
        number: u64,
        /// The rate.
        rate: Decimal,
        /// The VAT.
        vat: Money,
    },
    /// The invoice to book is a draft, or its line bookings do not match its lines.
    #[error("invoice {number}: {what}")]
    Invoice {
        /// The invoice number, or 0 for a draft.
        number: u64,
        /// What is wrong.
        what: String,
    },
    /// Text that code page 437 cannot hold, or that the format cannot carry.
    #[error("SIE line {line}: {why}: {text:?}")]
    Text {
        /// The 1-based line of the file.
        line: usize,
        /// The line's text.
        text: String,
        /// What is wrong.
        why: String,
    },
    /// An organisation number not of the form `NNNNNN-NNNN`.
    #[error("organisation number {value:?} is not of the form NNNNNN-NNNN")]
    OrgNr {
        /// The value found.
        value: String,
    },
}

/// A four-digit account of the BAS chart, 1000–9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Account(u16);

impl Account {
    /// Reads an account number.
    ///
    /// # Errors
    /// [`SieError::Account`] unless `value` is four digits, the first not 0.
    pub fn new(value: &str) -> Result<Account, SieError> {
        let trimmed = value.trim();
        match trimmed.parse::<u16>() {
            Ok(n) if trimmed.len() == 4 && (1000..=9999).contains(&n) => Ok(Account(n)),
            _ => Err(SieError::Account {
                value: value.to_owned(),
            }),
        }
    }

    /// The account number.
    pub fn number(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The accounts invoices are booked on, with their names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    /// Kundfordringar, 1510.
    pub receivable: Account,
    /// Öres- och kronutjämning, 3740.
    pub rounding: Account,
    /// Output VAT at 25 %, 2611.
    pub vat_25: Account,
    /// Output VAT at 12 %, 2621.
    pub vat_12: Account,
    /// Output VAT at 6 %, 2631.
    pub vat_6: Account,
    /// Income at 25 %, 3001, for lines without an account of their own.
    pub income_25: Account,
    /// Income at 12 %, 3002.
    pub income_12: Account,
    /// Income at 6 %, 3003.
    pub income_6: Account,
    /// Income without VAT (Z, E, O), 3004.
    pub income_no_vat: Account,
    /// The name of every account the file may declare.
    pub names: BTreeMap<Account, String>,
}

impl Chart {
    /// The BAS accounts and names.
    pub fn bas() -> Chart {
        let names: BTreeMap<Account, String> = [
            (1510, "Kundfordringar"),
            (2611, "Utgående moms på försäljning inom Sverige, 25 %"),
            (2621, "Utgående moms på försäljning inom Sverige, 12 %"),
            (2631, "Utgående moms på försäljning inom Sverige, 6 %"),
            (3001, "Försäljning inom Sverige, 25 % moms"),
            (3002, "Försäljning inom Sverige, 12 % moms"),
            (3003, "Försäljning inom Sverige, 6 % moms"),
            (3004, "Försäljning inom Sverige, momsfri"),
            (3740, "Öres- och kronutjämning"),
        ]
        .into_iter()
        .map(|(n, name)| (Account(n), name.to_owned()))
        .collect();
        Chart {
            receivable: Account(1510),
            rounding: Account(3740),
            vat_25: Account(2611),
            vat_12: Account(2621),
            vat_6: Account(2631),
            income_25: Account(3001),
            income_12: Account(3002),
            income_6: Account(3003),
            income_no_vat: Account(3004),
            names,
        }
    }
}

/// Where one invoice line is booked, when not on the chart's income account for its VAT.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineBooking {
    /// The income account of the line's pool or fee.
    pub account: Option<Account>,
    /// The cost centre (dimension 1), declared in the file's cost centres.
    pub cost_centre: Option<String>,
}

/// A cost centre (#OBJEKT of dimension 1, "Kostnadsställe").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostCentre {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// One transaction of a verification: debit positive, credit negative, as SIE has them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// The account.
    pub account: Account,
    /// The cost centre, if any.
    pub cost_centre: Option<String>,
    /// The amount, debit positive.
    pub amount: Money,
    /// A text, e.g. the invoice line's description.
    pub text: String,
}

/// One verification (#VER): an invoice or credit note booked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// The series, e.g. `F` for customer invoices.
    pub series: String,
    /// The number, the invoice's.
    pub number: u64,
    /// The date, the invoice's issue date.
    pub date: NaiveDate,
    /// The text.
    pub text: String,
    /// The transactions, adding up to zero.
    pub transactions: Vec<Transaction>,
}

/// Everything an SIE 4 file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SieFile {
    /// The program's name and version (#PROGRAM).
    pub program: (String, String),
    /// The date the file is generated (#GEN), an argument so the output is reproducible.
    pub generated: NaiveDate,
    /// The issuer's organisation number `NNNNNN-NNNN` (#ORGNR).
    pub org_nr: String,
    /// The issuer's name (#FNAMN).
    pub company: String,
    /// The first and last day of the fiscal year (#RAR 0).
    pub fiscal_year: (NaiveDate, NaiveDate),
    /// The fiscal years before it that verifications are dated in, latest first (#RAR -1,
    /// #RAR -2, …); empty for a file of one year.
    pub earlier_years: Vec<(NaiveDate, NaiveDate)>,
    /// The chart naming every account used (#KONTO).
    pub chart: Chart,
    /// The cost centres (#DIM 1, #OBJEKT 1); none written when empty.
    pub cost_centres: Vec<CostCentre>,
    /// The verifications, in the order written.
    pub verifications: Vec<Verification>,
}

/// The verification of an invoice or credit note: the receivable against the income of each
/// line (on `lines[i]`'s account, or the chart's for the line's VAT), the output VAT of each
/// rate, and öresavrundning; a credit note reversed. Zero amounts are left out.
///
/// # Errors
/// [`SieError::Invoice`] for a draft or when `lines` is neither empty nor one per invoice line;
/// [`SieError::VatRate`] for VAT at a rate other than 25, 12 or 6 %.
pub fn invoice_verification(
    doc: &InvoiceDocument,
    chart: &Chart,
    lines: &[LineBooking],
    series: &str,
) -> Result<Verification, SieError> {
    let number = doc.number.ok_or_else(|| SieError::Invoice {
        number: 0,
        what: "a draft has no number and is not booked".to_owned(),
    })?;
    if !lines.is_empty() && lines.len() != doc.lines.len() {
        return Err(SieError::Invoice {
            number,
            what: format!(
                "{} line bookings for {} invoice lines",
                lines.len(),
                doc.lines.len()
            ),
        });
    }
    let sign = |m: Money| match doc.kind {
        DocumentKind::Invoice => m,
        DocumentKind::CreditNote => -m,
    };
    let rate_of = |rate: Decimal| rate.normalize().to_string();
    let mut transactions = vec![Transaction {
        account: chart.receivable,
        cost_centre: None,
        amount: sign(doc.payable),
        text: doc.buyer.name.clone(),
    }];
    for (i, line) in doc.lines.iter().enumerate() {
        let booking = lines.get(i).cloned().unwrap_or_default();
        let default = match (line.vat.code, rate_of(line.vat.rate).as_str()) {
            (VatCode::Standard, "25") => chart.income_25,
            (VatCode::Standard, "12") => chart.income_12,
            (VatCode::Standard, "6") => chart.income_6,
            (VatCode::Standard, _) => {
                return Err(SieError::VatRate {
                    number,
                    rate: line.vat.rate,
                    vat: Money::ZERO,
                })
            }
            _ => chart.income_no_vat,
        };
        transactions.push(Transaction {
            account: booking.account.unwrap_or(default),
            cost_centre: booking.cost_centre,
            amount: sign(-line.amount),
            text: line.description.clone(),
        });
    }
    for breakdown in &doc.vat {
        if breakdown.vat == Money::ZERO {
            continue;
        }
        let account = match rate_of(breakdown.category.rate).as_str() {
            "25" => chart.vat_25,
            "12" => chart.vat_12,
            "6" => chart.vat_6,
            _ => {
                return Err(SieError::VatRate {
                    number,
                    rate: breakdown.category.rate,
                    vat: breakdown.vat,
                })
            }
        };
        transactions.push(Transaction {
            account,
            cost_centre: None,
            amount: sign(-breakdown.vat),
            text: format!("Moms {} %", rate_of(breakdown.category.rate)),
        });
    }
    transactions.push(Transaction {
        account: chart.rounding,
        cost_centre: None,
        amount: sign(-doc.rounding),
        text: "Öresavrundning".to_owned(),
    });
    transactions.retain(|t| t.amount != Money::ZERO);
    let kind = match doc.kind {
        DocumentKind::Invoice => "Faktura",
        DocumentKind::CreditNote => "Kreditfaktura",
    };
    Ok(Verification {
        series: series.to_owned(),
        number,
        date: doc.issue_date,
        text: format!("{kind} {number} {}", doc.buyer.name),
        transactions,
    })
}

/// Writes `file` as SIE 4 (type 4) in code page 437, lines ending CR LF.
///
/// # Errors
/// [`SieError::Unbalanced`] for a verification that does not add up to zero;
/// [`SieError::Undeclared`] for an account without a name in the chart;
/// [`SieError::UnknownCostCentre`] for a cost centre not declared;
/// [`SieError::OutsideYear`] for a verification dated outside the fiscal year;
/// [`SieError::OrgNr`] for an organisation number not `NNNNNN-NNNN`;
/// [`SieError::Text`] for text code page 437 cannot hold or with a line break.
pub fn write_sie(file: &SieFile) -> Result<Vec<u8>, SieError> {
    let org = file.org_nr.trim();
    let org_ok = org.len() == 11
        && org.bytes().enumerate().all(|(i, b)| {
            if i == 6 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !org_ok {
        return Err(SieError::OrgNr {
            value: file.org_nr.clone(),
        });
    }
    let (first, last) = file.fiscal_year;
    let declared_centres: BTreeSet<&str> =
        file.cost_centres.iter().map(|c| c.id.as_str()).collect();
    let mut used: BTreeSet<Account> = BTreeSet::new();
    for v in &file.verifications {
        let sum: Decimal = v.transactions.iter().map(|t| t.amount.to_decimal()).sum();
        if !sum.is_zero() {
            return Err(SieError::Unbalanced {
                series: v.series.clone(),
                number: v.number,
                sum,
            });
        }
        let in_a_year = std::iter::once(&file.fiscal_year)
            .chain(&file.earlier_years)
            .any(|(f, l)| v.date >= *f && v.date <= *l);
        if !in_a_year {
            return Err(SieError::OutsideYear {
                series: v.series.clone(),
                number: v.number,
                date: v.date,
                first,
                last,
            });
        }
        for t in &v.transactions {
            if !file.chart.names.contains_key(&t.account) {
                return Err(SieError::Undeclared {
                    account: t.account,
                    series: v.series.clone(),
                    number: v.number,
                });
            }
            used.insert(t.account);
            if let Some(id) = &t.cost_centre {
                if !declared_centres.contains(id.as_str()) {
                    return Err(SieError::UnknownCostCentre {
                        id: id.clone(),
                        series: v.series.clone(),
                        number: v.number,
                    });
                }
            }
        }
    }

    let day = |d: NaiveDate| d.format("%Y%m%d").to_string();
    let mut lines: Vec<String> = vec![
        "#FLAGGA 0".to_owned(),
        format!(
            "#PROGRAM {} {}",
            quote(&file.program.0),
            quote(&file.program.1)
        ),
        "#FORMAT PC8".to_owned(),
        format!("#GEN {}", day(file.generated)),
        "#SIETYP 4".to_owned(),
        format!("#ORGNR {org}"),
        format!("#FNAMN {}", quote(&file.company)),
        format!("#RAR 0 {} {}", day(first), day(last)),
    ];
    for (i, (f, l)) in file.earlier_years.iter().enumerate() {
        lines.push(format!("#RAR -{} {} {}", i + 1, day(*f), day(*l)));
    }
    for account in &used {
        let name = file.chart.names.get(account).map_or("", String::as_str);
        lines.push(format!("#KONTO {account} {}", quote(name)));
    }
    if !file.cost_centres.is_empty() {
        lines.push(format!("#DIM 1 {}", quote("Kostnadsställe")));
        let mut centres: Vec<&CostCentre> = file.cost_centres.iter().collect();
        centres.sort_by(|a, b| a.id.cmp(&b.id));
        for c in centres {
            lines.push(format!("#OBJEKT 1 {} {}", quote(&c.id), quote(&c.name)));
        }
    }
    for v in &file.verifications {
        lines.push(format!(
            "#VER {} {} {} {}",
            quote(&v.series),
            v.number,
            day(v.date),
            quote(&v.text)
        ));
        lines.push("{".to_owned());
        for t in &v.transactions {
            let objects = match &t.cost_centre {
                Some(id) => format!("{{1 {}}}", quote(id)),
                None => "{}".to_owned(),
            };
            lines.push(format!(
                "   #TRANS {} {objects} {} \"\" {}",
                t.account,
                t.amount,
                quote(&t.text)
            ));
        }
        lines.push("}".to_owned());
    }

    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.chars().any(char::is_control) {
            return Err(SieError::Text {
                line: i + 1,
                text: line.clone(),
                why: "a line break or control character, which SIE cannot carry".to_owned(),
            });
        }
        // Character by character, and only where decoding gives the same character back: the
        // crate's table also maps a few characters to look-alikes (`€` to `ε`), which would
        // change the text silently.
        let mut bytes = Vec::with_capacity(line.len());
        for c in line.chars() {
            match CP437_CONTROL.encode(c) {
                Some(b) if CP437_CONTROL.decode(b) == c => bytes.push(b),
                _ => {
                    return Err(SieError::Text {
                        line: i + 1,
                        text: line.clone(),
                        why: format!("{c:?} cannot be written in code page 437 (PC8)"),
                    })
                }
            }
        }
        out.extend_from_slice(&bytes);
        out.extend_from_slice(b"\r\n");
    }
    Ok(out)
}

/// A field in quotes, with `"` and `\` escaped by a backslash as SIE 4 has them.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}
