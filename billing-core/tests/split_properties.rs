//! Invariants of the split on random inputs: the parts add up, order does not matter, caps hold,
//! parts stay within an öre of their exact share, and redistribution leaves nothing uncovered
//! while a party has room under the cap.

use billing_core::{
    allocate, apportion, Agreement, Allocation, Cap, CapLimit, ExcessPolicy, Key, Money, Party,
    PartyId, Pool, Sourced, ThresholdTable,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// A random agreement: 1–40 parties with populations, users and a fractional weight, plus a
/// region `R` outside the pools that may absorb excess.
#[derive(Clone, Debug)]
struct Case {
    parties: Vec<(String, u64, u64, Decimal)>,
    amount: i64,
    key: u8,
    cap: Option<(i64, u8)>,
    outside_users: u64,
}

fn case() -> impl Strategy<Value = Case> {
    let party = (
        "[a-z]{1,3}[0-9]{0,2}",
        1u64..10_000_000,
        prop_oneof![1u64..10, 1u64..5_000],
        (1i64..1_000_000, 0u32..5).prop_map(|(m, s)| Decimal::new(m, s)),
    );
    (
        prop::collection::vec(party, 1..40),
        -100_000_000_000i64..100_000_000_000,
        0u8..4,
        prop::option::of((1i64..50_000_000_000, 0u8..3)),
        0u64..100_000,
    )
        .prop_map(|(mut parties, amount, key, cap, outside_users)| {
            parties.sort_by(|a, b| a.0.cmp(&b.0));
            parties.dedup_by(|a, b| a.0 == b.0);
            Case {
                parties,
                amount,
                key,
                cap,
                outside_users,
            }
        })
}

fn build(case: &Case, order: &[usize]) -> (Agreement, Pool) {
    let mut parties: Vec<Party> = order
        .iter()
        .map(|&i| {
            let (name, pop, users, weight) = &case.parties[i];
            Party::new(PartyId::new(name).unwrap(), name)
                .with_population(*pop, None)
                .with_users(*users)
                .with_figure("w", *weight)
        })
        .collect();
    parties.push(Party::new(PartyId::new("R").unwrap(), "Region"));
    let key = match case.key {
        0 => Key::Population,
        1 => Key::Users {
            total_users: Some(Sourced::new(
                case.parties.iter().map(|p| p.2).sum::<u64>() + case.outside_users,
            )),
        },
        2 => Key::Equal,
        _ => Key::Weight { figure: "w".into() },
    };
    let mut pool = Pool::builder("p", "pool", Money::from_ore(i128::from(case.amount)), key)
        .participants(
            order
                .iter()
                .map(|&i| PartyId::new(&case.parties[i].0).unwrap())
                .collect(),
        );
    if let Some((cap, policy)) = case.cap {
        pool = pool.cap(Cap::new(
            CapLimit::Fixed(Money::from_ore(i128::from(cap))),
            match policy {
                0 => ExcessPolicy::Absorb(PartyId::new("R").unwrap()),
                1 => ExcessPolicy::Redistribute,
                _ => ExcessPolicy::Uncovered,
            },
        ));
    }
    (Agreement::new(parties).unwrap(), pool.build().unwrap())
}

fn run(case: &Case, order: &[usize]) -> Allocation {
    let (agreement, pool) = build(case, order);
    allocate(&agreement, &pool, &ThresholdTable::default())
        .unwrap()
        .0
}

fn identity(case: &Case) -> Vec<usize> {
    (0..case.parties.len()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn parts_add_up_to_the_pool_exactly(case in case()) {
        let a = run(&case, &identity(&case));
        let outside = a.outside.as_ref().map(|o| o.amount).unwrap_or_default();
        let absorbed = a.absorbed.as_ref().map(|x| x.1).unwrap_or_default();
        prop_assert_eq!(a.allocated() + absorbed + a.uncovered + outside, a.amount);
    }

    #[test]
    fn permuting_the_input_rows_changes_nothing(
        (case, order) in case().prop_flat_map(|c| {
            let order = Just((0..c.parties.len()).collect::<Vec<usize>>()).prop_shuffle();
            (Just(c), order)
        })
    ) {
        prop_assert_eq!(run(&case, &identity(&case)), run(&case, &order));
    }

    #[test]
    fn no_party_is_above_its_cap(case in case()) {
        let a = run(&case, &identity(&case));
        if let Some(cap) = &a.cap {
            for part in &a.parts {
                prop_assert!(part.amount.abs() <= cap.limit, "{} above {}", part.amount, cap.limit);
            }
        }
    }

    #[test]
    fn without_a_cap_each_part_is_within_an_ore_of_its_exact_share(case in case()) {
        let case = Case { cap: None, ..case };
        let a = run(&case, &identity(&case));
        // The exact share recomputed here from the inputs, not taken from the engine:
        // amount · w / Σw, and under the users key amount · users / all users (R3). Weights are
        // made integers at the generator's scale (5 decimals).
        let scale = |d: Decimal| {
            let mut d = d;
            d.rescale(5);
            d.mantissa()
        };
        let weights: Vec<i128> = case
            .parties
            .iter()
            .map(|(_, pop, users, w)| match case.key {
                0 => i128::from(*pop),
                1 => i128::from(*users),
                2 => 1,
                _ => scale(*w),
            })
            .collect();
        let mut total: i128 = weights.iter().sum();
        if case.key == 1 {
            total += i128::from(case.outside_users);
        }
        for (part, w) in a.parts.iter().zip(&weights) {
            // |amount − A·w/W| < 1 öre  ⇔  |amount·W − A·w| < W.
            let gap = part.amount.ore() * total - i128::from(case.amount) * w;
            prop_assert!(gap.abs() < total, "{} vs {} × {} / {}", part.amount, case.amount, w, total);
        }
    }

    #[test]
    fn redistribute_never_leaves_money_uncovered_while_a_party_has_room(case in case()) {
        let case = Case { cap: case.cap.map(|(c, _)| (c, 1)), ..case };
        let a = run(&case, &identity(&case));
        if let Some(cap) = &a.cap {
            if !a.uncovered.is_zero() {
                for part in &a.parts {
                    prop_assert_eq!(part.amount.abs(), cap.limit);
                }
            }
            prop_assert!(a.absorbed.is_none());
        }
    }

    #[test]
    fn the_remainder_rank_explains_who_got_the_leftover_ore(case in case()) {
        // Ranks count every claimant of the split, the users outside included: a part got an
        // öre exactly when its rank is within the öre left over.
        let case = Case { cap: None, ..case };
        let a = run(&case, &identity(&case));
        for part in &a.parts {
            let rank = a.remainder_rank(part).unwrap();
            prop_assert_eq!(part.extra_ore, rank <= a.leftover_ore, "rank {} of leftover {}", rank, a.leftover_ore);
        }
    }

    #[test]
    fn instalments_add_up_to_the_whole_pool_party_by_party(case in case(), n in 1usize..13) {
        // A pool billed in n instalments: each party's instalments add up to exactly what it
        // pays for the whole pool (so a yearly cap holds), differ by at most one öre, and each
        // instalment adds up to its own amount.
        let whole = run(&case, &identity(&case));
        let parts = whole.instalments(n);
        prop_assert_eq!(parts.len(), n);
        for (i, part) in whole.parts.iter().enumerate() {
            let pieces: Vec<Money> = parts.iter().map(|a| a.parts[i].amount).collect();
            prop_assert_eq!(pieces.iter().copied().sum::<Money>(), part.amount);
            let (lo, hi) = (pieces.iter().min().unwrap(), pieces.iter().max().unwrap());
            prop_assert!((*hi - *lo).ore() <= 1);
        }
        let total: Money = parts.iter().map(|a| a.amount).sum();
        prop_assert_eq!(total, whole.amount);
        for a in &parts {
            let outside = a.outside.as_ref().map(|o| o.amount).unwrap_or_default();
            let absorbed = a.absorbed.as_ref().map(|x| x.1).unwrap_or_default();
            prop_assert_eq!(a.allocated() + absorbed + a.uncovered + outside, a.amount);
            prop_assert_eq!(&a.whole(), &whole);
        }
    }

    #[test]
    fn apportion_permutes_with_its_claims(
        (claims, order, total) in prop::collection::vec((any::<u16>(), 1u32..1000), 1..60)
            .prop_map(|mut v| { v.sort(); v.dedup_by_key(|c| c.0); v })
            .prop_flat_map(|v| {
                let order = Just((0..v.len()).collect::<Vec<usize>>()).prop_shuffle();
                (Just(v), order, -1_000_000i64..1_000_000)
            })
    ) {
        let claims: Vec<(u16, Decimal)> = claims.into_iter().map(|(k, w)| (k, Decimal::from(w))).collect();
        let shuffled: Vec<(u16, Decimal)> = order.iter().map(|&i| claims[i]).collect();
        let total = Money::from_ore(i128::from(total));
        let a = apportion(total, &claims).unwrap();
        let b = apportion(total, &shuffled).unwrap();
        for (j, &i) in order.iter().enumerate() {
            prop_assert_eq!(a.portions()[i].amount(), b.portions()[j].amount());
        }
        prop_assert_eq!(a.portions().iter().map(|p| p.amount()).sum::<Money>(), total);
    }
}
