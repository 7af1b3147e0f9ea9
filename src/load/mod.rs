//! Stage 1, load: find every record file under `content/incidents/`, read it, split
//! front matter from body and decode it into a [`Record`].
//!
//! Discovery walks the tree once (never following a symlink out of the archive);
//! reading and decoding then run in parallel with rayon, one file per task. A file
//! that cannot be read as a record yields findings, never an early return, so one
//! broken record never hides the findings of another.

pub mod decode;
mod syntax;
pub mod yaml;

use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::core::config::SiteConfig;
use crate::core::diag::{display_path, Diagnostic, Source, Span};
use crate::core::model::{ActionItem, Archive, Page, Record, Review};
use crate::core::rules::Rule;

/// Where records live, relative to the archive root.
pub const INCIDENTS_DIR: &str = "content/incidents";
/// Where free pages live, relative to the archive root.
pub const PAGES_DIR: &str = "content/pages";
/// Larger record files are refused: a postmortem is text, not a log dump.
pub const MAX_RECORD_BYTES: u64 = 8 * 1024 * 1024;

/// What kind of file a record is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Markdown,
    Yaml,
}

/// A file found by discovery, before it is read.
struct Candidate {
    /// Relative to the archive root.
    path: PathBuf,
    format: Format,
    bundle: Option<PathBuf>,
}

/// What one record file decodes to: the record, if it is one, and its findings.
pub type Decoded = (Option<Record>, Vec<Diagnostic>);

/// Decodes record files for [`load_with`]. `casebook serve` keeps the result of
/// every file, does not read again a file whose [`FileStamp`] says it was not
/// written since, and decodes again only the files whose bytes changed.
pub trait Memo: Sync {
    /// The kept decoding of the record file at `path` when its `stamp` is the one
    /// it had when it was read, so it was not written since; `None` reads it.
    fn unwritten(&self, path: &Path, bundle: bool, stamp: &FileStamp) -> Option<Decoded>;

    /// What the record file at `path` (relative to the root, a bundle's `index.md`
    /// when `bundle`) with these `bytes` decodes to; `decode` computes it. `stamp`
    /// is the file's stamp just before it was read (`None` when it had none).
    fn decode(
        &self,
        path: &Path,
        bundle: bool,
        stamp: Option<FileStamp>,
        bytes: &[u8],
        decode: &dyn Fn() -> Decoded,
    ) -> Decoded;
}

/// The [`Memo`] of a one-off run: it remembers nothing.
pub struct NoMemo;

impl Memo for NoMemo {
    fn unwritten(&self, _: &Path, _: bool, _: &FileStamp) -> Option<Decoded> {
        None
    }

    fn decode(
        &self,
        _: &Path,
        _: bool,
        _: Option<FileStamp>,
        _: &[u8],
        decode: &dyn Fn() -> Decoded,
    ) -> Decoded {
        decode()
    }
}

/// A write this close to a read (or later) may not show in a file's stamp: time
/// stamps are as coarse as the clock tick, and two seconds on FAT file systems.
const STAMP_SETTLING: Duration = Duration::from_secs(3);

/// What the file system says of a file without reading it (the `stat` that git's
/// index keeps): its size, its modification and change times and its inode. Any
/// write moves the change time, which no program can set back; a save by rename
/// gives a new inode. A file whose stamp is the same as when it was read has the
/// same bytes, provided the stamp had [settled](FileStamp::settled) then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    changed: (i64, i64),
    #[cfg(unix)]
    inode: (u64, u64),
}

impl FileStamp {
    /// The stamp of a file's metadata (of the file a symlink points to).
    pub fn of(metadata: &Metadata) -> FileStamp {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        FileStamp {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            #[cfg(unix)]
            changed: (metadata.ctime(), metadata.ctime_nsec()),
            #[cfg(unix)]
            inode: (metadata.dev(), metadata.ino()),
        }
    }

    /// Whether the file's last write is far enough before `now` (the time it was
    /// read) that any later write shows as a different stamp. A stamp that had not
    /// settled when the file was read cannot vouch for its bytes (git calls such
    /// an entry "racily clean"): the file is read again.
    pub fn settled(&self, now: SystemTime) -> bool {
        #[cfg(unix)]
        let last_write = {
            let (seconds, nanos) = self.changed;
            u64::try_from(seconds).ok().map(|seconds| {
                SystemTime::UNIX_EPOCH
                    + Duration::from_secs(seconds)
                    + Duration::from_nanos(u64::try_from(nanos).unwrap_or(0))
            })
        };
        #[cfg(not(unix))]
        let last_write = self.modified;
        last_write.is_some_and(|written| written + STAMP_SETTLING <= now)
    }
}

/// Loads the archive at `root` with an already-read configuration.
/// Returns the archive and every finding made while reading it.
pub fn load(root: &Path, config: SiteConfig) -> (Archive, Vec<Diagnostic>) {
    load_with(root, config, &NoMemo)
}

/// [`load`], with each record file's bytes decoded through `memo`.
pub fn load_with(root: &Path, config: SiteConfig, memo: &dyn Memo) -> (Archive, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    misspelt_folders(root, &mut diags);
    let candidates = discover(root, &canonical_root, &mut diags);
    let results: Vec<Decoded> = candidates
        .par_iter()
        .map(|c| load_record(root, c, &config, memo))
        .collect();
    let mut records = Vec::with_capacity(results.len());
    let mut rejected = 0;
    for (record, found) in results {
        match record {
            Some(record) => records.push(record),
            None => rejected += 1,
        }
        diags.extend(found);
    }
    records.sort_by(|a, b| {
        b.date
            .cmp(&a.date)
            .then_with(|| a.id.value.cmp(&b.id.value))
            .then_with(|| a.path.cmp(&b.path))
    });
    let pages = load_pages(root, &mut diags);
    let archive = Archive {
        root: canonical_root,
        config,
        records,
        pages,
        rejected,
    };
    (archive, diags)
}

/// Whether a file or folder name is one the spec says to ignore.
fn ignored(name: &str) -> bool {
    name.starts_with('_') || name.starts_with('.')
}

fn discover(root: &Path, canonical_root: &Path, diags: &mut Vec<Diagnostic>) -> Vec<Candidate> {
    let dir = root.join(INCIDENTS_DIR);
    let mut out = Vec::new();
    let mut walker = WalkDir::new(&dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                if error
                    .io_error()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound)
                    && error.depth() == 0
                {
                    break;
                }
                let path = error.path().map(|p| relative(root, p)).unwrap_or_default();
                match error.io_error() {
                    Some(io) => diags.push(unreadable(path, io)),
                    None => diags.push(unreadable(path, &error)),
                }
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if ignored(&name) {
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            }
            continue;
        }
        let rel = relative(root, entry.path());
        if entry.path_is_symlink() {
            match entry.path().canonicalize() {
                Ok(target) if target.starts_with(canonical_root) => {
                    if target.is_file() {
                        if let Some(format) = record_format(&rel) {
                            out.push(Candidate {
                                path: rel,
                                format,
                                bundle: None,
                            });
                        }
                    }
                }
                Ok(_) => diags.push(
                    Diagnostic::new(
                        Rule::SymlinkOutside,
                        format!(
                            "symlink `{}` points outside the archive; it was not read",
                            rel.display()
                        ),
                    )
                    .in_file(&Source::new(rel, "")),
                ),
                // A loop, or a target that does not exist: nothing to read.
                Err(error) => diags.push(unreadable(rel, &error)),
            }
            continue;
        }
        if entry.file_type().is_dir() {
            let index = entry.path().join("index.md");
            if index.is_file() {
                out.push(Candidate {
                    path: rel.join("index.md"),
                    format: Format::Markdown,
                    bundle: Some(rel),
                });
                walker.skip_current_dir();
            }
            continue;
        }
        // Sockets, pipes and devices are not records: reading a pipe would block.
        if !entry.file_type().is_file() {
            continue;
        }
        if let Some(format) = record_format(&rel) {
            out.push(Candidate {
                path: rel,
                format,
                bundle: None,
            });
        } else if let Some(wanted) = misnamed_extension(&rel) {
            diags.push(skipped_file(&rel, wanted));
        }
    }
    out
}

/// The extension a file that looks like a record but is not read should have:
/// `.markdown`, `.MD`, `.Markdown` want `.md`; `.YAML`, `.YML` want `.yaml`/`.yml`.
fn misnamed_extension(path: &Path) -> Option<&'static str> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "md" | "markdown" | "mdown" | "mkd" => Some("md"),
        "yaml" => Some("yaml"),
        "yml" => Some("yml"),
        _ => None,
    }
}

/// The finding for a file in `content/incidents/` that looks like a record but,
/// by its extension, is not read as one.
fn skipped_file(rel: &Path, wanted: &str) -> Diagnostic {
    let name = rel.file_name().unwrap_or(rel.as_os_str()).to_string_lossy();
    let renamed = rel.with_extension(wanted);
    Diagnostic::new(
        Rule::SkippedFile,
        format!("`{name}` is not read as a record: records end in `.md`, `.yaml` or `.yml` (lower case)"),
    )
    .in_file(&Source::new(rel, ""))
    .help(format!(
        "rename it to `{}`, or start its name with `_` to keep it out on purpose",
        display_path(&renamed)
    ))
}

/// Folders in `content/` whose name is a near miss of `incidents` (`incident`,
/// `Incidents`, `incidnets`): their files are never read, which is easy to miss
/// because nothing else complains. On a file system that ignores letter case,
/// `content/Incidents` is the records folder itself and is not reported.
fn misspelt_folders(root: &Path, diags: &mut Vec<Diagnostic>) {
    let content = root.join("content");
    let Ok(entries) = std::fs::read_dir(&content) else {
        return;
    };
    let wanted = Path::new(INCIDENTS_DIR)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let records_dir = root.join(INCIDENTS_DIR).canonicalize().ok();
    let mut misspelt: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !ignored(name) && *name != wanted)
        .filter(|name| strsim::levenshtein(&name.to_lowercase(), &wanted) <= 2)
        .filter(|name| {
            records_dir.is_none() || content.join(name).canonicalize().ok() != records_dir
        })
        .collect();
    misspelt.sort();
    for name in misspelt {
        let rel = Path::new("content").join(&name);
        diags.push(
            Diagnostic::new(
                Rule::SkippedFile,
                format!(
                    "folder `{}` is not read: records live in `{INCIDENTS_DIR}/`",
                    display_path(&rel)
                ),
            )
            .in_file(&Source::new(&rel, ""))
            .help(format!(
                "move its records into `{INCIDENTS_DIR}/`, or start the folder's name with `_` to keep it out on purpose"
            )),
        );
    }
}

fn record_format(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()? {
        "md" => Some(Format::Markdown),
        "yaml" | "yml" => Some(Format::Yaml),
        _ => None,
    }
}

fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

fn too_large(rel: &Path, size: u64) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::new(
            Rule::InputLimit,
            format!(
                "file is {size} bytes; records larger than {MAX_RECORD_BYTES} bytes are not read"
            ),
        )
        .in_file(&Source::new(rel, ""))
        .help("move large logs into a bundle asset and link to it"),
    )
}

/// Reads a file as text: refuses huge files, reports non-UTF-8 with its position,
/// drops a BOM and turns CRLF into LF (columns stay the same).
fn read_text(root: &Path, rel: &Path) -> Result<Arc<Source>, Box<Diagnostic>> {
    text_source(rel, &read_bytes(root, rel)?)
}

/// Reads a file's bytes; refuses huge files.
fn read_bytes(root: &Path, rel: &Path) -> Result<Vec<u8>, Box<Diagnostic>> {
    let full = root.join(rel);
    let size = std::fs::metadata(&full).map(|m| m.len()).unwrap_or(0);
    read_sized(&full, rel, size)
}

/// Reads the file at `full` (`rel` in findings) whose metadata gave `size`;
/// refuses huge files.
fn read_sized(full: &Path, rel: &Path, size: u64) -> Result<Vec<u8>, Box<Diagnostic>> {
    if size > MAX_RECORD_BYTES {
        return Err(too_large(rel, size));
    }
    std::fs::read(full).map_err(|error| Box::new(unreadable(rel.to_path_buf(), &error)))
}

/// The finding for a file or folder the system would not let casebook read. It has
/// a rule of its own, so turning off a rule about a file's contents never hides it.
fn unreadable(rel: PathBuf, error: &dyn std::fmt::Display) -> Diagnostic {
    let name = rel.file_name().unwrap_or(rel.as_os_str()).to_string_lossy();
    let message = format!("cannot read `{name}`: {error}");
    Diagnostic::new(Rule::UnreadableFile, message).in_file(&Source::new(rel, ""))
}

/// The text of a file's bytes: a BOM dropped, CRLF turned into LF, non-UTF-8 reported.
fn text_source(rel: &Path, bytes: &[u8]) -> Result<Arc<Source>, Box<Diagnostic>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Source::new(rel, normalize_newlines(text))),
        Err(error) => {
            let lossy = normalize_newlines(&String::from_utf8_lossy(bytes));
            let valid = error.valid_up_to();
            let offset = String::from_utf8_lossy(&bytes[..valid])
                .replace("\r\n", "\n")
                .len();
            let source = Source::new(rel, lossy);
            let message = format!(
                "file is not UTF-8 text (invalid byte 0x{:02X})",
                bytes[valid]
            );
            Err(Box::new(
                Diagnostic::new(Rule::NotUtf8, message)
                    .at(&source, Span::new(offset, offset + 1))
                    .help("save the file as UTF-8"),
            ))
        }
    }
}

/// Whether `text`, read back as a record file's bytes, gives itself: no byte order
/// mark to strip and no `\r\n` to turn into `\n`. Then a file holding exactly
/// these bytes decodes to the record already decoded from `text` (history uses the
/// loaded record for the committed version instead of decoding its blob again).
pub fn reads_back_unchanged(text: &str) -> bool {
    !text.starts_with('\u{feff}') && !text.contains("\r\n")
}

fn normalize_newlines(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text.to_string()
    }
}

/// The YAML part and the body of a Markdown file with front matter.
pub struct FrontMatter<'a> {
    pub yaml: &'a str,
    pub yaml_offset: usize,
    pub body: &'a str,
    pub body_offset: usize,
}

/// Splits `---` front matter from the body; `Err` carries a finding's message and span.
pub fn split_front_matter(text: &str) -> Result<FrontMatter<'_>, (String, Span)> {
    let first_end = text.find('\n').unwrap_or(text.len());
    if text[..first_end].trim_end() != "---" {
        return Err((
            "a Markdown record must start with `---` front matter".into(),
            Span::new(0, first_end),
        ));
    }
    let yaml_offset = (first_end + 1).min(text.len());
    let mut line_start = yaml_offset;
    while line_start < text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i);
        let line = text[line_start..line_end].trim_end();
        if line == "---" || line == "..." {
            let body_offset = (line_end + 1).min(text.len());
            return Ok(FrontMatter {
                yaml: &text[yaml_offset..line_start],
                yaml_offset,
                body: &text[body_offset..],
                body_offset,
            });
        }
        line_start = line_end + 1;
    }
    Err((
        "the front matter is never closed with `---`".into(),
        Span::new(0, first_end),
    ))
}

fn load_record(
    root: &Path,
    candidate: &Candidate,
    config: &SiteConfig,
    memo: &dyn Memo,
) -> Decoded {
    let bundle = candidate.bundle.is_some();
    let full = root.join(&candidate.path);
    let stamp = std::fs::metadata(&full).ok().map(|m| FileStamp::of(&m));
    if let Some(kept) = stamp.and_then(|stamp| memo.unwritten(&candidate.path, bundle, &stamp)) {
        return kept;
    }
    let size = stamp.map_or(0, |stamp| stamp.len);
    let bytes = match read_sized(&full, &candidate.path, size) {
        Ok(bytes) => bytes,
        Err(diag) => return (None, vec![*diag]),
    };
    let decode = || match text_source(&candidate.path, &bytes) {
        Ok(source) => decode_record(source, candidate, config),
        Err(diag) => (None, vec![*diag]),
    };
    memo.decode(&candidate.path, bundle, stamp, &bytes, &decode)
}

/// Loads one record from a file's bytes, as if read from `path` (relative to the
/// archive root; `.md`, `.yaml` or `.yml`). The loader's pure core, without the file
/// system: property tests and fuzz targets call it with arbitrary bytes.
pub fn record_from_bytes(
    path: &Path,
    bytes: &[u8],
    config: &SiteConfig,
) -> (Option<Record>, Vec<Diagnostic>) {
    let candidate = Candidate {
        path: path.to_path_buf(),
        format: record_format(path).unwrap_or(Format::Markdown),
        bundle: None,
    };
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        return (None, vec![*too_large(path, bytes.len() as u64)]);
    }
    match text_source(path, bytes) {
        Ok(source) => decode_record(source, &candidate, config),
        Err(diag) => (None, vec![*diag]),
    }
}

/// What follow-through reads of an older version of a record: its `review` and
/// action items, read from those two entries alone when the front matter's lines
/// show where they are, so a version costs a small part of a full decode.
/// `None` when they cannot be read: the file is not UTF-8, has no front matter, or
/// the YAML they are in does not parse. The rest of the version may be invalid:
/// what it says of its review still counts.
pub fn review_and_action_items_from_bytes(
    path: &Path,
    bytes: &[u8],
    config: &SiteConfig,
) -> Option<(Review, Vec<ActionItem>)> {
    const ENTRIES: &[&str] = &["review", "action_items"];
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).ok()?;
    let text = normalize_newlines(text);
    let yaml_text = match record_format(path).unwrap_or(Format::Markdown) {
        Format::Yaml => text.as_str(),
        Format::Markdown => split_front_matter(&text).ok()?.yaml,
    };
    let read = |yaml_text: &str| {
        let source = Source::new(path, yaml_text.to_string());
        let parsed = yaml::parse(&source.text, 0);
        match parsed.root {
            Some(root) => Some(decode::review_and_action_items(&root, &source, config)),
            // Neither entry: a draft without action items.
            None if parsed.problems.is_empty() => Some((Review::Draft, Vec::new())),
            None => None,
        }
    };
    // An entry read on its own fails where it uses an anchor set in another entry.
    match syntax::top_level_entries(yaml_text, ENTRIES) {
        Some(entries) => read(&entries).or_else(|| read(yaml_text)),
        None => read(yaml_text),
    }
}

fn decode_record(
    source: Arc<Source>,
    candidate: &Candidate,
    config: &SiteConfig,
) -> (Option<Record>, Vec<Diagnostic>) {
    if source.text.trim().is_empty() {
        let diag = Diagnostic::new(Rule::FrontMatter, "the record file is empty")
            .at(&source, Span::new(0, 0));
        return (None, vec![diag]);
    }
    let (yaml_text, yaml_offset, body_offset) = match candidate.format {
        Format::Yaml => (source.text.as_str(), 0, None),
        Format::Markdown => match split_front_matter(&source.text) {
            Ok(fm) => (fm.yaml, fm.yaml_offset, Some(fm.body_offset)),
            Err((message, span)) => {
                return (
                    None,
                    vec![Diagnostic::new(Rule::FrontMatter, message).at(&source, span)],
                );
            }
        },
    };
    let parsed = yaml::parse(yaml_text, yaml_offset);
    let mut diags: Vec<Diagnostic> = parsed
        .problems
        .iter()
        .map(|p| yaml_problem(&source, p))
        .collect();
    let Some(root_node) = parsed.root else {
        if diags.is_empty() {
            diags.push(
                Diagnostic::new(Rule::FrontMatter, "the front matter is empty")
                    .at(&source, Span::new(0, 0)),
            );
        }
        return (None, diags);
    };
    let input = decode::Input {
        source: &source,
        path: &candidate.path,
        bundle: candidate.bundle.as_deref(),
        body_offset,
        config,
    };
    let record = decode::record(&root_node, input, &mut diags);
    (record, diags)
}

/// Turns a YAML problem into a finding.
pub fn yaml_problem(source: &Arc<Source>, problem: &yaml::Problem) -> Diagnostic {
    match problem {
        yaml::Problem::Syntax { message, help, at } => {
            let diag = Diagnostic::new(Rule::YamlSyntax, message.clone()).at(source, *at);
            match help {
                Some(help) => diag.help(help.clone()),
                None => diag,
            }
        }
        yaml::Problem::TooDeep { at } => Diagnostic::new(
            Rule::InputLimit,
            format!("YAML nests deeper than {} levels", yaml::MAX_DEPTH),
        )
        .at(source, *at),
        yaml::Problem::TooManyNodes { at } => Diagnostic::new(
            Rule::InputLimit,
            format!(
                "YAML expands to more than {} values (an alias bomb?)",
                yaml::MAX_NODES
            ),
        )
        .at(source, *at),
        yaml::Problem::MultipleDocuments { at } => Diagnostic::new(
            Rule::YamlSyntax,
            "a record holds one YAML document; found a second `---`",
        )
        .at(source, *at),
        yaml::Problem::DuplicateKey { key, first, second } => {
            Diagnostic::new(Rule::DuplicateKey, format!("key `{key}` appears twice"))
                .at(source, *second)
                .label("second definition")
                .note(source, *first, "first defined here")
        }
    }
}

fn load_pages(root: &Path, diags: &mut Vec<Diagnostic>) -> Vec<Page> {
    let dir = root.join(PAGES_DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| !ignored(&n.to_string_lossy()))
        })
        .collect();
    paths.sort();
    let mut pages = Vec::new();
    for path in paths {
        let rel = relative(root, &path);
        let source = match read_text(root, &rel) {
            Ok(source) => source,
            Err(diag) => {
                diags.push(*diag);
                continue;
            }
        };
        match decode::page(&source, &rel, diags) {
            Some(page) => pages.push(page),
            None => continue,
        }
    }
    pages
}

/// A record with this id, front matter lines and body, decoded as from a file in
/// `content/incidents/`: what the unit tests of later stages start from.
#[cfg(test)]
pub(crate) fn record_for_test(id: &str, front: &str, body: &str) -> Record {
    let text = format!(
        "---\nid: {id}\ntitle: Record {id}\ndate: 2024-01-01\nseverity: SEV2\n\
         status: investigating\n{front}---\n{body}"
    );
    let path = format!("content/incidents/{id}.md");
    record_from_bytes(Path::new(&path), text.as_bytes(), &SiteConfig::default())
        .0
        .expect("a valid record")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter() {
        let text = "---\nid: a\n---\n# Body\n";
        let fm = split_front_matter(text).expect("front matter");
        assert_eq!(fm.yaml, "id: a\n");
        assert_eq!(fm.yaml_offset, 4);
        assert_eq!(fm.body, "# Body\n");
    }

    #[test]
    fn refuses_missing_or_unclosed_front_matter() {
        assert!(split_front_matter("# Title\n").is_err());
        assert!(split_front_matter("---\nid: a\n").is_err());
    }

    #[test]
    fn ignores_underscore_and_dot_names() {
        assert!(ignored("_TEMPLATE.md"));
        assert!(ignored(".draft.md"));
        assert!(!ignored("2024-01-01-x.md"));
    }
}
