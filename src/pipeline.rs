//! The stages in order: load -> validate (-> link -> render -> write, for `build`).
//!
//! Commands call these functions instead of wiring stages themselves, so `check`
//! and `build` always see the same findings.

use std::path::Path;
use std::time::Instant;

use jiff::civil::Date;

use crate::config::{ConfigError, SiteConfig};
use crate::diag::{Diagnostic, Level, Report};
use crate::model::Archive;
use crate::rules::Rule;
use crate::{link, load, validate};

/// A loaded, checked archive and its findings (levels already set by site.toml).
pub struct Checked {
    pub archive: Archive,
    pub report: Report,
}

/// Why a run could not check the archive at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("site.toml has errors")]
    InvalidConfig(Report),
}

/// Reads site.toml; findings in it stop the run before any record is read.
pub fn load_config(root: &Path) -> Result<(SiteConfig, Vec<Diagnostic>), SetupError> {
    let (config, diags) = SiteConfig::load(root)?;
    if diags.iter().any(|d| d.level == Level::Error) {
        return Err(SetupError::InvalidConfig(Report::new(diags)));
    }
    Ok((config, diags))
}

/// Loads and validates the archive at `root`, and checks that every id-like token in
/// the records' text names a record (the link stage's mention rules). Runs in
/// parallel over records.
pub fn check(root: &Path, today: Date, timings: bool) -> Result<Checked, SetupError> {
    let started = Instant::now();
    let (config, mut diags) = load_config(root)?;
    let (archive, load_diags) = load::load(root, config);
    log_time(timings, "load", started);
    let started = Instant::now();
    diags.extend(load_diags);
    diags.extend(validate::validate(&archive, today));
    log_time(timings, "validate", started);
    let started = Instant::now();
    if archive.config.level(Rule::UnknownMention).is_some() {
        diags.extend(link::unknown_mentions(&archive.records));
    }
    log_time(timings, "mentions", started);
    let diags = validate::apply_levels(diags, &archive.config);
    Ok(Checked {
        report: Report::new(diags),
        archive,
    })
}

/// Prints a stage's wall time to stderr when `--timings` is on.
pub fn log_time(enabled: bool, stage: &str, started: Instant) {
    if enabled {
        eprintln!(
            "timing: {stage:<10} {:>8.1} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
}
