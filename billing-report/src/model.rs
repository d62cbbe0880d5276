//! The workbook as `billing-core`'s agreement model: a mapping, no rules. Each part keeps its
//! cell (`Pools!A3`) as the source reference, so a problem the engine finds points back at it.

use billing_core::calendar::{CalendarConfig, EntryRule, ExitRule};
use billing_core::engine::{BudgetEntry, CooperationTerms, Model, ScheduledPool, Settings, Terms};
use billing_core::invoice::InvoiceOptions;
use billing_core::transactions::{Count, PricedLine};
use billing_core::{RoundingPolicy, SourceRef};

use crate::workbook::Input;

/// The agreement model of `input`, with the transactions read from its file (`priced` lines
/// and day `counts`; reading the file is I/O and stays here).
pub fn model(input: &Input, priced: Vec<PricedLine>, counts: Vec<Count>) -> Model {
    let s = &input.settings;
    let mut settings = Settings::new(s.issuer.clone(), s.start);
    settings.calendar = CalendarConfig {
        periods: s.periods.clone(),
        policy: s.correction,
        rounding: RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO,
    };
    settings.fee_rounding = RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO;
    settings.invoice = options(input);
    settings.entry = EntryRule {
        multiplier: s.first_year_multiplier,
        ..EntryRule::default()
    };
    settings.exit = ExitRule {
        notice_months: s.notice_months,
    };
    settings.transactions_vat = s.transactions_vat;

    let mut model = Model::new(settings, input.agreement.clone());
    model.terms = input
        .parties
        .iter()
        .map(|(id, p)| {
            let mut t = Terms::new(id.clone());
            t.joined = p.joined;
            t.approved_by = p.approved_by.clone();
            t.notice_given = p.notice_given;
            t.source = Some(SourceRef::new(&p.place));
            t
        })
        .collect();
    model.pools = input
        .pools
        .iter()
        .map(|p| {
            let mut s = ScheduledPool::new(p.pool.clone(), p.due.clone());
            s.vat = p.vat;
            s.period = p.period;
            s.source = Some(SourceRef::new(&p.place));
            s
        })
        .collect();
    model.budgets = input
        .budgets
        .iter()
        .map(|b| BudgetEntry::new(b.budget.clone(), b.users))
        .collect();
    model.annual_fee = s.annual_fee.clone();
    model.registrations = input.registrations.clone();
    model.user_counts = input.user_counts.clone();
    model.thresholds = input.thresholds.clone();
    model.provider_costs = input.provider_costs.clone();
    model.tariffs = input.tariffs.clone();
    model.transaction_lines = priced;
    model.transaction_counts = counts;
    model.cooperations = input
        .cooperations
        .iter()
        .map(|c| {
            let mut t = CooperationTerms::new(c.cooperation.clone());
            t.fee = c.fee;
            t.year = c.year;
            t.covers = c.covers.clone();
            t.source = Some(SourceRef::new(&c.place));
            t
        })
        .collect();
    model
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
