//! A pool is built and changed through its builder, which checks it; the engine bills an
//! instalment or the members of a day through methods, not by rewriting the pool's parts.

use billing_core::{
    Cap, CapLimit, ExcessPolicy, Key, Money, Participants, PartyId, Pool, SplitError,
};

fn pid(id: &str) -> PartyId {
    PartyId::new(id).unwrap()
}

fn cap(kronor: i64) -> Cap {
    Cap {
        limit: CapLimit::Fixed(Money::from_kronor(kronor)),
        excess: ExcessPolicy::Redistribute,
    }
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
