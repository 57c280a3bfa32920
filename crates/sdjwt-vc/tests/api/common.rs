//! Shared helpers.

use std::cell::RefCell;
use std::collections::VecDeque;

use jose_core::PublicJwk;
use serde_json::Value;

/// `../shared/vectors/<rel>` from the workspace root.
pub(crate) fn vector_path(rel: &str) -> String {
    format!(
        "{}/../../../shared/vectors/{rel}",
        env!("CARGO_MANIFEST_DIR")
    )
}

pub(crate) fn read(rel: &str) -> String {
    std::fs::read_to_string(vector_path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub(crate) fn read_json(rel: &str) -> Value {
    serde_json::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The RFC 9901 / sd-jwt-python example issuer key (public part).
pub(crate) fn example_issuer_key() -> PublicJwk {
    PublicJwk::from_json(br#"{"kty":"EC","crv":"P-256","x":"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ","y":"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8"}"#).unwrap()
}

/// A random source that replays the given bytes as one stream (for fixed salts): the recorded
/// salts come out in order however the issuer groups its requests.
pub(crate) struct Replay(RefCell<VecDeque<u8>>);

impl Replay {
    pub(crate) fn new(chunks: Vec<Vec<u8>>) -> Self {
        Self(RefCell::new(chunks.into_iter().flatten().collect()))
    }

    /// Bytes not yet handed out.
    pub(crate) fn remaining(&self) -> usize {
        self.0.borrow().len()
    }
}

impl jose_core::RandomSource for Replay {
    fn fill(&self, dest: &mut [u8]) -> Result<(), jose_core::Error> {
        let mut stream = self.0.borrow_mut();
        assert!(
            dest.len() <= stream.len(),
            "more random bytes requested than recorded"
        );
        let len = dest.len();
        for (byte, recorded) in dest.iter_mut().zip(stream.drain(..len)) {
            *byte = recorded;
        }
        Ok(())
    }
}

pub(crate) fn b64_json(json: &str) -> String {
    jose_core::base64url::encode(json.as_bytes())
}

/// Whether a JSON value holds an object with two or more members (whose order `serde_json`
/// keeps only with the `preserve_order` feature).
pub(crate) fn has_multi_member_object(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.len() > 1 || map.values().any(has_multi_member_object),
        Value::Array(items) => items.iter().any(has_multi_member_object),
        _ => false,
    }
}

/// Whether byte-exact reproduction of issuer output is possible in this build for `value`.
pub(crate) fn order_preserved_for(value: &Value) -> bool {
    cfg!(feature = "preserve_order") || !has_multi_member_object(value)
}
