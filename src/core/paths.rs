//! One home for the rules about names, URLs and paths that more than one stage must
//! agree on: the slug of a tag or service, a record's URL, a free page's URL and the
//! folders casebook keeps for itself, the site's base URL, which link targets are
//! safe and which are relative, and how a relative link resolves.
//! The checks report exactly what the renderer would drop or refuse because both ask
//! the same functions here.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Turns a tag or service name into its URL slug: lower case, `[a-z0-9-]`.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// The slug of a severity or status name; never empty, so its page has a URL. A
/// name without letters or digits becomes `x` and its bytes in hex.
pub fn term_slug(name: &str) -> String {
    let s = slug(name);
    if s.is_empty() {
        name.bytes().fold(String::from("x"), |mut out, b| {
            out.push_str(&format!("{b:02x}"));
            out
        })
    } else {
        s
    }
}

/// The URL (relative to the site root) of a record's page.
pub fn record_url(id: &str) -> String {
    format!("incidents/{id}/")
}

/// Folders at the site root that casebook's own pages use; free pages may not.
pub const RESERVED_SLUGS: &[&str] = &[
    "incidents",
    "services",
    "tags",
    "years",
    "severity",
    "status",
    "actions",
    "files",
    "search",
    "insights",
];

/// The folder at the site root of the free page whose file is named `stem` (without
/// `.md`): its [`slug`]. The error says why the page can have none, so `check`
/// reports what `build` would refuse.
pub fn page_slug(stem: &str) -> Result<String, String> {
    let page = slug(stem);
    if page.is_empty() {
        Err(format!(
            "the file name `{stem}` has no letters or digits to make the page's URL"
        ))
    } else if RESERVED_SLUGS.contains(&page.as_str()) {
        Err(format!(
            "the page would be at `/{page}/`, which casebook uses for its own pages"
        ))
    } else {
        Ok(page)
    }
}

/// A base URL as the site uses it (site.toml's `base_url`, `--base-url`): it must
/// start with `http://`, `https://` or `/`, and gets a trailing `/`. The error is the
/// reason, for a finding or a usage error.
pub fn base_url(url: &str) -> Result<String, String> {
    if url.starts_with("http://") || url.starts_with("https://") || url.starts_with('/') {
        Ok(if url.ends_with('/') {
            url.to_string()
        } else {
            format!("{url}/")
        })
    } else {
        Err(format!(
            "must start with http://, https:// or /, found `{url}`"
        ))
    }
}

/// The path of a base URL: `https://a.example/pm/` gives `/pm/`.
pub fn base_path(base_url: &str) -> String {
    let rest = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    match rest.find('/') {
        Some(i) if base_url.contains("://") => rest[i..].to_string(),
        _ if base_url.starts_with('/') => base_url.to_string(),
        _ => "/".to_string(),
    }
}

/// Whether a URL from a record may appear in an `href` or `src`: http(s), mailto,
/// an anchor, or a relative path. Browsers ignore whitespace and control characters
/// inside a scheme, so those are removed before the scheme is read.
pub fn is_safe_url(url: &str) -> bool {
    url_scheme(url).is_none_or(|scheme| matches!(scheme.as_str(), "http" | "https" | "mailto"))
}

/// The scheme of a URL as a browser reads it, in lower case: whitespace and control
/// characters inside it are removed first. `None` for a relative URL or an anchor.
pub fn url_scheme(url: &str) -> Option<String> {
    let squeezed: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect();
    scheme(&squeezed).map(str::to_ascii_lowercase)
}

/// Whether a URL is absolute and safe: what an action item's `link` must be, since
/// it points outside the archive. (A record's `links[].url` may also be relative or
/// an anchor: it needs only [`is_safe_url`].)
pub fn is_absolute_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    is_safe_url(url)
        && (lower.starts_with("http://") || lower.starts_with("https://"))
        && lower
            .split_once("://")
            .is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'))
        || lower.starts_with("mailto:") && lower.len() > "mailto:".len()
}

/// The URL's scheme: what comes before a `:` that precedes any `/`, `?` or `#`.
fn scheme(url: &str) -> Option<&str> {
    let end = url.find([':', '/', '?', '#'])?;
    (url.as_bytes()[end] == b':').then(|| &url[..end])
}

/// Whether a link target is a relative path into the archive (resolved against the
/// record's folder), not a URL, an absolute path or an anchor.
pub fn is_relative(url: &str) -> bool {
    !(url.is_empty() || url.starts_with('#') || url.starts_with('/') || scheme(url).is_some())
}

/// Resolves a relative link lexically against `folder`; `None` when it climbs out
/// of the archive. The query and fragment are left off.
pub fn resolve_relative(folder: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['#', '?']).next().unwrap_or("");
    let mut out: Vec<Component> = folder.components().collect();
    for part in Path::new(path).components() {
        match part {
            Component::ParentDir => {
                out.pop()?;
            }
            Component::Normal(_) => out.push(part),
            _ => {}
        }
    }
    Some(out.iter().collect())
}

/// Decodes `%20` and friends so `my%20file.png` finds `my file.png`; a malformed
/// escape stays as it is, bytes that are not UTF-8 become U+FFFD.
pub fn percent_decode(text: &str) -> Cow<'_, str> {
    percent_decode_str(text).decode_utf8_lossy()
}

/// What may stand raw in a URL path: letters, digits, `-._~` and `/`.
const PATH_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// Percent-encodes what may not appear raw in a URL path (spaces, quotes, `#`, `?`).
pub fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, PATH_UNRESERVED).to_string()
}

/// A relative path with `/` separators, as shown in pages and exports on any system.
pub fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Connection Pool"), "connection-pool");
        assert_eq!(slug("api_gateway"), "api-gateway");
        assert_eq!(slug("--K8s--"), "k8s");
        assert_eq!(slug("!!!"), "");
        assert_eq!(term_slug("!!"), "x2121");
    }

    #[test]
    fn page_slugs_avoid_reserved_and_empty_urls() {
        assert_eq!(page_slug("About Us").as_deref(), Ok("about-us"));
        assert!(page_slug("Search").is_err_and(|e| e.contains("`/search/`")));
        assert!(page_slug("!!!").is_err_and(|e| e.contains("no letters or digits")));
    }

    #[test]
    fn base_urls_end_with_a_slash() {
        assert_eq!(
            base_url("https://a.example/pm").as_deref(),
            Ok("https://a.example/pm/")
        );
        assert_eq!(base_url("/").as_deref(), Ok("/"));
        assert!(base_url("a.example").is_err());
        assert_eq!(base_path("https://a.example/pm/"), "/pm/");
        assert_eq!(base_path("https://a.example"), "/");
    }

    #[test]
    fn which_urls_are_safe_relative_or_absolute() {
        assert!(is_safe_url("notes/x.md#y"));
        assert!(!is_safe_url(" JAVASCRIPT:alert(1)"));
        assert!(!is_safe_url("java\nscript:alert(1)"));
        assert!(!is_safe_url("htps://example.com"));
        assert_eq!(url_scheme(" Java\tScript:x").as_deref(), Some("javascript"));
        assert_eq!(url_scheme("docs/a:b"), None);
        assert!(is_relative("pool.png") && is_relative("../a/b.md#x"));
        assert!(!is_relative("#x") && !is_relative("/a") && !is_relative("https://x"));
        assert!(is_absolute_url("https://grafana.example.com/d/db"));
        assert!(is_absolute_url("mailto:oncall@example.com"));
        for bad in [
            "htps://x.example",
            "https://",
            "https:///x",
            "docs/runbook.md",
            "/x",
            "javascript:x",
            "mailto:",
        ] {
            assert!(!is_absolute_url(bad), "{bad}");
        }
    }

    #[test]
    fn paths_decode_encode_and_resolve() {
        assert_eq!(percent_decode("my%20file.png"), "my file.png");
        assert_eq!(percent_decode("100%zz"), "100%zz");
        assert_eq!(encode_path("a b/#c?.png"), "a%20b/%23c%3F.png");
        assert_eq!(encode_path("é"), "%C3%A9");
        let folder = Path::new("content/incidents/x");
        assert_eq!(
            resolve_relative(folder, "../y/a.png#top"),
            Some(PathBuf::from("content/incidents/y/a.png"))
        );
        assert_eq!(resolve_relative(Path::new("a"), "../../b"), None);
        assert_eq!(slash_path(Path::new("a").join("b").as_path()), "a/b");
    }

    #[test]
    fn relative_targets() {
        assert!(is_relative("pool.png"));
        assert!(is_relative("../x/y.log"));
        assert!(!is_relative("https://example.com"));
        assert!(!is_relative("mailto:a@b"));
        assert!(!is_relative("#summary"));
        assert!(!is_relative("/abs"));
    }

    #[test]
    fn resolve_stays_inside() {
        let folder = Path::new("content/incidents/b");
        assert_eq!(
            resolve_relative(folder, "x.png#a"),
            Some(PathBuf::from("content/incidents/b/x.png"))
        );
        assert_eq!(resolve_relative(folder, "../../../../etc/passwd"), None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("my%20file.png"), "my file.png");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
