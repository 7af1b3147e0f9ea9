//! site.toml: the archive's configuration, read with positions so that a bad key or
//! value is a finding with its line and column, like a mistake in a record.
//!
//! The spec's keys (title, base_url, timezone, severities, ...) come first; the keys
//! casebook adds (output_dir, theme, trusted_html, repository_url, `[similar]`) are
//! documented in docs/configuration.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::tz::TimeZone;
use toml_edit::{Item, TableLike, Value};

use crate::core::diag::{one_of, Diagnostic, Level, Source, Span};
use crate::core::model::Visibility;
use crate::core::rules::Rule;

/// The configuration file's name at the archive root.
pub const FILE_NAME: &str = "site.toml";

/// One severity level, most severe first in [`SiteConfig::severities`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Severity {
    pub name: String,
    pub description: String,
    pub color: Option<String>,
}

/// One entry of the optional services catalog.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Service {
    pub description: String,
    pub owner: Option<String>,
}

/// How similar incidents are ranked (docs/similar.md explains the score).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SimilarConfig {
    pub enabled: bool,
    /// How many similar incidents a record shows.
    pub count: usize,
    pub text_weight: f64,
    pub services_weight: f64,
    pub tags_weight: f64,
    pub severity_weight: f64,
}

impl Default for SimilarConfig {
    fn default() -> Self {
        SimilarConfig {
            enabled: true,
            count: 5,
            text_weight: 1.0,
            services_weight: 0.3,
            tags_weight: 0.2,
            severity_weight: 0.05,
        }
    }
}

/// The whole configuration, with every default filled in.
#[derive(Clone, Debug)]
pub struct SiteConfig {
    pub title: String,
    pub base_url: String,
    pub timezone_name: String,
    pub timezone: TimeZone,
    pub currency: String,
    pub default_visibility: Visibility,
    pub priorities: Vec<String>,
    pub statuses: Vec<String>,
    pub required_sections: Vec<String>,
    pub severities: Vec<Severity>,
    pub services: Option<BTreeMap<String, Service>>,
    /// Per-rule level; `None` turns the rule off.
    pub rules: BTreeMap<crate::core::rules::Rule, Option<Level>>,
    pub output_dir: PathBuf,
    pub theme: String,
    pub trusted_html: bool,
    pub repository_url: Option<String>,
    /// The branch forge links name; the branch `HEAD` is on when unset.
    pub repository_branch: Option<String>,
    /// The forge's URL layout (`github`, `gitlab`, `gitea`, `forgejo`); guessed from
    /// `repository_url`'s host when unset.
    pub repository_forge: Option<String>,
    /// Patterns for a record's editor and history (`{repository}`, `{branch}`,
    /// `{path}`), for forges whose layout casebook does not know.
    pub edit_url: Option<String>,
    pub history_url: Option<String>,
    /// Commits left out of "last changed" and people (git's `blame.ignoreRevsFile`
    /// format), relative to the archive root.
    pub ignore_revs_file: Option<PathBuf>,
    pub similar: SimilarConfig,
}

impl Default for SiteConfig {
    fn default() -> Self {
        let severity = |name: &str, description: &str| Severity {
            name: name.into(),
            description: description.into(),
            color: None,
        };
        SiteConfig {
            title: "Incident archive".into(),
            base_url: "/".into(),
            timezone_name: "UTC".into(),
            timezone: TimeZone::UTC,
            currency: "USD".into(),
            default_visibility: Visibility::Internal,
            priorities: strings(&["P0", "P1", "P2", "P3"]),
            statuses: strings(&["investigating", "identified", "monitoring", "resolved"]),
            required_sections: Vec::new(),
            severities: vec![
                severity("SEV1", "Critical"),
                severity("SEV2", "Major"),
                severity("SEV3", "Minor"),
                severity("SEV4", "Low"),
            ],
            services: None,
            rules: BTreeMap::new(),
            output_dir: PathBuf::from("public"),
            theme: "default".into(),
            trusted_html: false,
            repository_url: None,
            repository_branch: None,
            repository_forge: None,
            edit_url: None,
            history_url: None,
            ignore_revs_file: None,
            similar: SimilarConfig::default(),
        }
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| s.to_string()).collect()
}

const TOP_KEYS: &[&str] = &[
    "title",
    "base_url",
    "timezone",
    "currency",
    "default_visibility",
    "priorities",
    "statuses",
    "required_sections",
    "severities",
    "services",
    "rules",
    "output_dir",
    "theme",
    "trusted_html",
    "repository_url",
    "repository_branch",
    "repository_forge",
    "edit_url",
    "history_url",
    "ignore_revs_file",
    "similar",
];

const SIMILAR_KEYS: &[&str] = &[
    "enabled",
    "count",
    "text_weight",
    "services_weight",
    "tags_weight",
    "severity_weight",
];

impl SiteConfig {
    /// The level a rule's findings get, or `None` when site.toml turned it off.
    pub fn level(&self, rule: Rule) -> Option<Level> {
        if rule.is_config() {
            return Some(rule.default_level());
        }
        self.rules
            .get(&rule)
            .copied()
            .unwrap_or(Some(rule.default_level()))
    }

    /// Severity names, most severe first.
    pub fn severity_names(&self) -> Vec<&str> {
        self.severities.iter().map(|s| s.name.as_str()).collect()
    }

    /// Rank of a severity (0 = most severe); unknown ones sort last.
    pub fn severity_rank(&self, name: &str) -> usize {
        self.severities
            .iter()
            .position(|s| s.name == name)
            .unwrap_or(self.severities.len())
    }

    /// Reads `root/site.toml`. Findings come back with the config; any error among them
    /// means the run stops with exit code 2.
    pub fn load(root: &Path) -> Result<(SiteConfig, Vec<Diagnostic>), ConfigError> {
        let path = root.join(FILE_NAME);
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let text = text
            .strip_prefix('\u{feff}')
            .unwrap_or(&text)
            .replace("\r\n", "\n");
        Ok(SiteConfig::parse(Source::new(FILE_NAME, text)))
    }

    /// Parses site.toml text; used by `load` and by tests.
    pub fn parse(source: Arc<Source>) -> (SiteConfig, Vec<Diagnostic>) {
        let mut reader = Reader {
            source: Arc::clone(&source),
            diags: Vec::new(),
        };
        let mut config = SiteConfig::default();
        let doc = match toml_edit::Document::parse(source.text.as_str()) {
            Ok(doc) => doc,
            Err(error) => {
                let span = error
                    .span()
                    .map_or(Span::default(), |r| Span::new(r.start, r.end));
                let message = error.message().trim().to_string();
                reader.diags.push(
                    Diagnostic::new(
                        Rule::ConfigSyntax,
                        format!("site.toml does not parse: {message}"),
                    )
                    .at(&source, span),
                );
                return (config, reader.diags);
            }
        };
        let table = doc.as_table();
        reader.unknown_keys(table, TOP_KEYS, "");
        if let Some(v) = reader.string(table, "title") {
            config.title = v;
        } else if table.get("title").is_none() {
            reader.diags.push(
                Diagnostic::new(Rule::ConfigInvalid, "site.toml has no `title`")
                    .at(&source, Span::new(0, 0))
                    .help("add `title = \"Incident archive\"`"),
            );
        }
        if let Some(v) = reader.string(table, "base_url") {
            match crate::core::paths::base_url(&v) {
                Ok(url) => config.base_url = url,
                Err(reason) => reader.invalid(table, "base_url", format!("`base_url` {reason}")),
            }
        }
        if let Some(v) = reader.string(table, "timezone") {
            match TimeZone::get(&v) {
                Ok(tz) => {
                    config.timezone = tz;
                    config.timezone_name = v;
                }
                Err(_) => reader.invalid(table, "timezone", format!("unknown time zone `{v}`; use an IANA name such as `UTC` or `Europe/Berlin`")),
            }
        }
        if let Some(v) = reader.string(table, "currency") {
            config.currency = v;
        }
        if let Some(v) = reader.string(table, "default_visibility") {
            match Visibility::parse(&v) {
                Some(vis) => config.default_visibility = vis,
                None => reader.invalid(
                    table,
                    "default_visibility",
                    format!("`default_visibility` must be `public` or `internal`, found `{v}`"),
                ),
            }
        }
        for (key, target) in [
            ("priorities", &mut config.priorities),
            ("statuses", &mut config.statuses),
            ("required_sections", &mut config.required_sections),
        ] {
            if let Some(list) = reader.string_list(table, key) {
                if list.is_empty() && key != "required_sections" {
                    reader.invalid(table, key, format!("`{key}` must not be empty"));
                } else {
                    *target = list;
                }
            }
        }
        if let Some(item) = table.get("severities") {
            config.severities = reader.severities(table, item);
        }
        if let Some(item) = table.get("services") {
            config.services = Some(reader.services(item));
        }
        if let Some(item) = table.get("rules") {
            config.rules = reader.rules(item);
        }
        if let Some(v) = reader.string(table, "output_dir") {
            config.output_dir = PathBuf::from(v);
        }
        if let Some(v) = reader.string(table, "theme") {
            if v.is_empty() || v.contains(['/', '\\']) || v.starts_with('.') {
                reader.invalid(
                    table,
                    "theme",
                    format!("`theme` must be the name of a folder in themes/, found `{v}`"),
                );
            } else {
                config.theme = v;
            }
        }
        if let Some(v) = reader.boolean(table, "trusted_html") {
            config.trusted_html = v;
        }
        if let Some(v) = reader.string(table, "repository_url") {
            config.repository_url = Some(if v.ends_with('/') { v } else { format!("{v}/") });
        }
        config.repository_branch = reader.string(table, "repository_branch");
        if let Some(v) = reader.string(table, "repository_forge") {
            if matches!(v.as_str(), "github" | "gitlab" | "gitea" | "forgejo") {
                config.repository_forge = Some(v);
            } else {
                reader.invalid(
                    table,
                    "repository_forge",
                    format!("`repository_forge` must be one of github, gitlab, gitea, forgejo; found `{v}`"),
                );
            }
        }
        config.edit_url = reader.string(table, "edit_url");
        config.history_url = reader.string(table, "history_url");
        config.ignore_revs_file = reader.string(table, "ignore_revs_file").map(PathBuf::from);
        if let Some(item) = table.get("similar") {
            reader.similar(item, &mut config.similar);
        }
        (config, reader.diags)
    }
}

/// Failures that stop a run before any checking (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

struct Reader {
    source: Arc<Source>,
    diags: Vec<Diagnostic>,
}

fn item_span(item: &Item) -> Span {
    item.span()
        .map_or(Span::default(), |r| Span::new(r.start, r.end))
}

impl Reader {
    fn key_span(&self, table: &dyn TableLike, key: &str) -> Span {
        table
            .get_key_value(key)
            .and_then(|(k, item)| k.span().or_else(|| item.span()))
            .map_or(Span::default(), |r| Span::new(r.start, r.end))
    }

    fn unknown_keys(&mut self, table: &dyn TableLike, known: &[&str], prefix: &str) {
        for (key, _) in table.iter() {
            if !known.contains(&key) {
                let span = self.key_span(table, key);
                self.diags.push(
                    Diagnostic::new(
                        Rule::ConfigUnknownKey,
                        format!("unknown key `{prefix}{key}` in site.toml"),
                    )
                    .at(&self.source, span)
                    .suggest(key, known.iter().copied()),
                );
            }
        }
    }

    fn invalid(&mut self, table: &dyn TableLike, key: &str, message: String) {
        let span = table
            .get(key)
            .map_or_else(|| self.key_span(table, key), item_span);
        self.diags
            .push(Diagnostic::new(Rule::ConfigInvalid, message).at(&self.source, span));
    }

    fn wrong_type(&mut self, item: &Item, key: &str, expected: &str) {
        self.diags.push(
            Diagnostic::new(
                Rule::ConfigInvalid,
                format!("`{key}` must be {expected}, found {}", item.type_name()),
            )
            .at(&self.source, item_span(item)),
        );
    }

    fn string(&mut self, table: &dyn TableLike, key: &str) -> Option<String> {
        let item = table.get(key)?;
        match item.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.wrong_type(item, key, "a string");
                None
            }
        }
    }

    fn boolean(&mut self, table: &dyn TableLike, key: &str) -> Option<bool> {
        let item = table.get(key)?;
        let value = item.as_bool();
        if value.is_none() {
            self.wrong_type(item, key, "`true` or `false`");
        }
        value
    }

    fn number(&mut self, table: &dyn TableLike, key: &str) -> Option<f64> {
        let item = table.get(key)?;
        let value = item
            .as_float()
            .or_else(|| item.as_integer().map(|i| i as f64));
        match value {
            Some(v) if v.is_finite() && v >= 0.0 => Some(v),
            _ => {
                self.wrong_type(item, key, "a number of at least 0");
                None
            }
        }
    }

    fn string_list(&mut self, table: &dyn TableLike, key: &str) -> Option<Vec<String>> {
        let item = table.get(key)?;
        let Some(array) = item.as_array() else {
            self.wrong_type(item, key, "a list of strings");
            return None;
        };
        let mut out = Vec::new();
        for value in array.iter() {
            match value.as_str() {
                Some(s) if !out.iter().any(|o: &String| o == s) => out.push(s.to_string()),
                Some(s) => self.diags.push(
                    Diagnostic::new(
                        Rule::ConfigInvalid,
                        format!("`{s}` appears twice in `{key}`"),
                    )
                    .at(&self.source, value_span(value)),
                ),
                None => self.diags.push(
                    Diagnostic::new(
                        Rule::ConfigInvalid,
                        format!("`{key}` must list strings, found {}", value.type_name()),
                    )
                    .at(&self.source, value_span(value)),
                ),
            }
        }
        Some(out)
    }

    fn severities(&mut self, parent: &dyn TableLike, item: &Item) -> Vec<Severity> {
        let Some(table) = item.as_table_like() else {
            self.wrong_type(item, "severities", "a table of name = description");
            return SiteConfig::default().severities;
        };
        let mut out = Vec::new();
        for (name, value) in table.iter() {
            let (description, color) = self.described(name, value, "severities", "color");
            if let Some(color) = &color {
                if !is_hex_color(color) {
                    self.diags.push(
                        Diagnostic::new(Rule::ConfigInvalid, format!("severity `{name}` has color `{color}`; use a hex color such as `#b91c1c`"))
                            .at(&self.source, self.key_span(table, name)),
                    );
                }
            }
            out.push(Severity {
                name: name.to_string(),
                description,
                color: color.filter(|c| is_hex_color(c)),
            });
        }
        if out.is_empty() {
            self.invalid(
                parent,
                "severities",
                "`severities` must name at least one severity".into(),
            );
            return SiteConfig::default().severities;
        }
        out
    }

    fn services(&mut self, item: &Item) -> BTreeMap<String, Service> {
        let Some(table) = item.as_table_like() else {
            self.wrong_type(item, "services", "a table of name = description");
            return BTreeMap::new();
        };
        let mut out = BTreeMap::new();
        for (name, value) in table.iter() {
            let (description, owner) = self.described(name, value, "services", "owner");
            out.insert(name.to_string(), Service { description, owner });
        }
        out
    }

    /// A `name = "description"` or `name = { description = "...", <extra> = "..." }` entry.
    fn described(
        &mut self,
        name: &str,
        value: &Item,
        section: &str,
        extra: &str,
    ) -> (String, Option<String>) {
        if let Some(description) = value.as_str() {
            return (description.to_string(), None);
        }
        let Some(entry) = value.as_table_like() else {
            self.wrong_type(
                value,
                &format!("{section}.{name}"),
                "a description or a table with `description`",
            );
            return (String::new(), None);
        };
        self.unknown_keys(
            entry,
            &["description", extra],
            &format!("{section}.{name}."),
        );
        let description = self.string(entry, "description").unwrap_or_default();
        let extra_value = self.string(entry, extra);
        (description, extra_value)
    }

    fn rules(&mut self, item: &Item) -> BTreeMap<Rule, Option<Level>> {
        let mut out = BTreeMap::new();
        let Some(table) = item.as_table_like() else {
            self.wrong_type(
                item,
                "rules",
                "a table of rule = \"error\" | \"warning\" | \"off\"",
            );
            return out;
        };
        let names: Vec<&str> = Rule::ALL
            .iter()
            .filter(|r| !r.is_config())
            .map(|r| r.name())
            .collect();
        for (name, value) in table.iter() {
            let Some(rule) = Rule::from_name(name).filter(|r| !r.is_config()) else {
                self.diags.push(
                    Diagnostic::new(
                        Rule::ConfigUnknownKey,
                        format!("unknown rule `{name}` in [rules]"),
                    )
                    .at(&self.source, self.key_span(table, name))
                    .suggest(name, names.iter().copied()),
                );
                continue;
            };
            match (value.as_str(), rule.guards_output()) {
                (Some("error"), _) => drop(out.insert(rule, Some(Level::Error))),
                (Some(level @ ("warning" | "off")), Some(why)) => self.diags.push(
                    Diagnostic::new(
                        Rule::ConfigInvalid,
                        format!(
                            "rule `{name}` cannot be set to `{level}`: it guards the site's output ({why})"
                        ),
                    )
                    .at(&self.source, item_span(value))
                    .help(format!(
                        "remove `{name}` from [rules] and fix what it finds; `build` fails or changes the site without it"
                    )),
                ),
                (Some("warning"), None) => drop(out.insert(rule, Some(Level::Warning))),
                (Some("off"), None) => drop(out.insert(rule, None)),
                _ => self.diags.push(
                    Diagnostic::new(
                        Rule::ConfigInvalid,
                        format!(
                            "rule `{name}` must be {}",
                            one_of(&["error", "warning", "off"])
                        ),
                    )
                    .at(&self.source, item_span(value)),
                ),
            }
        }
        out
    }

    fn similar(&mut self, item: &Item, similar: &mut SimilarConfig) {
        let Some(table) = item.as_table_like() else {
            self.wrong_type(item, "similar", "a table");
            return;
        };
        self.unknown_keys(table, SIMILAR_KEYS, "similar.");
        if let Some(v) = self.boolean(table, "enabled") {
            similar.enabled = v;
        }
        if let Some(v) = self.number(table, "count") {
            similar.count = (v as usize).min(50);
        }
        for (key, target) in [
            ("text_weight", &mut similar.text_weight),
            ("services_weight", &mut similar.services_weight),
            ("tags_weight", &mut similar.tags_weight),
            ("severity_weight", &mut similar.severity_weight),
        ] {
            if let Some(v) = self.number(table, key) {
                *target = v;
            }
        }
    }
}

fn value_span(value: &Value) -> Span {
    value
        .span()
        .map_or(Span::default(), |r| Span::new(r.start, r.end))
}

fn is_hex_color(color: &str) -> bool {
    let hex = color.strip_prefix('#').unwrap_or("");
    matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (SiteConfig, Vec<Diagnostic>) {
        SiteConfig::parse(Source::new("site.toml", text))
    }

    #[test]
    fn reads_the_spec_example() {
        let (config, diags) = parse(
            "title = \"Acme\"\nbase_url = \"https://acme.github.io/pm\"\ntimezone = \"Europe/Berlin\"\n\
             [severities]\nSEV1 = \"Critical\"\nSEV2 = { description = \"Major\", color = \"#ff0000\" }\n\
             [services]\napi = { description = \"API\", owner = \"team\" }\n[rules]\nblame-language = \"off\"\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(config.base_url, "https://acme.github.io/pm/");
        assert_eq!(config.severity_names(), ["SEV1", "SEV2"]);
        assert_eq!(config.severities[1].color.as_deref(), Some("#ff0000"));
        assert_eq!(
            config
                .services
                .as_ref()
                .and_then(|s| s.get("api"))
                .and_then(|s| s.owner.as_deref()),
            Some("team")
        );
        assert_eq!(config.level(Rule::BlameLanguage), None);
    }

    #[test]
    fn unknown_keys_and_bad_values_have_positions() {
        let (_, diags) =
            parse("title = \"A\"\ntimezon = \"UTC\"\n[rules]\noverdue-action-item = \"loud\"\n");
        let found: Vec<_> = diags
            .iter()
            .map(|d| (d.rule, d.location().map(|(_, l, c)| (l, c)), d.help.clone()))
            .collect();
        assert_eq!(
            found[0],
            (
                Rule::ConfigUnknownKey,
                Some((2, 1)),
                Some("did you mean `timezone`?".into())
            )
        );
        assert_eq!(found[1].0, Rule::ConfigInvalid);
        assert_eq!(found[1].1, Some((4, 23)));
    }

    #[test]
    fn rules_that_guard_the_output_stay_errors() {
        let (config, diags) = parse(
            "title = \"A\"\n[rules]\nduplicate-id = \"off\"\nslug-collision = \"warning\"\n\
             page-slug = \"error\"\ntheme = \"off\"\ninvalid-url = \"warning\"\n",
        );
        let found: Vec<_> = diags
            .iter()
            .map(|d| (d.rule, d.location().map(|(_, l, c)| (l, c))))
            .collect();
        assert_eq!(
            found,
            [
                (Rule::ConfigInvalid, Some((3, 16))),
                (Rule::ConfigInvalid, Some((4, 18))),
                (Rule::ConfigInvalid, Some((6, 9))),
            ]
        );
        assert!(diags[0].message.contains("cannot be set to `off`"));
        assert_eq!(config.level(Rule::DuplicateId), Some(Level::Error));
        assert_eq!(config.level(Rule::SlugCollision), Some(Level::Error));
        assert_eq!(config.level(Rule::InvalidUrl), Some(Level::Warning));
    }

    #[test]
    fn bad_timezone_is_a_finding() {
        let (_, diags) = parse("title = \"A\"\ntimezone = \"Mars/Olympus\"\n");
        assert_eq!(diags.len(), 1);
        assert!(diags[0].message.contains("Mars/Olympus"));
    }
}
