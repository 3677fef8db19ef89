//! Small text helpers shared by the panes. Ages are whole seconds or coarser, so a
//! clock tick changes the screen at most once a second.

use ratatui::style::Style;

use crate::monitor::Status;
use crate::theme::Theme;

pub fn status_style(t: &Theme, s: Status) -> Style {
    match s {
        Status::Ok => t.ok,
        Status::Warn => t.warn,
        Status::Crit => t.crit,
        Status::Down => t.down,
        Status::Unknown => t.unknown,
    }
}

/// `HH:MM:SS` UTC of a unix time.
pub fn hms(t: f64) -> String {
    let s = t.max(0.0) as u64 % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// `m:ss`, or `h:mm:ss` from an hour: a position or length within a recording.
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// `5s`, `3m`, `2h`, `4d`: how long ago `then` was, from `now`.
pub fn age(now: f64, then: f64) -> String {
    let s = (now - then).max(0.0) as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

pub fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}

pub fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.0}")).unwrap_or_else(|| "-".into())
}

pub fn pct(v: Option<f64>) -> String {
    match v {
        Some(v) if v >= 99.95 => "100%".into(),
        Some(v) => format!("{v:.1}%"),
        None => "-".into(),
    }
}

/// Bytes per second in a short form: `0B/s`, `870B/s`, `1.2KB/s`.
pub fn rate(b: u64) -> String {
    if b < 1000 {
        format!("{b}B/s")
    } else if b < 1_000_000 {
        format!("{:.1}KB/s", b as f64 / 1000.0)
    } else {
        format!("{:.1}MB/s", b as f64 / 1_000_000.0)
    }
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A one-line sparkline of the last `width` values, scaled to their maximum; a failed
/// probe is `×` so gaps are visible without colour.
pub fn sparkline(values: &[Option<f64>], width: usize) -> String {
    let tail = &values[values.len().saturating_sub(width)..];
    let max = tail.iter().flatten().copied().fold(0.0_f64, f64::max);
    tail.iter()
        .map(|v| match v {
            None => '×',
            Some(_) if max <= 0.0 => BARS[0],
            Some(v) => BARS[((v / max) * 7.0).round().clamp(0.0, 7.0) as usize],
        })
        .collect()
}

/// First line of a message, for one-line cells.
pub fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Drops a leading `<url>: ` from an endpoint's reason or error: the row already
/// names the endpoint, and a narrow cell has no room for its address.
pub fn without_url<'a>(text: &'a str, url: &str) -> &'a str {
    let trimmed = url.trim_end_matches('/');
    for prefix in [url, trimmed] {
        if let Some(rest) = text.strip_prefix(prefix) {
            let rest = rest.strip_prefix('/').unwrap_or(rest);
            if let Some(rest) = rest.strip_prefix(": ") {
                return rest;
            }
        }
    }
    text
}

/// `text` in `width` cells, most telling words first: whole when it fits, else without
/// its parenthesised asides (a threshold, a hint), else cut with `…`.
pub fn fit_words(text: &str, width: usize) -> String {
    reasons_in(&[text], width)
}

/// Reasons joined with `; ` in `width` cells: whole when they fit; else each without
/// its parenthesised threshold (`8 blocks behind best (warn ≥ 2)` keeps
/// `8 blocks behind best`), so a second reason shows before the first's details;
/// else cut with `…`.
pub fn reasons_in(reasons: &[&str], width: usize) -> String {
    let whole = reasons.join("; ");
    if whole.chars().count() <= width {
        return whole;
    }
    let short: Vec<String> = reasons.iter().map(|r| without_asides(r)).collect();
    let short = short.join("; ");
    if short.chars().count() <= width {
        return short;
    }
    let mut cut: String = short.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Drops ` (…)` groups from a reason.
fn without_asides(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    // The space before each dropped group, doubled or trailing.
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_keep_their_telling_words_first() {
        let r = [
            "8 blocks behind best (warn ≥ 2)",
            "latency p99 900 ms (warn > 500 ms)",
        ];
        assert_eq!(
            reasons_in(&r, 80),
            "8 blocks behind best (warn ≥ 2); latency p99 900 ms (warn > 500 ms)"
        );
        assert_eq!(
            reasons_in(&r, 50),
            "8 blocks behind best; latency p99 900 ms"
        );
        assert_eq!(reasons_in(&r, 12), "8 blocks be…");
        assert_eq!(fit_words("short", 5), "short");
        assert_eq!(
            fit_words("5s ago: refused (os error 111)", 20),
            "5s ago: refused"
        );
    }

    #[test]
    fn durations_read_as_clock_positions() {
        assert_eq!(duration(0.0), "0:00");
        assert_eq!(duration(-3.0), "0:00");
        assert_eq!(duration(65.9), "1:05");
        assert_eq!(duration(3600.0 + 62.0), "1:01:02");
    }

    #[test]
    fn url_prefix_goes() {
        let url = "ws://127.0.0.1:1";
        assert_eq!(
            without_url("ws://127.0.0.1:1/: connect: refused", url),
            "connect: refused"
        );
        assert_eq!(without_url("ws://127.0.0.1:1: timeout", url), "timeout");
        assert_eq!(without_url("head 5 s old", url), "head 5 s old");
    }

    #[test]
    fn ages_are_whole_units() {
        assert_eq!(age(100.0, 99.4), "0s");
        assert_eq!(age(200.0, 0.0), "3m");
        assert_eq!(hms(3661.0), "01:01:01");
    }
}
