//! rustls client configuration shared by the websocket and HTTP paths.
//!
//! Only the `ring` provider is compiled in, so it is installed explicitly rather than
//! relying on a process-wide default that may not exist.

use std::path::Path;
use std::sync::Arc;

use std::sync::{Mutex, PoisonError};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

/// A CA file larger than this is not a CA file.
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

/// Build the client TLS config. With `ca_file`, the PEM certificates in it are the **only**
/// trust roots: a private CA pins the node and public CAs cannot vouch for it. Without it,
/// the webpki (Mozilla) roots are used.
pub fn client_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    client_config_recording(ca_file, None)
}

/// As [`client_config`]; with `leaf`, the certificate the server presents is put there
/// before it is verified, so a caller can say why a handshake was refused (which names
/// the certificate does cover) without a second handshake. Verification is unchanged:
/// a refused certificate still fails the handshake.
pub fn client_config_recording(
    ca_file: Option<&Path>,
    leaf: Option<PresentedLeaf>,
) -> Result<rustls::ClientConfig, String> {
    let mut roots = RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let pem = read_bounded(path)?;
            let mut added = 0usize;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| format!("ca_file {}: bad PEM: {e}", path.display()))?;
                roots.add(cert).map_err(|e| {
                    format!("ca_file {}: unusable certificate: {e}", path.display())
                })?;
                added += 1;
            }
            if added == 0 {
                return Err(format!("ca_file {}: no certificates found", path.display()));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    let config = match leaf {
        None => builder.with_root_certificates(roots).with_no_client_auth(),
        Some(slot) => {
            let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("TLS setup: {e}"))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Recording { inner, slot }))
                .with_no_client_auth()
        }
    };
    Ok(config)
}

/// Where a handshake leaves the leaf certificate its server presented. Cheap to clone;
/// clones share the slot.
#[derive(Debug, Clone, Default)]
pub struct PresentedLeaf(Arc<Mutex<Option<CertificateDer<'static>>>>);

impl PresentedLeaf {
    /// The certificate of the last handshake, if one got that far.
    pub fn take(&self) -> Option<CertificateDer<'static>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn put(&self, cert: &CertificateDer<'_>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(cert.clone().into_owned());
    }
}

/// The webpki verifier, unchanged, that notes the presented leaf first.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    slot: PresentedLeaf,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.slot.put(end_entity);
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    // A regular file only: a FIFO would block the probe, and the runtime with it,
    // waiting for a writer.
    let (file, meta) = crate::files::open_regular(path)
        .map_err(|e| format!("ca_file {}: cannot open: {e}", path.display()))?;
    crate::files::read_capped(&file, &meta, MAX_CA_FILE_BYTES)
        .map_err(|e| format!("ca_file {}: cannot read: {e}", path.display()))
}

/// Whether an I/O error is a TLS failure in disguise: tokio-rustls wraps rustls errors
/// in `io::Error`, and hyper wraps that `io::Error` in another one.
pub fn is_tls_io_error(e: &std::io::Error) -> bool {
    let mut current: &(dyn std::error::Error + 'static) = e;
    // io::Error::source() skips its payload, so walk payloads explicitly (bounded depth).
    for _ in 0..8 {
        if current.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        match current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => current = inner,
            None => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A FIFO named as ca_file used to block the probe (and the single-threaded
    /// runtime) forever; it is refused at once. Bounded: a hang fails after 20 s.
    #[cfg(unix)]
    #[test]
    fn a_fifo_ca_file_is_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("ca.pem");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || {
            let _ = tx.send(client_config(Some(&path)).map(|_| ()));
        });
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("client_config still blocked on the FIFO after 20 s");
        let e = got.unwrap_err();
        assert!(
            e.contains(&fifo.display().to_string()) && e.contains("it is a FIFO"),
            "{e}"
        );
    }

    #[test]
    fn finds_rustls_errors_nested_in_io_errors() {
        use std::io::{Error, ErrorKind};
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let once = Error::new(ErrorKind::InvalidData, tls);
        assert!(is_tls_io_error(&once));
        let twice = Error::other(once);
        assert!(is_tls_io_error(&twice));
        assert!(!is_tls_io_error(&Error::from(ErrorKind::ConnectionRefused)));
        assert!(!is_tls_io_error(&Error::other("plain")));
    }

    #[test]
    fn default_roots_build() {
        assert!(client_config(None).is_ok());
    }

    #[test]
    fn bad_ca_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        assert!(
            client_config(Some(&missing))
                .unwrap_err()
                .contains("cannot open")
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, b"hello").unwrap();
        assert!(
            client_config(Some(&empty))
                .unwrap_err()
                .contains("no certificates")
        );
    }
}
