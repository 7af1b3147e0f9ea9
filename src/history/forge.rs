//! Links to a record on its forge: the file, its history and its editor, from
//! site.toml's `repository_url` (GitHub, GitLab, Gitea and Forgejo patterns, or the
//! `edit_url`/`history_url` patterns site.toml gives).
//!
//! `repository_url` is the repository's address (`https://github.com/acme/incidents`);
//! an address that already names a branch's files (`…/blob/main/`, the form earlier
//! versions took) still works, with the record's path from the archive's root.

use crate::core::config::SiteConfig;
use crate::core::paths::{encode_path, is_safe_url};

/// Which URL layout a forge uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forge {
    GitHub,
    GitLab,
    /// Gitea and Forgejo (Codeberg).
    Gitea,
}

impl Forge {
    /// The forge site.toml names in `repository_forge`.
    pub fn parse(name: &str) -> Option<Forge> {
        match name {
            "github" => Some(Forge::GitHub),
            "gitlab" => Some(Forge::GitLab),
            "gitea" | "forgejo" => Some(Forge::Gitea),
            _ => None,
        }
    }

    /// The forge a repository's address is on, from its host; GitHub's layout when
    /// the host says nothing (GitHub Enterprise hosts have any name).
    fn guess(url: &str) -> Forge {
        let host = url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if host.contains("gitlab") {
            Forge::GitLab
        } else if host.contains("gitea") || host.contains("forgejo") || host == "codeberg.org" {
            Forge::Gitea
        } else {
            Forge::GitHub
        }
    }

    /// The patterns of the file, its history and its editor.
    fn patterns(self) -> [&'static str; 3] {
        match self {
            Forge::GitHub => [
                "{repository}/blob/{branch}/{path}",
                "{repository}/commits/{branch}/{path}",
                "{repository}/edit/{branch}/{path}",
            ],
            Forge::GitLab => [
                "{repository}/-/blob/{branch}/{path}",
                "{repository}/-/commits/{branch}/{path}",
                "{repository}/-/edit/{branch}/{path}",
            ],
            Forge::Gitea => [
                "{repository}/src/branch/{branch}/{path}",
                "{repository}/commits/branch/{branch}/{path}",
                "{repository}/_edit/{branch}/{path}",
            ],
        }
    }
}

/// A record's links on its forge; each `None` when it would not be a safe URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ForgeLinks {
    pub source: Option<String>,
    pub history: Option<String>,
    pub edit: Option<String>,
}

/// The ways an address that names a branch's files (`…/blob/main/`) turns into the
/// record's history and editor.
const FILE_BASES: &[(&str, &str, &str)] = &[
    ("/-/blob/", "/-/commits/", "/-/edit/"),
    ("/blob/", "/commits/", "/edit/"),
    ("/src/branch/", "/commits/branch/", "/_edit/"),
];

/// The links of the record at `archive_path` (from the archive's root), or at
/// `repo_path` (from the repository's root, when history knows it), on `branch`
/// (site.toml's `repository_branch` wins). `None` without `repository_url`.
pub fn links(
    config: &SiteConfig,
    archive_path: &str,
    repo_path: Option<&str>,
    branch: Option<&str>,
) -> Option<ForgeLinks> {
    let url = config.repository_url.as_deref()?;
    let safe = |link: String| is_safe_url(&link).then_some(link);
    if let Some((from, history, edit)) = FILE_BASES.iter().find(|(from, ..)| url.contains(from)) {
        let path = encode_path(archive_path);
        let source = format!("{url}{path}");
        let with = |to: &str| safe(format!("{}{path}", url.replacen(from, to, 1)));
        return Some(ForgeLinks {
            history: with(history),
            edit: with(edit),
            source: safe(source),
        });
    }
    let repository = url.trim_end_matches('/');
    let branch = config
        .repository_branch
        .as_deref()
        .or(branch)
        .unwrap_or("HEAD");
    let path = encode_path(repo_path.unwrap_or(archive_path));
    let branch = encode_path(branch);
    let fill = |pattern: &str| {
        safe(
            pattern
                .replace("{repository}", repository)
                .replace("{branch}", &branch)
                .replace("{path}", &path),
        )
    };
    let forge = config
        .repository_forge
        .as_deref()
        .and_then(Forge::parse)
        .unwrap_or_else(|| Forge::guess(url));
    let [source, history, edit] = forge.patterns();
    Some(ForgeLinks {
        source: fill(source),
        history: fill(config.history_url.as_deref().unwrap_or(history)),
        edit: fill(config.edit_url.as_deref().unwrap_or(edit)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> SiteConfig {
        SiteConfig {
            repository_url: Some(url.to_string()),
            ..SiteConfig::default()
        }
    }

    #[test]
    fn each_forge_has_its_layout() {
        let github = links(
            &config("https://github.com/acme/inc/"),
            "c/x.md",
            Some("docs/c/x.md"),
            Some("main"),
        )
        .unwrap();
        assert_eq!(
            github.edit.as_deref(),
            Some("https://github.com/acme/inc/edit/main/docs/c/x.md")
        );
        assert_eq!(
            github.history.as_deref(),
            Some("https://github.com/acme/inc/commits/main/docs/c/x.md")
        );
        let gitlab = links(
            &config("https://gitlab.com/acme/inc/"),
            "c/x.md",
            None,
            None,
        )
        .unwrap();
        assert_eq!(
            gitlab.source.as_deref(),
            Some("https://gitlab.com/acme/inc/-/blob/HEAD/c/x.md")
        );
        let gitea = links(
            &config("https://codeberg.org/acme/inc/"),
            "c/x.md",
            None,
            Some("dev"),
        )
        .unwrap();
        assert_eq!(
            gitea.edit.as_deref(),
            Some("https://codeberg.org/acme/inc/_edit/dev/c/x.md")
        );
    }

    #[test]
    fn a_files_address_keeps_working_and_custom_patterns_win() {
        let old = links(
            &config("https://github.com/acme/inc/blob/main/"),
            "c/x y.md",
            Some("d/c/x y.md"),
            None,
        )
        .unwrap();
        assert_eq!(
            old.source.as_deref(),
            Some("https://github.com/acme/inc/blob/main/c/x%20y.md")
        );
        assert_eq!(
            old.edit.as_deref(),
            Some("https://github.com/acme/inc/edit/main/c/x%20y.md")
        );
        let mut custom = config("https://git.example.com/inc/");
        custom.edit_url = Some("{repository}/e?b={branch}&p={path}".into());
        custom.repository_branch = Some("trunk".into());
        let found = links(&custom, "c/x.md", None, Some("main")).unwrap();
        assert_eq!(
            found.edit.as_deref(),
            Some("https://git.example.com/inc/e?b=trunk&p=c/x.md")
        );
        assert!(
            links(&config("javascript:alert(1)//"), "c/x.md", None, None)
                .unwrap()
                .edit
                .is_none()
        );
    }
}
