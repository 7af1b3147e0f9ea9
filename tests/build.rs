//! `casebook build`: the real binary builds real archives into temporary folders,
//! and the tests read the result with an HTML parser.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::site::{assert_links_resolve, files, html, sel, texts};
use common::{casebook, TestArchive};

/// The demo archive at the repository root.
fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture archive under tests/fixtures/build/.
fn fixture(name: &str) -> PathBuf {
    demo().join("tests/fixtures/build").join(name)
}

/// The day the demo archive is judged on.
const TODAY: &str = "2026-10-31";

/// Runs `casebook --root ROOT build --output OUT --today TODAY ARGS...`.
fn build(root: &Path, out: &Path, args: &[&str]) -> Output {
    casebook()
        .arg("--root")
        .arg(root)
        .arg("build")
        .arg("--output")
        .arg(out)
        .args(["--today", TODAY])
        .args(args)
        .output()
        .expect("run casebook build")
}

fn assert_ok(output: &Output) {
    assert!(
        output.status.success(),
        "build failed ({:?}):\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn built(root: &Path, args: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("site");
    assert_ok(&build(root, &out, args));
    (tmp, out)
}

/// A folder's files and bytes, to compare before and after a refused run.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files(dir)
}

#[test]
fn the_demo_archive_has_every_page() {
    let (_tmp, out) = built(&demo(), &[]);
    for page in [
        "index.html",
        "404.html",
        "incidents/index.html",
        "incidents/INC-2024-0918/index.html",
        "incidents/INC-2024-1127/index.html",
        "incidents/INC-2024-1127/pool-usage.svg",
        "incidents/INC-2024-1127/error.log",
        "incidents/INC-2026-0110/index.html",
        "actions/index.html",
        "actions/overdue/index.html",
        "actions/done/index.html",
        "actions/owner-backend-team/index.html",
        "severity/index.html",
        "severity/sev1/index.html",
        "services/index.html",
        "services/users-db/index.html",
        "tags/index.html",
        "tags/connection-pool/index.html",
        "years/index.html",
        "years/2024/index.html",
        "status/index.html",
        "status/resolved/index.html",
        "about/index.html",
        "feed.xml",
        "sitemap.xml",
        "incidents.json",
        "action-items.csv",
        "style.css",
        "highlight.css",
        "sort.js",
        ".casebook-output",
    ] {
        assert!(out.join(page).is_file(), "missing {page}");
    }
    // The default (internal) profile publishes the draft and the record in review.
    assert!(out.join("incidents/INC-2026-1029/index.html").is_file());
    assert!(out.join("incidents/INC-2026-0823/index.html").is_file());
}

#[test]
fn a_record_page_shows_the_record() {
    let (_tmp, out) = built(&demo(), &[]);
    let doc = html(&out, "incidents/INC-2024-0918/index.html");
    assert_eq!(texts(&doc, "h1"), ["Database connection pool exhaustion"]);
    assert_eq!(texts(&doc, ".badges .sev"), ["SEV1"]);
    let figures = texts(&doc, ".figures div");
    assert!(
        figures.contains(&"Time to detect 13 min".to_string()),
        "{figures:?}"
    );
    assert!(figures.contains(&"Duration 1 h".to_string()), "{figures:?}");
    // The timeline as a table and as a drawing with its phases.
    assert_eq!(doc.select(&sel("table.timeline tbody tr")).count(), 12);
    assert_eq!(doc.select(&sel("svg.timeline-axis")).count(), 1);
    assert_eq!(doc.select(&sel("svg .tl-mark")).count(), 5);
    assert_eq!(doc.select(&sel("svg circle.tl-event")).count(), 12);
    // Services and tags link to their pages.
    let services: Vec<_> = doc
        .select(&sel(".facts a[href*='services/']"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert!(
        services.contains(&"../../services/users-db/"),
        "{services:?}"
    );
    // Headings have anchors, and the table of contents points at them.
    assert!(doc.select(&sel("#s-body h2#summary")).next().is_some());
    let toc: Vec<_> = doc
        .select(&sel("#s-toc a"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert!(toc.contains(&"#root-cause"), "{toc:?}");
    // Every header cell of a table has a scope.
    assert!(doc.select(&sel("th:not([scope])")).next().is_none());
    // Code is highlighted with classes.
    let code = html(&out, "incidents/INC-2023-0412/index.html");
    assert!(code
        .select(&sel("pre.code span[class^='hl-']"))
        .next()
        .is_some());
    // Related records that are in the build are listed with their date and severity.
    let related = texts(&doc, "#s-related li");
    assert!(
        related.iter().any(|r| r.contains("2023-04-12")),
        "{related:?}"
    );
    // The search form and the navigation are on every page.
    let form = doc
        .select(&sel("form[role=search]"))
        .next()
        .expect("search form");
    assert_eq!(form.value().attr("action"), Some("../../search/"));
    assert_eq!(
        texts(&doc, "header nav a"),
        ["Home", "Incidents", "Action items", "Insights"]
    );
}

#[test]
fn overdue_items_are_marked() {
    let (_tmp, out) = built(&demo(), &[]);
    let doc = html(&out, "incidents/INC-2025-0412/index.html");
    let overdue = texts(&doc, "#s-actions .state-overdue");
    assert_eq!(overdue.len(), 2, "{overdue:?}");
    let home = html(&out, "index.html");
    let cards = texts(&home, ".card-alert .big");
    assert_eq!(cards, ["4"]);
    let actions = html(&out, "actions/index.html");
    assert_eq!(actions.select(&sel("#overdue tbody tr")).count(), 4);
}

#[test]
fn every_internal_link_resolves() {
    let (_tmp, out) = built(&demo(), &[]);
    assert_links_resolve(&out, "/");
}

#[test]
fn a_base_url_with_a_sub_path_works() {
    let (_tmp, out) = built(&demo(), &["--base-url", "https://acme.github.io/pm"]);
    assert_links_resolve(&out, "/pm/");
    let feed = std::fs::read_to_string(out.join("feed.xml")).expect("feed");
    assert!(feed.contains("<id>https://acme.github.io/pm/incidents/INC-2024-0918/</id>"));
    let sitemap = std::fs::read_to_string(out.join("sitemap.xml")).expect("sitemap");
    assert!(sitemap.contains("<loc>https://acme.github.io/pm/incidents/</loc>"));
    let missing = html(&out, "404.html");
    let home = missing
        .select(&sel("a.brand"))
        .next()
        .and_then(|a| a.value().attr("href"));
    assert_eq!(home, Some("/pm/"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("incidents.json")).expect("json"))
            .expect("valid JSON");
    assert_eq!(json["base_url"], "https://acme.github.io/pm/");
}

/// The site does not depend on how many threads build it: one build on one thread
/// and one on three (more than the cores of a small CI machine, so work is split
/// and stolen differently) write the same files, byte for byte.
#[test]
fn builds_on_one_and_three_threads_are_byte_identical() {
    let built_on = |threads: &str| {
        let tmp = tempfile::tempdir().expect("temp dir");
        let out = tmp.path().join("site");
        let output = casebook()
            .env("RAYON_NUM_THREADS", threads)
            .arg("--root")
            .arg(demo())
            .arg("build")
            .arg("--output")
            .arg(&out)
            .args(["--today", TODAY])
            .output()
            .expect("run casebook build");
        assert_ok(&output);
        (tmp, files(&out))
    };
    let (_a, one) = built_on("1");
    let (_b, three) = built_on("3");
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        three.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &one {
        assert!(
            three[path] == *bytes,
            "{path} differs between a build on 1 thread and one on 3"
        );
    }
}

/// `casebook actions --format csv` writes the columns of the site's
/// `action-items.csv`, and for the same records and day, the same rows (in its own
/// order: overdue first).
#[test]
fn the_actions_csv_has_the_site_csvs_columns_and_rows() {
    let (_tmp, out) = built(&demo(), &[]);
    let site = std::fs::read_to_string(out.join("action-items.csv")).expect("site csv");
    let output = casebook()
        .arg("--root")
        .arg(demo())
        .args(["actions", "--format", "csv", "--today", TODAY])
        .output()
        .expect("run casebook actions");
    assert_ok(&output);
    let listed = String::from_utf8(output.stdout).expect("UTF-8 csv");
    let header = |csv: &str| csv.split("\r\n").next().map(str::to_string);
    assert_eq!(header(&listed), header(&site));
    let rows = |csv: &str| {
        let mut rows: Vec<String> = csv.split("\r\n").skip(1).map(str::to_string).collect();
        rows.sort();
        rows
    };
    assert!(rows(&site).len() > 2, "{site}");
    assert_eq!(rows(&listed), rows(&site));
}

/// The bytes of a gzip file inflated; other files as they are.
fn gunzip(bytes: Vec<u8>) -> Vec<u8> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return bytes;
    }
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out)
        .expect("gzip");
    out
}

#[test]
fn a_public_build_leaves_internal_records_out_everywhere() {
    let (_tmp, out) = built(&demo(), &["--profile", "public"]);
    let id = "INC-2026-0513";
    let title = "auth-service token-signing key printed in CI deploy logs";
    let mut indexed = false;
    for (path, bytes) in files(&out) {
        // The search index's files are stored compressed, and its terms lowercased.
        let bytes = gunzip(bytes);
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        assert!(
            !text.contains(&id.to_lowercase()),
            "{path} names the internal record {id}"
        );
        assert!(
            !text.contains(&title.to_lowercase()),
            "{path} has the internal record's title"
        );
        indexed |= path.starts_with("search/") && text.contains("inc-2024-0918");
    }
    assert!(indexed, "the search index should hold the public records");
    assert!(out.join("incidents/INC-2024-0918/index.html").is_file());
    // The internal build has it.
    let (_tmp2, internal) = built(&demo(), &[]);
    assert!(internal
        .join(format!("incidents/{id}/index.html"))
        .is_file());
}

#[test]
fn injection_attempts_come_out_inert() {
    let (_tmp, out) = built(&fixture("injection"), &[]);
    let script = sel("script");
    let everything = sel("*");
    for (path, bytes) in files(&out) {
        if !path.ends_with(".html") {
            continue;
        }
        let doc = html(&out, &path);
        for element in doc.select(&script) {
            let src = element.value().attr("src").unwrap_or("");
            assert!(
                (src.ends_with("sort.js")
                    || src.ends_with("search.js")
                    || src.ends_with("links.js"))
                    && element.inner_html().is_empty(),
                "{path}: a script that is not the theme's: {}",
                element.html()
            );
        }
        for element in doc.select(&everything) {
            let name = element.value().name();
            assert!(
                !matches!(name, "iframe" | "object" | "embed" | "form" | "base")
                    || (name == "form" && element.value().attr("role") == Some("search")),
                "{path}: a <{name}> element got through"
            );
            for (attr, value) in element.value().attrs() {
                assert!(
                    !attr.starts_with("on"),
                    "{path}: event handler {attr}=\"{value}\" on <{name}>"
                );
                assert!(
                    attr != "style" && attr != "formaction",
                    "{path}: {attr} on <{name}>"
                );
                let squeezed: String = value
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect::<String>()
                    .to_ascii_lowercase();
                if matches!(attr, "href" | "src" | "action" | "xlink:href") {
                    for scheme in ["javascript:", "data:", "vbscript:"] {
                        assert!(
                            !squeezed.starts_with(scheme),
                            "{path}: {attr}=\"{value}\" on <{name}>"
                        );
                    }
                }
            }
        }
        let _ = bytes;
    }
    // The text is still there, as text.
    let doc = html(&out, "incidents/INC-ATTACK/index.html");
    assert_eq!(
        texts(&doc, "h1"),
        [r#""><script>alert("title")</script><img src=x onerror=alert(1)>"#]
    );
    assert_eq!(
        texts(&doc, "#s-links li:first-child"),
        [r#"<script>alert("links")</script>"#]
    );
    assert_eq!(doc.select(&sel("#s-links a")).count(), 1);
    assert!(texts(&doc, "pre.code")
        .concat()
        .contains(r#"<script>alert("code")</script>"#));
    // Spreadsheet formulas are defused in the CSV.
    let csv = std::fs::read_to_string(out.join("action-items.csv")).expect("csv");
    assert!(csv.contains(r#""'=HYPERLINK("#), "{csv}");
    assert!(csv.contains(",'+cmd|calc,'@team,"), "{csv}");
    assert!(!csv.contains("javascript:"), "{csv}");
    // The feed is well-formed enough that no markup survives unescaped.
    let feed = std::fs::read_to_string(out.join("feed.xml")).expect("feed");
    assert!(!feed.contains("<script"), "{feed}");
    assert_links_resolve(&out, "/");
}

#[test]
fn trusted_html_is_kept_when_site_toml_says_so() {
    let archive = TestArchive::with_config(
        "title = \"T\"\ntrusted_html = true\n[severities]\nSEV1 = \"Critical\"\n",
    );
    archive.record(
        "2025-01-02-widget.md",
        "---\nid: INC-1\ntitle: Widget\ndate: 2025-01-02\nseverity: SEV1\nstatus: investigating\nreview: approved\n---\n\n<details open><summary>More</summary><span style=\"color: red\">red</span></details>\n",
    );
    let (_tmp, out) = built(archive.root(), &[]);
    let doc = html(&out, "incidents/INC-1/index.html");
    let span = doc.select(&sel("details span")).next().expect("span kept");
    assert_eq!(span.value().attr("style"), Some("color: red"));
}

#[test]
fn a_failing_check_writes_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("site");
    let output = build(&fixture("broken"), &out, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("required field `title` is missing"),
        "{stderr}"
    );
    assert!(stderr.contains("the site was not built"), "{stderr}");
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(tmp.path()).expect("list").count(), 0);

    // A previous site stays as it was.
    let archive = TestArchive::new();
    archive.record("2025-01-02-ok.md", ok_record("INC-1"));
    assert_ok(&build(archive.root(), &out, &[]));
    let before = snapshot(&out);
    archive.record("2025-01-03-bad.md", "---\nid: INC-2\n---\n");
    let output = build(archive.root(), &out, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(snapshot(&out), before);
}

fn ok_record(id: &str) -> String {
    format!(
        "---\nid: {id}\ntitle: Record {id}\ndate: 2025-01-02\nseverity: SEV2\nstatus: investigating\nreview: approved\n---\n\n## Summary\n\nText.\n\n## Root cause\n\nMore text.\n"
    )
}

#[test]
fn refused_output_paths_leave_the_disk_untouched() {
    let archive = TestArchive::new();
    archive.record("2025-01-02-ok.md", ok_record("INC-1"));
    let parent = archive.root().parent().expect("parent").to_path_buf();
    let foreign = tempfile::tempdir().expect("temp dir");
    std::fs::write(foreign.path().join("thesis.txt"), "my work").expect("write");
    let home = tempfile::tempdir().expect("temp dir");
    std::fs::write(home.path().join(".bashrc"), "# mine").expect("write");

    let archive_before = snapshot(archive.root());
    let foreign_before = snapshot(foreign.path());
    let home_before = snapshot(home.path());
    for (out, why) in [
        (archive.root().to_path_buf(), "archive's root"),
        (parent.clone(), "contains the archive"),
        (
            archive.path("content/site"),
            "inside the archive's `content/`",
        ),
        (foreign.path().to_path_buf(), "was not written by casebook"),
        (home.path().to_path_buf(), "home directory"),
        (PathBuf::from("/"), "root directory"),
    ] {
        let output = casebook()
            .env("HOME", home.path())
            .arg("--root")
            .arg(archive.root())
            .args(["build", "--today", TODAY, "--output"])
            .arg(&out)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{}: {stderr}", out.display());
        assert!(stderr.contains("refusing to write the site"), "{stderr}");
        assert!(stderr.contains(why), "{why}: {stderr}");
    }
    assert_eq!(snapshot(archive.root()), archive_before);
    assert_eq!(snapshot(foreign.path()), foreign_before);
    assert_eq!(snapshot(home.path()), home_before);
    let leftovers: Vec<_> = std::fs::read_dir(&parent)
        .expect("list")
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.ends_with(".casebook-new") || name.ends_with(".casebook-old")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Ctrl-C in the middle of a build leaves the previous site exactly as it was, and
/// the next build clears away what the interrupted one left and publishes. The
/// build is interrupted once it has written the record pages, before the index
/// pages and exports. This fails if a build writes into the output folder
/// as it goes (the old site would be half replaced), swaps in an incomplete
/// folder, or if a leftover staging folder blocks or outlives the next build.
#[test]
fn an_interrupted_build_leaves_the_previous_site() {
    use std::os::unix::process::ExitStatusExt;
    const SIGINT: i32 = 2;
    // Enough records that writing the site takes a good part of a second.
    const RECORDS: usize = 400;
    let archive = TestArchive::new();
    let write_records = |title: &str| {
        for i in 0..RECORDS {
            let text = ok_record(&format!("INC-{i}"))
                .replace(&format!("Record INC-{i}"), &format!("{title} {i}"));
            archive.record(&format!("r{i:04}.md"), text);
        }
    };
    write_records("Old title");
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("site");
    assert_ok(&build(archive.root(), &out, &[]));
    let previous = snapshot(&out);

    write_records("New title");
    let mut child = casebook()
        .arg("--root")
        .arg(archive.root())
        .arg("build")
        .arg("--output")
        .arg(&out)
        .args(["--today", TODAY, "--timings"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start casebook build");
    // `--timings` reports each stage as it ends: once the record pages are written,
    // the index pages and exports are still to come.
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    let written = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|line| line.starts_with("timing:   records"));
    assert!(written, "the build never reported its record pages");
    common::interrupt(child.id());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().expect("wait");
    assert_eq!(
        status.signal(),
        Some(SIGINT),
        "the build ended before it was interrupted ({status}): {rest:?}"
    );
    assert!(
        snapshot(&out) == previous,
        "the interrupted build changed the previous site"
    );

    assert_ok(&build(archive.root(), &out, &[]));
    let leftovers: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("list")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "site")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let page = std::fs::read_to_string(out.join("incidents/INC-7/index.html")).expect("page");
    assert!(page.contains("New title 7"), "{page}");
}

#[test]
fn an_empty_folder_is_taken_and_stale_files_do_not_survive() {
    let archive = TestArchive::new();
    archive.record("2025-01-02-one.md", ok_record("INC-1"));
    archive.record("2025-01-03-two.md", ok_record("INC-2"));
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("site");
    std::fs::create_dir(&out).expect("mkdir");
    assert_ok(&build(archive.root(), &out, &[]));
    assert!(out.join("incidents/INC-2/index.html").is_file());
    std::fs::write(out.join("stale.html"), "old").expect("write");
    std::fs::remove_file(archive.path("content/incidents/2025-01-03-two.md")).expect("rm");
    assert_ok(&build(archive.root(), &out, &[]));
    assert!(!out.join("stale.html").exists());
    assert!(!out.join("incidents/INC-2").exists());
    assert!(out.join("incidents/INC-1/index.html").is_file());
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["site"]);
}

#[test]
fn archive_templates_and_static_files_override_the_theme() {
    let archive = TestArchive::new();
    archive.record("2025-01-02-one.md", ok_record("INC-1"));
    archive.write(
        "templates/partials/record_row.html",
        "<tr><td><a href=\"{{ root }}{{ r.url }}\">custom {{ r.id }}</a></td></tr>\n",
    );
    archive.write("static/style.css", "body { color: teal }\n");
    archive.write("static/img/logo.txt", "logo");
    let (_tmp, out) = built(archive.root(), &[]);
    let list = html(&out, "incidents/index.html");
    assert_eq!(texts(&list, "tbody a"), ["custom INC-1"]);
    assert_eq!(
        std::fs::read_to_string(out.join("style.css")).expect("css"),
        "body { color: teal }\n"
    );
    assert!(out.join("img/logo.txt").is_file());
    assert!(
        out.join("sort.js").is_file(),
        "theme files not overridden stay"
    );
    assert_links_resolve(&out, "/");
}

#[test]
fn a_template_iterating_a_map_sees_its_keys_sorted_in_every_build() {
    let archive = TestArchive::new();
    let record = ok_record("INC-1").replacen(
        "review: approved\n",
        "review: approved\nextra:\n  zone: eu-west\n  cost_centre: 42\n  m_team: payments\n  another: x\n",
        1,
    );
    archive.record("2025-01-02-one.md", record);
    archive.write(
        "templates/record.html",
        "{% extends \"base.html\" %}{% block main %}<ul id=\"extra\">{% for key, value in record.extra %}<li>{{ key }}={{ value }}</li>{% endfor %}</ul>{% endblock main %}\n",
    );
    let (_tmp, out) = built(archive.root(), &[]);
    let expected = [
        "another=x",
        "cost_centre=42",
        "m_team=payments",
        "zone=eu-west",
    ];
    assert_eq!(
        texts(&html(&out, "incidents/INC-1/index.html"), "#extra li"),
        expected
    );
    let (_tmp2, again) = built(archive.root(), &[]);
    assert_eq!(
        std::fs::read(out.join("incidents/INC-1/index.html")).expect("page"),
        std::fs::read(again.join("incidents/INC-1/index.html")).expect("page")
    );
}

#[test]
fn a_template_error_names_the_template_line_and_field() {
    let archive = TestArchive::new();
    archive.record("2025-01-02-one.md", ok_record("INC-1"));
    archive.write(
        "templates/record.html",
        "{% extends \"base.html\" %}\n{% block main %}\n<h1>{{ record.titel }}</h1>\n{% endblock main %}\n",
    );
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("site");
    let result = build(archive.root(), &out, &[]);
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("with template `record.html`: Field `titel` is not defined"),
        "{stderr}"
    );
    assert!(stderr.contains("--> record.html:3:"), "{stderr}");
    assert!(!out.exists(), "a failed render writes nothing");
}

#[test]
fn long_lists_are_paginated() {
    let archive = TestArchive::new();
    for n in 0..205 {
        archive.record(
            &format!("2024-01-01-r{n:03}.md"),
            ok_record(&format!("INC-{n:03}")),
        );
    }
    let (_tmp, out) = built(archive.root(), &[]);
    let first = html(&out, "incidents/index.html");
    assert_eq!(first.select(&sel("tbody tr")).count(), 100);
    let third = html(&out, "incidents/page-3.html");
    assert_eq!(third.select(&sel("tbody tr")).count(), 5);
    assert!(out.join("severity/sev2/page-3.html").is_file());
    assert_links_resolve(&out, "/");
}

#[test]
fn incidents_json_has_every_record_with_its_figures() {
    let (_tmp, out) = built(&demo(), &[]);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("incidents.json")).expect("json"))
            .expect("valid JSON");
    assert_eq!(json["version"], 1);
    let incidents = json["incidents"].as_array().expect("array");
    assert_eq!(incidents.len(), 13);
    let pool = incidents
        .iter()
        .find(|i| i["id"] == "INC-2024-0918")
        .expect("record");
    assert_eq!(pool["figures"]["time_to_detect"], 780);
    assert_eq!(pool["figures"]["duration"], 3600);
    assert_eq!(pool["action_items"][0]["state"], "done");
    assert_eq!(
        pool["url"],
        "https://incidents.example.com/incidents/INC-2024-0918/"
    );
}

/// One Markdown dialect for every stage: a heading with an attribute block is the
/// heading "Root cause" to `check` (the required section is there), gets the given id
/// and no `{#rc}` text on the page, and the search index never holds the braces.
#[test]
fn heading_attributes_mean_the_same_to_check_render_and_search() {
    let archive = TestArchive::new();
    archive.record(
        "a.md",
        "---\nid: INC-1\ntitle: Pool exhaustion\ndate: 2024-05-01\nseverity: SEV2\n\
         status: resolved\nresolved: 2024-05-01T10:00:00Z\nreview: approved\n---\n\n\
         ## Summary {#summary-of-it}\n\nThe pool ran dry.\n\n## Root cause {#rc .cause}\n\nA leak.\n",
    );
    archive.check(&[]).assert_clean();
    let (_dir, out) = built(archive.root(), &[]);
    let page = html(&out, "incidents/INC-1/index.html");
    assert_eq!(texts(&page, "h2#rc"), ["# Root cause"]);
    assert_eq!(
        page.select(&sel("h2#rc.cause a.anchor"))
            .filter_map(|a| a.value().attr("href"))
            .collect::<Vec<_>>(),
        ["#rc"]
    );
    assert_eq!(texts(&page, "h2#summary-of-it").len(), 1);
    for (rel, bytes) in snapshot(&out) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("{#rc"),
            "{rel} holds the attribute block as text"
        );
    }
}

/// A record with large impact figures, action items in every state and a code
/// block, in an archive whose currency is euros.
fn figures_archive() -> TestArchive {
    let archive = TestArchive::with_config(
        &common::SITE_TOML.replace("title = ", "currency = \"EUR\"\ntitle = "),
    );
    archive.record(
        "a.md",
        "---\nid: INC-NUM-1\ntitle: Large figures\ndate: 2024-05-01\nseverity: SEV2\n\
         status: investigating\nreview: in-review\nservices: [api-gateway]\n\
         impact:\n  users: 15000\n  revenue: 12400.5\n\
         action_items:\n\
         \x20 - {title: one, owner: a, due: 2099-01-01, status: open}\n\
         \x20 - {title: two, owner: a, due: 2024-06-01, status: open}\n\
         \x20 - {title: three, owner: a, due: 2024-06-01, status: done}\n\
         \x20 - {title: four, owner: a, status: wont-do}\n\
         ---\n\n## Summary\n\nSomething broke.\n\n## Root cause\n\nA bug.\n\n\
         ```rust\n// a comment\nfn main() {}\n```\n",
    );
    archive
}

#[test]
fn pages_print_numbers_with_separators_and_count_every_action_state() {
    let archive = figures_archive();
    let (_tmp, out) = built(archive.root(), &[]);
    let page = html(&out, "incidents/INC-NUM-1/index.html");
    assert_eq!(texts(&page, "#s-impact dd")[..2], ["15,000", "€12,400.50"]);
    let sentence: String = page
        .select(&sel("#s-actions > p.muted"))
        .flat_map(|p| p.text())
        .collect();
    assert_eq!(sentence, "4 items: 1 open, 1 overdue, 1 done, 1 won't do.");
    // Ids, dates and services are spans the stylesheet keeps on one line.
    let style = std::fs::read_to_string(out.join("style.css")).expect("style.css");
    assert!(
        style.contains(".id, time, .nowrap, .terms a, .search-result-id { white-space: nowrap; }")
    );
    let list = html(&out, "incidents/index.html");
    assert_eq!(texts(&list, "td .nowrap"), ["api-gateway"]);
    assert_eq!(page.select(&sel(".eyebrow .id")).count(), 1);
}

#[test]
fn every_page_links_the_themes_svg_favicon() {
    let archive = figures_archive();
    let (_tmp, out) = built(archive.root(), &[]);
    let icon = std::fs::read_to_string(out.join("favicon.svg")).expect("favicon.svg is written");
    assert!(icon.starts_with("<svg"), "{icon}");
    for page in [
        "index.html",
        "incidents/INC-NUM-1/index.html",
        "insights/index.html",
        "404.html",
    ] {
        let doc = html(&out, page);
        let links: Vec<_> = doc
            .select(&sel("link[rel=icon][type=\"image/svg+xml\"]"))
            .filter_map(|l| l.value().attr("href"))
            .collect();
        assert_eq!(links.len(), 1, "{page}");
        assert!(links[0].ends_with("favicon.svg"), "{page}: {links:?}");
    }
}

#[test]
fn highlighted_code_is_legible_in_both_schemes_and_keyboard_scrollable() {
    let archive = figures_archive();
    let (_tmp, out) = built(archive.root(), &[]);
    let css = std::fs::read_to_string(out.join("highlight.css")).expect("highlight.css");
    // Each scheme in its own block, so no light colour leaks into the dark one, and
    // no theme background (a diff's pale green) under the other scheme's text.
    assert!(css.contains("@media (prefers-color-scheme: light), print {"));
    assert!(css.contains("@media screen and (prefers-color-scheme: dark) {"));
    assert!(!css.contains("background-color"));
    // InspiredGitHub's comment grey (#969896, 2.7:1) is darkened.
    assert!(!css.contains("#969896"));
    let page = html(&out, "incidents/INC-NUM-1/index.html");
    let pre = page.select(&sel("pre.code")).next().expect("a code block");
    assert_eq!(pre.value().attr("tabindex"), Some("0"));
}

#[test]
fn charts_say_what_the_archive_does_not_record_and_draw_a_phone_frame() {
    let archive = figures_archive();
    let (_tmp, out) = built(archive.root(), &[]);
    let page = html(&out, "insights/index.html");
    let descriptions = texts(&page, ".chart-desc");
    let follow = descriptions
        .iter()
        .find(|d| d.starts_with("Each of the 4 action items"))
        .expect("the follow-through chart's description");
    assert!(
        follow.contains("does not record when an item was done"),
        "{follow}"
    );
    let overdue = descriptions
        .iter()
        .find(|d| d.starts_with("Action items still open today"))
        .expect("the overdue chart's description");
    assert!(overdue.contains("lower bound"), "{overdue}");
    let detect = descriptions
        .iter()
        .find(|d| d.contains("from the start to detection"))
        .expect("the time-to-detect description");
    assert!(detect.contains("logarithmic scale"), "{detect}");
    let rows = texts(&page, "#follow-through-h ~ .chart-row tbody th");
    assert!(
        rows.contains(&"done, date not recorded".to_string()),
        "{rows:?}"
    );
    assert!(!rows.iter().any(|r| r.contains("passed")), "{rows:?}");
    // Every chart is drawn wide and narrow.
    let wide = page.select(&sel("figure svg.chart-wide")).count();
    let narrow = page.select(&sel("figure svg.chart-narrow")).count();
    assert!(wide >= 8 && wide == narrow, "{wide} wide, {narrow} narrow");
}

/// Decodes standard base64 with padding; `None` for anything else.
fn unbase64(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let body = text.trim_end_matches('=');
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for byte in body.bytes() {
        let value = ALPHABET.iter().position(|&c| c == byte)?;
        acc = (acc << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    text.len().is_multiple_of(4).then_some(out)
}

#[test]
fn every_search_index_file_has_a_script_twin_with_the_same_bytes_for_file_urls() {
    let (_tmp, out) = built(&demo(), &[]);
    let all = files(&out);
    let index: Vec<(&String, &Vec<u8>)> = all
        .iter()
        .filter(|(path, _)| {
            path.starts_with("search/") && !path.ends_with(".js") && *path != "search/index.html"
        })
        .collect();
    assert!(index.len() > 5, "{index:?}");
    for (path, bytes) in &index {
        let rel = &path["search/".len()..];
        let twin = all
            .get(&format!("{path}.js"))
            .unwrap_or_else(|| panic!("{path} has no .js twin"));
        let twin = String::from_utf8_lossy(twin);
        let encoded = twin
            .strip_prefix(&format!("casebookSearchFile(\"{rel}\",\""))
            .and_then(|rest| rest.strip_suffix("\");\n"))
            .unwrap_or_else(|| panic!("{path}.js: {twin}"));
        assert_eq!(
            unbase64(encoded).as_ref(),
            Some(*bytes),
            "{path}.js holds other bytes"
        );
    }
    let twins = all
        .keys()
        .filter(|path| path.starts_with("search/") && path.ends_with(".js"))
        .count();
    assert_eq!(twins, index.len(), "a twin without its index file");
}

#[test]
fn every_page_loads_the_script_that_names_folder_pages_on_file_urls() {
    let (_tmp, out) = built(&demo(), &[]);
    let script = sel("script[src]");
    let links = std::fs::canonicalize(out.join("links.js")).expect("links.js is written");
    // 404.html links from the base URL's path: a host shows it, never a disk.
    let pages = files(&out)
        .into_keys()
        .filter(|p| p.ends_with(".html") && p != "404.html");
    for path in pages {
        let doc = html(&out, &path);
        let dir = out
            .join(&path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let loads = doc
            .select(&script)
            .filter_map(|s| s.value().attr("src"))
            .any(|src| std::fs::canonicalize(dir.join(src)).ok().as_ref() == Some(&links));
        assert!(loads, "{path} does not load links.js");
    }
}
