//! The one HTML and XML escaper: for what the templates print (Tera's escape
//! function), the SVG drawings, mention links and the preview server's pages.
//! `&`, `<`, `>`, `"` and `'` become entities, so escaped text is safe in element
//! content and in quoted attribute values alike.

use std::fmt;

/// Text escaped as it is written, without an intermediate string.
pub struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        escape_pieces(self.0, |piece| f.write_str(piece))
    }
}

/// `text`, escaped when it is displayed (`write!(out, "{}", escape(name))`).
pub fn escape(text: &str) -> Escaped<'_> {
    Escaped(text)
}

/// `text`, escaped into a new string.
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let _ = escape_pieces(text, |piece| {
        out.push_str(piece);
        Ok::<(), ()>(())
    });
    out
}

/// Tera's escape function: escapes every value a template prints straight into
/// the page, so text without special characters is copied whole.
pub fn escape_to(text: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    escape_pieces(text, |piece| out.write_all(piece.as_bytes()))
}

/// Hands `text` to `push` in pieces: runs that need no escaping, and entities.
fn escape_pieces<E>(text: &str, mut push: impl FnMut(&str) -> Result<(), E>) -> Result<(), E> {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !NEEDS_ESCAPE[usize::from(b)] {
            continue;
        }
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        };
        push(&text[start..i])?;
        push(entity)?;
        start = i + 1;
    }
    push(&text[start..])
}

/// The bytes [`escape_pieces`] replaces.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    table[b'&' as usize] = true;
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[b'"' as usize] = true;
    table[b'\'' as usize] = true;
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_special_character_becomes_an_entity() {
        let text = r#"<a href="x" title='y'>&</a>"#;
        let expected = "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;";
        assert_eq!(escaped(text), expected);
        assert_eq!(escape(text).to_string(), expected);
        let mut bytes = Vec::new();
        escape_to(text, &mut bytes).expect("writing to a Vec");
        assert_eq!(bytes, expected.as_bytes());
    }
}
