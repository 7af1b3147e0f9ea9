//! The theme's templates compiled into one Tera, and what Tera says when they do
//! not compile turned into places in the template files.
//!
//! In: every template of the merged theme (name, file, text). Out: the Tera that
//! renders the site, or every [`TemplateError`] with its file and, where Tera gives
//! one, its line and column, so `build` can name the problem and `check` can report
//! it as a finding.

use std::path::PathBuf;
use std::sync::Arc;

use crate::core::diag::{display_path, Source, Span};

/// One template that does not compile: where, when Tera says, and Tera's message.
#[derive(Debug)]
pub struct TemplateError {
    /// The template's file (its path as the user sees it, and its text); `None` when
    /// Tera names no template.
    pub source: Option<Arc<Source>>,
    /// Where in the template, when Tera says.
    pub span: Option<Span>,
    pub message: String,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(source) = &self.source {
            let (line, col) = self.span.map_or((1, 1), |s| source.line_col(s.start));
            write!(f, "{}:{line}:{col}: ", display_path(&source.path))?;
        }
        f.write_str(&self.message)
    }
}

/// A template to compile: its name in Tera, its file as the user sees it, its text.
pub struct Template {
    pub name: String,
    pub path: PathBuf,
    pub text: String,
}

impl Template {
    /// The template as a file findings can point into.
    fn source(&self) -> Arc<Source> {
        Source::new(&self.path, self.text.as_str())
    }
}

/// The filters casebook adds for themes: `num` prints a number with thousands
/// separators (`15,000`), `money(currency=...)` an amount with its currency's
/// symbol (`$12,400`), as [`crate::core::numbers`] does for every page.
fn register_filters(tera: &mut tera::Tera) {
    use crate::core::numbers::{money, thousands};
    tera.register_filter("num", |value: f64, _: tera::Kwargs, _: &tera::State| {
        if value.fract() == 0.0 && value.abs() < 9.0e15 {
            thousands(value as i64)
        } else {
            money(value, "")
        }
    });
    tera.register_filter(
        "money",
        |value: f64, kwargs: tera::Kwargs, _: &tera::State| -> tera::TeraResult<String> {
            let currency: Option<&str> = kwargs.get("currency")?;
            Ok(money(value, currency.unwrap_or_default()))
        },
    );
}

/// Compiles the templates into one Tera. Tera stops at the first template with a
/// syntax error, so that template is left out and the rest compiled again, until
/// every syntax error is known; only when there is none are Tera's other errors (an
/// unknown filter, a missing parent or include) reported, since leaving a template
/// out causes errors of its own.
pub fn compile(templates: &[Template]) -> Result<tera::Tera, Vec<TemplateError>> {
    let mut left: Vec<&Template> = templates.iter().collect();
    let mut syntax = Vec::new();
    loop {
        let mut tera = tera::Tera::new();
        tera.autoescape_on([".html", ".htm", ".xml"]);
        tera.set_escape_fn(super::escape_to);
        register_filters(&mut tera);
        let error = match tera.add_raw_templates(left.iter().map(|t| (&t.name, &t.text))) {
            Ok(()) if syntax.is_empty() => return Ok(tera),
            Ok(()) => return Err(syntax),
            Err(error) => error,
        };
        let tera::ErrorKind::SyntaxError(report) = error.kind() else {
            return Err(if syntax.is_empty() {
                other_errors(&error, &left)
            } else {
                syntax
            });
        };
        let Some(at) = left.iter().position(|t| t.name == report.filename()) else {
            syntax.push(TemplateError {
                source: None,
                span: None,
                message: super::error_chain(&error),
            });
            return Err(syntax);
        };
        let range = &report.span().range;
        syntax.push(TemplateError {
            source: Some(left[at].source()),
            span: Some(Span::new(range.start, range.end)),
            message: report.message().to_string(),
        });
        left.remove(at);
    }
}

/// Tera's errors after parsing, at their templates: its reports (`error: message`,
/// then ` --> name:line:col`), or the template an inheritance error names.
fn other_errors(error: &tera::Error, templates: &[&Template]) -> Vec<TemplateError> {
    let find = |name: &str| templates.iter().find(|t| t.name == name);
    let in_template = |name: &str, message: String, needle: Option<&str>| {
        let template = find(name);
        TemplateError {
            source: template.map(|t| t.source()),
            span: template
                .zip(needle)
                .and_then(|(t, needle)| t.text.find(needle))
                .map(|at| Span::new(at, at)),
            message,
        }
    };
    match error.kind() {
        tera::ErrorKind::MissingParent { current, parent } => {
            vec![in_template(current, error.to_string(), Some(parent))]
        }
        tera::ErrorKind::CircularExtend { tpl, .. }
        | tera::ErrorKind::CircularInclude { tpl, .. } => {
            vec![in_template(tpl, error.to_string(), None)]
        }
        _ => {
            // Tera's own text, each report still starting with `error: `.
            let text = error.to_string();
            let reports: Vec<TemplateError> = reports(&text)
                .into_iter()
                .map(|(message, place)| match place {
                    Some(place) => {
                        let template = find(place.name);
                        TemplateError {
                            source: template.map(|t| t.source()),
                            span: template.map(|t| {
                                let at = offset(&t.text, place.line, place.col);
                                Span::new(at, at)
                            }),
                            message: message.to_string(),
                        }
                    }
                    None => TemplateError {
                        source: None,
                        span: None,
                        message: message.to_string(),
                    },
                })
                .collect();
            if reports.is_empty() {
                vec![TemplateError {
                    source: None,
                    span: None,
                    message: super::error_chain(error),
                }]
            } else {
                reports
            }
        }
    }
}

/// Where Tera's report of an error points: a template's name, a 1-based line and
/// a 1-based column in characters.
#[derive(Debug, PartialEq)]
struct Place<'a> {
    name: &'a str,
    line: usize,
    col: usize,
}

/// The reports in Tera's text: each `error: message` line with the place on the
/// ` --> name:line:col` line that follows it, when there is one.
fn reports(text: &str) -> Vec<(&str, Option<Place<'_>>)> {
    let mut out: Vec<(&str, Option<Place>)> = Vec::new();
    for line in text.lines() {
        if let Some(message) = line.strip_prefix("error: ") {
            out.push((message, None));
        } else if let (Some(place), Some(last)) =
            (line.trim_start().strip_prefix("--> "), out.last_mut())
        {
            if last.1.is_none() {
                last.1 = place_of(place);
            }
        }
    }
    out
}

/// `name:line:col` (the name may hold `:`).
fn place_of(text: &str) -> Option<Place<'_>> {
    let mut parts = text.rsplitn(3, ':');
    let col = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    Some(Place {
        name: parts.next()?,
        line,
        col,
    })
}

/// The byte offset of a 1-based line and character column in `text` (clamped to it).
fn offset(text: &str, line: usize, col: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = text.get(start..).unwrap_or_default();
    start
        + rest
            .chars()
            .take_while(|&c| c != '\n')
            .take(col.saturating_sub(1))
            .map(char::len_utf8)
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_lines_and_characters() {
        assert_eq!(offset("ab\ncé\nx", 2, 3), 6);
        assert_eq!(offset("ab", 9, 9), 2);
        assert_eq!(
            place_of("a:b.html:3:14"),
            Some(Place {
                name: "a:b.html",
                line: 3,
                col: 14
            })
        );
        assert_eq!(place_of("nowhere"), None);
    }

    #[test]
    fn reports_pair_messages_with_places() {
        let text = "error: Unknown filter `x`\n --> a.html:1:8\n  |\n\nerror: Unknown test `y`\n";
        let found = reports(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, "Unknown filter `x`");
        assert_eq!(
            found[0].1.as_ref().map(|p| (p.name, p.line, p.col)),
            Some(("a.html", 1, 8))
        );
        assert_eq!(found[1], ("Unknown test `y`", None));
    }
}
