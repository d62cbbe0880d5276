//! R1 Population share: a pool with [`Key::Population`] is split in proportion to each
//! participant's inhabitants (SCB statistics at a reference date); populations counted at different
//! dates are a finding, not an error (docs/rules.md, section "R1 Population share").
//!
//! Here are what a population key contributes to a split ([`super::split`]): each participant's
//! weight, its inhabitants ([`population_claim`]), the problems of a participant without a
//! population or with none, and the finding on mixed reference dates ([`population_dates`]).

use crate::agreement::{Agreement, Party};
use crate::error::{Finding, SplitError};
use crate::pool::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A participant's claim under a population key: its inhabitants, with where they were read.
///
/// # Errors
/// [`SplitError::MissingFigure`] when the party has no population, and
/// [`SplitError::NonPositiveWeight`] (at the population's source) when it is zero: a party with
/// no inhabitants cannot take a share of a population pool.
pub(super) fn population_claim<'a>(pool: &Pool, party: &'a Party) -> Result<Claim<'a>, SplitError> {
    let Some(population) = &party.population else {
        return Err(SplitError::MissingFigure {
            pool: pool.id.clone(),
            party: party.id.clone(),
            figure: pool.key.figure(),
        });
    };
    let weight = Decimal::from(population.count);
    if weight.is_zero() {
        return Err(SplitError::NonPositiveWeight {
            pool: pool.id.clone(),
            party: party.id.clone(),
            figure: pool.key.figure(),
            value: weight,
            place: population.source.clone(),
        });
    }
    Ok(Claim {
        party: &party.id,
        weight,
        source: population.source.as_ref(),
    })
}

pub(super) fn population_dates(
    agreement: &Agreement,
    pool: &Pool,
    members: &[usize],
) -> Vec<Finding> {
    if !matches!(pool.key, Key::Population) {
        return Vec::new();
    }
    let date = |i: &usize| {
        agreement.parties()[*i]
            .population
            .as_ref()
            .map(|p| p.reference_date)
    };
    let first = members.first().and_then(date);
    if members.iter().all(|i| date(i) == first) {
        return Vec::new();
    }
    let mut dates: BTreeMap<Option<chrono::NaiveDate>, usize> = BTreeMap::new();
    for &i in members {
        if let Some(p) = &agreement.parties()[i].population {
            *dates.entry(p.reference_date).or_default() += 1;
        }
    }
    if dates.len() > 1 {
        vec![Finding::MixedPopulationDates {
            pool: pool.id.clone(),
            dates: dates.into_iter().collect(),
        }]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agreement::{PartyId, SourceRef};
    use crate::money::Money;

    fn party(population: Option<u64>) -> Party {
        let party = Party::new(PartyId::new("a").unwrap(), "A");
        match population {
            Some(count) => {
                let mut party = party.with_population(count, None);
                if let Some(p) = party.population.as_mut() {
                    p.source = Some(SourceRef::new("Parties!C2"));
                }
                party
            }
            None => party,
        }
    }

    fn population_pool() -> Pool {
        Pool::builder(
            "system",
            "System",
            Money::from_kronor(1_000),
            Key::Population,
        )
        .build()
        .unwrap()
    }

    #[test]
    fn a_population_is_its_weight_with_its_source() {
        let pool = population_pool();
        let a = party(Some(600_000));
        let claim = population_claim(&pool, &a).unwrap();
        assert_eq!(claim.party, &a.id);
        assert_eq!(claim.weight, Decimal::from(600_000));
        assert_eq!(claim.source, Some(&SourceRef::new("Parties!C2")));
    }

    #[test]
    fn a_missing_or_zero_population_is_a_problem_at_its_place() {
        let pool = population_pool();
        let missing = population_claim(&pool, &party(None)).map(|c| c.weight);
        assert_eq!(
            missing,
            Err(SplitError::MissingFigure {
                pool: pool.id.clone(),
                party: PartyId::new("a").unwrap(),
                figure: "population".to_owned(),
            })
        );
        let zero = population_claim(&pool, &party(Some(0))).map(|c| c.weight);
        assert_eq!(
            zero,
            Err(SplitError::NonPositiveWeight {
                pool: pool.id.clone(),
                party: PartyId::new("a").unwrap(),
                figure: "population".to_owned(),
                value: Decimal::ZERO,
                place: Some(SourceRef::new("Parties!C2")),
            })
        );
    }
}
