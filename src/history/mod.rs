//! Stage 3, history: what git knows about each record, read once per build.
//!
//! One walk over the commits reachable from `HEAD` diffs each commit's tree of
//! `content/incidents/` against its parents' (`walk`, with `tree_diff` skipping the
//! equal stretches of the trees' bytes, and `delta` reading trees and older record
//! versions from the packs directly), follows renames, and gives every record its
//! dates and the people who changed it (`.mailmap` applied). `follow` then decodes
//! only the versions of a record that changed, from the newest back, to find the
//! commit in which `review` became `approved` and each action item was closed.
//! `forge` turns a record's path into history and edit links. Outside a repository
//! there is no [`History`] and the build is the same as without this stage.

mod delta;
pub mod follow;
pub mod forge;
pub mod tree_diff;
pub mod walk;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;

use crate::core::diag::{Diagnostic, Source};
use crate::core::model::Archive;
use crate::core::rules::Rule;

/// What git can tell about a date or a commit: the value, or that the history this
/// clone holds cannot tell (a shallow clone cut it off).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Known<T> {
    Yes(T),
    Unknown,
}

impl<T> Known<T> {
    /// The value when history knows it.
    pub fn known(&self) -> Option<&T> {
        match self {
            Known::Yes(v) => Some(v),
            Known::Unknown => None,
        }
    }
}

/// A commit that changed a record: when, and who wrote it (`.mailmap` applied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    pub id: String,
    pub at: Timestamp,
    pub author: String,
}

/// What history says about one record file.
#[derive(Clone, Debug)]
pub struct RecordHistory {
    /// The file's path from the repository's root (`/`-separated), for forge links.
    pub repo_path: String,
    /// The commit that added the file, following renames.
    pub first_committed: Known<Commit>,
    /// The newest commit that changed the file (commits in the ignore-revs file left out).
    pub last_changed: Known<Commit>,
    /// Everyone who changed the file, first contribution first.
    pub contributors: Vec<String>,
    /// False when a shallow clone hides older commits, so people may be missing.
    pub contributors_complete: bool,
    /// The commit in which `review` became `approved`; `None` when the committed
    /// record is not approved.
    pub approved: Option<Known<Commit>>,
    /// For each closed action item (`done` or `wont-do` in the committed file), by
    /// its key ([`follow::item_key`]), the commit that closed it.
    pub closed: HashMap<String, Known<Commit>>,
    /// The blob `HEAD` holds at the file's path, when it holds one.
    pub head_blob: Option<gix::ObjectId>,
    /// The file in the work tree differs from `HEAD` (only looked at by `serve`).
    pub modified_now: bool,
}

/// Everything the history stage read, for the stages after it.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// By the record's path relative to the archive root (as in `Record::path`).
    pub records: HashMap<PathBuf, RecordHistory>,
    /// Records whose file no commit holds yet.
    pub uncommitted: HashSet<PathBuf>,
    /// The branch `HEAD` is on, when it is on one.
    pub branch: Option<String>,
    /// The clone is shallow: what it cannot know is marked unknown.
    pub shallow: bool,
}

impl History {
    /// The history of the record at `path` (relative to the archive root).
    pub fn record(&self, path: &Path) -> Option<&RecordHistory> {
        self.records.get(path)
    }
}

/// The commit `HEAD` points to in the repository around `root` (found as the walk
/// finds it), to notice when it moves; `None` outside a repository or before the
/// first commit.
pub fn head(root: &Path) -> Option<String> {
    let repo = gix::open(walk::find_git(root)?).ok()?;
    let id = repo.head_id().ok()?;
    Some(id.to_string())
}

/// The files that change when `HEAD` moves, in the repository around `root` (found
/// as the walk finds it), for `serve` to watch: `HEAD` itself (a checkout of another
/// branch) and its reflog `logs/HEAD`, which every commit, checkout, reset, merge
/// and pull appends to. Empty outside a repository.
pub fn head_files(root: &Path) -> Vec<PathBuf> {
    let Some(repo) = walk::find_git(root).and_then(|top| gix::open(top).ok()) else {
        return Vec::new();
    };
    let git_dir = repo.git_dir();
    let git_dir = git_dir
        .canonicalize()
        .unwrap_or_else(|_| git_dir.to_path_buf());
    vec![git_dir.join("HEAD"), git_dir.join("logs").join("HEAD")]
}

/// What [`mark_modified`] found for each record file, kept by `serve` between
/// rebuilds so that only records whose text changed are hashed again.
#[derive(Default)]
pub struct ModifiedMemo {
    answers: HashMap<PathBuf, ModifiedAnswer>,
}

/// Whether one record's text differed from the blob `HEAD` held, and what that
/// answer was worked out from. The text is kept as the very allocation the record
/// carried: serve's decode cache hands the same one back while the file is
/// unchanged, and holding it means no other text can take its address, so the same
/// allocation is the same text.
struct ModifiedAnswer {
    text: Arc<Source>,
    committed: Option<gix::ObjectId>,
    modified: bool,
}

/// Marks the records whose text differs from what `HEAD` holds (`serve` shows
/// them as "modified now"). A record no commit holds is marked too. A record whose
/// text and `HEAD` blob are those of an answer in `memo` keeps that answer; the
/// memo is left holding this archive's answers only.
pub fn mark_modified(history: &mut History, archive: &Archive, memo: &mut ModifiedMemo) {
    use rayon::prelude::*;
    let answers: Vec<(&Path, ModifiedAnswer)> = archive
        .records
        .par_iter()
        .map(|record| {
            let committed = history.records.get(&record.path).and_then(|h| h.head_blob);
            let kept = memo.answers.get(&record.path).filter(|answer| {
                Arc::ptr_eq(&answer.text, &record.source) && answer.committed == committed
            });
            let modified = match kept {
                Some(answer) => answer.modified,
                None => committed.is_none_or(|blob| !holds_text(blob, &record.source.text)),
            };
            let answer = ModifiedAnswer {
                text: Arc::clone(&record.source),
                committed,
                modified,
            };
            (record.path.as_path(), answer)
        })
        .collect();
    let changed: HashSet<&Path> = answers
        .iter()
        .filter(|(_, answer)| answer.modified)
        .map(|(path, _)| *path)
        .collect();
    for (path, record) in history.records.iter_mut() {
        record.modified_now = changed.contains(path.as_path());
    }
    memo.answers = answers
        .into_iter()
        .map(|(path, answer)| (path.to_path_buf(), answer))
        .collect();
}

/// Whether the blob `blob` holds exactly the bytes of `text`.
fn holds_text(blob: gix::ObjectId, text: &str) -> bool {
    gix::objs::compute_hash(blob.kind(), gix::objs::Kind::Blob, text.as_bytes()).ok() == Some(blob)
}

/// The warning that the repository around `root` is a shallow clone (CB0301), when
/// it is one. `casebook check` says it as `build`, `serve` and `actions` do, so a CI
/// job learns of it from its first step; it costs one look for git's `shallow`
/// file, which lists the clone's boundary commits.
pub fn shallow_clone(root: &Path) -> Option<Diagnostic> {
    let repo = gix::open(walk::find_git(root)?).ok()?;
    let boundary = repo.shallow_file().ok()?;
    std::fs::metadata(boundary).ok().filter(|m| m.len() > 0)?;
    Some(
        Diagnostic::new(
            Rule::ShallowClone,
            "the repository is a shallow clone: dates and people older than its history are shown as unknown",
        )
        .help("fetch the full history: `git fetch --unshallow`, or `fetch-depth: 0` in GitHub Actions' checkout step"),
    )
}

/// What reading history gave: the history when the archive is in a repository whose
/// history could be read, and the warnings to show once (a shallow clone is
/// [`shallow_clone`]'s).
pub struct HistoryRead {
    pub history: Option<History>,
    pub findings: Vec<Diagnostic>,
}

/// The first half of the history stage, the walk over the repository
/// ([`walk::walk`]), with its findings and how long it took: it needs no record, so
/// `build` runs it while the records load, and [`Walked::records`] finishes it.
pub struct Walked {
    walk: Result<Option<walk::RepositoryWalk>, walk::WalkError>,
    findings: Vec<Diagnostic>,
    /// How long the walk took, for `--timings`.
    pub took: std::time::Duration,
}

/// Walks the repository holding the archive at `root`. `ignore_revs_file` is
/// site.toml's.
pub fn walk(root: &Path, ignore_revs_file: Option<&Path>) -> Walked {
    let started = std::time::Instant::now();
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut findings = Vec::new();
    let walk = walk::walk(&root, ignore_revs_file, &mut findings);
    Walked {
        walk,
        findings,
        took: started.elapsed(),
    }
}

impl Walked {
    /// Each record's history from the walk. Outside a repository there is no
    /// history and no finding; a repository that cannot be read gives a warning
    /// and no history, so the build still succeeds.
    pub fn records(self, archive: &Archive) -> HistoryRead {
        let Walked {
            walk, mut findings, ..
        } = self;
        let history = match walk {
            Ok(found) => found.map(|found| walk::records(found, archive)),
            Err(error) => {
                findings.push(
                    Diagnostic::new(
                        Rule::GitUnreadable,
                        format!("the git history cannot be read, so records show no dates from git: {error}"),
                    )
                    .help("check the repository with `git fsck`; the site is built without history"),
                );
                None
            }
        };
        HistoryRead { history, findings }
    }
}

/// Reads the history of every record of `archive`: the walk, then the records.
pub fn read(archive: &Archive) -> HistoryRead {
    walk(&archive.root, archive.config.ignore_revs_file.as_deref()).records(archive)
}
