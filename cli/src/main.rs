//! The `ramguard` command-line tool.

#![forbid(unsafe_code)]

use std::process::ExitCode;

mod args;
mod commands;
mod progress;
mod world_file;

use args::{Cli, Command};
use clap::Parser as _;
use commands::call::CallInputs;
use commands::eval::{EvalInputs, Target};
use commands::inputs::limits;
use commands::{EXIT_ERROR, EXIT_OK};

/// `ramguard serve` allocates small buffers on every request from many
/// threads at once; glibc's allocator serialises them on its arena locks
/// (a fifth of the gateway's CPU under load), mimalloc keeps them per thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Usage errors exit 1 (clap's own code, 2, means "denied" here).
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { EXIT_OK });
        }
    };
    let result = match cli.command {
        Command::Validate { kind, format, control, session, no_size_limit, template, files } => {
            template.options().and_then(|options| {
                commands::validate::run(kind, format, (&control, &session), no_size_limit, &options, &files)
            })
        }
        Command::Eval {
            identity,
            session,
            control,
            resource_policy,
            principal,
            action,
            resource,
            operation,
            param,
            account,
            context,
            format,
            no_size_limit,
        } => {
            let target = match (operation, action) {
                (Some(operation), _) => Target::Operation { operation, params: param, account },
                (None, Some(action)) => Target::Action { action, resources: resource },
                (None, None) => return ExitCode::from(EXIT_ERROR),
            };
            let inputs = EvalInputs { identity, session, control, resource_policy, principal, target, context };
            commands::eval::run(&inputs, format, limits(no_size_limit))
        }
        Command::Extract { format, template, sources } => {
            template.options().and_then(|options| commands::extract::run(format, &options, &sources))
        }
        Command::Catalog { action, format } => commands::catalog::run(action.as_deref(), format),
        Command::Serve { config, listen } => match ramguard_gateway::server::serve(&config, listen) {
            Ok(()) => Ok(commands::EXIT_OK),
            Err(e) => Err(format!("serve: {e}")),
        },
        Command::Poll { world, at, job, format } => commands::poll::run(&world, at.as_deref(), &job, format),
        Command::Call { world, operation, param, principal, identity, source_ip, at, mfa, format } => {
            let inputs = CallInputs { world, operation, param, principal, identity, source_ip, at, mfa };
            commands::call::run(&inputs, format)
        }
        Command::Test { format, no_size_limit, suites } => commands::test::run(format, limits(no_size_limit), &suites),
        Command::Lint(args) => commands::lint::run(&args),
        Command::WhoCan(args) => commands::audit::who_can(&args),
        Command::WhatCan(args) => commands::audit::what_can(&args),
        Command::Diff(args) => commands::diff::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
