//! The stages in order: load -> validate (-> link -> render -> write, for `build`).
//!
//! Commands call these functions instead of wiring stages themselves, so `check`
//! and `build` always see the same findings.

use std::path::Path;
use std::time::Instant;

use jiff::civil::Date;

use rayon::prelude::*;

use crate::config::{ConfigError, SiteConfig};
use crate::diag::{Diagnostic, Level, Report};
use crate::insights::{Entry, Insights};
use crate::metrics::Figures;
use crate::model::Archive;
use crate::{load, validate};

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

/// Loads and validates the archive at `root`. Runs in parallel over records.
pub fn check(root: &Path, today: Date, timings: bool) -> Result<Checked, SetupError> {
    let started = Instant::now();
    let (config, mut diags) = load_config(root)?;
    let (archive, load_diags) = load::load(root, config);
    log_time(timings, "load", started);
    let started = Instant::now();
    diags.extend(load_diags);
    diags.extend(validate::validate(&archive, today));
    let diags = validate::apply_levels(diags, &archive.config);
    log_time(timings, "validate", started);
    Ok(Checked {
        report: Report::new(diags),
        archive,
    })
}

/// Computes every record's [`Figures`] once, in parallel, in the archive's order.
/// Record pages, `incidents.json`, the insights and `casebook actions` all read these.
pub fn figures(archive: &Archive, today: Date) -> Vec<Figures> {
    archive
        .records
        .par_iter()
        .map(|record| Figures::of(record, today))
        .collect()
}

/// Pairs each record with its figures, for [`Insights`] and the commands that list items.
pub fn entries<'a>(archive: &'a Archive, figures: &'a [Figures]) -> Vec<Entry<'a>> {
    archive
        .records
        .iter()
        .zip(figures)
        .map(|(record, figures)| Entry { record, figures })
        .collect()
}

/// The archive-wide insights from already computed figures (docs/insights.md).
pub fn insights(archive: &Archive, figures: &[Figures], today: Date) -> Insights {
    Insights::compute(&entries(archive, figures), &archive.config, today)
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
