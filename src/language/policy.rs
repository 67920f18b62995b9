//! Policy documents: reading RAM JSON into a validated model.
//!
//! Reading happens in two stages. `serde_json` turns the text into an
//! order-preserving [`Value`](crate::language::json::Value) (syntax errors carry their
//! line and column; duplicate member names are rejected). Lowering then checks
//! every rule of the RAM language on that value and builds [`Policy`], in
//! which an invalid state cannot be represented. Every problem is collected,
//! not just the first, and each is located by JSON path, line and column.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::language::condition::{Condition, Operator, SetQualifier};
use crate::language::error::{ParseError, ParseErrorKind, ParseErrors, ParseWarning};
use crate::language::fuzzy::suggest;
use crate::language::json::{self, JsonPath, Location, Value};
use crate::language::pattern::{Case, Pattern};

/// The kinds of policy that RAM evaluates, each with its own rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyKind {
    /// A policy attached to a user, group or role (custom or system).
    Identity,
    /// The `Policy` passed to STS `AssumeRole`: it can only narrow.
    Session,
    /// A Resource Directory control policy: it can only narrow.
    Control,
    /// A resource-based policy with `Principal`: a role's trust policy, a
    /// bucket or key policy.
    Resource,
}

impl PolicyKind {
    /// The kind's name, as used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity",
            PolicyKind::Session => "session",
            PolicyKind::Control => "control",
            PolicyKind::Resource => "resource",
        }
    }

    fn requires_resource(self) -> bool {
        self != PolicyKind::Resource
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Document size limits, in characters (whitespace counts), per policy kind.
///
/// The defaults are RAM's: 6,144 for a custom identity policy, 2,048 for a
/// session policy, 4,096 for a control policy. Resource policies have no
/// default limit. Offline audits of foreign documents can lift any limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Identity policies.
    pub identity: Option<usize>,
    /// Session policies.
    pub session: Option<usize>,
    /// Control policies.
    pub control: Option<usize>,
    /// Resource-based policies.
    pub resource: Option<usize>,
}

impl Default for Limits {
    fn default() -> Self {
        Self { identity: Some(6_144), session: Some(2_048), control: Some(4_096), resource: None }
    }
}

impl Limits {
    /// No size limit for any kind.
    pub fn unlimited() -> Self {
        Self { identity: None, session: None, control: None, resource: None }
    }

    /// The limit for one kind.
    pub fn for_kind(&self, kind: PolicyKind) -> Option<usize> {
        match kind {
            PolicyKind::Identity => self.identity,
            PolicyKind::Session => self.session,
            PolicyKind::Control => self.control,
            PolicyKind::Resource => self.resource,
        }
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Effect {
    /// The statement grants.
    Allow,
    /// The statement forbids, overriding any grant.
    Deny,
}

/// A statement's action element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionSpec {
    /// `Action`: the statement covers the actions that match any pattern.
    Action(Vec<Pattern>),
    /// `NotAction`: the statement covers the actions that match no pattern.
    NotAction(Vec<Pattern>),
}

impl ActionSpec {
    /// Whether the statement covers `action` (case-insensitive).
    pub fn matches(&self, action: &str) -> bool {
        match self {
            ActionSpec::Action(ps) => ps.iter().any(|p| p.matches(action)),
            ActionSpec::NotAction(ps) => !ps.iter().any(|p| p.matches(action)),
        }
    }

    /// The patterns, whichever element holds them.
    pub fn patterns(&self) -> &[Pattern] {
        match self {
            ActionSpec::Action(ps) | ActionSpec::NotAction(ps) => ps,
        }
    }
}

/// A resource-based policy's `Principal`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalSpec {
    /// `RAM`: account roots, users and roles (`acs:ram::<uid>:root`).
    pub ram: Vec<String>,
    /// `Service`: cloud services (`ecs.aliyuncs.com`).
    pub service: Vec<String>,
    /// `Federated`: SAML and OIDC providers.
    pub federated: Vec<String>,
    /// A plain list of account ids or `*` (OSS bucket policies).
    pub accounts: Vec<String>,
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    index: usize,
    sid: Option<String>,
    effect: Effect,
    actions: ActionSpec,
    resources: Option<Vec<Pattern>>,
    principal: Option<PrincipalSpec>,
    conditions: Vec<Condition>,
}

impl Statement {
    /// The statement's position in `Statement` (0-based).
    pub fn index(&self) -> usize {
        self.index
    }
    /// The `Sid`, when present.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }
    /// `Allow` or `Deny`.
    pub fn effect(&self) -> Effect {
        self.effect
    }
    /// `Action` or `NotAction`.
    pub fn actions(&self) -> &ActionSpec {
        &self.actions
    }
    /// The `Resource` patterns; `None` in a trust policy statement without one.
    pub fn resources(&self) -> Option<&[Pattern]> {
        self.resources.as_deref()
    }
    /// The `Principal`, in resource-based policies.
    pub fn principal(&self) -> Option<&PrincipalSpec> {
        self.principal.as_ref()
    }
    /// The conditions, all of which must hold.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Whether the statement covers `resource`. A statement without
    /// `Resource` (a trust policy's) covers every resource.
    pub fn matches_resource(&self, resource: &str) -> bool {
        self.resources.as_ref().is_none_or(|ps| ps.iter().any(|p| p.matches(resource)))
    }
}

/// A validated RAM policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    name: String,
    kind: PolicyKind,
    /// Shared between copies: a policy attached to many principals, or
    /// compiled into many sets, is held once.
    statements: Arc<[Statement]>,
    warnings: Vec<ParseWarning>,
}

impl Policy {
    /// Reads a policy of the given kind with RAM's default size limits.
    ///
    /// `name` identifies the policy in decisions and explanations.
    pub fn parse(name: &str, text: &str, kind: PolicyKind) -> Result<Policy, ParseErrors> {
        Self::parse_with_limits(name, text, kind, &Limits::default())
    }

    /// Reads a policy whose kind follows from its content: a document with a
    /// `Principal` in any statement is a resource policy, any other an
    /// identity policy.
    ///
    /// The kind is found by [`detect_kind`]'s linear pass, which builds
    /// nothing; that kind's size limit is then checked before the document
    /// is parsed, so an oversized identity policy is refused at the cost of
    /// reading it once.
    pub fn parse_auto(name: &str, text: &str, limits: &Limits) -> Result<Policy, ParseErrors> {
        let kind = detect_kind(text);
        Self::parse_with_limits(name, text, kind, limits)
    }

    /// Reads a policy of the given kind with the given size limits.
    ///
    /// A UTF-8 byte order mark at the very start is skipped: it is not part
    /// of the document, counts toward no limit, and lines and columns count
    /// from the character after it. Anywhere else it is an error.
    pub fn parse_with_limits(name: &str, text: &str, kind: PolicyKind, limits: &Limits) -> Result<Policy, ParseErrors> {
        let text = without_bom(text);
        if let Some(limit) = limits.for_kind(kind) {
            let length = text.chars().count();
            if length > limit {
                return Err(ParseErrors::new(vec![ParseError::new(
                    ParseErrorKind::TooLong { length, limit, kind: kind.name() },
                    JsonPath::root(),
                    Location { line: 1, column: 1 },
                    Some("shorten the document, or lift the limit for offline audits".to_owned()),
                )]));
            }
        }
        let value = json::parse(text).map_err(|e| ParseErrors::new(vec![syntax_error(text, &e)]))?;
        let mut lowering = Lowering { kind, problems: Vec::new(), warnings: Vec::new() };
        let statements = lowering.document(&value);
        if !lowering.problems.is_empty() {
            let locations = json::locate_all(text, lowering.problems.iter().map(|p| (&p.path, p.at_name)));
            let errors = lowering
                .problems
                .into_iter()
                .zip(locations)
                .map(|(p, location)| ParseError::new(p.kind, p.path, location, p.help))
                .collect();
            return Err(ParseErrors::new(errors));
        }
        let locations = json::locate_all(text, lowering.warnings.iter().map(|(_, path)| (path, false)));
        let warnings = lowering
            .warnings
            .into_iter()
            .zip(locations)
            .map(|((message, path), location)| ParseWarning { location, message, path })
            .collect();
        Ok(Policy { name: name.to_owned(), kind, statements: statements.into(), warnings })
    }

    /// The name given when the policy was read.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The policy's kind.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }
    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
    /// Things RAM accepts but that are worth changing.
    pub fn warnings(&self) -> &[ParseWarning] {
        &self.warnings
    }
}

/// `text` without the UTF-8 byte order mark that editors on Windows put at
/// the start of a file, so that every reader of ramguard's inputs takes such
/// files as they are meant. Only one mark, and only at the start, is skipped.
pub(crate) fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The kind a document's content implies: resource when any statement has a
/// `Principal`, identity otherwise (also for text that is not a policy, so
/// that the real errors are reported against the identity rules).
///
/// The text is read once without building it: the pass keeps only member
/// names, to reject a repeated one as the full reader does, so it accepts
/// exactly the documents [`Policy::parse`] can read, in linear time. Callers
/// choose the size limit by the kind it gives before anything is parsed.
pub fn detect_kind(text: &str) -> PolicyKind {
    let mut reader = serde_json::Deserializer::from_str(without_bom(text));
    let has_principal = Probe(Role::Root).deserialize(&mut reader).and_then(|found| reader.end().map(|()| found));
    if has_principal.unwrap_or(false) { PolicyKind::Resource } else { PolicyKind::Identity }
}

/// Where a value sits, for [`detect_kind`].
#[derive(Clone, Copy)]
enum Role {
    Root,
    /// The root's `Statement`.
    Statements,
    /// An element of it.
    Statement,
    Other,
}

/// Reads a value without keeping it and answers whether it holds a statement
/// with a `Principal`.
struct Probe(Role);

impl<'de> DeserializeSeed<'de> for Probe {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Probe {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let role = if matches!(self.0, Role::Statements) { Role::Statement } else { Role::Other };
        let mut found = false;
        while let Some(principal) = seq.next_element_seed(Probe(role))? {
            found |= principal;
        }
        Ok(found)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut names = json::MemberNames::default();
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            names.insert(&key)?;
            found |= matches!(self.0, Role::Statement) && key == "Principal";
            let role = if matches!(self.0, Role::Root) && key == "Statement" { Role::Statements } else { Role::Other };
            found |= map.next_value_seed(Probe(role))?;
        }
        Ok(found)
    }
}

fn syntax_error(text: &str, e: &serde_json::Error) -> ParseError {
    let (location, message) = json::serde_error(text, e);
    let help = (e.classify() == serde_json::error::Category::Eof)
        .then(|| "the document ends early: check for a missing `}` or `]`".to_owned());
    ParseError::new(ParseErrorKind::Syntax { message }, JsonPath::root(), location, help)
}

const TOP_ELEMENTS: [&str; 2] = ["Version", "Statement"];
const STATEMENT_ELEMENTS: [&str; 8] =
    ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "Condition"];
const PRINCIPAL_TYPES: [&str; 3] = ["RAM", "Service", "Federated"];

struct Problem {
    kind: ParseErrorKind,
    path: JsonPath,
    help: Option<String>,
    /// Whether the problem is the member's name rather than its value.
    at_name: bool,
}

struct Lowering {
    kind: PolicyKind,
    problems: Vec<Problem>,
    warnings: Vec<(String, JsonPath)>,
}

fn get<'v>(members: &'v [(String, Value)], name: &str) -> Option<&'v Value> {
    members.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn did_you_mean(input: &str, candidates: &[&'static str]) -> Option<String> {
    suggest(input, candidates.iter().copied()).map(|s| format!("did you mean `{s}`?"))
}

fn is_valid_action(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    match action.split_once(':') {
        Some((service, name)) => {
            !service.is_empty()
                && !name.is_empty()
                && service.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '?' | '-' | '_' | '.'))
        }
        None => false,
    }
}

impl Lowering {
    fn problem(&mut self, kind: ParseErrorKind, path: JsonPath, help: Option<String>) {
        let at_name = matches!(
            kind,
            ParseErrorKind::UnknownElement { .. }
                | ParseErrorKind::UnknownOperator { .. }
                | ParseErrorKind::UnknownPrincipalType { .. }
                | ParseErrorKind::NotResource
                | ParseErrorKind::Conflict { .. }
                | ParseErrorKind::NotAllowedHere { .. }
                | ParseErrorKind::DuplicateConditionKey { .. }
        );
        self.problems.push(Problem { kind, path, help, at_name });
    }

    fn wrong_type(&mut self, expected: &str, found: &Value, path: JsonPath) {
        self.problem(ParseErrorKind::WrongType { expected: expected.to_owned(), found: found.type_name() }, path, None);
    }

    fn document(&mut self, value: &Value) -> Vec<Statement> {
        let root = JsonPath::root();
        let Value::Object(members) = value else {
            self.wrong_type("a policy object with `Version` and `Statement`", value, root);
            return Vec::new();
        };
        for (name, _) in members {
            if !TOP_ELEMENTS.contains(&name.as_str()) {
                let help = did_you_mean(name, &TOP_ELEMENTS);
                self.problem(ParseErrorKind::UnknownElement { name: name.clone() }, root.key(name), help);
            }
        }
        match get(members, "Version") {
            Some(Value::String(v)) if v == "1" => {}
            Some(other) => {
                let found = match other {
                    Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
                    Value::Number(n) => format!("the number {n}"),
                    v => v.type_name().to_owned(),
                };
                self.problem(
                    ParseErrorKind::InvalidVersion { found },
                    root.key("Version"),
                    Some("write `\"Version\": \"1\"`".to_owned()),
                );
            }
            None => self.problem(
                ParseErrorKind::MissingElement { name: "Version" },
                root.clone(),
                Some("add `\"Version\": \"1\"`".to_owned()),
            ),
        }
        let path = root.key("Statement");
        match get(members, "Statement") {
            Some(Value::Array(items)) if items.is_empty() => {
                self.problem(ParseErrorKind::Empty { element: "Statement".to_owned() }, path, None);
                Vec::new()
            }
            Some(Value::Array(items)) => {
                items.iter().enumerate().filter_map(|(i, s)| self.statement(i, s, path.index(i))).collect()
            }
            Some(obj @ Value::Object(_)) => {
                self.problem(
                    ParseErrorKind::WrongType { expected: "an array of statements".to_owned(), found: obj.type_name() },
                    path,
                    Some("wrap the statement in `[` and `]`".to_owned()),
                );
                Vec::new()
            }
            Some(other) => {
                self.wrong_type("an array of statements", other, path);
                Vec::new()
            }
            None => {
                self.problem(ParseErrorKind::MissingElement { name: "Statement" }, root, None);
                Vec::new()
            }
        }
    }

    fn statement(&mut self, index: usize, value: &Value, path: JsonPath) -> Option<Statement> {
        let Value::Object(members) = value else {
            self.wrong_type("a statement object", value, path);
            return None;
        };
        let before = self.problems.len();
        for (name, _) in members {
            if name == "NotResource" {
                self.problem(
                    ParseErrorKind::NotResource,
                    path.key(name),
                    Some(
                        "list the resources in `Resource`, and use a `Deny` statement to carve out exceptions"
                            .to_owned(),
                    ),
                );
            } else if !STATEMENT_ELEMENTS.contains(&name.as_str()) {
                let help = did_you_mean(name, &STATEMENT_ELEMENTS);
                self.problem(ParseErrorKind::UnknownElement { name: name.clone() }, path.key(name), help);
            }
        }
        let sid = match get(members, "Sid") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.wrong_type("a string", other, path.key("Sid"));
                None
            }
            None => None,
        };
        let effect = match get(members, "Effect") {
            Some(Value::String(s)) if s == "Allow" => Some(Effect::Allow),
            Some(Value::String(s)) if s == "Deny" => Some(Effect::Deny),
            Some(Value::String(s)) => {
                let help = did_you_mean(s, &["Allow", "Deny"]);
                self.problem(ParseErrorKind::InvalidEffect { found: s.clone() }, path.key("Effect"), help);
                None
            }
            Some(other) => {
                self.wrong_type("`Allow` or `Deny`", other, path.key("Effect"));
                None
            }
            None => {
                self.problem(ParseErrorKind::MissingElement { name: "Effect" }, path.clone(), None);
                None
            }
        };
        let actions = match (get(members, "Action"), get(members, "NotAction")) {
            (Some(_), Some(_)) => {
                self.problem(
                    ParseErrorKind::Conflict { first: "Action", second: "NotAction" },
                    path.key("NotAction"),
                    None,
                );
                None
            }
            (Some(v), None) => self.actions(v, path.key("Action"), "Action").map(ActionSpec::Action),
            (None, Some(v)) => self.actions(v, path.key("NotAction"), "NotAction").map(ActionSpec::NotAction),
            (None, None) => {
                self.problem(
                    ParseErrorKind::MissingElement { name: "Action" },
                    path.clone(),
                    Some("add an Action or NotAction element to the policy statement".to_owned()),
                );
                None
            }
        };
        let resources = match get(members, "Resource") {
            Some(v) => self
                .strings(v, &path.key("Resource"), "Resource")
                .map(|rs| rs.iter().map(|r| Pattern::new(r, Case::Sensitive)).collect::<Vec<_>>()),
            None => {
                if self.kind.requires_resource() {
                    let help = if members.iter().any(|(k, _)| k.trim() == "Resource") {
                        Some("an element named like `Resource` is present: check its spelling and spaces".to_owned())
                    } else {
                        Some("add `\"Resource\": \"*\"` or the ARNs the statement covers".to_owned())
                    };
                    self.problem(ParseErrorKind::MissingElement { name: "Resource" }, path.clone(), help);
                }
                None
            }
        };
        let principal = match get(members, "Principal") {
            Some(v) if self.kind == PolicyKind::Resource => self.principal(v, path.key("Principal")),
            Some(_) => {
                self.problem(
                    ParseErrorKind::NotAllowedHere { element: "Principal", kind: self.kind.name() },
                    path.key("Principal"),
                    Some("`Principal` belongs in resource-based policies such as a role's trust policy".to_owned()),
                );
                None
            }
            None => {
                if self.kind == PolicyKind::Resource {
                    self.problem(ParseErrorKind::MissingElement { name: "Principal" }, path.clone(), None);
                }
                None
            }
        };
        let conditions = match get(members, "Condition") {
            Some(v) => self.conditions(v, path.key("Condition")),
            None => Vec::new(),
        };
        if self.problems.len() > before {
            return None;
        }
        Some(Statement { index, sid, effect: effect?, actions: actions?, resources, principal, conditions })
    }

    /// A string or a non-empty array of strings.
    fn strings(&mut self, value: &Value, path: &JsonPath, element: &str) -> Option<Vec<String>> {
        match value {
            Value::String(s) => {
                if s.is_empty() {
                    self.problem(ParseErrorKind::Empty { element: element.to_owned() }, path.clone(), None);
                    return None;
                }
                Some(vec![s.clone()])
            }
            Value::Array(items) if items.is_empty() => {
                self.problem(ParseErrorKind::Empty { element: element.to_owned() }, path.clone(), None);
                None
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) if !s.is_empty() => out.push(s.clone()),
                        Value::String(_) => {
                            self.problem(ParseErrorKind::Empty { element: element.to_owned() }, path.index(i), None);
                            ok = false;
                        }
                        other => {
                            self.wrong_type("a string", other, path.index(i));
                            ok = false;
                        }
                    }
                }
                ok.then_some(out)
            }
            other => {
                self.wrong_type("a string or an array of strings", other, path.clone());
                None
            }
        }
    }

    fn actions(&mut self, value: &Value, path: JsonPath, element: &str) -> Option<Vec<Pattern>> {
        let actions = self.strings(value, &path, element)?;
        let mut ok = true;
        for (i, a) in actions.iter().enumerate() {
            if !is_valid_action(a) {
                let at = if matches!(value, Value::Array(_)) { path.index(i) } else { path.clone() };
                self.problem(ParseErrorKind::InvalidAction { found: a.clone() }, at, None);
                ok = false;
            }
        }
        ok.then(|| actions.iter().map(|a| Pattern::new(a, Case::Insensitive)).collect())
    }

    /// Reports every entry of `list` (read from `value` at `path`) whose
    /// account id holds a wildcard: the account field of an ARN
    /// (`acs:ram::*:root`), or a plain account id. `*` alone, every
    /// principal, is not such an entry. Whether all were concrete.
    fn concrete_accounts(&mut self, value: &Value, path: &JsonPath, list: &[String]) -> bool {
        let mut ok = true;
        for (i, entry) in list.iter().enumerate() {
            let account = crate::language::arn::account_field(entry).unwrap_or(entry);
            if entry == "*" || !account.contains(['*', '?']) {
                continue;
            }
            let at = if matches!(value, Value::Array(_)) { path.index(i) } else { path.clone() };
            let help = "name the account by its id (`acs:ram::1234567890123456:root`), or write `*` alone for every \
                        principal; a masked id copied from documentation (`123456789012****`) must be filled in";
            self.problem(ParseErrorKind::WildcardPrincipalAccount { entry: entry.clone() }, at, Some(help.to_owned()));
            ok = false;
        }
        ok
    }

    fn principal(&mut self, value: &Value, path: JsonPath) -> Option<PrincipalSpec> {
        let mut spec = PrincipalSpec::default();
        match value {
            Value::Object(members) => {
                if members.is_empty() {
                    self.problem(ParseErrorKind::Empty { element: "Principal".to_owned() }, path, None);
                    return None;
                }
                let mut ok = true;
                for (name, v) in members {
                    let target = match name.as_str() {
                        "RAM" => &mut spec.ram,
                        "Service" => &mut spec.service,
                        "Federated" => &mut spec.federated,
                        _ => {
                            let help = did_you_mean(name, &PRINCIPAL_TYPES);
                            self.problem(
                                ParseErrorKind::UnknownPrincipalType { name: name.clone() },
                                path.key(name),
                                help,
                            );
                            ok = false;
                            continue;
                        }
                    };
                    let element = format!("Principal.{name}");
                    match self.strings(v, &path.key(name), &element) {
                        Some(list) if name == "Service" => target.extend(list),
                        Some(list) => {
                            ok &= self.concrete_accounts(v, &path.key(name), &list);
                            target.extend(list);
                        }
                        None => ok = false,
                    }
                }
                ok.then_some(spec)
            }
            Value::String(_) | Value::Array(_) => {
                let accounts = self.strings(value, &path, "Principal")?;
                let ok = self.concrete_accounts(value, &path, &accounts);
                spec.accounts = accounts;
                ok.then_some(spec)
            }
            other => {
                self.wrong_type(
                    "an object with `RAM`, `Service` or `Federated`, or a list of account ids",
                    other,
                    path,
                );
                None
            }
        }
    }

    fn conditions(&mut self, value: &Value, path: JsonPath) -> Vec<Condition> {
        let Value::Object(operators) = value else {
            self.wrong_type("an object of condition operators", value, path);
            return Vec::new();
        };
        let mut out = Vec::new();
        for (op_text, keys) in operators {
            let op_path = path.key(op_text);
            let Some((qualifier, operator)) = self.operator(op_text, &op_path) else {
                continue;
            };
            let Value::Object(keys) = keys else {
                self.wrong_type("an object of condition keys", keys, op_path);
                continue;
            };
            if keys.is_empty() {
                self.problem(ParseErrorKind::Empty { element: op_text.clone() }, op_path, None);
                continue;
            }
            // Canonical name → the first spelling of it, so that a repeat is
            // found in constant time however many keys the operator has.
            let mut spellings: HashMap<String, &str> = HashMap::with_capacity(keys.len());
            for (key, values) in keys {
                let key_path = op_path.key(key);
                if key.is_empty() {
                    self.problem(ParseErrorKind::Empty { element: "condition key".to_owned() }, key_path, None);
                    continue;
                }
                let canonical = crate::language::condition::canonical_key(key);
                if let Some(first) = spellings.get(&canonical) {
                    let help = if key.eq_ignore_ascii_case(first) {
                        "merge the two value lists under one spelling: condition key names ignore case".to_owned()
                    } else {
                        format!("merge the two value lists under one key: both name `{canonical}`")
                    };
                    self.problem(
                        ParseErrorKind::DuplicateConditionKey {
                            key: key.clone(),
                            first: (*first).to_owned(),
                            operator: op_text.clone(),
                        },
                        key_path,
                        Some(help),
                    );
                    continue;
                }
                spellings.insert(canonical, key);
                let Some(raw) = self.condition_values(values, &key_path) else {
                    continue;
                };
                match Condition::new(operator, qualifier, key, raw) {
                    Ok(c) => out.push(c),
                    Err(bad_values) => {
                        for bad in bad_values {
                            let at = if matches!(values, Value::Array(_)) {
                                key_path.index(bad.index)
                            } else {
                                key_path.clone()
                            };
                            let help = (bad.expected == crate::language::condition::ValueType::Ip
                                && bad.value.contains(['X', 'x']))
                            .then(|| "this looks like a masked example value: put the real address".to_owned());
                            self.problem(
                                ParseErrorKind::InvalidConditionValue {
                                    value: bad.value,
                                    operator: op_text.clone(),
                                    expected: bad.expected.describe(),
                                },
                                at,
                                help,
                            );
                        }
                    }
                }
            }
        }
        out
    }

    fn operator(&mut self, text: &str, path: &JsonPath) -> Option<(Option<SetQualifier>, Operator)> {
        let (qualifier, name) = match text.split_once(':') {
            Some(("ForAnyValue", rest)) => (Some(SetQualifier::ForAnyValue), rest),
            Some(("ForAllValues", rest)) => (Some(SetQualifier::ForAllValues), rest),
            _ => (None, text),
        };
        if let Some(op) = Operator::from_name(name) {
            return Some((qualifier, op));
        }
        let names: Vec<&str> = Operator::ALL.iter().map(|o| o.name()).collect();
        let help = match suggest(name, names.iter().copied()) {
            Some(s) => Some(format!("did you mean `{s}`?")),
            None if name.ends_with("IfExists")
                || name == "Null"
                || name.starts_with("Arn")
                || name.starts_with("Binary") =>
            {
                Some("RAM has no such operator: a policy that cannot be understood is never evaluated".to_owned())
            }
            None => Some("see the list of RAM condition operators".to_owned()),
        };
        self.problem(ParseErrorKind::UnknownOperator { name: text.to_owned() }, path.clone(), help);
        None
    }

    /// A condition key's values: a scalar or a non-empty array of scalars.
    /// Numbers and booleans are read as their string form, with a warning.
    fn condition_values(&mut self, value: &Value, path: &JsonPath) -> Option<Vec<String>> {
        let scalar = |v: &Value, at: JsonPath, this: &mut Self| -> Option<String> {
            match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => {
                    this.warnings.push((format!("the number {n} should be written as the string \"{n}\""), at));
                    Some(n.clone())
                }
                Value::Bool(b) => {
                    this.warnings.push((format!("the boolean {b} should be written as the string \"{b}\""), at));
                    Some(b.to_string())
                }
                other => {
                    this.wrong_type("a string or an array of strings", other, at);
                    None
                }
            }
        };
        match value {
            Value::Array(items) if items.is_empty() => {
                self.problem(
                    ParseErrorKind::Empty { element: "condition values".to_owned() },
                    path.clone(),
                    Some("a condition with no values can never hold: remove it or list a value".to_owned()),
                );
                None
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match scalar(item, path.index(i), self) {
                        Some(s) => out.push(s),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            other => scalar(other, path.clone(), self).map(|s| vec![s]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str, kind: PolicyKind) -> Vec<ParseError> {
        Policy::parse("t", text, kind).unwrap_err().errors().to_vec()
    }

    #[test]
    fn reads_a_valid_policy() {
        let text = r#"{"Version": "1", "Statement": [
            {"Sid": "s", "Effect": "Deny", "Action": "vpc:Delete*", "Resource": ["acs:vpc:*:*:vpnconnection/*"],
             "Condition": {"NotIpAddress": {"acs:SourceIp": ["10.0.0.0/8", "192.168.1.1"]}}}]}"#;
        let p = Policy::parse("p", text, PolicyKind::Identity).unwrap();
        let s = &p.statements()[0];
        assert_eq!(s.sid(), Some("s"));
        assert_eq!(s.effect(), Effect::Deny);
        assert!(s.actions().matches("VPC:DeleteVpnConnection"));
        assert!(s.matches_resource("acs:vpc:cn-hangzhou:1:vpnconnection/vco-1"));
        assert_eq!(s.conditions()[0].operator(), Operator::NotIpAddress);
    }

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let text = "{\n \"Version\": \"1\",\n \"Statement\": [{\n  \"Effect\": \"allow \",\n  \"Action\": \"[ECS RAM Action]\",\n  \"Resource \": \"*\"\n }]\n}";
        let errs = errors(text, PolicyKind::Identity);
        let codes: Vec<&str> = errs.iter().map(ParseError::code).collect();
        assert_eq!(codes, ["missing-element", "invalid-effect", "invalid-action", "unknown-element"]);
        assert_eq!(errs[1].location(), Location { line: 4, column: 13 });
        assert_eq!(errs[1].path().to_string(), "Statement[0].Effect");
        assert_eq!(errs[1].help(), Some("did you mean `Allow`?"));
        assert_eq!(errs[3].help(), Some("did you mean `Resource`?"));
    }

    #[test]
    fn version_rules() {
        assert_eq!(errors(r#"{"Version": 1, "Statement": []}"#, PolicyKind::Identity)[0].code(), "invalid-version");
        let e = &errors(
            r#"{"Version": "2016-10-17", "Statement": [{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            PolicyKind::Identity,
        )[0];
        assert_eq!(
            e.to_string(),
            "1:13: `Version` must be the string \"1\", found \"2016-10-17\" (at Version): write `\"Version\": \"1\"`"
        );
    }

    #[test]
    fn single_statement_object_says_how_to_fix_it() {
        let e = &errors(
            r#"{"Version": "1", "Statement": {"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            PolicyKind::Identity,
        )[0];
        assert_eq!(e.code(), "wrong-type");
        assert_eq!(e.help(), Some("wrap the statement in `[` and `]`"));
    }

    #[test]
    fn kind_rules() {
        let trust = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["ecs.aliyuncs.com"]}}]}"#;
        assert!(Policy::parse("t", trust, PolicyKind::Resource).is_ok());
        assert_eq!(detect_kind(trust), PolicyKind::Resource);
        let codes: Vec<_> = errors(trust, PolicyKind::Identity).iter().map(ParseError::code).collect();
        assert_eq!(codes, ["missing-element", "not-allowed-here"]);
    }

    #[test]
    fn size_limits_can_be_lifted() {
        let mut text = String::from(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#);
        text.push_str(&" ".repeat(2_048));
        assert_eq!(errors(&text, PolicyKind::Session)[0].code(), "too-long");
        assert!(Policy::parse("t", &text, PolicyKind::Identity).is_ok());
        assert!(Policy::parse_with_limits("t", &text, PolicyKind::Session, &Limits::unlimited()).is_ok());
    }

    /// The definition `detect_kind` had: build the document, then look.
    fn kind_by_tree(text: &str) -> PolicyKind {
        let has_principal = match json::parse(text) {
            Ok(Value::Object(members)) => members.iter().any(|(k, v)| {
                k == "Statement"
                    && matches!(v, Value::Array(statements) if statements
                        .iter()
                        .any(|s| matches!(s, Value::Object(m) if m.iter().any(|(k, _)| k == "Principal"))))
            }),
            _ => false,
        };
        if has_principal { PolicyKind::Resource } else { PolicyKind::Identity }
    }

    /// JSON-like text from policy-shaped pieces: `Statement` and `Principal`
    /// in and out of place, repeated names, numbers beyond an `f64`, and
    /// broken syntax, each now and then.
    fn policy_like() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let name = || {
            prop_oneof![Just("\"Statement\""), Just("\"Principal\""), Just("\"Effect\""), Just("\"Principa\\u006c\""),]
        };
        let leaf = || prop_oneof![8 => Just("1"), 1 => Just("1e400"), 8 => Just("\"x\""), 1 => Just("tru")];
        let object = |members: Vec<(&str, String)>| {
            let members: Vec<String> = members.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
            format!("{{{}}}", members.join(","))
        };
        let statement = proptest::collection::vec((name(), leaf().prop_map(str::to_owned)), 0..4).prop_map(object);
        let value = prop_oneof![
            leaf().prop_map(str::to_owned),
            statement.clone(),
            proptest::collection::vec(statement, 0..3).prop_map(|items| format!("[{}]", items.join(","))),
        ];
        proptest::collection::vec((name(), value), 0..4).prop_map(object)
    }

    proptest::proptest! {
        #[test]
        fn kind_detection_reads_like_the_parser(text in policy_like(), trailing in "( |,|x)?") {
            let text = format!("{text}{trailing}");
            proptest::prop_assert_eq!(detect_kind(&text), kind_by_tree(&text), "{}", text);
        }
    }

    /// A policy whose one condition operator has `keys` keys, one per line;
    /// `principal` makes it a resource policy, `repeat` names the key at that
    /// index like the first.
    fn many_keys(keys: usize, principal: bool, repeat: Option<usize>) -> String {
        let keys: Vec<String> =
            (0..keys).map(|i| format!("\"k{}\": \"v\"", if Some(i) == repeat { 0 } else { i })).collect();
        let principal = if principal { r#""Principal": {"RAM": ["acs:ram::1234567890123456:root"]},"# } else { "" };
        format!(
            "{{\"Version\": \"1\", \"Statement\": [{{\"Effect\": \"Allow\", \"Action\": \"oss:GetObject\", \"Resource\": \"*\", {principal}\n\"Condition\": {{\"StringEquals\": {{\n{}}}}}}}]}}",
            keys.join(",\n")
        )
    }

    #[test]
    fn auto_kind_applies_the_limit_of_the_kind_it_finds() {
        let identity = many_keys(100_000, false, None);
        let errs = Policy::parse_auto("t", &identity, &Limits::default()).unwrap_err();
        assert_eq!(errs.errors()[0].code(), "too-long");
        assert!(errs.errors()[0].to_string().contains("6144"), "{}", errs.errors()[0]);
        let p = Policy::parse_auto("t", &identity, &Limits::unlimited()).unwrap();
        assert_eq!(p.statements()[0].conditions().len(), 100_000);
        let resource = many_keys(100_000, true, None);
        assert_eq!(Policy::parse_auto("t", &resource, &Limits::default()).unwrap().kind(), PolicyKind::Resource);
        // A repeated key makes the document unreadable, so it is detected as
        // an identity policy (as the parser would say) and refused for its size.
        let repeated = many_keys(100_000, true, Some(99_999));
        assert_eq!(detect_kind(&repeated), PolicyKind::Identity);
        assert_eq!(Policy::parse_auto("t", &repeated, &Limits::default()).unwrap_err().errors()[0].code(), "too-long");
    }

    #[test]
    fn repeated_condition_keys_are_found_among_many() {
        for at in [1, 99_999] {
            let errs = Policy::parse_with_limits(
                "t",
                &many_keys(100_000, false, Some(at)),
                PolicyKind::Identity,
                &Limits::unlimited(),
            )
            .unwrap_err();
            // The JSON reader finds the repeated member name first, on its line.
            assert!(errs.errors()[0].to_string().contains("duplicate member name `k0`"), "{}", errs.errors()[0]);
            assert_eq!(errs.errors()[0].location().line, at + 3, "key i is on line i + 3");
        }
        let text = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a":"1","b":"1","c":"1","d":"1","e":"1","f":"1","g":"1","h":"1","i":"1","j":"1","k":"1","l":"1","m":"1","n":"1","o":"1","p":"1","q":"1","A":"2"}}}]}"#;
        let errs = errors(text, PolicyKind::Identity);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].code(), "duplicate-condition-key");
        assert!(errs[0].to_string().contains("`A`") && errs[0].to_string().contains("`a`"), "{}", errs[0]);
    }

    #[test]
    fn scalar_condition_values_warn() {
        let text = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"k":10},"Bool":{"acs:MFAPresent":true}}}]}"#;
        let p = Policy::parse("t", text, PolicyKind::Identity).unwrap();
        assert_eq!(p.warnings().len(), 2);
        assert_eq!(p.statements()[0].conditions()[0].values(), ["10"]);
    }
}
