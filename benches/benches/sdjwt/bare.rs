//! What the primitives alone cost: an SD-JWT VC issued and verified by the shortest code that
//! uses the same building blocks as sdjwt-vc (the same signer, `SystemRandom` salts, the
//! workspace's base64url and JSON writer, `jose_core`'s JWS parser and strict JSON), and
//! nothing else.
//!
//! It handles only this bench's shape: flat claims, every one disclosable, no decoys. It makes
//! no policy decisions and keeps no disclosure objects; the verifier checks the signature and
//! each disclosure's digest and nothing more (no `typ`, `exp`, `vct`, duplicate or reserved-name
//! checks). Its ratio to the floor is a lower bound for any issuer or verifier built from these
//! parts, against which the aims and sdjwt-vc's own ratios can be read. Not for use outside
//! this bench.

use jose_core::{PublicKey, RandomSource, Signer};
use serde_json::{Map, Value};

/// The registered claims the bench's issuer sets.
pub(crate) struct Registered<'a> {
    pub(crate) iss: &'a str,
    pub(crate) vct: &'a str,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
}

/// Issues `claims`, every one disclosable, in the compact form `<JWT>~<D1>~…~<Dn>~`.
pub(crate) fn issue(
    claims: &Map<String, Value>,
    registered: &Registered<'_>,
    signer: &dyn Signer,
    rng: &dyn RandomSource,
) -> String {
    const SALT: usize = 16;
    let mut pool = vec![0u8; claims.len().saturating_mul(SALT)];
    rng.fill(&mut pool).unwrap();
    let mut json = Vec::with_capacity(128);
    let mut disclosures = Vec::with_capacity(claims.len().saturating_mul(96));
    let mut digests = Vec::with_capacity(claims.len());
    let mut salt = [0u8; 22];
    for ((name, value), salt_bytes) in claims.iter().zip(pool.chunks_exact(SALT)) {
        jose_core::base64url::encode_to_slice(&mut salt, salt_bytes);
        json.clear();
        json.push(b'[');
        jose_core::json::write_str(&mut json, core::str::from_utf8(&salt).unwrap()).unwrap();
        json.push(b',');
        jose_core::json::write_str(&mut json, name).unwrap();
        json.push(b',');
        jose_core::json::write_value(&mut json, value).unwrap();
        json.push(b']');
        let start = disclosures.len();
        jose_core::base64url::encode_to_vec(&mut disclosures, &json);
        let digest = ring::digest::digest(&ring::digest::SHA256, disclosures.get(start..).unwrap());
        let mut text = [0u8; 43];
        jose_core::base64url::encode_to_slice(&mut text, digest.as_ref());
        digests.push(text);
        disclosures.push(b'~');
    }
    digests.sort_unstable();
    let mut payload = Vec::with_capacity(digests.len().saturating_mul(46).saturating_add(256));
    payload.extend_from_slice(br#"{"_sd":["#);
    for (index, digest) in digests.iter().enumerate() {
        if index > 0 {
            payload.push(b',');
        }
        payload.push(b'"');
        payload.extend_from_slice(digest);
        payload.push(b'"');
    }
    payload.extend_from_slice(br#"],"_sd_alg":"sha-256","exp":"#);
    payload.extend_from_slice(registered.exp.to_string().as_bytes());
    payload.extend_from_slice(br#","iat":"#);
    payload.extend_from_slice(registered.iat.to_string().as_bytes());
    payload.extend_from_slice(br#","iss":"#);
    jose_core::json::write_str(&mut payload, registered.iss).unwrap();
    payload.extend_from_slice(br#","vct":"#);
    jose_core::json::write_str(&mut payload, registered.vct).unwrap();
    payload.push(b'}');
    let header = br#"{"alg":"ES256","typ":"dc+sd-jwt"}"#;
    let mut out = Vec::with_capacity(
        jose_core::base64url::encoded_len(payload.len())
            .saturating_add(200)
            .saturating_add(disclosures.len()),
    );
    jose_core::base64url::encode_to_vec(&mut out, header);
    out.push(b'.');
    jose_core::base64url::encode_to_vec(&mut out, &payload);
    let signature = signer.sign(&out).unwrap();
    out.push(b'.');
    jose_core::base64url::encode_to_vec(&mut out, &signature);
    out.push(b'~');
    out.extend_from_slice(&disclosures);
    String::from_utf8(out).unwrap()
}

/// Verifies what [`issue`] (or sdjwt-vc) issued for this bench: the signature, then each
/// disclosure's digest found in `_sd` and its claim added. Returns the claims.
pub(crate) fn verify(input: &str, key: &PublicKey) -> Map<String, Value> {
    let mut parts = input.trim_end_matches('~').split('~');
    let jws =
        jose_core::CompactJws::parse(parts.next().unwrap(), &jose_core::Limits::default()).unwrap();
    jws.verify_signature(key).unwrap();
    let mut claims = jws.into_claims();
    let Some(Value::Array(sd)) = claims.remove("_sd") else {
        panic!("no _sd array");
    };
    claims.remove("_sd_alg");
    let mut digests: Vec<&str> = sd.iter().map(|d| d.as_str().unwrap()).collect();
    digests.sort_unstable();
    let mut json = Vec::with_capacity(128);
    for disclosure in parts {
        let digest = ring::digest::digest(&ring::digest::SHA256, disclosure.as_bytes());
        let mut text = [0u8; 43];
        jose_core::base64url::encode_to_slice(&mut text, digest.as_ref());
        let text = core::str::from_utf8(&text).unwrap();
        assert!(
            digests.binary_search(&text).is_ok(),
            "unreferenced disclosure"
        );
        json.clear();
        jose_core::base64url::decode_to_vec(&mut json, disclosure).unwrap();
        let Value::Array(mut items) = jose_core::json::parse_value(&json, 16).unwrap() else {
            panic!("a disclosure that is not an array");
        };
        let value = items.pop().unwrap();
        let Some(Value::String(name)) = items.pop() else {
            panic!("a disclosure without a claim name");
        };
        claims.insert(name, value);
    }
    claims
}
