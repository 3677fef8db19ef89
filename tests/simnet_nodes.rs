//! simnet nodes over real loopback sockets: blocks, notices, lag, API resolution, errors,
//! HTTP on the websocket port, hostile input, connect/close cycles.

mod support;

use std::time::Duration;

use btsops::rpc::{Api, ConnectOptions, Credentials, RpcClient};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::simnet::{self, DEV_PUB, MAINNET_ID};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn blocks_advance_and_a_subscriber_gets_2_1_0_every_block() {
    let fleet = simnet::start().await;
    let client = simnet::connect(&fleet, "a").await;
    let mut notices = client.take_notices().expect("notice channel");
    client.set_subscribe_callback(7, false).await.unwrap();
    let first = client.get_objects(&["2.1.0"]).await.unwrap();
    let start = first[0].as_ref().unwrap()["head_block_number"]
        .as_u64()
        .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let n = tokio::time::timeout(Duration::from_secs(5), notices.recv())
            .await
            .expect("a notice within 5 s of 1 s blocks")
            .expect("channel open");
        assert_eq!(n.callback, 7);
        let objs = n.args[0].as_array().expect("batch of objects");
        let dgp = objs
            .iter()
            .find(|o| o["id"] == "2.1.0")
            .expect("2.1.0 pushed");
        seen.push(dgp["head_block_number"].as_u64().unwrap());
    }
    assert_eq!(
        seen,
        vec![start + 1, start + 2, start + 3],
        "one notice per block"
    );
    let dgp = client.get_dynamic_global_properties().await.unwrap();
    assert!(u64::from(dgp.head_block_number) >= start + 3);
    // Block ids carry their number; the chain links.
    let h = client.get_block_header(2).await.unwrap().expect("block 2");
    let b1 = client.get_objects(&["2.8.1"]).await.unwrap();
    assert_eq!(
        json!(h.previous),
        b1[0].as_ref().unwrap()["block_id"],
        "block 2's previous is block 1's id"
    );
    fleet.shutdown().await;
}

#[tokio::test]
async fn block_applied_callback_sends_block_ids() {
    let fleet = simnet::start().await;
    let client = simnet::connect(&fleet, "a").await;
    let mut notices = client.take_notices().unwrap();
    client.set_block_applied_callback(9).await.unwrap();
    let n = tokio::time::timeout(Duration::from_secs(5), notices.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.callback, 9);
    let id = n.args[0].as_str().unwrap();
    let num = u32::from_str_radix(&id[..8], 16).unwrap();
    let dgp = client.get_dynamic_global_properties().await.unwrap();
    assert!(dgp.head_block_number >= num);
    client.cancel_all_subscriptions().await.unwrap();
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_lagging_node_stays_behind() {
    let fleet = simnet::start().await;
    simnet::wait_head(&fleet, 5).await;
    let lag = simnet::connect(&fleet, "lagging").await;
    let a = simnet::connect(&fleet, "a").await;
    for _ in 0..3 {
        let behind = lag
            .get_dynamic_global_properties()
            .await
            .unwrap()
            .head_block_number;
        let ahead = a
            .get_dynamic_global_properties()
            .await
            .unwrap()
            .head_block_number;
        assert!(
            (3..=4).contains(&(ahead - behind)),
            "lagging node at {behind}, network at {ahead}"
        );
        // The lagging node has not seen the newer blocks either.
        assert!(lag.get_block(ahead).await.unwrap().is_none());
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    fleet.shutdown().await;
}

async fn raw_call(url: &str, req: Value) -> Value {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws.send(Message::text(req.to_string())).await.unwrap();
    let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    serde_json::from_str(msg.to_text().unwrap()).unwrap()
}

#[tokio::test]
async fn api_sets_resolve_by_number_and_by_name() {
    let fleet = simnet::start().await;
    simnet::wait_head(&fleet, 1).await;
    let url = simnet::url(&fleet, "a");
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let mut ask = async |req: Value| -> Value {
        ws.send(Message::text(req.to_string())).await.unwrap();
        let m = ws.next().await.unwrap().unwrap();
        serde_json::from_str(m.to_text().unwrap()).unwrap()
    };
    let by_number = ask(json!({"id":1,"method":"call","params":[0,"get_chain_id",[]]})).await;
    let by_name =
        ask(json!({"id":2,"method":"call","params":["database","get_chain_id",[]]})).await;
    let bare = ask(json!({"jsonrpc":"2.0","id":3,"method":"get_chain_id","params":[]})).await;
    assert_eq!(by_number, json!({"id":1,"result":MAINNET_ID}));
    assert_eq!(by_name, json!({"id":2,"result":MAINNET_ID}));
    assert_eq!(bare, json!({"id":3,"jsonrpc":"2.0","result":MAINNET_ID}));
    let hist = ask(json!({"id":4,"method":"call","params":[1,"history",[]]})).await;
    assert_eq!(hist["result"], 2, "first set asked for gets id 2");
    let nb = ask(json!({"id":5,"method":"call","params":[1,"network_broadcast",[]]})).await;
    assert_eq!(nb["result"], 3);
    let again = ask(json!({"id":6,"method":"call","params":[1,"history",[]]})).await;
    assert_eq!(again["result"], 2, "same id when asked again");
    let info = ask(json!({"id":7,"method":"call","params":[1,"get_info",[]]})).await;
    assert_eq!(info["result"], "node a, ops@example.org");
    let acct =
        ask(json!({"id":8,"method":"call","params":[0,"get_account_by_name",["nathan"]]})).await;
    assert_eq!(acct["result"]["active"]["key_auths"][0][0], DEV_PUB);
    // int64 as a string parameter.
    let hdr = ask(json!({"id":9,"method":"call","params":[0,"get_block_header",["1"]]})).await;
    assert_eq!(
        hdr["result"]["previous"],
        "0000000000000000000000000000000000000000"
    );
    fleet.shutdown().await;
}

#[tokio::test]
async fn unknown_method_and_api_errors_have_the_real_shape() {
    let fleet = simnet::start().await;
    let url = simnet::url(&fleet, "a");
    let v = raw_call(
        &url,
        json!({"id":1,"method":"call","params":[0,"x_probe",[]]}),
    )
    .await;
    let e = &v["error"];
    assert_eq!(e["code"], -32601);
    assert_eq!(e["message"], "Method not found");
    assert_eq!(e["data"]["code"], 22);
    assert_eq!(e["data"]["name"], "method_not_found_exception");
    assert_eq!(
        e["data"]["stack"][0]["format"],
        "No method with name '${name}'"
    );
    assert_eq!(e["data"]["stack"][0]["data"]["name"], "x_probe");
    let api = e["data"]["stack"][0]["data"]["api"].as_array().unwrap();
    assert!(api.contains(&json!(["get_objects", 0])));
    let v = raw_call(
        &url,
        json!({"id":1,"method":"call","params":["nosuchapi","x",[]]}),
    )
    .await;
    assert_eq!(v["error"]["code"], -32601);
    let v = raw_call(
        &url,
        json!({"id":1,"method":"call","params":[9,"get_chain_id",[]]}),
    )
    .await;
    assert_eq!(
        v["error"]["data"]["stack"][0]["format"],
        "_local_apis.size() > api_id: "
    );
    // Through our own client: classified as a protocol error (−32601).
    let client = simnet::connect(&fleet, "a").await;
    let err = client
        .call(Api::Database, "x_probe", json!([]))
        .await
        .unwrap_err();
    assert_eq!(err.node_error().map(|e| e.code), Some(-32601));
    fleet.shutdown().await;
}

#[tokio::test]
async fn network_node_api_needs_a_login_that_grants_it() {
    let fleet = simnet::start().await;
    let anon = simnet::connect(&fleet, "ops").await;
    let err = anon.network_node_get_info().await.unwrap_err();
    assert_eq!(
        err.node_error().unwrap().format.as_deref(),
        Some("is_allowed: Access denied")
    );
    let opts = ConnectOptions {
        credentials: Some(Credentials::new("ops", "secret")),
        ..ConnectOptions::default()
    };
    let ops = RpcClient::connect(&simnet::url(&fleet, "ops"), opts)
        .await
        .unwrap();
    let info = ops.network_node_get_info().await.unwrap();
    assert_eq!(info["node_public_key"].as_str().unwrap().len(), 66);
    assert_eq!(ops.get_connected_peers().await.unwrap(), json!([]));
    let sets = ops.get_available_api_sets().await.unwrap();
    assert!(sets.contains(&"network_node_api".to_string()));
    fleet.shutdown().await;
}

async fn http_post(url: &str, body: &str) -> (u16, String) {
    let client = reqwest::Client::new();
    let r = client
        .post(url)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

#[tokio::test]
async fn http_post_on_the_websocket_port() {
    let fleet = simnet::start().await;
    let url = simnet::http_url(&fleet, "a");
    let (status, body) = http_post(
        &url,
        r#"{"jsonrpc":"2.0","id":1,"method":"call","params":["database","get_chain_id",[]]}"#,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        format!(r#"{{"id":1,"jsonrpc":"2.0","result":"{MAINNET_ID}"}}"#)
    );
    let (status, body) =
        http_post(&url, r#"{"id":1,"method":"call","params":[0,"nope",[]]}"#).await;
    assert_eq!(status, 400, "−32601 is a 400");
    assert!(body.contains("Method not found"));
    let (status, _) = http_post(
        &url,
        r#"{"id":1,"method":"call","params":[0,"get_block",[]]}"#,
    )
    .await;
    assert_eq!(status, 200, "application errors are 200");
    let (status, body) = http_post(&url, r#"{"method":"get_chain_id","params":[]}"#).await;
    assert_eq!((status, body.as_str()), (204, ""));
    let (status, body) = http_post(&url, "garbage").await;
    assert_eq!(status, 400);
    assert!(body.contains("-32700"));
    // Our own HTTP client path.
    let v = btsops::rpc::http_call(
        &simnet::url(&fleet, "a"),
        Api::Database,
        "get_dynamic_global_properties",
        json!([]),
        &ConnectOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(v["id"], "2.1.0");
    fleet.shutdown().await;
}

#[tokio::test]
async fn malformed_json_and_oversize_frames_do_not_kill_the_node() {
    let fleet = simnet::start().await;
    let url = simnet::url(&fleet, "victim");
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    ws.send(Message::text("{\"id\":1,")).await.unwrap();
    let m = ws.next().await.unwrap().unwrap();
    let v: Value = serde_json::from_str(m.to_text().unwrap()).unwrap();
    assert_eq!(v["error"]["code"], -32700);
    ws.send(Message::text("[1,2]")).await.unwrap();
    let m = ws.next().await.unwrap().unwrap();
    assert!(
        m.to_text()
            .unwrap()
            .contains("Batch requests not supported")
    );
    // Same connection still answers.
    ws.send(Message::text(
        r#"{"id":2,"method":"get_chain_id","params":[]}"#,
    ))
    .await
    .unwrap();
    let m = ws.next().await.unwrap().unwrap();
    assert!(m.to_text().unwrap().contains(MAINNET_ID));
    // A 2 MiB frame ends that connection only.
    let big = format!(
        r#"{{"id":3,"method":"get_chain_id","params":["{}"]}}"#,
        "x".repeat(2 << 20)
    );
    let _ = ws.send(Message::text(big)).await;
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(end.is_ok(), "oversize frame closes the connection");
    // An oversize HTTP body gets 413 without being read.
    let mut s = TcpStream::connect(fleet.endpoint("mainnet", "victim").unwrap().addr)
        .await
        .unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n")
        .await
        .unwrap();
    let mut resp = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut resp)).await;
    assert!(String::from_utf8_lossy(&resp).starts_with("HTTP/1.1 413"));
    // Garbage instead of an HTTP head: closed, node fine.
    let mut s = TcpStream::connect(fleet.endpoint("mainnet", "victim").unwrap().addr)
        .await
        .unwrap();
    s.write_all(&[0xff; 20_000]).await.unwrap_or(());
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut sink)).await;
    let client = simnet::connect(&fleet, "victim").await;
    assert_eq!(client.get_chain_id().await.unwrap(), MAINNET_ID);
    fleet.shutdown().await;
}

#[tokio::test]
async fn endpoints_are_reported_on_loopback() {
    let fleet = simnet::start().await;
    let eps = fleet.endpoints();
    assert_eq!(eps.len(), 5);
    for e in eps {
        assert!(e.addr.ip().is_loopback());
        assert_ne!(e.addr.port(), 0);
        let line = serde_json::to_value(e).unwrap();
        assert_eq!(line["network"], "mainnet");
        assert!(line["kind"] == "node" || line["kind"] == "seed");
        assert!(line["url"].as_str().unwrap().contains("127.0.0.1:"));
    }
    fleet.shutdown().await;
}
