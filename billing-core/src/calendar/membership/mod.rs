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
///
/// Two memberships are equal, and print, by these days alone: the place of the party among the
/// agreement's parties (set by [`Members`]) says where to look for it, not what it is.
#[derive(Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Membership {
    party: PartyId,
    from: NaiveDate,
    first_year: Option<FirstYear>,
    notice: Option<NaiveDate>,
    last_day: Option<NaiveDate>,
    /// The party's place among the agreement's parties, where the register looks for its users
    /// first (`usize::MAX` until [`Members`] sets it; a wrong place only costs a look-up by id).
    /// Kept in the membership itself, not in a list beside [`Members`]' own, so that the two
    /// can never get out of step (issue 12).
    #[cfg_attr(feature = "serde", serde(skip))]
    place: usize,
}

impl PartialEq for Membership {
    fn eq(&self, other: &Membership) -> bool {
        let Membership {
            party,
            from,
            first_year,
            notice,
            last_day,
            place: _,
        } = self;
        (party, from, first_year, notice, last_day)
            == (
                &other.party,
                &other.from,
                &other.first_year,
                &other.notice,
                &other.last_day,
            )
    }
}

impl Eq for Membership {}

impl std::fmt::Debug for Membership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Membership")
            .field("party", &self.party)
            .field("from", &self.from)
            .field("first_year", &self.first_year)
            .field("notice", &self.notice)
            .field("last_day", &self.last_day)
            .finish()
    }
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
            place: usize::MAX,
        }
    }

    /// The party.
    pub fn party(&self) -> &PartyId {
        &self.party
    }

    /// The party's place among the agreement's parties, for [`crate::calendar::register`]'s
    /// look-up by place (`usize::MAX` when not known).
    pub(crate) fn place(&self) -> usize {
        self.place
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
        for m in &mut list {
            m.place = agreement.place(&m.party).unwrap_or(usize::MAX);
        }
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
            },
            problems,
        )
    }

    /// The memberships, ordered by party id.
    pub fn memberships(&self) -> &[Membership] {
        &self.list
    }

    /// The membership of `party`.
    pub fn get(&self, party: &PartyId) -> Option<&Membership> {
        self.index(party).map(|i| &self.list[i])
    }

    /// The place of `party`'s membership in [`Members::memberships`].
    pub(crate) fn index(&self, party: &PartyId) -> Option<usize> {
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
    use chrono::Datelike;
    use std::collections::BTreeMap;

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

    /// Checks `members` against the plain `model`, the memberships expected by party: each
    /// party of `agreement` has the model's membership or none, under its own id, and each
    /// membership knows its party's place among the agreement's parties.
    fn agrees(members: &Members, agreement: &Agreement, model: &BTreeMap<PartyId, Membership>) {
        let expected: Vec<&Membership> = model.values().collect();
        let actual: Vec<&Membership> = members.memberships().iter().collect();
        assert_eq!(actual, expected);
        for party in agreement.parties() {
            let got = members.get(&party.id);
            assert_eq!(got, model.get(&party.id), "membership of {}", party.id);
            if let Some(m) = got {
                assert_eq!(m.party(), &party.id);
                assert_eq!(Some(m.place()), agreement.place(&party.id), "{}", party.id);
            }
        }
        assert_eq!(members.get(&pid("not-a-party")), None);
    }

    /// A first-year membership as [`Members::admit`] gives it under the default rule.
    fn joined(party: &PartyId, joining: NaiveDate) -> Membership {
        Membership {
            first_year: Some(FirstYear {
                multiplier: Decimal::TWO,
                until: joining.with_year(joining.year() + 1).unwrap(),
            }),
            ..Membership::founding(party.clone(), joining)
        }
    }

    /// Admits `party` on `joining` with the approval of every member on that day.
    fn admit_all_approving(members: &mut Members, party: &PartyId, joining: NaiveDate) {
        let request = EntryRequest {
            party: party.clone(),
            joining,
            approvals: members.members_on(joining).cloned().collect(),
        };
        let m = members.admit(&request, &EntryRule::default()).unwrap();
        assert_eq!(m.party(), party);
    }

    #[test]
    fn a_joiner_that_sorts_first_or_in_the_middle_takes_its_place() {
        let ids = ["p00", "p01", "p02", "p02a", "p03"].map(pid);
        let agreement =
            Agreement::new(ids.iter().map(|id| Party::new(id.clone(), "P")).collect()).unwrap();
        let founding: BTreeMap<PartyId, Membership> = [&ids[1], &ids[2], &ids[4]]
            .map(|id| {
                (
                    id.clone(),
                    Membership::founding(id.clone(), day(2010, 1, 1)),
                )
            })
            .into();
        for joiner in [&ids[0], &ids[3]] {
            let mut members = Members::new(founding.values().cloned().collect(), &agreement)
                .expect("founding members");
            let mut model = founding.clone();
            admit_all_approving(&mut members, joiner, day(2011, 4, 1));
            model.insert(joiner.clone(), joined(joiner, day(2011, 4, 1)));
            agrees(&members, &agreement, &model);
            // Notice reaches the party named, and only it: the joiner, then the one after it.
            for (party, notice) in [(joiner, day(2012, 5, 15)), (&ids[4], day(2011, 5, 15))] {
                members
                    .give_notice(party, notice, &ExitRule::default())
                    .unwrap();
                let m = model.get_mut(party).unwrap();
                m.notice = Some(notice);
                m.last_day = Some(notice.with_year(notice.year() + 1).unwrap());
                agrees(&members, &agreement, &model);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Any founding members, the other parties joining one by one in any order (so a
        /// joiner's id sorts anywhere among the members), and notices in any order: after each
        /// step every party has exactly the membership a plain model expects.
        #[test]
        fn joins_and_notices_in_any_order_agree_with_a_model(
            n in 1usize..14,
            founding in proptest::collection::vec(proptest::bool::ANY, 14),
            order in proptest::collection::vec(0u32..1000, 14),
            notices in proptest::collection::vec(proptest::option::of(0u32..1000), 14),
        ) {
            // Ids whose order differs from their numbers' ("p10" sorts before "p2").
            let ids: Vec<PartyId> = (0..n).map(|i| pid(&format!("p{i}"))).collect();
            let agreement =
                Agreement::new(ids.iter().map(|id| Party::new(id.clone(), "P")).collect())
                    .unwrap();
            // At least one founding member, to approve the first joiner.
            let is_founding = |i: usize| i == 0 || founding[i];
            let mut model: BTreeMap<PartyId, Membership> = ids
                .iter()
                .enumerate()
                .filter(|&(i, _)| is_founding(i))
                .map(|(_, id)| (id.clone(), Membership::founding(id.clone(), day(2010, 1, 1))))
                .collect();
            let mut members =
                Members::new(model.values().cloned().collect(), &agreement).unwrap();
            agrees(&members, &agreement, &model);
            let mut joiners: Vec<usize> = (0..n).filter(|&i| !is_founding(i)).collect();
            joiners.sort_by_key(|&i| (order[i], i));
            for (k, &i) in joiners.iter().enumerate() {
                let joining = day(2011, 1, 1) + chrono::Days::new(k as u64);
                admit_all_approving(&mut members, &ids[i], joining);
                model.insert(ids[i].clone(), joined(&ids[i], joining));
                agrees(&members, &agreement, &model);
            }
            let mut leavers: Vec<(u32, usize)> =
                (0..n).filter_map(|i| notices[i].map(|o| (o, i))).collect();
            leavers.sort_unstable();
            for (offset, i) in leavers {
                let notice = day(2012, 1, 1) + chrono::Days::new(u64::from(offset));
                members
                    .give_notice(&ids[i], notice, &ExitRule::default())
                    .unwrap();
                let m = model.get_mut(&ids[i]).unwrap();
                m.notice = Some(notice);
                m.last_day = Some(notice.checked_add_months(chrono::Months::new(12)).unwrap());
                agrees(&members, &agreement, &model);
            }
        }
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
