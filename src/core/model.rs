//! The data model at the middle of the pipeline: a [`Record`] per postmortem and the
//! [`Archive`] that holds them with the configuration.
//!
//! Loading produces these types; validation, linking and rendering only read them.
//! Fields that later checks point at keep their [`Span`], so a finding raised after
//! loading still names the file, line and column of the value.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::Timestamp;
use serde::Serialize;

use crate::core::config::SiteConfig;
use crate::core::diag::{Source, Span, Spanned};

/// Who may see a record. A public build leaves internal records out entirely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Internal,
}

impl Visibility {
    pub fn parse(text: &str) -> Option<Visibility> {
        match text {
            "public" => Some(Visibility::Public),
            "internal" => Some(Visibility::Internal),
            _ => None,
        }
    }
}

/// Where a postmortem is in its review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Review {
    Draft,
    InReview,
    Approved,
}

impl Review {
    pub const NAMES: &'static [&'static str] = &["draft", "in-review", "approved"];

    pub fn parse(text: &str) -> Option<Review> {
        match text {
            "draft" => Some(Review::Draft),
            "in-review" => Some(Review::InReview),
            "approved" => Some(Review::Approved),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Review::Draft => "draft",
            Review::InReview => "in-review",
            Review::Approved => "approved",
        }
    }

    /// What the site shows beside a record that is not approved yet ("Draft",
    /// "In review"), so readers know its write-up is unfinished; `None` when approved.
    pub fn label(self) -> Option<&'static str> {
        match self {
            Review::Draft => Some("Draft"),
            Review::InReview => Some("In review"),
            Review::Approved => None,
        }
    }
}

/// The state of an action item. `Open` and `InProgress` count as open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    WontDo,
}

impl ActionStatus {
    pub const NAMES: &'static [&'static str] = &["open", "in-progress", "done", "wont-do"];

    pub fn parse(text: &str) -> Option<ActionStatus> {
        match text {
            "open" => Some(ActionStatus::Open),
            "in-progress" => Some(ActionStatus::InProgress),
            "done" => Some(ActionStatus::Done),
            "wont-do" => Some(ActionStatus::WontDo),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::InProgress => "in-progress",
            ActionStatus::Done => "done",
            ActionStatus::WontDo => "wont-do",
        }
    }

    /// Open items are the ones that can be overdue and want an owner and a due date.
    pub fn is_open(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }
}

/// Timeline event kinds the spec allows.
pub const TIMELINE_KINDS: &[&str] = &[
    "detection",
    "escalation",
    "diagnosis",
    "mitigation",
    "resolution",
    "communication",
    "other",
];
/// Action item kinds the spec allows.
pub const ACTION_KINDS: &[&str] = &["detect", "mitigate", "prevent", "process"];

/// The incident's key moments, each as written (for its span) and as an instant.
#[derive(Clone, Debug, Default)]
pub struct Moments {
    pub started: Option<Spanned<Timestamp>>,
    pub detected: Option<Spanned<Timestamp>>,
    pub acknowledged: Option<Spanned<Timestamp>>,
    pub mitigated: Option<Spanned<Timestamp>>,
    pub resolved: Option<Spanned<Timestamp>>,
}

/// The optional impact block; every key optional.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Impact {
    pub users: Option<u64>,
    pub requests_failed_pct: Option<f64>,
    pub revenue: Option<f64>,
    pub data_loss: Option<bool>,
    pub slo_breach: Option<bool>,
    pub description: Option<String>,
}

/// One line of the timeline.
#[derive(Clone, Debug)]
pub struct TimelineEvent {
    pub at: Spanned<Timestamp>,
    /// Inline Markdown.
    pub event: Spanned<String>,
    pub source: Option<String>,
    pub actor: Option<String>,
    pub kind: Option<String>,
}

/// A follow-up task from the postmortem.
#[derive(Clone, Debug)]
pub struct ActionItem {
    pub id: Option<Spanned<String>>,
    pub title: Spanned<String>,
    pub owner: Option<String>,
    pub priority: Option<String>,
    pub due: Option<Spanned<Date>>,
    pub status: ActionStatus,
    pub kind: Option<String>,
    pub link: Option<Spanned<String>>,
}

/// A reference under `links:`.
#[derive(Clone, Debug)]
pub struct Link {
    pub title: String,
    pub url: Spanned<String>,
}

/// One postmortem, as read from its file.
#[derive(Clone, Debug)]
pub struct Record {
    pub source: Arc<Source>,
    /// The record file relative to the archive root (`content/incidents/x.md`).
    pub path: PathBuf,
    /// The bundle folder when the record is `dir/index.md`.
    pub bundle: Option<PathBuf>,
    pub id: Spanned<String>,
    pub title: String,
    pub date: Date,
    pub severity: String,
    pub status: Spanned<String>,
    pub review: Spanned<Review>,
    pub visibility: Visibility,
    pub summary: Option<Spanned<String>>,
    pub moments: Moments,
    pub services: Vec<Spanned<String>>,
    pub tags: Vec<Spanned<String>>,
    pub commander: Option<String>,
    pub authors: Vec<String>,
    pub impact: Impact,
    pub timeline: Vec<TimelineEvent>,
    pub action_items: Vec<ActionItem>,
    pub related: Vec<Spanned<String>>,
    pub links: Vec<Link>,
    pub extra: serde_json::Value,
    /// The body's byte offset in the file (for findings that point into the body).
    pub body_offset: usize,
    /// The body of a YAML record (`body:`, indentation removed); `.md` bodies are
    /// read from the source text instead of being copied.
    pub yaml_body: Option<String>,
}

impl Record {
    /// The Markdown body.
    pub fn body(&self) -> &str {
        match &self.yaml_body {
            Some(body) => body,
            None => self.source.text.get(self.body_offset..).unwrap_or_default(),
        }
    }

    /// Where a byte range of [`Record::body`] is in the file, for findings in the body.
    /// A `.md` body is a slice of the file. A YAML record's `body: |` lost its
    /// indentation, so each body line is matched to its file line; a body in another
    /// YAML style (folded, quoted) does not keep its lines, and findings in it point
    /// at the start of `body`.
    pub fn body_span(&self, range: Range<usize>) -> Span {
        let Some(body) = &self.yaml_body else {
            return Span::new(self.body_offset + range.start, self.body_offset + range.end);
        };
        let text = &self.source.text;
        let fallback = Span::new(self.body_offset, self.body_offset);
        let Some(before) = body.get(..range.start) else {
            return fallback;
        };
        let first_line = text
            .get(..self.body_offset)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1);
        let indent = self.body_offset - first_line;
        let line = before.matches('\n').count();
        let column = range.start - before.rfind('\n').map_or(0, |i| i + 1);
        let line_start = match line {
            0 => Some(first_line),
            n => text[first_line..]
                .match_indices('\n')
                .nth(n - 1)
                .map(|(i, _)| first_line + i + 1),
        };
        let start = line_start.map_or(usize::MAX, |s| s + indent + column);
        let end = start.saturating_add(range.len());
        if text.get(start..end).is_some() && text.get(start..end) == body.get(range) {
            Span::new(start, end)
        } else {
            fallback
        }
    }
}

/// A free page from `content/pages/`.
#[derive(Clone, Debug)]
pub struct Page {
    /// The file's text, for findings that point into the page.
    pub source: Arc<Source>,
    pub path: PathBuf,
    /// The URL slug: the file name without its extension.
    pub slug: String,
    pub title: String,
    pub body: String,
    /// Where the body starts in the file, to place findings about links in it.
    pub body_offset: usize,
}

/// Every record and page of an archive, sorted by date (newest first) then id.
#[derive(Debug)]
pub struct Archive {
    /// The archive folder, canonical (symlinks resolved) so containment checks are exact.
    pub root: PathBuf,
    pub config: SiteConfig,
    pub records: Vec<Record>,
    pub pages: Vec<Page>,
    /// Record files that could not be read as records (already reported).
    pub rejected: usize,
}

impl Archive {
    /// Records and files looked at, for the summary line.
    pub fn files_checked(&self) -> usize {
        self.records.len() + self.rejected
    }
}
