//! Parties and the agreement they form: who shares, and the figures a key splits by.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::error::SplitError;
use crate::problems::Problems;

pub use crate::id::{BadPartyId, PartyId, SourceRef, Sourced};

/// Inhabitants at a reference date (SCB statistics), the basis of the population key (R1).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Population {
    /// Number of inhabitants.
    pub count: u64,
    /// The date the count refers to, e.g. 2016-12-31.
    pub reference_date: Option<NaiveDate>,
    /// Where the count was read.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub source: Option<SourceRef>,
}

/// A member organisation of the agreement: municipality, region, federation or other.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Party {
    /// Its id.
    pub id: PartyId,
    /// Its name, e.g. `Stockholms kommun`.
    pub name: String,
    /// Its inhabitants, for the population key.
    #[cfg_attr(feature = "serde", serde(default))]
    pub population: Option<Population>,
    /// Its users of the system, for the users key (R3).
    #[cfg_attr(feature = "serde", serde(default))]
    pub users: Option<Sourced<u64>>,
    /// Any other named figures a weight key can split by (e.g. `beds`, `licences`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub figures: BTreeMap<String, Sourced<Decimal>>,
}

impl Party {
    /// A party with an id and a name and no figures yet.
    pub fn new(id: PartyId, name: &str) -> Party {
        Party {
            id,
            name: name.to_owned(),
            population: None,
            users: None,
            figures: BTreeMap::new(),
        }
    }

    /// The same party with a population.
    pub fn with_population(mut self, count: u64, reference_date: Option<NaiveDate>) -> Party {
        self.population = Some(Population {
            count,
            reference_date,
            source: None,
        });
        self
    }

    /// The same party with a number of users.
    pub fn with_users(mut self, users: u64) -> Party {
        self.users = Some(Sourced::new(users));
        self
    }

    /// The same party with a named figure.
    pub fn with_figure(mut self, name: &str, value: Decimal) -> Party {
        self.figures.insert(name.to_owned(), Sourced::new(value));
        self
    }
}

/// The parties of an agreement, with distinct ids, ordered by id.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Agreement {
    parties: Vec<Party>,
    /// Each party's place in `parties`, by id: a look-up hashes the id once (FxHash,
    /// rustc-hash: the agreement's own ids) where a binary search compared ids some 17 times
    /// at 100,000 parties, a quarter of `check` with the other searches by id (issue 12).
    #[cfg_attr(feature = "serde", serde(skip))]
    places: FxHashMap<PartyId, usize>,
}

impl std::fmt::Debug for Agreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agreement")
            .field("parties", &self.parties)
            .finish()
    }
}

impl Agreement {
    /// An agreement among `parties`, in any order.
    ///
    /// # Errors
    /// [`SplitError::DuplicateParty`] for each id that occurs more than once, all reported.
    pub fn new(mut parties: Vec<Party>) -> Result<Agreement, Problems<SplitError>> {
        parties.sort_by(|a, b| a.id.cmp(&b.id));
        let problems: Vec<SplitError> = parties
            .windows(2)
            .filter(|w| w[0].id == w[1].id)
            .map(|w| SplitError::DuplicateParty {
                party: w[1].id.clone(),
            })
            .collect();
        if !problems.is_empty() {
            return Err(Problems::new(problems));
        }
        let places = parties
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        Ok(Agreement { parties, places })
    }

    /// The parties, ordered by id.
    pub fn parties(&self) -> &[Party] {
        &self.parties
    }

    /// The party with this id.
    pub fn party(&self, id: &PartyId) -> Option<&Party> {
        self.place(id).map(|i| &self.parties[i])
    }

    /// The place of the party with this id in [`Agreement::parties`].
    pub fn place(&self, id: &PartyId) -> Option<usize> {
        self.places.get(id).copied()
    }

    /// True when a party has this id.
    pub fn contains(&self, id: &PartyId) -> bool {
        self.party(id).is_some()
    }
}
