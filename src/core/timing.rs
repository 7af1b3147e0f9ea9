//! `--timings`: each stage's wall time on stderr, one line a stage, as it ends.

use std::time::Instant;

/// Prints a stage's wall time to stderr when `--timings` is on.
pub fn log_time(enabled: bool, stage: &str, started: Instant) {
    if enabled {
        crate::core::say!(
            "timing: {stage:<10} {:>8.1} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
}
