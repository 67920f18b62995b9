//! Deciding: requests and principals, the reference evaluator, the compiled
//! policy set, and decisions with their explanations.
//!
//! In: policies and a [`Request`](crate::Request). Out: a
//! [`Decision`](crate::Decision), its [`Explanation`](crate::Explanation),
//! and the [`AccessDeniedDetail`](crate::AccessDeniedDetail) a denial
//! carries. Uses only the language stage.

pub(crate) mod compile;
pub(crate) mod decision;
pub(crate) mod eval;
pub(crate) mod request;
