//! Who is a member when: one [`Membership`] per party, from its first day to its last.
//!
//! How a party becomes a member is R8, in [`entry`]; how it stops being one is R9, in [`exit`].
//! Both change [`Members`] and so live below this module, which imports neither.

pub mod entry;
pub mod exit;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::agreement::{Agreement, PartyId};
use crate::calendar::error::{CalendarError, CalendarProblems};

/// The first year of a new member (R8): its user fee is multiplied from its joining date until,
/// not including, `until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
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

/// The memberships of an agreement, one per party, ordered by party id.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Members {
    list: Vec<Membership>,
    #[cfg_attr(feature = "serde", serde(skip))]
    known: Vec<PartyId>,
    /// Each membership's place in `list`, by party (FxHash, rustc-hash: the agreement's own
    /// ids): every pool's due date asks each party's membership, and a binary search compared
    /// ids some 17 times per look-up at 100,000 parties (issue 12).
    #[cfg_attr(feature = "serde", serde(skip))]
    places: FxHashMap<PartyId, usize>,
    /// Each membership's party's place among the agreement's parties (`known`), in the order of
    /// `list`.
    #[cfg_attr(feature = "serde", serde(skip))]
    in_agreement: Vec<usize>,
}

impl std::fmt::Debug for Members {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Members")
            .field("list", &self.list)
            .field("known", &self.known)
            .finish()
    }
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
        let in_agreement = list
            .iter()
            .map(|m| agreement.place(&m.party).unwrap_or(usize::MAX))
            .collect();
        let places = list
            .iter()
            .enumerate()
            .map(|(i, m)| (m.party.clone(), i))
            .collect();
        CalendarProblems::check(
            Members {
                list,
                known,
                places,
                in_agreement,
            },
            problems,
        )
    }

    /// The memberships, ordered by party id.
    pub fn memberships(&self) -> &[Membership] {
        &self.list
    }

    /// The place of each membership's party among the agreement's parties, in the order of
    /// [`Members::memberships`].
    pub(crate) fn places(&self) -> &[usize] {
        &self.in_agreement
    }

    /// The membership of `party`.
    pub fn get(&self, party: &PartyId) -> Option<&Membership> {
        self.index(party).map(|i| &self.list[i])
    }

    fn index(&self, party: &PartyId) -> Option<usize> {
        self.places.get(party).copied()
    }

    /// The parties that are members on `day`.
    pub fn members_on(&self, day: NaiveDate) -> impl Iterator<Item = &PartyId> {
        self.list
            .iter()
            .filter(move |m| m.is_member_on(day))
            .map(|m| &m.party)
    }
}

#[cfg(test)]
mod tests {
    use super::entry::{EntryRequest, EntryRule};
    use super::exit::{extraction_pool, ExitRule};
    use super::*;
    use crate::agreement::Party;
    use crate::money::Money;
    use crate::pool::Key;

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
        assert_eq!(pool.key(), &Key::Direct { party: p });
    }
}
