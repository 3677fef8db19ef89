//! Loopback integration tests for the graphene JSON-RPC client. Every server here binds
//! 127.0.0.1:0 and is scripted per test.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use btsops::rpc::{
    Api, ConnectOptions, Credentials, ErrorKind, RpcClient, RpcError, TransportKind, http_call,
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::tls::{Tls, self_signed};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

const TIMEOUT: Duration = Duration::from_secs(3);
/// Scheduling slack on a shared 2-core machine.
const MARGIN: Duration = Duration::from_secs(2);

fn opts(timeout: Duration) -> ConnectOptions {
    ConnectOptions {
        timeout,
        ..ConnectOptions::default()
    }
}

async fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

/// Serve one websocket connection with `script`; returns the ws:// URL.
async fn ws_server<F, Fut>(script: F) -> String
where
    F: FnOnce(WebSocketStream<TcpStream>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (l, port) = listener().await;
    tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        let ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        script(ws).await;
    });
    format!("ws://127.0.0.1:{port}")
}

/// Read the next call request: (id, api, method, args).
async fn next_call<S>(ws: &mut WebSocketStream<S>) -> Option<(u64, Value, String, Value)>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match ws.next().await? {
            Ok(Message::Text(t)) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                assert_eq!(v["method"], "call");
                let p = &v["params"];
                return Some((
                    v["id"].as_u64().unwrap(),
                    p[0].clone(),
                    p[1].as_str().unwrap().to_owned(),
                    p[2].clone(),
                ));
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

async fn reply<S>(ws: &mut WebSocketStream<S>, id: u64, result: Value)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let text = json!({"id": id, "jsonrpc": "2.0", "result": result}).to_string();
    ws.send(Message::text(text)).await.unwrap();
}

/// Answer every call with `f(api, method, args)` until the client goes away.
async fn answer_all<S, F>(mut ws: WebSocketStream<S>, mut f: F)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    F: FnMut(&Value, &str, &Value) -> Value,
{
    while let Some((id, api, method, args)) = next_call(&mut ws).await {
        let result = f(&api, &method, &args);
        reply(&mut ws, id, result).await;
    }
}

#[tokio::test]
async fn hundred_concurrent_calls_answered_out_of_order() {
    let url = ws_server(|mut ws| async move {
        let mut calls = Vec::new();
        for _ in 0..100 {
            calls.push(next_call(&mut ws).await.unwrap());
        }
        calls.reverse();
        for (n, (id, _, _, args)) in calls.into_iter().enumerate() {
            if n % 10 == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            reply(&mut ws, id, json!({"echo": args[0]})).await;
        }
        while next_call(&mut ws).await.is_some() {}
    })
    .await;
    let client = RpcClient::connect(&url, opts(TIMEOUT)).await.unwrap();
    let calls = (0..100u64).map(|i| {
        let c = client.clone();
        async move { (i, c.call(Api::Database, "echo", json!([i])).await) }
    });
    let results = futures_util::future::join_all(calls).await;
    for (i, r) in results {
        assert_eq!(r.unwrap(), json!({"echo": i}));
    }
}

#[tokio::test]
async fn notices_are_delivered_on_the_channel() {
    let url = ws_server(|mut ws| async move {
        let (id, api, method, args) = next_call(&mut ws).await.unwrap();
        assert_eq!(
            (api, method.as_str(), args),
            (json!(0), "set_subscribe_callback", json!([7, false]))
        );
        reply(&mut ws, id, Value::Null).await;
        for n in 1..=3 {
            let notice =
                json!({"method":"notice","params":[7,[[{"id":"2.1.0","head_block_number":n}]]]});
            ws.send(Message::text(notice.to_string())).await.unwrap();
        }
        while next_call(&mut ws).await.is_some() {}
    })
    .await;
    let client = RpcClient::connect(&url, opts(TIMEOUT)).await.unwrap();
    let mut notices = client.take_notices().unwrap();
    assert!(client.take_notices().is_none(), "receiver handed out twice");
    client.set_subscribe_callback(7, false).await.unwrap();
    for n in 1..=3 {
        let notice = tokio::time::timeout(TIMEOUT, notices.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(notice.callback, 7);
        assert_eq!(
            notice.args,
            vec![json!([{"id":"2.1.0","head_block_number":n}])]
        );
    }
    assert_eq!(client.dropped_notices(), 0);
}

#[tokio::test]
async fn notice_channel_is_bounded_and_never_blocks_replies() {
    let flood = btsops::rpc::NOTICE_QUEUE + 500;
    let url = ws_server(move |mut ws| async move {
        let (id, ..) = next_call(&mut ws).await.unwrap();
        for _ in 0..flood {
            let notice = json!({"method":"notice","params":[1,[["1.2.3"]]]});
            ws.feed(Message::text(notice.to_string())).await.unwrap();
        }
        ws.flush().await.unwrap();
        reply(&mut ws, id, json!("after flood")).await;
        while next_call(&mut ws).await.is_some() {}
    })
    .await;
    let client = RpcClient::connect(&url, opts(TIMEOUT)).await.unwrap();
    // Nobody reads the notices: the reply behind the flood must still arrive.
    let r = client.call(Api::Database, "x", json!([])).await.unwrap();
    assert_eq!(r, json!("after flood"));
    assert_eq!(client.dropped_notices(), 500);
}

/// A node that holds a reply and streams large notices: the queue keeps within its byte
/// budget by dropping the oldest, so the newest survive, and a notice bigger than the
/// whole budget is dropped unparsed. The reply still arrives.
#[tokio::test]
async fn notice_queue_is_bounded_in_bytes_and_keeps_the_newest() {
    const SENT: u64 = 50;
    let url = ws_server(move |mut ws| async move {
        let (id, ..) = next_call(&mut ws).await.unwrap();
        let pad = "x".repeat(100 * 1024);
        for n in 1..=SENT {
            let notice = json!({"method":"notice","params":[7,[[{"n": n, "pad": pad}]]]});
            ws.feed(Message::text(notice.to_string())).await.unwrap();
        }
        let huge = json!({"method":"notice","params":[7,[["y".repeat(2 << 20)]]]});
        ws.feed(Message::text(huge.to_string())).await.unwrap();
        ws.flush().await.unwrap();
        reply(&mut ws, id, json!("held")).await;
        while next_call(&mut ws).await.is_some() {}
    })
    .await;
    let o = ConnectOptions {
        max_notice_bytes: 1 << 20,
        ..opts(TIMEOUT)
    };
    let client = RpcClient::connect(&url, o).await.unwrap();
    let mut notices = client.take_notices().unwrap();
    // Not reading notices while the call is out, as the monitor's probe does.
    assert_eq!(
        client.call(Api::Database, "x", json!([])).await.unwrap(),
        json!("held")
    );
    let mut kept = Vec::new();
    while let Ok(Some(n)) = tokio::time::timeout(Duration::from_millis(200), notices.recv()).await {
        kept.push(n.args[0][0]["n"].as_u64().unwrap());
    }
    // ~100 KB each against a 1 MiB budget: a handful, the newest, in order.
    assert!(!kept.is_empty() && kept.len() < 11, "{kept:?}");
    assert_eq!(kept.last(), Some(&SENT), "{kept:?}");
    assert!(kept.windows(2).all(|w| w[1] == w[0] + 1), "{kept:?}");
    assert_eq!(client.dropped_notices(), SENT - kept.len() as u64 + 1);
}

#[tokio::test]
async fn named_api_resolved_once_and_cached() {
    let resolutions = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&resolutions);
    let url = ws_server(move |ws| async move {
        answer_all(ws, move |api, method, args| match (api, method) {
            (a, "network_broadcast") if *a == json!(1) => {
                assert_eq!(*args, json!([]));
                seen.fetch_add(1, Ordering::SeqCst);
                json!(2)
            }
            (a, "broadcast_transaction") => {
                assert_eq!(*a, json!(2), "broadcast must use the resolved id");
                assert_eq!(args[0]["ref_block_num"], 1);
                Value::Null
            }
            other => panic!("unexpected call {other:?}"),
        })
        .await
    })
    .await;
    let client = RpcClient::connect(&url, opts(TIMEOUT)).await.unwrap();
    let tx = json!({"ref_block_num": 1, "operations": []});
    // Concurrent first uses must still resolve only once.
    let (a, b) = tokio::join!(
        client.broadcast_transaction(&tx),
        client.broadcast_transaction(&tx)
    );
    a.unwrap();
    b.unwrap();
    client.broadcast_transaction(&tx).await.unwrap();
    assert_eq!(client.api_id(&Api::NetworkBroadcast).await.unwrap(), 2);
    assert_eq!(resolutions.load(Ordering::SeqCst), 1);
}

// The callback signature is fixed by tungstenite.
#[allow(clippy::result_large_err)]
async fn login_server(answer: Value) -> (String, mpsc::UnboundedReceiver<String>) {
    let (l, port) = listener().await;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        let header_tx = tx.clone();
        let cb =
            move |req: &tokio_tungstenite::tungstenite::handshake::server::Request,
                  resp: tokio_tungstenite::tungstenite::handshake::server::Response| {
                let h = req
                    .headers()
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                header_tx.send(h).unwrap();
                Ok(resp)
            };
        let ws = tokio_tungstenite::accept_hdr_async(tcp, cb).await.unwrap();
        answer_all(ws, move |api, method, args| {
            assert_eq!((api, method), (&json!(1), "login"));
            tx.send(args.to_string()).unwrap();
            answer.clone()
        })
        .await;
    });
    (format!("ws://127.0.0.1:{port}"), rx)
}

#[tokio::test]
async fn login_sends_basic_header_and_login_call() {
    let (url, mut seen) = login_server(json!(true)).await;
    let o = ConnectOptions {
        credentials: Some(Credentials::new("ops", "s3cret")),
        ..opts(TIMEOUT)
    };
    let client = RpcClient::connect(&url, o).await.unwrap();
    // base64("ops:s3cret")
    assert_eq!(seen.recv().await.unwrap(), "Basic b3BzOnMzY3JldA==");
    assert_eq!(seen.recv().await.unwrap(), r#"["ops","s3cret"]"#);
    assert!(!format!("{client:?}").contains("s3cret"));
}

#[tokio::test]
async fn login_answered_false_is_an_error() {
    let (url, _seen) = login_server(json!(false)).await;
    let o = ConnectOptions {
        credentials: Some(Credentials::new("ops", "wrong")),
        ..opts(TIMEOUT)
    };
    let err = RpcClient::connect(&url, o).await.unwrap_err();
    assert!(matches!(err, RpcError::LoginRejected { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Auth);
    let text = err.to_string();
    assert!(
        text.contains("127.0.0.1") && text.contains("login.login"),
        "{text}"
    );
    assert!(!text.contains("wrong"), "password leaked: {text}");
}

#[tokio::test]
async fn unanswered_call_times_out_and_client_stays_usable() {
    let url = ws_server(|mut ws| async move {
        let (_ignored, _, method, _) = next_call(&mut ws).await.unwrap();
        assert_eq!(method, "hang");
        let (id, _, method, _) = next_call(&mut ws).await.unwrap();
        assert_eq!(method, "get_chain_id");
        reply(&mut ws, id, json!("39f5e2ed")).await;
        while next_call(&mut ws).await.is_some() {}
    })
    .await;
    let timeout = Duration::from_millis(400);
    let client = RpcClient::connect(&url, opts(timeout)).await.unwrap();
    let start = Instant::now();
    let err = client
        .call(Api::Database, "hang", json!([]))
        .await
        .unwrap_err();
    let elapsed = start.elapsed();
    assert!(
        elapsed >= timeout && elapsed < timeout + MARGIN,
        "{elapsed:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Timeout);
    let text = err.to_string();
    assert!(
        text.contains("127.0.0.1") && text.contains("database.hang"),
        "{text}"
    );
    assert_eq!(client.get_chain_id().await.unwrap(), "39f5e2ed");
    assert!(!client.is_closed());
}

/// Frames queue for the connection's writer; one whose call timed out while it waited
/// (behind a write the node is not reading) is dropped, not sent late.
#[tokio::test]
async fn a_call_that_timed_out_in_the_write_queue_is_not_sent() {
    let url = ws_server(|mut ws| async move {
        // Not reading: the big frame fills the socket buffers and the writer waits.
        tokio::time::sleep(Duration::from_millis(800)).await;
        let (id, _, method, _) = next_call(&mut ws).await.unwrap();
        assert_eq!(method, "big");
        reply(&mut ws, id, json!(1)).await;
        let (id, _, method, _) = next_call(&mut ws).await.unwrap();
        assert_eq!(method, "after", "the timed-out call's frame was sent");
        reply(&mut ws, id, json!(2)).await;
        while next_call(&mut ws).await.is_some() {}
    })
    .await;
    let client = RpcClient::connect(&url, opts(TIMEOUT)).await.unwrap();
    let big = {
        let c = client.clone();
        let arg = "x".repeat(15 << 20);
        tokio::spawn(async move { c.call(Api::Database, "big", json!([arg])).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = client
        .call_with_timeout(
            Api::Database,
            "queued",
            json!([]),
            Duration::from_millis(200),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    let after = client
        .call(Api::Database, "after", json!([]))
        .await
        .unwrap();
    assert_eq!(after, json!(2));
    assert_eq!(big.await.unwrap().unwrap(), json!(1));
}

const DUPLICATE_REPLY: &str = r#"{"code":3030001,
 "message":"Execution error: duplicate transaction: Transaction '53b946e718f49afbadf81b7f31f65393fa3c3334' is already in the database",
 "data":{"code":3030001,"name":"duplicate_transaction","message":"duplicate transaction",
  "stack":[{"context":{"level":"error","file":"db_block.cpp","line":708,"method":"_push_transaction",
            "hostname":"","thread_name":"th_a","timestamp":"2024-01-01T00:00:00"},
            "format":"Transaction '${txid}' is already in the database",
            "data":{"txid":"53b946e718f49afbadf81b7f31f65393fa3c3334"}}]}}"#;

const ASSERT_REPLY: &str = r#"{"code":10,
 "message":"Execution error: Assert Exception: now <= trx.expiration: ",
 "data":{"code":10,"name":"assert_exception","message":"Assert Exception",
  "stack":[{"context":{"level":"error","file":"db_block.cpp","line":747,"method":"_apply_transaction",
            "hostname":"","thread_name":"th_a","timestamp":"2024-01-01T00:00:00"},
            "format":"now <= trx.expiration: ","data":{"now":"2024-01-01T00:00:00","trx.exp":"2023-12-31T23:00:00"}}]}}"#;

#[tokio::test]
async fn node_error_replies_kept_verbatim_and_classified() {
    let url = ws_server(|mut ws| async move {
        while let Some((id, api, method, _)) = next_call(&mut ws).await {
            let error: Value = match method.as_str() {
                "network_broadcast" => {
                    assert_eq!(api, json!(1));
                    reply(&mut ws, id, json!(2)).await;
                    continue;
                }
                "broadcast_transaction" => serde_json::from_str(DUPLICATE_REPLY).unwrap(),
                _ => serde_json::from_str(ASSERT_REPLY).unwrap(),
            };
            let text = json!({"id": id, "jsonrpc": "2.0", "error": error}).to_string();
            ws.send(Message::text(text)).await.unwrap();
        }
    })
    .await;
    let client = RpcClient::connect(&url, opts(TIMEOUT)).await.unwrap();

    let err = client.broadcast_transaction(&json!({})).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Duplicate);
    let node = err.node_error().unwrap();
    assert_eq!(node.code, 3030001);
    assert_eq!(
        node.message,
        "Execution error: duplicate transaction: Transaction '53b946e718f49afbadf81b7f31f65393fa3c3334' is already in the database"
    );
    assert_eq!(node.name.as_deref(), Some("duplicate_transaction"));
    assert_eq!(
        node.format.as_deref(),
        Some("Transaction '${txid}' is already in the database")
    );
    assert_eq!(
        node.format_data.as_ref().unwrap()["txid"],
        "53b946e718f49afbadf81b7f31f65393fa3c3334"
    );
    let text = err.to_string();
    assert!(
        text.contains("127.0.0.1") && text.contains("network_broadcast.broadcast_transaction"),
        "{text}"
    );
    assert!(text.contains("already in the database"), "{text}");

    let err = client
        .call(Api::Database, "validate_transaction", json!([{}]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Assert);
    let node = err.node_error().unwrap();
    assert_eq!(node.code, 10);
    assert_eq!(node.format.as_deref(), Some("now <= trx.expiration: "));
    assert_eq!(node.data_message.as_deref(), Some("Assert Exception"));
    // The connection survives application errors.
    assert!(!client.is_closed());
}

#[tokio::test]
async fn int64_strings_and_typed_results_parse() {
    let url = ws_server(|ws| async move {
        answer_all(ws, |_, method, args| match method {
            "get_account_balances" => {
                assert_eq!(*args, json!(["1.2.17", ["1.3.0"]]));
                json!([{"amount":"5000000000","asset_id":"1.3.0"},{"amount":12,"asset_id":"1.3.1"}])
            }
            "get_dynamic_global_properties" => json!({"id":"2.1.0","head_block_number":"28008252",
                "head_block_id":"01ab5f3c9e2d4b7a8c1f0e6d5a4b3c2d1e0f9a8b","time":"2024-01-01T00:00:00",
                "current_witness":"1.6.12","next_maintenance_time":"2024-01-01T01:00:00",
                "witness_budget":"9000000000","recently_missed_count":0,"current_aslot":"28050000",
                "recent_slots_filled":"340282366920938463463374607431768211455",
                "last_irreversible_block_num":28008237,"brand_new_field":[1]}),
            "get_global_properties" => json!({"id":"2.0.0","parameters":{"block_interval":3,
                "maintenance_interval":3600,"maintenance_skip_slots":3,"maximum_transaction_size":"2048",
                "maximum_block_size":2000000,"maximum_time_until_expiration":86400,
                "current_fees":{"parameters":[],"scale":10000}},
                "active_witnesses":["1.6.1"],"active_committee_members":[]}),
            "get_block_header" if args[0] == json!(99) => Value::Null,
            "get_block_header" => json!({"previous":"0000000a00000000000000000000000000000000",
                "timestamp":"2024-01-01T00:00:03","witness":"1.6.12",
                "transaction_merkle_root":"0000000000000000000000000000000000000000","extensions":[]}),
            "get_objects" => json!([{"id":"2.1.0"}, null]),
            "get_required_fees" => json!([{"amount":"100000","asset_id":"1.3.0"},
                [{"amount":5,"asset_id":"1.3.0"},[{"amount":1,"asset_id":"1.3.0"}]]]),
            other => panic!("unexpected {other}"),
        })
        .await
    })
    .await;
    let client = RpcClient::connect(&url, opts(TIMEOUT)).await.unwrap();
    let balances = client
        .get_account_balances("1.2.17", &["1.3.0"])
        .await
        .unwrap();
    assert_eq!(balances[0].amount, 5_000_000_000);
    assert_eq!(balances[1].amount, 12);
    let dgp = client.get_dynamic_global_properties().await.unwrap();
    assert_eq!(dgp.head_block_number, 28008252);
    assert_eq!(dgp.witness_budget, Some(9_000_000_000));
    assert_eq!(dgp.recent_slots_filled, u128::MAX);
    assert_eq!(dgp.time.to_string(), "2024-01-01T00:00:00");
    let gp = client.get_global_properties().await.unwrap();
    assert_eq!(gp.parameters.block_interval, 3);
    assert_eq!(gp.parameters.maximum_transaction_size, 2048);
    assert!(gp.parameters.rest.contains_key("current_fees"));
    assert!(client.get_block_header(99).await.unwrap().is_none());
    let header = client.get_block_header(11).await.unwrap().unwrap();
    assert_eq!(header.block_num(), Some(11));
    let objs = client.get_objects(&["2.1.0", "1.2.999999"]).await.unwrap();
    assert!(objs[0].is_some() && objs[1].is_none());
    let fees = client
        .get_required_fees(json!([[0, {}], [22, {}]]), "1.3.0")
        .await
        .unwrap();
    assert_eq!(
        fees.iter().map(|f| f.amount).collect::<Vec<_>>(),
        vec![100000, 5]
    );
}

/// Expect the call to fail with `kind` well before the timeout.
async fn expect_prompt_failure(client: &RpcClient, kind: ErrorKind) -> RpcError {
    let start = Instant::now();
    let err = client
        .call(Api::Database, "get_chain_id", json!([]))
        .await
        .unwrap_err();
    assert!(
        start.elapsed() < TIMEOUT,
        "took {:?}: {err}",
        start.elapsed()
    );
    assert_eq!(err.kind(), kind, "{err}");
    err
}

#[tokio::test]
async fn garbage_text_frame_fails_the_connection() {
    let url = ws_server(|mut ws| async move {
        next_call(&mut ws).await.unwrap();
        ws.send(Message::text("<html>502 Bad Gateway</html>"))
            .await
            .unwrap();
        let _ = next_call(&mut ws).await;
    })
    .await;
    let client = RpcClient::connect(&url, opts(TIMEOUT)).await.unwrap();
    let err = expect_prompt_failure(&client, ErrorKind::Protocol).await;
    assert!(err.to_string().contains("not JSON"), "{err}");
    // Later calls fail immediately with the same reason, never hang.
    expect_prompt_failure(&client, ErrorKind::Protocol).await;
    assert!(client.is_closed());
}

#[tokio::test]
async fn binary_junk_fails_the_connection() {
    let url = ws_server(|mut ws| async move {
        next_call(&mut ws).await.unwrap();
        ws.send(Message::binary(vec![0xff, 0x00, 0x13, 0x37]))
            .await
            .unwrap();
        let _ = next_call(&mut ws).await;
    })
    .await;
    let client = RpcClient::connect(&url, opts(TIMEOUT)).await.unwrap();
    expect_prompt_failure(&client, ErrorKind::Protocol).await;
}

#[tokio::test]
async fn reply_without_id_fails_the_connection() {
    let url = ws_server(|mut ws| async move {
        next_call(&mut ws).await.unwrap();
        let text = json!({"id": null, "error": {"code": -32700, "message": "parse error"}});
        ws.send(Message::text(text.to_string())).await.unwrap();
        let _ = next_call(&mut ws).await;
    })
    .await;
    let client = RpcClient::connect(&url, opts(TIMEOUT)).await.unwrap();
    let err = expect_prompt_failure(&client, ErrorKind::Protocol).await;
    assert!(err.to_string().contains("without id"), "{err}");
}

#[tokio::test]
async fn frame_header_claiming_100mb_is_refused_without_buffering() {
    let url = ws_server(|mut ws| async move {
        next_call(&mut ws).await.unwrap();
        // FIN+text, 64-bit length 100 MB, then a few payload bytes: the client must
        // refuse on the header alone.
        let mut raw = vec![0x81, 127];
        raw.extend_from_slice(&100_000_000u64.to_be_bytes());
        raw.extend_from_slice(b"{\"id\":1,");
        let tcp = ws.get_mut();
        tcp.write_all(&raw).await.unwrap();
        tcp.flush().await.unwrap();
        tokio::time::sleep(TIMEOUT + MARGIN).await;
    })
    .await;
    let client = RpcClient::connect(&url, opts(TIMEOUT)).await.unwrap();
    let err = expect_prompt_failure(&client, ErrorKind::Protocol).await;
    assert!(err.to_string().contains("frame refused"), "{err}");
}

#[tokio::test]
async fn real_message_above_limit_is_refused() {
    let url = ws_server(|mut ws| async move {
        let (id, ..) = next_call(&mut ws).await.unwrap();
        reply(&mut ws, id, json!("x".repeat(64 * 1024))).await;
        let _ = next_call(&mut ws).await;
    })
    .await;
    let o = ConnectOptions {
        max_frame_bytes: 16 * 1024,
        ..opts(TIMEOUT)
    };
    let client = RpcClient::connect(&url, o).await.unwrap();
    expect_prompt_failure(&client, ErrorKind::Protocol).await;
}

#[tokio::test]
async fn abrupt_close_mid_frame_fails_all_pending_calls() {
    let url = ws_server(|mut ws| async move {
        for _ in 0..5 {
            next_call(&mut ws).await.unwrap();
        }
        // Start a 16-bit-length frame and drop the TCP connection inside its header.
        let tcp = ws.get_mut();
        tcp.write_all(&[0x81, 126, 0x01]).await.unwrap();
        tcp.flush().await.unwrap();
        drop(ws);
    })
    .await;
    let client = RpcClient::connect(&url, opts(TIMEOUT)).await.unwrap();
    let start = Instant::now();
    let calls = (0..5).map(|_| client.call(Api::Database, "get_chain_id", json!([])));
    for r in futures_util::future::join_all(calls).await {
        let err = r.unwrap_err();
        assert_eq!(err.transport_kind(), Some(TransportKind::Closed), "{err}");
    }
    assert!(start.elapsed() < TIMEOUT, "{:?}", start.elapsed());
}

#[tokio::test]
async fn clean_close_frame_fails_pending_calls() {
    let url = ws_server(|mut ws| async move {
        next_call(&mut ws).await.unwrap();
        let _ = ws.close(None).await;
    })
    .await;
    let client = RpcClient::connect(&url, opts(TIMEOUT)).await.unwrap();
    expect_prompt_failure(&client, ErrorKind::Transport).await;
}

#[tokio::test]
async fn server_that_never_completes_handshake_times_out() {
    let (l, port) = listener().await;
    let holder = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(tcp);
    });
    let timeout = Duration::from_millis(400);
    let start = Instant::now();
    let err = RpcClient::connect(&format!("ws://127.0.0.1:{port}"), opts(timeout))
        .await
        .unwrap_err();
    let elapsed = start.elapsed();
    assert!(
        elapsed >= timeout && elapsed < timeout + MARGIN,
        "{elapsed:?}"
    );
    assert!(
        matches!(&err, RpcError::Timeout { method, .. } if method == "connect"),
        "{err}"
    );
    holder.abort();
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let (l, port) = listener().await;
    drop(l);
    let err = RpcClient::connect(&format!("ws://127.0.0.1:{port}"), opts(TIMEOUT))
        .await
        .unwrap_err();
    assert_eq!(err.transport_kind(), Some(TransportKind::Connect), "{err}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[tokio::test]
async fn non_websocket_http_answer_is_a_handshake_error() {
    let (l, port) = listener().await;
    tokio::spawn(async move {
        let (mut tcp, _) = l.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = tcp.read(&mut buf).await;
        let _ = tcp
            .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    });
    let err = RpcClient::connect(&format!("ws://127.0.0.1:{port}"), opts(TIMEOUT))
        .await
        .unwrap_err();
    assert_eq!(
        err.transport_kind(),
        Some(TransportKind::Handshake),
        "{err}"
    );
    assert!(err.to_string().contains("403"), "{err}");
}

// --- TLS ---------------------------------------------------------------------------------

struct TlsFixture {
    url: String,
    _dir: tempfile::TempDir,
    ca_file: std::path::PathBuf,
}

async fn wss_server() -> TlsFixture {
    let Tls {
        acceptor,
        dir,
        ca_file,
    } = self_signed(30);
    let (l, port) = listener().await;
    tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        // A client that rejects the certificate makes these fail; that is the test.
        let Ok(tls) = acceptor.accept(tcp).await else {
            return;
        };
        let Ok(ws) = tokio_tungstenite::accept_async(tls).await else {
            return;
        };
        answer_all(ws, |_, method, _| {
            assert_eq!(method, "get_chain_id");
            json!("39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447")
        })
        .await;
    });
    TlsFixture {
        url: format!("wss://127.0.0.1:{port}"),
        _dir: dir,
        ca_file,
    }
}

#[tokio::test]
async fn wss_with_private_ca_file_works() {
    let fx = wss_server().await;
    let o = ConnectOptions {
        ca_file: Some(fx.ca_file.clone()),
        ..opts(TIMEOUT)
    };
    let client = RpcClient::connect(&fx.url, o).await.unwrap();
    assert!(client.get_chain_id().await.unwrap().starts_with("39f5e2ed"));
}

#[tokio::test]
async fn wss_without_ca_file_is_a_tls_error() {
    let fx = wss_server().await;
    let err = RpcClient::connect(&fx.url, opts(TIMEOUT))
        .await
        .unwrap_err();
    assert_eq!(err.transport_kind(), Some(TransportKind::Tls), "{err}");
}

#[tokio::test]
async fn https_post_with_ca_file_works_and_fails_tls_without() {
    let Tls {
        acceptor,
        dir: _dir,
        ca_file,
    } = self_signed(30);
    let (l, port) = listener().await;
    let (tx, _seen) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        for _ in 0..2 {
            let (tcp, _) = l.accept().await.unwrap();
            if let Ok(tls) = acceptor.accept(tcp).await {
                let body = r#"{"id":1,"result":"39f5e2ed"}"#.to_owned();
                serve_http_once(tls, "200 OK", body, tx.clone()).await;
            }
        }
    });
    // One configured wss:// URL serves the HTTP path as https://.
    let url = format!("wss://127.0.0.1:{port}");
    let err = http_call(
        &url,
        Api::Database,
        "get_chain_id",
        json!([]),
        &opts(TIMEOUT),
    )
    .await
    .unwrap_err();
    assert_eq!(err.transport_kind(), Some(TransportKind::Tls), "{err}");
    let o = ConnectOptions {
        ca_file: Some(ca_file),
        ..opts(TIMEOUT)
    };
    let v = http_call(&url, Api::Database, "get_chain_id", json!([]), &o)
        .await
        .unwrap();
    assert_eq!(v, json!("39f5e2ed"));
}

// --- HTTP POST ---------------------------------------------------------------------------

/// Read one HTTP request from `stream`, report it, answer with a canned response.
async fn serve_http_once<S>(
    mut stream: S,
    status: &str,
    body: String,
    tx: mpsc::UnboundedSender<String>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    // Read headers, then Content-Length bytes of body.
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "client closed early");
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                let _ = tx.send(text);
                break;
            }
        }
    }
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(resp.as_bytes()).await.unwrap();
    let _ = stream.shutdown().await;
}

/// Serve one plain HTTP request; returns a ws:// URL (mapped to http:// by the client).
async fn http_server(
    status: &'static str,
    body: String,
) -> (String, mpsc::UnboundedReceiver<String>) {
    let (l, port) = listener().await;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        serve_http_once(tcp, status, body, tx).await;
    });
    (format!("ws://127.0.0.1:{port}"), rx)
}

#[tokio::test]
async fn http_post_success() {
    let (url, mut seen) = http_server(
        "200 OK",
        r#"{"id":1,"jsonrpc":"2.0","result":"39f5e2ed"}"#.into(),
    )
    .await;
    let o = ConnectOptions {
        credentials: Some(Credentials::new("ops", "pw")),
        ..opts(TIMEOUT)
    };
    let v = http_call(
        &url,
        Api::NetworkBroadcast,
        "broadcast_transaction",
        json!([{}]),
        &o,
    )
    .await
    .unwrap();
    assert_eq!(v, json!("39f5e2ed"));
    let req = seen.recv().await.unwrap();
    assert!(req.starts_with("POST / HTTP/1.1"), "{req}");
    assert!(
        req.to_ascii_lowercase().contains("authorization: basic "),
        "{req}"
    );
    assert!(req.contains("b3BzOnB3"), "{req}"); // base64("ops:pw")
    // Named sets go by name over HTTP: ids are per-connection.
    assert!(
        req.contains(r#""params":["network_broadcast","broadcast_transaction",[{}]]"#),
        "{req}"
    );
}

#[tokio::test]
async fn http_post_error_body_with_status_500() {
    let body =
        r#"{"id":1,"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error: boom"}}"#;
    let (url, _seen) = http_server("500 Internal Server Error", body.into()).await;
    let err = http_call(
        &url,
        Api::Database,
        "get_chain_id",
        json!([]),
        &opts(TIMEOUT),
    )
    .await
    .unwrap_err();
    let node = err
        .node_error()
        .unwrap_or_else(|| panic!("not a node error: {err}"));
    assert_eq!(node.code, -32603);
    assert_eq!(node.message, "Internal error: boom");
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.to_string().contains("database.get_chain_id"), "{err}");
}

#[tokio::test]
async fn http_post_error_body_with_status_200() {
    let (url, _seen) =
        http_server("200 OK", format!(r#"{{"id":1,"error":{DUPLICATE_REPLY}}}"#)).await;
    let err = http_call(
        &url,
        Api::NetworkBroadcast,
        "broadcast_transaction",
        json!([{}]),
        &opts(TIMEOUT),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Duplicate);
}

#[tokio::test]
async fn http_post_non_json_error_status_is_transport() {
    let (url, _seen) = http_server("502 Bad Gateway", "<html>bad gateway</html>".into()).await;
    let err = http_call(
        &url,
        Api::Database,
        "get_chain_id",
        json!([]),
        &opts(TIMEOUT),
    )
    .await
    .unwrap_err();
    assert_eq!(err.transport_kind(), Some(TransportKind::Http), "{err}");
    assert!(err.to_string().contains("502"), "{err}");
}

#[tokio::test]
async fn http_post_body_is_capped() {
    let big = format!(r#"{{"id":1,"result":"{}"}}"#, "x".repeat(64 * 1024));
    let (url, _seen) = http_server("200 OK", big).await;
    let o = ConnectOptions {
        max_frame_bytes: 1024,
        ..opts(TIMEOUT)
    };
    let err = http_call(&url, Api::Database, "get_chain_id", json!([]), &o)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
}

#[tokio::test]
async fn http_post_unanswered_times_out() {
    let (l, port) = listener().await;
    let holder = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(tcp);
    });
    let timeout = Duration::from_millis(400);
    let start = Instant::now();
    let err = http_call(
        &format!("http://127.0.0.1:{port}"),
        Api::Database,
        "get_chain_id",
        json!([]),
        &opts(timeout),
    )
    .await
    .unwrap_err();
    assert!(start.elapsed() < timeout + MARGIN);
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    holder.abort();
}

/// A notice consumer sees its channel end; `close_reason` then tells it why, with the
/// peer's close code and reason, instead of a bare "closed".
#[tokio::test]
async fn close_reason_names_the_peers_close_frame() {
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    let url = ws_server(|mut ws| async move {
        let _ = ws
            .close(Some(CloseFrame {
                code: CloseCode::Away,
                reason: "node restarting for upgrade".into(),
            }))
            .await;
    })
    .await;
    let client = RpcClient::connect(&url, opts(TIMEOUT)).await.unwrap();
    assert!(client.close_reason().is_none() || client.is_closed());
    let mut notices = client.take_notices().expect("notice receiver");
    let ended = tokio::time::timeout(TIMEOUT, notices.recv()).await;
    assert!(
        matches!(ended, Ok(None)),
        "the notice channel ends with the connection"
    );
    let why = client.close_reason().expect("a reason once closed");
    assert_eq!(why.transport_kind(), Some(TransportKind::Closed), "{why}");
    let text = why.to_string();
    assert!(
        text.contains("1001") && text.contains("node restarting for upgrade"),
        "{text}"
    );
}

/// A far node: every step of the connection (TLS handshake, upgrade, login, the API-id
/// lookup, the call) takes `delay` to answer. Each is within the timeout, so each must
/// get the timeout to itself: one budget over two steps would time out a node that
/// answers everything.
#[tokio::test]
async fn each_step_of_a_far_connection_gets_its_own_timeout() {
    let delay = Duration::from_millis(300);
    let timeout = delay * 3 / 2;
    let Tls {
        acceptor,
        dir: _dir,
        ca_file,
    } = self_signed(30);
    let (l, port) = listener().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        tokio::time::sleep(delay).await;
        let tls = acceptor.accept(tcp).await.unwrap();
        tokio::time::sleep(delay).await;
        let mut ws = tokio_tungstenite::accept_async(tls).await.unwrap();
        while let Some((id, api, method, _)) = next_call(&mut ws).await {
            let result = match (api.as_u64(), method.as_str()) {
                (Some(1), "login") => json!(true),
                (Some(1), "network_node") => json!(4),
                (Some(4), "get_info") => json!({"connection_count": 7}),
                other => panic!("unexpected call {other:?}"),
            };
            tokio::time::sleep(delay).await;
            reply(&mut ws, id, result).await;
        }
    });
    let o = ConnectOptions {
        ca_file: Some(ca_file),
        credentials: Some(Credentials::new("ops", "pw")),
        ..opts(timeout)
    };
    let t = Instant::now();
    let client = RpcClient::connect(&format!("wss://127.0.0.1:{port}"), o)
        .await
        .unwrap();
    assert!(t.elapsed() >= delay * 3, "{:?}", t.elapsed());
    let info = client.network_node_get_info().await.unwrap();
    assert_eq!(info["connection_count"], 7);
    drop(client);
    tokio::time::timeout(TIMEOUT, server)
        .await
        .expect("server ends with the connection")
        .unwrap();
}
