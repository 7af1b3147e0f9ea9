//! Turns a YAML tree into a [`Record`], reporting every schema finding on the way.
//!
//! Decoding never stops at the first problem: each field is read on its own, so a
//! record with a bad severity, an unknown key and a malformed timestamp yields three
//! findings. A record missing a required field yields no [`Record`] (it is counted
//! as rejected) but all its other fields are still checked.

use std::path::Path;
use std::sync::Arc;

use jiff::civil::{Date, DateTime, Time};
use jiff::Timestamp;

use crate::core::config::SiteConfig;
use crate::core::diag::{nearest, one_of, Diagnostic, Source, Span, Spanned};
use crate::core::model::{
    ActionItem, ActionStatus, Impact, Link, Moments, Page, Record, Review, TimelineEvent,
    ACTION_KINDS, TIMELINE_KINDS,
};
use crate::core::rules::Rule;
use crate::load::yaml::{Node, NodeKind};

/// Front-matter keys the spec defines (plus `body` in YAML records).
pub const RECORD_KEYS: &[&str] = &[
    "id",
    "title",
    "date",
    "severity",
    "status",
    "review",
    "visibility",
    "summary",
    "started",
    "detected",
    "acknowledged",
    "mitigated",
    "resolved",
    "services",
    "tags",
    "commander",
    "authors",
    "impact",
    "timeline",
    "action_items",
    "related",
    "links",
    "extra",
];
const IMPACT_KEYS: &[&str] = &[
    "users",
    "requests_failed_pct",
    "revenue",
    "data_loss",
    "slo_breach",
    "description",
];
const TIMELINE_KEYS: &[&str] = &["at", "event", "source", "actor", "kind"];
const ACTION_KEYS: &[&str] = &[
    "id", "title", "owner", "priority", "due", "status", "kind", "link",
];
const LINK_KEYS: &[&str] = &["title", "url"];
const PAGE_KEYS: &[&str] = &["title"];

/// Everything decoding needs besides the YAML tree.
pub struct Input<'a> {
    pub source: &'a Arc<Source>,
    pub path: &'a Path,
    pub bundle: Option<&'a Path>,
    /// The offset of the Markdown body in `.md` records; YAML records carry `body:`.
    pub body_offset: Option<usize>,
    pub config: &'a SiteConfig,
}

struct Decoder<'a> {
    source: &'a Arc<Source>,
    config: &'a SiteConfig,
    diags: &'a mut Vec<Diagnostic>,
}

/// Reads `review` and `action_items` alone, by the rules [`record`] reads them by:
/// what follow-through compares across a record's older versions (findings are
/// dropped: those versions are history, not the archive being checked).
pub fn review_and_action_items(
    root: &Node,
    source: &Arc<Source>,
    config: &SiteConfig,
) -> (Review, Vec<ActionItem>) {
    let mut diags = Vec::new();
    let mut d = Decoder {
        source,
        config,
        diags: &mut diags,
    };
    let review = d.review(root).value;
    let items = root
        .get("action_items")
        .map(|n| d.action_items(n))
        .unwrap_or_default();
    (review, items)
}

/// Decodes a record's front matter; `None` when a required field is missing or invalid.
pub fn record(root: &Node, input: Input<'_>, diags: &mut Vec<Diagnostic>) -> Option<Record> {
    let mut d = Decoder {
        source: input.source,
        config: input.config,
        diags,
    };
    if root.as_map().is_none() {
        let message = format!(
            "the front matter must be a mapping of keys to values, found {}",
            root.type_name()
        );
        d.diags
            .push(Diagnostic::new(Rule::FrontMatter, message).at(d.source, root.span));
        return None;
    }
    let yaml_record = input.body_offset.is_none();
    let mut known: Vec<&str> = RECORD_KEYS.to_vec();
    if yaml_record {
        known.push("body");
    }
    d.unknown_keys(root, &known, "");

    let id = d.required(root, "id").and_then(|n| d.id(n));
    let title = d.required(root, "title").and_then(|n| d.string(n, "title"));
    let date = d.required(root, "date").and_then(|n| d.date(n, "date"));
    let severities = d.config.severity_names();
    // A value outside its set is reported but kept, so the record's other checks
    // still run (the error already stops `build`).
    let severity = d.required(root, "severity").and_then(|n| {
        d.one_of(n, "severity", &severities)
            .or_else(|| n.as_str().map(str::to_string))
    });
    let statuses: Vec<&str> = d.config.statuses.iter().map(String::as_str).collect();
    let status = d.required(root, "status").and_then(|n| {
        d.one_of(n, "status", &statuses)
            .or_else(|| n.as_str().map(str::to_string))
            .map(|s| Spanned::new(s, n.span))
    });
    let review = d.review(root);
    let visibility = root
        .get("visibility")
        .and_then(|n| d.one_of(n, "visibility", &["public", "internal"]))
        .and_then(|v| crate::core::model::Visibility::parse(&v))
        .unwrap_or(d.config.default_visibility);
    let summary = root.get("summary").and_then(|n| d.string(n, "summary"));
    let moments = Moments {
        started: d.moment(root, "started", date),
        detected: d.moment(root, "detected", date),
        acknowledged: d.moment(root, "acknowledged", date),
        mitigated: d.moment(root, "mitigated", date),
        resolved: d.moment(root, "resolved", date),
    };
    let services = root
        .get("services")
        .map(|n| d.services(n))
        .unwrap_or_default();
    let tags = root
        .get("tags")
        .map(|n| d.string_list(n, "tags", false))
        .unwrap_or_default();
    let commander = root
        .get("commander")
        .and_then(|n| d.string(n, "commander"))
        .map(|s| s.value);
    let authors = root
        .get("authors")
        .map(|n| d.string_list(n, "authors", true))
        .unwrap_or_default()
        .into_iter()
        .map(|s| s.value)
        .collect();
    let impact = root.get("impact").map(|n| d.impact(n)).unwrap_or_default();
    let timeline = root
        .get("timeline")
        .map(|n| d.timeline(n, date))
        .unwrap_or_default();
    let action_items = root
        .get("action_items")
        .map(|n| d.action_items(n))
        .unwrap_or_default();
    let related = root
        .get("related")
        .map(|n| d.string_list(n, "related", false))
        .unwrap_or_default();
    let links = root.get("links").map(|n| d.links(n)).unwrap_or_default();
    let extra = root
        .get("extra")
        .map(to_json)
        .unwrap_or(serde_json::Value::Object(Default::default()));
    let (yaml_body, body_offset) = match input.body_offset {
        Some(offset) => (None, offset),
        None => match root.get("body") {
            Some(node) => match d.string(node, "body") {
                Some(text) => (Some(text.value), node.span.start),
                None => (Some(String::new()), node.span.start),
            },
            None => (Some(String::new()), d.source.text.len()),
        },
    };

    Some(Record {
        source: Arc::clone(input.source),
        path: input.path.to_path_buf(),
        bundle: input.bundle.map(Path::to_path_buf),
        id: id?,
        title: title?.value,
        date: date?,
        severity: severity?,
        status: status?,
        review,
        visibility,
        summary,
        moments,
        services,
        tags,
        commander,
        authors,
        impact,
        timeline,
        action_items,
        related,
        links,
        extra,
        body_offset,
        yaml_body,
    })
}

/// Decodes a free page's front matter (only `title`).
pub fn page(source: &Arc<Source>, path: &Path, diags: &mut Vec<Diagnostic>) -> Option<Page> {
    let fm = match crate::load::split_front_matter(&source.text) {
        Ok(fm) => fm,
        Err((message, span)) => {
            diags.push(Diagnostic::new(Rule::FrontMatter, message).at(source, span));
            return None;
        }
    };
    let parsed = crate::load::yaml::parse(fm.yaml, fm.yaml_offset);
    diags.extend(
        parsed
            .problems
            .iter()
            .map(|p| crate::load::yaml_problem(source, p)),
    );
    let Some(root) = parsed.root else {
        if parsed.problems.is_empty() {
            diags.push(
                Diagnostic::new(Rule::FrontMatter, "the page's front matter is empty")
                    .at(source, Span::new(0, 0))
                    .help("give the page a title: `title: About this archive`"),
            );
        }
        return None;
    };
    let config = SiteConfig::default();
    let mut d = Decoder {
        source,
        config: &config,
        diags,
    };
    d.unknown_keys(&root, PAGE_KEYS, "");
    let title = d
        .required(&root, "title")
        .and_then(|n| d.string(n, "title"))?;
    // An empty stem has no URL; check reports it (`page-slug`).
    let slug = path
        .file_stem()
        .map_or_else(String::new, |stem| stem.to_string_lossy().to_string());
    Some(Page {
        source: Arc::clone(source),
        path: path.to_path_buf(),
        slug,
        title: title.value,
        body: fm.body.to_string(),
        body_offset: fm.body_offset,
    })
}

/// A YAML tree as JSON: how `extra` reaches templates, and how tests hand front
/// matter to the JSON Schema of `casebook schema`.
pub fn to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value;
    match &node.kind {
        NodeKind::Scalar { .. } if node.is_null() => Value::Null,
        NodeKind::Scalar { text, plain } => {
            if let Some(b) = node.as_bool() {
                Value::Bool(b)
            } else if let (true, Ok(i)) = (*plain, text.parse::<i64>()) {
                Value::from(i)
            } else if let Some(f) = node.as_f64().and_then(serde_json::Number::from_f64) {
                Value::Number(f)
            } else {
                Value::String(text.clone())
            }
        }
        NodeKind::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), to_json(v)))
                .collect(),
        ),
    }
}

/// Whether an id or a tag is made only of `[A-Za-z0-9._-]`.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id != "."
        && id != ".."
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl Decoder<'_> {
    fn push(&mut self, diag: Diagnostic) {
        self.diags.push(diag);
    }

    fn unknown_keys(&mut self, map: &Node, known: &[&str], context: &str) {
        let Some(entries) = map.as_map() else { return };
        for (key, _) in entries {
            let Some(name) = key.as_str() else {
                let diag = Diagnostic::new(
                    Rule::WrongType,
                    format!("keys must be plain names, found {}", key.type_name()),
                );
                self.push(diag.at(self.source, key.span));
                continue;
            };
            if !known.contains(&name) {
                let message = if context.is_empty() {
                    format!("unknown key `{name}`")
                } else {
                    format!("unknown key `{name}` in {context}")
                };
                let diag = Diagnostic::new(Rule::UnknownKey, message)
                    .at(self.source, key.span)
                    .suggest(name, known.iter().copied());
                self.push(diag);
            }
        }
    }

    fn required<'n>(&mut self, map: &'n Node, key: &str) -> Option<&'n Node> {
        let node = map.get(key);
        if node.is_none_or(Node::is_null) {
            let span = Span::new(map.span.start, map.span.start);
            let diag = Diagnostic::new(
                Rule::MissingField,
                format!("required field `{key}` is missing"),
            )
            .at(self.source, span);
            self.push(diag);
            return None;
        }
        node
    }

    fn wrong_type(&mut self, node: &Node, what: &str, expected: &str) {
        let diag = Diagnostic::new(
            Rule::WrongType,
            format!("`{what}` must be {expected}, found {}", node.type_name()),
        )
        .at(self.source, node.span);
        self.push(diag);
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
        match &node.kind {
            NodeKind::Scalar { .. } if node.is_null() => None,
            NodeKind::Scalar { text, .. } => Some(Spanned::new(text.clone(), node.span)),
            _ => {
                self.wrong_type(node, what, "a string");
                None
            }
        }
    }

    fn one_of(&mut self, node: &Node, what: &str, allowed: &[&str]) -> Option<String> {
        let value = self.string(node, what)?;
        if allowed.contains(&value.as_str()) {
            return Some(value.value);
        }
        let diag = Diagnostic::new(
            Rule::InvalidValue,
            format!(
                "`{what}` is `{}`, which is not one of {}",
                value.value,
                one_of(allowed)
            ),
        )
        .at(self.source, node.span)
        .suggest(&value, allowed.iter().copied());
        self.push(diag);
        None
    }

    fn id(&mut self, node: &Node) -> Option<Spanned<String>> {
        let id = self.string(node, "id")?;
        if valid_id(&id) {
            return Some(id);
        }
        let message = if matches!(id.as_str(), "." | "..") {
            format!("id `{}` is not allowed: it names a folder", id.value)
        } else {
            format!(
                "id `{}` may only use letters, digits, `.`, `_` and `-`",
                id.value
            )
        };
        let diag = Diagnostic::new(Rule::InvalidValue, message).at(self.source, node.span);
        self.push(diag);
        None
    }

    fn date(&mut self, node: &Node, what: &str) -> Option<Date> {
        let text = self.string(node, what)?;
        match text.parse::<Date>() {
            Ok(date) if text.len() == 10 => Some(date),
            _ => {
                let diag = Diagnostic::new(
                    Rule::InvalidValue,
                    format!(
                        "`{what}` is `{}`, not a date in the form YYYY-MM-DD",
                        text.value
                    ),
                )
                .at(self.source, node.span);
                self.push(diag);
                None
            }
        }
    }

    /// Reads a timestamp: RFC 3339, a date-time without offset (site timezone), or a
    /// bare `HH:MM` on the record's date.
    fn timestamp(
        &mut self,
        node: &Node,
        what: &str,
        date: Option<Date>,
    ) -> Option<Spanned<Timestamp>> {
        let text = self.string(node, what)?;
        match parse_timestamp(&text, date, &self.config.timezone) {
            Ok(ts) => Some(Spanned::new(ts, node.span)),
            // A bare time without a valid `date`: the finding about `date` says it all.
            Err(_) if date.is_none() && text.trim().parse::<Time>().is_ok() => None,
            Err(reason) => {
                let diag = Diagnostic::new(Rule::InvalidValue, format!("`{what}` is `{}`: {reason}", text.value))
                    .at(self.source, node.span)
                    .help("write an RFC 3339 timestamp such as `2024-09-18T14:10:00Z`, or `HH:MM` on the record's date");
                self.push(diag);
                None
            }
        }
    }

    fn moment(&mut self, map: &Node, key: &str, date: Option<Date>) -> Option<Spanned<Timestamp>> {
        let node = map.get(key)?;
        if node.is_null() {
            return None;
        }
        self.timestamp(node, key, date)
    }

    fn number(&mut self, node: &Node, what: &str) -> Option<f64> {
        if node.is_null() {
            return None;
        }
        let value = node.as_f64();
        if value.is_none() {
            self.wrong_type(node, what, "a number");
        }
        value
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        if node.is_null() {
            return None;
        }
        let value = node.as_bool();
        if value.is_none() {
            self.wrong_type(node, what, "`true` or `false`");
        }
        value
    }

    /// A list of strings; `single_ok` also accepts one bare string (`authors: Ops`).
    fn string_list(&mut self, node: &Node, what: &str, single_ok: bool) -> Vec<Spanned<String>> {
        if node.is_null() {
            return Vec::new();
        }
        match &node.kind {
            NodeKind::Seq(items) => items
                .iter()
                .filter_map(|item| self.string(item, what))
                .collect(),
            NodeKind::Scalar { .. } if single_ok => self.string(node, what).into_iter().collect(),
            _ => {
                self.wrong_type(node, what, "a list of strings");
                Vec::new()
            }
        }
    }

    fn services(&mut self, node: &Node) -> Vec<Spanned<String>> {
        let services = self.string_list(node, "services", false);
        if let Some(catalog) = &self.config.services {
            for service in &services {
                if !catalog.contains_key(service.as_str()) {
                    let name = &service.value;
                    let help = match nearest(name, catalog.keys().map(String::as_str)) {
                        Some(near) => format!(
                            "did you mean `{near}`? If `{name}` is a new service, add it to site.toml's [services]"
                        ),
                        None => format!(
                            "add `{name}` to site.toml's [services], or fix the name to one listed there"
                        ),
                    };
                    let diag = Diagnostic::new(
                        Rule::UnknownService,
                        format!("service `{name}` is not in site.toml's [services] catalog"),
                    )
                    .at(self.source, service.span)
                    .help(help);
                    self.push(diag);
                }
            }
        }
        services
    }

    fn seq_of_maps<'n>(&mut self, node: &'n Node, what: &str) -> Vec<&'n Node> {
        if node.is_null() {
            return Vec::new();
        }
        let Some(items) = node.as_seq() else {
            self.wrong_type(node, what, "a list");
            return Vec::new();
        };
        let mut maps = Vec::new();
        for item in items {
            if item.as_map().is_some() {
                maps.push(item);
            } else {
                self.wrong_type(item, &format!("each entry of `{what}`"), "a mapping");
            }
        }
        maps
    }

    fn impact(&mut self, node: &Node) -> Impact {
        if node.as_map().is_none() {
            if !node.is_null() {
                self.wrong_type(node, "impact", "a mapping");
            }
            return Impact::default();
        }
        self.unknown_keys(node, IMPACT_KEYS, "`impact`");
        let users = node.get("users").and_then(|n| {
            let v = self.number(n, "impact.users")?;
            if v >= 0.0 && v.fract() == 0.0 && v <= u64::MAX as f64 {
                Some(v as u64)
            } else {
                self.wrong_type(n, "impact.users", "a whole number of at least 0");
                None
            }
        });
        Impact {
            users,
            requests_failed_pct: node
                .get("requests_failed_pct")
                .and_then(|n| self.number(n, "impact.requests_failed_pct")),
            revenue: node
                .get("revenue")
                .and_then(|n| self.number(n, "impact.revenue")),
            data_loss: node
                .get("data_loss")
                .and_then(|n| self.boolean(n, "impact.data_loss")),
            slo_breach: node
                .get("slo_breach")
                .and_then(|n| self.boolean(n, "impact.slo_breach")),
            description: node
                .get("description")
                .and_then(|n| self.string(n, "impact.description"))
                .map(|s| s.value),
        }
    }

    fn timeline(&mut self, node: &Node, date: Option<Date>) -> Vec<TimelineEvent> {
        let mut events = Vec::new();
        for entry in self.seq_of_maps(node, "timeline") {
            self.unknown_keys(entry, TIMELINE_KEYS, "a timeline entry");
            let at = self
                .required(entry, "at")
                .and_then(|n| self.timestamp(n, "at", date));
            let event = self
                .required(entry, "event")
                .and_then(|n| self.string(n, "event"));
            let source = entry
                .get("source")
                .and_then(|n| self.string(n, "source"))
                .map(|s| s.value);
            let actor = entry
                .get("actor")
                .and_then(|n| self.string(n, "actor"))
                .map(|s| s.value);
            let kind = entry
                .get("kind")
                .and_then(|n| self.one_of(n, "kind", TIMELINE_KINDS));
            if let (Some(at), Some(event)) = (at, event) {
                events.push(TimelineEvent {
                    at,
                    event,
                    source,
                    actor,
                    kind,
                });
            }
        }
        events
    }

    /// `review`, `draft` when it is missing or not one of the states.
    fn review(&mut self, root: &Node) -> Spanned<Review> {
        match root.get("review") {
            Some(n) => Spanned::new(
                self.one_of(n, "review", Review::NAMES)
                    .and_then(|v| Review::parse(&v))
                    .unwrap_or(Review::Draft),
                n.span,
            ),
            None => Spanned::new(Review::Draft, Span::new(root.span.start, root.span.start)),
        }
    }

    fn action_items(&mut self, node: &Node) -> Vec<ActionItem> {
        let mut items = Vec::new();
        let priorities: Vec<String> = self.config.priorities.clone();
        let priorities: Vec<&str> = priorities.iter().map(String::as_str).collect();
        for entry in self.seq_of_maps(node, "action_items") {
            self.unknown_keys(entry, ACTION_KEYS, "an action item");
            let id = entry.get("id").and_then(|n| self.string(n, "id"));
            let title = self
                .required(entry, "title")
                .and_then(|n| self.string(n, "title"));
            let owner = entry
                .get("owner")
                .and_then(|n| self.string(n, "owner"))
                .map(|s| s.value);
            let priority = entry
                .get("priority")
                .and_then(|n| self.one_of(n, "priority", &priorities));
            let due = entry
                .get("due")
                .filter(|n| !n.is_null())
                .and_then(|n| self.date(n, "due").map(|d| Spanned::new(d, n.span)));
            let status = entry
                .get("status")
                .and_then(|n| self.one_of(n, "status", ActionStatus::NAMES))
                .and_then(|s| ActionStatus::parse(&s))
                .unwrap_or(ActionStatus::Open);
            let kind = entry
                .get("kind")
                .and_then(|n| self.one_of(n, "kind", ACTION_KINDS));
            let link = entry.get("link").and_then(|n| self.string(n, "link"));
            if let Some(title) = title {
                items.push(ActionItem {
                    id,
                    title,
                    owner,
                    priority,
                    due,
                    status,
                    kind,
                    link,
                });
            }
        }
        items
    }

    fn links(&mut self, node: &Node) -> Vec<Link> {
        let mut links = Vec::new();
        for entry in self.seq_of_maps(node, "links") {
            self.unknown_keys(entry, LINK_KEYS, "a link");
            let url = self
                .required(entry, "url")
                .and_then(|n| self.string(n, "url"));
            let title = entry.get("title").and_then(|n| self.string(n, "title"));
            if let Some(url) = url {
                let title = title.map_or_else(|| url.value.clone(), |t| t.value);
                links.push(Link { title, url });
            }
        }
        links
    }
}

/// Parses the three timestamp forms the spec allows.
pub fn parse_timestamp(
    text: &str,
    date: Option<Date>,
    tz: &jiff::tz::TimeZone,
) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    if let Ok(dt) = text.parse::<DateTime>() {
        return dt
            .to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|e| e.to_string());
    }
    if text.len() <= 8 && text.contains(':') {
        let time = text
            .parse::<Time>()
            .map_err(|_| "not a time of day".to_string())?;
        let date = date.ok_or("a bare time needs the record's `date`")?;
        return date
            .to_datetime(time)
            .to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|e| e.to_string());
    }
    Err("not an RFC 3339 timestamp".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

    #[test]
    fn timestamps_in_three_forms() {
        let date: Date = "2024-09-18".parse().expect("date");
        let berlin = TimeZone::get("Europe/Berlin").expect("tz");
        let full = parse_timestamp("2024-09-18T14:10:00Z", Some(date), &berlin).expect("full");
        let bare = parse_timestamp("16:10", Some(date), &berlin).expect("bare");
        let naive = parse_timestamp("2024-09-18T16:10:00", Some(date), &berlin).expect("naive");
        assert_eq!(full, bare);
        assert_eq!(full, naive);
        assert!(parse_timestamp("25:99", Some(date), &berlin).is_err());
        assert!(parse_timestamp("yesterday", Some(date), &berlin).is_err());
    }

    #[test]
    fn ids() {
        assert!(valid_id("INC-2024-0918"));
        assert!(!valid_id(".."));
        assert!(!valid_id("a b"));
        assert!(!valid_id(""));
    }
}
