//! Free pages (`content/pages/`), checked for what would stop or change the build.
//!
//! In: the pages load read (sorted by path). Out: findings.
//!
//! - `page-slug`: a page's URL, `/<slug>/` from its file name, must be its own: not
//!   empty and not a folder casebook's own pages use ([`page_slug`], which render
//!   asks too), and not another page's. Slugs are lower case, so `About.md` and
//!   `about.md` collide, as they would on a case-insensitive file system or host.
//! - Links and images in a page's body, as in a record's ([`link_target`]).

use std::collections::HashMap;
use std::path::Path;

use pulldown_cmark::{Event, Tag};

use crate::check::urls::{link_target, Disk};
use crate::core::diag::{display_path, Diagnostic, Span};
use crate::core::markdown;
use crate::core::model::Page;
use crate::core::paths::page_slug;
use crate::core::rules::Rule;

/// Every page's URL and links.
pub fn check_pages(pages: &[Page], root: &Path) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut taken: HashMap<String, &Page> = HashMap::new();
    for page in pages {
        match page_slug(&page.slug) {
            Err(reason) => diags.push(
                Diagnostic::new(Rule::PageSlug, reason)
                    .in_file(&page.source)
                    .help("rename the file"),
            ),
            Ok(slug) => match taken.get(&slug) {
                Some(first) => diags.push(
                    Diagnostic::new(Rule::PageSlug, collision(page, first, &slug))
                        .in_file(&page.source)
                        .help("rename one of the files"),
                ),
                None => {
                    taken.insert(slug, page);
                }
            },
        }
        page_links(page, root, &mut diags);
    }
    diags
}

/// Why two pages want one URL.
fn collision(page: &Page, first: &Page, slug: &str) -> String {
    let first_path = display_path(&first.path);
    if page.slug.to_lowercase() == first.slug.to_lowercase() {
        format!(
            "the page's file name differs from {first_path} only in letter case; both would be at `/{slug}/`, and a case-insensitive file system or host cannot tell them apart"
        )
    } else {
        format!("the page would be at `/{slug}/`, like {first_path}")
    }
}

/// Links and images in the page's body; they resolve against the page's folder.
fn page_links(page: &Page, root: &Path, diags: &mut Vec<Diagnostic>) {
    let folder = page.path.parent().unwrap_or(Path::new(""));
    for (event, range) in markdown::parser(&page.body).into_offset_iter() {
        if let Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) = event {
            let span = Span::new(page.body_offset + range.start, page.body_offset + range.end);
            diags.extend(link_target(
                &page.source,
                &Disk::new(root),
                folder,
                &dest_url,
                span,
            ));
        }
    }
}
