//! `install()` when another jsonwebtoken provider was installed first. This is its own test
//! binary (own process) because jsonwebtoken's provider can be chosen only once per process.
#![allow(clippy::unwrap_used, reason = "tests")]

use jose_core::jsonwebtoken_provider::install;
use jose_core::{Algorithm, LocalSigner, SystemRandom};
use jsonwebtoken::crypto::{CryptoProvider, KeyUtils};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{EncodingKey, Header};

/// A provider that refuses everything, so its use is visible.
static OTHER: CryptoProvider = CryptoProvider {
    signer_factory: |_, _| Err(ErrorKind::Provider("other provider".to_owned()).into()),
    verifier_factory: |_, _| Err(ErrorKind::Provider("other provider".to_owned()).into()),
    key_utils: KeyUtils::new_unimplemented(),
};

#[test]
fn install_reports_false_when_another_provider_came_first() {
    assert!(OTHER.install_default().is_ok());
    assert!(!install());
    assert!(!install(), "the answer does not change");

    // jsonwebtoken keeps using the other provider.
    let pkcs8 = LocalSigner::generate_pkcs8(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let err = jsonwebtoken::encode(
        &Header::new(jsonwebtoken::Algorithm::ES256),
        &serde_json::json!({"sub": "x"}),
        &EncodingKey::from_ec_der(pkcs8.as_bytes()),
    )
    .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::Provider("other provider".to_owned())
    );
}
