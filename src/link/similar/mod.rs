//! Similar incidents: for every record, the few others a reader should look at next,
//! each with the reasons it was picked. Part of the link stage ([`crate::link`]).
//!
//! The score of record `e` for record `d` (docs/similar.md explains it for users) is
//!
//! ```text
//! score = (wt * text + ws * services + wg * tags + wv * severity) / (wt + ws + wg + wv)
//! ```
//!
//! with the weights from site.toml's `[similar]`, and each part in `0..=1`:
//! - `text`: cosine similarity of the two records' signatures. A record's terms come
//!   from its title (each word counted 3 times), summary (twice) and body prose (code
//!   blocks left out): lower-cased words without stop words, numbers or ordinals,
//!   stemmed with the Snowball English stemmer. Each term is weighted with BM25
//!   (`k1` = 1.2, `b` = 0.75); the signature is the [`SIGNATURE_TERMS`] heaviest terms
//!   that at least one other record has, divided by the norm of the record's
//!   heaviest terms of all (see `signature`).
//! - `services`, `tags`: weighted Jaccard overlap, each name weighing
//!   `ln(1 + records / records with the name)`: sharing a rare service counts for
//!   more than sharing one that half the archive names.
//! - `severity`: 1 for the same severity, falling linearly to 0 for the two ends of
//!   site.toml's severity list. It only ranks: severity alone never makes a match.
//!
//! A match needs the shared parts (text, services and tags, without the severity) to
//! make a score of at least [`MIN_SCORE`] on their own.
//!
//! It is not computed for all pairs. An inverted index maps each term to the records
//! whose signature holds it, and a record's text score for every candidate adds up
//! along the posting lists of its own signature. A term in more than [`MAX_POSTINGS`]
//! signatures keeps only the records where it weighs most, so a record reads at most
//! `SIGNATURE_TERMS * MAX_POSTINGS` postings and the cost grows linearly with the
//! archive. Candidates are scored in full only when their best possible score could
//! still make the list; the text score of a candidate is always the exact cosine of
//! the two signatures, so it is the same from either side. Records that share a
//! service or a tag but no signature term are candidates too.
//!
//! Determinism: every per-record sum runs in one thread in a fixed order (terms by
//! index, postings by record), archive-wide statistics are integer counts, and ties
//! break by date (newest first) and then id, so the ranking is the same on every run
//! and on every number of threads.

use std::cmp::Ordering;

use rayon::prelude::*;
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;

use crate::core::config::{SimilarConfig, SiteConfig};
use crate::core::model::Record;

/// How many times a title word counts, relative to a body word.
pub const TITLE_WEIGHT: u32 = 3;
/// How many times a summary word counts, relative to a body word.
pub const SUMMARY_WEIGHT: u32 = 2;
/// A body word counts once.
pub const BODY_WEIGHT: u32 = 1;
/// Terms per record that take part in the text score: enough to describe an
/// incident (fewer let incidental rare words crowd out its topic in a small
/// archive), few enough to keep the work per record small.
pub const SIGNATURE_TERMS: usize = 64;
/// The longest posting list: a term in more signatures keeps the records where it
/// weighs most (see the module docs).
pub const MAX_POSTINGS: usize = 100;
/// The lowest score the shared parts of a match (without the severity) may make:
/// below it, what two records share is chance (a common service, a few everyday words).
pub const MIN_SCORE: f64 = 0.04;
/// Shared terms named in a match's reasons.
pub const SHOWN_TERMS: usize = 3;
/// Shared services, and shared tags, named in a match's reasons (rarest first).
pub const SHOWN_NAMES: usize = 3;
/// Records whose text score is at least this share of the best one are scored first.
const EARLY_FRACTION: f32 = 0.7;
/// BM25 term-frequency saturation.
const K1: f64 = 1.2;
/// BM25 length normalisation.
const B: f64 = 0.75;
/// Longest word (in bytes) treated as a term; longer runs are hashes or base64.
const MAX_WORD_LEN: usize = 40;

/// Stop words, sorted: English function words, and the names of months, weekdays and
/// time zones (every postmortem has dates and times; sharing them says nothing).
/// Deliberately not [`crate::search::text::STOP_WORDS`]: search keeps words a reader
/// types and means (`down`, `not`, month names), while similarity drops every word
/// that two unrelated incidents share by chance.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "ain",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "apr",
    "april",
    "are",
    "aren",
    "as",
    "at",
    "aug",
    "august",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "bst",
    "but",
    "by",
    "can",
    "cdt",
    "cest",
    "cet",
    "could",
    "couldn",
    "cst",
    "dec",
    "december",
    "did",
    "didn",
    "do",
    "does",
    "doesn",
    "doing",
    "don",
    "down",
    "during",
    "each",
    "edt",
    "either",
    "est",
    "etc",
    "feb",
    "february",
    "few",
    "for",
    "fri",
    "friday",
    "from",
    "further",
    "gmt",
    "had",
    "hadn",
    "has",
    "hasn",
    "have",
    "haven",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "into",
    "is",
    "isn",
    "ist",
    "it",
    "its",
    "itself",
    "jan",
    "january",
    "jul",
    "july",
    "jun",
    "june",
    "just",
    "ll",
    "ma",
    "mar",
    "march",
    "may",
    "mdt",
    "me",
    "might",
    "mightn",
    "mon",
    "monday",
    "more",
    "most",
    "mst",
    "must",
    "mustn",
    "my",
    "myself",
    "needn",
    "neither",
    "no",
    "nor",
    "not",
    "nov",
    "november",
    "now",
    "oct",
    "october",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "pdt",
    "per",
    "pm",
    "pst",
    "re",
    "same",
    "sat",
    "saturday",
    "sep",
    "sept",
    "september",
    "shall",
    "shan",
    "she",
    "should",
    "shouldn",
    "so",
    "some",
    "such",
    "sun",
    "sunday",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "thu",
    "thur",
    "thurs",
    "thursday",
    "thus",
    "to",
    "too",
    "tue",
    "tues",
    "tuesday",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "utc",
    "ve",
    "very",
    "via",
    "was",
    "wasn",
    "we",
    "wed",
    "wednesday",
    "were",
    "weren",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "won",
    "would",
    "wouldn",
    "yet",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

/// Whether the ranking runs at all: on in site.toml, and something to rank by.
pub fn enabled(config: &SimilarConfig) -> bool {
    config.enabled && config.count > 0 && total_weight(config) > 0.0
}

fn total_weight(config: &SimilarConfig) -> f64 {
    config.text_weight + config.services_weight + config.tags_weight + config.severity_weight
}

/// One similar record and why it was picked.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// The similar record, by index into the linked records.
    pub index: usize,
    /// The combined score in `0..=1` (see the module docs).
    pub score: f64,
    /// The text part of the score (cosine similarity) in `0..=1`.
    pub text: f64,
    /// Services both records name, rarest in the archive first (at most three).
    pub services: Vec<String>,
    /// Tags both records carry, rarest in the archive first (at most three).
    pub tags: Vec<String>,
    /// The shared words that weigh most in the text score, as written in the archive.
    pub terms: Vec<String>,
}

impl Match {
    /// The reasons as one line: `shares user-service, connection-pool, leak`.
    pub fn reason(&self) -> String {
        let mut names: Vec<&str> = Vec::new();
        for name in self.services.iter().chain(&self.tags).chain(&self.terms) {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                names.push(name);
            }
        }
        if names.is_empty() {
            "similar severity".to_string()
        } else {
            format!("shares {}", names.join(", "))
        }
    }
}

/// One record's weighted term counts, built while its text is read. Each distinct
/// word gets a slot; words with one stem are merged when the record is indexed.
#[derive(Debug, Default)]
pub struct TermCounts {
    /// Which record of its analyzer this is, so a word's slot is only reused within it.
    serial: u32,
    slots: Vec<(u64, u32)>,
    length: u64,
}

impl TermCounts {
    /// The record's terms, sorted, one entry per term, in as little memory as they
    /// need: every record's terms are held until the archive-wide counts are known.
    pub fn finish(mut self) -> Terms {
        self.slots.sort_unstable_by_key(|&(term, _)| term);
        self.slots.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 += later.1;
            }
            same
        });
        self.slots.shrink_to_fit();
        Terms {
            list: self.slots,
            length: self.length,
        }
    }
}

/// One record's terms with their weighted counts (sorted), and its weighted length.
#[derive(Debug, Default)]
pub struct Terms {
    list: Vec<(u64, u32)>,
    length: u64,
}

/// What a word in the text turns into: a term (a stem's hash, never 0) or nothing
/// (0: a stop word, a number), and its slot in the record being read.
struct WordEntry {
    /// The word in lower case, for showing terms as people write them.
    word: Box<str>,
    term: u64,
    seen: u64,
    serial: u32,
    slot: u32,
}

/// Turns text into terms. One per parallel work unit: it caches each distinct word's
/// stem, keyed by the hash of the lower-cased word, and counts how often each word was
/// seen, to show terms as people write them.
pub struct Analyzer {
    stemmer: Stemmer,
    words: FxHashMap<u64, WordEntry>,
    lower: String,
    serial: u32,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer {
            stemmer: Stemmer::create(Algorithm::English),
            words: FxHashMap::default(),
            lower: String::new(),
            serial: 0,
        }
    }
}

/// Whether a lower-cased word can be a term: two characters or more, not a stop word,
/// not a number or an ordinal (`2024`, `28th`).
fn is_term(word: &str) -> bool {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    let number = digits == word.len()
        || (digits > 0 && matches!(&word[digits..], "st" | "nd" | "rd" | "th"));
    word.len() >= 2 && !number && STOP_WORDS.binary_search(&word).is_err()
}

/// FNV-1a: a stable 64-bit hash, so words and terms are plain integers (never 0).
/// Two of a record's words colliding is as likely as guessing a 64-bit number.
fn fnv(bytes: impl Iterator<Item = u8>) -> u64 {
    bytes
        .fold(FNV_OFFSET, |hash, b| {
            (hash ^ u64::from(b)).wrapping_mul(FNV_PRIME)
        })
        .max(1)
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

impl Analyzer {
    /// Empty counts for the next record this analyzer reads.
    pub fn counts(&mut self) -> TermCounts {
        self.serial += 1;
        TermCounts {
            serial: self.serial,
            slots: Vec::with_capacity(256),
            length: 0,
        }
    }

    /// Adds every term of `text` to `counts` (from [`Analyzer::counts`]), each counted
    /// `weight` times. Words are maximal runs of letters and digits; ASCII text (the
    /// common case) is split, lower-cased and hashed in one pass over its bytes.
    pub fn add(&mut self, text: &str, weight: u32, counts: &mut TermCounts) {
        if !text.is_ascii() {
            for word in text.split(|c: char| !c.is_alphanumeric()) {
                self.lower.clear();
                self.lower.extend(word.chars().flat_map(char::to_lowercase));
                let key = fnv(self.lower.bytes());
                let letters = word.chars().any(|c| !c.is_ascii_digit());
                self.count(word, key, letters, weight, counts);
            }
            return;
        }
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
            let start = i;
            let mut hash = FNV_OFFSET;
            let mut letters = false;
            while let Some(&b) = bytes.get(i).filter(|b| b.is_ascii_alphanumeric()) {
                hash = (hash ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(FNV_PRIME);
                letters |= !b.is_ascii_digit();
                i += 1;
            }
            self.count(&text[start..i], hash.max(1), letters, weight, counts);
        }
    }

    /// Counts one word, given the hash of its lower-cased form.
    fn count(&mut self, word: &str, key: u64, letters: bool, weight: u32, counts: &mut TermCounts) {
        // Short words, long runs and plain numbers are never terms: skip the lookup.
        if word.len() < 2 || word.len() > MAX_WORD_LEN || !letters {
            return;
        }
        let (stemmer, lower) = (&self.stemmer, &self.lower);
        let entry = self.words.entry(key).or_insert_with(|| {
            let lower = if word.is_ascii() {
                word.to_ascii_lowercase()
            } else {
                lower.clone()
            };
            let term = if is_term(&lower) {
                fnv(stemmer.stem(&lower).bytes())
            } else {
                0
            };
            WordEntry {
                word: lower.into(),
                term,
                seen: 0,
                serial: 0,
                slot: 0,
            }
        });
        if entry.term == 0 {
            return;
        }
        entry.seen += 1;
        counts.length += u64::from(weight);
        match counts.slots.get_mut(entry.slot as usize) {
            Some(slot) if entry.serial == counts.serial => slot.1 += weight,
            _ => {
                entry.serial = counts.serial;
                entry.slot = counts.slots.len() as u32;
                counts.slots.push((entry.term, weight));
            }
        }
    }
}

/// The word shown for each term: the one written most often across the archive, then
/// the shorter, then the first alphabetically. Independent of how work was split.
fn display_words(analyzers: &[Analyzer]) -> FxHashMap<u64, String> {
    let mut seen: FxHashMap<&str, (u64, u64)> = FxHashMap::default();
    for analyzer in analyzers {
        for entry in analyzer.words.values() {
            if entry.term != 0 {
                seen.entry(&entry.word).or_insert((entry.term, 0)).1 += entry.seen;
            }
        }
    }
    let mut best: FxHashMap<u64, (&str, u64)> = FxHashMap::default();
    for (word, (term, count)) in seen {
        let slot = best.entry(term).or_insert((word, count));
        let better = (
            count,
            std::cmp::Reverse(word.len()),
            std::cmp::Reverse(word),
        ) > (
            slot.1,
            std::cmp::Reverse(slot.0.len()),
            std::cmp::Reverse(slot.0),
        );
        if better {
            *slot = (word, count);
        }
    }
    best.into_iter()
        .map(|(term, (word, _))| (term, word.to_string()))
        .collect()
}

/// A record's place in the index.
struct Doc {
    /// Signature terms as `(term index, weight / norm)`, by term index.
    signature: Vec<(u32, f32)>,
    services: Vec<u32>,
    tags: Vec<u32>,
    severity: usize,
}

/// Per-thread scratch space for one record's candidates: a text score per record
/// (0 = not reached yet, below 0 = already considered) and the records reached,
/// `touched[..reached]` (one slot more than records, so appending never fails).
struct Scratch {
    score: Vec<f32>,
    touched: Vec<u32>,
    reached: usize,
}

impl Scratch {
    fn new(records: usize) -> Scratch {
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

/// Ranks the similar records of every record. `terms[i]` are record `i`'s terms from
/// [`Analyzer::add`] and [`TermCounts::finish`]; `linked[i]` (sorted) are the records
/// it is already linked with either way, which are not repeated as similar.
/// Parallel over records.
pub fn rank(
    records: &[&Record],
    terms: Vec<Terms>,
    analyzers: &[Analyzer],
    linked: &[Vec<usize>],
    config: &SiteConfig,
) -> Vec<Vec<Match>> {
    let n = records.len();
    let settings = &config.similar;
    if !enabled(settings) || n < 2 {
        return vec![Vec::new(); n];
    }
    let words = display_words(analyzers);
    let index = Index::build(records, terms, config);
    (0..n)
        .into_par_iter()
        .map_init(
            || Scratch::new(n),
            |scratch, d| {
                let ranker = Ranker {
                    index: &index,
                    records,
                    settings,
                    d,
                    linked: &linked[d],
                };
                ranker
                    .best(scratch)
                    .into_iter()
                    .map(|(e, score, text)| index.explain(d, e, score, text, &words))
                    .collect()
            },
        )
        .collect()
}

/// The inverted index over every record's signature, services and tags.
struct Index<'r> {
    docs: Vec<Doc>,
    /// Per record, one bit per service id and per tag id modulo 64: two records whose
    /// masks do not meet share none. Kept apart from `docs` so that ruling out a
    /// candidate reads 16 bytes.
    masks: Vec<(u64, u64)>,
    postings: Postings,
    services: Interner<'r>,
    tags: Interner<'r>,
    severity_levels: usize,
}

impl<'r> Index<'r> {
    fn build(records: &[&'r Record], docs: Vec<Terms>, config: &SiteConfig) -> Index<'r> {
        let n = records.len();
        let df = document_frequencies(&docs);
        let total_length: u64 = docs.iter().map(|doc| doc.length).sum();
        let average = (total_length as f64 / n as f64).max(1.0);
        let n_f = n as f64;

        // Each record's signature: its heaviest BM25 terms that another record has,
        // divided by the norm of its heaviest terms of all (see `signature`).
        let signatures: Vec<Vec<(u64, f32)>> = docs
            .into_par_iter()
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
    fn text(&self, doc: &Doc, other: &Doc) -> f64 {
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
    fn score(&self, doc: &Doc, other: &Doc, text: f64, settings: &SimilarConfig) -> Option<f64> {
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
    fn explain(
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
fn document_frequencies(docs: &[Terms]) -> FxHashMap<u64, u32> {
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
struct Postings {
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
    cut: Vec<bool>,
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
    fn list(&self, t: u32) -> (&[u32], &[f32]) {
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

/// Finds one record's best matches.
struct Ranker<'a, 'r> {
    index: &'a Index<'r>,
    records: &'a [&'a Record],
    settings: &'a SimilarConfig,
    d: usize,
    linked: &'a [usize],
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
    fn best(&self, scratch: &mut Scratch) -> Vec<(usize, f64, f64)> {
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
        if e == self.d
            || !top.admits(self.best_possible(e, sum))
            || self.linked.binary_search(&e).is_ok()
        {
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

/// Names (services or tags) as small integers, with the records that carry each.
#[derive(Default)]
struct Interner<'r> {
    ids: FxHashMap<&'r str, u32>,
    names: Vec<&'r str>,
    postings: Vec<Vec<u32>>,
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn record(id: &str, date: &str, title: &str, services: &str, body: &str) -> Record {
        let text = format!(
            "---\nid: {id}\ntitle: {title}\ndate: {date}\nseverity: SEV2\n\
             status: investigating\nservices: [{services}]\n---\n{body}"
        );
        let path = format!("content/incidents/{id}.md");
        crate::load::record_from_bytes(Path::new(&path), text.as_bytes(), &SiteConfig::default())
            .0
            .expect("a valid record")
    }

    fn archive() -> Vec<Record> {
        vec![
            record("A", "2024-01-05", "Connection pool exhausted in user-service", "user-service",
                "A connection leak in the export job held database connections until the pool ran dry."),
            record("B", "2024-03-01", "User-service pool exhaustion from leaked connections", "user-service",
                "The export job leaked database connections; the pool was exhausted and requests timed out."),
            record("C", "2024-02-01", "Expired TLS certificate on the edge", "cdn",
                "The certificate expired because renewal failed silently; browsers rejected the handshake."),
            record("D", "2024-04-01", "Kafka consumer lag delayed emails", "kafka",
                "Consumers rebalanced in a loop and lag grew; notification emails were late."),
            record("E", "2024-05-01", "DNS resolver timeouts after migration", "dns",
                "A resolver migration dropped forwarding rules and lookups timed out."),
        ]
    }

    fn rank_all(records: &[Record], config: &SiteConfig) -> Vec<Vec<Match>> {
        let refs: Vec<&Record> = records.iter().collect();
        crate::link::link(&refs, config)
            .links
            .into_iter()
            .map(|l| l.similar)
            .collect()
    }

    #[test]
    fn stop_words_are_sorted_and_unique() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn terms() {
        for word in ["kafka", "5xx", "v2", "oom"] {
            assert!(is_term(word), "{word}");
        }
        for word in ["the", "2024", "28th", "1st", "x", "december", "utc"] {
            assert!(!is_term(word), "{word}");
        }
    }

    #[test]
    fn words_with_one_stem_are_one_term() {
        let mut analyzer = Analyzer::default();
        let mut counts = analyzer.counts();
        analyzer.add(
            "Connections, connection; CONNECTION the 2024",
            2,
            &mut counts,
        );
        let terms = counts.finish();
        assert_eq!(terms.list.len(), 1);
        assert_eq!(terms.list[0].1, 6);
        assert_eq!(terms.length, 6);
        assert_eq!(display_words(&[analyzer])[&terms.list[0].0], "connection");
    }

    #[test]
    fn near_duplicates_find_each_other_first_with_reasons() {
        let found = rank_all(&archive(), &SiteConfig::default());
        assert_eq!(found[0][0].index, 1, "{:?}", found[0]);
        assert_eq!(found[1][0].index, 0, "{:?}", found[1]);
        let m = &found[0][0];
        assert_eq!(m.services, ["user-service"]);
        assert!(
            m.terms.iter().any(|t| t == "connections" || t == "pool"),
            "{m:?}"
        );
        assert!(
            m.reason().starts_with("shares user-service, "),
            "{}",
            m.reason()
        );
        assert!(m.score > 0.0 && m.score <= 1.0 && m.text > 0.0);
    }

    #[test]
    fn unrelated_records_are_not_similar() {
        let found = rank_all(&archive(), &SiteConfig::default());
        assert!(
            found[2].iter().all(|m| m.index != 3 && m.index != 4),
            "{:?}",
            found[2]
        );
    }

    #[test]
    fn settings_turn_it_off_and_limit_it() {
        let mut config = SiteConfig::default();
        config.similar.enabled = false;
        assert!(rank_all(&archive(), &config).iter().all(Vec::is_empty));
        let mut config = SiteConfig::default();
        config.similar.count = 1;
        assert!(rank_all(&archive(), &config).iter().all(|l| l.len() <= 1));
        let mut config = SiteConfig::default();
        config.similar.text_weight = 0.0;
        config.similar.tags_weight = 0.0;
        config.similar.severity_weight = 0.0;
        let found = rank_all(&archive(), &config);
        assert_eq!(found[0].iter().map(|m| m.index).collect::<Vec<_>>(), [1]);
        assert!((found[0][0].score - 1.0).abs() < 1e-9);
    }

    #[test]
    fn ties_break_by_date_then_id() {
        let records = vec![
            record(
                "X-1",
                "2024-01-01",
                "Disk full on search hosts",
                "search",
                "Disk full.",
            ),
            record(
                "X-3",
                "2024-02-01",
                "Disk full on search hosts",
                "search",
                "Disk full.",
            ),
            record(
                "X-2",
                "2024-02-01",
                "Disk full on search hosts",
                "search",
                "Disk full.",
            ),
            record(
                "X-0",
                "2023-01-01",
                "Disk full on search hosts",
                "search",
                "Disk full.",
            ),
        ];
        let found = rank_all(&records, &SiteConfig::default());
        let order: Vec<&str> = found[0]
            .iter()
            .map(|m| records[m.index].id.as_str())
            .collect();
        assert_eq!(order, ["X-2", "X-3", "X-0"]);
    }

    #[test]
    fn the_same_on_any_number_of_threads() {
        let mut records = Vec::new();
        let topics = [
            "pool leak database",
            "certificate expiry renewal",
            "kafka lag rebalance",
            "dns resolver timeout",
            "disk full logs",
        ];
        for i in 0..700 {
            let topic = topics[i % topics.len()];
            let extra = topics[(i * 7 + 3) % topics.len()];
            records.push(record(
                &format!("R-{i:04}"),
                &format!("2024-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
                &format!("{topic} incident {}", i % 13),
                &format!("svc-{}", i % 17),
                &format!(
                    "The {topic} problem came back; {extra} made it worse. Word{} appeared.",
                    i % 31
                ),
            ));
        }
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool")
                .install(|| rank_all(&records, &SiteConfig::default()))
        };
        let one = run(1);
        assert!(one.iter().all(|l| l.len() == 5));
        assert_eq!(one, run(2));
        assert_eq!(one, run(4));
    }
}
