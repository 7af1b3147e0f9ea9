//! `casebook actions`: every action item across the archive with its incident,
//! owner, priority, due date, state today and days overdue, as a table, JSON or CSV
//! (the CSV in the columns of the site's `action-items.csv`, declared once in
//! `render::exports`).
//! `--fail-on overdue` exits 1 when a listed item is overdue, for a scheduled CI job.
//!
//! States come from the per-record figures (`metrics::ActionState`): an open or
//! in-progress item is overdue from the day after its due date. The records are
//! the ones `casebook build` publishes with the same `--profile`, so
//! the list matches the site's action-item pages.

use std::io::Write;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::analysis::metrics::{days_overdue, ActionState, Figures};
use crate::analysis::{self, select};
use crate::cli::cmd::{checked_archive, today, Failure, Outcome};
use crate::cli::table::{write_aligned, Align};
use crate::cli::{ActionsArgs, FailOn, GlobalArgs, ListFormat};
use crate::core::diag::{display_path, nearest};
use crate::core::model::Record;
use crate::core::paths::record_url;
use crate::history::History;
use crate::pipeline::{self, Setup};
use crate::render::exports::{push_action_item_header, push_action_item_row};
use crate::render::view::ActionItemView;

/// Which items to list; `None` lets every item through.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    pub overdue: bool,
    pub owner: Option<&'a str>,
    pub service: Option<&'a str>,
}

/// One listed item; also the JSON shape (docs/actions.md).
#[derive(Clone, Debug, Serialize)]
pub struct Item<'a> {
    pub incident: &'a str,
    pub incident_title: &'a str,
    /// The record file, relative to the archive root.
    pub file: String,
    pub id: Option<&'a str>,
    pub title: &'a str,
    pub owner: Option<&'a str>,
    pub priority: Option<&'a str>,
    #[serde(serialize_with = "date")]
    pub due: Option<Date>,
    /// As written in the record.
    pub status: &'static str,
    /// On `today`: `overdue`, or the status.
    pub state: &'static str,
    /// Days past the due date, for overdue items.
    pub days_overdue: Option<i64>,
    pub link: Option<&'a str>,
    /// The day of the commit that closed a `done` or `wont-do` item, or `unknown`
    /// when a shallow clone cannot tell; absent for open items and outside a
    /// repository (docs/history.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed: Option<String>,
    /// Its record, for the CSV row: the CSV has the columns of the site's
    /// `action-items.csv`, which are the record's and the item's.
    #[serde(skip)]
    pub record: &'a Record,
    /// The item as the site shows it, for the same CSV row.
    #[serde(skip)]
    pub view: ActionItemView<'a>,
}

fn date<S: serde::Serializer>(value: &Option<Date>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(day) => serializer.collect_str(day),
        None => serializer.serialize_none(),
    }
}

/// Lists the archive's items that pass `filter`: overdue first (longest overdue
/// first), then open and in progress, done, and won't do; within each by due date
/// (none last), priority, incident id and the item's place in its record.
pub fn list<'a>(
    records: &[&'a Record],
    figures: &'a [Figures],
    priorities: &[String],
    today: Date,
    filter: &Filter<'_>,
    history: Option<&History>,
    tz: &TimeZone,
) -> Vec<Item<'a>> {
    let mut found = Vec::new();
    for (&record, figures) in records.iter().zip(figures) {
        if let Some(service) = filter.service {
            if !record.services.iter().any(|s| s.as_str() == service) {
                continue;
            }
        }
        let items = record.action_items.iter().zip(&figures.action_states);
        for (position, (item, &state)) in items.enumerate() {
            if filter.overdue && state != ActionState::Overdue {
                continue;
            }
            if let Some(owner) = filter.owner {
                if !item
                    .owner
                    .as_deref()
                    .is_some_and(|o| o.eq_ignore_ascii_case(owner))
                {
                    continue;
                }
            }
            let due = item.due.as_ref().map(|d| d.value);
            let git = history.and_then(|h| h.record(&record.path));
            let view = ActionItemView::new(item, state).closed_from(item, git, tz);
            let rank = item
                .priority
                .as_ref()
                .and_then(|p| priorities.iter().position(|known| known == p))
                .unwrap_or(priorities.len());
            let group = match state {
                ActionState::Overdue => 0,
                ActionState::Open | ActionState::InProgress => 1,
                ActionState::Done => 2,
                ActionState::WontDo => 3,
            };
            let key = (
                group,
                due.is_none(),
                due,
                rank,
                record.id.as_str(),
                position,
            );
            found.push((
                key,
                Item {
                    incident: record.id.as_str(),
                    incident_title: &record.title,
                    file: display_path(&record.path),
                    id: item.id.as_ref().map(|id| id.as_str()),
                    title: item.title.as_str(),
                    owner: item.owner.as_deref(),
                    priority: item.priority.as_deref(),
                    due,
                    status: item.status.as_str(),
                    state: state.as_str(),
                    days_overdue: due
                        .filter(|_| state == ActionState::Overdue)
                        .map(|d| days_overdue(d, today)),
                    link: item.link.as_ref().map(|link| link.as_str()),
                    closed: view.closed.clone(),
                    record,
                    view,
                },
            ));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found.into_iter().map(|(_, item)| item).collect()
}

/// Lists the items; exits 1 with `--fail-on overdue` when one is overdue.
pub fn run(global: &GlobalArgs, args: &ActionsArgs) -> Result<Outcome, Failure> {
    let setup = Setup::load(&global.root)?;
    let today = today(&args.today)?.date(&setup.config.timezone);
    if let (Some(service), Some(catalog)) = (&args.service, &setup.config.services) {
        if !catalog.contains_key(service) {
            let mut message = format!("site.toml lists no service `{service}`");
            if let Some(near) = nearest(service, catalog.keys().map(String::as_str)) {
                message.push_str(&format!("; did you mean `{near}`?"));
            }
            return Err(Failure::Usage(message));
        }
    }
    let Some(archive) = checked_archive(global, setup, today, false)? else {
        return Ok(Outcome::Failed);
    };
    let selection = select::select(&archive, args.select.profile());
    let figures = analysis::figures(&selection.records, today);
    let filter = Filter {
        overdue: args.overdue,
        owner: args.owner.as_deref(),
        service: args.service.as_deref(),
    };
    let priorities = &archive.config.priorities;
    let (history, findings) = pipeline::history(&archive, false);
    for finding in &findings {
        crate::core::say!("warning[{}]: {}", finding.rule.code(), finding.message);
    }
    let tz = &archive.config.timezone;
    let items = list(
        &selection.records,
        &figures,
        priorities,
        today,
        &filter,
        history.as_ref(),
        tz,
    );
    let mut stdout = std::io::stdout().lock();
    write(&mut stdout, &items, args.format, &archive.config.base_url)
        .map_err(Failure::io("cannot write the list"))?;
    let overdue = items.iter().filter(|i| i.days_overdue.is_some()).count();
    if !global.quiet {
        let _ = writeln!(
            std::io::stderr(),
            "{} action item{} listed, {overdue} overdue on {today}",
            items.len(),
            if items.len() == 1 { "" } else { "s" },
        );
    }
    Ok(match args.fail_on {
        Some(FailOn::Overdue) if overdue > 0 => Outcome::Failed,
        _ => Outcome::Clean,
    })
}

/// Writes the list in the chosen format. The CSV has the columns of the site's
/// `action-items.csv`, its `url` the record page's address under `base_url`.
pub fn write(
    out: &mut dyn Write,
    items: &[Item<'_>],
    format: ListFormat,
    base_url: &str,
) -> std::io::Result<()> {
    match format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, items)?;
            writeln!(out)
        }
        ListFormat::Csv => {
            let mut text = String::new();
            push_action_item_header(&mut text);
            for item in items {
                let url = format!("{base_url}{}", record_url(item.incident));
                push_action_item_row(&mut text, item.record, &item.view, &url);
            }
            out.write_all(text.as_bytes())
        }
        ListFormat::Table => {
            if items.is_empty() {
                return Ok(());
            }
            // The CLOSED column shows only when history knows of a closed item.
            let closed = items.iter().any(|item| item.closed.is_some());
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|item| {
                    let mut row = vec![
                        item.incident.to_string(),
                        item.id.unwrap_or("-").to_string(),
                        item.state.to_string(),
                        item.due.map_or_else(|| "-".to_string(), |d| d.to_string()),
                        item.days_overdue
                            .map_or_else(|| "-".to_string(), |d| d.to_string()),
                        item.priority.unwrap_or("-").to_string(),
                        item.owner.unwrap_or("-").to_string(),
                        item.title.to_string(),
                    ];
                    if closed {
                        row.insert(4, item.closed.clone().unwrap_or_else(|| "-".to_string()));
                    }
                    row
                })
                .collect();
            use Align::{Left, Right};
            let mut header = vec![
                "INCIDENT",
                "ITEM",
                "STATE",
                "DUE",
                "DAYS OVERDUE",
                "PRIORITY",
                "OWNER",
                "TITLE",
            ];
            let mut align = vec![Left, Left, Left, Left, Right, Left, Left, Left];
            if closed {
                header.insert(4, "CLOSED");
                align.insert(4, Left);
            }
            write_aligned(out, &header, &align, &rows)
        }
    }
}
