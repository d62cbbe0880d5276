//! Transaction files (R11): streaming aggregation of one row per transaction, or pre-counted
//! rows, into counts per party, kind and month, or lines per party, kind, period and price.
//!
//! ```text
//! billing-report transactions FILE --parties PARTIES.csv (--tariffs TARIFFS.csv | --kinds a,b,c)
//!     [--period month|half-year|year] [--out OUT.csv] [--threads N] [--max-errors N]
//! ```
//! Without tariffs it writes `party,kind,month,count` (the equivalent of a `GROUP BY party,
//! kind, month`); with tariffs it writes one priced line per party, kind, billing period and
//! price. Exit codes: 0 success, 1 errors in the input, 2 usage or I/O errors.

pub mod files;
pub mod reader;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use billing_core::calendar::PeriodStarts;
use billing_core::invoice::VatRate;
use billing_core::transactions::{
    monthly, price_counts, price_tally, yearly, Kind, PricedLine, TariffTable,
};

use crate::transactions::files::{read_parties, read_tariffs};
use crate::transactions::reader::{read_file, Catalog, ReadError, ReadOptions, Transactions};

/// Arguments of `billing-report transactions`.
#[derive(Debug, clap::Args)]
pub struct TransactionsArgs {
    /// The transactions CSV file: `timestamp,party,kind` or `party,kind,period,count`.
    pub file: PathBuf,
    /// The parties: a CSV file with a header whose first column is the party id (e.g. the
    /// municipality code).
    #[arg(long)]
    pub parties: PathBuf,
    /// The tariffs: a CSV file `kind,unit_price,valid_from,valid_to`; with it, the output is
    /// priced lines.
    #[arg(long)]
    pub tariffs: Option<PathBuf>,
    /// The kinds of transaction, comma-separated, when no tariffs are given.
    #[arg(long, value_delimiter = ',')]
    pub kinds: Vec<String>,
    /// The billing period of priced lines.
    #[arg(long, value_enum, default_value_t = BillingPeriod::Month)]
    pub period: BillingPeriod,
    /// Where to write the result (CSV); standard output by default.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Reader threads; all cores by default.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Bad rows listed in full; the rest are counted.
    #[arg(long, default_value_t = 20)]
    pub max_errors: usize,
    /// Distinct months a file may span.
    #[arg(long, default_value_t = 120)]
    pub max_months: usize,
}

/// The billing period of priced lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BillingPeriod {
    /// Calendar months.
    Month,
    /// 1 January–30 June and 1 July–31 December.
    HalfYear,
    /// Calendar years.
    Year,
}

impl BillingPeriod {
    /// The period starts of the calendar.
    pub fn starts(self) -> PeriodStarts {
        match self {
            BillingPeriod::Month => monthly(),
            BillingPeriod::HalfYear => PeriodStarts::half_years(),
            BillingPeriod::Year => yearly(),
        }
    }
}

/// Runs `billing-report transactions`.
///
/// # Errors
/// A message for usage and I/O errors (exit 2); errors in the input are printed here and give
/// exit code 1.
pub fn run(args: &TransactionsArgs, quiet: bool) -> Result<ExitCode, String> {
    let parties = match read_parties(&args.parties) {
        Ok(p) => p,
        Err(e) => return input_error(&e.to_string()),
    };
    let tariffs = match &args.tariffs {
        Some(path) => match read_tariffs(path) {
            Ok(t) => Some(t),
            Err(e) => return input_error(&e.to_string()),
        },
        None => None,
    };
    let kinds: Vec<Kind> = match &tariffs {
        Some(t) => t.kinds().cloned().collect(),
        None if args.kinds.is_empty() => {
            return Err("give the tariffs (--tariffs FILE) or the kinds (--kinds a,b,c)".to_owned())
        }
        None => {
            let kinds: Result<Vec<Kind>, _> = args.kinds.iter().map(|k| Kind::new(k)).collect();
            kinds.map_err(|e| format!("--kinds: {e}"))?
        }
    };
    let catalog = Catalog::new(parties, kinds);
    let defaults = ReadOptions::default();
    let options = ReadOptions {
        threads: args.threads.unwrap_or(defaults.threads).max(1),
        max_errors: args.max_errors,
        max_months: args.max_months,
        ..defaults
    };

    let started = Instant::now();
    let size = std::fs::metadata(&args.file)
        .map_err(|e| format!("{}: {e}", args.file.display()))?
        .len();
    let show_progress = !quiet && io::stderr().is_terminal();
    let read = with_progress(show_progress, size, |progress| {
        read_file(&args.file, &catalog, &options, progress)
    });
    let transactions = match read {
        Ok(t) => t,
        Err(e @ ReadError::Io { .. }) => return Err(e.to_string()),
        Err(e) => return input_error(&e.to_string()),
    };
    let elapsed = started.elapsed();

    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?,
        )),
        None => Box::new(io::BufWriter::new(io::stdout().lock())),
    };
    let written = match &tariffs {
        Some(t) => match price(&transactions, t, args.period.starts()) {
            Ok(lines) => write_lines(&mut out, &lines),
            Err(message) => return input_error(&message),
        },
        None => write_counts(&mut out, &transactions, &catalog),
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing the result: {e}"))?;

    if !quiet {
        let rows = match &transactions {
            Transactions::Rows(t) => t.total(),
            Transactions::Counted(c) => c.len() as u128,
        };
        let secs = elapsed.as_secs_f64().max(1e-9);
        #[allow(clippy::float_arithmetic)] // a throughput figure for the terminal, not money
        let mb_per_s = size as f64 / 1e6 / secs;
        eprintln!(
            "{}: {rows} {} read in {:.3} s ({mb_per_s:.0} MB/s)",
            args.file.display(),
            match &transactions {
                Transactions::Rows(_) => "transactions",
                Transactions::Counted(_) => "counted rows",
            },
            secs
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn input_error(message: &str) -> Result<ExitCode, String> {
    eprintln!("billing-report: {message}");
    Ok(ExitCode::from(1))
}

/// Runs `work` with a progress counter, drawing a bar from it on standard error when `show`.
fn with_progress<T: Send>(show: bool, size: u64, work: impl FnOnce(&AtomicU64) -> T + Send) -> T {
    let progress = AtomicU64::new(0);
    if !show {
        return work(&progress);
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let bar = s.spawn(|| {
            let bar = indicatif::ProgressBar::new(size);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            while !done.load(Ordering::Relaxed) {
                bar.set_position(progress.load(Ordering::Relaxed).min(size));
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        let result = work(&progress);
        done.store(true, Ordering::Relaxed);
        let _ = bar.join();
        result
    })
}

/// Prices what was read.
///
/// # Errors
/// Every pricing problem, as one message.
pub fn price(
    transactions: &Transactions,
    tariffs: &TariffTable,
    billing: PeriodStarts,
) -> Result<Vec<PricedLine>, String> {
    let priced = match transactions {
        Transactions::Rows(tally) => price_tally(tally, tariffs, &billing),
        Transactions::Counted(counts) => price_counts(counts, tariffs, &billing),
    };
    priced.map_err(|p| p.to_string())
}

use crate::output::csv_field;

/// Writes `party,kind,period_first,period_last,count,unit_price,amount` lines.
///
/// # Errors
/// When writing fails.
pub fn write_lines(out: &mut dyn Write, lines: &[PricedLine]) -> io::Result<()> {
    writeln!(out, "party,kind,first_day,last_day,count,unit_price,amount")?;
    for l in lines {
        writeln!(
            out,
            "{},{},{},{},{},{},{}",
            csv_field(&l.party.to_string()),
            csv_field(&l.kind.to_string()),
            l.priced_days.start(),
            l.priced_days.last_day(),
            l.count,
            l.unit_price,
            l.amount
        )?;
    }
    Ok(())
}

/// Writes `party,kind,month,count`, by party, kind and month (pre-counted rows: by party, kind
/// and period as given, added up).
///
/// # Errors
/// When writing fails, and [`io::ErrorKind::InvalidData`] when a month's count does not fit 64
/// bits (nothing is written then).
pub fn write_counts(
    out: &mut dyn Write,
    transactions: &Transactions,
    catalog: &Catalog,
) -> io::Result<()> {
    match transactions {
        Transactions::Rows(tally) => {
            let months = tally
                .per_month()
                .map_err(|p| io::Error::new(io::ErrorKind::InvalidData, p.to_string()))?;
            writeln!(out, "party,kind,month,count")?;
            for (month, p, k, n) in months {
                let (Some(party), Some(kind)) = (catalog.parties().get(p), catalog.kinds().get(k))
                else {
                    continue;
                };
                writeln!(
                    out,
                    "{},{},{},{n}",
                    csv_field(&party.to_string()),
                    csv_field(&kind.to_string()),
                    month.format("%Y-%m")
                )?;
            }
        }
        Transactions::Counted(counts) => {
            let mut sums = std::collections::BTreeMap::new();
            for c in counts {
                let key = (c.party.clone(), c.kind.clone(), c.period);
                let sum: &mut u128 = sums.entry(key).or_default();
                *sum += u128::from(c.count);
            }
            writeln!(out, "party,kind,first_day,last_day,count")?;
            for ((party, kind, period), n) in sums {
                writeln!(
                    out,
                    "{},{},{},{},{n}",
                    csv_field(&party.to_string()),
                    csv_field(&kind.to_string()),
                    period.start(),
                    period.last_day()
                )?;
            }
        }
    }
    Ok(())
}

/// Priced lines as invoice lines due on `due`, with VAT `vat`.
pub fn extra_lines(
    lines: &[PricedLine],
    due: chrono::NaiveDate,
    vat: VatRate,
) -> Vec<billing_core::invoice::ExtraLine> {
    lines.iter().map(|l| l.to_extra_line(due, vat)).collect()
}

/// Reads and prices a transactions file in one call, for the report's other commands.
///
/// # Errors
/// The reader's errors and every pricing problem, as messages.
pub fn read_and_price(
    file: &Path,
    catalog: &Catalog,
    tariffs: &TariffTable,
    billing: PeriodStarts,
    options: &ReadOptions,
) -> Result<Vec<PricedLine>, String> {
    let progress = AtomicU64::new(0);
    let t = read_file(file, catalog, options, &progress).map_err(|e| e.to_string())?;
    price(&t, tariffs, billing)
}
