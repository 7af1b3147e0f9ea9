//! SVG charts of the [`Insights`], drawn at build time: no chart script, readable
//! without JavaScript, the same bytes for the same figures.
//!
//! In: an [`Insights`] value and the configuration (severity colours). Out: one
//! [`Chart`] per figure, each an SVG string plus the same numbers as a [`Table`] the
//! page shows beside it for screen readers. Every SVG has `role="img"`, a `<title>`
//! and a `<desc>` it names with `aria-labelledby`, and a `<title>` on every bar for
//! a hover tooltip. Text from records (service names) is escaped; coordinates are
//! printed with one decimal so output is deterministic.

use std::fmt::Write;

use serde::Serialize;

use crate::analysis::insights::{DurationTrend, Insights};
use crate::analysis::metrics::human_duration;
use crate::core::config::SiteConfig;
use crate::render::escape;
use crate::render::severity_color;

/// The width every chart is drawn at (the SVG scales down with the page).
pub const WIDTH: f64 = 720.0;
const LEFT: f64 = 76.0;
/// The widest a single bar gets, so a few categories do not draw slabs.
const MAX_BAR: f64 = 48.0;
const RIGHT: f64 = 12.0;
const LEGEND: f64 = 26.0;
const BOTTOM: f64 = 28.0;
const ROW: f64 = 24.0;
const LABEL_COLUMN: f64 = 180.0;
const VALUE_COLUMN: f64 = 84.0;
/// Longer row labels are cut, with an ellipsis; the table keeps them whole.
const MAX_LABEL_CHARS: usize = 26;

const DONE: &str = "#15803d";
const WONT_DO: &str = "#9ca3af";
const OPEN: &str = "#2563eb";
const OVERDUE: &str = "#b91c1c";
const MEDIAN: &str = "#2563eb";
const P90: &str = "#f59e0b";

/// One chart: its SVG and the numbers it draws, for the page and for tests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Chart {
    /// Unique on a page; the SVG's element ids start with it.
    pub id: String,
    pub title: String,
    pub description: String,
    pub svg: String,
    pub table: Table,
}

/// A chart's numbers as rows of text, first column the category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// What the numbers measure, which decides axis steps and labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    /// Seconds, labelled as durations ("1 h 30 min").
    Seconds,
}

impl Unit {
    /// A value as the chart's labels and tables print it.
    pub fn format(self, value: i64) -> String {
        match self {
            Unit::Count => value.to_string(),
            Unit::Seconds => human_duration(value),
        }
    }

    /// The axis step: the smallest round step that splits `max` into at most four
    /// (1, 2, 5 times a power of ten; for durations, round minutes and hours first).
    fn step(self, max: i64) -> i64 {
        let wanted = (max.max(0).saturating_add(3) / 4).max(1);
        let (fixed, mut magnitude): (&[i64], i64) = match self {
            Unit::Count => (&[], 1),
            Unit::Seconds => (
                &[
                    60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200,
                ],
                86_400,
            ),
        };
        if let Some(&step) = fixed.iter().find(|&&s| s >= wanted) {
            return step;
        }
        loop {
            for factor in [1, 2, 5] {
                let step = magnitude.saturating_mul(factor);
                if step >= wanted {
                    return step;
                }
            }
            magnitude = magnitude.saturating_mul(10);
        }
    }
}

/// One coloured series of a bar chart; `None` values draw no bar.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub color: String,
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

/// A horizontal bar: a label, its value and colour.
#[derive(Clone, Debug)]
pub struct Row {
    pub label: String,
    pub value: i64,
    pub color: String,
}

/// A coordinate printed with one decimal, from integers: fixed formatting keeps
/// output byte-identical, and it is much cheaper than float formatting.
pub(crate) struct N(f64);

impl std::fmt::Display for N {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenths = (self.0 * 10.0).round() as i64;
        let sign = if tenths < 0 { "-" } else { "" };
        let tenths = tenths.unsigned_abs();
        write!(f, "{sign}{}.{}", tenths / 10, tenths % 10)
    }
}

pub(crate) fn n(value: f64) -> N {
    N(value)
}

fn open_svg(out: &mut String, id: &str, title: &str, description: &str, height: f64) {
    let id = escape(id);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {w} {h}\" \
         width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" \
         font-family=\"system-ui, sans-serif\" font-size=\"11\">\
         <title id=\"{id}-title\">{title}</title><desc id=\"{id}-desc\">{desc}</desc>",
        w = n(WIDTH),
        h = n(height),
        title = escape(title),
        desc = escape(description),
    );
}

fn legend(out: &mut String, series: &[Series]) {
    if series.len() < 2 {
        return;
    }
    out.push_str("<g class=\"legend\">");
    let mut x = LEFT;
    for s in series {
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"8.0\" width=\"10.0\" height=\"10.0\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"17.0\" fill=\"currentColor\">{}</text>",
            n(x),
            escape(&s.color),
            n(x + 14.0),
            escape(&s.name)
        );
        x += 32.0 + 6.5 * s.name.chars().count() as f64;
    }
    out.push_str("</g>");
}

/// What a vertical bar chart draws.
#[derive(Clone, Copy, Debug)]
pub struct Bars<'a> {
    /// One bar or group per category, labelled below the axis.
    pub categories: &'a [String],
    pub series: &'a [Series],
    pub layout: Layout,
    pub unit: Unit,
    pub size: Size,
}

/// How large a chart is drawn: full on the insights page, small on the pages of a
/// service or tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    Full,
    Small,
}

impl Size {
    /// Height of the bars' area.
    fn plot_height(self) -> f64 {
        match self {
            Size::Full => 200.0,
            Size::Small => 90.0,
        }
    }
}

/// A vertical bar chart with one bar (stacked) or one group (grouped) per category.
pub fn bars(id: &str, title: &str, description: &str, chart: &Bars<'_>) -> String {
    let Bars {
        categories,
        series,
        layout,
        unit,
        size,
    } = *chart;
    let plot_height = size.plot_height();
    let top = if series.len() > 1 { LEGEND + 8.0 } else { 12.0 };
    let height = top + plot_height + BOTTOM;
    let value = |s: &Series, i: usize| s.values.get(i).copied().flatten().unwrap_or(0).max(0);
    let max = (0..categories.len())
        .map(|i| match layout {
            Layout::Stacked => series
                .iter()
                .fold(0i64, |sum, s| sum.saturating_add(value(s, i))),
            Layout::Grouped => series.iter().map(|s| value(s, i)).max().unwrap_or(0),
        })
        .max()
        .unwrap_or(0);
    let step = unit.step(max);
    let axis_max = (max.saturating_add(step - 1) / step)
        .max(1)
        .saturating_mul(step);
    let scale = plot_height / axis_max as f64;
    let base = top + plot_height;
    let plot_width = WIDTH - LEFT - RIGHT;

    let mut out = String::new();
    open_svg(&mut out, id, title, description, height);
    legend(&mut out, series);
    out.push_str("<g class=\"axis\" fill=\"currentColor\">");
    for k in 0..=axis_max / step {
        let tick = k * step;
        let y = base - tick as f64 * scale;
        let _ = write!(
            out,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"currentColor\" stroke-opacity=\"0.15\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            n(LEFT),
            n(WIDTH - RIGHT),
            n(LEFT - 6.0),
            n(y + 4.0),
            escape(&unit.format(tick)),
            y = n(y),
        );
    }
    out.push_str("</g><g class=\"bars\">");
    let band = plot_width / categories.len().max(1) as f64;
    let bars_per_band = match layout {
        Layout::Stacked => 1.0,
        Layout::Grouped => series.len().max(1) as f64,
    };
    let bar_width = (band * 0.8 / bars_per_band).min(MAX_BAR);
    for (i, category) in categories.iter().enumerate() {
        let band_x = LEFT + band * (i as f64 + 0.5) - bar_width * bars_per_band / 2.0;
        let mut stacked = 0i64;
        for (k, s) in series.iter().enumerate() {
            let Some(v) = s.values.get(i).copied().flatten().filter(|&v| v > 0) else {
                continue;
            };
            let (x, bottom) = match layout {
                Layout::Stacked => (band_x, base - stacked as f64 * scale),
                Layout::Grouped => (band_x + bar_width * k as f64, base),
            };
            let h = v as f64 * scale;
            let _ = write!(
                out,
                "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\">\
                 <title>{} {}: {}</title></rect>",
                n(x),
                n(bottom - h),
                n(bar_width),
                n(h),
                escape(&s.color),
                escape(category),
                escape(&s.name),
                escape(&unit.format(v)),
            );
            stacked = stacked.saturating_add(v);
        }
    }
    out.push_str("</g><g class=\"labels\" fill=\"currentColor\" text-anchor=\"middle\">");
    let every = categories
        .len()
        .div_ceil((plot_width / 64.0) as usize)
        .max(1);
    for (i, category) in categories.iter().enumerate().step_by(every) {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\">{}</text>",
            n(LEFT + band * (i as f64 + 0.5)),
            n(base + 16.0),
            escape(category)
        );
    }
    out.push_str("</g></svg>");
    out
}

/// A horizontal bar list: one labelled row per entry, bars scaled to the largest.
pub fn horizontal(id: &str, title: &str, description: &str, rows: &[Row], unit: Unit) -> String {
    let height = 8.0 + ROW * rows.len().max(1) as f64 + 8.0;
    let max = rows.iter().map(|r| r.value).max().unwrap_or(0).max(1);
    let plot_width = WIDTH - LABEL_COLUMN - VALUE_COLUMN;
    let mut out = String::new();
    open_svg(&mut out, id, title, description, height);
    out.push_str("<g class=\"bars\">");
    for (i, row) in rows.iter().enumerate() {
        let y = 8.0 + ROW * i as f64;
        let width = row.value.max(0) as f64 / max as f64 * plot_width;
        let label = if row.label.chars().count() > MAX_LABEL_CHARS {
            let cut: String = row.label.chars().take(MAX_LABEL_CHARS - 1).collect();
            format!("{cut}…")
        } else {
            row.label.clone()
        };
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"currentColor\">{}</text>\
             <rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\">\
             <title>{}: {}</title></rect>\
             <text x=\"{}\" y=\"{}\" fill=\"currentColor\">{}</text>",
            n(LABEL_COLUMN - 8.0),
            n(y + 15.0),
            escape(&label),
            n(LABEL_COLUMN),
            n(y + 4.0),
            n(width),
            n(ROW - 8.0),
            escape(&row.color),
            escape(&row.label),
            escape(&unit.format(row.value)),
            n(LABEL_COLUMN + width + 6.0),
            n(y + 15.0),
            escape(&unit.format(row.value)),
        );
    }
    out.push_str("</g></svg>");
    out
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| s.to_string()).collect()
}

fn optional(unit: Unit, value: Option<i64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| unit.format(v))
}

/// Every chart of the insights page, in page order; element ids start with `prefix`
/// so several sets can share a page.
pub fn insight_charts(insights: &Insights, config: &SiteConfig, prefix: &str) -> Vec<Chart> {
    let size = Size::Full;
    vec![
        incidents_per_month(insights, config, prefix, size),
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
pub fn summary_charts(insights: &Insights, config: &SiteConfig, prefix: &str) -> Vec<Chart> {
    let size = Size::Small;
    vec![
        incidents_per_month(insights, config, prefix, size),
        time_to_detect(insights, prefix, size),
        time_to_resolve(insights, prefix, size),
        follow_through(insights, prefix),
    ]
}

/// Months a small chart of incidents per month shows, the most recent ones.
pub const RECENT_MONTHS: usize = 24;
/// Quarters a small duration chart shows, the most recent ones.
pub const RECENT_QUARTERS: usize = 8;

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

fn time_to_detect(insights: &Insights, prefix: &str, size: Size) -> Chart {
    duration_trend(
        &format!("{prefix}time-to-detect"),
        "Time to detect per quarter",
        "from the start to detection",
        &insights.time_to_detect,
        size,
    )
}

fn time_to_resolve(insights: &Insights, prefix: &str, size: Size) -> Chart {
    duration_trend(
        &format!("{prefix}time-to-resolve"),
        "Time to resolve per quarter",
        "from detection to resolution",
        &insights.time_to_resolve,
        size,
    )
}

fn incidents_per_month(
    insights: &Insights,
    config: &SiteConfig,
    prefix: &str,
    size: Size,
) -> Chart {
    let all = &insights.incidents_per_month;
    let months = recent(all, size, RECENT_MONTHS);
    let categories: Vec<String> = months.iter().map(|m| m.month.to_string()).collect();
    let series: Vec<Series> = insights
        .severities
        .iter()
        .enumerate()
        .map(|(rank, name)| Series {
            name: name.clone(),
            color: severity_color(config, rank).to_string(),
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
        first, insights.period.last, shown
    );
    if let Some(top) = busiest.filter(|m| m.total > 0) {
        let tied = months.iter().filter(|m| m.total == top.total).count();
        if tied == 1 {
            let _ = write!(description, "; the most, {}, in {}", top.total, top.month);
        } else {
            let _ = write!(
                description,
                "; at most {} in a month, in {tied} months",
                top.total
            );
        }
    }
    description.push('.');
    let id = format!("{prefix}incidents-per-month");
    let title = &windowed_title(
        "Incidents per month by severity",
        months.len(),
        all.len(),
        "months",
    );
    let mut columns = vec!["Month".to_string()];
    columns.extend(insights.severities.iter().cloned());
    columns.push("Total".into());
    let rows = months
        .iter()
        .map(|m| {
            let mut row = vec![m.month.to_string()];
            row.extend(m.by_severity.counts.iter().map(|c| c.to_string()));
            row.push(m.total.to_string());
            row
        })
        .collect();
    Chart {
        svg: bars(
            &id,
            title,
            &description,
            &Bars {
                categories: &categories,
                series: &series,
                layout: Layout::Stacked,
                unit: Unit::Count,
                size,
            },
        ),
        id,
        title: title.into(),
        description,
        table: Table { columns, rows },
    }
}

fn duration_trend(
    id: &str,
    title: &str,
    measured: &str,
    trend: &DurationTrend,
    size: Size,
) -> Chart {
    let quarters = recent(&trend.per_quarter, size, RECENT_QUARTERS);
    let title = &windowed_title(title, quarters.len(), trend.per_quarter.len(), "quarters");
    let categories: Vec<String> = quarters.iter().map(|q| q.quarter.to_string()).collect();
    let series = vec![
        Series {
            name: "median".into(),
            color: MEDIAN.into(),
            values: quarters.iter().map(|q| q.spread.median).collect(),
        },
        Series {
            name: "90th percentile".into(),
            color: P90.into(),
            values: quarters.iter().map(|q| q.spread.p90).collect(),
        },
    ];
    let description = format!(
        "Median and 90th percentile of the time {measured}, per quarter of the incident's date; \
         over all {} incidents with the figure, median {} and 90th percentile {}.",
        trend.overall.count,
        optional(Unit::Seconds, trend.overall.median),
        optional(Unit::Seconds, trend.overall.p90),
    );
    let rows = quarters
        .iter()
        .map(|q| {
            vec![
                q.quarter.to_string(),
                q.spread.count.to_string(),
                optional(Unit::Seconds, q.spread.median),
                optional(Unit::Seconds, q.spread.p90),
            ]
        })
        .collect();
    Chart {
        svg: bars(
            id,
            title,
            &description,
            &Bars {
                categories: &categories,
                series: &series,
                layout: Layout::Grouped,
                unit: Unit::Seconds,
                size,
            },
        ),
        id: id.into(),
        title: title.into(),
        description,
        table: Table {
            columns: strings(&["Quarter", "Incidents", "Median", "90th percentile"]),
            rows,
        },
    }
}

fn services_by_incidents(insights: &Insights, prefix: &str) -> Chart {
    let list = &insights.top_services_by_incidents;
    let id = format!("{prefix}services-by-incidents");
    let title = "Services with the most incidents";
    let description = match list.first() {
        Some(top) => format!(
            "The {} services named by the most incidents; {} leads with {}.",
            list.len(),
            top.service,
            top.incidents
        ),
        None => "No incident names a service.".to_string(),
    };
    let rows: Vec<Row> = list
        .iter()
        .map(|s| Row {
            label: s.service.clone(),
            value: s.incidents as i64,
            color: OPEN.into(),
        })
        .collect();
    Chart {
        svg: horizontal(&id, title, &description, &rows, Unit::Count),
        id,
        title: title.into(),
        description,
        table: Table {
            columns: strings(&["Service", "Incidents"]),
            rows: list
                .iter()
                .map(|s| vec![s.service.clone(), s.incidents.to_string()])
                .collect(),
        },
    }
}

fn services_by_impact(insights: &Insights, prefix: &str) -> Chart {
    let list = &insights.top_services_by_impact;
    let id = format!("{prefix}services-by-impact");
    let title = "Services with the most impact time";
    let description = match list.first() {
        Some(top) => format!(
            "The {} services with the longest summed incident duration; {} leads with {}.",
            list.len(),
            top.service,
            human_duration(top.seconds)
        ),
        None => "No incident with a duration names a service.".to_string(),
    };
    let rows: Vec<Row> = list
        .iter()
        .map(|s| Row {
            label: s.service.clone(),
            value: s.seconds,
            color: OVERDUE.into(),
        })
        .collect();
    Chart {
        svg: horizontal(&id, title, &description, &rows, Unit::Seconds),
        id,
        title: title.into(),
        description,
        table: Table {
            columns: strings(&["Service", "Impact time", "Incidents"]),
            rows: list
                .iter()
                .map(|s| {
                    vec![
                        s.service.clone(),
                        human_duration(s.seconds),
                        s.incidents.to_string(),
                    ]
                })
                .collect(),
        },
    }
}

fn actions_per_month(insights: &Insights, prefix: &str, size: Size) -> Chart {
    let months = &insights.actions_per_month;
    let categories: Vec<String> = months.iter().map(|m| m.month.to_string()).collect();
    let series_of =
        |name: &str, color: &str, value: fn(&crate::analysis::insights::MonthActions) -> usize| {
            Series {
                name: name.into(),
                color: color.into(),
                values: months.iter().map(|m| Some(value(m) as i64)).collect(),
            }
        };
    let series = vec![
        series_of("done", DONE, |m| m.done),
        series_of("won't do", WONT_DO, |m| m.wont_do),
        series_of("still open", OPEN, |m| m.open),
    ];
    let t = &insights.totals;
    let description = format!(
        "Action items by the month of their incident, stacked by their state today \
         (closed items count in the month they were opened): {} opened, {} done, \
         {} won't do, {} still open.",
        t.action_items, t.done, t.wont_do, t.open
    );
    let id = format!("{prefix}actions-per-month");
    let title = "Action items opened per month, and closed since";
    Chart {
        svg: bars(
            &id,
            title,
            &description,
            &Bars {
                categories: &categories,
                series: &series,
                layout: Layout::Stacked,
                unit: Unit::Count,
                size,
            },
        ),
        id,
        title: title.into(),
        description,
        table: Table {
            columns: strings(&["Month", "Opened", "Done", "Won't do", "Still open"]),
            rows: months
                .iter()
                .map(|m| {
                    vec![
                        m.month.to_string(),
                        m.opened.to_string(),
                        m.done.to_string(),
                        m.wont_do.to_string(),
                        m.open.to_string(),
                    ]
                })
                .collect(),
        },
    }
}

fn overdue_per_month(insights: &Insights, prefix: &str, size: Size) -> Chart {
    let months = &insights.overdue_per_month;
    let categories: Vec<String> = months.iter().map(|m| m.month.to_string()).collect();
    let series = vec![Series {
        name: "overdue".into(),
        color: OVERDUE.into(),
        values: months.iter().map(|m| Some(m.overdue as i64)).collect(),
    }];
    let description = format!(
        "Action items still open today that were already past their due date at the end of \
         each month; {} are overdue on {}.",
        insights.totals.overdue, insights.today
    );
    let id = format!("{prefix}overdue-per-month");
    let title = "Overdue action items over time";
    Chart {
        svg: bars(
            &id,
            title,
            &description,
            &Bars {
                categories: &categories,
                series: &series,
                layout: Layout::Stacked,
                unit: Unit::Count,
                size,
            },
        ),
        id,
        title: title.into(),
        description,
        table: Table {
            columns: strings(&["Month", "As of", "Overdue"]),
            rows: months
                .iter()
                .map(|m| {
                    vec![
                        m.month.to_string(),
                        m.as_of.to_string(),
                        m.overdue.to_string(),
                    ]
                })
                .collect(),
        },
    }
}

fn follow_through(insights: &Insights, prefix: &str) -> Chart {
    let f = &insights.follow_through;
    let buckets = [
        ("done, before the due date", f.done_before_due, DONE),
        ("done, due date passed", f.done_due_passed, DONE),
        ("overdue", f.overdue, OVERDUE),
        ("open, not yet due", f.open_not_due, OPEN),
        ("no due date", f.no_due, WONT_DO),
        ("won't do", f.wont_do, WONT_DO),
    ];
    let share = f.done_pct.map_or_else(
        || "no item is done or overdue yet".to_string(),
        |p| {
            format!(
                "of the items with a due date that are done or overdue, {p:.1}% are done \
                 (the most that can have been done in time: completion dates are not recorded)"
            )
        },
    );
    let description = format!(
        "Each of the {} action items by where it stands against its due date on {}; {share}.",
        f.items, insights.today
    );
    let id = format!("{prefix}follow-through");
    let title = "Action items against their due date";
    let rows: Vec<Row> = buckets
        .iter()
        .map(|(label, value, color)| Row {
            label: label.to_string(),
            value: *value as i64,
            color: color.to_string(),
        })
        .collect();
    Chart {
        svg: horizontal(&id, title, &description, &rows, Unit::Count),
        id,
        title: title.into(),
        description,
        table: Table {
            columns: strings(&["State", "Items"]),
            rows: buckets
                .iter()
                .map(|(label, value, _)| vec![label.to_string(), value.to_string()])
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests;
