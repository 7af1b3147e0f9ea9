//! Helpers for tests of a built site: list its files, parse its HTML, and check
//! that every internal link and source in every page resolves.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

use scraper::{Html, Selector};

/// Every file under `dir` (relative, `/`-separated) with its bytes, sorted.
pub fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    collect(dir, dir, &mut out);
    out
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read output folder")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            let rel = path
                .strip_prefix(root)
                .expect("inside")
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, std::fs::read(&path).expect("read file"));
        }
    }
}

/// Parses an HTML file of the site.
pub fn html(dir: &Path, rel: &str) -> Html {
    let text =
        std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"));
    Html::parse_document(&text)
}

/// A CSS selector (tests write valid ones).
pub fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css}: {e:?}"))
}

/// The text of every element matching `css`, whitespace collapsed.
pub fn texts(doc: &Html, css: &str) -> Vec<String> {
    doc.select(&sel(css))
        .map(|e| e.text().collect::<Vec<_>>().join(" "))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// A link in the site that does not lead anywhere.
#[derive(Debug)]
pub struct Broken {
    pub page: String,
    pub attribute: &'static str,
    pub target: String,
    pub why: String,
}

/// Checks every `href` and `src` of every HTML page under `dir`: a relative URL
/// must name a file of the site (a folder means its `index.html`), and a fragment
/// an element id in the page it names. Absolute paths (`/pm/x/`) must start with
/// `base_path` and are resolved from the site root. URLs with a scheme (`https:`,
/// `mailto:`) and `//host/` URLs are external and not followed.
pub fn broken_links(dir: &Path, base_path: &str) -> Vec<Broken> {
    let all = files(dir);
    let mut ids: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut broken = Vec::new();
    let with_href = sel("[href]");
    let with_src = sel("[src]");
    for page in all.keys().filter(|p| p.ends_with(".html")) {
        let doc = html(dir, page);
        let mut targets: Vec<(&'static str, String)> = Vec::new();
        for element in doc.select(&with_href) {
            targets.push((
                "href",
                element.value().attr("href").unwrap_or("").to_string(),
            ));
        }
        for element in doc.select(&with_src) {
            targets.push(("src", element.value().attr("src").unwrap_or("").to_string()));
        }
        for (attribute, target) in targets {
            if let Err(why) = resolve(dir, &all, &mut ids, page, &target, base_path) {
                broken.push(Broken {
                    page: page.clone(),
                    attribute,
                    target,
                    why,
                });
            }
        }
    }
    broken
}

fn is_external(url: &str) -> bool {
    if url.starts_with("//") {
        return true;
    }
    match url.find([':', '/', '?', '#']) {
        Some(i) => url.as_bytes()[i] == b':',
        None => false,
    }
}

fn resolve(
    dir: &Path,
    all: &BTreeMap<String, Vec<u8>>,
    ids: &mut HashMap<String, BTreeSet<String>>,
    page: &str,
    url: &str,
    base_path: &str,
) -> Result<(), String> {
    if url.is_empty() {
        return Err("empty URL".into());
    }
    if is_external(url) {
        return Ok(());
    }
    let (path_part, fragment) = match url.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (url, None),
    };
    let path_part = path_part.split('?').next().unwrap_or("");
    let target = if path_part.is_empty() {
        page.to_string()
    } else {
        let decoded = percent_decode(path_part);
        let start = if let Some(rest) = decoded.strip_prefix('/') {
            let base = base_path.trim_start_matches('/');
            let Some(inside) = rest.strip_prefix(base) else {
                return Err(format!("absolute path outside the base path `{base_path}`"));
            };
            normalize(Path::new(""), inside)?
        } else {
            let folder = Path::new(page).parent().unwrap_or(Path::new(""));
            normalize(folder, &decoded)?
        };
        let candidate = start.to_string_lossy().replace('\\', "/");
        if all.contains_key(&candidate) {
            candidate
        } else {
            let index = if candidate.is_empty() {
                "index.html".to_string()
            } else {
                format!("{}/index.html", candidate.trim_end_matches('/'))
            };
            if all.contains_key(&index) {
                index
            } else {
                return Err(format!("no file `{candidate}`"));
            }
        }
    };
    if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
        if !target.ends_with(".html") {
            return Err(format!("fragment on `{target}`, which is not a page"));
        }
        let known = ids.entry(target.clone()).or_insert_with(|| {
            let doc = html(dir, &target);
            doc.select(&sel("[id]"))
                .filter_map(|e| e.value().attr("id").map(str::to_string))
                .collect()
        });
        let fragment = percent_decode(fragment);
        if !known.contains(&fragment) {
            return Err(format!("no element with id `{fragment}` in `{target}`"));
        }
    }
    Ok(())
}

/// Joins `rel` onto `folder` lexically; climbing above the site root is an error.
fn normalize(folder: &Path, rel: &str) -> Result<PathBuf, String> {
    let mut parts: Vec<String> = folder
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    for component in Path::new(rel).components() {
        match component {
            Component::ParentDir if parts.pop().is_none() => {
                return Err("climbs above the site root".into());
            }
            Component::ParentDir => {}
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    Ok(parts.iter().collect())
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
            out.push(hex(bytes[i + 1]) * 16 + hex(bytes[i + 2]));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Panics with a readable list when any link is broken.
pub fn assert_links_resolve(dir: &Path, base_path: &str) {
    let broken = broken_links(dir, base_path);
    assert!(
        broken.is_empty(),
        "{} broken links:\n{}",
        broken.len(),
        broken
            .iter()
            .take(40)
            .map(|b| format!("  {}: {}=\"{}\": {}", b.page, b.attribute, b.target, b.why))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
