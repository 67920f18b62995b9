//! `ramguard catalog`.

use ramguard::catalog::{Catalog, Operation};

use super::EXIT_OK;
use super::output::{Format, print_json};

/// Lists the built-in catalog, or shows the operation of `action`.
pub(crate) fn run(action: Option<&str>, format: Format) -> Result<u8, String> {
    use std::fmt::Write as _;
    let Some(action) = action else {
        let all = Catalog::builtin().map_err(|e| format!("the built-in catalog: {e}"))?.operations();
        match format {
            Format::Json => print_json(&all)?,
            Format::Human => {
                for op in all {
                    let resources: Vec<&str> = op.resources.iter().map(|r| r.resource_type.as_str()).collect();
                    println!("{:<66} {:<7} {}", op.action, op.access_level, resources.join(", "));
                }
            }
        }
        return Ok(EXIT_OK);
    };
    let op = operation(action)?;
    if let Format::Json = format {
        print_json(op)?;
        return Ok(EXIT_OK);
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} ({} {} {}, access level {})", op.action, op.product, op.version, op.api, op.access_level);
    let _ = writeln!(out, "  {} {}", op.method, op.path);
    let _ = writeln!(out, "parameters:");
    for p in &op.parameters {
        let required = if p.required { "required" } else { "optional" };
        let values = p.values.as_ref().map(|v| format!(", one of {}", v.join(" | "))).unwrap_or_default();
        let _ = writeln!(out, "  {} ({:?}, {required}{values})", p.name, p.param_type);
    }
    let _ = writeln!(out, "resources:");
    for r in &op.resources {
        let when = r.when.as_ref().map(|w| format!(" when {w:?}")).unwrap_or_default();
        let _ = writeln!(out, "  {}: {}{when}", r.resource_type, r.arn);
    }
    for k in &op.condition_keys {
        let aliases = if k.aliases.is_empty() { String::new() } else { format!(" (also {})", k.aliases.join(", ")) };
        let _ =
            writeln!(out, "condition key: {}{aliases} from `{}`, one of {}", k.key, k.parameter, k.values.join(" | "));
    }
    let _ = writeln!(out, "dry run: {}", op.dry_run.as_deref().unwrap_or("not supported"));
    if let Some(note) = &op.asynchronous {
        let _ = writeln!(out, "asynchronous: {note}");
    }
    let _ = writeln!(out, "denial: {} {} \"{}\"", op.denial.status, op.denial.code, op.denial.message);
    if !op.errors.is_empty() {
        let _ = writeln!(out, "errors:");
        for e in &op.errors {
            let _ = writeln!(out, "  {} {} \"{}\"", e.status, e.code, e.message);
        }
    }
    print!("{out}");
    Ok(EXIT_OK)
}

/// The built-in catalog's operation for `action`, or an error that suggests one.
pub(crate) fn operation(action: &str) -> Result<&'static Operation, String> {
    let catalog = Catalog::builtin().map_err(|e| format!("the built-in catalog: {e}"))?;
    catalog.get(action).ok_or_else(|| match catalog.suggest(action) {
        Some(s) => format!("`{action}` is not in the catalog: did you mean `{s}`?"),
        None => format!("`{action}` is not in the catalog; `ramguard catalog` lists what is"),
    })
}
