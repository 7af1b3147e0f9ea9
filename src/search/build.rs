//! Records to an in-memory index: terms with their postings and positions, the
//! facet values of every document, and what a result shows.
//!
//! Runs in parallel: the documents are cut into contiguous batches, and each batch is
//! analyzed on its own thread with its own vocabulary (stemming each distinct word
//! once). The vocabularies are then merged in sorted order, so term numbers, and with
//! them the output bytes, do not depend on how the work was split.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;
use std::hash::Hasher;

use hashbrown::HashTable;
use rustc_hash::{FxHashMap, FxHasher};

use super::text::{self, Kind};
use super::Document;
use crate::core::config::SiteConfig;

/// How much a match in each field of a record counts, in this order: the title;
/// the keywords (id, severity, status, services, tags); the summary; the body (the
/// Markdown body, timeline events, action items, impact, people).
pub const FIELD_WEIGHTS: [f64; 4] = [5.0, 3.0, 2.0, 1.0];
/// How strongly each field's length normalizes its matches (BM25's `b`).
const FIELD_B: [f64; 4] = [0.3, 0.3, 0.5, 0.75];
/// BM25's term-frequency saturation.
pub const K1: f64 = 1.2;
/// Positions left empty between fields and between separate pieces of text, so a
/// phrase never matches across them.
const GAP: u32 = 4;

/// One term of the index with everything a query needs about it.
#[derive(Debug, Default)]
pub struct TermData {
    pub term: String,
    /// Other words that stem to this term, for prefix matching as the user types.
    pub variants: Vec<String>,
    pub df: u32,
    /// Per document (ascending): varint doc-id delta, then one byte of impact.
    pub postings: Vec<u8>,
    /// Per document, in the same order: varint count, then varint position deltas.
    pub positions: Vec<u8>,
}

/// A facet: a structured field the results can be narrowed by.
#[derive(Debug)]
pub struct Facet {
    /// The URL parameter (`severity`, `service`, ...).
    pub name: &'static str,
    pub label: &'static str,
    pub values: Vec<String>,
    /// Display names where they differ from the values.
    pub labels: Option<Vec<String>>,
    /// Per value, the documents that have it (ascending).
    pub docs: Vec<Vec<u32>>,
}

/// What a result shows, with facet values as indexes into [`Facet::values`].
#[derive(Debug, serde::Serialize)]
pub struct DocMeta {
    pub id: String,
    pub title: String,
    pub date: String,
    pub url: String,
    pub severity: u32,
    pub status: u32,
    pub services: Vec<u32>,
    pub tags: Vec<u32>,
    pub open: usize,
    pub overdue: usize,
    pub excerpt: String,
    /// "Draft" or "In review" for a record that is not approved yet; left out of
    /// the JSON for approved records, so the download grows only by what it shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<&'static str>,
}

/// The whole index before it is encoded into files.
#[derive(Debug)]
pub struct Index {
    pub documents: usize,
    pub terms: Vec<TermData>,
    pub facets: Vec<Facet>,
    pub docs: Vec<DocMeta>,
}

/// Builds the index of `docs`, in their order (document number = position). With
/// `kept` (`casebook serve`), a document analyzed by an earlier build whose text
/// is the same is not analyzed again ([`KeptDocs`]).
pub fn build(docs: &[Document], config: &SiteConfig, kept: Option<&mut KeptDocs>) -> Index {
    // The text and the structured fields are independent: both run at once.
    let (terms, (facets, metas)) = rayon::join(
        || match kept {
            Some(kept) => kept.terms(docs),
            None => merge(
                docs.par_chunks(batch_size(docs.len()))
                    .map(analyze_batch)
                    .collect(),
            ),
        },
        || {
            let (facets, values) = facets(docs, config);
            let metas: Vec<DocMeta> = docs
                .par_iter()
                .zip(values.into_par_iter())
                .map(|(doc, v)| doc_meta(doc, v))
                .collect();
            (facets, metas)
        },
    );
    Index {
        documents: docs.len(),
        terms,
        facets,
        docs: metas,
    }
}

/// How many documents one batch analyzes: two batches a thread, so a slow one
/// does not leave a core idle, but not so few that their vocabularies repeat.
fn batch_size(documents: usize) -> usize {
    documents.div_ceil(rayon::current_num_threads() * 2).max(64)
}

/// The documents analyzed by the last build of `casebook serve`, kept for the
/// next: a document's terms, their frequencies and positions, its field lengths
/// and its variant words are a function of its fields' texts ([`field_texts`])
/// alone, so a document whose texts hash the same as last time is taken as it
/// was. Its terms and words are numbered in a vocabulary the builds share, so a
/// kept document does not depend on the batch it was analyzed in.
#[derive(Default)]
pub struct KeptDocs {
    vocabulary: Vocabulary,
    /// By record file: [`text_key`] of its fields and what they analyzed to.
    docs: HashMap<PathBuf, (u64, Arc<Analysed>)>,
    /// How many of the kept documents have each (term, variant word) pair.
    variants: FxHashMap<(u32, u32), u32>,
    /// The record files of the last build, in document order.
    order: Vec<PathBuf>,
    /// The terms of the last build in index order, by vocabulary number.
    ranked: Vec<u32>,
    /// By vocabulary number, each term's positions in the last build, handed
    /// back once its files are encoded ([`KeptDocs::keep_positions`]); empty
    /// when not kept.
    positions: Vec<Vec<u8>>,
    /// How many documents the last build analyzed anew.
    analyzed: usize,
}

/// One document as [`Analyzer::analyze`] made it, with terms and variants
/// numbered in the [`Vocabulary`].
struct Analysed {
    lengths: [u32; 4],
    entries: Box<[Entry]>,
    /// The positions of `entries`, one after the other.
    positions: Box<[u8]>,
    /// (term, word) for each word of the document that is not its own term.
    variants: Box<[(u32, u32)]>,
}

/// Every term and variant word of the kept documents, numbered once. Words of
/// documents since edited stay (a serve session types few of them).
#[derive(Default)]
struct Vocabulary {
    ids: FxHashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Vocabulary {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }
}

/// A hash of the texts a document's analysis depends on: every piece of every
/// field, in order, each with its length (pieces and fields are kept apart by
/// the positions left between them). FxHash: it runs over every record's text at
/// every rebuild, and an accidental equal hash is as unlikely as with SipHash.
fn text_key(doc: &Document) -> u64 {
    let mut hasher = FxHasher::default();
    for pieces in field_texts(doc) {
        hasher.write_usize(pieces.len());
        for piece in pieces {
            hasher.write_usize(piece.len());
            hasher.write(piece.as_bytes());
        }
    }
    hasher.finish()
}

impl KeptDocs {
    /// How many documents the last build analyzed anew (the others were kept).
    pub fn analyzed(&self) -> usize {
        self.analyzed
    }

    /// The terms of `docs` laid out as [`merge`] lays them out, each document
    /// taken from the last build when its texts are the same and analyzed anew
    /// otherwise; keeps exactly the documents of this build for the next.
    ///
    /// A term's positions are those of the last build when the documents are the
    /// same, in the same order, and none that has the term now or had it then
    /// was analyzed anew: then the same documents have it, at the same numbers,
    /// with the same positions.
    fn terms(&mut self, docs: &[Document]) -> Vec<TermData> {
        let keys: Vec<u64> = docs.par_iter().map(text_key).collect();
        let same_order = self.order.len() == docs.len()
            && self
                .order
                .iter()
                .zip(docs)
                .all(|(path, doc)| *path == doc.record.path);
        let mut positions = std::mem::take(&mut self.positions);
        if !same_order {
            positions.clear();
        }
        let mut forget = |doc: &Analysed| {
            for entry in doc.entries.iter() {
                if let Some(kept) = positions.get_mut(entry.term as usize) {
                    *kept = Vec::new();
                }
            }
        };
        let mut last = std::mem::take(&mut self.docs);
        let mut found: Vec<Option<Arc<Analysed>>> = Vec::with_capacity(docs.len());
        for (doc, &key) in docs.iter().zip(&keys) {
            match last.remove(&doc.record.path) {
                Some((kept, analysed)) if kept == key => found.push(Some(analysed)),
                Some((_, analysed)) => {
                    forget(&analysed);
                    self.count_variants(&analysed, false);
                    found.push(None);
                }
                None => found.push(None),
            }
        }
        for (_, analysed) in last.into_values() {
            self.count_variants(&analysed, false);
        }
        let missing: Vec<usize> = (0..docs.len()).filter(|&i| found[i].is_none()).collect();
        self.analyzed = missing.len();
        let changed: Vec<&Document> = missing.iter().map(|&i| &docs[i]).collect();
        for (i, analysed) in missing.into_iter().zip(self.analyze(&changed)) {
            forget(&analysed);
            self.count_variants(&analysed, true);
            found[i] = Some(Arc::new(analysed));
        }
        let all: Vec<Arc<Analysed>> = found.into_iter().flatten().collect();
        let (terms, ranked) = self.merge(&all, &mut positions);
        self.ranked = ranked;
        self.order = docs.iter().map(|doc| doc.record.path.clone()).collect();
        self.docs = docs
            .iter()
            .zip(keys)
            .zip(all)
            .map(|((doc, key), analysed)| (doc.record.path.clone(), (key, analysed)))
            .collect();
        terms
    }

    /// Keeps the positions of `terms`, the index of the last [`KeptDocs::terms`],
    /// for the next build.
    pub fn keep_positions(&mut self, terms: &mut [TermData]) {
        if terms.len() != self.ranked.len() {
            return;
        }
        let mut positions = vec![Vec::new(); self.vocabulary.names.len()];
        for (data, &term) in terms.iter_mut().zip(&self.ranked) {
            positions[term as usize] = std::mem::take(&mut data.positions);
        }
        self.positions = positions;
    }

    /// Counts the variants of a document that is kept from now on (`add`) or no
    /// longer.
    fn count_variants(&mut self, doc: &Analysed, add: bool) {
        for &pair in doc.variants.iter() {
            if add {
                *self.variants.entry(pair).or_default() += 1;
            } else if let Some(count) = self.variants.get_mut(&pair) {
                *count -= 1;
                if *count == 0 {
                    self.variants.remove(&pair);
                }
            }
        }
    }

    /// [`merge`] for kept documents: their terms are numbered in one vocabulary
    /// already, so only the terms they use are sorted, and the variants come from
    /// the counts. A term's `kept` positions (by vocabulary number), when not
    /// empty, are taken as they are. Returns the terms and their vocabulary
    /// numbers.
    fn merge(&self, docs: &[Arc<Analysed>], kept: &mut [Vec<u8>]) -> (Vec<TermData>, Vec<u32>) {
        let names = &self.vocabulary.names;
        let mut used = vec![false; names.len()];
        for entry in docs.iter().flat_map(|d| d.entries.iter()) {
            used[entry.term as usize] = true;
        }
        let mut order: Vec<u32> = (0..names.len() as u32)
            .filter(|&t| used[t as usize])
            .collect();
        order.par_sort_unstable_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
        let mut rank = vec![NO_TERM; names.len()];
        for (place, &term) in order.iter().enumerate() {
            rank[term as usize] = place as u32;
        }
        let mut terms: Vec<TermData> = order
            .iter()
            .map(|&t| TermData {
                term: names[t as usize].to_string(),
                positions: kept
                    .get_mut(t as usize)
                    .map(std::mem::take)
                    .unwrap_or_default(),
                ..TermData::default()
            })
            .collect();
        let mut variants: Vec<(u32, &str)> = self
            .variants
            .keys()
            .map(|&(term, word)| (rank[term as usize], &*names[word as usize]))
            .collect();
        variants.par_sort_unstable();
        for (term, word) in variants {
            terms[term as usize].variants.push(word.to_string());
        }
        let averages = average_lengths(docs.iter());
        let count = terms.len();
        let size = batch_size(docs.len());
        let grouped: Vec<Grouped> = docs
            .par_chunks(size)
            .enumerate()
            .map(|(n, part)| group(part, &rank, (n * size) as u32, count, averages))
            .collect();
        lay_out(&mut terms, &grouped, |_, posting| {
            &docs[posting.doc as usize].positions[posting.positions()]
        });
        (terms, order)
    }

    /// Analyzes `docs` in parallel batches, then numbers their terms and words in
    /// the vocabulary.
    fn analyze(&mut self, docs: &[&Document]) -> Vec<Analysed> {
        let batches: Vec<(Batch, Vec<Vec<u32>>)> = docs
            .par_chunks(batch_size(docs.len()))
            .map(|docs| {
                let mut analyzer = Analyzer::new();
                let mut variants = Vec::with_capacity(docs.len());
                let out = docs
                    .iter()
                    .map(|doc| {
                        let terms = analyzer.analyze::<true>(doc);
                        variants.push(std::mem::take(&mut analyzer.doc_variants));
                        terms
                    })
                    .collect();
                let batch = Batch {
                    terms: analyzer.terms,
                    variants: analyzer.variants,
                    docs: out,
                    positions: analyzer.positions,
                };
                (batch, variants)
            })
            .collect();
        let mut analysed = Vec::with_capacity(docs.len());
        for (batch, doc_variants) in batches {
            let terms: Vec<u32> = batch.terms.iter().map(|t| self.vocabulary.id(t)).collect();
            let variants: Vec<(u32, u32)> = batch
                .variants
                .iter()
                .map(|(term, word)| (terms[*term as usize], self.vocabulary.id(word)))
                .collect();
            for (doc, doc_variants) in batch.docs.iter().zip(doc_variants) {
                let start = doc.positions_start as usize;
                let len: usize = doc.entries.iter().map(|e| e.positions_len as usize).sum();
                analysed.push(Analysed {
                    lengths: doc.lengths,
                    entries: doc
                        .entries
                        .iter()
                        .map(|e| Entry {
                            term: terms[e.term as usize],
                            ..*e
                        })
                        .collect(),
                    positions: batch.positions[start..start + len].into(),
                    variants: doc_variants.iter().map(|&v| variants[v as usize]).collect(),
                });
            }
        }
        analysed
    }
}

/// A batch's vocabulary and the analyzed documents in it.
struct Batch {
    /// Local term number -> term.
    terms: Vec<String>,
    /// (local term, a different word that stems to it).
    variants: Vec<(u32, String)>,
    docs: Vec<DocTerms>,
    /// Every document's positions, one after the other: [`Entry::positions`] points
    /// into it. One buffer per batch keeps them together for the merge.
    positions: Vec<u8>,
}

/// One document's terms: per term its frequency in each field and its positions
/// (varint count, then varint position deltas). The positions of its entries follow
/// each other in [`Batch::positions`] from `positions_start`, in entry order.
struct DocTerms {
    lengths: [u32; 4],
    positions_start: u32,
    /// In order of first occurrence, exactly as many as there are: a batch holds
    /// millions, so neither spare capacity nor a stored start is worth its bytes.
    entries: Box<[Entry]>,
}

/// One term of one document.
#[derive(Clone, Copy)]
struct Entry {
    /// A batch-local term number until [`merge`] makes it global.
    term: u32,
    tf: [u16; 4],
    /// The byte length of its positions in [`Batch::positions`].
    positions_len: u32,
}

/// Turns words into batch-local term numbers, stemming each distinct word once, and
/// collects a document's occurrences without sorting (a counting pass per document).
struct Analyzer {
    stemmer: rust_stemmers::Stemmer,
    /// Every distinct word seen and its term.
    words: HashTable<WordEntry>,
    /// The bytes of words longer than a [`WordKey`] holds inline.
    long_words: Vec<u8>,
    /// A small direct-mapped cache of recent short words (head, length, term,
    /// variant) in front of `words`: the common words stay in the processor's cache.
    recent: Vec<(u128, u32, u32, u32)>,
    ids: FxHashMap<Box<str>, u32>,
    terms: Vec<String>,
    variants: Vec<(u32, String)>,
    /// Per variant: the number of the last document it was seen in, or 0 (only
    /// when the variants of each document are noted, see [`Analyzer::analyze`]).
    variant_seen: Vec<u32>,
    /// The current document's number, from 1.
    doc_number: u32,
    /// The variants (indexes into `variants`) of the current document, when tracked.
    doc_variants: Vec<u32>,
    /// Per local term: 1 + its entry number in the current document, or 0.
    slot: Vec<u32>,
    /// The current document's entries, copied out at its end.
    entries: Vec<Entry>,
    /// (entry number, position) of each occurrence in the current document.
    occurrences: Vec<(u32, u32)>,
    /// The positions of the batch's documents so far ([`Batch::positions`]).
    positions: Vec<u8>,
    /// Scratch for grouping a document's positions by entry, reused across documents.
    starts: Vec<u32>,
    next: Vec<u32>,
    grouped: Vec<u32>,
}

impl Analyzer {
    fn new() -> Analyzer {
        Analyzer {
            stemmer: text::stemmer(),
            words: HashTable::new(),
            long_words: Vec::new(),
            recent: vec![(u128::MAX, 0, NO_TERM, NO_TERM); RECENT],
            ids: FxHashMap::default(),
            terms: Vec::new(),
            variants: Vec::new(),
            variant_seen: Vec::new(),
            doc_number: 0,
            doc_variants: Vec::new(),
            slot: Vec::new(),
            entries: Vec::new(),
            occurrences: Vec::new(),
            positions: Vec::new(),
            starts: Vec::new(),
            next: Vec::new(),
            grouped: Vec::new(),
        }
    }

    /// The term of `word` and, when the word differs from it, its variant number;
    /// [`NO_TERM`] for a stop word and for a word that is its own term.
    fn term_id(&mut self, word: &str, kind: Kind) -> (u32, u32) {
        let key = WordKey::of(word);
        let recent = &mut self.recent[(key.hash as usize) & (RECENT - 1)];
        if word.len() <= INLINE_WORD && recent.0 == key.head && recent.1 == key.len {
            return (recent.2, recent.3);
        }
        let (id, variant) = self.lookup(word, kind, key);
        if word.len() <= INLINE_WORD {
            self.recent[(key.hash as usize) & (RECENT - 1)] = (key.head, key.len, id, variant);
        }
        (id, variant)
    }

    fn lookup(&mut self, word: &str, kind: Kind, key: WordKey) -> (u32, u32) {
        let long_words = &self.long_words;
        let found = self.words.find(key.hash, |entry| {
            entry.key == key
                && (word.len() <= INLINE_WORD
                    || &long_words[entry.long as usize..entry.long as usize + word.len()]
                        == word.as_bytes())
        });
        if let Some(entry) = found {
            return (entry.term, entry.variant);
        }
        let mut variant = NO_TERM;
        let id = text::term(&self.stemmer, word, kind).map(|term| {
            let id = match self.ids.get(term.as_ref()) {
                Some(&id) => id,
                None => {
                    let id = self.terms.len() as u32;
                    self.ids.insert(term.as_ref().into(), id);
                    self.terms.push(term.to_string());
                    self.slot.push(0);
                    id
                }
            };
            if term != word {
                variant = self.variants.len() as u32;
                self.variants.push((id, word.to_string()));
                self.variant_seen.push(0);
            }
            id
        });
        let id = id.unwrap_or(NO_TERM);
        let long = self.long_words.len() as u32;
        if word.len() > INLINE_WORD {
            self.long_words.extend_from_slice(word.as_bytes());
        }
        let entry = WordEntry {
            key,
            long,
            term: id,
            variant,
        };
        self.words.insert_unique(key.hash, entry, |e| e.key.hash);
        (id, variant)
    }

    /// Analyzes one document; with `VARIANTS`, also notes in `doc_variants` the
    /// variants its words are (each once), which a kept document needs and a
    /// batch does not.
    fn analyze<const VARIANTS: bool>(&mut self, doc: &Document) -> DocTerms {
        let mut lengths = [0u32; 4];
        let mut entries = std::mem::take(&mut self.entries);
        entries.clear();
        self.occurrences.clear();
        if VARIANTS {
            self.doc_number += 1;
            self.doc_variants.clear();
        }
        let mut pos = 0u32;
        for (field, pieces) in field_texts(doc).iter().enumerate() {
            for piece in pieces {
                pos = text::for_each_word(piece, pos, |word, at, kind| {
                    let (id, variant) = self.term_id(word, kind);
                    if id == NO_TERM {
                        return;
                    }
                    if VARIANTS
                        && variant != NO_TERM
                        && self.variant_seen[variant as usize] != self.doc_number
                    {
                        self.variant_seen[variant as usize] = self.doc_number;
                        self.doc_variants.push(variant);
                    }
                    let slot = &mut self.slot[id as usize];
                    if *slot == 0 {
                        entries.push(Entry {
                            term: id,
                            tf: [0; 4],
                            positions_len: 0,
                        });
                        *slot = entries.len() as u32;
                    }
                    let entry = *slot - 1;
                    let tf = &mut entries[entry as usize].tf[field];
                    *tf = tf.saturating_add(1);
                    self.occurrences.push((entry, at));
                    if kind == Kind::Word {
                        lengths[field] += 1;
                    }
                }) + GAP;
            }
        }
        // Group positions by entry: count, then place each in its entry's run.
        let (starts, next, grouped) = (&mut self.starts, &mut self.next, &mut self.grouped);
        starts.clear();
        starts.resize(entries.len() + 1, 0);
        for &(entry, _) in &self.occurrences {
            starts[entry as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        grouped.clear();
        grouped.resize(self.occurrences.len(), 0);
        next.clear();
        next.extend_from_slice(starts);
        for &(entry, at) in &self.occurrences {
            grouped[next[entry as usize] as usize] = at;
            next[entry as usize] += 1;
        }
        let positions = &mut self.positions;
        let positions_start = positions.len() as u32;
        for (i, entry) in entries.iter_mut().enumerate() {
            self.slot[entry.term as usize] = 0;
            let run = &grouped[starts[i] as usize..starts[i + 1] as usize];
            let start = positions.len();
            write_varint(positions, run.len() as u64);
            let mut last = 0;
            for &at in run {
                write_varint(positions, u64::from(at - last));
                last = at;
            }
            entry.positions_len = (positions.len() - start) as u32;
        }
        let doc = DocTerms {
            lengths,
            positions_start,
            entries: entries.as_slice().into(),
        };
        self.entries = entries;
        doc
    }
}

/// Words up to this many bytes are compared inline, without following a pointer.
const INLINE_WORD: usize = 16;
/// Entries of [`Analyzer::recent`], a power of two.
const RECENT: usize = 16384;
/// [`WordEntry::term`] of a stop word, [`WordEntry::variant`] of a word that is
/// its own term.
const NO_TERM: u32 = u32::MAX;

/// A word's hash, length and first bytes: equal keys mean equal words when the
/// word fits inline.
#[derive(Clone, Copy, PartialEq, Eq)]
struct WordKey {
    hash: u64,
    head: u128,
    len: u32,
}

impl WordKey {
    fn of(word: &str) -> WordKey {
        let bytes = word.as_bytes();
        let head = inline_head(&bytes[..bytes.len().min(INLINE_WORD)]);
        let mut hasher = FxHasher::default();
        hasher.write_u128(head);
        if bytes.len() > INLINE_WORD {
            hasher.write(&bytes[INLINE_WORD..]);
        }
        hasher.write_usize(bytes.len());
        WordKey {
            hash: hasher.finish(),
            head,
            len: bytes.len() as u32,
        }
    }
}

/// Up to 16 bytes as a little-endian number, zero-padded: the same value as copying
/// them into a zeroed array, but read with whole-word loads. Copying a short word byte
/// by byte and reading it back as one number stalls the processor, and this runs for
/// every word of the archive.
fn inline_head(bytes: &[u8]) -> u128 {
    let n = bytes.len();
    let load8 = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]));
    let load4 = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or([0; 4]));
    match n {
        16 => u128::from(load8(0)) | u128::from(load8(8)) << 64,
        8 => u128::from(load8(0)),
        9..=15 => {
            // The last eight bytes, shifted so that byte 8 lands lowest.
            let high = load8(n - 8) >> (8 * (16 - n));
            u128::from(load8(0)) | u128::from(high) << 64
        }
        4 => u128::from(load4(0)),
        5..=7 => {
            let high = load4(n - 4) >> (8 * (8 - n));
            u128::from(load4(0)) | u128::from(high) << 32
        }
        _ => bytes
            .iter()
            .rev()
            .fold(0u128, |acc, &b| acc << 8 | u128::from(b)),
    }
}

struct WordEntry {
    key: WordKey,
    /// Where a long word's bytes start in [`Analyzer::long_words`].
    long: u32,
    term: u32,
    /// Its number in [`Analyzer::variants`] when it differs from its term.
    variant: u32,
}

/// The text of each field of a record, as separate pieces.
fn field_texts<'a>(doc: &'a Document) -> [Vec<&'a str>; 4] {
    let r = doc.record;
    let mut keywords = vec![r.id.as_str(), r.severity.as_str(), r.status.as_str()];
    keywords.extend(r.services.iter().map(|s| s.as_str()));
    keywords.extend(r.tags.iter().map(|s| s.as_str()));
    let mut body = vec![r.body()];
    body.extend(r.timeline.iter().map(|e| e.event.as_str()));
    body.extend(r.action_items.iter().map(|a| a.title.as_str()));
    body.extend(r.impact.description.as_deref());
    body.extend(r.commander.as_deref());
    body.extend(r.authors.iter().map(String::as_str));
    [
        vec![r.title.as_str()],
        keywords,
        r.summary.iter().map(|s| s.as_str()).collect(),
        body,
    ]
}

fn analyze_batch(docs: &[Document]) -> Batch {
    let mut analyzer = Analyzer::new();
    let out = docs
        .iter()
        .map(|doc| analyzer.analyze::<false>(doc))
        .collect();
    Batch {
        terms: analyzer.terms,
        variants: analyzer.variants,
        docs: out,
        positions: analyzer.positions,
    }
}

/// Appends `value` as a LEB128 varint (7 bits a byte, low bits first).
pub fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The number of bytes [`write_varint`] takes for `value`.
fn varint_len(value: u32) -> usize {
    (32 - value.leading_zeros()).div_ceil(7).max(1) as usize
}

/// BM25's length normalization of each field of a document, the same for all its
/// terms: computed once per document, not once per posting.
fn length_norms(lengths: [u32; 4], averages: [f64; 4]) -> [f64; 4] {
    std::array::from_fn(|f| {
        1.0 - FIELD_B[f] + FIELD_B[f] * f64::from(lengths[f]) / averages[f].max(1.0)
    })
}

/// A term's weight in a record as one byte (1..=255): BM25's saturated,
/// length-normalized term frequency in each field, summed with the field weights
/// and scaled by their total. Each field saturates on its own, so a title match
/// always adds its full weight, however often the body repeats the word. The
/// browser multiplies the byte by the term's idf, which it derives from `df`.
/// `norms` are the document's [`length_norms`].
fn impact_with(tf: [u16; 4], norms: &[f64; 4]) -> u8 {
    let mut score = 0.0;
    for f in 0..4 {
        if tf[f] > 0 {
            let tf = f64::from(tf[f]);
            score += FIELD_WEIGHTS[f] * tf / (tf + K1 * norms[f]);
        }
    }
    let total: f64 = FIELD_WEIGHTS.iter().sum();
    (score / total * 255.0).round().clamp(1.0, 255.0) as u8
}

/// One posting on its way to its term: the document, its impact, and where its
/// positions are.
struct Posting {
    doc: u32,
    /// Where its positions start in the batch's [`Batch::positions`].
    start: u32,
    /// Their byte length (the low 24 bits: a record's positions for one term stay far
    /// below 16 MiB, as a record file is at most 8 MiB) and the impact (the high 8).
    len_impact: u32,
}

impl Posting {
    fn impact(&self) -> u8 {
        (self.len_impact >> 24) as u8
    }

    fn positions(&self) -> std::ops::Range<usize> {
        let start = self.start as usize;
        start..start + (self.len_impact & 0x00ff_ffff) as usize
    }
}

/// A batch's postings grouped by (global) term, in document order within a term.
struct Grouped {
    postings: Vec<Posting>,
    /// Per term, where its postings start in `postings` (one more entry than terms).
    starts: Vec<u32>,
}

/// Merges the batches' vocabularies into one sorted vocabulary, then lays out each
/// term's postings and positions in document order. Both steps run in parallel:
/// each batch groups its own postings by term, then ranges of terms gather their
/// pieces from every batch in order.
fn merge(mut batches: Vec<Batch>) -> Vec<TermData> {
    let mut all: Vec<(&str, u32, u32)> = batches
        .iter()
        .enumerate()
        .flat_map(|(b, batch)| {
            batch
                .terms
                .iter()
                .enumerate()
                .map(move |(i, t)| (t.as_str(), b as u32, i as u32))
        })
        .collect();
    all.par_sort_unstable_by(|x, y| x.0.cmp(y.0));
    let mut remaps: Vec<Vec<u32>> = batches.iter().map(|b| vec![0; b.terms.len()]).collect();
    let mut terms: Vec<TermData> = Vec::new();
    for (term, batch, local) in all {
        if terms.last().is_none_or(|last| last.term != term) {
            terms.push(TermData {
                term: term.to_string(),
                ..TermData::default()
            });
        }
        remaps[batch as usize][local as usize] = (terms.len() - 1) as u32;
    }
    let mut variants: Vec<(u32, &str)> = batches
        .iter()
        .zip(&remaps)
        .flat_map(|(batch, remap)| {
            batch
                .variants
                .iter()
                .map(move |(local, word)| (remap[*local as usize], word.as_str()))
        })
        .collect();
    variants.par_sort_unstable();
    variants.dedup();
    for (term, word) in variants {
        terms[term as usize].variants.push(word.to_string());
    }

    let averages = average_lengths(batches.iter().flat_map(|b| &b.docs));
    let mut first_doc = 0u32;
    let firsts: Vec<u32> = batches
        .iter()
        .map(|b| {
            let first = first_doc;
            first_doc += b.docs.len() as u32;
            first
        })
        .collect();
    let count = terms.len();
    let grouped: Vec<Grouped> = batches
        .par_iter_mut()
        .zip(&remaps)
        .zip(&firsts)
        .map(|((batch, remap), &first)| {
            let grouped = group(&batch.docs, remap, first, count, averages);
            // The postings replace the documents.
            batch.docs = Vec::new();
            grouped
        })
        .collect();
    lay_out(&mut terms, &grouped, |part, posting| {
        &batches[part].positions[posting.positions()]
    });
    terms
}

/// Average lengths over the documents that have the field: a summary is optional,
/// and records without one must not make every summary look long.
fn average_lengths<'a, D: Analyzed + 'a>(docs: impl Iterator<Item = &'a D>) -> [f64; 4] {
    let mut totals = [(0f64, 0usize); 4];
    for doc in docs {
        for (total, len) in totals.iter_mut().zip(doc.lengths()) {
            if len > 0 {
                total.0 += f64::from(len);
                total.1 += 1;
            }
        }
    }
    totals.map(|(sum, count)| sum / count.max(1) as f64)
}

/// Lays out each term's postings and positions in document order, from the
/// postings `grouped` by consecutive parts of the documents; `positions` finds a
/// posting's positions from its part's number. A term that has positions already
/// (kept from the last build) keeps them. Ranges of terms run in parallel.
fn lay_out<'a>(
    terms: &mut [TermData],
    grouped: &[Grouped],
    positions: impl Fn(usize, &Posting) -> &'a [u8] + Sync,
) {
    let count = terms.len();
    let parts = rayon::current_num_threads().max(1) * 4;
    let per_part = count.div_ceil(parts).max(1);
    terms
        .par_chunks_mut(per_part)
        .enumerate()
        .for_each(|(part, range)| {
            for (i, data) in range.iter_mut().enumerate() {
                let term = part * per_part + i;
                let pieces = || {
                    grouped.iter().enumerate().map(move |(n, g)| {
                        let run = &g.postings[g.starts[term] as usize..g.starts[term + 1] as usize];
                        (run, n)
                    })
                };
                // Every posting has positions, so a term's are never empty.
                let kept = !data.positions.is_empty();
                let (mut postings_len, mut positions_len, mut last) = (0, 0, 0);
                for (run, _) in pieces() {
                    for p in run {
                        postings_len += varint_len(p.doc - last) + 1;
                        positions_len += p.positions().len();
                        last = p.doc;
                    }
                }
                data.postings = Vec::with_capacity(postings_len);
                if !kept {
                    data.positions = Vec::with_capacity(positions_len);
                }
                last = 0;
                for (run, n) in pieces() {
                    for p in run {
                        write_varint(&mut data.postings, u64::from(p.doc - last));
                        data.postings.push(p.impact());
                        last = p.doc;
                        if !kept {
                            data.positions.extend_from_slice(positions(n, p));
                        }
                    }
                    data.df += run.len() as u32;
                }
            }
        });
}

/// One document's analysis as [`group`] reads it: from a batch, or kept.
trait Analyzed: Sync {
    fn lengths(&self) -> [u32; 4];
    fn entries(&self) -> &[Entry];
    /// Where its positions start in what holds them.
    fn positions_start(&self) -> u32;
}

impl Analyzed for DocTerms {
    fn lengths(&self) -> [u32; 4] {
        self.lengths
    }
    fn entries(&self) -> &[Entry] {
        &self.entries
    }
    fn positions_start(&self) -> u32 {
        self.positions_start
    }
}

impl Analyzed for Arc<Analysed> {
    fn lengths(&self) -> [u32; 4] {
        self.lengths
    }
    fn entries(&self) -> &[Entry] {
        &self.entries
    }
    fn positions_start(&self) -> u32 {
        0
    }
}

/// Groups the postings of consecutive documents, the first numbered `first`, by
/// the term `remap` gives each of their entries (a counting sort), computing
/// impacts.
fn group<D: Analyzed>(
    docs: &[D],
    remap: &[u32],
    first: u32,
    terms: usize,
    averages: [f64; 4],
) -> Grouped {
    let mut starts = vec![0u32; terms + 1];
    for entry in docs.iter().flat_map(|d| d.entries()) {
        starts[remap[entry.term as usize] as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut next = starts.clone();
    let total = starts[terms] as usize;
    let mut postings: Vec<Posting> = Vec::with_capacity(total);
    // Placed by index: size the list with zeroed postings, then write each in its slot.
    postings.resize_with(total, || Posting {
        doc: 0,
        start: 0,
        len_impact: 0,
    });
    for (local, doc) in docs.iter().enumerate() {
        let norms = length_norms(doc.lengths(), averages);
        let mut start = doc.positions_start();
        for entry in doc.entries() {
            let slot = &mut next[remap[entry.term as usize] as usize];
            let len = entry.positions_len;
            // A record file is at most 8 MiB, so one term's positions in it are far
            // below 16 MiB (see `Posting::len_impact`).
            debug_assert!(len <= 0x00ff_ffff, "positions of {len} bytes");
            postings[*slot as usize] = Posting {
                doc: first + local as u32,
                start,
                len_impact: len.min(0x00ff_ffff) | u32::from(impact_with(entry.tf, &norms)) << 24,
            };
            *slot += 1;
            start += len;
        }
    }
    Grouped { postings, starts }
}

/// Per document, the value indexes of each facet (in facet order).
type FacetValues = Vec<Vec<u32>>;

/// The facets and, per document, its values in each.
fn facets(docs: &[Document], config: &SiteConfig) -> (Vec<Facet>, Vec<FacetValues>) {
    let mut severities: Vec<String> = config
        .severity_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut statuses = config.statuses.clone();
    for doc in docs {
        let r = doc.record;
        if !severities.contains(&r.severity) {
            severities.push(r.severity.clone());
        }
        if !statuses.contains(&r.status.value) {
            statuses.push(r.status.value.clone());
        }
    }
    let years: BTreeSet<i16> = docs.iter().map(|d| d.record.date.year()).collect();
    let years: Vec<String> = years.iter().rev().map(|y| y.to_string()).collect();
    let services: BTreeSet<&str> = docs
        .iter()
        .flat_map(|d| d.record.services.iter().map(|s| s.as_str()))
        .collect();
    let tags: BTreeSet<&str> = docs
        .iter()
        .flat_map(|d| d.record.tags.iter().map(|s| s.as_str()))
        .collect();
    let position = |list: &[String], v: &str| list.iter().position(|x| x == v).unwrap_or(0) as u32;
    let numbered = |set: &BTreeSet<&str>| -> FxHashMap<String, u32> {
        set.iter()
            .enumerate()
            .map(|(i, s)| (s.to_string(), i as u32))
            .collect()
    };
    let (service_number, tag_number) = (numbered(&services), numbered(&tags));
    let services_list: Vec<String> = services.iter().map(|s| s.to_string()).collect();
    let tags_list: Vec<String> = tags.iter().map(|s| s.to_string()).collect();
    let per_doc: Vec<FacetValues> = docs
        .par_iter()
        .map(|doc| {
            let r = doc.record;
            let mut svc: Vec<u32> = r
                .services
                .iter()
                .map(|s| service_number[s.as_str()])
                .collect();
            svc.sort_unstable();
            svc.dedup();
            let mut tag: Vec<u32> = r.tags.iter().map(|s| tag_number[s.as_str()]).collect();
            tag.sort_unstable();
            tag.dedup();
            let mut actions = Vec::new();
            if doc.figures.actions.open > 0 {
                actions.push(0);
            }
            if doc.figures.actions.overdue > 0 {
                actions.push(1);
            }
            vec![
                vec![position(&severities, &r.severity)],
                svc,
                tag,
                vec![position(&years, &r.date.year().to_string())],
                vec![position(&statuses, &r.status)],
                actions,
            ]
        })
        .collect();
    let mut facets = vec![
        facet("severity", "Severity", severities),
        facet("service", "Service", services_list),
        facet("tag", "Tag", tags_list),
        facet("year", "Year", years),
        facet("status", "Status", statuses),
        facet(
            "actions",
            "Action items",
            vec!["open".into(), "overdue".into()],
        ),
    ];
    facets[5].labels = Some(vec!["Open or overdue items".into(), "Overdue items".into()]);
    for (doc, values) in per_doc.iter().enumerate() {
        for (facet, values) in facets.iter_mut().zip(values) {
            for &v in values {
                facet.docs[v as usize].push(doc as u32);
            }
        }
    }
    (facets, per_doc)
}

fn facet(name: &'static str, label: &'static str, values: Vec<String>) -> Facet {
    Facet {
        name,
        label,
        docs: vec![Vec::new(); values.len()],
        values,
        labels: None,
    }
}

/// How long an excerpt is, at most, in characters.
pub const EXCERPT_CHARS: usize = 240;

fn doc_meta(doc: &Document, values: FacetValues) -> DocMeta {
    let r = doc.record;
    let source = match &r.summary {
        Some(summary) => plain_text(summary),
        None => plain_text(first_paragraph(r.body())),
    };
    DocMeta {
        id: r.id.value.clone(),
        title: r.title.clone(),
        date: r.date.to_string(),
        url: doc.url.clone(),
        severity: values[0][0],
        services: values[1].clone(),
        tags: values[2].clone(),
        status: values[4][0],
        open: doc.figures.actions.open,
        overdue: doc.figures.actions.overdue,
        excerpt: excerpt(&source, EXCERPT_CHARS),
        review: r.review.label(),
    }
}

/// The first paragraph of a Markdown body: the first block of text lines that is
/// not a heading, a fence, a table, a list or a quote.
fn first_paragraph(body: &str) -> &str {
    let mut start = None;
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let t = line.trim();
        let prose = !t.is_empty()
            && !t.starts_with(['#', '`', '~', '|', '>', '-', '*', '<', '!'])
            && !t.starts_with(|c: char| c.is_ascii_digit() && t.contains(". "));
        match (start, prose) {
            (None, true) => start = Some(offset),
            (Some(s), false) => return &body[s..offset],
            _ => {}
        }
        offset += line.len();
    }
    start.map_or("", |s| &body[s..])
}

/// Markdown to plain text: inline markup removed, whitespace collapsed.
fn plain_text(markdown: &str) -> String {
    use pulldown_cmark::Event;
    let mut out = String::with_capacity(markdown.len());
    for event in crate::core::markdown::parser(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` cut at a word boundary to at most `max` characters, with an ellipsis.
fn excerpt(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
    let head = &text[..cut];
    let head = head.rfind(' ').map_or(head, |i| &head[..i]);
    format!("{}…", head.trim_end_matches([',', ';', ':', '.', ' ']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn impact(tf: [u16; 4], lengths: [u32; 4], averages: [f64; 4]) -> u8 {
        impact_with(tf, &length_norms(lengths, averages))
    }

    #[test]
    fn inline_heads_equal_zero_padded_copies() {
        let text = b"abcdefghijklmnopq";
        for n in 0..=16 {
            let mut padded = [0u8; 16];
            padded[..n].copy_from_slice(&text[..n]);
            assert_eq!(
                inline_head(&text[..n]),
                u128::from_le_bytes(padded),
                "{n} bytes"
            );
        }
    }

    #[test]
    fn varints_take_seven_bits_a_byte() {
        let mut bytes = Vec::new();
        for value in [0u64, 1, 127, 128, 300, 1 << 20] {
            write_varint(&mut bytes, value);
        }
        assert_eq!(bytes, [0, 1, 127, 0x80, 1, 0xac, 2, 0x80, 0x80, 0x40]);
        for value in [0u32, 1, 127, 128, 300, 1 << 20, u32::MAX] {
            let mut one = Vec::new();
            write_varint(&mut one, u64::from(value));
            assert_eq!(varint_len(value), one.len(), "{value}");
        }
    }

    #[test]
    fn impact_weights_title_above_body_and_saturates() {
        let avg = [6.0, 5.0, 30.0, 800.0];
        let lengths = [6, 5, 30, 800];
        let title = impact([1, 0, 0, 0], lengths, avg);
        let summary = impact([0, 0, 1, 0], lengths, avg);
        let body = impact([0, 0, 0, 1], lengths, avg);
        assert!(
            title > summary && summary > body,
            "{title} {summary} {body}"
        );
        let many = impact([0, 0, 0, 50], lengths, avg);
        assert!(many > body && many < 255);
        // A long body dilutes a single mention.
        assert!(impact([0, 0, 0, 1], [6, 5, 30, 8000], avg) < body);
    }

    #[test]
    fn excerpts_cut_at_words() {
        assert_eq!(excerpt("short text", 40), "short text");
        assert_eq!(excerpt("one two three four", 10), "one two…");
    }

    #[test]
    fn first_paragraph_skips_headings_and_blocks() {
        let body = "## Summary\n\n| a | b |\n\nThe pool ran\ndry at noon.\n\nMore.\n";
        assert_eq!(first_paragraph(body), "The pool ran\ndry at noon.\n");
        assert_eq!(
            plain_text("The **pool** ran `dry`\nat [noon](x)."),
            "The pool ran dry at noon."
        );
    }
}
