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

/// Regression: duplicates were merged silently — two tables for one sheet (the first found
/// won), a repeated Figures row (the last won), budget rows disagreeing on the user count (the
/// last won). Each is an error now, all reported together; an unknown table is a warning.
#[test]
fn duplicates_are_errors_and_unknown_tables_warnings() {
    let t = tmp();
    let dir = kalmar_with(&t, "Budget.csv", |text| {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let header: Vec<&str> = lines[0].split(',').collect();
        let users = header.iter().position(|h| *h == "users");
        // Give the first line 90 users and the second 91, if the column exists.
        if let Some(u) = users {
            for (i, n) in [(1, "90"), (2, "91")] {
                let mut cells: Vec<String> = lines[i].split(',').map(str::to_owned).collect();
                cells[u] = n.to_owned();
                lines[i] = cells.join(",");
            }
        } else {
            lines[0].push_str(",users");
            lines[1].push_str(",90");
            lines[2].push_str(",91");
            for l in lines.iter_mut().skip(3) {
                l.push(',');
            }
        }
        lines.join("\n") + "\n"
    });
    std::fs::write(
        dir.join("Figures.csv"),
        "party,figure,value\n0880,beds,10\n0880,beds,12\n",
    )
    .unwrap();
    std::fs::copy(dir.join("Users.csv"), dir.join("Användarregister.csv")).unwrap();
    std::fs::write(dir.join("Anvandare.csv"), "a,b\n1,2\n").unwrap();
    let run = cli(&["check", s(&dir)]).expect(1);
    let err = &run.stderr;
    assert!(err.contains("the sheet Users is given 2 times"), "{err}");
    assert!(
        err.contains("Figures!B3: party 0880 has the figure beds twice (first at Figures!C2)"),
        "{err}"
    );
    assert!(err.contains("already has 90 users"), "{err}");
    assert!(
        err.contains("error: ")
            && err.contains("Anvandare: unknown sheet: did you mean Users (Användare)?"),
        "{err}"
    );
}
