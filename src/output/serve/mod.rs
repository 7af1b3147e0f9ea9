//! `casebook serve`: build the site into memory, serve it over HTTP, and build it
//! again whenever the archive changes.
//!
//! A fixed set of threads: the builder ([`rebuild`]) waits for a batch of changes
//! from the [`watch`] and rebuilds into a fresh in-memory [`site`]; the server
//! ([`http`], axum) answers requests on a `tokio` runtime of [`HTTP_THREADS`]
//! threads and at most [`FILE_THREADS`] more for reading files, however many
//! connections are open; and the [`state`] they share swaps a finished site in at
//! once. Pages learn of a new
//! build through the [`live`] script. Nothing is ever written to disk.
//! docs/serve.md tells what a change rebuilds and why the site is never stale.

mod cache;
pub mod http;
pub mod live;
pub mod rebuild;
pub mod site;
pub mod state;
pub mod watch;

use std::io::Write;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use self::live::Problem;
use self::rebuild::{Attempt, Builder};
use self::state::Live;
use self::watch::{Watch, WatchError};
use crate::core::diag::display_path;
use crate::core::timing::log_time;

/// Why the server could not start (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Watch(#[from] WatchError),
    #[error("cannot serve on {address}: {message}")]
    Listen {
        address: SocketAddr,
        message: String,
    },
}

/// Threads that answer requests (a waiting reload request holds none).
pub const HTTP_THREADS: usize = 2;
/// The most threads that answer requests for pages at once (a page may be read
/// from the archive); more requests wait their turn.
pub const FILE_THREADS: usize = 4;

/// Serves the archive of `builder` on `listener` (bound to `address`) until the
/// process is stopped. The watch starts before the first build, so no change can
/// slip in between.
pub fn serve(
    listener: std::net::TcpListener,
    address: SocketAddr,
    builder: Builder,
    output: &Path,
) -> Result<(), ServeError> {
    let cannot = |e: std::io::Error| ServeError::Listen {
        address,
        message: e.to_string(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(HTTP_THREADS)
        .max_blocking_threads(FILE_THREADS)
        .thread_name("casebook-http")
        .enable_io()
        .enable_time()
        .build()
        .map_err(cannot)?;
    listener.set_nonblocking(true).map_err(cannot)?;
    let listener = {
        let _entered = runtime.enter();
        tokio::net::TcpListener::from_std(listener).map_err(cannot)?
    };
    let watch = Watch::start(&builder.settings().root, output)?;
    let live = Arc::new(Live::default());
    {
        let live = Arc::clone(&live);
        std::thread::spawn(move || keep_building(builder, watch, &live));
    }
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "serving http://{address}/ (Ctrl-C to stop)");
    let _ = stdout.flush();
    drop(stdout);
    // Runs until the process is stopped; an error accepting one connection (too
    // many open files) only delays the next.
    runtime
        .block_on(async move { axum::serve(listener, http::router(live)).await })
        .map_err(cannot)
}

/// The builder thread: the first build, then one per batch of changes.
fn keep_building(mut builder: Builder, mut watch: Watch, live: &Live) {
    rebuild(&mut builder, live);
    while let Some(changed) = watch.next_batch() {
        live.start_building();
        if !builder.settings().quiet {
            crate::core::say!("{}", describe(&changed));
        }
        rebuild(&mut builder, live);
    }
    crate::core::say!(
        "warning: the archive is no longer watched; restart casebook serve to see changes"
    );
}

/// `changed: content/incidents/a.md`, or the first few paths and a count.
fn describe(changed: &[PathBuf]) -> String {
    const SHOWN: usize = 3;
    let mut names: Vec<String> = changed
        .iter()
        .take(SHOWN)
        .map(|path| match display_path(path) {
            name if name.is_empty() => "the archive".to_string(),
            name => name,
        })
        .collect();
    if changed.len() > SHOWN {
        names.push(format!("{} more", changed.len() - SHOWN));
    }
    format!("changed: {}", names.join(", "))
}

/// One rebuild: swaps the new site in, or keeps the last good one and shows the
/// errors; prints one line on how it went. A bug that panics fails this rebuild
/// only: the server goes on with the last good site.
fn rebuild(builder: &mut Builder, live: &Live) {
    let started = Instant::now();
    let attempt = catch_unwind(AssertUnwindSafe(|| builder.build())).unwrap_or_else(|_| {
        builder.forget();
        Attempt::Failed(vec![Problem {
            place: None,
            message: "casebook failed while building (a bug; the message is above)".into(),
        }])
    });
    let took = started.elapsed();
    let quiet = builder.settings().quiet;
    match attempt {
        Attempt::Built {
            site,
            published,
            decodings,
        } => {
            let previous = live.snapshot().site;
            let files = site.len();
            live.finish(Some(site), Vec::new(), took);
            if quiet {
                return;
            }
            // Counted after the swap, and only for this line: comparing every
            // file of two sites must not hold the new one back.
            let compared = Instant::now();
            let changes = live.snapshot().site.changes_since(&previous);
            log_time(builder.settings().timings, "compare", compared);
            let ms = took.as_millis();
            if previous.is_empty() {
                crate::core::say!(
                    "built in {ms} ms: {} record{} published ({} profile), {files} files",
                    published.records,
                    if published.records == 1 { "" } else { "s" },
                    builder.settings().profile.as_str()
                );
                for line in published.left_out_lines() {
                    crate::core::say!("{line}");
                }
            } else {
                crate::core::say!(
                    "rebuilt in {ms} ms: {} files changed, {} added, {} removed \
                     ({} of {} record files decoded anew)",
                    changes.changed,
                    changes.added,
                    changes.removed,
                    decodings.decoded,
                    decodings.files
                );
            }
        }
        Attempt::Failed(problems) => {
            let count = problems.len();
            live.finish(None, problems, took);
            crate::core::say!(
                "error: the site was not rebuilt because of {count} error{}; \
                 serving the last good build",
                if count == 1 { "" } else { "s" }
            );
        }
    }
}
