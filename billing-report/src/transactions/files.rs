//! The small files beside a transactions file: the parties and the tariffs (CSV, with a header).
//!
//! Cell contents in messages go through [`Shown`], which hides anything that may be a personal
//! identity number (R4).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use billing_core::transactions::{Kind, Tariff, TariffTable, TransactionProblems, UnitPrice};
use billing_core::{PartyId, SourceRef};

use crate::transactions::reader::{strict_date, Shown};
use rust_decimal::Decimal;

/// What is wrong with a parties or tariffs file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The file could not be read as CSV.
    #[error("{}: {source}", .path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// Why.
        source: csv::Error,
    },
    /// Cells are bad: every one is listed.
    #[error("{}: {}", .path.display(), .problems.join(&format!("\n  {}: ", .path.display())))]
    Cells {
        /// The file.
        path: PathBuf,
        /// Each problem, with its line and column.
        problems: Vec<String>,
    },
    /// The tariffs do not make a table (overlaps, ends before starts).
    #[error("{}: {source}", .path.display())]
    Tariffs {
        /// The file.
        path: PathBuf,
        /// Why.
        source: TransactionProblems,
    },
}

/// The party ids in the first column of a CSV file with a header (e.g.
/// `municipalities-2016.csv`: `code,name,county,population`).
///
/// # Errors
/// [`FileError::Csv`] when the file cannot be read, [`FileError::Cells`] for bad or repeated ids.
pub fn read_parties(path: &Path) -> Result<Vec<PartyId>, FileError> {
    let csv = |source| FileError::Csv {
        path: path.to_owned(),
        source,
    };
    let bytes = std::fs::read(path).map_err(|e| csv(e.into()))?;
    let lines = Lines::new(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut parties = Vec::new();
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(csv)?;
        let line = lines.of(&record, i);
        let id = record.get(0).unwrap_or("");
        match PartyId::new(id) {
            Ok(p) if !seen.insert(p.clone()) => problems.push(format!(
                "line {line}: party {} occurs more than once",
                Shown::text(p.as_str())
            )),
            Ok(p) => parties.push(p),
            Err(_) => problems.push(format!(
                "line {line}, column 1: a party id must be non-empty text without leading or \
                 trailing spaces, found {}",
                Shown::text(id)
            )),
        }
    }
    if problems.is_empty() {
        Ok(parties)
    } else {
        Err(FileError::Cells {
            path: path.to_owned(),
            problems,
        })
    }
}

/// Tariffs from a CSV file with the header `kind,unit_price,valid_from,valid_to` (dates as
/// `YYYY-MM-DD`, `valid_to` the last valid day or empty for no end, prices as `0.30`).
///
/// # Errors
/// [`FileError::Csv`], [`FileError::Cells`] for every bad cell, and [`FileError::Tariffs`] for
/// overlapping tariffs of one kind.
pub fn read_tariffs(path: &Path) -> Result<TariffTable, FileError> {
    let csv = |source| FileError::Csv {
        path: path.to_owned(),
        source,
    };
    let bytes = std::fs::read(path).map_err(|e| csv(e.into()))?;
    let lines = Lines::new(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tariffs = Vec::new();
    let mut problems = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(csv)?;
        let line = lines.of(&record, i);
        if record.len() != 4 {
            problems.push(format!(
                "line {line}: expected 4 fields, found {}",
                record.len()
            ));
            continue;
        }
        let cell = |c: usize| record.get(c).unwrap_or("");
        let mut bad = |col: &str, what: &str, found: &str| {
            problems.push(format!(
                "line {line}, {col}: {what}, found {}",
                Shown::text(found)
            ));
        };
        let kind = Kind::new(cell(0));
        let price = Decimal::from_str(cell(1)).ok().and_then(UnitPrice::new);
        // Strictly YYYY-MM-DD, like the transactions file: chrono's %Y-%m-%d also takes
        // 2024-1-1 and +2024-01-01.
        let from = strict_date(cell(2));
        let to = match cell(3) {
            "" => Some(None),
            t => strict_date(t).map(Some),
        };
        if kind.is_err() {
            bad("kind", "must be a name without spaces or commas", cell(0));
        }
        if price.is_none() {
            bad(
                "unit_price",
                "must be 0 or more with at most 4 decimals",
                cell(1),
            );
        }
        if from.is_none() {
            bad("valid_from", "must be a date YYYY-MM-DD", cell(2));
        }
        if to.is_none() {
            bad("valid_to", "must be a date YYYY-MM-DD or empty", cell(3));
        }
        if let (Ok(kind), Some(price), Some(from), Some(to)) = (kind, price, from, to) {
            let mut t = Tariff::new(kind, price, from, to);
            t.source = Some(SourceRef::new(&format!("{name}:{line}")));
            tariffs.push(t);
        }
    }
    if !problems.is_empty() {
        return Err(FileError::Cells {
            path: path.to_owned(),
            problems,
        });
    }
    TariffTable::new(tariffs).map_err(|source| FileError::Tariffs {
        path: path.to_owned(),
        source,
    })
}

/// The line numbers of a file's records, counted as the file is read (linear: counting from
/// the start for every record made 100,000 parties take 116 s). See
/// [`crate::input::LineCounter`] for why the csv crate's own line is not used.
struct Lines<'a> {
    bytes: &'a [u8],
    counter: std::cell::RefCell<crate::input::LineCounter>,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Lines<'a> {
        Lines {
            bytes,
            counter: Default::default(),
        }
    }

    /// The line of `record`, the `index`th record after the header (from 1).
    fn of(&self, record: &csv::StringRecord, index: usize) -> u64 {
        let line = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .filter(|b| *b <= self.bytes.len())
            .and_then(|start| self.counter.borrow_mut().line_at(self.bytes, start));
        match line {
            Some(l) => u64::from(l),
            None => index as u64 + 2,
        }
    }
}
