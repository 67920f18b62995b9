//! Policy diffs: does a new policy set allow any request the old one denies?
//!
//! The question is answered by evaluation, not by comparing texts. A
//! decision depends on the action, the resource and each condition key only
//! through which patterns and conditions they satisfy, so a finite set of
//! representative values, derived from both sets' own patterns and condition
//! values, stands for every possible request ([`Universe`]). Both sets are
//! evaluated on the requests built from them, and every request that the new
//! set allows and the old one denies is a counterexample. One is reported per
//! action and granting statement, each checked again with the reference
//! evaluator before it is reported.
//!
//! ```
//! use ramguard::diff::{DiffOptions, diff};
//! use ramguard::{Policy, PolicyKind, PolicySet};
//!
//! let old = Policy::parse("ops.json", r#"{"Version": "1", "Statement": [{"Effect": "Allow",
//!     "Action": "vpc:DeleteIpsecServer", "Resource": "acs:vpc:*:*:vpnipsecserver/iss-prod*"}]}"#,
//!     PolicyKind::Identity)?;
//! let new = Policy::parse("ops.json", r#"{"Version": "1", "Statement": [{"Effect": "Allow",
//!     "Action": "vpc:DeleteIpsecServer", "Resource": "acs:vpc:*:*:vpnipsecserver/*"}]}"#,
//!     PolicyKind::Identity)?;
//! let report = diff(&PolicySet::new().with(old), &PolicySet::new().with(new), &DiffOptions::default())?;
//! let found = &report.counterexamples[0];
//! assert_eq!(found.action, "vpc:DeleteIpsecServer");
//! assert!(!found.resource.contains("vpnipsecserver/iss-prod"));
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod prune;
mod strings;
mod values;

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use prune::{About, Flow, SetModel, Walk};
use serde::Serialize;

use crate::engine::compile::{CompileError, CompiledPolicySet};
use crate::engine::decision::{DecidedBy, Outcome};
use crate::engine::eval::{PolicySet, principal_matches};
use crate::engine::request::{Principal, Request};
use crate::language::arn::Arn;
use crate::language::condition::{Condition, Context, canonical_key};
use crate::language::policy::{Effect, Policy, PolicyKind, Statement};
use crate::operations::catalog::{Catalog, CatalogError};

pub use strings::{MatchKind, Representatives, StringPattern, representative_strings};
use strings::{action_representatives, fill, fresh_char};
pub use values::KeyValues;

/// The account used for the default principal when the policies name none.
const FALLBACK_ACCOUNT: &str = "1234567890123456";
/// The region used to fill catalog ARN templates when the policies name none.
const FALLBACK_REGION: &str = "cn-hangzhou";
/// The canonical name of the key that the principal determines.
const PRINCIPAL_ARN: &str = "acs:principalarn";
/// The most automaton states explored for one family of patterns, by default.
pub const MAX_STATES: usize = 20_000;
/// How many characters besides the fresh one fill the wildcards of each
/// `Allow` pattern in the preferred candidates.
const EXTRA_FILLERS: usize = 3;

/// How a diff is run.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// Who asks; by default a RAM user (`test-user`) of the account the
    /// policies' resource patterns name most often, or a session of a role
    /// (`assumed-role/test-role/test-session`) when either set holds a
    /// session policy, since session policies apply only to role sessions.
    pub principal: Option<Principal>,
    /// The catalog whose actions are checked (the built-in one when `None`).
    pub catalog: Option<Catalog>,
    /// The most requests evaluated for one action and resource (and eight
    /// times as many partial contexts visited). The search skips every
    /// partial context under which the new set cannot allow or the old set
    /// must allow; when it still needs more, it stops and the report says it
    /// was not exhaustive.
    pub max_contexts: usize,
    /// The most requests evaluated in all; the search stops there and the
    /// report says it is not complete.
    pub max_requests: u64,
    /// The most automaton states explored for one family of patterns
    /// (actions of one service, or the resources of one action); past it
    /// the representatives are not exact ([`MAX_STATES`] by default).
    pub max_states: usize,
    /// Told how far the search has gone, after each action.
    pub progress: Option<Progress>,
}

impl Default for DiffOptions {
    fn default() -> Self {
        Self {
            principal: None,
            catalog: None,
            max_contexts: 4096,
            max_requests: 2_000_000,
            max_states: MAX_STATES,
            progress: None,
        }
    }
}

/// A function told, as a search goes, how many of its actions it has
/// checked and how many it will check in all (for a progress bar).
#[derive(Clone)]
pub struct Progress(std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>);

impl Progress {
    /// A progress report calling `f(done, total)`.
    pub fn new(f: impl Fn(usize, usize) + Send + Sync + 'static) -> Self {
        Self(std::sync::Arc::new(f))
    }

    fn tell(&self, done: usize, total: usize) {
        (self.0)(done, total);
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// What cut a search short, so that its answer is not a proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Shortfall {
    /// A family of patterns needed more automaton states than
    /// [`DiffOptions::max_states`] (or action patterns of one service
    /// overlapped those of no service in a way the search does not split).
    States,
    /// The values of a condition key cannot cover every case exactly (mixed
    /// operator types, close fractional dates, very long numbers, many
    /// values of a set-qualified key): no option helps.
    Values,
    /// The context search of some action and resource needed more than
    /// [`DiffOptions::max_contexts`] requests.
    Contexts,
    /// [`DiffOptions::max_requests`] stopped the search before every action
    /// was searched.
    Requests,
}

impl Shortfall {
    /// What to do about it, as a sentence fragment.
    pub fn advice(self) -> &'static str {
        match self {
            Shortfall::States => {
                "some patterns needed more automaton states than the budget: raise --max-states (more memory and time)"
            }
            Shortfall::Values => {
                "some condition values cannot be covered exactly (see docs/diff.md, \"Limits\"): no option helps"
            }
            Shortfall::Contexts => {
                "not every combination of condition values was tried for some action and resource: raise --max-contexts"
            }
            Shortfall::Requests => "the request budget ran out before every action was searched: raise --max-requests",
        }
    }
}

/// Why a diff could not be run.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// The built-in catalog could not be read.
    #[error("the built-in catalog: {0}")]
    Catalog(#[from] CatalogError),
    /// A policy set could not be compiled.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// The compiled and the reference evaluator disagreed on a request.
    #[error("the evaluators disagree on `{action}` on `{resource}`; please report this")]
    Disagreement {
        /// The request's action.
        action: String,
        /// The request's resource.
        resource: String,
    },
}

/// A statement, named the way explanations name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementRef {
    /// The policy's name.
    pub policy: String,
    /// The policy's kind.
    pub kind: PolicyKind,
    /// The statement's index in `Statement` (0-based).
    pub statement: usize,
    /// Its `Sid`, when it has one.
    pub sid: Option<String>,
}

impl StatementRef {
    fn of(policy: &Policy, statement: &Statement) -> Self {
        Self {
            policy: policy.name().to_owned(),
            kind: policy.kind(),
            statement: statement.index(),
            sid: statement.sid().map(str::to_owned),
        }
    }
}

/// Why the old set denies a counterexample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OldDenial {
    /// `ExplicitDeny` or `ImplicitDeny`.
    pub outcome: Outcome,
    /// The stage that decided.
    pub decided_by: DecidedBy,
    /// The `Deny` statements that apply (empty for an implicit deny).
    pub denied_by: Vec<StatementRef>,
}

/// A concrete request that the new set allows (and the old set denies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counterexample {
    /// The action.
    pub action: String,
    /// Whether the action is in the catalog (otherwise it was taken from a
    /// policy, or built from an action pattern).
    pub in_catalog: bool,
    /// The resource.
    pub resource: String,
    /// The context: keys as the policies write them; a key not listed is absent.
    pub context: BTreeMap<String, Vec<String>>,
    /// The new set's `Allow` statements (identity or resource policies) that grant it.
    pub granted_by: Vec<StatementRef>,
    /// The stage of the new set that decided.
    pub decided_by: DecidedBy,
    /// Why the old set denies it (absent for `--not-granted` checks).
    pub old: Option<OldDenial>,
}

impl Counterexample {
    /// The request, for `principal`.
    pub fn request(&self, principal: &Principal) -> Request {
        let mut context = Context::new();
        for (key, values) in &self.context {
            context.set(key, values.clone());
        }
        Request::new(principal.clone(), &self.action, &self.resource).with_context(context)
    }
}

/// The result of [`diff`] or [`not_granted`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffReport {
    /// Who asked.
    pub principal: String,
    /// One counterexample per action and granting statement.
    pub counterexamples: Vec<Counterexample>,
    /// How many representative actions were considered.
    pub actions_checked: usize,
    /// How many requests were evaluated.
    pub requests_checked: u64,
    /// Whether the representative values cover every way the patterns and
    /// conditions can turn out.
    pub exact: bool,
    /// Whether the context search of every action and resource finished:
    /// every combination of condition values was tried or ruled out.
    pub exhaustive: bool,
    /// Whether every representative action was searched (false when
    /// [`DiffOptions::max_requests`] stopped the search).
    pub complete: bool,
    /// What the answer rests on that the counts do not say (a session
    /// policy that the principal is not subject to).
    pub notes: Vec<String>,
    /// What cut the search short, in order, each once: empty when `exact`,
    /// `exhaustive` and `complete` all hold.
    pub shortfalls: Vec<Shortfall>,
}

impl DiffReport {
    /// Whether a counterexample was found.
    pub fn found(&self) -> bool {
        !self.counterexamples.is_empty()
    }

    /// Whether the search covered every request: then finding nothing proves
    /// that nothing is granted. When it did not, finding nothing is no answer.
    pub fn conclusive(&self) -> bool {
        self.exact && self.exhaustive && self.complete
    }

    fn fall_short(&mut self, why: Shortfall) {
        match why {
            Shortfall::States | Shortfall::Values => self.exact = false,
            Shortfall::Contexts => self.exhaustive = false,
            Shortfall::Requests => self.complete = false,
        }
        if let Err(at) = self.shortfalls.binary_search(&why) {
            self.shortfalls.insert(at, why);
        }
    }
}

/// A representative action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepresentativeAction {
    /// The action.
    pub action: String,
    /// Whether it is in the catalog.
    pub in_catalog: bool,
}

/// The representative values of one or more policy sets: actions, resources
/// per action, and values per condition key.
#[derive(Debug, Clone)]
pub struct Universe {
    principal: Principal,
    /// Whether a set holds a session policy.
    session: bool,
    catalog: Catalog,
    actions: Vec<RepresentativeAction>,
    /// Every statement of every set.
    statements: Vec<Statement>,
    keys: Vec<KeyValues>,
    key_index: FxHashMap<String, usize>,
    region: String,
    account: String,
    exact: bool,
    /// Why the representatives are not exact, when they are not.
    shortfalls: Vec<Shortfall>,
    max_states: usize,
    /// Characters to fill the wildcards of `Allow` patterns with, besides
    /// the fresh one.
    fillers: Vec<char>,
    /// Why a budget left the representatives inexact, when one did.
    budget_notes: Vec<String>,
}

fn most_frequent<'a>(items: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for item in items {
        *counts.entry(item).or_default() += 1;
    }
    let best = counts.values().copied().max()?;
    counts.into_iter().find(|(_, n)| *n == best).map(|(s, _)| s.to_owned())
}

/// `{#name}` placeholders of a catalog ARN template.
fn placeholders(template: &str) -> impl Iterator<Item = &str> {
    template.split("{#").skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

impl Universe {
    /// The representative values of `sets`, with `extra_actions` (action
    /// patterns such as `vpc:Delete*`) taken into account too.
    pub fn new(sets: &[&PolicySet], extra_actions: &[String], options: &DiffOptions) -> Result<Self, DiffError> {
        let catalog = match &options.catalog {
            Some(c) => c.clone(),
            None => Catalog::builtin()?.clone(),
        };
        let statements: Vec<Statement> =
            sets.iter().flat_map(|s| s.iter()).flat_map(|p| p.statements().iter().cloned()).collect();
        let arns: Vec<Arn> = statements
            .iter()
            .flat_map(|s| s.resources().unwrap_or_default())
            .filter_map(|p| p.as_str().parse::<Arn>().ok())
            .collect();
        let literal = |s: &str| !s.is_empty() && !s.contains(['*', '?']);
        let account = most_frequent(
            arns.iter()
                .map(Arn::account)
                .filter(|a| literal(a) && a.chars().all(|c| c.is_ascii_digit()) && *a != "system"),
        )
        .unwrap_or_else(|| FALLBACK_ACCOUNT.to_owned());
        let region = most_frequent(arns.iter().map(Arn::region).filter(|r| literal(r)))
            .unwrap_or_else(|| FALLBACK_REGION.to_owned());
        // Session policies apply only to role sessions, so a set that holds
        // one is asked about as a session of a role.
        let session = sets.iter().any(|s| !s.policies(PolicyKind::Session).is_empty());
        let principal = match &options.principal {
            Some(p) => p.clone(),
            None if session => Principal::AssumedRole {
                account: account.clone(),
                role: "test-role".to_owned(),
                session: "test-session".to_owned(),
            },
            None => Principal::User { account: account.clone(), name: "test-user".to_owned() },
        };
        let account = principal.account().map_or(account, str::to_owned);

        // Actions: the catalog's, those written literally, and one for each
        // further way the action patterns can match.
        let mut patterns: Vec<StringPattern> = statements
            .iter()
            .flat_map(|s| s.actions().patterns())
            .map(|p| StringPattern::new(p.as_str(), MatchKind::GlobIgnoreCase))
            .collect();
        patterns.extend(extra_actions.iter().map(|a| StringPattern::new(a, MatchKind::GlobIgnoreCase)));
        patterns.sort_by(|a, b| a.text.cmp(&b.text));
        patterns.dedup();
        let mut keep: Vec<String> = catalog.operations().iter().map(|o| o.action.clone()).collect();
        for p in &patterns {
            if !p.text.contains(['*', '?']) && !keep.iter().any(|k| k.eq_ignore_ascii_case(&p.text)) {
                keep.push(p.text.clone());
            }
        }
        let fresh = fresh_char(&patterns);
        let filler: String = std::iter::repeat_n(fresh, 3).collect();
        let fillers = fillers(&statements, &keep);
        let allows: Vec<StringPattern> = statements
            .iter()
            .filter(|s| s.effect() == Effect::Allow)
            .flat_map(|s| s.actions().patterns())
            .map(|p| StringPattern::new(p.as_str(), MatchKind::GlobIgnoreCase))
            .collect();
        let mut prefer: Vec<String> = patterns
            .iter()
            .filter(|p| p.text.contains(['*', '?']))
            .flat_map(|p| [fill(&p.text, &filler, fresh), fill(&p.text, "", fresh)])
            .collect();
        prefer.extend(filled_with(&allows, &fillers));
        let max_states = options.max_states.max(1);
        let reps = action_representatives(&patterns, &keep, &prefer, max_states);
        let mut exact = reps.exact;
        let mut shortfalls = Vec::new();
        if !reps.exact {
            shortfalls.push(Shortfall::States);
        }
        let budget_notes: Vec<String> = reps.budget.iter().cloned().collect();
        let actions = reps
            .strings
            .into_iter()
            .map(|a| RepresentativeAction { in_catalog: catalog.get(&a).is_some(), action: a })
            .collect();

        // Condition keys: every key any statement tests.
        let mut by_key: Vec<(String, String, Vec<&Condition>)> = Vec::new();
        for s in &statements {
            // `acs:PrincipalARN` follows from the principal: it is not varied.
            for c in s.conditions().iter().filter(|c| c.canonical_key() != PRINCIPAL_ARN) {
                match by_key.iter_mut().find(|(k, _, _)| k == c.canonical_key()) {
                    Some((_, _, list)) => list.push(c),
                    None => by_key.push((c.canonical_key().to_owned(), c.key().to_owned(), vec![c])),
                }
            }
        }
        let mut keys = Vec::new();
        let mut key_index = FxHashMap::default();
        for (canonical, written, conditions) in by_key {
            let catalog_values: Vec<String> = catalog
                .operations()
                .iter()
                .flat_map(|o| &o.condition_keys)
                .filter(|k| {
                    canonical_key(&k.key) == canonical || k.aliases.iter().any(|a| canonical_key(a) == canonical)
                })
                .flat_map(|k| k.values.iter().cloned())
                .collect();
            let kv = values::key_values(&written, &conditions, &catalog_values);
            exact &= kv.exact;
            if !kv.exact && !shortfalls.contains(&Shortfall::Values) {
                shortfalls.push(Shortfall::Values);
            }
            key_index.insert(canonical, keys.len());
            keys.push(kv);
        }
        Ok(Self {
            principal,
            session,
            catalog,
            actions,
            statements,
            keys,
            key_index,
            region,
            account,
            exact,
            shortfalls,
            max_states,
            fillers,
            budget_notes,
        })
    }

    /// Who asks.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The representative actions: the catalog's first, then actions written
    /// literally in the policies, then one for each further way the action
    /// patterns can match.
    pub fn actions(&self) -> &[RepresentativeAction] {
        &self.actions
    }

    /// The values tried for each condition key.
    pub fn keys(&self) -> &[KeyValues] {
        &self.keys
    }

    /// The values tried for one key (any spelling), if a policy tests it.
    pub fn key(&self, key: &str) -> Option<&KeyValues> {
        self.key_index.get(&canonical_key(key)).and_then(|&i| self.keys.get(i))
    }

    /// Whether the actions and condition values cover every way the patterns
    /// and conditions can turn out.
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// The representative resources for `action`: the catalog's ARN
    /// templates for it, filled in; the resource patterns of the statements
    /// about it, with their wildcards filled; `*`; and one resource for each
    /// further way those patterns can match.
    pub fn resources(&self, action: &str) -> Representatives {
        let (patterns, keep, prefer) = self.resource_candidates(action);
        representative_strings(&patterns, &keep, &prefer, self.max_states)
    }

    /// The resource patterns about `action`, the catalog's ARNs for it, and
    /// the patterns filled: what [`Universe::resources`] is made from.
    fn resource_candidates(&self, action: &str) -> (Vec<StringPattern>, Vec<String>, Vec<String>) {
        let patterns: Vec<StringPattern> = {
            let mut ps: Vec<StringPattern> = self
                .statements
                .iter()
                .filter(|s| s.actions().matches(action))
                .flat_map(|s| s.resources().unwrap_or_default())
                .map(|p| StringPattern::new(p.as_str(), MatchKind::Glob))
                .collect();
            ps.sort_by(|a, b| a.text.cmp(&b.text));
            ps.dedup();
            // The account boundary tells resources apart by their account
            // field: the principal's, empty, another, or not an ARN at all.
            if self.principal.account().is_some() {
                for account in [self.account.as_str(), "", "*"] {
                    ps.push(StringPattern::new(account, MatchKind::ArnAccount));
                }
            }
            ps
        };
        let fresh = fresh_char(&patterns);
        let filler: String = std::iter::repeat_n(fresh, 3).collect();
        let mut keep = Vec::new();
        if let Some(op) = self.catalog.get(action) {
            for template in &op.resources {
                let mut arn = template.arn.clone();
                for name in placeholders(&template.arn) {
                    let value = match name {
                        "accountId" => self.account.clone(),
                        "regionId" => self.region.clone(),
                        other => {
                            let param = template.bind.get(other).map_or(other, String::as_str);
                            let prefix = op.parameter(param).and_then(|p| p.prefix.clone()).unwrap_or_default();
                            format!("{prefix}{filler}")
                        }
                    };
                    arn = arn.replace(&format!("{{#{name}}}"), &value);
                }
                keep.push(arn);
            }
        }
        // Patterns filled, first with the principal's account wherever the
        // account field is a wildcard, so that counterexamples read as the
        // account's own resources.
        let wild = patterns.iter().filter(|p| p.kind == MatchKind::Glob);
        let mut prefer: Vec<String> = wild
            .clone()
            .filter_map(|p| in_account(&p.text, &self.account))
            .flat_map(|text| [fill(&text, &filler, fresh), fill(&text, "", fresh)])
            .collect();
        prefer.extend(wild.flat_map(|p| [fill(&p.text, &filler, fresh), fill(&p.text, "", fresh)]));
        // The `Allow` patterns filled with other characters too, so that a
        // grant is not starved by denials of one filler.
        let allows: Vec<StringPattern> = self
            .statements
            .iter()
            .filter(|s| s.effect() == Effect::Allow && s.actions().matches(action))
            .flat_map(|s| s.resources().unwrap_or_default())
            .map(|p| StringPattern::new(p.as_str(), MatchKind::Glob))
            .collect();
        prefer.extend(filled_with(&allows, &self.fillers));
        prefer.push("*".to_owned());
        (patterns, keep, prefer)
    }
}

/// Characters, besides the fresh one, to fill wildcards with: those the
/// catalog's action names and the patterns' literals use, least used by the
/// patterns first (a denial must name a character to take it away, so the
/// characters the patterns name least are the likeliest to be left granted),
/// at most [`EXTRA_FILLERS`].
fn fillers(statements: &[Statement], catalog_actions: &[String]) -> Vec<char> {
    let mut uses: BTreeMap<char, usize> = BTreeMap::new();
    for c in catalog_actions.iter().flat_map(|a| a.chars()) {
        uses.entry(c).or_default();
    }
    let texts = statements.iter().flat_map(|s| {
        let actions = s.actions().patterns().iter().map(|p| p.as_str().to_owned()).collect::<Vec<_>>();
        let resources = s.resources().unwrap_or_default().iter().map(|p| p.as_str().to_owned()).collect::<Vec<_>>();
        actions.into_iter().chain(resources)
    });
    for text in texts {
        for c in text.chars().filter(|c| !matches!(c, '*' | '?')) {
            *uses.entry(c).or_default() += 1;
        }
    }
    let mut ranked: Vec<(usize, char)> =
        uses.into_iter().filter(|(c, _)| c.is_alphanumeric()).map(|(c, n)| (n, c)).collect();
    ranked.sort_unstable();
    ranked.into_iter().take(EXTRA_FILLERS).map(|(_, c)| c).collect()
}

/// Each wildcard pattern of `patterns` filled with each of `fillers` (every
/// `*` with one, and every `?`).
fn filled_with(patterns: &[StringPattern], fillers: &[char]) -> Vec<String> {
    patterns
        .iter()
        .filter(|p| p.text.contains(['*', '?']))
        .flat_map(|p| fillers.iter().map(move |&c| fill(&p.text, &c.to_string(), c)))
        .collect()
}

/// `pattern` (a resource pattern) with its account field, when that is a
/// wildcard, set to `account`.
fn in_account(pattern: &str, account: &str) -> Option<String> {
    let arn: Arn = pattern.parse().ok()?;
    let wild = !arn.account().is_empty() && arn.account().chars().all(|c| matches!(c, '*' | '?'));
    wild.then(|| Arn::new(arn.service(), arn.region(), account, arn.relative_id()).to_string())
}

/// Does `new` allow any request that `old` denies? One counterexample per
/// action and granting statement of `new`; none when it grants nothing new.
pub fn diff(old: &PolicySet, new: &PolicySet, options: &DiffOptions) -> Result<DiffReport, DiffError> {
    let universe = Universe::new(&[old, new], &[], options)?;
    Search::new(&universe, new, Some(old), options)?.run(|_| true)
}

/// Does `set` allow any action that matches `actions` (patterns, such as
/// `vpc:Delete*`) on any representative resource and context? Values are
/// derived from `set` and, when given, from `also` (the set it replaces).
pub fn not_granted(
    set: &PolicySet,
    also: Option<&PolicySet>,
    actions: &[String],
    options: &DiffOptions,
) -> Result<DiffReport, DiffError> {
    let sets: Vec<&PolicySet> = std::iter::once(set).chain(also).collect();
    let universe = Universe::new(&sets, actions, options)?;
    let patterns: Vec<StringPattern> =
        actions.iter().map(|a| StringPattern::new(a, MatchKind::GlobIgnoreCase)).collect();
    Search::new(&universe, set, None, options)?.run(|a| patterns.iter().any(|p| p.matches(a)))
}

/// Whether a statement applies to a request, its conditions read the way an
/// `Allow` reads them.
fn allow_applies(statement: &Statement, request: &Request, resource: &str) -> bool {
    statement.actions().matches(request.action())
        && statement.matches_resource(resource)
        && statement.principal().is_none_or(|p| principal_matches(p, request.principal()))
        && statement.conditions().iter().all(|c| c.holds(request.context(), false))
}

struct Search<'a> {
    universe: &'a Universe,
    new: CompiledPolicySet,
    new_source: &'a PolicySet,
    old: Option<(CompiledPolicySet, &'a PolicySet)>,
    /// The new set's `Allow` statements that can grant (identity and resource policies).
    grants: Vec<(&'a Policy, &'a Statement)>,
    max_contexts: usize,
    max_requests: u64,
    progress: Option<Progress>,
}

impl<'a> Search<'a> {
    fn new(
        universe: &'a Universe,
        new: &'a PolicySet,
        old: Option<&'a PolicySet>,
        options: &DiffOptions,
    ) -> Result<Self, DiffError> {
        let service = matches!(universe.principal, Principal::Service { .. });
        let kinds: &[PolicyKind] =
            if service { &[PolicyKind::Resource] } else { &[PolicyKind::Identity, PolicyKind::Resource] };
        let grants = kinds
            .iter()
            .flat_map(|k| new.policies(*k))
            .flat_map(|p| p.statements().iter().map(move |s| (p, s)))
            .filter(|(_, s)| s.effect() == Effect::Allow)
            .collect();
        let old = match old {
            Some(o) => Some((CompiledPolicySet::compile(o.clone())?, o)),
            None => None,
        };
        Ok(Self {
            universe,
            new: CompiledPolicySet::compile(new.clone())?,
            new_source: new,
            old,
            grants,
            max_contexts: options.max_contexts.max(1),
            max_requests: options.max_requests,
            progress: options.progress.clone(),
        })
    }

    fn run(&self, wanted: impl Fn(&str) -> bool) -> Result<DiffReport, DiffError> {
        let mut report = DiffReport {
            principal: self.universe.principal.to_string(),
            counterexamples: Vec::new(),
            actions_checked: 0,
            requests_checked: 0,
            exact: self.universe.exact,
            exhaustive: true,
            complete: true,
            notes: self.universe.budget_notes.clone(),
            shortfalls: self.universe.shortfalls.clone(),
        };
        if self.universe.session && !self.universe.principal.is_role_session() {
            report.notes.push(format!(
                "session policies apply only to role sessions: they were not applied to `{}`",
                self.universe.principal
            ));
        }
        // Actions with the same resource patterns (and no catalog ARNs of their
        // own) share their representative resources.
        let mut cache: FxHashMap<(Vec<String>, Vec<String>), Representatives> = FxHashMap::default();
        let actions: Vec<&RepresentativeAction> = self.universe.actions.iter().filter(|a| wanted(&a.action)).collect();
        for (done, rep) in actions.iter().enumerate() {
            if let Some(progress) = &self.progress {
                progress.tell(done, actions.len());
            }
            if report.requests_checked >= self.max_requests {
                report.fall_short(Shortfall::Requests);
                break;
            }
            report.actions_checked += 1;
            let grants: Vec<usize> = (0..self.grants.len())
                .filter(|&i| self.grants.get(i).is_some_and(|(_, s)| s.actions().matches(&rep.action)))
                .collect();
            if grants.is_empty() {
                continue;
            }
            let (patterns, keep, prefer) = self.universe.resource_candidates(&rep.action);
            let cache_key: (Vec<String>, Vec<String>) =
                (patterns.iter().map(|p| p.text.clone()).collect(), keep.clone());
            let resources = match cache.get(&cache_key) {
                Some(r) => r,
                None => {
                    let r = representative_strings(&patterns, &keep, &prefer, self.universe.max_states);
                    cache.entry(cache_key).or_insert(r)
                }
            };
            if !resources.exact {
                report.fall_short(Shortfall::States);
            }
            if let Some(why) = &resources.budget
                && !report.notes.contains(why)
            {
                report.notes.push(why.clone());
            }
            let about_new = About::new(self.new_source, &rep.action);
            let about_old = self.old.as_ref().map(|(_, o)| About::new(o, &rep.action));
            let about = (&about_new, about_old.as_ref());
            let mut covered = vec![false; self.grants.len()];
            for resource in &resources.strings {
                let here: Vec<usize> = grants
                    .iter()
                    .copied()
                    .filter(|&i| self.grants.get(i).is_some_and(|(_, s)| s.matches_resource(resource)))
                    .collect();
                if here.iter().all(|&i| covered.get(i).copied().unwrap_or(true)) {
                    continue;
                }
                self.resource(rep, about, resource, &here, &mut covered, &mut report)?;
                if !report.complete {
                    break;
                }
            }
        }
        Ok(report)
    }

    /// Tries the contexts for one action and resource.
    fn resource(
        &self,
        rep: &RepresentativeAction,
        (about_new, about_old): (&About<'_>, Option<&About<'_>>),
        resource: &str,
        grants: &[usize],
        covered: &mut [bool],
        report: &mut DiffReport,
    ) -> Result<(), DiffError> {
        // The keys that the statements about this action and resource test.
        let mut keys: Vec<&KeyValues> = Vec::new();
        let about_both = about_new.statements.iter().chain(about_old.iter().flat_map(|a| a.statements.iter()));
        for (_, s) in about_both {
            if !s.matches_resource(resource) {
                continue;
            }
            for c in s.conditions() {
                if let Some(kv) = self.universe.key(c.canonical_key())
                    && !keys.iter().any(|k| std::ptr::eq(*k, kv))
                {
                    keys.push(kv);
                }
            }
        }
        let sizes: Vec<usize> = keys.iter().map(|k| k.choices.len()).collect();
        let key_of = |canonical: &str| {
            self.universe.key(canonical).and_then(|kv| keys.iter().position(|k| std::ptr::eq(*k, kv)))
        };
        let principal = &self.universe.principal;
        let new_model = SetModel::new(about_new, principal, &rep.action, resource, &keys, key_of);
        let old_model = about_old.map(|o| SetModel::new(o, principal, &rep.action, resource, &keys, key_of));
        let mut walk = Walk {
            sizes,
            new: &new_model,
            old: old_model.as_ref(),
            leaves: self.max_contexts,
            nodes: self.max_contexts.saturating_mul(8),
        };
        let mut failure: Option<DiffError> = None;
        let mut visit = |choice: &[usize]| -> Flow {
            let mut context = Context::new();
            let mut shown = BTreeMap::new();
            for (kv, &i) in keys.iter().zip(choice) {
                if let Some(Some(values)) = kv.choices.get(i) {
                    context.set(&kv.key, values.clone());
                    shown.insert(kv.key.clone(), values.clone());
                }
            }
            if report.requests_checked >= self.max_requests {
                report.fall_short(Shortfall::Requests);
                return Flow::Stop;
            }
            let request = Request::new(self.universe.principal.clone(), &rep.action, resource).with_context(context);
            report.requests_checked += 1;
            let decision = self.new.authorize(&request);
            if !decision.outcome.is_allow() {
                return Flow::Continue;
            }
            if let Some((old, _)) = &self.old
                && old.authorize(&request).outcome.is_allow()
            {
                return Flow::Continue;
            }
            let applying: Vec<usize> = grants
                .iter()
                .copied()
                .filter(|&g| self.grants.get(g).is_some_and(|(_, s)| allow_applies(s, &request, resource)))
                .collect();
            if !applying.is_empty() && applying.iter().all(|&g| covered.get(g).copied().unwrap_or(true)) {
                return Flow::Continue;
            }
            match self.record(rep, resource, shown, &request, &applying, decision.decided_by) {
                Ok(c) => report.counterexamples.push(c),
                Err(e) => {
                    failure = Some(e);
                    return Flow::Stop;
                }
            }
            for &g in &applying {
                if let Some(slot) = covered.get_mut(g) {
                    *slot = true;
                }
            }
            if applying.is_empty() || grants.iter().all(|&g| covered.get(g).copied().unwrap_or(true)) {
                Flow::Stop
            } else {
                Flow::Continue
            }
        };
        let finished = walk.run(&mut visit);
        if let Some(e) = failure {
            return Err(e);
        }
        if !finished && (walk.leaves == 0 || walk.nodes == 0) {
            report.fall_short(Shortfall::Contexts);
        }
        Ok(())
    }

    /// Checks a counterexample with the reference evaluator and says why the
    /// old set denies it.
    fn record(
        &self,
        rep: &RepresentativeAction,
        resource: &str,
        context: BTreeMap<String, Vec<String>>,
        request: &Request,
        applying: &[usize],
        decided_by: DecidedBy,
    ) -> Result<Counterexample, DiffError> {
        let disagreement = || DiffError::Disagreement { action: rep.action.clone(), resource: resource.to_owned() };
        if !self.new_source.authorize(request).outcome.is_allow() {
            return Err(disagreement());
        }
        let old = match &self.old {
            Some((compiled, source)) => {
                if source.authorize(request).outcome.is_allow() {
                    return Err(disagreement());
                }
                let e = compiled.explain(request);
                let denied_by = e
                    .matched
                    .iter()
                    .filter(|t| t.effect == Effect::Deny)
                    .map(|t| StatementRef {
                        policy: t.policy.clone(),
                        kind: t.kind,
                        statement: t.statement,
                        sid: t.sid.clone(),
                    })
                    .collect();
                Some(OldDenial { outcome: e.decision, decided_by: e.decided_by, denied_by })
            }
            None => None,
        };
        let granted_by =
            applying.iter().filter_map(|&g| self.grants.get(g)).map(|(p, s)| StatementRef::of(p, s)).collect();
        Ok(Counterexample {
            action: rep.action.clone(),
            in_catalog: rep.in_catalog,
            resource: resource.to_owned(),
            context,
            granted_by,
            decided_by,
            old,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found() {
        let names: Vec<&str> = placeholders("acs:vpc:{#regionId}:{#accountId}:vpc/{#VpcId}").collect();
        assert_eq!(names, ["regionId", "accountId", "VpcId"]);
    }
}
