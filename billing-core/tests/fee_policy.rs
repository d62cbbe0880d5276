//! R5's fee policy (docs/rules.md, decision "the fee is a price in öre"): F = B / N rounded to
//! öre (the default), to whole kronor, or kept exact so that a year's user-fee lines recover the
//! budget to the öre.
//!
//! The worked figures are DOMAIN's: a budget of 1,000,000 kr over 90 users. The property: with
//! the exact policy and users unchanged all year, each advance line is its party's exact share
//! n · B / (N · k) rounded to the nearest öre, so the year's lines add up to B within half an öre
//! per line, and exactly when every share ends in whole öre.

use billing_core::calendar::*;
use billing_core::invoice::LumpReason;
use billing_core::{Agreement, Language, Money, Party, PartyId};
use chrono::Datelike;
use proptest::prelude::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn pid(i: usize) -> PartyId {
    PartyId::new(&format!("p{i}")).unwrap()
}

/// A budget of `ore` from 2010-01-01, users counted that day.
fn budget(ore: i128) -> Budget {
    Budget {
        name: "budget 2010".to_owned(),
        valid_from: day(2010, 1, 1),
        reference_date: day(2010, 1, 1),
        lines: vec![BudgetLine {
            name: "all".to_owned(),
            amount: Money::from_ore(ore),
            inferred: false,
            source: None,
        }],
    }
}

/// The lines of 2010 (and the corrections of its periods, on 2011-01-01) for founding parties
/// with `users[i]` users each all year, the fee from `budget` with N = Σ users under `policy`.
fn year_lines(
    budget: &Budget,
    users: &[u64],
    policy: FeePolicy,
    periods: &PeriodStarts,
) -> Result<Vec<FeeLine>, CalendarProblems> {
    let counts: Vec<Vec<(NaiveDate, u64)>> =
        users.iter().map(|&u| vec![(day(2010, 1, 1), u)]).collect();
    bill_2010(budget, &counts, policy, periods)
}

/// The lines of 2010 (corrections of its periods on 2011-01-01 included) for founding parties
/// whose users are counted `counts[i]` (dates and counts, the first on 2010-01-01), the fee
/// from `budget` with N = Σ the counts of 2010-01-01 under `policy`.
fn bill_2010(
    budget: &Budget,
    counts: &[Vec<(NaiveDate, u64)>],
    policy: FeePolicy,
    periods: &PeriodStarts,
) -> Result<Vec<FeeLine>, CalendarProblems> {
    let agreement =
        Agreement::new((0..counts.len()).map(|i| Party::new(pid(i), "P")).collect()).unwrap();
    let founding = (0..counts.len())
        .map(|i| Membership::founding(pid(i), day(2010, 1, 1)))
        .collect();
    let members = Members::new(founding, &agreement).unwrap();
    let n = counts
        .iter()
        .flatten()
        .filter(|(date, _)| *date == day(2010, 1, 1))
        .map(|(_, count)| count)
        .sum();
    let counts: Vec<UserCount> = counts
        .iter()
        .enumerate()
        .flat_map(|(i, party)| {
            party.iter().map(move |&(date, count)| UserCount {
                party: pid(i),
                date,
                count,
                source: None,
            })
        })
        .collect();
    let counts = UserCounts::new(&counts, &agreement).unwrap();
    let fee = annual_fee(budget, n, policy).unwrap();
    let config = CalendarConfig {
        periods: periods.clone(),
        ..CalendarConfig::default()
    };
    let dates = periods.starts_between(day(2010, 1, 1), day(2011, 1, 1));
    bill_dates(
        &dates,
        &config,
        &FeeSchedule::new(vec![fee]).unwrap(),
        &members,
        Users::Counts(&counts),
        &[],
    )
}

/// The advances of 2010 as text (`party amount`), and their sum.
fn advances(lines: &[FeeLine]) -> (Vec<String>, Money) {
    let advances: Vec<&FeeLine> = lines
        .iter()
        .filter(|l| l.kind == FeeLineKind::Advance && l.period.start().year() == 2010)
        .collect();
    (
        advances
            .iter()
            .map(|l| format!("{} {} {}", l.party, l.period.start(), l.amount))
            .collect(),
        advances.iter().map(|l| l.amount).sum(),
    )
}

/// DOMAIN R5: 1,000,000 kr over 90 users, 18 each at five parties, all year. In öre F is
/// 11,111.11 and each half-year line 18 × 11,111.11 / 2 = 99,999.99, so the year brings in
/// 999,999.90; in whole kronor F is 11,111.00 and the lines 99,999.00 (999,990.00); kept exact,
/// each line is 18 · 1,000,000 / (90 · 2) = 100,000.00 and the year brings in B to the öre.
#[test]
fn r5_exact_fee_recovers_a_million_over_90_users_to_the_ore() {
    let b = budget(100_000_000);
    let users = [18; 5];
    let half_years = PeriodStarts::half_years();
    let cases = [
        (FeePolicy::ORE, "99999.99", "999999.90"),
        (FeePolicy::KRONOR, "99999.00", "999990.00"),
        (FeePolicy::Exact, "100000.00", "1000000.00"),
    ];
    for (policy, line, year) in cases {
        let lines = year_lines(&b, &users, policy, &half_years).unwrap();
        let (text, sum) = advances(&lines);
        let expected: Vec<String> = ["2010-01-01", "2010-07-01"]
            .iter()
            .flat_map(|d| (0..5).map(move |i| format!("p{i} {d} {line}")))
            .collect();
        assert_eq!(text, expected, "{policy:?}");
        assert_eq!(sum.to_string(), year, "{policy:?}");
        // Users unchanged: every correction of 2010 (on 2011-01-01) is zero.
        assert!(lines
            .iter()
            .filter(|l| l.kind == FeeLineKind::Correction)
            .all(|l| l.amount.is_zero()));
    }
}

/// DOMAIN R5 with an uneven split: 16, 7 and 67 of the 90 users. Kept exact, the half-year
/// lines are 16 · 1,000,000 / 180 = 88,888.888… → 88,888.89, 38,888.888… → 38,888.89 and
/// 372,222.222… → 372,222.22, which happen to add up to 500,000.00; in öre (F = 11,111.11)
/// they are 88,888.88, 38,888.885 → 38,888.89 and 372,222.185 → 372,222.19: 999,999.92 a year.
#[test]
fn r5_exact_fee_with_an_uneven_split() {
    let b = budget(100_000_000);
    let half_years = PeriodStarts::half_years();
    let exact = year_lines(&b, &[16, 7, 67], FeePolicy::Exact, &half_years).unwrap();
    let (text, sum) = advances(&exact);
    assert_eq!(
        text,
        [
            "p0 2010-01-01 88888.89",
            "p1 2010-01-01 38888.89",
            "p2 2010-01-01 372222.22",
            "p0 2010-07-01 88888.89",
            "p1 2010-07-01 38888.89",
            "p2 2010-07-01 372222.22",
        ]
    );
    assert_eq!(sum.to_string(), "1000000.00");
    let ore = year_lines(&b, &[16, 7, 67], FeePolicy::ORE, &half_years).unwrap();
    let (text, sum) = advances(&ore);
    assert_eq!(
        text[..3],
        [
            "p0 2010-01-01 88888.88",
            "p1 2010-01-01 38888.89",
            "p2 2010-01-01 372222.19",
        ]
    );
    assert_eq!(sum.to_string(), "999999.92");
}

/// The explanation of a line under the exact policy shows F to 10 decimals and says it is
/// exact, in Swedish and in English.
#[test]
fn r5_exact_fee_is_explained_to_ten_decimals() {
    let lines = year_lines(
        &budget(100_000_000),
        &[16, 7, 67],
        FeePolicy::Exact,
        &PeriodStarts::half_years(),
    )
    .unwrap();
    let line = lines
        .iter()
        .find(|l| l.kind == FeeLineKind::Advance && l.party == pid(0))
        .unwrap();
    let shown = |lang| -> Vec<String> {
        line.explanation
            .steps
            .iter()
            .map(|s| {
                format!(
                    "{} | {} | {}",
                    s.label.get(lang),
                    s.formula.as_ref().map_or("", |f| f.get(lang)),
                    s.value.get(lang)
                )
            })
            .collect()
    };
    let sv = shown(Language::Sv);
    let en = shown(Language::En);
    assert!(sv.contains(
        &"årlig användaravgift F från 2010-01-01 | B / N = 1 000 000,00 / 90, exakt, ej avrundat \
          (visas med 10 decimaler) | 11 111,1111111111"
            .to_owned()
    ));
    assert!(en.contains(
        &"annual user fee F from 2010-01-01 | B / N = 1 000 000,00 / 90, exact, not rounded \
          (shown to 10 decimals) | 11 111,1111111111"
            .to_owned()
    ));
    assert!(
        sv.iter().any(|s| s.ends_with(
            "| F / 2 | 5 555,5555555556" // h, shown to 10 decimals
        )),
        "{sv:#?}"
    );
    assert!(
        sv.iter().any(|s| s.contains(
            "n × F × Σ m(d) / (2 × |P|) = 16 × 11 111,1111111111 × 181 / (2 × 181) | 88 888,8888888889"
        )),
        "{sv:#?}"
    );
    assert!(
        sv.iter()
            .any(|s| s.ends_with("| 88 888,8888888889 | 88 888,89")),
        "{sv:#?}"
    );
}

/// Review: under exact, an ordinary full-period line's price per user does not end
/// (1,000,000 / 90 / 2 = 5,555.55… kr): the line is the period's amount as it is
/// (`LumpReason::Amount`, "Belopp för perioden" on the invoice), never "pro rata 181 of 181
/// days". Under öre the same line is 18 users × 5,555.555 kr.
#[test]
fn r5_exact_full_period_line_is_an_amount_not_pro_rata() {
    let half_years = PeriodStarts::half_years();
    for users in [[18u64; 5].as_slice(), &[16, 7, 67]] {
        let lines = year_lines(&budget(100_000_000), users, FeePolicy::Exact, &half_years).unwrap();
        let first = lines
            .iter()
            .find(|l| l.kind == FeeLineKind::Advance && l.period.start() == day(2010, 1, 1))
            .unwrap();
        assert_eq!(first.quantity.lump, Some(LumpReason::Amount), "{users:?}");
        assert_eq!(first.quantity.quantity, rust_decimal::Decimal::ONE);
        assert_eq!(first.quantity.unit_price, first.amount.to_decimal());
        assert!(lines
            .iter()
            .filter(|l| l.kind == FeeLineKind::Advance)
            .all(|l| !matches!(l.quantity.lump, Some(LumpReason::ProRata { .. }))));
    }
    let ore = year_lines(&budget(100_000_000), &[18; 5], FeePolicy::ORE, &half_years).unwrap();
    let first = &ore[0];
    assert_eq!(first.quantity.lump, None);
    assert_eq!(first.quantity.quantity.to_string(), "18");
    assert_eq!(first.quantity.unit_price.to_string(), "5555.555");
}

/// Example 1 of R7 (DOMAIN): 10 users on 2011-01-01, one more from 2011-03-01, one of the ten
/// ends 2011-05-31; example 2: a party joins 2011-04-01 with 4 users from that day (first year
/// to 2012-03-31, m = 2), approved by two of three founders.
fn r7_examples() -> (Agreement, Members, Vec<Registration>) {
    let agreement = Agreement::new(
        ["p", "a", "b", "c", "new"]
            .map(|id| Party::new(PartyId::new(id).unwrap(), id))
            .to_vec(),
    )
    .unwrap();
    let id = |s: &str| PartyId::new(s).unwrap();
    let founding = ["p", "a", "b", "c"].map(|p| Membership::founding(id(p), day(2010, 1, 1)));
    let mut members = Members::new(founding.to_vec(), &agreement).unwrap();
    members
        .admit(
            &EntryRequest {
                party: id("new"),
                joining: day(2011, 4, 1),
                approvals: vec![id("a"), id("c"), id("p")],
            },
            &EntryRule::default(),
        )
        .unwrap();
    let reg = |party: &str, user: String, first, last| {
        Registration::new(id(party), UserId::new(&user), first, last)
    };
    let mut rows: Vec<Registration> = (0..9)
        .map(|u| reg("p", format!("u{u}"), day(2010, 6, 1), None))
        .collect();
    rows.push(reg(
        "p",
        "u9".to_owned(),
        day(2010, 6, 1),
        Some(day(2011, 5, 31)),
    ));
    rows.push(reg("p", "u10".to_owned(), day(2011, 3, 1), None));
    rows.extend((0..4).map(|u| reg("new", format!("n{u}"), day(2011, 4, 1), None)));
    (agreement, members, rows)
}

/// A budget of `ore` from `from` (users counted the day before), kept under `policy` with `n`
/// users.
fn fee_from(from: NaiveDate, ore: i128, n: u64, policy: FeePolicy) -> AnnualFee {
    let b = Budget {
        valid_from: from,
        reference_date: from.pred_opt().unwrap(),
        ..budget(ore)
    };
    annual_fee(&b, n, policy).unwrap()
}

/// The lines of `party` billed on 2011-01-01, 2011-07-01 and 2012-01-01 under `fees` and the
/// correction policy, as `date kind period amount`.
fn r7_lines(fees: Vec<AnnualFee>, policy: CorrectionPolicy, party: &str) -> Vec<String> {
    let (agreement, members, rows) = r7_examples();
    let register = Register::new(&rows, &agreement).unwrap();
    let config = CalendarConfig {
        policy,
        ..CalendarConfig::default()
    };
    bill_dates(
        &[day(2011, 1, 1), day(2011, 7, 1), day(2012, 1, 1)],
        &config,
        &FeeSchedule::new(fees).unwrap(),
        &members,
        Users::Register(&register),
        &[],
    )
    .unwrap()
    .iter()
    .filter(|l| l.party.as_str() == party)
    .map(|l| {
        format!(
            "{} {:?} {} {}",
            l.invoice_date,
            l.kind,
            l.period.start(),
            l.amount
        )
    })
    .collect()
}

/// DOMAIN's R7 example 2 with B = 1,000,000 kr and N = 90 (R5's example) in place of F =
/// 12,000, under both correction policies: the joiner's first year (m = 2) under the exact fee.
/// H1 2011: 4 · 1,000,000 · (91·2) / (90 · 2 · 181) = 22,344.9969… → 22,345.00 (in öre, F =
/// 11,111.11: 22,344.99); H2 2011: 4 · 1,000,000 · (184·2) / (90 · 2 · 184) = 44,444.44;
/// H1 2012: 4 · 1,000,000 · (91·2 + 91) / (90 · 2 · 182) = 33,333.33.
#[test]
fn r5_exact_fee_with_r7_example_2_first_year_multiplier() {
    for policy in [
        CorrectionPolicy::NextInvoiceCount,
        CorrectionPolicy::ProRataDays,
    ] {
        let exact = r7_lines(
            vec![fee_from(day(2010, 1, 1), 100_000_000, 90, FeePolicy::Exact)],
            policy,
            "new",
        );
        assert_eq!(
            exact,
            [
                "2011-07-01 Correction 2011-01-01 22345.00",
                "2011-07-01 Advance 2011-07-01 44444.44",
                "2012-01-01 Correction 2011-07-01 0.00",
                "2012-01-01 Advance 2012-01-01 33333.33",
            ],
            "{policy}"
        );
        let ore = r7_lines(
            vec![fee_from(day(2010, 1, 1), 100_000_000, 90, FeePolicy::ORE)],
            policy,
            "new",
        );
        assert_eq!(
            ore[0], "2011-07-01 Correction 2011-01-01 22344.99",
            "{policy}"
        );
    }
}

/// DOMAIN's R7 example 1 (users change inside H1 2011) with B = 1,000,000 kr and N = 90 under
/// the exact fee. Advance 10 · 1,000,000 / (90 · 2) = 55,555.56 (öre: 55,555.55). On 2011-07-01,
/// `next_invoice_count`: 10 users on 2011-06-30, correction 0.00; `pro_rata_days`: 1,902
/// user-days, actual 1,000,000 · 1,902 / (90 · 2 · 181) = 58,379.37, correction +2,823.81
/// (öre: the same actual, +2,823.82).
#[test]
fn r5_exact_fee_corrections_when_users_change() {
    let exact = || vec![fee_from(day(2010, 1, 1), 100_000_000, 90, FeePolicy::Exact)];
    let ore = || vec![fee_from(day(2010, 1, 1), 100_000_000, 90, FeePolicy::ORE)];
    assert_eq!(
        r7_lines(exact(), CorrectionPolicy::NextInvoiceCount, "p")[..3],
        [
            "2011-01-01 Advance 2011-01-01 55555.56",
            "2011-07-01 Correction 2011-01-01 0.00",
            "2011-07-01 Advance 2011-07-01 55555.56",
        ]
    );
    assert_eq!(
        r7_lines(exact(), CorrectionPolicy::ProRataDays, "p")[..3],
        [
            "2011-01-01 Advance 2011-01-01 55555.56",
            "2011-07-01 Correction 2011-01-01 2823.81",
            "2011-07-01 Advance 2011-07-01 55555.56",
        ]
    );
    assert_eq!(
        r7_lines(ore(), CorrectionPolicy::ProRataDays, "p")[..2],
        [
            "2011-01-01 Advance 2011-01-01 55555.55",
            "2011-07-01 Correction 2011-01-01 2823.82",
        ]
    );
}

/// A schedule of two budgets with different N under the exact fee: 1,000,000 kr over 90 users
/// from 2010, 1,000,001 kr over 16 from 2012 (F = 62,500.0625). The joiner's H2 2011 advance
/// uses the first (44,444.44); its H1 2012 advance the second: 4 · 1,000,001 · (91·2 + 91) /
/// (16 · 2 · 182) = 187,500.1875 → 187,500.19 (öre, F = 62,500.06: 187,500.18).
#[test]
fn r5_exact_fee_schedule_of_two_budgets_with_different_n() {
    for policy in [
        CorrectionPolicy::NextInvoiceCount,
        CorrectionPolicy::ProRataDays,
    ] {
        let fees = |p| {
            vec![
                fee_from(day(2010, 1, 1), 100_000_000, 90, p),
                fee_from(day(2012, 1, 1), 100_000_100, 16, p),
            ]
        };
        let exact = r7_lines(fees(FeePolicy::Exact), policy, "new");
        assert_eq!(
            exact[1..],
            [
                "2011-07-01 Advance 2011-07-01 44444.44",
                "2012-01-01 Correction 2011-07-01 0.00",
                "2012-01-01 Advance 2012-01-01 187500.19",
            ],
            "{policy}"
        );
        let ore = r7_lines(fees(FeePolicy::ORE), policy, "new");
        assert_eq!(
            ore[3], "2012-01-01 Advance 2012-01-01 187500.18",
            "{policy}"
        );
    }
}

/// An exact fee too large for i128 arithmetic is refused with `TooLarge`, never a panic:
/// 18 446 744 073 709 551 615 users × 10^17 öre × 181 days overflows.
#[test]
fn r5_exact_fee_too_large_is_refused() {
    let b = budget(100_000_000_000_000_000);
    let err = year_lines(
        &b,
        &[u64::MAX],
        FeePolicy::Exact,
        &PeriodStarts::half_years(),
    )
    .unwrap_err();
    assert!(
        err.problems()
            .iter()
            .all(|e| matches!(e, CalendarError::TooLarge { .. })),
        "{err}"
    );
    assert_eq!(
        err.problems()[0].to_string(),
        "party p0, period 2010-01-01..2010-06-30: the advance is too large to compute exactly"
    );
}

/// `n · B / d` rounded to the nearest integer, half away from zero (all positive here).
fn nearest(n: i128, b: i128, d: i128) -> i128 {
    (2 * n * b + d) / (2 * d)
}

fn period_starts() -> impl Strategy<Value = PeriodStarts> {
    prop_oneof![
        Just(vec![(1, 1)]),
        Just(vec![(1, 1), (7, 1)]),
        Just(vec![(1, 1), (4, 1), (7, 1), (10, 1)]),
        Just((1..=12).map(|m| (m, 1)).collect()),
        Just(vec![(1, 1), (3, 15), (11, 30)]),
    ]
    .prop_map(|s| PeriodStarts::new(s).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// With the exact policy and users unchanged all year, party i's line of each of the k
    /// periods is its exact share n_i · B / (N · k) rounded to the nearest öre (the period's
    /// days cancel out). The shares add up to B, and each line is off by at most half an öre,
    /// so the year's lines add up to B within ⌊L / 2⌋ öre for L lines; when every share ends in
    /// whole öre (N · k divides n_i · B), exactly to B. Corrections are all zero.
    #[test]
    fn exact_fee_lines_add_up_to_the_budget(
        users in proptest::collection::vec(0u64..60, 1..8)
            .prop_filter("someone uses the system", |u| u.iter().any(|&n| n > 0)),
        b_ore in 1i128..10_000_000_000,
        even in any::<bool>(),
        periods in period_starts(),
    ) {
        let n: u64 = users.iter().sum();
        let k = periods.per_year() as i128;
        // Half the cases have a budget that every share divides evenly.
        let b_ore = if even { b_ore % 1_000_000 * i128::from(n) * k + i128::from(n) * k } else { b_ore };
        let lines = year_lines(&budget(b_ore), &users, FeePolicy::Exact, &periods).unwrap();
        let d = i128::from(n) * k;
        let mut sum = 0i128;
        let mut count = 0i128;
        for (i, &u) in users.iter().enumerate() {
            let mine: Vec<&FeeLine> = lines
                .iter()
                .filter(|l| l.kind == FeeLineKind::Advance && l.party == pid(i))
                .filter(|l| l.period.start().year() == 2010)
                .collect();
            let share = nearest(i128::from(u), b_ore, d);
            // A share that rounds to 0.00 is not billed at all.
            let expected = if u == 0 || share == 0 { 0 } else { periods.per_year() };
            prop_assert_eq!(mine.len(), expected);
            for l in &mine {
                prop_assert_eq!(l.amount.ore(), share);
            }
            if u > 0 {
                count += k;
                sum += share * k;
            }
        }
        prop_assert!(2 * (sum - b_ore).abs() <= count, "sum {} of {} lines, B {}", sum, count, b_ore);
        if users.iter().all(|&u| (i128::from(u) * b_ore) % d == 0) {
            prop_assert_eq!(sum, b_ore);
        }
        if even {
            prop_assert_eq!(sum, b_ore);
        }
        prop_assert!(lines
            .iter()
            .filter(|l| l.kind == FeeLineKind::Correction)
            .all(|l| l.amount.is_zero()));
    }
}

/// The lines of 2010 (corrections of its periods on 2011-01-01 included) under the exact fee of
/// `budget` with N = Σ `before`, founding parties with `before[i]` users from 2010-01-01 and
/// `after[i]` from `change` (`next_invoice_count`: user counts, not a register).
fn year_lines_changing(
    b_ore: i128,
    before: &[u64],
    after: &[u64],
    change: NaiveDate,
    periods: &PeriodStarts,
) -> Vec<FeeLine> {
    let counts: Vec<Vec<(NaiveDate, u64)>> = before
        .iter()
        .zip(after)
        .map(|(&u, &v)| vec![(day(2010, 1, 1), u), (change, v)])
        .collect();
    bill_2010(&budget(b_ore), &counts, FeePolicy::Exact, periods).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// With the exact policy and users changing on the first of a month (`next_invoice_count`),
    /// for each party and period of 2010 what was billed in advance plus its correction is the
    /// actual amount: the exact share of the users on the period's last day, n_end · B / (N · k),
    /// rounded to the nearest öre, where the advance is that of the users on its first day.
    #[test]
    fn exact_fee_corrections_bring_each_period_to_its_actual_amount(
        users in proptest::collection::vec((0u64..60, 0u64..60), 1..6)
            .prop_filter("someone uses the system", |u| u.iter().any(|&(n, _)| n > 0)),
        b_ore in 1i128..10_000_000_000,
        month in 2u32..=12,
        periods in period_starts(),
    ) {
        let before: Vec<u64> = users.iter().map(|u| u.0).collect();
        let after: Vec<u64> = users.iter().map(|u| u.1).collect();
        let change = day(2010, month, 1);
        let lines = year_lines_changing(b_ore, &before, &after, change, &periods);
        let d = i128::from(before.iter().sum::<u64>()) * periods.per_year() as i128;
        let mut corrections = 0;
        for (i, (&u, &v)) in before.iter().zip(&after).enumerate() {
            let mine: Vec<&FeeLine> = lines
                .iter()
                .filter(|l| l.party == pid(i) && l.period.start().year() == 2010)
                .collect();
            let mut starts: Vec<NaiveDate> = mine.iter().map(|l| l.period.start()).collect();
            starts.dedup();
            for start in starts {
                let of_p: Vec<&&FeeLine> = mine.iter().filter(|l| l.period.start() == start).collect();
                let last = of_p[0].period.last_day();
                let billed: i128 = of_p.iter().map(|l| l.amount.ore()).sum();
                let n_start = if start >= change { v } else { u };
                let n_end = if last >= change { v } else { u };
                let advance: i128 = of_p
                    .iter()
                    .filter(|l| l.kind == FeeLineKind::Advance)
                    .map(|l| l.amount.ore())
                    .sum();
                prop_assert_eq!(advance, nearest(i128::from(n_start), b_ore, d));
                prop_assert_eq!(billed, nearest(i128::from(n_end), b_ore, d), "{} {}", pid(i), start);
                corrections += of_p
                    .iter()
                    .filter(|l| l.kind == FeeLineKind::Correction && !l.amount.is_zero())
                    .count();
            }
        }
        // A period the change falls inside of, with a party whose count changed by a share of
        // at least an öre, has a non-zero correction.
        let changed_inside = before.iter().zip(&after).any(|(&u, &v)| {
            nearest(i128::from(u), b_ore, d) != nearest(i128::from(v), b_ore, d)
        }) && !periods
            .starts_between(day(2010, 1, 1), day(2011, 1, 1))
            .contains(&change);
        if changed_inside {
            prop_assert!(corrections > 0);
        }
    }
}
