//! `billing-report verify`: an untouched output folder passes; one öre changed in `lines.csv`
//! or in an invoice workbook is found, with file, place and both values, and exit code 1.

mod audit_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use calamine::{Data, Reader, Xlsx};

use audit_support::{generated_inputs, scratch};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_billing-report"))
        .args(args)
        .output()
        .expect("run billing-report")
}

fn text(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// A draft output folder of the `caps` agreement on 2026-01-01.
fn draft_output(test: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(test);
    let inputs = generated_inputs(&dir);
    let (_, input, dates) = inputs
        .iter()
        .find(|i| i.0 == "caps")
        .expect("the caps input");
    let out = dir.join("out");
    let date = dates[0].to_string();
    let run = cli(&["run", text(input), "--date", &date, "--out", text(&out)]);
    assert!(run.status.success(), "run: {run:?}");
    (input.clone(), out)
}

fn verify(input: &Path, out: &Path) -> (i32, String) {
    let o = cli(&["verify", text(input), text(out)]);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    (o.status.code().unwrap_or(-1), stdout)
}

/// Rewrites a workbook cell by cell (values only) with one number changed.
fn rewrite_xlsx(path: &Path, sheet: &str, change: impl Fn(f64) -> Option<f64>) -> String {
    rewrite_xlsx_with(path, sheet, |f| change(f).map(Data::Float))
}

/// Rewrites a workbook cell by cell (values only, each of its type) with the first number of
/// `sheet` that `change` answers replaced by its answer.
fn rewrite_xlsx_with(path: &Path, sheet: &str, change: impl Fn(f64) -> Option<Data>) -> String {
    let bytes = std::fs::read(path).expect("read the workbook");
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("an xlsx");
    let mut out = rust_xlsxwriter::Workbook::new();
    let mut changed = String::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).expect("a sheet");
        let ws = out.add_worksheet();
        ws.set_name(&name).expect("the sheet's name");
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (r, c, v) in range.used_cells() {
            let (r, c) = (r0 + r as u32, (c0 as usize + c) as u16);
            match v {
                Data::Float(f) => {
                    let new = if name == sheet && changed.is_empty() {
                        change(*f)
                    } else {
                        None
                    };
                    match new {
                        Some(n) => {
                            changed = format!("{name} row {} col {}: {f} → {n:?}", r + 1, c + 1);
                            match n {
                                Data::Float(x) => ws.write_number(r, c, x).expect("a number"),
                                other => ws.write_string(r, c, other.to_string()).expect("a text"),
                            };
                        }
                        None => {
                            ws.write_number(r, c, *f).expect("a number");
                        }
                    }
                }
                Data::Int(i) => {
                    ws.write_number(r, c, *i as f64).expect("a number");
                }
                Data::Bool(b) => {
                    ws.write_boolean(r, c, *b).expect("a boolean");
                }
                Data::DateTime(d) => {
                    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
                    ws.write_number_with_format(r, c, d.as_f64(), &date)
                        .expect("a date");
                }
                Data::Empty => {}
                other => {
                    ws.write_string(r, c, other.to_string()).expect("a text");
                }
            }
        }
    }
    std::fs::write(path, out.save_to_buffer().expect("save")).expect("write the workbook");
    changed
}

#[test]
fn an_untouched_output_passes() {
    let (input, out) = draft_output("verify-untouched");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.is_empty(), "{stdout}");
}

#[test]
fn one_ore_changed_in_lines_csv_is_found() {
    let (input, out) = draft_output("verify-lines-csv");
    let path = out.join("lines.csv");
    let csv = std::fs::read_to_string(&path).expect("lines.csv");
    // b's part of p1 (a, the coordinator, is never invoiced: R15).
    assert!(csv.contains(",33.33,25,8.33,"), "{csv}");
    std::fs::write(&path, csv.replacen(",33.33,25,8.33,", ",33.34,25,8.33,", 1)).expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stdout.trim(),
        r#"lines.csv: row 3, amount: recomputed "33.33", found "33.34""#
    );
}

#[test]
fn one_ore_changed_in_an_invoice_workbook_is_found() {
    let (input, out) = draft_output("verify-invoice-xlsx");
    let path = out.join("invoices/a-b.xlsx");
    // Beta's share of the equal split of 100 kr, first met as the unit price (1 × 33.33 kr):
    // 33.33 → 33.32.
    let changed = rewrite_xlsx(&path, "Faktura", |f| (f == 33.33).then_some(33.32));
    assert!(
        !changed.is_empty(),
        "no cell of 33.33 in {}",
        path.display()
    );
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(r#"invoices/a-b.xlsx: Faktura!E"#)
            && stdout.contains(r#"recomputed "33.33", found "33.32""#),
        "{changed}:\n{stdout}"
    );
    // Only that cell: rewriting a workbook keeps every other value.
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
}

#[test]
fn a_changed_audit_figure_and_a_missing_file_are_found() {
    let (input, out) = draft_output("verify-audit");
    std::fs::remove_file(out.join("overview.xlsx")).expect("remove");
    let changed = rewrite_xlsx(&out.join("audit.xlsx"), "Kostnadspost 1", |f| {
        (f == 33.34).then_some(33.35)
    });
    assert!(!changed.is_empty());
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(r#"overview.xlsx: recomputed "a file", found "no file""#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"audit.xlsx: Kostnadspost 1!"#),
        "{stdout}"
    );
}

#[test]
fn a_folder_without_invoices_json_is_an_error() {
    let (input, out) = draft_output("verify-no-json");
    std::fs::remove_file(out.join("invoices.json")).expect("remove");
    let o = cli(&["verify", text(&input), text(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("invoices.json"));
}

#[test]
fn an_issued_output_passes_with_its_numbers() {
    let dir = scratch("verify-issued");
    let input = dir.join("agreement");
    std::fs::create_dir_all(&input).expect("folder");
    for (name, body) in [
        (
            "Settings.csv",
            "setting,value\nname,Utfärdat\nissuer,0180\nstart,2026-01-01\nfirst_invoice_number,1001\n",
        ),
        (
            "Parties.csv",
            "id,name,org_nr,population,street,postcode,city,buyer_reference\n0180,Stockholm,212000-0142,900000,Box 1,111 11,Stockholm,A1\n1480,Göteborg,212000-1355,580000,Box 2,411 11,Göteborg,B2\n1280,Malmö,212000-1124,350000,Box 3,211 11,Malmö,C3\n",
        ),
        (
            "Pools.csv",
            "id,name,amount,due,key\nsys,System,1000000.01,2026-01-01,population\n",
        ),
    ] {
        std::fs::write(input.join(name), body).expect("write");
    }
    let out = dir.join("out");
    let issue = cli(&[
        "issue",
        text(&input),
        "--date",
        "2026-01-01",
        "--out",
        text(&out),
        "--new-register",
    ]);
    assert!(issue.status.success(), "issue: {issue:?}");
    let json = std::fs::read_to_string(out.join("invoices.json")).expect("invoices.json");
    assert!(json.contains("\"number\": 1001"), "{json}");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 0, "{stdout}");
    // Issuing again would take new numbers; verify must not: the register is unchanged.
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 0, "{stdout}");
}

/// B2: verify compared only the cached values of workbooks, so an audit workbook whose
/// formulas were all replaced by their values passed.
#[test]
fn a_formula_replaced_by_its_value_is_found() {
    let (input, out) = draft_output("verify-formula-as-value");
    let path = out.join("audit.xlsx");
    rewrite_xlsx(&path, "", |_| None);
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("audit.xlsx: Kostnadspost 1!") && l.contains("(formula)"))
        .unwrap_or_else(|| panic!("no formula difference in Pool 1:\n{stdout}"));
    assert!(
        line.contains(r#"recomputed "="#) && line.ends_with(r#"found "no formula""#),
        "{line}"
    );
}

/// B2: a file whose bytes differ but whose content reads back the same was not reported, and
/// verify exited 0.
#[test]
fn a_workbook_with_other_bytes_and_the_same_cells_is_found() {
    let (input, out) = draft_output("verify-other-bytes");
    let path = out.join("overview.xlsx");
    let mut bytes = std::fs::read(&path).expect("overview.xlsx");
    // Trailing bytes after the zip's end record: the workbook still reads back the same.
    bytes.extend_from_slice(b"\0\0");
    std::fs::write(&path, &bytes).expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("overview.xlsx: recomputed \"")
            && stdout.contains("other bytes (the same cells and formulas read back)"),
        "{stdout}"
    );
}

/// B9: a CSV line with one more (empty) field than recomputed read the same as the line
/// without it.
#[test]
fn an_extra_trailing_empty_field_in_a_csv_line_is_found() {
    let (input, out) = draft_output("verify-csv-extra-field");
    let path = out.join("lines.csv");
    let csv = std::fs::read_to_string(&path).expect("lines.csv");
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    lines[2].push(',');
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.trim().starts_with("lines.csv: row 3, field ")
            && stdout
                .trim()
                .ends_with(r#": recomputed "no field", found (empty)"#),
        "{stdout}"
    );
}

/// B9: a missing CSV line was reported with its first field only, not the line.
#[test]
fn a_missing_csv_line_is_reported_with_its_content() {
    let (input, out) = draft_output("verify-csv-missing-line");
    let path = out.join("lines.csv");
    let csv = std::fs::read_to_string(&path).expect("lines.csv");
    let lines: Vec<&str> = csv.lines().collect();
    let (last, kept) = lines.split_last().expect("lines");
    std::fs::write(&path, kept.join("\n") + "\n").expect("write");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stdout.trim(),
        format!(
            "lines.csv: row {}: recomputed {:?}, found \"no line\"",
            lines.len(),
            last
        )
    );
}

/// B9: a number of a workbook rewritten as the same text passed.
#[test]
fn a_number_rewritten_as_text_in_a_workbook_is_found() {
    let (input, out) = draft_output("verify-number-as-text");
    let path = out.join("invoices/a-b.xlsx");
    let changed = rewrite_xlsx_with(&path, "Faktura", |f| {
        (f == 33.33).then(|| Data::String("33.33".to_owned()))
    });
    assert!(!changed.is_empty(), "no cell of 33.33");
    let (code, stdout) = verify(&input, &out);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("invoices/a-b.xlsx: Faktura!E")
            && stdout.contains(r#"recomputed "33.33 (number)", found "33.33 (text)""#),
        "{changed}:\n{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
}

/// B3: an issued folder was recomputed with the numbers it claimed itself, so a folder whose
/// register was lost (or never issued those numbers) passed.
#[test]
fn an_issued_folder_claiming_numbers_the_register_did_not_issue_is_found() {
    let dir = scratch("verify-issued-unregistered");
    let input = dir.join("agreement");
    std::fs::create_dir_all(&input).expect("folder");
    for (name, body) in [
        (
            "Settings.csv",
            "setting,value\nname,Utfärdat\nissuer,0180\nstart,2026-01-01\nfirst_invoice_number,1001\n",
        ),
        (
            "Parties.csv",
            "id,name,org_nr,population,street,postcode,city,buyer_reference\n0180,Stockholm,212000-0142,900000,Box 1,111 11,Stockholm,A1\n1480,Göteborg,212000-1355,580000,Box 2,411 11,Göteborg,B2\n",
        ),
        (
            "Pools.csv",
            "id,name,amount,due,key\nsys,System,1000,2026-01-01,population\n",
        ),
    ] {
        std::fs::write(input.join(name), body).expect("write");
    }
    let out = dir.join("out");
    let register = dir.join("register.sqlite");
    let issue = cli(&[
        "issue",
        text(&input),
        "--date",
        "2026-01-01",
        "--out",
        text(&out),
        "--register",
        text(&register),
        "--new-register",
    ]);
    assert!(issue.status.success(), "issue: {issue:?}");
    let with = |reg: &Path| {
        let o = cli(&["verify", text(&input), text(&out), "--register", text(reg)]);
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, stdout) = with(&register);
    assert_eq!(code, Some(0), "{stdout}");
    // Another register, which issued nothing on the date: the folder's numbers are not its.
    let (code, stdout) = with(&dir.join("other.sqlite"));
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("invoices.json: invoices[0].number: recomputed \"null\", found \"1001\""),
        "{stdout}"
    );
}
