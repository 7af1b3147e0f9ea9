//! Markdown to HTML as a pipeline of passes over pulldown-cmark events.
//!
//! A body is parsed into a `Vec<Event>`, then every [`Pass`] of a [`Markdown`]
//! renderer rewrites that list in order, then the events become HTML. The built-in
//! passes, in order: [`LinkPolicy`] (only http(s), mailto, anchors and relative URLs
//! survive; relative ones are resolved by the document's [`Doc::resolve`]),
//! [`HeadingAnchors`] (stable, deduplicated ids and the table of contents),
//! [`Tables`] (header cells with `scope`, a scrolling wrapper) and [`CodeBlocks`]
//! (syntect highlighting). Passes that come later see code blocks as finished HTML,
//! so a pass that rewrites `Event::Text` (such as turning record ids into links)
//! never touches code. Raw HTML in the Markdown is sanitized with ammonia unless
//! site.toml sets `trusted_html = true`.

use std::collections::HashSet;

use pulldown_cmark::{html, Alignment, CodeBlockKind, CowStr, Event, HeadingLevel, Tag, TagEnd};
use serde::Serialize;

use super::highlight::Highlighter;
use crate::core::markdown::{self, is_plain};
use crate::core::paths::{is_relative, is_safe_url};

/// One heading in a body's table of contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TocEntry {
    /// 2 for `##`, 3 for `###`.
    pub level: u8,
    pub id: String,
    pub title: String,
}

/// What one document's passes share: how to resolve its relative links, and what
/// the passes found (the table of contents).
pub struct Doc<'d> {
    /// Rewrites a relative link target (`pool.png`, `../other.md#x`) to the URL it
    /// has in the site, or `None` to drop the link.
    pub resolve: &'d dyn Fn(&str) -> Option<String>,
    /// Ids the surrounding page uses already; headings never take one of these.
    pub reserved_ids: &'d [&'d str],
    pub toc: Vec<TocEntry>,
    /// Finds the record ids to link in the document's text (see
    /// [`super::mentions::MentionLinks`]); `None` links nothing.
    pub mentions: Option<&'d super::mentions::FindMentions<'d>>,
}

/// One rewrite of a document's events. Passes run in the order a [`Markdown`]
/// holds them and may add, remove or replace events.
pub trait Pass: Send + Sync {
    fn apply<'a>(&self, events: &mut Vec<Event<'a>>, doc: &mut Doc<'_>);
}

/// The result of rendering one body.
#[derive(Clone)]
pub struct Rendered {
    pub html: String,
    pub toc: Vec<TocEntry>,
}

/// A Markdown renderer: the passes to run and whether raw HTML is trusted.
pub struct Markdown<'h> {
    passes: Vec<Box<dyn Pass + 'h>>,
    sanitizer: Option<ammonia::Builder<'static>>,
}

impl<'h> Markdown<'h> {
    /// The built-in pipeline, highlighting code with `highlighter`. Raw HTML is
    /// sanitized unless `trusted_html`.
    pub fn new(highlighter: &'h Highlighter, trusted_html: bool) -> Markdown<'h> {
        Markdown {
            passes: vec![
                Box::new(LinkPolicy),
                Box::new(HeadingAnchors),
                Box::new(Tables),
                Box::new(CodeBlocks { highlighter }),
            ],
            sanitizer: (!trusted_html).then(sanitizer),
        }
    }

    /// Appends a pass that runs after the built-in ones (code blocks are HTML by then).
    pub fn with_pass(mut self, pass: impl Pass + 'h) -> Markdown<'h> {
        self.passes.push(Box::new(pass));
        self
    }

    /// Renders a whole document (a record's body, a free page).
    pub fn render(&self, text: &str, doc: &mut Doc<'_>) -> Rendered {
        let mut events: Vec<Event> = markdown::parser(text).collect();
        let raw_html = events
            .iter()
            .any(|e| matches!(e, Event::Html(_) | Event::InlineHtml(_)));
        for pass in &self.passes {
            pass.apply(&mut events, doc);
        }
        let mut out = String::with_capacity(text.len() * 3 / 2);
        html::push_html(&mut out, events.into_iter());
        Rendered {
            html: self.clean(out, raw_html),
            toc: std::mem::take(&mut doc.toc),
        }
    }

    /// Renders one line of inline Markdown (a timeline event) without the
    /// paragraph around it.
    pub fn render_inline(&self, text: &str, doc: &mut Doc<'_>) -> String {
        if is_plain(text) {
            return match doc.mentions {
                Some(find) => super::mentions::escape_with_links(text, &find(text)),
                None => super::escaped(text),
            };
        }
        let rendered = self.render(text, doc);
        let html = rendered.html.trim_end();
        match html
            .strip_prefix("<p>")
            .and_then(|h| h.strip_suffix("</p>"))
        {
            Some(inner) if !inner.contains("<p>") => inner.to_string(),
            _ => html.to_string(),
        }
    }

    fn clean(&self, html: String, raw_html: bool) -> String {
        match &self.sanitizer {
            Some(builder) if raw_html => builder.clean(&html).to_string(),
            _ => html,
        }
    }
}

/// The ammonia policy for bodies that contain raw HTML: ammonia's safe tag list,
/// plus the ids, classes and attributes casebook's own passes emit, and task-list
/// checkboxes (always disabled checkboxes); only http(s) and mailto URLs. Relative
/// URLs in raw HTML pass through as written (they work for a bundle's own files,
/// which sit beside the page).
fn sanitizer() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .add_generic_attributes(["id", "class", "title", "scope", "aria-hidden", "tabindex"])
        .add_tags(["input"])
        .add_tag_attributes("input", ["checked"])
        .set_tag_attribute_value("input", "type", "checkbox")
        .set_tag_attribute_value("input", "disabled", "")
        .url_schemes(["http", "https", "mailto"].into_iter().collect());
    builder
}

/// Keeps only safe link and image targets and resolves relative ones. A link that
/// fails keeps its text; an image that fails shows its alt text.
pub struct LinkPolicy;

impl Pass for LinkPolicy {
    fn apply<'a>(&self, events: &mut Vec<Event<'a>>, doc: &mut Doc<'_>) {
        let mut dropped_links = 0usize;
        let mut dropped_images = 0usize;
        let mut out = Vec::with_capacity(events.len());
        for event in events.drain(..) {
            match event {
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => match allowed(&dest_url, doc) {
                    Some(url) => out.push(Event::Start(Tag::Link {
                        link_type,
                        dest_url: url,
                        title,
                        id,
                    })),
                    None => dropped_links += 1,
                },
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => match allowed(&dest_url, doc) {
                    Some(url) => out.push(Event::Start(Tag::Image {
                        link_type,
                        dest_url: url,
                        title,
                        id,
                    })),
                    None => dropped_images += 1,
                },
                Event::End(TagEnd::Link) if dropped_links > 0 => dropped_links -= 1,
                Event::End(TagEnd::Image) if dropped_images > 0 => dropped_images -= 1,
                other => out.push(other),
            }
        }
        *events = out;
    }
}

/// The URL a link keeps, or `None` when it is dropped. Nested dropped links are
/// counted per kind, so the matching end events go too.
fn allowed<'a>(url: &CowStr<'a>, doc: &Doc<'_>) -> Option<CowStr<'a>> {
    if !is_safe_url(url) {
        return None;
    }
    if is_relative(url) {
        return (doc.resolve)(url).map(CowStr::from);
    }
    Some(url.clone())
}

/// Gives every heading a stable id (its text as a slug, `-2`, `-3` for repeats)
/// with a self-link, and collects `##` and `###` headings into the table of contents.
pub struct HeadingAnchors;

impl Pass for HeadingAnchors {
    fn apply<'a>(&self, events: &mut Vec<Event<'a>>, doc: &mut Doc<'_>) {
        let mut seen: HashSet<String> = HashSet::new();
        let mut anchors: Vec<(usize, String)> = Vec::new();
        let mut open: Option<(usize, HeadingLevel, Option<String>, String)> = None;
        for (i, event) in events.iter().enumerate() {
            match (event, &mut open) {
                (Event::Start(Tag::Heading { level, id, .. }), None) => {
                    open = Some((i, *level, id.as_deref().map(str::to_string), String::new()))
                }
                (Event::Text(t) | Event::Code(t), Some((_, _, _, title))) => title.push_str(t),
                (Event::End(TagEnd::Heading(_)), Some(_)) => {
                    if let Some((at, level, given, title)) = open.take() {
                        let base = given.unwrap_or_else(|| heading_slug(&title));
                        let id = unique_id(&base, doc.reserved_ids, &mut seen);
                        if matches!(level, HeadingLevel::H2 | HeadingLevel::H3) {
                            doc.toc.push(TocEntry {
                                level: level as u8,
                                id: id.clone(),
                                title: title.trim().to_string(),
                            });
                        }
                        anchors.push((at, id));
                    }
                }
                _ => {}
            }
        }
        if anchors.is_empty() {
            return;
        }
        let mut out = Vec::with_capacity(events.len() + anchors.len());
        let mut next = anchors.into_iter().peekable();
        for (i, event) in events.drain(..).enumerate() {
            match (event, next.peek()) {
                (Event::Start(Tag::Heading { level, classes, .. }), Some((at, _))) if *at == i => {
                    let Some((_, id)) = next.next() else { break };
                    let anchor = format!(
                        "<a class=\"anchor\" href=\"#{}\" aria-hidden=\"true\" tabindex=\"-1\">#</a>",
                        super::escape(&id)
                    );
                    // Classes from `{.name}` are kept; other attributes (`{key=value}`)
                    // are dropped, so a record cannot add event handlers.
                    out.push(Event::Start(Tag::Heading {
                        level,
                        id: Some(CowStr::from(id)),
                        classes,
                        attrs: Vec::new(),
                    }));
                    out.push(Event::InlineHtml(CowStr::from(anchor)));
                }
                (event, _) => out.push(event),
            }
        }
        *events = out;
    }
}

/// A heading's text as an id: lower case letters and digits (any script), the
/// rest collapsed to `-`; `section` when nothing is left.
pub fn heading_slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "section".to_string()
    } else {
        trimmed.to_string()
    }
}

fn unique_id(base: &str, reserved: &[&str], seen: &mut HashSet<String>) -> String {
    let taken = |id: &str, seen: &HashSet<String>| reserved.contains(&id) || seen.contains(id);
    let mut id = base.to_string();
    let mut n = 1;
    while taken(&id, seen) {
        n += 1;
        id = format!("{base}-{n}");
    }
    seen.insert(id.clone());
    id
}

/// Writes table cells itself so header cells get `scope="col"` and alignment is a
/// class (which survives sanitizing), and wraps each table so it scrolls on phones.
pub struct Tables;

impl Pass for Tables {
    fn apply<'a>(&self, events: &mut Vec<Event<'a>>, _doc: &mut Doc<'_>) {
        if !events
            .iter()
            .any(|e| matches!(e, Event::Start(Tag::Table(_))))
        {
            return;
        }
        let mut out = Vec::with_capacity(events.len() + 16);
        let mut aligns: Vec<Alignment> = Vec::new();
        let mut in_head = false;
        let mut cell = 0usize;
        for event in events.drain(..) {
            match event {
                Event::Start(Tag::Table(a)) => {
                    aligns = a.clone();
                    out.push(Event::Html(CowStr::from("<div class=\"table-wrap\">")));
                    out.push(Event::Start(Tag::Table(a)));
                }
                Event::End(TagEnd::Table) => {
                    out.push(Event::End(TagEnd::Table));
                    out.push(Event::Html(CowStr::from("</div>\n")));
                }
                Event::Start(Tag::TableHead) => {
                    in_head = true;
                    cell = 0;
                    out.push(Event::Start(Tag::TableHead));
                }
                Event::End(TagEnd::TableHead) => {
                    in_head = false;
                    out.push(Event::End(TagEnd::TableHead));
                }
                Event::Start(Tag::TableRow) => {
                    cell = 0;
                    out.push(Event::Start(Tag::TableRow));
                }
                Event::Start(Tag::TableCell) => {
                    let class = match aligns.get(cell) {
                        Some(Alignment::Left) => " class=\"al-left\"",
                        Some(Alignment::Center) => " class=\"al-center\"",
                        Some(Alignment::Right) => " class=\"al-right\"",
                        _ => "",
                    };
                    let tag = if in_head {
                        format!("<th scope=\"col\"{class}>")
                    } else {
                        format!("<td{class}>")
                    };
                    out.push(Event::Html(CowStr::from(tag)));
                }
                Event::End(TagEnd::TableCell) => {
                    out.push(Event::Html(CowStr::from(if in_head {
                        "</th>"
                    } else {
                        "</td>"
                    })));
                    cell += 1;
                }
                other => out.push(other),
            }
        }
        *events = out;
    }
}

/// Replaces each fenced or indented code block by its highlighted HTML.
pub struct CodeBlocks<'h> {
    pub highlighter: &'h Highlighter,
}

impl Pass for CodeBlocks<'_> {
    fn apply<'a>(&self, events: &mut Vec<Event<'a>>, _doc: &mut Doc<'_>) {
        if !events
            .iter()
            .any(|e| matches!(e, Event::Start(Tag::CodeBlock(_))))
        {
            return;
        }
        let mut out = Vec::with_capacity(events.len());
        let mut block: Option<(String, String)> = None;
        for event in events.drain(..) {
            match (&mut block, event) {
                (None, Event::Start(Tag::CodeBlock(kind))) => {
                    let info = match kind {
                        CodeBlockKind::Fenced(info) => info.to_string(),
                        CodeBlockKind::Indented => String::new(),
                    };
                    block = Some((info, String::new()));
                }
                (Some((_, code)), Event::Text(text)) => code.push_str(&text),
                (Some((info, code)), Event::End(TagEnd::CodeBlock)) => {
                    let html = self.highlighter.block(info, code);
                    out.push(Event::Html(CowStr::from(html.to_string())));
                    block = None;
                }
                (Some(_), _) => {}
                (None, other) => out.push(other),
            }
        }
        *events = out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str, trusted: bool) -> Rendered {
        let h = Highlighter::default();
        let md = Markdown::new(&h, trusted);
        let resolve = |url: &str| Some(format!("resolved/{url}"));
        let mut doc = Doc {
            resolve: &resolve,
            reserved_ids: &["timeline"],
            toc: Vec::new(),
            mentions: None,
        };
        md.render(text, &mut doc)
    }

    #[test]
    fn headings_get_unique_ids_and_a_toc() {
        let out = render("## Root cause\n\n## Root cause\n\n### Timeline\n", false);
        assert!(out.html.contains("<h2 id=\"root-cause\">"), "{}", out.html);
        assert!(
            out.html.contains("<h2 id=\"root-cause-2\">"),
            "{}",
            out.html
        );
        assert!(out.html.contains("<h3 id=\"timeline-2\">"), "{}", out.html);
        assert_eq!(out.toc.len(), 3);
        assert_eq!(out.toc[1].id, "root-cause-2");
    }

    #[test]
    fn unsafe_urls_are_dropped() {
        let out = render(
            "[a](javascript:alert(1)) [b](<JaVa\tScRiPt:alert(1)>) ![c](data:text/html,x) [d](vbscript:x) [e](https://x.example/)",
            false,
        );
        assert_eq!(out.html.matches("href=").count(), 1, "{}", out.html);
        assert!(!out.html.contains("src="), "{}", out.html);
        assert!(out.html.contains("href=\"https://x.example/\""));
        assert!(out.html.contains("<p>a "), "{}", out.html);
        assert!(is_safe_url("notes/x.md#y"));
        assert!(!is_safe_url(" JAVASCRIPT:alert(1)"));
        assert!(!is_safe_url("java\nscript:alert(1)"));
    }

    #[test]
    fn relative_urls_are_resolved() {
        let out = render("![p](pool.png) [m](mailto:x@example.com) [h](#top)", false);
        assert!(
            out.html.contains("src=\"resolved/pool.png\""),
            "{}",
            out.html
        );
        assert!(out.html.contains("href=\"mailto:x@example.com\""));
        assert!(out.html.contains("href=\"#top\""));
    }

    #[test]
    fn raw_html_is_sanitized_unless_trusted() {
        let text = "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<b>bold</b>\n";
        let out = render(text, false);
        assert!(!out.html.contains("<script"), "{}", out.html);
        assert!(!out.html.contains("onerror"), "{}", out.html);
        assert!(out.html.contains("<b>bold</b>"));
        let trusted = render(text, true);
        assert!(trusted.html.contains("<script>"));
    }

    #[test]
    fn tables_have_scoped_headers() {
        let out = render("| a | b |\n|:-|--:|\n| 1 | 2 |\n", false);
        assert!(
            out.html
                .contains("<th scope=\"col\" class=\"al-left\">a</th>"),
            "{}",
            out.html
        );
        assert!(
            out.html.contains("<td class=\"al-right\">2</td>"),
            "{}",
            out.html
        );
        assert!(out.html.contains("<div class=\"table-wrap\">"));
    }

    #[test]
    fn code_is_highlighted_and_kept_out_of_text() {
        let out = render("```sql\nSELECT 1;\n```\n", false);
        assert!(out.html.contains("hl-"), "{}", out.html);
    }

    #[test]
    fn plain_inline_text_takes_the_fast_path() {
        assert!(is_plain("Rollback to user-service v2.3.2 started at 14:52"));
        assert!(!is_plain("**bold**"));
        assert!(!is_plain("- a list"));
        assert!(!is_plain("1. first"));
        let h = Highlighter::default();
        let md = Markdown::new(&h, false);
        let resolve = |_: &str| None;
        let mut doc = Doc {
            resolve: &resolve,
            reserved_ids: &[],
            toc: Vec::new(),
            mentions: None,
        };
        assert_eq!(
            md.render_inline("a \"quote\" b", &mut doc),
            "a &quot;quote&quot; b"
        );
        assert_eq!(md.render_inline("a & b", &mut doc), "a &amp; b");
        assert_eq!(
            md.render_inline("use `x` *now*", &mut doc),
            "use <code>x</code> <em>now</em>"
        );
    }

    #[test]
    fn later_passes_rewrite_text_but_never_code() {
        struct Shout;
        impl Pass for Shout {
            fn apply<'a>(&self, events: &mut Vec<Event<'a>>, _doc: &mut Doc<'_>) {
                for event in events.iter_mut() {
                    if let Event::Text(text) = event {
                        *event = Event::Text(CowStr::from(text.to_uppercase()));
                    }
                }
            }
        }
        let h = Highlighter::default();
        let md = Markdown::new(&h, false).with_pass(Shout);
        let resolve = |_: &str| None;
        let mut doc = Doc {
            resolve: &resolve,
            reserved_ids: &[],
            toc: Vec::new(),
            mentions: None,
        };
        let out = md.render("quiet `code`\n\n```\nquiet block\n```\n", &mut doc);
        assert!(out.html.contains("QUIET <code>code</code>"), "{}", out.html);
        assert!(out.html.contains("quiet block"), "{}", out.html);
    }

    #[test]
    fn slugs_of_headings() {
        assert_eq!(heading_slug("5 Whys: why?"), "5-whys-why");
        assert_eq!(heading_slug("Über uns"), "über-uns");
        assert_eq!(heading_slug("!!!"), "section");
    }
}
