//! `ramguard extract`: every policy document a source holds, with where it
//! is, its kind and what it depends on that is not known.

use std::path::PathBuf;

use ramguard::detect_kind;
use ramguard::sources::{DocumentKind, Found};
use serde_json::{Value, json};

use super::inputs::{self, Source};
use super::output::{Format, print_json};
use super::{EXIT_ERROR, EXIT_OK};

/// One document, as `extract` reports it.
struct Extracted {
    source: String,
    place: Option<String>,
    kind: &'static str,
    document: Option<String>,
    line: usize,
    column: usize,
    unresolved: Vec<String>,
}

impl Extracted {
    fn from_found(source: &str, found: Found) -> Self {
        Self {
            source: source.to_owned(),
            place: Some(found.place),
            kind: found.kind.name(),
            document: found.document,
            line: found.at.line,
            column: found.at.column,
            unresolved: found.unresolved,
        }
    }

    fn json(&self) -> Value {
        // The document as JSON when it reads as JSON, else as the text it is.
        let document = self.document.as_deref().map(|text| serde_json::from_str(text).unwrap_or_else(|_| json!(text)));
        json!({
            "source": self.source, "where": self.place, "kind": self.kind, "line": self.line, "column": self.column,
            "document": document, "unresolved": self.unresolved,
        })
    }
}

/// Prints the documents of `paths` (policy files, directories of them,
/// Terraform plans, ROS templates). Exit 0 when every source was read, 1 otherwise.
pub(crate) fn run(format: Format, options: &inputs::SourceOptions, paths: &[PathBuf]) -> Result<u8, String> {
    let mut all_read = true;
    let mut extracted = Vec::new();
    for entry in inputs::find(paths, inputs::Wanted::Sources) {
        let found = match entry {
            Ok(found) => found,
            Err((path, message)) => {
                all_read = false;
                eprintln!("error: {}: {message}", path.display());
                continue;
            }
        };
        let source = found.path.display().to_string();
        match inputs::read_source(&found.path, true, options) {
            Ok(Source::OtherYaml) if !found.named => {}
            Ok(Source::OtherYaml) => {
                all_read = false;
                eprintln!("error: {source}: not a policy document, a Terraform plan or a ROS template");
            }
            Ok(Source::Documents(_, documents, _)) => {
                // A Terraform module's documents are in its several files.
                extracted.extend(documents.into_iter().map(|d| {
                    let file = d.file.display().to_string();
                    Extracted::from_found(&file, d)
                }));
            }
            Ok(Source::Policy(text)) => {
                if !found.named && !inputs::is_policy_document(&text) {
                    continue;
                }
                let kind = match detect_kind(&text) {
                    ramguard::PolicyKind::Resource => DocumentKind::Resource,
                    _ => DocumentKind::Identity,
                };
                extracted.push(Extracted {
                    source,
                    place: None,
                    kind: kind.name(),
                    document: Some(text),
                    line: 1,
                    column: 1,
                    unresolved: Vec::new(),
                });
            }
            Err(message) => {
                all_read = false;
                eprintln!("error: {message}");
            }
        }
    }
    match format {
        Format::Json => print_json(&Value::Array(extracted.iter().map(Extracted::json).collect()))?,
        Format::Human => {
            for e in &extracted {
                let place = e.place.as_deref().map(|p| format!(" {p}")).unwrap_or_default();
                println!("{}:{}:{}:{place} ({})", e.source, e.line, e.column, e.kind);
                match &e.document {
                    Some(text) => {
                        for line in text.trim_end().lines() {
                            println!("  {line}");
                        }
                    }
                    None => println!("  not known until apply"),
                }
                if !e.unresolved.is_empty() {
                    println!("  depends on: {}", e.unresolved.join(", "));
                }
            }
            let n = extracted.len();
            println!("{n} {}", if n == 1 { "document" } else { "documents" });
        }
    }
    Ok(if all_read { EXIT_OK } else { EXIT_ERROR })
}
