//! Follow-through as git tells it: when action items were closed (the commit that
//! made them `done` or `wont-do`) and when postmortems were approved (the commit
//! in which `review` became `approved`). Computed only when the archive is in a
//! repository; what the history of a shallow clone cannot tell is counted apart,
//! never guessed.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

use super::Month;
use crate::core::model::{ActionStatus, Record, Review};
use crate::history::follow::item_key;
use crate::history::{History, Known};

/// How many records [`FromGit::waiting_longest`] lists.
const WAITING: usize = 10;

/// Action items closed in one month, by the month of their closing commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthClosed {
    pub month: Month,
    pub done: usize,
    pub wont_do: usize,
}

/// A record whose write-up is not approved yet, and how long since the incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Waiting {
    pub id: String,
    pub title: String,
    /// The record's page, relative to the site root.
    pub url: String,
    pub review: &'static str,
    pub days: i64,
}

/// The follow-through figures that need history. See docs/insights.md.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FromGit {
    /// Closed items by the month of the commit that closed them, oldest first.
    pub closed_per_month: Vec<MonthClosed>,
    /// Closed items whose closing commit a shallow clone does not hold.
    pub closed_unknown: usize,
    /// Done items with a due date, closed on or before it.
    pub done_before_due: usize,
    /// Done items with a due date, closed after it.
    pub done_after_due: usize,
    /// Done items with a due date whose closing day history cannot tell.
    pub done_due_unknown: usize,
    /// Median whole days from an incident to the commit that approved its
    /// postmortem, over the approvals history knows; `None` without any.
    pub median_days_to_approval: Option<i64>,
    pub approvals_known: usize,
    pub approvals_unknown: usize,
    /// The records not approved yet, longest since the incident first.
    pub waiting_longest: Vec<Waiting>,
}

impl FromGit {
    /// The figures of `records` from `history`, days in `tz`, as of `today`.
    pub fn new(records: &[&Record], history: &History, tz: &TimeZone, today: Date) -> FromGit {
        let day = |known: &Known<crate::history::Commit>| {
            known.known().map(|c| c.at.to_zoned(tz.clone()).date())
        };
        let mut out = FromGit::default();
        let mut months: BTreeMap<Month, MonthClosed> = BTreeMap::new();
        let mut approval_days = Vec::new();
        let mut waiting = Vec::new();
        for record in records {
            let git = history.record(&record.path);
            for item in &record.action_items {
                if item.status.is_open() {
                    continue;
                }
                let closed = git.and_then(|g| g.closed.get(&item_key(item)));
                let Some(closed) = closed else { continue };
                match day(closed) {
                    Some(on) => {
                        let month = months.entry(Month::of(on)).or_insert(MonthClosed {
                            month: Month::of(on),
                            done: 0,
                            wont_do: 0,
                        });
                        if item.status == ActionStatus::Done {
                            month.done += 1;
                        } else {
                            month.wont_do += 1;
                        }
                    }
                    None => out.closed_unknown += 1,
                }
                if let (ActionStatus::Done, Some(due)) = (item.status, &item.due) {
                    match day(closed) {
                        Some(on) if on <= due.value => out.done_before_due += 1,
                        Some(_) => out.done_after_due += 1,
                        None => out.done_due_unknown += 1,
                    }
                }
            }
            match git.and_then(|g| g.approved.as_ref()) {
                Some(approved) => match day(approved) {
                    Some(on) => {
                        out.approvals_known += 1;
                        if let Ok(span) = record.date.until(on) {
                            approval_days.push(i64::from(span.get_days()));
                        }
                    }
                    None => out.approvals_unknown += 1,
                },
                None if *record.review != Review::Approved => {
                    if let Ok(span) = record.date.until(today) {
                        waiting.push(Waiting {
                            id: record.id.to_string(),
                            url: crate::core::paths::record_url(&record.id),
                            title: record.title.clone(),
                            review: record.review.as_str(),
                            days: i64::from(span.get_days()),
                        });
                    }
                }
                None => {}
            }
        }
        approval_days.sort_unstable();
        out.median_days_to_approval = approval_days
            .get(approval_days.len().saturating_sub(1) / 2)
            .copied();
        waiting.sort_by(|a, b| b.days.cmp(&a.days).then_with(|| a.id.cmp(&b.id)));
        waiting.truncate(WAITING);
        out.waiting_longest = waiting;
        out.closed_per_month = months.into_values().collect();
        out
    }
}
