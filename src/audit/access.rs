//! Who can do what in an account: the principals of a [`Snapshot`], each
//! with its compiled policies, and the `who-can` / `what-can` questions.
//!
//! Every RAM user is a principal with its own policies and its groups'; every
//! role is a principal as its sessions (`assumed-role/<role>/ramguard-audit`)
//! with the role's policies; the account's root identity is a principal that
//! RAM policies do not restrict, apart from control policies whose scope is
//! `All`. The account's control policies bear on every principal.
//!
//! Principals with the same attachments share one [`CompiledPolicySet`]:
//! each distinct set of policies is compiled once.
//!
//! When a question names no resource, it is answered "on some resource": for
//! each principal, witness resources are built from the resource patterns of
//! its own `Allow` statements for the action, intersected with the action's
//! ARN templates from the catalog (or, for an action the catalog does not
//! know, with any ARN of the account, and `*` for "All Resources"). Each
//! witness is a concrete resource decided by the compiled set like any other
//! request, so a pattern whose every resource a `Deny` cuts away yields no
//! grant. A grant found this way is real (the witness is allowed); a witness
//! search can miss a grant only where a `Deny` cuts the very resources the
//! witnesses stand for.
//!
//! Each witness search has a budget ([`WITNESS_STEPS`] steps per resource
//! pattern and ARN template). A principal with no allowed witness and a
//! search that ran out is reported as undecided, never as not allowed; a
//! `Deny` whose overlap with a granted pattern could not be settled within
//! [`INTERSECT_STEPS`] steps is listed as possibly overlapping.
//!
//! ```
//! use std::path::Path;
//!
//! use ramguard::access::{AccessModel, WhoCanQuery};
//! use ramguard::catalog::Catalog;
//! use ramguard::snapshot::Snapshot;
//! use ramguard::Context;
//!
//! let snapshot = Snapshot::load(Path::new("tests/snapshots/account.json"))?;
//! let model = AccessModel::new(&snapshot)?;
//! let query = WhoCanQuery {
//!     action: "vpc:DeleteIpsecServer".to_owned(),
//!     resources: Vec::new(),
//!     context: Context::new(),
//! };
//! let report = model.who_can(&query, Catalog::builtin()?)?;
//! assert!(report.is_decided());
//! let allowed: Vec<&str> = report.allowed.iter().map(|g| g.name.as_str()).collect();
//! assert_eq!(allowed, ["alice", "bob", "ops"]);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use serde::Serialize;

use crate::audit::glob::{self, Answer as Settled, Budget, Placeholder, Witness};
use crate::engine::compile::{CompileError, CompiledPolicySet};
use crate::engine::decision::{Explanation, Outcome, StatementTrace};
use crate::engine::eval::{PolicySet, in_own_account, is_assume_role};
use crate::language::condition::{Context, canonical_key};
use crate::operations::catalog::{Catalog, Operation};

pub use crate::audit::glob::{INTERSECT_STEPS, WITNESS_STEPS};
use crate::audit::snapshot::{EffectScope, PolicyRef, Snapshot};
use crate::engine::request::{Principal, Request};
use crate::language::pattern::Pattern;
use crate::language::policy::{Effect, Policy, PolicyKind};

/// The session name used for roles' sessions.
pub const AUDIT_SESSION: &str = "ramguard-audit";

/// The name of the policy that stands for the root identity's unrestricted access.
const ROOT_POLICY: &str = "root identity";

/// What kind of identity a principal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    /// A RAM user.
    User,
    /// A RAM role, as its sessions.
    Role,
    /// The account's root identity.
    Root,
}

impl PrincipalKind {
    /// `user`, `role` or `root`.
    pub fn name(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Role => "role",
            PrincipalKind::Root => "root",
        }
    }
}

/// A principal of the account, with the policies that bear on it.
#[derive(Debug, Clone)]
pub struct AuditPrincipal {
    kind: PrincipalKind,
    name: String,
    arn: String,
    principal: Principal,
    set: usize,
    /// Each attached policy's name and how it is attached (`user`, `group <name>`, `role`).
    attachments: Vec<(String, String)>,
}

impl AuditPrincipal {
    /// User, role or root.
    pub fn kind(&self) -> PrincipalKind {
        self.kind
    }
    /// The user or role name (`root` for the root identity).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The principal's ARN: `acs:ram::<uid>:user/<name>`, `role/<name>` or `root`.
    pub fn arn(&self) -> &str {
        &self.arn
    }
    /// The identity that requests are made as (a role's session for a role).
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// How the principal has a policy: `user` (attached to the user),
    /// `group <name>`, or `role`; empty for policies not attached to it
    /// (control and trust policies).
    pub fn attached_via(&self, policy: &str) -> Vec<String> {
        self.attachments.iter().filter(|(name, _)| name == policy).map(|(_, via)| via.clone()).collect()
    }

    /// The granting statements, sorted, with how each policy is attached.
    fn refs(&self, statements: BTreeSet<AttachedStatement>) -> Vec<AttachedStatement> {
        statements
            .into_iter()
            .map(|mut s| {
                if s.kind == PolicyKind::Identity {
                    s.via = self.attached_via(&s.policy);
                }
                s
            })
            .collect()
    }
}

/// Why an access model could not be built or a question answered.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// A policy set could not be compiled.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// An attachment names a policy that the snapshot does not hold.
    #[error("{policy_type} policy `{name}` is attached but its document is not in the snapshot")]
    MissingPolicy {
        /// `System` or `Custom`.
        policy_type: String,
        /// The policy's name.
        name: String,
    },
    /// A user is in a group that the snapshot does not have.
    #[error("user `{user}` is in group `{group}`, which the snapshot does not have")]
    UnknownGroup {
        /// The user.
        user: String,
        /// The group.
        group: String,
    },
    /// A principal that the snapshot does not have.
    #[error("no principal `{input}` in the snapshot: give a user or role name, its ARN, or `root`")]
    UnknownPrincipal {
        /// What was asked for.
        input: String,
    },
    /// A name that is both a user's and a role's.
    #[error("`{input}` is both a user and a role: give its ARN")]
    Ambiguous {
        /// What was asked for.
        input: String,
    },
}

/// A statement as it bears on one principal: which policy, which statement,
/// and how the principal has the policy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct AttachedStatement {
    /// The policy's name.
    pub policy: String,
    /// The policy's kind.
    pub kind: PolicyKind,
    /// The statement's index in the policy (0-based).
    pub statement: usize,
    /// The statement's `Sid`, when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// For an identity policy, how the principal has it: `user`,
    /// `group <name>` or `role` (several when attached more than once).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
}

impl AttachedStatement {
    fn of(trace: &StatementTrace) -> Self {
        Self {
            policy: trace.policy.clone(),
            kind: trace.kind,
            statement: trace.statement,
            sid: trace.sid.clone(),
            via: Vec::new(),
        }
    }
}

impl std::fmt::Display for AttachedStatement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.policy, self.statement)?;
        if let Some(sid) = &self.sid {
            write!(f, " ({sid})")?;
        }
        if !self.via.is_empty() {
            write!(f, " via {}", self.via.join(" and "))?;
        }
        Ok(())
    }
}

/// A `who-can` question.
#[derive(Debug, Clone, Default)]
pub struct WhoCanQuery {
    /// The action (`vpc:DeleteIpsecServer`).
    pub action: String,
    /// The resources; empty means "on some resource".
    pub resources: Vec<String>,
    /// The request context (`acs:PrincipalARN` is filled per principal).
    pub context: Context,
}

/// A principal that may perform the action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// The principal's ARN.
    pub principal: String,
    /// User, role or root.
    pub kind: PrincipalKind,
    /// The user or role name.
    pub name: String,
    /// The resources it was decided on: those asked about, or the witnesses found.
    pub resources: Vec<String>,
    /// The statements that grant it (identity and trust statements that applied).
    pub granted_by: Vec<AttachedStatement>,
}

/// A principal that would be allowed if condition keys the request lacks
/// were supplied (and held).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionalGrant {
    /// The principal's ARN.
    pub principal: String,
    /// User, role or root.
    pub kind: PrincipalKind,
    /// The user or role name.
    pub name: String,
    /// The resources it was decided on.
    pub resources: Vec<String>,
    /// The keys whose absence made the granting statements' conditions fail.
    pub missing_context_keys: Vec<String>,
    /// The `Allow` statements that would then apply.
    pub statements: Vec<AttachedStatement>,
}

/// A principal whose answer is unknown: no witness it was decided on is
/// allowed, but a witness search ran out of its budget, so a grant may
/// have been missed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Undecided {
    /// The principal's ARN.
    pub principal: String,
    /// User, role or root.
    pub kind: PrincipalKind,
    /// The user or role name.
    pub name: String,
    /// Why: which searches ran out.
    pub reason: String,
}

/// The answer to a `who-can` question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhoCanReport {
    /// The action asked about.
    pub action: String,
    /// The resources asked about; empty for "on some resource".
    pub resources: Vec<String>,
    /// The RAM users and roles that may.
    pub allowed: Vec<Grant>,
    /// The RAM users and roles that would, given the missing condition keys.
    pub conditional: Vec<ConditionalGrant>,
    /// The RAM users and roles whose answer is unknown (a search ran out of
    /// its budget): neither allowed nor known not to be.
    pub undecided: Vec<Undecided>,
    /// The root identity's answer, apart because RAM policies do not restrict it.
    pub root: RootAnswer,
}

impl WhoCanReport {
    /// Whether every principal's answer is known (nobody is undecided).
    pub fn is_decided(&self) -> bool {
        self.undecided.is_empty() && self.root.undecided.is_none()
    }
}

/// Whether the account's root identity may perform the action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootAnswer {
    /// `acs:ram::<uid>:root`.
    pub principal: String,
    /// Whether it may.
    pub allowed: bool,
    /// The resources decided on (the witness when none was asked about).
    pub resources: Vec<String>,
    /// What grants it: the root identity itself, or a trust policy.
    pub granted_by: Vec<AttachedStatement>,
    /// Why not, when a rule of RAM's rather than a policy refuses it (the
    /// root identity cannot call `sts:AssumeRole`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When `allowed` is false but a witness search ran out of its budget,
    /// why the answer is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undecided: Option<String>,
}

impl RootAnswer {
    /// Whether the root may because RAM policies do not restrict it (rather
    /// than because a trust policy names it).
    pub fn by_root_identity(&self) -> bool {
        self.allowed && !self.granted_by.is_empty() && self.granted_by.iter().all(|g| g.policy == ROOT_POLICY)
    }
}

/// One resource pattern on which a principal may perform an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceGrant {
    /// The resource pattern of the granting statements (a role's ARN for `sts:AssumeRole`).
    pub pattern: String,
    /// A resource within the pattern that the principal may act on.
    pub witness: String,
    /// The statements that grant it.
    pub granted_by: Vec<AttachedStatement>,
    /// `Deny` statements for the action whose resources overlap the pattern:
    /// they cut part of it away, or all of it under conditions.
    pub partially_denied_by: Vec<AttachedStatement>,
    /// `Deny` statements for the action whose overlap with the pattern could
    /// not be settled within the budget: they may cut part of it away.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub possibly_denied_by: Vec<AttachedStatement>,
}

/// A resource pattern of a principal's `Allow` statements whose grant is
/// unknown: no witness found for it is allowed, but a witness search ran
/// out of its budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndecidedGrant {
    /// The action.
    pub action: String,
    /// The resource pattern.
    pub pattern: String,
    /// Why: which searches ran out.
    pub reason: String,
}

/// An action a principal may perform, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionGrant {
    /// The action.
    pub action: String,
    /// The resource patterns.
    pub resources: Vec<ResourceGrant>,
}

/// The answer to a `what-can` question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhatCanReport {
    /// The principal's ARN.
    pub principal: String,
    /// User, role or root.
    pub kind: PrincipalKind,
    /// The catalog actions it may perform.
    pub actions: Vec<ActionGrant>,
    /// The action and resource patterns whose grant is unknown (a search ran
    /// out of its budget).
    pub undecided: Vec<UndecidedGrant>,
}

impl WhatCanReport {
    /// Whether every answer is known: no grant undecided and no `Deny`
    /// whose overlap with a grant is unsettled.
    pub fn is_decided(&self) -> bool {
        self.undecided.is_empty()
            && self.actions.iter().all(|a| a.resources.iter().all(|r| r.possibly_denied_by.is_empty()))
    }
}

/// An account's principals with their compiled policy sets.
#[derive(Debug, Clone)]
pub struct AccessModel {
    account: String,
    principals: Vec<AuditPrincipal>,
    root: AuditPrincipal,
    /// The distinct policy sets: each principal's policies and the control
    /// policies that bear on it.
    sets: Vec<PolicySet>,
    /// Each set compiled, once [`AccessModel::policy_set`] or `what-can`
    /// has needed it (`who-can` compiles the sets it needs one at a time and
    /// lets each go, so that a question over the whole account holds one).
    compiled: Vec<OnceLock<Result<CompiledPolicySet, CompileError>>>,
    /// For each set, whether it decides alike for every principal of one
    /// kind (see [`principal_free`]).
    principal_free: Vec<bool>,
    /// Each role's ARN and trust policy.
    roles: Vec<(String, Policy)>,
}

/// One principal's answer to a `who-can` question.
#[derive(Debug, Clone, Default)]
struct Answer {
    granted: Vec<String>,
    statements: BTreeSet<AttachedStatement>,
    /// Resources, missing keys, and the statements they would turn on.
    conditional: Vec<(Vec<String>, Vec<String>, BTreeSet<AttachedStatement>)>,
}

/// Witness resources, and the searches that ran out of budget.
#[derive(Debug, Clone, Default)]
struct Witnesses {
    found: Vec<String>,
    /// One line per search that ran out: the pattern and the template.
    unknown: Vec<String>,
}

impl Witnesses {
    /// Why a question over these witnesses is undecided.
    fn reason(&self) -> Option<String> {
        let first = self.unknown.first()?;
        let more = match self.unknown.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        Some(format!(
            "the witness search for {first}{more} ran out of its budget of {} steps before finding a resource or proving there is none",
            glob::thousands(WITNESS_STEPS)
        ))
    }
}

/// What decides a request: a principal's compiled set, or, for
/// `sts:AssumeRole` on a role of the snapshot, its policies with the role's
/// trust policy, decided by the reference evaluator (which gives the
/// compiled set's decisions) rather than compiled for one question.
enum Decider<'a> {
    Compiled(&'a CompiledPolicySet),
    Reference(PolicySet),
}

impl Decider<'_> {
    fn authorize(&self, request: &Request) -> Outcome {
        match self {
            Decider::Compiled(set) => set.authorize(request).outcome,
            Decider::Reference(set) => set.authorize(request).outcome,
        }
    }

    fn explain(&self, request: &Request) -> Explanation {
        match self {
            Decider::Compiled(set) => set.explain(request),
            Decider::Reference(set) => set.explain(request),
        }
    }
}

impl AccessModel {
    /// Builds the principals of a snapshot and their distinct policy sets.
    /// Principals with the same policies (however attached) share one set;
    /// a set's policies share their statements with the snapshot's, and it
    /// is compiled when a question needs it (see [`AccessModel::who_can`]).
    pub fn new(snapshot: &Snapshot) -> Result<Self, AccessError> {
        let account = snapshot.account_id.clone();
        let control: Vec<&Policy> = snapshot.control_policies.iter().map(|c| &c.document).collect();
        let mut sets: Vec<PolicySet> = Vec::new();
        let mut by_key: HashMap<Vec<PolicyRef>, usize> = HashMap::new();
        let mut set_for = |mut refs: Vec<PolicyRef>| -> Result<usize, AccessError> {
            refs.sort();
            refs.dedup();
            if let Some(&index) = by_key.get(&refs) {
                return Ok(index);
            }
            let mut set = PolicySet::new();
            for r in &refs {
                let policy = snapshot.policies.get(r).ok_or_else(|| AccessError::MissingPolicy {
                    policy_type: r.policy_type.name().to_owned(),
                    name: r.name.clone(),
                })?;
                set.add(policy.document.clone());
            }
            for c in &control {
                set.add((*c).clone());
            }
            sets.push(set);
            let index = sets.len() - 1;
            by_key.insert(refs, index);
            Ok(index)
        };
        let mut principals = Vec::new();
        for user in &snapshot.users {
            let mut refs = user.policies.clone();
            let mut attachments: Vec<(String, String)> =
                user.policies.iter().map(|r| (r.name.clone(), "user".to_owned())).collect();
            for group in &user.groups {
                let g = snapshot
                    .groups
                    .iter()
                    .find(|g| g.name == *group)
                    .ok_or_else(|| AccessError::UnknownGroup { user: user.name.clone(), group: group.clone() })?;
                refs.extend(g.policies.iter().cloned());
                attachments.extend(g.policies.iter().map(|r| (r.name.clone(), format!("group {group}"))));
            }
            principals.push(AuditPrincipal {
                kind: PrincipalKind::User,
                name: user.name.clone(),
                arn: format!("acs:ram::{account}:user/{}", user.name),
                principal: Principal::User { account: account.clone(), name: user.name.clone() },
                set: set_for(refs)?,
                attachments,
            });
        }
        for role in &snapshot.roles {
            principals.push(AuditPrincipal {
                kind: PrincipalKind::Role,
                name: role.name.clone(),
                arn: role.arn.clone(),
                principal: Principal::AssumedRole {
                    account: account.clone(),
                    role: role.name.clone(),
                    session: AUDIT_SESSION.to_owned(),
                },
                set: set_for(role.policies.clone())?,
                attachments: role.policies.iter().map(|r| (r.name.clone(), "role".to_owned())).collect(),
            });
        }
        // The root identity: allowed everything, within control policies scoped `All`.
        let mut builder = PolicySet::new();
        let root_policy = Policy::parse(
            ROOT_POLICY,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            PolicyKind::Identity,
        )
        .map_err(|e| AccessError::Compile(CompileError::Pattern { pattern: "*".to_owned(), reason: e.to_string() }))?;
        builder.add(root_policy);
        for c in snapshot.control_policies.iter().filter(|c| c.scope == EffectScope::All) {
            builder.add(c.document.clone());
        }
        sets.push(builder);
        let root = AuditPrincipal {
            kind: PrincipalKind::Root,
            name: "root".to_owned(),
            arn: format!("acs:ram::{account}:root"),
            principal: Principal::Root { account: account.clone() },
            set: sets.len() - 1,
            attachments: Vec::new(),
        };
        let roles = snapshot.roles.iter().map(|r| (r.arn.clone(), r.trust.clone())).collect();
        let principal_free = sets.iter().map(principal_free).collect();
        let compiled = sets.iter().map(|_| OnceLock::new()).collect();
        Ok(Self { account, principals, root, sets, compiled, principal_free, roles })
    }

    /// The account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The RAM users, then the roles.
    pub fn principals(&self) -> &[AuditPrincipal] {
        &self.principals
    }

    /// The account's root identity.
    pub fn root(&self) -> &AuditPrincipal {
        &self.root
    }

    /// How many distinct policy sets the principals have (the root's
    /// included): each is compiled at most once per question.
    pub fn compiled_sets(&self) -> usize {
        self.sets.len()
    }

    /// The compiled policy set of a principal (without trust policies),
    /// compiled on first use and kept; `None` if it does not compile.
    pub fn policy_set(&self, principal: &AuditPrincipal) -> Option<&CompiledPolicySet> {
        self.kept(principal.set)?.as_ref().ok()
    }

    /// Set `index`, compiled and kept.
    fn kept(&self, index: usize) -> Option<&Result<CompiledPolicySet, CompileError>> {
        let source = self.sets.get(index)?;
        Some(self.compiled.get(index)?.get_or_init(|| CompiledPolicySet::compile(source.clone())))
    }

    /// Set `index` compiled: the kept one if there is one, else compiled
    /// now and not kept.
    fn compile(&self, index: usize) -> Result<CompiledPolicySet, AccessError> {
        if let Some(kept) = self.compiled.get(index).and_then(OnceLock::get) {
            return Ok(kept.clone()?);
        }
        Ok(CompiledPolicySet::compile(self.sets.get(index).cloned().unwrap_or_default())?)
    }

    /// Finds a principal by name, by ARN (a user's, a role's, a role
    /// session's), or `root`.
    pub fn find(&self, input: &str) -> Result<&AuditPrincipal, AccessError> {
        let unknown = || AccessError::UnknownPrincipal { input: input.to_owned() };
        if input == "root" || input == self.root.arn {
            return Ok(&self.root);
        }
        if input.starts_with("acs:") {
            let parsed: Principal = input.parse().map_err(|_| unknown())?;
            let wanted = match parsed {
                Principal::AssumedRole { account, role, .. } => format!("acs:ram::{account}:role/{role}"),
                other => other.to_string(),
            };
            return self.principals.iter().find(|p| p.arn == wanted).ok_or_else(unknown);
        }
        let mut found = self.principals.iter().filter(|p| p.name == input);
        match (found.next(), found.next()) {
            (Some(p), None) => Ok(p),
            (Some(_), Some(_)) => Err(AccessError::Ambiguous { input: input.to_owned() }),
            _ => Err(unknown()),
        }
    }

    /// Every principal that may perform the action, and those that would
    /// with missing condition keys.
    ///
    /// The principals are decided set by set: each distinct policy set is
    /// compiled once for the question and let go before the next. Principals
    /// of one kind with the same set are decided once, the others taking the
    /// first one's answer with their own attachments, unless the set names
    /// principals or reads `acs:PrincipalARN`, or the action is
    /// `sts:AssumeRole` (decided with each role's trust policy).
    pub fn who_can(&self, query: &WhoCanQuery, catalog: &Catalog) -> Result<WhoCanReport, AccessError> {
        self.who_can_with(query, catalog, true)
    }

    /// [`AccessModel::who_can`], sharing answers between principals that
    /// decide alike or, without `share`, deciding every principal on its own.
    fn who_can_with(&self, query: &WhoCanQuery, catalog: &Catalog, share: bool) -> Result<WhoCanReport, AccessError> {
        let action = query.action.as_str();
        let operation = catalog.get(action);
        let mut allowed = Vec::new();
        let mut conditional = Vec::new();
        let mut undecided = Vec::new();
        let mut root = RootAnswer {
            principal: self.root.arn.clone(),
            allowed: false,
            resources: Vec::new(),
            granted_by: Vec::new(),
            reason: is_assume_role(action)
                .then(|| "the root identity cannot call sts:AssumeRole, whatever a trust policy says".to_owned()),
            undecided: None,
        };
        // Sts:AssumeRole without a resource: every role each principal may assume.
        let every_role = query.resources.is_empty() && is_assume_role(action);
        // The principals are decided set by set, each set compiled once and
        // let go before the next, and the answers reported in the principals'
        // order. Within a set, principals that decide alike share one answer.
        let everyone: Vec<&AuditPrincipal> = self.principals.iter().chain(std::iter::once(&self.root)).collect();
        let mut order: Vec<usize> = (0..everyone.len()).collect();
        order.sort_by_key(|&i| everyone.get(i).map(|p| p.set));
        let mut answers: Vec<Option<(Answer, Option<String>)>> = vec![None; everyone.len()];
        let mut current: Option<(usize, CompiledPolicySet, Witnesses)> = None;
        let mut shared: HashMap<PrincipalKind, Answer> = HashMap::new();
        // The groups of resources to try, each decided as one request: the
        // question's resources, every role, or (`None`) each set's witnesses.
        let by_witness = query.resources.is_empty() && !every_role;
        let fixed: Option<Vec<Vec<String>>> = if !query.resources.is_empty() {
            Some(vec![query.resources.clone()])
        } else if every_role {
            Some(self.roles.iter().map(|(arn, _)| vec![arn.clone()]).collect())
        } else {
            None
        };
        for i in order {
            let Some(p) = everyone.get(i).copied() else { continue };
            if current.as_ref().map(|(index, ..)| *index) != Some(p.set) {
                // The previous set goes before the next is compiled.
                drop(current.take());
                shared.clear();
                let set = self.compile(p.set)?;
                let witnesses =
                    if by_witness { self.witnesses_for(p, action, operation) } else { Witnesses::default() };
                current = Some((p.set, set, witnesses));
            }
            let Some((_, set, witnesses)) = &current else { continue };
            let gave_up = if by_witness { witnesses.reason() } else { None };
            let key = (share && self.shares(p, action)).then_some(p.kind);
            let answer = match key.and_then(|key| shared.get(&key)) {
                Some(answer) => answer.clone(),
                None => {
                    let found: Vec<Vec<String>>;
                    let candidates = match &fixed {
                        Some(candidates) => candidates,
                        None => {
                            found = witnesses.found.iter().map(|w| vec![w.clone()]).collect();
                            &found
                        }
                    };
                    let answer = self.answer(p, set, action, candidates, every_role, &query.context)?;
                    if let Some(key) = key {
                        shared.insert(key, answer.clone());
                    }
                    answer
                }
            };
            // No witness allowed, and a search that ran out: the grant may
            // stand on a resource the search did not reach.
            let gave_up = gave_up.filter(|_| answer.granted.is_empty());
            if let Some(slot) = answers.get_mut(i) {
                *slot = Some((answer, gave_up));
            }
        }
        drop(current);
        for (p, slot) in everyone.into_iter().zip(answers) {
            let Some((answer, gave_up)) = slot else { continue };
            if p.kind == PrincipalKind::Root {
                root.allowed = !answer.granted.is_empty();
                root.resources = answer.granted;
                root.granted_by = p.refs(answer.statements);
                root.undecided = gave_up;
                continue;
            }
            if let Some(reason) = gave_up {
                undecided.push(Undecided { principal: p.arn.clone(), kind: p.kind, name: p.name.clone(), reason });
            }
            if !answer.granted.is_empty() {
                allowed.push(Grant {
                    principal: p.arn.clone(),
                    kind: p.kind,
                    name: p.name.clone(),
                    resources: answer.granted,
                    granted_by: p.refs(answer.statements),
                });
            }
            for (resources, keys, statements) in answer.conditional {
                conditional.push(ConditionalGrant {
                    principal: p.arn.clone(),
                    kind: p.kind,
                    name: p.name.clone(),
                    resources,
                    missing_context_keys: keys,
                    statements: p.refs(statements),
                });
            }
        }
        Ok(WhoCanReport {
            action: query.action.clone(),
            resources: query.resources.clone(),
            allowed,
            conditional,
            undecided,
            root,
        })
    }

    /// Whether `p`'s answer for `action` is every principal's of its kind
    /// with its compiled set. Decisions depend on the principal beyond its
    /// policies only through its kind, its account (one for the whole
    /// model), `acs:PrincipalARN` and the principals a trust policy names:
    /// so not for `sts:AssumeRole` (decided with the role's trust policy),
    /// nor for a set that names principals or reads `acs:PrincipalARN`, nor
    /// for the root identity (a principal of its own).
    fn shares(&self, p: &AuditPrincipal, action: &str) -> bool {
        p.kind != PrincipalKind::Root
            && !is_assume_role(action)
            && self.principal_free.get(p.set).copied().unwrap_or(false)
    }

    /// One principal's answer over candidate resource groups: the first
    /// allowed group (every allowed group with `every`), the statements that
    /// grant it, and, when nothing is granted (for `every`, per group not
    /// granted), the first group that missing condition keys would grant.
    fn answer(
        &self,
        p: &AuditPrincipal,
        set: &CompiledPolicySet,
        action: &str,
        candidates: &[Vec<String>],
        every: bool,
        context: &Context,
    ) -> Result<Answer, AccessError> {
        let mut answer = Answer::default();
        let mut denied = Vec::new();
        for resources in candidates {
            let (outcome, _) = self.evaluate(p, set, action, resources, context, false)?;
            if outcome != Outcome::Allow {
                denied.push((resources, outcome));
                continue;
            }
            let (_, explanations) = self.evaluate(p, set, action, resources, context, true)?;
            answer.statements.extend(granting(&explanations));
            answer.granted.extend(resources.iter().cloned());
            if !every {
                return Ok(answer);
            }
        }
        for (resources, outcome) in denied {
            if outcome == Outcome::ExplicitDeny {
                continue;
            }
            let (_, explanations) = self.evaluate(p, set, action, resources, context, true)?;
            if let Some((keys, statements)) = near_miss(&explanations, &p.principal, action) {
                answer.conditional.push((resources.clone(), keys, statements));
                if !every {
                    break;
                }
            }
        }
        Ok(answer)
    }

    /// Every catalog action the principal may perform, with the resource
    /// patterns it may perform it on and the granting statements.
    pub fn what_can(
        &self,
        principal: &AuditPrincipal,
        catalog: &Catalog,
        context: &Context,
    ) -> Result<WhatCanReport, AccessError> {
        let set = self.compile(principal.set)?;
        let mut actions = Vec::new();
        let mut undecided = Vec::new();
        for operation in catalog.operations() {
            let action = operation.action.as_str();
            let mut resources = Vec::new();
            if is_assume_role(action) {
                for (arn, _) in &self.roles {
                    let one = std::slice::from_ref(arn);
                    let (outcome, explanations) = self.evaluate(principal, &set, action, one, context, true)?;
                    if outcome == Outcome::Allow {
                        resources.push(ResourceGrant {
                            pattern: arn.clone(),
                            witness: arn.clone(),
                            granted_by: principal.refs(granting(&explanations)),
                            partially_denied_by: Vec::new(),
                            possibly_denied_by: Vec::new(),
                        });
                    }
                }
            } else {
                let mut seen = BTreeSet::new();
                for pattern in allow_patterns(set.policies(), action) {
                    if !seen.insert(pattern.as_str().to_owned()) {
                        continue;
                    }
                    let found = self.witnesses(std::slice::from_ref(&pattern), action, Some(operation));
                    let mut granted = false;
                    for witness in &found.found {
                        let one = std::slice::from_ref(witness);
                        let (outcome, _) = self.evaluate(principal, &set, action, one, context, false)?;
                        if outcome != Outcome::Allow {
                            continue;
                        }
                        let (_, explanations) = self.evaluate(principal, &set, action, one, context, true)?;
                        let (partially_denied_by, possibly_denied_by) =
                            overlapping_denies(set.policies(), action, &pattern);
                        resources.push(ResourceGrant {
                            pattern: pattern.as_str().to_owned(),
                            witness: witness.clone(),
                            granted_by: principal.refs(granting(&explanations)),
                            partially_denied_by,
                            possibly_denied_by,
                        });
                        granted = true;
                        break;
                    }
                    if !granted && let Some(reason) = found.reason() {
                        undecided.push(UndecidedGrant {
                            action: operation.action.clone(),
                            pattern: pattern.as_str().to_owned(),
                            reason,
                        });
                    }
                }
            }
            if !resources.is_empty() {
                actions.push(ActionGrant { action: operation.action.clone(), resources });
            }
        }
        Ok(WhatCanReport { principal: principal.arn.clone(), kind: principal.kind, actions, undecided })
    }

    /// The witnesses for a principal and an action without a resource.
    fn witnesses_for(&self, p: &AuditPrincipal, action: &str, operation: Option<&Operation>) -> Witnesses {
        let Some(set) = self.sets.get(p.set) else { return Witnesses::default() };
        self.witnesses(&allow_patterns(set, action), action, operation)
    }

    /// Concrete resources within `patterns` that the action can be
    /// authorized against, in pattern order, without duplicates, and the
    /// searches that ran out of budget.
    fn witnesses(&self, patterns: &[Pattern], action: &str, operation: Option<&Operation>) -> Witnesses {
        let templates: Vec<String> = match operation {
            Some(op) => op.resources.iter().map(|t| t.arn.clone()).collect(),
            None => {
                // Any ARN of the account in the action's service, then "All Resources".
                let service = action.split_once(':').map(|(s, _)| s).filter(|s| !s.contains(['*', '?']));
                let service = service.map_or_else(|| "{#service}".to_owned(), str::to_ascii_lowercase);
                vec![format!("acs:{service}:{{#region}}:{{#accountId}}:{{#resource}}"), "*".to_owned()]
            }
        };
        let mut out = Witnesses::default();
        for pattern in patterns {
            for template in &templates {
                let witness = if template == "*" {
                    if pattern.matches("*") { Witness::Found("*".to_owned()) } else { Witness::None }
                } else {
                    witness(pattern.as_str(), template, &self.account)
                };
                match witness {
                    Witness::Found(w) if !out.found.contains(&w) => out.found.push(w),
                    Witness::Found(_) | Witness::None => {}
                    Witness::Unknown => out.unknown.push(format!("`{}` on `{template}`", abridged(pattern.as_str()))),
                }
            }
        }
        out
    }

    /// What decides `action` on `resource` for `p`, and the identity the
    /// request is made as. For `sts:AssumeRole` on a role of the snapshot,
    /// the role's trust policy joins the principal's policies.
    fn target<'a>(
        &self,
        p: &AuditPrincipal,
        set: &'a CompiledPolicySet,
        action: &str,
        resource: &str,
    ) -> (Decider<'a>, Principal) {
        let role = is_assume_role(action).then(|| self.roles.iter().find(|(arn, _)| arn == resource)).flatten();
        let Some((_, trust)) = role else {
            let set = Decider::Compiled(set);
            // The evaluator lets the real root through before any policy, so
            // the root's set (control policies scoped `All` and an allow-all
            // statement) is decided for a stand-in that policies do reach;
            // `acs:PrincipalARN` stays the root's (see `evaluate`).
            let principal = match p.kind {
                PrincipalKind::Root => Principal::User { account: self.account.clone(), name: "root".to_owned() },
                _ => p.principal.clone(),
            };
            return (set, principal);
        };
        let root = p.kind == PrincipalKind::Root;
        let principal = if root { Principal::Root { account: self.account.clone() } } else { p.principal.clone() };
        // Policies share their statements, so this copies names, not documents.
        let mut set = if root { PolicySet::new() } else { set.policies().clone() };
        set.add(trust.clone());
        (Decider::Reference(set), principal)
    }

    /// Decides the action on every resource (each as its own request, so that
    /// each role's trust policy applies to its own ARN only) and combines:
    /// an explicit deny of any, an allow only when all are allowed.
    fn evaluate(
        &self,
        p: &AuditPrincipal,
        set: &CompiledPolicySet,
        action: &str,
        resources: &[String],
        context: &Context,
        explain: bool,
    ) -> Result<(Outcome, Vec<Explanation>), AccessError> {
        let mut context = context.clone();
        if p.kind == PrincipalKind::Root && !context.contains("acs:PrincipalARN") {
            context.insert("acs:PrincipalARN", self.root.arn.clone());
        }
        let mut explicit = false;
        let mut all_allowed = !resources.is_empty();
        let mut explanations = Vec::new();
        for resource in resources {
            let (decider, principal) = self.target(p, set, action, resource);
            let request = Request::new(principal, action, resource).with_context(context.clone());
            let outcome = decider.authorize(&request);
            explicit |= outcome == Outcome::ExplicitDeny;
            all_allowed &= outcome == Outcome::Allow;
            if explain {
                explanations.push(decider.explain(&request));
            }
        }
        let outcome = if explicit {
            Outcome::ExplicitDeny
        } else if all_allowed {
            Outcome::Allow
        } else {
            Outcome::ImplicitDeny
        };
        Ok((outcome, explanations))
    }
}

/// Whether a set decides alike for every principal of one kind in one
/// account: no statement names principals and no condition reads
/// `acs:PrincipalARN`, which each request fills from its principal.
fn principal_free(set: &PolicySet) -> bool {
    let principal_arn = canonical_key("acs:PrincipalARN");
    set.iter().flat_map(Policy::statements).all(|statement| {
        statement.principal().is_none() && statement.conditions().iter().all(|c| c.canonical_key() != principal_arn)
    })
}

/// The resource patterns of the identity `Allow` statements that cover `action`.
fn allow_patterns(set: &PolicySet, action: &str) -> Vec<Pattern> {
    let mut out: Vec<Pattern> = Vec::new();
    for policy in set.policies(PolicyKind::Identity) {
        for statement in policy.statements() {
            if statement.effect() != Effect::Allow || !statement.actions().matches(action) {
                continue;
            }
            for pattern in statement.resources().unwrap_or_default() {
                if !out.contains(pattern) {
                    out.push(pattern.clone());
                }
            }
        }
    }
    out
}

/// The identity and control `Deny` statements for `action` with a resource
/// pattern that overlaps `pattern` (some resource matches both), and those
/// whose overlap could not be settled within the budget.
fn overlapping_denies(
    set: &PolicySet,
    action: &str,
    pattern: &Pattern,
) -> (Vec<AttachedStatement>, Vec<AttachedStatement>) {
    let mut out = Vec::new();
    let mut possible = Vec::new();
    for kind in [PolicyKind::Control, PolicyKind::Identity] {
        for policy in set.policies(kind) {
            for statement in policy.statements() {
                if statement.effect() != Effect::Deny || !statement.actions().matches(action) {
                    continue;
                }
                let overlaps =
                    Settled::any(statement.resources().unwrap_or_default().iter().map(|q| overlap(pattern, q)));
                let r = AttachedStatement {
                    policy: policy.name().to_owned(),
                    kind,
                    statement: statement.index(),
                    sid: statement.sid().map(str::to_owned),
                    via: Vec::new(),
                };
                match overlaps {
                    Settled::Yes => out.push(r),
                    Settled::Unknown => possible.push(r),
                    Settled::No => {}
                }
            }
        }
    }
    (out, possible)
}

/// A pattern as reasons quote it: at most 60 characters, then `…`.
fn abridged(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(60).collect();
    if chars.next().is_some() { format!("{head}… ({} characters)", text.chars().count()) } else { head }
}

/// The `Allow` statements that applied, apart from control policies (which
/// only let a grant through).
fn granting(explanations: &[Explanation]) -> BTreeSet<AttachedStatement> {
    explanations
        .iter()
        .flat_map(|e| e.matched.iter())
        .filter(|t| t.effect == Effect::Allow && t.kind != PolicyKind::Control)
        .map(AttachedStatement::of)
        .collect()
}

/// `Allow` statements that failed only because condition keys were missing:
/// the keys and the statements.
fn near_miss(
    explanations: &[Explanation],
    principal: &Principal,
    action: &str,
) -> Option<(Vec<String>, BTreeSet<AttachedStatement>)> {
    let mut keys = BTreeSet::new();
    let mut statements = BTreeSet::new();
    for trace in explanations.iter().flat_map(|e| e.considered.iter()) {
        if trace.effect != Effect::Allow || trace.applies {
            continue;
        }
        // An identity statement cannot grant on another account's resource,
        // whatever the missing keys would be (the account boundary).
        let held = trace.kind == PolicyKind::Identity
            && !is_assume_role(action)
            && !in_own_account(principal, &trace.resource);
        if held {
            continue;
        }
        let failed: Vec<_> = trace.conditions.iter().filter(|c| !c.result).collect();
        if !failed.is_empty() && failed.iter().all(|c| c.missing) {
            keys.extend(failed.iter().map(|c| c.key.clone()));
            statements.insert(AttachedStatement::of(trace));
        }
    }
    (!statements.is_empty()).then(|| (keys.into_iter().collect(), statements))
}

/// A resource that `pattern` matches and that has the shape of `template`
/// (a catalog ARN template, or the any-resource template of an action the
/// catalog does not know) in `account`, with no empty field if possible.
/// `{#accountId}` is the account, `{#resource}` any relative id, `{#region}`
/// (of the any-resource template) one field or none, as global services have
/// no region, and every other placeholder one field.
fn witness(pattern: &str, template: &str, account: &str) -> Witness {
    let template = glob::template_tokens_with(template, |name| match name {
        "accountId" => Placeholder::Text(account.to_owned()),
        "resource" => Placeholder::Any,
        "region" => Placeholder::OptionalField,
        _ => Placeholder::Field,
    });
    glob::witness(&glob::pattern_tokens(pattern), &template, &mut Budget::new(WITNESS_STEPS))
}

/// Whether some resource matches both patterns, within [`INTERSECT_STEPS`].
fn overlap(a: &Pattern, b: &Pattern) -> Settled {
    let mut budget = Budget::new(INTERSECT_STEPS);
    glob::intersects(&glob::pattern_tokens(a.as_str()), &glob::pattern_tokens(b.as_str()), &mut budget)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::{Value, json};

    use super::*;
    use crate::language::pattern::Case;

    const ACCT: &str = "1234567890123456";

    /// A small account: users (name, groups, own policies), groups (name,
    /// policies), roles (name, trust statements, policies) and custom
    /// policies (name, statements), with the account's `FullAliyunAccess`
    /// control policy.
    #[derive(Default)]
    struct Account {
        users: Vec<(String, Vec<String>, Vec<String>)>,
        groups: Vec<(String, Vec<String>)>,
        roles: Vec<(String, Value, Vec<String>)>,
        policies: Vec<(String, Value)>,
    }

    fn names(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn refs(policies: &[String]) -> Value {
        let items: Vec<Value> =
            policies.iter().map(|p| json!({"PolicyName": p, "PolicyType": "Custom", "DefaultVersion": "v1"})).collect();
        json!({"Policies": {"Policy": items}})
    }

    impl Account {
        fn user(mut self, name: &str, groups: &[&str], policies: &[&str]) -> Self {
            self.users.push((name.to_owned(), names(groups), names(policies)));
            self
        }
        fn group(mut self, name: &str, policies: &[&str]) -> Self {
            self.groups.push((name.to_owned(), names(policies)));
            self
        }
        fn role(mut self, name: &str, trusted: &[String], policies: &[&str]) -> Self {
            let trust = json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": trusted}}]);
            self.roles.push((name.to_owned(), trust, names(policies)));
            self
        }
        fn policy(mut self, name: &str, statements: Value) -> Self {
            self.policies.push((name.to_owned(), statements));
            self
        }

        fn model(&self) -> AccessModel {
            let document = |statements: &Value| json!({"Version": "1", "Statement": statements}).to_string();
            let users: Vec<Value> = self.users.iter().map(|(n, ..)| json!({"UserName": n})).collect();
            let groups: Vec<Value> = self.groups.iter().map(|(n, _)| json!({"GroupName": n})).collect();
            let roles: Vec<Value> = self.roles.iter().map(|(n, ..)| json!({"RoleName": n})).collect();
            let get_role: serde_json::Map<String, Value> = self
                .roles
                .iter()
                .map(|(n, trust, _)| {
                    let arn = format!("acs:ram::{ACCT}:role/{n}");
                    (
                        n.clone(),
                        json!({"Role": {"RoleName": n, "Arn": arn, "AssumeRolePolicyDocument": document(trust)}}),
                    )
                })
                .collect();
            let versions: serde_json::Map<String, Value> = self
                .policies
                .iter()
                .map(|(n, statements)| {
                    let version =
                        json!({"VersionId": "v1", "IsDefaultVersion": true, "PolicyDocument": document(statements)});
                    (n.clone(), json!({"PolicyVersion": version}))
                })
                .collect();
            let full = document(&json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]));
            let text = json!({
                "AccountId": ACCT,
                "ListUsers": {"Users": {"User": users}},
                "ListGroups": {"Groups": {"Group": groups}},
                "ListRoles": {"Roles": {"Role": roles}},
                "GetRole": get_role,
                "ListGroupsForUser": self.users.iter().map(|(n, g, _)| {
                    let items: Vec<Value> = g.iter().map(|g| json!({"GroupName": g})).collect();
                    (n.clone(), json!({"Groups": {"Group": items}}))
                }).collect::<serde_json::Map<_, _>>(),
                "ListPoliciesForUser": self.users.iter().map(|(n, _, p)| (n.clone(), refs(p))).collect::<serde_json::Map<_, _>>(),
                "ListPoliciesForGroup": self.groups.iter().map(|(n, p)| (n.clone(), refs(p))).collect::<serde_json::Map<_, _>>(),
                "ListPoliciesForRole": self.roles.iter().map(|(n, _, p)| (n.clone(), refs(p))).collect::<serde_json::Map<_, _>>(),
                "GetPolicyVersion": {"Custom": versions},
                "ListControlPolicyAttachmentsForTarget": {ACCT: {"ControlPolicyAttachments": {"ControlPolicyAttachment": [
                    {"PolicyId": "cp-full", "PolicyName": "FullAliyunAccess"},
                ]}}},
                "GetControlPolicy": {
                    "cp-full": {"ControlPolicy": {"PolicyName": "FullAliyunAccess", "EffectScope": "All", "PolicyDocument": full}},
                },
            })
            .to_string();
            let snapshot = Snapshot::from_json(Path::new("account.json"), &text).expect("the test snapshot is valid");
            AccessModel::new(&snapshot).expect("the test account compiles")
        }
    }

    fn query(action: &str, resources: &[&str]) -> WhoCanQuery {
        WhoCanQuery { action: action.to_owned(), resources: names(resources), context: Context::new() }
    }

    /// Who may, asked with answers shared and with every principal decided
    /// on its own: the two must agree, and the names of the allowed are returned.
    fn allowed(model: &AccessModel, query: &WhoCanQuery) -> Vec<String> {
        let catalog = Catalog::builtin().expect("the built-in catalog is valid");
        let shared = model.who_can_with(query, catalog, true).expect("who-can answers");
        let alone = model.who_can_with(query, catalog, false).expect("who-can answers");
        assert_eq!(shared, alone, "sharing changed the answer to {query:?}");
        shared.allowed.iter().map(|g| g.name.clone()).collect()
    }

    fn instance(id: &str) -> String {
        format!("acs:ecs:cn-hangzhou:{ACCT}:instance/{id}")
    }

    #[test]
    fn a_deny_only_one_principal_has_is_its_own() {
        let model = Account::default()
            .group("ops", &["ecs-all"])
            .user("alice", &["ops"], &[])
            .user("bob", &["ops"], &["no-deletes"])
            .user("carol", &["ops"], &[])
            .policy("ecs-all", json!([{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]))
            .policy("no-deletes", json!([{"Effect": "Deny", "Action": "ecs:DeleteInstance", "Resource": "*"}]))
            .model();
        // alice and carol share one set, bob has another.
        assert_eq!(model.compiled_sets(), 3);
        let i = instance("i-1");
        assert_eq!(allowed(&model, &query("ecs:DeleteInstance", &[&i])), ["alice", "carol"]);
        assert_eq!(allowed(&model, &query("ecs:DeleteInstance", &[])), ["alice", "carol"]);
        assert_eq!(allowed(&model, &query("ecs:StartInstance", &[&i])), ["alice", "bob", "carol"]);
    }

    #[test]
    fn users_in_different_groups_are_decided_apart() {
        let model = Account::default()
            .group("admins", &["ecs-all"])
            .group("readers", &["ecs-read"])
            .user("alice", &["admins"], &[])
            .user("bob", &["readers"], &[])
            .user("carol", &["readers", "admins"], &[])
            .policy("ecs-all", json!([{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]))
            .policy("ecs-read", json!([{"Effect": "Allow", "Action": "ecs:Describe*", "Resource": "*"}]))
            .model();
        let i = instance("i-1");
        assert_eq!(allowed(&model, &query("ecs:StopInstance", &[&i])), ["alice", "carol"]);
        assert_eq!(allowed(&model, &query("ecs:DescribeInstances", &[])), ["alice", "bob", "carol"]);
    }

    #[test]
    fn principals_sharing_a_set_keep_their_own_attachments() {
        let model = Account::default()
            .group("ops", &["ecs-all"])
            .user("alice", &["ops"], &[])
            .user("bob", &[], &["ecs-all"])
            .role("runner", &[format!("acs:ram::{ACCT}:root")], &["ecs-all"])
            .policy("ecs-all", json!([{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]))
            .model();
        // One set for the three, and the root's.
        assert_eq!(model.compiled_sets(), 2);
        let catalog = Catalog::builtin().expect("the built-in catalog is valid");
        let report = model.who_can(&query("ecs:StopInstance", &[&instance("i-1")]), catalog).expect("who-can answers");
        let via: Vec<(&str, PrincipalKind, Vec<String>)> = report
            .allowed
            .iter()
            .map(|g| (g.name.as_str(), g.kind, g.granted_by.iter().flat_map(|s| s.via.clone()).collect()))
            .collect();
        assert_eq!(
            via,
            [
                ("alice", PrincipalKind::User, vec!["group ops".to_owned()]),
                ("bob", PrincipalKind::User, vec!["user".to_owned()]),
                ("runner", PrincipalKind::Role, vec!["role".to_owned()]),
            ]
        );
    }

    #[test]
    fn a_condition_on_the_principal_arn_is_decided_per_principal() {
        let alice = format!("acs:ram::{ACCT}:user/alice");
        let model = Account::default()
            .group("ops", &["alice-only"])
            .user("alice", &["ops"], &[])
            .user("bob", &["ops"], &[])
            .user("carol", &["ops"], &[])
            .policy(
                "alice-only",
                json!([{"Effect": "Allow", "Action": "ecs:*", "Resource": "*",
                    "Condition": {"StringEquals": {"acs:PrincipalARN": alice}}}]),
            )
            .model();
        assert_eq!(allowed(&model, &query("ecs:StopInstance", &[&instance("i-1")])), ["alice"]);
        assert_eq!(allowed(&model, &query("ecs:StopInstance", &[])), ["alice"]);
    }

    #[test]
    fn a_trust_policy_naming_one_user_admits_only_that_user() {
        let role = format!("acs:ram::{ACCT}:role/deployer");
        let model = Account::default()
            .group("ops", &["assume"])
            .user("alice", &["ops"], &[])
            .user("bob", &["ops"], &[])
            .role("deployer", &[format!("acs:ram::{ACCT}:user/bob")], &[])
            .role("other", &[format!("acs:ram::{ACCT}:user/alice")], &[])
            .policy("assume", json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]))
            .model();
        assert_eq!(allowed(&model, &query("sts:AssumeRole", &[&role])), ["bob"]);
        assert_eq!(allowed(&model, &query("sts:AssumeRole", &[])), ["alice", "bob"]);
    }

    #[test]
    fn another_accounts_resource_is_granted_to_nobody_shared_or_not() {
        let model = Account::default()
            .group("ops", &["ecs-all"])
            .user("alice", &["ops"], &[])
            .user("bob", &["ops"], &[])
            .policy("ecs-all", json!([{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]))
            .model();
        let foreign = "acs:ecs:cn-hangzhou:999999999999:instance/i-1";
        assert!(allowed(&model, &query("ecs:StopInstance", &[foreign])).is_empty());
        assert_eq!(allowed(&model, &query("ecs:StopInstance", &[&instance("i-1")])), ["alice", "bob"]);
    }

    /// A generated account whose users share groups and policies, with
    /// denies, conditions (some on `acs:PrincipalARN`) and trust policies
    /// naming some users: sharing answers must give every question the
    /// answer that deciding each principal alone gives.
    #[test]
    fn sharing_answers_agrees_with_deciding_each_principal() {
        let mut rng = 0x5EED_u64;
        let mut below = |n: usize| {
            rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(rng >> 33).unwrap_or(0) % n
        };
        let actions =
            ["ecs:StopInstance", "ecs:DescribeInstances", "ecs:DeleteInstance", "vpc:DeleteVpc", "oss:GetObject"];
        let mut account = Account::default();
        for p in 0..12 {
            let statements: Vec<Value> = (0..3)
                .map(|_| {
                    let action = match below(3) {
                        0 => "ecs:*".to_owned(),
                        1 => "*".to_owned(),
                        _ => actions.get(below(actions.len())).copied().unwrap_or("ecs:*").to_owned(),
                    };
                    let resource = match below(3) {
                        0 => "*".to_owned(),
                        1 => format!("acs:ecs:*:{ACCT}:instance/i-{}*", below(3)),
                        _ => format!("acs:*:*:{ACCT}:*"),
                    };
                    let effect = if below(5) == 0 { "Deny" } else { "Allow" };
                    let mut s = json!({"Effect": effect, "Action": action, "Resource": resource});
                    match below(4) {
                        0 => s["Condition"] = json!({"Bool": {"acs:MFAPresent": "true"}}),
                        1 => {
                            // u1 and u10 to u19: some but not all of a set's users.
                            let users = format!("acs:ram::{ACCT}:user/u1*");
                            s["Condition"] = json!({"StringLike": {"acs:PrincipalARN": users}});
                        }
                        _ => {}
                    }
                    s
                })
                .collect();
            account = account.policy(&format!("p{p}"), Value::Array(statements));
        }
        let policy = |i: usize| format!("p{i}");
        for g in 0..4 {
            let group = [policy(below(12)), policy(below(12))];
            account.groups.push((format!("g{g}"), group.to_vec()));
        }
        for u in 0..20 {
            let groups: Vec<String> = (0..below(3)).map(|_| format!("g{}", below(4))).collect();
            let mut groups = groups;
            groups.sort();
            groups.dedup();
            let own = if below(4) == 0 { vec![policy(below(12))] } else { Vec::new() };
            account.users.push((format!("u{u}"), groups, own));
        }
        for r in 0..4 {
            let trusted = vec![format!("acs:ram::{ACCT}:user/u{}", below(20)), format!("acs:ram::{ACCT}:root")];
            let trusted = if r == 0 { trusted } else { trusted.into_iter().take(1).collect() };
            let trust = json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": trusted}}]);
            account.roles.push((format!("r{r}"), trust, vec![policy(below(12))]));
        }
        let model = account.model();
        assert!(model.compiled_sets() < model.principals().len(), "some principals share a set");
        let mut granted = 0;
        for action in actions.iter().chain(&["sts:AssumeRole"]) {
            let resources = [instance("i-1"), instance("i-2x"), format!("acs:ram::{ACCT}:role/r1")];
            for resource in resources.iter().map(|r| vec![r.as_str()]).chain([Vec::new()]) {
                granted += allowed(&model, &query(action, &resource)).len();
                let mut q = query(action, &resource);
                q.context.insert("acs:MFAPresent", "true");
                granted += allowed(&model, &q).len();
            }
        }
        assert!(granted > 0, "the generated account grants something");
    }

    fn witness_of(pattern: &str, template: &str) -> Option<String> {
        let Witness::Found(w) = witness(pattern, template, "123") else { return None };
        assert!(Pattern::new(pattern, Case::Sensitive).matches(&w), "{w} !~ {pattern}");
        Some(w)
    }

    #[test]
    fn witnesses_have_the_template_shape() {
        let iss = "acs:vpc:{#regionId}:{#accountId}:vpnipsecserver/{#IpsecServerId}";
        assert_eq!(witness_of("acs:vpc:*:*:vpnipsecserver/*", iss).as_deref(), Some("acs:vpc:x:123:vpnipsecserver/x"));
        assert_eq!(witness_of("*", iss).as_deref(), Some("acs:vpc:x:123:vpnipsecserver/x"));
        assert_eq!(
            witness_of("acs:vpc:cn-hangzhou:*:*", iss).as_deref(),
            Some("acs:vpc:cn-hangzhou:123:vpnipsecserver/x")
        );
        // Another account's resources are not this account's, though `*` crosses `:`.
        assert_eq!(witness_of("acs:vpc:*:999:*", iss), None);
        assert_eq!(witness_of("acs:vpc:*:*:vpnconnection/*", iss), None);
        // A template's `*` is itself (the ARN a create call is authorized
        // on); `{#resource}` is any relative id.
        assert_eq!(
            witness_of("acs:vpc:*:*:vpnconnection/a/b", "acs:vpc:{#regionId}:{#accountId}:vpnconnection/*"),
            None
        );
        assert_eq!(
            witness_of("acs:ram::123:role/ops", "acs:{#service}:{#region}:{#accountId}:{#resource}").as_deref(),
            Some("acs:ram::123:role/ops")
        );
        assert_eq!(witness_of("a{#b", "a{#b").as_deref(), Some("a{#b"));
    }
}
