//! The library's stages depend one way only, as `src/lib.rs` states:
//!
//! ```text
//! language ← engine ← operations ← audit
//! ```
//!
//! and `audit` uses of `operations` only the operation catalog. This reads
//! the source of every stage and names each path that reaches a later stage:
//! a `crate::` path, an escape through `super::super::…`, or a crate-root
//! re-export of a later stage's item.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "a test reads its own sources, cut at ASCII punctuation"
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The stages in order: each may use those before it.
const STAGES: [&str; 4] = ["language", "engine", "operations", "audit"];

fn rank(stage: &str) -> Option<usize> {
    STAGES.iter().position(|s| *s == stage)
}

/// Whether code in `from` may use the item at `path` (the segments after
/// `crate::`) of stage `to`.
fn allowed(from: &str, to: &str, path: &[&str]) -> bool {
    match (from, to) {
        ("audit", "operations") => path.get(1) == Some(&"catalog"),
        _ => rank(to) <= rank(from),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The path that starts at `text`: identifiers joined by `::`, stopping at
/// anything else. A `{` group yields each first segment in it.
fn paths_at(text: &str) -> Vec<Vec<&str>> {
    let mut segments = Vec::new();
    let mut rest = text;
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            return inner
                .split(',')
                .filter_map(|item| {
                    let item = item.trim();
                    let end = item.find(|c: char| !is_ident(c)).unwrap_or(item.len());
                    (end > 0).then(|| {
                        let mut path = segments.clone();
                        path.push(&item[..end]);
                        let tail = item[end..].strip_prefix("::").unwrap_or("");
                        path.extend(paths_at(tail).into_iter().next().unwrap_or_default());
                        path
                    })
                })
                .collect();
        }
        let end = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        segments.push(&rest[..end]);
        match rest[end..].strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    vec![segments]
}

/// The crate-root names that `src/lib.rs` re-exports from each stage: items
/// and modules re-exported from a stage, and the public modules written in
/// `src/lib.rs` itself, by the latest stage they draw from.
fn root_exports(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let flat = lib.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join(" ");
    let mut facade: Option<String> = None;
    for item in flat.split(';') {
        let mut item = item.trim();
        if let Some(rest) = item.strip_prefix('}') {
            facade = None;
            item = rest.trim();
        }
        if let Some(rest) = item.strip_prefix("pub mod ")
            && let Some((name, body)) = rest.split_once('{')
        {
            facade = Some(name.trim().to_owned());
            item = body.trim();
        }
        let Some(rest) = item.strip_prefix("pub use ") else { continue };
        if let (Some(facade), Some(path)) = (&facade, rest.strip_prefix("crate::")) {
            let stage = path.split("::").next().unwrap_or("");
            if rank(stage).is_some() && names.get(facade).is_none_or(|s: &String| rank(s) < rank(stage)) {
                names.insert(facade.clone(), stage.to_owned());
            }
            continue;
        }
        let stage = rest.split("::").next().unwrap_or("");
        if rank(stage).is_none() {
            continue;
        }
        let named = match rest.rfind('{') {
            Some(open) => rest[open + 1..].trim_end_matches(['}', ' ']).to_owned(),
            None => rest.rsplit("::").next().unwrap_or("").to_owned(),
        };
        for name in named.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            names.insert(name.to_owned(), stage.to_owned());
        }
    }
    names
}

/// The module path of a file below `src/`, from its stage down.
fn module_of(relative: &Path) -> Vec<String> {
    let mut segments: Vec<String> =
        relative.iter().map(|s| s.to_string_lossy().trim_end_matches(".rs").to_owned()).collect();
    if segments.last().is_some_and(|s| s == "mod") {
        segments.pop();
    }
    segments
}

/// Every use against the direction in one file's text, as messages.
fn violations(file: &str, module: &[String], text: &str, exports: &BTreeMap<String, String>) -> Vec<String> {
    let from = module[0].as_str();
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let mut targets: Vec<Vec<String>> = Vec::new();
        for (at, _) in line.match_indices("crate::") {
            if line[..at].ends_with('$') || line[..at].ends_with(|c: char| is_ident(c)) {
                continue;
            }
            for path in paths_at(&line[at + "crate::".len()..]) {
                targets.push(path.iter().map(|s| (*s).to_owned()).collect());
            }
        }
        for (at, _) in line.match_indices("super::") {
            if line[..at].ends_with("super::") || line[..at].ends_with(|c: char| is_ident(c)) {
                continue;
            }
            for path in paths_at(&line[at..]) {
                let ups = path.iter().take_while(|s| **s == "super").count();
                if ups >= module.len() {
                    let mut absolute: Vec<String> = module[..module.len().saturating_sub(ups)].to_vec();
                    absolute.extend(path[ups..].iter().map(|s| (*s).to_owned()));
                    targets.push(absolute);
                }
            }
        }
        for path in targets {
            let Some(first) = path.first() else { continue };
            let to = if rank(first).is_some() { Some(first.clone()) } else { exports.get(first).cloned() };
            let Some(to) = to else { continue };
            let segments: Vec<&str> =
                if rank(first).is_some() { path.iter().map(String::as_str).collect() } else { vec![&to, first] };
            if !allowed(from, &to, &segments) {
                found.push(format!("{file}:{}: {from} uses {to} (`{}`): {}", number + 1, path.join("::"), line.trim()));
            }
        }
    }
    found
}

#[test]
fn stages_depend_one_way_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let exports = root_exports(&fs::read_to_string(src.join("lib.rs")).unwrap());
    let stage_of = |name: &str| exports.get(name).map(String::as_str);
    assert!(
        stage_of("guard") == Some("operations") && stage_of("Policy") == Some("language"),
        "src/lib.rs re-exports were not read"
    );
    assert_eq!(stage_of("decision"), Some("engine"), "src/lib.rs's own public modules were not read");
    let mut files = Vec::new();
    for stage in STAGES {
        rust_files(&src.join(stage), &mut files);
    }
    assert!(files.len() > STAGES.len(), "no stage sources found under {}", src.display());
    let mut found = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&src).unwrap();
        let file = Path::new("src").join(relative).display().to_string();
        found.extend(violations(&file, &module_of(relative), &fs::read_to_string(path).unwrap(), &exports));
    }
    assert!(found.is_empty(), "uses against language <- engine <- operations <- audit:\n{}", found.join("\n"));
}

#[test]
fn uses_against_the_direction_are_found() {
    let exports = root_exports(
        "pub use operations::guard::{Guard, Backend};\npub use engine::eval::PolicySet;\npub use audit::lint;\n\
         pub mod parts {\n    //! Doc.\n    pub use crate::language::arn::Arn;\n    pub use crate::engine::decision::Note;\n}",
    );
    let module = |path: &str| module_of(Path::new(path));
    let check = |path: &str, text: &str| violations(path, &module(path), text, &exports);
    assert_eq!(check("language/json.rs", "use crate::engine::eval::PolicySet;").len(), 1);
    assert_eq!(check("language/json.rs", "use crate::{language::arn, audit::glob};").len(), 1);
    assert_eq!(check("language/condition/mod.rs", "let g = super::super::operations::guard::Guard;").len(), 1);
    assert_eq!(check("engine/eval.rs", "/// See [`Guard`](crate::Guard).").len(), 1);
    assert_eq!(check("operations/guard.rs", "use crate::audit::lint::Finding;").len(), 1);
    assert_eq!(check("audit/lint/rules.rs", "use crate::operations::guard::Guard;").len(), 1);
    assert_eq!(check("audit/diff/strings.rs", "use super::super::super::operations::sim::World;").len(), 1);
    assert!(check("audit/lint/rules.rs", "use crate::operations::catalog::Catalog;").is_empty());
    assert!(check("audit/lint/rules.rs", "use crate::{language::json, operations::catalog::Catalog};").is_empty());
    assert_eq!(check("audit/lint/rules.rs", "use crate::{language::json, operations::guard};").len(), 1);
    assert!(check("audit/diff/strings.rs", "use super::super::glob; use super::values;").is_empty());
    assert!(check("operations/sim/vpc.rs", "use super::{Params, later}; use crate::PolicySet;").is_empty());
    assert!(check("engine/compile.rs", "use crate::language::pattern::Pattern; use crate::engine::eval;").is_empty());
    assert_eq!(check("operations/guard.rs", "use crate::lint::Finding;").len(), 1);
    assert_eq!(check("language/json.rs", "use crate::parts::Arn;").len(), 1);
    assert!(check("engine/eval.rs", "use crate::parts::Arn;").is_empty());
}
