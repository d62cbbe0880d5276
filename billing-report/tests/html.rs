//! The report page (issue 15): a sample page with the four chart kinds (the 14 Kalmar parties,
//! a cash flow over 2011, a scenario's differences, and 290 municipalities), read back as XML.
//! It must be well-formed, reference nothing outside itself, carry every chart's figures in a
//! table the chart points at, escape every text, and come out byte for byte the same twice.
//! Then headless Chromium opens it: no console message, and screenshots at 1280 and 390 px.
//!
//! Chromium is Debian's `chromium` (`.ci/run` installs it). Without it the browser test fails
//! when `CI` is set, and says loudly that it did not run otherwise.

// Amounts are written in öre as kronor_öre (`45_000_00` is 45 000,00 kr).
#![allow(clippy::inconsistent_digit_grouping)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use billing_core::Money;
use billing_report::document::Language;
use billing_report::html::{
    render, Cell, Chart, DivergingBar, DivergingBars, LineChart, ModelError, PairedBar, PairedBars,
    ReportPage, Section, StackedBars, Table,
};
use chrono::NaiveDate;
use quick_xml::events::Event;
use rust_decimal::{Decimal, RoundingStrategy};

const HOSTILE: &str = "<script>alert(1)</script> & \"x\"";

// ---------------------------------------------------------------------------------------------
// The sample page.

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("testdata")
}

/// `(name, population)` of each row of a CSV with `name` and `population` columns; parties
/// without a population (federations, regions) get one of 0.
fn parties(path: &Path) -> Vec<(String, i64)> {
    let mut reader = csv::Reader::from_path(path).expect("the parties CSV");
    let headers = reader.headers().expect("a header row").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .expect("a column of that name")
    };
    let (name, population) = (col("name"), col("population"));
    reader
        .records()
        .map(|r| {
            let r = r.expect("a record");
            (
                r[name].to_owned(),
                r[population].parse::<i64>().unwrap_or(0),
            )
        })
        .collect()
}

fn kalmar() -> Vec<(String, i64)> {
    parties(&testdata().join("cases/kalmar-2010/Parties.csv"))
}

fn kr(ore: i64) -> Money {
    Money::from_ore(i128::from(ore))
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::from_str(s).expect("a date")
}

/// Made-up but deterministic yearly costs of a party of `population` inhabitants: pools by
/// population, user fees, transactions, and a correction that is negative for every third
/// party (a credit).
fn costs(i: usize, population: i64) -> Vec<Money> {
    let pools = kr(population * 1_237 + 45_000_00);
    let users = kr(population * 211 + 7_50);
    let transactions = kr(population * 37 + i as i64 * 1_01);
    let fees = kr(if population > 0 { 25_000_00 } else { 10_000_00 });
    let correction = if i.is_multiple_of(3) {
        kr(-(population * 19 + 3_33))
    } else {
        kr(i as i64 * 1_234_56)
    };
    vec![pools, users, transactions, fees, correction]
}

fn categories() -> Vec<String> {
    [
        "Pooler",
        "Användaravgifter",
        "Transaktioner",
        "Samverkansavgifter",
        "Korrigeringar",
    ]
    .map(String::from)
    .to_vec()
}

fn stacked(caption: &str, parties: &[(String, i64)]) -> StackedBars {
    let mut chart = StackedBars::new(caption, categories());
    for (i, (name, population)) in parties.iter().enumerate() {
        chart
            .push(name.clone(), costs(i, *population))
            .expect("one value per category");
    }
    chart
}

fn shares(parties: &[(String, i64)]) -> PairedBars {
    let totals: Vec<Decimal> = parties
        .iter()
        .enumerate()
        .map(|(i, (_, p))| costs(i, *p).iter().sum::<Money>().to_decimal())
        .collect();
    let cost: Decimal = totals.iter().sum();
    let people: i64 = parties.iter().map(|(_, p)| p).sum();
    PairedBars {
        caption: "Andel av kostnaden och av befolkningen 2011".into(),
        first_name: "Andel av kostnaden".into(),
        second_name: "Andel av befolkningen".into(),
        bars: parties
            .iter()
            .zip(&totals)
            .map(|((name, population), total)| PairedBar {
                label: name.clone(),
                first: total / cost,
                second: Decimal::from(*population) / Decimal::from(people),
            })
            .collect(),
    }
}

/// The coordinator receives the advances at each month's end and pays the providers on the
/// 15th (so it starts the year below zero); the providers' balance grows by what they are paid.
fn cash_flow() -> LineChart {
    let mut coordinator = Vec::new();
    let mut providers = Vec::new();
    let (mut c, mut p) = (0_i64, 0_i64);
    for month in 1..=12u32 {
        let paid = 180_000_00 + i64::from(month) * 2_500_00;
        c -= paid;
        p += paid;
        let d15 = NaiveDate::from_ymd_opt(2011, month, 15).expect("a date");
        coordinator.push((d15, kr(c)));
        providers.push((d15, kr(p)));
        let received = if month % 3 == 0 {
            640_000_00
        } else {
            150_000_50
        };
        c += received;
        let end = NaiveDate::from_ymd_opt(2011, month + 1, 1)
            .or(NaiveDate::from_ymd_opt(2012, 1, 1))
            .and_then(|d| d.pred_opt())
            .expect("a month's end");
        coordinator.push((end, kr(c)));
    }
    let mut chart = LineChart::new("Kassaflöde 2011: saldo efter varje betalning");
    chart
        .push("Samordnaren (Kalmar kommun)", coordinator)
        .expect("increasing dates");
    chart
        .push(format!("Leverantörerna {HOSTILE}"), providers)
        .expect("increasing dates");
    chart
}

fn scenario(parties: &[(String, i64)]) -> DivergingBars {
    let mut bars: Vec<DivergingBar> = parties
        .iter()
        .enumerate()
        .map(|(i, (name, population))| DivergingBar {
            label: name.clone(),
            value: if name.starts_with("Borgholm") {
                kr(-412_345_67)
            } else if i % 4 == 1 {
                kr(-(population * 150 + 99))
            } else if i % 5 == 2 {
                Money::ZERO
            } else {
                kr(population * 500 + 1)
            },
        })
        .collect();
    bars.push(DivergingBar {
        label: HOSTILE.into(),
        value: kr(-1_00),
    });
    DivergingBars {
        caption: "Scenario «Borgholm lämnar»: skillnad mot i dag per part 2012".into(),
        value_name: "Skillnad".into(),
        bars,
    }
}

fn plain_table() -> Table {
    let mut table = Table::new(
        "Scenariots regler",
        "Part",
        vec![
            "Regel".into(),
            "Befolkning".into(),
            "Andel".into(),
            "Från".into(),
            "Belopp".into(),
        ],
    );
    table
        .push_row(
            "Kalmar kommun",
            vec![
                Cell::Text("omfördelat överskott av Stockholms takbelopp".into()),
                Cell::Number(Decimal::from(66_571)),
                Cell::Share(Decimal::new(352, 4)),
                Cell::Date(date("2011-01-01")),
                Cell::Amount(kr(1_234_567_50)),
            ],
        )
        .expect("one cell per column");
    table
        .push_row(
            HOSTILE,
            vec![
                Cell::Text(HOSTILE.into()),
                Cell::Empty,
                Cell::Share(Decimal::ZERO),
                Cell::Empty,
                Cell::Amount(kr(-1)),
            ],
        )
        .expect("one cell per column");
    table
        .set_footer(
            "Summa",
            vec![
                Cell::Empty,
                Cell::Number(Decimal::from(66_571)),
                Cell::Share(Decimal::new(352, 4)),
                Cell::Empty,
                Cell::Amount(kr(1_234_567_49)),
            ],
        )
        .expect("one cell per column");
    table
}

fn sample() -> ReportPage {
    let kalmar = kalmar();
    let nation = parties(&testdata().join("municipalities-2016.csv"));
    assert_eq!(kalmar.len(), 14, "the 14 Kalmar parties");
    assert_eq!(nation.len(), 290, "the 290 municipalities");
    let section = |heading: &str, intro: Option<&str>, chart: Option<Chart>, table| Section {
        heading: heading.into(),
        intro: intro.map(String::from),
        chart,
        table,
    };
    ReportPage {
        title: "Kostnadsfördelning 2011".into(),
        subtitle: Some(format!("Kalmarsamverkan, uttaget 2011-12-31 ({HOSTILE})")),
        language: Language::Sv,
        sections: vec![
            section(
                "Kostnad per part",
                Some("Vad varje part betalar för 2011, per kostnadsslag. Korrigeringar kan vara negativa."),
                Some(Chart::Stacked(stacked("Kostnad per part och kostnadsslag 2011", &kalmar))),
                None,
            ),
            section(
                "Andelar",
                None,
                Some(Chart::Paired(shares(&kalmar[..12]))),
                None,
            ),
            section(
                "Kassaflöde",
                None,
                Some(Chart::Lines(cash_flow())),
                None,
            ),
            section(
                &format!("Scenario {HOSTILE}"),
                Some(HOSTILE),
                Some(Chart::Diverging(scenario(&kalmar))),
                Some(plain_table()),
            ),
            section(
                "Det nationella avtalet",
                Some("290 kommuner."),
                Some(Chart::Stacked(stacked("Kostnad per kommun 2016", &nation))),
                None,
            ),
        ],
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the page back.

/// What the page holds, read with an XML parser: each chart (an `svg` with `role="img"`) and
/// each table, by id.
#[derive(Default, Debug)]
struct Read {
    charts: Vec<SvgChart>,
    tables: BTreeMap<String, Vec<Vec<String>>>,
    captions: BTreeMap<String, String>,
    titles: BTreeMap<String, String>,
    lang: Option<String>,
    elements: usize,
}

#[derive(Default, Debug)]
struct SvgChart {
    labelled_by: String,
    described_by: String,
    view_box: String,
    /// The tooltips of the bars and points: `party, category: amount`.
    tips: Vec<String>,
    /// The bar labels and their baselines.
    labels: Vec<(String, Decimal)>,
    /// The bars and points with their tooltips: the tooltip and the element's attributes.
    marks: Vec<(String, BTreeMap<String, String>)>,
    /// The attributes of the zero lines.
    zeros: Vec<BTreeMap<String, String>>,
}

impl SvgChart {
    /// A number attribute of the mark whose tooltip is `tip`.
    fn mark(&self, tip: &str, attr: &str) -> Decimal {
        let (_, attrs) = self
            .marks
            .iter()
            .find(|(t, _)| t == tip)
            .unwrap_or_else(|| panic!("no mark {tip:?}"));
        Decimal::from_str(&attrs[attr]).expect("a number")
    }
}

/// Reads the page as XML (which it must be) and gathers what the tests look at.
fn parse(page: &str) -> Read {
    let mut reader = quick_xml::Reader::from_str(page);
    reader.config_mut().check_end_names = true;
    let mut out = Read::default();
    // The open elements with their attributes, and the text gathered for the innermost one.
    let mut stack: Vec<(String, BTreeMap<String, String>, String)> = Vec::new();
    let mut table: Option<(String, Vec<Vec<String>>)> = None;
    loop {
        let position = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => panic!("the page is not well-formed XML at byte {position}: {e}"),
        };
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            let name = e.name().as_ref().to_owned();
            let attrs: BTreeMap<String, String> = e
                .attributes()
                .map(|a| {
                    let a = a.expect("a well-formed attribute");
                    (
                        a.key.as_ref().to_owned(),
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .expect("an attribute value")
                            .into_owned(),
                    )
                })
                .collect();
            out.elements += 1;
            match name.as_str() {
                "html" => out.lang = attrs.get("lang").cloned(),
                "svg" if attrs.get("role").map(String::as_str) == Some("img") => {
                    out.charts.push(SvgChart {
                        labelled_by: attrs.get("aria-labelledby").cloned().unwrap_or_default(),
                        described_by: attrs.get("aria-describedby").cloned().unwrap_or_default(),
                        view_box: attrs.get("viewBox").cloned().unwrap_or_default(),
                        ..SvgChart::default()
                    })
                }
                "table" => table = Some((attrs.get("id").cloned().unwrap_or_default(), Vec::new())),
                "line" if attrs.get("class").map(String::as_str) == Some("zero") => {
                    if let Some(chart) = out.charts.last_mut() {
                        chart.zeros.push(attrs.clone());
                    }
                }
                "tr" => {
                    if let Some((_, rows)) = table.as_mut() {
                        rows.push(Vec::new());
                    }
                }
                _ => {}
            }
            stack.push((name, attrs, String::new()));
            if !empty {
                continue;
            }
        }
        let text = match &event {
            Event::Text(t) => Some(t.html_content().into_owned()),
            Event::GeneralRef(r) => Some(match r.resolve_char_ref().expect("a character") {
                Some(c) => c.to_string(),
                None => match r.html_content().as_ref() {
                    "lt" => "<".into(),
                    "gt" => ">".into(),
                    "amp" => "&".into(),
                    "quot" => "\"".into(),
                    "apos" => "'".into(),
                    other => panic!("a named entity the page must not use: &{other};"),
                },
            }),
            _ => None,
        };
        if let Some(text) = text {
            if let Some((_, _, gathered)) = stack.last_mut() {
                gathered.push_str(&text);
            }
            continue;
        }
        match event {
            Event::End(_) | Event::Empty(_) => {
                let (name, attrs, text) = stack.pop().expect("an open element");
                let parent = stack.last().map(|(n, _, _)| n.as_str()).unwrap_or("");
                match name.as_str() {
                    "th" | "td" => {
                        if let Some(row) = table.as_mut().and_then(|(_, rows)| rows.last_mut()) {
                            row.push(text.clone());
                        }
                    }
                    "caption" => {
                        if let Some((id, _)) = &table {
                            out.captions.insert(id.clone(), text.clone());
                        }
                    }
                    "table" => {
                        if let Some((id, rows)) = table.take() {
                            out.tables.insert(id, rows);
                        }
                    }
                    "title" => {
                        if let Some(id) = attrs.get("id") {
                            out.titles.insert(id.clone(), text.clone());
                        }
                        if matches!(parent, "rect" | "circle") {
                            let parent_attrs = stack.last().map(|(_, a, _)| a.clone());
                            if let Some(chart) = out.charts.last_mut() {
                                chart.tips.push(text.clone());
                                chart
                                    .marks
                                    .push((text.clone(), parent_attrs.unwrap_or_default()));
                            }
                        }
                    }
                    "text" if attrs.get("class").map(String::as_str) == Some("lbl") => {
                        let y = Decimal::from_str(attrs.get("y").map_or("", String::as_str))
                            .expect("a label's y");
                        if let Some(chart) = out.charts.last_mut() {
                            chart.labels.push((text.clone(), y));
                        }
                    }
                    _ => {}
                }
                // A parent element's text includes its children's (a cell's text, a caption).
                if let Some((_, _, gathered)) = stack.last_mut() {
                    if name != "title" {
                        gathered.push_str(&text);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    out
}

// ---------------------------------------------------------------------------------------------
// The figures a chart's table must show, computed here from the model.

fn amount(m: Money) -> String {
    format!("{} kr", m.to_swedish())
}

/// A share in per cent with two decimals, half away from zero, decimal comma.
fn percent(share: Decimal) -> String {
    let mut p = (share * Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    p.rescale(2);
    format!("{} %", p.to_string().replace('.', ","))
}

fn expected_grid(chart: &Chart) -> Vec<Vec<String>> {
    match chart {
        Chart::Stacked(c) => {
            let mut grid = vec![header(&["Part"], c.categories(), &["Summa"])];
            let mut sums = vec![Money::ZERO; c.categories().len()];
            for bar in c.bars() {
                let mut row = vec![bar.label().to_owned()];
                let mut total = Money::ZERO;
                for (k, v) in bar.values().iter().enumerate() {
                    row.push(amount(*v));
                    total += *v;
                    sums[k] += *v;
                }
                row.push(amount(total));
                grid.push(row);
            }
            let mut footer = vec!["Summa".to_owned()];
            footer.extend(sums.iter().map(|m| amount(*m)));
            footer.push(amount(sums.iter().sum()));
            grid.push(footer);
            grid
        }
        Chart::Paired(c) => {
            let mut grid = vec![header(
                &["Part"],
                &[c.first_name.clone(), c.second_name.clone()],
                &[],
            )];
            for b in &c.bars {
                grid.push(vec![b.label.clone(), percent(b.first), percent(b.second)]);
            }
            let first: Decimal = c.bars.iter().map(|b| b.first).sum();
            let second: Decimal = c.bars.iter().map(|b| b.second).sum();
            grid.push(vec!["Summa".into(), percent(first), percent(second)]);
            grid
        }
        Chart::Lines(c) => {
            let names: Vec<String> = c.series().iter().map(|s| s.name().to_owned()).collect();
            let mut grid = vec![header(&["Datum"], &names, &[])];
            let mut by_date: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
            for series in c.series() {
                for (d, _) in series.points() {
                    by_date.entry(*d).or_default();
                }
            }
            for (d, row) in by_date.iter_mut() {
                for series in c.series() {
                    // The balance on a date is the last one on or before it.
                    let last = series.points().iter().rev().find(|(p, _)| p <= d);
                    row.push(last.map_or(String::new(), |(_, v)| amount(*v)));
                }
            }
            for (d, row) in by_date {
                let mut r = vec![d.format("%Y-%m-%d").to_string()];
                r.extend(row);
                grid.push(r);
            }
            grid
        }
        Chart::Diverging(c) => {
            let mut grid = vec![header(&["Part"], std::slice::from_ref(&c.value_name), &[])];
            for b in &c.bars {
                grid.push(vec![b.label.clone(), amount(b.value)]);
            }
            grid.push(vec![
                "Summa".into(),
                amount(c.bars.iter().map(|b| b.value).sum()),
            ]);
            grid
        }
    }
}

fn header(first: &[&str], middle: &[String], last: &[&str]) -> Vec<String> {
    first
        .iter()
        .map(|s| s.to_string())
        .chain(middle.iter().cloned())
        .chain(last.iter().map(|s| s.to_string()))
        .collect()
}

/// The amounts the chart's tooltips show, in the chart's order.
fn expected_tips(chart: &Chart) -> Vec<String> {
    match chart {
        Chart::Stacked(c) => c
            .bars()
            .iter()
            .flat_map(|b| {
                b.values()
                    .iter()
                    .zip(c.categories())
                    .filter(|(v, _)| !v.is_zero())
                    .map(|(v, cat)| format!("{}, {cat}: {}", b.label(), amount(*v)))
                    .collect::<Vec<_>>()
            })
            .collect(),
        Chart::Paired(c) => c
            .bars
            .iter()
            .flat_map(|b| {
                [
                    format!("{}, {}: {}", b.label, c.first_name, percent(b.first)),
                    format!("{}, {}: {}", b.label, c.second_name, percent(b.second)),
                ]
            })
            .collect(),
        Chart::Lines(c) => c
            .series()
            .iter()
            .flat_map(|s| {
                s.points()
                    .iter()
                    .map(|(d, v)| format!("{}, {}: {}", s.name(), d.format("%Y-%m-%d"), amount(*v)))
                    .collect::<Vec<_>>()
            })
            .collect(),
        Chart::Diverging(c) => c
            .bars
            .iter()
            .filter(|b| !b.value.is_zero())
            .map(|b| format!("{}, {}: {}", b.label, c.value_name, amount(b.value)))
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// The page as a file.

#[test]
fn the_page_is_well_formed_self_contained_and_in_swedish() {
    let page = render(&sample());
    let read = parse(&page);
    assert!(page.starts_with("<!DOCTYPE html>\n"), "an HTML5 doctype");
    assert_eq!(read.lang.as_deref(), Some("sv"));
    assert!(read.elements > 5_000, "only {} elements", read.elements);
    // Nothing outside the file: the only URL is the SVG namespace.
    let svg_ns = "http://www.w3.org/2000/svg";
    let mut rest = page.as_str();
    let mut urls = 0;
    while let Some(at) = rest.find("http") {
        let tail = &rest[at..];
        if tail.starts_with("http://") || tail.starts_with("https://") {
            assert!(
                tail.starts_with(svg_ns),
                "a reference outside the page: {}",
                &tail[..tail.len().min(60)]
            );
            urls += 1;
        }
        rest = &tail[4..];
    }
    assert_eq!(urls, 5, "the SVG namespace once per chart");
    for banned in [
        "<script",
        "<link",
        "<img",
        "<iframe",
        "src=",
        "href=",
        "url(",
        "@import",
        "@font-face",
    ] {
        assert!(!page.contains(banned), "the page holds {banned:?}");
    }
    assert!(
        page.contains("default-src 'none'"),
        "a policy that forbids every load"
    );
    assert!(page.contains("@page { size: A4; "), "A4 print rules");
    assert!(page.contains("@media print"), "print rules");
}

#[test]
fn every_chart_points_at_a_table_with_the_same_figures() {
    let model = sample();
    let page = render(&model);
    let read = parse(&page);
    let charts: Vec<&Chart> = model
        .sections
        .iter()
        .filter_map(|s| s.chart.as_ref())
        .collect();
    assert_eq!(
        read.charts.len(),
        charts.len(),
        "one svg role=img per chart"
    );
    for (svg, chart) in read.charts.iter().zip(&charts) {
        let title = read
            .titles
            .get(&svg.labelled_by)
            .unwrap_or_else(|| panic!("aria-labelledby {:?} names no title", svg.labelled_by));
        assert_eq!(title, chart.caption());
        let table = read
            .tables
            .get(&svg.described_by)
            .unwrap_or_else(|| panic!("aria-describedby {:?} names no table", svg.described_by));
        assert_eq!(
            read.captions.get(&svg.described_by).map(String::as_str),
            Some(format!("Tabell: {}", chart.caption()).as_str())
        );
        // The whole table, cell by cell, as computed here from the model.
        let expected = expected_grid(chart);
        assert_eq!(table.len(), expected.len(), "{}: rows", chart.caption());
        for (row, want) in table.iter().zip(&expected) {
            assert_eq!(row, want, "{}", chart.caption());
        }
        // The chart's bars and points carry the same figures as tooltips.
        assert_eq!(svg.tips, expected_tips(chart), "{}", chart.caption());
        for tip in &svg.tips {
            let figure = tip.rsplit(": ").next().unwrap_or("");
            assert!(
                table.iter().flatten().any(|cell| cell == figure),
                "{}: the chart shows {figure:?}, the table does not",
                chart.caption()
            );
        }
    }
    // The table of a section without a chart, as given.
    let plain = read
        .tables
        .get("s4-table")
        .expect("the scenario's own table");
    assert_eq!(
        plain[1],
        [
            "Kalmar kommun",
            "omfördelat överskott av Stockholms takbelopp",
            "66 571",
            "3,52 %",
            "2011-01-01",
            "1 234 567,50 kr"
        ]
    );
    assert_eq!(plain[2], [HOSTILE, HOSTILE, "", "0,00 %", "", "-0,01 kr"]);
    assert_eq!(
        plain[3],
        ["Summa", "", "66 571", "3,52 %", "", "1 234 567,49 kr"]
    );
}

/// The row headings of a chart's table: the full names.
fn table_names<'a>(read: &'a Read, svg: &SvgChart) -> impl Iterator<Item = &'a String> {
    read.tables
        .get(&svg.described_by)
        .into_iter()
        .flat_map(|rows| rows.iter().filter_map(|r| r.first()))
}

#[test]
fn many_parties_grow_the_chart_and_labels_never_overlap() {
    let model = sample();
    let read = parse(&render(&model));
    for svg in &read.charts {
        let mut ys: Vec<Decimal> = svg.labels.iter().map(|(_, y)| *y).collect();
        ys.sort();
        for pair in ys.windows(2) {
            assert!(
                pair[1] - pair[0] >= Decimal::from(14),
                "labels {} and {} are closer than a line",
                pair[0],
                pair[1]
            );
        }
        // A label is a name whole, or a shorter start of it ending in an ellipsis; about 24
        // characters fit the column.
        for (label, _) in &svg.labels {
            let whole = table_names(&read, svg).any(|n| n == label);
            let cut = label.strip_suffix('…').is_some_and(|start| {
                table_names(&read, svg).any(|n| n.starts_with(start) && n != start)
            });
            assert!(whole || cut, "a label that is no name: {label:?}");
            assert!(label.chars().count() <= 28, "label too long: {label:?}");
        }
    }
    let nation = read.charts.last().expect("the national chart");
    assert_eq!(nation.labels.len(), 290, "one label per municipality");
    let height: i64 = nation
        .view_box
        .split(' ')
        .nth(3)
        .and_then(|h| h.parse().ok())
        .expect("a viewBox height");
    assert!(
        height >= 290 * 16,
        "the chart grows with its bars: {height}"
    );
    // A long name is shortened in the chart only; the table has it whole.
    let kalmar = &read.charts[0];
    assert!(
        kalmar
            .labels
            .iter()
            .any(|(l, _)| l.starts_with("Kalmarsunds gymnasie") && l.ends_with('…')),
        "{:?}",
        kalmar.labels
    );
    // Every municipality's name fits whole (the longest is "Skinnskattebergs kommun").
    let cut: Vec<&String> = nation
        .labels
        .iter()
        .map(|(l, _)| l)
        .filter(|l| l.ends_with('…'))
        .collect();
    assert!(cut.is_empty(), "shortened: {cut:?}");
    let table = read.tables.get(&kalmar.described_by).expect("its table");
    assert!(table
        .iter()
        .any(|row| row[0] == "Kalmarsunds gymnasieförbund"));
}

#[test]
fn negative_values_go_left_of_zero_and_widths_follow_the_values() {
    let mut stacked = StackedBars::new("Med kredit", vec!["Pooler".into(), "Korrigeringar".into()]);
    stacked
        .push("Nybro kommun", vec![kr(100_00), kr(-40_00)])
        .expect("two values");
    stacked
        .push("Emmaboda kommun", vec![kr(-10_00), kr(60_00)])
        .expect("two values");
    let diverging = DivergingBars {
        caption: "Skillnad".into(),
        value_name: "Skillnad".into(),
        bars: vec![
            DivergingBar {
                label: "Nybro kommun".into(),
                value: kr(30_00),
            },
            DivergingBar {
                label: "Emmaboda kommun".into(),
                value: kr(-90_00),
            },
        ],
    };
    let mut lines = LineChart::new("Saldo");
    lines
        .push(
            "Samordnaren",
            vec![
                (date("2011-01-15"), kr(-50_00)),
                (date("2011-06-30"), kr(150_00)),
            ],
        )
        .expect("increasing dates");
    let page = ReportPage {
        title: "Tecken".into(),
        subtitle: None,
        language: Language::Sv,
        sections: [
            Chart::Stacked(stacked),
            Chart::Diverging(diverging),
            Chart::Lines(lines),
        ]
        .into_iter()
        .map(|chart| Section {
            heading: chart.caption().to_owned(),
            intro: None,
            chart: Some(chart),
            table: None,
        })
        .collect(),
    };
    let read = parse(&render(&page));
    let zero_x = |svg: &SvgChart| {
        let xs: Vec<&String> = svg.zeros.iter().map(|z| &z["x1"]).collect();
        assert_eq!(xs.len(), 1, "one zero line");
        Decimal::from_str(xs[0]).expect("a number")
    };
    let right = |svg: &SvgChart, tip: &str| svg.mark(tip, "x") + svg.mark(tip, "width");
    let one_hundredth = Decimal::new(1, 2);

    let svg = &read.charts[0];
    let zero = zero_x(svg);
    let pools = "Nybro kommun, Pooler: 100,00 kr";
    let credit = "Nybro kommun, Korrigeringar: -40,00 kr";
    assert_eq!(
        svg.mark(pools, "x"),
        zero,
        "a positive value starts at zero"
    );
    assert_eq!(right(svg, credit), zero, "a negative value ends at zero");
    let ratio = svg.mark(pools, "width") * Decimal::from(40)
        - svg.mark(credit, "width") * Decimal::from(100);
    assert!(
        ratio.abs() <= Decimal::from(140) * one_hundredth,
        "widths in proportion: {ratio}"
    );
    // The negative value listed first still goes left, the positive one right.
    assert_eq!(right(svg, "Emmaboda kommun, Pooler: -10,00 kr"), zero);
    assert_eq!(
        svg.mark("Emmaboda kommun, Korrigeringar: 60,00 kr", "x"),
        zero
    );

    let svg = &read.charts[1];
    let zero = zero_x(svg);
    assert_eq!(svg.mark("Nybro kommun, Skillnad: 30,00 kr", "x"), zero);
    assert_eq!(right(svg, "Emmaboda kommun, Skillnad: -90,00 kr"), zero);
    assert_eq!(
        svg.marks
            .iter()
            .map(|(_, a)| a["class"].as_str())
            .collect::<Vec<_>>(),
        ["up", "down"]
    );

    let svg = &read.charts[2];
    let zero = Decimal::from_str(&svg.zeros[0]["y1"]).expect("a number");
    let low = svg.mark("Samordnaren, 2011-01-15: -50,00 kr", "cy");
    let high = svg.mark("Samordnaren, 2011-06-30: 150,00 kr", "cy");
    assert!(
        high < zero && zero < low,
        "up is more: {high} < {zero} < {low}"
    );
    assert!(
        svg.mark("Samordnaren, 2011-01-15: -50,00 kr", "cx")
            < svg.mark("Samordnaren, 2011-06-30: 150,00 kr", "cx")
    );
}

#[test]
fn hostile_names_are_escaped_everywhere() {
    let page = render(&sample());
    assert!(!page.contains("<script"), "an unescaped script tag");
    assert!(!page.contains("alert(1)</"), "an unescaped end tag");
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;";
    assert!(
        page.matches(escaped).count() >= 8,
        "the name in every place it is used"
    );
    // Read back, it is the same text again.
    let read = parse(&page);
    let scenario = read
        .tables
        .get("s4-data")
        .expect("the scenario's chart table");
    assert_eq!(scenario[scenario.len() - 2][0], HOSTILE);
    let cash = read.tables.get("s3-data").expect("the cash-flow table");
    assert_eq!(cash[0][2], format!("Leverantörerna {HOSTILE}"));
    assert!(
        page.contains(&format!("<h2 id=\"s4-h\">Scenario {escaped}</h2>")),
        "the section heading"
    );
}

#[test]
fn the_same_model_gives_the_same_bytes() {
    let a = render(&sample());
    let b = render(&sample().clone());
    assert_eq!(a.len(), b.len());
    assert!(a == b, "two renderings differ");
    // And a different model gives a different page.
    let mut other = sample();
    other.title.push('!');
    assert_ne!(render(&other), a);
}

#[test]
fn models_that_break_their_invariants_are_refused() {
    let mut chart = StackedBars::new("x", categories());
    let err = chart
        .push("Kalmar kommun", vec![Money::ZERO; 4])
        .expect_err("four values for five categories");
    assert_eq!(
        err.to_string(),
        "stacked bar \"Kalmar kommun\": 4 values for 5 columns"
    );
    assert!(chart.bars().is_empty(), "nothing added");
    let mut lines = LineChart::new("x");
    let err = lines
        .push(
            "Samordnaren",
            vec![(date("2011-02-01"), kr(1)), (date("2011-02-01"), kr(2))],
        )
        .expect_err("a date twice");
    assert!(matches!(err, ModelError::DatesNotIncreasing { .. }));
    assert_eq!(
        err.to_string(),
        "series \"Samordnaren\": dates must increase, 2011-02-01 follows 2011-02-01"
    );
    let mut table = Table::new("x", "Part", vec!["a".into(), "b".into()]);
    let err = table
        .push_row("Nybro kommun", vec![Cell::Empty])
        .expect_err("one cell for two columns");
    assert_eq!(
        err.to_string(),
        "table row \"Nybro kommun\": 1 values for 2 columns"
    );
}

#[test]
fn an_empty_page_and_empty_charts_still_render() {
    let empty = ReportPage {
        title: "Tom".into(),
        subtitle: None,
        language: Language::En,
        sections: vec![
            Section {
                heading: "Inget".into(),
                intro: None,
                chart: Some(Chart::Lines(LineChart::new("Inga betalningar"))),
                table: None,
            },
            Section {
                heading: "Noll".into(),
                intro: None,
                chart: Some(Chart::Diverging(DivergingBars {
                    caption: "Ingen skillnad".into(),
                    value_name: "Skillnad".into(),
                    bars: vec![DivergingBar {
                        label: "A".into(),
                        value: Money::ZERO,
                    }],
                })),
                table: None,
            },
        ],
    };
    let page = render(&empty);
    let read = parse(&page);
    assert_eq!(read.lang.as_deref(), Some("en"));
    assert_eq!(read.charts.len(), 2);
    assert_eq!(read.tables["s2-data"][2], ["Total", "0,00 SEK"]);
}

// ---------------------------------------------------------------------------------------------
// The page in a browser.

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

/// What Chromium did: its exit status, what it wrote (the DOM with `--dump-dom`) and its log.
struct Browsed {
    status: std::process::ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs headless Chromium on `file` with `args`, in a new empty profile, logging to stderr
/// (into files: a pipe that nobody reads would stall it); kills it after two minutes.
fn browse(chromium: &Path, scratch: &Path, args: &[String], file: &Path) -> Browsed {
    let profile = tempfile::tempdir_in(scratch).expect("a profile folder");
    let out_path = profile.path().join("stdout.txt");
    let err_path = profile.path().join("stderr.txt");
    let stdout = std::fs::File::create(&out_path).expect("a stdout file");
    let stderr = std::fs::File::create(&err_path).expect("a stderr file");
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
        .stdout(stdout)
        .stderr(stderr)
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
            panic!("chromium did not finish within two minutes: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    Browsed {
        status,
        stdout: read(&out_path),
        stderr: read(&err_path),
    }
}

/// The console messages Chromium logged (errors, warnings, refused loads, uncaught exceptions).
fn console(output: &Browsed) -> Vec<String> {
    output
        .stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .map(String::from)
        .collect()
}

/// Width, height and the number of distinct colours (up to 1000) of a PNG.
fn png_facts(path: &Path) -> (u32, u32, usize) {
    let file = std::fs::File::open(path).expect("the screenshot");
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a buffer size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let bytes = &buf[..info.buffer_size()];
    let step = info.color_type.samples();
    let mut colours = std::collections::BTreeSet::new();
    for px in bytes.chunks(step) {
        colours.insert(px.to_vec());
        if colours.len() >= 1000 {
            break;
        }
    }
    (info.width, info.height, colours.len())
}

#[test]
fn chromium_shows_the_page_without_console_messages() {
    let Some(chromium) = chromium() else {
        return;
    };
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let dir = scratch.path();
    // The detector works: a page whose script fails and a page that asks for an image outside
    // itself both leave console messages.
    let control = dir.join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><html><body><script>notDefinedAnywhere();</script></body></html>",
    )
    .expect("write the control page");
    let out = browse(&chromium, dir, &["--dump-dom".into()], &control);
    assert!(
        console(&out)
            .iter()
            .any(|l| l.contains("Uncaught ReferenceError")),
        "the console detector missed an uncaught error: {}",
        out.stderr
    );
    let page = render(&sample());
    let refused = dir.join("refused.html");
    std::fs::write(
        &refused,
        page.replacen(
            "<main>",
            "<main><img src=\"https://example.invalid/x.png\" alt=\"\"/>",
            1,
        ),
    )
    .expect("write the refused page");
    let out = browse(&chromium, dir, &["--dump-dom".into()], &refused);
    assert!(
        console(&out)
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "the page's policy did not refuse an outside image: {}",
        out.stderr
    );

    // The page itself: no console message, and the DOM Chromium built holds every chart and
    // its table.
    let file = dir.join("year-2011.html");
    std::fs::write(&file, &page).expect("write the page");
    let out = browse(&chromium, dir, &["--dump-dom".into()], &file);
    assert!(out.status.success(), "chromium failed: {:?}", out.status);
    assert_eq!(console(&out), Vec::<String>::new(), "console messages");
    let dom = &out.stdout;
    assert_eq!(
        dom.matches("role=\"img\"").count(),
        5,
        "five charts in the DOM"
    );
    for id in [
        "s1-data", "s2-data", "s3-data", "s4-data", "s5-data", "s4-table",
    ] {
        assert!(
            dom.contains(&format!("<table id=\"{id}\">")),
            "table {id} in the DOM"
        );
    }

    // Screenshots at a desktop and a phone width; kept for a person to look at when
    // `HTML_SCREENSHOTS` names a folder.
    let keep = std::env::var_os("HTML_SCREENSHOTS").map(PathBuf::from);
    for width in [1280u32, 390] {
        let shot = dir.join(format!("page-{width}.png"));
        let out = browse(
            &chromium,
            dir,
            &[
                format!("--screenshot={}", shot.display()),
                format!("--window-size={width},2000"),
            ],
            &file,
        );
        assert!(out.status.success(), "chromium failed: {:?}", out.status);
        assert_eq!(
            console(&out),
            Vec::<String>::new(),
            "console messages at {width} px"
        );
        let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
        assert!(
            size > 20_000,
            "screenshot at {width} px is only {size} bytes"
        );
        let (w, h, colours) = png_facts(&shot);
        assert_eq!((w, h), (width, 2000), "screenshot size");
        assert!(
            colours > 50,
            "screenshot at {width} px has {colours} colours: blank?"
        );
        if let Some(keep) = &keep {
            std::fs::create_dir_all(keep).expect("the screenshot folder");
            std::fs::write(keep.join("page.html"), &page).expect("keep the page");
            std::fs::copy(&shot, keep.join(format!("page-{width}.png"))).expect("keep it");
        }
    }
}
