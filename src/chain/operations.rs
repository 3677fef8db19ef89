//! The operations the console builds: transfer (0) and account_create (5), with the
//! node's JSON shape (`[tag, {...}]`) and fc::raw layout. Any other tag is a typed
//! error: silently skipping an op would sign something other than what was shown.

use super::asset::Asset;
use super::error::ChainError;
use super::extensions::{AccountCreateExtensions, FutureExtensions};
use super::ids::AccountId;
use super::json::{u16_json, u32_json, u64_json};
use super::keys::{Address, PublicKey};
use super::raw::{Bytes, Pack, Reader, Unpack, pack_sorted_by, read_varint, write_varint};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// GRAPHENE_100_PERCENT: percentages are basis points.
pub const HUNDRED_PERCENT: u16 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memo {
    pub from: PublicKey,
    pub to: PublicKey,
    #[serde(with = "u64_json")]
    pub nonce: u64,
    pub message: Bytes,
}

impl Pack for Memo {
    fn pack(&self, out: &mut Vec<u8>) {
        self.from.pack(out);
        self.to.pack(out);
        self.nonce.pack(out);
        self.message.pack(out);
    }
}

impl Unpack for Memo {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        Ok(Memo {
            from: PublicKey::unpack(r)?,
            to: PublicKey::unpack(r)?,
            nonce: u64::unpack(r)?,
            message: Bytes::unpack(r)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferOp {
    pub fee: Asset,
    pub from: AccountId,
    pub to: AccountId,
    pub amount: Asset,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<Memo>,
    #[serde(default)]
    pub extensions: FutureExtensions,
}

impl TransferOp {
    /// transfer_operation::validate(), with the node's condition texts.
    pub fn validate(&self) -> Result<(), ChainError> {
        if self.fee.amount < 0 {
            return Err(ChainError::InvalidOperation("fee.amount >= 0"));
        }
        if self.from == self.to {
            return Err(ChainError::InvalidOperation("from != to"));
        }
        if self.amount.amount <= 0 {
            return Err(ChainError::InvalidOperation("amount.amount > 0"));
        }
        Ok(())
    }
}

impl Pack for TransferOp {
    fn pack(&self, out: &mut Vec<u8>) {
        self.fee.pack(out);
        self.from.pack(out);
        self.to.pack(out);
        self.amount.pack(out);
        self.memo.pack(out);
        self.extensions.pack(out);
    }
}

impl Unpack for TransferOp {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        Ok(TransferOp {
            fee: Asset::unpack(r)?,
            from: AccountId::unpack(r)?,
            to: AccountId::unpack(r)?,
            amount: Asset::unpack(r)?,
            memo: Option::unpack(r)?,
            extensions: FutureExtensions::unpack(r)?,
        })
    }
}

/// `vote_id_type`: JSON `"type:instance"`, bytes u32 LE `(instance << 8) | type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VoteId(u32);

impl VoteId {
    pub const COMMITTEE: u8 = 0;
    pub const WITNESS: u8 = 1;
    pub const WORKER: u8 = 2;

    pub fn new(vote_type: u8, instance: u32) -> Result<VoteId, ChainError> {
        if instance >= 1 << 24 {
            return Err(ChainError::BadVoteId(format!("{vote_type}:{instance}")));
        }
        Ok(VoteId((instance << 8) | u32::from(vote_type)))
    }

    pub fn vote_type(self) -> u8 {
        (self.0 & 0xff) as u8
    }

    pub fn instance(self) -> u32 {
        self.0 >> 8
    }

    pub fn content(self) -> u32 {
        self.0
    }
}

impl fmt::Display for VoteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.vote_type(), self.instance())
    }
}

impl FromStr for VoteId {
    type Err = ChainError;

    fn from_str(s: &str) -> Result<Self, ChainError> {
        let bad = || ChainError::BadVoteId(s.to_string());
        let (t, i) = s.split_once(':').ok_or_else(bad)?;
        let t: u8 = t.parse().map_err(|_| bad())?;
        let i: u32 = i.parse().map_err(|_| bad())?;
        VoteId::new(t, i)
    }
}

impl Serialize for VoteId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VoteId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

impl Pack for VoteId {
    fn pack(&self, out: &mut Vec<u8>) {
        self.0.pack(out);
    }
}

impl Unpack for VoteId {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        u32::unpack(r).map(VoteId)
    }
}

/// Maps are kept as vectors of pairs (the node's JSON shape) and sorted only when
/// packed, the way the node re-sorts what it receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Authority {
    #[serde(with = "u32_json")]
    pub weight_threshold: u32,
    #[serde(default)]
    pub account_auths: Vec<(AccountId, u16)>,
    #[serde(default)]
    pub key_auths: Vec<(PublicKey, u16)>,
    #[serde(default)]
    pub address_auths: Vec<(Address, u16)>,
}

impl Authority {
    /// A single key with weight 1 and threshold 1, the usual account authority.
    pub fn single_key(key: PublicKey) -> Authority {
        Authority {
            weight_threshold: 1,
            key_auths: vec![(key, 1)],
            ..Authority::default()
        }
    }

    pub fn num_auths(&self) -> usize {
        self.account_auths.len() + self.key_auths.len() + self.address_auths.len()
    }

    /// graphene `authority::is_impossible`: the weights cannot reach the threshold.
    pub fn is_impossible(&self) -> bool {
        let total: u64 = self
            .account_auths
            .iter()
            .map(|a| u64::from(a.1))
            .sum::<u64>()
            + self.key_auths.iter().map(|a| u64::from(a.1)).sum::<u64>()
            + self
                .address_auths
                .iter()
                .map(|a| u64::from(a.1))
                .sum::<u64>();
        total < u64::from(self.weight_threshold)
    }
}

impl Pack for Authority {
    fn pack(&self, out: &mut Vec<u8>) {
        self.weight_threshold.pack(out);
        pack_sorted_by(out, &self.account_auths, |a| a.0);
        // The node orders key_auths by address, not by raw key bytes.
        pack_sorted_by(out, &self.key_auths, |a| *a.0.address().as_bytes());
        pack_sorted_by(out, &self.address_auths, |a| *a.0.as_bytes());
    }
}

impl Unpack for Authority {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        Ok(Authority {
            weight_threshold: u32::unpack(r)?,
            account_auths: Vec::unpack(r)?,
            key_auths: Vec::unpack(r)?,
            address_auths: Vec::unpack(r)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountOptions {
    pub memo_key: PublicKey,
    pub voting_account: AccountId,
    #[serde(with = "u16_json")]
    pub num_witness: u16,
    #[serde(with = "u16_json")]
    pub num_committee: u16,
    #[serde(default)]
    pub votes: Vec<VoteId>,
    #[serde(default)]
    pub extensions: FutureExtensions,
}

impl AccountOptions {
    /// Memo key set, voting proxied to self, no votes.
    pub fn with_memo_key(memo_key: PublicKey) -> AccountOptions {
        AccountOptions {
            memo_key,
            voting_account: AccountId::PROXY_TO_SELF,
            num_witness: 0,
            num_committee: 0,
            votes: Vec::new(),
            extensions: FutureExtensions,
        }
    }
}

impl Pack for AccountOptions {
    fn pack(&self, out: &mut Vec<u8>) {
        self.memo_key.pack(out);
        self.voting_account.pack(out);
        self.num_witness.pack(out);
        self.num_committee.pack(out);
        pack_sorted_by(out, &self.votes, |v| *v);
        self.extensions.pack(out);
    }
}

impl Unpack for AccountOptions {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        Ok(AccountOptions {
            memo_key: PublicKey::unpack(r)?,
            voting_account: AccountId::unpack(r)?,
            num_witness: u16::unpack(r)?,
            num_committee: u16::unpack(r)?,
            votes: Vec::unpack(r)?,
            extensions: FutureExtensions::unpack(r)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCreateOp {
    pub fee: Asset,
    pub registrar: AccountId,
    pub referrer: AccountId,
    #[serde(with = "u16_json")]
    pub referrer_percent: u16,
    pub name: String,
    pub owner: Authority,
    pub active: Authority,
    pub options: AccountOptions,
    #[serde(default)]
    pub extensions: AccountCreateExtensions,
}

impl AccountCreateOp {
    /// account_create_operation::validate(), with the node's condition texts.
    pub fn validate(&self) -> Result<(), ChainError> {
        if self.fee.amount < 0 {
            return Err(ChainError::InvalidOperation("fee.amount >= 0"));
        }
        if !is_valid_name(&self.name) {
            return Err(ChainError::InvalidOperation("is_valid_name( name )"));
        }
        if self.referrer_percent > HUNDRED_PERCENT {
            return Err(ChainError::InvalidOperation(
                "referrer_percent <= GRAPHENE_100_PERCENT",
            ));
        }
        for (auth, nonempty, no_addr) in [
            (
                &self.owner,
                "owner.num_auths() != 0",
                "owner.address_auths.size() == 0",
            ),
            (
                &self.active,
                "active.num_auths() != 0",
                "active.address_auths.size() == 0",
            ),
        ] {
            if auth.num_auths() == 0 {
                return Err(ChainError::InvalidOperation(nonempty));
            }
            if !auth.address_auths.is_empty() {
                return Err(ChainError::InvalidOperation(no_addr));
            }
        }
        if self.owner.is_impossible() {
            return Err(ChainError::InvalidOperation("!owner.is_impossible()"));
        }
        let count = |t: u8| {
            self.options
                .votes
                .iter()
                .filter(|v| v.vote_type() == t)
                .count()
        };
        if usize::from(self.options.num_witness) > count(VoteId::WITNESS)
            || usize::from(self.options.num_committee) > count(VoteId::COMMITTEE)
        {
            return Err(ChainError::InvalidOperation(
                "needed_witnesses == 0 && needed_committee == 0",
            ));
        }
        Ok(())
    }
}

impl Pack for AccountCreateOp {
    fn pack(&self, out: &mut Vec<u8>) {
        self.fee.pack(out);
        self.registrar.pack(out);
        self.referrer.pack(out);
        self.referrer_percent.pack(out);
        self.name.pack(out);
        self.owner.pack(out);
        self.active.pack(out);
        self.options.pack(out);
        self.extensions.pack(out);
    }
}

impl Unpack for AccountCreateOp {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        Ok(AccountCreateOp {
            fee: Asset::unpack(r)?,
            registrar: AccountId::unpack(r)?,
            referrer: AccountId::unpack(r)?,
            referrer_percent: u16::unpack(r)?,
            name: String::unpack(r)?,
            owner: Authority::unpack(r)?,
            active: Authority::unpack(r)?,
            options: AccountOptions::unpack(r)?,
            extensions: AccountCreateExtensions::unpack(r)?,
        })
    }
}

/// graphene `is_valid_name`: 1–63 chars of dot-separated labels, each starting with a
/// lowercase letter, continuing with `a-z0-9-`, ending with a letter or digit.
pub fn is_valid_name(name: &str) -> bool {
    account_name_problem(name).is_none()
}

/// Why the chain would refuse `name` as an account name (the rules of graphene's
/// `is_valid_name`), or None when it is valid. Said in words an operator can act on.
pub fn account_name_problem(name: &str) -> Option<String> {
    const MAX: usize = 63;
    if name.is_empty() {
        return Some("an account name must not be empty".into());
    }
    if name.len() > MAX {
        return Some(format!(
            "an account name has at most {MAX} characters; this one has {}",
            name.len()
        ));
    }
    if name.chars().any(|c| c.is_uppercase()) {
        return Some("account names are lower case; this one has upper-case letters".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.')))
    {
        return Some(format!(
            "an account name has only a-z, 0-9, '-' and '.'; this one has {c:?}"
        ));
    }
    for label in name.split('.') {
        let b = label.as_bytes();
        let (Some(first), Some(last)) = (b.first(), b.last()) else {
            return Some(
                "an account name must not start or end with '.' nor have two dots in a row".into(),
            );
        };
        if !first.is_ascii_lowercase() {
            return Some(format!(
                "each dot-separated part of an account name starts with a letter; {label:?} does not"
            ));
        }
        if !(last.is_ascii_lowercase() || last.is_ascii_digit()) {
            return Some(format!(
                "each dot-separated part of an account name ends with a letter or digit; {label:?} does not"
            ));
        }
    }
    None
}

/// Cheap names pay `basic_fee`: they contain a digit, `.`, `-` or `/`, or no vowel.
pub fn is_cheap_name(name: &str) -> bool {
    name.bytes()
        .any(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'/'))
        || !name
            .bytes()
            .any(|c| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y'))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    Transfer(TransferOp),
    AccountCreate(AccountCreateOp),
}

impl Operation {
    pub const TRANSFER: u64 = 0;
    pub const ACCOUNT_CREATE: u64 = 5;

    /// The static_variant index in graphene's `operation`.
    pub fn tag(&self) -> u64 {
        match self {
            Operation::Transfer(_) => Self::TRANSFER,
            Operation::AccountCreate(_) => Self::ACCOUNT_CREATE,
        }
    }

    pub fn is_known_tag(tag: u64) -> bool {
        matches!(tag, Self::TRANSFER | Self::ACCOUNT_CREATE)
    }

    pub fn validate(&self) -> Result<(), ChainError> {
        match self {
            Operation::Transfer(op) => op.validate(),
            Operation::AccountCreate(op) => op.validate(),
        }
    }

    /// Parses the node's `[tag, {...}]` form with a typed error for unknown tags.
    pub fn from_json_value(v: &serde_json::Value) -> Result<Operation, ChainError> {
        if let Some(tag) = v.get(0).and_then(serde_json::Value::as_u64) {
            if !Self::is_known_tag(tag) {
                return Err(ChainError::UnknownOperation(tag));
            }
        }
        Ok(Operation::deserialize(v)?)
    }
}

impl From<TransferOp> for Operation {
    fn from(op: TransferOp) -> Self {
        Operation::Transfer(op)
    }
}

impl From<AccountCreateOp> for Operation {
    fn from(op: AccountCreateOp) -> Self {
        Operation::AccountCreate(op)
    }
}

impl Pack for Operation {
    fn pack(&self, out: &mut Vec<u8>) {
        write_varint(out, self.tag());
        match self {
            Operation::Transfer(op) => op.pack(out),
            Operation::AccountCreate(op) => op.pack(out),
        }
    }
}

impl Unpack for Operation {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        match read_varint(r)? {
            Self::TRANSFER => TransferOp::unpack(r).map(Operation::Transfer),
            Self::ACCOUNT_CREATE => AccountCreateOp::unpack(r).map(Operation::AccountCreate),
            tag => Err(ChainError::UnknownOperation(tag)),
        }
    }
}

impl Serialize for Operation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(2)?;
        t.serialize_element(&self.tag())?;
        match self {
            Operation::Transfer(op) => t.serialize_element(op)?,
            Operation::AccountCreate(op) => t.serialize_element(op)?,
        }
        t.end()
    }
}

impl<'de> Deserialize<'de> for Operation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct OpVisitor;

        impl<'de> Visitor<'de> for OpVisitor {
            type Value = Operation;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an operation [tag, {...}] with a numeric tag")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Operation, A::Error> {
                let tag: u64 = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let op = match tag {
                    Operation::TRANSFER => {
                        seq.next_element::<TransferOp>()?.map(Operation::Transfer)
                    }
                    Operation::ACCOUNT_CREATE => seq
                        .next_element::<AccountCreateOp>()?
                        .map(Operation::AccountCreate),
                    other => return Err(de::Error::custom(ChainError::UnknownOperation(other))),
                };
                let op = op.ok_or_else(|| de::Error::invalid_length(1, &self))?;
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(3, &self));
                }
                Ok(op)
            }
        }

        d.deserialize_seq(OpVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["alice-test1", "a", "abc.def1", "a-b"] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "Alice",
            "1abc",
            "abc-",
            "a..b",
            ".a",
            "a_b",
            &"a".repeat(64),
        ] {
            assert!(!is_valid_name(bad), "{bad}");
        }
        assert!(is_cheap_name("alice-test1"));
        for (bad, says) in [
            ("", "empty"),
            (&"a".repeat(64) as &str, "at most 63"),
            ("Alice", "lower case"),
            ("al_ice", "'_'"),
            ("al ice", "' '"),
            ("a..b", "two dots"),
            (".a", "start or end"),
            ("a.", "start or end"),
            ("1abc", "\"1abc\" does not"),
            ("abc.9x", "\"9x\" does not"),
            ("abc-", "ends with a letter or digit"),
            ("a.b-", "\"b-\" does not"),
        ] {
            let p = account_name_problem(bad).unwrap_or_default();
            assert!(p.contains(says), "{bad:?}: {p}");
        }
        assert_eq!(account_name_problem(&"a".repeat(63)), None);
        assert_eq!(account_name_problem("init0.x-1"), None);
        assert!(is_cheap_name("bcd"));
        assert!(!is_cheap_name("alice"));
    }

    #[test]
    fn vote_ids() {
        let v: VoteId = "1:23".parse().unwrap();
        assert_eq!(v.content(), (23 << 8) | 1);
        assert_eq!(v.to_string(), "1:23");
        assert!("1".parse::<VoteId>().is_err());
        assert!("1:16777216".parse::<VoteId>().is_err());
    }

    #[test]
    fn unknown_tags() {
        assert_eq!(
            Operation::from_bytes(&[0x07]),
            Err(ChainError::UnknownOperation(7))
        );
        let v: serde_json::Value = serde_json::from_str(r#"[22,{}]"#).unwrap();
        assert_eq!(
            Operation::from_json_value(&v),
            Err(ChainError::UnknownOperation(22))
        );
        let e = serde_json::from_str::<Operation>(r#"[1,{}]"#).unwrap_err();
        assert!(
            e.to_string()
                .contains("operation 1 (limit_order_create) is not supported"),
            "{e}"
        );
    }
}
