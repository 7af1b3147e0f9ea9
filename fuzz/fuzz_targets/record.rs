//! Fuzz target: one record file, any bytes, through the loader and the validator.
//!
//! The first byte picks the file kind (`.md`, `.yaml`, or a bundle's `index.md`);
//! the rest is the file. Besides not panicking, every finding must point inside
//! the file it names.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use casebook::core::config::SiteConfig;
use casebook::core::diag::{Diagnostic, Source, Span};
use casebook::core::model::Archive;
use libfuzzer_sys::fuzz_target;

const SITE_TOML: &str = r#"title = "Fuzz"
timezone = "Europe/Berlin"
required_sections = ["Summary", "Root cause"]
[severities]
SEV1 = "Critical"
SEV2 = "Major"
[services]
api-gateway = "API"
payments = { description = "Payments", owner = "team" }
"#;

fn config() -> &'static SiteConfig {
    static CONFIG: OnceLock<SiteConfig> = OnceLock::new();
    CONFIG.get_or_init(|| SiteConfig::parse(Source::new("site.toml", SITE_TOML)).0)
}

fn assert_inside(source: &Source, span: Span) {
    assert!(
        span.start <= span.end && span.end <= source.text.len(),
        "{span:?} outside the file"
    );
    let (line, column) = source.line_col(span.start);
    let text_line = source
        .text
        .split('\n')
        .nth(line - 1)
        .expect("line inside the file");
    assert!(
        column <= text_line.chars().count() + 1,
        "column {column} past line {line}"
    );
}

fn check(diags: &[Diagnostic]) {
    for diag in diags {
        let source = diag.source.as_ref().expect("every finding names a file");
        if let Some(span) = diag.span {
            assert_inside(source, span);
        }
        for (other, span, _) in &diag.notes {
            assert_inside(other, *span);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    let path = match kind % 3 {
        0 => "content/incidents/fuzz.md",
        1 => "content/incidents/fuzz.yaml",
        _ => "content/incidents/fuzz/index.md",
    };
    let (record, mut diags) = casebook::load::record_from_bytes(Path::new(path), bytes, config());
    check(&diags);
    let archive = Archive {
        root: Path::new("/nonexistent-casebook-fuzz").to_path_buf(),
        config: config().clone(),
        records: record.into_iter().collect(),
        pages: Vec::new(),
        rejected: 0,
    };
    let today = jiff::civil::date(2025, 1, 15);
    diags.extend(casebook::check::validate(&archive, today));
    check(&diags);
});
