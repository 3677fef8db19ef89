//! Thousands of connect/close cycles against one simnet node, alone in this test binary so
//! the process-wide fd and RSS counts are not disturbed by other tests.

mod support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use btsops::rpc::{Api, ErrorKind};
use serde_json::json;
use support::simnet::{self, MAINNET_ID};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn rss_kb() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test]
async fn thousands_of_connect_close_cycles_leave_nothing_behind() {
    // Without /proc both counts read 0 and the leak checks below would pass vacuously.
    if !support::require::procfs("thousands_of_connect_close_cycles_leave_nothing_behind") {
        return;
    }
    let fleet = simnet::start().await;
    let node = fleet.node("mainnet", "victim").unwrap();
    let addr = fleet.endpoint("mainnet", "victim").unwrap().addr;
    let url = simnet::url(&fleet, "victim");
    // Warm up so lazily created runtime resources are counted in the baseline.
    let _ = simnet::connect(&fleet, "victim").await.get_chain_id().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // One round first, so allocator pools and runtime buffers exist in the baseline.
    for _ in 0..300 {
        drop(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = open_fds();
    let rss_before = rss_kb();
    for i in 0..3000 {
        match i % 3 {
            0 => drop(TcpStream::connect(addr).await.unwrap()),
            1 => {
                let mut s = TcpStream::connect(addr).await.unwrap();
                s.write_all(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n")
                    .await
                    .unwrap();
            }
            _ => {
                if i % 30 == 2 {
                    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
                    let _ = ws.close(None).await;
                } else {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    s.write_all(b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
                        .await
                        .unwrap();
                    let mut sink = Vec::new();
                    let _ = s.read_to_end(&mut sink).await;
                }
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while node.connections.load(Ordering::Relaxed) > 0 {
        assert!(Instant::now() < deadline, "connection tasks still alive");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after = open_fds();
    assert!(
        after <= before + before / 10 + 2,
        "fds before {before}, after {after}"
    );
    let rss_after = rss_kb();
    assert!(
        rss_after <= rss_before + rss_before / 10,
        "RSS before {rss_before} kB, after {rss_after} kB"
    );
    let client = simnet::connect(&fleet, "victim").await;
    assert_eq!(client.get_chain_id().await.unwrap(), MAINNET_ID);
    assert_eq!(
        client
            .call(Api::Database, "x", json!([]))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Protocol
    );
    fleet.shutdown().await;
}
