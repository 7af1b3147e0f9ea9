//! The index pages: home, every incident, one list per severity, service, tag, year
//! and status, and the action items grouped by state and by owner (an owner's page
//! lists what they still have open; finished items are on the state pages).
//!
//! Long lists are cut into numbered pages ([`PER_PAGE`] incidents, [`ACTIONS_PER_PAGE`]
//! action items): the first at `<list>/`, the next at `<list>/page-2.html` and so on
//! (beside the first, so every page of a list is at the same depth), and no page
//! grows without bound as the archive grows.
//!
//! A record appears in many lists (all incidents, its severity, year, status, each
//! of its services and tags), so its table row is rendered once per page depth by
//! the theme's `partials/record_row.html` and shared by every list at that depth.
//! An action item appears in one list of its state (and, while open, its owner's),
//! so action rows are rendered with their page. Each page is one job; the jobs
//! render in parallel.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use serde::Serialize;

use super::view::{ActionItemView, ActionRecord, ActionRow, PageNumber, Pager, RecordLink};
use super::{insight_pages, RenderContext, RenderError};
use crate::analysis::metrics::ActionState;
use crate::core::paths::{slug, term_slug};
use crate::render::sink::{OutputFile, Sink};

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

/// List pages are at most this many folders deep (`severity/sev1/`); rows are
/// cached for each depth up to it.
const DEPTHS: usize = 3;

/// Record rows rendered once per record and page depth, then shared by every list
/// page at that depth; and every action item, sorted.
struct Rows<'s, 'a> {
    site: &'s RenderContext<'a>,
    /// Every action item, sorted: by state, then due date, then record.
    items: Vec<ItemAt>,
    records: Vec<[OnceLock<String>; DEPTHS]>,
}

impl<'s, 'a> Rows<'s, 'a> {
    fn new(site: &'s RenderContext<'a>, items: Vec<ItemAt>) -> Rows<'s, 'a> {
        Rows {
            site,
            records: (0..site.refs.len()).map(|_| Default::default()).collect(),
            items,
        }
    }

    /// The row of the `i`th record for a page `depth` folders below the root.
    fn record(&self, i: usize, depth: usize) -> Result<Cow<'_, str>, RenderError> {
        let make = || {
            self.site.fragment("partials/record_row.html", depth, |c| {
                c.insert("r", &self.site.refs[i])
            })
        };
        match self.records[i].get(depth) {
            Some(cell) => cached(cell, make).map(Cow::Borrowed),
            None => make().map(Cow::Owned),
        }
    }

    fn records_html(&self, list: &[usize], depth: usize) -> Result<Vec<Cow<'_, str>>, RenderError> {
        list.iter().map(|&i| self.record(i, depth)).collect()
    }

    /// The action items at these positions of [`Rows::items`], for a template.
    fn actions(&self, list: &[usize]) -> Vec<ActionRow<'_>> {
        list.iter()
            .map(|&n| self.site.action_row(&self.items[n]))
            .collect()
    }
}

/// The cell's value, computed by `make` the first time. Two threads may both
/// compute it; they produce the same text, and one of them is kept.
fn cached(
    cell: &OnceLock<String>,
    make: impl FnOnce() -> Result<String, RenderError>,
) -> Result<&str, RenderError> {
    if let Some(text) = cell.get() {
        return Ok(text);
    }
    let text = make()?;
    Ok(cell.get_or_init(|| text))
}

/// How many folders below the site root a page's file is.
fn depth(path: &str) -> usize {
    path.matches('/').count()
}

/// Collects the index pages as jobs, then renders them in parallel.
struct Indexes<'j, 'a> {
    site: &'j RenderContext<'a>,
    rows: &'j Rows<'j, 'a>,
    jobs: Vec<Job<'j>>,
}

/// Renders every index page into `sink`.
pub(super) fn render(site: &RenderContext<'_>, sink: &dyn Sink) -> Result<(), RenderError> {
    let records = site.selection.records.as_slice();
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
    for (i, figures) in site.figures.iter().enumerate() {
        for (j, &state) in figures.action_states.iter().enumerate() {
            items.push(ItemAt {
                record: i,
                item: j,
                state,
            });
        }
    }
    items.sort_by(|a, b| {
        let due = |at: &ItemAt| site.item(at).due.as_ref().map(|d| d.value);
        a.state
            .cmp(&b.state)
            .then_with(|| match (due(a), due(b)) {
                (Some(p), Some(q)) => p.cmp(&q),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.record.cmp(&b.record))
            .then_with(|| a.item.cmp(&b.item))
    });
    let rows = Rows::new(site, items);
    let mut out = Indexes {
        site,
        rows: &rows,
        jobs: Vec::new(),
    };

    let mut counts = StateCounts::default();
    for item in &rows.items {
        counts.add(item.state);
    }
    out.home(severity_terms(site, &severities), counts);
    out.lists(
        "incidents/",
        "All incidents".to_string(),
        None,
        (0..records.len()).collect(),
        false,
    );

    out.terms(
        "severity/",
        "Incidents by severity",
        severity_terms(site, &severities),
    );
    for (s, g) in &severities {
        let description = site
            .config
            .severities
            .iter()
            .find(|sev| sev.name == g.name)
            .map(|sev| sev.description.clone());
        out.lists(
            &format!("severity/{s}/"),
            format!("{} incidents", g.name),
            description,
            g.records.clone(),
            false,
        );
    }
    out.group_lists("services", "Service", &services);
    out.group_lists("tags", "Tag", &tags);
    out.group_lists("years", "Incidents in", &years);
    out.group_lists("status", "Status", &statuses);

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
        if !service_terms.iter().any(|t| t.slug == *s) {
            service_terms.push(plain_term(&g.name, format!("services/{s}/"), g));
        }
    }
    service_terms.sort_by(|a, b| a.name.cmp(&b.name));
    out.terms("services/", "Services", service_terms);
    let tag_terms = tags
        .iter()
        .map(|(s, g)| plain_term(&g.name, format!("tags/{s}/"), g))
        .collect();
    out.terms("tags/", "Tags", tag_terms);
    let mut year_terms: Vec<TermCount> = years
        .iter()
        .map(|(s, g)| plain_term(&g.name, format!("years/{s}/"), g))
        .collect();
    year_terms.reverse();
    out.terms("years/", "Years", year_terms);
    let status_terms = site
        .config
        .statuses
        .iter()
        .map(|name| {
            let s = term_slug(name);
            let count = statuses.get(&s).map_or(0, |g| g.records.len());
            TermCount {
                name: name.clone(),
                url: (count > 0).then(|| format!("status/{s}/")),
                slug: s,
                count,
                description: None,
                owner: None,
                color: None,
            }
        })
        .collect();
    out.terms("status/", "Incidents by status", status_terms);

    out.actions(counts);
    out.jobs
        .par_iter()
        .try_for_each(|job| Ok(sink.put(job()?)?))
}

impl RenderContext<'_> {
    fn item(&self, at: &ItemAt) -> &crate::core::model::ActionItem {
        &self.selection.records[at.record].action_items[at.item]
    }

    fn action_row(&self, at: &ItemAt) -> ActionRow<'_> {
        ActionRow {
            item: ActionItemView::new(self.item(at), at.state),
            link: ActionRecord {
                record: RecordLink::new(&self.refs[at.record]),
            },
        }
    }
}

/// Groups the selected records by the terms `terms` gives each, keyed by slug.
fn group(
    site: &RenderContext<'_>,
    terms: impl Fn(usize) -> Vec<String>,
) -> BTreeMap<String, Group> {
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
fn severity_terms<'a>(
    site: &RenderContext<'a>,
    groups: &BTreeMap<String, Group>,
) -> Vec<TermCount<'a>> {
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

/// The numbered pages of one list at `dir`: `dir/` then `dir/page-2.html`, ...
/// Returns each page's file and its pager.
fn pages(dir: &str, total: usize, per_page: usize) -> Vec<(String, Pager)> {
    let count = total.div_ceil(per_page).max(1);
    let url = |n: usize| {
        if n == 1 {
            dir.to_string()
        } else {
            format!("{dir}page-{n}.html")
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
            let file = if n == 1 {
                format!("{dir}index.html")
            } else {
                url(n)
            };
            (
                file,
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

impl<'j, 'a> Indexes<'j, 'a> {
    fn home(&mut self, by_severity: Vec<TermCount<'j>>, counts: StateCounts) {
        let (site, rows) = (self.site, self.rows);
        self.jobs.push(Box::new(move || {
            let latest: Vec<usize> = (0..site.refs.len().min(LATEST)).collect();
            let latest = rows.records_html(&latest, 0)?;
            let recent = site.recently_updated();
            site.page("index.html", "index.html".into(), |c| {
                c.insert("rows", &latest);
                c.insert("recent", &recent);
                c.insert("by_severity", &by_severity);
                c.insert("actions", &counts);
                c.insert("total", &site.refs.len());
                c.insert("nav", "home");
            })
        }));
    }

    fn terms(&mut self, dir: &str, title: &'static str, terms: Vec<TermCount<'j>>) {
        let site = self.site;
        let path = format!("{dir}index.html");
        let section = dir.trim_end_matches('/').to_string();
        self.jobs.push(Box::new(move || {
            site.page("terms.html", path.clone(), |c| {
                c.insert("title", title);
                c.insert("section", &section);
                c.insert("terms", &terms);
                c.insert("nav", "incidents");
            })
        }));
    }

    fn group_lists(&mut self, section: &str, label: &str, groups: &BTreeMap<String, Group>) {
        for (s, g) in groups {
            let description = (section == "services")
                .then(|| {
                    self.site
                        .config
                        .services
                        .as_ref()
                        .and_then(|c| c.get(&g.name))
                        .map(|svc| svc.description.clone())
                })
                .flatten();
            self.lists(
                &format!("{section}/{s}/"),
                format!("{label} {}", g.name),
                description,
                g.records.clone(),
                matches!(section, "services" | "tags"),
            );
        }
    }

    /// The pages of one list of records at `dir`. With `summary`, the first page
    /// also shows the small version of the insights over the list's records.
    fn lists(
        &mut self,
        dir: &str,
        title: String,
        description: Option<String>,
        records: Vec<usize>,
        summary: bool,
    ) {
        let (site, rows) = (self.site, self.rows);
        let records = Arc::new(records);
        for (path, pager) in pages(dir, records.len(), PER_PAGE) {
            let records = Arc::clone(&records);
            let title = title.clone();
            let description = description.clone();
            self.jobs.push(Box::new(move || {
                let start = (pager.number - 1) * PER_PAGE;
                let end = (start + PER_PAGE).min(records.len());
                let html = rows.records_html(&records[start..end], depth(&path))?;
                let summary =
                    (summary && pager.number == 1).then(|| insight_pages::summary(site, &records));
                site.page("list.html", path.clone(), |c| {
                    c.insert("summary", &summary);
                    c.insert("title", &title);
                    c.insert("description", &description);
                    c.insert("rows", &html);
                    c.insert("pager", &pager);
                    c.insert("nav", "incidents");
                })
            }));
        }
    }

    /// The overview of every action item, one list per state and one per owner.
    fn actions(&mut self, counts: StateCounts) {
        let (site, rows) = (self.site, self.rows);
        let mut by_owner: BTreeMap<String, (String, Vec<usize>, StateCounts)> = BTreeMap::new();
        for (n, at) in rows.items.iter().enumerate() {
            let owner = site.item(at).owner.as_deref().unwrap_or("").trim();
            let key = match slug(owner) {
                s if s.is_empty() => "unassigned".to_string(),
                s => s,
            };
            let name = if owner.is_empty() {
                "(no owner)"
            } else {
                owner
            };
            let entry = by_owner
                .entry(key)
                .or_insert_with(|| (name.to_string(), Vec::new(), StateCounts::default()));
            entry.2.add(at.state);
            if at.state.is_open() {
                entry.1.push(n);
            }
        }
        let owners: Vec<OwnerLine> = by_owner
            .iter()
            .map(|(key, (name, _, counts))| OwnerLine {
                name: name.clone(),
                url: format!("actions/owner-{key}/"),
                counts: *counts,
            })
            .collect();
        let by_state: Vec<(&'static str, &'static str, Vec<usize>)> = STATES
            .iter()
            .map(|(state, key, title)| {
                let list = (0..rows.items.len())
                    .filter(|&n| rows.items[n].state == *state)
                    .collect();
                (*key, *title, list)
            })
            .collect();
        let previews: Vec<(&'static str, &'static str, Vec<usize>, usize)> = by_state
            .iter()
            .map(|(key, title, list)| {
                (
                    *key,
                    *title,
                    list.iter().take(ACTIONS_PREVIEW).copied().collect(),
                    list.len(),
                )
            })
            .collect();
        self.jobs.push(Box::new(move || {
            let sections: Vec<StateSection> = previews
                .iter()
                .map(|(key, title, list, count)| StateSection {
                    key,
                    title,
                    count: *count,
                    url: (*count > 0).then(|| format!("actions/{key}/")),
                    rows: rows.actions(list),
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
                self.action_lists(&format!("actions/{key}/"), title.to_string(), list);
            }
        }
        for (key, (name, open, _)) in by_owner {
            self.action_lists(
                &format!("actions/owner-{key}/"),
                format!("Open action items of {name}"),
                open,
            );
        }
    }

    /// The pages of one list of action items at `dir`.
    fn action_lists(&mut self, dir: &str, title: String, items: Vec<usize>) {
        let (site, rows) = (self.site, self.rows);
        let items = Arc::new(items);
        for (path, pager) in pages(dir, items.len(), ACTIONS_PER_PAGE) {
            let items = Arc::clone(&items);
            let title = title.clone();
            self.jobs.push(Box::new(move || {
                let start = (pager.number - 1) * ACTIONS_PER_PAGE;
                let end = (start + ACTIONS_PER_PAGE).min(items.len());
                let page_rows = rows.actions(&items[start..end]);
                site.page("action_list.html", path.clone(), |c| {
                    c.insert("title", &title);
                    c.insert("rows", &page_rows);
                    c.insert("pager", &pager);
                    c.insert("nav", "actions");
                })
            }));
        }
    }
}
