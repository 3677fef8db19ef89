//! A real `haproxy -db` for `btsops demo`, in front of simnet nodes: a generated config in a
//! temp dir (admin socket there, frontend on a free loopback port, `noreuseport`), checked
//! with `haproxy -c`, started, waited on until its runtime API answers, and stopped with
//! SIGTERM (then SIGKILL) when dropped.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::lb::{Client, Endpoint};
use crate::simnet::LbEndpoint;
use crate::simnet::fleet::LbDescription;

/// How long haproxy gets to answer on its admin socket (it needs ~50 ms).
const READY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long haproxy gets to exit after SIGTERM (it needs a few ms).
const STOP_TIMEOUT: Duration = Duration::from_secs(3);

/// `$HAPROXY_BIN`, else `haproxy` on PATH.
pub fn find() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HAPROXY_BIN") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("haproxy"))
        .find(|p| p.is_file())
}

/// A running haproxy; dropping it stops the process and deletes its temp dir.
pub struct Haproxy {
    child: Child,
    dir: tempfile::TempDir,
}

/// Drop stops haproxy on every normal exit; this covers the demo being killed outright
/// (SIGKILL): the kernel sends haproxy SIGTERM when the spawning thread ends.
#[cfg(target_os = "linux")]
fn stop_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn stop_with_parent(_cmd: &mut Command) {}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The config: LOADBALANCER.md §9's check, with the stand-in's check timing.
fn config(
    dir: &Path,
    fe_port: u16,
    lb: &LbDescription,
    servers: &[(String, SocketAddr)],
) -> String {
    let mut c = format!(
        "global\n    stats socket {d}/admin.sock mode 600 level admin\n    stats timeout 30s\n    noreuseport\n\
defaults\n    mode http\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\n    timeout tunnel 1h\n    timeout check 1s\n    option redispatch\n    retries 2\n\
frontend fe\n    bind 127.0.0.1:{fe_port}\n    default_backend {be}\n\
backend {be}\n    balance roundrobin\n    option httpchk\n\
    http-check send meth POST uri / ver HTTP/1.1 hdr Host localhost hdr Content-Type application/json body '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"call\",\"params\":[\"database\",\"get_dynamic_global_properties\",[]]}}'\n\
    http-check expect string head_block_number\n\
    default-server check inter {inter}ms fall {fall} rise {rise}\n",
        d = dir.display(),
        be = lb.backend,
        inter = lb.check_interval_ms,
        fall = lb.fall,
        rise = lb.rise,
    );
    for (name, addr) in servers {
        c += &format!("    server {name} {addr}\n");
    }
    c
}

impl Haproxy {
    /// Starts haproxy for one `[[network.lb]]` in front of `servers` (name, node address).
    /// A frontend port taken between picking and binding is retried with a new one.
    pub async fn start(
        bin: &Path,
        network: &str,
        lb: &LbDescription,
        servers: &[(String, SocketAddr)],
    ) -> Result<(Haproxy, LbEndpoint), String> {
        let mut last = String::new();
        for _ in 0..3 {
            let dir = tempfile::Builder::new()
                .prefix("btsops-demo-lb")
                .tempdir()
                .map_err(|e| format!("creating a temp dir: {e}"))?;
            let cfg_path = dir.path().join("haproxy.cfg");
            let log_path = dir.path().join("haproxy.log");
            let admin = dir.path().join("admin.sock");
            let fe_port = free_port().map_err(|e| format!("picking a loopback port: {e}"))?;
            std::fs::write(&cfg_path, config(dir.path(), fe_port, lb, servers))
                .map_err(|e| format!("writing {}: {e}", cfg_path.display()))?;
            let log = std::fs::File::create(&log_path)
                .map_err(|e| format!("creating {}: {e}", log_path.display()))?;
            let log2 = log
                .try_clone()
                .map_err(|e| format!("{}: {e}", log_path.display()))?;
            let mut cmd = Command::new(bin);
            cmd.arg("-db")
                .arg("-f")
                .arg(&cfg_path)
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(log2);
            stop_with_parent(&mut cmd);
            let child = cmd
                .spawn()
                .map_err(|e| format!("starting {}: {e}", bin.display()))?;
            let mut h = Haproxy { child, dir };
            match h.wait_ready(&admin).await {
                Ok(()) => {
                    let endpoint = LbEndpoint {
                        network: network.into(),
                        name: lb.name.clone(),
                        backend: lb.backend.clone(),
                        public_url: format!("ws://127.0.0.1:{fe_port}"),
                        runtime_api: format!("unix:{}", admin.display()),
                        servers: servers.iter().map(|(n, _)| n.clone()).collect(),
                    };
                    return Ok((h, endpoint));
                }
                // Another process took the port meanwhile: `h` is dropped (stopped, its
                // dir deleted) and a new port tried.
                Err(e) if e.contains("cannot bind") => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    async fn wait_ready(&mut self, admin: &Path) -> Result<(), String> {
        let client = Client::new(Endpoint::Unix(admin.to_path_buf()), Duration::from_secs(2));
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Err(format!("haproxy exited ({st}): {}", self.log()));
            }
            if client.run_one("show info").await.is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "haproxy's admin socket did not answer within {READY_TIMEOUT:?}: {}",
                    self.log()
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("haproxy.log")).unwrap_or_default()
    }

    /// SIGTERM, wait up to [`STOP_TIMEOUT`], then SIGKILL; always reaped.
    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            if let Ok(pid) = i32::try_from(self.child.id()) {
                // SAFETY: kill(2) on our own child's pid; no memory is involved.
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
            }
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(5));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        self.stop();
    }
}
