//! Properties of the calendar (R4–R9), 1,000 cases each, over any annual fee:
//! - with an unchanged register every correction is zero, under both policies, except the
//!   first period of a party that joins inside it (R6: billed as its correction);
//! - under `pro_rata_days`, the advance plus the correction of a period is its actual amount,
//!   recomputed here day by day;
//! - the lines do not depend on the order of the register rows;
//! - periods containing 29 February: the register's counts and user-days agree with a
//!   day-by-day count, and periods tile the years.

use std::collections::BTreeSet;

use billing_core::calendar::*;
use billing_core::{Agreement, Money, Party, PartyId};
use chrono::{Datelike, Days, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn base() -> NaiveDate {
    NaiveDate::from_ymd_opt(2010, 1, 1).unwrap()
}

fn at(offset: u32) -> NaiveDate {
    base() + Days::new(u64::from(offset))
}

fn pid(i: usize) -> PartyId {
    PartyId::new(&format!("p{i}")).unwrap()
}

fn agreement(n: usize) -> Agreement {
    Agreement::new((0..n).map(|i| Party::new(pid(i), "P")).collect()).unwrap()
}

/// A party's membership: joining offset (0 = founding), optional first-year multiplier in
/// tenths, optional notice offset.
#[derive(Clone, Debug)]
struct Member {
    from: u32,
    multiplier_tenths: Option<u32>,
    notice: Option<u32>,
}

fn member() -> impl Strategy<Value = Member> {
    (
        prop_oneof![Just(0u32), 0u32..900],
        proptest::option::of(5u32..40),
        proptest::option::of(0u32..700),
    )
        .prop_map(|(from, multiplier_tenths, notice)| Member {
            from,
            multiplier_tenths: multiplier_tenths.filter(|_| from > 0),
            notice,
        })
}

fn members(agreement: &Agreement, list: &[Member]) -> Members {
    let mut founding = Vec::new();
    let mut joining = Vec::new();
    for (i, m) in list.iter().enumerate() {
        match m.multiplier_tenths {
            Some(t) => joining.push((i, m, t)),
            None => founding.push(Membership::founding(pid(i), at(m.from))),
        }
    }
    let mut members = Members::new(founding, agreement).unwrap();
    for (i, m, tenths) in joining {
        // Every member on the joining day approves.
        let approvals: Vec<PartyId> = members.members_on(at(m.from)).cloned().collect();
        let request = EntryRequest {
            party: pid(i),
            joining: at(m.from),
            approvals,
        };
        let rule = EntryRule {
            multiplier: Decimal::new(i64::from(tenths), 1),
            months: 12,
        };
        if members.admit(&request, &rule).is_err() {
            // Nobody to approve (no member yet on that day): join as a founding member.
            let mut list = members.memberships().to_vec();
            list.push(Membership::founding(pid(i), at(m.from)));
            members = Members::new(list, agreement).unwrap();
        }
    }
    for (i, m) in list.iter().enumerate() {
        if let Some(n) = m.notice {
            let notice = at(m.from + n);
            members
                .give_notice(&pid(i), notice, &ExitRule::default())
                .unwrap();
        }
    }
    members
}

/// A register row: party, user (small numbers so that ids repeat), first offset, length.
type Row = (usize, u8, u32, Option<u32>);

fn rows_of(rows: &[Row]) -> Vec<Registration> {
    rows.iter()
        .map(|&(p, u, first, len)| {
            Registration::new(
                pid(p),
                UserId::new(&format!("user-{u}")),
                at(first),
                len.map(|l| at(first + l)),
            )
        })
        .collect()
}

/// One annual fee of `ore` öre, in force from the start.
fn fees(ore: i64) -> FeeSchedule {
    FeeSchedule::new(vec![AnnualFee::given(
        base(),
        Money::from_ore(i128::from(ore)),
        None,
    )])
    .unwrap()
}

/// Annual fees in öre: the seed's 12,000 kr, and any fee from 1 öre to 10 Mkr, most of them
/// odd, so that half a fee is a fraction of an öre.
fn fee() -> impl Strategy<Value = i64> {
    prop_oneof![1 => Just(1_200_000i64), 4 => 1i64..1_000_000_000]
}

fn dates() -> Vec<NaiveDate> {
    PeriodStarts::half_years().starts_between(base(), at(4 * 365))
}

fn bill(
    members: &Members,
    register: &Register,
    policy: CorrectionPolicy,
    fee: i64,
) -> Vec<FeeLine> {
    let config = CalendarConfig {
        policy,
        ..CalendarConfig::default()
    };
    bill_dates(
        &dates(),
        &config,
        &fees(fee),
        members,
        Users::Register(register),
        &[],
    )
    .unwrap()
}

const POLICIES: [CorrectionPolicy; 2] = [
    CorrectionPolicy::NextInvoiceCount,
    CorrectionPolicy::ProRataDays,
];

/// x / y rounded half away from zero, in integers.
fn div_round(x: i128, y: i128) -> i128 {
    let q = x / y;
    let r = x % y;
    if 2 * r.abs() >= y.abs() {
        q + x.signum() * y.signum()
    } else {
        q
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn unchanged_register_means_zero_corrections(
        list in proptest::collection::vec(member(), 1..5),
        users in proptest::collection::vec(0u8..30, 5),
        fee in fee(),
    ) {
        let agreement = agreement(list.len());
        let members = members(&agreement, &list);
        // Every user registered from the first day, never ending.
        let rows: Vec<Row> = (0..list.len())
            .flat_map(|p| (0..users[p]).map(move |u| (p, u, 0, None)))
            .collect();
        let register = Register::new(&rows_of(&rows), &agreement).unwrap();
        for policy in POLICIES {
            for line in bill(&members, &register, policy, fee) {
                if line.kind != FeeLineKind::Correction {
                    continue;
                }
                let from = members.get(&line.party).unwrap().from();
                if line.period.start() < from {
                    // R6: a party that joins inside a period pays no advance for it; its
                    // member days are this correction, never a credit.
                    prop_assert!(line.amount.is_positive() || line.amount.is_zero(),
                        "{policy}: {}", line.explanation);
                } else {
                    prop_assert!(line.amount.is_zero(), "{policy}: {}", line.explanation);
                }
            }
        }
    }

    #[test]
    fn pro_rata_advance_plus_correction_is_the_actual_amount(
        list in proptest::collection::vec(member(), 1..4),
        rows in proptest::collection::vec(
            (0usize..3, 0u8..6, 0u32..1300, proptest::option::of(0u32..500)), 0..25),
        fee in fee(),
    ) {
        let agreement = agreement(3);
        let mut list = list;
        list.resize(3, Member { from: 0, multiplier_tenths: None, notice: None });
        let members = members(&agreement, &list);
        let register = Register::new(&rows_of(&rows), &agreement).unwrap();
        let lines = bill(&members, &register, CorrectionPolicy::ProRataDays, fee);
        let starts = PeriodStarts::half_years();
        // Every period that has been corrected: the last date's period is only advanced.
        for start in &dates()[..dates().len() - 1] {
            let period = starts.starting(*start).unwrap();
            for p in 0..3 {
                let party = pid(p);
                let billed: Money = lines
                    .iter()
                    .filter(|l| l.party == party && l.period == period)
                    .map(|l| l.amount)
                    .sum();
                // Day by day: Σ_d m(d) · (distinct users registered on d) while a member.
                let m = members.get(&party).unwrap();
                let mut weighted_tenths: i128 = 0;
                let mut day = period.start();
                while day < period.end() {
                    if m.is_member_on(day) {
                        let users: BTreeSet<u8> = rows
                            .iter()
                            .filter(|&&(rp, _, first, len)| {
                                rp == p && at(first) <= day
                                    && len.is_none_or(|l| day <= at(first + l))
                            })
                            .map(|r| r.1)
                            .collect();
                        let mult = m.multiplier_on(day) * Decimal::TEN;
                        weighted_tenths += i128::from(users.len() as u64)
                            * mult.mantissa() / 10i128.pow(mult.scale());
                    }
                    day = day.succ_opt().unwrap();
                }
                // The fee in öre a year, half per period.
                let actual = div_round(
                    i128::from(fee) * weighted_tenths,
                    2 * 10 * period.days() as i128,
                );
                prop_assert_eq!(billed, Money::from_ore(actual), "party {} period {}", party, period);
            }
        }
    }

    #[test]
    fn lines_do_not_depend_on_register_row_order(
        list in proptest::collection::vec(member(), 3),
        rows in proptest::collection::vec(
            (0usize..3, 0u8..5, 0u32..1300, proptest::option::of(0u32..400)), 0..30)
            .prop_flat_map(|r| (Just(r.clone()), Just(r).prop_shuffle())),
        fee in fee(),
    ) {
        let (rows, shuffled) = rows;
        let agreement = agreement(3);
        let members = members(&agreement, &list);
        let a = Register::new(&rows_of(&rows), &agreement).unwrap();
        let b = Register::new(&rows_of(&shuffled), &agreement).unwrap();
        prop_assert_eq!(&a, &b);
        for policy in POLICIES {
            prop_assert_eq!(bill(&members, &a, policy, fee), bill(&members, &b, policy, fee));
        }
    }

    #[test]
    fn leap_day_periods_count_every_day(
        year in 1999i32..2402,
        rows in proptest::collection::vec((0u8..4, 0u32..200, proptest::option::of(0u32..120)), 0..12),
        quarter_starts in any::<bool>(),
    ) {
        let starts = if quarter_starts {
            PeriodStarts::new(vec![(1, 1), (4, 1), (7, 1), (10, 1)]).unwrap()
        } else {
            PeriodStarts::half_years()
        };
        let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
        let first = starts.containing(jan1).unwrap();
        prop_assert_eq!(first.start(), jan1);
        // The periods of the year tile it: as many days as the year has.
        let mut total = 0;
        let mut p = first;
        while p.start().year() == year {
            total += p.days();
            let next = starts.containing(p.end()).unwrap();
            prop_assert_eq!(starts.previous(next).unwrap(), p);
            p = next;
        }
        let leap = NaiveDate::from_ymd_opt(year, 2, 29).is_some();
        prop_assert_eq!(total, if leap { 366 } else { 365 });
        let h1 = PeriodStarts::half_years().starting(jan1).unwrap();
        prop_assert_eq!(h1.days(), if leap { 182 } else { 181 });

        // Registrations around February: counts and user-days agree with a day-by-day count.
        let agreement = agreement(1);
        let regs: Vec<Registration> = rows
            .iter()
            .map(|&(u, first, len)| {
                let a = jan1 + Days::new(u64::from(first));
                Registration::new(pid(0), UserId::new(&u.to_string()), a,
                                  len.map(|l| a + Days::new(u64::from(l))))
            })
            .collect();
        let register = Register::new(&regs, &agreement).unwrap();
        let mut days = 0u64;
        let mut day = h1.start();
        while day < h1.end() {
            let on: BTreeSet<&UserId> = regs
                .iter()
                .filter(|r| r.first_day <= day && r.last_day.is_none_or(|l| day <= l))
                .map(|r| &r.user)
                .collect();
            prop_assert_eq!(register.users_on(&pid(0), day), on.len() as u64, "{}", day);
            days += on.len() as u64;
            day = day.succ_opt().unwrap();
        }
        prop_assert_eq!(register.user_days(&pid(0), h1.start(), h1.last_day()), days);
    }
}
