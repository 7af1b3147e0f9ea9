//! Answers HTTP requests from the site in memory, with axum on a small `tokio`
//! runtime: a waiting reload request is a future, not a thread, so any number of
//! open pages costs no threads, and a page is never held up by them.
//!
//! `/__casebook/status` and `/__casebook/reload?since=GEN` answer with the
//! [`Status`](super::state::Status) as JSON (the second once the generation is
//! past `GEN`, or after [`LONG_POLL`]); `/__casebook/live.js` is the reload
//! script. Any other path is looked up among the site's files; HTML gets the
//! script and the errors banner, and an unknown path gets the site's `404.html`
//! with status 404.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, Method, Request, Response, StatusCode};

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

/// The server: every path goes to [`respond`].
pub fn router(live: Arc<Live>) -> axum::Router {
    axum::Router::new().fallback(respond).with_state(live)
}

/// Answers one request. A reload request waits (as a future) for the next
/// generation; anything else is answered on the blocking pool, as a page may be
/// read from the archive. A client that goes away mid-answer only drops its
/// connection.
async fn respond(State(live): State<Arc<Live>>, request: Request<Body>) -> Response<Body> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return Reply::new(405, "text/plain; charset=utf-8", "only GET and HEAD\n").into_response();
    }
    let url = request
        .uri()
        .path_and_query()
        .map_or("/", |target| target.as_str())
        .to_string();
    let reply = match waits(&url) {
        Some(since) => Reply::json(&live.wait_past(since, LONG_POLL).await),
        None => tokio::task::spawn_blocking(move || answer(&url, &live))
            .await
            .unwrap_or_else(|_| {
                Reply::new(
                    500,
                    "text/plain; charset=utf-8",
                    "casebook failed while answering (a bug; the message is above)\n",
                )
            }),
    };
    reply.into_response()
}

/// The generation a reload request (`/__casebook/reload?since=N`) waits to pass.
fn waits(url: &str) -> Option<u64> {
    let (path, query) = url.split_once('?')?;
    (path.strip_prefix(OWN) == Some("reload"))
        .then(|| since(query))
        .flatten()
}

impl Reply {
    /// The HTTP response, with `Cache-Control: no-store`.
    fn into_response(self) -> Response<Body> {
        let mut response = Response::builder()
            .status(StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
            .header(header::CONTENT_TYPE, self.content_type)
            .header(header::CACHE_CONTROL, "no-store");
        if let Some(location) = self.location {
            response = response.header(header::LOCATION, location);
        }
        response
            .body(Body::from(self.body))
            .unwrap_or_else(|_| Response::new(Body::empty()))
    }
}

/// The reply to a GET of `url` (path and query) that does not wait: a reload
/// request gets the current state (the server waits before calling this when the
/// generation is still the one asked about).
pub fn answer(url: &str, live: &Live) -> Reply {
    let (path, _) = url.split_once('?').unwrap_or((url, ""));
    let path = path.split_once('#').map_or(path, |(path, _)| path);
    match path.strip_prefix(OWN) {
        Some("status") | Some("reload") => Reply::json(&live.snapshot()),
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
        Served::Bytes(bytes) => Some(bytes.to_vec()),
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
        assert_eq!(waits("/__casebook/reload?since=7"), Some(7));
        assert_eq!(waits("/__casebook/reload"), None);
        assert_eq!(waits("/__casebook/status?since=7"), None);
    }
}
