//! Where links lead, checked as the render stage will treat them, so nothing the
//! site drops passes `check` unreported.
//!
//! In: a record (its `links:`, its action items' `link`, its timeline events) or a
//! link target found in Markdown (record bodies, timeline events, free pages: all
//! render through the same Markdown). Out: findings at the URL as it is written.
//!
//! - `invalid-url`: a `links[].url` or a Markdown link or image whose scheme is not
//!   http, https or mailto ([`is_safe_url`]); an action item's `link` that is not an
//!   absolute URL ([`is_absolute_url`]). Render asks the same two functions and drops
//!   what they refuse.
//! - `missing-asset`: a relative target that does not exist, climbs out of the
//!   archive, or leaves it through a symlink.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pulldown_cmark::{Event, Tag};

use crate::core::diag::{display_path, Diagnostic, Source, Span, Spanned};
use crate::core::markdown;
use crate::core::model::Record;
use crate::core::paths::{
    is_absolute_url, is_relative, is_safe_url, percent_decode, resolve_relative, url_scheme,
};
use crate::core::rules::Rule;

/// The schemes the site keeps, for "did you mean" on a mistyped one.
const KEPT_SCHEMES: &[&str] = &["http", "https", "mailto"];

/// The `links:` URLs and action-item `link`s of a record that the site would drop.
pub fn front_matter_urls(record: &Record, diags: &mut Vec<Diagnostic>) {
    for link in &record.links {
        if !is_safe_url(&link.url) {
            diags.push(dropped_scheme(&record.source, &link.url, link.url.span));
        }
    }
    for item in &record.action_items {
        if let Some(link) = item.link.as_ref().filter(|l| !is_absolute_url(l)) {
            diags.push(not_absolute(&record.source, link));
        }
    }
}

/// Links and images in the record's timeline events, which render as inline
/// Markdown against the record's `folder` like the body.
pub fn timeline_links(record: &Record, disk: &Disk, folder: &Path, diags: &mut Vec<Diagnostic>) {
    for entry in &record.timeline {
        // Most events are plain sentences: without `[` or `<` there is no link to read.
        if !entry.event.contains(['[', '<']) {
            continue;
        }
        let raw = record
            .source
            .text
            .get(entry.event.span.start..entry.event.span.end)
            .unwrap_or_default();
        for event in markdown::parser(&entry.event) {
            if let Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) = event {
                // The value was unquoted or unescaped from the YAML: find the URL in
                // the file's text of the value, else point at the value.
                let span = match raw.find(dest_url.as_ref()) {
                    Some(at) => {
                        let start = entry.event.span.start + at;
                        Span::new(start, start + dest_url.len())
                    }
                    None => Span::new(entry.event.span.start, entry.event.span.start),
                };
                diags.extend(link_target(&record.source, disk, folder, &dest_url, span));
            }
        }
    }
}

/// The archive's folder as the checks see it: where a link's target resolves. When
/// asked to, it notes every question and its answer, so that findings kept from an
/// earlier check ([`super::CheckMemo`]) are reused only while the disk still gives
/// the same answers.
pub struct Disk<'a> {
    /// The archive's folder, canonical (see `load::load`).
    pub root: &'a Path,
    asked: Option<RefCell<Vec<Resolved>>>,
}

/// A path as a link named it (below the archive's folder), and what it resolved
/// to: its canonical path, or `None` when it does not exist.
pub type Resolved = (PathBuf, Option<PathBuf>);

impl<'a> Disk<'a> {
    /// The disk, its answers not noted.
    pub fn new(root: &'a Path) -> Disk<'a> {
        Disk { root, asked: None }
    }

    /// The disk, every answer noted for [`Disk::answers`].
    pub fn noting(root: &'a Path) -> Disk<'a> {
        Disk {
            root,
            asked: Some(RefCell::new(Vec::new())),
        }
    }

    /// Where `path` (relative to the root) resolves, every symlink on the way
    /// followed; `None` when it does not exist.
    pub fn resolve(&self, path: &Path) -> Option<PathBuf> {
        let answer = self.root.join(path).canonicalize().ok();
        if let Some(asked) = &self.asked {
            asked
                .borrow_mut()
                .push((path.to_path_buf(), answer.clone()));
        }
        answer
    }

    /// The questions asked so far, in order, with their answers.
    pub fn answers(self) -> Vec<Resolved> {
        self.asked.map(RefCell::into_inner).unwrap_or_default()
    }
}

/// What is wrong with a Markdown link or image to `url` in a document in `folder`
/// (relative to the archive's folder); `span` covers the link in `source`.
pub fn link_target(
    source: &Arc<Source>,
    disk: &Disk,
    folder: &Path,
    url: &str,
    span: Span,
) -> Option<Diagnostic> {
    if !is_safe_url(url) {
        return Some(dropped_scheme(source, url, url_in(source, span, url)));
    }
    if !is_relative(url) {
        return None;
    }
    let decoded = percent_decode(url);
    let message = match resolve_relative(folder, &decoded) {
        None => format!("link `{url}` leaves the archive"),
        Some(path) => {
            // Resolving follows every symlink on the way, a folder's as well as the
            // file's; only metadata is read, never the target's content.
            match disk.resolve(&path) {
                None => format!(
                    "link `{url}` points to `{}`, which does not exist",
                    display_path(&path)
                ),
                Some(target) if !target.starts_with(disk.root) => {
                    format!("link `{url}` goes through a symlink that points outside the archive")
                }
                Some(_) => return None,
            }
        }
    };
    Some(Diagnostic::new(Rule::MissingAsset, message).at(source, span))
}

/// The URL itself inside a link's span (`[text](url)`), else the whole span.
fn url_in(source: &Source, span: Span, url: &str) -> Span {
    source
        .text
        .get(span.start..span.end)
        .and_then(|link| link.find(url))
        .map_or(span, |at| {
            Span::new(span.start + at, span.start + at + url.len())
        })
}

/// A URL whose scheme the site drops.
fn dropped_scheme(source: &Arc<Source>, url: &str, span: Span) -> Diagnostic {
    let scheme = url_scheme(url).unwrap_or_default();
    Diagnostic::new(
        Rule::InvalidUrl,
        format!(
            "link `{}` uses the scheme `{scheme}:`, which the site drops; it keeps only http, https and mailto",
            url.trim()
        ),
    )
    .at(source, span)
    .suggest(&scheme, KEPT_SCHEMES.iter().copied())
}

/// An action item's `link` that is not an absolute URL.
fn not_absolute(source: &Arc<Source>, link: &Spanned<String>) -> Diagnostic {
    let finding = Diagnostic::new(
        Rule::InvalidUrl,
        format!(
            "action item link `{}` is not an absolute http, https or mailto URL, so the site drops it",
            link.value
        ),
    )
    .at(source, link.span);
    match url_scheme(link) {
        Some(scheme) if !KEPT_SCHEMES.contains(&scheme.as_str()) => {
            finding.suggest(&scheme, KEPT_SCHEMES.iter().copied())
        }
        _ => finding.help("write the whole address, such as `https://github.com/acme/app/pull/7`"),
    }
}
