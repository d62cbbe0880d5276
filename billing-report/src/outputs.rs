//! Which outputs a draft writes (`run --only json,csv`): a service that reads the figures needs
//! no workbooks or PDFs, and they are most of a run's time.

use std::collections::BTreeSet;
use std::fmt;

/// A kind of output of `run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutputKind {
    /// `invoices.json`.
    Json,
    /// `lines.csv`.
    Csv,
    /// The invoice workbooks and `overview.xlsx`.
    Xlsx,
    /// The invoice PDFs.
    Pdf,
    /// `audit.xlsx`.
    Audit,
    /// `overview.html`.
    Html,
}

impl OutputKind {
    /// Every kind, in the order the `--only` help lists them.
    pub const ALL: [OutputKind; 6] = [
        OutputKind::Json,
        OutputKind::Csv,
        OutputKind::Xlsx,
        OutputKind::Pdf,
        OutputKind::Audit,
        OutputKind::Html,
    ];

    /// The name given in `--only`.
    pub fn name(self) -> &'static str {
        match self {
            OutputKind::Json => "json",
            OutputKind::Csv => "csv",
            OutputKind::Xlsx => "xlsx",
            OutputKind::Pdf => "pdf",
            OutputKind::Audit => "audit",
            OutputKind::Html => "html",
        }
    }
}

impl fmt::Display for OutputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The outputs to write: every kind unless a list is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outputs(BTreeSet<OutputKind>);

impl Default for Outputs {
    fn default() -> Outputs {
        Outputs::all()
    }
}

impl Outputs {
    /// Every output.
    pub fn all() -> Outputs {
        Outputs(OutputKind::ALL.into_iter().collect())
    }

    /// Whether `kind` is written.
    pub fn has(&self, kind: OutputKind) -> bool {
        self.0.contains(&kind)
    }

    /// Whether every output is written.
    pub fn is_all(&self) -> bool {
        self.0.len() == OutputKind::ALL.len()
    }

    /// A comma-separated list of kinds, e.g. `json,csv` (spaces and case ignored).
    ///
    /// # Errors
    /// An unknown or empty name, with the names known.
    pub fn parse(list: &str) -> Result<Outputs, String> {
        let known = || {
            OutputKind::ALL
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut kinds = BTreeSet::new();
        for word in list.split(',') {
            let word = word.trim();
            match OutputKind::ALL
                .into_iter()
                .find(|k| k.name().eq_ignore_ascii_case(word))
            {
                Some(k) => {
                    kinds.insert(k);
                }
                None if word.is_empty() => {
                    return Err(format!(
                        "an empty name in the list {list:?}; the outputs are: {}",
                        known()
                    ))
                }
                None => {
                    return Err(format!(
                        "unknown output {word:?}; the outputs are: {}",
                        known()
                    ))
                }
            }
        }
        Ok(Outputs(kinds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_names_the_outputs_written() {
        let only = Outputs::parse("json, CSV").unwrap();
        assert!(only.has(OutputKind::Json) && only.has(OutputKind::Csv));
        assert!(!only.has(OutputKind::Xlsx) && !only.has(OutputKind::Pdf));
        assert!(!only.is_all());
        assert!(Outputs::all().is_all());
    }

    #[test]
    fn an_unknown_or_empty_name_is_an_error_naming_the_known_ones() {
        let e = Outputs::parse("json,docx").unwrap_err();
        assert!(
            e.contains("\"docx\"") && e.contains("json, csv, xlsx, pdf, audit, html"),
            "{e}"
        );
        let e = Outputs::parse("json,").unwrap_err();
        assert!(e.contains("empty"), "{e}");
    }
}
