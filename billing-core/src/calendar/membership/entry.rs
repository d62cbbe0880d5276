//! R8 Entry: a party joins when more than half of the parties that are members on its joining day
//! approve, and pays its user fee times a multiplier (2 by default) in its first year
//! (docs/rules.md, section "R8 Entry").

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;

use crate::agreement::PartyId;
use crate::calendar::error::{CalendarError, CalendarProblems};
use crate::calendar::membership::{FirstYear, Members, Membership};

/// How entry works (R8): the first-year multiplier and the length of the first year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EntryRule {
    /// The multiplier of the user fee in the first year (2: "dubbel årlig användaravgift").
    pub multiplier: Decimal,
    /// The length of the first year in months (12).
    pub months: u32,
}

impl Default for EntryRule {
    fn default() -> EntryRule {
        EntryRule {
            multiplier: Decimal::TWO,
            months: 12,
        }
    }
}

/// A party's request to join, with the existing parties that approve it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EntryRequest {
    /// The party asking to join (it must be a party of the agreement's list).
    pub party: PartyId,
    /// Its first day of membership.
    pub joining: NaiveDate,
    /// The existing parties that approve.
    pub approvals: Vec<PartyId>,
}

impl Members {
    /// Admits a new party when more than half of the parties that are members on its joining
    /// day approve (R8), with a first year under `rule`. Returns its membership.
    ///
    /// # Errors
    /// [`CalendarError::UnknownParty`] when the party is not in the agreement's list,
    /// [`CalendarError::AlreadyMember`] when it already has a membership,
    /// [`CalendarError::ApprovalByNonMember`] and [`CalendarError::DuplicateApproval`] for bad
    /// approvals, [`CalendarError::NonPositiveMultiplier`], and
    /// [`CalendarError::EntryWithoutMajority`], which says how many approved of how many.
    pub fn admit(
        &mut self,
        request: &EntryRequest,
        rule: &EntryRule,
    ) -> Result<&Membership, CalendarProblems> {
        let party = &request.party;
        let joining = request.joining;
        let Ok(place) = self.known.binary_search(party) else {
            return Err(CalendarError::UnknownParty {
                party: party.clone(),
                what: "entry request".to_owned(),
            }
            .into());
        };
        if self.index(party).is_some() {
            return Err(CalendarError::AlreadyMember {
                party: party.clone(),
                joining,
            }
            .into());
        }
        let mut problems = Vec::new();
        if rule.multiplier <= Decimal::ZERO {
            problems.push(CalendarError::NonPositiveMultiplier {
                party: party.clone(),
                multiplier: rule.multiplier,
            });
        }
        let existing: Vec<&PartyId> = self.members_on(joining).collect();
        let mut approvals: Vec<&PartyId> = request.approvals.iter().collect();
        approvals.sort();
        for w in approvals.windows(2).filter(|w| w[0] == w[1]) {
            problems.push(CalendarError::DuplicateApproval {
                party: party.clone(),
                approver: w[0].clone(),
            });
        }
        approvals.dedup();
        for approver in &approvals {
            if existing.binary_search(approver).is_err() {
                problems.push(CalendarError::ApprovalByNonMember {
                    party: party.clone(),
                    approver: (*approver).clone(),
                    joining,
                });
            }
        }
        if !problems.is_empty() {
            return Err(CalendarProblems::new(problems));
        }
        let needed = existing.len() / 2 + 1;
        if approvals.len() < needed {
            return Err(CalendarError::EntryWithoutMajority {
                party: party.clone(),
                joining,
                approved: approvals.len(),
                existing: existing.len(),
                needed,
            }
            .into());
        }
        let until = joining
            .checked_add_months(Months::new(rule.months))
            .ok_or_else(|| CalendarError::DateOutOfRange {
                what: format!("party {party}: the end of its first year"),
            })?;
        let membership = Membership {
            party: party.clone(),
            from: joining,
            first_year: Some(FirstYear {
                multiplier: rule.multiplier,
                until,
            }),
            notice: None,
            last_day: None,
            place,
        };
        let at = self.list.partition_point(|m| m.party < *party);
        self.list.insert(at, membership);
        for place in self.places.values_mut().filter(|p| **p >= at) {
            *place += 1;
        }
        self.places.insert(party.clone(), at);
        Ok(&self.list[at])
    }
}
