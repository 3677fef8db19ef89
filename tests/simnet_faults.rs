//! Every simnet fault, observed from a client on loopback, and recovery from it.

mod support;

use std::time::{Duration, Instant};

use btsops::rpc::{ErrorKind, RpcClient, TransportKind};
use btsops::simnet::Fault;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use support::simnet::{self, MAINNET_ID};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn latency_adds_at_least_the_delay() {
    let fleet = simnet::start().await;
    let client = simnet::connect(&fleet, "victim").await;
    let faults = fleet.faults("mainnet", "victim").unwrap();
    client.get_chain_id().await.unwrap();
    faults.set_latency(Duration::from_millis(300), Duration::from_millis(50));
    for _ in 0..3 {
        let t = Instant::now();
        client.get_chain_id().await.unwrap();
        let rtt = t.elapsed();
        assert!(
            rtt >= Duration::from_millis(250),
            "rtt {rtt:?} below delay − jitter"
        );
    }
    // Exact delay without jitter: never below it.
    faults.set_latency(Duration::from_millis(200), Duration::ZERO);
    let t = Instant::now();
    client.get_chain_id().await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(200));
    assert_recovery_lifts_the_delay(&faults, &client).await;
    fleet.shutdown().await;
}

/// After `recover`, a call no longer carries the delay: one far longer than any round
/// trip on loopback is set first, so the check measures the injected delay's absence,
/// not our speed.
async fn assert_recovery_lifts_the_delay(faults: &btsops::simnet::FaultHandle, client: &RpcClient) {
    let linger = Duration::from_secs(5);
    faults.set_latency(linger, Duration::ZERO);
    faults.set_slow_processing(linger, Duration::ZERO);
    faults.recover();
    let t = Instant::now();
    client.get_chain_id().await.unwrap();
    assert!(
        t.elapsed() < linger,
        "the delay outlived recover: {:?}",
        t.elapsed()
    );
}

/// Round trips of two calls sent together on one connection, in the order they return.
async fn two_at_once(client: &RpcClient) -> (Duration, Duration) {
    let t = Instant::now();
    let first = async {
        client.get_chain_id().await.unwrap();
        t.elapsed()
    };
    let second = async {
        client.get_dynamic_global_properties().await.unwrap();
        t.elapsed()
    };
    let (a, b) = tokio::join!(first, second);
    (a.min(b), a.max(b))
}

/// A slow link delays each frame by itself: two calls sent together both come back
/// after one delay. A node slow to process answers them one after the other. Connecting
/// to a far node takes the delay too (the upgrade answer crosses the same link).
#[tokio::test]
async fn latency_delays_each_frame_and_slow_processing_queues_them() {
    let fleet = simnet::start().await;
    let faults = fleet.faults("mainnet", "victim").unwrap();
    let delay = Duration::from_millis(400);
    faults.set_latency(delay, Duration::ZERO);
    let t = Instant::now();
    let client = simnet::connect(&fleet, "victim").await;
    assert!(t.elapsed() >= delay, "connect took {:?}", t.elapsed());
    let (a, b) = two_at_once(&client).await;
    assert!(a >= delay && b >= delay, "{a:?} {b:?}");
    assert!(
        b < delay * 3 / 2,
        "second reply waited behind the first: {b:?}"
    );

    faults.recover();
    faults.set_slow_processing(delay, Duration::ZERO);
    let (a, b) = two_at_once(&client).await;
    assert!(a >= delay && a < delay * 3 / 2, "{a:?}");
    assert!(b >= delay * 2, "replies of a busy node queue: {b:?}");

    // Both at once add up: processing, then the link.
    faults.set_latency(Duration::from_millis(200), Duration::ZERO);
    faults.set_slow_processing(Duration::from_millis(200), Duration::ZERO);
    let t = Instant::now();
    client.get_chain_id().await.unwrap();
    assert!(t.elapsed() >= delay, "{:?}", t.elapsed());
    faults.clear("slow_processing");
    faults.clear("latency");
    assert_eq!(faults.state().link_delay(), None);
    assert_eq!(faults.state().processing_time(), None);
    assert_recovery_lifts_the_delay(&faults, &client).await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn stalled_head_keeps_answering_from_the_old_head() {
    let fleet = simnet::start().await;
    simnet::wait_head(&fleet, 2).await;
    let client = simnet::connect(&fleet, "victim").await;
    let faults = fleet.faults("mainnet", "victim").unwrap();
    faults.stall_head();
    let stalled = client
        .get_dynamic_global_properties()
        .await
        .unwrap()
        .head_block_number;
    simnet::wait_head(&fleet, stalled + 2).await;
    let still = client
        .get_dynamic_global_properties()
        .await
        .unwrap()
        .head_block_number;
    assert_eq!(still, stalled, "stalled node does not apply blocks");
    assert!(fleet.head("mainnet").unwrap() >= stalled + 2);
    faults.recover();
    let now = client
        .get_dynamic_global_properties()
        .await
        .unwrap()
        .head_block_number;
    assert!(now >= stalled + 2, "recovered node serves the network head");
    fleet.shutdown().await;
}

#[tokio::test]
async fn frozen_node_accepts_but_never_answers() {
    let fleet = simnet::start().await;
    let client = simnet::connect(&fleet, "victim").await;
    let faults = fleet.faults("mainnet", "victim").unwrap();
    faults.freeze();
    let err = client
        .call_with_timeout(
            btsops::rpc::Api::Database,
            "get_chain_id",
            serde_json::json!([]),
            Duration::from_millis(800),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    // New connections are accepted at TCP level but the upgrade never completes.
    let addr = fleet.endpoint("mainnet", "victim").unwrap().addr;
    let tcp = TcpStream::connect(addr).await;
    assert!(tcp.is_ok(), "frozen node still accepts TCP");
    let url = simnet::url(&fleet, "victim");
    match RpcClient::connect(&url, simnet::opts(Duration::from_millis(800))).await {
        Ok(_) => panic!("connect to a frozen node must not complete"),
        Err(err) => assert_eq!(err.kind(), ErrorKind::Timeout),
    }
    // HTTP too.
    let http = reqwest::Client::new()
        .post(simnet::http_url(&fleet, "victim"))
        .body(r#"{"id":1,"method":"get_chain_id","params":[]}"#)
        .timeout(Duration::from_millis(800))
        .send()
        .await;
    assert!(http.is_err());
    faults.recover();
    assert_eq!(client.get_chain_id().await.unwrap(), MAINNET_ID);
    fleet.shutdown().await;
}

#[tokio::test]
async fn drop_connections_cuts_open_ones_and_allows_new_ones() {
    let fleet = simnet::start().await;
    let client = simnet::connect(&fleet, "victim").await;
    client.get_chain_id().await.unwrap();
    fleet
        .faults("mainnet", "victim")
        .unwrap()
        .drop_connections();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match client.get_chain_id().await {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
                break;
            }
            Ok(_) => {
                assert!(Instant::now() < deadline, "connection not dropped");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    let again = simnet::connect(&fleet, "victim").await;
    assert_eq!(again.get_chain_id().await.unwrap(), MAINNET_ID);
    fleet.shutdown().await;
}

#[tokio::test]
async fn refused_connections_until_recovery() {
    let fleet = simnet::start().await;
    let faults = fleet.faults("mainnet", "victim").unwrap();
    faults.refuse_connections();
    let url = simnet::url(&fleet, "victim");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        // A connect that raced the fault may be reset instead; only "refused" ends the wait.
        let refused = match RpcClient::connect(&url, simnet::opts(Duration::from_secs(2))).await {
            Err(e) => e.transport_kind() == Some(TransportKind::Connect),
            Ok(_) => false,
        };
        if refused {
            break;
        }
        assert!(Instant::now() < deadline, "still accepting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    faults.recover();
    let deadline = Instant::now() + Duration::from_secs(5);
    let client = loop {
        if let Ok(c) = RpcClient::connect(&url, simnet::opts(Duration::from_secs(2))).await {
            break c;
        }
        assert!(Instant::now() < deadline, "listener not back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(client.get_chain_id().await.unwrap(), MAINNET_ID);
    fleet.shutdown().await;
}

#[tokio::test]
async fn wrong_chain_id_is_reported() {
    let fleet = simnet::start().await;
    let client = simnet::connect(&fleet, "victim").await;
    fleet.faults("mainnet", "victim").unwrap().wrong_chain_id();
    let id = client.get_chain_id().await.unwrap();
    assert_ne!(id, MAINNET_ID);
    assert_eq!(id.len(), 64);
    let props = client
        .call(
            btsops::rpc::Api::Database,
            "get_chain_properties",
            serde_json::json!([]),
        )
        .await
        .unwrap();
    assert_eq!(props["chain_id"], id);
    fleet.faults("mainnet", "victim").unwrap().recover();
    assert_eq!(client.get_chain_id().await.unwrap(), MAINNET_ID);
    fleet.shutdown().await;
}

#[tokio::test]
async fn malformed_frames_do_not_parse() {
    let fleet = simnet::start().await;
    let faults = fleet.faults("mainnet", "victim").unwrap();
    faults.inject(Fault::MalformedFrames);
    let (mut ws, _) = tokio_tungstenite::connect_async(simnet::url(&fleet, "victim"))
        .await
        .unwrap();
    ws.send(Message::text(
        r#"{"id":1,"method":"get_chain_id","params":[]}"#,
    ))
    .await
    .unwrap();
    let m = ws.next().await.unwrap().unwrap();
    assert!(serde_json::from_str::<Value>(m.to_text().unwrap_or("")).is_err());
    // Our client sees a protocol problem, not a hang.
    let client = simnet::connect(&fleet, "victim").await;
    let err = client
        .call_with_timeout(
            btsops::rpc::Api::Database,
            "get_chain_id",
            serde_json::json!([]),
            Duration::from_secs(2),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Protocol | ErrorKind::Transport),
        "{err}"
    );
    faults.recover();
    ws.send(Message::text(
        r#"{"id":2,"method":"get_chain_id","params":[]}"#,
    ))
    .await
    .unwrap();
    let m = ws.next().await.unwrap().unwrap();
    let v: Value = serde_json::from_str(m.to_text().unwrap()).unwrap();
    assert_eq!(v["result"], MAINNET_ID);
    fleet.shutdown().await;
}

#[tokio::test]
async fn slow_drip_spreads_a_reply_over_time() {
    let fleet = simnet::start().await;
    let faults = fleet.faults("mainnet", "victim").unwrap();
    faults.slow_drip(16, Duration::from_millis(40));
    let addr = fleet.endpoint("mainnet", "victim").unwrap().addr;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let body = r#"{"id":1,"method":"get_chain_id","params":[]}"#;
    let req = format!(
        "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let t = Instant::now();
    let mut got = Vec::new();
    let mut chunks = 0;
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        if n == 0 {
            break;
        }
        chunks += 1;
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8(got).unwrap();
    assert!(text.ends_with(&format!(r#""result":"{MAINNET_ID}"}}"#)));
    // How many ticks one read returns depends on how soon the reader runs (a loaded
    // machine coalesces them); that the reply came in pieces over at least the drip's
    // time does not.
    let ticks = text.len() / 16;
    assert!(chunks >= 2, "the whole reply in one read");
    assert!(
        t.elapsed() >= Duration::from_millis(40) * (ticks as u32 - 1),
        "{} bytes in {:?}",
        text.len(),
        t.elapsed()
    );
    faults.recover();
    let client = simnet::connect(&fleet, "victim").await;
    assert_eq!(client.get_chain_id().await.unwrap(), MAINNET_ID);
    fleet.shutdown().await;
}

async fn read_key(addr: std::net::SocketAddr, within: Duration) -> Option<[u8; 33]> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    let mut key = [0u8; 33];
    tokio::time::timeout(within, s.read_exact(&mut key))
        .await
        .ok()?
        .ok()?;
    Some(key)
}

#[tokio::test]
async fn seed_sends_a_key_unless_muted_or_refusing() {
    let fleet = simnet::start().await;
    let seed = fleet.endpoint("mainnet", "seed-1").unwrap().clone();
    assert!(seed.url.starts_with("tcp://127.0.0.1:"));
    let key = read_key(seed.addr, Duration::from_secs(2))
        .await
        .expect("key");
    assert!(key[0] == 2 || key[0] == 3);
    let faults = fleet.faults("mainnet", "seed-1").unwrap();
    faults.mute_seed();
    assert!(
        read_key(seed.addr, Duration::from_millis(700))
            .await
            .is_none()
    );
    // A peer waiting on a muted seed gets the key once it recovers.
    let mut waiting = TcpStream::connect(seed.addr).await.unwrap();
    faults.recover();
    let mut k = [0u8; 33];
    tokio::time::timeout(Duration::from_secs(2), waiting.read_exact(&mut k))
        .await
        .unwrap()
        .unwrap();
    faults.set_latency(Duration::from_millis(300), Duration::ZERO);
    let t = Instant::now();
    assert!(read_key(seed.addr, Duration::from_secs(2)).await.is_some());
    assert!(t.elapsed() >= Duration::from_millis(300));
    faults.recover();
    faults.refuse_connections();
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(seed.addr).await.is_ok() {
        assert!(Instant::now() < deadline, "seed still accepting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    faults.recover();
    let deadline = Instant::now() + Duration::from_secs(5);
    while read_key(seed.addr, Duration::from_secs(1)).await.is_none() {
        assert!(Instant::now() < deadline, "seed not back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    fleet.shutdown().await;
}
