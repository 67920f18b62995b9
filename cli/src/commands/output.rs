//! How every command writes its answer: the two formats, JSON, and a
//! decision's explanation as people read it.

use std::io::Write as _;

use clap::ValueEnum;
use ramguard::{DecidedBy, Explanation};

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    Human,
    Json,
}

/// Writes `value` to standard output as pretty-printed JSON and a newline.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(|e| e.to_string())
}

/// A decision and its reasons, as the human output of `eval`, `call` and
/// `test` shows them.
pub(crate) fn render_explanation(e: &Explanation) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "{} (decided by {})", e.decision, decider(e.decided_by));
    for r in &e.resources {
        if e.resources.len() > 1 {
            let _ = writeln!(out, "  {}: {} ({})", r.resource, r.decision, r.decided_by);
        }
    }
    for note in &e.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    for t in &e.considered {
        let sid = t.sid.as_deref().map(|s| format!(" `{s}`")).unwrap_or_default();
        let verdict = if t.applies { "applies" } else { "does not apply" };
        let _ = writeln!(
            out,
            "  {:?} {}#{}{sid} ({} policy) {verdict} to {}",
            t.effect, t.policy, t.statement, t.kind, t.resource
        );
        for c in &t.conditions {
            let found = if c.missing { "missing".to_owned() } else { format!("{:?}", c.request_values) };
            let bad = c.malformed_value.as_ref().map(|v| format!(", malformed `{v}`")).unwrap_or_default();
            let _ = writeln!(out, "    {} {} {:?}: {} (request: {found}{bad})", c.operator, c.key, c.values, c.result);
        }
    }
    if !e.missing_context_keys.is_empty() {
        let _ = writeln!(out, "  missing context keys: {}", e.missing_context_keys.join(", "));
    }
    if let Some(detail) = &e.access_denied_detail {
        let json = serde_json::to_string_pretty(detail).unwrap_or_default();
        let _ = writeln!(out, "  AccessDeniedDetail: {}", json.replace('\n', "\n  "));
    }
    out
}

/// Who decided, as the human output says it.
fn decider(by: DecidedBy) -> String {
    match by {
        DecidedBy::Root => "the root identity".to_owned(),
        DecidedBy::AccountBoundary => "the account boundary".to_owned(),
        other => format!("{other} policies"),
    }
}
