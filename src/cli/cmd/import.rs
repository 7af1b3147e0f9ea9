//! `casebook import SOURCE`: timeline entries from another tool's export, printed as
//! YAML or merged into a record (`--into`). The reading and merging are the
//! library's `import` stage; this module resolves the arguments, picks the archive's
//! timezone, and writes the record safely: a temporary file beside it, renamed over
//! it, and nothing at all on any error.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::cli::cmd::{Failure, Outcome};
use crate::cli::{AlertLogArgs, GlobalArgs, ImportArgs, ImportSource};
use crate::core::config::SiteConfig;
use crate::import::merge::Target;
use crate::import::{self, emit, AlertLog, Clock, ImportError, Imported, Window};
use crate::load::decode::parse_timestamp;
use crate::pipeline::Setup;

/// Reads the export, then prints or merges.
pub fn run(global: &GlobalArgs, args: &ImportArgs) -> Result<Outcome, Failure> {
    let common = match &args.source {
        ImportSource::Slack(a) => &a.common,
        ImportSource::PagerDuty(a) => &a.common,
        ImportSource::Opsgenie(a) => &a.common,
        ImportSource::Csv(a) => &a.common,
    };
    let config = config_for(global, common.into.as_deref())?;
    let target = match &common.into {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(ImportError::io(path))?;
            Some(Target::open(path, &bytes, &config)?)
        }
        None => None,
    };
    let record_date = target.as_ref().map(|t| t.record.date).or(common.date);
    let tz = &config.timezone;
    let mut window = Window {
        from: bound(common.from.as_deref(), false, record_date, tz)?,
        to: bound(common.to.as_deref(), true, record_date, tz)?,
    };
    let (imported, what, fill) = match &args.source {
        ImportSource::Slack(a) => {
            if let Some(target) = target.as_ref().filter(|_| window == Window::default()) {
                window = target.window();
            }
            let request = import::slack::Request {
                channel: a.channel.clone(),
                window,
                threads: a.threads,
            };
            (
                import::slack::read(&a.export, &request)?,
                a.export.clone(),
                false,
            )
        }
        ImportSource::PagerDuty(a) => alert_log(a, window, import::pagerduty::read)?,
        ImportSource::Opsgenie(a) => alert_log(a, window, import::opsgenie::read)?,
        ImportSource::Csv(a) => {
            let bytes = read(&a.file)?;
            let found = import::csv::read(&a.file, &bytes, tz, record_date, window)?;
            (found, a.file.clone(), false)
        }
    };
    if imported.entries.is_empty() {
        return Err(ImportError::Empty {
            what: format!(
                "{} has no entries to import{}{}",
                what.display(),
                window.describe(),
                left_out(&imported)
            ),
        }
        .into());
    }
    match target {
        None => print(global, &imported, record_date, tz),
        Some(target) => merge_into(global, &target, &imported, fill),
    }
}

/// The site.toml that decides times: the archive holding the record for `--into`
/// (the nearest folder above it with a site.toml), else `--root`'s; without one,
/// the defaults (UTC).
fn config_for(global: &GlobalArgs, into: Option<&Path>) -> Result<SiteConfig, Failure> {
    let from_record = into.and_then(|record| {
        let absolute = std::path::absolute(record).ok()?;
        absolute
            .ancestors()
            .skip(1)
            .find(|dir| dir.join("site.toml").is_file())
            .map(Path::to_path_buf)
    });
    let root: PathBuf = from_record.unwrap_or_else(|| global.root.clone());
    if !root.join("site.toml").is_file() {
        return Ok(SiteConfig::default());
    }
    Ok(Setup::load(&root)?.config)
}

/// Reads an alerting tool's log with `reader`: what it found, the file, and whether
/// the record's moments are to be filled.
fn alert_log(
    args: &AlertLogArgs,
    window: Window,
    reader: fn(&AlertLog) -> Result<Imported, ImportError>,
) -> Result<(Imported, PathBuf, bool), Failure> {
    let bytes = read(&args.log)?;
    let found = reader(&AlertLog {
        path: &args.log,
        bytes: &bytes,
        window,
        notifications: args.notifications,
    })?;
    Ok((found, args.log.clone(), !args.no_fill))
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    Ok(std::fs::read(path).map_err(ImportError::io(path))?)
}

/// `--from` or `--to` as an instant: a date means its start (or, for `--to`, its
/// last second); anything else is read as a record's timestamps are.
fn bound(
    text: Option<&str>,
    end: bool,
    date: Option<Date>,
    tz: &TimeZone,
) -> Result<Option<Timestamp>, Failure> {
    let Some(text) = text else {
        return Ok(None);
    };
    let flag = if end { "--to" } else { "--from" };
    let is_day = text.trim().len() == "YYYY-MM-DD".len();
    if let Some(day) = is_day.then(|| text.trim().parse::<Date>().ok()).flatten() {
        let day = if end {
            day.tomorrow().unwrap_or(day)
        } else {
            day
        };
        let start = day
            .to_zoned(tz.clone())
            .map_err(|e| Failure::Usage(format!("{flag} `{text}`: {e}")))?
            .timestamp();
        let at = if end {
            start - jiff::SignedDuration::from_secs(1)
        } else {
            start
        };
        return Ok(Some(at));
    }
    parse_timestamp(text, date, tz).map(Some).map_err(|why| {
        Failure::Usage(format!(
            "{flag} `{text}`: {why}; write a date, a date and time, or an RFC 3339 timestamp"
        ))
    })
}

fn left_out(imported: &Imported) -> String {
    match imported.left_out {
        0 => String::new(),
        n => format!(" ({n} left out: noise, notifications or outside the window)"),
    }
}

/// Prints the entries as a `timeline:` block on stdout.
fn print(
    global: &GlobalArgs,
    imported: &Imported,
    date: Option<Date>,
    tz: &TimeZone,
) -> Result<Outcome, Failure> {
    let first = imported.entries[0].at.to_zoned(tz.clone()).date();
    let clock = Clock {
        tz: tz.clone(),
        date: date.unwrap_or(first),
    };
    let block = emit::timeline_block(&imported.entries, &clock);
    std::io::stdout()
        .lock()
        .write_all(block.as_bytes())
        .map_err(Failure::io("cannot write the timeline"))?;
    if !global.quiet {
        let n = imported.entries.len();
        crate::core::say!(
            "{n} entr{} for a record dated {}{}",
            if n == 1 { "y" } else { "ies" },
            clock.date,
            left_out(imported)
        );
    }
    Ok(Outcome::Clean)
}

/// Merges into the record and writes it, or says there was nothing new.
fn merge_into(
    global: &GlobalArgs,
    target: &Target,
    imported: &Imported,
    fill: bool,
) -> Result<Outcome, Failure> {
    let merged = target.merge(&imported.entries, &imported.moments, fill)?;
    let path = &target.path;
    if merged.added > 0 || !merged.filled.is_empty() {
        write_beside(path, merged.text.as_bytes())?;
    }
    if !global.quiet {
        let mut said = match merged.added {
            0 => format!(
                "{} already has all {} entries; nothing added",
                path.display(),
                merged.already
            ),
            n => format!(
                "added {n} entr{} to {}{}",
                if n == 1 { "y" } else { "ies" },
                path.display(),
                match merged.already {
                    0 => String::new(),
                    k => format!(" ({k} already there)"),
                }
            ),
        };
        for (key, value) in &merged.filled {
            said.push_str(&format!("\nfilled {key}: {value}"));
        }
        for why in &merged.not_filled {
            said.push_str(&format!("\nnot filled: {why}"));
        }
        crate::core::say!("{said}");
    }
    Ok(Outcome::Clean)
}

/// Replaces the file at `path` with `bytes`: written to a new file beside it (same
/// folder, so the rename cannot cross file systems) with the old file's
/// permissions, flushed, then renamed over it. Any failure removes the new file and
/// leaves the record as it was.
fn write_beside(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = folder.join(format!(".{name}.casebook-import-{}", std::process::id()));
    let permissions = std::fs::metadata(path).map(|m| m.permissions()).ok();
    let written = (|| -> std::io::Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        Failure::io(format!("cannot write {}", path.display()))(e)
    })
}
