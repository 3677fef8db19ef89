//! The faucet HTTP client: `POST {url}/api/v1/accounts` with the reference wallet's body
//! (PROTOCOL §11), the reply kept verbatim and classified, and a reachability probe that can
//! never register anything.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::chain::{PrivateKey, PublicKey, operations::is_valid_name};

use super::classify::{Class, Verdict, classify};

/// Largest reply body read.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// An account's three public keys, in the chain's prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Keys {
    pub owner: String,
    pub active: String,
    pub memo: String,
}

impl Keys {
    /// Keys derived from a password as `keys derive` and the reference wallet do. The
    /// password is only borrowed; nothing derived from it but the public keys is kept.
    pub fn from_password(account: &str, password: &str, prefix: &str) -> Result<Keys, String> {
        if password.is_empty() {
            return Err("empty password".into());
        }
        let derive = |role: &str| -> Result<String, String> {
            let k = PrivateKey::from_password(account, role, password)
                .map_err(|e| format!("deriving the {role} key: {e}"))?;
            Ok(k.public_key().to_string_with_prefix(prefix))
        };
        Ok(Keys {
            owner: derive("owner")?,
            active: derive("active")?,
            memo: derive("memo")?,
        })
    }

    /// Public keys as given, checked against the chain's prefix.
    pub fn from_public(
        owner: &str,
        active: &str,
        memo: &str,
        prefix: &str,
    ) -> Result<Keys, String> {
        let check = |role: &str, k: &str| {
            PublicKey::parse(k.trim(), prefix)
                .map(|p| p.to_string_with_prefix(prefix))
                .map_err(|e| format!("--{role} {k:?}: {e}"))
        };
        Ok(Keys {
            owner: check("owner", owner)?,
            active: check("active", active)?,
            memo: check("memo", memo)?,
        })
    }
}

/// One registration request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub name: String,
    pub keys: Keys,
    pub referrer: Option<String>,
}

impl Request {
    /// The body the reference wallet sends.
    pub fn body(&self) -> Value {
        json!({"account": {
            "name": self.name,
            "owner_key": self.keys.owner,
            "active_key": self.keys.active,
            "memo_key": self.keys.memo,
            "refcode": null,
            "referrer": self.referrer,
        }})
    }
}

/// What came back, verbatim, and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// None when no HTTP reply arrived (or the request was never sent).
    pub status: Option<u16>,
    /// The body as received, or the transport error.
    pub body: String,
    pub verdict: Verdict,
    /// False when the client refused the request itself (a name the chain would refuse).
    pub sent: bool,
}

impl Reply {
    pub fn class(&self) -> Class {
        self.verdict.class
    }

    /// The audit line of this registration attempt: the public keys and the result,
    /// never a password (the request holds none).
    pub fn audit_entry(
        &self,
        network: &str,
        endpoint: &url::Url,
        req: &Request,
    ) -> crate::audit::Entry {
        let mut entry = crate::audit::Entry::now(
            network,
            endpoint.as_str(),
            &format!("register {}", req.name),
        );
        entry.after = json!({
            "name": req.name,
            "owner_key": req.keys.owner,
            "active_key": req.keys.active,
            "memo_key": req.keys.memo,
            "referrer": req.referrer,
            "http_status": self.status,
            "class": self.class(),
        });
        entry.result = if self.class() == Class::Registered {
            "registered".into()
        } else {
            format!(
                "failed: {}: {}",
                self.class().label(),
                self.verdict.texts.join("; ")
            )
        };
        entry
    }
}

/// A faucet at `url` (its base; `/api/v1/accounts` is appended).
pub struct FaucetClient {
    endpoint: url::Url,
    http: reqwest::Client,
}

impl FaucetClient {
    pub fn new(url: &url::Url, ca_file: Option<&Path>, timeout: Duration) -> Result<Self, String> {
        let endpoint = endpoint_of(url)?;
        let tls = crate::rpc::tls::client_config(ca_file)?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .use_preconfigured_tls(tls)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| format!("HTTP client setup: {e}"))?;
        Ok(FaucetClient { endpoint, http })
    }

    pub fn endpoint(&self) -> &url::Url {
        &self.endpoint
    }

    /// POSTs `body` and reads the reply (capped), whatever its status.
    pub async fn post(&self, body: &Value) -> Reply {
        let sent = self
            .http
            .post(self.endpoint.clone())
            .header("Accept", "application/json")
            .json(body)
            .send()
            .await;
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => return down(format!("{}: {e}", self.endpoint)),
        };
        let status = resp.status().as_u16();
        let mut bytes = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    bytes.extend_from_slice(&c);
                    if bytes.len() > MAX_REPLY_BYTES {
                        bytes.truncate(MAX_REPLY_BYTES);
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => return down(format!("{}: reading the reply: {e}", self.endpoint)),
            }
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Reply {
            status: Some(status),
            verdict: classify(status, &text),
            body: text,
            sent: true,
        }
    }

    /// Sends the request as it is, without the client's own checks (tests use it to see
    /// what the faucet answers to a name the client would never send).
    pub async fn send(&self, req: &Request) -> Reply {
        self.post(&req.body()).await
    }

    /// Registers, unless the name breaks the chain's name rules: then nothing is sent.
    pub async fn register(&self, req: &Request) -> Reply {
        if let Err(text) = check_name(&req.name) {
            return Reply {
                status: None,
                body: text.clone(),
                verdict: Verdict {
                    class: Class::InvalidName,
                    texts: vec![text],
                },
                sent: false,
            };
        }
        self.send(req).await
    }

    /// Reachability without side effects: a body with no `account`, which every faucet
    /// refuses as malformed (tapin: 400). Any HTTP answer below 500 means reachable.
    pub async fn probe(&self) -> Probe {
        let started = std::time::Instant::now();
        let r = self.post(&json!({ "probe": "btsops" })).await;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let reachable = matches!(r.status, Some(s) if s < 500);
        Probe {
            reachable,
            status: r.status,
            latency_ms: r.status.map(|_| elapsed),
            detail: r.body,
        }
    }
}

/// Where registrations go for a faucet at `url`: `{url}/api/v1/accounts`.
pub fn endpoint_of(url: &url::Url) -> Result<url::Url, String> {
    let base = url.as_str().trim_end_matches('/');
    url::Url::parse(&format!("{base}/api/v1/accounts"))
        .map_err(|e| format!("faucet url {url}: {e}"))
}

/// The result of [`FaucetClient::probe`].
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub reachable: bool,
    pub status: Option<u16>,
    /// From sending the request to the whole reply, when one came.
    pub latency_ms: Option<f64>,
    pub detail: String,
}

fn down(text: String) -> Reply {
    Reply {
        status: None,
        body: text.clone(),
        verdict: Verdict {
            class: Class::FaucetDown,
            texts: vec![text],
        },
        sent: true,
    }
}

/// The chain's name rules (graphene `is_valid_name`), with the reason spelled out.
pub fn check_name(name: &str) -> Result<(), String> {
    if is_valid_name(name) {
        return Ok(());
    }
    let why = if name.is_empty() || name.len() > 63 {
        "must be 1 to 63 characters"
    } else if name.bytes().any(|c| c.is_ascii_uppercase()) {
        "must be lowercase"
    } else {
        "each dot-separated part must start with a letter, hold only a-z, 0-9 and -, and end with a letter or digit"
    };
    Err(format!("{name:?} is not a valid account name: {why}"))
}

/// A password read for one registration; wiped from memory when dropped.
pub type Password = Zeroizing<String>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_a_password_match_keys_derive() {
        let k = Keys::from_password("alice-1", "correct horse battery", "TEST").unwrap();
        let text =
            crate::cmd::keys::derive("alice-1", "correct horse battery", "TEST", false, false)
                .unwrap();
        for key in [&k.owner, &k.active, &k.memo] {
            assert!(text.contains(key.as_str()), "{key} not in {text}");
        }
        assert!(k.owner.starts_with("TEST") && k.owner != k.active);
    }

    #[test]
    fn bad_names_are_explained_and_public_keys_checked() {
        assert!(check_name("alice-1").is_ok());
        assert!(check_name("Alice").unwrap_err().contains("lowercase"));
        assert!(
            check_name("1abc")
                .unwrap_err()
                .contains("start with a letter")
        );
        assert!(check_name("").is_err());
        let pubkey = "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";
        assert!(Keys::from_public(pubkey, pubkey, pubkey, "BTS").is_ok());
        assert!(Keys::from_public(pubkey, pubkey, pubkey, "TEST").is_err());
    }

    #[test]
    fn the_body_has_the_wallets_shape() {
        let k = Keys::from_password("a-1", "pw", "BTS").unwrap();
        let r = Request {
            name: "a-1".into(),
            keys: k.clone(),
            referrer: None,
        };
        let b = r.body();
        assert_eq!(b["account"]["owner_key"], json!(k.owner));
        assert_eq!(b["account"]["refcode"], Value::Null);
        assert_eq!(b["account"]["referrer"], Value::Null);
        assert_eq!(b["account"].as_object().unwrap().len(), 6);
    }
}
