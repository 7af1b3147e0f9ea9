//! `casebook import slack`: one channel of a Slack workspace export (a folder, or
//! the `.zip` Slack hands out) as timeline entries. The export holds
//! `channels.json` (and `groups.json` for private channels), `users.json`, and a
//! folder per channel with one JSON file of messages per day (docs/import.md).
//!
//! Only the channel's day files that can hold messages of the window are read, so
//! the time depends on the channel's window, not on the size of the export. A zip
//! is read in memory from its central directory; nothing is extracted, and an
//! archive with a path that leaves the export is refused as a whole.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::Timestamp;
use serde::Deserialize;

use super::{ImportError, Imported, ImportedEntry, Window};

/// What `casebook import slack` asks for.
#[derive(Clone, Debug)]
pub struct Request {
    /// The channel's name, with or without `#`.
    pub channel: String,
    pub window: Window,
    /// Thread replies too, not only the channel's own messages.
    pub threads: bool,
}

/// The most a file of a zipped export may unpack to: a day of one channel, or the
/// workspace's users, is far less; more is a zip bomb.
const MAX_FILE_BYTES: u64 = 256 << 20;

/// Message subtypes that are someone saying something; every other subtype
/// (joins, leaves, topic and purpose changes, pins, deleted messages, ...) is noise.
const SPOKEN: &[&str] = &[
    "bot_message",
    "me_message",
    "file_share",
    "thread_broadcast",
];

/// Reads the export at `path` and turns the channel's messages in the window into
/// entries.
pub fn read(path: &Path, request: &Request) -> Result<Imported, ImportError> {
    let mut export = Export::open(path)?;
    let channels = export.channels()?;
    let wanted = request.channel.trim_start_matches('#');
    let Some(channel) = channels.iter().find(|c| c.name == wanted) else {
        let mut names: Vec<String> = channels.iter().map(|c| c.name.clone()).collect();
        names.sort();
        return Err(ImportError::UnknownChannel {
            name: wanted.to_string(),
            channels: names,
        });
    };
    let users = export.users()?;
    let names = Names {
        users: &users,
        channels: &channels,
    };
    let mut days = export.day_files(&channel.name)?;
    days.sort();
    let first_day = days.first().map(|(d, _)| *d);
    let last_day = days.last().map(|(d, _)| *d);
    let mut imported = Imported::default();
    for (day, file) in days {
        if !could_hold(day, request.window) {
            continue;
        }
        let bytes = export.read(&file)?.unwrap_or_default();
        let messages: Vec<Message> = serde_json::from_slice(&bytes)
            .map_err(|e| ImportError::json(&export.name(&file), &e))?;
        for message in messages {
            let Some(at) = message.time() else {
                imported.left_out += 1;
                continue;
            };
            if !message.is_spoken() || (message.is_reply() && !request.threads) {
                imported.left_out += 1;
                continue;
            }
            if !request.window.contains(at) {
                continue;
            }
            match entry(&message, at, &names) {
                Some(entry) => imported.entries.push(entry),
                None => imported.left_out += 1,
            }
        }
    }
    if imported.entries.is_empty() {
        let span = match (first_day, last_day) {
            (Some(first), Some(last)) => format!("its messages are dated {first} to {last}"),
            _ => "it has no messages at all".to_string(),
        };
        return Err(ImportError::Empty {
            what: format!(
                "#{} has no messages{}; {span}",
                channel.name,
                request.window.describe(),
            ),
        });
    }
    Ok(imported.finish())
}

/// Whether the day file of `day` can hold a message of the window. Slack names day
/// files by a calendar day whose timezone the export does not say, so a day on
/// either side of the window is read too.
fn could_hold(day: Date, window: Window) -> bool {
    let utc_day = |t: Timestamp| t.to_zoned(jiff::tz::TimeZone::UTC).date();
    let after_start = window
        .from
        .is_none_or(|from| day >= utc_day(from).yesterday().unwrap_or(day));
    let before_end = window
        .to
        .is_none_or(|to| day <= utc_day(to).tomorrow().unwrap_or(day));
    after_start && before_end
}

/// A channel of `channels.json` or `groups.json`.
#[derive(Debug, Deserialize)]
struct Channel {
    id: String,
    name: String,
}

/// A member of `users.json`.
#[derive(Debug, Deserialize)]
struct User {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    real_name: Option<String>,
    #[serde(default)]
    profile: Option<Profile>,
}

/// The names a user or a message's `user_profile` carries.
#[derive(Debug, Default, Deserialize)]
struct Profile {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    real_name: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// The bot that wrote a `bot_message`.
#[derive(Debug, Deserialize)]
struct BotProfile {
    #[serde(default)]
    name: Option<String>,
}

/// A file shared with a message.
#[derive(Debug, Deserialize)]
struct SharedFile {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// One message of a day file, with the fields the importer reads.
#[derive(Debug, Deserialize)]
struct Message {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    subtype: Option<String>,
    #[serde(default)]
    ts: Option<String>,
    #[serde(default)]
    thread_ts: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    bot_id: Option<String>,
    #[serde(default)]
    bot_profile: Option<BotProfile>,
    #[serde(default)]
    user_profile: Option<Profile>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    files: Vec<SharedFile>,
    #[serde(default)]
    hidden: bool,
}

impl Message {
    /// `ts` (seconds since the epoch, with microseconds) as an instant.
    fn time(&self) -> Option<Timestamp> {
        let ts = self.ts.as_deref()?;
        let (seconds, fraction) = ts.split_once('.').unwrap_or((ts, "0"));
        let seconds: i64 = seconds.parse().ok()?;
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Timestamp::from_second(seconds).ok()
    }

    /// A message someone wrote that is still there.
    fn is_spoken(&self) -> bool {
        self.kind.as_deref().is_none_or(|k| k == "message")
            && !self.hidden
            && self.subtype.as_deref().is_none_or(|s| SPOKEN.contains(&s))
    }

    /// A reply in a thread that was not also sent to the channel.
    fn is_reply(&self) -> bool {
        self.thread_ts.is_some()
            && self.thread_ts != self.ts
            && self.subtype.as_deref() != Some("thread_broadcast")
    }
}

/// Names for the ids that messages hold.
struct Names<'a> {
    users: &'a HashMap<String, String>,
    channels: &'a [Channel],
}

impl Names<'_> {
    fn user(&self, id: &str) -> Option<&str> {
        self.users.get(id).map(String::as_str)
    }

    fn channel(&self, id: &str) -> Option<&str> {
        self.channels
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.as_str())
    }
}

/// The entry a message becomes, or `None` when it says nothing.
fn entry(message: &Message, at: Timestamp, names: &Names) -> Option<ImportedEntry> {
    let mut text = markdown(message.text.as_deref().unwrap_or(""), names);
    let files: Vec<&str> = message
        .files
        .iter()
        .filter_map(|f| f.title.as_deref().or(f.name.as_deref()))
        .filter(|n| !n.trim().is_empty())
        .collect();
    if !files.is_empty() {
        let named = files
            .iter()
            .map(|f| format!("“{}”", f.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let label = if files.len() == 1 { "file" } else { "files" };
        text = if text.trim().is_empty() {
            format!("Shared the {label} {named}")
        } else {
            format!("{} (shared the {label} {named})", text.trim_end())
        };
    }
    if text.trim().is_empty() {
        return None;
    }
    let mut entry = ImportedEntry::new(at, text);
    entry.source = Some("slack".into());
    entry.actor = actor(message, names);
    Some(entry)
}

/// Who wrote a message: the user's name from users.json, else the name the message
/// carries, else a bot's username.
fn actor(message: &Message, names: &Names) -> Option<String> {
    let from_profile = || {
        message.user_profile.as_ref().and_then(|p| {
            [&p.display_name, &p.real_name, &p.name]
                .into_iter()
                .flatten()
                .find(|n| !n.trim().is_empty())
                .cloned()
        })
    };
    let bot = || {
        message
            .username
            .clone()
            .or_else(|| message.bot_profile.as_ref().and_then(|b| b.name.clone()))
            .filter(|n| !n.trim().is_empty())
    };
    if message.subtype.as_deref() == Some("bot_message") {
        if let Some(name) = bot() {
            return Some(name);
        }
    }
    let by_id = message
        .user
        .as_deref()
        .and_then(|id| names.user(id))
        .map(str::to_string);
    by_id
        .or_else(from_profile)
        .or_else(bot)
        .or_else(|| message.user.clone())
        .or_else(|| message.bot_id.clone())
}

/// A user's name as people see it: the display name, else the real name, else the
/// account name.
fn user_name(user: &User) -> String {
    let profile = user.profile.as_ref();
    [
        profile.and_then(|p| p.display_name.as_ref()),
        profile.and_then(|p| p.real_name.as_ref()),
        user.real_name.as_ref(),
        user.name.as_ref(),
    ]
    .into_iter()
    .flatten()
    .find(|n| !n.trim().is_empty())
    .map_or_else(|| user.id.clone(), |n| n.trim().to_string())
}

/// Slack's markup as Markdown: `<...>` links, mentions and channel references;
/// `*bold*`, `~strike~` (`_italic_` and code are the same in both); `&amp;`, `&lt;`
/// and `&gt;` decoded.
fn markdown(text: &str, names: &Names) -> String {
    let marked = emphasis(text);
    let mut out = String::with_capacity(marked.len());
    let mut rest = marked.as_str();
    while let Some(open) = rest.find('<') {
        out.push_str(&decode(&rest[..open]));
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            out.push_str(&decode(&rest[open..]));
            rest = "";
            break;
        };
        out.push_str(&reference(&after[..close], names));
        rest = &after[close + 1..];
    }
    out.push_str(&decode(rest));
    out
}

/// One `<...>` of Slack's markup, without its angle brackets.
fn reference(inner: &str, names: &Names) -> String {
    let (target, label) = match inner.split_once('|') {
        Some((target, label)) => (target, Some(decode(label))),
        None => (inner, None),
    };
    if let Some(id) = target.strip_prefix('@') {
        let name = names
            .user(id)
            .map(str::to_string)
            .or(label)
            .unwrap_or_else(|| id.to_string());
        return format!("@{}", name.trim_start_matches('@'));
    }
    if let Some(id) = target.strip_prefix('#') {
        let name = label
            .or_else(|| names.channel(id).map(str::to_string))
            .unwrap_or_else(|| id.to_string());
        return format!("#{name}");
    }
    if let Some(special) = target.strip_prefix('!') {
        let word = special.split('^').next().unwrap_or(special);
        return match (word, label) {
            ("channel" | "here" | "everyone", _) => format!("@{word}"),
            (_, Some(label)) => label,
            (_, None) => format!("@{word}"),
        };
    }
    let url = decode(target);
    match label {
        Some(label) if label != url => format!(
            "[{}]({})",
            label.replace(']', "\\]"),
            url.replace(')', "%29")
        ),
        _ => format!("<{url}>"),
    }
}

/// `&amp;`, `&lt;` and `&gt;`, the three escapes Slack writes, decoded.
fn decode(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Slack's `*bold*` and `~strike~` as Markdown's `**bold**` and `~~strike~~`,
/// outside code and outside `<...>` references. Linear in the text: the marks that
/// are open wait on a stack for their closing position, an inner pair is looked
/// for only up to the outer one's end, and a mark with no closer on its line is
/// not looked for again on that line.
fn emphasis(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut open: Vec<(usize, &'static str)> = Vec::new();
    // Per mark (`*`, `~`): an opener before this position finds no closer.
    let mut hopeless = [0usize; 2];
    let mut i = 0;
    while i < chars.len() {
        if let Some(&(at, mark)) = open.last() {
            if at == i {
                out.push_str(mark);
                open.pop();
                i += 1;
                continue;
            }
        }
        let limit = open.last().map_or(chars.len(), |(at, _)| *at);
        let c = chars[i];
        let stop = match c {
            '`' => {
                let fence = if chars[i..limit].starts_with(&['`', '`', '`']) {
                    3
                } else {
                    1
                };
                find_closing_ticks(&chars[..limit], i + fence, fence).map_or(limit, |e| e + fence)
            }
            '<' => chars[i..limit]
                .iter()
                .position(|&c| c == '>')
                .map_or(limit, |p| i + p + 1),
            '*' | '~' if opens(&chars, i) => {
                let which = usize::from(c == '~');
                let found = match i >= hopeless[which] {
                    true => closing(&chars, i, limit),
                    false => Err(hopeless[which]),
                };
                match found {
                    Ok(end) => {
                        let mark = if c == '*' { "**" } else { "~~" };
                        out.push_str(mark);
                        open.push((end, mark));
                    }
                    Err(stopped) => {
                        hopeless[which] = stopped;
                        out.push(c);
                    }
                }
                i += 1;
                continue;
            }
            _ => i + 1,
        };
        out.extend(&chars[i..stop]);
        i = stop;
    }
    out
}

fn find_closing_ticks(chars: &[char], from: usize, fence: usize) -> Option<usize> {
    let mut run = 0;
    for (j, &c) in chars.iter().enumerate().skip(from) {
        run = if c == '`' { run + 1 } else { 0 };
        if run == fence {
            return Some(j + 1 - fence);
        }
    }
    None
}

/// Whether the mark at `i` can open: at the start or after a space or punctuation,
/// and followed by something other than a space.
fn opens(chars: &[char], i: usize) -> bool {
    let before_ok = i == 0 || !chars[i - 1].is_alphanumeric();
    let after_ok = chars
        .get(i + 1)
        .is_some_and(|c| !c.is_whitespace() && *c != chars[i]);
    before_ok && after_ok
}

/// The matching mark before `limit` on the same line: after something other than a
/// space, and followed by the end, a space or punctuation. Code and `<...>` in
/// between are skipped. Without one, where the search stopped: no mark of the same
/// kind before there finds a closer either.
fn closing(chars: &[char], i: usize, limit: usize) -> Result<usize, usize> {
    let mark = chars[i];
    let mut j = i + 2;
    while j < limit {
        let c = chars[j];
        if c == '\n' {
            return Err(j);
        }
        if c == '<' || c == '`' {
            let end = if c == '<' { '>' } else { '`' };
            match chars[j + 1..limit].iter().position(|&x| x == end) {
                Some(p) => j += p + 2,
                None => return Err(j),
            }
            continue;
        }
        if c == mark
            && !chars[j - 1].is_whitespace()
            && chars.get(j + 1).is_none_or(|n| !n.is_alphanumeric())
        {
            return Ok(j);
        }
        j += 1;
    }
    Err(limit)
}

/// A Slack export, as a folder or a zip read in place.
enum Export {
    Folder(PathBuf),
    Zip {
        path: PathBuf,
        archive: Box<zip::ZipArchive<File>>,
        /// Entry names, to list a channel's day files without reading them.
        names: Vec<String>,
    },
}

impl Export {
    fn open(path: &Path) -> Result<Export, ImportError> {
        let not_export = |message: String| ImportError::NotExport {
            path: path.to_path_buf(),
            message,
        };
        if path.is_dir() {
            if !path.join("channels.json").is_file() && !path.join("groups.json").is_file() {
                return Err(not_export(
                    "not a Slack export: the folder has no channels.json".into(),
                ));
            }
            return Ok(Export::Folder(path.to_path_buf()));
        }
        let file = File::open(path).map_err(ImportError::io(path))?;
        let archive = zip::ZipArchive::new(file).map_err(|e| {
            not_export(format!(
                "not a Slack export: neither a folder nor a zip file ({e})"
            ))
        })?;
        let names: Vec<String> = archive.file_names().map(str::to_string).collect();
        if let Some(bad) = names.iter().find(|n| leaves_export(n)) {
            return Err(ImportError::UnsafeZipPath {
                zip: path.to_path_buf(),
                entry: bad.clone(),
            });
        }
        if !names
            .iter()
            .any(|n| n == "channels.json" || n == "groups.json")
        {
            return Err(not_export(
                "not a Slack export: the zip has no channels.json at its top".into(),
            ));
        }
        Ok(Export::Zip {
            path: path.to_path_buf(),
            archive: Box::new(archive),
            names,
        })
    }

    /// How errors name a file of the export.
    fn name(&self, rel: &str) -> String {
        match self {
            Export::Folder(root) => root.join(rel).display().to_string(),
            Export::Zip { path, .. } => format!("{}!{rel}", path.display()),
        }
    }

    /// The bytes of the export's file `rel`, or `None` when it has none.
    fn read(&mut self, rel: &str) -> Result<Option<Vec<u8>>, ImportError> {
        match self {
            Export::Folder(root) => {
                let path = root.join(rel);
                match std::fs::read(&path) {
                    Ok(bytes) => Ok(Some(bytes)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(ImportError::io(&path)(e)),
                }
            }
            Export::Zip { path, archive, .. } => {
                let file = match archive.by_name(rel) {
                    Ok(file) => file,
                    Err(zip::result::ZipError::FileNotFound) => return Ok(None),
                    Err(e) => {
                        return Err(ImportError::Malformed {
                            at: format!("{}!{rel}", path.display()),
                            message: format!("cannot read it from the zip: {e}"),
                        })
                    }
                };
                let mut bytes = Vec::with_capacity(file.size().min(MAX_FILE_BYTES) as usize);
                let read = file
                    .take(MAX_FILE_BYTES + 1)
                    .read_to_end(&mut bytes)
                    .map_err(|e| ImportError::Malformed {
                        at: format!("{}!{rel}", path.display()),
                        message: format!("cannot read it from the zip: {e}"),
                    })?;
                if read as u64 > MAX_FILE_BYTES {
                    return Err(ImportError::Malformed {
                        at: format!("{}!{rel}", path.display()),
                        message: format!(
                            "it unpacks to more than {} MiB, more than any file of a Slack export holds",
                            MAX_FILE_BYTES >> 20
                        ),
                    });
                }
                Ok(Some(bytes))
            }
        }
    }

    /// A JSON list file of the export's top (`channels.json`, `users.json`), empty
    /// when the export has none.
    fn list<T: for<'de> Deserialize<'de>>(&mut self, rel: &str) -> Result<Vec<T>, ImportError> {
        match self.read(rel)? {
            None => Ok(Vec::new()),
            Some(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| ImportError::json(&self.name(rel), &e))
            }
        }
    }

    /// Public and private channels.
    fn channels(&mut self) -> Result<Vec<Channel>, ImportError> {
        let mut channels: Vec<Channel> = self.list("channels.json")?;
        channels.extend(self.list::<Channel>("groups.json")?);
        Ok(channels)
    }

    /// Each user's id and name.
    fn users(&mut self) -> Result<HashMap<String, String>, ImportError> {
        let users: Vec<User> = self.list("users.json")?;
        Ok(users.iter().map(|u| (u.id.clone(), user_name(u))).collect())
    }

    /// The channel's day files (`NAME/YYYY-MM-DD.json`) with their days.
    fn day_files(&self, channel: &str) -> Result<Vec<(Date, String)>, ImportError> {
        let prefix = format!("{channel}/");
        let day_of = |file: &str| -> Option<Date> { file.strip_suffix(".json")?.parse().ok() };
        match self {
            Export::Folder(root) => {
                let dir = root.join(channel);
                let entries = match std::fs::read_dir(&dir) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(e) => return Err(ImportError::io(&dir)(e)),
                };
                Ok(entries
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        day_of(&name).map(|d| (d, format!("{prefix}{name}")))
                    })
                    .collect())
            }
            Export::Zip { names, .. } => Ok(names
                .iter()
                .filter_map(|n| {
                    let file = n.strip_prefix(&prefix)?;
                    day_of(file).map(|d| (d, n.clone()))
                })
                .collect()),
        }
    }
}

/// Whether a zip entry's name reaches outside the folder it would be extracted to:
/// absolute, with a drive letter, or with a `..` part.
fn leaves_export(name: &str) -> bool {
    name.starts_with('/')
        || name.starts_with('\\')
        || name.as_bytes().get(1) == Some(&b':')
        || name.split(['/', '\\']).any(|part| part == "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> (HashMap<String, String>, Vec<Channel>) {
        let users = HashMap::from([("U1".to_string(), "Ana Lima".to_string())]);
        let channels = vec![Channel {
            id: "C1".into(),
            name: "ops".into(),
        }];
        (users, channels)
    }

    fn md(text: &str) -> String {
        let (users, channels) = names();
        markdown(
            text,
            &Names {
                users: &users,
                channels: &channels,
            },
        )
    }

    #[test]
    fn markup_becomes_markdown() {
        assert_eq!(md("<@U1> look"), "@Ana Lima look");
        assert_eq!(md("<@U9|bob> hi"), "@bob hi");
        assert_eq!(md("see <#C1>, <#C2|general>"), "see #ops, #general");
        assert_eq!(
            md("<!channel> <!here> <!subteam^S1|@sre>"),
            "@channel @here @sre"
        );
        assert_eq!(
            md("<https://x.io/a?b=1&amp;c=2|the graph>"),
            "[the graph](https://x.io/a?b=1&c=2)"
        );
        assert_eq!(md("<https://x.io>"), "<https://x.io>");
        assert_eq!(md("a &lt; b &amp;&amp; c &gt; d"), "a < b && c > d");
        assert_eq!(
            md("*bold* _it_ ~gone~ `*code*`"),
            "**bold** _it_ ~~gone~~ `*code*`"
        );
        assert_eq!(md("2*3*4 and * not"), "2*3*4 and * not");
        assert_eq!(
            md("*see <https://a.b/c_d*e|x*y>*"),
            "**see [x*y](https://a.b/c_d*e)**"
        );
        assert_eq!(md("```\n*raw*\n```"), "```\n*raw*\n```");
    }

    #[test]
    fn marks_without_closers_stay_as_they_are() {
        // Each of these once took quadratic time; the text must come back unchanged.
        for text in [
            "*a ".repeat(20_000),
            format!("*b {}b*", "*a ".repeat(20_000)),
            "~x ".repeat(20_000) + &"*".repeat(20_000),
            "`".repeat(30_000),
        ] {
            let expected = text.replacen("*b ", "**b ", 1).replacen("b*", "b**", 1);
            assert_eq!(md(&text), expected);
        }
    }

    #[test]
    fn zip_paths_that_leave() {
        assert!(leaves_export("../x.json"));
        assert!(leaves_export("a/../../x"));
        assert!(leaves_export("/etc/passwd"));
        assert!(leaves_export("C:\\x"));
        assert!(leaves_export("a\\..\\..\\x"));
        assert!(!leaves_export("ops/2024-09-18.json"));
        assert!(!leaves_export("a..b/c"));
    }
}
