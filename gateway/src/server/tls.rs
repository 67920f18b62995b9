//! TLS for `ramguard serve`: the certificate chain and private key named by
//! `[tls]`, read from PEM files, checked against each other, and kept
//! replaceable so that a renewed pair is used for new connections without
//! a restart. A pair that does not read, parse or match is refused and the
//! one in force stays.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

use super::{ServeError, file_error};

/// `[tls]`: the certificate chain and its private key, PEM files whose
/// paths are relative to the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain: the server's certificate first, then the
    /// intermediates.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1); it must not be readable
    /// by other users.
    pub key: PathBuf,
}

/// The most bytes of a certificate or key file.
const MAX_PEM_BYTES: u64 = 1 << 20;

/// A certificate chain and its key, checked to belong together.
struct Pair {
    key: Arc<CertifiedKey>,
    /// The SHA-256 of both files, to tell a changed pair from the same one.
    digest: [u8; 32],
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads the pair `config` names. Errors name the file and what was
/// expected; none quotes the key.
fn load(config: &TlsConfig, provider: &rustls::crypto::CryptoProvider) -> Result<Pair, ServeError> {
    let cert_text = super::read(&config.cert, MAX_PEM_BYTES)?;
    let chain = CertificateDer::pem_slice_iter(cert_text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(&config.cert, format!("not a PEM certificate chain: {e}")))?;
    if chain.is_empty() {
        return Err(file_error(&config.cert, "holds no certificate: expected a -----BEGIN CERTIFICATE----- block"));
    }
    super::check_private(&config.key)?;
    let key_text = super::read(&config.key, MAX_PEM_BYTES)?;
    let key = PrivateKeyDer::from_pem_slice(key_text.as_bytes()).map_err(|_| {
        file_error(
            &config.key,
            "holds no private key: expected a -----BEGIN PRIVATE KEY----- block (PKCS#8, PKCS#1 or SEC1)",
        )
    })?;
    let key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| file_error(&config.key, format!("the private key cannot be used: {e}")))?;
    let certified = CertifiedKey::new(chain, key);
    match certified.keys_match() {
        Ok(()) => {}
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            return Err(file_error(
                &config.key,
                format!("does not match the certificate in {}", config.cert.display()),
            ));
        }
        Err(e) => return Err(file_error(&config.cert, format!("the certificate cannot be used: {e}"))),
    }
    let mut hash = Sha256::new();
    for text in [&cert_text, &key_text] {
        hash.update((text.len() as u64).to_be_bytes());
        hash.update(text.as_bytes());
    }
    Ok(Pair { key: Arc::new(certified), digest: hash.finalize().into() })
}

/// The pair in force, replaceable while connections are served; each
/// handshake takes the pair in force when it starts.
pub(super) struct Certificates {
    config: TlsConfig,
    provider: Arc<rustls::crypto::CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    /// The digest of the pair in force; held while a reload swaps.
    digest: Mutex<[u8; 32]>,
}

impl std::fmt::Debug for Certificates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificates").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Certificates {
    /// Reads the pair `config` names, or says why it cannot be used.
    pub fn load(config: &TlsConfig) -> Result<Self, ServeError> {
        let provider = provider();
        let pair = load(config, &provider)?;
        Ok(Self { config: config.clone(), provider, current: RwLock::new(pair.key), digest: Mutex::new(pair.digest) })
    }

    /// Reads the pair again and, if it changed and is good, uses it for
    /// the connections from now on. Blocking. Says on stderr what it did.
    pub fn reload(&self, asked: bool) {
        let loaded = load(&self.config, &self.provider);
        let mut digest = self.digest.lock().unwrap_or_else(PoisonError::into_inner);
        match loaded {
            Err(e) => eprintln!("ramguard serve: TLS reload refused, the certificate in force stays: {e}"),
            Ok(pair) if pair.digest == *digest => {
                if asked {
                    eprintln!("ramguard serve: TLS certificate unchanged");
                }
            }
            Ok(pair) => {
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = pair.key;
                *digest = pair.digest;
                eprintln!("ramguard serve: reloaded the TLS certificate {}", self.config.cert.display());
            }
        }
    }

    /// The acceptor of TLS connections: HTTP/1.1 (ALPN `http/1.1`), TLS 1.2
    /// and 1.3, with the pair in force.
    pub fn acceptor(self: &Arc<Self>) -> Result<tokio_rustls::TlsAcceptor, ServeError> {
        let mut config = rustls::ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| ServeError::Config(format!("TLS: {e}")))?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(PoisonError::into_inner).clone())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap what they just built")]

    use super::*;

    /// A certificate and key for `localhost` in `dir`, the key private.
    fn pair_in(dir: &std::path::Path) -> TlsConfig {
        use std::os::unix::fs::PermissionsExt;
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let config = TlsConfig { cert: dir.join("server.crt"), key: dir.join("server.key") };
        std::fs::write(&config.cert, made.cert.pem()).unwrap();
        std::fs::write(&config.key, made.signing_key.serialize_pem()).unwrap();
        std::fs::set_permissions(&config.key, std::fs::Permissions::from_mode(0o600)).unwrap();
        config
    }

    /// The clock is paused and moves on only when every task waits, so
    /// this asserts what happens, not how long it takes.
    #[cfg(unix)]
    #[tokio::test(start_paused = true)]
    async fn a_connection_that_never_starts_its_handshake_is_closed() {
        use tokio::io::AsyncReadExt;

        let dir = tempfile::tempdir().unwrap();
        let certificates = Arc::new(Certificates::load(&pair_in(dir.path())).unwrap());
        let acceptor = certificates.acceptor().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let timeout = std::time::Duration::from_secs(10);
        let server = tokio::spawn(super::super::accept_loop(
            listener,
            axum::Router::new(),
            None,
            None,
            timeout,
            Some(acceptor),
            async move {
                let _ = stopped.await;
            },
        ));
        // Connects and sends nothing: no ClientHello ever comes.
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut byte = [0_u8; 1];
        let read = tokio::time::timeout(super::super::IDLE * 2, client.read(&mut byte)).await;
        assert!(matches!(read, Ok(Ok(0) | Err(_))), "the server held the connection open: {read:?}");
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    }

    #[test]
    fn a_file_without_a_certificate_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let config = TlsConfig { cert: dir.path().join("server.crt"), key: dir.path().join("server.key") };
        std::fs::write(&config.cert, "no PEM here\n").unwrap();
        std::fs::write(&config.key, "").unwrap();
        let error = Certificates::load(&config).unwrap_err().to_string();
        assert!(error.contains("server.crt") && error.contains("holds no certificate"), "{error}");
    }
}
