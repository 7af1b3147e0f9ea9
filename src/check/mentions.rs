//! The unknown-mention check: tokens that look like record ids (see [`IdShapes`])
//! but name no record, each reported where it stands with the nearest existing id.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::core::diag::{Diagnostic, Source, Span};
use crate::core::ids::{id_runs, in_prose, is_id_byte, IdIndex};
use crate::core::model::Record;
use crate::core::prose::{self, Context, Field};
use crate::core::rules::Rule;

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
/// Never `own`, the id of the record the token stands in: it would not mention itself.
fn nearest_id<'a>(token: &str, ids: &[&'a str], own: &str) -> Option<&'a str> {
    ids.iter()
        .filter(|id| **id != own)
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
    unknown_mentions_with(records, &MentionMemo::once())
}

/// [`unknown_mentions`], each record's unknown tokens taken from `memo` where they
/// cannot have changed, and kept in it for the next run.
pub fn unknown_mentions_with(records: &[Record], memo: &MentionMemo) -> Vec<Diagnostic> {
    let refs: Vec<&Record> = records.iter().collect();
    let ids = IdIndex::new(&refs);
    let shapes = IdShapes::new(&refs);
    if shapes.ids_by_shape.is_empty() {
        return Vec::new();
    }
    let ids_key = memo.ids_key(records);
    // (record, field, offset in the field's Markdown, token)
    let found: Vec<(usize, Field, usize, String)> = refs
        .par_iter()
        .enumerate()
        .flat_map_iter(|(index, record)| {
            memo.tokens(record, ids_key, || unknown_tokens(record, &ids, &shapes))
                .into_iter()
                .map(move |(field, offset, token)| (index, field, offset, token))
        })
        .collect();
    let mut suggestions: FxHashMap<(&str, &str), Option<&str>> = FxHashMap::default();
    found
        .iter()
        .map(|(index, field, offset, token)| {
            let record = refs[*index];
            let own = record.id.as_str();
            let key = (token.as_str(), own);
            let suggestion = *suggestions.entry(key).or_insert_with(|| {
                shapes
                    .same_shape(token)
                    .and_then(|same| nearest_id(token, same, own))
            });
            let span = locate(record, *field, *offset, token);
            finding(&record.source, span, token, suggestion)
        })
        .collect()
}

/// A record's tokens that look like ids but name no record: (field, offset in the
/// field's Markdown, token).
fn unknown_tokens(
    record: &Record,
    ids: &IdIndex<'_>,
    shapes: &IdShapes<'_>,
) -> Vec<(Field, usize, String)> {
    let mut out = Vec::new();
    if !may_mention_unknown(record, ids, shapes) {
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
            if shapes.same_shape(token).is_some() && in_prose(piece.text, at, at + run.len()) {
                out.push((piece.field, piece.origin(at), token.to_string()));
            }
        }
    });
    out
}

/// Each record's unknown tokens, kept between runs of [`unknown_mentions_with`]
/// (`casebook serve` checks again on every change). A record's tokens are a
/// function of its text and of every record's id (which tokens are ids, and the
/// shapes ids have): they are kept with the record's `Source` (the same `Arc` while
/// `load`'s memo hands out the same decoding; the memo holds it, so the pointer is
/// not reused) and a hash of every id in order. The suggestions and places are
/// worked out from the tokens on every run.
pub struct MentionMemo {
    /// Tokens by record file; `None` for a one-off check, which keeps nothing.
    kept: Option<Mutex<HashMap<PathBuf, KeptTokens>>>,
}

struct KeptTokens {
    source: Arc<Source>,
    ids: u64,
    tokens: Vec<(Field, usize, String)>,
}

impl MentionMemo {
    /// The memo of a one-off check: it keeps nothing.
    pub fn once() -> MentionMemo {
        MentionMemo { kept: None }
    }

    /// A memo that keeps every record's tokens for the next run.
    pub fn kept() -> MentionMemo {
        MentionMemo {
            kept: Some(Mutex::new(HashMap::new())),
        }
    }

    /// A hash of every record's id, in order (0 for a one-off check).
    fn ids_key(&self, records: &[Record]) -> u64 {
        if self.kept.is_none() {
            return 0;
        }
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for record in records {
            record.id.as_str().hash(&mut hasher);
        }
        hasher.finish()
    }

    /// `record`'s unknown tokens: the kept ones when its text and the ids are the
    /// same, else `find`'s.
    fn tokens(
        &self,
        record: &Record,
        ids_key: u64,
        find: impl FnOnce() -> Vec<(Field, usize, String)>,
    ) -> Vec<(Field, usize, String)> {
        let Some(kept) = &self.kept else {
            return find();
        };
        let lock = || kept.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(k) = lock().get(&record.path) {
            if Arc::ptr_eq(&k.source, &record.source) && k.ids == ids_key {
                return k.tokens.clone();
            }
        }
        let tokens = find();
        lock().insert(
            record.path.clone(),
            KeptTokens {
                source: Arc::clone(&record.source),
                ids: ids_key,
                tokens: tokens.clone(),
            },
        );
        tokens
    }
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
    use super::*;
    use crate::load::record_for_test as record;

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
    fn kept_tokens_are_reused_only_while_the_text_and_the_ids_are_the_same() {
        let a = record("INC-2024-0001", "", "See INC-2024-0009.\n");
        let b = record("INC-2024-0002", "", "");
        let memo = MentionMemo::kept();
        let tokens = |records: &[Record]| -> Vec<String> {
            unknown_mentions_with(records, &memo)
                .iter()
                .map(|d| d.message.clone())
                .collect()
        };
        let both = [a.clone(), b.clone()];
        assert_eq!(tokens(&both), tokens(&both));
        assert_eq!(tokens(&both).len(), 1);
        assert_eq!(
            tokens(&both),
            unknown_mentions(&both)
                .iter()
                .map(|d| d.message.clone())
                .collect::<Vec<_>>()
        );
        // INC-2024-0009 now exists: the unchanged record's token is no longer unknown.
        let with_9 = [a, b, record("INC-2024-0009", "", "")];
        assert!(tokens(&with_9).is_empty());
        assert!(unknown_mentions(&with_9).is_empty());
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
                // Not INC-2024-0001: that is the record's own id.
                Some("did you mean `INC-2024-0002`?".to_string())
            )]
        );
    }

    #[test]
    fn nearest_id_prefers_few_edits() {
        let ids = ["INC-2024-0918", "INC-2024-0919", "INC-2023-0918"];
        assert_eq!(
            nearest_id("INC-2024-9018", &ids, "X"),
            Some("INC-2024-0918")
        );
        assert_eq!(
            nearest_id("inc-2023-0918", &ids, "X"),
            Some("INC-2023-0918")
        );
        assert_eq!(
            nearest_id("INC-2024-9018", &ids, "INC-2024-0918"),
            Some("INC-2023-0918")
        );
    }
}
