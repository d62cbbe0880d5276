//! The workbook as `billing-core`'s agreement model: a mapping, no rules. Each part keeps its
//! cell (`Pools!A3`) as the source reference, so a problem the engine finds points back at it.

use billing_core::calendar::{CalendarConfig, EntryRule, ExitRule};
use billing_core::engine::{
    self, BudgetEntry, CooperationTerms, Model, ScheduledPool, Settings, Subject, Terms,
};
use billing_core::invoice::InvoiceOptions;
use billing_core::transactions::{Count, PricedLine};
use billing_core::{RoundingPolicy, SourceRef};

use crate::input::{Problem, Severity};
use crate::workbook::Input;

/// The agreement model of `input`, with the transactions read from its file (`priced` lines
/// and day `counts`; reading the file is I/O and stays here).
pub fn model(input: &Input, priced: Vec<PricedLine>, counts: Vec<Count>) -> Model {
    model_with(input, input.registrations.clone(), priced, counts)
}

/// As [`model`], with the user register given: moved in, not copied (at 2,000,000
/// registrations a copy is about 270 MB).
pub fn model_with(
    input: &Input,
    registrations: Vec<billing_core::calendar::Registration>,
    priced: Vec<PricedLine>,
    counts: Vec<Count>,
) -> Model {
    let s = &input.settings;
    let mut settings = Settings::new(s.issuer.clone(), s.start);
    settings.calendar = CalendarConfig {
        periods: s.periods.clone(),
        policy: s.correction,
        rounding: RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO,
    };
    settings.fee_rounding = s.fee_rounding;
    settings.invoice = options(input);
    settings.entry = EntryRule {
        multiplier: s.first_year_multiplier,
        ..EntryRule::default()
    };
    settings.exit = ExitRule {
        notice_months: s.notice_months,
    };
    settings.transactions_vat = s.transactions_vat;
    settings.name = s.name.clone();
    settings.member_limit = s.member_limit;

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
    model.registrations = registrations;
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

/// A problem of the core at its cell: the cell of the field it is about in the row it names
/// (`Pools!D5` for a pool's due date, `Users!D7` for a registration's last day, `Settings!B3`
/// for the issuer), else its subject's row or its source reference; without one, a party's
/// problem is on the Parties sheet, a pool's or cooperation's on Pools, the agreement's on
/// Settings.
pub fn located(input: &Input, p: &engine::Problem) -> Problem {
    // The agreement's fields are settings, by the core's names (`periods` is `period_starts`).
    let setting = match (&p.subject, p.field) {
        (Subject::Agreement, Some("periods")) => Some("period_starts"),
        (Subject::Agreement, Some(f)) => crate::workbook::SETTINGS
            .iter()
            .any(|(name, _, _)| *name == f)
            .then_some(f),
        _ => None,
    };
    let default_sheet = match &p.subject {
        Subject::Parties | Subject::Party(_) => Some("Parties"),
        Subject::Pool(_) | Subject::Cooperation(_) => Some("Pools"),
        _ if p.source.is_none() && setting.is_some() => Some("Settings"),
        _ => None,
    };
    // The row of the subject, when the reader kept the cells of its fields.
    let cells = match &p.subject {
        Subject::Pool(id) => input
            .pools
            .iter()
            .find(|x| p.source.as_ref().is_some_and(|s| s.as_str() == x.place))
            .or_else(|| input.pools.iter().find(|x| x.pool.id() == id))
            .map(|x| &x.cells),
        Subject::Party(id) => input.parties.get(id).map(|x| &x.cells),
        _ => None,
    };
    let field_cell = p
        .field
        .zip(cells)
        .and_then(|(field, cells)| cells.get(field))
        .cloned();
    // A setting's cell, or the field's column in the row of the source reference.
    let field_cell = field_cell.or_else(|| match (&p.subject, &p.source, p.field) {
        (Subject::Agreement, None, _) => setting.and_then(|f| input.setting_cells.get(f).cloned()),
        (_, Some(source), Some(field)) => {
            let (sheet, cell) = source.as_str().split_once('!')?;
            let row = cell.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            let letters = input.places.get(sheet)?.columns.get(field)?;
            Some(format!("{sheet}!{letters}{row}"))
        }
        _ => None,
    });
    let place = field_cell.or_else(|| p.source.as_ref().map(|s| s.as_str().to_owned()));
    let (sheet, cell) = match place.as_deref().map(|s| s.split_once('!')) {
        Some(Some((sheet, cell))) => (Some(sheet.to_owned()), Some(cell.to_owned())),
        // A source that names no cell (a file and line) is the message's own business.
        _ => (default_sheet.map(str::to_owned), None),
    };
    let place = sheet.as_ref().and_then(|s| input.places.get(s));
    let file = place.map_or_else(|| input.path.display().to_string(), |s| s.file.clone());
    // A row of a CSV file named by a setting is at its line of that file.
    let (sheet, cell) = match (place, cell) {
        (Some(p), Some(cell)) if p.by_line => (
            None,
            Some(
                cell.trim_start_matches(|c: char| c.is_ascii_alphabetic())
                    .to_owned(),
            ),
        ),
        (_, cell) => (sheet, cell),
    };
    Problem {
        severity: Severity::Error,
        file,
        sheet,
        cell,
        found: p.found.clone(),
        message: lines_named(input, &p.message),
    }
}

/// An error at `source` (`UserCounts!C2`, a cell the reader kept), or at the workbook when
/// none: for a table located by line (a CSV file named by a setting), at its file's line.
pub fn at_source(input: &Input, source: Option<&SourceRef>, message: &str) -> Problem {
    let (sheet, cell) = source
        .and_then(|s| s.as_str().split_once('!'))
        .map_or((None, None), |(s, c)| (Some(s), Some(c)));
    let place = sheet.and_then(|s| input.places.get(s));
    let line = |c: &str| {
        c.trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .to_owned()
    };
    let (sheet, cell) = match place {
        Some(p) if p.by_line => (None, cell.map(line)),
        _ => (sheet.map(str::to_owned), cell.map(str::to_owned)),
    };
    Problem {
        severity: Severity::Error,
        file: place.map_or_else(|| input.path.display().to_string(), |p| p.file.clone()),
        sheet,
        cell,
        found: None,
        message: message.to_owned(),
    }
}

/// `message` with each cell it names (`first at UserCounts!C5`) of a table located by line (a
/// CSV file named by a setting, no sheet of the workbook) named as its file's line
/// (`antal.csv:5`).
fn lines_named(input: &Input, message: &str) -> String {
    let mut message = message.to_owned();
    for (sheet, place) in input.places.iter().filter(|(_, p)| p.by_line) {
        let name = std::path::Path::new(&place.file)
            .file_name()
            .map_or_else(|| place.file.clone(), |n| n.to_string_lossy().into_owned());
        let prefix = format!("{sheet}!");
        let mut from = 0;
        while let Some(at) = message[from..].find(&prefix).map(|i| i + from) {
            let rest = &message[at + prefix.len()..];
            let letters = rest.len()
                - rest
                    .trim_start_matches(|c: char| c.is_ascii_uppercase())
                    .len();
            let digits = rest[letters..]
                .chars()
                .take_while(char::is_ascii_digit)
                .count();
            if digits == 0 {
                from = at + prefix.len();
                continue;
            }
            let line = format!("{name}:{}", &rest[letters..letters + digits]);
            message.replace_range(at..at + prefix.len() + letters + digits, &line);
            from = at + line.len();
        }
    }
    message
}
