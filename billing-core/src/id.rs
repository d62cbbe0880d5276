//! Identifiers and source references: a party's id, where a value was read. They depend on
//! nothing else in the crate, so every module (errors included) can name a party.

use std::fmt;

use compact_str::CompactString;

/// A party id that is empty or has surrounding spaces.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("party id {id:?} must be non-empty text without leading or trailing spaces")]
pub struct BadPartyId {
    /// The id found.
    pub id: String,
}

/// A party's identifier, e.g. a municipality code (`0180`) or `region-stockholm`.
///
/// Never empty and never with surrounding spaces; ids order as strings, which is the order that
/// breaks ties in a split. Ids of up to 24 bytes (every municipality code and most names) are
/// kept inline, so cloning one into each part of a split is a copy, not an allocation or an
/// atomic count.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct PartyId(CompactString);

impl PartyId {
    /// A party id from text.
    ///
    /// # Errors
    /// [`BadPartyId`] when the text is empty or has leading or trailing spaces (it converts to
    /// [`crate::SplitError::BadPartyId`]).
    pub fn new(id: &str) -> Result<PartyId, BadPartyId> {
        if id.is_empty() || id.trim() != id {
            return Err(BadPartyId { id: id.to_owned() });
        }
        Ok(PartyId(CompactString::from(id)))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for PartyId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<PartyId, D::Error> {
        let text = String::deserialize(deserializer)?;
        PartyId::new(&text).map_err(serde::de::Error::custom)
    }
}

/// Where an input value came from, as the caller names it (e.g. `Parties!C7`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct SourceRef(CompactString);

impl SourceRef {
    /// A source reference.
    pub fn new(place: &str) -> SourceRef {
        SourceRef(CompactString::from(place))
    }

    /// The reference as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A value and, when the caller knows it, where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Where it was read, e.g. `Parties!C7`.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub source: Option<SourceRef>,
}

impl<T> Sourced<T> {
    /// A value with no known source.
    pub fn new(value: T) -> Sourced<T> {
        Sourced {
            value,
            source: None,
        }
    }

    /// A value read from `source`.
    pub fn at(value: T, source: &str) -> Sourced<T> {
        Sourced {
            value,
            source: Some(SourceRef::new(source)),
        }
    }
}
