//! Answers one HTTP request from the site in memory (the server runs each request
//! on its own thread, so a long poll never holds up a page).
//!
//! `/__casebook/status` and `/__casebook/reload?since=GEN` answer with the
//! [`Status`](super::state::Status) as JSON (the second once the generation is
//! past `GEN`, or after [`LONG_POLL`]); `/__casebook/live.js` is the reload
//! script. Any other path is looked up among the site's files; HTML gets the
//! script and the errors banner, and an unknown path gets the site's `404.html`
//! with status 404.

use std::time::Duration;

use tiny_http::{Header, Method, Request, Response};

use super::live::{self, Problem};
use super::site::{content_type, Lookup, Served, ServedSite, NOT_FOUND_PAGE};
use super::state::{Live, Snapshot};

/// How long a reload request waits for a new generation before answering anyway.
pub const LONG_POLL: Duration = Duration::from_secs(25);

/// The folder of the server's own paths; no site file is served from it.
const OWN: &str = "/__casebook/";

/// A response before it is sent.
#[derive(Debug, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Where a redirect points.
    pub location: Option<String>,
}

impl Reply {
    fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            content_type,
            body: body.into(),
            location: None,
        }
    }

    fn json(snapshot: &Snapshot) -> Reply {
        let body = serde_json::to_vec(&snapshot.status()).unwrap_or_default();
        Reply::new(200, "application/json", body)
    }
}

/// Answers `request` and sends the answer; a client that went away is no error.
pub fn respond(request: Request, live: &Live) {
    let reply = match request.method() {
        Method::Get | Method::Head => answer(request.url(), live),
        _ => Reply::new(405, "text/plain; charset=utf-8", "only GET and HEAD\n"),
    };
    let mut response = Response::from_data(reply.body).with_status_code(reply.status);
    let headers = [
        ("Content-Type", Some(reply.content_type.to_string())),
        ("Cache-Control", Some("no-store".to_string())),
        ("Location", reply.location),
    ];
    for (name, value) in headers {
        if let Some(header) = value.and_then(|v| Header::from_bytes(name, v).ok()) {
            response.add_header(header);
        }
    }
    let _ = request.respond(response);
}

/// The reply to a GET of `url` (path and query).
pub fn answer(url: &str, live: &Live) -> Reply {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let path = path.split_once('#').map_or(path, |(path, _)| path);
    match path.strip_prefix(OWN) {
        Some("status") => Reply::json(&live.snapshot()),
        Some("reload") => match since(query) {
            Some(generation) => Reply::json(&live.wait_past(generation, LONG_POLL)),
            None => Reply::json(&live.snapshot()),
        },
        Some("live.js") => Reply::new(200, "text/javascript; charset=utf-8", live::SCRIPT),
        Some(_) => Reply::new(404, "text/plain; charset=utf-8", "not found\n"),
        None => page(path, &live.snapshot()),
    }
}

/// The `since` parameter of a reload request.
fn since(query: &str) -> Option<u64> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("since="))
        .and_then(|value| value.parse().ok())
}

/// A file of the site, or its 404 page.
fn page(path: &str, state: &Snapshot) -> Reply {
    match state.site.lookup(path) {
        Lookup::Found(key, served) => match read(served) {
            Some(bytes) => Reply::new(200, content_type(key), decorate(key, bytes, state)),
            None => not_found(state),
        },
        Lookup::Redirect(location) => Reply {
            location: Some(location),
            ..Reply::new(301, "text/plain; charset=utf-8", "moved\n")
        },
        Lookup::NotFound => not_found(state),
    }
}

/// The site's 404 page, or a stand-in before the first good build.
fn not_found(state: &Snapshot) -> Reply {
    let body = match state.site.get(NOT_FOUND_PAGE).and_then(read) {
        Some(bytes) => bytes,
        None => stand_in(&state.site, &state.problems).into_bytes(),
    };
    Reply::new(
        404,
        content_type(NOT_FOUND_PAGE),
        decorate(NOT_FOUND_PAGE, body, state),
    )
}

/// The page shown when the site has no 404 page: before the first build, or when
/// the first build failed.
fn stand_in(site: &ServedSite, problems: &[Problem]) -> String {
    let text = if !site.is_empty() {
        "There is no page at this address."
    } else if problems.is_empty() {
        "casebook is building the site; this page reloads when it is ready."
    } else {
        "casebook could not build the site yet; fix the errors below and save."
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>casebook serve</title></head>\
         <body><p>{text}</p></body></html>\n"
    )
}

/// The bytes of a site file: generated, or read from the archive now.
fn read(served: &Served) -> Option<Vec<u8>> {
    match served {
        Served::Bytes(bytes) => Some(bytes.clone()),
        Served::File(path) => std::fs::read(path).ok(),
    }
}

/// HTML pages get the reload script and the errors banner; other files are sent
/// as they are.
fn decorate(key: &str, bytes: Vec<u8>, state: &Snapshot) -> Vec<u8> {
    if content_type(key).starts_with("text/html") {
        live::inject(&bytes, state.generation, &state.problems)
    } else {
        bytes
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::output::serve::site::SiteSink;
    use crate::render::sink::{OutputFile, Sink};

    fn live_site() -> Live {
        let sink = SiteSink::default();
        sink.put(OutputFile::bytes("index.html", "<body>home</body>"))
            .expect("put");
        sink.put(OutputFile::bytes("404.html", "<body>lost</body>"))
            .expect("put");
        sink.put(OutputFile::bytes("a/index.html", "<body>a</body>"))
            .expect("put");
        sink.put(OutputFile::bytes("style.css", "body{}"))
            .expect("put");
        let live = Live::default();
        live.finish(Some(sink.finish()), Vec::new(), Duration::ZERO);
        live
    }

    fn text(reply: &Reply) -> &str {
        std::str::from_utf8(&reply.body).expect("UTF-8")
    }

    #[test]
    fn pages_get_the_script_and_other_files_do_not() {
        let live = live_site();
        let home = answer("/", &live);
        assert_eq!(
            (home.status, home.content_type),
            (200, "text/html; charset=utf-8")
        );
        assert!(text(&home).contains("data-generation=\"1\""));
        let css = answer("/style.css?v=2", &live);
        assert_eq!((css.status, text(&css)), (200, "body{}"));
    }

    #[test]
    fn unknown_paths_get_the_404_page() {
        let live = live_site();
        for path in ["/nope/", "/../etc/passwd", "/a/../../x", "/__casebook/nope"] {
            let reply = answer(path, &live);
            assert_eq!(reply.status, 404, "{path}");
        }
        let lost = answer("/nope/", &live);
        assert!(
            text(&lost).starts_with("<body>lost<script"),
            "{}",
            text(&lost)
        );
        let moved = answer("/a", &live);
        assert_eq!(
            (moved.status, moved.location.as_deref()),
            (301, Some("/a/"))
        );
    }

    #[test]
    fn before_the_first_build_a_stand_in_page_waits() {
        let live = Live::default();
        let reply = answer("/", &live);
        assert_eq!(reply.status, 404);
        assert!(text(&reply).contains("building the site"));
        assert!(text(&reply).contains("data-generation=\"0\""));
    }

    #[test]
    fn status_and_reload_answer_json() {
        let live = live_site();
        let status: serde_json::Value =
            serde_json::from_slice(&answer("/__casebook/status", &live).body).expect("JSON");
        assert_eq!(status["generation"], 1);
        assert_eq!(status["building"], false);
        assert_eq!(status["errors"], 0);
        let reload: serde_json::Value =
            serde_json::from_slice(&answer("/__casebook/reload?since=0", &live).body)
                .expect("JSON");
        assert_eq!(reload["generation"], 1);
        assert_eq!(since("a=1&since=42"), Some(42));
        assert_eq!(since("since=x"), None);
    }
}
