//! Writing the year report (`billing-report year`): `year-Y.xlsx`, one sheet per view with live
//! sums, and `year-Y.html`, the report page of [`crate::html`]; and the overview page `run`
//! writes for its date. The figures come from [`billing_core::year`]; this module only lays
//! them out, in Swedish.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_xlsxwriter::utility::row_col_to_cell;
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, Formula, Workbook, Worksheet, XlsxError,
};

use billing_core::invoice::Invoice;
use billing_core::invoice::LineKind;
use billing_core::year::{Comparison, Cost, PartyYear, YearReport};
use billing_core::{Money, PartyId};

use crate::compute::Draft;
use crate::document::Language;
use crate::html::{
    render, Cell, Chart, DivergingBar, DivergingBars, LineChart, PairedBar, PairedBars, ReportPage,
    Section, StackedBars, Table,
};
use crate::output::{money_f64, OutputError};
use crate::workbook::Input;

/// The files of a year report: `year-Y.xlsx` and `year-Y.html`.
///
/// # Errors
/// A workbook that cannot be written, an amount that cannot be written exactly, or a chart
/// whose figures break its invariants.
pub fn render_year(input: &Input, c: &Comparison) -> Result<Vec<(String, Vec<u8>)>, OutputError> {
    let y = c.base.year;
    let xlsx_name = format!("year-{y}.xlsx");
    let html_name = format!("year-{y}.html");
    let xlsx = year_workbook(input, c).map_err(|e| OutputError::Xlsx {
        path: xlsx_name.clone(),
        message: e.to_string(),
    })?;
    let page = year_page(input, c).map_err(|message| OutputError::Xlsx {
        path: html_name.clone(),
        message,
    })?;
    Ok(vec![
        (xlsx_name, xlsx),
        (html_name, render(&page).into_bytes()),
    ])
}

/// The cost columns of a party's year, in order: each pool, then the user fees, transactions
/// and cooperation fees; with their Swedish headings.
/// A cost column: its heading and how to read it from a party's year.
type Column<'a> = (String, Box<dyn Fn(&PartyYear) -> Money + 'a>);

fn cost_columns(r: &YearReport) -> Vec<Column<'_>> {
    let mut out: Vec<Column<'_>> = Vec::new();
    for (id, name) in &r.pools {
        if id.starts_with("fee:") {
            continue;
        }
        let id = id.clone();
        out.push((
            name.clone(),
            Box::new(move |p: &PartyYear| p.pools.get(&id).copied().unwrap_or(Money::ZERO)),
        ));
    }
    out.push((
        "Användaravgift i förskott".to_owned(),
        Box::new(|p| p.advance),
    ));
    out.push(("Korrigeringar".to_owned(), Box::new(|p| p.corrections)));
    out.push(("Transaktioner".to_owned(), Box::new(|p| p.transactions)));
    out.push(("Samverkansavgifter".to_owned(), Box::new(|p| p.cooperation)));
    // A cost nobody pays this year is left out (the pools are those charged in the year).
    out.retain(|(_, get)| r.parties.iter().any(|p| get(p) != Money::ZERO));
    out
}

fn status(p: &PartyYear) -> &'static str {
    match (p.borne_by_issuer, p.issued) {
        (true, _) => "bärs av samordnaren (R15)",
        (false, true) => "fakturerat",
        (false, false) => "prognos",
    }
}

fn label(p: &PartyYear) -> String {
    if p.borne_by_issuer {
        format!("{} (egen andel)", p.name)
    } else {
        p.name.clone()
    }
}

fn share(per_cent: Decimal) -> Decimal {
    per_cent / Decimal::ONE_HUNDRED
}

/// The year report as a page.
///
/// # Errors
/// A chart or table whose figures break its invariants, in words.
pub fn year_page(input: &Input, c: &Comparison) -> Result<ReportPage, String> {
    let r = &c.base;
    let y = r.year;
    let e = |e: crate::html::ModelError| e.to_string();
    let mut sections = Vec::new();

    // Costs per party, stacked by cost, with every column in the table beside it.
    let columns = cost_columns(r);
    let mut categories: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
    categories.push("Moms".to_owned());
    let mut stacked = StackedBars::new(
        format!("Kostnad per part {y}, per kostnadsslag"),
        categories,
    );
    let heads: Vec<String> = ["Totalt", "Andel av allt före moms", "Status"]
        .map(str::to_owned)
        .to_vec();
    let mut table = Table::new(format!("Varje parts totala kostnad {y}"), "Part", heads);
    let mut sum = Money::ZERO;
    for p in &r.parties {
        let mut values: Vec<Money> = columns.iter().map(|(_, f)| f(p)).collect();
        values.push(p.vat);
        stacked.push(label(p), values).map_err(e)?;
        sum += p.total;
        table
            .push_row(
                label(p),
                vec![
                    Cell::Amount(p.total),
                    Cell::Share(share(p.share)),
                    Cell::Text(status(p).to_owned()),
                ],
            )
            .map_err(e)?;
    }
    table
        .set_footer("Summa", vec![Cell::Amount(sum), Cell::Empty, Cell::Empty])
        .map_err(e)?;
    sections.push(Section {
        heading: format!("Vad varje part betalar för {y}"),
        intro: Some(
            "Varje rad räknas till det år dess period börjar; en kostnadspost utan period till \
             sitt budgetår, annars till fakturadagen. Öresavrundning ingår inte. \
             Fakturerat: fakturadagen finns i fakturaregistret; prognos: beräknat från \
             avtalet som det ser ut i dag. Samordnarens egen andel faktureras inte (R15)."
                .to_owned(),
        ),
        chart: Some(Chart::Stacked(stacked)),
        table: Some(table),
    });

    // Shares against population shares.
    let bars: Vec<PairedBar> = r
        .parties
        .iter()
        .filter_map(|p| {
            p.population_share.map(|pop| PairedBar {
                label: label(p),
                first: share(p.share),
                second: share(pop),
            })
        })
        .collect();
    if !bars.is_empty() {
        sections.push(Section {
            heading: "Andel av kostnaden och av befolkningen".to_owned(),
            intro: Some(
                "Andelen av alla parters kostnad före moms jämförd med andelen av \
                 befolkningen (parter utan folkmängd visas inte)."
                    .to_owned(),
            ),
            chart: Some(Chart::Paired(PairedBars {
                caption: format!("Andel av kostnaden {y} och av befolkningen"),
                first_name: "Andel av kostnaden".to_owned(),
                second_name: "Andel av befolkningen".to_owned(),
                bars,
            })),
            table: None,
        });
    }

    // The change against the year before.
    let change = DivergingBars {
        caption: format!("Förändring mot {}", y - 1),
        value_name: "Förändring".to_owned(),
        bars: r
            .parties
            .iter()
            .map(|p| DivergingBar {
                label: label(p),
                value: p.change,
            })
            .collect(),
    };
    let mut change_table = Table::new(
        format!("Totalt {} och {y}", y - 1),
        "Part",
        vec![
            format!("{}", y - 1),
            format!("{y}"),
            "Förändring".to_owned(),
            "Förändring i procent".to_owned(),
        ],
    );
    for p in &r.parties {
        change_table
            .push_row(
                label(p),
                vec![
                    Cell::Amount(p.previous_total),
                    Cell::Amount(p.total),
                    Cell::Amount(p.change),
                    p.change_percent
                        .map_or(Cell::Empty, |x| Cell::Share(share(x))),
                ],
            )
            .map_err(e)?;
    }
    sections.push(Section {
        heading: format!("Förändring mot {}", y - 1),
        intro: None,
        chart: Some(Chart::Diverging(change)),
        table: Some(change_table),
    });

    // Cash flow of the coordinator and the providers (R10).
    let mut lines = LineChart::new(format!("Saldo för samordnare och leverantörer {y}"));
    for cf in &r.cash_flow {
        if cf.entries.is_empty() {
            continue;
        }
        let points: Vec<(NaiveDate, Money)> = cf.entries.iter().map(|e| (e.0, e.3)).collect();
        lines
            .push(party_name(input, &cf.party), points)
            .map_err(e)?;
    }
    if !lines.series().is_empty() {
        sections.push(Section {
            heading: format!("Kassaflöde {y}"),
            intro: Some(
                "Samordnarens och leverantörernas saldo efter varje fakturadag: in från \
                 parterna, ut till leverantörerna i efterskott (R10)."
                    .to_owned(),
            ),
            chart: Some(Chart::Lines(lines)),
            table: None,
        });
    }

    // Scenarios.
    for s in &c.scenarios {
        let mut t = Table::new(
            format!("Scenario: {}", s.name),
            "Part",
            ["I dag", "Scenario", "Skillnad", "Procent", "Regel"]
                .map(str::to_owned)
                .to_vec(),
        );
        for d in &s.differences {
            t.push_row(
                d.name.clone(),
                vec![
                    Cell::Amount(d.base),
                    Cell::Amount(d.scenario),
                    Cell::Amount(d.difference),
                    d.percent.map_or(Cell::Empty, |x| Cell::Share(share(x))),
                    Cell::Text(d.reasons.join("; ")),
                ],
            )
            .map_err(e)?;
        }
        sections.push(Section {
            heading: format!("Scenario: {}", s.name),
            intro: Some(format!(
                "Ändringar: {}. Fakturerade rader står kvar som fakturerade.",
                describe_changes(s.name.as_str(), input)
            )),
            chart: Some(Chart::Diverging(DivergingBars {
                caption: format!("Skillnad mot i dag: {}", s.name),
                value_name: "Skillnad".to_owned(),
                bars: s
                    .differences
                    .iter()
                    .map(|d| DivergingBar {
                        label: d.name.clone(),
                        value: d.difference,
                    })
                    .collect(),
            })),
            table: Some(t),
        });
    }
    Ok(ReportPage {
        title: format!("Kostnadsfördelning {y}"),
        subtitle: Some(input.settings.name.clone()),
        language: Language::Sv,
        sections,
    })
}

fn party_name(input: &Input, id: &PartyId) -> String {
    input
        .agreement
        .party(id)
        .map_or_else(|| id.to_string(), |p| p.name.clone())
}

/// The rows of a scenario, in Swedish words.
fn describe_changes(name: &str, input: &Input) -> String {
    use billing_core::year::Change;
    let Some(s) = input.scenarios.iter().find(|s| s.name == name) else {
        return String::new();
    };
    s.changes
        .iter()
        .map(|c| match &c.change {
            Change::Join { party, day, .. } => format!("{} går med {day}", party.name),
            Change::Notice { party, day } => {
                format!("{} säger upp avtalet {day}", party_name(input, party))
            }
            Change::PoolAmount { pool, .. } => format!("kostnadsposten {pool} ändras"),
            Change::Budget { from, .. } => format!("budgeten ändras från {from}"),
            Change::Cap { pool, .. } => format!("taket för {pool} ändras"),
            Change::Excess { pool, policy } => format!("överskottet av {pool}: {policy}"),
            Change::Threshold { from, amount } => {
                format!("tröskelvärdet {} kr från {from}", amount.to_swedish())
            }
            Change::Users { party, users, .. } => {
                format!("{} har {users} användare", party_name(input, party))
            }
            Change::Population { party, population } => {
                format!("{} har {population} invånare", party_name(input, party))
            }
            Change::Key { pool, .. } => format!("ny nyckel för {pool}"),
            _ => "en ändring".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

struct Formats {
    bold: Format,
    money: Format,
    money_bold: Format,
    per_cent: Format,
    title: Format,
}

fn formats() -> Formats {
    Formats {
        bold: Format::new().set_bold(),
        money: Format::new()
            .set_num_format("# ##0.00")
            .set_align(FormatAlign::Right),
        money_bold: Format::new().set_num_format("# ##0.00").set_bold(),
        per_cent: Format::new().set_num_format("0.00"),
        title: Format::new().set_bold().set_font_size(16),
    }
}

fn write_money(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    m: Money,
    f: &Format,
) -> Result<(), XlsxError> {
    ws.write_number_with_format(row, col, money_f64(m)?, f)?;
    Ok(())
}

/// `=SUM(first:last)` of a column, with its value cached.
fn write_sum(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    (first, last): (u32, u32),
    value: Money,
    f: &Format,
) -> Result<(), XlsxError> {
    let formula = if last < first {
        Formula::new("=0").set_result("0")
    } else {
        Formula::new(format!(
            "=SUM({}:{})",
            row_col_to_cell(first, col),
            row_col_to_cell(last, col)
        ))
        .set_result(value.to_string())
    };
    ws.write_formula_with_format(row, col, formula, f)?;
    Ok(())
}

fn per_cent(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    v: Option<Decimal>,
    f: &Format,
) -> Result<(), XlsxError> {
    if let Some(v) = v {
        let x: f64 = v.to_string().parse().unwrap_or(0.0);
        ws.write_number_with_format(row, col, x, f)?;
    }
    Ok(())
}

fn year_workbook(input: &Input, c: &Comparison) -> Result<Vec<u8>, XlsxError> {
    let r = &c.base;
    let y = r.year;
    let f = formats();
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(u16::try_from(y).unwrap_or(2000), 1, 1)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("Kostnadsfördelning {y}"))
            .set_author("billing-report")
            .set_creation_datetime(&created),
    );

    // Costs: one row per party, live sums.
    let ws = wb.add_worksheet().set_name("Kostnader")?;
    ws.set_landscape()
        .set_paper_size(9)
        .set_print_fit_to_pages(1, 0);
    ws.write_string_with_format(
        0,
        0,
        format!("{}: kostnadsfördelning {y}", input.settings.name),
        &f.title,
    )?;
    let columns = cost_columns(r);
    let head = 2u32;
    let mut heads = vec!["Part".to_owned(), "Namn".to_owned()];
    heads.extend(columns.iter().map(|(n, _)| n.clone()));
    heads.extend(["Netto", "Moms", "Totalt", "Status"].map(str::to_owned));
    for (i, h) in heads.iter().enumerate() {
        ws.write_string_with_format(head, i as u16, h, &f.bold)?;
        ws.set_column_width(i as u16, if i == 1 { 30 } else { 16 })?;
    }
    let first = head + 1;
    let n = columns.len() as u16;
    let net_col = 2 + n;
    let mut row = first;
    for p in &r.parties {
        ws.write_string(row, 0, p.party.as_str())?;
        ws.write_string(row, 1, label(p))?;
        for (j, (_, get)) in columns.iter().enumerate() {
            write_money(ws, row, 2 + j as u16, get(p), &f.money)?;
        }
        let net = Formula::new(format!(
            "=SUM({}:{})",
            row_col_to_cell(row, 2),
            row_col_to_cell(row, net_col - 1)
        ))
        .set_result(p.net.to_string());
        ws.write_formula_with_format(row, net_col, net, &f.money)?;
        write_money(ws, row, net_col + 1, p.vat, &f.money)?;
        let total = Formula::new(format!(
            "={}+{}",
            row_col_to_cell(row, net_col),
            row_col_to_cell(row, net_col + 1)
        ))
        .set_result(p.total.to_string());
        ws.write_formula_with_format(row, net_col + 2, total, &f.money)?;
        ws.write_string(row, net_col + 3, status(p))?;
        row += 1;
    }
    ws.write_string_with_format(row, 0, "Summa", &f.bold)?;
    for (j, (_, get)) in columns.iter().enumerate() {
        let sum: Money = r.parties.iter().map(get).sum();
        write_sum(ws, row, 2 + j as u16, (first, row - 1), sum, &f.money_bold)?;
    }
    let nets: Money = r.parties.iter().map(|p| p.net).sum();
    let vats: Money = r.parties.iter().map(|p| p.vat).sum();
    write_sum(ws, row, net_col, (first, row - 1), nets, &f.money_bold)?;
    write_sum(ws, row, net_col + 1, (first, row - 1), vats, &f.money_bold)?;
    write_sum(
        ws,
        row,
        net_col + 2,
        (first, row - 1),
        nets + vats,
        &f.money_bold,
    )?;

    // Shares.
    let ws = wb.add_worksheet().set_name("Andelar")?;
    let pools: Vec<&(billing_core::PoolId, String)> = r.pools.iter().collect();
    let mut heads = vec!["Part".to_owned(), "Namn".to_owned()];
    heads.extend(pools.iter().map(|(_, n)| format!("{n} (%)")));
    heads.extend(["Andel av allt (%)", "Andel av befolkningen (%)"].map(str::to_owned));
    for (i, h) in heads.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, h, &f.bold)?;
        ws.set_column_width(i as u16, if i == 1 { 30 } else { 16 })?;
    }
    for (i, p) in r.parties.iter().enumerate() {
        let row = 1 + i as u32;
        ws.write_string(row, 0, p.party.as_str())?;
        ws.write_string(row, 1, label(p))?;
        for (j, (id, _)) in pools.iter().enumerate() {
            per_cent(
                ws,
                row,
                2 + j as u16,
                p.pool_shares.get(id).copied(),
                &f.per_cent,
            )?;
        }
        let k = 2 + pools.len() as u16;
        per_cent(ws, row, k, Some(p.share), &f.per_cent)?;
        per_cent(ws, row, k + 1, p.population_share, &f.per_cent)?;
    }

    // Change against the year before.
    let ws = wb.add_worksheet().set_name("Förändring")?;
    let heads = [
        "Part",
        "Namn",
        &format!("Totalt {}", y - 1),
        &format!("Totalt {y}"),
        "Förändring",
        "Förändring (%)",
    ];
    for (i, h) in heads.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, *h, &f.bold)?;
        ws.set_column_width(i as u16, if i == 1 { 30 } else { 16 })?;
    }
    let mut row = 1u32;
    for p in &r.parties {
        ws.write_string(row, 0, p.party.as_str())?;
        ws.write_string(row, 1, label(p))?;
        write_money(ws, row, 2, p.previous_total, &f.money)?;
        write_money(ws, row, 3, p.total, &f.money)?;
        let change = Formula::new(format!(
            "={}-{}",
            row_col_to_cell(row, 3),
            row_col_to_cell(row, 2)
        ))
        .set_result(p.change.to_string());
        ws.write_formula_with_format(row, 4, change, &f.money)?;
        per_cent(ws, row, 5, p.change_percent, &f.per_cent)?;
        row += 1;
    }
    ws.write_string_with_format(row, 0, "Summa", &f.bold)?;
    let prev: Money = r.parties.iter().map(|p| p.previous_total).sum();
    let now: Money = r.parties.iter().map(|p| p.total).sum();
    write_sum(ws, row, 2, (1, row - 1), prev, &f.money_bold)?;
    write_sum(ws, row, 3, (1, row - 1), now, &f.money_bold)?;
    write_sum(ws, row, 4, (1, row - 1), now - prev, &f.money_bold)?;

    // Cash flow.
    let ws = wb.add_worksheet().set_name("Kassaflöde")?;
    for (i, h) in ["Part", "Namn", "Datum", "In", "Ut", "Saldo"]
        .iter()
        .enumerate()
    {
        ws.write_string_with_format(0, i as u16, *h, &f.bold)?;
        ws.set_column_width(i as u16, if i == 1 { 30 } else { 16 })?;
    }
    let mut row = 1u32;
    for cf in &r.cash_flow {
        ws.write_string(row, 0, cf.party.as_str())?;
        ws.write_string(row, 1, party_name(input, &cf.party))?;
        ws.write_string(row, 2, format!("ingående {}", y))?;
        write_money(ws, row, 5, cf.opening, &f.money)?;
        row += 1;
        for (d, i, o, b) in &cf.entries {
            ws.write_string(row, 0, cf.party.as_str())?;
            ws.write_string(row, 1, party_name(input, &cf.party))?;
            ws.write_string(row, 2, d.to_string())?;
            write_money(ws, row, 3, *i, &f.money)?;
            write_money(ws, row, 4, *o, &f.money)?;
            write_money(ws, row, 5, *b, &f.money)?;
            row += 1;
        }
    }

    // Every line of the year.
    let ws = wb.add_worksheet().set_name("Rader")?;
    let heads = [
        "Part",
        "Fakturadag",
        "Kostnadsslag",
        "Text",
        "Belopp",
        "Moms",
        "Status",
    ];
    for (i, h) in heads.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, *h, &f.bold)?;
        ws.set_column_width(i as u16, if i == 3 { 50 } else { 16 })?;
    }
    let mut row = 1u32;
    for l in r.lines.iter().filter(|l| l.year == y) {
        ws.write_string(row, 0, l.party.as_str())?;
        ws.write_string(row, 1, l.invoice_date.to_string())?;
        ws.write_string(row, 2, cost_name(&l.cost))?;
        ws.write_string(row, 3, l.description.get(Language::Sv))?;
        write_money(ws, row, 4, l.amount, &f.money)?;
        write_money(ws, row, 5, l.vat, &f.money)?;
        let s = match (l.borne_by_issuer, l.issued) {
            (true, _) => "bärs av samordnaren (R15)",
            (false, true) => "fakturerat",
            (false, false) => "prognos",
        };
        ws.write_string(row, 6, s)?;
        row += 1;
    }
    let amount: Money = r
        .lines
        .iter()
        .filter(|l| l.year == y)
        .map(|l| l.amount)
        .sum();
    let vat: Money = r.lines.iter().filter(|l| l.year == y).map(|l| l.vat).sum();
    ws.write_string_with_format(row, 0, "Summa", &f.bold)?;
    write_sum(ws, row, 4, (1, row - 1), amount, &f.money_bold)?;
    write_sum(ws, row, 5, (1, row - 1), vat, &f.money_bold)?;

    // One sheet per scenario.
    for (k, s) in c.scenarios.iter().enumerate() {
        let name: String = format!("Scenario {} {}", k + 1, s.name)
            .chars()
            .filter(|c| !"[]:*?/\\'".contains(*c))
            .take(31)
            .collect();
        let ws = wb.add_worksheet().set_name(name.trim_end())?;
        ws.write_string_with_format(0, 0, format!("Scenario: {}", s.name), &f.title)?;
        let heads = [
            "Part", "Namn", "I dag", "Scenario", "Skillnad", "Procent", "Regel",
        ];
        for (i, h) in heads.iter().enumerate() {
            ws.write_string_with_format(2, i as u16, *h, &f.bold)?;
            ws.set_column_width(
                i as u16,
                match i {
                    1 => 30,
                    6 => 70,
                    _ => 16,
                },
            )?;
        }
        let first = 3u32;
        let mut row = first;
        for d in &s.differences {
            ws.write_string(row, 0, d.party.as_str())?;
            ws.write_string(row, 1, &d.name)?;
            write_money(ws, row, 2, d.base, &f.money)?;
            write_money(ws, row, 3, d.scenario, &f.money)?;
            let diff = Formula::new(format!(
                "={}-{}",
                row_col_to_cell(row, 3),
                row_col_to_cell(row, 2)
            ))
            .set_result(d.difference.to_string());
            ws.write_formula_with_format(row, 4, diff, &f.money)?;
            per_cent(ws, row, 5, d.percent, &f.per_cent)?;
            ws.write_string(row, 6, d.reasons.join("; "))?;
            row += 1;
        }
        ws.write_string_with_format(row, 0, "Summa", &f.bold)?;
        let base: Money = s.differences.iter().map(|d| d.base).sum();
        let scen: Money = s.differences.iter().map(|d| d.scenario).sum();
        write_sum(ws, row, 2, (first, row - 1), base, &f.money_bold)?;
        write_sum(ws, row, 3, (first, row - 1), scen, &f.money_bold)?;
        write_sum(ws, row, 4, (first, row - 1), scen - base, &f.money_bold)?;
    }
    wb.save_to_buffer()
}

fn cost_name(c: &Cost) -> String {
    match c {
        Cost::Pool(id) => format!("kostnadspost {id}"),
        Cost::Cooperation(id) => format!("samverkansavgift {id}"),
        Cost::Advance => "användaravgift i förskott".to_owned(),
        Cost::Correction => "korrigering".to_owned(),
        _ => "transaktioner".to_owned(),
    }
}

/// The overview page `run` writes for its date: each party's invoice by cost, the shares of
/// the date against the population shares, and the cash flow up to the date.
///
/// # Errors
/// A chart or table whose figures break its invariants, in words.
pub fn overview_page(input: &Input, draft: &Draft) -> Result<ReportPage, String> {
    let e = |e: crate::html::ModelError| e.to_string();
    let d = draft.date;
    let categories: Vec<String> = [
        "Kostnadsposter",
        "Användaravgifter",
        "Transaktioner och övrigt",
        "Moms",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut stacked = StackedBars::new(
        format!("Fakturor {d}, per kostnadsslag"),
        categories.clone(),
    );
    let mut heads = categories;
    heads.extend(["Att betala", "Status"].map(str::to_owned));
    let mut table = Table::new(format!("Fakturorna {d}"), "Part", heads);
    let own = draft.issuer_share.iter().map(|i| (i, true));
    let invoices = draft
        .invoices
        .iter()
        .filter(|i| i.issuer == input.settings.issuer)
        .map(|i| (i, false))
        .chain(own);
    let mut per_party: Vec<(String, Vec<Money>, Money, bool, &PartyId)> = Vec::new();
    for (inv, own) in invoices {
        let v = by_cost(inv);
        per_party.push((
            party_name(input, &inv.buyer),
            v,
            inv.payable,
            own,
            &inv.buyer,
        ));
    }
    let mut sums = vec![Money::ZERO; 5];
    for (name, v, payable, own, _) in &per_party {
        let label = if *own {
            format!("{name} (egen andel)")
        } else {
            name.clone()
        };
        stacked.push(label.clone(), v.clone()).map_err(e)?;
        let mut cells: Vec<Cell> = v.iter().copied().map(Cell::Amount).collect();
        cells.push(Cell::Amount(*payable));
        cells.push(Cell::Text(
            if *own {
                "bärs av samordnaren (R15)"
            } else {
                "faktura"
            }
            .to_owned(),
        ));
        for (s, x) in sums
            .iter_mut()
            .zip(v.iter().chain(std::iter::once(payable)))
        {
            *s += *x;
        }
        table.push_row(label, cells).map_err(e)?;
    }
    let mut footer: Vec<Cell> = sums.into_iter().map(Cell::Amount).collect();
    footer.push(Cell::Empty);
    table.set_footer("Summa", footer).map_err(e)?;
    let mut sections = vec![Section {
        heading: format!("Fakturor {d}"),
        intro: Some(
            "Varje parts faktura per kostnadsslag. Samordnarens egen andel beräknas som en \
             faktura men faktureras inte (R15)."
                .to_owned(),
        ),
        chart: Some(Chart::Stacked(stacked)),
        table: Some(table),
    }];
    let net_total: Money = per_party
        .iter()
        .map(|p| p.1[..3].iter().copied().sum::<Money>())
        .sum();
    let population_total: u64 = input
        .agreement
        .parties()
        .iter()
        .filter_map(|p| p.population.as_ref().map(|x| x.count))
        .sum();
    if net_total != Money::ZERO && population_total > 0 {
        let bars: Vec<PairedBar> = per_party
            .iter()
            .filter_map(|(name, v, _, _, id)| {
                let pop = input.agreement.party(id)?.population.as_ref()?.count;
                let net: Money = v[..3].iter().copied().sum();
                Some(PairedBar {
                    label: name.clone(),
                    first: (net.to_decimal() / net_total.to_decimal()).round_dp(6),
                    second: (Decimal::from(pop) / Decimal::from(population_total)).round_dp(6),
                })
            })
            .collect();
        if !bars.is_empty() {
            sections.push(Section {
                heading: "Andel av dagens fakturor och av befolkningen".to_owned(),
                intro: None,
                chart: Some(Chart::Paired(PairedBars {
                    caption: format!("Andel av fakturorna {d} och av befolkningen"),
                    first_name: "Andel av fakturorna".to_owned(),
                    second_name: "Andel av befolkningen".to_owned(),
                    bars,
                })),
                table: None,
            });
        }
    }
    let mut lines = LineChart::new(format!("Saldo för samordnare och leverantörer till {d}"));
    let mut cash: Vec<&PartyId> = input.provider_costs.iter().map(|c| &c.provider).collect();
    cash.push(&input.settings.issuer);
    cash.sort();
    cash.dedup();
    for t in draft.timeline.iter().filter(|t| cash.contains(&&t.party)) {
        let points: Vec<(NaiveDate, Money)> =
            t.entries.iter().map(|x| (x.date, x.balance)).collect();
        if !points.is_empty() {
            lines.push(party_name(input, &t.party), points).map_err(e)?;
        }
    }
    if !lines.series().is_empty() {
        sections.push(Section {
            heading: "Kassaflöde".to_owned(),
            intro: Some(format!(
                "Samordnarens och leverantörernas saldo från avtalets början till {d} (R10)."
            )),
            chart: Some(Chart::Lines(lines)),
            table: None,
        });
    }
    Ok(ReportPage {
        title: format!("Översikt {d}"),
        subtitle: Some(format!(
            "{}, utkast {} (år {})",
            input.settings.name,
            d,
            d.year()
        )),
        language: Language::Sv,
        sections,
    })
}

/// An invoice's lines by cost: pools, user fees, transactions and other, VAT.
fn by_cost(inv: &Invoice) -> Vec<Money> {
    let mut v = vec![Money::ZERO; 4];
    for l in &inv.lines {
        let k = match l.kind {
            LineKind::Pool => 0,
            LineKind::Advance | LineKind::Correction => 1,
            _ => 2,
        };
        v[k] += l.amount;
    }
    v[3] = inv.vat_total;
    v
}
