//! R4 Who counts as a user: the user register says who is a registered user of which party,
//! from which day to which day (docs/rules.md, section "R4 Who counts as a user").
//!
//! Users are counted as distinct ids per party: a person registered twice for the same party
//! counts once, a person working for two parties counts once for each. User ids are kept only
//! to tell users apart; no count, error, `Debug` output or explanation ever shows one.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use rustc_hash::FxHashMap;

use crate::agreement::{Agreement, PartyId, SourceRef};
use crate::calendar::error::{CalendarError, CalendarProblems};

/// A user's identifier, possibly a personal identity number: compared, never shown.
///
/// It has no `Display` and no `Serialize`, and its `Debug` hides the value, so a user id cannot
/// leak into a report, a log or an error message by accident.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(compact_str::CompactString);

impl UserId {
    /// A user id from text.
    pub fn new(id: &str) -> UserId {
        // Held inline up to 24 bytes (an identity number, a login): millions of registrations
        // are not millions of separate heap strings.
        UserId(compact_str::CompactString::from(id))
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserId(..)")
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for UserId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<UserId, D::Error> {
        String::deserialize(deserializer).map(|s| UserId(s.into()))
    }
}

/// One row of the user register: a user working for a party from a first day to an optional last
/// day, both included.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct Registration {
    /// The party the user works for (the licensing party, for users of an organisation below it).
    pub party: PartyId,
    /// The user.
    pub user: UserId,
    /// An organisation below the party, e.g. a private care provider it licenses (R4).
    #[cfg_attr(feature = "serde", serde(default))]
    pub organisation: Option<String>,
    /// The first day of the registration.
    pub first_day: NaiveDate,
    /// The last day, if the registration has ended.
    #[cfg_attr(feature = "serde", serde(default))]
    pub last_day: Option<NaiveDate>,
    /// Where the row was read, e.g. `Users!A8`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub source: Option<SourceRef>,
}

impl Registration {
    /// A registration with no organisation below the party and no source.
    pub fn new(
        party: PartyId,
        user: UserId,
        first_day: NaiveDate,
        last_day: Option<NaiveDate>,
    ) -> Registration {
        Registration {
            party,
            user,
            organisation: None,
            first_day,
            last_day,
            source: None,
        }
    }
}

/// Day numbers (days since 1 January of year 1) make interval arithmetic plain integers.
pub(crate) fn day_number(day: NaiveDate) -> i64 {
    i64::from(chrono::Datelike::num_days_from_ce(&day))
}

/// The last day of a registration without one: later than any date.
const OPEN: i64 = i64::MAX / 4;

/// [`OPEN`] in a row's bucket: later than any date's day number (at most about 96 million).
const OPEN32: i32 = i32::MAX;

/// [`day_number`] as held in a row's bucket.
fn day_number32(day: NaiveDate) -> i32 {
    chrono::Datelike::num_days_from_ce(&day)
}

/// A bucket's last day as a day number.
fn wide(last: i32) -> i64 {
    if last == OPEN32 {
        OPEN
    } else {
        i64::from(last)
    }
}

/// A row of the register as held while the register is built: 32 bytes rather than the row's
/// hundred, the user id inline up to 24 bytes.
#[derive(Clone)]
struct BucketRow {
    user: compact_str::CompactString,
    first: i32,
    last: i32,
}

/// The register of one party: each user's registrations merged into disjoint intervals.
#[derive(Clone, Copy, Debug)]
struct PartyUsers<'a> {
    /// (first day, last day) as day numbers, both included, sorted by first day. Intervals of one
    /// user never overlap; intervals of different users may.
    intervals: &'a [(i64, i64)],
    /// The first days, sorted.
    starts: &'a [i64],
    /// The last days, sorted.
    ends: &'a [i64],
}

impl PartyUsers<'_> {
    fn users_on(&self, day: i64) -> u64 {
        let started = self.starts.partition_point(|&s| s <= day);
        let ended = self.ends.partition_point(|&e| e < day);
        (started - ended) as u64
    }

    fn user_days(&self, first: i64, last: i64) -> u64 {
        if last < first {
            return 0;
        }
        let upto = self.intervals.partition_point(|&(s, _)| s <= last);
        self.intervals[..upto]
            .iter()
            .map(|&(s, e)| {
                let (a, b) = (s.max(first), e.min(last));
                if b >= a {
                    (b - a + 1) as u64
                } else {
                    0
                }
            })
            .sum()
    }
}

/// The validated user register: distinct users per party and day, and user-days per span.
///
/// The result does not depend on the order of the rows.
#[derive(Clone, PartialEq, Eq)]
pub struct Register {
    /// Each party's part of `intervals`, `starts` and `ends` (one range of each), by party in
    /// a hash map (FxHash, rustc-hash: the agreement's own ids): every fee line looks its party
    /// up, and a tree of each party's own vectors compared ids in each look-up and read three
    /// vectors scattered over the heap (issue 12: a tenth of `check` at 100,000 parties).
    parties: FxHashMap<PartyId, (u32, u32)>,
    /// The agreement's parties, ordered by id, and each one's range as in `parties`: the fee
    /// lines of a date, made in this order, find their party by its place (checked against the
    /// id) in memory read in order, rather than by a hash look-up in memory read at random.
    ids: Vec<PartyId>,
    by_place: Vec<(u32, u32)>,
    /// Every party's intervals (see [`PartyUsers`]), one party after another in the order of
    /// the agreement's parties, as are `starts` and `ends`: the fee lines of a date, made in
    /// that order, read them in order.
    intervals: Vec<(i64, i64)>,
    starts: Vec<i64>,
    ends: Vec<i64>,
    rows: usize,
}

impl fmt::Debug for Register {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Register")
            .field("rows", &self.rows)
            .field("parties", &self.parties.len())
            .finish()
    }
}

impl Register {
    /// Validates `rows` against the parties of `agreement` and builds the register.
    ///
    /// # Errors
    /// Every bad row at once: [`CalendarError::UnknownParty`] for a party the agreement does not
    /// know and [`CalendarError::RegistrationEndsBeforeStart`] for a last day before the first,
    /// each naming the row number (from 1) and source, never the user.
    pub fn new(rows: &[Registration], agreement: &Agreement) -> Result<Register, CalendarProblems> {
        let mut problems = Vec::new();
        let ids: Vec<&PartyId> = agreement.parties().iter().map(|p| &p.id).collect();
        // Each row's party as its number. The ids are hashed with FxHash (rustc-hash): at
        // 2,000,000 rows the default SipHash was a quarter of `check`; these maps hold the
        // workbook's own ids, and a collision would only cost time.
        let party_numbers: FxHashMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        // One pass over the rows, in their order: each row is copied, small (its user id and
        // its days), into its party's bucket. The rows are never read again, so the register is
        // built as fast whether it comes sorted by party, by user or interleaved: reading a
        // party's rows back from the big row list, ~30 kB apart in an interleaved register, was
        // two thirds of `check` at 2,000,000 rows on a machine with slow memory.
        let mut buckets: Vec<Vec<BucketRow>> = vec![Vec::new(); ids.len()];
        // Registers are usually grouped by party: the previous row's party is tried first.
        let mut previous: Option<(&str, usize)> = None;
        for (i, row) in rows.iter().enumerate() {
            let number = i + 1;
            let name = row.party.as_str();
            let party = match previous {
                Some((p, n)) if p == name => Some(n),
                _ => party_numbers.get(name).copied(),
            };
            let Some(party) = party else {
                problems.push(CalendarError::UnknownParty {
                    party: row.party.clone(),
                    what: match &row.source {
                        Some(s) => format!("register row {number} ({s})"),
                        None => format!("register row {number}"),
                    },
                });
                continue;
            };
            previous = Some((name, party));
            if let Some(last) = row.last_day.filter(|l| *l < row.first_day) {
                problems.push(CalendarError::RegistrationEndsBeforeStart {
                    party: row.party.clone(),
                    row: number,
                    place: row.source.clone(),
                    first_day: row.first_day,
                    last_day: last,
                });
                continue;
            }
            if problems.is_empty() {
                buckets[party].push(BucketRow {
                    user: row.user.0.clone(),
                    first: day_number32(row.first_day),
                    last: row.last_day.map_or(OPEN32, day_number32),
                });
            }
        }
        if !problems.is_empty() {
            return Err(CalendarProblems::new(problems));
        }

        // Each party apart, from its own bucket: small maps and sorts that stay in the cache,
        // rather than one map of millions of ids; a bucket is dropped once its party is built.
        let mut parties: FxHashMap<PartyId, (u32, u32)> =
            FxHashMap::with_capacity_and_hasher(ids.len(), Default::default());
        let (mut intervals, mut starts, mut ends) = (Vec::new(), Vec::new(), Vec::new());
        let mut by_place = vec![(0, 0); ids.len()];
        // (user number, first day, last day) of one party's rows.
        let mut keyed: Vec<(u32, i32, i32)> = Vec::new();
        for (party, id) in ids.iter().enumerate() {
            let bucket = std::mem::take(&mut buckets[party]);
            if bucket.is_empty() {
                continue;
            }
            keyed.clear();
            {
                let mut user_numbers: FxHashMap<&str, u32> =
                    FxHashMap::with_capacity_and_hasher(bucket.len(), Default::default());
                for row in &bucket {
                    let next = user_numbers.len() as u32;
                    let user = *user_numbers.entry(row.user.as_str()).or_insert(next);
                    keyed.push((user, row.first, row.last));
                }
            }
            drop(bucket);
            keyed.sort_unstable();
            let from = intervals.len();
            let mut k = 0;
            while k < keyed.len() {
                // One user of this party: merge overlapping and adjacent registrations.
                let (user, s, e) = keyed[k];
                let (mut s, mut e) = (i64::from(s), wide(e));
                k += 1;
                while k < keyed.len() && keyed[k].0 == user {
                    let (_, s2, e2) = keyed[k];
                    let (s2, e2) = (i64::from(s2), wide(e2));
                    if s2 <= e.saturating_add(1) {
                        e = e.max(e2);
                    } else {
                        intervals.push((s, e));
                        (s, e) = (s2, e2);
                    }
                    k += 1;
                }
                intervals.push((s, e));
            }
            let own = &mut intervals[from..];
            own.sort_unstable();
            starts.extend(own.iter().map(|iv| iv.0));
            ends.extend(own.iter().map(|iv| iv.1));
            ends[from..].sort_unstable();
            // A register of more than 2^32 intervals does not fit in memory anyway.
            let span = (
                u32::try_from(from).unwrap_or(u32::MAX),
                u32::try_from(intervals.len()).unwrap_or(u32::MAX),
            );
            by_place[party] = span;
            parties.insert((*id).clone(), span);
        }
        Ok(Register {
            parties,
            ids: ids.into_iter().cloned().collect(),
            by_place,
            intervals,
            starts,
            ends,
            rows: rows.len(),
        })
    }

    /// The register of `party`, if it has any rows.
    fn party(&self, party: &PartyId) -> Option<PartyUsers<'_>> {
        self.parties.get(party).map(|&span| self.span(span))
    }

    /// The register of `party`, at `place` among the agreement's parties if the register was
    /// built with that agreement, else found by its id.
    fn party_at(&self, place: usize, party: &PartyId) -> Option<PartyUsers<'_>> {
        match self.ids.get(place) {
            Some(id) if id == party => Some(self.span(self.by_place[place])),
            _ => self.party(party),
        }
    }

    fn span(&self, (from, to): (u32, u32)) -> PartyUsers<'_> {
        let range = from as usize..to as usize;
        PartyUsers {
            intervals: &self.intervals[range.clone()],
            starts: &self.starts[range.clone()],
            ends: &self.ends[range],
        }
    }

    /// How many rows the register was built from.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The distinct users of `party` registered on `day`.
    pub fn users_on(&self, party: &PartyId, day: NaiveDate) -> u64 {
        self.party(party).map_or(0, |u| u.users_on(day_number(day)))
    }

    /// The distinct users of all parties on `day`, a person counted once per party (the N of
    /// R5 at the budget's reference date).
    pub fn total_users_on(&self, day: NaiveDate) -> u64 {
        let d = day_number(day);
        let ends = self.ends.iter().filter(|&&e| e < d).count();
        let starts = self.starts.iter().filter(|&&s| s <= d).count();
        (starts - ends) as u64
    }

    /// [`Register::user_days`] between two day numbers.
    pub(crate) fn user_days_between(
        &self,
        (place, party): (usize, &PartyId),
        first: i64,
        last: i64,
    ) -> u64 {
        self.party_at(place, party)
            .map_or(0, |u| u.user_days(first, last))
    }

    /// The user-days of `party` from `first` to `last`, both included: for each distinct user,
    /// the days on which it was registered.
    pub fn user_days(&self, party: &PartyId, first: NaiveDate, last: NaiveDate) -> u64 {
        self.party(party)
            .map_or(0, |u| u.user_days(day_number(first), day_number(last)))
    }
}

/// A number of users of a party from a date on, the simpler input of R4.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UserCount {
    /// The party.
    pub party: PartyId,
    /// The first day the count holds.
    pub date: NaiveDate,
    /// The number of users.
    pub count: u64,
    /// Where it was read.
    #[cfg_attr(feature = "serde", serde(default))]
    pub source: Option<SourceRef>,
}

/// Users per party as counts by date: a count holds from its date until the party's next count;
/// before a party's first count it has no users.
///
/// Enough for the `next_invoice_count` policy, which needs users on single days; `pro_rata_days`
/// needs user-days and so the full [`Register`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserCounts {
    parties: BTreeMap<PartyId, Vec<(NaiveDate, u64)>>,
}

impl UserCounts {
    /// Validates `rows` against the parties of `agreement`.
    ///
    /// # Errors
    /// Every problem at once: [`CalendarError::UnknownParty`] and
    /// [`CalendarError::DuplicateUserCount`] for two counts of one party on one date.
    pub fn new(rows: &[UserCount], agreement: &Agreement) -> Result<UserCounts, CalendarProblems> {
        let mut problems = Vec::new();
        let mut parties: BTreeMap<PartyId, Vec<(NaiveDate, u64)>> = BTreeMap::new();
        for (i, row) in rows.iter().enumerate() {
            if !agreement.contains(&row.party) {
                problems.push(CalendarError::UnknownParty {
                    party: row.party.clone(),
                    what: format!("user count row {}", i + 1),
                });
                continue;
            }
            parties
                .entry(row.party.clone())
                .or_default()
                .push((row.date, row.count));
        }
        for (party, counts) in &mut parties {
            counts.sort_unstable();
            for w in counts.windows(2) {
                if w[0].0 == w[1].0 {
                    let source = rows
                        .iter()
                        .rev()
                        .find(|r| &r.party == party && r.date == w[1].0)
                        .and_then(|r| r.source.clone());
                    problems.push(CalendarError::DuplicateUserCount {
                        party: party.clone(),
                        date: w[1].0,
                        place: source,
                    });
                }
            }
        }
        CalendarProblems::check(UserCounts { parties }, problems)
    }

    /// The users of `party` on `day`: its latest count on or before that day.
    pub fn users_on(&self, party: &PartyId, day: NaiveDate) -> u64 {
        let Some(counts) = self.parties.get(party) else {
            return 0;
        };
        let upto = counts.partition_point(|(d, _)| *d <= day);
        upto.checked_sub(1).map_or(0, |i| counts[i].1)
    }
}

/// Where the users come from: the full register or counts per date.
#[derive(Clone, Copy, Debug)]
pub enum Users<'a> {
    /// The user register (both correction policies).
    Register(&'a Register),
    /// Counts per party and date (`next_invoice_count` only).
    Counts(&'a UserCounts),
}

impl Users<'_> {
    /// The users of `party` on `day`.
    pub fn users_on(&self, party: &PartyId, day: NaiveDate) -> u64 {
        match self {
            Users::Register(r) => r.users_on(party, day),
            Users::Counts(c) => c.users_on(party, day),
        }
    }

    /// [`Users::users_on`] of the party at `place` among the agreement's parties: found there
    /// when the register was built with the same agreement.
    pub(crate) fn users_on_at(&self, (place, party): (usize, &PartyId), day: NaiveDate) -> u64 {
        match self {
            Users::Register(r) => r
                .party_at(place, party)
                .map_or(0, |u| u.users_on(day_number(day))),
            Users::Counts(c) => c.users_on(party, day),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agreement::Party;
    use std::collections::BTreeSet;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn pid(id: &str) -> PartyId {
        PartyId::new(id).unwrap()
    }

    fn agreement() -> Agreement {
        Agreement::new(vec![Party::new(pid("a"), "A"), Party::new(pid("b"), "B")]).unwrap()
    }

    fn reg(party: &str, user: &str, first: NaiveDate, last: Option<NaiveDate>) -> Registration {
        Registration::new(pid(party), UserId::new(user), first, last)
    }

    #[test]
    fn a_party_is_found_by_its_place_or_else_by_its_id() {
        let rows = [
            reg("a", "p1", day(2011, 1, 1), None),
            reg("b", "p1", day(2011, 1, 1), None),
            reg("b", "p2", day(2011, 1, 1), None),
        ];
        let r = Register::new(&rows, &agreement()).unwrap();
        let users = Users::Register(&r);
        let on = day(2011, 6, 1);
        // Its own place, another party's place, a place beyond the agreement's parties (a
        // register made with another agreement than the memberships'): the party's own users.
        for place in [1, 0, 7] {
            assert_eq!(users.users_on_at((place, &pid("b")), on), 2);
        }
        assert_eq!(users.users_on_at((0, &pid("a")), on), 1);
        assert_eq!(users.users_on_at((0, &pid("c")), on), 0);
        assert_eq!(r.user_days_between((0, &pid("b")), 1, 0), 0);
        let first = day_number(day(2011, 1, 1));
        assert_eq!(r.user_days_between((0, &pid("b")), first, first + 9), 20);
        assert_eq!(r.user_days_between((1, &pid("a")), first, first + 9), 10);
    }

    #[test]
    fn distinct_ids_per_party() {
        let rows = [
            // The same person twice for a, overlapping: counts once.
            reg("a", "p1", day(2011, 1, 1), Some(day(2011, 3, 31))),
            reg("a", "p1", day(2011, 3, 1), None),
            // The same person for b too: counts once for b.
            reg("b", "p1", day(2011, 1, 1), None),
            reg("a", "p2", day(2011, 2, 1), Some(day(2011, 2, 10))),
        ];
        let r = Register::new(&rows, &agreement()).unwrap();
        assert_eq!(r.users_on(&pid("a"), day(2011, 3, 15)), 1);
        assert_eq!(r.users_on(&pid("a"), day(2011, 2, 10)), 2);
        assert_eq!(r.users_on(&pid("a"), day(2011, 2, 11)), 1);
        assert_eq!(r.total_users_on(day(2011, 3, 15)), 2);
        // p1 for all of January–March (90 days) once, plus p2 10 days.
        assert_eq!(
            r.user_days(&pid("a"), day(2011, 1, 1), day(2011, 3, 31)),
            100
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Users on each day and user-days of each span are what counting the rows day by day
        /// gives, whether the rows come grouped by party, by user or in any order, with user
        /// ids held inline or too long for that, open registrations and ones ending on the day
        /// another begins.
        #[test]
        fn counts_are_those_of_the_rows_day_by_day(
            rows in proptest::collection::vec(
                (0usize..2, 0usize..6, 0u32..60, proptest::option::of(0u32..40)), 0..40),
            shuffle in proptest::collection::vec(0usize..1000, 40),
        ) {
            let users = ["u1", "u2", "190101-0101", "a-user-id-longer-than-24-bytes-1",
                "a-user-id-longer-than-24-bytes-2", "u2 "];
            let base = day(2011, 1, 1);
            let at = |n: u32| base + chrono::Days::new(u64::from(n));
            let to_rows = |order: &[(usize, usize, u32, Option<u32>)]| -> Vec<Registration> {
                order
                    .iter()
                    .map(|&(p, u, first, len)| {
                        reg(["a", "b"][p], users[u], at(first), len.map(|l| at(first + l)))
                    })
                    .collect()
            };
            let mut by_party = rows.clone();
            by_party.sort_by_key(|r| r.0);
            let mut by_user = rows.clone();
            by_user.sort_by_key(|r| (r.1, r.2));
            let mut shuffled = rows.clone();
            for (i, k) in shuffle.iter().enumerate().take(shuffled.len()) {
                let j = k % shuffled.len();
                shuffled.swap(i, j);
            }
            let registers: Vec<Register> = [&rows, &by_party, &by_user, &shuffled]
                .iter()
                .map(|order| Register::new(&to_rows(order), &agreement()).unwrap())
                .collect();
            for r in &registers[1..] {
                proptest::prop_assert_eq!(&registers[0], r);
            }
            let r = &registers[0];
            proptest::prop_assert_eq!(r.rows(), rows.len());
            let on = |p: usize, d: u32| -> u64 {
                let ids: BTreeSet<usize> = rows
                    .iter()
                    .filter(|&&(rp, _, first, len)| {
                        rp == p && first <= d && len.is_none_or(|l| d <= first + l)
                    })
                    .map(|r| r.1)
                    .collect();
                ids.len() as u64
            };
            for (p, name) in ["a", "b"].iter().enumerate() {
                for d in 0..110 {
                    proptest::prop_assert_eq!(r.users_on(&pid(name), at(d)), on(p, d));
                }
                for (first, last) in [(0, 109), (5, 5), (10, 40), (30, 29), (59, 200)] {
                    let days: u64 = (first..=last).map(|d| on(p, d)).sum();
                    proptest::prop_assert_eq!(r.user_days(&pid(name), at(first), at(last)), days);
                }
            }
            let total: u64 = on(0, 20) + on(1, 20);
            proptest::prop_assert_eq!(r.total_users_on(at(20)), total);
        }
    }

    #[test]
    fn bad_rows_name_row_and_party_never_the_user() {
        let mut late = reg("a", "190101-0101", day(2011, 5, 1), Some(day(2011, 4, 30)));
        late.source = Some(SourceRef::new("Users!A3"));
        let rows = [reg("zz", "190101-0101", day(2011, 1, 1), None), late];
        let err = Register::new(&rows, &agreement()).unwrap_err();
        let text = err.to_string();
        assert_eq!(
            text,
            "2 problems\n  register row 1: party zz is not a party of the agreement\n  \
             register row 2 (Users!A3): party a: last day 2011-04-30 is before first day 2011-05-01"
        );
        assert!(!format!("{err:?}").contains("190101"));
        assert!(!format!("{:?}", rows[0]).contains("190101"));
    }

    #[test]
    fn counts_hold_until_the_next_count() {
        let count = |party: &str, date, count| UserCount {
            party: pid(party),
            date,
            count,
            source: None,
        };
        let c = UserCounts::new(
            &[
                count("a", day(2011, 1, 1), 10),
                count("a", day(2011, 3, 1), 11),
            ],
            &agreement(),
        )
        .unwrap();
        assert_eq!(c.users_on(&pid("a"), day(2010, 12, 31)), 0);
        assert_eq!(c.users_on(&pid("a"), day(2011, 2, 28)), 10);
        assert_eq!(c.users_on(&pid("a"), day(2011, 6, 30)), 11);
        let twice = UserCounts::new(
            &[
                count("a", day(2011, 1, 1), 10),
                count("a", day(2011, 1, 1), 11),
            ],
            &agreement(),
        );
        assert_eq!(
            twice.unwrap_err().to_string(),
            "1 problem\n  user counts: party a has two counts for 2011-01-01"
        );
    }
}
