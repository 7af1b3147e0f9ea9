//! `casebook import opsgenie`: an Opsgenie incident's timeline
//! (`GET /v2/incident-timelines/{id}/entries`: `{"data": {"entries": [...]}}`) or an
//! alert's log (`GET /v2/alerts/{id}/logs`: `{"data": [...]}`), as the API returns
//! them; the inner list alone is read too.

use std::path::Path;

use serde_json::Value;

use super::{earliest, instant, json_text as text, AlertLog, ImportError, Imported, ImportedEntry};

/// Reads the export `bytes` (named `path` in errors). Notifications of the alert
/// log (entries of type `alertRecipient`) are left out unless asked for.
pub fn read(log: &AlertLog) -> Result<Imported, ImportError> {
    let (name, value) = log.json()?;
    let data = value.get("data").unwrap_or(&value);
    let list = data
        .get("entries")
        .unwrap_or(data)
        .as_array()
        .ok_or_else(|| not_export(log.path))?;
    let mut imported = Imported::default();
    for (index, item) in list.iter().enumerate() {
        let where_ = || format!("{name}: entry {}", index + 1);
        let (time_key, parsed) = if item.get("eventTime").is_some() {
            ("eventTime", timeline_entry(item, log.notifications))
        } else if item.get("log").is_some() {
            ("createdAt", alert_log(item, log.notifications))
        } else {
            return Err(ImportError::Malformed {
                at: where_(),
                message: "has neither `eventTime` (incident timeline) nor `log` (alert log)".into(),
            });
        };
        let written = item
            .get(time_key)
            .and_then(Value::as_str)
            .unwrap_or_default();
        let at = instant(written).ok_or_else(|| ImportError::Malformed {
            at: where_(),
            message: format!("`{time_key}` is `{written}`, not an RFC 3339 timestamp"),
        })?;
        let Some((event, meaning, actor)) = parsed else {
            imported.left_out += 1;
            continue;
        };
        match meaning {
            Some(Meaning::Detection) => earliest(&mut imported.moments.detected, at),
            Some(Meaning::Acknowledgement) => earliest(&mut imported.moments.acknowledged, at),
            Some(Meaning::Resolution) => {
                imported.moments.resolved = imported.moments.resolved.max(Some(at))
            }
            _ => {}
        }
        if !log.window.contains(at) {
            imported.left_out += 1;
            continue;
        }
        let mut entry = ImportedEntry::new(at, event);
        entry.source = Some("opsgenie".into());
        entry.actor = actor;
        entry.kind = meaning.and_then(Meaning::kind);
        imported.entries.push(entry);
    }
    Ok(imported.finish())
}

fn not_export(path: &Path) -> ImportError {
    ImportError::NotExport {
        path: path.to_path_buf(),
        message: "not an Opsgenie export: expected an incident timeline (`{\"data\": {\"entries\": [...]}}`) or an alert log (`{\"data\": [...]}`)".into(),
    }
}

/// What an Opsgenie event is, read from the words of its type, name or log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meaning {
    Detection,
    Acknowledgement,
    Escalation,
    Resolution,
    Communication,
}

impl Meaning {
    fn of(words: &str) -> Option<Meaning> {
        let words = words.to_ascii_lowercase();
        let has = |part: &str| words.contains(part);
        if has("resolv") || has("closed") || has("close ") {
            Some(Meaning::Resolution)
        } else if has("acknowledg") || has("acked") {
            Some(Meaning::Acknowledgement)
        } else if has("escalat") || has("responder") || has("assign") {
            Some(Meaning::Escalation)
        } else if has("creat") || has("open") || has("trigger") {
            Some(Meaning::Detection)
        } else if has("status") && has("page") {
            Some(Meaning::Communication)
        } else {
            None
        }
    }

    /// The entry's timeline kind: an acknowledgement marks a moment but is no kind.
    fn kind(self) -> Option<&'static str> {
        match self {
            Meaning::Detection => Some("detection"),
            Meaning::Acknowledgement => None,
            Meaning::Escalation => Some("escalation"),
            Meaning::Resolution => Some("resolution"),
            Meaning::Communication => Some("communication"),
        }
    }
}

type Parsed = Option<(String, Option<Meaning>, Option<String>)>;

/// An incident timeline entry: `type`, `description.content` (else its `name`),
/// `actor.name`; hidden entries are left out.
fn timeline_entry(item: &Value, notifications: bool) -> Parsed {
    if item.get("hidden").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let kind_text = text(item, &["type"]).unwrap_or_default();
    if !notifications && kind_text.to_ascii_lowercase().contains("notif") {
        return None;
    }
    let event = text(item, &["description", "content"])
        .or_else(|| text(item, &["description", "name"]))
        .or_else(|| (!kind_text.is_empty()).then(|| kind_text.clone()))?;
    let actor = text(item, &["actor", "name"]);
    Some((
        event,
        Meaning::of(&format!(
            "{kind_text} {}",
            text(item, &["description", "name"]).unwrap_or_default()
        )),
        actor,
    ))
}

/// An alert log line: `log`, `type`, `owner`.
fn alert_log(item: &Value, notifications: bool) -> Parsed {
    let kind_text = text(item, &["type"]).unwrap_or_default();
    if !notifications && kind_text.eq_ignore_ascii_case("alertRecipient") {
        return None;
    }
    let event = text(item, &["log"])?;
    let meaning = match kind_text.as_str() {
        "note" => None,
        _ => Meaning::of(&event),
    };
    Some((event, meaning, text(item, &["owner"])))
}
