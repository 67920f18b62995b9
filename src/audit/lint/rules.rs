//! The checks behind every rule of [`RULES`](super::RULES) but RG001, run
//! on a document that RAM accepts.

use std::collections::{BTreeMap, BTreeSet};

use super::invisible::{self, Shape};
use super::{Finding, LintOptions, rule};
use crate::audit::glob::{self, Answer, Budget, Tok};
use crate::language::condition::{Condition, Context, Operator, SetQualifier, ValueType, canonical_key, value};
use crate::language::fuzzy::{levenshtein, suggest};
use crate::language::json::{self, JsonPath, Step, Value};
use crate::language::pattern::Pattern;
use crate::language::policy::{ActionSpec, Effect, Policy, PolicyKind, PrincipalSpec, Statement};
use crate::operations::catalog::{Catalog, ConditionKeySpec, Operation, ResourceTemplate};

/// RAM actions that let their holder widen their own rights (RG104).
const ESCALATION: [&str; 10] = [
    "ram:AttachPolicyToUser",
    "ram:AttachPolicyToRole",
    "ram:AttachPolicyToGroup",
    "ram:CreatePolicyVersion",
    "ram:SetDefaultPolicyVersion",
    "ram:PassRole",
    "ram:CreateAccessKey",
    "ram:UpdateLoginProfile",
    "ram:AddUserToGroup",
    "ram:UpdateRole",
];

/// The global condition keys (lowercase) and the type of their values.
const GLOBAL_KEYS: [(&str, ValueType); 9] = [
    ("acs:currenttime", ValueType::Date),
    ("acs:securetransport", ValueType::Bool),
    ("acs:sourceip", ValueType::Ip),
    ("acs:mfapresent", ValueType::Bool),
    ("acs:sourcevpc", ValueType::String),
    ("acs:accessid", ValueType::String),
    ("acs:useragent", ValueType::String),
    ("acs:service", ValueType::String),
    ("acs:principalarn", ValueType::String),
];

/// Global key families: any tag name may follow the prefix.
const GLOBAL_PREFIXES: [&str; 2] = ["acs:resourcetag/", "acs:requesttag/"];

/// The written names of the global keys, for suggestions.
const GLOBAL_NAMES: [&str; 11] = [
    "acs:CurrentTime",
    "acs:SecureTransport",
    "acs:SourceIp",
    "acs:MFAPresent",
    "acs:SourceVpc",
    "acs:AccessId",
    "acs:UserAgent",
    "acs:Service",
    "acs:PrincipalARN",
    "acs:ResourceTag/",
    "acs:RequestTag/",
];

/// The type of a global key's values, if `canonical` is one.
fn global_key(canonical: &str) -> Option<ValueType> {
    GLOBAL_KEYS
        .iter()
        .find(|(k, _)| *k == canonical)
        .map(|(_, t)| *t)
        .or_else(|| GLOBAL_PREFIXES.iter().any(|p| canonical.starts_with(p)).then_some(ValueType::String))
}

/// A tag key of any service (`acs:ResourceTag/env`, `vpc:tag/env`,
/// `rds:ResourceTag/env`): set from the resource or request tags, which the
/// catalog does not describe.
fn is_tag_key(canonical: &str) -> bool {
    canonical
        .split_once(':')
        .is_some_and(|(_, rest)| ["tag/", "resourcetag/", "requesttag/"].iter().any(|p| rest.starts_with(p)))
}

/// The type a catalog key's `type` names.
fn catalog_type(name: &str) -> ValueType {
    match name.to_ascii_lowercase().as_str() {
        "number" | "numeric" | "integer" | "long" | "float" | "double" => ValueType::Number,
        "date" | "datetime" | "time" => ValueType::Date,
        "bool" | "boolean" => ValueType::Bool,
        "ip" | "ipaddress" | "ip_address" => ValueType::Ip,
        _ => ValueType::String,
    }
}

/// A key's names in canonical form: the key and its aliases.
fn spec_names(spec: &ConditionKeySpec) -> impl Iterator<Item = String> + '_ {
    std::iter::once(canonical_key(&spec.key)).chain(spec.aliases.iter().map(|a| canonical_key(a)))
}

/// The key of `op` that a condition on `canonical` reads, if `op` sets it.
fn op_key<'o>(op: &'o Operation, canonical: &str) -> Option<&'o ConditionKeySpec> {
    op.condition_keys.iter().find(|spec| spec_names(spec).any(|n| n == canonical))
}

/// Whether a resource template stands for "All Resources".
fn is_all_resources(t: &ResourceTemplate) -> bool {
    t.resource_type == "*" || t.arn == "*"
}

/// Whether a pattern is made of `*` only.
fn is_all(p: &Pattern) -> bool {
    !p.as_str().is_empty() && p.as_str().chars().all(|c| c == '*')
}

/// Whether an action pattern matches every action: `*` or `*:*`.
fn is_all_actions(p: &Pattern) -> bool {
    is_all(p) || p.as_str().split_once(':').is_some_and(|(s, n)| is_all_pattern(s) && is_all_pattern(n))
}

fn is_all_pattern(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c == '*')
}

/// Action patterns longer than this are not compared with the catalog's
/// names for RG202 (no action RAM knows is that long).
const MAX_PATTERN: usize = 512;

/// The glob steps that the pairwise rules (RG206, RG207, RG301, RG302) may
/// take in one document, all pairs together: each pair compared costs one
/// step, and each containment question one step per pattern position moved
/// on one character. At about 7 ns a step this is under a second of work
/// per document, whatever its patterns;
/// memory stays that of one containment question (about 1 MB). Beyond it
/// the rules are reported as not fully checked for that document.
pub const PAIRWISE_STEPS: u64 = 100_000_000;

/// Whether every string `inner` matches is matched by `outer` too, within
/// `budget`.
fn covers(outer: &Pattern, inner: &Pattern, budget: &mut Budget) -> Answer {
    if !budget.spend(1) {
        return Answer::Unknown;
    }
    if !inner.has_wildcard() {
        return if outer.matches(inner.as_str()) { Answer::Yes } else { Answer::No };
    }
    if !outer.has_wildcard() {
        return Answer::No;
    }
    glob::contains(&glob::pattern_tokens(&outer.normalized()), &glob::pattern_tokens(&inner.normalized()), budget)
}

/// Whether the two names differ only by a plural ending (`DescribeVpnConnection`
/// and `DescribeVpnConnections` are two real actions, not a misspelling).
fn plural_pair(a: &str, b: &str) -> bool {
    let one_way = |x: &str, y: &str| x.strip_suffix('s') == Some(y) || x.strip_suffix("es") == Some(y);
    one_way(a, b) || one_way(b, a)
}

/// The largest edit distance read as a misspelling of a name with `len`
/// significant characters.
fn typo_limit(len: usize) -> usize {
    (len / 6).min(2)
}

/// A list in backticks, at most `max` items.
fn list<S: AsRef<str>>(items: &[S], max: usize) -> String {
    let mut out: Vec<String> = items.iter().take(max).map(|s| format!("`{}`", s.as_ref())).collect();
    if items.len() > max {
        out.push(format!("and {} more", items.len() - max));
    }
    out.join(", ")
}

/// What an operator of each type is called, for help texts.
fn operators_for(t: ValueType) -> &'static str {
    match t {
        ValueType::String => "a `String...` operator",
        ValueType::Number => "a `Numeric...` operator",
        ValueType::Date => "a `Date...` operator such as `DateLessThan`",
        ValueType::Bool => "`Bool`",
        ValueType::Ip => "`IpAddress` or `NotIpAddress`",
    }
}

/// What a type is, for messages.
fn type_noun(t: ValueType) -> &'static str {
    match t {
        ValueType::String => "a string",
        ValueType::Number => "a number",
        ValueType::Date => "a date and time",
        ValueType::Bool => "a boolean",
        ValueType::Ip => "an IP address",
    }
}

/// What the linter knows about one statement.
struct Facts<'a> {
    stmt: &'a Statement,
    path: JsonPath,
    label: String,
    /// `Action` or `NotAction`.
    action_member: &'static str,
    /// The statement's operations, when every action is an exact catalog action.
    ops: Option<Vec<&'a Operation>>,
}

struct Linter<'a> {
    file: &'a str,
    text: &'a str,
    raw: Option<Value>,
    catalog: &'a Catalog,
    /// Whether an `Allow` grants (identity and resource policies) rather
    /// than only narrows (session and control policies).
    grants: bool,
    /// The services of the catalog's actions, lowercase.
    services: BTreeSet<String>,
    /// The glob steps the pairwise rules may still take.
    budget: Budget,
    /// The rules a budget or a question too costly to settle left not
    /// fully checked.
    unchecked: BTreeSet<&'static str>,
    /// Whether a single question was too long to settle (rather than the
    /// document's budget running out).
    too_long: bool,
    /// The strings RG210 reported (by JSON path) and what they should be:
    /// the rules that would report the same string for another reason stay
    /// silent on it.
    invisible: BTreeMap<String, String>,
    findings: Vec<super::Finding>,
    /// The findings still to be located, and whether at the member name:
    /// all at once at the end, in one pass over the text.
    unlocated: Vec<(usize, bool)>,
}

/// Runs every rule but RG001 on a document RAM accepts: the findings, and
/// the rules not fully checked with why.
pub(super) fn check(
    file: &str,
    text: &str,
    policy: &Policy,
    options: &LintOptions<'_>,
) -> (Vec<Finding>, Option<super::Unchecked>) {
    let catalog = options.catalog;
    let services = catalog
        .operations()
        .iter()
        .filter_map(|o| o.action.split_once(':').map(|(s, _)| s.to_ascii_lowercase()))
        .collect();
    let grants = matches!(policy.kind(), PolicyKind::Identity | PolicyKind::Resource);
    let mut l = Linter {
        file,
        text,
        raw: serde_json::from_str(text).ok(),
        catalog,
        grants,
        services,
        budget: Budget::new(PAIRWISE_STEPS),
        unchecked: BTreeSet::new(),
        too_long: false,
        invisible: BTreeMap::new(),
        findings: Vec::new(),
        unlocated: Vec::new(),
    };
    l.non_string_values(policy);
    l.size(policy, options);
    let facts: Vec<Facts<'_>> = policy.statements().iter().map(|s| l.facts(s)).collect();
    for f in &facts {
        l.invisible_characters(f);
        l.allow_all(f);
        l.allow_not_action(f);
        l.escalation(f);
        l.action_names(f);
        l.resource_types(f);
        l.condition_keys(f);
        l.redundant(f);
    }
    l.repeated_statements(&facts);
    let unchecked = (!l.unchecked.is_empty()).then(|| {
        let mut why = Vec::new();
        if l.budget.is_spent() {
            why.push(format!(
                "comparing this document's patterns pairwise needs more than {} glob steps, the budget of one document",
                glob::thousands(PAIRWISE_STEPS)
            ));
        }
        if l.too_long {
            why.push(format!(
                "some single comparisons are too costly to settle (a pattern of more than {} tokens, a containment \
                 needing more than {} subset states, or an intersection more than {} steps)",
                glob::MAX_TOKENS,
                glob::thousands(glob::CONTAINS_STATES as u64),
                glob::thousands(glob::INTERSECT_STEPS)
            ));
        }
        super::Unchecked { rules: l.unchecked.iter().copied().collect(), reason: why.join("; ") }
    });
    let mut findings = l.findings;
    let wanted: Vec<(JsonPath, bool)> =
        l.unlocated.iter().filter_map(|&(i, at_name)| Some((findings.get(i)?.path.clone(), at_name))).collect();
    let locations = json::locate_all(text, wanted.iter().map(|(path, at_name)| (path, *at_name)));
    for (&(i, _), location) in l.unlocated.iter().zip(locations) {
        if let Some(f) = findings.get_mut(i) {
            f.location = location;
        }
    }
    (findings, unchecked)
}

impl<'a> Linter<'a> {
    fn push(&mut self, code: &str, path: JsonPath, at_name: bool, message: String, help: String) {
        let Some(rule) = rule(code) else { return };
        self.unlocated.push((self.findings.len(), at_name));
        self.findings.push(Finding {
            code: rule.code,
            rule: rule.name,
            severity: rule.severity,
            file: self.file.to_owned(),
            path,
            location: json::Location { line: 1, column: 1 },
            message,
            help,
        });
    }

    /// The raw JSON value at `path`.
    fn raw_at(&self, path: &JsonPath) -> Option<&Value> {
        let mut at = self.raw.as_ref()?;
        for step in path.steps() {
            at = match (step, at) {
                (Step::Key(k), Value::Object(members)) => members.iter().find(|(n, _)| n == k).map(|(_, v)| v)?,
                (Step::Index(i), Value::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(at)
    }

    /// The path of item `i` of a string-or-list element.
    fn item(&self, base: &JsonPath, i: usize) -> JsonPath {
        match self.raw_at(base) {
            Some(Value::Array(_)) => base.index(i),
            _ => base.clone(),
        }
    }

    fn facts(&self, stmt: &'a Statement) -> Facts<'a> {
        let path = JsonPath::root().key("Statement").index(stmt.index());
        let label = match stmt.sid() {
            Some(sid) => format!("statement `{sid}` (Statement[{}])", stmt.index()),
            None => format!("Statement[{}]", stmt.index()),
        };
        let (action_member, ops) = match stmt.actions() {
            ActionSpec::Action(ps) => {
                let mut ops: Vec<&Operation> = Vec::new();
                let mut all = true;
                for p in ps {
                    match (p.has_wildcard(), self.catalog.get(p.as_str())) {
                        (false, Some(op)) => {
                            if !ops.iter().any(|o| std::ptr::eq(*o, op)) {
                                ops.push(op);
                            }
                        }
                        _ => all = false,
                    }
                }
                ("Action", all.then_some(ops))
            }
            ActionSpec::NotAction(_) => ("NotAction", None),
        };
        Facts { stmt, path, label, action_member, ops }
    }

    /// RG208.
    fn non_string_values(&mut self, policy: &Policy) {
        let Some(rule) = rule("RG208") else { return };
        for w in policy.warnings() {
            let help = match w.message().rsplit_once("as the string ") {
                Some((_, quoted)) => format!("write {quoted}: RAM reads condition values as strings"),
                None => rule.help.to_owned(),
            };
            self.findings.push(Finding {
                code: rule.code,
                rule: rule.name,
                severity: rule.severity,
                file: self.file.to_owned(),
                path: w.path().clone(),
                location: w.location(),
                message: w.message().to_owned(),
                help,
            });
        }
    }

    /// RG209.
    fn size(&mut self, policy: &Policy, options: &LintOptions<'_>) {
        let Some(limit) = options.limits.for_kind(policy.kind()) else { return };
        let length = self.text.chars().count();
        if limit == 0 || length.saturating_mul(10) < limit.saturating_mul(9) {
            return;
        }
        let percent = length.saturating_mul(100) / limit;
        let message = format!(
            "the document is {length} characters long, {percent} % of the {limit} allowed for {} policies",
            policy.kind()
        );
        let help = format!(
            "{} more characters and RAM rejects it: remove whitespace, merge statements or split the policy",
            limit.saturating_sub(length) + 1
        );
        self.push("RG209", JsonPath::root(), false, message, help);
    }

    /// Whether the statement covers every resource.
    fn every_resource(stmt: &Statement) -> bool {
        stmt.resources().is_none_or(|rs| rs.iter().any(is_all))
    }

    fn condition_summary(stmt: &Statement) -> String {
        if stmt.conditions().is_empty() {
            return "with no condition".to_owned();
        }
        let keys: Vec<&str> = stmt.conditions().iter().map(Condition::key).collect();
        format!("narrowed only by its conditions on {}", list(&keys, 4))
    }

    /// RG101.
    fn allow_all(&mut self, f: &Facts<'_>) {
        if !self.grants {
            return;
        }
        let (Effect::Allow, ActionSpec::Action(ps)) = (f.stmt.effect(), f.stmt.actions()) else { return };
        if !Self::every_resource(f.stmt) {
            return;
        }
        let Some((i, p)) = ps.iter().enumerate().find(|(_, p)| is_all_actions(p)) else { return };
        let path = self.item(&f.path.key("Action"), i);
        let message =
            format!("{} allows every action (`{p}`) on every resource, {}", f.label, Self::condition_summary(f.stmt));
        let help = "list the actions and resources the holder needs; for deliberate full access attach the \
                    AdministratorAccess system policy instead"
            .to_owned();
        self.push("RG101", path, false, message, help);
    }

    /// RG102.
    fn allow_not_action(&mut self, f: &Facts<'_>) {
        if !self.grants {
            return;
        }
        let (Effect::Allow, ActionSpec::NotAction(ps)) = (f.stmt.effect(), f.stmt.actions()) else { return };
        let excluded: Vec<&str> = ps.iter().map(Pattern::as_str).collect();
        let scope = if Self::every_resource(f.stmt) { "every resource" } else { "its resources" };
        let message = format!(
            "{} allows every action except {} on {scope}, including actions added to RAM later",
            f.label,
            list(&excluded, 3)
        );
        let help = "list the allowed actions in `Action`; keep `NotAction` for `Deny` statements".to_owned();
        self.push("RG102", f.path.key("NotAction"), true, message, help);
    }

    /// RG104.
    fn escalation(&mut self, f: &Facts<'_>) {
        if !self.grants {
            return;
        }
        let (Effect::Allow, ActionSpec::Action(ps)) = (f.stmt.effect(), f.stmt.actions()) else { return };
        if !Self::every_resource(f.stmt) {
            return;
        }
        for (i, p) in ps.iter().enumerate() {
            if is_all_actions(p) {
                continue; // RG101 reports it.
            }
            let granted: Vec<&str> = ESCALATION.iter().copied().filter(|a| p.matches(a)).collect();
            if granted.is_empty() {
                continue;
            }
            let path = self.item(&f.path.key("Action"), i);
            let what = if granted.len() == 1 && !p.has_wildcard() {
                format!("`{p}`")
            } else {
                format!("`{p}`, which includes {}", list(&granted, 3))
            };
            let narrowed = if f.stmt.conditions().is_empty() {
                String::new()
            } else {
                format!(" ({})", Self::condition_summary(f.stmt))
            };
            let message =
                format!("{} allows {what} on every resource{narrowed}: the holder can widen their own rights", f.label);
            let help = "limit `Resource` to the users, roles, groups or policies the holder must manage \
                        (`acs:ram:*:<account-id>:role/<name>`), or grant only read-only RAM actions"
                .to_owned();
            self.push("RG104", path, false, message, help);
        }
    }

    /// The key a folded condition key name stands for, if it is a known one.
    fn known_key(&self, folded: &str) -> Option<String> {
        for family in GLOBAL_NAMES.iter().filter(|n| n.ends_with('/')) {
            let head = folded.get(..family.len()).filter(|h| h.eq_ignore_ascii_case(family));
            if let (Some(_), Some(tag)) = (head, folded.get(family.len()..)) {
                return Some(format!("{family}{tag}"));
            }
        }
        let catalog = self.catalog.operations().iter().flat_map(|op| {
            op.condition_keys
                .iter()
                .flat_map(|k| std::iter::once(k.key.as_str()).chain(k.aliases.iter().map(String::as_str)))
        });
        GLOBAL_NAMES
            .iter()
            .copied()
            .filter(|n| !n.ends_with('/'))
            .chain(catalog)
            .find(|k| invisible::same_name(folded, k))
            .map(str::to_owned)
    }

    /// RG210: one string of the statement.
    fn invisible_in(&mut self, what: &str, text: &str, shape: Shape, path: JsonPath, at_name: bool) {
        let Some(odd) = invisible::inspect(text, shape) else { return };
        let known = match shape {
            Shape::Key => self.known_key(&odd.folded),
            Shape::Action => invisible::known_action(self.catalog, &odd.folded).map(str::to_owned),
            Shape::Resource => None,
        };
        let message = format!("{what} `{}` {}", invisible::display(text), invisible::and_list(&odd.problems));
        let consequence = match shape {
            Shape::Key => "As written it names another key, which no request carries.",
            Shape::Action => "As written it matches no real action.",
            Shape::Resource => {
                "RAM compares ARNs character by character, so as written it matches other resources than it shows."
            }
        };
        let meant = known.clone().unwrap_or_else(|| odd.folded.clone());
        let help = match known {
            Some(k) => format!("did you mean `{k}`? {consequence}"),
            None => format!("write `{}`. {consequence}", odd.folded),
        };
        self.invisible.insert(path.to_string(), meant);
        self.push("RG210", path, at_name, message, help);
    }

    /// RG210: whitespace at an end, invisible characters and lookalikes in
    /// the statement's actions, resources and condition keys.
    fn invisible_characters(&mut self, f: &Facts<'_>) {
        let base = f.path.key(f.action_member);
        for (i, p) in f.stmt.actions().patterns().iter().enumerate() {
            let path = self.item(&base, i);
            self.invisible_in("action", p.as_str(), Shape::Action, path, false);
        }
        let base = f.path.key("Resource");
        for (i, r) in f.stmt.resources().unwrap_or_default().iter().enumerate() {
            let path = self.item(&base, i);
            self.invisible_in("resource", r.as_str(), Shape::Resource, path, false);
        }
        for c in f.stmt.conditions() {
            let path = f.path.key("Condition").key(&c.operator_text()).key(c.key());
            self.invisible_in("condition key", c.key(), Shape::Key, path, true);
        }
    }

    /// The catalog action an exact, uncatalogued action of a catalog service
    /// is most likely a misspelling of.
    fn near_action(&self, action: &str) -> Option<&'a str> {
        let lower = action.to_ascii_lowercase();
        let (service, name) = lower.split_once(':')?;
        if !self.services.contains(service) || self.catalog.get(action).is_some() {
            return None;
        }
        let mut best: Option<(usize, &'a str)> = None;
        for op in self.catalog.operations() {
            let candidate = op.action.to_ascii_lowercase();
            let Some((s, n)) = candidate.split_once(':') else { continue };
            if s != service || plural_pair(name, n) {
                continue;
            }
            let d = levenshtein(name, n);
            if d >= 1 && d <= typo_limit(n.chars().count()) && best.is_none_or(|(b, _)| d < b) {
                best = Some((d, op.action.as_str()));
            }
        }
        best.map(|(_, a)| a)
    }

    /// For a wildcard pattern of a catalog service that matches no catalog
    /// action: the catalog action it most nearly matches.
    fn near_pattern(&self, pattern: &Pattern) -> Option<&'a str> {
        let lower = pattern.as_str().to_ascii_lowercase();
        let (service, name) = lower.split_once(':')?;
        if service.contains(['*', '?']) || !self.services.contains(service) || name.len() > MAX_PATTERN {
            return None;
        }
        if self.catalog.operations().iter().any(|o| pattern.matches(&o.action)) {
            return None;
        }
        let tokens = glob::pattern_tokens(name);
        let literal: String = name.chars().filter(|c| !matches!(c, '*' | '?')).collect();
        let literals = literal.chars().count();
        let limit = typo_limit(literals);
        let mut best: Option<(usize, &'a str)> = None;
        for op in self.catalog.operations() {
            let candidate = op.action.to_ascii_lowercase();
            let Some((s, n)) = candidate.split_once(':') else { continue };
            // Only a pattern that spells out nearly the whole name is read as
            // a misspelling of it: `vpc:DescribeVpc*` is a family of real
            // actions, not a misspelt `vpc:DescribeVpnConnection`.
            if s != service || literals + 2 < n.chars().count() || plural_pair(&literal, n) {
                continue;
            }
            let d = glob::distance(&tokens, n);
            if d >= 1 && d <= limit && best.is_none_or(|(b, _)| d < b) {
                best = Some((d, op.action.as_str()));
            }
        }
        best.map(|(_, a)| a)
    }

    /// RG201, RG202, RG303, and RG103 for a Deny whose every action is misspelt.
    fn action_names(&mut self, f: &Facts<'_>) {
        let base = f.path.key(f.action_member);
        let mut misspelt = Vec::new();
        let patterns = f.stmt.actions().patterns();
        for (i, p) in patterns.iter().enumerate() {
            let path = self.item(&base, i);
            if let Some(meant) = self.invisible.get(&path.to_string()) {
                // RG210 reported it; no real action has such a character.
                misspelt.push(format!("`{}` (did you mean `{meant}`?)", invisible::display(p.as_str())));
                continue;
            }
            if p.has_wildcard() {
                if let Some(near) = self.near_pattern(p) {
                    misspelt.push(format!("`{p}` (near `{near}`)"));
                    let message = format!("`{p}` matches no action of the catalog's `{}` service", service(p));
                    let help = format!("it nearly matches `{near}`: check its spelling");
                    self.push("RG202", path, false, message, help);
                }
            } else if let Some(near) = self.near_action(p.as_str()) {
                misspelt.push(format!("`{p}` (did you mean `{near}`?)"));
                let message = format!("`{p}` is not a known action of `{}`", service(p));
                self.push("RG201", path, false, message, format!("did you mean `{near}`?"));
            } else if let Some(op) = self.catalog.get(p.as_str())
                && op.action != p.as_str()
            {
                let message = format!("`{p}` is written in another case than the catalog's `{}`", op.action);
                self.push("RG303", path, false, message, format!("write `{}`", op.action));
            }
        }
        let whole = misspelt.len() == patterns.len() && !patterns.is_empty();
        if f.stmt.effect() == Effect::Deny && f.action_member == "Action" && whole {
            let message = format!("{} never applies: none of its actions exists: {}", f.label, misspelt.join(", "));
            let help = "fix the action names so that the Deny protects what it was written for".to_owned();
            self.push("RG103", base, false, message, help);
        }
    }

    /// RG203, and RG103 for a Deny none of whose resources fits its actions.
    fn resource_types(&mut self, f: &Facts<'_>) {
        let (Some(ops), Some(resources)) = (&f.ops, f.stmt.resources()) else { return };
        if ops.is_empty() || ops.iter().any(|op| op.resources.iter().any(is_all_resources)) {
            return;
        }
        let mut applicable: Vec<&ResourceTemplate> = Vec::new();
        let mut excluded: Vec<&ResourceTemplate> = Vec::new();
        for op in ops {
            for t in &op.resources {
                if ruled_out(op, t, f.stmt) { excluded.push(t) } else { applicable.push(t) }
            }
        }
        if applicable.is_empty() {
            // The conditions rule out every resource: RG205 or RG103 says why.
            return;
        }
        let templates: Vec<Vec<Tok>> = applicable.iter().map(|t| glob::template_tokens(&t.arn)).collect();
        let base = f.path.key("Resource");
        let actions: Vec<&str> = ops.iter().map(|o| o.action.as_str()).collect();
        let arns: Vec<&str> = applicable.iter().map(|t| t.arn.as_str()).collect();
        let mut mismatched = 0usize;
        for (i, r) in resources.iter().enumerate() {
            let tokens = glob::pattern_tokens(r.as_str());
            let fits = Answer::any(
                templates.iter().map(|t| glob::intersects(&tokens, t, &mut Budget::new(glob::INTERSECT_STEPS))),
            );
            match fits {
                Answer::Yes => continue,
                Answer::No => {}
                Answer::Unknown => {
                    // Taken as fitting: no finding, and the rules say so.
                    self.too_long = true;
                    self.unchecked.insert("RG203");
                    if f.stmt.effect() == Effect::Deny {
                        self.unchecked.insert("RG103");
                    }
                    continue;
                }
            }
            mismatched += 1;
            let path = self.item(&base, i);
            if self.invisible.contains_key(&path.to_string()) {
                continue; // RG210 reported it.
            }
            let types: Vec<&str> = applicable.iter().map(|t| t.resource_type.as_str()).collect();
            let message = format!("`{r}` matches no resource of {} ({})", list(&actions, 3), types.join(", "));
            let mut help = format!("these actions are authorized against {}", list(&arns, 4));
            if !excluded.is_empty() {
                let out: Vec<&str> = excluded.iter().map(|t| t.resource_type.as_str()).collect();
                help.push_str(&format!("; the statement's conditions rule out {}", out.join(", ")));
            }
            self.push("RG203", path, false, message, help);
        }
        if f.stmt.effect() == Effect::Deny && mismatched == resources.len() && mismatched > 0 {
            let message =
                format!("{} never applies: none of its resources can be a resource of {}", f.label, list(&actions, 3));
            let help = format!("write resources of the form {}", list(&arns, 4));
            self.push("RG103", base, false, message, help);
        }
    }

    /// RG204, RG205, and RG103 for a Deny with a condition that never holds.
    fn condition_keys(&mut self, f: &Facts<'_>) {
        for c in f.stmt.conditions() {
            let path = f.path.key("Condition").key(&c.operator_text()).key(c.key());
            let canonical = c.canonical_key();
            let global = global_key(canonical);
            // RG204.
            if let Some(ops) = &f.ops {
                let set_by_any = ops.iter().any(|op| op_key(op, canonical).is_some());
                let reported = self.invisible.contains_key(&path.to_string());
                if global.is_none() && !is_tag_key(canonical) && !set_by_any && !ops.is_empty() && !reported {
                    let actions: Vec<&str> = ops.iter().map(|o| o.action.as_str()).collect();
                    let message = format!(
                        "`{}` is not a global key, and {} {} not set it",
                        c.key(),
                        list(&actions, 3),
                        if actions.len() == 1 { "does" } else { "do" }
                    );
                    let own: Vec<String> =
                        ops.iter().flat_map(|o| o.condition_keys.iter().map(|k| k.key.clone())).collect();
                    let mut candidates: Vec<&str> = GLOBAL_NAMES.to_vec();
                    candidates.extend(own.iter().map(String::as_str));
                    let help = match suggest(c.key(), candidates.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None if own.is_empty() => "these actions set no keys of their own: use a global key such \
                                                   as `acs:SourceIp`, `acs:CurrentTime` or `acs:MFAPresent`"
                            .to_owned(),
                        None => format!("these actions set {}, besides the global `acs:` keys", list(&own, 4)),
                    };
                    self.push("RG204", path.clone(), true, message, help);
                }
            }
            // RG211.
            if c.qualifier().is_none() && self.key_specs(f.stmt, canonical).iter().any(|s| s.multivalued) {
                let (message, help) = missing_qualifier(f.stmt.effect(), c);
                self.push("RG211", path.clone(), true, message, help);
            }
            // RG205: the operator's type against the key's.
            let key_type = if is_tag_key(canonical) {
                None // Tag values are text, but numeric comparisons of them are common.
            } else {
                global.or_else(|| self.key_specs(f.stmt, canonical).first().map(|s| catalog_type(&s.value_type)))
            };
            let op_type = c.operator().value_type();
            if let Some(kt) = key_type {
                if kt != op_type {
                    let message = format!(
                        "`{}` compares {}, but `{}` is {}",
                        c.operator_text(),
                        type_plural(op_type),
                        c.key(),
                        type_noun(kt)
                    );
                    let help = format!("compare `{}` with {}", c.key(), operators_for(kt));
                    self.push("RG205", path.clone(), true, message, help);
                } else if kt == ValueType::String {
                    self.enumerated_values(f, c, &path);
                }
            }
            // RG103: a condition that never holds in a Deny.
            if f.stmt.effect() == Effect::Deny
                && let Some(why) = self.never_holds(f, c)
            {
                let message = format!("{} never applies: {why}", f.label);
                let help = "rewrite the condition so that it can hold, or the Deny protects nothing".to_owned();
                self.push("RG103", path.clone(), true, message, help);
            }
        }
    }

    /// The catalog keys of this name set by the catalog operations the
    /// statement covers. A key that no covered operation sets has no known
    /// type or values here (`InstanceType` in an ECS policy is not the
    /// ExpressConnect Router's).
    fn key_specs(&self, stmt: &Statement, canonical: &str) -> Vec<&'a ConditionKeySpec> {
        self.catalog
            .operations()
            .iter()
            .filter(|op| stmt.actions().matches(&op.action))
            .filter_map(|op| op_key(op, canonical))
            .collect()
    }

    /// RG205: values a catalog key never takes.
    fn enumerated_values(&mut self, f: &Facts<'_>, c: &Condition, path: &JsonPath) {
        let canonical = c.canonical_key();
        let specs = self.key_specs(f.stmt, canonical);
        let mut known: Vec<&str> = Vec::new();
        for spec in &specs {
            if spec.values.is_empty() {
                return; // Some action takes any value.
            }
            for v in &spec.values {
                if !known.contains(&v.as_str()) {
                    known.push(v);
                }
            }
        }
        if known.is_empty() {
            return;
        }
        for (i, v) in c.values().iter().enumerate() {
            let admits = |k: &str| match c.operator() {
                Operator::StringEquals | Operator::StringNotEquals => v == k,
                Operator::StringEqualsIgnoreCase | Operator::StringNotEqualsIgnoreCase => v.eq_ignore_ascii_case(k),
                _ => Pattern::new(v, crate::language::pattern::Case::Sensitive).matches(k),
            };
            if known.iter().any(|k| admits(k)) {
                continue;
            }
            let message = format!("`{v}` is not a value of `{}` ({})", c.key(), known.join(", "));
            let help = match known.iter().find(|k| k.eq_ignore_ascii_case(v)) {
                Some(k) => format!(
                    "`{}` compares case-sensitively: write `{k}`, or use `StringEqualsIgnoreCase`",
                    c.operator_text()
                ),
                None => match suggest(v, known.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the key takes only {}", list(&known, 6)),
                },
            };
            let at = self.item(path, i);
            self.push("RG205", at, false, message, help);
        }
    }

    /// Why a condition of a Deny can never hold, if that is certain.
    fn never_holds(&self, f: &Facts<'_>, c: &Condition) -> Option<String> {
        let canonical = c.canonical_key();
        let positive = !c.operator().is_negated() && c.qualifier() != Some(SetQualifier::ForAllValues);
        // A typed global key compared as a string with values that are not of its type.
        if let Some(kt) = global_key(canonical) {
            let exact = matches!(c.operator(), Operator::StringEquals | Operator::StringEqualsIgnoreCase);
            let parses = |v: &str| match kt {
                ValueType::Ip => value::parse_ipnet(v).is_some(),
                ValueType::Date => value::parse_instant(v).is_some(),
                ValueType::Bool => value::parse_bool(v).is_some(),
                ValueType::Number => value::parse_decimal(v).is_some(),
                ValueType::String => true,
            };
            if positive && exact && kt != ValueType::String && !c.values().iter().any(|v| parses(v)) {
                return Some(format!(
                    "`{}` is always {}, and none of {} is one",
                    c.key(),
                    type_noun(kt),
                    list(c.values(), 3)
                ));
            }
            return None;
        }
        let ops = f.ops.as_ref()?;
        if ops.is_empty() || canonical.starts_with("acs:") || is_tag_key(canonical) {
            return None;
        }
        let mut setters = Vec::new();
        for op in ops {
            let can_hold = match op_key(op, canonical) {
                None => c.holds(&Context::new(), true),
                Some(spec) => {
                    setters.push(spec);
                    let optional = op.parameter(&spec.parameter).is_none_or(|p| !p.required);
                    spec.values.is_empty()
                        || spec.values.iter().any(|v| c.holds(&Context::new().with(c.key(), v.clone()), true))
                        || (optional && c.holds(&Context::new(), true))
                }
            };
            if can_hold {
                return None;
            }
        }
        Some(match setters.first() {
            None => format!("none of its actions sets `{}`, so `{}` on it is never true", c.key(), c.operator_text()),
            Some(spec) => format!(
                "`{}` takes only the values {}, and none of them satisfies `{}` {}",
                c.key(),
                list(&spec.values, 6),
                c.operator_text(),
                list(c.values(), 3)
            ),
        })
    }

    /// RG301 and RG302.
    fn redundant(&mut self, f: &Facts<'_>) {
        let actions = f.stmt.actions().patterns();
        self.redundant_in(actions, &f.path.key(f.action_member), "RG301");
        if let Some(resources) = f.stmt.resources() {
            self.redundant_in(resources, &f.path.key("Resource"), "RG302");
        }
    }

    /// Notes that an unsettled question left `code` not fully checked.
    fn unsettled(&mut self, code: &'static str) {
        if !self.budget.is_spent() {
            self.too_long = true;
        }
        self.unchecked.insert(code);
    }

    fn redundant_in(&mut self, patterns: &[Pattern], base: &JsonPath, code: &'static str) {
        for (j, inner) in patterns.iter().enumerate() {
            let mut unsettled = false;
            let mut by = None;
            for (i, outer) in patterns.iter().enumerate() {
                if i == j {
                    continue;
                }
                match covers(outer, inner, &mut self.budget) {
                    Answer::No => continue,
                    Answer::Unknown => {
                        unsettled = true;
                        continue;
                    }
                    Answer::Yes => {}
                }
                // Two patterns that cover each other: the later one is reported.
                let mutual = if i > j { covers(inner, outer, &mut self.budget) } else { Answer::No };
                match mutual {
                    Answer::No => {
                        by = Some((i, outer));
                        break;
                    }
                    Answer::Unknown => unsettled = true,
                    Answer::Yes => {}
                }
            }
            let Some((i, outer)) = by else {
                if unsettled {
                    self.unsettled(code);
                }
                continue;
            };
            let same = outer.normalized() == inner.normalized();
            let other = self.item(base, i);
            let message = if same {
                format!("`{inner}` repeats `{outer}` at {other}")
            } else {
                format!("`{inner}` is already covered by `{outer}` at {other}")
            };
            let path = self.item(base, j);
            self.push(code, path, false, message, format!("remove `{inner}`"));
        }
    }

    /// RG206 and RG207.
    fn repeated_statements(&mut self, facts: &[Facts<'_>]) {
        for (b, fb) in facts.iter().enumerate() {
            let mut duplicate = None;
            for fa in facts.iter().take(b) {
                // Comparing the two statements' pattern sets: one step per pattern.
                let cost = fa.stmt.actions().patterns().len() + fa.stmt.resources().map_or(0, <[_]>::len) + 1;
                if !self.budget.spend(u64::try_from(cost).unwrap_or(u64::MAX)) {
                    self.unchecked.insert("RG207");
                    break;
                }
                if same_statement(fa.stmt, fb.stmt) {
                    duplicate = Some(fa);
                    break;
                }
            }
            if let Some(fa) = duplicate {
                let message = format!("{} repeats {}", fb.label, fa.label);
                let help = format!("remove {} or {}", fb.label, fa.label);
                self.push("RG207", fb.path.clone(), false, message, help);
                continue;
            }
            let mut unsettled = false;
            let mut shadow = None;
            for (a, fa) in facts.iter().enumerate() {
                if a == b || same_statement(fa.stmt, fb.stmt) {
                    continue;
                }
                match statement_covers(fa.stmt, fb.stmt, &mut self.budget) {
                    Answer::No => continue,
                    Answer::Unknown => {
                        unsettled = true;
                        continue;
                    }
                    Answer::Yes => {}
                }
                // Two statements that cover each other: the later one is reported.
                let mutual = if a > b { statement_covers(fb.stmt, fa.stmt, &mut self.budget) } else { Answer::No };
                match mutual {
                    Answer::No => {
                        shadow = Some(fa);
                        break;
                    }
                    Answer::Unknown => unsettled = true,
                    Answer::Yes => {}
                }
            }
            if shadow.is_none() && unsettled {
                self.unsettled("RG206");
            }
            if let Some(fa) = shadow {
                let (verb, done) =
                    if fb.stmt.effect() == Effect::Allow { ("allows", "allowed") } else { ("denies", "denied") };
                let message = format!("everything {} {verb} is already {done} by {}", fb.label, fa.label);
                let help = format!("remove {}, or narrow {} if it grants too much", fb.label, fa.label);
                self.push("RG206", fb.path.clone(), false, message, help);
            }
        }
    }
}

/// RG211's message and help for an unqualified operator on a multi-valued
/// key. Unqualified, a positive operator holds when any request value matches
/// (`ForAnyValue:`) and a negated one when none does (`ForAllValues:` of the
/// negated operator); what the author probably meant depends on the effect.
fn missing_qualifier(effect: Effect, c: &Condition) -> (String, String) {
    let op = c.operator().name();
    let key = c.key();
    let message = format!("`{op}` on `{key}`, which a request can carry several values of, has no set qualifier");
    let help = match (effect, c.operator().is_negated()) {
        (Effect::Deny, true) => format!(
            "as written the Deny applies only when none of the request's values is listed (`ForAllValues:{op}`), \
             so an unlisted value beside a listed one escapes it; to deny when any value is unlisted, write \
             `ForAnyValue:{op}` (which does not apply when the request carries none)"
        ),
        (Effect::Allow, false) => format!(
            "as written the Allow holds when any one of the request's values is listed (`ForAnyValue:{op}`), even \
             beside unlisted ones; to allow only requests whose every value is listed, write `ForAllValues:{op}` \
             (which also holds when the request carries none)"
        ),
        (Effect::Deny, false) => format!(
            "as written the Deny applies when any of the request's values is listed: write `ForAnyValue:{op}` to \
             say so"
        ),
        (Effect::Allow, true) => format!(
            "as written the Allow holds only when none of the request's values is listed: write \
             `ForAllValues:{op}` to say so"
        ),
    };
    (message, help)
}

/// The service part of an action pattern, for messages.
fn service(p: &Pattern) -> &str {
    p.as_str().split_once(':').map_or(p.as_str(), |(s, _)| s)
}

/// What an operator of a type compares, for messages.
fn type_plural(t: ValueType) -> &'static str {
    match t {
        ValueType::String => "strings",
        ValueType::Number => "numbers",
        ValueType::Date => "dates",
        ValueType::Bool => "booleans",
        ValueType::Ip => "IP addresses",
    }
}

/// Whether the statement's conditions exclude a resource template that
/// applies only to some parameter values (`InstanceType` = `VBR`).
fn ruled_out(op: &Operation, template: &ResourceTemplate, stmt: &Statement) -> bool {
    let Some(when) = &template.when else { return false };
    when.iter().any(|(param, value)| {
        op.condition_keys.iter().filter(|spec| spec.parameter == *param).any(|spec| {
            let names: Vec<String> = spec_names(spec).collect();
            stmt.conditions()
                .iter()
                .filter(|c| names.iter().any(|n| n == c.canonical_key()))
                .any(|c| !c.holds(&Context::new().with(c.key(), value.clone()), true))
        })
    })
}

type ConditionSig = (String, String, BTreeSet<String>);

fn condition_sig(c: &Condition) -> ConditionSig {
    let fold =
        matches!(c.operator(), Operator::StringEqualsIgnoreCase | Operator::StringNotEqualsIgnoreCase | Operator::Bool);
    let values = c.values().iter().map(|v| if fold { v.to_ascii_lowercase() } else { v.clone() }).collect();
    (c.operator_text(), c.canonical_key().to_owned(), values)
}

type PrincipalSig = [BTreeSet<String>; 4];

fn principal_sig(p: &PrincipalSpec) -> PrincipalSig {
    let set = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();
    [set(&p.ram), set(&p.service), set(&p.federated), set(&p.accounts)]
}

fn same_statement(a: &Statement, b: &Statement) -> bool {
    let norm = |ps: &[Pattern]| ps.iter().map(Pattern::normalized).collect::<BTreeSet<_>>();
    let same_actions = match (a.actions(), b.actions()) {
        (ActionSpec::Action(x), ActionSpec::Action(y)) | (ActionSpec::NotAction(x), ActionSpec::NotAction(y)) => {
            norm(x) == norm(y)
        }
        _ => false,
    };
    let conds = |s: &Statement| s.conditions().iter().map(condition_sig).collect::<BTreeSet<_>>();
    a.effect() == b.effect()
        && same_actions
        && a.resources().map(norm) == b.resources().map(norm)
        && a.principal().map(principal_sig) == b.principal().map(principal_sig)
        && conds(a) == conds(b)
}

/// Whether `a` applies to every request that `b` applies to (same effect):
/// its actions and resources cover `b`'s, its principal is `b`'s, and its
/// conditions are among `b`'s; the glob questions within `budget`.
fn statement_covers(a: &Statement, b: &Statement, budget: &mut Budget) -> Answer {
    if a.effect() != b.effect() || a.principal().map(principal_sig) != b.principal().map(principal_sig) {
        return Answer::No;
    }
    let b_conds: BTreeSet<ConditionSig> = b.conditions().iter().map(condition_sig).collect();
    if !a.conditions().iter().all(|c| b_conds.contains(&condition_sig(c))) {
        return Answer::No;
    }
    let resources = match (a.resources(), b.resources()) {
        (None, _) => Answer::Yes,
        (Some(_), None) => Answer::No,
        (Some(x), Some(y)) => Answer::all(y.iter().map(|q| Answer::any(x.iter().map(|p| covers(p, q, budget))))),
    };
    if resources == Answer::No {
        return Answer::No;
    }
    let actions = match (a.actions(), b.actions()) {
        (ActionSpec::Action(x), _) if x.iter().any(is_all_actions) => Answer::Yes,
        (ActionSpec::Action(x), ActionSpec::Action(y)) => {
            Answer::all(y.iter().map(|q| Answer::any(x.iter().map(|p| covers(p, q, budget)))))
        }
        (ActionSpec::NotAction(x), ActionSpec::NotAction(y)) => {
            Answer::all(x.iter().map(|p| Answer::any(y.iter().map(|q| covers(q, p, budget)))))
        }
        (ActionSpec::NotAction(x), ActionSpec::Action(y)) => Answer::all(y.iter().map(|q| {
            let qt = glob::pattern_tokens(&q.normalized());
            Answer::all(x.iter().map(|p| glob::intersects(&glob::pattern_tokens(&p.normalized()), &qt, budget).not()))
        })),
        (ActionSpec::Action(_), ActionSpec::NotAction(_)) => Answer::No,
    };
    actions.and(resources)
}
