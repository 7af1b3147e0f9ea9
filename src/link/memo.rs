//! What the link stage may keep for the next build (`casebook serve` links again on
//! every change): each record's scan, that is the ids its text mentions, its
//! similar-incident terms and how often it writes each word.
//!
//! A record's scan is a function of the text it reads (the title, summary, timeline
//! events, action-item titles and body: [`crate::core::prose::walk`]), of the
//! record's place in the build (a record does not mention itself, and mentions are
//! kept as places), of the ids of the build in their order (which tokens are ids,
//! and where each one's record is) and of whether similar incidents are ranked. The
//! memo keeps each scan under a hash of the first two, and all of them under a hash
//! of the last two: a scan is reused only while its key and the archive's key are
//! the same, so it is what scanning again would find. A changed, added or removed
//! id, or a changed date (the build's order is newest first), scans every record
//! again.
//!
//! The body, most of the text, is not hashed when it is a slice of the record
//! file's text (a Markdown record): the memo holds that text ([`Source`], which
//! nothing changes once made) and the body is the same while the record's text is
//! that very one, at the same offset. The decode cache of `casebook serve` hands
//! out the same text for a file whose bytes did not change; a file decoded again
//! (new bytes, or site.toml changed) has a new text and is scanned again. A YAML
//! record's body is its own string, and is hashed.
//!
//! The word shown for each term is picked from how often the whole archive writes
//! each word, so the memo also keeps the sum of the kept scans' word counts, taking
//! out a replaced scan's counts and adding its new ones: integers, so the sum is the
//! one a fresh build counts. The graph and the ranking are made anew from the scans
//! on every build.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::similar::{self, Terms};
use super::{scan_all, scan_some, Scan};
use crate::core::diag::Source;
use crate::core::ids::IdIndex;
use crate::core::model::Record;

/// What the link stage keeps between builds: nothing for a one-off build.
pub struct LinkMemo {
    /// `None` for a one-off build, which scans each record once and hashes nothing.
    kept: Option<Mutex<Kept>>,
}

/// The scans of the last build, with what they were made from.
#[derive(Default)]
struct Kept {
    /// [`archive_key`] of the build the scans come from.
    archive: u64,
    /// One scan per record of that build, in its order.
    records: Vec<KeptScan>,
    /// Every word the kept scans write that is a term, by word key.
    words: FxHashMap<u64, KeptWord>,
}

/// Every record's scan, for one build: what the link stage makes its graph from.
pub(super) struct Scans<'s> {
    /// Each record's mentions, as places in the build.
    pub(super) mentions: Vec<Vec<usize>>,
    /// Each record's terms.
    pub(super) terms: Vec<&'s Terms>,
    /// The word shown for each term (empty unless similar incidents are ranked).
    pub(super) words: FxHashMap<u64, String>,
    /// How many records were scanned for this build; the others' scans were kept.
    pub(super) scanned: usize,
}

/// One record's scan and what it read: the [`record_key`] of its place and fields
/// besides the body, and its body.
struct KeptScan {
    key: u64,
    body: KeptBody,
    scan: Scan,
}

/// A body, known by where it sits or by its hash.
enum KeptBody {
    /// A slice of the record file's text from this offset on.
    InSource(Arc<Source>, usize),
    /// A hash of a body the record holds itself (a YAML record's).
    Hashed(u64),
}

impl KeptBody {
    fn of(record: &Record) -> KeptBody {
        match &record.yaml_body {
            None => KeptBody::InSource(Arc::clone(&record.source), record.body_offset),
            Some(body) => KeptBody::Hashed(hash_body(body)),
        }
    }

    /// Whether `record`'s body is this one.
    fn is_of(&self, record: &Record) -> bool {
        match (self, &record.yaml_body) {
            (KeptBody::InSource(source, offset), None) => {
                Arc::ptr_eq(source, &record.source) && *offset == record.body_offset
            }
            (KeptBody::Hashed(hash), Some(body)) => *hash == hash_body(body),
            _ => false,
        }
    }
}

/// A hash of a body (SipHash: a change that keeps it is out of reach of an edit by
/// chance).
fn hash_body(body: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    hasher.finish()
}

/// A word, its term and how often the kept scans write it (never 0: a word no kept
/// scan writes is forgotten).
struct KeptWord {
    word: Box<str>,
    term: u64,
    seen: u64,
}

/// A hash of what every record's scan shares: whether terms are collected, and
/// the build's ids in order (they decide which tokens are mentions and the place
/// each mention points to).
fn archive_key(records: &[&Record], want_similar: bool) -> u64 {
    let mut hasher = DefaultHasher::new();
    want_similar.hash(&mut hasher);
    records.len().hash(&mut hasher);
    for record in records {
        record.id.as_str().hash(&mut hasher);
    }
    hasher.finish()
}

/// A hash of record `index`'s place and of what its scan reads of it besides the
/// body ([`KeptBody`]). SipHash, like the decode cache's.
fn record_key(index: usize, record: &Record) -> u64 {
    let mut hasher = DefaultHasher::new();
    index.hash(&mut hasher);
    record.title.hash(&mut hasher);
    record
        .summary
        .as_ref()
        .map(|s| s.as_str())
        .hash(&mut hasher);
    record.timeline.len().hash(&mut hasher);
    for entry in &record.timeline {
        entry.event.as_str().hash(&mut hasher);
    }
    record.action_items.len().hash(&mut hasher);
    for item in &record.action_items {
        item.title.as_str().hash(&mut hasher);
    }
    hasher.finish()
}

impl LinkMemo {
    /// A memo for one build: every record is scanned, nothing is kept.
    pub fn once() -> LinkMemo {
        LinkMemo { kept: None }
    }

    /// A memo for many builds of one archive (`casebook serve`).
    pub fn kept() -> LinkMemo {
        LinkMemo {
            kept: Some(Mutex::new(Kept::default())),
        }
    }

    /// Calls `link` with every record's scan, scanning only the records whose kept
    /// scan is not valid for this build, and keeping their new scans.
    pub(super) fn scans<R>(
        &self,
        records: &[&Record],
        ids: &IdIndex<'_>,
        want_similar: bool,
        link: impl FnOnce(Scans<'_>) -> R,
    ) -> R {
        let Some(kept) = &self.kept else {
            let (mentions, terms, words) = scan_all(records, ids, want_similar);
            return link(Scans {
                mentions,
                terms: terms.iter().collect(),
                words,
                scanned: records.len(),
            });
        };
        let mut kept = lock(kept);
        let scanned = kept.update(records, ids, want_similar);
        let words = if want_similar {
            similar::shown_words(kept.words.values().map(|w| (&*w.word, w.term, w.seen)))
        } else {
            FxHashMap::default()
        };
        link(Scans {
            mentions: kept
                .records
                .iter()
                .map(|k| k.scan.mentions.clone())
                .collect(),
            terms: kept.records.iter().map(|k| &k.scan.terms).collect(),
            words,
            scanned,
        })
    }
}

/// The kept scans; after a panic that may have left them half updated, none.
fn lock(kept: &Mutex<Kept>) -> MutexGuard<'_, Kept> {
    kept.lock().unwrap_or_else(|poisoned| {
        let mut kept = poisoned.into_inner();
        *kept = Kept::default();
        kept
    })
}

impl Kept {
    /// Makes the kept scans those of `records`: scans again every record whose
    /// kept scan was made from other inputs, and updates the word counts. Returns
    /// how many records it scanned.
    fn update(&mut self, records: &[&Record], ids: &IdIndex<'_>, want_similar: bool) -> usize {
        let archive = archive_key(records, want_similar);
        if archive != self.archive || self.records.len() != records.len() {
            *self = Kept {
                archive,
                ..Kept::default()
            };
        }
        let keys: Vec<u64> = records
            .par_iter()
            .enumerate()
            .map(|(i, record)| record_key(i, record))
            .collect();
        let todo: Vec<usize> = (0..records.len())
            .filter(|&i| {
                self.records
                    .get(i)
                    .is_none_or(|kept| kept.key != keys[i] || !kept.body.is_of(records[i]))
            })
            .collect();
        let scanned = todo.len();
        if todo.is_empty() {
            return 0;
        }
        let (analyzers, scans) = scan_some(records, &todo, ids, want_similar, true);
        for analyzer in &analyzers {
            for (key, word, term) in analyzer.terms() {
                self.words.entry(key).or_insert_with(|| KeptWord {
                    word: word.into(),
                    term,
                    seen: 0,
                });
            }
        }
        let fresh = self.records.is_empty();
        for (i, scan) in todo.into_iter().zip(scans) {
            self.count(&scan.words, true);
            let new = KeptScan {
                key: keys[i],
                body: KeptBody::of(records[i]),
                scan,
            };
            if fresh {
                self.records.push(new);
            } else {
                let old = std::mem::replace(&mut self.records[i], new);
                self.count(&old.scan.words, false);
            }
        }
        self.words.retain(|_, word| word.seen > 0);
        scanned
    }

    /// Adds a scan's word counts to the archive's, or takes them out.
    fn count(&mut self, words: &[(u64, u32)], add: bool) {
        for &(key, times) in words {
            if let Some(word) = self.words.get_mut(&key) {
                if add {
                    word.seen += u64::from(times);
                } else {
                    word.seen = word.seen.saturating_sub(u64::from(times));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::SiteConfig;
    use crate::core::diag::{Span, Spanned};
    use crate::link::{link, Links};
    use crate::load::record_for_test as record;

    /// Links `records` through `memo`: how many records it scanned, and the links.
    fn run(memo: &LinkMemo, records: &[Record]) -> (usize, Vec<Links>) {
        let refs: Vec<&Record> = records.iter().collect();
        let ids = IdIndex::new(&refs);
        let scanned = memo.scans(&refs, &ids, true, |scans| scans.scanned);
        let links = link(&refs, &SiteConfig::default(), memo, false).links;
        (scanned, links)
    }

    /// What a build that keeps nothing makes of `records`.
    fn fresh(records: &[Record]) -> Vec<Links> {
        let refs: Vec<&Record> = records.iter().collect();
        link(&refs, &SiteConfig::default(), &LinkMemo::once(), false).links
    }

    fn archive(first_body: &str) -> Vec<Record> {
        vec![
            record("A-1", "services: [db]\n", first_body),
            record(
                "A-2",
                "services: [db]\n",
                "The database pool leaked connections; see A-9 later.",
            ),
            record(
                "A-3",
                "services: [cdn]\n",
                "A certificate expired on the edge; the pool was fine.",
            ),
            record(
                "A-4",
                "services: [db]\n",
                "Leaked database connections exhausted the pool again.",
            ),
        ]
    }

    #[test]
    fn a_kept_scan_is_reused_only_while_its_text_and_the_ids_are_the_same() {
        let memo = LinkMemo::kept();
        let mut records = archive("Connections leaked from the database pool, like A-2.");
        let (scanned, links) = run(&memo, &records);
        assert_eq!(scanned, 4, "the first build scans every record");
        assert_eq!(links, fresh(&records));
        assert_eq!(links[0].mentions, [1]);
        assert!(links[0].similar.iter().any(|m| m.index == 3), "{links:?}");

        // Nothing changed: every scan is kept (the second scan of `run` too).
        assert_eq!(run(&memo, &records), (0, links));

        // One record's text changed: only it is scanned again.
        records[0] = record(
            "A-1",
            "services: [db]\n",
            "Connections leaked from the database pool, like A-3.",
        );
        let (scanned, links) = run(&memo, &records);
        assert_eq!(scanned, 1);
        assert_eq!(links, fresh(&records));
        assert_eq!(links[0].mentions, [2]);

        // A field besides the body changed, in the same file text.
        records[1].summary = Some(Spanned::new(
            "Pool exhausted, as in A-1".to_string(),
            Span::new(0, 0),
        ));
        let (scanned, links) = run(&memo, &records);
        assert_eq!(scanned, 1);
        assert_eq!(links, fresh(&records));
        assert_eq!(links[1].mentions, [0]);

        // An id changed: A-2's text is the same, but `A-9` in it is an id now.
        records[2] = record(
            "A-9",
            "services: [cdn]\n",
            "A certificate expired on the edge; the pool was fine.",
        );
        let (scanned, links) = run(&memo, &records);
        assert_eq!(scanned, 4, "a changed id scans every record again");
        assert_eq!(links, fresh(&records));
        assert_eq!(links[1].mentions, [0, 2]);
    }

    #[test]
    fn a_body_is_the_same_only_in_the_same_text() {
        let memo = LinkMemo::kept();
        let mut records = archive("Like A-2.");
        run(&memo, &records);
        // The same bytes decoded again are a new text: scanned again, to be safe.
        records[0] = record("A-1", "services: [db]\n", "Like A-2.");
        assert_eq!(run(&memo, &records).0, 1);
        // A body that is not a slice of the file (a YAML record's) is compared by hash.
        records[3].yaml_body = Some("Leaked connections.".to_string());
        assert_eq!(run(&memo, &records).0, 1);
        assert_eq!(run(&memo, &records).0, 0);
        records[3].yaml_body = Some("Leaked connections, like A-1.".to_string());
        let (scanned, links) = run(&memo, &records);
        assert_eq!(scanned, 1);
        assert_eq!(links, fresh(&records));
        assert_eq!(links[3].mentions, [0]);
    }

    #[test]
    fn a_one_off_memo_keeps_nothing() {
        let memo = LinkMemo::once();
        let records = archive("Like A-2.");
        assert_eq!(run(&memo, &records).0, 4);
        assert_eq!(run(&memo, &records).0, 4);
    }
}
