//! A pool is built and changed through its builder, which checks it; the engine bills an
//! instalment or the members of a day through methods, not by rewriting the pool's parts.

use billing_core::{
    Cap, CapLimit, ExcessPolicy, Key, Money, Participants, PartyId, Pool, SplitError,
};

fn pid(id: &str) -> PartyId {
    PartyId::new(id).unwrap()
}

fn cap(kronor: i64) -> Cap {
    Cap::new(
        CapLimit::Fixed(Money::from_kronor(kronor)),
        ExcessPolicy::Redistribute,
    )
}

#[test]
fn build_reports_every_problem_at_once_with_its_field() {
    let problems = Pool::builder(" sys", "System", Money::from_kronor(10), Key::Equal)
        .cap(cap(0))
        .build()
        .unwrap_err();
    let fields: Vec<Option<&str>> = problems.places().iter().map(|p| p.field).collect();
    assert_eq!(fields, [Some("id"), Some("cap")]);
    assert!(matches!(
        problems.problems()[0],
        SplitError::BadPoolId { ref id } if id == " sys"
    ));
    assert_eq!(
        problems.problems()[1].to_string(),
        "pool  sys: the cap must be above 0, found 0.00"
    );
}

/// A credit is a negative pool: its amount is not refused.
#[test]
fn a_credit_pool_builds() {
    let pool = Pool::builder("credit", "Credit", Money::from_kronor(-100), Key::Equal)
        .build()
        .unwrap();
    assert_eq!(pool.amount(), Money::from_kronor(-100));
}

#[test]
fn a_change_is_checked_again() {
    let pool = Pool::builder("sys", "System", Money::from_kronor(10), Key::Equal)
        .year(2020)
        .build()
        .unwrap();
    let bigger = pool
        .to_builder()
        .amount(Money::from_kronor(20))
        .build()
        .unwrap();
    assert_eq!(
        (bigger.amount(), bigger.year()),
        (Money::from_kronor(20), Some(2020))
    );
    assert!(pool.to_builder().cap(cap(-1)).build().is_err());
}

#[test]
fn an_instalment_and_the_members_of_a_day() {
    let pool = Pool::builder("sys", "System", Money::from_kronor(10), Key::Equal)
        .build()
        .unwrap();
    let second = pool.instalment(1, 4, Money::from_kronor(3));
    assert_eq!(
        (second.name(), second.amount(), second.id().as_ref()),
        ("System (2/4)", Money::from_kronor(3), "sys")
    );
    let some = pool.shared_by(vec![pid("a")]);
    assert_eq!(some.participants(), &Participants::Only(vec![pid("a")]));
    // The pool itself is unchanged.
    assert_eq!(pool.participants(), &Participants::All);
    let part = pool.part_for_year(2021, "System 2021".to_owned(), Money::from_kronor(5));
    assert_eq!(
        (part.year(), part.name(), part.amount()),
        (Some(2021), "System 2021", Money::from_kronor(5))
    );
}

/// Issue 11: a pool's id is checked like a party's id however the pool is made.
#[test]
fn a_bad_id_is_refused_by_new() {
    for bad in ["", " sys", "sys ", "\tsys"] {
        assert_eq!(
            Pool::new(bad, "System", Money::from_kronor(10), Key::Equal),
            Err(SplitError::BadPoolId { id: bad.to_owned() })
        );
    }
    let pool = Pool::new("sys", "System", Money::from_kronor(10), Key::Equal).unwrap();
    assert_eq!(
        (pool.id().as_ref(), pool.participants(), pool.cap()),
        ("sys", &Participants::All, None)
    );
}

/// A deserialized pool is checked like a built one, and the JSON shape is the fields' names.
#[cfg(feature = "serde")]
#[test]
fn a_deserialized_pool_is_checked() {
    let pool = Pool::builder("sys", "System", Money::from_kronor(10), Key::Equal)
        .year(2020)
        .participants(vec![pid("a"), pid("b")])
        .cap(cap(6))
        .build()
        .unwrap();
    let json = serde_json::to_string(&pool).unwrap();
    assert_eq!(
        json,
        r#"{"id":"sys","name":"System","amount":"10.00","currency":"SEK","year":2020,"key":{"key":"equal"},"participants":{"only":["a","b"]},"cap":{"limit":{"fixed":"6.00"},"excess":"redistribute"},"source":null}"#
    );
    assert_eq!(serde_json::from_str::<Pool>(&json).unwrap(), pool);
    // The optional parts may be left out.
    let plain: Pool =
        serde_json::from_str(r#"{"id":"p","name":"P","amount":"1.00","key":{"key":"equal"}}"#)
            .unwrap();
    assert_eq!(
        plain,
        Pool::new("p", "P", Money::from_kronor(1), Key::Equal).unwrap()
    );

    let bad_id = json.replace(r#""id":"sys""#, r#""id":" sys""#);
    let err = serde_json::from_str::<Pool>(&bad_id).unwrap_err();
    assert!(
        err.to_string().contains(
            r#"pool id " sys" must be non-empty text without leading or trailing spaces"#
        ),
        "{err}"
    );
    let bad_cap = json.replace(r#""fixed":"6.00""#, r#""fixed":"0.00""#);
    let err = serde_json::from_str::<Pool>(&bad_cap).unwrap_err();
    assert!(
        err.to_string()
            .contains("pool sys: the cap must be above 0, found 0.00"),
        "{err}"
    );
}
