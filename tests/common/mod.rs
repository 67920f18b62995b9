//! Shared by the data-driven test runners.

use std::path::Path;

use serde::de::DeserializeOwned;

/// Every `*.json` case file under `tests/cases/<dir>`, with its file stem,
/// in name order. Stops with the file's name on anything unreadable.
#[allow(clippy::panic, clippy::expect_used, reason = "a broken case file must stop the test run")]
pub fn load_case_files<T: DeserializeOwned>(dir: &str) -> Vec<(String, T)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases").join(dir);
    let mut files: Vec<(String, T)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let stem = path.file_stem().and_then(|s| s.to_str()).expect("UTF-8 file name").to_owned();
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let file: T =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not a case file: {e}", path.display()));
            (stem, file)
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}
