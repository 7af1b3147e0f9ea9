//! Full-text search with facets for a static site: the index writer.
//!
//! [`write_index`] turns the records a build publishes into a split, static index
//! under `search/` in the output folder; `themes/default/static/search.js` answers
//! queries in the browser by fetching only the pieces a query needs. The steps:
//! [`text`] turns text into terms (the browser repeats the same rules), `build`
//! computes postings with BM25F impacts, positions and facet values in parallel, and
//! `encode` cuts them into small gzip files. docs/search.md describes the query
//! syntax, the file layout and the sizes.
//!
//! The index holds exactly the documents it is given: a public build passes only
//! public records, so nothing of an internal record reaches the index.

mod build;
mod encode;
pub mod text;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use serde::Serialize;

use crate::config::SiteConfig;
use crate::metrics::Figures;
use crate::model::Record;

pub use encode::{DOC_CHUNK, VERSION};

/// One record as the index sees it.
pub struct Document<'a> {
    pub record: &'a Record,
    pub figures: &'a Figures,
    /// The record page's URL relative to the site's root (`incidents/inc-1/`).
    pub url: String,
}

/// Why the index could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("cannot write the search index at {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What was written, for the build's summary and the benchmark.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub documents: usize,
    pub terms: usize,
    pub files: usize,
    /// Bytes on disk, which is what a browser downloads: the `.bin` files are
    /// compressed at rest.
    pub bytes: u64,
    /// The largest file of each kind: the worst case a query can fetch per piece.
    pub largest_term_chunk: u64,
    pub largest_posting_block: u64,
    pub largest_doc_chunk: u64,
    pub manifest: u64,
    pub facets: u64,
}

/// The folder under the output where the index lives, next to the search page.
pub const DIR: &str = "search";
/// The index's own folders under [`DIR`]; files in them that this build did not
/// write are left from an earlier build and are removed.
const SUBDIRS: [&str; 4] = ["t", "p", "x", "d"];

/// Removes files of an earlier, larger index from the index's folders.
fn remove_stale(root: &Path, files: &[encode::File]) -> std::io::Result<()> {
    let written: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for sub in SUBDIRS {
        for entry in std::fs::read_dir(root.join(sub))? {
            let entry = entry?;
            let name = entry.file_name();
            let path = format!("{sub}/{}", name.to_string_lossy());
            if !written.contains(path.as_str()) {
                std::fs::remove_file(entry.path())?;
            }
        }
    }
    Ok(())
}

/// Writes the index of `docs` (in the order results list them when no words are
/// given) into `out_dir/search/`, replacing the index files of an earlier build.
pub fn write_index(
    docs: &[Document],
    config: &SiteConfig,
    out_dir: &Path,
) -> Result<Stats, SearchError> {
    let index = build::build(docs, config);
    let files = encode::encode(&index);
    let root = out_dir.join(DIR);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SearchError::Write { path, source }
    };
    for sub in SUBDIRS {
        let dir = root.join(sub);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    }
    let sizes = files
        .par_iter()
        .map(|file| {
            let path = root.join(&file.path);
            let bytes = file.stored();
            std::fs::write(&path, &bytes).map_err(io(&path))?;
            Ok(bytes.len() as u64)
        })
        .collect::<Result<Vec<u64>, SearchError>>()?;
    remove_stale(&root, &files).map_err(io(&root))?;
    let mut stats = Stats {
        documents: index.documents,
        terms: index.terms.len(),
        files: files.len(),
        ..Stats::default()
    };
    for (file, size) in files.iter().zip(sizes) {
        stats.bytes += size;
        let largest = match file.path.split('/').next() {
            Some("t") => &mut stats.largest_term_chunk,
            Some("p") => &mut stats.largest_posting_block,
            Some("d") => &mut stats.largest_doc_chunk,
            Some("manifest.json") => &mut stats.manifest,
            Some("facets.bin") => &mut stats.facets,
            _ => continue,
        };
        *largest = (*largest).max(size);
    }
    Ok(stats)
}
