//! `show stat`: HAProxy's CSV of proxies and servers, mapped by header name (the column
//! count changes between versions and builds; LOADBALANCER.md §5).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::ParseError;

/// One row of `show stat`: a server, or a proxy's `FRONTEND` / `BACKEND` summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatRow {
    pub pxname: String,
    pub svname: String,
    /// As HAProxy prints it: `UP`, `UP 1/2`, `DRAIN (agent)`, `MAINT`, `no check`, `OPEN`...
    pub status: String,
    /// Current sessions; for WebSockets the open connections.
    pub scur: Option<u64>,
    pub stot: Option<u64>,
    /// Effective weight.
    pub weight: Option<u64>,
    /// On a server row 1/0 flags; on the BACKEND row the count of usable servers.
    pub act: Option<u64>,
    pub bck: Option<u64>,
    /// Last check result without the `* ` in-progress mark; empty when none (MAINT).
    pub check_status: String,
    /// Every named column as text, including the ones above and columns btsops does not know.
    #[serde(skip)]
    /// Names are shared by every row of one reply.
    pub fields: BTreeMap<Arc<str>, String>,
}

impl StatRow {
    pub fn is_server(&self) -> bool {
        self.svname != "FRONTEND" && self.svname != "BACKEND"
    }

    /// A configured `backup` server (the `bck` flag on a server row).
    pub fn is_backup(&self) -> bool {
        self.is_server() && self.bck == Some(1)
    }
}

const REQUIRED: [&str; 3] = ["pxname", "svname", "status"];

/// Parses `show stat` output: a `# pxname,svname,...` header, then one CSV row per proxy
/// or server. Extra columns in a row (longer frontend rows) are ignored; a row shorter than
/// the header is a truncated reply and an error.
pub fn parse_stat(text: &str) -> Result<Vec<StatRow>, ParseError> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.is_empty());
    let Some((_, header_line)) = lines.next() else {
        return Err(ParseError::new("show stat", 0, "empty reply"));
    };
    let Some(header_csv) = header_line.strip_prefix("# ") else {
        return Err(ParseError::new(
            "show stat",
            1,
            format!(
                "expected a `# pxname,svname,...` header, got {:?}",
                clip(header_line)
            ),
        ));
    };
    let header = read_record(header_csv, 1)?;
    let names: Vec<Arc<str>> = header.iter().map(Arc::from).collect();
    for r in REQUIRED {
        if !names.iter().any(|n| &**n == r) {
            return Err(ParseError::new(
                "show stat",
                1,
                format!("header has no {r} column"),
            ));
        }
    }
    // Trailing commas give the header an unnamed last column; it is not data.
    let wanted = names
        .iter()
        .rposition(|n| !n.is_empty())
        .map_or(0, |i| i + 1);
    // One reader over every data line: a reader per line costs a buffer each, which
    // dominated the parse of a large reply.
    let header_at = text.find(header_line).unwrap_or(0) + header_line.len();
    let body = text[header_at..]
        .strip_prefix("\r\n")
        .or_else(|| text[header_at..].strip_prefix('\n'))
        .unwrap_or(&text[header_at..]);
    let header_lineno = text[..header_at].lines().count();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let lineno = header_lineno + reader.position().line() as usize;
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(ParseError::new(
                    "show stat",
                    lineno,
                    format!("bad CSV: {e}"),
                ));
            }
        }
        let lineno = header_lineno + record.position().map_or(0, |p| p.line() as usize);
        if record.len() == 1 && record.get(0) == Some("") {
            continue;
        }
        if record.len() < wanted {
            return Err(ParseError::new(
                "show stat",
                lineno,
                format!(
                    "{} fields where the header has {wanted} (truncated reply?)",
                    record.len()
                ),
            ));
        }
        let fields: BTreeMap<Arc<str>, String> = names
            .iter()
            .zip(record.iter())
            .filter(|(n, _)| !n.is_empty())
            .map(|(n, v)| (Arc::clone(n), v.to_string()))
            .collect();
        rows.push(row(fields, lineno)?);
    }
    Ok(rows)
}

fn read_record(line: &str, lineno: usize) -> Result<csv::StringRecord, ParseError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    match reader.records().next() {
        Some(Ok(r)) => Ok(r),
        Some(Err(e)) => Err(ParseError::new(
            "show stat",
            lineno,
            format!("bad CSV: {e}"),
        )),
        None => Err(ParseError::new("show stat", lineno, "empty line")),
    }
}

fn row(fields: BTreeMap<Arc<str>, String>, lineno: usize) -> Result<StatRow, ParseError> {
    let text = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let number = |k: &str| -> Result<Option<u64>, ParseError> {
        match fields.get(k).map(String::as_str) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ParseError::new("show stat", lineno, format!("{k} is {v:?}, not a number"))
            }),
        }
    };
    let check_status = text("check_status");
    Ok(StatRow {
        pxname: text("pxname"),
        svname: text("svname"),
        status: text("status"),
        scur: number("scur")?,
        stot: number("stot")?,
        weight: number("weight")?,
        act: number("act")?,
        bck: number("bck")?,
        check_status: check_status
            .strip_prefix("* ")
            .unwrap_or(&check_status)
            .to_string(),
        fields,
    })
}

/// At most 60 characters of a line, for error messages.
pub(crate) fn clip(s: &str) -> String {
    if s.chars().count() <= 60 {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(60).collect::<String>())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A cut-down 2.6 reply (the real header has 129 columns; the parser maps by name).
    pub(crate) const SAMPLE: &str = "# pxname,svname,qcur,scur,smax,stot,status,weight,act,bck,check_status,check_desc,-,extra_mod,\n\
fe,FRONTEND,,3,3,9,OPEN,,,,,,,,,x,\n\
be,n1,0,2,2,5,UP,3,1,0,L7OK,\"Layer7 check passed, ok\",,,\n\
be,n2,0,1,1,4,DRAIN (agent),1,1,0,* L7OK,,,,\n\
be,spare,0,0,0,0,UP 1/2,1,0,1,INI,,,,\n\
be,BACKEND,0,3,3,9,UP,4,1,1,,,,,\n\n";

    #[test]
    fn maps_columns_by_header_name() {
        let rows = parse_stat(SAMPLE).expect("parses");
        assert_eq!(rows.len(), 5);
        let n1 = &rows[1];
        assert_eq!((n1.pxname.as_str(), n1.svname.as_str()), ("be", "n1"));
        assert_eq!((n1.scur, n1.stot, n1.weight), (Some(2), Some(5), Some(3)));
        // A quoted field with a comma stays one field.
        assert_eq!(n1.fields["check_desc"], "Layer7 check passed, ok");
        assert_eq!(rows[2].status, "DRAIN (agent)");
        assert_eq!(
            rows[2].check_status, "L7OK",
            "the in-progress mark is stripped"
        );
        assert!(rows[3].is_backup() && !rows[1].is_backup());
        assert!(!rows[4].is_server());
        assert_eq!(rows[4].act, Some(1));
        // Unknown columns are kept.
        assert!(rows[1].fields.contains_key("extra_mod"));
    }

    #[test]
    fn malformed_replies_are_errors_naming_the_line() {
        let e = parse_stat("").unwrap_err();
        assert!(e.to_string().contains("empty reply"), "{e}");
        let e = parse_stat("No such backend.\n").unwrap_err();
        assert!(e.to_string().contains("header"), "{e}");
        let e = parse_stat("# pxname,status\nbe,UP\n").unwrap_err();
        assert!(e.to_string().contains("no svname column"), "{e}");
        // Truncated in the middle of the last row.
        let cut = &SAMPLE[..SAMPLE.find("be,BACKEND").expect("row") + 14];
        let e = parse_stat(cut).unwrap_err();
        assert!(
            e.to_string().contains("line 6") && e.to_string().contains("truncated"),
            "{e}"
        );
        let e = parse_stat("# pxname,svname,status,scur\nbe,n1,UP,lots\n").unwrap_err();
        assert!(e.to_string().contains("scur is \"lots\""), "{e}");
    }

    #[test]
    fn extra_columns_in_a_row_are_ignored() {
        let rows = parse_stat("# pxname,svname,status,scur\nbe,n1,UP,2,x,y,z\n").expect("parses");
        assert_eq!(rows[0].scur, Some(2));
        assert_eq!(rows[0].fields.len(), 4);
    }
}
