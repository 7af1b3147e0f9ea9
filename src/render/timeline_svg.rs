//! Draws a record's timeline as an SVG time axis: the phases of the incident
//! (undetected, responding, recovering) as bands, its key moments (started,
//! detected, acknowledged, mitigated, resolved) as labelled marks, and each
//! timeline event as a tick with its text as a tooltip.
//!
//! [`draw`] returns a complete `<svg>` element as a string, so the same drawing can
//! be inlined in the record's page or written out as a file of its own. Every text
//! from the record is escaped; the drawing uses classes (`tl-*`) styled by the
//! theme, with presentation attributes as a fallback when it stands alone.

use std::fmt::Write as _;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::escape;
use crate::core::model::Record;
use crate::render::charts::n;

const WIDTH: f64 = 800.0;
const LEFT: f64 = 16.0;
const RIGHT: f64 = 16.0;
/// Space above the highest row of labels.
const TOP: f64 = 8.0;
const ROW: f64 = 16.0;
/// Rough width of one label character at the drawing's font size.
const CHAR_WIDTH: f64 = 6.4;

/// One key moment of the incident, as drawn.
struct Mark {
    name: &'static str,
    at: Timestamp,
}

/// The SVG drawing of `record`'s timeline, or `None` when it has fewer than two
/// distinct instants (nothing to lay out on an axis).
pub fn draw(record: &Record, tz: &TimeZone) -> Option<String> {
    let m = &record.moments;
    let marks: Vec<Mark> = [
        ("started", &m.started),
        ("detected", &m.detected),
        ("acknowledged", &m.acknowledged),
        ("mitigated", &m.mitigated),
        ("resolved", &m.resolved),
    ]
    .into_iter()
    .filter_map(|(name, at)| at.as_ref().map(|at| Mark { name, at: at.value }))
    .collect();
    let instants = marks
        .iter()
        .map(|m| m.at)
        .chain(record.timeline.iter().map(|e| e.at.value));
    let (first, last) = instants.fold(None, |acc: Option<(Timestamp, Timestamp)>, t| {
        Some(acc.map_or((t, t), |(a, b)| (a.min(t), b.max(t))))
    })?;
    if first == last {
        return None;
    }
    let span = last.duration_since(first).as_secs_f64();
    let x =
        |t: Timestamp| LEFT + (WIDTH - LEFT - RIGHT) * t.duration_since(first).as_secs_f64() / span;
    let multi_day = tz.to_datetime(first).date() != tz.to_datetime(last).date();
    let label = |t: Timestamp| {
        let civil = tz.to_datetime(t);
        if multi_day {
            format!(
                "{:02}-{:02} {:02}:{:02}",
                civil.month(),
                civil.day(),
                civil.hour(),
                civil.minute()
            )
        } else {
            format!("{:02}:{:02}", civil.hour(), civil.minute())
        }
    };

    // Lay the labels out in rows (row 0 nearest the axis) so none overlaps
    // another, then place the axis below the rows that were needed.
    let mut row_ends: Vec<f64> = Vec::new();
    let mut placed: Vec<(&Mark, String, f64, f64, usize)> = Vec::new();
    for mark in &marks {
        let text = format!("{} {}", mark.name, label(mark.at));
        let left = x(mark.at);
        let width = text.len() as f64 * CHAR_WIDTH;
        let start = left.min(WIDTH - RIGHT - width).max(0.0);
        let row = match row_ends.iter().position(|&end| end + 6.0 < start) {
            Some(row) => row,
            None => {
                row_ends.push(0.0);
                row_ends.len() - 1
            }
        };
        row_ends[row] = start + width;
        placed.push((mark, text, left, start, row));
    }
    let axis_y = TOP + ROW * row_ends.len().max(1) as f64 + 12.0;
    let mut labels = String::new();
    for (mark, text, left, start, row) in placed {
        let y = axis_y - 12.0 - ROW * row as f64;
        let _ = write!(
            labels,
            "<g class=\"tl-mark tl-{name}\"><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{bottom}\" stroke=\"currentColor\"/><text x=\"{start}\" y=\"{y}\" fill=\"currentColor\">{text}</text></g>",
            name = mark.name,
            left = n(left),
            start = n(start),
            y = n(y),
            top = n(y + 3.0),
            bottom = n(axis_y + 6.0),
            text = escape(&text),
        );
    }

    let (from, to) = (label(first), label(last));
    let mut svg = String::with_capacity(4096);
    let height = axis_y + 30.0;
    let _ = write!(
        svg,
        "<svg class=\"timeline-axis\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"tl-title-{id}\" font-family=\"system-ui, sans-serif\" font-size=\"11\"><title id=\"tl-title-{id}\">Timeline of {title}, {from} to {to}</title>",
        id = escape(&record.id),
        title = escape(&record.title),
        from = escape(&from),
        to = escape(&to),
    );
    for (class, name, from, to) in [
        ("tl-undetected", "undetected", &m.started, &m.detected),
        ("tl-responding", "responding", &m.detected, &m.mitigated),
        ("tl-recovering", "recovering", &m.mitigated, &m.resolved),
    ] {
        if let (Some(from), Some(to)) = (from, to) {
            let (a, b) = (x(from.value), x(to.value));
            if b > a {
                let _ = write!(
                    svg,
                    "<rect class=\"tl-phase {class}\" x=\"{a}\" y=\"{y}\" width=\"{w}\" height=\"12\" fill=\"currentColor\" fill-opacity=\"0.2\"><title>{name}</title></rect>",
                    a = n(a),
                    y = n(axis_y - 6.0),
                    w = n(b - a),
                );
            }
        }
    }
    let _ = write!(
        svg,
        "<line class=\"tl-axis\" x1=\"{LEFT}\" y1=\"{axis_y}\" x2=\"{x2}\" y2=\"{axis_y}\" stroke=\"currentColor\"/>",
        x2 = WIDTH - RIGHT,
    );
    svg.push_str(&labels);
    for event in &record.timeline {
        let ex = x(event.at.value);
        let kind = event.kind.as_deref().unwrap_or("other");
        let _ = write!(
            svg,
            "<circle class=\"tl-event tl-kind-{kind}\" cx=\"{ex}\" cy=\"{axis_y}\" r=\"4\" fill=\"currentColor\"><title>{time} {text}</title></circle>",
            ex = n(ex),
            kind = escape(kind),
            time = escape(&label(event.at.value)),
            text = escape(&event.event),
        );
    }
    let _ = write!(
        svg,
        "<text class=\"tl-tick\" x=\"{LEFT}\" y=\"{y}\" fill=\"currentColor\">{from}</text><text class=\"tl-tick\" x=\"{x2}\" y=\"{y}\" text-anchor=\"end\" fill=\"currentColor\">{to}</text></svg>",
        y = n(axis_y + 22.0),
        x2 = WIDTH - RIGHT,
        from = escape(&from),
        to = escape(&to),
    );
    Some(svg)
}
