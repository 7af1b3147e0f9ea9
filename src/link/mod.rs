//! Stage 3, link: who names whom. Input: the records a build publishes (a public build
//! passes its filtered set, so an internal record is never a target, a backlink or a
//! similar incident). Output: a [`LinkGraph`] with, per record, the records it names
//! in `related`, the records it mentions, its backlinks and its similar incidents.
//!
//! A mention is another record's id written as a whole token (case-sensitive) in the
//! summary, a timeline event, an action-item title or the body, outside code spans,
//! code blocks, existing links and image alt text ([`crate::core::prose`] walks the text).
//! A token is a maximal run of id characters `[A-Za-z0-9._-]`; trailing dots are
//! dropped when the run with them is not an id (`see INC-2024-0918.`). Words that
//! contain `://` or `@` (bare URLs, e-mail addresses) hold no mentions. A record does
//! not mention itself. docs/linking.md has the user-facing rules.
//!
//! Each record is read once, in parallel: one Markdown pass finds its mentions and
//! collects the terms [`crate::link::similar`] ranks with. Ids are found by looking every
//! token up in a hash set (after a cheap first-byte and length filter), never by one
//! pattern per id, so the cost grows with the text and not with the number of ids.
//!
//! # What depends on what
//!
//! For incremental rebuilds (`casebook serve`), the page of record `r` shows, besides
//! `r` itself: the title, date and severity of every record in `related(r)`,
//! `backlinks(r)` and `similar(r)`, and a link to every record in `mentions(r)`. So
//! when record `x` changes, the pages to render again are those of the records `x`
//! names or mentions (their backlinks list `x`), the records that name or mention `x`
//! (their lists show `x`'s title), and the records whose similar list holds `x`. Two
//! changes reach further: adding, removing or renaming a
//! record changes which tokens are ids, so any record's mentions may change; and the
//! similar-incident scores use archive-wide term statistics, so a changed text can
//! reorder any record's similar list. A server rebuilds the graph (it is fast) and
//! compares it with the previous one instead of guessing.
//!
//! The scan of each record is what a rebuild can skip: [`memo::LinkMemo`] keeps it
//! for the next build while the record's text and the archive's ids are the same.
//! The graph itself and the similar-incident ranking are made anew every time.

pub mod memo;
pub mod similar;

use std::time::Instant;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::core::config::SiteConfig;
use crate::core::ids::IdIndex;
use crate::core::model::Record;
use crate::core::prose::{self, Context, Field};
use crate::core::timing::log_time;
use crate::link::memo::LinkMemo;
use crate::link::similar::{Match, TermAnalyzer, TermCounts, Terms};

/// The fewest records per parallel work unit when scanning. Each unit has its own
/// word cache, so units are few and large: about four per thread. How records are
/// split does not change the result.
const SCAN_CHUNK: usize = 64;

/// A record's links, by index into the records the graph was built from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Links {
    /// The records its `related` names, in written order; ids outside the set (unknown,
    /// or left out of this build) and the record's own id are dropped.
    pub related: Vec<usize>,
    /// The records its text mentions, in order of first mention.
    pub mentions: Vec<usize>,
    /// Every record that names this one in `related` or mentions it, newest first.
    pub backlinks: Vec<Backlink>,
    /// The most similar records, best first, without those already linked either
    /// way (which keep their places in the ranking: see [`similar::rank`]).
    pub similar: Vec<Match>,
}

/// One record that links to another, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backlink {
    pub from: usize,
    /// The record names the target in its `related`.
    pub related: bool,
    /// The record mentions the target's id in its text.
    pub mention: bool,
}

/// The output of the link stage: one [`Links`] per record, in the input's order.
pub struct LinkGraph<'a> {
    pub ids: IdIndex<'a>,
    pub links: Vec<Links>,
}

/// What one pass over a record finds.
struct Scan {
    mentions: Vec<usize>,
    terms: Terms,
    /// The record's words as `(word key, times written)`, counted only for a scan
    /// that is kept ([`TermCounts::finish`]); empty otherwise.
    words: Vec<(u64, u32)>,
}

/// Links `records` (already filtered to what the build publishes) and ranks their
/// similar incidents, scanning again only the records `memo` has no scan of
/// ([`LinkMemo::once`] for a one-off build keeps nothing). Scans records in
/// parallel; the result does not depend on the number of threads or on the memo.
/// `timings`: print the time of the scan and of the ranking (`--timings`).
pub fn link<'a>(
    records: &[&'a Record],
    config: &SiteConfig,
    memo: &LinkMemo,
    timings: bool,
) -> LinkGraph<'a> {
    let ids = IdIndex::new(records);
    let want_similar = similar::enabled(&config.similar);
    let started = Instant::now();
    let links = memo.scans(records, &ids, want_similar, |scans| {
        log_time(timings, "  scan", started);
        if timings {
            crate::core::say!(
                "timing:   ({} of {} records scanned)",
                scans.scanned,
                records.len()
            );
        }
        let mut links: Vec<Links> = records
            .iter()
            .enumerate()
            .zip(scans.mentions)
            .map(|((i, record), mentions)| Links {
                related: related(record, i, &ids),
                mentions,
                ..Links::default()
            })
            .collect();
        for (target, list) in backlinks(records, &links).into_iter().enumerate() {
            links[target].backlinks = list;
        }
        if want_similar {
            let started = Instant::now();
            let linked: Vec<Vec<usize>> = links.iter().map(linked_either_way).collect();
            let ranked = similar::rank(records, &scans.terms, &scans.words, &linked, config);
            for (l, matches) in links.iter_mut().zip(ranked) {
                l.similar = matches;
            }
            log_time(timings, "  similar", started);
        }
        links
    });
    LinkGraph { ids, links }
}

/// Scans every record, for a build that keeps nothing: returns each record's
/// mentions and terms, and the word shown for each term (when `want_similar`).
fn scan_all(
    records: &[&Record],
    ids: &IdIndex<'_>,
    want_similar: bool,
) -> (Vec<Vec<usize>>, Vec<Terms>, FxHashMap<u64, String>) {
    let all: Vec<usize> = (0..records.len()).collect();
    let (analyzers, scans) = scan_some(records, &all, ids, want_similar, false);
    let words = if want_similar {
        similar::display_words(&analyzers)
    } else {
        FxHashMap::default()
    };
    let (mentions, terms) = scans.into_iter().map(|s| (s.mentions, s.terms)).unzip();
    (mentions, terms, words)
}

/// Reads the records `which` (indexes into `records`, ascending) once, in parallel
/// work units of consecutive ones, each with its own [`TermAnalyzer`]; returns the
/// analyzers and one [`Scan`] per record of `which`, in order. `keep_words`: count
/// each record's words too, for a scan that is kept.
fn scan_some(
    records: &[&Record],
    which: &[usize],
    ids: &IdIndex<'_>,
    want_similar: bool,
    keep_words: bool,
) -> (Vec<TermAnalyzer>, Vec<Scan>) {
    let chunk_size = (which.len() / (4 * rayon::current_num_threads())).max(SCAN_CHUNK);
    let chunks: Vec<(TermAnalyzer, Vec<Scan>)> = which
        .par_chunks(chunk_size)
        .map(|group| {
            let mut analyzer = TermAnalyzer::default();
            let scans = group
                .iter()
                .map(|&index| {
                    let analyzer = want_similar.then_some(&mut analyzer);
                    scan(records[index], index, ids, analyzer, keep_words)
                })
                .collect();
            (analyzer, scans)
        })
        .collect();
    let mut analyzers = Vec::with_capacity(chunks.len());
    let mut scans = Vec::with_capacity(which.len());
    for (analyzer, chunk) in chunks {
        analyzers.push(analyzer);
        scans.extend(chunk);
    }
    (analyzers, scans)
}

/// The records record `i` names in `related:` that are in the set: written order,
/// no repeats, not itself.
fn related(record: &Record, i: usize, ids: &IdIndex<'_>) -> Vec<usize> {
    let mut related = Vec::new();
    for id in &record.related {
        if let Some(target) = ids.get(id).filter(|&t| t != i) {
            if !related.contains(&target) {
                related.push(target);
            }
        }
    }
    related
}

/// Every record's backlinks: the records whose `related` or mentions hold it, each
/// once with how it links, newest first.
fn backlinks(records: &[&Record], links: &[Links]) -> Vec<Vec<Backlink>> {
    let mut incoming: Vec<Vec<Backlink>> = vec![Vec::new(); records.len()];
    for (from, l) in links.iter().enumerate() {
        for (targets, by_related) in [(&l.related, true), (&l.mentions, false)] {
            for &target in targets {
                let list = &mut incoming[target];
                match list.iter_mut().find(|b| b.from == from) {
                    Some(b) if by_related => b.related = true,
                    Some(b) => b.mention = true,
                    None => list.push(Backlink {
                        from,
                        related: by_related,
                        mention: !by_related,
                    }),
                }
            }
        }
    }
    for list in &mut incoming {
        list.sort_by(|a, b| newest_first(records[a.from], records[b.from]));
    }
    incoming
}

/// The records a record is linked with either way, sorted: not repeated as similar.
fn linked_either_way(links: &Links) -> Vec<usize> {
    let mut all: Vec<usize> = links.related.clone();
    all.extend(&links.mentions);
    all.extend(links.backlinks.iter().map(|b| b.from));
    all.sort_unstable();
    all.dedup();
    all
}

/// The archive's order: newest first, then by id.
pub fn newest_first(a: &Record, b: &Record) -> std::cmp::Ordering {
    b.date.cmp(&a.date).then_with(|| a.id.cmp(&b.id))
}

/// Reads record `index` once: its mentions and, with an analyzer, its terms (and
/// its words when `keep_words`).
fn scan(
    record: &Record,
    index: usize,
    ids: &IdIndex<'_>,
    analyzer: Option<&mut TermAnalyzer>,
    keep_words: bool,
) -> Scan {
    let mut mentions = Vec::new();
    let mut analyzer = analyzer;
    let mut terms = analyzer
        .as_deref_mut()
        .map_or_else(TermCounts::default, |a| a.counts(keep_words));
    if let Some(analyzer) = analyzer.as_deref_mut() {
        analyzer.add(&record.title, similar::TITLE_WEIGHT, &mut terms);
    }
    prose::walk(record, |piece| {
        if piece.context == Context::Prose {
            for (_, _, target) in ids.mentions(piece.text, Some(index)) {
                if !mentions.contains(&target) {
                    mentions.push(target);
                }
            }
        }
        if let Some(analyzer) = analyzer.as_deref_mut() {
            match piece.field {
                Field::Summary => analyzer.add(piece.text, similar::SUMMARY_WEIGHT, &mut terms),
                Field::Body => analyzer.add(piece.text, similar::BODY_WEIGHT, &mut terms),
                Field::Timeline(_) | Field::ActionItem(_) => {}
            }
        }
    });
    let (terms, words) = terms.finish();
    Scan {
        mentions,
        terms,
        words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::record_for_test as record;

    fn ids<'a>(records: &[&'a Record], list: &[usize]) -> Vec<&'a str> {
        list.iter().map(|&i| records[i].id.as_str()).collect()
    }

    #[test]
    fn graph_of_a_small_archive() {
        let a = record(
            "A-1",
            "related: [A-2, A-2, A-1, NOPE-1]\nsummary: after A-3\n",
            "Like A-4, not `A-5`.\n\n```\nA-6\n```\n\n[A-7](https://x.example/) and A-1.\n",
        );
        let b = record(
            "A-2",
            "timeline:\n  - at: \"10:00\"\n    event: paged, see A-1\naction_items:\n  - title: fix what A-3 found\n    owner: x\n    due: 2024-02-01\n",
            "",
        );
        let c = record("A-3", "", "");
        let d = record("A-4", "", "");
        let e = record("A-5", "", "");
        let f = record("A-6", "", "");
        let g = record("A-7", "", "");
        let refs = vec![&a, &b, &c, &d, &e, &f, &g];
        let mut config = SiteConfig::default();
        config.similar.enabled = false;
        let graph = link(&refs, &config, &LinkMemo::once(), false);
        let l = &graph.links;
        assert_eq!(ids(&refs, &l[0].related), ["A-2"]);
        assert_eq!(ids(&refs, &l[0].mentions), ["A-3", "A-4"]);
        assert_eq!(ids(&refs, &l[1].mentions), ["A-1", "A-3"]);
        let from = |i: usize| -> Vec<(&str, bool, bool)> {
            l[i].backlinks
                .iter()
                .map(|b| (refs[b.from].id.as_str(), b.related, b.mention))
                .collect()
        };
        assert_eq!(from(0), [("A-2", false, true)]);
        assert_eq!(from(1), [("A-1", true, false)]);
        assert_eq!(from(2), [("A-1", false, true), ("A-2", false, true)]);
        assert_eq!(from(3), [("A-1", false, true)]);
        assert!(from(4).is_empty() && from(5).is_empty() && from(6).is_empty());
        assert!(l.iter().all(|links| links.similar.is_empty()));
    }
}
