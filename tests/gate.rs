//! `check` as the gate before `build`: users run `casebook check` on every pull
//! request and `casebook build` after merge, so whatever would stop `build` or
//! silently change the site must be a finding of `check`.
//!
//! The real binary runs on the archives of tests/fixtures/gate/ (see its README): a
//! clean `base/`, and `cases/<case>/`, each one defect, copied over it.

mod common;

use std::path::{Path, PathBuf};

use common::{Run, TestArchive, TODAY};

/// The defects, one folder each under tests/fixtures/gate/cases/.
const CASES: &[&str] = &[
    "reserved-page",
    "page-case",
    "page-same-slug",
    "page-no-slug",
    "page-empty-front-matter",
    "record-case-ids",
    "links-url",
    "action-link",
    "body-link",
    "timeline-link",
    "theme-syntax",
    "locked-rule",
];

fn gate() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gate")
}

/// Every file under `dir`, relative to it, with `/` separators.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read fixture folder") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if path.is_dir() {
            out.extend(files(&path).into_iter().map(|f| format!("{name}/{f}")));
        } else {
            out.push(name);
        }
    }
    out.sort();
    out
}

/// `base/` with the files of `cases` copied over it, in a temporary folder.
fn archive(cases: &[&str]) -> TestArchive {
    let archive = TestArchive::empty();
    let layers = std::iter::once(gate().join("base"))
        .chain(cases.iter().map(|case| gate().join("cases").join(case)));
    for layer in layers {
        for file in files(&layer) {
            archive.write(&file, std::fs::read(layer.join(&file)).expect("read"));
        }
    }
    archive
}

/// `casebook build` into a folder beside the archive; its exit code.
fn build(archive: &TestArchive) -> i32 {
    let out = tempfile::tempdir().expect("temp dir");
    let site = out.path().join("site");
    let site = site.to_str().expect("UTF-8 path");
    let output = archive.run(&["build", "--output", site, "--today", TODAY]);
    output.status.code().expect("exit code")
}

/// The findings as `rule file:line:col`, in the order check prints them.
fn places(run: &Run) -> Vec<String> {
    run.findings
        .iter()
        .map(|f| format!("{} {}", f.rule, f.at()))
        .collect()
}

#[test]
fn check_fails_exactly_when_build_fails() {
    let clean = archive(&[]);
    let run = clean.check(&[]);
    run.assert_clean();
    assert_eq!(build(&clean), 0, "the clean base builds");
    for case in CASES {
        let archive = archive(&[case]);
        let run = archive.check(&[]);
        let built = build(&archive);
        assert_eq!(
            run.code != 0,
            built != 0,
            "{case}: check exits {} but build exits {built}:\n{run}",
            run.code
        );
        assert_ne!(run.code, 0, "{case}: check must report it:\n{run}");
    }
}

#[test]
fn every_case_is_a_finding_at_its_place() {
    let every: Vec<&str> = CASES
        .iter()
        .copied()
        .filter(|&c| c != "locked-rule")
        .collect();
    let run = archive(&every).check(&[]);
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(
        places(&run),
        [
            "duplicate-id content/incidents/2025-03-02-queue-again.md:2:5",
            "invalid-url content/incidents/2025-03-03-links.md:9:10",
            "invalid-url content/incidents/2025-03-04-action.md:13:11",
            "invalid-url content/incidents/2025-03-05-body.md:11:14",
            "invalid-url content/incidents/2025-03-06-timeline.md:9:34",
            "page-slug content/pages/!!!.md:1:1",
            "page-slug content/pages/about.md:1:1",
            "front-matter content/pages/draft.md:1:1",
            "page-slug content/pages/on_call.md:1:1",
            "page-slug content/pages/search.md:1:1",
            "theme themes/dark/templates/partials/record_row.html:2:47",
        ],
        "{run}"
    );
    for finding in &run.findings {
        assert_eq!(finding.level, "error", "{finding:?}");
    }
    let message = |rule: &str, file: &str| {
        run.findings
            .iter()
            .find(|f| f.rule == rule && f.file.as_deref() == Some(file))
            .map(|f| f.message.clone())
            .unwrap_or_else(|| panic!("no `{rule}` in {file}:\n{run}"))
    };
    assert!(message(
        "duplicate-id",
        "content/incidents/2025-03-02-queue-again.md"
    )
    .contains("differs only in letter case"));
    assert!(message("page-slug", "content/pages/about.md").contains("only in letter case"));
    assert!(message("page-slug", "content/pages/on_call.md").contains("content/pages/on-call.md"));
    assert!(message("page-slug", "content/pages/search.md").contains("`/search/`"));
    assert!(message("invalid-url", "content/incidents/2025-03-03-links.md").contains("`htps:`"));
    let typo = run
        .findings
        .iter()
        .find(|f| f.message.contains("htps"))
        .and_then(|f| f.help.clone());
    assert_eq!(typo.as_deref(), Some("did you mean `https`?"));
}

#[test]
fn rules_that_guard_the_output_cannot_be_switched_off() {
    let archive = archive(&["record-case-ids", "locked-rule"]);
    let run = archive.check(&[]);
    assert_eq!(run.code, 2, "{run}");
    assert_eq!(places(&run), ["config-invalid site.toml:10:16"], "{run}");
    assert!(
        run.findings[0]
            .message
            .contains("`duplicate-id` cannot be set to `off`"),
        "{run}"
    );
    assert_eq!(build(&archive), 2);

    for (rule, level) in [
        ("duplicate-id", "warning"),
        ("slug-collision", "off"),
        ("page-slug", "warning"),
        ("theme", "off"),
    ] {
        let archive = self::archive(&[]);
        archive.write(
            "site.toml",
            format!(
                "{}\n[rules]\n{rule} = \"{level}\"\n",
                archive.read("site.toml")
            ),
        );
        let run = archive.check(&[]);
        assert_eq!(run.code, 2, "{rule} = {level}:\n{run}");
        assert_eq!(run.one("config-invalid").line, Some(10), "{run}");
    }

    // Rules that only report what the site drops may still be turned down.
    let archive = self::archive(&["links-url"]);
    archive.write(
        "site.toml",
        format!(
            "{}\n[rules]\ninvalid-url = \"warning\"\n",
            archive.read("site.toml")
        ),
    );
    let run = archive.check(&[]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.one("invalid-url").level, "warning");
    assert_eq!(build(&archive), 0);
}

#[test]
fn reserved_slugs_name_every_folder_build_writes_at_the_root() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().expect("temp dir");
    let site = out.path().join("site");
    let status = common::casebook()
        .arg("--root")
        .arg(demo)
        .args(["build", "--today", "2026-10-31", "--output"])
        .arg(&site)
        .status()
        .expect("run casebook build");
    assert!(status.success());
    let pages: Vec<String> = files(&demo.join("content/pages"))
        .iter()
        .filter_map(|f| f.strip_suffix(".md").map(str::to_string))
        .collect();
    for entry in std::fs::read_dir(&site).expect("read site") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() {
            assert!(
                casebook::core::paths::RESERVED_SLUGS.contains(&name.as_str())
                    || pages.contains(&name),
                "build writes the folder `{name}/`, which a free page could also want"
            );
        }
    }
}
