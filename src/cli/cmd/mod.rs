//! One module per command; each exposes `run(&GlobalArgs, args) -> Result<Outcome, Failure>`.
//! This module maps outcomes to exit codes and prints failures the same way everywhere.

use std::io::{ErrorKind, Write};
use std::process::ExitCode;

use jiff::civil::Date;

use crate::cli::{Cli, Command, GlobalArgs, TodayArg};
use crate::core::diag::{Format, Level, Report};
use crate::core::model::Archive;
use crate::core::today::Today;
use crate::import::ImportError;
use crate::output::build::BuildError;
use crate::output::serve::ServeError;
use crate::pipeline::{self, Setup, SetupError};

pub mod actions;
pub mod build;
pub mod check;
pub mod import;
pub mod init;
pub mod new;
pub mod schema;
pub mod serve;
pub mod stats;

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
    Build(#[from] BuildError),
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("{0}")]
    Usage(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

impl Failure {
    /// An I/O error with what casebook was doing when it happened.
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Failure {
        let context = context.into();
        move |source| Failure::Io { context, source }
    }

    /// Whether the reader of stdout went away (`casebook schema | head -1`): not a
    /// failure, the output simply has no one left to read it.
    fn is_closed_pipe(&self) -> bool {
        matches!(self, Failure::Io { source, .. } if source.kind() == ErrorKind::BrokenPipe)
    }
}

/// Runs the chosen command and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let global = &cli.global;
    if let Some(select) = cli.command.select() {
        select.warn_deprecated();
    }
    let result = match &cli.command {
        Command::Check(args) => check::run(global, args),
        Command::Init(args) => init::run(global, args),
        Command::New(args) => new::run(global, args),
        Command::Schema => schema::run(global),
        Command::Build(args) => build::run(global, args),
        Command::Serve(args) => serve::run(global, args),
        Command::Actions(args) => actions::run(global, args),
        Command::Stats(args) => stats::run(global, args),
        Command::Import(args) => import::run(global, args),
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        // As cargo and ripgrep do: stop quietly, and succeed, when the reader has gone.
        Err(failure) if failure.is_closed_pipe() => ExitCode::SUCCESS,
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

/// Where "today" comes from: `--today`, else `SOURCE_DATE_EPOCH`, else the system
/// clock; read once here, its date taken in the archive's timezone.
pub fn today(arg: &TodayArg) -> Result<Today, Failure> {
    if let Some(today) = arg.today {
        return Ok(Today::On(today));
    }
    if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        let seconds: i64 = epoch.trim().parse().map_err(|_| {
            Failure::Usage(format!(
                "SOURCE_DATE_EPOCH is `{epoch}`, not a number of seconds"
            ))
        })?;
        let instant = jiff::Timestamp::from_second(seconds)
            .map_err(|e| Failure::Usage(format!("SOURCE_DATE_EPOCH is out of range: {e}")))?;
        return Ok(Today::At(instant));
    }
    Ok(Today::Clock)
}

/// Loads and checks the archive for a command that reports on it, as of `today`.
/// Errors in records are printed and give `None` (the command then exits 1):
/// figures over records that could not be read would mislead. Warnings are left
/// to `casebook check`.
pub fn checked_archive(
    global: &GlobalArgs,
    setup: Setup,
    today: Date,
    timings: bool,
) -> Result<Option<Archive>, Failure> {
    let checked = pipeline::check(&global.root, setup, today, timings);
    let errors: Vec<_> = checked
        .report
        .diagnostics
        .into_iter()
        .filter(|d| d.level == Level::Error)
        .collect();
    if errors.is_empty() {
        return Ok(Some(checked.archive));
    }
    let count = errors.len();
    let mut stderr = std::io::stderr().lock();
    Report::new(errors)
        .write(&mut stderr, Format::Human, global.stderr_color())
        .map_err(Failure::io("cannot write findings"))?;
    let _ = writeln!(
        stderr,
        "error: the records have {count} error{}; `casebook check` lists every finding",
        if count == 1 { "" } else { "s" }
    );
    Ok(None)
}
