//! TLS certificate facts of `wss://` endpoints: when the leaf certificate expires and
//! whether its subject alternative names cover the host the URL names.
//!
//! Pure: the probe hands in the leaf of its own connection's TLS session (or, for a
//! refused handshake, the leaf the server presented), so no second handshake is made.
//! Parsing is x509-parser's; only the matching rules below are ours.

use std::fmt;
use std::net::IpAddr;

use url::Host;
use x509_parser::extensions::GeneralName;

/// A name in the certificate's subjectAltName extension that can match a URL's host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SanName {
    Dns(String),
    Ip(IpAddr),
}

impl fmt::Display for SanName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SanName::Dns(d) => f.write_str(d),
            SanName::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// What the monitor reads from a leaf certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafFacts {
    /// `notAfter`, unix seconds.
    pub not_after: i64,
    /// DNS and IP names of the subjectAltName extension, in certificate order. The
    /// subject's common name is not among them: TLS clients (rustls, browsers) ignore it.
    pub names: Vec<SanName>,
}

/// Parses a DER leaf certificate.
pub fn parse_leaf(der: &[u8]) -> Result<LeafFacts, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("unreadable certificate: {e}"))?;
    let san = cert
        .subject_alternative_name()
        .map_err(|e| format!("unreadable subjectAltName: {e}"))?;
    let names = san
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|g| match g {
                    GeneralName::DNSName(d) => Some(SanName::Dns(d.to_string())),
                    GeneralName::IPAddress(b) => ip_from_bytes(b).map(SanName::Ip),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(LeafFacts {
        not_after: cert.validity().not_after.timestamp(),
        names,
    })
}

fn ip_from_bytes(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
        _ => None,
    }
}

impl LeafFacts {
    /// Whether some name covers `host` (RFC 6125: exact, case-insensitive DNS names; a
    /// wildcard stands for exactly one whole left-most label; IP addresses only match
    /// IP address entries).
    pub fn covers(&self, host: &Host<&str>) -> bool {
        self.names.iter().any(|n| match (n, host) {
            (SanName::Dns(pattern), Host::Domain(d)) => dns_matches(pattern, d),
            (SanName::Ip(ip), Host::Ipv4(h)) => *ip == IpAddr::V4(*h),
            (SanName::Ip(ip), Host::Ipv6(h)) => *ip == IpAddr::V6(*h),
            _ => false,
        })
    }

    /// The reason to show when the certificate does not cover `host`, else `None`.
    pub fn host_mismatch(&self, host: &Host<&str>) -> Option<String> {
        if self.covers(host) {
            return None;
        }
        let names: Vec<String> = self.names.iter().map(ToString::to_string).collect();
        Some(if names.is_empty() {
            format!("certificate names no host (no subjectAltName), not {host}")
        } else {
            format!(
                "certificate does not cover {host}: it names {}",
                names.join(", ")
            )
        })
    }
}

fn dns_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
        None => pattern == host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(names: &[&str], days: i64) -> (Vec<u8>, i64) {
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        let not_after = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap()
            + time::Duration::days(days);
        params.not_after = not_after;
        let key = rcgen::KeyPair::generate().unwrap();
        let c = params.self_signed(&key).unwrap();
        (c.der().to_vec(), not_after.unix_timestamp())
    }

    #[test]
    fn reads_not_after_and_names() {
        let (der, not_after) = cert(&["node.example.org", "127.0.0.1", "::1"], 30);
        let f = parse_leaf(&der).unwrap();
        assert_eq!(f.not_after, not_after);
        assert_eq!(
            f.names,
            [
                SanName::Dns("node.example.org".into()),
                SanName::Ip("127.0.0.1".parse().unwrap()),
                SanName::Ip("::1".parse().unwrap()),
            ]
        );
        assert!(f.covers(&Host::Domain("NODE.example.org")));
        assert!(f.covers(&Host::Ipv4("127.0.0.1".parse().unwrap())));
        assert!(f.covers(&Host::Ipv6("::1".parse().unwrap())));
        assert!(!f.covers(&Host::Ipv4("127.0.0.2".parse().unwrap())));
        assert!(!f.covers(&Host::Domain("api.example.org")));
    }

    #[test]
    fn a_wildcard_covers_one_label_only() {
        let (der, _) = cert(&["*.example.org"], 30);
        let f = parse_leaf(&der).unwrap();
        assert!(f.covers(&Host::Domain("api.example.org")));
        assert!(!f.covers(&Host::Domain("example.org")));
        assert!(!f.covers(&Host::Domain("a.b.example.org")));
        assert!(!f.covers(&Host::Domain("api.example.org.evil.net")));
    }

    #[test]
    fn a_mismatch_says_which_names_the_certificate_has() {
        let (der, _) = cert(&["node.example.org", "10.0.0.1"], 30);
        let f = parse_leaf(&der).unwrap();
        let why = f
            .host_mismatch(&Host::Ipv4("127.0.0.1".parse().unwrap()))
            .unwrap();
        assert_eq!(
            why,
            "certificate does not cover 127.0.0.1: it names node.example.org, 10.0.0.1"
        );
        assert_eq!(f.host_mismatch(&Host::Domain("node.example.org")), None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse_leaf(&[]).is_err());
        assert!(parse_leaf(&[0x30, 0x82, 0xff]).is_err());
        assert!(parse_leaf(&[0x30, 0x03, 0x30, 0x01, 0x00]).is_err());
    }
}
