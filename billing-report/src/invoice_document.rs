//! From a computed invoice to the document a party reads: the core's [`Invoice`] with the
//! parties' addresses and references and the agreement's settings becomes an
//! [`InvoiceDocument`] in the agreement's language (R15), with the party's own basis (R16).
//!
//! The VAT decision: a 0 % line is category `E` (exempt), its reason the `vat_exemption_reason`
//! setting or, by default, that cost sharing between municipalities is exempt; a line outside
//! the scope of VAT is `O`, "Utanför mervärdesskattelagens tillämpningsområde"; 6, 12 and 25 %
//! are `S`. A credit note's amounts are written positive, as UBL wants them, and a line whose
//! unit price would be negative gets a negative quantity instead (EN 16931 BR-27).

use rust_decimal::Decimal;

use billing_core::invoice::{
    Invoice, InvoiceKind, InvoiceLine, LineKind, LineQuantity, LumpReason, PoolShare,
    Unit as CoreUnit, VatRate,
};
use billing_core::{Money, PartyId};

use crate::compute::Draft;
use crate::document::{
    swedish_decimal, Address, BasisSection, DocLine, DocParty, DocumentKind, Endpoint,
    InvoiceDocument, Language, Payment, Unit, VatBreakdown, VatCategory, VatCode,
};
use crate::input::{Problem, Severity};
use crate::workbook::{Input, PartyInfo};

/// The document of `invoice`, in the agreement's language.
///
/// # Errors
/// The document's own inconsistencies ([`InvoiceDocument::check`]), in words: a mapping that
/// does not add up is a defect, never printed.
pub fn invoice_document(
    input: &Input,
    draft: &Draft,
    invoice: &Invoice,
) -> Result<InvoiceDocument, Vec<String>> {
    let language = input.settings.language;
    let sign = match invoice.kind {
        InvoiceKind::Invoice => Decimal::ONE,
        InvoiceKind::CreditNote => Decimal::NEGATIVE_ONE,
    };
    let flip = |m: Money| {
        if sign.is_sign_negative() {
            -m
        } else {
            m
        }
    };
    let lines: Vec<DocLine> = invoice
        .lines
        .iter()
        .map(|l| doc_line(input, draft, l, sign, language))
        .collect();
    let vat = invoice
        .vat_totals
        .iter()
        .map(|t| VatBreakdown {
            category: category(input, t.rate, language),
            taxable: flip(t.base),
            vat: flip(t.vat),
        })
        .collect();
    let (credit_note_text, subject) = match language {
        Language::Sv => (
            "Kreditfaktura: beloppen nedan krediteras er",
            input.settings.name.clone(),
        ),
        Language::En => (
            "Credit note: the amounts below are credited to you",
            input.settings.name.clone(),
        ),
    };
    let doc = InvoiceDocument {
        language,
        kind: match invoice.kind {
            InvoiceKind::Invoice => DocumentKind::Invoice,
            InvoiceKind::CreditNote => DocumentKind::CreditNote,
        },
        number: invoice.number,
        issue_date: invoice.issue_date,
        due_date: invoice.due_date,
        currency: invoice.currency.to_string(),
        seller: doc_party(input, &invoice.issuer, input.settings.our_reference.clone()),
        seller_f_tax: input.settings.f_tax,
        buyer: doc_party(
            input,
            &invoice.buyer,
            input
                .parties
                .get(&invoice.buyer)
                .and_then(|p| p.buyer_reference.clone()),
        ),
        agreement: subject,
        lines,
        vat,
        net_total: flip(invoice.net_total),
        vat_total: flip(invoice.vat_total),
        rounding: flip(invoice.rounding.unwrap_or(Money::ZERO)),
        payable: flip(invoice.payable),
        payment: Payment {
            bankgiro: input.settings.bankgiro.clone(),
            ocr: invoice.ocr.clone(),
            days: input.settings.payment_days,
        },
        credited: None,
        note: (invoice.kind == InvoiceKind::CreditNote).then(|| credit_note_text.to_owned()),
        basis: basis(input, draft, invoice, language),
    };
    let problems = doc.check();
    if problems.is_empty() {
        Ok(doc)
    } else {
        Err(problems)
    }
}

/// What an e-invoice of `invoices` would lack, at its cell in the Parties sheet: a buyer's
/// organisation number, postal address or buyer reference, an issuer's organisation number or
/// postal address. Errors when `issue` (the e-invoice is written), warnings on a draft.
pub fn recipient_problems(input: &Input, invoices: &[Invoice], issue: bool) -> Vec<Problem> {
    // Each party once: as a buyer when it is one on any invoice.
    let mut parties: std::collections::BTreeMap<&PartyId, bool> = Default::default();
    for i in invoices {
        *parties.entry(&i.buyer).or_default() = true;
        parties.entry(&i.issuer).or_default();
    }
    let mut out = Vec::new();
    for (party, buyer) in parties {
        let Some(info) = input.parties.get(party) else {
            continue;
        };
        for (column, gap) in &info.e_invoice_gaps {
            if !buyer && column == "buyer_reference" {
                continue;
            }
            let mut p = gap.clone();
            p.severity = if issue {
                Severity::Error
            } else {
                Severity::Warning
            };
            out.push(p);
        }
    }
    out
}

/// The VAT category of a core rate, with the reason in words where no VAT is charged.
pub(crate) fn category(input: &Input, rate: VatRate, language: Language) -> VatCategory {
    match rate {
        VatRate::Zero => VatCategory {
            code: VatCode::Exempt,
            rate: Decimal::ZERO,
            exemption_reason: Some(
                input
                    .settings
                    .vat_exemption_reason
                    .clone()
                    .unwrap_or_else(|| default_exemption_reason(language).to_owned()),
            ),
            exemption_code: None,
        },
        VatRate::OutsideScope => VatCategory {
            code: VatCode::OutsideScope,
            rate: Decimal::ZERO,
            exemption_reason: Some(
                match language {
                    Language::Sv => "Utanför mervärdesskattelagens tillämpningsområde",
                    Language::En => "Outside the scope of the Swedish VAT Act",
                }
                .to_owned(),
            ),
            exemption_code: Some("VATEX-EU-O".to_owned()),
        },
        other => VatCategory {
            code: VatCode::Standard,
            rate: other.percent(),
            exemption_reason: None,
            exemption_code: None,
        },
    }
}

/// The reason printed for 0 % lines when the `vat_exemption_reason` setting is empty.
pub fn default_exemption_reason(language: Language) -> &'static str {
    match language {
        Language::Sv => "Momsfri kostnadsfördelning mellan kommuner enligt samverkansavtal",
        Language::En => "VAT exempt cost sharing between municipalities under the agreement",
    }
}

/// A party of the agreement as the document names it.
pub(crate) fn doc_party(input: &Input, id: &PartyId, reference: Option<String>) -> DocParty {
    let info: Option<&PartyInfo> = input.parties.get(id);
    let org = info.and_then(|p| p.org.as_ref());
    DocParty {
        id: id.as_str().to_owned(),
        name: info.map_or_else(|| id.as_str().to_owned(), |p| p.name.clone()),
        org_nr: org.map(|o| o.to_string()),
        vat_number: org.map(|o| o.vat_number()),
        address: info.and_then(|p| p.address.as_ref()).map(|a| Address {
            street: a.street.clone(),
            postcode: a.postcode.clone(),
            city: a.city.clone(),
            country: a.country.clone(),
        }),
        endpoint: info
            .and_then(|p| p.peppol_id.as_deref())
            .and_then(|p| p.split_once(':'))
            .map(|(scheme, id)| Endpoint {
                scheme: scheme.to_owned(),
                id: id.to_owned(),
            }),
        reference,
    }
}

/// One line in the document's language and sign.
fn doc_line(
    input: &Input,
    draft: &Draft,
    line: &InvoiceLine,
    sign: Decimal,
    language: Language,
) -> DocLine {
    let q: &LineQuantity = &line.quantity;
    let amount = if sign.is_sign_negative() {
        -line.amount
    } else {
        line.amount
    };
    let mut quantity = q.quantity * sign;
    let mut unit_price = q.unit_price;
    // EN 16931 BR-27: a unit price is never negative; the quantity carries the sign.
    if unit_price.is_sign_negative() {
        unit_price = -unit_price;
        quantity = -quantity;
    }
    let unit = match &q.unit {
        CoreUnit::User => Unit::User,
        CoreUnit::Month => Unit::Month,
        CoreUnit::Day => Unit::Day,
        CoreUnit::Transaction(kind) => match kind.as_str() {
            "login" => Unit::Login,
            "signature" => Unit::Signature,
            "sms" => Unit::Sms,
            _ => Unit::Transaction,
        },
        _ => Unit::Piece,
    };
    let description = description(input, draft, line, language);
    let note = match (&q.share, &q.lump) {
        (Some(share), _) => Some(share_note(share, language)),
        (None, Some(reason)) => lump_note(reason, line.kind, language),
        (None, None) => None,
    };
    DocLine {
        description,
        note,
        period: line.period.map(|p| (p.start(), p.last_day())),
        quantity,
        unit,
        unit_price,
        amount,
        vat: category(input, line.vat_rate, language),
    }
}

/// The line's text: the kind of fee, the pool's name, the transactions' kind.
fn description(input: &Input, draft: &Draft, line: &InvoiceLine, language: Language) -> String {
    let sv = language == Language::Sv;
    match line.kind {
        LineKind::Advance => if sv {
            "Användaravgift i förskott"
        } else {
            "User fee in advance"
        }
        .to_owned(),
        LineKind::Correction => if sv {
            "Korrigering av användaravgift"
        } else {
            "Correction of the user fee"
        }
        .to_owned(),
        LineKind::Pool => {
            let allocation = draft
                .allocations
                .iter()
                .find(|a| a.pool == line.explanation.pool);
            // The name as the workbook gives it: the core's instalment suffix and a
            // cooperation's fee pool name ("… fee 2019") are English.
            let cooperation_fee = input.cooperations.iter().find_map(|c| {
                let year = c.year?;
                let id = format!("fee:{}:{year}", c.cooperation.id());
                (line.explanation.pool.as_ref() == id).then(|| match language {
                    Language::Sv => format!("{}, avgift {year}", c.cooperation.name()),
                    Language::En => format!("{}, fee {year}", c.cooperation.name()),
                })
            });
            let name = cooperation_fee
                .or_else(|| {
                    input
                        .pools
                        .iter()
                        .find(|p| *p.pool.id() == line.explanation.pool)
                        .map(|p| p.pool.name().to_owned())
                })
                .or_else(|| allocation.map(|a| a.name.clone()))
                .unwrap_or_else(|| line.description.get(language).to_owned());
            match allocation.and_then(|a| a.instalment.as_ref()) {
                Some(i) if sv => format!("{name} (delbetalning {} av {})", i.number, i.of),
                Some(i) => format!("{name} (instalment {} of {})", i.number, i.of),
                None => name,
            }
        }
        _ => match &line.quantity.unit {
            CoreUnit::Transaction(kind) => transaction_words(kind, language),
            _ => line.description.get(language).to_owned(),
        },
    }
}

/// A transaction kind as a line text: "Inloggningar", "Underskrifter", "Sms-koder".
pub(crate) fn transaction_words(kind: &str, language: Language) -> String {
    match (kind, language) {
        ("login", Language::Sv) => "Inloggningar".to_owned(),
        ("signature", Language::Sv) => "Underskrifter".to_owned(),
        ("sms", Language::Sv) => "Sms-koder".to_owned(),
        ("login", Language::En) => "Logins".to_owned(),
        ("signature", Language::En) => "Signatures".to_owned(),
        ("sms", Language::En) => "SMS codes".to_owned(),
        (other, Language::Sv) => format!("Transaktioner: {other}"),
        (other, Language::En) => format!("Transactions: {other}"),
    }
}

/// "Er andel 3,52 % av 285 000,00 kr enligt folkmängd".
fn share_note(share: &PoolShare, language: Language) -> String {
    share_words(
        share.basis,
        share.basis_total,
        share.pool_amount,
        share.key,
        language,
    )
}

/// [`share_note`] from the share's figures (a credit note has them as the register recorded
/// them).
pub(crate) fn share_words(
    basis: Decimal,
    basis_total: Decimal,
    pool_amount: Money,
    key: &str,
    language: Language,
) -> String {
    let pool = pool_amount.to_swedish();
    let sv = language == Language::Sv;
    if key == "direct" {
        return if sv {
            "Kostnaden avser er i sin helhet".to_owned()
        } else {
            "The cost is charged to you in full".to_owned()
        };
    }
    let key = match (key, sv) {
        ("population", true) => "enligt folkmängd",
        ("population", false) => "by population",
        ("users", true) => "enligt antal användare",
        ("users", false) => "by number of users",
        ("equal", true) => "i lika delar",
        ("equal", false) => "in equal parts",
        ("weight", true) => "enligt avtalad vikt",
        ("weight", false) => "by the agreed weight",
        ("fixed", true) => "enligt fast belopp i avtalet",
        ("fixed", false) => "by the fixed amount of the agreement",
        (_, true) => "enligt avtalet",
        (_, false) => "under the agreement",
    };
    let percent = (!basis_total.is_zero())
        .then(|| {
            basis
                .checked_mul(Decimal::ONE_HUNDRED)?
                .checked_div(basis_total)
        })
        .flatten();
    match percent {
        Some(p) => {
            let p = swedish_decimal(p.round_dp(2).normalize());
            let p = if sv { p } else { p.replace(',', ".") };
            if sv {
                format!("Er andel {p} % av {pool} kr {key}")
            } else {
                format!("Your share {p} % of {pool} kr {key}")
            }
        }
        None if sv => format!("Er del av {pool} kr {key}"),
        None => format!("Your part of {pool} kr {key}"),
    }
}

/// Why a line is one sum: pro rata days, a correction, a given amount.
pub(crate) fn lump_note(reason: &LumpReason, kind: LineKind, language: Language) -> Option<String> {
    let sv = language == Language::Sv;
    match reason {
        LumpReason::ProRata { days, of } if sv => {
            Some(format!("Pro rata {days} av {of} dagar i perioden"))
        }
        LumpReason::ProRata { days, of } => Some(format!("Pro rata {days} of {of} days")),
        LumpReason::Correction if sv => {
            Some("Faktiskt belopp för perioden minus det som fakturerats tidigare".to_owned())
        }
        LumpReason::Correction => {
            Some("The period's actual amount less what was invoiced before".to_owned())
        }
        _ if kind == LineKind::Advance && sv => Some("Belopp för perioden".to_owned()),
        _ => None,
    }
}

/// The basis page: per line the buyer's own figures and the totals it needs to check its
/// share, never another party's figures (R16).
fn basis(input: &Input, draft: &Draft, invoice: &Invoice, language: Language) -> Vec<BasisSection> {
    let sv = language == Language::Sv;
    let kr = |m: Money| format!("{} kr", m.to_swedish());
    let mut out = Vec::new();
    for line in &invoice.lines {
        let title = description(input, draft, line, language);
        let title = match line.period {
            Some(p) => format!("{title}, {}–{}", p.start(), p.last_day()),
            None => title,
        };
        let mut rows: Vec<(String, String)> = Vec::new();
        let q = &line.quantity;
        if let Some(share) = &q.share {
            let (figure, total) = match (share.key, sv) {
                ("population", true) => ("Er folkmängd", "Summa folkmängd"),
                ("population", false) => ("Your population", "Total population"),
                ("users", true) => ("Era användare", "Summa användare"),
                ("users", false) => ("Your users", "Total users"),
                (_, true) => ("Ert underlag", "Summa underlag"),
                (_, false) => ("Your figure", "Total of the figures"),
            };
            rows.push((
                if sv {
                    "Belopp att fördela"
                } else {
                    "Amount to share"
                }
                .to_owned(),
                kr(share.pool_amount),
            ));
            rows.push((figure.to_owned(), swedish_decimal(share.basis)));
            rows.push((total.to_owned(), swedish_decimal(share.basis_total)));
            if let Some(p) = share.percent() {
                rows.push((
                    if sv { "Er andel" } else { "Your share" }.to_owned(),
                    format!("{} %", swedish_decimal(p.round_dp(4).normalize())),
                ));
            }
        } else if q.lump.is_none() {
            rows.push((
                if sv { "Antal" } else { "Quantity" }.to_owned(),
                swedish_decimal(q.quantity),
            ));
            let mut price = q.unit_price;
            if price.scale() < 2 {
                price.rescale(2);
            }
            rows.push((
                if sv { "À-pris" } else { "Unit price" }.to_owned(),
                format!("{} kr", swedish_decimal(price)),
            ));
        } else if let Some(note) = q
            .lump
            .as_ref()
            .and_then(|r| lump_note(r, line.kind, language))
        {
            rows.push((if sv { "Beräkning" } else { "Computed" }.to_owned(), note));
        }
        rows.push((
            if sv { "Belopp" } else { "Amount" }.to_owned(),
            kr(line.amount),
        ));
        out.push(BasisSection { title, rows });
    }
    let total = (
        if sv {
            "Summa exkl. moms"
        } else {
            "Total excl. VAT"
        }
        .to_owned(),
        kr(invoice.net_total),
    );
    out.push(BasisSection {
        title: if sv { "Summa" } else { "Total" }.to_owned(),
        rows: vec![
            total,
            (
                if sv { "Moms" } else { "VAT" }.to_owned(),
                kr(invoice.vat_total),
            ),
            (
                if sv { "Att betala" } else { "Payable" }.to_owned(),
                kr(invoice.payable),
            ),
        ],
    });
    out
}
