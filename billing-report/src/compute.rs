//! From a validated workbook to the invoices due on one date: a thin adapter over
//! [`billing_core::engine`]. The workbook becomes the agreement model ([`crate::model`]), the
//! transactions file is read here (I/O), and the engine's problems are pointed back at their
//! cells.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::NaiveDate;

use billing_core::calendar::{AnnualFee, FeeLine};
use billing_core::cooperation::FeeReview;
use billing_core::engine;
use billing_core::invoice::Invoice;
use billing_core::settlement::PartyTimeline;
use billing_core::transactions::{Count, PricedLine};
use billing_core::{Allocation, Money, PartyId};
use std::sync::atomic::AtomicU64;

use crate::transactions::price;
use crate::transactions::reader::{read_file, Catalog, ReadOptions, Transactions};

use crate::input::{Problem, Severity};
use crate::workbook::{Input, Loaded};

/// What was issued before: the register's record, the input corrections are computed against.
pub use billing_core::engine::History;

/// The invoices due on one date, and what the overview shows.
#[derive(Clone, Debug)]
pub struct Draft {
    /// The invoice date.
    pub date: NaiveDate,
    /// The coordinator's invoices to the parties, then the providers' arrears invoices.
    pub invoices: Vec<Invoice>,
    /// The coordinator's own share, computed like an invoice and never issued (R15).
    pub issuer_share: Option<Invoice>,
    /// The pools (instalments) due on the date, split.
    pub allocations: Vec<Allocation>,
    /// The user-fee lines billed on the date (recorded when issued).
    pub fee_lines: Vec<FeeLine>,
    /// The annual fees in force.
    pub fees: Vec<AnnualFee>,
    /// Findings of the splits, in words.
    pub findings: Vec<billing_core::Text>,
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
/// Every problem found, at the cell of the party, pool or cooperation it concerns.
pub fn compute(input: &Input, date: NaiveDate, history: &History) -> Result<Draft, Vec<Problem>> {
    prepare(input).compute(date, history)
}

/// The agreement model of a workbook with its transactions read and priced: made once, it
/// computes any number of dates (`issue --through` issues many dates from one reading).
pub struct Prepared<'a> {
    /// The input the model was made of: its cells locate the problems, and the documents read it.
    input: Cow<'a, Input>,
    /// The model, checked, or with the problems that stop every date.
    model: Result<engine::CheckedModel, (Box<engine::Model>, Vec<engine::Problem>)>,
    /// Problems of the transactions file, reported by every date computed.
    problems: Vec<Problem>,
}

/// Reads and prices the transactions of `input` and makes its agreement model of the input's
/// fields as they are now, checked.
pub fn prepare(input: &Input) -> Prepared<'_> {
    let mut problems = Vec::new();
    let (priced, counts) = transactions(input, need_counts(input), &mut problems);
    let model = crate::model::model(input, priced, counts);
    Prepared {
        input: Cow::Borrowed(input),
        model: engine::CheckedModel::new(model),
        problems,
    }
}

/// As [`prepare`], from the model [`load_checked`](crate::workbook::load_checked) checked:
/// not checked again, and its user register not copied (at 2,000,000 registrations a copy is
/// about 270 MB). Only the transactions are read and set in it.
pub fn prepare_loaded(loaded: Loaded) -> Prepared<'static> {
    let (input, mut model) = loaded.into_parts();
    let mut problems = Vec::new();
    let (priced, counts) = transactions(&input, need_counts(&input), &mut problems);
    model.set_transactions(priced, counts);
    Prepared {
        input: Cow::Owned(input),
        model: Ok(model),
        problems,
    }
}

/// Whether the transactions are also needed as counts per day: only for a fee review (a long
/// file's day counts are large).
fn need_counts(input: &Input) -> bool {
    input
        .cooperations
        .iter()
        .any(|c| c.fee.is_some() && !c.covers.is_empty())
}

impl<'a> Prepared<'a> {
    /// The input the model was made of.
    pub fn input(&self) -> &Input {
        &self.input
    }

    /// The input the model was made of, the model given up (its memory freed: the register
    /// and the transactions).
    pub fn into_input(self) -> Cow<'a, Input> {
        self.input
    }

    /// Every date on which the model bills something, as [`billing_dates`].
    pub fn billing_dates(&self) -> Vec<NaiveDate> {
        engine::billing_dates(match &self.model {
            Ok(checked) => checked.model(),
            Err((model, _)) => model,
        })
    }

    /// Computes the invoices due on `date`, as [`compute`] does.
    ///
    /// # Errors
    /// Every problem found, at the cell of the party, pool or cooperation it concerns.
    pub fn compute(&self, date: NaiveDate, history: &History) -> Result<Draft, Vec<Problem>> {
        self.stepper(history).compute(date)
    }

    /// The engine of the model with `history` as what the register holds, made once (the model
    /// checked, its users and fees computed) and stepped from date to date: each date costs its
    /// own work when the dates are computed in order (see [`engine::Engine`]).
    pub fn stepper(&self, history: &History) -> Stepper<'_> {
        Stepper {
            input: &self.input,
            engine: match &self.model {
                Ok(checked) => {
                    let mut e = engine::Engine::checked(checked, history);
                    // As many threads as the machine offers: the results do not depend on it.
                    e.set_threads(std::thread::available_parallelism().map_or(1, |n| n.get()));
                    Ok(e)
                }
                Err((_, problems)) => Err(problems.clone()),
            },
            problems: &self.problems,
        }
    }
}

/// The engine of a [`Prepared`] model, stepped from date to date (`issue --through`).
pub struct Stepper<'p> {
    input: &'p Input,
    /// The engine, or the problems of the model that stop every date.
    engine: Result<engine::Engine<'p>, Vec<engine::Problem>>,
    /// Problems of the transactions file, reported by every date computed.
    problems: &'p [Problem],
}

impl Stepper<'_> {
    /// Computes the invoices due on `date` with the history the stepper was made with and the
    /// dates recorded since: exactly what [`Prepared::compute`] gives with that history.
    ///
    /// # Errors
    /// Every problem found, at the cell of the party, pool or cooperation it concerns.
    pub fn compute(&mut self, date: NaiveDate) -> Result<Draft, Vec<Problem>> {
        let (input, problems) = (self.input, self.problems);
        let computed = match &mut self.engine {
            Ok(engine) => engine.invoices_due(date),
            Err(core) => Err(core.clone()),
        };
        match computed {
            Ok(b) if problems.is_empty() => Ok(Draft {
                date: b.date,
                invoices: b.invoices,
                issuer_share: b.issuer_share,
                allocations: b.allocations,
                fee_lines: b.fee_lines,
                fees: b.fees,
                findings: b.findings.iter().map(|f| f.text()).collect(),
                timeline: b.timeline,
                assumed_dates: b.assumed_dates,
                fee_reviews: b.fee_reviews,
                transaction_lines: b.transaction_lines,
            }),
            Ok(_) => Err(problems.to_vec()),
            Err(core) => {
                let mut out: Vec<Problem> = core
                    .iter()
                    .map(|p| crate::model::located(input, p))
                    .collect();
                out.extend(problems.iter().cloned());
                Err(out)
            }
        }
    }

    /// Records `date` as issued with the user-fee lines `fee_lines` (what the register records
    /// when the date is issued): the dates after it are computed against them.
    pub fn record_issued(&mut self, date: NaiveDate, fee_lines: &[FeeLine]) {
        if let Ok(engine) = &mut self.engine {
            engine.record_issued(date, fee_lines);
        }
    }
}

/// The year `year` of every party, and of each scenario named in `scenarios` (from the
/// Scenarios sheet), beside it. The register is only read.
///
/// # Errors
/// Every problem found, at its cell: a scenario's at its row of the Scenarios sheet, a name
/// that no row of the sheet holds at the sheet.
pub fn year(
    input: &Input,
    year: i32,
    history: &History,
    scenarios: &[String],
) -> Result<billing_core::year::Comparison, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut chosen = Vec::new();
    for name in scenarios {
        match input.scenarios.iter().find(|s| s.name == *name) {
            Some(s) => chosen.push(s.clone()),
            None => problems.push(Problem {
                severity: Severity::Error,
                file: input.path.display().to_string(),
                sheet: Some("Scenarios".to_owned()),
                cell: None,
                found: Some(name.clone()),
                message: format!(
                    "no scenario of this name; the Scenarios sheet holds: {}",
                    if input.scenarios.is_empty() {
                        "none".to_owned()
                    } else {
                        input
                            .scenarios
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            }),
        }
    }
    let (priced, counts) = transactions(input, need_counts(input), &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let model = crate::model::model(input, priced, counts);
    billing_core::year::compare(&model, year, history, &chosen).map_err(|core| {
        core.iter()
            .map(|p| crate::model::located(input, p))
            .collect()
    })
}

/// The problems of `input`'s transactions file (R11), read and priced: for an input refused
/// for other problems, so that a bad row of the file is said in the same run. Nothing when the
/// workbook names no file, or its tariffs could not be read (said already).
pub fn transaction_problems(input: &Input) -> Vec<Problem> {
    let mut problems = Vec::new();
    if input.tariffs.is_some() {
        transactions(input, false, &mut problems);
    }
    problems
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
    // The reader's errors start with the file's path, which the problem already names: said
    // once ("logins.csv: 1 bad row", not "logins.csv: logins.csv: 1 bad row").
    let problem = |message: String| Problem {
        severity: Severity::Error,
        file: file.clone(),
        sheet: None,
        cell: None,
        found: None,
        message: message
            .strip_prefix(&format!("{file}: "))
            .map_or(message.clone(), str::to_owned),
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
/// agreement's start, and pool due dates. `check` computes the last one, which computes them
/// all.
pub fn billing_dates(input: &Input) -> Vec<NaiveDate> {
    engine::billing_dates(&crate::model::model(input, Vec::new(), Vec::new()))
}
