//! How every command that reads policy files chooses them and their kinds.
//!
//! One rule for `validate`, `lint`, `diff` and `test`:
//!
//! - a path that is a file is read whatever its name; a directory
//!   contributes the files under it, **recursively**, in path order, that
//!   end in `.json` (not `.suite.json`) for policies, or in `.suite.json`
//!   for `test` (and, for `validate` and `extract`, `.yaml` or `.yml`
//!   files, read when they are ROS templates and skipped otherwise); files
//!   and directories whose name starts with `.` under it are skipped;
//! - directory symlinks are followed, but a directory already walked (the
//!   same canonical path) is not walked again, so symlink loops and
//!   diamonds cannot multiply the paths;
//! - only regular files are read (a FIFO or a device is an error, found
//!   before it is opened), and at most [`READ_CAP`] bytes of each
//!   ([`LIFTED_READ_CAP`] with `--no-size-limit`);
//! - a JSON file found in a directory whose top level is not an object with
//!   `Version` or `Statement` (a catalog, a simulated world) is no policy:
//!   it is skipped and listed as skipped;
//! - `--control` and `--session` globs are matched against a document's path
//!   relative to the directory it was found in (for a file given by name,
//!   its file name), and against its file name alone; a glob that matches
//!   no document is an error.
//!
//! Here too: `--kind`, RAM's size limits and their lift, and the files that
//! are read whole but are not policies (catalogs, ignore files).

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use ramguard::files::ReadError;
use ramguard::sources::{RosOptions, TerraformOptions, read_terraform_module};
use ramguard::{Limits, Policy, PolicyKind, detect_kind};

pub(crate) use ramguard::files::{LIFTED_READ_CAP, READ_CAP};

/// A file chosen to be read.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// Where it is.
    pub(crate) path: PathBuf,
    /// Its path relative to the directory it was found in, with `/`
    /// separators; for a file given by name, its file name.
    pub(crate) relative: String,
    /// Whether it was given by name rather than found in a directory.
    pub(crate) named: bool,
}

/// What to look for in directories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// `*.json` files other than `*.suite.json`.
    Policies,
    /// `*.suite.json` files.
    Suites,
    /// What `Policies` wants, and `*.yaml` / `*.yml` files, which are read
    /// when they are ROS templates.
    Sources,
}

impl Wanted {
    fn accepts(self, name: &str) -> bool {
        match self {
            Wanted::Policies => name.ends_with(".json") && !name.ends_with(".suite.json"),
            Wanted::Suites => name.ends_with(".suite.json"),
            Wanted::Sources => Wanted::Policies.accepts(name) || is_yaml(Path::new(name)) || is_tf(Path::new(name)),
        }
    }
}

/// Whether the file's name says Terraform source.
fn is_tf(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "tf")
}

/// Whether the file's name says YAML.
fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// The files `paths` name, directories expanded (see the module's rule). A
/// path that cannot be listed, or an entry that cannot be read, is an error
/// entry: the path and why.
pub(crate) fn find(paths: &[PathBuf], wanted: Wanted) -> Vec<Result<Found, (PathBuf, String)>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, wanted, &mut out);
        } else {
            out.push(Ok(Found { path: path.clone(), relative: file_name(path), named: true }));
        }
    }
    out
}

fn walk(root: &Path, wanted: Wanted, out: &mut Vec<Result<Found, (PathBuf, String)>>) {
    let start = out.len();
    walk_files(root, wanted, out);
    // A Terraform module that another module found here calls is read
    // through the call, with its arguments, not as a root of its own (where
    // its variables would have no values).
    let mut called: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    for found in out.iter().skip(start).flatten() {
        if found.path.is_dir() {
            // A module that cannot be parsed says so when it is read.
            called.extend(ramguard::sources::local_module_calls(&found.path).unwrap_or_default());
        }
    }
    if called.is_empty() {
        return;
    }
    let called_here = |f: &Found| f.path.is_dir() && std::fs::canonicalize(&f.path).is_ok_and(|c| called.contains(&c));
    let mut found_here = out.split_off(start);
    found_here.retain(|entry| !entry.as_ref().is_ok_and(called_here));
    out.extend(found_here);
}

fn walk_files(root: &Path, wanted: Wanted, out: &mut Vec<Result<Found, (PathBuf, String)>>) {
    let mut visited: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    // The directories of `.tf` files already listed: a Terraform module is
    // its directory, read once whatever number of files it has.
    let mut modules: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    let entries = walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name().into_iter().filter_entry(|e| {
        if e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.') {
            return false;
        }
        if !e.file_type().is_dir() {
            return true;
        }
        // A directory reached again through a symlink is not walked again.
        std::fs::canonicalize(e.path()).map_or(true, |canonical| visited.insert(canonical))
    });
    for entry in entries {
        match entry {
            // A symlink back to a directory being walked: already covered.
            Err(e) if e.loop_ancestor().is_some() => {}
            Err(e) => {
                let at = e.path().map_or_else(|| root.to_path_buf(), Path::to_path_buf);
                let why = e.io_error().map_or_else(|| e.to_string(), ToString::to_string);
                out.push(Err((at, format!("cannot read: {why}"))));
            }
            Ok(e) if e.file_type().is_dir() => {}
            Ok(e) => {
                if !wanted.accepts(&e.file_name().to_string_lossy()) {
                    continue;
                }
                let mut path = e.path().to_path_buf();
                if is_tf(&path) {
                    let Some(dir) = path.parent().map(Path::to_path_buf) else { continue };
                    if !modules.insert(dir.clone()) {
                        continue;
                    }
                    path = dir;
                }
                let relative = path.strip_prefix(root).unwrap_or(&path);
                let relative =
                    relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                let relative = if relative.is_empty() { file_name(root) } else { relative };
                out.push(Ok(Found { path, relative, named: false }));
            }
        }
    }
}

/// Whether a JSON document is meant as a policy: an object with `Version`
/// or `Statement`. Anything else in a directory (a catalog, a test suite, a
/// world) is skipped.
pub(crate) fn is_policy_document(text: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(members)) => members.contains_key("Version") || members.contains_key("Statement"),
        // Broken JSON is reported as the policy error it is.
        Ok(_) => false,
        Err(_) => true,
    }
}

/// The cap on the bytes read from one file.
pub(crate) fn cap(lifted: bool) -> u64 {
    if lifted { LIFTED_READ_CAP } else { READ_CAP }
}

fn too_large(lifted: bool) -> String {
    if lifted {
        format!("larger than {LIFTED_READ_CAP} bytes, the most ramguard reads from one file")
    } else {
        format!(
            "larger than {READ_CAP} bytes, the most read from one policy file (--no-size-limit raises it to {LIFTED_READ_CAP})"
        )
    }
}

/// Whether `path` is a regular file, checked without opening it; the error
/// names the path and what it is instead.
pub(crate) fn regular(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    if meta.is_file() {
        return Ok(());
    }
    Err(format!("{}: cannot read: {}, not a regular file", path.display(), ramguard::files::describe(meta.file_type())))
}

/// The text of `path`, a regular file of at most [`cap`] bytes; the error
/// says why not, without the path.
pub(crate) fn read_file(path: &Path, lifted: bool) -> Result<String, String> {
    ramguard::files::read_regular(path, cap(lifted)).map_err(|e| message(&e, lifted))
}

/// At most [`cap`] bytes of `from`, as UTF-8.
pub(crate) fn read_capped(from: impl std::io::Read, lifted: bool) -> Result<String, String> {
    ramguard::files::read_capped(from, cap(lifted)).map_err(|e| message(&e, lifted))
}

fn message(e: &ReadError, lifted: bool) -> String {
    match e {
        ReadError::TooLarge { .. } => too_large(lifted),
        e => format!("cannot read: {e}"),
    }
}

/// What a file holds: one policy document, or the documents of a
/// Terraform plan or a ROS template.
pub(crate) enum Source {
    /// A policy document's text.
    Policy(String),
    /// The documents a source holds, what the source is (`Terraform
    /// plan`, `ROS template`), and its text (for snippets).
    Documents(&'static str, Vec<ramguard::sources::Found>, String),
    /// A YAML file that is not a ROS template.
    OtherYaml,
}

/// The file at `path`: a Terraform plan or a ROS template (recognised by
/// their shape: a JSON file with `ROSTemplateFormatVersion` at its top, or a
/// `.yaml`/`.yml` file, or one that is not JSON, that is a YAML map with
/// it; read up to [`LIFTED_READ_CAP`] bytes whatever the limits, as they
/// hold more than one document), or a policy document (up to [`cap`]
/// bytes). The error says why not, without the path, as [`read_file`]'s
/// does.
pub(crate) fn read_source_file(path: &Path, lifted: bool, options: &SourceOptions) -> Result<Source, String> {
    use ramguard::sources::{is_ros_template, is_terraform_plan, read_ros_template, read_terraform_plan};
    if path.is_dir() || is_tf(path) {
        return read_module(path, &options.terraform);
    }
    let text = ramguard::files::read_regular(path, LIFTED_READ_CAP).map_err(|e| message(&e, true))?;
    let json = serde_json::from_str::<serde_json::Value>(&text);
    if json.as_ref().is_ok_and(is_terraform_plan) {
        return read_terraform_plan(path, &text)
            .map(|d| Source::Documents("Terraform plan", d, text))
            .map_err(|e| e.to_string());
    }
    let template = match &json {
        Ok(value) => value.get("ROSTemplateFormatVersion").is_some(),
        Err(_) => is_ros_template(&text),
    };
    if template {
        return read_ros_template(path, &text, &options.ros)
            .map(|d| Source::Documents("ROS template", d, text))
            .map_err(|e| e.to_string());
    }
    if is_yaml(path) && json.is_err() {
        return Ok(Source::OtherYaml);
    }
    if u64::try_from(text.len()).unwrap_or(u64::MAX) > cap(lifted) {
        return Err(too_large(lifted));
    }
    Ok(Source::Policy(text))
}

/// The documents of the Terraform module in the directory `path`, or, for
/// a `.tf` file, of its directory's module, kept to those in that file (a
/// module is its directory: the file's variables and locals may be in the
/// others).
fn read_module(path: &Path, options: &TerraformOptions) -> Result<Source, String> {
    let dir = if path.is_dir() { path } else { path.parent().unwrap_or(Path::new(".")) };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let mut documents = read_terraform_module(dir, options).map_err(|e| e.to_string())?;
    if !path.is_dir() {
        let file = std::fs::canonicalize(path).ok();
        documents.retain(|d| std::fs::canonicalize(&d.file).ok() == file);
    }
    Ok(Source::Documents("Terraform configuration", documents, String::new()))
}

/// How templates and configurations are resolved: the options of
/// [`TemplateArgs`].
#[derive(Debug, Clone, Default)]
pub(crate) struct SourceOptions {
    /// For ROS templates.
    pub(crate) ros: RosOptions,
    /// For Terraform configurations.
    pub(crate) terraform: TerraformOptions,
}

/// [`read_source_file`] with the path in the error.
pub(crate) fn read_source(path: &Path, lifted: bool, options: &SourceOptions) -> Result<Source, String> {
    read_source_file(path, lifted, options).map_err(|e| format!("{}: {e}", path.display()))
}

/// How ROS templates and Terraform configurations are read:
/// `--parameters`, `--account`, `--region`, `--var`, `--var-file`.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct TemplateArgs {
    /// A ROS template parameter's value, `NAME=VALUE` (repeatable): it
    /// wins over the parameter's `Default`.
    #[arg(long = "parameters", value_name = "NAME=VALUE")]
    pub(crate) parameters: Vec<String>,
    /// The account a ROS template or a Terraform configuration deploys into
    /// (digits): `ALIYUN::AccountId`, `ALIYUN::TenantId`,
    /// `data.alicloud_account.NAME.id` and
    /// `data.alicloud_caller_identity.NAME.account_id` are this account
    /// instead of a placeholder.
    #[arg(long, value_name = "ID")]
    pub(crate) account: Option<String>,
    /// The region a ROS template deploys into (such as `cn-hangzhou`):
    /// `ALIYUN::Region` is this region instead of a placeholder.
    #[arg(long, value_name = "ID")]
    pub(crate) region: Option<String>,
    /// A Terraform root module's input variable, `NAME=VALUE` (repeatable),
    /// as `terraform plan -var` takes it: it wins over `--var-file` and the
    /// variable's `default`.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub(crate) vars: Vec<String>,
    /// A Terraform variable file, HCL (`.tfvars`) or JSON (`.tfvars.json`),
    /// for every root module read (repeatable; a later file wins).
    #[arg(long = "var-file", value_name = "FILE")]
    pub(crate) var_files: Vec<PathBuf>,
}

impl TemplateArgs {
    /// The options these flags give the template reader; a malformed
    /// `--parameters`, `--account` or `--region` is an error.
    pub(crate) fn options(&self) -> Result<SourceOptions, String> {
        let mut terraform = TerraformOptions::default();
        for given in &self.vars {
            let Some((name, value)) = given.split_once('=') else {
                return Err(format!("--var `{given}`: expected NAME=VALUE"));
            };
            terraform.variables.insert(name.to_owned(), value.to_owned());
        }
        for path in &self.var_files {
            terraform.var_files.push((path.clone(), read_other(path)?));
        }
        let mut options = RosOptions::default();
        for given in &self.parameters {
            let Some((name, value)) = given.split_once('=') else {
                return Err(format!("--parameters `{given}`: expected NAME=VALUE"));
            };
            options.parameters.insert(name.to_owned(), value.to_owned());
        }
        if let Some(account) = &self.account {
            if account.is_empty() || !account.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!("--account `{account}`: an account id is digits, such as 1234567890123456"));
            }
            options.account = Some(account.clone());
            terraform.account = Some(account.clone());
        }
        if let Some(region) = &self.region {
            let plausible = region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && region.starts_with(|c: char| c.is_ascii_lowercase())
                && !region.ends_with('-')
                && region.contains('-');
            if !plausible {
                return Err(format!(
                    "--region `{region}`: a region id is lowercase letters, digits and `-`, such as cn-hangzhou"
                ));
            }
            options.region = Some(region.clone());
        }
        Ok(SourceOptions { ros: options, terraform })
    }
}

/// [`read_file`] with the path in the error.
pub(crate) fn read(path: &Path, lifted: bool) -> Result<String, String> {
    read_file(path, lifted).map_err(|e| format!("{}: {e}", path.display()))
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum KindArg {
    Auto,
    Identity,
    Session,
    Control,
    Resource,
}

impl KindArg {
    /// The kind a document of text `text` is read as when no glob chose one.
    pub(crate) fn kind_of(self, text: &str) -> PolicyKind {
        match self {
            KindArg::Auto => detect_kind(text),
            KindArg::Identity => PolicyKind::Identity,
            KindArg::Session => PolicyKind::Session,
            KindArg::Control => PolicyKind::Control,
            KindArg::Resource => PolicyKind::Resource,
        }
    }
}

/// RAM's document size limits, or none with `--no-size-limit`.
pub(crate) fn limits(lifted: bool) -> Limits {
    if lifted { Limits::unlimited() } else { Limits::default() }
}

/// A file that is not a policy (a catalog, an ignore file): a regular file
/// of at most [`ramguard::files::LIFTED_READ_CAP`] bytes.
pub(crate) fn read_other(path: &Path) -> Result<String, String> {
    ramguard::files::read_regular(path, ramguard::files::LIFTED_READ_CAP)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

/// The policy in `path`, read as `kind`; the errors are located in the file.
pub(crate) fn load(path: &Path, kind: PolicyKind, limits: &Limits) -> Result<Policy, String> {
    let text = read(path, *limits == Limits::unlimited())?;
    let name = path.display().to_string();
    Policy::parse_with_limits(&name, &text, kind, limits)
        .map_err(|errors| errors.errors().iter().map(|e| format!("{name}:{e}")).collect::<Vec<_>>().join("\n"))
}

/// The documents `--control` and `--session` choose, by path: nothing in a
/// document's text tells a control or session policy from an identity policy.
pub(crate) struct KindGlobs {
    control: Vec<(String, globset::GlobMatcher)>,
    session: Vec<(String, globset::GlobMatcher)>,
    /// Which globs matched a document, control ones first.
    hits: std::cell::RefCell<Vec<bool>>,
}

impl KindGlobs {
    /// Compiles the globs (`*` crosses `/`); a bad glob is an error naming its flag.
    pub(crate) fn new(control: &[String], session: &[String]) -> Result<Self, String> {
        let compile = |flag: &str, globs: &[String]| {
            globs
                .iter()
                .map(|glob| {
                    let matcher = globset::Glob::new(glob).map_err(|e| format!("{flag} `{glob}`: {e}"))?;
                    Ok((glob.clone(), matcher.compile_matcher()))
                })
                .collect::<Result<Vec<_>, String>>()
        };
        let control = compile("--control", control)?;
        let session = compile("--session", session)?;
        let hits = std::cell::RefCell::new(vec![false; control.len() + session.len()]);
        Ok(Self { control, session, hits })
    }

    /// The kind chosen for a document whose path relative to the directory
    /// it was found in is `relative`, when a glob matches that path or the
    /// file name alone (control before session).
    pub(crate) fn kind_of(&self, relative: &str) -> Option<PolicyKind> {
        let name = relative.rsplit('/').next().unwrap_or(relative);
        let mut hits = self.hits.borrow_mut();
        let mut kind = None;
        let all = self
            .control
            .iter()
            .map(|g| (g, PolicyKind::Control))
            .chain(self.session.iter().map(|g| (g, PolicyKind::Session)));
        for (i, ((_, matcher), k)) in all.enumerate() {
            if matcher.is_match(relative) || matcher.is_match(name) {
                if let Some(hit) = hits.get_mut(i) {
                    *hit = true;
                }
                kind.get_or_insert(k);
            }
        }
        kind
    }

    /// An error naming every glob that matched no document looked at so far.
    pub(crate) fn check_all_matched(&self) -> Result<(), String> {
        let hits = self.hits.borrow();
        let flags = self.control.iter().map(|g| ("--control", g)).chain(self.session.iter().map(|g| ("--session", g)));
        let unmatched: Vec<String> = flags
            .zip(hits.iter())
            .filter(|(_, hit)| !**hit)
            .map(|((flag, (glob, _)), _)| format!("{flag} `{glob}`"))
            .collect();
        if unmatched.is_empty() {
            return Ok(());
        }
        Err(format!(
            "{} {} no document: a glob is matched against a document's path relative to the directory given \
             (for a file given by name, its file name) and against its file name alone",
            unmatched.join(", "),
            if unmatched.len() == 1 { "matches" } else { "match" }
        ))
    }
}
