//! `casebook build` as one call: check the archive, then publish it into a staging
//! folder that replaces the output only once it is complete.

use std::path::{Path, PathBuf};
use std::time::Instant;

use jiff::civil::Date;

use crate::analysis::select::Profile;
use crate::core::diag::Report;
use crate::core::timing::log_time;
use crate::output::write::Destination;
use crate::pipeline::{self, Checked, PublishError, Published, Setup};
use crate::render::sink::WriteError;
use crate::render::RenderOptions;

/// Settings of one `casebook build`, resolved from flags and site.toml.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// The output folder (already resolved against the current folder or the root).
    pub output: PathBuf,
    /// The site's base URL (`--base-url`, else site.toml's); ends with `/`.
    pub base_url: String,
    /// Which records are published.
    pub profile: Profile,
    pub today: Date,
    pub timings: bool,
}

/// What a build did: the findings, and whether the site was written.
pub struct Built {
    pub report: Report,
    /// Files written, or `None` when errors stopped the build before writing.
    pub written: Option<usize>,
    /// What was published and left out (nothing when errors stopped the build),
    /// and how many records the archive has.
    pub published: Published,
    pub records: usize,
    /// Warnings left unshown because they concern records the profile leaves out.
    pub hidden_warnings: usize,
    pub output: PathBuf,
}

/// Why a build stopped without a result (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// Builds the site of the archive at `root`: every stage in order, each timed.
/// Writes nothing when the check finds errors, or when the output path is unsafe
/// (that is checked before anything else runs). Render streams each file into a
/// staging folder as soon as it is made (so its time includes writing the files);
/// the write stage then swaps the complete folder in.
pub fn build(root: &Path, setup: Setup, options: &BuildOptions) -> Result<Built, BuildError> {
    let destination = Destination::prepare(&options.output, root)?;
    let (mut checked, history) =
        pipeline::check_with_history(root, setup, options.today, options.timings);
    let hidden_warnings = checked.scope(options.profile);
    let Checked {
        archive,
        mut report,
        theme,
    } = checked;
    let records = archive.records.len();
    let Some((history, findings)) = history else {
        return Ok(Built {
            report,
            written: None,
            published: Published::default(),
            records,
            hidden_warnings,
            output: destination.path().to_path_buf(),
        });
    };
    report.diagnostics.extend(findings);

    let render_options = RenderOptions {
        today: options.today,
        base_url: options.base_url.clone(),
        profile: options.profile,
        timings: options.timings,
    };
    let staging = destination.begin()?;
    let published = pipeline::publish(
        &archive,
        theme,
        history.as_ref(),
        &pipeline::Memo::once(),
        &render_options,
        &staging,
    )?;
    let written = staging.written();

    let started = Instant::now();
    staging.commit()?;
    log_time(options.timings, "write", started);

    Ok(Built {
        report,
        written: Some(written),
        published,
        records,
        hidden_warnings,
        output: destination.path().to_path_buf(),
    })
}
