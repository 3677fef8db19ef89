//! Prometheus exposition shared by `btsops export` and `stress run --metrics`: the text
//! encoding of a registry (`prometheus-client`) and the small HTTP/1 server both are
//! served by (hyper). The server answers `GET`/`HEAD` from a route function and nothing
//! else; it reads no body and holds no connection longer than a scrape needs.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

/// What Prometheus negotiates for the encoding `prometheus-client` writes.
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
pub const JSON_CONTENT_TYPE: &str = "application/json";
pub const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// A client that sends no complete request head in this long is dropped.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// No connection lives longer than this, whatever the client does.
const CONNECTION_LIMIT: Duration = Duration::from_secs(30);

/// The registry as exposition text.
pub fn encode(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail; an encoder error would be a bug in a metric.
    if let Err(e) = prometheus_client::encoding::text::encode(&mut out, registry) {
        out = format!("# encoding failed: {e}\n");
    }
    out
}

/// One answer of a route function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Reply {
    pub fn ok(content_type: &'static str, body: String) -> Reply {
        Reply {
            status: 200,
            content_type,
            body,
        }
    }

    pub fn not_found() -> Reply {
        Reply {
            status: 404,
            content_type: TEXT_CONTENT_TYPE,
            body: "not found\n".into(),
        }
    }
}

/// The request as a route function sees it: path and query string (without `?`).
pub type Route = Arc<dyn Fn(&str, Option<&str>) -> Reply + Send + Sync>;

/// Serves `route` on `listener` until `stop` completes.
pub async fn serve(listener: TcpListener, route: Route, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        let conn = tokio::select! {
            c = listener.accept() => c,
            _ = &mut stop => return,
        };
        // Accept errors (out of descriptors) are transient: the next accept may succeed.
        let Ok((stream, _)) = conn else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let route = Arc::clone(&route);
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<Incoming>| {
                let reply = respond(&route, &req);
                async move { Ok::<_, Infallible>(reply) }
            });
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), svc);
            let _ = tokio::time::timeout(CONNECTION_LIMIT, conn).await;
        });
    }
}

fn respond(route: &Route, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let reply = if req.method() == Method::GET || req.method() == Method::HEAD {
        route(req.uri().path(), req.uri().query())
    } else {
        Reply {
            status: 405,
            content_type: TEXT_CONTENT_TYPE,
            body: "only GET and HEAD\n".into(),
        }
    };
    let body = if req.method() == Method::HEAD {
        Bytes::new()
    } else {
        Bytes::from(reply.body)
    };
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    // An HTTP/1.0 client (curl -0, a plain socket) gets an HTTP/1.0 answer.
    *resp.version_mut() = req.version();
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(reply.content_type),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::metrics::gauge::Gauge;

    #[test]
    fn encodes_a_registry_with_help_and_type() {
        let mut r = Registry::with_prefix("btsops");
        let g: Gauge = Gauge::default();
        g.set(7);
        r.register("answer", "The answer", g);
        let t = encode(&r);
        assert!(
            t.contains(
                "# HELP btsops_answer The answer.\n# TYPE btsops_answer gauge\nbtsops_answer 7\n"
            ),
            "{t}"
        );
        assert!(t.ends_with("# EOF\n"), "{t}");
    }
}
