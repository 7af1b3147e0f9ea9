//! `casebook serve` through the real binary: what it serves, that every change
//! (an edit, a new or deleted file, an error and its fix, site.toml, a template
//! override) shows in every page it touches, that errors keep the last good site,
//! and that it never writes into the archive.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::server::{Server, PATIENCE};
use common::{casebook, published_record as record, TestArchive, SITE_TOML};

const TODAY: &str = "2025-01-15";

/// Two records: B lists A as related, so A's page has B as a backlink.
fn two_records() -> TestArchive {
    let archive = TestArchive::new();
    archive.record(
        "a.md",
        record("INC-A", "Pool exhaustion in the gateway", "2024-05-01", &[]),
    );
    archive.record(
        "b.md",
        record("INC-B", "Certificate expiry", "2024-06-01", &["INC-A"]),
    );
    archive
}

fn serve(archive: &TestArchive) -> Server {
    Server::start(archive.root(), &["--today", TODAY])
}

/// Every file under `dir` with its bytes, relative and sorted.
fn listing(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::site::files(dir)
}

#[test]
fn serves_pages_with_the_reload_script_and_other_files_as_they_are() {
    let archive = two_records();
    let server = serve(&archive);

    let home = server.get("/");
    assert_eq!(home.status, 200);
    assert_eq!(home.content_type, "text/html; charset=utf-8");
    assert!(home.body.contains("Pool exhaustion in the gateway"));
    let generation = server.status().generation;
    assert!(
        home.body.contains(&format!(
            "<script src=\"/__casebook/live.js\" data-generation=\"{generation}\"></script>\n</body>"
        )),
        "{}",
        home.body
    );
    assert!(!home.body.contains("casebook-errors"));

    let page = server.get("/incidents/INC-A/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("/__casebook/live.js"));

    let css = server.get("/style.css");
    assert_eq!(css.content_type, "text/css; charset=utf-8");
    assert!(!css.body.contains("live.js"));
    assert_eq!(
        server.get("/incidents.json").content_type,
        "application/json"
    );
    let script = server.get("/__casebook/live.js");
    assert_eq!(script.content_type, "text/javascript; charset=utf-8");
    assert!(script.body.contains("location.reload"));

    let moved = server.get("/incidents/INC-A");
    assert_eq!(moved.status, 301);
}

#[test]
fn unknown_paths_and_traversal_get_the_404_page() {
    let archive = two_records();
    let server = serve(&archive);
    for path in ["/nothing/here/", "/site.toml", "/content/incidents/a.md"] {
        let page = server.get(path);
        assert_eq!(page.status, 404, "{path}");
        assert!(
            page.body.contains("Page not found"),
            "{path}: {}",
            page.body
        );
        assert!(page.body.contains("/__casebook/live.js"));
    }
    for target in [
        "/../site.toml",
        "/../../../../etc/passwd",
        "/incidents/../../site.toml",
        "/%2e%2e/site.toml",
        "/incidents/%2E%2E/%2E%2E/content/incidents/a.md",
        "/..%2fsite.toml",
        "/..\\site.toml",
    ] {
        assert_eq!(server.raw_get(target), 404, "{target}");
    }
    assert_eq!(server.raw_get("/incidents/INC-A/"), 200);
}

#[test]
fn editing_a_record_updates_its_page_the_indexes_and_the_pages_that_link_to_it() {
    let archive = two_records();
    let server = serve(&archive);
    assert!(server
        .get("/incidents/INC-B/")
        .body
        .contains("Pool exhaustion in the gateway"));

    let status = server.change(|| {
        archive.record(
            "a.md",
            record("INC-A", "Connection storm after deploy", "2024-05-01", &[]),
        );
    });
    assert_eq!(status.errors, 0);
    for path in [
        "/incidents/INC-A/",
        "/incidents/INC-B/",
        "/incidents/",
        "/",
        "/severity/sev2/",
    ] {
        let page = server.get(path);
        assert_eq!(page.status, 200, "{path}");
        assert!(
            page.body.contains("Connection storm after deploy"),
            "{path} misses the new title"
        );
        assert!(
            !page.body.contains("Pool exhaustion in the gateway"),
            "{path} still shows the old title"
        );
    }
    assert!(server
        .get("/incidents.json")
        .body
        .contains("Connection storm after deploy"));
    server.stderr_once_it_says("(1 of 2 record files decoded anew)");
}

#[test]
fn an_invalid_record_keeps_the_last_good_site_and_shows_its_errors_until_fixed() {
    let archive = two_records();
    let server = serve(&archive);
    let good = record("INC-A", "Pool exhaustion in the gateway", "2024-05-01", &[]);

    let broken = good.replace("severity: SEV2", "severity: <b>SEV9</b>");
    let status = server.change(|| {
        archive.record("a.md", &broken);
    });
    assert!(status.errors >= 1, "{status:?}");
    let page = server.get("/incidents/INC-A/");
    assert_eq!(page.status, 200, "the last good page is still served");
    assert!(page.body.contains("Pool exhaustion in the gateway"));
    let (line, column) = common::locate(&broken, "<b>SEV9</b>");
    let place = format!("content/incidents/a.md:{line}:{column}: error[");
    assert!(
        page.body.contains("id=\"casebook-errors\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&place),
        "no `{place}` in:\n{}",
        page.body
    );
    assert!(page.body.contains("&lt;b&gt;SEV9&lt;/b&gt;"));
    assert!(
        !page.body.contains("<b>SEV9</b>"),
        "error text must be escaped"
    );
    assert!(server.get("/nowhere/").body.contains("casebook-errors"));
    server.stderr_once_it_says("serving the last good build");

    // Files that are no record at all: not UTF-8, empty, unclosed front matter.
    let status = server.change(|| {
        archive.record("c.md", b"---\nid: \xff\xfe\n---\n");
        archive.record("d.md", "");
        archive.record("e.yaml", "id: [unclosed\n");
    });
    assert!(status.errors >= 4, "{status:?}");
    assert_eq!(server.get("/").status, 200, "the server keeps running");

    let status = server.change(|| {
        for name in ["c.md", "d.md", "e.yaml"] {
            std::fs::remove_file(archive.path(&format!("content/incidents/{name}")))
                .expect("remove");
        }
        archive.record(
            "a.md",
            good.replace("Pool exhaustion", "Fixed pool exhaustion"),
        );
    });
    assert_eq!(status.errors, 0);
    let page = server.get("/incidents/INC-A/");
    assert!(!page.body.contains("casebook-errors"));
    assert!(page.body.contains("Fixed pool exhaustion"));
}

#[test]
fn a_record_is_checked_again_when_a_file_it_links_to_comes_or_goes() {
    // The record's text never changes: only the disk under its link does.
    let archive = two_records();
    archive.record(
        "c/index.md",
        record("INC-C", "Disk full on the bundle host", "2024-07-01", &[])
            + "\n![usage](usage.svg)\n",
    );
    archive.record("c/usage.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    let server = serve(&archive);
    assert_eq!(server.status().errors, 0);

    let status = server.change(|| {
        std::fs::remove_file(archive.path("content/incidents/c/usage.svg")).expect("remove");
    });
    assert_eq!(status.errors, 1, "{}", server.stderr());
    assert!(server
        .get("/")
        .body
        .contains("usage.svg`, which does not exist"));

    let status = server.change(|| {
        archive.record("c/usage.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    });
    assert_eq!(status.errors, 0, "{}", server.stderr());
    assert_eq!(server.get("/incidents/INC-C/usage.svg").status, 200);
}

#[test]
fn adding_and_deleting_files_adds_and_removes_their_pages() {
    let archive = two_records();
    let server = serve(&archive);
    assert_eq!(server.get("/incidents/INC-C/").status, 404);

    server.change(|| {
        archive.record(
            "c/index.md",
            record("INC-C", "Disk full on the bundle host", "2024-07-01", &[])
                + "\n![usage](usage.svg)\n",
        );
        archive.record("c/usage.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    });
    assert_eq!(server.get("/incidents/INC-C/").status, 200);
    let asset = server.get("/incidents/INC-C/usage.svg");
    assert_eq!(asset.status, 200);
    assert_eq!(asset.content_type, "image/svg+xml");
    assert!(server
        .get("/incidents/")
        .body
        .contains("Disk full on the bundle host"));

    server.change(|| {
        std::fs::remove_dir_all(archive.path("content/incidents/c")).expect("remove bundle");
    });
    assert_eq!(server.get("/incidents/INC-C/").status, 404);
    assert_eq!(server.get("/incidents/INC-C/usage.svg").status, 404);
    assert!(!server
        .get("/incidents/")
        .body
        .contains("Disk full on the bundle host"));

    server.change(|| {
        std::fs::remove_file(archive.path("content/incidents/b.md")).expect("remove");
    });
    assert_eq!(server.get("/incidents/INC-B/").status, 404);
    assert!(!server
        .get("/incidents/INC-A/")
        .body
        .contains("Certificate expiry"));
}

#[test]
fn site_toml_and_theme_overrides_rebuild_every_page() {
    let archive = two_records();
    let server = serve(&archive);

    server.change(|| {
        archive.write(
            "site.toml",
            SITE_TOML.replace("Test archive", "Renamed archive"),
        );
    });
    for path in ["/", "/incidents/INC-A/", "/incidents/INC-B/", "/tags/"] {
        assert!(
            server.get(path).body.contains("Renamed archive"),
            "{path} keeps the old site title"
        );
    }

    server.change(|| {
        archive.write(
            "templates/404.html",
            "<!doctype html><html><body><p>Custom lost page</p></body></html>",
        );
        archive.write("static/extra.css", "p { color: red }");
    });
    let lost = server.get("/no/such/page/");
    assert_eq!(lost.status, 404);
    assert!(lost.body.contains("Custom lost page"));
    assert_eq!(server.get("/extra.css").body, "p { color: red }");

    server.change(|| {
        archive.write("static/extra.css", "p { color: blue }");
    });
    assert_eq!(server.get("/extra.css").body, "p { color: blue }");

    // Records decode against site.toml: without SEV2 both records are wrong.
    let status = server.change(|| {
        archive.write(
            "site.toml",
            SITE_TOML
                .replace("Test archive", "Renamed archive")
                .replace("SEV2 = \"Major\"\n", ""),
        );
    });
    assert_eq!(status.errors, 2, "{}", server.stderr());

    let status = server.change(|| {
        archive.write("site.toml", "title = [not toml\n");
    });
    assert!(status.errors >= 1);
    assert!(server.get("/").body.contains("casebook-errors"));
    assert!(server.get("/").body.contains("Renamed archive"));
}

#[test]
fn editor_noise_and_the_output_folder_cause_no_rebuild() {
    let archive = two_records();
    let server = serve(&archive);
    let before = server.status();
    archive.write("content/incidents/.a.md.swp", "swap");
    archive.write("content/incidents/a.md~", "backup");
    archive.write("public/index.html", "old build");
    archive.write(".git/index", "git");
    // A change that matters, after the noise: its rebuild must be the next one.
    let after = server.change(|| {
        archive.record(
            "a.md",
            record("INC-A", "Only this change", "2024-05-01", &[]),
        );
    });
    assert_eq!(
        after.generation,
        before.generation + 1,
        "{}",
        server.stderr()
    );
    let log = server.stderr();
    assert!(log.contains("changed: content/incidents/a.md\n"), "{log}");
    for noise in ["swp", "a.md~", "public", ".git"] {
        assert!(
            !log.contains(noise),
            "`{noise}` was taken for a change:\n{log}"
        );
    }
}

#[test]
fn nothing_is_written_inside_the_archive() {
    let archive = two_records();
    let before = listing(archive.root());
    let server = serve(&archive);
    let edited = record("INC-A", "Edited", "2024-05-01", &[]);
    server.change(|| {
        archive.record("a.md", &edited);
    });
    for path in ["/", "/incidents/INC-A/", "/search/", "/feed.xml", "/nope/"] {
        server.get(path);
    }
    drop(server);
    let mut expected = before;
    expected.insert("content/incidents/a.md".into(), edited.into_bytes());
    assert_eq!(listing(archive.root()), expected);
}

#[test]
fn the_served_site_is_what_a_fresh_build_writes() {
    let archive = two_records();
    let server = serve(&archive);
    server.change(|| {
        archive.record(
            "a.md",
            record("INC-A", "Renamed once", "2024-05-01", &["INC-B"]),
        );
        archive.record(
            "c.md",
            record("INC-C", "A third one", "2024-08-01", &["INC-A"]),
        );
    });
    let status = server.change(|| {
        std::fs::remove_file(archive.path("content/incidents/b.md")).expect("remove");
        archive.record("a.md", record("INC-A", "Renamed twice", "2024-05-01", &[]));
    });

    let out = tempfile::tempdir().expect("output dir");
    let site = out.path().join("site");
    let built = casebook()
        .arg("--root")
        .arg(archive.root())
        .args(["build", "--today", TODAY, "--base-url"])
        .arg(format!("{}/", server.base))
        .arg("--output")
        .arg(&site)
        .output()
        .expect("run build");
    assert!(built.status.success(), "{built:?}");
    let files = listing(&site);
    assert_eq!(
        files.len() - 1,
        status.files,
        "the marker aside, the same files"
    );
    let script = format!(
        "<script src=\"/__casebook/live.js\" data-generation=\"{}\"></script>\n",
        status.generation
    );
    for (path, bytes) in files {
        if path == ".casebook-output" {
            continue;
        }
        let url = format!("/{}", path.strip_suffix("index.html").unwrap_or(&path));
        let served = server.get(&url);
        assert_eq!(served.status, 200, "{url}");
        let served = if path.ends_with(".html") {
            served.body.replacen(&script, "", 1).into_bytes()
        } else {
            served.bytes
        };
        assert!(served == bytes, "{url} differs from the built {path}");
    }
}

/// A page's live-reload long poll for the next generation, waiting on a thread of
/// its own; it ends when the server answers it (or closes the connection).
fn wait_for_reload(server: &Server) -> std::thread::JoinHandle<Result<(), ureq::Error>> {
    let generation = server.status().generation;
    let base = server.base.clone();
    std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(PATIENCE))
            .build()
            .into();
        agent
            .get(format!("{base}/__casebook/reload?since={generation}"))
            .call()
            .map(|_| ())
    })
}

#[test]
fn a_waiting_reload_request_does_not_hold_up_pages() {
    let archive = two_records();
    let server = serve(&archive);
    let waiting = wait_for_reload(&server);
    for _ in 0..3 {
        assert_eq!(server.get("/incidents/INC-A/").status, 200);
    }
    assert!(
        !waiting.is_finished(),
        "the reload request should still wait for a rebuild"
    );
    server.change(|| {
        archive.record("a.md", record("INC-A", "Wake up", "2024-05-01", &[]));
    });
    waiting
        .join()
        .expect("waiting thread")
        .expect("the reload request is answered after the rebuild");
}

#[test]
fn refuses_a_folder_without_an_archive() {
    let empty = TestArchive::empty();
    let output = casebook()
        .arg("--root")
        .arg(empty.root())
        .args(["serve", "--port", "0"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("site.toml"));
}

/// Ctrl-C ends `casebook serve` at once (docs/serve.md), even while a page waits
/// on the live-reload long poll (answered after up to 25 s): the process dies of
/// the SIGINT itself within a few seconds, so a shell or a script sees an
/// interrupted program, neither a success nor a crash, and the waiting request
/// sees its connection close. Nothing was written, so nothing is left behind. The
/// test fails if serve ignores SIGINT or catches it and goes on serving, if it
/// stops only once its open requests are answered, or if it exits with a status
/// code of its own (a panic's 101, say).
#[test]
fn ctrl_c_stops_the_server_at_once() {
    use std::os::unix::process::ExitStatusExt;
    const SIGINT: i32 = 2;
    let archive = two_records();
    let before = listing(archive.root());
    let mut server = serve(&archive);
    let waiting = wait_for_reload(&server);
    // Give the request time to arrive; the server answers others meanwhile.
    std::thread::sleep(Duration::from_millis(200));
    for _ in 0..3 {
        assert_eq!(server.get("/").status, 200);
    }
    assert!(
        !waiting.is_finished(),
        "the reload request should still wait"
    );

    common::interrupt(server.id());
    let status = server.wait_for_exit(Duration::from_secs(5));
    assert_eq!(
        (status.code(), status.signal()),
        (None, Some(SIGINT)),
        "serve should die of the SIGINT: {status:?}\n{}",
        server.stderr()
    );
    let answer = waiting.join().expect("waiting thread");
    assert!(answer.is_err(), "the waiting request got an answer");
    assert_eq!(
        listing(archive.root()),
        before,
        "serve wrote into the archive"
    );
}

#[test]
fn a_save_by_rename_is_seen_like_any_edit() {
    let archive = two_records();
    let server = serve(&archive);
    server.change(|| {
        // How many editors save: write a hidden temporary file, rename it over.
        let temporary = archive.path("content/incidents/.a.md.tmp");
        std::fs::write(
            &temporary,
            record("INC-A", "Saved by rename", "2024-05-01", &[]),
        )
        .expect("write");
        std::fs::rename(&temporary, archive.path("content/incidents/a.md")).expect("rename");
    });
    assert!(server
        .get("/incidents/INC-A/")
        .body
        .contains("Saved by rename"));
}

#[test]
fn a_first_build_with_errors_lists_them_until_fixed() {
    let archive = TestArchive::new();
    archive.record("a.md", "---\nid: INC-A\ntitle: [unclosed\n---\n");
    let server = serve(&archive);
    let status = server.status();
    assert!(status.errors > 0 && status.files == 0, "{status:?}");
    let page = server.get("/");
    assert_eq!(page.status, 404);
    assert!(page.body.contains("could not build the site yet"));
    assert!(
        page.body.contains("content/incidents/a.md:"),
        "{}",
        page.body
    );

    server.change(|| {
        archive.record("a.md", record("INC-A", "Now it parses", "2024-05-01", &[]));
    });
    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Now it parses"));
    assert!(!page.body.contains("casebook-errors"));
}

/// Threads of the process `pid` (Linux).
fn threads(pid: u32) -> usize {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("process status")
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a Threads line")
}

/// Opens a connection and sends a reload request that waits past `generation`.
fn waiting_reload(base: &str, generation: u64) -> std::net::TcpStream {
    use std::io::Write;
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    write!(
        stream,
        "GET /__casebook/reload?since={generation} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    stream
}

/// Many open tabs each hold a waiting reload request: the server answers pages
/// meanwhile, holds no thread per waiting request (it would have 200 more), and
/// answers every one of them when the next build is served.
#[test]
fn many_waiting_pages_hold_no_threads_and_all_hear_of_the_next_build() {
    use std::io::Read;
    const TABS: usize = 200;
    let archive = two_records();
    let server = serve(&archive);
    let generation = server.status().generation;
    let idle = threads(server.id());
    let tabs: Vec<_> = (0..TABS)
        .map(|_| waiting_reload(&server.base, generation))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.get("/incidents/INC-A/").status, 200);
    let busy = threads(server.id());
    assert!(
        busy <= idle + 8,
        "{busy} threads with {TABS} waiting requests, {idle} idle"
    );
    server.change(|| {
        archive.record(
            "a.md",
            record("INC-A", "Everyone reloads", "2024-05-01", &[]),
        );
    });
    let next = format!("\"generation\":{}", generation + 1);
    for mut tab in tabs {
        let mut answer = String::new();
        tab.read_to_string(&mut answer).expect("an answer");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains(&next), "{answer}");
    }
}

/// An editor that saves many times in a row (or a `git checkout`) starts one
/// rebuild, or two when the burst outlasts the first; never one per save.
#[test]
fn a_burst_of_saves_is_one_or_two_rebuilds() {
    let archive = two_records();
    let server = serve(&archive);
    let before = server.status();
    for i in 0..30 {
        archive.record(
            "a.md",
            record("INC-A", &format!("Save number {i}"), "2024-05-01", &[]),
        );
        std::thread::sleep(Duration::from_millis(3));
    }
    server.wait_past(before.generation);
    // A second rebuild may follow for saves seen during the first; wait it out.
    std::thread::sleep(Duration::from_millis(600));
    let after = server.wait_past(before.generation);
    let rebuilds = after.generation - before.generation;
    assert!(
        (1..=2).contains(&rebuilds),
        "{rebuilds} rebuilds for one burst:\n{}",
        server.stderr()
    );
    assert!(server
        .get("/incidents/INC-A/")
        .body
        .contains("Save number 29"));
}

/// Clients that go away mid-answer, or before sending a whole request, cost the
/// server nothing: it goes on answering, with no thread left behind.
#[test]
fn clients_that_disconnect_mid_response_do_not_harm_the_server() {
    use std::io::{Read, Write};
    let archive = two_records();
    let long_body = "A long line of the postmortem body, repeated.\n\n".repeat(40_000);
    archive.record(
        "c.md",
        record("INC-C", "A very long record", "2024-07-01", &[]) + &long_body,
    );
    let server = serve(&archive);
    let idle = threads(server.id());
    let address = server.base.trim_start_matches("http://").to_string();
    for i in 0..40 {
        let mut stream = std::net::TcpStream::connect(&address).expect("connect");
        if i % 4 == 0 {
            // Half a request, then gone.
            let _ = stream.write_all(b"GET /incidents/INC-C/ HTTP/1.1\r\nHo");
            continue;
        }
        write!(
            stream,
            "GET /incidents/INC-C/ HTTP/1.1\r\nHost: {address}\r\n\r\n"
        )
        .expect("send");
        let mut first = [0u8; 64];
        stream.read_exact(&mut first).expect("the answer starts");
        assert!(first.starts_with(b"HTTP/1.1 200"));
    }
    std::thread::sleep(Duration::from_millis(300));
    let page = server.get("/incidents/INC-C/");
    assert_eq!(page.status, 200);
    assert!(page.bytes.len() > 1_000_000, "{}", page.bytes.len());
    assert!(threads(server.id()) <= idle + 4);
}
