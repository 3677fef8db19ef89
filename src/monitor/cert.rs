//! TLS certificate expiry of `wss://` endpoints: a handshake with the same trust roots
//! the RPC client uses, then `notAfter` of the leaf certificate.
//!
//! Only one field of the certificate is needed, so it is read with a few lines of DER
//! walking rather than a full X.509 parser and its dependency tree.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

/// A DER element: (tag, contents, rest).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | usize::from(b);
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// `notAfter` of a DER certificate, unix seconds.
pub fn not_after(der: &[u8]) -> Option<i64> {
    const SEQ: u8 = 0x30;
    let (tag, cert, _) = tlv(der)?;
    if tag != SEQ {
        return None;
    }
    let (tag, tbs, _) = tlv(cert)?;
    if tag != SEQ {
        return None;
    }
    let mut rest = tbs;
    // Optional [0] version, then serial, signature algorithm, issuer, validity.
    let (tag, _, r) = tlv(rest)?;
    if tag == 0xa0 {
        rest = r;
    }
    for _ in 0..3 {
        let (_, _, r) = tlv(rest)?;
        rest = r;
    }
    let (tag, validity, _) = tlv(rest)?;
    if tag != SEQ {
        return None;
    }
    let (_, _, r) = tlv(validity)?;
    let (tag, t, _) = tlv(r)?;
    parse_time(tag, std::str::from_utf8(t).ok()?)
}

/// UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn parse_time(tag: u8, s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i32 = s.get(..2)?.parse().ok()?;
            // RFC 5280: two-digit years 50–99 are 19xx.
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        0x18 => (s.get(..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    if rest.len() != 10 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |i: usize| rest.get(i..i + 2).and_then(|x| x.parse::<u8>().ok());
    let month = time::Month::try_from(n(0)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, n(2)?).ok()?;
    let t = time::Time::from_hms(n(4)?, n(6)?, n(8)?).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, t)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// Connects to `host:port` over TLS (trusting `ca_file` alone when given, else the public
/// roots) and returns the leaf certificate's `notAfter`, unix seconds.
pub async fn fetch_not_after(
    host: &str,
    port: u16,
    ca_file: Option<&Path>,
    timeout: Duration,
) -> Result<i64, String> {
    let config = crate::rpc::tls::client_config(ca_file)?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = ServerName::try_from(host.to_string()).map_err(|e| format!("server name: {e}"))?;
    // TCP and TLS are a round trip each on a far link: each gets the whole timeout.
    let late = |step: &str| format!("certificate check: {step}: no answer within {timeout:?}");
    let tcp = tokio::time::timeout(timeout, TcpStream::connect((host, port)))
        .await
        .map_err(|_| late("connect"))?
        .map_err(|e| format!("connect: {e}"))?;
    let tls = tokio::time::timeout(timeout, connector.connect(name, tcp))
        .await
        .map_err(|_| late("TLS handshake"))?
        .map_err(|e| format!("TLS handshake: {e}"))?;
    let (_, conn) = tls.get_ref();
    let leaf = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .ok_or_else(|| "no peer certificate".to_string())?;
    not_after(leaf.as_ref()).ok_or_else(|| "cannot read the certificate's notAfter".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time(0x17, "240101000000Z"), Some(1_704_067_200));
        assert_eq!(parse_time(0x18, "20240101000000Z"), Some(1_704_067_200));
        assert_eq!(parse_time(0x17, "990101000000Z"), Some(915_148_800));
        assert_eq!(parse_time(0x17, "2401010000Z"), None);
        assert_eq!(parse_time(0x05, "240101000000Z"), None);
    }

    #[test]
    fn garbage_is_none_not_a_panic() {
        assert_eq!(not_after(&[]), None);
        assert_eq!(not_after(&[0x30, 0x82, 0xff]), None);
        assert_eq!(not_after(&[0x30, 0x03, 0x30, 0x01, 0x00]), None);
    }
}
