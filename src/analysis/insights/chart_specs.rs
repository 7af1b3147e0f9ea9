//! What each insight chart shows, decided apart from drawing it: its id, title and
//! description, its numbers as a [`Table`], and the bars a drawing needs as a
//! [`Plot`].
//!
//! In: an [`Insights`] value and a prefix for element ids. Out: one [`ChartSpec`]
//! per chart, in page order: every chart of the insights page ([`insight_charts`])
//! or the small set on a service's or tag's page ([`summary_charts`]). Pure data, no
//! SVG and no colours: the render stage draws a spec, giving each [`Tone`] its
//! colour (severities take site.toml's), and `casebook stats` prints the titles,
//! descriptions and tables without drawing anything.

use std::fmt::Write;

use serde::Serialize;

use crate::analysis::insights::{DurationTrend, Insights, MonthActions};
use crate::analysis::metrics::human_duration;
use crate::core::numbers::thousands;

/// One chart as data, so that the insights page, the pages of services and tags and
/// `casebook stats` show the same title, description and numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartSpec {
    /// Unique on a page; the drawing's element ids start with it.
    pub id: String,
    pub title: String,
    /// A sentence with the key numbers, for screen readers and for the page.
    pub description: String,
    /// The numbers, shown as text beside the drawing.
    pub table: Table,
    /// What the drawing draws.
    pub plot: Plot,
}

/// A chart's numbers as rows of text, first column the category: the page shows
/// them beside the drawing and `casebook stats` prints them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The bars a chart draws, so a drawing needs nothing but the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plot {
    /// Vertical bars, one bar or group per category (a month, a quarter).
    Bars(Bars),
    /// One labelled horizontal bar per row, scaled to the largest.
    Horizontal { rows: Vec<Row>, unit: Unit },
}

/// What a vertical bar chart shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bars {
    /// One bar or group per category, labelled below the axis.
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    pub layout: Layout,
    pub unit: Unit,
    pub size: Size,
    pub scale: Scale,
}

/// How values map to bar heights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Heights in proportion to the values, from zero.
    Linear,
    /// Heights by the logarithm of the values, on an axis from a round value below
    /// the smallest to one above the largest, so one outlier (a six-day detection)
    /// does not flatten every other bar to nothing.
    Log,
}

/// What the numbers measure, which decides how values and axis labels read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Whole things: incidents, action items.
    Count,
    /// Seconds, labelled as durations ("1 h 30 min").
    Seconds,
}

impl Unit {
    /// A value as the charts' labels and tables print it.
    pub fn format(self, value: i64) -> String {
        match self {
            Unit::Count => thousands(value),
            Unit::Seconds => human_duration(value),
        }
    }
}

/// How a bar reads, so that one meaning has one colour in every chart; the
/// drawing picks the colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// The severity at this rank of [`Insights::severities`].
    Severity(usize),
    /// Done.
    Good,
    /// Overdue, or time lost to incidents.
    Bad,
    /// Open, or a plain count or median.
    Neutral,
    /// Set against a neutral series beside it (the 90th percentile).
    Contrast,
    /// Set aside: won't do, or no due date.
    Muted,
}

/// One series of a bar chart; `None` values draw no bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    /// Shown in the legend and in each bar's tooltip.
    pub name: String,
    pub tone: Tone,
    pub values: Vec<Option<i64>>,
}

/// How the series of a bar chart share a category.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// On top of each other: the bar's height is the sum.
    Stacked,
    /// Side by side.
    Grouped,
}

/// A horizontal bar: a label and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub value: i64,
    pub tone: Tone,
}

/// How large a chart is: full on the insights page, small on the pages of a
/// service or tag, where time series show only their recent part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// The whole period, drawn tall.
    Full,
    /// The recent part ([`RECENT_MONTHS`], [`RECENT_QUARTERS`]), drawn short.
    Small,
}

/// Months a small chart of incidents per month shows, the most recent ones.
pub const RECENT_MONTHS: usize = 24;
/// Quarters a small duration chart shows, the most recent ones.
pub const RECENT_QUARTERS: usize = 8;

/// A count as the tables print it, thousands separated.
fn count(value: usize) -> String {
    thousands(i64::try_from(value).unwrap_or(i64::MAX))
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| s.to_string()).collect()
}

fn optional(unit: Unit, value: Option<i64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| unit.format(v))
}

/// Every chart of the insights page, in page order; element ids start with `prefix`
/// so several sets can share a page.
pub fn insight_charts(insights: &Insights, prefix: &str) -> Vec<ChartSpec> {
    let size = Size::Full;
    vec![
        incidents_per_month(insights, prefix, size),
        time_to_detect(insights, prefix, size),
        time_to_resolve(insights, prefix, size),
        services_by_incidents(insights, prefix),
        services_by_impact(insights, prefix),
        actions_per_month(insights, prefix, size),
        overdue_per_month(insights, prefix, size),
        follow_through(insights, prefix),
    ]
}

/// The small version for the page of a service or tag: incidents per month, time
/// to detect and to resolve, and action items against their due date. The time
/// series show the last [`RECENT_MONTHS`] months and [`RECENT_QUARTERS`] quarters of
/// the archive's period, so a page's size and cost do not grow with the archive's
/// age (the insights page keeps the whole period).
pub fn summary_charts(insights: &Insights, prefix: &str) -> Vec<ChartSpec> {
    let size = Size::Small;
    vec![
        incidents_per_month(insights, prefix, size),
        time_to_detect(insights, prefix, size),
        time_to_resolve(insights, prefix, size),
        follow_through(insights, prefix),
    ]
}

/// The part of a time series a chart of `size` shows: all of it at full size, the
/// last `keep` entries when small.
fn recent<T>(series: &[T], size: Size, keep: usize) -> &[T] {
    match size {
        Size::Full => series,
        Size::Small => &series[series.len().saturating_sub(keep)..],
    }
}

/// A chart's title, saying so when it shows only the last `shown` of `all` entries.
fn windowed_title(title: &str, shown: usize, all: usize, unit: &str) -> String {
    if shown < all {
        format!("{title}, last {shown} {unit}")
    } else {
        title.to_string()
    }
}

fn time_to_detect(insights: &Insights, prefix: &str, size: Size) -> ChartSpec {
    duration_trend(
        format!("{prefix}time-to-detect"),
        "Time to detect per quarter",
        "from the start to detection",
        &insights.time_to_detect,
        size,
    )
}

fn time_to_resolve(insights: &Insights, prefix: &str, size: Size) -> ChartSpec {
    duration_trend(
        format!("{prefix}time-to-resolve"),
        "Time to resolve per quarter",
        "from detection to resolution",
        &insights.time_to_resolve,
        size,
    )
}

fn incidents_per_month(insights: &Insights, prefix: &str, size: Size) -> ChartSpec {
    let all = &insights.incidents_per_month;
    let months = recent(all, size, RECENT_MONTHS);
    let categories: Vec<String> = months.iter().map(|m| m.month.to_string()).collect();
    let series: Vec<Series> = insights
        .severities
        .iter()
        .enumerate()
        .map(|(rank, name)| Series {
            name: name.clone(),
            tone: Tone::Severity(rank),
            values: months
                .iter()
                .map(|m| m.by_severity.counts.get(rank).map(|&c| c as i64))
                .collect(),
        })
        .collect();
    let busiest = months
        .iter()
        .max_by(|a, b| a.total.cmp(&b.total).then_with(|| b.month.cmp(&a.month)));
    let (first, shown) = match months.first() {
        Some(first) if months.len() < all.len() => {
            (first.month, months.iter().map(|m| m.total).sum::<usize>())
        }
        _ => (insights.period.first, insights.totals.incidents),
    };
    let mut description = format!(
        "Incidents by the month they began, stacked by severity, from {} to {}: {} in all",
        first,
        insights.period.last,
        count(shown)
    );
    if let Some(top) = busiest.filter(|m| m.total > 0) {
        let tied = months.iter().filter(|m| m.total == top.total).count();
        if tied == 1 {
            let _ = write!(
                description,
                "; the most, {}, in {}",
                count(top.total),
                top.month
            );
        } else {
            let _ = write!(
                description,
                "; at most {} in a month, in {tied} months",
                count(top.total)
            );
        }
    }
    description.push('.');
    let mut columns = vec!["Month".to_string()];
    columns.extend(insights.severities.iter().cloned());
    columns.push("Total".into());
    let rows = months
        .iter()
        .map(|m| {
            let mut row = vec![m.month.to_string()];
            row.extend(m.by_severity.counts.iter().map(|&c| count(c)));
            row.push(count(m.total));
            row
        })
        .collect();
    ChartSpec {
        id: format!("{prefix}incidents-per-month"),
        title: windowed_title(
            "Incidents per month by severity",
            months.len(),
            all.len(),
            "months",
        ),
        description,
        table: Table { columns, rows },
        plot: Plot::Bars(Bars {
            categories,
            series,
            layout: Layout::Stacked,
            unit: Unit::Count,
            size,
            scale: Scale::Linear,
        }),
    }
}

fn duration_trend(
    id: String,
    title: &str,
    measured: &str,
    trend: &DurationTrend,
    size: Size,
) -> ChartSpec {
    let quarters = recent(&trend.per_quarter, size, RECENT_QUARTERS);
    let categories: Vec<String> = quarters.iter().map(|q| q.quarter.to_string()).collect();
    let series = vec![
        Series {
            name: "median".into(),
            tone: Tone::Neutral,
            values: quarters.iter().map(|q| q.spread.median).collect(),
        },
        Series {
            name: "90th percentile".into(),
            tone: Tone::Contrast,
            values: quarters.iter().map(|q| q.spread.p90).collect(),
        },
    ];
    let description = format!(
        "Median and 90th percentile of the time {measured}, per quarter of the incident's date; \
         over all {} incidents with the figure, median {} and 90th percentile {}. \
         The bars use a logarithmic scale (each grid line is a longer time), so a rare \
         very long incident does not flatten the others.",
        count(trend.overall.count),
        optional(Unit::Seconds, trend.overall.median),
        optional(Unit::Seconds, trend.overall.p90),
    );
    let rows = quarters
        .iter()
        .map(|q| {
            vec![
                q.quarter.to_string(),
                count(q.spread.count),
                optional(Unit::Seconds, q.spread.median),
                optional(Unit::Seconds, q.spread.p90),
            ]
        })
        .collect();
    ChartSpec {
        id,
        title: windowed_title(title, quarters.len(), trend.per_quarter.len(), "quarters"),
        description,
        table: Table {
            columns: strings(&["Quarter", "Incidents", "Median", "90th percentile"]),
            rows,
        },
        plot: Plot::Bars(Bars {
            categories,
            series,
            layout: Layout::Grouped,
            unit: Unit::Seconds,
            size,
            scale: Scale::Log,
        }),
    }
}

fn services_by_incidents(insights: &Insights, prefix: &str) -> ChartSpec {
    let list = &insights.top_services_by_incidents;
    let description = match list.first() {
        Some(top) => format!(
            "The {} services named by the most incidents; {} leads with {}.",
            list.len(),
            top.service,
            count(top.incidents)
        ),
        None => "No incident names a service.".to_string(),
    };
    ChartSpec {
        id: format!("{prefix}services-by-incidents"),
        title: "Services with the most incidents".into(),
        description,
        table: Table {
            columns: strings(&["Service", "Incidents"]),
            rows: list
                .iter()
                .map(|s| vec![s.service.clone(), count(s.incidents)])
                .collect(),
        },
        plot: Plot::Horizontal {
            rows: list
                .iter()
                .map(|s| Row {
                    label: s.service.clone(),
                    value: s.incidents as i64,
                    tone: Tone::Neutral,
                })
                .collect(),
            unit: Unit::Count,
        },
    }
}

fn services_by_impact(insights: &Insights, prefix: &str) -> ChartSpec {
    let list = &insights.top_services_by_impact;
    let description = match list.first() {
        Some(top) => format!(
            "The {} services with the longest summed incident duration; {} leads with {}.",
            list.len(),
            top.service,
            human_duration(top.seconds)
        ),
        None => "No incident with a duration names a service.".to_string(),
    };
    ChartSpec {
        id: format!("{prefix}services-by-impact"),
        title: "Services with the most impact time".into(),
        description,
        table: Table {
            columns: strings(&["Service", "Impact time", "Incidents"]),
            rows: list
                .iter()
                .map(|s| {
                    vec![
                        s.service.clone(),
                        human_duration(s.seconds),
                        count(s.incidents),
                    ]
                })
                .collect(),
        },
        plot: Plot::Horizontal {
            rows: list
                .iter()
                .map(|s| Row {
                    label: s.service.clone(),
                    value: s.seconds,
                    tone: Tone::Bad,
                })
                .collect(),
            unit: Unit::Seconds,
        },
    }
}

fn actions_per_month(insights: &Insights, prefix: &str, size: Size) -> ChartSpec {
    let months = &insights.actions_per_month;
    let categories: Vec<String> = months.iter().map(|m| m.month.to_string()).collect();
    let series_of = |name: &str, tone: Tone, value: fn(&MonthActions) -> usize| Series {
        name: name.into(),
        tone,
        values: months.iter().map(|m| Some(value(m) as i64)).collect(),
    };
    let series = vec![
        series_of("done", Tone::Good, |m| m.done),
        series_of("won't do", Tone::Muted, |m| m.wont_do),
        series_of("still open", Tone::Neutral, |m| m.open),
    ];
    let t = &insights.totals;
    let description = format!(
        "Action items by the month of their incident, stacked by their state today \
         (closed items count in the month they were opened): {} opened, {} done, \
         {} won't do, {} still open.",
        count(t.action_items),
        count(t.done),
        count(t.wont_do),
        count(t.open)
    );
    ChartSpec {
        id: format!("{prefix}actions-per-month"),
        title: "Action items opened per month, and closed since".into(),
        description,
        table: Table {
            columns: strings(&["Month", "Opened", "Done", "Won't do", "Still open"]),
            rows: months
                .iter()
                .map(|m| {
                    vec![
                        m.month.to_string(),
                        count(m.opened),
                        count(m.done),
                        count(m.wont_do),
                        count(m.open),
                    ]
                })
                .collect(),
        },
        plot: Plot::Bars(Bars {
            categories,
            series,
            layout: Layout::Stacked,
            unit: Unit::Count,
            size,
            scale: Scale::Linear,
        }),
    }
}

fn overdue_per_month(insights: &Insights, prefix: &str, size: Size) -> ChartSpec {
    let months = &insights.overdue_per_month;
    let categories: Vec<String> = months.iter().map(|m| m.month.to_string()).collect();
    let series = vec![Series {
        name: "overdue".into(),
        tone: Tone::Bad,
        values: months.iter().map(|m| Some(m.overdue as i64)).collect(),
    }];
    let description = format!(
        "Action items still open today that were already past their due date at the end of \
         each month; {} are overdue on {}. Past months are a lower bound: the archive does not \
         record when an item was done, so items done since are left out of every month.",
        count(insights.totals.overdue),
        insights.today
    );
    ChartSpec {
        id: format!("{prefix}overdue-per-month"),
        title: "Overdue action items over time".into(),
        description,
        table: Table {
            columns: strings(&["Month", "As of", "Overdue"]),
            rows: months
                .iter()
                .map(|m| vec![m.month.to_string(), m.as_of.to_string(), count(m.overdue)])
                .collect(),
        },
        plot: Plot::Bars(Bars {
            categories,
            series,
            layout: Layout::Stacked,
            unit: Unit::Count,
            size,
            scale: Scale::Linear,
        }),
    }
}

/// Done while the due date is still ahead: certainly in time.
const DONE_IN_TIME: &str = "done, due date still ahead";
/// Done, due date behind: on time or late, the format records no completion date,
/// so the name says that rather than reading as "late".
const DONE_WHEN_UNKNOWN: &str = "done, date not recorded";

fn follow_through(insights: &Insights, prefix: &str) -> ChartSpec {
    let f = &insights.follow_through;
    let buckets = [
        (DONE_IN_TIME, f.done_before_due, Tone::Good),
        (DONE_WHEN_UNKNOWN, f.done_due_passed, Tone::Good),
        ("overdue", f.overdue, Tone::Bad),
        ("open, not yet due", f.open_not_due, Tone::Neutral),
        ("no due date", f.no_due, Tone::Muted),
        ("won't do", f.wont_do, Tone::Muted),
    ];
    let share = f.done_pct.map_or_else(
        || "no item is done or overdue yet".to_string(),
        |p| format!("of the items with a due date that are done or overdue, {p:.1}% are done"),
    );
    let description = format!(
        "Each of the {} action items by where it stands against its due date on {}; {share}. \
         The archive does not record when an item was done: the {} “{DONE_WHEN_UNKNOWN}” \
         items may have been done on time or late, so this chart cannot say how many were late.",
        count(f.items),
        insights.today,
        count(f.done_due_passed),
    );
    ChartSpec {
        id: format!("{prefix}follow-through"),
        title: "Action items against their due date".into(),
        description,
        table: Table {
            columns: strings(&["State", "Items"]),
            rows: buckets
                .iter()
                .map(|(label, value, _)| vec![label.to_string(), count(*value)])
                .collect(),
        },
        plot: Plot::Horizontal {
            rows: buckets
                .iter()
                .map(|&(label, value, tone)| Row {
                    label: label.to_string(),
                    value: value as i64,
                    tone,
                })
                .collect(),
            unit: Unit::Count,
        },
    }
}
