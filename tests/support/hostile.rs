//! Small hostile websocket "nodes" on loopback, one behaviour each, for the monitor's
//! hostile-link tests. Each binds 127.0.0.1:0, serves every connection the probe opens
//! (it reconnects), and stops when dropped. Behaviours that need to look healthy first
//! proxy an honest simnet node and misbehave from a chosen call on.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// What a hostile node does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Answers the first call with a frame that is not JSON.
    Garbage,
    /// Answers the first call with the header of a 100 MB text frame, then streams it.
    HugeFrame,
    /// Answers the first call correctly, one byte every 150 ms.
    SlowDrip,
    /// Answers every call with another id.
    WrongIds,
    /// Answers the first call with 100,000 nested arrays.
    DeepNesting,
    /// Answers the first call with a text frame that is not UTF-8.
    InvalidUtf8,
    /// Accepts TCP and never says anything (no websocket upgrade).
    Silent,
    /// Proxies an honest node until subscribed, then holds the next reply and streams
    /// large notices (the 3.4 GB attack).
    NoticeFlood,
    /// Proxies an honest node, but `get_info` and the head probe answer with escape
    /// codes (a forged table line, a screen clear), the error 200 KB long.
    EscapeCodes,
}

impl Behaviour {
    pub const ALL: [Behaviour; 9] = [
        Behaviour::Garbage,
        Behaviour::HugeFrame,
        Behaviour::SlowDrip,
        Behaviour::WrongIds,
        Behaviour::DeepNesting,
        Behaviour::InvalidUtf8,
        Behaviour::Silent,
        Behaviour::NoticeFlood,
        Behaviour::EscapeCodes,
    ];

    /// Endpoint name in test configs.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Garbage => "garbage",
            Behaviour::HugeFrame => "huge-frame",
            Behaviour::SlowDrip => "slow-drip",
            Behaviour::WrongIds => "wrong-ids",
            Behaviour::DeepNesting => "deep-nesting",
            Behaviour::InvalidUtf8 => "invalid-utf8",
            Behaviour::Silent => "silent",
            Behaviour::NoticeFlood => "notice-flood",
            Behaviour::EscapeCodes => "escape-codes",
        }
    }

    /// The `last_error.kind` the monitor must report for it.
    pub fn error_kind(self) -> &'static str {
        match self {
            Behaviour::Garbage
            | Behaviour::HugeFrame
            | Behaviour::DeepNesting
            | Behaviour::InvalidUtf8 => "protocol",
            Behaviour::SlowDrip
            | Behaviour::WrongIds
            | Behaviour::Silent
            | Behaviour::NoticeFlood => "timeout",
            Behaviour::EscapeCodes => "node",
        }
    }
}

/// The escape-laden text the `EscapeCodes` node sends: clears the screen, homes the
/// cursor and writes a forged healthy table line, with C1 CSI and a bidi override.
pub const FORGED: &str =
    "\x1b[2J\x1b[H\r\nok      forged-node  node  mainnet  99999999\n\u{9b}31m\u{202e}";

/// Notices the flood sends per connection, and the size of each (under the probe's
/// 1 MiB frame cap). Parsed, one is tens of megabytes: before the byte budget, the
/// queue kept 1,024 of them.
pub const FLOOD_NOTICES: usize = 40;
const FLOOD_ELEMENTS: usize = 450_000;

/// A running hostile node.
pub struct Hostile {
    pub behaviour: Behaviour,
    pub url: String,
    /// Connections accepted so far.
    pub connections: Arc<AtomicUsize>,
    /// Flood notices sent so far (only `NoticeFlood` sends any).
    pub flooded: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a hostile node; `upstream` is the honest node the proxying behaviours use.
pub async fn start(behaviour: Behaviour, upstream: &str) -> Hostile {
    let l = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let port = l.local_addr().expect("local addr").port();
    let connections = Arc::new(AtomicUsize::new(0));
    let flooded = Arc::new(AtomicUsize::new(0));
    let (c, f, up) = (
        Arc::clone(&connections),
        Arc::clone(&flooded),
        upstream.to_owned(),
    );
    let flood_text = if behaviour == Behaviour::NoticeFlood {
        let zeros = vec![Value::from(0); FLOOD_ELEMENTS];
        json!({"method": "notice", "params": [7, [zeros]]}).to_string()
    } else {
        String::new()
    };
    let task = tokio::spawn(async move {
        // The connection handlers die with the accept loop (aborted on drop).
        let mut handlers = tokio::task::JoinSet::new();
        while let Ok((tcp, _)) = l.accept().await {
            c.fetch_add(1, Ordering::Relaxed);
            let (f, up, flood_text) = (Arc::clone(&f), up.clone(), flood_text.clone());
            handlers.spawn(serve(behaviour, tcp, up, f, flood_text));
        }
    });
    Hostile {
        behaviour,
        url: format!("ws://127.0.0.1:{port}"),
        connections,
        flooded,
        task,
    }
}

async fn serve(
    behaviour: Behaviour,
    tcp: TcpStream,
    upstream: String,
    flooded: Arc<AtomicUsize>,
    flood_text: String,
) {
    if behaviour == Behaviour::Silent {
        // Hold the socket open, say nothing; the probe's connect timeout ends it.
        let _held = tcp;
        tokio::time::sleep(Duration::from_secs(120)).await;
        return;
    }
    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
        return;
    };
    match behaviour {
        Behaviour::NoticeFlood => {
            proxy(
                ws,
                &upstream,
                // The first call after subscribing is the head probe: hold it.
                |call| {
                    if call.subscribed {
                        Verdict::HoldAndFlood
                    } else {
                        Verdict::Forward
                    }
                },
                &flooded,
                &flood_text,
            )
            .await
        }
        Behaviour::EscapeCodes => {
            proxy(
                ws,
                &upstream,
                |call| match call.method.as_str() {
                    "get_info" => Verdict::Reply(
                        json!({"id": call.id, "jsonrpc": "2.0", "result": FORGED}).to_string(),
                    ),
                    "get_dynamic_global_properties" => {
                        let message = format!("{FORGED}{}", "x".repeat(200_000));
                        Verdict::Reply(
                            json!({"id": call.id, "jsonrpc": "2.0",
                            "error": {"code": 1, "message": message}})
                            .to_string(),
                        )
                    }
                    _ => Verdict::Forward,
                },
                &flooded,
                &flood_text,
            )
            .await
        }
        Behaviour::WrongIds => {
            while let Some(call) = next_call(&mut ws).await {
                let text = json!({"id": call.id + 1000, "jsonrpc": "2.0", "result": true});
                if ws.send(Message::text(text.to_string())).await.is_err() {
                    return;
                }
            }
        }
        _ => {
            let Some(call) = next_call(&mut ws).await else {
                return;
            };
            first_reply(behaviour, ws, call.id).await;
        }
    }
}

/// The hostile answer to the first call, written as raw frames where tungstenite
/// would refuse to send it.
async fn first_reply(behaviour: Behaviour, mut ws: WebSocketStream<TcpStream>, id: u64) {
    let _ = ws.flush().await;
    let tcp = ws.get_mut();
    match behaviour {
        Behaviour::Garbage => {
            let _ = tcp
                .write_all(&text_frame(b"\x00\x01 this is not {json"))
                .await;
        }
        Behaviour::DeepNesting => {
            let depth = 100_000;
            let body = format!(
                r#"{{"id":{id},"result":{}{}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            );
            let _ = tcp.write_all(&text_frame(body.as_bytes())).await;
        }
        Behaviour::InvalidUtf8 => {
            let mut body = format!(r#"{{"id":{id},"result":""#).into_bytes();
            body.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
            body.extend_from_slice(br#""}"#);
            let _ = tcp.write_all(&text_frame(&body)).await;
        }
        Behaviour::HugeFrame => {
            const SIZE: u64 = 100_000_000;
            let mut header = vec![0x81, 127];
            header.extend_from_slice(&SIZE.to_be_bytes());
            if tcp.write_all(&header).await.is_err() {
                return;
            }
            let chunk = vec![b'a'; 64 * 1024];
            let mut sent = 0u64;
            while sent < SIZE {
                if tcp.write_all(&chunk).await.is_err() {
                    return;
                }
                sent += chunk.len() as u64;
            }
        }
        Behaviour::SlowDrip => {
            let body = json!({"id": id, "jsonrpc": "2.0", "result": true}).to_string();
            for b in text_frame(body.as_bytes()) {
                if tcp.write_all(&[b]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        }
        _ => {}
    }
    // Keep the socket until the client gives up on it (bounded).
    let _ = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

/// An unmasked, final text frame (server to client) with `payload`.
fn text_frame(payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x81];
    match payload.len() {
        n if n < 126 => f.push(n as u8),
        n if n < 65_536 => {
            f.push(126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(payload);
    f
}

/// One call from the probe.
pub struct Call {
    pub id: u64,
    pub method: String,
    /// The probe has subscribed on this connection (its `get_objects` was answered).
    pub subscribed: bool,
    text: String,
}

async fn next_call(ws: &mut WebSocketStream<TcpStream>) -> Option<Call> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(t)) => return parse_call(t.as_str(), false),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

fn parse_call(text: &str, subscribed: bool) -> Option<Call> {
    let v: Value = serde_json::from_str(text).ok()?;
    Some(Call {
        id: v["id"].as_u64()?,
        method: v["params"][1].as_str()?.to_owned(),
        subscribed,
        text: text.to_owned(),
    })
}

enum Verdict {
    Forward,
    Reply(String),
    HoldAndFlood,
}

/// Relays the probe's connection to `upstream` (an honest node), letting `decide`
/// answer or hold calls itself. Ends when either side goes away.
async fn proxy(
    mut down: WebSocketStream<TcpStream>,
    upstream: &str,
    mut decide: impl FnMut(&Call) -> Verdict,
    flooded: &AtomicUsize,
    flood_text: &str,
) {
    let Ok((mut up, _)) = tokio_tungstenite::connect_async(upstream).await else {
        return;
    };
    let mut subscribed = false;
    loop {
        tokio::select! {
            m = down.next() => {
                let Some(Ok(Message::Text(t))) = m else { return };
                let Some(call) = parse_call(t.as_str(), subscribed) else { return };
                if call.method == "get_objects" {
                    subscribed = true;
                }
                match decide(&call) {
                    Verdict::Forward => {
                        if up.send(Message::text(call.text)).await.is_err() {
                            return;
                        }
                    }
                    Verdict::Reply(text) => {
                        if down.send(Message::text(text)).await.is_err() {
                            return;
                        }
                    }
                    Verdict::HoldAndFlood => {
                        for _ in 0..FLOOD_NOTICES {
                            if down.send(Message::text(flood_text.to_owned())).await.is_err() {
                                return;
                            }
                            flooded.fetch_add(1, Ordering::Relaxed);
                        }
                        // Never answer; wait for the client to give up (bounded).
                        let _ = tokio::time::timeout(Duration::from_secs(30), async {
                            while let Some(Ok(_)) = down.next().await {}
                        })
                        .await;
                        return;
                    }
                }
            }
            m = up.next() => {
                let Some(Ok(m)) = m else { return };
                if m.is_text() && down.send(m).await.is_err() {
                    return;
                }
            }
        }
    }
}
