//! Watching the archive: notify's events become changed paths at this edge, the
//! noise is dropped (the output folder, `.git` and other hidden files, editors'
//! swap and backup files), and a burst of events (one editor save is several)
//! becomes one batch, so it causes one rebuild.
//!
//! The archive root is watched on its own, and each of its folders recursively,
//! except hidden ones and the output folder: a big `.git` or `public/` costs no
//! watches. A folder created at the top later is watched when it appears. Of the
//! repository, only the files that change when `HEAD` moves count
//! ([`history::head_files`]), so a commit alone rebuilds and the rest of `.git`'s
//! churn (the index, objects, fetches) does not.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use crate::history;

/// How long the archive must be quiet before a rebuild starts. The events of one
/// save (a temporary file written, renamed over the record, its mode set) come
/// within a few milliseconds, and a `git checkout` or a burst of saves writes file
/// after file with gaps far shorter than this; a burst with a longer pause costs
/// one more rebuild, never a stale site (changes seen during a rebuild start the
/// next one).
pub const QUIET: Duration = Duration::from_millis(50);
/// The longest a rebuild waits for quiet while events keep coming.
pub const MAX_WAIT: Duration = Duration::from_secs(1);

/// A watch over one archive.
pub struct Watch {
    watcher: RecommendedWatcher,
    events: Receiver<notify::Result<notify::Event>>,
    root: PathBuf,
    output: PathBuf,
    folders: HashSet<PathBuf>,
    /// The repository's files that change when `HEAD` moves.
    head_files: Vec<PathBuf>,
}

/// Why the archive cannot be watched (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("cannot watch {} for changes: {source}{hint}", path.display())]
pub struct WatchError {
    path: PathBuf,
    source: notify::Error,
    /// What to do about it, when known.
    hint: &'static str,
}

impl WatchError {
    fn new(path: &Path, source: notify::Error) -> WatchError {
        let hint = match source.kind {
            notify::ErrorKind::MaxFilesWatch => {
                "\nhelp: the system's limit of watches is reached; raise it with \
                 `sysctl fs.inotify.max_user_watches=524288`"
            }
            _ => "",
        };
        WatchError {
            path: path.to_path_buf(),
            source,
            hint,
        }
    }
}

impl Watch {
    /// Starts watching the archive at `root` (canonical), ignoring `output`.
    pub fn start(root: &Path, output: &Path) -> Result<Watch, WatchError> {
        let (sender, events) = mpsc::channel();
        let watcher = notify::recommended_watcher(move |event| {
            let _ = sender.send(event);
        })
        .map_err(|source| WatchError::new(root, source))?;
        let mut watch = Watch {
            watcher,
            events,
            root: root.to_path_buf(),
            output: output.to_path_buf(),
            folders: HashSet::new(),
            head_files: history::head_files(root),
        };
        watch
            .watcher
            .watch(root, RecursiveMode::NonRecursive)
            .map_err(|source| WatchError::new(root, source))?;
        let top: Vec<PathBuf> = std::fs::read_dir(root)
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        for path in top {
            watch.watch_folder(&path)?;
        }
        // Their folders are watched, as git replaces `HEAD` by renaming a new file
        // onto it. Without a reflog, or when a folder cannot be watched, a commit
        // shows at the next change in the archive, as before.
        let head_folders: HashSet<&Path> =
            watch.head_files.iter().filter_map(|f| f.parent()).collect();
        for folder in head_folders {
            let _ = watch.watcher.watch(folder, RecursiveMode::NonRecursive);
        }
        Ok(watch)
    }

    /// Watches a top-level folder recursively, unless it is noise; again when it
    /// was replaced (its old watch went with it).
    fn watch_folder(&mut self, path: &Path) -> Result<(), WatchError> {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return Ok(());
        };
        if !path.is_dir() || !relevant(rel, &self.output_rel()) {
            return Ok(());
        }
        if self.folders.contains(path) {
            let _ = self.watcher.unwatch(path);
        }
        self.watcher
            .watch(path, RecursiveMode::Recursive)
            .map_err(|source| WatchError::new(path, source))?;
        self.folders.insert(path.to_path_buf());
        Ok(())
    }

    /// The output folder relative to the root (it may lie outside: then nothing
    /// inside the archive is it).
    fn output_rel(&self) -> PathBuf {
        self.output
            .strip_prefix(&self.root)
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// Blocks until something that can change the site changed, waits for the
    /// burst to end, and returns the changed paths (relative to the root).
    /// `None` when the watcher stopped. A watcher error (events lost) counts as
    /// a change of the root, so the rebuild reads everything anyway.
    pub fn next_batch(&mut self) -> Option<Vec<PathBuf>> {
        loop {
            let first = self.events.recv().ok()?;
            let burst = burst(&self.events, first, QUIET, MAX_WAIT);
            let output = self.output_rel();
            let mut changed = Vec::new();
            for event in burst {
                let paths = match event {
                    Ok(event) if event.need_rescan() => vec![self.root.clone()],
                    Ok(event) if changes_files(&event.kind) => event.paths,
                    Ok(_) => continue,
                    Err(_) => vec![self.root.clone()],
                };
                for path in paths {
                    if self.head_files.contains(&path) {
                        changed.push(path.strip_prefix(&self.root).unwrap_or(&path).to_path_buf());
                        continue;
                    }
                    if path.parent() == Some(self.root.as_path()) {
                        // A new or replaced top-level folder: watch it. If that fails
                        // the rebuild still runs; later edits in it are missed.
                        if let Err(error) = self.watch_folder(&path) {
                            crate::core::say!("warning: {error}");
                        }
                    }
                    let rel = path.strip_prefix(&self.root).unwrap_or(&path);
                    if path == self.root || relevant(rel, &output) {
                        changed.push(rel.to_path_buf());
                    }
                }
            }
            if !changed.is_empty() {
                changed.sort();
                changed.dedup();
                return Some(changed);
            }
        }
    }
}

/// Whether an event can mean a file changed: not an open or a read (building
/// opens every file, which must not start another build).
pub fn changes_files(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(access) => matches!(access, AccessKind::Close(AccessMode::Write)),
        _ => true,
    }
}

/// Collects a burst: `first`, then whatever arrives until nothing came for
/// `quiet`, or `limit` passed since the burst began.
pub fn burst<T>(events: &Receiver<T>, first: T, quiet: Duration, limit: Duration) -> Vec<T> {
    let started = Instant::now();
    let mut batch = vec![first];
    loop {
        let left = limit.saturating_sub(started.elapsed());
        if left.is_zero() {
            return batch;
        }
        match events.recv_timeout(quiet.min(left)) {
            Ok(event) => batch.push(event),
            Err(_) => return batch,
        }
    }
}

/// Whether a change at `rel` (relative to the archive root) can change the site:
/// not inside `output` (relative too), not in a hidden file or folder (`.git`,
/// vim's `.x.md.swp`, emacs' `.#x.md`), not an editor's backup (`x.md~`), swap
/// or autosave (`#x.md#`) file, nor vim's write test `4913`. Anything else can:
/// records link to any file of the archive.
pub fn relevant(rel: &Path, output: &Path) -> bool {
    if rel.as_os_str().is_empty() || (!output.as_os_str().is_empty() && rel.starts_with(output)) {
        return false;
    }
    let hidden = rel.components().any(|c| match c {
        Component::Normal(name) => name.to_string_lossy().starts_with('.'),
        _ => false,
    });
    if hidden {
        return false;
    }
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let noise = name.ends_with('~')
        || [".swp", ".swx", ".swo", ".tmp"]
            .iter()
            .any(|ext| name.ends_with(ext))
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || name == "4913";
    !noise
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_sources_and_drops_noise() {
        let output = Path::new("public");
        for path in [
            "site.toml",
            "content/incidents/a.md",
            "content/incidents/b/index.md",
            "content/incidents/b/graph.png",
            "templates/record.html",
            "static/style.css",
            "themes/dark/templates/base.html",
            "docs/runbook.md",
        ] {
            assert!(relevant(Path::new(path), output), "{path}");
        }
        for path in [
            "",
            "public/index.html",
            "public",
            ".git/index",
            ".git",
            "content/incidents/.a.md.swp",
            "content/incidents/.#a.md",
            "content/incidents/a.md~",
            "content/incidents/#a.md#",
            "content/incidents/4913",
            "content/incidents/a.md.tmp",
            "content/.hidden/a.md",
        ] {
            assert!(!relevant(Path::new(path), output), "{path}");
        }
        assert!(relevant(Path::new("public/x"), Path::new("")));
        assert!(!relevant(Path::new("out/site/a"), Path::new("out/site")));
        assert!(relevant(Path::new("out/other"), Path::new("out/site")));
    }

    #[test]
    fn opening_and_reading_change_nothing() {
        use notify::event::{CreateKind, ModifyKind, RemoveKind};
        assert!(!changes_files(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!changes_files(&EventKind::Access(AccessKind::Read)));
        assert!(!changes_files(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(changes_files(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(changes_files(&EventKind::Create(CreateKind::File)));
        assert!(changes_files(&EventKind::Modify(ModifyKind::Any)));
        assert!(changes_files(&EventKind::Remove(RemoveKind::Any)));
        assert!(changes_files(&EventKind::Any));
    }

    #[test]
    fn a_burst_is_one_batch() {
        let (sender, events) = mpsc::channel();
        for i in 1..=3 {
            sender.send(i).expect("send");
        }
        let batch = burst(
            &events,
            0,
            Duration::from_millis(20),
            Duration::from_secs(30),
        );
        assert_eq!(batch, [0, 1, 2, 3]);
    }

    #[test]
    fn a_burst_ends_at_its_limit() {
        let (sender, events) = mpsc::channel();
        sender.send(1).expect("send");
        let batch = burst(&events, 0, Duration::from_secs(30), Duration::ZERO);
        assert_eq!(batch, [0]);
        assert_eq!(events.try_recv(), Ok(1), "left for the next batch");
    }
}
