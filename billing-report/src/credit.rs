//! Correcting an issued invoice: a credit note for it in full (`billing-report credit`), with
//! the next number of the issuer's series and a reference to the invoice it credits, and, when
//! the input has changed since, the corrected invoice issued after it (`--reissue`). An issued
//! invoice is never changed or renumbered: the register keeps it, and records the credit note
//! (and the corrected invoice) beside it.
//!
//! The credit note is built from the invoice as the register recorded it, every amount
//! negated, so that it cancels exactly what was billed whatever the input says now. The
//! corrected invoice is recomputed from the current input for the credited invoice's date and
//! buyer, and dated the day of the credit.

use std::path::Path;
use std::str::FromStr;

use chrono::{Days, NaiveDate};
use serde_json::Value;

use billing_core::invoice::{Invoice, LineKind, LumpReason, VatRate};
use billing_core::{Money, PartyId};
use rust_decimal::Decimal;

use crate::compute::{compute, Draft, History};
use crate::output::{csv_text, render, OutputError};
use crate::register::{NewDocument, Recorded, RecordedKind};
use crate::workbook::Input;

/// The name of the credit note's document in its folder.
pub const CREDIT_JSON: &str = "credit-note.json";

/// The credit note's PDF in its folder.
pub const CREDIT_PDF: &str = "kreditfaktura.pdf";

/// The credit note's e-invoice (UBL 2.1 `CreditNote`, Peppol BIS Billing 3.0) in its folder.
pub const CREDIT_XML: &str = "kreditfaktura.xml";

/// The folder the corrected invoice is written to inside the credit note's folder.
pub const REISSUE_DIR: &str = "reissue";

fn negate(value: &mut Value, key: &str) -> Result<(), String> {
    if let Some(v) = value.get_mut(key) {
        if v.is_null() {
            return Ok(());
        }
        let text = v
            .as_str()
            .ok_or_else(|| format!("{key} is not an amount"))?;
        let m = Money::from_str(text).map_err(|_| format!("{key} {text:?} is not an amount"))?;
        *v = Value::String((-m).to_string());
    }
    Ok(())
}

fn money(value: &Value, key: &str) -> Result<Money, String> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(Money::ZERO),
        Some(v) => v
            .as_str()
            .and_then(|t| Money::from_str(t).ok())
            .ok_or_else(|| format!("{key} is not an amount")),
    }
}

/// The credit note of `original`: its lines, VAT and totals negated, numbered `number` with an
/// OCR reference, dated `date` and due `payment_days` later, naming the invoice it credits and
/// why.
///
/// # Errors
/// A recorded invoice that does not read back, or a number too long for an OCR reference.
pub fn credit_note(
    original: &Recorded,
    number: u64,
    date: NaiveDate,
    payment_days: u32,
    reason: &str,
    length_digit: bool,
) -> Result<NewDocument, String> {
    let context = |e: String| format!("invoice {} {}: {e}", original.issuer, original.number);
    let mut json = original.json.clone();
    for key in ["net_total", "vat_total", "rounding", "payable"] {
        negate(&mut json, key).map_err(context)?;
    }
    for list in ["lines", "vat_totals"] {
        if let Some(items) = json.get_mut(list).and_then(Value::as_array_mut) {
            for item in items {
                for key in ["amount", "vat", "base"] {
                    negate(item, key).map_err(context)?;
                }
            }
        }
    }
    let ocr = billing_core::invoice::ids::ocr_reference(&number.to_string(), length_digit)
        .map_err(|e| e.to_string())?;
    let due_date = date
        .checked_add_days(Days::new(u64::from(payment_days)))
        .unwrap_or(date);
    let obj = json
        .as_object_mut()
        .ok_or_else(|| context("not an object".to_owned()))?;
    obj.insert("kind".to_owned(), Value::from("credit_note"));
    obj.insert("number".to_owned(), Value::from(number));
    obj.insert("ocr".to_owned(), Value::from(ocr.clone()));
    obj.insert("issue_date".to_owned(), Value::from(date.to_string()));
    obj.insert("due_date".to_owned(), Value::from(due_date.to_string()));
    obj.insert("credited".to_owned(), Value::from(original.number));
    obj.insert(
        "credited_date".to_owned(),
        Value::from(original.date.to_string()),
    );
    obj.insert("reason".to_owned(), Value::from(reason));
    Ok(NewDocument {
        number,
        kind: "credit_note",
        date,
        due_date,
        reason: reason.to_owned(),
        net: money(&json, "net_total").map_err(context)?,
        vat: money(&json, "vat_total").map_err(context)?,
        rounding: money(&json, "rounding").map_err(context)?,
        payable: money(&json, "payable").map_err(context)?,
        ocr,
        json,
    })
}

/// The corrected invoice of `original`'s buyer: recomputed from `input` for `original`'s date,
/// dated `date` (due `payment_days` later) and numbered `number`. Returns the draft holding it
/// alone, for its files.
///
/// # Errors
/// The input's problems, no invoice due to the buyer on that date with the current input, or
/// a number too long for an OCR reference.
pub fn reissued(
    input: &Input,
    history: &History,
    original: &Recorded,
    number: u64,
    date: NaiveDate,
) -> Result<Draft, String> {
    let draft = compute(input, original.billing_date, history).map_err(|problems| {
        problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let invoice: Invoice = draft
        .invoices
        .iter()
        .find(|i| i.issuer.as_str() == original.issuer && i.buyer.as_str() == original.buyer)
        .cloned()
        .ok_or_else(|| {
            format!(
                "with the current input nothing is due to {} on {}: there is no corrected \
                 invoice to issue; credit without --reissue",
                original.buyer, original.billing_date
            )
        })?;
    let mut invoice = invoice
        .with_number(number, input.settings.ocr_length_digit)
        .map_err(|e| e.to_string())?;
    invoice.issue_date = date;
    invoice.due_date = date
        .checked_add_days(Days::new(u64::from(input.settings.payment_days)))
        .unwrap_or(date);
    let fee_lines = draft
        .fee_lines
        .iter()
        .filter(|l| l.party == invoice.buyer && l.invoice_date == original.billing_date)
        .cloned()
        .collect();
    Ok(Draft {
        invoices: vec![invoice],
        issuer_share: None,
        fee_lines,
        ..draft
    })
}

/// The reissued invoice as the register records it.
///
/// # Errors
/// An invoice without number or OCR reference.
pub fn reissue_document(invoice: &Invoice, reason: &str) -> Result<NewDocument, String> {
    let json = serde_json::to_value(invoice).map_err(|e| e.to_string())?;
    Ok(NewDocument {
        number: invoice
            .number
            .ok_or_else(|| "the corrected invoice has no number".to_owned())?,
        kind: "reissue",
        date: invoice.issue_date,
        due_date: invoice.due_date,
        reason: reason.to_owned(),
        net: invoice.net_total,
        vat: invoice.vat_total,
        rounding: invoice.rounding.unwrap_or_default(),
        payable: invoice.payable,
        ocr: invoice.ocr.clone().unwrap_or_default(),
        json,
    })
}

/// The files of a credit note's folder: `credit-note.json`, `lines.csv` (the credit note's
/// lines, as `lines.csv` of `issue` has them, each naming the invoice credited), `kreditfaktura.pdf`
/// ("Krediterar faktura N (datum)", the reason, every line and the totals), `kreditfaktura.xml`
/// (the same as a Peppol BIS Billing 3.0 `CreditNote` with the PDF inside), `kreditfaktura.txt`
/// (the same in plain words), and the corrected invoice's files under `reissue/`.
///
/// # Errors
/// A file that cannot be written.
pub fn credit_files(
    input: &Input,
    credit: &Value,
    reissue: Option<&Draft>,
) -> Result<Vec<(String, Vec<u8>)>, OutputError> {
    let err = |path: &str, message: String| OutputError::Xlsx {
        path: path.to_owned(),
        message,
    };
    let doc = serde_json::json!({
        "agreement": input.settings.name,
        "status": "credit",
        "credit_note": credit,
    });
    let mut json = serde_json::to_vec_pretty(&doc).map_err(|e| err(CREDIT_JSON, e.to_string()))?;
    json.push(b'\n');
    let mut files = vec![
        (CREDIT_JSON.to_owned(), json),
        ("lines.csv".to_owned(), credit_lines_csv(input, credit)?),
        (
            "kreditfaktura.txt".to_owned(),
            credit_text(input, credit).into_bytes(),
        ),
    ];
    let doc = credit_document(input, credit).map_err(|problems| OutputError::Document {
        path: CREDIT_PDF.to_owned(),
        message: problems.join("; "),
    })?;
    let pdf = crate::pdf::render(&doc).map_err(|e| OutputError::Document {
        path: CREDIT_PDF.to_owned(),
        message: e.to_string(),
    })?;
    // The e-invoice (Peppol BIS Billing 3.0 `CreditNote`) with the PDF inside, as every
    // issued invoice has one.
    let xml = crate::ubl::write_ubl(&doc, Some((CREDIT_PDF, &pdf))).map_err(|e| {
        OutputError::Document {
            path: CREDIT_XML.to_owned(),
            message: e.to_string(),
        }
    })?;
    files.push((CREDIT_PDF.to_owned(), pdf));
    files.push((CREDIT_XML.to_owned(), xml));
    if let Some(draft) = reissue {
        for (name, bytes) in render(input, draft, true)? {
            files.push((format!("{REISSUE_DIR}/{name}"), bytes));
        }
    }
    Ok(files)
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn party_name(input: &Input, id: &str) -> String {
    input
        .parties
        .iter()
        .find(|(p, _)| p.as_str() == id)
        .map_or_else(|| id.to_owned(), |(_, info)| info.name.clone())
}

/// The credit note in words: who credits whom, which invoice, why, the lines and the totals.
fn credit_text(input: &Input, credit: &Value) -> String {
    let kr = |key: &str| money(credit, key).unwrap_or_default();
    let mut out = String::new();
    let number = credit.get("number").and_then(Value::as_u64).unwrap_or(0);
    let credited = credit.get("credited").and_then(Value::as_u64).unwrap_or(0);
    let title = if is_credit_note(credit) {
        "Kreditfaktura"
    } else {
        // The credit of a credit note is an invoice.
        "Faktura"
    };
    out.push_str(&format!("{title} {number}\n"));
    out.push_str(&format!(
        "Krediterar faktura {credited} av {}\n",
        text(credit, "credited_date")
    ));
    out.push_str(&format!("Orsak: {}\n\n", text(credit, "reason")));
    out.push_str(&format!(
        "Säljare: {} ({})\n",
        party_name(input, text(credit, "issuer")),
        text(credit, "issuer_org")
    ));
    out.push_str(&format!(
        "Köpare: {} ({})\n",
        party_name(input, text(credit, "buyer")),
        text(credit, "buyer_org")
    ));
    out.push_str(&format!("Fakturadatum: {}\n", text(credit, "issue_date")));
    out.push_str(&format!("OCR: {}\n\n", text(credit, "ocr")));
    for line in credit
        .get("lines")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.push_str(&format!(
            "{}: {} kr\n",
            line_description(input, line, crate::document::Language::Sv),
            money(line, "amount").unwrap_or_default().to_swedish()
        ));
    }
    out.push_str(&format!(
        "\nSumma exklusive moms: {} kr\n",
        kr("net_total").to_swedish()
    ));
    out.push_str(&format!("Moms: {} kr\n", kr("vat_total").to_swedish()));
    if credit.get("rounding").is_some_and(|r| !r.is_null()) {
        out.push_str(&format!(
            "Öresavrundning: {} kr\n",
            kr("rounding").to_swedish()
        ));
    }
    let payable = kr("payable");
    if payable < Money::ZERO {
        out.push_str(&format!("Att återbetala: {} kr\n", (-payable).to_swedish()));
    } else {
        out.push_str(&format!("Att betala: {} kr\n", payable.to_swedish()));
    }
    out
}

fn credit_lines_csv(input: &Input, credit: &Value) -> Result<Vec<u8>, OutputError> {
    let err = |e: csv::Error| OutputError::Xlsx {
        path: "lines.csv".to_owned(),
        message: e.to_string(),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "invoice_number",
        "kind",
        "credited",
        "issuer",
        "buyer",
        "buyer_org",
        "issue_date",
        "due_date",
        "ocr",
        "line",
        "line_kind",
        "description",
        "period_start",
        "period_end",
        "amount",
        "vat_rate",
        "vat",
        "account",
        "cost_centre",
        "currency",
        "counterpart",
        "quantity",
        "unit",
        "unit_price",
        "vat_category",
    ])
    .map_err(err)?;
    let chart = input.accounts.chart();
    let lines: Vec<&Value> = credit
        .get("lines")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    for (i, line) in lines.iter().enumerate() {
        let pool = line.get("explanation").map_or("", |e| text(e, "pool"));
        let rate = text(line, "vat_rate");
        let booking = input.accounts.booking(pool);
        let account = booking
            .account
            .unwrap_or_else(|| default_income(&chart, rate));
        let period = line.get("period");
        // The quantity negated with the amount: quantity × unit price is the line's amount.
        let q = line.get("quantity").unwrap_or(&Value::Null);
        let quantity = Decimal::from_str(text(q, "quantity"))
            .map(|d| (-d).to_string())
            .unwrap_or_default();
        w.write_record([
            credit
                .get("number")
                .map(ToString::to_string)
                .unwrap_or_default(),
            "credit_note".to_owned(),
            credit
                .get("credited")
                .map(ToString::to_string)
                .unwrap_or_default(),
            csv_text(text(credit, "issuer")),
            csv_text(text(credit, "buyer")),
            text(credit, "buyer_org").to_owned(),
            text(credit, "issue_date").to_owned(),
            text(credit, "due_date").to_owned(),
            text(credit, "ocr").to_owned(),
            (i + 1).to_string(),
            text(line, "kind").to_owned(),
            csv_text(words(line, "description", input.settings.language)),
            period.map_or("", |p| text(p, "first_day")).to_owned(),
            period.map_or("", |p| text(p, "last_day")).to_owned(),
            text(line, "amount").to_owned(),
            vat_percent(rate).to_owned(),
            text(line, "vat").to_owned(),
            account.to_string(),
            csv_text(&booking.cost_centre.unwrap_or_default()),
            text(credit, "currency").to_owned(),
            text(credit, "buyer_org").to_owned(),
            quantity,
            unit_csv(q),
            text(q, "unit_price").to_owned(),
            vat_code(rate).to_owned(),
        ])
        .map_err(err)?;
    }
    w.into_inner().map_err(|e| OutputError::Xlsx {
        path: "lines.csv".to_owned(),
        message: e.to_string(),
    })
}

/// The percent of a VAT rate as serialised (`twenty_five` → 25).
pub fn vat_percent(rate: &str) -> &'static str {
    match rate {
        "six" => "6",
        "twelve" => "12",
        "twenty_five" => "25",
        "outside_scope" => "outside",
        _ => "0",
    }
}

/// The EN 16931 VAT category letter of a rate (as serialised), as the invoices' `lines.csv`
/// has it.
fn vat_code(rate: &str) -> &'static str {
    match rate {
        "zero" => "E",
        "outside_scope" => "O",
        _ => "S",
    }
}

/// The chart's income account for a line of VAT `rate` (as serialised).
pub fn default_income(chart: &crate::sie::Chart, rate: &str) -> crate::sie::Account {
    match rate {
        "six" => chart.income_6,
        "twelve" => chart.income_12,
        "twenty_five" => chart.income_25,
        _ => chart.income_no_vat,
    }
}

/// What the credit note's e-invoice would lack, at its cell in the Parties sheet, as errors: the
/// buyer's organisation number, postal address or buyer reference, the issuer's organisation
/// number or postal address, as the input has them now (the same as `issue` refuses).
pub fn recipient_problems(input: &Input, issuer: &str, buyer: &str) -> Vec<crate::input::Problem> {
    let mut out = Vec::new();
    for (id, is_buyer) in [(issuer, false), (buyer, true)] {
        let Some((_, info)) = input.parties.iter().find(|(p, _)| p.as_str() == id) else {
            continue;
        };
        for (column, gap) in &info.e_invoice_gaps {
            if !is_buyer && column == "buyer_reference" {
                continue;
            }
            let mut p = gap.clone();
            p.severity = crate::input::Severity::Error;
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// Whether a recorded document can be credited: an invoice or a corrected invoice, never a
/// credit note.
pub fn creditable(doc: &Recorded) -> bool {
    doc.kind != RecordedKind::Credit
}

/// The default folder of a credit note: `out/credit-<number>` beside the input.
pub fn default_out(input: &Path, number: u64) -> std::path::PathBuf {
    let input = std::path::absolute(input).unwrap_or_else(|_| input.to_owned());
    input
        .parent()
        .unwrap_or(Path::new("."))
        .join("out")
        .join(format!("credit-{number}"))
}

/// A recorded VAT rate (as serialised: `zero`, `six`, …).
fn recorded_rate(v: &Value, key: &str) -> Result<VatRate, String> {
    v.get(key)
        .cloned()
        .and_then(|r| serde_json::from_value(r).ok())
        .ok_or_else(|| format!("{key} {:?} is not a VAT rate", v.get(key)))
}

fn decimal(v: &Value, key: &str) -> Result<Decimal, String> {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|t| Decimal::from_str(t).ok())
        .ok_or_else(|| format!("{key} is not a number"))
}

/// A recorded line kind (`advance`, `correction`, `pool`, `other`).
fn line_kind(line: &Value) -> LineKind {
    match text(line, "kind") {
        "advance" => LineKind::Advance,
        "correction" => LineKind::Correction,
        "pool" => LineKind::Pool,
        _ => LineKind::Other,
    }
}

/// The unit of a recorded quantity as the documents print it.
fn recorded_unit(quantity: &Value) -> crate::document::Unit {
    use crate::document::Unit;
    match quantity.get("unit") {
        Some(Value::String(u)) => match u.as_str() {
            "user" => Unit::User,
            "month" => Unit::Month,
            "day" => Unit::Day,
            _ => Unit::Piece,
        },
        Some(Value::Object(o)) => match o.get("transaction").and_then(Value::as_str) {
            Some("login") => Unit::Login,
            Some("signature") => Unit::Signature,
            Some("sms") => Unit::Sms,
            _ => Unit::Transaction,
        },
        _ => Unit::Piece,
    }
}

/// The unit of a recorded quantity as `lines.csv` has it (`piece`, `user`, …, or the
/// transaction kind).
fn unit_csv(quantity: &Value) -> String {
    match quantity.get("unit") {
        Some(Value::String(u)) => u.clone(),
        Some(Value::Object(o)) => {
            csv_text(o.get("transaction").and_then(Value::as_str).unwrap_or(""))
        }
        _ => "piece".to_owned(),
    }
}

/// Why a recorded line is one lump sum, when it is.
fn recorded_lump(quantity: &Value) -> Option<LumpReason> {
    match quantity.get("lump")? {
        Value::String(r) => match r.as_str() {
            "correction" => Some(LumpReason::Correction),
            "share" => Some(LumpReason::Share),
            _ => Some(LumpReason::Amount),
        },
        Value::Object(o) => {
            let p = o.get("pro_rata")?;
            Some(LumpReason::ProRata {
                days: p.get("days")?.as_i64()?,
                of: p.get("of")?.as_i64()?,
            })
        }
        _ => None,
    }
}

/// The recorded text of `key` in `language` (a text recorded in both languages).
fn words<'a>(v: &'a Value, key: &str, language: crate::document::Language) -> &'a str {
    let lang = match language {
        crate::document::Language::Sv => "sv",
        crate::document::Language::En => "en",
    };
    match v.get(key) {
        Some(Value::String(t)) => t,
        Some(Value::Object(o)) => o
            .get(lang)
            .or_else(|| o.get("sv"))
            .and_then(Value::as_str)
            .unwrap_or(""),
        _ => "",
    }
}

/// A recorded line's text as the invoice it credits printed it: the fee's kind, the pool's
/// name (with its instalment), the transactions' kind.
fn line_description(input: &Input, line: &Value, language: crate::document::Language) -> String {
    use crate::document::Language;
    let sv = language == Language::Sv;
    match line_kind(line) {
        LineKind::Advance if sv => "Användaravgift i förskott".to_owned(),
        LineKind::Advance => "User fee in advance".to_owned(),
        LineKind::Correction if sv => "Korrigering av användaravgift".to_owned(),
        LineKind::Correction => "Correction of the user fee".to_owned(),
        LineKind::Pool => {
            let explanation = line.get("explanation").unwrap_or(&Value::Null);
            let pool = text(explanation, "pool");
            let recorded = words(line, "description", language);
            let cooperation_fee = input.cooperations.iter().find_map(|c| {
                let year = c.year?;
                (pool == format!("fee:{}:{year}", c.cooperation.id())).then(|| match language {
                    Language::Sv => format!("{}, avgift {year}", c.cooperation.name()),
                    Language::En => format!("{}, fee {year}", c.cooperation.name()),
                })
            });
            let name = cooperation_fee
                .or_else(|| {
                    input
                        .pools
                        .iter()
                        .find(|p| p.pool.id().as_ref() == pool)
                        .map(|p| p.pool.name().to_owned())
                })
                .unwrap_or_else(|| {
                    recorded
                        .strip_suffix(&format!(" ({pool})"))
                        .unwrap_or(recorded)
                        .to_owned()
                });
            // The instalment, as the explanation recorded it ("delbetalning 1 av 3").
            let instalment = explanation
                .get("steps")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|step| words(step, "label", Language::Sv).starts_with("delbetalning "))
                .map(|step| words(step, "label", language).to_owned());
            match instalment {
                Some(i) => format!("{name} ({i})"),
                None => name,
            }
        }
        _ => match line
            .get("quantity")
            .and_then(|q| q.get("unit"))
            .and_then(|u| u.get("transaction"))
            .and_then(Value::as_str)
        {
            Some(kind) => crate::invoice_document::transaction_words(kind, language),
            None => words(line, "description", language).to_owned(),
        },
    }
}

/// A recorded line's note: the share in words, or why it is one sum.
fn line_note(line: &Value, language: crate::document::Language) -> Result<Option<String>, String> {
    let quantity = line.get("quantity").unwrap_or(&Value::Null);
    match quantity.get("share") {
        Some(share) if !share.is_null() => Ok(Some(crate::invoice_document::share_words(
            decimal(share, "basis")?,
            decimal(share, "basis_total")?,
            money(share, "pool_amount")?,
            text(share, "key"),
            language,
        ))),
        _ => Ok(recorded_lump(quantity).and_then(|reason| {
            crate::invoice_document::lump_note(&reason, line_kind(line), language)
        })),
    }
}

/// The basis page ("Underlag", R16) of the credited invoice, from its lines as recorded: per
/// line the buyer's own figures (its share of a pool, or quantity and unit price, or why the
/// line is one sum) and its amount, then the totals, as the credited invoice printed them
/// (`invoice_document`'s basis); only the last total is named for a credit note
/// ("Att erhålla").
fn credit_basis(
    input: &Input,
    lines: &[(&Value, &crate::document::DocLine)],
    doc_totals: (Money, Money, Money),
    credit_note: bool,
    language: crate::document::Language,
) -> Result<Vec<crate::document::BasisSection>, String> {
    use crate::document::{swedish_decimal, BasisSection};
    let sv = language == crate::document::Language::Sv;
    let kr = |m: Money| format!("{} kr", m.to_swedish());
    let mut out = Vec::new();
    for (line, doc_line) in lines {
        let title = line_description(input, line, language);
        let title = match doc_line.period {
            Some((first, last)) => format!("{title}, {first}–{last}"),
            None => title,
        };
        let mut rows: Vec<(String, String)> = Vec::new();
        let q = line.get("quantity").unwrap_or(&Value::Null);
        match q.get("share").filter(|s| !s.is_null()) {
            Some(share) => {
                let (figure, total) = match (text(share, "key"), sv) {
                    ("population", true) => ("Er folkmängd", "Summa folkmängd"),
                    ("population", false) => ("Your population", "Total population"),
                    ("users", true) => ("Era användare", "Summa användare"),
                    ("users", false) => ("Your users", "Total users"),
                    (_, true) => ("Ert underlag", "Summa underlag"),
                    (_, false) => ("Your figure", "Total of the figures"),
                };
                let basis = decimal(share, "basis")?;
                let basis_total = decimal(share, "basis_total")?;
                rows.push((
                    if sv {
                        "Belopp att fördela"
                    } else {
                        "Amount to share"
                    }
                    .to_owned(),
                    kr(money(share, "pool_amount")?),
                ));
                rows.push((figure.to_owned(), swedish_decimal(basis)));
                rows.push((total.to_owned(), swedish_decimal(basis_total)));
                if let Some(p) = (!basis_total.is_zero())
                    .then(|| {
                        basis
                            .checked_mul(Decimal::ONE_HUNDRED)?
                            .checked_div(basis_total)
                    })
                    .flatten()
                {
                    rows.push((
                        if sv { "Er andel" } else { "Your share" }.to_owned(),
                        format!("{} %", swedish_decimal(p.round_dp(4).normalize())),
                    ));
                }
            }
            None => match recorded_lump(q) {
                None => {
                    rows.push((
                        if sv { "Antal" } else { "Quantity" }.to_owned(),
                        swedish_decimal(decimal(q, "quantity")?),
                    ));
                    let mut price = decimal(q, "unit_price")?;
                    if price.scale() < 2 {
                        price.rescale(2);
                    }
                    rows.push((
                        if sv { "À-pris" } else { "Unit price" }.to_owned(),
                        format!("{} kr", swedish_decimal(price)),
                    ));
                }
                Some(reason) => {
                    if let Some(note) =
                        crate::invoice_document::lump_note(&reason, line_kind(line), language)
                    {
                        rows.push((if sv { "Beräkning" } else { "Computed" }.to_owned(), note));
                    }
                }
            },
        }
        // The line's amount as the credited invoice had it.
        let amount = money(line, "amount")?;
        rows.push((if sv { "Belopp" } else { "Amount" }.to_owned(), kr(-amount)));
        out.push(BasisSection { title, rows });
    }
    let (net, vat, payable) = doc_totals;
    let payable_label = match (credit_note, sv) {
        (true, true) => "Att erhålla",
        (true, false) => "Amount credited",
        (false, true) => "Att betala",
        (false, false) => "Payable",
    };
    out.push(BasisSection {
        title: if sv { "Summa" } else { "Total" }.to_owned(),
        rows: vec![
            (
                if sv {
                    "Summa exkl. moms"
                } else {
                    "Total excl. VAT"
                }
                .to_owned(),
                kr(net),
            ),
            (if sv { "Moms" } else { "VAT" }.to_owned(), kr(vat)),
            (payable_label.to_owned(), kr(payable)),
        ],
    });
    Ok(out)
}

/// Whether `credit` (as [`credit_note`] records it, every amount negated) is written as a
/// credit note: it is, unless the document it credits was itself a credit note (a negative
/// total), whose credit is an invoice.
fn is_credit_note(credit: &Value) -> bool {
    money(credit, "payable").is_ok_and(|p| p <= Money::ZERO)
}

/// The credit note as a document, in the agreement's language: every line of the invoice it
/// credits with its period, quantity, unit, unit price and note, the VAT per rate and the
/// totals, written positive as a credit note has them (UBL, EN 16931); both parties with their
/// addresses, organisation numbers and references as the input has them now; "Krediterar
/// faktura N (datum)" and the reason.
///
/// # Errors
/// The document's inconsistencies ([`crate::document::InvoiceDocument::check`]), or a recorded
/// amount that does not read back.
pub fn credit_document(
    input: &Input,
    credit: &Value,
) -> Result<crate::document::InvoiceDocument, Vec<String>> {
    use crate::document::{
        Credited, DocLine, DocumentKind, InvoiceDocument, Language, Payment, VatBreakdown,
    };
    let language = input.settings.language;
    let credit_note = is_credit_note(credit);
    // The credited document's own sign: the credit's amounts negated back.
    let m = |v: &Value, key: &str| {
        money(v, key)
            .map(|x| if credit_note { -x } else { x })
            .map_err(|e| vec![e])
    };
    let date = |v: &Value, key: &str| {
        NaiveDate::from_str(text(v, key)).map_err(|_| vec![format!("{key} is not a date")])
    };
    let mut lines = Vec::new();
    let recorded: Vec<&Value> = credit
        .get("lines")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    for line in &recorded {
        let amount = m(line, "amount")?;
        let period = match line.get("period") {
            Some(p) if !p.is_null() => Some((date(p, "first_day")?, date(p, "last_day")?)),
            _ => None,
        };
        let q = line.get("quantity").unwrap_or(&Value::Null);
        // As the credited document has them: the recorded quantity (negated when the
        // credited document was itself a credit note); a unit price is never negative, the
        // quantity carries the sign (EN 16931 BR-27).
        let mut quantity = decimal(q, "quantity").map_err(|e| vec![e])?;
        if !credit_note {
            quantity = -quantity;
        }
        let mut unit_price = decimal(q, "unit_price").map_err(|e| vec![e])?;
        if unit_price.is_sign_negative() {
            unit_price = -unit_price;
            quantity = -quantity;
        }
        let rate = recorded_rate(line, "vat_rate").map_err(|e| vec![e])?;
        lines.push(DocLine {
            description: line_description(input, line, language),
            note: line_note(line, language).map_err(|e| vec![e])?,
            period,
            quantity,
            unit: recorded_unit(q),
            unit_price,
            amount,
            vat: crate::invoice_document::category(input, rate, language),
        });
    }
    let mut vat = Vec::new();
    for total in credit
        .get("vat_totals")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let rate = recorded_rate(total, "rate").map_err(|e| vec![e])?;
        vat.push(VatBreakdown {
            category: crate::invoice_document::category(input, rate, language),
            taxable: m(total, "base")?,
            vat: m(total, "vat")?,
        });
    }
    let credited = credit.get("credited").and_then(Value::as_u64).unwrap_or(0);
    let party = |key: &str| -> Result<PartyId, Vec<String>> {
        input
            .parties
            .keys()
            .find(|p| p.as_str() == text(credit, key))
            .cloned()
            .ok_or_else(|| {
                vec![format!(
                    "the {key} {:?} of the credited invoice is not in the Parties sheet",
                    text(credit, key)
                )]
            })
    };
    let seller = party("issuer")?;
    let buyer = party("buyer")?;
    let buyer_reference = input
        .parties
        .get(&buyer)
        .and_then(|p| p.buyer_reference.clone());
    let reason = match language {
        Language::Sv => format!("Orsak: {}", text(credit, "reason")),
        Language::En => format!("Reason: {}", text(credit, "reason")),
    };
    let basis = credit_basis(
        input,
        &recorded.iter().copied().zip(&lines).collect::<Vec<_>>(),
        // The credited invoice's totals, as its basis page had them.
        (
            -money(credit, "net_total").map_err(|e| vec![e])?,
            -money(credit, "vat_total").map_err(|e| vec![e])?,
            -money(credit, "payable").map_err(|e| vec![e])?,
        ),
        credit_note,
        language,
    )
    .map_err(|e| vec![e])?;
    let doc = InvoiceDocument {
        language,
        kind: if credit_note {
            DocumentKind::CreditNote
        } else {
            DocumentKind::Invoice
        },
        number: credit.get("number").and_then(Value::as_u64),
        issue_date: date(credit, "issue_date")?,
        due_date: date(credit, "due_date")?,
        currency: text(credit, "currency").to_owned(),
        seller: crate::invoice_document::doc_party(
            input,
            &seller,
            input.settings.our_reference.clone(),
        ),
        seller_f_tax: input.settings.f_tax,
        buyer: crate::invoice_document::doc_party(input, &buyer, buyer_reference),
        agreement: input.settings.name.clone(),
        lines,
        vat,
        net_total: m(credit, "net_total")?,
        vat_total: m(credit, "vat_total")?,
        rounding: m(credit, "rounding")?,
        payable: m(credit, "payable")?,
        payment: Payment {
            bankgiro: input.settings.bankgiro.clone(),
            ocr: credit.get("ocr").and_then(Value::as_str).map(str::to_owned),
            days: input.settings.payment_days,
        },
        credited: Some(Credited {
            number: credited,
            issue_date: date(credit, "credited_date")?,
        }),
        note: Some(reason),
        basis,
    };
    let problems = doc.check();
    if problems.is_empty() {
        Ok(doc)
    } else {
        Err(problems)
    }
}
