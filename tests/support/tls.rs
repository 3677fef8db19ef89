//! A self-signed certificate for 127.0.0.1 and a TLS acceptor serving it, with the
//! certificate written to a PEM file for use as a client's `ca_file`.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

pub struct Tls {
    pub acceptor: tokio_rustls::TlsAcceptor,
    pub ca_file: PathBuf,
    /// Holds the PEM file; dropped with the fixture.
    pub dir: tempfile::TempDir,
}

/// A certificate for 127.0.0.1 valid from yesterday until `days` from now.
pub fn self_signed(days: i64) -> Tls {
    self_signed_for(&["127.0.0.1"], days)
}

/// A certificate whose subjectAltName lists `names` (IP addresses become IP entries),
/// valid from yesterday until `days` from now.
pub fn self_signed_for(names: &[&str], days: i64) -> Tls {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = rcgen::CertificateParams::new(names).unwrap();
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(days);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, cert.pem()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    Tls {
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        ca_file,
        dir,
    }
}
