//! Text to index terms: the tokenizer, the English stop words and the stemmer.
//!
//! The index writer turns every field into terms here, and `search.js` repeats the
//! same steps on the query (docs/search.md states the rules), so a query finds what
//! was indexed:
//!
//! 1. A *word* is a maximal run of alphanumeric characters (`char::is_alphanumeric`,
//!    i.e. the Unicode `Alphabetic` property or a number category); it is lowercased
//!    with the full Unicode mapping. Each word takes one position, stop words and
//!    over-long words included, so phrases keep their shape.
//! 2. Words joined by single `-`, `_` or `.` characters form a *compound*
//!    (`INC-2024-0918`, `eu-west-1`, `v2.4.1`). A compound with both a letter and a
//!    digit is also indexed whole, at the position of its first word, so ids stay
//!    searchable as one term.
//! 3. Stop words are dropped; words of ASCII letters only are stemmed with the
//!    Snowball English stemmer; other words (numbers, `v2`, `café`) stay as they are.

use std::borrow::Cow;

use rust_stemmers::{Algorithm, Stemmer};

/// Words longer than this (in characters) are not indexed: hashes, base64, noise.
pub const MAX_WORD_CHARS: usize = 40;
/// Compounds longer than this (in characters) are indexed only as their words.
pub const MAX_COMPOUND_CHARS: usize = 64;

/// English words too common to help a search, sorted for binary search. The list is
/// written into the index's manifest, so the browser drops exactly these words too.
/// Words that carry meaning in an incident (`down`, `up`, `off`, `out`, `not`) stay.
pub const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "because", "been", "before", "being", "between", "both", "but", "by", "can", "could", "did",
    "do", "does", "doing", "during", "each", "for", "from", "further", "had", "has", "have",
    "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in", "into", "is",
    "it", "its", "itself", "just", "me", "more", "most", "my", "of", "on", "once", "only", "or",
    "other", "our", "ours", "she", "should", "so", "some", "such", "than", "that", "the", "their",
    "theirs", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why",
    "will", "with", "would", "you", "your", "yours",
];

/// Whether `word` (lowercased) is a stop word.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// What the tokenizer found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A single word.
    Word,
    /// Words joined by `-`, `_` or `.` with a letter and a digit among them.
    Compound,
}

fn is_connector(c: char) -> bool {
    matches!(c, '-' | '_' | '.')
}

/// Lowercases `word` into `buf` (ASCII fast path) and returns it.
fn lowercase<'b>(word: &str, ascii: bool, buf: &'b mut String) -> &'b str {
    buf.clear();
    if ascii {
        buf.push_str(word);
        buf.make_ascii_lowercase();
    } else {
        buf.push_str(&word.to_lowercase());
    }
    buf
}

/// The char at byte `i` of `text` and its length; ASCII without decoding.
fn char_at(text: &str, i: usize) -> (char, usize) {
    let b = text.as_bytes()[i];
    if b < 0x80 {
        return (char::from(b), 1);
    }
    let c = text[i..]
        .chars()
        .next()
        .unwrap_or(char::REPLACEMENT_CHARACTER);
    (c, c.len_utf8())
}

const OTHER: u8 = 0;
const DIGIT: u8 = 1;
const LOWER: u8 = 2;
const UPPER: u8 = 3;

/// The class of each ASCII byte, so the common case needs no decoding.
const ASCII_CLASS: [u8; 128] = {
    let mut table = [OTHER; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = match b as u8 {
            b'0'..=b'9' => DIGIT,
            b'a'..=b'z' => LOWER,
            b'A'..=b'Z' => UPPER,
            _ => OTHER,
        };
        b += 1;
    }
    table
};

fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        c.is_alphanumeric()
    }
}

/// Calls `emit(lowercased, position, kind)` for every word and compound of `text`,
/// numbering words from `position`; returns the position after the last word.
/// Over-long words are skipped but still take their position.
pub fn for_each_word(text: &str, position: u32, mut emit: impl FnMut(&str, u32, Kind)) -> u32 {
    let bytes = text.as_bytes();
    let mut buf = String::with_capacity(64);
    let mut pos = position;
    // The current chain of words: byte start, start position, words so far, and
    // whether it has a letter, a digit, and only ASCII.
    let mut chain: Option<(usize, u32, u32, bool, bool, bool)> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 && ASCII_CLASS[usize::from(b)] == OTHER {
            i += 1;
            continue;
        }
        let (c, len) = char_at(text, i);
        if !is_word_char(c) {
            i += len;
            continue;
        }
        let start = i;
        let (mut letter, mut digit, mut ascii, mut count) = (false, false, true, 0);
        let mut upper = false;
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x80 {
                match ASCII_CLASS[usize::from(b)] {
                    DIGIT => digit = true,
                    LOWER => letter = true,
                    UPPER => {
                        letter = true;
                        upper = true;
                    }
                    _ => break,
                }
                count += 1;
                i += 1;
                continue;
            }
            let (c, len) = char_at(text, i);
            if c.is_alphanumeric() {
                ascii = false;
                letter |= c.is_alphabetic();
                digit |= c.is_numeric();
            } else {
                break;
            }
            count += 1;
            i += len;
        }
        let end = i;
        if count <= MAX_WORD_CHARS {
            let word = &text[start..end];
            if ascii && !upper {
                emit(word, pos, Kind::Word);
            } else {
                emit(lowercase(word, ascii, &mut buf), pos, Kind::Word);
            }
        }
        let (chain_start, chain_pos, words, has_letter, has_digit, all_ascii) = match chain {
            Some((s, p, n, l, d, a)) => (s, p, n + 1, l || letter, d || digit, a && ascii),
            None => (start, pos, 1, letter, digit, ascii),
        };
        pos += 1;
        // The chain goes on when one connector sits between this word and the next.
        let continues = end + 1 < bytes.len()
            && is_connector(char::from(bytes[end]))
            && is_word_char(char_at(text, end + 1).0);
        if continues {
            chain = Some((
                chain_start,
                chain_pos,
                words,
                has_letter,
                has_digit,
                all_ascii,
            ));
            i = end + 1;
            continue;
        }
        chain = None;
        let compound = &text[chain_start..end];
        if words > 1 && has_letter && has_digit && compound.chars().count() <= MAX_COMPOUND_CHARS {
            emit(
                lowercase(compound, all_ascii, &mut buf),
                chain_pos,
                Kind::Compound,
            );
        }
    }
    pos
}

/// The index term of a word, or `None` for a stop word.
pub fn term<'w>(stemmer: &Stemmer, word: &'w str, kind: Kind) -> Option<Cow<'w, str>> {
    if kind == Kind::Compound {
        return Some(Cow::Borrowed(word));
    }
    if is_stop_word(word) {
        return None;
    }
    if word.bytes().all(|b| b.is_ascii_lowercase()) {
        Some(stemmer.stem(word))
    } else {
        Some(Cow::Borrowed(word))
    }
}

/// The Snowball English stemmer that `search.js` mirrors.
pub fn stemmer() -> Stemmer {
    Stemmer::create(Algorithm::English)
}

/// The terms of `text` in order: what a query for `text` looks up.
#[cfg(test)]
pub fn terms(text: &str) -> Vec<String> {
    let stemmer = stemmer();
    let mut out = Vec::new();
    for_each_word(text, 0, |word, _, kind| {
        if let Some(t) = term(&stemmer, word, kind) {
            out.push(t.into_owned());
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(String, u32, Kind)> {
        let mut out = Vec::new();
        for_each_word(text, 0, |w, p, k| out.push((w.to_string(), p, k)));
        out
    }

    #[test]
    fn stop_words_are_sorted_and_lowercase() {
        let mut sorted = STOP_WORDS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, STOP_WORDS);
        assert!(STOP_WORDS
            .iter()
            .all(|w| w.bytes().all(|b| b.is_ascii_lowercase())));
    }

    #[test]
    fn splits_on_non_alphanumerics_and_lowercases() {
        assert_eq!(
            terms("Database CONNECTION-pool: exhausted!"),
            ["databas", "connect", "pool", "exhaust"]
        );
        assert_eq!(terms("Ünïcode ΣΊΣΥΦΟΣ"), ["ünïcode", "σίσυφος"]);
        assert_eq!(terms("HTTP 502s at 14:23"), ["http", "502s", "14", "23"]);
    }

    #[test]
    fn stems_with_snowball_english() {
        assert_eq!(terms("connections connected connecting"), ["connect"; 3]);
        assert_eq!(terms("failures failed failing"), ["failur", "fail", "fail"]);
        assert_eq!(terms("retries retry"), ["retri", "retri"]);
        // Words with digits or non-ASCII letters keep their form.
        assert_eq!(terms("k8s naïve"), ["k8s", "naïve"]);
    }

    #[test]
    fn drops_stop_words_but_keeps_their_positions() {
        let found = words("root cause of the outage");
        assert_eq!(found.len(), 5);
        assert_eq!(terms("root cause of the outage"), ["root", "caus", "outag"]);
        assert_eq!(found[4], ("outage".to_string(), 4, Kind::Word));
    }

    #[test]
    fn ids_and_versions_stay_searchable_as_one_term() {
        assert_eq!(
            words("see INC-2024-0918."),
            [
                ("see".to_string(), 0, Kind::Word),
                ("inc".to_string(), 1, Kind::Word),
                ("2024".to_string(), 2, Kind::Word),
                ("0918".to_string(), 3, Kind::Word),
                ("inc-2024-0918".to_string(), 1, Kind::Compound),
            ]
        );
        assert!(terms("eu-west-1 v2.4.1").contains(&"eu-west-1".to_string()));
        assert!(terms("eu-west-1 v2.4.1").contains(&"v2.4.1".to_string()));
        // Words alone, or digits alone, are no compound; neither are spaced joints.
        assert!(!terms("api-gateway").contains(&"api-gateway".to_string()));
        assert!(!terms("2024-09-18").iter().any(|t| t.contains('-')));
        assert_eq!(terms("INC - 2024"), ["inc", "2024"]);
    }

    #[test]
    fn over_long_words_take_a_position_but_no_term() {
        let long = "x".repeat(MAX_WORD_CHARS + 1);
        let found = words(&format!("{long} pool"));
        assert_eq!(found, [("pool".to_string(), 1, Kind::Word)]);
    }

    #[test]
    fn positions_continue_from_the_start_given() {
        let mut seen = Vec::new();
        let next = for_each_word("two words", 10, |_, p, _| seen.push(p));
        assert_eq!((seen, next), (vec![10, 11], 12));
    }
}
