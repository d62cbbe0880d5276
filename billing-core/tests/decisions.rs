//! Every **Decision** of DOMAIN R3, R5–R9, R14 and R15, and the rule fixes of issue 11, as a
//! test named after what it decides (or what broke), through the engine where it applies.

use billing_core::calendar::*;
use billing_core::engine::{
    invoices_due, Billing, History, Model, ScheduledPool, Settings, Subject, Terms,
};
use billing_core::invoice::{assemble_invoices, ExtraLine, InvoiceKind, InvoiceOptions, VatRate};
use billing_core::{
    allocate, Agreement, Key, Money, Party, PartyId, Pool, RoundingPolicy, Sourced, ThresholdTable,
};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn pid(id: &str) -> PartyId {
    PartyId::new(id).unwrap()
}

fn kr(s: &str) -> Money {
    s.parse().unwrap()
}

fn reg(party: &str, user: &str, first: NaiveDate, last: Option<NaiveDate>) -> Registration {
    Registration::new(pid(party), UserId::new(user), first, last)
}

/// Parties `coord` (the issuer, no users) and `ids`, starting on `start` with the fee `fee`.
fn model(ids: &[&str], start: NaiveDate, fee: i64) -> Model {
    let mut parties = vec![Party::new(pid("coord"), "Coordinator")];
    parties.extend(ids.iter().map(|id| Party::new(pid(id), id)));
    let agreement = Agreement::new(parties).unwrap();
    let mut m = Model::new(Settings::new(pid("coord"), Some(start)), agreement);
    m.annual_fee = Some(Sourced::new(Money::from_kronor(fee)));
    m
}

fn due(model: &Model, date: NaiveDate) -> Billing {
    invoices_due(model, date, &History::default()).unwrap()
}

/// `party`'s user-fee lines on the date: `kind period-start amount`.
fn fee_lines_of(b: &Billing, party: &str) -> Vec<String> {
    b.fee_lines
        .iter()
        .filter(|l| l.party == pid(party))
        .map(|l| format!("{:?} {} {}", l.kind, l.period.start(), l.amount))
        .collect()
}

fn payable(b: &Billing, party: &str) -> Option<String> {
    b.invoices
        .iter()
        .find(|i| i.buyer == pid(party))
        .map(|i| i.payable.to_string())
}

// --- R3 ---------------------------------------------------------------------------------------

/// R3 decision: the users outside are one more claimant in the same split; a tie between them
/// and a party gives the öre to the party. 0.01 kr among 1 party user and 1 outside user.
#[test]
fn r3_outside_users_lose_a_tie_to_the_party() {
    let agreement = Agreement::new(vec![Party::new(pid("a"), "A").with_users(1)]).unwrap();
    let key = Key::Users {
        total_users: Some(Sourced::new(2)),
    };
    let pool = Pool::new("support", "Support", Money::from_ore(1), key).unwrap();
    let (a, _) = allocate(&agreement, &pool, &ThresholdTable::swedish_lou()).unwrap();
    assert_eq!(a.amount_for(&pid("a")), Money::from_ore(1));
    assert_eq!(a.outside.as_ref().unwrap().amount, Money::ZERO);
}

/// R3 worked example: 3,200,000 kr, 13,000 users of whom 1,700 in the parties: the parties pay
/// 418,461.54 together and 2,781,538.46 is borne outside, to the öre.
#[test]
fn r3_parties_and_outside_add_up_to_the_pool() {
    let agreement = Agreement::new(vec![
        Party::new(pid("a"), "A").with_users(1_000),
        Party::new(pid("b"), "B").with_users(700),
    ])
    .unwrap();
    let key = Key::Users {
        total_users: Some(Sourced::new(13_000)),
    };
    let pool = Pool::new("support", "Support", Money::from_kronor(3_200_000), key).unwrap();
    let (a, _) = allocate(&agreement, &pool, &ThresholdTable::swedish_lou()).unwrap();
    let parties = a.amount_for(&pid("a")) + a.amount_for(&pid("b"));
    assert_eq!(parties, kr("418461.54"));
    assert_eq!(a.outside.as_ref().unwrap().amount, kr("2781538.46"));
}

// --- R5 ---------------------------------------------------------------------------------------

fn budget(valid_from: NaiveDate, lines: &[(&str, i64, bool)]) -> Budget {
    Budget {
        name: "budget".to_owned(),
        valid_from,
        reference_date: valid_from,
        lines: lines
            .iter()
            .map(|&(name, kronor, inferred)| BudgetLine {
                name: name.to_owned(),
                amount: Money::from_kronor(kronor),
                inferred,
                source: None,
            })
            .collect(),
    }
}

/// R5 decision: the fee F = B / N is a published price, rounded to öre (by default) before
/// use; the rounding is a named policy.
#[test]
fn r5_fee_is_rounded_to_ore_before_use() {
    let b = budget(day(2010, 1, 1), &[("all", 1_000_000, false)]);
    let ore = annual_fee(&b, 90, RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO).unwrap();
    assert_eq!(ore.amount().to_string(), "11111.11");
    let krona = annual_fee(&b, 90, RoundingPolicy::KRONA_HALF_AWAY_FROM_ZERO).unwrap();
    assert_eq!(krona.amount().to_string(), "11111.00");
}

/// R5 decision: seed 004's lost licence figure is inferred (225 tkr), so B = 1,080 tkr and
/// F = 12,000 kr for 90 users; the explanation marks the line as inferred.
#[test]
fn r5_inferred_licences_make_the_seed_fee() {
    let b = budget(
        day(2010, 1, 1),
        &[
            ("licences", 225_000, true),
            ("module", 50_000, false),
            ("consultants", 50_000, false),
            ("system managers", 520_000, false),
            ("administration", 10_000, false),
            ("operations", 225_000, false),
        ],
    );
    let fee = annual_fee(&b, 90, RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO).unwrap();
    assert_eq!(fee.amount(), Money::from_kronor(12_000));
    assert!(fee.steps()[0]
        .label
        .get(billing_core::Language::En)
        .contains("(inferred)"));
}

// --- R6 ---------------------------------------------------------------------------------------

/// Issue 11 (a): an agreement starting 2011-03-01 (F = 3,650, one user) lost its first days:
/// the H1 advance was dated before the start and assumed billed. Now nothing is billed before
/// the start, and 2011-07-01 bills H1's 122 member days as its correction: 1,825 · 122 / 181.
#[test]
fn agreement_starting_inside_a_period_bills_its_days_as_the_next_correction() {
    let mut m = model(&["a"], day(2011, 3, 1), 3_650);
    m.registrations = vec![reg("a", "u1", day(2011, 3, 1), None)];
    let before = due(&m, day(2011, 1, 1));
    assert!(before.invoices.is_empty() && before.fee_lines.is_empty());
    assert!(due(&m, day(2011, 3, 1)).invoices.is_empty());
    let july = due(&m, day(2011, 7, 1));
    assert_eq!(
        fee_lines_of(&july, "a"),
        [
            "Correction 2011-01-01 1230.11",
            "Advance 2011-07-01 1825.00"
        ]
    );
    assert_eq!(payable(&july, "a").as_deref(), Some("3055.11"));
    assert!(july.assumed_dates.is_empty(), "{:?}", july.assumed_dates);
}

/// Issue 11 (a): a budget valid from the start day (inside a period) refused every date
/// ("no annual fee in force"); the fee of a part-period is the one in force on its first
/// member day.
#[test]
fn budget_valid_from_a_start_inside_a_period_is_used_for_it() {
    let mut m = model(&["a"], day(2011, 3, 1), 0);
    m.annual_fee = None;
    m.budgets = vec![billing_core::engine::BudgetEntry::new(
        budget(day(2011, 3, 1), &[("all", 3_650, false)]),
        Some(1),
    )];
    m.registrations = vec![reg("a", "u1", day(2011, 3, 1), None)];
    let july = due(&m, day(2011, 7, 1));
    assert_eq!(
        fee_lines_of(&july, "a"),
        [
            "Correction 2011-01-01 1230.11",
            "Advance 2011-07-01 1825.00"
        ]
    );
}

/// R6 decision: the fee used for a party that starts inside a period is the one in force on
/// its first member day (24,000 from 2011-04-01, not 12,000 from 2010).
#[test]
fn r6_part_period_uses_the_fee_of_the_first_member_day() {
    let fees = FeeSchedule::new(vec![
        AnnualFee::given(day(2010, 1, 1), Money::from_kronor(12_000), None),
        AnnualFee::given(day(2011, 4, 1), Money::from_kronor(24_000), None),
    ])
    .unwrap();
    let agreement = Agreement::new(vec![Party::new(pid("a"), "A")]).unwrap();
    let members = Members::new(
        vec![Membership::founding(pid("a"), day(2011, 4, 1))],
        &agreement,
    )
    .unwrap();
    let register = Register::new(&[reg("a", "u", day(2011, 4, 1), None)], &agreement).unwrap();
    let lines = fee_lines(
        day(2011, 7, 1),
        &CalendarConfig::default(),
        &fees,
        &members,
        Users::Register(&register),
        &[],
    )
    .unwrap();
    // 1 · 12,000 · 91 / 181 = 6,033.149… → 6,033.15.
    assert_eq!(lines[0].kind, FeeLineKind::Correction);
    assert_eq!(lines[0].amount, kr("6033.15"));
}

/// Issue 11 (c): C joins 2011-04-01 with one user registered since 2010 and one from its
/// joining day. It was billed an advance of 6,033.15 on 2011-01-01, before it was a member,
/// and then a correction of 6,033.15 instead of 12,066.30. Now nothing before it joins; its
/// users count from the joining day: 2 · 6,000 · (91 · 2) / 181 = 12,066.30 on 2011-07-01.
#[test]
fn party_joining_inside_a_period_is_not_billed_an_advance_before_it_joins() {
    let mut m = model(&["a", "b", "c"], day(2010, 1, 1), 12_000);
    m.terms = vec![Terms::new(pid("c")).joined(day(2011, 4, 1), vec![pid("a"), pid("b")])];
    m.registrations = vec![
        reg("a", "ua", day(2010, 1, 1), None),
        reg("c", "old", day(2010, 6, 1), None),
        reg("c", "new", day(2011, 4, 1), None),
    ];
    // Under both policies (R7 decision: only member days count; the old user's days before
    // the joining day are not user-days of the agreement).
    for policy in [
        CorrectionPolicy::NextInvoiceCount,
        CorrectionPolicy::ProRataDays,
    ] {
        m.settings.calendar.policy = policy;
        assert!(fee_lines_of(&due(&m, day(2011, 1, 1)), "c").is_empty());
        let july = due(&m, day(2011, 7, 1));
        assert_eq!(
            fee_lines_of(&july, "c"),
            [
                "Correction 2011-01-01 12066.30",
                "Advance 2011-07-01 24000.00"
            ],
            "{policy}"
        );
    }
}

/// Issue 11 (b): `bill_dates` from 2011-01-01 with nothing issued billed all of H2 2010 as a
/// "Correction … 60000.00". With no history the first date starts the billing.
#[test]
fn bill_dates_without_history_corrects_nothing_before_its_first_date() {
    let agreement = Agreement::new(vec![Party::new(pid("p"), "P")]).unwrap();
    let members = Members::new(
        vec![Membership::founding(pid("p"), day(2010, 1, 1))],
        &agreement,
    )
    .unwrap();
    let rows: Vec<Registration> = (0..10)
        .map(|u| reg("p", &format!("u{u}"), day(2010, 1, 1), None))
        .collect();
    let register = Register::new(&rows, &agreement).unwrap();
    let fees = FeeSchedule::new(vec![AnnualFee::given(
        day(2010, 1, 1),
        Money::from_kronor(12_000),
        None,
    )])
    .unwrap();
    let lines = bill_dates(
        &[day(2011, 1, 1)],
        &CalendarConfig::default(),
        &fees,
        &members,
        Users::Register(&register),
        &[],
    )
    .unwrap();
    let got: Vec<String> = lines
        .iter()
        .map(|l| format!("{:?} {}", l.kind, l.amount))
        .collect();
    assert_eq!(got, ["Advance 60000.00"]);
}

// --- R7 ---------------------------------------------------------------------------------------

/// R7 decision: under `next_invoice_count` a party that leaves inside P is counted on its
/// last member day (2 users on 2011-05-15), not on the period's last day (0 users, which
/// would credit it in full): the correction is 0.00. Its advance counted member days only.
#[test]
fn r7_leaver_is_counted_on_its_last_member_day() {
    let mut m = model(&["a", "b"], day(2010, 1, 1), 12_000);
    // Notice 2010-05-15 → last member day 2011-05-15 (R9).
    m.terms = vec![Terms::new(pid("b")).notice(day(2010, 5, 15))];
    m.registrations = vec![
        reg("a", "ua", day(2010, 1, 1), None),
        reg("b", "u1", day(2010, 1, 1), Some(day(2011, 5, 15))),
        reg("b", "u2", day(2010, 1, 1), Some(day(2011, 5, 15))),
    ];
    // 2 · 6,000 · 135 / 181 = 8,950.276… → 8,950.28 in advance for 135 member days.
    let january = due(&m, day(2011, 1, 1));
    assert_eq!(
        fee_lines_of(&january, "b"),
        ["Correction 2010-07-01 0.00", "Advance 2011-01-01 8950.28"]
    );
    let july = due(&m, day(2011, 7, 1));
    assert_eq!(fee_lines_of(&july, "b"), ["Correction 2011-01-01 0.00"]);
    assert_eq!(payable(&july, "b"), None, "a zero line makes no invoice");
}

// --- R8, R9 -----------------------------------------------------------------------------------

/// R8 decision: the first year of a member joining 2012-02-29 runs to 2013-02-27 inclusive
/// (the same date 12 months on does not exist and is clamped to the month's last day).
#[test]
fn r8_first_year_from_29_february_ends_27_february() {
    let agreement = Agreement::new(vec![
        Party::new(pid("a"), "A"),
        Party::new(pid("new"), "New"),
    ])
    .unwrap();
    let mut members = Members::new(
        vec![Membership::founding(pid("a"), day(2010, 1, 1))],
        &agreement,
    )
    .unwrap();
    let request = EntryRequest {
        party: pid("new"),
        joining: day(2012, 2, 29),
        approvals: vec![pid("a")],
    };
    let m = members.admit(&request, &EntryRule::default()).unwrap();
    assert_eq!(m.first_year().unwrap().until, day(2013, 2, 28));
    assert_eq!(m.multiplier_on(day(2013, 2, 27)), 2.into());
    assert_eq!(m.multiplier_on(day(2013, 2, 28)), 1.into());
}

/// R8: an entry without a majority is refused, saying how many approved of how many.
#[test]
fn r8_entry_without_majority_is_refused_with_the_count() {
    let mut m = model(&["a", "b", "c"], day(2010, 1, 1), 12_000);
    m.terms = vec![Terms::new(pid("c")).joined(day(2011, 4, 1), vec![pid("a")])];
    let problems = invoices_due(&m, day(2011, 7, 1), &History::default()).unwrap_err();
    assert_eq!(problems[0].subject, Subject::Party(pid("c")));
    // The place as data: the party and the field at fault, for the caller to point at.
    assert_eq!(problems[0].field, Some("approved_by"));
    let error = billing_core::Error::from(problems.clone());
    let place = error.places()[0];
    assert_eq!(
        (place.party, place.field),
        (Some(&pid("c")), Some("approved_by"))
    );
    assert!(
        problems[0]
            .message
            .contains("1 of 3 existing parties approved"),
        "{}",
        problems[0].message
    );
}

/// Found by the engine properties: a party giving notice on its joining day was told it is
/// not a party (the notice was applied before the entry).
#[test]
fn notice_on_the_joining_day_follows_the_entry() {
    let mut m = model(&["a", "b"], day(2010, 1, 1), 12_000);
    m.terms = vec![Terms::new(pid("b"))
        .joined(day(2010, 3, 1), vec![pid("a"), pid("coord")])
        .notice(day(2010, 3, 1))];
    m.registrations = vec![reg("b", "u", day(2010, 3, 1), None)];
    // A member 2010-03-01 to 2011-03-01 (R9), in its first year all along (R8: × 2):
    // H1 2010: 1 · 6,000 · (122 · 2) / 181 = 8,088.40.
    let july = due(&m, day(2010, 7, 1));
    assert_eq!(fee_lines_of(&july, "b")[0], "Correction 2010-01-01 8088.40");
}

/// R9 decision: the last member day is the notice date plus the notice months, that day
/// included, clamped to the month's end.
#[test]
fn r9_last_member_day_is_notice_plus_months_clamped() {
    let agreement = Agreement::new(vec![Party::new(pid("a"), "A")]).unwrap();
    let mut members = Members::new(
        vec![Membership::founding(pid("a"), day(2010, 1, 1))],
        &agreement,
    )
    .unwrap();
    let last = members
        .give_notice(&pid("a"), day(2011, 5, 15), &ExitRule::default())
        .unwrap();
    assert_eq!(last, day(2012, 5, 15));
    let mut members = Members::new(
        vec![Membership::founding(pid("a"), day(2010, 1, 1))],
        &agreement,
    )
    .unwrap();
    let six = ExitRule { notice_months: 6 };
    let last = members
        .give_notice(&pid("a"), day(2011, 8, 31), &six)
        .unwrap();
    assert_eq!(last, day(2012, 2, 29));
}

// --- R14 --------------------------------------------------------------------------------------

fn pool_model() -> Model {
    let mut m = model(&["a", "b", "left", "late"], day(2010, 1, 1), 12_000);
    m.terms = vec![
        // Notice 2010-03-31 → last member day 2011-03-31.
        Terms::new(pid("left")).notice(day(2010, 3, 31)),
        Terms::new(pid("late")).joined(day(2011, 10, 1), vec![pid("a"), pid("b"), pid("coord")]),
    ];
    m
}

/// R14 decision: "all" is the members on the day the pool falls due: the party that left
/// and the party not yet joined pay nothing; an empty participants list used to bill them.
#[test]
fn r14_all_means_the_members_on_the_due_date() {
    let mut m = pool_model();
    let pool = Pool::new("upgrade", "Upgrade", Money::from_kronor(300), Key::Equal).unwrap();
    m.pools = vec![ScheduledPool::new(pool, vec![day(2011, 7, 1)])];
    let b = due(&m, day(2011, 7, 1));
    let parts: Vec<String> = b.allocations[0]
        .parts
        .iter()
        .map(|p| format!("{} {}", p.party, p.amount))
        .collect();
    assert_eq!(parts, ["a 100.00", "b 100.00", "coord 100.00"]);
}

/// Issue 11 (d), R14 decision: named participants who are not members on the due date (one
/// left, one not yet joined) were billed 300.00 each with no finding; now an error names them.
#[test]
fn r14_named_participants_who_are_not_members_are_an_error_naming_them() {
    let mut m = pool_model();
    let pool = Pool::builder("module", "Module", Money::from_kronor(900), Key::Equal)
        .participants(vec![pid("a"), pid("left"), pid("late")])
        .build()
        .unwrap();
    let mut scheduled = ScheduledPool::new(pool, vec![day(2011, 7, 1)]);
    scheduled.source = Some(billing_core::SourceRef::new("Pools!A3"));
    m.pools = vec![scheduled];
    let problems = invoices_due(&m, day(2011, 7, 1), &History::default()).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert_eq!(p.subject, Subject::Pool("module".into()));
    assert_eq!(p.source.as_ref().unwrap().as_str(), "Pools!A3");
    assert!(p.message.contains("left, late"), "{}", p.message);
}

/// R14/R9: a direct pool may name a party that has left (its data extraction).
#[test]
fn r14_a_direct_pool_bills_a_party_that_has_left() {
    let mut m = pool_model();
    let key = Key::Direct { party: pid("left") };
    let pool = Pool::new(
        "extraction",
        "Data extraction",
        Money::from_kronor(25_000),
        key,
    )
    .unwrap();
    m.pools = vec![ScheduledPool::new(pool, vec![day(2011, 7, 1)])];
    let b = due(&m, day(2011, 7, 1));
    assert_eq!(payable(&b, "left").as_deref(), Some("25000.00"));
}

// --- R15 --------------------------------------------------------------------------------------

/// R15 decision (issue 10): the coordinator's own share is computed like any other and shown
/// as borne by the issuer, but never invoiced, unnumbered, and not money in and out.
#[test]
fn r15_the_issuer_never_invoices_itself() {
    let mut m = model(&["a"], day(2010, 1, 1), 12_000);
    m.registrations = vec![
        reg("a", "ua", day(2010, 1, 1), None),
        reg("coord", "uc", day(2010, 1, 1), None),
    ];
    let pool = Pool::new("upgrade", "Upgrade", Money::from_kronor(1_000), Key::Equal).unwrap();
    m.pools = vec![ScheduledPool::new(pool, vec![day(2010, 1, 1)])];
    let b = due(&m, day(2010, 1, 1));
    assert!(b.invoices.iter().all(|i| i.buyer != pid("coord")));
    let own = b.issuer_share.as_ref().expect("the issuer's share");
    assert_eq!(own.buyer, pid("coord"));
    assert_eq!(own.number, None);
    assert_eq!(own.payable, kr("6500.00"));
    assert_eq!(payable(&b, "a").as_deref(), Some("6500.00"));
    let coord = b.timeline.iter().find(|t| t.party == pid("coord")).unwrap();
    let incoming: Money = coord.entries.iter().map(|e| e.incoming).sum();
    let outgoing: Money = coord.entries.iter().map(|e| e.outgoing).sum();
    assert_eq!((incoming, outgoing), (kr("6500.00"), Money::ZERO));
}

fn extra(party: &str, amount: &str, vat: VatRate) -> ExtraLine {
    ExtraLine {
        party: pid(party),
        due: day(2011, 7, 1),
        description: "x".to_owned(),
        period: None,
        amount: kr(amount),
        vat,
        quantity: billing_core::invoice::LineQuantity::lump(
            kr(amount),
            billing_core::invoice::LumpReason::Amount,
        ),
        explanation: billing_core::Explanation {
            pool: "x".into(),
            party: pid(party),
            amount: kr(amount),
            steps: billing_core::explain::Steps::new(),
        }
        .into(),
    }
}

/// R15 decision (BR-CO-17): the VAT of a rate is computed on the rate's net sum, rounded once:
/// two lines of 0.02 at 25 % have 0.01 VAT (0.04 · 25 %), not 0.005 → 0.01 twice.
#[test]
fn r15_vat_per_rate_is_computed_on_the_rates_net_sum() {
    let lines = [
        extra("a", "0.02", VatRate::TwentyFive),
        extra("a", "0.02", VatRate::TwentyFive),
    ];
    let inv = &assemble_invoices(
        day(2011, 7, 1),
        &pid("coord"),
        &[],
        &[],
        &lines,
        &InvoiceOptions::default(),
    )
    .unwrap()[0];
    assert_eq!(inv.vat_totals[0].base, kr("0.04"));
    assert_eq!(inv.vat_totals[0].vat, kr("0.01"));
    assert_eq!(inv.vat_total, kr("0.01"));
    assert_eq!(inv.payable, kr("0.05"));
}

/// R15: öresavrundning of a credit note is half away from zero: −12.50 → −13.00.
#[test]
fn r15_a_credit_of_12_50_rounds_to_13_00() {
    let options = InvoiceOptions {
        total_rounding: Some(RoundingPolicy::KRONA_HALF_AWAY_FROM_ZERO),
        ..InvoiceOptions::default()
    };
    let inv = &assemble_invoices(
        day(2011, 7, 1),
        &pid("coord"),
        &[],
        &[],
        &[extra("a", "-12.50", VatRate::Zero)],
        &options,
    )
    .unwrap()[0];
    assert_eq!(inv.kind, InvoiceKind::CreditNote);
    assert_eq!(inv.payable, kr("-13.00"));
    assert_eq!(inv.rounding, Some(kr("-0.50")));
}

// --- The model as a whole ---------------------------------------------------------------------

/// Every problem of a model at once, each located by its subject and source: an unknown issuer,
/// a pool id used twice, a pool due before the start (R6), terms for a stranger.
#[test]
fn model_problems_are_collected_and_located() {
    let mut m = model(&["a"], day(2011, 1, 1), 12_000);
    m.settings.issuer = pid("nobody");
    let pool = |due| {
        let mut p = ScheduledPool::new(
            Pool::new("dup", "Dup", Money::from_kronor(1), Key::Equal).unwrap(),
            vec![due],
        );
        p.source = Some(billing_core::SourceRef::new("Pools!A2"));
        p
    };
    m.pools = vec![pool(day(2011, 7, 1)), pool(day(2010, 7, 1))];
    m.terms = vec![Terms::new(pid("stranger"))];
    let problems = billing_core::engine::check(&m);
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        text,
        [
            "the issuer must be one of the parties, found \"nobody\"",
            "terms for stranger, which is not a party of the agreement",
            "Pools!A2: the pool id is used twice (first at Pools!A2), found \"dup\"",
            "Pools!A2: the pool is due on 2010-07-01, before the agreement starts (2011-01-01), found \"2010-07-01\"",
        ]
    );
    let all = invoices_due(&m, day(2011, 7, 1), &History::default()).unwrap_err();
    assert!(all.len() >= problems.len());
}
