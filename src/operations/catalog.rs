//! The action catalog: what each cloud operation means to RAM.
//!
//! For every operation it records the service, API version, RAM action,
//! access level, parameters, the resource ARNs the operation is authorized
//! against and how they are built from the parameters, the condition keys it
//! sets, its `DryRun` type, its asynchronous behaviour, its documented errors
//! and the answer it gives on a denial. The catalog is data: the one that
//! ships with ramguard lives in `policies/catalog/operations.json`, and users
//! can load and merge their own files of the same shape.
//!
//! [`Operation::authorization_request`] turns a call (parameters plus facts
//! about the caller) into the [`Request`] that RAM would evaluate.
//!
//! ```
//! use std::collections::BTreeMap;
//!
//! use ramguard::catalog::{Caller, Catalog};
//!
//! let catalog = Catalog::builtin()?;
//! let revoke = catalog.get("expressconnectrouter:RevokeInstanceFromExpressConnectRouter").ok_or("unknown")?;
//! let params = BTreeMap::from([
//!     ("EcrId".to_owned(), "ecr-mezk2idmsd0vx2".to_owned()),
//!     ("InstanceId".to_owned(), "vbr-j6cwxhgg0s5nuephp".to_owned()),
//!     ("InstanceType".to_owned(), "VBR".to_owned()),
//!     ("InstanceRegionId".to_owned(), "cn-hangzhou".to_owned()),
//!     ("EcrOwnerAliUid".to_owned(), "1210123456123456".to_owned()),
//! ]);
//! let caller = Caller::new("acs:ram::1234567890123456:user/alice".parse()?);
//! let request = revoke.authorization_request(&params, &caller)?;
//! // Authorized against the network instance being revoked, not the router.
//! assert_eq!(request.resources(), ["acs:expressconnect:cn-hangzhou:1234567890123456:virtualborderrouter/vbr-j6cwxhgg0s5nuephp"]);
//! assert_eq!(request.context().get("expressconnectrouter:InstanceType"), ["VBR"]);
//! assert_eq!(catalog.suggest("vpc:DeleteIpsecSever"), Some("vpc:DeleteIpsecServer"));
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::engine::request::{Principal, Request};
use crate::language::condition::Context;
use crate::language::fuzzy::suggest;

/// The catalog that ships with ramguard.
const BUILTIN: &str = include_str!("../../policies/catalog/operations.json");

/// A parameter's type, as the API reference gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// A list (`Name.1`, `Name.2` in RPC; a JSON array in ZStack).
    List,
}

/// One request parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// The name, case-sensitive (`IpsecServerId`).
    pub name: String,
    /// The type.
    #[serde(rename = "type")]
    pub param_type: ParamType,
    /// Whether the call must carry it.
    pub required: bool,
    /// Where it travels when not in the query string or form body: `path` or `body`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The only values allowed, when the API lists them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// The prefix every valid id has (`iss-`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The longest value allowed, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
}

/// One resource type an operation is authorized against, and its ARN template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceTemplate {
    /// The resource type (`vpnipsecserver`), or `*` for "All Resources".
    #[serde(rename = "type")]
    pub resource_type: String,
    /// The ARN template: `{#regionId}`, `{#accountId}` and `{#<Name>}` are
    /// filled from the call.
    pub arn: String,
    /// Applies only when these parameters have these values
    /// (`{"InstanceType": "VBR"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<BTreeMap<String, String>>,
    /// Applies only when this optional parameter is present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when_present: Option<String>,
    /// Template names that are filled from a parameter of another name
    /// (`{"VbrId": "InstanceId"}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bind: BTreeMap<String, String>,
}

/// A condition key that an operation sets from one of its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionKeySpec {
    /// The key (`expressconnectrouter:InstanceType`).
    pub key: String,
    /// Other names policies use for it (`InstanceType`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The parameter whose value the key carries.
    pub parameter: String,
    /// The value type.
    #[serde(rename = "type")]
    pub value_type: String,
    /// The values it can take.
    #[serde(default)]
    pub values: Vec<String>,
    /// Whether one request can carry several values of the key (one per item
    /// of a list parameter), so that conditions on it need `ForAnyValue:` or
    /// `ForAllValues:` to say which of them must match. A key that carries a
    /// `list` parameter must say so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub multivalued: bool,
}

/// A documented error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorSpec {
    /// The HTTP status.
    pub status: u16,
    /// The error code (`%s` stands for a parameter name).
    pub code: String,
    /// The message (`%s` stands for a value).
    pub message: String,
}

/// What the service answers when RAM denies a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Denial {
    /// The HTTP status.
    pub status: u16,
    /// The error code for a denial (an implicit one, where the service tells them apart).
    pub code: String,
    /// The message.
    pub message: String,
    /// The code for an explicit denial, where it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explicit_code: Option<String>,
    /// The message for an explicit denial, where it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explicit_message: Option<String>,
}

/// How the operation is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// Alibaba Cloud RPC: `Action`, `Version` and parameters in the query or form body.
    Rpc,
    /// ZStack REST with an OAuth session.
    Zstack,
}

/// One cloud operation, as RAM sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    /// The RAM action (`vpc:DeleteIpsecServer`).
    pub action: String,
    /// The API name (`DeleteIpsecServer`).
    pub api: String,
    /// The product (`VPC`).
    pub product: String,
    /// The API version (`2016-04-28`).
    pub version: String,
    /// How it is called.
    pub style: Style,
    /// `create`, `list`, `get`, `update` or `delete`.
    pub access_level: String,
    /// The HTTP method.
    pub method: String,
    /// The HTTP path (`/`, or a ZStack path with `{uuid}`).
    pub path: String,
    /// The parameter that names the region, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_parameter: Option<String>,
    /// The parameters.
    pub parameters: Vec<Parameter>,
    /// The resources it is authorized against.
    pub resources: Vec<ResourceTemplate>,
    /// The condition keys it sets.
    #[serde(default)]
    pub condition_keys: Vec<ConditionKeySpec>,
    /// The type of its `DryRun` parameter, when it has one: `string` or `boolean`.
    #[serde(default)]
    pub dry_run: Option<String>,
    /// How the operation completes, when it does so in the background.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asynchronous: Option<String>,
    /// The documented errors.
    #[serde(default)]
    pub errors: Vec<ErrorSpec>,
    /// The answer to a denial.
    pub denial: Denial,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    operations: Vec<Operation>,
}

/// Why a catalog file could not be read.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The text is not a catalog.
    #[error("{line}:{column}: invalid catalog: {message}")]
    Format {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// An operation is not consistent.
    #[error("operation `{action}`: {message}")]
    Operation {
        /// The operation's action.
        action: String,
        /// What is wrong.
        message: String,
    },
}

/// Operations by RAM action.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    operations: Vec<Operation>,
    by_action: HashMap<String, usize>,
}

/// Why a call could not be turned into an authorization request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MappingError {
    /// A parameter the resource ARN needs is absent.
    #[error("parameter `{name}` is required to build the resource ARN")]
    MissingParameter {
        /// The parameter.
        name: String,
    },
    /// No resource template applies to these parameter values.
    #[error("no resource of `{action}` applies to these parameters ({detail})")]
    NoResource {
        /// The action.
        action: String,
        /// Which values were tried.
        detail: String,
    },
    /// The resource owner's account is unknown (a service principal and no account given).
    #[error("the account that owns the resource is unknown: give it explicitly")]
    UnknownAccount,
}

/// Facts about the caller and the request that RAM puts in the context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Who calls.
    pub principal: Principal,
    /// The account that owns the resources; the principal's own when `None`.
    pub account: Option<String>,
    /// `acs:SourceIp`.
    pub source_ip: Option<String>,
    /// `acs:SecureTransport`: whether the call came over HTTPS.
    pub secure_transport: Option<bool>,
    /// `acs:CurrentTime`, ISO 8601.
    pub current_time: Option<String>,
    /// `acs:MFAPresent`.
    pub mfa_present: Option<bool>,
    /// `acs:AccessId`: the access key id used (`STS.` for temporary credentials).
    pub access_key_id: Option<String>,
}

impl Caller {
    /// A caller with no request facts.
    pub fn new(principal: Principal) -> Self {
        Self {
            principal,
            account: None,
            source_ip: None,
            secure_transport: None,
            current_time: None,
            mfa_present: None,
            access_key_id: None,
        }
    }
}

impl Catalog {
    /// The catalog that ships with ramguard (read once).
    pub fn builtin() -> Result<&'static Catalog, CatalogError> {
        static BUILT: OnceLock<Result<Catalog, CatalogError>> = OnceLock::new();
        BUILT.get_or_init(|| Catalog::from_json(BUILTIN)).as_ref().map_err(Clone::clone)
    }

    /// Reads a catalog file.
    pub fn from_json(text: &str) -> Result<Catalog, CatalogError> {
        let text = crate::language::policy::without_bom(text);
        let file: CatalogFile = serde_json::from_str(text).map_err(|e| {
            let (at, message) = crate::language::json::serde_error(text, &e);
            CatalogError::Format { line: at.line, column: at.column, message }
        })?;
        let mut catalog = Catalog::default();
        for operation in file.operations {
            catalog.insert(operation)?;
        }
        Ok(catalog)
    }

    /// Adds the operations of `other`, replacing any of the same action.
    pub fn merge(&mut self, other: Catalog) -> Result<(), CatalogError> {
        for operation in other.operations {
            self.insert(operation)?;
        }
        Ok(())
    }

    fn insert(&mut self, operation: Operation) -> Result<(), CatalogError> {
        check(&operation)?;
        let key = operation.action.to_ascii_lowercase();
        match self.by_action.get(&key) {
            Some(&i) => {
                if let Some(slot) = self.operations.get_mut(i) {
                    *slot = operation;
                }
            }
            None => {
                self.by_action.insert(key, self.operations.len());
                self.operations.push(operation);
            }
        }
        Ok(())
    }

    /// The operation of an action (case-insensitive).
    pub fn get(&self, action: &str) -> Option<&Operation> {
        self.by_action.get(&action.to_ascii_lowercase()).and_then(|&i| self.operations.get(i))
    }

    /// The known action closest to a misspelt one.
    pub fn suggest(&self, action: &str) -> Option<&str> {
        suggest(action, self.operations.iter().map(|o| o.action.as_str()))
    }

    /// Every operation, in catalog order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }
}

/// Placeholders in an ARN template: `{#name}`.
fn placeholders(template: &str) -> impl Iterator<Item = &str> {
    template.split("{#").skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

/// `template` with each `{#name}` replaced by `value(name)`, in one pass:
/// a value is never read again for placeholders of its own.
fn fill<'v>(
    template: &str,
    mut value: impl FnMut(&str) -> Result<&'v str, MappingError>,
) -> Result<String, MappingError> {
    let mut out = String::with_capacity(template.len() + 48);
    let mut rest = template;
    while let Some((before, after)) = rest.split_once("{#") {
        out.push_str(before);
        let Some((name, tail)) = after.split_once('}') else {
            out.push_str("{#");
            rest = after;
            break;
        };
        out.push_str(value(name)?);
        rest = tail;
    }
    out.push_str(rest);
    Ok(out)
}

/// Every placeholder of every template can be filled from the parameters.
fn check(operation: &Operation) -> Result<(), CatalogError> {
    let fail = |message: String| Err(CatalogError::Operation { action: operation.action.clone(), message });
    if !operation.action.contains(':') {
        return fail("the action must be `<service>:<name>`".to_owned());
    }
    let has = |name: &str| operation.parameters.iter().any(|p| p.name == name);
    for template in &operation.resources {
        for name in placeholders(&template.arn) {
            let known = match name {
                "accountId" => true,
                "regionId" => operation.region_parameter.as_deref().is_some_and(has),
                other => has(template.bind.get(other).map_or(other, String::as_str)),
            };
            if !known {
                return fail(format!("`{{#{name}}}` in `{}` names no parameter", template.arn));
            }
        }
    }
    for key in &operation.condition_keys {
        match operation.parameter(&key.parameter) {
            None => return fail(format!("condition key `{}` names no parameter `{}`", key.key, key.parameter)),
            Some(p) if p.param_type == ParamType::List && !key.multivalued => {
                return fail(format!(
                    "condition key `{}` carries the list parameter `{}`: mark it `\"multivalued\": true`",
                    key.key, key.parameter
                ));
            }
            Some(_) => {}
        }
    }
    if operation.resources.is_empty() {
        return fail("an operation needs at least one resource (`*` for All Resources)".to_owned());
    }
    Ok(())
}

/// The list and the position of an element parameter, `Name.N` (`N` in
/// decimal digits), as RPC calls flatten a list; `None` for any other name.
pub(crate) fn list_element(name: &str) -> Option<(&str, &str)> {
    name.rsplit_once('.').filter(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A parameter a call carries that its operation does not define.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownParameter {
    /// The name as the call gives it.
    pub name: String,
    /// The operation's parameter it most likely misspells.
    pub suggestion: Option<String>,
}

impl Operation {
    /// The parameter of a name, if the operation has it.
    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// Whether a call may carry a parameter of this name: one the operation
    /// defines (names are case-sensitive), or an element `Name.N` of one of
    /// its list parameters.
    pub fn knows_parameter(&self, name: &str) -> bool {
        self.parameter(name).is_some()
            || list_element(name)
                .is_some_and(|(base, _)| self.parameter(base).is_some_and(|p| p.param_type == ParamType::List))
    }

    /// The names in `names` that the operation does not define, in order,
    /// each with the defined parameter closest to it (by edit distance,
    /// ignoring case). The guard passes such parameters on, as the service
    /// receives them, so a misspelt optional parameter is silently without
    /// effect: a front end warns with these.
    pub fn unknown_parameters<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Vec<UnknownParameter> {
        names
            .into_iter()
            .filter(|name| !self.knows_parameter(name))
            .map(|name| UnknownParameter {
                name: name.to_owned(),
                suggestion: suggest(name, self.parameters.iter().map(|p| p.name.as_str())).map(str::to_owned),
            })
            .collect()
    }

    /// The resource ARNs this call is authorized against.
    pub fn resource_arns(&self, params: &BTreeMap<String, String>, account: &str) -> Result<Vec<String>, MappingError> {
        let mut arns = Vec::new();
        for template in &self.resources {
            let applies = template.when.as_ref().is_none_or(|w| w.iter().all(|(k, v)| params.get(k) == Some(v)))
                && template.when_present.as_ref().is_none_or(|p| params.contains_key(p));
            if !applies {
                continue;
            }
            let arn = fill(&template.arn, |name| match name {
                "accountId" => Ok(account),
                "regionId" => {
                    let param = self.region_parameter.as_deref().unwrap_or("RegionId");
                    params
                        .get(param)
                        .map(String::as_str)
                        .ok_or_else(|| MappingError::MissingParameter { name: param.to_owned() })
                }
                other => {
                    let param = template.bind.get(other).map_or(other, String::as_str);
                    params
                        .get(param)
                        .map(String::as_str)
                        .ok_or_else(|| MappingError::MissingParameter { name: param.to_owned() })
                }
            })?;
            arns.push(arn);
        }
        if arns.is_empty() {
            let detail = self
                .resources
                .iter()
                .filter_map(|t| t.when.as_ref())
                .flat_map(|w| w.keys())
                .map(|k| format!("{k}={}", params.get(k).map_or("(absent)", String::as_str)))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(MappingError::NoResource { action: self.action.clone(), detail });
        }
        Ok(arns)
    }

    /// The request RAM evaluates for this call: the action, the resource ARNs
    /// built from the parameters, the operation's condition keys, and the
    /// caller's facts as `acs:` keys.
    pub fn authorization_request(
        &self,
        params: &BTreeMap<String, String>,
        caller: &Caller,
    ) -> Result<Request, MappingError> {
        let account = caller
            .account
            .as_deref()
            .or_else(|| caller.principal.account())
            .ok_or(MappingError::UnknownAccount)?
            .to_owned();
        let resources = self.resource_arns(params, &account)?;
        let mut context = Context::new();
        for key in &self.condition_keys {
            if let Some(value) = params.get(&key.parameter) {
                context.insert(&key.key, value.clone());
            }
        }
        let facts = [
            ("acs:SourceIp", caller.source_ip.clone()),
            ("acs:SecureTransport", caller.secure_transport.map(|b| b.to_string())),
            ("acs:CurrentTime", caller.current_time.clone()),
            ("acs:MFAPresent", caller.mfa_present.map(|b| b.to_string())),
            ("acs:AccessId", caller.access_key_id.clone()),
        ];
        for (key, value) in facts {
            if let Some(value) = value {
                context.insert(key, value);
            }
        }
        let first = resources.first().cloned().unwrap_or_default();
        Ok(Request::new(caller.principal.clone(), &self.action, &first).with_resources(resources).with_context(context))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn alice() -> Caller {
        Caller::new("acs:ram::1234567890123456:user/alice".parse().unwrap())
    }

    #[test]
    fn the_builtin_catalog_has_the_five_operations_and_their_siblings() {
        let catalog = Catalog::builtin().unwrap();
        assert_eq!(catalog.operations().len(), 16);
        for action in [
            "vpc:DeleteIpsecServer",
            "vpc:DeleteVpnConnection",
            "vpc:DeleteTrafficMirrorSession",
            "expressconnectrouter:RevokeInstanceFromExpressConnectRouter",
            "zstack:ChangeIPSecConnectionState",
        ] {
            assert_eq!(catalog.get(&action.to_uppercase()).unwrap().action, action);
        }
        assert_eq!(catalog.suggest("vpc:DeleteIpsecSever"), Some("vpc:DeleteIpsecServer"));
        assert_eq!(catalog.suggest("ecs:RunInstances"), None);
        let delete = catalog.get("vpc:DeleteVpnConnection").unwrap();
        assert_eq!(delete.dry_run, None);
        assert!(delete.errors.iter().any(|e| e.code == "Forbbiden.SubUser" && e.status == 403));
    }

    #[test]
    fn vpc_deletes_map_to_their_arns() {
        let catalog = Catalog::builtin().unwrap();
        let op = catalog.get("vpc:DeleteIpsecServer").unwrap();
        let mut caller = alice();
        caller.source_ip = Some("203.0.113.7".into());
        caller.secure_transport = Some(true);
        let request = op
            .authorization_request(&params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1")]), &caller)
            .unwrap();
        assert_eq!(request.action(), "vpc:DeleteIpsecServer");
        assert_eq!(request.resources(), ["acs:vpc:cn-hangzhou:1234567890123456:vpnipsecserver/iss-1"]);
        assert_eq!(request.context().get("acs:SourceIp"), ["203.0.113.7"]);
        assert_eq!(request.context().get("acs:SecureTransport"), ["true"]);
        assert_eq!(request.context().get("acs:PrincipalARN"), ["acs:ram::1234567890123456:user/alice"]);
        let err = op.authorization_request(&params(&[("RegionId", "cn-hangzhou")]), &caller).unwrap_err();
        assert_eq!(err, MappingError::MissingParameter { name: "IpsecServerId".into() });
        // A value is put in as sent, never read for placeholders itself.
        let request = op
            .authorization_request(&params(&[("RegionId", "{#accountId}"), ("IpsecServerId", "{#regionId}")]), &caller)
            .unwrap();
        assert_eq!(request.resources(), ["acs:vpc:{#accountId}:1234567890123456:vpnipsecserver/{#regionId}"]);
    }

    #[test]
    fn fills_templates_in_one_pass() {
        let value = |name: &str| match name {
            "a" => Ok("x"),
            "b" => Ok("{#a}"),
            other => Err(MappingError::MissingParameter { name: other.to_owned() }),
        };
        assert_eq!(fill("p/{#a}/{#b}/{#a}", value).unwrap(), "p/x/{#a}/x");
        assert_eq!(fill("plain", value).unwrap(), "plain");
        assert_eq!(fill("open {#a", value).unwrap(), "open {#a");
        assert_eq!(fill("{#c}", value), Err(MappingError::MissingParameter { name: "c".into() }));
    }

    #[test]
    fn the_ecr_revoke_picks_its_resource_by_instance_type() {
        let op =
            Catalog::builtin().unwrap().get("expressconnectrouter:RevokeInstanceFromExpressConnectRouter").unwrap();
        let base = [("EcrId", "ecr-1"), ("EcrOwnerAliUid", "1210123456123456"), ("InstanceRegionId", "cn-hangzhou")];
        let vbr = params(&[base[0], base[1], base[2], ("InstanceId", "vbr-1"), ("InstanceType", "VBR")]);
        let request = op.authorization_request(&vbr, &alice()).unwrap();
        assert_eq!(request.resources(), ["acs:expressconnect:cn-hangzhou:1234567890123456:virtualborderrouter/vbr-1"]);
        assert_eq!(request.context().get("expressconnectrouter:InstanceType"), ["VBR"]);
        assert_eq!(request.context().get("InstanceType"), ["VBR"]);
        let vpc = params(&[base[0], base[1], base[2], ("InstanceId", "vpc-1"), ("InstanceType", "VPC")]);
        assert_eq!(
            op.authorization_request(&vpc, &alice()).unwrap().resources(),
            ["acs:vpc:cn-hangzhou:1234567890123456:vpc/vpc-1"]
        );
        let odd = params(&[base[0], base[1], base[2], ("InstanceId", "x-1"), ("InstanceType", "CEN")]);
        assert!(matches!(op.authorization_request(&odd, &alice()), Err(MappingError::NoResource { .. })));
    }

    #[test]
    fn zstack_state_changes_carry_the_event() {
        let op = Catalog::builtin().unwrap().get("zstack:ChangeIPSecConnectionState").unwrap();
        let request =
            op.authorization_request(&params(&[("uuid", "76424bb2"), ("stateEvent", "disable")]), &alice()).unwrap();
        assert_eq!(request.resources(), ["acs:zstack::1234567890123456:ipsecconnection/76424bb2"]);
        assert_eq!(request.context().get("zstack:StateEvent"), ["disable"]);
        assert_eq!(op.denial.code, "SYS.1006");
        assert_eq!(op.denial.explicit_code.as_deref(), Some("ID.1002"));
    }

    #[test]
    fn optional_resources_and_all_resources() {
        let catalog = Catalog::builtin().unwrap();
        let create = catalog.get("vpc:CreateVpnConnection").unwrap();
        let p = params(&[
            ("RegionId", "cn-hangzhou"),
            ("VpnGatewayId", "vpn-1"),
            ("LocalSubnet", "a"),
            ("RemoteSubnet", "b"),
        ]);
        assert_eq!(create.resource_arns(&p, "1").unwrap(), ["acs:vpc:cn-hangzhou:1:vpnconnection/*"]);
        let mut with_cgw = p.clone();
        with_cgw.insert("CustomerGatewayId".into(), "cgw-1".into());
        assert_eq!(create.resource_arns(&with_cgw, "1").unwrap().len(), 2);
        let list = catalog.get("vpc:ListIpsecServers").unwrap();
        assert_eq!(list.resource_arns(&params(&[("RegionId", "cn-hangzhou")]), "1").unwrap(), ["*"]);
    }

    #[test]
    fn user_catalogs_are_checked_and_merge() {
        let bad = r#"{"operations": [{"action": "x:Y", "api": "Y", "product": "X", "version": "1", "style": "rpc",
            "access_level": "get", "method": "POST", "path": "/", "parameters": [],
            "resources": [{"type": "thing", "arn": "acs:x::{#accountId}:thing/{#ThingId}"}],
            "denial": {"status": 403, "code": "Forbidden", "message": "no"}}]}"#;
        let err = Catalog::from_json(bad).unwrap_err();
        assert!(err.to_string().contains("`{#ThingId}`"), "{err}");
        let typo = Catalog::from_json(r#"{"operation": []}"#).unwrap_err();
        assert!(matches!(typo, CatalogError::Format { line: 1, .. }), "{typo}");
        let good = bad.replace(
            r#""parameters": []"#,
            r#""parameters": [{"name": "ThingId", "type": "string", "required": true}]"#,
        );
        let mut catalog = Catalog::builtin().unwrap().clone();
        catalog.merge(Catalog::from_json(&good).unwrap()).unwrap();
        assert_eq!(catalog.operations().len(), 17);
        assert!(catalog.get("X:y").is_some());
    }

    #[test]
    fn keys_of_list_parameters_must_be_multivalued() {
        let file = |multivalued: &str| {
            format!(
                r#"{{"operations": [{{"action": "x:TagThings", "api": "TagThings", "product": "X", "version": "1",
                "style": "rpc", "access_level": "update", "method": "POST", "path": "/",
                "parameters": [{{"name": "TagKey", "type": "list", "required": false}}],
                "resources": [{{"type": "*", "arn": "*"}}],
                "condition_keys": [{{"key": "x:TagKeys", "parameter": "TagKey", "type": "string"{multivalued}}}],
                "denial": {{"status": 403, "code": "Forbidden", "message": "no"}}}}]}}"#
            )
        };
        let err = Catalog::from_json(&file("")).unwrap_err();
        assert!(err.to_string().contains("list parameter `TagKey`"), "{err}");
        let catalog = Catalog::from_json(&file(r#", "multivalued": true"#)).unwrap();
        let key = &catalog.get("x:TagThings").unwrap().condition_keys[0];
        assert!(key.multivalued);
        // The built-in catalog maps no list parameter to a key.
        let builtin = Catalog::builtin().unwrap();
        assert!(builtin.operations().iter().flat_map(|o| &o.condition_keys).all(|k| !k.multivalued));
    }

    #[test]
    fn unknown_accounts_are_an_error() {
        let op = Catalog::builtin().unwrap().get("vpc:DeleteVpnConnection").unwrap();
        let service = Caller::new("ecs.aliyuncs.com".parse().unwrap());
        let p = params(&[("RegionId", "cn-hangzhou"), ("VpnConnectionId", "vco-1")]);
        assert_eq!(op.authorization_request(&p, &service).unwrap_err(), MappingError::UnknownAccount);
        let mut with_account = service;
        with_account.account = Some("42".into());
        assert_eq!(
            op.authorization_request(&p, &with_account).unwrap().resources(),
            ["acs:vpc:cn-hangzhou:42:vpnconnection/vco-1"]
        );
    }
}
