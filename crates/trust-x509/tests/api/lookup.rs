//! `AnchorLookup`, the X.509 implementation of `jose_core::keys::KeyLookup`.

use jose_core::keys::{KeyLookup, KeyLookupError, KeyQuery};
use jose_core::{PublicJwk, UnixTime};
use trust_x509::{AnchorLookup, CertRef, Error, Policy, TrustAnchors, leaf_public_key};

/// 2026-01-01T00:00:00Z, inside every fixture's validity except the expired intermediate.
const NOW: UnixTime = UnixTime::from_secs(1_767_225_600);

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn lookup(anchor: &str, policy: Policy) -> AnchorLookup {
    AnchorLookup::new(TrustAnchors::from_der(vec![data(anchor)]).unwrap(), policy)
}

#[test]
fn a_validating_chain_gives_the_leaf_key() {
    let chain = vec![data("leaf.der"), data("inter.der")];
    let keys = lookup("root.der", Policy::any_eku())
        .keys(&KeyQuery::new().with_x5c(&chain), NOW)
        .unwrap();
    assert_eq!(
        keys,
        vec![PublicJwk::new(leaf_public_key(&data("leaf.der")).unwrap())]
    );
}

#[test]
fn a_chain_of_another_ca_is_no_trusted_key_with_the_typed_cause() {
    let chain = vec![data("leaf_other_root.der")];
    let error = lookup("root.der", Policy::any_eku())
        .keys(&KeyQuery::new().with_x5c(&chain), NOW)
        .unwrap_err();
    let cause = Error::UnknownIssuer {
        cert: CertRef::Chain(0),
    };
    assert_eq!(error.cause::<Error>(), Some(&cause));
    assert_eq!(error, KeyLookupError::untrusted(cause));
    assert!(!error.is_unavailable());
}

#[test]
fn no_chain_is_no_trusted_key() {
    assert_eq!(
        lookup("root.der", Policy::any_eku()).keys(&KeyQuery::new().with_kid("k"), NOW),
        Err(KeyLookupError::no_trusted_key("no x5c certificate chain"))
    );
}

#[test]
fn an_expired_anchor_is_unavailable() {
    // The expired intermediate configured as the anchor: the trust store is broken.
    let chain = vec![data("leaf_under_expired.der")];
    let error = lookup("inter_expired.der", Policy::any_eku())
        .keys(&KeyQuery::new().with_x5c(&chain), NOW)
        .unwrap_err();
    assert!(error.is_unavailable(), "{error}");
    assert_eq!(
        error,
        KeyLookupError::unavailable(format!(
            "trust anchor unusable: {}",
            Error::Expired {
                cert: CertRef::Anchor(0),
                not_after: UnixTime::from_secs(1_609_459_200),
                now: NOW
            }
        ))
    );
}
