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

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::highlight::Highlighter;
use super::markdown::Rendered;
use super::mentions::FindMentions;

/// What a render keeps for the next: code blocks always, record bodies when asked to.
pub struct RenderMemo {
    /// Every code block highlighted so far, by language and text.
    pub highlighter: Highlighter,
    /// `None` for a one-off build, which renders each body once.
    bodies: Option<Mutex<Bodies>>,
}

/// Record bodies by record file: those of the last render, and those the current
/// one has rendered or reused (the rest are forgotten when it ends).
#[derive(Default)]
struct Bodies {
    last: HashMap<PathBuf, KeptBody>,
    current: HashMap<PathBuf, KeptBody>,
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
        }
    }

    /// A memo for many renders of one archive (`casebook serve`).
    pub fn kept() -> RenderMemo {
        RenderMemo {
            highlighter: Highlighter::default(),
            bodies: Some(Mutex::default()),
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
        let lock = || bodies.lock().unwrap_or_else(|e| e.into_inner());
        let key = body_key(text, setting);
        let kept = lock().last.remove(path).filter(|kept| kept.key == key);
        if let Some(kept) = kept {
            let same = kept.asked.iter().all(|question| match question {
                Question::Resolve(url, answer) => resolve(url) == *answer,
                Question::Mentions(text, answer) => mentions(text) == *answer,
            });
            if same {
                let rendered = kept.rendered.clone();
                lock().current.insert(path.to_path_buf(), kept);
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
        lock().current.insert(
            path.to_path_buf(),
            KeptBody {
                key,
                asked: asked.into_inner(),
                rendered: rendered.clone(),
            },
        );
        rendered
    }

    /// Ends a render: bodies it did not render are forgotten.
    pub fn end_render(&self) {
        if let Some(bodies) = &self.bodies {
            let mut bodies = bodies.lock().unwrap_or_else(|e| e.into_inner());
            bodies.last = std::mem::take(&mut bodies.current);
        }
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
        memo.end_render();
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
}
