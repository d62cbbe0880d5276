//! `billing-report`: the finance officer's workbook in, invoices out.
//!
//! Exit codes: 0 success, 1 errors in the input, 2 usage or I/O errors.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// From the finance officer's workbook to invoices that an auditor can reproduce.
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
    /// Aggregate a transactions file into counts per party, kind and month.
    Transactions(billing_report::transactions::TransactionsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Transactions(args) => billing_report::transactions::run(args, cli.quiet),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("billing-report: {message}");
            ExitCode::from(2)
        }
    }
}
