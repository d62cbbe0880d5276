//! R1 Population share: a pool with [`Key::Population`] is split in proportion to each
//! participant's inhabitants (SCB statistics at a reference date); populations counted at different
//! dates are a finding, not an error (docs/rules.md, section "R1 Population share").

use crate::agreement::Agreement;
use crate::error::Finding;
use crate::pool::*;
use std::collections::BTreeMap;

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
