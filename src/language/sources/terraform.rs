//! Policy documents in Terraform source: the `.tf` files of a root module
//! and of the local modules it calls, evaluated offline.
//!
//! What is read:
//!
//! - Holders are the managed resources of [`TERRAFORM_HOLDERS`]; an
//!   attribute that is absent, `null` or evaluates to `""` is no document.
//!   A `data "alicloud_ram_policy_document"` block is assembled into the
//!   JSON document the provider would compute (`Version` default `"1"`,
//!   `Effect` default `Allow`, a list of one element written as a string,
//!   `Principal` as `{entity: identifiers}`, `Condition` as
//!   `{operator: {variable: values}}`, indented by two spaces), reported
//!   itself as `data.alicloud_ram_policy_document.NAME.document` (kind
//!   trust when a statement has a `principal` block, since RAM allows
//!   `Principal` in no identity policy; identity otherwise), and a reference to its `document` resolves to that text.
//! - Expressions: literals, strings, templates (`${…}`, `%{if}`,
//!   `%{for}`), heredocs (`<<-EOF` indentation is stripped as the HCL
//!   parser strips it), arrays, objects, `var.x` (from
//!   [`TerraformOptions::variables`], then the variable files, later wins,
//!   then `default`), `local.x` (evaluated when used, once), conditionals,
//!   `for` expressions, operators, `count.index`, `each.key`, `each.value`
//!   and the functions `jsonencode`, `jsondecode`, `format` (`%s`, `%d`,
//!   `%v`, `%%`), `join`, `concat`, `split`, `lower`, `upper`, `replace`
//!   (the plain string form), `trimspace`, `tostring`, `tolist`, `toset`,
//!   `length`, `lookup`, `element`, `coalesce`, `compact`, `distinct`,
//!   `flatten` and `merge`. Template strip markers (`~`) are not applied.
//! - Anything not known (a variable without a value, a resource, data
//!   source or module attribute, another function, a conditional or `for`
//!   on something unknown, a local that refers to itself) is the
//!   placeholder `{{source text}}`, its whitespace collapsed, cut at 200
//!   characters. In a template the placeholder is text; where a template
//!   that starts with `{` or `[` (JSON text) is outside a JSON string at
//!   the placeholder, it is written quoted, so that the document stays
//!   JSON. `jsonencode` writes an unknown element as its placeholder
//!   string; of a value unknown as a whole, it is unknown. A document
//!   unknown as a whole has no text (`document` is `None`). `unresolved`
//!   lists each placeholder once, in order.
//! - A known list or object spliced into a template is unknown (Terraform
//!   rejects it); a document attribute whose value is a list or object is
//!   written as `jsonencode` would write it.
//! - `count`: a known count `n` makes instances `[0]`…`[n-1]` (at most
//!   1,000), `0` none; an unknown count makes one instance `[0]` whose
//!   `unresolved` names the count first. `for_each` over a known map or
//!   set makes instances `["key"]`; over an unknown value one instance
//!   `[*]` with `each.key` and `each.value` unknown.
//! - `module` blocks whose `source` is a local path (`./`, `../`) are read
//!   with the call's arguments (evaluated in the caller) as variables,
//!   their documents prefixed `module.NAME.` (with the call's
//!   `count`/`for_each` keys); a registry or git source is not read. At
//!   most 16 levels; a module that calls itself is an error.
//!
//! Positions: each character of a document is located in its `.tf` file.
//! Literal text maps to itself (after heredoc indentation is stripped, the
//! column is still the character's own); text produced by an
//! interpolation, a function or a reference maps to where that expression
//! starts; `jsonencode` maps each key and value to its own element. A value
//! from another file (a local in `locals.tf`, a variable's default, a
//! module argument) maps to the reference that brought it in.
//!
//! Bounds, each a [`SourceError::Template`] with the location, never a
//! truncation: expressions nested deeper than [`MAX_TEMPLATE_DEPTH`],
//! more than [`MAX_TEMPLATE_NODES`] evaluation steps in one module, a
//! string longer than [`MAX_RESOLVED_BYTES`], a `for` or collection over
//! 100,000 elements, a count or `for_each` over 1,000 instances, modules
//! nested deeper than 16. The worst case is the step budget per module
//! times the resolved size per step: memory stays under a few times
//! [`MAX_RESOLVED_BYTES`] per live value and time linear in the budget.
//!
//! ```
//! use std::path::Path;
//! use ramguard::sources::{TerraformOptions, read_terraform_module};
//!
//! let dir = std::env::temp_dir().join(format!("ramguard-doc-tf-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! std::fs::write(dir.join("main.tf"), r#"
//! variable "bucket" {}
//! resource "alicloud_ram_policy" "p" {
//!   policy_document = jsonencode({
//!     Version = "1"
//!     Statement = [{ Effect = "Allow", Action = "oss:GetObject", Resource = "acs:oss:*:*:${var.bucket}/*" }]
//!   })
//! }
//! "#)?;
//! let found = read_terraform_module(&dir, &TerraformOptions::default())?;
//! assert_eq!(found[0].place, "alicloud_ram_policy.p.policy_document");
//! assert_eq!(found[0].unresolved, ["var.bucket"]);
//! assert!(found[0].document.as_deref().is_some_and(|d| d.contains("acs:oss:*:*:{{var.bucket}}/*")));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::{Ident, Span};

use super::{
    DocumentKind, Found, MAX_RESOLVED_BYTES, MAX_TEMPLATE_DEPTH, MAX_TEMPLATE_NODES, Positions, SourceError,
    TERRAFORM_HOLDERS,
};
use crate::language::json::Location;

/// Values for a root module's input variables, as `terraform plan` takes
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TerraformOptions {
    /// `-var NAME=VALUE`, the value as typed: the text itself for a
    /// variable of type `string` (or untyped, when the text is not an HCL
    /// expression), otherwise the HCL expression it spells. These win over
    /// the variable files.
    pub variables: BTreeMap<String, String>,
    /// Variable files: each a path and its text, HCL (`.tfvars`) or JSON
    /// (a name ending in `.json`); a later file wins.
    pub var_files: Vec<(PathBuf, String)>,
    /// The account the configuration is applied in: the value of
    /// `data.alicloud_account.NAME.id` and of
    /// `data.alicloud_caller_identity.NAME.account_id`, which otherwise stay
    /// placeholders.
    pub account: Option<String>,
}

/// Whether `dir` holds at least one `.tf` file.
pub fn is_terraform_module(dir: &Path) -> bool {
    tf_files(dir).is_ok_and(|files| !files.is_empty())
}

/// The directories of the local modules (`source = "./…"` or `"../…"`)
/// that the module in `dir` calls, canonical, in file order: a directory
/// of `.tf` files that another module calls is read through that call
/// rather than as a root module of its own.
pub fn local_module_calls(dir: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let mut calls = Vec::new();
    for file in parse_dir(dir)? {
        for block in blocks(&file.body, "module") {
            let Some(source) = attribute(&block.body, "source").and_then(Expression::as_str) else { continue };
            if source.starts_with("./") || source.starts_with("../") {
                let called = canonical(&normalize(&file.path.parent().unwrap_or(Path::new(".")).join(source)));
                if !calls.contains(&called) {
                    calls.push(called);
                }
            }
        }
    }
    Ok(calls)
}

/// Every document the root module in `dir` holds (every `*.tf` file
/// directly in it, in name order, and the local modules it calls), in file
/// and resource order.
pub fn read_terraform_module(dir: &Path, options: &TerraformOptions) -> Result<Vec<Found>, SourceError> {
    read_files(parse_dir(dir)?, dir, options)
}

/// The documents of a root module of one file, `text`, written at `path`
/// (its local module calls are read from the folder `path` names).
#[cfg(fuzzing)]
pub(crate) fn read_terraform_text(
    path: &Path,
    text: &str,
    options: &TerraformOptions,
) -> Result<Vec<Found>, SourceError> {
    let dir = path.parent().unwrap_or(path);
    read_files(vec![parse_file(path, text.to_owned())?], dir, options)
}

fn read_files(files: Vec<File>, dir: &Path, options: &TerraformOptions) -> Result<Vec<Found>, SourceError> {
    let mut given = BTreeMap::new();
    for (path, text) in &options.var_files {
        for (name, value) in var_file(path, text)? {
            given.insert(name, value);
        }
    }
    let declared = declared_types(&files);
    for (name, raw) in &options.variables {
        let typed = declared.get(name).cloned().flatten();
        given.insert(name.clone(), cli_value(raw, typed.as_deref()));
    }
    let mut found = Vec::new();
    let mut stack = vec![canonical(dir)];
    read_module(&files, given, "", options.account.as_deref(), &mut stack, &mut found)?;
    Ok(found)
}

/// Modules nested deeper than this are an error.
const MAX_MODULE_DEPTH: usize = 16;
/// Instances of one resource or module call.
const MAX_INSTANCES: usize = 1_000;
/// Elements of one collection built by evaluation.
const MAX_ELEMENTS: usize = 100_000;
/// Characters of one placeholder's text.
const MAX_PLACEHOLDER: usize = 200;

/// One parsed `.tf` file.
struct File {
    path: PathBuf,
    text: String,
    lines: Vec<usize>,
    body: Body,
}

impl File {
    fn location(&self, offset: usize) -> Location {
        let line = self.lines.partition_point(|&start| start <= offset);
        let start = self.lines.get(line.saturating_sub(1)).copied().unwrap_or(0);
        let column = self.text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
        Location { line: line.max(1), column }
    }
}

fn canonical(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_owned())
}

fn io_error(file: &Path, error: &std::io::Error) -> SourceError {
    template_error(file, Location { line: 1, column: 1 }, format!("cannot read: {error}"))
}

fn template_error(file: &Path, at: Location, message: impl Into<String>) -> SourceError {
    SourceError::Template { file: file.to_owned(), at, message: message.into() }
}

fn tf_files(dir: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tf") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn parse_file(path: &Path, text: String) -> Result<File, SourceError> {
    let body = hcl_edit::parser::parse_body(&text).map_err(|e| SourceError::Hcl {
        file: path.to_owned(),
        at: super::within(&text, Location { line: e.location().line(), column: e.location().column() }),
        message: e.message().to_owned(),
    })?;
    let mut lines = vec![0];
    lines.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    Ok(File { path: path.to_owned(), text, lines, body })
}

fn parse_dir(dir: &Path) -> Result<Vec<File>, SourceError> {
    let mut files = Vec::new();
    for path in tf_files(dir)? {
        let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, &e))?;
        files.push(parse_file(&path, text)?);
    }
    Ok(files)
}

fn blocks<'a>(body: &'a Body, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
    body.iter().filter_map(Structure::as_block).filter(move |b| b.ident.as_str() == kind)
}

fn attribute<'a>(body: &'a Body, name: &str) -> Option<&'a Expression> {
    body.iter().filter_map(Structure::as_attribute).find(|a| a.key.as_str() == name).map(|a| &a.value)
}

fn label(block: &Block, index: usize) -> &str {
    block.labels.get(index).map(|l| l.as_str()).unwrap_or_default()
}

/// The declared type of each variable, as its source text (`None` when
/// untyped).
fn declared_types(files: &[File]) -> BTreeMap<String, Option<String>> {
    let mut types = BTreeMap::new();
    for file in files {
        for block in blocks(&file.body, "variable") {
            let typed = attribute(&block.body, "type").map(|e| source_text(file, e));
            types.insert(label(block, 0).to_owned(), typed);
        }
    }
    types
}

/// A `-var` value: the text for a string variable, else the expression
/// it spells (the text when it spells none and the variable is untyped).
fn cli_value(raw: &str, typed: Option<&str>) -> Val {
    let at = Location { line: 1, column: 1 };
    let text = || Val::text(raw, at);
    if typed == Some("string") {
        return text();
    }
    let Ok(expression) = hcl_edit::parser::parse_expr(raw) else { return text() };
    let Ok(file) = parse_file(Path::new("-var"), String::new()) else { return text() };
    let files = [file];
    let mut evaluator = Evaluator::new(&files, BTreeMap::new(), BTreeMap::new(), Path::new("-var"));
    match evaluator.eval(&expression, 0) {
        Ok(value) if !matches!(value.v, V::Unknown(_)) => value,
        _ => text(),
    }
}

/// The variables a variable file sets.
fn var_file(path: &Path, text: &str) -> Result<Vec<(String, Val)>, SourceError> {
    let at = Location { line: 1, column: 1 };
    if path.extension().is_some_and(|e| e == "json") || path.to_string_lossy().contains(".json") {
        let json: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            let (at, message) = crate::language::json::serde_error(text, &e);
            SourceError::Json { file: path.to_owned(), at, message }
        })?;
        let serde_json::Value::Object(map) = json else {
            return Err(template_error(path, at, "a variable file in JSON is an object"));
        };
        return Ok(map.into_iter().map(|(k, v)| (k, from_json(&v, at))).collect());
    }
    let file = parse_file(path, text.to_owned())?;
    let files = [file];
    let mut evaluator = Evaluator::new(&files, BTreeMap::new(), BTreeMap::new(), path);
    let mut values = Vec::new();
    if let Some(file) = files.first() {
        for attr in file.body.iter().filter_map(Structure::as_attribute) {
            values.push((attr.key.as_str().to_owned(), evaluator.eval(&attr.value, 0)?));
        }
    }
    Ok(values)
}

/// One instance of a resource, data source or module call: its address
/// key (`[0]`, `["a"]`, `[*]`, or none), what `count`/`each` mean in it,
/// and the placeholder of an unknown count.
#[derive(Clone)]
struct Instance {
    key: String,
    count: Option<Val>,
    each: Option<(Val, Val)>,
    unknown: Option<String>,
}

/// Reads one module: its documents, then those of its local module calls.
fn read_module(
    files: &[File],
    given: BTreeMap<String, Val>,
    prefix: &str,
    account: Option<&str>,
    stack: &mut Vec<PathBuf>,
    found: &mut Vec<Found>,
) -> Result<(), SourceError> {
    let Some(first) = files.first() else { return Ok(()) };
    let mut locals = BTreeMap::new();
    let mut variables = BTreeMap::new();
    for (index, file) in files.iter().enumerate() {
        for block in blocks(&file.body, "locals") {
            for attr in block.body.iter().filter_map(Structure::as_attribute) {
                locals.insert(attr.key.as_str().to_owned(), (index, &attr.value));
            }
        }
        for block in blocks(&file.body, "variable") {
            variables.insert(label(block, 0).to_owned(), (index, attribute(&block.body, "default")));
        }
    }
    let mut vars = BTreeMap::new();
    for (name, (index, default)) in &variables {
        let value = match (given.get(name), default) {
            (Some(value), _) => Some(value.clone()),
            (None, Some(default)) => {
                let mut evaluator = Evaluator::new(files, BTreeMap::new(), BTreeMap::new(), &first.path);
                evaluator.file = *index;
                Some(evaluator.eval(default, 0)?)
            }
            (None, None) => None,
        };
        if let Some(value) = value {
            vars.insert(name.clone(), value);
        }
    }
    let mut evaluator = Evaluator::new(files, vars, locals, &first.path);
    evaluator.account = account.map(str::to_owned);
    // Data sources first: resources refer to them.
    for (index, file) in files.iter().enumerate() {
        evaluator.file = index;
        for block in blocks(&file.body, "data") {
            if label(block, 0) != "alicloud_ram_policy_document" {
                continue;
            }
            let name = label(block, 1);
            for instance in evaluator.instances(block)? {
                evaluator.instance = instance.clone();
                let document = evaluator.policy_document(block, 0)?;
                let at = span_location(file, block.ident.span());
                let place = format!("{prefix}data.alicloud_ram_policy_document.{name}{}.document", instance.key);
                evaluator.data.entry(name.to_owned()).or_insert_with(|| document.clone());
                // A statement that names a principal makes it a trust policy:
                // RAM allows `Principal` in no identity policy.
                let trust = blocks(&block.body, "statement").any(|s| blocks(&s.body, "principal").next().is_some());
                let kind = if trust { DocumentKind::Trust } else { DocumentKind::Identity };
                found.push(evaluator.found(file, place, kind, at, document, &instance));
            }
        }
    }
    for (index, file) in files.iter().enumerate() {
        evaluator.file = index;
        for block in blocks(&file.body, "resource") {
            let kind = label(block, 0);
            let Some(holder) = TERRAFORM_HOLDERS.iter().find(|h| h.mode == "managed" && h.resource_type == kind) else {
                continue;
            };
            let Some((attribute_name, expression)) =
                holder.attributes.iter().find_map(|a| attribute(&block.body, a).map(|e| (*a, e)))
            else {
                continue;
            };
            for instance in evaluator.instances(block)? {
                evaluator.instance = instance.clone();
                let value = evaluator.eval(expression, 0)?;
                if matches!(&value.v, V::Null) || matches!(&value.v, V::Str(t) if t.s.is_empty()) {
                    continue;
                }
                let at = span_location(file, expression.span());
                let place = format!("{prefix}{kind}.{}{}.{attribute_name}", label(block, 1), instance.key);
                found.push(evaluator.found(file, place, holder.kind, at, value, &instance));
            }
        }
    }
    evaluator.instance = Instance { key: String::new(), count: None, each: None, unknown: None };
    for (index, file) in files.iter().enumerate() {
        evaluator.file = index;
        for block in blocks(&file.body, "module") {
            let Some(source) = attribute(&block.body, "source").and_then(Expression::as_str) else { continue };
            if !(source.starts_with("./") || source.starts_with("../")) {
                continue;
            }
            let at = span_location(file, block.ident.span());
            let dir = normalize(&file.path.parent().unwrap_or(Path::new(".")).join(source));
            let key = canonical(&dir);
            if stack.contains(&key) {
                return Err(template_error(&file.path, at, format!("module `{source}` calls itself")));
            }
            if stack.len() > MAX_MODULE_DEPTH {
                return Err(template_error(&file.path, at, "modules nested deeper than 16"));
            }
            let called = parse_dir(&dir)?;
            let name = label(block, 0);
            for instance in evaluator.instances(block)? {
                evaluator.instance = instance.clone();
                let mut arguments = BTreeMap::new();
                for attr in block.body.iter().filter_map(Structure::as_attribute) {
                    let key = attr.key.as_str();
                    if ["source", "version", "count", "for_each", "providers", "depends_on"].contains(&key) {
                        continue;
                    }
                    arguments.insert(key.to_owned(), evaluator.eval(&attr.value, 0)?);
                }
                stack.push(key.clone());
                let inner = format!("{prefix}module.{name}{}.", instance.key);
                read_module(&called, arguments, &inner, account, stack, found)?;
                stack.pop();
            }
        }
    }
    Ok(())
}

/// `path` with its `.` and `..` components folded, as written (no
/// links followed): `a/b/../c` is `a/c`.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn span_location(file: &File, span: Option<std::ops::Range<usize>>) -> Location {
    file.location(span.map_or(0, |s| s.start))
}

/// An expression's source text, whitespace collapsed.
fn source_text(file: &File, expression: &impl Span) -> String {
    let raw = expression.span().and_then(|s| file.text.get(s)).unwrap_or_default();
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A string with where each of its characters came from.
#[derive(Debug, Clone, Default)]
struct Txt {
    s: String,
    each: Vec<Location>,
}

impl Txt {
    fn push(&mut self, text: &str, at: Location) {
        self.s.push_str(text);
        self.each.extend(std::iter::repeat_n(at, text.chars().count()));
    }

    fn append(&mut self, other: &Txt) {
        self.s.push_str(&other.s);
        self.each.extend_from_slice(&other.each);
    }
}

/// An evaluated value.
#[derive(Debug, Clone)]
enum V {
    Null,
    Bool(bool),
    Num(f64),
    Str(Txt),
    List(Vec<Val>),
    /// Keys with where each was written.
    Map(BTreeMap<String, (Location, Val)>),
    /// Not known: the placeholder's text.
    Unknown(String),
}

/// A value and where the expression that produced it starts.
#[derive(Debug, Clone)]
struct Val {
    v: V,
    at: Location,
}

impl Val {
    fn new(v: V, at: Location) -> Self {
        Val { v, at }
    }

    fn text(text: &str, at: Location) -> Self {
        let mut t = Txt::default();
        t.push(text, at);
        Val { v: V::Str(t), at }
    }

    /// The same value, every part of it from `at`.
    fn stamp(&self, at: Location) -> Val {
        let v = match &self.v {
            V::Str(t) => V::Str(Txt { s: t.s.clone(), each: vec![at; t.each.len()] }),
            V::List(items) => V::List(items.iter().map(|i| i.stamp(at)).collect()),
            V::Map(map) => V::Map(map.iter().map(|(k, (_, v))| (k.clone(), (at, v.stamp(at)))).collect()),
            other => other.clone(),
        };
        Val { v, at }
    }

    /// As text in a template or a string function; `None` for a list, a
    /// map, null or an unknown.
    fn as_text(&self) -> Option<Txt> {
        let mut t = Txt::default();
        match &self.v {
            V::Str(s) => return Some(s.clone()),
            V::Bool(b) => t.push(if *b { "true" } else { "false" }, self.at),
            V::Num(n) => t.push(&number(*n), self.at),
            _ => return None,
        }
        Some(t)
    }

    fn elements(&self) -> Option<Vec<Val>> {
        match &self.v {
            V::List(items) => Some(items.clone()),
            _ => None,
        }
    }
}

fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}

fn from_json(json: &serde_json::Value, at: Location) -> Val {
    let v = match json {
        serde_json::Value::Null => V::Null,
        serde_json::Value::Bool(b) => V::Bool(*b),
        serde_json::Value::Number(n) => V::Num(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => return Val::text(s, at),
        serde_json::Value::Array(items) => V::List(items.iter().map(|i| from_json(i, at)).collect()),
        serde_json::Value::Object(map) => {
            V::Map(map.iter().map(|(k, v)| (k.clone(), (at, from_json(v, at)))).collect())
        }
    };
    Val::new(v, at)
}

fn equal(a: &Val, b: &Val) -> Option<bool> {
    Some(match (&a.v, &b.v) {
        (V::Unknown(_), _) | (_, V::Unknown(_)) => return None,
        (V::Null, V::Null) => true,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Num(x), V::Num(y)) => x == y,
        (V::Str(x), V::Str(y)) => x.s == y.s,
        (V::List(x), V::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            for (p, q) in x.iter().zip(y) {
                if !equal(p, q)? {
                    return Some(false);
                }
            }
            true
        }
        (V::Map(x), V::Map(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            for ((kx, (_, p)), (ky, (_, q))) in x.iter().zip(y) {
                if kx != ky || !equal(p, q)? {
                    return Some(false);
                }
            }
            true
        }
        _ => false,
    })
}

/// JSON text as `jsonencode` writes it: compact, keys sorted, `<`, `>`
/// and `&` escaped.
struct Encoder {
    out: Txt,
}

impl Encoder {
    fn string(&mut self, text: &Txt, at: Location) {
        self.out.push("\"", at);
        let mut each = text.each.iter();
        for c in text.s.chars() {
            let here = each.next().copied().unwrap_or(at);
            let escaped = match c {
                '"' => "\\\"".to_owned(),
                '\\' => "\\\\".to_owned(),
                '\n' => "\\n".to_owned(),
                '\r' => "\\r".to_owned(),
                '\t' => "\\t".to_owned(),
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => format!("\\u{:04x}", c as u32),
                c if (c as u32) < 0x20 => format!("\\u{:04x}", c as u32),
                c => c.to_string(),
            };
            self.out.push(&escaped, here);
        }
        self.out.push("\"", at);
    }

    fn value(&mut self, value: &Val) {
        let at = value.at;
        match &value.v {
            V::Null => self.out.push("null", at),
            V::Bool(b) => self.out.push(if *b { "true" } else { "false" }, at),
            V::Num(n) => self.out.push(&number(*n), at),
            V::Str(t) => self.string(t, at),
            V::Unknown(name) => {
                let mut t = Txt::default();
                t.push(&format!("{{{{{name}}}}}"), at);
                self.string(&t, at);
            }
            V::List(items) => {
                self.out.push("[", at);
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(",", item.at);
                    }
                    self.value(item);
                }
                self.out.push("]", at);
            }
            V::Map(map) => {
                self.out.push("{", at);
                for (i, (key, (key_at, item))) in map.iter().enumerate() {
                    if i > 0 {
                        self.out.push(",", *key_at);
                    }
                    let mut k = Txt::default();
                    k.push(key, *key_at);
                    self.string(&k, *key_at);
                    self.out.push(":", item.at);
                    self.value(item);
                }
                self.out.push("}", at);
            }
        }
    }
}

/// A template's text being built, knowing whether it is inside a JSON
/// string.
#[derive(Default)]
struct Builder {
    out: Txt,
    json: Option<bool>,
    in_string: bool,
    escaped: bool,
}

impl Builder {
    fn push(&mut self, text: &Txt) {
        for c in text.s.chars() {
            if self.json.is_none() && !c.is_whitespace() {
                self.json = Some(c == '{' || c == '[');
            }
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if c == '\\' {
                    self.escaped = true;
                } else if c == '"' {
                    self.in_string = false;
                }
            } else if c == '"' {
                self.in_string = true;
            }
        }
        self.out.append(text);
    }

    fn unknown(&mut self, name: &str, at: Location) {
        let mut t = Txt::default();
        if self.json == Some(true) && !self.in_string {
            t.push(&format!("\"{{{{{name}}}}}\""), at);
        } else {
            t.push(&format!("{{{{{name}}}}}"), at);
        }
        self.push(&t);
    }
}

struct Evaluator<'a> {
    files: &'a [File],
    /// The file whose expressions are being evaluated.
    file: usize,
    root: &'a Path,
    vars: BTreeMap<String, Val>,
    locals: BTreeMap<String, (usize, &'a Expression)>,
    local_values: BTreeMap<String, (usize, Val)>,
    evaluating: BTreeSet<String>,
    data: BTreeMap<String, Val>,
    /// The account the data sources that name it give, when known.
    account: Option<String>,
    scopes: Vec<BTreeMap<String, Val>>,
    instance: Instance,
    steps: usize,
}

impl<'a> Evaluator<'a> {
    fn new(
        files: &'a [File],
        vars: BTreeMap<String, Val>,
        locals: BTreeMap<String, (usize, &'a Expression)>,
        root: &'a Path,
    ) -> Self {
        Evaluator {
            files,
            file: 0,
            root,
            vars,
            locals,
            local_values: BTreeMap::new(),
            evaluating: BTreeSet::new(),
            data: BTreeMap::new(),
            account: None,
            scopes: Vec::new(),
            instance: Instance { key: String::new(), count: None, each: None, unknown: None },
            steps: 0,
        }
    }

    fn current(&self) -> Option<&'a File> {
        self.files.get(self.file)
    }

    fn path(&self) -> &Path {
        self.current().map_or(self.root, |f| f.path.as_path())
    }

    fn at(&self, span: Option<std::ops::Range<usize>>) -> Location {
        self.current().map_or(Location { line: 1, column: 1 }, |f| span_location(f, span))
    }

    fn placeholder(&self, expression: &impl Span) -> String {
        let text = self.current().map(|f| source_text(f, expression)).unwrap_or_default();
        if text.chars().count() > MAX_PLACEHOLDER {
            let mut cut: String = text.chars().take(MAX_PLACEHOLDER - 1).collect();
            cut.push('…');
            cut
        } else {
            text
        }
    }

    fn unknown(&self, expression: &impl Span) -> Val {
        Val::new(V::Unknown(self.placeholder(expression)), self.at(expression.span()))
    }

    fn error(&self, at: Location, message: impl Into<String>) -> SourceError {
        template_error(self.path(), at, message)
    }

    fn check_size(&self, text: &Txt, at: Location) -> Result<(), SourceError> {
        if text.s.len() > MAX_RESOLVED_BYTES {
            return Err(self.error(at, format!("a string longer than {MAX_RESOLVED_BYTES} bytes")));
        }
        Ok(())
    }

    fn check_elements(&self, n: usize, at: Location) -> Result<(), SourceError> {
        if n > MAX_ELEMENTS {
            return Err(self.error(at, format!("a collection of more than {MAX_ELEMENTS} elements")));
        }
        Ok(())
    }

    /// The instances `block` declares with `count` or `for_each`.
    fn instances(&mut self, block: &Block) -> Result<Vec<Instance>, SourceError> {
        self.instance = Instance { key: String::new(), count: None, each: None, unknown: None };
        let at = self.at(block.ident.span());
        if let Some(count) = attribute(&block.body, "count") {
            let value = self.eval(count, 0)?;
            return match value.v {
                V::Num(n) if n >= 0.0 && n.fract() == 0.0 => {
                    if n > MAX_INSTANCES as f64 {
                        return Err(self.error(at, format!("a count over {MAX_INSTANCES}")));
                    }
                    let n = n as usize;
                    Ok((0..n)
                        .map(|i| Instance {
                            key: format!("[{i}]"),
                            count: Some(Val::new(V::Num(i as f64), value.at)),
                            each: None,
                            unknown: None,
                        })
                        .collect())
                }
                V::Unknown(name) => Ok(vec![Instance {
                    key: "[0]".to_owned(),
                    count: Some(Val::new(V::Unknown("count.index".to_owned()), value.at)),
                    each: None,
                    unknown: Some(name),
                }]),
                _ => Err(self.error(value.at, "`count` is not a whole number")),
            };
        }
        if let Some(for_each) = attribute(&block.body, "for_each") {
            let value = self.eval(for_each, 0)?;
            let pairs: Vec<(String, Val, Val)> = match &value.v {
                V::Map(map) => map.iter().map(|(k, (a, v))| (k.clone(), Val::text(k, *a), v.clone())).collect(),
                V::List(items) => {
                    let mut pairs = Vec::new();
                    for item in items {
                        let Some(t) = item.as_text() else {
                            return Err(self.error(item.at, "`for_each` of a non-string"));
                        };
                        pairs.push((t.s.clone(), item.clone(), item.clone()));
                    }
                    pairs
                }
                V::Unknown(name) => {
                    return Ok(vec![Instance {
                        key: "[*]".to_owned(),
                        count: None,
                        each: Some((
                            Val::new(V::Unknown("each.key".to_owned()), value.at),
                            Val::new(V::Unknown("each.value".to_owned()), value.at),
                        )),
                        unknown: Some(name.clone()),
                    }]);
                }
                _ => return Err(self.error(value.at, "`for_each` is not a map or set")),
            };
            if pairs.len() > MAX_INSTANCES {
                return Err(self.error(at, format!("a `for_each` over {MAX_INSTANCES}")));
            }
            return Ok(pairs
                .into_iter()
                .map(|(k, key, v)| Instance {
                    key: format!("[{}]", serde_json::Value::String(k)),
                    count: None,
                    each: Some((key, v)),
                    unknown: None,
                })
                .collect());
        }
        Ok(vec![Instance { key: String::new(), count: None, each: None, unknown: None }])
    }

    fn found(
        &self,
        file: &File,
        place: String,
        kind: DocumentKind,
        at: Location,
        value: Val,
        instance: &Instance,
    ) -> Found {
        let mut unresolved: Vec<String> = instance.unknown.iter().cloned().collect();
        let (document, each) = match &value.v {
            V::Unknown(name) => {
                if !unresolved.contains(name) {
                    unresolved.push(name.clone());
                }
                (None, Vec::new())
            }
            V::Str(t) => (Some(t.s.clone()), t.each.clone()),
            _ => {
                let mut encoder = Encoder { out: Txt::default() };
                encoder.value(&value);
                (Some(encoder.out.s), encoder.out.each)
            }
        };
        if let Some(text) = &document {
            placeholders(text, &mut unresolved);
        }
        Found { file: file.path.clone(), place, kind, document, at, unresolved, positions: Positions::Each(each) }
    }

    fn spend(&mut self, at: Location, depth: usize) -> Result<(), SourceError> {
        self.steps += 1;
        if self.steps > MAX_TEMPLATE_NODES {
            return Err(self.error(at, format!("more than {MAX_TEMPLATE_NODES} evaluation steps")));
        }
        if depth > MAX_TEMPLATE_DEPTH {
            return Err(self.error(at, format!("expressions nested deeper than {MAX_TEMPLATE_DEPTH}")));
        }
        Ok(())
    }

    fn eval(&mut self, expression: &Expression, depth: usize) -> Result<Val, SourceError> {
        let at = self.at(expression.span());
        self.spend(at, depth)?;
        let d = depth + 1;
        Ok(match expression {
            Expression::Null(_) => Val::new(V::Null, at),
            Expression::Bool(b) => Val::new(V::Bool(*b.value()), at),
            Expression::Number(n) => Val::new(V::Num(n.value().as_f64().unwrap_or_default()), at),
            Expression::String(s) => {
                let each = self.literal_positions(s.value(), expression.span(), None);
                Val::new(V::Str(Txt { s: s.value().clone(), each }), at)
            }
            Expression::StringTemplate(t) => self.template(t, None, d)?,
            Expression::HeredocTemplate(h) => self.template(&h.template, h.indent(), d)?,
            Expression::Parenthesis(p) => self.eval(p.inner(), d)?,
            Expression::Array(array) => {
                let mut items = Vec::new();
                for item in array.iter() {
                    items.push(self.eval(item, d)?);
                }
                self.check_elements(items.len(), at)?;
                Val::new(V::List(items), at)
            }
            Expression::Object(object) => {
                let mut map = BTreeMap::new();
                for (key, value) in object.iter() {
                    let (name, key_at) = match key {
                        ObjectKey::Ident(ident) => (ident.as_str().to_owned(), self.at(ident.span())),
                        ObjectKey::Expression(e) => {
                            let k = self.eval(e, d)?;
                            match k.as_text() {
                                Some(t) => (t.s, k.at),
                                None => return Ok(self.unknown(expression)),
                            }
                        }
                    };
                    let value = self.eval(value.expr(), d)?;
                    map.insert(name, (key_at, value));
                }
                Val::new(V::Map(map), at)
            }
            Expression::Variable(name) => self.variable(name.value(), expression),
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr, d)?;
                match truth(&cond) {
                    Some(true) => self.eval(&c.true_expr, d)?,
                    Some(false) => self.eval(&c.false_expr, d)?,
                    None => self.unknown(expression),
                }
            }
            Expression::Traversal(t) => self.traversal(t, expression, d)?,
            Expression::FuncCall(call) => {
                let mut args = Vec::new();
                for arg in call.args.iter() {
                    args.push(self.eval(arg, d)?);
                }
                if call.args.expand_final()
                    && let Some(last) = args.pop()
                {
                    match last.elements() {
                        Some(items) => args.extend(items),
                        None => return Ok(self.unknown(expression)),
                    }
                }
                let name = if call.name.is_namespaced() { "" } else { call.name.name.as_str() };
                match self.function(name, args, at)? {
                    Some(value) => value,
                    None => self.unknown(expression),
                }
            }
            Expression::UnaryOp(op) => {
                let value = self.eval(&op.expr, d)?;
                match (op.operator.value(), &value.v) {
                    (UnaryOperator::Neg, V::Num(n)) => Val::new(V::Num(-n), at),
                    (UnaryOperator::Not, _) => match truth(&value) {
                        Some(b) => Val::new(V::Bool(!b), at),
                        None => self.unknown(expression),
                    },
                    _ => self.unknown(expression),
                }
            }
            Expression::BinaryOp(op) => {
                let lhs = self.eval(&op.lhs_expr, d)?;
                let rhs = self.eval(&op.rhs_expr, d)?;
                match binary(*op.operator.value(), &lhs, &rhs) {
                    Some(v) => Val::new(v, at),
                    None => self.unknown(expression),
                }
            }
            Expression::ForExpr(f) => {
                let collection = self.eval(&f.intro.collection_expr, d)?;
                let pairs: Vec<(Val, Val)> = match &collection.v {
                    V::List(items) => {
                        items.iter().enumerate().map(|(i, v)| (Val::new(V::Num(i as f64), v.at), v.clone())).collect()
                    }
                    V::Map(map) => map.iter().map(|(k, (a, v))| (Val::text(k, *a), v.clone())).collect(),
                    _ => return Ok(self.unknown(expression)),
                };
                self.check_elements(pairs.len(), at)?;
                let mut list = Vec::new();
                let mut map: BTreeMap<String, (Location, Val)> = BTreeMap::new();
                for (key, value) in pairs {
                    let mut scope = BTreeMap::new();
                    if let Some(k) = &f.intro.key_var {
                        scope.insert(k.as_str().to_owned(), key);
                        scope.insert(f.intro.value_var.as_str().to_owned(), value);
                    } else {
                        scope.insert(f.intro.value_var.as_str().to_owned(), value);
                    }
                    self.scopes.push(scope);
                    let result = self.for_element(f, d, &mut list, &mut map);
                    self.scopes.pop();
                    if let Some(unknown) = result? {
                        return Ok(Val::new(V::Unknown(unknown), at));
                    }
                }
                if f.key_expr.is_some() { Val::new(V::Map(map), at) } else { Val::new(V::List(list), at) }
            }
        })
    }

    /// One element of a `for` expression; the placeholder when its
    /// condition or key is unknown.
    fn for_element(
        &mut self,
        f: &hcl_edit::expr::ForExpr,
        d: usize,
        list: &mut Vec<Val>,
        map: &mut BTreeMap<String, (Location, Val)>,
    ) -> Result<Option<String>, SourceError> {
        if let Some(cond) = &f.cond {
            let keep = self.eval(&cond.expr, d)?;
            match truth(&keep) {
                Some(true) => {}
                Some(false) => return Ok(None),
                None => return Ok(Some(self.placeholder(&f.value_expr))),
            }
        }
        let value = self.eval(&f.value_expr, d)?;
        match &f.key_expr {
            Some(key_expr) => {
                let key = self.eval(key_expr, d)?;
                let Some(name) = key.as_text() else { return Ok(Some(self.placeholder(key_expr))) };
                if f.grouping {
                    let entry = map.entry(name.s).or_insert_with(|| (key.at, Val::new(V::List(Vec::new()), key.at)));
                    if let V::List(items) = &mut entry.1.v {
                        items.push(value);
                    }
                } else {
                    map.insert(name.s, (key.at, value));
                }
            }
            None => list.push(value),
        }
        Ok(None)
    }

    fn variable(&mut self, name: &Ident, expression: &Expression) -> Val {
        for scope in self.scopes.iter().rev() {
            if let Some(value) = scope.get(name.as_str()) {
                return value.clone();
            }
        }
        self.unknown(expression)
    }

    fn traversal(
        &mut self,
        t: &hcl_edit::expr::Traversal,
        expression: &Expression,
        d: usize,
    ) -> Result<Val, SourceError> {
        let at = self.at(expression.span());
        let attr = |i: usize| match t.operators.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(name)) => Some(name.as_str().to_owned()),
            _ => None,
        };
        let (mut value, mut rest) = match &t.expr {
            Expression::Variable(root) => match root.as_str() {
                "var" => match attr(0) {
                    Some(name) => match self.vars.get(&name) {
                        Some(v) => (v.stamp(at), 1),
                        None => return Ok(self.unknown(expression)),
                    },
                    None => return Ok(self.unknown(expression)),
                },
                "local" => match attr(0) {
                    Some(name) => (self.local(&name, expression, at)?, 1),
                    None => return Ok(self.unknown(expression)),
                },
                "count" if attr(0).as_deref() == Some("index") => match &self.instance.count {
                    Some(v) => (Val { at, ..v.clone() }, 1),
                    None => return Ok(self.unknown(expression)),
                },
                "each" => match (&self.instance.each, attr(0).as_deref()) {
                    (Some((k, _)), Some("key")) => (k.stamp(at), 1),
                    (Some((_, v)), Some("value")) => (v.stamp(at), 1),
                    _ => return Ok(self.unknown(expression)),
                },
                "data"
                    if self.account.is_some()
                        && attr(1).is_some()
                        && matches!(
                            (attr(0).as_deref(), attr(2).as_deref()),
                            (Some("alicloud_account"), Some("id"))
                                | (Some("alicloud_caller_identity"), Some("account_id"))
                        ) =>
                {
                    (Val::text(self.account.as_deref().unwrap_or_default(), at), 3)
                }
                "data" if attr(0).as_deref() == Some("alicloud_ram_policy_document") => {
                    let Some(name) = attr(1) else { return Ok(self.unknown(expression)) };
                    let mut next = 2;
                    if matches!(
                        t.operators.get(next).map(|o| o.value()),
                        Some(TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_))
                    ) {
                        next += 1;
                    }
                    match (self.data.get(&name), attr(next).as_deref()) {
                        (Some(doc), Some("document")) => (doc.stamp(at), next + 1),
                        _ => return Ok(self.unknown(expression)),
                    }
                }
                _ => match self.scopes.iter().rev().find_map(|s| s.get(root.as_str())) {
                    Some(v) => (v.clone(), 0),
                    None => return Ok(self.unknown(expression)),
                },
            },
            other => (self.eval(other, d)?, 0),
        };
        while let Some(op) = t.operators.get(rest) {
            rest += 1;
            let next = match op.value() {
                TraversalOperator::GetAttr(name) => match &value.v {
                    V::Map(map) => map.get(name.as_str()).map(|(_, v)| v.clone()),
                    _ => None,
                },
                TraversalOperator::Index(index) => {
                    let index = self.eval(index, d)?;
                    lookup_index(&value, &index)
                }
                TraversalOperator::LegacyIndex(n) => lookup_index(&value, &Val::new(V::Num(*n.value() as f64), at)),
                _ => None,
            };
            match next {
                Some(v) => value = v,
                None => return Ok(self.unknown(expression)),
            }
        }
        if matches!(value.v, V::Unknown(_)) {
            return Ok(self.unknown(expression));
        }
        Ok(value)
    }

    fn local(&mut self, name: &str, expression: &Expression, at: Location) -> Result<Val, SourceError> {
        let here = self.file;
        if let Some((file, value)) = self.local_values.get(name) {
            return Ok(if *file == here { value.clone() } else { value.stamp(at) });
        }
        let Some(&(file, defined)) = self.locals.get(name) else { return Ok(self.unknown(expression)) };
        if !self.evaluating.insert(name.to_owned()) {
            return Ok(self.unknown(expression));
        }
        let scopes = std::mem::take(&mut self.scopes);
        self.file = file;
        let result = self.eval(defined, 1);
        self.file = here;
        self.scopes = scopes;
        self.evaluating.remove(name);
        let value = result?;
        // A local that depends on count or each is evaluated per instance.
        let per_instance = self.instance.count.is_some() || self.instance.each.is_some();
        if !per_instance {
            self.local_values.insert(name.to_owned(), (file, value.clone()));
        }
        Ok(if file == here { value } else { value.stamp(at) })
    }

    fn template(&mut self, template: &Template, indent: Option<usize>, d: usize) -> Result<Val, SourceError> {
        let at = self.at(template.span());
        let mut builder = Builder::default();
        self.elements(template, indent, d, &mut builder)?;
        Ok(Val::new(V::Str(builder.out), at))
    }

    fn elements(
        &mut self,
        template: &Template,
        indent: Option<usize>,
        d: usize,
        builder: &mut Builder,
    ) -> Result<(), SourceError> {
        for element in template.iter() {
            match element {
                Element::Literal(literal) => {
                    let each = self.literal_positions(literal, literal.span(), indent);
                    builder.push(&Txt { s: literal.to_string(), each });
                }
                Element::Interpolation(interpolation) => {
                    let value = self.eval(&interpolation.expr, d)?;
                    match value.as_text() {
                        Some(t) => builder.push(&t),
                        None => {
                            let name = match &value.v {
                                V::Unknown(name) => name.clone(),
                                _ => self.placeholder(&interpolation.expr),
                            };
                            builder.unknown(&name, value.at);
                        }
                    }
                }
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(dir) => {
                        let cond = self.eval(&dir.if_expr.cond_expr, d)?;
                        match truth(&cond) {
                            Some(true) => self.elements(&dir.if_expr.template, indent, d + 1, builder)?,
                            Some(false) => {
                                if let Some(other) = &dir.else_expr {
                                    self.elements(&other.template, indent, d + 1, builder)?;
                                }
                            }
                            None => {
                                let name = match &cond.v {
                                    V::Unknown(name) => name.clone(),
                                    _ => self.placeholder(&dir.if_expr.cond_expr),
                                };
                                builder.unknown(&name, cond.at);
                            }
                        }
                    }
                    Directive::For(dir) => {
                        let f = &dir.for_expr;
                        let collection = self.eval(&f.collection_expr, d)?;
                        let pairs: Vec<(Val, Val)> = match &collection.v {
                            V::List(items) => items
                                .iter()
                                .enumerate()
                                .map(|(i, v)| (Val::new(V::Num(i as f64), v.at), v.clone()))
                                .collect(),
                            V::Map(map) => map.iter().map(|(k, (a, v))| (Val::text(k, *a), v.clone())).collect(),
                            _ => {
                                let name = match &collection.v {
                                    V::Unknown(name) => name.clone(),
                                    _ => self.placeholder(&f.collection_expr),
                                };
                                builder.unknown(&name, collection.at);
                                continue;
                            }
                        };
                        self.check_elements(pairs.len(), collection.at)?;
                        for (key, value) in pairs {
                            let mut scope = BTreeMap::new();
                            if let Some(k) = &f.key_var {
                                scope.insert(k.as_str().to_owned(), key);
                            }
                            scope.insert(f.value_var.as_str().to_owned(), value);
                            self.scopes.push(scope);
                            let result = self.elements(&f.template, indent, d + 1, builder);
                            self.scopes.pop();
                            result?;
                            self.check_size(&builder.out, collection.at)?;
                        }
                    }
                },
            }
            self.check_size(&builder.out, self.at(template.span()))?;
        }
        Ok(())
    }

    /// Where each character of a literal (decoded, dedented by `indent`)
    /// is in the file: walks the raw source beside the decoded text.
    fn literal_positions(
        &self,
        decoded: &str,
        span: Option<std::ops::Range<usize>>,
        indent: Option<usize>,
    ) -> Vec<Location> {
        let Some(file) = self.current() else { return Vec::new() };
        let Some(span) = span else { return Vec::new() };
        let start = span.start;
        let raw = file.text.get(span.clone()).unwrap_or_default();
        let mut raw_chars = raw.char_indices().peekable();
        let mut at_line_start = file.text.get(..start).is_none_or(|b| b.is_empty() || b.ends_with('\n'));
        let mut each = Vec::with_capacity(decoded.len());
        let quoted = raw.starts_with('"');
        if quoted {
            raw_chars.next();
        }
        for c in decoded.chars() {
            if at_line_start {
                if let Some(n) = indent {
                    for _ in 0..n {
                        match raw_chars.peek() {
                            Some((_, w)) if *w == ' ' || *w == '\t' => {
                                raw_chars.next();
                            }
                            _ => break,
                        }
                    }
                }
                at_line_start = false;
            }
            // The raw text of `c`: itself, an escape, or `$${` / `%%{`.
            let offset = loop {
                match raw_chars.next() {
                    Some((i, r)) if r == c && !(quoted && r == '\\') => {
                        if (r == '$' || r == '%') && raw.get(i + 1..).is_some_and(|s| s.starts_with(r)) {
                            raw_chars.next();
                        }
                        break Some(i);
                    }
                    Some((i, '\\')) if quoted => {
                        match raw_chars.next() {
                            Some((_, 'u')) => (0..4).for_each(|_| _ = raw_chars.next()),
                            Some((_, 'U')) => (0..8).for_each(|_| _ = raw_chars.next()),
                            _ => {}
                        }
                        break Some(i);
                    }
                    Some(_) => continue,
                    None => break None,
                }
            };
            each.push(offset.map_or_else(|| file.location(start), |o| file.location(start + o)));
            if c == '\n' {
                at_line_start = true;
            }
        }
        each
    }

    /// The JSON document a `data "alicloud_ram_policy_document"` block
    /// computes.
    fn policy_document(&mut self, block: &Block, d: usize) -> Result<Val, SourceError> {
        let at = self.at(block.ident.span());
        let mut out = Txt::default();
        let version = match attribute(&block.body, "version") {
            Some(e) => self.eval(e, d)?,
            None => Val::text("1", at),
        };
        out.push("{\n  \"Version\": ", at);
        self.pretty(&version, &mut out, 2);
        out.push(",\n  \"Statement\": [", at);
        for (i, statement) in blocks(&block.body, "statement").enumerate() {
            let s_at = self.at(statement.ident.span());
            out.push(if i == 0 { "\n    {" } else { ",\n    {" }, s_at);
            let effect = match attribute(&statement.body, "effect") {
                Some(e) => self.eval(e, d)?,
                None => Val::text("Allow", s_at),
            };
            let mut fields: Vec<(&str, Val)> = vec![("Effect", effect)];
            for (name, key) in [("action", "Action"), ("resource", "Resource")] {
                if let Some(e) = attribute(&statement.body, name) {
                    let v = self.eval(e, d)?;
                    fields.push((key, collapse(v)));
                }
            }
            let mut principal = BTreeMap::new();
            for p in blocks(&statement.body, "principal") {
                let p_at = self.at(p.ident.span());
                let entity = match attribute(&p.body, "entity") {
                    Some(e) => self.eval(e, d)?,
                    None => Val::new(V::Null, p_at),
                };
                let ids = match attribute(&p.body, "identifiers") {
                    Some(e) => self.eval(e, d)?,
                    None => Val::new(V::List(Vec::new()), p_at),
                };
                let name = entity.as_text().map_or_else(|| "{{entity}}".to_owned(), |t| t.s);
                principal.insert(name, (entity.at, collapse(ids)));
            }
            if !principal.is_empty() {
                fields.push(("Principal", Val::new(V::Map(principal), s_at)));
            }
            let mut condition: BTreeMap<String, (Location, Val)> = BTreeMap::new();
            for c in blocks(&statement.body, "condition") {
                let c_at = self.at(c.ident.span());
                let text = |this: &mut Self, name: &str| -> Result<Val, SourceError> {
                    Ok(match attribute(&c.body, name) {
                        Some(e) => this.eval(e, d)?,
                        None => Val::new(V::Null, c_at),
                    })
                };
                let operator = text(self, "operator")?;
                let variable = text(self, "variable")?;
                let values = text(self, "values")?;
                let op = operator.as_text().map_or_else(|| "{{operator}}".to_owned(), |t| t.s);
                let var = variable.as_text().map_or_else(|| "{{variable}}".to_owned(), |t| t.s);
                let entry =
                    condition.entry(op).or_insert_with(|| (operator.at, Val::new(V::Map(BTreeMap::new()), c_at)));
                if let V::Map(inner) = &mut entry.1.v {
                    inner.insert(var, (variable.at, collapse(values)));
                }
            }
            if !condition.is_empty() {
                fields.push(("Condition", Val::new(V::Map(condition), s_at)));
            }
            for (j, (key, value)) in fields.iter().enumerate() {
                out.push(if j == 0 { "\n      \"" } else { ",\n      \"" }, value.at);
                out.push(key, value.at);
                out.push("\": ", value.at);
                self.pretty(value, &mut out, 6);
            }
            out.push("\n    }", s_at);
        }
        out.push("\n  ]\n}", at);
        Ok(Val::new(V::Str(out), at))
    }

    /// Indented JSON of a value, for an assembled document.
    fn pretty(&self, value: &Val, out: &mut Txt, indent: usize) {
        let pad = |n: usize| " ".repeat(n);
        match &value.v {
            V::List(items) if !items.is_empty() => {
                out.push("[", value.at);
                for (i, item) in items.iter().enumerate() {
                    out.push(if i == 0 { "\n" } else { ",\n" }, item.at);
                    out.push(&pad(indent + 2), item.at);
                    self.pretty(item, out, indent + 2);
                }
                out.push(&format!("\n{}]", pad(indent)), value.at);
            }
            V::Map(map) if !map.is_empty() => {
                out.push("{", value.at);
                for (i, (key, (key_at, item))) in map.iter().enumerate() {
                    out.push(if i == 0 { "\n" } else { ",\n" }, *key_at);
                    out.push(&pad(indent + 2), *key_at);
                    let mut encoder = Encoder { out: Txt::default() };
                    let mut k = Txt::default();
                    k.push(key, *key_at);
                    encoder.string(&k, *key_at);
                    out.append(&encoder.out);
                    out.push(": ", item.at);
                    self.pretty(item, out, indent + 2);
                }
                out.push(&format!("\n{}}}", pad(indent)), value.at);
            }
            _ => {
                let mut encoder = Encoder { out: Txt::default() };
                encoder.value(value);
                out.append(&encoder.out);
            }
        }
    }

    /// A function's value; `None` when it is not known (an unknown
    /// argument, a function not evaluated here, arguments it rejects).
    fn function(&mut self, name: &str, args: Vec<Val>, at: Location) -> Result<Option<Val>, SourceError> {
        let text = |v: &Val| v.as_text();
        if name != "jsonencode" && args.iter().any(|a| matches!(a.v, V::Unknown(_))) {
            return Ok(None);
        }
        let string = |t: Txt| Some(Val::new(V::Str(t), at));
        let plain = |s: String| Some(Val::text(&s, at));
        let value = match (name, args.as_slice()) {
            ("jsonencode", [value]) => {
                if matches!(value.v, V::Unknown(_)) {
                    return Ok(None);
                }
                let mut encoder = Encoder { out: Txt::default() };
                encoder.value(value);
                self.check_size(&encoder.out, at)?;
                string(encoder.out)
            }
            ("jsondecode", [value]) => {
                let Some(t) = text(value) else { return Ok(None) };
                match serde_json::from_str::<serde_json::Value>(&t.s) {
                    Ok(json) => Some(from_json(&json, at)),
                    Err(_) => None,
                }
            }
            ("format", [spec, rest @ ..]) => {
                let Some(spec) = text(spec) else { return Ok(None) };
                format_string(&spec, rest, at).map(|t| Val::new(V::Str(t), at))
            }
            ("join", [sep, lists @ ..]) => {
                let Some(sep) = text(sep) else { return Ok(None) };
                let mut out = Txt::default();
                let mut first = true;
                for list in lists {
                    let Some(items) = list.elements() else { return Ok(None) };
                    for item in items {
                        let Some(t) = text(&item) else { return Ok(None) };
                        if !first {
                            out.append(&sep);
                        }
                        first = false;
                        out.append(&t);
                        self.check_size(&out, at)?;
                    }
                }
                string(out)
            }
            ("concat", lists) => {
                let mut out = Vec::new();
                for list in lists {
                    let Some(items) = list.elements() else { return Ok(None) };
                    out.extend(items);
                    self.check_elements(out.len(), at)?;
                }
                Some(Val::new(V::List(out), at))
            }
            ("split", [sep, s]) => {
                let (Some(sep), Some(s)) = (text(sep), text(s)) else { return Ok(None) };
                if sep.s.is_empty() {
                    return Ok(None);
                }
                let parts: Vec<Val> = s.s.split(sep.s.as_str()).map(|p| Val::text(p, at)).collect();
                self.check_elements(parts.len(), at)?;
                Some(Val::new(V::List(parts), at))
            }
            ("lower", [s]) => text(s).and_then(|t| plain(t.s.to_lowercase())),
            ("upper", [s]) => text(s).and_then(|t| plain(t.s.to_uppercase())),
            ("trimspace", [s]) => text(s).and_then(|t| plain(t.s.trim().to_owned())),
            ("replace", [s, from, to]) => {
                let (Some(s), Some(from), Some(to)) = (text(s), text(from), text(to)) else { return Ok(None) };
                if from.s.is_empty() || (from.s.starts_with('/') && from.s.ends_with('/') && from.s.len() > 1) {
                    return Ok(None);
                }
                let replaced = s.s.replace(&from.s, &to.s);
                if replaced.len() > MAX_RESOLVED_BYTES {
                    return Err(self.error(at, format!("a string longer than {MAX_RESOLVED_BYTES} bytes")));
                }
                plain(replaced)
            }
            ("tostring", [s]) => match &s.v {
                V::Null => Some(s.clone()),
                _ => text(s).and_then(string),
            },
            ("tolist", [l]) => l.elements().map(|items| Val::new(V::List(items), at)),
            ("toset", [l]) => l.elements().map(|items| Val::new(V::List(distinct(items)), at)),
            ("distinct", [l]) => l.elements().map(|items| Val::new(V::List(distinct(items)), at)),
            ("length", [v]) => match &v.v {
                V::Str(t) => Some(Val::new(V::Num(t.s.chars().count() as f64), at)),
                V::List(items) => Some(Val::new(V::Num(items.len() as f64), at)),
                V::Map(map) => Some(Val::new(V::Num(map.len() as f64), at)),
                _ => None,
            },
            ("lookup", [map, key, default @ ..]) if default.len() <= 1 => {
                let (V::Map(map), Some(key)) = (&map.v, text(key)) else { return Ok(None) };
                map.get(&key.s).map(|(_, v)| v.clone()).or_else(|| default.first().cloned())
            }
            ("element", [list, index]) => {
                let (Some(items), V::Num(i)) = (list.elements(), &index.v) else { return Ok(None) };
                if items.is_empty() || *i < 0.0 {
                    return Ok(None);
                }
                items.get((*i as usize) % items.len()).cloned()
            }
            ("coalesce", values) => values
                .iter()
                .find(|v| !matches!(&v.v, V::Null) && !matches!(&v.v, V::Str(t) if t.s.is_empty()))
                .cloned(),
            ("compact", [l]) => l.elements().map(|items| {
                let kept = items
                    .into_iter()
                    .filter(|v| !matches!(&v.v, V::Null) && !matches!(&v.v, V::Str(t) if t.s.is_empty()))
                    .collect();
                Val::new(V::List(kept), at)
            }),
            ("flatten", [l]) => {
                let mut out = Vec::new();
                if !flatten(l, &mut out, 0) {
                    return Ok(None);
                }
                self.check_elements(out.len(), at)?;
                Some(Val::new(V::List(out), at))
            }
            ("merge", maps) => {
                let mut out = BTreeMap::new();
                for map in maps {
                    match &map.v {
                        V::Map(m) => out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
                        V::Null => {}
                        _ => return Ok(None),
                    }
                }
                Some(Val::new(V::Map(out), at))
            }
            _ => None,
        };
        Ok(value)
    }
}

/// A list of one element as that element (the provider writes
/// `Action: "x"` for one action).
fn collapse(value: Val) -> Val {
    match &value.v {
        V::List(items) if items.len() == 1 => items.first().cloned().unwrap_or(value),
        _ => value,
    }
}

fn distinct(items: Vec<Val>) -> Vec<Val> {
    let mut out: Vec<Val> = Vec::new();
    for item in items {
        if !out.iter().any(|o| equal(o, &item) == Some(true)) {
            out.push(item);
        }
    }
    out
}

fn flatten(value: &Val, out: &mut Vec<Val>, depth: usize) -> bool {
    if depth > MAX_TEMPLATE_DEPTH {
        return false;
    }
    match &value.v {
        V::List(items) => items.iter().all(|i| match &i.v {
            V::List(_) => flatten(i, out, depth + 1),
            _ => {
                out.push(i.clone());
                true
            }
        }),
        _ => false,
    }
}

fn format_string(spec: &Txt, args: &[Val], at: Location) -> Option<Txt> {
    let mut out = Txt::default();
    let mut args = args.iter();
    let mut chars = spec.s.chars().zip(spec.each.iter().copied().chain(std::iter::repeat(at)));
    while let Some((c, here)) = chars.next() {
        if c != '%' {
            out.push(&c.to_string(), here);
            continue;
        }
        match chars.next() {
            Some(('%', _)) => out.push("%", here),
            Some(('s' | 'v', _)) => out.append(&args.next()?.as_text()?),
            Some(('d', _)) => match &args.next()?.v {
                V::Num(n) if n.fract() == 0.0 => out.push(&number(*n), here),
                _ => return None,
            },
            _ => return None,
        }
    }
    if args.next().is_some() {
        return None;
    }
    Some(out)
}

fn truth(value: &Val) -> Option<bool> {
    match &value.v {
        V::Bool(b) => Some(*b),
        V::Str(t) if t.s == "true" => Some(true),
        V::Str(t) if t.s == "false" => Some(false),
        _ => None,
    }
}

fn lookup_index(value: &Val, index: &Val) -> Option<Val> {
    match (&value.v, &index.v) {
        (V::List(items), V::Num(n)) if *n >= 0.0 && n.fract() == 0.0 => items.get(*n as usize).cloned(),
        (V::Map(map), _) => map.get(&index.as_text()?.s).map(|(_, v)| v.clone()),
        _ => None,
    }
}

fn binary(op: BinaryOperator, lhs: &Val, rhs: &Val) -> Option<V> {
    use BinaryOperator as B;
    let num = |v: &Val| match &v.v {
        V::Num(n) => Some(*n),
        V::Str(t) => t.s.parse::<f64>().ok(),
        _ => None,
    };
    Some(match op {
        B::Eq => V::Bool(equal(lhs, rhs)?),
        B::NotEq => V::Bool(!equal(lhs, rhs)?),
        B::And => V::Bool(truth(lhs)? && truth(rhs)?),
        B::Or => V::Bool(truth(lhs)? || truth(rhs)?),
        B::Less => V::Bool(num(lhs)? < num(rhs)?),
        B::LessEq => V::Bool(num(lhs)? <= num(rhs)?),
        B::Greater => V::Bool(num(lhs)? > num(rhs)?),
        B::GreaterEq => V::Bool(num(lhs)? >= num(rhs)?),
        B::Plus => V::Num(num(lhs)? + num(rhs)?),
        B::Minus => V::Num(num(lhs)? - num(rhs)?),
        B::Mul => V::Num(num(lhs)? * num(rhs)?),
        B::Div => V::Num(num(lhs)? / num(rhs)?),
        B::Mod => V::Num(num(lhs)? % num(rhs)?),
    })
}

/// The placeholders in `text` (JSON text or not), each once, in order,
/// their JSON escapes of `"` and `\` undone.
fn placeholders(text: &str, out: &mut Vec<String>) {
    for inside in super::placeholders(text) {
        // The document is JSON text: a placeholder's quotes are escaped in it.
        let inside = inside.replace("\\\"", "\"").replace("\\\\", "\\");
        if !out.contains(&inside) {
            out.push(inside);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    fn read(text: &str) -> Result<Vec<Found>, SourceError> {
        let dir = std::env::temp_dir().join(format!("ramguard-tf-unit-{}-{}", std::process::id(), text.len()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("main.tf"), text).unwrap();
        let found = read_terraform_module(&dir, &TerraformOptions::default());
        std::fs::remove_dir_all(&dir).unwrap();
        found
    }

    #[test]
    fn jsonencode_sorts_keys_and_escapes_html() {
        let found = read(
            "resource \"alicloud_ram_policy\" \"p\" {\n  policy_document = jsonencode({ b = 1, a = \"<&>\", c = [true, null] })\n}\n",
        )
        .unwrap();
        assert_eq!(found[0].document.as_deref(), Some(r#"{"a":"\u003c\u0026\u003e","b":1,"c":[true,null]}"#));
        assert!(found[0].unresolved.is_empty());
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            "resource",
            "resource \"alicloud_ram_policy\" \"p\" { policy_document = <<EOF\n",
            "resource \"alicloud_ram_policy\" \"p\" { policy_document = \"${\" }",
            "resource \"alicloud_ram_policy\" \"p\" { policy_document = format(\"%\", 1) }",
            "resource \"alicloud_ram_policy\" \"p\" { policy_document = element([], 0) }",
            "resource \"alicloud_ram_policy\" \"p\" { policy_document = \"\\u{zz}\" }",
            "resource \"alicloud_ram_policy\" \"p\" { count = -1 policy_document = \"x\" }",
            "resource \"alicloud_ram_policy\" \"p\" {\n count = \"a\"\n policy_document = 1 / 0\n}",
            "locals { a = local.b\n b = local.a }\nresource \"alicloud_ram_policy\" \"p\" { policy_document = local.a }",
            "\u{feff}\u{0}",
        ] {
            let _ = read(text);
        }
    }

    #[test]
    fn placeholders_are_cut_at_two_hundred_characters() {
        let long = format!("var.{}", "x".repeat(300));
        let found =
            read(&format!("resource \"alicloud_ram_policy\" \"p\" {{\n  policy_document = \"a${{{long}}}\"\n}}\n"))
                .unwrap();
        let entry = &found[0].unresolved[0];
        assert_eq!(entry.chars().count(), 200);
        assert!(entry.ends_with('…'));
    }

    // Written for ramguard's tests.
    #[test]
    fn an_unknown_outside_a_json_string_is_quoted() {
        let found = read("resource \"alicloud_ram_policy\" \"p\" {\n  policy_document = <<EOF\n{\"Resource\": ${var.r}, \"A\": \"x${var.r}\"}\nEOF\n}\n")
            .unwrap();
        assert_eq!(found[0].document.as_deref(), Some("{\"Resource\": \"{{var.r}}\", \"A\": \"x{{var.r}}\"}\n"));
        assert_eq!(found[0].unresolved, ["var.r"]);
    }

    #[test]
    fn a_local_cycle_is_a_placeholder() {
        let found =
            read("locals {\n  a = local.b\n  b = local.a\n}\nresource \"alicloud_ram_policy\" \"p\" {\n  policy_document = \"x${local.a}\"\n}\n")
                .unwrap();
        assert_eq!(found[0].document.as_deref(), Some("x{{local.a}}"));
    }

    #[test]
    fn a_huge_count_and_bad_syntax_are_errors() {
        let count = read("resource \"alicloud_ram_policy\" \"p\" {\n  count = 100000\n  policy_document = \"x\"\n}\n");
        assert!(matches!(count, Err(SourceError::Template { at: Location { line: 1, column: 1 }, .. })), "{count:?}");
        let syntax = read("resource \"alicloud_ram_policy\" \"p\" {\n  policy_document = \n}\n");
        assert!(matches!(syntax, Err(SourceError::Hcl { .. })), "{syntax:?}");
    }

    #[test]
    fn an_error_inside_jsonencode_points_at_its_key() {
        let text = "resource \"alicloud_ram_policy\" \"p\" {\n  policy_document = jsonencode({\n    Version = \"1\"\n    Statement = [{\n      Efect = \"Allow\"\n    }]\n  })\n}\n";
        let found = read(text).unwrap();
        let document = found[0].document.as_deref().unwrap();
        let at = document.find("Efect").unwrap() + 1;
        assert_eq!(found[0].locate(Location { line: 1, column: at }), Location { line: 5, column: 7 });
    }
}
