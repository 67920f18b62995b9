//! The `ramguard` command-line tool.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod commands;
mod world_file;

use clap::{Parser, Subcommand, ValueEnum};
use ramguard::suite::{DEFAULT_PRINCIPAL, Suite, SuiteReport};
use ramguard::{
    Caller, Catalog, CompiledPolicySet, Context, DecidedBy, Explanation, Guard, Limits, MAX_CLOCK, MAX_REQUESTS,
    MIN_CLOCK, Operation, Policy, PolicyKind, PolicySet, PolicySetBuilder, Principal, Request, Simulator, World,
    canonical_key, detect_kind, format_clock, parse_clock,
};
use world_file::LockedWorld;

/// Exit code: the answer is yes (valid, allowed, all cases passed).
const EXIT_OK: u8 = 0;
/// Exit code: bad arguments, unreadable or invalid input.
const EXIT_ERROR: u8 = 1;
/// Exit code: the answer is no (denied, a case failed).
const EXIT_NO: u8 = 2;
/// Exit code: undecided; a search or budget ran out before the answer was
/// known (`who-can`, `what-can`, `lint`, `diff`).
const EXIT_UNDECIDED: u8 = 3;

#[derive(Parser)]
#[command(name = "ramguard", version, about = "Validate, evaluate and test Alibaba Cloud RAM policies, offline")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Auto,
    Identity,
    Session,
    Control,
    Resource,
}

#[derive(Subcommand)]
enum Command {
    /// Check that policy documents are valid RAM policies.
    ///
    /// Exit 0 when every file is valid, 1 otherwise.
    Validate {
        /// The kind of policy; `auto` reads a document with `Principal` as a
        /// resource policy and any other as an identity policy.
        #[arg(long, value_enum, default_value = "auto")]
        kind: KindArg,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Documents read as control policies, whatever `--kind` says (a
        /// glob, as for `lint --control`). Repeatable.
        #[arg(long, value_name = "GLOB")]
        control: Vec<String>,
        /// Documents read as session policies (a glob, as for `--control`).
        #[arg(long, value_name = "GLOB")]
        session: Vec<String>,
        /// Lift RAM's document size limits (for offline audits).
        #[arg(long)]
        no_size_limit: bool,
        /// Policy documents, or directories whose `*.json` files are checked
        /// (recursively; hidden entries and `*.suite.json` skipped).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Decide a request against policies, and explain the decision.
    ///
    /// Exit 0 on Allow, 2 on a denial, 1 on an error.
    Eval {
        /// Identity policies of the principal (its own, its groups').
        #[arg(long, num_args = 1..)]
        identity: Vec<PathBuf>,
        /// The session policy of an assumed role.
        #[arg(long)]
        session: Option<PathBuf>,
        /// Resource Directory control policies.
        #[arg(long, num_args = 1..)]
        control: Vec<PathBuf>,
        /// The resource's policy (for `sts:AssumeRole`, the role's trust policy).
        #[arg(long)]
        resource_policy: Option<PathBuf>,
        /// Who asks.
        #[arg(long, default_value = DEFAULT_PRINCIPAL)]
        principal: String,
        /// The action, such as `vpc:DeleteIpsecServer`.
        #[arg(long, required_unless_present = "operation", conflicts_with = "operation")]
        action: Option<String>,
        /// The resource ARNs the action touches (`*` for actions without resource-level authorization).
        #[arg(long, num_args = 1.., required_unless_present = "operation", conflicts_with = "operation")]
        resource: Vec<String>,
        /// An operation from the catalog (`vpc:DeleteIpsecServer`): the action,
        /// resources and condition keys are derived from it and its `--param`s.
        #[arg(long)]
        operation: Option<String>,
        /// A parameter of `--operation`, `NAME=VALUE`.
        #[arg(long, value_name = "NAME=VALUE", requires = "operation")]
        param: Vec<String>,
        /// The account that owns the resources of `--operation` (the principal's by default).
        #[arg(long, requires = "operation")]
        account: Option<String>,
        /// A context value, `KEY=VALUE`; a key given twice has several values
        /// (spelled the same way both times: two spellings of one key are an error).
        #[arg(long, value_name = "KEY=VALUE")]
        context: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Lift RAM's document size limits.
        #[arg(long)]
        no_size_limit: bool,
    },
    /// Make a guarded call against the simulated services: authorize it, then
    /// run it on the world in WORLD.json, print the HTTP answer the service
    /// would send, and write the changed world back.
    ///
    /// Exit 0 on a 2xx answer, 2 on a denial, 3 on another service error, 1 on bad input.
    Call {
        /// The simulated world (read, then written back).
        #[arg(long)]
        world: PathBuf,
        /// The operation (`vpc:DeleteIpsecServer`).
        #[arg(long)]
        operation: String,
        /// A parameter, `NAME=VALUE`.
        #[arg(long, value_name = "NAME=VALUE")]
        param: Vec<String>,
        /// Who calls.
        #[arg(long)]
        principal: String,
        /// The caller's identity policies.
        #[arg(long, required = true, num_args = 1..)]
        identity: Vec<PathBuf>,
        /// The caller's address (`acs:SourceIp`).
        #[arg(long)]
        source_ip: Option<String>,
        /// When the call happens (ISO 8601): the world's clock moves there
        /// first, and `acs:CurrentTime` carries it. Default: the world's clock.
        #[arg(long)]
        at: Option<String>,
        /// Whether the caller signed in with MFA (`acs:MFAPresent`).
        #[arg(long)]
        mfa: Option<bool>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Poll a ZStack job of the simulated world: 202 while it runs, 200 with
    /// the inventory, 503 with the error, 404 once it has expired.
    ///
    /// Exit 0 on a 2xx answer, 3 otherwise, 1 on bad input.
    Poll {
        /// The simulated world (read, then written back).
        #[arg(long)]
        world: PathBuf,
        /// Move the world's clock forward to this time first (ISO 8601).
        #[arg(long)]
        at: Option<String>,
        /// The job's location, or its id.
        job: String,
        /// Output format: `json` prints `{"status": ..., "body": ...}`.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// List the operations ramguard knows, or show one: parameters,
    /// resources, condition keys, errors.
    ///
    /// Exit 0, or 1 for an unknown action.
    Catalog {
        /// The RAM action to show (case-insensitive); all when absent.
        action: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Run policy test suites (files, or directories searched for `*.suite.json`).
    ///
    /// Exit 0 when every case passes, 2 when any fails, 1 on an error.
    Test {
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Lift RAM's document size limits.
        #[arg(long)]
        no_size_limit: bool,
        /// Suite files or directories.
        #[arg(required = true)]
        suites: Vec<PathBuf>,
    },
    /// Lint policy documents the way Alibaba Cloud's policy check does:
    /// errors, security warnings, warnings and suggestions.
    ///
    /// Exit 0 when nothing at or above `--fail-on` is found, 2 when something is, 3 when nothing is
    /// but a rule at or above it was not fully checked within its budget, 1 on an error.
    Lint(commands::lint::Args),
    /// List every principal of an account snapshot that may perform an action.
    ///
    /// Exit 0 when some principal may, 2 when none may, 3 when none is known to
    /// but some principal is undecided (a search ran out of its budget), 1 on an error.
    WhoCan(commands::audit::WhoCanArgs),
    /// List every catalog action a principal of an account snapshot may
    /// perform, and on which resources.
    ///
    /// Exit 0, 3 when some answer is undecided (a search ran out of its budget), or 1 on an error.
    WhatCan(commands::audit::WhatCanArgs),
    /// Check that a new policy set grants nothing the old one did not.
    ///
    /// Exit 0 when it grants nothing new, 2 when it does, 3 when nothing was
    /// found but a budget cut the search short (no proof; `--accept-inexact`
    /// makes that 0), 1 on an error.
    Diff(commands::diff::Args),
}

fn main() -> ExitCode {
    // Usage errors exit 1 (clap's own code, 2, means "denied" here).
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { EXIT_OK });
        }
    };
    let result = match cli.command {
        Command::Validate { kind, format, control, session, no_size_limit, files } => {
            validate(kind, format, (&control, &session), no_size_limit, &files)
        }
        Command::Eval {
            identity,
            session,
            control,
            resource_policy,
            principal,
            action,
            resource,
            operation,
            param,
            account,
            context,
            format,
            no_size_limit,
        } => {
            let target = match (operation, action) {
                (Some(operation), _) => Target::Operation { operation, params: param, account },
                (None, Some(action)) => Target::Action { action, resources: resource },
                (None, None) => return ExitCode::from(EXIT_ERROR),
            };
            let inputs = EvalInputs { identity, session, control, resource_policy, principal, target, context };
            eval(&inputs, format, limits(no_size_limit))
        }
        Command::Catalog { action, format } => catalog(action.as_deref(), format),
        Command::Poll { world, at, job, format } => poll(&world, at.as_deref(), &job, format),
        Command::Call { world, operation, param, principal, identity, source_ip, at, mfa, format } => {
            let inputs = CallInputs { world, operation, param, principal, identity, source_ip, at, mfa };
            call(&inputs, format)
        }
        Command::Test { format, no_size_limit, suites } => test(format, limits(no_size_limit), &suites),
        Command::Lint(args) => commands::lint::run(&args),
        Command::WhoCan(args) => commands::audit::who_can(&args),
        Command::WhatCan(args) => commands::audit::what_can(&args),
        Command::Diff(args) => commands::diff::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn limits(lifted: bool) -> Limits {
    if lifted { Limits::unlimited() } else { Limits::default() }
}

/// A file that is not a policy (a catalog, an ignore file): a regular file
/// of at most [`ramguard::files::LIFTED_READ_CAP`] bytes.
fn read(path: &Path) -> Result<String, String> {
    ramguard::files::read_regular(path, ramguard::files::LIFTED_READ_CAP)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

fn print_json(value: &impl serde::Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(|e| e.to_string())
}

fn validate(
    kind: KindArg,
    format: Format,
    (control, session): (&[String], &[String]),
    lifted: bool,
    paths: &[PathBuf],
) -> Result<u8, String> {
    let limits = limits(lifted);
    let globs = commands::inputs::KindGlobs::new(control, session)?;
    let found = commands::inputs::find(paths, commands::inputs::Wanted::Policies);
    let chosen: Vec<Option<PolicyKind>> =
        found.iter().map(|f| f.as_ref().ok().and_then(|f| globs.kind_of(&f.relative))).collect();
    globs.check_all_matched()?;
    let mut all_valid = true;
    let mut reports = Vec::new();
    for (entry, chosen) in found.into_iter().zip(chosen) {
        let (file, named, read) = match entry {
            Ok(found) => {
                let read = commands::inputs::read(&found.path, lifted);
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
        if !named && !commands::inputs::is_policy_document(&text) {
            match format {
                Format::Human => println!("{name}: skipped, not a policy document"),
                Format::Json => reports.push(serde_json::json!({ "file": name, "skipped": true })),
            }
            continue;
        }
        let kind = chosen.unwrap_or_else(|| match kind {
            KindArg::Auto => detect_kind(&text),
            KindArg::Identity => PolicyKind::Identity,
            KindArg::Session => PolicyKind::Session,
            KindArg::Control => PolicyKind::Control,
            KindArg::Resource => PolicyKind::Resource,
        });
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

struct EvalInputs {
    identity: Vec<PathBuf>,
    session: Option<PathBuf>,
    control: Vec<PathBuf>,
    resource_policy: Option<PathBuf>,
    principal: String,
    target: Target,
    context: Vec<String>,
}

/// What `eval` decides: an action on resources, or a catalog operation's call.
enum Target {
    Action { action: String, resources: Vec<String> },
    Operation { operation: String, params: Vec<String>, account: Option<String> },
}

fn pair<'a>(flag: &str, text: &'a str) -> Result<(&'a str, &'a str), String> {
    text.split_once('=').filter(|(k, _)| !k.is_empty()).ok_or_else(|| format!("{flag} `{text}`: expected KEY=VALUE"))
}

/// The `--context` pairs in order. A key given again in the same spelling
/// adds a value; two spellings of one key (letter case, or an alias such as
/// `InstanceType`) are an error.
fn context_pairs(texts: &[String]) -> Result<Vec<(&str, &str)>, String> {
    let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(texts.len());
    for text in texts {
        let (key, value) = pair("--context", text)?;
        let canonical = canonical_key(key);
        if let Some((first, _)) = pairs.iter().find(|(k, _)| *k != key && canonical_key(k) == canonical) {
            return Err(format!(
                "--context `{text}`: `{key}` and `{first}` are one condition key: give all its values under one spelling"
            ));
        }
        pairs.push((key, value));
    }
    Ok(pairs)
}

fn catalog_operation(action: &str) -> Result<&'static Operation, String> {
    let catalog = Catalog::builtin().map_err(|e| format!("the built-in catalog: {e}"))?;
    catalog.get(action).ok_or_else(|| match catalog.suggest(action) {
        Some(s) => format!("`{action}` is not in the catalog: did you mean `{s}`?"),
        None => format!("`{action}` is not in the catalog; `ramguard catalog` lists what is"),
    })
}

fn load(path: &Path, kind: PolicyKind, limits: &Limits) -> Result<Policy, String> {
    let text = commands::inputs::read(path, *limits == Limits::unlimited())?;
    let name = path.display().to_string();
    Policy::parse_with_limits(&name, &text, kind, limits)
        .map_err(|errors| errors.errors().iter().map(|e| format!("{name}:{e}")).collect::<Vec<_>>().join("\n"))
}

fn eval(inputs: &EvalInputs, format: Format, limits: Limits) -> Result<u8, String> {
    let mut set = PolicySet::new();
    for path in &inputs.identity {
        set.add(load(path, PolicyKind::Identity, &limits)?);
    }
    if let Some(path) = &inputs.session {
        set.add(load(path, PolicyKind::Session, &limits)?);
    }
    for path in &inputs.control {
        set.add(load(path, PolicyKind::Control, &limits)?);
    }
    if let Some(path) = &inputs.resource_policy {
        set.add(load(path, PolicyKind::Resource, &limits)?);
    }
    let principal: Principal = inputs.principal.parse().map_err(|e| format!("--principal: {e}"))?;
    let extra = context_pairs(&inputs.context)?;
    let request = match &inputs.target {
        Target::Action { action, resources } => {
            let first = resources.first().map_or("", String::as_str);
            let mut context = Context::new();
            for (key, value) in &extra {
                context.insert(key, *value);
            }
            Request::new(principal, action, first).with_resources(resources.clone()).with_context(context)
        }
        Target::Operation { operation, params, account } => {
            let op = catalog_operation(operation)?;
            let mut values = BTreeMap::new();
            for text in params {
                let (name, value) = pair("--param", text)?;
                if op.parameter(name).is_none() {
                    return Err(format!("--param `{name}`: `{}` has no such parameter", op.action));
                }
                values.insert(name.to_owned(), value.to_owned());
            }
            let mut caller = Caller::new(principal);
            caller.account.clone_from(account);
            let derived = op.authorization_request(&values, &caller).map_err(|e| format!("{}: {e}", op.action))?;
            let mut context = derived.context().clone();
            for (key, value) in &extra {
                context.insert(key, *value);
            }
            derived.with_context(context)
        }
    };
    if let (Target::Operation { .. }, Format::Human) = (&inputs.target, format) {
        println!("derived from the catalog: action {}, resources {:?}", request.action(), request.resources());
        for (key, values) in request.context().iter() {
            println!("  context {key} = {values:?}");
        }
    }
    let compiled = CompiledPolicySet::compile(set).map_err(|e| e.to_string())?;
    let decision = compiled.authorize(&request);
    let explanation = compiled.explain(&request);
    if decision != explanation.to_decision() {
        return Err(format!(
            "the compiled set decided {} ({}) but the explanation says {} ({}); please report this",
            decision.outcome, decision.decided_by, explanation.decision, explanation.decided_by
        ));
    }
    match format {
        Format::Json => {
            let mut value = serde_json::to_value(&explanation).map_err(|e| e.to_string())?;
            if let (Target::Operation { .. }, Some(object)) = (&inputs.target, value.as_object_mut()) {
                let context: BTreeMap<&str, &[String]> = request.context().iter().collect();
                object.insert(
                    "derived".to_owned(),
                    serde_json::json!({"action": request.action(), "resources": request.resources(), "context": context}),
                );
            }
            print_json(&value)?;
        }
        Format::Human => print!("{}", render_explanation(&explanation)),
    }
    Ok(if explanation.decision.is_allow() { EXIT_OK } else { EXIT_NO })
}

fn render_explanation(e: &Explanation) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "{} (decided by {})", e.decision, decider(e.decided_by));
    for r in &e.resources {
        if e.resources.len() > 1 {
            let _ = writeln!(out, "  {}: {} ({})", r.resource, r.decision, r.decided_by);
        }
    }
    for note in &e.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    for t in &e.considered {
        let sid = t.sid.as_deref().map(|s| format!(" `{s}`")).unwrap_or_default();
        let verdict = if t.applies { "applies" } else { "does not apply" };
        let _ = writeln!(
            out,
            "  {:?} {}#{}{sid} ({} policy) {verdict} to {}",
            t.effect, t.policy, t.statement, t.kind, t.resource
        );
        for c in &t.conditions {
            let found = if c.missing { "missing".to_owned() } else { format!("{:?}", c.request_values) };
            let bad = c.malformed_value.as_ref().map(|v| format!(", malformed `{v}`")).unwrap_or_default();
            let _ = writeln!(out, "    {} {} {:?}: {} (request: {found}{bad})", c.operator, c.key, c.values, c.result);
        }
    }
    if !e.missing_context_keys.is_empty() {
        let _ = writeln!(out, "  missing context keys: {}", e.missing_context_keys.join(", "));
    }
    if let Some(detail) = &e.access_denied_detail {
        let json = serde_json::to_string_pretty(detail).unwrap_or_default();
        let _ = writeln!(out, "  AccessDeniedDetail: {}", json.replace('\n', "\n  "));
    }
    out
}

/// Who decided, as the human output says it.
fn decider(by: DecidedBy) -> String {
    match by {
        DecidedBy::Root => "the root identity".to_owned(),
        DecidedBy::AccountBoundary => "the account boundary".to_owned(),
        other => format!("{other} policies"),
    }
}

fn catalog(action: Option<&str>, format: Format) -> Result<u8, String> {
    use std::fmt::Write as _;
    let Some(action) = action else {
        let all = Catalog::builtin().map_err(|e| format!("the built-in catalog: {e}"))?.operations();
        match format {
            Format::Json => print_json(&all)?,
            Format::Human => {
                for op in all {
                    let resources: Vec<&str> = op.resources.iter().map(|r| r.resource_type.as_str()).collect();
                    println!("{:<66} {:<7} {}", op.action, op.access_level, resources.join(", "));
                }
            }
        }
        return Ok(EXIT_OK);
    };
    let op = catalog_operation(action)?;
    if let Format::Json = format {
        print_json(op)?;
        return Ok(EXIT_OK);
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} ({} {} {}, access level {})", op.action, op.product, op.version, op.api, op.access_level);
    let _ = writeln!(out, "  {} {}", op.method, op.path);
    let _ = writeln!(out, "parameters:");
    for p in &op.parameters {
        let required = if p.required { "required" } else { "optional" };
        let values = p.values.as_ref().map(|v| format!(", one of {}", v.join(" | "))).unwrap_or_default();
        let _ = writeln!(out, "  {} ({:?}, {required}{values})", p.name, p.param_type);
    }
    let _ = writeln!(out, "resources:");
    for r in &op.resources {
        let when = r.when.as_ref().map(|w| format!(" when {w:?}")).unwrap_or_default();
        let _ = writeln!(out, "  {}: {}{when}", r.resource_type, r.arn);
    }
    for k in &op.condition_keys {
        let aliases = if k.aliases.is_empty() { String::new() } else { format!(" (also {})", k.aliases.join(", ")) };
        let _ =
            writeln!(out, "condition key: {}{aliases} from `{}`, one of {}", k.key, k.parameter, k.values.join(" | "));
    }
    let _ = writeln!(out, "dry run: {}", op.dry_run.as_deref().unwrap_or("not supported"));
    if let Some(note) = &op.asynchronous {
        let _ = writeln!(out, "asynchronous: {note}");
    }
    let _ = writeln!(out, "denial: {} {} \"{}\"", op.denial.status, op.denial.code, op.denial.message);
    if !op.errors.is_empty() {
        let _ = writeln!(out, "errors:");
        for e in &op.errors {
            let _ = writeln!(out, "  {} {} \"{}\"", e.status, e.code, e.message);
        }
    }
    print!("{out}");
    Ok(EXIT_OK)
}

/// Exit code: the service answered with an error other than a denial.
const EXIT_SERVICE_ERROR: u8 = 3;

struct CallInputs {
    world: PathBuf,
    operation: String,
    param: Vec<String>,
    principal: String,
    identity: Vec<PathBuf>,
    source_ip: Option<String>,
    at: Option<String>,
    mfa: Option<bool>,
}

/// The simulator over a locked world file, its clock moved to `at` when given.
fn open_world(file: &LockedWorld, at: Option<&str>) -> Result<Simulator, String> {
    let text = file.read()?;
    let world = World::from_json(&text).map_err(|e| format!("{}:{e}", file.shown().display()))?;
    let mut simulator = Simulator::new(world);
    if let Some(at) = at {
        let when =
            parse_clock(at).ok_or_else(|| format!("--at `{at}`: expected an ISO 8601 time with `Z` or an offset"))?;
        if !(MIN_CLOCK..=MAX_CLOCK).contains(&when) {
            return Err(format!(
                "--at `{at}` is out of range: expected a time from 0000-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
            ));
        }
        let now = simulator.world().clock;
        let Some(ahead) = when.checked_sub(now).filter(|s| *s >= 0) else {
            return Err(format!("--at `{at}` is before the world's clock ({})", format_clock(now).unwrap_or_default()));
        };
        simulator.advance(ahead);
    }
    Ok(simulator)
}

fn save_world(file: &LockedWorld, simulator: &Simulator) -> Result<(), String> {
    let world = serde_json::to_string_pretty(simulator.world()).map_err(|e| e.to_string())?;
    file.write(&(world + "\n"))
}

fn poll(world: &Path, at: Option<&str>, job: &str, format: Format) -> Result<u8, String> {
    let file = LockedWorld::lock(world)?;
    let mut simulator = open_world(&file, at)?;
    let id = job.rsplit('/').next().unwrap_or(job);
    let response = simulator.poll(id);
    save_world(&file, &simulator)?;
    drop(file);
    match format {
        Format::Json => print_json(&serde_json::json!({ "status": response.status, "body": response.body }))?,
        Format::Human => {
            let body = serde_json::to_string_pretty(&response.body).map_err(|e| e.to_string())?;
            println!("HTTP {}\n{body}", response.status);
        }
    }
    Ok(if response.is_success() { EXIT_OK } else { EXIT_SERVICE_ERROR })
}

fn call(inputs: &CallInputs, format: Format) -> Result<u8, String> {
    let mut builder = PolicySetBuilder::new();
    for path in &inputs.identity {
        builder.add(load(path, PolicyKind::Identity, &Limits::default())?);
    }
    let mut guard =
        Guard::new(builder.build().map_err(|e| e.to_string())?, Catalog::builtin().map_err(|e| e.to_string())?.clone());
    let principal: Principal = inputs.principal.parse().map_err(|e| format!("--principal: {e}"))?;
    // Held from reading the world until the changed world is in place.
    let file = LockedWorld::lock(&inputs.world)?;
    let mut simulator = open_world(&file, inputs.at.as_deref())?;
    if simulator.requests_left() == 0 {
        return Err(format!("{}: the world has used all {MAX_REQUESTS} request ids", inputs.world.display()));
    }
    let mut caller = Caller::new(principal);
    caller.source_ip.clone_from(&inputs.source_ip);
    caller.current_time = format_clock(simulator.world().clock);
    caller.mfa_present = inputs.mfa;
    let mut params = BTreeMap::new();
    for text in &inputs.param {
        let (name, value) = pair("--param", text)?;
        params.insert(name.to_owned(), value.to_owned());
    }
    if let Some(operation) = guard.catalog().get(&inputs.operation) {
        for unknown in operation.unknown_parameters(params.keys().map(String::as_str)) {
            let hint = match &unknown.suggestion {
                Some(known) => format!(": did you mean `{known}`?"),
                None => format!("; `ramguard catalog {}` lists its parameters", operation.action),
            };
            eprintln!(
                "warning: --param `{}`: {} has no such parameter, so it has no effect{hint}",
                unknown.name, operation.action
            );
        }
    }
    let outcome = guard.call(&mut simulator, &inputs.operation, &params, &caller).map_err(|e| e.to_string())?;
    save_world(&file, &simulator)?;
    drop(file);
    match format {
        Format::Json => print_json(&serde_json::json!({
            "status": outcome.response.status,
            "body": outcome.response.body,
            "performed": outcome.performed,
            "explanation": outcome.explanation,
        }))?,
        Format::Human => {
            let body = serde_json::to_string_pretty(&outcome.response.body).map_err(|e| e.to_string())?;
            println!("HTTP {}\n{body}", outcome.response.status);
            if let Some(explanation) = &outcome.explanation {
                print!("{}", render_explanation(explanation));
            }
        }
    }
    Ok(if outcome.response.is_success() {
        EXIT_OK
    } else if outcome.explanation.is_some() {
        EXIT_NO
    } else {
        EXIT_SERVICE_ERROR
    })
}

/// The suite files: files as given, directories searched the way every
/// command searches them (`commands::inputs`) for `*.suite.json`.
fn collect_suites(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        let mut found = Vec::new();
        for entry in commands::inputs::find(std::slice::from_ref(path), commands::inputs::Wanted::Suites) {
            let found_one = entry.map_err(|(at, message)| format!("{}: {message}", at.display()))?;
            // Opening a FIFO would block: only regular files are loaded (a
            // missing one is reported by the loader, and the others still run).
            if found_one.path.exists() {
                commands::inputs::regular(&found_one.path)?;
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

fn test(format: Format, limits: Limits, paths: &[PathBuf]) -> Result<u8, String> {
    let mut reports: Vec<(PathBuf, SuiteReport)> = Vec::new();
    let mut load_errors: Vec<String> = Vec::new();
    for path in collect_suites(paths)? {
        // A suite that cannot be loaded is reported, and the others still run.
        match Suite::load_with_limits(&path, &limits) {
            Ok(suite) => reports.push((path, suite.run())),
            Err(e) => {
                eprintln!("error: {e}");
                load_errors.push(e.to_string());
            }
        }
    }
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
