//! The `ramguard` command-line tool.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ramguard::suite::{DEFAULT_PRINCIPAL, Suite, SuiteReport};
use ramguard::{
    CompiledPolicySet, Context, Explanation, Limits, Policy, PolicyKind, PolicySet, Principal, Request, detect_kind,
};

/// Exit code: the answer is yes (valid, allowed, all cases passed).
const EXIT_OK: u8 = 0;
/// Exit code: bad arguments, unreadable or invalid input.
const EXIT_ERROR: u8 = 1;
/// Exit code: the answer is no (denied, a case failed).
const EXIT_NO: u8 = 2;

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
        /// Lift RAM's document size limits (for offline audits).
        #[arg(long)]
        no_size_limit: bool,
        /// Policy documents.
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
        #[arg(long)]
        action: String,
        /// The resource ARNs the action touches (`*` for actions without resource-level authorization).
        #[arg(long, required = true, num_args = 1..)]
        resource: Vec<String>,
        /// A context value, `KEY=VALUE`; a key given twice has several values.
        #[arg(long, value_name = "KEY=VALUE")]
        context: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Lift RAM's document size limits.
        #[arg(long)]
        no_size_limit: bool,
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
        Command::Validate { kind, format, no_size_limit, files } => {
            validate(kind, format, limits(no_size_limit), &files)
        }
        Command::Eval {
            identity,
            session,
            control,
            resource_policy,
            principal,
            action,
            resource,
            context,
            format,
            no_size_limit,
        } => {
            let inputs =
                EvalInputs { identity, session, control, resource_policy, principal, action, resource, context };
            eval(&inputs, format, limits(no_size_limit))
        }
        Command::Test { format, no_size_limit, suites } => test(format, limits(no_size_limit), &suites),
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

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

fn print_json(value: &impl serde::Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(|e| e.to_string())
}

fn validate(kind: KindArg, format: Format, limits: Limits, files: &[PathBuf]) -> Result<u8, String> {
    let mut all_valid = true;
    let mut reports = Vec::new();
    for file in files {
        let text = read(file)?;
        let kind = match kind {
            KindArg::Auto => detect_kind(&text),
            KindArg::Identity => PolicyKind::Identity,
            KindArg::Session => PolicyKind::Session,
            KindArg::Control => PolicyKind::Control,
            KindArg::Resource => PolicyKind::Resource,
        };
        let name = file.display().to_string();
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
    action: String,
    resource: Vec<String>,
    context: Vec<String>,
}

fn load(path: &Path, kind: PolicyKind, limits: &Limits) -> Result<Policy, String> {
    let text = read(path)?;
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
    let mut context = Context::new();
    for pair in &inputs.context {
        let (key, value) = pair
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| format!("--context `{pair}`: expected KEY=VALUE"))?;
        context.insert(key, value);
    }
    let first = inputs.resource.first().map_or("", String::as_str);
    let request =
        Request::new(principal, &inputs.action, first).with_resources(inputs.resource.clone()).with_context(context);
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
        Format::Json => print_json(&explanation)?,
        Format::Human => print!("{}", render_explanation(&explanation)),
    }
    Ok(if explanation.decision.is_allow() { EXIT_OK } else { EXIT_NO })
}

fn render_explanation(e: &Explanation) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "{} (decided by {} policies)", e.decision, e.decided_by);
    for r in &e.resources {
        if e.resources.len() > 1 {
            let _ = writeln!(out, "  {}: {} ({})", r.resource, r.decision, r.decided_by);
        }
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

fn collect_suites(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            if found.is_empty() {
                return Err(format!("{}: no `*.suite.json` files in this directory", path.display()));
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: cannot read: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.is_dir() {
            walk(&path, found)?;
        } else if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".suite.json")) {
            found.push(path);
        }
    }
    Ok(())
}

fn test(format: Format, limits: Limits, paths: &[PathBuf]) -> Result<u8, String> {
    let mut reports: Vec<(PathBuf, SuiteReport)> = Vec::new();
    for path in collect_suites(paths)? {
        let suite = Suite::load_with_limits(&path, &limits).map_err(|e| e.to_string())?;
        reports.push((path, suite.run()));
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
                        })
                    })
                })
                .collect();
            print_json(&serde_json::json!({ "passed": passed, "failed": failed, "cases": cases }))?;
        }
        Format::Human => {
            for (path, report) in &reports {
                println!("{}", path.display());
                for c in &report.cases {
                    if c.passed {
                        println!("  ok    {} ({})", c.name, c.actual);
                    } else {
                        println!("  FAIL  {}: expected {}, got {}", c.name, c.expected, c.actual);
                        for line in render_explanation(&c.explanation).lines() {
                            println!("        {line}");
                        }
                    }
                }
            }
            println!("{passed} passed, {failed} failed");
        }
    }
    Ok(if failed == 0 { EXIT_OK } else { EXIT_NO })
}
