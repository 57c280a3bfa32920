//! Compact JSON text, byte for byte what `serde_json::to_writer` writes, with strings that need
//! no escaping copied whole (`serde_json` looks up every byte in its escape table). JWS
//! payloads, SD-JWT disclosures and HTTP answers carry long base64url strings, so this is most
//! of the time spent writing them.

use serde_json::{Map, Value};

/// Writes `value` as compact JSON to `out`: the bytes `serde_json::to_writer` writes.
///
/// ```
/// let mut out = Vec::new();
/// jose_core::json::write_value(&mut out, &serde_json::json!({"a": ["b\"", 1]}))?;
/// assert_eq!(out, br#"{"a":["b\"",1]}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// # Errors
/// Only what `serde_json` reports for a number or an escaped string (not reachable when
/// writing to a `Vec`).
pub fn write_value(out: &mut Vec<u8>, value: &Value) -> Result<(), serde_json::Error> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => serde_json::to_writer(&mut *out, number)?,
        Value::String(text) => write_str(out, text)?,
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_value(out, item)?;
            }
            out.push(b']');
        }
        Value::Object(map) => write_map(out, map)?,
    }
    Ok(())
}

/// Writes `map` as a compact JSON object to `out`, members in the map's order.
///
/// # Errors
/// As [`write_value`].
pub fn write_map(out: &mut Vec<u8>, map: &Map<String, Value>) -> Result<(), serde_json::Error> {
    out.push(b'{');
    for (index, (name, value)) in map.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_str(out, name)?;
        out.push(b':');
        write_value(out, value)?;
    }
    out.push(b'}');
    Ok(())
}

/// Writes `text` as a JSON string. `serde_json` escapes exactly the control characters, `"`
/// and `\`; text without them is copied between quotes, anything else goes to `serde_json`.
///
/// # Errors
/// As [`write_value`].
pub fn write_str(out: &mut Vec<u8>, text: &str) -> Result<(), serde_json::Error> {
    // No early exit, so the scan compiles to vector compares.
    let needs_escape = text.bytes().fold(false, |found, b| {
        found | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if !needs_escape {
        out.reserve(text.len().saturating_add(2));
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        serde_json::to_writer(out, text)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn compact(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        write_value(&mut out, value).unwrap();
        out
    }

    #[test]
    fn same_bytes_as_serde_json() {
        let value = json!({
            "plain": "Erika", "quote": "a\"b", "backslash": "a\\b", "control": "a\n\t\u{1}b",
            "del": "\u{7f}", "unicode": "Köln 😀", "slash": "a/b", "empty": "",
            "numbers": [0, -5, 18_446_744_073_709_551_615_u64, 1.5, -0.0, 1e300],
            "nested": {"b": [true, false, null, {}, []], "a": {"\"k\"": 1}},
        });
        assert_eq!(compact(&value), serde_json::to_vec(&value).unwrap());
        let text = String::from_utf8(compact(&value)).unwrap();
        assert!(text.contains(r#""control":"a\n\t\u0001b""#), "{text}");
    }

    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_value_writes_as_serde_json_does(value in any_value()) {
            prop_assert_eq!(compact(&value), serde_json::to_vec(&value).unwrap());
        }
    }
}
