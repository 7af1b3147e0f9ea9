//! The catalog of findings casebook reports.
//!
//! Each rule has a stable code (`CB0101`) for tools and a stable kebab-case name that
//! site.toml's `[rules]` table uses to change its level. The table below is the one
//! place a rule is declared; docs/check.md lists the same rules for users.

use crate::core::diag::Level;

macro_rules! rules {
    ($($variant:ident => ($code:literal, $name:literal, $level:ident, $doc:literal),)*) => {
        /// A kind of finding, with its code, name and default level.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $(#[doc = $doc] $variant,)*
        }

        impl Rule {
            /// Every rule, in code order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The stable code shown in output, such as `CB0101`.
            pub fn code(self) -> &'static str {
                match self { $(Rule::$variant => $code,)* }
            }

            /// The stable name used in site.toml's `[rules]`.
            pub fn name(self) -> &'static str {
                match self { $(Rule::$variant => $name,)* }
            }

            /// The level a rule has unless site.toml says otherwise.
            pub fn default_level(self) -> Level {
                match self { $(Rule::$variant => Level::$level,)* }
            }
        }
    };
}

rules! {
    ConfigSyntax => ("CB0001", "config-syntax", Error, "site.toml is not valid TOML"),
    ConfigUnknownKey => ("CB0002", "config-unknown-key", Error, "site.toml has a key casebook does not know"),
    ConfigInvalid => ("CB0003", "config-invalid", Error, "a site.toml value has the wrong type or is out of range"),
    NotUtf8 => ("CB0101", "not-utf8", Error, "a record file is not UTF-8 text"),
    YamlSyntax => ("CB0102", "yaml-syntax", Error, "the front matter or YAML record does not parse"),
    FrontMatter => ("CB0103", "front-matter", Error, "a record is empty, has no front matter, or it is not a mapping"),
    InputLimit => ("CB0104", "input-limit", Error, "a record exceeds a safety limit (size, nesting, alias expansion)"),
    DuplicateKey => ("CB0105", "duplicate-key", Error, "a YAML mapping names one key twice"),
    MissingField => ("CB0106", "missing-field", Error, "a required field is missing"),
    WrongType => ("CB0107", "wrong-type", Error, "a field has the wrong type"),
    InvalidValue => ("CB0108", "invalid-value", Error, "a value is outside its allowed set or malformed"),
    DuplicateId => ("CB0109", "duplicate-id", Error, "two records share an id, or two ids differ only in case"),
    DuplicateActionId => ("CB0110", "duplicate-action-id", Error, "two action items in one record share an id"),
    UnknownRelated => ("CB0111", "unknown-related", Error, "`related` names an id that no record has"),
    TimestampOrder => ("CB0112", "timestamp-order", Error, "incident timestamps are out of order"),
    MissingResolved => ("CB0113", "missing-resolved", Error, "a resolved record has no `resolved` timestamp"),
    UnknownService => ("CB0114", "unknown-service", Error, "a service is not in site.toml's catalog"),
    MissingAsset => ("CB0115", "missing-asset", Error, "a relative link or image does not exist or leaves the archive"),
    SymlinkOutside => ("CB0116", "symlink-outside", Error, "a symlink points outside the archive"),
    SlugCollision => ("CB0117", "slug-collision", Error, "two tags or services become the same URL slug"),
    InvalidUrl => ("CB0118", "invalid-url", Error, "a URL the site would drop: a scheme other than http, https or mailto, or an action item's link that is not absolute"),
    PageSlug => ("CB0119", "page-slug", Error, "a free page's URL is one casebook keeps for itself, another page's, or empty"),
    Theme => ("CB0120", "theme", Error, "the theme does not load: a template does not compile, or a theme file cannot be read"),
    UnreadableFile => ("CB0121", "unreadable-file", Error, "a file or folder under content/ cannot be read (permissions, a broken symlink, an I/O error)"),
    UnknownKey => ("CB0201", "unknown-key", Warning, "a front-matter key casebook does not know"),
    TimelineOrder => ("CB0202", "timeline-order", Warning, "timeline entries are out of time order"),
    OverdueActionItem => ("CB0203", "overdue-action-item", Warning, "an open action item is past its due date"),
    IncompleteActionItem => ("CB0204", "incomplete-action-item", Warning, "an open action item lacks an owner or a due date"),
    MissingSection => ("CB0205", "missing-section", Warning, "an approved record lacks a section site.toml requires"),
    BlameLanguage => ("CB0206", "blame-language", Warning, "the body uses blame-laden wording"),
    UnknownMention => ("CB0207", "unknown-mention", Warning, "the text mentions an id that looks like a record's but no record has it"),
    SkippedFile => ("CB0208", "skipped-file", Warning, "a file or folder that looks like records is not read: a `.markdown` or `.MD` file, or a misspelt `content/incident/`"),
    SelfRelated => ("CB0209", "self-related", Warning, "a record names its own id in `related`"),
    ShallowClone => ("CB0301", "shallow-clone", Warning, "the repository is a shallow clone, so dates and people older than its history are unknown"),
    GitUnreadable => ("CB0302", "git-unreadable", Warning, "the archive is in a git repository whose history cannot be read; the site is built without it"),
    IgnoreRevs => ("CB0303", "ignore-revs", Warning, "the ignore-revs file cannot be read, or a line of it is not a full commit id"),
}

impl Rule {
    /// The rule with this site.toml name.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.name() == name)
    }

    /// The rules as a table for `casebook check --help`: code, name, default level.
    pub fn help_table() -> String {
        let mut text = String::from(
            "Rules, with their default level (site.toml's [rules] changes it; docs/check.md explains each):\n",
        );
        for rule in Rule::ALL {
            text.push_str(&format!(
                "  {}  {:<24} {}\n",
                rule.code(),
                rule.name(),
                rule.default_level().as_str()
            ));
        }
        text
    }

    /// Rules about site.toml itself: they are never turned off, they make the run exit 2.
    pub fn is_config(self) -> bool {
        matches!(
            self,
            Rule::ConfigSyntax | Rule::ConfigUnknownKey | Rule::ConfigInvalid
        )
    }

    /// Why a rule guards the site's output, when it does: its findings are things
    /// `build` cannot write (two files at one path, a template that does not compile),
    /// so site.toml may not turn it off or make it a warning; `check` would pass an
    /// archive that `build` then fails on.
    pub fn guards_output(self) -> Option<&'static str> {
        match self {
            Rule::DuplicateId => Some("two records with one id want one page"),
            Rule::SlugCollision => Some("two tags or services with one slug want one page"),
            Rule::PageSlug => Some("a page without a URL of its own cannot be written"),
            Rule::Theme => Some("the site cannot be rendered without its templates"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique() {
        let codes: HashSet<_> = Rule::ALL.iter().map(|r| r.code()).collect();
        let names: HashSet<_> = Rule::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(codes.len(), Rule::ALL.len());
        assert_eq!(names.len(), Rule::ALL.len());
        assert_eq!(Rule::from_name("blame-language"), Some(Rule::BlameLanguage));
    }

    #[test]
    fn output_guards_are_errors() {
        for rule in Rule::ALL.iter().filter(|r| r.guards_output().is_some()) {
            assert_eq!(rule.default_level(), Level::Error, "{}", rule.name());
            assert!(!rule.is_config(), "{}", rule.name());
        }
    }
}
