//! DOMAIN.md R6–R9 worked examples, to the öre, under both correction policies, and the bad
//! inputs of issue 4, each a typed error naming what and where.

use billing_core::calendar::*;
use billing_core::{Agreement, Money, Party, PartyId};
use chrono::NaiveDate;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn pid(id: &str) -> PartyId {
    PartyId::new(id).unwrap()
}

fn agreement(ids: &[&str]) -> Agreement {
    Agreement::new(ids.iter().map(|id| Party::new(pid(id), id)).collect()).unwrap()
}

fn reg(party: &str, user: &str, first: NaiveDate, last: Option<NaiveDate>) -> Registration {
    Registration::new(pid(party), UserId::new(user), first, last)
}

fn fee_12000() -> FeeSchedule {
    FeeSchedule::new(vec![AnnualFee::given(
        day(2010, 1, 1),
        Money::from_kronor(12_000),
        None,
    )])
    .unwrap()
}

fn config(policy: CorrectionPolicy) -> CalendarConfig {
    CalendarConfig {
        policy,
        ..CalendarConfig::default()
    }
}

/// Bills `dates` and renders each line of `party` as `date kind period amount`.
fn check(
    agreement: &Agreement,
    members: &Members,
    rows: &[Registration],
    policy: CorrectionPolicy,
    dates: &[NaiveDate],
    party: &str,
    expected: &[&str],
) {
    let register = Register::new(rows, agreement).unwrap();
    let lines = bill_dates(
        dates,
        &config(policy),
        &fee_12000(),
        members,
        Users::Register(&register),
        &[],
    )
    .unwrap();
    let got: Vec<String> = lines
        .iter()
        .filter(|l| l.party == pid(party))
        .map(|l| {
            format!(
                "{} {:?} {} {}",
                l.invoice_date,
                l.kind,
                l.period.start(),
                l.amount
            )
        })
        .collect();
    assert_eq!(got, expected, "{policy}");
}

/// Example 1: 10 users on 2011-01-01, one more from 2011-03-01, one of the ten ends 2011-05-31.
fn example_1() -> (Agreement, Members, Vec<Registration>) {
    let a = agreement(&["p"]);
    let members = Members::new(vec![Membership::founding(pid("p"), day(2010, 1, 1))], &a).unwrap();
    let mut rows: Vec<Registration> = (0..9)
        .map(|u| reg("p", &format!("u{u}"), day(2010, 6, 1), None))
        .collect();
    rows.push(reg("p", "u9", day(2010, 6, 1), Some(day(2011, 5, 31))));
    rows.push(reg("p", "u10", day(2011, 3, 1), None));
    (a, members, rows)
}

#[test]
fn r7_example_1_next_invoice_count() {
    let (a, members, rows) = example_1();
    check(
        &a,
        &members,
        &rows,
        CorrectionPolicy::NextInvoiceCount,
        &[day(2011, 1, 1), day(2011, 7, 1)],
        "p",
        &[
            // Nothing issued before 2011-01-01: it starts the billing, H2 2010 is not
            // corrected (issue 11 (b): it was "corrected" by 60,000.00 before).
            "2011-01-01 Advance 2011-01-01 60000.00",
            "2011-07-01 Correction 2011-01-01 0.00",
            "2011-07-01 Advance 2011-07-01 60000.00",
        ],
    );
}

#[test]
fn r7_example_1_pro_rata_days() {
    // 9 · 181 + 151 + 122 = 1,902 user-days → 6,000 · 1,902 / 181 = 63,049.72 → +3,049.72.
    let (a, members, rows) = example_1();
    let register = Register::new(&rows, &a).unwrap();
    let issued = [FeeLine::issued(
        pid("p"),
        FeeLineKind::Advance,
        PeriodStarts::half_years()
            .starting(day(2011, 1, 1))
            .unwrap(),
        day(2011, 1, 1),
        "60000.00".parse().unwrap(),
    )];
    let lines = fee_lines(
        day(2011, 7, 1),
        &config(CorrectionPolicy::ProRataDays),
        &fee_12000(),
        &members,
        Users::Register(&register),
        &issued,
    )
    .unwrap();
    let correction = &lines[0];
    assert_eq!(correction.kind, FeeLineKind::Correction);
    assert_eq!(correction.amount.to_string(), "3049.72");
    let text = correction.explanation.to_string();
    assert!(text.contains("1 902"), "{text}");
    assert!(text.contains("63 049,72"), "{text}");
    assert!(
        text.contains(
            "billed for 2011-01-01..2011-06-30: 1 line(s) issued on 2011-01-01 = 60 000,00"
        ),
        "{text}"
    );
    assert_eq!(lines[1].amount.to_string(), "60000.00");
    assert_eq!(
        register.user_days(&pid("p"), day(2011, 1, 1), day(2011, 6, 30)),
        1902
    );
}

/// Example 2: a party joins 2011-04-01 with 4 users from that day; first year to 2012-03-31.
fn example_2() -> (Agreement, Members, Vec<Registration>) {
    let a = agreement(&["a", "b", "c", "new"]);
    let founding = ["a", "b", "c"].map(|p| Membership::founding(pid(p), day(2010, 1, 1)));
    let mut members = Members::new(founding.to_vec(), &a).unwrap();
    let entry = EntryRequest {
        party: pid("new"),
        joining: day(2011, 4, 1),
        approvals: vec![pid("a"), pid("c")],
    };
    members.admit(&entry, &EntryRule::default()).unwrap();
    let rows = (0..4)
        .map(|u| reg("new", &format!("n{u}"), day(2011, 4, 1), None))
        .collect();
    (a, members, rows)
}

#[test]
fn r7_example_2_under_both_policies() {
    let (a, members, rows) = example_2();
    for policy in [
        CorrectionPolicy::NextInvoiceCount,
        CorrectionPolicy::ProRataDays,
    ] {
        check(
            &a,
            &members,
            &rows,
            policy,
            &[day(2011, 1, 1), day(2011, 7, 1), day(2012, 1, 1)],
            "new",
            &[
                // 2011-01-01: nothing. 4 · 6,000 · (91·2)/181 = 24,132.60.
                "2011-07-01 Correction 2011-01-01 24132.60",
                // 4 · 6,000 · (184·2)/184.
                "2011-07-01 Advance 2011-07-01 48000.00",
                "2012-01-01 Correction 2011-07-01 0.00",
                // 4 · 6,000 · (91·2 + 91·1)/182.
                "2012-01-01 Advance 2012-01-01 36000.00",
            ],
        );
    }
}

#[test]
fn r9_exit_is_pro_rata_to_the_last_day() {
    // Notice 2011-05-15 → last day 2012-05-15: H1 2012 has 136 member days of 182.
    let a = agreement(&["p", "q"]);
    let founding = ["p", "q"].map(|p| Membership::founding(pid(p), day(2010, 1, 1)));
    let mut members = Members::new(founding.to_vec(), &a).unwrap();
    let last = members
        .give_notice(&pid("p"), day(2011, 5, 15), &ExitRule::default())
        .unwrap();
    assert_eq!(last, day(2012, 5, 15));
    let rows: Vec<Registration> = (0..3)
        .map(|u| reg("p", &format!("u{u}"), day(2010, 1, 1), None))
        .collect();
    check(
        &a,
        &members,
        &rows,
        CorrectionPolicy::NextInvoiceCount,
        &[day(2012, 1, 1), day(2012, 7, 1), day(2013, 1, 1)],
        "p",
        &[
            // The first date billed: H2 2011 is not corrected (issue 11 (b)).
            // 3 · 6,000 · 136 / 182 = 13,450.549… → 13,450.55.
            "2012-01-01 Advance 2012-01-01 13450.55",
            "2012-07-01 Correction 2012-01-01 0.00",
        ],
    );
}

#[test]
fn entry_without_majority_says_how_many_of_how_many() {
    let a = agreement(&["a", "b", "c", "d", "new"]);
    let founding = ["a", "b", "c", "d"].map(|p| Membership::founding(pid(p), day(2010, 1, 1)));
    let mut members = Members::new(founding.to_vec(), &a).unwrap();
    let entry = EntryRequest {
        party: pid("new"),
        joining: day(2011, 4, 1),
        approvals: vec![pid("a"), pid("b")],
    };
    let err = members.admit(&entry, &EntryRule::default()).unwrap_err();
    assert!(matches!(
        err.problems(),
        [CalendarError::EntryWithoutMajority {
            approved: 2,
            existing: 4,
            needed: 3,
            ..
        }]
    ));
    assert_eq!(
        err.problems()[0].to_string(),
        "entry of party new on 2011-04-01: 2 of 4 existing parties approved, more than half (3) is needed"
    );
    assert!(members.get(&pid("new")).is_none());
}

#[test]
fn notice_given_twice_is_an_error() {
    let a = agreement(&["a"]);
    let mut members =
        Members::new(vec![Membership::founding(pid("a"), day(2010, 1, 1))], &a).unwrap();
    members
        .give_notice(&pid("a"), day(2011, 1, 10), &ExitRule::default())
        .unwrap();
    let err = members
        .give_notice(&pid("a"), day(2011, 2, 10), &ExitRule::default())
        .unwrap_err();
    assert_eq!(
        err,
        CalendarError::NoticeGivenTwice {
            party: pid("a"),
            first: day(2011, 1, 10),
            second: day(2011, 2, 10)
        }
    );
}

#[test]
fn invoice_date_that_is_not_a_period_start() {
    let (a, members, rows) = example_1();
    let register = Register::new(&rows, &a).unwrap();
    let err = fee_lines(
        day(2011, 3, 1),
        &CalendarConfig::default(),
        &fee_12000(),
        &members,
        Users::Register(&register),
        &[],
    )
    .unwrap_err();
    assert_eq!(
        err.problems(),
        [CalendarError::NotAPeriodStart {
            date: day(2011, 3, 1),
            starts: "01-01, 07-01".to_owned()
        }]
    );
}

#[test]
fn registration_errors_name_party_and_row_never_the_user() {
    let a = agreement(&["a"]);
    let rows = [
        reg("a", "19121212-1212", day(2011, 1, 1), None),
        reg("a", "19121212-1212", day(2011, 5, 1), Some(day(2011, 4, 1))),
        reg("ghost", "19121212-1212", day(2011, 1, 1), None),
    ];
    let err = Register::new(&rows, &a).unwrap_err();
    assert_eq!(err.problems().len(), 2);
    assert_eq!(
        err.problems()[0].to_string(),
        "register row 2: party a: last day 2011-04-01 is before first day 2011-05-01"
    );
    assert_eq!(
        err.problems()[1].to_string(),
        "register row 3: party ghost is not a party of the agreement"
    );
    for text in [err.to_string(), format!("{err:?}"), format!("{rows:?}")] {
        assert!(!text.contains("1212"), "{text}");
    }
}

#[test]
fn budget_with_no_users() {
    let budget = Budget {
        name: "2010".to_owned(),
        valid_from: day(2010, 1, 1),
        reference_date: day(2010, 1, 1),
        lines: vec![BudgetLine {
            name: "operations".to_owned(),
            amount: Money::from_kronor(225_000),
            inferred: false,
            source: None,
        }],
    };
    let err = annual_fee(
        &budget,
        0,
        billing_core::RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO,
    );
    assert_eq!(
        err,
        Err(CalendarError::BudgetWithoutUsers {
            budget: "2010".to_owned(),
            reference_date: day(2010, 1, 1)
        })
    );
}

#[test]
fn counts_with_pro_rata_days_is_a_clear_error() {
    let a = agreement(&["a"]);
    let members = Members::new(vec![Membership::founding(pid("a"), day(2010, 1, 1))], &a).unwrap();
    let counts = UserCounts::new(
        &[UserCount {
            party: pid("a"),
            date: day(2010, 1, 1),
            count: 10,
            source: None,
        }],
        &a,
    )
    .unwrap();
    let err = fee_lines(
        day(2011, 1, 1),
        &config(CorrectionPolicy::ProRataDays),
        &fee_12000(),
        &members,
        Users::Counts(&counts),
        &[],
    )
    .unwrap_err();
    assert_eq!(err.problems(), [CalendarError::CountsNeedNextInvoiceCount]);
    // The same counts are enough for next_invoice_count.
    let lines = fee_lines(
        day(2011, 1, 1),
        &config(CorrectionPolicy::NextInvoiceCount),
        &fee_12000(),
        &members,
        Users::Counts(&counts),
        &[],
    )
    .unwrap();
    assert_eq!(lines.last().unwrap().amount, Money::from_kronor(60_000));
}

#[test]
fn unknown_party_in_memberships_and_no_fee_in_force() {
    let a = agreement(&["a"]);
    let err = Members::new(vec![Membership::founding(pid("zz"), day(2010, 1, 1))], &a).unwrap_err();
    assert_eq!(
        err.to_string(),
        "1 problem\n  membership: party zz is not a party of the agreement"
    );
    let members = Members::new(vec![Membership::founding(pid("a"), day(2009, 1, 1))], &a).unwrap();
    let register = Register::new(&[reg("a", "u", day(2009, 1, 1), None)], &a).unwrap();
    let err = fee_lines(
        day(2010, 1, 1),
        &CalendarConfig::default(),
        &fee_12000(),
        &members,
        Users::Register(&register),
        &[],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "1 problem\n  period 2009-07-01..2009-12-31: no annual user fee is in force on 2009-07-01"
    );
}

#[test]
fn a_register_edited_after_the_invoice_gives_the_right_correction() {
    // The advance for H1 2011 was issued for 10 users; the register now says 12 from the start.
    let (a, members, mut rows) = example_1();
    rows.push(reg("p", "late1", day(2011, 1, 1), None));
    rows.push(reg("p", "late2", day(2011, 1, 1), None));
    let register = Register::new(&rows, &a).unwrap();
    let h1 = PeriodStarts::half_years()
        .starting(day(2011, 1, 1))
        .unwrap();
    let issued = [FeeLine::issued(
        pid("p"),
        FeeLineKind::Advance,
        h1,
        day(2011, 1, 1),
        Money::from_kronor(60_000),
    )];
    let lines = fee_lines(
        day(2011, 7, 1),
        &CalendarConfig::default(),
        &fee_12000(),
        &members,
        Users::Register(&register),
        &issued,
    )
    .unwrap();
    // 12 users on 2011-06-30 → 72,000 − 60,000.
    assert_eq!(lines[0].period, h1);
    assert_eq!(lines[0].amount, Money::from_kronor(12_000));
}
