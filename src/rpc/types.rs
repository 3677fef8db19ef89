//! Result types of the typed calls and the serde helpers for fc's JSON (PROTOCOL.md §6).

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use time::PrimitiveDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// fc emits int64 outside the int32 range and uint64 above 2^32−1 as JSON strings, and
/// uint128 always as a string; every integer field goes through this.
pub fn int<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + TryFrom<u64> + TryFrom<i64>,
{
    deserializer.deserialize_any(IntVisitor(std::marker::PhantomData))
}

/// [`int`] for optional fields (`null` or absent → `None`; needs `#[serde(default)]`).
pub fn opt_int<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + TryFrom<u64> + TryFrom<i64>,
{
    struct OptVisitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: FromStr + TryFrom<u64> + TryFrom<i64>> Visitor<'de> for OptVisitor<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an integer, a decimal string or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            int(d).map(Some)
        }
    }
    deserializer.deserialize_option(OptVisitor(std::marker::PhantomData))
}

struct IntVisitor<T>(std::marker::PhantomData<T>);

impl<T: FromStr + TryFrom<u64> + TryFrom<i64>> Visitor<'_> for IntVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer or a decimal string")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("integer {v} out of range")))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("integer {v} out of range")))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.trim()
            .parse::<T>()
            .map_err(|_| E::custom(format!("not an integer: {v:?}")))
    }
}

/// Parse an integer out of a JSON value (number or decimal string).
pub fn int_from_value<T: FromStr + TryFrom<u64> + TryFrom<i64>>(v: &Value) -> Option<T> {
    match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                T::try_from(u).ok()
            } else {
                n.as_i64().and_then(|i| T::try_from(i).ok())
            }
        }
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

const TIME_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");

/// fc `time_point_sec` in JSON: `YYYY-MM-DDTHH:MM:SS`, naive UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChainTime(pub PrimitiveDateTime);

impl ChainTime {
    pub fn parse(s: &str) -> Option<ChainTime> {
        // Some tools append a zone or fraction; fc never does, but accept a trailing `Z`.
        let s = s.strip_suffix('Z').unwrap_or(s);
        PrimitiveDateTime::parse(s, TIME_FORMAT).ok().map(ChainTime)
    }

    /// Seconds since the Unix epoch, reading the naive time as UTC.
    pub fn unix_timestamp(&self) -> i64 {
        self.0.assume_utc().unix_timestamp()
    }

    pub fn from_unix_timestamp(secs: i64) -> Option<ChainTime> {
        let dt = time::OffsetDateTime::from_unix_timestamp(secs).ok()?;
        Some(ChainTime(PrimitiveDateTime::new(dt.date(), dt.time())))
    }
}

impl fmt::Display for ChainTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(TIME_FORMAT) {
            Ok(s) => f.write_str(&s),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl Serialize for ChainTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ChainTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        ChainTime::parse(&s).ok_or_else(|| de::Error::custom(format!("bad time {s:?}")))
    }
}

/// `{"amount": <int|string>, "asset_id": "1.3.0"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetAmount {
    #[serde(deserialize_with = "int")]
    pub amount: i64,
    pub asset_id: String,
}

/// Object 2.1.0. Unknown fields are ignored, optional ones default (older nodes lack some).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DynamicGlobalProperties {
    #[serde(default)]
    pub id: String,
    #[serde(deserialize_with = "int")]
    pub head_block_number: u32,
    pub head_block_id: String,
    pub time: ChainTime,
    #[serde(default)]
    pub current_witness: String,
    pub next_maintenance_time: ChainTime,
    #[serde(default)]
    pub last_vote_tally_time: Option<ChainTime>,
    #[serde(default)]
    pub last_budget_time: Option<ChainTime>,
    #[serde(default, deserialize_with = "opt_int")]
    pub witness_budget: Option<i64>,
    #[serde(default, deserialize_with = "opt_int")]
    pub total_pob: Option<i64>,
    #[serde(default, deserialize_with = "opt_int")]
    pub total_inactive: Option<i64>,
    #[serde(default, deserialize_with = "opt_int")]
    pub accounts_registered_this_interval: Option<u32>,
    #[serde(deserialize_with = "int")]
    pub recently_missed_count: u32,
    #[serde(deserialize_with = "int")]
    pub current_aslot: u64,
    #[serde(deserialize_with = "int")]
    pub recent_slots_filled: u128,
    #[serde(default, deserialize_with = "opt_int")]
    pub dynamic_flags: Option<u32>,
    #[serde(deserialize_with = "int")]
    pub last_irreversible_block_num: u32,
}

impl DynamicGlobalProperties {
    /// Witness participation over the last 128 slots, in percent (PROTOCOL.md §8).
    pub fn participation_percent(&self) -> f64 {
        f64::from(self.recent_slots_filled.count_ones()) * 100.0 / 128.0
    }
}

/// `get_global_properties().parameters`: the fields the console reads, the rest kept raw.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChainParameters {
    #[serde(deserialize_with = "int")]
    pub block_interval: u32,
    #[serde(deserialize_with = "int")]
    pub maintenance_interval: u32,
    #[serde(default, deserialize_with = "opt_int")]
    pub maintenance_skip_slots: Option<u32>,
    #[serde(deserialize_with = "int")]
    pub maximum_time_until_expiration: u32,
    #[serde(deserialize_with = "int")]
    pub maximum_transaction_size: u32,
    #[serde(default, deserialize_with = "opt_int")]
    pub maximum_block_size: Option<u32>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// Object 2.0.0.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GlobalProperties {
    #[serde(default)]
    pub id: String,
    pub parameters: ChainParameters,
    #[serde(default)]
    pub active_witnesses: Vec<String>,
    #[serde(default)]
    pub active_committee_members: Vec<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `get_block_header` result. Blocks carry no id of their own (PROTOCOL.md §7).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BlockHeader {
    pub previous: String,
    pub timestamp: ChainTime,
    pub witness: String,
    #[serde(default)]
    pub transaction_merkle_root: String,
    #[serde(default)]
    pub extensions: Value,
    #[serde(default)]
    pub witness_signature: Option<String>,
}

impl BlockHeader {
    /// This block's number: the previous id's number plus one (first 4 id bytes, big-endian).
    pub fn block_num(&self) -> Option<u32> {
        block_num_from_id(&self.previous).map(|n| n.wrapping_add(1))
    }
}

/// `get_block` result; transactions are kept as JSON.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Block {
    pub previous: String,
    pub timestamp: ChainTime,
    pub witness: String,
    #[serde(default)]
    pub transaction_merkle_root: String,
    #[serde(default)]
    pub extensions: Value,
    #[serde(default)]
    pub witness_signature: String,
    #[serde(default)]
    pub transactions: Vec<Value>,
}

/// The block number encoded in the first 4 bytes of a block id.
pub fn block_num_from_id(id: &str) -> Option<u32> {
    let head = id.get(..8)?;
    u32::from_str_radix(head, 16).ok()
}

/// An account object (1.2.x): the fields the console reads, the rest kept raw.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub registrar: String,
    #[serde(default)]
    pub referrer: String,
    #[serde(default)]
    pub lifetime_referrer: String,
    #[serde(default)]
    pub membership_expiration_date: Option<ChainTime>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl Account {
    /// graphene: lifetime members have `membership_expiration_date == time_point_sec::maximum()`.
    pub fn is_lifetime_member(&self) -> bool {
        self.membership_expiration_date
            .is_some_and(|t| t.unix_timestamp() == i64::from(u32::MAX))
    }
}

/// `broadcast_transaction_synchronous` result / `broadcast_transaction_with_callback` notice.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TxConfirmation {
    pub id: String,
    #[serde(deserialize_with = "int")]
    pub block_num: u32,
    #[serde(deserialize_with = "int")]
    pub trx_num: u32,
    #[serde(default)]
    pub trx: Value,
}

/// A subscription notice: `{"method":"notice","params":[callback,[args...]]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// The client-chosen callback integer given at subscription time.
    pub callback: u64,
    /// `params[1]`; every database-API callback has exactly one argument.
    pub args: Vec<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_as_numbers_or_strings() {
        let a: AssetAmount =
            serde_json::from_value(json!({"amount":"5000000000","asset_id":"1.3.0"})).unwrap();
        assert_eq!(a.amount, 5_000_000_000);
        let a: AssetAmount =
            serde_json::from_value(json!({"amount":-7,"asset_id":"1.3.0"})).unwrap();
        assert_eq!(a.amount, -7);
        assert!(
            serde_json::from_value::<AssetAmount>(json!({"amount":"x","asset_id":""})).is_err()
        );
        assert!(
            serde_json::from_value::<AssetAmount>(json!({"amount":1.5,"asset_id":""})).is_err()
        );
    }

    #[test]
    fn dgp_example_from_protocol_parses() {
        let v = json!({"id":"2.1.0","head_block_number":28008252,
            "head_block_id":"01ab5f3c9e2d4b7a8c1f0e6d5a4b3c2d1e0f9a8b",
            "time":"2024-01-01T00:00:00","current_witness":"1.6.12",
            "next_maintenance_time":"2024-01-01T01:00:00",
            "last_vote_tally_time":"2024-01-01T00:00:00","last_budget_time":"2024-01-01T00:00:00",
            "witness_budget":0,"total_pob":0,"total_inactive":0,"accounts_registered_this_interval":3,
            "recently_missed_count":0,"current_aslot":"28050000",
            "recent_slots_filled":"340282366920938463463374607431768211455","dynamic_flags":0,
            "last_irreversible_block_num":28008237, "future_field": {"x": 1}});
        let d: DynamicGlobalProperties = serde_json::from_value(v).unwrap();
        assert_eq!(d.head_block_number, 28008252);
        assert_eq!(d.current_aslot, 28050000);
        assert_eq!(d.recent_slots_filled, u128::MAX);
        assert_eq!(d.participation_percent(), 100.0);
        assert_eq!(d.time.to_string(), "2024-01-01T00:00:00");
        assert_eq!(d.time.unix_timestamp(), 1_704_067_200);
        assert_eq!(block_num_from_id(&d.head_block_id), Some(28008252));
    }

    #[test]
    fn chain_time_round_trip() {
        let t = ChainTime::parse("2106-02-07T06:28:15").unwrap();
        assert_eq!(t.unix_timestamp(), i64::from(u32::MAX));
        assert_eq!(ChainTime::from_unix_timestamp(t.unix_timestamp()), Some(t));
        assert!(ChainTime::parse("2024-13-01T00:00:00").is_none());
        assert!(ChainTime::parse("garbage").is_none());
    }
}
