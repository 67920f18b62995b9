//! The readers of policies where teams keep them: ROS templates (JSON or
//! YAML), Terraform plans and Terraform source, from arbitrary bytes.
//!
//! The first byte says which reader, and whether parameters, variables and
//! an account are given; the rest is the file's text. Reading never panics,
//! every located error and every found document's place is inside the text,
//! and each document found is parsed as a policy, its located errors
//! mapped back inside the text too.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use ramguard::sources::{Found, RosOptions, SourceError, TerraformOptions, read_ros_template, read_terraform_plan};
use ramguard::{Limits, Location, Policy};

/// A folder that does not exist: a module call's local `source` finds no files of the machine's.
const DIR: &str = "/nonexistent-ramguard-fuzz";

/// Whether `at` is a place in `text` (one past the end of a line included).
fn inside(text: &str, at: Location) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(line) = text.split('\n').nth(at.line.saturating_sub(1)) else { return false };
    at.line >= 1 && at.column >= 1 && at.column <= line.chars().count() + 1
}

fn check(path: &Path, text: &str, read: Result<Vec<Found>, SourceError>) {
    let found = match read {
        Ok(found) => found,
        Err(
            SourceError::Json { file, at, message }
            | SourceError::Yaml { file, at, message }
            | SourceError::Template { file, at, message }
            | SourceError::Hcl { file, at, message },
        ) => {
            if file == path {
                assert!(inside(text, at), "{message} at {at} is outside the file");
            }
            return;
        }
        Err(_) => return,
    };
    for document in found.iter().filter(|d| d.file == path) {
        assert!(inside(text, document.at), "{} at {} is outside the file", document.place, document.at);
        let Some(policy) = document.document.as_deref() else { continue };
        if let Err(errors) = Policy::parse_with_limits("found", policy, document.kind.policy_kind(), &Limits::default())
        {
            for e in errors.errors() {
                let at = document.locate(e.location());
                assert!(inside(text, at), "{} of {} at {at} is outside the file", e.kind(), document.place);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((which, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let given = which & 4 != 0;
    match which % 4 {
        0 | 1 => {
            let path = Path::new(DIR).join("template.yaml");
            let mut options = RosOptions::default();
            if given {
                options.parameters.insert("Bucket".to_owned(), "logs".to_owned());
                options.account = Some("1234567890123456".to_owned());
                options.region = Some("cn-hangzhou".to_owned());
            }
            check(&path, text, read_ros_template(&path, text, &options));
        }
        2 => {
            let path = Path::new(DIR).join("plan.json");
            check(&path, text, read_terraform_plan(&path, text));
        }
        _ => {
            let path = Path::new(DIR).join("main.tf");
            let mut options = TerraformOptions::default();
            if given {
                options.variables.insert("bucket".to_owned(), "logs".to_owned());
                options.account = Some("1234567890123456".to_owned());
            }
            check(&path, text, ramguard::fuzzing::terraform_file(&path, text, &options));
        }
    }
});
