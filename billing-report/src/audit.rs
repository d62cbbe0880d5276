//! The audit workbook (R16, issue 7): every computed figure of a run as a live spreadsheet
//! formula over the inputs, with the engine's value as its cached result.

use crate::compute::Draft;
use crate::workbook::Input;

/// The audit workbook of a run, as bytes; `None` while it is not built.
///
/// # Errors
/// A workbook that cannot be written.
pub fn audit_workbook(input: &Input, draft: &Draft) -> Result<Option<Vec<u8>>, String> {
    let _ = (input, draft);
    Ok(None)
}
