//! What a build publishes, per profile (the "What a build publishes" section of the
//! record contract): the internal profile publishes every record and marks the
//! ones not approved; the public profile publishes approved public records only and
//! nothing of the others reaches any output file; `check`, `actions` and `stats`
//! cover the same records as a build of the same profile; a build names what it
//! left out and why; files that look like records but are not read get a finding.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::server::Server;
use common::site::{files, html, sel, texts};
use common::{casebook, TestArchive};

/// The day every run is judged on: the action items below are overdue by then.
const TODAY: &str = "2025-03-01";

/// A record with an overdue action item, the services and tags the others share
/// (so similarity would pair them) and `extra` front matter.
fn record(id: &str, date: &str, title: &str, extra: &str, body: &str) -> String {
    format!(
        "---\nid: {id}\ntitle: {title}\ndate: {date}\nseverity: SEV2\nstatus: investigating\n\
         {extra}services: [payments]\ntags: [database, pool]\n\
         action_items:\n  - id: AI-1\n    title: Fix the pool for {id}\n    owner: dba\n    due: 2025-02-01\n\
         ---\n\n## Summary\n\nThe payments database connection pool ran dry under load. {body}\n\n\
         ## Root cause\n\nA connection leak in the payments pool.\n"
    )
}

/// The unapproved and internal records, each with a word found nowhere else.
const HIDDEN: [(&str, &str, &str); 4] = [
    (
        "DRAFT-1",
        "zebracorn",
        "review: draft\nvisibility: public\n",
    ),
    (
        "REVIEW-1",
        "quokkaline",
        "review: in-review\nvisibility: public\n",
    ),
    ("NOREVIEW-1", "axolotry", "visibility: public\n"),
    (
        "INTERNAL-1",
        "narwhalish",
        "review: approved\nvisibility: internal\n",
    ),
];

/// One approved public record that names every other in `related`, and the four
/// records of [`HIDDEN`], each of which mentions the public one (a backlink).
fn archive() -> TestArchive {
    let archive = TestArchive::new();
    let ids: Vec<&str> = HIDDEN.iter().map(|(id, _, _)| *id).collect();
    archive.record(
        "public.md",
        record(
            "PUBLIC-1",
            "2025-01-10",
            "Payments pool exhausted",
            &format!(
                "review: approved\nvisibility: public\nrelated: [{}]\n",
                ids.join(", ")
            ),
            "",
        ),
    );
    for (n, (id, word, extra)) in HIDDEN.iter().enumerate() {
        archive.record(
            &format!("{}.md", id.to_lowercase()),
            record(
                id,
                &format!("2025-01-1{}", n + 1),
                &format!("Payments pool {word}"),
                extra,
                &format!("The same as PUBLIC-1, with {word} this time."),
            ),
        );
    }
    archive
}

fn build(root: &Path, args: &[&str]) -> (tempfile::TempDir, PathBuf, Output) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("site");
    let output = casebook()
        .arg("--root")
        .arg(root)
        .arg("build")
        .arg("--output")
        .arg(&out)
        .args(["--today", TODAY])
        .args(args)
        .output()
        .expect("run casebook build");
    assert!(
        output.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (tmp, out, output)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every output file's text, the search index's gzip files inflated, lower-cased.
fn output_texts(dir: &Path) -> Vec<(String, String)> {
    files(dir)
        .into_iter()
        .map(|(path, bytes)| {
            let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
                let mut out = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out)
                    .expect("gzip");
                out
            } else {
                bytes
            };
            (path, String::from_utf8_lossy(&bytes).to_lowercase())
        })
        .collect()
}

#[test]
fn the_internal_profile_publishes_every_record_and_marks_the_unapproved() {
    let archive = archive();
    let (_tmp, out, output) = build(archive.root(), &[]);
    let said = stderr(&output);
    assert!(
        said.contains("built all 5 records (internal profile)")
            && said.contains("3 are not approved yet and are marked so on their pages"),
        "{said}"
    );
    assert!(!said.contains("left out"), "{said}");

    // Each page, with its review state in words.
    for (id, notice) in [
        ("PUBLIC-1", None),
        ("DRAFT-1", Some("Draft")),
        ("REVIEW-1", Some("In review")),
        ("NOREVIEW-1", Some("Draft")),
        ("INTERNAL-1", None),
    ] {
        let page = html(&out, &format!("incidents/{id}/index.html"));
        let shown = texts(&page, ".review-notice strong");
        match notice {
            Some(label) => assert_eq!(shown, [format!("{label}:")], "{id}"),
            None => assert!(shown.is_empty(), "{id}: {shown:?}"),
        }
        let badge = texts(&page, ".badges .review");
        assert_eq!(badge, [notice.unwrap_or("Approved")], "{id}");
    }

    // Rows in lists: the home page, the incident index, a service's page, and the
    // related, backlinks and similar lists of a record.
    for list in [
        "index.html",
        "incidents/index.html",
        "services/payments/index.html",
    ] {
        let doc = html(&out, list);
        let mut marked: Vec<String> = doc
            .select(&sel("tbody tr"))
            .filter_map(|row| {
                let label = row.select(&sel(".review-unapproved")).next()?;
                let id = row.select(&sel(".id")).next()?;
                Some(format!(
                    "{} {}",
                    id.text().collect::<String>(),
                    label.text().collect::<String>()
                ))
            })
            .collect();
        marked.sort();
        assert_eq!(
            marked,
            ["DRAFT-1 Draft", "NOREVIEW-1 Draft", "REVIEW-1 In review"],
            "{list}"
        );
    }
    let public = html(&out, "incidents/PUBLIC-1/index.html");
    let mut related = texts(&public, "#s-related .review-unapproved");
    related.sort();
    assert_eq!(
        related,
        ["Draft", "Draft", "In review"],
        "related: {related:?}"
    );
    assert_eq!(texts(&public, "#s-backlinks .review-unapproved").len(), 3);
    let actions = html(&out, "actions/index.html");
    assert!(
        texts(&actions, "tbody .review-unapproved").contains(&"Draft".to_string()),
        "the action items page marks a draft's items"
    );

    // The feed and the search results say so too.
    let feed = std::fs::read_to_string(out.join("feed.xml")).expect("feed");
    assert!(feed.contains("<title>[Draft] DRAFT-1: "), "{feed}");
    assert!(feed.contains("<title>[In review] REVIEW-1: "), "{feed}");
    assert!(feed.contains("<title>PUBLIC-1: "), "{feed}");
    let search: String = output_texts(&out)
        .into_iter()
        .filter(|(path, _)| path.starts_with("search/"))
        .map(|(_, text)| text)
        .collect();
    assert_eq!(
        search.matches("\"review\":\"draft\"").count(),
        2,
        "{search}"
    );
    assert_eq!(search.matches("\"review\":\"in review\"").count(), 1);
    // Approved records carry no review field: the download grows only for drafts.
    assert_eq!(search.matches("\"review\"").count(), 3);
}

#[test]
fn a_public_build_has_nothing_of_an_unapproved_or_internal_record() {
    let archive = archive();
    let (_tmp, out, output) = build(archive.root(), &["--profile", "public"]);
    let said = stderr(&output);
    for line in [
        "built 1 of 5 records (public profile: approved public records only)",
        "left out 4 records:",
        "  internal (visibility: internal): INTERNAL-1",
        "  drafts (review: draft, or no review): NOREVIEW-1, DRAFT-1",
        "  in review (review: in-review): REVIEW-1",
        "  see them all: `casebook build --profile internal` publishes every record, drafts marked",
    ] {
        assert!(said.contains(line), "missing `{line}` in:\n{said}");
    }
    assert!(out.join("incidents/PUBLIC-1/index.html").is_file());
    for (path, text) in output_texts(&out) {
        for (id, word, _) in HIDDEN {
            assert!(
                !text.contains(&id.to_lowercase()),
                "{path} names the left-out record {id}"
            );
            assert!(!text.contains(word), "{path} has the words of {id}");
        }
    }
    // Counts: one incident, one overdue item, everywhere.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("incidents.json")).expect("json"))
            .expect("JSON");
    assert_eq!(json["incidents"].as_array().map(Vec::len), Some(1));
    assert_eq!(json["insights"]["totals"]["incidents"], 1);
    assert_eq!(json["insights"]["totals"]["overdue"], 1);
    let home = html(&out, "index.html");
    assert_eq!(texts(&home, ".card-alert .big"), ["1"]);

    // The same archive built for the internal profile has every marker somewhere,
    // so the absence above is not an accident of how the files are stored.
    let (_tmp2, internal, _) = build(archive.root(), &[]);
    let all = output_texts(&internal);
    for (id, word, _) in HIDDEN {
        let search = |needle: &str| {
            all.iter()
                .any(|(path, text)| path.starts_with("search/") && text.contains(needle))
        };
        assert!(search(&id.to_lowercase()), "the internal index lacks {id}");
        assert!(
            all.iter().any(|(_, text)| text.contains(word)),
            "the internal site lacks {word}"
        );
    }
}

#[test]
fn many_left_out_records_are_counted_with_how_to_see_them() {
    let archive = TestArchive::new();
    archive.record(
        "ok.md",
        record(
            "OK-1",
            "2025-01-01",
            "Fine",
            "review: approved\nvisibility: public\n",
            "",
        ),
    );
    for n in 1..=6 {
        archive.record(
            &format!("d{n}.md"),
            record(
                &format!("D-{n}"),
                "2025-01-02",
                "Draft",
                "visibility: public\n",
                "",
            ),
        );
    }
    let (_tmp, _out, output) = build(archive.root(), &["--profile", "public"]);
    let said = stderr(&output);
    assert!(said.contains("built 1 of 7 records"), "{said}");
    assert!(said.contains("left out 6 records:"), "{said}");
    assert!(
        said.contains("  drafts (review: draft, or no review): 6 records\n"),
        "{said}"
    );
    assert!(!said.contains("D-1"), "ids are counted, not listed: {said}");
    assert!(
        said.contains("`casebook build --profile internal`"),
        "{said}"
    );
}

/// Runs `casebook ARGS... --today TODAY` on `archive`.
fn run(archive: &TestArchive, args: &[&str]) -> Output {
    let mut all = args.to_vec();
    all.extend(["--today", TODAY]);
    archive.run(&all)
}

/// The ids of the records whose items `actions --overdue --format json` lists.
fn overdue_in(output: &Output) -> Vec<String> {
    let items: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON list");
    let mut ids: Vec<String> = items
        .as_array()
        .expect("array")
        .iter()
        .map(|i| i["incident"].as_str().expect("incident").to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn check_actions_and_stats_agree_on_overdue_items_per_profile() {
    let archive = archive();
    for (profile, expected) in [
        (
            "internal",
            vec![
                "DRAFT-1",
                "INTERNAL-1",
                "NOREVIEW-1",
                "PUBLIC-1",
                "REVIEW-1",
            ],
        ),
        ("public", vec!["PUBLIC-1"]),
    ] {
        let checked = archive.check(&["--profile", profile, "--today", TODAY]);
        let mut warned: Vec<String> = checked
            .of("overdue-action-item")
            .iter()
            .map(|f| {
                let file = f.file.as_deref().expect("a file");
                archive.read(file).lines().nth(1).unwrap_or_default()[4..].to_string()
            })
            .collect();
        warned.sort();
        assert_eq!(warned, expected, "check --profile {profile}");

        let listed = run(
            &archive,
            &[
                "actions",
                "--overdue",
                "--format",
                "json",
                "--fail-on",
                "overdue",
                "--profile",
                profile,
            ],
        );
        assert_eq!(listed.status.code(), Some(1), "{}", stderr(&listed));
        assert_eq!(overdue_in(&listed), expected, "actions --profile {profile}");

        let stats = run(
            &archive,
            &["stats", "--format", "json", "--profile", profile],
        );
        let figures: serde_json::Value = serde_json::from_slice(&stats.stdout).expect("JSON");
        assert_eq!(
            figures["totals"]["overdue"],
            expected.len(),
            "stats --profile {profile}"
        );
    }
    // check names what --profile public did not show.
    let human = run(&archive, &["check", "--profile", "public"]);
    assert!(
        stderr(&human)
            .contains("note: 4 warnings about records the public profile leaves out are not shown"),
        "{}",
        stderr(&human)
    );
}

/// The case from the issue: a new archive's only record is a draft (as `casebook
/// new` writes it) with an overdue item. The site shows it, and the CI nag fails.
#[test]
fn an_overdue_item_in_a_draft_fails_the_nag_and_is_on_the_site() {
    let archive = TestArchive::new();
    archive.record("draft.md", record("NEW-1", "2025-01-10", "New", "", ""));
    let nag = run(&archive, &["actions", "--overdue", "--fail-on", "overdue"]);
    assert_eq!(nag.status.code(), Some(1), "{}", stderr(&nag));
    assert!(
        stderr(&nag).contains("1 action item listed, 1 overdue"),
        "{}",
        stderr(&nag)
    );
    let (_tmp, out, output) = build(archive.root(), &[]);
    assert!(stderr(&output).contains("built all 1 record (internal profile)"));
    let home = html(&out, "index.html");
    assert_eq!(texts(&home, "tbody tr .id"), ["NEW-1"]);
}

#[test]
fn drafts_flag_is_accepted_hidden_and_noted() {
    let archive = archive();
    let (_tmp, out, output) = build(archive.root(), &["--drafts"]);
    assert!(
        stderr(&output).contains("note: --drafts is deprecated and changes nothing"),
        "{}",
        stderr(&output)
    );
    assert!(out.join("incidents/DRAFT-1/index.html").is_file());
    let listed = run(
        &archive,
        &[
            "actions",
            "--drafts",
            "--profile",
            "public",
            "--format",
            "json",
        ],
    );
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    assert_eq!(overdue_in(&listed), ["PUBLIC-1"]);
    let help = archive.run(&["build", "--help"]);
    assert!(!String::from_utf8_lossy(&help.stdout).contains("--drafts"));
}

#[test]
fn files_that_look_like_records_but_are_skipped_get_a_warning() {
    let archive = TestArchive::new();
    let body = record("A-1", "2025-01-10", "A", "", "");
    for name in [
        "a.markdown",
        "b.MD",
        "c.Markdown",
        "d.YML",
        "_kept.markdown",
        "notes.txt",
    ] {
        archive.record(name, &body);
    }
    archive.write("content/incident/x.md", &body);
    archive.write("content/Incidents/y.md", &body);
    archive.write(
        "content/pages/about.md",
        "---\ntitle: About\n---\nWho we are.\n",
    );
    archive.write("content/incidents-2019/z.md", &body);
    let checked = archive.check(&[]);
    assert_eq!(checked.code, 0, "warnings only:\n{checked}");
    let mut skipped: Vec<(String, String)> = checked
        .of("skipped-file")
        .iter()
        .map(|f| {
            assert_eq!(f.level, "warning");
            assert_eq!(f.code, "CB0208");
            (
                f.file.clone().expect("a file"),
                f.help.clone().unwrap_or_default(),
            )
        })
        .collect();
    skipped.sort();
    let files: Vec<&str> = skipped.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        files,
        [
            "content/Incidents",
            "content/incident",
            "content/incidents/a.markdown",
            "content/incidents/b.MD",
            "content/incidents/c.Markdown",
            "content/incidents/d.YML",
        ],
        "{checked}"
    );
    assert!(
        skipped[2]
            .1
            .contains("rename it to `content/incidents/a.md`"),
        "{checked}"
    );
    assert!(
        skipped[5].1.contains("`content/incidents/d.yml`"),
        "{checked}"
    );
    assert!(skipped[1]
        .1
        .contains("move its records into `content/incidents/`"));

    // The rule can be turned off like any other.
    archive.write(
        "site.toml",
        format!("{}\n[rules]\nskipped-file = \"off\"\n", common::SITE_TOML),
    );
    assert!(archive.check(&[]).of("skipped-file").is_empty());
}

/// `casebook serve` publishes what `build` does for its profile and names what it
/// left out on its first build.
#[test]
fn serve_publishes_per_profile_and_names_what_it_left_out() {
    let archive = archive();
    let server = Server::start(archive.root(), &["--today", TODAY, "--profile", "public"]);
    assert_eq!(server.get("/incidents/PUBLIC-1/").status, 200);
    assert_eq!(server.get("/incidents/DRAFT-1/").status, 404);
    let said = server.stderr_once_it_says("1 record published (public profile)");
    assert!(said.contains("left out 4 records:"), "{said}");
    assert!(
        said.contains("  in review (review: in-review): REVIEW-1"),
        "{said}"
    );
    drop(server);

    let server = Server::start(archive.root(), &["--today", TODAY]);
    let draft = server.get("/incidents/DRAFT-1/");
    assert_eq!(draft.status, 200);
    assert!(
        draft.body.contains("<strong>Draft:</strong>"),
        "{}",
        draft.body
    );
    assert!(!server.stderr().contains("left out"), "{}", server.stderr());
}
