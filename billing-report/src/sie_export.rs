//! The register as an SIE 4 file (`register export --sie FILE`): one verification per invoice,
//! credit note and corrected invoice the issuer issued, from what the register recorded (never
//! recomputed): the receivable debited with the payable total, each line's income account (its
//! pool's or fee's, from the Accounts sheet, else BAS's for its VAT) credited with its net
//! amount, the output VAT account of each rate credited with the rate's VAT, and öresavrundning
//! on its own account; each verification balances to zero. Amounts keep the register's signs,
//! so a credit note books the reverse of its invoice.

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde_json::Value;

use billing_core::Money;

use crate::credit::default_income;
use crate::register::{Recorded, RecordedKind};
use crate::sie::{write_sie, SieFile, Transaction, Verification};
use crate::workbook::Input;

/// The series of the verifications: `F`, customer invoices.
pub const SERIES: &str = "F";

fn money(v: &Value, key: &str, what: &str) -> Result<Money, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(Money::ZERO),
        Some(x) => x
            .as_str()
            .and_then(|t| Money::from_str(t).ok())
            .ok_or_else(|| format!("{what}: {key} does not read back as an amount")),
    }
}

/// A text for the SIE file with the typographic characters code page 437 lacks written as
/// their plain forms (dashes as `-`, curly quotes as straight ones, `…` as `...`, thin and
/// narrow spaces as spaces, `€` as `EUR`); anything else it cannot hold is still refused by
/// [`write_sie`], never replaced by `?`.
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => out.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => out.push('"'),
            '\u{2026}' => out.push_str("..."),
            '\u{2009}' | '\u{200A}' | '\u{202F}' | '\u{2007}' => out.push(' '),
            '\u{20AC}' => out.push_str("EUR"),
            c => out.push(c),
        }
    }
    out
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The verification of one recorded document.
///
/// # Errors
/// A document that does not read back, or VAT at a rate without an output VAT account.
pub fn verification(input: &Input, doc: &Recorded) -> Result<Verification, String> {
    let what = format!("invoice {} {}", doc.issuer, doc.number);
    let chart = input.accounts.chart();
    let json = &doc.json;
    let buyer = input
        .parties
        .iter()
        .find(|(p, _)| p.as_str() == doc.buyer)
        .map_or_else(|| doc.buyer.clone(), |(_, i)| i.name.clone());
    let mut transactions = vec![Transaction {
        account: chart.receivable,
        cost_centre: None,
        amount: money(json, "payable", &what)?,
        text: plain(&buyer),
    }];
    for line in json
        .get("lines")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let pool = line.get("explanation").map_or("", |e| text(e, "pool"));
        let booking = input.accounts.booking(pool);
        transactions.push(Transaction {
            account: booking
                .account
                .unwrap_or_else(|| default_income(&chart, text(line, "vat_rate"))),
            cost_centre: booking.cost_centre,
            amount: -money(line, "amount", &what)?,
            text: plain(text(line, "description")),
        });
    }
    for total in json
        .get("vat_totals")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let vat = money(total, "vat", &what)?;
        if vat == Money::ZERO {
            continue;
        }
        let (account, percent) = match text(total, "rate") {
            "twenty_five" => (chart.vat_25, 25),
            "twelve" => (chart.vat_12, 12),
            "six" => (chart.vat_6, 6),
            other => return Err(format!("{what}: VAT {vat} at the rate {other:?}")),
        };
        transactions.push(Transaction {
            account,
            cost_centre: None,
            amount: -vat,
            text: format!("Utgående moms {percent} %"),
        });
    }
    transactions.push(Transaction {
        account: chart.rounding,
        cost_centre: None,
        amount: -money(json, "rounding", &what)?,
        text: "Öresavrundning".to_owned(),
    });
    transactions.retain(|t| t.amount != Money::ZERO);
    let title = match doc.kind {
        RecordedKind::Credit => format!(
            "Kreditfaktura {} {buyer}, krediterar faktura {}",
            doc.number,
            doc.credits.unwrap_or_default()
        ),
        RecordedKind::Reissue => format!(
            "Faktura {} {buyer}, ersätter faktura {}",
            doc.number,
            doc.credits.unwrap_or_default()
        ),
        RecordedKind::Invoice if text(json, "kind") == "credit_note" => {
            format!("Kreditfaktura {} {buyer}", doc.number)
        }
        RecordedKind::Invoice => format!("Faktura {} {buyer}", doc.number),
    };
    Ok(Verification {
        series: SERIES.to_owned(),
        number: doc.number,
        date: doc.date,
        text: plain(&title),
        transactions,
    })
}

/// The SIE 4 file of everything the issuer of `input` issued, as `docs` (from
/// [`crate::register::InvoiceRegister::documents`]) recorded it: the providers' arrears
/// invoices in the same register are theirs, not the issuer's sales, and are left out.
/// Fiscal years are calendar years: `#RAR 0` the latest year with a verification, `#RAR -1`, …
/// back to the earliest. The generation date is the latest issue date, so the same register
/// gives the same bytes.
///
/// # Errors
/// Nothing issued by the issuer, an issuer without organisation number, and what
/// [`write_sie`] refuses.
pub fn register_sie(input: &Input, docs: &[Recorded]) -> Result<Vec<u8>, String> {
    let issuer = input.settings.issuer.as_str();
    let mine: Vec<&Recorded> = docs.iter().filter(|d| d.issuer == issuer).collect();
    let (Some(first), Some(last)) = (
        mine.iter().map(|d| d.date).min(),
        mine.iter().map(|d| d.date).max(),
    ) else {
        return Err(format!(
            "the register holds no invoice issued by {issuer}: there is nothing to book"
        ));
    };
    let info = input
        .parties
        .get(&input.settings.issuer)
        .ok_or_else(|| format!("the issuer {issuer} is not among the parties"))?;
    let org = info.org.as_ref().ok_or_else(|| {
        format!(
            "Parties: the issuer {issuer} ({}) has no org_nr, which the SIE file (#ORGNR) needs",
            info.name
        )
    })?;
    let verifications = mine
        .iter()
        .map(|d| verification(input, d))
        .collect::<Result<Vec<_>, _>>()?;
    let year = |y: i32| {
        (
            NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(first),
            NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or(last),
        )
    };
    let years: BTreeSet<i32> = (first.year()..=last.year()).collect();
    let mut chart = input.accounts.chart();
    for name in chart.names.values_mut() {
        *name = plain(name);
    }
    let file = SieFile {
        program: (
            "billing-report".to_owned(),
            env!("CARGO_PKG_VERSION").to_owned(),
        ),
        generated: last,
        org_nr: org.to_string(),
        company: plain(&info.name),
        fiscal_year: year(last.year()),
        earlier_years: years.iter().rev().skip(1).map(|y| year(*y)).collect(),
        chart,
        cost_centres: input.accounts.cost_centres(),
        verifications,
    };
    write_sie(&file).map_err(|e| e.to_string())
}
