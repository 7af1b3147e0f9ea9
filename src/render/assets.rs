//! Relative links in Markdown and the files they bring into the site.
//!
//! A record's relative link resolves against the record's own folder. When it
//! names another record's file (or bundle folder) it becomes a link to that
//! record's page, if the record is in the build, and plain text otherwise. When it
//! names any other file in the archive, that file is copied into the site under
//! `files/<its path in the archive>` and the link is rewritten to it. A bundle's
//! own files are copied beside its page, so `![](pool.png)` keeps working as
//! written. Nothing outside the archive is ever copied: links that climb out of it
//! and symlinks that leave it are dropped.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::analysis::select::Selection;
use crate::core::model::{Archive, Record};
use crate::core::paths::{encode_path, percent_decode, record_url, resolve_relative, slash_path};

/// Where archive files go in the site, decided while bodies render.
pub struct Assets<'a> {
    root: PathBuf,
    canonical_root: PathBuf,
    /// Record files and bundle folders (relative to the root) to their record's id.
    records: HashMap<PathBuf, &'a str>,
    selection: &'a Selection<'a>,
}

/// The links one document resolved: files to copy, by output path.
#[derive(Default)]
pub struct Found {
    pub copies: BTreeMap<String, PathBuf>,
}

impl<'a> Assets<'a> {
    pub fn new(archive: &'a Archive, selection: &'a Selection<'a>) -> Assets<'a> {
        let mut records = HashMap::new();
        for record in &archive.records {
            records.insert(record.path.clone(), record.id.as_str());
            if let Some(bundle) = &record.bundle {
                records.insert(bundle.clone(), record.id.as_str());
            }
        }
        Assets {
            canonical_root: archive
                .root
                .canonicalize()
                .unwrap_or_else(|_| archive.root.clone()),
            root: archive.root.clone(),
            records,
            selection,
        }
    }

    /// Resolves the relative link `url` of a document in `folder` (relative to the
    /// archive root; `in_bundle` when that folder is the record's bundle, whose files
    /// sit beside the page) for a page `root_prefix` away from the site root.
    /// Copies go into `found`. `None` drops the link.
    pub fn resolve(
        &self,
        folder: &Path,
        in_bundle: bool,
        url: &str,
        root_prefix: &str,
        found: &RefCell<Found>,
    ) -> Option<String> {
        let split = url.find(['#', '?']).unwrap_or(url.len());
        let (path_part, suffix) = url.split_at(split);
        let decoded = percent_decode(path_part);
        let target = resolve_relative(folder, &decoded)?;
        let target = normalize(&target);
        if let Some(id) = self.records.get(&target) {
            let fragment = suffix.find('#').map_or("", |i| &suffix[i..]);
            return self
                .selection
                .contains(id)
                .then(|| format!("{root_prefix}{}{fragment}", record_url(id)));
        }
        let source = self.inside(&target)?;
        if !source.is_file() {
            return None;
        }
        if in_bundle && target.starts_with(folder) {
            return Some(url.to_string());
        }
        let out = format!("files/{}", slash_path(&target));
        let link = format!("{root_prefix}{}{suffix}", encode_path(&out));
        found.borrow_mut().copies.insert(out, source);
        Some(link)
    }

    /// The file's real location when it is inside the archive.
    fn inside(&self, relative: &Path) -> Option<PathBuf> {
        let full = self.root.join(relative);
        let canonical = full.canonicalize().ok()?;
        canonical
            .starts_with(&self.canonical_root)
            .then_some(canonical)
    }

    /// Every file of a bundle (but the record itself and ignored names), as
    /// (output path beside the record's page, source path).
    pub fn bundle_files(&self, record: &Record) -> Vec<(String, PathBuf)> {
        let Some(bundle) = &record.bundle else {
            return Vec::new();
        };
        let dir = self.root.join(bundle);
        let mut out = Vec::new();
        let walker = WalkDir::new(&dir)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let name = e.file_name().to_string_lossy();
                e.depth() == 0 || !(name.starts_with('.') || name.starts_with('_'))
            });
        for entry in walker.flatten() {
            let Ok(relative) = entry.path().strip_prefix(&dir) else {
                continue;
            };
            if entry.depth() == 1 && relative == Path::new("index.md") {
                continue;
            }
            let is_file = entry.file_type().is_file() || entry.path_is_symlink();
            let Some(source) = is_file
                .then(|| self.inside(&bundle.join(relative)))
                .flatten()
                .filter(|s| s.is_file())
            else {
                continue;
            };
            out.push((
                format!("{}{}", record_url(&record.id), slash_path(relative)),
                source,
            ));
        }
        out
    }
}

/// Drops `.` components so equal paths compare equal.
fn normalize(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}
