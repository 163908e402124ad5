//! TLS to PostgreSQL as Terraform's pg backend (Go's lib/pq) makes it: `sslmode` `require`
//! (lib/pq's default: encrypted, the server's certificate not checked unless a root
//! certificate is given), `verify-ca` (signed by a trusted root), `verify-full` (and issued for
//! the host) or `disable`; `sslrootcert`, `sslcert` and `sslkey` files; the `PGSSL*` variables.
//!
//! The driver reads only some of these parameters (and not lib/pq's default), so they are taken
//! out of the connection string here and become a rustls client configuration.

use super::settings::percent_decode;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How the connection is protected (`sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Require,
    VerifyCa,
    VerifyFull,
}

/// The TLS parameters of a connection string, and the connection string without them.
#[derive(Debug, PartialEq)]
pub struct TlsParams {
    pub mode: SslMode,
    pub root_cert: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
}

/// The parameters this module reads (the driver would refuse most of them).
const KEYS: [&str; 4] = ["sslmode", "sslrootcert", "sslcert", "sslkey"];

impl TlsParams {
    /// Takes the TLS parameters out of `conn_str` (a URL or libpq `key=value` pairs), with
    /// `env` for the `PGSSL*` variables; returns them and the rest of the string.
    pub fn take(
        conn_str: &str,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<(TlsParams, String), String> {
        let (written, rest) = if is_url(conn_str) {
            take_from_url(conn_str)
        } else {
            take_from_pairs(conn_str)
        };
        let get = |key: &str, var: &str| {
            written
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .or_else(|| env(var))
                .filter(|v| !v.is_empty())
        };
        let mode = match get("sslmode", "PGSSLMODE").as_deref() {
            None | Some("require") => SslMode::Require,
            Some("verify-ca") => SslMode::VerifyCa,
            Some("verify-full") => SslMode::VerifyFull,
            Some("disable") => SslMode::Disable,
            Some(other) => {
                return Err(format!(
                    "sslmode={other:?} is not supported: Terraform's pg backend (lib/pq) takes \
                     \"require\" (the default), \"verify-ca\", \"verify-full\" or \"disable\""
                ));
            }
        };
        let params = TlsParams {
            mode,
            root_cert: get("sslrootcert", "PGSSLROOTCERT").map(PathBuf::from),
            client_cert: get("sslcert", "PGSSLCERT").map(PathBuf::from),
            client_key: get("sslkey", "PGSSLKEY").map(PathBuf::from),
        };
        Ok((params, rest))
    }

    /// The driver's TLS connector for these parameters; an unreadable or invalid certificate
    /// or key file is an error naming the file.
    pub fn connector(&self) -> Result<MakeRustlsConnect, String> {
        let provider = Arc::new(ring::default_provider());
        let verifier = Verifier::new(self, provider.clone())?;
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS set-up: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier));
        let config = match (&self.client_cert, &self.client_key) {
            (None, None) => builder.with_no_client_auth(),
            (Some(cert), Some(key)) => builder
                .with_client_auth_cert(read_certs(cert)?, read_key(key)?)
                .map_err(|e| {
                    format!(
                        "sslcert {} and sslkey {}: {e}",
                        cert.display(),
                        key.display()
                    )
                })?,
            _ => return Err("sslcert and sslkey go together: set both, or neither".into()),
        };
        Ok(MakeRustlsConnect::new(config))
    }
}

fn is_url(conn_str: &str) -> bool {
    conn_str.starts_with("postgres://") || conn_str.starts_with("postgresql://")
}

/// The TLS parameters of a URL's query (percent-decoded), and the URL without them.
fn take_from_url(url: &str) -> (Vec<(String, String)>, String) {
    let Some((base, query)) = url.split_once('?') else {
        return (Vec::new(), url.to_string());
    };
    let mut taken = Vec::new();
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if KEYS.contains(&key) {
            let value = percent_decode(value).unwrap_or_else(|| value.to_string());
            taken.push((key.to_string(), value));
        } else {
            kept.push(pair);
        }
    }
    let rest = match kept.is_empty() {
        true => base.to_string(),
        false => format!("{base}?{}", kept.join("&")),
    };
    (taken, rest)
}

/// The TLS parameters of libpq `key=value` pairs (values maybe quoted), and the other pairs
/// as written.
fn take_from_pairs(text: &str) -> (Vec<(String, String)>, String) {
    let mut taken = Vec::new();
    let mut kept: Vec<&str> = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let (key, value, len) = next_pair(rest);
        if KEYS.contains(&key.as_str()) {
            taken.push((key, value));
        } else {
            kept.push(&rest[..len]);
        }
        rest = rest[len..].trim_start();
    }
    (taken, kept.join(" "))
}

/// The first `key = value` pair of `text`: its key, unquoted value and length in `text`.
fn next_pair(text: &str) -> (String, String, usize) {
    let key_end = text
        .find(|c: char| c == '=' || c.is_whitespace())
        .unwrap_or(text.len());
    let key = text[..key_end].to_string();
    let after_key = text[key_end..].trim_start();
    let Some(after_eq) = after_key.strip_prefix('=') else {
        // Not a pair: left for the driver to refuse.
        return (key, String::new(), key_end.max(1));
    };
    let value_start = text.len() - after_eq.trim_start().len();
    let mut value = String::new();
    let mut chars = text[value_start..].char_indices();
    let quoted = text[value_start..].starts_with('\'');
    if quoted {
        chars.next();
    }
    let mut end = text.len();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => value.extend(chars.next().map(|(_, c)| c)),
            '\'' if quoted => {
                end = value_start + i + 1;
                break;
            }
            c if c.is_whitespace() && !quoted => {
                end = value_start + i;
                break;
            }
            c => value.push(c),
        }
    }
    (key, value, end)
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read the certificate file {}: {e}", path.display()))?
        .collect();
    match certs {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        Ok(_) => Err(format!("{} holds no PEM certificate", path.display())),
        Err(e) => Err(format!(
            "{} is not a PEM certificate file: {e}",
            path.display()
        )),
    }
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    // The error names the file, never its content.
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| format!("cannot read a PEM private key from {}: {e}", path.display()))
}

/// Checks the server's certificate as the mode says. `require` without a root certificate
/// checks nothing but the handshake's signatures (lib/pq's behaviour); with one, or in
/// `verify-ca`, the chain; in `verify-full`, the chain and the host name.
#[derive(Debug)]
struct Verifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
    check_name: bool,
    provider: Arc<CryptoProvider>,
}

impl Verifier {
    fn new(params: &TlsParams, provider: Arc<CryptoProvider>) -> Result<Verifier, String> {
        let check_chain = match params.mode {
            SslMode::Disable => false,
            SslMode::Require => params.root_cert.is_some(),
            SslMode::VerifyCa | SslMode::VerifyFull => true,
        };
        let chain = match check_chain {
            false => None,
            true => {
                let roots = Arc::new(roots(params.root_cert.as_deref())?);
                let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                    .build()
                    .map_err(|e| format!("TLS set-up: {e}"))?;
                Some(verifier)
            }
        };
        Ok(Verifier {
            chain,
            check_name: params.mode == SslMode::VerifyFull,
            provider,
        })
    }
}

/// The trusted roots: the `sslrootcert` file, or the system's.
fn roots(root_cert: Option<&Path>) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match root_cert {
        Some(path) => {
            for cert in read_certs(path)? {
                store
                    .add(cert)
                    .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                return Err("the system has no trusted root certificates to check the \
                            server's certificate: set sslrootcert to the CA's file"
                    .into());
            }
        }
    }
    Ok(store)
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            verified => verified,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn take(conn_str: &str) -> (TlsParams, String) {
        TlsParams::take(conn_str, &no_env).unwrap()
    }

    #[test]
    fn require_is_the_default_as_in_lib_pq() {
        let (params, rest) = take("postgres://u@db/tf");
        assert_eq!(params.mode, SslMode::Require);
        assert_eq!(rest, "postgres://u@db/tf");
        let env = |name: &str| (name == "PGSSLMODE").then(|| "disable".to_string());
        let (params, _) = TlsParams::take("host=db", &env).unwrap();
        assert_eq!(params.mode, SslMode::Disable);
    }

    #[test]
    fn parameters_leave_urls_and_pairs_with_the_rest_kept() {
        let (params, rest) = take(
            "postgres://u:p@db/tf?sslmode=verify-full&connect_timeout=5&sslrootcert=%2Fca%20dir%2Fca.pem",
        );
        assert_eq!(params.mode, SslMode::VerifyFull);
        assert_eq!(params.root_cert, Some(PathBuf::from("/ca dir/ca.pem")));
        assert_eq!(rest, "postgres://u:p@db/tf?connect_timeout=5");

        let (params, rest) = take(
            "host=db sslmode = verify-ca password='a b\\'c' sslcert='/x y/c.pem' sslkey=/k.pem",
        );
        assert_eq!(params.mode, SslMode::VerifyCa);
        assert_eq!(params.client_cert, Some(PathBuf::from("/x y/c.pem")));
        assert_eq!(params.client_key, Some(PathBuf::from("/k.pem")));
        assert_eq!(rest, "host=db password='a b\\'c'");
    }

    #[test]
    fn modes_lib_pq_does_not_take_are_refused() {
        let err = TlsParams::take("host=db sslmode=prefer", &no_env).unwrap_err();
        assert!(err.contains("\"prefer\" is not supported"), "{err}");
    }

    #[test]
    fn certificate_files_are_named_when_unreadable() {
        let (params, _) = take("host=db sslmode=verify-full sslrootcert=/nonexistent/ca.pem");
        let err = params.connector().err().unwrap();
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");
        let (params, _) = take("host=db sslcert=/c.pem");
        let err = params.connector().err().unwrap();
        assert!(err.contains("sslcert and sslkey go together"), "{err}");
    }
}
