//! Where invoices are booked: the optional `Accounts` sheet (`Konton`), rows of what (a pool
//! id, `user_fee`, `transactions`, `cooperation`, `rounding`, `receivable`, `vat_25`, `vat_12`,
//! `vat_6`) → a four-digit BAS account and an optional cost centre; everything not given keeps
//! the BAS chart's default ([`Chart::bas`]). Used by the SIE 4 export and `lines.csv`.

use std::collections::BTreeMap;

use crate::sie::{Account, Chart, CostCentre, LineBooking};

/// The fixed names the `what` column accepts besides pool ids.
pub const NAMES: &[&str] = &[
    "user_fee",
    "transactions",
    "cooperation",
    "rounding",
    "receivable",
    "vat_25",
    "vat_12",
    "vat_6",
];

/// One row of the Accounts sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRow {
    /// The account.
    pub account: Account,
    /// The cost centre, if any.
    pub cost_centre: Option<String>,
    /// The account's name for `#KONTO`, if given.
    pub name: Option<String>,
    /// Where the row is (`Accounts!A2`).
    pub place: String,
}

/// The Accounts sheet read: by what (a pool id or one of [`NAMES`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Accounts {
    /// The rows, by what.
    pub rows: BTreeMap<String, AccountRow>,
}

/// What an invoice line is booked as, from the pool id its explanation names: `user_fee` for
/// user fees and their corrections, `transactions` for transaction lines, `cooperation` for a
/// cooperation's fee, otherwise the pool id itself.
pub fn what_of(pool: &str) -> &str {
    if pool.starts_with("user-fee") {
        "user_fee"
    } else if pool.starts_with("transactions:") {
        "transactions"
    } else if pool.starts_with("fee:") {
        "cooperation"
    } else {
        pool
    }
}

impl Accounts {
    /// The BAS chart with the receivable, rounding and output VAT accounts this sheet gives,
    /// and a name for every account it names (its own name, BAS's, or one made from what it
    /// books).
    pub fn chart(&self) -> Chart {
        let mut chart = Chart::bas();
        for (what, row) in &self.rows {
            match what.as_str() {
                "receivable" => chart.receivable = row.account,
                "rounding" => chart.rounding = row.account,
                "vat_25" => chart.vat_25 = row.account,
                "vat_12" => chart.vat_12 = row.account,
                "vat_6" => chart.vat_6 = row.account,
                _ => {}
            }
            let name = match (&row.name, chart.names.get(&row.account)) {
                (Some(n), _) => n.clone(),
                (None, Some(_)) => continue,
                (None, None) => match what.as_str() {
                    "user_fee" => "Användaravgifter".to_owned(),
                    "transactions" => "Transaktionsavgifter".to_owned(),
                    "cooperation" => "Samverkansavgifter".to_owned(),
                    "receivable" => "Kundfordringar".to_owned(),
                    "rounding" => "Öres- och kronutjämning".to_owned(),
                    "vat_25" | "vat_12" | "vat_6" => {
                        format!("Utgående moms {} %", &what[4..])
                    }
                    pool => format!("Försäljning {pool}"),
                },
            };
            chart.names.insert(row.account, name);
        }
        chart
    }

    /// Where a line whose explanation names `pool` is booked: the account and cost centre of
    /// its row, or none (the chart's income account for its VAT).
    pub fn booking(&self, pool: &str) -> LineBooking {
        match self.rows.get(what_of(pool)) {
            Some(row) => LineBooking {
                account: Some(row.account),
                cost_centre: row.cost_centre.clone(),
            },
            None => LineBooking::default(),
        }
    }

    /// The cost centres named, for `#DIM 1` / `#OBJEKT`.
    pub fn cost_centres(&self) -> Vec<CostCentre> {
        let mut ids: Vec<&String> = self
            .rows
            .values()
            .filter_map(|r| r.cost_centre.as_ref())
            .collect();
        ids.sort();
        ids.dedup();
        ids.into_iter()
            .map(|id| CostCentre {
                id: id.clone(),
                name: format!("Kostnadsställe {id}"),
            })
            .collect()
    }
}
