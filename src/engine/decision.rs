//! Decisions, explanations, and denials shaped like Alibaba Cloud's.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::engine::request::{Principal, Request};
use crate::language::policy::{Effect, PolicyKind};

/// The outcome of an authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// Some statement allows the request and none denies it.
    Allow,
    /// A `Deny` statement applies.
    ExplicitDeny,
    /// Nothing allows the request.
    ImplicitDeny,
}

impl Outcome {
    /// Whether the request may proceed.
    pub fn is_allow(self) -> bool {
        self == Outcome::Allow
    }

    /// The name used in JSON and in test suites.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Allow => "Allow",
            Outcome::ExplicitDeny => "ExplicitDeny",
            Outcome::ImplicitDeny => "ImplicitDeny",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which stage of RAM's evaluation decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecidedBy {
    /// The account's root identity, which RAM policies do not restrict.
    Root,
    /// Resource Directory control policies.
    Control,
    /// The session policy.
    Session,
    /// The principal's identity policies.
    Identity,
    /// The resource's policy (for `sts:AssumeRole`, the role's trust policy).
    Resource,
    /// The account boundary: the resource belongs to another account, where
    /// the principal's identity policies (or the root's ownership) cannot
    /// grant, and no resource policy let the principal in.
    #[serde(rename = "account-boundary")]
    AccountBoundary,
}

impl DecidedBy {
    /// The name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            DecidedBy::Root => "root",
            DecidedBy::Control => "control",
            DecidedBy::Session => "session",
            DecidedBy::Identity => "identity",
            DecidedBy::Resource => "resource",
            DecidedBy::AccountBoundary => "account-boundary",
        }
    }

    pub(crate) fn of_kind(kind: PolicyKind) -> Self {
        match kind {
            PolicyKind::Identity => DecidedBy::Identity,
            PolicyKind::Session => DecidedBy::Session,
            PolicyKind::Control => DecidedBy::Control,
            PolicyKind::Resource => DecidedBy::Resource,
        }
    }
}

impl fmt::Display for DecidedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The fast answer: the outcome and the stage that decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Decision {
    /// Allow, ExplicitDeny or ImplicitDeny.
    pub outcome: Outcome,
    /// Which stage decided.
    pub decided_by: DecidedBy,
}

/// One condition's result in an explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionTrace {
    /// The operator as written (`ForAllValues:StringEquals`).
    pub operator: String,
    /// The key as written.
    pub key: String,
    /// The policy's values.
    pub values: Vec<String>,
    /// The request's values for the key.
    pub request_values: Vec<String>,
    /// Whether the condition held, as used for the decision (a malformed
    /// request value counts as holding in a Deny statement and not in an Allow).
    pub result: bool,
    /// The request value that did not have the operator's type, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub malformed_value: Option<String>,
    /// Whether the request had no value for the key.
    pub missing: bool,
}

/// A statement whose action, resource (and principal) matched the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementTrace {
    /// The policy's name.
    pub policy: String,
    /// The policy's kind.
    pub kind: PolicyKind,
    /// The statement's index in the policy (0-based).
    pub statement: usize,
    /// The statement's `Sid`, when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The statement's effect.
    pub effect: Effect,
    /// The resource the statement was matched against.
    pub resource: String,
    /// Whether every condition held, so the statement applied.
    pub applies: bool,
    /// Each condition's result.
    pub conditions: Vec<ConditionTrace>,
}

/// The decision for one resource of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceDecision {
    /// The resource.
    pub resource: String,
    /// The outcome for it.
    pub decision: Outcome,
    /// Which stage decided it.
    pub decided_by: DecidedBy,
}

/// The full answer: the decision and everything that led to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The outcome.
    pub decision: Outcome,
    /// Which stage decided.
    pub decided_by: DecidedBy,
    /// The statements that applied (matched and all conditions held).
    pub matched: Vec<StatementTrace>,
    /// Every statement whose action and resource matched, with each condition's result.
    pub considered: Vec<StatementTrace>,
    /// Condition keys that a consulted statement used and the request lacked.
    pub missing_context_keys: Vec<String>,
    /// The decision per resource.
    pub resources: Vec<ResourceDecision>,
    /// What the outcome alone does not say: the account boundary that
    /// denied, the root's refusal to assume a role, a session policy that
    /// was not applied.
    pub notes: Vec<Note>,
    /// On a denial, the record Alibaba Cloud returns with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_denied_detail: Option<AccessDeniedDetail>,
}

/// A remark on a decision, with a stable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// What kind of remark.
    pub code: NoteCode,
    /// The remark as a sentence.
    pub message: String,
}

/// The kinds of [`Note`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum NoteCode {
    /// A resource of another account was denied because only its resource
    /// policy could let the principal in, and none did.
    AccountBoundary,
    /// The root identity asked for `sts:AssumeRole`, which it cannot call.
    RootCannotAssumeRole,
    /// A session policy was supplied, but the principal is not a role
    /// session, so it was not applied.
    SessionPolicyIgnored,
}

impl NoteCode {
    /// The code as written in JSON (`account-boundary`).
    pub fn name(self) -> &'static str {
        match self {
            NoteCode::AccountBoundary => "account-boundary",
            NoteCode::RootCannotAssumeRole => "root-cannot-assume-role",
            NoteCode::SessionPolicyIgnored => "session-policy-ignored",
        }
    }

    /// The value of a diagnostic message's `DenyReason` for a denial this
    /// note explains, if it explains one.
    fn deny_reason(self) -> Option<&'static str> {
        match self {
            NoteCode::AccountBoundary => Some("AccountBoundary"),
            NoteCode::RootCannotAssumeRole => Some("RootCannotAssumeRole"),
            NoteCode::SessionPolicyIgnored => None,
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.name(), self.message)
    }
}

impl Explanation {
    /// The decision alone.
    pub fn to_decision(&self) -> Decision {
        Decision { outcome: self.decision, decided_by: self.decided_by }
    }
}

/// The `AccessDeniedDetail` that Alibaba Cloud adds to a RAM denial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessDeniedDetail {
    /// The denied action.
    pub auth_action: String,
    /// `SubUser`, `AssumedRoleUser`, `Federated` (or `Service`).
    pub auth_principal_type: String,
    /// The principal's account.
    pub auth_principal_owner_id: String,
    /// The principal's name (`alice`, `role:session`).
    pub auth_principal_display_name: String,
    /// Which kind of policy denied.
    pub policy_type: String,
    /// `ImplicitDeny` or `ExplicitDeny`.
    pub no_permission_type: String,
    /// The diagnostic record, base64-encoded JSON; see [`DiagnosticMessage`].
    pub encoded_diagnostic_message: String,
}

/// What `EncodedDiagnosticMessage` decodes to, as RAM's
/// `DecodeDiagnosticMessage` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiagnosticMessage {
    /// The denied action.
    pub auth_action: String,
    /// The resource that was denied.
    pub auth_resource: String,
    /// The principal's ARN.
    pub auth_principal: String,
    /// The request context, key by key.
    pub auth_conditions: Vec<AuthCondition>,
    /// `ImplicitDeny` or `ExplicitDeny`.
    pub no_permission_type: String,
    /// Which kind of policy denied.
    pub policy_type: String,
    /// The statements that denied explicitly (`policy#index`).
    pub explicit_deny_statements: Vec<String>,
    /// Why RAM denied when no statement did: `AccountBoundary` (the
    /// resource is another account's and no resource policy let the
    /// principal in) or `RootCannotAssumeRole`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_reason: Option<String>,
}

/// One context key in a [`DiagnosticMessage`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthCondition {
    /// The key (canonical, lowercase).
    pub key: String,
    /// Its values.
    pub values: Vec<String>,
}

/// `PolicyType` for a denial decided by `by`.
fn policy_type(by: DecidedBy, action: &str) -> &'static str {
    match by {
        DecidedBy::Control => "ControlPolicy",
        DecidedBy::Session => "SessionPolicy",
        DecidedBy::Resource if crate::engine::eval::is_assume_role(action) => "AssumeRolePolicy",
        // Across the account boundary it is the resource policy that had to allow.
        DecidedBy::Resource | DecidedBy::AccountBoundary => "ResourceBasedPolicy",
        DecidedBy::Identity | DecidedBy::Root => "AccountLevelIdentityBasedPolicy",
    }
}

fn principal_type_and_name(p: &Principal) -> (&'static str, String) {
    match p {
        Principal::Root { .. } => ("Account", "root".to_owned()),
        Principal::User { name, .. } => ("SubUser", name.clone()),
        Principal::Role { name, .. } => ("AssumedRoleUser", name.clone()),
        Principal::AssumedRole { role, session, .. } => ("AssumedRoleUser", format!("{role}:{session}")),
        Principal::Federated { provider, .. } => ("Federated", provider.clone()),
        Principal::Service { name } => ("Service", name.clone()),
    }
}

impl AccessDeniedDetail {
    pub(crate) fn build(
        request: &Request,
        denied: &ResourceDecision,
        matched: &[StatementTrace],
        reason: Option<NoteCode>,
    ) -> Self {
        let (principal_type, display) = principal_type_and_name(request.principal());
        let policy_type = policy_type(denied.decided_by, request.action()).to_owned();
        let diagnostic = DiagnosticMessage {
            auth_action: request.action().to_owned(),
            auth_resource: denied.resource.clone(),
            auth_principal: request.principal().to_string(),
            auth_conditions: request
                .context()
                .iter()
                .map(|(k, v)| AuthCondition { key: k.to_owned(), values: v.to_vec() })
                .collect(),
            no_permission_type: denied.decision.name().to_owned(),
            policy_type: policy_type.clone(),
            explicit_deny_statements: matched
                .iter()
                .filter(|t| t.effect == Effect::Deny && t.resource == denied.resource)
                .map(|t| format!("{}#{}", t.policy, t.statement))
                .collect(),
            deny_reason: reason.and_then(NoteCode::deny_reason).map(str::to_owned),
        };
        let json = serde_json::to_vec(&diagnostic).unwrap_or_default();
        Self {
            auth_action: request.action().to_owned(),
            auth_principal_type: principal_type.to_owned(),
            auth_principal_owner_id: request.principal().account().unwrap_or_default().to_owned(),
            auth_principal_display_name: display,
            policy_type,
            no_permission_type: denied.decision.name().to_owned(),
            encoded_diagnostic_message: STANDARD.encode(json),
        }
    }

    /// Decodes [`AccessDeniedDetail::encoded_diagnostic_message`].
    pub fn decode_diagnostic_message(&self) -> Result<DiagnosticMessage, DecodeError> {
        decode_diagnostic_message(&self.encoded_diagnostic_message)
    }
}

/// Why an encoded diagnostic message could not be read.
#[derive(Debug, thiserror::Error)]
#[error("not an encoded diagnostic message: {reason}")]
pub struct DecodeError {
    reason: String,
}

/// Decodes an `EncodedDiagnosticMessage` produced by ramguard.
pub fn decode_diagnostic_message(encoded: &str) -> Result<DiagnosticMessage, DecodeError> {
    let bytes = STANDARD.decode(encoded.trim()).map_err(|e| DecodeError { reason: e.to_string() })?;
    serde_json::from_slice(&bytes).map_err(|e| DecodeError { reason: e.to_string() })
}
