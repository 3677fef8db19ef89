//! The stand-in's replies in HAProxy 2.6's exact text formats: `show stat` (the 2.6 CSV
//! header, 129 columns and the trailing comma), `show servers state` (version 1, 25
//! fields), `show info` and `show backend`. Columns the stand-in has no data for keep the
//! values a fresh HAProxy 2.6.12 prints (captured from `haproxy -db`), so a client sees the
//! same empty and zero cells.

use std::time::Instant;

use super::backend::{Backend, Server};

/// `show stat`'s header on HAProxy 2.6.12, verbatim.
pub const STAT_HEADER: &str = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,";

/// Rows of a fresh HAProxy 2.6.12 (`mode http`, one frontend, one roundrobin backend,
/// servers with HTTP checks), each cell overwritten below where the stand-in knows better.
const FRONTEND_ROW: &str = "fe,FRONTEND,,,0,0,9984,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,0,,,,0,0,0,0,0,0,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,0,0,0,0,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,";
const SERVER_ROW: &str = "be,n1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,1,0,,1,3,1,,0,,2,0,,0,L7OK,200,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,1,2,2,,,,127.0.0.1:18201,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,";
const BACKEND_ROW: &str = "be,BACKEND,0,0,0,0,999,0,0,0,0,0,,0,0,0,0,UP,2,2,0,,0,1,0,,1,3,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,http,roundrobin,,,,,,,0,0,0,0,0,,,0,0,0,0,0,,,,,2,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,";

/// One CSV row being filled by column name.
struct Row {
    cells: Vec<String>,
}

impl Row {
    fn from_template(template: &str) -> Row {
        Row {
            cells: template.split(',').map(str::to_string).collect(),
        }
    }

    fn set(&mut self, column: &str, value: impl ToString) {
        // The header starts with "# " and ends with a comma, like the rows.
        let names = STAT_HEADER[2..].split(',');
        if let Some(i) = names.into_iter().position(|n| n == column)
            && let Some(cell) = self.cells.get_mut(i)
        {
            *cell = value.to_string();
        }
    }

    fn line(&self) -> String {
        self.cells.join(",")
    }
}

/// `show stat` type bits (`show stat <proxy> <type> <sid>`).
pub const TYPE_FRONTEND: u32 = 1;
pub const TYPE_BACKEND: u32 = 2;
pub const TYPE_SERVER: u32 = 4;

fn secs_since(t: Instant, now: Instant) -> u64 {
    now.saturating_duration_since(t).as_secs()
}

fn server_row(b: &Backend, s: &Server, now: Instant) -> String {
    let mut r = Row::from_template(SERVER_ROW);
    r.set("pxname", &b.name);
    r.set("svname", &s.name);
    r.set("scur", s.scur);
    r.set("smax", s.smax);
    r.set("stot", s.stot);
    r.set("lbtot", s.stot);
    r.set("status", b.status(s));
    r.set("weight", s.uweight);
    r.set("uweight", s.uweight);
    r.set("chkfail", s.chkfail);
    r.set("chkdown", s.chkdown);
    r.set("lastchg", secs_since(s.last_change, now));
    r.set("downtime", 0);
    r.set("iid", b.id);
    r.set("sid", s.id);
    r.set("addr", s.addr);
    r.set("check_rise", b.check.rise);
    r.set("check_fall", b.check.fall);
    r.set("check_health", s.health);
    if s.in_maint() {
        // HAProxy blanks the check columns of a server in MAINT.
        for c in [
            "check_status",
            "check_code",
            "check_duration",
            "last_chk",
            "check_desc",
            "check_rise",
            "check_fall",
            "check_health",
        ] {
            r.set(c, "");
        }
        return r.line();
    }
    let (status, code, duration, detail, desc) = match &s.last_check {
        Some(c) => (
            c.status.name(),
            c.code.map(|c| c.to_string()).unwrap_or_default(),
            c.duration.as_millis().to_string(),
            c.detail.as_str(),
            c.status.description(),
        ),
        None => ("INI", String::new(), String::new(), "", "Initializing"),
    };
    r.set("check_status", status);
    r.set("check_code", code);
    r.set("check_duration", duration);
    r.set("last_chk", detail);
    r.set("check_desc", desc);
    r.line()
}

fn backend_row(b: &Backend, now: Instant) -> String {
    let mut r = Row::from_template(BACKEND_ROW);
    // HAProxy counts only servers with an effective weight: a drained or weight-0 server
    // is up but not in `act`.
    let usable: Vec<&Server> = b.servers.iter().filter(|s| b.is_usable(s)).collect();
    let any_up = b.servers.iter().any(|s| b.is_up(s));
    let weight: u32 = usable.iter().map(|s| s.uweight).sum();
    let scur: u64 = b.servers.iter().map(|s| s.scur).sum();
    let stot: u64 = b.servers.iter().map(|s| s.stot).sum();
    r.set("pxname", &b.name);
    r.set("scur", scur);
    r.set("smax", b.servers.iter().map(|s| s.smax).max().unwrap_or(0));
    r.set("stot", stot);
    r.set("lbtot", stot);
    r.set("status", if any_up { "UP" } else { "DOWN" });
    r.set("weight", weight);
    r.set("uweight", weight);
    r.set("act", usable.len());
    r.set("chkdown", 0);
    let last = b.servers.iter().map(|s| s.last_change).max().unwrap_or(now);
    r.set("lastchg", secs_since(last, now));
    r.set("iid", b.id);
    r.line()
}

fn frontend_row(b: &Backend) -> String {
    let mut r = Row::from_template(FRONTEND_ROW);
    let scur: u64 = b.servers.iter().map(|s| s.scur).sum();
    let stot: u64 = b.servers.iter().map(|s| s.stot).sum();
    r.set("scur", scur);
    r.set("stot", stot);
    r.set("conn_tot", stot);
    r.line()
}

/// `show stat [<proxy> <type> <sid>]`: `proxy` is a name, a proxy id, or -1 for all;
/// `types` a bitmask of [`TYPE_FRONTEND`], [`TYPE_BACKEND`], [`TYPE_SERVER`].
pub fn show_stat(b: &Backend, proxy: Option<&str>, types: u32, now: Instant) -> String {
    let matches = |name: &str, id: u32| match proxy {
        None | Some("-1") => true,
        Some(p) => p == name || p == id.to_string(),
    };
    let mut out = format!("{STAT_HEADER}\n");
    if types & TYPE_FRONTEND != 0 && matches("fe", 2) {
        out += &frontend_row(b);
        out.push('\n');
    }
    if matches(&b.name, b.id) {
        if types & TYPE_SERVER != 0 {
            for s in &b.servers {
                out += &server_row(b, s, now);
                out.push('\n');
            }
        }
        if types & TYPE_BACKEND != 0 {
            out += &backend_row(b, now);
            out.push('\n');
        }
    }
    out
}

/// `show servers state` (version 1), one backend.
pub fn show_servers_state(b: &Backend, now: Instant) -> String {
    let mut out = String::from(
        "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n",
    );
    for s in &b.servers {
        let (status, result) = match &s.last_check {
            Some(c) if c.status.passed() => (c.status.number(), 3),
            Some(c) => (c.status.number(), 2),
            None => (1, 0),
        };
        // 0x02 configured | 0x04 enabled, plus 0x08 paused while in MAINT.
        let check_state = if s.in_maint() { 14 } else { 6 };
        out += &format!(
            "{} {} {} {} {} {} {} {} {} {} {status} {result} {} {check_state} 0 0 0 - {} - 0 0 - - 0\n",
            b.id,
            b.name,
            s.id,
            s.name,
            s.addr.ip(),
            b.op_state(s),
            s.admin,
            s.uweight,
            s.iweight,
            secs_since(s.last_change, now),
            s.health,
            s.addr.port(),
        );
    }
    out
}

/// What `show info` needs besides the backend.
pub struct InfoContext {
    pub pid: u32,
    pub started: Instant,
    pub start_unix: i64,
}

/// `show info`: HAProxy's field names; `Version` says it is the stand-in.
pub fn show_info(b: &Backend, ctx: &InfoContext, now: Instant) -> String {
    let up = secs_since(ctx.started, now);
    let curr: u64 = b.servers.iter().map(|s| s.scur).sum();
    let cum: u64 = b.servers.iter().map(|s| s.stot).sum();
    format!(
        "Name: HAProxy\nVersion: 2.6.12-btsops-simnet\nRelease_date: 2026/01/01\nNbthread: 1\nNbproc: 1\nProcess_num: 1\nPid: {}\nUptime: {}d {}h{:02}m{:02}s\nUptime_sec: {up}\nMaxconn: 4096\nHard_maxconn: 4096\nCurrConns: {curr}\nCumConns: {cum}\nStopping: 0\nJobs: {}\nListeners: 2\nnode: btsops-simnet\nStart_time_sec: {}\n",
        ctx.pid,
        up / 86_400,
        up / 3600 % 24,
        up / 60 % 60,
        up % 60,
        curr + 2,
        ctx.start_unix,
    )
}

/// `show backend`.
pub fn show_backend(b: &Backend) -> String {
    format!("# name\n{}\n", b.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simnet::lb::backend::{CheckParams, CheckResult, CheckStatus};
    use std::net::SocketAddr;
    use std::time::Duration;

    #[test]
    fn templates_have_the_headers_column_count() {
        let n = STAT_HEADER.split(',').count();
        for t in [FRONTEND_ROW, SERVER_ROW, BACKEND_ROW] {
            assert_eq!(t.split(',').count(), n, "{t}");
        }
    }

    #[test]
    fn rows_carry_the_state() {
        let now = Instant::now();
        let addr = SocketAddr::from(([127, 0, 0, 1], 9001));
        let mut b = Backend::new(
            "be",
            &[("n1".into(), addr, 1)],
            CheckParams { rise: 1, fall: 2 },
            now,
        );
        let passed = CheckResult {
            status: CheckStatus::L7Ok,
            code: Some(200),
            duration: Duration::from_millis(3),
            detail: String::new(),
        };
        b.record_check(0, passed, now);
        let text = show_stat(&b, Some("be"), TYPE_SERVER, now);
        let row = text.lines().nth(1).unwrap();
        assert!(
            row.starts_with("be,n1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,0,0,,1,3,1,"),
            "{row}"
        );
        assert!(row.contains(",L7OK,200,3,") && row.contains(",127.0.0.1:9001,"));
        b.set_state(0, "maint", now).unwrap();
        let state = show_servers_state(&b, now);
        assert_eq!(
            state.lines().nth(2).unwrap(),
            "3 be 1 n1 127.0.0.1 0 1 1 1 0 15 3 0 14 0 0 0 - 9001 - 0 0 - - 0"
        );
        let text = show_stat(&b, None, TYPE_SERVER | TYPE_BACKEND, now);
        assert!(text.contains(",MAINT,1,1,0,0,1,"), "{text}");
        assert!(
            text.contains("be,BACKEND,") && text.contains(",DOWN,0,0,"),
            "{text}"
        );
    }
}
