//! `ramguard eval`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ramguard::catalog::Caller;
use ramguard::{CompiledPolicySet, Context, Limits, PolicyKind, PolicySet, Principal, Request};

use super::inputs;
use super::output::{Format, print_json, render_explanation};
use super::{EXIT_NO, EXIT_OK};

/// What `eval` reads: the policies of each kind, who asks, what, and the context.
pub(crate) struct EvalInputs {
    pub(crate) identity: Vec<PathBuf>,
    pub(crate) session: Option<PathBuf>,
    pub(crate) control: Vec<PathBuf>,
    pub(crate) resource_policy: Option<PathBuf>,
    pub(crate) principal: String,
    pub(crate) target: Target,
    pub(crate) context: Vec<String>,
}

/// What `eval` decides: an action on resources, or a catalog operation's call.
pub(crate) enum Target {
    Action { action: String, resources: Vec<String> },
    Operation { operation: String, params: Vec<String>, account: Option<String> },
}

/// Decides the request of `inputs` with the compiled set, checks that the
/// reference evaluator agrees, and explains the decision.
pub(crate) fn run(inputs: &EvalInputs, format: Format, limits: Limits) -> Result<u8, String> {
    let mut set = PolicySet::new();
    for path in &inputs.identity {
        set.add(inputs::load(path, PolicyKind::Identity, &limits)?);
    }
    if let Some(path) = &inputs.session {
        set.add(inputs::load(path, PolicyKind::Session, &limits)?);
    }
    for path in &inputs.control {
        set.add(inputs::load(path, PolicyKind::Control, &limits)?);
    }
    if let Some(path) = &inputs.resource_policy {
        set.add(inputs::load(path, PolicyKind::Resource, &limits)?);
    }
    let principal: Principal = inputs.principal.parse().map_err(|e| format!("--principal: {e}"))?;
    let extra = super::context_pairs(&inputs.context)?;
    let request = match &inputs.target {
        Target::Action { action, resources } => {
            let first = resources.first().map_or("", String::as_str);
            let mut context = Context::new();
            for (key, value) in &extra {
                context.insert(key, *value);
            }
            Request::new(principal, action, first).with_resources(resources.clone()).with_context(context)
        }
        Target::Operation { operation, params, account } => {
            let op = super::catalog::operation(operation)?;
            let mut values = BTreeMap::new();
            for text in params {
                let (name, value) = super::pair("--param", text)?;
                if op.parameter(name).is_none() {
                    return Err(format!("--param `{name}`: `{}` has no such parameter", op.action));
                }
                values.insert(name.to_owned(), value.to_owned());
            }
            let mut caller = Caller::new(principal);
            caller.account.clone_from(account);
            let derived = op.authorization_request(&values, &caller).map_err(|e| format!("{}: {e}", op.action))?;
            let mut context = derived.context().clone();
            for (key, value) in &extra {
                context.insert(key, *value);
            }
            derived.with_context(context)
        }
    };
    if let (Target::Operation { .. }, Format::Human) = (&inputs.target, format) {
        println!("derived from the catalog: action {}, resources {:?}", request.action(), request.resources());
        for (key, values) in request.context().iter() {
            println!("  context {key} = {values:?}");
        }
    }
    let compiled = CompiledPolicySet::compile(set).map_err(|e| e.to_string())?;
    let decision = compiled.authorize(&request);
    let explanation = compiled.explain(&request);
    if decision != explanation.to_decision() {
        return Err(format!(
            "the compiled set decided {} ({}) but the explanation says {} ({}); please report this",
            decision.outcome, decision.decided_by, explanation.decision, explanation.decided_by
        ));
    }
    match format {
        Format::Json => {
            let mut value = serde_json::to_value(&explanation).map_err(|e| e.to_string())?;
            if let (Target::Operation { .. }, Some(object)) = (&inputs.target, value.as_object_mut()) {
                let context: BTreeMap<&str, &[String]> = request.context().iter().collect();
                object.insert(
                    "derived".to_owned(),
                    serde_json::json!({"action": request.action(), "resources": request.resources(), "context": context}),
                );
            }
            print_json(&value)?;
        }
        Format::Human => print!("{}", render_explanation(&explanation)),
    }
    Ok(if explanation.decision.is_allow() { EXIT_OK } else { EXIT_NO })
}
