#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod access;
mod arn;
mod catalog;
mod compile;
mod condition;
mod decision;
pub mod diff;
mod error;
mod eval;
pub mod files;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod fuzzy;
mod glob;
mod guard;
mod ignore;
mod json;
pub mod lint;
mod pattern;
mod policy;
pub mod report;
mod request;
mod simulator;
mod snapshot;
pub mod suite;

pub use access::{
    AUDIT_SESSION, AccessError, AccessModel, ActionGrant, AuditPrincipal, ConditionalGrant, Grant, INTERSECT_STEPS,
    PrincipalKind, ResourceGrant, RootAnswer, StatementRef, Undecided, UndecidedGrant, WITNESS_STEPS, WhatCanReport,
    WhoCanQuery, WhoCanReport,
};
pub use arn::{Arn, ArnError};
pub use catalog::{
    Caller, Catalog, CatalogError, ConditionKeySpec, Denial, ErrorSpec, MappingError, Operation, ParamType, Parameter,
    ResourceTemplate, Style, UnknownParameter,
};
pub use compile::{CompileError, CompiledPolicySet, PolicySetBuilder};
pub use condition::{BadRequestValue, Condition, Context, Operator, SetQualifier, ValueType, canonical_key};
pub use decision::{
    AccessDeniedDetail, AuthCondition, ConditionTrace, DecidedBy, Decision, DecodeError, DiagnosticMessage,
    Explanation, Note, NoteCode, Outcome, ResourceDecision, StatementTrace, decode_diagnostic_message,
};
pub use error::{JsonPath, Location, ParseError, ParseErrorKind, ParseErrors, ParseWarning};
pub use eval::PolicySet;
pub use guard::{
    ApiResponse, Backend, CLIENT_TOKEN_TTL_SECONDS, ClientTokens, Guard, GuardError, GuardOutcome, RememberedCall,
    error_response,
};
pub use pattern::Pattern;
pub use policy::{ActionSpec, Effect, Limits, Policy, PolicyKind, PrincipalSpec, Statement, detect_kind};
pub use request::{Principal, PrincipalError, Request};
pub use simulator::{
    CONFLICT_SECONDS, EcrGrant, GatewayChild, JOB_RETENTION_SECONDS, JOB_SECONDS, MAX_CLOCK, MAX_REQUESTS, MIN_CLOCK,
    Simulator, TrafficMirrorSession, UPDATE_SECONDS, VpnGateway, World, WorldError, ZstackIpsecConnection, ZstackJob,
    ZstackSession, format_clock, parse_clock,
};
pub use snapshot::{
    ControlPolicy, EffectScope, PolicyRef, PolicyType, Snapshot, SnapshotError, SnapshotErrorKind, SnapshotGroup,
    SnapshotPolicy, SnapshotRole, SnapshotUser,
};
