//! Authorization requests: who asks, to do what, on which resources, with
//! which context.

use std::fmt;
use std::str::FromStr;

use crate::language::arn::Arn;
use crate::language::condition::Context;

/// The identity making a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    /// An account's root identity (`acs:ram::<uid>:root`): not restricted by RAM policies.
    Root {
        /// The account id.
        account: String,
    },
    /// A RAM user (`acs:ram::<uid>:user/<name>`).
    User {
        /// The account id.
        account: String,
        /// The user name.
        name: String,
    },
    /// A RAM role used directly (`acs:ram::<uid>:role/<name>`).
    Role {
        /// The account id.
        account: String,
        /// The role name.
        name: String,
    },
    /// A session of an assumed role (`acs:ram::<uid>:assumed-role/<role>/<session>`).
    AssumedRole {
        /// The account id.
        account: String,
        /// The role name.
        role: String,
        /// The session name.
        session: String,
    },
    /// A federated identity (`acs:ram::<uid>:saml-provider/<name>` or `oidc-provider/<name>`).
    Federated {
        /// The account id.
        account: String,
        /// `saml-provider/<name>` or `oidc-provider/<name>`.
        provider: String,
    },
    /// A cloud service (`ecs.aliyuncs.com`).
    Service {
        /// The service's principal name.
        name: String,
    },
}

/// Why a string is not a principal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not a principal: expected `acs:ram::<uid>:root`, `acs:ram::<uid>:user/<name>`, `acs:ram::<uid>:role/<name>`, `acs:ram::<uid>:assumed-role/<role>/<session>`, a SAML or OIDC provider ARN, or a service name such as `ecs.aliyuncs.com`"
)]
pub struct PrincipalError {
    input: String,
}

impl FromStr for Principal {
    type Err = PrincipalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PrincipalError { input: s.to_owned() };
        if !s.starts_with("acs:") {
            let valid = !s.is_empty()
                && s.contains('.')
                && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
            return if valid { Ok(Principal::Service { name: s.to_owned() }) } else { Err(err()) };
        }
        let arn: Arn = s.parse().map_err(|_| err())?;
        if arn.service() != "ram" || !arn.region().is_empty() || arn.account().is_empty() {
            return Err(err());
        }
        let account = arn.account().to_owned();
        let rel = arn.relative_id();
        let nonempty = |v: &str| (!v.is_empty()).then(|| v.to_owned()).ok_or_else(err);
        if rel == "root" {
            return Ok(Principal::Root { account });
        }
        match rel.split_once('/') {
            Some(("user", name)) => Ok(Principal::User { account, name: nonempty(name)? }),
            Some(("role", name)) => Ok(Principal::Role { account, name: nonempty(name)? }),
            Some(("assumed-role", rest)) => {
                let (role, session) = rest.split_once('/').ok_or_else(err)?;
                Ok(Principal::AssumedRole { account, role: nonempty(role)?, session: nonempty(session)? })
            }
            Some((kind @ ("saml-provider" | "oidc-provider"), name)) => {
                Ok(Principal::Federated { account, provider: format!("{kind}/{}", nonempty(name)?) })
            }
            _ => Err(err()),
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::Root { account } => write!(f, "acs:ram::{account}:root"),
            Principal::User { account, name } => write!(f, "acs:ram::{account}:user/{name}"),
            Principal::Role { account, name } => write!(f, "acs:ram::{account}:role/{name}"),
            Principal::AssumedRole { account, role, session } => {
                write!(f, "acs:ram::{account}:assumed-role/{role}/{session}")
            }
            Principal::Federated { account, provider } => {
                write!(f, "acs:ram::{account}:{provider}")
            }
            Principal::Service { name } => f.write_str(name),
        }
    }
}

impl Principal {
    /// The principal's account, when it has one (services have none).
    pub fn account(&self) -> Option<&str> {
        match self {
            Principal::Root { account }
            | Principal::User { account, .. }
            | Principal::Role { account, .. }
            | Principal::AssumedRole { account, .. }
            | Principal::Federated { account, .. } => Some(account),
            Principal::Service { .. } => None,
        }
    }

    /// The value of `acs:PrincipalARN` for this principal: the ARN itself,
    /// except that a role session is identified by its role's ARN.
    pub fn principal_arn(&self) -> String {
        match self {
            Principal::AssumedRole { account, role, .. } => {
                format!("acs:ram::{account}:role/{role}")
            }
            other => other.to_string(),
        }
    }

    /// Whether this is an account's root identity.
    pub fn is_root(&self) -> bool {
        matches!(self, Principal::Root { .. })
    }

    /// Whether this is a session of an assumed role, the only principal a
    /// session policy applies to.
    pub fn is_role_session(&self) -> bool {
        matches!(self, Principal::AssumedRole { .. })
    }

    /// Whether RAM consults identity policies for this principal: RAM users
    /// and roles do; the root identity, services and identity providers have
    /// none (for `sts:AssumeRole`, a role's trust policy alone decides for
    /// a service or a federated principal).
    pub fn has_identity_policies(&self) -> bool {
        matches!(self, Principal::User { .. } | Principal::Role { .. } | Principal::AssumedRole { .. })
    }
}

/// One authorization question: may `principal` perform `action` on every
/// resource in `resources`, given `context`?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    principal: Principal,
    action: String,
    resources: Vec<String>,
    context: Context,
}

impl Request {
    /// A request for one resource, with `acs:PrincipalARN` filled from the principal.
    pub fn new(principal: Principal, action: &str, resource: &str) -> Self {
        let mut request = Self {
            principal,
            action: action.to_owned(),
            resources: vec![resource.to_owned()],
            context: Context::new(),
        };
        request.fill_principal_arn();
        request
    }

    fn fill_principal_arn(&mut self) {
        if !self.context.contains("acs:PrincipalARN") {
            self.context.insert("acs:PrincipalARN", self.principal.principal_arn());
        }
    }

    /// Replaces the resources (an operation that touches several resources
    /// is allowed only when every one of them is).
    #[must_use]
    pub fn with_resources(mut self, resources: Vec<String>) -> Self {
        self.resources = resources;
        self
    }

    /// Replaces the context; `acs:PrincipalARN` is filled from the principal
    /// unless the new context sets it.
    #[must_use]
    pub fn with_context(mut self, context: Context) -> Self {
        self.context = context;
        self.fill_principal_arn();
        self
    }

    /// Adds one context value.
    #[must_use]
    pub fn with_context_value(mut self, key: &str, value: &str) -> Self {
        self.context.insert(key, value);
        self
    }

    /// Who asks.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }
    /// The action, such as `vpc:DeleteIpsecServer`.
    pub fn action(&self) -> &str {
        &self.action
    }
    /// The resources the action touches.
    pub fn resources(&self) -> &[String] {
        &self.resources
    }
    /// The request context.
    pub fn context(&self) -> &Context {
        &self.context
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_round_trip() {
        for s in [
            "acs:ram::123:root",
            "acs:ram::123:user/alice",
            "acs:ram::123:role/ops",
            "acs:ram::123:assumed-role/ops/session-1",
            "acs:ram::123:saml-provider/idp",
            "ecs.aliyuncs.com",
        ] {
            assert_eq!(s.parse::<Principal>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn rejects_bad_principals() {
        for s in [
            "",
            "alice",
            "acs:ram::123:group/g",
            "acs:ecs::123:user/a",
            "acs:ram::123:assumed-role/ops",
            "acs:ram:cn:1:root",
            "acs:ram::123:user/",
        ] {
            assert!(s.parse::<Principal>().is_err(), "{s}");
        }
    }

    #[test]
    fn principal_arn_is_filled_unless_set() {
        let p: Principal = "acs:ram::1:assumed-role/ops/s".parse().unwrap();
        let r = Request::new(p.clone(), "vpc:DeleteVpnConnection", "*");
        assert_eq!(r.context().get("acs:principalarn"), ["acs:ram::1:role/ops"]);
        let r = r.with_context(Context::new().with("acs:PrincipalARN", "x"));
        assert_eq!(r.context().get("acs:PrincipalARN"), ["x"]);
    }
}
