//! Policy test suites: named policies and the decisions expected of them.
//!
//! ```json
//! {"policies": {"ops": "ops.json", "deny-outside": {"Version": "1", "Statement": [...]}},
//!  "cases": [{"name": "ops may delete", "identity": ["ops"],
//!             "action": "vpc:DeleteVpnConnection",
//!             "resource": "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-1",
//!             "context": {"acs:SourceIp": "10.0.0.1"}, "expect": "Allow"}]}
//! ```
//!
//! A policy is given inline or as a path relative to the suite file. Each
//! case names the policies it uses by role (`identity`, `session`, `control`,
//! `resource_policy`); a policy is read with the rules of the role it is used
//! in. `principal` defaults to a RAM user of account `1234567890123456`, and
//! `acs:PrincipalARN` is filled from the principal unless the context sets it.
//! A context value is a string, a number or a boolean (read as written) or a
//! list of them; one key written twice, in any spellings, is an error, and
//! so is one policy name defined twice in `policies`.
//!
//! ```
//! use std::path::Path;
//!
//! use ramguard::suite::Suite;
//! use ramguard::Limits;
//!
//! let suite = Suite::from_json(Path::new("ops.suite.json"), r#"{
//!   "policies": {"ops": {"Version": "1", "Statement": [{"Effect": "Allow",
//!                 "Action": "vpc:DeleteVpnConnection", "Resource": "*"}]}},
//!   "cases": [
//!     {"name": "ops may delete", "identity": ["ops"], "action": "vpc:DeleteVpnConnection",
//!      "resource": "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-1", "expect": "Allow"},
//!     {"name": "ops may not delete servers", "identity": ["ops"], "action": "vpc:DeleteIpsecServer",
//!      "resource": "acs:vpc:cn-hangzhou:1234567890123456:vpnipsecserver/iss-1", "expect": "Allow"}
//!   ]}"#, &Limits::default())?;
//! let report = suite.run();
//! assert_eq!((report.passed, report.failed), (1, 1));
//! assert_eq!(report.cases[1].actual.name(), "ImplicitDeny");
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::engine::compile::CompiledPolicySet;
use crate::engine::decision::{Explanation, Outcome};
use crate::engine::eval::PolicySet;
use crate::engine::request::{Principal, Request};
use crate::language::condition::Context;
use crate::language::error::{JsonPath, Location, ParseErrors};
use crate::language::files::{LIFTED_READ_CAP, READ_CAP};
use crate::language::json::Value;
use crate::language::policy::{Limits, Policy, PolicyKind};

/// The principal a case uses when it names none.
pub const DEFAULT_PRINCIPAL: &str = "acs:ram::1234567890123456:user/test-user";

/// What a case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expectation {
    /// The request is allowed.
    Allow,
    /// A Deny statement applies.
    ExplicitDeny,
    /// Nothing allows the request.
    ImplicitDeny,
    /// Either kind of denial.
    Deny,
}

impl Expectation {
    /// Whether `outcome` meets the expectation.
    pub fn is_met_by(self, outcome: Outcome) -> bool {
        match self {
            Expectation::Allow => outcome == Outcome::Allow,
            Expectation::ExplicitDeny => outcome == Outcome::ExplicitDeny,
            Expectation::ImplicitDeny => outcome == Outcome::ImplicitDeny,
            Expectation::Deny => outcome != Outcome::Allow,
        }
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expectation::Allow => "Allow",
            Expectation::ExplicitDeny => "ExplicitDeny",
            Expectation::ImplicitDeny => "ImplicitDeny",
            Expectation::Deny => "Deny",
        })
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase<'a> {
    name: String,
    principal: Option<String>,
    #[serde(default)]
    identity: Vec<String>,
    session: Option<String>,
    #[serde(default)]
    control: Vec<String>,
    resource_policy: Option<String>,
    action: String,
    resource: OneOrMany,
    /// Read by [`read_context`], which keeps numbers as written and knows
    /// where each key is.
    #[serde(borrow, default)]
    context: Option<&'a RawValue>,
    expect: Expectation,
}

/// A suite's `policies`, every member as written: a map would keep only the
/// last of two members with one name, and the suite would test a policy its
/// author did not mean.
#[derive(Default)]
struct RawPolicies<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for RawPolicies<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Members<'a> {
            type Value = RawPolicies<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of policy names and policies")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'a RawValue>()? {
                    members.push(entry);
                }
                Ok(RawPolicies(members))
            }
        }
        deserializer.deserialize_map(Members(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite<'a> {
    #[serde(borrow, default)]
    policies: RawPolicies<'a>,
    #[serde(borrow)]
    cases: Vec<RawCase<'a>>,
}

/// Why a suite could not be run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SuiteError {
    /// A file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: crate::language::files::ReadError,
    },
    /// The suite file is not a valid suite.
    #[error("{}:{location}: invalid suite: {message}", path.display())]
    Format {
        /// The suite file.
        path: PathBuf,
        /// Where.
        location: Location,
        /// What is wrong.
        message: String,
    },
    /// A policy the suite uses is not a valid policy of the kind it is used as.
    #[error("{}", render_policy_errors(file, name, *kind, errors))]
    Policy {
        /// The file the policy text is in.
        file: PathBuf,
        /// The policy's name in the suite.
        name: String,
        /// The kind it was read as.
        kind: PolicyKind,
        /// The problems, located in `file`.
        errors: ParseErrors,
    },
    /// A case names a policy the suite does not define.
    #[error("{}: case `{case}`: no policy named `{name}` in `policies`", path.display())]
    UnknownPolicy {
        /// The suite file.
        path: PathBuf,
        /// The case.
        case: String,
        /// The missing name.
        name: String,
    },
    /// A case's policies could not be compiled.
    #[error("{}: case `{case}`: {message}", path.display())]
    Compile {
        /// The suite file.
        path: PathBuf,
        /// The case.
        case: String,
        /// What went wrong.
        message: String,
    },
    /// A case's context is not an object of condition keys and values, or
    /// names one key twice (in spellings that differ only in letter case, or
    /// through an alias such as `InstanceType`).
    #[error("{}:{location}: case `{case}`: {message}", path.display())]
    Context {
        /// The suite file.
        path: PathBuf,
        /// The case.
        case: String,
        /// Where in the suite file.
        location: Location,
        /// What is wrong.
        message: String,
    },
    /// A case's principal is not a principal.
    #[error("{}: case `{case}`: {message}", path.display())]
    BadPrincipal {
        /// The suite file.
        path: PathBuf,
        /// The case.
        case: String,
        /// What is wrong.
        message: String,
    },
}

fn render_policy_errors(file: &Path, name: &str, kind: PolicyKind, errors: &ParseErrors) -> String {
    errors
        .errors()
        .iter()
        .map(|e| format!("{}:{e} [policy `{name}` read as {kind}]", file.display()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One case's result.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// What it expected.
    pub expected: Expectation,
    /// What the policies decided.
    pub actual: Outcome,
    /// Whether the two agree.
    pub passed: bool,
    /// Why the policies decided so.
    #[serde(skip)]
    pub explanation: Explanation,
}

/// A suite's results.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteReport {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Every case, in file order.
    pub cases: Vec<CaseResult>,
}

enum Source {
    Inline { start: Location, text: String },
    File { path: PathBuf, text: String },
}

/// A loaded suite, ready to run.
#[derive(Debug)]
pub struct Suite {
    path: PathBuf,
    cases: Vec<Case>,
}

#[derive(Debug)]
struct Case {
    name: String,
    set: CompiledPolicySet,
    request: Request,
    expect: Expectation,
}

/// A case's `context`: an object from condition keys to a string, a number
/// or a boolean, or a list of them (nested lists are flattened). Numbers keep
/// their text. Two spellings of one key are an error, as in a policy. Errors
/// carry their place in `text` and a message that names `at`, the context's
/// path in the suite.
fn read_context(text: &str, at: &JsonPath) -> Result<Context, (Location, String)> {
    fn scalars(value: &Value, out: &mut Vec<String>) -> bool {
        match value {
            Value::String(s) | Value::Number(s) => out.push(s.clone()),
            Value::Bool(b) => out.push(b.to_string()),
            Value::Array(items) => return items.iter().all(|item| scalars(item, out)),
            Value::Null | Value::Object(_) => return false,
        }
        true
    }
    let value = crate::language::json::parse(text).map_err(|e| {
        let (location, message) = crate::language::json::serde_error(text, &e);
        (location, format!("{message} (at {at})"))
    })?;
    let Value::Object(members) = value else {
        let message = format!("expected an object of condition keys, found {} (at {at})", value.type_name());
        return Err((Location { line: 1, column: 1 }, message));
    };
    let mut context = Context::new();
    let mut spellings: Vec<(String, &str)> = Vec::with_capacity(members.len());
    for (key, value) in &members {
        let here = JsonPath::root().key(key);
        let canonical = crate::language::condition::canonical_key(key);
        if let Some((_, first)) = spellings.iter().find(|(c, _)| *c == canonical) {
            let message = format!(
                "`{key}` and `{first}` are one condition key (at {}): give all its values under one spelling",
                at.key(key)
            );
            return Err((crate::language::json::locate_name(text, &here), message));
        }
        spellings.push((canonical, key));
        let mut values = Vec::new();
        if !scalars(value, &mut values) {
            let message = format!("expected a string, a number, a boolean or a list of them (at {})", at.key(key));
            return Err((crate::language::json::locate(text, &here), message));
        }
        context.set(key, values);
    }
    Ok(context)
}

/// Position of a line/column found inside `inner`, where `inner` starts at `start`.
fn shift(start: Location, inner: Location) -> Location {
    if inner.line == 1 {
        Location { line: start.line, column: start.column + inner.column - 1 }
    } else {
        Location { line: start.line + inner.line - 1, column: inner.column }
    }
}

impl Suite {
    /// Reads a suite file and every policy it uses, with RAM's default size limits.
    pub fn load(path: &Path) -> Result<Suite, SuiteError> {
        Self::load_with_limits(path, &Limits::default())
    }

    /// Reads a suite file with the given size limits for its policies.
    pub fn load_with_limits(path: &Path, limits: &Limits) -> Result<Suite, SuiteError> {
        // A suite may be far larger than any one policy: only the lifted cap applies to it.
        let text = crate::language::files::read_regular(path, LIFTED_READ_CAP)
            .map_err(|source| SuiteError::Io { path: path.to_owned(), source })?;
        Self::from_json(path, &text, limits)
    }

    /// Reads a suite from its text; `path` names it in errors and is where
    /// the policy files it names are looked up from (relative to its folder).
    pub fn from_json(path: &Path, text: &str, limits: &Limits) -> Result<Suite, SuiteError> {
        let text = crate::language::policy::without_bom(text);
        let format_error = |e: serde_json::Error| {
            let (location, message) = crate::language::json::serde_error(text, &e);
            SuiteError::Format { path: path.to_owned(), location, message }
        };
        let raw: RawSuite<'_> = serde_json::from_str(text).map_err(format_error)?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        let start_of = |value: &RawValue| {
            let offset = (value.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
            crate::language::json::location_of(text, offset)
        };
        let mut sources = HashMap::new();
        let mut first_at: HashMap<&str, &RawValue> = HashMap::new();
        for (name, value) in &raw.policies.0 {
            if let Some(first) = first_at.insert(name.as_str(), value) {
                return Err(SuiteError::Format {
                    path: path.to_owned(),
                    location: start_of(value),
                    message: format!(
                        "policy `{name}` is defined twice in `policies` (first at {}): give each policy its own name",
                        start_of(first)
                    ),
                });
            }
            let inner = value.get();
            let source = match serde_json::from_str::<String>(inner) {
                Ok(relative) => {
                    let file = base.join(relative);
                    let cap = if *limits == Limits::unlimited() { LIFTED_READ_CAP } else { READ_CAP };
                    let text = crate::language::files::read_regular(&file, cap)
                        .map_err(|source| SuiteError::Io { path: file.clone(), source })?;
                    Source::File { path: file, text }
                }
                Err(_) => Source::Inline { start: start_of(value), text: inner.to_owned() },
            };
            sources.insert(name.clone(), source);
        }
        let mut parsed: HashMap<(String, PolicyKind), Policy> = HashMap::new();
        let mut get = |case: &str, name: &str, kind: PolicyKind| -> Result<Policy, SuiteError> {
            if let Some(p) = parsed.get(&(name.to_owned(), kind)) {
                return Ok(p.clone());
            }
            let source = sources.get(name).ok_or_else(|| SuiteError::UnknownPolicy {
                path: path.to_owned(),
                case: case.to_owned(),
                name: name.to_owned(),
            })?;
            let (text, file, start) = match source {
                Source::Inline { start, text } => (text, path.to_owned(), Some(start)),
                Source::File { path, text } => (text, path.clone(), None),
            };
            let policy = Policy::parse_with_limits(name, text, kind, limits).map_err(|errors| {
                let errors = match start {
                    Some(start) => errors.relocated(|l| shift(*start, l)),
                    None => errors,
                };
                SuiteError::Policy { file, name: name.to_owned(), kind, errors }
            })?;
            parsed.insert((name.to_owned(), kind), policy.clone());
            Ok(policy)
        };
        let mut cases = Vec::with_capacity(raw.cases.len());
        for (index, c) in raw.cases.into_iter().enumerate() {
            let context = match c.context {
                Some(raw) => {
                    let start = start_of(raw);
                    let at = JsonPath::root().key("cases").index(index).key("context");
                    read_context(raw.get(), &at).map_err(|(inner, message)| SuiteError::Context {
                        path: path.to_owned(),
                        case: c.name.clone(),
                        location: shift(start, inner),
                        message,
                    })?
                }
                None => Context::new(),
            };
            let mut set = PolicySet::new();
            for name in &c.identity {
                set.add(get(&c.name, name, PolicyKind::Identity)?);
            }
            if let Some(name) = &c.session {
                set.add(get(&c.name, name, PolicyKind::Session)?);
            }
            for name in &c.control {
                set.add(get(&c.name, name, PolicyKind::Control)?);
            }
            if let Some(name) = &c.resource_policy {
                set.add(get(&c.name, name, PolicyKind::Resource)?);
            }
            let principal: Principal = c.principal.as_deref().unwrap_or(DEFAULT_PRINCIPAL).parse().map_err(
                |e: crate::engine::request::PrincipalError| SuiteError::BadPrincipal {
                    path: path.to_owned(),
                    case: c.name.clone(),
                    message: e.to_string(),
                },
            )?;
            let resources = c.resource.into_vec();
            let request = Request::new(principal, &c.action, resources.first().map_or("", String::as_str))
                .with_resources(resources)
                .with_context(context);
            let set = CompiledPolicySet::compile(set).map_err(|e| SuiteError::Compile {
                path: path.to_owned(),
                case: c.name.clone(),
                message: e.to_string(),
            })?;
            cases.push(Case { name: c.name, set, request, expect: c.expect });
        }
        Ok(Suite { path: path.to_owned(), cases })
    }

    /// The suite file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many cases the suite has.
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// Whether the suite has no cases.
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    /// Runs every case.
    pub fn run(&self) -> SuiteReport {
        let cases: Vec<CaseResult> = self
            .cases
            .iter()
            .map(|c| {
                let actual = c.set.authorize(&c.request).outcome;
                let explanation = c.set.explain(&c.request);
                CaseResult {
                    name: c.name.clone(),
                    expected: c.expect,
                    actual,
                    passed: c.expect.is_met_by(actual),
                    explanation,
                }
            })
            .collect();
        let passed = cases.iter().filter(|c| c.passed).count();
        SuiteReport { passed, failed: cases.len() - passed, cases }
    }
}
