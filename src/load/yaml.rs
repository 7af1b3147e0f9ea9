//! YAML behind one door: a small tree of nodes that remember where they were written.
//!
//! casebook reads YAML with `saphyr-parser`'s event stream and builds its own
//! [`Node`] tree. The reasons (docs/yaml.md has the full decision): every key and
//! value keeps its byte span, so a finding points at the offending value and not at
//! the start of the front matter; a record with several mistakes yields all of them
//! instead of serde's first error; duplicate keys are caught with both places; and
//! the work is bounded on hostile input: nesting deeper than [`MAX_DEPTH`] and alias
//! expansion beyond [`MAX_NODES`] stop the parse with a finding instead of eating
//! memory. The parser itself is a state machine, so deep input cannot overflow the stack.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::syntax;

use crate::core::diag::Span;

/// Deepest nesting accepted; real front matter needs four levels.
pub const MAX_DEPTH: usize = 64;
/// Most nodes one document may hold, aliases expanded; real records have a few hundred.
pub const MAX_NODES: usize = 100_000;
/// Most syntax errors reported for one document: past this many, the file needs
/// rewriting more than a list of places.
pub const MAX_SYNTAX_ERRORS: usize = 20;

/// A YAML value and the bytes it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

/// The shape of a YAML value. Scalars stay text until a field asks for a type.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// `plain` is false for quoted and block scalars, which are always strings.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A problem found while reading YAML. A duplicate key, or a list item swallowed
/// into the value above it, still leaves a tree; every other problem leaves none.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// In plain words, at the cause, with the fix when the mistake is a known trap.
    Syntax {
        message: String,
        help: Option<String>,
        at: Span,
    },
    TooDeep {
        at: Span,
    },
    TooManyNodes {
        at: Span,
    },
    MultipleDocuments {
        at: Span,
    },
    DuplicateKey {
        key: String,
        first: Span,
        second: Span,
    },
}

/// The result of reading one document: a tree when it parsed, and every problem seen.
#[derive(Debug, Default)]
pub struct Parsed {
    pub root: Option<Node>,
    pub problems: Vec<Problem>,
}

impl Node {
    /// The text of a scalar that is not null, whatever its YAML type.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { text, .. } if !self.is_null() => Some(text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            NodeKind::Scalar { text, plain: true } => match text.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// A plain scalar read as a number (YAML 1.2 core schema, plus `_` separators).
    pub fn as_f64(&self) -> Option<f64> {
        match &self.kind {
            NodeKind::Scalar { text, plain: true } => {
                let cleaned = text.replace('_', "");
                cleaned.parse::<f64>().ok().filter(|n| n.is_finite())
            }
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// "a string", "a list", ... for messages about the wrong type.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
            NodeKind::Scalar { .. } if self.is_null() => "null",
            NodeKind::Scalar { plain: true, .. } if self.as_bool().is_some() => "a boolean",
            NodeKind::Scalar { plain: true, .. } if self.as_f64().is_some() => "a number",
            NodeKind::Scalar { .. } => "a string",
        }
    }

    /// Nodes in this subtree, for the alias budget.
    fn size(&self) -> usize {
        1 + match &self.kind {
            NodeKind::Scalar { .. } => 0,
            NodeKind::Seq(items) => items.iter().map(Node::size).sum(),
            NodeKind::Map(entries) => entries.iter().map(|(k, v)| k.size() + v.size()).sum(),
        }
    }
}

/// Maps the parser's character positions to byte offsets in the whole file.
struct Offsets {
    base: usize,
    /// Byte offset of each character, only built when the text is not ASCII.
    chars: Option<Vec<usize>>,
    len: usize,
}

impl Offsets {
    fn new(text: &str, base: usize) -> Offsets {
        let chars = (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect());
        Offsets {
            base,
            chars,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        let local = match &self.chars {
            None => char_index.min(self.len),
            Some(chars) => chars.get(char_index).copied().unwrap_or(self.len),
        };
        self.base + local
    }

    fn span(&self, span: &saphyr_parser::Span) -> Span {
        Span::new(self.byte(span.start.index()), self.byte(span.end.index()))
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: Span,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        start: Span,
        anchor: usize,
        /// Keys seen so far, only for large mappings; small ones are scanned.
        seen: Option<HashMap<String, Span>>,
    },
}

/// Mappings with more keys than this index them for the duplicate-key check, so
/// hostile input with thousands of keys stays linear.
const SCAN_KEYS: usize = 16;

/// Where `name` was first used as a key in this mapping, recording it if new.
fn earlier_key(
    entries: &[(Node, Node)],
    seen: &mut Option<HashMap<String, Span>>,
    name: &str,
    span: Span,
) -> Option<Span> {
    if seen.is_none() && entries.len() >= SCAN_KEYS {
        let index = entries
            .iter()
            .filter_map(|(k, _)| Some((k.as_str()?.to_string(), k.span)));
        let mut map = HashMap::new();
        for (key, at) in index {
            map.entry(key).or_insert(at);
        }
        *seen = Some(map);
    }
    match seen {
        Some(map) => match map.get(name) {
            Some(first) => Some(*first),
            None => {
                map.insert(name.to_string(), span);
                None
            }
        },
        None => entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(name))
            .map(|(k, _)| k.span),
    }
}

/// Reads one YAML document. `base` is the byte offset of `text` in its file, so
/// spans point into the file and not into the front matter alone.
///
/// After a syntax error, reading starts again at the next top-level key past the
/// lines the mistake can have spoilt, so independent mistakes are all reported and
/// none is a consequence of another. Such a document has no tree. The node budget
/// is shared by every part read, so the work stays bounded.
pub fn parse(text: &str, base: usize) -> Parsed {
    let mut parsed = Parsed::default();
    let mut nodes = 0usize;
    let Err(Stop::Syntax(error)) = read(text, base, &mut nodes, &mut parsed) else {
        return parsed;
    };
    parsed.root = None;
    let lines = syntax::lines(text);
    let mut error = error;
    let mut reported = 0;
    let mut parts = 0;
    loop {
        let found = syntax::diagnose(&lines, error.from, error.at, &error.info);
        if error.info == "recursion limit exceeded" {
            // The scanner counts flow nesting in a byte: past 255 `[` or `{` it gives
            // up before the tree reaches MAX_DEPTH. Same cause, same finding.
            let at = base + error.at;
            parsed.problems.push(Problem::TooDeep {
                at: Span::new(at, at),
            });
            return parsed;
        } else if !found.spurious {
            parsed.problems.push(Problem::Syntax {
                message: found.message,
                help: found.help,
                at: Span::new(base + found.at.start, base + found.at.end),
            });
            reported += 1;
        }
        // Every part read counts, reported or not, so hostile input cannot make
        // the reader start over once per line.
        parts += 1;
        let resume = syntax::line_index(&lines, found.resume_after.max(error.from));
        let Some(next) = syntax::next_key_line(&lines, resume) else {
            return parsed;
        };
        if reported >= MAX_SYNTAX_ERRORS || parts >= 2 * MAX_SYNTAX_ERRORS {
            return parsed;
        }
        let from = lines[next].start;
        let mut part = Parsed::default();
        let outcome = read(&text[from..], base + from, &mut nodes, &mut part);
        parsed.problems.append(&mut part.problems);
        match outcome {
            Ok(()) | Err(Stop::Limit) => return parsed,
            Err(Stop::Syntax(mut next_error)) => {
                next_error.from += from;
                next_error.at += from;
                error = next_error;
            }
        }
    }
}

/// Why reading stopped early.
enum Stop {
    /// A syntax error, to be diagnosed.
    Syntax(RawError),
    /// A limit or a second document: already recorded, nothing more to read.
    Limit,
}

/// The parser's error, with byte offsets relative to the text being read.
struct RawError {
    info: String,
    /// Where the part being read starts.
    from: usize,
    at: usize,
}

/// Reads `text` (at byte `base` of its file) into `parsed`, counting nodes into
/// `nodes`.
fn read(text: &str, base: usize, nodes: &mut usize, parsed: &mut Parsed) -> Result<(), Stop> {
    let offsets = Offsets::new(text, base);
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut documents = 0usize;

    while let Some(event) = parser.next_event() {
        let (event, raw_span) = match event {
            Ok(ok) => ok,
            Err(error) => {
                return Err(Stop::Syntax(RawError {
                    info: error.info().to_string(),
                    from: 0,
                    at: offsets.byte(error.marker().index()) - base,
                }));
            }
        };
        let span = offsets.span(&raw_span);
        let complete = match event {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => None,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    parsed
                        .problems
                        .push(Problem::MultipleDocuments { at: span });
                    parsed.root = None;
                    return Err(Stop::Limit);
                }
                None
            }
            Event::Scalar(value, style, anchor, _tag) => {
                if style == ScalarStyle::Plain && value.contains(" - ") {
                    swallowed(text, &offsets, &raw_span, &value, parsed);
                }
                let node = Node {
                    kind: NodeKind::Scalar {
                        text: value.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                    span,
                };
                Some((node, anchor))
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(node) => {
                    *nodes += node.size();
                    let mut node = node.clone();
                    node.span = span;
                    Some((node, 0))
                }
                None => {
                    return Err(Stop::Syntax(RawError {
                        info: "while parsing node, found unknown anchor".into(),
                        from: 0,
                        at: span.start - base,
                    }));
                }
            },
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    start: span,
                    anchor,
                });
                None
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    start: span,
                    anchor,
                    seen: None,
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq {
                    items,
                    start,
                    anchor,
                }) => Some((
                    Node {
                        kind: NodeKind::Seq(items),
                        span: Span::new(start.start, span.end),
                    },
                    anchor,
                )),
                Some(Frame::Map {
                    entries,
                    start,
                    anchor,
                    ..
                }) => Some((
                    Node {
                        kind: NodeKind::Map(entries),
                        span: Span::new(start.start, span.end),
                    },
                    anchor,
                )),
                None => None,
            },
        };
        if stack.len() > MAX_DEPTH {
            parsed.problems.push(Problem::TooDeep { at: span });
            parsed.root = None;
            return Err(Stop::Limit);
        }
        let Some((node, anchor)) = complete else {
            continue;
        };
        *nodes += 1;
        if *nodes > MAX_NODES {
            parsed.problems.push(Problem::TooManyNodes { at: span });
            parsed.root = None;
            return Err(Stop::Limit);
        }
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => parsed.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries, key, seen, ..
            }) => match key.take() {
                None => {
                    if let Some(name) = node.as_str() {
                        if let Some(first) = earlier_key(entries, seen, name, node.span) {
                            parsed.problems.push(Problem::DuplicateKey {
                                key: name.to_string(),
                                first,
                                second: node.span,
                            });
                        }
                    }
                    *key = Some(node);
                }
                Some(k) => entries.push((k, node)),
            },
        }
    }
    Ok(())
}

/// Records a plain scalar spread over lines that swallowed a deeper `- item`.
fn swallowed(
    text: &str,
    offsets: &Offsets,
    raw: &saphyr_parser::Span,
    value: &str,
    parsed: &mut Parsed,
) {
    let span = offsets.span(raw);
    let local = span.start - offsets.base..span.end - offsets.base;
    for (dash, message, help) in syntax::swallowed_items(text, local, value) {
        let at = offsets.base + dash;
        parsed.problems.push(Problem::Syntax {
            message,
            help: Some(help),
            at: Span::new(at, at + 1),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        let parsed = parse(text, 0);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        parsed.root.expect("a tree")
    }

    #[test]
    fn spans_point_at_values() {
        let text = "id: INC-1\ntitle: \"Pool\"\n";
        let node = root(text);
        let title = node.get("title").expect("title");
        assert_eq!(&text[title.span.start..title.span.end], "\"Pool\"");
        assert_eq!(title.as_str(), Some("Pool"));
    }

    #[test]
    fn spans_account_for_base_and_non_ascii() {
        let text = "title: café\nid: x\n";
        let parsed = parse(text, 100);
        let id = parsed.root.as_ref().and_then(|r| r.get("id")).expect("id");
        assert_eq!(id.span.start, 100 + text.find("x").expect("x"));
    }

    #[test]
    fn scalar_types() {
        let node = root("a: 12\nb: '12'\nc: true\nd: ~\ne: 14:23\n");
        assert_eq!(node.get("a").and_then(Node::as_f64), Some(12.0));
        assert_eq!(node.get("b").and_then(Node::as_f64), None);
        assert_eq!(node.get("c").and_then(Node::as_bool), Some(true));
        assert!(node.get("d").is_some_and(Node::is_null));
        assert_eq!(node.get("e").and_then(Node::as_str), Some("14:23"));
    }

    #[test]
    fn duplicate_keys_name_both_places() {
        let parsed = parse("id: a\nid: b\n", 0);
        assert!(
            matches!(&parsed.problems[..], [Problem::DuplicateKey { key, first, second }] if key == "id" && first.start == 0 && second.start == 6)
        );
    }

    #[test]
    fn duplicate_keys_in_large_mappings() {
        let mut text: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k3: again\nk39: again\n");
        let parsed = parse(&text, 0);
        let keys: Vec<&str> = parsed
            .problems
            .iter()
            .filter_map(|p| match p {
                Problem::DuplicateKey { key, .. } => Some(key.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(keys, ["k3", "k39"]);
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in 'b'..='k' {
            text.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = name;
        }
        let parsed = parse(&text, 0);
        assert!(parsed.root.is_none());
        assert!(matches!(
            parsed.problems[..],
            [Problem::TooManyNodes { .. }]
        ));
    }

    #[test]
    fn deep_nesting_is_refused() {
        for text in [
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
            format!("{}1{}", "{a: ".repeat(10_000), "}".repeat(10_000)),
        ] {
            let parsed = parse(&text, 0);
            assert!(parsed.root.is_none());
            assert!(matches!(parsed.problems[..], [Problem::TooDeep { .. }]));
        }
        let block: String = (0..10_000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        assert!(matches!(
            parse(&block, 0).problems[..],
            [Problem::TooDeep { .. }]
        ));
    }

    #[test]
    fn syntax_errors_have_a_place() {
        let parsed = parse("a: [1, 2\nb: c\n", 0);
        assert!(parsed.root.is_none());
        assert!(matches!(parsed.problems[..], [Problem::Syntax { .. }]));
    }
}
