//! Figures computed once per record and shared by every consumer: the record page,
//! `incidents.json`, `casebook actions` and `casebook stats`.
//!
//! Definitions (docs/metrics.md): time to detect = detected - started; to acknowledge
//! = acknowledged - detected; to mitigate = mitigated - detected; to resolve =
//! resolved - detected; duration = resolved - started (or - detected without
//! `started`). A figure whose timestamps are missing is absent, never zero.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::core::diag::Spanned;
use crate::core::model::{ActionItem, ActionStatus, Record};

/// Where an action item stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionState {
    Overdue,
    Open,
    InProgress,
    Done,
    WontDo,
}

impl ActionState {
    /// The state of `item` on `today`: open or in-progress items past their due date
    /// are overdue; an item due today is not overdue yet.
    pub fn of(item: &ActionItem, today: Date) -> ActionState {
        let overdue = item.status.is_open() && item.due.as_ref().is_some_and(|d| d.value < today);
        match item.status {
            _ if overdue => ActionState::Overdue,
            ActionStatus::Open => ActionState::Open,
            ActionStatus::InProgress => ActionState::InProgress,
            ActionStatus::Done => ActionState::Done,
            ActionStatus::WontDo => ActionState::WontDo,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ActionState::Overdue => "overdue",
            ActionState::Open => "open",
            ActionState::InProgress => "in-progress",
            ActionState::Done => "done",
            ActionState::WontDo => "wont-do",
        }
    }

    /// Open, in progress or overdue: still needs work.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ActionState::Overdue | ActionState::Open | ActionState::InProgress
        )
    }
}

/// Whole days an item due on `due` is overdue on `today`: 0 on the due date itself,
/// 1 the day after. Only meaningful for items whose state is [`ActionState::Overdue`].
pub fn days_overdue(due: Date, today: Date) -> i64 {
    i64::from((today - due).get_days())
}

/// Counts of a record's action items by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ActionCounts {
    pub total: usize,
    /// Open or in progress, including overdue ones.
    pub open: usize,
    pub overdue: usize,
    pub done: usize,
    pub wont_do: usize,
}

/// The computed figures of one record.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Seconds from start to detection, and so on; `None` when a timestamp is missing.
    pub time_to_detect: Option<i64>,
    pub time_to_acknowledge: Option<i64>,
    pub time_to_mitigate: Option<i64>,
    pub time_to_resolve: Option<i64>,
    pub duration: Option<i64>,
    pub actions: ActionCounts,
    /// Each action item's state, in the record's order; `actions` counts these.
    /// Kept for the insights and `casebook actions`, which need them item by item.
    #[serde(skip)]
    pub action_states: Vec<ActionState>,
}

fn between(from: Option<&Spanned<Timestamp>>, to: Option<&Spanned<Timestamp>>) -> Option<i64> {
    let (from, to) = (from?, to?);
    Some(to.value.duration_since(from.value).as_secs())
}

impl Figures {
    /// Computes the figures of `record` as of `today`.
    pub fn of(record: &Record, today: Date) -> Figures {
        let m = &record.moments;
        let start = m.started.as_ref().or(m.detected.as_ref());
        let mut actions = ActionCounts::default();
        let action_states: Vec<ActionState> = record
            .action_items
            .iter()
            .map(|item| ActionState::of(item, today))
            .collect();
        for state in &action_states {
            actions.total += 1;
            match state {
                ActionState::Overdue => {
                    actions.overdue += 1;
                    actions.open += 1;
                }
                ActionState::Open | ActionState::InProgress => actions.open += 1,
                ActionState::Done => actions.done += 1,
                ActionState::WontDo => actions.wont_do += 1,
            }
        }
        Figures {
            time_to_detect: between(m.started.as_ref(), m.detected.as_ref()),
            time_to_acknowledge: between(m.detected.as_ref(), m.acknowledged.as_ref()),
            time_to_mitigate: between(m.detected.as_ref(), m.mitigated.as_ref()),
            time_to_resolve: between(m.detected.as_ref(), m.resolved.as_ref()),
            duration: between(start, m.resolved.as_ref()),
            actions,
            action_states,
        }
    }
}

/// "1 h 7 min", "3 d 2 h", "45 s": a duration as people read it on a page.
pub fn human_duration(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let d = SignedDuration::from_secs(seconds.abs());
    let total = d.as_secs();
    let (days, hours, minutes) = (total / 86_400, total % 86_400 / 3_600, total % 3_600 / 60);
    let text = if days > 0 {
        if hours > 0 {
            format!("{days} d {hours} h")
        } else {
            format!("{days} d")
        }
    } else if hours > 0 {
        if minutes > 0 {
            format!("{hours} h {minutes} min")
        } else {
            format!("{hours} h")
        }
    } else if minutes > 0 {
        format!("{minutes} min")
    } else {
        format!("{total} s")
    };
    format!("{sign}{text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(human_duration(45), "45 s");
        assert_eq!(human_duration(4020), "1 h 7 min");
        assert_eq!(human_duration(3600), "1 h");
        assert_eq!(human_duration(93_600), "1 d 2 h");
        assert_eq!(human_duration(-120), "-2 min");
    }
}
