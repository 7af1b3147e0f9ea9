//! Between validate and link: decide which records a build publishes.
//!
//! A build's profile picks a subset of the archive: the internal profile every
//! record, the public profile only records that are `review: approved` and
//! `visibility: public`. Every later stage (linking, rendering, search, exports)
//! works on the resulting [`Selection`] only, so a record left out here appears
//! nowhere in the output: not on its own page, in an index, a feed, an export, nor
//! in another record's related list. The selection also keeps each left-out record
//! with the reason, so a build can say what it left out and why.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::core::model::{Archive, Record, Review, Visibility};

/// Which records a build publishes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// Every record, approved or not: the archive as the company's own staff read it.
    #[default]
    Internal,
    /// Only records that are approved and public: safe to put on the open internet.
    Public,
}

impl Profile {
    /// The profile's name as written on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Internal => "internal",
            Profile::Public => "public",
        }
    }

    /// Why this profile leaves `record` out, or `None` when it publishes it.
    pub fn excludes(self, record: &Record) -> Option<Exclusion> {
        match self {
            Profile::Internal => None,
            Profile::Public if record.visibility == Visibility::Internal => {
                Some(Exclusion::Internal)
            }
            Profile::Public => match *record.review {
                Review::Approved => None,
                Review::Draft => Some(Exclusion::Draft),
                Review::InReview => Some(Exclusion::InReview),
            },
        }
    }
}

/// Why the public profile leaves a record out. A record that is both internal and
/// unapproved counts as internal: approving it would not publish it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Exclusion {
    /// `visibility: internal` (or site.toml's `default_visibility`).
    Internal,
    /// `review: draft`, or no `review` at all.
    Draft,
    /// `review: in-review`.
    InReview,
}

impl Exclusion {
    /// The reason in words, for the build's closing lines.
    pub fn describe(self) -> &'static str {
        match self {
            Exclusion::Internal => "internal (visibility: internal)",
            Exclusion::Draft => "drafts (review: draft, or no review)",
            Exclusion::InReview => "in review (review: in-review)",
        }
    }
}

/// The records a build publishes, newest first (the archive's order), with a lookup
/// by id so later stages can tell whether a related record made it into the build,
/// and the records it left out with the reason.
pub struct Selection<'a> {
    pub records: Vec<&'a Record>,
    pub left_out: Vec<(&'a Record, Exclusion)>,
    by_id: HashMap<&'a str, usize>,
}

impl<'a> Selection<'a> {
    /// Whether the record with this id is in the build.
    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// The files (relative to the root) of the records left out: findings in them
    /// concern nothing this profile publishes.
    pub fn left_out_files(&self) -> HashSet<&'a Path> {
        self.left_out
            .iter()
            .map(|(r, _)| r.path.as_path())
            .collect()
    }

    /// The ids left out for each reason, in reason order, ids in archive order.
    pub fn left_out_by_reason(&self) -> Vec<(Exclusion, Vec<&'a str>)> {
        let mut groups: Vec<(Exclusion, Vec<&'a str>)> = Vec::new();
        for &(record, reason) in &self.left_out {
            match groups.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, ids)) => ids.push(record.id.as_str()),
                None => groups.push((reason, vec![record.id.as_str()])),
            }
        }
        groups.sort_by_key(|(reason, _)| *reason);
        groups
    }
}

/// Picks the records of `archive` that a build with `profile` publishes.
pub fn select(archive: &Archive, profile: Profile) -> Selection<'_> {
    let mut records = Vec::with_capacity(archive.records.len());
    let mut left_out = Vec::new();
    for record in &archive.records {
        match profile.excludes(record) {
            None => records.push(record),
            Some(reason) => left_out.push((record, reason)),
        }
    }
    let by_id = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.value.as_str(), i))
        .collect();
    Selection {
        records,
        left_out,
        by_id,
    }
}
