//! Process figures the stage benchmarks report, from Linux's /proc.

use std::path::{Path, PathBuf};
use std::time::Duration;

use casebook::core::config::SiteConfig;
use casebook::core::model::Archive;

/// The archives named on the command line; exits with a usage line when none is.
pub fn archives(bench: &str) -> Vec<PathBuf> {
    let roots: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    if roots.is_empty() {
        eprintln!("usage: cargo bench --bench {bench} -- ARCHIVE...");
        std::process::exit(2);
    }
    roots
}

/// Loads the archive at `root` as a build does, or says why it cannot.
pub fn load(root: &Path) -> Option<Archive> {
    match SiteConfig::load(root) {
        Ok((config, _)) => Some(casebook::load::load(root, config).0),
        Err(error) => {
            eprintln!("{}: {error}", root.display());
            None
        }
    }
}

/// User plus system CPU time of this process so far, from /proc/self/stat.
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// A memory figure from /proc/self/status, in KiB.
pub fn memory_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
