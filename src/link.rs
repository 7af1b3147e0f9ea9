//! Stage 3, link: who names whom. Input: the records a build publishes (a public build
//! passes its filtered set, so an internal record is never a target, a backlink or a
//! similar incident). Output: a [`LinkGraph`] with, per record, the records it names
//! in `related`, the records it mentions, its backlinks and its similar incidents.
//!
//! A mention is another record's id written as a whole token (case-sensitive) in the
//! summary, a timeline event, an action-item title or the body, outside code spans,
//! code blocks, existing links and image alt text ([`crate::prose`] walks the text).
//! A token is a maximal run of id characters `[A-Za-z0-9._-]`; trailing dots are
//! dropped when the run with them is not an id (`see INC-2024-0918.`). Words that
//! contain `://` or `@` (bare URLs, e-mail addresses) hold no mentions. A record does
//! not mention itself. docs/linking.md has the user-facing rules.
//!
//! Each record is read once, in parallel: one Markdown pass finds its mentions and
//! collects the terms [`crate::similar`] ranks with. Ids are found by looking every
//! token up in a hash set (after a cheap first-byte and length filter), never by one
//! pattern per id, so the cost grows with the text and not with the number of ids.
//!
//! # What depends on what
//!
//! For incremental rebuilds (`casebook serve`), the page of record `r` shows, besides
//! `r` itself: the title, date and severity of every record in `related(r)`,
//! `backlinks(r)` and `similar(r)`, and a link to every record in `mentions(r)`. So
//! when record `x` changes, the pages to render again are [`LinkGraph::dependents`]
//! of `x`: the records `x` names or mentions (their backlinks list `x`), the records
//! that name or mention `x` (their lists show `x`'s title), and the records whose
//! similar list holds `x`. Two changes reach further: adding, removing or renaming a
//! record changes which tokens are ids, so any record's mentions may change; and the
//! similar-incident scores use archive-wide term statistics, so a changed text can
//! reorder any record's similar list. A server rebuilds the graph (it is fast) and
//! compares it with the previous one instead of guessing.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::config::SiteConfig;
use crate::diag::{Diagnostic, Source, Span};
use crate::model::Record;
use crate::prose::{self, Context, Field};
use crate::rules::Rule;
use crate::similar::{self, Analyzer, Match, TermCounts, Terms};

/// The fewest records per parallel work unit when scanning. Each unit has its own
/// word cache, so units are few and large: about four per thread. How records are
/// split does not change the result.
const SCAN_CHUNK: usize = 64;

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
    fn resolve<'t>(&self, run: &'t str) -> Option<(usize, &'t str)> {
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
fn is_id_byte(b: u8) -> bool {
    ID_BYTES[usize::from(b)]
}

/// Maximal runs of id characters with their offsets.
fn id_runs(text: &str) -> impl Iterator<Item = (usize, &str)> {
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
fn in_prose(text: &str, start: usize, end: usize) -> bool {
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
    /// The most similar records not already linked either way, best first.
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

impl LinkGraph<'_> {
    /// The records whose pages show something of record `x` (see the module docs),
    /// sorted, without `x` itself.
    pub fn dependents(&self, x: usize) -> Vec<usize> {
        let Some(own) = self.links.get(x) else {
            return Vec::new();
        };
        let mut out: Vec<usize> = own.related.to_vec();
        out.extend(&own.mentions);
        out.extend(own.backlinks.iter().map(|b| b.from));
        out.extend(
            self.links
                .iter()
                .enumerate()
                .filter(|(_, l)| l.similar.iter().any(|m| m.index == x))
                .map(|(i, _)| i),
        );
        out.retain(|&i| i != x);
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// What one pass over a record finds.
struct Scan {
    mentions: Vec<usize>,
    terms: Terms,
}

/// Links `records` (already filtered to what the build publishes) and ranks their
/// similar incidents. Scans records in parallel; the result does not depend on the
/// number of threads.
pub fn link<'a>(records: &[&'a Record], config: &SiteConfig) -> LinkGraph<'a> {
    let ids = IdIndex::new(records);
    let want_similar = similar::enabled(&config.similar);
    let (analyzers, scans) = scan_all(records, &ids, want_similar);
    let (mentions, terms): (Vec<Vec<usize>>, Vec<Terms>) =
        scans.into_iter().map(|s| (s.mentions, s.terms)).unzip();
    let mut links: Vec<Links> = records
        .iter()
        .enumerate()
        .zip(mentions)
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
        let linked: Vec<Vec<usize>> = links.iter().map(linked_either_way).collect();
        let ranked = similar::rank(records, terms, &analyzers, &linked, config);
        for (l, matches) in links.iter_mut().zip(ranked) {
            l.similar = matches;
        }
    }
    LinkGraph { ids, links }
}

/// Reads every record once, in parallel work units of consecutive records, each with
/// its own [`Analyzer`]; returns the analyzers and one [`Scan`] per record, in order.
fn scan_all(
    records: &[&Record],
    ids: &IdIndex<'_>,
    want_similar: bool,
) -> (Vec<Analyzer>, Vec<Scan>) {
    let chunk_size = (records.len() / (4 * rayon::current_num_threads())).max(SCAN_CHUNK);
    let chunks: Vec<(Analyzer, Vec<Scan>)> = records
        .par_chunks(chunk_size)
        .enumerate()
        .map(|(chunk, group)| {
            let mut analyzer = Analyzer::default();
            let scans = group
                .iter()
                .enumerate()
                .map(|(i, record)| {
                    let index = chunk * chunk_size + i;
                    scan(record, index, ids, want_similar.then_some(&mut analyzer))
                })
                .collect();
            (analyzer, scans)
        })
        .collect();
    let mut analyzers = Vec::with_capacity(chunks.len());
    let mut scans = Vec::with_capacity(records.len());
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

fn scan(record: &Record, index: usize, ids: &IdIndex<'_>, analyzer: Option<&mut Analyzer>) -> Scan {
    let mut mentions = Vec::new();
    let mut analyzer = analyzer;
    let mut terms = analyzer
        .as_deref_mut()
        .map_or_else(TermCounts::default, Analyzer::counts);
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
    Scan {
        mentions,
        terms: terms.finish(),
    }
}

/// The shapes of an archive's ids, to tell a mistyped id from an ordinary word.
///
/// An id is cut into segments of letters and digits at `.`, `_` and `-`. Its shape
/// keeps the separators and the letter-only segments (compared without case) and
/// reduces every segment that holds a digit to a wildcard: `INC-2024-0918` has
/// the shape `INC-#-#`, `EXT-3d2adf6c` the shape `EXT-%`. Only shapes with at least
/// one letter-only segment and one digit-bearing segment count, so prose words
/// (`re-run`, `v2`, `2024-09-18`, `p99`) never look like ids.
pub struct IdShapes<'a> {
    ids_by_shape: HashMap<String, Vec<&'a str>>,
}

/// The shape key of a token, or `None` when it has no letter-only segment or no digit.
fn shape(token: &str) -> Option<String> {
    let mut key = String::with_capacity(token.len());
    let (mut words, mut numbers) = (false, false);
    for part in token.split_inclusive(['.', '_', '-']) {
        let (segment, separator) = match part.char_indices().last() {
            Some((at, c @ ('.' | '_' | '-'))) => (&part[..at], Some(c)),
            _ => (part, None),
        };
        if segment.bytes().all(|b| b.is_ascii_alphabetic()) {
            key.push_str(&segment.to_ascii_uppercase());
            words |= !segment.is_empty();
        } else {
            key.push(if segment.bytes().all(|b| b.is_ascii_digit()) {
                '#'
            } else {
                '%'
            });
            numbers = true;
        }
        key.extend(separator);
    }
    (words && numbers).then_some(key)
}

impl<'a> IdShapes<'a> {
    pub fn new(records: &[&'a Record]) -> IdShapes<'a> {
        let mut ids_by_shape: HashMap<String, Vec<&str>> = HashMap::new();
        for record in records {
            if let Some(key) = shape(&record.id) {
                ids_by_shape
                    .entry(key)
                    .or_default()
                    .push(record.id.as_str());
            }
        }
        for ids in ids_by_shape.values_mut() {
            ids.sort_unstable();
            ids.dedup();
        }
        IdShapes { ids_by_shape }
    }

    /// The ids that share the token's shape, when it looks like an id.
    fn same_shape(&self, token: &str) -> Option<&[&'a str]> {
        let bytes = token.as_bytes();
        if !bytes.iter().any(u8::is_ascii_digit) || !bytes.iter().any(u8::is_ascii_alphabetic) {
            return None;
        }
        self.ids_by_shape.get(&shape(token)?).map(Vec::as_slice)
    }
}

/// The existing id closest to a mistyped one: fewest edits (a swap of two neighbours
/// counts as one), then the most similar by Jaro-Winkler, then the smallest id.
fn nearest_id<'a>(token: &str, ids: &[&'a str]) -> Option<&'a str> {
    ids.iter()
        .map(|id| {
            let (a, b) = (token.to_ascii_lowercase(), id.to_ascii_lowercase());
            let distance = strsim::osa_distance(&a, &b);
            let closeness = strsim::jaro_winkler(&a, &b);
            (distance, std::cmp::Reverse(ordered(closeness)), *id)
        })
        .min()
        .map(|(_, _, id)| id)
}

/// A total order key for a similarity in `0..=1`.
fn ordered(value: f64) -> u64 {
    (value.clamp(0.0, 1.0) * 1e12) as u64
}

/// Warnings for tokens that look like record ids (see [`IdShapes`]) but name no
/// record, with the nearest existing id. `check` runs this over every record, so an
/// id that only an internal record has is not reported. Runs in parallel.
pub fn unknown_mentions(records: &[Record]) -> Vec<Diagnostic> {
    let refs: Vec<&Record> = records.iter().collect();
    let ids = IdIndex::new(&refs);
    let shapes = IdShapes::new(&refs);
    if shapes.ids_by_shape.is_empty() {
        return Vec::new();
    }
    // (record, field, offset in the field's Markdown, token)
    let found: Vec<(usize, Field, usize, String)> = refs
        .par_iter()
        .enumerate()
        .flat_map_iter(|(index, record)| {
            let mut out = Vec::new();
            if !may_mention_unknown(record, &ids, &shapes) {
                return out;
            }
            prose::walk(record, |piece| {
                if piece.context != Context::Prose {
                    return;
                }
                for (at, run) in id_runs(piece.text) {
                    if ids.resolve(run).is_some() {
                        continue;
                    }
                    let token = run.trim_end_matches('.');
                    if shapes.same_shape(token).is_some()
                        && in_prose(piece.text, at, at + run.len())
                    {
                        out.push((index, piece.field, piece.origin(at), token.to_string()));
                    }
                }
            });
            out
        })
        .collect();
    let mut suggestions: FxHashMap<&str, Option<&str>> = FxHashMap::default();
    found
        .iter()
        .map(|(index, field, offset, token)| {
            let record = refs[*index];
            let suggestion = *suggestions.entry(token.as_str()).or_insert_with(|| {
                shapes
                    .same_shape(token)
                    .and_then(|same| nearest_id(token, same))
            });
            let span = locate(record, *field, *offset, token);
            finding(&record.source, span, token, suggestion)
        })
        .collect()
}

/// Whether the raw text of a record's Markdown fields holds an id-like token that no
/// record has. Most records hold none, and this byte scan spares them the Markdown
/// parse. Backslashes count as part of a token and are dropped from it, so an escaped
/// token (`INC\_2024\_1`) is seen as the parser will show it.
fn may_mention_unknown(record: &Record, ids: &IdIndex<'_>, shapes: &IdShapes<'_>) -> bool {
    let fields = record
        .summary
        .iter()
        .map(|s| s.value.as_str())
        .chain(record.timeline.iter().map(|e| e.event.value.as_str()))
        .chain(record.action_items.iter().map(|a| a.title.value.as_str()))
        .chain(std::iter::once(record.body()));
    fields.into_iter().any(|text| {
        let bytes = text.as_bytes();
        let in_token = |b: u8| is_id_byte(b) || b == b'\\';
        // An id-like token holds a digit, and digits are rare in prose: go from digit
        // to digit and look at the token around each, instead of at every word.
        let mut i = 0;
        while let Some(found) = bytes[i..].iter().position(u8::is_ascii_digit) {
            let digit = i + found;
            // The byte before `i` ends the previous token, so this stops at `i`.
            let start = bytes[..digit]
                .iter()
                .rposition(|&b| !in_token(b))
                .map_or(0, |at| at + 1);
            let end = bytes[digit..]
                .iter()
                .position(|&b| !in_token(b))
                .map_or(bytes.len(), |at| digit + at);
            i = end;
            let run = &bytes[start..end];
            if !run.iter().any(u8::is_ascii_alphabetic) {
                continue;
            }
            let token: std::borrow::Cow<'_, str> = if run.contains(&b'\\') {
                text[start..end].replace('\\', "").into()
            } else {
                text[start..end].into()
            };
            if ids.resolve(&token).is_none()
                && shapes.same_shape(token.trim_end_matches('.')).is_some()
            {
                return true;
            }
        }
        false
    })
}

/// Where a token found at `offset` in a field's Markdown sits in the record's file.
fn locate(record: &Record, field: Field, offset: usize, token: &str) -> Span {
    let (text, span): (&str, Span) = match field {
        Field::Body if record.yaml_body.is_none() => {
            let start = record.body_offset + offset;
            return Span::new(start, start + token.len());
        }
        Field::Body => (
            record.body(),
            Span::new(record.body_offset, record.source.text.len()),
        ),
        Field::Summary => match &record.summary {
            Some(s) => (s.value.as_str(), s.span),
            None => return Span::default(),
        },
        Field::Timeline(i) => match record.timeline.get(i) {
            Some(e) => (e.event.value.as_str(), e.event.span),
            None => return Span::default(),
        },
        Field::ActionItem(i) => match record.action_items.get(i) {
            Some(a) => (a.title.value.as_str(), a.title.span),
            None => return Span::default(),
        },
    };
    // The value was unescaped or unfolded from the YAML: find the same occurrence of
    // the token in the file's text of the value.
    let nth = occurrences(text, token)
        .take_while(|&at| at < offset)
        .count();
    let raw = record
        .source
        .text
        .get(span.start..span.end)
        .unwrap_or_default();
    match occurrences(raw, token).nth(nth) {
        Some(at) => Span::new(span.start + at, span.start + at + token.len()),
        None => Span::new(span.start, span.start),
    }
}

/// Offsets of `token` as a whole token in `text`.
fn occurrences<'t>(text: &'t str, token: &'t str) -> impl Iterator<Item = usize> + 't {
    id_runs(text)
        .filter(move |&(at, run)| {
            (run == token || run.trim_end_matches('.') == token)
                && in_prose(text, at, at + run.len())
        })
        .map(|(at, _)| at)
}

/// The unknown-mention warning.
fn finding(source: &Arc<Source>, span: Span, token: &str, suggestion: Option<&str>) -> Diagnostic {
    let diag = Diagnostic::new(
        Rule::UnknownMention,
        format!("`{token}` looks like a record id, but no record has it"),
    )
    .at(source, span)
    .label("no record has this id");
    match suggestion {
        Some(id) => diag.help(format!("did you mean `{id}`?")),
        None => diag,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// A record with this id, front matter lines and body.
    pub(crate) fn record(id: &str, front: &str, body: &str) -> Record {
        let text = format!(
            "---\nid: {id}\ntitle: Record {id}\ndate: 2024-01-01\nseverity: SEV2\n\
             status: investigating\n{front}---\n{body}"
        );
        let path = format!("content/incidents/{id}.md");
        crate::load::record_from_bytes(Path::new(&path), text.as_bytes(), &SiteConfig::default())
            .0
            .expect("a valid record")
    }

    fn ids<'a>(records: &[&'a Record], list: &[usize]) -> Vec<&'a str> {
        list.iter().map(|&i| records[i].id.as_str()).collect()
    }

    #[test]
    fn shapes_keep_words_and_hide_numbers() {
        assert_eq!(shape("INC-2024-0918").as_deref(), Some("INC-#-#"));
        assert_eq!(shape("inc-2024-0918").as_deref(), Some("INC-#-#"));
        assert_eq!(shape("EXT-3d2adf6c").as_deref(), Some("EXT-%"));
        assert_eq!(shape("PM_12.a").as_deref(), Some("PM_#.A"));
        for word in ["re-run", "v2", "2024-09-18", "p99", "x", "--"] {
            assert_eq!(shape(word), None, "{word}");
        }
    }

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
        let graph = link(&refs, &config);
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
        assert_eq!(graph.dependents(2), [0, 1]);
        assert_eq!(graph.dependents(0), [1, 2, 3]);
    }

    #[test]
    fn unknown_mentions_point_at_the_token() {
        let a = record(
            "INC-2024-0001",
            "summary: >\n  folded, and\n  INC-2024-0009 here\n",
            "Text INC-2024-0002 and `INC-2024-0003`.\n",
        );
        let b = record("INC-2024-0002", "", "");
        let records = [a, b];
        let found = unknown_mentions(&records);
        let seen: Vec<(String, (usize, usize), Option<String>)> = found
            .iter()
            .map(|d| {
                let (_, line, col) = d.location().expect("located");
                let token = d.message.split('`').nth(1).unwrap_or_default().to_string();
                (token, (line, col), d.help.clone())
            })
            .collect();
        assert_eq!(
            seen,
            [(
                "INC-2024-0009".to_string(),
                (9, 3),
                Some("did you mean `INC-2024-0001`?".to_string())
            )]
        );
    }

    #[test]
    fn nearest_id_prefers_few_edits() {
        let ids = ["INC-2024-0918", "INC-2024-0919", "INC-2023-0918"];
        assert_eq!(nearest_id("INC-2024-9018", &ids), Some("INC-2024-0918"));
        assert_eq!(nearest_id("inc-2023-0918", &ids), Some("INC-2023-0918"));
    }
}
