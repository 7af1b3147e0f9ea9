//! `casebook build`: check the archive, then render and write the static site.

use std::io::Write;

use crate::cli::cmd::{today, Failure, Outcome};
use crate::cli::{BuildArgs, GlobalArgs};
use crate::core::diag::Format;
use crate::output::build::{self, BuildOptions};
use crate::pipeline::Setup;

/// Builds the site; fails (writing nothing) when the check finds errors.
pub fn run(global: &GlobalArgs, args: &BuildArgs) -> Result<Outcome, Failure> {
    let setup = Setup::load(&global.root)?;
    let config = &setup.config;
    let today = today(&args.today)?.date(&config.timezone);
    let base_url = match args.base_url.as_deref() {
        Some(url) => base_url(url)?,
        None => config.base_url.clone(),
    };
    let options = BuildOptions {
        output: args
            .output
            .clone()
            .unwrap_or_else(|| global.root.join(&config.output_dir)),
        base_url,
        select: args.select.options(),
        today,
        timings: args.timings,
    };
    let built = build::build(&global.root, setup, &options)?;
    built
        .report
        .write(
            &mut std::io::stderr().lock(),
            Format::Human,
            global.stderr_color(),
        )
        .map_err(Failure::io("cannot write findings"))?;
    let mut stderr = std::io::stderr().lock();
    match built.written {
        None => {
            if !global.quiet {
                let _ = writeln!(stderr, "{}", built.report.summary(built.records));
            }
            let _ = writeln!(
                stderr,
                "error: the site was not built because of the errors above"
            );
            Ok(Outcome::Failed)
        }
        Some(files) => {
            if !global.quiet {
                let _ = writeln!(
                    stderr,
                    "built {} of {} records ({} profile{}) into {} ({files} files)",
                    built.published,
                    built.records,
                    options.select.profile.as_str(),
                    if args.select.drafts {
                        ", drafts included"
                    } else {
                        ""
                    },
                    built.output.display(),
                );
            }
            Ok(Outcome::Clean)
        }
    }
}

/// Checks `--base-url` like site.toml's `base_url`, and makes it end with `/`.
fn base_url(url: &str) -> Result<String, Failure> {
    crate::core::paths::base_url(url)
        .map_err(|reason| Failure::Usage(format!("--base-url {reason}")))
}
