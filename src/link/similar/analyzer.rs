//! Text into terms, for the similar-incident ranking ([`super`]). In: a record's title,
//! summary and body prose, each piece with its weight, read by a [`TermAnalyzer`] while
//! the link stage walks the record. Out: the record's [`Terms`] (each stem's hash with
//! its weighted count, and the weighted length), and, once every record is read, the
//! word shown for each term ([`display_words`]).
//!
//! A term is a stemmed, lower-cased word that is not a stop word, a number or an
//! ordinal; words and terms are FNV-1a hashes, so the index works on integers.

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::{FxHashMap, FxHashSet};

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
    "pacific",
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

/// Numbers written as words, sorted: "fourteen servers" and "fourteen minutes" say
/// nothing alike about two incidents. (`second` stays: a leap second is a subject.)
const NUMBER_WORDS: &[&str] = &[
    "billion",
    "billions",
    "couple",
    "dozen",
    "dozens",
    "eight",
    "eighteen",
    "eighth",
    "eighty",
    "eleven",
    "eleventh",
    "fifteen",
    "fifteenth",
    "fifth",
    "fifty",
    "first",
    "five",
    "forty",
    "four",
    "fourteen",
    "fourteenth",
    "fourth",
    "half",
    "hundred",
    "hundreds",
    "hundredth",
    "million",
    "millions",
    "nine",
    "nineteen",
    "ninety",
    "ninth",
    "seven",
    "seventeen",
    "seventh",
    "seventy",
    "six",
    "sixteen",
    "sixth",
    "sixty",
    "ten",
    "tenth",
    "third",
    "thirteen",
    "thirteenth",
    "thirtieth",
    "thirty",
    "thousand",
    "thousands",
    "three",
    "thrice",
    "trillion",
    "twelfth",
    "twelve",
    "twentieth",
    "twenty",
    "twice",
    "two",
    "zero",
];

/// Filler, sorted: words any story of an incident uses (`almost`, `late`, `looked`,
/// `turned`, `several`, `hours`), which two unrelated incidents share by chance. They
/// neither count as evidence nor show as a reason; the words that name what failed
/// (`leak`, `pool`, `certificate`, `timeout`) are never on this list.
const FILLER_WORDS: &[&str] = &[
    "across",
    "actually",
    "additional",
    "afterwards",
    "ago",
    "ahead",
    "almost",
    "along",
    "alongside",
    "already",
    "although",
    "always",
    "among",
    "amount",
    "another",
    "anyone",
    "anything",
    "anyway",
    "apparently",
    "appear",
    "appeared",
    "appears",
    "approximately",
    "around",
    "arrive",
    "arrived",
    "arrives",
    "aside",
    "away",
    "back",
    "became",
    "become",
    "becomes",
    "began",
    "begin",
    "begins",
    "behind",
    "besides",
    "beyond",
    "brief",
    "briefly",
    "came",
    "certain",
    "certainly",
    "come",
    "comes",
    "coming",
    "company",
    "completely",
    "conduct",
    "conducted",
    "conducting",
    "considered",
    "continue",
    "continued",
    "continues",
    "currently",
    "day",
    "days",
    "despite",
    "different",
    "due",
    "earlier",
    "early",
    "easily",
    "else",
    "elsewhere",
    "end",
    "ended",
    "enough",
    "entire",
    "entirely",
    "especially",
    "even",
    "eventually",
    "ever",
    "every",
    "everyone",
    "everything",
    "exactly",
    "example",
    "extra",
    "fairly",
    "far",
    "finally",
    "finish",
    "finished",
    "found",
    "fully",
    "gave",
    "generally",
    "get",
    "gets",
    "getting",
    "give",
    "given",
    "gives",
    "goes",
    "going",
    "gone",
    "got",
    "gotten",
    "greater",
    "happen",
    "happened",
    "happens",
    "hit",
    "hits",
    "hour",
    "hours",
    "immediately",
    "including",
    "indeed",
    "initially",
    "instead",
    "kept",
    "kind",
    "knew",
    "know",
    "known",
    "large",
    "largely",
    "last",
    "late",
    "lately",
    "later",
    "latest",
    "least",
    "left",
    "less",
    "let",
    "lets",
    "like",
    "likely",
    "little",
    "look",
    "looked",
    "looking",
    "looks",
    "lot",
    "lots",
    "made",
    "make",
    "makes",
    "making",
    "many",
    "meanwhile",
    "merely",
    "minute",
    "minutes",
    "month",
    "months",
    "morning",
    "much",
    "namely",
    "nearly",
    "never",
    "next",
    "night",
    "nothing",
    "notice",
    "noticed",
    "often",
    "old",
    "older",
    "ones",
    "otherwise",
    "overall",
    "part",
    "partly",
    "perhaps",
    "possibly",
    "previously",
    "probably",
    "put",
    "quickly",
    "quite",
    "rather",
    "really",
    "recently",
    "rest",
    "roughly",
    "said",
    "saw",
    "say",
    "says",
    "see",
    "seeing",
    "seem",
    "seemed",
    "seems",
    "seen",
    "several",
    "significantly",
    "similar",
    "similarly",
    "simply",
    "since",
    "slightly",
    "slowly",
    "something",
    "sometimes",
    "somewhat",
    "soon",
    "still",
    "substantially",
    "suddenly",
    "take",
    "taken",
    "takes",
    "taking",
    "thing",
    "things",
    "though",
    "thought",
    "throughout",
    "time",
    "times",
    "today",
    "together",
    "took",
    "toward",
    "towards",
    "treat",
    "treated",
    "tried",
    "tries",
    "truly",
    "try",
    "trying",
    "turn",
    "turned",
    "turns",
    "typically",
    "unfortunately",
    "unlike",
    "unlikely",
    "usually",
    "various",
    "way",
    "ways",
    "week",
    "weeks",
    "well",
    "whatever",
    "whenever",
    "whole",
    "within",
    "without",
    "year",
    "years",
    "yesterday",
];

/// One record's weighted term counts, built while its text is read. Each distinct
/// word gets a slot; words with one stem are merged when the record is indexed.
#[derive(Debug, Default)]
pub struct TermCounts {
    /// Which record of its analyzer this is, so a word's slot is only reused within it.
    serial: u32,
    slots: Vec<(u64, u32)>,
    length: u64,
    /// Per slot, the word's key and how often this record writes it, when asked for
    /// ([`TermAnalyzer::counts`]): a scan kept across builds brings its own share of
    /// the archive's word counts, which pick the word shown for each term.
    words: Option<Vec<(u64, u32)>>,
}

impl TermCounts {
    /// The record's terms, sorted, one entry per term, in as little memory as they
    /// need: every record's terms are held until the archive-wide counts are known.
    /// Also the record's words as `(word key, times written)`, if they were counted
    /// (else empty).
    pub fn finish(mut self) -> (Terms, Vec<(u64, u32)>) {
        self.slots.sort_unstable_by_key(|&(term, _)| term);
        self.slots.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 += later.1;
            }
            same
        });
        self.slots.shrink_to_fit();
        let terms = Terms {
            list: self.slots,
            length: self.length,
        };
        let mut words = self.words.unwrap_or_default();
        words.shrink_to_fit();
        (terms, words)
    }
}

/// One record's terms with their weighted counts (sorted), and its weighted length.
#[derive(Debug, Default)]
pub struct Terms {
    /// `(term, weighted count)`, sorted by term.
    pub(super) list: Vec<(u64, u32)>,
    /// The sum of the weighted counts, for BM25's length normalisation.
    pub(super) length: u64,
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
pub struct TermAnalyzer {
    stemmer: Stemmer,
    /// The stems of the number and filler words, so that their other forms
    /// (`timed`, `looking`) are left out too.
    filler_stems: FxHashSet<u64>,
    words: FxHashMap<u64, WordEntry>,
    lower: String,
    serial: u32,
}

impl Default for TermAnalyzer {
    fn default() -> Self {
        let stemmer = Stemmer::create(Algorithm::English);
        let filler_stems = NUMBER_WORDS
            .iter()
            .chain(FILLER_WORDS)
            .map(|word| fnv(stemmer.stem(word).bytes()))
            .collect();
        TermAnalyzer {
            stemmer,
            filler_stems,
            words: FxHashMap::default(),
            lower: String::new(),
            serial: 0,
        }
    }
}

/// Whether a lower-cased word can be a term, counted in the text score and named in
/// a match's reasons: two characters or more, not a stop word, not a number or an
/// ordinal (`2024`, `28th`, `fourteen`), not filler (`almost`, `late`).
fn is_term(word: &str) -> bool {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    let number = digits == word.len()
        || (digits > 0 && matches!(&word[digits..], "st" | "nd" | "rd" | "th"));
    word.len() >= 2
        && !number
        && [STOP_WORDS, NUMBER_WORDS, FILLER_WORDS]
            .iter()
            .all(|list| list.binary_search(&word).is_err())
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

impl TermAnalyzer {
    /// Empty counts for the next record this analyzer reads; `words`: count how often
    /// the record writes each word too (see [`TermCounts::finish`]).
    pub fn counts(&mut self, words: bool) -> TermCounts {
        self.serial += 1;
        TermCounts {
            serial: self.serial,
            slots: Vec::with_capacity(256),
            length: 0,
            words: words.then(|| Vec::with_capacity(256)),
        }
    }

    /// Every word read so far that is a term: `(word key, word, term)`.
    pub fn terms(&self) -> impl Iterator<Item = (u64, &str, u64)> {
        self.words
            .iter()
            .filter(|(_, entry)| entry.term != 0)
            .map(|(&key, entry)| (key, &*entry.word, entry.term))
    }

    /// Adds every term of `text` to `counts` (from [`TermAnalyzer::counts`]), each counted
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
        let (stemmer, filler_stems, lower) = (&self.stemmer, &self.filler_stems, &self.lower);
        let entry = self.words.entry(key).or_insert_with(|| {
            let lower = if word.is_ascii() {
                word.to_ascii_lowercase()
            } else {
                lower.clone()
            };
            let term = if is_term(&lower) {
                Some(fnv(stemmer.stem(&lower).bytes()))
                    .filter(|stem| !filler_stems.contains(stem))
                    .unwrap_or(0)
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
            Some(slot) if entry.serial == counts.serial => {
                slot.1 += weight;
                if let Some(words) = &mut counts.words {
                    words[entry.slot as usize].1 += 1;
                }
            }
            _ => {
                entry.serial = counts.serial;
                entry.slot = counts.slots.len() as u32;
                counts.slots.push((entry.term, weight));
                if let Some(words) = &mut counts.words {
                    words.push((key, 1));
                }
            }
        }
    }
}

/// The word shown for each term, from every word the analyzers read (see
/// [`shown_words`]). Independent of how work was split.
pub fn display_words(analyzers: &[TermAnalyzer]) -> FxHashMap<u64, String> {
    let mut seen: FxHashMap<&str, (u64, u64)> = FxHashMap::default();
    for analyzer in analyzers {
        for entry in analyzer.words.values() {
            if entry.term != 0 {
                seen.entry(&entry.word).or_insert((entry.term, 0)).1 += entry.seen;
            }
        }
    }
    shown_words(
        seen.into_iter()
            .map(|(word, (term, count))| (word, term, count)),
    )
}

/// The word shown for each term, given every distinct word of the archive once as
/// `(word, term, times written)`: the one written most often, then the shorter, then
/// the first alphabetically. Independent of the order the words come in.
pub fn shown_words<'w>(words: impl Iterator<Item = (&'w str, u64, u64)>) -> FxHashMap<u64, String> {
    let mut best: FxHashMap<u64, (&str, u64)> = FxHashMap::default();
    for (word, term, count) in words {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_are_sorted_unique_and_apart() {
        for list in [STOP_WORDS, NUMBER_WORDS, FILLER_WORDS] {
            assert!(list.windows(2).all(|w| w[0] < w[1]));
        }
        for word in NUMBER_WORDS.iter().chain(FILLER_WORDS) {
            assert!(STOP_WORDS.binary_search(word).is_err(), "{word}");
        }
    }

    #[test]
    fn filler_and_number_words_are_never_reasons() {
        for word in [
            "late",
            "almost",
            "fourteen",
            "thirteen",
            "million",
            "looked",
            "turned",
            "several",
            "hours",
            "earlier",
            "left",
            "twentieth",
        ] {
            assert!(!is_term(word), "{word}");
        }
        for word in [
            "leak",
            "pool",
            "connection",
            "certificate",
            "timeout",
            "deadlock",
            "second",
            "failover",
            "disk",
            "memory",
        ] {
            assert!(is_term(word), "{word}");
        }
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
    fn other_forms_of_filler_are_left_out_too() {
        let mut analyzer = TermAnalyzer::default();
        let mut counts = analyzer.counts(false);
        analyzer.add(
            "Fourteen requests timed out, looking late; the leak timings",
            1,
            &mut counts,
        );
        let (terms, _) = counts.finish();
        let words = display_words(&[analyzer]);
        let mut shown: Vec<&str> = terms.list.iter().map(|(t, _)| words[t].as_str()).collect();
        shown.sort_unstable();
        assert_eq!(shown, ["leak", "requests"]);
    }

    #[test]
    fn words_with_one_stem_are_one_term() {
        let mut analyzer = TermAnalyzer::default();
        let mut counts = analyzer.counts(false);
        analyzer.add(
            "Connections, connection; CONNECTION the 2024",
            2,
            &mut counts,
        );
        let (terms, _) = counts.finish();
        assert_eq!(terms.list.len(), 1);
        assert_eq!(terms.list[0].1, 6);
        assert_eq!(terms.length, 6);
        assert_eq!(display_words(&[analyzer])[&terms.list[0].0], "connection");
    }
}
