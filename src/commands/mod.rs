//! The audit and CI subcommands: `lint`, `who-can`, `what-can` and `diff`.

pub(crate) mod audit;
pub(crate) mod diff;
pub(crate) mod lint;
