//! The worked figures of DOMAIN.md for splits (money and rounding, R1, R2, R3, R12, R14) and the
//! typed errors for bad input.

use std::collections::BTreeMap;

use billing_core::{
    allocate, allocate_all, Agreement, Cap, CapLimit, ExcessPolicy, Finding, Key, Money, Party,
    PartyId, Pool, PoolBuilder, Sourced, SplitError, ThresholdTable,
};
use chrono::NaiveDate;

fn id(s: &str) -> PartyId {
    PartyId::new(s).unwrap()
}

fn kr(s: &str) -> Money {
    s.parse().unwrap()
}

/// The four parties of R2's worked example, plus the region R that may absorb the excess.
fn r2_agreement() -> Agreement {
    let p = |name: &str, pop| Party::new(id(name), name).with_population(pop, None);
    Agreement::new(vec![
        p("A", 600_000),
        p("B", 250_000),
        p("C", 100_000),
        p("D", 50_000),
        Party::new(id("R"), "Region"),
    ])
    .unwrap()
}

fn r2_builder() -> PoolBuilder {
    Pool::builder("system", "System cost", kr("2000000"), Key::Population).participants(vec![
        id("A"),
        id("B"),
        id("C"),
        id("D"),
    ])
}

fn r2_pool(excess: ExcessPolicy) -> Pool {
    r2_builder()
        .cap(Cap::new(CapLimit::Fixed(kr("700000")), excess))
        .build()
        .unwrap()
}

/// Allocates and returns `party=amount` for every part, then `absorbed`/`uncovered` if any.
fn check(agreement: &Agreement, pool: &Pool, expected: &[&str]) {
    let (allocation, _) = allocate(agreement, pool, &ThresholdTable::swedish_lou()).unwrap();
    let mut got: Vec<String> = allocation
        .parts
        .iter()
        .map(|p| format!("{}={}", p.party, p.amount))
        .collect();
    if let Some((party, amount)) = &allocation.absorbed {
        got.push(format!("absorbed:{party}={amount}"));
    }
    if !allocation.uncovered.is_zero() {
        got.push(format!("uncovered={}", allocation.uncovered));
    }
    if let Some(o) = &allocation.outside {
        got.push(format!("outside={}", o.amount));
    }
    assert_eq!(got, expected);
    let outside = allocation
        .outside
        .as_ref()
        .map(|o| o.amount)
        .unwrap_or_default();
    let absorbed = allocation
        .absorbed
        .as_ref()
        .map(|a| a.1)
        .unwrap_or_default();
    assert_eq!(
        allocation.allocated() + absorbed + allocation.uncovered + outside,
        pool.amount(),
        "the parts must add up to the pool"
    );
}

#[test]
fn r2_exact_shares_without_a_cap() {
    let pool = r2_builder().build().unwrap();
    let expected = ["A=1200000.00", "B=500000.00", "C=200000.00", "D=100000.00"];
    check(&r2_agreement(), &pool, &expected);
}

#[test]
fn r2_absorb_by_the_region() {
    let expected = [
        "A=700000.00",
        "B=500000.00",
        "C=200000.00",
        "D=100000.00",
        "absorbed:R=500000.00",
    ];
    check(
        &r2_agreement(),
        &r2_pool(ExcessPolicy::Absorb(id("R"))),
        &expected,
    );
}

#[test]
fn r2_redistribute_water_fills_in_two_rounds() {
    let expected = ["A=700000.00", "B=700000.00", "C=400000.00", "D=200000.00"];
    let agreement = r2_agreement();
    let pool = r2_pool(ExcessPolicy::Redistribute);
    check(&agreement, &pool, &expected);
    let (allocation, _) = allocate(&agreement, &pool, &ThresholdTable::default()).unwrap();
    let rounds: Vec<(u32, String, Vec<String>)> = allocation
        .rounds
        .iter()
        .map(|r| {
            let capped = r.capped.iter().map(|p| p.to_string()).collect();
            (r.number, r.amount.to_string(), capped)
        })
        .collect();
    assert_eq!(
        rounds,
        [
            (1, "2000000.00".to_owned(), vec!["A".to_owned()]),
            (2, "1300000.00".to_owned(), vec!["B".to_owned()]),
        ]
    );
}

#[test]
fn r2_uncovered_is_reported() {
    let expected = [
        "A=700000.00",
        "B=500000.00",
        "C=200000.00",
        "D=100000.00",
        "uncovered=500000.00",
    ];
    let agreement = r2_agreement();
    let pool = r2_pool(ExcessPolicy::Uncovered);
    check(&agreement, &pool, &expected);
    let (_, findings) = allocate(&agreement, &pool, &ThresholdTable::default()).unwrap();
    assert_eq!(
        findings,
        [Finding::Uncovered {
            pool: "system".into(),
            amount: kr("500000")
        }]
    );
}

#[test]
fn redistribute_with_everybody_capped_leaves_the_rest_uncovered() {
    let pool = r2_builder()
        .cap(Cap::new(
            CapLimit::Fixed(kr("400000")),
            ExcessPolicy::Redistribute,
        ))
        .build()
        .unwrap();
    let expected = [
        "A=400000.00",
        "B=400000.00",
        "C=400000.00",
        "D=400000.00",
        "uncovered=400000.00",
    ];
    check(&r2_agreement(), &pool, &expected);
}

/// R3, seed 003: 3,200,000 kr of central support among 13,000 users, 1,700 of them in the
/// municipalities, who together pay 418,461.54 kr (the seed's "425 tkr" assumed 250 kr a user).
#[test]
fn r3_users_outside_the_parties() {
    let agreement = Agreement::new(vec![
        Party::new(id("kommunerna"), "Kommunerna").with_users(1_700)
    ])
    .unwrap();
    let key = Key::Users {
        total_users: Some(Sourced::at(13_000, "Pools!F2")),
    };
    let pool = Pool::new("support-2019", "Central support", kr("3200000"), key).unwrap();
    check(
        &agreement,
        &pool,
        &["kommunerna=418461.54", "outside=2781538.46"],
    );
    let (allocation, findings) = allocate(&agreement, &pool, &ThresholdTable::default()).unwrap();
    assert_eq!(
        findings,
        [Finding::BorneOutside {
            pool: "support-2019".into(),
            amount: kr("2781538.46")
        }]
    );
    let text = allocation.explain(&id("kommunerna")).unwrap().to_string();
    assert!(
        text.contains("cost per user: 3 200 000,00 / 13 000 = 246,1538461538"),
        "{text}"
    );
    assert!(text.contains("(Pools!F2)"), "{text}");
    assert!(text.contains("amount: 418 461,54"), "{text}");
}

#[test]
fn r3_the_parties_together_pay_the_rounded_total_whatever_their_number() {
    // 1,700 users spread over three municipalities still pay 418,461.54 together.
    let p = |name: &str, users| Party::new(id(name), name).with_users(users);
    let agreement = Agreement::new(vec![p("x", 1_000), p("y", 500), p("z", 200)]).unwrap();
    let key = Key::Users {
        total_users: Some(Sourced::new(13_000)),
    };
    let pool = Pool::new("support", "Central support", kr("3200000"), key).unwrap();
    check(
        &agreement,
        &pool,
        &[
            "x=246153.85",
            "y=123076.92",
            "z=49230.77",
            "outside=2781538.46",
        ],
    );
}

/// Regression: R3 was split in two stages (parties against outside, then among the parties), so
/// c, whose exact share 14.76 × 8 / 16 = 7.38 is whole öre, paid 7.39.
#[test]
fn r3_a_whole_ore_share_is_paid_exactly() {
    let p = |name: &str, users| Party::new(id(name), name).with_users(users);
    let agreement = Agreement::new(vec![p("a", 1), p("b", 1), p("c", 8)]).unwrap();
    let key = Key::Users {
        total_users: Some(Sourced::new(16)),
    };
    let pool = Pool::new("u", "support", kr("14.76"), key).unwrap();
    check(
        &agreement,
        &pool,
        &["a=0.92", "b=0.92", "c=7.38", "outside=5.54"],
    );
}

/// Regression: weights whose sum overflows a decimal panicked in the basis total.
#[test]
fn weights_too_large_to_add_are_an_error() {
    let big: rust_decimal::Decimal = "50000000000000000000000000000".parse().unwrap();
    let agreement = Agreement::new(vec![
        Party::new(id("a"), "a").with_figure("w", big),
        Party::new(id("b"), "b").with_figure("w", big),
    ])
    .unwrap();
    let pool = Pool::new("w", "w", kr("1"), Key::Weight { figure: "w".into() }).unwrap();
    assert_eq!(
        problems(&agreement, &pool),
        ["pool w: amount 1.00 with these weights is too large to split exactly"]
    );
    // So does a users total beyond 64 bits.
    let agreement = Agreement::new(vec![
        Party::new(id("a"), "a").with_users(u64::MAX),
        Party::new(id("b"), "b").with_users(1),
    ])
    .unwrap();
    let key = Key::Users {
        total_users: Some(Sourced::new(5)),
    };
    let pool = Pool::new("u", "u", kr("1"), key).unwrap();
    assert_eq!(
        problems(&agreement, &pool),
        ["pool u: amount 1.00 with these weights is too large to split exactly"]
    );
}

#[test]
fn money_examples_of_the_domain() {
    let p = |name: &str| Party::new(id(name), name);
    let agreement = Agreement::new(vec![p("a"), p("b"), p("c")]).unwrap();
    check(
        &agreement,
        &Pool::new("p", "equal", kr("100.00"), Key::Equal).unwrap(),
        &["a=33.34", "b=33.33", "c=33.33"],
    );
    check(
        &agreement,
        &Pool::new("ikomet", "iKomet fee", kr("5000.00"), Key::Equal).unwrap(),
        &["a=1666.67", "b=1666.67", "c=1666.66"],
    );
    check(
        &agreement,
        &Pool::new("credit", "credit", kr("-100.00"), Key::Equal).unwrap(),
        &["a=-33.34", "b=-33.33", "c=-33.33"],
    );
}

#[test]
fn r12_and_r14_keys() {
    let agreement = Agreement::new(vec![
        Party::new(id("1"), "one").with_figure("beds", "10.5".parse().unwrap()),
        Party::new(id("2"), "two").with_figure("beds", "31.5".parse().unwrap()),
        Party::new(id("3"), "three"),
    ])
    .unwrap();
    let weight = Pool::builder(
        "w",
        "by beds",
        kr("1000"),
        Key::Weight {
            figure: "beds".into(),
        },
    )
    .participants(vec![id("2"), id("1")])
    .build()
    .unwrap();
    check(&agreement, &weight, &["1=250.00", "2=750.00"]);

    let direct = Pool::new(
        "x",
        "extraction",
        kr("12345.67"),
        Key::Direct { party: id("3") },
    )
    .unwrap();
    check(&agreement, &direct, &["3=12345.67"]);

    let amounts: BTreeMap<PartyId, Sourced<Money>> = [
        (id("1"), Sourced::new(kr("100.01"))),
        (id("2"), Sourced::new(kr("0.99"))),
        (id("3"), Sourced::new(kr("899"))),
    ]
    .into();
    let fixed = Pool::new("f", "fixed", kr("1000"), Key::Fixed { amounts }).unwrap();
    check(&agreement, &fixed, &["1=100.01", "2=0.99", "3=899.00"]);
}

#[test]
fn lou_cap_follows_the_billing_year() {
    let pool = r2_builder()
        .cap(Cap::new(CapLimit::Lou, ExcessPolicy::Uncovered))
        .year(2022)
        .build()
        .unwrap();
    check(
        &r2_agreement(),
        &pool,
        &[
            "A=626284.00",
            "B=500000.00",
            "C=200000.00",
            "D=100000.00",
            "uncovered=573716.00",
        ],
    );
    let pool = pool.to_builder().year(2023).build().unwrap();
    check(
        &r2_agreement(),
        &pool,
        &[
            "A=700000.00",
            "B=500000.00",
            "C=200000.00",
            "D=100000.00",
            "uncovered=500000.00",
        ],
    );
}

#[test]
fn populations_of_different_dates_are_a_finding() {
    let day = |y| NaiveDate::from_ymd_opt(y, 12, 31);
    let agreement = Agreement::new(vec![
        Party::new(id("a"), "a").with_population(100, day(2016)),
        Party::new(id("b"), "b").with_population(300, day(2016)),
        Party::new(id("c"), "c").with_population(100, day(2017)),
    ])
    .unwrap();
    let pool = Pool::new("p", "p", kr("10"), Key::Population).unwrap();
    let (_, findings) = allocate(&agreement, &pool, &ThresholdTable::default()).unwrap();
    assert_eq!(
        findings.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
        ["pool p: populations refer to different dates: 2016-12-31 (2) 2017-12-31 (1)"]
    );
}

#[test]
fn explanation_of_a_redistributed_part() {
    let agreement = r2_agreement();
    let pool = r2_pool(ExcessPolicy::Redistribute);
    let (allocation, _) = allocate(&agreement, &pool, &ThresholdTable::default()).unwrap();
    let text = allocation.explain(&id("C")).unwrap().to_string();
    let expected = "\
pool system, party C: 400 000,00
  pool System cost (system): 2 000 000,00 SEK
  key: population
  population of C: 100 000
  population of all 4 participants: 1 000 000
  exact share: 2 000 000,00 × 100 000 / 1 000 000 = 200 000
  cap: fixed cap = 700 000,00 (excess: redistribute)
  round 1: 2 000 000,00 shared by population of basis 1 000 000: 1 part(s) capped
  round 2: 1 300 000,00 shared by population of basis 400 000: 1 part(s) capped
  share of what is left after the capped parties: 600 000,00 × 100 000 / 150 000 = 400 000
  truncated to öre: 400 000 kr = 400 000,00
  remainder rule: the truncated shares add up to the amount: no öre left over = no öre added
  rounded share: 400 000,00
  amount: 400 000,00
";
    assert_eq!(text, expected);
    let a = allocation.explain(&id("A")).unwrap().to_string();
    assert!(
        a.contains("1 of 4 capped here, A among them, 500 000 above the cap and redistributed"),
        "{a}"
    );
    let json = serde_json::to_value(allocation.explain(&id("A")).unwrap()).unwrap();
    assert_eq!(json["amount"], "700000.00");
    assert!(allocation.explain(&id("R")).is_none());
}

#[test]
fn explanation_of_the_absorbing_party() {
    let agreement = r2_agreement();
    let pool = r2_pool(ExcessPolicy::Absorb(id("R")));
    let (allocation, _) = allocate(&agreement, &pool, &ThresholdTable::default()).unwrap();
    let text = allocation.explain(&id("R")).unwrap().to_string();
    assert!(
        text.contains(
            "absorbs the excess above the cap: 1 capped part(s), sum of their excess = 500 000,00"
        ),
        "{text}"
    );
    assert_eq!(allocation.amount_for(&id("R")), kr("500000"));
    let a = allocation.explain(&id("A")).unwrap().to_string();
    assert!(
        a.contains("above the cap: cut to the cap, the excess paid by R: 1 200 000,00 − 700 000,00 = 500 000"),
        "{a}"
    );
}

/// Allocates and returns every problem's message.
fn problems(agreement: &Agreement, pool: &Pool) -> Vec<String> {
    allocate(agreement, pool, &ThresholdTable::default())
        .unwrap_err()
        .problems()
        .iter()
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn bad_input_is_a_typed_error_naming_pool_and_party() {
    let agreement = r2_agreement();

    let pool = r2_pool(ExcessPolicy::Absorb(id("nobody")))
        .to_builder()
        .participants(vec![id("A"), id("X"), id("A")])
        .build()
        .unwrap();
    assert_eq!(
        problems(&agreement, &pool),
        [
            "pool system: party X (participant) is not a party of the agreement",
            "pool system: party A is named more than once among the participants",
            "pool system: party nobody (absorbing party) is not a party of the agreement",
        ]
    );

    let pool = r2_pool(ExcessPolicy::Uncovered)
        .to_builder()
        .participants(vec![])
        .build()
        .unwrap();
    assert_eq!(
        problems(&agreement, &pool),
        ["pool system: the participant set is empty"]
    );
    // A cap of 0 is refused when the pool is built, before any split.
    let err = pool
        .to_builder()
        .cap(Cap::new(
            CapLimit::Fixed(Money::ZERO),
            ExcessPolicy::Uncovered,
        ))
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "1 problem\n  pool system: the cap must be above 0, found 0.00"
    );

    // R has no population; a zero weight is refused with where it was read.
    let mut zero = Party::new(id("Z"), "Zero").with_population(0, None);
    zero.population.as_mut().unwrap().source = Some(billing_core::SourceRef::new("Parties!D9"));
    let mut parties = agreement.parties().to_vec();
    parties.push(zero);
    let with_zero = Agreement::new(parties).unwrap();
    let pool = Pool::new("p", "p", kr("10"), Key::Population).unwrap();
    assert_eq!(
        problems(&with_zero, &pool),
        [
            "pool p: party R has no population, which the key needs",
            "pool p: party Z at Parties!D9: population must be above 0, found 0",
        ]
    );

    let lou = r2_builder()
        .cap(Cap::new(CapLimit::Lou, ExcessPolicy::Uncovered))
        .build()
        .unwrap();
    assert_eq!(
        problems(&agreement, &lou),
        ["pool system: a lou cap needs the pool's billing year"]
    );
    let lou = lou.to_builder().year(2010).build().unwrap();
    assert_eq!(
        problems(&agreement, &lou),
        ["pool system: no direct-award threshold was in force on 1 January 2010"]
    );
}

#[test]
fn fixed_amounts_must_add_up_and_belong_to_participants() {
    let agreement = r2_agreement();
    let amounts: BTreeMap<PartyId, Sourced<Money>> = [
        (id("A"), Sourced::new(kr("100"))),
        (id("B"), Sourced::new(kr("50.50"))),
        (id("Q"), Sourced::new(kr("1"))),
    ]
    .into();
    let pool = Pool::builder("f", "fixed", kr("200"), Key::Fixed { amounts })
        .participants(vec![id("A"), id("B"), id("C")])
        .build()
        .unwrap();
    assert_eq!(
        problems(&agreement, &pool),
        [
            "pool f: party Q (fixed amount) is not a party of the agreement",
            "pool f: fixed amounts add up to 151.50, the pool is 200.00: short by 48.50",
            "pool f: party C has no fixed amount",
        ]
    );
}

#[test]
fn users_total_below_the_parties_users_is_an_error() {
    let agreement = Agreement::new(vec![Party::new(id("a"), "a").with_users(20)]).unwrap();
    let key = Key::Users {
        total_users: Some(Sourced::new(10)),
    };
    let pool = Pool::new("u", "u", kr("100"), key).unwrap();
    assert_eq!(
        problems(&agreement, &pool),
        ["pool u: 10 users in all organisations is fewer than the 20 users of the parties"]
    );
}

#[test]
fn duplicate_party_ids_are_all_reported() {
    let p = |name: &str| Party::new(id(name), name);
    let err = Agreement::new(vec![p("a"), p("b"), p("a"), p("b"), p("c")]).unwrap_err();
    assert_eq!(
        err.problems(),
        [
            SplitError::DuplicateParty { party: id("a") },
            SplitError::DuplicateParty { party: id("b") },
        ]
    );
    assert!(PartyId::new(" a").is_err());
    assert!(PartyId::new("").is_err());
}

#[test]
fn allocate_all_collects_the_problems_of_every_pool() {
    let agreement = r2_agreement();
    let bad = |name: &str| Pool::new(name, name, kr("1"), Key::Direct { party: id("?") }).unwrap();
    let err = allocate_all(
        &agreement,
        &[bad("one"), r2_pool(ExcessPolicy::Uncovered), bad("two")],
        &ThresholdTable::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "2 problems\n  pool one: party ? (payer) is not a party of the agreement\n  pool two: party ? (payer) is not a party of the agreement"
    );
}

/// R2 with a pool billed in instalments: the pool is capped as a whole (A pays 700,000 for the
/// year, not 700,000 in each instalment), and each instalment explains its part.
#[test]
fn a_capped_pool_in_instalments_holds_the_cap_for_the_year() {
    let agreement = r2_agreement();
    let pool = r2_pool(ExcessPolicy::Absorb(id("R")));
    let (whole, _) = allocate(&agreement, &pool, &ThresholdTable::default()).unwrap();
    let thirds = whole.instalments(3);
    let a: Vec<String> = thirds
        .iter()
        .map(|t| t.amount_for(&id("A")).to_string())
        .collect();
    assert_eq!(a, ["233333.34", "233333.33", "233333.33"]);
    let r: Vec<String> = thirds
        .iter()
        .map(|t| t.amount_for(&id("R")).to_string())
        .collect();
    assert_eq!(r, ["166666.67", "166666.67", "166666.66"]);
    let text = thirds[2].explain(&id("A")).unwrap().to_string();
    assert!(
        text.contains("instalment 3 of 3: 700 000,00 for the whole pool of 2 000 000,00 in 3 equal instalments, the odd öre to the earliest = 233 333,33"),
        "{text}"
    );
    let text = thirds[0].explain(&id("R")).unwrap().to_string();
    assert!(text.contains("instalment 1 of 3: 500 000,00"), "{text}");
    assert!(thirds[2]
        .explain(&id("A"))
        .unwrap()
        .render(billing_core::Language::Sv)
        .contains("delbetalning 3 av 3"));
}
