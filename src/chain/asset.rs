//! Asset amounts in the smallest unit, and the node's pretty form used in its messages.

use super::error::ChainError;
use super::ids::AssetId;
use super::json::i64_json;
use super::raw::{Pack, Reader, Unpack};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Asset {
    #[serde(with = "i64_json")]
    pub amount: i64,
    pub asset_id: AssetId,
}

impl Asset {
    pub fn new(amount: i64, asset_id: AssetId) -> Self {
        Asset { amount, asset_id }
    }

    pub fn core(amount: i64) -> Self {
        Asset::new(amount, AssetId::CORE)
    }
}

impl Pack for Asset {
    fn pack(&self, out: &mut Vec<u8>) {
        self.amount.pack(out);
        self.asset_id.pack(out);
    }
}

impl Unpack for Asset {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        Ok(Asset {
            amount: i64::unpack(r)?,
            asset_id: AssetId::unpack(r)?,
        })
    }
}

/// graphene `asset_object::amount_to_string` + symbol: the integer part, then `.` and
/// all `precision` digits only when the fraction is non-zero ("100 TEST", "0.50000 TEST").
pub fn to_pretty_string(amount: i64, precision: u8, symbol: &str) -> String {
    // i128 so that i64::MIN and precisions up to 18 cannot overflow.
    let scale = 10i128.pow(u32::from(precision.min(18)));
    let a = i128::from(amount);
    let sign = if a < 0 { "-" } else { "" };
    let (int, frac) = (a.abs() / scale, a.abs() % scale);
    if frac == 0 {
        format!("{sign}{int} {symbol}")
    } else {
        let width = usize::from(precision.min(18));
        format!("{sign}{int}.{frac:0width$} {symbol}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty() {
        assert_eq!(to_pretty_string(10_000_000, 5, "TEST"), "100 TEST");
        assert_eq!(to_pretty_string(50_000, 5, "TEST"), "0.50000 TEST");
        assert_eq!(to_pretty_string(100_000, 5, "BTS"), "1 BTS");
        assert_eq!(to_pretty_string(1, 5, "BTS"), "0.00001 BTS");
        assert_eq!(to_pretty_string(123_456_789, 5, "BTS"), "1234.56789 BTS");
        assert_eq!(to_pretty_string(-150_000, 5, "BTS"), "-1.50000 BTS");
        assert_eq!(to_pretty_string(7, 0, "X"), "7 X");
        assert!(to_pretty_string(i64::MIN, 5, "X").starts_with('-'));
    }

    #[test]
    fn json_and_bytes() {
        let a: Asset =
            serde_json::from_str(r#"{"amount":"5000000000","asset_id":"1.3.1234"}"#).unwrap();
        assert_eq!(a, Asset::new(5_000_000_000, AssetId(1234)));
        assert_eq!(hex::encode(a.to_bytes()), "00f2052a01000000d209");
        assert_eq!(Asset::from_bytes(&a.to_bytes()), Ok(a));
    }
}
