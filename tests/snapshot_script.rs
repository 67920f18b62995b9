//! `scripts/snapshot-from-aliyun.sh` against an API that misbehaves: names
//! that would write outside the output directory, and listings that never
//! end. Runs the script with a stand-in for the aliyun CLI; needs bash and jq.

#![allow(clippy::unwrap_used, reason = "tests unwrap what they just built")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Runs the script into `<base>/out/snapshot` with the hostile stand-in in
/// mode `hostile`, and returns its output and the base directory.
fn run(test: &str, hostile: &str, max_pages: Option<&str>) -> (Output, PathBuf) {
    let base = std::env::temp_dir().join(format!("ramguard-script-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let out = base.join("out").join("snapshot");
    std::fs::create_dir_all(&out).unwrap();
    let mut command = Command::new("bash");
    command
        .arg(path("scripts/snapshot-from-aliyun.sh"))
        .args(["--control-policies", out.to_str().unwrap(), "--", "--profile", "audit"])
        .env("ALIYUN", path("tests/snapshots/hostile-aliyun.sh"))
        .env("HOSTILE", hostile)
        .env_remove("SNAPSHOT_MAX_PAGES");
    if let Some(pages) = max_pages {
        command.env("SNAPSHOT_MAX_PAGES", pages);
    }
    (command.output().unwrap(), base)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file under `dir`, relative to it.
fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                found.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn the_stand_in_behaves_when_told_nothing() {
    let (o, base) = run("plain", "", None);
    assert!(o.status.success(), "{}", stderr(&o));
    ramguard::snapshot::Snapshot::load(&base.join("out/snapshot")).unwrap();
}

#[test]
fn names_that_are_not_ram_names_are_refused_before_they_name_a_file() {
    for (mode, what, name) in
        [("user", "user name", "../evil"), ("role", "role name", "a/b"), ("policy", "policy name", "../../evil")]
    {
        let (o, base) = run(mode, mode, None);
        assert_eq!(o.status.code(), Some(1), "{mode}: {}", stderr(&o));
        let expected = format!("snapshot-from-aliyun: refusing {what} {name} from the API: expected 1 to 128 letters");
        assert!(stderr(&o).contains(&expected), "{mode}: {}", stderr(&o));
        // Nothing was written outside the output directory.
        let outside: Vec<String> = files(&base).into_iter().filter(|f| !f.starts_with("out/snapshot/")).collect();
        assert_eq!(outside, Vec::<String>::new(), "{mode}");
        let named = |f: &String| matches!(f.rsplit('/').next(), Some("evil.json" | "b.json"));
        assert!(!files(&base).iter().any(named), "{mode}: {:?}", files(&base));
    }
}

#[test]
fn a_listing_that_never_ends_stops_at_the_page_limit() {
    let (o, _) = run("endless", "endless", Some("5"));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o)
            .contains("ListUsers has more than 5 pages (SNAPSHOT_MAX_PAGES): stopping rather than paging forever"),
        "{}",
        stderr(&o)
    );
    let (o, _) = run("stuck", "stuck", None);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("ListUsers page 2 repeats the Marker of page 1"), "{}", stderr(&o));
    let (o, _) = run("bad-limit", "", Some("many"));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("SNAPSHOT_MAX_PAGES must be a positive whole number"), "{}", stderr(&o));
}
