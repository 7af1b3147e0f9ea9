//! SVG drawings of the insight charts, made at build time: no chart script, readable
//! without JavaScript, the same bytes for the same figures.
//!
//! In: the [`ChartSpec`]s that the analysis stage decides (what each chart shows)
//! and the configuration (severity colours). Out: one [`Chart`] per spec, its SVGs
//! beside the spec's title, description and [`Table`], which the page shows next to
//! the drawing for screen readers. This module only draws: coordinates, axes,
//! legends and the colour of each [`Tone`]. Every SVG has `role="img"`, a `<title>`
//! and a `<desc>` it names with `aria-labelledby`, and a `<title>` on every bar for
//! a hover tooltip. Text from records (service names) is escaped; coordinates are
//! printed with one decimal so output is deterministic.
//!
//! Each chart is drawn twice, in two [`Frame`]s: wide for a wide column, narrow
//! for a phone (fewer category labels, row labels above their bars). An SVG scales
//! with its box and its text with it, so one drawing cannot keep its labels
//! readable at every width; the stylesheet shows the frame that fits the column
//! (a container query), which keeps every label at 11 px or more as rendered.

use std::fmt::Write;

use serde::Serialize;

use crate::analysis::insights::chart_specs::{
    Bars, ChartSpec, Layout, Plot, Row, Scale, Series, Size, Table, Tone, Unit,
};
use crate::core::config::SiteConfig;
use crate::render::escape;
use crate::render::severity_color;

/// The geometry of one drawing of a chart.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    /// The class (`chart-wide`, `chart-narrow`) the stylesheet picks by.
    class: &'static str,
    /// Added to the chart's id for this drawing's element ids ("" for the wide one).
    id_suffix: &'static str,
    /// The viewBox width; the SVG scales with its column.
    pub width: f64,
    /// The font size of every label, in viewBox units.
    pub font: f64,
    /// Width of the value axis' labels, left of the bars.
    left: f64,
    /// The least room, in viewBox units, between two category labels.
    label_gap: f64,
    /// Horizontal charts: the label column left of the bars; 0 puts each label
    /// above its bar, across the whole width.
    label_column: f64,
    /// Horizontal charts: room right of the longest bar for its value.
    value_column: f64,
    /// Longer row labels are cut, with an ellipsis; the table keeps them whole.
    max_label_chars: usize,
}

/// For a column of 40rem (640 px) and wider: 13 units at 720 wide render at 11.5 px
/// or more.
pub const WIDE: Frame = Frame {
    class: "chart-wide",
    id_suffix: "",
    width: 720.0,
    font: 13.0,
    left: 80.0,
    label_gap: 76.0,
    label_column: 190.0,
    value_column: 96.0,
    max_label_chars: 26,
};

/// For a narrower column (a phone): 12 units at 320 wide render at 13 px in the
/// 358 px column of a 390 px phone.
pub const NARROW: Frame = Frame {
    class: "chart-narrow",
    id_suffix: "-n",
    width: 320.0,
    font: 12.0,
    left: 54.0,
    label_gap: 72.0,
    label_column: 0.0,
    value_column: 76.0,
    max_label_chars: 44,
};

/// The widest a single bar gets, so a few categories do not draw slabs.
const MAX_BAR: f64 = 48.0;
const RIGHT: f64 = 12.0;

const GOOD: &str = "#15803d";
const MUTED: &str = "#9ca3af";
const NEUTRAL: &str = "#2563eb";
const BAD: &str = "#b91c1c";
const CONTRAST: &str = "#f59e0b";

/// One drawn chart: its SVGs and the spec's words and numbers, for the page's
/// template and for tests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Chart {
    /// Unique on a page; the SVG's element ids start with it.
    pub id: String,
    pub title: String,
    pub description: String,
    /// Drawn in the [`WIDE`] frame.
    pub svg: String,
    /// Drawn in the [`NARROW`] frame, for phones; its ids end in `-n`.
    pub svg_narrow: String,
    pub table: Table,
}

/// Draws a chart spec in both frames, keeping its id, title, description and
/// table beside the SVGs.
pub fn draw(spec: ChartSpec, config: &SiteConfig) -> Chart {
    let svg = draw_in(&spec, &WIDE, config);
    let svg_narrow = draw_in(&spec, &NARROW, config);
    Chart {
        id: spec.id,
        title: spec.title,
        description: spec.description,
        svg,
        svg_narrow,
        table: spec.table,
    }
}

/// The SVG of a spec in one frame.
fn draw_in(spec: &ChartSpec, frame: &Frame, config: &SiteConfig) -> String {
    let id = format!("{}{}", spec.id, frame.id_suffix);
    let head = Head {
        id: &id,
        title: &spec.title,
        description: &spec.description,
        frame,
    };
    match &spec.plot {
        Plot::Bars(chart) => bars(&head, chart, config),
        Plot::Horizontal { rows, unit } => horizontal(&head, rows, *unit, config),
    }
}

/// What every drawing opens with: its names and its frame.
struct Head<'a> {
    id: &'a str,
    title: &'a str,
    description: &'a str,
    frame: &'a Frame,
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

/// The grid lines of a logarithmic axis: round values about a factor of ten apart
/// (for durations: 1 s, 10 s, 1 min, 10 min, 1 h, 6 h, 1 d, 7 d, 30 d, 365 d).
fn log_ticks(unit: Unit) -> Vec<i64> {
    match unit {
        Unit::Count => (0..19).map(|p| 10i64.pow(p)).collect(),
        Unit::Seconds => vec![
            1, 10, 60, 600, 3_600, 21_600, 86_400, 604_800, 2_592_000, 31_536_000,
        ],
    }
}

/// How values become heights: a linear axis from zero, or a logarithmic one.
enum Axis {
    Linear { scale: f64 },
    Log { low: f64, high: f64 },
}

impl Axis {
    /// The height of a bar of `value` (more than zero) in a plot `plot_height` tall;
    /// on a log axis at least 2 units, so the shortest bar still shows.
    fn height(&self, value: i64, plot_height: f64) -> f64 {
        match *self {
            Axis::Linear { scale } => value as f64 * scale,
            Axis::Log { low, high } => {
                let fraction = ((value as f64).ln() - low) / (high - low);
                (fraction.clamp(0.0, 1.0) * plot_height).max(2.0)
            }
        }
    }
}

/// The axis for values up to `max` (and down to `min`, above zero, on a log
/// scale), with its labelled ticks.
fn axis(chart: &Bars, min: i64, max: i64, plot_height: f64) -> (Axis, Vec<(i64, f64)>) {
    match chart.scale {
        Scale::Linear => {
            let step = axis_step(chart.unit, max);
            let axis_max = (max.saturating_add(step - 1) / step)
                .max(1)
                .saturating_mul(step);
            let scale = plot_height / axis_max as f64;
            let ticks = (0..=axis_max / step)
                .map(|k| (k * step, k as f64 * step as f64 * scale))
                .collect();
            (Axis::Linear { scale }, ticks)
        }
        Scale::Log => {
            let candidates = log_ticks(chart.unit);
            let low = candidates
                .iter()
                .copied()
                .filter(|&t| t <= min.max(1))
                .max()
                .unwrap_or(1);
            let high = candidates
                .iter()
                .copied()
                .find(|&t| t >= max && t > low)
                .unwrap_or(max.max(low.saturating_add(1)));
            let (ln_low, ln_high) = ((low as f64).ln(), (high as f64).ln());
            let axis = Axis::Log {
                low: ln_low,
                high: ln_high,
            };
            let ticks = candidates
                .iter()
                .copied()
                .filter(|&t| t >= low && t <= high)
                .map(|t| {
                    (
                        t,
                        ((t as f64).ln() - ln_low) / (ln_high - ln_low) * plot_height,
                    )
                })
                .collect();
            (axis, ticks)
        }
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

fn open_svg(out: &mut String, head: &Head<'_>, height: f64) {
    let id = escape(head.id);
    let frame = head.frame;
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart {class}\" viewBox=\"0 0 {w} {h}\" \
         width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" \
         font-family=\"system-ui, sans-serif\" font-size=\"{font}\">\
         <title id=\"{id}-title\">{title}</title><desc id=\"{id}-desc\">{desc}</desc>",
        class = frame.class,
        w = n(frame.width),
        h = n(height),
        font = n(frame.font),
        title = escape(head.title),
        desc = escape(head.description),
    );
}

/// The height of the legend's line.
fn legend_height(frame: &Frame) -> f64 {
    frame.font + 14.0
}

fn legend(out: &mut String, series: &[Series], frame: &Frame, config: &SiteConfig) {
    if series.len() < 2 {
        return;
    }
    out.push_str("<g class=\"legend\">");
    let box_size = frame.font - 2.0;
    let mut x = frame.left;
    for s in series {
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"8.0\" width=\"{size}\" height=\"{size}\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" fill=\"currentColor\">{}</text>",
            n(x),
            escape(color(s.tone, config)),
            n(x + box_size + 4.0),
            n(8.0 + box_size),
            escape(&s.name),
            size = n(box_size),
        );
        x += box_size + 22.0 + 0.6 * frame.font * s.name.chars().count() as f64;
    }
    out.push_str("</g>");
}

/// A vertical bar chart with one bar (stacked) or one group (grouped) per category.
fn bars(head: &Head<'_>, chart: &Bars, config: &SiteConfig) -> String {
    let &Bars {
        ref categories,
        ref series,
        layout,
        unit,
        size,
        scale: _,
    } = chart;
    let frame = head.frame;
    let plot_height = bar_area_height(size);
    let top = if series.len() > 1 {
        legend_height(frame) + 8.0
    } else {
        12.0
    };
    let height = top + plot_height + frame.font + 16.0;
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
    let min = series
        .iter()
        .flat_map(|s| s.values.iter().copied().flatten())
        .filter(|&v| v > 0)
        .min()
        .unwrap_or(1);
    let (axis, ticks) = axis(chart, min, max, plot_height);
    let base = top + plot_height;
    let plot_width = frame.width - frame.left - RIGHT;

    let mut out = String::new();
    open_svg(&mut out, head, height);
    legend(&mut out, series, frame, config);
    out.push_str("<g class=\"axis\" fill=\"currentColor\">");
    for (tick, offset) in ticks {
        let y = base - offset;
        let _ = write!(
            out,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"currentColor\" stroke-opacity=\"0.15\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            n(frame.left),
            n(frame.width - RIGHT),
            n(frame.left - 6.0),
            n(y + frame.font * 0.35),
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
        let band_x = frame.left + band * (i as f64 + 0.5) - bar_width * bars_per_band / 2.0;
        let mut stacked = 0i64;
        for (k, s) in series.iter().enumerate() {
            let Some(v) = s.values.get(i).copied().flatten().filter(|&v| v > 0) else {
                continue;
            };
            let (x, bottom, h) = match layout {
                Layout::Stacked => {
                    let below = axis.height(stacked, plot_height);
                    let upto = axis.height(stacked.saturating_add(v), plot_height);
                    let below = if stacked > 0 { below } else { 0.0 };
                    (band_x, base - below, upto - below)
                }
                Layout::Grouped => (
                    band_x + bar_width * k as f64,
                    base,
                    axis.height(v, plot_height),
                ),
            };
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
        .div_ceil(((plot_width / frame.label_gap) as usize).max(1))
        .max(1);
    for (i, category) in categories.iter().enumerate().step_by(every) {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\">{}</text>",
            n(frame.left + band * (i as f64 + 0.5)),
            n(base + frame.font + 5.0),
            escape(category)
        );
    }
    out.push_str("</g></svg>");
    out
}

/// A horizontal bar list: one labelled row per entry, bars scaled to the largest;
/// labels left of the bars, or above them in a frame without a label column.
fn horizontal(head: &Head<'_>, rows: &[Row], unit: Unit, config: &SiteConfig) -> String {
    let frame = head.frame;
    let labels_above = frame.label_column == 0.0;
    let bar_height = frame.font + 4.0;
    let row_height = if labels_above {
        frame.font + bar_height + 12.0
    } else {
        bar_height + 10.0
    };
    let height = 8.0 + row_height * rows.len().max(1) as f64 + 8.0;
    let max = rows.iter().map(|r| r.value).max().unwrap_or(0).max(1);
    let bar_left = if labels_above {
        4.0
    } else {
        frame.label_column
    };
    let plot_width = frame.width - bar_left - frame.value_column;
    let mut out = String::new();
    open_svg(&mut out, head, height);
    out.push_str("<g class=\"bars\">");
    for (i, row) in rows.iter().enumerate() {
        let y = 8.0 + row_height * i as f64;
        let width = row.value.max(0) as f64 / max as f64 * plot_width;
        let label = if row.label.chars().count() > frame.max_label_chars {
            let cut: String = row.label.chars().take(frame.max_label_chars - 1).collect();
            format!("{cut}…")
        } else {
            row.label.clone()
        };
        let (label_x, label_y, anchor, bar_y) = if labels_above {
            (bar_left, y + frame.font, "start", y + frame.font + 5.0)
        } else {
            (
                bar_left - 8.0,
                y + bar_height * 0.5 + frame.font * 0.35,
                "end",
                y,
            )
        };
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" fill=\"currentColor\">{}</text>\
             <rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\">\
             <title>{}: {}</title></rect>\
             <text x=\"{}\" y=\"{}\" fill=\"currentColor\">{}</text>",
            n(label_x),
            n(label_y),
            escape(&label),
            n(bar_left),
            n(bar_y),
            n(width),
            n(bar_height),
            escape(color(row.tone, config)),
            escape(&row.label),
            escape(&unit.format(row.value)),
            n(bar_left + width + 6.0),
            n(bar_y + bar_height * 0.5 + frame.font * 0.35),
            escape(&unit.format(row.value)),
        );
    }
    out.push_str("</g></svg>");
    out
}

#[cfg(test)]
mod tests;
