//! What a render may keep for the next one (`casebook serve` renders again on every
//! change): highlighted code blocks, and each record body's HTML with the trace of
//! every question its Markdown asked of the rest of the site.
//!
//! A body's HTML is a function of its text, the folder its links resolve against,
//! the page's depth, whether raw HTML is trusted, and the answers to two kinds of
//! question asked while it renders: where each relative link goes (which depends on
//! the archive's files and the records published) and which record ids its text
//! mentions (which depends on the records). The memo keeps the HTML under a hash of
//! the first four, with the questions in the order they were asked and their
//! answers. To reuse it, the questions are asked again in that order: if every
//! answer is the same, rendering again would ask the same questions and make the
//! same HTML, so the kept HTML is what a fresh render makes. The first different
//! answer stops the check and the body is rendered anew. Asking again also has the
//! side effects asking had (the files a link brings along are noted again), and
//! only those of questions the new render asks too, since it asks the same ones up
//! to that first difference.
//!
//! Pages are kept too: a page's bytes are a function of its template, the context
//! it renders with, and what every page shares (the compiled theme and the `site`
//! values: site.toml, today, profile, base URL). A page's values are first put
//! in a [`PageContext`] that only hashes them (each value's JSON, which is the
//! JSON of the Tera value it would become); the memo keeps each page's bytes under
//! that hash, its template, its path and [`SharedKey`], so a page whose inputs are
//! all the same is neither made into Tera's values nor rendered by Tera again.
//! The theme's filters and functions are pure, so nothing else reaches a page.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::highlight::Highlighter;
use super::markdown::Rendered;
use super::mentions::FindMentions;
use super::sink::Contents;

/// What a render keeps for the next: code blocks always, record bodies when asked to.
pub struct RenderMemo {
    /// Every code block highlighted so far, by language and text.
    pub highlighter: Highlighter,
    /// Record bodies by record file; `None` for a one-off build, which renders
    /// each body once.
    bodies: Option<Kept<PathBuf, KeptBody>>,
    /// Pages by output path; `None` for a one-off build, which renders each page
    /// once.
    pages: Option<Kept<String, KeptPage>>,
    /// Pages the current render took from the memo, for `--timings`.
    pages_reused: AtomicUsize,
}

/// One page's bytes and the hash of what made them.
struct KeptPage {
    key: u64,
    bytes: Arc<[u8]>,
}

/// A hash of what every page of one render shares: the theme's templates and the
/// `site` values in Tera's global context. Part of every page's key, so a change
/// to the theme, site.toml, today, the profile or the base URL renders every page
/// again.
#[derive(Clone, Copy)]
pub struct SharedKey(u64);

impl SharedKey {
    /// The key of a render with `theme_fingerprint` ([`crate::render::theme::Theme`]'s)
    /// and the global `site` values.
    pub fn new(theme_fingerprint: u64, site: &impl Serialize) -> SharedKey {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        theme_fingerprint.hash(&mut hasher);
        hash_json(&mut hasher, site);
        SharedKey(hasher.finish())
    }
}

/// What a page's template sees, put in by a page's `fill`: either hashed, to find
/// the page's key (the same values put in the same order make the same context),
/// or made into Tera's context to render it. A page whose key finds its kept bytes
/// never builds a Tera context: converting every value into Tera's values is most
/// of what a kept page would cost.
pub struct PageContext {
    mode: Mode,
}

enum Mode {
    Hashing(std::collections::hash_map::DefaultHasher),
    Filling(tera::Context),
}

impl PageContext {
    /// Puts `value` in the context as `key` (replacing an earlier one). Hashing
    /// feeds the value's own JSON, which is the JSON of the Tera value it becomes
    /// (the conversion is driven by the same serialization), so two values with
    /// the same hash become the same Tera value.
    pub fn insert<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        match &mut self.mode {
            Mode::Hashing(hasher) => {
                key.hash(hasher);
                hash_json(hasher, value);
            }
            Mode::Filling(context) => {
                context.insert_value(key, tera::Value::from_serializable(value));
            }
        }
    }

    /// Tera's context with what `fill` puts in.
    pub fn filled(fill: impl FnOnce(&mut PageContext)) -> tera::Context {
        let mut context = PageContext {
            mode: Mode::Filling(tera::Context::new()),
        };
        fill(&mut context);
        match context.mode {
            Mode::Filling(context) => context,
            Mode::Hashing(_) => tera::Context::new(),
        }
    }
}

/// Feeds `value`'s JSON to `hasher`. JSON is exact for what templates see
/// (strings escaped, numbers written so they read back the same), except that
/// it writes a float that is not finite as `null`; no view holds such a float.
fn hash_json(hasher: &mut impl Hasher, value: &(impl Serialize + ?Sized)) {
    // serde_json writes a token at a time, a few bytes each, and SipHash pays for
    // every call: the bytes go to the hasher in blocks of `BLOCK`. How the same JSON
    // is cut into blocks is always the same, so equal contexts hash the same.
    const BLOCK: usize = 8 * 1024;
    struct HashWriter<'a, H> {
        hasher: &'a mut H,
        block: Vec<u8>,
    }
    impl<H: Hasher> std::io::Write for HashWriter<'_, H> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.block.len() + buf.len() > BLOCK {
                self.flush()?;
            }
            if buf.len() >= BLOCK {
                self.hasher.write(buf);
            } else {
                self.block.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.hasher.write(&self.block);
            self.block.clear();
            Ok(())
        }
    }
    let mut writer = HashWriter {
        hasher,
        block: Vec::with_capacity(BLOCK),
    };
    // A hasher never fails to take bytes, and the views serialize without error
    // (Tera's own `from_serializable` made them); a failure would only leave the
    // hash shorter, never wrong for two equal contexts.
    let _ = serde_json::to_writer(&mut writer, value);
    let _ = std::io::Write::flush(&mut writer);
}

/// Things kept by name across renders: those of the last render, taken out as
/// the current one reuses them, and those the current one made or reused (the
/// rest are forgotten when it ends). Shared by the render's threads.
struct Kept<K, V> {
    renders: Mutex<(HashMap<K, V>, HashMap<K, V>)>,
}

impl<K: Eq + std::hash::Hash, V> Kept<K, V> {
    fn new() -> Kept<K, V> {
        Kept {
            renders: Mutex::new((HashMap::new(), HashMap::new())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (HashMap<K, V>, HashMap<K, V>)> {
        self.renders.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the last render kept under `name`, taken out.
    fn take_last<Q>(&self, name: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + std::hash::Hash + ?Sized,
    {
        self.lock().0.remove(name)
    }

    /// Keeps `value` under `name` for the next render.
    fn keep(&self, name: K, value: V) {
        self.lock().1.insert(name, value);
    }

    /// Ends a render: what it did not keep is forgotten.
    fn end(&self) {
        let mut renders = self.lock();
        renders.0 = std::mem::take(&mut renders.1);
    }
}

/// One body's HTML and what it was made from.
struct KeptBody {
    /// [`body_key`] of its text and setting.
    key: u64,
    /// The questions it asked while rendering, in order, with their answers.
    asked: Vec<Question>,
    rendered: Rendered,
}

/// One question a body's Markdown asked of the rest of the site.
enum Question {
    /// Where a relative link goes (`None`: the link is dropped).
    Resolve(String, Option<String>),
    /// The record ids a piece of text mentions: position, length and URL.
    Mentions(String, Vec<(usize, usize, String)>),
}

/// Where a body's links resolve and how it renders, besides its answers.
pub struct BodySetting<'a> {
    /// The folder relative links resolve against.
    pub folder: &'a Path,
    /// The body is a bundle's, whose files sit beside its page.
    pub in_bundle: bool,
    /// The way from the page back to the site root.
    pub root: &'a str,
    /// Raw HTML is kept as written (site.toml's `trusted_html`).
    pub trusted_html: bool,
}

/// A hash of everything a body's HTML depends on besides its answers.
fn body_key(text: &str, setting: &BodySetting<'_>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    setting.folder.hash(&mut hasher);
    setting.in_bundle.hash(&mut hasher);
    setting.root.hash(&mut hasher);
    setting.trusted_html.hash(&mut hasher);
    hasher.finish()
}

impl RenderMemo {
    /// A memo for one build: code blocks are shared by its threads, bodies are not kept.
    pub fn once() -> RenderMemo {
        RenderMemo {
            highlighter: Highlighter::default(),
            bodies: None,
            pages: None,
            pages_reused: AtomicUsize::new(0),
        }
    }

    /// A memo for many renders of one archive (`casebook serve`).
    pub fn kept() -> RenderMemo {
        RenderMemo {
            highlighter: Highlighter::default(),
            bodies: Some(Kept::new()),
            pages: Some(Kept::new()),
            pages_reused: AtomicUsize::new(0),
        }
    }

    /// The body of the record file `path`: the kept HTML when its text, setting
    /// and every answer are the same as last time, else `render` called with the
    /// questions it may ask (`resolve`, `mentions`).
    pub fn body(
        &self,
        path: &Path,
        text: &str,
        setting: &BodySetting<'_>,
        resolve: &dyn Fn(&str) -> Option<String>,
        mentions: &FindMentions<'_>,
        render: impl FnOnce(&dyn Fn(&str) -> Option<String>, &FindMentions<'_>) -> Rendered,
    ) -> Rendered {
        let Some(bodies) = &self.bodies else {
            return render(resolve, mentions);
        };
        let key = body_key(text, setting);
        let kept = bodies.take_last(path).filter(|kept| kept.key == key);
        if let Some(kept) = kept {
            let same = kept.asked.iter().all(|question| match question {
                Question::Resolve(url, answer) => resolve(url) == *answer,
                Question::Mentions(text, answer) => mentions(text) == *answer,
            });
            if same {
                let rendered = kept.rendered.clone();
                bodies.keep(path.to_path_buf(), kept);
                return rendered;
            }
        }
        let asked = std::cell::RefCell::new(Vec::new());
        let recording_resolve = |url: &str| {
            let answer = resolve(url);
            asked
                .borrow_mut()
                .push(Question::Resolve(url.to_string(), answer.clone()));
            answer
        };
        let recording_mentions = |text: &str| {
            let answer = mentions(text);
            asked
                .borrow_mut()
                .push(Question::Mentions(text.to_string(), answer.clone()));
            answer
        };
        let rendered = render(&recording_resolve, &recording_mentions);
        bodies.keep(
            path.to_path_buf(),
            KeptBody {
                key,
                asked: asked.into_inner(),
                rendered: rendered.clone(),
            },
        );
        rendered
    }

    /// Ends the records' part of a render: bodies it did not render are forgotten.
    pub fn end_bodies(&self) {
        if let Some(bodies) = &self.bodies {
            bodies.end();
        }
    }

    /// The page at `path` with the key `key` ([`RenderMemo::page_key`]): its kept
    /// bytes when it had that key last time, else what `render` makes (kept for
    /// next time when this memo keeps pages).
    pub fn page<E>(
        &self,
        path: &str,
        key: Option<u64>,
        render: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<Contents, E> {
        let (Some(pages), Some(key)) = (&self.pages, key) else {
            return render().map(Contents::Bytes);
        };
        let kept = pages.take_last(path).filter(|kept| kept.key == key);
        let bytes: Arc<[u8]> = match kept {
            Some(kept) => {
                self.pages_reused.fetch_add(1, Ordering::Relaxed);
                kept.bytes
            }
            None => render()?.into(),
        };
        pages.keep(
            path.to_string(),
            KeptPage {
                key,
                bytes: Arc::clone(&bytes),
            },
        );
        Ok(Contents::Shared(bytes))
    }

    /// The key of the page at `path` rendered from `template` in a render of
    /// `site`, with what `fill` puts in its context; `None` when this memo keeps
    /// no pages (then nothing is hashed).
    pub fn page_key(
        &self,
        site: SharedKey,
        template: &str,
        path: &str,
        fill: impl FnOnce(&mut PageContext),
    ) -> Option<u64> {
        self.pages.as_ref()?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        site.0.hash(&mut hasher);
        template.hash(&mut hasher);
        path.hash(&mut hasher);
        let mut context = PageContext {
            mode: Mode::Hashing(hasher),
        };
        fill(&mut context);
        match context.mode {
            Mode::Hashing(hasher) => Some(hasher.finish()),
            Mode::Filling(_) => None,
        }
    }

    /// Ends a render: pages it did not make are forgotten. Returns how many
    /// pages it took from the memo.
    pub fn end_pages(&self) -> usize {
        if let Some(pages) = &self.pages {
            pages.end();
        }
        self.pages_reused.swap(0, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn setting() -> BodySetting<'static> {
        BodySetting {
            folder: Path::new("content/incidents"),
            in_bundle: false,
            root: "../../",
            trusted_html: false,
        }
    }

    /// Renders `text` through `memo` with these answers; counts real renders.
    fn render(memo: &RenderMemo, text: &str, link: Option<&str>, renders: &Cell<usize>) -> String {
        let resolve = |_: &str| link.map(str::to_string);
        let mentions = |_: &str| Vec::new();
        let rendered = memo.body(
            Path::new("a.md"),
            text,
            &setting(),
            &resolve,
            &mentions,
            |resolve, mentions| {
                renders.set(renders.get() + 1);
                mentions(text);
                Rendered {
                    html: format!("{text} -> {:?}", resolve("x.png")),
                    toc: Vec::new(),
                }
            },
        );
        memo.end_bodies();
        rendered.html
    }

    #[test]
    fn a_body_is_reused_only_while_its_text_and_every_answer_are_the_same() {
        let memo = RenderMemo::kept();
        let renders = Cell::new(0);
        let first = render(&memo, "body", Some("files/x.png"), &renders);
        assert_eq!(render(&memo, "body", Some("files/x.png"), &renders), first);
        assert_eq!(renders.get(), 1, "the same body is rendered once");
        assert_ne!(render(&memo, "body", None, &renders), first);
        assert_eq!(renders.get(), 2, "a different answer renders anew");
        render(&memo, "edited", None, &renders);
        assert_eq!(renders.get(), 3, "a different text renders anew");
    }

    #[test]
    fn a_one_off_memo_keeps_no_body() {
        let memo = RenderMemo::once();
        let renders = Cell::new(0);
        render(&memo, "body", None, &renders);
        render(&memo, "body", None, &renders);
        assert_eq!(renders.get(), 2);
    }

    /// Renders a page at `a/index.html` whose context holds `value`, in a render
    /// whose shared inputs are `theme`; counts real renders.
    fn page(memo: &RenderMemo, theme: u64, value: &str, renders: &Cell<usize>) -> Vec<u8> {
        let fill = |context: &mut PageContext| context.insert("value", value);
        let key = memo.page_key(
            SharedKey::new(theme, &"site"),
            "t.html",
            "a/index.html",
            fill,
        );
        let page = memo.page("a/index.html", key, || {
            renders.set(renders.get() + 1);
            let context = PageContext::filled(fill);
            let seen = context
                .get("value")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            Ok::<_, ()>(seen.as_bytes().to_vec())
        });
        memo.end_pages();
        match page {
            Ok(Contents::Shared(bytes)) => bytes.to_vec(),
            other => panic!("a kept page is shared: {other:?}"),
        }
    }

    #[test]
    fn a_page_is_reused_only_while_its_context_and_shared_inputs_are_the_same() {
        let memo = RenderMemo::kept();
        let renders = Cell::new(0);
        assert_eq!(page(&memo, 1, "x", &renders), b"x");
        assert_eq!(page(&memo, 1, "x", &renders), b"x");
        assert_eq!(renders.get(), 1, "the same page is rendered once");
        assert_eq!(page(&memo, 1, "y", &renders), b"y");
        assert_eq!(renders.get(), 2, "a different value renders anew");
        page(&memo, 2, "y", &renders);
        assert_eq!(renders.get(), 3, "a different theme or site renders anew");
        assert_eq!(
            RenderMemo::once().page_key(SharedKey::new(1, &"site"), "t.html", "a", |_| {}),
            None
        );
    }
}
