//! Between validate and link: decide which records a build publishes.
//!
//! A build's profile and `--drafts` flag pick a subset of the archive. Every later
//! stage (linking, rendering, search, exports) works on the resulting [`Selection`]
//! only, so a record left out here appears nowhere in the output: not on its own
//! page, in an index, a feed, an export, nor in another record's related list.

use std::collections::HashMap;

use crate::core::model::{Archive, Record, Review, Visibility};

/// Which records a build publishes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// Every record: the archive as the company's own staff read it.
    #[default]
    Internal,
    /// Only records whose visibility is public: safe to put on the open internet.
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
}

/// What to select: the profile and whether drafts are published.
#[derive(Clone, Copy, Debug, Default)]
pub struct SelectOptions {
    pub profile: Profile,
    /// Publish `review: draft` records too; by default they stay out of the site.
    pub drafts: bool,
}

/// The records a build publishes, newest first (the archive's order), with a lookup
/// by id so later stages can tell whether a related record made it into the build.
pub struct Selection<'a> {
    pub records: Vec<&'a Record>,
    by_id: HashMap<&'a str, usize>,
}

impl<'a> Selection<'a> {
    /// Whether the record with this id is in the build.
    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }
}

/// Whether one record is published under `options`.
pub fn includes(record: &Record, options: SelectOptions) -> bool {
    let visible = options.profile == Profile::Internal || record.visibility == Visibility::Public;
    let reviewed = options.drafts || *record.review != Review::Draft;
    visible && reviewed
}

/// Picks the records of `archive` that a build with `options` publishes.
pub fn select(archive: &Archive, options: SelectOptions) -> Selection<'_> {
    let records: Vec<&Record> = archive
        .records
        .iter()
        .filter(|r| includes(r, options))
        .collect();
    let by_id = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.value.as_str(), i))
        .collect();
    Selection { records, by_id }
}
