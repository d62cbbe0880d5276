//! `billing-report`: the finance officer's workbook in, invoices out.
//!
//! Exit codes: 0 success (warnings may have been printed), 1 errors in the input (or invoices
//! already issued for the date), 2 usage or I/O errors.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use billing_report::compute::prepare_loaded;
use billing_report::compute::{Draft, History};
use billing_report::input::{Problem, Severity};
use billing_report::output::{
    apply_dialect, check_target, default_out, stage_folder, stage_rendered, summary, CsvDialect,
    FolderKind, OutputError,
};
use billing_report::register::{default_path, numbers_in, InvoiceRegister, RegisterError, Serves};
use billing_report::workbook::{load_checked, Input, Loaded};

/// mimalloc rather than glibc's malloc: at national scale the run's millions of small
/// allocations and per-file deflate buffers cost a quarter of the CPU time under glibc, whose
/// fragmented heap made the cost grow faster than the parties (issue 12).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// From the finance officer's workbook to invoices that an auditor can reproduce.
///
/// Exit codes: 0 success, 1 errors in the input, 2 usage or I/O errors.
#[derive(Debug, Parser)]
#[command(name = "billing-report", version, about, long_about = None)]
struct Cli {
    /// Print nothing but errors.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a ready-to-fill agreement workbook.
    Template {
        /// The workbook to write (xlsx).
        file: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Report every problem in an agreement workbook at once (exit 1 on errors, 0 with only
    /// warnings).
    Check {
        /// The agreement workbook (xlsx, ods) or a folder of CSV files.
        input: PathBuf,
    },
    /// Write a draft of the invoices due on a date; nothing is recorded.
    Run(RunArgs),
    /// Issue the invoices due on a date: number them, record them in the invoice register, and
    /// write them.
    Issue(RunArgs),
    /// Credit an issued invoice in full: a credit note with the next number of the series,
    /// referring to the invoice, recorded in the register and written to its own folder; with
    /// `--reissue`, the invoice recomputed from the current input is issued after it.
    Credit(CreditArgs),
    /// Explain how each line of a party's invoice on a date was derived.
    Explain {
        /// The agreement workbook.
        input: PathBuf,
        /// The party (buyer) whose invoice to explain.
        #[arg(long)]
        party: String,
        /// The invoice date.
        #[arg(long)]
        date: NaiveDate,
        /// The invoice register (default: `<input>.register.sqlite` beside the input).
        #[arg(long)]
        register: Option<PathBuf>,
    },
    /// The invoice register.
    Register {
        #[command(subcommand)]
        command: RegisterCommand,
    },
    /// Aggregate a transactions file into counts per party, kind and month.
    Transactions(billing_report::transactions::TransactionsArgs),
    /// Recompute a run from its input and compare it with an output folder written before
    /// (exit 1 on any difference).
    Verify(billing_report::verify::VerifyArgs),
    /// The yearly allocation report: what every party is charged for a year, by the period each
    /// line pays for, issued or projected, and what-if scenarios from the Scenarios sheet
    /// (`year-Y.xlsx` and `year-Y.html`). The register is only read.
    Year(YearArgs),
}

#[derive(Debug, clap::Args)]
struct YearArgs {
    /// The agreement workbook (xlsx, ods) or a folder of CSV files.
    input: PathBuf,
    /// The year.
    #[arg(long)]
    year: i32,
    /// The output folder.
    #[arg(long)]
    out: PathBuf,
    /// A scenario of the Scenarios sheet to show beside the base (repeatable).
    #[arg(long)]
    scenario: Vec<String>,
    /// Replace the output folder if it holds a year report or a draft written by billing-report.
    #[arg(long)]
    force: bool,
    /// The invoice register (default: `<input>.register.sqlite` beside the input).
    #[arg(long)]
    register: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The agreement workbook (xlsx, ods) or a folder of CSV files.
    input: PathBuf,
    /// The invoice date (YYYY-MM-DD).
    #[arg(long, required_unless_present = "through", conflicts_with = "through")]
    date: Option<NaiveDate>,
    /// `issue` only: issue every date after the last one in the register, up to and including
    /// this one, on which something is due (period starts, pool due dates, settlement days…),
    /// in order, in one run that reads the input once. Each date is its own step, exactly as
    /// if issued one by one with `--date`: numbered, recorded and written into `<out>/<date>`,
    /// or not at all.
    #[arg(long, value_name = "DATE")]
    through: Option<NaiveDate>,
    /// The output folder (default beside the input: `out/<date>-draft` for `run`, `out/<date>`
    /// for `issue`). With `--through`, the folder that holds one folder per date (default
    /// `out` beside the input).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the output folder if it holds a draft written by billing-report (never issued
    /// invoices, the input or the register).
    #[arg(long)]
    force: bool,
    /// The invoice register (default: `<input>.register.sqlite` beside the input).
    #[arg(long)]
    register: Option<PathBuf>,
    /// The transactions file to bill, instead of the one the workbook names.
    #[arg(long)]
    transactions: Option<PathBuf>,
    /// The form of lines.csv: `default` (comma, decimal point) or `sv` (semicolon, decimal
    /// comma, UTF-8 with BOM: what Swedish Excel opens).
    #[arg(long, value_enum, default_value = "default")]
    csv_dialect: CsvDialect,
    /// `issue` only: create the invoice register (the start of the issuer's number series).
    /// Without it, `issue` never creates one.
    #[arg(long)]
    new_register: bool,
    /// `run` only: write only these outputs, a comma-separated list of json (invoices.json),
    /// csv (lines.csv), xlsx (the invoice workbooks and overview.xlsx), pdf, audit (audit.xlsx)
    /// and html (overview.html). `issue` always writes every output.
    #[arg(long, value_name = "KINDS", value_parser = billing_report::outputs::Outputs::parse)]
    only: Option<billing_report::outputs::Outputs>,
}

#[derive(Debug, clap::Args)]
struct CreditArgs {
    /// The agreement workbook (xlsx, ods) or a folder of CSV files.
    input: PathBuf,
    /// The number of the issued invoice to credit (the issuer's series).
    #[arg(long)]
    invoice: u64,
    /// Why it is credited (printed on the credit note and recorded in the register).
    #[arg(long)]
    reason: String,
    /// The credit note's date (YYYY-MM-DD): required, never taken from the clock, so that the
    /// same run writes the same files; recorded in the register, and the corrected invoice's
    /// date too.
    #[arg(long)]
    date: NaiveDate,
    /// Also issue the corrected invoice, recomputed from the current input for the credited
    /// invoice's date and buyer, with the number after the credit note's.
    #[arg(long)]
    reissue: bool,
    /// The output folder (default beside the input: `out/credit-<number>`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The invoice register (default: `<input>.register.sqlite` beside the input).
    #[arg(long)]
    register: Option<PathBuf>,
    /// The transactions file to bill in the corrected invoice, instead of the workbook's.
    #[arg(long)]
    transactions: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum RegisterCommand {
    /// Create the invoice register of an agreement's issuer: the start of its number series.
    Init {
        /// The agreement workbook.
        input: PathBuf,
        /// Where to create it (default: `<input>.register.sqlite` beside the input).
        #[arg(long)]
        register: Option<PathBuf>,
    },
    /// Write the register as `register.xlsx`, `register.csv` and `register.se` (SIE 4) into
    /// a folder, or only the SIE 4 file with `--sie`.
    Export {
        /// The agreement workbook whose register to export.
        input: PathBuf,
        /// The output folder.
        #[arg(long, required_unless_present = "sie")]
        out: Option<PathBuf>,
        /// Write the SIE 4 file (one verification per invoice and credit note) to this file.
        #[arg(long)]
        sie: Option<PathBuf>,
        /// The form of register.csv: `default` or `sv` (semicolon, decimal comma, BOM).
        #[arg(long, value_enum, default_value = "default")]
        csv_dialect: CsvDialect,
        /// The invoice register (default: `<input>.register.sqlite` beside the input).
        #[arg(long)]
        register: Option<PathBuf>,
        /// Replace the output folder if it exists.
        #[arg(long)]
        force: bool,
    },
}

/// A failure: input problems (exit 1) or anything else (exit 2).
enum Failure {
    Input(Vec<Problem>),
    Refused(String),
    Other(String),
}

impl From<OutputError> for Failure {
    fn from(e: OutputError) -> Failure {
        Failure::Other(e.to_string())
    }
}

impl From<RegisterError> for Failure {
    fn from(e: RegisterError) -> Failure {
        match e {
            RegisterError::AlreadyIssued { .. }
            | RegisterError::NotAfterLatest { .. }
            | RegisterError::SeriesExhausted { .. }
            | RegisterError::OtherSeries { .. }
            | RegisterError::NoRegister { .. }
            | RegisterError::Exists { .. }
            | RegisterError::Foreign { .. }
            | RegisterError::NotIssued { .. }
            | RegisterError::AlreadyCredited { .. } => Failure::Refused(e.to_string()),
            other => Failure::Other(other.to_string()),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let quiet = cli.quiet;
    let result = match cli.command {
        Command::Template { file, force } => billing_report::template::write_template(&file, force)
            .map(|()| {
                say(quiet, &format!("wrote {}", file.display()));
            })
            .map_err(|e| Failure::Other(e.to_string())),
        Command::Check { input } => check(&input, quiet),
        Command::Run(args) => run(&args, false, quiet),
        Command::Issue(args) => run(&args, true, quiet),
        Command::Explain {
            input,
            party,
            date,
            register,
        } => explain(&input, &party, date, register.as_deref(), quiet),
        Command::Register {
            command: RegisterCommand::Init { input, register },
        } => init_register(&input, register.as_deref(), quiet),
        Command::Register {
            command:
                RegisterCommand::Export {
                    input,
                    out,
                    sie,
                    csv_dialect,
                    register,
                    force,
                },
        } => export(
            &input,
            out.as_deref(),
            (sie.as_deref(), csv_dialect),
            register.as_deref(),
            force,
            quiet,
        ),
        Command::Credit(args) => credit(&args, quiet),
        Command::Year(args) => year(&args, quiet),
        Command::Verify(args) => {
            return match billing_report::verify::run(&args, quiet) {
                Ok(code) => code,
                Err(message) => {
                    eprintln!("billing-report: {message}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Transactions(args) => {
            return match billing_report::transactions::run(&args, quiet) {
                Ok(code) => code,
                Err(message) => {
                    eprintln!("billing-report: {message}");
                    ExitCode::from(2)
                }
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(problems)) => {
            print_problems(&problems, quiet);
            ExitCode::from(1)
        }
        Err(Failure::Refused(message)) => {
            eprintln!("billing-report: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Other(message)) => {
            eprintln!("billing-report: {message}");
            ExitCode::from(2)
        }
    }
}

fn say(quiet: bool, text: &str) {
    if !quiet {
        eprintln!("{}", text.trim_end());
    }
}

/// The problems of a failed run; with `quiet`, only the errors.
fn print_problems(problems: &[Problem], quiet: bool) {
    for p in problems {
        if !quiet || p.severity == Severity::Error {
            eprintln!("{p}");
        }
    }
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = problems.len() - errors;
    if quiet {
        eprintln!("{errors} error(s)");
    } else {
        eprintln!("{errors} error(s), {warnings} warning(s)");
    }
}

/// The input at `path`, with the model its check found valid (see [`Loaded`]).
fn load_input(path: &Path, quiet: bool) -> Result<Loaded, Failure> {
    // A path that is not there is an I/O error (exit 2), as the README says, not an input error.
    if let Err(e) = std::fs::metadata(path) {
        return Err(Failure::Other(format!(
            "{}: cannot be read: {e}",
            path.display()
        )));
    }
    let (loaded, warnings) = load_checked(path).map_err(Failure::Input)?;
    if !quiet {
        for w in &warnings {
            eprintln!("{w}");
        }
    }
    Ok(loaded)
}

/// What `run` and `issue` start from: the input read (with `--transactions` in place of the
/// workbook's file) and the path of the invoice register.
fn load_run(args: &RunArgs, quiet: bool) -> Result<(Loaded, PathBuf), Failure> {
    let mut loaded = load_input(&args.input, quiet)?;
    if let Some(t) = &args.transactions {
        loaded.set_transactions_path(t.clone());
    }
    let register_path = args
        .register
        .clone()
        .unwrap_or_else(|| default_path(&args.input));
    Ok((loaded, register_path))
}

/// The publications the register at `register_path` left unfinished, after finishing those it
/// can (none without a register).
fn pending_publications(
    register_path: &Path,
    quiet: bool,
) -> Result<Vec<billing_report::register::Pending>, Failure> {
    Ok(match InvoiceRegister::open_existing(register_path)? {
        Some(existing) => {
            finish_publications(&existing, quiet)?;
            existing.pending()?
        }
        None => Vec::new(),
    })
}

fn check(path: &Path, quiet: bool) -> Result<(), Failure> {
    let loaded = load_input(path, quiet)?;
    // A workbook is only fine if it also computes: run every billing date once, as a draft,
    // from the model the load checked (not checked again).
    let count = loaded.model().model().registrations.len();
    let prepared = prepare_loaded(loaded);
    let input = prepared.input();
    if let Some(last) = prepared.billing_dates().last() {
        prepared
            .compute(*last, &History::default())
            .map_err(Failure::Input)?;
    }
    say(
        quiet,
        &format!(
            "{}: no errors ({} parties, {} pools, {} registrations)",
            path.display(),
            input.agreement.parties().len(),
            input.pools.len(),
            count
        ),
    );
    Ok(())
}

/// The register of an `issue` run, opened once and locked (see
/// [`InvoiceRegister::hold_lock`]) before anything is read from it, with what an earlier run
/// left unpublished finished (see [`finish_publications`]) and what still waits; none when it
/// does not exist yet.
fn open_locked(
    register_path: &Path,
    quiet: bool,
) -> Result<
    (
        Option<InvoiceRegister>,
        Vec<billing_report::register::Pending>,
    ),
    Failure,
> {
    let Some(register) = InvoiceRegister::open_existing(register_path)? else {
        return Ok((None, Vec::new()));
    };
    register.hold_lock()?;
    finish_publications(&register, quiet)?;
    let pending = register.pending()?;
    Ok((Some(register), pending))
}

fn history(input: &Path, register: Option<&Path>) -> Result<History, Failure> {
    let path = register
        .map(Path::to_owned)
        .unwrap_or_else(|| default_path(input));
    Ok(match InvoiceRegister::open_existing(&path)? {
        Some(r) => r.history()?,
        None => History::default(),
    })
}

fn year(args: &YearArgs, quiet: bool) -> Result<(), Failure> {
    let input = load_input(&args.input, quiet)?.into_input();
    if !(1900..=9998).contains(&args.year) {
        return Err(Failure::Other(format!(
            "--year {}: a year from 1900 to 9998 is expected",
            args.year
        )));
    }
    let register_path = args
        .register
        .clone()
        .unwrap_or_else(|| default_path(&args.input));
    let history = history(&args.input, Some(&register_path))?;
    let comparison = billing_report::compute::year(&input, args.year, &history, &args.scenario)
        .map_err(Failure::Input)?;
    let files = billing_report::year::render_year(&input, &comparison)?;
    let protect = [args.input.as_path(), register_path.as_path()];
    stage_folder(
        &args.out,
        &files,
        billing_report::output::FolderKind::YearReport,
        args.force,
        &protect,
    )?
    .publish()?;
    say(
        quiet,
        &format!(
            "{}: the year {} of {} parties{} written to {}",
            args.input.display(),
            args.year,
            comparison.base.parties.len(),
            if comparison.scenarios.is_empty() {
                String::new()
            } else {
                format!(" with {} scenario(s)", comparison.scenarios.len())
            },
            args.out.display()
        ),
    );
    Ok(())
}

fn run(args: &RunArgs, final_issue: bool, quiet: bool) -> Result<(), Failure> {
    if final_issue && args.only.is_some() {
        return Err(Failure::Other(
            "--only is for `run`: `issue` writes every output of the invoices it numbers"
                .to_owned(),
        ));
    }
    let date = match (args.date, args.through) {
        (Some(date), None) => date,
        (None, Some(through)) if final_issue => return issue_through(args, through, quiet),
        _ => {
            return Err(Failure::Other(
                "--through is for `issue`: `run` writes the draft of one date (--date)".to_owned(),
            ))
        }
    };
    let (loaded, register_path) = load_run(args, quiet)?;
    let input = loaded.input();
    // An audit workbook that could not be written is refused before the work, not after it.
    if args
        .only
        .as_ref()
        .is_none_or(|o| o.has(billing_report::outputs::OutputKind::Audit))
    {
        billing_report::audit::check_size(input).map_err(Failure::Refused)?;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.input, date, kind_of(final_issue)));
    if final_issue {
        // One connection, locked before the history is read and used for the whole issue (as
        // `--through`): no other process issues between the history and this date's numbers.
        let (register, pending) = open_locked(&register_path, quiet)?;
        clean_leftovers(&out, &pending, quiet);
        let history = match &register {
            Some(r) => r.history()?,
            None => History::default(),
        };
        billing_report::crash_point("after-history");
        let prepared = prepare_loaded(loaded);
        let input = prepared.input();
        let mut engine = Engine {
            input,
            stepper: prepared.stepper(&history),
            series: None,
            dialect: args.csv_dialect,
        };
        let mut step = IssueStep {
            input,
            args,
            register_path: &register_path,
            new_register: args.new_register,
            checked_foreign: false,
            register,
        };
        return match engine.prepare(date, &out)? {
            Some(due) => step.issue(due, quiet).map(|_| ()),
            None => {
                say(quiet, &nothing_due(date));
                Ok(())
            }
        };
    }
    let pending = pending_publications(&register_path, quiet)?;
    clean_leftovers(&out, &pending, quiet);
    let history = history(&args.input, Some(&register_path))?;
    // The model is freed once the draft is computed: the documents are made of the input and
    // the draft.
    let prepared = prepare_loaded(loaded);
    let draft = prepared.compute(date, &history).map_err(Failure::Input)?;
    let input = &*prepared.into_input();
    // What an e-invoice to a buyer would lack: an error when the e-invoices are written, a
    // warning on a draft.
    let gaps = billing_report::invoice_document::recipient_problems(input, &draft.invoices, false);
    for w in &gaps {
        say(quiet, &w.to_string());
    }
    for w in issued_warnings(&register_path, &draft)? {
        say(quiet, &w);
    }
    // `--force` never replaces the input or the register, nor a folder holding them.
    let protect = [args.input.as_path(), register_path.as_path()];
    let only = args.only.clone().unwrap_or_default();
    stage_rendered(
        &out,
        FolderKind::Draft,
        args.force,
        &protect,
        input,
        &draft,
        false,
        &only,
        args.csv_dialect,
    )?
    .publish()?;
    say(quiet, &summary(&draft, &out));
    Ok(())
}

/// `issue --through DATE`: every billing date after the register's last issued date up to
/// `through`, in order, the input read once. Each date is issued exactly as `issue --date`
/// would issue it (the same checks, numbers, register rows and files), each in its own
/// transaction and folder: a failure on one date leaves the dates before it issued and
/// nothing of it or the dates after it.
fn issue_through(args: &RunArgs, through: NaiveDate, quiet: bool) -> Result<(), Failure> {
    let (loaded, register_path) = load_run(args, quiet)?;
    billing_report::audit::check_size(loaded.input()).map_err(Failure::Refused)?;
    let out_of = |date: NaiveDate| match &args.out {
        Some(dir) => dir.join(date.to_string()),
        None => default_out(&args.input, date, FolderKind::Issued),
    };
    // The register is locked for the whole run before its history is read: no other process
    // issues between two dates of this run (its invoices would be missing from the history the
    // later dates are computed from). Every read and write of the register in this run goes
    // through this connection.
    let (register, pending) = open_locked(&register_path, quiet)?;
    // The dates: those before `through` on which the engine bills something the register does
    // not hold (what a draft of `through` calls assumed billed), and `through` itself when
    // something is due on it; none before the last date issued, which cannot be issued any more.
    let history = match &register {
        Some(r) => r.history()?,
        None => History::default(),
    };
    let latest = history.dates.last().copied();
    // The input is read, checked and made a model once, and its engine (users, fees) made once:
    // the engine computes `through` here, then steps from the first date to issue to the last,
    // each date costing only its own work, each issued date recorded in the engine as in the
    // register.
    let prepared = prepare_loaded(loaded);
    let input = prepared.input();
    let mut stepper = prepared.stepper(&history);
    let last = stepper.compute(through).map_err(Failure::Input)?;
    let mut dates = last.assumed_dates.clone();
    if !last.invoices.is_empty() {
        dates.push(through);
    }
    dates.retain(|d| latest.is_none_or(|l| *d > l));
    dates.sort_unstable();
    dates.dedup();
    if dates.is_empty() {
        say(
            quiet,
            &format!(
                "no billing date {}up to {through} is left to issue: nothing issued",
                latest.map_or_else(String::new, |l| format!("after {l} (the last issued) "))
            ),
        );
        return Ok(());
    }
    // Every folder is checked before the first date is issued, so that a folder in the way of
    // a later date stops the run before it starts rather than half-way.
    let protect = [args.input.as_path(), register_path.as_path()];
    for date in &dates {
        check_target(&out_of(*date), args.force, &protect)?;
    }
    // The next numbers of the register's series, which the dates are numbered ahead with.
    let series = match &register {
        Some(r) => Some(r.series()?),
        None => Some(Default::default()),
    };
    let mut engine = Engine {
        input,
        stepper,
        series,
        dialect: args.csv_dialect,
    };
    let step = IssueStep {
        input,
        args,
        register_path: &register_path,
        new_register: args.new_register,
        checked_foreign: false,
        register,
    };
    let mut issued: Vec<NaiveDate> = Vec::new();
    // Each date is committed by a thread of its own (its files synced, its register
    // transaction committed, its folder put in place) while this one computes and renders
    // the next date in memory; nothing of the next date is written, recorded or put in place
    // before that thread is done with the date before it (joined, and successful).
    let mut step = std::thread::scope(|scope| -> Result<IssueStep, Failure> {
        // `None` while a thread commits a date with it.
        let mut step = Some(step);
        let mut committing = None;
        for date in dates {
            let out = out_of(date);
            let due = engine.prepare(date, &out);
            if let Some(thread) = committing.take() {
                billing_report::crash_point("rendered-ahead");
                step = Some(committed(thread, &mut issued, quiet)?);
            }
            let mut here = step.take().ok_or_else(|| stopped(&issued))?;
            let due = match due {
                Ok(Some(due)) => due,
                Ok(None) => {
                    say(quiet, &nothing_due(date));
                    step = Some(here);
                    continue;
                }
                Err(e) => {
                    here.done(date, Err(e), &mut issued, quiet)?;
                    step = Some(here);
                    continue;
                }
            };
            let pending = &pending;
            committing = Some(scope.spawn(move || {
                clean_leftovers(&out, pending, quiet);
                let done = here.issue(due, quiet);
                (here, date, done)
            }));
        }
        if let Some(thread) = committing.take() {
            step = Some(committed(thread, &mut issued, quiet)?);
        }
        step.ok_or_else(|| stopped(&issued))
    })?;
    // The last date's folder is in place: recorded so (the earlier ones were with the date
    // after them). Everything is issued by now: a failure to record it is a warning, not a
    // failed run (the next run finds the folder in place and records it).
    if let Some(r) = step.register.as_mut() {
        if let Err(e) = r.record_published() {
            say(
                quiet,
                &format!(
                    "warning: issued {}; recording that the folder of {} is in place failed \
                     ({e}): the next run records it",
                    issued
                        .iter()
                        .map(NaiveDate::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    issued.last().map_or_else(String::new, NaiveDate::to_string)
                ),
            );
        }
    }
    say(
        quiet,
        &format!(
            "issued {} date(s) up to {through}{}",
            issued.len(),
            issued
                .first()
                .zip(issued.last())
                .map_or_else(String::new, |(a, b)| format!(" ({a} … {b})"))
        ),
    );
    Ok(())
}

/// The engine of an `issue`: computes each date's invoices from the input (read once) and
/// the register's history, and in `issue --through` renders them ahead of the register.
struct Engine<'a> {
    input: &'a Input,
    /// Its engine, made once and stepped from date to date with the register's history; each
    /// date is recorded in it as issued as soon as it is computed (the run stops at a date
    /// that fails, so no later date is computed with a date that was not issued).
    stepper: billing_report::compute::Stepper<'a>,
    /// The next number of each issuer's series once the dates computed so far are committed,
    /// when the dates are rendered ahead (`issue --through`); `None` otherwise, or once a
    /// date could not be numbered ahead.
    series: Option<std::collections::BTreeMap<String, u64>>,
    /// The CSV dialect of the files rendered ahead.
    dialect: CsvDialect,
}

/// The most invoices of one date rendered ahead in memory (`issue --through`): beyond it a
/// date is rendered when its numbers are taken, its files written as they are made, so that
/// the memory a date holds stays bounded (about 100 kB of files an invoice).
const AHEAD_INVOICES: usize = 2_000;

/// A date's invoices, computed and checked, to be numbered, recorded and written.
struct Due {
    date: NaiveDate,
    out: PathBuf,
    draft: Draft,
    /// The user-fee lines the register records (and the engine holds): those dated `date`.
    fee_lines: Vec<billing_core::calendar::FeeLine>,
    /// The invoices numbered as the register is expected to number them, and every file of
    /// the date rendered with them, in memory: written only if the register, numbering the
    /// invoices once the date before is committed, gives exactly these.
    ahead: Option<(Vec<billing_core::invoice::Invoice>, Files)>,
}

/// Rendered files in memory: path in the folder, and bytes.
type Files = Vec<(String, Vec<u8>)>;

impl Engine<'_> {
    /// The invoices due on `date`, computed and checked (and rendered ahead, see
    /// [`Engine::series`]); `None` when nothing is due (nothing is recorded, the date stays
    /// open). Nothing is written.
    fn prepare(&mut self, date: NaiveDate, out: &Path) -> Result<Option<Due>, Failure> {
        let input = self.input;
        let mut draft = self.stepper.compute(date).map_err(Failure::Input)?;
        // What an e-invoice to a buyer would lack is an error when the e-invoices are written.
        let gaps =
            billing_report::invoice_document::recipient_problems(input, &draft.invoices, true);
        if !gaps.is_empty() {
            return Err(Failure::Input(gaps));
        }
        if draft.invoices.is_empty() {
            return Ok(None);
        }
        issue_checks(input, &draft)?;
        let fee_lines: Vec<_> = draft
            .fee_lines
            .iter()
            .filter(|l| l.invoice_date == date)
            .cloned()
            .collect();
        self.stepper.record_issued(date, &fee_lines);
        let ahead = match self.series.as_mut() {
            Some(series) if draft.invoices.len() <= AHEAD_INVOICES => {
                let first = input.settings.first_invoice_number;
                let issuer = input.settings.issuer.clone();
                let first_number =
                    move |party: &billing_core::PartyId| if *party == issuer { first } else { 1 };
                billing_report::register::number_ahead(
                    series,
                    &draft.invoices,
                    &first_number,
                    input.settings.ocr_length_digit,
                )
            }
            _ => None,
        };
        if ahead.is_none() {
            // Not numbered ahead: nor are the dates after it (the register says what it does).
            self.series = None;
        }
        let ahead = ahead.and_then(|guessed| {
            let plain = std::mem::replace(&mut draft.invoices, guessed);
            let only = billing_report::outputs::Outputs::all();
            let files = billing_report::output::render_only(input, &draft, true, &only).and_then(
                |mut files| {
                    apply_dialect(&mut files, self.dialect)?;
                    Ok(files)
                },
            );
            let guessed = std::mem::replace(&mut draft.invoices, plain);
            // A file that cannot be made is made again once numbered, and its error said then.
            files.ok().map(|files| (guessed, files))
        });
        Ok(Some(Due {
            date,
            out: out.to_owned(),
            draft,
            fee_lines,
            ahead,
        }))
    }
}

/// What issuing needs besides the date: the input (read once), the arguments, the register.
struct IssueStep<'a> {
    input: &'a Input,
    args: &'a RunArgs,
    register_path: &'a Path,
    /// Whether the register is still to be created (`--new-register`, before the first date
    /// that issues something).
    new_register: bool,
    /// Whether the registers and issued folders near the input were checked against the
    /// register: once per run, since only this run adds to them (each of its numbers recorded
    /// before its folder is put in place).
    checked_foreign: bool,
    /// The register, once opened or created by a date of this run: kept open for the next.
    register: Option<InvoiceRegister>,
}

impl IssueStep<'_> {
    /// Issues the invoices `due` on a date into their folder: numbers them, records them and
    /// writes them, or nothing at all.
    fn issue(&mut self, due: Due, quiet: bool) -> Result<bool, Failure> {
        let (input, args, register_path) = (self.input, self.args, self.register_path);
        let Due {
            date,
            out,
            mut draft,
            fee_lines,
            ahead,
        } = due;
        let out = out.as_path();
        let kind = FolderKind::Issued;
        // `--force` never replaces the input or the register, nor a folder holding them.
        let protect = [args.input.as_path(), register_path];
        // The register is the issuer's number series: it is never started silently (a workbook
        // saved under a new name must not start the numbers again), it serves one issuer and
        // agreement, and it must hold every invoice of that issuer found beside it.
        let serves = Serves {
            agreement: input.settings.name.clone(),
            issuer: input.settings.issuer.to_string(),
        };
        // The register opened for an earlier date of this run stays open (this run is the only
        // one that adds to it: each date's transaction is immediate, so another writer waits).
        // Kept in `self.register` whatever fails below, so that the folders of earlier dates
        // still to be recorded (see `publish_later`) are recorded by the caller.
        if self.register.is_none() {
            self.register = InvoiceRegister::open_existing(register_path)?;
        }
        if let Some(r) = &self.register {
            if self.new_register {
                return Err(RegisterError::Exists {
                    path: register_path.display().to_string(),
                }
                .into());
            }
            r.check_serves(&serves)?;
            // Refuse early what the register would refuse, before it is touched (checked
            // again when issuing).
            r.refuse_issued(date)?;
        } else if !self.new_register {
            return Err(no_register(&args.input, register_path, out, &serves).into());
        }
        if !self.checked_foreign {
            // The numbers held are read only for this check, once per run.
            let held = match &self.register {
                Some(r) => r.numbers_of(&serves.issuer)?,
                None => Default::default(),
            };
            refuse_foreign(&args.input, register_path, out, &serves, &held)?;
            self.checked_foreign = args.through.is_some();
        }
        check_target(out, args.force, &protect)?;
        say(
            quiet,
            &format!("invoice register: {}", register_path.display()),
        );
        if self.register.is_none() {
            self.register = Some({
                let r = InvoiceRegister::create(register_path, &serves)?;
                if args.through.is_some() {
                    // Locked for the rest of the run, as an existing register is.
                    r.hold_lock()?;
                }
                self.new_register = false;
                say(
                    quiet,
                    &format!(
                        "created the invoice register {} for issuer {} ({})",
                        register_path.display(),
                        serves.issuer,
                        serves.agreement
                    ),
                );
                r
            });
        }
        let Some(register) = self.register.as_mut() else {
            return Err(Failure::Other(format!(
                "the invoice register {} could not be opened",
                register_path.display()
            )));
        };
        let first = input.settings.first_invoice_number;
        let issuer = input.settings.issuer.clone();
        let first_number =
            move |party: &billing_core::PartyId| if *party == issuer { first } else { 1 };
        let invoices = std::mem::take(&mut draft.invoices);
        // The outputs are rendered into a temporary folder while the register's transaction is
        // open; the transaction commits only when they are complete, and only then are they
        // put into place: numbered files never exist without their register entry.
        let (numbered, staged) = register.issue(
            date,
            invoices,
            &fee_lines,
            &first_number,
            input.settings.ocr_length_digit,
            |numbered| -> Result<_, Failure> {
                let staged = match ahead {
                    // Rendered ahead with these very numbers: written as they are.
                    Some((guessed, files)) if guessed == numbered => {
                        stage_folder(out, &files, kind, args.force, &protect)?
                    }
                    _ => {
                        // The draft's invoices, numbered: the draft itself is not copied.
                        draft.invoices = numbered.to_vec();
                        stage_rendered(
                            out,
                            kind,
                            args.force,
                            &protect,
                            input,
                            &draft,
                            true,
                            &billing_report::outputs::Outputs::all(),
                            args.csv_dialect,
                        )?
                    }
                };
                let tmp = staged.tmp().to_owned();
                let out = std::path::absolute(staged.out()).unwrap_or_else(|_| out.to_owned());
                let tmp = std::path::absolute(&tmp).unwrap_or(tmp);
                Ok((staged, out, tmp))
            },
        )?;
        billing_report::crash_point("before-rename");
        let kept = staged.tmp().to_owned();
        let published = staged.recorded().publish();
        billing_report::crash_point("after-rename");
        // Recorded as in place only once the rename is on the disk: otherwise the register
        // keeps the folder as waiting, and the next run syncs and records it
        // (`finish_publications`), never removing its complete copy meanwhile.
        if let Ok(true) = published {
            if args.through.is_some() {
                // Recorded with the next date's transaction, or at the end of the run.
                register.publish_later(date.to_string());
            } else {
                register.mark_published(&date.to_string())?;
            }
        }
        if let Err(e) = published {
            let numbers = numbered
                .iter()
                .map(|i| format!("{} {}", i.issuer, i.number.unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Failure::Other(format!(
                "the invoices dated {date} are issued and recorded in {} (numbers {numbers}), but \
                 their files could not be put into place: {e}. Their complete files are kept in \
                 {}: move that folder to {} (the next run does it when {} is free). The register \
                 is authoritative: the numbers are taken and will not be issued again; \
                 `billing-report register export` lists them",
                register_path.display(),
                kept.display(),
                out.display(),
                out.display()
            )));
        }
        draft.invoices = numbered;
        say(quiet, &summary(&draft, out));
        say(quiet, &format!("recorded in {}", register_path.display()));
        Ok(true)
    }

    /// What became of issuing `date`: added to `issued` when it issued something. A failure
    /// is said with the dates issued before it, whose folders are recorded as in place first
    /// (were this to fail too, the next run records them: it finds them in place, see
    /// `finish_publications`).
    fn done(
        &mut self,
        date: NaiveDate,
        done: Result<bool, Failure>,
        issued: &mut Vec<NaiveDate>,
        quiet: bool,
    ) -> Result<(), Failure> {
        let e = match done {
            Ok(true) => {
                issued.push(date);
                return Ok(());
            }
            Ok(false) => return Ok(()),
            Err(e) => e,
        };
        if let Some(r) = self.register.as_mut() {
            let _ = r.record_published();
        }
        if issued.is_empty() {
            return Err(e);
        }
        let list = date_list(issued);
        let said = |m: String| {
            format!("{m}\nissuing {date} failed; the dates before it are issued: {list}")
        };
        Err(match e {
            Failure::Input(problems) => {
                print_problems(&problems, quiet);
                Failure::Refused(said(format!("the input has errors on {date}")))
            }
            Failure::Refused(m) => Failure::Refused(said(m)),
            Failure::Other(m) => Failure::Other(said(m)),
        })
    }
}

/// A thread committing a date of `issue --through` (see `issue_through`): what it gives back.
type Committing<'scope, 'a> =
    std::thread::ScopedJoinHandle<'scope, (IssueStep<'a>, NaiveDate, Result<bool, Failure>)>;

/// Waits for the thread committing a date and takes back what it issued with; the date is
/// added to `issued` when it issued something, and its failure is the run's (see
/// [`IssueStep::done`]).
fn committed<'a>(
    thread: Committing<'_, 'a>,
    issued: &mut Vec<NaiveDate>,
    quiet: bool,
) -> Result<IssueStep<'a>, Failure> {
    let (mut step, date, done) = thread.join().map_err(|_| stopped(issued))?;
    step.done(date, done, issued, quiet)?;
    Ok(step)
}

/// A thread committing a date that stopped without a result (a panic). The dates before it
/// are issued; its own is as the register says (a transaction not committed is rolled back
/// when the register is dropped; one committed is finished by the next run).
fn stopped(issued: &[NaiveDate]) -> Failure {
    Failure::Other(format!(
        "issuing stopped unexpectedly; the dates before it are issued: {}; the register says \
         what else is (`billing-report register export`), the next run finishes it",
        date_list(issued)
    ))
}

/// Said of a date on which nothing is due.
fn nothing_due(date: NaiveDate) -> String {
    format!("no invoices are due on {date}: nothing issued")
}

/// Dates as a list in words: `2016-03-01, 2016-09-01`.
fn date_list(dates: &[NaiveDate]) -> String {
    dates
        .iter()
        .map(NaiveDate::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Warnings when the draft's date was issued: its figures are recomputed from the current
/// input, and where a party's payable differs from the issued invoice, both amounts.
fn issued_warnings(register: &Path, draft: &Draft) -> Result<Vec<String>, Failure> {
    let Some(reg) = InvoiceRegister::open_existing(register)? else {
        return Ok(Vec::new());
    };
    let issued = reg.payables_on(draft.date)?;
    if issued.is_empty() {
        return Ok(Vec::new());
    }
    let numbers = issued
        .iter()
        .map(|(issuer, _, n, _)| format!("{issuer} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = vec![format!(
        "warning: invoices dated {} were issued (numbers {numbers}, register {}); the figures \
         here are recomputed from the current input, not the issued invoices",
        draft.date,
        register.display()
    )];
    for (issuer, buyer, number, payable) in &issued {
        let now = draft
            .invoices
            .iter()
            .find(|i| i.issuer.as_str() == issuer && i.buyer.as_str() == buyer);
        match now {
            Some(inv) if inv.payable == *payable => {}
            Some(inv) => out.push(format!(
                "warning: invoice {issuer} {number} to {buyer} was issued payable {}; recomputed \
                 now: {}",
                payable.to_swedish(),
                inv.payable.to_swedish()
            )),
            None => out.push(format!(
                "warning: invoice {issuer} {number} to {buyer} was issued payable {}; recomputed \
                 now: no invoice",
                payable.to_swedish()
            )),
        }
    }
    for inv in &draft.invoices {
        let known = issued
            .iter()
            .any(|(i, b, _, _)| inv.issuer.as_str() == i && inv.buyer.as_str() == b);
        if !known {
            out.push(format!(
                "warning: recomputed now, an invoice from {} to {} payable {} that was not issued",
                inv.issuer,
                inv.buyer,
                inv.payable.to_swedish()
            ));
        }
    }
    Ok(out)
}

/// Issuing needs what a real invoice needs: valid organisation numbers of issuer and buyers.
fn issue_checks(input: &Input, draft: &Draft) -> Result<(), Failure> {
    let mut problems = Vec::new();
    for inv in &draft.invoices {
        for (role, party) in [("issuer", &inv.issuer), ("buyer", &inv.buyer)] {
            let info = input.parties.get(party);
            if info.and_then(|p| p.org.as_ref()).is_none() {
                let place = info.map(|p| p.place.clone()).unwrap_or_default();
                let (sheet, cell) = place.split_once('!').unwrap_or(("Parties", ""));
                problems.push(Problem {
                    severity: Severity::Error,
                    file: input.path.display().to_string(),
                    sheet: Some(sheet.to_owned()),
                    cell: Some(cell.to_owned()),
                    found: None,
                    message: format!(
                        "party {party} is the {role} of an invoice and needs a valid org_nr to issue it"
                    ),
                });
            }
        }
    }
    problems.dedup();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::Input(problems))
    }
}

fn explain(
    path: &Path,
    party: &str,
    date: NaiveDate,
    register: Option<&Path>,
    quiet: bool,
) -> Result<(), Failure> {
    let loaded = load_input(path, true)?;
    let history = history(path, register)?;
    let prepared = prepare_loaded(loaded);
    let input = prepared.input();
    let draft = prepared.compute(date, &history).map_err(Failure::Input)?;
    let register_path = register
        .map(Path::to_owned)
        .unwrap_or_else(|| default_path(path));
    for w in issued_warnings(&register_path, &draft)? {
        say(quiet, &w);
    }
    // The coordinator's own share is explained too, though never invoiced (R15).
    let invoices: Vec<_> = draft
        .invoices
        .iter()
        .chain(&draft.issuer_share)
        .filter(|i| i.buyer.as_str() == party)
        .collect();
    if invoices.is_empty() {
        return Err(Failure::Other(format!(
            "party {party} has no invoice on {date}"
        )));
    }
    // Written whole to a locked stdout; a reader that stops early (`| head`) is a normal end.
    // In the agreement's language, as the documents it explains (the framing words too).
    let sv = input.settings.language == billing_report::document::Language::Sv;
    let vat_words = |rate: billing_core::invoice::VatRate| match rate {
        billing_core::invoice::VatRate::OutsideScope if sv => {
            "utanför momsens tillämpningsområde".to_owned()
        }
        other => other.to_string(),
    };
    let mut text = String::new();
    if let Some(reg) = InvoiceRegister::open_existing(&register_path)? {
        let docs = reg.documents()?;
        for original in docs.iter().filter(|d| {
            d.buyer == party
                && d.billing_date == date
                && d.kind != billing_report::register::RecordedKind::Credit
        }) {
            for c in docs
                .iter()
                .filter(|c| c.issuer == original.issuer && c.credits == Some(original.number))
            {
                let _ = match (c.kind, sv) {
                    (billing_report::register::RecordedKind::Credit, true) => writeln!(
                        text,
                        "faktura {} {} med fakturadatum {date} krediterades helt med kreditfaktura {} den {}: {}",
                        original.issuer, original.number, c.number, c.date, c.reason
                    ),
                    (billing_report::register::RecordedKind::Credit, false) => writeln!(
                        text,
                        "invoice {} {} of {date} was credited in full by credit note {} on {}: {}",
                        original.issuer, original.number, c.number, c.date, c.reason
                    ),
                    (_, true) => writeln!(
                        text,
                        "faktura {} {} med fakturadatum {date} ersattes av den rättade fakturan {} den {}",
                        original.issuer, original.number, c.number, c.date
                    ),
                    (_, false) => writeln!(
                        text,
                        "invoice {} {} of {date} was replaced by the corrected invoice {} on {}",
                        original.issuer, original.number, c.number, c.date
                    ),
                };
            }
        }
        if !text.is_empty() {
            text.push('\n');
        }
    }
    for inv in invoices {
        let (payable, currency) = (inv.payable.to_swedish(), inv.currency);
        let _ = match (inv.issuer == inv.buyer, sv) {
            (true, true) => writeln!(
                text,
                "andel som bärs av utfärdaren {} med fakturadatum {} (faktureras inte): {payable} {currency}",
                inv.issuer, inv.issue_date,
            ),
            (true, false) => writeln!(
                text,
                "share borne by the issuer {} on {} (not invoiced): {payable} {currency}",
                inv.issuer, inv.issue_date,
            ),
            (false, true) => writeln!(
                text,
                "faktura från {} till {} med fakturadatum {}: att betala {payable} {currency}",
                inv.issuer, inv.buyer, inv.issue_date,
            ),
            (false, false) => writeln!(
                text,
                "invoice from {} to {} on {}: payable {payable} {currency}",
                inv.issuer, inv.buyer, inv.issue_date,
            ),
        };
        for (i, line) in inv.lines.iter().enumerate() {
            let _ = writeln!(text);
            let (line_word, vat_word) = if sv { ("rad", "moms") } else { ("line", "VAT") };
            let _ = writeln!(
                text,
                "{line_word} {}: {}: {} ({vat_word} {} {})",
                i + 1,
                line.description.get(input.settings.language),
                line.amount.to_swedish(),
                vat_words(line.vat_rate),
                line.vat.to_swedish()
            );
            text.push_str(&line.explanation.render(input.settings.language));
        }
        if let Some(r) = inv.rounding {
            let _ = writeln!(text);
            let _ = if sv {
                writeln!(
                    text,
                    "öresavrundning: att betala avrundat till hela kronor: {}",
                    r.to_swedish()
                )
            } else {
                writeln!(
                    text,
                    "rounding: the amount due rounded to whole kronor: {}",
                    r.to_swedish()
                )
            };
        }
    }
    print_stdout(&text)
}

/// Writes `text` to stdout; a closed pipe is a normal end, not an error.
fn print_stdout(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Other(format!("standard output: {e}"))),
    }
}

fn export(
    input: &Path,
    out: Option<&Path>,
    (sie, dialect): (Option<&Path>, CsvDialect),
    register: Option<&Path>,
    force: bool,
    quiet: bool,
) -> Result<(), Failure> {
    let path = register
        .map(Path::to_owned)
        .unwrap_or_else(|| default_path(input));
    let Some(reg) = InvoiceRegister::open_existing(&path)? else {
        return Err(Failure::Other(format!(
            "{}: no register there",
            path.display()
        )));
    };
    let loaded = load_input(input, quiet)?.into_input();
    let sie_bytes = billing_report::sie_export::register_sie(&loaded, &reg.documents()?);
    if let Some(file) = sie {
        let bytes = sie_bytes.clone().map_err(Failure::Refused)?;
        billing_report::output::write_file(file, &bytes, force)?;
        say(quiet, &format!("wrote {}", file.display()));
    }
    let Some(out) = out else {
        return Ok(());
    };
    let rows = reg.rows()?;
    let mut files = billing_report::output::register_files(&rows)?;
    apply_dialect(&mut files, dialect)?;
    match sie_bytes {
        Ok(bytes) => files.push(("register.se".to_owned(), bytes)),
        // The register itself is still exported; the bookkeeping file is said missing.
        Err(why) => say(
            quiet,
            &format!("warning: register.se (SIE 4) was not written: {why}"),
        ),
    }
    stage_folder(
        out,
        &files,
        FolderKind::RegisterExport,
        force,
        &[input, path.as_path()],
    )?
    .publish()?;
    say(
        quiet,
        &format!("{} invoice(s) exported to {}", rows.len(), out.display()),
    );
    Ok(())
}

/// `billing-report credit`: see [`CreditArgs`].
fn credit(args: &CreditArgs, quiet: bool) -> Result<(), Failure> {
    use billing_report::credit;
    let mut input = load_input(&args.input, quiet)?.into_input();
    if let Some(t) = &args.transactions {
        input.transactions_path = Some(t.clone());
    }
    let register_path = args
        .register
        .clone()
        .unwrap_or_else(|| default_path(&args.input));
    let Some(mut register) = InvoiceRegister::open_existing(&register_path)? else {
        return Err(Failure::Refused(format!(
            "{}: no invoice register there, so no issued invoice to credit; nothing was \
             credited (give --register with the register of this agreement)",
            register_path.display()
        )));
    };
    finish_publications(&register, quiet)?;
    // Temporary folders of credits killed before their commit are removed (their parent is
    // the same for every credit folder of the default place).
    let where_ = args
        .out
        .clone()
        .unwrap_or_else(|| billing_report::credit::default_out(&args.input, 0));
    clean_leftovers(&where_, &register.pending()?, quiet);
    let serves = Serves {
        agreement: input.settings.name.clone(),
        issuer: input.settings.issuer.to_string(),
    };
    register.check_serves(&serves)?;
    let history = register.history()?;
    let issuer = serves.issuer.clone();
    // Refused before anything is staged: an invoice not issued, or credited before (checked
    // again inside the register's transaction).
    let original = register
        .document(&issuer, args.invoice)?
        .filter(credit::creditable)
        .ok_or_else(|| RegisterError::NotIssued {
            path: register_path.display().to_string(),
            issuer: issuer.clone(),
            number: args.invoice,
        })?;
    if let Some(by) = register.credited_by(&issuer, args.invoice)? {
        return Err(RegisterError::AlreadyCredited {
            path: register_path.display().to_string(),
            issuer,
            number: args.invoice,
            by,
        }
        .into());
    }
    let date = args.date;
    // The credit note is an e-invoice too: a party it would lack something for is refused at
    // its cell, before anything is recorded or written.
    let gaps = credit::recipient_problems(&input, &original.issuer, &original.buyer);
    if !gaps.is_empty() {
        return Err(Failure::Input(gaps));
    }
    if date < original.date {
        return Err(Failure::Refused(format!(
            "the credit note cannot be dated {date}, before the invoice {} it credits ({}); \
             nothing was credited",
            args.invoice, original.date
        )));
    }
    let protect = [args.input.as_path(), register_path.as_path()];
    let explicit_out = args.out.clone();
    if let Some(out) = &explicit_out {
        check_target(out, false, &protect)?;
    }
    let settings = input.settings.clone();
    let (documents, (staged, out)) = register.credit(
        &issuer,
        args.invoice,
        |original, first| -> Result<_, Failure> {
            let note = credit::credit_note(
                original,
                first,
                date,
                settings.payment_days,
                &args.reason,
                settings.ocr_length_digit,
            )
            .map_err(Failure::Other)?;
            let reissue = if args.reissue {
                Some(
                    credit::reissued(&input, &history, original, first + 1, date)
                        .map_err(Failure::Refused)?,
                )
            } else {
                None
            };
            let mut documents = vec![note.clone()];
            let mut fee_lines = Vec::new();
            if let Some(draft) = &reissue {
                let invoice = draft.invoices.first().ok_or_else(|| {
                    Failure::Other("the corrected invoice went missing".to_owned())
                })?;
                documents
                    .push(credit::reissue_document(invoice, &args.reason).map_err(Failure::Other)?);
                fee_lines = draft.fee_lines.clone();
            }
            let out = explicit_out
                .clone()
                .unwrap_or_else(|| credit::default_out(&args.input, first));
            let files = credit::credit_files(&input, &note.json, reissue.as_ref())?;
            let staged = stage_folder(&out, &files, FolderKind::Credit, false, &protect)?;
            let abs_out = std::path::absolute(staged.out()).unwrap_or_else(|_| out.clone());
            let tmp = staged.tmp().to_owned();
            let abs_tmp = std::path::absolute(&tmp).unwrap_or(tmp);
            Ok((documents, fee_lines, (staged, out), abs_out, abs_tmp))
        },
    )?;
    let first = documents.first().map_or(0, |d| d.number);
    billing_report::crash_point("before-rename");
    let synced = staged.recorded().publish().map_err(|e| {
        Failure::Other(format!(
            "credit note {first} is recorded in {}, but its folder could not be put into \
             place: {e}. The register is authoritative: the next run puts it in place",
            register_path.display()
        ))
    })?;
    billing_report::crash_point("after-rename");
    // Recorded as in place only once the rename is on the disk (else the next run does it).
    if synced {
        register.mark_published(&format!("credit {first}"))?;
    }
    for d in &documents {
        let what = match d.kind {
            "credit_note" => format!(
                "credit note {} crediting invoice {} ({}): {} {}",
                d.number,
                args.invoice,
                original.buyer,
                d.payable.to_swedish(),
                settings.currency
            ),
            _ => format!(
                "corrected invoice {} replacing invoice {} ({}): {} {}",
                d.number,
                args.invoice,
                original.buyer,
                d.payable.to_swedish(),
                settings.currency
            ),
        };
        say(quiet, &what);
    }
    say(
        quiet,
        &format!(
            "wrote {}; recorded in {}",
            out.display(),
            register_path.display()
        ),
    );
    Ok(())
}

fn init_register(input: &Path, register: Option<&Path>, quiet: bool) -> Result<(), Failure> {
    let loaded = load_input(input, quiet)?.into_input();
    let path = register
        .map(Path::to_owned)
        .unwrap_or_else(|| default_path(input));
    let serves = Serves {
        agreement: loaded.settings.name.clone(),
        issuer: loaded.settings.issuer.to_string(),
    };
    let out = default_out(input, NaiveDate::MIN, FolderKind::Issued);
    refuse_foreign(input, &path, &out, &serves, &Default::default())?;
    InvoiceRegister::create(&path, &serves)?;
    say(
        quiet,
        &format!(
            "created the invoice register {} for issuer {} ({}); back it up with the invoices",
            path.display(),
            serves.issuer,
            serves.agreement
        ),
    );
    Ok(())
}

/// The folders where registers and issued invoices of an agreement are looked for: the input's
/// folder, the register's, and the parents of the output folder and of the default one.
fn neighbourhood(input: &Path, register: &Path, out: &Path) -> Vec<PathBuf> {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    let input = abs(input);
    let mut dirs = vec![
        input.parent().map(Path::to_owned).unwrap_or_default(),
        abs(register)
            .parent()
            .map(Path::to_owned)
            .unwrap_or_default(),
        abs(out).parent().map(Path::to_owned).unwrap_or_default(),
        input.parent().map(|p| p.join("out")).unwrap_or_default(),
    ];
    if input.is_dir() {
        dirs.push(input.clone());
    }
    dirs.sort();
    dirs.dedup();
    dirs
}

/// Other registers near the input that hold invoices of the issuer: (path, numbers).
fn registers_near(
    input: &Path,
    register: &Path,
    out: &Path,
    issuer: &str,
) -> Vec<(PathBuf, std::collections::BTreeSet<u64>)> {
    let ours = std::path::absolute(register).unwrap_or_else(|_| register.to_owned());
    let mut found = Vec::new();
    for dir in neighbourhood(input, register, out) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let is_db = path
                .extension()
                .is_some_and(|x| x == "sqlite" || x == "db" || x == "sqlite3");
            if !is_db || path == ours || !path.is_file() {
                continue;
            }
            let numbers = numbers_in(&path, issuer);
            if !numbers.is_empty() {
                found.push((path, numbers));
            }
        }
    }
    found
}

/// Issued output folders near the input: (folder, numbers of the issuer's invoices in it).
fn issued_folders_near(
    input: &Path,
    register: &Path,
    out: &Path,
    issuer: &str,
) -> Vec<(PathBuf, std::collections::BTreeSet<u64>)> {
    let mut found = Vec::new();
    for dir in neighbourhood(input, register, out) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let folder = e.path();
            let marker = std::fs::read_to_string(folder.join(billing_report::output::MARKER))
                .unwrap_or_default();
            if !marker.lines().any(|l| l.trim() == "status: issued") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(folder.join("invoices.json")) else {
                continue;
            };
            let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            let numbers: std::collections::BTreeSet<u64> = json["invoices"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|i| i["issuer"].as_str() == Some(issuer))
                .filter_map(|i| i["number"].as_u64())
                .collect();
            if !numbers.is_empty() {
                found.push((folder, numbers));
            }
        }
    }
    found
}

fn number_list(numbers: &std::collections::BTreeSet<u64>) -> String {
    let mut list: Vec<String> = numbers.iter().take(10).map(u64::to_string).collect();
    if numbers.len() > 10 {
        list.push(format!("… ({} in all)", numbers.len()));
    }
    list.join(", ")
}

/// Refuses to issue when invoices of the issuer were issued (in another register, or in an
/// output folder) that `held` does not hold: the register in use is not the series' register.
fn refuse_foreign(
    input: &Path,
    register: &Path,
    out: &Path,
    serves: &Serves,
    held: &std::collections::BTreeSet<u64>,
) -> Result<(), Failure> {
    let found = registers_near(input, register, out, &serves.issuer)
        .into_iter()
        .map(|(p, n)| (format!("register {}", p.display()), n))
        .chain(
            issued_folders_near(input, register, out, &serves.issuer)
                .into_iter()
                .map(|(p, n)| (format!("the issued folder {}", p.display()), n)),
        );
    for (where_, numbers) in found {
        let missing: std::collections::BTreeSet<u64> = numbers.difference(held).copied().collect();
        if !missing.is_empty() {
            return Err(RegisterError::Foreign {
                path: register.display().to_string(),
                issuer: serves.issuer.clone(),
                numbers: number_list(&missing),
                where_,
            }
            .into());
        }
    }
    Ok(())
}

/// The refusal when there is no register: where it was looked for, registers of the same
/// issuer found nearby, and the named step that starts a new series.
fn no_register(input: &Path, register: &Path, out: &Path, serves: &Serves) -> RegisterError {
    let near = registers_near(input, register, out, &serves.issuer);
    let hint = if near.is_empty() {
        format!(
            "if this is the first issue of the series of {}, create the register with \
             `billing-report register init {}` or give --new-register",
            serves.issuer,
            input.display()
        )
    } else {
        format!(
            "invoices of issuer {} are recorded in {}: give --register with that register (a \
             workbook saved under a new name keeps its register)",
            serves.issuer,
            near.iter()
                .map(|(p, n)| format!("{} (numbers {})", p.display(), number_list(n)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    RegisterError::NoRegister {
        message: format!(
            "there is no invoice register at {}; issue never starts a number series by itself, \
             nothing was issued: {hint}",
            register.display()
        ),
    }
}

/// Finishes what an `issue` stopped in the middle of: a folder the register committed but that
/// was never renamed into place is put there now (it is complete: it was written before the
/// commit), and said so; leftover temporary folders of runs that recorded nothing are removed.
fn finish_publications(register: &InvoiceRegister, quiet: bool) -> Result<(), Failure> {
    let pending = register.pending()?;
    for p in &pending {
        let out_exists = p.out.symlink_metadata().is_ok();
        if p.tmp.is_dir() && !out_exists {
            std::fs::rename(&p.tmp, &p.out).map_err(|e| {
                Failure::Other(format!(
                    "{} are recorded in the register but were never put in \
                     place; moving {} to {} failed: {e}",
                    p.what,
                    p.tmp.display(),
                    p.out.display()
                ))
            })?;
            mark_synced(register, p, quiet)?;
            say(
                quiet,
                &format!(
                    "finished publishing {}: an earlier run recorded them \
                     and stopped before putting {} in place; moved there from {}",
                    p.what,
                    p.out.display(),
                    p.tmp.display()
                ),
            );
        } else if out_exists && !p.tmp.exists() {
            // Renamed, but the process stopped before recording it (or the rename could not
            // be synced then).
            mark_synced(register, p, quiet)?;
        } else {
            return Err(Failure::Refused(format!(
                "{} are recorded in the register, but their folder {} is \
                 {} and their complete copy {} is {}: put the copy in place by hand, or ask \
                 for help; nothing was issued",
                p.what,
                p.out.display(),
                if out_exists { "there" } else { "missing" },
                p.tmp.display(),
                if p.tmp.exists() {
                    "there too"
                } else {
                    "missing"
                },
            )));
        }
    }
    Ok(())
}

/// Records `p`'s folder as in place once its rename is synced to the disk; when the sync
/// fails, says so and leaves it waiting (the next run tries again; its complete copy, if any,
/// is never removed meanwhile).
fn mark_synced(
    register: &InvoiceRegister,
    p: &billing_report::register::Pending,
    quiet: bool,
) -> Result<(), Failure> {
    match billing_report::output::sync_parent(&p.out) {
        Ok(()) => Ok(register.mark_published(&p.key)?),
        Err(e) => {
            say(
                quiet,
                &format!(
                    "warning: {} are in place in {}, but the folder could not be synced to the \
                     disk ({e}): the next run records them as in place",
                    p.what,
                    p.out.display()
                ),
            );
            Ok(())
        }
    }
}

fn kind_of(final_issue: bool) -> FolderKind {
    if final_issue {
        FolderKind::Issued
    } else {
        FolderKind::Draft
    }
}

/// Removes the temporary folders (`.NAME.tmp-PID`, and `.old` ones) that runs killed before
/// their register committed left beside `out`, and says so; one still waiting to be published
/// or of a process still running is left alone.
fn clean_leftovers(out: &Path, pending: &[billing_report::register::Pending], quiet: bool) {
    let abs = std::path::absolute(out).unwrap_or_else(|_| out.to_owned());
    let Some(parent) = abs.parent() else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let proc_known = Path::new("/proc/self").exists();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = leftover_pid(&name) else {
            continue;
        };
        let path = e.path();
        let waiting = pending
            .iter()
            .any(|p| std::path::absolute(&p.tmp).unwrap_or_else(|_| p.tmp.clone()) == path);
        let running = !proc_known || Path::new(&format!("/proc/{pid}")).exists();
        if waiting || running || !path.is_dir() {
            continue;
        }
        match std::fs::remove_dir_all(&path) {
            Ok(()) => say(
                quiet,
                &format!(
                    "removed {}: a temporary folder of a run that stopped before recording \
                     anything",
                    path.display()
                ),
            ),
            Err(e) => say(
                quiet,
                &format!(
                    "warning: {} is a temporary folder of a run that stopped; it could not be \
                     removed ({e}): remove it by hand",
                    path.display()
                ),
            ),
        }
    }
}

/// The process id in a temporary folder's name: `.2017-07-01.tmp-123` or `….tmp-123.old`.
fn leftover_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let rest = rest.strip_suffix(".old").unwrap_or(rest);
    let (_, pid) = rest.rsplit_once(".tmp-")?;
    pid.parse().ok()
}
