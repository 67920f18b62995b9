//! The reference evaluator: RAM's decision procedure, written to be read.
//!
//! It scans every statement of every policy. It is the oracle that faster
//! engines are checked against, so clarity wins over speed here.

use std::collections::BTreeSet;

use crate::engine::decision::{
    AccessDeniedDetail, ConditionTrace, DecidedBy, Decision, Explanation, Note, NoteCode, Outcome, ResourceDecision,
    StatementTrace,
};
use crate::engine::request::{Principal, Request};
use crate::language::pattern::{Case, Pattern};
use crate::language::policy::{Effect, Policy, PolicyKind, PrincipalSpec, Statement};

/// The policies that bear on a request, grouped by kind.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    identity: Vec<Policy>,
    session: Vec<Policy>,
    control: Vec<Policy>,
    resource: Vec<Policy>,
}

/// What one kind of policy says about one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Deny,
    Allow,
    Silent,
}

/// Collects traces on the explain path; absent on the fast path.
#[derive(Default)]
struct Trace {
    considered: Vec<StatementTrace>,
    missing: BTreeSet<String>,
}

impl PolicySet {
    /// An empty set: every request is implicitly denied (except the root's).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a policy, placed by its kind.
    pub fn add(&mut self, policy: Policy) -> &mut Self {
        match policy.kind() {
            PolicyKind::Identity => self.identity.push(policy),
            PolicyKind::Session => self.session.push(policy),
            PolicyKind::Control => self.control.push(policy),
            PolicyKind::Resource => self.resource.push(policy),
        }
        self
    }

    /// Builder form of [`PolicySet::add`].
    #[must_use]
    pub fn with(mut self, policy: Policy) -> Self {
        self.add(policy);
        self
    }

    /// The policies of one kind.
    pub fn policies(&self, kind: PolicyKind) -> &[Policy] {
        match kind {
            PolicyKind::Identity => &self.identity,
            PolicyKind::Session => &self.session,
            PolicyKind::Control => &self.control,
            PolicyKind::Resource => &self.resource,
        }
    }

    /// Every policy, in evaluation order of their kinds.
    pub fn iter(&self) -> impl Iterator<Item = &Policy> {
        self.control.iter().chain(&self.session).chain(&self.identity).chain(&self.resource)
    }

    /// Decides a request: the fast path, which stops at the first answer.
    pub fn authorize(&self, request: &Request) -> Decision {
        combine(request.resources().iter().map(|r| self.decide_resource(request, r, &mut None)))
    }

    /// Decides a request and says why.
    pub fn explain(&self, request: &Request) -> Explanation {
        let mut trace = Some(Trace::default());
        let resources: Vec<ResourceDecision> = request
            .resources()
            .iter()
            .map(|r| {
                let d = self.decide_resource(request, r, &mut trace);
                ResourceDecision { resource: r.clone(), decision: d.outcome, decided_by: d.decided_by }
            })
            .collect();
        let decision = combine(resources.iter().map(|r| Decision { outcome: r.decision, decided_by: r.decided_by }));
        let trace = trace.unwrap_or_default();
        let matched: Vec<StatementTrace> = trace.considered.iter().filter(|t| t.applies).cloned().collect();
        let notes = self.notes(request, &resources);
        let access_denied_detail = (!decision.outcome.is_allow())
            .then(|| resources.iter().find(|r| r.decision == decision.outcome))
            .flatten()
            .map(|denied| AccessDeniedDetail::build(request, denied, &matched, denial_reason(request, denied)));
        Explanation {
            decision: decision.outcome,
            decided_by: decision.decided_by,
            matched,
            considered: trace.considered,
            missing_context_keys: trace.missing.into_iter().collect(),
            resources,
            notes,
            access_denied_detail,
        }
    }

    /// What an explanation says beyond its outcome.
    fn notes(&self, request: &Request, resources: &[ResourceDecision]) -> Vec<Note> {
        let principal = request.principal();
        let mut notes = Vec::new();
        if !self.session.is_empty() && !principal.is_role_session() {
            notes.push(Note {
                code: NoteCode::SessionPolicyIgnored,
                message: format!(
                    "the session policy was not applied: session policies apply only to role sessions \
                     (`acs:ram::<uid>:assumed-role/<role>/<session>`), and `{principal}` is not one"
                ),
            });
        }
        for r in resources {
            match denial_reason(request, r) {
                Some(NoteCode::RootCannotAssumeRole) => notes.push(Note {
                    code: NoteCode::RootCannotAssumeRole,
                    message: format!(
                        "the root identity `{principal}` cannot call sts:AssumeRole, whatever the role's trust \
                         policy says: assume the role as a RAM user or role of the account"
                    ),
                }),
                Some(NoteCode::AccountBoundary) => {
                    let owner = crate::language::arn::account_field(&r.resource).unwrap_or_default();
                    let own = principal.account().unwrap_or_default();
                    let granted = if principal.is_root() {
                        "the root identity is unrestricted only on its own account's resources"
                    } else {
                        "identity policies grant access only to resources of the principal's own account"
                    };
                    notes.push(Note {
                        code: NoteCode::AccountBoundary,
                        message: format!(
                            "`{}` belongs to account `{owner}`, not to `{own}`: {granted}, and no resource policy \
                             of that resource allowed `{principal}`",
                            r.resource
                        ),
                    });
                }
                _ => {}
            }
        }
        notes
    }

    /// RAM's flow for one resource.
    fn decide_resource(&self, request: &Request, resource: &str, trace: &mut Option<Trace>) -> Decision {
        decide(
            request,
            resource,
            |kind| !self.policies(kind).is_empty(),
            |kind| self.verdict(kind, request, resource, trace),
        )
    }

    /// What the policies of one kind say: any applicable Deny, else any
    /// applicable Allow, else nothing. The fast path stops at the first Deny;
    /// the explain path visits every statement so that all are traced.
    fn verdict(&self, kind: PolicyKind, request: &Request, resource: &str, trace: &mut Option<Trace>) -> Verdict {
        let mut verdict = Verdict::Silent;
        for policy in self.policies(kind) {
            for statement in policy.statements() {
                if !statement_applies(policy, statement, request, resource, trace) {
                    continue;
                }
                match statement.effect() {
                    Effect::Deny if trace.is_none() => return Verdict::Deny,
                    Effect::Deny => verdict = Verdict::Deny,
                    Effect::Allow if verdict == Verdict::Silent => verdict = Verdict::Allow,
                    Effect::Allow => {}
                }
            }
        }
        verdict
    }
}

/// RAM's order of evaluation for one resource, over what each kind of policy
/// says (`verdict`) and which kinds were given (`present`). Shared by every
/// engine, so that they differ only in how they find applicable statements.
pub(crate) fn decide(
    request: &Request,
    resource: &str,
    present: impl Fn(PolicyKind) -> bool,
    mut verdict: impl FnMut(PolicyKind) -> Verdict,
) -> Decision {
    let decided = |outcome, decided_by| Decision { outcome, decided_by };
    let principal = request.principal();
    let assume_role = is_assume_role(request.action());
    // Whether the resource is in the principal's account, asked only where
    // it can change the answer.
    let own_account = || in_own_account(principal, resource);
    if principal.is_root() {
        // The root identity cannot assume a role at all, and is unrestricted
        // only on its own account's resources.
        if assume_role {
            return decided(Outcome::ImplicitDeny, DecidedBy::Root);
        }
        if own_account() {
            return decided(Outcome::Allow, DecidedBy::Root);
        }
    } else {
        for kind in [PolicyKind::Control, PolicyKind::Session] {
            if !present(kind) || (kind == PolicyKind::Session && !principal.is_role_session()) {
                continue;
            }
            match verdict(kind) {
                Verdict::Deny => return decided(Outcome::ExplicitDeny, DecidedBy::of_kind(kind)),
                Verdict::Silent => return decided(Outcome::ImplicitDeny, DecidedBy::of_kind(kind)),
                Verdict::Allow => {}
            }
        }
    }
    // The identity side: the root, services and identity providers have no
    // identity policies to consult.
    let identity = principal.has_identity_policies().then(|| verdict(PolicyKind::Identity));
    let resource_side = verdict(PolicyKind::Resource);
    if identity == Some(Verdict::Deny) {
        return decided(Outcome::ExplicitDeny, DecidedBy::Identity);
    }
    if resource_side == Verdict::Deny {
        return decided(Outcome::ExplicitDeny, DecidedBy::Resource);
    }
    if assume_role {
        // sts:AssumeRole needs both the caller's grant and the role's trust,
        // in the role's account or another.
        if identity.is_some_and(|v| v != Verdict::Allow) {
            return decided(Outcome::ImplicitDeny, DecidedBy::Identity);
        }
        if resource_side != Verdict::Allow {
            return decided(Outcome::ImplicitDeny, DecidedBy::Resource);
        }
        return decided(Outcome::Allow, if identity.is_some() { DecidedBy::Identity } else { DecidedBy::Resource });
    }
    // On another account's resource, only that resource's policy can let
    // the principal in: an identity Allow, or the root's ownership, stops at
    // the boundary.
    let held_at_boundary = (identity == Some(Verdict::Allow) || principal.is_root()) && !own_account();
    if identity == Some(Verdict::Allow) && !held_at_boundary {
        return decided(Outcome::Allow, DecidedBy::Identity);
    }
    if resource_side == Verdict::Allow {
        return decided(Outcome::Allow, DecidedBy::Resource);
    }
    if held_at_boundary {
        return decided(Outcome::ImplicitDeny, DecidedBy::AccountBoundary);
    }
    decided(Outcome::ImplicitDeny, DecidedBy::Identity)
}

/// Why RAM denied a resource when no statement decided it, if one of the
/// rules without statements did.
fn denial_reason(request: &Request, r: &ResourceDecision) -> Option<NoteCode> {
    match (r.decision, r.decided_by) {
        (Outcome::Allow, _) => None,
        (_, DecidedBy::AccountBoundary) => Some(NoteCode::AccountBoundary),
        (_, DecidedBy::Root) if is_assume_role(request.action()) => Some(NoteCode::RootCannotAssumeRole),
        _ => None,
    }
}

/// Whether `action` is `sts:AssumeRole` (actions are case-insensitive).
pub(crate) fn is_assume_role(action: &str) -> bool {
    action.eq_ignore_ascii_case("sts:AssumeRole")
}

/// Whether `resource` belongs to the principal's account: its ARN's account
/// field is the principal's account id. A resource of `*` (an action without
/// resource-level authorization), an ARN with an empty account field, and
/// text that is not an ARN at all name no other account, so they count as
/// the principal's own. A principal without an account (a service) is never
/// held at a boundary; it has no identity policies anyway.
pub(crate) fn in_own_account(principal: &Principal, resource: &str) -> bool {
    match (principal.account(), crate::language::arn::account_field(resource)) {
        (Some(own), Some(field)) => field.is_empty() || field == own,
        _ => true,
    }
}

/// Several resources: ExplicitDeny if any is explicitly denied, Allow only if
/// every one is allowed, ImplicitDeny otherwise. The deciding stage is the one
/// of the first resource with the final outcome. No resource at all is an
/// implicit deny.
pub(crate) fn combine(decisions: impl Iterator<Item = Decision>) -> Decision {
    let mut first_explicit = None;
    let mut first_implicit = None;
    let mut first_allow = None;
    for d in decisions {
        let slot = match d.outcome {
            Outcome::ExplicitDeny => &mut first_explicit,
            Outcome::ImplicitDeny => &mut first_implicit,
            Outcome::Allow => &mut first_allow,
        };
        slot.get_or_insert(d);
    }
    first_explicit
        .or(first_implicit)
        .or(first_allow)
        .unwrap_or(Decision { outcome: Outcome::ImplicitDeny, decided_by: DecidedBy::Identity })
}

/// Whether a statement applies to the request for one resource: its action,
/// resource and principal match and every condition holds. A condition whose
/// request value is malformed holds in a Deny statement and fails in an Allow
/// statement, so bad input can never lift a Deny.
fn statement_applies(
    policy: &Policy,
    statement: &Statement,
    request: &Request,
    resource: &str,
    trace: &mut Option<Trace>,
) -> bool {
    if !statement.actions().matches(request.action()) || !statement.matches_resource(resource) {
        return false;
    }
    if let Some(spec) = statement.principal()
        && !principal_matches(spec, request.principal())
    {
        return false;
    }
    let deny = statement.effect() == Effect::Deny;
    let Some(trace) = trace else {
        return statement.conditions().iter().all(|c| c.holds(request.context(), deny));
    };
    let mut applies = true;
    let mut conditions = Vec::with_capacity(statement.conditions().len());
    for c in statement.conditions() {
        let r = c.evaluate(request.context());
        if r.missing {
            trace.missing.insert(c.key().to_owned());
        }
        let (result, malformed_value) = match r.outcome {
            Ok(b) => (b, None),
            Err(bad) => (deny, Some(bad.value)),
        };
        applies &= result;
        conditions.push(ConditionTrace {
            operator: c.operator_text(),
            key: c.key().to_owned(),
            values: c.values().to_vec(),
            request_values: request.context().get(c.key()).to_vec(),
            result,
            malformed_value,
            missing: r.missing,
        });
    }
    trace.considered.push(StatementTrace {
        policy: policy.name().to_owned(),
        kind: policy.kind(),
        statement: statement.index(),
        sid: statement.sid().map(str::to_owned),
        effect: statement.effect(),
        resource: resource.to_owned(),
        applies,
        conditions,
    });
    applies
}

/// Whether a resource policy's `Principal` names the requester.
///
/// - `*` (bare, in a list, or under `RAM`) names everyone.
/// - An account id, or `acs:ram::<uid>:root`, names every identity of that account.
/// - Other `RAM` entries are ARN patterns; a role names its sessions too.
/// - `Service` entries name services (ASCII case-insensitive);
///   `Federated` entries name identity providers.
pub(crate) fn principal_matches(spec: &PrincipalSpec, principal: &Principal) -> bool {
    let account = principal.account();
    let names_account = |entry: &str| account.is_some_and(|a| a == entry);
    if spec.accounts.iter().any(|e| e == "*" || names_account(e)) {
        return true;
    }
    let ram_identity = !matches!(principal, Principal::Service { .. } | Principal::Federated { .. });
    let arn = principal.to_string();
    let role_arn = principal.principal_arn();
    let ram_match = spec.ram.iter().any(|entry| {
        if entry == "*" {
            return ram_identity;
        }
        if let Some(uid) = entry.strip_prefix("acs:ram::").and_then(|r| r.strip_suffix(":root")) {
            return ram_identity && names_account(uid);
        }
        let pattern = Pattern::new(entry, Case::Sensitive);
        ram_identity && (pattern.matches(&arn) || pattern.matches(&role_arn))
    });
    if ram_match {
        return true;
    }
    match principal {
        Principal::Service { name } => spec.service.iter().any(|s| s == "*" || s.eq_ignore_ascii_case(name)),
        Principal::Federated { .. } => {
            spec.federated.iter().any(|f| f == "*" || Pattern::new(f, Case::Sensitive).matches(&arn))
        }
        _ => false,
    }
}
