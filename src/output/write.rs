//! Stage 5, write: put the rendered site on disk without ever losing the previous one.
//!
//! [`Destination::prepare`] decides up front whether the output path is safe: it
//! refuses the archive root, a parent of it, a folder inside the archive's sources,
//! a folder that looks like an archive, the home or root directory, and any existing
//! folder that casebook did not create (it carries no [`MARKER`] file).
//! [`Destination::begin`] then opens a fresh staging folder next to the output; the
//! render stage streams files into it through the [`Sink`] trait (from many threads
//! at once), and [`Staging::commit`] swaps it in only once it is complete: the old
//! output is renamed away, the new one renamed in, and the old one deleted. An
//! interrupted build leaves the previous site in place (a staging folder dropped
//! without commit deletes itself), and no stale file survives a rebuild.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::render::sink::{checked_relative, Contents, OutputFile, Sink, WriteError};

/// The file that marks a folder as casebook's output, safe to replace.
pub const MARKER: &str = ".casebook-output";

const MARKER_TEXT: &str =
    "This folder is written by `casebook build`, which replaces it on every build.\n";

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An output folder that passed the safety checks.
#[derive(Debug)]
pub struct Destination {
    output: PathBuf,
    staging: PathBuf,
    old: PathBuf,
}

impl Destination {
    /// Checks that `output` may be (re)written for the archive at `root`; writes nothing.
    pub fn prepare(output: &Path, root: &Path) -> Result<Destination, WriteError> {
        let refuse = |reason: &str| WriteError::Refused {
            path: output.to_path_buf(),
            reason: reason.to_string(),
        };
        let root = root.canonicalize().map_err(io_error(root))?;
        let full = absolute(output).map_err(io_error(output))?;
        if full.parent().is_none() {
            return Err(refuse("it is the root directory"));
        }
        let name = full
            .file_name()
            .ok_or_else(|| refuse("it names no folder"))?
            .to_string_lossy()
            .into_owned();
        if std::env::var_os("HOME").is_some_and(|home| same_path(&full, Path::new(&home))) {
            return Err(refuse("it is the home directory"));
        }
        if full == root {
            return Err(refuse("it is the archive's root folder"));
        }
        if root.starts_with(&full) {
            return Err(refuse("it contains the archive"));
        }
        for source_dir in ["content", "templates", "static", "themes"] {
            if full.starts_with(root.join(source_dir)) {
                return Err(refuse(&format!(
                    "it is inside the archive's `{source_dir}/`"
                )));
            }
        }
        if full.join("content").is_dir() || full.join(crate::core::config::FILE_NAME).is_file() {
            return Err(refuse("it holds an archive (content/ or site.toml)"));
        }
        match fs::symlink_metadata(&full) {
            Ok(meta) if !meta.is_dir() => {
                return Err(refuse("it exists and is not a folder"));
            }
            Ok(_) => {
                let empty = fs::read_dir(&full)
                    .map_err(io_error(&full))?
                    .next()
                    .is_none();
                if !empty && !full.join(MARKER).is_file() {
                    return Err(refuse(&format!(
                        "it is not empty and was not written by casebook (no `{MARKER}` file); \
                         delete it or choose another --output"
                    )));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&full)(e)),
        }
        let parent = full.parent().unwrap_or(Path::new("/"));
        Ok(Destination {
            staging: parent.join(format!(".{name}.casebook-new")),
            old: parent.join(format!(".{name}.casebook-old")),
            output: full,
        })
    }

    /// The output folder, absolute.
    pub fn path(&self) -> &Path {
        &self.output
    }

    /// Creates the fresh staging folder next to the output; files go into it as
    /// they are rendered, and [`Staging::commit`] swaps it in. A leftover staging
    /// folder from an interrupted build is removed first (it carries the marker).
    pub fn begin(&self) -> Result<Staging<'_>, WriteError> {
        let parent = self.output.parent().unwrap_or(Path::new("/"));
        fs::create_dir_all(parent).map_err(io_error(parent))?;
        remove_leftover(&self.staging)?;
        remove_leftover(&self.old)?;
        fs::create_dir(&self.staging).map_err(io_error(&self.staging))?;
        let staging = Staging {
            destination: self,
            paths: Mutex::new(HashSet::new()),
            dirs: Mutex::new(HashSet::new()),
            committed: false,
        };
        let marker = self.staging.join(MARKER);
        fs::write(&marker, MARKER_TEXT).map_err(io_error(&marker))?;
        Ok(staging)
    }

    fn swap(&self) -> Result<(), WriteError> {
        let existed = self.output.exists();
        if existed {
            fs::rename(&self.output, &self.old).map_err(io_error(&self.output))?;
        }
        if let Err(e) = fs::rename(&self.staging, &self.output) {
            if existed {
                let _ = fs::rename(&self.old, &self.output);
            }
            return Err(io_error(&self.output)(e));
        }
        if existed {
            remove_tree(&self.old)?;
        }
        Ok(())
    }
}

/// A staging folder being filled. Dropped without [`Staging::commit`] (an error
/// while rendering), it deletes itself and the previous output stays as it was.
pub struct Staging<'d> {
    destination: &'d Destination,
    paths: Mutex<HashSet<String>>,
    dirs: Mutex<HashSet<PathBuf>>,
    committed: bool,
}

impl Sink for Staging<'_> {
    /// Writes one file into the staging folder. Refuses paths that are not plain
    /// relative paths, and a second file at a path already written.
    fn put(&self, file: OutputFile) -> Result<(), WriteError> {
        checked_relative(&file.path)?;
        let fresh = lock(&self.paths).insert(file.path.clone());
        if !fresh {
            return Err(WriteError::Duplicate(file.path));
        }
        let staging = &self.destination.staging;
        if let Some(dir) = Path::new(&file.path).parent() {
            if !dir.as_os_str().is_empty() && !lock(&self.dirs).contains(dir) {
                let full = staging.join(dir);
                fs::create_dir_all(&full).map_err(io_error(&full))?;
                let mut dirs = lock(&self.dirs);
                for ancestor in dir.ancestors() {
                    dirs.insert(ancestor.to_path_buf());
                }
            }
        }
        let target = staging.join(&file.path);
        match file.contents {
            Contents::Bytes(bytes) => fs::write(&target, bytes),
            Contents::Shared(bytes) => fs::write(&target, bytes),
            Contents::Parts(parts) => write_parts(&target, &parts),
            Contents::Copy(source) => fs::copy(source, &target).map(|_| ()),
        }
        .map_err(io_error(&target))
    }
}

/// Writes `parts` one after another into a new file at `target`.
fn write_parts(target: &Path, parts: &[Vec<u8>]) -> io::Result<()> {
    use std::io::Write;
    let mut file = fs::File::create(target)?;
    for part in parts {
        file.write_all(part)?;
    }
    Ok(())
}

impl Staging<'_> {
    /// How many files were written, the marker not counted, for the build's summary.
    pub fn written(&self) -> usize {
        lock(&self.paths).len()
    }

    /// Swaps the complete staging folder in for the output: the old output is
    /// renamed away, the new one renamed in, then the old one deleted.
    pub fn commit(mut self) -> Result<(), WriteError> {
        self.committed = true;
        self.destination.swap()
    }
}

impl Drop for Staging<'_> {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.destination.staging);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes a staging or old folder left by an interrupted build, but only one that
/// carries the marker: anything else at that name is not casebook's to delete.
fn remove_leftover(path: &Path) -> Result<(), WriteError> {
    if fs::symlink_metadata(path).is_err() {
        return Ok(());
    }
    if path.join(MARKER).is_file() || is_empty_dir(path) {
        fs::remove_dir_all(path).map_err(io_error(path))
    } else {
        Err(WriteError::Refused {
            path: path.to_path_buf(),
            reason: format!("it is in the way of the build and has no `{MARKER}` file"),
        })
    }
}

/// Deletes a previous output, folders in parallel (a large site is tens of
/// thousands of files). Symlinks are removed, never followed.
fn remove_tree(path: &Path) -> Result<(), WriteError> {
    let entries: Vec<PathBuf> = fs::read_dir(path)
        .map_err(io_error(path))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.par_iter().try_for_each(|entry| {
        let result = match fs::symlink_metadata(entry) {
            Ok(meta) if meta.is_dir() => return remove_tree(entry),
            Ok(_) => fs::remove_file(entry),
            Err(e) => Err(e),
        };
        result.map_err(io_error(entry))
    })?;
    fs::remove_dir(path).map_err(io_error(path))
}

fn is_empty_dir(path: &Path) -> bool {
    fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_none())
}

/// The absolute, symlink-resolved form of a path that may not exist yet: the
/// longest existing ancestor is canonicalized and the rest appended lexically.
fn absolute(path: &Path) -> io::Result<PathBuf> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let mut normal = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::ParentDir => {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    let mut existing = normal.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            let mut out = canonical;
            out.extend(rest.iter().rev());
            return Ok(out);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return Ok(normal),
        }
    }
}

fn same_path(a: &Path, b: &Path) -> bool {
    b.canonicalize().is_ok_and(|b| a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_must_stay_inside() {
        assert!(checked_relative("incidents/a/index.html").is_ok());
        assert!(checked_relative("../x").is_err());
        assert!(checked_relative("/etc/passwd").is_err());
        assert!(checked_relative("a/../../x").is_err());
        assert!(checked_relative("").is_err());
    }

    #[test]
    fn swap_replaces_the_whole_folder() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("archive");
        fs::create_dir_all(root.join("content")).expect("mkdir");
        let out = tmp.path().join("site");
        let dest = Destination::prepare(&out, &root).expect("prepare");
        let staging = dest.begin().expect("begin");
        staging
            .put(OutputFile::bytes("a/b.txt", "one"))
            .expect("put");
        staging.commit().expect("first");
        let dest = Destination::prepare(&out, &root).expect("prepare again");
        let staging = dest.begin().expect("begin");
        staging.put(OutputFile::bytes("c.txt", "two")).expect("put");
        assert!(staging.put(OutputFile::bytes("c.txt", "again")).is_err());
        assert!(staging.put(OutputFile::bytes("../x.txt", "out")).is_err());
        staging.commit().expect("second");
        assert!(!out.join("a/b.txt").exists());
        assert_eq!(fs::read_to_string(out.join("c.txt")).expect("read"), "two");
        assert!(out.join(MARKER).is_file());
        assert!(!tmp.path().join(".site.casebook-new").exists());
        assert!(!tmp.path().join(".site.casebook-old").exists());
    }

    #[test]
    fn an_abandoned_build_leaves_the_old_site() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("archive");
        fs::create_dir_all(root.join("content")).expect("mkdir");
        let out = tmp.path().join("site");
        let dest = Destination::prepare(&out, &root).expect("prepare");
        let staging = dest.begin().expect("begin");
        staging
            .put(OutputFile::bytes("old.txt", "old"))
            .expect("put");
        staging.commit().expect("commit");
        let dest = Destination::prepare(&out, &root).expect("prepare");
        let staging = dest.begin().expect("begin");
        staging
            .put(OutputFile::bytes("new.txt", "new"))
            .expect("put");
        drop(staging);
        assert!(out.join("old.txt").is_file());
        assert!(!out.join("new.txt").exists());
        assert!(!tmp.path().join(".site.casebook-new").exists());
    }

    #[test]
    fn refuses_foreign_folders() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("archive");
        fs::create_dir_all(root.join("content")).expect("mkdir");
        let foreign = tmp.path().join("docs");
        fs::create_dir_all(&foreign).expect("mkdir");
        fs::write(foreign.join("keep.txt"), "mine").expect("write");
        assert!(Destination::prepare(&foreign, &root).is_err());
        assert!(Destination::prepare(&root, &root).is_err());
        assert!(Destination::prepare(tmp.path(), &root).is_err());
        assert!(Destination::prepare(&root.join("content/out"), &root).is_err());
        assert!(Destination::prepare(Path::new("/"), &root).is_err());
        assert!(Destination::prepare(&root.join("public"), &root).is_ok());
    }
}
