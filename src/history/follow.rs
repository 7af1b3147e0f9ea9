//! Follow-through from history: the commit in which a record's `review` became
//! `approved`, and the commit in which each action item reached `done` or `wont-do`.
//!
//! Only the versions of a record that changed are decoded, from the newest back, and
//! only as far as the answer needs: a state that holds in the newest version began
//! in the oldest version of the unbroken run of versions that have it.

use std::collections::HashMap;
use std::path::Path;

use super::walk::{CommitInfo, Objects, Version};
use super::{Known, RecordHistory};
use crate::core::config::SiteConfig;
use crate::core::model::{ActionItem, ActionStatus, Record, Review};
use crate::load::{
    reads_back_unchanged, review_and_action_items_from_bytes, split_front_matter, yaml,
};

/// The key an action item keeps across versions: its `id`, or its title when it has
/// none.
pub fn item_key(item: &ActionItem) -> String {
    match &item.id {
        Some(id) => format!("id:{}", id.as_str()),
        None => format!("title:{}", item.title.as_str()),
    }
}

/// A record file's `id`, read from its front matter alone (to pair a file removed
/// at one path with one added at another as a rename).
pub fn record_id(path: &str, bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let yaml_text = if path.ends_with(".md") {
        split_front_matter(text).ok()?.yaml
    } else {
        text
    };
    let parsed = yaml::parse(yaml_text, 0);
    parsed
        .root?
        .get("id")
        .and_then(|id| id.as_str())
        .map(str::to_string)
}

/// What one version says: its review and the state of each action item.
struct State {
    review: Review,
    items: HashMap<String, ActionStatus>,
}

impl State {
    fn of(record: &Record) -> State {
        State::new(*record.review, &record.action_items)
    }

    fn new(review: Review, items: &[ActionItem]) -> State {
        State {
            review,
            items: items
                .iter()
                .map(|item| (item_key(item), item.status))
                .collect(),
        }
    }
}

/// What the version `version` of the record file at `path` says, or `None` when it
/// cannot be read.
fn state(
    objects: &mut Objects,
    path: &Path,
    version: &Version,
    config: &SiteConfig,
) -> Option<State> {
    let blob = objects.blob(&version.blob)?;
    let (review, items) = review_and_action_items_from_bytes(path, blob, config)?;
    Some(State::new(review, &items))
}

/// What the newest version says. Most often the file in the work tree is the
/// committed one: then `record`, already decoded by `load`, is what its blob decodes
/// to, and the blob is neither read nor decoded again.
fn newest_state(
    objects: &mut Objects,
    record: &Record,
    newest: &Version,
    config: &SiteConfig,
) -> Option<State> {
    let text = &record.source.text;
    if reads_back_unchanged(text) && super::holds_text(newest.blob, text) {
        Some(State::of(record))
    } else {
        state(objects, &record.path, newest, config)
    }
}

/// The states of a record's versions before the newest, decoded from the newest
/// back and only as far as they are asked for.
struct Older<'a> {
    objects: &'a mut Objects,
    path: &'a Path,
    config: &'a SiteConfig,
    /// Oldest first.
    versions: &'a [Version],
    /// `states[k]` is the state of `versions[versions.len() - 1 - k]`.
    states: Vec<Option<State>>,
}

impl Older<'_> {
    /// The state of `versions[at]`; `None` when it cannot be read.
    fn state(&mut self, at: usize) -> Option<&State> {
        let count = self.versions.len();
        while self.states.len() < count - at {
            let version = &self.versions[count - 1 - self.states.len()];
            let decoded = state(self.objects, self.path, version, self.config);
            self.states.push(decoded);
        }
        self.states[count - 1 - at].as_ref()
    }

    /// The oldest version of the unbroken run of versions where `holds` is true that
    /// ends with the newest (which holds): the newest's index, `versions.len()`, when
    /// the version before it does not hold or cannot be read.
    fn run_start(&mut self, holds: impl Fn(&State) -> bool) -> usize {
        let mut start = self.versions.len();
        while start > 0 && self.state(start - 1).is_some_and(&holds) {
            start -= 1;
        }
        start
    }
}

/// Fills in `found.approved` and `found.closed` for `record` from its versions
/// `own` (oldest first; the last is the committed file).
pub fn follow(
    objects: &mut Objects,
    record: &Record,
    own: &[Version],
    commits: &[CommitInfo],
    found: &mut RecordHistory,
    config: &SiteConfig,
) {
    let Some((newest, versions)) = own.split_last() else {
        return;
    };
    let Some(latest) = newest_state(objects, record, newest, config) else {
        return;
    };
    let mut older = Older {
        objects,
        path: &record.path,
        config,
        versions,
        states: Vec::new(),
    };
    let known = |start: usize| {
        let commit = &commits[own[start].commit];
        if start == 0 && commit.boundary {
            Known::Unknown
        } else {
            Known::Yes(commit.summary())
        }
    };
    if latest.review == Review::Approved {
        let start = older.run_start(|s| s.review == Review::Approved);
        found.approved = Some(known(start));
    }
    for (key, status) in &latest.items {
        if status.is_open() {
            continue;
        }
        let start = older.run_start(|s| s.items.get(key).is_some_and(|s| !s.is_open()));
        found.closed.insert(key.clone(), known(start));
    }
}
