//! `ramguard who-can` and `ramguard what-can`.

use std::fmt::Write as _;
use std::path::PathBuf;

use ramguard::Context;
use ramguard::access::{AccessModel, WhatCanReport, WhoCanQuery, WhoCanReport};
use ramguard::catalog::Catalog;
use ramguard::snapshot::Snapshot;

use super::output::Format;
use super::{EXIT_NO, EXIT_OK, EXIT_UNDECIDED};

/// What both audit commands read: the snapshot, the context, the catalog
/// and how to answer.
#[derive(clap::Args)]
pub(crate) struct AuditArgs {
    /// The account snapshot (a file or a directory).
    #[arg(long)]
    pub(crate) snapshot: PathBuf,
    /// A context value, `KEY=VALUE`; a key given twice has several values
    /// (spelled the same way both times: two spellings of one key are an error).
    #[arg(long, value_name = "KEY=VALUE")]
    pub(crate) context: Vec<String>,
    /// A catalog file merged over the built-in one: its actions are the ones
    /// `what-can` asks about, and its ARN templates shape `who-can`'s witness
    /// resources. Repeatable.
    #[arg(long)]
    pub(crate) catalog: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: Format,
}

impl AuditArgs {
    /// The access model of the snapshot, the catalog and the context.
    fn open(&self) -> Result<(AccessModel, Catalog, Context), String> {
        let catalog = super::catalog_with(self.catalog.iter().map(PathBuf::as_path))?;
        let mut context = Context::new();
        for (key, value) in super::context_pairs(&self.context)? {
            context.insert(key, value);
        }
        let snapshot = Snapshot::load(&self.snapshot).map_err(|e| e.to_string())?;
        let model = AccessModel::new(&snapshot).map_err(|e| format!("{}: {e}", self.snapshot.display()))?;
        Ok((model, catalog, context))
    }
}

/// Arguments of `ramguard who-can`.
#[derive(clap::Args)]
pub(crate) struct WhoCanArgs {
    /// The action, such as `vpc:DeleteIpsecServer`.
    #[arg(long)]
    pub(crate) action: String,
    /// A resource ARN; with several, a principal must be allowed on every one.
    /// Without any, the question is "on some resource".
    #[arg(long)]
    pub(crate) resource: Vec<String>,
    #[command(flatten)]
    pub(crate) audit: AuditArgs,
}

/// Arguments of `ramguard what-can`.
#[derive(clap::Args)]
pub(crate) struct WhatCanArgs {
    /// The principal: a user or role name, its ARN, a role session's ARN, or `root`.
    #[arg(long)]
    pub(crate) principal: String,
    #[command(flatten)]
    pub(crate) audit: AuditArgs,
}

pub(crate) fn who_can(args: &WhoCanArgs) -> Result<u8, String> {
    let working = crate::progress::Progress::spinner("who-can");
    working.message("reading the snapshot");
    let (model, catalog, context) = args.audit.open()?;
    let query = WhoCanQuery { action: args.action.clone(), resources: args.resource.clone(), context };
    working.message("evaluating every principal");
    let report = model.who_can(&query, &catalog).map_err(|e| e.to_string());
    drop(working);
    let report = report?;
    match args.audit.format {
        Format::Json => super::output::print_json(&report)?,
        Format::Human => print!("{}", render_who_can(&report)),
    }
    // A principal known to be allowed answers the question; otherwise an
    // undecided principal keeps "nobody" from being the answer.
    Ok(if !report.allowed.is_empty() {
        EXIT_OK
    } else if !report.undecided.is_empty() {
        EXIT_UNDECIDED
    } else {
        EXIT_NO
    })
}

pub(crate) fn what_can(args: &WhatCanArgs) -> Result<u8, String> {
    let working = crate::progress::Progress::spinner("what-can");
    working.message("reading the snapshot");
    let (model, catalog, context) = args.audit.open()?;
    let principal = model.find(&args.principal).map_err(|e| e.to_string())?;
    working.message("evaluating every action");
    let report = model.what_can(principal, &catalog, &context).map_err(|e| e.to_string());
    drop(working);
    let report = report?;
    match args.audit.format {
        Format::Json => super::output::print_json(&report)?,
        Format::Human => print!("{}", render_what_can(&report, catalog.operations().len())),
    }
    Ok(if report.is_decided() { EXIT_OK } else { EXIT_UNDECIDED })
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

fn render_who_can(r: &WhoCanReport) -> String {
    let mut out = String::new();
    let on = if r.resources.is_empty() { "some resource".to_owned() } else { join(&r.resources) };
    let _ = writeln!(out, "who can {} on {on}", r.action);
    let _ = writeln!(out, "allowed ({}):", r.allowed.len());
    for g in &r.allowed {
        let _ = writeln!(out, "  {} {} ({})", g.kind.name(), g.name, g.principal);
        if r.resources.is_empty() {
            let _ = writeln!(out, "    on {}", join(&g.resources));
        }
        let _ = writeln!(out, "    granted by {}", join(&g.granted_by));
    }
    if !r.conditional.is_empty() {
        let _ = writeln!(out, "allowed if missing condition keys were supplied ({}):", r.conditional.len());
        for c in &r.conditional {
            let _ = writeln!(out, "  {} {} ({})", c.kind.name(), c.name, c.principal);
            if r.resources.is_empty() {
                let _ = writeln!(out, "    on {}", join(&c.resources));
            }
            let _ = writeln!(out, "    missing {}", join(&c.missing_context_keys));
            let _ = writeln!(out, "    by {}", join(&c.statements));
        }
    }
    if !r.undecided.is_empty() {
        let _ = writeln!(
            out,
            "undecided ({}): a search ran out of its budget, so these may be allowed:",
            r.undecided.len()
        );
        for u in &r.undecided {
            let _ = writeln!(out, "  {} {} ({})", u.kind.name(), u.name, u.principal);
            let _ = writeln!(out, "    {}", u.reason);
        }
    }
    if let Some(reason) = &r.root.undecided {
        let _ = writeln!(out, "root {}: undecided ({reason})", r.root.principal);
    } else if r.root.by_root_identity() {
        let _ = writeln!(out, "root {}: allowed (RAM policies do not restrict the root identity)", r.root.principal);
    } else if r.root.allowed {
        let _ = writeln!(out, "root {}: allowed by {}", r.root.principal, join(&r.root.granted_by));
    } else {
        match &r.root.reason {
            Some(reason) => {
                let _ = writeln!(out, "root {}: not allowed ({reason})", r.root.principal);
            }
            None => {
                let _ = writeln!(out, "root {}: not allowed", r.root.principal);
            }
        }
    }
    out
}

fn render_what_can(r: &WhatCanReport, catalog_size: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} may perform {} of the {catalog_size} catalog actions",
        r.kind.name(),
        r.principal,
        r.actions.len()
    );
    for a in &r.actions {
        let _ = writeln!(out, "  {}", a.action);
        for g in &a.resources {
            let _ = writeln!(out, "    on {} (for instance {})", g.pattern, g.witness);
            let _ = writeln!(out, "      granted by {}", join(&g.granted_by));
            if !g.partially_denied_by.is_empty() {
                let _ = writeln!(out, "      partly denied by {}", join(&g.partially_denied_by));
            }
            if !g.possibly_denied_by.is_empty() {
                let _ = writeln!(
                    out,
                    "      possibly partly denied by {} (undecided: the overlap search ran out of its budget)",
                    join(&g.possibly_denied_by)
                );
            }
        }
    }
    if !r.undecided.is_empty() {
        let _ = writeln!(
            out,
            "undecided ({}): a search ran out of its budget, so these may be granted:",
            r.undecided.len()
        );
        for u in &r.undecided {
            let _ = writeln!(out, "  {} on {}", u.action, u.pattern);
            let _ = writeln!(out, "    {}", u.reason);
        }
    }
    out
}
