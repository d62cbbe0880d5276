//! Inputs shared by the audit and verify tests: small agreements written as CSV folders, the
//! testdata cases, and their audit books.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use billing_report::audit::{self, AuditBook};
use billing_report::compute::{billing_dates, compute, History};
use billing_report::workbook::load;

/// A fresh scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn write_folder(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    std::fs::create_dir_all(dir).expect("input folder");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write a CSV file");
    }
    dir.to_owned()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

/// Small agreements that between them use every key, every cap policy, users outside the
/// parties, credits, ties, instalments, VAT rates, öresavrundning and user fees.
pub fn generated_inputs(dir: &Path) -> Vec<(String, PathBuf, Vec<NaiveDate>)> {
    let caps = write_folder(
        &dir.join("caps"),
        &[
            (
                "Settings.csv",
                "setting,value\nname,Testavtal\nissuer,a\nstart,2026-01-01\nround_totals,yes\nannual_fee,12000\n",
            ),
            (
                "Parties.csv",
                "id,name,population,users\na,Alfa,600000,10\nb,Beta,250000,3\nc,Gamma,100000,2\nd,Delta,50000,1\ne,Epsilon,1,1\n",
            ),
            (
                "Pools.csv",
                "id,name,amount,due,key,participants,cap,excess,year,vat,total_users\n\
                 p1,Tre lika,100.00,2026-01-01,equal,\"a,b,c\",,,,25,\n\
                 p2,Tak absorb,2000000,2026-01-01,population,\"a,b,c,d\",700000,absorb:e,2026,0,\n\
                 p3,Tak redistribute,2000000,2026-01-01,population,\"a,b,c,d\",700000,redistribute,2026,0,\n\
                 p4,Tak uncovered,2000000.01,2026-01-01,population,\"a,b,c,d\",lou,uncovered,2026,0,\n\
                 p5,Användare,3200000,2026-01-01,users,,,,,0,13000\n\
                 p6,Kredit,-1000.01,2026-01-01,population,,,,,12,\n",
            ),
            (
                "Users.csv",
                "party,user_id,first_day,last_day\na,u1,2025-06-01,\na,u2,2026-02-01,\nb,u3,2025-01-01,2026-03-31\n",
            ),
        ],
    );
    let keys = write_folder(
        &dir.join("keys"),
        &[
            (
                "Settings.csv",
                "setting,value\nname,Nycklar\nissuer,c\nstart,2026-01-01\n",
            ),
            (
                "Parties.csv",
                "id,name,population\na,Alfa,600000\nb,Beta,250000\nc,Gamma,100000\nd,Delta,50000\ne,Epsilon,1\n",
            ),
            (
                "Figures.csv",
                "party,figure,value\na,area,1.5\nb,area,2.25\nc,area,0.333\n",
            ),
            (
                "FixedAmounts.csv",
                "pool,party,amount\nq3,a,100\nq3,b,200.50\n",
            ),
            (
                "Pools.csv",
                "id,name,amount,due,key,participants,cap,excess,year,vat,total_users\n\
                 q1,Kurs,5000,2026-01-01,equal,\"a,b,c\",,,,0,\n\
                 q2,Yta,1000.00,2026-01-01,weight:area,\"a,b,c\",,,,6,\n\
                 q3,Fast,300.50,2026-01-01,fixed,\"a,b\",,,,0,\n\
                 q4,Utdrag,1234.56,2026-01-01,direct:c,,,,,25,\n\
                 q5,Start,1000.00,2026-01-01;2026-07-01;2027-01-01,population,,,,,0,\n\
                 q6,Tre rundor,2500000,2026-01-01,population,,700000,redistribute,2026,0,\n\
                 q7,Alla i taket,5000000,2026-01-01,population,\"a,b\",1000000,redistribute,2026,0,\n\
                 q8,Återbetalning,-100.00,2026-01-01,equal,\"a,b,c\",,,,25,\n\
                 q9,Tak i rater,2000000.05,2026-01-01;2026-07-01;2027-01-01,population,\"a,b,c,d\",700000,absorb:e,2026,0,\n",
            ),
        ],
    );
    // Transactions (R11) priced at whole öre and at four decimals, with a tie to round half
    // away from zero (2 × 0.0875 = 0.175), and a large count.
    let transactions = write_folder(
        &dir.join("transactions"),
        &[
            (
                "Settings.csv",
                "setting,value\nname,Transaktioner\nissuer,c\nstart,2026-01-01\ntransactions_file,counts.csv\ntransactions_period,month\n",
            ),
            // The coordinator c has no transactions: every priced line is invoiced (R15: the
            // issuer's own share would not be).
            (
                "Parties.csv",
                "id,name,population\na,Alfa,600000\nb,Beta,250000\nc,Gamma,100000\n",
            ),
            (
                "Tariffs.csv",
                "kind,price,valid_from,valid_to\nlogin,0.30,2026-01-01,\nsms,0.0875,2026-01-01,2026-01-15\nsms,0.4525,2026-01-16,\n",
            ),
            (
                "counts.csv",
                "party,kind,period,count\na,login,2026-01-01,12345\na,sms,2026-01-10,3\na,sms,2026-01-20,7\nb,sms,2026-01-05,2\nb,login,2026-01-31,987654321\n",
            ),
        ],
    );
    // B7: large pools, where R·w (öre to split × a weight) reaches 2^53 and the pool sheets
    // divide in limbs: Stockholm county's 26 municipalities by population, a capped pool with
    // redistribute, and a users key with a large total.
    let municipalities = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/municipalities-2016.csv"),
    )
    .expect("testdata/municipalities-2016.csv");
    let mut parties = String::from("id,name,population,users\n");
    for line in municipalities.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() == 4 && f[2] == "Stockholms län" {
            parties.push_str(&format!("k{},{},{},{}\n", f[0], f[1], f[3], f[3]));
        }
    }
    assert_eq!(
        parties.lines().count(),
        27,
        "Stockholm county's 26 municipalities"
    );
    let large = write_folder(
        &dir.join("large"),
        &[
            (
                "Settings.csv",
                "setting,value\nname,Stockholms län\nissuer,k0180\nstart,2026-01-01\n",
            ),
            ("Parties.csv", &parties),
            (
                "Pools.csv",
                "id,name,amount,due,key,participants,cap,excess,year,vat,total_users\n\
                 l1,Hela länet,999999999.99,2026-01-01,population,,,,,0,\n\
                 l2,Tak redistribute,999999999.99,2026-01-01,population,,150000000,redistribute,2026,0,\n\
                 l3,Användare,987654321.09,2026-01-01,users,,,,,0,5000000\n",
            ),
        ],
    );
    // The fee policy (R5) as a setting row, and the budgets: by default 1,080,000.01 kr over 90
    // users from 2011 (12,000.00 under öre) and 1,100,000 kr over the users counted on
    // 2011-12-31 from 2012.
    let kalmar_budget = "valid_from,line,amount,reference_date,users\n\
                         2011-01-01,licences,225000,2010-12-31,90\n\
                         2011-01-01,system managers,520000,2010-12-31,90\n\
                         2011-01-01,operations,335000.01,2010-12-31,90\n\
                         2012-01-01,all,1100000,2011-12-31,\n";
    // DOMAIN's 1,000,000 kr over 90 users (F = 11,111.11… kr: 11,111.11 to öre, 11,111 to
    // kronor), then 1,000,001 kr over the 16 users counted on 2011-12-31 (62,500.0625 kr).
    let domain_budget = "valid_from,line,amount,reference_date,users\n\
                         2011-01-01,licences,225000,2010-12-31,90\n\
                         2011-01-01,system managers,520000,2010-12-31,90\n\
                         2011-01-01,operations,255000,2010-12-31,90\n\
                         2012-01-01,all,1000001,2011-12-31,\n";
    let fees = |name: &str, policy: &str, fee_rounding: &str, budget: &str| {
        let mut users = String::from("party,user_id,first_day,last_day\n");
        for i in 0..10 {
            let last = if i == 0 { "2011-05-31" } else { "" };
            users.push_str(&format!("a,a{i},2010-06-01,{last}\n"));
        }
        users.push_str("a,a10,2011-03-01,\n");
        for i in 0..4 {
            users.push_str(&format!("b,b{i},2011-04-01,\n"));
        }
        users.push_str("c,c0,2010-01-01,\nc,c1,2010-01-01,2011-08-15\nc,c2,2011-09-30,\n");
        write_folder(
            &dir.join(name),
            &[
                (
                    "Settings.csv",
                    &format!("setting,value\nname,Kalmar\nissuer,a\nstart,2011-01-01\ncorrection_policy,{policy}\nround_totals,yes\nfee_vat,25\n{fee_rounding}"),
                ),
                (
                    "Parties.csv",
                    "id,name,joined,approved_by,notice_given\na,Kalmar,,,\nb,Borgholm,2011-04-01,\"a,c\",\nc,Högsby,,,2011-03-15\n",
                ),
                ("Budget.csv", budget),
                ("Users.csv", &users),
            ],
        )
    };
    let fee_dates = vec![
        date("2011-01-01"),
        date("2011-07-01"),
        date("2012-01-01"),
        date("2012-07-01"),
    ];
    vec![
        (
            "fees".to_owned(),
            fees("fees", "next_invoice_count", "", kalmar_budget),
            fee_dates.clone(),
        ),
        (
            "fees-pro-rata".to_owned(),
            fees("fees-pro-rata", "pro_rata_days", "", kalmar_budget),
            fee_dates.clone(),
        ),
        // The exact and kronor fee policies (R5), with a later joiner (the first-year
        // multiplier), users changing (corrections under both policies of R7) and two budgets
        // with different N.
        (
            "fees-exakt".to_owned(),
            fees(
                "fees-exakt",
                "next_invoice_count",
                "avgiftsavrundning,exakt\n",
                domain_budget,
            ),
            fee_dates.clone(),
        ),
        (
            "fees-kronor".to_owned(),
            fees(
                "fees-kronor",
                "pro_rata_days",
                "fee_rounding,kronor\n",
                domain_budget,
            ),
            fee_dates,
        ),
        ("caps".to_owned(), caps, vec![date("2026-01-01")]),
        (
            "transactions".to_owned(),
            transactions,
            vec![date("2026-02-01")],
        ),
        ("large".to_owned(), large, vec![date("2026-01-01")]),
        (
            "keys".to_owned(),
            keys,
            vec![date("2026-01-01"), date("2026-07-01")],
        ),
    ]
}

/// The agreement inputs of a testdata case folder: `agreement.xlsx`/`.ods`, CSV folders
/// inside it, or the folder itself when it holds CSV files.
pub fn case_inputs(case: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for name in ["agreement.xlsx", "agreement.ods"] {
        if case.join(name).is_file() {
            out.push(case.join(name));
        }
    }
    let has_settings = |d: &Path| d.join("Settings.csv").is_file();
    if out.is_empty() {
        if has_settings(case) {
            out.push(case.to_owned());
        } else if let Ok(entries) = std::fs::read_dir(case) {
            let mut dirs: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir() && has_settings(p))
                .collect();
            dirs.sort();
            out.extend(dirs);
        }
    }
    out
}

/// The dates of a case's expected outputs: the names of `expected/<date>/` folders.
pub fn expected_dates(case: &Path) -> Vec<NaiveDate> {
    let mut dates: Vec<NaiveDate> = std::fs::read_dir(case.join("expected"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    NaiveDate::parse_from_str(&e.file_name().to_string_lossy(), "%Y-%m-%d").ok()
                })
                .collect()
        })
        .unwrap_or_default();
    dates.sort();
    dates
}

/// The audit books of an input on `dates` (default: every billing date), each named
/// `<name>-<date>`. An input that does not load or compute fails the test.
pub fn case_books(name: &str, input: &Path, dates: &[NaiveDate]) -> Vec<(String, AuditBook)> {
    let input = match load(input) {
        Ok((i, _)) => i,
        Err(problems) => panic!(
            "{name}: does not load:\n{}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    };
    let dates = if dates.is_empty() {
        billing_dates(&input)
    } else {
        dates.to_vec()
    };
    assert!(!dates.is_empty(), "{name}: no billing dates");
    dates
        .into_iter()
        .map(|d| match compute(&input, d, &History::default()) {
            Ok(draft) => (format!("{name}-{d}"), audit::build(&input, &draft)),
            Err(problems) => panic!(
                "{name} on {d}: does not compute:\n{}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        })
        .collect()
}

/// An agreement of `n` parties (`p00`, `p01`, …) with a pool billed in two instalments, a pool
/// shared equally, users (user fees: advances, and corrections on the second date), and two
/// kinds of transactions per party: tables of a few rows per party, for the tests of sheets
/// continued on further sheets (`sheet_limits.rs`, `audit_libreoffice.rs`). Billed on
/// 2026-01-01 and 2026-02-01.
pub fn many_parties(dir: &Path, n: usize) -> PathBuf {
    let ids: Vec<String> = (0..n).map(|i| format!("p{i:02}")).collect();
    let mut parties = String::from("id,name,population\n");
    let mut users = String::from("party,user_id,first_day,last_day\n");
    let mut counts = String::from("party,kind,period,count\n");
    for (i, id) in ids.iter().enumerate() {
        parties.push_str(&format!("{id},Kommun {i},{}\n", 1000 * (i + 1) + 7));
        for k in 0..=i % 3 {
            // Some users leave in January: the second date corrects their fees.
            let last = if k == 1 { "2026-01-15" } else { "" };
            users.push_str(&format!("{id},{id}u{k},2025-06-01,{last}\n"));
        }
        counts.push_str(&format!(
            "{id},login,2026-01-10,{}\n{id},sms,2026-01-20,{}\n",
            100 + i,
            3 + i
        ));
    }
    write_folder(
        &dir.join(format!("many-{n}")),
        &[
            (
                "Settings.csv",
                "setting,value\nname,Gränsfall\nissuer,p00\nstart,2026-01-01\nround_totals,yes\nannual_fee,1200\ntransactions_file,counts.csv\ntransactions_period,month\ncorrection_policy,pro_rata_days\nperiod_starts,\"01-01, 02-01, 03-01, 04-01, 05-01, 06-01, 07-01, 08-01, 09-01, 10-01, 11-01, 12-01\"\n",
            ),
            ("Parties.csv", &parties),
            (
                "Pools.csv",
                "id,name,amount,due,key,participants,cap,excess,year,vat,total_users\n\
                 s1,System,100000.03,2026-01-01;2026-02-01,population,,,,,25,\n\
                 k1,Kurs,999.99,2026-02-01,equal,,,,,0,\n",
            ),
            ("Users.csv", &users),
            (
                "Tariffs.csv",
                "kind,price,valid_from,valid_to\nlogin,0.30,2026-01-01,\nsms,0.0875,2026-01-01,\n",
            ),
            ("counts.csv", &counts),
        ],
    )
}

/// An agreement whose pool, capped with redistribute, needs one round per capped party: `top`
/// parties capped one per round, then three that share the rest. Each population is the
/// smallest that goes over the cap in its own round but not in the round before (so they grow
/// about as fast as a factorial: `top` ≤ 15 keeps them below 10^12). Billed on 2026-01-01.
pub fn many_rounds(dir: &Path, top: usize) -> PathBuf {
    // Backwards from the three that are never capped (1,000 people each), who share half a
    // cap: S the population still sharing, R2 twice the caps still to split.
    let mut s: i128 = 3000;
    let mut r2: i128 = 1;
    let mut prev: i128 = 1000;
    let mut capped = Vec::new();
    for _ in 0..top {
        // Over the cap in its round: R·w > S; the next one not yet: its w ≤ (S + w)/(R + 1).
        let over = 2 * s / r2 + 1;
        let keeps_next = (prev * (r2 + 2) - 2 * s + 1).div_euclid(2);
        let w = over.max(keeps_next);
        capped.push(w);
        s += w;
        r2 += 2;
        prev = w;
    }
    capped.reverse();
    let mut parties = String::from("id,name,population\n");
    for (i, w) in capped.iter().chain([1000, 1000, 1000].iter()).enumerate() {
        parties.push_str(&format!("r{i:02},Kommun {i},{w}\n"));
    }
    // The cap is 1,000 kr; the amount is R caps.
    let amount = r2 * 500;
    write_folder(
        &dir.join(format!("rounds-{top}")),
        &[
            (
                "Settings.csv",
                "setting,value\nname,Omgångar\nissuer,r00\nstart,2026-01-01\n",
            ),
            ("Parties.csv", &parties),
            (
                "Pools.csv",
                &format!(
                    "id,name,amount,due,key,participants,cap,excess,year,vat,total_users\n\
                     t1,Tak i omgångar,{amount},2026-01-01,population,,1000,redistribute,,0,\n\
                     t2,Tak i omgångar i rater,{amount},2026-01-01;2026-07-01,population,,1000,redistribute,,0,\n"
                ),
            ),
        ],
    )
}
