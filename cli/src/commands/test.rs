//! `ramguard test`.

use std::path::PathBuf;

use ramguard::Limits;
use ramguard::suite::{Suite, SuiteReport};

use super::inputs;
use super::output::{Format, print_json, render_explanation};
use super::{EXIT_ERROR, EXIT_NO, EXIT_OK};

/// The suite files: files as given, directories searched the way every
/// command searches them (`commands::inputs`) for `*.suite.json`.
fn collect_suites(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        let mut found = Vec::new();
        for entry in inputs::find(std::slice::from_ref(path), inputs::Wanted::Suites) {
            let found_one = entry.map_err(|(at, message)| format!("{}: {message}", at.display()))?;
            // Opening a FIFO would block: only regular files are loaded (a
            // missing one is reported by the loader, and the others still run).
            if found_one.path.exists() {
                inputs::regular(&found_one.path)?;
            }
            found.push(found_one.path);
        }
        if found.is_empty() && path.is_dir() {
            return Err(format!("{}: no `*.suite.json` files in this directory", path.display()));
        }
        out.extend(found);
    }
    Ok(out)
}

/// Runs the suites `paths` name; a suite that cannot be loaded is reported,
/// and the others still run.
pub(crate) fn run(format: Format, limits: Limits, paths: &[PathBuf]) -> Result<u8, String> {
    let mut reports: Vec<(PathBuf, SuiteReport)> = Vec::new();
    let mut load_errors: Vec<String> = Vec::new();
    let suites = collect_suites(paths)?;
    let progress = crate::progress::Progress::bar(suites.len(), "testing");
    for path in suites {
        progress.step();
        progress.message(&path.display().to_string());
        // A suite that cannot be loaded is reported, and the others still run.
        match Suite::load_with_limits(&path, &limits) {
            Ok(suite) => reports.push((path, suite.run())),
            Err(e) => {
                eprintln!("error: {e}");
                load_errors.push(e.to_string());
            }
        }
    }
    drop(progress);
    let passed: usize = reports.iter().map(|(_, r)| r.passed).sum();
    let failed: usize = reports.iter().map(|(_, r)| r.failed).sum();
    match format {
        Format::Json => {
            let cases: Vec<serde_json::Value> = reports
                .iter()
                .flat_map(|(path, r)| {
                    r.cases.iter().map(move |c| {
                        serde_json::json!({
                            "suite": path.display().to_string(), "name": c.name, "expected": c.expected,
                            "actual": c.actual, "decided_by": c.explanation.decided_by, "passed": c.passed,
                            "missing_context_keys": c.explanation.missing_context_keys,
                            "notes": c.explanation.notes,
                        })
                    })
                })
                .collect();
            print_json(&serde_json::json!({
                "passed": passed, "failed": failed, "errors": load_errors, "cases": cases,
            }))?;
        }
        Format::Human => {
            for (path, report) in &reports {
                println!("{}", path.display());
                for c in &report.cases {
                    if c.passed {
                        println!("  ok    {} ({})", c.name, c.actual);
                        for note in &c.explanation.notes {
                            println!("        note: {note}");
                        }
                    } else {
                        println!("  FAIL  {}: expected {}, got {}", c.name, c.expected, c.actual);
                        for line in render_explanation(&c.explanation).lines() {
                            println!("        {line}");
                        }
                    }
                }
            }
            if !reports.is_empty() {
                println!("{passed} passed, {failed} failed");
            }
        }
    }
    Ok(if !load_errors.is_empty() {
        EXIT_ERROR
    } else if failed == 0 {
        EXIT_OK
    } else {
        EXIT_NO
    })
}
