//! `billing-report`: reads the finance officer's workbook (xlsx, ods or a folder of CSV files),
//! validates it, computes through `billing-core`, and writes invoices (xlsx, csv, json) and
//! explanations. The binary in `main.rs` is a thin command-line layer over this library.

pub mod accounts;
pub mod audit;
pub mod compute;
pub mod credit;
pub mod document;
pub mod html;
pub mod input;
pub mod invoice_document;
pub mod model;
pub mod ods;
pub mod output;
pub mod outputs;
pub mod pdf;
pub mod register;
pub mod sie;
pub mod sie_export;
pub mod template;
pub mod transactions;
pub mod ubl;
#[cfg(feature = "verify")]
pub mod verify;
pub mod workbook;
pub mod year;

/// An internal hook for the crash tests (`tests/issue_safety.rs`): when the environment
/// variable `BILLING_REPORT_TEST_PAUSE_AT` names this step of `issue` (`STEP`, or `STEP@N`: the
/// N-th time the run reaches it, e.g. a later date of `--through`), the process says so on
/// stderr and waits, so that a test can `kill -9` it exactly there. It never changes what is
/// written; unset (always, outside the tests) it does nothing.
#[doc(hidden)]
pub fn crash_point(step: &str) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static REACHED: AtomicUsize = AtomicUsize::new(0);
    let Some(wanted) = std::env::var_os("BILLING_REPORT_TEST_PAUSE_AT") else {
        return;
    };
    let wanted = wanted.to_string_lossy();
    let (name, nth) = match wanted.split_once('@') {
        Some((name, n)) => (name, n.parse::<usize>().unwrap_or(1)),
        None => (&*wanted, 1),
    };
    if name == step && REACHED.fetch_add(1, Ordering::Relaxed) + 1 == nth {
        eprintln!("billing-report: test pause at {step}");
        std::thread::sleep(std::time::Duration::from_secs(600));
    }
}

/// An internal hook for the tests: says `note` on stderr when the environment variable
/// `BILLING_REPORT_TEST_NOTES` is set (e.g. `rendered ahead: used`, each date of `issue
/// --through` written from the files rendered ahead). Unset (always, outside the tests) it
/// does nothing.
#[doc(hidden)]
pub fn test_note(note: &str) {
    if std::env::var_os("BILLING_REPORT_TEST_NOTES").is_some() {
        eprintln!("billing-report: test note: {note}");
    }
}

/// An internal hook for the tests of failures the disk rarely gives: whether the environment
/// variable `BILLING_REPORT_TEST_FAIL_AT` names this step, which then fails as an I/O error
/// would. The steps: `sync-parent`, the sync of the folder an issued folder was renamed into;
/// `sync-file`, the sync of every file of an issued (or credit) folder, as on a failing disk;
/// `sync-panic`, the sync of the first file of such a folder panics (a thread syncing it that
/// fails); `sync-fs`, the one sync of the file system that stands for the syncs of an issued
/// folder's files where it can be trusted fails (and the folder is synced that way whatever its
/// file system, on Linux); `number-ahead`, `issue --through` guesses the numbers of the dates
/// it renders ahead wrong (see [`register::number_ahead`]). Unset (always, outside the tests)
/// it is `false`.
#[doc(hidden)]
pub fn test_fault(step: &str) -> bool {
    std::env::var_os("BILLING_REPORT_TEST_FAIL_AT").is_some_and(|v| v == step)
}
