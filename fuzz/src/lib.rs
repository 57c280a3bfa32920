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

/// The oracle for the client an accepted client attestation names and for whom its PoP is: the
/// verdict's client id is the attestation's `sub` as signed (the generator may have put another
/// value in its place), a `client_id` parameter sent beside it is the same, and the PoP's `aud`
/// is `server` or an array holding it.
///
/// # Panics
/// When the verifier accepted what it should not have: the finding the target reports.
pub fn assert_client_and_audience(
    verdict_client_id: Option<&str>,
    attestation: &Map<String, Value>,
    pop: &Map<String, Value>,
    client_id_parameter: Option<&str>,
    server: &str,
) {
    let signed_sub = attestation.get("sub").and_then(Value::as_str);
    assert!(
        signed_sub.is_some(),
        "an accepted attestation has a string sub"
    );
    assert_eq!(
        verdict_client_id, signed_sub,
        "the client id is the attestation's sub"
    );
    if let Some(id) = client_id_parameter {
        assert_eq!(
            Some(id),
            signed_sub,
            "a client_id parameter must match the attestation"
        );
    }
    let aud_ok = match pop.get("aud") {
        Some(Value::String(a)) => a == server,
        Some(Value::Array(items)) => items.iter().any(|a| a.as_str() == Some(server)),
        _ => false,
    };
    assert!(aud_ok, "the PoP is for this server: {:?}", pop.get("aud"));
}

/// The claims every client attestation PoP carries, each usually right: `aud` (`server`, at
/// times in an array with another value or another string), a `jti` and an `iat` around `now`.
///
/// # Errors
/// When the fuzzer's bytes run out.
pub fn pop_claims(
    u: &mut Unstructured<'_>,
    pop: &mut Map<String, Value>,
    server: &str,
    now: i64,
) -> Result<()> {
    let aud = match u.int_in_range(0..=7)? {
        0 => json!([server, u.arbitrary::<String>()?]),
        1 => Value::String(u.arbitrary()?),
        _ => Value::String(server.to_owned()),
    };
    claim(u, pop, "aud", aud)?;
    let jti = Value::String(u.arbitrary::<String>()?);
    claim(u, pop, "jti", jti)?;
    let iat = time(u, now, -600..=600)?;
    claim(u, pop, "iat", iat)
}
