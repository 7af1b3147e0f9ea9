//! `casebook init [DIR]`: a new archive that passes `check` as it is.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::cmd::{Failure, Outcome};
use crate::cli::{GlobalArgs, InitArgs};

/// The files `init` writes, relative to the new archive's root.
const FILES: &[(&str, &str)] = &[
    ("site.toml", include_str!("init_files/site.toml")),
    (".gitignore", include_str!("init_files/gitignore")),
    (
        ".github/workflows/casebook.yml",
        include_str!("init_files/workflow.yml"),
    ),
];

/// Writes the archive; refuses, writing nothing, when any of its files exists.
pub fn run(global: &GlobalArgs, args: &InitArgs) -> Result<Outcome, Failure> {
    let dir = args.dir.clone().unwrap_or_else(|| global.root.clone());
    let today = jiff::Zoned::now().date();
    let example_path = format!("content/incidents/{today}-example-database-failover.md");
    let due = today
        .checked_add(jiff::Span::new().days(90))
        .unwrap_or(today);
    let example = include_str!("init_files/example.md")
        .replace("{year}", &today.year().to_string())
        .replace("{date}", &today.to_string())
        .replace("{due}", &due.to_string());
    let mut files: Vec<(PathBuf, String)> = FILES
        .iter()
        .map(|(p, c)| (dir.join(p), c.to_string()))
        .collect();
    files.push((dir.join(&example_path), example));

    let existing: Vec<&Path> = files
        .iter()
        .map(|(p, _)| p.as_path())
        .filter(|p| p.exists())
        .collect();
    if !existing.is_empty() {
        let names: Vec<String> = existing.iter().map(|p| p.display().to_string()).collect();
        return Err(Failure::Usage(format!(
            "refusing to overwrite existing files: {}",
            names.join(", ")
        )));
    }
    for (path, content) in &files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(Failure::io(format!("cannot create {}", parent.display())))?;
        }
        std::fs::write(path, content)
            .map_err(Failure::io(format!("cannot write {}", path.display())))?;
    }
    if !global.quiet {
        let _ = std::io::stderr().write_all(next_steps(&dir).as_bytes());
    }
    Ok(Outcome::Clean)
}

/// What to do after `init`, to type as it stands: go into the new archive (unless
/// it is the current folder), check it, preview it, build it, write a record.
fn next_steps(dir: &Path) -> String {
    let mut text = format!(
        "created a casebook archive in {}\nnext steps:\n",
        dir.display()
    );
    if !is_current_folder(dir) {
        text.push_str(&format!(
            "  cd {}\n",
            shell_word(&dir.display().to_string())
        ));
    }
    text.push_str(
        "  casebook check                 check the records (one example to start with)\n\
         \x20 casebook serve                 preview the site at http://127.0.0.1:1111/\n\
         \x20 casebook build                 write the site into public/\n\
         \x20 casebook new \"Incident title\"  write a record of your own\n",
    );
    text
}

/// Whether `dir` is the folder casebook runs in, however it is spelled.
fn is_current_folder(dir: &Path) -> bool {
    match (dir.canonicalize(), std::env::current_dir()) {
        (Ok(dir), Ok(current)) => current.canonicalize().is_ok_and(|c| c == dir),
        _ => false,
    }
}

/// `path` as one word for a POSIX shell: as it is when that is safe, else in single
/// quotes.
fn shell_word(path: &str) -> String {
    let plain = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@".contains(c));
    match plain {
        true => path.to_string(),
        false => format!("'{}'", path.replace('\'', "'\\''")),
    }
}
