//! Tests of the index as a whole: a reader that decodes the files the way search.js
//! does and ranks like it, run on small archives with known answers, plus the
//! structural bounds that keep every query's downloads small.

use std::collections::HashMap;

use super::encode::{
    self, File, DOC_CHUNK, INLINE_POSTINGS, POSTING_BLOCK_BYTES, TERM_CHUNK_BYTES,
};
use super::{build, text};
use crate::core::model::{Archive, Record};
use crate::pipeline;

/// An archive written to a temporary folder and loaded like `casebook build` does.
fn archive(records: &[(&str, &str)]) -> (tempfile::TempDir, crate::core::model::Archive) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::write(
        root.join("site.toml"),
        "title = \"Test\"\nbase_url = \"https://x.example/\"\ndefault_visibility = \"public\"\n",
    )
    .expect("site.toml");
    std::fs::create_dir_all(root.join("content/incidents")).expect("content");
    for (name, text) in records {
        std::fs::write(root.join("content/incidents").join(name), text).expect("record");
    }
    let today = "2025-01-15".parse().expect("date");
    let setup = pipeline::Setup::load(root).expect("site.toml");
    let checked = pipeline::check(root, setup, today, false);
    (dir, checked.archive)
}

fn record(id: &str, date: &str, severity: &str, title: &str, extra: &str, body: &str) -> String {
    format!(
        "---\nid: {id}\ntitle: {title}\ndate: {date}\nseverity: {severity}\nstatus: resolved\n\
         resolved: {date}T10:00:00Z\nreview: approved\n{extra}---\n\n{body}\n"
    )
}

/// The index files of every record of `archive`, before compression.
fn index_files(archive: &Archive) -> Vec<File> {
    index_files_of(archive, |_| true)
}

/// The index files of the records of `archive` that `keep` accepts, before
/// compression, with the documents a build makes of them.
fn index_files_of(archive: &Archive, keep: impl Fn(&Record) -> bool) -> Vec<File> {
    let records: Vec<&Record> = archive.records.iter().filter(|r| keep(r)).collect();
    let figures = crate::analysis::figures(&records, "2025-01-15".parse().expect("date"));
    let docs = super::documents(&records, &figures);
    encode::encode(&build::build(&docs, &archive.config, None))
}

/// A term as the dictionary describes it, with its postings decoded.
struct Entry {
    df: usize,
    postings: Vec<(usize, u8)>,
}

/// Reads the index files like search.js.
struct Reader {
    manifest: serde_json::Value,
    files: HashMap<String, Vec<u8>>,
}

fn varint(bytes: &[u8], at: &mut usize) -> usize {
    let (mut value, mut shift) = (0usize, 0);
    loop {
        let b = bytes[*at];
        *at += 1;
        value |= usize::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return value;
        }
    }
}

fn rest(bytes: &[u8], at: &mut usize, prefix: &[u8]) -> Vec<u8> {
    let shared = varint(bytes, at);
    let len = varint(bytes, at);
    let mut out = prefix[..shared].to_vec();
    out.extend_from_slice(&bytes[*at..*at + len]);
    *at += len;
    out
}

impl Reader {
    fn new(files: &[File]) -> Reader {
        let files: HashMap<String, Vec<u8>> = files
            .iter()
            .map(|f| (f.path.clone(), f.bytes.clone()))
            .collect();
        let manifest = serde_json::from_slice(&files["manifest.json"]).expect("manifest");
        Reader { manifest, files }
    }

    fn lookup(&self, term: &str) -> Option<Entry> {
        let chunks = self.manifest["chunks"].as_array().expect("chunks");
        let n = chunks
            .iter()
            .rposition(|first| first.as_str().expect("term") <= term)
            .unwrap_or(0);
        let bytes = &self.files[&format!("t/{n}.bin")];
        let mut at = 0;
        let count = varint(bytes, &mut at);
        let mut previous = Vec::new();
        for _ in 0..count {
            let key = rest(bytes, &mut at, &previous);
            for _ in 0..varint(bytes, &mut at) {
                rest(bytes, &mut at, &key);
            }
            let df = varint(bytes, &mut at);
            let len = varint(bytes, &mut at);
            let postings = if len <= INLINE_POSTINGS {
                at += len;
                bytes[at - len..at].to_vec()
            } else {
                let block = varint(bytes, &mut at);
                let offset = varint(bytes, &mut at);
                self.files[&format!("p/{block}.bin")][offset..offset + len].to_vec()
            };
            for _ in 0..3 {
                varint(bytes, &mut at);
            }
            if key == term.as_bytes() {
                let (mut docs, mut i, mut doc) = (Vec::new(), 0, 0);
                while i < postings.len() {
                    doc += varint(&postings, &mut i);
                    docs.push((doc, postings[i]));
                    i += 1;
                }
                return Some(Entry { df, postings: docs });
            }
            previous = key;
        }
        None
    }

    fn id(&self, doc: usize) -> String {
        let chunk: serde_json::Value =
            serde_json::from_slice(&self.files[&format!("d/{}.bin", doc / DOC_CHUNK)])
                .expect("docs");
        chunk[doc % DOC_CHUNK]["id"]
            .as_str()
            .expect("id")
            .to_string()
    }

    /// Ids of the records with every term of `query`, best first: the sum over terms
    /// of idf times impact, as search.js ranks.
    fn search(&self, query: &str) -> Vec<String> {
        let n = self.manifest["documents"].as_f64().expect("documents");
        let mut scores: Option<HashMap<usize, f64>> = None;
        for term in text::terms(query) {
            let Some(entry) = self.lookup(&term) else {
                return Vec::new();
            };
            let df = entry.df as f64;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            let these: HashMap<usize, f64> = entry
                .postings
                .iter()
                .map(|&(doc, impact)| (doc, idf * f64::from(impact) / 255.0))
                .collect();
            scores = Some(match scores {
                None => these,
                Some(old) => old
                    .into_iter()
                    .filter_map(|(doc, s)| these.get(&doc).map(|t| (doc, s + t)))
                    .collect(),
            });
        }
        let mut ranked: Vec<(usize, f64)> = scores.unwrap_or_default().into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.into_iter().map(|(doc, _)| self.id(doc)).collect()
    }
}

fn fixture() -> (tempfile::TempDir, crate::core::model::Archive) {
    let filler = "The team reviewed dashboards and wrote follow-ups. ".repeat(40);
    archive(&[
        (
            "a.md",
            &record(
                "INC-1",
                "2024-09-18",
                "SEV1",
                "Database connection pool exhaustion",
                "services: [payments]\n",
                "A leak held connections until the pool ran dry.",
            ),
        ),
        (
            "b.md",
            &record(
                "INC-2",
                "2024-10-01",
                "SEV2",
                "Expired certificate on the edge",
                "",
                &format!("{filler} One connection was retried. {filler}"),
            ),
        ),
        (
            "c.md",
            &record(
                "INC-3",
                "2024-11-05",
                "SEV3",
                "Kafka consumer lag",
                "summary: The consumer's connection pool was too small for the backlog.\n",
                &filler,
            ),
        ),
        (
            "d.md",
            &record(
                "INC-2024-0918",
                "2024-12-01",
                "SEV2",
                "Sizing review",
                "",
                &format!("{filler} We changed the pool size. {filler} Nobody lost a connection."),
            ),
        ),
    ])
}

#[test]
fn ranks_title_over_summary_over_body() {
    let (_dir, archive) = fixture();
    let reader = Reader::new(&index_files(&archive));
    // Both words: in the title, then in the summary, then far apart in a body.
    assert_eq!(
        reader.search("connection pool"),
        ["INC-1", "INC-3", "INC-2024-0918"]
    );
    // Another form of the word finds every record that has it, the body-only one last.
    let all = reader.search("connections");
    assert_eq!(all.len(), 4);
    assert_eq!(all[0], "INC-1");
    assert_eq!(all[3], "INC-2");
    assert_eq!(reader.search("expiring certificates"), ["INC-2"]);
    assert!(reader.search("zeppelin").is_empty());
}

#[test]
fn ids_are_one_term_and_their_parts_still_match() {
    let (_dir, archive) = fixture();
    let reader = Reader::new(&index_files(&archive));
    assert_eq!(reader.search("INC-2024-0918"), ["INC-2024-0918"]);
    assert_eq!(reader.search("inc-2024-0918 pool"), ["INC-2024-0918"]);
    assert!(reader.lookup("0918").is_some());
}

#[test]
fn the_index_holds_only_the_records_it_is_given() {
    let (_dir, archive) = fixture();
    let files = index_files(&archive);
    let everything: Vec<u8> = files.iter().flat_map(|f| f.bytes.clone()).collect();
    let contains = |needle: &str| {
        everything
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    };
    assert!(contains("exhaustion") && contains("INC-3"));
    // Without INC-3, nothing of it remains: not its id, title words or summary.
    let files = index_files_of(&archive, |r| r.id.value != "INC-3");
    let everything: Vec<u8> = files.iter().flat_map(|f| f.bytes.clone()).collect();
    for gone in ["INC-3", "kafka", "backlog", "consum"] {
        assert!(
            !everything.windows(gone.len()).any(|w| w == gone.as_bytes()),
            "{gone} is still in the index"
        );
    }
}

#[test]
fn output_bytes_do_not_depend_on_the_thread_count() {
    let (_dir, archive) = fixture();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(|| index_files(&archive));
    let many = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .expect("pool")
        .install(|| index_files(&archive));
    assert_eq!(one.len(), many.len());
    for (a, b) in one.iter().zip(&many) {
        assert_eq!((&a.path, &a.bytes), (&b.path, &b.bytes));
    }
}

/// A generated archive: many records over a small vocabulary, so terms are common.
fn generated(records: usize) -> (tempfile::TempDir, crate::core::model::Archive) {
    const WORDS: &[&str] = &[
        "database",
        "connection",
        "pool",
        "timeout",
        "certificate",
        "expired",
        "kafka",
        "lag",
        "deploy",
        "rollback",
        "cache",
        "memory",
        "leak",
        "dns",
        "resolver",
        "disk",
        "queue",
        "retry",
        "latency",
        "replica",
        "failover",
        "quota",
        "throttle",
        "index",
    ];
    let mut seed = 7u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let mut files = Vec::new();
    for i in 0..records {
        let body: Vec<&str> = (0..300).map(|_| WORDS[next() % WORDS.len()]).collect();
        let title = format!(
            "{} {} incident {i}",
            WORDS[next() % WORDS.len()],
            WORDS[next() % WORDS.len()]
        );
        let month = 1 + i % 12;
        files.push((
            format!("r{i}.md"),
            record(
                &format!("INC-{i}"),
                &format!("2023-{month:02}-01"),
                "SEV2",
                &title,
                "",
                &body.join(" "),
            ),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    archive(&refs)
}

/// The size of a file as written to disk.
fn stored_len(file: &File) -> usize {
    File {
        path: file.path.clone(),
        bytes: file.bytes.clone(),
        level: file.level,
    }
    .stored()
    .len()
}

#[test]
fn every_piece_stays_within_its_size_bound() {
    let (_dir, archive) = generated(600);
    let files = index_files(&archive);
    // The largest dictionary entry bounds how far a chunk can pass its target.
    let mut term_chunks = 0;
    for file in &files {
        let size = file.bytes.len();
        match file.path.split('/').next() {
            Some("t") => {
                term_chunks += 1;
                assert!(size < TERM_CHUNK_BYTES + 256, "{}: {size}", file.path);
            }
            Some("d") => {
                let docs: Vec<serde_json::Value> =
                    serde_json::from_slice(&file.bytes).expect("docs");
                assert!(docs.len() <= DOC_CHUNK);
            }
            _ => {}
        }
    }
    assert!(term_chunks >= 1);
    // A posting block over its target holds one term only: check with the reader
    // that every term's postings decode to its df.
    let reader = Reader::new(&files);
    for word in ["database", "pool", "index"] {
        let entry = reader.lookup(&text::terms(word)[0]).expect("a term");
        assert_eq!(entry.df, entry.postings.len());
        assert!(entry.df > 500, "{word}: {}", entry.df);
    }
    let blocks: Vec<&File> = files.iter().filter(|f| f.path.starts_with("p/")).collect();
    let oversized = blocks
        .iter()
        .filter(|f| f.bytes.len() > POSTING_BLOCK_BYTES)
        .count();
    // Only the common terms' own blocks exceed the target, never a shared one.
    assert!(oversized <= 24 + 3, "{oversized} oversized blocks");
    // What a first two-word query needs, compressed: the manifest, the facets, two
    // term chunks, two posting blocks and the chunks of twenty results.
    let stored = |path: &str| files.iter().find(|f| f.path == path).map_or(0, stored_len);
    let largest = |prefix: &str| {
        files
            .iter()
            .filter(|f| f.path.starts_with(prefix))
            .map(stored_len)
            .max()
            .unwrap_or(0)
    };
    let first_query = stored("manifest.json")
        + stored("facets.bin")
        + 2 * largest("t/")
        + 2 * largest("p/")
        + 20 * largest("d/");
    assert!(first_query < 150 * 1024, "{first_query} bytes");
}

/// A record with every field the index reads.
const FULL: &str = "---
id: INC-1
title: Checkout pool ran dry
date: 2025-01-10
severity: SEV2
status: resolved
resolved: 2025-01-10T10:00:00Z
review: approved
summary: The connection pool was too small for the backlog.
services: [checkout]
tags: [database]
commander: Ada Lovelace
authors: [Platform Team]
impact:
  description: Orders failed for an hour.
timeline:
  - at: \"09:00\"
    event: Alerts fired on checkout errors
action_items:
  - title: Raise the pool size
    owner: ada
---

Connections were exhausted while retries piled up.
";

/// The index files (path and bytes before compression) of `records`, built
/// through `kept`, and how many documents were analyzed anew.
fn kept_files(
    records: &[Record],
    archive: &Archive,
    kept: Option<&mut build::KeptDocs>,
) -> (Vec<(String, Vec<u8>)>, Option<usize>) {
    let refs: Vec<&Record> = records.iter().collect();
    let figures = crate::analysis::figures(&refs, "2025-01-15".parse().expect("date"));
    let docs = super::documents(&refs, &figures);
    let mut kept = kept;
    let mut index = build::build(&docs, &archive.config, kept.as_deref_mut());
    let files = encode::encode(&index)
        .into_iter()
        .map(|f| (f.path, f.bytes))
        .collect();
    // As `index` does: the positions go back to the memo once encoded.
    if let Some(kept) = kept.as_deref_mut() {
        kept.keep_positions(&mut index.terms);
    }
    (files, kept.map(|k| k.analyzed()))
}

#[test]
fn a_kept_document_is_reused_only_while_every_text_it_indexes_is_the_same() {
    let other = record(
        "INC-2",
        "2025-01-12",
        "SEV3",
        "Cache warmed slowly",
        "",
        "Nothing connected.",
    );
    let (_dir, archive) = archive(&[("a.md", FULL), ("b.md", &other)]);
    let records = archive.records.clone();
    let full = records.iter().position(|r| r.id.value == "INC-1");
    let full = full.expect("INC-1 loads");
    assert!(!records[full].timeline.is_empty() && !records[full].action_items.is_empty());
    let fresh = |records: &[Record]| kept_files(records, &archive, None).0;
    let mut kept = build::KeptDocs::default();
    // How many documents a build through `kept` analyzed, and whether its files
    // are a fresh build's.
    let mut run = |records: &[Record]| {
        let (files, analyzed) = kept_files(records, &archive, Some(&mut kept));
        (analyzed.expect("kept"), files == fresh(records))
    };
    assert_eq!(run(&records), (2, true));
    assert_eq!(
        run(&records),
        (0, true),
        "nothing changed: every document is kept"
    );

    type Edit = fn(&mut Record);
    let edits: [(&str, Edit); 13] = [
        ("title", |r| r.title.push_str(" again")),
        ("id", |r| r.id.value.push('9')),
        ("severity", |r| r.severity = "SEV1".into()),
        ("status", |r| r.status.value = "monitoring".into()),
        ("service", |r| r.services[0].value.push_str("-eu")),
        ("tag", |r| r.tags[0].value.push_str("-pool")),
        ("summary", |r| {
            if let Some(summary) = &mut r.summary {
                summary.value.push_str(" Again.");
            }
        }),
        ("body", |r| {
            r.yaml_body = Some(format!("{} Retried.", r.body()))
        }),
        ("timeline", |r| r.timeline[0].event.value.push_str(" again")),
        ("action item", |r| {
            r.action_items[0].title.value.push_str(" again")
        }),
        ("impact", |r| {
            r.impact.description = Some("Orders were late.".into())
        }),
        ("commander", |r| r.commander = Some("Grace Hopper".into())),
        ("authors", |r| r.authors.push("Storage Team".into())),
    ];
    for (what, edit) in edits {
        let mut edited = records.clone();
        edit(&mut edited[full]);
        assert_eq!(run(&edited), (1, true), "{what} edited: analyzed again");
        assert_eq!(run(&records), (1, true), "{what} undone: analyzed again");
    }
    let mut dated = records.clone();
    dated[full].date = "2025-01-11".parse().expect("date");
    assert_eq!(
        run(&dated),
        (0, true),
        "the date is no text of the index: kept"
    );
    let without: Vec<Record> = records
        .iter()
        .filter(|r| r.id.value != "INC-1")
        .cloned()
        .collect();
    assert_eq!(
        run(&without),
        (0, true),
        "a record removed: its words and variants go"
    );
    assert_eq!(run(&records), (1, true), "and come back with it");
}
