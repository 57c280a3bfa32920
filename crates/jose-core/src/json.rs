//! Strict JSON: objects without duplicate member names, with a nesting limit.
//!
//! `serde_json` keeps the last of two equal member names. RFC 7515 §5.2 and RFC 7519 §4 require
//! that a JOSE header or claim set with duplicate names be rejected (or that the last one wins
//! consistently, which would let two parsers disagree). This module builds a
//! [`serde_json::Value`] through its own visitor that refuses duplicates at every depth.
//!
//! Writing goes the other way: [`write_value`] and [`write_map`] write the compact text
//! `serde_json` writes, faster for long strings.

use core::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Value};

use crate::error::JsonError;

mod compact;
pub use compact::{write_map, write_str, write_value};

/// Parses `bytes` as one JSON object, refusing duplicate member names at any depth and nesting
/// deeper than `max_depth`.
///
/// ```
/// use jose_core::json::parse_object;
/// assert!(parse_object(br#"{"a":1}"#, 8).is_ok());
/// assert!(parse_object(br#"{"a":1,"a":2}"#, 8).is_err());
/// ```
///
/// # Errors
/// [`JsonError::DuplicateMember`], [`JsonError::TooDeep`], [`JsonError::NotAnObject`] or
/// [`JsonError::Syntax`] (which also covers trailing data and invalid UTF-8).
pub fn parse_object(bytes: &[u8], max_depth: usize) -> Result<Map<String, Value>, JsonError> {
    match parse_value(bytes, max_depth)? {
        Value::Object(map) => Ok(map),
        _ => Err(JsonError::NotAnObject),
    }
}

/// Parses `bytes` as one JSON value with the same rules as [`parse_object`].
///
/// # Errors
/// As [`parse_object`], except that any top-level value is allowed.
pub fn parse_value(bytes: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    let mut failure = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = StrictSeed {
        depth_left: max_depth,
        failure: &mut failure,
    };
    let result = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match result {
        Ok(value) => Ok(value),
        Err(e) => Err(failure.map_or(
            JsonError::Syntax {
                line: e.line(),
                column: e.column(),
            },
            |f| with_max(f, max_depth),
        )),
    }
}

struct StrictSeed<'f> {
    depth_left: usize,
    failure: &'f mut Option<JsonError>,
}

impl<'de> DeserializeSeed<'de> for StrictSeed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(StrictVisitor {
            depth_left: self.depth_left,
            failure: self.failure,
        })
    }
}

struct StrictVisitor<'f> {
    depth_left: usize,
    failure: &'f mut Option<JsonError>,
}

impl StrictVisitor<'_> {
    fn fail<E: de::Error>(self, error: JsonError) -> E {
        let message = error.to_string();
        *self.failure = Some(error);
        E::custom(message)
    }
}

impl<'de> Visitor<'de> for StrictVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let Some(depth_left) = self.depth_left.checked_sub(1) else {
            return Err(self.fail(JsonError::TooDeep { max: 0 }));
        };
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictSeed {
            depth_left,
            failure: &mut *self.failure,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut next = map.next_key::<String>()?;
        if next.as_deref() == Some(NUMBER_TOKEN) && numbers_come_as_text() {
            let text: String = map.next_value()?;
            return text.parse().map(Value::Number).map_err(de::Error::custom);
        }
        let Some(depth_left) = self.depth_left.checked_sub(1) else {
            return Err(self.fail(JsonError::TooDeep { max: 0 }));
        };
        let mut members = Map::new();
        while let Some(name) = next.take() {
            // One lookup: the vacant slot is kept while the value is parsed, so a duplicate is
            // still refused before its value is read.
            let slot = match members.entry(name) {
                Entry::Vacant(slot) => slot,
                Entry::Occupied(taken) => {
                    return Err(self.fail(JsonError::DuplicateMember {
                        name: crate::error::short_text(taken.key()),
                    }));
                }
            };
            slot.insert(map.next_value_seed(StrictSeed {
                depth_left,
                failure: &mut *self.failure,
            })?);
            next = map.next_key()?;
        }
        Ok(Value::Object(members))
    }
}

/// The member name under which `serde_json` hands a visitor a number as its text, when some
/// crate in the build turns on its `arbitrary_precision` feature (a private detail of
/// `serde_json`, as stable as that feature: `serde_json::Value` reads numbers the same way).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Whether this build's `serde_json` has `arbitrary_precision`: any crate in a user's tree can
/// turn it on, and then every number that is not an `i64` or `u64` (a fraction, an exponent,
/// a larger integer) reaches [`StrictVisitor::visit_map`] as a one-member object holding its
/// text. Asked once, and only when that member name is seen: without the feature, an object
/// with that member is an object.
fn numbers_come_as_text() -> bool {
    static KEPT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    // Only a number kept as its text writes `1.10` back as written.
    *KEPT.get_or_init(|| {
        serde_json::from_str::<Value>("1.10")
            .and_then(|number| serde_json::to_string(&number))
            .is_ok_and(|text| text == "1.10")
    })
}

/// Re-labels a [`JsonError::TooDeep`] from the recursion with the configured maximum.
fn with_max(error: JsonError, max: usize) -> JsonError {
    match error {
        JsonError::TooDeep { .. } => JsonError::TooDeep { max },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_members_are_refused_at_every_depth() {
        assert_eq!(
            parse_object(br#"{"a":1,"a":1}"#, 8),
            Err(JsonError::DuplicateMember { name: "a".into() })
        );
        assert_eq!(
            parse_object(br#"{"x":{"b":[{"c":1,"c":2}]}}"#, 8),
            Err(JsonError::DuplicateMember { name: "c".into() })
        );
    }

    #[test]
    fn escaped_duplicates_are_refused() {
        // "\u0061" is "a": the same member name after unescaping.
        assert_eq!(
            parse_object(br#"{"a":1,"\u0061":2}"#, 8),
            Err(JsonError::DuplicateMember { name: "a".into() })
        );
    }

    #[test]
    fn depth_limit_holds() {
        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        let text = format!(r#"{{"a":{deep}}}"#);
        assert!(matches!(
            parse_object(text.as_bytes(), 16),
            Err(JsonError::TooDeep { .. })
        ));
        assert!(parse_object(text.as_bytes(), 64).is_ok());
    }

    #[test]
    fn non_objects_and_trailing_data_are_refused() {
        assert_eq!(parse_object(b"[1]", 8), Err(JsonError::NotAnObject));
        assert!(matches!(
            parse_object(br#"{"a":1} x"#, 8),
            Err(JsonError::Syntax { .. })
        ));
        assert!(matches!(
            parse_object(b"\xff", 8),
            Err(JsonError::Syntax { .. })
        ));
    }

    #[test]
    fn numbers_keep_their_value() {
        let map = parse_object(br#"{"i":-5,"u":18446744073709551615,"f":1.5}"#, 8).unwrap();
        assert_eq!(map["i"], Value::from(-5));
        assert_eq!(map["u"], Value::from(u64::MAX));
        assert_eq!(map["f"], Value::from(1.5));
    }

    /// Whatever `serde_json`'s features (CI runs this crate's tests again with
    /// `--features serde_json/arbitrary_precision`), a number parses to what `serde_json`'s own
    /// `Value` makes of it, at the deepest level allowed, and an object stays an object.
    #[test]
    fn numbers_parse_as_serde_json_parses_them() {
        let text = br#"{"f":1.5,"e":-2.5e-3,"z":-0.0,"i":-5,"big":123456789012345678901234567890,"a":[0.25,{"g":1e10}]}"#;
        let ours = parse_object(text, 3).unwrap();
        let theirs: Map<String, Value> = serde_json::from_slice(text).unwrap();
        assert_eq!(ours, theirs);
        assert!(ours["f"].is_number() && ours["a"][1]["g"].is_number());
        assert_eq!(ours["f"].as_f64(), Some(1.5));
        // A number one level past the limit is no deeper than any scalar there.
        assert!(parse_object(br#"{"a":[1.5]}"#, 2).is_ok());
        assert!(matches!(
            parse_object(br#"{"a":[{}]}"#, 2),
            Err(JsonError::TooDeep { max: 2 })
        ));
        // Duplicates are still refused after a number.
        assert_eq!(
            parse_object(br#"{"a":1.5,"a":2.5}"#, 8),
            Err(JsonError::DuplicateMember { name: "a".into() })
        );
    }

    /// Objects that start with serde_json's number member: numbers under
    /// `arbitrary_precision` when the text is one (a number at the depth limit is no deeper
    /// than any scalar there), syntax errors when it is not or more members follow, and
    /// plain objects without the feature.
    #[test]
    fn objects_named_like_numbers_follow_serde_json() {
        let token = |rest: &str| format!(r#"{{"n":{{"$serde_json::private::Number":{rest}}}}}"#);
        let number = token(r#""1.5""#);
        let refused = [
            token(r#""1.5","x":2"#),
            token(r#""abc""#),
            token(r#""""#),
            token("15"),
        ];
        if numbers_come_as_text() {
            assert_eq!(
                parse_object(number.as_bytes(), 1).unwrap()["n"].as_f64(),
                Some(1.5)
            );
            for text in &refused {
                assert!(
                    matches!(
                        parse_object(text.as_bytes(), 8),
                        Err(JsonError::Syntax { .. })
                    ),
                    "{text}"
                );
            }
        } else {
            assert_eq!(
                parse_object(number.as_bytes(), 1),
                Err(JsonError::TooDeep { max: 1 })
            );
            for text in refused.iter().chain([&number]) {
                assert!(
                    parse_object(text.as_bytes(), 8).unwrap()["n"].is_object(),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn an_object_named_like_a_number_reads_as_serde_json_reads_it() {
        let text = br#"{"n":{"$serde_json::private::Number":"1"}}"#;
        let theirs: Map<String, Value> = serde_json::from_slice(text).unwrap();
        // serde_json reads it as a number under arbitrary_precision, and as an object
        // otherwise: the strict parser agrees with it either way.
        assert_eq!(parse_object(text, 8).unwrap(), theirs);
        assert_eq!(theirs["n"].is_object(), !numbers_come_as_text());
    }
}
