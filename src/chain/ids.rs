//! Object ids `space.type.instance`. Typed ids (`account_id_type`, ...) pack as the
//! varint of the instance alone; their space and type are implied by the field.

use super::error::ChainError;
use super::raw::{Pack, Reader, Unpack, read_varint, write_varint};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Instances are 48 bits in graphene (`object_id_type` packs space/type/instance in a u64).
const MAX_INSTANCE: u64 = (1 << 48) - 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId {
    pub space: u8,
    pub type_id: u8,
    pub instance: u64,
}

impl ObjectId {
    pub const fn new(space: u8, type_id: u8, instance: u64) -> Self {
        ObjectId {
            space,
            type_id,
            instance,
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.space, self.type_id, self.instance)
    }
}

impl FromStr for ObjectId {
    type Err = ChainError;

    fn from_str(s: &str) -> Result<Self, ChainError> {
        let bad = || ChainError::BadObjectId(s.to_string());
        let mut parts = s.split('.');
        let (Some(a), Some(b), Some(c), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        // `u64::from_str` accepts a leading '+'; the node does not.
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !(digits(a) && digits(b) && digits(c)) {
            return Err(bad());
        }
        let space = a.parse::<u8>().map_err(|_| bad())?;
        let type_id = b.parse::<u8>().map_err(|_| bad())?;
        let instance = c.parse::<u64>().map_err(|_| bad())?;
        if instance > MAX_INSTANCE {
            return Err(bad());
        }
        Ok(ObjectId::new(space, type_id, instance))
    }
}

impl Serialize for ObjectId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ObjectId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $space:expr, $type_id:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub u64);

        impl $name {
            pub const SPACE: u8 = $space;
            pub const TYPE: u8 = $type_id;

            pub fn object_id(self) -> ObjectId {
                ObjectId::new(Self::SPACE, Self::TYPE, self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.object_id().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ChainError;

            fn from_str(s: &str) -> Result<Self, ChainError> {
                let id: ObjectId = s.parse()?;
                if id.space != Self::SPACE || id.type_id != Self::TYPE {
                    return Err(ChainError::BadObjectId(s.to_string()));
                }
                Ok($name(id.instance))
            }
        }

        impl TryFrom<ObjectId> for $name {
            type Error = ChainError;

            fn try_from(id: ObjectId) -> Result<Self, ChainError> {
                if id.space != Self::SPACE || id.type_id != Self::TYPE {
                    return Err(ChainError::BadObjectId(id.to_string()));
                }
                Ok($name(id.instance))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl Pack for $name {
            fn pack(&self, out: &mut Vec<u8>) {
                write_varint(out, self.0);
            }
        }

        impl Unpack for $name {
            fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
                read_varint(r).map($name)
            }
        }
    };
}

typed_id!(
    /// `1.2.x`
    AccountId, 1, 2
);
typed_id!(
    /// `1.3.x`
    AssetId, 1, 3
);

impl AccountId {
    /// `1.2.5` (GRAPHENE_PROXY_TO_SELF_ACCOUNT): "vote for myself".
    pub const PROXY_TO_SELF: AccountId = AccountId(5);
}

impl AssetId {
    /// `1.3.0`, the core asset (BTS / TEST).
    pub const CORE: AssetId = AssetId(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        let id: ObjectId = "1.2.17".parse().unwrap();
        assert_eq!(id, ObjectId::new(1, 2, 17));
        assert_eq!(id.to_string(), "1.2.17");
        assert_eq!("1.2.17".parse::<AccountId>().unwrap(), AccountId(17));
        assert_eq!(AccountId(17).to_bytes(), vec![0x11]);
        assert_eq!(AccountId(300).to_bytes(), vec![0xac, 0x02]);
    }

    #[test]
    fn parse_errors() {
        for bad in [
            "",
            "1.2",
            "1.2.3.4",
            "1.2.x",
            "a.b.c",
            "1..3",
            "1.2.-1",
            "1.2.+3",
            "256.2.3",
            "1.2.281474976710656",
            " 1.2.3",
        ] {
            assert_eq!(
                bad.parse::<ObjectId>(),
                Err(ChainError::BadObjectId(bad.to_string())),
                "{bad}"
            );
        }
        assert_eq!(
            "1.3.0".parse::<AccountId>(),
            Err(ChainError::BadObjectId("1.3.0".into()))
        );
        assert!(serde_json::from_str::<AssetId>("\"1.2.0\"").is_err());
    }
}
