//! The two extension shapes found in the ops we build. Neither carries data in any
//! transaction the console makes, so both accept only the empty value and say so
//! loudly otherwise instead of dropping fields (which would change the signed bytes).

use super::error::ChainError;
use super::raw::{Pack, Reader, Unpack, read_varint};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Accepts `[]`, `{}` or `null`; anything with content is an error.
struct EmptyVisitor(&'static str);

impl<'de> Visitor<'de> for EmptyVisitor {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an empty {} ([], {{}} or null)", self.0)
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match seq.next_element::<de::IgnoredAny>()? {
            None => Ok(()),
            Some(_) => Err(de::Error::custom(ChainError::UnsupportedExtension(self.0))),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match map.next_key::<de::IgnoredAny>()? {
            None => Ok(()),
            Some(_) => Err(de::Error::custom(ChainError::UnsupportedExtension(self.0))),
        }
    }
}

/// `extensions_type` (a flat_set of `static_variant<void_t>`): JSON `[]`, bytes `00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FutureExtensions;

impl Serialize for FutureExtensions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_seq(Some(0))?.end()
    }
}

impl<'de> Deserialize<'de> for FutureExtensions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EmptyVisitor("extensions"))?;
        Ok(FutureExtensions)
    }
}

impl Pack for FutureExtensions {
    fn pack(&self, out: &mut Vec<u8>) {
        out.push(0);
    }
}

impl Unpack for FutureExtensions {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        match read_varint(r)? {
            0 => Ok(FutureExtensions),
            _ => Err(ChainError::UnsupportedExtension("extensions")),
        }
    }
}

/// `extension<account_create_operation::ext>`: JSON is an object (`{}` when empty; the
/// node also takes `[]` or null), bytes are the count of present fields (`00`).
/// The optional special authorities and buyback options are not modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AccountCreateExtensions;

impl Serialize for AccountCreateExtensions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_map(Some(0))?.end()
    }
}

impl<'de> Deserialize<'de> for AccountCreateExtensions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EmptyVisitor("account_create extensions"))?;
        Ok(AccountCreateExtensions)
    }
}

impl Pack for AccountCreateExtensions {
    fn pack(&self, out: &mut Vec<u8>) {
        out.push(0);
    }
}

impl Unpack for AccountCreateExtensions {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        match read_varint(r)? {
            0 => Ok(AccountCreateExtensions),
            _ => Err(ChainError::UnsupportedExtension(
                "account_create extensions",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_forms() {
        for s in ["[]", "{}", "null"] {
            assert!(
                serde_json::from_str::<AccountCreateExtensions>(s).is_ok(),
                "{s}"
            );
            assert!(serde_json::from_str::<FutureExtensions>(s).is_ok(), "{s}");
        }
        let e = serde_json::from_str::<AccountCreateExtensions>(r#"{"null_ext":{}}"#).unwrap_err();
        assert!(e.to_string().contains("not supported"), "{e}");
        assert!(serde_json::from_str::<FutureExtensions>("[[0,{}]]").is_err());
        assert_eq!(
            serde_json::to_string(&AccountCreateExtensions).unwrap(),
            "{}"
        );
        assert_eq!(serde_json::to_string(&FutureExtensions).unwrap(), "[]");
        assert!(AccountCreateExtensions::from_bytes(&[1, 0]).is_err());
    }
}
