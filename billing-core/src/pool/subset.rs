//! R14 Pools shared by a subset: a pool names the parties that share it ([`Participants::Only`]);
//! the others pay nothing for it (docs/rules.md, section "R14 Pools shared by a subset").

use crate::agreement::{Agreement, PartyId};
use crate::error::SplitError;
use crate::pool::*;

/// The agreement indices of the pool's participants, in id order.
pub(super) fn participants(
    agreement: &Agreement,
    pool: &Pool,
    problems: &mut Vec<SplitError>,
) -> Vec<usize> {
    let index = |id: &PartyId| agreement.place(id);
    let unknown = |party: &PartyId, role| SplitError::UnknownParty {
        pool: pool.id.clone(),
        party: party.clone(),
        role,
    };
    if let Key::Direct { party } = &pool.key {
        return match index(party) {
            Some(i) => vec![i],
            None => {
                problems.push(unknown(party, "payer"));
                Vec::new()
            }
        };
    }
    let mut members = match &pool.participants {
        Participants::All => (0..agreement.parties().len()).collect(),
        Participants::Only(ids) => {
            let mut found = Vec::with_capacity(ids.len());
            for id in ids {
                match index(id) {
                    Some(i) => found.push(i),
                    None => problems.push(unknown(id, "participant")),
                }
            }
            found
        }
    };
    if matches!(pool.participants, Participants::Only(_)) {
        members.sort_unstable();
    }
    for w in members.windows(2).filter(|w| w[0] == w[1]) {
        problems.push(SplitError::DuplicateParticipant {
            pool: pool.id.clone(),
            party: agreement.parties()[w[0]].id.clone(),
        });
    }
    members.dedup();
    let named_none = matches!(&pool.participants, Participants::Only(ids) if ids.is_empty());
    if members.is_empty() && (named_none || agreement.parties().is_empty()) {
        problems.push(SplitError::NoParticipants {
            pool: pool.id.clone(),
        });
    }
    members
}
