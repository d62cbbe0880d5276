//! Regressions of the computation through the command line, named after what broke.

mod common;

use common::*;

/// A copy of the Kalmar case's CSV tables in a fresh folder, with `edit` applied to one table.
fn kalmar_with(
    t: &tempfile::TempDir,
    table: &str,
    edit: impl Fn(String) -> String,
) -> std::path::PathBuf {
    let dir = t.path().join("kalmar");
    copy_case_csv("kalmar-2010", &dir);
    let path = dir.join(table);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(text)).unwrap();
    dir
}

/// Regression: entries were admitted before any notice was applied, so parties that had
/// already left still counted among the approvers of a later entry (R8: more than half of the
/// existing parties).
#[test]
fn approvals_of_parties_that_have_left_do_not_count() {
    let t = tmp();
    let dir = kalmar_with(&t, "Parties.csv", |text| {
        let mut out: String = text
            .lines()
            .map(|l| {
                if l.starts_with("0821,") {
                    // Högsby gives notice on 2011-05-15: its last day is 2012-05-15.
                    let mut cells: Vec<&str> = l.split(',').collect();
                    cells[8] = "2011-05-15";
                    cells.join(",")
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        out.push_str("\nlate3,Late,,municipality,,,2013-01-01,\"0821,0885,0834,0840,0860,0861,0862,0880\",,\n");
        out
    });
    let run = cli(&["check", s(&dir)]).expect(1);
    assert!(
        run.stderr.contains(
            "entry of party late3: approval by 0821, which is not an existing party on 2013-01-01"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("approval by 0885"), "{}", run.stderr);
}

/// Regression: a registration's last day of 9999-12-31 (a common "no end") made `check`
/// compute every half-year up to it, which took hours.
#[test]
fn a_far_last_day_does_not_stretch_the_check() {
    let t = tmp();
    let dir = kalmar_with(&t, "Users.csv", |text| {
        text + "0821,late-9,2011-01-01,9999-12-31,\n"
    });
    cli(&["check", s(&dir)]).expect(0);
    let (input, _) = billing_report::workbook::load(&dir).unwrap();
    let dates = billing_report::compute::billing_dates(&input);
    // Register dates count up to five years past the last pool (2012-07-01).
    let last = dates.last().unwrap().to_string();
    assert!(last.as_str() <= "2017-07-01", "billed up to {last}");
}
