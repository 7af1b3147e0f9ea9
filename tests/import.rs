//! `casebook import`: the real binary on exports written from the tools' documented
//! formats (tests/fixtures/import/), printed as YAML and merged into records.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use casebook::load::yaml::{self, Node};
use common::{casebook, TestArchive};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(rel)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// Runs casebook with these arguments, from no archive at all.
fn run(args: &[&str]) -> Output {
    casebook().args(args).output().expect("run casebook")
}

/// The entries of a printed `timeline:` block, each as its keys' texts.
fn entries(yaml_text: &str) -> Vec<Vec<(String, String)>> {
    let parsed = yaml::parse(yaml_text, 0);
    assert!(
        parsed.problems.is_empty(),
        "{:?}\n{yaml_text}",
        parsed.problems
    );
    let root = parsed.root.expect("a tree");
    let timeline = root
        .get("timeline")
        .and_then(Node::as_seq)
        .expect("a timeline list");
    timeline
        .iter()
        .map(|item| {
            item.as_map()
                .expect("an entry is a mapping")
                .iter()
                .map(|(k, v)| {
                    let key = k.as_str().expect("key").to_string();
                    (key, v.as_str().expect("a scalar").to_string())
                })
                .collect()
        })
        .collect()
}

fn field<'a>(entry: &'a [(String, String)], key: &str) -> Option<&'a str> {
    entry
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn events(yaml_text: &str) -> Vec<String> {
    entries(yaml_text)
        .iter()
        .map(|e| field(e, "event").expect("event").to_string())
        .collect()
}

fn slack(export: &Path, extra: &[&str]) -> Output {
    let export = export.to_str().expect("path");
    let mut args = vec!["import", "slack", export, "--channel", "inc-db-pool"];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn slack_export_prints_yaml_that_reads_back_as_the_messages() {
    let out = slack(
        &fixture("slack"),
        &["--from", "2024-09-18", "--to", "2024-09-19T00:40:00Z"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let all = entries(&stdout);
    let events = events(&stdout);
    let expected = [
        "Triggered: **API Gateway error rate > 5%**",
        "[Datadog] ~~Warn~~ **Alert**: p99 latency 4s",
        "@channel checkout errors are up, see [the DB dashboard](https://grafana.example.com/d/db?from=1&to=2) and <https://status.example.com>",
        "Looking at #general and #inc-db-pool: `max_connections` is 100, cc @Carla Díaz @U09 @here",
        "Rolling back user-service v2.4.0 ~~maybe~~",
        "Shared the file “Connection pool graph”",
        "deployed user-service v2.3.9 to **prod**",
        "Rollback done: error rate back under 1%",
        "He said \"it's fine\": #not-a-comment & 'quotes' <b>bold?</b>",
        "- step one\n* step two\n```\nSELECT *count* FROM pool;\n```",
        "Ça marche 👍 — 完了",
    ];
    assert_eq!(events, expected);
    let actors: Vec<&str> = all
        .iter()
        .map(|e| field(e, "actor").expect("actor"))
        .collect();
    assert_eq!(
        actors,
        [
            "PagerDuty",
            "Datadog",
            "ana",
            "Bo Chen",
            "Carla Díaz",
            "Bo Chen",
            "deploybot",
            "Carla Díaz",
            "ana",
            "Bo Chen",
            "ana"
        ]
    );
    assert!(all.iter().all(|e| field(e, "source") == Some("slack")));
    // The record's date is the first entry's day: bare times on it, full ones after midnight.
    assert_eq!(field(&all[0], "at"), Some("23:20:30"));
    assert_eq!(field(&all[7], "at"), Some("2024-09-19T00:05:00Z"));
    // Noise, deleted messages, thread replies and messages outside the window stay out.
    for absent in [
        "joined",
        "deleted",
        "wrong channel",
        "topic",
        "purpose",
        "pinned",
        "again",
        "later chatter",
        "day before",
    ] {
        assert!(!stdout.contains(absent), "{absent} leaked:\n{stdout}");
    }
}

#[test]
fn threads_bring_in_replies() {
    let out = slack(
        &fixture("slack"),
        &[
            "--threads",
            "--from",
            "2024-09-18T23:26:00Z",
            "--to",
            "2024-09-18T23:26:00Z",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(events(&text(&out.stdout)), ["pool at 100/100 _again_"]);
}

#[test]
fn printed_block_pasted_into_a_record_passes_check() {
    let out = slack(&fixture("slack"), &["--date", "2024-09-18"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let archive = TestArchive::new();
    archive.record(
        "db.md",
        format!(
            "---\nid: INC-1\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV1\nstatus: investigating\n{}---\n\n## Summary\n\nx\n",
            text(&out.stdout)
        ),
    );
    archive.check(&[]).assert_clean();
}

/// A zip of the fixture export, built as Slack builds it: the files at its top.
fn zip_of(folder: &Path, extra: &[(&str, &str)]) -> tempfile::NamedTempFile {
    let file = tempfile::Builder::new()
        .suffix(".zip")
        .tempfile()
        .expect("temp zip");
    let mut zip = zip::ZipWriter::new(file.reopen().expect("reopen"));
    let options = zip::write::SimpleFileOptions::default();
    let mut files: Vec<PathBuf> = walk(folder);
    files.sort();
    for path in files {
        let name = path
            .strip_prefix(folder)
            .expect("inside")
            .to_str()
            .expect("name")
            .replace('\\', "/");
        zip.start_file(name, options).expect("start");
        zip.write_all(&std::fs::read(&path).expect("read"))
            .expect("write");
    }
    for (name, contents) in extra {
        zip.start_file(*name, options).expect("start");
        zip.write_all(contents.as_bytes()).expect("write");
    }
    zip.finish().expect("finish");
    file
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_zip_export_reads_as_its_folder() {
    let zip = zip_of(&fixture("slack"), &[]);
    let from_zip = slack(zip.path(), &["--threads"]);
    let from_folder = slack(&fixture("slack"), &["--threads"]);
    assert!(from_zip.status.success(), "{}", text(&from_zip.stderr));
    assert_eq!(text(&from_zip.stdout), text(&from_folder.stdout));
    assert!(!text(&from_zip.stdout).is_empty());
}

/// A record whose timeline has comments, a block scalar and entries on either side
/// of the imported ones, between other front matter and a body.
const RECORD: &str = "---\n# A comment up top\nid: INC-2024-0918\ntitle: \"Database pool exhaustion\"\ndate: 2024-09-18\nseverity: SEV1\nstatus: resolved\nstarted: 2024-09-18T23:15:00Z\nresolved: \"2024-09-19T00:40:00Z\"   # keep this comment\ntimeline:\n  - at: \"23:21\"\n    event: Someone noticed   # a comment\n    kind: detection\n\n  # between entries\n  - at: 2024-09-19T00:20:00Z\n    event: |\n      A block scalar\n      on two lines\n    source: manual\naction_items:\n  - title: Fix it\n    owner: me\n    due: 2024-10-01\n    status: done\n---\n\n## Summary\n\nBody text, untouched.   \n\n## Root cause\n\nA leak.\n";

/// The text before `timeline:` and from `action_items:` on.
fn outside_timeline(record: &str) -> (&str, &str) {
    let start = record.find("timeline:").expect("timeline");
    let end = record.find("action_items:").expect("action items");
    (&record[..start], &record[end..])
}

fn into(archive: &TestArchive, rel: &str, args: &[&str]) -> Output {
    let record = archive.path(rel);
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--into", record.to_str().expect("path")]);
    casebook().args(&all).output().expect("run casebook")
}

#[test]
fn slack_into_a_record_adds_entries_in_order_and_nothing_else() {
    let archive = TestArchive::new();
    archive.record("db.md", RECORD);
    let export = fixture("slack");
    let args = [
        "import",
        "slack",
        export.to_str().expect("path"),
        "--channel",
        "#inc-db-pool",
    ];
    let out = into(&archive, "content/incidents/db.md", &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("added 11 entries"),
        "{}",
        text(&out.stderr)
    );
    let merged = archive.read("content/incidents/db.md");
    assert_eq!(outside_timeline(&merged), outside_timeline(RECORD));
    // The existing entries are there as they were written.
    for kept in [
        "  - at: \"23:21\"\n    event: Someone noticed   # a comment\n    kind: detection\n",
        "  # between entries\n",
        "    event: |\n      A block scalar\n      on two lines\n    source: manual\n",
    ] {
        assert!(merged.contains(kept), "{kept:?} lost:\n{merged}");
    }
    // Time order: the record's window (started - 1h .. resolved + 1h) keeps the
    // 03:00 message out, and the new entries sit around the existing ones.
    let events = events(&merged[4..merged.find("action_items:").expect("items")]);
    assert_eq!(events.len(), 13);
    assert_eq!(events[2], "Someone noticed");
    assert_eq!(events[11], "Ça marche 👍 — 完了");
    assert_eq!(events[12], "A block scalar\non two lines\n");
    assert!(!merged.contains("later chatter"));
    archive.check(&[]).assert_clean();

    // The same import again adds nothing and leaves every byte.
    let again = into(&archive, "content/incidents/db.md", &args);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("nothing added"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(archive.read("content/incidents/db.md"), merged);

    // With the replies too, only the reply is new.
    let mut threads = args.to_vec();
    threads.push("--threads");
    let replies = into(&archive, "content/incidents/db.md", &threads);
    assert!(
        text(&replies.stderr).contains("added 1 entry"),
        "{}",
        text(&replies.stderr)
    );
}

#[test]
fn pagerduty_log_fills_missing_moments_and_skips_notifications() {
    let archive = TestArchive::new();
    let record = "---\nid: INC-2\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV2\nstatus: investigating\nstarted: \"23:00\"\ndetected:\ntimeline: []\n---\n\n## Summary\n\nx\n\n## Root cause\n\ny\n";
    archive.record("pd.md", record);
    let log = fixture("pagerduty/log_entries.json");
    let args = ["import", "pagerduty", log.to_str().expect("path")];
    let out = into(&archive, "content/incidents/pd.md", &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    for said in [
        "added 5 entries",
        "filled detected: 23:20:30",
        "filled acknowledged: 23:24:10",
        "filled resolved: 2024-09-19T00:40:00Z",
    ] {
        assert!(stderr.contains(said), "{said} not in {stderr}");
    }
    let merged = archive.read("content/incidents/pd.md");
    assert!(merged.starts_with("---\nid: INC-2\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV2\nstatus: investigating\nstarted: \"23:00\"\ndetected: \"23:20:30\"\nacknowledged: \"23:24:10\"\nresolved: \"2024-09-19T00:40:00Z\"\ntimeline:\n"), "{merged}");
    assert!(merged.ends_with("---\n\n## Summary\n\nx\n\n## Root cause\n\ny\n"));
    let events = events(&merged[4..merged.rfind("---").expect("end")]);
    assert_eq!(
        events,
        [
            "PagerDuty alert “API Gateway error rate > 5%” from Datadog",
            "Acknowledged by Ana Lima",
            "Escalated to Bo Chen",
            "Connection pool exhausted: \"max 100\" # see runbook",
            "Resolved by Carla Díaz",
        ]
    );
    assert!(
        merged.contains("kind: detection")
            && merged.contains("kind: escalation")
            && merged.contains("kind: resolution")
    );
    archive.check(&[]).assert_clean();
    let again = into(&archive, "content/incidents/pd.md", &args);
    assert!(again.status.success());
    assert_eq!(archive.read("content/incidents/pd.md"), merged);

    let with = run(&[
        "import",
        "pagerduty",
        log.to_str().expect("path"),
        "--notifications",
    ]);
    assert!(
        text(&with.stdout).contains("Notified Ana Lima by sms"),
        "{}",
        text(&with.stdout)
    );
    let without = run(&["import", "pagerduty", log.to_str().expect("path")]);
    assert!(!text(&without.stdout).contains("Notified"));
}

#[test]
fn a_bare_list_of_log_entries_in_any_order_reads_the_same() {
    let log: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture("pagerduty/log_entries.json")).expect("read"),
    )
    .expect("json");
    let mut list = log["log_entries"].as_array().expect("list").clone();
    list.reverse();
    let bare = tempfile::NamedTempFile::new().expect("temp");
    std::fs::write(bare.path(), serde_json::to_vec(&list).expect("json")).expect("write");
    let a = run(&[
        "import",
        "pagerduty",
        fixture("pagerduty/log_entries.json")
            .to_str()
            .expect("path"),
    ]);
    let b = run(&["import", "pagerduty", bare.path().to_str().expect("path")]);
    assert!(a.status.success() && b.status.success());
    assert_eq!(text(&a.stdout), text(&b.stdout));
}

#[test]
fn opsgenie_timeline_and_alert_log() {
    let timeline = run(&[
        "import",
        "opsgenie",
        fixture("opsgenie/incident_timeline.json")
            .to_str()
            .expect("path"),
    ]);
    assert!(timeline.status.success(), "{}", text(&timeline.stderr));
    let stdout = text(&timeline.stdout);
    assert_eq!(
        events(&stdout),
        [
            "Incident #12 created: API Gateway error rate > 5%",
            "Ana Lima acknowledged the responder alert",
            "Pool at 100/100: *rolling back*",
            "Incident resolved",
        ]
    );
    assert!(!stdout.contains("hidden entry"));
    let kinds: Vec<Option<String>> = entries(&stdout)
        .iter()
        .map(|e| field(e, "kind").map(str::to_string))
        .collect();
    assert_eq!(
        kinds,
        [
            Some("detection".into()),
            None,
            None,
            Some("resolution".into())
        ]
    );

    let archive = TestArchive::new();
    let record = "---\nid: INC-5\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV2\nstatus: investigating\n---\nBody\n";
    archive.record("og.md", record);
    let export = fixture("opsgenie/incident_timeline.json");
    let out = into(
        &archive,
        "content/incidents/og.md",
        &["import", "opsgenie", export.to_str().expect("path")],
    );
    let stderr = text(&out.stderr);
    for said in [
        "added 4 entries",
        "filled detected: 23:20:40",
        "filled acknowledged: 23:24:30",
        "filled resolved: 2024-09-19T00:40:00Z",
    ] {
        assert!(stderr.contains(said), "{said} not in {stderr}");
    }

    let log = run(&[
        "import",
        "opsgenie",
        fixture("opsgenie/alert_log.json").to_str().expect("path"),
    ]);
    assert!(log.status.success(), "{}", text(&log.stderr));
    let stdout = text(&log.stdout);
    assert_eq!(
        events(&stdout),
        [
            "Alert created via API",
            "Alert is acknowledged by ana@example.com",
            "Pool exhausted - rolling back",
            "Alert closed by carla@example.com",
        ]
    );
    assert!(stdout.contains("at: \"23:20:40\""), "{stdout}");
}

#[test]
fn csv_columns_in_any_case_and_order() {
    let out = run(&[
        "import",
        "csv",
        fixture("csv/timeline.csv").to_str().expect("path"),
        "--date",
        "2024-09-18",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let all = entries(&stdout);
    assert_eq!(
        events(&stdout),
        [
            "Deploy freeze lifted: yes, really",
            "Status page: \"Investigating\" elevated errors",
            "Rollback verified # in prod"
        ]
    );
    assert_eq!(field(&all[1], "kind"), Some("communication"));
    assert_eq!(field(&all[0], "at"), Some("22:30"));
    assert_eq!(field(&all[0], "actor"), None);
    assert_eq!(field(&all[2], "kind"), Some("mitigation"));
    assert_eq!(field(&all[2], "actor"), Some("Carla Díaz"));
}

/// Runs a failing import into a copy of [`RECORD`] and returns its stderr, after
/// checking it exited 2 and left the record byte for byte.
fn refused(args: &[&str]) -> String {
    let archive = TestArchive::new();
    archive.record("db.md", RECORD);
    let out = into(&archive, "content/incidents/db.md", args);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(archive.read("content/incidents/db.md"), RECORD);
    let leftovers: Vec<_> = std::fs::read_dir(archive.path("content/incidents"))
        .expect("dir")
        .collect();
    assert_eq!(leftovers.len(), 1, "a temporary file was left behind");
    text(&out.stderr)
}

#[test]
fn bad_input_changes_nothing_and_says_why() {
    let export = fixture("slack");
    let export = export.to_str().expect("path");
    let stderr = refused(&["import", "slack", export, "--channel", "incident"]);
    assert!(
        stderr.contains("no channel `incident`; its channels are: general, inc-db-pool"),
        "{stderr}"
    );

    let stderr = refused(&[
        "import",
        "slack",
        export,
        "--channel",
        "inc-db-pool",
        "--from",
        "2030-01-01",
    ]);
    assert!(stderr.contains("#inc-db-pool has no messages from 2030-01-01T00:00:00Z on; its messages are dated 2024-09-17 to 2024-09-19"), "{stderr}");

    let not_export = fixture("csv");
    let stderr = refused(&[
        "import",
        "slack",
        not_export.to_str().expect("path"),
        "--channel",
        "x",
    ]);
    assert!(
        stderr.contains("not a Slack export: the folder has no channels.json"),
        "{stderr}"
    );
    let stderr = refused(&[
        "import",
        "slack",
        fixture("csv/timeline.csv").to_str().expect("path"),
        "--channel",
        "x",
    ]);
    assert!(
        stderr.contains("not a Slack export: neither a folder nor a zip file"),
        "{stderr}"
    );

    let slip = zip_of(
        &fixture("slack"),
        &[("inc-db-pool/../../../evil.json", "[]")],
    );
    let stderr = refused(&[
        "import",
        "slack",
        slip.path().to_str().expect("path"),
        "--channel",
        "inc-db-pool",
    ]);
    assert!(
        stderr.contains(
            "the zip holds `inc-db-pool/../../../evil.json`, a path that leaves the export"
        ),
        "{stderr}"
    );

    let stderr = refused(&[
        "import",
        "pagerduty",
        fixture("opsgenie/alert_log.json").to_str().expect("path"),
    ]);
    assert!(stderr.contains("not a PagerDuty incident log"), "{stderr}");

    let broken = tempfile::NamedTempFile::new().expect("temp");
    std::fs::write(
        broken.path(),
        "{\"log_entries\": [\n  {\"type\": \"trigger_log_entry\",,}\n]}",
    )
    .expect("write");
    let stderr = refused(&["import", "pagerduty", broken.path().to_str().expect("path")]);
    assert!(
        stderr.contains(&format!("{}:2:", broken.path().display())),
        "{stderr}"
    );

    let stderr = refused(&[
        "import",
        "opsgenie",
        fixture("pagerduty/log_entries.json")
            .to_str()
            .expect("path"),
    ]);
    assert!(stderr.contains("not an Opsgenie export"), "{stderr}");

    let bad_kind = tempfile::NamedTempFile::new().expect("temp");
    std::fs::write(
        bad_kind.path(),
        "at,event,kind\n23:30,ok,other\n23:31,bad,outage\n",
    )
    .expect("write");
    let stderr = refused(&["import", "csv", bad_kind.path().to_str().expect("path")]);
    assert!(
        stderr.contains(&format!(
            "{}:3: `kind` is `outage`",
            bad_kind.path().display()
        )),
        "{stderr}"
    );
}

#[test]
fn a_record_that_does_not_load_is_left_alone() {
    let archive = TestArchive::new();
    let broken = "---\nid: INC-3\ntitle: [unclosed\ndate: 2024-09-18\n---\nbody\n";
    archive.record("broken.md", broken);
    let log = fixture("pagerduty/log_entries.json");
    let out = into(
        &archive,
        "content/incidents/broken.md",
        &["import", "pagerduty", log.to_str().expect("path")],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("does not load as a record, so nothing was imported into it"),
        "{stderr}"
    );
    assert!(stderr.contains("broken.md:3:"), "{stderr}");
    assert_eq!(archive.read("content/incidents/broken.md"), broken);
}

#[test]
fn a_yaml_record_with_windows_line_endings_keeps_them() {
    let archive = TestArchive::with_config(
        &common::SITE_TOML.replace("timezone = \"UTC\"", "timezone = \"Europe/Berlin\""),
    );
    let record = "id: INC-4\r\ntitle: Pool\r\ndate: 2024-09-19\r\nseverity: SEV2\r\nstatus: investigating\r\nbody: |\r\n  ## Summary\r\n\r\n  x\r\n\r\n  ## Root cause\r\n\r\n  y\r\n";
    archive.record("crlf.yaml", record);
    let log = fixture("pagerduty/log_entries.json");
    let out = into(
        &archive,
        "content/incidents/crlf.yaml",
        &[
            "import",
            "pagerduty",
            log.to_str().expect("path"),
            "--no-fill",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let merged = archive.read("content/incidents/crlf.yaml");
    assert!(
        !merged.replace("\r\n", "").contains('\n'),
        "a bare newline was written:\n{merged:?}"
    );
    // Berlin is two hours ahead: the trigger at 23:20:30Z is 01:20:30 on the record's date.
    assert!(
        merged.contains("timeline:\r\n  - at: \"01:20:30\"\r\n"),
        "{merged}"
    );
    assert!(merged.contains("  - at: \"02:40\"\r\n"), "{merged}");
    assert!(merged.starts_with("id: INC-4\r\ntitle: Pool\r\ndate: 2024-09-19\r\nseverity: SEV2\r\nstatus: investigating\r\ntimeline:\r\n"));
    assert!(merged
        .ends_with("body: |\r\n  ## Summary\r\n\r\n  x\r\n\r\n  ## Root cause\r\n\r\n  y\r\n"));
    assert!(!merged.contains("detected:"));
    archive.check(&[]).assert_clean();
}

proptest::proptest! {
    /// Whatever a tool's text holds, the printed YAML reads back as that text.
    #[test]
    fn any_text_survives_the_printed_yaml(event in "\\PC*", raw in proptest::collection::vec(proptest::char::any(), 0..40)) {
        for text in [event, raw.into_iter().collect::<String>()] {
            let line = format!("event: {}\n", casebook::import::emit::quoted(&text));
            let parsed = yaml::parse(&line, 0);
            proptest::prop_assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
            let root = parsed.root.expect("a tree");
            proptest::prop_assert_eq!(root.get("event").and_then(Node::as_str), Some(text.as_str()));
        }
    }
}
