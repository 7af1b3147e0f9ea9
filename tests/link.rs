//! The link stage through the real binary: related records both ways, mentions that
//! become links (never in code or existing links), backlinks, similar incidents, the
//! unknown-mention warning, and what a public build leaves out.
//!
//! Fixtures: `tests/fixtures/link/graph` (the related, mention and backlink sets are
//! known exactly; similar incidents are off) and `tests/fixtures/link/similar` (two
//! near-duplicate incidents, two linked ones, unrelated ones).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{casebook, valid_record, TestArchive};
use scraper::{Html, Selector};
use serde_json::Value;

const TODAY: &str = "2025-01-01";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/link")
        .join(name)
}

/// A built site in a temporary folder, with its `incidents.json`.
struct Site {
    dir: tempfile::TempDir,
    json: Value,
}

impl Site {
    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(rel)).expect("read output file")
    }

    /// The incident with this id in `incidents.json`.
    fn incident(&self, id: &str) -> &Value {
        self.json["incidents"]
            .as_array()
            .expect("incidents")
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("{id} is not in incidents.json"))
    }

    /// A list of ids from one incident's field (`related`, `mentions`, `backlinks`,
    /// or the ids of `similar`).
    fn ids(&self, id: &str, field: &str) -> Vec<String> {
        self.incident(id)[field]
            .as_array()
            .unwrap_or_else(|| panic!("{id} has no `{field}`"))
            .iter()
            .map(|v| {
                v.as_str()
                    .map_or_else(|| v["id"].to_string(), str::to_string)
            })
            .map(|s| s.trim_matches('"').to_string())
            .collect()
    }

    /// Every output file's path and text (binary files left out).
    fn texts(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let mut stack = vec![self.dir.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(text) = std::fs::read_to_string(&path) {
                    let rel = path.strip_prefix(self.dir.path()).expect("inside");
                    out.insert(rel.to_string_lossy().replace('\\', "/"), text);
                }
            }
        }
        out
    }
}

/// `casebook build` of `root` into a fresh folder; panics unless it succeeds.
fn build(root: &Path, args: &[&str], threads: Option<&str>) -> Site {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = casebook();
    command
        .arg("build")
        .arg("--root")
        .arg(root)
        .args(["--today", TODAY, "--quiet", "--output"])
        .arg(dir.path())
        .args(args);
    if let Some(threads) = threads {
        command.env("RAYON_NUM_THREADS", threads);
    }
    let output = command.output().expect("run casebook");
    assert!(
        output.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("incidents.json")).expect("incidents.json");
    let json = serde_json::from_str(&text).expect("incidents.json is JSON");
    Site { dir, json }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn related_mentions_and_backlinks_are_exact() {
    let site = build(&fixture("graph"), &[], None);
    let expect = |id: &str, related: &[&str], mentions: &[&str], backlinks: &[&str]| {
        assert_eq!(site.ids(id, "related"), strings(related), "{id} related");
        assert_eq!(site.ids(id, "mentions"), strings(mentions), "{id} mentions");
        assert_eq!(
            site.ids(id, "backlinks"),
            strings(backlinks),
            "{id} backlinks"
        );
        assert!(site.ids(id, "similar").is_empty(), "{id}: similar is off");
    };
    // Related: duplicates and the record's own id dropped. Mentions: summary first,
    // then the body; not in code, link text, URLs, or of itself.
    expect(
        "INC-2024-0001",
        &["INC-2024-0002"],
        &["INC-2024-0003", "INC-2024-0004", "INC-2024-0008"],
        &["INC-2024-0002", "INC-2024-0008", "INC-2024-0003"],
    );
    // A timeline event and an action-item title mention too.
    expect(
        "INC-2024-0002",
        &["INC-2024-0008"],
        &["INC-2024-0001", "INC-2024-0005"],
        &["INC-2024-0001", "INC-2024-0008"],
    );
    expect("INC-2024-0003", &["INC-2024-0001"], &[], &["INC-2024-0001"]);
    expect("INC-2024-0004", &[], &[], &["INC-2024-0001"]);
    expect("INC-2024-0005", &[], &[], &["INC-2024-0002"]);
    expect("INC-2024-0006", &[], &[], &[]);
    expect("INC-2024-0007", &[], &[], &[]);
    expect(
        "INC-2024-0008",
        &["INC-2024-0001"],
        &["INC-2024-0002"],
        &["INC-2024-0001", "INC-2024-0002"],
    );
}

#[test]
fn mentions_become_links_except_in_code_and_existing_links() {
    let site = build(&fixture("graph"), &[], None);
    let page = Html::parse_document(&site.read("incidents/INC-2024-0001/index.html"));
    let links = |selector: &str| -> Vec<(String, String)> {
        let selector = Selector::parse(selector).expect("selector");
        page.select(&selector)
            .map(|a| {
                let href = a.value().attr("href").unwrap_or_default().to_string();
                (a.text().collect::<String>(), href)
            })
            .collect()
    };
    assert_eq!(
        links("#s-body a[href]:not(.anchor)"),
        [
            (
                "INC-2024-0004".to_string(),
                "../../incidents/INC-2024-0004/".to_string()
            ),
            (
                "INC-2024-0006 write-up".to_string(),
                "https://wiki.example.com/INC-2024-0006".to_string()
            ),
            (
                "INC-2024-0008".to_string(),
                "../../incidents/INC-2024-0008/".to_string()
            ),
        ]
    );
    assert_eq!(
        links(".summary a"),
        [(
            "INC-2024-0003".to_string(),
            "../../incidents/INC-2024-0003/".to_string()
        )]
    );
    let code = Selector::parse("#s-body code").expect("selector");
    let code_text: Vec<String> = page.select(&code).map(|c| c.text().collect()).collect();
    assert!(
        code_text.iter().any(|c| c == "INC-2024-0005"),
        "{code_text:?}"
    );
    assert!(
        code_text
            .iter()
            .any(|c| c.contains("INC-2024-0007 appears")),
        "{code_text:?}"
    );
    let backlinks = links("#s-backlinks a");
    let titles: Vec<&str> = backlinks.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Orders database failover",
            "Vendor contract dispute",
            "Export job leaked connections"
        ]
    );
    for (_, href) in links("#s-body a[href^='../']").iter().chain(&backlinks) {
        let target = Path::new("incidents/INC-2024-0001")
            .join(href)
            .join("index.html");
        let target: PathBuf = target.components().fold(PathBuf::new(), |mut p, c| {
            match c {
                std::path::Component::ParentDir => {
                    p.pop();
                }
                other => p.push(other),
            }
            p
        });
        assert!(
            site.dir.path().join(&target).is_file(),
            "{href} -> {}",
            target.display()
        );
    }

    let other = Html::parse_document(&site.read("incidents/INC-2024-0002/index.html"));
    let timeline = Selector::parse("table.timeline a").expect("selector");
    let hrefs: Vec<&str> = other
        .select(&timeline)
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(hrefs, ["../../incidents/INC-2024-0001/"]);
}

#[test]
fn a_public_build_never_links_or_lists_an_internal_record() {
    let site = build(&fixture("graph"), &["--profile", "public"], None);
    let json = serde_json::to_string(&site.json).expect("JSON");
    assert!(
        !json.contains("INC-2024-0008"),
        "incidents.json names the internal record"
    );
    assert_eq!(
        site.ids("INC-2024-0001", "mentions"),
        ["INC-2024-0003", "INC-2024-0004"]
    );
    assert_eq!(
        site.ids("INC-2024-0001", "backlinks"),
        ["INC-2024-0002", "INC-2024-0003"]
    );
    assert!(site.ids("INC-2024-0002", "related").is_empty());
    assert!(!site.dir.path().join("incidents/INC-2024-0008").exists());
    for (path, text) in site.texts() {
        assert!(
            !text.contains("incidents/INC-2024-0008") && !text.contains("Vendor contract dispute"),
            "{path} links or lists the internal record"
        );
    }
}

/// Two public near-duplicates and an internal one: the internal twin is the best
/// match in an internal build and absent from a public one.
#[test]
fn a_public_build_never_shows_an_internal_record_as_similar() {
    let archive = TestArchive::with_config(
        "title = \"T\"\nbase_url = \"https://x.example/\"\ndefault_visibility = \"public\"\n",
    );
    let record = |id: &str, visibility: &str, title: &str, body: &str| {
        format!(
            "---\nid: {id}\ntitle: {title}\ndate: 2024-05-01\nseverity: SEV2\nstatus: investigating\n\
             review: approved\nvisibility: {visibility}\nservices: [search]\n---\n{body}\n"
        )
    };
    let twin = "The search cluster ran out of disk during a reindex; shards went read-only.";
    archive.record(
        "a.md",
        record("S-1", "public", "Search disk full during reindex", twin),
    );
    archive.record(
        "b.md",
        record("S-2", "internal", "Search disk full during reindex", twin),
    );
    archive.record(
        "c.md",
        record(
            "S-3",
            "public",
            "Search shards read-only after disk filled",
            "Disk filled up on search nodes.",
        ),
    );
    let internal = build(archive.root(), &[], None);
    assert_eq!(internal.ids("S-1", "similar")[0], "S-2");
    let public = build(archive.root(), &["--profile", "public"], None);
    assert_eq!(public.ids("S-1", "similar"), ["S-3"]);
    for (path, text) in public.texts() {
        assert!(!text.contains("S-2"), "{path} mentions the internal record");
    }
}

#[test]
fn near_duplicates_find_each_other_first() {
    let site = build(&fixture("similar"), &[], None);
    assert_eq!(site.ids("PM-101", "similar")[0], "PM-117");
    assert_eq!(site.ids("PM-117", "similar")[0], "PM-101");
    let best = &site.incident("PM-101")["similar"][0];
    let score = best["score"].as_f64().expect("score");
    assert!(score > 0.5 && score <= 1.0, "{best}");
    assert!(
        best["text_score"].as_f64().expect("text score") > 0.3,
        "{best}"
    );
    let reason = best["reason"].as_str().expect("reason");
    assert!(reason.starts_with("shares catalog, redis"), "{reason}");
    assert_eq!(best["services"], serde_json::json!(["catalog", "redis"]));

    let page = Html::parse_document(&site.read("incidents/PM-101/index.html"));
    let item = Selector::parse("#s-similar li").expect("selector");
    let first: String = page
        .select(&item)
        .next()
        .expect("a similar incident")
        .text()
        .collect();
    assert!(
        first.contains("Cache stampede on the catalog") && first.contains(reason),
        "{first}"
    );
}

#[test]
fn linked_records_are_not_repeated_as_similar() {
    let site = build(&fixture("similar"), &[], None);
    assert_eq!(site.ids("PM-107", "related"), ["PM-106"]);
    assert_eq!(site.ids("PM-106", "backlinks"), ["PM-107"]);
    assert!(!site
        .ids("PM-106", "similar")
        .contains(&"PM-107".to_string()));
    assert!(!site
        .ids("PM-107", "similar")
        .contains(&"PM-106".to_string()));
}

/// An archive big enough to spread over several work units, with overlapping topics
/// so that scores tie and near-tie.
fn generated_archive(records: usize) -> TestArchive {
    let archive = TestArchive::with_config(
        "title = \"T\"\nbase_url = \"https://x.example/\"\ndefault_visibility = \"public\"\n",
    );
    let topics = [
        "connection pool leak exhausted database",
        "certificate expired renewal failed",
        "kafka consumer lag rebalance loop",
        "dns resolver timeout migration",
        "disk full during reindex",
        "cache stampede after failover",
    ];
    for i in 0..records {
        let topic = topics[i % topics.len()];
        let other = topics[(i * 5 + 1) % topics.len()];
        archive.record(
            &format!("r{i:04}.md"),
            format!(
                "---\nid: R-{i:04}\ntitle: {topic} {}\ndate: 2024-{:02}-{:02}\nseverity: SEV{}\n\
                 status: investigating\nreview: in-review\nservices: [svc-{}]\ntags: [t{}]\n---\n\
                 The {topic} problem again; {other} made it worse. Note{} and step{}.\n",
                i % 7,
                1 + i % 12,
                1 + i % 28,
                1 + i % 3,
                i % 11,
                i % 5,
                i % 13,
                i % 17
            ),
        );
    }
    archive
}

#[test]
fn the_ranking_is_the_same_on_every_run_and_thread_count() {
    let archive = generated_archive(600);
    let one = build(archive.root(), &[], Some("1"));
    let two = build(archive.root(), &[], Some("2"));
    let again = build(archive.root(), &[], Some("2"));
    let page = "incidents/R-0001/index.html";
    assert!(one.ids("R-0001", "similar").len() == 5);
    assert_eq!(one.read("incidents.json"), two.read("incidents.json"));
    assert_eq!(two.read("incidents.json"), again.read("incidents.json"));
    assert_eq!(one.read(page), two.read(page));
}

#[test]
fn site_toml_turns_similar_incidents_off() {
    let archive = generated_archive(20);
    assert!(!build(archive.root(), &[], None)
        .ids("R-0001", "similar")
        .is_empty());
    archive.write(
        "site.toml",
        "title = \"T\"\nbase_url = \"https://x.example/\"\n[similar]\nenabled = false\n",
    );
    let site = build(archive.root(), &[], None);
    for incident in site.json["incidents"].as_array().expect("incidents") {
        assert_eq!(incident["similar"], serde_json::json!([]));
    }
}

#[test]
fn an_unknown_mention_is_a_warning_with_its_place_and_the_nearest_id() {
    let run = casebook()
        .args(["check", "--format", "json", "--today", TODAY, "--root"])
        .arg(fixture("graph"))
        .output()
        .expect("run casebook");
    assert_eq!(
        run.status.code(),
        Some(0),
        "a warning does not fail the check"
    );
    let findings: Vec<Value> = serde_json::from_slice(&run.stdout).expect("JSON findings");
    let unknown: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "unknown-mention")
        .collect();
    assert_eq!(unknown.len(), 1, "{findings:?}");
    let f = unknown[0];
    assert_eq!(f["file"], "content/incidents/a.md");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(22), Some(9))
    );
    assert_eq!(f["level"], "warning");
    assert_eq!(f["code"], "CB0207");
    // INC-2024-0001 is a.md's own id, nearer but never suggested.
    assert_eq!(f["help"], "did you mean `INC-2024-0002`?");
    assert!(f["message"]
        .as_str()
        .unwrap_or_default()
        .contains("`INC-2024-0099`"));
}

#[test]
fn an_unknown_mention_never_suggests_the_records_own_id() {
    let archive = TestArchive::new();
    archive.record(
        "a.md",
        "---\nid: INC-2024-0918\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV2\n\
         status: investigating\n---\n\nLike INC-2024-0981 before it.\n",
    );
    let run = archive.check(&[]);
    let found = run.one("unknown-mention");
    assert_eq!(found.help, None, "{run}");

    archive.record("b.md", valid_record("INC-2023-0100", "2023-01-01"));
    let run = archive.check(&[]);
    let found = run.one("unknown-mention");
    assert_eq!(
        found.help.as_deref(),
        Some("did you mean `INC-2023-0100`?"),
        "{run}"
    );
}

#[test]
fn unknown_mentions_in_yaml_fields_point_at_the_token() {
    let archive = TestArchive::new();
    archive.record(
        "a.md",
        "---\nid: INC-2024-0001\ntitle: A\ndate: 2024-01-01\nseverity: SEV2\nstatus: investigating\n---\nBody.\n",
    );
    archive.record(
        "b.yaml",
        "id: INC-2024-0002\ntitle: B\ndate: 2024-01-02\nseverity: SEV2\nstatus: investigating\n\
         timeline:\n  - at: \"10:00\"\n    event: \"paged, like INC-2024-0010\"\n\
         body: |\n  ## Notes\n\n  Same as INC-2024-0200, not `INC-2024-0300`.\n",
    );
    let run = archive.check(&[]);
    let places: Vec<(String, String)> = run
        .of("unknown-mention")
        .iter()
        .map(|f| (f.at(), f.help.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        places,
        [
            (
                "content/incidents/b.yaml:8:25".to_string(),
                "did you mean `INC-2024-0001`?".to_string()
            ),
            // b.yaml's own id, INC-2024-0002, is nearer but never suggested.
            (
                "content/incidents/b.yaml:12:11".to_string(),
                "did you mean `INC-2024-0001`?".to_string()
            ),
        ]
    );
    archive.write(
        "site.toml",
        format!(
            "{}\n[rules]\nunknown-mention = \"off\"\n",
            common::SITE_TOML
        ),
    );
    assert!(archive.check(&[]).of("unknown-mention").is_empty());
}
