//! Findings about the archive and how they are printed.
//!
//! Every check in casebook returns [`Diagnostic`] values instead of printing, so
//! checks stay testable and run in parallel. One [`Report`] sorts them and prints
//! them in one of three formats: rustc-style text with a source snippet, a stable
//! JSON array for tools, or GitHub Actions workflow commands for pull requests.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level as SnippetLevel, Renderer, Snippet};
use serde::Serialize;

use crate::core::rules::Rule;

/// A byte range in a source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// A span covering `start..end`; an empty range is widened to one byte when printed.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start,
            end: end.max(start),
        }
    }
}

/// A value together with where it was written, so later stages can point at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// The text of one file, shared by every finding that points into it.
#[derive(Debug)]
pub struct Source {
    /// The path as shown to the user (relative to the archive root).
    pub path: PathBuf,
    /// The normalized text (no BOM, `\n` line ends); empty when the file is not text.
    pub text: String,
}

impl Source {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Arc<Source> {
        Arc::new(Source {
            path: path.into(),
            text: text.into(),
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        #[cfg(test)]
        tests::LINE_COL_CALLS.with(|calls| calls.set(calls.get() + 1));
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// How serious a finding is. `Error` fails `check` and `build`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

/// One finding about the archive: what rule, where, what is wrong and what may fix it.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub rule: Rule,
    pub level: Level,
    pub message: String,
    pub source: Option<Arc<Source>>,
    pub span: Option<Span>,
    /// A short label under the marked span.
    pub label: Option<String>,
    /// Other places that explain the finding (the first of two duplicate ids, say).
    pub notes: Vec<(Arc<Source>, Span, String)>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A finding at its rule's default level; site.toml may change the level later.
    pub fn new(rule: Rule, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            rule,
            level: rule.default_level(),
            message: message.into(),
            source: None,
            span: None,
            label: None,
            notes: Vec::new(),
            help: None,
        }
    }

    pub fn at(mut self, source: &Arc<Source>, span: Span) -> Self {
        self.source = Some(Arc::clone(source));
        self.span = Some(span);
        self
    }

    pub fn in_file(mut self, source: &Arc<Source>) -> Self {
        self.source = Some(Arc::clone(source));
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn note(mut self, source: &Arc<Source>, span: Span, text: impl Into<String>) -> Self {
        self.notes.push((Arc::clone(source), span, text.into()));
        self
    }

    /// Adds "did you mean `x`?" when a candidate is close to `value`.
    pub fn suggest<'a>(self, value: &str, candidates: impl IntoIterator<Item = &'a str>) -> Self {
        match nearest(value, candidates) {
            Some(best) => self.help(format!("did you mean `{best}`?")),
            None => self,
        }
    }

    /// File, 1-based line and column, when the finding has a place.
    pub fn location(&self) -> Option<(&Path, usize, usize)> {
        let source = self.source.as_ref()?;
        let (line, col) = self.position();
        Some((&source.path, line, col))
    }

    /// 1-based line and column: `(1, 1)` for a finding about a whole file, `(0, 0)`
    /// for one about no file. Counting them reads the text up to the span.
    fn position(&self) -> (usize, usize) {
        match (&self.source, self.span) {
            (Some(source), Some(span)) => source.line_col(span.start),
            (Some(_), None) => (1, 1),
            (None, _) => (0, 0),
        }
    }

    /// What findings sort by, with the line and column counted beforehand.
    fn sort_key(
        &self,
        (line, col): (usize, usize),
    ) -> (Option<&Path>, usize, usize, Level, &'static str, &str) {
        let path = self.source.as_ref().map(|s| s.path.as_path());
        (path, line, col, self.level, self.rule.name(), &self.message)
    }
}

/// The candidate closest to `value`, if it is close enough to be a plausible typo.
pub fn nearest<'a>(value: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = value.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(&lower, &candidate.to_lowercase());
        if best.is_none_or(|(s, c)| score > s || (score == s && candidate < c)) {
            best = Some((score, candidate));
        }
    }
    best.filter(|(score, _)| *score >= 0.8).map(|(_, c)| c)
}

/// Formats a set of allowed values for a message: `a`, `b` or `c`.
pub fn one_of<S: AsRef<str>>(values: &[S]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{}`", v.as_ref())).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// How findings are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Text with the source line and the offending span marked.
    Human,
    /// One JSON array of findings (see docs/check.md).
    Json,
    /// GitHub Actions workflow commands, shown on the pull request's lines.
    Github,
}

/// The sorted findings of one run and the counts for the summary line.
#[derive(Debug)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
}

/// One finding as written by `--format json`; the field set is a stable contract.
#[derive(Serialize)]
struct JsonFinding<'a> {
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    level: Level,
    code: &'static str,
    rule: &'static str,
    message: &'a str,
    help: Option<&'a str>,
}

impl Report {
    /// Sorts findings by file, line and column (then level, rule and message) so
    /// output is deterministic. Each finding's line and column are counted once,
    /// before sorting, not at every comparison.
    pub fn new(diagnostics: Vec<Diagnostic>) -> Report {
        let mut keyed: Vec<((usize, usize), Diagnostic)> =
            diagnostics.into_iter().map(|d| (d.position(), d)).collect();
        keyed.sort_by(|(a_at, a), (b_at, b)| a.sort_key(*a_at).cmp(&b.sort_key(*b_at)));
        Report {
            diagnostics: keyed.into_iter().map(|(_, d)| d).collect(),
        }
    }

    pub fn count(&self, level: Level) -> usize {
        self.diagnostics.iter().filter(|d| d.level == level).count()
    }

    /// Whether the run fails: any error, or any warning when warnings are denied.
    pub fn fails(&self, deny_warnings: bool) -> bool {
        self.count(Level::Error) > 0 || (deny_warnings && self.count(Level::Warning) > 0)
    }

    pub fn write(&self, out: &mut dyn Write, format: Format, color: bool) -> io::Result<()> {
        match format {
            Format::Human => self.write_human(out, color),
            Format::Json => self.write_json(out),
            Format::Github => self.write_github(out),
        }
    }

    fn write_human(&self, out: &mut dyn Write, color: bool) -> io::Result<()> {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        for diag in &self.diagnostics {
            writeln!(out, "{}\n", renderer.render(&render_groups(diag)))?;
        }
        Ok(())
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let findings: Vec<JsonFinding> = self
            .diagnostics
            .iter()
            .map(|d| {
                let loc = d.location();
                JsonFinding {
                    file: loc.map(|(p, _, _)| display_path(p)),
                    line: loc.map(|(_, l, _)| l),
                    column: loc.map(|(_, _, c)| c),
                    level: d.level,
                    code: d.rule.code(),
                    rule: d.rule.name(),
                    message: &d.message,
                    help: d.help.as_deref(),
                }
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &findings)?;
        writeln!(out)
    }

    fn write_github(&self, out: &mut dyn Write) -> io::Result<()> {
        for d in &self.diagnostics {
            let command = match d.level {
                Level::Error => "error",
                Level::Warning => "warning",
            };
            let mut props = String::new();
            if let Some((path, line, col)) = d.location() {
                let _ = write!(
                    props,
                    " file={},line={line},col={col},",
                    escape_property(&display_path(path))
                );
            } else {
                props.push(' ');
            }
            let _ = write!(
                props,
                "title={}",
                escape_property(&format!("{} {}", d.rule.code(), d.rule.name()))
            );
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            writeln!(out, "::{command}{props}::{}", escape_data(&message))?;
        }
        Ok(())
    }

    /// `checked 12 records: 1 error, 3 warnings`
    pub fn summary(&self, records: usize) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        format!(
            "checked {}: {}, {}",
            plural(records, "record"),
            plural(self.count(Level::Error), "error"),
            plural(self.count(Level::Warning), "warning")
        )
    }
}

/// Paths print with `/` on every platform so output is the same everywhere.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn render_groups(diag: &Diagnostic) -> Vec<Group<'_>> {
    let level = match diag.level {
        Level::Error => SnippetLevel::ERROR,
        Level::Warning => SnippetLevel::WARNING,
    };
    let title = level
        .primary_title(diag.message.as_str())
        .id(diag.rule.code());
    let mut first = Group::with_title(title);
    if let Some(source) = &diag.source {
        first = first.element(match diag.span {
            Some(span) => excerpt(source, span, AnnotationKind::Primary, diag.label.as_deref()),
            None => Snippet::source("").path(display_path(&source.path)),
        });
        for (other, span, text) in &diag.notes {
            first = first.element(excerpt(other, *span, AnnotationKind::Context, Some(text)));
        }
    }
    let mut groups = vec![first];
    if let Some(help) = &diag.help {
        groups.push(Group::with_title(
            SnippetLevel::HELP.secondary_title(help.as_str()),
        ));
    }
    groups.push(Group::with_title(
        SnippetLevel::NOTE.secondary_title(format!("rule `{}`", diag.rule.name())),
    ));
    groups
}

/// The lines around a span, so a finding never copies a 20 MB file into its output.
fn excerpt<'a>(
    source: &'a Source,
    span: Span,
    kind: AnnotationKind,
    label: Option<&'a str>,
) -> Snippet<'a, annotate_snippets::Annotation<'a>> {
    let text = &source.text;
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let mut end = floor_char_boundary(text, span.end.min(text.len())).max(start);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let first_line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    // Long spans (a whole mapping) are cut to their first line.
    if end > first_line_end {
        end = first_line_end;
    }
    if end == start && end < first_line_end {
        end = start + text[start..].chars().next().map_or(0, char::len_utf8);
    }
    let (line, _) = source.line_col(line_start);
    let snippet_text = &text[line_start..first_line_end];
    let mut annotation = kind.span(start - line_start..end - line_start);
    if let Some(label) = label {
        annotation = annotation.label(label);
    }
    Snippet::source(snippet_text)
        .line_start(line)
        .path(display_path(&source.path))
        .annotation(annotation)
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// How often this thread counted a line and column, to see what sorting costs.
        pub(super) static LINE_COL_CALLS: Cell<usize> = const { Cell::new(0) };
    }

    /// Findings at many places in three files, in an order unlike the sorted one:
    /// each file's offsets run backwards, and files take turns.
    fn scattered() -> Vec<Diagnostic> {
        let text: String = (0..200).map(|i| format!("line {i}: value\n")).collect();
        let sources: Vec<Arc<Source>> = ["c.md", "a.md", "b.md"]
            .into_iter()
            .map(|name| Source::new(name, text.as_str()))
            .collect();
        let mut found = Vec::new();
        for i in (0..text.len()).rev().step_by(7) {
            let source = &sources[i % sources.len()];
            found.push(Diagnostic::new(Rule::InvalidValue, "x").at(source, Span::new(i, i + 1)));
        }
        found.push(Diagnostic::new(Rule::UnknownKey, "no place"));
        found.push(Diagnostic::new(Rule::FrontMatter, "whole file").in_file(&sources[1]));
        found
    }

    #[test]
    fn findings_sort_by_path_line_and_column() {
        let report = Report::new(scattered());
        let places: Vec<Option<(PathBuf, usize, usize)>> = report
            .diagnostics
            .iter()
            .map(|d| d.location().map(|(p, l, c)| (p.to_path_buf(), l, c)))
            .collect();
        let mut sorted = places.clone();
        sorted.sort();
        assert_eq!(places, sorted);
        assert_eq!(places[0], None, "a finding without a place comes first");
        assert_eq!(places[1], Some((PathBuf::from("a.md"), 1, 1)));
        assert_eq!(report.diagnostics[1].message, "whole file");
        let last = places.last().cloned().flatten();
        assert_eq!(last.map(|(p, _, _)| p), Some(PathBuf::from("c.md")));
    }

    #[test]
    fn sorting_counts_each_place_once() {
        let found = scattered();
        let placed = found.iter().filter(|d| d.span.is_some()).count();
        LINE_COL_CALLS.with(|calls| calls.set(0));
        let _ = Report::new(found);
        assert_eq!(LINE_COL_CALLS.with(Cell::get), placed);
    }

    #[test]
    fn line_col_counts_characters() {
        let source = Source::new("a.md", "ab\ncé: x\n");
        assert_eq!(source.line_col(0), (1, 1));
        assert_eq!(source.line_col(3), (2, 1));
        // `:` sits after a two-byte character.
        assert_eq!(source.line_col(6), (2, 3));
    }

    #[test]
    fn nearest_finds_typos_only() {
        assert_eq!(
            nearest("resovled", ["investigating", "resolved"]),
            Some("resolved")
        );
        assert_eq!(nearest("banana", ["investigating", "resolved"]), None);
        assert_eq!(nearest("sev1", ["SEV1", "SEV2"]), Some("SEV1"));
    }

    #[test]
    fn one_of_lists_values() {
        assert_eq!(one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
        assert_eq!(one_of(&["a"]), "`a`");
    }

    #[test]
    fn github_escapes_properties() {
        assert_eq!(escape_property("a:b,c\nd"), "a%3Ab%2Cc%0Ad");
    }
}
