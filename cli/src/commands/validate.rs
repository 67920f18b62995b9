//! `ramguard validate`.

use std::path::PathBuf;

use ramguard::sources::Found as InPlan;
use ramguard::{Limits, Location, Policy, PolicyKind};

use super::inputs::{self, KindArg, Source};
use super::output::{Format, print_json};
use super::{EXIT_ERROR, EXIT_OK};

/// Validates the documents `paths` name, each read as `--kind`, `--control` or
/// `--session` choose (a document in a Terraform plan or a ROS template as
/// its resource type says), and reports on every one.
pub(crate) fn run(
    kind: KindArg,
    format: Format,
    (control, session): (&[String], &[String]),
    lifted: bool,
    options: &inputs::SourceOptions,
    paths: &[PathBuf],
) -> Result<u8, String> {
    let limits = inputs::limits(lifted);
    let globs = inputs::KindGlobs::new(control, session)?;
    let found = inputs::find(paths, inputs::Wanted::Sources);
    let chosen: Vec<Option<PolicyKind>> =
        found.iter().map(|f| f.as_ref().ok().and_then(|f| globs.kind_of(&f.relative))).collect();
    globs.check_all_matched()?;
    let mut all_valid = true;
    let mut reports = Vec::new();
    // The human report goes out file by file: on a terminal it is its own progress.
    let wanted = matches!(format, Format::Json) || !crate::progress::stdout_is_terminal();
    let progress = crate::progress::Progress::bar_if(wanted, found.len(), "validating");
    for (entry, chosen) in found.into_iter().zip(chosen) {
        progress.step();
        let (file, named, read) = match entry {
            Ok(found) => {
                let read = inputs::read_source(&found.path, lifted, options);
                (found.path, found.named, read)
            }
            Err((path, message)) => {
                let read = Err(format!("{}: {message}", path.display()));
                (path, true, read)
            }
        };
        let name = file.display().to_string();
        let read = match read {
            Ok(Source::OtherYaml) if named => {
                Err(format!("{name}: not a policy document, a Terraform plan or a ROS template"))
            }
            read => read,
        };
        let text = match read {
            Ok(Source::Policy(text)) => text,
            Ok(Source::OtherYaml) => {
                match format {
                    Format::Human => println!("{name}: skipped, not a ROS template"),
                    Format::Json => reports.push(serde_json::json!({ "file": name, "skipped": true })),
                }
                continue;
            }
            Ok(Source::Documents(what, documents, _)) => {
                if documents.is_empty() {
                    match format {
                        Format::Human => println!("{name}: no policy document in this {what}"),
                        Format::Json => reports.push(serde_json::json!({ "file": name, "documents": 0 })),
                    }
                }
                for document in &documents {
                    // A Terraform module's documents are in its several files.
                    let name = document.file.display().to_string();
                    all_valid &= in_plan(&name, document, &limits, format, &mut reports);
                }
                continue;
            }
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
        let document = Document { file: &name, place: None, text: &text, kind, locate: &|at| at };
        all_valid &= report(&document, &limits, format, &mut reports);
    }
    drop(progress);
    if let Format::Json = format {
        print_json(&serde_json::json!({ "files": reports }))?;
    }
    Ok(if all_valid { EXIT_OK } else { EXIT_ERROR })
}

/// One document to validate, and how its positions map into its file.
struct Document<'a> {
    file: &'a str,
    /// Where in the file, for a document inside a Terraform plan.
    place: Option<&'a str>,
    text: &'a str,
    kind: PolicyKind,
    locate: &'a dyn Fn(Location) -> Location,
}

/// Validates a document of a Terraform plan. One not known until apply
/// cannot be vouched for: it is reported, with what it depends on, and
/// counts as not valid.
fn in_plan(file: &str, found: &InPlan, limits: &Limits, format: Format, reports: &mut Vec<serde_json::Value>) -> bool {
    let Some(text) = found.document.as_deref() else {
        let depends =
            if found.unresolved.is_empty() { "nothing named".to_owned() } else { found.unresolved.join(", ") };
        match format {
            Format::Human => {
                println!(
                    "{file}:{}: {}: not known until apply, so not checked (depends on {depends})",
                    found.at, found.place
                )
            }
            Format::Json => reports.push(serde_json::json!({
                "file": file, "where": found.place, "kind": found.kind.name(), "valid": false, "known": false,
                "unresolved": found.unresolved, "line": found.at.line, "column": found.at.column,
                "errors": [], "warnings": [],
            })),
        }
        return false;
    };
    let locate = |at: Location| found.locate(at);
    let document = Document { file, place: Some(&found.place), text, kind: found.kind.policy_kind(), locate: &locate };
    report(&document, limits, format, reports)
}

/// Validates `document` and reports on it; whether it is valid.
fn report(document: &Document<'_>, limits: &Limits, format: Format, reports: &mut Vec<serde_json::Value>) -> bool {
    let Document { file, place, text, kind, locate } = *document;
    let name = place.map_or_else(|| file.to_owned(), |p| format!("{file}:{p}"));
    let result = Policy::parse_with_limits(&name, text, kind, limits);
    // `file:line:column: ` and, for a document in a plan, its place.
    let at = |location: Location| match place {
        Some(place) => format!("{file}:{}: {place}:", locate(location)),
        None => format!("{file}:{location}:"),
    };
    match format {
        Format::Human => match &result {
            Ok(policy) => {
                for w in policy.warnings() {
                    println!("{} {}", at(w.location()), w.message());
                }
                let n = policy.statements().len();
                let noun = if n == 1 { "statement" } else { "statements" };
                println!("{name}: ok ({kind} policy, {n} {noun})");
            }
            Err(errors) => {
                for e in errors.errors() {
                    let path = if e.path().is_root() { String::new() } else { format!(" (at {})", e.path()) };
                    println!("{} {}{path}", at(e.location()), e.kind());
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
                            let l = locate(e.location());
                            serde_json::json!({
                                "code": e.code(), "message": e.kind().to_string(), "path": e.path().to_string(),
                                "line": l.line, "column": l.column, "help": e.help(),
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
                            let l = locate(w.location());
                            serde_json::json!({
                                "message": w.message(), "path": w.path().to_string(),
                                "line": l.line, "column": l.column,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut entry = serde_json::json!({
                "file": file, "kind": kind, "valid": result.is_ok(), "errors": errors, "warnings": warnings,
            });
            if let (Some(place), Some(fields)) = (place, entry.as_object_mut()) {
                fields.insert("where".to_owned(), serde_json::json!(place));
            }
            reports.push(entry);
        }
    }
    result.is_ok()
}
