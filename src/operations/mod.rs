//! Calling: the operation catalog, the guard that authorizes a call before
//! it reaches a backend, and simulated services to call.
//!
//! In: API parameters and a caller. Out: the service's answer, or the
//! denial Alibaba Cloud would give. Uses the engine and language stages.

pub mod catalog;
pub mod guard;
pub mod sim;
mod tokens;
