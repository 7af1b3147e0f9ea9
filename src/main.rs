//! The `casebook` binary: parses arguments, runs one command and maps the outcome
//! to an exit code (0 clean, 1 findings that fail, 2 usage or configuration error).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = casebook::cli::Cli::parse();
    casebook::cmd::run(cli)
}
