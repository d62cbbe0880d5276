//! Calendar benchmark (issue 4): the 290 municipalities, 200,000 registrations and 10 years of
//! half-year invoices (20 invoice dates, 2010-01-01 to 2019-07-01): building the register,
//! every advance and correction, and every invoice. Goal: under 300 ms and 200 MB.
//!
//! Measured (2-core machine, `cargo bench -p benches --bench calendar`): 135 ms with
//! `next_invoice_count`, 149 ms with `pro_rata_days`; peak memory 70 MB (maximum resident set
//! of `/usr/bin/time -v target/release/deps/calendar-* --bench --profile-time 2`, fixtures
//! included).

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use benches::municipalities;
use billing_core::calendar::*;
use billing_core::invoice::{assemble_invoices, InvoiceOptions};
use billing_core::{Agreement, Money, PartyId};
use criterion::{criterion_group, criterion_main, Criterion};

const REGISTRATIONS: usize = 200_000;

/// A fixed pseudo-random sequence (64-bit LCG), so every run bills the same register.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// 200,000 registrations over 290 parties: users come and go over 2008–2019; about one in ten
/// user ids is registered twice for the same party, some overlapping.
fn registrations(agreement: &Agreement) -> Vec<Registration> {
    let ids: Vec<PartyId> = agreement.parties().iter().map(|p| p.id.clone()).collect();
    let mut rng = Lcg(2010);
    let day = |rng: &mut Lcg, y: i32| date(y, 1 + rng.next(12) as u32, 1 + rng.next(28) as u32);
    (0..REGISTRATIONS)
        .map(|_| {
            let party = ids[rng.next(ids.len() as u64) as usize].clone();
            let user = UserId::new(&format!("u{}", rng.next(REGISTRATIONS as u64 * 9 / 10)));
            let year = 2008 + rng.next(12) as i32;
            let first = day(&mut rng, year);
            let last = match rng.next(3) {
                0 => None,
                _ => {
                    let last_year = year + rng.next(4) as i32;
                    Some(day(&mut rng, last_year).max(first))
                }
            };
            Registration::new(party, user, first, last)
        })
        .collect()
}

/// Every municipality a founding member from 2010, except ten that join in 2012 (all approve)
/// and five that give notice in 2015.
fn members(agreement: &Agreement) -> Members {
    let ids: Vec<PartyId> = agreement.parties().iter().map(|p| p.id.clone()).collect();
    let founding = ids[10..]
        .iter()
        .map(|id| Membership::founding(id.clone(), date(2010, 1, 1)))
        .collect();
    let mut members = Members::new(founding, agreement).expect("valid memberships");
    for (i, id) in ids[..10].iter().enumerate() {
        let joining = date(2012, 1 + i as u32, 1);
        let approvals = members.members_on(joining).cloned().collect();
        let request = EntryRequest {
            party: id.clone(),
            joining,
            approvals,
        };
        members
            .admit(&request, &EntryRule::default())
            .expect("approved");
    }
    for id in &ids[100..105] {
        members
            .give_notice(id, date(2015, 3, 15), &ExitRule::default())
            .expect("one notice");
    }
    members
}

fn run(
    agreement: &Agreement,
    rows: &[Registration],
    members: &Members,
    policy: CorrectionPolicy,
) -> usize {
    let register = Register::new(rows, agreement).expect("valid register");
    let fees = FeeSchedule::new(vec![AnnualFee::given(
        date(2010, 1, 1),
        Money::from_kronor(12_000),
        None,
    )])
    .expect("one fee");
    let config = CalendarConfig {
        policy,
        ..CalendarConfig::default()
    };
    let dates = PeriodStarts::half_years().starts_between(date(2010, 1, 1), date(2019, 7, 1));
    let lines = bill_dates(
        &dates,
        &config,
        &fees,
        members,
        Users::Register(&register),
        &[],
    )
    .expect("billed");
    let coordinator = PartyId::new("0180").expect("an id");
    let options = InvoiceOptions::default();
    dates
        .iter()
        .map(|d| {
            assemble_invoices(*d, &coordinator, &lines, &[], &[], &options)
                .expect("assembled")
                .len()
        })
        .sum()
}

fn calendar(c: &mut Criterion) {
    let agreement = municipalities();
    let rows = registrations(&agreement);
    let members = members(&agreement);
    let mut group = c.benchmark_group("calendar/290 parties, 200,000 registrations, 20 dates");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for policy in [
        CorrectionPolicy::NextInvoiceCount,
        CorrectionPolicy::ProRataDays,
    ] {
        group.bench_function(policy.to_string(), |b| {
            b.iter(|| run(black_box(&agreement), black_box(&rows), &members, policy))
        });
    }
    group.finish();
}

criterion_group!(benches, calendar);
criterion_main!(benches);
