//! The search page in a real headless browser (Debian's `chromium` and
//! `chromium-driver`, which `.ci/run` installs), driven over WebDriver.
//!
//! The test builds the demo archive with the real binary, serves the site from a
//! small static HTTP server on 127.0.0.1 under a sub-path (`/pm/`, as a site with
//! `base_url = "https://example.com/pm/"` is served), and checks what a person
//! sees: a query finds the expected record first, a facet narrows the list and
//! changes the counts, a query without a match says so, the keyboard opens a result,
//! the address carries the search, nothing is logged to the console, and the page
//! stays within its download budget.
//!
//! A second test opens a page of `casebook serve` and checks that it reloads by
//! itself after an edit, shows the errors banner while a record is broken and
//! drops it once fixed, again without a console error.
//!
//! A third runs axe-core (the npm package `axe-core`, which `.ci/run` installs
//! into `target/axe/`) on every kind of page, in the light and the dark scheme,
//! and asserts no WCAG 2.1 A or AA violation; then, at a phone's 390 px, it checks
//! that the search shows its first result in the first screen, that every chart
//! label renders at 11 px or more, and that wide tables keep their title column.
//!
//! A fourth opens the built demo straight from disk (file://), as a downloaded CI
//! artifact is looked at: a header link opens its page rather than a folder
//! listing, and the search, fed by the index's script twins, finds a record whose
//! result link opens the record's page.
//!
//! Without chromium, chromedriver or axe-core the tests fail and say how to
//! install them; `CASEBOOK_SKIP_BROWSER=1` skips them instead.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;

/// The path the site is served under, as a `base_url` with a sub-path would be.
const PREFIX: &str = "/pm/";
/// What a first query may download, all files of the page included (docs/search.md).
const FIRST_QUERY_BUDGET: u64 = 150 * 1024;

/// A static file server on a free loopback port; records every response's size.
struct Server {
    port: u16,
    served: Arc<Mutex<Vec<(String, u64)>>>,
}

fn serve(root: PathBuf) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("local address").port();
    let served = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&served);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = respond(stream, &root, &log);
        }
    });
    Server { port, served }
}

fn respond(
    mut stream: TcpStream,
    root: &Path,
    log: &Mutex<Vec<(String, u64)>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
    }
    let target = request.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let file = path
        .strip_prefix(PREFIX)
        .filter(|rest| !rest.split('/').any(|s| s == ".."))
        .map(|rest| root.join(rest))
        .map(|p| if p.is_dir() { p.join("index.html") } else { p });
    let (status, body, kind) = match file.as_ref().and_then(|f| std::fs::read(f).ok()) {
        Some(body) => {
            let kind = match file
                .as_ref()
                .and_then(|f| f.extension())
                .and_then(|e| e.to_str())
            {
                Some("html") => "text/html; charset=utf-8",
                Some("css") => "text/css",
                Some("js") => "text/javascript",
                Some("json") => "application/json",
                Some("svg") => "image/svg+xml",
                _ => "application/octet-stream",
            };
            ("200 OK", body, kind)
        }
        None => ("404 Not Found", b"not found".to_vec(), "text/plain"),
    };
    log.lock()
        .expect("log")
        .push((path.to_string(), body.len() as u64));
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)
}

/// A WebDriver session with headless chromium, ended when dropped.
/// One browser at a time: two headless Chromiums, one of them running axe-core on
/// every page, starve the other's chromedriver calls into errors on two cores.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
    _profile: tempfile::TempDir,
    /// Held while this browser lives; dropped after it has quit.
    _turn: MutexGuard<'static, ()>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn found(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Browser {
    /// Starts chromedriver and a headless chromium; `None` when skipping is allowed.
    fn start() -> Option<Browser> {
        if !found("chromium") || !found("chromedriver") {
            if std::env::var("CASEBOOK_SKIP_BROWSER").is_ok_and(|v| v == "1") {
                eprintln!("skipping the browser test: CASEBOOK_SKIP_BROWSER=1");
                return None;
            }
            panic!(
                "the search page's browser test needs Debian's chromium and chromedriver: \
                 `apt-get install chromium chromium-driver` (.ci/run does), \
                 or set CASEBOOK_SKIP_BROWSER=1 to skip it"
            );
        }
        let turn = ONE_BROWSER
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while agent.get(format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-dev-shm-usage".to_string(),
            "--no-first-run".to_string(),
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--disable-sync".to_string(),
            "--window-size=1200,900".to_string(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
            agent,
            _profile: profile,
            _turn: turn,
        };
        let created = browser.call(
            "POST",
            "/session",
            json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args},
                "goog:loggingPrefs": {"browser": "ALL"},
            }}}),
        );
        browser.session = created["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        Some(browser)
    }

    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let response = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self.agent.post(&url).send_json(&body),
        };
        let value: Value = response
            .unwrap_or_else(|error| panic!("WebDriver {method} {path}: {error}"))
            .body_mut()
            .read_json()
            .expect("WebDriver JSON");
        let value = value["value"].clone();
        if let Some(error) = value.get("error") {
            panic!("WebDriver {method} {path}: {error}: {}", value["message"]);
        }
        value
    }

    fn session(&self, method: &str, path: &str, body: Value) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    fn open(&self, url: &str) {
        self.session("POST", "/url", json!({ "url": url }));
    }

    /// Runs a DevTools command: emulating a colour scheme or a screen size.
    fn devtools(&self, cmd: &str, params: Value) {
        self.session(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": cmd, "params": params}),
        );
    }

    fn script(&self, script: &str) -> Value {
        self.session(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
    }

    fn element(&self, css: &str) -> String {
        let found = self.session(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("an element reference")
            .to_string()
    }

    fn type_text(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.session(
            "POST",
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        );
    }

    fn click(&self, css: &str) {
        let id = self.element(css);
        self.session("POST", &format!("/element/{id}/click"), json!({}));
    }

    /// Waits until `script` returns a truthy value, and returns it.
    fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let value = self.script(script);
            if !(value.is_null() || value == json!(false) || value == json!("")) {
                return value;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Console messages at level SEVERE (errors, failed loads), except the
    /// browser's own request for `/favicon.ico`, which no page asked for.
    fn console_errors(&self) -> Vec<String> {
        let logs = self.session("POST", "/se/log", json!({"type": "browser"}));
        logs.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .filter(|e| {
                !e["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("/favicon.ico ")
            })
            .map(|e| e["message"].to_string())
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.base, self.session);
            let _ = self.agent.delete(&url).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Builds the demo archive into a temporary folder.
fn build_demo() -> tempfile::TempDir {
    let out = tempfile::tempdir().expect("temp dir");
    let site = out.path().join("site");
    let status = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .args(["build", "--quiet", "--today", "2026-10-31", "--base-url"])
        .arg("https://incidents.example.com/pm/")
        .arg("--root")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .arg("--output")
        .arg(&site)
        .stderr(Stdio::null())
        .status()
        .expect("run casebook build");
    assert!(status.success(), "casebook build failed");
    out
}

/// The page's address and its first heading, once the address ends in `suffix`.
fn page_at(browser: &Browser, suffix: &str) -> (String, String) {
    let script = format!(
        "return location.href.endsWith({suffix}) && document.readyState === 'complete' \
         ? [location.href, (document.querySelector('h1') || {{}}).textContent || ''] : '';",
        suffix = json!(suffix)
    );
    let found = browser.wait_for(&format!("a page at …{suffix}"), &script);
    serde_json::from_value(found).expect("address and heading")
}

#[test]
fn the_site_works_opened_from_disk() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let out = build_demo();
    let site = out.path().join("site");
    let home = format!("file://{}", site.join("index.html").display());
    browser.open(&home);
    page_at(&browser, "/index.html");

    // A header link names the folder's page: not a listing of the folder.
    browser.click(".site-nav li:nth-child(2) a");
    let (url, heading) = page_at(&browser, "/incidents/index.html");
    assert_eq!(heading, "All incidents", "{url}");

    // The header's search form goes to the search page's file, which loads its
    // index through script tags and lists what matches.
    browser.type_text("#search-q", "expired certificate");
    browser.click(".search-form button");
    let (url, _) = page_at(&browser, "/search/index.html?q=expired+certificate");
    let status = status_for(&browser, "expired certificate");
    assert!(status.contains("match"), "{url}: {status}");
    let found = titles(&browser);
    assert_eq!(
        found.first().map(String::as_str),
        Some("Expired TLS certificate on the API edge hostnames")
    );

    // The header's box on the search page searches there too, with best match.
    browser.type_text("#search-q", " quokka");
    let status = status_for(&browser, "expired certificate quokka");
    assert!(status.starts_with("No record has all of"), "{status}");

    // A result's link opens the record's page.
    browser.click(".search-result-title");
    let (url, heading) = page_at(&browser, "/index.html");
    assert!(url.contains("/incidents/"), "{url}");
    assert_eq!(heading, "Expired TLS certificate on the API edge hostnames");
    let errors = browser.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

/// The status line once the search for `query` has finished: the status is
/// written at once, and its results follow when their data has loaded.
fn status_for(browser: &Browser, query: &str) -> String {
    let script = format!(
        "var s = document.querySelector('[data-status]').textContent; \
         var shown = document.querySelectorAll('.search-result').length > 0 || s.indexOf('No results') === 0; \
         return s.indexOf({q}) >= 0 && shown && document.querySelector('#search-input').value === {raw} ? s : '';",
        q = json!(format!("“{query}”")),
        raw = json!(query),
    );
    browser
        .wait_for(&format!("results for {query}"), &script)
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn titles(browser: &Browser) -> Vec<String> {
    let value = browser.script(
        "return Array.from(document.querySelectorAll('.search-result-title')).map(a => a.textContent);",
    );
    serde_json::from_value(value).expect("titles")
}

/// Counts shown next to each value of facet `name`.
fn facet_counts(browser: &Browser, name: &str) -> Vec<(String, u64)> {
    let value = browser.script(&format!(
        "return Array.from(document.querySelectorAll('input[name={name}]')).map(c => \
         [c.value, Number(c.parentNode.querySelector('.facet-count').textContent)]);"
    ));
    serde_json::from_value(value).expect("facet counts")
}

fn clear(browser: &Browser) {
    browser.script("var i = document.querySelector('#search-input'); i.value = ''; i.dispatchEvent(new Event('input'));");
}

#[test]
fn search_page_in_a_headless_browser() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let out = build_demo();
    let server = serve(out.path().join("site"));
    let page = format!("http://127.0.0.1:{}{PREFIX}search/", server.port);

    // With no words, the page lists every published record, newest first.
    browser.open(&page);
    let status = browser.wait_for(
        "the index to load",
        "return document.querySelector('#search-app.search-ready') && document.querySelectorAll('.search-result').length ? document.querySelector('[data-status]').textContent : '';",
    );
    assert!(
        status
            .as_str()
            .unwrap_or_default()
            .starts_with("13 incidents"),
        "{status}"
    );
    // A draft and a record in review are listed too, each marked in words.
    let marked = browser.script(
        "return Array.from(document.querySelectorAll('.search-result')).filter(r => r.querySelector('.review-unapproved')).map(r => r.querySelector('.search-result-id').textContent + ' ' + r.querySelector('.review-unapproved').textContent);",
    );
    let mut marked: Vec<String> = serde_json::from_value(marked).expect("marked results");
    marked.sort();
    assert_eq!(
        marked,
        ["INC-2026-0823 In review", "INC-2026-1029 Draft"],
        "results marked as not approved"
    );

    // A query, typed: the expected record comes first, matched words marked.
    browser.script("performance.clearResourceTimings();");
    let served_before = server.served.lock().expect("log").len();
    browser.type_text("#search-input", "expired certificate");
    let status = status_for(&browser, "expired certificate");
    assert!(status.contains("match"), "{status}");
    let found = titles(&browser);
    assert_eq!(
        found[0],
        "Expired TLS certificate on the API edge hostnames"
    );
    let marks = browser.script(
        "return Array.from(document.querySelectorAll('.search-result')[0].querySelectorAll('mark')).map(m => m.textContent.toLowerCase());",
    );
    let marks: Vec<String> = serde_json::from_value(marks).expect("marks");
    assert!(
        marks.contains(&"expired".to_string()) && marks.contains(&"certificate".to_string()),
        "{marks:?}"
    );

    // What the query downloaded, measured by the browser and by the server.
    let fetched = browser.script(
        "return performance.getEntriesByType('resource').reduce((n, e) => n + e.transferSize, 0);",
    );
    let served: u64 = server.served.lock().expect("log")[served_before..]
        .iter()
        .map(|(_, bytes)| bytes)
        .sum();
    let page_total: u64 = server
        .served
        .lock()
        .expect("log")
        .iter()
        .map(|(_, b)| b)
        .sum();
    eprintln!("first page load and query: {page_total} bytes served; the query alone: {served} bytes (browser: {fetched})");
    assert!(page_total <= FIRST_QUERY_BUDGET, "{page_total} bytes");

    // Stemming: another form of a word finds the record.
    clear(&browser);
    browser.type_text("#search-input", "certificates expiring");
    status_for(&browser, "certificates expiring");
    assert_eq!(
        titles(&browser)[0],
        "Expired TLS certificate on the API edge hostnames"
    );

    // Prefix matching as the user types: a partial word already finds records.
    clear(&browser);
    browser.type_text("#search-input", "connec");
    let status = status_for(&browser, "connec");
    assert!(status.contains("match"), "{status}");
    let partial = titles(&browser);
    assert!(
        partial.iter().any(|t| t.contains("connection")),
        "{partial:?}"
    );

    // A quoted phrase matches only where the words stand together.
    clear(&browser);
    browser.type_text("#search-input", "\"connection pool\"");
    status_for(&browser, "\"connection pool\"");
    let phrase = titles(&browser);
    clear(&browser);
    browser.type_text("#search-input", "connection pool");
    status_for(&browser, "connection pool");
    let words = titles(&browser);
    assert!(
        !phrase.is_empty() && phrase.len() <= words.len(),
        "{phrase:?} {words:?}"
    );
    assert!(phrase.contains(&"Database connection pool exhaustion".to_string()));

    // A facet narrows the list; the other facets' counts follow; the address says so.
    let before = titles(&browser).len();
    let services_before = facet_counts(&browser, "service");
    browser.click("input[name=severity][value=SEV1]");
    // The status is written at once; the results follow when their data has loaded.
    browser.wait_for(
        "the severity filter",
        "return document.querySelector('[data-status]').textContent.indexOf('(filtered)') >= 0 \
         && document.querySelectorAll('.search-result-title').length > 0;",
    );
    let after = titles(&browser).len();
    let services_after = facet_counts(&browser, "service");
    assert!(after > 0 && after < before, "{before} -> {after}");
    assert_ne!(services_before, services_after);
    let url = browser.script("return location.search;");
    assert_eq!(url, json!("?q=connection+pool&severity=SEV1"));

    // The address restores the search.
    browser.open(&format!("{page}?q=connection+pool&severity=SEV1"));
    browser.wait_for(
        "the shared search",
        "return document.querySelector('[data-status]').textContent.indexOf('(filtered)') >= 0 \
         && document.querySelectorAll('.search-result-title').length > 0;",
    );
    assert_eq!(titles(&browser).len(), after);
    let checked = browser
        .script("return document.querySelector('input[name=severity][value=SEV1]').checked;");
    assert_eq!(checked, json!(true));

    // A query without a match says so.
    browser.click("input[name=severity][value=SEV1]");
    clear(&browser);
    browser.type_text("#search-input", "zeppelin quokka");
    let status = status_for(&browser, "zeppelin quokka");
    assert_eq!(status, "No results for “zeppelin quokka”.");
    assert!(titles(&browser).is_empty());

    // Best match: one word no record holds. The expected record still comes
    // first; the status names the word, struck through, and so does the result.
    clear(&browser);
    browser.type_text("#search-input", "expired certificate quokka");
    let status = status_for(&browser, "expired certificate quokka");
    assert!(
        status.starts_with("No record has all of “expired certificate quokka” — showing"),
        "{status}"
    );
    assert_eq!(
        titles(&browser)[0],
        "Expired TLS certificate on the API edge hostnames"
    );
    let struck = browser.script(
        "return [Array.from(document.querySelectorAll('[data-status] s')).map(s => s.textContent),          document.querySelector('.search-result .search-result-missing').textContent,          document.querySelectorAll('.search-result')[0].querySelectorAll('.search-result-missing s').length];",
    );
    assert_eq!(struck, json!([["quokka"], "Missing: quokka", 1]));

    // A query's words land as text, never as markup.
    clear(&browser);
    browser.type_text("#search-input", "certificate <img src=x onerror=alert(1)>");
    status_for(&browser, "certificate <img src=x onerror=alert(1)>");
    let injected = browser.script("return document.querySelectorAll('#search-app img').length;");
    assert_eq!(injected, json!(0));

    // A quoted phrase stays strict: words that occur, but never side by side, find
    // nothing; beside other words, every result still holds the phrase.
    clear(&browser);
    browser.type_text("#search-input", "\"expired pool\"");
    let status = status_for(&browser, "\"expired pool\"");
    assert_eq!(status, "No results for “\"expired pool\"”.");
    clear(&browser);
    browser.type_text("#search-input", "\"connection pool\" kafka");
    status_for(&browser, "\"connection pool\" kafka");
    let loose = titles(&browser);
    assert!(
        !loose.is_empty() && loose.iter().all(|t| phrase.contains(t)),
        "{loose:?} {phrase:?}"
    );

    // The header's search box and the page's box are one.
    clear(&browser);
    browser.type_text("#search-q", "kafka lag");
    let status = status_for(&browser, "kafka lag");
    assert!(status.contains("match"), "{status}");
    browser.type_text("#search-input", "s");
    status_for(&browser, "kafka lags");
    let header = browser.script("return document.querySelector('#search-q').value;");
    assert_eq!(header, json!("kafka lags"));

    // The ranking itself: every word first, then more words before fewer, a
    // quoted phrase required, and what each result lacks.
    let ranked = browser.script(
        "var rank = window.casebookSearch.rankMatches; \
         var words = [{terms: ['a'], word: 'a'}, {terms: ['b'], word: 'b'}, {terms: ['c'], word: 'c'}]; \
         var r = rank(words, [new Map([[1, 1], [2, 1], [3, 1.5]]), new Map([[1, 1], [2, 1]]), \
                              new Map([[1, 1]])]); \
         var order = Array.from(r.scores.keys()).sort(r.compare); \
         var p = rank([{terms: ['a'], word: 'a'}, {phrase: [{term: 'b', pos: 0}, {term: 'c', pos: 1}]}], \
                      [new Map([[1, 1], [2, 1]]), new Map([[2, 1], [5, 1]])]); \
         var none = rank([{terms: ['a'], word: 'a'}, {terms: ['z'], word: 'z'}], [new Map([[7, 1]]), new Map()]); \
         return [order, Array.from(r.full), r.missing.get(3), r.unmatched, \
                 Array.from(p.scores.keys()).sort(p.compare), p.missing.get(5), none.unmatched];",
    );
    assert_eq!(
        ranked,
        json!([[1, 2, 3], [1], [1, 2], [], [2, 5], [0], [1]])
    );

    // The keyboard: arrow down to the first result, Enter opens it.
    clear(&browser);
    browser.type_text("#search-input", "kafka");
    status_for(&browser, "kafka");
    let first = browser.script("return document.querySelector('.search-result a').href;");
    browser.type_text("#search-input", "\u{E015}\u{E007}");
    let opened = browser.wait_for(
        "the result page",
        "return location.pathname.indexOf('/incidents/') >= 0 ? location.href : '';",
    );
    assert_eq!(opened, first);

    // The page cuts and stems text exactly as the index writer does.
    browser.open(&page);
    browser.wait_for(
        "the index to load",
        "return document.querySelector('#search-app.search-ready') !== null;",
    );
    let samples = texts_to_compare();
    let in_page = browser.session(
        "POST",
        "/execute/sync",
        json!({
            "script": "var s = window.casebookSearch; return arguments[0].map(function (text) { \
                var out = []; s.scan(text, function (w, p, c) { var t = s.termOf(w, c); \
                if (t !== null) out.push(t); }); return out; });",
            "args": [samples],
        }),
    );
    let in_page: Vec<Vec<String>> = serde_json::from_value(in_page).expect("terms");
    for (text, page_terms) in samples.iter().zip(&in_page) {
        assert_eq!(page_terms, &rust_terms(text), "terms of {text:?}");
    }

    let errors = browser.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

/// The index writer's terms of `text`.
fn rust_terms(text: &str) -> Vec<String> {
    let stemmer = casebook::search::text::stemmer();
    let mut out = Vec::new();
    casebook::search::text::for_each_word(text, 0, |word, _, kind| {
        if let Some(term) = casebook::search::text::term(&stemmer, word, kind) {
            out.push(term.into_owned());
        }
    });
    out
}

/// Tricky strings, and every paragraph of the demo archive's records.
fn texts_to_compare() -> Vec<String> {
    let mut texts: Vec<String> = [
        "Database CONNECTION-pool: exhausted! connections connected connecting",
        "INC-2024-0918 eu-west-1 v2.4.1 2024-09-18 api-gateway a-1 x.y.z 10.0.0.1",
        "Ünïcode ΣΊΣΥΦΟΣ naïve café İstanbul straße ǅ Ⅻ ½ ٣ 東京 k8s",
        "generously communism arsenal skies dying gently proceeded herring agreed hopping",
        "the root cause of the outage was not the cache; it was   down",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("content/incidents");
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dirs = vec![content];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("content").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md" || e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("record");
        texts.extend(text.split("\n\n").map(str::to_string));
    }
    texts
}

#[test]
fn served_pages_reload_after_a_change_and_show_errors() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let archive = common::TestArchive::new();
    let record = |title: &str| common::published_record("INC-A", title, "2024-05-01", &[]);
    archive.record("a.md", record("First title"));
    let server = common::server::Server::start(archive.root(), &["--today", "2025-01-15"]);
    browser.open(&format!("{}/incidents/INC-A/", server.base));
    browser.wait_for("the page", "return document.readyState === 'complete';");
    // A mark that a reload wipes out.
    browser.script("window.casebookTestMark = true;");
    server.change(|| {
        archive.record("a.md", record("Second title"));
    });
    browser.wait_for(
        "the page to reload with the new title",
        "var h = document.querySelector('h1'); \
         return !window.casebookTestMark && h && h.textContent.indexOf('Second title') >= 0;",
    );

    let status = server.change(|| {
        archive.record("a.md", record("Second title").replace("SEV2", "SEV9"));
    });
    assert!(status.errors > 0);
    let banner = browser.wait_for(
        "the errors banner",
        "var b = document.getElementById('casebook-errors'); return b ? b.textContent : '';",
    );
    assert!(
        banner
            .as_str()
            .unwrap_or_default()
            .contains("content/incidents/a.md:"),
        "{banner}"
    );

    server.change(|| {
        archive.record("a.md", record("Third title"));
    });
    browser.wait_for(
        "the banner to go",
        "var h = document.querySelector('h1'); \
         return !document.getElementById('casebook-errors') && h && h.textContent.indexOf('Third title') >= 0;",
    );
    let errors = browser.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

/// axe-core's script: `$CASEBOOK_AXE`, else where `.ci/run` installs it.
fn axe_script() -> Option<String> {
    let path = std::env::var_os("CASEBOOK_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/axe/node_modules/axe-core/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(script) => Some(script),
        Err(_) if std::env::var("CASEBOOK_SKIP_BROWSER").is_ok_and(|v| v == "1") => None,
        Err(e) => panic!(
            "the accessibility test needs axe-core at {}: {e}; install it with \
             `npm install --prefix target/axe axe-core@4` (.ci/run does), point \
             CASEBOOK_AXE at axe.min.js, or set CASEBOOK_SKIP_BROWSER=1 to skip it",
            path.display()
        ),
    }
}

/// One page of every kind the site has, as paths under the site's root.
fn pages_of_every_kind(site: &Path) -> Vec<String> {
    let first_in = |dir: &str| -> String {
        let mut names: Vec<String> = std::fs::read_dir(site.join(dir))
            .expect("a built folder")
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        format!("{dir}/{}/", names.first().expect("a page in the folder"))
    };
    let mut pages: Vec<String> = [
        "",
        "incidents/",
        "services/",
        "tags/",
        "severity/",
        "years/",
        "status/",
        "actions/",
        "actions/overdue/",
        "insights/",
        "search/",
        "404.html",
        "about/",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    for dir in ["services", "tags", "severity", "years", "status"] {
        pages.push(first_in(dir));
    }
    // Every record: each has its own highlighted code.
    let mut records: Vec<String> = std::fs::read_dir(site.join("incidents"))
        .expect("incidents")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| format!("incidents/{}/", e.file_name().to_string_lossy()))
        .collect();
    records.sort();
    pages.extend(records);
    pages
}

/// What axe-core checks: every WCAG 2.1 A and AA rule, or only the rules that
/// depend on colours (for the second colour scheme: the rest do not change).
fn axe_rules(colours_only: bool) -> Value {
    if colours_only {
        json!({"type": "rule", "values": ["color-contrast", "link-in-text-block"]})
    } else {
        json!(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    }
}

/// axe-core's violations of `rules` on the open page, one line each.
fn axe_violations(browser: &Browser, axe: &str, rules: &Value) -> Vec<String> {
    browser.script(axe);
    let found = browser.session(
        "POST",
        "/execute/async",
        json!({
            "script": "var done = arguments[1]; \
                axe.run(document, {runOnly: arguments[0], resultTypes: ['violations']}) \
                .then(function (r) { done(r.violations.map(function (v) { \
                  return v.id + ' (' + v.nodes.length + '): ' + v.nodes.slice(0, 3).map(function (n) { \
                    return n.target.join(' ') + ': ' + n.failureSummary; }).join(' | '); })); }, \
                function (e) { done(['axe failed: ' + e]); });",
            "args": [rules],
        }),
    );
    serde_json::from_value(found).expect("violations")
}

/// The smallest chart label on the open page as rendered, in CSS pixels: the
/// font size times the scale of its SVG; with the label, to say which.
fn smallest_chart_label(browser: &Browser) -> (f64, String) {
    let found = browser.script(
        "var least = [1e9, 'no chart label shown']; \
         document.querySelectorAll('svg.chart, svg.timeline-axis').forEach(function (svg) { \
           var box = svg.getBoundingClientRect(); \
           if (!box.width || !svg.viewBox.baseVal) return; \
           var scale = box.width / svg.viewBox.baseVal.width; \
           svg.querySelectorAll('text').forEach(function (t) { \
             var px = parseFloat(getComputedStyle(t).fontSize) * scale; \
             if (px < least[0]) least = [px, (svg.getAttribute('aria-labelledby') || '') + ': ' + t.textContent]; \
           }); \
         }); \
         return least;",
    );
    serde_json::from_value(found).expect("a size and a label")
}

#[test]
fn every_kind_of_page_is_accessible_in_both_schemes_and_fits_a_phone() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let Some(axe) = axe_script() else {
        eprintln!("skipping the accessibility test: CASEBOOK_SKIP_BROWSER=1");
        return;
    };
    let out = build_demo();
    let site = out.path().join("site");
    let server = serve(site.clone());
    let root = format!("http://127.0.0.1:{}{PREFIX}", server.port);
    let pages = pages_of_every_kind(&site);

    let mut violations = Vec::new();
    for scheme in ["light", "dark"] {
        let rules = axe_rules(scheme == "dark");
        browser.devtools(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        );
        for page in &pages {
            browser.open(&format!("{root}{page}"));
            if page == "search/" {
                browser.wait_for(
                    "the search results",
                    "return document.querySelectorAll('.search-result').length > 0;",
                );
            }
            let dark = browser.script("return matchMedia('(prefers-color-scheme: dark)').matches;");
            assert_eq!(dark, json!(scheme == "dark"), "the emulated scheme");
            for v in axe_violations(&browser, &axe, &rules) {
                violations.push(format!("{scheme} /{page}: {v}"));
            }
        }
    }
    // The results of a best match (struck words, what each result lacks) too: in
    // particular no interactive element inside another (nested-interactive).
    browser.open(&format!("{root}search/?q=expired+certificate+quokka"));
    browser.wait_for(
        "the search results",
        "return document.querySelectorAll('.search-result-missing').length > 0;",
    );
    for v in axe_violations(&browser, &axe, &axe_rules(false)) {
        violations.push(format!("light /search/?q=expired+certificate+quokka: {v}"));
    }
    assert!(
        violations.is_empty(),
        "{} axe-core violations:\n{}",
        violations.len(),
        violations.join("\n")
    );

    // The favicon the pages link is there.
    browser.open(&root);
    let icon = browser.session(
        "POST",
        "/execute/async",
        json!({"script": "var done = arguments[0]; \
            fetch(document.querySelector('link[rel=icon]').href).then(function (r) { done(r.status); });",
            "args": []}),
    );
    assert_eq!(icon, json!(200));

    // A phone, 390 px wide.
    browser.devtools(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-color-scheme", "value": "light"}]}),
    );
    browser.devtools(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
    );
    for query in ["", "?q=expired+certificate+quokka"] {
        browser.open(&format!("{root}search/{query}"));
        browser.wait_for(
            "the search results",
            "return document.querySelectorAll('.search-result').length > 0;",
        );
        let (top, screen): (f64, f64) = serde_json::from_value(browser.script(
            "var r = document.querySelector('.search-result .search-result-title').getBoundingClientRect(); \
             return [r.bottom, innerHeight];",
        ))
        .expect("two numbers");
        assert_eq!(screen, 844.0, "the emulated phone");
        assert!(
            top < screen,
            "search/{query}: the first result's title ends {top} px down, below the first screen ({screen} px)"
        );
    }

    let record_with_timeline = pages
        .iter()
        .find(|p| {
            p.starts_with("incidents/INC-")
                && std::fs::read_to_string(site.join(p).join("index.html"))
                    .is_ok_and(|t| t.contains("timeline-axis"))
        })
        .expect("a record with a timeline drawing");
    let first_service = pages
        .iter()
        .find(|p| p.starts_with("services/") && p.len() > "services/".len())
        .expect("a service page");
    for page in ["insights/", first_service.as_str(), record_with_timeline] {
        browser.open(&format!("{root}{page}"));
        let (size, label) = smallest_chart_label(&browser);
        assert!(size < 1e9, "/{page}: {label}");
        assert!(
            size >= 11.0,
            "/{page}: a chart label renders at {size:.1} px: {label}"
        );
    }

    // A wide table scrolls, shows it can, and keeps its title column readable.
    browser.open(&format!("{root}incidents/"));
    let table: Vec<Value> = serde_json::from_value(browser.script(
        "var wrap = document.querySelector('.table-wrap'); \
         return [wrap.scrollWidth > wrap.clientWidth, getComputedStyle(wrap).backgroundImage, \
                 document.querySelector('td.title-cell').getBoundingClientRect().width];",
    ))
    .expect("table facts");
    assert_eq!(
        table[0],
        json!(true),
        "the incidents table scrolls on a phone"
    );
    assert!(
        table[1].as_str().unwrap_or_default().contains("gradient"),
        "no scroll shadow: {}",
        table[1]
    );
    assert!(
        table[2].as_f64().unwrap_or_default() >= 200.0,
        "the title column is {} px wide",
        table[2]
    );

    let errors = browser.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}
