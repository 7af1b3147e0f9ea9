//! Benchmark of the link stage (mentions, backlinks and similar incidents).
//!
//! `cargo bench --bench link -- ARCHIVE...` loads each archive, then runs the link
//! stage several times and prints the fastest wall time, the CPU time of that run, and
//! memory: the resident set before the stage (the loaded archive) and the peak during
//! it (Linux only; `-` elsewhere). The target is under one second for 10,000 records on two cores.
//! Archives come from the corpus generator, e.g.
//! `python3 gen_corpus.py /tmp/c10k --incidents 10000`.

use std::path::Path;
use std::time::{Duration, Instant};

use casebook::config::SiteConfig;
use casebook::link;
use casebook::model::Record;

/// Runs per archive; the fastest counts, as the machine is shared and noisy.
const RUNS: usize = 5;

fn main() {
    let roots: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if roots.is_empty() {
        eprintln!("usage: cargo bench --bench link -- ARCHIVE...");
        std::process::exit(2);
    }
    println!(
        "{:>8} {:>7} {:>9} {:>9} {:>11} {:>11} {:>9}",
        "records", "threads", "wall ms", "cpu ms", "rss MiB", "peak MiB", "links"
    );
    for root in roots {
        bench(Path::new(&root));
    }
}

fn bench(root: &Path) {
    let config = match SiteConfig::load(root) {
        Ok((config, _)) => config,
        Err(error) => {
            eprintln!("{}: {error}", root.display());
            return;
        }
    };
    let (archive, _) = casebook::load::load(root, config);
    let records: Vec<&Record> = archive.records.iter().collect();
    let before = memory_kib("VmRSS");
    // Reset the peak so it measures the stage and not the loading before it.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let mut best: Option<(Duration, Duration)> = None;
    let mut edges = 0;
    for _ in 0..RUNS {
        let cpu = cpu_time();
        let started = Instant::now();
        let graph = link::link(&records, &archive.config);
        let wall = started.elapsed();
        let cpu = cpu_time().zip(cpu).map_or(Duration::ZERO, |(b, a)| b - a);
        edges = graph
            .links
            .iter()
            .map(|l| l.related.len() + l.mentions.len() + l.similar.len())
            .sum();
        if best.is_none_or(|(w, _)| wall < w) {
            best = Some((wall, cpu));
        }
    }
    let peak = memory_kib("VmHWM");
    let (wall, cpu) = best.unwrap_or_default();
    let mib =
        |kib: Option<u64>| kib.map_or("-".to_string(), |k| format!("{:.0}", k as f64 / 1024.0));
    println!(
        "{:>8} {:>7} {:>9.0} {:>9.0} {:>11} {:>11} {:>9}",
        records.len(),
        rayon::current_num_threads(),
        wall.as_secs_f64() * 1000.0,
        cpu.as_secs_f64() * 1000.0,
        mib(before),
        mib(peak),
        edges
    );
}

/// User plus system CPU time of this process so far, from /proc/self/stat.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// A memory figure from /proc/self/status, in KiB.
fn memory_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
