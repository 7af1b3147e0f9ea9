//! Known answers for every insight figure, on tests/fixtures/insights/archive (the
//! comments in each test say where its expected numbers come from), and what the
//! charts of [`chart_specs`] show of them: ids, titles, descriptions, tables and the
//! recent part a small chart keeps.

use std::path::Path;

use super::chart_specs::{
    insight_charts, summary_charts, ChartSpec, Plot, RECENT_MONTHS, RECENT_QUARTERS,
};
use super::*;
use crate::core::config::SiteConfig;
use crate::core::model::{Archive, Record};

fn fixture() -> Archive {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/insights/archive");
    let (config, diags) = SiteConfig::load(&root).expect("site.toml reads");
    assert!(diags.is_empty(), "{diags:?}");
    let (archive, diags) = crate::load::load(&root, config);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(archive.records.len(), 5);
    archive
}

fn day(text: &str) -> Date {
    text.parse().expect("a date")
}

fn insights_on(today: &str) -> Insights {
    let archive = fixture();
    let today = day(today);
    let records: Vec<&Record> = archive.records.iter().collect();
    let figures = crate::analysis::figures(&records, today);
    crate::analysis::facts(&records, &figures, &archive.config, today).insights()
}

fn months<T>(series: &[T], month: impl Fn(&T) -> Month) -> Vec<String> {
    series.iter().map(|m| month(m).to_string()).collect()
}

#[test]
fn nearest_rank_picks_a_value_that_occurred() {
    let ten: Vec<i64> = (1..=10).collect();
    assert_eq!(nearest_rank(&ten, 50), Some(5));
    assert_eq!(nearest_rank(&ten, 90), Some(9));
    let eleven: Vec<i64> = (1..=11).collect();
    assert_eq!(nearest_rank(&eleven, 50), Some(6));
    assert_eq!(nearest_rank(&eleven, 90), Some(10));
    assert_eq!(nearest_rank(&[7], 50), Some(7));
    assert_eq!(nearest_rank(&[7], 90), Some(7));
    assert_eq!(nearest_rank(&[3, 9], 50), Some(3));
    assert_eq!(nearest_rank(&[3, 9], 90), Some(9));
    assert_eq!(nearest_rank(&[], 50), None);
}

#[test]
fn months_and_quarters_cross_year_ends() {
    let december = Month::of(day("2024-12-31"));
    let january = Month::of(day("2025-01-01"));
    assert_eq!(december.to_string(), "2024-12");
    assert_eq!(january.to_string(), "2025-01");
    assert_eq!(december.quarter().to_string(), "2024-Q4");
    assert_eq!(january.quarter().to_string(), "2025-Q1");
    assert_eq!(Month::of(day("2024-02-10")).last_day(), day("2024-02-29"));
    let period = Period {
        first: december,
        last: january,
    };
    let listed: Vec<String> = period.months().map(|m| m.to_string()).collect();
    assert_eq!(listed, ["2024-12", "2025-01"]);
}

#[test]
fn percent_rounds_half_up_to_one_decimal() {
    assert_eq!(percent(3, 5), Some(60.0));
    assert_eq!(percent(1, 3), Some(33.3));
    assert_eq!(percent(2, 3), Some(66.7));
    assert_eq!(percent(1, 8), Some(12.5));
    assert_eq!(percent(0, 0), None);
}

#[test]
fn incidents_per_month_use_the_records_date_in_the_archive_timezone() {
    let insights = insights_on("2025-03-15");
    assert_eq!(insights.severities, ["SEV1", "SEV2", "SEV3"]);
    let per_month = &insights.incidents_per_month;
    assert_eq!(
        months(per_month, |m| m.month),
        ["2024-11", "2024-12", "2025-01", "2025-02", "2025-03"]
    );
    let counts: Vec<(usize, Vec<usize>)> = per_month
        .iter()
        .map(|m| (m.total, m.by_severity.counts.clone()))
        .collect();
    // INC-3 began at 00:30 on 2025-01-01 in Auckland (11:30 UTC on 2024-12-31):
    // it is January's. INC-2 began at 23:50 on 2024-12-31: December's.
    assert_eq!(
        counts,
        [
            (1, vec![1, 0, 0]),
            (1, vec![0, 1, 0]),
            (1, vec![1, 0, 0]),
            (2, vec![0, 1, 1]),
            (0, vec![0, 0, 0]),
        ]
    );
}

#[test]
fn detect_and_resolve_times_per_quarter() {
    let insights = insights_on("2025-03-15");
    let spread = |trend: &DurationTrend| -> Vec<(String, usize, Option<i64>, Option<i64>)> {
        trend
            .per_quarter
            .iter()
            .map(|q| {
                (
                    q.quarter.to_string(),
                    q.spread.count,
                    q.spread.median,
                    q.spread.p90,
                )
            })
            .collect()
    };
    // Q4: INC-1 10 min, INC-2 20 min (across midnight); Q1: INC-3 10 min, INC-5 1 h;
    // INC-4 has no `started`.
    assert_eq!(
        spread(&insights.time_to_detect),
        [
            ("2024-Q4".into(), 2, Some(600), Some(1200)),
            ("2025-Q1".into(), 2, Some(600), Some(3600)),
        ]
    );
    assert_eq!(
        insights.time_to_detect.overall,
        Spread {
            count: 4,
            median: Some(600),
            p90: Some(3600)
        }
    );
    // Resolve (resolved - detected): INC-1 2 h, INC-2 1 h, INC-3 3 h, INC-5 30 min.
    assert_eq!(
        spread(&insights.time_to_resolve),
        [
            ("2024-Q4".into(), 2, Some(3600), Some(7200)),
            ("2025-Q1".into(), 2, Some(1800), Some(10800)),
        ]
    );
    assert_eq!(
        insights.time_to_resolve.overall,
        Spread {
            count: 4,
            median: Some(3600),
            p90: Some(10800)
        }
    );
}

#[test]
fn services_by_incidents_and_by_impact_time() {
    let insights = insights_on("2025-03-15");
    let by_count: Vec<(&str, usize)> = insights
        .top_services_by_incidents
        .iter()
        .map(|s| (s.service.as_str(), s.incidents))
        .collect();
    assert_eq!(by_count, [("api", 4), ("db", 2), ("cache & <edge>", 1)]);
    // Durations: INC-1 2 h 10 min, INC-2 1 h 20 min, INC-3 3 h 10 min, INC-5 1 h 30 min.
    let by_time: Vec<(&str, i64, usize)> = insights
        .top_services_by_impact
        .iter()
        .map(|s| (s.service.as_str(), s.seconds, s.incidents))
        .collect();
    assert_eq!(
        by_time,
        [
            ("db", 19_200, 2),
            ("api", 18_000, 3),
            ("cache & <edge>", 5_400, 1)
        ]
    );
}

#[test]
fn action_items_per_month_by_todays_state() {
    let insights = insights_on("2025-03-15");
    let rows: Vec<(String, usize, usize, usize, usize)> = insights
        .actions_per_month
        .iter()
        .map(|m| (m.month.to_string(), m.opened, m.done, m.wont_do, m.open))
        .collect();
    assert_eq!(
        rows,
        [
            ("2024-11".into(), 2, 1, 0, 1),
            ("2024-12".into(), 2, 0, 1, 1),
            ("2025-01".into(), 3, 1, 0, 2),
            ("2025-02".into(), 2, 1, 0, 1),
            ("2025-03".into(), 0, 0, 0, 0),
        ]
    );
}

#[test]
fn overdue_over_time_counts_from_the_day_after_the_due_date() {
    let insights = insights_on("2025-03-15");
    let rows: Vec<(String, String, usize)> = insights
        .overdue_per_month
        .iter()
        .map(|m| (m.month.to_string(), m.as_of.to_string(), m.overdue))
        .collect();
    // INC-1 AI-2 (due 2025-01-10) from January; INC-3 AI-1 (due 2025-03-14) on
    // 2025-03-15; INC-2 AI-2 is due on 2025-03-15 itself, so not overdue yet.
    assert_eq!(
        rows,
        [
            ("2024-11".into(), "2024-11-30".into(), 0),
            ("2024-12".into(), "2024-12-31".into(), 0),
            ("2025-01".into(), "2025-01-31".into(), 1),
            ("2025-02".into(), "2025-02-28".into(), 1),
            ("2025-03".into(), "2025-03-15".into(), 2),
        ]
    );
    assert_eq!(insights.totals.overdue, 2);
    // The day after, INC-2 AI-2 is overdue too.
    let later = insights_on("2025-03-16");
    assert_eq!(later.overdue_per_month.last().map(|m| m.overdue), Some(3));
    assert_eq!(later.totals.overdue, 3);
}

#[test]
fn follow_through_puts_every_item_in_one_bucket() {
    let insights = insights_on("2025-03-15");
    assert_eq!(
        insights.follow_through,
        FollowThrough {
            items: 9,
            done_before_due: 1,
            done_due_passed: 2,
            overdue: 2,
            open_not_due: 2,
            no_due: 1,
            wont_do: 1,
            done_pct: Some(60.0),
        }
    );
    assert_eq!(
        insights.totals,
        Totals {
            incidents: 5,
            action_items: 9,
            open: 5,
            overdue: 2,
            done: 3,
            wont_do: 1,
        }
    );
}

#[test]
fn subsets_compute_the_same_figures_over_the_archive_period() {
    let archive = fixture();
    let today = day("2025-03-15");
    let records: Vec<&Record> = archive.records.iter().collect();
    let figures = crate::analysis::figures(&records, today);
    let facts = crate::analysis::facts(&records, &figures, &archive.config, today);
    let whole = facts.insights();
    // The records naming `db`, wherever they are in the archive's order.
    let db_positions: Vec<usize> = (0..records.len())
        .filter(|&i| records[i].services.iter().any(|s| s.as_str() == "db"))
        .collect();
    assert_eq!(db_positions.len(), 2);
    let db = facts.subset(&db_positions);
    assert_eq!(db.period, whole.period);
    assert_eq!(db.totals.incidents, 2);
    let totals: Vec<usize> = db.incidents_per_month.iter().map(|m| m.total).collect();
    assert_eq!(totals, [1, 0, 1, 0, 0]);
    assert_eq!(
        db.time_to_resolve.overall,
        Spread {
            count: 2,
            median: Some(7200),
            p90: Some(10800)
        }
    );
    assert_eq!(db.follow_through.overdue, 2);
    // Only the services of the subset's records are ranked.
    let services: Vec<(&str, usize)> = db
        .top_services_by_incidents
        .iter()
        .map(|s| (s.service.as_str(), s.incidents))
        .collect();
    assert_eq!(services, [("db", 2), ("api", 1)]);
    // The whole archive is the subset of every position.
    let every: Vec<usize> = (0..records.len()).collect();
    assert_eq!(facts.subset(&every), whole);
    assert_eq!(facts.subset(&[]).totals, Totals::default());
}

#[test]
fn an_empty_archive_has_one_empty_month() {
    let config = SiteConfig::default();
    let insights = Facts::new(&[], &config, day("2025-03-15")).insights();
    assert_eq!(insights.incidents_per_month.len(), 1);
    assert_eq!(insights.incidents_per_month[0].total, 0);
    assert_eq!(insights.time_to_detect.overall, Spread::default());
    assert!(insights.top_services_by_incidents.is_empty());
    assert_eq!(insights.follow_through.done_pct, None);
}

/// The whole fixture's facts on 2025-03-15, and the positions of the records that
/// name `db`.
fn facts_and_db() -> (Facts, Vec<usize>) {
    let archive = fixture();
    let today = day("2025-03-15");
    let records: Vec<&Record> = archive.records.iter().collect();
    let figures = crate::analysis::figures(&records, today);
    let facts = crate::analysis::facts(&records, &figures, &archive.config, today);
    let db = (0..records.len())
        .filter(|&i| records[i].services.iter().any(|s| s.as_str() == "db"))
        .collect();
    (facts, db)
}

#[test]
fn the_fixture_charts_show_the_fixture_figures() {
    let charts = insight_charts(&insights_on("2025-03-15"), "");
    let ids: Vec<&str> = charts.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "incidents-per-month",
            "time-to-detect",
            "time-to-resolve",
            "services-by-incidents",
            "services-by-impact",
            "actions-per-month",
            "overdue-per-month",
            "follow-through",
        ]
    );
    let per_month = &charts[0];
    assert_eq!(
        per_month.table.columns,
        ["Month", "SEV1", "SEV2", "SEV3", "Total"]
    );
    assert_eq!(per_month.table.rows[3], ["2025-02", "0", "1", "1", "2"]);

    let resolve = &charts[2];
    assert_eq!(
        resolve.table.rows,
        [
            ["2024-Q4", "2", "1 h", "2 h"],
            ["2025-Q1", "2", "30 min", "3 h"]
        ]
    );

    let impact = &charts[4];
    assert_eq!(impact.table.rows[2], ["cache & <edge>", "1 h 30 min", "1"]);

    assert!(charts[7]
        .description
        .contains("done or overdue, 60.0% are done"));
}

#[test]
fn descriptions_say_when_months_tie() {
    let (facts, db) = facts_and_db();
    let charts = summary_charts(&facts.subset(&db), "s-");
    assert!(
        charts[0]
            .description
            .ends_with("2 in all; at most 1 in a month, in 2 months."),
        "{}",
        charts[0].description
    );
    assert!(charts.iter().all(|c| c.id.starts_with("s-")));
}

/// How many categories a chart of vertical bars draws.
fn categories(chart: &ChartSpec) -> usize {
    match &chart.plot {
        Plot::Bars(bars) => bars.categories.len(),
        Plot::Horizontal { .. } => 0,
    }
}

#[test]
fn small_charts_show_the_recent_part_of_a_long_period() {
    let mut insights = insights_on("2025-03-15");
    // Thirty months and twelve quarters, as an archive some years old has.
    let month = insights.incidents_per_month[0].clone();
    insights.incidents_per_month = vec![month; 30];
    let quarter = insights.time_to_resolve.per_quarter[0];
    insights.time_to_resolve.per_quarter = vec![quarter; 12];

    let small = summary_charts(&insights, "s-");
    assert_eq!(small[0].table.rows.len(), RECENT_MONTHS);
    assert_eq!(categories(&small[0]), RECENT_MONTHS);
    assert_eq!(
        small[0].title,
        "Incidents per month by severity, last 24 months"
    );
    assert!(
        small[0].description.contains(": 24 in all"),
        "{}",
        small[0].description
    );
    assert_eq!(small[2].table.rows.len(), RECENT_QUARTERS);
    assert_eq!(categories(&small[2]), RECENT_QUARTERS);
    assert_eq!(
        small[2].title,
        "Time to resolve per quarter, last 8 quarters"
    );

    // The insights page keeps the whole period, under its plain titles.
    let full = insight_charts(&insights, "");
    assert_eq!(full[0].table.rows.len(), 30);
    assert_eq!(categories(&full[0]), 30);
    assert_eq!(full[0].title, "Incidents per month by severity");
    assert_eq!(full[2].table.rows.len(), 12);
}

/// Counts in chart descriptions print with separators, as everywhere on the site:
/// 1,200 action items in one record read "1,200 opened", not "1200 opened".
#[test]
fn descriptions_print_counts_with_separators() {
    let mut text = String::from(
        "---\nid: INC-1\ntitle: Many items\ndate: 2024-05-01\nseverity: SEV1\n\
         status: investigating\naction_items:\n",
    );
    for i in 0..1200 {
        text.push_str(&format!(
            "  - title: Item {i}\n    owner: team\n    due: 2030-01-01\n"
        ));
    }
    text.push_str("---\n");
    let (record, diags) = crate::load::record_from_bytes(
        Path::new("content/incidents/a.md"),
        text.as_bytes(),
        &SiteConfig::default(),
    );
    let record = record.unwrap_or_else(|| panic!("a record: {diags:?}"));
    let today = day("2024-06-01");
    let records = vec![&record];
    let figures = crate::analysis::figures(&records, today);
    let insights =
        crate::analysis::facts(&records, &figures, &SiteConfig::default(), today).insights();
    let charts = insight_charts(&insights, "");
    let actions = charts
        .iter()
        .find(|c| c.id == "actions-per-month")
        .expect("the action-items chart");
    assert!(
        actions.description.contains("1,200 opened"),
        "{}",
        actions.description
    );
}
