//! `ramguard call`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ramguard::catalog::{Caller, Catalog};
use ramguard::guard::{Guard, MemoryTokens};
use ramguard::sim::{MAX_REQUESTS, format_clock};
use ramguard::{Limits, PolicyKind, PolicySetBuilder, Principal};

use super::inputs;
use super::output::{Format, print_json, render_explanation};
use super::{EXIT_NO, EXIT_OK, EXIT_SERVICE_ERROR};
use crate::world_file::{LockedWorld, open_world, save_world};

/// What `call` reads: the world, the operation and its parameters, and the caller.
pub(crate) struct CallInputs {
    pub(crate) world: PathBuf,
    pub(crate) operation: String,
    pub(crate) param: Vec<String>,
    pub(crate) principal: String,
    pub(crate) identity: Vec<PathBuf>,
    pub(crate) source_ip: Option<String>,
    pub(crate) at: Option<String>,
    pub(crate) mfa: Option<bool>,
}

/// Makes the guarded call of `inputs` on the world file, and writes the
/// changed world back.
pub(crate) fn run(inputs: &CallInputs, format: Format) -> Result<u8, String> {
    let mut builder = PolicySetBuilder::new();
    for path in &inputs.identity {
        builder.add(inputs::load(path, PolicyKind::Identity, &Limits::default())?);
    }
    let policies = builder.build().map_err(|e| e.to_string())?;
    let catalog = Catalog::builtin().map_err(|e| e.to_string())?.clone();
    let principal: Principal = inputs.principal.parse().map_err(|e| format!("--principal: {e}"))?;
    // Held from reading the world until the changed world is in place.
    let file = LockedWorld::lock(&inputs.world)?;
    let simulator = open_world(&file, inputs.at.as_deref())?;
    if simulator.requests_left() == 0 {
        return Err(format!("{}: the world has used all {MAX_REQUESTS} request ids", inputs.world.display()));
    }
    let world = simulator.world();
    // The world file keeps the client tokens between runs; the guard keeps
    // them while it runs.
    let guard = Guard::with_tokens(policies, catalog, MemoryTokens::from_remembered(world.client_tokens));
    let mut caller = Caller::new(principal);
    caller.source_ip.clone_from(&inputs.source_ip);
    caller.current_time = format_clock(world.clock);
    caller.mfa_present = inputs.mfa;
    let mut params = BTreeMap::new();
    for text in &inputs.param {
        let (name, value) = super::pair("--param", text)?;
        params.insert(name.to_owned(), value.to_owned());
    }
    if let Some(operation) = guard.catalog().get(&inputs.operation) {
        for unknown in operation.unknown_parameters(params.keys().map(String::as_str)) {
            let hint = match &unknown.suggestion {
                Some(known) => format!(": did you mean `{known}`?"),
                None => format!("; `ramguard catalog {}` lists its parameters", operation.action),
            };
            eprintln!(
                "warning: --param `{}`: {} has no such parameter, so it has no effect{hint}",
                unknown.name, operation.action
            );
        }
    }
    let outcome =
        pollster::block_on(guard.call(&simulator, &inputs.operation, &params, &caller)).map_err(|e| e.to_string())?;
    let mut world = simulator.into_world();
    world.client_tokens = guard.tokens().remembered();
    save_world(&file, &world)?;
    drop(file);
    match format {
        Format::Json => print_json(&serde_json::json!({
            "status": outcome.response.status,
            "body": outcome.response.body,
            "performed": outcome.performed,
            "explanation": outcome.explanation,
        }))?,
        Format::Human => {
            let body = serde_json::to_string_pretty(&outcome.response.body).map_err(|e| e.to_string())?;
            println!("HTTP {}\n{body}", outcome.response.status);
            if let Some(explanation) = &outcome.explanation {
                print!("{}", render_explanation(explanation));
            }
        }
    }
    Ok(if outcome.response.is_success() {
        EXIT_OK
    } else if outcome.explanation.is_some() {
        EXIT_NO
    } else {
        EXIT_SERVICE_ERROR
    })
}
