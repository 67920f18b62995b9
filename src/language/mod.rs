//! Reading policy text: JSON reading and locating, the policy model and its
//! reader, parse errors, conditions, wildcard patterns, ARNs, suggestions for
//! misspellings, bounded file reading, and the documents that Terraform plans
//! hold.
//!
//! In: text. Out: a [`Policy`](crate::Policy), or located
//! [`ParseErrors`](crate::ParseErrors). Nothing here knows of deciding,
//! calling or auditing.

pub(crate) mod arn;
pub(crate) mod condition;
pub(crate) mod error;
pub mod files;
pub(crate) mod fuzzy;
pub(crate) mod json;
pub(crate) mod pattern;
pub(crate) mod policy;
pub mod sources;
