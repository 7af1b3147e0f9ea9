//! `casebook check`: load and validate the archive and print every finding.

use std::io::Write;

use crate::cli::cmd::build::hidden_note;
use crate::cli::cmd::{today, Failure, Outcome};
use crate::cli::{CheckArgs, Deny, GlobalArgs};
use crate::core::diag::Format;
use crate::pipeline::{self, Setup, SetupError};

/// Checks the archive; fails on errors, or on warnings with `--deny warnings`.
pub fn run(global: &GlobalArgs, args: &CheckArgs) -> Result<Outcome, Failure> {
    let setup = match Setup::load(&global.root) {
        // Tools reading JSON or GitHub commands get site.toml's findings in that format too.
        Err(SetupError::InvalidConfig(report)) if args.format != Format::Human => {
            report
                .write(&mut std::io::stdout().lock(), args.format, false)
                .map_err(Failure::io("cannot write findings"))?;
            return Err(Failure::Usage("site.toml has errors".into()));
        }
        result => result?,
    };
    let today = today(&args.today)?.date(&setup.config.timezone);
    let profile = args.profile.profile();
    let mut checked = pipeline::check(&global.root, setup, today, args.timings);
    let hidden = checked.scope(profile);
    let report = &checked.report;
    let color = global.stderr_color();
    match args.format {
        Format::Human => report.write(&mut std::io::stderr().lock(), Format::Human, color),
        format => report.write(&mut std::io::stdout().lock(), format, false),
    }
    .map_err(Failure::io("cannot write findings"))?;
    if !global.quiet {
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            report.summary(checked.archive.files_checked())
        );
        if hidden > 0 {
            let _ = writeln!(std::io::stderr(), "{}", hidden_note(hidden, profile));
        }
    }
    Ok(if report.fails(args.deny == Some(Deny::Warnings)) {
        Outcome::Failed
    } else {
        Outcome::Clean
    })
}
