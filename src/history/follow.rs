//! Follow-through from history: the commit in which a record's `review` became
//! `approved`, and the commit in which each action item reached `done` or `wont-do`.
//!
//! Only the versions of a record that changed are decoded, from the newest back, and
//! only as far as the answer needs: a state that holds in the newest version began
//! in the oldest version of the unbroken run of versions that have it.

use std::collections::HashMap;
use std::path::Path;

use gix::objs::FindExt;

use super::walk::{CommitInfo, Version};
use super::{Known, RecordHistory};
use crate::core::config::SiteConfig;
use crate::core::model::{ActionItem, ActionStatus, Record, Review};
use crate::load::{record_from_bytes, split_front_matter, yaml};

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
    review: Option<Review>,
    items: HashMap<String, ActionStatus>,
}

fn state(
    repo: &gix::Repository,
    path: &Path,
    version: &Version,
    config: &SiteConfig,
) -> Option<State> {
    let mut buf = Vec::new();
    let blob = repo.objects.find_blob(&version.blob, &mut buf).ok()?;
    let (record, _) = record_from_bytes(path, blob.data, config);
    let record = record?;
    Some(State {
        review: Some(*record.review),
        items: record
            .action_items
            .iter()
            .map(|item| (item_key(item), item.status))
            .collect(),
    })
}

/// Fills in `found.approved` and `found.closed` for `record` from its versions
/// `own` (oldest first; the last is the committed file).
pub fn follow(
    repo: &gix::Repository,
    record: &Record,
    own: &[Version],
    commits: &[CommitInfo],
    found: &mut RecordHistory,
    config: &SiteConfig,
) {
    let Some(newest) = own.len().checked_sub(1) else {
        return;
    };
    let mut states: Vec<Option<State>> = Vec::with_capacity(own.len());
    let state_at = |i: usize, states: &mut Vec<Option<State>>| -> bool {
        while states.len() <= own.len() - 1 - i {
            let at = own.len() - 1 - states.len();
            states.push(state(repo, &record.path, &own[at], config));
        }
        states[own.len() - 1 - i].is_some()
    };
    if !state_at(newest, &mut states) {
        return;
    }
    let Some(latest) = states[0].take() else {
        return;
    };
    // The oldest version of the run ending in the newest where `holds` is true.
    let run_start = |holds: &dyn Fn(&State) -> bool, states: &mut Vec<Option<State>>| {
        let mut start = newest;
        while start > 0 && state_at(start - 1, states) {
            let s = states[own.len() - start].as_ref();
            if !s.is_some_and(holds) {
                break;
            }
            start -= 1;
        }
        start
    };
    let known = |start: usize| {
        let commit = &commits[own[start].commit];
        if start == 0 && commit.boundary {
            Known::Unknown
        } else {
            Known::Yes(super::Commit {
                id: commit.id.to_string(),
                at: commit.at,
                author: commit.author.clone(),
            })
        }
    };
    if latest.review == Some(Review::Approved) {
        let start = run_start(&|s| s.review == Some(Review::Approved), &mut states);
        found.approved = Some(known(start));
    }
    for (key, status) in &latest.items {
        if status.is_open() {
            continue;
        }
        let start = run_start(
            &|s| s.items.get(key).is_some_and(|s| !s.is_open()),
            &mut states,
        );
        found.closed.insert(key.clone(), known(start));
    }
}
