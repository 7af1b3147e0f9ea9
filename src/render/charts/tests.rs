//! The SVG is parsed as XML and checked: bar counts, heights proportional to the
//! data, accessible names, escaping, colours; and the drawn charts of the insights
//! fixture (what they show is tested in `analysis::insights`).

use std::path::Path;

use roxmltree::{Document, Node};

use super::*;
use crate::analysis::insights::chart_specs::{insight_charts, summary_charts, RECENT_MONTHS};

/// The `height` of every `rect.bar`, in document order, with its tooltip.
fn bars_of(svg: &str) -> Vec<(f64, f64, String)> {
    let doc = Document::parse(svg).expect("the chart is well-formed XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some("bar"))
        .map(|n| {
            let number = |name: &str| -> f64 {
                n.attribute(name)
                    .and_then(|v| v.parse().ok())
                    .expect("a numeric attribute")
            };
            (number("y"), number("height"), tooltip(n))
        })
        .collect()
}

fn tooltip(node: Node<'_, '_>) -> String {
    node.children()
        .find(|c| c.has_tag_name("title"))
        .and_then(|t| t.text())
        .unwrap_or_default()
        .to_string()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.11
}

/// `chart` drawn in the wide frame.
fn wide_bars(id: &str, chart: &Bars) -> String {
    let head = Head {
        id,
        title: "T",
        description: "D",
        frame: &WIDE,
    };
    bars(&head, chart, &SiteConfig::default())
}

/// `rows` drawn in `frame`.
fn horizontal_in(frame: &Frame, id: &str, title: &str, description: &str, rows: &[Row]) -> String {
    let head = Head {
        id,
        title,
        description,
        frame,
    };
    horizontal(&head, rows, Unit::Count, &SiteConfig::default())
}

fn series(name: &str, values: &[Option<i64>]) -> Series {
    Series {
        name: name.into(),
        tone: Tone::Neutral,
        values: values.to_vec(),
    }
}

#[test]
fn stacked_bars_have_one_rect_per_value_and_heights_in_proportion() {
    let categories: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    let data = [
        series("x", &[Some(3), Some(0), Some(6)]),
        series("y", &[Some(1), Some(2), None]),
    ];
    let svg = wide_bars(
        "t",
        &Bars {
            categories,
            series: data.to_vec(),
            layout: Layout::Stacked,
            unit: Unit::Count,
            size: Size::Full,
            scale: Scale::Linear,
        },
    );
    let bars = bars_of(&svg);
    // Zero and missing values draw nothing.
    assert_eq!(bars.len(), 4);
    let heights: Vec<f64> = bars.iter().map(|b| b.1).collect();
    let unit = heights[0] / 3.0;
    for (height, value) in heights.iter().zip([3.0, 1.0, 2.0, 6.0]) {
        assert!(close(*height, unit * value), "{heights:?}");
    }
    // The second segment of "a" sits on top of the first.
    assert!(close(bars[1].0 + bars[1].1, bars[0].0), "{bars:?}");
    assert_eq!(bars[1].2, "a y: 1");
    // The axis reaches the largest stack (6) and no more than one step past it.
    let full = bar_area_height(Size::Full);
    assert!(unit * 6.0 <= full + 0.1 && unit * 8.0 >= full - 0.1);
}

#[test]
fn grouped_bars_stand_side_by_side_on_the_baseline() {
    let categories = vec!["2024-Q4".to_string()];
    let data = [series("median", &[Some(600)]), series("p90", &[Some(3600)])];
    let svg = wide_bars(
        "g",
        &Bars {
            categories,
            series: data.to_vec(),
            layout: Layout::Grouped,
            unit: Unit::Seconds,
            size: Size::Small,
            scale: Scale::Linear,
        },
    );
    let bars = bars_of(&svg);
    assert_eq!(bars.len(), 2);
    assert!(close(bars[0].0 + bars[0].1, bars[1].0 + bars[1].1));
    assert!((bars[1].1 / bars[0].1 - 6.0).abs() < 0.01, "{bars:?}");
    assert_eq!(bars[1].2, "2024-Q4 p90: 1 h");
    assert!(svg.contains(">1 h<"), "duration axis labels: {svg}");
}

#[test]
fn horizontal_bars_scale_to_the_largest_and_escape_labels() {
    let rows = vec![
        Row {
            label: "cache & <edge>".into(),
            value: 4,
            tone: Tone::Bad,
        },
        Row {
            label: "\"quoted\" 'name'".into(),
            value: 1,
            tone: Tone::Bad,
        },
    ];
    let svg = horizontal_in(&WIDE, "h", "Title <b>", "Desc & more", &rows);
    let doc = Document::parse(&svg).expect("well-formed");
    let widths: Vec<f64> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("bar"))
        .map(|n| {
            n.attribute("width")
                .and_then(|w| w.parse().ok())
                .expect("width")
        })
        .collect();
    assert_eq!(widths.len(), 2);
    assert!(close(
        widths[0],
        WIDE.width - WIDE.label_column - WIDE.value_column
    ));
    assert!(close(widths[0] / 4.0, widths[1]));
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(texts.contains(&"cache & <edge>"));
    assert!(texts.contains(&"\"quoted\" 'name'"));
    assert!(!svg.contains("<edge>") && !svg.contains("<b>"));
}

#[test]
fn every_chart_names_itself_for_screen_readers() {
    let svg = horizontal_in(&WIDE, "x-1", "A title", "A description", &[]);
    let doc = Document::parse(&svg).expect("well-formed");
    let root = doc.root_element();
    assert_eq!(root.attribute("role"), Some("img"));
    let labelled: Vec<&str> = root
        .attribute("aria-labelledby")
        .expect("aria-labelledby")
        .split(' ')
        .collect();
    assert_eq!(labelled, ["x-1-title", "x-1-desc"]);
    let by_id = |id: &str| {
        doc.descendants()
            .find(|n| n.attribute("id") == Some(id))
            .map(|n| {
                (
                    n.tag_name().name().to_string(),
                    n.text().unwrap_or("").to_string(),
                )
            })
    };
    assert_eq!(by_id("x-1-title"), Some(("title".into(), "A title".into())));
    assert_eq!(
        by_id("x-1-desc"),
        Some(("desc".into(), "A description".into()))
    );
}

#[test]
fn axis_steps_are_round() {
    assert_eq!(axis_step(Unit::Count, 0), 1);
    assert_eq!(axis_step(Unit::Count, 4), 1);
    assert_eq!(axis_step(Unit::Count, 6), 2);
    assert_eq!(axis_step(Unit::Count, 17), 5);
    assert_eq!(axis_step(Unit::Count, 170), 50);
    assert_eq!(axis_step(Unit::Seconds, 10_800), 3600);
    assert_eq!(axis_step(Unit::Seconds, 50), 60);
    assert_eq!(axis_step(Unit::Seconds, 30 * 86_400), 10 * 86_400);
    assert!(axis_step(Unit::Count, i64::MAX) >= i64::MAX / 4);
}

#[test]
fn extreme_values_draw_without_panicking() {
    let categories = vec!["a".to_string(), "b".to_string()];
    let data = [
        series("x", &[Some(i64::MAX), Some(-5)]),
        series("y", &[Some(i64::MAX), None]),
    ];
    for layout in [Layout::Stacked, Layout::Grouped] {
        for unit in [Unit::Count, Unit::Seconds] {
            let chart = Bars {
                categories: categories.clone(),
                series: data.to_vec(),
                layout,
                unit,
                size: Size::Full,
                scale: Scale::Linear,
            };
            let svg = wide_bars("e", &chart);
            assert_eq!(bars_of(&svg).len(), 2);
            let log = wide_bars(
                "e",
                &Bars {
                    scale: Scale::Log,
                    ..chart
                },
            );
            assert_eq!(bars_of(&log).len(), 2);
        }
    }
}

/// The insights fixture's archive, and its facts on 2025-03-15.
fn fixture() -> (
    crate::core::model::Archive,
    crate::analysis::insights::Facts,
) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/insights/archive");
    let (config, _) = crate::core::config::SiteConfig::load(&root).expect("site.toml");
    let (archive, _) = crate::load::load(&root, config);
    let today: jiff::civil::Date = "2025-03-15".parse().expect("date");
    let records: Vec<&crate::core::model::Record> = archive.records.iter().collect();
    let figures = crate::analysis::figures(&records, today);
    let facts = crate::analysis::facts(&records, &figures, &archive.config, today);
    (archive, facts)
}

fn fixture_charts() -> Vec<Chart> {
    let (archive, facts) = fixture();
    insight_charts(&facts.insights(), "")
        .into_iter()
        .map(|spec| draw(spec, &archive.config))
        .collect()
}

#[test]
fn the_fixture_charts_draw_the_fixture_figures() {
    let charts = fixture_charts();
    let per_month = &charts[0];
    let bars = bars_of(&per_month.svg);
    let tips: Vec<&str> = bars.iter().map(|b| b.2.as_str()).collect();
    assert_eq!(
        tips,
        [
            "2024-11 SEV1: 1",
            "2024-12 SEV2: 1",
            "2025-01 SEV1: 1",
            "2025-02 SEV2: 1",
            "2025-02 SEV3: 1"
        ]
    );
    assert!(bars.windows(2).all(|w| close(w[0].1, w[1].1)));
    // Colour from site.toml for SEV1.
    assert!(per_month.svg.contains("fill=\"#b91c1c\""));

    let resolve = &charts[2];
    let heights: Vec<f64> = bars_of(&resolve.svg).iter().map(|b| b.1).collect();
    // 1 h, 2 h, 30 min, 3 h on a log axis: doubling adds the same height.
    assert!(
        close(heights[1] - heights[0], heights[0] - heights[2]),
        "{heights:?}"
    );
    assert!(heights[3] > heights[1] && heights[2] > 0.0, "{heights:?}");

    let impact = &charts[4];
    let widths = bars_of(&impact.svg).len();
    assert_eq!(widths, 3);

    let overdue = bars_of(&charts[6].svg);
    let tips: Vec<&str> = overdue.iter().map(|b| b.2.as_str()).collect();
    assert_eq!(
        tips,
        [
            "2025-01 overdue: 1",
            "2025-02 overdue: 1",
            "2025-03 overdue: 2"
        ]
    );
}

#[test]
fn a_drawn_chart_keeps_its_specs_words_and_table() {
    let (archive, facts) = fixture();
    for spec in insight_charts(&facts.insights(), "p-") {
        let chart = draw(spec.clone(), &archive.config);
        assert_eq!(chart.id, spec.id);
        assert_eq!(chart.title, spec.title);
        assert_eq!(chart.description, spec.description);
        assert_eq!(chart.table, spec.table);
        assert!(chart.svg.contains(&format!("id=\"{}-title\"", spec.id)));
        assert!(chart
            .svg_narrow
            .contains(&format!("id=\"{}-n-title\"", spec.id)));
        assert!(chart.svg.contains("class=\"chart chart-wide\""));
        assert!(chart.svg_narrow.contains("class=\"chart chart-narrow\""));
    }
}

#[test]
fn small_charts_draw_only_the_recent_months() {
    let (archive, facts) = fixture();
    let mut insights = facts.insights();
    // Thirty months, as an archive some years old has.
    let month = insights.incidents_per_month[0].clone();
    insights.incidents_per_month = vec![month; 30];
    let small: Vec<Chart> = summary_charts(&insights, "s-")
        .into_iter()
        .map(|spec| draw(spec, &archive.config))
        .collect();
    assert_eq!(bars_of(&small[0].svg).len(), RECENT_MONTHS);
}

#[test]
fn a_log_axis_keeps_an_outlier_from_flattening_the_rest() {
    let categories: Vec<String> = ["q1", "q2", "q3"].iter().map(|s| s.to_string()).collect();
    let chart = Bars {
        categories,
        series: vec![series("median", &[Some(600), Some(900), Some(6 * 86_400)])],
        layout: Layout::Grouped,
        unit: Unit::Seconds,
        size: Size::Full,
        scale: Scale::Log,
    };
    let log: Vec<f64> = bars_of(&wide_bars("l", &chart))
        .iter()
        .map(|b| b.1)
        .collect();
    let linear: Vec<f64> = bars_of(&wide_bars(
        "l",
        &Bars {
            scale: Scale::Linear,
            ..chart.clone()
        },
    ))
    .iter()
    .map(|b| b.1)
    .collect();
    // Linear, ten minutes is under 1% of six days: a sliver.
    assert!(linear[0] < linear[2] / 100.0, "{linear:?}");
    // Log, the short bars stay visible and in order.
    assert!(
        log[0] > 0.0 && log[0] < log[1] && log[1] < log[2],
        "{log:?}"
    );
    let svg = wide_bars("l", &chart);
    for tick in [">10 min<", ">1 h<", ">1 d<", ">7 d<"] {
        assert!(svg.contains(tick), "{tick} in {svg}");
    }
}

#[test]
fn the_narrow_frame_puts_row_labels_above_their_bars_uncut() {
    let rows = vec![Row {
        label: "done, due date still ahead".into(),
        value: 3,
        tone: Tone::Good,
    }];
    let svg = horizontal_in(&NARROW, "f-n", "F", "D", &rows);
    let doc = Document::parse(&svg).expect("well-formed");
    let root = doc.root_element();
    assert_eq!(root.attribute("viewBox"), Some("0 0 320.0 56.0"));
    assert_eq!(root.attribute("font-size"), Some("12.0"));
    let label = doc
        .descendants()
        .find(|n| n.text() == Some("done, due date still ahead"))
        .expect("the whole label");
    let bar = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("bar"))
        .expect("a bar");
    let number = |node: Node<'_, '_>, name: &str| -> f64 {
        node.attribute(name)
            .and_then(|v| v.parse().ok())
            .expect("a number")
    };
    assert!(number(label, "y") < number(bar, "y"));
    assert!(close(number(label, "x"), number(bar, "x")));
}
