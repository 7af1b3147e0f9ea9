//! The one Markdown dialect casebook reads: every stage that parses a body (the
//! checks, the prose walk behind mentions and similar incidents, the renderer and
//! the search excerpts) makes its parser here, so a heading, a link or a table means
//! the same thing to all of them.

use pulldown_cmark::{Options, Parser};

/// The extensions casebook enables: GitHub-style tables, footnotes, strikethrough,
/// task lists and alerts, and heading attributes (`## Root cause {#rc}`), which give
/// a heading its id and are never part of its text.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_GFM
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// A parser of `text` in casebook's dialect.
pub fn parser(text: &str) -> Parser<'_> {
    Parser::new_ext(text, options())
}

/// Whether inline text has nothing Markdown could read as syntax, so it renders as
/// itself, escaped: the fast path for the many timeline entries that are plain
/// sentences. Emphasis, code, links, HTML, entities, escapes and line breaks can
/// appear anywhere; lists, headings, quotes and code blocks only at the start.
pub fn is_plain(text: &str) -> bool {
    let anywhere = |b: u8| {
        matches!(
            b,
            b'*' | b'_' | b'`' | b'[' | b']' | b'<' | b'>' | b'&' | b'~' | b'\\' | b'\n' | b'\r'
        )
    };
    let first = text.bytes().next();
    !text.bytes().any(anywhere)
        && !first.is_some_and(|b| {
            b.is_ascii_digit() || b.is_ascii_whitespace() || matches!(b, b'-' | b'+' | b'=' | b'#')
        })
}

#[cfg(test)]
mod tests {
    use pulldown_cmark::{Event, Tag, TagEnd};

    use super::*;

    /// The text of each heading, as every stage reads it.
    fn headings(text: &str) -> Vec<(String, Option<String>)> {
        let mut found = Vec::new();
        let mut open: Option<(String, Option<String>)> = None;
        for event in parser(text) {
            match event {
                Event::Start(Tag::Heading { id, .. }) => {
                    open = Some((String::new(), id.map(|i| i.to_string())))
                }
                Event::Text(t) => {
                    if let Some((title, _)) = open.as_mut() {
                        title.push_str(&t);
                    }
                }
                Event::End(TagEnd::Heading(_)) => found.extend(open.take()),
                _ => {}
            }
        }
        found
    }

    #[test]
    fn heading_attributes_give_the_id_and_leave_the_text() {
        assert_eq!(
            headings("## Root cause {#rc}\n\n## Impact\n"),
            [
                ("Root cause".to_string(), Some("rc".to_string())),
                ("Impact".to_string(), None)
            ]
        );
    }

    #[test]
    fn plain_text_is_recognised() {
        assert!(is_plain("Paged the on-call engineer"));
        assert!(!is_plain("Paged **the** on-call"));
        assert!(!is_plain("1. a list"));
        assert!(!is_plain("# a heading"));
    }
}
