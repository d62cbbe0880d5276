//! R15 Invoices: for one invoice date, one invoice per party with every line due that day, VAT
//! per line and per rate, an optional öresavrundning line, and a credit note when the total is
//! negative (docs/rules.md, section "R15 Invoices"; OCR references and organisation numbers in
//! [`ids`]).
//!
//! Amounts keep their sign: a credit note's lines and totals are negative, and a writer of a
//! format that wants positive credit-note amounts flips them at the edge. Numbers and OCR
//! references are assigned by the caller ([`Invoice::with_number`]), who owns the unbroken
//! series.

pub mod ids;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use crate::agreement::{Party, PartyId};
use crate::calendar::error::{CalendarError, CalendarProblems};
use crate::calendar::fee_line::{FeeLine, FeeLineKind};
use crate::calendar::period::Period;
use crate::explain::{Explanation, Language, Step, Steps, Text};
use crate::invoice::ids::{ocr_reference, OrgNumber};
use crate::money::policy_words;
use crate::money::{Currency, Money, RoundingPolicy};
use crate::pool::Allocation;

pub use crate::quantity::{LineQuantity, LumpReason, PoolShare, Unit};

/// A VAT rate: 0, 6, 12 or 25 %, or outside the scope of VAT.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum VatRate {
    /// 0 % (the default for cost sharing between municipalities).
    #[default]
    Zero,
    /// 6 %.
    Six,
    /// 12 %.
    Twelve,
    /// 25 %.
    TwentyFive,
    /// Outside the scope of VAT: no VAT and reported apart from 0 %.
    OutsideScope,
}

impl VatRate {
    /// The rate in percent (0 outside the scope).
    pub fn percent(&self) -> Decimal {
        Decimal::from(match self {
            VatRate::Zero | VatRate::OutsideScope => 0,
            VatRate::Six => 6,
            VatRate::Twelve => 12,
            VatRate::TwentyFive => 25,
        })
    }
}

impl fmt::Display for VatRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VatRate::OutsideScope => f.write_str("outside the scope of VAT"),
            other => write!(f, "{} %", other.percent()),
        }
    }
}

/// What an invoice line bills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum LineKind {
    /// A user fee in advance (R6).
    Advance,
    /// A correction of an earlier period's user fee (R7).
    Correction,
    /// A party's part of a pool (the splits of R1–R3, R12–R14).
    Pool,
    /// Any other line, e.g. transactions (R11) or a provider's cost (R10).
    Other,
}

/// One line of an invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct InvoiceLine {
    /// What it bills.
    pub kind: LineKind,
    /// In words, in each language a document may be written in.
    pub description: Text,
    /// The period it pays for, if any.
    pub period: Option<Period>,
    /// The amount before VAT.
    pub amount: Money,
    /// Its VAT rate.
    pub vat_rate: VatRate,
    /// Quantity, unit and unit price, or why the line is a lump sum.
    pub quantity: LineQuantity,
    /// Its VAT on its own, rounded to öre: for information. The invoice's VAT is computed per
    /// rate on the sum of the lines (R15, BR-CO-17), so these may differ from it by an öre.
    pub vat: Money,
    /// How the amount was derived (R16), shared with the line it came from (not copied).
    pub explanation: Arc<Explanation>,
}

/// The lines of one VAT rate added up.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct VatTotal {
    /// The rate.
    pub rate: VatRate,
    /// The lines' amounts added up.
    pub base: Money,
    /// The VAT of the rate: `base × rate`, rounded to öre once (BR-CO-17).
    pub vat: Money,
}

/// An invoice or, when its total is negative, a credit note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum InvoiceKind {
    /// A total of zero or more.
    Invoice,
    /// A negative total (kreditfaktura).
    CreditNote,
}

/// One invoice from an issuer to a buyer on one date.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Invoice {
    /// Invoice or credit note.
    pub kind: InvoiceKind,
    /// Its number in the issuer's series, once assigned.
    pub number: Option<u64>,
    /// Its OCR payment reference, once assigned.
    pub ocr: Option<String>,
    /// Who issues it.
    pub issuer: PartyId,
    /// The issuer's organisation number, when known.
    pub issuer_org: Option<OrgNumber>,
    /// Who pays it.
    pub buyer: PartyId,
    /// The buyer's organisation number, when known.
    pub buyer_org: Option<OrgNumber>,
    /// The issue date.
    pub issue_date: NaiveDate,
    /// The due date.
    pub due_date: NaiveDate,
    /// The currency.
    pub currency: Currency,
    /// The lines.
    pub lines: Vec<InvoiceLine>,
    /// Amounts and VAT per rate, by rate.
    pub vat_totals: Vec<VatTotal>,
    /// The lines added up, before VAT.
    pub net_total: Money,
    /// The VAT of every rate added up.
    pub vat_total: Money,
    /// The öresavrundning line, when the payable total is rounded to whole kronor.
    pub rounding: Option<Money>,
    /// What is to be paid: lines + VAT + rounding.
    pub payable: Money,
}

impl Invoice {
    /// The same invoice with its number and an OCR reference made from the number (with a
    /// length digit when asked).
    ///
    /// # Errors
    /// [`CalendarError::BadOcr`] when the number is too long for an OCR reference.
    pub fn with_number(
        mut self,
        number: u64,
        length_digit: bool,
    ) -> Result<Invoice, CalendarError> {
        self.ocr = Some(ocr_reference(&number.to_string(), length_digit)?);
        self.number = Some(number);
        Ok(self)
    }
}

/// A pool's allocation that falls due on a date, with its VAT rate.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct DuePool {
    /// The allocation (from [`crate::allocate`]).
    pub allocation: Allocation,
    /// The invoice date it is billed on.
    pub due: NaiveDate,
    /// Its VAT rate.
    pub vat: VatRate,
    /// The period the pool pays for, when given.
    pub period: Option<Period>,
}

/// Any other line for a party on a date, e.g. transactions: the amount and its explanation are
/// the caller's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ExtraLine {
    /// The party billed.
    pub party: PartyId,
    /// The invoice date it is billed on.
    pub due: NaiveDate,
    /// In words.
    pub description: String,
    /// The period it pays for, if any.
    pub period: Option<Period>,
    /// The amount before VAT.
    pub amount: Money,
    /// Its VAT rate.
    pub vat: VatRate,
    /// Quantity, unit and unit price, or why the line is a lump sum.
    pub quantity: LineQuantity,
    /// How the amount was derived, shared with the invoice line.
    pub explanation: Arc<Explanation>,
}

/// How invoices are assembled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceOptions {
    /// The VAT rate of user-fee lines (0 % by default).
    pub fee_vat: VatRate,
    /// The rounding of each line's VAT (to öre, half away from zero).
    pub vat_rounding: RoundingPolicy,
    /// Öresavrundning of the payable total (e.g. to whole kronor), shown as its own line; `None`
    /// keeps the öre.
    pub total_rounding: Option<RoundingPolicy>,
    /// Days from the issue date to the due date (30).
    pub due_days: u32,
    /// The invoices' currency; pools in another currency are an error.
    pub currency: Currency,
    /// Organisation numbers of issuers and buyers, when known.
    pub org_numbers: BTreeMap<PartyId, OrgNumber>,
    /// Whether the issuer gets an invoice for its own lines (true: one invoice per party).
    pub bill_issuer: bool,
}

impl Default for InvoiceOptions {
    fn default() -> InvoiceOptions {
        InvoiceOptions {
            fee_vat: VatRate::Zero,
            vat_rounding: RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO,
            total_rounding: None,
            due_days: 30,
            currency: Currency::SEK,
            org_numbers: BTreeMap::new(),
            bill_issuer: true,
        }
    }
}

/// The invoices `issuer` sends on `date`: one per party with at least one non-zero line due
/// that day, among the user-fee lines billed on `date`, the pools due on `date` and the other
/// lines due on `date`. Invoices are ordered by buyer; lines by corrections, advances, pools
/// (by pool id) and other lines in the order given.
///
/// # Errors
/// [`CalendarError::BadInvoiceLine`] for a pool in another currency than the invoices', and
/// [`CalendarError::DateOutOfRange`] for a due date beyond the calendar; all at once.
pub fn assemble_invoices(
    date: NaiveDate,
    issuer: &PartyId,
    fee_lines: &[FeeLine],
    pools: &[DuePool],
    extra: &[ExtraLine],
    options: &InvoiceOptions,
) -> Result<Vec<Invoice>, CalendarProblems> {
    assemble(date, issuer, fee_lines, pools, extra, options, true)
}

/// [`assemble_invoices`], with the pool lines unexplained (no steps) when `explain` is false:
/// invoices of an earlier date that the engine assembles only for the cash flow.
pub(crate) fn assemble(
    date: NaiveDate,
    issuer: &PartyId,
    fee_lines: &[FeeLine],
    pools: &[DuePool],
    extra: &[ExtraLine],
    options: &InvoiceOptions,
    explain: bool,
) -> Result<Vec<Invoice>, CalendarProblems> {
    let mut problems = Vec::new();
    let mut by_buyer: BTreeMap<PartyId, Vec<(u8, InvoiceLine)>> = BTreeMap::new();
    let mut push = |party: &PartyId, order: u8, line: InvoiceLine| {
        if !line.amount.is_zero() {
            by_buyer
                .entry(party.clone())
                .or_default()
                .push((order, line));
        }
    };

    for f in fee_lines.iter().filter(|f| f.invoice_date == date) {
        let (kind, order, description) = match f.kind {
            // An unexplained invoice is assembled for its totals only: its words are not read.
            FeeLineKind::Correction if !explain => (LineKind::Correction, 0, unread()),
            FeeLineKind::Advance if !explain => (LineKind::Advance, 1, unread()),
            FeeLineKind::Correction => (
                LineKind::Correction,
                0,
                Text::new(
                    format!("korrigering av användaravgiften för {}", f.period),
                    format!("correction of the user fee for {}", f.period),
                ),
            ),
            FeeLineKind::Advance => (
                LineKind::Advance,
                1,
                Text::new(
                    format!("användaravgift i förskott för {}", f.period),
                    format!("user fee in advance for {}", f.period),
                ),
            ),
        };
        let line = line(
            kind,
            description,
            Some(f.period),
            (f.amount, f.quantity.clone()),
            options.fee_vat,
            f.explanation.clone(),
            options,
        );
        push(&f.party, order, line);
    }

    let mut due_pools: Vec<&DuePool> = pools.iter().filter(|p| p.due == date).collect();
    due_pools.sort_by(|a, b| a.allocation.pool.cmp(&b.allocation.pool));
    for p in due_pools {
        let a = &p.allocation;
        if a.currency != options.currency {
            for part in &a.parts {
                problems.push(CalendarError::BadInvoiceLine {
                    party: part.party.clone(),
                    date,
                    what: format!(
                        "pool {} is in {}, the invoice in {}",
                        a.pool, a.currency, options.currency
                    ),
                });
            }
            continue;
        }
        let mut payers: Vec<&PartyId> = a.parts.iter().map(|p| &p.party).collect();
        if let Some((absorber, _)) = &a.absorbed {
            payers.push(absorber);
        }
        payers.sort();
        payers.dedup();
        let explainer = explain.then(|| a.explainer());
        for party in payers {
            let amount = a.amount_for(party);
            let explained = explainer.as_ref().and_then(|e| e.explain(party));
            let explanation = explained.unwrap_or_else(|| Explanation {
                pool: a.pool.clone(),
                party: party.clone(),
                amount,
                steps: Steps::new(),
            });
            let description = if explain {
                Text::plain(format!("{} ({})", a.name, a.pool))
            } else {
                unread()
            };
            // The parts are ordered by party: a binary search, not a scan of every part for
            // every payer (issue 12: quadratic at national scale).
            let quantity = match a.part(party) {
                Some(part) => LineQuantity::share(
                    amount,
                    PoolShare {
                        basis: part.basis,
                        basis_total: a.basis_total,
                        pool_amount: a.split_amount,
                        key: a.key,
                    },
                ),
                // Only the absorbing party of a cap pays without a part of its own.
                None => LineQuantity::lump(amount, LumpReason::Amount),
            };
            push(
                party,
                2,
                line(
                    LineKind::Pool,
                    description,
                    p.period,
                    (amount, quantity),
                    p.vat,
                    Arc::new(explanation),
                    options,
                ),
            );
        }
    }

    for e in extra.iter().filter(|e| e.due == date) {
        let line = line(
            LineKind::Other,
            Text::plain(e.description.clone()),
            e.period,
            (e.amount, e.quantity.clone()),
            e.vat,
            e.explanation.clone(),
            options,
        );
        push(&e.party, 3, line);
    }

    let due_date = date.checked_add_days(Days::new(u64::from(options.due_days)));
    let mut invoices = Vec::with_capacity(by_buyer.len());
    for (buyer, mut lines) in by_buyer {
        if buyer == *issuer && !options.bill_issuer {
            continue;
        }
        let Some(due_date) = due_date else {
            problems.push(CalendarError::DateOutOfRange {
                what: format!("the due date of the invoice to {buyer} on {date}"),
            });
            continue;
        };
        // A stable sort keeps the given order within each kind of line.
        lines.sort_by_key(|(order, _)| *order);
        let lines: Vec<InvoiceLine> = lines.into_iter().map(|(_, l)| l).collect();
        invoices.push(invoice(issuer, buyer, date, due_date, lines, options));
    }
    CalendarProblems::check(invoices, problems)
}

/// What the cash flow needs of the invoices [`assemble`] makes on `date`: each buyer's payable,
/// without lines, words or explanations (issue 12: an earlier date's full invoices, built for
/// every party only to learn what each one moves, were a third of a run at 100,000 parties).
/// The buyers are found by their place among `parties` (the agreement's, ordered by id), and
/// their amounts added up in a list indexed by that place rather than in a map keyed by id.
///
/// `None` when [`assemble`] would report a problem (a pool in another currency, a due date
/// beyond the calendar): the caller then assembles in full, for the problems.
pub(crate) fn payables(
    date: NaiveDate,
    fee_lines: &[FeeLine],
    pools: &[DuePool],
    extra: &[ExtraLine],
    options: &InvoiceOptions,
    parties: &[Party],
) -> Option<Payables> {
    date.checked_add_days(Days::new(u64::from(options.due_days)))?;
    let due_pools: Vec<&DuePool> = pools.iter().filter(|p| p.due == date).collect();
    if due_pools
        .iter()
        .any(|p| p.allocation.currency != options.currency)
    {
        return None;
    }
    let mut sums = Sums {
        by_place: vec![Bases::default(); parties.len()],
        other: BTreeMap::new(),
    };
    let mut hint = 0;
    for f in fee_lines.iter().filter(|f| f.invoice_date == date) {
        hint = sums.add(parties, &f.party, hint, options.fee_vat, f.amount);
    }
    for p in due_pools {
        let a = &p.allocation;
        // The parts are ordered by party, as the parties are: one walk over both. A party
        // that both has a part and absorbs the excess pays one line of the two added up.
        let mut hint = 0;
        let mut previous: Option<&PartyId> = None;
        for part in &a.parts {
            if previous == Some(&part.party) {
                continue;
            }
            previous = Some(&part.party);
            let amount = match &a.absorbed {
                Some((absorber, _)) if *absorber == part.party => a.amount_for(&part.party),
                _ => part.amount,
            };
            hint = sums.add(parties, &part.party, hint, p.vat, amount);
        }
        if let Some((absorber, _)) = &a.absorbed {
            if a.part(absorber).is_none() {
                sums.add(parties, absorber, 0, p.vat, a.amount_for(absorber));
            }
        }
    }
    for e in extra.iter().filter(|e| e.due == date) {
        hint = sums.add(parties, &e.party, hint, e.vat, e.amount);
    }
    let mut out = Payables::default();
    for (place, bases) in sums.by_place.iter().enumerate() {
        if bases.lines {
            // `parties` has fewer than 2^32 parties: a place found in it fits.
            out.by_place.push((place as u32, bases.payable(options)));
        }
    }
    for (party, bases) in sums.other {
        out.other.push((party, bases.payable(options)));
    }
    Some(out)
}

/// The payables of one date's invoices, by buyer (see [`payables`]).
#[derive(Debug, Default)]
pub(crate) struct Payables {
    /// By the buyer's place among the parties, in that order.
    pub by_place: Vec<(u32, Money)>,
    /// Buyers that are not among the parties, by id.
    pub other: Vec<(PartyId, Money)>,
}

/// The lines of each buyer added up per VAT rate.
struct Sums {
    by_place: Vec<Bases>,
    other: BTreeMap<PartyId, Bases>,
}

/// The place of `party` among `parties` (ordered by id), searched from `hint` on in steps that
/// double, then among all: lines come ordered by party, so the party is most often a few places
/// on and found in a few comparisons rather than a search of every party (issue 12).
fn find_from(parties: &[Party], hint: usize, party: &PartyId) -> Option<usize> {
    let rest = parties.get(hint..).unwrap_or_default();
    let mut end = 1;
    while end < rest.len() && rest[end].id < *party {
        end = end.saturating_mul(2);
    }
    let ahead = &rest[..rest.len().min(end.saturating_add(1))];
    match ahead.binary_search_by(|p| p.id.cmp(party)) {
        Ok(i) => Some(hint + i),
        Err(_) => parties.binary_search_by(|p| p.id.cmp(party)).ok(),
    }
}

impl Sums {
    /// Adds a line of `amount` at `rate` to `party`'s invoice, found among `parties` from the
    /// place `hint` on (lines come ordered by party): returns the place to look at next.
    fn add(
        &mut self,
        parties: &[Party],
        party: &PartyId,
        hint: usize,
        rate: VatRate,
        amount: Money,
    ) -> usize {
        // As `assemble`: a line of zero is no line.
        if amount.is_zero() {
            return hint;
        }
        let place = match parties.get(hint) {
            Some(p) if p.id == *party => Some(hint),
            _ => find_from(parties, hint, party),
        };
        match place {
            Some(i) => {
                self.by_place[i].add(rate, amount);
                i
            }
            None => {
                self.other
                    .entry(party.clone())
                    .or_default()
                    .add(rate, amount);
                hint
            }
        }
    }
}

/// One invoice's lines added up per VAT rate, and whether it has any line.
#[derive(Clone, Debug, Default)]
struct Bases {
    by_rate: [Money; 5],
    lines: bool,
}

impl Bases {
    fn add(&mut self, rate: VatRate, amount: Money) {
        let i = match rate {
            VatRate::Zero => 0,
            VatRate::Six => 1,
            VatRate::Twelve => 2,
            VatRate::TwentyFive => 3,
            VatRate::OutsideScope => 4,
        };
        self.by_rate[i] += amount;
        self.lines = true;
    }

    /// What is to be paid, as [`invoice`] computes it from the lines.
    fn payable(&self, options: &InvoiceOptions) -> Money {
        let [zero, six, twelve, twenty_five, outside] = self.by_rate;
        let net_total = zero + six + twelve + twenty_five + outside;
        // No VAT at 0 % or outside the scope: `vat_of` gives zero for them.
        let vat_total = [
            (six, VatRate::Six),
            (twelve, VatRate::Twelve),
            (twenty_five, VatRate::TwentyFive),
        ]
        .into_iter()
        .filter(|(base, _)| !base.is_zero())
        .map(|(base, rate)| vat_of(base, rate, options))
        .sum::<Money>();
        payable_of(net_total, vat_total, options)
    }
}

/// What is to be paid on an invoice of `net_total` with `vat_total`: with the öresavrundning
/// when the options ask for it.
fn payable_of(net_total: Money, vat_total: Money, options: &InvoiceOptions) -> Money {
    let total = net_total + vat_total;
    let rounding = options.total_rounding.map(|p| p.round_money(total) - total);
    total + rounding.unwrap_or(Money::ZERO)
}

/// The description of a line of an unexplained invoice (one assembled for its totals only, see
/// [`assemble`]): nothing, rather than words formatted for every line and never read.
fn unread() -> Text {
    Text::plain(String::new())
}

fn line(
    kind: LineKind,
    description: Text,
    period: Option<Period>,
    (amount, quantity): (Money, LineQuantity),
    vat_rate: VatRate,
    explanation: Arc<Explanation>,
    options: &InvoiceOptions,
) -> InvoiceLine {
    let vat = vat_of(amount, vat_rate, options);
    InvoiceLine {
        kind,
        description,
        period,
        amount,
        vat_rate,
        quantity,
        vat,
        explanation,
    }
}

/// The VAT of `amount` at `rate`, rounded under the invoice options.
fn vat_of(amount: Money, rate: VatRate, options: &InvoiceOptions) -> Money {
    let exact = amount.to_decimal() * rate.percent() / Decimal::ONE_HUNDRED;
    // |amount| ≤ 10^15 kronor, so its VAT is within range and the fallback never happens.
    Money::round(exact, options.vat_rounding).unwrap_or(Money::ZERO)
}

/// Totals, VAT per rate, rounding and kind of one invoice from its lines.
fn invoice(
    issuer: &PartyId,
    buyer: PartyId,
    date: NaiveDate,
    due_date: NaiveDate,
    lines: Vec<InvoiceLine>,
    options: &InvoiceOptions,
) -> Invoice {
    // R15 (BR-CO-17): the VAT of a rate is computed on the sum of the net lines at that rate,
    // rounded once; the lines' own VAT is for information and may differ by an öre.
    let mut per_rate: BTreeMap<VatRate, Money> = BTreeMap::new();
    for l in &lines {
        *per_rate.entry(l.vat_rate).or_default() += l.amount;
    }
    let vat_totals: Vec<VatTotal> = per_rate
        .into_iter()
        .map(|(rate, base)| VatTotal {
            rate,
            base,
            vat: vat_of(base, rate, options),
        })
        .collect();
    let net_total: Money = lines.iter().map(|l| l.amount).sum();
    let vat_total: Money = vat_totals.iter().map(|t| t.vat).sum();
    let total = net_total + vat_total;
    let rounding = options.total_rounding.map(|p| p.round_money(total) - total);
    let payable = payable_of(net_total, vat_total, options);
    let kind = if total.is_negative() {
        InvoiceKind::CreditNote
    } else {
        InvoiceKind::Invoice
    };
    Invoice {
        kind,
        number: None,
        ocr: None,
        issuer: issuer.clone(),
        issuer_org: options.org_numbers.get(issuer).copied(),
        buyer_org: options.org_numbers.get(&buyer).copied(),
        buyer,
        issue_date: date,
        due_date,
        currency: options.currency,
        lines,
        vat_totals,
        net_total,
        vat_total,
        rounding,
        payable,
    }
}

/// The explanation of an öresavrundning, for a writer that shows it as a line.
pub fn rounding_explanation(invoice: &Invoice, policy: RoundingPolicy) -> Option<Explanation> {
    let rounding = invoice.rounding?;
    let total = invoice.net_total + invoice.vat_total;
    Some(Explanation {
        pool: "öresavrundning".into(),
        party: invoice.buyer.clone(),
        amount: rounding,
        steps: vec![
            Step::input(
                Text::new("rader och moms", "lines and VAT"),
                Text::plain(total.to_swedish()),
                None,
            ),
            Step::input(
                Text::new(
                    format!(
                        "att betala avrundat {}",
                        policy_words(policy).get(Language::Sv)
                    ),
                    format!("payable rounded {}", policy_words(policy).get(Language::En)),
                ),
                Text::plain(invoice.payable.to_swedish()),
                None,
            ),
            Step::computed(
                Text::new("öresavrundning", "rounding"),
                Text::new("att betala − (rader + moms)", "payable − (lines + VAT)"),
                Text::plain(rounding.to_swedish()),
            ),
        ]
        .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn pid(id: &str) -> PartyId {
        PartyId::new(id).unwrap()
    }

    fn extra(party: &str, ore: i128, vat: VatRate) -> ExtraLine {
        ExtraLine {
            party: pid(party),
            due: day(2011, 7, 1),
            description: "x".to_owned(),
            period: None,
            amount: Money::from_ore(ore),
            vat,
            quantity: LineQuantity::lump(Money::from_ore(ore), LumpReason::Amount),
            explanation: Explanation {
                pool: "x".into(),
                party: pid(party),
                amount: Money::from_ore(ore),
                steps: Steps::new(),
            }
            .into(),
        }
    }

    fn assemble(lines: &[ExtraLine], options: &InvoiceOptions) -> Vec<Invoice> {
        assemble_invoices(day(2011, 7, 1), &pid("coord"), &[], &[], lines, options).unwrap()
    }

    #[test]
    fn vat_per_line_and_per_rate() {
        let lines = [
            extra("a", 10_001, VatRate::TwentyFive), // 100.01 → VAT 25.0025 → 25.00
            extra("a", 10_003, VatRate::TwentyFive), // 100.03 → 25.0075 → 25.01
            extra("a", 5_000, VatRate::Six),         // 50.00 → 3.00
            extra("a", 700, VatRate::OutsideScope),
        ];
        let inv = &assemble(&lines, &InvoiceOptions::default())[0];
        let totals: Vec<String> = inv
            .vat_totals
            .iter()
            .map(|t| format!("{}: {} + {}", t.rate, t.base, t.vat))
            .collect();
        assert_eq!(
            totals,
            [
                "6 %: 50.00 + 3.00",
                "25 %: 200.04 + 50.01",
                "outside the scope of VAT: 7.00 + 0.00"
            ]
        );
        assert_eq!(inv.payable.to_string(), "310.05");
        assert_eq!(inv.rounding, None);
    }

    #[test]
    fn ore_rounding_is_its_own_line_and_credit_notes_round_the_same_way() {
        let options = InvoiceOptions {
            total_rounding: Some(RoundingPolicy::KRONA_HALF_AWAY_FROM_ZERO),
            ..InvoiceOptions::default()
        };
        let inv = assemble(
            &[
                extra("a", 12_349, VatRate::Zero),
                extra("b", -12_350, VatRate::Zero),
            ],
            &options,
        );
        assert_eq!(inv[0].rounding, Some(Money::from_ore(-49)));
        assert_eq!(inv[0].payable.to_string(), "123.00");
        assert_eq!(inv[0].kind, InvoiceKind::Invoice);
        assert_eq!(inv[1].rounding, Some(Money::from_ore(-50)));
        assert_eq!(inv[1].payable.to_string(), "-124.00");
        assert_eq!(inv[1].kind, InvoiceKind::CreditNote);
        let why = rounding_explanation(&inv[1], RoundingPolicy::KRONA_HALF_AWAY_FROM_ZERO).unwrap();
        assert_eq!(why.amount, Money::from_ore(-50));
    }

    #[test]
    fn zero_lines_and_other_dates_are_left_out() {
        let mut later = extra("b", 100, VatRate::Zero);
        later.due = day(2011, 7, 2);
        let inv = assemble(
            &[extra("a", 0, VatRate::Zero), later],
            &InvoiceOptions::default(),
        );
        assert!(inv.is_empty());
    }

    #[test]
    fn a_quantity_is_counted_only_when_the_product_is_the_amount() {
        // 4 812 logins at 0,30 kr are 1 443,60 kr: counted.
        let q = LineQuantity::counted(
            Decimal::from(4812),
            Unit::Transaction("login".to_owned()),
            Decimal::new(30, 2),
            Money::from_ore(144_360),
            LumpReason::Amount,
        );
        assert_eq!(
            (q.quantity, q.unit_price, q.lump),
            (Decimal::from(4812), Decimal::new(30, 2), None)
        );
        // 3 users at 6 000 kr are not 17 999,99 kr: one lump sum with the reason.
        let reason = LumpReason::ProRata { days: 91, of: 181 };
        let q = LineQuantity::counted(
            Decimal::from(3),
            Unit::User,
            Decimal::from(6000),
            Money::from_ore(1_799_999),
            reason.clone(),
        );
        assert_eq!(q.quantity, Decimal::ONE);
        assert_eq!(q.unit, Unit::Piece);
        assert_eq!(q.unit_price, Decimal::new(1_799_999, 2));
        assert_eq!(q.lump, Some(reason));
    }

    #[test]
    fn a_pool_share_is_one_share_with_its_percent() {
        let share = PoolShare {
            basis: Decimal::from(352),
            basis_total: Decimal::from(10_000),
            pool_amount: Money::from_ore(28_500_000),
            key: "population",
        };
        assert_eq!(share.percent(), Some(Decimal::new(352, 2)));
        let q = LineQuantity::share(Money::from_ore(1_003_200), share);
        assert_eq!(
            (q.quantity, q.lump),
            (Decimal::ONE, Some(LumpReason::Share))
        );
        let empty = PoolShare {
            basis_total: Decimal::ZERO,
            ..q.share.unwrap()
        };
        assert_eq!(empty.percent(), None);
    }

    #[test]
    fn numbers_come_with_an_ocr_reference() {
        let inv = assemble(
            &[extra("a", 100, VatRate::Zero)],
            &InvoiceOptions::default(),
        );
        let numbered = inv[0].clone().with_number(1234567890, true).unwrap();
        assert_eq!(numbered.ocr.as_deref(), Some("123456789023"));
        assert_eq!(numbered.due_date, day(2011, 7, 31));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// The galloping search finds what a plain binary search of all the parties finds, from
        /// every starting place (before, at, after the party, and past the end), for ids
        /// present and absent.
        #[test]
        fn find_from_agrees_with_a_binary_search(
            ids in proptest::collection::btree_set("[a-d]{1,3}", 0..60),
            absent in proptest::collection::vec("[a-e]{1,4}", 0..8),
        ) {
            let parties: Vec<Party> = ids.iter().map(|id| Party::new(pid(id), "P")).collect();
            let probes = ids.iter().chain(&absent).map(|id| pid(id));
            for party in probes {
                let expected = parties.binary_search_by(|p| p.id.cmp(&party)).ok();
                for hint in 0..=parties.len() + 1 {
                    proptest::prop_assert_eq!(
                        find_from(&parties, hint, &party),
                        expected,
                        "{} from {}",
                        party,
                        hint
                    );
                }
            }
        }
    }
}
