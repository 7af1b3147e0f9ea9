//! What the search stage may keep for the next build (`casebook serve` builds
//! again on every change): each record's analyzed document and each index file's
//! compressed bytes.
//!
//! A document's analysis is a function of its fields' texts, so it is kept under a
//! hash of them ([`KeptDocs`]); an edit analyzes again only the records it
//! touched. The index is then merged from every document as a build merges it,
//! so what it holds never depends on what was kept. An index file's stored bytes
//! and its file:// twin are a function of its bytes before compression and its
//! gzip level, so they are kept with those and reused while both are the same:
//! an edit compresses again only the files whose contents it changed.
//! `casebook build` passes [`SearchMemo::once`], which keeps, hashes and copies
//! nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::build::KeptDocs;

/// What one build of the index keeps for the next: nothing for `casebook build`.
pub struct SearchMemo {
    kept: Option<Mutex<Kept>>,
}

/// The documents and files of the last build.
#[derive(Default)]
pub(super) struct Kept {
    pub(super) docs: KeptDocs,
    /// Each index file of the last build by its path under the index folder.
    pub(super) files: HashMap<String, KeptFile>,
}

/// One index file as the last build stored it.
pub(super) struct KeptFile {
    /// Its bytes before compression; `None` when it is stored as is (`stored`).
    pub(super) plain: Option<Vec<u8>>,
    /// Its gzip level, `None` for a file stored as is.
    pub(super) level: Option<u32>,
    /// Its bytes as written, shared with the site in memory.
    pub(super) stored: Arc<[u8]>,
    /// Its file:// twin, shared with the site in memory.
    pub(super) twin: Arc<[u8]>,
}

impl KeptFile {
    /// Whether a file with `plain` bytes and gzip `level` stores as this one did.
    pub(super) fn stores(&self, plain: &[u8], level: Option<u32>) -> bool {
        self.level == level && self.plain.as_deref().unwrap_or(&self.stored) == plain
    }
}

impl SearchMemo {
    /// A memo for one build: nothing is kept.
    pub fn once() -> SearchMemo {
        SearchMemo { kept: None }
    }

    /// A memo for many builds of one archive (`casebook serve`).
    pub fn kept() -> SearchMemo {
        SearchMemo {
            kept: Some(Mutex::new(Kept::default())),
        }
    }

    /// What the last build kept, for the one running; `None` for a one-off build.
    pub(super) fn lock(&self) -> Option<MutexGuard<'_, Kept>> {
        self.kept
            .as_ref()
            .map(|kept| kept.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
