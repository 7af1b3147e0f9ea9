//! Mentions become links: the render side of the link stage's mention rules.
//!
//! [`MentionLinks`] is a Markdown pass: it runs after code blocks became HTML and
//! rewrites the text events outside links, images and inline `<a>`/`<code>` tags,
//! turning every id the document's [`Doc::mentions`] finds into a link to that
//! record's page. Code spans are not text events, so they stay as written.
//! [`summary_html`] does the same for a record's summary, which is shown as plain
//! text: everything escaped, mentions linked; [`escape_with_links`] serves plain
//! inline text that skips the Markdown parse.

use pulldown_cmark::{CowStr, Event, LinkType, Tag, TagEnd};

use super::escaped;
use super::markdown::{Doc, Pass};
use crate::core::prose::{self, html_nesting, nest, Context, Field};

/// Finds the mentions in a run of text: `(byte offset, length, URL of the page)`.
pub type FindMentions<'d> = dyn Fn(&str) -> Vec<(usize, usize, String)> + 'd;

/// Links every mention in a document's text (see the module docs).
pub struct MentionLinks;

impl Pass for MentionLinks {
    fn apply<'a>(&self, events: &mut Vec<Event<'a>>, doc: &mut Doc<'_>) {
        let Some(find) = doc.mentions else {
            return;
        };
        let mut out = Vec::with_capacity(events.len());
        let (mut links, mut html_links, mut html_code) = (0usize, 0usize, 0usize);
        let mut run = TextRun::default();
        for event in events.drain(..) {
            if let Event::Text(_) = &event {
                if links == 0 && html_links == 0 && html_code == 0 {
                    run.events.push(event);
                    continue;
                }
            }
            run.flush(find, &mut out);
            match &event {
                Event::Start(Tag::Link { .. } | Tag::Image { .. }) => links += 1,
                Event::End(TagEnd::Link | TagEnd::Image) => links = links.saturating_sub(1),
                Event::InlineHtml(html) => {
                    let (l, c) = html_nesting(html);
                    nest(&mut html_links, l);
                    nest(&mut html_code, c);
                }
                _ => {}
            }
            out.push(event);
        }
        run.flush(find, &mut out);
        *events = out;
    }
}

/// Adjacent text events, looked at together (the parser splits text at escapes and
/// entities). Most runs hold no mention and go out unchanged, without a copy.
#[derive(Default)]
struct TextRun<'a> {
    events: Vec<Event<'a>>,
    joined: String,
}

impl<'a> TextRun<'a> {
    /// Emits the run, split around its mentions, and empties it.
    fn flush(&mut self, find: &FindMentions<'_>, out: &mut Vec<Event<'a>>) {
        let found = match self.events.as_slice() {
            [] => return,
            [Event::Text(text)] => find(text),
            events => {
                self.joined.clear();
                for event in events {
                    if let Event::Text(text) = event {
                        self.joined.push_str(text);
                    }
                }
                find(&self.joined)
            }
        };
        if found.is_empty() {
            out.append(&mut self.events);
            return;
        }
        if let [Event::Text(text)] = self.events.as_slice() {
            self.joined.clear();
            self.joined.push_str(text);
        }
        self.events.clear();
        link_text(&self.joined, &found, out);
    }
}

/// Emits `text` as text events with each mention in `found` as a link.
fn link_text<'a>(text: &str, found: &[(usize, usize, String)], out: &mut Vec<Event<'a>>) {
    let mut at = 0;
    for (start, len, url) in found {
        let (start, end) = (*start, start + len);
        if start < at || text.get(start..end).is_none() {
            continue;
        }
        if start > at {
            out.push(Event::Text(CowStr::from(text[at..start].to_string())));
        }
        out.push(Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url: CowStr::from(url.clone()),
            title: CowStr::from(""),
            id: CowStr::from(""),
        }));
        out.push(Event::Text(CowStr::from(text[start..end].to_string())));
        out.push(Event::End(TagEnd::Link));
        at = end;
    }
    if at < text.len() {
        out.push(Event::Text(CowStr::from(text[at..].to_string())));
    }
}

/// A summary as HTML: the text escaped, and each mention outside code spans and
/// links a link, by the same rules that make it a backlink.
pub fn summary_html(summary: &str, find: &FindMentions<'_>) -> String {
    let mut mentions: Vec<(usize, usize, String)> = Vec::new();
    prose::walk_text(Field::Summary, summary, |piece| {
        if piece.context != Context::Prose {
            return;
        }
        for (start, len, url) in find(piece.text) {
            let origin = piece.origin(start);
            let id = &piece.text[start..start + len];
            if summary.get(origin..origin + len) == Some(id) {
                mentions.push((origin, len, url));
            }
        }
    });
    mentions.sort_by_key(|m| m.0);
    escape_with_links(summary, &mentions)
}

/// Plain text as HTML: escaped, with the given mentions (sorted by offset) as links,
/// written as the Markdown renderer writes a link.
pub fn escape_with_links(text: &str, mentions: &[(usize, usize, String)]) -> String {
    let mut html = String::with_capacity(text.len() + mentions.len() * 48);
    let mut at = 0;
    for (start, len, url) in mentions {
        let (start, end) = (*start, start + len);
        if start < at || text.get(start..end).is_none() {
            continue;
        }
        html.push_str(&escaped(&text[at..start]));
        html.push_str("<a href=\"");
        html.push_str(&escaped(url));
        html.push_str("\">");
        html.push_str(&escaped(&text[start..end]));
        html.push_str("</a>");
        at = end;
    }
    html.push_str(&escaped(&text[at..]));
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::highlight::Highlighter;
    use crate::render::markdown::Markdown;

    fn find(text: &str) -> Vec<(usize, usize, String)> {
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(at) = text[from..].find("INC-1") {
            let start = from + at;
            out.push((start, 5, "../INC-1/".to_string()));
            from = start + 5;
        }
        out
    }

    fn render(markdown: &str) -> String {
        let highlighter = Highlighter::default();
        let renderer = Markdown::new(&highlighter, false).with_pass(MentionLinks);
        let resolve = |url: &str| Some(url.to_string());
        let mut doc = Doc {
            resolve: &resolve,
            reserved_ids: &[],
            toc: Vec::new(),
            mentions: Some(&find),
        };
        renderer.render(markdown, &mut doc).html
    }

    #[test]
    fn mentions_become_links_outside_code_and_links() {
        let html = render(
            "## INC-1\n\nSee INC-1, `INC-1` and [INC-1](https://x.example/).\n\n```\nINC-1\n```\n\n<code>INC-1</code> <a href=\"https://y.example/\">INC-1</a>\n",
        );
        assert_eq!(html.matches("href=\"../INC-1/\"").count(), 2, "{html}");
        assert!(html.contains("See <a href=\"../INC-1/\""), "{html}");
        assert!(html.contains(", <code>INC-1</code> and"), "{html}");
        assert!(html.contains("<code>INC-1\n</code>"), "{html}");
        assert!(
            html.contains("<p><code>INC-1</code> <a href=\"https://y.example/\""),
            "{html}"
        );
    }

    #[test]
    fn summaries_are_escaped_text_with_links() {
        assert_eq!(
            summary_html("<b>INC-1</b> & `INC-1`", &find),
            "&lt;b&gt;<a href=\"../INC-1/\">INC-1</a>&lt;/b&gt; &amp; `INC-1`"
        );
    }
}
