//! Stage 2, validate: the checks that need more than one field, or more than one
//! record. One function per check, each returning findings.
//!
//! Per-record checks run in parallel over the records; archive-wide checks (duplicate
//! ids, unknown `related` ids, slug collisions, free pages) run once over the whole
//! archive. Where links lead is checked in [`urls`], free pages in [`pages`].

pub mod mentions;
pub mod pages;
pub mod urls;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use aho_corasick::{AhoCorasick, MatchKind};
use jiff::civil::Date;
use pulldown_cmark::{Event, HeadingLevel, Tag, TagEnd};
use rayon::prelude::*;

use crate::core::config::SiteConfig;
use crate::core::diag::{Diagnostic, Span};
use crate::core::markdown;
use crate::core::model::{Archive, Record, Review};
use crate::core::paths::slug;
use crate::core::rules::Rule;
use urls::Disk;

/// Wording that assigns blame; matched case-insensitively on whole words outside code.
pub const BLAME_PHRASES: &[&str] = &[
    "human error",
    "careless",
    "carelessness",
    "negligent",
    "negligence",
    "should have known",
    "incompetent",
    "incompetence",
    "stupid",
    "lazy",
    "sloppy",
    "reckless",
    "his fault",
    "her fault",
    "their fault",
    "was to blame",
    "is to blame",
];

/// Runs every check over a loaded archive. `today` decides what is overdue.
pub fn validate(archive: &Archive, today: Date) -> Vec<Diagnostic> {
    validate_with(archive, today, &CheckMemo::once())
}

/// [`validate`], each record's own findings taken from `memo` where they cannot
/// have changed, and kept in it for the next run.
pub fn validate_with(archive: &Archive, today: Date, memo: &CheckMemo) -> Vec<Diagnostic> {
    let config = &archive.config;
    let config_key = memo.config_key(config);
    let mut diags: Vec<Diagnostic> = archive
        .records
        .par_iter()
        .flat_map_iter(|record| memo.record(record, config, config_key, &archive.root, today))
        .collect();
    diags.extend(duplicate_ids(&archive.records));
    diags.extend(unknown_related(&archive.records));
    diags.extend(slug_collisions(&archive.records, |r| &r.tags, "tag"));
    diags.extend(slug_collisions(
        &archive.records,
        |r| &r.services,
        "service",
    ));
    diags.extend(pages::check_pages(&archive.pages, &archive.root));
    diags
}

/// Each record's own findings, kept between runs of [`validate_with`]: `casebook
/// serve` checks the archive again on every change, and most records did not change.
///
/// A record's findings are a function of the record, site.toml, today, and where
/// its links' targets resolve on disk. They are kept with the record's [`Source`]
/// (`load`'s memo hands out the same `Arc` for as long as the record file's bytes and
/// site.toml stay the same, and the memo holds it, so the pointer is not reused),
/// a fingerprint of site.toml's values, today, and every target the check
/// resolved with the answer. To reuse them, each target is resolved again; any
/// other answer, or any other key, checks the record anew.
///
/// [`Source`]: crate::core::diag::Source
pub struct CheckMemo {
    /// Findings by record file; `None` for a one-off check, which keeps nothing.
    kept: Option<Mutex<HashMap<PathBuf, KeptChecks>>>,
    /// Records checked anew since the last [`CheckMemo::take_checked`], for `--timings`.
    checked: AtomicUsize,
    /// Each record's unknown mentions.
    pub mentions: mentions::MentionMemo,
}

/// One record's findings and what they were made from.
struct KeptChecks {
    source: Arc<crate::core::diag::Source>,
    config: u64,
    today: Date,
    resolved: Vec<urls::Resolved>,
    findings: Vec<Diagnostic>,
}

impl CheckMemo {
    /// The memo of a one-off check: it keeps nothing.
    pub fn once() -> CheckMemo {
        CheckMemo {
            kept: None,
            checked: AtomicUsize::new(0),
            mentions: mentions::MentionMemo::once(),
        }
    }

    /// A memo that keeps every record's findings for the next run.
    pub fn kept() -> CheckMemo {
        CheckMemo {
            kept: Some(Mutex::new(HashMap::new())),
            checked: AtomicUsize::new(0),
            mentions: mentions::MentionMemo::kept(),
        }
    }

    /// How many records were checked anew, not taken from the memo, since the
    /// last call.
    pub fn take_checked(&self) -> usize {
        self.checked.swap(0, Ordering::Relaxed)
    }

    /// A fingerprint of every value of site.toml, part of each kept record's key
    /// (0 for a one-off check, which needs none).
    fn config_key(&self, config: &SiteConfig) -> u64 {
        if self.kept.is_none() {
            return 0;
        }
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        format!("{config:?}").hash(&mut hasher);
        hasher.finish()
    }

    /// `record`'s own findings: the kept ones when nothing they depend on changed.
    /// `config_key` is [`CheckMemo::config_key`]'s.
    fn record(
        &self,
        record: &Record,
        config: &SiteConfig,
        config_key: u64,
        root: &Path,
        today: Date,
    ) -> Vec<Diagnostic> {
        let Some(kept) = &self.kept else {
            self.checked.fetch_add(1, Ordering::Relaxed);
            return check_record(record, config, &Disk::new(root), today);
        };
        let lock = || kept.lock().unwrap_or_else(PoisonError::into_inner);
        let reusable = lock().get(&record.path).and_then(|k| {
            (Arc::ptr_eq(&k.source, &record.source) && k.config == config_key && k.today == today)
                .then(|| (k.resolved.clone(), k.findings.clone()))
        });
        if let Some((resolved, findings)) = reusable {
            let disk = Disk::new(root);
            if resolved
                .iter()
                .all(|(path, answer)| disk.resolve(path) == *answer)
            {
                return findings;
            }
        }
        self.checked.fetch_add(1, Ordering::Relaxed);
        let disk = Disk::noting(root);
        let findings = check_record(record, config, &disk, today);
        lock().insert(
            record.path.clone(),
            KeptChecks {
                source: Arc::clone(&record.source),
                config: config_key,
                today,
                resolved: disk.answers(),
                findings: findings.clone(),
            },
        );
        findings
    }
}

fn check_record(record: &Record, config: &SiteConfig, disk: &Disk, today: Date) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    timestamp_order(record, &mut diags);
    missing_resolved(record, &mut diags);
    timeline_order(record, &mut diags);
    self_related(record, &mut diags);
    action_items(record, today, &mut diags);
    urls::front_matter_urls(record, &mut diags);
    let folder = record.bundle.clone().unwrap_or_else(|| {
        record
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    });
    urls::timeline_links(record, disk, &folder, &mut diags);
    body_checks(record, config, disk, &folder, &mut diags);
    diags
}

/// detected, acknowledged, mitigated and resolved may not precede started;
/// resolved may precede neither detected nor mitigated. The finding points at the
/// later key.
fn timestamp_order(record: &Record, diags: &mut Vec<Diagnostic>) {
    let m = &record.moments;
    let mut check = |earlier: &Option<crate::core::diag::Spanned<jiff::Timestamp>>,
                     earlier_name: &str,
                     later: &Option<crate::core::diag::Spanned<jiff::Timestamp>>,
                     later_name: &str| {
        if let (Some(a), Some(b)) = (earlier, later) {
            if b.value < a.value {
                diags.push(
                    Diagnostic::new(
                        Rule::TimestampOrder,
                        format!(
                            "`{later_name}` ({}) is before `{earlier_name}` ({})",
                            b.value, a.value
                        ),
                    )
                    .at(&record.source, b.span)
                    .note(
                        &record.source,
                        a.span,
                        format!("`{earlier_name}` is set here"),
                    ),
                );
            }
        }
    };
    for (value, name) in [
        (&m.detected, "detected"),
        (&m.acknowledged, "acknowledged"),
        (&m.mitigated, "mitigated"),
        (&m.resolved, "resolved"),
    ] {
        check(&m.started, "started", value, name);
    }
    check(&m.detected, "detected", &m.resolved, "resolved");
    check(&m.mitigated, "mitigated", &m.resolved, "resolved");
}

/// The status that says an incident is over, and so needs its end time.
const RESOLVED: &str = "resolved";

/// A record with `status: resolved` needs a `resolved` timestamp (the spec's rule).
/// Other statuses a site adds, even after `resolved` (`closed` for incidents whose
/// end nobody recorded), carry no such demand.
fn missing_resolved(record: &Record, diags: &mut Vec<Diagnostic>) {
    if record.status.as_str() == RESOLVED && record.moments.resolved.is_none() {
        diags.push(
            Diagnostic::new(
                Rule::MissingResolved,
                format!("status is `{RESOLVED}` but there is no `resolved` timestamp"),
            )
            .at(&record.source, record.status.span)
            .help("add `resolved:` with the time the incident ended"),
        );
    }
}

fn timeline_order(record: &Record, diags: &mut Vec<Diagnostic>) {
    for pair in record.timeline.windows(2) {
        if pair[1].at.value < pair[0].at.value {
            diags.push(
                Diagnostic::new(Rule::TimelineOrder, format!("timeline entry at {} comes after one at {}", pair[1].at.value, pair[0].at.value))
                    .at(&record.source, pair[1].at.span)
                    .help("keep the timeline in time order; a timeline that crosses midnight needs full timestamps"),
            );
        }
    }
}

/// A record that names itself in `related`: most likely a copied id that meant
/// another record. The site links it to no page (a page does not list itself).
fn self_related(record: &Record, diags: &mut Vec<Diagnostic>) {
    for related in record.related.iter().filter(|r| r.value == record.id.value) {
        diags.push(
            Diagnostic::new(
                Rule::SelfRelated,
                format!("`related` names `{}`, this record's own id", related.value),
            )
            .at(&record.source, related.span)
            .note(
                &record.source,
                record.id.span,
                "the record's id is set here",
            )
            .help("name another record's id, or remove this one"),
        );
    }
}

/// Overdue items, open items without owner or due date, and duplicate item ids.
fn action_items(record: &Record, today: Date, diags: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for item in &record.action_items {
        if let Some(id) = &item.id {
            if let Some(first) = seen.insert(id.as_str(), id.span) {
                diags.push(
                    Diagnostic::new(
                        Rule::DuplicateActionId,
                        format!("action item id `{}` is used twice in this record", id.value),
                    )
                    .at(&record.source, id.span)
                    .note(&record.source, first, "first used here"),
                );
            }
        }
        if !item.status.is_open() {
            continue;
        }
        let name = item.id.as_ref().map_or_else(
            || format!("\"{}\"", item.title.value),
            |id| format!("`{}`", id.value),
        );
        if let Some(due) = &item.due {
            if due.value < today {
                let days = (today - due.value).get_days();
                let plural = if days == 1 { "" } else { "s" };
                diags.push(
                    Diagnostic::new(
                        Rule::OverdueActionItem,
                        format!(
                            "action item {name} is overdue: due {}, {days} day{plural} ago",
                            due.value
                        ),
                    )
                    .at(&record.source, due.span)
                    .help("finish it, move its due date, or set its status to `wont-do`"),
                );
            }
        }
        let mut missing = Vec::new();
        let mut keys = Vec::new();
        if item.owner.is_none() {
            missing.push("owner");
            keys.push("`owner:` (who sees it through)");
        }
        if item.due.is_none() {
            missing.push("due date");
            keys.push("`due: YYYY-MM-DD`");
        }
        if !missing.is_empty() {
            diags.push(
                Diagnostic::new(
                    Rule::IncompleteActionItem,
                    format!(
                        "open action item {name} has no {}",
                        missing.join(" and no ")
                    ),
                )
                .at(&record.source, item.title.span)
                .help(format!("add {} to the item", keys.join(" and "))),
            );
        }
    }
}

/// Checks that read the Markdown body: required sections, blame wording, where links
/// lead (against the record's `folder`).
fn body_checks(
    record: &Record,
    config: &SiteConfig,
    disk: &Disk,
    folder: &Path,
    diags: &mut Vec<Diagnostic>,
) {
    let mut headings: Vec<String> = Vec::new();
    let mut heading: Option<String> = None;
    let mut in_code = 0usize;
    let blame = config.level(Rule::BlameLanguage).is_some();
    for (event, range) in markdown::parser(record.body()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) if level <= HeadingLevel::H3 => {
                heading = Some(String::new())
            }
            Event::End(TagEnd::Heading(_)) => headings.extend(heading.take()),
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code = in_code.saturating_sub(1),
            Event::Text(text) if in_code == 0 => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&text);
                }
                if blame {
                    blame_words(record, &text, range.start, diags);
                }
            }
            Event::Code(text) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&text);
                }
            }
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => {
                diags.extend(urls::link_target(
                    &record.source,
                    disk,
                    folder,
                    &dest_url,
                    record.body_span(range),
                ));
            }
            _ => {}
        }
    }
    if *record.review == Review::Approved {
        for section in &config.required_sections {
            if !headings
                .iter()
                .any(|h| h.trim().eq_ignore_ascii_case(section))
            {
                diags.push(
                    Diagnostic::new(
                        Rule::MissingSection,
                        format!("approved record has no `{section}` section"),
                    )
                    .at(&record.source, record.review.span)
                    .help(format!(
                        "add a `## {section}` heading, or set `review` back to `in-review`"
                    )),
                );
            }
        }
    }
}

/// One automaton for every phrase, built once: a single pass per text, no lowercasing.
fn blame_matcher() -> &'static AhoCorasick {
    static MATCHER: OnceLock<AhoCorasick> = OnceLock::new();
    MATCHER.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(BLAME_PHRASES)
            .unwrap_or_else(|_| unreachable!("the phrase list is a valid pattern set"))
    })
}

/// Blame phrases in one text event; `offset` is where the text starts in the body.
fn blame_words(record: &Record, text: &str, offset: usize, diags: &mut Vec<Diagnostic>) {
    for found in blame_matcher().find_iter(text) {
        if is_word_at(text, found.start(), found.len()) {
            let phrase = BLAME_PHRASES[found.pattern().as_usize()];
            diags.push(blame_finding(
                record,
                phrase,
                record.body_span(offset + found.start()..offset + found.end()),
            ));
        }
    }
}

fn blame_finding(record: &Record, phrase: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Rule::BlameLanguage,
        format!("blame-laden wording: `{phrase}`"),
    )
    .at(&record.source, span)
    .help("describe what the system allowed to happen, not who is at fault")
}

fn is_word_at(text: &str, at: usize, len: usize) -> bool {
    let before = text[..at].chars().next_back();
    let after = text[at + len..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// Two records with one id, or ids that differ only in letter case.
fn duplicate_ids(records: &[Record]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut by_lower: HashMap<String, &Record> = HashMap::new();
    let mut ordered: Vec<&Record> = records.iter().collect();
    ordered.sort_by(|a, b| a.path.cmp(&b.path));
    for record in ordered {
        let key = record.id.to_lowercase();
        match by_lower.get(&key) {
            Some(first) => {
                let message = if first.id.value == record.id.value {
                    format!(
                        "id `{}` is also used by {}",
                        record.id.value,
                        crate::core::diag::display_path(&first.path)
                    )
                } else {
                    format!(
                        "id `{}` differs only in letter case from `{}` in {}",
                        record.id.value,
                        first.id.value,
                        crate::core::diag::display_path(&first.path)
                    )
                };
                diags.push(
                    Diagnostic::new(Rule::DuplicateId, message)
                        .at(&record.source, record.id.span)
                        .note(&first.source, first.id.span, "first used here"),
                );
            }
            None => {
                by_lower.insert(key, record);
            }
        }
    }
    diags
}

fn unknown_related(records: &[Record]) -> Vec<Diagnostic> {
    let ids: std::collections::HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let mut sorted_ids: Vec<&str> = ids.iter().copied().collect();
    sorted_ids.sort_unstable();
    let mut diags = Vec::new();
    for record in records {
        for related in &record.related {
            if !ids.contains(related.as_str()) {
                diags.push(
                    Diagnostic::new(
                        Rule::UnknownRelated,
                        format!(
                            "`related` names `{}`, but no record has that id",
                            related.value
                        ),
                    )
                    .at(&record.source, related.span)
                    .suggest(
                        related,
                        sorted_ids
                            .iter()
                            .copied()
                            .filter(|id| *id != record.id.value),
                    ),
                );
            }
        }
    }
    diags
}

fn slug_collisions(
    records: &[Record],
    field: impl Fn(&Record) -> &Vec<crate::core::diag::Spanned<String>>,
    what: &str,
) -> Vec<Diagnostic> {
    let mut first_name: BTreeMap<String, (&str, &Record, Span)> = BTreeMap::new();
    let mut diags = Vec::new();
    for record in records.iter().rev() {
        for name in field(record) {
            let s = slug(name);
            if s.is_empty() {
                diags.push(
                    Diagnostic::new(
                        Rule::InvalidValue,
                        format!(
                            "{what} `{}` has no letters or digits for its page's URL",
                            name.value
                        ),
                    )
                    .at(&record.source, name.span),
                );
                continue;
            }
            match first_name.get(&s) {
                Some((other, first, span)) if *other != name.as_str() => diags.push(
                    Diagnostic::new(
                        Rule::SlugCollision,
                        format!(
                            "{what} `{}` and {what} `{other}` ({}) both become the URL `{s}`",
                            name.value,
                            if first.path == record.path {
                                "in this record".to_string()
                            } else {
                                format!("in {}", crate::core::diag::display_path(&first.path))
                            }
                        ),
                    )
                    .at(&record.source, name.span)
                    .note(&first.source, *span, format!("`{other}` is used here"))
                    .help(format!("write `{other}` here too, or rename one of them")),
                ),
                Some(_) => {}
                None => {
                    first_name.insert(s, (name.as_str(), record, name.span));
                }
            }
        }
    }
    diags
}

/// Applies site.toml's `[rules]`: changes levels and drops rules that are off.
pub fn apply_levels(diags: Vec<Diagnostic>, config: &SiteConfig) -> Vec<Diagnostic> {
    diags
        .into_iter()
        .filter_map(|mut d| {
            d.level = config.level(d.rule)?;
            Some(d)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An archive of one record that links to `diagram.png` and has an item due on
    /// 2024-06-01.
    fn archive(dir: &Path) -> Archive {
        std::fs::create_dir_all(dir.join("content/incidents")).expect("folders");
        std::fs::write(dir.join("site.toml"), "title = \"T\"\n").expect("site.toml");
        std::fs::write(
            dir.join("content/incidents/a.md"),
            "---\nid: INC-1\ntitle: T\ndate: 2024-05-01\nseverity: SEV2\nstatus: resolved\n\
             action_items:\n  - title: Fix it\n    due: 2024-06-01\n---\n\n![d](diagram.png)\n",
        )
        .expect("record");
        let (config, _) = SiteConfig::load(dir).expect("config");
        crate::load::load(dir, config).0
    }

    fn messages(findings: &[Diagnostic]) -> Vec<String> {
        let mut messages: Vec<String> = findings.iter().map(|d| d.message.clone()).collect();
        messages.sort();
        messages
    }

    #[test]
    fn kept_findings_are_reused_only_while_their_inputs_are_the_same() {
        let dir = tempfile::tempdir().expect("temp dir");
        let archive = archive(dir.path());
        let memo = CheckMemo::kept();
        let june = Date::constant(2024, 6, 10);
        let fresh = |today| messages(&validate(&archive, today));
        let kept = |today| messages(&validate_with(&archive, today, &memo));

        assert_eq!(kept(june), fresh(june));
        assert_eq!(memo.take_checked(), 1);
        assert_eq!(kept(june), fresh(june));
        assert_eq!(memo.take_checked(), 0, "nothing changed: reused");

        // The link's target appears: the disk gives another answer.
        std::fs::write(archive.root.join("content/incidents/diagram.png"), b"png").expect("png");
        assert_eq!(kept(june), fresh(june));
        assert_eq!(memo.take_checked(), 1);
        assert!(!kept(june).iter().any(|m| m.contains("diagram.png")));

        // Another day: the item is overdue by another number of days.
        let july = Date::constant(2024, 7, 10);
        assert_eq!(kept(july), fresh(july));
        assert_eq!(memo.take_checked(), 1);

        // The same text decoded again is another record to the memo.
        let again = crate::load::load(dir.path(), archive.config.clone()).0;
        validate_with(&again, july, &memo);
        assert_eq!(memo.take_checked(), 1);
    }

    #[test]
    fn whole_words_only() {
        assert!(is_word_at("a lazy dog", 2, 4));
        assert!(!is_word_at("lazyload", 0, 4));
    }
}
