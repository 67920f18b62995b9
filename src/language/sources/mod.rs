//! Policy documents where teams keep them: inside Terraform plans (the
//! output of `terraform show -json`) and ROS templates (JSON or YAML; see
//! [`read_ros_template`] for what is resolved in them), with where each
//! came from, its kind and what could not be known before apply.
//!
//! Which resource types hold documents, in which attribute, and of which
//! kind, is data: [`TERRAFORM_HOLDERS`]. A document is read from
//! `planned_values` (managed resources, through every child module, with
//! their `count` / `for_each` addresses) and from `prior_state` (data
//! sources read at plan time). A known value is the document as written
//! (the JSON string inside the attribute); a value `after_unknown` marks as
//! computed is a document not known until apply, reported with the
//! references its configuration expression names; an absent one is no
//! document.
//!
//! Positions: a [`Found`] document knows where its text sits in the plan
//! file, so a line and column inside the document
//! ([`Found::locate`]) map to the line and column of the plan file, through
//! the escapes of the JSON string that holds it.
//!
//! ```
//! use std::path::Path;
//! use ramguard::sources::{DocumentKind, read_terraform_plan};
//! use ramguard::{Location, Policy};
//!
//! let plan = r#"{"format_version": "1.2", "planned_values": {"root_module": {"resources": [
//!   {"address": "alicloud_ram_policy.ops", "mode": "managed", "type": "alicloud_ram_policy",
//!    "values": {"policy_document": "{\"Version\": \"1\", \"Statement\": [{\"Effect\": \"Alow\"}]}"}}]}}}"#;
//! let found = read_terraform_plan(Path::new("plan.json"), plan)?;
//! assert_eq!(found[0].place, "alicloud_ram_policy.ops.policy_document");
//! assert_eq!(found[0].kind, DocumentKind::Identity);
//! let document = found[0].document.as_deref().ok_or("not known")?;
//! // The misspelt effect, located in the plan file, through the escapes.
//! let errors = Policy::parse("ops", document, found[0].kind.policy_kind()).unwrap_err();
//! let effect = errors.errors().iter().find(|e| e.path().to_string().ends_with("Effect")).ok_or("no error")?;
//! assert_eq!(found[0].locate(effect.location()), Location { line: 3, column: 85 });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::language::json::{JsonPath, Location, locate};
use crate::language::policy::PolicyKind;

mod ros;
pub(crate) mod terraform;

pub use ros::{
    MAX_RESOLVED_BYTES, MAX_TEMPLATE_DEPTH, MAX_TEMPLATE_NODES, ROS_HOLDERS, RosHolder, RosOptions, is_ros_template,
    read_ros_template,
};
pub use terraform::{TerraformOptions, is_terraform_module, local_module_calls, read_terraform_module};

/// What a document is for, from the resource that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DocumentKind {
    /// Attached to users, groups or roles (`alicloud_ram_policy`).
    Identity,
    /// A role's trust policy (`alicloud_ram_role`): who may assume it.
    Trust,
    /// Another resource's policy, with `Principal` (an OSS bucket policy).
    Resource,
    /// A Resource Directory control policy.
    Control,
    /// An STS session policy.
    Session,
}

impl DocumentKind {
    /// The kind's name, as `extract` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Trust => "trust",
            Self::Resource => "resource",
            Self::Control => "control",
            Self::Session => "session",
        }
    }

    /// How the policy language reads a document of this kind: a trust
    /// policy is a resource policy (it names a `Principal`).
    pub fn policy_kind(self) -> PolicyKind {
        match self {
            Self::Identity => PolicyKind::Identity,
            Self::Trust | Self::Resource => PolicyKind::Resource,
            Self::Control => PolicyKind::Control,
            Self::Session => PolicyKind::Session,
        }
    }
}

/// One attribute of one Terraform resource type that holds a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    /// `managed` or `data`.
    pub mode: &'static str,
    /// The resource type (`alicloud_ram_role`).
    pub resource_type: &'static str,
    /// The attributes that hold the document, the current one first: a
    /// resource has one document, whichever of them is set.
    pub attributes: &'static [&'static str],
    /// The document's kind.
    pub kind: DocumentKind,
}

/// The Terraform resource types (of the `alicloud` provider) whose
/// attributes hold RAM documents. An attribute merely named like a policy
/// (`alicloud_log_project.policy`, a security group rule's `policy =
/// "accept"`, `alicloud_ecs_auto_snapshot_policy`) is not one.
pub const TERRAFORM_HOLDERS: &[Holder] = &[
    Holder {
        mode: "managed",
        resource_type: "alicloud_ram_policy",
        attributes: &["policy_document", "document"],
        kind: DocumentKind::Identity,
    },
    Holder {
        mode: "managed",
        resource_type: "alicloud_ram_role",
        attributes: &["assume_role_policy_document", "document"],
        kind: DocumentKind::Trust,
    },
    Holder {
        mode: "managed",
        resource_type: "alicloud_resource_manager_policy",
        attributes: &["policy_document"],
        kind: DocumentKind::Identity,
    },
    Holder {
        mode: "managed",
        resource_type: "alicloud_resource_manager_control_policy",
        attributes: &["policy_document"],
        kind: DocumentKind::Control,
    },
    Holder {
        mode: "managed",
        resource_type: "alicloud_oss_bucket_policy",
        attributes: &["policy"],
        kind: DocumentKind::Resource,
    },
    Holder {
        mode: "managed",
        resource_type: "alicloud_oss_bucket",
        attributes: &["policy"],
        kind: DocumentKind::Resource,
    },
    Holder {
        mode: "data",
        resource_type: "alicloud_ram_policy_document",
        attributes: &["document"],
        kind: DocumentKind::Identity,
    },
];

/// A document found in a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The file it is in.
    pub file: PathBuf,
    /// The resource address and attribute in a plan
    /// (`module.x.alicloud_ram_role.r[0].assume_role_policy_document`), the
    /// logical id and property in a template
    /// (`RamRole.Policies[0].PolicyDocument`).
    pub place: String,
    /// What it is for.
    pub kind: DocumentKind,
    /// The document's text, or `None` when it is not known until apply.
    pub document: Option<String>,
    /// Where the attribute's value starts in the file.
    pub at: Location,
    /// What it depends on that is not known (for a document not known
    /// until apply: the references of its configuration expression; for a
    /// template's document: the placeholders it holds, `Ref:Bucket`).
    pub unresolved: Vec<String>,
    /// Where each character of `document` came from in the file.
    positions: Positions,
}

/// Where the characters of a found document are in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Positions {
    /// For each character, its column on `at`'s line (the document is a
    /// JSON string, all on one line of the file: a plan's attribute).
    Columns(Vec<usize>),
    /// For each character, where the template element it was written
    /// from starts (the document is rebuilt text: a template's property).
    Each(Vec<Location>),
}

impl Found {
    /// Where a position inside the document (1-based line and column, in
    /// characters) is in the file; the attribute's start when the position
    /// is outside the document.
    pub fn locate(&self, inside: Location) -> Location {
        let Some(text) = &self.document else { return self.at };
        let mut line = 1;
        let mut column = 1;
        for (index, c) in text.chars().enumerate() {
            if line == inside.line && column == inside.column {
                return match &self.positions {
                    Positions::Columns(columns) => {
                        columns.get(index).map_or(self.at, |&c| Location { line: self.at.line, column: c })
                    }
                    Positions::Each(each) => each.get(index).copied().unwrap_or(self.at),
                };
            }
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        self.at
    }
}

/// `at` moved inside `text` where a parser placed it past the end (on the
/// line after the last, or past a line's end): an error at the end of the
/// input is shown at the end of its last line.
pub(crate) fn within(text: &str, at: Location) -> Location {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.split('\n').collect();
    let line = at.line.clamp(1, lines.len().max(1));
    let width = lines.get(line - 1).map_or(0, |l| l.chars().count());
    let column = if line < at.line { width + 1 } else { at.column.clamp(1, width + 1) };
    Location { line, column }
}

/// The text inside each `{{…}}` placeholder of `text` (`Ref:Bucket`,
/// `var.name`, `ALIYUN::Region`), each once, in order of first appearance.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = rest.get(start + 2..).unwrap_or_default();
        let Some(end) = after.find("}}") else { break };
        let inside = after.get(..end).unwrap_or_default();
        if !out.contains(&inside) {
            out.push(inside);
        }
        rest = after.get(end + 2..).unwrap_or_default();
    }
    out
}

/// Why a source could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// Not JSON.
    #[error("{file}:{at}: invalid JSON: {message}")]
    Json {
        /// The file.
        file: PathBuf,
        /// Where.
        at: Location,
        /// What `serde_json` said.
        message: String,
    },
    /// Neither JSON nor YAML.
    #[error("{file}:{at}: invalid YAML: {message}")]
    Yaml {
        /// The file.
        file: PathBuf,
        /// Where.
        at: Location,
        /// What the YAML parser said.
        message: String,
    },
    /// A template beyond what is read (nested too deep, too large once
    /// resolved, a key that is not a scalar).
    #[error("{file}:{at}: {message}")]
    Template {
        /// The file.
        file: PathBuf,
        /// Where.
        at: Location,
        /// What is wrong.
        message: String,
    },
    /// Not HCL: a `.tf` or `.tfvars` file the HCL parser rejects.
    #[error("{file}:{at}: invalid HCL: {message}")]
    Hcl {
        /// The file.
        file: PathBuf,
        /// Where.
        at: Location,
        /// What the HCL parser said.
        message: String,
    },
    /// JSON or YAML, but not a ROS template.
    #[error("{file}: not a ROS template (a map with `ROSTemplateFormatVersion`)")]
    NotATemplate {
        /// The file.
        file: PathBuf,
    },
    /// JSON, but not a Terraform plan.
    #[error("{file}: not a Terraform plan (`terraform show -json` output has `format_version` and `planned_values`)")]
    NotAPlan {
        /// The file.
        file: PathBuf,
    },
}

/// Whether a JSON value has the shape of `terraform show -json` output
/// for a plan.
pub fn is_terraform_plan(value: &Value) -> bool {
    value.get("format_version").is_some_and(Value::is_string)
        && value.get("planned_values").is_some_and(Value::is_object)
}

/// Every document a Terraform plan holds, in plan order (managed resources
/// of `planned_values`, then data sources of `prior_state`).
pub fn read_terraform_plan(file: &Path, text: &str) -> Result<Vec<Found>, SourceError> {
    let plan: Value = serde_json::from_str(text).map_err(|e| {
        let (at, message) = crate::language::json::serde_error(text, &e);
        SourceError::Json { file: file.to_owned(), at, message }
    })?;
    if !is_terraform_plan(&plan) {
        return Err(SourceError::NotAPlan { file: file.to_owned() });
    }
    let mut found = Vec::new();
    let planned = JsonPath::root().key("planned_values").key("root_module");
    if let Some(root) = plan.pointer("/planned_values/root_module") {
        walk(&Reader { file, text, plan: &plan, mode: "managed" }, root, &planned, &mut found);
    }
    let prior = JsonPath::root().key("prior_state").key("values").key("root_module");
    if let Some(root) = plan.pointer("/prior_state/values/root_module") {
        walk(&Reader { file, text, plan: &plan, mode: "data" }, root, &prior, &mut found);
    }
    Ok(found)
}

struct Reader<'a> {
    file: &'a Path,
    text: &'a str,
    plan: &'a Value,
    /// The resources this walk reads: `managed` or `data`.
    mode: &'static str,
}

/// The documents of `module` (a `root_module` or a child module) and of its
/// child modules.
fn walk(reader: &Reader<'_>, module: &Value, path: &JsonPath, found: &mut Vec<Found>) {
    let resources = module.get("resources").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for (i, resource) in resources.iter().enumerate() {
        let mode = resource.get("mode").and_then(Value::as_str).unwrap_or_default();
        let kind = resource.get("type").and_then(Value::as_str).unwrap_or_default();
        let Some(address) = resource.get("address").and_then(Value::as_str) else { continue };
        let Some(holder) = TERRAFORM_HOLDERS.iter().find(|h| h.mode == mode && h.resource_type == kind) else {
            continue;
        };
        if mode != reader.mode {
            continue;
        }
        let values = path.key("resources").index(i).key("values");
        if let Some(document) = read_holder(reader, holder, address, resource, &values) {
            found.push(document);
        }
    }
    let children = module.get("child_modules").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for (i, child) in children.iter().enumerate() {
        walk(reader, child, &path.key("child_modules").index(i), found);
    }
}

/// The document `holder` says `resource` holds: its first known attribute,
/// or, when none is known but one is computed (`after_unknown`) and set in
/// the configuration, a document not known until apply.
fn read_holder(
    reader: &Reader<'_>,
    holder: &Holder,
    address: &str,
    resource: &Value,
    values: &JsonPath,
) -> Option<Found> {
    for attribute in holder.attributes {
        if let Some(Value::String(document)) = resource.get("values").and_then(|v| v.get(attribute)) {
            let path = values.key(attribute);
            let at = locate(reader.text, &path);
            let columns = string_columns(reader.text, at, document);
            return Some(Found {
                file: reader.file.to_owned(),
                place: format!("{address}.{attribute}"),
                kind: holder.kind,
                document: Some(document.clone()),
                at,
                unresolved: Vec::new(),
                positions: Positions::Columns(columns),
            });
        }
    }
    // Not known: computed at apply, when the configuration sets it.
    for attribute in holder.attributes {
        let unknown = after_unknown(reader.plan, address).and_then(|u| u.get(attribute)).is_some_and(|u| u == true);
        let Some(references) = configured(reader.plan, address, attribute) else { continue };
        if !unknown {
            continue;
        }
        return Some(Found {
            file: reader.file.to_owned(),
            place: format!("{address}.{attribute}"),
            kind: holder.kind,
            document: None,
            at: locate(reader.text, &values.key(attribute)),
            unresolved: references,
            positions: Positions::Columns(Vec::new()),
        });
    }
    None
}

/// The `after_unknown` of the change planned for `address`.
fn after_unknown<'p>(plan: &'p Value, address: &str) -> Option<&'p Value> {
    plan.get("resource_changes")?
        .as_array()?
        .iter()
        .find(|c| c.get("address").and_then(Value::as_str) == Some(address))?
        .pointer("/change/after_unknown")
}

/// The references of `attribute`'s expression in the configuration of the
/// resource at `address`, when the configuration sets it.
fn configured(plan: &Value, address: &str, attribute: &str) -> Option<Vec<String>> {
    let (modules, resource) = split_address(address);
    let mut module = plan.pointer("/configuration/root_module")?;
    for name in modules {
        module = module.get("module_calls")?.get(name)?.get("module")?;
    }
    let configured = module
        .get("resources")?
        .as_array()?
        .iter()
        .find(|r| r.get("address").and_then(Value::as_str) == Some(resource))?;
    let expression = configured.get("expressions")?.get(attribute)?;
    let references = expression
        .get("references")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    Some(references)
}

/// The module names and the configuration address (no instance keys) of
/// a resource instance address: `module.a["x"].module.b.aws_x.y[0]` is
/// `(["a", "b"], "aws_x.y")`.
fn split_address(address: &str) -> (Vec<&str>, &str) {
    let mut modules = Vec::new();
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        let end = after.find(['.', '[']).unwrap_or(after.len());
        modules.push(after.get(..end).unwrap_or_default());
        let mut tail = after.get(end..).unwrap_or_default();
        if tail.starts_with('[') {
            tail = skip_key(tail);
        }
        rest = tail.strip_prefix('.').unwrap_or(tail);
    }
    let resource = match rest.find('[') {
        Some(key) => rest.get(..key).unwrap_or(rest),
        None => rest,
    };
    (modules, resource)
}

/// `text` past the instance key it starts with (`[0]`, `["a.b]"]`).
fn skip_key(text: &str) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ']' if !quoted => return text.get(i + 1..).unwrap_or_default(),
            _ => {}
        }
    }
    ""
}

/// For each character of `decoded`, the column in `text` (a line of JSON
/// source holding the string literal that starts at `at`) where the
/// character's source text starts.
fn string_columns(text: &str, at: Location, decoded: &str) -> Vec<usize> {
    // The literal's first character, past the opening quote.
    let Some(line) = text.lines().nth(at.line.saturating_sub(1)) else { return Vec::new() };
    let mut raw = line.chars().skip(at.column);
    let mut columns = Vec::with_capacity(decoded.len());
    let mut column = at.column + 1;
    for _ in decoded.chars() {
        columns.push(column);
        let width = match raw.next() {
            Some('\\') => match raw.next() {
                Some('u') => {
                    let hex: String = raw.by_ref().take(4).collect();
                    let high = u32::from_str_radix(&hex, 16).unwrap_or_default();
                    // A surrogate pair is one character, twelve source characters.
                    if (0xD800..0xDC00).contains(&high) {
                        raw.by_ref().take(6).for_each(drop);
                        12
                    } else {
                        6
                    }
                }
                _ => 2,
            },
            Some(_) => 1,
            None => 0,
        };
        column += width;
    }
    columns
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    #[test]
    fn addresses_split_into_modules_and_the_configured_resource() {
        assert_eq!(split_address("alicloud_ram_policy.p"), (vec![], "alicloud_ram_policy.p"));
        assert_eq!(split_address("alicloud_ram_policy.p[0]"), (vec![], "alicloud_ram_policy.p"));
        assert_eq!(
            split_address(r#"module.a["x.y]"].module.b[1].alicloud_ram_role.r["k"]"#),
            (vec!["a", "b"], "alicloud_ram_role.r")
        );
        assert_eq!(
            split_address("module.m.data.alicloud_ram_policy_document.d"),
            (vec!["m"], "data.alicloud_ram_policy_document.d")
        );
    }

    #[test]
    fn positions_inside_a_string_map_through_its_escapes() {
        let text = r#"{"a": "x\n\"y\u00e9\ud83d\ude00z"}"#;
        let at = Location { line: 1, column: 7 };
        let decoded = "x\n\"y\u{e9}\u{1f600}z";
        let columns = string_columns(text, at, decoded);
        // x at 8, \n at 9, \" at 11, y at 13, \u00e9 at 14, the pair at 20, z at 32.
        assert_eq!(columns, [8, 9, 11, 13, 14, 20, 32]);
    }
}
