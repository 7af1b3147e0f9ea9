//! The machine outputs: `feed.xml` (Atom), `sitemap.xml`, `incidents.json`,
//! `action-items.csv`, and the `404.html` page.
//!
//! The feed and sitemap are Tera templates of the theme (so a theme can change
//! them) and carry absolute URLs built from the base URL. `incidents.json` follows
//! the schema in docs/incidents-json.md; its [`JSON_VERSION`] changes whenever a
//! field changes meaning or goes away. The CSV follows RFC 4180 and defuses
//! spreadsheet formulas.

use jiff::Timestamp;
use rayon::prelude::*;
use serde::Serialize;

use super::view::{action_item_views, visibility_name, ActionItemView, GitView};
use super::{error_chain, RenderContext, RenderError};
use crate::analysis::insights::Insights;
use crate::analysis::metrics::Figures;
use crate::core::model::Record;
use crate::core::paths::record_url;
use crate::render::sink::{OutputFile, Sink};

/// The version of the `incidents.json` schema.
pub const JSON_VERSION: u32 = 1;
/// Room for one incident's JSON in `incidents.json`, enough for most records, so
/// that its buffer rarely grows.
const INCIDENT_BYTES: usize = 8 * 1024;
/// How many of the newest incidents the feed carries.
pub const FEED_ENTRIES: usize = 50;

/// Renders every machine output into `sink`.
pub(super) fn render(site: &RenderContext<'_>, sink: &dyn Sink) -> Result<(), RenderError> {
    sink.put(feed(site)?)?;
    sink.put(sitemap(site)?)?;
    sink.put(json(site)?)?;
    sink.put(csv(site))?;
    sink.put(site.page("404.html", "404.html".into(), |c| {
        c.insert("root", &site_root(site));
    })?)?;
    Ok(())
}

/// The root for pages served at any depth: the base URL's path.
fn site_root(site: &RenderContext<'_>) -> String {
    crate::core::paths::base_path(&site.options.base_url)
}

/// One entry of the Atom feed.
#[derive(Serialize)]
struct FeedEntry<'a> {
    id: &'a str,
    title: &'a str,
    url: String,
    updated: String,
    published: String,
    summary: Option<&'a str>,
    severity: &'a str,
    status: &'a str,
    services: Vec<&'a str>,
    /// "Draft" or "In review" for a record that is not approved yet.
    review_label: Option<&'static str>,
}

/// When a record last changed, as far as its data says: its latest timestamp, or
/// the start of its day.
fn updated(record: &Record, tz: &jiff::tz::TimeZone) -> Timestamp {
    let m = &record.moments;
    let day = record
        .date
        .to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    [
        &m.started,
        &m.detected,
        &m.acknowledged,
        &m.mitigated,
        &m.resolved,
    ]
    .into_iter()
    .flatten()
    .map(|t| t.value)
    .chain(record.timeline.iter().map(|e| e.at.value))
    .fold(day, Timestamp::max)
}

fn feed(site: &RenderContext<'_>) -> Result<OutputFile, RenderError> {
    let tz = &site.config.timezone;
    let base = &site.options.base_url;
    let entries: Vec<FeedEntry> = site
        .selection
        .records
        .iter()
        .take(FEED_ENTRIES)
        .map(|r| FeedEntry {
            id: &r.id,
            title: &r.title,
            url: format!("{base}{}", record_url(&r.id)),
            updated: updated(r, tz).to_string(),
            published: r
                .date
                .to_zoned(tz.clone())
                .map(|z| z.timestamp().to_string())
                .unwrap_or_default(),
            summary: r.summary.as_ref().map(|s| s.as_str()),
            severity: &r.severity,
            status: &r.status,
            services: r.services.iter().map(|s| s.as_str()).collect(),
            review_label: r.review.label(),
        })
        .collect();
    let feed_updated = entries
        .iter()
        .map(|e| e.updated.as_str())
        .max()
        .unwrap_or("1970-01-01T00:00:00Z")
        .to_string();
    site.page("feed.xml", "feed.xml".into(), |c| {
        c.insert("entries", &entries);
        c.insert("updated", &feed_updated);
    })
}

fn sitemap(site: &RenderContext<'_>) -> Result<OutputFile, RenderError> {
    let base = &site.options.base_url;
    let mut urls: Vec<String> = vec![
        base.to_string(),
        format!("{base}incidents/"),
        format!("{base}actions/"),
        format!("{base}insights/"),
    ];
    urls.extend(
        site.selection
            .records
            .iter()
            .map(|r| format!("{base}{}", record_url(&r.id))),
    );
    urls.extend(
        site.archive
            .pages
            .iter()
            .map(|p| format!("{base}{}/", crate::core::paths::slug(&p.slug))),
    );
    site.page("sitemap.xml", "sitemap.xml".into(), |c| {
        c.insert("urls", &urls);
    })
}

/// The head of `incidents.json`; the `incidents` array follows, one incident per
/// line (serialized in parallel, and easy to grep and diff).
#[derive(Serialize)]
struct Export<'a> {
    version: u32,
    title: &'a str,
    base_url: &'a str,
    profile: &'static str,
    today: String,
    /// The insight figures of the exported incidents (docs/insights.md): the same
    /// object `casebook stats --format json` prints for the same flags.
    insights: &'a Insights,
}

fn json_error(e: serde_json::Error) -> RenderError {
    RenderError::Template {
        template: "incidents.json".into(),
        path: "incidents.json".into(),
        message: error_chain(&e),
    }
}

/// One record in `incidents.json`.
#[derive(Serialize)]
struct IncidentExport<'a> {
    id: &'a str,
    title: &'a str,
    url: String,
    source_path: String,
    date: String,
    severity: &'a str,
    status: &'a str,
    review: &'static str,
    visibility: &'static str,
    summary: Option<&'a str>,
    started: Option<String>,
    detected: Option<String>,
    acknowledged: Option<String>,
    mitigated: Option<String>,
    resolved: Option<String>,
    services: Vec<&'a str>,
    tags: Vec<&'a str>,
    commander: Option<&'a str>,
    authors: &'a [String],
    impact: &'a crate::core::model::Impact,
    figures: &'a Figures,
    timeline: Vec<EventExport<'a>>,
    action_items: Vec<ActionItemView<'a>>,
    /// The records this one names in `related:` that are in this build.
    related: Vec<&'a str>,
    /// The records in this build whose ids its text mentions, in order of mention.
    mentions: Vec<&'a str>,
    /// The records in this build that name or mention this one, newest first.
    backlinks: Vec<&'a str>,
    /// Its similar incidents in this build, best first.
    similar: Vec<SimilarExport<'a>>,
    links: Vec<LinkExport<'a>>,
    extra: &'a serde_json::Value,
    /// What git says about the record (docs/history.md); absent outside a repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    git: Option<&'a GitView>,
}

/// One similar incident in `incidents.json`.
#[derive(Serialize)]
struct SimilarExport<'a> {
    id: &'a str,
    /// The combined score in `0..=1`, rounded to four decimals (docs/similar.md).
    score: f64,
    /// The text part of the score (cosine similarity), rounded likewise.
    text_score: f64,
    reason: String,
    services: &'a [String],
    tags: &'a [String],
    terms: &'a [String],
}

/// A score rounded to four decimals, so the file stays readable and stable.
fn rounded(score: f64) -> f64 {
    (score * 10_000.0).round() / 10_000.0
}

#[derive(Serialize)]
struct EventExport<'a> {
    at: String,
    event: &'a str,
    source: Option<&'a str>,
    actor: Option<&'a str>,
    kind: Option<&'a str>,
}

#[derive(Serialize)]
struct LinkExport<'a> {
    title: &'a str,
    url: Option<&'a str>,
}

fn json(site: &RenderContext<'_>) -> Result<OutputFile, RenderError> {
    let base = &site.options.base_url;
    let ids = |list: &[usize]| -> Vec<&str> {
        list.iter()
            .map(|&j| site.selection.records[j].id.as_str())
            .collect()
    };
    let stamp =
        |t: &Option<crate::core::diag::Spanned<Timestamp>>| t.as_ref().map(|t| t.value.to_string());
    let incidents = site
        .selection
        .records
        .par_iter()
        .enumerate()
        .map(|(i, r)| {
            let incident = IncidentExport {
                id: &r.id,
                title: &r.title,
                url: format!("{base}{}", record_url(&r.id)),
                source_path: crate::core::paths::slash_path(&r.path),
                date: r.date.to_string(),
                severity: &r.severity,
                status: &r.status,
                review: r.review.as_str(),
                visibility: visibility_name(r.visibility),
                summary: r.summary.as_ref().map(|s| s.as_str()),
                started: stamp(&r.moments.started),
                detected: stamp(&r.moments.detected),
                acknowledged: stamp(&r.moments.acknowledged),
                mitigated: stamp(&r.moments.mitigated),
                resolved: stamp(&r.moments.resolved),
                services: r.services.iter().map(|s| s.as_str()).collect(),
                tags: r.tags.iter().map(|s| s.as_str()).collect(),
                commander: r.commander.as_deref(),
                authors: &r.authors,
                impact: &r.impact,
                figures: &site.figures[i],
                timeline: r
                    .timeline
                    .iter()
                    .map(|e| EventExport {
                        at: e.at.value.to_string(),
                        event: &e.event,
                        source: e.source.as_deref(),
                        actor: e.actor.as_deref(),
                        kind: e.kind.as_deref(),
                    })
                    .collect(),
                action_items: action_item_views(
                    r,
                    &site.figures[i],
                    site.record_history(r),
                    &site.config.timezone,
                ),
                related: ids(&site.links.links[i].related),
                mentions: ids(&site.links.links[i].mentions),
                backlinks: site.links.links[i]
                    .backlinks
                    .iter()
                    .map(|b| site.selection.records[b.from].id.as_str())
                    .collect(),
                similar: site.links.links[i]
                    .similar
                    .iter()
                    .map(|m| SimilarExport {
                        id: &site.selection.records[m.index].id,
                        score: rounded(m.score),
                        text_score: rounded(m.text),
                        reason: m.reason(),
                        services: &m.services,
                        tags: &m.tags,
                        terms: &m.terms,
                    })
                    .collect(),
                links: r
                    .links
                    .iter()
                    .map(|l| LinkExport {
                        title: &l.title,
                        url: crate::core::paths::is_safe_url(&l.url).then_some(l.url.as_str()),
                    })
                    .collect(),
                extra: &r.extra,
                git: site.git[i].as_ref(),
            };
            // Each incident's bytes begin with what separates it from the one before.
            let mut bytes = Vec::with_capacity(INCIDENT_BYTES);
            bytes.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
            serde_json::to_writer(&mut bytes, &incident).map(|()| bytes)
        })
        .collect::<Result<Vec<Vec<u8>>, _>>()
        .map_err(json_error)?;
    let head = serde_json::to_vec(&Export {
        version: JSON_VERSION,
        title: &site.config.title,
        base_url: base,
        profile: site.options.profile.as_str(),
        today: site.options.today.to_string(),
        insights: &site.insights,
    })
    .map_err(json_error)?;
    let mut opening = head;
    opening.pop();
    opening.extend_from_slice(b",\"incidents\":[");
    let mut parts = Vec::with_capacity(incidents.len() + 2);
    parts.push(opening);
    parts.extend(incidents);
    parts.push(b"\n]}\n".to_vec());
    Ok(OutputFile::parts("incidents.json", parts))
}

/// The columns of every action-item CSV casebook writes: the site's
/// `action-items.csv` and `casebook actions --format csv`. The site's file is a
/// published contract, so the columns are declared once, here, and
/// [`push_action_item_row`] fills them in this order.
pub const ACTION_ITEM_COLUMNS: &[&str] = &[
    "record_id",
    "record_title",
    "record_date",
    "severity",
    "item_id",
    "title",
    "owner",
    "priority",
    "due",
    "status",
    "state",
    "kind",
    "link",
    "url",
];

/// Appends the header line of an action-item CSV ([`ACTION_ITEM_COLUMNS`]).
pub fn push_action_item_header(out: &mut String) {
    push_csv_row(out, ACTION_ITEM_COLUMNS.iter().copied());
}

/// Appends one action item's row, in [`ACTION_ITEM_COLUMNS`] order: the item of
/// `record` as `item` shows it, and `url`, the record page's absolute address.
pub fn push_action_item_row(
    out: &mut String,
    record: &Record,
    item: &ActionItemView<'_>,
    url: &str,
) {
    let date = record.date.to_string();
    push_csv_row(
        out,
        [
            record.id.as_str(),
            record.title.as_str(),
            &date,
            &record.severity,
            item.id.unwrap_or(""),
            item.title,
            item.owner.unwrap_or(""),
            item.priority.unwrap_or(""),
            item.due.as_deref().unwrap_or(""),
            item.status,
            item.state,
            item.kind.unwrap_or(""),
            item.link.unwrap_or(""),
            url,
        ],
    );
}

fn csv(site: &RenderContext<'_>) -> OutputFile {
    let base = &site.options.base_url;
    let mut header = String::new();
    push_action_item_header(&mut header);
    let rows = site
        .selection
        .records
        .par_iter()
        .zip(site.figures)
        .map(|(r, figures)| {
            let mut out = String::new();
            if r.action_items.is_empty() {
                return out.into_bytes();
            }
            let url = format!("{base}{}", record_url(&r.id));
            for view in action_item_views(r, figures, None, &site.config.timezone) {
                push_action_item_row(&mut out, r, &view, &url);
            }
            out.into_bytes()
        });
    let parts = std::iter::once(header.into_bytes())
        .chain(rows.collect::<Vec<_>>())
        .collect();
    OutputFile::parts("action-items.csv", parts)
}

/// Appends one CSV row (RFC 4180: CRLF line ends, fields with `,`, `"`, CR or LF
/// quoted, quotes doubled). A field that a spreadsheet would read as a formula
/// (starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`. Every CSV that
/// casebook writes (`action-items.csv`, `casebook actions --format csv`) uses this.
pub fn push_csv_row<'a>(out: &mut String, fields: impl IntoIterator<Item = &'a str>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let defused;
        let field = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            defused = format!("'{field}");
            defused.as_str()
        } else {
            field
        };
        if field.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses() {
        let mut out = String::new();
        push_csv_row(
            &mut out,
            [
                "a,b",
                "say \"hi\"",
                "=1+1",
                "-x",
                "@SUM(A1)",
                "two\nlines",
                "plain",
            ],
        );
        assert_eq!(
            out,
            "\"a,b\",\"say \"\"hi\"\"\",'=1+1,'-x,'@SUM(A1),\"two\nlines\",plain\r\n"
        );
    }
}
