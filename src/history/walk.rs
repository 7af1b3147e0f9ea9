//! The one walk over history: every commit reachable from `HEAD`, its tree of
//! `content/incidents/` diffed against its parents', renames paired, and each
//! record file's commits gathered from those differences.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use gix::objs::FindExt;
use gix::ObjectId;
use jiff::Timestamp;

use super::delta::Packs;
use super::tree_diff::{self, Change, TreeEntry};
use super::{follow, Commit, History, Known, RecordHistory};
use crate::core::diag::Diagnostic;
use crate::core::model::Archive;
use crate::core::paths::slash_path;
use crate::core::rules::Rule;
use crate::load::INCIDENTS_DIR;

/// Why the history of a repository could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("{0}")]
    Git(String),
    #[error(transparent)]
    Tree(#[from] tree_diff::Malformed),
}

fn git<E: std::fmt::Display>(error: E) -> WalkError {
    WalkError::Git(error.to_string())
}

/// One commit of the walk.
pub struct CommitInfo {
    pub id: ObjectId,
    pub parents: Vec<usize>,
    pub author: String,
    pub at: Timestamp,
    /// The tree of `content/incidents/`, when the commit has one.
    pub incidents: Option<ObjectId>,
    /// A shallow clone's oldest commit: its parents are not in the clone.
    pub boundary: bool,
    /// Listed in the ignore-revs file.
    pub ignored: bool,
}

impl CommitInfo {
    /// The commit as the stages after history show it.
    pub(super) fn summary(&self) -> Commit {
        Commit {
            id: self.id.to_string(),
            at: self.at,
            author: self.author.clone(),
        }
    }
}

/// A record file's version: the commit that wrote it and the blob it wrote.
#[derive(Clone, Copy, Debug)]
pub struct Version {
    pub commit: usize,
    pub blob: ObjectId,
}

/// How much memory the cache of delta bases may hold in a handle that reads blobs,
/// which are stored as deltas of other records' blobs in no useful order.
const PACK_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Opens the repository at `top` with a cache of delta bases of `cache_bytes`:
/// objects are stored as deltas of one another, and without it every object would
/// be rebuilt from the start of its chain.
fn open(top: &Path, cache_bytes: usize) -> Result<gix::Repository, WalkError> {
    let mut repo = gix::open(top).map_err(git)?;
    repo.objects.set_pack_cache(move || {
        Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
            cache_bytes,
        ))
    });
    Ok(repo)
}

/// A thread's way to the repository's blobs: the packs read directly, every delta
/// base kept ([`Packs::read_object`]), and its own repository handle for the rest.
pub struct Objects {
    repo: gix::Repository,
    packs: Packs,
    buf: Vec<u8>,
}

impl Objects {
    fn open(top: &Path) -> Result<Objects, WalkError> {
        let repo = open(top, PACK_CACHE_BYTES)?;
        let packs = Packs::open(repo.objects.store_ref().path(), repo.object_hash());
        Ok(Objects {
            repo,
            packs,
            buf: Vec::new(),
        })
    }

    /// The bytes of the blob `id`, or `None` when it cannot be read.
    pub(super) fn blob(&mut self, id: &ObjectId) -> Option<&[u8]> {
        if self.packs.read_object(id, &mut self.buf) {
            return Some(&self.buf);
        }
        let blob = self.repo.objects.find_blob(id, &mut self.buf).ok()?;
        Some(blob.data)
    }
}

/// The folder holding the `.git` at or above `dir`, or `None` when `dir` is in no
/// repository. Like git, the search does not go up into a folder listed in
/// `GIT_CEILING_DIRECTORIES` (absolute paths separated by `:`).
pub(super) fn find_git(dir: &Path) -> Option<PathBuf> {
    let ceilings: Vec<PathBuf> = std::env::var_os("GIT_CEILING_DIRECTORIES")
        .map(|list| {
            std::env::split_paths(&list)
                .filter(|p| p.is_absolute())
                .collect()
        })
        .unwrap_or_default();
    dir.ancestors()
        .enumerate()
        .take_while(|(n, d)| *n == 0 || !ceilings.iter().any(|c| c == d))
        .map(|(_, d)| d)
        .find(|d| d.join(".git").symlink_metadata().is_ok())
        .map(Path::to_path_buf)
}

/// What the walk over the repository found before any record is looked at: the
/// commits, each file's versions, and the files of `HEAD`. It needs only the
/// archive's folder and site.toml's ignore-revs file, so `build` runs it while the
/// records load; [`records`] then reads each record's history from it.
pub struct RepositoryWalk {
    /// The folder holding `.git`.
    top: PathBuf,
    /// The archive's folder from the repository's root, with a final `/`, or empty.
    repo_prefix: String,
    commits: Vec<CommitInfo>,
    versions: HashMap<String, Vec<Version>>,
    head_files: HashMap<String, ObjectId>,
    /// The branch and whether the clone is shallow; no record yet.
    history: History,
}

/// Walks the repository holding `root` (canonical), or `None` when it is in no
/// repository. `ignore_revs_file` is site.toml's, relative to `root`.
pub fn walk(
    root: &Path,
    ignore_revs_file: Option<&Path>,
    findings: &mut Vec<Diagnostic>,
) -> Result<Option<RepositoryWalk>, WalkError> {
    let Some(top) = find_git(root) else {
        return Ok(None);
    };
    let repo = open(&top, PACK_CACHE_BYTES)?;
    let workdir = repo
        .workdir()
        .and_then(|w| w.canonicalize().ok())
        .unwrap_or_else(|| top.clone());
    let prefix = root
        .strip_prefix(&workdir)
        .map(slash_path)
        .unwrap_or_default();
    let branch = repo
        .head_name()
        .ok()
        .flatten()
        .map(|name| name.shorten().to_string());
    let shallow: HashSet<ObjectId> = repo
        .shallow_commits()
        .map_err(git)?
        .map(|commits| commits.iter().copied().collect())
        .unwrap_or_default();
    let ignored = ignore_revs(root, ignore_revs_file, findings);
    let mut found = RepositoryWalk {
        top: top.clone(),
        repo_prefix: if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}/")
        },
        commits: Vec::new(),
        versions: HashMap::new(),
        head_files: HashMap::new(),
        history: History {
            records: HashMap::new(),
            uncommitted: HashSet::new(),
            branch,
            shallow: !shallow.is_empty(),
        },
    };
    let head = match repo.head_id() {
        Ok(id) => id.detach(),
        // A repository without a commit yet: nothing is committed.
        Err(_) if repo.head().map(|h| h.is_unborn()).unwrap_or(false) => return Ok(Some(found)),
        Err(error) => return Err(git(error)),
    };
    let incidents_path: Vec<String> = prefix
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .chain(INCIDENTS_DIR.split('/').map(str::to_string))
        .collect();
    let mailmap = repo.open_mailmap();
    let commits = commits(&repo, head, &shallow, &ignored, &incidents_path, &mailmap)?;
    found.versions = versions(&top, &repo, &commits)?;
    if let Some(tree) = commits.last().and_then(|c| c.incidents) {
        found.head_files = files(&repo, tree)?;
    }
    found.commits = commits;
    Ok(Some(found))
}

/// Each record's history from the walk: its dates, people and follow-through.
pub fn records(walk: RepositoryWalk, archive: &Archive) -> History {
    let RepositoryWalk {
        top,
        repo_prefix,
        commits,
        versions,
        head_files,
        mut history,
    } = walk;
    if commits.is_empty() {
        return history;
    }
    // A repository handle is not shared between threads. Each thread opens one and
    // keeps it, with the delta bases it has read, for every n-th record: a handle
    // for each batch of records would start empty dozens of times.
    let threads = rayon::current_num_threads().max(1);
    let found: Vec<Vec<Result<(PathBuf, RecordHistory), PathBuf>>> = {
        use rayon::prelude::*;
        (0..threads)
            .into_par_iter()
            .map(|first| {
                let mut objects = Objects::open(&top).ok();
                archive
                    .records
                    .iter()
                    .skip(first)
                    .step_by(threads)
                    .map(|record| {
                        let path = slash_path(&record.path);
                        let inside = path
                            .strip_prefix(INCIDENTS_DIR)
                            .and_then(|p| p.strip_prefix('/'))
                            .unwrap_or(&path);
                        let own = versions.get(inside).map(Vec::as_slice).unwrap_or_default();
                        if own.is_empty() {
                            return Err(record.path.clone());
                        }
                        let mut found = summarize(&repo_prefix, &path, own, &commits);
                        if let Some(objects) = objects.as_mut() {
                            follow::follow(
                                objects,
                                record,
                                own,
                                &commits,
                                &mut found,
                                &archive.config,
                            );
                        }
                        found.head_blob = head_files.get(inside).copied();
                        Ok((record.path.clone(), found))
                    })
                    .collect()
            })
            .collect()
    };
    for result in found.into_iter().flatten() {
        match result {
            Ok((path, found)) => {
                history.records.insert(path, found);
            }
            Err(path) => {
                history.uncommitted.insert(path);
            }
        }
    }
    history
}

/// The commits listed in site.toml's `ignore_revs_file` (git's
/// `blame.ignoreRevsFile` format: one full commit id a line, `#` comments).
fn ignore_revs(
    root: &Path,
    file: Option<&Path>,
    findings: &mut Vec<Diagnostic>,
) -> HashSet<ObjectId> {
    let Some(file) = file else {
        return HashSet::new();
    };
    let path = root.join(file);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => {
            findings.push(Diagnostic::new(
                Rule::IgnoreRevs,
                format!(
                    "the ignore-revs file `{}` cannot be read: {error}",
                    file.display()
                ),
            ));
            return HashSet::new();
        }
    };
    let mut ids = HashSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        match ObjectId::from_hex(line.as_bytes()) {
            Ok(id) => {
                ids.insert(id);
            }
            Err(_) => findings.push(Diagnostic::new(
                Rule::IgnoreRevs,
                format!(
                    "line {} of the ignore-revs file `{}` is not a full commit id: `{line}`",
                    n + 1,
                    file.display()
                ),
            )),
        }
    }
    ids
}

/// Every commit reachable from `head`, parents before children.
fn commits(
    repo: &gix::Repository,
    head: ObjectId,
    shallow: &HashSet<ObjectId>,
    ignored: &HashSet<ObjectId>,
    incidents_path: &[String],
    mailmap: &gix::mailmap::Snapshot,
) -> Result<Vec<CommitInfo>, WalkError> {
    let mut index: HashMap<ObjectId, usize> = HashMap::new();
    let mut out: Vec<CommitInfo> = Vec::new();
    let mut parents_of: Vec<Vec<ObjectId>> = Vec::new();
    // Depth-first, a commit leaves the stack once all its parents have an index.
    let mut stack = vec![(head, false)];
    let mut buf = Vec::new();
    let mut tree_buf = Vec::new();
    while let Some((id, expanded)) = stack.pop() {
        if index.contains_key(&id) {
            continue;
        }
        let commit = repo.objects.find_commit(&id, &mut buf).map_err(git)?;
        let boundary = shallow.contains(&id);
        let parent_ids: Vec<ObjectId> = if boundary {
            Vec::new()
        } else {
            commit.parents().collect()
        };
        if !expanded {
            stack.push((id, true));
            for parent in parent_ids.iter().rev() {
                if !index.contains_key(parent) {
                    stack.push((*parent, false));
                }
            }
            continue;
        }
        let author = commit.author().map_err(git)?;
        let at = author
            .time()
            .ok()
            .and_then(|t| Timestamp::from_second(t.seconds).ok())
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let name = mailmap.resolve(author).name.to_string();
        let tree = commit.tree();
        let incidents = subtree(repo, tree, incidents_path, &mut tree_buf)?;
        index.insert(id, out.len());
        parents_of.push(parent_ids);
        out.push(CommitInfo {
            id,
            parents: Vec::new(),
            author: name,
            at,
            incidents,
            boundary,
            ignored: ignored.contains(&id),
        });
    }
    for (commit, parents) in out.iter_mut().zip(parents_of) {
        commit.parents = parents
            .iter()
            .filter_map(|p| index.get(p).copied())
            .collect();
    }
    Ok(out)
}

/// The id of the tree at `path` below `tree`.
fn subtree(
    repo: &gix::Repository,
    mut tree: ObjectId,
    path: &[String],
    buf: &mut Vec<u8>,
) -> Result<Option<ObjectId>, WalkError> {
    for part in path {
        let data = repo.objects.find_tree_iter(&tree, buf).map_err(git)?;
        let mut next = None;
        for entry in data {
            let entry = entry.map_err(git)?;
            if entry.filename == part.as_str() && entry.mode.is_tree() {
                next = Some(entry.oid.to_owned());
                break;
            }
        }
        match next {
            Some(id) => tree = id,
            None => return Ok(None),
        }
    }
    Ok(Some(tree))
}

/// Reads the tree `id`'s raw bytes into `buf`, reusing its memory.
fn read_tree(repo: &gix::Repository, id: ObjectId, buf: &mut Vec<u8>) -> Result<(), WalkError> {
    repo.objects.find_tree_iter(&id, buf).map_err(git)?;
    Ok(())
}

/// A tree's raw bytes.
fn tree_bytes(repo: &gix::Repository, id: ObjectId) -> Result<Vec<u8>, WalkError> {
    let mut buf = Vec::new();
    repo.objects.find_tree_iter(&id, &mut buf).map_err(git)?;
    Ok(buf)
}

/// A file that a commit added, changed or removed, below `content/incidents/`.
#[derive(Clone, Debug)]
struct FileChange {
    path: String,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
}

/// Every file below the tree `id`, by path, with its blob.
fn files(repo: &gix::Repository, id: ObjectId) -> Result<HashMap<String, ObjectId>, WalkError> {
    let mut out = HashMap::new();
    let mut pending = vec![(String::new(), id)];
    let id_len = repo.object_hash().len_in_bytes();
    while let Some((dir, id)) = pending.pop() {
        let bytes = tree_bytes(repo, id)?;
        for entry in tree_diff::entries(&bytes, id_len)? {
            let path = join(&dir, entry.name);
            let oid = ObjectId::try_from(entry.id).map_err(git)?;
            if entry.is_tree() {
                pending.push((path, oid));
            } else {
                out.insert(path, oid);
            }
        }
    }
    Ok(out)
}

fn join(dir: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if dir.is_empty() {
        name.into_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// The files that differ between the trees `old` and `new` (either may be absent).
fn changes(
    repo: &gix::Repository,
    dir: &str,
    old: Option<(&[u8], ObjectId)>,
    new: Option<(&[u8], ObjectId)>,
    out: &mut Vec<FileChange>,
) -> Result<(), WalkError> {
    let id_len = repo.object_hash().len_in_bytes();
    let (old_bytes, new_bytes) = (old.map_or(&[][..], |t| t.0), new.map_or(&[][..], |t| t.0));
    if old.map(|t| t.1) == new.map(|t| t.1) {
        return Ok(());
    }
    let mut found: Vec<Change<'_>> = Vec::new();
    tree_diff::diff(old_bytes, new_bytes, id_len, &mut |c| found.push(c))?;
    let side = |e: TreeEntry<'_>| -> Result<(bool, ObjectId), WalkError> {
        Ok((e.is_tree(), ObjectId::try_from(e.id).map_err(git)?))
    };
    for change in found {
        let (name, old, new) = match change {
            Change::Added(e) => (e.name, None, Some(side(e)?)),
            Change::Deleted(e) => (e.name, Some(side(e)?), None),
            Change::Modified { old, new } => (new.name, Some(side(old)?), Some(side(new)?)),
        };
        let path = join(dir, name);
        let old_tree = old.filter(|o| o.0).map(|o| o.1);
        let new_tree = new.filter(|n| n.0).map(|n| n.1);
        if old_tree.is_some() || new_tree.is_some() {
            let old_bytes = old_tree.map(|id| tree_bytes(repo, id)).transpose()?;
            let new_bytes = new_tree.map(|id| tree_bytes(repo, id)).transpose()?;
            changes(
                repo,
                &path,
                old_bytes.as_deref().zip(old_tree),
                new_bytes.as_deref().zip(new_tree),
                out,
            )?;
        }
        let old_blob = old.filter(|o| !o.0).map(|o| o.1);
        let new_blob = new.filter(|n| !n.0).map(|n| n.1);
        if old_blob.is_some() || new_blob.is_some() {
            out.push(FileChange {
                path,
                old: old_blob,
                new: new_blob,
            });
        }
    }
    Ok(())
}

/// The blob at `path` below the tree `tree`.
fn blob_at(
    repo: &gix::Repository,
    tree: Option<ObjectId>,
    path: &str,
) -> Result<Option<ObjectId>, WalkError> {
    let Some(tree) = tree else { return Ok(None) };
    let parts: Vec<String> = path.split('/').map(str::to_string).collect();
    let Some((file, dirs)) = parts.split_last() else {
        return Ok(None);
    };
    let mut buf = Vec::new();
    let Some(dir) = subtree(repo, tree, dirs, &mut buf)? else {
        return Ok(None);
    };
    for entry in repo.objects.find_tree_iter(&dir, &mut buf).map_err(git)? {
        let entry = entry.map_err(git)?;
        if entry.filename == file.as_str() && !entry.mode.is_tree() {
            return Ok(Some(entry.oid.to_owned()));
        }
    }
    Ok(None)
}

/// Each file's versions, oldest first, by its path in `HEAD` (renames followed).
fn versions(
    top: &Path,
    repo: &gix::Repository,
    commits: &[CommitInfo],
) -> Result<HashMap<String, Vec<Version>>, WalkError> {
    // Files by their path at the commit being looked at; a rename moves the list.
    let mut by_path: HashMap<String, Vec<Version>> = HashMap::new();
    let cache_bytes = tree_cache_bytes(repo, commits);
    for (n, found) in changes_by_commit(top, cache_bytes, commits)?
        .into_iter()
        .enumerate()
    {
        apply(repo, n, found, &mut by_path)?;
    }
    Ok(by_path)
}

/// The cache of delta bases for a handle that diffs trees: room for two trees as
/// large as `HEAD`'s, as a tree is most often stored as a delta of the tree read
/// just before it. A larger cache only cycles more memory through the processor's
/// caches (measured: 64 MiB made the walk twice as slow on a repacked repository).
fn tree_cache_bytes(repo: &gix::Repository, commits: &[CommitInfo]) -> usize {
    let head_tree = commits.last().and_then(|c| c.incidents);
    let size = head_tree
        .and_then(|id| repo.find_header(id).ok())
        .map_or(0, |header| header.size());
    usize::try_from(size)
        .unwrap_or(usize::MAX)
        .saturating_mul(2)
        .max(1024 * 1024)
}

/// How many runs of commits each thread diffs: the archive grows along its history,
/// so later commits have larger trees, and runs of equal length would leave a
/// thread idle while another diffs the largest trees.
const RUNS_PER_THREAD: usize = 4;

/// The files each commit changed, in commit order. Diffing the trees is most of the
/// walk, so it runs on every core: the commits are cut into contiguous runs, each
/// diffed with its own repository handle (a handle is not shared between threads)
/// and its own delta-base cache, in which each tree is the base of the next.
fn changes_by_commit(
    top: &Path,
    cache_bytes: usize,
    commits: &[CommitInfo],
) -> Result<Vec<Vec<FileChange>>, WalkError> {
    use rayon::prelude::*;
    let runs = rayon::current_num_threads().max(1) * RUNS_PER_THREAD;
    let run_len = commits.len().div_ceil(runs).max(1);
    let found: Vec<Vec<Vec<FileChange>>> = (0..commits.len())
        .step_by(run_len)
        .collect::<Vec<usize>>()
        .into_par_iter()
        .map(|start| {
            let repo = open(top, cache_bytes)?;
            run_changes(&repo, commits, start..commits.len().min(start + run_len))
        })
        .collect::<Result<_, _>>()?;
    Ok(found.into_iter().flatten().collect())
}

/// The files each commit of `run` changed. The run is walked in the order its
/// trees are stored in: packs made by `git gc`, `git repack` or a server keep the
/// newest version of a tree whole and each older one as a delta of the next, so
/// those are walked newest first; packs made by `git fast-import` the other way.
/// Walked against that order, each tree would be rebuilt from the far end of its
/// delta chain.
fn run_changes(
    repo: &gix::Repository,
    commits: &[CommitInfo],
    run: std::ops::Range<usize>,
) -> Result<Vec<Vec<FileChange>>, WalkError> {
    let mut trees = Trees {
        packs: Packs::open(repo.objects.store_ref().path(), repo.object_hash()),
        slots: Default::default(),
    };
    let mut out = Vec::with_capacity(run.len());
    let backward = newest_first(&trees.packs, commits, &run);
    let order: Box<dyn Iterator<Item = usize>> = if backward {
        Box::new(run.rev())
    } else {
        Box::new(run)
    };
    for n in order {
        out.push(commit_changes(repo, commits, n, &mut trees)?);
    }
    if backward {
        out.reverse();
    }
    Ok(out)
}

/// The files commit `n` changed against its first parent (and, for a merge, that
/// differ from every other parent too).
fn commit_changes(
    repo: &gix::Repository,
    commits: &[CommitInfo],
    n: usize,
    trees: &mut Trees,
) -> Result<Vec<FileChange>, WalkError> {
    let commit = &commits[n];
    let parent_tree = commit.parents.first().and_then(|&p| commits[p].incidents);
    if parent_tree == commit.incidents {
        return Ok(Vec::new());
    }
    let (old, new) = trees.pair(repo, parent_tree, commit.incidents)?;
    let mut found = Vec::new();
    changes(repo, "", old, new, &mut found)?;
    // A merge changed a file only where it differs from every parent.
    for &other in commit.parents.iter().skip(1) {
        let other_tree = commits[other].incidents;
        let mut kept = Vec::with_capacity(found.len());
        for change in found {
            if blob_at(repo, other_tree, &change.path)? != change.new {
                kept.push(change);
            }
        }
        found = kept;
    }
    Ok(found)
}

/// How many commits of a run are looked at to tell which way its trees are stored.
const DIRECTION_SAMPLES: usize = 16;

/// Whether the run is best walked newest first: unless a sample of its commits
/// shows trees stored mostly as deltas of their parents' trees (as `git
/// fast-import` stores them), they are stored as deltas of newer trees.
fn newest_first(packs: &Packs, commits: &[CommitInfo], run: &std::ops::Range<usize>) -> bool {
    let step = (run.len() / DIRECTION_SAMPLES).max(1);
    let (mut backward, mut forward) = (0, 0);
    for commit in commits[run.clone()].iter().step_by(step) {
        let parent = commit.parents.first().and_then(|&p| commits[p].incidents);
        if let (Some(parent), Some(tree)) = (parent, commit.incidents) {
            backward += usize::from(packs.is_delta_of(&parent, &tree));
            forward += usize::from(packs.is_delta_of(&tree, &parent));
        }
    }
    backward >= forward
}

/// A tree's bytes and id, or `None` where a commit has no such tree.
type HeldTree<'a> = Option<(&'a [u8], ObjectId)>;

/// Two trees' bytes with their ids, kept across the commits of a run: walked in
/// order, one of the two trees a commit's diff needs is one the previous commit's
/// diff read, and a tree of ten thousand entries is neither read nor allocated anew.
struct Trees {
    packs: Packs,
    slots: [(Option<ObjectId>, Vec<u8>); 2],
}

impl Trees {
    /// The trees `old` and `new` (either may be absent), each with its id.
    fn pair(
        &mut self,
        repo: &gix::Repository,
        old: Option<ObjectId>,
        new: Option<ObjectId>,
    ) -> Result<(HeldTree<'_>, HeldTree<'_>), WalkError> {
        let held = |id: Option<ObjectId>, slots: &[(Option<ObjectId>, Vec<u8>); 2]| {
            id.and_then(|id| slots.iter().position(|s| s.0 == Some(id)))
        };
        // The tree already held stays; the other is read into the other slot.
        let (old_slot, new_slot) = match (held(old, &self.slots), held(new, &self.slots)) {
            (Some(o), Some(n)) => (o, n),
            (Some(o), None) => (o, 1 - o),
            (None, Some(n)) => (1 - n, n),
            (None, None) => (0, 1),
        };
        for (id, slot) in [(old, old_slot), (new, new_slot)] {
            if let Some(id) = id {
                self.load(repo, id, slot)?;
            }
        }
        let view =
            |id: Option<ObjectId>, slot: usize| id.map(|id| (self.slots[slot].1.as_slice(), id));
        Ok((view(old, old_slot), view(new, new_slot)))
    }

    /// Reads the tree `id` into `slot`, unless it is there: as a delta of the tree in
    /// the other slot when a pack stores it so, else through the object database.
    fn load(&mut self, repo: &gix::Repository, id: ObjectId, slot: usize) -> Result<(), WalkError> {
        if self.slots[slot].0 == Some(id) {
            return Ok(());
        }
        let [first, second] = &mut self.slots;
        let (target, other) = if slot == 0 {
            (first, &*second)
        } else {
            (second, &*first)
        };
        target.0 = None;
        let from_other = other
            .0
            .is_some_and(|base| self.packs.read_delta(&id, &base, &other.1, &mut target.1));
        if !from_other {
            read_tree(repo, id, &mut target.1)?;
        }
        target.0 = Some(id);
        Ok(())
    }
}

/// Records one commit's changes: renames (the same blob, or the same record id,
/// removed at one path and added at another) move a file's versions to its new path.
fn apply(
    repo: &gix::Repository,
    commit: usize,
    found: Vec<FileChange>,
    by_path: &mut HashMap<String, Vec<Version>>,
) -> Result<(), WalkError> {
    let deleted: Vec<&FileChange> = found.iter().filter(|c| c.new.is_none()).collect();
    let added: Vec<&FileChange> = found.iter().filter(|c| c.old.is_none()).collect();
    let mut moved: HashMap<&str, &str> = HashMap::new();
    if !deleted.is_empty() && !added.is_empty() {
        let mut taken: HashSet<&str> = HashSet::new();
        for add in &added {
            if let Some(del) = deleted
                .iter()
                .find(|d| d.old == add.new && !taken.contains(d.path.as_str()))
            {
                taken.insert(&del.path);
                moved.insert(&add.path, &del.path);
            }
        }
        let ids = |c: &FileChange, blob: Option<ObjectId>| -> Option<String> {
            let mut buf = Vec::new();
            let blob = repo.objects.find_blob(&blob?, &mut buf).ok()?;
            follow::record_id(&c.path, blob.data)
        };
        let unpaired: Vec<&&FileChange> = added
            .iter()
            .filter(|a| !moved.contains_key(a.path.as_str()))
            .collect();
        for add in unpaired {
            let Some(id) = ids(add, add.new) else {
                continue;
            };
            if let Some(del) = deleted
                .iter()
                .filter(|d| !taken.contains(d.path.as_str()))
                .find(|d| ids(d, d.old).as_deref() == Some(id.as_str()))
            {
                taken.insert(&del.path);
                moved.insert(&add.path, &del.path);
            }
        }
    }
    let mut carried: HashMap<&str, Vec<Version>> = HashMap::new();
    for change in &found {
        if change.new.is_none() {
            if let Some(list) = by_path.remove(&change.path) {
                carried.insert(&change.path, list);
            }
        }
    }
    for change in &found {
        let Some(blob) = change.new else { continue };
        let list = match moved.get(change.path.as_str()) {
            Some(from) => carried.remove(from).unwrap_or_default(),
            None => by_path.remove(&change.path).unwrap_or_default(),
        };
        let mut list = list;
        list.push(Version { commit, blob });
        by_path.insert(change.path.clone(), list);
    }
    Ok(())
}

/// Dates and people of one file from its versions.
fn summarize(
    repo_prefix: &str,
    path: &str,
    own: &[Version],
    commits: &[CommitInfo],
) -> RecordHistory {
    let known = |v: Option<&Version>| match v {
        Some(v) if !commits[v.commit].boundary => Known::Yes(commits[v.commit].summary()),
        _ => Known::Unknown,
    };
    let counted: Vec<&Version> = own
        .iter()
        .filter(|v| !commits[v.commit].boundary && !commits[v.commit].ignored)
        .collect();
    let mut contributors: Vec<String> = Vec::new();
    for v in &counted {
        let name = &commits[v.commit].author;
        if !contributors.contains(name) {
            contributors.push(name.clone());
        }
    }
    RecordHistory {
        repo_path: format!("{repo_prefix}{path}"),
        first_committed: known(own.first()),
        last_changed: known(counted.last().copied().or(own.last())),
        contributors,
        contributors_complete: own.first().is_none_or(|v| !commits[v.commit].boundary),
        approved: None,
        closed: HashMap::new(),
        head_blob: None,
        modified_now: false,
    }
}
