//! Reading call arguments the way fc's variant conversions do: positional, trailing optional
//! ones may be left out, extra ones are ignored, integers as numbers or strings.

use serde_json::{Value, json};

use super::fc_error::{FcError, site};

/// The arguments of one call.
#[derive(Debug, Clone, Copy)]
pub struct Args<'a>(pub &'a [Value]);

impl<'a> Args<'a> {
    /// A required argument; absent gives the real "too few arguments" assert.
    pub fn req(&self, i: usize) -> Result<&'a Value, FcError> {
        self.0.get(i).ok_or_else(too_few_arguments)
    }

    /// An `optional<>` argument: absent and null both mean "not given".
    pub fn opt(&self, i: usize) -> Option<&'a Value> {
        self.0.get(i).filter(|v| !v.is_null())
    }
}

pub fn too_few_arguments() -> FcError {
    FcError::assert(
        site("api_connection.hpp", 192, "call_generic"),
        "a0 != e || optional_args: too few arguments passed to method",
        json!({}),
    )
}

fn uint64_parse_error(text: &str) -> FcError {
    FcError::parse(
        site("string.cpp", 55, "to_uint64"),
        "Couldn't parse uint64_t",
        json!({}),
    )
    .with_frame(site("string.cpp", 58, "to_uint64"), json!({"i": text}))
}

fn bad_cast(from: &str, to: &str) -> FcError {
    FcError::new(
        7,
        "bad_cast_exception",
        "Bad Cast",
        site("variant.cpp", 0, "as"),
        "Invalid cast from ${type} to ${to}",
        json!({"type": from, "to": to}),
    )
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null_type",
        Value::Bool(_) => "bool_type",
        Value::Number(_) => "int64_type",
        Value::String(_) => "string_type",
        Value::Array(_) => "array_type",
        Value::Object(_) => "object_type",
    }
}

/// uint64 from a number or a decimal string, as fc's `as_uint64`.
pub fn as_u64(v: &Value) -> Result<u64, FcError> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_i64().map(|i| i as u64))
            .or_else(|| n.as_f64().map(|f| f as u64))
            .ok_or_else(|| uint64_parse_error(&n.to_string())),
        Value::String(s) => s.trim().parse::<u64>().map_err(|_| {
            uint64_parse_error(s)
                .with_frame(site("variant.cpp", 417, "as_uint64"), json!({"*this": s}))
        }),
        Value::Bool(b) => Ok(u64::from(*b)),
        Value::Null => Ok(0),
        other => Err(bad_cast(type_name(other), "uint64")),
    }
}

pub fn as_u32(v: &Value) -> Result<u32, FcError> {
    // fc narrows with a plain cast after reading a uint64.
    as_u64(v).map(|n| n as u32)
}

/// int64 from a number or a decimal string.
pub fn as_i64(v: &Value) -> Result<i64, FcError> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .ok_or_else(|| uint64_parse_error(&n.to_string())),
        Value::String(s) => s.trim().parse::<i64>().map_err(|_| {
            FcError::parse(
                site("string.cpp", 38, "to_int64"),
                "Couldn't parse int64_t",
                json!({}),
            )
            .with_frame(site("string.cpp", 41, "to_int64"), json!({"i": s}))
        }),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Null => Ok(0),
        other => Err(bad_cast(type_name(other), "int64")),
    }
}

pub fn as_bool(v: &Value) -> Result<bool, FcError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => Ok(n.as_f64().is_some_and(|f| f != 0.0)),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        Value::Null => Ok(false),
        other => Err(bad_cast(type_name(other), "bool")),
    }
}

/// fc renders scalars as strings when a string is wanted.
pub fn as_string(v: &Value) -> Result<String, FcError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok(String::new()),
        other => Err(bad_cast(type_name(other), "string")),
    }
}

pub fn as_array(v: &Value) -> Result<&[Value], FcError> {
    match v {
        Value::Array(a) => Ok(a),
        Value::Null => Ok(&[]),
        other => Err(bad_cast(type_name(other), "array")),
    }
}

/// `space.type.instance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    pub space: u8,
    pub kind: u8,
    pub instance: u64,
}

impl std::fmt::Display for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.space, self.kind, self.instance)
    }
}

/// Parses `"1.2.17"` like fc's `object_id_type` from_variant.
pub fn as_object_id(v: &Value) -> Result<ObjectId, FcError> {
    let s = as_string(v)?;
    let fail = |token: &str| {
        uint64_parse_error(token).with_frame(
            site("object_id.hpp", 243, "from_variant"),
            json!({"var": s.clone()}),
        )
    };
    let mut parts = s.splitn(3, '.');
    let mut next = || -> Result<u64, FcError> {
        let p = parts.next().unwrap_or("");
        p.parse::<u64>().map_err(|_| fail(p))
    };
    let space = next()?;
    let kind = next()?;
    let instance = next()?;
    Ok(ObjectId {
        space: space as u8,
        kind: kind as u8,
        instance,
    })
}

/// `1.2.x` when the text looks like an id of that type, for "name or id" arguments.
pub fn parse_account_id(s: &str) -> Option<u64> {
    let rest = s.strip_prefix("1.2.")?;
    rest.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_as_numbers_or_strings() {
        assert_eq!(as_u64(&json!(5)).unwrap(), 5);
        assert_eq!(as_u64(&json!("5000000000")).unwrap(), 5_000_000_000);
        assert_eq!(as_i64(&json!("-7")).unwrap(), -7);
        let e = as_u64(&json!("x")).unwrap_err();
        assert_eq!(e.code, 4);
        assert_eq!(e.format(), "Couldn't parse uint64_t");
        assert_eq!(e.stack[1].data["i"], "x");
    }

    #[test]
    fn object_ids() {
        let id = as_object_id(&json!("1.2.17")).unwrap();
        assert_eq!((id.space, id.kind, id.instance), (1, 2, 17));
        assert_eq!(id.to_string(), "1.2.17");
        let e = as_object_id(&json!("1.2.x")).unwrap_err();
        assert_eq!(e.stack.last().unwrap().data["var"], "1.2.x");
        assert_eq!(parse_account_id("1.2.9"), Some(9));
        assert_eq!(parse_account_id("alice"), None);
    }

    #[test]
    fn missing_required_argument() {
        let a = Args(&[]);
        assert_eq!(
            a.req(0).unwrap_err().format(),
            "a0 != e || optional_args: too few arguments passed to method"
        );
        assert!(a.opt(0).is_none());
    }
}
