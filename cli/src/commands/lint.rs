//! `ramguard lint`.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use ramguard::PolicyKind;
use ramguard::lint::{LintOptions, Severity, lint_document};
use ramguard::report::{FileReport, IgnoreList, Report};
use ramguard::sources::Found as InPlan;

use super::inputs::{KindArg, Source};
use super::{EXIT_ERROR, EXIT_NO, EXIT_OK, EXIT_UNDECIDED};

/// The ignore file read from the current directory when `--ignore-file` is absent.
const DEFAULT_IGNORE_FILE: &str = ".ramguardignore";

/// How the report is written.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LintFormat {
    /// For people: snippets with a caret under each finding.
    Human,
    /// A documented JSON shape for programs.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// `JUnit` XML, for CI test dashboards.
    Junit,
}

/// The least serious class that fails the run.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FailOn {
    /// Errors only.
    Error,
    /// Security warnings and errors.
    Security,
    /// Warnings, security warnings and errors.
    Warning,
    /// Any finding.
    Suggestion,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Error => Severity::Error,
            FailOn::Security => Severity::SecurityWarning,
            FailOn::Warning => Severity::Warning,
            FailOn::Suggestion => Severity::Suggestion,
        }
    }
}

/// Arguments of `ramguard lint`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: LintFormat,
    /// Write the report to FILE instead of standard output (the exit code
    /// still tells the outcome).
    #[arg(long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Exit 2 when a finding of this class, or a more serious one, remains
    /// after ignores.
    #[arg(long, value_enum, default_value = "security")]
    pub(crate) fail_on: FailOn,
    /// The ignore file (default: `.ramguardignore` in the current directory,
    /// when there is one).
    #[arg(long, value_name = "PATH")]
    pub(crate) ignore_file: Option<PathBuf>,
    /// Extra operations (catalog JSON) merged into the built-in catalog.
    #[arg(long, value_name = "FILE")]
    pub(crate) catalog: Option<PathBuf>,
    /// The kind of policy; `auto` reads a document with `Principal` as a
    /// resource policy and any other as an identity policy.
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) kind: KindArg,
    /// Documents read as control policies, whatever `--kind` says: a glob
    /// matched against a document's path relative to the directory given
    /// (a file given by name: its file name), or against its file name
    /// alone, such as `control/*` or `*-control.json`; a glob that matches
    /// no document is an error. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub(crate) control: Vec<String>,
    /// Documents read as session policies (a glob, as for `--control`).
    #[arg(long, value_name = "GLOB")]
    pub(crate) session: Vec<String>,
    /// Lift RAM's document size limits (for offline audits).
    #[arg(long)]
    pub(crate) no_size_limit: bool,
    #[command(flatten)]
    pub(crate) template: super::inputs::TemplateArgs,
    /// Policy documents, or directories whose `*.json` files are linted
    /// (recursively; hidden entries and `*.suite.json` skipped).
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
}

/// A path as reported: relative to the current directory when it lies
/// under it, without a leading `./`.
fn shown(path: &Path, cwd: Option<&Path>) -> String {
    let path = cwd.and_then(|cwd| path.strip_prefix(cwd).ok()).filter(|_| path.is_absolute()).unwrap_or(path);
    let text = path.display().to_string();
    let mut rest = text.as_str();
    while let Some(r) = rest.strip_prefix("./") {
        rest = r;
    }
    if rest.is_empty() { text } else { rest.to_owned() }
}

fn load_ignores(explicit: Option<&Path>) -> Result<IgnoreList, String> {
    let path = match explicit {
        Some(path) => path,
        None if Path::new(DEFAULT_IGNORE_FILE).is_file() => Path::new(DEFAULT_IGNORE_FILE),
        None => return Ok(IgnoreList::new()),
    };
    let text = super::inputs::read_other(path)?;
    IgnoreList::parse(&text).map_err(|e| format!("{}:{e}", path.display()))
}

pub(crate) fn run(args: &Args) -> Result<u8, String> {
    let kind_globs = super::inputs::KindGlobs::new(&args.control, &args.session)?;
    let ros = args.template.options()?;
    let ignores = load_ignores(args.ignore_file.as_deref())?;
    let catalog = super::catalog_with(args.catalog.as_deref())?;
    let limits = super::inputs::limits(args.no_size_limit);
    let cwd = std::env::current_dir().ok();
    let found = super::inputs::find(&args.files, super::inputs::Wanted::Sources);
    // Kinds are chosen by path before anything is read, so that a glob that
    // matches nothing stops the run before the report.
    let chosen: Vec<Option<PolicyKind>> =
        found.iter().map(|f| f.as_ref().ok().and_then(|f| kind_globs.kind_of(&f.relative))).collect();
    kind_globs.check_all_matched()?;
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let progress = crate::progress::Progress::bar(found.len(), "linting");
    for (entry, chosen) in found.into_iter().zip(chosen) {
        progress.step();
        if let Ok(found) = &entry {
            progress.message(&found.relative);
        }
        match entry {
            Err((path, message)) => files.push(FileReport::unreadable(shown(&path, cwd.as_deref()), message)),
            Ok(found) => {
                let name = shown(&found.path, cwd.as_deref());
                match super::inputs::read_source_file(&found.path, args.no_size_limit, &ros) {
                    Err(message) => files.push(FileReport::unreadable(name, message)),
                    Ok(Source::OtherYaml) if found.named => files.push(FileReport::unreadable(
                        name,
                        "not a policy document, a Terraform plan or a ROS template".to_owned(),
                    )),
                    Ok(Source::OtherYaml) => skipped.push(name),
                    Ok(Source::Documents(_, documents, text)) if found.path.is_dir() || text.is_empty() => {
                        // A Terraform module: its documents are in its several
                        // files, each reported under its own file.
                        let options = LintOptions { catalog: &catalog, limits: &limits, kind: None };
                        let mut by_file: Vec<(PathBuf, Vec<InPlan>)> = Vec::new();
                        for document in documents {
                            match by_file.iter_mut().find(|(file, _)| *file == document.file) {
                                Some((_, list)) => list.push(document),
                                None => by_file.push((document.file.clone(), vec![document])),
                            }
                        }
                        for (file, documents) in by_file {
                            let name = shown(&file, cwd.as_deref());
                            match super::inputs::read_other(&file) {
                                Ok(text) => files.extend(lint_documents(&name, text, &documents, &options)),
                                Err(message) => files.push(FileReport::unreadable(name, message)),
                            }
                        }
                    }
                    Ok(Source::Documents(_, documents, text)) => {
                        let options = LintOptions { catalog: &catalog, limits: &limits, kind: None };
                        files.extend(lint_documents(&name, text, &documents, &options));
                    }
                    Ok(Source::Policy(text)) if !found.named && !super::inputs::is_policy_document(&text) => {
                        skipped.push(name);
                    }
                    Ok(Source::Policy(text)) => {
                        let kind = chosen.unwrap_or_else(|| args.kind.kind_of(&text));
                        let options = LintOptions { catalog: &catalog, limits: &limits, kind: Some(kind) };
                        let linted = lint_document(&name, &text, &options);
                        files.push(
                            FileReport::new(name, Some(text), linted.findings)
                                .with_kind(kind)
                                .with_unchecked(linted.unchecked),
                        );
                    }
                }
            }
        }
    }
    drop(progress);
    let mut report = Report::new(files);
    report.apply(&ignores);
    let threshold = args.fail_on.severity();
    let rendered = match args.format {
        LintFormat::Human if skipped.is_empty() => report.human(),
        LintFormat::Human => {
            format!("{}skipped, not policy documents: {}\n", report.human(), skipped.join(", "))
        }
        LintFormat::Json => {
            let mut value = report.json();
            if let Some(object) = value.as_object_mut() {
                object.insert("skipped".to_owned(), serde_json::json!(skipped));
            }
            pretty(&value)?
        }
        LintFormat::Sarif => pretty(&report.sarif())?,
        LintFormat::Junit => report.junit(threshold),
    };
    match &args.output {
        Some(path) => std::fs::write(path, rendered).map_err(|e| format!("{}: cannot write: {e}", path.display()))?,
        None => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            out.write_all(rendered.as_bytes()).map_err(|e| e.to_string())?;
        }
    }
    let summary = report.summary();
    if summary.unreadable > 0 {
        let noun = if summary.unreadable == 1 { "file" } else { "files" };
        eprintln!("error: {} {noun} could not be read (see the report)", summary.unreadable);
        return Ok(EXIT_ERROR);
    }
    Ok(if report.fails(threshold) {
        EXIT_NO
    } else if report.undecided(threshold) {
        EXIT_UNDECIDED
    } else {
        EXIT_OK
    })
}

/// The reports on the documents of a Terraform plan or a ROS template: one
/// for the file, with every document's findings located in it (each
/// message led by the document's place), and one refusal for each document
/// not known until apply, which cannot be checked.
fn lint_documents(name: &str, text: String, documents: &[InPlan], options: &LintOptions<'_>) -> Vec<FileReport> {
    let mut findings = Vec::new();
    let mut unchecked = None;
    let mut reports = Vec::new();
    for document in documents {
        let Some(text) = document.document.as_deref() else {
            let depends = document.unresolved.join(", ");
            let depends = if depends.is_empty() { String::new() } else { format!(" (depends on {depends})") };
            reports.push(FileReport::unreadable(
                name,
                format!("{}: {}: not known until apply, so not checked{depends}", document.at, document.place),
            ));
            continue;
        };
        let options = LintOptions { kind: Some(document.kind.policy_kind()), ..*options };
        let linted = lint_document(name, text, &options);
        for mut finding in linted.findings {
            finding.location = document.locate(finding.location);
            finding.message = format!("{}: {}", document.place, finding.message);
            let depends = placeholders_under(text, &finding.path.to_string());
            if !depends.is_empty() {
                finding.message = format!("{} (depends on {})", finding.message, depends.join(", "));
            }
            findings.push(finding);
        }
        unchecked = unchecked.or(linted.unchecked);
    }
    // The file's own text, for the snippets under the findings.
    reports.push(FileReport::new(name, Some(text), findings).with_unchecked(unchecked));
    reports
}

/// The placeholders (`{{Ref:Bucket}}`, `{{var.name}}`, pseudo parameters
/// included) in the statement that `path` (a finding's JSON path, such as
/// `Statement[1].Resource`) points into, or in the whole document for a
/// path outside every statement: the values a finding may depend on.
fn placeholders_under(text: &str, path: &str) -> Vec<String> {
    let Ok(document) = serde_json::from_str::<serde_json::Value>(text) else { return Vec::new() };
    let statement = path.strip_prefix("Statement").and_then(|rest| {
        let statements = document.get("Statement")?;
        match rest.strip_prefix('[') {
            Some(index) => {
                let end = index.find(']')?;
                statements.get(index.get(..end)?.parse::<usize>().ok()?)
            }
            None => Some(statements),
        }
    });
    let scope = statement.unwrap_or(&document).to_string();
    ramguard::sources::placeholders(&scope).into_iter().map(|p| format!("{{{{{p}}}}}")).collect()
}

fn pretty(value: &serde_json::Value) -> Result<String, String> {
    serde_json::to_string_pretty(value).map(|s| s + "\n").map_err(|e| e.to_string())
}
