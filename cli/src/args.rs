//! The command line's arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use ramguard::suite::DEFAULT_PRINCIPAL;

use crate::commands;
use crate::commands::inputs::KindArg;
use crate::commands::output::Format;

#[derive(Parser)]
#[command(name = "ramguard", version, about = "Validate, evaluate and test Alibaba Cloud RAM policies, offline")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Check that policy documents are valid RAM policies.
    ///
    /// Exit 0 when every file is valid, 1 otherwise.
    Validate {
        /// The kind of policy; `auto` reads a document with `Principal` as a
        /// resource policy and any other as an identity policy.
        #[arg(long, value_enum, default_value = "auto")]
        kind: KindArg,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Documents read as control policies, whatever `--kind` says (a
        /// glob, as for `lint --control`). Repeatable.
        #[arg(long, value_name = "GLOB")]
        control: Vec<String>,
        /// Documents read as session policies (a glob, as for `--control`).
        #[arg(long, value_name = "GLOB")]
        session: Vec<String>,
        /// Lift RAM's document size limits (for offline audits).
        #[arg(long)]
        no_size_limit: bool,
        #[command(flatten)]
        template: crate::commands::inputs::TemplateArgs,
        /// Policy documents, Terraform plans, ROS templates, or directories
        /// whose `*.json` files, and `*.yaml`/`*.yml` ROS templates, are
        /// checked (recursively; hidden entries and `*.suite.json` skipped).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print every policy document the sources hold: policy files,
    /// directories of them, Terraform plans (`terraform show -json`) and ROS
    /// templates (JSON or YAML),
    /// with where each is, its kind and what it depends on that is not known.
    ///
    /// Exit 0 when every source was read, 1 otherwise.
    Extract {
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        #[command(flatten)]
        template: crate::commands::inputs::TemplateArgs,
        /// Policy documents, Terraform plans, ROS templates, or directories
        /// whose `*.json` files, and `*.yaml`/`*.yml` ROS templates, are read
        /// (recursively; hidden entries and `*.suite.json` skipped).
        #[arg(required = true)]
        sources: Vec<PathBuf>,
    },
    /// Decide a request against policies, and explain the decision.
    ///
    /// Exit 0 on Allow, 2 on a denial, 1 on an error.
    Eval {
        /// Identity policies of the principal (its own, its groups').
        #[arg(long, num_args = 1..)]
        identity: Vec<PathBuf>,
        /// The session policy of an assumed role.
        #[arg(long)]
        session: Option<PathBuf>,
        /// Resource Directory control policies.
        #[arg(long, num_args = 1..)]
        control: Vec<PathBuf>,
        /// The resource's policy (for `sts:AssumeRole`, the role's trust policy).
        #[arg(long)]
        resource_policy: Option<PathBuf>,
        /// Who asks.
        #[arg(long, default_value = DEFAULT_PRINCIPAL)]
        principal: String,
        /// The action, such as `vpc:DeleteIpsecServer`.
        #[arg(long, required_unless_present = "operation", conflicts_with = "operation")]
        action: Option<String>,
        /// The resource ARNs the action touches (`*` for actions without resource-level authorization).
        #[arg(long, num_args = 1.., required_unless_present = "operation", conflicts_with = "operation")]
        resource: Vec<String>,
        /// An operation from the catalog (`vpc:DeleteIpsecServer`): the action,
        /// resources and condition keys are derived from it and its `--param`s.
        #[arg(long)]
        operation: Option<String>,
        /// A parameter of `--operation`, `NAME=VALUE`.
        #[arg(long, value_name = "NAME=VALUE", requires = "operation")]
        param: Vec<String>,
        /// The account that owns the resources of `--operation` (the principal's by default).
        #[arg(long, requires = "operation")]
        account: Option<String>,
        /// A context value, `KEY=VALUE`; a key given twice has several values
        /// (spelled the same way both times: two spellings of one key are an error).
        #[arg(long, value_name = "KEY=VALUE")]
        context: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Lift RAM's document size limits.
        #[arg(long)]
        no_size_limit: bool,
    },
    /// Make a guarded call against the simulated services: authorize it, then
    /// run it on the world in WORLD.json, print the HTTP answer the service
    /// would send, and write the changed world back.
    ///
    /// Exit 0 on a 2xx answer, 2 on a denial, 3 on another service error, 1 on bad input.
    Call {
        /// The simulated world (read, then written back).
        #[arg(long)]
        world: PathBuf,
        /// The operation (`vpc:DeleteIpsecServer`).
        #[arg(long)]
        operation: String,
        /// A parameter, `NAME=VALUE`.
        #[arg(long, value_name = "NAME=VALUE")]
        param: Vec<String>,
        /// Who calls.
        #[arg(long)]
        principal: String,
        /// The caller's identity policies.
        #[arg(long, required = true, num_args = 1..)]
        identity: Vec<PathBuf>,
        /// The caller's address (`acs:SourceIp`).
        #[arg(long)]
        source_ip: Option<String>,
        /// When the call happens (ISO 8601): the world's clock moves there
        /// first, and `acs:CurrentTime` carries it. Default: the world's clock.
        #[arg(long)]
        at: Option<String>,
        /// Whether the caller signed in with MFA (`acs:MFAPresent`).
        #[arg(long)]
        mfa: Option<bool>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Serve the gateway: verify the official SDKs' signatures, authorize
    /// each call with the policies of an account snapshot, and perform the
    /// allowed ones on the configured backend. Runs until SIGTERM or Ctrl-C.
    Serve {
        /// The gateway's configuration file (TOML).
        #[arg(long)]
        config: PathBuf,
        /// Listen here instead of the configured address (`127.0.0.1:0`
        /// picks a free port, printed on stderr).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Poll a ZStack job of the simulated world: 202 while it runs, 200 with
    /// the inventory, 503 with the error, 404 once it has expired.
    ///
    /// Exit 0 on a 2xx answer, 3 otherwise, 1 on bad input.
    Poll {
        /// The simulated world (read, then written back).
        #[arg(long)]
        world: PathBuf,
        /// Move the world's clock forward to this time first (ISO 8601).
        #[arg(long)]
        at: Option<String>,
        /// The job's location, or its id.
        job: String,
        /// Output format: `json` prints `{"status": ..., "body": ...}`.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// List the operations ramguard knows, or show one: parameters,
    /// resources, condition keys, errors.
    ///
    /// Exit 0, or 1 for an unknown action.
    Catalog {
        /// The RAM action to show (case-insensitive); all when absent.
        action: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Run policy test suites (files, or directories searched for `*.suite.json`).
    ///
    /// Exit 0 when every case passes, 2 when any fails, 1 on an error.
    Test {
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Lift RAM's document size limits.
        #[arg(long)]
        no_size_limit: bool,
        /// Suite files or directories.
        #[arg(required = true)]
        suites: Vec<PathBuf>,
    },
    /// Lint policy documents the way Alibaba Cloud's policy check does:
    /// errors, security warnings, warnings and suggestions.
    ///
    /// Exit 0 when nothing at or above `--fail-on` is found, 2 when something is, 3 when nothing is
    /// but a rule at or above it was not fully checked within its budget, 1 on an error.
    Lint(commands::lint::Args),
    /// List every principal of an account snapshot that may perform an action.
    ///
    /// Exit 0 when some principal may, 2 when none may, 3 when none is known to
    /// but some principal is undecided (a search ran out of its budget), 1 on an error.
    WhoCan(commands::audit::WhoCanArgs),
    /// List every catalog action a principal of an account snapshot may
    /// perform, and on which resources.
    ///
    /// Exit 0, 3 when some answer is undecided (a search ran out of its budget), or 1 on an error.
    WhatCan(commands::audit::WhatCanArgs),
    /// Check that a new policy set grants nothing the old one did not.
    ///
    /// Exit 0 when it grants nothing new, 2 when it does, 3 when nothing was
    /// found but a budget cut the search short (no proof; `--accept-inexact`
    /// makes that 0), 1 on an error.
    Diff(commands::diff::Args),
}
