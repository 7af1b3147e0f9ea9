//! `casebook import pagerduty`: an incident's log entries, as PagerDuty's REST API
//! returns them (`GET /incidents/{id}/log_entries`: `{"log_entries": [...]}`, or
//! the bare list), in any order and with `created_at` in any offset.

use std::path::Path;

use serde_json::Value;

use super::{earliest, instant, json_text as text, AlertLog, ImportError, Imported, ImportedEntry};

/// Reads the log `bytes` (named `path` in errors). Notifications (who was paged,
/// how) are left out unless `notifications` asks for them.
pub fn read(log: &AlertLog) -> Result<Imported, ImportError> {
    let (name, value) = log.json()?;
    let list = match &value {
        Value::Array(list) => list,
        Value::Object(map) => match map.get("log_entries") {
            Some(Value::Array(list)) => list,
            _ => return Err(not_log(log.path)),
        },
        _ => return Err(not_log(log.path)),
    };
    let mut imported = Imported::default();
    for (index, item) in list.iter().enumerate() {
        let kind = text(item, &["type"]).unwrap_or_default();
        if !kind.ends_with("log_entry") {
            return Err(ImportError::Malformed {
                at: format!("{name}: log entry {}", index + 1),
                message: "has no `type` ending in `_log_entry`; is this PagerDuty's log_entries response?".into(),
            });
        }
        let created = text(item, &["created_at"]).unwrap_or_default();
        let at = instant(&created).ok_or_else(|| ImportError::Malformed {
            at: format!("{name}: log entry {}", index + 1),
            message: format!("`created_at` is `{created}`, not an RFC 3339 timestamp"),
        })?;
        match kind.as_str() {
            "trigger_log_entry" => earliest(&mut imported.moments.detected, at),
            "acknowledge_log_entry" => earliest(&mut imported.moments.acknowledged, at),
            "resolve_log_entry" => {
                imported.moments.resolved = imported.moments.resolved.max(Some(at));
            }
            _ => {}
        }
        let Some(entry) = entry(item, &kind, at, log.notifications) else {
            imported.left_out += 1;
            continue;
        };
        if log.window.contains(at) {
            imported.entries.push(entry);
        } else {
            imported.left_out += 1;
        }
    }
    Ok(imported.finish())
}

fn not_log(path: &Path) -> ImportError {
    ImportError::NotExport {
        path: path.to_path_buf(),
        message: "not a PagerDuty incident log: expected `{\"log_entries\": [...]}` or a list of log entries".into(),
    }
}

/// Who did it: a user agent's name (`agent.summary`), not a service's or an
/// integration's.
fn person(item: &Value) -> Option<String> {
    let agent_type = text(item, &["agent", "type"]).unwrap_or_default();
    agent_type
        .starts_with("user")
        .then(|| text(item, &["agent", "summary"]))
        .flatten()
}

/// The entry one log entry becomes; `None` for those left out.
fn entry(
    item: &Value,
    kind: &str,
    at: jiff::Timestamp,
    notifications: bool,
) -> Option<ImportedEntry> {
    let who = person(item);
    let (event, entry_kind, actor) = match kind {
        "trigger_log_entry" => {
            let alert = text(item, &["channel", "summary"])
                .or_else(|| text(item, &["event_details", "description"]))
                .or_else(|| text(item, &["incident", "summary"]))
                .or_else(|| text(item, &["summary"]))?;
            let from = text(item, &["channel", "client"])
                .or_else(|| text(item, &["agent", "summary"]))
                .or_else(|| text(item, &["service", "summary"]));
            let event = match from {
                Some(from) => format!("PagerDuty alert “{alert}” from {from}"),
                None => format!("PagerDuty alert “{alert}”"),
            };
            (event, Some("detection"), who)
        }
        "acknowledge_log_entry" => {
            let by = who.clone().or_else(|| text(item, &["agent", "summary"]));
            let event = match &by {
                Some(by) => format!("Acknowledged by {by}"),
                None => "Acknowledged".to_string(),
            };
            (event, None, by)
        }
        "escalate_log_entry" | "assign_log_entry" => {
            let targets = assignees(item);
            let verb = if kind == "escalate_log_entry" {
                "Escalated"
            } else {
                "Assigned"
            };
            let event = match targets.is_empty() {
                true => text(item, &["summary"]).unwrap_or_else(|| verb.to_string()),
                false => format!("{verb} to {}", targets.join(", ")),
            };
            (event, Some("escalation"), who)
        }
        "annotate_log_entry" => {
            let note = text(item, &["note"])
                .or_else(|| text(item, &["channel", "summary"]))
                .or_else(|| text(item, &["summary"]))?;
            (
                note,
                None,
                who.or_else(|| text(item, &["agent", "summary"])),
            )
        }
        "resolve_log_entry" => {
            let by = who.clone();
            let event = match &by {
                Some(by) => format!("Resolved by {by}"),
                None => match text(item, &["agent", "summary"]) {
                    Some(agent) => format!("Resolved by {agent}"),
                    None => "Resolved".to_string(),
                },
            };
            (event, Some("resolution"), by)
        }
        "notify_log_entry" if notifications => {
            let user = text(item, &["user", "summary"]).unwrap_or_else(|| "someone".into());
            let how = text(item, &["channel", "type"])
                .map(|t| format!(" by {}", t.replace('_', " ")))
                .unwrap_or_default();
            (format!("Notified {user}{how}"), None, None)
        }
        _ => return None,
    };
    let mut entry = ImportedEntry::new(at, event);
    entry.source = Some("pagerduty".into());
    entry.actor = actor;
    entry.kind = entry_kind;
    Some(entry)
}

/// Whom an escalation or assignment went to: `assignees` (API v2) or
/// `assigned_user` (v1), else the escalation policy's target in `summary`.
fn assignees(item: &Value) -> Vec<String> {
    let mut names: Vec<String> = item
        .get("assignees")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(|a| text(a, &["summary"])).collect())
        .unwrap_or_default();
    if names.is_empty() {
        names.extend(text(item, &["assigned_user", "summary"]));
        names.extend(text(item, &["assigned_user", "name"]));
    }
    names
}
