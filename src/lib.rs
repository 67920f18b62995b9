//! Alibaba Cloud RAM policies, decided offline: read them, compile them,
//! decide requests in well under a microsecond, explain every decision, and
//! guard the real operation so that only an allowed call reaches it.
//!
//! This is the library guide. The `ramguard` command (package
//! `ramguard-cli`) puts the same library behind `validate`, `eval`, `test`,
//! `lint`, `diff`, `who-can`, `what-can` and `call`; its README is the guide
//! for the command line.
//!
//! # Deciding
//!
//! A [`Policy`] is read from its JSON text with the rules of its
//! [`PolicyKind`] (identity, control, session or resource policy). Policies
//! go into a [`PolicySetBuilder`], which compiles them into a
//! [`CompiledPolicySet`]; a [`Request`] names a [`Principal`], an action,
//! one or more resources and a [`Context`] of condition keys. The
//! [`Decision`] is an [`Outcome`] (`Allow`, `ExplicitDeny`, `ImplicitDeny`)
//! and the kind of policy that decided it ([`DecidedBy`]).
//!
//! ```
//! use ramguard::{Context, Outcome, Policy, PolicyKind, PolicySetBuilder, Principal, Request};
//!
//! let mut builder = PolicySetBuilder::new();
//! builder.add(Policy::parse("network-ops", r#"{"Version": "1", "Statement": [
//!     {"Effect": "Allow", "Action": "vpc:DeleteVpnConnection",
//!      "Resource": "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/*"},
//!     {"Effect": "Deny", "Action": "vpc:Delete*", "Resource": "*",
//!      "Condition": {"NotIpAddress": {"acs:SourceIp": "203.0.113.0/24"}}}]}"#,
//!     PolicyKind::Identity)?);
//! let policies = builder.build()?;
//!
//! let alice: Principal = "acs:ram::1234567890123456:user/alice".parse()?;
//! let delete = |ip: &str| {
//!     Request::new(alice.clone(), "vpc:DeleteVpnConnection",
//!         "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-1")
//!         .with_context(Context::new().with("acs:SourceIp", ip))
//! };
//! assert_eq!(policies.authorize(&delete("203.0.113.7")).outcome, Outcome::Allow);
//! assert_eq!(policies.authorize(&delete("198.51.100.20")).outcome, Outcome::ExplicitDeny);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A compiled set is immutable and `Send + Sync`: share one behind an `Arc`
//! and decide from any number of threads. Once a thread has decided a
//! request, deciding more makes no allocation. [`PolicySet`] is the
//! reference evaluator: a direct reading of RAM's rules, slower, which the
//! compiled set is tested to agree with on every request.
//!
//! # Explaining
//!
//! [`CompiledPolicySet::explain`] gives the decision with everything that led
//! to it: the statements that matched and each condition's result (see
//! [`decision`]), the condition keys the request lacked, the decision per
//! resource, [`Note`]s on what the outcome alone does not say, and on a
//! denial the [`AccessDeniedDetail`] that Alibaba Cloud returns with it,
//! whose encoded diagnostic message decodes as RAM's
//! `DecodeDiagnosticMessage` shows it.
//!
//! ```
//! use ramguard::{Outcome, Policy, PolicyKind, PolicySetBuilder, Principal, Request};
//!
//! let mut builder = PolicySetBuilder::new();
//! builder.add(Policy::parse("ops", r#"{"Version": "1", "Statement": [
//!     {"Effect": "Allow", "Action": "vpc:*", "Resource": "*"},
//!     {"Sid": "NoMirrorDeletes", "Effect": "Deny", "Action": "vpc:DeleteTrafficMirrorSession",
//!      "Resource": "*"}]}"#, PolicyKind::Identity)?);
//! let policies = builder.build()?;
//! let request = Request::new("acs:ram::1234567890123456:user/alice".parse::<Principal>()?,
//!     "vpc:DeleteTrafficMirrorSession", "acs:vpc:cn-hangzhou:1234567890123456:trafficmirrorsession/tms-1");
//!
//! let explanation = policies.explain(&request);
//! assert_eq!(explanation.decision, Outcome::ExplicitDeny);
//! let deny = explanation.matched.iter().find(|s| s.sid.as_deref() == Some("NoMirrorDeletes"));
//! assert_eq!(deny.map(|s| s.statement), Some(1));
//! let detail = explanation.access_denied_detail.ok_or("a denial has a detail")?;
//! assert_eq!(detail.no_permission_type, "ExplicitDeny");
//! assert_eq!(detail.auth_principal_display_name, "alice");
//! let message = detail.decode_diagnostic_message()?;
//! assert_eq!(message.explicit_deny_statements, ["ops#1"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Guarding a call
//!
//! The [`catalog`] says what each cloud operation means to RAM: its action,
//! the resource ARNs built from its parameters, the condition keys it sets,
//! its documented errors and the answer it gives on a denial. A
//! [`guard::Guard`] takes a compiled set and the catalog and handles a call
//! the way the service would: validate the parameters, authorize, honour
//! `DryRun` and `ClientToken`, and only then call the [`guard::Backend`],
//! which is your client of the real service. A denied call never reaches the
//! backend and is answered with the service's own code, envelope and
//! `AccessDeniedDetail`. [`sim`] has in-memory services (VPC,
//! ExpressConnect Router, ZStack) to call in tests; the [`guard`] module
//! shows a backend of your own.
//!
//! # Checking policies in CI
//!
//! - Reading: [`Policy::parse`] reports every problem, not only the first,
//!   each a [`ParseError`] with its [`JsonPath`], line and column, and
//!   [`ParseWarning`]s for what RAM accepts but likely was not meant.
//!   [`Limits`] are RAM's size limits per kind; [`detect_kind`] guesses a
//!   document's kind from its shape. [`files`] reads input files bounded;
//!   [`sources`] finds the documents a Terraform plan or a ROS template
//!   holds, with their kinds and where they are in the file.
//! - [`lint`]: the findings of Alibaba Cloud's policy check (errors,
//!   security warnings, warnings, suggestions), each with a stable rule code
//!   and a location; [`report`] renders many files' findings for people,
//!   JSON, SARIF and JUnit.
//! - [`suite`]: policy test suites, named policies and the decision
//!   expected of each case.
//! - [`diff`]: whether a new policy set allows any request the old one
//!   denies, with a counterexample request for each new grant.
//!
//! ```
//! use ramguard::catalog::Catalog;
//! use ramguard::lint::{LintOptions, Severity, lint};
//! use ramguard::{Limits, Policy, PolicyKind};
//!
//! let text = r#"{"Version": "1", "Statement": [{"Effect": "Alow", "Action": "vpc:*", "Resource": "*"}]}"#;
//! let errors = Policy::parse("ops.json", text, PolicyKind::Identity).unwrap_err();
//! let error = &errors.errors()[0];
//! assert_eq!((error.path().to_string().as_str(), error.location().column), ("Statement[0].Effect", 43));
//!
//! let limits = Limits::default();
//! let findings = lint("ops.json", text, &LintOptions { catalog: Catalog::builtin()?, limits: &limits, kind: None });
//! assert!(findings.iter().any(|f| f.severity == Severity::Error && f.location.column == 43));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Auditing an account
//!
//! A [`snapshot::Snapshot`] is an account's users, groups, roles, policy
//! attachments and documents, as RAM's own API returns them. An
//! [`access::AccessModel`] built from it answers who can perform an action
//! (on a resource or on some resource) and what a principal can do, naming
//! the granting statements.
//!
//! # Failing closed, and bounded
//!
//! - No input makes the library panic, and there is no `unsafe` code.
//! - A malformed policy is an error, never a policy with a statement fewer;
//!   a request value that does not have its condition's type makes a `Deny`
//!   statement hold and an `Allow` statement fail.
//! - Every search has a budget. One that runs out answers "undecided" (see
//!   [`access::WhoCanReport::is_decided`], [`diff::DiffReport::complete`],
//!   [`lint::Unchecked`]), never "nobody can" or "no new access".
//!
//! # Modules
//!
//! The crate root holds what deciding needs. The rest is one module per
//! subsystem: [`policy`] and [`decision`] (the parts of policies and of
//! decisions), [`catalog`], [`guard`], [`sim`] (calling), [`lint`],
//! [`report`], [`suite`], [`diff`] (checking policies), [`snapshot`],
//! [`access`] (auditing accounts), [`files`] and [`sources`] (reading
//! input).
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

// The deciding core: what a caller needs to read policies, build a set and
// decide requests. Everything else lives in one public module per
// subsystem, and every public item has exactly one path.
pub use engine::compile::{CompileError, CompiledPolicySet, PolicySetBuilder};
pub use engine::decision::{AccessDeniedDetail, DecidedBy, Decision, Explanation, Note, NoteCode, Outcome};
pub use engine::eval::PolicySet;
pub use engine::request::{Principal, PrincipalError, Request};
pub use language::condition::{BadRequestValue, Context};
pub use language::error::{JsonPath, Location, ParseError, ParseErrorKind, ParseErrors, ParseWarning};
pub use language::policy::{Limits, Policy, PolicyKind, detect_kind};

// Calling.
pub use operations::{catalog, guard, sim};

// Checking policies and accounts.
pub use audit::{access, diff, lint, report, snapshot, suite};

// Reading input files, bounded, and the documents that other files hold.
pub use language::{files, sources};

// The README's Rust examples are compiled and run with the doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod policy {
    //! The parts of a [`Policy`](crate::Policy): its statements, their
    //! actions, principals, resource patterns and conditions, and the ARNs
    //! that patterns are matched against.
    //!
    //! A parsed policy is a validated model: every field below was checked
    //! against the rules of the RAM language, so an invalid state cannot be
    //! represented.
    //!
    //! ```
    //! use ramguard::policy::{ActionSpec, Effect, Operator};
    //! use ramguard::{Policy, PolicyKind};
    //!
    //! let policy = Policy::parse("deny-outside", r#"{"Version": "1", "Statement": [{
    //!     "Effect": "Deny", "Action": "vpc:Delete*", "Resource": "*",
    //!     "Condition": {"NotIpAddress": {"acs:SourceIp": "203.0.113.0/24"}}}]}"#,
    //!     PolicyKind::Identity)?;
    //! let statement = &policy.statements()[0];
    //! assert_eq!(statement.effect(), Effect::Deny);
    //! assert!(matches!(statement.actions(), ActionSpec::Action(_)));
    //! assert_eq!(statement.actions().patterns()[0].as_str(), "vpc:Delete*");
    //! assert!(statement.actions().matches("VPC:DeleteIpsecServer"));
    //! assert_eq!(statement.conditions()[0].operator(), Operator::NotIpAddress);
    //! Ok::<(), ramguard::ParseErrors>(())
    //! ```
    pub use crate::language::arn::{Arn, ArnError};
    pub use crate::language::condition::{Condition, Operator, SetQualifier, ValueType, canonical_key};
    pub use crate::language::pattern::Pattern;
    pub use crate::language::policy::{ActionSpec, Effect, PrincipalSpec, Statement};
}

pub mod decision {
    //! The parts of a decision's account of itself: the traces of an
    //! [`Explanation`](crate::Explanation) (each statement and condition
    //! considered, per resource) and the pieces of an
    //! [`AccessDeniedDetail`](crate::AccessDeniedDetail), including its
    //! encoded diagnostic message.
    //!
    //! ```
    //! use ramguard::{Outcome, Policy, PolicyKind, PolicySet, Principal, Request};
    //!
    //! let policy = Policy::parse("ops", r#"{"Version": "1", "Statement": [{
    //!     "Effect": "Deny", "Action": "vpc:DeleteIpsecServer", "Resource": "*"}]}"#,
    //!     PolicyKind::Identity)?;
    //! let set = PolicySet::new().with(policy);
    //! let alice: Principal = "acs:ram::1234567890123456:user/alice".parse()?;
    //! let request = Request::new(alice, "vpc:DeleteIpsecServer",
    //!     "acs:vpc:cn-hangzhou:1234567890123456:vpnipsecserver/iss-1");
    //! let explanation = set.explain(&request);
    //! assert_eq!(explanation.decision, Outcome::ExplicitDeny);
    //! let deny = &explanation.matched[0];
    //! assert_eq!((deny.policy.as_str(), deny.statement), ("ops", 0));
    //! let detail = explanation.access_denied_detail.as_ref().ok_or("no detail")?;
    //! let message = detail.decode_diagnostic_message()?;
    //! assert_eq!(message.policy_type, "AccountLevelIdentityBasedPolicy");
    //! assert_eq!(message.explicit_deny_statements, ["ops#0"]);
    //! Ok::<(), Box<dyn std::error::Error>>(())
    //! ```
    pub use crate::engine::decision::{
        AuthCondition, ConditionTrace, DecodeError, DiagnosticMessage, ResourceDecision, StatementTrace,
        decode_diagnostic_message,
    };
}
