//! Errors of the agreement calendar: each names the party, period, row or date concerned and
//! what is wrong. None ever contains a user id (R4): registrations are named by their row number
//! and source.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::agreement::{PartyId, SourceRef};
use crate::calendar::period::Period;
use crate::money::Money;
use crate::problems::{Located, Place, Problems};

/// What is wrong with an input of the calendar (register, budget, memberships, invoice dates).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// A registration's last day is before its first day.
    #[error(
        "register row {row}{}: party {party}: last day {last_day} is before first day {first_day}",
        at(.place)
    )]
    RegistrationEndsBeforeStart {
        /// The party of the registration.
        party: PartyId,
        /// The row number, counted from 1 in the order given.
        row: usize,
        /// Where the row was read.
        place: Option<SourceRef>,
        /// The first day given.
        first_day: NaiveDate,
        /// The last day given.
        last_day: NaiveDate,
    },
    /// An input names a party that the agreement does not know.
    #[error("{what}: party {party} is not a party of the agreement")]
    UnknownParty {
        /// The party named.
        party: PartyId,
        /// Which input names it, e.g. `register row 7 (Users!A8)`.
        what: String,
    },
    /// A user count is given twice for the same party and date.
    #[error("user counts{}: party {party} has two counts for {date}", at(.place))]
    DuplicateUserCount {
        /// The party.
        party: PartyId,
        /// The date.
        date: NaiveDate,
        /// Where the second count was read.
        place: Option<SourceRef>,
    },
    /// User counts per date cannot give the user-days that `pro_rata_days` needs.
    #[error(
        "the pro_rata_days correction policy needs the user register (registrations with first and \
         last days); user counts per date are enough only for next_invoice_count"
    )]
    CountsNeedNextInvoiceCount,
    /// A budget's users are zero, so no fee per user can be computed.
    #[error("budget {budget}: no users at the reference date {reference_date}, so the fee B / N is undefined")]
    BudgetWithoutUsers {
        /// The budget's name.
        budget: String,
        /// The date the users are counted at.
        reference_date: NaiveDate,
    },
    /// A budget has no cost lines or a negative total.
    #[error("budget {budget}: the total of its lines is {total}, which must be above 0")]
    NonPositiveBudget {
        /// The budget's name.
        budget: String,
        /// The total found.
        total: Money,
    },
    /// Two annual fees start on the same day.
    #[error("fee schedule: two annual fees are in force from {valid_from}")]
    DuplicateFee {
        /// The day.
        valid_from: NaiveDate,
    },
    /// No annual fee is in force at the start of a period to bill.
    #[error("period {period}: no annual user fee is in force on {}", .period.start())]
    NoFee {
        /// The period.
        period: Period,
    },
    /// The period starts given are unusable.
    #[error("period starts: {reason}")]
    BadPeriodStarts {
        /// Why.
        reason: String,
    },
    /// An invoice date for user fees is not the first day of a billing period.
    #[error("invoice date {date} is not a period start (periods start on {starts})")]
    NotAPeriodStart {
        /// The date given.
        date: NaiveDate,
        /// The configured starts, e.g. `01-01, 07-01`.
        starts: String,
    },
    /// An arrears date is not one of the configured settlement days.
    #[error("arrears date {date} is not a settlement day (settlement days are {days})")]
    NotASettlementDay {
        /// The date given.
        date: NaiveDate,
        /// The configured days, e.g. `05-31, 11-30`.
        days: String,
    },
    /// A party has two memberships.
    #[error("party {party}: more than one membership is given")]
    DuplicateMembership {
        /// The party.
        party: PartyId,
    },
    /// A membership ends before it begins.
    #[error("party {party}: membership ends {last_day}, before it begins {from}")]
    MembershipEndsBeforeStart {
        /// The party.
        party: PartyId,
        /// Its first day.
        from: NaiveDate,
        /// Its last day.
        last_day: NaiveDate,
    },
    /// An entry is not approved by more than half of the existing parties (R8).
    #[error(
        "entry of party {party} on {joining}: {approved} of {existing} existing parties approved, \
         more than half ({needed}) is needed"
    )]
    EntryWithoutMajority {
        /// The party asking to join.
        party: PartyId,
        /// Its joining date.
        joining: NaiveDate,
        /// How many existing parties approved.
        approved: usize,
        /// How many existing parties there are.
        existing: usize,
        /// The smallest number that is more than half.
        needed: usize,
    },
    /// An approval of an entry comes from a party that is not an existing member.
    #[error("entry of party {party}: approval by {approver}, which is not an existing party on {joining}")]
    ApprovalByNonMember {
        /// The party asking to join.
        party: PartyId,
        /// The approving party.
        approver: PartyId,
        /// The joining date.
        joining: NaiveDate,
    },
    /// The same party approves an entry twice.
    #[error("entry of party {party}: {approver} approves more than once")]
    DuplicateApproval {
        /// The party asking to join.
        party: PartyId,
        /// The approving party.
        approver: PartyId,
    },
    /// A party asks to join but is already a member on its joining date.
    #[error("entry of party {party} on {joining}: it is already a member")]
    AlreadyMember {
        /// The party.
        party: PartyId,
        /// The joining date.
        joining: NaiveDate,
    },
    /// A first-year multiplier is zero or negative.
    #[error(
        "entry of party {party}: the first-year multiplier must be above 0, found {multiplier}"
    )]
    NonPositiveMultiplier {
        /// The party.
        party: PartyId,
        /// The multiplier found.
        multiplier: Decimal,
    },
    /// A party gives notice when it already has (R9).
    #[error("party {party}: notice given on {second}, but notice was already given on {first}")]
    NoticeGivenTwice {
        /// The party.
        party: PartyId,
        /// The first notice.
        first: NaiveDate,
        /// The second notice.
        second: NaiveDate,
    },
    /// Notice is given before the party became a member.
    #[error("party {party}: notice given on {notice}, before its membership begins on {from}")]
    NoticeBeforeMembership {
        /// The party.
        party: PartyId,
        /// The notice date.
        notice: NaiveDate,
        /// The first day of membership.
        from: NaiveDate,
    },
    /// A date computed from the input is beyond the calendar.
    #[error("{what}: the date is beyond the supported calendar")]
    DateOutOfRange {
        /// Which date, in words.
        what: String,
    },
    /// An amount is too large for exact arithmetic.
    #[error("party {party}, period {period}: the {what} is too large to compute exactly")]
    TooLarge {
        /// The party.
        party: PartyId,
        /// The period.
        period: Period,
        /// Which amount.
        what: &'static str,
    },
    /// An organisation number is malformed or its check digit is wrong.
    #[error("organisation number {text:?}: {reason}")]
    BadOrgNumber {
        /// The text given.
        text: String,
        /// Why it was refused.
        reason: String,
    },
    /// An OCR reference cannot be made from the input.
    #[error("OCR reference from {text:?}: {reason}")]
    BadOcr {
        /// The digits given.
        text: String,
        /// Why.
        reason: String,
    },
    /// An invoice line names a currency other than the invoice's.
    #[error("invoice to party {party} on {date}: {what}")]
    BadInvoiceLine {
        /// The buyer.
        party: PartyId,
        /// The invoice date.
        date: NaiveDate,
        /// What is wrong.
        what: String,
    },
}

fn at(source: &Option<SourceRef>) -> String {
    source
        .as_ref()
        .map(|s| format!(" ({s})"))
        .unwrap_or_default()
}

/// Every problem found in one input, reported together: the crate's one collection of
/// problems ([`crate::Problems`]) under its former name.
pub type CalendarProblems = Problems<CalendarError>;

impl Located for CalendarError {
    /// The party concerned, the field at fault (`joined`, `approved_by`, `notice_given`,
    /// `last_day`, …) and where a registration or count was read.
    fn place(&self) -> Place<'_> {
        use CalendarError as E;
        match self {
            E::RegistrationEndsBeforeStart { party, place, .. } => Place::party(party)
                .with_field("last_day")
                .with_source(place.as_ref()),
            E::UnknownParty { party, .. } => Place::party(party).with_field("party"),
            E::DuplicateUserCount { party, place, .. } => Place::party(party)
                .with_field("date")
                .with_source(place.as_ref()),
            E::CountsNeedNextInvoiceCount => Place::default().with_field("correction_policy"),
            E::BudgetWithoutUsers { .. } => Place::default().with_field("users"),
            E::NonPositiveBudget { .. } => Place::default().with_field("amount"),
            E::DuplicateFee { .. } => Place::default().with_field("valid_from"),
            E::BadPeriodStarts { .. } => Place::default().with_field("periods"),
            E::NotAPeriodStart { .. } | E::NotASettlementDay { .. } => {
                Place::default().with_field("date")
            }
            E::MembershipEndsBeforeStart { party, .. } => {
                Place::party(party).with_field("last_day")
            }
            E::EntryWithoutMajority { party, .. }
            | E::ApprovalByNonMember { party, .. }
            | E::DuplicateApproval { party, .. } => Place::party(party).with_field("approved_by"),
            E::AlreadyMember { party, .. } => Place::party(party).with_field("joined"),
            E::NonPositiveMultiplier { party, .. } => Place::party(party).with_field("multiplier"),
            E::NoticeGivenTwice { party, .. } | E::NoticeBeforeMembership { party, .. } => {
                Place::party(party).with_field("notice_given")
            }
            E::DuplicateMembership { party }
            | E::TooLarge { party, .. }
            | E::BadInvoiceLine { party, .. } => Place::party(party),
            E::BadOrgNumber { .. } => Place::default().with_field("org_nr"),
            E::NoFee { .. } | E::DateOutOfRange { .. } | E::BadOcr { .. } => Place::default(),
        }
    }
}
