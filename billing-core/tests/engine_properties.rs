//! Properties of the whole engine over random agreements (entries, notices, a register, any
//! annual user fee, pools with and without participants and caps, several dates):
//! - the coordinator never receives an invoice (R15), and never an invoice of its own share
//!   is counted in the cash flow;
//! - on every date, the pool lines of the invoices and of the issuer's share, plus what is
//!   absorbed, uncovered or borne outside, add up to the pools due, to the öre;
//! - nobody is billed a pool on a day it is not a member (R14), except a direct pool;
//! - the result does not depend on the order of the register rows, terms or pools;
//! - an [`Engine`] stepped from date to date, with the dates issued recorded, gives on every
//!   date exactly what [`invoices_due`] gives with the register's growing history, whatever
//!   dates are asked, skipped, issued or asked again;
//! - an engine computing on 1, 2 or 3 threads gives the same lines, problems and invoices, in
//!   the same order.

use billing_core::calendar::*;
use billing_core::engine::{
    invoices_due, Billing, Engine, History, Model, ScheduledPool, Settings, Terms,
};
use billing_core::invoice::LineKind;
use billing_core::{
    Agreement, Cap, CapLimit, ExcessPolicy, Key, Money, Party, PartyId, Pool, Sourced,
};
use chrono::Days;
use proptest::prelude::*;

fn base() -> NaiveDate {
    NaiveDate::from_ymd_opt(2010, 1, 1).unwrap()
}

fn at(offset: u32) -> NaiveDate {
    base() + Days::new(u64::from(offset))
}

fn pid(i: usize) -> PartyId {
    PartyId::new(&format!("p{i}")).unwrap()
}

#[derive(Clone, Debug)]
struct Spec {
    pops: Vec<u64>,
    /// Per party: a joining offset (an entry), a notice offset.
    joins: Vec<Option<u32>>,
    notices: Vec<Option<u32>>,
    users: Vec<(usize, u32, Option<u32>)>,
    pools: Vec<(i64, u8, Option<i64>, u32)>,
    /// The annual user fee, in öre.
    fee: i64,
}

fn spec() -> impl Strategy<Value = Spec> {
    (2usize..6).prop_flat_map(|n| {
        (
            proptest::collection::vec(1u64..1_000_000, n),
            proptest::collection::vec(proptest::option::weighted(0.3, 30u32..800), n),
            proptest::collection::vec(proptest::option::weighted(0.3, 0u32..600), n),
            proptest::collection::vec((0..n, 0u32..900, proptest::option::of(0u32..600)), 0..20),
            proptest::collection::vec(
                (
                    -100_000i64..5_000_000,
                    0u8..4,
                    proptest::option::of(1i64..2_000_000),
                    0u32..4,
                ),
                0..4,
            ),
            // The seed's 12,000 kr, or any fee up to 10 Mkr to the öre (mostly odd: half a
            // fee is then a fraction of an öre).
            prop_oneof![1 => Just(1_200_000i64), 4 => 1i64..1_000_000_000],
        )
            .prop_map(|(pops, joins, notices, users, pools, fee)| Spec {
                pops,
                joins,
                notices,
                users,
                pools,
                fee,
            })
    })
}

const DATES: [(i32, u32, u32); 4] = [(2010, 7, 1), (2011, 1, 1), (2011, 7, 1), (2012, 1, 1)];

fn date(i: usize) -> NaiveDate {
    let (y, m, d) = DATES[i];
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn model(s: &Spec) -> Model {
    let n = s.pops.len();
    let parties = (0..n)
        .map(|i| Party::new(pid(i), "P").with_population(s.pops[i], None))
        .collect();
    let agreement = Agreement::new(parties).unwrap();
    // p0 coordinates and approves every entry with every founding party.
    let mut m = Model::new(Settings::new(pid(0), Some(base())), agreement);
    m.annual_fee = Some(Sourced::new(Money::from_ore(i128::from(s.fee))));
    // The parties that are members on a day approve the entries of that day (R9: a
    // member through the notice day 12 months on).
    let notice = |i: usize| s.notices[i].filter(|_| i != 0);
    // Entries of one day are admitted in id order, so an earlier id approves a later one.
    let approving = |day: NaiveDate, who: usize| -> Vec<PartyId> {
        let joined = |i: usize| if i == 0 { 0 } else { s.joins[i].unwrap_or(0) };
        (0..n)
            .filter(|i| {
                *i == 0 || s.joins[*i].is_none_or(|j| at(j) < day || (at(j) == day && *i < who))
            })
            .filter(|i| {
                notice(*i).is_none_or(|o| {
                    let last = at(joined(*i) + o).checked_add_months(chrono::Months::new(12));
                    day <= last.unwrap()
                })
            })
            .map(pid)
            .collect()
    };
    m.terms = (1..n)
        .map(|i| {
            let mut t = Terms::new(pid(i));
            if let Some(j) = s.joins[i] {
                t = t.joined(at(j), approving(at(j), i));
            }
            if let Some(o) = notice(i) {
                t = t.notice(at(s.joins[i].unwrap_or(0) + o));
            }
            t
        })
        .collect();
    m.registrations = s
        .users
        .iter()
        .enumerate()
        .map(|(u, &(p, first, len))| {
            Registration::new(
                pid(p),
                UserId::new(&format!("u{u}")),
                at(first),
                len.map(|l| at(first + l)),
            )
        })
        .collect();
    m.pools = s
        .pools
        .iter()
        .enumerate()
        .map(|(k, &(amount, key, cap, when))| {
            let key = match key {
                0 => Key::Population,
                1 => Key::Equal,
                2 => Key::Direct { party: pid(n - 1) },
                _ => Key::Population,
            };
            let mut pool =
                Pool::builder(&format!("pool{k}"), "Pool", Money::from_kronor(amount), key);
            if let Some(c) = cap.filter(|_| amount > 0) {
                pool = pool.cap(Cap::new(
                    CapLimit::Fixed(Money::from_kronor(c)),
                    if k % 2 == 0 {
                        ExcessPolicy::Redistribute
                    } else {
                        ExcessPolicy::Uncovered
                    },
                ));
            }
            ScheduledPool::new(pool.build().unwrap(), vec![date(when as usize)])
        })
        .collect();
    m
}

fn summary(b: &Billing) -> Vec<String> {
    let mut out: Vec<String> = b
        .invoices
        .iter()
        .chain(&b.issuer_share)
        .map(|i| format!("{} {} {}", i.issuer, i.buyer, i.payable))
        .collect();
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_engine_adds_up_and_never_invoices_the_coordinator(s in spec()) {
        let m = model(&s);
        let mut history = History::default();
        for i in 0..DATES.len() {
            let d = date(i);
            // Every generated agreement is valid: an error is a failure, not a skipped case.
            let b = match invoices_due(&m, d, &history) {
                Ok(b) => b,
                Err(e) => return Err(TestCaseError::fail(format!("{d}: {e:?}"))),
            };
            prop_assert!(b.invoices.iter().all(|inv| inv.buyer != pid(0)));
            if let Some(own) = &b.issuer_share {
                prop_assert_eq!(&own.buyer, &pid(0));
                prop_assert!(own.number.is_none());
            }
            // Pools add up: billed parts + absorbed + uncovered + outside = pools due.
            let due: Money = b.allocations.iter().map(|a| a.amount).sum();
            let billed: Money = b
                .invoices
                .iter()
                .chain(&b.issuer_share)
                .flat_map(|inv| &inv.lines)
                .filter(|l| l.kind == LineKind::Pool)
                .map(|l| l.amount)
                .sum();
            let rest: Money = b
                .allocations
                .iter()
                .map(|a| a.uncovered + a.outside.as_ref().map_or(Money::ZERO, |o| o.amount))
                .sum();
            prop_assert_eq!(billed + rest, due, "{}", d);
            // User fees, whatever the fee: the advance and correction lines of the invoices
            // and of the issuer's share are the fee lines billed on the date, to the öre; and
            // each invoice's payable is its lines plus VAT plus its rounding.
            let fee_billed: Money = b
                .invoices
                .iter()
                .chain(&b.issuer_share)
                .flat_map(|inv| &inv.lines)
                .filter(|l| matches!(l.kind, LineKind::Advance | LineKind::Correction))
                .map(|l| l.amount)
                .sum();
            let fee_lines: Money = b.fee_lines.iter().map(|l| l.amount).sum();
            prop_assert_eq!(fee_billed, fee_lines, "{}", d);
            for inv in b.invoices.iter().chain(&b.issuer_share) {
                let net: Money = inv.lines.iter().map(|l| l.amount).sum();
                prop_assert_eq!(net, inv.net_total);
                prop_assert_eq!(
                    inv.net_total + inv.vat_total + inv.rounding.unwrap_or(Money::ZERO),
                    inv.payable
                );
            }
            // R14: nobody is billed a pool on a day it is not a member, except a direct pool.
            for a in &b.allocations {
                if a.key == "direct" {
                    continue;
                }
                for part in a.parts.iter().filter(|p| !p.amount.is_zero()) {
                    let i: usize = part.party.as_str()[1..].parse().unwrap();
                    let joined = s.joins[i].filter(|_| i != 0).map_or(base(), at);
                    prop_assert!(joined <= d, "{} billed {} before joining", part.party, a.pool);
                }
            }
            history.fee_lines.extend(b.fee_lines.iter().cloned());
            history.dates.insert(d);
        }
    }

    #[test]
    fn the_engine_does_not_depend_on_input_order(s in spec()) {
        let m = model(&s);
        let mut r = m.clone();
        r.registrations.reverse();
        r.terms.reverse();
        r.pools.reverse();
        for i in 0..DATES.len() {
            let (a, b) = (
                invoices_due(&m, date(i), &History::default()),
                invoices_due(&r, date(i), &History::default()),
            );
            match (a, b) {
                (Ok(a), Ok(b)) => prop_assert_eq!(summary(&a), summary(&b)),
                (Err(a), Err(b)) => prop_assert_eq!(a.len(), b.len()),
                (a, b) => prop_assert!(false, "{:?} vs {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }

    #[test]
    fn stepping_the_engine_gives_what_each_date_alone_gives(
        s in spec(),
        asked in proptest::collection::vec(any::<bool>(), STEPS.len()),
        issued in proptest::collection::vec(any::<bool>(), STEPS.len()),
        before in 0usize..3,
    ) {
        let m = model(&s);
        // The register already holds the first `before` period starts, issued one by one.
        let mut history = History::default();
        for i in 0..before {
            let b = invoices_due(&m, date(i), &history)
                .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            history.fee_lines.extend(b.fee_lines);
            history.dates.insert(date(i));
        }
        let mut engine = Engine::new(&m, &history)
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let last = history.dates.last().copied();
        for (i, d) in STEPS.iter().map(|&s| step(s)).enumerate() {
            // A date not asked is assumed billed as computed by the dates after it; a date
            // the register holds is not issued again (but may be asked, as a draft).
            if !asked[i] {
                continue;
            }
            let stepped = engine.invoices_due(d);
            let alone = invoices_due(&m, d, &history);
            prop_assert_eq!(&stepped, &alone, "{}", d);
            if let (Ok(b), true) = (stepped, issued[i] && last.is_none_or(|l| d > l)) {
                engine.record_issued(d, &b.fee_lines);
                history.fee_lines.extend(b.fee_lines);
                history.dates.insert(d);
            }
        }
    }

    #[test]
    fn the_engine_in_any_order_gives_what_each_date_alone_gives(
        s in spec(),
        asks in proptest::collection::vec((0..STEPS.len(), any::<bool>()), 1..8),
    ) {
        let m = model(&s);
        let mut history = History::default();
        let mut engine = Engine::new(&m, &history)
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        for (i, issue) in asks {
            let d = step(STEPS[i]);
            let stepped = engine.invoices_due(d);
            let alone = invoices_due(&m, d, &history);
            prop_assert_eq!(&stepped, &alone, "{}", d);
            // Issued, even again or out of order: the engine holds what the history holds.
            if let (Ok(b), true) = (stepped, issue) {
                engine.record_issued(d, &b.fee_lines);
                history.fee_lines.extend(b.fee_lines);
                history.dates.insert(d);
            }
        }
    }
}

/// Dates to step through: the period starts of [`DATES`] and dates between them (a pool due
/// date is always a period start here; the others bill nothing of their own).
const STEPS: [(i32, u32, u32); 8] = [
    (2010, 1, 1),
    (2010, 3, 15),
    (2010, 7, 1),
    (2011, 1, 1),
    (2011, 2, 28),
    (2011, 7, 1),
    (2011, 12, 31),
    (2012, 1, 1),
];

fn step((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The period starts of the long runs: half-years, years or quarters.
fn periods(kind: u8) -> Vec<(u32, u32)> {
    match kind {
        0 => vec![(1, 1), (7, 1)],
        1 => vec![(1, 1)],
        _ => vec![(1, 1), (4, 1), (7, 1), (10, 1)],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    /// The engine keeps computed fee lines of the last periods only (older ones are read by no
    /// later date): over ten years, with yearly, half-year or quarterly periods, dates asked
    /// forwards or in any order, and a register holding lines other than those computed (an
    /// issued line one öre off, as a correction by hand would leave it), every date still
    /// gives exactly what `invoices_due` gives afresh with the register's history.
    #[test]
    fn the_engine_over_ten_years_gives_what_each_date_alone_gives(
        s in spec(),
        kind in 0u8..3,
        mut asks in proptest::collection::vec((0u32..130, any::<bool>(), any::<bool>()), 1..24),
        forwards in any::<bool>(),
    ) {
        let mut m = model(&s);
        m.settings.calendar.periods = PeriodStarts::new(periods(kind))
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        if forwards {
            asks.sort_by_key(|&(month, _, _)| month);
        }
        let mut history = History::default();
        let mut engine = Engine::new(&m, &history)
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        for (month, issue, off) in asks {
            let d = base()
                .checked_add_months(chrono::Months::new(month))
                .ok_or_else(|| TestCaseError::fail("date"))?;
            let stepped = engine.invoices_due(d);
            let alone = invoices_due(&m, d, &history);
            prop_assert_eq!(&stepped, &alone, "{}", d);
            if let (Ok(b), true) = (stepped, issue) {
                let mut lines = b.fee_lines;
                if off {
                    if let Some(line) = lines.first_mut() {
                        line.amount += Money::from_ore(1);
                    }
                }
                engine.record_issued(d, &lines);
                history.fee_lines.extend(lines);
                history.dates.insert(d);
            }
        }
    }

    /// The number of threads the fee lines are computed on changes nothing: engines on 1, 2
    /// and 3 threads, stepped through the same dates (with the same dates issued), give the
    /// same billing or the same problems, in the same order, on every date.
    #[test]
    fn the_engine_on_any_number_of_threads_gives_the_same(
        s in spec(),
        kind in 0u8..3,
        asks in proptest::collection::vec((0u32..130, any::<bool>()), 1..12),
    ) {
        let mut m = model(&s);
        m.settings.calendar.periods = PeriodStarts::new(periods(kind))
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let mut engines = Vec::new();
        for threads in 1..=3 {
            let mut engine = Engine::new(&m, &History::default())
                .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            engine.set_threads(threads);
            engines.push(engine);
        }
        for (month, issue) in asks {
            let d = base()
                .checked_add_months(chrono::Months::new(month))
                .ok_or_else(|| TestCaseError::fail("date"))?;
            let results: Vec<_> = engines.iter_mut().map(|e| e.invoices_due(d)).collect();
            prop_assert_eq!(&results[1], &results[0], "2 threads, {}", d);
            prop_assert_eq!(&results[2], &results[0], "3 threads, {}", d);
            if let (Ok(b), true) = (&results[0], issue) {
                for e in &mut engines {
                    e.record_issued(d, &b.fee_lines);
                }
            }
        }
    }
}

/// Pools by fixed amounts, due on two dates after a party with an amount has left (so they
/// cannot be split): the engine on 1, 2, 3 and 8 threads (the pools split on a thread of their
/// own from 2 on) reports the same problems, in the same order, as on one; none is lost on the
/// pool thread.
#[test]
fn the_pool_problems_of_every_date_on_any_number_of_threads() {
    let agreement = Agreement::new(vec![
        Party::new(pid(0), "P").with_population(100, None),
        Party::new(pid(1), "P").with_population(100, None),
    ])
    .unwrap();
    let mut m = Model::new(Settings::new(pid(0), Some(base())), agreement);
    // p1 gives notice on the start: a member through 2011-01-01, not on the pools' dates.
    m.terms = vec![Terms::new(pid(1)).notice(base())];
    let pool = |name: &str, due: usize| {
        let amounts = [(pid(0), 600), (pid(1), 400)]
            .into_iter()
            .map(|(p, kr)| (p, Sourced::new(Money::from_kronor(kr))))
            .collect();
        let key = Key::Fixed { amounts };
        let pool = Pool::builder(name, "Pool", Money::from_kronor(1_000), key)
            .build()
            .unwrap();
        ScheduledPool::new(pool, vec![date(due)])
    };
    m.pools = vec![pool("a", 2), pool("b", 2), pool("c", 3)];
    let results: Vec<_> = [1, 2, 3, 8]
        .into_iter()
        .map(|threads| {
            let mut engine = Engine::new(&m, &History::default()).unwrap();
            engine.set_threads(threads);
            engine.invoices_due(date(3))
        })
        .collect();
    let Err(problems) = &results[0] else {
        panic!("the pools cannot be split")
    };
    let said: Vec<String> = problems.iter().map(|p| format!("{p:?}")).collect();
    assert_eq!(said.len(), 3, "{said:#?}");
    // Two on the first date, one on the second, in the order of the pools and the dates.
    for (said, pool) in said.iter().zip(["a", "b", "c"]) {
        let expected = format!("pool {pool}: party p1 has a fixed amount but is not a participant");
        assert!(said.contains(&expected), "{said}");
    }
    for (k, r) in results.iter().enumerate().skip(1) {
        assert_eq!(r, &results[0], "run {k}");
    }
}
