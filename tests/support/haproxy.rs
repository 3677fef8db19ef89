//! A real `haproxy -db` for tests, in front of simnet nodes: a generated config in a temp
//! dir (admin socket there, frontend and TCP runtime API on free loopback ports), started,
//! waited on until every server passed a check, stopped with SIGTERM on drop.
//!
//! Absent haproxy: the test prints a SKIP line and returns, unless
//! `BTSOPS_REQUIRE_HAPROXY=1`, where a missing haproxy fails the test.

#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use btsops::lb::{Client, Endpoint, Mode, Snapshot};
use btsops::rpc::{Api, RpcClient};
use btsops::simnet::FleetHandle;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::oracle::skip_line;

pub const BACKEND: &str = "be";

fn required() -> bool {
    std::env::var("BTSOPS_REQUIRE_HAPROXY").is_ok_and(|v| v == "1")
}

fn on_path(prog: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(prog))
        .find(|p| p.is_file())
}

/// `$HAPROXY_BIN`, else `haproxy` on PATH; None after a SKIP line.
pub fn haproxy_bin(test: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HAPROXY_BIN") {
        return Some(PathBuf::from(p));
    }
    let found = on_path("haproxy");
    if found.is_none() {
        assert!(
            !required(),
            "BTSOPS_REQUIRE_HAPROXY=1 but no haproxy on PATH"
        );
        skip_line(&format!(
            "SKIP {test}: no haproxy on PATH (apt-get install haproxy; set BTSOPS_REQUIRE_HAPROXY=1 to fail instead)"
        ));
    }
    found
}

/// `socat` on PATH, required with haproxy (the exec: transport tests use it).
pub fn socat_bin(test: &str) -> Option<PathBuf> {
    let found = on_path("socat");
    if found.is_none() {
        assert!(!required(), "BTSOPS_REQUIRE_HAPROXY=1 but no socat on PATH");
        skip_line(&format!(
            "SKIP {test}: no socat on PATH (apt-get install socat)"
        ));
    }
    found
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral loopback port");
    l.local_addr().expect("local addr").port()
}

/// How the test HAProxy is set up.
#[derive(Clone)]
pub struct Options {
    /// `roundrobin` or `leastconn`.
    pub balance: &'static str,
    /// Master-worker mode with a master CLI (`-W -S`), so SIGUSR2 reloads it.
    pub master_worker: bool,
    /// Servers (by node name) marked `backup`.
    pub backups: Vec<String>,
    /// A btsops agent on this loopback port: every server gets `agent-check` with
    /// `agent-send "NAME\n"` (README's server line, polled every 200 ms here).
    pub agent_port: Option<u16>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            balance: "roundrobin",
            master_worker: false,
            backups: Vec::new(),
            agent_port: None,
        }
    }
}

pub struct Haproxy {
    child: Child,
    pub dir: tempfile::TempDir,
    /// `level admin` unix socket.
    pub admin_sock: PathBuf,
    /// `level user` unix socket (read-only).
    pub user_sock: PathBuf,
    /// `level admin` TCP runtime API on loopback.
    pub tcp_api: SocketAddr,
    /// The frontend: `ws://127.0.0.1:P`.
    pub frontend: String,
}

/// The health check as LOADBALANCER.md §9 has it: the body must name the head block.
const CHECK: &str = r#"    option httpchk
    http-check send meth POST uri / ver HTTP/1.1 hdr Host localhost hdr Content-Type application/json body '{"jsonrpc":"2.0","id":1,"method":"call","params":["database","get_dynamic_global_properties",[]]}'
    http-check expect string head_block_number
    default-server check inter 100ms fastinter 50ms downinter 100ms fall 2 rise 1
"#;

fn config(
    dir: &Path,
    fe_port: u16,
    tcp_port: u16,
    servers: &[(String, SocketAddr)],
    o: &Options,
) -> String {
    let mut c = format!(
        "global\n    stats socket {d}/admin.sock mode 600 level admin\n    stats socket {d}/ro.sock mode 600 level user\n    stats socket ipv4@127.0.0.1:{tcp_port} level admin\n    stats timeout 30s\n    noreuseport\n\
defaults\n    mode http\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\n    timeout tunnel 1h\n    timeout check 1s\n    option redispatch\n    retries 2\n\
frontend fe\n    bind 127.0.0.1:{fe_port}\n    default_backend {BACKEND}\n\
backend {BACKEND}\n    balance {}\n{CHECK}",
        o.balance,
        d = dir.display()
    );
    for (name, addr) in servers {
        let backup = if o.backups.contains(name) {
            " backup"
        } else {
            ""
        };
        let agent = o.agent_port.map_or(String::new(), |p| {
            format!(
                " agent-check agent-addr 127.0.0.1 agent-port {p} agent-inter 200ms agent-send \"{name}\\n\""
            )
        });
        c += &format!("    server {name} {addr}{backup}{agent}\n");
    }
    c
}

impl Haproxy {
    /// Starts HAProxy in front of the named simnet nodes (server name = node name) and
    /// waits until every server passed a check. None when haproxy is absent (after a SKIP).
    pub async fn start(
        test: &str,
        fleet: &FleetHandle,
        nodes: &[&str],
        o: Options,
    ) -> Option<Haproxy> {
        let bin = haproxy_bin(test)?;
        let servers: Vec<(String, SocketAddr)> = nodes
            .iter()
            .map(|n| {
                let ep = fleet.endpoint("mainnet", n).expect("node exists");
                (n.to_string(), ep.addr)
            })
            .collect();
        let dir = tempfile::Builder::new()
            .prefix("hx")
            .tempdir()
            .expect("temp dir");
        let cfg_path = dir.path().join("haproxy.cfg");
        let log_path = dir.path().join("haproxy.log");
        // A free port is free only for a moment: retry with new ones if haproxy could not bind.
        for attempt in 0..3 {
            let (fe_port, tcp_port) = (free_port(), free_port());
            std::fs::write(
                &cfg_path,
                config(dir.path(), fe_port, tcp_port, &servers, &o),
            )
            .expect("write config");
            let check = Command::new(&bin)
                .arg("-c")
                .arg("-f")
                .arg(&cfg_path)
                .output()
                .expect("run haproxy -c");
            assert!(
                check.status.success(),
                "haproxy -c refused the test config: {}{}",
                String::from_utf8_lossy(&check.stdout),
                String::from_utf8_lossy(&check.stderr)
            );
            let log = std::fs::File::create(&log_path).expect("log file");
            let mut cmd = Command::new(&bin);
            cmd.arg("-db").arg("-f").arg(&cfg_path);
            if o.master_worker {
                cmd.arg("-W")
                    .arg("-S")
                    .arg(format!("{}/master.sock,mode,600", dir.path().display()));
            }
            let child = cmd
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log fd"))
                .stderr(log)
                .spawn()
                .expect("spawn haproxy");
            let mut child = child;
            let admin_sock = dir.path().join("admin.sock");
            match wait_ready(&mut child, &admin_sock, &log_path).await {
                Ok(()) => {
                    return Some(Haproxy {
                        child,
                        user_sock: dir.path().join("ro.sock"),
                        admin_sock,
                        tcp_api: SocketAddr::from(([127, 0, 0, 1], tcp_port)),
                        frontend: format!("ws://127.0.0.1:{fe_port}"),
                        dir,
                    });
                }
                Err(log) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    if !(log.contains("cannot bind") && attempt < 2) {
                        panic!("haproxy did not become ready: {log}");
                    }
                    eprintln!("haproxy attempt {attempt}: port taken, retrying: {log}");
                }
            }
        }
        panic!("haproxy could not bind free ports in 3 attempts")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("haproxy.log")).unwrap_or_default()
    }

    pub fn client(&self) -> Client {
        Client::new(
            Endpoint::Unix(self.admin_sock.clone()),
            Duration::from_secs(5),
        )
    }

    pub async fn snapshot(&self) -> Snapshot {
        self.client()
            .snapshot()
            .await
            .expect("read the load balancer")
    }

    /// The process id (the master's in master-worker mode).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Reloads a master-worker HAProxy with SIGUSR2. Waits first until the master CLI
    /// answers `show proc`: a master still starting up can miss the signal.
    pub async fn reload(&self) {
        let sock = self.dir.path().join("master.sock");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let ask = async {
                let mut s = tokio::net::UnixStream::connect(&sock).await?;
                s.write_all(b"show proc\n").await?;
                // The 2.6 master CLI answers only after the client's half-close.
                s.shutdown().await?;
                let mut out = String::new();
                s.read_to_string(&mut out).await?;
                Ok::<_, std::io::Error>(out)
            };
            match tokio::time::timeout(Duration::from_secs(2), ask).await {
                Ok(Ok(out)) if out.contains("master") => break,
                _ if Instant::now() > deadline => {
                    panic!("master CLI not answering: {}", self.log())
                }
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        self.signal("USR2");
    }

    /// Sends a signal by name (`USR2`, `TERM`) to the haproxy process.
    pub fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(st.success(), "kill -{sig} failed");
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.signal("TERM");
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Polls the admin socket (every 10 ms, up to 5 s) until it answers and every server is
/// running with a passed check. Err(log) when haproxy exits or time runs out.
async fn wait_ready(child: &mut Child, admin_sock: &Path, log: &Path) -> Result<(), String> {
    let client = Client::new(
        Endpoint::Unix(admin_sock.to_path_buf()),
        Duration::from_secs(5),
    );
    let read_log = || std::fs::read_to_string(log).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(Some(st)) = child.try_wait() {
            return Err(format!("haproxy exited ({st}): {}", read_log()));
        }
        match client.snapshot().await {
            Ok(s)
                if !s.servers.is_empty()
                    && s.servers.iter().all(|x| x.checked && x.mode == Mode::Ready) =>
            {
                return Ok(());
            }
            Ok(s) => {
                last = format!(
                    "{:?}",
                    s.servers
                        .iter()
                        .map(|x| (&x.name, &x.status))
                        .collect::<Vec<_>>()
                )
            }
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err(format!(
        "not ready after 5 s (last: {last}): {}",
        read_log()
    ))
}

/// Which node a client reached through the frontend: each simnet node names itself in
/// `login.get_info`.
pub async fn whoami(client: &RpcClient) -> String {
    let v = client
        .call(Api::Login, "get_info", serde_json::json!([]))
        .await
        .expect("get_info through the load balancer");
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

/// `get_info` text of each node, asked directly, so answers through the LB map to names.
pub async fn node_infos(fleet: &FleetHandle, nodes: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for n in nodes {
        let c = super::simnet::connect(fleet, n).await;
        out.push((whoami(&c).await, n.to_string()));
    }
    out
}

/// Opens a websocket through the frontend and says which node answered.
pub async fn connect_through(h: &Haproxy, infos: &[(String, String)]) -> (RpcClient, String) {
    connect_via(&h.frontend, infos).await
}

/// Opens a websocket through a load balancer's frontend `ws://…` and says which node
/// answered.
pub async fn connect_via(frontend: &str, infos: &[(String, String)]) -> (RpcClient, String) {
    let c = RpcClient::connect(frontend, super::simnet::opts(Duration::from_secs(5)))
        .await
        .unwrap_or_else(|e| panic!("connect through the load balancer {frontend}: {e}"));
    let info = whoami(&c).await;
    let name = infos
        .iter()
        .find(|(i, _)| *i == info)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| panic!("unknown node info {info:?}"));
    (c, name)
}

/// Runs the btsops binary with a deadline (killed and failed after `secs`).
pub fn btsops(args: &[&str], env: &[(&str, &str)], secs: u64) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_btsops"));
    cmd.args(args)
        .env_remove("BTSOPS_CONFIG")
        .env("HOME", "/nonexistent-btsops-home")
        .env_remove("XDG_STATE_HOME")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn btsops");
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("btsops {args:?} still running after {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
