//! Choosing and scoring candidates, for the similar-incident ranking ([`super`]). In:
//! the [`Index`] and one record. Out: its best matches as `(record, score, text
//! score)`, best first, from a [`Ranker`] with a per-thread [`Scratch`]. Records it
//! is already linked with compete like any other; [`super::rank`] leaves them out of
//! what is shown.
//!
//! Candidates are the records reached through the record's posting lists, then through
//! a shared service or tag; each is scored in full only when its best possible score
//! could still make the list ([`TopK`] keeps the list).

use std::cmp::Ordering;

use crate::core::config::SimilarConfig;
use crate::core::model::Record;

use super::index::Index;
use super::{total_weight, MAX_POSTINGS, MIN_SCORE};

/// Records whose text score is at least this share of the best one are scored first.
const EARLY_FRACTION: f32 = 0.7;

/// Finds one record's best matches.
pub(super) struct Ranker<'a, 'r> {
    pub(super) index: &'a Index<'r>,
    /// The ranked records, for breaking ties by date and id.
    pub(super) records: &'a [&'a Record],
    pub(super) settings: &'a SimilarConfig,
    /// The record whose matches these are.
    pub(super) d: usize,
}

impl Ranker<'_, '_> {
    /// The best `count` records as `(record, score, text score)`, best first.
    ///
    /// Text scores accumulate over the posting lists of the record's signature. A
    /// reached record is scored in full only if it could still make the list: its
    /// best possible score (its text sum, every service and tag the masks allow and
    /// the severity shared) must reach the current `count`-th best. The records
    /// nearest by text go first, so that bar rises early. Records reached through a
    /// shared service or tag alone come last, and only while such a record could
    /// still make the list. When one of the record's terms had its posting list cut,
    /// the sums are lower bounds: candidates are picked by them, and scored exactly.
    pub(super) fn best(&self, scratch: &mut Scratch) -> Vec<(usize, f64, f64)> {
        let index = self.index;
        let doc = &index.docs[self.d];
        let mut cut = false;
        for &(term, weight) in &doc.signature {
            let (docs, weights) = index.postings.list(term);
            for (&e, &other) in docs.iter().zip(weights) {
                scratch.add(e, weight * other);
            }
            cut |= index.postings.cut[term as usize];
        }
        let mut top = TopK::new(self.settings.count);
        let reached = scratch.reached;
        let nearest = scratch.touched[..reached]
            .iter()
            .map(|&e| scratch.score[e as usize])
            .fold(0.0f32, f32::max)
            * EARLY_FRACTION;
        let s = self.settings;
        for early in [true, false] {
            for i in 0..reached {
                let e = scratch.touched[i] as usize;
                let sum = scratch.score[e];
                if sum > 0.0 && (!early || sum >= nearest) {
                    scratch.score[e] = -1.0;
                    let sum = f64::from(sum).min(1.0);
                    // The bound with every service and tag shared, before reading the
                    // candidate's own data.
                    let bound = (s.text_weight * sum
                        + s.services_weight
                        + s.tags_weight
                        + s.severity_weight)
                        / total_weight(s);
                    if top.admits(bound) {
                        self.consider(e, sum, cut, &mut top);
                    }
                }
            }
        }
        let untouched = (s.services_weight + s.tags_weight + s.severity_weight) / total_weight(s);
        if top.admits(untouched) {
            for (own, names) in [(&doc.services, &index.services), (&doc.tags, &index.tags)] {
                for &name in own {
                    let list = &names.postings[name as usize];
                    if list.len() > MAX_POSTINGS {
                        continue;
                    }
                    for &e in list {
                        if scratch.mark(e) {
                            self.consider(e as usize, 0.0, cut, &mut top);
                        }
                    }
                }
            }
        }
        scratch.reset();
        top.items
    }

    /// Scores record `e` in full if its bound admits it. `sum` is its accumulated text
    /// score: the exact one unless `cut`, when the signatures are compared instead.
    fn consider(&self, e: usize, sum: f64, cut: bool, top: &mut TopK) {
        if e == self.d || !top.admits(self.best_possible(e, sum)) {
            return;
        }
        let index = self.index;
        let (doc, other) = (&index.docs[self.d], &index.docs[e]);
        let text = if cut { index.text(doc, other) } else { sum };
        if let Some(score) = index.score(doc, other, text, self.settings) {
            if top.admits(score) {
                top.insert((e, score, text), self.records);
            }
        }
    }

    /// The highest score `other` can reach with this text score: every service and tag
    /// the masks allow and the severity shared. Computed in the same order as
    /// [`Index::score`] with each part at or above its value, so floating-point
    /// rounding keeps it an upper bound.
    fn best_possible(&self, e: usize, text: f64) -> f64 {
        let s = self.settings;
        let (own, other) = (self.index.masks[self.d], self.index.masks[e]);
        let services = if own.0 & other.0 != 0 {
            s.services_weight
        } else {
            0.0
        };
        let tags = if own.1 & other.1 != 0 {
            s.tags_weight
        } else {
            0.0
        };
        (s.text_weight * text + services + tags + s.severity_weight) / total_weight(s)
    }
}

/// The best `k` matches so far, best first: score, then newest, then smallest id.
struct TopK {
    k: usize,
    items: Vec<(usize, f64, f64)>,
}

impl TopK {
    fn new(k: usize) -> TopK {
        TopK {
            k,
            items: Vec::with_capacity(k + 1),
        }
    }

    /// Whether a match with this score could enter (ties may, by date and id).
    fn admits(&self, score: f64) -> bool {
        score >= MIN_SCORE
            && (self.items.len() < self.k || self.items.last().is_some_and(|last| score >= last.1))
    }

    fn insert(&mut self, item: (usize, f64, f64), records: &[&Record]) {
        let order = |a: &(usize, f64, f64), b: &(usize, f64, f64)| -> Ordering {
            b.1.total_cmp(&a.1)
                .then_with(|| crate::link::newest_first(records[a.0], records[b.0]))
        };
        let at = self
            .items
            .partition_point(|x| order(x, &item) == Ordering::Less);
        self.items.insert(at, item);
        self.items.truncate(self.k);
    }
}

/// Per-thread scratch space for one record's candidates: a text score per record
/// (0 = not reached yet, below 0 = already considered) and the records reached,
/// `touched[..reached]` (one slot more than records, so appending never fails).
pub(super) struct Scratch {
    score: Vec<f32>,
    touched: Vec<u32>,
    reached: usize,
}

impl Scratch {
    /// Room for `records` records, all unreached.
    pub(super) fn new(records: usize) -> Scratch {
        Scratch {
            score: vec![0.0; records],
            touched: vec![0; records + 1],
            reached: 0,
        }
    }

    /// Adds to a record's text score, noting it the first time. Branch-free: this is
    /// the innermost loop of the ranking.
    fn add(&mut self, e: u32, value: f32) {
        let limit = self.score.len();
        let score = &mut self.score[e as usize];
        self.touched[self.reached] = e;
        self.reached = (self.reached + usize::from(*score == 0.0)).min(limit);
        *score += value;
    }

    /// Notes a record reached without a text score; false when it was reached before.
    fn mark(&mut self, e: u32) -> bool {
        let limit = self.score.len();
        let score = &mut self.score[e as usize];
        if *score != 0.0 || self.reached >= limit {
            return false;
        }
        *score = -1.0;
        self.touched[self.reached] = e;
        self.reached += 1;
        true
    }

    /// Clears every score touched, ready for the next record.
    fn reset(&mut self) {
        for &e in &self.touched[..self.reached] {
            self.score[e as usize] = 0.0;
        }
        self.reached = 0;
    }
}
