//! The stages in order: load -> check (and the theme compiled, so a template that
//! would stop the render is a finding), then for a build select -> figures -> link
//! -> render, with the search index made beside link and render, every file handed
//! to a [`Sink`].
//!
//! Commands and the preview server call these functions instead of wiring stages
//! themselves, so `check`, `build` and `serve` always see the same findings. Inputs
//! arrive resolved ([`Setup`], a date for "today"); nothing here reads arguments.

use std::path::Path;
use std::time::Instant;

use jiff::civil::Date;

use crate::analysis::select::{self, SelectOptions};
use crate::core::config::{ConfigError, SiteConfig};
use crate::core::diag::{Diagnostic, Level, Report};
use crate::core::model::Archive;
use crate::core::rules::Rule;
use crate::core::timing::log_time;
use crate::render::sink::{Sink, WriteError};
use crate::render::{RenderError, RenderOptions};
use crate::{analysis, check, link, load, render, search};

/// site.toml, read once per run, with the findings it raised (warnings only: errors
/// stop the run before any record is read).
pub struct Setup {
    pub config: SiteConfig,
    pub findings: Vec<Diagnostic>,
}

/// Why a run could not check the archive at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("site.toml has errors")]
    InvalidConfig(Report),
}

impl Setup {
    /// Reads site.toml at `root`; findings in it stop the run before any record is read.
    pub fn load(root: &Path) -> Result<Setup, SetupError> {
        let (config, findings) = SiteConfig::load(root)?;
        if findings.iter().any(|d| d.level == Level::Error) {
            return Err(SetupError::InvalidConfig(Report::new(findings)));
        }
        Ok(Setup { config, findings })
    }
}

/// A loaded, checked archive and its findings (levels already set by site.toml).
pub struct Checked {
    pub archive: Archive,
    pub report: Report,
}

/// Loads and checks the archive at `root`, with record files decoded through `memo`
/// ([`load::load_with`]; `casebook serve` decodes again only the files that
/// changed). Runs in parallel over records.
pub fn check(
    root: &Path,
    setup: Setup,
    today: Date,
    timings: bool,
    memo: &dyn load::Memo,
) -> Checked {
    let Setup {
        config,
        findings: mut diags,
    } = setup;
    let started = Instant::now();
    let (archive, load_diags) = load::load_with(root, config, memo);
    log_time(timings, "load", started);
    let started = Instant::now();
    diags.extend(load_diags);
    diags.extend(check::validate(&archive, today));
    log_time(timings, "validate", started);
    let started = Instant::now();
    if archive.config.level(Rule::UnknownMention).is_some() {
        diags.extend(check::mentions::unknown_mentions(&archive.records));
    }
    log_time(timings, "mentions", started);
    // The theme is compiled as `build` compiles it (render's own loader), so a
    // template that would stop `build` is a finding here; nothing is rendered.
    let started = Instant::now();
    diags.extend(render::theme::check(&archive.root, &archive.config.theme));
    log_time(timings, "theme", started);
    let diags = check::apply_levels(diags, &archive.config);
    Checked {
        report: Report::new(diags),
        archive,
    }
}

/// Why the stages after the check could not finish (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// The stages after the check, for an archive without errors: select, figures,
/// link, render and the search index, every file handed to `out` as it is made.
/// `casebook build` passes its staging folder; `casebook serve` a site in memory.
/// Returns how many records were published.
pub fn publish(
    archive: &Archive,
    select: SelectOptions,
    options: &RenderOptions,
    out: &dyn Sink,
) -> Result<usize, PublishError> {
    let started = Instant::now();
    let selection = select::select(archive, select);
    log_time(options.timings, "select", started);

    let started = Instant::now();
    let figures = analysis::figures(&selection.records, options.today);
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
