//! Checking policies and accounts: lint, diff, account snapshots,
//! who-can and what-can, the glob algebra they share, reports, ignore files
//! and test suites.
//!
//! In: policies, snapshots, suites. Out: findings, reports, answers. Uses
//! the engine and language stages, and of the operations stage only the
//! operation catalog.

pub mod access;
pub mod diff;
pub(crate) mod glob;
pub(crate) mod ignore;
pub mod lint;
pub mod report;
pub mod snapshot;
pub mod suite;
