//! The index pages: home, every incident, one list per severity, service, tag, year
//! and status, and the action items grouped by state and by owner.
//!
//! Long lists are cut into numbered pages ([`PER_PAGE`] incidents, [`ACTIONS_PER_PAGE`]
//! action items): the first at `<list>/`, the next at `<list>/page/2/` and so on, so
//! no page grows without bound as the archive grows. Each page is one job; the jobs
//! render in parallel.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use super::view::{term_slug, ActionItemView, ActionRow, PageNumber, Pager, RecordRef};
use super::{RenderError, Site};
use crate::metrics::ActionState;
use crate::model::slug;
use crate::write::OutputFile;

/// Incidents per page of a list.
pub const PER_PAGE: usize = 100;
/// Action items per page of a list.
pub const ACTIONS_PER_PAGE: usize = 200;
/// Incidents on the home page.
const LATEST: usize = 10;
/// Action items per state on the action overview page.
const ACTIONS_PREVIEW: usize = 25;

/// One entry of a list of terms (services, tags, years, severities, statuses).
#[derive(Serialize)]
struct TermCount<'a> {
    name: String,
    slug: String,
    /// `None` when no incident has the term, so it has no page.
    url: Option<String>,
    count: usize,
    description: Option<&'a str>,
    owner: Option<&'a str>,
    color: Option<&'a str>,
}

/// The records of one term, in the selection's order (newest first).
struct Group {
    name: String,
    records: Vec<usize>,
}

/// Action items counted by state.
#[derive(Default, Serialize, Clone, Copy)]
struct StateCounts {
    overdue: usize,
    open: usize,
    in_progress: usize,
    done: usize,
    wont_do: usize,
    total: usize,
}

impl StateCounts {
    fn add(&mut self, state: ActionState) {
        self.total += 1;
        match state {
            ActionState::Overdue => self.overdue += 1,
            ActionState::Open => self.open += 1,
            ActionState::InProgress => self.in_progress += 1,
            ActionState::Done => self.done += 1,
            ActionState::WontDo => self.wont_do += 1,
        }
    }
}

/// One action item: its record (index in the selection) and position in the record.
#[derive(Clone, Copy)]
struct ItemAt {
    record: usize,
    item: usize,
    state: ActionState,
}

type Job<'j> = Box<dyn Fn() -> Result<OutputFile, RenderError> + Send + Sync + 'j>;

/// Renders every index page.
pub(super) fn render(site: &Site<'_>) -> Result<Vec<OutputFile>, RenderError> {
    let mut jobs: Vec<Job<'_>> = Vec::new();
    let records = site.selection.records.as_slice();
    let all: Vec<usize> = (0..records.len()).collect();

    let severities = group(site, |i| vec![records[i].severity.clone()]);
    let services = group(site, |i| {
        records[i]
            .services
            .iter()
            .map(|s| s.value.clone())
            .collect()
    });
    let tags = group(site, |i| {
        records[i].tags.iter().map(|s| s.value.clone()).collect()
    });
    let years = group(site, |i| vec![records[i].date.year().to_string()]);
    let statuses = group(site, |i| vec![records[i].status.value.clone()]);

    let mut items: Vec<ItemAt> = Vec::new();
    for (i, record) in records.iter().enumerate() {
        for (j, item) in record.action_items.iter().enumerate() {
            items.push(ItemAt {
                record: i,
                item: j,
                state: ActionState::of(item, site.options.today),
            });
        }
    }
    items.sort_by(|a, b| {
        let (x, y) = (site.item(a), site.item(b));
        let due = |i: &crate::model::ActionItem| i.due.as_ref().map(|d| d.value);
        a.state
            .cmp(&b.state)
            .then_with(|| match (due(x), due(y)) {
                (Some(p), Some(q)) => p.cmp(&q),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.record.cmp(&b.record))
            .then_with(|| a.item.cmp(&b.item))
    });
    let mut counts = StateCounts::default();
    for item in &items {
        counts.add(item.state);
    }

    // Home.
    {
        let by_severity = severity_terms(site, &severities);
        jobs.push(Box::new(move || {
            let latest: Vec<&RecordRef> = site.refs.iter().take(LATEST).collect();
            site.page("index.html", "index.html".into(), |c| {
                c.insert("latest", &latest);
                c.insert("by_severity", &by_severity);
                c.insert("actions", &counts);
                c.insert("total", &site.refs.len());
                c.insert("nav", "home");
            })
        }));
    }

    // Every incident.
    push_lists(
        site,
        &mut jobs,
        "incidents/",
        "All incidents".to_string(),
        None,
        all,
        "incidents",
    );

    // Severity, service, tag, year, status.
    let sev_terms = severity_terms(site, &severities);
    push_terms(
        site,
        &mut jobs,
        "severity/",
        "Incidents by severity",
        sev_terms,
    );
    for g in severities.values() {
        let description = site
            .config
            .severities
            .iter()
            .find(|s| s.name == g.name)
            .map(|s| s.description.clone());
        push_lists(
            site,
            &mut jobs,
            &format!("severity/{}/", term_slug(&g.name)),
            format!("{} incidents", g.name),
            description,
            g.records.clone(),
            "incidents",
        );
    }
    push_group_lists(site, &mut jobs, "services", "Service", &services);
    push_group_lists(site, &mut jobs, "tags", "Tag", &tags);
    push_group_lists(site, &mut jobs, "years", "Incidents in", &years);
    push_group_lists(site, &mut jobs, "status", "Status", &statuses);

    let mut service_terms: Vec<TermCount> = Vec::new();
    if let Some(catalog) = &site.config.services {
        for (name, service) in catalog {
            let s = term_slug(name);
            let count = services.get(&s).map_or(0, |g| g.records.len());
            service_terms.push(TermCount {
                name: name.clone(),
                slug: s.clone(),
                url: (count > 0).then(|| format!("services/{s}/")),
                count,
                description: Some(&service.description),
                owner: service.owner.as_deref(),
                color: None,
            });
        }
    }
    for (s, g) in &services {
        if !service_terms.iter().any(|t| term_slug(&t.name) == *s) {
            service_terms.push(plain_term(&g.name, format!("services/{s}/"), g));
        }
    }
    service_terms.sort_by(|a, b| a.name.cmp(&b.name));
    push_terms(site, &mut jobs, "services/", "Services", service_terms);
    let tag_terms = tags
        .iter()
        .map(|(s, g)| plain_term(&g.name, format!("tags/{s}/"), g))
        .collect();
    push_terms(site, &mut jobs, "tags/", "Tags", tag_terms);
    let mut year_terms: Vec<TermCount> = years
        .iter()
        .map(|(s, g)| plain_term(&g.name, format!("years/{s}/"), g))
        .collect();
    year_terms.reverse();
    push_terms(site, &mut jobs, "years/", "Years", year_terms);
    let mut status_terms: Vec<TermCount> = Vec::new();
    for name in &site.config.statuses {
        let s = term_slug(name);
        let count = statuses.get(&s).map_or(0, |g| g.records.len());
        status_terms.push(TermCount {
            name: name.clone(),
            slug: s.clone(),
            url: (count > 0).then(|| format!("status/{s}/")),
            count,
            description: None,
            owner: None,
            color: None,
        });
    }
    push_terms(
        site,
        &mut jobs,
        "status/",
        "Incidents by status",
        status_terms,
    );

    push_actions(site, &mut jobs, &items, counts);

    jobs.par_iter().map(|job| job()).collect()
}

impl Site<'_> {
    fn item(&self, at: &ItemAt) -> &crate::model::ActionItem {
        &self.selection.records[at.record].action_items[at.item]
    }

    fn action_row(&self, at: &ItemAt) -> ActionRow<'_> {
        ActionRow {
            item: ActionItemView::new(self.item(at), self.options.today),
            record: &self.refs[at.record],
        }
    }
}

/// Groups the selected records by the terms `terms` gives each, keyed by slug.
fn group(site: &Site<'_>, terms: impl Fn(usize) -> Vec<String>) -> BTreeMap<String, Group> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for i in 0..site.refs.len() {
        let mut names = terms(i);
        names.sort();
        names.dedup();
        for name in names {
            let g = groups.entry(term_slug(&name)).or_insert_with(|| Group {
                name: name.clone(),
                records: Vec::new(),
            });
            g.records.push(i);
        }
    }
    groups
}

fn plain_term<'a>(name: &str, url: String, g: &Group) -> TermCount<'a> {
    TermCount {
        name: name.to_string(),
        slug: term_slug(name),
        url: Some(url),
        count: g.records.len(),
        description: None,
        owner: None,
        color: None,
    }
}

/// Every severity of site.toml, most severe first, with its count.
fn severity_terms<'a>(site: &Site<'a>, groups: &BTreeMap<String, Group>) -> Vec<TermCount<'a>> {
    site.config
        .severities
        .iter()
        .map(|s| {
            let slug = term_slug(&s.name);
            let count = groups.get(&slug).map_or(0, |g| g.records.len());
            TermCount {
                name: s.name.clone(),
                slug: slug.clone(),
                url: (count > 0).then(|| format!("severity/{slug}/")),
                count,
                description: Some(&s.description),
                owner: None,
                color: s.color.as_deref(),
            }
        })
        .collect()
}

fn push_terms<'j>(
    site: &'j Site<'_>,
    jobs: &mut Vec<Job<'j>>,
    dir: &str,
    title: &'static str,
    terms: Vec<TermCount<'j>>,
) {
    let path = format!("{dir}index.html");
    let section = dir.trim_end_matches('/').to_string();
    jobs.push(Box::new(move || {
        site.page("terms.html", path.clone(), |c| {
            c.insert("title", title);
            c.insert("section", &section);
            c.insert("terms", &terms);
            c.insert("nav", "incidents");
        })
    }));
}

fn push_group_lists<'j>(
    site: &'j Site<'_>,
    jobs: &mut Vec<Job<'j>>,
    section: &str,
    label: &str,
    groups: &BTreeMap<String, Group>,
) {
    for (s, g) in groups {
        let description = (section == "services")
            .then(|| {
                site.config
                    .services
                    .as_ref()
                    .and_then(|c| c.get(&g.name))
                    .map(|svc| svc.description.clone())
            })
            .flatten();
        push_lists(
            site,
            jobs,
            &format!("{section}/{s}/"),
            format!("{label} {}", g.name),
            description,
            g.records.clone(),
            "incidents",
        );
    }
}

/// The numbered pages of one list at `dir` (`dir`, `dir/page/2/`, ...).
fn pages(dir: &str, total: usize, per_page: usize) -> Vec<(String, Pager)> {
    let count = total.div_ceil(per_page).max(1);
    let url = |n: usize| {
        if n == 1 {
            dir.to_string()
        } else {
            format!("{dir}page/{n}/")
        }
    };
    let all: Vec<PageNumber> = (1..=count)
        .map(|number| PageNumber {
            number,
            url: url(number),
        })
        .collect();
    (1..=count)
        .map(|n| {
            (
                format!("{}index.html", url(n)),
                Pager {
                    number: n,
                    count,
                    total_items: total,
                    prev: (n > 1).then(|| url(n - 1)),
                    next: (n < count).then(|| url(n + 1)),
                    pages: if count > 1 { all.clone() } else { Vec::new() },
                },
            )
        })
        .collect()
}

fn push_lists<'j>(
    site: &'j Site<'_>,
    jobs: &mut Vec<Job<'j>>,
    dir: &str,
    title: String,
    description: Option<String>,
    records: Vec<usize>,
    nav: &'static str,
) {
    let records = std::sync::Arc::new(records);
    for (path, pager) in pages(dir, records.len(), PER_PAGE) {
        let records = std::sync::Arc::clone(&records);
        let title = title.clone();
        let description = description.clone();
        jobs.push(Box::new(move || {
            let start = (pager.number - 1) * PER_PAGE;
            let rows: Vec<&RecordRef> = records
                .iter()
                .skip(start)
                .take(PER_PAGE)
                .map(|&i| &site.refs[i])
                .collect();
            site.page("list.html", path.clone(), |c| {
                c.insert("title", &title);
                c.insert("description", &description);
                c.insert("records", &rows);
                c.insert("pager", &pager);
                c.insert("nav", nav);
            })
        }));
    }
}

/// The states on the action pages, in the order they are shown.
const STATES: &[(ActionState, &str, &str)] = &[
    (ActionState::Overdue, "overdue", "Overdue"),
    (ActionState::Open, "open", "Open"),
    (ActionState::InProgress, "in-progress", "In progress"),
    (ActionState::Done, "done", "Done"),
    (ActionState::WontDo, "wont-do", "Won't do"),
];

/// One state's section on the overview page.
#[derive(Serialize)]
struct StateSection<'a> {
    key: &'static str,
    title: &'static str,
    count: usize,
    url: Option<String>,
    rows: Vec<ActionRow<'a>>,
}

/// One owner's line on the overview page.
#[derive(Serialize)]
struct OwnerLine {
    name: String,
    url: String,
    counts: StateCounts,
}

fn push_actions<'j>(
    site: &'j Site<'_>,
    jobs: &mut Vec<Job<'j>>,
    items: &[ItemAt],
    counts: StateCounts,
) {
    let mut by_owner: BTreeMap<String, (String, Vec<ItemAt>)> = BTreeMap::new();
    for at in items {
        let owner = site.item(at).owner.as_deref().unwrap_or("");
        let key = match slug(owner) {
            s if s.is_empty() => "unassigned".to_string(),
            s => s,
        };
        let name = if owner.trim().is_empty() {
            "(no owner)"
        } else {
            owner
        };
        by_owner
            .entry(key)
            .or_insert_with(|| (name.to_string(), Vec::new()))
            .1
            .push(*at);
    }
    let owners: Vec<OwnerLine> = by_owner
        .iter()
        .map(|(key, (name, list))| {
            let mut c = StateCounts::default();
            for at in list {
                c.add(at.state);
            }
            OwnerLine {
                name: name.clone(),
                url: format!("actions/owners/{key}/"),
                counts: c,
            }
        })
        .collect();

    let by_state: Vec<(&'static str, &'static str, Vec<ItemAt>)> = STATES
        .iter()
        .map(|(state, key, title)| {
            (
                *key,
                *title,
                items
                    .iter()
                    .filter(|a| a.state == *state)
                    .copied()
                    .collect(),
            )
        })
        .collect();
    let previews: Vec<(&'static str, &'static str, usize, Vec<ItemAt>)> = by_state
        .iter()
        .map(|(key, title, list)| {
            (
                *key,
                *title,
                list.len(),
                list.iter().take(ACTIONS_PREVIEW).copied().collect(),
            )
        })
        .collect();
    jobs.push(Box::new(move || {
        let sections: Vec<StateSection> = previews
            .iter()
            .map(|(key, title, count, rows)| StateSection {
                key,
                title,
                count: *count,
                url: (*count > 0).then(|| format!("actions/{key}/")),
                rows: rows.iter().map(|a| site.action_row(a)).collect(),
            })
            .collect();
        site.page("actions.html", "actions/index.html".into(), |c| {
            c.insert("title", "Action items");
            c.insert("counts", &counts);
            c.insert("sections", &sections);
            c.insert("owners", &owners);
            c.insert("preview", &ACTIONS_PREVIEW);
            c.insert("nav", "actions");
        })
    }));
    for (key, title, list) in by_state {
        if !list.is_empty() {
            push_action_lists(
                site,
                jobs,
                &format!("actions/{key}/"),
                title.to_string(),
                list,
            );
        }
    }
    for (key, (name, list)) in by_owner {
        push_action_lists(
            site,
            jobs,
            &format!("actions/owners/{key}/"),
            format!("Action items of {name}"),
            list,
        );
    }
}

fn push_action_lists<'j>(
    site: &'j Site<'_>,
    jobs: &mut Vec<Job<'j>>,
    dir: &str,
    title: String,
    items: Vec<ItemAt>,
) {
    let items = std::sync::Arc::new(items);
    for (path, pager) in pages(dir, items.len(), ACTIONS_PER_PAGE) {
        let items = std::sync::Arc::clone(&items);
        let title = title.clone();
        jobs.push(Box::new(move || {
            let start = (pager.number - 1) * ACTIONS_PER_PAGE;
            let rows: Vec<ActionRow> = items
                .iter()
                .skip(start)
                .take(ACTIONS_PER_PAGE)
                .map(|a| site.action_row(a))
                .collect();
            site.page("action_list.html", path.clone(), |c| {
                c.insert("title", &title);
                c.insert("rows", &rows);
                c.insert("pager", &pager);
                c.insert("nav", "actions");
            })
        }));
    }
}
