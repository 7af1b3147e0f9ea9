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

use crate::analysis::select::{self, Exclusion, Profile};
use crate::check::CheckMemo;
use crate::core::config::{ConfigError, SiteConfig};
use crate::core::diag::{Diagnostic, Level, Report};
use crate::core::model::Archive;
use crate::core::rules::Rule;
use crate::core::timing::log_time;
use crate::history::{self, History};
use crate::link::memo::LinkMemo;
use crate::render::memo::RenderMemo;
use crate::render::sink::{Sink, WriteError};
use crate::render::theme::Theme;
use crate::render::{RenderError, RenderOptions};
use crate::search::memo::SearchMemo;
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
    /// The theme with its templates compiled, handed on to [`publish`]; `None`
    /// when it has errors (they are in the report).
    pub theme: Option<Theme>,
}

/// Loads and checks the archive at `root` once (`check`, `build`, the reports).
/// Runs in parallel over records.
pub fn check(root: &Path, setup: Setup, today: Date, timings: bool) -> Checked {
    check_with(
        root,
        setup,
        today,
        timings,
        &load::NoMemo,
        &CheckMemo::once(),
    )
}

/// [`check`], with record files decoded through `memo` ([`load::load_with`]) and
/// each record's own findings kept in `checks` ([`check::validate_with`]):
/// `casebook serve` decodes and checks again only the records that changed.
pub fn check_with(
    root: &Path,
    setup: Setup,
    today: Date,
    timings: bool,
    memo: &dyn load::Memo,
    checks: &CheckMemo,
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
    diags.extend(history::shallow_clone(&archive.root));
    diags.extend(check::validate_with(&archive, today, checks));
    let checked_anew = checks.take_checked();
    log_time(timings, "validate", started);
    if timings {
        crate::core::say!(
            "timing:   ({checked_anew} record{} checked anew)",
            if checked_anew == 1 { "" } else { "s" }
        );
    }
    let started = Instant::now();
    if archive.config.level(Rule::UnknownMention).is_some() {
        diags.extend(check::mentions::unknown_mentions_with(
            &archive.records,
            &checks.mentions,
        ));
    }
    log_time(timings, "mentions", started);
    // The theme is compiled as `build` compiles it (render's own loader), so a
    // template that would stop `build` is a finding here; nothing is rendered.
    let started = Instant::now();
    let theme = match render::theme::check(&archive.root, &archive.config.theme) {
        Ok(theme) => Some(theme),
        Err(findings) => {
            diags.extend(findings);
            None
        }
    };
    log_time(timings, "theme", started);
    let diags = check::apply_levels(diags, &archive.config);
    Checked {
        report: Report::new(diags),
        archive,
        theme,
    }
}

impl Checked {
    /// Keeps the findings that concern what a build of `profile` publishes: errors
    /// everywhere (they stop a build of any profile, and a record that does not
    /// decode cannot be placed in one), warnings only in files that are not records
    /// the profile leaves out. Returns how many warnings it dropped. `check`,
    /// `build` and `serve` call it, so an overdue item that one warns about is on
    /// the site and in `casebook actions` of the same profile.
    pub fn scope(&mut self, profile: Profile) -> usize {
        let selection = select::select(&self.archive, profile);
        let left_out = selection.left_out_files();
        if left_out.is_empty() {
            return 0;
        }
        let before = self.report.diagnostics.len();
        self.report.diagnostics.retain(|d| {
            d.level == Level::Error
                || d.source
                    .as_ref()
                    .is_none_or(|source| !left_out.contains(source.path.as_path()))
        });
        before - self.report.diagnostics.len()
    }
}

/// What a build published: how many records, and those it left out with the reason.
#[derive(Clone, Debug, Default)]
pub struct Published {
    pub records: usize,
    /// The ids left out for each reason, in reason order, ids newest first.
    pub left_out: Vec<(Exclusion, Vec<String>)>,
    /// Records published that are not approved yet (drafts and records in review).
    pub unapproved: usize,
}

/// At most this many ids are named per reason; more are counted.
const NAMED_IDS: usize = 5;

impl Published {
    /// What the build left out and why, for the lines that end a build: one line per
    /// reason with its ids (or, when there are many, their count), then how to see
    /// them. Empty when nothing was left out.
    pub fn left_out_lines(&self) -> Vec<String> {
        let total: usize = self.left_out.iter().map(|(_, ids)| ids.len()).sum();
        if total == 0 {
            return Vec::new();
        }
        let records = |n: usize| format!("{n} record{}", if n == 1 { "" } else { "s" });
        let mut lines = vec![format!("left out {}:", records(total))];
        for (reason, ids) in &self.left_out {
            let which = if ids.len() <= NAMED_IDS {
                ids.join(", ")
            } else {
                records(ids.len())
            };
            lines.push(format!("  {}: {which}", reason.describe()));
        }
        lines.push(
            "  see them all: `casebook build --profile internal` publishes every record, drafts marked"
                .to_string(),
        );
        lines
    }
}

/// What the history stage hands on: what git knows of the records (`None` outside a
/// repository) and its findings.
pub type HistoryOutcome = (Option<History>, Vec<Diagnostic>);

/// Reads what git knows about the records of `archive` (the history stage): once
/// per build, or by `serve` when `HEAD` moves. The findings (a repository that
/// cannot be read, a bad ignore-revs file; a shallow clone is [`check`]'s) come
/// with site.toml's levels applied.
pub fn history(archive: &Archive, timings: bool) -> HistoryOutcome {
    let started = Instant::now();
    let outcome = history::read(archive);
    log_time(timings, "history", started);
    (
        outcome.history,
        check::apply_levels(outcome.findings, &archive.config),
    )
}

/// [`check`] and the history stage's walk over the repository at once: the walk
/// needs no record, so it runs on its own thread while the records load and are
/// checked, and only each record's history is read after. `history` is `None`
/// when the check found errors: a build stops there.
pub fn check_with_history(
    root: &Path,
    setup: Setup,
    today: Date,
    timings: bool,
) -> (Checked, Option<HistoryOutcome>) {
    let ignore_revs_file = setup.config.ignore_revs_file.clone();
    let (checked, walked) = std::thread::scope(|scope| {
        let walk = scope.spawn(|| history::walk(root, ignore_revs_file.as_deref()));
        let checked = check(root, setup, today, timings);
        let walked = walk
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (checked, walked)
    });
    if checked.report.count(Level::Error) > 0 {
        return (checked, None);
    }
    let started = Instant::now();
    let walk_ms = walked.took.as_secs_f64() * 1000.0;
    let outcome = walked.records(&checked.archive);
    log_time(timings, "history", started);
    if timings {
        crate::core::say!("timing:   (walk {walk_ms:.1} ms, beside load and check)");
    }
    let findings = check::apply_levels(outcome.findings, &checked.archive.config);
    (checked, Some((outcome.history, findings)))
}

/// Why the stages after the check could not finish (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// What [`publish`] keeps for the next one: the link stage's memo, the render's
/// and the search index's. `casebook build` publishes once and keeps nothing;
/// `casebook serve` keeps them between its builds.
pub struct Memo {
    pub link: LinkMemo,
    pub render: RenderMemo,
    pub search: SearchMemo,
}

impl Memo {
    /// The memo of a one-off build: nothing is kept, hashed or copied for later
    /// (code blocks are shared by the build's threads).
    pub fn once() -> Memo {
        Memo {
            link: LinkMemo::once(),
            render: RenderMemo::once(),
            search: SearchMemo::once(),
        }
    }

    /// The memo of many builds of one archive (`casebook serve`).
    pub fn kept() -> Memo {
        Memo {
            link: LinkMemo::kept(),
            render: RenderMemo::kept(),
            search: SearchMemo::kept(),
        }
    }
}

/// The stages after the check, for an archive without errors: select, figures,
/// link, render (with `theme`, compiled by [`check`]; compiled here when the
/// check had none to hand on) and the search index, every file handed to `out` as
/// it is made. `history` is what git knows of the records (none outside a
/// repository). `casebook build` passes its staging folder and [`Memo::once`];
/// `casebook serve` a site in memory and the memo of its earlier builds
/// ([`crate::link::memo`], [`crate::render::memo`] and [`crate::search::memo`] say why what they keep
/// cannot go stale). Returns what was published and what was left out.
pub fn publish(
    archive: &Archive,
    theme: Option<Theme>,
    history: Option<&History>,
    memo: &Memo,
    options: &RenderOptions,
    out: &dyn Sink,
) -> Result<Published, PublishError> {
    let theme = match theme {
        Some(theme) => theme,
        None => Theme::load(&archive.root, &archive.config.theme).map_err(RenderError::from)?,
    };
    let started = Instant::now();
    let selection = select::select(archive, options.profile);
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
            let links = link::link(
                &selection.records,
                &archive.config,
                &memo.link,
                options.timings,
            );
            log_time(options.timings, "link", started);
            let started = Instant::now();
            let result = render::render(
                archive,
                theme,
                &memo.render,
                history,
                &selection,
                &links,
                &figures,
                options,
                out,
            );
            log_time(options.timings, "render", started);
            result
        },
        || {
            let started = Instant::now();
            let result = search::index(&documents, &archive.config, &memo.search, out);
            log_time(options.timings, "search", started);
            result
        },
    );
    rendered?;
    let stats = indexed?;
    if options.timings {
        crate::core::say!(
            "timing:   ({} terms, {} files, {:.1} MB as served; {} documents analyzed, {} files compressed)",
            stats.terms,
            stats.files,
            stats.bytes as f64 / 1e6,
            stats.analyzed,
            stats.compressed
        );
    }
    Ok(Published {
        records: selection.records.len(),
        left_out: selection
            .left_out_by_reason()
            .into_iter()
            .map(|(reason, ids)| (reason, ids.into_iter().map(String::from).collect()))
            .collect(),
        unapproved: selection
            .records
            .iter()
            .filter(|r| r.review.label().is_some())
            .count(),
    })
}
