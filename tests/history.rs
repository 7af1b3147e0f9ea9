//! What git knows about the records: the real binary on repositories made here with
//! `git`, with known commits, authors and dates (docs/history.md).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{casebook, SITE_TOML};
use serde_json::Value;

/// Runs `git` in `dir` with a fixed author, committer and date.
fn git(dir: &Path, args: &[&str], author: (&str, &str), date: &str) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", author.0)
        .env("GIT_AUTHOR_EMAIL", author.1)
        .env("GIT_COMMITTER_NAME", author.0)
        .env("GIT_COMMITTER_EMAIL", author.1)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const ANA: (&str, &str) = ("Ana", "ana@old.example");
const BO: (&str, &str) = ("Bo", "bo@example.com");
const CY: (&str, &str) = ("Cy", "cy@example.com");

fn record(review: &str, item: &str) -> String {
    format!(
        "---\nid: INC-1\ntitle: Pool ran dry\ndate: 2024-03-01\nseverity: SEV2\nstatus: resolved\n\
         resolved: 2024-03-01T12:00:00Z\nreview: {review}\nvisibility: public\naction_items:\n  \
         - id: AI-1\n    title: Raise the pool\n    owner: ana\n    priority: P1\n    due: 2024-04-01\n    status: {item}\n---\n\n\
         ## Summary\n\nIt broke.\n\n## Root cause\n\nA bug.\n"
    )
}

/// A repository whose archive is in `docs/`: INC-1 added by Ana (who is "Ana
/// Lima" in the .mailmap), renamed by Bo, approved and its item closed in a branch
/// by Cy, merged by Bo.
fn repository() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path();
    let archive = repo.join("docs");
    let write = |rel: &str, text: &str| {
        let path = archive.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    git(
        repo,
        &["init", "-q", "-b", "main"],
        ANA,
        "2024-03-02T10:00:00Z",
    );
    std::fs::write(
        repo.join(".mailmap"),
        "Ana Lima <ana@example.com> <ana@old.example>\n",
    )
    .unwrap();
    write(
        "site.toml",
        &format!("repository_url = \"https://github.com/acme/incidents\"\n{SITE_TOML}"),
    );
    write("content/incidents/pool.md", &record("draft", "open"));
    git(repo, &["add", "-A"], ANA, "2024-03-02T10:00:00Z");
    git(
        repo,
        &["commit", "-q", "-m", "add"],
        ANA,
        "2024-03-02T10:00:00Z",
    );
    git(
        repo,
        &[
            "mv",
            "docs/content/incidents/pool.md",
            "docs/content/incidents/2024-03-01-pool.md",
        ],
        BO,
        "2024-03-05T10:00:00Z",
    );
    git(
        repo,
        &["commit", "-q", "-m", "rename"],
        BO,
        "2024-03-05T10:00:00Z",
    );
    git(
        repo,
        &["checkout", "-q", "-b", "review"],
        CY,
        "2024-03-06T10:00:00Z",
    );
    write(
        "content/incidents/2024-03-01-pool.md",
        &record("approved", "open"),
    );
    git(
        repo,
        &["commit", "-q", "-am", "approve"],
        CY,
        "2024-03-10T10:00:00Z",
    );
    write(
        "content/incidents/2024-03-01-pool.md",
        &record("approved", "done"),
    );
    git(
        repo,
        &["commit", "-q", "-am", "close"],
        CY,
        "2024-03-20T10:00:00Z",
    );
    git(
        repo,
        &["checkout", "-q", "main"],
        BO,
        "2024-03-21T10:00:00Z",
    );
    write("content/pages/about.md", "---\ntitle: About\n---\n\nHi.\n");
    git(repo, &["add", "-A"], BO, "2024-03-21T10:00:00Z");
    git(
        repo,
        &["commit", "-q", "-m", "about"],
        BO,
        "2024-03-21T10:00:00Z",
    );
    git(
        repo,
        &["merge", "-q", "--no-ff", "-m", "merge", "review"],
        BO,
        "2024-03-22T10:00:00Z",
    );
    (dir, archive)
}

fn build(root: &Path) -> (std::process::Output, PathBuf) {
    let out_dir = root.join("public");
    let out = casebook()
        .arg("--root")
        .arg(root)
        .args(["build", "--today", "2024-06-01", "--output"])
        .arg(&out_dir)
        .output()
        .expect("run casebook");
    (out, out_dir)
}

/// Builds the archive at `root`, which must succeed; returns the output folder.
fn built(root: &Path) -> PathBuf {
    let (out, out_dir) = build(root);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out_dir
}

fn incidents_json(out_dir: &Path) -> String {
    std::fs::read_to_string(out_dir.join("incidents.json")).unwrap()
}

fn incident(out_dir: &Path) -> Value {
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("incidents.json")).unwrap())
            .unwrap();
    json["incidents"][0].clone()
}

#[test]
fn dates_people_renames_merges_and_follow_through_come_from_git() {
    let (_dir, archive) = repository();
    let out_dir = built(&archive);
    let git = &incident(&out_dir)["git"];
    // First committed before the rename, by Ana under her .mailmap name.
    assert_eq!(git["first_committed"]["date"], "2024-03-02");
    assert_eq!(git["first_committed"]["author"], "Ana Lima");
    // The merge equals its second parent's file, so the last change is Cy's.
    assert_eq!(git["last_changed"]["date"], "2024-03-20");
    assert_eq!(git["last_changed"]["author"], "Cy");
    assert_eq!(
        git["contributors"],
        serde_json::json!(["Ana Lima", "Bo", "Cy"])
    );
    assert_eq!(git["contributors_complete"], true);
    assert_eq!(git["approved"]["date"], "2024-03-10");
    assert_eq!(git["days_to_approval"], 9);
    assert_eq!(git["path"], "docs/content/incidents/2024-03-01-pool.md");
    assert_eq!(
        git["edit_url"],
        "https://github.com/acme/incidents/edit/main/docs/content/incidents/2024-03-01-pool.md"
    );
    assert_eq!(
        incident(&out_dir)["action_items"][0]["closed"],
        "2024-03-20"
    );
    let page = std::fs::read_to_string(out_dir.join("incidents/INC-1/index.html")).unwrap();
    assert!(page.contains("Ana Lima, Bo, Cy"), "{page}");
    assert!(page.contains("commits/main/docs/content/incidents/2024-03-01-pool.md"));
    let home = std::fs::read_to_string(out_dir.join("index.html")).unwrap();
    assert!(home.contains("Recently updated"));
}

#[test]
fn a_shallow_clone_says_unknown_and_warns_once_with_the_fix() {
    let (dir, _archive) = repository();
    let clone = dir.path().join("clone");
    let url = format!("file://{}", dir.path().display());
    git(
        dir.path(),
        &["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()],
        BO,
        "2024-03-23T10:00:00Z",
    );
    let (out, out_dir) = build(&clone.join("docs"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.matches("shallow clone").count(), 1, "{stderr}");
    assert!(stderr.contains("git fetch --unshallow") && stderr.contains("fetch-depth: 0"));
    // `check` says it too, so a CI job learns of it from its first step.
    let check = casebook()
        .arg("--root")
        .arg(clone.join("docs"))
        .args(["check", "--today", "2024-06-01"])
        .output()
        .expect("run casebook");
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "{stderr}");
    assert_eq!(stderr.matches("CB0301").count(), 1, "{stderr}");
    let git = &incident(&out_dir)["git"];
    assert_eq!(git["first_committed"]["date"], "unknown");
    assert_eq!(git["approved"]["date"], "unknown");
    assert_eq!(git["contributors_complete"], false);
    assert_eq!(incident(&out_dir)["action_items"][0]["closed"], "unknown");
}

#[test]
fn outside_a_repository_nothing_changes_and_a_broken_git_only_warns() {
    let (dir, archive) = repository();
    let (with_git, _) = build(&archive);
    assert!(with_git.status.success());
    // The same files without .git: no git facts at all.
    std::fs::rename(dir.path().join(".git"), dir.path().join("dot-git")).unwrap();
    let (plain, out_dir) = build(&archive);
    assert!(plain.status.success());
    assert!(String::from_utf8_lossy(&plain.stderr).find("git").is_none());
    assert!(incident(&out_dir).get("git").is_none());
    let page = std::fs::read_to_string(out_dir.join("incidents/INC-1/index.html")).unwrap();
    assert!(!page.contains("First committed"));
    // A .git that is not a repository: a warning, and the site is still built.
    std::fs::write(dir.path().join(".git"), "gitdir: /nowhere\n").unwrap();
    let (broken, out_dir) = build(&archive);
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(broken.status.success(), "{stderr}");
    assert!(
        stderr.contains("CB0302") && stderr.contains("cannot be read"),
        "{stderr}"
    );
    assert!(incident(&out_dir).get("git").is_none());
}

#[test]
fn an_ignore_revs_file_leaves_reformatting_out_of_last_changed() {
    let (dir, archive) = repository();
    let path = archive.join("content/incidents/2024-03-01-pool.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("It broke.", "It  broke.")).unwrap();
    git(
        dir.path(),
        &["commit", "-q", "-am", "reformat"],
        BO,
        "2024-04-01T10:00:00Z",
    );
    let head = Command::new("git")
        .current_dir(dir.path())
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    let head = String::from_utf8(head.stdout).unwrap();
    std::fs::write(
        archive.join(".git-blame-ignore-revs"),
        format!("# reformat\n{head}"),
    )
    .unwrap();
    let toml = std::fs::read_to_string(archive.join("site.toml")).unwrap();
    std::fs::write(
        archive.join("site.toml"),
        format!("ignore_revs_file = \".git-blame-ignore-revs\"\n{toml}"),
    )
    .unwrap();
    let out_dir = built(&archive);
    assert_eq!(
        incident(&out_dir)["git"]["last_changed"]["date"],
        "2024-03-20"
    );
}

#[test]
fn serve_marks_a_record_modified_now_until_it_is_committed() {
    let (dir, archive) = repository();
    let server = common::server::Server::start(&archive, &["--today", "2024-06-01"]);
    let page = |s: &common::server::Server| s.get("/incidents/INC-1/").body;
    assert!(page(&server).contains("First committed"));
    assert!(!page(&server).contains("modified, not committed yet"));
    let path = archive.join("content/incidents/2024-03-01-pool.md");
    let text = std::fs::read_to_string(&path).unwrap();
    server.change(|| std::fs::write(&path, text.replace("It broke.", "It broke badly.")).unwrap());
    assert!(page(&server).contains("modified, not committed yet"));
    // A commit alone moves HEAD: serve rebuilds, reads history again, and the edit
    // is committed.
    server.change(|| {
        git(
            dir.path(),
            &["commit", "-q", "-am", "edit"],
            BO,
            "2024-05-01T10:00:00Z",
        )
    });
    let after = page(&server);
    assert!(!after.contains("modified, not committed yet"), "{after}");
    assert!(after.contains("2024-05-01"), "{after}");
}

/// The repository of [`repository`] with 58 more records, ten of them approved one
/// a day and one edited after its approval: enough records that git stores each
/// version of the folder's tree as a delta of another, which the walk applies
/// itself (src/history/delta.rs).
fn many_records() -> (tempfile::TempDir, PathBuf) {
    let (dir, archive) = repository();
    let incidents = archive.join("content/incidents");
    let numbered =
        |n: usize, review: &str| record(review, "open").replace("INC-1", &format!("INC-{n}"));
    for n in 2..60 {
        std::fs::write(
            incidents.join(format!("2024-02-{:02}-r{n}.md", n % 28 + 1)),
            numbered(n, "draft"),
        )
        .unwrap();
    }
    git(dir.path(), &["add", "-A"], ANA, "2024-04-01T10:00:00Z");
    git(
        dir.path(),
        &["commit", "-q", "-m", "many"],
        ANA,
        "2024-04-01T10:00:00Z",
    );
    for n in 2..12 {
        let name = format!("2024-02-{:02}-r{n}.md", n % 28 + 1);
        std::fs::write(incidents.join(name), numbered(n, "approved")).unwrap();
        let day = format!("2024-04-{n:02}T10:00:00Z");
        git(dir.path(), &["commit", "-q", "-am", "approve"], BO, &day);
    }
    // Edited after its approval: the approval is found only by reading the version
    // before the newest from the pack.
    let r2 = incidents.join("2024-02-03-r2.md");
    let edited = numbered(2, "approved").replace("It broke.", "It broke twice.");
    std::fs::write(&r2, edited).unwrap();
    git(
        dir.path(),
        &["commit", "-q", "-am", "edit"],
        BO,
        "2024-04-20T10:00:00Z",
    );
    (dir, archive)
}

#[test]
fn a_packed_history_reads_as_the_loose_one() {
    let (dir, archive) = many_records();
    let out_dir = built(&archive);
    let loose = incidents_json(&out_dir);
    git(
        dir.path(),
        &[
            "repack",
            "-a",
            "-d",
            "-f",
            "-q",
            "--depth=50",
            "--window=50",
        ],
        BO,
        "2024-05-01T10:00:00Z",
    );
    git(dir.path(), &["prune-packed"], BO, "2024-05-01T10:00:00Z");
    let out_dir = built(&archive);
    assert_eq!(incidents_json(&out_dir), loose);
    assert!(
        loose.contains("\"approved\":{\"date\":\"2024-04-05\""),
        "{loose}"
    );
    assert!(
        loose.contains("\"approved\":{\"date\":\"2024-04-02\""),
        "{loose}"
    );
}

#[test]
fn an_older_version_counts_by_its_review_and_action_items_alone() {
    // Each record is approved, with its item done, in a version whose `date` is
    // broken, and the date is fixed a commit later. That version still says what
    // its review was. INC-3's entries use an anchor set in `extra`, so they are
    // read from the whole front matter; INC-2's are read on their own.
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path();
    git(
        repo,
        &["init", "-q", "-b", "main"],
        ANA,
        "2024-03-02T10:00:00Z",
    );
    std::fs::write(repo.join("site.toml"), SITE_TOML).unwrap();
    let incidents = repo.join("content/incidents");
    std::fs::create_dir_all(&incidents).unwrap();
    let versions = |id: &str, review: &str, item: &str, date: &str| {
        let text = record(review, item)
            .replace("INC-1", id)
            .replace("date: 2024-03-01\n", &format!("date: {date}\n"));
        if id == "INC-3" {
            text.replace(
                "visibility: public\n",
                "visibility: public\nextra:\n  state: &closed done\n",
            )
            .replace("    status: done\n", "    status: *closed\n")
        } else {
            text
        }
    };
    let commit = |review: &str, item: &str, date: &str, day: &str| {
        for id in ["INC-2", "INC-3"] {
            std::fs::write(
                incidents.join(format!("{id}.md")),
                versions(id, review, item, date),
            )
            .unwrap();
        }
        git(repo, &["add", "-A"], ANA, day);
        git(repo, &["commit", "-q", "-m", "edit"], ANA, day);
    };
    commit("draft", "open", "2024-03-01", "2024-03-02T10:00:00Z");
    commit("approved", "done", "March 1st", "2024-03-05T10:00:00Z");
    commit("approved", "done", "2024-03-01", "2024-03-09T10:00:00Z");
    let out_dir = built(repo);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("incidents.json")).unwrap())
            .unwrap();
    let incidents = json["incidents"].as_array().expect("incidents");
    assert_eq!(incidents.len(), 2);
    for incident in incidents {
        assert_eq!(
            incident["git"]["approved"]["date"], "2024-03-05",
            "{incident}"
        );
        assert_eq!(
            incident["action_items"][0]["closed"], "2024-03-05",
            "{incident}"
        );
    }
}

#[test]
fn a_history_packed_oldest_first_reads_as_the_loose_one() {
    // `git fast-import` stores each tree as a delta of the version before it, the
    // other way round from `git repack`: the walk reads both orders.
    let (dir, archive) = many_records();
    let out_dir = built(&archive);
    let loose = incidents_json(&out_dir);
    let exported = Command::new("git")
        .current_dir(dir.path())
        .args(["fast-export", "--all"])
        .output()
        .expect("git fast-export");
    assert!(exported.status.success());
    let copy = tempfile::tempdir().expect("temp dir");
    git(
        copy.path(),
        &["init", "-q", "-b", "main"],
        BO,
        "2024-05-01T10:00:00Z",
    );
    let mut import = Command::new("git")
        .current_dir(copy.path())
        .args(["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("git fast-import");
    use std::io::Write;
    import
        .stdin
        .take()
        .expect("stdin")
        .write_all(&exported.stdout)
        .expect("feed fast-import");
    assert!(import.wait().expect("fast-import").success());
    git(
        copy.path(),
        &["reset", "-q", "--hard", "main"],
        BO,
        "2024-05-01T10:00:00Z",
    );
    let packs = std::fs::read_dir(copy.path().join(".git/objects/pack"))
        .expect("packs")
        .count();
    assert!(packs > 0, "fast-import wrote no pack");
    let out_dir = built(&copy.path().join("docs"));
    assert_eq!(incidents_json(&out_dir), loose);
}
