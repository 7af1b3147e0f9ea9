//! What `casebook serve` adds to the HTML pages it serves (never to a build's
//! output): the live-reload script and, while the archive has errors, a banner
//! that lists them.
//!
//! The script ([`SCRIPT`], served at [`SCRIPT_PATH`]) long-polls
//! `/__casebook/reload?since=GEN` and reloads the page once the generation it was
//! served at is over. It is a file of its own rather than inline code, so a theme
//! whose Content-Security-Policy allows only `'self'` scripts still reloads.

use serde::Serialize;

use crate::render::escaped;

/// Where the server answers with [`SCRIPT`].
pub const SCRIPT_PATH: &str = "/__casebook/live.js";

/// The live-reload script; it needs no network but the server's.
pub const SCRIPT: &str = include_str!("live.js");

/// One error shown in the banner: where (`file:line:col`), when known, and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `file:line:col`, when the error has a place.
    pub place: Option<String>,
    /// `error[CODE]: message`.
    pub message: String,
}

/// `html` with the errors banner (when there are `problems`) and the reload
/// script for a page served at `generation`, inserted before the last `</body>`
/// (or at the end when there is none).
pub fn inject(html: &[u8], generation: u64, problems: &[Problem]) -> Vec<u8> {
    let mut extra = String::new();
    if !problems.is_empty() {
        extra.push_str(&banner(problems));
    }
    extra.push_str(&format!(
        "<script src=\"{SCRIPT_PATH}\" data-generation=\"{generation}\"></script>\n"
    ));
    let at = rfind_ignore_case(html, b"</body").unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + extra.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(extra.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

/// The banner listing `problems`, every text escaped. Styled inline so it looks
/// the same over any theme.
fn banner(problems: &[Problem]) -> String {
    let count = problems.len();
    let mut html = String::from(
        "<div id=\"casebook-errors\" role=\"alert\" style=\"position:fixed;left:0;right:0;bottom:0;\
         z-index:2147483647;max-height:50vh;overflow:auto;margin:0;padding:0.8em 1.2em;\
         background:#7f1d1d;color:#fff;font:14px/1.45 ui-monospace,monospace;\
         box-shadow:0 -2px 8px rgba(0,0,0,.4)\">",
    );
    html.push_str(&format!(
        "<p style=\"margin:0 0 .4em;font-weight:bold\">casebook serve: {count} error{} \
         (the pages show the last build without errors)</p><ul style=\"margin:0;padding-left:1.2em\">",
        if count == 1 { "" } else { "s" }
    ));
    for problem in problems {
        html.push_str("<li>");
        if let Some(place) = &problem.place {
            html.push_str(&escaped(place));
            html.push_str(": ");
        }
        html.push_str(&escaped(&problem.message));
        html.push_str("</li>");
    }
    html.push_str("</ul></div>\n");
    html
}

/// The start of the last ASCII-case-insensitive match of `needle` in `haystack`.
fn rfind_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .rposition(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).expect("UTF-8")
    }

    #[test]
    fn script_goes_before_the_last_body_end() {
        let page = text(inject(b"<html><body><p>x</p></BODY></html>", 7, &[]));
        assert_eq!(
            page,
            "<html><body><p>x</p><script src=\"/__casebook/live.js\" data-generation=\"7\"></script>\n</BODY></html>"
        );
        let bare = text(inject(b"<p>no body", 1, &[]));
        assert!(bare.starts_with("<p>no body<script"), "{bare}");
        assert!(!bare.contains("casebook-errors"));
    }

    #[test]
    fn banner_lists_problems_escaped() {
        let problems = [
            Problem {
                place: Some("content/incidents/<a>.md:3:8".into()),
                message: "error[CB0001]: bad `<script>alert(1)</script>` & more".into(),
            },
            Problem {
                place: None,
                message: "template error".into(),
            },
        ];
        let page = text(inject(b"<body></body>", 2, &problems));
        assert!(page.contains("2 errors"), "{page}");
        assert!(page.contains(
            "<li>content/incidents/&lt;a&gt;.md:3:8: error[CB0001]: bad `&lt;script&gt;alert(1)&lt;/script&gt;` &amp; more</li>"
        ));
        assert!(page.contains("<li>template error</li>"));
        assert!(!page.contains("<script>alert"));
        let banner_at = page.find("casebook-errors").expect("banner");
        let script_at = page.find("live.js").expect("script");
        assert!(banner_at < script_at && page.ends_with("</body>"));
    }

    #[test]
    fn script_reads_its_generation() {
        assert!(SCRIPT.contains("data-generation"));
        assert!(SCRIPT.contains("/__casebook/reload?since="));
    }
}
