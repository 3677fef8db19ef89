//! fc JSON value rules: 64-bit integers travel as strings when they leave the 32-bit
//! range, and every integer may arrive as a number or a string.

use serde::Serializer;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

struct IntVisitor;

impl Visitor<'_> for IntVisitor {
    type Value = i128;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer as a JSON number or a decimal string")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i128, E> {
        Ok(i128::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i128, E> {
        Ok(i128::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<i128, E> {
        v.trim()
            .parse::<i128>()
            .map_err(|_| E::custom(format!("not an integer: {v:?}")))
    }
}

fn deserialize_int<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128>,
{
    let v = d.deserialize_any(IntVisitor)?;
    T::try_from(v).map_err(|_| de::Error::custom(format!("integer {v} out of range")))
}

macro_rules! int_module {
    ($name:ident, $t:ty, $as_number:expr) => {
        pub mod $name {
            use super::*;

            pub fn serialize<S: Serializer>(v: &$t, s: S) -> Result<S::Ok, S::Error> {
                let as_number: fn($t) -> bool = $as_number;
                if as_number(*v) {
                    s.serialize_i64(*v as i64)
                } else {
                    s.collect_str(v)
                }
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                deserialize_int(d)
            }
        }
    };
}

int_module!(i64_json, i64, |v| i32::try_from(v).is_ok());
int_module!(u64_json, u64, |v| u32::try_from(v).is_ok());
int_module!(u32_json, u32, |_| true);
int_module!(u16_json, u16, |_| true);

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct T {
        #[serde(with = "super::i64_json")]
        a: i64,
        #[serde(with = "super::u64_json")]
        b: u64,
        #[serde(with = "super::u16_json")]
        c: u16,
    }

    #[test]
    fn number_or_string() {
        let t: T = serde_json::from_str(r#"{"a":"5000000000","b":7,"c":"9"}"#).unwrap();
        assert_eq!(
            t,
            T {
                a: 5_000_000_000,
                b: 7,
                c: 9
            }
        );
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"a":"5000000000","b":7,"c":9}"#
        );
        let big = T {
            a: -5,
            b: u64::MAX,
            c: 0,
        };
        assert_eq!(
            serde_json::to_string(&big).unwrap(),
            r#"{"a":-5,"b":"18446744073709551615","c":0}"#
        );
        assert!(serde_json::from_str::<T>(r#"{"a":1,"b":1,"c":70000}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"a":"x","b":1,"c":1}"#).is_err());
    }
}
