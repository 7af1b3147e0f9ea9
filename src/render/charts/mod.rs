//! SVG drawings of the insight charts, made at build time: no chart script, readable
//! without JavaScript, the same bytes for the same figures.
//!
//! In: the [`ChartSpec`]s that the analysis stage decides (what each chart shows)
//! and the configuration (severity colours). Out: one [`Chart`] per spec, its SVG
//! string beside the spec's title, description and [`Table`], which the page shows
//! next to the drawing for screen readers. This module only draws: coordinates,
//! axes, legends and the colour of each [`Tone`]. Every SVG has `role="img"`, a
//! `<title>` and a `<desc>` it names with `aria-labelledby`, and a `<title>` on every
//! bar for a hover tooltip. Text from records (service names) is escaped;
//! coordinates are printed with one decimal so output is deterministic.

use std::fmt::Write;

use serde::Serialize;

use crate::analysis::insights::chart_specs::{
    Bars, ChartSpec, Layout, Plot, Row, Series, Size, Table, Tone, Unit,
};
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

const GOOD: &str = "#15803d";
const MUTED: &str = "#9ca3af";
const NEUTRAL: &str = "#2563eb";
const BAD: &str = "#b91c1c";
const CONTRAST: &str = "#f59e0b";

/// One drawn chart: its SVG and the spec's words and numbers, for the page's
/// template and for tests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Chart {
    /// Unique on a page; the SVG's element ids start with it.
    pub id: String,
    pub title: String,
    pub description: String,
    pub svg: String,
    pub table: Table,
}

/// Draws a chart spec, keeping its id, title, description and table beside the SVG.
pub fn draw(spec: ChartSpec, config: &SiteConfig) -> Chart {
    let svg = match &spec.plot {
        Plot::Bars(chart) => bars(&spec.id, &spec.title, &spec.description, chart, config),
        Plot::Horizontal { rows, unit } => horizontal(
            &spec.id,
            &spec.title,
            &spec.description,
            rows,
            *unit,
            config,
        ),
    };
    Chart {
        id: spec.id,
        title: spec.title,
        description: spec.description,
        svg,
        table: spec.table,
    }
}

/// The colour of a tone: site.toml's (or the palette's) for a severity, fixed
/// colours for the rest.
fn color(tone: Tone, config: &SiteConfig) -> &str {
    match tone {
        Tone::Severity(rank) => severity_color(config, rank),
        Tone::Good => GOOD,
        Tone::Bad => BAD,
        Tone::Neutral => NEUTRAL,
        Tone::Contrast => CONTRAST,
        Tone::Muted => MUTED,
    }
}

/// The axis step: the smallest round step that splits `max` into at most four
/// (1, 2, 5 times a power of ten; for durations, round minutes and hours first).
fn axis_step(unit: Unit, max: i64) -> i64 {
    let wanted = (max.max(0).saturating_add(3) / 4).max(1);
    let (fixed, mut magnitude): (&[i64], i64) = match unit {
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

/// Height of the bars' area of a chart of `size`.
fn bar_area_height(size: Size) -> f64 {
    match size {
        Size::Full => 200.0,
        Size::Small => 90.0,
    }
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

fn legend(out: &mut String, series: &[Series], config: &SiteConfig) {
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
            escape(color(s.tone, config)),
            n(x + 14.0),
            escape(&s.name)
        );
        x += 32.0 + 6.5 * s.name.chars().count() as f64;
    }
    out.push_str("</g>");
}

/// A vertical bar chart with one bar (stacked) or one group (grouped) per category.
fn bars(id: &str, title: &str, description: &str, chart: &Bars, config: &SiteConfig) -> String {
    let &Bars {
        ref categories,
        ref series,
        layout,
        unit,
        size,
    } = chart;
    let plot_height = bar_area_height(size);
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
    let step = axis_step(unit, max);
    let axis_max = (max.saturating_add(step - 1) / step)
        .max(1)
        .saturating_mul(step);
    let scale = plot_height / axis_max as f64;
    let base = top + plot_height;
    let plot_width = WIDTH - LEFT - RIGHT;

    let mut out = String::new();
    open_svg(&mut out, id, title, description, height);
    legend(&mut out, series, config);
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
                escape(color(s.tone, config)),
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
fn horizontal(
    id: &str,
    title: &str,
    description: &str,
    rows: &[Row],
    unit: Unit,
    config: &SiteConfig,
) -> String {
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
            escape(color(row.tone, config)),
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

#[cfg(test)]
mod tests;
