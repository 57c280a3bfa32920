use std::sync::Arc;

use super::{JwkSet, KeyFn, KeyLookup, KeyLookupError, KeyQuery, StaticKeys};
use crate::{Error, Header, PublicJwk, UnixTime};

const A: &str = r#"{"kty":"EC","crv":"P-256","kid":"a","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
const B: &str =
    r#"{"kty":"OKP","crv":"Ed25519","kid":"b","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
const NOW: UnixTime = UnixTime::from_secs(1_700_000_000);

fn key(json: &str) -> PublicJwk {
    PublicJwk::from_json(json.as_bytes()).unwrap()
}

fn jwks() -> String {
    format!(r#"{{"keys":[{A},{B}]}}"#)
}

#[test]
fn static_keys_select_by_kid() {
    let keys = StaticKeys::new(vec![key(A), key(B)]);
    assert_eq!(
        keys.keys(&KeyQuery::new().with_kid("b"), NOW),
        Ok(vec![key(B)])
    );
    assert_eq!(keys.keys(&KeyQuery::new(), NOW), Ok(vec![key(A), key(B)]));
    // A key without kid matches any kid.
    let anonymous = PublicJwk::new(key(A).key().clone());
    assert_eq!(
        StaticKeys::from(anonymous.clone()).keys(&KeyQuery::new().with_kid("zzz"), NOW),
        Ok(vec![anonymous])
    );
}

#[test]
fn static_keys_miss_is_no_trusted_key() {
    let keys = StaticKeys::new(vec![key(A)]);
    assert_eq!(
        keys.keys(&KeyQuery::new().with_kid("b"), NOW),
        Err(KeyLookupError::no_trusted_key(
            "no configured key matches the kid"
        ))
    );
    assert_eq!(
        StaticKeys::default().keys(&KeyQuery::new(), NOW),
        Err(KeyLookupError::no_trusted_key("no key is configured"))
    );
}

#[test]
fn jwk_set_hit_miss_and_malformed() {
    let set = JwkSet::from_json(jwks().as_bytes()).unwrap();
    assert_eq!(set.as_slice().len(), 2);
    assert_eq!(
        KeyLookup::keys(&set, &KeyQuery::new().with_kid("a"), NOW),
        Ok(vec![key(A)])
    );
    let miss = KeyLookup::keys(&set, &KeyQuery::new().with_kid("c"), NOW).unwrap_err();
    assert_eq!(
        miss,
        KeyLookupError::no_trusted_key("no configured key matches the kid")
    );
    assert!(!miss.is_unavailable());
    assert_eq!(
        JwkSet::from_json(b"{\"keys\":{}}"),
        Err(Error::InvalidKey {
            reason: "JWK Set has no keys array"
        })
    );
    assert_eq!(
        JwkSet::from_json(b"{\"keys\":[],\"keys\":[]}"),
        Err(Error::InvalidKey {
            reason: "JWK Set is not strict JSON"
        })
    );
    assert!(JwkSet::from_json(br#"{"keys":[{"kty":"oct","k":"AAAA"}]}"#).is_err());
}

#[test]
fn key_fn_hit_miss_and_unavailable() {
    let kms = KeyFn::new(|query: &KeyQuery<'_>, now: UnixTime| {
        assert_eq!(now, NOW);
        match query.key_reference() {
            Some("kms://a") => Ok(vec![key(A)]),
            Some("kms://down") => Err(KeyLookupError::unavailable("KMS timeout")),
            _ => Err(KeyLookupError::no_trusted_key("unknown key reference")),
        }
    });
    let query = |r| KeyQuery::new().with_key_reference(r);
    assert_eq!(kms.keys(&query("kms://a"), NOW), Ok(vec![key(A)]));
    assert_eq!(
        kms.keys(&query("kms://b"), NOW),
        Err(KeyLookupError::no_trusted_key("unknown key reference"))
    );
    let down = kms.keys(&query("kms://down"), NOW).unwrap_err();
    assert_eq!(down, KeyLookupError::unavailable("KMS timeout"));
    assert!(down.is_unavailable());
    assert_eq!(down.to_string(), "key source unavailable: KMS timeout");
    // Shared as a trait object.
    let shared: Arc<dyn KeyLookup> = Arc::new(kms);
    assert_eq!(shared.keys(&query("kms://a"), NOW), Ok(vec![key(A)]));
}

#[test]
fn errors_carry_their_typed_cause() {
    let error = KeyLookupError::untrusted(Error::SignatureInvalid);
    assert_eq!(error.reason(), Error::SignatureInvalid.to_string());
    assert_eq!(error.cause::<Error>(), Some(&Error::SignatureInvalid));
    assert_eq!(error.cause::<core::fmt::Error>(), None);
    assert_ne!(error, KeyLookupError::no_trusted_key(error.reason()));
    assert_eq!(
        core::error::Error::source(&error).map(ToString::to_string),
        Some(Error::SignatureInvalid.to_string())
    );
}

#[test]
fn query_from_header_takes_kid_and_x5c() {
    let header = Header::new(crate::Algorithm::Es256)
        .with_kid("k")
        .with_x5c(vec![vec![0x30, 0x00]]);
    let query = KeyQuery::from_header(&header).with_issuer("https://issuer.example");
    assert_eq!(query.kid(), Some("k"));
    assert_eq!(query.x5c(), Some(&[vec![0x30, 0x00]][..]));
    assert_eq!(query.issuer(), Some("https://issuer.example"));
    assert!(query.header().is_some());
    assert_eq!(query.key_reference(), None);
    assert_eq!(KeyQuery::new().with_x5c(&[]).x5c(), None);
}
