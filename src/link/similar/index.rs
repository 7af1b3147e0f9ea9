//! The inverted index of the similar-incident ranking ([`super`]). In: every record's
//! [`Terms`] and its services, tags and severity. Out: an [`Index`] holding each
//! record's signature (its heaviest BM25 terms, see [`signature`]), the posting list
//! of every signature term, and the services and tags as small integers with their
//! weights; and, asked about two records, their text score, their combined score and
//! the reasons of their match.

use std::cmp::Ordering;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::core::config::{SimilarConfig, SiteConfig};
use crate::core::model::Record;

use super::analyzer::Terms;
use super::{
    total_weight, Match, MAX_POSTINGS, MIN_SCORE, SHOWN_NAMES, SHOWN_TERMS, SIGNATURE_TERMS,
};

/// BM25 term-frequency saturation.
const K1: f64 = 1.2;
/// BM25 length normalisation.
const B: f64 = 0.75;

/// A record's place in the index.
pub(super) struct Doc {
    /// Signature terms as `(term index, weight / norm)`, by term index.
    pub(super) signature: Vec<(u32, f32)>,
    /// Service ids, sorted.
    pub(super) services: Vec<u32>,
    /// Tag ids, sorted.
    pub(super) tags: Vec<u32>,
    severity: usize,
}

/// The inverted index over every record's signature, services and tags.
pub(super) struct Index<'r> {
    /// One per record, in the records' order.
    pub(super) docs: Vec<Doc>,
    /// Per record, one bit per service id and per tag id modulo 64: two records whose
    /// masks do not meet share none. Kept apart from `docs` so that ruling out a
    /// candidate reads 16 bytes.
    pub(super) masks: Vec<(u64, u64)>,
    pub(super) postings: Postings,
    pub(super) services: Interner<'r>,
    pub(super) tags: Interner<'r>,
    severity_levels: usize,
}

impl<'r> Index<'r> {
    /// Indexes `records`, whose terms are `docs` (in the same order), once per ranking.
    pub(super) fn build(records: &[&'r Record], docs: &[&Terms], config: &SiteConfig) -> Index<'r> {
        let n = records.len();
        let df = document_frequencies(docs);
        let total_length: u64 = docs.iter().map(|doc| doc.length).sum();
        let average = (total_length as f64 / n as f64).max(1.0);
        let n_f = n as f64;

        // Each record's signature: its heaviest BM25 terms that another record has,
        // divided by the norm of its heaviest terms of all (see `signature`).
        let signatures: Vec<Vec<(u64, f32)>> = docs
            .par_iter()
            .map(|doc| {
                let saturation = K1 * (1.0 - B + B * doc.length as f64 / average);
                let weighted: Vec<(u64, f64, bool)> = doc
                    .list
                    .iter()
                    .filter_map(|&(term, tf)| {
                        let df = f64::from(*df.get(&term)?);
                        let idf = (1.0 + (n_f - df + 0.5) / (df + 0.5)).ln();
                        let tf = f64::from(tf);
                        Some((term, idf * tf * (K1 + 1.0) / (tf + saturation), df >= 2.0))
                    })
                    .collect();
                signature(weighted)
            })
            .collect();

        let postings = Postings::build(&signatures);

        let mut services = Interner::default();
        let mut tags = Interner::default();
        let docs: Vec<Doc> = records
            .iter()
            .zip(signatures)
            .enumerate()
            .map(|(d, (record, sig))| {
                let own_services = services.add(record.services.iter().map(|s| s.as_str()), d);
                let own_tags = tags.add(record.tags.iter().map(|s| s.as_str()), d);
                let mut signature: Vec<(u32, f32)> = sig
                    .into_iter()
                    .filter_map(|(t, w)| postings.ids.get(&t).map(|&i| (i, w)))
                    .collect();
                signature.sort_unstable_by_key(|&(t, _)| t);
                Doc {
                    signature,
                    services: own_services,
                    tags: own_tags,
                    severity: config.severity_rank(&record.severity),
                }
            })
            .collect();
        services.weigh(n);
        tags.weigh(n);
        let masks = docs
            .iter()
            .map(|doc| (mask(&doc.services), mask(&doc.tags)))
            .collect();
        Index {
            docs,
            masks,
            postings,
            services,
            tags,
            severity_levels: config.severities.len(),
        }
    }

    /// The text score: the dot product of two signatures (their cosine similarity),
    /// summed in term order, so it is the same from either side.
    pub(super) fn text(&self, doc: &Doc, other: &Doc) -> f64 {
        let (a, b) = (&doc.signature, &other.signature);
        let (mut i, mut j) = (0, 0);
        let mut sum = 0.0f32;
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                Ordering::Less => i += 1,
                Ordering::Greater => j += 1,
                Ordering::Equal => {
                    sum += a[i].1 * b[j].1;
                    i += 1;
                    j += 1;
                }
            }
        }
        f64::from(sum).min(1.0)
    }

    /// The combined score of `other` for `doc`, or `None` when what they share (text,
    /// services and tags, without the severity) is below [`MIN_SCORE`].
    pub(super) fn score(
        &self,
        doc: &Doc,
        other: &Doc,
        text: f64,
        settings: &SimilarConfig,
    ) -> Option<f64> {
        let evidence = settings.text_weight * text
            + settings.services_weight * self.services.overlap(&doc.services, &other.services)
            + settings.tags_weight * self.tags.overlap(&doc.tags, &other.tags);
        if evidence <= 0.0 || evidence / total_weight(settings) < MIN_SCORE {
            return None;
        }
        let levels = self.severity_levels.saturating_sub(1).max(1) as f64;
        let distance = doc.severity.abs_diff(other.severity) as f64;
        let severity = (1.0 - distance / levels).max(0.0);
        Some((evidence + settings.severity_weight * severity) / total_weight(settings))
    }

    /// The match of `e` for `d`, with its reasons.
    pub(super) fn explain(
        &self,
        d: usize,
        e: usize,
        score: f64,
        text: f64,
        words: &FxHashMap<u64, String>,
    ) -> Match {
        let (doc, other) = (&self.docs[d], &self.docs[e]);
        let mut terms: Vec<(f32, &str)> = doc
            .signature
            .iter()
            .filter_map(|&(term, weight)| {
                // Signatures are sorted by term.
                let at = other
                    .signature
                    .binary_search_by_key(&term, |&(t, _)| t)
                    .ok()?;
                let theirs = other.signature[at].1;
                let word = words.get(&self.postings.terms[term as usize])?;
                Some((weight * theirs, word.as_str()))
            })
            .collect();
        terms.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        Match {
            index: e,
            score,
            text,
            services: self.services.shared(&doc.services, &other.services),
            tags: self.tags.shared(&doc.tags, &other.tags),
            terms: terms
                .into_iter()
                .take(SHOWN_TERMS)
                .map(|(_, w)| w.to_string())
                .collect(),
        }
    }
}

/// How many records have each term: counted per block of records in parallel, then
/// added up (integers, so the order of adding does not matter).
fn document_frequencies(docs: &[&Terms]) -> FxHashMap<u64, u32> {
    docs.par_chunks(512)
        .map(|chunk| {
            let mut df: FxHashMap<u64, u32> = FxHashMap::default();
            for doc in chunk {
                for &(term, _) in &doc.list {
                    *df.entry(term).or_insert(0) += 1;
                }
            }
            df
        })
        .reduce(FxHashMap::default, |a, b| {
            let (small, mut large) = if a.len() < b.len() { (a, b) } else { (b, a) };
            for (term, count) in small {
                *large.entry(term).or_insert(0) += count;
            }
            large
        })
}

/// The inverted index proper: for each term, the records whose signature holds it.
pub(super) struct Postings {
    /// Term hash to term index.
    ids: FxHashMap<u64, u32>,
    /// The term hash of each term index.
    terms: Vec<u64>,
    /// Posting lists, one after another: term `t`'s records are
    /// `docs[offsets[t]..offsets[t + 1]]`, with the term's weight in each.
    offsets: Vec<usize>,
    docs: Vec<u32>,
    weights: Vec<f32>,
    /// Per term, whether its list was cut to [`MAX_POSTINGS`] records.
    pub(super) cut: Vec<bool>,
}

impl Postings {
    /// Sorts every (term, record, weight) of the signatures once, then groups them. A
    /// term in one signature only is left out (it matches nothing); a term in more
    /// than [`MAX_POSTINGS`] keeps the records where it weighs most.
    fn build(signatures: &[Vec<(u64, f32)>]) -> Postings {
        let mut entries: Vec<(u64, u32, f32)> = signatures
            .iter()
            .enumerate()
            .flat_map(|(d, sig)| sig.iter().map(move |&(t, w)| (t, d as u32, w)))
            .collect();
        entries.par_sort_unstable_by(|a, b| {
            a.0.cmp(&b.0).then(b.2.total_cmp(&a.2)).then(a.1.cmp(&b.1))
        });
        let mut postings = Postings {
            ids: FxHashMap::default(),
            terms: Vec::new(),
            offsets: vec![0],
            docs: Vec::new(),
            weights: Vec::new(),
            cut: Vec::new(),
        };
        for group in entries.chunk_by(|a, b| a.0 == b.0) {
            if group.len() < 2 {
                continue;
            }
            let (kept, left) = group.split_at(group.len().min(MAX_POSTINGS));
            let mut kept: Vec<(u32, f32)> = kept.iter().map(|e| (e.1, e.2)).collect();
            kept.sort_unstable_by_key(|e| e.0);
            postings.ids.insert(group[0].0, postings.terms.len() as u32);
            postings.terms.push(group[0].0);
            postings.cut.push(!left.is_empty());
            postings.docs.extend(kept.iter().map(|e| e.0));
            postings.weights.extend(kept.iter().map(|e| e.1));
            postings.offsets.push(postings.docs.len());
        }
        postings
    }

    /// The records and weights of term `t`.
    pub(super) fn list(&self, t: u32) -> (&[u32], &[f32]) {
        let range = self.offsets[t as usize]..self.offsets[t as usize + 1];
        (&self.docs[range.clone()], &self.weights[range])
    }
}

/// A record's signature from its weighted terms `(term, weight, shared)`: the
/// [`SIGNATURE_TERMS`] heaviest terms that another record has too, each weight
/// divided by the norm of the record's [`SIGNATURE_TERMS`] heaviest terms of all.
///
/// The norm counts the words only this record uses, so a record whose heaviest words
/// are its own is not made to look like another by the few common words they share.
/// The shared terms weigh no more than the heaviest ones, so the cosine of two
/// signatures stays within 0..=1.
fn signature(mut weighted: Vec<(u64, f64, bool)>) -> Vec<(u64, f32)> {
    let heavier =
        |a: &(u64, f64, bool), b: &(u64, f64, bool)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    let mut heaviest: Vec<f64> = weighted.iter().map(|w| w.1).collect();
    if heaviest.len() > SIGNATURE_TERMS {
        heaviest.select_nth_unstable_by(SIGNATURE_TERMS - 1, |a, b| b.total_cmp(a));
        heaviest.truncate(SIGNATURE_TERMS);
    }
    heaviest.sort_unstable_by(|a, b| b.total_cmp(a));
    let norm = heaviest.iter().map(|w| w * w).sum::<f64>().sqrt();
    weighted.retain(|w| w.2);
    if weighted.len() > SIGNATURE_TERMS {
        weighted.select_nth_unstable_by(SIGNATURE_TERMS - 1, heavier);
        weighted.truncate(SIGNATURE_TERMS);
    }
    weighted.sort_unstable_by(heavier);
    weighted
        .into_iter()
        .map(|(term, w, _)| (term, (w / norm) as f32))
        .collect()
}

/// A 64-bit mask with one bit per id modulo 64.
fn mask(ids: &[u32]) -> u64 {
    ids.iter().fold(0, |m, &id| m | 1 << (id % 64))
}

/// Names (services or tags) as small integers, with the records that carry each.
#[derive(Default)]
pub(super) struct Interner<'r> {
    ids: FxHashMap<&'r str, u32>,
    names: Vec<&'r str>,
    /// The records that carry each name, by id, in record order.
    pub(super) postings: Vec<Vec<u32>>,
    /// Each name's weight: rarer names say more (`ln(1 + records / carriers)`).
    weights: Vec<f64>,
}

impl<'r> Interner<'r> {
    /// Interns record `d`'s names; returns their ids sorted and deduplicated.
    fn add(&mut self, names: impl Iterator<Item = &'r str>, d: usize) -> Vec<u32> {
        let mut out: Vec<u32> = names
            .map(|name| {
                let next = self.names.len() as u32;
                let id = *self.ids.entry(name).or_insert(next);
                if id == next {
                    self.names.push(name);
                    self.postings.push(Vec::new());
                }
                id
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        for &id in &out {
            self.postings[id as usize].push(d as u32);
        }
        out
    }

    /// Sets every name's weight once all records are in.
    fn weigh(&mut self, records: usize) {
        self.weights = self
            .postings
            .iter()
            .map(|list| (1.0 + records as f64 / list.len().max(1) as f64).ln())
            .collect();
    }

    /// Weighted Jaccard overlap of two sorted id lists: the weight of the shared names
    /// over the weight of all names either record has.
    fn overlap(&self, a: &[u32], b: &[u32]) -> f64 {
        if a.is_empty() || b.is_empty() {
            return 0.0;
        }
        let weight = |id: &u32| self.weights[*id as usize];
        let all: f64 = a.iter().map(weight).sum::<f64>() + b.iter().map(weight).sum::<f64>();
        let shared: f64 = a
            .iter()
            .filter(|x| b.binary_search(x).is_ok())
            .map(weight)
            .sum();
        if shared > 0.0 {
            shared / (all - shared)
        } else {
            0.0
        }
    }

    /// The names two records share, rarest first (then by name), at most
    /// [`SHOWN_NAMES`].
    fn shared(&self, a: &[u32], b: &[u32]) -> Vec<String> {
        let mut both: Vec<u32> = a
            .iter()
            .copied()
            .filter(|x| b.binary_search(x).is_ok())
            .collect();
        both.sort_by(|&x, &y| {
            self.postings[x as usize]
                .len()
                .cmp(&self.postings[y as usize].len())
                .then_with(|| self.names[x as usize].cmp(self.names[y as usize]))
        });
        both.into_iter()
            .take(SHOWN_NAMES)
            .map(|x| self.names[x as usize].to_string())
            .collect()
    }
}
