//! Imported entries merged into a record's file. The file is read with load's YAML,
//! which keeps every value's byte span, so new entries go in as whole lines between
//! the existing ones and nothing outside the timeline changes: not the front matter
//! around it, not the body, not a comment or a quote style. Filled moments
//! (`detected`, `acknowledged`, `resolved`) are the only other lines touched, and
//! only lines casebook adds (or a key left empty, given its value).
//!
//! The result is loaded again before it is handed back; a merge that would not load
//! as the same record with more entries is refused, and nothing is written.

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};

use super::emit::{entry_lines, quoted, time};
use super::{Clock, FoundMoments, ImportError, ImportedEntry, Window};
use crate::core::config::SiteConfig;
use crate::core::diag::{Format, Level, Report, Span};
use crate::core::model::Record;
use crate::load::decode::parse_timestamp;
use crate::load::yaml::{self, Node, NodeKind};
use crate::load::{record_from_bytes, split_front_matter};

/// How far the default window of `--into` reaches before the record's `started` and
/// after its `resolved`: chat about an incident starts before anyone records it
/// started, and goes on after it is resolved.
pub const WINDOW_MARGIN: SignedDuration = SignedDuration::from_hours(1);

/// A record file read for a merge.
pub struct Target {
    pub path: PathBuf,
    text: String,
    pub record: Record,
    /// Where the YAML is in the file, and its tree with spans into the file.
    yaml: Span,
    root: Node,
    config: SiteConfig,
}

/// What a merge made: the new text of the file and what changed.
#[derive(Debug)]
pub struct MergedRecord {
    pub text: String,
    /// Entries added.
    pub added: usize,
    /// Imported entries the record already had.
    pub already: usize,
    /// Keys filled, with the value written.
    pub filled: Vec<(&'static str, String)>,
    /// Keys a source knew but that were not filled, and why.
    pub not_filled: Vec<String>,
}

impl Target {
    /// Reads the record at `path` (its bytes already read), refusing one that does
    /// not load cleanly: its errors are in the error.
    pub fn open(path: &Path, bytes: &[u8], config: &SiteConfig) -> Result<Target, ImportError> {
        let (record, diags) = record_from_bytes(path, bytes, config);
        let errors: Vec<_> = diags
            .into_iter()
            .filter(|d| config.level(d.rule).unwrap_or(d.level) == Level::Error)
            .collect();
        let refused = |findings: String| ImportError::Record {
            path: path.to_path_buf(),
            findings,
        };
        let record = match record {
            Some(record) if errors.is_empty() => record,
            _ => {
                let mut out = Vec::new();
                let _ = Report::new(errors).write(&mut out, Format::Human, false);
                return Err(refused(
                    String::from_utf8_lossy(&out).trim_end().to_string(),
                ));
            }
        };
        // Loaded, so the file is UTF-8.
        let text = String::from_utf8_lossy(bytes).into_owned();
        let yaml = if is_yaml_file(path) {
            Span::new(0, text.len())
        } else {
            match split_front_matter(&text) {
                Ok(fm) => Span::new(fm.yaml_offset, fm.yaml_offset + fm.yaml.len()),
                Err((message, _)) => return Err(refused(message)),
            }
        };
        let parsed = yaml::parse(&text[yaml.start..yaml.end], yaml.start);
        let root = parsed
            .root
            .ok_or_else(|| refused("its front matter does not parse".into()))?;
        Ok(Target {
            path: path.to_path_buf(),
            text,
            record,
            yaml,
            root,
            config: config.clone(),
        })
    }

    /// How this record writes times.
    pub fn clock(&self) -> Clock {
        Clock {
            tz: self.config.timezone.clone(),
            date: self.record.date,
        }
    }

    /// The record's own window: from `started` (else the first moment it has, else
    /// the start of its `date`) less [`WINDOW_MARGIN`], to `resolved` plus the
    /// margin; open-ended while it has no `resolved`.
    pub fn window(&self) -> Window {
        let m = &self.record.moments;
        let start = [&m.started, &m.detected, &m.acknowledged, &m.mitigated]
            .into_iter()
            .find_map(|t| t.as_ref().map(|t| t.value))
            .or_else(|| {
                self.record
                    .date
                    .to_zoned(self.config.timezone.clone())
                    .ok()
                    .map(|z| z.timestamp())
            });
        Window {
            from: start.and_then(|s| s.checked_sub(WINDOW_MARGIN).ok()),
            to: m
                .resolved
                .as_ref()
                .and_then(|r| r.value.checked_add(WINDOW_MARGIN).ok()),
        }
    }

    /// The file's text with `entries` merged into its timeline and, when `fill`, the
    /// missing moments filled from `moments`.
    pub fn merge(
        &self,
        entries: &[ImportedEntry],
        moments: &FoundMoments,
        fill: bool,
    ) -> Result<MergedRecord, ImportError> {
        let clock = self.clock();
        let newline = if self.text[self.yaml.start..self.yaml.end].contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        };
        let mut edits: Vec<Edit> = Vec::new();
        let timeline = self.timeline_key();
        let existing = match &timeline {
            Some((_, value)) => self.existing(value)?,
            None => Vec::new(),
        };
        let mut fresh: Vec<&ImportedEntry> = Vec::new();
        let mut already = 0;
        for entry in entries {
            let id = (
                entry.source.as_deref(),
                entry.at,
                entry.actor.as_deref(),
                entry.event.as_str(),
            );
            if existing.iter().any(|e| e.identity() == id) {
                already += 1;
            } else {
                fresh.push(entry);
            }
        }
        fresh.sort_by_key(|e| e.at);

        let mut merged = MergedRecord {
            text: String::new(),
            added: fresh.len(),
            already,
            filled: Vec::new(),
            not_filled: Vec::new(),
        };
        // Where lines for new top-level keys go: before `timeline:` (or `body:` in a
        // YAML record), else at the end of the front matter.
        let key_line = |key: &Node| line_start(&self.text, key.span.start);
        let body_key = is_yaml_file(&self.path)
            .then(|| self.key("body"))
            .flatten()
            .map(|(k, _)| key_line(k));
        let new_keys_at = timeline
            .as_ref()
            .map(|(k, _)| key_line(k))
            .or(body_key)
            .unwrap_or(self.yaml.end);
        if fill {
            self.fill(moments, &clock, new_keys_at, &mut edits, &mut merged);
        }
        if !fresh.is_empty() {
            self.place(&fresh, &existing, timeline, new_keys_at, &clock, &mut edits)?;
        }
        let mut text = String::with_capacity(
            self.text.len() + edits.iter().map(|e| e.text.len()).sum::<usize>(),
        );
        let mut at = 0;
        edits.sort_by_key(|e| e.span.start);
        for edit in &edits {
            text.push_str(&self.text[at..edit.span.start]);
            if !text.is_empty() && !text.ends_with('\n') && edit.line {
                text.push_str(newline);
            }
            text.push_str(&edit.text.replace('\n', newline));
            at = edit.span.end;
        }
        text.push_str(&self.text[at..]);
        merged.text = text;
        self.verify(&merged)?;
        Ok(merged)
    }

    /// The `key: value` pair of a top-level key.
    fn key(&self, name: &str) -> Option<(&Node, &Node)> {
        self.root
            .as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(name))
            .map(|(k, v)| (k, v))
    }

    fn timeline_key(&self) -> Option<(&Node, &Node)> {
        self.key("timeline")
    }

    /// The timeline's entries as they are written, with where each begins.
    fn existing(&self, value: &Node) -> Result<Vec<Existing>, ImportError> {
        let Some(items) = value.as_seq() else {
            return Ok(Vec::new());
        };
        if self.text.as_bytes().get(value.span.start) == Some(&b'[') {
            if items.is_empty() {
                return Ok(Vec::new());
            }
            return Err(self.timeline_error(value.span.start, "the timeline is a flow list (`[...]`); write it as a block list (`- at: ...` lines) to import into it"));
        }
        let clock = self.clock();
        let mut found = Vec::new();
        for item in items {
            let get = |key: &str| item.get(key).and_then(Node::as_str).map(str::to_string);
            let at = get("at")
                .and_then(|t| parse_timestamp(&t, Some(clock.date), &clock.tz).ok())
                .ok_or_else(|| {
                    self.timeline_error(item.span.start, "a timeline entry without a readable `at`")
                })?;
            let dash = self.text[..item.span.start].trim_end_matches([' ', '\t', '\n', '\r']);
            if !dash.ends_with('-') {
                return Err(self.timeline_error(
                    item.span.start,
                    "a timeline entry that is not a `- ` item of a block list",
                ));
            }
            let dash = dash.len() - 1;
            found.push(Existing {
                at,
                source: get("source"),
                actor: get("actor"),
                event: get("event").unwrap_or_default(),
                start: line_start(&self.text, dash),
                column: dash - line_start(&self.text, dash),
                end: after_line(&self.text, content_end(item)),
            });
        }
        Ok(found)
    }

    fn timeline_error(&self, offset: usize, message: &str) -> ImportError {
        let line = self.text[..offset].matches('\n').count() + 1;
        let column = offset - line_start(&self.text, offset) + 1;
        ImportError::Timeline {
            at: format!("{}:{line}:{column}", self.path.display()),
            message: message.to_string(),
        }
    }

    /// The edits that put `fresh` entries (in time order) into the timeline.
    fn place(
        &self,
        fresh: &[&ImportedEntry],
        existing: &[Existing],
        timeline: Option<(&Node, &Node)>,
        new_keys_at: usize,
        clock: &Clock,
        edits: &mut Vec<Edit>,
    ) -> Result<(), ImportError> {
        let Some(last) = existing.last() else {
            // No entries yet: a new block, in place of an empty `timeline:` line.
            let lines: String = fresh.iter().map(|e| entry_lines(e, clock, 2)).collect();
            let span = match timeline {
                Some((key, value)) => {
                    let value_end = match &value.kind {
                        NodeKind::Scalar { text, plain: true } if text.is_empty() => key.span.end,
                        _ => content_end(value).max(key.span.end),
                    };
                    Span::new(
                        line_start(&self.text, key.span.start),
                        after_line(&self.text, value_end),
                    )
                }
                None => Span::new(new_keys_at, new_keys_at),
            };
            edits.push(Edit {
                span,
                text: format!("timeline:\n{lines}"),
                line: true,
            });
            return Ok(());
        };
        let column = existing[0].column;
        // Each new entry goes before the first existing one that is later, so equal
        // times keep the record's entry first.
        let mut groups: Vec<(usize, String)> = Vec::new();
        for entry in fresh {
            let offset = existing
                .iter()
                .find(|e| e.at > entry.at)
                .map_or(last.end, |e| e.start);
            let lines = entry_lines(entry, clock, column);
            match groups.last_mut() {
                Some((at, text)) if *at == offset => text.push_str(&lines),
                _ => groups.push((offset, lines)),
            }
        }
        for (offset, text) in groups {
            edits.push(Edit {
                span: Span::new(offset, offset),
                text,
                line: true,
            });
        }
        Ok(())
    }

    /// Edits that fill the moments the record lacks, when that keeps its moments in
    /// order; the rest are named in `not_filled`.
    fn fill(
        &self,
        moments: &FoundMoments,
        clock: &Clock,
        new_keys_at: usize,
        edits: &mut Vec<Edit>,
        merged: &mut MergedRecord,
    ) {
        let m = &self.record.moments;
        let value = |t: &Option<crate::core::diag::Spanned<Timestamp>>| t.as_ref().map(|s| s.value);
        let started = value(&m.started);
        let mut detected = value(&m.detected);
        let mitigated = value(&m.mitigated);
        let wanted: [(&'static str, Option<Timestamp>, bool); 3] = [
            ("detected", moments.detected, m.detected.is_none()),
            (
                "acknowledged",
                moments.acknowledged,
                m.acknowledged.is_none(),
            ),
            ("resolved", moments.resolved, m.resolved.is_none()),
        ];
        for (key, at, missing) in wanted {
            let (Some(at), true) = (at, missing) else {
                continue;
            };
            let mut before = vec![("started", started)];
            if key == "resolved" {
                before.push(("detected", detected));
                before.push(("mitigated", mitigated));
            }
            if let Some((name, _)) = before.iter().find(|(_, t)| t.is_some_and(|t| at < t)) {
                merged
                    .not_filled
                    .push(format!("{key} ({at} is before the record's {name})"));
                continue;
            }
            if key == "detected" {
                detected = Some(at);
            }
            let written = time(at, clock);
            let quoted = quoted(&written);
            match self.key(key) {
                Some((k, v)) => {
                    let span = match &v.kind {
                        NodeKind::Scalar { text, plain: true } if text.is_empty() => {
                            let colon = self.text[k.span.end..]
                                .find(':')
                                .map_or(k.span.end, |c| k.span.end + c + 1);
                            Span::new(colon, colon)
                        }
                        _ => v.span,
                    };
                    let text = if v.span == span {
                        quoted
                    } else {
                        format!(" {quoted}")
                    };
                    edits.push(Edit {
                        span,
                        text,
                        line: false,
                    });
                }
                None => edits.push(Edit {
                    span: Span::new(new_keys_at, new_keys_at),
                    text: format!("{key}: {quoted}\n"),
                    line: true,
                }),
            }
            merged.filled.push((key, written));
        }
    }

    /// Loads the merged text and checks it is this record with the new entries.
    fn verify(&self, merged: &MergedRecord) -> Result<(), ImportError> {
        let (record, diags) = record_from_bytes(&self.path, merged.text.as_bytes(), &self.config);
        let errors: Vec<_> = diags
            .iter()
            .filter(|d| self.config.level(d.rule).unwrap_or(d.level) == Level::Error)
            .map(|d| d.message.clone())
            .collect();
        let same = record.is_some_and(|r| {
            r.id.value == self.record.id.value
                && r.timeline.len() == self.record.timeline.len() + merged.added
        });
        if errors.is_empty() && same {
            return Ok(());
        }
        Err(ImportError::Timeline {
            at: self.path.display().to_string(),
            message: format!(
                "casebook could not merge into this record's layout safely ({}); nothing was written. Paste the output of the import without --into by hand",
                if errors.is_empty() { "the result is not the same record".to_string() } else { errors.join("; ") }
            ),
        })
    }
}

/// An entry already in the record.
struct Existing {
    at: Timestamp,
    source: Option<String>,
    actor: Option<String>,
    event: String,
    /// The start of its `- ` line, and the column of its `-`.
    start: usize,
    column: usize,
    /// Just past its last line.
    end: usize,
}

impl Existing {
    fn identity(&self) -> (Option<&str>, Timestamp, Option<&str>, &str) {
        (
            self.source.as_deref(),
            self.at,
            self.actor.as_deref(),
            self.event.as_str(),
        )
    }
}

/// A change to the file: `span` replaced by `text`. A `line` edit starts a line of
/// its own.
struct Edit {
    span: Span,
    text: String,
    line: bool,
}

fn is_yaml_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// Just past the end of the line holding `offset` (or `offset` itself when it
/// already starts a line).
fn after_line(text: &str, offset: usize) -> usize {
    if offset == 0 || text[..offset].ends_with('\n') {
        return offset;
    }
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// Where a node's own text ends: the end of its last scalar, not the start of
/// whatever the parser read next.
fn content_end(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Scalar { .. } => node.span.end,
        NodeKind::Seq(items) if !items.is_empty() => {
            items.iter().map(content_end).max().unwrap_or(node.span.end)
        }
        NodeKind::Map(entries) if !entries.is_empty() => entries
            .iter()
            .map(|(k, v)| content_end(k).max(content_end(v)))
            .max()
            .unwrap_or(node.span.end),
        _ => node.span.end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "id: INC-1\ntitle: T\ndate: 2024-09-18\nseverity: SEV2\nstatus: investigating\n";

    fn entry(at: &str, event: &str) -> ImportedEntry {
        let mut entry = ImportedEntry::new(at.parse().expect("timestamp"), event);
        entry.source = Some("slack".into());
        entry
    }

    fn merged(front: &str, entries: &[ImportedEntry]) -> Result<String, ImportError> {
        let text = format!("---\n{HEAD}{front}---\nBody\n");
        let path = Path::new("content/incidents/x.md");
        let target = Target::open(path, text.as_bytes(), &SiteConfig::default())?;
        Ok(target.merge(entries, &FoundMoments::default(), false)?.text)
    }

    #[test]
    fn a_record_without_a_timeline_gets_one_at_the_end_of_its_front_matter() {
        let text = merged("tags: [db]\n", &[entry("2024-09-18T10:00:00Z", "a")]).expect("merged");
        assert_eq!(
            text,
            format!("---\n{HEAD}tags: [db]\ntimeline:\n  - at: \"10:00\"\n    event: \"a\"\n    source: slack\n---\nBody\n")
        );
    }

    #[test]
    fn items_at_column_zero_and_dash_alone_on_its_line() {
        let front =
            "timeline:\n- at: \"09:00\"\n  event: first\n-\n  at: \"11:00\"\n  event: third\n";
        let text = merged(front, &[entry("2024-09-18T10:00:00Z", "second")]).expect("merged");
        assert!(text.contains("  event: first\n- at: \"10:00\"\n  event: \"second\"\n  source: slack\n-\n  at: \"11:00\""), "{text}");
    }

    #[test]
    fn appended_after_the_last_entry_not_after_the_comments_below_it() {
        let front = "timeline:\n  - at: \"09:00\"\n    event: first  # note\n\n# about the items\naction_items: []\n";
        let text = merged(front, &[entry("2024-09-18T10:00:00Z", "second")]).expect("merged");
        assert!(text.contains("event: first  # note\n  - at: \"10:00\"\n    event: \"second\"\n    source: slack\n\n# about the items\naction_items: []\n"), "{text}");
    }

    #[test]
    fn an_empty_timeline_line_is_replaced() {
        for front in ["timeline:\n", "timeline: []  # none yet\n", "timeline: ~\n"] {
            let text = merged(
                &format!("{front}tags: [x]\n"),
                &[entry("2024-09-18T10:00:00Z", "a")],
            )
            .expect("merged");
            assert!(text.contains("status: investigating\ntimeline:\n  - at: \"10:00\"\n    event: \"a\"\n    source: slack\ntags: [x]\n"), "{front:?}: {text}");
        }
    }

    #[test]
    fn a_flow_timeline_is_refused() {
        let front = "timeline: [{at: \"09:00\", event: first}]\n";
        let error = merged(front, &[entry("2024-09-18T10:00:00Z", "a")]).expect_err("refused");
        assert!(
            error
                .to_string()
                .contains("x.md:7:11: the timeline is a flow list"),
            "{error}"
        );
    }

    #[test]
    fn moments_are_filled_only_in_order() {
        let text = format!("---\n{HEAD}started: \"10:00\"\ndetected:\n---\nBody\n");
        let path = Path::new("content/incidents/x.md");
        let target = Target::open(path, text.as_bytes(), &SiteConfig::default()).expect("open");
        let moments = FoundMoments {
            detected: Some("2024-09-18T09:00:00Z".parse().expect("ts")),
            acknowledged: Some("2024-09-18T10:05:00Z".parse().expect("ts")),
            resolved: None,
        };
        let merged = target.merge(&[], &moments, true).expect("merged");
        assert_eq!(merged.filled, [("acknowledged", "10:05".to_string())]);
        assert_eq!(merged.not_filled.len(), 1);
        assert!(
            merged
                .text
                .contains("detected:\nacknowledged: \"10:05\"\n---"),
            "{}",
            merged.text
        );
    }
}
