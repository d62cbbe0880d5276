//! A kind of transaction (R11): a name, checked. Depends on nothing else in the crate, so the
//! transaction errors can name a kind without a cycle.

use std::fmt;

use compact_str::CompactString;

/// A kind's name that is empty or holds characters a file could not carry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("transaction kind {kind:?} must be non-empty text without spaces, commas or quotes")]
pub struct BadKind {
    /// The name found.
    pub kind: String,
}

/// A kind of transaction, e.g. `login`, `signature`, `sms`: an open set, named by the tariffs.
///
/// Never empty, and without spaces, commas, quotes or control characters, so that it can stand
/// unquoted in a CSV file and be matched byte for byte.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Kind(CompactString);

impl Kind {
    /// A kind from its name.
    ///
    /// # Errors
    /// [`BadKind`] for an empty name or one with a space, comma, quote or control character
    /// (it converts to [`crate::TransactionError::BadKind`]).
    pub fn new(name: &str) -> Result<Kind, BadKind> {
        let bad = |c: char| c.is_whitespace() || c.is_control() || matches!(c, ',' | '"' | ';');
        if name.is_empty() || name.chars().any(bad) {
            return Err(BadKind {
                kind: name.to_owned(),
            });
        }
        Ok(Kind(CompactString::from(name)))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Kind, D::Error> {
        let text = String::deserialize(deserializer)?;
        Kind::new(&text).map_err(serde::de::Error::custom)
    }
}
