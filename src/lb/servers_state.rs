//! `show servers state`: the authoritative admin and operational state of each server
//! (LOADBALANCER.md §6), mapped by the `#` header's field names.

use serde::Serialize;

use super::ParseError;

/// `srv_admin_state` bits.
pub mod admin {
    /// MAINT forced by the runtime API (or an agent's `maint`).
    pub const FORCED_MAINT: u32 = 0x01;
    /// MAINT inherited from a tracked server.
    pub const INHERITED_MAINT: u32 = 0x02;
    /// MAINT from the config (`disabled`).
    pub const CONFIG_MAINT: u32 = 0x04;
    /// DRAIN forced by the runtime API (or an agent's `drain`).
    pub const FORCED_DRAIN: u32 = 0x08;
    pub const INHERITED_DRAIN: u32 = 0x10;
    /// MAINT because DNS resolution failed.
    pub const DNS_MAINT: u32 = 0x20;
    pub const ANY_MAINT: u32 = FORCED_MAINT | INHERITED_MAINT | CONFIG_MAINT | DNS_MAINT;
    pub const ANY_DRAIN: u32 = FORCED_DRAIN | INHERITED_DRAIN;
}

/// `srv_check_state` bit: health checks are enabled.
pub const CHECK_ENABLED: u32 = 0x04;
/// `srv_check_result` value of a passed check.
pub const CHECK_PASSED: u32 = 3;

/// `srv_op_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OpState {
    Stopped,
    Starting,
    Running,
    Stopping,
    Unknown(u32),
}

impl From<u32> for OpState {
    fn from(v: u32) -> Self {
        match v {
            0 => OpState::Stopped,
            1 => OpState::Starting,
            2 => OpState::Running,
            3 => OpState::Stopping,
            n => OpState::Unknown(n),
        }
    }
}

/// One server line of `show servers state`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerState {
    pub backend: String,
    pub server: String,
    pub addr: String,
    pub port: Option<u16>,
    pub op_state: OpState,
    /// `srv_admin_state` bitmask (see [`admin`]).
    pub admin_state: u32,
    /// User-set weight (what `set server ... weight` changes).
    pub uweight: u32,
    /// Weight from the config.
    pub iweight: u32,
    pub check_result: u32,
    /// `srv_check_state` bitmask.
    pub check_state: u32,
}

impl ServerState {
    /// Health checks are configured and enabled for this server.
    pub fn checks_enabled(&self) -> bool {
        self.check_state & CHECK_ENABLED != 0
    }
}

/// The fields btsops needs; any other field may come and go between versions.
const REQUIRED: [&str; 8] = [
    "be_name",
    "srv_name",
    "srv_addr",
    "srv_op_state",
    "srv_admin_state",
    "srv_uweight",
    "srv_iweight",
    "srv_check_result",
];

/// Parses `show servers state [<backend>]`: a version line `1`, a `# field ...` header,
/// then one space-separated line per server. A line with fewer fields than the header is a
/// truncated reply; more fields are ignored.
pub fn parse_servers_state(text: &str) -> Result<Vec<ServerState>, ParseError> {
    const CMD: &str = "show servers state";
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    match lines.next() {
        Some((_, "1")) => {}
        Some((i, other)) => {
            return Err(ParseError::new(
                CMD,
                i + 1,
                format!(
                    "expected format version 1, got {:?}",
                    super::stat::clip(other)
                ),
            ));
        }
        None => return Err(ParseError::new(CMD, 0, "empty reply")),
    }
    let header: Vec<&str> = match lines.next() {
        Some((_, h)) if h.starts_with('#') => {
            h.trim_start_matches('#').split_whitespace().collect()
        }
        Some((i, other)) => {
            return Err(ParseError::new(
                CMD,
                i + 1,
                format!(
                    "expected a `# be_id be_name ...` header, got {:?}",
                    super::stat::clip(other)
                ),
            ));
        }
        // A version line alone: no backend has a server.
        None => return Ok(Vec::new()),
    };
    let col = |name: &str| header.iter().position(|h| *h == name);
    for r in REQUIRED {
        if col(r).is_none() {
            return Err(ParseError::new(CMD, 2, format!("header has no {r} field")));
        }
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        let lineno = i + 1;
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < header.len() {
            return Err(ParseError::new(
                CMD,
                lineno,
                format!(
                    "{} fields where the header has {} (truncated reply?)",
                    f.len(),
                    header.len()
                ),
            ));
        }
        let get = |name: &str| col(name).and_then(|c| f.get(c)).copied().unwrap_or("");
        let num = |name: &str| -> Result<u32, ParseError> {
            let v = get(name);
            v.parse()
                .map_err(|_| ParseError::new(CMD, lineno, format!("{name} is {v:?}, not a number")))
        };
        out.push(ServerState {
            backend: get("be_name").to_string(),
            server: get("srv_name").to_string(),
            addr: get("srv_addr").to_string(),
            port: get("srv_port").parse().ok(),
            op_state: OpState::from(num("srv_op_state")?),
            admin_state: num("srv_admin_state")?,
            uweight: num("srv_uweight")?,
            iweight: num("srv_iweight")?,
            check_result: num("srv_check_result")?,
            check_state: if col("srv_check_state").is_some() {
                num("srv_check_state")?
            } else {
                0
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Measured on HAProxy 2.6.12 (n1 drained, n2 in MAINT).
    pub(crate) const SAMPLE: &str = "1\n\
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n\
3 be 1 n1 127.0.0.1 2 8 1 1 0 15 3 3 6 0 0 0 - 38112 - 0 0 - - 0\n\
3 be 2 n2 127.0.0.1 0 1 3 1 1 0 3 3 14 0 0 0 - 38113 - 0 0 - - 0\n\n";

    #[test]
    fn maps_fields_by_header_name() {
        let s = parse_servers_state(SAMPLE).expect("parses");
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].backend.as_str(), s[0].server.as_str()), ("be", "n1"));
        assert_eq!(s[0].op_state, OpState::Running);
        assert_eq!(s[0].admin_state, admin::FORCED_DRAIN);
        assert_eq!(s[0].port, Some(38112));
        assert!(s[0].checks_enabled());
        assert_eq!(s[1].op_state, OpState::Stopped);
        assert_eq!(s[1].admin_state, admin::FORCED_MAINT);
        assert_eq!((s[1].uweight, s[1].iweight), (3, 1));
    }

    #[test]
    fn malformed_replies_are_errors_naming_the_line() {
        assert!(
            parse_servers_state("")
                .unwrap_err()
                .to_string()
                .contains("empty reply")
        );
        let e = parse_servers_state("No such backend.\n").unwrap_err();
        assert!(e.to_string().contains("format version"), "{e}");
        let e = parse_servers_state("1\n# be_id be_name srv_name\n").unwrap_err();
        assert!(e.to_string().contains("no srv_addr"), "{e}");
        let cut = &SAMPLE[..SAMPLE.rfind("127.0.0.1").expect("row") + 12];
        let e = parse_servers_state(cut).unwrap_err();
        assert!(
            e.to_string().contains("line 4") && e.to_string().contains("truncated"),
            "{e}"
        );
        let bad = SAMPLE.replace("2 8 1 1", "2 x 1 1");
        let e = parse_servers_state(&bad).unwrap_err();
        assert!(e.to_string().contains("srv_admin_state is \"x\""), "{e}");
        // A version line alone: no servers.
        assert_eq!(parse_servers_state("1\n\n").expect("parses"), Vec::new());
    }

    #[test]
    fn extra_fields_are_ignored() {
        let extra = SAMPLE.replace(" - - 0\n", " - - 0 new1 new2\n");
        let s = parse_servers_state(&extra).expect("parses");
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].port, Some(38113));
    }
}
