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
//!   heaviest terms of all (see `index::signature`).
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
//!
//! The work is in three parts, one a file: `analyzer` turns each record's text into
//! weighted terms while the link stage reads it; `index` weighs them and builds the
//! inverted index of signatures, services and tags; `ranker` picks and scores each
//! record's candidates. [`rank`] runs the last two.

mod analyzer;
mod index;
mod ranker;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::core::config::{SimilarConfig, SiteConfig};
use crate::core::model::Record;

pub use self::analyzer::{display_words, shown_words, TermAnalyzer, TermCounts, Terms};
use self::index::Index;
use self::ranker::{Ranker, Scratch};

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

/// Whether the ranking runs at all: on in site.toml, and something to rank by.
pub fn enabled(config: &SimilarConfig) -> bool {
    config.enabled && config.count > 0 && total_weight(config) > 0.0
}

/// The sum of the four weights: every score is divided by it, so it lies in `0..=1`.
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

/// Ranks the similar records of every record. `terms[i]` are record `i`'s terms from
/// [`TermAnalyzer::add`] and [`TermCounts::finish`]; `words` the word shown for each
/// term ([`display_words`], [`shown_words`]); `linked[i]` (sorted) are the records
/// it is already linked with either way. Those compete for the `count` places like
/// any other record but are not repeated as similar (the page lists them already):
/// a record whose nearest incidents are all linked shows fewer similar ones, never
/// weaker ones that only made the list because the linked ones were left out.
/// Parallel over records.
pub fn rank(
    records: &[&Record],
    terms: &[&Terms],
    words: &FxHashMap<u64, String>,
    linked: &[Vec<usize>],
    config: &SiteConfig,
) -> Vec<Vec<Match>> {
    let n = records.len();
    let settings = &config.similar;
    if !enabled(settings) || n < 2 {
        return vec![Vec::new(); n];
    }
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
                };
                ranker
                    .best(scratch)
                    .into_iter()
                    .filter(|(e, _, _)| linked[d].binary_search(e).is_err())
                    .map(|(e, score, text)| index.explain(d, e, score, text, words))
                    .collect()
            },
        )
        .collect()
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
        crate::link::link(&refs, config, &crate::link::memo::LinkMemo::once(), false)
            .links
            .into_iter()
            .map(|l| l.similar)
            .collect()
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
    fn linked_records_keep_their_places_without_being_repeated() {
        let mut records = archive();
        records.push(record(
            "W",
            "2024-06-01",
            "Pool alerts in user-service",
            "user-service",
            "Alerts fired as database connections piled up in the pool.",
        ));
        records[0].related = vec![records[1].id.clone()];
        let mut config = SiteConfig::default();
        config.similar.count = 1;
        // B is A's nearest: it takes the one place, and shows as related only, not
        // as similar; W, a weaker match, does not move up into its place.
        let found = rank_all(&records, &config);
        assert!(found[0].is_empty(), "{:?}", found[0]);
        assert!(found[1].is_empty(), "{:?}", found[1]);
        config.similar.count = 5;
        let found = rank_all(&records, &config);
        let listed: Vec<usize> = found[0].iter().map(|m| m.index).collect();
        assert!(listed.contains(&5) && !listed.contains(&1), "{listed:?}");
    }

    #[test]
    fn filler_shared_by_chance_is_no_reason() {
        let records = vec![
            record("F-1", "2024-01-01", "Disk full on the search hosts", "search",
                "Fourteen hosts filled up almost at once; the alert came late, several hours after."),
            record("F-2", "2024-02-01", "Indexers out of disk space", "search",
                "Fourteen indexers stopped almost together; paging was late by several hours."),
        ];
        let found = rank_all(&records, &SiteConfig::default());
        let reasons = found[0][0].reason();
        assert!(reasons.contains("disk"), "{reasons}");
        for filler in ["fourteen", "almost", "late", "several", "hours"] {
            assert!(!reasons.contains(filler), "{reasons}");
        }
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
