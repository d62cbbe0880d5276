//! R9 Exit: a party leaves by written notice, its membership ending a notice period (12 months by
//! default) later, and pays the cost of extracting its data alone (docs/rules.md, section "R9
//! Exit").

use chrono::{Months, NaiveDate};

use crate::agreement::PartyId;
use crate::calendar::error::CalendarError;
use crate::calendar::membership::Members;
use crate::money::Money;
use crate::pool::{Key, Pool};

/// How exit works (R9): membership ends this many months after the notice date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ExitRule {
    /// The notice period in months (12).
    pub notice_months: u32,
}

impl Default for ExitRule {
    fn default() -> ExitRule {
        ExitRule { notice_months: 12 }
    }
}

impl Members {
    /// Records `party`'s written notice on `notice`: its last day of membership is the same
    /// date `rule.notice_months` months later (R9). Returns the last day.
    ///
    /// # Errors
    /// [`CalendarError::UnknownParty`] when the party has no membership,
    /// [`CalendarError::NoticeGivenTwice`], and [`CalendarError::NoticeBeforeMembership`].
    pub fn give_notice(
        &mut self,
        party: &PartyId,
        notice: NaiveDate,
        rule: &ExitRule,
    ) -> Result<NaiveDate, CalendarError> {
        let i = self
            .index(party)
            .ok_or_else(|| CalendarError::UnknownParty {
                party: party.clone(),
                what: format!("notice of {notice}"),
            })?;
        let m = &mut self.list[i];
        if let Some(first) = m.notice {
            return Err(CalendarError::NoticeGivenTwice {
                party: party.clone(),
                first,
                second: notice,
            });
        }
        if notice < m.from {
            return Err(CalendarError::NoticeBeforeMembership {
                party: party.clone(),
                notice,
                from: m.from,
            });
        }
        let last_day = notice
            .checked_add_months(Months::new(rule.notice_months))
            .ok_or_else(|| CalendarError::DateOutOfRange {
                what: format!("party {party}: the end of its notice period"),
            })?;
        m.notice = Some(notice);
        m.last_day = Some(m.last_day.map_or(last_day, |l| l.min(last_day)));
        Ok(last_day)
    }
}

/// The cost of extracting a leaving party's data, as a direct pool that it alone pays (R9).
///
/// # Errors
/// [`CalendarError::UnknownParty`] when `party` has no membership, and
/// [`CalendarError::BadInvoiceLine`] when it has not given notice or `id` is not a good pool id.
pub fn extraction_pool(
    members: &Members,
    party: &PartyId,
    id: &str,
    amount: Money,
) -> Result<Pool, CalendarError> {
    let m = members
        .get(party)
        .ok_or_else(|| CalendarError::UnknownParty {
            party: party.clone(),
            what: format!("data-extraction pool {id}"),
        })?;
    let Some(last_day) = m.last_day() else {
        return Err(CalendarError::BadInvoiceLine {
            party: party.clone(),
            date: m.from(),
            what: format!("data-extraction pool {id}: the party has not given notice"),
        });
    };
    Pool::builder(
        id,
        &format!("extraction of {party}'s data at exit (last day {last_day})"),
        amount,
        Key::Direct {
            party: party.clone(),
        },
    )
    .participants(vec![party.clone()])
    .build()
    .map_err(|e| CalendarError::BadInvoiceLine {
        party: party.clone(),
        date: m.from(),
        what: format!("data-extraction pool {id}: {e}"),
    })
}
