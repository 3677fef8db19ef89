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
            Column::LibLag => "LIB lag",
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
        ALL.iter()
            .copied()
            .find(|c| c.key() == s || c.title().eq_ignore_ascii_case(s))
    }

    /// The names `:sort` takes, left to right.
    pub fn sort_keys() -> Vec<&'static str> {
        ALL.iter()
            .filter(|c| c.sortable())
            .map(|c| c.key())
            .collect()
    }

    pub fn sortable(self) -> bool {
        self != Column::Trend
    }

    /// Widest it gets, in cells (`Error` takes what is left, at least this). Columns
    /// narrower by content get only what their title and values need: see [`layout`].
    pub fn width(self) -> u16 {
        match self {
            Column::Status => 7,
            Column::Network => 9,
            Column::Name => 14,
            Column::Head => 9,
            Column::Lag => 9,
            Column::Latency => 10,
            Column::Trend => 12,
            Column::Availability => 6,
            Column::LibLag => 7,
            Column::Participation => 4,
            Column::Cert => 5,
            // `≠6.0.0..6.1.0`: a bracket and the off-majority mark (narrower values
            // take only their own width).
            Column::Version => 13,
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
            // Endpoints whose first probe is still under way sort first: a slow
            // connect is news, and below the ok rows it would go unseen.
            Column::Status => {
                let rank = |e: &EndpointSnapshot| match e.status {
                    Status::Unknown => 0,
                    s => 1 + s as u8,
                };
                rank(a).cmp(&rank(b))
            }
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
    layout(width, skip_network, None, |c| c.width())
        .into_iter()
        .map(|(c, _)| c)
        .collect()
}

/// The least the reason column gets on a terminal `width` wide before numbers of
/// lower priority are dropped: the reason is what an operator reads first.
pub fn error_min(width: u16) -> u16 {
    Column::Error.width().max((width / 2).min(ERROR_MAX_MIN))
}

/// Past this the reason's share stops growing with the terminal: a wide one shows
/// every column and still leaves the reason more.
const ERROR_MAX_MIN: u16 = 60;

/// The columns that fit in `width` with the width of each: every column but `Error`
/// as wide as `natural` says its title and values need (at most [`Column::width`]).
/// Columns less important than the reason are dropped, lowest priority first, until
/// the reason has at least [`error_min`]; if it still has not, it takes what is left
/// (at least its own [`Column::width`], more important columns dropped for that). It
/// then takes whatever is left. `keep` (the sort column) is never dropped, so the
/// header always shows what the rows are sorted by.
pub fn layout(
    width: u16,
    skip_network: bool,
    keep: Option<Column>,
    natural: impl Fn(Column) -> u16,
) -> Vec<(Column, u16)> {
    let mut cols: Vec<(Column, u16)> = ALL
        .iter()
        .copied()
        .filter(|c| !(skip_network && *c == Column::Network))
        .map(|c| {
            let w = if c == Column::Error {
                Column::Error.width()
            } else {
                natural(c).clamp(1, c.width())
            };
            (c, w)
        })
        .collect();
    let need = |cols: &[(Column, u16)], error: u16| -> u16 {
        cols.iter()
            .map(|(c, w)| if *c == Column::Error { error } else { *w } + 1)
            .sum::<u16>()
    };
    // The least important droppable column, among those `allowed`.
    let victim = |cols: &[(Column, u16)], allowed: &dyn Fn(Column) -> bool| {
        cols.iter()
            .enumerate()
            .filter(|(_, (c, _))| Some(*c) != keep && *c != Column::Error && allowed(*c))
            .max_by_key(|(_, (c, _))| c.priority())
            .map(|(i, _)| i)
    };
    let less_than_reason = |c: Column| c.priority() > Column::Error.priority();
    while need(&cols, error_min(width)) > width {
        match victim(&cols, &less_than_reason) {
            Some(i) => {
                cols.remove(i);
            }
            None => break,
        }
    }
    while need(&cols, Column::Error.width()) > width && cols.len() > 2 {
        match victim(&cols, &|_| true) {
            Some(i) => {
                cols.remove(i);
            }
            None => break,
        }
    }
    let fixed: u16 = cols
        .iter()
        .filter(|(c, _)| *c != Column::Error)
        .map(|(_, w)| w + 1)
        .sum();
    for (c, w) in &mut cols {
        if *c == Column::Error {
            *w = width.saturating_sub(fixed).max(Column::Error.width());
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

    #[test]
    fn the_reason_gets_what_the_numbers_do_not_need() {
        // Short names and numbers: the reason takes the rest of the line.
        let narrow = |c: Column| c.title().chars().count() as u16;
        let cols = layout(80, true, None, narrow);
        let error = cols.iter().find(|(c, _)| *c == Column::Error).unwrap().1;
        assert!(error >= error_min(80), "{cols:?}");
        // Every cell but the last has a space after it.
        assert_eq!(
            cols.iter().map(|(_, w)| w + 1).sum::<u16>() - 1,
            80,
            "{cols:?}"
        );
        // Wide numbers: every column less telling than the reason goes before it
        // shrinks, and it keeps the rest.
        let cols = layout(80, false, None, |c| c.width());
        assert!(
            cols.iter()
                .all(|(c, _)| c.priority() <= Column::Error.priority()),
            "{cols:?}"
        );
        assert_eq!(
            cols.iter().map(|(_, w)| w + 1).sum::<u16>() - 1,
            80,
            "{cols:?}"
        );
    }

    #[test]
    fn the_sort_column_is_never_dropped() {
        let cols = fit(80, false);
        assert!(!cols.contains(&Column::Version));
        let kept = layout(80, false, Some(Column::Version), |c| c.width());
        assert!(kept.iter().any(|(c, _)| *c == Column::Version), "{kept:?}");
        assert!(kept.iter().map(|(_, w)| w + 1).sum::<u16>() - 1 <= 80);
    }
}
