//! One build of the site into memory, with the findings printed like `casebook
//! check` prints them.
//!
//! Every build runs the whole pipeline over the whole archive (load, validate,
//! link, render, search index), exactly as `casebook build` does, so what is
//! served never depends on which files changed: only decoding is skipped for
//! record files whose bytes did not change (`DecodeCache`), and the link stage's
//! scan for records whose text did not change (`LinkMemo`). That is what keeps
//! it from going stale: every input is read again, and what is reused is a pure
//! function of an input that is the same.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use super::cache::{DecodeCache, Decodings};
use super::live::Problem;
use super::site::{ServedSite, SiteSink};
use crate::analysis::select::Profile;
use crate::check::CheckMemo;
use crate::core::config::FILE_NAME;
use crate::core::diag::{display_path, Format, Level, Report};
use crate::core::timing::log_time;
use crate::core::today::Today;
use crate::history::{self, History, ModifiedMemo};
use crate::pipeline::{self, Checked, Published, Setup, SetupError};
use crate::render::RenderOptions;

/// What a serve build needs besides the archive.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The archive's root folder, canonical.
    pub root: PathBuf,
    /// Which records are published (`--profile`).
    pub profile: Profile,
    /// Where each build takes "today" from, as `casebook build` would.
    pub today: Today,
    /// The address the site is served at, ending with `/`.
    pub base_url: String,
    /// Colour the findings.
    pub color: bool,
    /// Print findings and errors only, no summary lines.
    pub quiet: bool,
    /// Print the time of each stage of every rebuild (`serve --timings`).
    pub timings: bool,
}

/// How one build went.
pub enum Attempt {
    /// The site, and what went into it.
    Built {
        site: ServedSite,
        published: Published,
        decodings: Decodings,
    },
    /// Errors stopped the build; the errors to show.
    Failed(Vec<Problem>),
}

/// Builds the site again and again, keeping decoded records between builds.
pub struct Builder {
    settings: Settings,
    cache: DecodeCache,
    /// site.toml's bytes at the last build: records decode against it.
    config: Option<Vec<u8>>,
    /// Each record's own findings and unknown mentions, for the next check.
    checks: CheckMemo,
    /// Each record's link scan, highlighted code blocks, rendered record bodies and
    /// pages, analyzed search documents and compressed index files, for the next
    /// build.
    memo: pipeline::Memo,
    /// The history read at the commit `HEAD` pointed to then; read again when
    /// `HEAD` moves (a commit, a checkout, a pull).
    history: Option<(Option<String>, Option<History>)>,
    /// Which records differed from `HEAD` at the last build, by their text.
    modified: ModifiedMemo,
}

impl Builder {
    /// A builder that has built nothing yet.
    pub fn new(settings: Settings) -> Builder {
        Builder {
            settings,
            cache: DecodeCache::default(),
            config: None,
            checks: CheckMemo::kept(),
            memo: pipeline::Memo::kept(),
            history: None,
            modified: ModifiedMemo::default(),
        }
    }

    /// The settings it builds with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Forgets every decoded record (after a build that did not finish).
    pub fn forget(&mut self) {
        self.cache.clear();
        self.config = None;
        self.checks = CheckMemo::kept();
        self.memo = pipeline::Memo::kept();
    }

    /// Builds the site into memory and prints the findings to stderr.
    pub fn build(&mut self) -> Attempt {
        let root = &self.settings.root;
        let config_bytes = std::fs::read(root.join(FILE_NAME)).ok();
        if config_bytes != self.config {
            self.cache.clear();
            self.config = config_bytes;
        }
        let setup = match Setup::load(root) {
            Ok(setup) => setup,
            Err(error) => return self.setup_failed(error),
        };
        let today = self.settings.today.date(&setup.config.timezone);
        self.cache.begin();
        let mut checked = pipeline::check_with(
            root,
            setup,
            today,
            self.settings.timings,
            &self.cache,
            &self.checks,
        );
        checked.scope(self.settings.profile);
        let Checked {
            archive,
            report,
            theme,
        } = checked;
        let decodings = self.cache.end();
        self.print(&report);
        if !self.settings.quiet {
            crate::core::say!("{}", report.summary(archive.files_checked()));
        }
        if report.count(Level::Error) > 0 {
            return Attempt::Failed(problems(&report));
        }
        let head = history::head(root);
        if self.history.as_ref().is_none_or(|(seen, _)| *seen != head) {
            let (read, findings) = pipeline::history(&archive, self.settings.timings);
            self.print(&Report::new(findings));
            self.history = Some((head, read));
        }
        let started = Instant::now();
        let mut history = self.history.as_ref().and_then(|(_, h)| h.clone());
        if let Some(history) = &mut history {
            history::mark_modified(history, &archive, &mut self.modified);
        }
        log_time(self.settings.timings, "modified", started);
        let sink = SiteSink::default();
        let options = RenderOptions {
            today,
            base_url: self.settings.base_url.clone(),
            profile: self.settings.profile,
            timings: self.settings.timings,
        };
        match pipeline::publish(
            &archive,
            theme,
            history.as_ref(),
            &self.memo,
            &options,
            &sink,
        ) {
            Ok(published) => Attempt::Built {
                site: sink.finish(),
                published,
                decodings,
            },
            Err(error) => failed(None, error.to_string()),
        }
    }

    /// The findings, in `casebook check`'s human format.
    fn print(&self, report: &Report) {
        let mut stderr = std::io::stderr().lock();
        let _ = report.write(&mut stderr, Format::Human, self.settings.color);
        let _ = stderr.flush();
    }

    /// site.toml is missing or has errors: nothing else can be read.
    fn setup_failed(&self, error: SetupError) -> Attempt {
        match error {
            SetupError::InvalidConfig(report) => {
                self.print(&report);
                Attempt::Failed(problems(&report))
            }
            SetupError::Config(error) => failed(Some(FILE_NAME.to_string()), error.to_string()),
        }
    }
}

/// A failed build with one error, printed.
fn failed(place: Option<String>, message: String) -> Attempt {
    crate::core::say!("error: {message}");
    Attempt::Failed(vec![Problem { place, message }])
}

/// The errors of a report, for the banner.
fn problems(report: &Report) -> Vec<Problem> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(|d| Problem {
            place: d
                .location()
                .map(|(path, line, col)| format!("{}:{line}:{col}", display_path(path))),
            message: format!("error[{}]: {}", d.rule.code(), d.message),
        })
        .collect()
}
