//! `casebook new "TITLE"`: a new record with the next free id, today's date and every
//! section of the house template, ready to fill in.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use jiff::civil::Date;

use crate::cli::cmd::{today, Failure, Outcome};
use crate::cli::{GlobalArgs, NewArgs};
use crate::core::diag::nearest;
use crate::core::paths::slug;
use crate::load;
use crate::load::INCIDENTS_DIR;
use crate::pipeline::Setup;

/// Sections every new record starts with; site.toml's required sections are added.
pub const HOUSE_SECTIONS: &[(&str, &str)] = &[
    (
        "Summary",
        "What happened, in two or three sentences a newcomer understands.",
    ),
    ("Impact", "Who was affected, how, and for how long."),
    (
        "Detection",
        "How we found out, and how we could have found out sooner.",
    ),
    (
        "Response",
        "What we did, in order; the timeline above has the details.",
    ),
    (
        "Root cause",
        "Why it happened: the conditions that made the failure possible.",
    ),
    ("5 whys", "1. Why ...?"),
    ("What went well", "- ..."),
    ("What went wrong", "- ..."),
    ("Lessons learned", "- ..."),
    (
        "Action items",
        "The structured list is in the front matter; explain the reasoning here.",
    ),
];

/// Writes the record and prints its path on stdout.
pub fn run(global: &GlobalArgs, args: &NewArgs) -> Result<Outcome, Failure> {
    let Setup { config, .. } = Setup::load(&global.root)?;
    let today = today(&args.today)?.date(&config.timezone);
    let severities = config.severity_names();
    let severity = match &args.severity {
        Some(s) if severities.contains(&s.as_str()) => s.clone(),
        Some(s) => {
            let hint = nearest(s, severities.iter().copied())
                .map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            return Err(Failure::Usage(format!(
                "unknown severity `{s}`{hint}; site.toml has {}",
                crate::core::diag::one_of(&severities)
            )));
        }
        None => severities.last().map(|s| s.to_string()).unwrap_or_default(),
    };
    if let Some(catalog) = &config.services {
        for service in &args.services {
            if !catalog.contains_key(service) {
                let hint = nearest(service, catalog.keys().map(String::as_str))
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                return Err(Failure::Usage(format!(
                    "service `{service}` is not in site.toml's [services]{hint}"
                )));
            }
        }
    }
    let (archive, _) = load::load(&global.root, config);
    let ids: Vec<(String, Date)> = archive
        .records
        .iter()
        .map(|r| (r.id.value.clone(), r.date))
        .collect();
    let id = next_id(&ids, today);
    let stem = format!("{today}-{}", file_slug(&args.title, &id));
    let rel: PathBuf = if args.bundle {
        PathBuf::from(INCIDENTS_DIR).join(&stem).join("index.md")
    } else {
        PathBuf::from(INCIDENTS_DIR).join(format!("{stem}.md"))
    };
    let path = global.root.join(&rel);
    let mut sections: Vec<(String, String)> = HOUSE_SECTIONS
        .iter()
        .map(|(h, t)| (h.to_string(), t.to_string()))
        .collect();
    for required in &archive.config.required_sections {
        if !sections
            .iter()
            .any(|(h, _)| h.eq_ignore_ascii_case(required))
        {
            sections.push((required.clone(), "...".into()));
        }
    }
    let text = record_text(
        &id,
        &args.title,
        today,
        &severity,
        &archive.config.statuses[0],
        &args.services,
        &sections,
    );
    write_new(&path, args.bundle, &text)?;
    writeln!(std::io::stdout().lock(), "{}", path.display())
        .map_err(Failure::io("cannot write the new record's path"))?;
    Ok(Outcome::Clean)
}

/// Writes `text` to a file at `path` that must not exist yet, nor (for a bundle)
/// its folder. The file is created only if nothing is at its path, in one step, so
/// neither another writer nor a symlink in the way can have a record overwritten.
fn write_new(path: &Path, bundle: bool, text: &str) -> Result<(), Failure> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let incidents = match bundle {
        true => folder.parent().unwrap_or(Path::new(".")),
        false => folder,
    };
    std::fs::create_dir_all(incidents).map_err(Failure::io(format!(
        "cannot create {}",
        incidents.display()
    )))?;
    if bundle {
        created(std::fs::create_dir(folder), folder)?;
    }
    let new_file = OpenOptions::new().write(true).create_new(true).open(path);
    created(new_file, path)?
        .write_all(text.as_bytes())
        .map_err(|e| {
            // A half-written record would only be in the way of the next try.
            let _ = std::fs::remove_file(path);
            Failure::io(format!("cannot write {}", path.display()))(e)
        })
}

/// The result of creating `at`: something already there is a usage error (exit 2),
/// with a message that says so; any other error is an I/O error.
fn created<T>(result: std::io::Result<T>, at: &Path) -> Result<T, Failure> {
    result.map_err(|e| match e.kind() {
        ErrorKind::AlreadyExists => Failure::Usage(format!(
            "{} already exists; `casebook new` never overwrites anything",
            at.display()
        )),
        _ => Failure::io(format!("cannot create {}", at.display()))(e),
    })
}

/// The part of the file name after the date: the title's slug, cut to 60
/// characters, or the new id's (`inc-2026-0001`) when the title has no ASCII letter
/// or digit to make one from (`障害報告`, `!!!`).
fn file_slug(title: &str, id: &str) -> String {
    let from_title: String = slug(title).chars().take(60).collect();
    match from_title.trim_end_matches('-') {
        "" => slug(id),
        cut => cut.to_string(),
    }
}

fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

fn record_text(
    id: &str,
    title: &str,
    today: Date,
    severity: &str,
    status: &str,
    services: &[String],
    sections: &[(String, String)],
) -> String {
    let services: Vec<String> = services.iter().map(|s| yaml_string(s)).collect();
    let mut text = format!(
        "---\nid: {id}\ntitle: {title}\ndate: {today}\nseverity: {severity}\nstatus: {status}\nreview: draft\n\
         summary:\n# started: \"HH:MM\"       # times on `date`, or full RFC 3339 timestamps\n# detected: \"HH:MM\"\n\
         # acknowledged: \"HH:MM\"\n# mitigated: \"HH:MM\"\n# resolved: \"HH:MM\"\nservices: [{}]\ntags: []\n\
         commander:\nauthors: []\nimpact:\n  description:\ntimeline:\n#  - at: \"HH:MM\"\n#    event: What happened\n\
         #    kind: detection\naction_items:\n#  - id: AI-1\n#    title: What we will change\n#    owner: team\n\
         #    priority: P2\n#    due: YYYY-MM-DD\n#    status: open\nrelated: []\n---\n",
        services.join(", "),
        title = yaml_string(title),
    );
    for (heading, hint) in sections {
        text.push_str(&format!("\n## {heading}\n\n{hint}\n"));
    }
    text
}

/// The next free id in the archive's own pattern. The newest record's id is the
/// model: a year in it becomes this year, and its trailing number counts up per year
/// (`INC-2024-0007` -> `INC-2025-0001` in a new year). An empty archive starts at
/// `INC-YYYY-0001`.
pub fn next_id(ids: &[(String, Date)], today: Date) -> String {
    let year = today.year().to_string();
    let model = ids
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    let Some((prefix, width)) = model.and_then(|(id, date)| pattern(id, *date)) else {
        let taken = ids
            .iter()
            .filter_map(|(id, _)| number_after(id, &format!("INC-{year}-")))
            .max()
            .unwrap_or(0);
        return format!("INC-{year}-{:04}", taken + 1);
    };
    let prefix = prefix.replace("{year}", &year);
    let taken = ids
        .iter()
        .filter_map(|(id, _)| number_after(id, &prefix))
        .max()
        .unwrap_or(0);
    format!("{prefix}{:0width$}", taken + 1)
}

/// `INC-2024-0918` on 2024-09-18 -> (`INC-{year}-`, 4).
fn pattern(id: &str, date: Date) -> Option<(String, usize)> {
    let digits = id.chars().rev().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits == id.len() {
        return None;
    }
    let prefix = &id[..id.len() - digits];
    let year = date.year().to_string();
    Some((prefix.replacen(&year, "{year}", 1), digits))
}

fn number_after(id: &str, prefix: &str) -> Option<u64> {
    id.strip_prefix(prefix)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn a_title_without_a_slug_names_the_file_after_the_id() {
        assert_eq!(
            file_slug("DB pool: exhausted", "INC-1"),
            "db-pool-exhausted"
        );
        assert_eq!(file_slug("障害報告", "INC-2026-0001"), "inc-2026-0001");
        assert_eq!(file_slug("!!!", "PM-42"), "pm-42");
        assert_eq!(file_slug(&"ab ".repeat(40), "INC-1").len(), 59);
    }

    #[test]
    fn next_id_follows_the_archive() {
        let ids = vec![
            ("INC-2024-0007".to_string(), date("2024-05-01")),
            ("INC-2024-0012".to_string(), date("2024-06-01")),
        ];
        assert_eq!(next_id(&ids, date("2024-07-01")), "INC-2024-0013");
        assert_eq!(next_id(&ids, date("2025-01-02")), "INC-2025-0001");
        assert_eq!(next_id(&[], date("2025-01-02")), "INC-2025-0001");
        let plain = vec![("PM-41".to_string(), date("2024-05-01"))];
        assert_eq!(next_id(&plain, date("2025-01-02")), "PM-42");
    }
}
