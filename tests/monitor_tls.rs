//! Certificate days to expiry, read from a loopback `wss://` endpoint: a TLS proxy with
//! an rcgen certificate in front of a simnet node.

mod support;

use std::time::Duration;

use btsops::monitor::{AlertKind, Status};
use support::monitor::*;
use support::tls::self_signed as tls;
use tokio::net::{TcpListener, TcpStream};

/// Terminates TLS on a loopback port and pipes each connection to `backend`.
async fn tls_proxy(acceptor: tokio_rustls::TlsAcceptor, backend: std::net::SocketAddr) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = l.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut up) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn not_after_read_from_a_handshake() {
    let t = tls(2);
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let acceptor = t.acceptor.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = l.accept().await {
            let _ = acceptor.accept(tcp).await;
        }
    });
    let na = btsops::monitor::cert::fetch_not_after(
        "127.0.0.1",
        port,
        Some(&t.ca_file),
        Duration::from_secs(5),
    )
    .await
    .expect("not_after");
    let days = (na as f64 - btsops::monitor::probe::unix_now()) / 86_400.0;
    assert!((1.9..=2.1).contains(&days), "{days}");
    // Without the private CA the handshake fails: no days, an error.
    let e = btsops::monitor::cert::fetch_not_after("127.0.0.1", port, None, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(e.contains("TLS"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_node_reports_cert_days_and_warns_before_expiry() {
    let fleet = start_fleet().await;
    let backend = fleet.endpoint("mainnet", "a").expect("a").addr;
    let t = tls(10);
    let port = tls_proxy(t.acceptor.clone(), backend).await;
    let mut text = config_text(&fleet, &["b"], &[]);
    text.push_str(&format!(
        "\n  [[network.node]]\n  name = \"secure\"\n  url = \"wss://127.0.0.1:{port}/\"\n  ca_file = \"{}\"\n",
        t.ca_file.display()
    ));
    let cfg = parse(&text);
    let engine = start_engine(&cfg);
    let s = wait_for(&engine, "secure probed", Duration::from_secs(30), |s| {
        ep(s, "secure").probes >= 2 && ep(s, "secure").cert_days.is_some()
    })
    .await;
    let e = ep(&s, "secure");
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
    // The plain node has no certificate to report.
    assert_eq!(ep(&s, "b").cert_days, None);
    engine.shutdown().await;
}
