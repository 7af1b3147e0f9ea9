//! The theme: Tera templates and static files, layered file by file.
//!
//! Three layers, each overriding the one before it for any file of the same name:
//! 1. the default theme, embedded in the binary from [`DEFAULT_THEME`] (one table
//!    built with `include_bytes!`), so casebook works from any folder;
//! 2. the archive's `themes/<name>/templates/` and `themes/<name>/static/`, when
//!    site.toml sets `theme = "<name>"`;
//! 3. the archive root's own `templates/` and `static/`.
//!
//! A theme's files never come from outside the archive: symlinks that leave it
//! are refused.
//!
//! `casebook check` loads and compiles the theme too ([`check`]), without rendering
//! anything, and reports what would stop `build` as findings with file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::templates::{compile, Template, TemplateError};
use crate::core::config::FILE_NAME;
use crate::core::diag::{Diagnostic, Source};
use crate::core::rules::Rule;

/// Every file of the default theme, by its path inside the theme.
pub const DEFAULT_THEME: &[(&str, &[u8])] = &[
    (
        "templates/base.html",
        include_bytes!("../../themes/default/templates/base.html"),
    ),
    (
        "templates/components.html",
        include_bytes!("../../themes/default/templates/components.html"),
    ),
    (
        "templates/index.html",
        include_bytes!("../../themes/default/templates/index.html"),
    ),
    (
        "templates/record.html",
        include_bytes!("../../themes/default/templates/record.html"),
    ),
    (
        "templates/list.html",
        include_bytes!("../../themes/default/templates/list.html"),
    ),
    (
        "templates/terms.html",
        include_bytes!("../../themes/default/templates/terms.html"),
    ),
    (
        "templates/actions.html",
        include_bytes!("../../themes/default/templates/actions.html"),
    ),
    (
        "templates/action_list.html",
        include_bytes!("../../themes/default/templates/action_list.html"),
    ),
    (
        "templates/partials/record_row.html",
        include_bytes!("../../themes/default/templates/partials/record_row.html"),
    ),
    (
        "templates/partials/actions_table.html",
        include_bytes!("../../themes/default/templates/partials/actions_table.html"),
    ),
    (
        "templates/partials/action_row.html",
        include_bytes!("../../themes/default/templates/partials/action_row.html"),
    ),
    (
        "templates/insights.html",
        include_bytes!("../../themes/default/templates/insights.html"),
    ),
    (
        "templates/page.html",
        include_bytes!("../../themes/default/templates/page.html"),
    ),
    (
        "templates/search.html",
        include_bytes!("../../themes/default/templates/search.html"),
    ),
    (
        "templates/404.html",
        include_bytes!("../../themes/default/templates/404.html"),
    ),
    (
        "templates/feed.xml",
        include_bytes!("../../themes/default/templates/feed.xml"),
    ),
    (
        "templates/sitemap.xml",
        include_bytes!("../../themes/default/templates/sitemap.xml"),
    ),
    (
        "static/style.css",
        include_bytes!("../../themes/default/static/style.css"),
    ),
    (
        "static/sort.js",
        include_bytes!("../../themes/default/static/sort.js"),
    ),
    (
        "static/links.js",
        include_bytes!("../../themes/default/static/links.js"),
    ),
    (
        "static/search.js",
        include_bytes!("../../themes/default/static/search.js"),
    ),
    (
        "static/favicon.svg",
        include_bytes!("../../themes/default/static/favicon.svg"),
    ),
];

/// Where one theme file comes from.
#[derive(Clone, Debug)]
pub enum ThemeFile {
    Embedded(&'static [u8]),
    Disk(PathBuf),
}

/// Why the theme could not be loaded (exit code 2). `casebook check` reports the
/// same problems as findings ([`check`]).
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("site.toml picks theme `{0}`, but themes/{0}/ does not exist")]
    Missing(String),
    #[error("cannot read theme file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("theme file {} is a symlink that leaves the archive", .0.display())]
    Escapes(PathBuf),
    #[error("template {} is not UTF-8", .0.display())]
    NotUtf8(PathBuf),
    #[error("template error: {}", templates_message(.0))]
    Templates(Vec<TemplateError>),
}

fn templates_message(errors: &[TemplateError]) -> String {
    errors
        .iter()
        .map(TemplateError::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ThemeError {
    /// The error as findings of the `theme` rule, at the file it is about: paths are
    /// shown relative to the archive `root`, and a template error points at its line.
    pub fn findings(&self, root: &Path) -> Vec<Diagnostic> {
        let at_file = |path: &Path| Source::new(shown(root, path), "");
        let diag = |message: String| Diagnostic::new(Rule::Theme, message);
        match self {
            ThemeError::Missing(name) => vec![diag(self.to_string())
                .in_file(&Source::new(FILE_NAME, ""))
                .help(format!(
                    "create themes/{name}/ with `templates/` and `static/`, or remove `theme`"
                ))],
            ThemeError::Read { path, source } => {
                vec![diag(format!("cannot read theme file: {source}")).in_file(&at_file(path))]
            }
            ThemeError::Escapes(path) => {
                vec![
                    diag("theme file is a symlink that leaves the archive; it is not read".into())
                        .in_file(&at_file(path)),
                ]
            }
            ThemeError::NotUtf8(path) => vec![diag("template is not UTF-8 text".into())
                .in_file(&at_file(path))
                .help("save the file as UTF-8")],
            ThemeError::Templates(errors) => errors
                .iter()
                .map(|error| {
                    let finding = diag(format!("template does not compile: {}", error.message));
                    match (&error.source, error.span) {
                        (Some(source), Some(span)) => finding.at(source, span),
                        (Some(source), None) => finding.in_file(source),
                        (None, _) => finding,
                    }
                })
                .collect(),
        }
    }
}

/// The theme loaded and its templates compiled as `build` needs them (nothing is
/// rendered), or its problems as findings: whatever in the theme would stop
/// `build` fails `check` first, and a build renders with the theme compiled here
/// instead of compiling it a second time.
pub fn check(root: &Path, name: &str) -> Result<Theme, Vec<Diagnostic>> {
    Theme::load(root, name).map_err(|error| error.findings(root))
}

/// A path inside the archive as the user wrote it: relative to the root when it is
/// under it (as given or canonical), else as it is.
fn shown(root: &Path, path: &Path) -> PathBuf {
    let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    path.strip_prefix(root)
        .or_else(|_| path.strip_prefix(&canonical))
        .unwrap_or(path)
        .to_path_buf()
}

/// The merged theme: templates compiled into Tera, static files to copy.
pub struct Theme {
    pub tera: tera::Tera,
    /// A hash of every template's name and text: two themes with the same
    /// fingerprint render a context alike (`casebook serve` keeps pages by it).
    pub fingerprint: u64,
    /// Static files by output path (relative to the site root).
    pub statics: BTreeMap<String, ThemeFile>,
}

/// Where findings say a built-in template is: it has no file in the archive.
const BUILT_IN: &str = "<built-in theme>";

impl Theme {
    /// Loads the default theme, then `themes/<name>/`, then the archive's overrides.
    pub fn load(root: &Path, name: &str) -> Result<Theme, ThemeError> {
        let mut files: BTreeMap<String, ThemeFile> = DEFAULT_THEME
            .iter()
            .map(|(path, bytes)| (path.to_string(), ThemeFile::Embedded(bytes)))
            .collect();
        let canonical_root = root.canonicalize().map_err(|source| ThemeError::Read {
            path: root.to_path_buf(),
            source,
        })?;
        if name != "default" || root.join("themes/default").is_dir() {
            let dir = root.join("themes").join(name);
            if !dir.is_dir() {
                return Err(ThemeError::Missing(name.to_string()));
            }
            overlay(&mut files, &dir, &canonical_root)?;
        }
        overlay(&mut files, root, &canonical_root)?;

        let mut templates = Vec::new();
        let mut statics = BTreeMap::new();
        for (path, file) in files {
            if let Some(name) = path.strip_prefix("templates/") {
                let shown_path = match &file {
                    ThemeFile::Embedded(_) => Path::new(BUILT_IN).join(&path),
                    ThemeFile::Disk(disk) => shown(root, disk),
                };
                let text = String::from_utf8(read(&file)?)
                    .map_err(|_| ThemeError::NotUtf8(shown_path.clone()))?;
                templates.push(Template {
                    name: name.to_string(),
                    path: shown_path,
                    text,
                });
            } else if let Some(name) = path.strip_prefix("static/") {
                statics.insert(name.to_string(), file);
            }
        }
        let tera = compile(&templates).map_err(ThemeError::Templates)?;
        let fingerprint = {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            for template in &templates {
                template.name.hash(&mut hasher);
                template.text.hash(&mut hasher);
            }
            hasher.finish()
        };
        Ok(Theme {
            tera,
            fingerprint,
            statics,
        })
    }
}

/// Reads a theme file's bytes.
pub fn read(file: &ThemeFile) -> Result<Vec<u8>, ThemeError> {
    match file {
        ThemeFile::Embedded(bytes) => Ok(bytes.to_vec()),
        ThemeFile::Disk(path) => std::fs::read(path).map_err(|source| ThemeError::Read {
            path: path.clone(),
            source,
        }),
    }
}

/// Adds `dir/templates/**` and `dir/static/**` over `files`. Hidden files and
/// folders (starting with `.`) are skipped.
fn overlay(
    files: &mut BTreeMap<String, ThemeFile>,
    dir: &Path,
    canonical_root: &Path,
) -> Result<(), ThemeError> {
    for sub in ["templates", "static"] {
        let base = dir.join(sub);
        if !base.is_dir() {
            continue;
        }
        let walker = WalkDir::new(&base)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walker {
            let entry = entry.map_err(|e| ThemeError::Read {
                path: base.clone(),
                source: e.into(),
            })?;
            let path = entry.path();
            let target = if entry.path_is_symlink() {
                let target = path.canonicalize().map_err(|source| ThemeError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                if !target.starts_with(canonical_root) {
                    return Err(ThemeError::Escapes(path.to_path_buf()));
                }
                if !target.is_file() {
                    continue;
                }
                target
            } else if entry.file_type().is_file() {
                path.to_path_buf()
            } else {
                continue;
            };
            let Ok(relative) = path.strip_prefix(dir) else {
                continue;
            };
            let key = crate::core::paths::slash_path(relative);
            files.insert(key, ThemeFile::Disk(target));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::diag::display_path;

    #[test]
    fn default_theme_compiles() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let theme = Theme::load(tmp.path(), "default").expect("theme");
        assert!(theme.tera.get_template_names().any(|n| n == "record.html"));
        assert!(theme.statics.contains_key("style.css"));
    }

    #[test]
    fn archive_files_override_one_by_one() {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(tmp.path().join("static")).expect("mkdir");
        std::fs::write(tmp.path().join("static/style.css"), "body{}").expect("write");
        let theme = Theme::load(tmp.path(), "default").expect("theme");
        assert!(matches!(theme.statics["style.css"], ThemeFile::Disk(_)));
        assert!(matches!(theme.statics["sort.js"], ThemeFile::Embedded(_)));
    }

    /// The findings of a theme with these archive templates: rule, file:line:col, message.
    fn template_findings(templates: &[(&str, &str)]) -> Vec<(Rule, String, String)> {
        let tmp = tempfile::tempdir().expect("tempdir");
        for (name, text) in templates {
            let path = tmp.path().join("templates").join(name);
            std::fs::create_dir_all(path.parent().expect("folder")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        check(tmp.path(), "default")
            .err()
            .unwrap_or_default()
            .iter()
            .map(|d| {
                let (file, line, col) = d.location().expect("a place");
                (
                    d.rule,
                    format!("{}:{line}:{col}", display_path(file)),
                    d.message.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn every_template_with_a_syntax_error_is_a_finding() {
        let found = template_findings(&[
            ("a.html", "ok\n{{ x \n"),
            ("b.html", "{% if %}"),
            ("c.html", "{{ x | nofilter }}"),
        ]);
        let places: Vec<_> = found.iter().map(|(r, at, _)| (*r, at.as_str())).collect();
        // c.html compiles; its unknown filter waits until the syntax errors are fixed.
        assert_eq!(
            places,
            [
                (Rule::Theme, "templates/a.html:2:4"),
                (Rule::Theme, "templates/b.html:1:7")
            ],
            "{found:?}"
        );
    }

    #[test]
    fn unknown_filters_and_includes_are_findings_at_their_place() {
        let found = template_findings(&[
            ("a.html", "\n  {{ x | nofilter }}"),
            ("b.html", "{% include \"nope.html\" %}"),
        ]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].1, "templates/a.html:2:10");
        assert!(
            found[0].2.contains("Unknown filter `nofilter`"),
            "{found:?}"
        );
        assert_eq!(found[1].1, "templates/b.html:1:12");
    }

    #[test]
    fn a_missing_parent_points_at_the_extends() {
        let found = template_findings(&[("page.html", "\n{% extends \"nobase.html\" %}")]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1, "templates/page.html:2:13");
        assert!(found[0].2.contains("nobase.html"), "{found:?}");
    }

    #[test]
    fn a_template_that_is_not_utf8_is_a_finding() {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(tmp.path().join("templates")).expect("mkdir");
        std::fs::write(tmp.path().join("templates/page.html"), b"\xff").expect("write");
        let found = check(tmp.path(), "default").err().unwrap_or_default();
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].location().map(|(p, l, c)| (display_path(p), l, c)),
            Some(("templates/page.html".to_string(), 1, 1))
        );
    }

    /// `DEFAULT_THEME` is written by hand: a file added to themes/default/ but not to
    /// the table would be missing from every site, and a name in the table that is
    /// not its file's path would shadow nothing an archive can override. Both
    /// directions are checked, and each name's bytes against its file.
    #[test]
    fn the_embedded_theme_is_every_file_of_themes_default() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
        let mut on_disk = BTreeMap::new();
        for entry in WalkDir::new(&dir) {
            let entry = entry.expect("walk themes/default");
            if entry.file_type().is_file() {
                let rel = entry.path().strip_prefix(&dir).expect("inside the theme");
                let name = rel.to_str().expect("a UTF-8 name").replace('\\', "/");
                on_disk.insert(name, std::fs::read(entry.path()).expect("read"));
            }
        }
        let embedded: BTreeMap<String, Vec<u8>> = DEFAULT_THEME
            .iter()
            .map(|(name, bytes)| (name.to_string(), bytes.to_vec()))
            .collect();
        assert_eq!(
            embedded.len(),
            DEFAULT_THEME.len(),
            "a file is listed twice"
        );
        let names = |files: &BTreeMap<String, Vec<u8>>| files.keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(&embedded), names(&on_disk));
        for (name, bytes) in &on_disk {
            assert!(
                embedded[name] == *bytes,
                "{name} differs from its embedded copy"
            );
        }
    }

    #[test]
    fn a_missing_theme_is_an_error() {
        let tmp = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            Theme::load(tmp.path(), "nope"),
            Err(ThemeError::Missing(_))
        ));
    }
}
