//! Policy documents in Alibaba Cloud ROS templates, JSON or YAML.
//!
//! Which resource types hold documents, in which property, and of which
//! kind, is data: [`ROS_HOLDERS`]. A document is the property's value with
//! the template's intrinsic functions resolved as far as the template
//! itself determines them, and a placeholder string `{{…}}` for the rest:
//!
//! - literal scalars, maps and lists stay as written, types included (a
//!   YAML `Version: 1` stays the number 1; plain YAML scalars are read as
//!   the YAML 1.2 core schema reads them, quoted ones are strings);
//! - `Ref` of a parameter is its value given in [`RosOptions::parameters`],
//!   else its `Default` (a `CommaDelimitedList` default split on `,`, a
//!   `Json` default inserted as JSON), else `"{{Ref:P}}"`; `Ref` of a
//!   resource is `"{{Ref:R}}"`; `Fn::GetAtt` is `"{{GetAtt:R.A}}"`; the
//!   pseudo parameters `ALIYUN::TenantId`, `ALIYUN::AccountId`,
//!   `ALIYUN::Region`, `ALIYUN::StackName` and `ALIYUN::StackId` are
//!   `"{{ALIYUN::AccountId}}"` and so on, unless [`RosOptions::account`]
//!   binds the account and tenant ids or [`RosOptions::region`] the region
//!   (then they are that text); `ALIYUN::NoValue` removes the key or list
//!   element;
//! - `Fn::Sub` (a string, or `[string, {vars}]`; `${!X}` is the literal
//!   `${X}`), `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::FindInMap` (with
//!   `Mappings`) and `Fn::If` (with `Conditions` built of `Fn::Equals`,
//!   `Fn::Not`, `Fn::And`, `Fn::Or` and `Condition`) are evaluated; a
//!   scalar inside a string is written as text (`true`, `false`, decimal
//!   numbers); a condition that depends on a placeholder makes the `Fn::If`
//!   `"{{Fn::If:C}}"`;
//! - any other function, or a function whose arguments cannot be
//!   evaluated, is `"{{Fn::Name}}"`.
//!
//! [`Found::unresolved`] lists the `{{Ref:…}}`, `{{GetAtt:…}}` and
//! `{{Fn::…}}` placeholders the document holds (pseudo parameters alone
//! leave it empty). YAML short tags (`!Ref`, `!Sub`, `!GetAtt R.A`, …) are
//! the long forms; an unknown tag is a function like any other, and only
//! matters inside a document.
//!
//! A property whose resolved value is a string (a `ControlPolicy`'s
//! `PolicyDocument` written as JSON text) is that text; any other value is
//! written as JSON. Positions inside the document ([`Found::locate`]) map
//! to where the value they were written from starts in the template; in
//! JSON text written as a quoted scalar on one line, to each character.
//!
//! Bounds: a template nests at most [`MAX_TEMPLATE_DEPTH`] maps and lists
//! deep, and resolving functions (conditions naming conditions included)
//! nests at most as deep; a YAML template holds at most
//! [`MAX_TEMPLATE_NODES`] values with its aliases expanded; a resolved
//! document is at most [`MAX_RESOLVED_BYTES`] bytes. Deeper or larger input
//! is refused with a located [`SourceError::Template`].
//!
//! ```
//! use std::path::Path;
//! use ramguard::sources::{DocumentKind, RosOptions, read_ros_template};
//!
//! let template = "ROSTemplateFormatVersion: '2015-09-01'
//! Resources:
//!   Bucket:
//!     Type: ALIYUN::OSS::Bucket
//!     Properties:
//!       Policy:
//!         Version: '1'
//!         Statement:
//!         - Effect: Allow
//!           Action: oss:GetObject
//!           Principal: '*'
//!           Resource: !Sub acs:oss:*:*:${Bucket}/*
//! ";
//! let found = read_ros_template(Path::new("t.yaml"), template, &RosOptions::default())?;
//! assert_eq!(found[0].place, "Bucket.Policy");
//! assert_eq!(found[0].kind, DocumentKind::Resource);
//! assert_eq!(found[0].unresolved, ["Ref:Bucket"]);
//! assert!(found[0].document.as_deref().unwrap_or_default().contains(r#""acs:oss:*:*:{{Ref:Bucket}}/*""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::{DocumentKind, Found, Positions, SourceError};
use crate::language::json::Location;

/// How deep a template may nest maps and lists, and function calls.
pub const MAX_TEMPLATE_DEPTH: usize = 64;

/// How many values a template may hold, YAML aliases expanded.
pub const MAX_TEMPLATE_NODES: usize = 1_000_000;

/// How large a resolved document may grow, in bytes.
pub const MAX_RESOLVED_BYTES: usize = 4 * 1024 * 1024;

/// The pseudo parameters, which become placeholders of their own name.
const PSEUDO: &[&str] =
    &["ALIYUN::TenantId", "ALIYUN::AccountId", "ALIYUN::Region", "ALIYUN::StackName", "ALIYUN::StackId"];

/// One property of one ROS resource type that holds a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RosHolder {
    /// The resource type (`ALIYUN::RAM::Role`).
    pub resource_type: &'static str,
    /// The property (`AssumeRolePolicyDocument`).
    pub property: &'static str,
    /// When set, the property is a list and this member of each of its
    /// elements is a document (`Policies[i].PolicyDocument`).
    pub each: Option<&'static str>,
    /// The document's kind.
    pub kind: DocumentKind,
}

/// The ROS resource types whose properties hold RAM documents. A property
/// merely named like a policy (`PolicyAttachments`, a security group
/// rule's `Policy: accept`) is not one.
pub const ROS_HOLDERS: &[RosHolder] = &[
    RosHolder {
        resource_type: "ALIYUN::RAM::ManagedPolicy",
        property: "PolicyDocument",
        each: None,
        kind: DocumentKind::Identity,
    },
    RosHolder {
        resource_type: "ALIYUN::RAM::Role",
        property: "AssumeRolePolicyDocument",
        each: None,
        kind: DocumentKind::Trust,
    },
    RosHolder {
        resource_type: "ALIYUN::RAM::Role",
        property: "Policies",
        each: Some("PolicyDocument"),
        kind: DocumentKind::Identity,
    },
    RosHolder {
        resource_type: "ALIYUN::RAM::User",
        property: "Policies",
        each: Some("PolicyDocument"),
        kind: DocumentKind::Identity,
    },
    RosHolder {
        resource_type: "ALIYUN::RAM::Group",
        property: "Policies",
        each: Some("PolicyDocument"),
        kind: DocumentKind::Identity,
    },
    RosHolder {
        resource_type: "ALIYUN::ResourceManager::ControlPolicy",
        property: "PolicyDocument",
        each: None,
        kind: DocumentKind::Control,
    },
    RosHolder { resource_type: "ALIYUN::OSS::Bucket", property: "Policy", each: None, kind: DocumentKind::Resource },
];

/// How to read a template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosOptions {
    /// Parameter values, as `--parameters K=V` gives them: a value here
    /// wins over the parameter's `Default`.
    pub parameters: BTreeMap<String, String>,
    /// The account the stack deploys into, as `--account` gives it: when
    /// set, `ALIYUN::AccountId` and `ALIYUN::TenantId` (as `Ref` or
    /// `${…}` in `Fn::Sub`) are this text instead of a placeholder.
    pub account: Option<String>,
    /// The region the stack deploys into, as `--region` gives it: when
    /// set, `ALIYUN::Region` is this text instead of a placeholder.
    pub region: Option<String>,
}

/// Whether `text` is a ROS template: a JSON or YAML map with
/// `ROSTemplateFormatVersion` at its top level.
pub fn is_ros_template(text: &str) -> bool {
    matches!(parse(Path::new(""), text), Ok(Node { value: Value::Map(entries), .. })
        if entries.iter().any(|e| e.key == "ROSTemplateFormatVersion"))
}

/// Every document a ROS template (JSON or YAML) holds, in resource order.
pub fn read_ros_template(file: &Path, text: &str, options: &RosOptions) -> Result<Vec<Found>, SourceError> {
    let root = parse(file, text)?;
    let Value::Map(top) = &root.value else { return Err(SourceError::NotATemplate { file: file.to_owned() }) };
    if !top.iter().any(|e| e.key == "ROSTemplateFormatVersion") {
        return Err(SourceError::NotATemplate { file: file.to_owned() });
    }
    let member = |name: &str| top.iter().find(|e| e.key == name).map(|e| &e.node);
    let resources: Vec<&Entry> = match member("Resources").map(|n| &n.value) {
        Some(Value::Map(entries)) => entries.iter().collect(),
        _ => Vec::new(),
    };
    let mut resolver = Resolver {
        file,
        text,
        parameters: parameters(member("Parameters"), options),
        account: options.account.as_deref(),
        region: options.region.as_deref(),
        mappings: member("Mappings"),
        conditions: member("Conditions"),
        spent: 0,
    };
    let mut found = Vec::new();
    for resource in resources {
        let kind = resource.node.get("Type").and_then(Node::as_str).unwrap_or_default();
        let Some(properties) = resource.node.get("Properties") else { continue };
        for holder in ROS_HOLDERS.iter().filter(|h| h.resource_type == kind) {
            let Some(property) = properties.get(holder.property) else { continue };
            let place = format!("{}.{}", resource.key, holder.property);
            match holder.each {
                None => found.extend(resolver.document(holder.kind, place, property)?),
                Some(member) => {
                    let Value::List(items) = &property.value else { continue };
                    for (i, item) in items.iter().enumerate() {
                        let Some(document) = item.get(member) else { continue };
                        found.extend(resolver.document(holder.kind, format!("{place}[{i}].{member}"), document)?);
                    }
                }
            }
        }
    }
    Ok(found)
}

/// A value of the template, where it starts, and its tag.
#[derive(Debug, Clone, PartialEq)]
struct Node {
    at: Location,
    value: Value,
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    List(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    key: String,
    at: Location,
    node: Node,
}

impl Node {
    fn string(at: Location, text: impl Into<String>) -> Self {
        Node { at, value: Value::String(text.into()) }
    }

    fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.node),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The function this node calls: a map of one key, `Ref`, `Condition`
    /// or `Fn::…`.
    fn call(&self) -> Option<(&str, &Node)> {
        match &self.value {
            Value::Map(entries) => match entries.as_slice() {
                [only] if only.key == "Ref" || only.key.starts_with("Fn::") => Some((&only.key, &only.node)),
                _ => None,
            },
            _ => None,
        }
    }

    /// A scalar as text inside a string; `None` for a list or map.
    fn text(&self) -> Option<String> {
        match &self.value {
            Value::Null => Some(String::new()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::String(s) => Some(s.clone()),
            Value::List(_) | Value::Map(_) => None,
        }
    }

    fn has_placeholder(&self) -> bool {
        match &self.value {
            Value::String(s) => s.contains("{{"),
            Value::List(items) => items.iter().any(Node::has_placeholder),
            Value::Map(entries) => entries.iter().any(|e| e.node.has_placeholder()),
            _ => false,
        }
    }
}

/// Where each line of a text starts, in characters: a YAML marker's
/// character index read as ramguard reads positions everywhere, with lines
/// ended by `\n` alone (the YAML parser also ends one at a lone `\r`).
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.chars().enumerate().filter(|(_, c)| *c == '\n').map(|(i, _)| i + 1));
        Lines(starts)
    }

    fn location(&self, mark: &Marker) -> Location {
        let index = mark.index();
        let line = self.0.partition_point(|&start| start <= index).max(1);
        let start = self.0.get(line - 1).copied().unwrap_or(0);
        Location { line, column: index - start + 1 }
    }
}

fn template_error(file: &Path, at: Location, message: impl Into<String>) -> SourceError {
    SourceError::Template { file: file.to_owned(), at, message: message.into() }
}

/// A collection being read, with what it has so far.
struct Open {
    at: Location,
    anchor: usize,
    tag: Option<String>,
    /// The node count when it opened, for the size of an anchored one.
    start: usize,
    body: Body,
}

enum Body {
    List(Vec<Node>),
    Map(Vec<Entry>, Option<(String, Location)>),
}

/// The first document of a JSON or YAML text, short tags turned into their
/// long forms.
fn parse(file: &Path, text: &str) -> Result<Node, SourceError> {
    let mut parser = Parser::new_from_str(text);
    let lines = Lines::new(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    let mut count = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| SourceError::Yaml {
            file: file.to_owned(),
            at: super::within(text, lines.location(e.marker())),
            message: e.info().to_owned(),
        })?;
        let at = lines.location(&mark);
        let opens_list = matches!(event, Event::SequenceStart(..));
        let done = match event {
            Event::StreamEnd => return Ok(Node { at: Location { line: 1, column: 1 }, value: Value::Null }),
            Event::Alias(id) => {
                let (node, size) = anchors.get(&id).ok_or_else(|| template_error(file, at, "unknown alias"))?;
                count = count.saturating_add(*size);
                if count > MAX_TEMPLATE_NODES {
                    return Err(template_error(
                        file,
                        at,
                        format!("more than {MAX_TEMPLATE_NODES} values with aliases expanded"),
                    ));
                }
                Some((node.clone(), 0, None))
            }
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.as_ref().and_then(short);
                let value = scalar(text, style, tag.is_some());
                Some((Node { at, value }, anchor, tag))
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                if stack.len() >= MAX_TEMPLATE_DEPTH {
                    return Err(template_error(file, at, format!("nested more than {MAX_TEMPLATE_DEPTH} deep")));
                }
                let body = if opens_list { Body::List(Vec::new()) } else { Body::Map(Vec::new(), None) };
                stack.push(Open { at, anchor, tag: tag.as_ref().and_then(short), start: count, body });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let open = stack.pop().ok_or_else(|| template_error(file, at, "unbalanced collection"))?;
                let value = match open.body {
                    Body::List(items) => Value::List(items),
                    Body::Map(entries, _) => Value::Map(entries),
                };
                let size = count.saturating_sub(open.start);
                if open.anchor > 0 {
                    anchors.insert(open.anchor, (Node { at: open.at, value: value.clone() }, size + 1));
                }
                Some((Node { at: open.at, value }, 0, open.tag))
            }
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => None,
        };
        let Some((node, anchor, tag)) = done else { continue };
        count = count.saturating_add(1);
        if count > MAX_TEMPLATE_NODES {
            return Err(template_error(file, at, format!("more than {MAX_TEMPLATE_NODES} values")));
        }
        if anchor > 0 {
            anchors.insert(anchor, (node.clone(), 1));
        }
        let node = match tag {
            Some(name) => {
                let key = if name == "Ref" || name == "Condition" { name } else { format!("Fn::{name}") };
                Node { at: node.at, value: Value::Map(vec![Entry { key, at: node.at, node }]) }
            }
            None => node,
        };
        // A block collection's event comes after its first key: the
        // collection starts where its first element does.
        if let Some(open) = stack.last_mut()
            && (node.at.line, node.at.column) < (open.at.line, open.at.column)
        {
            open.at = node.at;
        }
        match stack.last_mut() {
            None => return Ok(node),
            Some(Open { body: Body::List(items), .. }) => items.push(node),
            Some(Open { body: Body::Map(entries, pending), .. }) => match pending.take() {
                Some((key, key_at)) => entries.push(Entry { key, at: key_at, node }),
                None => {
                    let key = node.text().ok_or_else(|| template_error(file, node.at, "a key that is not a scalar"))?;
                    *pending = Some((key, node.at));
                }
            },
        }
    }
}

/// The function a local tag (`!Ref`, `!Sub`) names; other tags (`!!str`)
/// are not functions.
fn short(tag: &Tag) -> Option<String> {
    (tag.handle == "!" && !tag.suffix.is_empty()).then(|| tag.suffix.clone())
}

/// A scalar's value: quoted, block and tagged scalars are strings; plain
/// ones are read as the YAML 1.2 core schema reads them.
fn scalar(text: String, style: TScalarStyle, tagged: bool) -> Value {
    if tagged || style != TScalarStyle::Plain {
        return Value::String(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(number) = number(&text) {
        return Value::Number(number);
    }
    Value::String(text)
}

/// A plain scalar that the core schema reads as an integer or a finite
/// float.
fn number(text: &str) -> Option<serde_json::Number> {
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    if let Some(octal) = text.strip_prefix("0o") {
        return digits(octal, 8).then(|| u64::from_str_radix(octal, 8).ok()).flatten().map(Into::into);
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return digits(hex, 16).then(|| u64::from_str_radix(hex, 16).ok()).flatten().map(Into::into);
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits(unsigned, 10) {
        if let Ok(n) = text.parse::<i64>() {
            return Some(n.into());
        }
        if let Ok(n) = unsigned.parse::<u64>()
            && !text.starts_with('-')
        {
            return Some(n.into());
        }
    }
    // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (unsigned.get(..i)?, Some(unsigned.get(i + 1..)?)),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let mantissa_ok = match fraction {
        Some(f) => (whole.is_empty() && digits(f, 10)) || (digits(whole, 10) && (f.is_empty() || digits(f, 10))),
        None => digits(whole, 10),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
    if !mantissa_ok || !exponent_ok {
        return None;
    }
    serde_json::Number::from_f64(text.parse::<f64>().ok()?)
}

/// A parameter's value, or `None` when the template does not know it.
fn parameters(declared: Option<&Node>, options: &RosOptions) -> BTreeMap<String, Option<Node>> {
    let mut out = BTreeMap::new();
    let Some(Node { value: Value::Map(entries), .. }) = declared else { return out };
    for entry in entries {
        let kind = entry.node.get("Type").and_then(Node::as_str).unwrap_or_default();
        let given = options.parameters.get(&entry.key).map(|v| Node::string(entry.at, v.clone()));
        let value = given.or_else(|| entry.node.get("Default").filter(|d| d.value != Value::Null).cloned());
        let value = value.map(|v| match (kind, v.value) {
            ("CommaDelimitedList", Value::String(s)) => {
                Node { at: v.at, value: Value::List(s.split(',').map(|p| Node::string(v.at, p)).collect()) }
            }
            ("Json", Value::String(s)) => match serde_json::from_str::<serde_json::Value>(&s) {
                Ok(json) => from_json(v.at, json),
                Err(_) => Node { at: v.at, value: Value::String(s) },
            },
            (_, value) => Node { at: v.at, value },
        });
        out.insert(entry.key.clone(), value);
    }
    out
}

fn from_json(at: Location, json: serde_json::Value) -> Node {
    let value = match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Number(n),
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(items) => Value::List(items.into_iter().map(|i| from_json(at, i)).collect()),
        serde_json::Value::Object(members) => {
            Value::Map(members.into_iter().map(|(key, value)| Entry { key, at, node: from_json(at, value) }).collect())
        }
    };
    Node { at, value }
}

struct Resolver<'t> {
    file: &'t Path,
    text: &'t str,
    parameters: BTreeMap<String, Option<Node>>,
    /// The bound pseudo parameters (`RosOptions::account`, `RosOptions::region`).
    account: Option<&'t str>,
    region: Option<&'t str>,
    mappings: Option<&'t Node>,
    conditions: Option<&'t Node>,
    /// Bytes produced for the current document.
    spent: usize,
}

impl Resolver<'_> {
    /// The document `property` holds, resolved and written as JSON, or
    /// `None` when it resolves to no value.
    fn document(&mut self, kind: DocumentKind, place: String, property: &Node) -> Result<Option<Found>, SourceError> {
        self.spent = 0;
        let Some(resolved) = self.resolve(property, 0)? else { return Ok(None) };
        let (document, each) = match &resolved.value {
            Value::String(text) => {
                let each = quoted_positions(self.text, resolved.at, text)
                    .unwrap_or_else(|| vec![resolved.at; text.chars().count()]);
                (text.clone(), each)
            }
            _ => {
                let mut out = Writer { text: String::new(), each: Vec::new() };
                out.node(&resolved);
                (out.text, out.each)
            }
        };
        if document.len() > MAX_RESOLVED_BYTES {
            return Err(self.too_large(property.at));
        }
        let mut unresolved = Vec::new();
        placeholders(&document, &mut unresolved);
        Ok(Some(Found {
            file: self.file.to_owned(),
            place,
            kind,
            document: Some(document),
            at: property.at,
            unresolved,
            positions: Positions::Each(each),
        }))
    }

    fn too_large(&self, at: Location) -> SourceError {
        template_error(self.file, at, format!("a resolved document larger than {MAX_RESOLVED_BYTES} bytes"))
    }

    /// Counts what resolving produces, to bound it.
    fn spend(&mut self, node: &Node) -> Result<(), SourceError> {
        let bytes = match &node.value {
            Value::String(s) => s.len(),
            _ => 8,
        };
        self.spent = self.spent.saturating_add(bytes);
        if self.spent > MAX_RESOLVED_BYTES { Err(self.too_large(node.at)) } else { Ok(()) }
    }

    fn resolve(&mut self, node: &Node, depth: usize) -> Result<Option<Node>, SourceError> {
        if depth > MAX_TEMPLATE_DEPTH {
            return Err(template_error(
                self.file,
                node.at,
                format!("functions nested more than {MAX_TEMPLATE_DEPTH} deep"),
            ));
        }
        if let Some((name, argument)) = node.call() {
            let called = self.call(node.at, name, argument, depth + 1)?;
            // What a call returns may be a copy (a parameter's default, a
            // mapping's value): all of it counts.
            if let Some(called) = &called {
                self.spent = self.spent.saturating_add(weight(called));
                if self.spent > MAX_RESOLVED_BYTES {
                    return Err(self.too_large(node.at));
                }
            }
            return Ok(called);
        }
        let resolved = match &node.value {
            Value::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.extend(self.resolve(item, depth + 1)?);
                }
                Some(Node { at: node.at, value: Value::List(out) })
            }
            Value::Map(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                for entry in entries {
                    if let Some(value) = self.resolve(&entry.node, depth + 1)? {
                        out.push(Entry { key: entry.key.clone(), at: entry.at, node: value });
                    }
                }
                Some(Node { at: node.at, value: Value::Map(out) })
            }
            _ => Some(node.clone()),
        };
        if let Some(resolved) = &resolved {
            self.spend(resolved)?;
        }
        Ok(resolved)
    }

    /// The arguments of a function, resolved: `None` for one that resolves
    /// to no value.
    fn arguments(&mut self, argument: &Node, depth: usize) -> Result<Option<Vec<Node>>, SourceError> {
        let Value::List(items) = &argument.value else { return Ok(None) };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match self.resolve(item, depth)? {
                Some(value) => out.push(value),
                None => return Ok(None),
            }
        }
        Ok(Some(out))
    }

    fn call(&mut self, at: Location, name: &str, argument: &Node, depth: usize) -> Result<Option<Node>, SourceError> {
        let placeholder = |text: String| Ok(Some(Node::string(at, format!("{{{{{text}}}}}"))));
        let unknown = || Ok(Some(Node::string(at, format!("{{{{{name}}}}}"))));
        match name {
            "Ref" => {
                let Some(target) = self.resolve(argument, depth)?.and_then(|n| n.text()) else { return unknown() };
                if target == "ALIYUN::NoValue" {
                    return Ok(None);
                }
                Ok(Some(self.reference(at, &target)))
            }
            "Fn::GetAtt" => {
                let text = match self.resolve(argument, depth)?.map(|n| n.value) {
                    Some(Value::String(s)) => s,
                    Some(Value::List(parts)) => {
                        match parts.iter().map(Node::text).collect::<Option<Vec<_>>>().as_deref() {
                            Some([resource, attribute]) => format!("{resource}.{attribute}"),
                            _ => return unknown(),
                        }
                    }
                    _ => return unknown(),
                };
                placeholder(format!("GetAtt:{text}"))
            }
            "Fn::Sub" => {
                let (template, vars) = match &argument.value {
                    Value::String(s) => (s.clone(), None),
                    Value::List(items) => match items.as_slice() {
                        [Node { value: Value::String(s), .. }, vars] => (s.clone(), Some(vars)),
                        _ => return unknown(),
                    },
                    _ => return unknown(),
                };
                match self.sub(at, &template, vars, depth)? {
                    Some(text) => Ok(Some(Node::string(at, text))),
                    None => unknown(),
                }
            }
            "Fn::Join" => {
                let Some(parts) = self.arguments(argument, depth)? else { return unknown() };
                let [delimiter, Node { value: Value::List(items), .. }] = parts.as_slice() else { return unknown() };
                let Some(delimiter) = delimiter.text() else { return unknown() };
                let Some(texts) = items.iter().map(Node::text).collect::<Option<Vec<_>>>() else { return unknown() };
                Ok(Some(Node::string(at, texts.join(&delimiter))))
            }
            "Fn::Select" => {
                let Some(parts) = self.arguments(argument, depth)? else { return unknown() };
                let [index, Node { value: Value::List(items), .. }] = parts.as_slice() else { return unknown() };
                let Some(index) = index.text().and_then(|i| i.parse::<usize>().ok()) else { return unknown() };
                match items.get(index) {
                    Some(item) => Ok(Some(item.clone())),
                    None => unknown(),
                }
            }
            "Fn::Split" => {
                let Some(parts) = self.arguments(argument, depth)? else { return unknown() };
                let [delimiter, text] = parts.as_slice() else { return unknown() };
                let (Some(delimiter), Some(text)) = (delimiter.text(), text.text()) else { return unknown() };
                if delimiter.is_empty() {
                    return unknown();
                }
                let items = text.split(delimiter.as_str()).map(|p| Node::string(at, p)).collect();
                Ok(Some(Node { at, value: Value::List(items) }))
            }
            "Fn::If" => {
                let Value::List(items) = &argument.value else { return unknown() };
                let [condition, then, otherwise] = items.as_slice() else { return unknown() };
                let Some(condition) = condition.as_str() else { return unknown() };
                match self.condition(condition, depth)? {
                    Some(true) => self.resolve(then, depth),
                    Some(false) => self.resolve(otherwise, depth),
                    None => placeholder(format!("Fn::If:{condition}")),
                }
            }
            "Fn::FindInMap" => {
                let Some(parts) = self.arguments(argument, depth)? else { return unknown() };
                let Some(keys) = parts.iter().map(Node::text).collect::<Option<Vec<_>>>() else { return unknown() };
                let [map, first, second] = keys.as_slice() else { return unknown() };
                let found =
                    self.mappings.and_then(|m| m.get(map)).and_then(|m| m.get(first)).and_then(|m| m.get(second));
                match found {
                    Some(value) => self.resolve(value, depth),
                    None => unknown(),
                }
            }
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => {
                let call =
                    Node { at, value: Value::Map(vec![Entry { key: name.to_owned(), at, node: argument.clone() }]) };
                match self.truth(&call, depth)? {
                    Some(b) => Ok(Some(Node { at, value: Value::Bool(b) })),
                    None => unknown(),
                }
            }
            _ => unknown(),
        }
    }

    /// What `Ref: target` (or `${target}`) stands for: a resource, or a
    /// name the template does not declare, is a placeholder.
    fn reference(&self, at: Location, target: &str) -> Node {
        let bound = match target {
            "ALIYUN::AccountId" | "ALIYUN::TenantId" => self.account,
            "ALIYUN::Region" => self.region,
            _ => None,
        };
        if let Some(value) = bound {
            return Node::string(at, value);
        }
        if PSEUDO.contains(&target) {
            return Node::string(at, format!("{{{{{target}}}}}"));
        }
        match self.parameters.get(target) {
            Some(Some(value)) => value.clone(),
            _ => Node::string(at, format!("{{{{Ref:{target}}}}}")),
        }
    }

    /// The text of an `Fn::Sub` template, or `None` when a variable is not
    /// text.
    fn sub(
        &mut self,
        at: Location,
        template: &str,
        vars: Option<&Node>,
        depth: usize,
    ) -> Result<Option<String>, SourceError> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(rest.get(..start).unwrap_or_default());
            let after = rest.get(start + 2..).unwrap_or_default();
            let Some(end) = after.find('}') else {
                out.push_str(rest.get(start..).unwrap_or_default());
                rest = "";
                break;
            };
            let name = after.get(..end).unwrap_or_default();
            rest = after.get(end + 1..).unwrap_or_default();
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
                continue;
            }
            let value = match vars.and_then(|v| v.get(name)) {
                Some(var) => match self.resolve(var, depth)? {
                    Some(value) => value,
                    None => return Ok(None),
                },
                None if name.contains('.') && !name.starts_with("ALIYUN::") => {
                    Node::string(at, format!("{{{{GetAtt:{name}}}}}"))
                }
                None => self.reference(at, name),
            };
            let text = match &value.value {
                Value::List(items) => items.iter().map(Node::text).collect::<Option<Vec<_>>>().map(|t| t.join(",")),
                _ => value.text(),
            };
            let Some(text) = text else { return Ok(None) };
            out.push_str(&text);
            if out.len() > MAX_RESOLVED_BYTES {
                return Err(self.too_large(at));
            }
        }
        out.push_str(rest);
        Ok(Some(out))
    }

    /// The value of the condition named `name`, `None` when it depends on
    /// what the template does not know.
    fn condition(&mut self, name: &str, depth: usize) -> Result<Option<bool>, SourceError> {
        let Some(condition) = self.conditions.and_then(|c| c.get(name)) else { return Ok(None) };
        self.truth(condition, depth + 1)
    }

    fn truth(&mut self, node: &Node, depth: usize) -> Result<Option<bool>, SourceError> {
        if depth > MAX_TEMPLATE_DEPTH {
            return Err(template_error(
                self.file,
                node.at,
                format!("conditions nested more than {MAX_TEMPLATE_DEPTH} deep"),
            ));
        }
        if let Value::Bool(b) = node.value {
            return Ok(Some(b));
        }
        if let Value::Map(entries) = &node.value
            && let [only] = entries.as_slice()
            && only.key == "Condition"
        {
            return match only.node.as_str() {
                Some(name) => self.condition(name, depth),
                None => Ok(None),
            };
        }
        let Some((name, argument)) = node.call() else { return Ok(None) };
        let Value::List(items) = &argument.value else { return Ok(None) };
        match name {
            "Fn::Equals" => {
                let [a, b] = items.as_slice() else { return Ok(None) };
                let (Some(a), Some(b)) = (self.resolve(a, depth + 1)?, self.resolve(b, depth + 1)?) else {
                    return Ok(None);
                };
                if a.has_placeholder() || b.has_placeholder() {
                    return Ok(None);
                }
                Ok(Some(match (a.text(), b.text()) {
                    (Some(a), Some(b)) => a == b,
                    _ => same(&a, &b),
                }))
            }
            "Fn::Not" => {
                let [only] = items.as_slice() else { return Ok(None) };
                Ok(self.truth(only, depth + 1)?.map(|b| !b))
            }
            "Fn::And" | "Fn::Or" => {
                let decisive = name == "Fn::Or";
                let mut known = true;
                for item in items {
                    match self.truth(item, depth + 1)? {
                        Some(b) if b == decisive => return Ok(Some(decisive)),
                        Some(_) => {}
                        None => known = false,
                    }
                }
                Ok(known.then_some(!decisive))
            }
            _ => Ok(None),
        }
    }
}

/// Where each character of `decoded` is in `text`, when it is the text of
/// a quoted scalar on one line that starts at `at` (a document written as
/// JSON text in a single- or double-quoted string); `None` otherwise.
fn quoted_positions(text: &str, at: Location, decoded: &str) -> Option<Vec<Location>> {
    if decoded.contains('\n') {
        return None;
    }
    let line = text.lines().nth(at.line.checked_sub(1)?)?;
    let columns = match line.chars().nth(at.column.checked_sub(1)?)? {
        '"' => super::string_columns(text, Location { line: at.line, column: at.column }, decoded),
        '\'' => {
            let mut column = at.column + 1;
            let mut columns = Vec::new();
            for c in decoded.chars() {
                columns.push(column);
                column += if c == '\'' { 2 } else { 1 };
            }
            columns
        }
        _ => return None,
    };
    // The whole string is on this line, closing quote included.
    let end = columns.last().copied().unwrap_or(at.column);
    if end >= line.chars().count() || columns.len() != decoded.chars().count() {
        return None;
    }
    Some(columns.into_iter().map(|column| Location { line: at.line, column }).collect())
}

/// About how many bytes a value takes once written.
fn weight(node: &Node) -> usize {
    match &node.value {
        Value::String(s) => s.len(),
        Value::List(items) => items.iter().map(weight).fold(8, usize::saturating_add),
        Value::Map(entries) => {
            entries.iter().map(|e| e.key.len().saturating_add(weight(&e.node))).fold(8, usize::saturating_add)
        }
        _ => 8,
    }
}

/// Whether two resolved values are equal, wherever they were written.
fn same(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::List(x), Value::List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| x.key == y.key && same(&x.node, &y.node))
        }
        (x, y) => x == y,
    }
}

/// The `Ref:`, `GetAtt:` and `Fn::` placeholders in `text`, each once, in
/// order.
fn placeholders(text: &str, out: &mut Vec<String>) {
    for inside in super::placeholders(text) {
        if ["Ref:", "GetAtt:", "Fn::"].iter().any(|p| inside.starts_with(p)) && !out.iter().any(|o| o == inside) {
            out.push(inside.to_owned());
        }
    }
}

/// JSON text of a resolved value, with where each character came from.
struct Writer {
    text: String,
    each: Vec<Location>,
}

impl Writer {
    fn push(&mut self, text: &str, at: Location) {
        self.text.push_str(text);
        self.each.extend(std::iter::repeat_n(at, text.chars().count()));
    }

    fn string(&mut self, text: &str, at: Location) {
        let quoted = serde_json::Value::String(text.to_owned()).to_string();
        self.push(&quoted, at);
    }

    fn node(&mut self, node: &Node) {
        match &node.value {
            Value::Null => self.push("null", node.at),
            Value::Bool(b) => self.push(if *b { "true" } else { "false" }, node.at),
            Value::Number(n) => self.push(&n.to_string(), node.at),
            Value::String(s) => self.string(s, node.at),
            Value::List(items) => {
                self.push("[", node.at);
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.push(", ", item.at);
                    }
                    self.node(item);
                }
                self.push("]", node.at);
            }
            Value::Map(entries) => {
                self.push("{", node.at);
                for (i, entry) in entries.iter().enumerate() {
                    if i > 0 {
                        self.push(", ", entry.at);
                    }
                    self.string(&entry.key, entry.at);
                    self.push(": ", entry.node.at);
                    self.node(&entry.node);
                }
                self.push("}", node.at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    #[test]
    fn plain_scalars_are_read_as_the_core_schema_reads_them() {
        let plain = |s: &str| scalar(s.to_owned(), TScalarStyle::Plain, false);
        assert_eq!(plain("1"), Value::Number(1.into()));
        assert_eq!(plain("-7"), Value::Number((-7).into()));
        assert_eq!(plain("0x1f"), Value::Number(31.into()));
        assert_eq!(plain("0o17"), Value::Number(15.into()));
        assert_eq!(plain("1.5e3"), Value::Number(serde_json::Number::from_f64(1500.0).unwrap()));
        assert_eq!(plain(".5"), Value::Number(serde_json::Number::from_f64(0.5).unwrap()));
        assert_eq!(plain("True"), Value::Bool(true));
        assert_eq!(plain("~"), Value::Null);
        assert_eq!(plain("yes"), Value::String("yes".into()));
        assert_eq!(plain("1.2.3"), Value::String("1.2.3".into()));
        assert_eq!(plain("2015-09-01"), Value::String("2015-09-01".into()));
        assert_eq!(plain(".inf"), Value::String(".inf".into()));
        assert_eq!(scalar("1".into(), TScalarStyle::SingleQuoted, false), Value::String("1".into()));
    }

    #[test]
    fn placeholders_are_listed_once_and_pseudo_parameters_not_at_all() {
        let mut out = Vec::new();
        placeholders(r#"["{{Ref:A}}x{{ALIYUN::Region}}", "{{GetAtt:R.Arn}}", "{{Ref:A}}", "{{Fn::Jq}}"]"#, &mut out);
        assert_eq!(out, ["Ref:A", "GetAtt:R.Arn", "Fn::Jq"]);
    }
}
