//! The transactions file, read streaming in constant memory.
//!
//! Two formats, told apart by the header:
//! - one row per transaction: `timestamp,party,kind`, e.g. `2025-01-01T00:00:03,1981,signature`
//!   (the timestamp as `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM:SS` with
//!   optional fractions of a second);
//! - pre-counted rows: `party,kind,period,count`, the period as `YYYY-MM` (a month),
//!   `YYYY-MM-DD` (a day) or `YYYY-MM-DD..YYYY-MM-DD` (both days included).
//!
//! One-row-per-transaction files are split into byte ranges aligned on line starts, one per
//! thread; each thread reads its range through one fixed buffer, parses each row by hand and
//! counts it into its own [`Tally`] at day resolution; the tallies are added up at the end.
//! Memory is the buffers plus one block of counters per month seen, whatever the file's size.
//!
//! Blank lines are skipped. Bad rows are collected with their line numbers up to a limit, with
//! a count of the rest. No run of 10 or more digits is ever echoed (it may be a personal identity
//! number, R4), and the first line is described, never shown, when it is not a header.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use billing_core::calendar::Period;
use billing_core::transactions::{Count, Day, Kind, Tally, TransactionError};
use billing_core::{PartyId, SourceRef};
use chrono::NaiveDate;

/// The header of a file with one row per transaction.
pub const ROWS_HEADER: &str = "timestamp,party,kind";
/// The header of a file of pre-counted rows.
pub const COUNTS_HEADER: &str = "party,kind,period,count";

/// The parties and kinds a file may name, with the lookups of the hot path.
#[derive(Clone, Debug)]
pub struct Catalog {
    parties: Arc<[PartyId]>,
    kinds: Arc<[Kind]>,
    /// Index + 1 of each four-digit code (0: not a party): a perfect table for municipality
    /// codes, one array read per row.
    four_digits: Vec<u32>,
    /// Every other id.
    others: HashMap<Box<[u8]>, u32>,
}

impl Catalog {
    /// A catalog of `parties` and `kinds`, numbered in the order given.
    pub fn new(parties: Vec<PartyId>, kinds: Vec<Kind>) -> Catalog {
        let mut four_digits = vec![0u32; 10_000];
        let mut others = HashMap::new();
        for (i, p) in parties.iter().enumerate() {
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            match four_digit_code(p.as_str().as_bytes()) {
                Some(n) => four_digits[n] = index.saturating_add(1),
                None => {
                    others.insert(Box::from(p.as_str().as_bytes()), index);
                }
            }
        }
        Catalog {
            parties: parties.into(),
            kinds: kinds.into(),
            four_digits,
            others,
        }
    }

    /// The parties, in index order.
    pub fn parties(&self) -> &Arc<[PartyId]> {
        &self.parties
    }

    /// The kinds, in index order.
    pub fn kinds(&self) -> &Arc<[Kind]> {
        &self.kinds
    }

    #[inline]
    fn party(&self, code: &[u8]) -> Option<usize> {
        match four_digit_code(code) {
            Some(n) => match self.four_digits.get(n) {
                Some(&i) if i > 0 => Some(i as usize - 1),
                _ => None,
            },
            None => self.others.get(code).map(|i| *i as usize),
        }
    }

    #[inline]
    fn kind(&self, name: &[u8]) -> Option<usize> {
        self.kinds
            .iter()
            .position(|k| k.as_str().as_bytes() == name)
    }
}

#[inline]
fn four_digit_code(code: &[u8]) -> Option<usize> {
    match code {
        [a, b, c, d] if code.iter().all(u8::is_ascii_digit) => Some(
            usize::from(a - b'0') * 1000
                + usize::from(b - b'0') * 100
                + usize::from(c - b'0') * 10
                + usize::from(d - b'0'),
        ),
        _ => None,
    }
}

/// How a file is read.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Threads for a one-row-per-transaction file (1 or more).
    pub threads: usize,
    /// Bad rows reported in full; the rest are counted.
    pub max_errors: usize,
    /// Distinct months a file may span.
    pub max_months: usize,
    /// Bytes read at a time by each thread; also the longest row accepted.
    pub buffer: usize,
    /// The fewest bytes a thread's range may have: a smaller file is read by fewer threads.
    pub min_range: u64,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_errors: 20,
            max_months: 120,
            buffer: 1 << 20,
            min_range: 1 << 20,
        }
    }
}

/// What a file held.
#[derive(Clone, Debug)]
pub enum Transactions {
    /// One row per transaction, counted per party, kind and day.
    Rows(Tally),
    /// Pre-counted rows, as read (line order).
    Counted(Vec<Count>),
}

/// What is wrong with one row.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RowProblem {
    /// The row does not have the header's number of fields.
    Fields {
        /// Fields expected.
        expected: usize,
        /// Fields found.
        found: usize,
    },
    /// The timestamp or period is not a valid date (and time).
    BadTimestamp {
        /// The text found, or why it is not shown.
        found: Shown,
    },
    /// The party is not a party of the agreement.
    UnknownParty {
        /// The code found, or why it is not shown.
        found: Shown,
    },
    /// The kind has no tariff (or is not among the kinds given).
    UnknownKind {
        /// The kind found, or why it is not shown.
        found: Shown,
    },
    /// A count is not a whole number 0 or above.
    BadCount {
        /// The text found, or why it is not shown.
        found: Shown,
    },
    /// The row is longer than the read buffer.
    TooLong {
        /// Its length limit, in bytes.
        limit: usize,
    },
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowProblem::Fields { expected, found } => {
                write!(f, "expected {expected} fields, found {found}")
            }
            RowProblem::BadTimestamp { found } => write!(f, "bad timestamp {found}"),
            RowProblem::UnknownParty { found } => write!(f, "unknown party {found}"),
            RowProblem::UnknownKind { found } => write!(f, "unknown kind {found}"),
            RowProblem::BadCount { found } => {
                write!(f, "count must be a whole number 0 or above, found {found}")
            }
            RowProblem::TooLong { limit } => write!(f, "row is longer than {limit} bytes"),
        }
    }
}

/// A field's text as it may be shown in a message: quoted and cut to 32 characters, with every
/// run of 10 or more digits (ignoring `-`, `+` and spaces between them) replaced by a
/// description, since it may be a personal identity number (R4: `191212-1212`,
/// `19121212-1212`, `191212 1212`, wherever it stands in the text).
///
/// Runs of 11 or 13 and more digits are hidden too: a longer run may hold an identity number,
/// and nothing these files carry legitimately has that many digits in a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown(String);

/// A piece of text to show: a character, or a run of digits that is not shown.
enum Piece {
    Char(char),
    Hidden(usize),
}

/// The fewest digits in a run that is not shown.
const HIDDEN_DIGITS: usize = 10;

impl Shown {
    /// The text of `bytes` (lossily decoded), masked and cut.
    pub(crate) fn new(bytes: &[u8]) -> Shown {
        Shown::text(&String::from_utf8_lossy(bytes))
    }

    /// `text`, masked and cut.
    pub(crate) fn text(text: &str) -> Shown {
        let pieces = mask(text);
        if let [Piece::Hidden(n)] = pieces[..] {
            return Shown(hidden(n));
        }
        let mut out = String::new();
        for piece in pieces.iter().take(32) {
            match piece {
                Piece::Char(c) => out.push(*c),
                Piece::Hidden(n) => out.push_str(&hidden(*n)),
            }
        }
        if pieces.len() > 32 {
            out.push('…');
        }
        Shown(format!("{out:?}"))
    }
}

fn hidden(digits: usize) -> String {
    format!("(a {digits}-digit number, not shown)")
}

/// The characters of `text`, with each run of [`HIDDEN_DIGITS`] or more ASCII digits (which may
/// be separated by `-`, `+` or spaces) as one hidden piece.
fn mask(text: &str) -> Vec<Piece> {
    let chars: Vec<char> = text.chars().collect();
    let mut pieces = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            pieces.push(Piece::Char(chars[i]));
            i += 1;
            continue;
        }
        // The run: digits, and separators that are followed (after more separators) by a digit.
        let mut end = i;
        let mut digits = 0;
        let mut j = i;
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                digits += 1;
                end = j + 1;
                j += 1;
            } else if matches!(chars[j], '-' | '+' | ' ') {
                j += 1;
            } else {
                break;
            }
        }
        if digits >= HIDDEN_DIGITS {
            pieces.push(Piece::Hidden(digits));
        } else {
            pieces.extend(chars[i..end].iter().map(|c| Piece::Char(*c)));
        }
        i = end;
    }
    pieces
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bad row and its line number (1 is the header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// The line, counted from 1.
    pub line: u64,
    /// What is wrong.
    pub problem: RowProblem,
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The first line is neither header.
    #[error(
        "{}:1: the header must be {ROWS_HEADER:?} or {COUNTS_HEADER:?}, found {found}",
        .path.display()
    )]
    Header {
        /// The file.
        path: PathBuf,
        /// What the first line is, in words: never its content, which may be a data row with
        /// a personal identity number (R4).
        found: String,
    },
    /// Rows are bad.
    #[error("{}", rows_message(.path, .errors, *.more))]
    Rows {
        /// The file.
        path: PathBuf,
        /// The first bad rows, by line.
        errors: Vec<RowError>,
        /// How many more bad rows there are.
        more: u64,
    },
    /// The counts could not be kept (too many months, a count beyond 2^64).
    #[error("{}: {source}", .path.display())]
    Tally {
        /// The file.
        path: PathBuf,
        /// Why.
        source: Box<TransactionError>,
    },
}

fn rows_message(path: &Path, errors: &[RowError], more: u64) -> String {
    let total = errors.len() as u64 + more;
    let mut out = format!(
        "{}: {total} bad row{}",
        path.display(),
        if total == 1 { "" } else { "s" }
    );
    for e in errors {
        out.push_str(&format!("\n  {}:{}: {}", path.display(), e.line, e.problem));
    }
    if more > 0 {
        out.push_str(&format!("\n  and {more} more"));
    }
    out
}

/// Reads a transactions file of either format. `progress` is advanced by the bytes read, for a
/// progress bar on another thread.
///
/// # Errors
/// [`ReadError::Io`], [`ReadError::Header`], [`ReadError::Rows`] (every bad row up to
/// `max_errors`, and how many more) and [`ReadError::Tally`].
pub fn read_file(
    path: &Path,
    catalog: &Catalog,
    options: &ReadOptions,
    progress: &AtomicU64,
) -> Result<Transactions, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    // The header: the first line, within the first 4 KiB.
    let mut head = vec![0u8; 4096];
    let mut got = 0;
    while got < head.len() {
        let n = file.read(&mut head[got..]).map_err(io)?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let header_len = match head[..got].iter().position(|&b| b == b'\n') {
        Some(i) => i + 1,
        None => got,
    };
    let header = &head[..header_len];
    let text = header
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(header)
        .trim_ascii()
        .to_ascii_lowercase();
    let header_len = header_len as u64;
    progress.fetch_add(header_len, Ordering::Relaxed);
    if text == ROWS_HEADER.as_bytes() {
        read_rows(path, catalog, options, progress, header_len, size).map(Transactions::Rows)
    } else if text == COUNTS_HEADER.as_bytes() {
        file.seek(SeekFrom::Start(header_len)).map_err(io)?;
        let reader = BufReader::with_capacity(1 << 16, file);
        read_counts(path, reader, catalog, options, progress).map(Transactions::Counted)
    } else {
        Err(ReadError::Header {
            path: path.to_owned(),
            found: describe_header(&text, got == 0),
        })
    }
}

/// The first line in words, without its content (R4).
fn describe_header(text: &[u8], empty_file: bool) -> String {
    if empty_file {
        return "an empty file".to_owned();
    }
    if text.is_empty() {
        return "an empty first line".to_owned();
    }
    let fields = text.iter().filter(|&&b| b == b',').count() + 1;
    let plural = if fields == 1 { "" } else { "s" };
    if text.first().is_some_and(u8::is_ascii_digit) {
        format!(
            "a first line of {fields} field{plural} that starts with a digit, like a data row \
             (is the header missing? the line is not shown)"
        )
    } else {
        format!("a first line of {fields} field{plural} (not shown)")
    }
}

/// What one thread found in its range.
struct Scan {
    tally: Tally,
    /// Lines started in the range.
    lines: u64,
    /// Bad rows as (line within the range, from 0; problem).
    errors: Vec<(u64, RowProblem)>,
    more: u64,
    fatal: Option<TransactionError>,
}

fn read_rows(
    path: &Path,
    catalog: &Catalog,
    options: &ReadOptions,
    progress: &AtomicU64,
    header_len: u64,
    size: u64,
) -> Result<Tally, ReadError> {
    let threads = options.threads.max(1) as u64;
    let body = size.saturating_sub(header_len);
    let n = threads.min(body / options.min_range.max(1)).max(1);
    let bounds: Vec<u64> = (0..=n).map(|i| header_len + body * i / n).collect();
    let scans: Vec<io::Result<Scan>> = std::thread::scope(|s| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (start, end) = (w[0], w[1]);
                let first = start == header_len;
                s.spawn(move || scan_range(path, start, end, first, catalog, options, progress))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("a reader thread panicked")))
            })
            .collect()
    });
    let mut total: Option<Tally> = None;
    let mut errors = Vec::new();
    let mut more = 0u64;
    let mut lines_before = 1u64; // the header
    for scan in scans {
        let scan = scan.map_err(|source| ReadError::Io {
            path: path.to_owned(),
            source,
        })?;
        if let Some(source) = scan.fatal {
            return Err(ReadError::Tally {
                path: path.to_owned(),
                source: Box::new(source),
            });
        }
        for (line, problem) in scan.errors {
            errors.push(RowError {
                line: lines_before + line + 1,
                problem,
            });
        }
        more += scan.more;
        lines_before += scan.lines;
        match total.as_mut() {
            None => total = Some(scan.tally),
            Some(t) => t.merge(&scan.tally).map_err(|source| ReadError::Tally {
                path: path.to_owned(),
                source: Box::new(source),
            })?,
        }
    }
    finish_errors(path, errors, more, options)?;
    Ok(total.unwrap_or_else(|| {
        Tally::new(
            catalog.parties().clone(),
            catalog.kinds().clone(),
            options.max_months,
        )
    }))
}

fn finish_errors(
    path: &Path,
    mut errors: Vec<RowError>,
    mut more: u64,
    options: &ReadOptions,
) -> Result<(), ReadError> {
    if errors.is_empty() && more == 0 {
        return Ok(());
    }
    if errors.len() > options.max_errors {
        more += (errors.len() - options.max_errors) as u64;
        errors.truncate(options.max_errors);
    }
    Err(ReadError::Rows {
        path: path.to_owned(),
        errors,
        more,
    })
}

/// Reads the lines that start in `[start, end)`; `first` when `start` is the first byte after
/// the header (a line surely starts there).
fn scan_range(
    path: &Path,
    start: u64,
    end: u64,
    first: bool,
    catalog: &Catalog,
    options: &ReadOptions,
    progress: &AtomicU64,
) -> io::Result<Scan> {
    let mut scan = Scan {
        tally: Tally::new(
            catalog.parties().clone(),
            catalog.kinds().clone(),
            options.max_months,
        ),
        lines: 0,
        errors: Vec::new(),
        more: 0,
        fatal: None,
    };
    let mut file = File::open(path)?;
    // Start one byte early: if that byte ends a line, a line starts at `start`.
    let mut pos = if first { start } else { start - 1 };
    file.seek(SeekFrom::Start(pos))?;
    let mut buf = vec![0u8; options.buffer.max(64)];
    let mut filled = 0usize;
    let mut skip_first = !first;
    let mut skipping_long = false;
    loop {
        let read = file.read(&mut buf[filled..])?;
        progress.fetch_add(read as u64, Ordering::Relaxed);
        filled += read;
        let eof = read == 0;
        let mut at = 0usize;
        if skip_first {
            // Drop the partial line before the range's first line start.
            match buf[..filled].iter().position(|&b| b == b'\n') {
                Some(i) => {
                    at = i + 1;
                    skip_first = false;
                }
                None if eof => return Ok(scan),
                None => {
                    pos += filled as u64;
                    filled = 0;
                    continue;
                }
            }
        }
        // Complete lines end at the last newline; at the end of the file the rest is a line.
        let complete = match buf[at..filled].iter().rposition(|&b| b == b'\n') {
            Some(i) => at + i + 1,
            None if eof => filled,
            None => at,
        };
        if skipping_long {
            // The rest of a line too long for the buffer.
            if complete > at {
                match buf[at..complete].iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        at += i + 1;
                        skipping_long = false;
                    }
                    None => at = complete,
                }
            } else if !eof {
                pos += filled as u64;
                filled = 0;
                continue;
            }
        }
        let stop = scan_lines(
            &buf[at..complete],
            pos + at as u64,
            end,
            &mut scan,
            catalog,
            options,
        );
        if stop || eof || scan.fatal.is_some() {
            return Ok(scan);
        }
        if complete == 0 && filled == buf.len() {
            // One line fills the buffer: report it and skip the rest of it.
            if pos + at as u64 >= end {
                return Ok(scan);
            }
            push_error(&mut scan, options, RowProblem::TooLong { limit: buf.len() });
            scan.lines += 1;
            skipping_long = true;
            pos += filled as u64;
            filled = 0;
            continue;
        }
        buf.copy_within(complete..filled, 0);
        pos += complete as u64;
        filled -= complete;
    }
}

fn push_error(scan: &mut Scan, options: &ReadOptions, problem: RowProblem) {
    if scan.errors.len() < options.max_errors {
        scan.errors.push((scan.lines, problem));
    } else {
        scan.more += 1;
    }
}

/// Counts the complete lines of `bytes` (which starts at file offset `offset` on a line start)
/// that start before `end`. Returns true when a line at or past `end` was reached.
#[inline]
fn scan_lines(
    bytes: &[u8],
    offset: u64,
    end: u64,
    scan: &mut Scan,
    catalog: &Catalog,
    options: &ReadOptions,
) -> bool {
    let mut at = 0usize;
    while at < bytes.len() {
        if offset + at as u64 >= end {
            return true;
        }
        let rest = &bytes[at..];
        let len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let line = &rest[..len];
        at += len + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.is_empty() {
            match parse_row(line, catalog) {
                Ok((day, party, kind)) => {
                    if let Err(e) = scan.tally.add(day, party, kind, 1) {
                        scan.fatal = Some(e);
                        return true;
                    }
                }
                Err(problem) => push_error(scan, options, problem),
            }
        }
        scan.lines += 1;
    }
    false
}

/// One row `timestamp,party,kind`.
#[inline]
fn parse_row(line: &[u8], catalog: &Catalog) -> Result<(Day, usize, usize), RowProblem> {
    let mut fields = line.splitn(4, |&b| b == b',');
    let (Some(ts), Some(party), Some(kind), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(RowProblem::Fields {
            expected: 3,
            found: line.iter().filter(|&&b| b == b',').count() + 1,
        });
    };
    let day = parse_timestamp(ts).ok_or_else(|| RowProblem::BadTimestamp {
        found: Shown::new(unquote(ts)),
    })?;
    let party_code = unquote(party);
    let party = catalog
        .party(party_code)
        .ok_or_else(|| RowProblem::UnknownParty {
            found: Shown::new(party_code),
        })?;
    let kind_name = unquote(kind);
    let kind = catalog
        .kind(kind_name)
        .ok_or_else(|| RowProblem::UnknownKind {
            found: Shown::new(kind_name),
        })?;
    Ok((day, party, kind))
}

#[inline]
fn unquote(field: &[u8]) -> &[u8] {
    match field {
        [b'"', inner @ .., b'"'] => inner,
        other => other,
    }
}

#[inline]
fn digits<const N: usize>(bytes: &[u8]) -> Option<u32> {
    let b: &[u8; N] = bytes.get(..N)?.try_into().ok()?;
    let mut n = 0u32;
    for &d in b {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(d - b'0');
    }
    Some(n)
}

/// `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM:SS` with optional fractions
/// of a second; every part is checked, the day against its month.
#[inline]
fn parse_timestamp(ts: &[u8]) -> Option<Day> {
    let ts = unquote(ts);
    let day = parse_date(ts.get(..10)?)?;
    match ts.get(10..) {
        Some([]) => Some(day),
        Some([sep, time @ ..]) if *sep == b'T' || *sep == b' ' => {
            let (clock, fraction) = time.split_at_checked(8)?;
            let ok_clock = matches!(clock, [_, _, b':', _, _, b':', _, _])
                && digits::<2>(clock).is_some_and(|h| h < 24)
                && digits::<2>(clock.get(3..)?).is_some_and(|m| m < 60)
                && digits::<2>(clock.get(6..)?).is_some_and(|s| s < 60);
            let ok_fraction = match fraction {
                [] => true,
                [b'.', rest @ ..] => !rest.is_empty() && rest.iter().all(u8::is_ascii_digit),
                _ => false,
            };
            (ok_clock && ok_fraction).then_some(day)
        }
        _ => None,
    }
}

/// A date written `YYYY-MM-DD` exactly (10 characters, digits and two dashes, a real day of
/// years 1–9999): the one date format of the transactions, parties and tariffs files.
pub(crate) fn strict_date(text: &str) -> Option<NaiveDate> {
    parse_date(text.as_bytes()).map(|d| d.date())
}

/// `YYYY-MM-DD` exactly.
#[inline]
fn parse_date(d: &[u8]) -> Option<Day> {
    if d.len() != 10 || d[4] != b'-' || d[7] != b'-' {
        return None;
    }
    Day::new(
        digits::<4>(d)?,
        digits::<2>(&d[5..])?,
        digits::<2>(&d[8..])?,
    )
}

fn parse_period(text: &[u8]) -> Option<Period> {
    let next = |d: NaiveDate| d.succ_opt();
    match text.len() {
        7 => {
            if text[4] != b'-' {
                return None;
            }
            let first = Day::new(digits::<4>(text)?, digits::<2>(&text[5..])?, 1)?.date();
            let after = first.checked_add_months(chrono::Months::new(1))?;
            Period::new(first, after)
        }
        10 => {
            let day = parse_date(text)?.date();
            Period::new(day, next(day)?)
        }
        22 if &text[10..12] == b".." => {
            let first = parse_date(&text[..10])?.date();
            let last = parse_date(&text[12..])?.date();
            Period::new(first, next(last)?)
        }
        _ => None,
    }
}

/// Pre-counted rows `party,kind,period,count`, one thread, line by line.
fn read_counts<R: BufRead>(
    path: &Path,
    mut reader: R,
    catalog: &Catalog,
    options: &ReadOptions,
    progress: &AtomicU64,
) -> Result<Vec<Count>, ReadError> {
    let mut counts = Vec::new();
    let mut errors = Vec::new();
    let mut more = 0u64;
    let mut line = Vec::new();
    let mut number = 1u64;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    loop {
        line.clear();
        let read = reader
            .by_ref()
            .take(1 << 16)
            .read_until(b'\n', &mut line)
            .map_err(|source| ReadError::Io {
                path: path.to_owned(),
                source,
            })?;
        if read == 0 {
            break;
        }
        progress.fetch_add(read as u64, Ordering::Relaxed);
        number += 1;
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.is_empty() {
            continue;
        }
        let mut problem = |p: RowProblem| {
            if errors.len() < options.max_errors {
                errors.push(RowError {
                    line: number,
                    problem: p,
                });
            } else {
                more += 1;
            }
        };
        if read == 1 << 16 && !line.ends_with(b"\n") {
            problem(RowProblem::TooLong { limit: 1 << 16 });
            let skipped = skip_line(&mut reader).map_err(|source| ReadError::Io {
                path: path.to_owned(),
                source,
            })?;
            progress.fetch_add(skipped, Ordering::Relaxed);
            continue;
        }
        match parse_count(text, catalog) {
            Ok((party, kind, period, count)) => counts.push(Count {
                party,
                kind,
                period,
                count,
                source: Some(SourceRef::new(&format!("{file_name}:{number}"))),
            }),
            Err(p) => problem(p),
        }
    }
    finish_errors(path, errors, more, options)?;
    Ok(counts)
}

/// Skips the rest of a line, its newline included, through the reader's own buffer: constant
/// memory however long the line (a file without newlines is one line). Returns the bytes
/// skipped.
fn skip_line<R: BufRead>(reader: &mut R) -> io::Result<u64> {
    let mut skipped = 0u64;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(skipped);
        }
        let (used, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        reader.consume(used);
        skipped += used as u64;
        if done {
            return Ok(skipped);
        }
    }
}

fn parse_count(line: &[u8], catalog: &Catalog) -> Result<(PartyId, Kind, Period, u64), RowProblem> {
    let fields: Vec<&[u8]> = line.split(|&b| b == b',').map(unquote).collect();
    let [party, kind, period, count] = fields[..] else {
        return Err(RowProblem::Fields {
            expected: 4,
            found: fields.len(),
        });
    };
    let party = catalog
        .party(party)
        .and_then(|i| catalog.parties().get(i))
        .ok_or_else(|| RowProblem::UnknownParty {
            found: Shown::new(party),
        })?;
    let kind = catalog
        .kind(kind)
        .and_then(|i| catalog.kinds().get(i))
        .ok_or_else(|| RowProblem::UnknownKind {
            found: Shown::new(kind),
        })?;
    let period = parse_period(period).ok_or_else(|| RowProblem::BadTimestamp {
        found: Shown::new(period),
    })?;
    let count = std::str::from_utf8(count)
        .ok()
        .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|c| c.parse::<u64>().ok())
        .ok_or_else(|| RowProblem::BadCount {
            found: Shown::new(count),
        })?;
    Ok((party.clone(), kind.clone(), period, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_checked_in_full() {
        let ok = |t: &str| parse_timestamp(t.as_bytes()).map(|d| d.date().to_string());
        assert_eq!(ok("2025-01-01T00:00:03").as_deref(), Some("2025-01-01"));
        assert_eq!(ok("2024-02-29 23:59:59.123").as_deref(), Some("2024-02-29"));
        assert_eq!(ok("2024-02-29").as_deref(), Some("2024-02-29"));
        assert_eq!(ok("\"2024-02-29\"").as_deref(), Some("2024-02-29"));
        for bad in [
            "2023-02-29T00:00:00",
            "2025-01-01T24:00:00",
            "2025-01-01T00:60:00",
            "2025-01-01T00:00:60",
            "2025-01-01T00:00",
            "2025-01-01T00:00:00.",
            "2025-01-01T00:00:00Z",
            "2025-1-01T00:00:00",
            "25-01-01",
            "",
            "2025-13-01",
        ] {
            assert_eq!(ok(bad), None, "{bad}");
        }
    }

    #[test]
    fn periods() {
        let p = |t: &str| parse_period(t.as_bytes()).map(|p| p.to_string());
        assert_eq!(p("2017-04").as_deref(), Some("2017-04-01..2017-04-30"));
        assert_eq!(p("2017-04-03").as_deref(), Some("2017-04-03..2017-04-03"));
        assert_eq!(
            p("2017-04-03..2017-05-02").as_deref(),
            Some("2017-04-03..2017-05-02")
        );
        assert_eq!(p("2017-05-03..2017-05-02"), None);
        assert_eq!(p("2017-13"), None);
    }

    #[test]
    fn identity_numbers_are_not_shown() {
        let shown = |t: &str| Shown::text(t).to_string();
        assert_eq!(shown("19121212-1212"), "(a 12-digit number, not shown)");
        assert_eq!(shown("121212-1212"), "(a 10-digit number, not shown)");
        assert_eq!(shown("191212 1212"), "(a 10-digit number, not shown)");
        assert_eq!(shown("121212+1212"), "(a 10-digit number, not shown)");
        assert_eq!(
            shown("19121212-1212;0114;login"),
            "\"(a 12-digit number, not shown);0114;login\""
        );
        assert_eq!(
            shown("x 2025-01-01t00:00:03,191212121212,login"),
            "\"x 2025-01-01t00:00:03,(a 12-digit number, not shown),login\""
        );
        // Cut after masking: a long field never shows a part of a number.
        let long = format!("{}19121212-1212", "a".repeat(30));
        assert_eq!(
            shown(&long),
            format!("\"{}(a 12-digit number, not shown)\"", "a".repeat(30))
        );
        assert_eq!(shown("0191"), "\"0191\"");
        assert_eq!(shown("2017-04-01"), "\"2017-04-01\"");
        assert_eq!(shown("123456789"), "\"123456789\"");
        assert_eq!(shown(&"x".repeat(40)), format!("\"{}…\"", "x".repeat(32)));
    }

    /// `len` bytes of `x` (no newline), then `tail`.
    struct LongLine {
        left: u64,
        tail: &'static [u8],
    }

    impl Read for LongLine {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.left > 0 {
                let n = buf
                    .len()
                    .min(usize::try_from(self.left).unwrap_or(usize::MAX));
                buf[..n].fill(b'x');
                self.left -= n as u64;
                return Ok(n);
            }
            let n = buf.len().min(self.tail.len());
            buf[..n].copy_from_slice(&self.tail[..n]);
            self.tail = &self.tail[n..];
            Ok(n)
        }
    }

    /// The peak resident memory of this process in KiB, where the system tells it.
    fn peak_kib() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Regression (A6): after "row too long" the pre-counted reader read the rest of the row
    /// into a vector without bound, so a file without newlines was held in memory whole. A row
    /// of 256 MiB is skipped with the memory of the buffers, and the row after it is read.
    #[test]
    fn a_precounted_row_without_newlines_is_skipped_in_constant_memory() {
        const LEN: u64 = 256 << 20;
        let reader = BufReader::with_capacity(
            1 << 16,
            LongLine {
                left: LEN,
                tail: b"\n0191,login,2017-04,5\n",
            },
        );
        let catalog = Catalog::new(
            vec![PartyId::new("0191").unwrap()],
            vec![Kind::new("login").unwrap()],
        );
        let progress = AtomicU64::new(0);
        let before = peak_kib();
        let err = read_counts(
            Path::new("counts.csv"),
            reader,
            &catalog,
            &ReadOptions::default(),
            &progress,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "counts.csv: 1 bad row\n  counts.csv:2: row is longer than 65536 bytes"
        );
        assert_eq!(progress.load(Ordering::Relaxed), LEN + 22);
        if let (Some(before), Some(after)) = (before, peak_kib()) {
            assert!(
                after < before + (64 << 10),
                "peak memory grew from {before} KiB to {after} KiB"
            );
        }
        let reader = BufReader::with_capacity(
            1 << 16,
            LongLine {
                left: 0,
                tail: b"0191,login,2017-04,5\n",
            },
        );
        let counts = read_counts(
            Path::new("counts.csv"),
            reader,
            &catalog,
            &ReadOptions::default(),
            &progress,
        )
        .unwrap();
        assert_eq!(counts.len(), 1);
    }

    #[test]
    fn party_lookup() {
        let c = Catalog::new(
            vec![
                PartyId::new("0191").unwrap(),
                PartyId::new("region-sthlm").unwrap(),
                PartyId::new("0000").unwrap(),
            ],
            vec![Kind::new("login").unwrap()],
        );
        assert_eq!(c.party(b"0191"), Some(0));
        assert_eq!(c.party(b"region-sthlm"), Some(1));
        assert_eq!(c.party(b"0000"), Some(2));
        assert_eq!(c.party(b"0192"), None);
        assert_eq!(c.party(b"191"), None);
        assert_eq!(c.kind(b"login"), Some(0));
        assert_eq!(c.kind(b"logi"), None);
    }
}
