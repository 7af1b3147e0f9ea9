//! What every stage shares: the [`model`] of records, the site's [`config`],
//! findings ([`diag`]) and the [`rules`] they fall under, one Markdown dialect
//! ([`markdown`], [`prose`]), one home for URL, slug and path rules ([`paths`]) and
//! one way to print numbers ([`numbers`]).

/// `eprintln!` that never panics: a line nobody can read (stderr closed, as in
/// `casebook build --timings 2>&1 | head -1`) must not stop the run.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
pub(crate) use say;

pub mod alloc;
pub mod config;
pub mod diag;
pub mod ids;
pub mod markdown;
pub mod model;
pub mod numbers;
pub mod paths;
pub mod prose;
pub mod rules;
pub mod timing;
pub mod today;
