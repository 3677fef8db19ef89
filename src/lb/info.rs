//! `show info`: the process identity (pid, uptime) that reveals a reload.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ParseError;

/// The fields of `show info` btsops uses, plus every field as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Info {
    pub version: String,
    /// The answering worker's pid: a reload starts a new worker with a new pid.
    pub pid: u32,
    pub uptime_sec: u64,
    pub curr_conns: Option<u64>,
    /// Every `Name: value` line, including the ones above.
    #[serde(skip)]
    pub fields: BTreeMap<String, String>,
}

/// Parses `show info` (`Name: value` lines). `Pid` and `Uptime_sec` are required: without
/// them a reload could not be detected.
pub fn parse_info(text: &str) -> Result<Info, ParseError> {
    let mut fields = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(ParseError::new(
                "show info",
                i + 1,
                format!("expected `Name: value`, got {line:?}"),
            ));
        };
        fields.insert(name.trim().to_string(), value.trim().to_string());
    }
    let number = |name: &str| -> Result<u64, ParseError> {
        let v = fields
            .get(name)
            .ok_or_else(|| ParseError::new("show info", 0, format!("no {name} field")))?;
        v.parse()
            .map_err(|_| ParseError::new("show info", 0, format!("{name} is {v:?}, not a number")))
    };
    let pid = u32::try_from(number("Pid")?)
        .map_err(|_| ParseError::new("show info", 0, "Pid out of range"))?;
    let uptime_sec = number("Uptime_sec")?;
    let curr_conns = fields.get("CurrConns").and_then(|v| v.parse().ok());
    Ok(Info {
        version: fields.get("Version").cloned().unwrap_or_default(),
        pid,
        uptime_sec,
        curr_conns,
        fields,
    })
}

/// Why two `show info` reads belong to different HAProxy processes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reload {
    pub old_pid: u32,
    pub new_pid: u32,
    pub uptime_sec: u64,
}

impl std::fmt::Display for Reload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "HAProxy was reloaded or restarted (pid {} -> {}, up {} s): runtime changes \
             (drain, maint, weights) made before are lost unless it keeps a server-state-file",
            self.old_pid, self.new_pid, self.uptime_sec
        )
    }
}

/// A reload between two reads: a new pid, or an uptime that went backwards (a restart
/// that happened to reuse the pid). `elapsed_s` is the wall time between the reads, so an
/// uptime that grew by less than it did (minus a second of rounding) also counts.
pub fn detect_reload(before: &Info, now: &Info, elapsed_s: u64) -> Option<Reload> {
    let restarted = now.uptime_sec + 1 < before.uptime_sec.saturating_add(elapsed_s);
    (now.pid != before.pid || restarted).then_some(Reload {
        old_pid: before.pid,
        new_pid: now.pid,
        uptime_sec: now.uptime_sec,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Name: HAProxy\nVersion: 2.6.12-1+deb12u4\nPid: 18386\nUptime: 0d 0h00m00s\nUptime_sec: 7\nCurrConns: 2\n\n";

    fn info(pid: u32, up: u64) -> Info {
        parse_info(&format!("Pid: {pid}\nUptime_sec: {up}\n")).expect("parses")
    }

    #[test]
    fn parses_the_fields_btsops_uses() {
        let i = parse_info(SAMPLE).expect("parses");
        assert_eq!(i.pid, 18386);
        assert_eq!(i.uptime_sec, 7);
        assert_eq!(i.version, "2.6.12-1+deb12u4");
        assert_eq!(i.curr_conns, Some(2));
        assert_eq!(i.fields["Uptime"], "0d 0h00m00s");
    }

    #[test]
    fn refuses_missing_or_bad_identity() {
        let e = parse_info("Name: HAProxy\nUptime_sec: 3\n").unwrap_err();
        assert!(e.to_string().contains("no Pid"), "{e}");
        let e = parse_info("Pid: x\nUptime_sec: 3\n").unwrap_err();
        assert!(e.to_string().contains("not a number"), "{e}");
        let e = parse_info("No such backend.\n").unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
    }

    #[test]
    fn reload_is_a_new_pid_or_an_uptime_that_went_back() {
        assert_eq!(detect_reload(&info(10, 50), &info(10, 52), 2), None);
        assert_eq!(detect_reload(&info(10, 50), &info(10, 50), 1), None);
        let r = detect_reload(&info(10, 50), &info(11, 0), 1).expect("new pid");
        assert_eq!((r.old_pid, r.new_pid), (10, 11));
        assert!(detect_reload(&info(10, 50), &info(10, 3), 1).is_some());
        // 60 s passed but the uptime only grew by 5: restarted with the same pid.
        assert!(detect_reload(&info(10, 50), &info(10, 55), 60).is_some());
    }
}
