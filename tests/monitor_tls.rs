//! Certificates of `wss://` endpoints, read from the probe's own TLS session: a TLS
//! proxy with an rcgen certificate in front of a simnet node, counting its handshakes.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use btsops::monitor::{AlertKind, ConnState, FleetSnapshot, Status};
use support::monitor::*;
use support::tls::{Tls, self_signed as tls, self_signed_for};
use tokio::net::{TcpListener, TcpStream};

/// A TLS-terminating proxy on a loopback port piping each connection to a backend.
struct Proxy {
    port: u16,
    /// TLS handshakes completed.
    handshakes: Arc<AtomicUsize>,
}

async fn tls_proxy(acceptor: tokio_rustls::TlsAcceptor, backend: std::net::SocketAddr) -> Proxy {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&handshakes);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = l.accept().await {
            let acceptor = acceptor.clone();
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let Ok(mut up) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
            });
        }
    });
    Proxy { port, handshakes }
}

/// A config with plain node `b` and node `secure` at `wss://127.0.0.1:{port}/`,
/// trusting `t`'s certificate alone.
fn secure_config(fleet: &btsops::simnet::FleetHandle, port: u16, t: &Tls) -> String {
    let mut text = config_text(fleet, &["b"], &[]);
    text.push_str(&format!(
        "\n  [[network.node]]\n  name = \"secure\"\n  url = \"wss://127.0.0.1:{port}/\"\n  ca_file = \"{}\"\n",
        t.ca_file.display()
    ));
    text
}

fn secure(s: &FleetSnapshot) -> &btsops::monitor::EndpointSnapshot {
    ep(s, "secure")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_node_reports_cert_days_from_its_own_session_and_warns_before_expiry() {
    let fleet = start_fleet().await;
    let backend = fleet.endpoint("mainnet", "a").expect("a").addr;
    let t = tls(10);
    let proxy = tls_proxy(t.acceptor.clone(), backend).await;
    let engine = start_engine(&parse(&secure_config(&fleet, proxy.port, &t)));
    let s = wait_for(&engine, "secure probed", Duration::from_secs(30), |s| {
        secure(s).probes >= 4 && secure(s).cert_days.is_some()
    })
    .await;
    let e = secure(&s);
    let days = e.cert_days.unwrap();
    assert!((9.9..=10.1).contains(&days), "{days}");
    // 10 days is below the default 14-day warning.
    assert_eq!(e.status, Status::Warn, "{:?}", e.reasons);
    assert!(e.reasons.iter().any(|r| r.contains("certificate expires")));
    assert!(
        s.alerts
            .iter()
            .any(|a| a.kind == AlertKind::CertExpiring && a.endpoint == "secure")
    );
    assert_eq!(e.cert_mismatch, None);
    // Four probe rounds on one connection, one handshake: the certificate came from the
    // websocket's own session, not from a second connection made to read it.
    assert_eq!(e.state, ConnState::Connected);
    assert_eq!(proxy.handshakes.load(Ordering::SeqCst), 1);
    // The plain node has no certificate to report.
    assert_eq!(ep(&s, "b").cert_days, None);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_that_does_not_cover_the_host_is_crit() {
    let fleet = start_fleet().await;
    let backend = fleet.endpoint("mainnet", "a").expect("a").addr;
    // Trusted (its own CA file) and far from expiry, but made out to another name.
    let t = self_signed_for(&["node.example.org", "10.9.8.7"], 300);
    let proxy = tls_proxy(t.acceptor.clone(), backend).await;
    let engine = start_engine(&parse(&secure_config(&fleet, proxy.port, &t)));
    let s = wait_for(&engine, "secure judged", Duration::from_secs(30), |s| {
        secure(s).probes >= 2 && secure(s).status != Status::Unknown
    })
    .await;
    let e = secure(&s);
    assert_eq!(e.status, Status::Crit, "{:?}", e.reasons);
    let why = &e.reasons[0];
    assert!(
        why.contains("does not cover 127.0.0.1") && why.contains("node.example.org, 10.9.8.7"),
        "{why}"
    );
    // The handshake was refused: nothing was read from a node whose certificate is
    // not its own.
    assert_ne!(e.state, ConnState::Connected);
    assert_eq!(e.chain_id, None);
    assert_eq!(proxy.handshakes.load(Ordering::SeqCst), 0);
    // Its expiry was still read, from the certificate it presented.
    assert!(e.cert_days.is_some_and(|d| d > 299.0), "{:?}", e.cert_days);
    let alert = s
        .alerts
        .iter()
        .find(|a| a.kind == AlertKind::Status && a.endpoint == "secure")
        .expect("status alert");
    assert!(
        alert.message.contains("does not cover"),
        "{}",
        alert.message
    );
    // The plain node next to it is fine.
    assert_eq!(ep(&s, "b").cert_mismatch, None);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_about_to_expire_is_crit() {
    let fleet = start_fleet().await;
    let backend = fleet.endpoint("mainnet", "a").expect("a").addr;
    let t = tls(1);
    let proxy = tls_proxy(t.acceptor.clone(), backend).await;
    let engine = start_engine(&parse(&secure_config(&fleet, proxy.port, &t)));
    let s = wait_for(&engine, "secure probed", Duration::from_secs(30), |s| {
        secure(s).probes >= 2 && secure(s).cert_days.is_some()
    })
    .await;
    let e = secure(&s);
    assert_eq!(e.status, Status::Crit, "{:?}", e.reasons);
    assert!(
        e.reasons[0].starts_with("certificate expires in 1.0 days"),
        "{:?}",
        e.reasons
    );
    engine.shutdown().await;
}
