//! Full-text search with facets for a static site: the index writer.
//!
//! [`index`] turns the records a build publishes into a split, static index under
//! `search/` in the output folder; `themes/default/static/search.js` answers
//! queries in the browser by fetching only the pieces a query needs. The steps:
//! [`text`] turns text into terms (the browser repeats the same rules), `build`
//! computes postings with per-field BM25 impacts, positions and facet values in parallel, and
//! `encode` cuts them into small gzip files. docs/search.md describes the query
//! syntax, the file layout and the sizes. Next to each file, `disk` writes a
//! script twin so that search also works on a site opened from disk (file://).
//!
//! The index holds exactly the documents it is given: a public build passes only
//! public records, so nothing of an internal record reaches the index.

mod build;
mod disk;
mod encode;
pub mod text;

use rayon::prelude::*;

use serde::Serialize;

use crate::analysis::metrics::Figures;
use crate::core::config::SiteConfig;
use crate::core::model::Record;
use crate::core::paths::record_url;
use crate::render::sink::{OutputFile, Sink, WriteError};

/// One record as the index sees it.
pub struct Document<'a> {
    pub record: &'a Record,
    pub figures: &'a Figures,
    /// The record page's URL relative to the site's root (`incidents/inc-1/`).
    pub url: String,
}

/// The documents of `records`, each with its figures (the same order and length).
pub fn documents<'a>(records: &[&'a Record], figures: &'a [Figures]) -> Vec<Document<'a>> {
    records
        .iter()
        .zip(figures)
        .map(|(&record, figures)| Document {
            record,
            figures,
            url: record_url(&record.id),
        })
        .collect()
}

/// What was written, for the build's timing line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub documents: usize,
    pub terms: usize,
    pub files: usize,
    /// Bytes of all index files as stored, which is what browsers download: the
    /// `.bin` files but the position blocks are compressed at rest. The `.js`
    /// twins for file:// are not counted: a hosted browser never loads them.
    pub bytes: u64,
}

/// The folder under the output where the index lives, next to the search page.
pub const DIR: &str = "search";

/// Builds the index of `docs` (in the order results are listed when a search has
/// no words) and hands its files, under [`DIR`], to the write stage's `out`.
/// Runs in parallel: analysis, then compressing and writing the files.
pub fn index(docs: &[Document], config: &SiteConfig, out: &dyn Sink) -> Result<Stats, WriteError> {
    let index = build::build(docs, config);
    let files = encode::encode(&index);
    let (count, terms, documents) = (files.len(), index.terms.len(), index.documents);
    // The files hold everything now; the index's memory goes back before they are
    // compressed.
    drop(index);
    let bytes = files
        .into_par_iter()
        .map(|file| {
            let name = file.path.clone();
            let bytes = file.stored();
            let size = bytes.len() as u64;
            let (twin_path, twin) = disk::twin(&name, &bytes);
            out.put(OutputFile::bytes(format!("{DIR}/{twin_path}"), twin))?;
            out.put(OutputFile::bytes(format!("{DIR}/{name}"), bytes))?;
            Ok(size)
        })
        .try_reduce(|| 0, |a, b| Ok(a + b))?;
    Ok(Stats {
        documents,
        terms,
        files: count,
        bytes,
    })
}

#[cfg(test)]
mod tests;
