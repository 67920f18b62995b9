//! Account snapshots: an account's users, groups, roles, their policy
//! attachments and the policy documents, as RAM's own API returns them.
//!
//! A snapshot is read from one JSON file that embeds the API outputs, or from
//! a directory with one file per API call (the layout that
//! `scripts/snapshot-from-aliyun.sh` writes). Both forms take the outputs
//! verbatim: members the API adds that ramguard does not need are ignored,
//! while everything ramguard needs must be there, so that an incomplete
//! snapshot is an error rather than an audit that silently misses grants.
//! `docs/snapshot.md` describes the format.
//!
//! Every error names the file, the JSON path, and the line and column; an
//! invalid policy document (which the API returns as a JSON string) is
//! reported with the policy's name and the line and column inside the
//! document.
//!
//! ```
//! use std::path::Path;
//!
//! use ramguard::snapshot::Snapshot;
//!
//! let error = Snapshot::from_json(Path::new("account.json"), "{\n  \"AccountId\": 1234\n}").unwrap_err();
//! assert_eq!(error.path().to_string(), "AccountId");
//! assert_eq!(error.location().map(|l| l.line), Some(2));
//! ```

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::language::error::ParseErrors;
use crate::language::json::{self, JsonPath, Location, Value};
use crate::language::policy::{Limits, Policy, PolicyKind};

/// Whether a RAM policy is one of Alibaba Cloud's (`System`) or the account's own (`Custom`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum PolicyType {
    /// A policy that Alibaba Cloud maintains (`AliyunVPCFullAccess`).
    System,
    /// A policy the account wrote.
    Custom,
}

impl PolicyType {
    /// The name RAM uses: `System` or `Custom`.
    pub fn name(self) -> &'static str {
        match self {
            PolicyType::System => "System",
            PolicyType::Custom => "Custom",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "System" => Some(PolicyType::System),
            "Custom" => Some(PolicyType::Custom),
            _ => None,
        }
    }
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An attachment's reference to a RAM policy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyRef {
    /// System or custom.
    pub policy_type: PolicyType,
    /// The policy's name.
    pub name: String,
}

/// A RAM user and what is attached to it.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotUser {
    /// `UserName`.
    pub name: String,
    /// `UserId`, when the listing gives it.
    pub id: Option<String>,
    /// `DisplayName`, when the listing gives it.
    pub display_name: Option<String>,
    /// The groups the user is a member of.
    pub groups: Vec<String>,
    /// The policies attached to the user itself.
    pub policies: Vec<PolicyRef>,
}

/// A RAM user group and its policies.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotGroup {
    /// `GroupName`.
    pub name: String,
    /// The policies attached to the group.
    pub policies: Vec<PolicyRef>,
}

/// A RAM role, its trust policy and its policies.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRole {
    /// `RoleName`.
    pub name: String,
    /// `Arn` (`acs:ram::<uid>:role/<name>`).
    pub arn: String,
    /// `AssumeRolePolicyDocument`, read as a resource policy.
    pub trust: Policy,
    /// The policies attached to the role.
    pub policies: Vec<PolicyRef>,
}

/// A RAM policy's default version.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotPolicy {
    /// Which policy.
    pub reference: PolicyRef,
    /// `VersionId`, when given.
    pub version: Option<String>,
    /// The document, read as an identity policy.
    pub document: Policy,
}

/// Whom a Resource Directory control policy restricts (`EffectScope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum EffectScope {
    /// `All`: RAM users, RAM roles and the account's root identity.
    All,
    /// `RAM`: RAM users and RAM roles only.
    Ram,
}

/// A Resource Directory control policy in effect for the account.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlPolicy {
    /// `PolicyId` (`cp-...`).
    pub id: String,
    /// `PolicyName`.
    pub name: String,
    /// `EffectScope`; `RAM` when the output does not say.
    pub scope: EffectScope,
    /// The document.
    pub document: Policy,
}

/// One account's identities, attachments and policy documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The account id (`AccountId`).
    pub account_id: String,
    /// The RAM users, in listing order.
    pub users: Vec<SnapshotUser>,
    /// The user groups, in listing order.
    pub groups: Vec<SnapshotGroup>,
    /// The roles, in listing order.
    pub roles: Vec<SnapshotRole>,
    /// Every RAM policy document in the snapshot.
    pub policies: BTreeMap<PolicyRef, SnapshotPolicy>,
    /// The control policies attached to the account or to any folder above it.
    pub control_policies: Vec<ControlPolicy>,
}

/// What is wrong with a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotErrorKind {
    /// A file or directory could not be read.
    #[error("cannot read: {message}")]
    Read {
        /// What the system reported.
        message: String,
    },
    /// The text is not JSON.
    #[error("invalid JSON: {message}")]
    Syntax {
        /// The JSON parser's description.
        message: String,
    },
    /// A value has the wrong JSON type.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What was expected.
        expected: String,
        /// The JSON type found.
        found: &'static str,
    },
    /// A required member is absent.
    #[error("missing member `{name}`")]
    Missing {
        /// The member's name.
        name: String,
    },
    /// A snapshot member or file that the format does not have.
    #[error("unknown snapshot entry `{name}`: expected one of {expected}")]
    Unknown {
        /// The name as written.
        name: String,
        /// The names the format has.
        expected: String,
    },
    /// A value that is not one of the allowed ones.
    #[error("invalid value `{value}`: expected {expected}")]
    InvalidValue {
        /// The value found.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// An entry about a user, group or role that the listings do not have.
    #[error("{what} `{name}` is not in {listing}")]
    NotListed {
        /// `user`, `group` or `role`.
        what: &'static str,
        /// The name.
        name: String,
        /// The listing that should have it (`ListUsers`).
        listing: &'static str,
    },
    /// A listed user, group or role without an output the audit needs.
    #[error("no `{call}` output for {what} `{name}`{hint}")]
    MissingOutput {
        /// The API call (`ListPoliciesForUser`).
        call: &'static str,
        /// `user`, `group` or `role`.
        what: &'static str,
        /// The name.
        name: String,
        /// Where to put it.
        hint: String,
    },
    /// An attached policy whose document the snapshot does not include.
    #[error(
        "{policy_type} policy `{name}` is attached to {attached_to} but its document is not in the snapshot: add its `GetPolicyVersion` output{hint}"
    )]
    MissingPolicy {
        /// System or custom.
        policy_type: PolicyType,
        /// The policy's name.
        name: String,
        /// `user alice`, `group dev`, `role ops`.
        attached_to: String,
        /// Where to put it.
        hint: String,
    },
    /// The snapshot holds a version that is not the policy's default one.
    #[error(
        "{policy_type} policy `{name}`: the snapshot holds version `{found}`, but the default version is `{expected}`"
    )]
    NotDefaultVersion {
        /// System or custom.
        policy_type: PolicyType,
        /// The policy's name.
        name: String,
        /// The version in the snapshot.
        found: String,
        /// The default version, as the attachment listing gives it.
        expected: String,
    },
    /// A policy document that is not a valid RAM policy.
    #[error("{policy} has an invalid document")]
    InvalidPolicy {
        /// Which policy (`Custom policy VpcAdmin`).
        policy: String,
        /// The problems, located inside the document.
        errors: ParseErrors,
    },
}

/// A problem in a snapshot, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError {
    inner: Box<ErrorInner>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ErrorInner {
    file: PathBuf,
    path: JsonPath,
    location: Option<Location>,
    kind: SnapshotErrorKind,
}

impl From<ErrorInner> for SnapshotError {
    fn from(inner: ErrorInner) -> Self {
        Self { inner: Box::new(inner) }
    }
}

impl SnapshotError {
    /// What is wrong.
    pub fn kind(&self) -> &SnapshotErrorKind {
        &self.inner.kind
    }
    /// The file it is in.
    pub fn file(&self) -> &Path {
        &self.inner.file
    }
    /// Where in the file, as a JSON path.
    pub fn path(&self) -> &JsonPath {
        &self.inner.path
    }
    /// Line and column in the file (none for an unreadable file).
    pub fn location(&self) -> Option<Location> {
        self.inner.location
    }
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner.file.display())?;
        if let Some(location) = self.inner.location {
            write!(f, ":{location}")?;
        }
        write!(f, ": {}", self.inner.kind)?;
        if !self.inner.path.is_root() {
            write!(f, " (at {})", self.inner.path)?;
        }
        if let SnapshotErrorKind::InvalidPolicy { errors, .. } = &self.inner.kind {
            for e in errors.errors() {
                write!(f, "\n  in the document, {e}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for SnapshotError {}

/// One file's text and parsed value.
struct Source {
    file: PathBuf,
    text: String,
    value: Value,
}

impl Source {
    fn read(file: &Path) -> Result<Source, SnapshotError> {
        let text =
            crate::language::files::read_regular(file, crate::language::files::LIFTED_READ_CAP).map_err(|e| {
                SnapshotError::from(ErrorInner {
                    file: file.to_owned(),
                    path: JsonPath::root(),
                    location: None,
                    kind: SnapshotErrorKind::Read { message: e.to_string() },
                })
            })?;
        Source::parse(file, text)
    }

    fn parse(file: &Path, text: String) -> Result<Source, SnapshotError> {
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_owned(),
            None => text,
        };
        match crate::language::json::parse(&text) {
            Ok(value) => Ok(Source { file: file.to_owned(), text, value }),
            Err(e) => {
                let (location, message) = crate::language::json::serde_error(&text, &e);
                Err(SnapshotError::from(ErrorInner {
                    file: file.to_owned(),
                    path: JsonPath::root(),
                    location: Some(location),
                    kind: SnapshotErrorKind::Syntax { message },
                }))
            }
        }
    }

    fn root(&self) -> Node<'_> {
        Node { source: self, path: JsonPath::root(), value: &self.value }
    }
}

/// A value inside a source, with its path, for located errors.
#[derive(Clone)]
struct Node<'a> {
    source: &'a Source,
    path: JsonPath,
    value: &'a Value,
}

type Result<T, E = SnapshotError> = std::result::Result<T, E>;

impl<'a> Node<'a> {
    fn error(&self, kind: SnapshotErrorKind) -> SnapshotError {
        SnapshotError::from(ErrorInner {
            file: self.source.file.clone(),
            location: Some(json::locate(&self.source.text, &self.path)),
            path: self.path.clone(),
            kind,
        })
    }

    fn wrong_type(&self, expected: &str) -> SnapshotError {
        self.error(SnapshotErrorKind::WrongType { expected: expected.to_owned(), found: self.value.type_name() })
    }

    fn members(&self) -> Result<&'a [(String, Value)]> {
        match self.value {
            Value::Object(members) => Ok(members),
            _ => Err(self.wrong_type("an object")),
        }
    }

    fn child(&self, name: &str, value: &'a Value) -> Node<'a> {
        Node { source: self.source, path: self.path.key(name), value }
    }

    /// Member `name`, if the object has it.
    fn get(&self, name: &str) -> Result<Option<Node<'a>>> {
        Ok(self.members()?.iter().find(|(k, _)| k == name).map(|(_, v)| self.child(name, v)))
    }

    /// Member `name`, which must be there.
    fn req(&self, name: &str) -> Result<Node<'a>> {
        self.get(name)?.ok_or_else(|| self.error(SnapshotErrorKind::Missing { name: name.to_owned() }))
    }

    fn string(&self) -> Result<&'a str> {
        match self.value {
            Value::String(s) => Ok(s),
            _ => Err(self.wrong_type("a string")),
        }
    }

    fn opt_string(&self, name: &str) -> Result<Option<String>> {
        match self.get(name)? {
            Some(node) if matches!(node.value, Value::Null) => Ok(None),
            Some(node) => Ok(Some(node.string()?.to_owned())),
            None => Ok(None),
        }
    }

    fn req_string(&self, name: &str) -> Result<String> {
        Ok(self.req(name)?.string()?.to_owned())
    }

    fn array(&self) -> Result<Vec<Node<'a>>> {
        match self.value {
            Value::Array(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| Node { source: self.source, path: self.path.index(i), value: v })
                .collect()),
            _ => Err(self.wrong_type("an array")),
        }
    }

    /// RAM's list shape: `{"Users": {"User": [...]}}`.
    fn list(&self, outer: &str, inner: &str) -> Result<Vec<Node<'a>>> {
        self.req(outer)?.req(inner)?.array()
    }

    /// An object used as a map from names to outputs.
    fn entries(&self) -> Result<Vec<(String, Node<'a>)>> {
        Ok(self.members()?.iter().map(|(k, v)| (k.clone(), self.child(k, v))).collect())
    }
}

/// Which API output a value is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Account,
    ListUsers,
    ListGroups,
    ListRoles,
    GetRole(String),
    GroupsForUser(String),
    PoliciesForUser(String),
    PoliciesForGroup(String),
    PoliciesForRole(String),
    PolicyVersion(PolicyType, String),
    ControlAttachments(String),
    ControlPolicy(String),
}

/// Members of the single-file form, in the order the docs give them.
const FILE_MEMBERS: [&str; 12] = [
    "AccountId",
    "ListUsers",
    "ListGroups",
    "ListRoles",
    "GetRole",
    "ListGroupsForUser",
    "ListPoliciesForUser",
    "ListPoliciesForGroup",
    "ListPoliciesForRole",
    "GetPolicyVersion",
    "ListControlPolicyAttachmentsForTarget",
    "GetControlPolicy",
];

/// Entries of the directory form.
const DIR_ENTRIES: [&str; 12] = [
    "GetCallerIdentity.json",
    "ListUsers.json",
    "ListGroups.json",
    "ListRoles.json",
    "GetRole/",
    "ListGroupsForUser/",
    "ListPoliciesForUser/",
    "ListPoliciesForGroup/",
    "ListPoliciesForRole/",
    "GetPolicyVersion/",
    "ListControlPolicyAttachmentsForTarget/",
    "GetControlPolicy/",
];

fn expected_list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

impl Snapshot {
    /// Reads a snapshot from a file (single-file form) or a directory.
    pub fn load(path: &Path) -> Result<Snapshot> {
        if path.is_dir() { Self::from_dir(path) } else { Self::from_file(path) }
    }

    /// Reads the single-file form.
    pub fn from_file(path: &Path) -> Result<Snapshot> {
        let source = Source::read(path)?;
        Self::from_source(source)
    }

    /// Reads the single-file form from text; `file` names it in errors.
    pub fn from_json(file: &Path, text: &str) -> Result<Snapshot> {
        Self::from_source(Source::parse(file, text.to_owned())?)
    }

    fn from_source(source: Source) -> Result<Snapshot> {
        let root = source.root();
        let mut slots = Vec::new();
        for (name, node) in root.entries()? {
            match name.as_str() {
                "AccountId" => {}
                "ListUsers" => slots.push((Slot::ListUsers, node)),
                "ListGroups" => slots.push((Slot::ListGroups, node)),
                "ListRoles" => slots.push((Slot::ListRoles, node)),
                "GetRole" => keyed(&mut slots, &node, Slot::GetRole)?,
                "ListGroupsForUser" => keyed(&mut slots, &node, Slot::GroupsForUser)?,
                "ListPoliciesForUser" => keyed(&mut slots, &node, Slot::PoliciesForUser)?,
                "ListPoliciesForGroup" => keyed(&mut slots, &node, Slot::PoliciesForGroup)?,
                "ListPoliciesForRole" => keyed(&mut slots, &node, Slot::PoliciesForRole)?,
                "GetPolicyVersion" => {
                    for (kind, versions) in node.entries()? {
                        let Some(policy_type) = PolicyType::parse(&kind) else {
                            return Err(versions.error(SnapshotErrorKind::Unknown {
                                name: kind,
                                expected: expected_list(&["System", "Custom"]),
                            }));
                        };
                        for (key, value) in versions.entries()? {
                            slots.push((Slot::PolicyVersion(policy_type, key), value));
                        }
                    }
                }
                "ListControlPolicyAttachmentsForTarget" => keyed(&mut slots, &node, Slot::ControlAttachments)?,
                "GetControlPolicy" => keyed(&mut slots, &node, Slot::ControlPolicy)?,
                _ => {
                    return Err(node.error(SnapshotErrorKind::Unknown { name, expected: expected_list(&FILE_MEMBERS) }));
                }
            }
        }
        slots.push((Slot::Account, root));
        build(slots, false)
    }

    /// Reads the directory form.
    pub fn from_dir(dir: &Path) -> Result<Snapshot> {
        let mut sources: Vec<(Slot, Source)> = Vec::new();
        for (name, path, is_dir) in list_dir(dir)? {
            let slot_of: Option<fn(String) -> Slot> = match name.as_str() {
                "GetRole" => Some(Slot::GetRole),
                "ListGroupsForUser" => Some(Slot::GroupsForUser),
                "ListPoliciesForUser" => Some(Slot::PoliciesForUser),
                "ListPoliciesForGroup" => Some(Slot::PoliciesForGroup),
                "ListPoliciesForRole" => Some(Slot::PoliciesForRole),
                "ListControlPolicyAttachmentsForTarget" => Some(Slot::ControlAttachments),
                "GetControlPolicy" => Some(Slot::ControlPolicy),
                _ => None,
            };
            match (name.as_str(), is_dir, slot_of) {
                ("GetCallerIdentity.json", false, _) => sources.push((Slot::Account, Source::read(&path)?)),
                ("ListUsers.json", false, _) => sources.push((Slot::ListUsers, Source::read(&path)?)),
                ("ListGroups.json", false, _) => sources.push((Slot::ListGroups, Source::read(&path)?)),
                ("ListRoles.json", false, _) => sources.push((Slot::ListRoles, Source::read(&path)?)),
                ("GetPolicyVersion", true, _) => {
                    for (kind, sub, sub_is_dir) in list_dir(&path)? {
                        match PolicyType::parse(&kind) {
                            Some(policy_type) if sub_is_dir => {
                                for (file, file_path) in json_files(&sub)? {
                                    sources.push((Slot::PolicyVersion(policy_type, file), Source::read(&file_path)?));
                                }
                            }
                            _ => return Err(unknown_entry(&sub, &kind, &["System/", "Custom/"])),
                        }
                    }
                }
                (_, true, Some(make)) => {
                    for (file, file_path) in json_files(&path)? {
                        sources.push((make(file), Source::read(&file_path)?));
                    }
                }
                _ if is_dir || name.ends_with(".json") => return Err(unknown_entry(&path, &name, &DIR_ENTRIES)),
                _ => {}
            }
        }
        if !sources.iter().any(|(slot, _)| *slot == Slot::Account) {
            return Err(SnapshotError::from(ErrorInner {
                file: dir.join("GetCallerIdentity.json"),
                path: JsonPath::root(),
                location: None,
                kind: SnapshotErrorKind::Read {
                    message:
                        "missing: the directory form needs `aliyun sts GetCallerIdentity` output for the account id"
                            .to_owned(),
                },
            }));
        }
        build(sources.iter().map(|(slot, source)| (slot.clone(), source.root())).collect(), true)
    }
}

/// The entries of a map from names to outputs, as slots.
fn keyed<'a>(slots: &mut Vec<(Slot, Node<'a>)>, node: &Node<'a>, make: fn(String) -> Slot) -> Result<()> {
    for (key, value) in node.entries()? {
        slots.push((make(key), value));
    }
    Ok(())
}

fn unknown_entry(path: &Path, name: &str, expected: &[&str]) -> SnapshotError {
    SnapshotError::from(ErrorInner {
        file: path.to_owned(),
        path: JsonPath::root(),
        location: None,
        kind: SnapshotErrorKind::Unknown { name: name.to_owned(), expected: expected_list(expected) },
    })
}

fn read_error(path: &Path, e: &std::io::Error) -> SnapshotError {
    SnapshotError::from(ErrorInner {
        file: path.to_owned(),
        path: JsonPath::root(),
        location: None,
        kind: SnapshotErrorKind::Read { message: e.to_string() },
    })
}

/// A directory's entries, sorted by name: (name, path, is a directory).
fn list_dir(dir: &Path) -> Result<Vec<(String, PathBuf, bool)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| read_error(dir, &e))? {
        let entry = entry.map_err(|e| read_error(dir, &e))?;
        let path = entry.path();
        out.push((entry.file_name().to_string_lossy().into_owned(), path.clone(), path.is_dir()));
    }
    out.sort();
    Ok(out)
}

/// The `*.json` files of a directory, by name without the extension; other
/// files are ignored, a directory is an error.
fn json_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for (name, path, is_dir) in list_dir(dir)? {
        match name.strip_suffix(".json") {
            _ if is_dir => return Err(unknown_entry(&path, &name, &["<name>.json"])),
            Some(stem) if !stem.is_empty() => out.push((stem.to_owned(), path)),
            _ => {}
        }
    }
    Ok(out)
}

/// The outputs of one snapshot, sorted by what they are.
#[derive(Default)]
struct Outputs<'a> {
    account: Option<Node<'a>>,
    list_users: Option<Node<'a>>,
    list_groups: Option<Node<'a>>,
    list_roles: Option<Node<'a>>,
    get_role: BTreeMap<String, Node<'a>>,
    groups_for_user: BTreeMap<String, Node<'a>>,
    policies_for_user: BTreeMap<String, Node<'a>>,
    policies_for_group: BTreeMap<String, Node<'a>>,
    policies_for_role: BTreeMap<String, Node<'a>>,
    policy_versions: BTreeMap<PolicyRef, Node<'a>>,
    control_attachments: BTreeMap<String, Node<'a>>,
    control_policies: BTreeMap<String, Node<'a>>,
}

fn parse_document(node: &Node<'_>, label: &str, kind: PolicyKind, name: &str) -> Result<Policy> {
    let text = node.string()?;
    Policy::parse_with_limits(name, text, kind, &Limits::unlimited())
        .map_err(|errors| node.error(SnapshotErrorKind::InvalidPolicy { policy: label.to_owned(), errors }))
}

/// The policy references of a `ListPoliciesFor*` output.
fn policy_refs<'a>(node: &Node<'a>) -> Result<Vec<(PolicyRef, Option<String>, Node<'a>)>> {
    let mut out = Vec::new();
    for item in node.list("Policies", "Policy")? {
        let name = item.req_string("PolicyName")?;
        let type_node = item.req("PolicyType")?;
        let text = type_node.string()?;
        let policy_type = PolicyType::parse(text).ok_or_else(|| {
            type_node
                .error(SnapshotErrorKind::InvalidValue { value: text.to_owned(), expected: "`System` or `Custom`" })
        })?;
        let default_version = item.opt_string("DefaultVersion")?;
        out.push((PolicyRef { policy_type, name }, default_version, item));
    }
    Ok(out)
}

fn build(slots: Vec<(Slot, Node<'_>)>, dir_form: bool) -> Result<Snapshot> {
    let mut o = Outputs::default();
    for (slot, node) in slots {
        match slot {
            Slot::Account => o.account = Some(node),
            Slot::ListUsers => o.list_users = Some(node),
            Slot::ListGroups => o.list_groups = Some(node),
            Slot::ListRoles => o.list_roles = Some(node),
            Slot::GetRole(name) => {
                o.get_role.insert(name, node);
            }
            Slot::GroupsForUser(name) => {
                o.groups_for_user.insert(name, node);
            }
            Slot::PoliciesForUser(name) => {
                o.policies_for_user.insert(name, node);
            }
            Slot::PoliciesForGroup(name) => {
                o.policies_for_group.insert(name, node);
            }
            Slot::PoliciesForRole(name) => {
                o.policies_for_role.insert(name, node);
            }
            Slot::PolicyVersion(policy_type, name) => {
                o.policy_versions.insert(PolicyRef { policy_type, name }, node);
            }
            Slot::ControlAttachments(target) => {
                o.control_attachments.insert(target, node);
            }
            Slot::ControlPolicy(id) => {
                o.control_policies.insert(id, node);
            }
        }
    }
    let Some(account) = &o.account else {
        return Err(SnapshotError::from(ErrorInner {
            file: PathBuf::new(),
            path: JsonPath::root(),
            location: None,
            kind: SnapshotErrorKind::Missing { name: "AccountId".to_owned() },
        }));
    };
    let account_id = account.req_string("AccountId")?;

    // The policy documents, each read once.
    let mut policies = BTreeMap::new();
    for (reference, node) in &o.policy_versions {
        let version = node.req("PolicyVersion")?;
        let document = version.req("PolicyDocument")?;
        let label = format!("{} policy `{}`", reference.policy_type, reference.name);
        let policy = parse_document(&document, &label, PolicyKind::Identity, &reference.name)?;
        if let Some(is_default) = version.get("IsDefaultVersion")?
            && matches!(is_default.value, Value::Bool(false))
        {
            return Err(is_default.error(SnapshotErrorKind::InvalidValue {
                value: "false".to_owned(),
                expected: "the default version (`true`): the audit needs the version in force",
            }));
        }
        let version_id = version.opt_string("VersionId")?;
        policies.insert(
            reference.clone(),
            SnapshotPolicy { reference: reference.clone(), version: version_id, document: policy },
        );
    }

    // Attachments, checked against the documents.
    let attachments = |node: &Node<'_>, attached_to: &str, hint_dir: bool| -> Result<Vec<PolicyRef>> {
        let mut refs: Vec<PolicyRef> = Vec::new();
        let mut seen: HashSet<PolicyRef> = HashSet::new();
        for (reference, default_version, item) in policy_refs(node)? {
            let Some(policy) = policies.get(&reference) else {
                let hint = if hint_dir {
                    format!(" (`GetPolicyVersion/{}/{}.json`)", reference.policy_type, reference.name)
                } else {
                    format!(" (`GetPolicyVersion.{}.{}`)", reference.policy_type, reference.name)
                };
                return Err(item.error(SnapshotErrorKind::MissingPolicy {
                    policy_type: reference.policy_type,
                    name: reference.name.clone(),
                    attached_to: attached_to.to_owned(),
                    hint,
                }));
            };
            if let (Some(expected), Some(found)) = (&default_version, &policy.version)
                && expected != found
            {
                return Err(item.error(SnapshotErrorKind::NotDefaultVersion {
                    policy_type: reference.policy_type,
                    name: reference.name.clone(),
                    found: found.clone(),
                    expected: expected.clone(),
                }));
            }
            if seen.insert(reference.clone()) {
                refs.push(reference);
            }
        }
        Ok(refs)
    };
    let missing_output = |call: &'static str, what: &'static str, name: &str, at: &Node<'_>| {
        let hint = if dir_form { format!(" (`{call}/{name}.json`)") } else { format!(" (`{call}.{name}`)") };
        at.error(SnapshotErrorKind::MissingOutput { call, what, name: name.to_owned(), hint })
    };

    // Groups.
    let mut groups = Vec::new();
    let mut group_nodes = Vec::new();
    if let Some(list) = &o.list_groups {
        for item in list.list("Groups", "Group")? {
            let name = item.req_string("GroupName")?;
            group_nodes.push((name, item));
        }
    }
    let group_names: HashSet<&str> = group_nodes.iter().map(|(name, _)| name.as_str()).collect();
    for (name, item) in &group_nodes {
        let node = o
            .policies_for_group
            .get(name)
            .ok_or_else(|| missing_output("ListPoliciesForGroup", "group", name, item))?;
        let policies = attachments(node, &format!("group `{name}`"), dir_form)?;
        groups.push(SnapshotGroup { name: name.clone(), policies });
    }
    check_listed(&o.policies_for_group, &group_names, "group", "ListGroups")?;

    // Users.
    let mut users = Vec::new();
    let mut user_nodes = Vec::new();
    if let Some(list) = &o.list_users {
        for item in list.list("Users", "User")? {
            let name = item.req_string("UserName")?;
            user_nodes.push((name, item));
        }
    }
    for (name, item) in &user_nodes {
        let memberships =
            o.groups_for_user.get(name).ok_or_else(|| missing_output("ListGroupsForUser", "user", name, item))?;
        let mut member_of = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for group in memberships.list("Groups", "Group")? {
            let group_name_node = group.req("GroupName")?;
            let group_name = group_name_node.string()?;
            if !group_names.contains(group_name) {
                return Err(group_name_node.error(SnapshotErrorKind::NotListed {
                    what: "group",
                    name: group_name.to_owned(),
                    listing: "ListGroups",
                }));
            }
            if seen.insert(group_name) {
                member_of.push(group_name.to_owned());
            }
        }
        let node =
            o.policies_for_user.get(name).ok_or_else(|| missing_output("ListPoliciesForUser", "user", name, item))?;
        let policies = attachments(node, &format!("user `{name}`"), dir_form)?;
        users.push(SnapshotUser {
            name: name.clone(),
            id: item.opt_string("UserId")?,
            display_name: item.opt_string("DisplayName")?,
            groups: member_of,
            policies,
        });
    }
    let user_names: HashSet<&str> = user_nodes.iter().map(|(name, _)| name.as_str()).collect();
    check_listed(&o.groups_for_user, &user_names, "user", "ListUsers")?;
    check_listed(&o.policies_for_user, &user_names, "user", "ListUsers")?;

    // Roles.
    let mut roles = Vec::new();
    let mut role_nodes = Vec::new();
    if let Some(list) = &o.list_roles {
        for item in list.list("Roles", "Role")? {
            let name = item.req_string("RoleName")?;
            role_nodes.push((name, item));
        }
    }
    for (name, item) in &role_nodes {
        let detail = match o.get_role.get(name) {
            Some(node) => Some(node.req("Role")?),
            None => None,
        };
        let trust_node = match &detail {
            Some(d) => d.get("AssumeRolePolicyDocument")?,
            None => None,
        };
        let trust_node = match trust_node {
            Some(node) => node,
            None => match item.get("AssumeRolePolicyDocument")? {
                Some(node) => node,
                None => return Err(missing_output("GetRole", "role", name, item)),
            },
        };
        let trust = parse_document(
            &trust_node,
            &format!("the trust policy of role `{name}`"),
            PolicyKind::Resource,
            &trust_name(name),
        )?;
        let arn = match detail.as_ref().map(|d| d.opt_string("Arn")).transpose()?.flatten() {
            Some(arn) => arn,
            None => item.opt_string("Arn")?.unwrap_or_else(|| format!("acs:ram::{account_id}:role/{name}")),
        };
        let node =
            o.policies_for_role.get(name).ok_or_else(|| missing_output("ListPoliciesForRole", "role", name, item))?;
        let policies = attachments(node, &format!("role `{name}`"), dir_form)?;
        roles.push(SnapshotRole { name: name.clone(), arn, trust, policies });
    }
    let role_names: HashSet<&str> = role_nodes.iter().map(|(name, _)| name.as_str()).collect();
    check_listed(&o.get_role, &role_names, "role", "ListRoles")?;
    check_listed(&o.policies_for_role, &role_names, "role", "ListRoles")?;

    // Control policies: every policy attached to any listed target, once.
    let mut control_policies: Vec<ControlPolicy> = Vec::new();
    let mut control_ids: HashSet<String> = HashSet::new();
    for node in o.control_attachments.values() {
        for item in node.list("ControlPolicyAttachments", "ControlPolicyAttachment")? {
            let id_node = item.req("PolicyId")?;
            let id = id_node.string()?.to_owned();
            if !control_ids.insert(id.clone()) {
                continue;
            }
            let detail = o.control_policies.get(&id).ok_or_else(|| {
                let hint = if dir_form {
                    format!(" (`GetControlPolicy/{id}.json`)")
                } else {
                    format!(" (`GetControlPolicy.{id}`)")
                };
                id_node.error(SnapshotErrorKind::MissingOutput {
                    call: "GetControlPolicy",
                    what: "control policy",
                    name: id.clone(),
                    hint,
                })
            })?;
            let policy = detail.req("ControlPolicy")?;
            let name = match policy.opt_string("PolicyName")? {
                Some(name) => name,
                None => item.opt_string("PolicyName")?.unwrap_or_else(|| id.clone()),
            };
            let scope = match policy.get("EffectScope")? {
                Some(scope_node) => match scope_node.string()? {
                    "All" => EffectScope::All,
                    "RAM" => EffectScope::Ram,
                    other => {
                        return Err(scope_node.error(SnapshotErrorKind::InvalidValue {
                            value: other.to_owned(),
                            expected: "`All` or `RAM`",
                        }));
                    }
                },
                None => EffectScope::Ram,
            };
            let document_node = policy.req("PolicyDocument")?;
            let document =
                parse_document(&document_node, &format!("control policy `{name}` ({id})"), PolicyKind::Control, &name)?;
            control_policies.push(ControlPolicy { id, name, scope, document });
        }
    }
    Ok(Snapshot { account_id, users, groups, roles, policies, control_policies })
}

/// The name a role's trust policy has in decisions.
pub(crate) fn trust_name(role: &str) -> String {
    format!("{role} (trust policy)")
}

/// Every keyed output names a listed user, group or role.
fn check_listed(
    outputs: &BTreeMap<String, Node<'_>>,
    listed: &HashSet<&str>,
    what: &'static str,
    listing: &'static str,
) -> Result<()> {
    for (name, node) in outputs {
        if !listed.contains(name.as_str()) {
            return Err(node.error(SnapshotErrorKind::NotListed { what, name: name.clone(), listing }));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ACCOUNT: &str = "1234567890123456";

    /// A snapshot of `users` users spread over 50 groups (each user in two,
    /// the first named twice), every user and group with policy `p0`
    /// attached twice. `edit` changes the JSON before it is read.
    fn many_users(users: usize, edit: impl FnOnce(&mut serde_json::Value)) -> Result<Snapshot> {
        let refs = json!({"Policies": {"Policy": [
            {"PolicyName": "p0", "PolicyType": "Custom"}, {"PolicyName": "p0", "PolicyType": "Custom"}]}});
        let groups: Vec<String> = (0..50).map(|g| format!("g{g}")).collect();
        let mut listed = Vec::new();
        let mut memberships = serde_json::Map::new();
        let mut for_user = serde_json::Map::new();
        for u in 0..users {
            let name = format!("u{u}");
            listed.push(json!({"UserName": name}));
            let (a, b) = (&groups[u % 50], &groups[(u * 7 + 1) % 50]);
            memberships.insert(
                name.clone(),
                json!({"Groups": {"Group": [{"GroupName": a}, {"GroupName": b}, {"GroupName": a}]}}),
            );
            for_user.insert(name, refs.clone());
        }
        let document =
            json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ecs:Describe*", "Resource": "*"}]});
        let mut snapshot = json!({
            "AccountId": ACCOUNT,
            "ListUsers": {"Users": {"User": listed}},
            "ListGroups": {"Groups": {"Group": groups.iter().map(|g| json!({"GroupName": g})).collect::<Vec<_>>()}},
            "ListGroupsForUser": memberships,
            "ListPoliciesForUser": for_user,
            "ListPoliciesForGroup": groups.iter().map(|g| (g.clone(), refs.clone())).collect::<serde_json::Map<_, _>>(),
            "GetPolicyVersion": {"Custom": {"p0": {"PolicyVersion": {"PolicyDocument": document.to_string()}}}},
        });
        edit(&mut snapshot);
        Snapshot::from_json(Path::new("many.json"), &snapshot.to_string())
    }

    #[test]
    fn large_listings_load_in_order_without_repeats() {
        let snapshot = many_users(5_000, |_| {}).unwrap();
        assert_eq!(snapshot.users.len(), 5_000);
        assert_eq!(snapshot.groups.len(), 50);
        let last = &snapshot.users[4_999];
        assert_eq!(last.name, "u4999");
        assert_eq!(last.groups, ["g49", "g44"]);
        assert_eq!(snapshot.users[7].groups, ["g7", "g0"], "the first group, named again, is one membership");
        assert_eq!(last.policies.len(), 1, "a policy attached twice is one attachment");
        assert_eq!(snapshot.groups[49].policies.len(), 1);
    }

    #[test]
    fn an_unlisted_name_is_found_among_many() {
        let err = many_users(5_000, |s| {
            s["ListPoliciesForUser"]["zz-gone"] = json!({"Policies": {"Policy": []}});
        })
        .unwrap_err();
        assert_eq!(
            err.kind(),
            &SnapshotErrorKind::NotListed { what: "user", name: "zz-gone".to_owned(), listing: "ListUsers" }
        );
        let err = many_users(5_000, |s| {
            s["ListGroupsForUser"]["u4999"]["Groups"]["Group"][1]["GroupName"] = json!("g-gone");
        })
        .unwrap_err();
        assert_eq!(
            err.kind(),
            &SnapshotErrorKind::NotListed { what: "group", name: "g-gone".to_owned(), listing: "ListGroups" }
        );
        assert_eq!(err.path().to_string(), "ListGroupsForUser.u4999.Groups.Group[1].GroupName");
        let err = many_users(100, |s| {
            s["ListPoliciesForGroup"]["g-gone"] = json!({"Policies": {"Policy": []}});
        })
        .unwrap_err();
        assert_eq!(
            err.kind(),
            &SnapshotErrorKind::NotListed { what: "group", name: "g-gone".to_owned(), listing: "ListGroups" }
        );
    }
}
