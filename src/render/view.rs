//! What templates see: serializable views that borrow from the model.
//!
//! Templates never receive a [`Record`] itself. A [`RecordView`] holds the record's
//! fields as they are shown (dates formatted in the site's timezone, durations in
//! words, slugs and URLs computed, the body as HTML), so a theme needs no logic and
//! the model can change without breaking themes. Every URL in a view is relative to
//! the site root (`incidents/INC-1/`); templates put `{{ root }}` in front of it, so
//! the site works under any base URL and from a folder on disk.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;

use super::markdown::TocEntry;
use super::merged::Merged;
use crate::analysis::metrics::{human_duration, ActionCounts, ActionState, Figures};
use crate::core::config::SiteConfig;
use crate::core::model::{ActionItem, Record, Visibility};
use crate::core::paths::{is_absolute_url, record_url, slash_path, term_slug};
use crate::history::follow::item_key;
use crate::history::{forge, Commit, Known, RecordHistory};

/// A service, tag, severity or status with the URL of its index page.
#[derive(Clone, Debug, Serialize)]
pub struct TermView<'a> {
    pub name: &'a str,
    pub slug: String,
    pub url: String,
}

impl<'a> TermView<'a> {
    /// The term `name` listed under `section` (`services`, `tags`, ...).
    pub fn new(section: &str, name: &'a str) -> TermView<'a> {
        let slug = term_slug(name);
        TermView {
            name,
            url: format!("{section}/{slug}/"),
            slug,
        }
    }
}

/// A short reference to a record, for lists and tables: related records,
/// backlinks, similar incidents and every index page.
#[derive(Clone, Debug, Serialize)]
pub struct RecordRef<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub url: String,
    pub date: String,
    pub severity: &'a str,
    pub severity_slug: String,
    /// 0 for the most severe level of site.toml, for sorting.
    pub severity_rank: usize,
    pub status: &'a str,
    pub review: &'static str,
    /// "Draft" or "In review" for a record that is not approved yet, so every list
    /// and page can say so in words; `None` when approved.
    pub review_label: Option<&'static str>,
    pub services: Vec<&'a str>,
    /// The incident's duration in words, when known.
    pub duration: Option<String>,
    pub duration_seconds: Option<i64>,
    pub actions: ActionCounts,
    /// The day git last saw the record change, when the archive is in a repository
    /// and history knows it (lists show it beside the incident's date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
}

impl<'a> RecordRef<'a> {
    pub fn new(record: &'a Record, figures: &Figures, config: &SiteConfig) -> RecordRef<'a> {
        RecordRef {
            id: &record.id,
            title: &record.title,
            url: record_url(&record.id),
            date: record.date.to_string(),
            severity: &record.severity,
            severity_slug: term_slug(&record.severity),
            severity_rank: config.severity_rank(&record.severity),
            status: &record.status,
            review: record.review.as_str(),
            review_label: record.review.label(),
            services: record.services.iter().map(|s| s.as_str()).collect(),
            duration: figures.duration.map(human_duration),
            duration_seconds: figures.duration,
            actions: figures.actions,
            updated: None,
        }
    }
}

/// One computed figure (time to detect, ...), in words and in seconds.
#[derive(Clone, Debug, Serialize)]
pub struct FigureView {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
    pub seconds: i64,
}

/// The figures a record has, in reading order; missing ones are left out.
pub fn figure_views(figures: &Figures) -> Vec<FigureView> {
    [
        ("time_to_detect", "Time to detect", figures.time_to_detect),
        (
            "time_to_acknowledge",
            "Time to acknowledge",
            figures.time_to_acknowledge,
        ),
        (
            "time_to_mitigate",
            "Time to mitigate",
            figures.time_to_mitigate,
        ),
        (
            "time_to_resolve",
            "Time to resolve",
            figures.time_to_resolve,
        ),
        ("duration", "Duration", figures.duration),
    ]
    .into_iter()
    .filter_map(|(key, label, seconds)| {
        seconds.map(|seconds| FigureView {
            key,
            label,
            value: human_duration(seconds),
            seconds,
        })
    })
    .collect()
}

/// One key moment (started, detected, ...), formatted in the site's timezone.
#[derive(Clone, Debug, Serialize)]
pub struct MomentView {
    pub name: &'static str,
    /// The name as a label: `Started`.
    pub label: &'static str,
    pub time: String,
    /// RFC 3339, for `<time datetime>`.
    pub iso: String,
}

/// The record's key moments in order.
pub fn moment_views(record: &Record, tz: &TimeZone) -> Vec<MomentView> {
    let m = &record.moments;
    [
        ("started", "Started", &m.started),
        ("detected", "Detected", &m.detected),
        ("acknowledged", "Acknowledged", &m.acknowledged),
        ("mitigated", "Mitigated", &m.mitigated),
        ("resolved", "Resolved", &m.resolved),
    ]
    .into_iter()
    .filter_map(|(name, label, at)| {
        at.as_ref().map(|at| MomentView {
            name,
            label,
            time: format_time(at.value, tz, None),
            iso: at.value.to_string(),
        })
    })
    .collect()
}

/// `2024-09-18 14:23`, or just `14:23` when the day is `same_day`.
pub fn format_time(at: Timestamp, tz: &TimeZone, same_day: Option<Date>) -> String {
    // Written out field by field: strftime parses its pattern on every call, and
    // this runs for every time on every page.
    let civil = tz.to_datetime(at);
    if same_day == Some(civil.date()) {
        format!("{:02}:{:02}", civil.hour(), civil.minute())
    } else {
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            civil.year(),
            civil.month(),
            civil.day(),
            civil.hour(),
            civil.minute()
        )
    }
}

/// The impact block, with the figures people scan for first.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImpactView<'a> {
    pub users: Option<u64>,
    #[serde(serialize_with = "whole_numbers_plain")]
    pub requests_failed_pct: Option<f64>,
    #[serde(serialize_with = "whole_numbers_plain")]
    pub revenue: Option<f64>,
    pub currency: &'a str,
    /// `yes` or `no`, when the record says.
    pub data_loss: Option<&'static str>,
    pub slo_breach: Option<&'static str>,
    pub description: Option<&'a str>,
    /// Whether any of the above is set.
    pub any: bool,
}

impl<'a> ImpactView<'a> {
    pub fn new(record: &'a Record, config: &'a SiteConfig) -> ImpactView<'a> {
        let i = &record.impact;
        ImpactView {
            users: i.users,
            requests_failed_pct: i.requests_failed_pct,
            revenue: i.revenue,
            currency: &config.currency,
            data_loss: i.data_loss.map(yes_no),
            slo_breach: i.slo_breach.map(yes_no),
            description: i.description.as_deref(),
            any: i.users.is_some()
                || i.requests_failed_pct.is_some()
                || i.revenue.is_some()
                || i.data_loss.is_some()
                || i.slo_breach.is_some()
                || i.description.is_some(),
        }
    }
}

/// Serializes a whole `f64` as an integer, so a page shows `64%`, not `64.0%`.
fn whole_numbers_plain<S: serde::Serializer>(
    value: &Option<f64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match *value {
        None => serializer.serialize_none(),
        Some(n) => whole_number_plain(&n, serializer),
    }
}

/// [`whole_numbers_plain`] for a number that is always there.
fn whole_number_plain<S: serde::Serializer>(n: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if n.fract() == 0.0 && n.abs() < MAX_EXACT_INTEGER {
        // Exact: `n` is whole and within the integers an f64 holds exactly.
        serializer.serialize_i64(*n as i64)
    } else {
        serializer.serialize_f64(*n)
    }
}

/// 2^53: every whole `f64` below it converts to `i64` exactly.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

/// One row of the timeline table; `event` is HTML rendered from inline Markdown.
#[derive(Clone, Debug, Serialize)]
pub struct EventView<'a> {
    pub time: String,
    pub iso: String,
    pub event: String,
    pub source: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub kind: Option<&'a str>,
}

/// An action item as shown, with its state on the build's day.
#[derive(Clone, Debug, Serialize)]
pub struct ActionItemView<'a> {
    pub id: Option<&'a str>,
    pub title: &'a str,
    pub owner: Option<&'a str>,
    pub priority: Option<&'a str>,
    pub due: Option<String>,
    pub status: &'static str,
    /// `overdue`, `open`, `in-progress`, `done` or `wont-do`.
    pub state: &'static str,
    pub overdue: bool,
    pub kind: Option<&'a str>,
    /// The item's link when it is a safe URL; unsafe ones are dropped.
    pub link: Option<&'a str>,
    /// When a closed item was closed: the day of the commit that made it `done` or
    /// `wont-do`, or `unknown` when the history this clone holds cannot tell. Absent
    /// for open items and outside a repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed: Option<String>,
}

/// The views of a record's action items, with their states from its figures.
/// `git` is the record's history, for the day each closed item was closed.
pub fn action_item_views<'a>(
    record: &'a Record,
    figures: &Figures,
    git: Option<&RecordHistory>,
    tz: &TimeZone,
) -> Vec<ActionItemView<'a>> {
    record
        .action_items
        .iter()
        .zip(&figures.action_states)
        .map(|(item, state)| ActionItemView::new(item, *state).closed_from(item, git, tz))
        .collect()
}

impl<'a> ActionItemView<'a> {
    /// `state` comes from the record's [`crate::analysis::metrics::Figures`], computed once per build.
    pub fn new(item: &'a ActionItem, state: ActionState) -> ActionItemView<'a> {
        ActionItemView {
            id: item.id.as_ref().map(|id| id.as_str()),
            title: &item.title,
            owner: item.owner.as_deref(),
            priority: item.priority.as_deref(),
            due: item.due.as_ref().map(|d| d.value.to_string()),
            status: item.status.as_str(),
            state: state.as_str(),
            overdue: state == ActionState::Overdue,
            kind: item.kind.as_deref(),
            link: item
                .link
                .as_ref()
                .map(|link| link.as_str())
                .filter(|url| is_absolute_url(url)),
            closed: None,
        }
    }

    /// The item with its closing day from `git` (the record's history).
    pub fn closed_from(
        mut self,
        item: &ActionItem,
        git: Option<&RecordHistory>,
        tz: &TimeZone,
    ) -> Self {
        if let Some(known) = git.and_then(|g| g.closed.get(&item_key(item))) {
            self.closed = Some(known_day(known, tz));
        }
        self
    }
}

/// A commit's day in the site's timezone, or `unknown`.
pub fn known_day(known: &Known<Commit>, tz: &TimeZone) -> String {
    match known {
        Known::Yes(commit) => commit.at.to_zoned(tz.clone()).date().to_string(),
        Known::Unknown => "unknown".to_string(),
    }
}

/// A commit as a page shows it: its day, its instant and its author.
#[derive(Clone, Debug, Serialize)]
pub struct CommitView {
    /// The day in the site's timezone, or `unknown` when a shallow clone cannot tell.
    pub date: String,
    /// RFC 3339, for `<time datetime>`; absent when unknown.
    pub iso: Option<String>,
    pub author: Option<String>,
    pub commit: Option<String>,
}

impl CommitView {
    fn new(known: &Known<Commit>, tz: &TimeZone) -> CommitView {
        let commit = known.known();
        CommitView {
            date: known_day(known, tz),
            iso: commit.map(|c| c.at.to_string()),
            author: commit.map(|c| c.author.clone()),
            commit: commit.map(|c| c.id.clone()),
        }
    }
}

/// What git says about a record, for its page and its entry in `incidents.json`.
#[derive(Clone, Debug, Serialize)]
pub struct GitView {
    /// The file's path from the repository's root.
    pub path: String,
    pub first_committed: CommitView,
    pub last_changed: CommitView,
    /// Everyone who changed the file (`.mailmap` applied), first contribution first.
    pub contributors: Vec<String>,
    /// False when a shallow clone hides older commits, so people may be missing.
    pub contributors_complete: bool,
    /// The commit in which `review` became `approved`; absent when not approved.
    pub approved: Option<CommitView>,
    /// Whole days from the incident's date to its approval, when both are known.
    pub days_to_approval: Option<i64>,
    /// The file differs from `HEAD` (shown by `casebook serve`).
    pub modified_now: bool,
    pub history_url: Option<String>,
    pub edit_url: Option<String>,
}

impl GitView {
    /// The view of `git`, the history of `record`, with forge links from site.toml.
    pub fn new(
        record: &Record,
        git: &RecordHistory,
        config: &SiteConfig,
        branch: Option<&str>,
    ) -> GitView {
        let tz = &config.timezone;
        let links = forge::links(
            config,
            &slash_path(&record.path),
            Some(&git.repo_path),
            branch,
        )
        .unwrap_or_default();
        let approved = git.approved.as_ref().map(|a| CommitView::new(a, tz));
        let days_to_approval = git
            .approved
            .as_ref()
            .and_then(Known::known)
            .and_then(|c| record.date.until(c.at.to_zoned(tz.clone()).date()).ok())
            .map(|span| i64::from(span.get_days()));
        GitView {
            path: git.repo_path.clone(),
            first_committed: CommitView::new(&git.first_committed, tz),
            last_changed: CommitView::new(&git.last_changed, tz),
            contributors: git.contributors.clone(),
            contributors_complete: git.contributors_complete,
            approved,
            days_to_approval,
            modified_now: git.modified_now,
            history_url: links.history,
            edit_url: links.edit,
        }
    }
}

/// An action item on the archive-wide action pages, with a link to its record:
/// the item's fields and `record`.
#[derive(Clone, Debug)]
pub struct ActionRow<'a> {
    pub item: ActionItemView<'a>,
    pub link: ActionRecord<'a>,
}

/// The record an [`ActionRow`] links to, under `record`.
#[derive(Clone, Debug, Serialize)]
pub struct ActionRecord<'a> {
    pub record: RecordLink<'a>,
}

impl Serialize for ActionRow<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Merged(&self.item, &self.link).serialize(serializer)
    }
}

/// Just enough of a record to link to it.
#[derive(Clone, Debug, Serialize)]
pub struct RecordLink<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub url: &'a str,
    /// As [`RecordRef::review_label`].
    pub review_label: Option<&'static str>,
}

impl<'a> RecordLink<'a> {
    pub fn new(head: &'a RecordRef<'a>) -> RecordLink<'a> {
        RecordLink {
            id: head.id,
            title: head.title,
            url: &head.url,
            review_label: head.review_label,
        }
    }
}

/// A reference under `links:`; `url` is `None` when it was not a safe URL.
#[derive(Clone, Debug, Serialize)]
pub struct LinkView<'a> {
    pub title: &'a str,
    pub url: Option<&'a str>,
}

/// One similar incident on a record's page: the record's fields, its score and why.
#[derive(Clone, Debug)]
pub struct SimilarView<'a> {
    pub record: &'a RecordRef<'a>,
    pub why: SimilarWhy,
}

impl Serialize for SimilarView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Merged(self.record, &self.why).serialize(serializer)
    }
}

/// Why a [`SimilarView`]'s record is similar.
#[derive(Clone, Debug, Serialize)]
pub struct SimilarWhy {
    /// The score in `0..=1`, rounded to two decimals (docs/similar.md).
    #[serde(serialize_with = "whole_number_plain")]
    pub score: f64,
    /// `shares user-service, connection-pool, leak`.
    pub reason: String,
    pub shared_services: Vec<String>,
    pub shared_tags: Vec<String>,
    pub shared_terms: Vec<String>,
}

impl<'a> SimilarView<'a> {
    pub fn new(record: &'a RecordRef<'a>, found: &crate::link::similar::Match) -> SimilarView<'a> {
        SimilarView {
            record,
            why: SimilarWhy {
                score: (found.score * 100.0).round() / 100.0,
                reason: found.reason(),
                shared_services: found.services.clone(),
                shared_tags: found.tags.clone(),
                shared_terms: found.terms.clone(),
            },
        }
    }
}

/// Everything a record's page shows.
///
/// The link stage fills the cross-links: `related` lists the records named in the
/// record's `related:` that are in this build, `backlinks` the records in this build
/// that name or mention it (newest first), `similar` the nearest records by text,
/// services and tags that are not linked already. The default theme's `record.html`
/// has a block for each that shows only when its list is non-empty.
///
/// A template sees the fields of the record's [`RecordRef`] too: the page passes
/// both as one (`Merged`), and where both have a field (`services`), this one's.
#[derive(Clone, Debug, Serialize)]
pub struct RecordView<'a> {
    pub status_slug: String,
    pub visibility: &'static str,
    pub summary: Option<&'a str>,
    /// The summary as HTML: escaped, with mentions of other records linked.
    pub summary_html: Option<String>,
    pub moments: Vec<MomentView>,
    pub services: Vec<TermView<'a>>,
    pub tags: Vec<TermView<'a>>,
    pub commander: Option<&'a str>,
    pub authors: &'a [String],
    pub impact: ImpactView<'a>,
    pub figures: Vec<FigureView>,
    pub timeline: Vec<EventView<'a>>,
    /// The timeline drawn as an inline `<svg>` (see `timeline_svg`).
    pub timeline_svg: Option<String>,
    pub action_items: Vec<ActionItemView<'a>>,
    /// The body as sanitized HTML, and its `##`/`###` headings.
    pub body: String,
    pub toc: Vec<TocEntry>,
    pub links: Vec<LinkView<'a>>,
    /// The record file relative to the archive root, and its address in the
    /// repository when site.toml sets `repository_url`.
    pub source_path: String,
    pub source_url: Option<String>,
    /// What git says about the record, when the archive is in a repository.
    pub git: Option<GitView>,
    pub related: Vec<&'a RecordRef<'a>>,
    pub backlinks: Vec<&'a RecordRef<'a>>,
    pub similar: Vec<SimilarView<'a>>,
    pub extra: &'a serde_json::Value,
}

/// The visibility's name for templates and exports.
pub fn visibility_name(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "public",
        Visibility::Internal => "internal",
    }
}

/// A free page from `content/pages/`.
#[derive(Clone, Debug, Serialize)]
pub struct PageView<'a> {
    pub title: &'a str,
    pub slug: &'a str,
    pub url: String,
    pub body: String,
    pub toc: Vec<TocEntry>,
}

/// Links to the neighbours of one page of a paginated list.
#[derive(Clone, Debug, Serialize)]
pub struct Pager {
    pub number: usize,
    pub count: usize,
    pub total_items: usize,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// Every page's number and URL, for a page list under the table.
    pub pages: Vec<PageNumber>,
}

/// One entry of a pager's page list.
#[derive(Clone, Debug, Serialize)]
pub struct PageNumber {
    pub number: usize,
    pub url: String,
}
