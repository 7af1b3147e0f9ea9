//! `casebook actions` and `casebook stats` run as a user runs them, on the
//! insights fixture (tests/fixtures/insights/archive), compared with the expected
//! output under tests/fixtures/insights/expected/.
//!
//! After a deliberate change of output, refresh the expected files with
//! `SNAPSHOTS=overwrite cargo test --test insights` and review the diff.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TODAY: &str = "2025-03-15";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/insights")
}

fn casebook(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_casebook"))
        .arg("--root")
        .arg(root)
        .args(["--color", "never"])
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("casebook runs")
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
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = fixtures().join("archive");
    std::fs::copy(archive.join("site.toml"), dir.path().join("site.toml")).expect("copy");
    let incidents = dir.path().join("content/incidents");
    std::fs::create_dir_all(&incidents).expect("mkdir");
    std::fs::write(
        incidents.join("broken.md"),
        "---\nid: INC-9\ntitle: Broken\ndate: 2025-01-01\nseverity: SEV9\nstatus: resolved\n---\n",
    )
    .expect("write");
    for command in ["actions", "stats"] {
        let output = casebook(dir.path(), &[command, "--today", TODAY]);
        assert_eq!(output.status.code(), Some(1), "{command}");
        assert!(stdout(&output).is_empty(), "{command}");
        let err = stderr(&output);
        assert!(err.contains("broken.md") && err.contains("SEV9"), "{err}");
    }
}

#[test]
fn nothing_from_a_record_reaches_the_terminal_as_control_characters() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("site.toml"),
        "title = \"t\"\nbase_url = \"/\"\n",
    )
    .expect("write");
    let incidents = dir.path().join("content/incidents");
    std::fs::create_dir_all(&incidents).expect("mkdir");
    std::fs::write(
        incidents.join("a.md"),
        "---\nid: INC-1\ntitle: A\ndate: 2025-01-01\nseverity: SEV1\nstatus: investigating\n\
         review: approved\naction_items:\n  - title: \"red \\e[31m text\"\n    owner: x\n    due: 2025-02-01\n---\n",
    )
    .expect("write");
    let output = casebook(dir.path(), &["actions", "--today", TODAY]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("red \u{fffd}[31m text"), "{text}");
    assert!(!text.contains('\u{1b}'));
}

#[test]
fn stats_and_actions_select_records_like_build() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("site.toml"),
        "title = \"t\"\nbase_url = \"/\"\ndefault_visibility = \"public\"\n",
    )
    .expect("write");
    let incidents = dir.path().join("content/incidents");
    std::fs::create_dir_all(&incidents).expect("mkdir");
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
        std::fs::write(incidents.join(format!("{id}.md")), record(id, extra)).expect("write");
    }
    let incidents_in = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["actions", "--today", TODAY, "--format", "json"];
        all.extend_from_slice(args);
        let output = casebook(dir.path(), &all);
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
    assert_eq!(incidents_in(&[]), ["INTERNAL", "PUBLIC"]);
    assert_eq!(incidents_in(&["--drafts"]), ["DRAFT", "INTERNAL", "PUBLIC"]);
    assert_eq!(incidents_in(&["--profile", "public"]), ["PUBLIC"]);
    let count = |args: &[&str]| -> u64 {
        let mut all = vec!["stats", "--today", TODAY, "--format", "json"];
        all.extend_from_slice(args);
        let output = casebook(dir.path(), &all);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let stats: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
        stats["totals"]["incidents"].as_u64().expect("a count")
    };
    assert_eq!(count(&[]), 2);
    assert_eq!(count(&["--drafts"]), 3);
    assert_eq!(count(&["--profile", "public", "--drafts"]), 2);
}
