//! One module per command; each exposes `run(&GlobalArgs, args) -> Result<Outcome, Failure>`.
//! This module maps outcomes to exit codes and prints failures the same way everywhere.

use std::io::Write;
use std::process::ExitCode;

use jiff::civil::Date;

use crate::cli::{Cli, Command, GlobalArgs, TodayArg};
use crate::config::SiteConfig;
use crate::diag::Format;
use crate::pipeline::{BuildError, SetupError};

pub mod build;
pub mod check;
pub mod init;
pub mod new;
pub mod schema;

/// How a command that ran to the end went.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing failed: exit 0.
    Clean,
    /// Findings that fail the run were reported: exit 1.
    Failed,
}

/// Why a command could not do its job (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Build(BuildError),
    #[error("{0}")]
    Usage(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

impl From<BuildError> for Failure {
    fn from(error: BuildError) -> Failure {
        match error {
            BuildError::Setup(setup) => Failure::Setup(setup),
            other => Failure::Build(other),
        }
    }
}

impl Failure {
    /// An I/O error with what casebook was doing when it happened.
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Failure {
        let context = context.into();
        move |source| Failure::Io { context, source }
    }
}

/// Runs the chosen command and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let global = &cli.global;
    let result = match &cli.command {
        Command::Check(args) => check::run(global, args),
        Command::Init(args) => init::run(global, args),
        Command::New(args) => new::run(global, args),
        Command::Schema => schema::run(global),
        Command::Build(args) => build::run(global, args),
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(failure) => {
            report_failure(global, &failure);
            ExitCode::from(2)
        }
    }
}

fn report_failure(global: &GlobalArgs, failure: &Failure) {
    let mut stderr = std::io::stderr().lock();
    if let Failure::Setup(SetupError::InvalidConfig(report)) = failure {
        let _ = report.write(&mut stderr, Format::Human, global.stderr_color());
    }
    let _ = writeln!(stderr, "error: {failure}");
    if let Failure::Setup(SetupError::Config(_)) = failure {
        let _ = writeln!(stderr, "help: run casebook in an archive's root folder, pass --root DIR, or create one with `casebook init`");
    }
}

/// The day that decides what is overdue: `--today`, else `SOURCE_DATE_EPOCH`, else
/// the system date, both read in the archive's timezone.
pub fn today(arg: &TodayArg, config: &SiteConfig) -> Result<Date, Failure> {
    if let Some(today) = arg.today {
        return Ok(today);
    }
    if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        let seconds: i64 = epoch.trim().parse().map_err(|_| {
            Failure::Usage(format!(
                "SOURCE_DATE_EPOCH is `{epoch}`, not a number of seconds"
            ))
        })?;
        let ts = jiff::Timestamp::from_second(seconds)
            .map_err(|e| Failure::Usage(format!("SOURCE_DATE_EPOCH is out of range: {e}")))?;
        return Ok(ts.to_zoned(config.timezone.clone()).date());
    }
    Ok(jiff::Timestamp::now()
        .to_zoned(config.timezone.clone())
        .date())
}
