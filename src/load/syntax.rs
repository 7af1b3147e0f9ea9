//! Plain words for YAML syntax errors, at the place a person has to fix.
//!
//! In: the YAML text, where saphyr-parser stopped and its message ("did not find
//! expected key"). Out: a [`Diagnosis`] naming the cause in words (a tab used for
//! indentation, `[]` followed by items, an unquoted `: ` in a value, ...), the byte
//! span of the cause, which is often on another line than the parser's stop, a `help`
//! with the fix, and the line after which reading may resume. The parser stops where
//! the token stream breaks; the mistake is usually a line or two earlier, and it is
//! one of a handful of traps. Each trap is recognised from the lines of the top-level
//! entry the parser stopped in, so an earlier entry that parsed is never blamed.

use std::ops::Range;

/// What went wrong, in words, and where.
#[derive(Debug, PartialEq)]
pub struct Diagnosis {
    /// The mistake, naming the key it is in.
    pub message: String,
    /// The fix, when the mistake is a known trap.
    pub help: Option<String>,
    /// Byte range of the cause in the text.
    pub at: Range<usize>,
    /// Byte offset whose line is the last one this mistake can have spoilt:
    /// reading resumes at the next top-level key after it.
    pub resume_after: usize,
    /// The error is an artefact of reading a part of the text on its own (an alias
    /// whose anchor is in an earlier part), not a mistake: nothing to report.
    pub spurious: bool,
}

/// One line of the text, without its `\n`.
#[derive(Clone, Copy)]
pub struct Line<'a> {
    /// Byte offset of the line's first character in the text.
    pub start: usize,
    /// The line, without its `\n`.
    pub text: &'a str,
}

/// The lines of `text`, each with its byte offset.
pub fn lines(text: &str) -> Vec<Line<'_>> {
    let mut start = 0;
    text.split('\n')
        .map(|text| {
            let line = Line { start, text };
            start += text.len() + 1;
            line
        })
        .collect()
}

/// The index of the line holding byte `at`.
pub fn line_index(lines: &[Line], at: usize) -> usize {
    lines.partition_point(|l| l.start <= at).saturating_sub(1)
}

/// The first line after line `after` that starts a top-level key: where reading
/// can start again without inheriting any state from the lines before.
pub fn next_key_line(lines: &[Line], after: usize) -> Option<usize> {
    (after + 1..lines.len()).find(|&i| top_level_key(lines[i].text))
}

/// The lines of the top-level entries named `keys`, for reading a few fields of a
/// document without parsing the rest of it. `None` when the lines alone cannot say
/// which entry a line belongs to: a tab or a document marker in column 0, a
/// directive, a complex or quoted key, or a value that opens a quote or a flow
/// collection and does not close it on its line (its next lines may start in
/// column 0). Then only a parse of the whole document can tell.
pub fn top_level_entries(text: &str, keys: &[&str]) -> Option<String> {
    let mut out = String::new();
    let mut keep = false;
    for line in text.split('\n') {
        let continues = line.is_empty()
            || line.starts_with([' ', '#'])
            || line == "-"
            || line.starts_with("- ");
        if !continues {
            if !top_level_key(line) || line.starts_with(['%', '?', '&', '*', '!']) {
                return None;
            }
            let entry = entry(line)?;
            if opens_a_line_it_does_not_close(entry.value) {
                return None;
            }
            keep = keys.contains(&entry.key);
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    Some(out)
}

/// Whether a value starts a quoted scalar or a flow collection that its line does
/// not end with the closing character.
fn opens_a_line_it_does_not_close(value: &str) -> bool {
    let close = match value.chars().next() {
        Some('"') => '"',
        Some('\'') => '\'',
        Some('[') => ']',
        Some('{') => '}',
        _ => return false,
    };
    value.len() < 2 || !value.ends_with(close)
}

/// A `key:` line in column 0 (not a list item, a comment or a flow's continuation).
fn top_level_key(line: &str) -> bool {
    !line.starts_with([' ', '\t', '-', '#', '[', ']', '{', '}', ',', '"', '\''])
        && entry(line).is_some_and(|e| e.key_at == 0)
}

/// A `key: value` line, positions relative to the line.
struct Entry<'a> {
    key: &'a str,
    key_at: usize,
    colon: usize,
    /// The value after `: `, comment included; empty when the key ends the line.
    value: &'a str,
    value_at: usize,
}

/// Spaces before the first character of a line.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Whether a line holds something other than blanks and a comment.
fn content(line: &str) -> bool {
    let trimmed = line.trim_start();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

/// Reads `key: value` from a line, after its indentation and any `- ` item markers.
fn entry(line: &str) -> Option<Entry<'_>> {
    let mut at = indent(line);
    while let Some(rest) = line[at..].strip_prefix("- ") {
        at = line.len() - rest.trim_start_matches(' ').len();
    }
    let rest = &line[at..];
    let colon = if let Some(quote) = rest.chars().next().filter(|c| matches!(c, '"' | '\'')) {
        let close = rest[1..].find(quote)? + 1;
        rest[close + 1..].starts_with(':').then_some(close + 1)?
    } else {
        let mut found = None;
        for (i, c) in rest.char_indices() {
            if c == '#' && (i == 0 || rest[..i].ends_with([' ', '\t'])) {
                return None;
            }
            if c == ':'
                && rest[i + 1..]
                    .chars()
                    .next()
                    .is_none_or(|n| n == ' ' || n == '\t')
            {
                found = Some(i);
                break;
            }
        }
        found.filter(|&i| i > 0)?
    };
    let after = &rest[colon + 1..];
    let value = after.trim_start_matches([' ', '\t']);
    Some(Entry {
        key: rest[..colon].trim_end(),
        key_at: at,
        colon: at + colon,
        value_at: line.len() - value.len(),
        value: value.trim_end(),
    })
}

/// A value with any trailing ` # comment` dropped (for plain values).
fn without_comment(value: &str) -> &str {
    match value.find(" #") {
        Some(i) => value[..i].trim_end(),
        None => value,
    }
}

/// The byte offset in `value` just past a quoted scalar that starts it, if it closes
/// on this line.
fn quote_end(value: &str) -> Option<usize> {
    let quote = value.chars().next()?;
    let mut chars = value.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            ('"', '\\') => {
                chars.next();
            }
            ('"', '"') => return Some(i + 1),
            ('\'', '\'') if chars.peek().is_some_and(|&(_, n)| n == '\'') => {
                chars.next();
            }
            ('\'', '\'') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The byte offset in `value` just past a flow collection (`[..]`, `{..}`) that
/// starts it, if it closes on this line.
fn flow_end(value: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < value.len() {
        let c = value[i..].chars().next()?;
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            '"' | '\'' if value[..i].ends_with(['[', '{', ',', ' ']) => {
                i += quote_end(&value[i..])?;
                continue;
            }
            _ => {}
        }
        i += c.len_utf8();
    }
    None
}

/// `value` quoted for a help line: in double quotes, or in single quotes when it
/// holds a double quote.
fn quoted(value: &str) -> String {
    if value.contains('"') {
        format!("'{}'", value.replace('\'', "''"))
    } else {
        format!("\"{value}\"")
    }
}

/// Where the parser stopped, and the lines to look at.
struct Site<'t, 'l> {
    lines: &'l [Line<'t>],
    /// The line the parser stopped on.
    stop: usize,
    /// The first line of the top-level entry the parser stopped in.
    first: usize,
    /// The first line of the part being read.
    floor: usize,
}

impl Site<'_, '_> {
    fn text(&self, i: usize) -> &str {
        self.lines[i].text
    }

    fn byte(&self, i: usize, col: usize) -> Range<usize> {
        let start = self.lines[i].start + col;
        let len = self.text(i)[col..].chars().next().map_or(0, char::len_utf8);
        start..start + len
    }

    /// Lines of the entry the parser stopped in, through the line after the stop
    /// (the scanner looks one line ahead before it complains).
    fn window(&self) -> Range<usize> {
        self.first..(self.stop + 2).min(self.lines.len())
    }

    /// The closest line before `i` (within the part) with something on it.
    fn previous_content(&self, i: usize) -> Option<usize> {
        (self.floor..i).rev().find(|&j| content(self.text(j)))
    }

    fn found(&self, line: usize, col: usize, message: String, help: String) -> Diagnosis {
        let at = self.byte(line, col);
        Diagnosis {
            resume_after: at.start.max(self.lines[self.stop].start),
            message,
            help: Some(help),
            at,
            spurious: false,
        }
    }
}

/// Explains the parser's error `info` at byte `at` of the text whose `lines` these
/// are, reading from byte `floor`.
pub fn diagnose(lines: &[Line], floor: usize, at: usize, info: &str) -> Diagnosis {
    let floor = line_index(lines, floor);
    let stop = line_index(lines, at).max(floor);
    let first = (floor..=stop)
        .rev()
        .find(|&i| top_level_key(lines[i].text))
        .unwrap_or(floor);
    let site = Site {
        lines,
        stop,
        first,
        floor,
    };
    let col = at
        .saturating_sub(lines[stop].start)
        .min(lines[stop].text.len());
    tab_indent(&site, info.contains("tab"))
        .or_else(|| by_message(&site, col, info))
        .unwrap_or_else(|| {
            let span = site.byte(stop, col);
            Diagnosis {
                message: format!("YAML does not parse here: {}", plain(info)),
                help: Some(
                    "check the indentation and quoting of this line and the line above it; \
                     a value in double quotes avoids most surprises"
                        .into(),
                ),
                resume_after: span.start,
                at: span,
                spurious: false,
            }
        })
}

/// The parser's words, without its internal vocabulary.
fn plain(info: &str) -> String {
    info.trim_start_matches("while parsing ")
        .trim_start_matches("while scanning ")
        .replace("simple key", "key")
        .replace(" expect ':'", " without a `:`")
}

fn by_message(site: &Site, col: usize, info: &str) -> Option<Diagnosis> {
    let stop = site.stop;
    if info.contains("mapping values are not allowed") {
        colon_in_value(site, col).or_else(|| indentation(site))
    } else if info.contains("must be followed by a valid YAML whitespace") {
        tab_after_indicator(site, col)
    } else if info.starts_with("unexpected character")
        || info.contains("block sequence entries are not allowed")
        || info.contains("mapping keys are not allowed")
        || info.contains("while scanning a block scalar")
        || info.contains("anchor or alias")
    {
        reserved_start(site, stop, col)
    } else if info.contains("unknown anchor") {
        alias_start(site, col)
    } else if info.contains("trailing content after") {
        text_after(site, stop)
    } else if info.contains("quoted scalar") {
        unclosed(site, '"').or_else(|| unclosed(site, '\''))
    } else if info.contains("key expect") || info.contains("expected ':'") {
        not_a_key(site, col)
    } else if info.contains("did not find expected")
        || info.contains("flow sequence")
        || info.contains("':' indicator")
        || info.contains("misplaced bracket")
    {
        empty_then_items(site)
            .or_else(|| dash_without_space(site))
            .or_else(|| text_after(site, stop))
            .or_else(|| unclosed(site, '['))
            .or_else(|| unclosed(site, '{'))
            .or_else(|| indentation(site))
    } else {
        None
    }
}

/// A tab among the spaces that indent a line of the entry. The line after the stop
/// counts only when the parser complained of a tab: it looks ahead one line.
fn tab_indent(site: &Site, tab_named: bool) -> Option<Diagnosis> {
    let window = site.window();
    let end = if tab_named { window.end } else { site.stop + 1 };
    (window.start..end).find_map(|i| {
        let text = site.text(i);
        let lead = text.len() - text.trim_start_matches([' ', '\t']).len();
        let tab = text[..lead].find('\t')?;
        content(text).then(|| {
            site.found(
                i,
                tab,
                "a tab indents this line; YAML indents with spaces only".into(),
                "replace the tab with spaces, as many as the lines it belongs with use".into(),
            )
        })
    })
}

/// `summary:⇥text` or `-⇥at:`: a tab where the parser wants a space after `:` or `-`.
fn tab_after_indicator(site: &Site, col: usize) -> Option<Diagnosis> {
    let text = site.text(site.stop);
    // The parser stops at the tab or just past it.
    let end = col + text[col..].len() - text[col..].trim_start_matches('\t').len();
    let before = text[..end].trim_end_matches('\t');
    if before.len() == end {
        return None;
    }
    let indicator = before.chars().last()?;
    Some(site.found(
        site.stop,
        before.len(),
        format!("a tab follows the `{indicator}`; YAML wants a space there"),
        format!("replace the tab after the `{indicator}` with a space"),
    ))
}

/// `title: Fix: the pool`: a second `: ` in a plain value.
fn colon_in_value(site: &Site, col: usize) -> Option<Diagnosis> {
    let text = site.text(site.stop);
    let e = entry(text)?;
    if col <= e.colon || e.value.starts_with(['"', '\'', '[', '{', '|', '>']) {
        return None;
    }
    let value = without_comment(e.value);
    Some(site.found(
        site.stop,
        col,
        format!(
            "the value of `{}` holds `: `, which YAML reads as the start of another key",
            e.key
        ),
        format!(
            "put the whole value in quotes: `{}: {}`",
            e.key,
            quoted(value)
        ),
    ))
}

/// A value starting with a character YAML keeps for itself: `@`, a backtick, `- `,
/// `>` or `|` followed by text, `%`, `!`, `&`.
fn reserved_start(site: &Site, line: usize, col: usize) -> Option<Diagnosis> {
    let text = site.text(line);
    let e = entry(text)?;
    // The parser stops at the character, or just past it for `&` and `*`.
    if !(e.value_at..=e.value_at + 1).contains(&col) {
        return None;
    }
    let c = e.value.chars().next()?;
    let meaning = match c {
        '@' => "`@` is reserved in YAML and cannot start a plain value".to_string(),
        '`' => "a backtick is reserved in YAML and cannot start a plain value".into(),
        '-' => "YAML reads `- ` as a list item, and a list cannot start on the key's line".into(),
        '>' | '|' => format!(
            "`{c}` at the start of a value begins a block of text on the lines below, \
             so nothing may follow it on its own line"
        ),
        _ => format!("`{c}` has a meaning in YAML and cannot start a plain value"),
    };
    Some(site.found(
        line,
        col,
        format!(
            "the value of `{}` starts with {}: {meaning}",
            e.key,
            if c == '`' {
                "a backtick".to_string()
            } else {
                format!("`{c}`")
            }
        ),
        format!(
            "put the whole value in quotes: `{}: {}`",
            e.key,
            quoted(without_comment(e.value))
        ),
    ))
}

/// `summary: *very* slow`: `*` starts an alias.
fn alias_start(site: &Site, col: usize) -> Option<Diagnosis> {
    let text = site.text(site.stop);
    let name: String = text[col..]
        .chars()
        .skip(1)
        .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
        .collect();
    let anchor = format!("&{name}");
    let anchored_before = site.lines[..site.floor]
        .iter()
        .any(|l| l.text.contains(&anchor));
    if anchored_before {
        let at = site.byte(site.stop, col);
        return Some(Diagnosis {
            message: String::new(),
            help: None,
            resume_after: at.start,
            at,
            spurious: true,
        });
    }
    let e = entry(text).filter(|e| e.value_at == col);
    let help = match &e {
        Some(e) => format!(
            "to write text that starts with `*`, put it in quotes: `{}: {}`",
            e.key,
            quoted(without_comment(e.value))
        ),
        None => "to write text that starts with `*`, put it in quotes".into(),
    };
    Some(site.found(
        site.stop,
        col,
        format!("`*{name}` reads as a reference to an anchor `&{name}`, and there is none"),
        help,
    ))
}

/// `summary: "Pool" ran dry` or `summary: [WIP] the pool`: text after a closed quote
/// or bracket.
fn text_after(site: &Site, line: usize) -> Option<Diagnosis> {
    let e = entry(site.text(line))?;
    let (end, what) = match e.value.chars().next()? {
        '"' | '\'' => (quote_end(e.value)?, "its closing quote"),
        '[' => (flow_end(e.value)?, "the `]` that closes it"),
        '{' => (flow_end(e.value)?, "the `}` that closes it"),
        _ => return None,
    };
    let rest = e.value[end..].trim_start();
    if rest.is_empty() || rest.starts_with('#') {
        return None;
    }
    let kind = match e.value.chars().next() {
        Some('[') => "a list",
        Some('{') => "a mapping",
        _ => "a quoted string",
    };
    let value = without_comment(e.value);
    Some(site.found(
        line,
        e.value_at,
        format!(
            "the value of `{}` is read as {kind}, and text follows {what}",
            e.key
        ),
        format!(
            "put the whole value in quotes: `{}: {}`",
            e.key,
            quoted(value)
        ),
    ))
}

/// A quote (`"`, `'`) or a flow bracket (`[`, `{`) opened at the start of a value
/// and not closed on its line, the closest before the stop.
fn unclosed(site: &Site, open: char) -> Option<Diagnosis> {
    let (line, e) = (site.floor..=site.stop).rev().find_map(|i| {
        let e = entry(site.text(i))?;
        let closed = match open {
            '"' | '\'' => quote_end(e.value).is_some(),
            _ => flow_end(e.value).is_some(),
        };
        (e.value.starts_with(open) && !closed).then_some((i, e))
    })?;
    let close = match open {
        '[' => ']',
        '{' => '}',
        quote => quote,
    };
    let what = match open {
        '"' | '\'' => "quote",
        _ => "bracket",
    };
    let mut found = site.found(
        line,
        e.value_at,
        format!(
            "the {what} `{open}` that starts the value of `{}` is never closed",
            e.key
        ),
        format!("close it with `{close}` at the end of the value, on the same line"),
    );
    found.resume_after = site.lines[line].start;
    Some(found)
}

/// `timeline: []` (or `{}`) and then items on the lines below.
fn empty_then_items(site: &Site) -> Option<Diagnosis> {
    site.window().find_map(|i| {
        let e = entry(site.text(i))?;
        let value = without_comment(e.value);
        if value != "[]" && value != "{}" {
            return None;
        }
        let next = (i + 1..site.lines.len()).find(|&j| content(site.text(j)))?;
        let below = site.text(next);
        let parent = indent(site.text(i));
        let items = indent(below) > parent
            || (indent(below) == parent && below.trim_start().starts_with("- "));
        let kind = if value == "[]" { "list" } else { "mapping" };
        items.then(|| {
            site.found(
                i,
                e.value_at,
                format!(
                    "`{}` is written as an empty {kind}, `{value}`, and then entries follow on the lines below",
                    e.key
                ),
                format!(
                    "remove the `{value}`: write `{}:` with nothing after the colon, then the entries",
                    e.key
                ),
            )
        })
    })
}

/// `-at: "14:23"`: a list item without the space after its `-`.
fn dash_without_space(site: &Site) -> Option<Diagnosis> {
    site.window().find_map(|i| {
        let text = site.text(i);
        let at = indent(text);
        let rest = text[at..].strip_prefix('-')?;
        let next = rest.chars().next()?;
        if next.is_whitespace() || next == '-' || entry(text).is_none() {
            return None;
        }
        Some(site.found(
            i,
            at,
            format!(
                "`-{}` needs a space after the `-` to be a list item",
                rest.split(':').next().unwrap_or(rest)
            ),
            format!("write `- {}`", rest.trim_end()),
        ))
    })
}

/// A line indented where no mapping or list above it can take it.
fn indentation(site: &Site) -> Option<Diagnosis> {
    let line = site.stop;
    let text = site.text(line);
    let at = indent(text);
    let prev = site.previous_content(line)?;
    let above = site.text(prev);
    let name = entry(text).map_or_else(|| "this line".to_string(), |e| format!("`{}`", e.key));
    if at > indent(above) {
        let e = entry(above)?;
        let value = without_comment(e.value);
        if value.is_empty() || value.starts_with(['|', '>', '&', '!']) {
            return None;
        }
        return Some(site.found(
            line,
            at,
            format!(
                "{name} is indented under `{}`, which already has a value on its line",
                e.key
            ),
            format!(
                "start {name} in the same column as `{}`; to nest it, leave `{}:` with nothing after the colon",
                e.key, e.key
            ),
        ));
    }
    let sibling = indent(above);
    if at == sibling && above[at..].starts_with('-') && entry(text).is_some() {
        return Some(site.found(
            line,
            at,
            format!("{name} is a key in the column of the list items above it; a list and a mapping cannot share a column"),
            "start it with `- ` to make it an item of that list, or move it to the column of the key the list belongs to".into(),
        ));
    }
    if at == sibling {
        return None;
    }
    let columns: Vec<usize> = (site.first..line)
        .filter(|&j| entry(site.text(j)).is_some())
        .map(|j| indent(site.text(j)))
        .collect();
    if columns.contains(&at) {
        return None;
    }
    Some(site.found(
        line,
        at,
        format!("{name} is indented {at} spaces, which lines it up with nothing above it"),
        format!(
            "line it up with the keys of the mapping it belongs to; the line above is indented {sibling} spaces"
        ),
    ))
}

/// The parser wanted a `:` and reached the next line: the line before is not a
/// `key: value` line.
fn not_a_key(site: &Site, col: usize) -> Option<Diagnosis> {
    let stop = site.text(site.stop);
    let line = if col <= indent(stop) || !content(stop) {
        site.previous_content(site.stop)?
    } else {
        site.stop
    };
    let text = site.text(line);
    let at = indent(text);
    let words = text[at..].trim_end();
    if let Some(parent) = site.previous_content(line) {
        let e = entry(site.text(parent));
        if let Some(e) = e.filter(|e| {
            matches!(without_comment(e.value).chars().next(), Some('|' | '>'))
                && indent(text) <= indent(site.text(parent))
        }) {
            return Some(site.found(
                line,
                at,
                format!(
                    "the text of the block `{}: {}` must be indented under its key",
                    e.key,
                    without_comment(e.value)
                ),
                "indent every line of the block by two more spaces than its key".into(),
            ));
        }
    }
    if let Some(colon) = words.find(':').filter(|&i| i > 0) {
        let key = &words[..colon];
        let value = words[colon + 1..].trim();
        return Some(site.found(
            line,
            at + colon,
            format!("`{key}:{value}` has no space after the colon, so it is not a key"),
            format!("write `{key}: {value}`"),
        ));
    }
    if let Some(equals) = words.find('=').filter(|&i| i > 0) {
        let key = words[..equals].trim_end();
        let value = words[equals + 1..].trim();
        return Some(site.found(
            line,
            at + equals,
            format!("`{words}` uses `=`; YAML writes a key, a colon and a space"),
            format!("write `{key}: {value}`"),
        ));
    }
    Some(site.found(
        line,
        at,
        format!("`{words}` is not `key: value`: there is no `:` after a key"),
        "write the key, a colon and a space, then the value: `key: value`".into(),
    ))
}

/// Plain multi-line scalars that swallowed a list item: `- database` followed by a
/// deeper `- pool` reads as the one value `database - pool`. Returns each swallowed
/// `-` (byte offset in `text`) with the message and help.
pub fn swallowed_items(
    text: &str,
    span: Range<usize>,
    value: &str,
) -> Vec<(usize, String, String)> {
    let Some(written) = text.get(span.clone()) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut offset = span.start;
    for (n, line) in written.split('\n').enumerate() {
        let trimmed = line.trim_start_matches([' ', '\t']);
        if n > 0 && (trimmed.starts_with("- ") || trimmed == "-") {
            let dash = offset + line.len() - trimmed.len();
            found.push((
                dash,
                format!(
                    "`{}` is indented deeper than the line above, so it is not a list item but \
                     more text of the value above, which reads `{value}`",
                    trimmed.trim_end()
                ),
                "start every `-` of one list in the same column; if the text is meant, \
                 put the value in quotes"
                    .to_string(),
            ));
        }
        offset += line.len() + 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explain(text: &str) -> Diagnosis {
        let error = saphyr_parser::Parser::new_from_str(text)
            .find_map(Result::err)
            .expect("an error");
        diagnose(&lines(text), 0, error.marker().index(), error.info())
    }

    #[test]
    fn top_level_entries_keeps_the_named_entries_whole() {
        let text = "id: X\nreview: approved # done\ntimeline:\n- at: 10:00\n  event: \"a: b\"\n\n# note\naction_items:\n  - title: T\n    status: done\nrelated: [A, B]\n";
        assert_eq!(
            top_level_entries(text, &["review", "action_items"]).as_deref(),
            Some("review: approved # done\naction_items:\n  - title: T\n    status: done\n")
        );
        assert_eq!(
            top_level_entries("a: 1\n", &["review"]).as_deref(),
            Some("")
        );
    }

    #[test]
    fn top_level_entries_gives_up_where_lines_cannot_tell() {
        for text in [
            "title: \"two\nreview: lines\"\n",
            "related: [A,\nreview: x]\n",
            "\treview: approved\n",
            "---\nreview: approved\n",
            "? review\n: approved\n",
            "\"review\": approved\n",
            "%YAML 1.2\nreview: approved\n",
            "plain words\n",
        ] {
            assert_eq!(top_level_entries(text, &["review"]), None, "{text:?}");
        }
    }

    #[test]
    fn a_tab_is_found_on_the_line_after_the_stop() {
        let text = "a:\n  - b: c\n    d: e\n\tf: g\n";
        let found = explain(text);
        assert_eq!(found.at, 21..22, "{found:?}");
        assert!(found.message.contains("tab"));
    }

    #[test]
    fn an_empty_list_followed_by_items() {
        let found = explain("timeline: []\n  - at: x\n");
        assert_eq!(found.at, 10..11);
        assert!(found.help.is_some_and(|h| h.contains("`timeline:`")));
    }

    #[test]
    fn entries_read_keys_values_and_items() {
        let e = entry("  - at: \"14:23\" # x").expect("entry");
        assert_eq!((e.key, e.key_at, e.value_at), ("at", 4, 8));
        assert!(entry("# a: b").is_none());
        assert!(entry("plain words").is_none());
        assert!(top_level_key("title: x"));
        assert!(!top_level_key("  title: x"));
        assert!(!top_level_key("- title: x"));
    }

    #[test]
    fn quotes_and_brackets_close() {
        assert_eq!(quote_end("\"a\\\"b\" c"), Some(6));
        assert_eq!(quote_end("'it''s' x"), Some(7));
        assert_eq!(quote_end("\"open"), None);
        assert_eq!(flow_end("[a, \"]\", b] x"), Some(11));
        assert_eq!(flow_end("[a, b"), None);
    }
}
