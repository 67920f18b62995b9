//! `ramguard diff`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use ramguard::diff::{Counterexample, DiffOptions, DiffReport, diff, not_granted};
use ramguard::{Limits, Policy, PolicyKind, PolicySet, Principal, detect_kind};

use crate::{EXIT_NO, EXIT_OK, Format, print_json, read};

/// Arguments of `ramguard diff`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The policies before the change: a policy file, a directory searched for
    /// `*.json` policy documents, or `-` for one document on standard input.
    /// With `--not-granted` and no NEW, the only policies checked.
    pub(crate) old: PathBuf,
    /// The policies after the change (same forms as OLD).
    pub(crate) new: Option<PathBuf>,
    /// Fail when the new policies grant any of these actions (patterns such as
    /// `vpc:Delete*` allowed) on any representative resource and context.
    #[arg(long, num_args = 1.., value_name = "ACTION")]
    pub(crate) not_granted: Vec<String>,
    /// Documents read as control policies: a glob matched against their path
    /// relative to OLD and NEW (`*` crosses `/`), or against the file name
    /// alone, such as `control/*` or `*-control.json`. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub(crate) control: Vec<String>,
    /// Documents read as session policies (a glob, as for `--control`).
    #[arg(long, value_name = "GLOB")]
    pub(crate) session: Vec<String>,
    /// Who asks; by default `test-user` of the account the policies name most.
    #[arg(long, value_name = "ARN")]
    pub(crate) principal: Option<String>,
    /// A catalog file merged over the built-in catalog.
    #[arg(long, value_name = "FILE")]
    pub(crate) catalog: Option<PathBuf>,
    /// The most contexts tried for one action and resource.
    #[arg(long, default_value_t = 4096)]
    pub(crate) max_contexts: usize,
    /// The most requests evaluated in all.
    #[arg(long, default_value_t = 2_000_000)]
    pub(crate) max_requests: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: Format,
    /// Lift RAM's document size limits.
    #[arg(long)]
    pub(crate) no_size_limit: bool,
}

/// The policies of one side, and the JSON files that are not policies.
struct Side {
    set: PolicySet,
    files: Vec<serde_json::Value>,
    skipped: Vec<String>,
}

struct Kinds {
    globs: super::KindGlobs,
    limits: Limits,
}

impl Kinds {
    fn kind(&self, relative: &str, text: &str) -> PolicyKind {
        self.globs.kind_of(relative).unwrap_or_else(|| detect_kind(text))
    }
}

/// Whether a JSON document is meant as a policy: an object with `Version`
/// or `Statement`. Anything else in a directory (a catalog, a test suite, a
/// world) is skipped.
fn is_policy_document(text: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(members)) => members.contains_key("Version") || members.contains_key("Statement"),
        // Broken JSON is reported as the policy error it is.
        Ok(_) => false,
        Err(_) => true,
    }
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: cannot read: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, found)?;
        } else if name.ends_with(".json") && !name.ends_with(".suite.json") {
            found.push(path);
        }
    }
    Ok(())
}

fn load_side(path: &Path, kinds: &Kinds) -> Result<Side, String> {
    let mut documents: Vec<(String, String, bool)> = Vec::new();
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| format!("standard input: {e}"))?;
        documents.push(("-".to_owned(), text, true));
    } else if path.is_dir() {
        let mut found = Vec::new();
        walk(path, &mut found)?;
        found.sort();
        for file in found {
            let relative = file.strip_prefix(path).unwrap_or(&file);
            let relative = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            documents.push((relative, read(&file)?, false));
        }
    } else {
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        documents.push((name, read(path)?, true));
    }
    let mut side = Side { set: PolicySet::new(), files: Vec::new(), skipped: Vec::new() };
    for (relative, text, named) in documents {
        if !named && !is_policy_document(&text) {
            side.skipped.push(relative);
            continue;
        }
        let kind = kinds.kind(&relative, &text);
        let policy = Policy::parse_with_limits(&relative, &text, kind, &kinds.limits).map_err(|errors| {
            let shown =
                if path.is_dir() { path.join(&relative).display().to_string() } else { path.display().to_string() };
            errors.errors().iter().map(|e| format!("{shown}:{e}")).collect::<Vec<_>>().join("\n")
        })?;
        side.files.push(serde_json::json!({"name": relative, "kind": kind}));
        side.set.add(policy);
    }
    Ok(side)
}

pub(crate) fn run(args: &Args) -> Result<u8, String> {
    let kinds = Kinds {
        globs: super::KindGlobs::new(&args.control, &args.session)?,
        limits: if args.no_size_limit { Limits::unlimited() } else { Limits::default() },
    };
    if args.new.is_none() && args.not_granted.is_empty() {
        return Err("give the policies before and after the change (OLD NEW), or --not-granted".to_owned());
    }
    if args.old == Path::new("-") && args.new.as_deref() == Some(Path::new("-")) {
        return Err("only one side can be read from standard input".to_owned());
    }
    let mut options =
        DiffOptions { max_contexts: args.max_contexts, max_requests: args.max_requests, ..DiffOptions::default() };
    if let Some(p) = &args.principal {
        let principal: Principal = p.parse().map_err(|e| format!("--principal: {e}"))?;
        options.principal = Some(principal);
    }
    if let Some(path) = &args.catalog {
        options.catalog = Some(super::catalog_with([path.as_path()])?);
    }
    let first = load_side(&args.old, &kinds)?;
    let (old, new) = match &args.new {
        Some(path) => (Some(first), load_side(path, &kinds)?),
        None => (None, first),
    };
    let new_access = match &old {
        Some(old) => Some(diff(&old.set, &new.set, &options).map_err(|e| e.to_string())?),
        None => None,
    };
    let granted = if args.not_granted.is_empty() {
        None
    } else {
        let also = old.as_ref().map(|o| &o.set);
        Some(not_granted(&new.set, also, &args.not_granted, &options).map_err(|e| e.to_string())?)
    };
    let found = new_access.as_ref().is_some_and(DiffReport::found) || granted.as_ref().is_some_and(DiffReport::found);
    match args.format {
        Format::Json => {
            let mut out = serde_json::Map::new();
            out.insert("result".into(), (if found { "fail" } else { "pass" }).into());
            if let Some(old) = &old {
                out.insert("old".into(), serde_json::json!({"files": old.files, "skipped": old.skipped}));
            }
            out.insert("new".into(), serde_json::json!({"files": new.files, "skipped": new.skipped}));
            if let Some(r) = &new_access {
                out.insert("new_access".into(), serde_json::to_value(r).map_err(|e| e.to_string())?);
            }
            if let Some(r) = &granted {
                let mut value = serde_json::to_value(r).map_err(|e| e.to_string())?;
                if let Some(object) = value.as_object_mut() {
                    object.insert("actions".into(), serde_json::json!(args.not_granted));
                }
                out.insert("not_granted".into(), value);
            }
            print_json(&serde_json::Value::Object(out))?;
        }
        Format::Human => print!("{}", render(old.as_ref(), &new, new_access.as_ref(), granted.as_ref(), args)),
    }
    Ok(if found { EXIT_NO } else { EXIT_OK })
}

fn render(
    old: Option<&Side>,
    new: &Side,
    new_access: Option<&DiffReport>,
    granted: Option<&DiffReport>,
    args: &Args,
) -> String {
    let mut out = String::new();
    let count = |side: &Side| {
        let skipped = if side.skipped.is_empty() {
            String::new()
        } else {
            format!(", {} other JSON files skipped", side.skipped.len())
        };
        let n = side.files.len();
        format!("{n} {}{skipped}", if n == 1 { "policy" } else { "policies" })
    };
    if let Some(old) = old {
        let _ = writeln!(out, "old: {} ({})", args.old.display(), count(old));
    }
    let new_path = args.new.as_ref().unwrap_or(&args.old);
    let _ = writeln!(out, "new: {} ({})", new_path.display(), count(new));
    if let Some(r) = new_access {
        let _ = writeln!(out, "principal: {}", r.principal);
        if r.found() {
            let _ = writeln!(out, "NEW ACCESS: the new policies allow requests the old ones deny");
            for c in &r.counterexamples {
                render_counterexample(&mut out, c);
            }
        } else {
            let _ = writeln!(out, "no new access");
        }
        render_coverage(&mut out, r);
    }
    if let Some(r) = granted {
        let patterns = args.not_granted.join(", ");
        if r.found() {
            let _ = writeln!(out, "GRANTED: the new policies allow {patterns}");
            for c in &r.counterexamples {
                render_counterexample(&mut out, c);
            }
        } else {
            let _ = writeln!(out, "not granted: {patterns}");
        }
        render_coverage(&mut out, r);
    }
    out
}

fn render_counterexample(out: &mut String, c: &Counterexample) {
    let note = if c.in_catalog { "" } else { " (not in the catalog)" };
    let _ = writeln!(out, "  {}{note} on {}", c.action, c.resource);
    if c.context.is_empty() {
        let _ = writeln!(out, "    context: (none)");
    } else {
        let shown: BTreeMap<&str, String> = c
            .context
            .iter()
            .map(|(k, v)| (k.as_str(), if v.len() == 1 { v.join("") } else { format!("{v:?}") }))
            .collect();
        for (k, v) in shown {
            let _ = writeln!(out, "    context: {k} = {v}");
        }
    }
    for g in &c.granted_by {
        let _ = writeln!(out, "    granted by: {}", statement(g));
    }
    if let Some(old) = &c.old {
        if old.denied_by.is_empty() {
            let _ = writeln!(out, "    old: {} (decided by {} policies)", old.outcome, old.decided_by);
        } else {
            let denies: Vec<String> = old.denied_by.iter().map(statement).collect();
            let _ = writeln!(out, "    old: {} by {}", old.outcome, denies.join(", "));
        }
    }
}

fn statement(s: &ramguard::diff::StatementRef) -> String {
    let sid = s.sid.as_deref().map(|x| format!(" `{x}`")).unwrap_or_default();
    format!("{} statement {}{sid} ({} policy)", s.policy, s.statement, s.kind)
}

fn render_coverage(out: &mut String, r: &DiffReport) {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let actions = u64::try_from(r.actions_checked).unwrap_or(u64::MAX);
    let _ = writeln!(
        out,
        "checked {}, {}",
        plural(actions, "action", "actions"),
        plural(r.requests_checked, "request", "requests")
    );
    for note in &r.notes {
        let _ = writeln!(out, "note: {note}");
    }
    if !r.exact {
        let _ = writeln!(out, "note: some patterns or values were too many to cover every case exactly");
    }
    if !r.complete {
        let _ = writeln!(
            out,
            "note: stopped after {} requests (see --max-requests): not every action was searched",
            r.requests_checked
        );
    }
    if !r.exhaustive {
        let _ = writeln!(out, "note: not every combination of condition values was tried (see --max-contexts)");
    }
}
