//! Insights: the archive-wide figures (incident trends, detection and resolution
//! times, the services that fail most, action-item follow-through), computed once
//! from the records and their per-record [`Figures`].
//!
//! In: [`Entry`] values (a record with its figures, computed once by
//! `pipeline::figures`), the configuration and "today". Out: one serializable
//! [`Insights`] value that the insights page, `casebook stats` and `incidents.json`
//! all print, so they cannot disagree. [`Insights::by_service`] and
//! [`Insights::by_tag`] run the same computation over a subset of the records.
//!
//! Every figure's definition, and what the record format cannot tell, is in
//! docs/insights.md. In short: a record's month and quarter are those of its `date`
//! (the day it began, already a day in site.toml's timezone); percentiles are
//! nearest-rank; "closed" counts are by the month the item was opened, because the
//! format records no closing date.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;
use rayon::prelude::*;
use serde::{Serialize, Serializer};

use crate::config::SiteConfig;
use crate::metrics::{ActionState, Figures};
use crate::model::Record;

/// How many services the "most incidents" and "most impact time" lists keep.
pub const TOP_SERVICES: usize = 10;

/// A record with its figures: what every insight is computed from.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    pub record: &'a Record,
    pub figures: &'a Figures,
}

/// A calendar month, written `2024-09`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// `year * 12 + month - 1`, so consecutive months are consecutive numbers.
    index: i32,
}

impl Month {
    /// The month a day falls in.
    pub fn of(date: Date) -> Month {
        Month {
            index: i32::from(date.year()) * 12 + i32::from(date.month()) - 1,
        }
    }

    pub fn year(self) -> i32 {
        self.index.div_euclid(12)
    }

    /// 1 to 12.
    pub fn month(self) -> i32 {
        self.index.rem_euclid(12) + 1
    }

    /// The month's last day: the day on which "at the end of the month" figures are taken.
    pub fn last_day(self) -> Date {
        let first = i16::try_from(self.year())
            .ok()
            .and_then(|year| Date::new(year, self.month() as i8, 1).ok())
            .unwrap_or(Date::MAX);
        first.last_of_month()
    }

    /// The quarter this month belongs to.
    pub fn quarter(self) -> Quarter {
        Quarter {
            index: self.index.div_euclid(3),
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A calendar quarter, written `2024-Q3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    /// `year * 4 + quarter - 1`.
    index: i32,
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-Q{}",
            self.index.div_euclid(4),
            self.index.rem_euclid(4) + 1
        )
    }
}

impl Serialize for Quarter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The months every series covers: from the earliest record's month (or today's,
/// if earlier) to the latest record's month (or today's, if later), both included.
/// Subsets use the whole archive's period so their charts line up with the main ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    pub first: Month,
    pub last: Month,
}

impl Period {
    /// The period covering these records and today.
    pub fn covering(entries: &[Entry<'_>], today: Date) -> Period {
        let now = Month::of(today);
        let (first, last) = entries.iter().fold((now, now), |(first, last), e| {
            let month = Month::of(e.record.date);
            (first.min(month), last.max(month))
        });
        Period { first, last }
    }

    /// Every month of the period, in order.
    pub fn months(self) -> impl Iterator<Item = Month> {
        (self.first.index..=self.last.index).map(|index| Month { index })
    }

    /// Every quarter the period touches, in order.
    pub fn quarters(self) -> impl Iterator<Item = Quarter> {
        (self.first.quarter().index..=self.last.quarter().index).map(|index| Quarter { index })
    }

    fn month_count(self) -> usize {
        usize::try_from(self.last.index - self.first.index + 1).unwrap_or(0)
    }

    /// Position of a month in [`Period::months`].
    fn month_slot(self, month: Month) -> Option<usize> {
        usize::try_from(month.index - self.first.index)
            .ok()
            .filter(|&slot| slot < self.month_count())
    }

    /// Position of a quarter in [`Period::quarters`].
    fn quarter_slot(self, quarter: Quarter) -> Option<usize> {
        usize::try_from(quarter.index - self.first.quarter().index).ok()
    }
}

/// The nearest-rank percentile of ascending `sorted` values: the smallest value such
/// that at least `percent`% of the values are at most it (rank `ceil(p/100 * n)`).
/// So the median of an even count is the lower of the two middle values, and every
/// result is a value that occurred. `None` for no values.
pub fn nearest_rank(sorted: &[i64], percent: usize) -> Option<i64> {
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// Median and 90th percentile of a set of durations, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Spread {
    /// How many records had the figure.
    pub count: usize,
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

impl Spread {
    fn of(mut values: Vec<i64>) -> Spread {
        values.sort_unstable();
        Spread {
            count: values.len(),
            median: nearest_rank(&values, 50),
            p90: nearest_rank(&values, 90),
        }
    }
}

/// A [`Spread`] for one quarter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct QuarterSpread {
    pub quarter: Quarter,
    #[serde(flatten)]
    pub spread: Spread,
}

/// A duration figure over the whole set and per quarter of the records' dates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DurationTrend {
    pub overall: Spread,
    pub per_quarter: Vec<QuarterSpread>,
}

impl DurationTrend {
    fn of(entries: &[Entry<'_>], period: Period, figure: fn(&Figures) -> Option<i64>) -> Self {
        let mut buckets: Vec<Vec<i64>> = period.quarters().map(|_| Vec::new()).collect();
        let mut all = Vec::new();
        for entry in entries {
            let Some(value) = figure(entry.figures) else {
                continue;
            };
            let quarter = Month::of(entry.record.date).quarter();
            if let Some(bucket) = period
                .quarter_slot(quarter)
                .and_then(|s| buckets.get_mut(s))
            {
                bucket.push(value);
            }
            all.push(value);
        }
        DurationTrend {
            overall: Spread::of(all),
            per_quarter: period
                .quarters()
                .zip(buckets)
                .map(|(quarter, values)| QuarterSpread {
                    quarter,
                    spread: Spread::of(values),
                })
                .collect(),
        }
    }
}

/// Counts per severity in the order of [`Insights::severities`]; serialized as an
/// object from severity name to count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeverityCounts {
    pub names: Vec<String>,
    pub counts: Vec<usize>,
}

impl Serialize for SeverityCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.names.iter().zip(&self.counts))
    }
}

/// Incidents that began in one month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthIncidents {
    pub month: Month,
    pub total: usize,
    pub by_severity: SeverityCounts,
}

/// A service and how many records name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceIncidents {
    pub service: String,
    pub incidents: usize,
}

/// A service and the summed duration of the records that name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceImpact {
    pub service: String,
    /// Sum of the durations, in seconds.
    pub seconds: i64,
    /// How many records contributed a duration.
    pub incidents: usize,
}

/// The action items of the records that began in one month, by their state today.
/// The format records no closing date, so closed items count in the month they
/// were opened (a cohort view), not the month they were closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthActions {
    pub month: Month,
    pub opened: usize,
    pub done: usize,
    pub wont_do: usize,
    /// Still open or in progress today.
    pub open: usize,
}

/// How many of today's open items were already past due on the month's last day
/// (or today, for the current month).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthOverdue {
    pub month: Month,
    #[serde(serialize_with = "display")]
    pub as_of: Date,
    pub overdue: usize,
}

/// Where every action item stands against its due date today. Each item is in
/// exactly one bucket.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FollowThrough {
    pub items: usize,
    /// Done, and the due date is today or later: done within the due date for certain.
    pub done_before_due: usize,
    /// Done, and the due date has passed: whether it was done in time is not recorded.
    pub done_due_passed: usize,
    /// Open or in progress, and the due date has passed.
    pub overdue: usize,
    /// Open or in progress, and the due date is today or later.
    pub open_not_due: usize,
    /// Open or done, without a due date.
    pub no_due: usize,
    pub wont_do: usize,
    /// Done items with a due date as a share of those plus the overdue ones, in
    /// percent with one decimal: the most that can have been done within their due
    /// date. `None` when there are neither.
    pub done_pct: Option<f64>,
}

/// Sums of the per-record figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub incidents: usize,
    pub action_items: usize,
    pub open: usize,
    pub overdue: usize,
    pub done: usize,
    pub wont_do: usize,
}

/// Every insight figure of a set of records. See docs/insights.md.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Insights {
    #[serde(serialize_with = "display")]
    pub today: Date,
    pub period: Period,
    /// Stacking order: site.toml's severities, most severe first, then any other
    /// severity a record names, by name.
    pub severities: Vec<String>,
    pub totals: Totals,
    pub incidents_per_month: Vec<MonthIncidents>,
    pub time_to_detect: DurationTrend,
    pub time_to_resolve: DurationTrend,
    pub top_services_by_incidents: Vec<ServiceIncidents>,
    pub top_services_by_impact: Vec<ServiceImpact>,
    pub actions_per_month: Vec<MonthActions>,
    pub overdue_per_month: Vec<MonthOverdue>,
    pub follow_through: FollowThrough,
}

fn display<T: fmt::Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

impl Insights {
    /// The figures of `entries` over the period they and today cover.
    pub fn compute(entries: &[Entry<'_>], config: &SiteConfig, today: Date) -> Insights {
        Insights::compute_in(entries, config, today, Period::covering(entries, today))
    }

    /// The figures of `entries` over a given period (records outside it are left out
    /// of the monthly and quarterly series, not of the totals).
    pub fn compute_in(
        entries: &[Entry<'_>],
        config: &SiteConfig,
        today: Date,
        period: Period,
    ) -> Insights {
        let severities = severity_order(entries, config);
        Insights {
            today,
            period,
            totals: totals(entries),
            incidents_per_month: incidents_per_month(entries, &severities, period),
            time_to_detect: DurationTrend::of(entries, period, |f| f.time_to_detect),
            time_to_resolve: DurationTrend::of(entries, period, |f| f.time_to_resolve),
            top_services_by_incidents: top_services_by_incidents(entries),
            top_services_by_impact: top_services_by_impact(entries),
            actions_per_month: actions_per_month(entries, period),
            overdue_per_month: overdue_per_month(entries, period, today),
            follow_through: follow_through(entries, today),
            severities,
        }
    }

    /// The same figures for each service's records, keyed by service name, over
    /// `period` (the whole archive's, so charts line up). Runs in parallel.
    pub fn by_service(
        entries: &[Entry<'_>],
        config: &SiteConfig,
        today: Date,
        period: Period,
    ) -> BTreeMap<String, Insights> {
        subsets(entries, config, today, period, |r| &r.services)
    }

    /// The same figures for each tag's records, keyed by tag, over `period`.
    pub fn by_tag(
        entries: &[Entry<'_>],
        config: &SiteConfig,
        today: Date,
        period: Period,
    ) -> BTreeMap<String, Insights> {
        subsets(entries, config, today, period, |r| &r.tags)
    }
}

fn subsets(
    entries: &[Entry<'_>],
    config: &SiteConfig,
    today: Date,
    period: Period,
    names: fn(&Record) -> &[crate::diag::Spanned<String>],
) -> BTreeMap<String, Insights> {
    let mut groups: BTreeMap<&str, Vec<Entry<'_>>> = BTreeMap::new();
    for entry in entries {
        let mut seen: Vec<&str> = names(entry.record).iter().map(|n| n.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        for name in seen {
            groups.entry(name).or_default().push(*entry);
        }
    }
    groups
        .into_par_iter()
        .map(|(name, group)| {
            (
                name.to_string(),
                Insights::compute_in(&group, config, today, period),
            )
        })
        .collect()
}

fn severity_order(entries: &[Entry<'_>], config: &SiteConfig) -> Vec<String> {
    let mut order: Vec<String> = config.severities.iter().map(|s| s.name.clone()).collect();
    let mut others: Vec<&str> = entries
        .iter()
        .map(|e| e.record.severity.as_str())
        .filter(|s| !order.iter().any(|known| known == s))
        .collect();
    others.sort_unstable();
    others.dedup();
    order.extend(others.into_iter().map(String::from));
    order
}

fn totals(entries: &[Entry<'_>]) -> Totals {
    let mut totals = Totals {
        incidents: entries.len(),
        ..Totals::default()
    };
    for entry in entries {
        let a = &entry.figures.actions;
        totals.action_items += a.total;
        totals.open += a.open;
        totals.overdue += a.overdue;
        totals.done += a.done;
        totals.wont_do += a.wont_do;
    }
    totals
}

fn incidents_per_month(
    entries: &[Entry<'_>],
    severities: &[String],
    period: Period,
) -> Vec<MonthIncidents> {
    let mut counts = vec![vec![0usize; severities.len()]; period.month_count()];
    for entry in entries {
        let slot = period.month_slot(Month::of(entry.record.date));
        let severity = severities.iter().position(|s| *s == entry.record.severity);
        if let Some(count) = slot
            .zip(severity)
            .and_then(|(m, s)| counts.get_mut(m)?.get_mut(s))
        {
            *count += 1;
        }
    }
    period
        .months()
        .zip(counts)
        .map(|(month, counts)| MonthIncidents {
            month,
            total: counts.iter().sum(),
            by_severity: SeverityCounts {
                names: severities.to_vec(),
                counts,
            },
        })
        .collect()
}

/// Each record's services, once each even when a record repeats one.
fn services_of(record: &Record) -> Vec<&str> {
    let mut names: Vec<&str> = record.services.iter().map(|s| s.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names
}

fn top_services_by_incidents(entries: &[Entry<'_>]) -> Vec<ServiceIncidents> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for entry in entries {
        for service in services_of(entry.record) {
            *counts.entry(service).or_default() += 1;
        }
    }
    let mut list: Vec<ServiceIncidents> = counts
        .into_iter()
        .map(|(service, incidents)| ServiceIncidents {
            service: service.to_string(),
            incidents,
        })
        .collect();
    list.sort_by(|a, b| {
        b.incidents
            .cmp(&a.incidents)
            .then_with(|| a.service.cmp(&b.service))
    });
    list.truncate(TOP_SERVICES);
    list
}

fn top_services_by_impact(entries: &[Entry<'_>]) -> Vec<ServiceImpact> {
    let mut sums: BTreeMap<&str, (i64, usize)> = BTreeMap::new();
    for entry in entries {
        let Some(duration) = entry.figures.duration else {
            continue;
        };
        for service in services_of(entry.record) {
            let sum = sums.entry(service).or_default();
            sum.0 = sum.0.saturating_add(duration);
            sum.1 += 1;
        }
    }
    let mut list: Vec<ServiceImpact> = sums
        .into_iter()
        .map(|(service, (seconds, incidents))| ServiceImpact {
            service: service.to_string(),
            seconds,
            incidents,
        })
        .collect();
    list.sort_by(|a, b| {
        b.seconds
            .cmp(&a.seconds)
            .then_with(|| a.service.cmp(&b.service))
    });
    list.truncate(TOP_SERVICES);
    list
}

fn actions_per_month(entries: &[Entry<'_>], period: Period) -> Vec<MonthActions> {
    let mut months: Vec<MonthActions> = period
        .months()
        .map(|month| MonthActions {
            month,
            opened: 0,
            done: 0,
            wont_do: 0,
            open: 0,
        })
        .collect();
    for entry in entries {
        let slot = period.month_slot(Month::of(entry.record.date));
        let Some(month) = slot.and_then(|s| months.get_mut(s)) else {
            continue;
        };
        for state in &entry.figures.action_states {
            month.opened += 1;
            match state {
                ActionState::Done => month.done += 1,
                ActionState::WontDo => month.wont_do += 1,
                ActionState::Overdue | ActionState::Open | ActionState::InProgress => {
                    month.open += 1
                }
            }
        }
    }
    months
}

/// For each month up to today's: how many items that are open today were already
/// past due on the month's last day (today for the current month) and belonged to a
/// record dated on or before that day. Items closed since are not counted, since the
/// format does not say when they were closed: past months are a lower bound.
fn overdue_per_month(entries: &[Entry<'_>], period: Period, today: Date) -> Vec<MonthOverdue> {
    let last = period.last.min(Month::of(today));
    let shown = Period {
        first: period.first,
        last,
    };
    let days: Vec<Date> = if period.first <= last {
        shown.months().map(|m| m.last_day().min(today)).collect()
    } else {
        Vec::new()
    };
    // An item counts from the first month whose day is after its due date and on or
    // after its record's date, to the end: a difference array over the months.
    let mut starts = vec![0usize; days.len() + 1];
    for entry in entries {
        for item in &entry.record.action_items {
            let (true, Some(due)) = (item.status.is_open(), item.due.as_ref()) else {
                continue;
            };
            let first = days.partition_point(|&day| day <= due.value || day < entry.record.date);
            if let Some(start) = starts.get_mut(first) {
                *start += 1;
            }
        }
    }
    let mut running = 0;
    shown
        .months()
        .zip(days)
        .zip(starts)
        .map(|((month, as_of), start)| {
            running += start;
            MonthOverdue {
                month,
                as_of,
                overdue: running,
            }
        })
        .collect()
}

fn follow_through(entries: &[Entry<'_>], today: Date) -> FollowThrough {
    let mut f = FollowThrough::default();
    for entry in entries {
        let items = entry.record.action_items.iter();
        for (item, state) in items.zip(&entry.figures.action_states) {
            f.items += 1;
            let due_passed = item.due.as_ref().map(|due| due.value < today);
            match (state, due_passed) {
                (ActionState::WontDo, _) => f.wont_do += 1,
                (ActionState::Overdue, _) => f.overdue += 1,
                (_, None) => f.no_due += 1,
                (ActionState::Done, Some(false)) => f.done_before_due += 1,
                (ActionState::Done, Some(true)) => f.done_due_passed += 1,
                (ActionState::Open | ActionState::InProgress, Some(_)) => f.open_not_due += 1,
            }
        }
    }
    let done = f.done_before_due + f.done_due_passed;
    f.done_pct = percent(done, done + f.overdue);
    f
}

/// `part / whole` in percent, rounded half up to one decimal, from integers so the
/// same counts always print the same number.
fn percent(part: usize, whole: usize) -> Option<f64> {
    if whole == 0 {
        return None;
    }
    let tenths = (part as u128 * 2000 + whole as u128) / (whole as u128 * 2);
    Some(tenths as f64 / 10.0)
}

#[cfg(test)]
mod tests;
