//! `billing-report`: the finance officer's workbook in, invoices out. Its commands arrive with
//! the report issue; for now it only states that.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!("billing-report: no commands yet");
    ExitCode::from(2)
}
