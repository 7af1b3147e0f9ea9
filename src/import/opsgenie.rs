//! `casebook import opsgenie`: an Opsgenie incident's timeline
//! (`GET /v2/incident-timelines/{id}/entries`: `{"data": {"entries": [...]}}`) or an
//! alert's log (`GET /v2/alerts/{id}/logs`: `{"data": [...]}`), as the API returns
//! them; the inner list alone is read too.

use std::path::Path;

use serde_json::Value;

use super::{instant, json_text as text, AlertLog, Entry, ImportError, Imported};

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
        let Some((event, kind, actor)) = parsed else {
            imported.left_out += 1;
            continue;
        };
        match kind {
            Some("detection") => {
                imported.moments.detected = imported.moments.detected.min(Some(at)).or(Some(at))
            }
            Some("resolution") => {
                imported.moments.resolved = imported.moments.resolved.max(Some(at))
            }
            _ => {}
        }
        if kind == Some("acknowledged") {
            imported.moments.acknowledged =
                imported.moments.acknowledged.min(Some(at)).or(Some(at));
        }
        if !log.window.contains(at) {
            imported.left_out += 1;
            continue;
        }
        let mut entry = Entry::new(at, event);
        entry.source = Some("opsgenie".into());
        entry.actor = actor;
        entry.kind = kind.filter(|k| *k != "acknowledged");
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

/// What an event's words say it is. `acknowledged` is not a timeline kind: it only
/// marks the moment, and the entry gets no kind.
fn kind_of(words: &str) -> Option<&'static str> {
    let words = words.to_ascii_lowercase();
    if words.contains("resolv") || words.contains("closed") || words.contains("close ") {
        Some("resolution")
    } else if words.contains("ack") {
        Some("acknowledged")
    } else if words.contains("escalat") || words.contains("responder") || words.contains("assign") {
        Some("escalation")
    } else if words.contains("creat") || words.contains("open") || words.contains("trigger") {
        Some("detection")
    } else if words.contains("status") && words.contains("page") {
        Some("communication")
    } else {
        None
    }
}

type Parsed = Option<(String, Option<&'static str>, Option<String>)>;

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
        kind_of(&format!(
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
    let kind = match kind_text.as_str() {
        "note" => None,
        _ => kind_of(&event),
    };
    Some((event, kind, text(item, &["owner"])))
}
