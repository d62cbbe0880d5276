//! Reading tables from a workbook (xlsx, ods) or a folder of CSV files, and turning their cells
//! into exact values with the place they came from.
//!
//! This is the only place where spreadsheet numbers (`f64`) exist. The rule for a number cell:
//! it is read as the decimal of its 15 significant digits — what Excel itself displays and
//! stores — so `0.1+0.2`, kept in the file as `0.30000000000000004`, is read as `0.3`. Money must
//! then have at most two decimals; a cell such as `10.005` is an error, never a silent rounding.
//! Text cells may hold numbers in Swedish form (`1 234 567,50`, `−12`) or plain form
//! (`1234567.50`); dates are Excel dates or ISO text (`2011-07-01`).

use std::fmt;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use billing_core::{Money, SourceRef};

/// Whether a problem stops the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The input cannot be used as it is.
    Error,
    /// Worth a look; the run goes on.
    Warning,
}

/// One problem in the input, with where it is and what was found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// The file.
    pub file: String,
    /// The sheet, if the problem is inside one.
    pub sheet: Option<String>,
    /// The cell (`C7`), or the row (`7`), if the problem is that precise.
    pub cell: Option<String>,
    /// What was found, as text (never a user id).
    pub found: Option<String>,
    /// What is wrong or what was expected.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{kind}: {}", self.file)?;
        match (&self.sheet, &self.cell) {
            (Some(sheet), Some(cell)) => write!(f, ": {sheet}!{cell}")?,
            (Some(sheet), None) => write!(f, ": {sheet}")?,
            // A row of a CSV file named by a setting (a user register): its line.
            (None, Some(line)) => write!(f, ":{line}")?,
            (None, None) => {}
        }
        write!(f, ": {}", self.message)?;
        if let Some(found) = &self.found {
            write!(f, ", found {found:?}")?;
        }
        Ok(())
    }
}

/// Every problem found so far, errors and warnings.
#[derive(Clone, Debug, Default)]
pub struct Problems {
    list: Vec<Problem>,
    /// The cells (file, sheet, cell) whose value could not be read and was replaced by a
    /// stand-in so that the rest of the input is still checked: nothing more is said of them.
    stand_ins: std::collections::BTreeSet<(String, Option<String>, Option<String>)>,
    /// The problems that say a party is not a party of the agreement, as (index in `list`,
    /// the party): see [`Problems::drop_unknown_parties`].
    unknown_parties: Vec<(usize, String)>,
    /// The files named by a setting that hold a user register (`users_file`): nothing found
    /// in them is shown (R4). A file of user counts is not one.
    private_files: std::collections::BTreeSet<String>,
}

impl Problems {
    /// Marks the cell of `said` (a problem already said of it) as holding a stand-in: a later
    /// problem at that cell ([`Problems::at_stand_in`]) is about the stand-in, not the input.
    pub fn stand_in(&mut self, said: &Problem) {
        self.stand_ins
            .insert((said.file.clone(), said.sheet.clone(), said.cell.clone()));
    }

    /// Marks `file` (a CSV file named by a setting) as a user register: what is found in it is
    /// never shown (R4).
    pub fn private_file(&mut self, file: &str) {
        self.private_files.insert(file.to_owned());
    }

    /// True when `p` is at a cell marked by [`Problems::stand_in`].
    pub fn at_stand_in(&self, p: &Problem) -> bool {
        p.cell.is_some()
            && self
                .stand_ins
                .contains(&(p.file.clone(), p.sheet.clone(), p.cell.clone()))
    }

    /// Adds a problem. Every problem passes here, so this is where user ids are kept out of
    /// messages (R4): nothing found in the user register is shown, and anywhere else a run of
    /// ten or more digits that could be a personal identity number is masked.
    pub fn push(&mut self, mut problem: Problem) {
        let private = problem.sheet.as_deref().is_some_and(is_user_sheet)
            || self.private_files.contains(&problem.file)
            || Path::new(&problem.file)
                .file_stem()
                .is_some_and(|s| is_user_sheet(&s.to_string_lossy()));
        problem.found = if private {
            None
        } else {
            problem.found.map(|f| mask_identity_numbers(&f))
        };
        // The message too: a value quoted in it (an id that is not a party, a member list) may
        // be a personal identity number typed in the wrong column.
        problem.message = mask_identity_numbers(&problem.message);
        self.list.push(problem);
    }

    /// Adds `problem`, which says that `party` is not a party of the agreement.
    pub fn push_unknown_party(&mut self, problem: Problem, party: &str) {
        self.unknown_parties
            .push((self.list.len(), party.to_owned()));
        self.push(problem);
    }

    /// The parties said so far not to be parties of the agreement.
    pub fn unknown_parties(&self) -> impl Iterator<Item = &str> {
        self.unknown_parties.iter().map(|(_, p)| p.as_str())
    }

    /// Leaves out what [`Problems::push_unknown_party`] said of each party for which `drop`
    /// holds: a party that may be one whose id could not be read (said at its cell).
    pub fn drop_unknown_parties(&mut self, drop: impl Fn(&str) -> bool) {
        let dropped: std::collections::BTreeSet<usize> = self
            .unknown_parties
            .iter()
            .filter(|(_, p)| drop(p))
            .map(|(i, _)| *i)
            .collect();
        if dropped.is_empty() {
            return;
        }
        let mut i = 0;
        self.list.retain(|_| {
            i += 1;
            !dropped.contains(&(i - 1))
        });
        self.unknown_parties.clear();
    }

    /// Adds a whole-file error.
    pub fn file_error(&mut self, file: &str, message: impl Into<String>) {
        self.push(Problem {
            severity: Severity::Error,
            file: file.to_owned(),
            sheet: None,
            cell: None,
            found: None,
            message: message.into(),
        });
    }

    /// Folds repeated problems into one: the same message and value in the same sheet is said
    /// once, with how many times and the first few places (2,000 copies of one row printed
    /// 2,001,000 lines). The order is that of each problem's first occurrence.
    pub fn collapse(&mut self) {
        type Key = (Severity, String, Option<String>, String, Option<String>);
        let mut index: std::collections::HashMap<Key, usize> = std::collections::HashMap::new();
        let mut out: Vec<(Problem, Vec<String>)> = Vec::new();
        for p in std::mem::take(&mut self.list) {
            let key = (
                p.severity,
                p.file.clone(),
                p.sheet.clone(),
                p.message.clone(),
                p.found.clone(),
            );
            match index.get(&key) {
                Some(&i) => out[i].1.push(p.cell.clone().unwrap_or_default()),
                None => {
                    index.insert(key, out.len());
                    out.push((p, Vec::new()));
                }
            }
        }
        self.list = out
            .into_iter()
            .map(|(mut p, more)| {
                if !more.is_empty() {
                    let shown: Vec<&str> = more.iter().take(5).map(String::as_str).collect();
                    p.message = format!(
                        "{} ({} times; also at {}{}{})",
                        p.message,
                        more.len() + 1,
                        if p.sheet.is_none() { "lines " } else { "" },
                        shown.join(", "),
                        if more.len() > 5 { ", …" } else { "" }
                    );
                }
                p
            })
            .collect();
    }

    /// The problems in the order found.
    pub fn list(&self) -> &[Problem] {
        &self.list
    }

    /// The problems, owned.
    pub fn into_vec(self) -> Vec<Problem> {
        self.list
    }

    /// True when at least one is an error.
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|p| p.severity == Severity::Error)
    }

    /// How many errors.
    pub fn error_count(&self) -> usize {
        self.list
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }
}

/// The names of the user register (`Users` and its Swedish aliases): whatever it holds may be a
/// user id, so no value of it is ever shown.
pub const USER_SHEETS: &[&str] = &["Users", "Användarregister", "Användare"];

/// True when a sheet (or CSV file stem) is the user register.
pub fn is_user_sheet(name: &str) -> bool {
    USER_SHEETS.iter().any(|n| same_name(name, n))
}

/// Masks every run of ten or more digits (`-`, `+` and spaces inside it ignored) with `#`, as
/// a personal identity number could be one. An organisation number (ten digits whose third and
/// fourth are 20 or more, which no date of birth has) is left as it is.
pub fn mask_identity_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The run: digits, with separators between digits.
        let mut end = i;
        let mut j = i;
        while j < chars.len() && (chars[j].is_ascii_digit() || matches!(chars[j], '-' | '+' | ' '))
        {
            if chars[j].is_ascii_digit() {
                end = j + 1;
            }
            j += 1;
        }
        let run = &chars[i..end];
        let digits: Vec<char> = run.iter().copied().filter(char::is_ascii_digit).collect();
        let org_number = digits.len() == 10
            && digits[2].to_digit(10).unwrap_or(0) * 10 + digits[3].to_digit(10).unwrap_or(0) >= 20;
        // A date (`2011-07-01`, or a date and time) is not an id: it is shown as it is.
        let groups: Vec<usize> = run
            .split(|c| !c.is_ascii_digit())
            .map(<[char]>::len)
            .collect();
        let date = groups.len() >= 3
            && groups[..3] == [4, 2, 2]
            && run.get(4) == Some(&'-')
            && run.get(7) == Some(&'-');
        if date {
            // The date itself, then the rest (a time) is looked at again on its own.
            out.extend(run[..10].iter());
            i += 10;
            continue;
        }
        // The whole part of a decimal number (an amount, `1234567890.50`) is not an id.
        let decimal = matches!(chars.get(end), Some('.' | ','))
            && chars.get(end + 1).is_some_and(char::is_ascii_digit)
            && digits.len() == run.len();
        // A plain number of 13 digits or more cannot be a personal identity number (10 or 12
        // digits): it is shown in scientific form, which says what it is without a long run.
        if digits.len() >= 13 && digits.len() == run.len() && !decimal {
            let exponent = digits.len() - 1;
            let mantissa: String = digits[1..4].iter().collect();
            let mantissa = mantissa.trim_end_matches('0');
            if mantissa.is_empty() {
                out.push_str(&format!("{}e{exponent}", digits[0]));
            } else {
                out.push_str(&format!("{}.{mantissa}e{exponent} (about)", digits[0]));
            }
            i = end;
            continue;
        }
        if digits.len() >= 10 && !org_number && !decimal {
            out.extend(
                run.iter()
                    .map(|c| if c.is_ascii_digit() { '#' } else { *c }),
            );
        } else {
            out.extend(run.iter());
        }
        i = end;
    }
    out
}

/// A cell's raw content, as the reader gave it.
#[derive(Clone, Debug, PartialEq)]
pub enum Raw {
    /// Nothing.
    Empty,
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A spreadsheet number (a double): only ever turned into a decimal by this module.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// An Excel date-time: its day when it is a whole day in range (in either date system of
    /// the workbook), and its serial number as stored.
    Date {
        /// The day, or `None` for a time of day or a serial out of range.
        day: Option<NaiveDate>,
        /// The serial number as stored.
        serial: f64,
    },
    /// An error value such as `#REF!`.
    Error(String),
}

impl Raw {
    fn from_calamine(data: &Data) -> Raw {
        match data {
            Data::Empty => Raw::Empty,
            Data::String(s) if s.trim().is_empty() => Raw::Empty,
            Data::String(s) => Raw::Text(s.clone()),
            Data::Int(i) => Raw::Int(*i),
            Data::Float(f) => Raw::Float(*f),
            Data::Bool(b) => Raw::Bool(*b),
            Data::DateTime(d) => Raw::Date {
                day: datetime_day(d),
                serial: d.as_f64(),
            },
            Data::DateTimeIso(s) | Data::DurationIso(s) => Raw::Text(s.clone()),
            Data::Error(e) => Raw::Error(e.to_string()),
        }
    }

    /// The content as it would show in the cell, for messages.
    pub fn shown(&self) -> String {
        match self {
            Raw::Empty => String::new(),
            Raw::Text(s) => s.clone(),
            Raw::Int(i) => i.to_string(),
            Raw::Float(f) => float_decimal(*f).map_or_else(|| f.to_string(), |d| d.to_string()),
            Raw::Bool(b) => b.to_string(),
            Raw::Date { day, serial } => day.map_or_else(|| serial.to_string(), |d| d.to_string()),
            Raw::Error(e) => e.clone(),
        }
    }
}

/// One sheet: a header row and data rows, with the file and sheet names for messages.
#[derive(Clone, Debug)]
pub struct Table {
    /// The file it was read from.
    pub file: String,
    /// The sheet's name as written in the file.
    pub sheet: String,
    /// The header texts, by column.
    pub headers: Vec<String>,
    /// The 1-based row number of the header row.
    pub header_row: u32,
    /// The data rows (blank rows left out); none when the rows are streamed.
    pub rows: Vec<Row>,
    first_column: u32,
    /// The CSV file the rows are read from one at a time with [`stream_rows`], instead of
    /// being held in `rows` (a user register may have millions).
    pub streamed: Option<PathBuf>,
    /// Its rows are located by file and line, not as cells of a sheet: a CSV file named by a
    /// setting (`users_file`), which is no sheet of the workbook.
    pub by_line: bool,
}

/// A data row.
#[derive(Clone, Debug)]
pub struct Row {
    /// Its 1-based row number in the sheet.
    pub number: u32,
    /// Its cells, by column (missing cells are empty).
    pub cells: Vec<Raw>,
}

impl Table {
    /// Where a cell of this table is, as (sheet, cell) of a [`Problem`]: the sheet and the
    /// cell's name, or for a table located by line (a CSV file named by a setting, which is no
    /// sheet of the workbook) no sheet and the row's line in its file.
    pub fn place(&self, row: u32, column: usize) -> (Option<String>, Option<String>) {
        if self.by_line {
            (None, Some(row.to_string()))
        } else {
            (Some(self.sheet.clone()), Some(self.cell_name(row, column)))
        }
    }

    /// The name of a cell of this table, e.g. `C7`.
    pub fn cell_name(&self, row: u32, column: usize) -> String {
        // A column the sheet does not have (an absent optional one) is named by its row alone.
        match u32::try_from(column) {
            Ok(c) if c < 16_384 => format!("{}{row}", column_letters(self.first_column + c)),
            _ => row.to_string(),
        }
    }
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`.
pub fn column_letters(mut column: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (column % 26) as u8);
        if column < 26 {
            break;
        }
        column = column / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The tables of one input: a workbook's sheets or a folder's CSV files.
#[derive(Clone, Debug)]
pub struct Source {
    /// The path given.
    pub path: PathBuf,
    /// The tables, by sheet name.
    pub tables: Vec<Table>,
}

impl Source {
    /// The table whose sheet name is one of `names` (case and spaces ignored).
    pub fn table(&self, names: &[&str]) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| names.iter().any(|n| same_name(&t.sheet, n)))
    }

    /// Every table whose sheet name is one of `names`: more than one is an ambiguity.
    pub fn tables_named(&self, names: &[&str]) -> Vec<&Table> {
        self.tables
            .iter()
            .filter(|t| names.iter().any(|n| same_name(&t.sheet, n)))
            .collect()
    }
}

/// Compares names ignoring case, spaces, underscores and hyphens: `Notice given`,
/// `notice_given` and `NoticeGiven` are the same header.
pub fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect()
    };
    norm(a) == norm(b)
}

/// Reads every sheet of a workbook, or every `*.csv` of a folder. A file that cannot be read at
/// all is one problem naming it, and no tables.
pub fn read_source(path: &Path, problems: &mut Problems) -> Source {
    let tables = if path.is_dir() {
        read_csv_folder(path, problems)
    } else {
        read_workbook(path, problems)
    };
    Source {
        path: path.to_owned(),
        tables,
    }
}

fn read_workbook(path: &Path, problems: &mut Problems) -> Vec<Table> {
    let file = path.display().to_string();
    match std::fs::metadata(path) {
        Err(e) => {
            problems.file_error(&file, format!("cannot be read: {e}"));
            return Vec::new();
        }
        Ok(m) if m.len() == 0 => {
            problems.file_error(&file, "the file is empty, expected an xlsx or ods workbook");
            return Vec::new();
        }
        Ok(_) => {}
    }
    // An ods file is streamed cell by cell (see `crate::ods`): calamine builds a dense grid.
    if std::fs::File::open(path).is_ok_and(crate::ods::is_ods) {
        let sheets = std::fs::File::open(path)
            .map_err(|e| e.to_string())
            .and_then(crate::ods::read_ods);
        return match sheets {
            Ok(sheets) => sheets
                .into_iter()
                .map(|(sheet, cells)| table_from_cells(&file, &sheet, cells, problems))
                .collect(),
            Err(e) => {
                problems.file_error(&file, format!("not a readable ods workbook: {e}"));
                Vec::new()
            }
        };
    }
    let mut workbook = match calamine::open_workbook_auto(path) {
        Ok(w) => w,
        Err(e) => {
            problems.file_error(&file, format!("not a readable xlsx or ods workbook ({e})"));
            return Vec::new();
        }
    };
    let mut tables = Vec::new();
    for sheet in workbook.sheet_names() {
        match sheet_cells(&mut workbook, &sheet) {
            Ok(cells) => tables.push(table_from_cells(&file, &sheet, cells, problems)),
            Err(e) => problems.push(Problem {
                severity: Severity::Error,
                file: file.clone(),
                sheet: Some(sheet.clone()),
                cell: None,
                found: None,
                message: format!("the sheet cannot be read ({e})"),
            }),
        }
    }
    tables
}

/// The most rows and columns a sheet may span. An agreement's tables are far smaller; a stray
/// value far below or to the right (`XFD1048576`) would otherwise make a grid of every cell in
/// between, 2^34 of them.
pub const MAX_ROWS: u32 = 1_000_000;
/// See [`MAX_ROWS`].
pub const MAX_COLUMNS: u32 = 200;

/// The non-empty cells of a sheet as (row, column, content), 0-based. xlsx and xlsb sheets are
/// read cell by cell, so their size never depends on how far apart the cells are.
fn sheet_cells(
    workbook: &mut calamine::Sheets<std::io::BufReader<std::fs::File>>,
    sheet: &str,
) -> Result<Vec<(u32, u32, Raw)>, String> {
    let mut out = Vec::new();
    let mut add = |position: (u32, u32), data: Data| {
        let raw = Raw::from_calamine(&data);
        if raw != Raw::Empty {
            out.push((position.0, position.1, raw));
        }
    };
    match workbook {
        calamine::Sheets::Xlsx(x) => {
            let mut reader = x.worksheet_cells_reader(sheet).map_err(|e| e.to_string())?;
            while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
                add(cell.get_position(), Data::from(cell.get_value().clone()));
            }
        }
        calamine::Sheets::Xlsb(x) => {
            let mut reader = x.worksheet_cells_reader(sheet).map_err(|e| e.to_string())?;
            while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
                add(cell.get_position(), Data::from(cell.get_value().clone()));
            }
        }
        other => {
            let range = other.worksheet_range(sheet).map_err(|e| e.to_string())?;
            let (first_row, first_column) = range.start().unwrap_or((0, 0));
            for (r, c, data) in range.used_cells() {
                add(
                    (first_row + r as u32, first_column + c as u32),
                    data.clone(),
                );
            }
        }
    }
    Ok(out)
}

/// A table from a sheet's non-empty cells: the first row holding any is the header row. Cells
/// beyond [`MAX_ROWS`] or [`MAX_COLUMNS`] are an error naming the farthest, and are left out so
/// that the rest of the sheet is still checked.
fn table_from_cells(
    file: &str,
    sheet: &str,
    mut cells: Vec<(u32, u32, Raw)>,
    problems: &mut Problems,
) -> Table {
    let far = cells
        .iter()
        .filter(|(r, c, _)| *r >= MAX_ROWS || *c >= MAX_COLUMNS)
        .max_by_key(|(r, c, _)| (*r, *c));
    if let Some((r, c, raw)) = far {
        let count = cells
            .iter()
            .filter(|(r, c, _)| *r >= MAX_ROWS || *c >= MAX_COLUMNS)
            .count();
        problems.push(Problem {
            severity: Severity::Error,
            file: file.to_owned(),
            sheet: Some(sheet.to_owned()),
            cell: Some(format!("{}{}", column_letters(*c), u64::from(*r) + 1)),
            found: Some(raw.shown()),
            message: format!(
                "{count} cell(s) lie beyond the table, as far as this one: a sheet may span at \
                 most {MAX_ROWS} rows and {MAX_COLUMNS} columns; clear them"
            ),
        });
        cells.retain(|(r, c, _)| *r < MAX_ROWS && *c < MAX_COLUMNS);
    }
    let first_row = cells.iter().map(|(r, _, _)| *r).min().unwrap_or(0);
    let first_column = cells.iter().map(|(_, c, _)| *c).min().unwrap_or(0);
    // Each row is as wide as its own last cell: one stray cell far to the right no longer makes
    // every row that wide (400,000 registrations went from 288 MB to 2.67 GB).
    let mut by_row: std::collections::BTreeMap<u32, Vec<Raw>> = std::collections::BTreeMap::new();
    for (r, c, raw) in cells {
        let row = by_row.entry(r).or_default();
        let at = (c - first_column) as usize;
        if row.len() <= at {
            row.resize(at + 1, Raw::Empty);
        }
        row[at] = raw;
    }
    let headers = by_row
        .remove(&first_row)
        .map(|cells| cells.iter().map(Raw::shown).collect())
        .unwrap_or_default();
    Table {
        file: file.to_owned(),
        sheet: sheet.to_owned(),
        headers,
        header_row: first_row + 1,
        rows: by_row
            .into_iter()
            .map(|(r, cells)| Row {
                number: r + 1,
                cells,
            })
            .collect(),
        first_column,
        streamed: None,
        by_line: false,
    }
}

fn read_csv_folder(path: &Path, problems: &mut Problems) -> Vec<Table> {
    let entries = match std::fs::read_dir(path) {
        Ok(e) => e,
        Err(e) => {
            problems.file_error(&path.display().to_string(), format!("cannot be read: {e}"));
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
        .collect();
    files.sort();
    let stem = |f: &Path| {
        f.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    // The settings first: a user register they name as a file is read as that table by the
    // workbook reader (streamed), never as a table of its own here.
    let is_settings = |f: &Path| SETTINGS_SHEETS.iter().any(|n| same_name(&stem(f), n));
    let mut tables: Vec<Table> = files
        .iter()
        .filter(|f| is_settings(f))
        .filter_map(|f| read_csv_table(f, problems))
        .collect();
    let named: Vec<PathBuf> = USER_FILE_SETTINGS
        .iter()
        .filter_map(|(key, aliases, _)| setting_value(&tables, key, aliases))
        .map(|(value, _, _)| path.join(value.trim()))
        .collect();
    for f in files.iter().filter(|f| !is_settings(f)) {
        if named.iter().any(|n| n == f) {
            continue;
        }
        let table = if STREAMED_SHEETS.iter().any(|n| same_name(&stem(f), n)) {
            csv_header_table(f, &stem(f), problems)
        } else {
            read_csv_table(f, problems)
        };
        tables.extend(table);
    }
    tables
}

/// The names of the Settings sheet.
pub const SETTINGS_SHEETS: &[&str] = &["Settings", "Inställningar"];

/// The tables whose rows are streamed from a CSV file rather than held: the user register and
/// the user counts (millions of rows).
pub const STREAMED_SHEETS: &[&str] = &[
    "Users",
    "Användarregister",
    "Användare",
    "UserCounts",
    "Antal användare",
];

/// The settings naming a CSV file that holds a table too large for a sheet: (setting, its
/// aliases, the table it holds).
pub const USER_FILE_SETTINGS: &[(&str, &[&str], &str)] = &[
    ("users_file", &["användarfil"], "Users"),
    ("user_counts_file", &["antalsfil"], "UserCounts"),
];

/// The value of the setting `key` (or an alias) as written in the Settings table among
/// `tables`, with the Settings table and the value cell's name.
pub fn setting_value<'a>(
    tables: &'a [Table],
    key: &str,
    aliases: &[&str],
) -> Option<(String, &'a Table, String)> {
    let settings = tables
        .iter()
        .find(|t| SETTINGS_SHEETS.iter().any(|n| same_name(&t.sheet, n)))?;
    let position = |names: [&str; 2]| {
        settings
            .headers
            .iter()
            .position(|h| names.iter().any(|n| same_name(h, n)))
    };
    let name = position(["setting", "inställning"])?;
    let value = position(["value", "värde"])?;
    settings.rows.iter().find_map(|row| {
        let k = row.cells.get(name)?.shown();
        if !(same_name(&k, key) || aliases.iter().any(|a| same_name(&k, a))) {
            return None;
        }
        let v = row.cells.get(value).map(Raw::shown).unwrap_or_default();
        Some((v, settings, settings.cell_name(row.number, value)))
    })
}

/// Reads one CSV file as a table named after the file (`Parties.csv` → `Parties`). A comma or a
/// semicolon (as Swedish Excel writes) separates the fields.
pub fn read_csv_table(path: &Path, problems: &mut Problems) -> Option<Table> {
    let file = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            problems.file_error(&file, format!("cannot be read: {e}"));
            return None;
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            problems.file_error(
                &file,
                format!(
                    "is not UTF-8 text, expected a CSV file saved as UTF-8: line {line} holds the \
                     byte 0x{:02X} (saved as Windows-1252 or Latin-1? save it again as \
                     \"CSV UTF-8\")",
                    bytes.get(at).copied().unwrap_or(0)
                ),
            );
            return None;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let sheet = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    // One row per line at most: the rows are allocated once, not grown (a register has millions).
    // Asked for, not required: a file of blank lines would ask for 32 bytes a byte, and a
    // refused reservation must not abort the run (the rows then grow as they are read).
    let mut rows = Vec::new();
    let _ = rows.try_reserve_exact(memchr_count(text.as_bytes(), b'\n') + 1);
    let mut headers = Vec::new();
    let mut header_row = 1;
    let mut lines = LineCounter::default();
    // One record reused for every line, not one allocated per line.
    let mut record = csv::StringRecord::new();
    let mut index: u32 = 0;
    loop {
        let i = index;
        index = index.saturating_add(1);
        let read = reader.read_record(&mut record);
        if matches!(read, Ok(false)) {
            break;
        }
        let number = match read {
            Ok(_) => lines.record_line(text.as_bytes(), &record),
            Err(_) => None,
        }
        .unwrap_or(i.saturating_add(1));
        match read {
            Ok(_) => {
                let mut cells: Vec<Raw> = Vec::with_capacity(record.len());
                cells.extend(record.iter().map(|s| {
                    if s.trim().is_empty() {
                        Raw::Empty
                    } else {
                        Raw::Text(s.to_owned())
                    }
                }));
                if i == 0 {
                    header_row = number;
                    headers = cells.iter().map(Raw::shown).collect::<Vec<String>>();
                } else if cells.iter().any(|c| *c != Raw::Empty) {
                    // More filled fields than the header names: the columns are shifted (a
                    // decimal comma in a comma-separated file), and every cell after it would be
                    // wrong for an unrelated reason. One error for the row, and it is left out.
                    let filled = cells
                        .iter()
                        .rposition(|c| *c != Raw::Empty)
                        .map_or(0, |p| p + 1);
                    if filled > headers.len() && !headers.is_empty() {
                        problems.push(Problem {
                            severity: Severity::Error,
                            file: file.clone(),
                            sheet: Some(sheet.clone()),
                            cell: Some(number.to_string()),
                            found: None,
                            message: format!(
                                "line {number} has {filled} fields, the header has {}: {}",
                                headers.len(),
                                if delimiter == b',' {
                                    "a decimal comma (1234,50) splits a field in a \
                                     comma-separated file; separate the fields with ; or quote \
                                     the number (\"1234,50\")"
                                } else {
                                    "is a ; inside a field? quote the field"
                                }
                            ),
                        });
                        continue;
                    }
                    rows.push(Row { number, cells });
                }
            }
            Err(e) => {
                let line = e.position().map_or(number as u64, |p| p.line());
                problems.push(Problem {
                    severity: Severity::Error,
                    file: file.clone(),
                    sheet: Some(sheet.clone()),
                    cell: Some(line.to_string()),
                    found: None,
                    message: format!("not valid CSV on line {line} ({e})"),
                });
                return None;
            }
        }
    }
    // A quote left open swallows the rest of the file into one field: the csv reader accepts
    // it, so look for a field that spans lines where no field should.
    for row in &rows {
        if let Some((col, Raw::Text(t))) = row
            .cells
            .iter()
            .enumerate()
            .find(|(_, c)| matches!(c, Raw::Text(t) if t.contains('\n')))
        {
            problems.push(Problem {
                severity: Severity::Error,
                file: file.clone(),
                sheet: Some(sheet.clone()),
                cell: Some(format!("{}{}", column_letters(col as u32), row.number)),
                found: Some(t.chars().take(40).collect()),
                message: "a field runs over several lines: is a quote (\") left open?".to_owned(),
            });
            return None;
        }
    }
    Some(Table {
        file,
        sheet,
        headers,
        header_row,
        rows,
        first_column: 0,
        streamed: None,
        by_line: false,
    })
}

/// How many times `byte` occurs in `bytes`.
fn memchr_count(bytes: &[u8], byte: u8) -> usize {
    memchr::memchr_iter(byte, bytes).count()
}

/// Finds the line each CSV record starts on, counting newlines only once as the file is read
/// (records come in order), so reading a file is linear in its size: counting from the start
/// for every record made 100,000 rows take 102 s.
///
/// The csv crate skips blank lines, so a record's index is not its line, and its
/// `Position::line` after blank lines is wrong (rust-csv issue 208); its byte offset can point at
/// the blank lines before it, but a record never starts on a blank line: its line is the first
/// non-blank line at or after that offset.
#[derive(Debug, Default)]
pub struct LineCounter {
    /// The byte offset counted up to.
    at: usize,
    /// The newlines before `at`.
    newlines: usize,
}

impl LineCounter {
    /// The 1-based line `record` starts on, in `bytes` (the whole file). Records must be given
    /// in the order read.
    pub fn record_line(&mut self, bytes: &[u8], record: &csv::StringRecord) -> Option<u32> {
        self.line_at(bytes, usize::try_from(record.position()?.byte()).ok()?)
    }

    /// The 1-based line of the first non-blank line at or after byte `start`.
    pub fn line_at(&mut self, bytes: &[u8], start: usize) -> Option<u32> {
        let mut at = start;
        loop {
            match bytes.get(at..) {
                Some([b'\n', ..]) => at += 1,
                Some([b'\r', b'\n', ..]) => at += 2,
                Some(_) => break,
                None => return None,
            }
        }
        if at < self.at {
            // Not in order: count from the start (never for the csv reader's records).
            self.at = 0;
            self.newlines = 0;
        }
        self.newlines += memchr_count(bytes.get(self.at..at)?, b'\n');
        self.at = at;
        u32::try_from(self.newlines + 1).ok()
    }
}

/// A reader that notes, as the bytes go by, where each non-blank line starts and its number:
/// a streamed CSV record's line is then known without holding the file (see [`LineCounter`]
/// for why the csv crate's own line is not used). Only the starts not yet passed are kept,
/// never more than the csv reader's buffer holds.
struct LineStarts<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// The number of the line being read (1-based).
    line: u32,
    /// The next byte begins a line.
    at_line_start: bool,
    /// (byte offset, line number) of each non-blank line start not yet passed.
    starts: std::collections::VecDeque<(u64, u32)>,
}

impl<R: std::io::Read> std::io::Read for LineStarts<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let bytes = &buf[..n];
        let mut i = 0;
        while i < bytes.len() {
            if self.at_line_start {
                match bytes[i] {
                    b'\n' => self.line = self.line.saturating_add(1),
                    b'\r' => {}
                    _ => {
                        self.starts.push_back((self.offset + i as u64, self.line));
                        self.at_line_start = false;
                    }
                }
                i += 1;
                continue;
            }
            // Inside a line: on to its end.
            match memchr::memchr(b'\n', &bytes[i..]) {
                Some(at) => {
                    self.line = self.line.saturating_add(1);
                    self.at_line_start = true;
                    i += at + 1;
                }
                None => break,
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl<R> LineStarts<R> {
    /// The line of the record starting at byte `start` (records in the order read): the first
    /// non-blank line at or after it.
    fn line_of(&mut self, start: u64) -> Option<u32> {
        while self.starts.front().is_some_and(|(at, _)| *at < start) {
            self.starts.pop_front();
        }
        self.starts.front().map(|(_, line)| *line)
    }
}

/// A CSV file read one record at a time: the file is never held whole, line numbers are
/// tracked as it is read, and every record is checked as [`read_csv_table`] checks a table.
struct CsvStream {
    reader: csv::Reader<LineStarts<std::fs::File>>,
    record: csv::ByteRecord,
    file: String,
    /// The sheet its rows are located in, or none: by line (see [`Table::by_line`]).
    sheet: Option<String>,
    delimiter: u8,
    /// The header's width, once read.
    width: usize,
}

impl CsvStream {
    /// Opens `path` and reads its header row, as (stream, headers, header line).
    fn open(
        path: &Path,
        sheet: Option<&str>,
        problems: &mut Problems,
    ) -> Option<(CsvStream, Vec<String>, u32)> {
        use std::io::{BufRead, Read};
        let file = path.display().to_string();
        let opened = std::fs::File::open(path).and_then(|f| {
            // The delimiter, from the first line (at most 64 KiB of it).
            let mut first = Vec::new();
            std::io::BufReader::new(f)
                .take(64 * 1024)
                .read_until(b'\n', &mut first)?;
            Ok((first, std::fs::File::open(path)?))
        });
        let (first, inner) = match opened {
            Ok(o) => o,
            Err(e) => {
                problems.file_error(&file, format!("cannot be read: {e}"));
                return None;
            }
        };
        let count = |c: u8| first.iter().filter(|&&b| b == c).count();
        let delimiter = if count(b';') > count(b',') {
            b';'
        } else {
            b','
        };
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(LineStarts {
                inner,
                offset: 0,
                line: 1,
                at_line_start: true,
                starts: std::collections::VecDeque::new(),
            });
        let mut stream = CsvStream {
            reader,
            record: csv::ByteRecord::new(),
            file,
            sheet: sheet.map(str::to_owned),
            delimiter,
            width: 0,
        };
        let mut row = Row {
            number: 1,
            cells: Vec::new(),
        };
        match stream.next(&mut row, problems)? {
            true => {
                let headers: Vec<String> = row.cells.iter().map(Raw::shown).collect();
                stream.width = headers.len();
                Some((stream, headers, row.number))
            }
            false => Some((stream, Vec::new(), 1)),
        }
    }

    /// A problem at `line` of the file (at the cell of `column` in it, when known), in the
    /// sheet or, for a table located by line, at the line of the file, as the rows of a
    /// transactions file. What is found in a user register is never shown (R4).
    fn problem(&self, line: u64, column: Option<usize>, message: String) -> Problem {
        let cell = match (&self.sheet, column) {
            (Some(_), Some(c)) => format!("{}{line}", column_letters(c as u32)),
            _ => line.to_string(),
        };
        Problem {
            severity: Severity::Error,
            file: self.file.clone(),
            sheet: self.sheet.clone(),
            cell: Some(cell),
            found: None,
            message,
        }
    }

    /// Reads the next row that holds something into `row`: `Some(false)` at the end of the
    /// file, `None` after a problem that stops the reading (said in `problems`). A row wider than
    /// the header is an error and is left out, as in [`read_csv_table`].
    fn next(&mut self, row: &mut Row, problems: &mut Problems) -> Option<bool> {
        loop {
            let read = self.reader.read_byte_record(&mut self.record);
            let start = self.record.position().map_or(0, csv::Position::byte);
            let number = self.reader.get_mut().line_of(start);
            match read {
                Ok(false) => return Some(false),
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(0, csv::Position::line);
                    // A file located by line names the line in its place already.
                    let message = match self.sheet {
                        Some(_) => format!("not valid CSV on line {line} ({e})"),
                        None => format!("not valid CSV ({e})"),
                    };
                    problems.push(self.problem(line, None, message));
                    return None;
                }
            }
            let number = number.unwrap_or(1);
            row.number = number;
            // The cells' strings are reused from row to row: no allocation per cell.
            let mut used = 0;
            for (col, field) in self.record.iter().enumerate() {
                let field = if number == 1 {
                    field.strip_prefix(b"\xef\xbb\xbf").unwrap_or(field)
                } else {
                    field
                };
                let text = match std::str::from_utf8(field) {
                    Ok(t) => t,
                    Err(e) => {
                        problems.push(Problem {
                            severity: Severity::Error,
                            file: self.file.clone(),
                            sheet: None,
                            cell: None,
                            found: None,
                            message: format!(
                                "is not UTF-8 text, expected a CSV file saved as UTF-8: line \
                                 {number} holds the byte 0x{:02X} (saved as Windows-1252 or \
                                 Latin-1? save it again as \"CSV UTF-8\")",
                                field.get(e.valid_up_to()).copied().unwrap_or(0)
                            ),
                        });
                        return None;
                    }
                };
                // A quote left open swallows the rest of the file into one field.
                if text.contains('\n') {
                    let message = match self.sheet {
                        Some(_) => "a field runs over several lines".to_owned(),
                        None => format!(
                            "the field of column {} runs over several lines",
                            column_letters(col as u32)
                        ),
                    };
                    problems.push(self.problem(
                        number.into(),
                        Some(col),
                        format!("{message}: is a quote (\") left open?"),
                    ));
                    return None;
                }
                let cell = if text.trim().is_empty() {
                    Raw::Empty
                } else {
                    match row.cells.get_mut(col) {
                        Some(Raw::Text(old)) => {
                            let mut t = std::mem::take(old);
                            t.clear();
                            t.push_str(text);
                            Raw::Text(t)
                        }
                        _ => Raw::Text(text.to_owned()),
                    }
                };
                match row.cells.get_mut(col) {
                    Some(slot) => *slot = cell,
                    None => row.cells.push(cell),
                }
                used = col + 1;
            }
            row.cells.truncate(used);
            if self.width == 0 && row.cells.is_empty() {
                continue;
            }
            if self.width == 0 {
                return Some(true);
            }
            let filled = row
                .cells
                .iter()
                .rposition(|c| *c != Raw::Empty)
                .map_or(0, |p| p + 1);
            if filled == 0 {
                continue;
            }
            if filled > self.width {
                problems.push(self.problem(
                    number.into(),
                    None,
                    format!(
                        "{}{filled} fields, the header has {}: {}",
                        match self.sheet {
                            Some(_) => format!("line {number} has "),
                            None => "the line has ".to_owned(),
                        },
                        self.width,
                        if self.delimiter == b',' {
                            "a decimal comma (1234,50) splits a field in a comma-separated file; \
                             separate the fields with ; or quote the number (\"1234,50\")"
                        } else {
                            "is a ; inside a field? quote the field"
                        }
                    ),
                ));
                continue;
            }
            return Some(true);
        }
    }
}

/// A table of a CSV file whose rows are not held but streamed by [`stream_rows`]: only its
/// header is read here. `sheet` is the table's name (`Users` for the user register).
pub fn csv_header_table(path: &Path, sheet: &str, problems: &mut Problems) -> Option<Table> {
    let (_, headers, header_row) = CsvStream::open(path, Some(sheet), problems)?;
    Some(Table {
        file: path.display().to_string(),
        sheet: sheet.to_owned(),
        headers,
        header_row,
        rows: Vec::new(),
        first_column: 0,
        streamed: Some(path.to_owned()),
        by_line: false,
    })
}

/// Calls `each` with every data row of `table`, in order: its held rows, or for a streamed
/// table each row as it is read from its file (one row alive at a time). A fault that stops the
/// reading (not CSV, not UTF-8, a quote left open) is a problem at its line.
pub fn stream_rows(
    table: &Table,
    problems: &mut Problems,
    mut each: impl FnMut(&Table, &Row, &mut Problems),
) {
    let Some(path) = &table.streamed else {
        for row in &table.rows {
            each(table, row, problems);
        }
        return;
    };
    let Some((mut stream, _, _)) = CsvStream::open(
        path,
        (!table.by_line).then_some(table.sheet.as_str()),
        problems,
    ) else {
        return;
    };
    let mut row = Row {
        number: 0,
        cells: Vec::new(),
    };
    while let Some(true) = stream.next(&mut row, problems) {
        each(table, &row, problems);
    }
}

/// About how many data rows `table` has, to size what is read from it once: its rows, or for a
/// streamed table its file's length over the mean length of its first lines (up to 64 KiB of
/// them). Too many costs only address space (pages never written are never touched); too few,
/// growing as before.
pub fn expected_rows(table: &Table) -> usize {
    use std::io::Read;
    let Some(path) = &table.streamed else {
        return table.rows.len();
    };
    let Ok(file) = std::fs::File::open(path) else {
        return 0;
    };
    let length = file.metadata().map_or(0, |m| m.len());
    let mut head = Vec::with_capacity(64 * 1024);
    if file.take(64 * 1024).read_to_end(&mut head).is_err() {
        return 0;
    }
    let lines = memchr_count(&head, b'\n');
    if head.len() as u64 >= length {
        return lines + 1;
    }
    if lines == 0 {
        return 0;
    }
    // The mean line of the head, and a twentieth more for shorter lines further on.
    // No row is shorter than 8 bytes (a party, a user and an ISO date).
    let estimate = length / (head.len() / lines).max(8) as u64;
    usize::try_from(estimate + estimate / 20 + 16).unwrap_or(0)
}

/// A spreadsheet number as the decimal of its 15 significant digits, or `None` if it is not
/// finite.
pub fn float_decimal(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    let text = format!("{value:.14e}");
    Decimal::from_scientific(&text).ok().map(|d| d.normalize())
}

/// An Excel serial day number (1900 date system) as a date, if it is a whole day in range.
pub fn excel_date(serial: f64) -> Option<NaiveDate> {
    let days = float_decimal(serial)?;
    if !days.fract().is_zero() || days < Decimal::ONE || days > Decimal::from(2_958_465) {
        return None;
    }
    let days: i64 = days.try_into().ok()?;
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::Duration::days(days))
}

/// The day of a date cell, with the workbook's date system (1900 or 1904) and Excel's 1900
/// leap-year bug handled by calamine; `None` for a time of day or a serial out of range.
pub fn datetime_day(d: &calamine::ExcelDateTime) -> Option<NaiveDate> {
    let serial = d.as_f64();
    if !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    let (y, m, day, h, min, sec, ms) = d.to_ymd_hms_milli();
    if (h, min, sec, ms) != (0, 0, 0, 0) {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(day))
}

/// The serial numbers of the days a plain number cell may be taken for: 1950-01-01 to
/// 2200-12-31. A number such as `2011` in a date column is a year typed as a number, not the
/// 1905 date it would make.
pub const PLAUSIBLE_DATE_SERIALS: std::ops::RangeInclusive<f64> = 18_264.0..=109_939.0;

/// Parses a number written as text, in Swedish (`1 234 567,50`) or plain (`1234567.50`) form.
/// A text that could be read two ways (`150.000`) is refused: see [`parse_number_text`].
pub fn parse_decimal_text(text: &str) -> Option<Decimal> {
    parse_number_text(text)
        .filter(|n| !n.ambiguous)
        .map(|n| n.value)
}

/// A number read from text, with how it was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumberText {
    /// The value.
    pub value: Decimal,
    /// The decimals as written (`10,50` has 2), before any trailing zero is dropped.
    pub decimals: u32,
    /// True for a lone dot followed by exactly three digits (`150.000`, `1.500`): the dot may be
    /// a thousands separator, as many write it, so the text is read as nothing.
    pub ambiguous: bool,
}

/// Parses a number written as text: digits with an optional sign and one decimal comma or dot;
/// spaces (also non-breaking) group thousands and a trailing `kr` is allowed. Exponents (`1e5`)
/// and underscores (`1_000`) are not numbers a finance officer writes, and are refused.
pub fn parse_number_text(text: &str) -> Option<NumberText> {
    let mut t: String = text
        .trim()
        .trim_end_matches("kr")
        .trim_end_matches(':')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect();
    t = t.replace('\u{2212}', "-");
    // A comma is always a decimal comma; a dot is one unless it could group thousands.
    let dot_is_decimal = t.contains(',');
    if t.contains(',') {
        if t.contains('.') {
            return None;
        }
        t = t.replace(',', ".");
    }
    if t.is_empty() || t.starts_with('.') || t.ends_with('.') {
        return None;
    }
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(&t);
    if !unsigned.chars().all(|c| c.is_ascii_digit() || c == '.') || unsigned.starts_with('.') {
        return None;
    }
    let (whole, decimals) = match unsigned.split_once('.') {
        Some((w, d)) if !d.contains('.') => (w, d.len() as u32),
        Some(_) => return None,
        None => (unsigned, 0),
    };
    let ambiguous = !dot_is_decimal && decimals == 3 && !whole.trim_start_matches('0').is_empty();
    let value = t.parse::<Decimal>().ok()?.normalize();
    Some(NumberText {
        value,
        decimals,
        ambiguous,
    })
}

/// Parses a date written as text: ISO `YYYY-MM-DD` (a time part after it is refused).
pub fn parse_date_text(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    // The common form, ten digits and dashes, read directly: chrono's format parser was a
    // tenth of reading a register of millions of rows. Anything else (a one-digit month, a
    // sign, a day that does not exist) goes to chrono, so what is accepted is unchanged.
    if let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = *text.as_bytes() {
        let digits = [y1, y2, y3, y4, m1, m2, d1, d2];
        if digits.iter().all(u8::is_ascii_digit) {
            let n = |d: &[u8]| d.iter().fold(0u32, |n, &b| n * 10 + u32::from(b - b'0'));
            let year = n(&digits[..4]) as i32;
            if let Some(day) = NaiveDate::from_ymd_opt(year, n(&digits[4..6]), n(&digits[6..])) {
                return Some(day);
            }
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Amounts are below this many kronor in size (see [`CellRef::money`]).
pub const MAX_MONEY_KRONOR: i64 = 10_000_000_000_000;

/// The years a date of the agreement may fall in. A far-future placeholder (`9999-07-01`) as a
/// due date made `check` compute every half-year up to it: 80 s and 2.3 GB.
pub const DATE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// The problem of a date in `year`, outside [`DATE_YEARS`]: after them, a far-future
/// placeholder; below 100, most likely a year written with two digits (`12-07-01` reads as the
/// year 12); in between, a typo in the year (`1011`, `201`), asked to be checked.
pub fn beyond_years(what: &str, year: i32) -> String {
    let why = if (0..100).contains(&year) {
        "is the year written with two digits? (12-07-01 is read as the year 12)"
    } else if year < *DATE_YEARS.start() {
        "check the year"
    } else {
        "a far-future placeholder such as 9999-12-31 is not a billing date (an end date of \
         9999 reads as no end; elsewhere leave the cell empty or write the real date)"
    };
    format!(
        "{what} must be a date from {} to {}: {why}",
        DATE_YEARS.start(),
        DATE_YEARS.end()
    )
}

/// A place name (`Users!A1234567`) built without a heap allocation when it fits 48 bytes.
struct PlaceBuffer {
    bytes: [u8; 48],
    len: usize,
    /// The text, once it does not fit.
    long: Option<Vec<u8>>,
}

impl Default for PlaceBuffer {
    fn default() -> PlaceBuffer {
        PlaceBuffer {
            bytes: [0; 48],
            len: 0,
            long: None,
        }
    }
}

impl PlaceBuffer {
    fn push(&mut self, more: &[u8]) {
        if let Some(long) = &mut self.long {
            long.extend_from_slice(more);
            return;
        }
        match self.bytes.get_mut(self.len..self.len + more.len()) {
            Some(room) => {
                room.copy_from_slice(more);
                self.len += more.len();
            }
            None => {
                let mut long = self.bytes[..self.len].to_vec();
                long.extend_from_slice(more);
                self.long = Some(long);
            }
        }
    }

    /// The text: whole UTF-8 pieces were pushed, so it is UTF-8.
    fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.long.as_deref().unwrap_or(&self.bytes[..self.len]))
    }
}

/// A cell being read, for typed access with located problems.
pub struct CellRef<'a> {
    /// The table.
    pub table: &'a Table,
    /// The row.
    pub row: &'a Row,
    /// The column index.
    pub column: usize,
}

impl CellRef<'_> {
    /// The raw content.
    pub fn raw(&self) -> &Raw {
        self.row.cells.get(self.column).unwrap_or(&Raw::Empty)
    }

    /// The cell's name, e.g. `C7`.
    pub fn name(&self) -> String {
        self.table.cell_name(self.row.number, self.column)
    }

    /// The place for explanations: `Sheet!C7`.
    pub fn source(&self) -> SourceRef {
        // Made on the stack when it fits (a register has a source per row): no heap string
        // per row before the reference is made.
        let mut place = PlaceBuffer::default();
        self.place_pieces(|piece| place.push(piece.as_bytes()));
        SourceRef::new(&place.text())
    }

    /// The place as text (`Sheet!C7`, as [`CellRef::source`]), made in one string of its size:
    /// every cell of every party is named (see `PartyInfo::cells`).
    pub fn source_text(&self) -> String {
        let mut text = String::with_capacity(self.table.sheet.len() + 12);
        self.place_pieces(|piece| text.push_str(piece));
        text
    }

    /// The pieces of the place, in order: the sheet, `!`, the column's letters, the row.
    fn place_pieces(&self, mut push: impl FnMut(&str)) {
        push(&self.table.sheet);
        push("!");
        match u32::try_from(self.column) {
            Ok(c) if c < 26 && self.table.first_column == 0 => {
                let letter = [b'A' + c as u8];
                push(std::str::from_utf8(&letter).unwrap_or_default());
            }
            Ok(c) if c < 16_384 => push(&column_letters(self.table.first_column + c)),
            _ => {}
        }
        let mut digits = [0u8; 10];
        let mut n = self.row.number;
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        push(std::str::from_utf8(&digits[at..]).unwrap_or_default());
    }

    /// A problem at this cell.
    pub fn problem(
        &self,
        severity: Severity,
        message: impl Into<String>,
        show_value: bool,
    ) -> Problem {
        let (sheet, cell) = self.table.place(self.row.number, self.column);
        Problem {
            severity,
            file: self.table.file.clone(),
            // Not in a user register: `Problems::push` leaves out what is found there (R4).
            found: show_value.then(|| self.raw().shown()),
            sheet,
            cell,
            message: message.into(),
        }
    }

    fn error(&self, problems: &mut Problems, message: impl Into<String>) {
        let show = !matches!(self.raw(), Raw::Empty);
        problems.push(self.problem(Severity::Error, message, show));
    }

    /// True when the cell is empty.
    pub fn is_empty(&self) -> bool {
        matches!(self.raw(), Raw::Empty)
    }

    /// Text, or `None` when empty. Numbers are shown as they read.
    pub fn text(&self, problems: &mut Problems, what: &str) -> Option<String> {
        match self.raw() {
            Raw::Empty => None,
            Raw::Error(_) => {
                self.error(problems, format!("{what} must be text, not an error value"));
                None
            }
            raw => {
                let shown = raw.shown();
                let text = shown.trim();
                // rust_xlsxwriter writes a text of this form into overview.xlsx, audit.xlsx and
                // the year report as raw rich-text XML, not as text: the workbook would break
                // or show something else.
                if text.starts_with("<r>") && text.ends_with("</r>") {
                    self.error(
                        problems,
                        format!(
                            "{what} may not start with <r> and end with </r>: spreadsheets read \
                             such a text as markup, not as text"
                        ),
                    );
                    return None;
                }
                Some(text.to_owned())
            }
        }
    }

    /// The cell as a number, with its decimals as written; `None` (and no problem) when empty.
    /// A problem for anything else that is not a number, or that reads two ways.
    fn number(
        &self,
        problems: &mut Problems,
        what: &str,
        allow_ambiguous: bool,
    ) -> Option<NumberText> {
        let value = match self.raw() {
            Raw::Empty => return None,
            Raw::Int(i) => Some(NumberText {
                value: Decimal::from(*i),
                decimals: 0,
                ambiguous: false,
            }),
            Raw::Float(f) => float_decimal(*f).map(|value| NumberText {
                value,
                decimals: value.scale(),
                ambiguous: false,
            }),
            Raw::Text(t) => parse_number_text(t),
            _ => None,
        };
        match value {
            None => {
                self.error(problems, format!("{what} must be a number"));
                None
            }
            Some(n) if n.ambiguous && !allow_ambiguous => {
                self.ambiguous(problems, what);
                None
            }
            Some(n) => Some(n),
        }
    }

    fn ambiguous(&self, problems: &mut Problems, what: &str) {
        self.error(
            problems,
            format!(
                "{what} is ambiguous: a dot before three digits may group thousands; write \
                 150 000 or 150000 for a whole number, 150,000 for a decimal"
            ),
        );
    }

    /// A decimal number.
    pub fn decimal(&self, problems: &mut Problems, what: &str) -> Option<Decimal> {
        self.number(problems, what, false).map(|n| n.value)
    }

    /// An amount of money: a number with at most two decimals, as written, below 10^15 in size
    /// and with at most 15 significant digits (what a spreadsheet cell holds exactly).
    pub fn money(&self, problems: &mut Problems, what: &str) -> Option<Money> {
        let n = self.number(problems, what, true)?;
        let too_many_decimals = n.decimals > 2 || n.value.normalize().scale() > 2;
        if n.ambiguous && n.value.normalize().scale() <= 2 {
            self.ambiguous(problems, what);
            return None;
        }
        if too_many_decimals {
            self.error(
                problems,
                format!("{what} must be an amount with at most 2 decimals (öre)"),
            );
            return None;
        }
        // Every share of an amount is written to the öre in spreadsheets, which hold 15
        // significant digits exactly: 13 before the decimal comma. A larger amount passed check
        // and failed when the invoices were written.
        if n.value.abs() >= Decimal::from(MAX_MONEY_KRONOR) {
            self.error(
                problems,
                format!(
                    "{what} must be an amount below 10^13 kr in size: a spreadsheet cannot hold \
                     a larger amount exactly to the öre"
                ),
            );
            return None;
        }
        let significant = n
            .value
            .normalize()
            .mantissa()
            .unsigned_abs()
            .to_string()
            .len();
        if significant > 15 && Money::exact(n.value).is_ok() {
            self.error(
                problems,
                format!(
                    "{what} has {significant} significant digits: a spreadsheet holds at most 15 \
                     exactly"
                ),
            );
            return None;
        }
        match Money::exact(n.value) {
            Ok(m) => Some(m),
            Err(_) => {
                self.error(problems, format!("{what} must be an amount within ±10^15"));
                None
            }
        }
    }

    /// A whole number of at least `min`.
    pub fn whole(&self, problems: &mut Problems, what: &str, min: u64) -> Option<u64> {
        let value = match self.raw() {
            Raw::Empty => return None,
            Raw::Int(i) => Some(Decimal::from(*i)),
            Raw::Float(f) => float_decimal(*f),
            Raw::Text(t) => match parse_number_text(t) {
                Some(n) if n.ambiguous => {
                    self.ambiguous(problems, what);
                    return None;
                }
                n => n.map(|n| n.value),
            },
            _ => None,
        };
        let whole = value
            .filter(|d| d.fract().is_zero())
            .and_then(|d| u64::try_from(d).ok())
            .filter(|n| *n >= min);
        if whole.is_none() {
            self.error(
                problems,
                format!("{what} must be a whole number of at least {min}"),
            );
        }
        whole
    }

    /// A date: an Excel date, or ISO text, from 1900 to 2200 (see [`DATE_YEARS`]).
    pub fn date(&self, problems: &mut Problems, what: &str) -> Option<NaiveDate> {
        let day = self.any_date(problems, what)?;
        if !DATE_YEARS.contains(&chrono::Datelike::year(&day)) {
            self.error(problems, beyond_years(what, chrono::Datelike::year(&day)));
            return None;
        }
        Some(day)
    }

    /// The last day of something (`last_day`, `valid_to`): a date as [`CellRef::date`], or a
    /// day of the year 9999 — the usual "no end" of exports (9999-12-31) — which is read as no
    /// end, `Some(None)`. `None` when the cell is not a date (the problem is recorded).
    pub fn end_date(&self, problems: &mut Problems, what: &str) -> Option<Option<NaiveDate>> {
        if self.is_empty() {
            return Some(None);
        }
        let day = self.any_date(problems, what)?;
        if chrono::Datelike::year(&day) == 9999 {
            return Some(None);
        }
        if !DATE_YEARS.contains(&chrono::Datelike::year(&day)) {
            self.error(problems, beyond_years(what, chrono::Datelike::year(&day)));
            return None;
        }
        Some(Some(day))
    }

    fn any_date(&self, problems: &mut Problems, what: &str) -> Option<NaiveDate> {
        let number = match self.raw() {
            Raw::Empty => return None,
            Raw::Date { day, .. } => {
                if day.is_none() {
                    self.error(problems, format!("{what} must be a date (a whole day)"));
                }
                return *day;
            }
            Raw::Float(serial) => Some(*serial),
            Raw::Int(i) => Some(*i as f64),
            Raw::Text(t) => {
                let value = parse_date_text(t);
                if value.is_none() {
                    self.error(problems, format!("{what} must be a date (YYYY-MM-DD)"));
                }
                return value;
            }
            _ => None,
        };
        // A plain number is taken for a date serial only within a plausible range.
        let value = number
            .filter(|n| PLAUSIBLE_DATE_SERIALS.contains(n))
            .and_then(excel_date);
        if value.is_none() {
            self.error(
                problems,
                format!(
                    "{what} must be a date (YYYY-MM-DD or a date cell){}",
                    if number.is_some() {
                        "; a number is not a date"
                    } else {
                        ""
                    }
                ),
            );
        }
        value
    }

    /// Yes or no: `yes`/`ja`/`true`/`1`/`x` or `no`/`nej`/`false`/`0`.
    pub fn yes_no(&self, problems: &mut Problems, what: &str) -> Option<bool> {
        let value = match self.raw() {
            Raw::Empty => return None,
            Raw::Bool(b) => Some(*b),
            Raw::Int(1) => Some(true),
            Raw::Int(0) => Some(false),
            // A number cell, as CSV's "1" and "0" are text: xlsx and CSV agree.
            Raw::Float(f) if *f == 1.0 => Some(true),
            Raw::Float(f) if *f == 0.0 => Some(false),
            Raw::Text(t) => match t.trim().to_lowercase().as_str() {
                "yes" | "ja" | "true" | "sant" | "1" | "x" => Some(true),
                "no" | "nej" | "false" | "falskt" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        };
        if value.is_none() {
            self.error(problems, format!("{what} must be yes or no"));
        }
        value
    }

    /// Records that the cell is required and empty.
    pub fn required(&self, problems: &mut Problems, what: &str) {
        let hint = if self.table.file.ends_with(".csv") {
            ""
        } else {
            " (a formula without a saved result reads as empty)"
        };
        problems.push(self.problem(
            Severity::Error,
            format!("{what} is required, the cell is empty{hint}"),
            false,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn float_cells_lose_their_binary_noise() {
        // 0.1 + 0.2 as a double, as a spreadsheet keeps a computed cell.
        let noisy = "0.30000000000000004".parse::<f64>().unwrap();
        assert_eq!(float_decimal(noisy), Some(dec!(0.3)));
        assert_eq!(
            float_decimal("1234567.5".parse().unwrap()),
            Some(dec!(1234567.5))
        );
        assert_eq!(float_decimal(f64::NAN), None);
    }

    #[test]
    fn swedish_and_plain_numbers() {
        assert_eq!(parse_decimal_text("1 234 567,50"), Some(dec!(1234567.5)));
        assert_eq!(parse_decimal_text("1\u{a0}234,5 kr"), Some(dec!(1234.5)));
        assert_eq!(parse_decimal_text("\u{2212}12"), Some(dec!(-12)));
        assert_eq!(parse_decimal_text("1234.50"), Some(dec!(1234.5)));
        assert_eq!(parse_decimal_text("1.234,50"), None);
        assert_eq!(parse_decimal_text("0.125"), Some(dec!(0.125)));
        assert_eq!(parse_decimal_text("150,000"), Some(dec!(150)));
        assert_eq!(parse_decimal_text("abc"), None);
        assert_eq!(parse_decimal_text(""), None);
    }

    /// `150.000` was read as 150.00 kr and `1.500` as 1.50; `1e5` and `1_000` were numbers.
    #[test]
    fn dotted_thousands_exponents_and_underscores_are_refused() {
        for t in ["150.000", "1.500", "-2.000"] {
            assert!(parse_number_text(t).unwrap().ambiguous, "{t}");
            assert_eq!(parse_decimal_text(t), None, "{t}");
        }
        for t in ["1e5", "1E5", "1_000", "0x10", "1.2.3", "+-1"] {
            assert_eq!(parse_number_text(t), None, "{t}");
        }
        let n = parse_number_text("10,500").unwrap();
        assert_eq!((n.value, n.decimals, n.ambiguous), (dec!(10.5), 3, false));
    }

    #[test]
    fn excel_serial_dates() {
        assert_eq!(excel_date(40179.0), NaiveDate::from_ymd_opt(2010, 1, 1));
        assert_eq!(excel_date(40179.5), None);
        assert_eq!(excel_date(-1.0), None);
    }

    #[test]
    fn identity_numbers_are_masked_in_what_was_found() {
        assert_eq!(mask_identity_numbers("19121212-1212"), "########-####");
        assert_eq!(mask_identity_numbers("a 121212 1212 b"), "a ###### #### b");
        assert_eq!(mask_identity_numbers("121212+1212"), "######+####");
        // An organisation number (month digits 20 or more) is not a person.
        assert_eq!(mask_identity_numbers("212000-1388"), "212000-1388");
        assert_eq!(mask_identity_numbers("123456789"), "123456789");
        assert_eq!(mask_identity_numbers("2011-07-01"), "2011-07-01");
        // Not ids: a date and time, and a huge number, say what they are.
        assert_eq!(
            mask_identity_numbers("2011-07-01 00:00:00"),
            "2011-07-01 00:00:00"
        );
        assert_eq!(mask_identity_numbers("100000000000000000000"), "1e20");
        assert_eq!(mask_identity_numbers("123456789012345"), "1.234e14 (about)");
        assert_eq!(
            mask_identity_numbers("a 191212121212 b"),
            "a ############ b"
        );
        assert_eq!(
            mask_identity_numbers("1234567890.50 kr"),
            "1234567890.50 kr"
        );
    }

    #[test]
    fn nothing_found_in_the_user_register_is_shown() {
        let mut problems = Problems::default();
        for (file, sheet) in [("Users.csv", None), ("x.xlsx", Some("Användarregister"))] {
            problems.push(Problem {
                severity: Severity::Error,
                file: file.to_owned(),
                sheet: sheet.map(str::to_owned),
                cell: None,
                found: Some("abc".to_owned()),
                message: "m".to_owned(),
            });
        }
        assert!(problems.list().iter().all(|p| p.found.is_none()));
    }

    #[test]
    fn date_cells_of_the_1904_system_are_read_as_their_day() {
        use calamine::{ExcelDateTime, ExcelDateTimeType};
        // 2010-01-01 is serial 40179 in the 1900 system and 38717 in the 1904 system.
        let d1900 = Data::DateTime(ExcelDateTime::new(
            40179.0,
            ExcelDateTimeType::DateTime,
            false,
        ));
        let d1904 = Data::DateTime(ExcelDateTime::new(
            38717.0,
            ExcelDateTimeType::DateTime,
            true,
        ));
        for d in [d1900, d1904] {
            assert_eq!(Raw::from_calamine(&d).shown(), "2010-01-01", "{d:?}");
        }
        // A time of day is not a day.
        let t = Data::DateTime(ExcelDateTime::new(
            40179.5,
            ExcelDateTimeType::DateTime,
            false,
        ));
        assert!(matches!(
            Raw::from_calamine(&t),
            Raw::Date { day: None, .. }
        ));
    }

    /// A table whose header sits below row 1 named its header cells as row 1.
    #[test]
    fn the_header_row_is_the_first_row_holding_cells() {
        let text = |t: &str| Raw::Text(t.to_owned());
        let cells = vec![
            (2, 1, text("id")),
            (2, 2, text("name")),
            (4, 1, text("a")),
            (4, 2, text("A")),
        ];
        let mut problems = Problems::default();
        let t = table_from_cells("f.xlsx", "Parties", cells, &mut problems);
        assert_eq!((t.header_row, t.headers.len()), (3, 2));
        assert_eq!(t.cell_name(t.header_row, 1), "C3");
        assert_eq!(t.rows[0].number, 5);
        assert!(problems.list().is_empty());
    }

    /// Line numbers counted as the file is read agree with counting from the start.
    #[test]
    fn line_numbers_are_counted_once() {
        let text = "a,b\n\n1,2\r\n\r\n3,4\n\"x\ny\",5\n6,7\n";
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut lines = LineCounter::default();
        let got: Vec<u32> = reader
            .records()
            .map(|r| lines.record_line(text.as_bytes(), &r.unwrap()).unwrap())
            .collect();
        assert_eq!(got, vec![1, 3, 5, 6, 8]);
    }

    /// Line starts noted as the bytes go by, however the reads cut the lines, agree with
    /// counting from the start.
    #[test]
    fn line_starts_are_found_across_reads() {
        /// Hands out at most three bytes per read.
        struct Dribble<'a>(&'a [u8]);
        impl std::io::Read for Dribble<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(3).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let text = "a,b\n\n1,2\r\n\r\n3,4\n\"x\ny\",5\n6,7\n";
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(LineStarts {
                inner: Dribble(text.as_bytes()),
                offset: 0,
                line: 1,
                at_line_start: true,
                starts: std::collections::VecDeque::new(),
            });
        let mut record = csv::ByteRecord::new();
        let mut got = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let start = record.position().unwrap().byte();
            got.push(reader.get_mut().line_of(start).unwrap());
        }
        assert_eq!(got, vec![1, 3, 5, 6, 8]);
    }

    /// A streamed table's rows are estimated from its file's length and its first lines: a
    /// small file is counted, a large one estimated a little above its count.
    #[test]
    fn expected_rows_of_a_streamed_table() {
        let dir = tempfile::tempdir().unwrap();
        let table = |path: &std::path::Path| Table {
            file: path.display().to_string(),
            sheet: "Users".to_owned(),
            headers: Vec::new(),
            header_row: 1,
            rows: Vec::new(),
            first_column: 0,
            streamed: Some(path.to_owned()),
            by_line: false,
        };
        let small = dir.path().join("small.csv");
        std::fs::write(&small, "party,user_id\n0114,a\n0115,b\n").unwrap();
        assert_eq!(expected_rows(&table(&small)), 4);
        let large = dir.path().join("large.csv");
        let mut text = String::from("party,user_id,first_day\n");
        for i in 0..20_000 {
            text.push_str(&format!("0114,0114-u{i:07},2016-01-01\n"));
        }
        std::fs::write(&large, &text).unwrap();
        let estimate = expected_rows(&table(&large));
        assert!((20_001..=21_500).contains(&estimate), "{estimate}");
    }

    #[test]
    fn column_names() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
    }
}
