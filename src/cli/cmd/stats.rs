//! `casebook stats`: the insight figures (docs/insights.md) on the terminal, or as
//! the JSON object that incidents.json carries. The tables are the ones the
//! insights page shows beside its charts, and the records are the ones `casebook
//! build` publishes with the same `--profile`, so they agree. It
//! prints the charts' words and tables only and draws nothing.

use std::io::Write;
use std::time::Instant;

use crate::analysis;
use crate::analysis::insights::chart_specs::insight_charts;
use crate::analysis::insights::Insights;
use crate::analysis::select;
use crate::cli::cmd::{checked_archive, today, Failure, Outcome};
use crate::cli::table::{write_aligned, Align};
use crate::cli::{GlobalArgs, StatsArgs, StatsFormat};
use crate::core::timing::log_time;
use crate::pipeline::Setup;

/// Prints the figures of the selected records as of today.
pub fn run(global: &GlobalArgs, args: &StatsArgs) -> Result<Outcome, Failure> {
    let setup = Setup::load(&global.root)?;
    let today = today(&args.today)?.date(&setup.config.timezone);
    let Some(archive) = checked_archive(global, setup, today, args.timings)? else {
        return Ok(Outcome::Failed);
    };
    let selection = select::select(&archive, args.select.profile());
    let started = Instant::now();
    let figures = analysis::figures(&selection.records, today);
    log_time(args.timings, "figures", started);
    let started = Instant::now();
    let insights = analysis::facts(&selection.records, &figures, &archive.config, today).insights();
    log_time(args.timings, "insights", started);
    let mut stdout = std::io::stdout().lock();
    match args.format {
        StatsFormat::Json => serde_json::to_writer_pretty(&mut stdout, &insights)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(stdout)),
        StatsFormat::Table => write_tables(&mut stdout, &insights),
    }
    .map_err(Failure::io("cannot write the figures"))?;
    Ok(Outcome::Clean)
}

/// One titled, described table per figure, in the insights page's order.
pub fn write_tables(out: &mut dyn Write, insights: &Insights) -> std::io::Result<()> {
    let t = &insights.totals;
    writeln!(
        out,
        "{} incidents from {} to {}, as of {}; {} action items: {} open ({} overdue), {} done, {} won't do",
        t.incidents,
        insights.period.first,
        insights.period.last,
        insights.today,
        t.action_items,
        t.open,
        t.overdue,
        t.done,
        t.wont_do
    )?;
    for chart in insight_charts(insights, "") {
        writeln!(out, "\n{}\n{}\n", chart.title, chart.description)?;
        let header: Vec<String> = chart
            .table
            .columns
            .iter()
            .map(|c| c.to_uppercase())
            .collect();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut align = vec![Align::Right; header.len()];
        if let Some(first) = align.first_mut() {
            *first = Align::Left;
        }
        write_aligned(out, &header, &align, &chart.table.rows)?;
    }
    Ok(())
}
