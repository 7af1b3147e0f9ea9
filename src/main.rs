//! The `casebook` binary: parses arguments, runs one command and maps the outcome
//! to an exit code (0 clean, 1 findings that fail, 2 usage or configuration error).
//! Output into a pipe whose reader has gone ends the command quietly with 0
//! (`casebook schema | head -1`), as in cargo and ripgrep: see `cli::cmd::run`.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: a build makes millions of small
/// strings and values on two threads, and this cuts its user CPU time by about a fifth
/// (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = casebook::cli::Cli::parse();
    if !matches!(cli.command, casebook::cli::Command::Serve(_)) {
        casebook::core::alloc::keep_freed_memory();
    }
    casebook::cli::cmd::run(cli)
}
