//! The year report and its scenarios (issue 15), against the golden invoices of the cases and
//! against figures recomputed here by hand from the rules (not by the code under test).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use billing_core::engine::History;
use billing_core::year::{Comparison, ScenarioResult};
use billing_core::{Money, PartyId};
use billing_report::compute;
use billing_report::workbook::load;
use chrono::NaiveDate;
use rust_decimal::Decimal;

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/cases")
        .join(name)
}

/// A copy of a case's CSV tables in a scratch folder, with `scenarios` as its Scenarios sheet.
fn with_scenarios(name: &str, scenarios: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a scratch folder");
    for e in std::fs::read_dir(case(name)).expect("the case") {
        let e = e.expect("an entry");
        if e.path().extension().is_some_and(|x| x == "csv") {
            std::fs::copy(e.path(), dir.path().join(e.file_name())).expect("copy");
        }
    }
    std::fs::write(dir.path().join("Scenarios.csv"), scenarios).expect("write Scenarios.csv");
    dir
}

fn year(input: &Path, y: i32, scenarios: &[&str]) -> Comparison {
    let (input, _) = load(input).unwrap_or_else(|p| panic!("{p:?}"));
    let names: Vec<String> = scenarios.iter().map(|s| s.to_string()).collect();
    compute::year(&input, y, &History::default(), &names).unwrap_or_else(|p| panic!("{p:?}"))
}

fn id(s: &str) -> PartyId {
    PartyId::new(s).expect("an id")
}

fn kr(s: &str) -> Money {
    Money::from_str(s).expect("an amount")
}

fn scenario<'a>(c: &'a Comparison, name: &str) -> &'a ScenarioResult {
    c.scenarios
        .iter()
        .find(|s| s.name == name)
        .expect("the scenario")
}

/// The golden lines of the Kalmar case whose period (or, without one, pool year or invoice
/// date) falls in `year`: buyer → (invoice date → amount + VAT), from every expected date.
/// Lines without a period are pool lines: `upgrade-2011` has the billing year 2011 in
/// Pools.csv, the extraction none (its invoice date's year counts). Öresavrundning is left
/// out. Only the coordinator's (0880's) invoices: the providers' arrears are not charges.
fn golden_kalmar(year: i32) -> BTreeMap<(String, NaiveDate), Money> {
    let mut out = BTreeMap::new();
    let expected = case("kalmar-2010").join("expected");
    for dir in std::fs::read_dir(&expected).expect("expected dates") {
        let path = dir.expect("a date").path().join("lines.csv");
        let mut r = csv::Reader::from_path(&path).expect("lines.csv");
        let heads = r.headers().expect("headers").clone();
        let col = |n: &str| heads.iter().position(|h| h == n).expect("a column");
        for rec in r.records() {
            let rec = rec.expect("a record");
            if &rec[col("issuer")] != "0880" || &rec[col("line_kind")] == "rounding" {
                continue;
            }
            let date = NaiveDate::from_str(&rec[col("issue_date")]).expect("a date");
            let y = if !rec[col("period_start")].is_empty() {
                rec[col("period_start")][..4]
                    .parse::<i32>()
                    .expect("a year")
            } else if rec[col("description")].contains("(upgrade-2011)") {
                2011
            } else {
                chrono::Datelike::year(&date)
            };
            if y == year {
                *out.entry((rec[col("buyer")].to_owned(), date))
                    .or_insert(Money::ZERO) += kr(&rec[col("amount")]) + kr(&rec[col("vat")]);
            }
        }
    }
    out
}

#[test]
fn kalmar_2011_totals_are_the_golden_lines_of_2011() {
    let c = year(&case("kalmar-2010"), 2011, &[]);
    let r = &c.base;
    let golden = golden_kalmar(2011);
    let golden_dates: BTreeSet<NaiveDate> = golden.keys().map(|k| k.1).collect();
    // Every golden line of 2011 is in the report, party by party and date by date.
    let mut ours: BTreeMap<(String, NaiveDate), Money> = BTreeMap::new();
    for l in r
        .lines
        .iter()
        .filter(|l| l.year == 2011 && !l.borne_by_issuer)
    {
        *ours
            .entry((l.party.to_string(), l.invoice_date))
            .or_insert(Money::ZERO) += l.amount + l.vat;
    }
    let ours_on_golden: BTreeMap<_, _> = ours
        .iter()
        .filter(|(k, _)| golden_dates.contains(&k.1))
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    assert_eq!(ours_on_golden, golden, "2011's lines on the golden dates");
    // 2011-07-01: the thirteen invoiced parties' H2 advance, H1 correction and upgrade share.
    assert!(
        golden.len() >= 13,
        "the golden files hold 2011's lines: {golden:?}"
    );
    // The rest of 2011 is billed on the period starts that have no golden folder: the
    // advance of H1 2011 (2011-01-01) and the correction of H2 2011 (2012-01-01).
    let other: BTreeSet<NaiveDate> = ours
        .keys()
        .map(|k| k.1)
        .filter(|d| !golden_dates.contains(d))
        .collect();
    assert_eq!(
        other,
        [d("2011-01-01"), d("2012-01-01")].into_iter().collect()
    );
    // The totals are those lines added up.
    let total_lines: Money = r
        .lines
        .iter()
        .filter(|l| l.year == 2011)
        .map(|l| l.amount + l.vat)
        .sum();
    assert_eq!(r.total(), total_lines);
    // Nothing is issued (no register), and the coordinator's own share is borne by it.
    assert!(r.lines.iter().all(|l| !l.issued));
    let kalmar = r.party(&id("0880")).expect("Kalmar");
    assert!(kalmar.borne_by_issuer && kalmar.total.is_positive());
    // By hand: Högsby (0821), 3 users all year at F = 1,080,000 / 90 = 12,000 kr: 2 × 18,000
    // in advance, no correction, and its part of the upgrade (3,763.91 + 940.98 VAT).
    let hogsby = r.party(&id("0821")).expect("Högsby");
    assert_eq!(hogsby.advance, kr("36000.00"));
    assert_eq!(hogsby.corrections, Money::ZERO);
    assert_eq!(hogsby.total, kr("36000.00") + kr("3763.91") + kr("940.98"));
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::from_str(s).expect("a date")
}

const KALMAR_SCENARIOS: &str = "scenario,change,party,pool,date,value,per_cent\n\
    BBB leaves,notice,0834,,2011-01-01,,\n\
    budget +10 %,budget,,,2012-01-01,,10\n";

/// The users of `party` on `day` in the case's Users.csv, counted here.
fn users_on(party: &str, day: NaiveDate) -> i64 {
    let mut r = csv::Reader::from_path(case("kalmar-2010").join("Users.csv")).expect("Users.csv");
    r.records()
        .map(|x| x.expect("a row"))
        .filter(|x| &x[0] == party)
        .filter(|x| d(&x[2]) <= day && (x[3].is_empty() || day <= d(&x[3])))
        .count() as i64
}

#[test]
fn kalmar_2012_scenarios_agree_with_a_calculation_by_hand() {
    let dir = with_scenarios("kalmar-2010", KALMAR_SCENARIOS);
    let c = year(dir.path(), 2012, &["BBB leaves", "budget +10 %"]);

    // R5: F = B / N = 1,080,000 / 90 = 12,000 kr a year per user; 6,000 a half-year.
    // "BBB leaves": Torsås (0834, 3 users throughout) gives notice on 2011-01-01 and is a
    // member through 2012-01-01 (R9: notice date + 12 months, that day included). In 2012 it
    // pays 1 member day of H1's 182: 3 × 6,000 × 1 / 182 = 98.901… → 98.90 kr, and nothing
    // for H2. As it stands it pays 2 × 3 × 6,000 = 36,000.
    assert_eq!(users_on("0834", d("2012-01-01")), 3);
    assert_eq!(users_on("0834", d("2012-12-31")), 3);
    let leaves = scenario(&c, "BBB leaves");
    let torsas = leaves
        .differences
        .iter()
        .find(|x| x.party == id("0834"))
        .expect("Torsås");
    let by_hand = (Decimal::from(3 * 6000) / Decimal::from(182)).round_dp(2);
    assert_eq!(torsas.base, kr("36000.00"));
    assert_eq!(torsas.scenario.to_decimal(), by_hand);
    assert_eq!(torsas.difference, torsas.scenario - kr("36000.00"));
    assert!(
        torsas
            .reasons
            .iter()
            .any(|r| r == "utträde: uppsägning 2011-01-01, sista medlemsdag 2012-01-01"),
        "{:?}",
        torsas.reasons
    );
    // Nobody else's year changes: user fees are per user, and 2012's only pool is Borgholm's
    // extraction, billed to Borgholm alone.
    for x in leaves.differences.iter().filter(|x| x.party != id("0834")) {
        assert_eq!(x.difference, Money::ZERO, "{}", x.party);
        assert!(x.reasons.is_empty());
    }

    // "budget +10 %": F = 1,188,000 / 90 = 13,200 kr from 2012-01-01. A party whose users do
    // not change in 2012 pays users × 13,200 instead of users × 12,000.
    let budget = scenario(&c, "budget +10 %");
    for party in ["0834", "0860", "0862", "0884"] {
        let n = users_on(party, d("2012-01-01"));
        assert_eq!(
            n,
            users_on(party, d("2012-12-31")),
            "{party} keeps its users"
        );
        let x = budget
            .differences
            .iter()
            .find(|x| x.party == id(party))
            .expect("the party");
        assert_eq!(x.base, Money::from_kronor(n * 12_000), "{party}");
        assert_eq!(x.scenario, Money::from_kronor(n * 13_200), "{party}");
        assert_eq!(x.percent, Some(Decimal::TEN), "{party}");
        assert!(x
            .reasons
            .iter()
            .any(|r| r.starts_with("budgeten ändras +10 %")));
    }
    // Every party's user fees rise by 10 % within an öre per line (each line is rounded on
    // its own); Borgholm's extraction does not change.
    for (b, s) in c.base.parties.iter().zip(&budget.report.parties) {
        let fees = |p: &billing_core::year::PartyYear| (p.advance + p.corrections).to_decimal();
        let lines = c
            .base
            .lines
            .iter()
            .filter(|l| l.year == 2012 && l.party == b.party)
            .count();
        let off = (fees(s) - fees(b) * Decimal::new(11, 1)).abs();
        assert!(
            off <= Decimal::new(lines as i64, 2),
            "{}: {} vs {}",
            b.party,
            fees(s),
            fees(b)
        );
        assert_eq!(b.pools, s.pools, "{}", b.party);
    }
}

/// The populations of Stockholm's case, counted from its Parties.csv.
fn stockholm_populations() -> BTreeMap<String, i64> {
    let mut r =
        csv::Reader::from_path(case("stockholm-2020").join("Parties.csv")).expect("Parties");
    r.records()
        .map(|x| x.expect("a row"))
        .filter(|x| !x[4].is_empty() && &x[0] != "01")
        .map(|x| (x[0].to_owned(), x[4].parse::<i64>().expect("a population")))
        .collect()
}

#[test]
fn stockholm_2020_lou_threshold_700000_under_each_excess_policy() {
    let rows = "scenario,change,party,pool,date,value,per_cent\n\
        absorb,excess,,system-2020,,absorb:01,\n\
        absorb 700k,excess,,system-2020,,absorb:01,\n\
        absorb 700k,threshold,,,2020-01-01,700000,\n\
        redistribute,excess,,system-2020,,redistribute,\n\
        redistribute 700k,excess,,system-2020,,redistribute,\n\
        redistribute 700k,threshold,,,2020-01-01,700000,\n\
        uncovered,excess,,system-2020,,uncovered,\n\
        uncovered 700k,excess,,system-2020,,uncovered,\n\
        uncovered 700k,threshold,,,2020-01-01,700000,\n";
    let dir = with_scenarios("stockholm-2020", rows);
    let names = [
        "absorb",
        "absorb 700k",
        "redistribute",
        "redistribute 700k",
        "uncovered",
        "uncovered 700k",
    ];
    let c = year(dir.path(), 2020, &names);
    let pool = |s: &str, party: &str| -> Money {
        scenario(&c, s)
            .report
            .party(&id(party))
            .and_then(|p| p.pools.get("system-2020").copied())
            .unwrap_or(Money::ZERO)
    };
    let pops = stockholm_populations();
    let total: i64 = pops.values().sum();
    // By hand: Stockholm's uncapped share is 2,000,000 × 935,619 / total = 824,675.42, above
    // both thresholds (615,312 in force on 2020-01-01, R2; 700,000 in the scenario); no other
    // municipality comes near either.
    let stockholm_exact =
        Decimal::from(2_000_000) * Decimal::from(pops["0180"]) / Decimal::from(total);
    assert_eq!(stockholm_exact.round_dp(2), Decimal::new(82_467_542, 2));
    for (p, n) in &pops {
        if p != "0180" {
            assert!(Decimal::from(2_000_000 * n) / Decimal::from(total) < Decimal::from(615_312));
        }
    }
    // Only Stockholm's capped share changes: 615,312 → 700,000, +84,688.
    for policy in ["absorb", "redistribute", "uncovered"] {
        assert_eq!(pool(policy, "0180"), kr("615312.00"), "{policy}");
        assert_eq!(
            pool(&format!("{policy} 700k"), "0180"),
            kr("700000.00"),
            "{policy}"
        );
    }
    // absorb:01: the region (the issuer: its share is borne, not invoiced) absorbed 209,363.42
    // and now 124,675.42; the other municipalities are unchanged.
    let region = |s: &str| {
        scenario(&c, s)
            .report
            .party(&id("01"))
            .expect("region")
            .pools
            .get("system-2020")
            .copied()
            .unwrap_or(Money::ZERO)
    };
    assert_eq!(region("absorb"), kr("209363.42"));
    assert_eq!(region("absorb 700k"), kr("124675.42"));
    // uncovered: nobody else pays more; the uncovered part falls by 84,688.
    for p in pops.keys().filter(|p| *p != "0180") {
        assert_eq!(pool("absorb", p), pool("absorb 700k", p), "{p}");
        assert_eq!(pool("uncovered", p), pool("uncovered 700k", p), "{p}");
    }
    // redistribute: what is above the cap is shared by population among the other 25
    // (water-filling, one round: nobody else reaches the cap). With the cap 84,688 higher,
    // each of them pays 84,688 × population / (total − Stockholm's) less, within an öre.
    let others: i64 = total - pops["0180"];
    for (p, n) in pops.iter().filter(|(p, _)| *p != "0180") {
        let exact =
            |cap: i64| Decimal::from(2_000_000 - cap) * Decimal::from(*n) / Decimal::from(others);
        for (s, cap) in [("redistribute", 615_312), ("redistribute 700k", 700_000)] {
            let off = (pool(s, p).to_decimal() - exact(cap)).abs();
            assert!(
                off < Decimal::new(1, 2),
                "{s} {p}: {} vs {}",
                pool(s, p),
                exact(cap)
            );
        }
    }
    let sum = |s: &str| -> Money { pops.keys().map(|p| pool(s, p)).sum() };
    assert_eq!(sum("redistribute"), kr("2000000.00"));
    assert_eq!(sum("redistribute 700k"), kr("2000000.00"));
    // The rule in words, on the scenario beside the base (the base is absorb:01).
    let s = scenario(&c, "redistribute 700k");
    let solna = s
        .differences
        .iter()
        .find(|x| x.party == id("0184"))
        .expect("Solna");
    assert!(
        solna
            .reasons
            .iter()
            .any(|r| r
                .starts_with("omfördelat överskott från Stockholms kommuns takbegränsade andel")),
        "{:?}",
        solna.reasons
    );
    let sthlm = s
        .differences
        .iter()
        .find(|x| x.party == id("0180"))
        .expect("Stockholm");
    assert!(
        sthlm
            .reasons
            .iter()
            .any(|r| r.contains("taket är 700 000,00 kr")),
        "{:?}",
        sthlm.reasons
    );
}

/// Runs the binary; returns its exit code and stderr.
fn cli(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_billing-report"))
        .args(args)
        .output()
        .expect("billing-report runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_scenario_rows_are_located_errors_and_nothing_is_written() {
    let head = "scenario,change,party,pool,date,value,per_cent,name,population,users,approved_by\n";
    let cases: &[(&str, &str, &str)] = &[
        ("unknown party", "x,notice,0999,,2012-01-01,,,,,,\n", "Scenarios!C2"),
        ("unknown pool", "x,pool_amount,,nosuch,,1000,,,,,\n", "Scenarios!D2"),
        ("unknown kind", "x,explode,,,,,,,,,\n", "Scenarios!B2"),
        (
            "join without majority",
            "x,join,0999,,2012-03-01,,,Ny kommun,10000,3,\"0821, 0834\"\n",
            "Scenarios!E2",
        ),
        ("date outside the years", "x,notice,0834,,2009-06-01,,,,,,\n", "Scenarios!E2"),
        (
            "join and leave the same day",
            "x,join,0999,,2012-03-01,,,Ny kommun,10000,3,\"0821, 0834, 0840, 0860, 0861, 0862, 0880, 0881\"\n\
             x,notice,0999,,2012-03-01,,,,,,\n",
            "Scenarios!E3",
        ),
        ("amount and per cent", "x,budget,,,2012-01-01,1000,10,,,,\n", "Scenarios!G2"),
        (
            "join an unknown pool",
            "x,join,0999,nosuch,2012-03-01,,,Ny kommun,10000,3,\"0821, 0834, 0840, 0860, 0861, 0862, 0880, 0881\"\n",
            "Scenarios!D2",
        ),
        (
            "join a pool due before the joining day",
            "x,join,0999,upgrade-2011,2012-03-01,,,Ny kommun,10000,3,\"0821, 0834, 0840, 0860, 0861, 0862, 0880, 0881\"\n",
            "Scenarios!E2",
        ),
        (
            "join a direct pool",
            "x,join,0999,extraction-0885,2012-03-01,,,Ny kommun,10000,3,\"0821, 0834, 0840, 0860, 0861, 0862, 0880, 0881\"\n",
            "Scenarios!E2",
        ),
        // The engine's problem with the pool the scenario changed: at the row that changed it.
        (
            "a key the parties have no figures for",
            "x,budget,,,2012-01-01,,5,,,,\nx,key,,upgrade-2011,,weight:nosuch,,,,,\n",
            "Scenarios!D3",
        ),
    ];
    for (what, rows, cell) in cases {
        let dir = with_scenarios("kalmar-2010", &format!("{head}{rows}"));
        let out = dir.path().join("out");
        let (code, err) = cli(&[
            "year",
            dir.path().to_str().expect("utf-8"),
            "--year",
            "2012",
            "--out",
            out.to_str().expect("utf-8"),
            "--scenario",
            "x",
        ]);
        assert_eq!(code, 1, "{what}: {err}");
        assert!(
            err.contains(&format!(": {cell}: ")),
            "{what}: expected an error at {cell}: {err}"
        );
        assert!(!out.exists(), "{what}: nothing is written");
    }
    // A scenario name that the sheet does not hold.
    let dir = with_scenarios("kalmar-2010", KALMAR_SCENARIOS);
    let out = dir.path().join("out");
    let (code, err) = cli(&[
        "year",
        dir.path().to_str().expect("utf-8"),
        "--year",
        "2012",
        "--out",
        out.to_str().expect("utf-8"),
        "--scenario",
        "nosuch",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("BBB leaves, budget +10 %"), "{err}");
    assert!(!out.exists());
}

/// Debian's Chromium, if it is installed; panics with the reason under CI.
fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        let message = "chromium is not installed: install it with \
             `apt-get install -y --no-install-recommends chromium` (.ci/run does this)";
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("NOT RUN: {message}");
    }
    found
}

/// Runs headless Chromium on `file` in a new empty profile; returns (status ok, stdout,
/// stderr); kills it after two minutes.
fn browse(chromium: &Path, scratch: &Path, args: &[String], file: &Path) -> (bool, String, String) {
    let profile = tempfile::tempdir_in(scratch).expect("a profile folder");
    let out_path = profile.path().join("stdout.txt");
    let err_path = profile.path().join("stderr.txt");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--hide-scrollbars",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ))
        .args(args)
        .arg(format!("file://{}", file.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("chromium's status") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within two minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    (status.success(), read(&out_path), read(&err_path))
}

#[test]
fn the_year_report_opens_in_chromium_with_every_chart_and_its_table() {
    let dir = with_scenarios("kalmar-2010", KALMAR_SCENARIOS);
    let out = dir.path().join("year");
    let (code, err) = cli(&[
        "year",
        dir.path().to_str().expect("utf-8"),
        "--year",
        "2012",
        "--out",
        out.to_str().expect("utf-8"),
        "--scenario",
        "BBB leaves",
        "--scenario",
        "budget +10 %",
    ]);
    assert_eq!(code, 0, "{err}");
    let html = out.join("year-2012.html");
    let page = std::fs::read_to_string(&html).expect("the page");
    assert!(out.join("year-2012.xlsx").exists() && out.join(".billing-report").exists());
    // The workbook: one sheet per view, live sums.
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook(out.join("year-2012.xlsx")).expect("xlsx");
    use calamine::Reader;
    let sheets = wb.sheet_names().to_vec();
    for s in ["Kostnader", "Andelar", "Förändring", "Kassaflöde", "Rader"] {
        assert!(sheets.iter().any(|x| x == s), "{s} in {sheets:?}");
    }
    assert_eq!(
        sheets.iter().filter(|s| s.starts_with("Scenario")).count(),
        2
    );
    let formulas = wb.worksheet_formula("Kostnader").expect("formulas");
    assert!(
        formulas.used_cells().any(|(_, _, f)| f.starts_with("SUM(")),
        "live sums"
    );
    // Swedish, self-contained.
    assert!(page.contains("lang=\"sv\""));
    assert!(page.contains("Kostnadsfördelning 2012"));
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"));
    assert!(!page.contains("<script"));

    let Some(chromium) = chromium() else {
        return;
    };
    let scratch = tempfile::tempdir().expect("scratch");
    let (ok, dom, log) = browse(&chromium, scratch.path(), &["--dump-dom".into()], &html);
    assert!(ok, "chromium failed: {log}");
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert_eq!(console, Vec::<&str>::new(), "console messages");
    // Costs (stacked), shares (paired), change (diverging), cash flow (lines), two scenarios
    // (diverging): six charts, each pointing at its table.
    let charts = dom.matches("role=\"img\"").count();
    assert_eq!(charts, 6, "six charts");
    for i in 1..=charts {
        assert!(
            dom.contains(&format!("<table id=\"s{i}-data\">")),
            "the table of chart {i}"
        );
    }
    // Screenshots at a desktop and a phone width (kept in YEAR_SCREENSHOTS when it names a
    // folder, for a person to look at).
    let keep = std::env::var_os("YEAR_SCREENSHOTS").map(PathBuf::from);
    for width in [1280, 390] {
        let shot = scratch.path().join(format!("year-2012-{width}.png"));
        let (ok, _, log) = browse(
            &chromium,
            scratch.path(),
            &[
                format!("--screenshot={}", shot.display()),
                format!("--window-size={width},2400"),
            ],
            &html,
        );
        assert!(ok, "screenshot at {width}: {log}");
        let bytes = std::fs::read(&shot).expect("the screenshot");
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
            "a PNG at {width}"
        );
        if let Some(k) = &keep {
            std::fs::create_dir_all(k).expect("the screenshot folder");
            std::fs::copy(&shot, k.join(shot.file_name().expect("a name"))).expect("keep it");
        }
    }
}

const APPROVALS: &str = "\"0821, 0834, 0840, 0860, 0861, 0862, 0880, 0881\"";

/// The populations of Kalmar's case, counted from its Parties.csv (the parties that have one).
fn kalmar_populations() -> BTreeMap<String, i64> {
    let mut r = csv::Reader::from_path(case("kalmar-2010").join("Parties.csv")).expect("Parties");
    r.records()
        .map(|x| x.expect("a row"))
        .filter(|x| !x[4].is_empty())
        .map(|x| (x[0].to_owned(), x[4].parse::<i64>().expect("a population")))
        .collect()
}

#[test]
fn a_joining_party_takes_part_in_the_named_pools_its_row_lists() {
    let head = "scenario,change,party,pool,date,value,per_cent,name,population,users,approved_by\n";
    let rows = format!(
        "{head}joins the upgrade,join,0999,upgrade-2011,2011-03-01,,,Ny kommun,20000,5,{APPROVALS}\n\
         joins,join,0999,,2011-03-01,,,Ny kommun,20000,5,{APPROVALS}\n"
    );
    let dir = with_scenarios("kalmar-2010", &rows);
    let c = year(dir.path(), 2011, &["joins the upgrade", "joins"]);
    let upgrade = |r: &billing_core::year::YearReport, party: &str| -> Money {
        r.party(&id(party))
            .and_then(|p| p.pools.get("upgrade-2011").copied())
            .unwrap_or(Money::ZERO)
    };
    // By hand (R1, R14): upgrade-2011 (150,000 kr, due 2011-07-01) names the twelve
    // municipalities, whose populations add up to 242,301; with Ny kommun's 20,000 the pool is
    // split over 262,301. Ny kommun: 150,000 × 20,000 / 262,301 = 11,437.24 kr (11,437.2419…).
    let mut pops = kalmar_populations();
    assert_eq!(pops.values().sum::<i64>(), 242_301);
    pops.insert("0999".to_owned(), 20_000);
    let total = Decimal::from(262_301);
    let joined = scenario(&c, "joins the upgrade");
    assert_eq!(upgrade(&joined.report, "0999"), kr("11437.24"));
    for (p, n) in &pops {
        let exact = Decimal::from(150_000) * Decimal::from(*n) / total;
        let off = (upgrade(&joined.report, p).to_decimal() - exact).abs();
        assert!(
            off < Decimal::new(1, 2),
            "{p}: {} vs {exact}",
            upgrade(&joined.report, p)
        );
        if p != "0999" {
            // Everyone else pays less than as it stands (150,000 × n / 242,301).
            assert!(upgrade(&joined.report, p) < upgrade(&c.base, p), "{p}");
        }
    }
    let sum: Money = pops.keys().map(|p| upgrade(&joined.report, p)).sum();
    assert_eq!(sum, kr("150000.00"));
    // Högsby's difference names the rule.
    let hogsby = joined
        .differences
        .iter()
        .find(|x| x.party == id("0821"))
        .expect("Högsby");
    assert!(
        hogsby
            .reasons
            .iter()
            .any(|r| r == "omfördelning när Ny kommun går med i avtalet"),
        "{:?}",
        hogsby.reasons
    );
    // A join row that names no pool: Ny kommun takes no part in a pool that names its
    // participants, and nobody's share of it changes.
    let alone = scenario(&c, "joins");
    assert_eq!(upgrade(&alone.report, "0999"), Money::ZERO);
    for p in pops.keys() {
        assert_eq!(upgrade(&alone.report, p), upgrade(&c.base, p), "{p}");
    }
    // Ny kommun's user fees are the same in both: the pool is its only difference.
    let ny = |s: &ScenarioResult| s.report.party(&id("0999")).expect("Ny kommun").clone();
    assert_eq!(ny(joined).advance, ny(alone).advance);
    assert_eq!(ny(joined).corrections, ny(alone).corrections);
    assert_eq!(ny(joined).net - ny(alone).net, kr("11437.24"));
}

#[test]
fn a_scenario_that_changes_nothing_has_the_base_figures_line_by_line() {
    let rows = "scenario,change,party,pool,date,value,per_cent\n\
        nothing,pool_amount,,upgrade-2011,,0,\n\
        budget +0 %,budget,,,2011-01-01,,0\n";
    let dir = with_scenarios("kalmar-2010", rows);
    for y in [2011, 2012] {
        let c = year(dir.path(), y, &["nothing", "budget +0 %"]);
        for s in &c.scenarios {
            let key = |l: &billing_core::year::YearLine| {
                (
                    l.party.clone(),
                    l.invoice_date,
                    l.year,
                    l.amount,
                    l.vat,
                    l.issued,
                )
            };
            let base: Vec<_> = c.base.lines.iter().map(key).collect();
            let ours: Vec<_> = s.report.lines.iter().map(key).collect();
            assert_eq!(ours, base, "{y} {}", s.name);
            assert_eq!(s.report.cash_flow, c.base.cash_flow, "{y} {}", s.name);
            for x in &s.differences {
                assert_eq!(x.difference, Money::ZERO, "{y} {} {}", s.name, x.party);
            }
        }
    }
}

#[test]
fn with_issued_dates_a_scenario_that_changes_nothing_has_the_base_figures() {
    let rows = "scenario,change,party,pool,date,value,per_cent\n\
        nothing,pool_amount,,upgrade-2011,,0,\n\
        budget +0 %,budget,,,2011-07-01,,0\n";
    let dir = with_scenarios("kalmar-2010", rows);
    let (input, _) = load(dir.path()).unwrap_or_else(|p| panic!("{p:?}"));
    // The register as `issue` leaves it after issuing every date up to 2011-07-01.
    let mut history = History::default();
    for date in compute::billing_dates(&input)
        .into_iter()
        .filter(|x| *x <= d("2011-07-01"))
    {
        let draft = compute::compute(&input, date, &history).unwrap_or_else(|p| panic!("{p:?}"));
        history.fee_lines.extend(draft.fee_lines);
        history.dates.insert(date);
    }
    let names = ["nothing".to_owned(), "budget +0 %".to_owned()];
    for y in [2011, 2012] {
        let c = compute::year(&input, y, &history, &names).unwrap_or_else(|p| panic!("{p:?}"));
        assert!(c.base.lines.iter().any(|l| l.issued), "{y}");
        assert!(c.base.lines.iter().any(|l| !l.issued), "{y}");
        for s in &c.scenarios {
            let key = |l: &billing_core::year::YearLine| {
                (
                    l.party.clone(),
                    l.invoice_date,
                    l.year,
                    l.amount,
                    l.vat,
                    l.issued,
                )
            };
            let mut base: Vec<_> = c.base.lines.iter().map(key).collect();
            let mut ours: Vec<_> = s.report.lines.iter().map(key).collect();
            base.sort();
            ours.sort();
            assert_eq!(ours, base, "{y} {}", s.name);
            assert_eq!(s.report.cash_flow, c.base.cash_flow, "{y} {}", s.name);
            for x in &s.differences {
                assert_eq!(x.difference, Money::ZERO, "{y} {} {}", s.name, x.party);
            }
        }
    }
}
