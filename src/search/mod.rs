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
pub mod memo;
pub mod text;

use std::sync::Arc;

use rayon::prelude::*;

use serde::Serialize;

use crate::analysis::metrics::Figures;
use crate::core::config::SiteConfig;
use crate::core::model::Record;
use crate::core::paths::record_url;
use crate::render::sink::{Contents, OutputFile, Sink, WriteError};

use self::memo::{KeptFile, SearchMemo};

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
    /// Documents analyzed anew (all of them unless the memo kept some).
    pub analyzed: usize,
    /// Files compressed anew (all of them unless the memo kept some).
    pub compressed: usize,
}

/// The folder under the output where the index lives, next to the search page.
pub const DIR: &str = "search";

/// Builds the index of `docs` (in the order results are listed when a search has
/// no words) and hands its files, under [`DIR`], to the write stage's `out`.
/// Runs in parallel: analysis, then compressing and writing the files. `memo`
/// keeps documents and files for the next build (`casebook serve`) or nothing.
pub fn index(
    docs: &[Document],
    config: &SiteConfig,
    memo: &SearchMemo,
    out: &dyn Sink,
) -> Result<Stats, WriteError> {
    let mut kept = memo.lock();
    let index = build::build(docs, config, kept.as_deref_mut().map(|k| &mut k.docs));
    let analyzed = kept.as_ref().map_or(docs.len(), |k| k.docs.analyzed());
    let mut index = index;
    let files = encode::encode(&index);
    if let Some(kept) = kept.as_deref_mut() {
        kept.docs.keep_positions(&mut index.terms);
    }
    let (count, terms, documents) = (files.len(), index.terms.len(), index.documents);
    // The files hold everything now; the index's memory goes back before they are
    // compressed.
    drop(index);
    let Some(kept) = kept.as_deref_mut() else {
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
        return Ok(Stats {
            documents,
            terms,
            files: count,
            bytes,
            analyzed,
            compressed: count,
        });
    };
    let last = std::mem::take(&mut kept.files);
    let stored = files
        .into_par_iter()
        .map(|file| {
            let encode::File { path, bytes, level } = file;
            let reused = last.get(&path).filter(|kept| kept.stores(&bytes, level));
            let fresh = reused.is_none();
            let stored = match reused {
                Some(kept) => KeptFile {
                    plain: level.map(|_| bytes),
                    level,
                    stored: Arc::clone(&kept.stored),
                    twin: Arc::clone(&kept.twin),
                },
                None => store(&path, bytes, level),
            };
            let shared = |path: String, bytes: &Arc<[u8]>| OutputFile {
                path,
                contents: Contents::Shared(Arc::clone(bytes)),
            };
            out.put(shared(format!("{DIR}/{path}.js"), &stored.twin))?;
            out.put(shared(format!("{DIR}/{path}"), &stored.stored))?;
            Ok((path, stored, fresh))
        })
        .collect::<Result<Vec<_>, WriteError>>()?;
    drop(last);
    let bytes = stored.iter().map(|(_, s, _)| s.stored.len() as u64).sum();
    let compressed = stored.iter().filter(|(_, _, fresh)| *fresh).count();
    kept.files = stored.into_iter().map(|(path, s, _)| (path, s)).collect();
    Ok(Stats {
        documents,
        terms,
        files: count,
        bytes,
        analyzed,
        compressed,
    })
}

/// The index file at `path` with `bytes` (before compression) stored with gzip
/// `level` and twinned, kept with its bytes before compression.
fn store(path: &str, bytes: Vec<u8>, level: Option<u32>) -> KeptFile {
    let (plain, stored): (Option<Vec<u8>>, Arc<[u8]>) = match level {
        Some(level) => {
            let stored = encode::gzip(&bytes, level).into();
            (Some(bytes), stored)
        }
        None => (None, bytes.into()),
    };
    let (_, twin) = disk::twin(path, &stored);
    KeptFile {
        plain,
        level,
        stored,
        twin: twin.into_bytes().into(),
    }
}

#[cfg(test)]
mod tests;
