//! Process measurements shared by the benches that run btsops as separate processes
//! (`monitor`, `simnet_scale`): CPU time and RSS from /proc, and a child that is killed
//! however the bench ends.

use std::process::Child;

pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time (user + system) of the whole process `pid`, in nanoseconds: utime and stime
/// of /proc/PID/stat, which keep the time of threads that have exited (summing each live
/// thread's schedstat loses it). They count clock ticks, so measure for long enough that
/// a tick is small beside the total.
pub fn cpu_ns(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        panic!("no /proc/{pid}/stat: the process is gone or there is no procfs");
    };
    // Fields after the command name (which may hold spaces) in parentheses: state is
    // field 3, utime 14 and stime 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    // SAFETY: sysconf only reads a system constant.
    let per_s = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let per_s = if per_s > 0 { per_s as u64 } else { 100 };
    ticks * 1_000_000_000 / per_s
}

pub fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
