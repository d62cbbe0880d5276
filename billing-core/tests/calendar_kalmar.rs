//! The seed 004 agreement end to end: the 12 municipalities of Kalmar county and Kalmarsunds
//! gymnasieförbund, 90 users on 2010-01-01, budget 1,080,000 kr (licences 225,000 inferred),
//! fee 12,000 kr; Landstinget i Kalmar län joins on 2011-04-01 (9 of 13 approve) and Borgholm
//! gives notice on 2011-05-15 (last day 2012-05-15, data extraction billed on 2012-07-01);
//! Högsby loses two of its three users on 29 February 2012 and gets a credit note on 2012-07-01.
//! Invoiced on every invoice date from 2010-01-01 to 2012-07-01 under both correction policies,
//! with the providers' arrears invoices and the cash-flow timeline.
//!
//! Inputs and expected outputs are in `testdata/calendar/kalmar-2010/`. Run with
//! `UPDATE_GOLDEN=1` to rewrite the expected files; review the diff like code.
//!
//! How the expected figures were checked: `check.py` in the same folder recomputes every
//! user-fee line (R6, R7 under both policies, from the register CSV with its own interval
//! logic), the population split of the upgrade pool (largest remainder), VAT per line,
//! öresavrundning, each payable and the arrears totals with Python's `fractions`, and compares
//! them with the golden JSON: `python3 testdata/calendar/kalmar-2010/check.py` from the
//! repository root prints `ok: ... figures agree`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use billing_core::calendar::*;
use billing_core::invoice::{
    assemble_invoices, DuePool, Invoice, InvoiceKind, InvoiceOptions, VatRate,
};
use billing_core::settlement::{arrears_invoices, cash_flow, ProviderCost, SettlementDays};
use billing_core::{
    allocate, Agreement, Key, Money, Party, PartyId, Pool, RoundingPolicy, SourceRef,
    ThresholdTable,
};
use chrono::NaiveDate;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/calendar/kalmar-2010")
}

fn read_csv(name: &str) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(dir().join(name)).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_owned))
                .collect()
        })
        .collect()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn pid(id: &str) -> PartyId {
    PartyId::new(id).unwrap()
}

struct Kalmar {
    agreement: Agreement,
    rows: Vec<Registration>,
    budget: Budget,
    members: Members,
    pools: Vec<DuePool>,
    costs: Vec<ProviderCost>,
}

const COORDINATOR: &str = "0880";

fn kalmar() -> Kalmar {
    let parties: Vec<Party> = read_csv("parties.csv")
        .iter()
        .map(|r| {
            let p = Party::new(pid(&r["id"]), &r["name"]);
            match r["population"].parse::<u64>() {
                Ok(pop) => p.with_population(pop, day("2016-12-31").into()),
                Err(_) => p,
            }
        })
        .collect();
    let agreement = Agreement::new(parties).unwrap();

    let rows: Vec<Registration> = read_csv("register.csv")
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut reg = Registration::new(
                pid(&r["party"]),
                UserId::new(&r["user"]),
                day(&r["first_day"]),
                (!r["last_day"].is_empty()).then(|| day(&r["last_day"])),
            );
            reg.organisation = (!r["organisation"].is_empty()).then(|| r["organisation"].clone());
            reg.source = Some(SourceRef::new(&format!("register.csv:{}", i + 2)));
            reg
        })
        .collect();

    let budget = Budget {
        name: "budget 2010".to_owned(),
        valid_from: day("2010-01-01"),
        reference_date: day("2010-01-01"),
        lines: read_csv("budget.csv")
            .iter()
            .enumerate()
            .map(|(i, r)| BudgetLine {
                name: r["line"].clone(),
                amount: r["amount"].parse().unwrap(),
                inferred: r["inferred"] == "true",
                source: Some(SourceRef::new(&format!("budget.csv:{}", i + 2))),
            })
            .collect(),
    };

    let founding: Vec<Membership> = agreement
        .parties()
        .iter()
        .filter(|p| p.id.as_str() != "landstinget-kalmar")
        .map(|p| Membership::founding(p.id.clone(), day("2010-01-01")))
        .collect();
    assert_eq!(founding.len(), 13);
    let mut members = Members::new(founding, &agreement).unwrap();
    let mut pools = Vec::new();
    for e in read_csv("events.csv") {
        match e["kind"].as_str() {
            "entry" => {
                let request = EntryRequest {
                    party: pid(&e["party"]),
                    joining: day(&e["date"]),
                    approvals: e["detail"].split(' ').map(pid).collect(),
                };
                members.admit(&request, &EntryRule::default()).unwrap();
            }
            "notice" => {
                members
                    .give_notice(&pid(&e["party"]), day(&e["date"]), &ExitRule::default())
                    .unwrap();
            }
            "pool" => {
                let f: Vec<&str> = e["detail"].split(';').collect();
                let amount: Money = f[1].parse().unwrap();
                let ids: Vec<PartyId> = f[3].split(' ').map(pid).collect();
                let pool = match f[2] {
                    "direct" => extraction_pool(&members, &ids[0], &e["party"], amount).unwrap(),
                    _ => Pool::builder(&e["party"], f[0], amount, Key::Population)
                        .participants(ids)
                        .year(2011)
                        .build()
                        .unwrap(),
                };
                let (allocation, findings) =
                    allocate(&agreement, &pool, &ThresholdTable::swedish_lou()).unwrap();
                assert!(findings.is_empty());
                let vat = match f[4] {
                    "25" => VatRate::TwentyFive,
                    _ => VatRate::Zero,
                };
                pools.push(DuePool {
                    allocation,
                    due: day(&e["date"]),
                    vat,
                    period: None,
                });
            }
            other => panic!("unknown event {other}"),
        }
    }

    let costs = read_csv("costs.csv")
        .iter()
        .enumerate()
        .map(|(i, r)| ProviderCost {
            provider: pid(&r["provider"]),
            description: r["description"].clone(),
            incurred: day(&r["incurred"]),
            amount: r["amount"].parse().unwrap(),
            vat: VatRate::Zero,
            source: Some(SourceRef::new(&format!("costs.csv:{}", i + 2))),
        })
        .collect();
    Kalmar {
        agreement,
        rows,
        budget,
        members,
        pools,
        costs,
    }
}

/// Compares `value` with the golden file `name`, or rewrites it under `UPDATE_GOLDEN=1`.
fn golden<T: serde::Serialize>(name: &str, value: &T) {
    let path = dir().join(name);
    let text = serde_json::to_string_pretty(value).unwrap() + "\n";
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1", path.display()));
    if expected != text {
        let line = expected
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "{name} differs from line {}: expected {:?}, got {:?}",
            line + 1,
            expected.lines().nth(line),
            text.lines().nth(line)
        );
    }
}

fn options() -> InvoiceOptions {
    InvoiceOptions {
        total_rounding: Some(RoundingPolicy::KRONA_HALF_AWAY_FROM_ZERO),
        ..InvoiceOptions::default()
    }
}

/// Numbers invoices in one unbroken series per issuer, from `first` on.
fn number(invoices: Vec<Invoice>, series: &mut BTreeMap<PartyId, u64>, first: u64) -> Vec<Invoice> {
    invoices
        .into_iter()
        .map(|inv| {
            let n = series.entry(inv.issuer.clone()).or_insert(first);
            let out = inv.with_number(*n, true).unwrap();
            *n += 1;
            out
        })
        .collect()
}

#[test]
fn kalmar_2010_to_2012_golden() {
    let k = kalmar();
    let register = Register::new(&k.rows, &k.agreement).unwrap();
    assert_eq!(register.total_users_on(day("2010-01-01")), 90);
    let fee = annual_fee(
        &k.budget,
        register.total_users_on(k.budget.reference_date),
        RoundingPolicy::ORE_HALF_AWAY_FROM_ZERO,
    )
    .unwrap();
    assert_eq!(k.budget.total(), Money::from_kronor(1_080_000));
    assert_eq!(fee.amount(), Money::from_kronor(12_000));
    let fees = FeeSchedule::new(vec![fee]).unwrap();
    let coordinator = pid(COORDINATOR);
    let dates = PeriodStarts::half_years().starts_between(day("2010-01-01"), day("2012-07-01"));
    assert_eq!(dates.len(), 6);

    // Arrears invoices do not depend on the correction policy.
    let days = SettlementDays::default();
    let mut arrears = Vec::new();
    let mut provider_series = BTreeMap::new();
    for date in [
        "2010-05-31",
        "2010-11-30",
        "2011-05-31",
        "2011-11-30",
        "2012-05-31",
    ] {
        let invoices = arrears_invoices(
            day(date),
            &k.agreement,
            &coordinator,
            &k.costs,
            &days,
            &options(),
        )
        .unwrap();
        let invoices = number(invoices, &mut provider_series, 1);
        assert_eq!(invoices.len(), 2, "{date}: Emmaboda and Vimmerby");
        golden(&format!("arrears/{date}.json"), &invoices);
        arrears.extend(invoices);
    }

    for policy in [
        CorrectionPolicy::NextInvoiceCount,
        CorrectionPolicy::ProRataDays,
    ] {
        let config = CalendarConfig {
            policy,
            ..CalendarConfig::default()
        };
        let lines = bill_dates(
            &dates,
            &config,
            &fees,
            &k.members,
            Users::Register(&register),
            &[],
        )
        .unwrap();
        let mut all = arrears.clone();
        let mut series = BTreeMap::new();
        for date in &dates {
            let invoices =
                assemble_invoices(*date, &coordinator, &lines, &k.pools, &[], &options()).unwrap();
            let invoices = number(invoices, &mut series, 1001);
            if *date == day("2012-07-01") {
                // Högsby lost two of its three users on 2012-02-29: its total is negative.
                let hogsby = invoices.iter().find(|i| i.buyer == pid("0821")).unwrap();
                assert_eq!(hogsby.kind, InvoiceKind::CreditNote, "{policy}");
            }
            golden(&format!("{policy}/{date}.json"), &invoices);
            all.extend(invoices);
        }
        let timeline = cash_flow(&all, &k.costs);
        golden(&format!("{policy}/cash-flow.json"), &timeline);

        // The coordinator's rolling surplus: positive from the first advance invoice on.
        let coord = timeline.iter().find(|t| t.party == coordinator).unwrap();
        for entry in &coord.entries {
            assert!(entry.balance.is_positive(), "{policy}: {entry:?}");
        }
        // The operator runs a deficit between its settlements.
        let operator = timeline.iter().find(|t| t.party == pid("0862")).unwrap();
        assert!(operator.balance_on(day("2010-05-30")).is_negative());

        // No user id anywhere in the output.
        let text = serde_json::to_string(&all).unwrap();
        for user in ["-u0", "-u1", "doctor", "lt-u"] {
            assert!(!text.contains(user), "{policy}: {user}");
        }
    }
}

#[test]
fn kalmar_entry_and_exit_lines() {
    let k = kalmar();
    let register = Register::new(&k.rows, &k.agreement).unwrap();
    let fees = FeeSchedule::new(vec![AnnualFee::given(
        day("2010-01-01"),
        Money::from_kronor(12_000),
        None,
    )])
    .unwrap();
    let dates = PeriodStarts::half_years().starts_between(day("2010-01-01"), day("2012-07-01"));
    let lines = bill_dates(
        &dates,
        &CalendarConfig::default(),
        &fees,
        &k.members,
        Users::Register(&register),
        &[],
    )
    .unwrap();
    let of = |party: &str| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l.party == pid(party) && !l.amount.is_zero())
            .map(|l| format!("{} {:?} {}", l.invoice_date, l.kind, l.amount))
            .collect()
    };
    // Landstinget joins 2011-04-01 with 4 users, a fifth from 2011-10-01: R7 example 2 and more.
    assert_eq!(
        of("landstinget-kalmar"),
        [
            "2011-07-01 Correction 24132.60",
            "2011-07-01 Advance 48000.00",
            // 5 users on 2011-12-31: 5 · 6,000 · 2 − 48,000.
            "2012-01-01 Correction 12000.00",
            // 5 · 6,000 · (91·2 + 91)/182.
            "2012-01-01 Advance 45000.00",
            // The first year ended 2012-03-31.
            "2012-07-01 Advance 30000.00",
        ]
    );
    // Borgholm: last day 2012-05-15; a user left 2011-12-31, so 3 users for 136 of 182 days.
    assert_eq!(
        of("0885"),
        [
            "2010-01-01 Advance 24000.00",
            "2010-07-01 Advance 24000.00",
            "2011-01-01 Advance 24000.00",
            "2011-07-01 Advance 24000.00",
            "2012-01-01 Advance 13450.55",
        ]
    );
}
