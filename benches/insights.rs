//! Benchmark: what computing the insights adds to a build. Loads an archive once
//! (not timed), then times, over several runs, the per-record figures, reading
//! what the insights need from the records, the archive-wide insights, the
//! per-service and per-tag subsets, and drawing every chart; prints the fastest
//! and median run of each stage and exits 1 when the sum of the fastest passes
//! the budget (100 ms per 10,000 records, docs/insights.md).
//!
//! Usage: `cargo bench --bench insights -- [ARCHIVE] [--today YYYY-MM-DD] [--runs N]`.
//! Without ARCHIVE it uses bench/run.py's cached 10,000-record corpus
//! (`$CASEBOOK_BENCH_CACHE`, default `~/.cache/casebook-bench`), generating it with
//! gen_corpus.py (`$CASEBOOK_CORPUS_GEN`, default `../shared/bench/gen_corpus.py`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use casebook::analysis::insights::chart_specs::{insight_charts, summary_charts};
use casebook::analysis::insights::Insights;
use casebook::core::config::SiteConfig;
use casebook::core::model::Record;
use casebook::render::charts::draw;
use casebook::{analysis, load};
use jiff::civil::Date;
use rayon::prelude::*;

const BUDGET_MS: f64 = 100.0;
const BUDGET_RECORDS: usize = 10_000;

struct Options {
    archive: PathBuf,
    today: Date,
    runs: usize,
}

fn options() -> Result<Options, String> {
    let mut archive = None;
    let mut today: Date = "2026-10-31".parse().map_err(|e| format!("{e}"))?;
    let mut runs = 7;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bench" => {}
            "--today" => {
                let value = args.next().ok_or("--today needs a date")?;
                today = value.parse().map_err(|e| format!("--today {value}: {e}"))?;
            }
            "--runs" => {
                let value = args.next().ok_or("--runs needs a number")?;
                runs = value.parse().map_err(|e| format!("--runs {value}: {e}"))?;
            }
            _ if arg.starts_with('-') => return Err(format!("unknown option {arg}")),
            _ => archive = Some(PathBuf::from(arg)),
        }
    }
    let archive = match archive {
        Some(path) => path,
        None => default_corpus()?,
    };
    Ok(Options {
        archive,
        today,
        runs: runs.max(1),
    })
}

/// bench/run.py's cached 10,000-record corpus, generated when missing.
fn default_corpus() -> Result<PathBuf, String> {
    let cache = std::env::var_os("CASEBOOK_BENCH_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/casebook-bench")))
        .ok_or("set CASEBOOK_BENCH_CACHE or pass an archive folder")?;
    let out = cache.join(format!("corpus-{BUDGET_RECORDS}"));
    if out.join("site.toml").is_file() {
        return Ok(out);
    }
    let generator = std::env::var_os("CASEBOOK_CORPUS_GEN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_corpus.py")
        });
    eprintln!(
        "bench: generating {BUDGET_RECORDS} records in {}",
        out.display()
    );
    let status = std::process::Command::new("python3")
        .arg(&generator)
        .arg(&out)
        .args(["--incidents", &BUDGET_RECORDS.to_string(), "--force"])
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", generator.display()))?;
    if !status.success() {
        return Err(format!("{} failed", generator.display()));
    }
    Ok(out)
}

/// The fastest and the median run: on a shared machine the fastest is the least
/// disturbed by other processes; the median shows the spread.
fn spread(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    (samples[0], samples[samples.len() / 2])
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("bench: {message}");
            return ExitCode::from(2);
        }
    };
    let config = match SiteConfig::load(&options.archive) {
        Ok((config, _)) => config,
        Err(error) => {
            eprintln!("bench: {error}");
            return ExitCode::from(2);
        }
    };
    let (archive, _) = load::load(&options.archive, config);
    let records: Vec<&Record> = archive.records.iter().collect();
    let today = options.today;
    let (mut figures_ms, mut facts_ms, mut insights_ms, mut subsets_ms, mut charts_ms) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut subset_count = 0;
    for _ in 0..options.runs {
        let started = Instant::now();
        let figures = analysis::figures(&records, today);
        figures_ms.push(ms(started));

        let started = Instant::now();
        let facts = analysis::facts(&records, &figures, &archive.config, today);
        facts_ms.push(ms(started));

        let started = Instant::now();
        let insights = facts.insights();
        insights_ms.push(ms(started));

        let started = Instant::now();
        // As the build does for the pages of services and tags: group the records,
        // then compute each group's figures in parallel.
        let mut groups: BTreeMap<(u8, &str), Vec<usize>> = BTreeMap::new();
        for (i, record) in records.iter().enumerate() {
            let names = record.services.iter().map(|s| (0, s.as_str()));
            for key in names.chain(record.tags.iter().map(|t| (1, t.as_str()))) {
                groups.entry(key).or_default().push(i);
            }
        }
        let subsets: Vec<Insights> = groups
            .par_iter()
            .map(|(_, positions)| facts.subset(positions))
            .collect();
        subsets_ms.push(ms(started));
        subset_count = subsets.len();

        let started = Instant::now();
        let drawn: Vec<_> = insight_charts(&insights, "")
            .into_iter()
            .map(|spec| draw(spec, &archive.config))
            .collect();
        let svg_bytes: usize = subsets
            .par_iter()
            .flat_map_iter(|subset| summary_charts(subset, "summary-"))
            .map(|spec| draw(spec, &archive.config).svg.len())
            .sum();
        charts_ms.push(ms(started));
        std::hint::black_box((drawn.len(), svg_bytes));
    }
    let stages = [
        ("per-record figures", spread(figures_ms)),
        ("facts from records", spread(facts_ms)),
        ("archive insights", spread(insights_ms)),
        ("service and tag sets", spread(subsets_ms)),
        ("every chart (all sets)", spread(charts_ms)),
    ];
    let total: f64 = stages.iter().map(|(_, (fastest, _))| fastest).sum();
    let total_median: f64 = stages.iter().map(|(_, (_, median))| median).sum();
    let records = archive.records.len();
    let budget = BUDGET_MS * records.max(1) as f64 / BUDGET_RECORDS as f64;
    println!(
        "insights bench: {records} records, {subset_count} service and tag subsets, {} runs",
        options.runs
    );
    println!("  {:<24} {:>9} {:>9}", "stage", "fastest", "median");
    for (stage, (fastest, median)) in stages {
        println!("  {stage:<24} {fastest:6.1} ms {median:6.1} ms");
    }
    println!(
        "  {:<24} {total:6.1} ms {total_median:6.1} ms (budget {budget:.0} ms, fastest runs)",
        "total"
    );
    if total > budget {
        eprintln!("bench: over budget");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
