//! Record ids in text: which tokens are ids, found fast. A token is a maximal run
//! of id characters `[A-Za-z0-9._-]`; trailing dots are dropped when the run with
//! them is not an id (`see INC-2024-0918.`). Words that contain `://` or `@` (bare
//! URLs, e-mail addresses) hold no ids. The checks (unknown mentions), the link stage
//! (mentions and backlinks) and the renderer (mention links) all read ids this way.

use rustc_hash::FxHashMap;

use crate::core::model::Record;

/// The ids of one set of records, for finding mentions in text.
pub struct IdIndex<'a> {
    by_id: FxHashMap<&'a str, usize>,
    /// Bytes an id may start with, and the range of id lengths: a cheap filter that
    /// rejects almost every ordinary word before the hash lookup.
    first_bytes: [bool; 256],
    /// The same bytes as a list, for a vectorized search when there are at most three
    /// (ids usually share a prefix such as `INC-`).
    starts: Vec<u8>,
    lengths: (usize, usize),
}

impl<'a> IdIndex<'a> {
    /// Indexes the ids of `records`; with duplicate ids (an error `check` reports),
    /// the first record keeps the id.
    pub fn new(records: &[&'a Record]) -> IdIndex<'a> {
        let mut by_id = FxHashMap::default();
        let mut first_bytes = [false; 256];
        let mut lengths = (usize::MAX, 0);
        for (i, record) in records.iter().enumerate() {
            let id = record.id.as_str();
            by_id.entry(id).or_insert(i);
            if let Some(&b) = id.as_bytes().first() {
                first_bytes[usize::from(b)] = true;
            }
            lengths = (lengths.0.min(id.len()), lengths.1.max(id.len()));
        }
        let starts = (0..=255u8)
            .filter(|&b| first_bytes[usize::from(b)])
            .collect();
        IdIndex {
            by_id,
            first_bytes,
            starts,
            lengths,
        }
    }

    /// Where the next byte that some id starts with is, from `from` on.
    fn next_start(&self, bytes: &[u8], from: usize) -> Option<usize> {
        let rest = bytes.get(from..)?;
        let at = match *self.starts.as_slice() {
            [] => None,
            [a] => memchr::memchr(a, rest),
            [a, b] => memchr::memchr2(a, b, rest),
            [a, b, c] => memchr::memchr3(a, b, c, rest),
            _ => rest.iter().position(|&b| self.first_bytes[usize::from(b)]),
        };
        at.map(|at| from + at)
    }

    /// The index of the record with exactly this id.
    pub fn get(&self, id: &str) -> Option<usize> {
        let first = *id.as_bytes().first()?;
        if !self.first_bytes[usize::from(first)]
            || id.len() < self.lengths.0
            || id.len() > self.lengths.1
        {
            return None;
        }
        self.by_id.get(id).copied()
    }

    /// The record a token names: the token itself, or the token without trailing dots.
    pub fn resolve<'t>(&self, run: &'t str) -> Option<(usize, &'t str)> {
        if let Some(i) = self.get(run) {
            return Some((i, run));
        }
        let trimmed = run.trim_end_matches('.');
        (trimmed.len() < run.len())
            .then(|| self.get(trimmed).map(|i| (i, trimmed)))
            .flatten()
    }

    /// Every mention in a run of prose: `(byte offset, length, record index)`, in
    /// order, skipping the record `exclude` (a record does not mention itself). The
    /// render stage calls this on text outside code and links to make the links.
    pub fn mentions(&self, text: &str, exclude: Option<usize>) -> Vec<(usize, usize, usize)> {
        let bytes = text.as_bytes();
        let mut found = Vec::new();
        let mut i = 0;
        // Only a run of id bytes that starts with a byte some id starts with can be a
        // mention: jump from one such byte to the next.
        while let Some(start) = self.next_start(bytes, i) {
            if start > 0 && is_id_byte(bytes[start - 1]) {
                i = start + 1;
                continue;
            }
            let end = bytes[start..]
                .iter()
                .position(|&b| !is_id_byte(b))
                .map_or(bytes.len(), |at| start + at);
            i = end.max(start + 1);
            if end == start {
                continue;
            }
            // Id bytes are ASCII, so both ends are character boundaries.
            let run = &text[start..end];
            if let Some((index, id)) = self.resolve(run) {
                if Some(index) != exclude && in_prose(text, start, end) {
                    found.push((start, id.len(), index));
                }
            }
        }
        found
    }
}

/// Which bytes may appear in an id, as a table: the tokenizer's innermost test.
const ID_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || c == b'-';
        b += 1;
    }
    table
};

/// Whether a byte may appear in an id.
pub fn is_id_byte(b: u8) -> bool {
    ID_BYTES[usize::from(b)]
}

/// Maximal runs of id characters with their offsets.
pub fn id_runs(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && !is_id_byte(bytes[i]) {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && is_id_byte(bytes[i]) {
            i += 1;
        }
        // Id bytes are ASCII, so both ends are character boundaries.
        (i > start).then(|| (start, &text[start..i]))
    })
}

/// Whether the run at `start..end` stands in ordinary text: the word around it
/// (split at whitespace) is not a URL or an e-mail address. Checked only for runs that
/// name an id, so ordinary words cost nothing.
pub fn in_prose(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let from = bytes[..start]
        .iter()
        .rposition(u8::is_ascii_whitespace)
        .map_or(0, |i| i + 1);
    let to = bytes[end..]
        .iter()
        .position(u8::is_ascii_whitespace)
        .map_or(bytes.len(), |i| end + i);
    let word = &bytes[from..to];
    !word.contains(&b'@') && !word.windows(3).any(|w| w == b"://")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::record_for_test as record;

    #[test]
    fn runs_and_prose() {
        let text = "see INC-1, (INC-2). https://x.example/INC-3 a@INC-4 INC-5.";
        let runs: Vec<&str> = id_runs(text).map(|(_, r)| r).collect();
        assert!(
            runs.contains(&"INC-1") && runs.contains(&"INC-5."),
            "{runs:?}"
        );
        let at = text.find("INC-3").expect("in text");
        assert!(!in_prose(text, at, at + 5));
        let at = text.find("INC-4").expect("in text");
        assert!(!in_prose(text, at, at + 5));
        let at = text.find("INC-2").expect("in text");
        assert!(in_prose(text, at, at + 5));
    }

    #[test]
    fn mentions_with_many_id_prefixes() {
        // Four different first bytes: the search goes byte by byte, not by memchr.
        let records: Vec<Record> = ["A-1", "B-2", "C-3", "D-4"]
            .iter()
            .map(|id| record(id, "", ""))
            .collect();
        let refs: Vec<&Record> = records.iter().collect();
        let index = IdIndex::new(&refs);
        let found = index.mentions("see D-4, xA-1 and é C-3 then B-2", None);
        let names: Vec<&str> = found.iter().map(|&(_, _, i)| refs[i].id.as_str()).collect();
        assert_eq!(names, ["D-4", "C-3", "B-2"]);
    }

    #[test]
    fn mentions_are_whole_tokens_and_case_sensitive() {
        let a = record("INC-1", "", "");
        let b = record("INC-10", "", "");
        let refs = vec![&a, &b];
        let index = IdIndex::new(&refs);
        let found = index.mentions("INC-10 XINC-1 inc-1 INC-1. INC-1x INC-1", None);
        let names: Vec<&str> = found.iter().map(|&(_, _, i)| refs[i].id.as_str()).collect();
        assert_eq!(names, ["INC-10", "INC-1", "INC-1"]);
        assert_eq!(
            found[1].1,
            "INC-1".len(),
            "the trailing dot is not part of the link"
        );
        assert!(
            index.mentions("INC-1", Some(0)).is_empty(),
            "no self-mention"
        );
    }
}
