//! A simnet faucet: tapin's HTTP API (`POST /api/v1/accounts`, PROTOCOL §11) in front of a
//! simnet chain. It registers accounts with an `account_create` signed by its registrar's
//! key and pushed like any other transaction, so the chain checks it as a node would.
//!
//! Like tapin, errors are HTTP 200 with `{"error":{"base":[text]}}` and a body without
//! `account` is a 400. Unlike tapin's example config there is no loopback exemption from
//! the per-IP limit (every simnet client is on loopback, and tests must be able to hit it);
//! the limit keys on `X-Real-IP` when present, else the peer address.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::chain::{
    AccountCreateOp, AccountId, AccountOptions, Asset, Authority, ChainId, PrivateKey, PublicKey,
    TimePointSec, Transaction, tapos_from_block_id,
};

use super::faucet_rules::{self, Refusal, Registration};
use super::faults::FaultHandle;
use super::fc_error::FcError;
use super::node::{NetworkShared, unix_now};
use super::rpc_dispatch::TxSink;
use super::server::{MAX_BODY_BYTES, REQUEST_TIMEOUT, read_head};

/// tapin's `minIPAge` in its example config.
fn default_min_ip_age() -> u64 {
    300
}

/// `[[network.faucet]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaucetDescription {
    pub name: String,
    /// The lifetime member that pays for registrations.
    pub registrar: String,
    /// The registrar's active key (simnet keys only: the file holds it in clear).
    pub registrar_wif: String,
    /// Referrer when the request names none; default: the registrar.
    pub default_referrer: Option<String>,
    /// tapin's `referrer_percent`, in percent (×100 on chain).
    #[serde(default)]
    pub referrer_percent: u16,
    /// One registration per IP within this many seconds.
    #[serde(default = "default_min_ip_age")]
    pub min_ip_age_s: u64,
}

/// A running faucet.
pub struct FaucetRuntime {
    pub name: String,
    pub faults: FaultHandle,
    network: Arc<NetworkShared>,
    desc: FaucetDescription,
    key: PrivateKey,
    /// Last successful registration per client IP (unix seconds).
    ips: Mutex<HashMap<String, i64>>,
}

/// Flask's `abort(400)` page.
const BAD_REQUEST_HTML: &str = "<!doctype html>\n<html lang=en>\n<title>400 Bad Request</title>\n<h1>Bad Request</h1>\n<p>The browser (or proxy) sent a request that this server could not understand.</p>\n";

impl FaucetRuntime {
    pub fn new(network: Arc<NetworkShared>, desc: FaucetDescription) -> Result<Arc<Self>, String> {
        let key = PrivateKey::from_wif(desc.registrar_wif.trim())
            .map_err(|e| format!("faucet {:?}: registrar_wif: {e}", desc.name))?;
        if desc.referrer_percent > 100 {
            return Err(format!(
                "faucet {:?}: referrer_percent is in percent (0..=100)",
                desc.name
            ));
        }
        Ok(Arc::new(FaucetRuntime {
            name: desc.name.clone(),
            faults: FaultHandle::new(),
            network,
            desc,
            key,
            ips: Mutex::new(HashMap::new()),
        }))
    }

    fn last_success(&self, ip: &str) -> Option<i64> {
        match self.ips.lock() {
            Ok(m) => m.get(ip).copied(),
            Err(p) => p.into_inner().get(ip).copied(),
        }
    }

    fn remember(&self, ip: &str, now: i64) {
        let mut m = match self.ips.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        m.insert(ip.to_string(), now);
    }

    /// Answers one request body from `ip`: (HTTP status, content type, body).
    pub fn answer(&self, body: &[u8], ip: &str) -> (u16, &'static str, String) {
        let now = unix_now();
        let seen = faucet_rules::throttled(self.last_success(ip), now, self.desc.min_ip_age_s);
        let reply = faucet_rules::check_body(body, seen).and_then(|r| self.register(&r));
        match reply {
            Ok(v) => {
                self.remember(ip, now);
                (200, "application/json", v.to_string())
            }
            Err(Refusal::Malformed) => (400, "text/html; charset=utf-8", BAD_REQUEST_HTML.into()),
            Err(Refusal::Error(t)) => (
                200,
                "application/json",
                faucet_rules::error_body(&t).to_string(),
            ),
        }
    }

    /// The chain part, in tapin's order: the name is free, registrar and referrer exist,
    /// the keys parse, then the signed `account_create` goes to the chain.
    fn register(&self, r: &Registration) -> Result<Value, Refusal> {
        let err = |t: String| Refusal::Error(t);
        let (tx, reply) = self.network.with_chain(|c| {
            let s = c.state();
            if s.account_by_name(&r.name).is_some() {
                return Err(err(faucet_rules::ACCOUNT_EXISTS.into()));
            }
            let registrar_name = r.registrar.as_deref().unwrap_or(&self.desc.registrar);
            let registrar = s
                .account_by_name(registrar_name)
                .ok_or_else(|| err(format!("Unknown registrar: {registrar_name}")))?;
            let referrer_name = r
                .referrer
                .as_deref()
                .or(self.desc.default_referrer.as_deref())
                .unwrap_or(&self.desc.registrar);
            let referrer = s
                .account_by_name(referrer_name)
                .ok_or_else(|| err(format!("Unknown referrer: {referrer_name}")))?;
            let prefix = s.spec.prefix.clone();
            let key = |k: &str| {
                PublicKey::parse(k, &prefix).map_err(|_| err(faucet_rules::BAD_KEY.into()))
            };
            let (owner, active, memo) =
                (key(&r.owner_key)?, key(&r.active_key)?, key(&r.memo_key)?);
            let mut op = AccountCreateOp {
                fee: Asset::core(0),
                registrar: AccountId(registrar.instance),
                referrer: AccountId(referrer.instance),
                referrer_percent: self.desc.referrer_percent * 100,
                name: r.name.clone(),
                owner: Authority::single_key(owner),
                active: Authority::single_key(active),
                options: AccountOptions::with_memo_key(memo),
                extensions: Default::default(),
            };
            // python-bitshares asks the node for the fee of the op as built.
            op.fee = Asset::core(super::transactions::required_fee(s, &op.clone().into()));
            let referrer_name = referrer.name.clone();
            let tx = self.sign(c, op).map_err(|e| err(node_text(&e)))?;
            let reply = json!({"account": {
                "name": r.name, "owner_key": r.owner_key, "active_key": r.active_key,
                "memo_key": r.memo_key, "referrer": referrer_name,
            }});
            Ok((tx, reply))
        })?;
        // Outside the chain lock: the network applies it and tells its pending-tx watchers.
        self.network.push(&tx).map_err(|e| err(node_text(&e)))?;
        Ok(reply)
    }

    /// Signs `op` referencing the head block, expiring a minute after its time.
    fn sign(&self, c: &super::chain_state::Chain, op: AccountCreateOp) -> Result<Value, FcError> {
        let s = c.state();
        let internal = |t: String| {
            FcError::new(
                0,
                "exception",
                "unspecified",
                super::fc_error::site("simnet", 0, "faucet"),
                "${e}",
                json!({ "e": t }),
            )
        };
        let tapos =
            tapos_from_block_id(&s.dgp.head_block_id.hex()).map_err(|e| internal(e.to_string()))?;
        let chain_id = ChainId::from_hex(&s.spec.chain_id).map_err(|e| internal(e.to_string()))?;
        let t = Transaction::new(
            &tapos,
            TimePointSec((s.dgp.time + 60) as u32),
            vec![op.into()],
        );
        serde_json::to_value(t.sign(&self.key, &chain_id)).map_err(|e| internal(e.to_string()))
    }
}

/// What python-bitshares' `RPCError` carries and tapin passes on: the node's message.
fn node_text(e: &FcError) -> String {
    format!("Execution error: {}", e.detail_message())
}

/// The client address tapin keys the limit on: `X-Real-IP` when present, else the peer.
fn client_ip(head: &str, peer: Option<SocketAddr>) -> String {
    header(head, "x-real-ip")
        .map(str::to_string)
        .or_else(|| peer.map(|p| p.ip().to_string()))
        .unwrap_or_default()
}

fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.split("\r\n").skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

async fn reply(stream: &mut TcpStream, status: u16, content_type: &str, body: &str) {
    let reason = match status {
        200 => "OK",
        400 => "BAD REQUEST",
        404 => "NOT FOUND",
        405 => "METHOD NOT ALLOWED",
        411 => "LENGTH REQUIRED",
        413 => "REQUEST ENTITY TOO LARGE",
        _ => "ERROR",
    };
    let text = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(text.as_bytes()).await;
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
}

/// Serves one connection: one request, one reply.
pub async fn serve_faucet_connection(faucet: Arc<FaucetRuntime>, mut stream: TcpStream) {
    let peer = stream.peer_addr().ok();
    let mut buf = Vec::new();
    let head = match tokio::time::timeout(REQUEST_TIMEOUT, read_head(&mut stream, &mut buf)).await {
        Ok(Ok(h)) => h,
        _ => return,
    };
    let head_text = String::from_utf8_lossy(&buf[..head.len.min(buf.len())]).into_owned();
    let mut line = head_text.split("\r\n").next().unwrap_or("").split(' ');
    let (method, path) = (line.next().unwrap_or(""), line.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    if path != "/api/v1/accounts" {
        return reply(&mut stream, 404, "text/plain", "Not Found").await;
    }
    if method != "POST" {
        return reply(&mut stream, 405, "text/plain", "Method Not Allowed").await;
    }
    let Some(len) = head.content_length.filter(|_| !head.chunked) else {
        return reply(&mut stream, 411, "text/plain", "Length Required").await;
    };
    if len > MAX_BODY_BYTES {
        return reply(&mut stream, 413, "text/plain", "Request Entity Too Large").await;
    }
    if head.expect_continue
        && stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .is_err()
    {
        return;
    }
    let mut body = buf.split_off(head.len.min(buf.len()));
    body.truncate(len);
    if body.len() < len {
        let start = body.len();
        body.resize(len, 0);
        match tokio::time::timeout(REQUEST_TIMEOUT, stream.read_exact(&mut body[start..])).await {
            Ok(Ok(_)) => {}
            _ => return,
        }
    }
    let ip = client_ip(&head_text, peer);
    // `set_slow_processing`: a slow faucet (tests check the probe's latency shows it).
    if let Some(d) = faucet.faults.state().processing_time() {
        tokio::time::sleep(d).await;
    }
    let (status, content_type, text) = faucet.answer(&body, &ip);
    reply(&mut stream, status, content_type, &text).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_keys_on_x_real_ip_else_the_peer() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let head = "POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nX-Real-IP: 203.0.113.7\r\n\r\n";
        assert_eq!(client_ip(head, Some(peer)), "203.0.113.7");
        let head = "POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(client_ip(head, Some(peer)), "127.0.0.1");
    }
}
