//! `casebook init`, `new` and `schema` on real folders: what they write, that it
//! passes `check`, and that they refuse what they must refuse. Also every command
//! that prints on stdout, when stdout's reader has gone; `--today`'s errors and help;
//! and the README's command table against the commands' flags.

mod common;

use std::path::Path;

use common::{
    casebook, run_into_closed_pipe, run_with_both_streams_closed, valid_record, TestArchive,
    SITE_TOML,
};

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8")
}

/// Every file under `dir`, relative and sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("under dir");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// A record's front matter (or a YAML record's whole text) as JSON, read with
/// casebook's own YAML reader (YAML 1.2 core schema).
fn front_matter_json(text: &str, yaml_record: bool) -> serde_json::Value {
    let text = text.replace("\r\n", "\n");
    let yaml = if yaml_record {
        text.as_str()
    } else {
        casebook::load::split_front_matter(&text)
            .expect("front matter")
            .yaml
    };
    let parsed = casebook::load::yaml::parse(yaml, 0);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    casebook::load::decode::to_json(&parsed.root.expect("a YAML tree"))
}

/// `casebook schema` run in `root`, parsed.
fn schema_of(root: &Path) -> serde_json::Value {
    let output = casebook()
        .arg("--root")
        .arg(root)
        .arg("schema")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("the schema is JSON")
}

/// Asserts that a record file's front matter is valid under `schema`.
#[track_caller]
fn assert_valid(schema: &serde_json::Value, path: &Path) {
    let text = std::fs::read_to_string(path).expect("read record");
    let yaml_record = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
    let instance = front_matter_json(&text, yaml_record);
    let validator = jsonschema::validator_for(schema).expect("a valid JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{}:\n{}",
        path.display(),
        errors.join("\n")
    );
}

// ---- init -----------------------------------------------------------------------

#[test]
fn init_makes_an_archive_that_passes_check() {
    let archive = TestArchive::empty();
    let dir = archive.path("new-archive");
    let output = casebook().arg("init").arg(&dir).output().expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let files = files_under(&dir);
    assert_eq!(files.len(), 4, "{files:?}");
    assert_eq!(files[0], ".github/workflows/casebook.yml");
    assert_eq!(files[1], ".gitignore");
    assert!(
        files[2].starts_with("content/incidents/")
            && files[2].ends_with("-example-database-failover.md"),
        "{files:?}"
    );
    assert_eq!(files[3], "site.toml");

    // Checked on the system date, as a new user would, warnings denied.
    let check = casebook()
        .arg("--root")
        .arg(&dir)
        .args(["check", "--format", "json", "--deny", "warnings"])
        .output()
        .expect("run");
    assert_eq!(stdout(&check).trim(), "[]", "{}", stderr(&check));
    assert_eq!(check.status.code(), Some(0));
    assert!(stderr(&check).contains("checked 1 record: 0 errors, 0 warnings"));

    let site = std::fs::read_to_string(dir.join("site.toml")).expect("site.toml");
    assert!(
        site.lines().filter(|l| l.starts_with('#')).count() >= 5,
        "site.toml explains itself"
    );
    let ignore = std::fs::read_to_string(dir.join(".gitignore")).expect(".gitignore");
    assert!(ignore.lines().any(|l| l == "/public/"), "{ignore}");
}

#[test]
fn init_workflow_installs_from_git_checks_builds_and_publishes() {
    let archive = TestArchive::empty();
    assert_eq!(archive.run(&["init"]).status.code(), Some(0));
    let text = archive.read(".github/workflows/casebook.yml");
    let parsed = casebook::load::yaml::parse(&text, 0);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let workflow = casebook::load::decode::to_json(&parsed.root.expect("a YAML tree"));

    assert!(workflow["on"]["pull_request"].is_null(), "{workflow:#}");
    assert_eq!(
        workflow["on"]["push"]["branches"],
        serde_json::json!(["main"])
    );
    // The one setting a user must make, marked as such.
    assert_eq!(workflow["env"]["CASEBOOK_GIT"], "");
    assert!(text.contains("# SET THIS: the git address of the casebook source"));

    let jobs = workflow["jobs"].as_object().expect("jobs");
    let steps: Vec<&serde_json::Value> = jobs
        .values()
        .flat_map(|job| job["steps"].as_array().expect("steps"))
        .collect();
    let uses = |action: &str| {
        steps
            .iter()
            .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
            .unwrap_or_else(|| panic!("no step uses {action}: {workflow:#}"))
    };
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    let run_with = |command: &str| {
        runs.iter()
            .position(|r| r.lines().any(|l| l.trim() == command))
            .unwrap_or_else(|| panic!("no step runs `{command}`: {runs:#?}"))
    };

    assert_eq!(uses("actions/checkout@")["with"]["fetch-depth"], 0);
    let install = run_with("cargo install --locked --git \"$CASEBOOK_GIT\" casebook");
    assert!(runs[install].contains("if [ -z \"$CASEBOOK_GIT\" ]"));
    let check = run_with("casebook check --format github");
    let build = run_with("casebook build");
    assert!(install < check && check < build, "{runs:#?}");
    assert!(
        !runs
            .iter()
            .any(|r| r.contains("cargo install --locked casebook")),
        "casebook is not on crates.io: {runs:#?}"
    );
    assert_eq!(uses("actions/upload-artifact@")["with"]["path"], "public/");
    let pages = run_with("casebook build --profile public --output _site");
    assert!(build < pages);
    assert_eq!(
        uses("actions/upload-pages-artifact@")["with"]["path"],
        "_site/"
    );
    let publish = &workflow["jobs"]["publish"];
    assert_eq!(publish["needs"], "check-and-build");
    assert_eq!(publish["permissions"]["pages"], "write");
    assert_eq!(publish["if"], "github.event_name == 'push'");
    uses("actions/deploy-pages@");
}

#[test]
fn init_defaults_to_the_root_folder() {
    let archive = TestArchive::empty();
    let output = archive.run(&["init"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(archive.path("site.toml").is_file());
    let check = archive.run(&["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
}

#[test]
fn init_prints_the_next_steps_with_cd_only_when_needed() {
    let steps = |output: &std::process::Output| {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
        stderr(output)
            .lines()
            .skip_while(|l| *l != "next steps:")
            .skip(1)
            .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
    };
    let archive = TestArchive::empty();
    let output = casebook()
        .current_dir(archive.root())
        .args(["init", "my archive"])
        .output()
        .expect("run");
    assert_eq!(
        steps(&output),
        [
            "cd 'my",
            "casebook check",
            "casebook serve",
            "casebook build",
            "casebook new"
        ],
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("  cd 'my archive'\n"));

    for args in [&["init"][..], &["init", "."], &["--root", ".", "init"]] {
        let here = TestArchive::empty();
        let output = casebook()
            .current_dir(here.root())
            .args(args)
            .output()
            .expect("run");
        assert_eq!(
            steps(&output),
            [
                "casebook check",
                "casebook serve",
                "casebook build",
                "casebook new"
            ],
            "{args:?}: {}",
            stderr(&output)
        );
    }

    let elsewhere = TestArchive::empty();
    let output = casebook()
        .arg("--root")
        .arg(elsewhere.root())
        .arg("init")
        .output()
        .expect("run");
    assert!(
        stderr(&output).contains(&format!("  cd {}\n", elsewhere.root().display())),
        "{}",
        stderr(&output)
    );
    assert!(casebook()
        .arg("--root")
        .arg(elsewhere.path("x"))
        .args(["-q", "init"])
        .output()
        .expect("run")
        .stderr
        .is_empty());
}

#[test]
fn init_refuses_to_overwrite_and_writes_nothing() {
    let archive = TestArchive::empty();
    archive.write("site.toml", "title = \"Mine\"\n");
    let output = archive.run(&["init"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("refusing to overwrite") && message.contains("site.toml"),
        "{message}"
    );
    assert_eq!(archive.read("site.toml"), "title = \"Mine\"\n");
    assert_eq!(files_under(archive.root()), ["site.toml"]);
}

#[test]
fn init_refuses_when_only_the_gitignore_exists() {
    let archive = TestArchive::empty();
    archive.write(".gitignore", "target/\n");
    assert_eq!(archive.run(&["init"]).status.code(), Some(2));
    assert_eq!(files_under(archive.root()), [".gitignore"]);
    assert_eq!(archive.read(".gitignore"), "target/\n");
}

#[test]
fn init_example_matches_the_schema() {
    let archive = TestArchive::empty();
    assert_eq!(archive.run(&["init"]).status.code(), Some(0));
    let schema = schema_of(archive.root());
    let incidents = archive.path("content/incidents");
    for entry in std::fs::read_dir(incidents).expect("read dir") {
        assert_valid(&schema, &entry.expect("entry").path());
    }
}

// ---- new ------------------------------------------------------------------------

const HOUSE_SECTIONS: &[&str] = &[
    "Summary",
    "Impact",
    "Detection",
    "Response",
    "Root cause",
    "5 whys",
    "What went well",
    "What went wrong",
    "Lessons learned",
    "Action items",
];

fn archive_with_ids() -> TestArchive {
    let config = SITE_TOML.replace(
        "required_sections = [\"Summary\", \"Root cause\"]",
        "required_sections = [\"Summary\", \"Customer communication\"]",
    );
    let archive = TestArchive::with_config(&config);
    archive.record("a.md", valid_record("INC-2024-0007", "2024-05-01"));
    archive.record("b.md", valid_record("INC-2024-0012", "2024-06-01"));
    archive
}

#[test]
fn new_writes_the_next_id_today_and_every_section() {
    let archive = archive_with_ids();
    let output = archive.run(&["new", "Payment webhooks: delayed", "--today", "2024-07-01"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let printed = stdout(&output);
    let rel = "content/incidents/2024-07-01-payment-webhooks-delayed.md";
    assert_eq!(printed, format!("{}\n", archive.path(rel).display()));
    let text = archive.read(rel);
    assert!(text.starts_with("---\nid: INC-2024-0013\n"), "{text}");
    assert!(text.contains("\ndate: 2024-07-01\n"), "{text}");
    // The least severe severity unless one is asked for; the first status.
    assert!(text.contains("\nseverity: SEV3\n"), "{text}");
    assert!(text.contains("\nstatus: investigating\n"), "{text}");
    let headings: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    let mut expected: Vec<&str> = HOUSE_SECTIONS.to_vec();
    expected.push("Customer communication");
    assert_eq!(headings, expected);
    let front = front_matter_json(&text, false);
    assert_eq!(front["title"], "Payment webhooks: delayed");

    let run = archive.check(&["--today", "2024-07-01", "--deny", "warnings"]);
    run.assert_clean();
    assert!(run.stderr.contains("checked 3 records"), "{}", run.stderr);
}

/// The commented examples of a new record's front matter, uncommented the way an
/// editor's "toggle comment" does (`# ` dropped) and filled in, read without a
/// finding: the template never leads to a YAML trap such as `timeline: []` followed
/// by items.
#[test]
fn new_records_examples_parse_once_uncommented() {
    let archive = TestArchive::new();
    let output = archive.run(&["new", "Pool exhaustion", "--today", "2024-07-01"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rel = "content/incidents/2024-07-01-pool-exhaustion.md";
    let text = archive.read(rel);
    let (front, body) = text[4..].split_once("\n---\n").expect("front matter");
    let uncommented: Vec<String> = front
        .lines()
        .map(|line| match line.strip_prefix('#') {
            Some(rest) => rest.strip_prefix(' ').unwrap_or(rest).to_string(),
            None => line.to_string(),
        })
        .collect();
    assert!(
        uncommented.iter().all(|l| !l.starts_with('#')),
        "{uncommented:?}"
    );
    let filled = uncommented
        .join("\n")
        .replace("HH:MM", "14:23")
        .replace("YYYY-MM-DD", "2024-08-01")
        .replace("summary:", "summary: The pool ran dry.");
    archive.write(rel, format!("---\n{filled}\n---\n{body}"));
    let run = archive.check(&["--today", "2024-07-01"]);
    run.assert_clean();
    // The examples are read as entries: a wrong value in each is found where it is.
    let wrong = filled
        .replace("kind: detection", "kind: sideways")
        .replace("status: open", "status: someday");
    archive.write(rel, format!("---\n{wrong}\n---\n{body}"));
    let run = archive.check(&["--today", "2024-07-01"]);
    let lines: Vec<usize> = run
        .of("invalid-value")
        .iter()
        .filter_map(|f| f.line)
        .collect();
    let expected: Vec<usize> = ["kind: sideways", "status: someday"]
        .iter()
        .map(|v| 2 + wrong.lines().position(|l| l.contains(v)).expect("value"))
        .collect();
    assert_eq!(lines, expected, "{run}");
}

#[test]
fn new_counts_up_within_the_year_and_restarts_in_a_new_one() {
    let archive = archive_with_ids();
    for (title, id) in [("One", "INC-2024-0013"), ("Two", "INC-2024-0014")] {
        let output = archive.run(&["new", title, "--today", "2024-07-01"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let path = stdout(&output);
        let text = std::fs::read_to_string(path.trim_end()).expect("new record");
        assert!(text.contains(&format!("id: {id}\n")), "{text}");
    }
    let output = archive.run(&["new", "Three", "--today", "2025-01-02"]);
    let text = std::fs::read_to_string(stdout(&output).trim_end()).expect("new record");
    assert!(text.contains("id: INC-2025-0001\n"), "{text}");
}

#[test]
fn new_in_an_empty_archive_starts_at_one() {
    let archive = TestArchive::new();
    let output = archive.run(&["new", "First", "--today", "2024-03-05"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = archive.read("content/incidents/2024-03-05-first.md");
    assert!(text.starts_with("---\nid: INC-2024-0001\n"), "{text}");
}

#[test]
fn new_bundle_severity_and_services() {
    let archive = archive_with_ids();
    let output = archive.run(&[
        "new",
        "Card payments failing",
        "--bundle",
        "--severity",
        "SEV1",
        "--service",
        "payments",
        "--service",
        "api-gateway",
        "--today",
        "2024-07-01",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rel = "content/incidents/2024-07-01-card-payments-failing/index.md";
    assert_eq!(
        stdout(&output).trim_end(),
        archive.path(rel).display().to_string()
    );
    let front = front_matter_json(&archive.read(rel), false);
    assert_eq!(front["severity"], "SEV1");
    assert_eq!(
        front["services"],
        serde_json::json!(["payments", "api-gateway"])
    );
    archive.check(&["--today", "2024-07-01"]).assert_clean();
}

#[test]
fn new_refuses_an_unknown_severity_or_service_and_writes_nothing() {
    let archive = archive_with_ids();
    let output = archive.run(&["new", "X", "--severity", "sev1", "--today", "2024-07-01"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("`sev1`") && message.contains("did you mean `SEV1`?"),
        "{message}"
    );
    assert!(message.contains("`SEV1`, `SEV2` or `SEV3`"), "{message}");
    let output = archive.run(&["new", "X", "--service", "payment", "--today", "2024-07-01"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("did you mean `payments`?"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        files_under(&archive.path("content/incidents")),
        ["a.md", "b.md"]
    );
}

#[test]
fn new_refuses_to_overwrite() {
    let archive = archive_with_ids();
    let rel = "content/incidents/2024-07-01-same.md";
    archive.write(rel, "mine\n");
    let output = archive.run(&["new", "Same", "--today", "2024-07-01"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("already exists"),
        "{}",
        stderr(&output)
    );
    assert_eq!(archive.read(rel), "mine\n");
}

/// A symlink at the new record's path that leads nowhere is in the way too: the
/// record is not written through it (`exists()` says no such file; creating the
/// file only if nothing is at its path says there is).
#[test]
fn new_does_not_write_through_a_symlink_in_the_way() {
    let archive = archive_with_ids();
    let rel = "content/incidents/2024-07-01-same.md";
    std::fs::create_dir(archive.path("elsewhere")).expect("mkdir");
    let target = archive.path("elsewhere/target.md");
    std::os::unix::fs::symlink(&target, archive.path(rel)).expect("symlink");
    let output = archive.run(&["new", "Same", "--today", "2024-07-01"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(
        message.contains("2024-07-01-same.md") && message.contains("already exists"),
        "{message}"
    );
    assert!(
        !target.exists(),
        "the record was written through the symlink"
    );
    assert_eq!(std::fs::read_link(archive.path(rel)).ok(), Some(target));
}

/// A bundle's folder that is already there is refused, and nothing in it changes.
#[test]
fn new_refuses_an_existing_bundle_folder() {
    let archive = archive_with_ids();
    archive.write("content/incidents/2024-07-01-same/notes.txt", "mine\n");
    let output = archive.run(&["new", "Same", "--bundle", "--today", "2024-07-01"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("already exists"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        files_under(&archive.path("content/incidents/2024-07-01-same")),
        ["notes.txt"]
    );
}

/// A title with no ASCII letters or digits gives no slug; the file is named after
/// the new record's id instead, so two such records never meet at `DATE-.md`.
#[test]
fn new_names_the_file_after_the_id_when_the_title_has_no_slug() {
    let archive = archive_with_ids();
    for (title, rel) in [
        ("障害報告", "content/incidents/2024-07-01-inc-2024-0013.md"),
        ("!!!", "content/incidents/2024-07-01-inc-2024-0014.md"),
    ] {
        let output = archive.run(&["new", title, "--today", "2024-07-01"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert_eq!(
            stdout(&output).trim_end(),
            archive.path(rel).display().to_string()
        );
        assert_eq!(front_matter_json(&archive.read(rel), false)["title"], title);
    }
    archive.check(&["--today", "2024-07-01"]).assert_clean();
}

#[test]
fn new_keeps_awkward_titles_intact() {
    let archive = TestArchive::new();
    let title = "Fix: \"quoted\" #hash & 'single' -- ünïcode: [brackets] {braces}";
    let output = archive.run(&["new", title, "--today", "2024-07-01"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let path = stdout(&output);
    let text = std::fs::read_to_string(path.trim_end()).expect("new record");
    assert_eq!(front_matter_json(&text, false)["title"], title);
    archive.check(&["--today", "2024-07-01"]).assert_clean();
}

#[test]
fn new_record_matches_the_schema() {
    let archive = archive_with_ids();
    let output = archive.run(&[
        "new",
        "Schema",
        "--service",
        "payments",
        "--today",
        "2024-07-01",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let schema = schema_of(archive.root());
    assert_valid(&schema, Path::new(stdout(&output).trim_end()));
}

// ---- schema ---------------------------------------------------------------------

#[test]
fn schema_takes_its_value_sets_from_site_toml() {
    let config = SITE_TOML.replace(
        "required_sections",
        "priorities = [\"high\", \"low\"]\nstatuses = [\"open\", \"closed\"]\nrequired_sections",
    );
    let archive = TestArchive::with_config(&config);
    let schema = schema_of(archive.root());
    // Draft 7: the YAML language server supports it fully, newer drafts only in part.
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(schema["type"], "object");
    assert_eq!(
        schema["required"],
        serde_json::json!(["id", "title", "date", "severity", "status"])
    );
    let props = &schema["properties"];
    assert_eq!(
        props["severity"]["enum"],
        serde_json::json!(["SEV1", "SEV2", "SEV3"])
    );
    assert_eq!(
        props["status"]["enum"],
        serde_json::json!(["open", "closed"])
    );
    assert_eq!(
        props["action_items"]["items"]["properties"]["priority"]["enum"],
        serde_json::json!(["high", "low", null])
    );
    assert_eq!(
        props["services"]["items"]["enum"],
        serde_json::json!(["api-gateway", "payments", "user-service"])
    );
    assert_eq!(
        props["review"]["enum"],
        serde_json::json!(["draft", "in-review", "approved", null])
    );
    // An optional key without a value is absent to casebook; a required one is missing.
    assert_eq!(
        props["summary"]["type"],
        serde_json::json!(["string", "null"])
    );
    assert!(
        jsonschema::meta::is_valid(&schema),
        "a valid draft 7 schema"
    );
}

#[test]
fn schema_outside_an_archive_uses_the_defaults() {
    let archive = TestArchive::empty();
    let schema = schema_of(archive.root());
    assert_eq!(
        schema["properties"]["severity"]["enum"],
        serde_json::json!(["SEV1", "SEV2", "SEV3", "SEV4"])
    );
    assert_eq!(schema["properties"]["services"]["items"]["type"], "string");
}

#[test]
fn schema_refuses_a_broken_site_toml() {
    let archive = TestArchive::with_config("title = 5\n");
    let output = archive.run(&["schema"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
}

#[test]
fn demo_records_match_the_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema = schema_of(root);
    let mut checked = 0;
    for entry in std::fs::read_dir(root.join("content/incidents")).expect("read dir") {
        let path = entry.expect("entry").path();
        let path = if path.is_dir() {
            path.join("index.md")
        } else {
            path
        };
        assert_valid(&schema, &path);
        checked += 1;
    }
    assert!(checked >= 8, "the demo has at least eight records");
}

#[test]
fn schema_rejects_what_check_rejects() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let validator = jsonschema::validator_for(&schema_of(root)).expect("schema");
    let good = front_matter_json(&valid_record("INC-1", "2024-09-18"), false);
    assert!(validator.is_valid(&good));
    for (from, to) in [
        ("severity: SEV2", "severity: SEV9"),
        ("status: investigating", "status: done"),
        ("id: INC-1", "id: INC 1"),
        ("date: 2024-09-18", "date: 18.09.2024"),
        ("title: Incident INC-1", "colour: red"),
        (
            "status: investigating",
            "status: investigating\nservices: [nope]",
        ),
        (
            "status: investigating",
            "status: investigating\ntimeline:\n  - event: no time",
        ),
    ] {
        let bad = valid_record("INC-1", "2024-09-18").replace(from, to);
        assert!(
            !validator.is_valid(&front_matter_json(&bad, false)),
            "accepted: {to}"
        );
    }
}

// ---- closed pipes -----------------------------------------------------------------

#[test]
fn every_command_stops_quietly_when_stdouts_reader_has_gone() {
    let archive = TestArchive::new();
    for n in 1..=30 {
        archive.record(
            &format!("inc-{n}.md"),
            format!(
                "---\nid: INC-{n}\ntitle: Incident {n}\ndate: 2024-05-{:02}\nseverity: SEV2\n\
                 status: investigating\nreview: in-review\nservices: [payments]\naction_items:\n\
                 - {{id: AI-1, title: Fix it, owner: team, due: 2024-06-01}}\n---\n\n\
                 ## Summary\n\nSomething broke.\n\n## Root cause\n\nA bug, human error.\n",
                n % 28 + 1
            ),
        );
    }
    let root = archive.root().to_str().expect("UTF-8 path");
    let runs: &[&[&str]] = &[
        &["schema"],
        &["--root", root, "schema"],
        &[
            "--root",
            root,
            "new",
            "A new incident",
            "--today",
            "2025-01-15",
        ],
        &[
            "--root",
            root,
            "check",
            "--format",
            "json",
            "--today",
            "2025-01-15",
        ],
        &[
            "--root",
            root,
            "check",
            "--format",
            "github",
            "--today",
            "2025-01-15",
        ],
        &["--root", root, "actions", "--today", "2025-01-15"],
        &[
            "--root",
            root,
            "actions",
            "--format",
            "json",
            "--today",
            "2025-01-15",
        ],
        &[
            "--root",
            root,
            "actions",
            "--format",
            "csv",
            "--today",
            "2025-01-15",
        ],
        &["--root", root, "stats", "--today", "2025-01-15"],
        &[
            "--root",
            root,
            "stats",
            "--format",
            "json",
            "--today",
            "2025-01-15",
        ],
        &["--help"],
        &["check", "--help"],
        &["--version"],
    ];
    for args in runs {
        let output = run_into_closed_pipe(args);
        let err = stderr(&output);
        assert_eq!(
            output.status.code(),
            Some(0),
            "casebook {}: {err}",
            args.join(" ")
        );
        assert!(err.is_empty(), "casebook {}: {err}", args.join(" "));
    }
}

/// Progress and timing lines go to stderr; with stderr closed too they are lost, but
/// the command still runs to its end instead of panicking (exit 101).
#[test]
fn a_closed_stderr_does_not_stop_a_command() {
    let archive = TestArchive::new();
    archive.record("a.md", valid_record("INC-1", "2024-01-01"));
    let out = archive.path("site");
    let root = archive.root().to_string_lossy().to_string();
    let out = out.to_string_lossy().to_string();
    for args in [
        vec![
            "--root",
            &root,
            "check",
            "--timings",
            "--today",
            "2025-01-15",
        ],
        vec![
            "--root",
            &root,
            "build",
            "--timings",
            "--output",
            &out,
            "--today",
            "2025-01-15",
        ],
        vec![
            "--root",
            &root,
            "stats",
            "--timings",
            "--today",
            "2025-01-15",
        ],
    ] {
        let output = run_with_both_streams_closed(&args);
        assert_eq!(output.status.code(), Some(0), "casebook {}", args.join(" "));
    }
    assert!(
        archive.path("site/index.html").is_file(),
        "the build ran to its end"
    );
}

// ---- --today ----------------------------------------------------------------------

#[test]
fn a_bad_today_is_answered_with_the_form_it_wants() {
    let archive = TestArchive::new();
    for (value, words) in [
        (
            "2024-9-18",
            "expected a date as YYYY-MM-DD, such as 2024-09-18",
        ),
        (
            "18.09.2024",
            "expected a date as YYYY-MM-DD, such as 2024-09-18",
        ),
        (
            "20240918",
            "expected a date as YYYY-MM-DD, such as 2024-09-18",
        ),
        (
            "2024-02-30",
            "there is no such day in the calendar; expected a date as YYYY-MM-DD",
        ),
    ] {
        for command in ["check", "build", "actions", "stats", "new"] {
            let mut args = vec![command];
            if command == "new" {
                args.push("Title");
            }
            args.extend(["--today", value]);
            let output = archive.run(&args);
            let err = stderr(&output);
            assert_eq!(output.status.code(), Some(2), "{command} {value}: {err}");
            assert!(
                err.contains(&format!(
                    "invalid value '{value}' for '--today <YYYY-MM-DD>': {words}"
                )),
                "{command} {value}: {err}"
            );
            assert!(!err.contains("parse"), "the date library's words: {err}");
        }
    }
    assert!(files_under(&archive.path("content")).is_empty());
}

#[test]
fn each_commands_help_says_what_today_does_there() {
    let help = |command: &str| {
        let output = casebook().args([command, "--help"]).output().expect("run");
        let text = stdout(&output);
        let at = text
            .find("--today <YYYY-MM-DD>")
            .expect("--today in the help");
        text[at..]
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .to_string()
    };
    for command in ["check", "build", "serve", "actions"] {
        assert!(
            help(command).contains("decides which action items are overdue"),
            "{command}: {}",
            help(command)
        );
    }
    let new = help("new");
    assert!(new.contains("The new record's date"), "{new}");
    assert!(!new.contains("overdue"), "{new}");
    let stats = help("stats");
    assert!(
        stats.contains("The day the figures are taken on"),
        "{stats}"
    );
}

// ---- the README's command table ------------------------------------------------------

/// One flag as the README writes it: `--format`, `-o/--output`, with the value that
/// follows it (`DIR`, `human\|json\|github`), if any.
#[derive(Debug)]
struct ReadmeFlag {
    short: Option<char>,
    long: String,
    value: Option<String>,
}

/// The README's `## Commands` table: each `casebook CMD ...` row's flags, by command.
fn readme_commands() -> Vec<(String, Vec<ReadmeFlag>)> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let table = readme
        .split("\n## Commands\n")
        .nth(1)
        .expect("a Commands section")
        .split("\n## ")
        .next()
        .unwrap_or_default();
    let mut commands = Vec::new();
    for row in table.lines().filter_map(|l| l.strip_prefix("| `casebook ")) {
        let usage = row.split("` |").next().unwrap_or_default();
        let usage = usage.replace("\\|", "|").replace(['[', ']'], " ");
        let mut words = usage.split_whitespace().peekable();
        let name = words.next().expect("a command name").to_string();
        let mut flags = Vec::new();
        while let Some(word) = words.next() {
            let Some(flag) = word.strip_prefix('-') else {
                continue;
            };
            let (short, long) = match flag.split_once("/--") {
                Some((short, long)) => (short.chars().next(), long),
                None => match flag.strip_prefix('-') {
                    Some(long) => (None, long),
                    None => {
                        panic!("the README's `{name}` row writes -{flag}: write it -{flag}/--LONG")
                    }
                },
            };
            let value = words
                .next_if(|w| !w.starts_with('-') && *w != "...")
                .map(str::to_string);
            flags.push(ReadmeFlag {
                short,
                long: long.to_string(),
                value,
            });
        }
        commands.push((name, flags));
    }
    commands
}

#[test]
fn the_readme_command_table_matches_every_commands_flags() {
    use clap::CommandFactory;
    let cli = casebook::cli::Cli::command();
    let readme = readme_commands();
    let names: Vec<&str> = readme.iter().map(|(n, _)| n.as_str()).collect();
    let commands: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
    let mut sorted = (names.clone(), commands.clone());
    sorted.0.sort_unstable();
    sorted.1.sort_unstable();
    assert_eq!(sorted.0, sorted.1, "one README row per command");

    for (name, flags) in &readme {
        let command = cli.find_subcommand(name).expect("a command");
        let args: Vec<&clap::Arg> = command
            .get_arguments()
            .filter(|a| !a.is_positional() && !a.is_hide_set())
            .collect();
        for flag in flags {
            let arg = args
                .iter()
                .find(|a| a.get_long() == Some(flag.long.as_str()))
                .unwrap_or_else(|| panic!("`casebook {name}` has no --{}", flag.long));
            assert_eq!(
                flag.short,
                arg.get_short(),
                "`casebook {name} --{}`: the README's short form",
                flag.long
            );
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .map(|v| v.get_name().to_string())
                .collect();
            match &flag.value {
                Some(value) if value.chars().any(|c| c.is_ascii_lowercase()) => {
                    let listed: Vec<&str> = value.split('|').collect();
                    assert_eq!(listed, values, "`casebook {name} --{}`'s values", flag.long);
                }
                Some(_) => assert!(arg.get_action().takes_values(), "--{}", flag.long),
                None => assert!(
                    !arg.get_action().takes_values(),
                    "--{} takes a value",
                    flag.long
                ),
            }
        }
        for arg in &args {
            let long = arg.get_long().expect("a long name");
            assert!(
                flags.iter().any(|f| f.long == long),
                "the README's `casebook {name}` row lacks --{long}"
            );
        }
    }

    let readme_text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("README.md");
    let every = readme_text
        .split("Every command takes ")
        .nth(1)
        .expect("the README names the options every command takes");
    let every = every.split(". ").next().unwrap_or_default();
    for arg in cli.get_arguments().filter(|a| a.is_global_set()) {
        let long = format!("--{}", arg.get_long().expect("a long name"));
        let spelled = match arg.get_short() {
            Some(short) => format!("`-{short}/{long}"),
            None => format!("`{long}"),
        };
        assert!(every.contains(&spelled), "{spelled} in: {every}");
    }
}
