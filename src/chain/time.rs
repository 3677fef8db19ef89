//! `time_point_sec`: u32 seconds since the Unix epoch, JSON `YYYY-MM-DDTHH:MM:SS` naive UTC.

use super::error::ChainError;
use super::raw::{Pack, Reader, Unpack};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TimePointSec(pub u32);

impl TimePointSec {
    pub fn from_unix(secs: u32) -> Self {
        TimePointSec(secs)
    }

    pub fn unix(self) -> u32 {
        self.0
    }

    /// Saturates instead of wrapping so an expiration never jumps back to 1970.
    pub fn plus_secs(self, secs: u32) -> Self {
        TimePointSec(self.0.saturating_add(secs))
    }
}

impl fmt::Display for TimePointSec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        // Every u32 second count is a valid date, so these cannot fail; fall back to the
        // raw number rather than panicking if the time crate ever disagrees.
        match OffsetDateTime::from_unix_timestamp(i64::from(self.0))
            .ok()
            .and_then(|t| t.format(&fmt).ok())
        {
            Some(s) => f.write_str(&s),
            None => write!(f, "{}", self.0),
        }
    }
}

impl FromStr for TimePointSec {
    type Err = ChainError;

    fn from_str(s: &str) -> Result<Self, ChainError> {
        let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        // Some tools append a zone marker or fractional part; the node never does, but
        // accepting a bare trailing `Z` costs nothing.
        let core = s.strip_suffix('Z').unwrap_or(s);
        let t = PrimitiveDateTime::parse(core, &fmt).map_err(|_| ChainError::BadTime(s.into()))?;
        let secs = t.assume_utc().unix_timestamp();
        u32::try_from(secs)
            .map(TimePointSec)
            .map_err(|_| ChainError::BadTime(s.into()))
    }
}

impl Serialize for TimePointSec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimePointSec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Pack for TimePointSec {
    fn pack(&self, out: &mut Vec<u8>) {
        self.0.pack(out);
    }
}

impl Unpack for TimePointSec {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        u32::unpack(r).map(TimePointSec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let t: TimePointSec = "2024-01-01T00:00:00".parse().unwrap();
        assert_eq!(t.0, 1_704_067_200);
        assert_eq!(t.to_string(), "2024-01-01T00:00:00");
        assert_eq!(TimePointSec(u32::MAX).to_string(), "2106-02-07T06:28:15");
        assert!("2024-01-01 00:00:00".parse::<TimePointSec>().is_err());
        assert!("1969-12-31T23:59:59".parse::<TimePointSec>().is_err());
    }
}
