//! Writes a realistic transactions file: one row per transaction, `timestamp,party,kind`, with
//! ISO timestamps in order over a year, parties drawn from the 290 municipalities in proportion
//! to their population, and three kinds (80 % login, 15 % signature, 5 % sms).
//!
//! ```text
//! cargo run --release -p benches --bin gen_transactions -- ROWS OUT.csv [YEAR] [SEED]
//! ```
//! Deterministic: the same arguments give the same bytes (a fixed linear congruential
//! sequence, no `rand`).

use std::io::{BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(rows), Some(out)) = (args.get(1).and_then(|r| r.parse::<u64>().ok()), args.get(2))
    else {
        eprintln!("usage: gen_transactions ROWS OUT.csv [YEAR] [SEED]");
        return ExitCode::from(2);
    };
    let year = args
        .get(3)
        .and_then(|y| y.parse::<i64>().ok())
        .unwrap_or(2025);
    let seed = args.get(4).and_then(|s| s.parse::<u64>().ok()).unwrap_or(1);
    match generate(rows, out, year, seed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_transactions: {out}: {e}");
            ExitCode::from(2)
        }
    }
}

fn generate(rows: u64, out: &str, year: i64, seed: u64) -> std::io::Result<()> {
    let agreement = benches::municipalities();
    let mut codes = Vec::new();
    let mut cumulative = Vec::new();
    let mut total = 0u64;
    for p in agreement.parties() {
        total += p.population.as_ref().map_or(1, |pop| pop.count);
        codes.push(p.id.as_str().to_owned());
        cumulative.push(total);
    }
    let mut file = BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    file.write_all(b"timestamp,party,kind\n")?;
    let days = if is_leap(year) { 366 } else { 365 };
    let span = days * 86_400u64;
    let first_day = days_from_civil(year, 1, 1);
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 11
    };
    let mut line = Vec::with_capacity(64);
    let mut cached_day = u64::MAX;
    let mut date = String::new();
    for i in 0..rows {
        let second = i * span / rows.max(1);
        let day = second / 86_400;
        if day != cached_day {
            cached_day = day;
            let (y, m, d) = civil_from_days(first_day + day as i64);
            date = format!("{y:04}-{m:02}-{d:02}");
        }
        let s = second % 86_400;
        let pick = next() % total;
        let party = cumulative.partition_point(|c| *c <= pick);
        let kind = match next() % 100 {
            0..=79 => "login",
            80..=94 => "signature",
            _ => "sms",
        };
        line.clear();
        writeln!(
            line,
            "{date}T{:02}:{:02}:{:02},{},{kind}",
            s / 3600,
            s / 60 % 60,
            s % 60,
            codes[party.min(codes.len() - 1)]
        )?;
        file.write_all(&line)?;
    }
    file.flush()
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}
