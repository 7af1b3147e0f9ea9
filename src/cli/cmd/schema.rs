//! `casebook schema`: a JSON Schema of the front matter for editors.
//!
//! Value sets (severities, statuses, priorities, services) come from site.toml when
//! the command runs inside an archive, so an editor completes this archive's values.
//! The schema is JSON Schema draft 7, the newest draft the YAML language server
//! fully supports; it uses no keyword whose meaning changed in later drafts.

use std::io::Write;

use serde_json::{json, Value};

use crate::cli::cmd::{Failure, Outcome};
use crate::cli::GlobalArgs;
use crate::core::config::SiteConfig;
use crate::core::model::{ActionStatus, Review, ACTION_KINDS, TIMELINE_KINDS};

/// Prints the schema on stdout.
pub fn run(global: &GlobalArgs) -> Result<Outcome, Failure> {
    let config = if global.root.join(crate::core::config::FILE_NAME).is_file() {
        crate::pipeline::Setup::load(&global.root)?.config
    } else {
        SiteConfig::default()
    };
    let text = serde_json::to_string_pretty(&schema(&config))
        .map_err(|e| Failure::Usage(e.to_string()))?;
    writeln!(std::io::stdout().lock(), "{text}").map_err(Failure::io("cannot write the schema"))?;
    Ok(Outcome::Clean)
}

/// The schema for records of an archive with this configuration.
pub fn schema(config: &SiteConfig) -> Value {
    let timestamp = json!({
        "type": "string",
        "description": "RFC 3339 timestamp, a date-time in site.toml's timezone, or HH:MM on `date`",
        "pattern": "^(\\d{4}-\\d{2}-\\d{2}[T ])?\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})?$"
    });
    let date = json!({ "type": "string", "format": "date", "pattern": "^\\d{4}-\\d{2}-\\d{2}$" });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    let services = match &config.services {
        Some(catalog) => {
            json!({ "type": "array", "items": { "enum": catalog.keys().collect::<Vec<_>>() } })
        }
        None => strings.clone(),
    };
    let mut schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "casebook incident record",
        "description": "Front matter of a postmortem in a casebook archive",
        "type": "object",
        "required": ["id", "title", "date", "severity", "status"],
        "additionalProperties": false,
        "properties": {
            "id": { "type": "string", "pattern": "^[A-Za-z0-9._-]+$", "description": "Unique in the archive" },
            "title": { "type": "string" },
            "date": date,
            "severity": { "enum": config.severity_names() },
            "status": { "enum": config.statuses },
            "review": { "enum": Review::NAMES, "default": "draft" },
            "visibility": { "enum": ["public", "internal"] },
            "summary": { "type": "string" },
            "started": timestamp, "detected": timestamp, "acknowledged": timestamp,
            "mitigated": timestamp, "resolved": timestamp,
            "services": services,
            "tags": strings,
            "commander": { "type": "string" },
            "authors": { "oneOf": [ { "type": "string" }, strings ] },
            "impact": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "users": { "type": "integer", "minimum": 0 },
                    "requests_failed_pct": { "type": "number" },
                    "revenue": { "type": "number", "description": format!("In {}", config.currency) },
                    "data_loss": { "type": "boolean" },
                    "slo_breach": { "type": "boolean" },
                    "description": { "type": "string" }
                }
            },
            "timeline": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["at", "event"],
                    "additionalProperties": false,
                    "properties": {
                        "at": timestamp,
                        "event": { "type": "string" },
                        "source": { "type": "string" },
                        "actor": { "type": "string" },
                        "kind": { "enum": TIMELINE_KINDS }
                    }
                }
            },
            "action_items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["title"],
                    "additionalProperties": false,
                    "properties": {
                        "id": { "type": "string" },
                        "title": { "type": "string" },
                        "owner": { "type": "string" },
                        "priority": { "enum": config.priorities },
                        "due": date,
                        "status": { "enum": ActionStatus::NAMES, "default": "open" },
                        "kind": { "enum": ACTION_KINDS },
                        "link": { "type": "string", "format": "uri" }
                    }
                }
            },
            "related": strings,
            "links": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["url"],
                    "additionalProperties": false,
                    "properties": { "title": { "type": "string" }, "url": { "type": "string" } }
                }
            },
            "extra": { "type": "object" },
            "body": { "type": "string", "description": "Markdown body, in YAML records only" }
        }
    });
    allow_null_when_optional(&mut schema);
    schema
}

/// casebook reads an optional key written without a value (`summary:`, as in the
/// template `casebook new` writes) as absent, so the schema accepts null there too.
fn allow_null_when_optional(schema: &mut Value) {
    let required: Vec<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        for (name, property) in properties.iter_mut() {
            allow_null_when_optional(property);
            if !required.contains(name) {
                nullable(property);
            }
        }
    }
    if let Some(items) = schema.get_mut("items") {
        allow_null_when_optional(items);
    }
}

fn nullable(schema: &mut Value) {
    if let Some(Value::Array(values)) = schema.get_mut("enum") {
        values.push(Value::Null);
    } else if let Some(kind) = schema.get_mut("type") {
        *kind = json!([kind.take(), "null"]);
    } else if let Some(Value::Array(options)) = schema.get_mut("oneOf") {
        options.push(json!({ "type": "null" }));
    }
}
