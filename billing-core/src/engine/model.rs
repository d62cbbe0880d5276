//! The agreement model: a typed description of a whole agreement, from which
//! [`crate::engine::invoices_due`] computes the invoices of a date.
//!
//! Every part carries the caller's source reference (a sheet and cell, a file and line), so
//! that each problem found while validating or computing can point at the place it came from.

use std::fmt;

use chrono::NaiveDate;

use crate::agreement::{Agreement, PartyId, SourceRef, Sourced};
use crate::calendar::Period;
use crate::calendar::{
    Budget, CalendarConfig, EntryRule, ExitRule, FeePolicy, Registration, UserCount,
};
use crate::cooperation::{Cooperation, CoveredCost};
use crate::error::PoolId;
use crate::invoice::{InvoiceOptions, VatRate};
use crate::money::Money;
use crate::pool::Pool;
use crate::problems::{Located, Place};
use crate::settlement::{ProviderCost, SettlementDays};
use crate::thresholds::ThresholdTable;
use crate::transactions::{Count, PricedLine, TariffTable};

/// The whole agreement: settings, parties and their memberships, pools, fees, users,
/// transactions, cooperations and the providers' costs.
///
/// Build it with [`Model::new`] and set the parts that apply; what is left empty is not billed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Model {
    /// How the agreement bills.
    pub settings: Settings,
    /// The parties (their populations, users and figures, for the keys).
    pub agreement: Agreement,
    /// Entries and notices; a party without terms is a founding member from the start.
    pub terms: Vec<Terms>,
    /// The pools with their due dates.
    pub pools: Vec<ScheduledPool>,
    /// The budgets the annual user fee is computed from (R5).
    pub budgets: Vec<BudgetEntry>,
    /// An annual user fee given as a price instead of a budget, in force from the start.
    pub annual_fee: Option<Sourced<Money>>,
    /// The user register (R4); when given, it is used rather than `user_counts`.
    pub registrations: Vec<Registration>,
    /// Users counted per party and date, instead of a register (`next_invoice_count` only).
    pub user_counts: Vec<UserCount>,
    /// The LOU thresholds of `lou` caps (R2).
    pub thresholds: ThresholdTable,
    /// The providers' costs, invoiced to the coordinator in arrears (R10).
    pub provider_costs: Vec<ProviderCost>,
    /// The tariffs of transactions (R11), for the fee reviews (R13).
    pub tariffs: Option<TariffTable>,
    /// Transactions priced per party, kind and billing period (R11), billed in arrears on the
    /// first day after their billing period.
    pub transaction_lines: Vec<PricedLine>,
    /// Transactions counted per party, kind and day, for the fee reviews (R13).
    pub transaction_counts: Vec<Count>,
    /// The cooperations with a fee and the costs it covers (R13).
    pub cooperations: Vec<CooperationTerms>,
}

impl Model {
    /// An agreement of `agreement`'s parties, all founding members from `settings.start`,
    /// with nothing to bill yet.
    pub fn new(settings: Settings, agreement: Agreement) -> Model {
        Model {
            settings,
            agreement,
            terms: Vec::new(),
            pools: Vec::new(),
            budgets: Vec::new(),
            annual_fee: None,
            registrations: Vec::new(),
            user_counts: Vec::new(),
            thresholds: ThresholdTable::swedish_lou(),
            provider_costs: Vec::new(),
            tariffs: None,
            transaction_lines: Vec::new(),
            transaction_counts: Vec::new(),
            cooperations: Vec::new(),
        }
    }
}

/// How an agreement bills.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Settings {
    /// The agreement's name, for messages (may be empty).
    pub name: String,
    /// The most members the agreement allows, when it limits them.
    pub member_limit: Option<u64>,
    /// The coordinator: issues the invoices, and is never invoiced itself (R15).
    pub issuer: PartyId,
    /// The agreement's first day; without it no user fee is billed. Nothing before it is
    /// billed or assumed billed (R6).
    pub start: Option<NaiveDate>,
    /// The billing periods, the correction policy and the rounding of user-fee lines (R6, R7).
    pub calendar: CalendarConfig,
    /// How the annual fee F from a budget is kept (R5): rounded to öre by default, to whole
    /// kronor, or exact ([`FeePolicy`]).
    pub fee_rounding: FeePolicy,
    /// How invoices are assembled: VAT of user fees, öresavrundning, due days, currency,
    /// organisation numbers (R15).
    pub invoice: InvoiceOptions,
    /// Entry: the first-year multiplier (R8).
    pub entry: EntryRule,
    /// Exit: the notice period (R9).
    pub exit: ExitRule,
    /// The providers' settlement days (R10).
    pub settlement: SettlementDays,
    /// The VAT rate of transaction lines (R11).
    pub transactions_vat: VatRate,
}

impl Settings {
    /// The defaults of docs/rules.md R5–R10 and R15 for an agreement coordinated by `issuer`:
    /// half-years, `next_invoice_count`, öre, 30 days, SEK, first year × 2, 12 months' notice,
    /// settlements on 31 May and 30 November.
    pub fn new(issuer: PartyId, start: Option<NaiveDate>) -> Settings {
        Settings {
            name: String::new(),
            member_limit: None,
            issuer,
            start,
            calendar: CalendarConfig::default(),
            fee_rounding: FeePolicy::ORE,
            invoice: InvoiceOptions::default(),
            entry: EntryRule::default(),
            exit: ExitRule::default(),
            settlement: SettlementDays::default(),
            transactions_vat: VatRate::Zero,
        }
    }
}

/// A party's entry (R8) and notice (R9).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Terms {
    /// The party.
    pub party: PartyId,
    /// Its joining day, when after the agreement's start (an entry under R8).
    pub joined: Option<NaiveDate>,
    /// The parties that approved its entry.
    pub approved_by: Vec<PartyId>,
    /// The day it gave notice (R9).
    pub notice_given: Option<NaiveDate>,
    /// Where the party was described.
    pub source: Option<SourceRef>,
}

impl Terms {
    /// Terms of `party`: a founding member that has given no notice.
    pub fn new(party: PartyId) -> Terms {
        Terms {
            party,
            joined: None,
            approved_by: Vec::new(),
            notice_given: None,
            source: None,
        }
    }

    /// The same terms with an entry on `joined` approved by `approved_by`.
    pub fn joined(mut self, joined: NaiveDate, approved_by: Vec<PartyId>) -> Terms {
        self.joined = Some(joined);
        self.approved_by = approved_by;
        self
    }

    /// The same terms with notice given on `day`.
    pub fn notice(mut self, day: NaiveDate) -> Terms {
        self.notice_given = Some(day);
        self
    }
}

/// A pool and the dates it falls due: one date, or several for instalments.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScheduledPool {
    /// The pool.
    pub pool: Pool,
    /// Its due dates; with n dates each is an instalment of 1/n.
    pub due: Vec<NaiveDate>,
    /// Its VAT rate.
    pub vat: VatRate,
    /// The period the pool pays for, when given; printed on its invoice lines.
    pub period: Option<Period>,
    /// Where the pool was described.
    pub source: Option<SourceRef>,
}

impl ScheduledPool {
    /// `pool` due on `due`, without VAT.
    pub fn new(pool: Pool, due: Vec<NaiveDate>) -> ScheduledPool {
        ScheduledPool {
            pool,
            due,
            vat: VatRate::Zero,
            period: None,
            source: None,
        }
    }
}

/// A budget and, optionally, its user count N (otherwise counted from the users on its
/// reference date).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BudgetEntry {
    /// The budget.
    pub budget: Budget,
    /// N, when given.
    pub users: Option<u64>,
}

impl BudgetEntry {
    /// `budget` with N counted from the users.
    pub fn new(budget: Budget, users: Option<u64>) -> BudgetEntry {
        BudgetEntry { budget, users }
    }
}

/// A cooperation's fee and what it covers, for the fee review (R13). The fee itself is billed
/// as a pool among the members ([`Cooperation::fee_pool`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CooperationTerms {
    /// The cooperation.
    pub cooperation: Cooperation,
    /// Its fee per year.
    pub fee: Option<Money>,
    /// The year reviewed.
    pub year: Option<i32>,
    /// The costs the fee is meant to cover.
    pub covers: Vec<CoveredCost>,
    /// Where it was described.
    pub source: Option<SourceRef>,
}

impl CooperationTerms {
    /// `cooperation` with no fee.
    pub fn new(cooperation: Cooperation) -> CooperationTerms {
        CooperationTerms {
            cooperation,
            fee: None,
            year: None,
            covers: Vec::new(),
            source: None,
        }
    }
}

/// What a problem is about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum Subject {
    /// The agreement as a whole: settings, budgets, users, invoices.
    Agreement,
    /// The list of parties and their memberships.
    Parties,
    /// One party.
    Party(PartyId),
    /// One pool.
    Pool(PoolId),
    /// One cooperation, by id.
    Cooperation(String),
}

/// A problem of the model, located: what it is about and where it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Problem {
    /// What it is about.
    pub subject: Subject,
    /// The caller's reference of the place, when known.
    pub source: Option<SourceRef>,
    /// The field of the subject at fault, when the check knows it: a pool's `id`, `amount`,
    /// `due`, `key`, `participants`, `cap`, `year`, `excess`, `total_users`; a party's `id`,
    /// `joined`, `approved_by`, `notice_given`, `population`, `users`; a cooperation's
    /// `members`, `fee`, `year`, `covers`; the agreement's settings by name (`issuer`, `start`,
    /// `member_limit`); for a row of the register, the user counts or the providers' costs
    /// (subject [`Subject::Agreement`], `source` the row) its column (`party`, `last_day`,
    /// `provider`). `source` is the place of the
    /// subject (its row), so a caller that read a table points the problem at this field's cell
    /// in that row.
    pub field: Option<&'static str>,
    /// What is wrong, with the numbers.
    pub message: String,
    /// The value at fault as text, when the problem is about one value (an id, a date).
    pub found: Option<String>,
}

impl Problem {
    pub(crate) fn new(subject: Subject, source: Option<&SourceRef>, message: String) -> Problem {
        Problem {
            subject,
            source: source.cloned(),
            field: None,
            message,
            found: None,
        }
    }

    /// The same problem about `field` of its subject.
    pub(crate) fn at(mut self, field: Option<&'static str>) -> Problem {
        self.field = field;
        self
    }

    /// The same problem with the value found.
    pub(crate) fn found(mut self, found: impl fmt::Display) -> Problem {
        self.found = Some(found.to_string());
        self
    }
}

impl Located for Problem {
    fn place(&self) -> Place<'_> {
        let place = match &self.subject {
            Subject::Pool(pool) => Place::pool(pool),
            Subject::Party(party) => Place::party(party),
            Subject::Cooperation(c) => Place {
                cooperation: Some(c),
                ..Place::default()
            },
            Subject::Agreement | Subject::Parties => Place::default(),
        };
        Place {
            field: self.field,
            ..place
        }
        .with_source(self.source.as_ref())
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(s) => write!(f, "{s}: {}", self.message)?,
            None => f.write_str(&self.message)?,
        }
        match &self.found {
            Some(found) => write!(f, ", found {found:?}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for Problem {}
