//! Timeline entries as YAML that is valid whatever their text holds: every string
//! is double-quoted, with the escapes YAML defines, so quotes, colons, `#`, a
//! leading `-` or `*`, newlines and any Unicode read back as the same text.

use jiff::Timestamp;

use super::{Clock, ImportedEntry};

/// A whole `timeline:` block, ready to paste into a record's front matter.
pub fn timeline_block(entries: &[ImportedEntry], clock: &Clock) -> String {
    let mut out = String::from("timeline:\n");
    for entry in entries {
        out.push_str(&entry_lines(entry, clock, 2));
    }
    out
}

/// One list item of the timeline, its `-` at `indent` spaces, each line ending in `\n`.
pub fn entry_lines(entry: &ImportedEntry, clock: &Clock, indent: usize) -> String {
    let dash = " ".repeat(indent);
    let keys = " ".repeat(indent + 2);
    let mut out = format!("{dash}- at: {}\n", quoted(&time(entry.at, clock)));
    out.push_str(&format!("{keys}event: {}\n", quoted(&entry.event)));
    if let Some(source) = &entry.source {
        out.push_str(&format!("{keys}source: {}\n", word_or_quoted(source)));
    }
    if let Some(actor) = &entry.actor {
        out.push_str(&format!("{keys}actor: {}\n", quoted(actor)));
    }
    if let Some(kind) = entry.kind {
        out.push_str(&format!("{keys}kind: {kind}\n"));
    }
    out
}

/// A time as the record format reads it: `HH:MM` (or `HH:MM:SS`) on the record's
/// date, else a full timestamp with the timezone's offset (`Z` for UTC).
pub fn time(at: Timestamp, clock: &Clock) -> String {
    let zoned = at.to_zoned(clock.tz.clone());
    let clock_time = if zoned.second() == 0 {
        zoned.strftime("%H:%M").to_string()
    } else {
        zoned.strftime("%H:%M:%S").to_string()
    };
    if zoned.date() == clock.date {
        return clock_time;
    }
    let offset = if zoned.offset().seconds() == 0 {
        "Z".to_string()
    } else {
        zoned.strftime("%:z").to_string()
    };
    format!("{}{offset}", zoned.strftime("%Y-%m-%dT%H:%M:%S"))
}

/// A lower-case word (`slack`, `pagerduty`) as it is, anything else quoted: a
/// plain word can be no other YAML type than a string, bar the few listed.
fn word_or_quoted(text: &str) -> String {
    let word = text.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && !matches!(
            text,
            "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if word {
        text.to_string()
    } else {
        quoted(text)
    }
}

/// `text` as a double-quoted YAML scalar. Characters YAML does not allow as they
/// are (controls, DEL, C1, BOM, the non-characters U+FFFE/U+FFFF) and line and
/// paragraph separators are escaped.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if (c as u32) < 0x20 || ('\u{7f}'..='\u{9f}').contains(&c) => {
                out.push_str(&format!("\\x{:02X}", c as u32));
            }
            '\u{feff}' | '\u{fffe}' | '\u{ffff}' => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml;

    fn clock() -> Clock {
        Clock {
            tz: jiff::tz::TimeZone::UTC,
            date: "2024-09-18".parse().expect("date"),
        }
    }

    #[test]
    fn any_text_reads_back_as_itself() {
        let texts = [
            "plain",
            "key: value # not a comment",
            "- starts like a list item",
            "* starts like a bullet",
            "\"quoted\" and 'single'",
            "back\\slash \\n not a newline",
            "two\nlines\r\nand\ttab",
            "null",
            "~",
            "14:23",
            "&anchor *alias !tag %directive @at `tick`",
            "{flow: [map]}",
            "控制 \u{1} \u{7f} \u{85} \u{9f} \u{2028} \u{2029} \u{feff} \u{fffe} 😀",
            "",
            " leading and trailing ",
            "---",
            "...",
        ];
        for text in texts {
            let yaml_text = format!("event: {}\n", quoted(text));
            let parsed = yaml::parse(&yaml_text, 0);
            assert!(
                parsed.problems.is_empty(),
                "{text:?}: {:?}",
                parsed.problems
            );
            let root = parsed.root.expect("a tree");
            let node = root.get("event").expect("event");
            match &node.kind {
                yaml::NodeKind::Scalar { text: read, plain } => {
                    assert_eq!(read, text);
                    assert!(!plain);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn times_are_bare_on_the_date_and_full_elsewhere() {
        let on_day: Timestamp = "2024-09-18T14:23:00Z".parse().expect("ts");
        let with_seconds: Timestamp = "2024-09-18T14:23:05Z".parse().expect("ts");
        let next_day: Timestamp = "2024-09-19T00:05:00Z".parse().expect("ts");
        assert_eq!(time(on_day, &clock()), "14:23");
        assert_eq!(time(with_seconds, &clock()), "14:23:05");
        assert_eq!(time(next_day, &clock()), "2024-09-19T00:05:00Z");
        let berlin = Clock {
            tz: jiff::tz::TimeZone::get("Europe/Berlin").expect("tz"),
            date: "2024-09-18".parse().expect("date"),
        };
        assert_eq!(time(next_day, &berlin), "2024-09-19T02:05:00+02:00");
        assert_eq!(time(on_day, &berlin), "16:23");
        let late: Timestamp = "2024-09-18T22:30:00Z".parse().expect("ts");
        assert_eq!(time(late, &berlin), "2024-09-19T00:30:00+02:00");
    }
}
