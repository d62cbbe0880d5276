//! Shared by the fuzz targets: a scratch folder per process, reused for every input.

use std::path::PathBuf;

/// A folder of this process under the system's temporary folder.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("billing-fuzz-{name}-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// The checks every reader must pass: it returns (never panics, which libFuzzer catches), and
/// a refusal names at least one error.
#[allow(dead_code)] // not every target loads a workbook
pub fn check_load(path: &std::path::Path) {
    if let Err(problems) = billing_report::workbook::load(path) {
        assert!(
            problems
                .iter()
                .any(|p| p.severity == billing_report::input::Severity::Error),
            "refused without an error: {problems:?}"
        );
    }
}
