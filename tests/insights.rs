//! `casebook actions` and `casebook stats` run as a user runs them, on the
//! insights fixture (tests/fixtures/insights/archive), compared with the expected
//! output under tests/fixtures/insights/expected/.
//!
//! After a deliberate change of output, refresh the expected files with
//! `SNAPSHOTS=overwrite cargo test --test insights` and review the diff.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::TestArchive;

const TODAY: &str = "2025-03-15";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/insights")
}

fn casebook(root: &Path, args: &[&str]) -> Output {
    common::casebook()
        .arg("--root")
        .arg(root)
        .args(["--color", "never"])
        .args(args)
        .output()
        .expect("casebook runs")
}

/// A temporary copy of the insights fixture, to add records to.
fn fixture_copy() -> TestArchive {
    let archive = TestArchive::empty();
    let from = fixtures().join("archive");
    archive.write(
        "site.toml",
        std::fs::read(from.join("site.toml")).expect("site.toml"),
    );
    for entry in std::fs::read_dir(from.join("content/incidents")).expect("read_dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        archive.record(
            name.to_str().expect("a UTF-8 name"),
            std::fs::read(entry.path()).expect("a record"),
        );
    }
    archive
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 stderr")
}

/// Compares `actual` with the expected file, or rewrites it with SNAPSHOTS=overwrite.
fn snapshot(name: &str, actual: &str) {
    let path = fixtures().join("expected").join(name);
    if std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite") {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with SNAPSHOTS=overwrite", path.display()));
    assert!(
        expected == actual,
        "{name} differs from the snapshot\n--- expected\n{expected}\n--- actual\n{actual}\n\
         (SNAPSHOTS=overwrite cargo test --test insights refreshes it)"
    );
}

fn run_ok(args: &[&str]) -> String {
    let output = casebook(&fixtures().join("archive"), args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn actions_table_snapshot() {
    snapshot("actions.txt", &run_ok(&["actions", "--today", TODAY]));
}

#[test]
fn actions_json_snapshot() {
    let text = run_ok(&["actions", "--today", TODAY, "--format", "json"]);
    let items: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(items.as_array().map(Vec::len), Some(9));
    snapshot("actions.json", &text);
}

#[test]
fn actions_csv_snapshot() {
    snapshot(
        "actions.csv",
        &run_ok(&["actions", "--today", TODAY, "--format", "csv"]),
    );
}

#[test]
fn actions_filters_combine() {
    let text = run_ok(&[
        "actions",
        "--today",
        TODAY,
        "--overdue",
        "--owner",
        "ALICE",
        "--format",
        "csv",
    ]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[1].starts_with("INC-3,"), "{text}");
    let text = run_ok(&[
        "actions",
        "--today",
        TODAY,
        "--service",
        "db",
        "--format",
        "csv",
    ]);
    let incidents: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert_eq!(incidents, ["INC-1", "INC-3", "INC-3", "INC-1", "INC-3"]);
}

#[test]
fn fail_on_overdue_counts_from_the_day_after_the_due_date() {
    let root = fixtures().join("archive");
    // INC-1 AI-2 is due 2025-01-10: not overdue on that day, overdue the next.
    let on_due_date = casebook(
        &root,
        &["actions", "--today", "2025-01-10", "--fail-on", "overdue"],
    );
    assert_eq!(
        on_due_date.status.code(),
        Some(0),
        "{}",
        stderr(&on_due_date)
    );
    assert!(stderr(&on_due_date).contains("0 overdue on 2025-01-10"));
    let day_after = casebook(
        &root,
        &[
            "actions",
            "--today",
            "2025-01-11",
            "--fail-on",
            "overdue",
            "--overdue",
            "--format",
            "json",
        ],
    );
    assert_eq!(day_after.status.code(), Some(1));
    let items: serde_json::Value = serde_json::from_str(&stdout(&day_after)).expect("JSON");
    assert_eq!(items[0]["incident"], "INC-1");
    assert_eq!(items[0]["days_overdue"], 1);
    // Without --fail-on, overdue items are listed but do not fail the run.
    let listed = casebook(&root, &["actions", "--today", "2025-01-11"]);
    assert_eq!(listed.status.code(), Some(0));
}

#[test]
fn stats_table_snapshot() {
    snapshot("stats.txt", &run_ok(&["stats", "--today", TODAY]));
}

#[test]
fn stats_json_snapshot() {
    let text = run_ok(&["stats", "--today", TODAY, "--format", "json"]);
    let stats: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(stats["totals"]["incidents"], 5);
    assert_eq!(stats["incidents_per_month"][2]["month"], "2025-01");
    assert_eq!(stats["incidents_per_month"][2]["by_severity"]["SEV1"], 1);
    assert_eq!(stats["time_to_resolve"]["overall"]["p90"], 10_800);
    assert_eq!(stats["follow_through"]["done_pct"], 60.0);
    snapshot("stats.json", &text);
}

#[test]
fn an_unknown_service_is_a_usage_error_with_a_suggestion() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = casebook(demo, &["actions", "--service", "api-gatewy"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("did you mean `api-gateway`?"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn records_with_errors_stop_the_report() {
    let archive = fixture_copy();
    archive.record(
        "broken.md",
        "---\nid: INC-9\ntitle: Broken\ndate: 2025-01-01\nseverity: SEV9\nstatus: resolved\n---\n",
    );
    for command in ["actions", "stats"] {
        let output = casebook(archive.root(), &[command, "--today", TODAY]);
        assert_eq!(output.status.code(), Some(1), "{command}");
        assert!(stdout(&output).is_empty(), "{command}");
        let err = stderr(&output);
        assert!(err.contains("broken.md") && err.contains("SEV9"), "{err}");
    }
}

#[test]
fn nothing_from_a_record_reaches_the_terminal_as_control_characters() {
    let archive = TestArchive::with_config("title = \"t\"\nbase_url = \"/\"\n");
    archive.record(
        "a.md",
        "---\nid: INC-1\ntitle: A\ndate: 2025-01-01\nseverity: SEV1\nstatus: investigating\n\
         review: approved\naction_items:\n  - title: \"red \\e[31m text\"\n    owner: x\n    due: 2025-02-01\n---\n",
    );
    let output = casebook(archive.root(), &["actions", "--today", TODAY]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("red \u{fffd}[31m text"), "{text}");
    assert!(!text.contains('\u{1b}'));
}

#[test]
fn stats_and_actions_select_records_like_build() {
    let archive = TestArchive::with_config(
        "title = \"t\"\nbase_url = \"/\"\ndefault_visibility = \"public\"\n",
    );
    let record = |id: &str, extra: &str| {
        format!(
            "---\nid: {id}\ntitle: {id}\ndate: 2025-01-01\nseverity: SEV1\nstatus: investigating\n\
             {extra}action_items:\n  - title: fix {id}\n    owner: x\n    due: 2025-01-02\n---\n"
        )
    };
    for (id, extra) in [
        ("PUBLIC", "review: approved\n"),
        ("INTERNAL", "review: approved\nvisibility: internal\n"),
        ("DRAFT", ""),
    ] {
        archive.record(&format!("{id}.md"), record(id, extra));
    }
    let incidents_in = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["actions", "--today", TODAY, "--format", "json"];
        all.extend_from_slice(args);
        let output = casebook(archive.root(), &all);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let items: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
        let mut ids: Vec<String> = items
            .as_array()
            .expect("an array")
            .iter()
            .map(|i| i["incident"].as_str().expect("an id").to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(incidents_in(&[]), ["DRAFT", "INTERNAL", "PUBLIC"]);
    assert_eq!(incidents_in(&["--profile", "public"]), ["PUBLIC"]);
    let count = |args: &[&str]| -> u64 {
        let mut all = vec!["stats", "--today", TODAY, "--format", "json"];
        all.extend_from_slice(args);
        let output = casebook(archive.root(), &all);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let stats: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
        stats["totals"]["incidents"].as_u64().expect("a count")
    };
    assert_eq!(count(&[]), 3);
    assert_eq!(count(&["--profile", "public"]), 1);
}

/// Builds the archive at `root` into a temporary folder and returns it.
fn build(root: &Path, extra: &[&str]) -> tempfile::TempDir {
    let out = tempfile::tempdir().expect("tempdir");
    let site = out.path().join("site");
    let site = site.to_str().expect("a UTF-8 path");
    let mut args = vec!["build", "--today", TODAY, "-q", "--output", site];
    args.extend_from_slice(extra);
    let output = casebook(root, &args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    out
}

fn build_fixture(extra: &[&str]) -> tempfile::TempDir {
    build(&fixtures().join("archive"), extra)
}

/// A copy of the insights fixture plus an internal record and a draft, so that
/// `--profile` changes the figures.
fn fixture_with_internal_and_draft() -> TestArchive {
    let archive = fixture_copy();
    for (id, date, extra) in [
        (
            "INC-6",
            "2025-03-02",
            "review: approved\nvisibility: internal\n",
        ),
        ("INC-7", "2024-12-02", "review: draft\n"),
    ] {
        archive.record(
            &format!("{id}.md"),
            format!(
                "---\nid: {id}\ntitle: {id}\ndate: {date}\nseverity: SEV3\nstatus: resolved\n\
                 {extra}started: \"08:00\"\ndetected: \"08:30\"\nresolved: \"12:00\"\n\
                 services: [db]\naction_items:\n  - title: follow up {id}\n    owner: erin\n\
                 \x20   due: 2025-03-01\n---\n"
            ),
        );
    }
    archive
}

fn text_of(element: scraper::ElementRef<'_>) -> String {
    element.text().collect::<String>().trim().to_string()
}

/// The rows of every table on the insights page, by the chart title above it.
fn page_tables(html: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let doc = scraper::Html::parse_document(html);
    let section = scraper::Selector::parse("section.chart-section").expect("selector");
    let heading = scraper::Selector::parse("h2, h3").expect("selector");
    let row = scraper::Selector::parse("table tr").expect("selector");
    let cell = scraper::Selector::parse("th, td").expect("selector");
    doc.select(&section)
        .map(|s| {
            let title = s.select(&heading).next().map(text_of).unwrap_or_default();
            let rows = s
                .select(&row)
                .map(|r| r.select(&cell).map(text_of).collect())
                .collect();
            (title, rows)
        })
        .collect()
}

/// The tables of `casebook stats` (header upper-cased by the CLI), by title.
fn cli_tables(text: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let mut tables = Vec::new();
    // Sections: a blank line, the title, the description, a blank line, the table.
    for block in text.split("\n\n").skip(1).collect::<Vec<_>>().chunks(2) {
        let [head, table] = block else {
            panic!("a title and a table: {block:?}")
        };
        let title = head.lines().next().expect("a title").to_string();
        let rows = table
            .lines()
            .map(|line| {
                line.split("  ")
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(String::from)
                    .collect()
            })
            .collect();
        tables.push((title, rows));
    }
    tables
}

#[test]
fn the_page_incidents_json_and_the_cli_agree() {
    let archive = fixture_with_internal_and_draft();
    let root = archive.root();
    for (flags, incidents) in [(&[][..], 7), (&["--profile", "public"][..], 5)] {
        let out = build(root, flags);
        let site = out.path().join("site");
        let export: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(site.join("incidents.json")).expect("incidents.json"),
        )
        .expect("valid JSON");
        let stats = |extra: &[&str]| {
            let mut args = vec!["stats", "--today", TODAY];
            args.extend_from_slice(extra);
            args.extend_from_slice(flags);
            let output = casebook(root, &args);
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
            stdout(&output)
        };
        let cli: serde_json::Value =
            serde_json::from_str(&stats(&["--format", "json"])).expect("JSON");
        assert_eq!(
            export["insights"], cli,
            "incidents.json and stats --format json"
        );
        assert_eq!(cli["totals"]["incidents"], incidents, "{flags:?}");

        let page = std::fs::read_to_string(site.join("insights/index.html")).expect("page");
        let page_tables = page_tables(&page);
        assert_eq!(page_tables.len(), 8);
        let cli_tables = cli_tables(&stats(&[]));
        assert_eq!(cli_tables.len(), page_tables.len());
        for ((page_title, page_rows), (cli_title, cli_rows)) in page_tables.iter().zip(&cli_tables)
        {
            assert_eq!(page_title, cli_title);
            let page_header: Vec<String> = page_rows[0].iter().map(|c| c.to_uppercase()).collect();
            assert_eq!(page_header, cli_rows[0], "{page_title}");
            assert_eq!(page_rows[1..], cli_rows[1..], "{page_title}");
        }
        // A number from the JSON, as the page prints it.
        let months = &page_tables[0].1;
        let totals: Vec<&str> = months[1..].iter().map(|r| r[4].as_str()).collect();
        let json_totals: Vec<String> = cli["incidents_per_month"]
            .as_array()
            .expect("months")
            .iter()
            .map(|m| m["total"].to_string())
            .collect();
        assert_eq!(totals, json_totals);
    }
}

#[test]
fn the_insights_page_draws_every_chart_accessibly() {
    let out = build_fixture(&[]);
    let site = out.path().join("site");
    let html = std::fs::read_to_string(site.join("insights/index.html")).expect("page");
    let doc = scraper::Html::parse_document(&html);
    let svg = scraper::Selector::parse("section.chart-section svg.chart-wide").expect("selector");
    let charts: Vec<_> = doc.select(&svg).collect();
    assert_eq!(charts.len(), 8);
    // Each also drawn narrow, for phones, with ids of its own.
    let narrow =
        scraper::Selector::parse("section.chart-section svg.chart-narrow").expect("selector");
    let narrow: Vec<_> = doc.select(&narrow).collect();
    assert_eq!(narrow.len(), 8);
    for chart in charts.iter().chain(&narrow) {
        assert_eq!(chart.value().attr("role"), Some("img"));
        let labelled = chart
            .value()
            .attr("aria-labelledby")
            .expect("aria-labelledby");
        for id in labelled.split(' ') {
            let by_id = scraper::Selector::parse(&format!("#{id}")).expect("selector");
            let named = chart.select(&by_id).next().expect("the labelling element");
            assert!(!text_of(named).is_empty(), "{id}");
        }
    }
    // The first chart: one bar per non-zero (month, severity), equal heights for
    // equal counts, a service name escaped rather than markup.
    let bar = scraper::Selector::parse("rect.bar").expect("selector");
    let heights: Vec<f64> = charts[0]
        .select(&bar)
        .map(|r| {
            r.value()
                .attr("height")
                .and_then(|h| h.parse().ok())
                .expect("height")
        })
        .collect();
    assert_eq!(heights.len(), 5);
    assert!(heights.iter().all(|h| (h - heights[0]).abs() < 0.11));
    assert!(html.contains("cache &amp; &lt;edge&gt;"));
    assert!(!html.contains("<edge>"));
    // The navigation links to the page, marked as the current one here.
    let current = scraper::Selector::parse("nav a[aria-current=page]").expect("selector");
    let link = doc.select(&current).next().expect("a current link");
    assert_eq!(link.value().attr("href"), Some("../insights/"));
}

#[test]
fn service_and_tag_pages_show_their_own_figures() {
    let out = build_fixture(&[]);
    let site = out.path().join("site");
    let figures = |page: &str| -> Vec<(String, Vec<Vec<String>>)> {
        let html = std::fs::read_to_string(site.join(page)).expect(page);
        let doc = scraper::Html::parse_document(&html);
        let summary = scraper::Selector::parse("section.term-figures").expect("selector");
        let section = doc.select(&summary).next().expect("a figures section");
        page_tables(&section.html())
    };
    let db = figures("services/db/index.html");
    let titles: Vec<&str> = db.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Incidents per month by severity",
            "Time to detect per quarter",
            "Time to resolve per quarter",
            "Action items against their due date",
        ]
    );
    let totals: Vec<&str> = db[0].1[1..].iter().map(|r| r[4].as_str()).collect();
    assert_eq!(totals, ["1", "0", "1", "0", "0"]);
    assert_eq!(db[2].1[1], ["2024-Q4", "1", "2 h", "2 h"]);
    let network = figures("tags/network/index.html");
    let totals: Vec<&str> = network[0].1[1..].iter().map(|r| r[4].as_str()).collect();
    assert_eq!(totals, ["0", "1", "0", "0", "0"]);
    // Other lists (severities, years) have no figures section.
    let html = std::fs::read_to_string(site.join("severity/sev1/index.html")).expect("page");
    assert!(!html.contains("term-figures"));
}

#[test]
fn each_record_page_offers_its_timeline_as_a_file() {
    let out = build_fixture(&[]);
    let site = out.path().join("site");
    for id in ["INC-1", "INC-2", "INC-3", "INC-5"] {
        let folder = site.join("incidents").join(id);
        let html = std::fs::read_to_string(folder.join("index.html")).expect("page");
        let doc = scraper::Html::parse_document(&html);
        let link = scraper::Selector::parse("a[download]").expect("selector");
        let link = doc.select(&link).next().expect("a download link");
        assert_eq!(link.value().attr("href"), Some("timeline.svg"));
        let svg = std::fs::read_to_string(folder.join("timeline.svg")).expect("timeline.svg");
        let drawing = roxmltree::Document::parse(&svg).expect("well-formed SVG");
        let root = drawing.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        let inline = scraper::Selector::parse("figure.timeline-figure svg title").expect("sel");
        let inline_title = doc
            .select(&inline)
            .next()
            .map(text_of)
            .expect("inline drawing");
        let file_title = root
            .children()
            .find(|n| n.has_tag_name("title"))
            .and_then(|n| n.text())
            .expect("a title");
        assert_eq!(inline_title, file_title);
    }
    // INC-4 has a single moment: no drawing, no file, no link.
    let folder = site.join("incidents/INC-4");
    assert!(!folder.join("timeline.svg").exists());
    let html = std::fs::read_to_string(folder.join("index.html")).expect("page");
    assert!(!html.contains("timeline.svg"));
}
