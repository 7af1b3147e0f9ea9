//! `casebook import csv`: a timeline from any tool that can write a table. The
//! columns are `at, event, source, actor, kind` (header names in any letter case,
//! in any order; `at` and `event` required), one entry a row (docs/import.md).

use std::path::Path;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::{ImportError, Imported, ImportedEntry, Window};
use crate::core::model::TIMELINE_KINDS;
use crate::load::decode::parse_timestamp;

/// The columns the importer reads.
pub const COLUMNS: &[&str] = &["at", "event", "source", "actor", "kind"];

/// Reads the CSV file `bytes` (named `path` in errors). Times without an offset are
/// in `tz`; a bare time is on `date`, so one needs a date.
pub fn read(
    path: &Path,
    bytes: &[u8],
    tz: &TimeZone,
    date: Option<Date>,
    window: Window,
) -> Result<Imported, ImportError> {
    let name = path.display().to_string();
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError::NotExport {
        path: path.to_path_buf(),
        message: format!(
            "not UTF-8 text (byte {} is not); save it as UTF-8 CSV",
            e.valid_up_to()
        ),
    })?;
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().map_err(|e| csv_error(&name, &e))?.clone();
    let mut columns = [None; 5];
    for (index, header) in headers.iter().enumerate() {
        let header = header.trim().to_ascii_lowercase();
        match COLUMNS.iter().position(|c| *c == header) {
            Some(known) if columns[known].is_some() => {
                return Err(malformed(
                    &name,
                    1,
                    format!("the column `{header}` appears twice"),
                ));
            }
            Some(known) => columns[known] = Some(index),
            None => {
                return Err(malformed(
                    &name,
                    1,
                    format!(
                        "unknown column `{header}`; the columns are {}",
                        COLUMNS.join(", ")
                    ),
                ));
            }
        }
    }
    let [Some(at_column), Some(event_column), source, actor, kind] = columns else {
        return Err(ImportError::NotExport {
            path: path.to_path_buf(),
            message: format!(
                "the first line must name the columns, with at least `at` and `event` (found: {})",
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
        });
    };
    let mut imported = Imported::default();
    for row in reader.records() {
        let row = row.map_err(|e| csv_error(&name, &e))?;
        let line = row.position().map_or(0, |p| p.line());
        let cell = |column: Option<usize>| {
            column
                .and_then(|c| row.get(c))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let at_text =
            cell(Some(at_column)).ok_or_else(|| malformed(&name, line, "`at` is empty".into()))?;
        let at = parse_timestamp(at_text, date, tz).map_err(|why| {
            let why = if why.contains("needs the record's `date`") {
                "a bare time needs a date: pass --date, or --into a record".to_string()
            } else {
                why
            };
            malformed(&name, line, format!("`at` is `{at_text}`: {why}"))
        })?;
        let event = cell(Some(event_column))
            .ok_or_else(|| malformed(&name, line, "`event` is empty".into()))?;
        let kind = match cell(kind) {
            None => None,
            Some(text) => Some(
                TIMELINE_KINDS
                    .iter()
                    .copied()
                    .find(|k| k.eq_ignore_ascii_case(text))
                    .ok_or_else(|| {
                        malformed(
                            &name,
                            line,
                            format!(
                                "`kind` is `{text}`; it is one of {}",
                                TIMELINE_KINDS.join(", ")
                            ),
                        )
                    })?,
            ),
        };
        if !window.contains(at) {
            imported.left_out += 1;
            continue;
        }
        let mut entry = ImportedEntry::new(at, event);
        entry.source = cell(source).map(str::to_string);
        entry.actor = cell(actor).map(str::to_string);
        entry.kind = kind;
        imported.entries.push(entry);
    }
    Ok(imported.finish())
}

fn malformed(name: &str, line: u64, message: String) -> ImportError {
    ImportError::Malformed {
        at: format!("{name}:{line}"),
        message,
    }
}

fn csv_error(name: &str, error: &::csv::Error) -> ImportError {
    let line = error.position().map_or(1, |p| p.line());
    let message = match error.kind() {
        ::csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("this row has {len} fields, the header {expected_len}")
        }
        _ => error.to_string(),
    };
    malformed(name, line, message)
}
