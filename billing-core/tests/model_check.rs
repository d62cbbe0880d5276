//! The model refuses what the workbook reader used to refuse on its own (issue 11, "one
//! validation"): each check of `engine::check` on a model built in Rust, with the problem's
//! subject, field and message. `billing-report/tests/bad_inputs.rs` shows the same problems at
//! the workbook's cells.

use billing_core::calendar::*;
use billing_core::cooperation::Cooperation;
use billing_core::engine::{
    check, check_except_memberships, check_with_unread_parties, invoices_due, BudgetEntry,
    CheckedModel, Engine, History, Model, ScheduledPool, Settings, Terms,
};
use billing_core::invoice::VatRate;
use billing_core::settlement::ProviderCost;
use billing_core::{
    Agreement, Cap, CapLimit, ExcessPolicy, Key, Money, Party, PartyId, Pool, SourceRef, Sourced,
};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn pid(id: &str) -> PartyId {
    PartyId::new(id).unwrap()
}

/// Parties `coord`, `a` and `b`, starting 2011-01-01, with nothing to bill.
fn model() -> Model {
    let parties = ["coord", "a", "b"]
        .iter()
        .map(|id| Party::new(pid(id), id).with_population(100, None))
        .collect();
    Model::new(
        Settings::new(pid("coord"), Some(day(2011, 1, 1))),
        Agreement::new(parties).unwrap(),
    )
}

fn pool(id: &str, due: &[NaiveDate], source: &str) -> ScheduledPool {
    let mut p = ScheduledPool::new(
        Pool::new(id, id, Money::from_kronor(900), Key::Equal).unwrap(),
        due.to_vec(),
    );
    p.source = Some(SourceRef::new(source));
    p
}

/// The model's problems as `subject field: message`, and the same refusal from the engine.
fn check_model(m: &Model, expected: &[&str]) {
    let problems = check(m);
    let got: Vec<String> = problems
        .iter()
        .map(|p| format!("{:?} {}: {p}", p.subject, p.field.unwrap_or("-")))
        .collect();
    assert_eq!(got, expected);
    // The engine computes nothing for such a model and reports exactly these problems.
    let refused = invoices_due(m, day(2012, 1, 1), &History::default()).unwrap_err();
    assert_eq!(refused, problems);
    // Nor is it proven checked: the same problems, and the model given back.
    let Err((back, refused)) = CheckedModel::new(m.clone()) else {
        panic!("a model with problems was found valid");
    };
    assert_eq!(refused, problems);
    assert_eq!(back.pools, m.pools);
}

#[test]
fn a_valid_model_has_no_problems() {
    let mut m = model();
    m.pools = vec![pool("p", &[day(2011, 7, 1)], "Pools!A2")];
    assert_eq!(check(&m), []);
}

/// A model proven checked computes as the model checked by the engine itself, on every date:
/// the memberships the check made (an entry in its first year, a notice) are the engine's own,
/// and transactions set afterwards are billed as in a model that had them.
#[test]
fn a_checked_model_computes_as_the_model() {
    let mut m = model();
    m.pools = vec![pool("p", &[day(2011, 7, 1), day(2012, 1, 1)], "Pools!A2")];
    m.annual_fee = Some(Sourced::new(Money::from_kronor(12_000)));
    m.terms = vec![
        Terms::new(pid("b")).joined(day(2011, 4, 1), vec![pid("a"), pid("coord")]),
        Terms::new(pid("a")).notice(day(2011, 5, 15)),
    ];
    m.registrations = ["a", "b", "b", "coord"]
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let first = if *p == "b" {
                day(2011, 4, 1)
            } else {
                day(2011, 1, 1)
            };
            Registration::new(pid(p), UserId::new(&format!("u{i}")), first, None)
        })
        .collect();
    let checked = CheckedModel::new(m.clone()).unwrap();
    let mut engine = Engine::new(&m, &History::default()).unwrap();
    let mut from_checked = Engine::checked(&checked, &History::default());
    let dates = [
        day(2011, 1, 1),
        day(2011, 7, 1),
        day(2012, 1, 1),
        day(2012, 7, 1),
    ];
    for date in dates {
        let expected = engine.invoices_due(date).unwrap();
        assert!(!expected.invoices.is_empty(), "nothing billed on {date}");
        assert_eq!(from_checked.invoices_due(date).unwrap(), expected, "{date}");
    }
    assert_eq!(checked.model().registrations, m.registrations);
    assert_eq!(checked.clone().into_model().pools, m.pools);
}

#[test]
fn the_issuer_must_be_a_party() {
    let mut m = model();
    m.settings.issuer = pid("nobody");
    check_model(
        &m,
        &["Agreement issuer: the issuer must be one of the parties, found \"nobody\""],
    );
}

#[test]
fn user_fees_need_the_start() {
    let mut m = model();
    m.settings.start = None;
    m.annual_fee = Some(Sourced::new(Money::from_kronor(1_000)));
    check_model(
        &m,
        &["Agreement start: the setting start (the first day of the agreement) is required with user fees"],
    );
}

#[test]
fn more_parties_than_the_member_limit() {
    let mut m = model();
    m.settings.name = "Kurs".to_owned();
    m.settings.member_limit = Some(2);
    check_model(
        &m,
        &["Agreement member_limit: the agreement Kurs allows at most 2 members; the members are a, b, coord, found \"3\""],
    );
}

#[test]
fn an_approval_by_a_stranger_is_at_the_approvals() {
    let mut m = model();
    let mut t = Terms::new(pid("b")).joined(day(2011, 4, 1), vec![pid("a"), pid("zz")]);
    t.source = Some(SourceRef::new("Parties!A4"));
    m.terms = vec![t];
    check_model(
        &m,
        &["Party(PartyId(\"b\")) approved_by: Parties!A4: party b is approved by an unknown party, found \"zz\""],
    );
}

#[test]
fn a_pool_id_used_twice_names_the_first() {
    let mut m = model();
    m.pools = vec![
        pool("p", &[day(2011, 7, 1)], "Pools!A2"),
        pool("p", &[day(2011, 7, 1)], "Pools!A3"),
    ];
    check_model(
        &m,
        &["Pool(\"p\") id: Pools!A3: the pool id is used twice (first at Pools!A2), found \"p\""],
    );
}

#[test]
fn a_pool_due_before_the_start_is_at_its_due_date() {
    let mut m = model();
    m.pools = vec![pool("p", &[day(2010, 7, 1)], "Pools!A2")];
    check_model(
        &m,
        &["Pool(\"p\") due: Pools!A2: the pool is due on 2010-07-01, before the agreement starts (2011-01-01), found \"2010-07-01\""],
    );
}

#[test]
fn a_fixed_key_in_instalments_needs_a_cap() {
    let mut m = model();
    let mut p = pool("p", &[day(2011, 7, 1), day(2012, 1, 1)], "Pools!A2");
    let amounts = ["coord", "a", "b"]
        .iter()
        .map(|id| (pid(id), Sourced::new(Money::from_kronor(300))))
        .collect();
    p.pool = p
        .pool
        .to_builder()
        .key(Key::Fixed { amounts })
        .build()
        .unwrap();
    m.pools = vec![p];
    check_model(
        &m,
        &["Pool(\"p\") due: Pools!A2: a pool with the fixed key cannot be billed in instalments unless capped"],
    );
}

/// The split's own problems, found before any date (the reader used to run them per row).
#[test]
fn a_pools_split_problems_are_at_their_fields() {
    let mut m = model();
    let mut p = pool("p", &[day(2011, 7, 1)], "Pools!A2");
    // A lou cap needs the pool's year; a cap of 0 or below is refused when the pool is built.
    p.pool = p
        .pool
        .to_builder()
        .participants(vec![pid("a"), pid("zz")])
        .cap(Cap::new(CapLimit::Lou, ExcessPolicy::Redistribute))
        .build()
        .unwrap();
    m.pools = vec![p];
    check_model(
        &m,
        &[
            "Pool(\"p\") participants: Pools!A2: pool p: party zz (participant) is not a party of the agreement",
            "Pool(\"p\") year: Pools!A2: pool p: a lou cap needs the pool's billing year",
        ],
    );
}

#[test]
fn register_rows_of_strangers_and_reversed_dates() {
    let mut m = model();
    let mut stranger = Registration::new(pid("zz"), UserId::new("u1"), day(2011, 1, 1), None);
    stranger.source = Some(SourceRef::new("Users!A2"));
    let mut reversed = Registration::new(
        pid("a"),
        UserId::new("u2"),
        day(2011, 3, 1),
        Some(day(2011, 2, 1)),
    );
    reversed.source = Some(SourceRef::new("Users!A3"));
    // Without a source the row is named by its number, and the party by its id.
    let unsourced = Registration::new(pid("yy"), UserId::new("u3"), day(2011, 1, 1), None);
    m.registrations = vec![stranger, reversed, unsourced];
    check_model(
        &m,
        &[
            "Agreement party: Users!A2: the party is not a party of the agreement",
            "Agreement last_day: Users!A3: the last day is before the first day (2011-03-01), found \"2011-02-01\"",
            "Agreement party: register row 3: party yy is not a party of the agreement",
        ],
    );
}

#[test]
fn user_counts_and_provider_costs_of_strangers() {
    let mut m = model();
    m.user_counts = vec![UserCount {
        party: pid("zz"),
        date: day(2011, 1, 1),
        count: 3,
        source: Some(SourceRef::new("UserCounts!C2")),
    }];
    m.provider_costs = vec![ProviderCost {
        provider: pid("yy"),
        description: "servers".to_owned(),
        incurred: day(2011, 2, 1),
        amount: Money::from_kronor(100),
        vat: VatRate::Zero,
        source: None,
    }];
    check_model(
        &m,
        &[
            "Agreement party: UserCounts!C2: unknown party, found \"zz\"",
            "Agreement provider: provider cost 1: unknown party, found \"yy\"",
        ],
    );
}

#[test]
fn a_cooperation_member_must_be_a_party() {
    let mut m = model();
    let c = Cooperation::new("k", "Kurs", vec![pid("a"), pid("zz")], 3, None).unwrap();
    let mut terms = billing_core::engine::CooperationTerms::new(c);
    terms.source = Some(SourceRef::new("Cooperations!A2"));
    m.cooperations = vec![terms];
    check_model(
        &m,
        &["Cooperation(\"k\") members: Cooperations!A2: member zz is not a party"],
    );
}

/// A caller that could not read some parties' ids learns the unknown parties named and the
/// problems in one check: unmuted, the same problems in the same order as the plain check;
/// muted, nothing says the muted party is unknown, and its register row is checked as a
/// party's (its last day).
#[test]
fn unread_parties_are_learnt_and_muted_in_one_check() {
    let mut m = model();
    let sourced = |party: &str, user: &str, first: NaiveDate, last: Option<NaiveDate>, at: &str| {
        let mut r = Registration::new(pid(party), UserId::new(user), first, last);
        r.source = Some(SourceRef::new(at));
        r
    };
    // (party, user, first day, last day, cell): a stranger's row with its dates reversed, a
    // party's, another stranger's, and the first stranger's again, twice (a run of rows).
    let reversed = (day(2011, 3, 1), Some(day(2011, 2, 1)));
    let open = (day(2011, 1, 1), None);
    m.registrations = [
        ("zz", "u1", reversed, "Users!A2"),
        ("a", "u2", reversed, "Users!A3"),
        ("yy", "u3", open, "Users!A4"),
        ("zz", "u4", open, "Users!A5"),
        ("zz", "u5", reversed, "Users!A6"),
    ]
    .into_iter()
    .map(|(party, user, (first, last), at)| sourced(party, user, first, last, at))
    .collect();
    m.user_counts = vec![UserCount {
        party: pid("yy"),
        date: day(2011, 1, 1),
        count: 3,
        source: Some(SourceRef::new("UserCounts!C2")),
    }];
    let mut p = pool("p", &[day(2011, 7, 1)], "Pools!A2");
    p.pool = p
        .pool
        .to_builder()
        .participants(vec![pid("a"), pid("zz")])
        .build()
        .unwrap();
    m.pools = vec![p];
    let shown = |problems: &[billing_core::engine::Problem]| -> Vec<String> {
        problems
            .iter()
            .map(|p| format!("{} {p}", p.field.unwrap_or("-")))
            .collect()
    };
    let plain = check_except_memberships(&m);
    let unread = check_with_unread_parties(&m);
    assert_eq!(
        unread.unknown().map(PartyId::as_str).collect::<Vec<_>>(),
        ["yy", "zz"]
    );
    assert_eq!(unread.problems(|_| false), plain);
    let muted = check_with_unread_parties(&m).problems(|id| id.as_str() == "zz");
    assert_eq!(
        shown(&muted),
        [
            "last_day Users!A2: the last day is before the first day (2011-03-01), found \"2011-02-01\"",
            "last_day Users!A3: the last day is before the first day (2011-03-01), found \"2011-02-01\"",
            "party Users!A4: the party is not a party of the agreement",
            "last_day Users!A6: the last day is before the first day (2011-03-01), found \"2011-02-01\"",
            "party UserCounts!C2: unknown party, found \"yy\"",
        ]
    );
    assert_eq!(shown(&plain).len(), 7);
}

/// R5: a fee given as a price is in force from the start, and so is the budget valid from
/// the start or, the latest, from before it: two fees at the start, said at annual_fee.
#[test]
fn an_annual_fee_beside_a_budget_in_force_at_the_start() {
    let budget = |from: NaiveDate| {
        BudgetEntry::new(
            Budget {
                name: "budget".to_owned(),
                valid_from: from,
                reference_date: from,
                lines: vec![BudgetLine {
                    name: "all".to_owned(),
                    amount: Money::from_kronor(1_000),
                    inferred: false,
                    source: None,
                }],
            },
            Some(10),
        )
    };
    let mut m = model();
    m.annual_fee = Some(Sourced::new(Money::from_kronor(100)));
    m.budgets = vec![
        budget(day(2010, 1, 1)),
        budget(day(2010, 7, 1)),
        budget(day(2011, 7, 1)),
    ];
    check_model(
        &m,
        &["Agreement annual_fee: annual_fee and the budget valid from 2010-07-01, in force at the start (2011-01-01), both give the annual fee from the start: keep one (a budget may start later), found \"100.00\""],
    );
}

/// A pool of `amount` kronor with the fixed key, the `amounts` given (kronor), the rest missing.
fn fixed_pool(amount: i64, amounts: &[(&str, i64)]) -> ScheduledPool {
    let mut p = pool("p", &[day(2011, 7, 1)], "Pools!A2");
    let amounts = amounts
        .iter()
        .map(|(id, kr)| (pid(id), Sourced::new(Money::from_kronor(*kr))))
        .collect();
    p.pool = p
        .pool
        .to_builder()
        .amount(Money::from_kronor(amount))
        .key(Key::Fixed { amounts })
        .build()
        .unwrap();
    p
}

/// The sign rule of a fixed pool's sum (review bad4 finding 7): a missing amount only makes the
/// sum fall short of the pool, in a credit (whose amounts are negative) as in a charge, and is
/// said alone; a sum beyond the pool is said beside it, as no missing amount explains it.
#[test]
fn a_missing_fixed_amount_mutes_only_the_shortfall_in_either_direction() {
    let missing =
        "Pool(\"p\") key: Pools!A2: pool p: party coord has no fixed amount, which the key needs";
    type Case<'a> = (i64, &'a [(&'a str, i64)], &'a [&'a str]);
    let cases: &[Case] = &[
        (900, &[("a", 300), ("b", 300)], &[missing]),
        (-900, &[("a", -300), ("b", -300)], &[missing]),
        (
            900,
            &[("a", 700), ("b", 300)],
            &[
                "Pool(\"p\") amount: Pools!A2: pool p: fixed amounts add up to 1000.00, the pool is 900.00: over by 100.00",
                missing,
            ],
        ),
        (
            -900,
            &[("a", -700), ("b", -300)],
            &[
                "Pool(\"p\") amount: Pools!A2: pool p: fixed amounts add up to -1000.00, the pool is -900.00: short by 100.00",
                missing,
            ],
        ),
    ];
    for (amount, amounts, expected) in cases {
        let mut m = model();
        m.pools = vec![fixed_pool(*amount, amounts)];
        check_model(&m, expected);
    }
}
