//! YAML syntax errors on real files: each broken record in `tests/fixtures/yaml/`
//! goes through `casebook check --format json`, and its YAML findings must be
//! exactly the expected ones: rule, line and column of the cause, a message and a
//! help naming the trap. Nothing more, so a cascade of findings caused by the first
//! mistake fails the test as surely as a missing one.

mod common;

use common::TestArchive;

/// One expected finding: line, column, rule, a piece of its message, a piece of
/// its help (empty when it has none).
type Expected = (usize, usize, &'static str, &'static str, &'static str);

/// Every fixture with the YAML findings it must produce.
const CORPUS: &[(&str, &[Expected])] = &[
    (
        "tab-indent.md",
        &[(
            12,
            1,
            "yaml-syntax",
            "a tab indents this line",
            "replace the tab",
        )],
    ),
    (
        "empty-list-then-items.md",
        &[(
            7,
            11,
            "yaml-syntax",
            "`timeline` is written as an empty list",
            "write `timeline:` with nothing after",
        )],
    ),
    (
        "empty-map-then-items.md",
        &[(
            7,
            9,
            "yaml-syntax",
            "`impact` is written as an empty mapping",
            "write `impact:`",
        )],
    ),
    (
        "colon-in-title.md",
        &[(
            7,
            13,
            "yaml-syntax",
            "holds `: `",
            "`summary: \"Fix: the pool ran dry\"`",
        )],
    ),
    (
        "colon-in-yaml-record.yaml",
        &[(
            6,
            13,
            "yaml-syntax",
            "holds `: `",
            "`summary: \"Fix: the pool\"`",
        )],
    ),
    (
        "missing-space-after-dash.md",
        &[(
            10,
            3,
            "yaml-syntax",
            "`-at` needs a space after the `-`",
            "`- at: \"14:30\"`",
        )],
    ),
    (
        "unclosed-double-quote.md",
        &[(
            7,
            10,
            "yaml-syntax",
            "the quote `\"` that starts the value of `summary` is never closed",
            "close it",
        )],
    ),
    (
        "unclosed-single-quote.md",
        &[(
            7,
            12,
            "yaml-syntax",
            "the quote `'` that starts the value of `commander`",
            "close it",
        )],
    ),
    (
        "unclosed-flow-list.md",
        &[(
            7,
            7,
            "yaml-syntax",
            "the bracket `[` that starts the value of `tags`",
            "`]`",
        )],
    ),
    (
        "over-indented-key.md",
        &[(
            8,
            3,
            "yaml-syntax",
            "`services` is indented under `tags`",
            "same column as `tags`",
        )],
    ),
    (
        "under-indented-key.md",
        &[(
            9,
            3,
            "yaml-syntax",
            "`description` is indented 2 spaces",
            "indented 4 spaces",
        )],
    ),
    (
        "indented-list-item.md",
        &[(9, 5, "yaml-syntax", "`database - pool`", "same column")],
    ),
    (
        "at-sign-value.md",
        &[(
            7,
            12,
            "yaml-syntax",
            "starts with `@`",
            "`commander: \"@alice\"`",
        )],
    ),
    (
        "backtick-value.md",
        &[(7, 10, "yaml-syntax", "starts with a backtick", "in quotes")],
    ),
    (
        "star-value.md",
        &[(
            7,
            10,
            "yaml-syntax",
            "reference to an anchor",
            "`summary: \"*very* slow checkout\"`",
        )],
    ),
    (
        "dash-value.md",
        &[(
            7,
            10,
            "yaml-syntax",
            "starts with `-`",
            "`summary: \"- the pool ran dry\"`",
        )],
    ),
    (
        "greater-than-value.md",
        &[(
            7,
            10,
            "yaml-syntax",
            "begins a block of text",
            "`summary: \"> 50% of requests failed\"`",
        )],
    ),
    (
        "bracket-title-like.md",
        &[(
            7,
            10,
            "yaml-syntax",
            "read as a list, and text follows",
            "`summary: \"[WIP] the pool ran dry\"`",
        )],
    ),
    (
        "text-after-quote.md",
        &[(
            7,
            10,
            "yaml-syntax",
            "text follows its closing quote",
            "`summary: '\"Pool\" ran dry'`",
        )],
    ),
    (
        "missing-space-after-colon.md",
        &[(
            7,
            10,
            "yaml-syntax",
            "no space after the colon",
            "`commander: alice`",
        )],
    ),
    (
        "equals-not-colon.md",
        &[(7, 11, "yaml-syntax", "uses `=`", "`commander: alice`")],
    ),
    (
        "no-colon.md",
        &[(7, 1, "yaml-syntax", "is not `key: value`", "`key: value`")],
    ),
    (
        "block-scalar-not-indented.md",
        &[(
            8,
            1,
            "yaml-syntax",
            "must be indented under its key",
            "indent every line",
        )],
    ),
    (
        "duplicate-key.md",
        &[(8, 1, "duplicate-key", "key `tags` appears twice", "")],
    ),
    (
        "tab-after-colon.md",
        &[(7, 9, "yaml-syntax", "a tab follows the `:`", "with a space")],
    ),
    (
        "key-among-list-items.md",
        &[(
            9,
            3,
            "yaml-syntax",
            "`b` is a key in the column of the list items",
            "start it with `- `",
        )],
    ),
    (
        "misaligned-item-key.md",
        &[(
            10,
            4,
            "yaml-syntax",
            "`owner` is indented 3 spaces",
            "indented 4 spaces",
        )],
    ),
    (
        "ampersand-value.md",
        &[(
            7,
            10,
            "yaml-syntax",
            "starts with `&`",
            "`summary: \"& more\"`",
        )],
    ),
    (
        "anchor-before-error.md",
        &[(8, 13, "yaml-syntax", "holds `: `", "in quotes")],
    ),
    (
        "several-errors.md",
        &[
            (7, 13, "yaml-syntax", "holds `: `", "in quotes"),
            (9, 12, "yaml-syntax", "starts with `@`", "in quotes"),
            (
                12,
                1,
                "yaml-syntax",
                "a tab indents this line",
                "replace the tab",
            ),
        ],
    ),
];

#[test]
fn every_broken_fixture_reports_its_cause_and_nothing_else() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/yaml");
    let mut failures = Vec::new();
    for (name, expected) in CORPUS {
        let archive = TestArchive::new();
        let bytes = std::fs::read(dir.join(name)).expect("read fixture");
        archive.record(name, bytes);
        let run = archive.check(&[]);
        let file = format!("content/incidents/{name}");
        let found: Vec<_> = run
            .findings
            .iter()
            .filter(|f| matches!(f.rule.as_str(), "yaml-syntax" | "duplicate-key"))
            .collect();
        let matches = found.len() == expected.len()
            && found.iter().zip(expected.iter()).all(|(f, want)| {
                let (line, column, rule, message, help) = *want;
                f.file.as_deref() == Some(file.as_str())
                    && f.line == Some(line)
                    && f.column == Some(column)
                    && f.rule == rule
                    && f.message.contains(message)
                    && f.help.as_deref().unwrap_or("").contains(help)
            });
        if !matches || run.code != 1 {
            failures.push(format!("{name}: expected {expected:?}\n{run}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_corpus_is_every_fixture() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/yaml");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut listed: Vec<String> = CORPUS.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed);
    assert!(listed.len() >= 20);
}

#[test]
fn a_syntax_error_in_a_free_page_is_explained_too() {
    let archive = TestArchive::new();
    archive.write(
        "content/pages/about.md",
        "---\ntitle: About: this archive\n---\nText\n",
    );
    let run = archive.check(&[]);
    let found = run.one("yaml-syntax");
    assert_eq!(found.at(), "content/pages/about.md:2:13", "{run}");
    assert!(
        found
            .help
            .as_deref()
            .is_some_and(|h| h.contains("\"About: this archive\"")),
        "{run}"
    );
}

#[test]
fn a_hundred_broken_lines_stop_at_the_limit() {
    let mut text = String::from("---\nid: INC-1\n");
    for n in 0..100 {
        text.push_str(&format!("key{n}: a: b\n"));
    }
    text.push_str("---\n");
    let archive = TestArchive::new();
    archive.record("a.md", text);
    let run = archive.check(&[]);
    assert_eq!(run.of("yaml-syntax").len(), 20, "{run}");
}
