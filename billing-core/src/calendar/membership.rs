//! Who is a member when: founding members, entry by majority with a first-year multiplier (R8),
//! and exit by notice with the data-extraction cost billed to the leaver (R9).

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;

use crate::agreement::{Agreement, PartyId};
use crate::calendar::error::{CalendarError, CalendarProblems};
use crate::money::Money;
use crate::pool::{Key, Participants, Pool};

/// The first year of a new member (R8): its user fee is multiplied from its joining date until,
/// not including, `until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FirstYear {
    /// The multiplier, e.g. 2.
    pub multiplier: Decimal,
    /// The first day after the first year.
    pub until: NaiveDate,
}

/// One party's membership: from its first day to its last day, both included.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Membership {
    party: PartyId,
    from: NaiveDate,
    first_year: Option<FirstYear>,
    notice: Option<NaiveDate>,
    last_day: Option<NaiveDate>,
}

impl Membership {
    /// A member since `from` with no first-year multiplier (a founding member).
    pub fn founding(party: PartyId, from: NaiveDate) -> Membership {
        Membership {
            party,
            from,
            first_year: None,
            notice: None,
            last_day: None,
        }
    }

    /// The party.
    pub fn party(&self) -> &PartyId {
        &self.party
    }

    /// The first day of membership.
    pub fn from(&self) -> NaiveDate {
        self.from
    }

    /// The first year of a member that joined under R8.
    pub fn first_year(&self) -> Option<FirstYear> {
        self.first_year
    }

    /// The day notice was given, if it was.
    pub fn notice(&self) -> Option<NaiveDate> {
        self.notice
    }

    /// The last day of membership, if it ends.
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.last_day
    }

    /// True when the party is a member on `day`.
    pub fn is_member_on(&self, day: NaiveDate) -> bool {
        self.from <= day && self.last_day.is_none_or(|l| day <= l)
    }

    /// The fee multiplier m(d) of `day` (1 outside the first year).
    pub fn multiplier_on(&self, day: NaiveDate) -> Decimal {
        match self.first_year {
            Some(f) if self.from <= day && day < f.until => f.multiplier,
            _ => Decimal::ONE,
        }
    }
}

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

/// How exit works (R9): membership ends this many months after the notice date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ExitRule {
    /// The notice period in months (12).
    pub notice_months: u32,
}

impl Default for ExitRule {
    fn default() -> ExitRule {
        ExitRule { notice_months: 12 }
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

/// The memberships of an agreement, one per party, ordered by party id.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Members {
    list: Vec<Membership>,
    #[cfg_attr(feature = "serde", serde(skip))]
    known: Vec<PartyId>,
}

impl Members {
    /// The memberships `list`, checked against the parties of `agreement`.
    ///
    /// # Errors
    /// Every problem at once: [`CalendarError::UnknownParty`],
    /// [`CalendarError::DuplicateMembership`] and [`CalendarError::MembershipEndsBeforeStart`].
    pub fn new(
        mut list: Vec<Membership>,
        agreement: &Agreement,
    ) -> Result<Members, CalendarProblems> {
        let mut problems = Vec::new();
        list.sort_by(|a, b| a.party.cmp(&b.party));
        for m in &list {
            if !agreement.contains(&m.party) {
                problems.push(CalendarError::UnknownParty {
                    party: m.party.clone(),
                    what: "membership".to_owned(),
                });
            }
            if let Some(last_day) = m.last_day.filter(|l| *l < m.from) {
                problems.push(CalendarError::MembershipEndsBeforeStart {
                    party: m.party.clone(),
                    from: m.from,
                    last_day,
                });
            }
        }
        for w in list.windows(2).filter(|w| w[0].party == w[1].party) {
            problems.push(CalendarError::DuplicateMembership {
                party: w[0].party.clone(),
            });
        }
        let known = agreement.parties().iter().map(|p| p.id.clone()).collect();
        CalendarProblems::check(Members { list, known }, problems)
    }

    /// The memberships, ordered by party id.
    pub fn memberships(&self) -> &[Membership] {
        &self.list
    }

    /// The membership of `party`.
    pub fn get(&self, party: &PartyId) -> Option<&Membership> {
        self.index(party).map(|i| &self.list[i])
    }

    fn index(&self, party: &PartyId) -> Option<usize> {
        self.list.binary_search_by(|m| m.party.cmp(party)).ok()
    }

    /// The parties that are members on `day`.
    pub fn members_on(&self, day: NaiveDate) -> impl Iterator<Item = &PartyId> {
        self.list
            .iter()
            .filter(move |m| m.is_member_on(day))
            .map(|m| &m.party)
    }

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
        if self.known.binary_search(party).is_err() {
            return Err(CalendarError::UnknownParty {
                party: party.clone(),
                what: "entry request".to_owned(),
            }
            .into());
        }
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
        };
        let at = self.list.partition_point(|m| m.party < *party);
        self.list.insert(at, membership);
        Ok(&self.list[at])
    }

    /// Records `party`'s written notice on `notice`: its last day of membership is the same
    /// date `rule.notice_months` months later (R9). Returns the last day.
    ///
    /// # Errors
    /// [`CalendarError::UnknownParty`] when the party has no membership,
    /// [`CalendarError::NoticeGivenTwice`], and [`CalendarError::NoticeBeforeMembership`].
    pub fn give_notice(
        &mut self,
        party: &PartyId,
        notice: NaiveDate,
        rule: &ExitRule,
    ) -> Result<NaiveDate, CalendarError> {
        let i = self
            .index(party)
            .ok_or_else(|| CalendarError::UnknownParty {
                party: party.clone(),
                what: format!("notice of {notice}"),
            })?;
        let m = &mut self.list[i];
        if let Some(first) = m.notice {
            return Err(CalendarError::NoticeGivenTwice {
                party: party.clone(),
                first,
                second: notice,
            });
        }
        if notice < m.from {
            return Err(CalendarError::NoticeBeforeMembership {
                party: party.clone(),
                notice,
                from: m.from,
            });
        }
        let last_day = notice
            .checked_add_months(Months::new(rule.notice_months))
            .ok_or_else(|| CalendarError::DateOutOfRange {
                what: format!("party {party}: the end of its notice period"),
            })?;
        m.notice = Some(notice);
        m.last_day = Some(m.last_day.map_or(last_day, |l| l.min(last_day)));
        Ok(last_day)
    }
}

/// The cost of extracting a leaving party's data, as a direct pool that it alone pays (R9).
///
/// # Errors
/// [`CalendarError::UnknownParty`] when `party` has no membership, and
/// [`CalendarError::BadInvoiceLine`] when it has not given notice.
pub fn extraction_pool(
    members: &Members,
    party: &PartyId,
    id: &str,
    amount: Money,
) -> Result<Pool, CalendarError> {
    let m = members
        .get(party)
        .ok_or_else(|| CalendarError::UnknownParty {
            party: party.clone(),
            what: format!("data-extraction pool {id}"),
        })?;
    let Some(last_day) = m.last_day() else {
        return Err(CalendarError::BadInvoiceLine {
            party: party.clone(),
            date: m.from(),
            what: format!("data-extraction pool {id}: the party has not given notice"),
        });
    };
    let mut pool = Pool::new(
        id,
        &format!("extraction of {party}'s data at exit (last day {last_day})"),
        amount,
        Key::Direct {
            party: party.clone(),
        },
    );
    pool.participants = Participants::Only(vec![party.clone()]);
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agreement::Party;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn pid(id: &str) -> PartyId {
        PartyId::new(id).unwrap()
    }

    fn members(n: usize) -> Members {
        let ids: Vec<String> = (0..=n).map(|i| format!("p{i:02}")).collect();
        let agreement =
            Agreement::new(ids.iter().map(|id| Party::new(pid(id), id)).collect()).unwrap();
        let list = ids[..n]
            .iter()
            .map(|id| Membership::founding(pid(id), day(2010, 1, 1)))
            .collect();
        Members::new(list, &agreement).unwrap()
    }

    fn request(n: usize, approvals: usize) -> EntryRequest {
        EntryRequest {
            party: pid(&format!("p{n:02}")),
            joining: day(2011, 4, 1),
            approvals: (0..approvals).map(|i| pid(&format!("p{i:02}"))).collect(),
        }
    }

    #[test]
    fn entry_needs_more_than_half() {
        let mut m = members(12);
        let err = m.admit(&request(12, 6), &EntryRule::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "1 problem\n  entry of party p12 on 2011-04-01: 6 of 12 existing parties approved, \
             more than half (7) is needed"
        );
        let joined = m.admit(&request(12, 7), &EntryRule::default()).unwrap();
        assert_eq!(joined.first_year().unwrap().until, day(2012, 4, 1));
        let joined = joined.clone();
        assert_eq!(joined.multiplier_on(day(2012, 3, 31)), Decimal::TWO);
        assert_eq!(joined.multiplier_on(day(2012, 4, 1)), Decimal::ONE);
        assert_eq!(joined.multiplier_on(day(2011, 3, 31)), Decimal::ONE);
        assert!(!joined.is_member_on(day(2011, 3, 31)));
    }

    #[test]
    fn bad_approvals_are_all_reported() {
        let mut m = members(3);
        let mut r = request(3, 2);
        r.approvals.push(pid("p00"));
        r.approvals.push(pid("p03"));
        let err = m.admit(&r, &EntryRule::default()).unwrap_err();
        assert_eq!(err.problems().len(), 2, "{err}");
        assert!(err.to_string().contains("p00 approves more than once"));
        assert!(err
            .to_string()
            .contains("approval by p03, which is not an existing party"));
    }

    #[test]
    fn notice_gives_the_last_day_and_only_once() {
        let mut m = members(3);
        let rule = ExitRule::default();
        let last = m.give_notice(&pid("p01"), day(2011, 5, 15), &rule).unwrap();
        assert_eq!(last, day(2012, 5, 15));
        assert!(m.get(&pid("p01")).unwrap().is_member_on(day(2012, 5, 15)));
        assert!(!m.get(&pid("p01")).unwrap().is_member_on(day(2012, 5, 16)));
        let twice = m
            .give_notice(&pid("p01"), day(2011, 6, 1), &rule)
            .unwrap_err();
        assert_eq!(
            twice.to_string(),
            "party p01: notice given on 2011-06-01, but notice was already given on 2011-05-15"
        );
        // A notice on 29 February ends on 28 February a year later.
        assert_eq!(
            m.give_notice(&pid("p02"), day(2012, 2, 29), &rule).unwrap(),
            day(2013, 2, 28)
        );
        let unknown = m
            .give_notice(&pid("p09"), day(2012, 2, 29), &rule)
            .unwrap_err();
        assert!(matches!(unknown, CalendarError::UnknownParty { .. }));
    }

    #[test]
    fn extraction_is_a_direct_pool_of_the_leaver() {
        let mut m = members(3);
        let p = pid("p01");
        assert!(extraction_pool(&m, &p, "x", Money::from_kronor(5)).is_err());
        m.give_notice(&p, day(2011, 5, 15), &ExitRule::default())
            .unwrap();
        let pool = extraction_pool(&m, &p, "x", Money::from_kronor(5)).unwrap();
        assert_eq!(pool.key, Key::Direct { party: p });
    }
}
