//! A running `casebook serve` for the tests: started on a free port, asked over
//! HTTP, waited on through its status endpoints (never with fixed sleeps), and
//! killed when dropped so a failing test leaves no process behind.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::casebook;

/// How long any wait may take before the test fails: CI machines are slow.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// `GET /__casebook/status`; every field is part of the contract (docs/serve.md).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Status {
    pub generation: u64,
    pub building: bool,
    pub errors: usize,
    pub last_rebuild_ms: u64,
    pub files: usize,
}

/// One answer: status, Content-Type and body.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    pub bytes: Vec<u8>,
}

/// A `casebook serve` child process.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, without the final `/`.
    pub base: String,
    agent: ureq::Agent,
    logs: tempfile::TempDir,
}

impl Server {
    /// Starts `casebook --root ROOT serve --port 0 ARGS...` and waits for its first
    /// build. Its stderr goes to a file outside the archive.
    pub fn start(root: &Path, args: &[&str]) -> Server {
        let logs = tempfile::tempdir().expect("log dir");
        let stderr = File::create(logs.path().join("stderr")).expect("stderr file");
        let mut child = casebook()
            .arg("--root")
            .arg(root)
            .args(["serve", "--port", "0", "--color", "never"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start casebook serve");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(PATIENCE))
            .build()
            .into();
        let mut server = Server {
            child,
            base: String::new(),
            agent,
            logs,
        };
        let line = lines
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("casebook serve printed no address:\n{}", server.stderr()));
        // `serving http://127.0.0.1:PORT/ (Ctrl-C to stop)`
        server.base = line
            .strip_prefix("serving http://")
            .and_then(|rest| rest.split_once("/ "))
            .map(|(address, _)| format!("http://{address}"))
            .unwrap_or_else(|| panic!("unexpected first line: {line}"));
        server.wait_past(0);
        server
    }

    /// What the server printed to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.logs.path().join("stderr")).unwrap_or_default()
    }

    /// Waits until stderr holds `text`, and returns all of it then. The server
    /// prints a rebuild's summary after it serves the new site, so a test that
    /// has just seen the new generation may read stderr before that line is in.
    pub fn stderr_once_it_says(&self, text: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let said = self.stderr();
            if said.contains(text) {
                return said;
            }
            assert!(
                Instant::now() < deadline,
                "no `{text}` on stderr in {PATIENCE:?}:\n{said}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// GET `path` (starting with `/`).
    pub fn get(&self, path: &str) -> Page {
        let url = format!("{}{path}", self.base);
        let mut response = self
            .agent
            .get(&url)
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}\n{}", self.stderr()));
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .expect("read body");
        Page {
            status,
            content_type,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    /// Sends `GET <target>` as written, byte for byte (a client would tidy up
    /// `..`), and returns the status code.
    pub fn raw_get(&self, target: &str) -> u16 {
        let address = self.base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        write!(
            stream,
            "GET {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {answer:?}"))
    }

    /// The current status.
    pub fn status(&self) -> Status {
        serde_json::from_str(&self.get("/__casebook/status").body).expect("status JSON")
    }

    /// Waits, with the long-poll endpoint, until a rebuild after `generation`
    /// finished and no other is under way; returns the status then.
    pub fn wait_past(&self, generation: u64) -> Status {
        let deadline = Instant::now() + PATIENCE;
        let mut since = generation;
        loop {
            let page = self.get(&format!("/__casebook/reload?since={since}"));
            let status: Status = serde_json::from_str(&page.body).expect("reload JSON");
            if status.generation > generation && !status.building {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "no rebuild after generation {generation} in {PATIENCE:?}: {status:?}\n{}",
                self.stderr()
            );
            if status.generation > since {
                since = status.generation;
            }
        }
    }

    /// Runs `change`, then waits for the rebuild it causes.
    pub fn change(&self, change: impl FnOnce()) -> Status {
        let before = self.status();
        assert!(!before.building, "a rebuild is under way: {before:?}");
        change();
        self.wait_past(before.generation)
    }

    /// Asserts that the site served at `status` (the status a [`Server::change`]
    /// returned) is, file for file and byte for byte, what a fresh `casebook build
    /// --today TODAY --base-url <this server>/` of `root` writes, in both
    /// directions: every built file is served with the same bytes, and the server
    /// serves no file the build did not write (it counts `status.files`). HTML pages
    /// differ only by the live-reload line the server adds before `</body>`.
    pub fn assert_same_as_fresh_build(&self, root: &Path, today: &str, status: Status) {
        let out = tempfile::tempdir().expect("output dir");
        let site = out.path().join("site");
        let built = casebook()
            .arg("--root")
            .arg(root)
            .args(["build", "--today", today, "--base-url"])
            .arg(format!("{}/", self.base))
            .arg("--output")
            .arg(&site)
            .output()
            .expect("run build");
        assert!(built.status.success(), "{built:?}");
        let mut files = super::site::files(&site);
        files.remove(".casebook-output");
        let script = format!(
            "<script src=\"/__casebook/live.js\" data-generation=\"{}\"></script>\n",
            status.generation
        );
        let mut differ = Vec::new();
        for (path, bytes) in &files {
            let url = format!("/{}", path.strip_suffix("index.html").unwrap_or(path));
            let served = self.get(&url);
            if served.status != 200 {
                differ.push(format!("{url}: status {}", served.status));
                continue;
            }
            let served = if path.ends_with(".html") {
                served.body.replacen(&script, "", 1).into_bytes()
            } else {
                served.bytes
            };
            if served != *bytes {
                differ.push(format!("{url} differs from the built {path}"));
            }
        }
        assert!(
            differ.is_empty(),
            "served site differs from a fresh build:\n{}\n{}",
            differ.join("\n"),
            self.stderr()
        );
        assert_eq!(
            files.len(),
            status.files,
            "the server serves {} files, the build wrote {}",
            status.files,
            files.len()
        );
    }

    /// The process's id, for signals.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits at most `limit` for the process to end by itself.
    pub fn wait_for_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "casebook serve did not stop within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
