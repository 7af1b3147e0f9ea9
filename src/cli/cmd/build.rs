//! `casebook build`: check the archive, then render and write the static site.

use std::io::Write;

use crate::analysis::select::Profile;
use crate::cli::cmd::{today, Failure, Outcome};
use crate::cli::{BuildArgs, GlobalArgs};
use crate::core::diag::Format;
use crate::output::build::{self, BuildOptions, Built};
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
        profile: args.select.profile(),
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
                for line in summary(&built, options.profile, files) {
                    let _ = writeln!(stderr, "{line}");
                }
            }
            Ok(Outcome::Clean)
        }
    }
}

/// The lines that end a build: what it published, where, and what it left out and
/// why (never a bare count), then the warnings it did not show.
fn summary(built: &Built, profile: Profile, files: usize) -> Vec<String> {
    let published = &built.published;
    let count = match profile {
        Profile::Internal => format!(
            "built all {} record{} (internal profile)",
            published.records,
            if published.records == 1 { "" } else { "s" }
        ),
        Profile::Public => format!(
            "built {} of {} records (public profile: approved public records only)",
            published.records, built.records
        ),
    };
    let unapproved = match published.unapproved {
        0 => String::new(),
        1 => "; 1 is not approved yet and is marked so on its page".to_string(),
        n => format!("; {n} are not approved yet and are marked so on their pages"),
    };
    let mut lines = vec![format!(
        "{count} into {} ({files} files){unapproved}",
        built.output.display()
    )];
    lines.extend(published.left_out_lines());
    if built.hidden_warnings > 0 {
        lines.push(hidden_note(built.hidden_warnings, profile));
    }
    lines
}

/// The note on warnings not shown because they concern records `profile` leaves out.
pub fn hidden_note(hidden: usize, profile: Profile) -> String {
    format!(
        "note: {hidden} warning{} about records the {} profile leaves out {} not shown; `casebook check` shows every record's",
        if hidden == 1 { "" } else { "s" },
        profile.as_str(),
        if hidden == 1 { "is" } else { "are" },
    )
}

/// Checks `--base-url` like site.toml's `base_url`, and makes it end with `/`.
fn base_url(url: &str) -> Result<String, Failure> {
    crate::core::paths::base_url(url)
        .map_err(|reason| Failure::Usage(format!("--base-url {reason}")))
}
