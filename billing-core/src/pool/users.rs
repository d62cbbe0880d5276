//! R3 Cost per user, with users outside the parties: a pool with [`Key::Users`] is split by users;
//! with the total users of the system, each party pays `amount · users / total` and the rest is
//! borne outside the agreement (docs/rules.md, section "R3 Cost per user, with users outside the
//! parties").

use crate::agreement::Sourced;
use crate::error::SplitError;
use crate::pool::*;

/// The users of a users key with a total: all of them, the parties', and those outside.
pub(super) struct UsersOutside {
    pub(super) total: Sourced<u64>,
    pub(super) parties: u64,
    pub(super) outside: u64,
}

/// Under a users key with a total: how many users the parties have and how many are outside
/// them (R3), checked.
pub(super) fn outside_users(
    pool: &Pool,
    claims: &[Claim],
    problems: &mut Vec<SplitError>,
) -> Option<UsersOutside> {
    let Key::Users {
        total_users: Some(total),
    } = &pool.key
    else {
        return None;
    };
    let parties = claims.iter().try_fold(0u64, |acc, c| {
        u64::try_from(c.weight.mantissa())
            .ok()
            .and_then(|u| acc.checked_add(u))
    });
    let Some(parties) = parties else {
        problems.push(SplitError::TooLarge {
            pool: pool.id.clone(),
            amount: pool.amount,
        });
        return None;
    };
    if total.value < parties {
        problems.push(SplitError::TooFewTotalUsers {
            pool: pool.id.clone(),
            total: total.value,
            parties,
        });
        return None;
    }
    Some(UsersOutside {
        total: total.clone(),
        parties,
        outside: total.value - parties,
    })
}
