//! The stand-in's I/O: the frontend that proxies each TCP connection (websocket or HTTP) to
//! a server picked by the backend, the periodic HTTP health check of every server, and the
//! runtime-API listener. Dropping the [`StandIn`] stops all of it.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::backend::{Backend, CheckParams, CheckResult, CheckStatus};
use super::formats::InfoContext;
use super::runtime_api::{self, Outcome};

/// `timeout connect` and `timeout check`, as in LOADBALANCER.md §9.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);
/// Largest health-check reply read.
const MAX_CHECK_REPLY: usize = 64 * 1024;
/// Servers tried for one client before giving up (`retries 2` + `option redispatch`).
const CONNECT_ATTEMPTS: usize = 3;

/// The check LOADBALANCER.md §9 recommends: the body must name the head block.
const CHECK_REQUEST_BODY: &str = r#"{"jsonrpc":"2.0","id":1,"method":"call","params":["database","get_dynamic_global_properties",[]]}"#;
const CHECK_EXPECT: &str = "head_block_number";

const NO_SERVER_REPLY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n";

/// One stand-in load balancer.
#[derive(Debug, Clone)]
pub struct StandInConfig {
    pub backend: String,
    /// (server name, address, weight), in config order.
    pub servers: Vec<(String, SocketAddr, u32)>,
    /// `inter`: time between two checks of one server.
    pub check_interval: Duration,
    pub check: CheckParams,
}

/// State shared by the listeners and checks.
pub struct Shared {
    backend: Mutex<Backend>,
    /// Per server: bumped by `shutdown sessions server` to close its sessions.
    kicks: Vec<watch::Sender<u64>>,
    info: InfoContext,
}

impl Shared {
    fn backend(&self) -> MutexGuard<'_, Backend> {
        // A panic while holding the lock leaves plain counters behind: keep serving.
        self.backend.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn execute(&self, command: &str) -> Outcome {
        runtime_api::execute(&mut self.backend(), &self.info, command, Instant::now())
    }

    pub(super) fn kick(&self, idx: usize) {
        if let Some(k) = self.kicks.get(idx) {
            k.send_modify(|g| *g += 1);
        }
    }
}

/// A running stand-in.
pub struct StandIn {
    pub frontend: SocketAddr,
    pub runtime_api: SocketAddr,
    /// The listeners and checks; dropping the set aborts them.
    _tasks: JoinSet<()>,
}

impl StandIn {
    /// Binds the frontend and the runtime API on 127.0.0.1 (OS-picked ports) and starts the
    /// checks.
    pub async fn start(cfg: StandInConfig) -> io::Result<StandIn> {
        let frontend = TcpListener::bind(("127.0.0.1", 0)).await?;
        let api = TcpListener::bind(("127.0.0.1", 0)).await?;
        let now = Instant::now();
        let shared = Arc::new(Shared {
            backend: Mutex::new(Backend::new(&cfg.backend, &cfg.servers, cfg.check, now)),
            kicks: cfg.servers.iter().map(|_| watch::channel(0).0).collect(),
            info: InfoContext {
                pid: std::process::id(),
                started: now,
                start_unix: crate::simnet::node::unix_now(),
            },
        });
        let (frontend_addr, api_addr) = (frontend.local_addr()?, api.local_addr()?);
        let mut tasks = JoinSet::new();
        tasks.spawn(accept_loop(api, Arc::clone(&shared), runtime_api::serve));
        tasks.spawn(accept_loop(frontend, Arc::clone(&shared), proxy_connection));
        for (idx, (_, addr, _)) in cfg.servers.iter().enumerate() {
            tasks.spawn(check_loop(
                Arc::clone(&shared),
                idx,
                *addr,
                cfg.check_interval,
            ));
        }
        Ok(StandIn {
            frontend: frontend_addr,
            runtime_api: api_addr,
            _tasks: tasks,
        })
    }
}

async fn accept_loop<F, Fut>(listener: TcpListener, shared: Arc<Shared>, on_conn: F)
where
    F: Fn(Arc<Shared>, TcpStream) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((s, _)) => {
                    conns.spawn(on_conn(Arc::clone(&shared), s));
                }
                // Out of descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

/// Proxies one client to a picked server until either side closes or the server's
/// sessions are shut down.
async fn proxy_connection(shared: Arc<Shared>, mut client: TcpStream) {
    for _ in 0..CONNECT_ATTEMPTS {
        let Some((idx, addr)) = ({
            let mut b = shared.backend();
            b.pick().map(|i| (i, b.servers[i].addr))
        }) else {
            let _ = client.write_all(NO_SERVER_REPLY).await;
            return;
        };
        let mut kick = shared.kicks[idx].subscribe();
        kick.borrow_and_update();
        let server = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await;
        let Ok(Ok(mut server)) = server else {
            // Redispatch: a refused connect is tried on the next pick.
            shared.backend().session_closed(idx);
            continue;
        };
        tokio::select! {
            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
            _ = kick.changed() => {}
        }
        shared.backend().session_closed(idx);
        return;
    }
    let _ = client.write_all(NO_SERVER_REPLY).await;
}

async fn check_loop(shared: Arc<Shared>, idx: usize, addr: SocketAddr, interval: Duration) {
    loop {
        let paused = shared
            .backend()
            .servers
            .get(idx)
            .is_none_or(|s| s.in_maint());
        if !paused {
            let result = http_check(addr).await;
            shared.backend().record_check(idx, result, Instant::now());
        }
        tokio::time::sleep(interval).await;
    }
}

/// `option httpchk` with `http-check expect string head_block_number`.
pub async fn http_check(addr: SocketAddr) -> CheckResult {
    let started = Instant::now();
    let done = |status, code, detail: &str| CheckResult {
        status,
        code,
        duration: started.elapsed(),
        detail: detail.to_string(),
    };
    let mut stream = match tokio::time::timeout(CHECK_TIMEOUT, TcpStream::connect(addr)).await {
        Err(_) => return done(CheckStatus::L4Tout, None, ""),
        Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {
            return done(CheckStatus::L4Con, None, "Connection refused");
        }
        Ok(Err(e)) => return done(CheckStatus::L4Con, None, &e.to_string()),
        Ok(Ok(s)) => s,
    };
    let request = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{CHECK_REQUEST_BODY}",
        CHECK_REQUEST_BODY.len()
    );
    let exchange = async {
        stream.write_all(request.as_bytes()).await?;
        read_http_reply(&mut stream).await
    };
    let reply = match tokio::time::timeout(CHECK_TIMEOUT, exchange).await {
        Err(_) => return done(CheckStatus::L7Tout, None, ""),
        Ok(Err(e)) => return done(CheckStatus::L7Rsp, None, &e.to_string()),
        Ok(Ok(r)) => r,
    };
    let text = String::from_utf8_lossy(&reply);
    let code = text
        .strip_prefix("HTTP/1.")
        .and_then(|r| r.get(2..5))
        .and_then(|c| c.parse::<u16>().ok());
    match code {
        None => done(CheckStatus::L7Rsp, None, "Not an HTTP response"),
        Some(200) if text.contains(CHECK_EXPECT) => done(CheckStatus::L7Ok, Some(200), ""),
        Some(200) => done(
            CheckStatus::L7Rsp,
            Some(200),
            "HTTP content check did not match",
        ),
        Some(c) => done(CheckStatus::L7Sts, Some(c), &format!("HTTP status {c}")),
    }
}

/// Reads a reply until its `Content-Length` body is complete or the server closes.
async fn read_http_reply(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(buf);
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > MAX_CHECK_REPLY {
            return Ok(buf);
        }
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        if let Some(len) = length
            && buf.len() >= end + 4 + len
        {
            return Ok(buf);
        }
    }
}
