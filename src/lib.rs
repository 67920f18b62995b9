#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

// The modules are arranged by stage of the data flow, and a stage uses only
// the stages before it:
//
//     language ← engine ← operations ← audit
//
// - `language`: reading policy text. In: text. Out: `Policy`, located
//   `ParseErrors`.
// - `engine`: deciding. In: policies and a request. Out: `Decision`,
//   `Explanation`, `AccessDeniedDetail`.
// - `operations`: calling. In: API parameters and a caller. Out: the
//   service's answer, or Alibaba's denial.
// - `audit`: checking policies and accounts. In: policies, snapshots, suites.
//   Out: findings, reports, answers. Of `operations` it uses only the
//   operation catalog (`operations::catalog`), the static description of
//   what each API needs; the guard and the simulators are for calling and
//   stay out of the audits.
//
// Nothing in `language` names `engine`, `operations` or `audit`; nothing in
// `engine` names `operations` or `audit`; nothing in `operations` names
// `audit`. `tests/layout.rs` checks it. `fuzzing` sits outside the stages: it
// is opened only by `cargo fuzz` and may reach any of them.
mod audit;
mod engine;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod language;
mod operations;

pub use audit::{diff, lint, report, suite};
pub use language::files;

pub use audit::access::{
    AUDIT_SESSION, AccessError, AccessModel, ActionGrant, AuditPrincipal, ConditionalGrant, Grant, INTERSECT_STEPS,
    PrincipalKind, ResourceGrant, RootAnswer, StatementRef, Undecided, UndecidedGrant, WITNESS_STEPS, WhatCanReport,
    WhoCanQuery, WhoCanReport,
};
pub use audit::snapshot::{
    ControlPolicy, EffectScope, PolicyRef, PolicyType, Snapshot, SnapshotError, SnapshotErrorKind, SnapshotGroup,
    SnapshotPolicy, SnapshotRole, SnapshotUser,
};
pub use engine::compile::{CompileError, CompiledPolicySet, PolicySetBuilder};
pub use engine::decision::{
    AccessDeniedDetail, AuthCondition, ConditionTrace, DecidedBy, Decision, DecodeError, DiagnosticMessage,
    Explanation, Note, NoteCode, Outcome, ResourceDecision, StatementTrace, decode_diagnostic_message,
};
pub use engine::eval::PolicySet;
pub use engine::request::{Principal, PrincipalError, Request};
pub use language::arn::{Arn, ArnError};
pub use language::condition::{BadRequestValue, Condition, Context, Operator, SetQualifier, ValueType, canonical_key};
pub use language::error::{JsonPath, Location, ParseError, ParseErrorKind, ParseErrors, ParseWarning};
pub use language::pattern::Pattern;
pub use language::policy::{ActionSpec, Effect, Limits, Policy, PolicyKind, PrincipalSpec, Statement, detect_kind};
pub use operations::catalog::{
    Caller, Catalog, CatalogError, ConditionKeySpec, Denial, ErrorSpec, MappingError, Operation, ParamType, Parameter,
    ResourceTemplate, Style, UnknownParameter,
};
pub use operations::guard::{
    ApiResponse, Backend, CLIENT_TOKEN_TTL_SECONDS, ClientTokens, Guard, GuardError, GuardOutcome, RememberedCall,
    error_response,
};
pub use operations::sim::{
    CONFLICT_SECONDS, EcrGrant, GatewayChild, JOB_RETENTION_SECONDS, JOB_SECONDS, MAX_CLOCK, MAX_REQUESTS, MIN_CLOCK,
    Simulator, TrafficMirrorSession, UPDATE_SECONDS, VpnGateway, World, WorldError, ZstackIpsecConnection, ZstackJob,
    ZstackSession, format_clock, parse_clock,
};
