//! Stage 2b, import: timelines from other tools. Each source (`slack`, `pagerduty`,
//! `opsgenie`, `csv`) reads its export into [`ImportedEntry`]s; [`emit`] writes them as a
//! `timeline:` block of YAML, and [`merge`] puts them into a record's file without
//! touching a byte outside its timeline (docs/import.md).
//!
//! The stage comes after `load` because a merge reads the record with load's YAML
//! (spans included) and validates the result with load's decoder.

pub mod csv;
pub mod emit;
pub mod merge;
pub mod opsgenie;
pub mod pagerduty;
pub mod slack;

use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// One timeline entry read from another tool, before it is written as YAML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedEntry {
    /// Whole seconds: the written form keeps seconds, so a re-import compares equal.
    pub at: Timestamp,
    /// Inline Markdown.
    pub event: String,
    pub source: Option<String>,
    pub actor: Option<String>,
    /// One of the record format's timeline kinds.
    pub kind: Option<&'static str>,
}

impl ImportedEntry {
    /// An entry at `at`, cut to whole seconds, with its text trimmed.
    pub fn new(at: Timestamp, event: impl Into<String>) -> ImportedEntry {
        let at = Timestamp::from_second(at.as_second()).unwrap_or(at);
        ImportedEntry {
            at,
            event: event.into().trim().to_string(),
            source: None,
            actor: None,
            kind: None,
        }
    }

    /// What makes two entries the same import: source, instant, actor and text
    /// (docs/import.md, "Importing again").
    pub fn identity(&self) -> (Option<&str>, Timestamp, Option<&str>, &str) {
        (
            self.source.as_deref(),
            self.at,
            self.actor.as_deref(),
            self.event.as_str(),
        )
    }
}

/// The key moments a source can tell, for filling a record's own keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FoundMoments {
    pub detected: Option<Timestamp>,
    pub acknowledged: Option<Timestamp>,
    pub resolved: Option<Timestamp>,
}

/// Keeps the earlier of the moment in `slot` and `at`: a detection or an
/// acknowledgement is the first one.
pub fn earliest(slot: &mut Option<Timestamp>, at: Timestamp) {
    if slot.is_none_or(|seen| at < seen) {
        *slot = Some(at);
    }
}

/// What an importer read: the entries in time order, the moments it knows, and how
/// many records of the export it left out on purpose (noise, notifications).
#[derive(Debug, Default)]
pub struct Imported {
    pub entries: Vec<ImportedEntry>,
    pub moments: FoundMoments,
    pub left_out: usize,
}

impl Imported {
    /// Sorts the entries by time (stable, so equal times keep the export's order)
    /// and drops repeats of one entry.
    pub fn finish(mut self) -> Imported {
        self.entries.sort_by_key(|e| e.at);
        let mut seen = std::collections::HashSet::new();
        self.entries
            .retain(|e| seen.insert((e.source.clone(), e.at, e.actor.clone(), e.event.clone())));
        self
    }
}

/// The span of time to import; both ends included, either open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl Window {
    /// Whether `at` falls inside the window.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.from.is_none_or(|from| at >= from) && self.to.is_none_or(|to| at <= to)
    }

    /// "between X and Y", "from X on", "up to Y" or "" for messages about it.
    pub fn describe(&self) -> String {
        match (self.from, self.to) {
            (Some(from), Some(to)) => format!(" between {from} and {to}"),
            (Some(from), None) => format!(" from {from} on"),
            (None, Some(to)) => format!(" up to {to}"),
            (None, None) => String::new(),
        }
    }
}

/// How times are written: bare `HH:MM` on the record's date, full timestamps on
/// other days, both in the archive's timezone.
#[derive(Clone, Debug)]
pub struct Clock {
    pub tz: TimeZone,
    pub date: Date,
}

/// Why an import could not be done. Nothing was written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not the export the command reads.
    #[error("{}: {message}", .path.display())]
    NotExport { path: PathBuf, message: String },
    /// The file is the right kind but a part of it is malformed; `at` is
    /// `file:line:col` (or the name of the file inside an archive).
    #[error("{at}: {message}")]
    Malformed { at: String, message: String },
    /// A zip entry whose path leaves the export (zip-slip).
    #[error("{}: the zip holds `{entry}`, a path that leaves the export; casebook reads no file of such an archive", .zip.display())]
    UnsafeZipPath { zip: PathBuf, entry: String },
    /// `--channel` names no channel of the export.
    #[error("the export has no channel `{name}`; its channels are: {}", .channels.join(", "))]
    UnknownChannel { name: String, channels: Vec<String> },
    /// Nothing to import in the window asked for.
    #[error("{what}")]
    Empty { what: String },
    /// The record to merge into does not load; `findings` are its errors, printed.
    #[error("{} does not load as a record, so nothing was imported into it:\n{findings}", .path.display())]
    Record { path: PathBuf, findings: String },
    /// The record's timeline is not a block list that entries can be put into.
    #[error("{at}: {message}")]
    Timeline { at: String, message: String },
    /// Reading a file failed.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ImportError {
    /// A JSON error inside `name` (a file, or a file inside an export), at its line
    /// and column.
    pub fn json(name: &str, error: &serde_json::Error) -> ImportError {
        let message = error.to_string();
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_string(),
            None => message,
        };
        ImportError::Malformed {
            at: format!("{name}:{}:{}", error.line(), error.column()),
            message: format!("not valid JSON: {message}"),
        }
    }

    /// A failed read of `path`.
    pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError + '_ {
        move |source| ImportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// An alerting tool's JSON export and what to take from it.
#[derive(Clone, Copy, Debug)]
pub struct AlertLog<'a> {
    /// Where the bytes came from, for errors.
    pub path: &'a Path,
    pub bytes: &'a [u8],
    pub window: Window,
    /// Notifications (who was paged, how) too; left out by default.
    pub notifications: bool,
}

impl AlertLog<'_> {
    /// The file's name for errors, and its JSON.
    fn json(&self) -> Result<(String, serde_json::Value), ImportError> {
        let name = self.path.display().to_string();
        let value = serde_json::from_slice(self.bytes).map_err(|e| ImportError::json(&name, &e))?;
        Ok((name, value))
    }
}

/// Parses a timestamp of an export: RFC 3339 with any offset.
pub fn instant(text: &str) -> Option<Timestamp> {
    text.trim().parse::<Timestamp>().ok()
}

/// The string at a path of keys in JSON, trimmed, when it is there and not empty:
/// the alerting tools' exports leave out or blank whatever does not apply.
pub fn json_text(value: &serde_json::Value, keys: &[&str]) -> Option<String> {
    let mut node = value;
    for key in keys {
        node = node.get(key)?;
    }
    node.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}
