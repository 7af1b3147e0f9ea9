//! `casebook check` on real files: every defect the record format names is written
//! into a temporary archive, the real binary runs with `--format json`, and the test
//! asserts the finding's rule, level, line and column (and its wording where the
//! contract promises allowed values or a "did you mean").

mod common;

use common::{locate, valid_record, Finding, TestArchive, SITE_TOML};

/// The first lines of a valid record; `extra` lines start at line 7.
const HEAD: &str = "---\nid: INC-1\ntitle: Pool exhaustion\ndate: 2024-09-18\nseverity: SEV2\nstatus: investigating\n";

/// A `.md` record: [`HEAD`], then `extra` front matter, then `body`.
fn md(extra: &str, body: &str) -> String {
    format!("{HEAD}{extra}---\n{body}")
}

/// Asserts a finding's rule, level and place, with the whole run in the message.
#[track_caller]
fn assert_finding(finding: &Finding, rule: &str, level: &str, file: &str, at: (usize, usize)) {
    let want = format!("{file}:{}:{}", at.0, at.1);
    assert!(
        finding.rule == rule && finding.level == level && finding.at() == want,
        "expected {level} `{rule}` at {want}, got {finding:#?}"
    );
}

const A: &str = "content/incidents/a.md";

/// Checks an archive with one record `a.md` and returns the run.
fn check_one(text: &str) -> common::Run {
    let archive = TestArchive::new();
    archive.record("a.md", text);
    archive.check(&[])
}

// ---- Errors: reading the file ------------------------------------------------------

#[test]
fn yaml_that_does_not_parse() {
    let text = md("owner: x: y\n", "");
    let run = check_one(&text);
    let found = run.one("yaml-syntax");
    // The second `:`, the character that cannot be there, with the fix.
    assert_finding(found, "yaml-syntax", "error", A, (7, 9));
    assert_eq!(found.code, "CB0102");
    assert!(found.message.contains("`owner`"), "{}", found.message);
    assert_eq!(
        found.help.as_deref(),
        Some("put the whole value in quotes: `owner: \"x: y\"`")
    );
    assert_eq!(run.code, 1);
}

#[test]
fn front_matter_that_is_not_a_mapping() {
    let run = check_one("---\n- id: INC-1\n- title: x\n---\nBody\n");
    let found = run.one("front-matter");
    assert_finding(found, "front-matter", "error", A, (2, 1));
    assert!(found.message.contains("found a list"), "{}", found.message);
}

#[test]
fn scalar_front_matter_is_not_a_mapping() {
    let run = check_one("---\njust words\n---\n");
    assert_finding(run.one("front-matter"), "front-matter", "error", A, (2, 1));
}

#[test]
fn file_that_is_not_utf8() {
    let mut bytes = md("", "\nThe caf").into_bytes();
    bytes.extend_from_slice(b"\xE9 was closed.\n");
    let archive = TestArchive::new();
    archive.record("a.md", &bytes);
    let run = archive.check(&[]);
    let found = run.one("not-utf8");
    // Line 9 is `The caf\xE9 ...`: the bad byte is the 8th character.
    assert_finding(found, "not-utf8", "error", A, (9, 8));
    assert!(found.message.contains("0xE9"), "{}", found.message);
    assert_eq!(run.findings.len(), 1, "{run}");
}

#[test]
fn empty_file() {
    let run = check_one("");
    let found = run.one("front-matter");
    assert_finding(found, "front-matter", "error", A, (1, 1));
    assert!(found.message.contains("empty"), "{}", found.message);
    assert_eq!(run.code, 1);
}

#[test]
fn whitespace_only_file_is_empty() {
    let run = check_one("  \n\n\t\n");
    assert!(run.one("front-matter").message.contains("empty"), "{run}");
}

#[test]
fn markdown_without_front_matter() {
    let run = check_one("# Pool exhaustion\n\nNo front matter here.\n");
    let found = run.one("front-matter");
    assert_finding(found, "front-matter", "error", A, (1, 1));
    assert!(found.message.contains("`---`"), "{}", found.message);
}

#[test]
fn front_matter_never_closed() {
    let run = check_one("---\nid: INC-1\ntitle: x\n");
    let found = run.one("front-matter");
    assert!(found.message.contains("never closed"), "{}", found.message);
}

#[test]
fn empty_front_matter() {
    let run = check_one("---\n---\nBody\n");
    assert_finding(run.one("front-matter"), "front-matter", "error", A, (1, 1));
}

#[test]
fn duplicate_yaml_key() {
    let text = md("title: Again\n", "");
    let run = check_one(&text);
    let found = run.one("duplicate-key");
    assert_finding(found, "duplicate-key", "error", A, (7, 1));
    assert!(found.message.contains("`title`"), "{}", found.message);
}

#[test]
fn duplicate_key_in_a_nested_mapping() {
    let text = md("impact:\n  users: 10\n  users: 20\n", "");
    let run = check_one(&text);
    assert_finding(
        run.one("duplicate-key"),
        "duplicate-key",
        "error",
        A,
        (9, 3),
    );
}

// ---- Errors: fields --------------------------------------------------------------

#[test]
fn missing_required_field() {
    let text = "---\nid: INC-1\ntitle: Pool\ndate: 2024-09-18\nstatus: investigating\n---\n";
    let run = check_one(text);
    let found = run.one("missing-field");
    // No key to point at: the finding points at the start of the front matter's mapping.
    assert_finding(found, "missing-field", "error", A, (2, 1));
    assert!(found.message.contains("`severity`"), "{}", found.message);
}

#[test]
fn every_missing_required_field_is_reported() {
    let run = check_one("---\nsummary: only this\n---\n");
    let mut missing: Vec<&str> = run
        .of("missing-field")
        .iter()
        .map(|f| f.message.split('`').nth(1).expect("a quoted name"))
        .collect();
    missing.sort_unstable();
    assert_eq!(
        missing,
        ["date", "id", "severity", "status", "title"],
        "{run}"
    );
}

#[test]
fn field_of_the_wrong_type() {
    let text = md(
        "tags: database\nimpact:\n  users: many\n  data_loss: maybe\n",
        "",
    );
    let run = check_one(&text);
    let found = run.of("wrong-type");
    assert_eq!(found.len(), 3, "{run}");
    assert_finding(found[0], "wrong-type", "error", A, (7, 7));
    assert!(
        found[0].message.contains("`tags` must be a list"),
        "{}",
        found[0].message
    );
    assert_finding(found[1], "wrong-type", "error", A, (9, 10));
    assert!(
        found[1].message.contains("found a string"),
        "{}",
        found[1].message
    );
    assert_finding(found[2], "wrong-type", "error", A, (10, 14));
}

#[test]
fn title_that_is_a_list() {
    let text = "---\nid: INC-1\ntitle: [a, b]\ndate: 2024-09-18\nseverity: SEV2\nstatus: investigating\n---\n";
    let run = check_one(text);
    let found = run.one("wrong-type");
    assert_finding(found, "wrong-type", "error", A, (3, 8));
    assert!(found.message.contains("found a list"), "{}", found.message);
}

#[test]
fn malformed_date() {
    let text = "---\nid: INC-1\ntitle: Pool\ndate: 18.09.2024\nseverity: SEV2\nstatus: investigating\ntimeline:\n  - at: \"14:23\"\n    event: Alert\n---\n";
    let run = check_one(text);
    let found = run.one("invalid-value");
    assert_finding(found, "invalid-value", "error", A, (4, 7));
    assert!(found.message.contains("18.09.2024"), "{}", found.message);
    // The bare time cannot be placed without a date, but that is the same mistake.
    assert_eq!(run.findings.len(), 1, "{run}");
}

#[test]
fn value_outside_its_set_names_allowed_values_and_nearest() {
    let text = "---\nid: INC-1\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV9\nstatus: resovled\nreview: aproved\n---\n";
    let run = check_one(text);
    let found = run.of("invalid-value");
    assert_eq!(found.len(), 3, "{run}");
    assert_finding(found[0], "invalid-value", "error", A, (5, 11));
    assert!(
        found[0].message.contains("`SEV9`")
            && found[0].message.contains("`SEV1`, `SEV2` or `SEV3`"),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].help.as_deref(), Some("did you mean `SEV1`?"));
    assert_finding(found[1], "invalid-value", "error", A, (6, 9));
    assert!(
        found[1]
            .message
            .contains("`investigating`, `identified`, `monitoring` or `resolved`"),
        "{}",
        found[1].message
    );
    assert_eq!(found[1].help.as_deref(), Some("did you mean `resolved`?"));
    assert_finding(found[2], "invalid-value", "error", A, (7, 9));
    assert_eq!(found[2].help.as_deref(), Some("did you mean `approved`?"));
}

#[test]
fn nested_values_outside_their_sets() {
    let text = md(
        "timeline:\n  - at: \"14:23\"\n    event: Alert\n    kind: detecton\naction_items:\n  - title: Fix\n    owner: team\n    due: 2025-06-01\n    priority: P7\n    status: opne\n",
        "",
    );
    let run = check_one(&text);
    let found = run.of("invalid-value");
    assert_eq!(found.len(), 3, "{run}");
    // Timeline kind, action-item priority, action-item status.
    assert_finding(found[0], "invalid-value", "error", A, (10, 11));
    assert!(
        found[0].message.contains("`detection`, `escalation`"),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].help.as_deref(), Some("did you mean `detection`?"));
    assert_finding(found[1], "invalid-value", "error", A, (15, 15));
    assert!(
        found[1].message.contains("`P0`, `P1`, `P2` or `P3`"),
        "{}",
        found[1].message
    );
    assert_finding(found[2], "invalid-value", "error", A, (16, 13));
    assert!(
        found[2]
            .message
            .contains("`open`, `in-progress`, `done` or `wont-do`"),
        "{}",
        found[2].message
    );
    assert_eq!(found[2].help.as_deref(), Some("did you mean `open`?"));
}

#[test]
fn priorities_and_statuses_come_from_site_toml() {
    let config = SITE_TOML.replace(
        "required_sections",
        "priorities = [\"high\", \"low\"]\nstatuses = [\"open\", \"closed\"]\nrequired_sections",
    );
    let archive = TestArchive::with_config(&config);
    let text = "---\nid: INC-1\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV2\nstatus: investigating\nresolved: \"15:00\"\naction_items:\n  - title: Fix\n    priority: P1\n---\n";
    archive.record("a.md", text);
    let run = archive.check(&[]);
    let found = run.of("invalid-value");
    assert_eq!(found.len(), 2, "{run}");
    assert!(
        found[0].message.contains("`open` or `closed`"),
        "{}",
        found[0].message
    );
    assert!(
        found[1].message.contains("`high` or `low`"),
        "{}",
        found[1].message
    );
}

/// The spec asks a `resolved` timestamp of `status: resolved` only. A site may add a
/// status after it (`closed` for incidents whose end nobody recorded) without every
/// such record becoming an error, and `resolved` keeps its demand.
#[test]
fn only_status_resolved_needs_a_resolved_timestamp() {
    let config = SITE_TOML.replace(
        "required_sections",
        "statuses = [\"investigating\", \"resolved\", \"closed\"]\nrequired_sections",
    );
    let archive = TestArchive::with_config(&config);
    let record = |id: &str, status: &str| {
        format!(
            "---\nid: {id}\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV2\nstatus: {status}\n---\n"
        )
    };
    archive.record("a.md", record("INC-1", "closed"));
    archive.record("b.md", record("INC-2", "resolved"));
    let run = archive.check(&[]);
    let found = run.of("missing-resolved");
    assert_eq!(found.len(), 1, "{run}");
    assert!(
        found[0]
            .file
            .as_deref()
            .is_some_and(|f| f.ends_with("b.md")),
        "{run}"
    );
    assert_eq!(
        (found[0].line, found[0].column),
        (Some(6), Some(9)),
        "{run}"
    );
}

#[test]
fn malformed_timestamp() {
    let text = md("started: yesterday afternoon\ndetected: \"25:99\"\n", "");
    let run = check_one(&text);
    let found = run.of("invalid-value");
    assert_eq!(found.len(), 2, "{run}");
    assert_finding(found[0], "invalid-value", "error", A, (7, 10));
    assert_finding(found[1], "invalid-value", "error", A, (8, 11));
}

// ---- Errors: ids -----------------------------------------------------------------

#[test]
fn duplicate_ids_name_both_files() {
    let archive = TestArchive::new();
    archive.record("a.md", valid_record("INC-7", "2024-09-18"));
    archive.record("b.md", valid_record("INC-7", "2024-10-01"));
    let run = archive.check(&[]);
    let found = run.one("duplicate-id");
    assert_finding(
        found,
        "duplicate-id",
        "error",
        "content/incidents/b.md",
        (2, 5),
    );
    assert!(found.message.contains(A), "{}", found.message);
    assert_eq!(run.code, 1);
}

#[test]
fn ids_that_differ_only_in_case() {
    let archive = TestArchive::new();
    archive.record("a.md", valid_record("INC-7", "2024-09-18"));
    archive.record("b.md", valid_record("inc-7", "2024-10-01"));
    let run = archive.check(&[]);
    let found = run.one("duplicate-id");
    assert_finding(
        found,
        "duplicate-id",
        "error",
        "content/incidents/b.md",
        (2, 5),
    );
    assert!(
        found.message.contains("letter case") && found.message.contains(A),
        "{}",
        found.message
    );
}

#[test]
fn dot_ids_are_refused() {
    for id in [".", ".."] {
        let run = check_one(&valid_record(id, "2024-09-18"));
        let found = run.one("invalid-value");
        assert_finding(found, "invalid-value", "error", A, (2, 5));
        assert!(
            found.message.contains(&format!("id `{id}` is not allowed")),
            "{}",
            found.message
        );
    }
}

#[test]
fn id_with_other_characters() {
    let run = check_one(&valid_record("INC 7/a", "2024-09-18"));
    assert_finding(
        run.one("invalid-value"),
        "invalid-value",
        "error",
        A,
        (2, 5),
    );
}

#[test]
fn related_naming_an_unknown_id_suggests_the_nearest() {
    let archive = TestArchive::new();
    archive.record("a.md", md("related: [INC-2024-0918, INC-1]\n", ""));
    archive.record("b.md", valid_record("INC-2024-0198", "2024-01-01"));
    let run = archive.check(&[]);
    let found = run.one("unknown-related");
    assert_finding(found, "unknown-related", "error", A, (7, 11));
    assert!(
        found.message.contains("`INC-2024-0918`"),
        "{}",
        found.message
    );
    assert_eq!(found.help.as_deref(), Some("did you mean `INC-2024-0198`?"));
}

#[test]
fn unknown_related_never_suggests_the_records_own_id() {
    let archive = TestArchive::new();
    let own = "---\nid: INC-2024-0918\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV2\n\
               status: investigating\nrelated: [INC-2024-0981]\n---\n";
    archive.record("a.md", own);
    archive.record("b.md", valid_record("PM-7", "2024-01-01"));
    let run = archive.check(&[]);
    let found = run.one("unknown-related");
    assert_finding(found, "unknown-related", "error", A, (7, 11));
    assert_eq!(found.help, None, "{run}");

    archive.record("b.md", valid_record("INC-2024-0982", "2024-01-01"));
    let run = archive.check(&[]);
    let found = run.one("unknown-related");
    assert_eq!(found.help.as_deref(), Some("did you mean `INC-2024-0982`?"));
}

#[test]
fn a_record_naming_itself_in_related_is_a_warning() {
    let archive = TestArchive::new();
    archive.record("a.md", md("related: [INC-2, INC-1]\n", ""));
    archive.record("b.md", valid_record("INC-2", "2024-01-01"));
    let run = archive.check(&[]);
    assert_eq!(run.code, 0, "a warning does not fail the check: {run}");
    assert_eq!(run.findings.len(), 1, "{run}");
    let found = run.one("self-related");
    assert_finding(found, "self-related", "warning", A, (7, 18));
    assert_eq!(found.code, "CB0209");
    assert!(found.message.contains("`INC-1`"), "{}", found.message);
    assert!(found.help.is_some(), "{run}");
    assert_eq!(archive.check(&["--deny", "warnings"]).code, 1);
}

#[test]
fn two_action_items_with_one_id() {
    let text = md(
        "action_items:\n  - id: AI-1\n    title: One\n    status: done\n  - id: AI-1\n    title: Two\n    status: done\n",
        "",
    );
    let run = check_one(&text);
    let found = run.one("duplicate-action-id");
    assert_finding(found, "duplicate-action-id", "error", A, (11, 9));
    assert!(found.message.contains("`AI-1`"), "{}", found.message);
}

// ---- Errors: time ----------------------------------------------------------------

#[test]
fn detected_before_started_points_at_detected() {
    let text = md(
        "started: 2024-09-18T14:10:00Z\ndetected: 2024-09-18T14:05:00Z\n",
        "",
    );
    let run = check_one(&text);
    let found = run.one("timestamp-order");
    assert_finding(found, "timestamp-order", "error", A, (8, 11));
    assert!(
        found.message.contains("`detected`") && found.message.contains("`started`"),
        "{}",
        found.message
    );
}

#[test]
fn detected_before_started_points_at_detected_whatever_the_key_order() {
    let text = md("detected: \"14:05\"\nstarted: \"14:10\"\n", "");
    let run = check_one(&text);
    assert_finding(
        run.one("timestamp-order"),
        "timestamp-order",
        "error",
        A,
        (7, 11),
    );
}

#[test]
fn every_moment_must_follow_started() {
    let text = md(
        "started: \"14:10\"\ndetected: \"14:11\"\nacknowledged: \"14:00\"\nmitigated: \"14:01\"\n",
        "",
    );
    let run = check_one(&text);
    let found = run.of("timestamp-order");
    assert_eq!(found.len(), 2, "{run}");
    assert_finding(found[0], "timestamp-order", "error", A, (9, 15));
    assert_finding(found[1], "timestamp-order", "error", A, (10, 12));
}

#[test]
fn resolved_before_detected() {
    let text = md("detected: \"14:20\"\nresolved: \"14:10\"\n", "");
    let run = check_one(&text);
    let found = run.one("timestamp-order");
    assert_finding(found, "timestamp-order", "error", A, (8, 11));
    assert!(found.message.starts_with("`resolved`"), "{}", found.message);
}

#[test]
fn mitigated_after_resolved_points_at_resolved() {
    let text = md("mitigated: \"15:10\"\nresolved: \"15:05\"\n", "");
    let run = check_one(&text);
    let found = run.one("timestamp-order");
    assert_finding(found, "timestamp-order", "error", A, (8, 11));
    assert!(
        found.message.starts_with("`resolved`") && found.message.contains("`mitigated`"),
        "{}",
        found.message
    );
    assert_eq!(run.code, 1);
}

#[test]
fn ordered_moments_are_clean() {
    let text = md(
        "started: \"14:10\"\ndetected: \"14:23\"\nacknowledged: \"14:24\"\nmitigated: 2024-09-18T15:05:00Z\nresolved: 2024-09-18T17:10:00+02:00\n",
        "",
    );
    check_one(&text).assert_clean();
}

#[test]
fn resolved_status_without_resolved_timestamp() {
    let text =
        "---\nid: INC-1\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV2\nstatus: resolved\n---\n";
    let run = check_one(text);
    let found = run.one("missing-resolved");
    assert_finding(found, "missing-resolved", "error", A, (6, 9));
    assert_eq!(run.code, 1);
}

#[test]
fn bare_time_is_read_in_the_site_timezone() {
    let berlin = TestArchive::with_config(
        &SITE_TOML.replace("timezone = \"UTC\"", "timezone = \"Europe/Berlin\""),
    );
    // 14:10 in Berlin (summer time) is 12:10 UTC: after a 12:05 UTC detection...
    berlin.record(
        "a.md",
        md("started: \"14:10\"\ndetected: 2024-09-18T12:05:00Z\n", ""),
    );
    let run = berlin.check(&[]);
    let found = run.one("timestamp-order");
    assert_finding(found, "timestamp-order", "error", A, (8, 11));
    assert!(
        found.message.contains("2024-09-18T12:10:00Z"),
        "{}",
        found.message
    );
    // ...and before a 12:15 UTC one, which in a UTC archive would come first.
    let text = md("started: \"14:10\"\ndetected: 2024-09-18T12:15:00Z\n", "");
    berlin.record("a.md", &text);
    berlin.check(&[]).assert_clean();
    let utc = check_one(&text);
    assert!(
        utc.one("timestamp-order")
            .message
            .contains("2024-09-18T14:10:00Z"),
        "{utc}"
    );
}

#[test]
fn timestamp_without_offset_is_in_the_site_timezone() {
    let text = md(
        "started: 2024-09-18T14:10:00\ndetected: 2024-09-18T12:05:00Z\n",
        "",
    );
    let config = SITE_TOML.replace("timezone = \"UTC\"", "timezone = \"Europe/Berlin\"");
    let archive = TestArchive::with_config(&config);
    archive.record("a.md", &text);
    let run = archive.check(&[]);
    assert_finding(
        run.one("timestamp-order"),
        "timestamp-order",
        "error",
        A,
        (8, 11),
    );
}

#[test]
fn unquoted_bare_time_is_a_string_not_sexagesimal() {
    // YAML 1.1 would read 14:23 as 863; casebook reads YAML 1.2 core.
    let text = md("started: 14:10\ndetected: 14:23\n", "");
    check_one(&text).assert_clean();
    let reversed = md("started: 14:23\ndetected: 14:10\n", "");
    assert_finding(
        check_one(&reversed).one("timestamp-order"),
        "timestamp-order",
        "error",
        A,
        (8, 11),
    );
}

// ---- Errors: services, slugs, assets ----------------------------------------------

#[test]
fn service_not_in_the_catalog() {
    let text = md("services: [api-gateway, user-servise]\n", "");
    let run = check_one(&text);
    let found = run.one("unknown-service");
    assert_finding(found, "unknown-service", "error", A, (7, 25));
    assert!(
        found.message.contains("`user-servise`"),
        "{}",
        found.message
    );
    assert_eq!(
        found.help.as_deref(),
        Some("did you mean `user-service`? If `user-servise` is a new service, add it to site.toml's [services]")
    );
}

#[test]
fn a_service_like_none_in_the_catalog_says_where_to_add_it() {
    let run = check_one(&md("services: [billing]\n", ""));
    let found = run.one("unknown-service");
    assert_finding(found, "unknown-service", "error", A, (7, 12));
    assert_eq!(
        found.help.as_deref(),
        Some("add `billing` to site.toml's [services], or fix the name to one listed there")
    );
}

#[test]
fn any_service_is_fine_without_a_catalog() {
    let config = SITE_TOML
        .split("[services]")
        .next()
        .expect("site.toml head")
        .to_string();
    let archive = TestArchive::with_config(&config);
    archive.record("a.md", md("services: [anything-at-all]\n", ""));
    archive.check(&[]).assert_clean();
}

#[test]
fn tags_whose_slugs_collide_across_records() {
    let archive = TestArchive::new();
    archive.record("a.md", md("tags: [connection-pool]\n", ""));
    archive.record(
        "b.md",
        valid_record("INC-2", "2024-10-01").replace(
            "status: investigating\n",
            "status: investigating\ntags: [Connection Pool]\n",
        ),
    );
    let run = archive.check(&[]);
    let found = run.one("slug-collision");
    assert_eq!(found.level, "error");
    // The older record's spelling comes first; the newer one is reported and names it.
    assert_eq!(found.at(), "content/incidents/b.md:7:8", "{run}");
    assert!(
        found.message.contains("`Connection Pool`")
            && found.message.contains("`connection-pool`")
            && found.message.contains(A),
        "{}",
        found.message
    );
}

#[test]
fn services_whose_slugs_collide() {
    let config = SITE_TOML.replace(
        "payments = \"Card payments\"",
        "payments = \"Card payments\"\nAPI_Gateway = \"The same, misspelt\"",
    );
    let archive = TestArchive::with_config(&config);
    archive.record("a.md", md("services: [api-gateway, API_Gateway]\n", ""));
    let run = archive.check(&[]);
    let found = run.one("slug-collision");
    assert_finding(found, "slug-collision", "error", A, (7, 25));
    assert!(
        found.message.contains("in this record"),
        "{}",
        found.message
    );
}

#[test]
fn missing_bundle_asset() {
    let archive = TestArchive::new();
    let body = "\n## Summary\n\n![pool usage](pool-usage.png)\n\n[log](error.log)\n";
    archive.record("2024-09-18-pool/index.md", md("", body));
    archive.record("2024-09-18-pool/error.log", "log\n");
    let run = archive.check(&[]);
    let found = run.one("missing-asset");
    assert_finding(
        found,
        "missing-asset",
        "error",
        "content/incidents/2024-09-18-pool/index.md",
        (11, 1),
    );
    assert!(
        found.message.contains("pool-usage.png"),
        "{}",
        found.message
    );
}

#[test]
fn asset_names_with_spaces_and_anchors() {
    let archive = TestArchive::new();
    let body =
        "\n[log](my%20error.log#L10) and [top](#summary) and [site](https://example.com/x.png)\n";
    archive.record("b/index.md", md("", body));
    archive.record("b/my error.log", "log\n");
    archive.check(&[]).assert_clean();
}

#[test]
fn relative_link_leaving_the_archive() {
    let body = "\nSee [passwd](../../../etc/passwd) and [config](../../site.toml).\n";
    let run = check_one(&md("", body));
    let found = run.one("missing-asset");
    assert_finding(found, "missing-asset", "error", A, (9, 5));
    assert!(
        found.message.contains("leaves the archive"),
        "{}",
        found.message
    );
}

// ---- Symlinks ------------------------------------------------------------------

const SECRET: &str = "SECRET-7f3a9c-DO-NOT-PRINT";

/// A folder outside the archive holding files that must never be read.
fn outside_secrets() -> tempfile::TempDir {
    let outside = tempfile::tempdir().expect("temp dir");
    let record = format!(
        "---\nid: {SECRET}\ntitle: {SECRET}\ndate: {SECRET}\nseverity: {SECRET}\nstatus: {SECRET}\n---\n{SECRET}\n"
    );
    std::fs::write(outside.path().join("secret.md"), &record).expect("write");
    std::fs::write(outside.path().join("secret.txt"), SECRET).expect("write");
    std::fs::create_dir(outside.path().join("bundle")).expect("mkdir");
    std::fs::write(outside.path().join("bundle/index.md"), &record).expect("write");
    outside
}

#[test]
fn symlinks_pointing_outside_are_reported_and_never_followed() {
    use std::os::unix::fs::symlink;
    let outside = outside_secrets();
    let archive = TestArchive::new();
    let incidents = archive.path("content/incidents");
    symlink(
        outside.path().join("secret.md"),
        incidents.join("linked.md"),
    )
    .expect("symlink");
    symlink(
        outside.path().join("bundle"),
        incidents.join("linked-bundle"),
    )
    .expect("symlink");
    archive.record("a.md", valid_record("INC-1", "2024-09-18"));

    let run = archive.check(&[]);
    let found = run.of("symlink-outside");
    assert_eq!(found.len(), 2, "{run}");
    assert_eq!(
        found[0].file.as_deref(),
        Some("content/incidents/linked-bundle")
    );
    assert_eq!(
        found[1].file.as_deref(),
        Some("content/incidents/linked.md")
    );
    assert!(found.iter().all(|f| f.level == "error"));
    assert_eq!(run.findings.len(), 2, "{run}");
    assert_eq!(run.code, 1);
    for format in ["human", "json", "github"] {
        let output = archive.run(&["check", "--format", format, "--today", common::TODAY]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !all.contains(SECRET),
            "{format} output shows the secret:\n{all}"
        );
        assert!(
            all.contains("linked.md"),
            "{format} output misses the symlink:\n{all}"
        );
    }
}

#[test]
fn asset_links_through_symlinks_outside_are_reported() {
    use std::os::unix::fs::symlink;
    let outside = outside_secrets();
    let archive = TestArchive::new();
    let body = "\n[a](secret.txt) [b](out/secret.txt) [c](inside.txt)\n";
    archive.record("b/index.md", md("", body));
    archive.record("b/real.txt", "fine\n");
    let bundle = archive.path("content/incidents/b");
    symlink(outside.path().join("secret.txt"), bundle.join("secret.txt")).expect("symlink");
    symlink(outside.path(), bundle.join("out")).expect("symlink");
    symlink(bundle.join("real.txt"), bundle.join("inside.txt")).expect("symlink");

    let run = archive.check(&[]);
    let found = run.of("missing-asset");
    assert_eq!(found.len(), 2, "{run}");
    let file = "content/incidents/b/index.md";
    assert_finding(found[0], "missing-asset", "error", file, (9, 1));
    assert_finding(found[1], "missing-asset", "error", file, (9, 17));
    assert!(
        found
            .iter()
            .all(|f| f.message.contains("outside the archive")),
        "{run}"
    );
    assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET));
}

#[test]
fn symlinks_inside_the_archive_are_read() {
    use std::os::unix::fs::symlink;
    let archive = TestArchive::new();
    archive.write("shared/kept.md", valid_record("INC-9", "2024-09-18"));
    symlink(
        archive.path("shared/kept.md"),
        archive.path("content/incidents/kept.md"),
    )
    .expect("symlink");
    let run = archive.check(&[]);
    run.assert_clean();
    assert!(run.stderr.contains("checked 1 record:"), "{}", run.stderr);
}

#[test]
fn a_named_pipe_is_not_read() {
    let archive = TestArchive::new();
    let status = std::process::Command::new("mkfifo")
        .arg(archive.path("content/incidents/pipe.md"))
        .status()
        .expect("run mkfifo");
    assert!(status.success());
    archive.record("a.md", valid_record("INC-1", "2024-09-18"));
    // Reading the pipe would block forever; the run finishes and sees one record.
    let run = archive.check(&[]);
    run.assert_clean();
    assert!(run.stderr.contains("checked 1 record:"), "{}", run.stderr);
}

/// An archive whose `[rules]` turn `front-matter` off, so only another rule can
/// report a file that cannot be read.
fn front_matter_off() -> TestArchive {
    TestArchive::with_config(&format!("{SITE_TOML}\n[rules]\nfront-matter = \"off\"\n"))
}

/// A record file and a folder that even root cannot read: their paths are longer
/// than the system allows (`ENAMETOOLONG`), though the folder that lists them is
/// not. Turning `front-matter` off must not hide them.
#[test]
fn files_that_cannot_be_read_have_their_own_rule() {
    let archive = front_matter_off();
    let mut deep = archive.path("content/incidents");
    let segment = "d".repeat(200);
    // Long enough that a name of 240 bytes more passes the limit of 4096, short
    // enough to be opened itself.
    while deep.as_os_str().len() < 3860 {
        deep.push(&segment);
    }
    std::fs::create_dir_all(&deep).expect("create deep folders");
    let long = format!("{}.md", "r".repeat(240));
    let sub = "s".repeat(240);
    // Only paths relative to the deep folder are short enough to create them.
    let status = std::process::Command::new("sh")
        .current_dir(&deep)
        .args([
            "-c",
            "printf '%s' \"$1\" > \"$2\" && mkdir \"$3\" && printf '%s' \"$1\" > \"$3/a.md\"",
        ])
        .args(["sh", &valid_record("INC-2", "2024-09-19"), &long, &sub])
        .status()
        .expect("run sh");
    assert!(status.success());
    archive.record("a.md", valid_record("INC-1", "2024-09-18"));

    let run = archive.check(&[]);
    let found = run.of("unreadable-file");
    assert_eq!(found.len(), 2, "{run}");
    assert!(found.iter().all(|f| f.level == "error"), "{run}");
    let files: Vec<&str> = found.iter().filter_map(|f| f.file.as_deref()).collect();
    assert!(files.iter().any(|f| f.ends_with(&long)), "{run}");
    assert!(files.iter().any(|f| f.ends_with(&sub)), "{run}");
    assert!(
        found.iter().all(|f| f.message.contains("cannot read")),
        "{run}"
    );
    assert!(run.of("front-matter").is_empty(), "{run}");
    assert_eq!(run.code, 1, "{run}");
}

/// A symlink loop and a symlink to nothing cannot be read either; they are not
/// symlinks out of the archive, and `front-matter = "off"` does not hide them.
#[test]
fn broken_symlinks_cannot_be_read() {
    use std::os::unix::fs::symlink;
    let archive = front_matter_off();
    let incidents = archive.path("content/incidents");
    symlink(incidents.join("loop.md"), incidents.join("loop.md")).expect("symlink");
    symlink(incidents.join("gone.md"), incidents.join("dangling.md")).expect("symlink");
    archive.record("a.md", valid_record("INC-1", "2024-09-18"));

    let run = archive.check(&[]);
    let found = run.of("unreadable-file");
    let files: Vec<&str> = found.iter().filter_map(|f| f.file.as_deref()).collect();
    assert_eq!(
        files,
        ["content/incidents/dangling.md", "content/incidents/loop.md"],
        "{run}"
    );
    assert!(found.iter().all(|f| f.level == "error"), "{run}");
    assert_eq!(run.findings.len(), 2, "{run}");
    assert_eq!(run.code, 1, "{run}");
}

// ---- Warnings --------------------------------------------------------------------

#[test]
fn unknown_key_suggests_the_nearest() {
    let run = check_one(&md("severty: SEV1\ncustom_field: 1\n", ""));
    let found = run.of("unknown-key");
    assert_eq!(found.len(), 2, "{run}");
    assert_finding(found[0], "unknown-key", "warning", A, (7, 1));
    assert!(
        found[0].message.contains("`severty`"),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].help.as_deref(), Some("did you mean `severity`?"));
    assert_finding(found[1], "unknown-key", "warning", A, (8, 1));
    assert_eq!(found[1].help, None);
    assert_eq!(run.code, 0, "warnings alone do not fail");
}

#[test]
fn unknown_nested_keys() {
    let text = md(
        "impact:\n  userz: 5\ntimeline:\n  - at: \"14:23\"\n    event: Alert\n    actr: bot\naction_items:\n  - title: Fix\n    owner: team\n    due: 2025-06-01\n    asignee: me\nlinks:\n  - url: https://example.com\n    titel: x\n",
        "",
    );
    let run = check_one(&text);
    let found = run.of("unknown-key");
    assert_eq!(found.len(), 4, "{run}");
    assert_finding(found[0], "unknown-key", "warning", A, (8, 3));
    assert!(
        found[0].message.contains("in `impact`"),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].help.as_deref(), Some("did you mean `users`?"));
    assert_finding(found[1], "unknown-key", "warning", A, (12, 5));
    assert_eq!(found[1].help.as_deref(), Some("did you mean `actor`?"));
    assert_finding(found[2], "unknown-key", "warning", A, (17, 5));
    assert_finding(found[3], "unknown-key", "warning", A, (20, 5));
    assert_eq!(found[3].help.as_deref(), Some("did you mean `title`?"));
}

#[test]
fn body_is_an_unknown_key_in_markdown_records() {
    let run = check_one(&md("body: text\n", ""));
    assert_finding(run.one("unknown-key"), "unknown-key", "warning", A, (7, 1));
}

#[test]
fn timeline_out_of_order() {
    let text = md(
        "timeline:\n  - at: \"14:23\"\n    event: Alert\n  - at: \"14:10\"\n    event: Deploy\n  - at: 2024-09-18T15:00:00Z\n    event: Fixed\n",
        "",
    );
    let run = check_one(&text);
    let found = run.one("timeline-order");
    assert_finding(found, "timeline-order", "warning", A, (10, 9));
    assert_eq!(run.code, 0);
}

#[test]
fn timeline_crossing_midnight_with_full_timestamps() {
    let text = md(
        "timeline:\n  - at: 2024-09-18T23:50:00Z\n    event: Alert\n  - at: 2024-09-19T00:10:00Z\n    event: Fixed\n",
        "",
    );
    check_one(&text).assert_clean();
}

/// Action items with these `due` dates and statuses, checked on [`common::TODAY`] (2025-01-15).
fn action_items(items: &[(&str, &str)]) -> common::Run {
    let mut yaml = String::from("action_items:\n");
    for (i, (due, status)) in items.iter().enumerate() {
        yaml.push_str(&format!(
            "  - id: AI-{i}\n    title: Item {i}\n    owner: team\n    due: {due}\n    status: {status}\n"
        ));
    }
    check_one(&md(&yaml, ""))
}

#[test]
fn overdue_action_items() {
    let run = action_items(&[
        ("2025-01-14", "open"),
        ("2024-12-01", "in-progress"),
        ("2024-12-01", "done"),
        ("2024-12-01", "wont-do"),
    ]);
    let found = run.of("overdue-action-item");
    assert_eq!(found.len(), 2, "{run}");
    assert_finding(found[0], "overdue-action-item", "warning", A, (11, 10));
    assert!(
        found[0].message.contains("`AI-0`") && found[0].message.contains("1 day ago"),
        "{}",
        found[0].message
    );
    assert_finding(found[1], "overdue-action-item", "warning", A, (16, 10));
    assert!(
        found[1].message.contains("45 days ago"),
        "{}",
        found[1].message
    );
    assert_eq!(run.code, 0);
}

#[test]
fn not_overdue_on_the_due_date_itself() {
    action_items(&[("2025-01-15", "open"), ("2025-01-16", "in-progress")]).assert_clean();
}

#[test]
fn today_comes_from_source_date_epoch() {
    let archive = TestArchive::new();
    archive.record(
        "a.md",
        md(
            "action_items:\n  - title: Fix\n    owner: team\n    due: 2025-01-15\n",
            "",
        ),
    );
    let run_on = |epoch: &str| {
        let output = common::casebook()
            .args(["--root"])
            .arg(archive.root())
            .args(["check", "--format", "json"])
            .env("SOURCE_DATE_EPOCH", epoch)
            .output()
            .expect("run");
        let findings: Vec<Finding> = serde_json::from_slice(&output.stdout).expect("json");
        findings.len()
    };
    // 2025-01-15T12:00:00Z, then 2025-01-16T12:00:00Z.
    assert_eq!(run_on("1736942400"), 0);
    assert_eq!(run_on("1737028800"), 1);
}

#[test]
fn open_items_without_owner_or_due() {
    let text = md(
        "action_items:\n  - title: No owner\n    due: 2025-06-01\n  - title: No due\n    owner: team\n    status: in-progress\n  - title: Neither\n  - title: Done needs nothing\n    status: done\n",
        "",
    );
    let run = check_one(&text);
    let found = run.of("incomplete-action-item");
    assert_eq!(found.len(), 3, "{run}");
    assert_finding(found[0], "incomplete-action-item", "warning", A, (8, 12));
    assert!(
        found[0].message.contains("no owner"),
        "{}",
        found[0].message
    );
    assert_finding(found[1], "incomplete-action-item", "warning", A, (10, 12));
    assert!(
        found[1].message.contains("no due date"),
        "{}",
        found[1].message
    );
    assert_finding(found[2], "incomplete-action-item", "warning", A, (13, 12));
    assert!(
        found[2].message.contains("no owner and no due date"),
        "{}",
        found[2].message
    );
    let helps: Vec<Option<&str>> = found.iter().map(|f| f.help.as_deref()).collect();
    assert_eq!(
        helps,
        [
            Some("add `owner:` (who sees it through) to the item"),
            Some("add `due: YYYY-MM-DD` to the item"),
            Some("add `owner:` (who sees it through) and `due: YYYY-MM-DD` to the item"),
        ]
    );
}

#[test]
fn approved_record_lacking_a_required_section() {
    let text = md(
        "review: approved\n",
        "\n## Summary\n\nWhat happened.\n\n## Timeline\n\nThen.\n",
    );
    let run = check_one(&text);
    let found = run.one("missing-section");
    assert_finding(found, "missing-section", "warning", A, (7, 9));
    assert!(found.message.contains("`Root cause`"), "{}", found.message);
    // The same record in review is not held to the template yet.
    check_one(&text.replace("review: approved", "review: in-review")).assert_clean();
    // Headings match without regard to case.
    check_one(&format!("{text}\n### ROOT CAUSE\n\nWhy.\n")).assert_clean();
}

#[test]
fn blame_wording() {
    let body = "\n## Summary\n\nThe outage was caused by human error.\nA careless deploy.\n\n```\nhuman error inside code is fine\n```\n\nThe `lazy` loader and lazyload are fine too.\n";
    let run = check_one(&md("", body));
    let found = run.of("blame-language");
    assert_eq!(found.len(), 2, "{run}");
    assert_finding(found[0], "blame-language", "warning", A, (11, 26));
    assert!(
        found[0].message.contains("`human error`"),
        "{}",
        found[0].message
    );
    assert_finding(found[1], "blame-language", "warning", A, (12, 3));
    assert!(found[1].help.is_some());
}

#[test]
fn site_toml_turns_blame_wording_off() {
    let body = "\nThe outage was caused by human error.\n";
    let archive =
        TestArchive::with_config(&format!("{SITE_TOML}\n[rules]\nblame-language = \"off\"\n"));
    archive.record("a.md", md("", body));
    archive.check(&[]).assert_clean();
}

#[test]
fn site_toml_changes_rule_levels() {
    let config = format!(
        "{SITE_TOML}\n[rules]\nblame-language = \"error\"\nunknown-key = \"off\"\nunknown-service = \"warning\"\n"
    );
    let archive = TestArchive::with_config(&config);
    archive.record(
        "a.md",
        md("colour: red\nservices: [nope]\n", "\nIt was human error.\n"),
    );
    let run = archive.check(&[]);
    assert!(run.of("unknown-key").is_empty(), "{run}");
    assert_eq!(run.one("blame-language").level, "error");
    assert_eq!(run.one("unknown-service").level, "warning");
    assert_eq!(run.code, 1);
}

// ---- Line endings, BOM, ignored files, YAML records -------------------------------

#[test]
fn crlf_file_is_accepted_with_correct_positions() {
    let text = "---\r\nid: INC-1\r\ntitle: Pool\r\ndate: 2024-09-18\r\nseverity: SEV9\r\nstatus: investigating\r\n---\r\n\r\nIt was human error.\r\n";
    let run = check_one(text);
    assert_finding(
        run.one("invalid-value"),
        "invalid-value",
        "error",
        A,
        (5, 11),
    );
    let clean = text.replace("SEV9", "SEV2");
    let run = check_one(&clean);
    assert_finding(
        run.one("blame-language"),
        "blame-language",
        "warning",
        A,
        (9, 8),
    );
}

#[test]
fn bom_file_is_accepted_with_correct_positions() {
    let text = format!("\u{feff}{}", md("colour: red\n", ""));
    let run = check_one(&text);
    // The BOM is not a character of line 1 and shifts nothing.
    assert_finding(run.one("unknown-key"), "unknown-key", "warning", A, (7, 1));
    let bom_and_crlf = text.replace('\n', "\r\n").replace("SEV2", "SEV9");
    assert_finding(
        check_one(&bom_and_crlf).one("invalid-value"),
        "invalid-value",
        "error",
        A,
        (5, 11),
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let text = md(
        "impact: { description: \"Überlast, ça\", users: lots }\n",
        "",
    );
    let run = check_one(&text);
    let (line, col) = locate(&text, "lots");
    assert_eq!((line, col), (7, 47));
    assert_finding(run.one("wrong-type"), "wrong-type", "error", A, (line, col));
}

#[test]
fn underscore_and_dot_files_are_ignored() {
    let archive = TestArchive::new();
    archive.record("_template.md", "not a record at all");
    archive.record(".draft.md", "---\n: broken\n");
    archive.record("_drafts/x.md", "");
    archive.record(".hidden/index.md", "");
    archive.record("_bundle/index.md", "nope");
    archive.record("notes.txt", "not a record either");
    archive.record("a.md", valid_record("INC-1", "2024-09-18"));
    let run = archive.check(&[]);
    run.assert_clean();
    assert!(run.stderr.contains("checked 1 record:"), "{}", run.stderr);
}

#[test]
fn yaml_records_with_body() {
    let archive = TestArchive::new();
    let text = "id: INC-1\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV2\nstatus: investigating\nbody: |\n  ## Summary\n\n  It was human error.\n";
    archive.record("a.yaml", text);
    archive.record("b.yml", "id: INC-2\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV2\nstatus: investigating\nsevrity: x\n");
    let run = archive.check(&[]);
    let blame = run.one("blame-language");
    assert_eq!(blame.file.as_deref(), Some("content/incidents/a.yaml"));
    assert_eq!((blame.line, blame.column), (Some(9), Some(10)), "{run}");
    assert_eq!(
        run.one("unknown-key").at(),
        "content/incidents/b.yml:6:1",
        "{run}"
    );
}

#[test]
fn findings_in_a_yaml_literal_body_point_at_their_line() {
    let archive = TestArchive::new();
    let mut text = String::from(
        "id: INC-1\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV2\nstatus: investigating\nbody: |\n    > Quoted first line, so the body starts with `>`.\n\n",
    );
    for i in 0..12 {
        text.push_str(&format!("    Line {i} of the body.\n"));
    }
    text.push_str("    It was human error, see [log](missing.log).\n");
    archive.record("a.yaml", &text);
    let run = archive.check(&[]);
    let file = "content/incidents/a.yaml";
    assert_finding(
        run.one("blame-language"),
        "blame-language",
        "warning",
        file,
        locate(&text, "human error"),
    );
    assert_finding(
        run.one("missing-asset"),
        "missing-asset",
        "error",
        file,
        locate(&text, "[log]"),
    );
}

#[test]
fn findings_in_a_folded_yaml_body_point_at_the_body() {
    let archive = TestArchive::new();
    let text = "id: INC-1\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV2\nstatus: investigating\nbody: >\n  Folded lines\n  lose their breaks;\n  human error here.\n";
    archive.record("a.yaml", text);
    let run = archive.check(&[]);
    assert_finding(
        run.one("blame-language"),
        "blame-language",
        "warning",
        "content/incidents/a.yaml",
        (7, 3),
    );
}

#[test]
fn yaml_record_that_is_a_list() {
    let archive = TestArchive::new();
    archive.record("a.yaml", "- id: INC-1\n");
    let run = archive.check(&[]);
    assert_finding(
        run.one("front-matter"),
        "front-matter",
        "error",
        "content/incidents/a.yaml",
        (1, 1),
    );
}

#[test]
fn second_yaml_document_is_an_error() {
    let archive = TestArchive::new();
    let text = "id: INC-1\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV2\nstatus: investigating\n---\nid: INC-2\n";
    archive.record("a.yaml", text);
    let run = archive.check(&[]);
    let found = run.one("yaml-syntax");
    assert_finding(
        found,
        "yaml-syntax",
        "error",
        "content/incidents/a.yaml",
        (6, 1),
    );
    assert!(found.message.contains("second"), "{}", found.message);
}

// ---- One broken record hides nothing -----------------------------------------------

#[test]
fn one_broken_record_does_not_hide_findings_in_another() {
    let archive = TestArchive::new();
    archive.record("a.md", "---\nid: [\n---\n");
    archive.record("b.md", &[0xFF, 0xFE, 0x00][..]);
    archive.record("c.md", "");
    archive.record(
        "d.md",
        valid_record("INC-4", "2024-09-18").replace("severity: SEV2", "severity: SEV7"),
    );
    archive.record("e.md", md("colour: red\n", ""));
    let run = archive.check(&[]);
    let rules: Vec<(&str, &str)> = run
        .findings
        .iter()
        .map(|f| (f.file.as_deref().unwrap_or("-"), f.rule.as_str()))
        .collect();
    assert_eq!(
        rules,
        [
            ("content/incidents/a.md", "yaml-syntax"),
            ("content/incidents/b.md", "not-utf8"),
            ("content/incidents/c.md", "front-matter"),
            ("content/incidents/d.md", "invalid-value"),
            ("content/incidents/e.md", "unknown-key"),
        ],
        "{run}"
    );
    assert!(
        run.stderr
            .contains("checked 5 records: 4 errors, 1 warning"),
        "{}",
        run.stderr
    );
}

#[test]
fn several_mistakes_in_one_record_are_all_reported() {
    let text = "---\nid: INC-1\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV9\nstatus: investigating\nreview: done\ncolour: red\nimpact:\n  users: lots\n---\n";
    let run = check_one(text);
    let rules: Vec<&str> = run.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(
        rules,
        [
            "invalid-value",
            "invalid-value",
            "unknown-key",
            "wrong-type"
        ],
        "{run}"
    );
}

// ---- Output formats, exit codes, summary ------------------------------------------

fn archive_with_one_error_and_one_warning() -> TestArchive {
    let archive = TestArchive::new();
    archive.record(
        "a.md",
        "---\nid: INC-1\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV9\nstatus: investigating\ncolour: red\n---\n",
    );
    archive.record("b.md", valid_record("INC-2", "2024-10-01"));
    archive
}

#[test]
fn json_output_is_the_documented_contract() {
    let archive = archive_with_one_error_and_one_warning();
    let output = archive.run(&["check", "--format", "json", "--today", common::TODAY]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let first = &value[0];
    let keys: Vec<&str> = first
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        ["code", "column", "file", "help", "level", "line", "message", "rule"]
    );
    assert_eq!(first["file"], "content/incidents/a.md");
    assert_eq!(first["line"], 5);
    assert_eq!(first["column"], 11);
    assert_eq!(first["level"], "error");
    assert_eq!(first["code"], "CB0108");
    assert_eq!(first["rule"], "invalid-value");
    assert_eq!(first["help"], "did you mean `SEV1`?");
    assert_eq!(value[1]["level"], "warning");
    assert_eq!(value[1]["help"], serde_json::Value::Null);
    // The summary goes to stderr, so stdout stays one JSON document.
    assert!(String::from_utf8_lossy(&output.stderr).contains("checked 2 records"));
}

#[test]
fn json_output_of_a_clean_archive_is_an_empty_array() {
    let archive = TestArchive::new();
    archive.record("a.md", valid_record("INC-1", "2024-09-18"));
    let output = archive.run(&["check", "--format", "json", "--today", common::TODAY]);
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "[]");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn github_format() {
    let archive = archive_with_one_error_and_one_warning();
    let output = archive.run(&["check", "--format", "github", "--today", common::TODAY]);
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("::error file=content/incidents/a.md,line=5,col=11,title=CB0108 invalid-value::`severity` is `SEV9`"),
        "{}",
        lines[0]
    );
    // The help travels with the message; newlines are escaped as %0A.
    assert!(
        lines[0].ends_with("%0Ahelp: did you mean `SEV1`?"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("::warning file=content/incidents/a.md,line=7,col=1,"),
        "{}",
        lines[1]
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn human_format_shows_place_and_marked_snippet() {
    let archive = archive_with_one_error_and_one_warning();
    let output = archive.run(&["check", "--today", common::TODAY]);
    assert!(output.stdout.is_empty(), "human output goes to stderr");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert!(
        stderr.contains("error[CB0108]: `severity` is `SEV9`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--> content/incidents/a.md:5:11"),
        "{stderr}"
    );
    // The source line, and the value marked under it.
    let snippet = stderr
        .lines()
        .skip_while(|l| !l.contains("severity: SEV9"))
        .take(2)
        .collect::<Vec<_>>();
    assert_eq!(snippet.len(), 2, "{stderr}");
    assert!(snippet[0].starts_with("5 | severity: SEV9"), "{stderr}");
    assert_eq!(snippet[1], "  |           ^^^^", "{stderr}");
    assert!(stderr.contains("help: did you mean `SEV1`?"), "{stderr}");
    assert!(
        stderr.contains("warning[CB0201]: unknown key `colour`"),
        "{stderr}"
    );
}

#[test]
fn no_colour_off_a_terminal_or_with_no_color() {
    let archive = archive_with_one_error_and_one_warning();
    let plain = archive.run(&["check", "--today", common::TODAY]);
    assert!(!plain.stderr.contains(&0x1b), "escapes on a pipe");
    let no_color = common::casebook()
        .arg("--root")
        .arg(archive.root())
        .args(["check", "--today", common::TODAY])
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    assert!(!no_color.stderr.contains(&0x1b), "escapes with NO_COLOR");
    let never = archive.run(&["--color", "never", "check", "--today", common::TODAY]);
    assert!(!never.stderr.contains(&0x1b));
    // The check above can fail: asked for, colour is there.
    let always = archive.run(&["--color", "always", "check", "--today", common::TODAY]);
    assert!(
        always.stderr.contains(&0x1b),
        "no escapes with --color always"
    );
}

#[test]
fn quiet_drops_the_summary() {
    let archive = archive_with_one_error_and_one_warning();
    let loud = archive.run(&["check", "--format", "json", "--today", common::TODAY]);
    assert!(String::from_utf8_lossy(&loud.stderr).contains("checked 2 records"));
    let quiet = archive.run(&["-q", "check", "--format", "json", "--today", common::TODAY]);
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    assert_eq!(loud.stdout, quiet.stdout);
    assert_eq!(quiet.status.code(), Some(1));
}

#[test]
fn summary_counts_records_errors_and_warnings() {
    let archive = archive_with_one_error_and_one_warning();
    let run = archive.check(&[]);
    assert_eq!(
        run.stderr.trim_end(),
        "checked 2 records: 1 error, 1 warning"
    );
    archive.record(
        "c.md",
        md("colour: red\nshade: blue\n", "").replace("INC-1", "INC-3"),
    );
    let run = archive.check(&[]);
    assert_eq!(
        run.stderr.trim_end(),
        "checked 3 records: 1 error, 3 warnings"
    );
}

#[test]
fn exit_codes() {
    let archive = TestArchive::new();
    archive.record("a.md", valid_record("INC-1", "2024-09-18"));
    assert_eq!(archive.check(&[]).code, 0);
    archive.record("b.md", md("colour: red\n", "").replace("INC-1", "INC-2"));
    let warned = archive.check(&[]);
    assert_eq!(warned.code, 0, "{warned}");
    assert_eq!(archive.check(&["--deny", "warnings"]).code, 1);
    archive.record("c.md", valid_record("INC-1", "2024-09-18"));
    assert_eq!(archive.check(&[]).code, 1);
    // Usage errors exit 2.
    assert_eq!(
        archive.run(&["check", "--format", "xml"]).status.code(),
        Some(2)
    );
    assert_eq!(
        archive.run(&["check", "--today", "tomorrow"]).status.code(),
        Some(2)
    );
    assert_eq!(archive.run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn deny_warnings_fails_on_warnings_only() {
    let archive = TestArchive::new();
    archive.record("a.md", md("colour: red\n", ""));
    let run = archive.check(&["--deny", "warnings"]);
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.one("unknown-key").level, "warning");
    archive.record("a.md", valid_record("INC-1", "2024-09-18"));
    assert_eq!(archive.check(&["--deny", "warnings"]).code, 0);
}

#[test]
fn bad_source_date_epoch_is_a_usage_error() {
    let archive = TestArchive::new();
    let output = common::casebook()
        .arg("--root")
        .arg(archive.root())
        .arg("check")
        .env("SOURCE_DATE_EPOCH", "soon")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("SOURCE_DATE_EPOCH"));
}

#[test]
fn an_archive_without_records_is_clean() {
    let archive = TestArchive::new();
    let run = archive.check(&[]);
    run.assert_clean();
    assert_eq!(
        run.stderr.trim_end(),
        "checked 0 records: 0 errors, 0 warnings"
    );
}

#[test]
fn root_defaults_to_the_current_folder() {
    let archive = archive_with_one_error_and_one_warning();
    let output = common::casebook()
        .current_dir(archive.root())
        .args(["check", "--format", "json", "--today", common::TODAY])
        .output()
        .expect("run");
    let findings: Vec<Finding> = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(findings.len(), 2);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn output_is_deterministic() {
    let archive = TestArchive::new();
    for i in 0..40 {
        archive.record(
            &format!("r{i:02}.md"),
            md(
                "colour: red\nservices: [nope]\ntags: [Pool, pool]\n",
                "\nhuman error\n",
            )
            .replace("INC-1", &format!("INC-{}", i % 7)),
        );
    }
    let first = archive.run(&["check", "--format", "json", "--today", common::TODAY]);
    for _ in 0..3 {
        let again = archive.run(&["check", "--format", "json", "--today", common::TODAY]);
        assert_eq!(first.stdout, again.stdout);
        assert_eq!(first.stderr, again.stderr);
    }
}

// ---- site.toml -------------------------------------------------------------------

#[test]
fn site_toml_unknown_key_and_bad_value_exit_2_with_positions() {
    let config = SITE_TOML.replace(
        "timezone = \"UTC\"",
        "timezon = \"UTC\"\ndefault_visibility = \"everyone\"",
    );
    let archive = TestArchive::with_config(&config);
    archive.record("a.md", md("colour: red\n", ""));
    let run = archive.check(&[]);
    assert_eq!(run.code, 2, "{run}");
    assert_eq!(run.findings.len(), 2, "{run}");
    let unknown = run.one("config-unknown-key");
    assert_finding(unknown, "config-unknown-key", "error", "site.toml", (3, 1));
    assert_eq!(unknown.help.as_deref(), Some("did you mean `timezone`?"));
    let invalid = run.one("config-invalid");
    assert_finding(invalid, "config-invalid", "error", "site.toml", (4, 22));
    assert!(
        invalid.message.contains("`everyone`"),
        "{}",
        invalid.message
    );
    // No record was checked.
    assert!(run.of("unknown-key").is_empty());
}

#[test]
fn site_toml_findings_in_human_format() {
    let archive = TestArchive::with_config("title = \"T\"\n[rules]\nblame = \"off\"\n");
    let output = archive.run(&["check"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--> site.toml:3:1"), "{stderr}");
    assert!(
        stderr.contains("did you mean `blame-language`?"),
        "{stderr}"
    );
}

#[test]
fn site_toml_bad_values() {
    let cases = [
        ("timezone = \"Mars/Olympus\"", (2, 12), "Mars/Olympus"),
        ("base_url = \"incidents.example.com\"", (2, 12), "base_url"),
        (
            "[severities]\nSEV1 = { description = \"x\", color = \"red\" }",
            (3, 1),
            "`red`",
        ),
        (
            "[rules]\noverdue-action-item = \"loud\"",
            (3, 23),
            "`error`, `warning` or `off`",
        ),
        ("[similar]\ncount = -1", (3, 9), "count"),
        ("priorities = \"P0\"", (2, 14), "list"),
        ("trusted_html = \"yes\"", (2, 16), "`true` or `false`"),
    ];
    for (extra, at, words) in cases {
        let archive = TestArchive::with_config(&format!("title = \"T\"\n{extra}\n"));
        let run = archive.check(&[]);
        assert_eq!(run.code, 2, "{extra}: {run}");
        let found = run.one("config-invalid");
        assert_eq!(
            (found.line, found.column),
            (Some(at.0), Some(at.1)),
            "{extra}: {run}"
        );
        assert!(found.message.contains(words), "{extra}: {}", found.message);
    }
}

#[test]
fn site_toml_that_does_not_parse() {
    let archive = TestArchive::with_config("title = \"T\"\nbase_url = \n");
    let run = archive.check(&[]);
    assert_eq!(run.code, 2);
    let found = run.one("config-syntax");
    assert_eq!(found.file.as_deref(), Some("site.toml"));
    assert_eq!(found.line, Some(2), "{run}");
}

#[test]
fn site_toml_missing() {
    let archive = TestArchive::empty();
    let output = archive.run(&["check", "--format", "json"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("site.toml"), "{stderr}");
    assert!(stderr.contains("casebook init"), "{stderr}");
}

#[test]
fn site_toml_with_crlf_and_bom() {
    let config =
        format!("\u{feff}{}", SITE_TOML.replace('\n', "\r\n")).replace("timezone", "timezon");
    let archive = TestArchive::with_config(&config);
    let run = archive.check(&[]);
    assert_finding(
        run.one("config-unknown-key"),
        "config-unknown-key",
        "error",
        "site.toml",
        (3, 1),
    );
}

// ---- The demo archive ------------------------------------------------------------

#[test]
fn demo_archive_passes_with_only_overdue_warnings() {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = common::casebook()
        .args([
            "--root",
            root,
            "check",
            "--format",
            "json",
            "--today",
            "2026-11-22",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let findings: Vec<Finding> = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(!findings.is_empty(), "the demo has overdue items");
    for finding in &findings {
        assert_eq!(
            (finding.rule.as_str(), finding.level.as_str()),
            ("overdue-action-item", "warning"),
            "{finding:#?}"
        );
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("0 errors"), "{stderr}");
}

#[test]
fn help_lists_every_rule() {
    let output = common::casebook()
        .args(["check", "--help"])
        .output()
        .expect("run");
    let help = String::from_utf8_lossy(&output.stdout);
    for rule in casebook::core::rules::Rule::ALL {
        let line = format!(
            "{}  {:<24} {}",
            rule.code(),
            rule.name(),
            rule.default_level().as_str()
        );
        assert!(help.contains(&line), "missing `{line}` in:\n{help}");
    }
}

#[test]
fn a_value_outside_its_set_does_not_hide_the_records_other_findings() {
    let text = "---\nid: INC-1\ntitle: Pool\ndate: 2024-09-18\nseverity: SEV9\nstatus: resolved\n\
                started: 2024-09-18T10:00:00Z\ndetected: 2024-09-18T09:00:00Z\n---\nIt was human error.\n";
    let run = check_one(text);
    assert_finding(
        run.one("invalid-value"),
        "invalid-value",
        "error",
        A,
        (5, 11),
    );
    assert_finding(
        run.one("timestamp-order"),
        "timestamp-order",
        "error",
        A,
        (8, 11),
    );
    assert_finding(
        run.one("missing-resolved"),
        "missing-resolved",
        "error",
        A,
        (6, 9),
    );
    assert_finding(
        run.one("blame-language"),
        "blame-language",
        "warning",
        A,
        (10, 8),
    );
}
