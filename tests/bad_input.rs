//! Hostile and broken input: casebook must answer every file with findings, never a
//! panic, a hang or unbounded memory.
//!
//! The first half runs the real binary on crafted files (alias bombs, deep nesting,
//! huge files). The second half is property tests that throw arbitrary bytes and
//! generated YAML-ish text at the loader and validator through the library, and
//! check that every finding points inside the file it names.

mod common;

use std::path::{Path, PathBuf};

use casebook::core::config::SiteConfig;
use casebook::core::diag::{Diagnostic, Source, Span};
use casebook::core::model::Archive;
use casebook::core::rules::Rule;
use common::{TestArchive, SITE_TOML};
use proptest::prelude::*;

const HEAD: &str =
    "---\nid: INC-1\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV2\nstatus: investigating\n";

/// Runs check on one record and returns its only finding.
fn only_finding(name: &str, text: &[u8]) -> common::Finding {
    let archive = TestArchive::new();
    archive.record(name, text);
    let run = archive.check(&[]);
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.findings.len(), 1, "{run}");
    run.findings[0].clone()
}

// ---- The binary on crafted files -------------------------------------------------

/// Nine levels of nine aliases: a billion "lol"s if expanded.
fn billion_laughs() -> String {
    let mut yaml = String::from("extra:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let mut previous = 'a';
    for name in 'b'..='i' {
        let refs = vec![format!("*{previous}"); 9].join(", ");
        yaml.push_str(&format!("  {name}: &{name} [{refs}]\n"));
        previous = name;
    }
    yaml
}

#[test]
fn alias_bomb_in_front_matter() {
    let text = format!("{HEAD}{}---\n", billion_laughs());
    let found = only_finding("a.md", text.as_bytes());
    assert_eq!(
        (found.rule.as_str(), found.level.as_str()),
        ("input-limit", "error")
    );
    assert!(found.message.contains("100000"), "{}", found.message);
    // The budget runs out within the sixth alias line.
    assert_eq!(found.line, Some(13), "{found:?}");
}

#[test]
fn alias_bomb_in_a_yaml_record() {
    let text = format!("{}{}", HEAD.trim_start_matches("---\n"), billion_laughs());
    let found = only_finding("a.yaml", text.as_bytes());
    assert_eq!(found.rule, "input-limit");
}

#[test]
fn many_small_aliases_are_fine() {
    let text = format!(
        "{HEAD}extra:\n  base: &base {{ team: payments, channel: \"#inc\" }}\n  one: *base\n  two: *base\n---\n"
    );
    let archive = TestArchive::new();
    archive.record("a.md", text);
    archive.check(&[]).assert_clean();
}

#[test]
fn ten_thousand_levels_of_flow_nesting() {
    for (open, close) in [("[", "]"), ("{a: ", "}")] {
        let text = format!(
            "{HEAD}extra: {}1{}\n---\n",
            open.repeat(10_000),
            close.repeat(10_000)
        );
        let found = only_finding("a.md", text.as_bytes());
        assert_eq!(
            (found.rule.as_str(), found.level.as_str()),
            ("input-limit", "error")
        );
        assert!(found.message.contains("64 levels"), "{}", found.message);
        assert_eq!(found.line, Some(7), "{found:?}");
    }
}

#[test]
fn ten_thousand_levels_of_block_nesting() {
    let sequences = format!("{HEAD}extra:\n  {}x\n---\n", "- ".repeat(10_000));
    let found = only_finding("a.md", sequences.as_bytes());
    assert_eq!(found.rule, "input-limit");
    assert_eq!(found.line, Some(8), "{found:?}");
    // Block mappings need an indent per level; 10,000 of them would be 50 MB of
    // spaces (refused for size), so go a little past the limit instead.
    let mappings: String = (0..100)
        .map(|i| format!("{}k:\n", " ".repeat(i + 2)))
        .collect();
    let found = only_finding("a.md", format!("{HEAD}extra:\n{mappings}---\n").as_bytes());
    assert_eq!(found.rule, "input-limit");
}

#[test]
fn deep_nesting_just_inside_the_limit_is_read() {
    let text = format!("{HEAD}extra: {}1{}\n---\n", "[".repeat(60), "]".repeat(60));
    let archive = TestArchive::new();
    archive.record("a.md", text);
    archive.check(&[]).assert_clean();
}

#[test]
fn too_many_values_without_aliases() {
    let items = vec!["1"; 100_001].join(",");
    let text = format!("{HEAD}extra: [{items}]\n---\n");
    let found = only_finding("a.md", text.as_bytes());
    assert_eq!(found.rule, "input-limit");
}

#[test]
fn twenty_megabyte_record_is_refused() {
    let mut text = format!("{HEAD}---\n").into_bytes();
    let line = b"A long log line pasted into the record, human error and all.\n";
    while text.len() < 20 * 1024 * 1024 {
        text.extend_from_slice(line);
    }
    let found = only_finding("a.md", &text);
    assert_eq!(
        (found.rule.as_str(), found.level.as_str()),
        ("input-limit", "error")
    );
    assert_eq!(found.file.as_deref(), Some("content/incidents/a.md"));
    assert!(
        found.message.contains(&text.len().to_string()),
        "{}",
        found.message
    );
}

#[test]
fn records_up_to_eight_mebibytes_are_read() {
    let limit = casebook::load::MAX_RECORD_BYTES as usize;
    let mut text = format!("{HEAD}---\n").into_bytes();
    while text.len() < limit {
        text.extend_from_slice(b"Plain text, line after line.\n");
    }
    text.truncate(limit - 1);
    text.push(b'\n');
    let archive = TestArchive::new();
    archive.record("a.md", &text);
    archive.check(&[]).assert_clean();
    text.push(b'\n');
    archive.record("a.md", &text);
    assert_eq!(archive.check(&[]).one("input-limit").level, "error");
}

#[test]
fn deep_markdown_in_the_body() {
    let body = format!(
        "{}x\n\n{}\n\n{}x\n\n{}a{}\n\n{}\n",
        "> ".repeat(10_000),
        "[".repeat(10_000),
        "- ".repeat(10_000),
        "*".repeat(10_000),
        "*".repeat(10_000),
        "![a](".repeat(5_000)
    );
    let archive = TestArchive::new();
    archive.record("a.md", format!("{HEAD}---\n{body}"));
    archive.check(&[]).assert_clean();
}

#[test]
fn utf16_and_binary_files_are_not_utf8() {
    let utf16: Vec<u8> = "---\nid: x\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let found = only_finding("a.md", &[&[0xFF, 0xFE][..], &utf16].concat());
    assert_eq!(found.rule, "not-utf8");
    assert_eq!((found.line, found.column), (Some(1), Some(1)));
    let found = only_finding("b.md", &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]);
    assert_eq!(found.rule, "not-utf8");
}

#[test]
fn nul_bytes_and_control_characters() {
    let text = format!("{HEAD}summary: \"a\0b\"\n\u{1}: \u{7}\n---\n\0\n");
    let archive = TestArchive::new();
    archive.record("a.md", text);
    let run = archive.check(&[]);
    assert!(run.code == 0 || run.code == 1, "{run}");
    assert!(run.findings.iter().all(|f| f.line.is_some()), "{run}");
}

#[test]
fn a_file_of_only_delimiters() {
    for text in [
        "---",
        "---\n---",
        "---\n...\n",
        "---\r\n---\r\n",
        "\u{feff}",
        "\u{feff}---\n",
    ] {
        let found = only_finding("a.md", text.as_bytes());
        assert_eq!(found.rule, "front-matter", "{text:?}: {found:?}");
    }
}

// ---- Property tests through the library --------------------------------------------

fn config() -> SiteConfig {
    let (config, diags) = SiteConfig::parse(Source::new("site.toml", SITE_TOML));
    assert!(diags.is_empty(), "{diags:?}");
    config
}

/// Asserts that a span lies inside its file's text and maps to a line and column
/// that exist in it.
fn assert_inside(source: &Source, span: Span, what: &str) {
    let text = &source.text;
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what}: span {span:?} outside a {}-byte file",
        text.len()
    );
    let (line, column) = source.line_col(span.start);
    let lines: Vec<&str> = text.split('\n').collect();
    assert!(
        line <= lines.len(),
        "{what}: line {line} of {}",
        lines.len()
    );
    let width = lines[line - 1].chars().count();
    assert!(
        column <= width + 1,
        "{what}: column {column} of a {width}-character line"
    );
}

/// Every finding names a file, points inside it, and a blame finding marks the
/// very words it quotes.
fn assert_findings_inside(diags: &[Diagnostic]) {
    for diag in diags {
        let what = format!("{} {}", diag.rule.name(), diag.message);
        let source = diag
            .source
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: no file"));
        if let Some(span) = diag.span {
            assert_inside(source, span, &what);
            if diag.rule == Rule::BlameLanguage && span.end > span.start {
                let marked = source.text[span.start..span.end].to_lowercase();
                assert!(
                    diag.message.contains(&format!("`{marked}`")),
                    "{what}: marks `{marked}`"
                );
            }
        }
        for (other, span, _) in &diag.notes {
            assert_inside(other, *span, &what);
        }
    }
}

/// Loads one record from bytes, then validates it, as `check` would.
fn load_and_validate(name: &str, bytes: &[u8]) {
    let config = config();
    let path = PathBuf::from("content/incidents").join(name);
    let (record, mut diags) = casebook::load::record_from_bytes(&path, bytes, &config);
    assert_findings_inside(&diags);
    let archive = Archive {
        root: Path::new("/nonexistent-casebook-archive").to_path_buf(),
        config,
        records: record.into_iter().collect(),
        pages: Vec::new(),
        rejected: 0,
    };
    let today = "2025-01-15".parse().expect("date");
    diags.extend(casebook::check::validate(&archive, today));
    assert_findings_inside(&diags);
}

/// Fragments of YAML: keys casebook knows, values of every scalar style and the
/// constructs that break parsers (anchors, aliases, tags, flow, block scalars).
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("2024-09-18".to_string()),
        Just("14:23".to_string()),
        Just("\"14:23\"".to_string()),
        Just("2024-09-18T14:10:00Z".to_string()),
        Just("2024-09-18T14:10:00+02:00".to_string()),
        Just("2024-02-30".to_string()),
        Just("25:61".to_string()),
        Just("SEV1".to_string()),
        Just("resolved".to_string()),
        Just("approved".to_string()),
        Just("open".to_string()),
        Just("~".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("-1.5e300".to_string()),
        Just("0x1F".to_string()),
        Just(".inf".to_string()),
        Just("''".to_string()),
        Just("\"\\u00e9\\L\\P\\x41\\t\"".to_string()),
        Just("'it''s'".to_string()),
        Just("!!str 12".to_string()),
        Just("!custom x".to_string()),
        Just("&anchor value".to_string()),
        Just("*anchor".to_string()),
        Just("*missing".to_string()),
        Just("|\n  line\n  human error\n".to_string()),
        Just(">-\n  folded\n  text\n".to_string()),
        Just("[a, b, {c: d}]".to_string()),
        Just("{at: \"14:23\", event: x}".to_string()),
        Just("INC-1".to_string()),
        Just(".".to_string()),
        Just("..".to_string()),
        Just("\u{feff}x".to_string()),
        Just("café ü 日本".to_string()),
        "[a-zA-Z0-9 _.:#&*!|>@`%-]{0,12}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            casebook::load::decode::RECORD_KEYS
                .iter()
                .copied()
                .chain([
                    "body",
                    "at",
                    "event",
                    "kind",
                    "owner",
                    "due",
                    "priority",
                    "users",
                    "url",
                    "? complex",
                    "\"quoted key\"",
                    "[flow, key]",
                    "<<",
                ])
                .collect::<Vec<_>>(),
        )
        .prop_map(str::to_string),
        "[a-z_]{1,8}",
    ]
}

/// A YAML node: a scalar, or a block/flow mapping or sequence of nodes, indented.
fn node() -> impl Strategy<Value = String> {
    scalar().prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec((key(), inner.clone()), 1..6).prop_map(|entries| {
                entries
                    .iter()
                    .map(|(k, v)| format!("\n{k}: {}", v.replace('\n', "\n  ")))
                    .collect::<String>()
            }),
            prop::collection::vec(inner.clone(), 1..6).prop_map(|items| {
                items
                    .iter()
                    .map(|v| format!("\n- {}", v.replace('\n', "\n  ")))
                    .collect::<String>()
            }),
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("[{}]", items.join(", "))),
            prop::collection::vec((key(), inner), 0..4).prop_map(|entries| {
                let inside: Vec<String> =
                    entries.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{{{}}}", inside.join(", "))
            }),
        ]
    })
}

/// Markdown bodies with the constructs the body checks look at.
fn body() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("## Summary\n".to_string()),
            Just("## Root cause\n".to_string()),
            Just("It was human error.\n".to_string()),
            Just("![img](pool.png)\n".to_string()),
            Just("[x](../../../../etc/passwd)\n".to_string()),
            Just("[y](%ZZ%20a.log#frag)\n".to_string()),
            Just("```\ncareless\n```\n".to_string()),
            Just("| a | b |\n|---|---|\n| 1 | 2 |\n".to_string()),
            Just("> quote\n".to_string()),
            Just("<script>alert(1)</script>\n".to_string()),
            Just("ÄÖÜ ß İ ﬀ careless\n".to_string()),
            Just("\r\n".to_string()),
            "[ -~]{0,40}\n",
        ],
        0..8,
    )
    .prop_map(|parts| parts.concat())
}

fn time() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "\"14:10\"",
        "14:23",
        "\"23:59\"",
        "\"00:00\"",
        "2024-09-18T14:10:00Z",
        "2024-09-19T01:00:00+02:00",
        "2024-09-18T14:10:00",
        "\"24:00\"",
        "noon",
        "~",
    ])
    .prop_map(str::to_string)
}

/// Well-formed optional fields with values that are right or nearly right, so the
/// record decodes and the validator's checks run.
fn plausible_field() -> impl Strategy<Value = String> {
    let word = || {
        prop::sample::select(vec![
            "a",
            "B",
            "api-gateway",
            "payments",
            "Pool",
            "pool",
            "INC-1",
            "INC-2",
            "inc-1",
            "x y",
        ])
    };
    let date = || {
        prop::sample::select(vec![
            "2025-01-14",
            "2025-01-15",
            "2025-01-16",
            "2024-02-29",
            "2025-13-01",
            "soon",
        ])
    };
    prop_oneof![
        (
            prop::sample::select(vec![
                "started",
                "detected",
                "acknowledged",
                "mitigated",
                "resolved"
            ]),
            time()
        )
            .prop_map(|(k, t)| format!("{k}: {t}\n")),
        prop::collection::vec(
            (
                time(),
                "[ -~]{0,20}",
                prop::sample::select(vec!["detection", "other", "nope"])
            ),
            0..5
        )
        .prop_map(|entries| {
            let items: String = entries
                .iter()
                .map(|(t, e, k)| {
                    format!(
                        "  - at: {t}\n    event: \"{}\"\n    kind: {k}\n",
                        e.replace(['"', '\\'], "")
                    )
                })
                .collect();
            format!("timeline:\n{items}")
        }),
        prop::collection::vec(
            (
                prop::sample::select(vec!["AI-1", "AI-2", "~"]),
                word(),
                prop::option::of(word()),
                prop::option::of(date()),
                prop::sample::select(vec!["open", "in-progress", "done", "wont-do", "opne"])
            ),
            0..5,
        )
        .prop_map(|items| {
            let items: String = items
                .iter()
                .map(|(id, title, owner, due, status)| {
                    let mut item =
                        format!("  - id: {id}\n    title: {title}\n    status: {status}\n");
                    if let Some(owner) = owner {
                        item.push_str(&format!("    owner: {owner}\n"));
                    }
                    if let Some(due) = due {
                        item.push_str(&format!("    due: {due}\n"));
                    }
                    item
                })
                .collect();
            format!("action_items:\n{items}")
        }),
        (
            prop::sample::select(vec!["related", "services", "tags", "authors"]),
            prop::collection::vec(word(), 0..4)
        )
            .prop_map(|(k, v)| format!("{k}: [{}]\n", v.join(", "))),
        prop::sample::select(vec![
            "review: approved\n",
            "review: draft\n",
            "visibility: internal\n",
            "summary: >\n  folded\n  text\n"
        ])
        .prop_map(str::to_string),
    ]
}

/// A whole record file: maybe a BOM, usually the required fields, plausible and
/// grammar-made front matter, a body, and maybe CRLF line ends.
fn record_text() -> impl Strategy<Value = (String, bool)> {
    (
        (
            any::<bool>(),
            prop::sample::select(vec!["investigating", "resolved", "Resolved"]),
        ),
        prop::collection::vec(plausible_field(), 0..6),
        prop::collection::vec((key(), node()), 0..4),
        prop::sample::select(vec![
            "---\n",
            "---\n",
            "---\n",
            "...\n",
            "--- \n",
            "",
            "---\n---\n",
        ]),
        body(),
        (any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |((required, status), plausible, entries, close, body, (bom, crlf, yaml_record))| {
                let mut front = String::new();
                if required {
                    front.push_str(&format!(
                    "id: INC-1\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV2\nstatus: {status}\n"
                ));
                }
                front.push_str(&plausible.concat());
                for (k, v) in entries {
                    front.push_str(&format!("{k}: {}\n", v.replace('\n', "\n  ")));
                }
                let mut text = if yaml_record {
                    format!("{front}body: |\n  {}", body.replace('\n', "\n  "))
                } else {
                    format!("---\n{front}{close}{body}")
                };
                if crlf {
                    text = text.replace('\n', "\r\n");
                }
                if bom {
                    text.insert(0, '\u{feff}');
                }
                (text, yaml_record)
            },
        )
}

/// A valid record with every field, for the mutation test.
fn full_record() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("content/incidents/2024-11-27-pool-config/index.md"),
    )
    .expect("demo record")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        load_and_validate("a.md", &bytes);
        load_and_validate("a.yaml", &bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        load_and_validate("a.md", format!("---\n{text}").as_bytes());
        load_and_validate("a.yaml", text.as_bytes());
    }

    #[test]
    fn yaml_ish_records_never_panic((text, yaml_record) in record_text()) {
        let name = if yaml_record { "a.yml" } else { "a.md" };
        load_and_validate(name, text.as_bytes());
    }

    #[test]
    fn mutated_records_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..8)
    ) {
        let mut bytes = full_record().into_bytes();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len() + 1);
            match op {
                0 => bytes.insert(i, byte),
                1 if i < bytes.len() => { bytes.remove(i); }
                _ if i < bytes.len() => bytes[i] = byte,
                _ => bytes.push(byte),
            }
        }
        load_and_validate("a.md", &bytes);
    }

    #[test]
    fn arbitrary_site_toml_never_panics(text in "\\PC{0,300}") {
        let (_, diags) = SiteConfig::parse(Source::new("site.toml", text));
        assert_findings_inside(&diags);
    }

    #[test]
    fn toml_ish_site_toml_never_panics(
        lines in prop::collection::vec(
            (
                prop::sample::select(vec![
                    "title", "base_url", "timezone", "currency", "default_visibility",
                    "priorities", "statuses", "required_sections", "output_dir", "theme",
                    "trusted_html", "repository_url", "[severities]", "[services]", "[rules]",
                    "[similar]", "count", "text_weight", "SEV1", "blame-language", "x",
                ]),
                prop::sample::select(vec![
                    "\"UTC\"", "\"Mars/Olympus\"", "5", "-1", "1e400", "true", "[\"a\", \"a\"]",
                    "[1, 2]", "{ description = \"d\", color = \"#zzz\" }", "\"off\"", "\"loud\"",
                    "\"/\"", "\"../x\"", "\"\"", "[]", "{}", "nan", "2024-01-01",
                ]),
            ),
            0..12,
        )
    ) {
        let text: String = lines
            .iter()
            .map(|(k, v)| if k.starts_with('[') { format!("{k}\n") } else { format!("{k} = {v}\n") })
            .collect();
        let (_, diags) = SiteConfig::parse(Source::new("site.toml", text));
        assert_findings_inside(&diags);
    }
}
