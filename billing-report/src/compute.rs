//! From a validated workbook to the invoices due on one date, through `billing-core`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use billing_core::calendar::{
    annual_fee, arrears_invoices, assemble_invoices, cash_flow, fee_lines, AnnualFee,
    CalendarConfig, DuePool, EntryRequest, EntryRule, ExitRule, ExtraLine, FeeLine, FeeSchedule,
    Invoice, InvoiceOptions, Members, Membership, PartyTimeline, Register, SettlementDays,
    UserCounts, Users,
};
use billing_core::transactions::{fee_review, Count, FeeReview, PricedLine};
use billing_core::{allocate, Allocation, Money, PartyId, RoundingPolicy};
use std::sync::atomic::AtomicU64;

use crate::transactions::price;
use crate::transactions::reader::{read_file, Catalog, ReadOptions, Transactions};

use crate::input::{Problem, Severity};
use crate::workbook::Input;

/// What was issued before: the register's record, the input corrections are computed against.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// The user-fee lines issued, on any date.
    pub fee_lines: Vec<FeeLine>,
    /// The invoice dates on which invoices were issued.
    pub dates: BTreeSet<NaiveDate>,
}

/// The invoices due on one date, and what the overview shows.
#[derive(Clone, Debug)]
pub struct Draft {
    /// The invoice date.
    pub date: NaiveDate,
    /// The coordinator's invoices to the parties, then the providers' arrears invoices.
    pub invoices: Vec<Invoice>,
    /// The pools (instalments) due on the date, split.
    pub allocations: Vec<Allocation>,
    /// The user-fee lines billed on the date (recorded when issued).
    pub fee_lines: Vec<FeeLine>,
    /// The annual fees in force.
    pub fees: Vec<AnnualFee>,
    /// Findings of the splits, in words.
    pub findings: Vec<String>,
    /// Money in and out per party, from the agreement's start to the date.
    pub timeline: Vec<PartyTimeline>,
    /// Invoice dates before this one that the register has not recorded and that were assumed
    /// billed as computed.
    pub assumed_dates: Vec<NaiveDate>,
    /// The fee review of every cooperation whose fee covers counted transactions (R13).
    pub fee_reviews: Vec<FeeReview>,
    /// The priced transaction lines billed on the date (R11), for the audit workbook.
    pub transaction_lines: Vec<PricedLine>,
}

/// Computes the invoices due on `date`.
///
/// # Errors
/// Every problem found, as located as the core allows (party, pool, date).
pub fn compute(input: &Input, date: NaiveDate, history: &History) -> Result<Draft, Vec<Problem>> {
    let problem = |message: String| Problem {
        severity: Severity::Error,
        file: input.path.display().to_string(),
        sheet: None,
        cell: None,
        found: None,
        message,
    };
    let mut problems = Vec::new();
    let members = members(input, &mut problems);
    let options = options(input);
    let config = CalendarConfig {
        periods: input.settings.periods.clone(),
        policy: input.settings.correction,
        rounding: RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO,
    };

    // User fees: every period start from the agreement's start, each date's lines becoming
    // "issued" for the next unless the register recorded what was really issued.
    let register = if input.registrations.is_empty() {
        None
    } else {
        match Register::new(&input.registrations, &input.agreement) {
            Ok(r) => Some(r),
            Err(e) => {
                problems.extend(e.problems().iter().map(|p| problem(p.to_string())));
                None
            }
        }
    };
    let counts = if input.user_counts.is_empty() {
        None
    } else {
        match UserCounts::new(&input.user_counts, &input.agreement) {
            Ok(c) => Some(c),
            Err(e) => {
                problems.extend(e.problems().iter().map(|p| problem(p.to_string())));
                None
            }
        }
    };
    let users = match (&register, &counts) {
        (Some(r), _) => Some(Users::Register(r)),
        (None, Some(c)) => Some(Users::Counts(c)),
        _ => None,
    };
    let mut fees = Vec::new();
    for b in &input.budgets {
        let n = b.users.or_else(|| {
            users.map(|u| {
                input
                    .agreement
                    .parties()
                    .iter()
                    .map(|p| u.users_on(&p.id, b.budget.reference_date))
                    .sum()
            })
        });
        match annual_fee(
            &b.budget,
            n.unwrap_or(0),
            RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO,
        ) {
            Ok(f) => fees.push(f),
            Err(e) => problems.push(problem(e.to_string())),
        }
    }
    if let (Some(fee), Some(start)) = (&input.settings.annual_fee, input.settings.start) {
        fees.push(AnnualFee::given(start, fee.value, fee.source.clone()));
    }

    let mut new_fee_lines = Vec::new();
    let mut assumed_dates = Vec::new();
    // Lines issued on this date or later are left out: the date is recomputed as a draft
    // against what was issued before it (the same figures `issue` recorded, now explained).
    let mut all_fee_lines: Vec<FeeLine> = history
        .fee_lines
        .iter()
        .filter(|l| l.invoice_date < date)
        .cloned()
        .collect();
    let schedule = if fees.is_empty() {
        None
    } else {
        match FeeSchedule::new(fees.clone()) {
            Ok(s) => Some(s),
            Err(e) => {
                problems.push(problem(e.to_string()));
                None
            }
        }
    };
    let period_starts: Vec<NaiveDate> = match (input.settings.start, &members) {
        (Some(start), Some(_)) => {
            let first = input
                .settings
                .periods
                .containing(start)
                .map(|p| p.start())
                .unwrap_or(start);
            input.settings.periods.starts_between(first, date)
        }
        _ => Vec::new(),
    };
    if let (Some(schedule), Some(users), Some(members)) = (&schedule, users, &members) {
        for &d in &period_starts {
            if d < date && history.dates.contains(&d) {
                continue;
            }
            match fee_lines(d, &config, schedule, members, users, &all_fee_lines) {
                Ok(lines) => {
                    if d == date {
                        new_fee_lines = lines.clone();
                    } else {
                        assumed_dates.push(d);
                    }
                    all_fee_lines.extend(lines);
                }
                Err(e) => {
                    problems.extend(e.problems().iter().map(|p| problem(p.to_string())));
                    break;
                }
            }
        }
    }

    // Transactions (R11): read and priced once; each period's lines are billed in arrears, on
    // the first day after it.
    // Counts per day are only needed for a fee review: a long file's day counts are large.
    let need_counts = input
        .cooperations
        .iter()
        .any(|c| c.fee.is_some() && !c.covers.is_empty());
    let (priced, counts) = transactions(input, need_counts, &mut problems);
    let fee_reviews = fee_reviews(input, &counts, &mut problems);

    // Pools, and invoices for every billing date up to this one (for the cash-flow timeline).
    let mut billing_dates: BTreeSet<NaiveDate> = period_starts.iter().copied().collect();
    billing_dates.extend(priced.iter().map(|l| l.billing_period.end()));
    billing_dates.extend(input.pools.iter().flat_map(|p| p.due.iter().copied()));
    let settlement = SettlementDays::default();
    let mut day = input.settings.start.unwrap_or(date);
    while day <= date {
        if settlement.is_settlement_day(day) {
            billing_dates.insert(day);
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    billing_dates.retain(|d| *d <= date);
    billing_dates.insert(date);

    let mut draft_invoices = Vec::new();
    let mut all_invoices = Vec::new();
    let mut allocations = Vec::new();
    let mut findings = Vec::new();
    for &d in &billing_dates {
        let mut day_findings = Vec::new();
        let due = due_pools(input, d, &mut problems, &mut day_findings);
        let fee_for_day: Vec<FeeLine> = all_fee_lines
            .iter()
            .filter(|l| l.invoice_date == d)
            .cloned()
            .collect();
        let extra: Vec<ExtraLine> = priced
            .iter()
            .filter(|l| l.billing_period.end() == d)
            .map(|l| l.to_extra_line(d, input.settings.transactions_vat))
            .collect();
        let mut invoices = match assemble_invoices(
            d,
            &input.settings.issuer,
            &fee_for_day,
            &due,
            &extra,
            &options,
        ) {
            Ok(i) => i,
            Err(e) => {
                problems.extend(e.problems().iter().map(|p| problem(p.to_string())));
                Vec::new()
            }
        };
        if settlement.is_settlement_day(d) && !input.provider_costs.is_empty() {
            match arrears_invoices(
                d,
                &input.agreement,
                &input.settings.issuer,
                &input.provider_costs,
                &settlement,
                &options,
            ) {
                Ok(a) => invoices.extend(a),
                Err(e) => problems.extend(e.problems().iter().map(|p| problem(p.to_string()))),
            }
        }
        if d == date {
            draft_invoices = invoices.clone();
            allocations = due.into_iter().map(|p| p.allocation).collect();
            findings = day_findings;
        } else if !invoices.is_empty() && !history.dates.contains(&d) {
            // Something fell due on an earlier date that the register has not recorded: pools,
            // transactions or user fees of that date are taken as billed then, and said so.
            assumed_dates.push(d);
        }
        all_invoices.extend(invoices);
    }
    assumed_dates.sort_unstable();
    assumed_dates.dedup();
    if !problems.is_empty() {
        return Err(problems);
    }
    let timeline = cash_flow(&all_invoices, &input.provider_costs);
    Ok(Draft {
        date,
        invoices: draft_invoices,
        allocations,
        fee_lines: new_fee_lines,
        fees,
        findings,
        timeline,
        assumed_dates,
        fee_reviews,
        transaction_lines: priced
            .into_iter()
            .filter(|l| l.billing_period.end() == date)
            .collect(),
    })
}

/// The transactions file priced, and its counts per party, kind and day; nothing without one.
fn transactions(
    input: &Input,
    need_counts: bool,
    problems: &mut Vec<Problem>,
) -> (Vec<PricedLine>, Vec<Count>) {
    let Some(path) = &input.transactions_path else {
        return (Vec::new(), Vec::new());
    };
    let file = path.display().to_string();
    let problem = |message: String| Problem {
        severity: Severity::Error,
        file: file.clone(),
        sheet: None,
        cell: None,
        found: None,
        message,
    };
    let Some(tariffs) = &input.tariffs else {
        problems.push(problem(
            "a transactions file needs the Tariffs sheet to price it".to_owned(),
        ));
        return (Vec::new(), Vec::new());
    };
    let catalog = Catalog::new(
        input
            .agreement
            .parties()
            .iter()
            .map(|p| p.id.clone())
            .collect(),
        tariffs.kinds().cloned().collect(),
    );
    let read = read_file(path, &catalog, &ReadOptions::default(), &AtomicU64::new(0));
    let t = match read {
        Ok(t) => t,
        Err(e) => {
            problems.push(problem(e.to_string()));
            return (Vec::new(), Vec::new());
        }
    };
    let counts = match &t {
        Transactions::Rows(_) if !need_counts => Vec::new(),
        Transactions::Rows(tally) => tally.day_counts(),
        Transactions::Counted(c) => c.clone(),
    };
    match price(&t, tariffs, input.settings.transactions_period.starts()) {
        Ok(lines) => (lines, counts),
        Err(message) => {
            problems.push(problem(message));
            (Vec::new(), counts)
        }
    }
}

/// The fee review of each cooperation with a fee and covered costs (R13).
fn fee_reviews(input: &Input, counts: &[Count], problems: &mut Vec<Problem>) -> Vec<FeeReview> {
    let mut out = Vec::new();
    let Some(tariffs) = &input.tariffs else {
        return out;
    };
    for c in &input.cooperations {
        let (Some(fee), Some(year)) = (c.fee, c.year) else {
            continue;
        };
        if c.covers.is_empty() {
            continue;
        }
        match fee_review(&c.cooperation, year, fee, counts, tariffs, &c.covers) {
            Ok(r) => out.push(r),
            Err(e) => problems.extend(
                e.problems()
                    .iter()
                    .map(|p| located(input, &c.place, p.to_string())),
            ),
        }
    }
    out
}

/// The memberships: founding parties from the start, later ones admitted with their
/// approvals, notices recorded.
fn members(input: &Input, problems: &mut Vec<Problem>) -> Option<Members> {
    let start = input.settings.start?;
    let problem = |place: &str, message: String| {
        let (sheet, cell) = place.split_once('!').unwrap_or(("Parties", ""));
        Problem {
            severity: Severity::Error,
            file: input.path.display().to_string(),
            sheet: Some(sheet.to_owned()),
            cell: Some(cell.to_owned()),
            found: None,
            message,
        }
    };
    let founding: Vec<Membership> = input
        .parties
        .iter()
        .filter(|(_, p)| p.joined.is_none_or(|j| j <= start))
        .map(|(id, _)| Membership::founding(id.clone(), start))
        .collect();
    let mut members = match Members::new(founding, &input.agreement) {
        Ok(m) => m,
        Err(e) => {
            problems.extend(
                e.problems()
                    .iter()
                    .map(|p| problem("Parties!", p.to_string())),
            );
            return None;
        }
    };
    let rule = EntryRule {
        multiplier: input.settings.first_year_multiplier,
        ..EntryRule::default()
    };
    let exit = ExitRule {
        notice_months: input.settings.notice_months,
    };
    // Entries and notices in the order they happened: an entry's majority counts the parties
    // that are members on its joining day, so a notice given before it is applied first.
    enum Event {
        Notice,
        Entry,
    }
    let mut events: Vec<(NaiveDate, Event, &PartyId)> = Vec::new();
    for (id, p) in &input.parties {
        if let Some(j) = p.joined.filter(|j| *j > start) {
            events.push((j, Event::Entry, id));
        }
        if let Some(n) = p.notice_given {
            events.push((n, Event::Notice, id));
        }
    }
    events.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then((matches!(a.1, Event::Entry) as u8).cmp(&(matches!(b.1, Event::Entry) as u8)))
            .then(a.2.cmp(b.2))
    });
    for (date, event, id) in events {
        let info = &input.parties[id];
        match event {
            Event::Entry => {
                let request = EntryRequest {
                    party: id.clone(),
                    joining: date,
                    approvals: info.approved_by.clone(),
                };
                if let Err(e) = members.admit(&request, &rule) {
                    problems.extend(
                        e.problems()
                            .iter()
                            .map(|p| problem(&info.place, p.to_string())),
                    );
                }
            }
            Event::Notice => {
                if let Err(e) = members.give_notice(id, date, &exit) {
                    problems.push(problem(&info.place, e.to_string()));
                }
            }
        }
    }
    Some(members)
}

/// The invoice options from the settings.
pub fn options(input: &Input) -> InvoiceOptions {
    InvoiceOptions {
        fee_vat: input.settings.fee_vat,
        total_rounding: input
            .settings
            .round_totals
            .then_some(RoundingPolicy::KRONA_HALF_AWAY_FROM_ZERO),
        due_days: input.settings.payment_days,
        currency: input.settings.currency,
        org_numbers: input
            .parties
            .iter()
            .filter_map(|(id, p)| p.org.map(|o| (id.clone(), o)))
            .collect(),
        ..InvoiceOptions::default()
    }
}

/// The pools (or instalments of pools) due on `date`, split.
fn due_pools(
    input: &Input,
    date: NaiveDate,
    problems: &mut Vec<Problem>,
    findings: &mut Vec<String>,
) -> Vec<DuePool> {
    let mut out = Vec::new();
    for p in &input.pools {
        let Some(k) = p.due.iter().position(|d| *d == date) else {
            continue;
        };
        // Instalments: without a cap, each instalment is the pool's amount split in n to the öre
        // and then split by key, so every instalment adds up to its share of the pool. With a
        // cap, the pool is split and capped as a whole and each party's amount spread in n, so
        // the cap holds for the year however the pool is billed.
        let n = p.due.len();
        let mut pool = p.pool.clone();
        if n > 1 && pool.cap.is_none() {
            let claims: Vec<(usize, rust_decimal::Decimal)> =
                (0..n).map(|i| (i, rust_decimal::Decimal::ONE)).collect();
            match billing_core::apportion(pool.amount, &claims) {
                Ok(a) => pool.amount = a.portions()[k].amount(),
                Err(e) => {
                    problems.push(located(input, &p.place, e.to_string()));
                    continue;
                }
            }
            pool.name = format!("{} (instalment {} of {n})", pool.name, k + 1);
            if let billing_core::Key::Fixed { .. } = pool.key {
                problems.push(located(
                    input,
                    &p.place,
                    "a pool with the fixed key cannot be billed in instalments unless capped"
                        .to_owned(),
                ));
                continue;
            }
        }
        match allocate(&input.agreement, &pool, &input.thresholds) {
            Ok((whole, f)) => {
                findings.extend(f.iter().map(|f| f.to_string()));
                let allocation = if n > 1 && pool.cap.is_some() {
                    whole.instalments(n).swap_remove(k)
                } else {
                    whole
                };
                out.push(DuePool {
                    allocation,
                    due: date,
                    vat: p.vat,
                });
            }
            Err(e) => {
                for x in e.problems() {
                    problems.push(located(input, &p.place, x.to_string()));
                }
            }
        }
    }
    out
}

fn located(input: &Input, place: &str, message: String) -> Problem {
    let (sheet, cell) = place.split_once('!').unwrap_or(("Pools", ""));
    Problem {
        severity: Severity::Error,
        file: input.path.display().to_string(),
        sheet: Some(sheet.to_owned()),
        cell: Some(cell.to_owned()),
        found: None,
        message,
    }
}

/// The parties' amounts per pool, for the overview: pool id → party → amount.
pub fn matrix(allocations: &[Allocation]) -> BTreeMap<String, BTreeMap<PartyId, Money>> {
    allocations
        .iter()
        .map(|a| {
            let mut row: BTreeMap<PartyId, Money> = a
                .parts
                .iter()
                .map(|p| (p.party.clone(), p.amount))
                .collect();
            if let Some((party, amount)) = &a.absorbed {
                *row.entry(party.clone()).or_default() += *amount;
            }
            (a.pool.to_string(), row)
        })
        .collect()
}

/// Every date on which the workbook bills something, up to its last: period starts from the
/// agreement's start, pool due dates and settlement days. `check` computes the last one, which
/// computes them all.
pub fn billing_dates(input: &Input) -> Vec<NaiveDate> {
    // The horizon is set by what is billed on dates (pools, costs, cooperation fees) and by the
    // register, but a register date far ahead ("no end": 9999-12-31) must not make `check`
    // compute thousands of periods: register dates count up to five years past the rest.
    let mut anchor = input.settings.start;
    let consider = |d: NaiveDate, anchor: &mut Option<NaiveDate>| {
        *anchor = Some(anchor.map_or(d, |l| l.max(d)));
    };
    for p in &input.pools {
        p.due.iter().for_each(|d| consider(*d, &mut anchor));
    }
    for c in &input.provider_costs {
        consider(c.incurred, &mut anchor);
    }
    let limit = anchor.and_then(|a| a.checked_add_months(chrono::Months::new(60)));
    let mut last = anchor;
    let register_days = input
        .registrations
        .iter()
        .flat_map(|r| std::iter::once(r.first_day).chain(r.last_day))
        .chain(input.user_counts.iter().map(|c| c.date));
    for d in register_days {
        if limit.is_none_or(|l| d <= l) {
            consider(d, &mut last);
        }
    }
    let Some(last) = last else {
        return Vec::new();
    };
    let mut dates: BTreeSet<NaiveDate> = input
        .pools
        .iter()
        .flat_map(|p| p.due.iter().copied())
        .collect();
    if let Some(start) = input.settings.start {
        if let Ok(p) = input.settings.periods.containing(last) {
            let first = input
                .settings
                .periods
                .containing(start)
                .map(|p| p.start())
                .unwrap_or(start);
            dates.extend(input.settings.periods.starts_between(first, p.end()));
        }
    }
    dates.into_iter().collect()
}
