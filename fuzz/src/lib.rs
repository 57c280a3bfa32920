//! What the structure-aware fuzz targets share: generators that draw JSON claims from the
//! fuzzer's bytes, usually right and at times of the wrong type or missing.

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use serde_json::{Map, Value, json};

/// Any JSON scalar (or a one-string array): what a claim of the wrong type looks like.
///
/// # Errors
/// When the fuzzer's bytes run out.
pub fn scalar(u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match u.int_in_range(0..=4)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(u.arbitrary::<i64>()?),
        3 => json!([u.arbitrary::<String>()?]),
        _ => Value::String(u.arbitrary()?),
    })
}

/// `now` plus an offset in `range` seconds, at times far off or not a number.
///
/// # Errors
/// When the fuzzer's bytes run out.
pub fn time(
    u: &mut Unstructured<'_>,
    now: i64,
    range: core::ops::RangeInclusive<i64>,
) -> Result<Value> {
    Ok(match u.int_in_range(0..=9)? {
        0 => scalar(u)?,
        1 => Value::from(u.arbitrary::<i64>()?),
        _ => Value::from(now.saturating_add(u.int_in_range(range)?)),
    })
}

/// Inserts `name` usually with `value`, at times with any scalar, at times not at all.
///
/// # Errors
/// When the fuzzer's bytes run out.
pub fn claim(
    u: &mut Unstructured<'_>,
    map: &mut Map<String, Value>,
    name: &str,
    value: Value,
) -> Result<()> {
    match u.int_in_range(0..=11)? {
        0 => {}
        1 => {
            map.insert(name.to_owned(), scalar(u)?);
        }
        _ => {
            map.insert(name.to_owned(), value);
        }
    }
    Ok(())
}
