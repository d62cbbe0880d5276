//! Generates a national agreement (issue 12) as a CSV folder and, when it fits in a sheet, as an
//! xlsx workbook: the 290 municipalities of `testdata/municipalities-2016.csv` (or `--synthetic
//! N` parties) and a region that coordinates, 20 pools with caps under the three excess policies,
//! a users key with users outside the agreement, subsets, a budget, entries and exits, and N
//! user registrations with churn over ten years (2016–2025: 20 half-year billing dates).
//!
//! ```text
//! cargo run --release -p benches --bin gen_agreement -- --registrations 200000 --out /tmp/nat
//! # writes /tmp/nat/csv/*.csv and /tmp/nat/agreement.xlsx (unless --no-xlsx or N > 1,000,000)
//! # --users-file: the xlsx workbook (written whatever N) holds no Users sheet and names
//! # /tmp/nat/users.csv (the register) with the setting `users_file`; the CSV folder keeps Users.csv
//! ```
//!
//! A fixed pseudo-random sequence makes every run write the same bytes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A fixed pseudo-random sequence (64-bit LCG).
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

struct Args {
    registrations: usize,
    synthetic: Option<usize>,
    out: PathBuf,
    xlsx: bool,
    users_file: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        registrations: 200_000,
        synthetic: None,
        out: PathBuf::from("/tmp/national"),
        xlsx: true,
        users_file: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut val = || it.next().ok_or(format!("{k} needs a value"));
        match k.as_str() {
            "--registrations" => a.registrations = val()?.parse().map_err(|e| format!("{e}"))?,
            "--synthetic" => a.synthetic = Some(val()?.parse().map_err(|e| format!("{e}"))?),
            "--out" => a.out = PathBuf::from(val()?),
            "--no-xlsx" => a.xlsx = false,
            "--users-file" => a.users_file = true,
            _ => return Err(format!("unknown argument {k}")),
        }
    }
    Ok(a)
}

/// A day as an ISO date, counted from 2016-01-01 (no leap-year-free shortcuts: a real calendar).
fn day(offset: u64) -> String {
    // Days per month from 2016 on; enough for the ten years generated.
    let mut y = 2016u64;
    let mut d = offset;
    loop {
        let leap = y.is_multiple_of(4);
        let len = if leap { 366 } else { 365 };
        if d < len {
            break;
        }
        d -= len;
        y += 1;
    }
    let leap = y.is_multiple_of(4);
    let months = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut m = 0;
    while d >= months[m] {
        d -= months[m];
        m += 1;
    }
    format!("{y}-{:02}-{:02}", m + 1, d + 1)
}

/// One table: written as CSV and, when asked, as a sheet of text cells.
struct Table {
    name: &'static str,
    rows: Vec<Vec<String>>,
}

fn write_csv(path: &Path, rows: &[Vec<String>]) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    for r in rows {
        let mut first = true;
        for c in r {
            if !first {
                w.write_all(b",")?;
            }
            first = false;
            if c.contains(',') || c.contains('"') {
                write!(w, "\"{}\"", c.replace('"', "\"\""))?;
            } else {
                w.write_all(c.as_bytes())?;
            }
        }
        w.write_all(b"\n")?;
    }
    w.flush()
}

/// An organisation number `NNNNNN-NNNC` from nine digits and their Luhn check digit.
fn org_nr(nine: &str) -> String {
    let sum: u32 = nine
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            d / 10 + d % 10
        })
        .sum();
    format!("{}-{}{}", &nine[..6], &nine[6..], (10 - sum % 10) % 10)
}

fn s(x: impl ToString) -> String {
    x.to_string()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = args()?;
    // Parties: (id, name, population).
    let mut parties: Vec<(String, String, u64)> = match a.synthetic {
        None => {
            let mut reader =
                csv::Reader::from_path(benches::testdata().join("municipalities-2016.csv"))?;
            reader
                .records()
                .map(|r| {
                    let r = r?;
                    Ok((r[0].to_owned(), r[1].to_owned(), r[3].parse()?))
                })
                .collect::<Result<_, Box<dyn std::error::Error>>>()?
        }
        Some(n) => {
            let mut rng = Lcg(0x2545_f491_4f6c_dd1d);
            (0..n)
                .map(|i| {
                    let r = rng.next(1000);
                    (format!("p{i:06}"), format!("Part {i}"), 2_000 + r * r)
                })
                .collect()
        }
    };
    let n = parties.len();
    let total_pop: u64 = parties.iter().map(|p| p.2).sum();
    let mut rng = Lcg(0x5eed);
    // Exits: every 31st party gives notice.
    // Entries need approvals by more than half of the members (R-entry): not generated yet.
    let joined = |_: usize| None::<String>;
    let notice = |i: usize| (i % 31 == 7).then(|| day(900 + (i as u64 * 53) % 1800));

    let mut tables = Vec::new();
    let settings = vec![
        vec![s("setting"), s("value")],
        vec![s("name"), s("Nationellt avtal (benchmark)")],
        vec![s("issuer"), s("region")],
        vec![s("start"), s("2016-01-01")],
        vec![s("round_totals"), s("yes")],
        vec![s("first_invoice_number"), s("1001")],
        vec![s("payment_days"), s("30")],
        vec![s("bankgiro"), s("5050-1055")],
    ];
    tables.push(Table {
        name: "Settings",
        rows: settings,
    });

    let mut rows = vec![[
        "id",
        "name",
        "org_nr",
        "kind",
        "population",
        "population_date",
        "users",
        "joined",
        "notice_given",
        "roles",
        "street",
        "postcode",
        "city",
        "buyer_reference",
    ]
    .iter()
    .map(s)
    .collect::<Vec<_>>()];
    for (i, (id, name, pop)) in parties.iter().enumerate() {
        rows.push(vec![
            id.clone(),
            name.clone(),
            org_nr(&format!("2120{i:05}")),
            s("municipality"),
            s(pop),
            s("2016-12-31"),
            s((a.registrations as u64 * pop / total_pop).max(1)),
            joined(i).unwrap_or_default(),
            notice(i).unwrap_or_default(),
            String::new(),
            format!("Box {}", 100 + i),
            format!("{} {:02}", 100 + i % 880, i % 100),
            name.replace(" kommun", ""),
            format!("REF-{id}"),
        ]);
    }
    rows.push(vec![
        s("region"),
        s("Regionen"),
        org_nr("232100001"),
        s("region"),
        s("1000000"),
        s("2016-12-31"),
        s("10"),
        String::new(),
        String::new(),
        s("coordinator"),
        s("Regionvägen 1"),
        s("100 00"),
        s("Regionstad"),
        s("REF-region"),
    ]);
    tables.push(Table {
        name: "Parties",
        rows,
    });

    // 20 pools: one a year per half of the decade, keys population/users/equal, subsets, caps
    // under absorb, redistribute and uncovered.
    let mut rows = vec![[
        "id",
        "name",
        "amount",
        "due",
        "key",
        "participants",
        "cap",
        "excess",
        "year",
        "vat",
        "total_users",
    ]
    .iter()
    .map(s)
    .collect::<Vec<_>>()];
    // Every fifth party, leaving out those that give notice (they may have left by the due day).
    let subset: Vec<&str> = parties
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 5 == 0 && notice(*i).is_none())
        .map(|(_, p)| p.0.as_str())
        .collect();
    let subset = subset.join(", ");
    for i in 0..20u64 {
        let year = 2016 + i / 2;
        let due = format!("{year}-{}", if i % 2 == 0 { "03-01" } else { "09-01" });
        let key = match i % 4 {
            0 | 3 => "population",
            1 => "users",
            _ => "equal",
        };
        let amount = 5_000_000 + 123_457 * i;
        let (cap, excess) = match i % 5 {
            0 => ("lou", "absorb:region"),
            1 => ("lou", "redistribute"),
            2 => ("250000", "uncovered"),
            _ => ("", ""),
        };
        rows.push(vec![
            format!("pool-{i:02}"),
            format!("Kostnadspost {i}"),
            format!("{amount}.{:02}", i * 7 % 100),
            due,
            s(key),
            if i % 3 == 2 {
                subset.clone()
            } else {
                String::new()
            },
            s(cap),
            s(excess),
            s(year),
            s(if i % 5 == 0 { 25 } else { 0 }),
            if key == "users" {
                s(a.registrations as u64 * 11 / 10)
            } else {
                String::new()
            },
        ]);
    }
    tables.push(Table {
        name: "Pools",
        rows,
    });

    let mut rows = vec![
        ["valid_from", "line", "amount", "reference_date", "inferred"]
            .iter()
            .map(s)
            .collect::<Vec<_>>(),
    ];
    for y in 0..10u64 {
        for (j, (line, amount)) in [
            ("Licenser", 60_000_000u64),
            ("Drift", 25_000_000),
            ("Förvaltning", 15_000_000),
        ]
        .iter()
        .enumerate()
        {
            rows.push(vec![
                format!("{}-01-01", 2016 + y),
                s(line),
                format!("{}.00", amount + y * 1_000_000),
                format!("{}-01-01", 2016 + y),
                s(if j == 0 { "yes" } else { "no" }),
            ]);
        }
    }
    tables.push(Table {
        name: "Budget",
        rows,
    });

    // Registrations spread by population, with churn: a user starts some day in the decade
    // (most at the start) and a third leave again.
    let users_path = a.out.join("csv").join("Users.csv");
    std::fs::create_dir_all(a.out.join("csv"))?;
    let mut users: Vec<Vec<String>> = vec![["party", "user_id", "first_day", "last_day"]
        .iter()
        .map(s)
        .collect()];
    let mut made = 0usize;
    let mut k = 0u64;
    // Every party has at least one user (the users key needs one); the floors' shortfall goes
    // one each to the parties in order, an excess is taken from the largest.
    let mut quotas: Vec<usize> = parties
        .iter()
        .map(|p| ((a.registrations as u64 * p.2 / total_pop) as usize).max(1))
        .collect();
    let sum: usize = quotas.iter().sum();
    let parties_n = quotas.len();
    for j in 0..a.registrations.saturating_sub(sum) {
        quotas[j % parties_n] += 1;
    }
    if let Some(largest) = quotas.iter_mut().max() {
        *largest -= sum.saturating_sub(a.registrations).min(*largest - 1);
    }
    'outer: loop {
        for (i, (id, _, _)) in parties.iter().enumerate() {
            if k as usize >= quotas[i] {
                continue;
            }
            let first_floor = joined(i).map_or(0, |_| 0);
            let first = if k > 0 && rng.next(3) == 0 {
                first_floor + rng.next(3000)
            } else {
                first_floor
            };
            let last = if k > 0 && rng.next(3) == 0 {
                day(first + 30 + rng.next(1500))
            } else {
                String::new()
            };
            users.push(vec![id.clone(), format!("{id}-u{k:07}"), day(first), last]);
            made += 1;
        }
        k += 1;
        if made >= a.registrations {
            break 'outer;
        }
    }
    write_csv(&users_path, &users)?;

    for t in &tables {
        write_csv(&a.out.join("csv").join(format!("{}.csv", t.name)), &t.rows)?;
    }
    if a.users_file {
        std::fs::copy(&users_path, a.out.join("users.csv"))?;
        if let Some(t) = tables.iter_mut().find(|t| t.name == "Settings") {
            t.rows.push(vec![s("users_file"), s("users.csv")]);
        }
        users.truncate(1);
    }
    if a.xlsx && users.len() <= 1_048_576 {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let users = Table {
            name: "Users",
            rows: std::mem::take(&mut users),
        };
        let sheets = tables
            .iter()
            .chain((users.rows.len() > 1).then_some(&users));
        for t in sheets {
            let ws = wb.add_worksheet().set_name(t.name)?;
            for (r, row) in t.rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    if !v.is_empty() {
                        ws.write_string(r as u32, c as u16, v)?;
                    }
                }
            }
        }
        wb.save(a.out.join("agreement.xlsx"))?;
    }
    parties.clear();
    eprintln!(
        "wrote {} parties + region, {made} registrations under {}",
        n,
        a.out.display()
    );
    Ok(())
}
