//! `ramguard validate`.

use std::path::PathBuf;

use ramguard::{Policy, PolicyKind};

use super::inputs::{self, KindArg};
use super::output::{Format, print_json};
use super::{EXIT_ERROR, EXIT_OK};

/// Validates the documents `paths` name, each read as `--kind`, `--control` or
/// `--session` choose, and reports on every one.
pub(crate) fn run(
    kind: KindArg,
    format: Format,
    (control, session): (&[String], &[String]),
    lifted: bool,
    paths: &[PathBuf],
) -> Result<u8, String> {
    let limits = inputs::limits(lifted);
    let globs = inputs::KindGlobs::new(control, session)?;
    let found = inputs::find(paths, inputs::Wanted::Policies);
    let chosen: Vec<Option<PolicyKind>> =
        found.iter().map(|f| f.as_ref().ok().and_then(|f| globs.kind_of(&f.relative))).collect();
    globs.check_all_matched()?;
    let mut all_valid = true;
    let mut reports = Vec::new();
    for (entry, chosen) in found.into_iter().zip(chosen) {
        let (file, named, read) = match entry {
            Ok(found) => {
                let read = inputs::read(&found.path, lifted);
                (found.path, found.named, read)
            }
            Err((path, message)) => {
                let read = Err(format!("{}: {message}", path.display()));
                (path, true, read)
            }
        };
        let name = file.display().to_string();
        let text = match read {
            Ok(text) => text,
            Err(message) => {
                // One unreadable file must not hide the report on the others.
                all_valid = false;
                eprintln!("error: {message}");
                if let Format::Json = format {
                    reports.push(serde_json::json!({
                        "file": name, "valid": false, "read_error": message, "errors": [], "warnings": [],
                    }));
                }
                continue;
            }
        };
        if !named && !inputs::is_policy_document(&text) {
            match format {
                Format::Human => println!("{name}: skipped, not a policy document"),
                Format::Json => reports.push(serde_json::json!({ "file": name, "skipped": true })),
            }
            continue;
        }
        let kind = chosen.unwrap_or_else(|| kind.kind_of(&text));
        let result = Policy::parse_with_limits(&name, &text, kind, &limits);
        all_valid &= result.is_ok();
        match format {
            Format::Human => match &result {
                Ok(policy) => {
                    for w in policy.warnings() {
                        println!("{name}:{w}");
                    }
                    let n = policy.statements().len();
                    let noun = if n == 1 { "statement" } else { "statements" };
                    println!("{name}: ok ({kind} policy, {n} {noun})");
                }
                Err(errors) => {
                    for e in errors.errors() {
                        let at = if e.path().is_root() { String::new() } else { format!(" (at {})", e.path()) };
                        println!("{name}:{}: {}{at}", e.location(), e.kind());
                        if let Some(help) = e.help() {
                            println!("  help: {help}");
                        }
                    }
                }
            },
            Format::Json => {
                let errors: Vec<serde_json::Value> = result
                    .as_ref()
                    .err()
                    .map(|es| {
                        es.errors()
                            .iter()
                            .map(|e| {
                                serde_json::json!({
                                    "code": e.code(), "message": e.kind().to_string(), "path": e.path().to_string(),
                                    "line": e.location().line, "column": e.location().column, "help": e.help(),
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let warnings: Vec<serde_json::Value> = result
                    .as_ref()
                    .map(|p| {
                        p.warnings()
                            .iter()
                            .map(|w| {
                                serde_json::json!({
                                    "message": w.message(), "path": w.path().to_string(),
                                    "line": w.location().line, "column": w.location().column,
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                reports.push(serde_json::json!({
                    "file": name, "kind": kind, "valid": result.is_ok(), "errors": errors, "warnings": warnings,
                }));
            }
        }
    }
    if let Format::Json = format {
        print_json(&serde_json::json!({ "files": reports }))?;
    }
    Ok(if all_valid { EXIT_OK } else { EXIT_ERROR })
}
