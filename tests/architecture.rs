//! The layout is the pipeline: each top-level module of `src/` is a stage, and a
//! stage imports only from the stages before it (docs/architecture.md). This test
//! reads every `crate::` path in the library's code (tests excluded: a test may set
//! up its input with any stage) and fails on an import that points forward, which
//! also rules out every import cycle between top-level modules.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The stages in pipeline order; each may import only from those before it.
const STAGES: &[&str] = &[
    "core", "load", "import", "history", "check", "link", "analysis", "render", "search",
    "pipeline", "output", "cli",
];

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("src/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
}

/// The code of a file up to its test module, without line comments.
fn library_code(text: &str) -> String {
    let code = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    code.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a piece of code names through `crate::`, including each
/// first name of a `use crate::{a::x, b};` group.
fn imported_modules(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut name = String::new();
            let mut at_start = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => at_start = true,
                    c if c.is_alphanumeric() || c == '_' => {
                        if at_start {
                            name.push(c);
                        }
                    }
                    _ => {
                        if !name.is_empty() {
                            found.insert(std::mem::take(&mut name));
                        }
                        if !c.is_whitespace() {
                            at_start = false;
                        }
                    }
                }
            }
            if !name.is_empty() {
                found.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found
}

/// Every (stage, file, imported stage) in the library.
fn imports() -> Vec<(String, PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let mut all = Vec::new();
    for path in files {
        let relative = path.strip_prefix(&src).expect("under src/");
        let first = relative
            .components()
            .next()
            .expect("a path")
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if first == "lib" || first == "main" {
            continue;
        }
        let text = fs::read_to_string(&path).expect("a source file is UTF-8");
        for module in imported_modules(&library_code(&text)) {
            if module != first {
                all.push((first.clone(), relative.to_path_buf(), module));
            }
        }
    }
    all
}

#[test]
fn every_top_level_module_is_a_stage() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut unknown = Vec::new();
    for entry in fs::read_dir(&src).expect("src/ is readable") {
        let name = entry.expect("an entry").file_name();
        let name = name.to_string_lossy();
        let stem = name.trim_end_matches(".rs");
        if stem != "lib" && stem != "main" && !STAGES.contains(&stem) {
            unknown.push(stem.to_string());
        }
    }
    assert!(
        unknown.is_empty(),
        "top-level modules that are no stage: {unknown:?}; add them to STAGES in order"
    );
}

#[test]
fn stages_import_only_from_earlier_stages() {
    let rank = |name: &str| STAGES.iter().position(|s| *s == name);
    let mut backwards = Vec::new();
    for (stage, file, module) in imports() {
        let (Some(from), Some(to)) = (rank(&stage), rank(&module)) else {
            backwards.push(format!(
                "src/{}: `crate::{module}` is no stage",
                file.display()
            ));
            continue;
        };
        if to > from {
            backwards.push(format!(
                "src/{}: stage `{stage}` imports the later stage `{module}`",
                file.display()
            ));
        }
    }
    assert!(
        backwards.is_empty(),
        "imports against the pipeline's direction:\n{}",
        backwards.join("\n")
    );
}

#[test]
fn the_import_reader_sees_groups_and_paths() {
    let code = "use crate::{core::{a, b}, load::x, check};\nfn f() { crate::render::g(); }";
    let found: Vec<String> = imported_modules(code).into_iter().collect();
    assert_eq!(found, ["check", "core", "load", "render"]);
    let commented =
        library_code("use crate::core::x; // crate::cli\n#[cfg(test)]\nuse crate::output;");
    let found: Vec<String> = imported_modules(&commented).into_iter().collect();
    assert_eq!(found, ["core"]);
}

#[test]
fn stats_prints_the_charts_without_drawing_them() {
    // `casebook stats` prints each chart's title, description and table, which the
    // analysis stage decides; drawing SVG is the render stage's, and stats needs none.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli/cmd/stats.rs");
    let text = fs::read_to_string(&path).expect("src/cli/cmd/stats.rs is readable");
    let found = imported_modules(&library_code(&text));
    assert!(
        !found.contains("render"),
        "src/cli/cmd/stats.rs imports the render stage: print the chart specs of \
         analysis::insights::chart_specs instead of drawing charts"
    );
}
