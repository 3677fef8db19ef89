//! One-shot JSON-RPC over HTTP POST (PROTOCOL.md §1): the node answers a non-upgrade
//! request on the same port, with a fresh API context per request.

use serde_json::Value;

use super::client::{ConnectOptions, parse_url};
use super::error::{Failure, RpcError, TransportKind};
use super::frame::{self, Api, ApiRef};
use super::tls;

/// Call `api.method(params)` with one HTTP POST. `ws://`/`wss://` URLs map to
/// `http://`/`https://` so one configured endpoint serves both paths. The body is parsed
/// whatever the status (200 with an error body, 500 for −32603, 400 for ≤ −32600), and
/// read only up to `opts.max_frame_bytes`.
///
/// API sets other than database/login are passed by name (`["network_broadcast", ...]`)
/// since ids cannot be cached across HTTP requests.
pub async fn http_call(
    url: &str,
    api: Api,
    method: &str,
    params: Value,
    opts: &ConnectOptions,
) -> Result<Value, RpcError> {
    let call = format!("{}.{}", api.name(), method);
    let mut target = parse_url(url, &["ws", "wss", "http", "https"])?;
    let endpoint = target.display.clone();
    let fail = |f: Failure| f.into_error(&endpoint, &call);

    let scheme = match target.url.scheme() {
        "ws" => Some("http"),
        "wss" => Some("https"),
        _ => None,
    };
    if let Some(scheme) = scheme {
        // Switching between these special schemes cannot fail.
        let _ = target.url.set_scheme(scheme);
    }
    let params = frame::normalize_params(params).map_err(fail)?;
    let api_ref = match api.fixed_id() {
        Some(id) => ApiRef::Id(id),
        None => ApiRef::Name(api.name()),
    };
    let body = frame::encode_call(1, api_ref, method, params);

    let tls_config =
        tls::client_config(opts.ca_file.as_deref()).map_err(|d| fail(Failure::Config(d)))?;
    let client = reqwest::Client::builder()
        .timeout(opts.timeout)
        .connect_timeout(opts.timeout)
        .use_preconfigured_tls(tls_config)
        // A health check must reach the configured node itself, not whatever a redirect
        // or an environment proxy points at.
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .map_err(|e| fail(Failure::Config(format!("HTTP client setup: {e}"))))?;

    let mut request = client
        .post(target.url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body);
    let credentials = opts.credentials.clone().or(target.credentials.take());
    if let Some(header) = credentials.as_ref().and_then(|c| c.basic_header()) {
        request = request.header(reqwest::header::AUTHORIZATION, header);
    }

    let timed_out = || RpcError::Timeout {
        endpoint: endpoint.clone(),
        method: call.clone(),
        after: opts.timeout,
    };
    let outcome = tokio::time::timeout(opts.timeout, async {
        let mut response = request.send().await.map_err(reqwest_failure)?;
        let status = response.status();
        let limit = opts.max_frame_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(Failure::Protocol(format!(
                "HTTP {status}: body larger than {limit} bytes"
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(reqwest_failure)? {
            if body.len() + chunk.len() > limit {
                return Err(Failure::Protocol(format!(
                    "HTTP {status}: body larger than {limit} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        match frame::parse_http_reply(&body) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(node)) => Err(Failure::Node(Box::new(node))),
            Err(detail) if status.is_success() => Err(Failure::Protocol(detail)),
            Err(detail) => Err(Failure::Transport(
                TransportKind::Http,
                format!("HTTP {status}: {detail}"),
            )),
        }
    })
    .await;
    match outcome {
        Err(_) => Err(timed_out()),
        Ok(Err(f)) if is_timeout_failure(&f) => Err(timed_out()),
        Ok(r) => r.map_err(fail),
    }
}

fn is_timeout_failure(f: &Failure) -> bool {
    matches!(f, Failure::Transport(TransportKind::Io, d) if d == TIMEOUT_MARK)
}

const TIMEOUT_MARK: &str = "timed out";

fn reqwest_failure(e: reqwest::Error) -> Failure {
    if e.is_timeout() {
        return Failure::Transport(TransportKind::Io, TIMEOUT_MARK.to_owned());
    }
    // reqwest hides the cause chain in Display; walk it to find TLS and refusal causes.
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    let mut kind = if e.is_connect() {
        TransportKind::Connect
    } else {
        TransportKind::Io
    };
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        if s.downcast_ref::<rustls::Error>().is_some()
            || s.downcast_ref::<std::io::Error>()
                .is_some_and(tls::is_tls_io_error)
        {
            kind = TransportKind::Tls;
        }
        source = s.source();
    }
    Failure::Transport(kind, detail)
}
