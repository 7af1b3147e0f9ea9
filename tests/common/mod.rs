//! Shared helpers for the integration tests: a throwaway archive in a temporary
//! folder and a way to run the real `casebook` binary on it.
//!
//! Each test binary uses a different subset of the helpers.
#![allow(dead_code)]

pub mod server;
pub mod site;

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde::Deserialize;

/// The site.toml most tests use: three severities, a services catalog, required
/// sections, and UTC.
pub const SITE_TOML: &str = r##"title = "Test archive"
base_url = "https://incidents.example.com/"
timezone = "UTC"
required_sections = ["Summary", "Root cause"]

[severities]
SEV1 = "Critical"
SEV2 = "Major"
SEV3 = "Minor"

[services]
api-gateway = "Public API"
user-service = { description = "Accounts", owner = "identity-team" }
payments = "Card payments"
"##;

/// The `--today` every check run gets unless a test passes its own.
pub const TODAY: &str = "2025-01-15";

/// An archive in a temporary folder, removed when dropped.
pub struct TestArchive {
    dir: tempfile::TempDir,
}

impl TestArchive {
    /// An archive with [`SITE_TOML`] and no records.
    pub fn new() -> TestArchive {
        TestArchive::with_config(SITE_TOML)
    }

    /// An archive with this site.toml.
    pub fn with_config(site_toml: &str) -> TestArchive {
        let archive = TestArchive::empty();
        archive.write("site.toml", site_toml);
        std::fs::create_dir_all(archive.path("content/incidents")).expect("create incidents");
        archive
    }

    /// A folder with nothing in it, not even site.toml.
    pub fn empty() -> TestArchive {
        TestArchive {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file (any bytes), creating its folders.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> &TestArchive {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, contents).expect("write file");
        self
    }

    /// Writes `content/incidents/<name>`.
    pub fn record(&self, name: &str, contents: impl AsRef<[u8]>) -> &TestArchive {
        self.write(&format!("content/incidents/{name}"), contents)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).expect("read file")
    }

    /// Runs `casebook --root <archive> ARGS...` with a clean environment.
    pub fn run(&self, args: &[&str]) -> Output {
        casebook()
            .arg("--root")
            .arg(self.root())
            .args(args)
            .output()
            .expect("run casebook")
    }

    /// `casebook check --format json ARGS...`, findings parsed; `--today` is
    /// [`TODAY`] unless `args` name another day.
    pub fn check(&self, args: &[&str]) -> Run {
        let mut all = vec!["check", "--format", "json"];
        if !args.contains(&"--today") {
            all.extend(["--today", TODAY]);
        }
        all.extend_from_slice(args);
        Run::json(self.run(&all))
    }
}

/// The binary under test, with no environment that would change its output.
pub fn casebook() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_casebook"));
    clean_env(&mut command);
    command
}

fn clean_env(command: &mut Command) {
    // Fixtures inside casebook's own repository are not read as part of it: their
    // output must not depend on this repository's history.
    command.env(
        "GIT_CEILING_DIRECTORIES",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"),
    );
    command
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("RUST_BACKTRACE");
}

/// Runs `casebook ARGS...` with stdout a pipe whose reader has already gone, as in
/// `casebook schema | true` when `true` ends first. A shell waits for a line on
/// stdin and then becomes casebook, so the reader is surely closed before casebook
/// writes anything. Its stdout is empty in the result.
pub fn run_into_closed_pipe<S: AsRef<OsStr>>(args: &[S]) -> Output {
    run_closed(args, "read go && exec \"$@\"")
}

/// [`run_into_closed_pipe`] with stderr into the same closed pipe, as in
/// `casebook build --timings 2>&1 | head -1`: nothing it prints can be read.
pub fn run_with_both_streams_closed<S: AsRef<OsStr>>(args: &[S]) -> Output {
    run_closed(args, "read go && exec \"$@\" 2>&1")
}

fn run_closed<S: AsRef<OsStr>>(args: &[S], script: &str) -> Output {
    let mut command = Command::new("sh");
    clean_env(&mut command);
    let mut child = command
        .args(["-c", script, "sh"])
        .arg(env!("CARGO_BIN_EXE_casebook"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sh");
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"go\n").expect("start casebook");
    drop(stdin);
    child.wait_with_output().expect("wait for casebook")
}

/// Sends SIGINT to a process, as Ctrl-C in its terminal would.
pub fn interrupt(pid: u32) {
    let sent = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -INT {pid} failed");
}

/// One finding as `--format json` prints it; every field is part of the contract.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub level: String,
    pub code: String,
    pub rule: String,
    pub message: String,
    pub help: Option<String>,
}

impl Finding {
    /// `file:line:col`, for compact assertions.
    pub fn at(&self) -> String {
        format!(
            "{}:{}:{}",
            self.file.as_deref().unwrap_or("-"),
            self.line.unwrap_or(0),
            self.column.unwrap_or(0)
        )
    }
}

/// The result of one `check` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub findings: Vec<Finding>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn json(output: Output) -> Run {
        let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
        let stderr = String::from_utf8(output.stderr).expect("stderr is UTF-8");
        let code = output.status.code().expect("exit code");
        let findings = if code == 2 && stdout.trim().is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(&stdout).unwrap_or_else(|e| {
                panic!("stdout is not the JSON findings ({e}):\n{stdout}\nstderr:\n{stderr}")
            })
        };
        Run {
            code,
            findings,
            stdout,
            stderr,
        }
    }

    /// Findings of one rule.
    pub fn of(&self, rule: &str) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.rule == rule).collect()
    }

    /// The one finding of `rule`; fails when there are none or several.
    pub fn one(&self, rule: &str) -> &Finding {
        match self.of(rule)[..] {
            [finding] => finding,
            _ => panic!("expected exactly one `{rule}` finding, got:\n{self}"),
        }
    }

    /// Asserts the run found nothing at all and exited 0.
    pub fn assert_clean(&self) {
        assert!(
            self.findings.is_empty() && self.code == 0,
            "expected a clean run:\n{self}"
        );
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "exit code {}", self.code)?;
        for finding in &self.findings {
            writeln!(
                f,
                "  {} {} {} {}: {} (help: {})",
                finding.at(),
                finding.level,
                finding.code,
                finding.rule,
                finding.message,
                finding.help.as_deref().unwrap_or("-")
            )?;
        }
        write!(f, "stderr:\n{}", self.stderr)
    }
}

/// 1-based line and column (in characters) of the first `needle` in `text`.
pub fn locate(text: &str, needle: &str) -> (usize, usize) {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is not in the text"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

/// A valid record with this id, for tests that need other records around.
pub fn valid_record(id: &str, date: &str) -> String {
    format!(
        "---\nid: {id}\ntitle: Incident {id}\ndate: {date}\nseverity: SEV2\nstatus: investigating\n---\n\n## Summary\n\nSomething broke.\n"
    )
}

/// A record in review (which only the default, internal profile publishes) with
/// the required sections of [`SITE_TOML`], naming `related` records.
pub fn published_record(id: &str, title: &str, date: &str, related: &[&str]) -> String {
    format!(
        "---\nid: {id}\ntitle: {title}\ndate: {date}\nseverity: SEV2\nstatus: investigating\n\
         review: in-review\nrelated: [{}]\n---\n\n## Summary\n\nSomething broke.\n\n\
         ## Root cause\n\nA bug.\n",
        related.join(", ")
    )
}
