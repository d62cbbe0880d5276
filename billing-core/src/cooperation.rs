//! R13 Cooperations with a member limit and one fee: a cooperation's fee pool and the yearly
//! fee review (seed 000; docs/rules.md, section "R13 Cooperations with a member limit and one
//! fee").

use chrono::{Datelike, NaiveDate};

use crate::agreement::PartyId;
use crate::money::Money;
use crate::pool::{Key, Pool};
use crate::transactions::error::{TransactionError, TransactionProblems};
use crate::transactions::pricing::{price_counts, yearly, Count, PricedLine};
use crate::transactions::tariff::{Kind, TariffTable};

/// A group of parties that share one instance of the system (an iKomet "course") and pay one
/// fee for it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Cooperation {
    id: String,
    name: String,
    members: Vec<PartyId>,
    limit: usize,
    administrator: Option<PartyId>,
}

impl Cooperation {
    /// A cooperation of `members` (in the order given) that may have at most `limit` members,
    /// with the party of its administrator (course-admin) when known.
    ///
    /// # Errors
    /// [`TransactionError::TooManyMembers`] naming the cooperation and every member when there
    /// are more than `limit`; [`TransactionError::BadCooperation`] for no members, a member
    /// named twice, or an administrator's party that is not a member.
    pub fn new(
        id: &str,
        name: &str,
        members: Vec<PartyId>,
        limit: usize,
        administrator: Option<PartyId>,
    ) -> Result<Cooperation, TransactionError> {
        let bad = |what: String| TransactionError::BadCooperation {
            cooperation: id.to_owned(),
            what,
        };
        if members.is_empty() {
            return Err(bad("it has no members".to_owned()));
        }
        // Duplicates first: [a, a, b, c] has three members, not four.
        let mut sorted: Vec<&PartyId> = members.iter().collect();
        sorted.sort();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(bad(format!("member {} is named more than once", w[0])));
        }
        if members.len() > limit {
            return Err(TransactionError::TooManyMembers {
                cooperation: id.to_owned(),
                members,
                limit,
            });
        }
        if let Some(admin) = administrator.as_ref().filter(|a| !members.contains(a)) {
            return Err(bad(format!(
                "the administrator's party {admin} is not a member"
            )));
        }
        Ok(Cooperation {
            id: id.to_owned(),
            name: name.to_owned(),
            members,
            limit,
            administrator,
        })
    }

    /// Its id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its members, in the order given.
    pub fn members(&self) -> &[PartyId] {
        &self.members
    }

    /// The most members it may have.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The party of its administrator, who sees every member's personal data.
    pub fn administrator(&self) -> Option<&PartyId> {
        self.administrator.as_ref()
    }

    /// The members that need a data-processing agreement (personuppgiftsbiträdesavtal) with the
    /// administrator's party: every member but that party. Empty when no administrator is named.
    pub fn need_processing_agreement(&self) -> Vec<PartyId> {
        match &self.administrator {
            Some(admin) => self
                .members
                .iter()
                .filter(|m| *m != admin)
                .cloned()
                .collect(),
            None => Vec::new(),
        }
    }

    /// The pool of the cooperation's fee for `year`, shared by its members with `key` (R13:
    /// [`Key::Equal`] by default). Split it with [`crate::allocate`].
    pub fn fee_pool(&self, fee: Money, year: i32, key: Key) -> Pool {
        let name = format!("{} {year}", self.name);
        // `fee:…:<year>` is never empty and never starts or ends with a space.
        Pool::unchecked(&format!("fee:{}:{year}", self.id), &name, fee, key)
            .part_for_year(year, name, fee)
            .shared_by(self.members.clone())
    }
}

/// A cost that a fee is meant to cover, counted by one kind of transaction and priced as
/// another: e.g. every `login` sends an SMS code, priced as `sms`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CoveredCost {
    /// The kind counted, e.g. `login`.
    pub counted: Kind,
    /// The kind whose tariff prices it, e.g. `sms`.
    pub priced_as: Kind,
}

/// Whether the fees covered the costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Outcome {
    /// The fees were more than the costs.
    Surplus,
    /// The fees were less than the costs.
    Deficit,
    /// The fees were exactly the costs.
    Balanced,
}

/// One covered cost of the review: its transactions and what they cost.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ReviewedCost {
    /// What was counted and how it was priced.
    pub cost: CoveredCost,
    /// Transactions counted in the year, all members.
    pub count: u64,
    /// What they cost.
    pub amount: Money,
    /// The priced lines: per member and price.
    pub lines: Vec<PricedLine>,
}

/// The fee review of one cooperation for one year (R13): the fees charged against the costs
/// they are meant to cover.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct FeeReview {
    /// The cooperation's id.
    pub cooperation: String,
    /// Its name.
    pub name: String,
    /// The year reviewed.
    pub year: i32,
    /// Its members.
    pub members: Vec<PartyId>,
    /// The fees charged for the year, all members together.
    pub fees_charged: Money,
    /// Each covered cost.
    pub costs: Vec<ReviewedCost>,
    /// The covered costs added up.
    pub total_costs: Money,
    /// Fees less costs: above zero a surplus, below zero a deficit.
    pub balance: Money,
    /// Surplus, deficit or balanced.
    pub outcome: Outcome,
    /// The fee that would have covered the costs exactly: the costs.
    pub covering_fee: Money,
}

/// Reviews the fee of `cooperation` for `year`: the counts of its members in that year (by the
/// first day of each count) of each covered kind, priced at the tariff of the kind it is priced
/// as on each count's dates, against `fees_charged`.
///
/// # Errors
/// The problems of pricing ([`price_counts`]) at once, e.g. a login on a day without an SMS
/// price, [`TransactionError::CountTooLarge`] when a covered cost's count for the year does not
/// fit 64 bits, and [`TransactionError::DateOutOfRange`] for a year outside the calendar.
pub fn fee_review(
    cooperation: &Cooperation,
    year: i32,
    fees_charged: Money,
    counts: &[Count],
    tariffs: &TariffTable,
    covered: &[CoveredCost],
) -> Result<FeeReview, TransactionProblems> {
    if NaiveDate::from_ymd_opt(year, 1, 1).is_none() {
        return Err(TransactionError::DateOutOfRange {
            what: format!("year {year}"),
        }
        .into());
    }
    let mut problems = Vec::new();
    let mut costs = Vec::new();
    for cost in covered {
        let relabelled: Vec<Count> = counts
            .iter()
            .filter(|c| c.kind == cost.counted && c.period.start().year() == year)
            .filter(|c| cooperation.members.contains(&c.party))
            .map(|c| Count {
                kind: cost.priced_as.clone(),
                ..c.clone()
            })
            .collect();
        match price_counts(&relabelled, tariffs, &yearly()) {
            Ok(lines) => {
                let count = lines.iter().map(|l| u128::from(l.count)).sum::<u128>();
                let Ok(count) = u64::try_from(count) else {
                    problems.push(TransactionError::CountTooLarge {
                        what: format!(
                            "cooperation {}: the count of {} (priced as {}) in {year}",
                            cooperation.id, cost.counted, cost.priced_as
                        ),
                    });
                    continue;
                };
                costs.push(ReviewedCost {
                    cost: cost.clone(),
                    count,
                    amount: lines.iter().map(|l| l.amount).sum(),
                    lines,
                });
            }
            Err(p) => problems.extend(p.into_vec()),
        }
    }
    let total_costs: Money = costs.iter().map(|c| c.amount).sum();
    let balance = fees_charged - total_costs;
    let outcome = if balance.is_positive() {
        Outcome::Surplus
    } else if balance.is_negative() {
        Outcome::Deficit
    } else {
        Outcome::Balanced
    };
    let review = FeeReview {
        cooperation: cooperation.id.clone(),
        name: cooperation.name.clone(),
        year,
        members: cooperation.members.clone(),
        fees_charged,
        costs,
        total_costs,
        balance,
        outcome,
        covering_fee: total_costs,
    };
    TransactionProblems::check(review, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(p: &str) -> PartyId {
        PartyId::new(p).unwrap()
    }

    #[test]
    fn a_fourth_member_is_refused_by_name() {
        let members = ["0880", "0881", "0882", "0883"].map(pid).to_vec();
        let err = Cooperation::new("ikomet-kalmar", "iKomet Kalmar", members, 3, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cooperation ikomet-kalmar may have at most 3 members, found 4: 0880, 0881, 0882, 0883"
        );
    }

    /// Regression: [a, a, b, c] with a limit of 3 was refused as "found 4" members; it names
    /// a twice.
    #[test]
    fn a_member_named_twice_is_reported_before_the_limit() {
        let members = ["a", "a", "b", "c"].map(pid).to_vec();
        let err = Cooperation::new("c", "C", members, 3, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cooperation c: member a is named more than once"
        );
    }

    #[test]
    fn members_and_administrator_are_checked() {
        let c = |m: &[&str], admin: Option<&str>| {
            Cooperation::new(
                "c",
                "C",
                m.iter().map(|p| pid(p)).collect(),
                3,
                admin.map(pid),
            )
        };
        assert_eq!(
            c(&[], None).unwrap_err().to_string(),
            "cooperation c: it has no members"
        );
        assert_eq!(
            c(&["a", "a"], None).unwrap_err().to_string(),
            "cooperation c: member a is named more than once"
        );
        assert_eq!(
            c(&["a"], Some("b")).unwrap_err().to_string(),
            "cooperation c: the administrator's party b is not a member"
        );
        let ok = c(&["a", "b", "c"], Some("b")).unwrap();
        assert_eq!(ok.need_processing_agreement(), [pid("a"), pid("c")]);
    }

    /// Regression (A7): a year's count of a covered cost beyond 2^64 was reported as
    /// 2^64 − 1. Two members with 2^64 − 1 logins each, SMS at 0 kr.
    #[test]
    fn a_yearly_count_beyond_64_bits_is_an_error() {
        use crate::calendar::Period;
        use crate::transactions::tariff::{Tariff, UnitPrice};
        let day = |m, d| NaiveDate::from_ymd_opt(2019, m, d).unwrap();
        let login = Kind::new("login").unwrap();
        let sms = Kind::new("sms").unwrap();
        let tariffs = TariffTable::new(vec![Tariff::new(
            sms.clone(),
            UnitPrice::from_ore(0),
            day(1, 1),
            None,
        )])
        .unwrap();
        let coop = Cooperation::new("c", "C", vec![pid("a"), pid("b")], 3, None).unwrap();
        let counts: Vec<Count> = ["a", "b"]
            .iter()
            .map(|p| Count {
                party: pid(p),
                kind: login.clone(),
                period: Period::new(day(1, 1), day(1, 2)).unwrap(),
                count: u64::MAX,
                source: None,
            })
            .collect();
        let covered = [CoveredCost {
            counted: login,
            priced_as: sms,
        }];
        let err = fee_review(&coop, 2019, Money::ZERO, &counts, &tariffs, &covered).unwrap_err();
        assert_eq!(
            err.to_string(),
            "1 problem\n  cooperation c: the count of login (priced as sms) in 2019 is beyond 2^64"
        );
    }
}
