//! A record's prose, piece by piece: the one Markdown pass that the link stage shares
//! between mention detection and similar-incident terms.
//!
//! [`walk`] parses the summary, every timeline event, every action-item title and the
//! body, and hands each run of text to a visitor with its [`Context`]: plain prose,
//! link text (inside a Markdown link, an image's alt text or an inline `<a>` tag) or
//! inline code (a code span, or an inline `<code>`/`<kbd>`/`<samp>`/`<pre>` tag).
//! Fenced and indented code blocks and raw HTML blocks are never handed out.
//!
//! The Markdown is read with the renderer's options, so what counts as a mention
//! here is what the render stage turns into a link.
//!
//! Adjacent text events are merged into one piece (pulldown-cmark splits text at
//! escapes, entities and unused emphasis markers), so a token is never cut in two.
//! Each piece remembers where its parts came from, so an offset in the piece maps
//! back to an offset in the field's Markdown ([`Piece::origin`]).

use pulldown_cmark::{Event, Tag, TagEnd};

use crate::core::markdown::{self, is_plain};
use crate::core::model::Record;

/// Which field of the record a piece comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Summary,
    /// The event text of the timeline entry with this index.
    Timeline(usize),
    /// The title of the action item with this index.
    ActionItem(usize),
    Body,
}

/// What surrounds a piece of text, which decides whether ids in it become links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Ordinary text: ids here are mentions.
    Prose,
    /// The text of an existing link or an image's alt text: never rewritten.
    LinkText,
    /// A code span: shown verbatim.
    InlineCode,
}

/// One run of text and where its parts sit in the field's Markdown.
#[derive(Debug)]
pub struct Piece<'a> {
    pub field: Field,
    pub context: Context,
    pub text: &'a str,
    /// `(offset in text, offset in the field's Markdown, copied verbatim)` per part,
    /// in order. A part that is not verbatim (an escape, an entity) maps to its start.
    parts: &'a [(usize, usize, bool)],
}

impl Piece<'_> {
    /// The offset in the field's Markdown of the byte at `offset` in this piece.
    pub fn origin(&self, offset: usize) -> usize {
        let index = self.parts.partition_point(|&(at, _, _)| at <= offset);
        match index.checked_sub(1).and_then(|i| self.parts.get(i)) {
            Some(&(at, source, true)) => source + (offset - at),
            Some(&(_, source, false)) => source,
            None => 0,
        }
    }
}

/// Calls `visit` for every piece of text in the record's Markdown fields, in the order
/// summary, timeline, action items, body. The title is plain text and not visited.
pub fn walk(record: &Record, mut visit: impl FnMut(&Piece<'_>)) {
    let mut walker = Walker::default();
    if let Some(summary) = &record.summary {
        walker.markdown(Field::Summary, summary, &mut visit);
    }
    for (i, entry) in record.timeline.iter().enumerate() {
        walker.markdown(Field::Timeline(i), &entry.event, &mut visit);
    }
    for (i, item) in record.action_items.iter().enumerate() {
        walker.markdown(Field::ActionItem(i), &item.title, &mut visit);
    }
    walker.markdown(Field::Body, record.body(), &mut visit);
}

/// Calls `visit` for every piece of one Markdown text, as [`walk`] does per field.
pub fn walk_text(field: Field, markdown: &str, mut visit: impl FnMut(&Piece<'_>)) {
    Walker::default().markdown(field, markdown, &mut visit);
}

/// Buffers reused across fields so a record costs few allocations.
#[derive(Default)]
struct Walker {
    text: String,
    parts: Vec<(usize, usize, bool)>,
    context: Option<Context>,
}

/// How an inline HTML snippet changes the nesting of links (`<a>`) and code
/// (`<code>`, `<kbd>`, `<samp>`, `<pre>`): `(links, code)`, +1 per opening tag and
/// -1 per closing tag. A snippet may hold several tags (`<a href="#x">#</a>` nets 0).
pub fn html_nesting(html: &str) -> (isize, isize) {
    let (mut links, mut code) = (0, 0);
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let (closing, tag) = match rest.strip_prefix('/') {
            Some(tag) => (true, tag),
            None => (false, rest),
        };
        let name_len = tag
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(tag.len());
        let end = tag.find('>').unwrap_or(tag.len());
        let self_closing = tag[..end].ends_with('/');
        let delta = match (closing, self_closing) {
            (true, _) => -1,
            (false, false) => 1,
            (false, true) => 0,
        };
        match tag[..name_len].to_ascii_lowercase().as_str() {
            "a" => links += delta,
            "code" | "kbd" | "samp" | "pre" => code += delta,
            _ => {}
        }
    }
    (links, code)
}

/// Adds a signed change to a nesting depth, never below zero.
pub fn nest(depth: &mut usize, delta: isize) {
    *depth = depth.saturating_add_signed(delta);
}

impl Walker {
    fn markdown(&mut self, field: Field, markdown: &str, visit: &mut impl FnMut(&Piece<'_>)) {
        // Plain text (most timeline events and titles) is one run of prose as written,
        // exactly as the renderer shows it without parsing.
        if is_plain(markdown) {
            if !markdown.is_empty() {
                visit(&Piece {
                    field,
                    context: Context::Prose,
                    text: markdown,
                    parts: &[(0, 0, true)],
                });
            }
            return;
        }
        let mut code_blocks = 0usize;
        let mut links = 0usize;
        let mut html_links = 0usize;
        let mut html_code = 0usize;
        for (event, range) in markdown::parser(markdown).into_offset_iter() {
            match event {
                Event::Text(text) => {
                    if code_blocks > 0 {
                        continue;
                    }
                    let context = if html_code > 0 {
                        Context::InlineCode
                    } else if links > 0 || html_links > 0 {
                        Context::LinkText
                    } else {
                        Context::Prose
                    };
                    if self.context != Some(context) {
                        self.flush(field, visit);
                        self.context = Some(context);
                    }
                    let verbatim = markdown.get(range.clone()) == Some(text.as_ref());
                    self.parts.push((self.text.len(), range.start, verbatim));
                    self.text.push_str(&text);
                }
                Event::Code(code) => {
                    self.flush(field, visit);
                    let verbatim_at = markdown
                        .get(range.clone())
                        .and_then(|raw| raw.find(code.as_ref()));
                    self.parts.push((
                        0,
                        range.start + verbatim_at.unwrap_or(0),
                        verbatim_at.is_some(),
                    ));
                    self.text.push_str(&code);
                    self.context = Some(Context::InlineCode);
                    self.flush(field, visit);
                }
                Event::InlineHtml(html) => {
                    self.flush(field, visit);
                    let (links, code) = html_nesting(&html);
                    nest(&mut html_links, links);
                    nest(&mut html_code, code);
                }
                Event::Start(Tag::CodeBlock(_)) => {
                    self.flush(field, visit);
                    code_blocks += 1;
                }
                Event::End(TagEnd::CodeBlock) => code_blocks = code_blocks.saturating_sub(1),
                Event::Start(Tag::Link { .. } | Tag::Image { .. }) => {
                    self.flush(field, visit);
                    links += 1;
                }
                Event::End(TagEnd::Link | TagEnd::Image) => {
                    self.flush(field, visit);
                    links = links.saturating_sub(1);
                }
                _ => self.flush(field, visit),
            }
        }
        self.flush(field, visit);
    }

    fn flush(&mut self, field: Field, visit: &mut impl FnMut(&Piece<'_>)) {
        if let Some(context) = self.context.take() {
            if !self.text.is_empty() {
                visit(&Piece {
                    field,
                    context,
                    text: &self.text,
                    parts: &self.parts,
                });
            }
        }
        self.text.clear();
        self.parts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(markdown: &str) -> Vec<(Context, String, Vec<usize>)> {
        let mut out = Vec::new();
        let mut walker = Walker::default();
        walker.markdown(Field::Body, markdown, &mut |p: &Piece<'_>| {
            let origins = (0..p.text.len()).map(|i| p.origin(i)).collect();
            out.push((p.context, p.text.to_string(), origins));
        });
        out
    }

    #[test]
    fn contexts() {
        let found: Vec<(Context, String)> = pieces(
            "See A-1 and `A-2`.\n\n```\nA-3\n```\n\n[A-4](x) ![A-5](y.png) <a href=\"z\">A-6</a> <code>A-7</code> A-8\n",
        )
        .into_iter()
        .map(|(c, t, _)| (c, t))
        .collect();
        let expect = [
            (Context::Prose, "See A-1 and "),
            (Context::InlineCode, "A-2"),
            (Context::Prose, "."),
            (Context::LinkText, "A-4"),
            (Context::Prose, " "),
            (Context::LinkText, "A-5"),
            (Context::Prose, " "),
            (Context::LinkText, "A-6"),
            (Context::Prose, " "),
            (Context::InlineCode, "A-7"),
            (Context::Prose, " A-8"),
        ];
        let expect: Vec<(Context, String)> =
            expect.iter().map(|(c, t)| (*c, t.to_string())).collect();
        assert_eq!(found, expect);
    }

    #[test]
    fn html_nesting_counts_every_tag() {
        assert_eq!(html_nesting("<a href=\"#x\">#</a>"), (0, 0));
        assert_eq!(html_nesting("<A HREF=x>"), (1, 0));
        assert_eq!(html_nesting("</code>"), (0, -1));
        assert_eq!(html_nesting("<a name=x/><br>"), (0, 0));
        let mut depth = 0;
        nest(&mut depth, -1);
        assert_eq!(depth, 0);
    }

    #[test]
    fn merged_text_maps_back_to_the_source() {
        let markdown = "x INC\\_1 &amp; INC_2 y";
        let found = pieces(markdown);
        assert_eq!(found.len(), 1);
        let (_, text, origins) = &found[0];
        assert_eq!(text, "x INC_1 & INC_2 y");
        let at = text.find("INC_2").expect("merged");
        assert_eq!(&markdown[origins[at]..origins[at] + 5], "INC_2");
        assert_eq!(origins[0], 0);
    }

    #[test]
    fn inline_code_maps_inside_the_backticks() {
        let found = pieces("a `INC-1` b");
        let (context, text, origins) = &found[1];
        assert_eq!((*context, text.as_str()), (Context::InlineCode, "INC-1"));
        assert_eq!(origins[0], 3);
    }
}
