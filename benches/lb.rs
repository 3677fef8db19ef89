//! The HAProxy runtime API from btsops: a `show info` round trip over the admin unix
//! socket (raw, and through `lb::Client`), a full `lb::Client::snapshot` (three commands
//! and their parse), and the parse of a generated 200-server `show stat`, each as a
//! ratio to a bare unix-socket round trip measured in the same run (an in-process server
//! answering as many bytes as HAProxy's `show info`). These machines are noisy: the
//! ratios are the figures to compare, not the microseconds.
//!
//! Without haproxy on PATH the HAProxy parts print a SKIP line; the bare round trip and
//! the parse still run. `LB_BENCH_ITERS` (default 1000) round trips per figure.

#[path = "../tests/support/mod.rs"]
#[allow(dead_code, unused_imports)]
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use btsops::lb::stat::parse_stat;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

/// `show stat` header of HAProxy 2.6.12, as the real one prints it.
const STAT_HEADER: &str = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,";

/// A `show stat` reply with `n` agent-checked servers in one backend, every column
/// filled as HAProxy fills a server row (text fields quoted where HAProxy quotes them).
fn stat_csv(n: usize) -> String {
    let cols: Vec<&str> = STAT_HEADER
        .trim_start_matches("# ")
        .trim_end_matches(',')
        .split(',')
        .collect();
    let mut out = format!("{STAT_HEADER}\n");
    for i in 0..n {
        let row: Vec<String> = cols
            .iter()
            .map(|c| match *c {
                "pxname" => "be".into(),
                "svname" => format!("node{i}"),
                "status" => "UP".into(),
                "check_status" | "agent_status" => "L7OK".into(),
                "check_desc" => "\"Layer7 check passed\"".into(),
                "last_chk" => "\"HTTP status check returned code <3C>200<3E>\"".into(),
                "last_agt" => "via agent : up".into(),
                "addr" => format!("10.0.{}.{}:8090", i / 250, i % 250),
                "mode" => "http".into(),
                "type" => "2".into(),
                "cookie" | "algo" | "-" | "tracked" | "throttle" | "qlimit" => String::new(),
                _ => (i * 7 % 1000).to_string(),
            })
            .collect();
        out.push_str(&row.join(","));
        out.push_str(",\n");
    }
    out
}

/// One non-interactive runtime-API exchange, as `lb::Client` does it, without the client:
/// connect, send the line, half-close, read to EOF.
async fn raw_round_trip(path: &Path, line: &[u8]) -> usize {
    let mut s = UnixStream::connect(path).await.expect("connect");
    s.write_all(line).await.expect("write");
    s.shutdown().await.expect("half-close");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    buf.len()
}

/// A unix socket answering every connection with `reply_len` bytes once the peer
/// half-closed: the floor a runtime-API round trip cannot go under.
async fn bare_server(dir: &Path, reply_len: usize) -> PathBuf {
    let path = dir.join("bare.sock");
    let listener = UnixListener::bind(&path).expect("bind the bare socket");
    let reply = vec![b'x'; reply_len];
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut sink = Vec::new();
                let _ = s.read_to_end(&mut sink).await;
                let _ = s.write_all(&reply).await;
            });
        }
    });
    path
}

/// Median of `iters` timed runs of `f` (after a tenth as many warm-up runs).
async fn median<F, Fut>(iters: usize, mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..iters / 10 {
        f().await;
    }
    let mut v: Vec<Duration> = Vec::with_capacity(iters);
    for _ in 0..iters {
        let t = Instant::now();
        f().await;
        v.push(t.elapsed());
    }
    v.sort();
    v[v.len() / 2]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn line(what: &str, d: Duration, base: Duration) {
    println!(
        "{what:<44} {:>9.1} µs  {:>6.1}× bare",
        us(d),
        d.as_secs_f64() / base.as_secs_f64()
    );
}

fn main() {
    let iters: usize = std::env::var("LB_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let fleet = support::simnet::start().await;
        let h = support::haproxy::Haproxy::start(
            "bench lb",
            &fleet,
            &["a", "victim"],
            support::haproxy::Options::default(),
        )
        .await;
        // The bare server answers as many bytes as this HAProxy's `show info` does.
        let info_len = match &h {
            Some(h) => raw_round_trip(&h.admin_sock, b"show info\n").await,
            None => 1150,
        };
        let bare_path = bare_server(dir.path(), info_len).await;
        let bare = median(iters, || async {
            raw_round_trip(&bare_path, b"show info\n").await;
        })
        .await;
        println!("{iters} runs each, medians; `show info` is {info_len} bytes here");
        line("bare unix-socket round trip", bare, bare);

        if let Some(h) = &h {
            let raw = median(iters, || async {
                raw_round_trip(&h.admin_sock, b"show info\n").await;
            })
            .await;
            line("`show info`, raw socket to haproxy", raw, bare);
            let client = h.client();
            let via = median(iters, || async {
                client.run_one("show info").await.expect("show info");
            })
            .await;
            line("`show info` through lb::Client", via, bare);
            let snap = median(iters, || async {
                client.snapshot().await.expect("snapshot");
            })
            .await;
            line("lb::Client::snapshot (3 commands + parse)", snap, bare);
        }

        let csv = stat_csv(200);
        let rows = parse_stat(&csv).expect("the generated show stat parses");
        assert_eq!(rows.len(), 200);
        let parse = median(iters, || async {
            std::hint::black_box(parse_stat(std::hint::black_box(&csv)).expect("parses"));
        })
        .await;
        line(
            &format!("parse 200-server `show stat` ({} kB)", csv.len() / 1024),
            parse,
            bare,
        );
    });
}
