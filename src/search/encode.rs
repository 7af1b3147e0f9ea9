//! The in-memory index to the files a browser fetches, split so that a query loads
//! only what it needs (the layout is documented in docs/search.md):
//!
//! - `manifest.json`: counts, stop words, the first term of every term chunk, facet values;
//! - `t/N.bin`: term chunks, sorted runs of the dictionary (front-coded terms, their
//!   variants, document frequency and where their postings and positions are);
//! - `p/N.bin`: posting blocks, `x/N.bin`: position blocks (fetched for phrases only);
//! - `d/N.bin`: what results show, [`DOC_CHUNK`] documents a file, as JSON;
//! - `facets.bin`: every facet value's documents, so counts follow any query.
//!
//! Every `.bin` file but the position blocks is gzip-compressed at rest (search.js
//! inflates it with the browser's `DecompressionStream`), so what a query downloads
//! does not depend on whether the host compresses responses.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use serde::Serialize;

use super::build::{write_varint, Index, TermData};
use super::text::STOP_WORDS;

/// The format version in the manifest; search.js refuses other versions.
pub const VERSION: u32 = 1;
/// Documents per `d/N.bin` file.
pub const DOC_CHUNK: usize = 16;
/// A term chunk closes once its encoded entries reach this many bytes.
pub const TERM_CHUNK_BYTES: usize = 4 * 1024;
/// A posting block closes once it reaches this many bytes; a larger term has its own.
pub const POSTING_BLOCK_BYTES: usize = 8 * 1024;
/// A position block closes once it reaches this many bytes.
pub const POSITION_BLOCK_BYTES: usize = 64 * 1024;
/// Postings up to this many bytes are stored in the term chunk itself.
pub const INLINE_POSTINGS: usize = 12;

/// One file of the index: its path under `search/` and its bytes before compression.
pub struct File {
    pub path: String,
    pub bytes: Vec<u8>,
    /// The gzip level it is stored with, or `None` for a file stored as is.
    pub level: Option<u32>,
}

impl File {
    /// The bytes as written to disk.
    pub fn stored(self) -> Vec<u8> {
        match self.level {
            Some(level) => gzip(&self.bytes, level),
            None => self.bytes,
        }
    }
}

#[derive(Serialize)]
struct Manifest<'a> {
    version: u32,
    documents: usize,
    doc_chunk: usize,
    inline_postings: usize,
    stop_words: &'a [&'a str],
    /// The first term of each term chunk; chunk `i` is `t/i.bin`.
    chunks: Vec<&'a str>,
    facets: Vec<FacetEntry<'a>>,
}

#[derive(Serialize)]
struct FacetEntry<'a> {
    name: &'a str,
    label: &'a str,
    values: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    labels: Option<&'a [String]>,
}

/// Where a term's bytes live: a block number and the byte range in it.
#[derive(Clone, Copy, Default)]
struct Place {
    block: usize,
    offset: usize,
}

/// Cuts `items` (byte lengths) into blocks of about `target` bytes; returns each
/// item's place and the number of blocks.
fn pack(lengths: impl Iterator<Item = usize>, target: usize) -> (Vec<Place>, usize) {
    let mut places = Vec::new();
    let (mut block, mut used) = (0, 0);
    for len in lengths {
        if used > 0 && used + len > target {
            block += 1;
            used = 0;
        }
        places.push(Place {
            block,
            offset: used,
        });
        used += len;
    }
    (places, if used > 0 || block > 0 { block + 1 } else { 0 })
}

/// `bytes` gzip-compressed at `level`.
pub(super) fn gzip(bytes: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 2), Compression::new(level));
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

fn inlined(term: &TermData) -> bool {
    term.postings.len() <= INLINE_POSTINGS
}

/// Encodes the index into its files (paths relative to the `search/` folder).
pub fn encode(index: &Index) -> Vec<File> {
    let terms = &index.terms;
    let (posting_places, posting_blocks) = pack(
        terms
            .iter()
            .map(|t| if inlined(t) { 0 } else { t.postings.len() }),
        POSTING_BLOCK_BYTES,
    );
    let (position_places, position_blocks) = pack(
        terms.iter().map(|t| t.positions.len()),
        POSITION_BLOCK_BYTES,
    );

    // Term chunks: encode entries one by one, closing a chunk at the size target.
    let mut chunks: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut current = Vec::new();
    let mut first = 0;
    let mut count = 0;
    let mut previous = "";
    for (i, term) in terms.iter().enumerate() {
        if count == 0 {
            first = i;
            previous = "";
        }
        encode_entry(
            &mut current,
            term,
            previous,
            posting_places[i],
            position_places[i],
        );
        previous = &term.term;
        count += 1;
        if current.len() >= TERM_CHUNK_BYTES {
            chunks.push((first, finish_chunk(count, &mut current)));
            count = 0;
        }
    }
    if count > 0 {
        chunks.push((first, finish_chunk(count, &mut current)));
    }

    let mut plain: Vec<(String, Vec<u8>)> = Vec::new();
    let manifest = Manifest {
        version: VERSION,
        documents: index.documents,
        doc_chunk: DOC_CHUNK,
        inline_postings: INLINE_POSTINGS,
        stop_words: STOP_WORDS,
        chunks: chunks
            .iter()
            .map(|(first, _)| terms[*first].term.as_str())
            .collect(),
        facets: index
            .facets
            .iter()
            .map(|f| FacetEntry {
                name: f.name,
                label: f.label,
                values: &f.values,
                labels: f.labels.as_deref(),
            })
            .collect(),
    };
    let manifest = serde_json::to_vec(&manifest).unwrap_or_default();
    for (n, (_, bytes)) in chunks.into_iter().enumerate() {
        plain.push((format!("t/{n}.bin"), bytes));
    }
    // Sized up front, so filling them never moves a block.
    let mut sizes = (vec![0; posting_blocks], vec![0; position_blocks]);
    for (i, term) in terms.iter().enumerate() {
        if !inlined(term) {
            sizes.0[posting_places[i].block] += term.postings.len();
        }
        if !term.positions.is_empty() {
            sizes.1[position_places[i].block] += term.positions.len();
        }
    }
    let mut postings: Vec<Vec<u8>> = sizes.0.iter().map(|&n| Vec::with_capacity(n)).collect();
    let mut positions: Vec<Vec<u8>> = sizes.1.iter().map(|&n| Vec::with_capacity(n)).collect();
    for (i, term) in terms.iter().enumerate() {
        if !inlined(term) {
            postings[posting_places[i].block].extend_from_slice(&term.postings);
        }
        if !term.positions.is_empty() {
            positions[position_places[i].block].extend_from_slice(&term.positions);
        }
    }
    plain.extend(
        postings
            .into_iter()
            .enumerate()
            .map(|(n, b)| (format!("p/{n}.bin"), b)),
    );
    plain.extend(
        positions
            .into_iter()
            .enumerate()
            .map(|(n, b)| (format!("x/{n}.bin"), b)),
    );
    plain.extend(index.docs.chunks(DOC_CHUNK).enumerate().map(|(n, docs)| {
        (
            format!("d/{n}.bin"),
            serde_json::to_vec(docs).unwrap_or_default(),
        )
    }));
    plain.push(("facets.bin".to_string(), encode_facets(index)));

    let mut files: Vec<File> = plain
        .into_iter()
        .map(|(path, bytes)| File {
            // Binary data gains almost nothing above level 2; JSON text does.
            // Positions (varint deltas, near random) shrink by a quarter for
            // half the compression time of the whole index: they stay as they are.
            level: match path.as_bytes().first() {
                Some(b'd') => Some(6),
                Some(b'x') => None,
                _ => Some(2),
            },
            bytes,
            path,
        })
        .collect();
    files.push(File {
        path: "manifest.json".to_string(),
        bytes: manifest,
        level: None,
    });
    files
}

/// Appends one dictionary entry:
/// shared-prefix bytes (with the previous term), suffix; variants (each as bytes
/// shared with the term, then its rest); df; postings length, then the postings
/// themselves when inlined, else block and offset; positions block, offset, length.
fn encode_entry(
    out: &mut Vec<u8>,
    term: &TermData,
    previous: &str,
    postings: Place,
    positions: Place,
) {
    let shared = shared_prefix(previous, &term.term);
    write_str_rest(out, &term.term, shared);
    write_varint(out, term.variants.len() as u64);
    for variant in &term.variants {
        write_str_rest(out, variant, shared_prefix(&term.term, variant));
    }
    write_varint(out, u64::from(term.df));
    write_varint(out, term.postings.len() as u64);
    if inlined(term) {
        out.extend_from_slice(&term.postings);
    } else {
        write_varint(out, postings.block as u64);
        write_varint(out, postings.offset as u64);
    }
    write_varint(out, positions.block as u64);
    write_varint(out, positions.offset as u64);
    write_varint(out, term.positions.len() as u64);
}

/// Writes `shared`, then the length and bytes of `text[shared..]`.
fn write_str_rest(out: &mut Vec<u8>, text: &str, shared: usize) {
    write_varint(out, shared as u64);
    let rest = &text.as_bytes()[shared..];
    write_varint(out, rest.len() as u64);
    out.extend_from_slice(rest);
}

/// The length in bytes of the common prefix of `a` and `b`, on a char boundary.
fn shared_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i)
}

fn finish_chunk(count: usize, entries: &mut Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() + 4);
    write_varint(&mut out, count as u64);
    out.append(entries);
    out
}

/// For each facet, for each value: the number of documents, then their numbers as
/// deltas.
fn encode_facets(index: &Index) -> Vec<u8> {
    let mut out = Vec::new();
    for facet in &index.facets {
        for docs in &facet.docs {
            write_varint(&mut out, docs.len() as u64);
            let mut last = 0;
            for &doc in docs {
                write_varint(&mut out, u64::from(doc - last));
                last = doc;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_items_into_blocks_of_the_target_size() {
        let (places, blocks) = pack([3, 3, 3, 10, 1].into_iter(), 6);
        let at: Vec<(usize, usize)> = places.iter().map(|p| (p.block, p.offset)).collect();
        assert_eq!(at, [(0, 0), (0, 3), (1, 0), (2, 0), (3, 0)]);
        assert_eq!(blocks, 4);
        assert_eq!(pack(std::iter::empty(), 6).1, 0);
    }

    #[test]
    fn shared_prefixes_end_on_char_boundaries() {
        assert_eq!(shared_prefix("connect", "connection"), 7);
        assert_eq!(shared_prefix("pool", "port"), 2);
        assert_eq!(shared_prefix("é", "è"), 0);
        assert_eq!(shared_prefix("", "x"), 0);
    }
}
