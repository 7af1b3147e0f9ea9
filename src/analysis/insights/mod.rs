//! Insights: the archive-wide figures (incident trends, detection and resolution
//! times, the services that fail most, action-item follow-through), computed once
//! from the records and their per-record [`Figures`].
//!
//! In: [`Entry`] values (a record with its figures, computed once by
//! `analysis::figures`), the configuration and "today". Out: one serializable
//! [`Insights`] value that the insights page, `casebook stats` and `incidents.json`
//! all print, so they cannot disagree. [`Facts`] holds what the figures read of
//! each record, prepared once; [`Facts::subset`] runs the same computation over a
//! subset of the records (a service's or a tag's) without reading them again.
//! [`chart_specs`] turns an [`Insights`] value into the charts that show it, as data.
//!
//! Every figure's definition, and what the record format cannot tell, is in
//! docs/insights.md. In short: a record's month and quarter are those of its `date`
//! (the day it began, already a day in site.toml's timezone); percentiles are
//! nearest-rank; "closed" counts are by the month the item was opened, because the
//! format records no closing date.

pub mod chart_specs;
pub mod from_git;

use std::fmt;
use std::ops::Range;

use jiff::civil::Date;
use serde::{Serialize, Serializer};

use crate::analysis::metrics::{ActionState, Figures};
use crate::core::config::SiteConfig;
use crate::core::model::Record;

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
    /// Follow-through from git (closing and approval commits); absent outside a
    /// repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_git: Option<from_git::FromGit>,
}

fn display<T: fmt::Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// What the insights read of one record, packed so that every figure, and every
/// subset's figures, is a pass over one small contiguous array rather than over
/// the large records.
#[derive(Clone, Debug)]
struct Fact {
    date: Date,
    /// Position of the record's month in the period.
    month: usize,
    /// Position of the record's quarter in the period.
    quarter: usize,
    /// Position of the record's severity in [`Facts::severities`].
    severity: usize,
    time_to_detect: Option<i64>,
    time_to_resolve: Option<i64>,
    duration: Option<i64>,
    actions: crate::analysis::metrics::ActionCounts,
    /// Ranges into [`Facts::refs`] (service ids) and [`Facts::items`].
    services: Range<usize>,
    items: Range<usize>,
}

/// One action item, as the insights read it.
#[derive(Clone, Copy, Debug)]
struct ItemFact {
    state: ActionState,
    due: Option<Date>,
}

/// The records prepared once for [`Insights`]: one `Fact` per record, service
/// names numbered in name order, the period and the severity order. The whole
/// archive's figures and each subset's (a service's or tag's records) are computed
/// from it.
#[derive(Debug)]
pub struct Facts {
    today: Date,
    period: Period,
    severities: Vec<String>,
    facts: Vec<Fact>,
    items: Vec<ItemFact>,
    /// Service ids of every record, deduplicated and sorted per record.
    refs: Vec<usize>,
    services: Vec<String>,
}

/// Sorted, deduplicated names: a name's position is its id. Deduplicates through a
/// hash set first (names repeat across thousands of records); the order comes from
/// the sort alone.
fn numbered<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let unique: std::collections::HashSet<&str> = names.collect();
    let mut names: Vec<&str> = unique.into_iter().collect();
    names.sort_unstable();
    names
}

fn ids(
    names: &[&str],
    of: &[crate::core::diag::Spanned<String>],
    refs: &mut Vec<usize>,
) -> Range<usize> {
    let start = refs.len();
    refs.extend(
        of.iter()
            .filter_map(|n| names.binary_search(&n.as_str()).ok()),
    );
    refs[start..].sort_unstable();
    let mut end = start;
    for i in start..refs.len() {
        if end == start || refs[end - 1] != refs[i] {
            refs[end] = refs[i];
            end += 1;
        }
    }
    refs.truncate(end);
    start..end
}

impl Facts {
    /// Reads what the insights need from each record and its figures, once.
    pub fn new(entries: &[Entry<'_>], config: &SiteConfig, today: Date) -> Facts {
        let period = Period::covering(entries, today);
        let severities = severity_order(entries, config);
        let services = numbered(
            entries
                .iter()
                .flat_map(|e| e.record.services.iter().map(|s| s.as_str())),
        );
        let mut refs = Vec::new();
        let mut items = Vec::new();
        let facts = entries
            .iter()
            .map(|e| {
                let record = e.record;
                let month = Month::of(record.date);
                let start = items.len();
                items.extend(
                    record
                        .action_items
                        .iter()
                        .zip(&e.figures.action_states)
                        .map(|(item, &state)| ItemFact {
                            state,
                            due: item.due.as_ref().map(|d| d.value),
                        }),
                );
                let service_ids = ids(&services, &record.services, &mut refs);
                Fact {
                    date: record.date,
                    month: period.month_slot(month).unwrap_or(0),
                    quarter: period.quarter_slot(month.quarter()).unwrap_or(0),
                    severity: severities
                        .iter()
                        .position(|s| *s == record.severity)
                        .unwrap_or(0),
                    time_to_detect: e.figures.time_to_detect,
                    time_to_resolve: e.figures.time_to_resolve,
                    duration: e.figures.duration,
                    actions: e.figures.actions,
                    services: service_ids,
                    items: start..items.len(),
                }
            })
            .collect();
        Facts {
            today,
            period,
            severities,
            facts,
            items,
            refs,
            services: services.into_iter().map(String::from).collect(),
        }
    }

    /// The figures of every record.
    pub fn insights(&self) -> Insights {
        self.select(self.facts.iter())
    }

    /// The figures of the records at these positions (in the order the facts were
    /// made from), such as the records of one list page.
    pub fn subset(&self, positions: &[usize]) -> Insights {
        self.select(positions.iter().filter_map(|&i| self.facts.get(i)))
    }

    /// Every figure over the selected facts, in one pass plus sorting.
    fn select<'f>(&self, selected: impl Iterator<Item = &'f Fact>) -> Insights {
        let period = self.period;
        let months = period.month_count();
        let quarters = period.quarters().count();
        let mut totals = Totals::default();
        let mut per_month = vec![vec![0usize; self.severities.len()]; months];
        let mut actions: Vec<MonthActions> = period
            .months()
            .map(|month| MonthActions {
                month,
                opened: 0,
                done: 0,
                wont_do: 0,
                open: 0,
            })
            .collect();
        let mut detect = Samples::new(quarters);
        let mut resolve = Samples::new(quarters);
        let mut service_counts = vec![(0usize, 0i64, 0usize); self.services.len()];
        let overdue_days = overdue_days(period, self.today);
        let mut overdue_starts = vec![0usize; overdue_days.len() + 1];
        let mut follow = FollowThrough::default();
        for fact in selected {
            totals.incidents += 1;
            let a = &fact.actions;
            totals.action_items += a.total;
            totals.open += a.open;
            totals.overdue += a.overdue;
            totals.done += a.done;
            totals.wont_do += a.wont_do;
            if let Some(count) = per_month
                .get_mut(fact.month)
                .and_then(|m| m.get_mut(fact.severity))
            {
                *count += 1;
            }
            detect.add(fact.quarter, fact.time_to_detect);
            resolve.add(fact.quarter, fact.time_to_resolve);
            for &id in &self.refs[fact.services.clone()] {
                if let Some(service) = service_counts.get_mut(id) {
                    service.0 += 1;
                    if let Some(duration) = fact.duration {
                        service.1 = service.1.saturating_add(duration);
                        service.2 += 1;
                    }
                }
            }
            let mut cohort = actions.get_mut(fact.month);
            for item in &self.items[fact.items.clone()] {
                if let Some(month) = cohort.as_deref_mut() {
                    month.add(item.state);
                }
                follow.add(item, self.today);
                if let (true, Some(due)) = (item.state.is_open(), item.due) {
                    // Counted from the first month-end after its due date and on or
                    // after its record's date: a difference array over the months.
                    let first = overdue_days.partition_point(|&day| day <= due || day < fact.date);
                    if let Some(start) = overdue_starts.get_mut(first) {
                        *start += 1;
                    }
                }
            }
        }
        let done = follow.done_before_due + follow.done_due_passed;
        follow.done_pct = percent(done, done + follow.overdue);
        let mut running = 0;
        let overdue_per_month = period
            .months()
            .zip(overdue_days)
            .zip(overdue_starts)
            .map(|((month, as_of), start)| {
                running += start;
                MonthOverdue {
                    month,
                    as_of,
                    overdue: running,
                }
            })
            .collect();
        Insights {
            today: self.today,
            period,
            severities: self.severities.clone(),
            totals,
            incidents_per_month: period
                .months()
                .zip(per_month)
                .map(|(month, counts)| MonthIncidents {
                    month,
                    total: counts.iter().sum(),
                    by_severity: SeverityCounts {
                        names: self.severities.clone(),
                        counts,
                    },
                })
                .collect(),
            time_to_detect: detect.trend(period),
            time_to_resolve: resolve.trend(period),
            top_services_by_incidents: top(&self.services, &service_counts, |c| {
                (c.0 > 0).then_some(c.0 as i64)
            })
            .map(|(service, c)| ServiceIncidents {
                service,
                incidents: c.0,
            })
            .collect(),
            top_services_by_impact: top(&self.services, &service_counts, |c| {
                (c.2 > 0).then_some(c.1)
            })
            .map(|(service, c)| ServiceImpact {
                service,
                seconds: c.1,
                incidents: c.2,
            })
            .collect(),
            actions_per_month: actions,
            overdue_per_month,
            follow_through: follow,
            from_git: None,
        }
    }
}

/// Durations collected per quarter and overall, turned into [`Spread`]s at the end.
struct Samples {
    quarters: Vec<Vec<i64>>,
    all: Vec<i64>,
}

impl Samples {
    fn new(quarters: usize) -> Samples {
        Samples {
            quarters: vec![Vec::new(); quarters],
            all: Vec::new(),
        }
    }

    fn add(&mut self, quarter: usize, value: Option<i64>) {
        if let Some(value) = value {
            if let Some(bucket) = self.quarters.get_mut(quarter) {
                bucket.push(value);
            }
            self.all.push(value);
        }
    }

    fn trend(self, period: Period) -> DurationTrend {
        DurationTrend {
            overall: Spread::of(self.all),
            per_quarter: period
                .quarters()
                .zip(self.quarters)
                .map(|(quarter, values)| QuarterSpread {
                    quarter,
                    spread: Spread::of(values),
                })
                .collect(),
        }
    }
}

impl MonthActions {
    fn add(&mut self, state: ActionState) {
        self.opened += 1;
        match state {
            ActionState::Done => self.done += 1,
            ActionState::WontDo => self.wont_do += 1,
            ActionState::Overdue | ActionState::Open | ActionState::InProgress => self.open += 1,
        }
    }
}

impl FollowThrough {
    fn add(&mut self, item: &ItemFact, today: Date) {
        self.items += 1;
        match (item.state, item.due.map(|due| due < today)) {
            (ActionState::WontDo, _) => self.wont_do += 1,
            (ActionState::Overdue, _) => self.overdue += 1,
            (_, None) => self.no_due += 1,
            (ActionState::Done, Some(false)) => self.done_before_due += 1,
            (ActionState::Done, Some(true)) => self.done_due_passed += 1,
            (ActionState::Open | ActionState::InProgress, Some(_)) => self.open_not_due += 1,
        }
    }
}

/// The day each month's overdue count is taken: its last day, or today for the
/// current month; months after today's are left out.
fn overdue_days(period: Period, today: Date) -> Vec<Date> {
    let now = Month::of(today);
    period
        .months()
        .take_while(|&m| m <= now)
        .map(|m| m.last_day().min(today))
        .collect()
}

/// The [`TOP_SERVICES`] services with the largest key, ties by name; services whose
/// key is `None` are left out.
fn top<'a, C: Copy>(
    names: &'a [String],
    counts: &'a [C],
    key: impl Fn(&C) -> Option<i64>,
) -> impl Iterator<Item = (String, C)> + 'a {
    let mut ranked: Vec<(i64, usize)> = counts
        .iter()
        .enumerate()
        .filter_map(|(id, c)| key(c).map(|k| (k, id)))
        .collect();
    // Ids are in name order, so the id breaks ties by name.
    ranked.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.truncate(TOP_SERVICES);
    ranked
        .into_iter()
        .filter_map(move |(_, id)| Some((names.get(id)?.clone(), *counts.get(id)?)))
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
