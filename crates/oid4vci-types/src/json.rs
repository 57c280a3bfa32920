//! Strict JSON reading: size limit, depth limit, duplicate member names refused, trailing data
//! refused; then typed deserialization with errors mapped to [`Error`].

use alloc::borrow::ToOwned;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{Error, MessageKind};
use crate::limits::MAX_DETAIL_CHARS;

/// Parses `bytes` as one JSON value under the given limits.
pub(crate) fn parse_value(
    bytes: &[u8],
    max_len: usize,
    max_depth: usize,
    message: MessageKind,
) -> Result<Value, Error> {
    if bytes.len() > max_len {
        return Err(Error::InputTooLarge {
            len: bytes.len(),
            max: max_len,
        });
    }
    let failure = RefCell::new(None);
    let seed = Strict {
        depth_left: max_depth,
        max_depth,
        failure: &failure,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    if let Some(err) = failure.into_inner() {
        return Err(err);
    }
    result.map_err(|e| map_error(&e, message))
}

/// Parses `bytes` as a JSON object under the given limits.
pub(crate) fn parse_object(
    bytes: &[u8],
    max_len: usize,
    max_depth: usize,
    message: MessageKind,
) -> Result<Map<String, Value>, Error> {
    match parse_value(bytes, max_len, max_depth, message)? {
        Value::Object(map) => Ok(map),
        _ => Err(Error::NotAnObject { message }),
    }
}

/// Deserializes an already strictly parsed value into `T`.
pub(crate) fn from_value<T: DeserializeOwned>(
    value: Value,
    message: MessageKind,
) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|e| map_error(&e, message))
}

/// Parses `bytes` strictly as an object and deserializes it into `T`.
pub(crate) fn parse_typed<T: DeserializeOwned>(
    bytes: &[u8],
    max_len: usize,
    max_depth: usize,
    message: MessageKind,
) -> Result<T, Error> {
    let map = parse_object(bytes, max_len, max_depth, message)?;
    from_value(Value::Object(map), message)
}

/// Maps a serde_json error to [`Error`]: syntax errors keep their position, a missing field
/// becomes [`Error::MissingMember`] (serde's stable "missing field `x`" wording), and
/// everything else is [`Error::InvalidMember`].
pub(crate) fn map_error(err: &serde_json::Error, message: MessageKind) -> Error {
    match err.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            Error::InvalidJson {
                message,
                line: err.line(),
                column: err.column(),
            }
        }
        serde_json::error::Category::Io | serde_json::error::Category::Data => {
            data_error(&err.to_string(), message)
        }
    }
}

/// Classifies a deserializer message.
pub(crate) fn data_error(text: &str, message: MessageKind) -> Error {
    if let Some(rest) = text.strip_prefix("missing field `")
        && let Some((member, _)) = rest.split_once('`')
    {
        return Error::MissingMember {
            message,
            member: member.to_owned(),
        };
    }
    if let Some(err) = crate::text::decode_embedded_error(text) {
        return err;
    }
    Error::InvalidMember {
        message,
        detail: text.chars().take(MAX_DETAIL_CHARS).collect(),
    }
}

/// A seed that builds a [`Value`] while enforcing depth and member uniqueness.
struct Strict<'a> {
    depth_left: usize,
    max_depth: usize,
    failure: &'a RefCell<Option<Error>>,
}

impl Strict<'_> {
    fn fail<E: de::Error>(&self, err: Error) -> E {
        let text = err.to_string();
        *self.failure.borrow_mut() = Some(err);
        E::custom(text)
    }

    fn nested<E: de::Error>(&self) -> Result<Self, E> {
        match self.depth_left.checked_sub(1) {
            Some(depth_left) => Ok(Strict {
                depth_left,
                max_depth: self.max_depth,
                failure: self.failure,
            }),
            None => Err(self.fail(Error::JsonTooDeep {
                max: self.max_depth,
            })),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self.nested()?)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(self.fail(Error::DuplicateMember { name: key }));
            }
            let value = access.next_value_seed(self.nested()?)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: MessageKind = MessageKind::CredentialOffer;

    #[test]
    fn duplicate_member_is_refused() {
        let err = parse_object(br#"{"a":1,"b":{"c":1,"c":2}}"#, 100, 8, K).unwrap_err();
        assert_eq!(err, Error::DuplicateMember { name: "c".into() });
    }

    #[test]
    fn depth_limit_is_enforced() {
        assert!(parse_object(br#"{"a":[[1]]}"#, 100, 3, K).is_ok());
        let err = parse_object(br#"{"a":[[[1]]]}"#, 100, 3, K).unwrap_err();
        assert_eq!(err, Error::JsonTooDeep { max: 3 });
    }

    #[test]
    fn trailing_data_and_syntax_errors_have_positions() {
        let err = parse_object(b"{} x", 100, 8, K).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidJson {
                message: K,
                line: 1,
                column: 4
            }
        );
    }

    #[test]
    fn size_limit_and_not_object() {
        assert_eq!(
            parse_object(b"{}  ", 3, 8, K).unwrap_err(),
            Error::InputTooLarge { len: 4, max: 3 }
        );
        assert_eq!(
            parse_object(b"[]", 3, 8, K).unwrap_err(),
            Error::NotAnObject { message: K }
        );
    }
}
