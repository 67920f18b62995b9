//! Where the gateway finds the secret of an AccessKeyId, and for a
//! temporary (STS) credential the security token it must come with and
//! when it expires.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;

use hmac::{Hmac, KeyInit};
use sha1::Sha1;
use sha2::Sha256;
use time::OffsetDateTime;

/// An AccessKey secret. It is only ever used as an HMAC key: `Debug`
/// prints no part of it, and it has neither `Display` nor an equality that
/// could compare it in variable time.
///
/// It is held as the two HMACs the signatures use, keyed once (keying
/// hashes a block for the inner and the outer hash), and clones share them,
/// so that a credential looked up per request costs no copy and a
/// signature no keying.
#[derive(Clone)]
pub struct Secret(Arc<Keyed>);

/// The HMACs of a secret, keyed and before any message. HMAC takes keys of
/// any length, so neither is ever `None`; were one to be, it would verify
/// nothing.
struct Keyed {
    /// HMAC-SHA256 under the secret, for V3.
    v3: Option<Hmac<Sha256>>,
    /// HMAC-SHA1 under the secret followed by `&`, for V1.
    v1: Option<Hmac<Sha1>>,
}

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        let mut secret = secret.into();
        let v3 = Hmac::new_from_slice(secret.as_bytes()).ok();
        secret.push('&');
        let v1 = Hmac::new_from_slice(secret.as_bytes()).ok();
        Self(Arc::new(Keyed { v3, v1 }))
    }

    /// A fresh HMAC-SHA256 under the secret.
    pub(crate) fn v3_mac(&self) -> Option<Hmac<Sha256>> {
        self.0.v3.clone()
    }

    /// A fresh HMAC-SHA1 under the secret followed by `&`.
    pub(crate) fn v1_mac(&self) -> Option<Hmac<Sha1>> {
        self.0.v1.clone()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// What the gateway knows of one AccessKeyId. Clones share the secret and
/// the token.
#[derive(Clone)]
pub struct Credential {
    secret: Secret,
    temporary: Option<(Arc<str>, OffsetDateTime)>,
}

impl Credential {
    /// A permanent AccessKey: requests carry no security token.
    pub fn permanent(secret: Secret) -> Self {
        Self { secret, temporary: None }
    }

    /// A temporary (STS) credential: requests must carry `security_token`
    /// (`x-acs-security-token` in V3, `SecurityToken` in V1), and are
    /// refused from `expires_at` on.
    pub fn temporary(secret: Secret, security_token: impl Into<String>, expires_at: OffsetDateTime) -> Self {
        Self { secret, temporary: Some((Arc::from(security_token.into()), expires_at)) }
    }

    pub(crate) fn secret(&self) -> &Secret {
        &self.secret
    }

    /// The security token a temporary credential requires.
    pub fn security_token(&self) -> Option<&str> {
        self.temporary.as_ref().map(|(token, _)| &**token)
    }

    /// When a temporary credential expires.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.temporary.as_ref().map(|&(_, at)| at)
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("secret", &self.secret)
            .field("security_token", &self.security_token().map(|_| ".."))
            .field("expires_at", &self.expires_at())
            .finish()
    }
}

/// Looks up AccessKeyIds.
///
/// Implemented for maps from AccessKeyId to [`Credential`], and through
/// references and `Arc`s. A store that cannot tell (its backend is down)
/// should not answer `None` for a key that may exist: `None` is answered
/// with `InvalidAccessKeyId.NotFound`.
pub trait Credentials {
    /// The credential of `access_key_id`, if there is one.
    fn credential(&self, access_key_id: &str) -> Option<Credential>;
}

impl<S: BuildHasher> Credentials for HashMap<String, Credential, S> {
    fn credential(&self, access_key_id: &str) -> Option<Credential> {
        self.get(access_key_id).cloned()
    }
}

impl Credentials for BTreeMap<String, Credential> {
    fn credential(&self, access_key_id: &str) -> Option<Credential> {
        self.get(access_key_id).cloned()
    }
}

impl<T: Credentials + ?Sized> Credentials for &T {
    fn credential(&self, access_key_id: &str) -> Option<Credential> {
        (**self).credential(access_key_id)
    }
}

impl<T: Credentials + ?Sized> Credentials for Arc<T> {
    fn credential(&self, access_key_id: &str) -> Option<Credential> {
        (**self).credential(access_key_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_neither_secret_nor_token() {
        let at = OffsetDateTime::from_unix_timestamp(1_795_350_036).unwrap();
        let credential = Credential::temporary(Secret::new("ExampleSecret123"), "CAIS-token-value", at);
        let shown = format!("{credential:?} {:?}", credential.secret());
        assert!(!shown.contains("ExampleSecret123"), "{shown}");
        assert!(!shown.contains("CAIS-token-value"), "{shown}");
        assert!(shown.contains("expires_at"), "{shown}");
    }
}
