//! The stages in order: load -> validate (-> select -> link -> render -> search
//! index -> write, for `build`).
//!
//! Commands call these functions instead of wiring stages themselves, so `check`
//! and `build` always see the same findings.

use std::path::{Path, PathBuf};
use std::time::Instant;

use jiff::civil::Date;
use rayon::prelude::*;

use crate::config::{ConfigError, SiteConfig};
use crate::diag::{Diagnostic, Level, Report};
use crate::insights::{Entry, Facts};
use crate::metrics::Figures;
use crate::model::{Archive, Record};
use crate::render::{RenderError, RenderOptions};
use crate::rules::Rule;
use crate::select::SelectOptions;
use crate::write::{Destination, Sink, WriteError};
use crate::{link, load, render, search, select, validate};

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
    check_with(root, today, timings, &load::NoMemo)
}

/// [`check`], with record files decoded through `memo` ([`load::load_with`]):
/// `casebook serve` decodes again only the files that changed.
pub fn check_with(
    root: &Path,
    today: Date,
    timings: bool,
    memo: &dyn load::Memo,
) -> Result<Checked, SetupError> {
    let started = Instant::now();
    let (config, mut diags) = load_config(root)?;
    let (archive, load_diags) = load::load_with(root, config, memo);
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

/// Computes the [`Figures`] of each record once, in parallel, in the given order.
/// Record pages, `incidents.json`, the insights and `casebook actions` all read these.
pub fn figures(records: &[&Record], today: Date) -> Vec<Figures> {
    records
        .par_iter()
        .map(|record| Figures::of(record, today))
        .collect()
}

/// Pairs each record with its figures, for the [`Facts`] of the insights.
fn entries<'a>(records: &[&'a Record], figures: &'a [Figures]) -> Vec<Entry<'a>> {
    records
        .iter()
        .zip(figures)
        .map(|(&record, figures)| Entry { record, figures })
        .collect()
}

/// What the insights read of each record, prepared once (docs/insights.md).
pub fn facts(records: &[&Record], figures: &[Figures], config: &SiteConfig, today: Date) -> Facts {
    Facts::new(&entries(records, figures), config, today)
}

/// Settings of one `casebook build`, resolved from flags and site.toml.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// The output folder (already resolved against the current folder or the root).
    pub output: PathBuf,
    /// Overrides site.toml's `base_url`; ends with `/`.
    pub base_url: Option<String>,
    pub select: SelectOptions,
    pub today: Date,
    pub timings: bool,
}

/// What a build did: the findings, and whether the site was written.
pub struct Built {
    pub report: Report,
    /// Files written, or `None` when errors stopped the build before writing.
    pub written: Option<usize>,
    /// Records published and records in the archive.
    pub published: usize,
    pub records: usize,
    pub output: PathBuf,
}

/// Why a build stopped without a result (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// Builds the site of the archive at `root`: every stage in order, each timed.
/// Writes nothing when the check finds errors, or when the output path is unsafe
/// (that is checked before anything else runs). Render streams each file into a
/// staging folder as soon as it is made (so its time includes writing the files);
/// the write stage then swaps the complete folder in.
pub fn build(root: &Path, options: &BuildOptions) -> Result<Built, BuildError> {
    let destination = Destination::prepare(&options.output, root)?;
    let Checked { archive, report } = check(root, options.today, options.timings)?;
    let records = archive.records.len();
    if report.count(Level::Error) > 0 {
        return Ok(Built {
            report,
            written: None,
            published: 0,
            records,
            output: destination.path().to_path_buf(),
        });
    }

    let render_options = RenderOptions {
        today: options.today,
        base_url: options
            .base_url
            .clone()
            .unwrap_or_else(|| archive.config.base_url.clone()),
        profile: options.select.profile,
        timings: options.timings,
    };
    let staging = destination.begin()?;
    let published = publish(&archive, options.select, &render_options, &staging)?;
    let written = staging.len();

    let started = Instant::now();
    staging.commit()?;
    log_time(options.timings, "write", started);

    Ok(Built {
        report,
        written: Some(written),
        published,
        records,
        output: destination.path().to_path_buf(),
    })
}

/// The stages after the check, for an archive without errors: select, link,
/// render and the search index, every file handed to `out` as it is made.
/// `build` passes its staging folder; `casebook serve` a site in memory.
/// Returns how many records were published.
pub fn publish(
    archive: &Archive,
    select: SelectOptions,
    options: &RenderOptions,
    out: &dyn Sink,
) -> Result<usize, BuildError> {
    let started = Instant::now();
    let selection = select::select(archive, select);
    log_time(options.timings, "select", started);

    let started = Instant::now();
    let figures = figures(&selection.records, options.today);
    log_time(options.timings, "figures", started);

    // The search index reads only the records and their figures, so it is built
    // while the records are linked and their pages render: both leave the cores idle
    // at times (many small jobs, a few long ones, waits between parallel steps).
    let documents = search::documents(&selection.records, &figures);
    let (rendered, indexed) = rayon::join(
        || {
            let started = Instant::now();
            let links = link::link(&selection.records, &archive.config);
            log_time(options.timings, "link", started);
            let started = Instant::now();
            let result = render::render(archive, &selection, &links, &figures, options, out);
            log_time(options.timings, "render", started);
            result
        },
        || {
            let started = Instant::now();
            let result = search::index(&documents, &archive.config, out);
            log_time(options.timings, "search", started);
            result
        },
    );
    rendered?;
    let stats = indexed?;
    if options.timings {
        eprintln!(
            "timing:   ({} terms, {} files, {:.1} MB as served)",
            stats.terms,
            stats.files,
            stats.bytes as f64 / 1e6
        );
    }
    Ok(selection.records.len())
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
