//! The transactions file reader on small files: both formats, bad rows with their line numbers
//! up to a limit and "and N more", byte ranges split at every possible place and read by
//! several threads, random bytes (no panic), and the command line's exit codes and output.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use billing_core::transactions::{Kind, Tally};
use billing_core::PartyId;
use billing_report::transactions::reader::{
    read_file, Catalog, ReadError, ReadOptions, Transactions,
};
use proptest::prelude::*;

/// A file in the temporary folder, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, content: &[u8]) -> TempFile {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "billing-report-transactions-{}-{n}-{name}",
            std::process::id()
        ));
        std::fs::write(&path, content).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn catalog() -> Catalog {
    Catalog::new(
        ["0191", "0114", "region-01"]
            .iter()
            .map(|p| PartyId::new(p).unwrap())
            .collect(),
        ["login", "signature", "sms"]
            .iter()
            .map(|k| Kind::new(k).unwrap())
            .collect(),
    )
}

fn options(threads: usize, buffer: usize, max_errors: usize) -> ReadOptions {
    ReadOptions {
        threads,
        max_errors,
        max_months: 24,
        buffer,
        min_range: 1,
    }
}

fn read(content: &str, opts: &ReadOptions) -> Result<Transactions, ReadError> {
    let file = TempFile::new("read.csv", content.as_bytes());
    read_file(&file.0, &catalog(), opts, &AtomicU64::new(0))
}

fn tally(content: &str, opts: &ReadOptions) -> Tally {
    match read(content, opts) {
        Ok(Transactions::Rows(t)) => t,
        other => panic!("expected rows, got {other:?}"),
    }
}

fn per_month(t: &Tally) -> Vec<String> {
    t.per_month()
        .unwrap()
        .iter()
        .map(|(m, p, k, n)| {
            format!(
                "{} {} {} {n}",
                m.format("%Y-%m"),
                t.parties()[*p],
                t.kinds()[*k]
            )
        })
        .collect()
}

/// The message of a read that must fail, with the temporary path replaced by `FILE`.
fn error(content: &str, opts: &ReadOptions) -> String {
    let file = TempFile::new("error.csv", content.as_bytes());
    let err = read_file(&file.0, &catalog(), opts, &AtomicU64::new(0)).unwrap_err();
    err.to_string()
        .replace(&file.0.display().to_string(), "FILE")
}

const GOOD: &str = "timestamp,party,kind\n\
    2017-04-01T08:00:00,0191,login\n\
    2017-04-01 08:00:01.5,0114,signature\r\n\
    \n\
    2017-04-30,region-01,sms\n\
    \"2017-05-01T00:00:00\",\"0191\",\"login\"\n\
    2017-05-31T23:59:59,0191,login";

#[test]
fn one_row_per_transaction() {
    let t = tally(GOOD, &options(1, 1 << 16, 20));
    assert_eq!(
        per_month(&t),
        [
            "2017-04 0191 login 1",
            "2017-05 0191 login 2",
            "2017-04 0114 signature 1",
            "2017-04 region-01 sms 1",
        ]
    );
}

#[test]
fn every_split_of_the_file_gives_the_same_counts() {
    let expected = per_month(&tally(GOOD, &options(1, 1 << 16, 20)));
    for threads in 1..=8 {
        for buffer in [64, 65, 80, 127, 4096] {
            let t = tally(GOOD, &options(threads, buffer, 20));
            assert_eq!(per_month(&t), expected, "{threads} threads, {buffer} bytes");
        }
    }
}

#[test]
fn bad_rows_are_listed_with_line_numbers() {
    let content = "timestamp,party,kind\n\
        2017-04-01T08:00:00,0191,login\n\
        2017-02-29T08:00:00,0191,login\n\
        2017-04-01T08:00:00,0999,login\n\
        2017-04-01T08:00:00,0191,fax\n\
        2017-04-01T08:00:00,0191\n\
        2017-04-01T08:00:00,0191,login,extra\n\
        2017-04-01T08:00:00,199001011234,login\n";
    for threads in [1, 3] {
        assert_eq!(
            error(content, &options(threads, 64, 20)),
            "FILE: 6 bad rows\n  \
             FILE:3: bad timestamp \"2017-02-29T08:00:00\"\n  \
             FILE:4: unknown party \"0999\"\n  \
             FILE:5: unknown kind \"fax\"\n  \
             FILE:6: expected 3 fields, found 2\n  \
             FILE:7: expected 3 fields, found 4\n  \
             FILE:8: unknown party (a 12-digit number, not shown)",
            "{threads} threads"
        );
    }
}

#[test]
fn bad_rows_beyond_the_limit_are_counted() {
    let mut content = String::from("timestamp,party,kind\n");
    for i in 0..50 {
        if i % 2 == 0 {
            content.push_str("2017-04-01T08:00:00,0191,login\n");
        } else {
            content.push_str("2017-04-01T08:00:00,0191,fax\n");
        }
    }
    for threads in [1, 2, 4] {
        let message = error(&content, &options(threads, 64, 3));
        assert_eq!(
            message,
            "FILE: 25 bad rows\n  \
             FILE:3: unknown kind \"fax\"\n  \
             FILE:5: unknown kind \"fax\"\n  \
             FILE:7: unknown kind \"fax\"\n  \
             and 22 more",
            "{threads} threads"
        );
    }
}

#[test]
fn a_row_longer_than_the_buffer_is_an_error() {
    let long = "x".repeat(200);
    let content = format!("timestamp,party,kind\n2017-04-01,0191,{long}\n2017-04-01,0191,login\n");
    assert_eq!(
        error(&content, &options(1, 64, 20)),
        "FILE: 1 bad row\n  FILE:2: row is longer than 64 bytes"
    );
}

#[test]
fn a_wrong_header_is_named() {
    assert_eq!(
        error(
            "time,who,what\n2017-04-01,0191,login\n",
            &options(1, 64, 20)
        ),
        "FILE:1: the header must be \"timestamp,party,kind\" or \"party,kind,period,count\", \
         found a first line of 3 fields (not shown)"
    );
    assert!(error("", &options(1, 64, 20)).contains("the header must be"));
}

#[test]
fn too_many_months_is_an_error() {
    let mut opts = options(1, 4096, 20);
    opts.max_months = 1;
    assert_eq!(
        error(
            "timestamp,party,kind\n2017-04-01,0191,login\n2017-05-01,0191,login\n",
            &opts
        ),
        "FILE: the transactions fall in more than 1 distinct months (2017-05 is one too many): \
         split the input by year"
    );
}

#[test]
fn precounted_rows() {
    let content = "party,kind,period,count\n\
        0191,login,2017-04,120\n\
        0114,sms,2017-04-03,7\n\
        0114,sms,2017-04-04..2017-04-10,0\n";
    let Ok(Transactions::Counted(counts)) = read(content, &options(2, 64, 20)) else {
        panic!("expected counts");
    };
    let shown: Vec<String> = counts
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {} {}",
                c.party,
                c.kind,
                c.period,
                c.count,
                c.source
                    .as_ref()
                    .unwrap()
                    .as_str()
                    .rsplit(':')
                    .next()
                    .unwrap()
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            "0191 login 2017-04-01..2017-04-30 120 2",
            "0114 sms 2017-04-03..2017-04-03 7 3",
            "0114 sms 2017-04-04..2017-04-10 0 4",
        ]
    );
    let bad = "party,kind,period,count\n\
        0191,login,2017-13,1\n\
        0191,login,2017-04,-1\n\
        0191,login,2017-04\n\
        9999,login,2017-04,1\n";
    assert_eq!(
        error(bad, &options(1, 64, 2)),
        "FILE: 4 bad rows\n  \
         FILE:2: bad timestamp \"2017-13\"\n  \
         FILE:3: count must be a whole number 0 or above, found \"-1\"\n  \
         and 2 more"
    );
}

/// Rows of (day of 2017 from 0, party 0–2, kind 0–2), written as a file.
fn rows_file(rows: &[(u32, usize, usize)]) -> String {
    let parties = ["0191", "0114", "region-01"];
    let kinds = ["login", "signature", "sms"];
    let start = chrono::NaiveDate::from_ymd_opt(2017, 1, 1).unwrap();
    let mut s = String::from("timestamp,party,kind\n");
    for (d, p, k) in rows {
        let day = start + chrono::Days::new(u64::from(*d));
        s.push_str(&format!("{day}T12:00:00,{},{}\n", parties[*p], kinds[*k]));
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any thread count and buffer size count every row exactly once.
    #[test]
    fn threads_and_buffers_do_not_change_the_counts(
        rows in prop::collection::vec((0u32..365, 0usize..3, 0usize..3), 0..60),
        threads in 1usize..6,
        buffer in 64usize..300,
    ) {
        let content = rows_file(&rows);
        let one = tally(&content, &options(1, 1 << 16, 20));
        let many = tally(&content, &options(threads, buffer, 20));
        prop_assert_eq!(per_month(&one), per_month(&many));
        prop_assert_eq!(many.total(), rows.len() as u128);
    }

    /// Random bytes after either header never panic: they are read or refused with a message.
    #[test]
    fn random_bytes_never_panic(
        header in prop::sample::select(vec!["timestamp,party,kind\n", "party,kind,period,count\n", ""]),
        body in prop::collection::vec(
            prop::sample::select(b"0123456789-:T ,\n\r\"x.login0191sms".to_vec()), 0..300),
        threads in 1usize..4,
    ) {
        let mut content = header.as_bytes().to_vec();
        content.extend_from_slice(&body);
        let file = TempFile::new("fuzz.csv", &content);
        let _ = read_file(&file.0, &catalog(), &options(threads, 64, 5), &AtomicU64::new(0));
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_billing-report"))
}

#[test]
fn the_command_counts_prices_and_exits_1_on_bad_rows() {
    let parties = TempFile::new(
        "parties.csv",
        b"code,name\n0191,Sigtuna\n0114,Upplands Vasby\n",
    );
    let tariffs = TempFile::new(
        "tariffs.csv",
        b"kind,unit_price,valid_from,valid_to\nlogin,0.30,2017-01-01,2017-04-15\n\
          login,0.35,2017-04-16,\nsignature,1.50,2017-01-01,\n",
    );
    let rows = TempFile::new(
        "rows.csv",
        b"timestamp,party,kind\n2017-04-01T08:00:00,0191,login\n2017-04-20T08:00:00,0191,login\n\
          2017-04-20T08:00:00,0114,signature\n",
    );
    let out = bin()
        .args(["transactions", rows.0.to_str().unwrap(), "--parties"])
        .arg(&parties.0)
        .arg("--tariffs")
        .arg(&tariffs.0)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "party,kind,first_day,last_day,count,unit_price,amount\n\
         0114,signature,2017-04-01,2017-04-30,1,1.50,1.50\n\
         0191,login,2017-04-01,2017-04-15,1,0.30,0.30\n\
         0191,login,2017-04-16,2017-04-30,1,0.35,0.35\n"
    );
    // Not a terminal: a summary line and no progress bar.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("3 transactions read in"), "{stderr}");
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "{stderr}"
    );

    let counts = bin()
        .args([
            "--quiet",
            "transactions",
            rows.0.to_str().unwrap(),
            "--kinds",
            "login,signature",
        ])
        .arg("--parties")
        .arg(&parties.0)
        .output()
        .unwrap();
    assert_eq!(counts.status.code(), Some(0));
    assert!(counts.stderr.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&counts.stdout),
        "party,kind,month,count\n0191,login,2017-04,2\n0114,signature,2017-04,1\n"
    );

    let bad = TempFile::new(
        "bad.csv",
        b"timestamp,party,kind\n2017-04-01T08:00:00,0180,login\n2016-04-01T08:00:00,0191,login\n",
    );
    let failed = bin()
        .args(["transactions", bad.0.to_str().unwrap(), "--parties"])
        .arg(&parties.0)
        .arg("--tariffs")
        .arg(&tariffs.0)
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stderr).contains(":2: unknown party \"0180\""));

    let unpriced = TempFile::new(
        "unpriced.csv",
        b"timestamp,party,kind\n2016-04-01T08:00:00,0191,login\n",
    );
    let failed = bin()
        .args(["transactions", unpriced.0.to_str().unwrap(), "--parties"])
        .arg(&parties.0)
        .arg("--tariffs")
        .arg(&tariffs.0)
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&failed.stderr),
        "billing-report: 1 problem\n  party 0191: 1 login transaction(s) on 1 day(s) from \
         2016-04-01 to 2016-04-01 have no valid price\n"
    );
}

/// Regression (A2, R4): a file without a header whose first row holds a personal identity
/// number printed that row in the header error.
#[test]
fn identity_number_in_a_missing_header_is_not_shown() {
    let message = error(
        "2025-01-01T00:00:03,191212121212,login\n",
        &options(1, 64, 20),
    );
    assert_eq!(
        message,
        "FILE:1: the header must be \"timestamp,party,kind\" or \"party,kind,period,count\", \
         found a first line of 3 fields that starts with a digit, like a data row (is the header \
         missing? the line is not shown)"
    );
    assert!(!message.contains("1212"), "{message}");
    assert!(error("", &options(1, 64, 20)).ends_with("found an empty file"));
}

/// Regression (A2, R4): a quoted identity number in the timestamp field was shown, since the
/// check saw the quotes; one with a space, or a row separated by semicolons, was shown too.
#[test]
fn identity_numbers_in_bad_rows_are_not_shown() {
    let content = "timestamp,party,kind\n\
        \"19121212-1212\",0114,login\n\
        2017-04-01,191212 1212,login\n\
        19121212-1212;0114;login,0191,login\n\
        2017-04-01,0191,x121212-1212y\n";
    let message = error(content, &options(1, 4096, 20));
    assert_eq!(
        message,
        "FILE: 4 bad rows\n  \
         FILE:2: bad timestamp (a 12-digit number, not shown)\n  \
         FILE:3: unknown party (a 10-digit number, not shown)\n  \
         FILE:4: bad timestamp \"(a 12-digit number, not shown);0114;login\"\n  \
         FILE:5: unknown kind \"x(a 10-digit number, not shown)y\""
    );
    let counts = "party,kind,period,count\n\
        19121212-1212,login,2017-04,1\n\
        0191,login,2017-04,191212-1212\n";
    let message = error(counts, &options(1, 4096, 20));
    assert!(!message.contains("1212"), "{message}");
}

/// Regression (A2, R4): the parties and tariffs files echoed bad cells whole.
#[test]
fn identity_numbers_in_parties_and_tariffs_files_are_not_shown() {
    use billing_report::transactions::files::{read_parties, read_tariffs};
    let parties = TempFile::new(
        "parties-pnr.csv",
        b"code,name\n19121212-1212,a\n19121212-1212,b\n\" 191212-1212\",c\n",
    );
    let message = read_parties(&parties.0).unwrap_err().to_string();
    assert!(!message.contains("1212"), "{message}");
    assert!(
        message.contains("line 3: party (a 12-digit number, not shown) occurs more than once"),
        "{message}"
    );
    let tariffs = TempFile::new(
        "tariffs-pnr.csv",
        b"kind,unit_price,valid_from,valid_to\nlogin,191212-1212,19121212-1212,\n",
    );
    let message = read_tariffs(&tariffs.0).unwrap_err().to_string();
    assert!(!message.contains("1212"), "{message}");
    assert!(
        message.contains("unit_price: must be 0 or more with at most 4 decimals, found (a 10-digit number, not shown)"),
        "{message}"
    );
}

/// Regression (A3): after a blank line the parties and tariffs files reported the line before
/// the real one (the csv crate skips blank lines), in messages and in `Tariff.source`.
#[test]
fn line_numbers_after_a_blank_line_in_parties_and_tariffs_files() {
    use billing_report::transactions::files::{read_parties, read_tariffs};
    let parties = TempFile::new("parties-blank.csv", b"code,name\n\n0191,a\n\n\n0191,b\n");
    let message = read_parties(&parties.0).unwrap_err().to_string();
    assert!(
        message.ends_with("line 6: party \"0191\" occurs more than once"),
        "{message}"
    );
    let tariffs = TempFile::new(
        "tariffs-blank.csv",
        b"kind,unit_price,valid_from,valid_to\n\nlogin,0.30,2017-01-01,\n\nsms,x,2017-01-01,\n",
    );
    let message = read_tariffs(&tariffs.0).unwrap_err().to_string();
    assert!(
        message.ends_with(
            "line 5, unit_price: must be 0 or more with at most 4 decimals, found \"x\""
        ),
        "{message}"
    );
    let tariffs = TempFile::new(
        "tariffs-blank-ok.csv",
        b"kind,unit_price,valid_from,valid_to\n\nlogin,0.30,2017-01-01,\n\n\nsms,0.10,2017-01-01,\n",
    );
    let table = read_tariffs(&tariffs.0).unwrap();
    let source = |k: &str| {
        let kind = Kind::new(k).unwrap();
        let t = &table.tariffs(&kind)[0];
        t.source
            .as_ref()
            .unwrap()
            .as_str()
            .rsplit(':')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(source("login"), "3");
    assert_eq!(source("sms"), "6");
    let crlf = TempFile::new(
        "parties-crlf.csv",
        b"code,name\r\n\r\n0191,a\r\n\"0114\",\"two\r\nlines\"\r\n\r\n0191,b\r\n",
    );
    let message = read_parties(&crlf.0).unwrap_err().to_string();
    assert!(
        message.ends_with("line 7: party \"0191\" occurs more than once"),
        "{message}"
    );
}

/// Regression: the tariffs file took `2024-1-1` and `+2024-01-01` (chrono's %Y-%m-%d) while
/// the transactions file takes only `YYYY-MM-DD`.
#[test]
fn tariff_dates_must_be_yyyy_mm_dd() {
    use billing_report::transactions::files::read_tariffs;
    let tariffs = TempFile::new(
        "tariffs-dates.csv",
        b"kind,unit_price,valid_from,valid_to\nlogin,0.30,2024-1-1,+2024-12-31\n\
          sms,0.10,2024-02-30,\nfax,0.10,2024-01-01,2024-12-31\n",
    );
    let message = read_tariffs(&tariffs.0).unwrap_err().to_string();
    let lines: Vec<&str> = message
        .lines()
        .map(|l| l.rsplit(".csv: ").next().unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            "line 2, valid_from: must be a date YYYY-MM-DD, found \"2024-1-1\"",
            "line 2, valid_to: must be a date YYYY-MM-DD or empty, found \"+2024-12-31\"",
            "line 3, valid_from: must be a date YYYY-MM-DD, found \"2024-02-30\"",
        ]
    );
}
