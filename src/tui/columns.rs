//! The overview's columns: names, sort order, width and drop priority. Sorting
//! (state) and drawing (views) both read this table.

use std::cmp::Ordering;

use crate::monitor::{EndpointSnapshot, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Status,
    Network,
    Name,
    Head,
    Lag,
    Latency,
    Trend,
    Availability,
    LibLag,
    Participation,
    Cert,
    Version,
    Error,
}

/// Left to right.
pub const ALL: [Column; 13] = [
    Column::Status,
    Column::Network,
    Column::Name,
    Column::Head,
    Column::Lag,
    Column::Latency,
    Column::Trend,
    Column::Availability,
    Column::LibLag,
    Column::Participation,
    Column::Cert,
    Column::Version,
    Column::Error,
];

impl Column {
    pub fn title(self) -> &'static str {
        match self {
            Column::Status => "status",
            Column::Network => "network",
            Column::Name => "name",
            Column::Head => "head",
            Column::Lag => "lag b/s",
            Column::Latency => "p50/p99 ms",
            Column::Trend => "latency",
            Column::Availability => "avail",
            Column::LibLag => "lib",
            Column::Participation => "part",
            Column::Cert => "cert",
            Column::Version => "version",
            Column::Error => "why / last error",
        }
    }

    /// Its name for `:sort NAME`.
    pub fn key(self) -> &'static str {
        match self {
            Column::Status => "status",
            Column::Network => "network",
            Column::Name => "name",
            Column::Head => "head",
            Column::Lag => "lag",
            Column::Latency => "latency",
            Column::Trend => "trend",
            Column::Availability => "avail",
            Column::LibLag => "lib",
            Column::Participation => "part",
            Column::Cert => "cert",
            Column::Version => "version",
            Column::Error => "error",
        }
    }

    pub fn from_key(s: &str) -> Option<Column> {
        ALL.iter().copied().find(|c| c.key() == s || c.title() == s)
    }

    pub fn sortable(self) -> bool {
        self != Column::Trend
    }

    /// Width in cells (`Error` takes what is left, at least this).
    pub fn width(self) -> u16 {
        match self {
            Column::Status => 7,
            Column::Network => 9,
            Column::Name => 12,
            Column::Head => 9,
            Column::Lag => 9,
            Column::Latency => 10,
            Column::Trend => 12,
            Column::Availability => 6,
            Column::LibLag => 4,
            Column::Participation => 4,
            Column::Cert => 5,
            Column::Version => 9,
            Column::Error => 16,
        }
    }

    /// Lower drops last when the terminal is narrow.
    pub fn priority(self) -> u8 {
        match self {
            Column::Status | Column::Name => 0,
            Column::Lag => 1,
            Column::Head => 2,
            Column::Latency => 3,
            Column::Error => 4,
            Column::Network => 5,
            Column::Availability => 6,
            Column::Trend => 7,
            Column::LibLag => 8,
            Column::Participation => 9,
            Column::Cert => 10,
            Column::Version => 11,
        }
    }

    pub fn next_sortable(self) -> Column {
        let i = ALL.iter().position(|c| *c == self).unwrap_or(0);
        let mut j = (i + 1) % ALL.len();
        while !ALL[j].sortable() {
            j = (j + 1) % ALL.len();
        }
        ALL[j]
    }

    /// Compares two endpoints worst first (for `Name` and `Network`: alphabetical).
    /// Endpoints with no value sort after those with one, whatever the direction.
    pub fn compare(self, a: &EndpointSnapshot, b: &EndpointSnapshot) -> Ordering {
        fn num<T: PartialOrd>(a: Option<T>, b: Option<T>, higher_is_worse: bool) -> Ordering {
            match (a, b) {
                (Some(x), Some(y)) => {
                    let o = x.partial_cmp(&y).unwrap_or(Ordering::Equal);
                    if higher_is_worse { o.reverse() } else { o }
                }
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
        }
        match self {
            Column::Status => a.status.cmp(&b.status),
            Column::Network => a.network.cmp(&b.network),
            Column::Name => a.name.cmp(&b.name),
            Column::Head => num(a.head_num, b.head_num, false),
            Column::Lag => {
                num(a.lag_blocks, b.lag_blocks, true).then_with(|| num(a.lag_s, b.lag_s, true))
            }
            Column::Latency | Column::Trend => num(a.latency.p99_ms, b.latency.p99_ms, true)
                .then_with(|| num(a.latency.p50_ms, b.latency.p50_ms, true)),
            Column::Availability => num(a.availability_pct, b.availability_pct, false),
            Column::LibLag => num(a.lib_lag, b.lib_lag, true),
            Column::Participation => num(a.participation_pct, b.participation_pct, false),
            Column::Cert => num(a.cert_days, b.cert_days, false),
            Column::Version => a.version.label().cmp(&b.version.label()),
            Column::Error => {
                let t = |e: &EndpointSnapshot| e.last_error.as_ref().map(|x| x.time);
                num(t(a), t(b), true)
            }
        }
    }
}

/// Which columns fit in `width`, dropping the lowest priority first.
pub fn fit(width: u16, skip_network: bool) -> Vec<Column> {
    let mut cols: Vec<Column> = ALL
        .iter()
        .copied()
        .filter(|c| !(skip_network && *c == Column::Network))
        .collect();
    let need = |cols: &[Column]| -> u16 { cols.iter().map(|c| c.width() + 1).sum::<u16>() };
    while need(&cols) > width && cols.len() > 2 {
        if let Some((i, _)) = cols.iter().enumerate().max_by_key(|(_, c)| c.priority()) {
            cols.remove(i);
        }
    }
    cols
}

/// Symbol and word for a status: never colour alone.
pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Ok => "✓ ok",
        Status::Warn => "▲ warn",
        Status::Crit => "✗ crit",
        Status::Down => "▼ down",
        Status::Unknown => "? ---",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_terminals_keep_the_essentials() {
        let cols = fit(80, false);
        for c in [
            Column::Status,
            Column::Name,
            Column::Lag,
            Column::Head,
            Column::Latency,
        ] {
            assert!(cols.contains(&c), "{c:?} dropped at 80: {cols:?}");
        }
        assert!(cols.iter().map(|c| c.width() + 1).sum::<u16>() <= 80);
        assert_eq!(fit(300, false).len(), ALL.len());
    }
}
