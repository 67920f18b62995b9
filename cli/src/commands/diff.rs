//! `ramguard diff`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ramguard::diff::{Counterexample, DiffOptions, DiffReport, diff, not_granted};
use ramguard::{Limits, Policy, PolicyKind, PolicySet, Principal, detect_kind};

use ramguard::diff::Universe;
use ramguard::sources::placeholders;

use super::inputs::{self, Found};
use super::output::{Format, print_json};
use super::unknowns::{self, Template, Unknowns, widen};
use super::{EXIT_NO, EXIT_OK, EXIT_UNDECIDED};

/// Arguments of `ramguard diff`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The policies before the change: a policy file, a directory searched
    /// (recursively; hidden entries and `*.suite.json` skipped) for `*.json`
    /// policy documents, or `-` for one document on standard input.
    /// With `--not-granted` and no NEW, the only policies checked.
    pub(crate) old: PathBuf,
    /// The policies after the change (same forms as OLD).
    pub(crate) new: Option<PathBuf>,
    /// Fail when the new policies grant any of these actions (patterns such as
    /// `vpc:Delete*` allowed) on any representative resource and context.
    #[arg(long, num_args = 1.., value_name = "ACTION")]
    pub(crate) not_granted: Vec<String>,
    /// Documents read as control policies: a glob matched against their path
    /// relative to OLD and NEW (`*` crosses `/`; a file given by name: its
    /// file name), or against the file name alone, such as `control/*` or
    /// `*-control.json`; a glob that matches no document on either side is
    /// an error. Repeatable.
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
    /// The most automaton states explored for one family of patterns.
    #[arg(long, default_value_t = ramguard::diff::MAX_STATES)]
    pub(crate) max_states: usize,
    /// Exit 0 rather than 3 when nothing was found but a budget cut the
    /// search short (the report still says so).
    #[arg(long)]
    pub(crate) accept_inexact: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: Format,
    /// Lift RAM's document size limits.
    #[arg(long)]
    pub(crate) no_size_limit: bool,
    /// How ROS templates are read, on both sides.
    #[command(flatten)]
    pub(crate) template: inputs::TemplateArgs,
}

/// The policies of one side, and the JSON files that are not policies.
struct Side {
    docs: Vec<Doc>,
    files: Vec<serde_json::Value>,
    skipped: Vec<String>,
}

/// One policy document of a side.
struct Doc {
    name: String,
    kind: PolicyKind,
    policy: Policy,
    /// The document's text, lowercased (tokens must be fresh against it).
    lowered: String,
    /// The document, when it was read from a template or a Terraform
    /// module and holds placeholders.
    template: Option<serde_json::Value>,
}

impl Side {
    fn set(&self) -> PolicySet {
        let mut set = PolicySet::new();
        for doc in &self.docs {
            set.add(doc.policy.clone());
        }
        set
    }

    fn templates(&self) -> impl Iterator<Item = &serde_json::Value> {
        self.docs.iter().filter_map(|d| d.template.as_ref())
    }
}

struct Kinds {
    globs: super::inputs::KindGlobs,
    ros: inputs::SourceOptions,
    limits: Limits,
    lifted: bool,
}

/// The documents of one side, by path: chosen (and their kinds chosen) before
/// anything is read.
fn find_side(path: &Path, kinds: &Kinds) -> Result<Vec<(Found, Option<PolicyKind>)>, String> {
    if path == Path::new("-") {
        let found = Found { path: path.to_path_buf(), relative: "-".to_owned(), named: true };
        return Ok(vec![(found, None)]);
    }
    let mut out = Vec::new();
    for entry in inputs::find(&[path.to_path_buf()], inputs::Wanted::Sources) {
        let found = entry.map_err(|(at, message)| format!("{}: {message}", at.display()))?;
        let kind = kinds.globs.kind_of(&found.relative);
        out.push((found, kind));
    }
    Ok(out)
}

fn load_side(root: &Path, documents: Vec<(Found, Option<PolicyKind>)>, kinds: &Kinds) -> Result<Side, String> {
    let mut side = Side { docs: Vec::new(), files: Vec::new(), skipped: Vec::new() };
    for (found, chosen) in documents {
        let text = if found.path == Path::new("-") {
            inputs::read_capped(std::io::stdin().lock(), kinds.lifted).map_err(|e| format!("standard input: {e}"))?
        } else {
            match inputs::read_source(&found.path, kinds.lifted, &kinds.ros)? {
                inputs::Source::Policy(text) => text,
                inputs::Source::Documents(_, documents, _) => {
                    add_plan(&mut side, &found, &documents, kinds)?;
                    continue;
                }
                inputs::Source::OtherYaml if found.named => {
                    return Err(format!(
                        "{}: not a policy document, a Terraform plan or a ROS template",
                        found.path.display()
                    ));
                }
                inputs::Source::OtherYaml => {
                    side.skipped.push(found.relative);
                    continue;
                }
            }
        };
        if !found.named && !inputs::is_policy_document(&text) {
            side.skipped.push(found.relative);
            continue;
        }
        let kind = chosen.unwrap_or_else(|| detect_kind(&text));
        let policy = Policy::parse_with_limits(&found.relative, &text, kind, &kinds.limits).map_err(|errors| {
            let shown = if found.named { root.display().to_string() } else { found.path.display().to_string() };
            errors.errors().iter().map(|e| format!("{shown}:{e}")).collect::<Vec<_>>().join("\n")
        })?;
        side.files.push(serde_json::json!({"name": found.relative, "kind": kind}));
        let lowered = text.to_lowercase();
        side.docs.push(Doc { name: found.relative, kind, policy, lowered, template: None });
    }
    Ok(side)
}

/// Adds the documents of a Terraform plan or a ROS template to `side`,
/// each named by the file's path and its place. A document not known until apply cannot be
/// compared: the diff stops with an error rather than answer without it. A
/// document that holds placeholders is kept with them (see `unknowns`).
fn add_plan(
    side: &mut Side,
    found: &Found,
    documents: &[ramguard::sources::Found],
    kinds: &Kinds,
) -> Result<(), String> {
    for document in documents {
        // A Terraform module's documents are in its several files.
        let file = document.file.display();
        let Some(text) = document.document.as_deref() else {
            let depends = document.unresolved.join(", ");
            return Err(format!(
                "{file}:{}: {}: not known until apply, so the plans cannot be compared (depends on {})",
                document.at,
                document.place,
                if depends.is_empty() { "nothing named" } else { &depends }
            ));
        };
        let name = format!("{}:{}", found.relative, document.place);
        let kind = document.kind.policy_kind();
        let policy = Policy::parse_with_limits(&name, text, kind, &kinds.limits).map_err(|errors| {
            errors
                .errors()
                .iter()
                .map(|e| format!("{file}:{}: {}: {}", document.locate(e.location()), document.place, e.kind()))
                .collect::<Vec<_>>()
                .join("\n")
        })?;
        // A placeholder stands for a value known only at deployment: the
        // document is compared with it read as an unknown value.
        let template = if placeholders(text).is_empty() {
            None
        } else {
            Some(serde_json::from_str(text).map_err(|e| format!("{file}:{}: {}: {e}", document.at, document.place))?)
        };
        side.files.push(serde_json::json!({"name": name, "kind": kind}));
        side.docs.push(Doc { name, kind, policy, lowered: text.to_lowercase(), template });
    }
    Ok(())
}

pub(crate) fn run(args: &Args) -> Result<u8, String> {
    let kinds = Kinds {
        ros: args.template.options()?,
        globs: inputs::KindGlobs::new(&args.control, &args.session)?,
        limits: if args.no_size_limit { Limits::unlimited() } else { Limits::default() },
        lifted: args.no_size_limit,
    };
    if args.new.is_none() && args.not_granted.is_empty() {
        return Err("give the policies before and after the change (OLD NEW), or --not-granted".to_owned());
    }
    if args.old == Path::new("-") && args.new.as_deref() == Some(Path::new("-")) {
        return Err("only one side can be read from standard input".to_owned());
    }
    let mut options = DiffOptions {
        max_contexts: args.max_contexts,
        max_requests: args.max_requests,
        max_states: args.max_states,
        ..DiffOptions::default()
    };
    if let Some(p) = &args.principal {
        let principal: Principal = p.parse().map_err(|e| format!("--principal: {e}"))?;
        options.principal = Some(principal);
    }
    if let Some(path) = &args.catalog {
        options.catalog = Some(super::catalog_with([path.as_path()])?);
    }
    // Both sides are chosen before either is read: a glob must match a
    // document on one side or the other.
    let reading = crate::progress::Progress::spinner("reading policies");
    let first = find_side(&args.old, &kinds)?;
    let second = args.new.as_deref().map(|path| find_side(path, &kinds)).transpose()?;
    kinds.globs.check_all_matched()?;
    let first = load_side(&args.old, first, &kinds)?;
    let (old, new) = match (&args.new, second) {
        (Some(path), Some(second)) => (Some(first), load_side(path, second, &kinds)?),
        _ => (None, first),
    };
    drop(reading);
    let searching = crate::progress::Progress::bar(0, "checking actions");
    options.progress = Some(ramguard::diff::Progress::new(searching.reporter()));
    let sides: Vec<&Side> = old.iter().chain([&new]).collect();
    let unknowns = {
        let texts: Vec<String> = sides.iter().flat_map(|s| s.docs.iter().map(|d| d.lowered.clone())).collect();
        Unknowns::new(sides.iter().flat_map(|s| s.templates()), &texts)
    };
    let answer = if unknowns.is_empty() {
        let reports = search(old.as_ref().map(Side::set).as_ref(), &new.set(), args, &options)?;
        Answer { reports, unknowns: None, possible: false, unsettled: None }
    } else {
        with_unknowns(old.as_ref(), &new, &unknowns, args, &mut options)?
    };
    drop(searching);
    let found = !answer.possible && answer.reports.found();
    let Reports { new_access, granted } = &answer.reports;
    // A counterexample is proof whatever the budgets did; finding none is
    // proof only when the search covered every request.
    let inexact = !found && [new_access, granted].into_iter().flatten().any(|r| !r.conclusive());
    let unsettled = if found {
        None
    } else if answer.possible {
        Some(format!(
            "new access cannot be ruled out for every value of {}",
            answer.unknowns.map(|u| u.unknown().join(", ")).unwrap_or_default()
        ))
    } else {
        answer.unsettled.clone()
    };
    let undecided = unsettled.is_some() || (inexact && !args.accept_inexact);
    match args.format {
        Format::Json => {
            let mut out = serde_json::Map::new();
            let result = if found {
                "fail"
            } else if undecided {
                "undecided"
            } else {
                "pass"
            };
            out.insert("result".into(), result.into());
            if inexact {
                out.insert("inexact_accepted".into(), args.accept_inexact.into());
            }
            if let Some(unknowns) = answer.unknowns {
                let mut about = serde_json::Map::new();
                about.insert("placeholders".into(), serde_json::json!(unknowns.unknown()));
                about.insert("account_placeholders".into(), serde_json::json!(unknowns.accounts()));
                let account = options.principal.as_ref().and_then(Principal::account);
                about.insert("account".into(), serde_json::json!(account));
                about.insert("possible".into(), answer.possible.into());
                out.insert("unknowns".into(), serde_json::Value::Object(about));
            }
            if let Some(why) = &unsettled {
                out.insert("undecided".into(), why.clone().into());
            }
            if let Some(old) = &old {
                out.insert("old".into(), serde_json::json!({"files": old.files, "skipped": old.skipped}));
            }
            out.insert("new".into(), serde_json::json!({"files": new.files, "skipped": new.skipped}));
            if let Some(r) = new_access {
                out.insert("new_access".into(), serde_json::to_value(r).map_err(|e| e.to_string())?);
            }
            if let Some(r) = granted {
                let mut value = serde_json::to_value(r).map_err(|e| e.to_string())?;
                if let Some(object) = value.as_object_mut() {
                    object.insert("actions".into(), serde_json::json!(args.not_granted));
                }
                out.insert("not_granted".into(), value);
            }
            let out = serde_json::Value::Object(out);
            print_json(&answer.unknowns.map_or_else(|| out.clone(), |u| u.restore_value(&out)))?;
        }
        Format::Human => {
            let mut text = render(old.as_ref(), &new, new_access.as_ref(), granted.as_ref(), args, answer.possible);
            if let Some(unknowns) = answer.unknowns {
                render_unknowns(&mut text, unknowns, &options, found, args.new.is_some());
                text = unknowns.restore(&text);
            }
            print!("{text}");
            if let Some(why) = &unsettled {
                println!(
                    "UNDECIDED: {why}, so this is no proof (give the values with --parameters, --var or \
                     --var-file; exit {EXIT_UNDECIDED})"
                );
            } else if undecided {
                println!(
                    "UNDECIDED: nothing was found, but the search was cut short, so this is no proof \
                     (--accept-inexact accepts it; exit {EXIT_UNDECIDED})"
                );
            } else if inexact {
                println!("accepted an inexact answer (--accept-inexact): the search was cut short");
            }
        }
    }
    Ok(if found {
        EXIT_NO
    } else if undecided {
        EXIT_UNDECIDED
    } else {
        EXIT_OK
    })
}

/// The reports of one search: new access, and the actions that must not be granted.
struct Reports {
    new_access: Option<DiffReport>,
    granted: Option<DiffReport>,
}

impl Reports {
    fn found(&self) -> bool {
        self.new_access.as_ref().is_some_and(DiffReport::found) || self.granted.as_ref().is_some_and(DiffReport::found)
    }
}

/// What a diff answers.
struct Answer<'a> {
    reports: Reports,
    /// The placeholders read as unknown values, if any.
    unknowns: Option<&'a Unknowns>,
    /// Whether the counterexamples come from the search over every value of
    /// the placeholders, which may find what no one value gives.
    possible: bool,
    /// Why finding nothing does not settle the question, if it does not.
    unsettled: Option<String>,
}

/// The searches a diff asks for, on `old` (absent with `--not-granted` alone) and `new`.
fn search(old: Option<&PolicySet>, new: &PolicySet, args: &Args, options: &DiffOptions) -> Result<Reports, String> {
    let new_access = match (old, &args.new) {
        (Some(old), Some(_)) => Some(diff(old, new, options).map_err(|e| e.to_string())?),
        _ => None,
    };
    let granted = if args.not_granted.is_empty() {
        None
    } else {
        let also = old.filter(|_| args.new.is_some());
        Some(not_granted(new, also, &args.not_granted, options).map_err(|e| e.to_string())?)
    };
    Ok(Reports { new_access, granted })
}

/// The policies of `side`, each template document read through `read`.
fn side_set(side: &Side, read: &mut dyn FnMut(&serde_json::Value) -> serde_json::Value) -> Result<PolicySet, String> {
    let mut set = PolicySet::new();
    for doc in &side.docs {
        match &doc.template {
            None => {
                set.add(doc.policy.clone());
            }
            Some(template) => {
                let text = read(template).to_string();
                // The document itself was checked, within the limits, as read.
                let policy =
                    Policy::parse_with_limits(&doc.name, &text, doc.kind, &Limits::unlimited()).map_err(|errors| {
                        let shown: Vec<String> = errors.errors().iter().map(|e| format!("{}: {e}", doc.name)).collect();
                        format!("{} (with its placeholders read as unknown values)", shown.join("\n"))
                    })?;
                set.add(policy);
            }
        }
    }
    Ok(set)
}

/// A reader of a side's template documents that gives, in turn, each of `documents`.
fn replay(documents: &[serde_json::Value]) -> impl FnMut(&serde_json::Value) -> serde_json::Value + '_ {
    let mut each = documents.iter();
    move |_| each.next().cloned().unwrap_or_default()
}

/// The diff of sides that hold placeholders, read as unknown values (see
/// `unknowns`): first with generic values, then, when that finds nothing,
/// for every value.
fn with_unknowns<'a>(
    old: Option<&Side>,
    new: &Side,
    unknowns: &'a Unknowns,
    args: &Args,
    options: &mut DiffOptions,
) -> Result<Answer<'a>, String> {
    fn tokens<'t>(
        unknowns: &'t Unknowns,
        account: Option<&'t str>,
    ) -> impl FnMut(&serde_json::Value) -> serde_json::Value + 't {
        move |v| unknowns.substitute(v, account, true)
    }
    // The account placeholders are the principal's account: the principal
    // is settled first, on the sets as they read without it.
    if options.principal.is_none() {
        let old_set = old.map(|s| side_set(s, &mut tokens(unknowns, None))).transpose()?;
        let new_set = side_set(new, &mut tokens(unknowns, None))?;
        let sets: Vec<&PolicySet> = old_set.iter().chain([&new_set]).collect();
        let universe = Universe::new(&sets, &args.not_granted, options).map_err(|e| e.to_string())?;
        options.principal = Some(universe.principal().clone());
    }
    let account = options.principal.as_ref().and_then(Principal::account).map(str::to_owned);
    let account = account.as_deref();
    let old_set = old.map(|s| side_set(s, &mut tokens(unknowns, account))).transpose()?;
    let new_set = side_set(new, &mut tokens(unknowns, account))?;
    let generic = search(old_set.as_ref(), &new_set, args, options)?;
    if generic.found() {
        return Ok(Answer { reports: generic, unknowns: Some(unknowns), possible: false, unsettled: None });
    }
    // Every value: the documents that hold placeholders, widened or taken away.
    let bound: Vec<(unknowns::Side, &Doc, serde_json::Value)> = old
        .iter()
        .map(|s| (unknowns::Side::Old, *s))
        .chain([(unknowns::Side::New, new)])
        .flat_map(|(side, s)| {
            s.docs
                .iter()
                .filter_map(move |d| d.template.as_ref().map(|t| (side, d, unknowns.substitute(t, account, false))))
        })
        .collect();
    let templates: Vec<Template<'_>> =
        bound.iter().map(|(side, doc, document)| Template { side: *side, kind: doc.kind, document }).collect();
    let widened = widen(&templates);
    // The widened documents are in the order of `bound`: the old side's, then the new side's.
    let split = old.map_or(0, |s| s.templates().count());
    let (old_widened, new_widened) = widened.documents.split_at(split.min(widened.documents.len()));
    let old_set = old.map(|s| side_set(s, &mut replay(old_widened))).transpose()?;
    let new_set = side_set(new, &mut replay(new_widened))?;
    let every = search(old_set.as_ref(), &new_set, args, options)?;
    let possible = every.found();
    Ok(Answer { reports: every, unknowns: Some(unknowns), possible, unsettled: widened.unsettled })
}

fn render(
    old: Option<&Side>,
    new: &Side,
    new_access: Option<&DiffReport>,
    granted: Option<&DiffReport>,
    args: &Args,
    possible: bool,
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
    let list = |out: &mut String, side: &Side| {
        for file in &side.files {
            let name = file.get("name").and_then(serde_json::Value::as_str).unwrap_or_default();
            let kind = file.get("kind").and_then(serde_json::Value::as_str).unwrap_or_default();
            let _ = writeln!(out, "  {name}: {kind}");
        }
    };
    if let Some(old) = old {
        let _ = writeln!(out, "old: {} ({})", args.old.display(), count(old));
        list(&mut out, old);
    }
    let new_path = args.new.as_ref().unwrap_or(&args.old);
    let _ = writeln!(out, "new: {} ({})", new_path.display(), count(new));
    list(&mut out, new);
    if let Some(r) = new_access {
        let _ = writeln!(out, "principal: {}", r.principal);
        if r.found() && possible {
            let _ = writeln!(
                out,
                "NOT RULED OUT: read for every value of the placeholders, the new policies may allow requests the old \
                 ones deny"
            );
            for c in &r.counterexamples {
                render_counterexample(&mut out, c);
            }
        } else if r.found() {
            let _ = writeln!(out, "NEW ACCESS: the new policies allow requests the old ones deny");
            for c in &r.counterexamples {
                render_counterexample(&mut out, c);
            }
        } else if r.conclusive() {
            let _ = writeln!(out, "no new access");
        } else {
            let _ = writeln!(out, "no new access found, but the search was cut short (see below)");
        }
        render_coverage(&mut out, r);
    }
    if let Some(r) = granted {
        let patterns = args.not_granted.join(", ");
        if r.found() && possible {
            let _ = writeln!(
                out,
                "NOT RULED OUT: read for every value of the placeholders, the new policies may allow {patterns}"
            );
            for c in &r.counterexamples {
                render_counterexample(&mut out, c);
            }
        } else if r.found() {
            let _ = writeln!(out, "GRANTED: the new policies allow {patterns}");
            for c in &r.counterexamples {
                render_counterexample(&mut out, c);
            }
        } else if r.conclusive() {
            let _ = writeln!(out, "not granted: {patterns}");
        } else {
            let _ = writeln!(out, "not found granted, but the search was cut short (see below): {patterns}");
        }
        render_coverage(&mut out, r);
    }
    out
}

/// How the placeholders were read.
fn render_unknowns(out: &mut String, unknowns: &Unknowns, options: &DiffOptions, found: bool, two_sides: bool) {
    let unknown = unknowns.unknown();
    if !unknown.is_empty() {
        let same = if two_sides { ", the same on both sides" } else { "" };
        let _ = writeln!(out, "unknown values{same}: {}", unknown.join(", "));
    }
    let accounts = unknowns.accounts();
    if !accounts.is_empty() {
        match options.principal.as_ref().and_then(Principal::account) {
            Some(account) => {
                let _ = writeln!(
                    out,
                    "{} read as the principal's account, {account} (--account gives another)",
                    accounts.join(", ")
                );
            }
            None => {
                let _ = writeln!(out, "unknown values: {} (the principal has no account)", accounts.join(", "));
            }
        }
    }
    if found && !unknown.is_empty() {
        let _ = writeln!(
            out,
            "note: a counterexample that shows a placeholder holds when its value is one that no pattern names"
        );
    }
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
    for why in &r.shortfalls {
        let _ = writeln!(out, "cut short: {}", why.advice());
    }
    if r.shortfalls.is_empty() && !r.conclusive() {
        let _ = writeln!(out, "cut short: the search did not cover every request");
    }
}
