//! The never-stale invariant of `casebook serve` (docs/serve.md): after any series
//! of changes, every file it serves equals, byte for byte, what a fresh `casebook
//! build` of the same files with the same base URL writes, and it serves no other.
//! A scripted series covers each kind of change; a randomised one draws edits from
//! a seeded generator. Both run on a copy of the example archive at the
//! repository's root (bundles, a YAML record, mentions, related records, a free
//! page, code blocks).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::server::{Server, Status};
use common::TestArchive;

const TODAY: &str = "2025-01-15";

/// A copy of the example archive (site.toml and content/) in a temporary folder.
fn example_archive() -> TestArchive {
    let archive = TestArchive::empty();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(repo.join("site.toml"), archive.path("site.toml")).expect("copy site.toml");
    copy_dir(&repo.join("content"), &archive.path("content"));
    archive
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// The record files of the archive (bundles by their index.md), sorted.
fn record_files(archive: &TestArchive) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(archive.path("content/incidents")).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.push(path.join("index.md"));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Replaces the first line of `path` that starts with `key` by `line`.
fn set_line(path: &Path, key: &str, line: &str) {
    let text = std::fs::read_to_string(path).expect("read record");
    let mut done = false;
    let edited: Vec<String> = text
        .lines()
        .map(|l| {
            if !done && l.starts_with(key) {
                done = true;
                line.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(done, "no `{key}` line in {}", path.display());
    std::fs::write(path, edited.join("\n") + "\n").expect("write record");
}

/// Appends a paragraph to a Markdown record's body.
fn append_paragraph(path: &Path, text: &str) {
    let mut body = std::fs::read_to_string(path).expect("read record");
    body.push_str(&format!("\n{text}\n"));
    std::fs::write(path, body).expect("write record");
}

/// A valid record of the example archive's site.toml.
fn new_record(id: &str, title: &str, service: &str, body: &str) -> String {
    format!(
        "---\nid: {id}\ntitle: {title}\ndate: 2024-02-02\nseverity: SEV3\nstatus: investigating\n\
         review: draft\nservices: [{service}]\ntags: [generated]\n---\n\n## Summary\n\n{body}\n\n\
         ## Root cause\n\nA bug in {service}.\n"
    )
}

fn serve(archive: &TestArchive) -> Server {
    Server::start(archive.root(), &["--today", TODAY])
}

/// Runs `change`, waits for its rebuild, checks it built, and compares every file.
fn step(server: &Server, archive: &TestArchive, what: &str, change: impl FnOnce()) -> Status {
    let status = server.change(change);
    assert_eq!(status.errors, 0, "{what}: {}", server.stderr());
    server.assert_same_as_fresh_build(archive.root(), TODAY, status);
    status
}

#[test]
fn every_kind_of_change_serves_what_a_fresh_build_writes() {
    let archive = example_archive();
    let server = serve(&archive);
    server.assert_same_as_fresh_build(archive.root(), TODAY, server.status());
    let pool = archive.path("content/incidents/2024-09-18-db-pool-exhaustion.md");
    let bundle = archive.path("content/incidents/2024-11-27-pool-config/index.md");

    step(&server, &archive, "body edit", || {
        append_paragraph(&pool, "The retry storm doubled the load on users-db.");
    });
    step(&server, &archive, "title", || {
        set_line(&pool, "title:", "title: Pool exhaustion, renamed");
    });
    step(&server, &archive, "severity", || {
        set_line(&pool, "severity:", "severity: SEV4");
    });
    step(&server, &archive, "service", || {
        set_line(&bundle, "services:", "services: [kafka, payments]");
    });
    step(&server, &archive, "mention", || {
        append_paragraph(&bundle, "Much like INC-2024-0918 and INC-2026-1029.");
    });
    // A mention of a record that does not exist yet: plain text until it does,
    // though the mentioning body does not change.
    step(&server, &archive, "mention of a future record", || {
        append_paragraph(&pool, "Followed by INC-2024-0202.");
    });
    step(&server, &archive, "new record", || {
        archive.write(
            "content/incidents/2024-02-02-new.md",
            new_record(
                "INC-2024-0202",
                "A new one",
                "kafka",
                "Mentions INC-2024-0918.",
            ),
        );
    });
    step(&server, &archive, "rename", || {
        std::fs::rename(
            archive.path("content/incidents/2024-02-02-new.md"),
            archive.path("content/incidents/2024-02-03-moved.md"),
        )
        .expect("rename");
    });
    step(&server, &archive, "id change", || {
        set_line(
            &archive.path("content/incidents/2024-02-03-moved.md"),
            "id:",
            "id: INC-2024-0203",
        );
    });
    step(&server, &archive, "delete", || {
        std::fs::remove_file(archive.path("content/incidents/2024-02-03-moved.md"))
            .expect("remove");
    });
    // A record file not written for a while is not read again while its stamp
    // (size, times, inode) holds. After the pause, the next rebuild (the free
    // page's) reads the bundle's record with a settled stamp; an edit that keeps
    // its size must still show.
    std::thread::sleep(Duration::from_millis(3500));
    step(&server, &archive, "free page", || {
        append_paragraph(&archive.path("content/pages/about.md"), "More about us.");
    });
    let theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates");
    let record_template = std::fs::read_to_string(theme.join("record.html")).expect("template");
    step(
        &server,
        &archive,
        "same-size edit of a settled record",
        || {
            set_line(
                &bundle,
                "title:",
                "title: Connection pool library upgrade left DEAD connections in the pool",
            );
        },
    );
    step(&server, &archive, "template", || {
        let overridden = record_template.replacen(
            "{% endblock main %}",
            "<p>Overridden</p>{% endblock main %}",
            1,
        );
        assert_ne!(
            overridden, record_template,
            "the override changes the template"
        );
        archive.write("templates/record.html", overridden);
    });
    assert!(
        server
            .get("/incidents/INC-2024-0918/")
            .body
            .contains("<p>Overridden</p>"),
        "a record page renders with the new template"
    );
    step(&server, &archive, "static file", || {
        archive.write("static/style.css", "body { color: red }");
    });
    step(&server, &archive, "site.toml", || {
        let config = archive.read("site.toml");
        archive.write(
            "site.toml",
            config.replacen("Acme Incident Archive", "Acme Archive", 1),
        );
    });

    // A broken edit keeps the last good site and shows the errors...
    let good = std::fs::read_to_string(&pool).expect("read");
    let status = server.change(|| {
        set_line(&pool, "severity:", "severity: SEV9");
    });
    assert!(status.errors >= 1, "{status:?}");
    let page = server.get("/incidents/INC-2024-0918/");
    assert!(page.body.contains("id=\"casebook-errors\""));
    assert!(page
        .body
        .contains("<h1 id=\"record-title\">Pool exhaustion, renamed</h1>"));
    assert!(
        page.body.contains("badge sev sev-sev4"),
        "the last good page is served"
    );
    // ...and its fix returns to the fresh build's files.
    step(&server, &archive, "fix", || {
        std::fs::write(&pool, good.replace("Pool exhaustion, renamed", "Fixed")).expect("write");
    });
}

/// xorshift64*: a small seeded generator, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

const WORDS: &[&str] = &[
    "kafka",
    "retry",
    "storm",
    "certificate",
    "pool",
    "latency",
    "rollback",
    "dns",
    "quota",
    "deadlock",
    "backpressure",
    "failover",
];
const SERVICES: &[&str] = &["kafka", "payments", "search", "cdn", "notifications"];

#[test]
fn random_edits_serve_what_a_fresh_build_writes() {
    let seed = std::env::var("CASEBOOK_SERVE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_2026_u64);
    let mut rng = Rng(seed);
    let archive = example_archive();
    let server = serve(&archive);
    let mut made = 0;
    let mut made_files: Vec<String> = Vec::new();
    for round in 0..8 {
        let records: Vec<PathBuf> = record_files(&archive)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        let target = rng.pick(&records);
        let kind = rng.below(7);
        let what = format!(
            "seed {seed:#x}, round {round}, edit {kind} of {}",
            target.display()
        );
        step(&server, &archive, &what, || match kind {
            0 => append_paragraph(
                &target,
                &format!(
                    "{} {} {}.",
                    rng.pick(WORDS),
                    rng.pick(WORDS),
                    rng.pick(WORDS)
                ),
            ),
            1 => set_line(
                &target,
                "title:",
                &format!("title: {} {}", rng.pick(WORDS), rng.pick(WORDS)),
            ),
            2 => set_line(
                &target,
                "severity:",
                &format!("severity: SEV{}", 1 + rng.below(4)),
            ),
            3 => set_line(
                &target,
                "services:",
                &format!("services: [{}]", rng.pick(SERVICES)),
            ),
            4 => {
                made += 1;
                let file = format!("content/incidents/2024-03-{made:02}-made.md");
                made_files.push(file.clone());
                archive.write(
                    &file,
                    new_record(
                        &format!("INC-2024-03{made:02}"),
                        &format!("{} {}", rng.pick(WORDS), rng.pick(WORDS)),
                        rng.pick(SERVICES),
                        &format!("{} and {}.", rng.pick(WORDS), rng.pick(WORDS)),
                    ),
                );
            }
            // Only records the test made: the others are named in `related:`.
            5 if !made_files.is_empty() => {
                let gone = made_files.swap_remove(rng.below(made_files.len()));
                std::fs::remove_file(archive.path(&gone)).expect("remove");
            }
            _ => {
                let other = rng.pick(&records);
                let text = std::fs::read_to_string(&other).expect("read");
                let id = text
                    .lines()
                    .find_map(|l| l.strip_prefix("id: "))
                    .expect("an id line")
                    .to_string();
                append_paragraph(&target, &format!("See {id} for the {}.", rng.pick(WORDS)));
            }
        });
    }
}
