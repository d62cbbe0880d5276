//! Transaction files (R11): streaming aggregation of one row per transaction, or pre-counted
//! rows, into counts per party, kind, period and price.

/// Arguments of `billing-report transactions`.
#[derive(Debug, clap::Args)]
pub struct TransactionsArgs {
    /// The transactions CSV file.
    pub file: std::path::PathBuf,
}

/// Runs `billing-report transactions`.
///
/// # Errors
/// Not yet: the command is not built.
pub fn run(args: &TransactionsArgs, quiet: bool) -> Result<std::process::ExitCode, String> {
    let _ = (args, quiet);
    Err("the transactions command is not built yet".to_owned())
}
