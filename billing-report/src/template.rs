//! `billing-report template`: a ready-to-fill agreement workbook with every sheet, its headers,
//! one example row, drop-downs for keys and policies, number and date formats, and an
//! instructions sheet. The template passes `billing-report check` as it is.

use std::path::Path;

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DocProperties, ExcelDateTime, Format, Workbook,
    XlsxError,
};

use crate::output::{write_file, OutputError};
use crate::workbook::{SETTINGS, SHEETS};

/// One example value: text, a number, a date or a money amount.
enum V {
    T(&'static str),
    N(f64),
    D(u16, u8, u8),
    M(f64),
    E,
}

/// The example row of each sheet, column by column as in [`SHEETS`].
fn example(sheet: &str) -> Vec<V> {
    use V::*;
    match sheet {
        "Parties" => vec![
            T("0180"),
            T("Stockholms kommun"),
            T("212000-0142"),
            T("municipality"),
            N(935_619.0),
            D(2016, 12, 31),
            N(10.0),
            E,
            E,
            E,
            T("coordinator"),
        ],
        "Pools" => vec![
            T("system-2026"),
            T("Systemkostnad 2026"),
            M(100_000.0),
            D(2026, 1, 1),
            T("population"),
            E,
            T("lou"),
            T("redistribute"),
            N(2026.0),
            T("0"),
            E,
            D(2026, 1, 1),
            D(2026, 12, 31),
        ],
        "Figures" => vec![T("0180"), T("licences"), N(10.0)],
        "FixedAmounts" => vec![T("fixed-pool-id"), T("0180"), M(1000.0)],
        "Budget" => vec![
            D(2026, 1, 1),
            T("Licenser"),
            M(120_000.0),
            D(2026, 1, 1),
            E,
            T("no"),
        ],
        "Users" => vec![T("0180"), T("user-1"), D(2026, 1, 1), E, E],
        "UserCounts" => vec![T("0180"), D(2026, 1, 1), N(10.0)],
        "Thresholds" => vec![D(2022, 2, 1), M(700_000.0)],
        "Tariffs" => vec![T("login"), N(0.3), D(2026, 1, 1), E],
        "Scenarios" => vec![
            T("budget +10 %"),
            T("budget"),
            E,
            E,
            D(2026, 1, 1),
            E,
            N(10.0),
            E,
            E,
            E,
            E,
        ],
        "Accounts" => vec![
            T("system-2026"),
            T("3010"),
            T("100"),
            T("Systemkostnader, samverkan"),
        ],
        "Cooperations" => vec![
            T("course-1"),
            T("Exempelsamverkan"),
            T("0180"),
            N(3.0),
            T("0180"),
            E,
            E,
            E,
            E,
        ],
        "ProviderCosts" => vec![
            T("0180"),
            T("Drift första halvåret"),
            D(2026, 5, 31),
            M(5000.0),
            T("0"),
        ],
        _ => Vec::new(),
    }
}

/// The example settings: name, value.
const EXAMPLE_SETTINGS: &[(&str, &str)] = &[
    ("name", "Exempelavtal"),
    ("issuer", "0180"),
    ("start", "2026-01-01"),
    ("currency", "SEK"),
    ("period_starts", "01-01, 07-01"),
    ("correction_policy", "next_invoice_count"),
    ("payment_days", "30"),
    ("fee_vat", "0"),
    ("round_totals", "no"),
    ("first_year_multiplier", "2"),
    ("notice_months", "12"),
    ("first_invoice_number", "1001"),
    ("ocr_length_digit", "yes"),
];

/// Writes the template to `path`, atomically.
///
/// # Errors
/// The file exists and `force` is not given, or it cannot be written.
pub fn write_template(path: &Path, force: bool) -> Result<(), OutputError> {
    let bytes = template_bytes().map_err(|e| OutputError::Xlsx {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    write_file(path, &bytes, force)
}

fn template_bytes() -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2026, 1, 1)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title("Agreement workbook")
            .set_author("billing-report")
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    let header = Format::new().set_bold().set_background_color("#DDEBF7");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let money = Format::new().set_num_format("# ##0.00");
    let title = Format::new().set_bold().set_font_size(16);

    let ws = wb.add_worksheet().set_name("Instructions")?;
    ws.set_column_width(0, 24)?;
    ws.set_column_width(1, 100)?;
    ws.write_string_with_format(0, 0, "Agreement workbook (avtalsarbetsbok)", &title)?;
    let mut r = 2;
    for line in [
        "Fill in one sheet per table. Headers may be in English or Swedish; numbers as numbers or as text like 1 234 567,50; dates as dates or as 2026-01-01.",
        "Replace the example rows. Then run: billing-report check THIS-FILE.xlsx — every problem is reported at once with its sheet and cell.",
        "Draft invoices: billing-report run THIS-FILE.xlsx --date 2026-01-01 --out OUT. Issue them: billing-report issue ... (numbers and register).",
        "User ids in the Users sheet are never printed anywhere: only counts.",
    ] {
        ws.write_string(r, 1, line)?;
        r += 1;
    }
    r += 1;
    ws.write_string_with_format(r, 0, "Settings", &bold)?;
    r += 1;
    for (name, aliases, about) in SETTINGS {
        ws.write_string(r, 0, *name)?;
        let aka = if aliases.is_empty() {
            String::new()
        } else {
            format!(" (also: {})", aliases.join(", "))
        };
        ws.write_string(r, 1, format!("{about}{aka}"))?;
        r += 1;
    }
    for spec in SHEETS {
        r += 1;
        ws.write_string_with_format(
            r,
            0,
            format!(
                "{}{}",
                spec.name,
                if spec.required { " (required)" } else { "" }
            ),
            &bold,
        )?;
        ws.write_string(r, 1, spec.about)?;
        r += 1;
        for c in spec.columns {
            ws.write_string(r, 0, c.name)?;
            ws.write_string(
                r,
                1,
                format!(
                    "{}{}{}",
                    if c.required { "required: " } else { "" },
                    c.about,
                    if c.aliases.is_empty() {
                        String::new()
                    } else {
                        format!(" (also: {})", c.aliases.join(", "))
                    }
                ),
            )?;
            r += 1;
        }
    }

    for spec in SHEETS {
        let ws = wb.add_worksheet().set_name(spec.name)?;
        for (c, col) in spec.columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, col.name, &header)?;
            ws.set_column_width(c as u16, 18)?;
        }
        ws.set_freeze_panes(1, 0)?;
        if spec.name == "Settings" {
            ws.set_column_width(0, 24)?;
            ws.set_column_width(1, 30)?;
            for (i, (k, v)) in EXAMPLE_SETTINGS.iter().enumerate() {
                ws.write_string(1 + i as u32, 0, *k)?;
                ws.write_string(1 + i as u32, 1, *v)?;
            }
            continue;
        }
        for (c, v) in example(spec.name).into_iter().enumerate() {
            let c = c as u16;
            match v {
                V::T(t) => {
                    ws.write_string(1, c, t)?;
                }
                V::N(n) => {
                    ws.write_number(1, c, n)?;
                }
                V::M(m) => {
                    ws.write_number_with_format(1, c, m, &money)?;
                }
                V::D(y, m, d) => {
                    ws.write_datetime_with_format(1, c, ExcelDateTime::from_ymd(y, m, d)?, &date)?;
                }
                V::E => {}
            }
        }
        // Formats and drop-downs for the first 1,000 rows.
        for (c, col) in spec.columns.iter().enumerate() {
            let c = c as u16;
            let list: Option<&[&str]> = match (spec.name, col.name) {
                ("Pools", "key") => Some(&[
                    "population",
                    "users",
                    "equal",
                    "fixed",
                    "weight:",
                    "direct:",
                ]),
                ("Pools", "excess") => Some(&["redistribute", "uncovered", "absorb:"]),
                ("Pools", "cap") => Some(&["lou"]),
                ("Pools" | "ProviderCosts", "vat") => Some(&["0", "6", "12", "25", "outside"]),
                ("Parties", "kind") => Some(&["municipality", "region", "federation", "other"]),
                ("Parties", "roles") => Some(&["coordinator", "operator", "manager"]),
                ("Budget", "inferred") => Some(&["yes", "no"]),
                _ => None,
            };
            if let Some(list) = list {
                // A warning, not a stop: `weight:<figure>`, `absorb:<party>` and amounts are
                // typed in full.
                let v = DataValidation::new()
                    .allow_list_strings(list)?
                    .set_error_style(DataValidationErrorStyle::Warning);
                ws.add_data_validation(1, c, 1000, c, &v)?;
            }
        }
    }
    wb.save_to_buffer()
}
