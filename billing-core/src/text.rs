//! Words in each language a document may be written in ([`Text`]), and the language a
//! document is written in ([`Language`]). Explanations, findings and invoice lines carry their
//! words as a [`Text`]; this module imports nothing of the crate, so any of them can use it.

/// The language a document is written in: one per document, never mixed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Language {
    /// Swedish, the default.
    #[default]
    Sv,
    /// English, on request.
    En,
}

/// Words of an explanation in each language a document may be written in. The library builds
/// both where it knows what the words mean; a writer picks one with [`Text::get`], so that no
/// writer ever translates by matching English wording. Figures, dates and ids are the same in
/// both ([`Text::plain`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Text {
    sv: String,
    en: String,
}

impl Text {
    /// Swedish and English words for the same thing.
    pub fn new(sv: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            sv: sv.into(),
            en: en.into(),
        }
    }

    /// Text that reads the same in every language: a figure, a date, an id, a name.
    pub fn plain(text: impl Into<String>) -> Text {
        let text = text.into();
        Text {
            sv: text.clone(),
            en: text,
        }
    }

    /// The words in `language`.
    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::Sv => &self.sv,
            Language::En => &self.en,
        }
    }
}
