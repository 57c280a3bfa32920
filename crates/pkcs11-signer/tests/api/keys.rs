//! Key generation, persistence across logins, find-or-generate.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::object::{Attribute, AttributeType, ObjectClass};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use jose_core::{Algorithm, Signer};
use pkcs11_signer::{KeyRef, PinSource, Pkcs11Error, Token};

use crate::softhsm::{MODULE, USER_PIN, config, dir};

/// A session of our own on the token `label`, logged in, through cryptoki directly (the test's
/// view from outside the signer). The module is the one the signer loaded: initialising it
/// again is refused and harmless.
pub(crate) fn raw_session(label: &str) -> Session {
    let pkcs11 = Pkcs11::new(MODULE).unwrap();
    let _ = pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
    let slot = pkcs11
        .get_slots_with_token()
        .unwrap()
        .into_iter()
        .find(|s| pkcs11.get_token_info(*s).unwrap().label() == label)
        .unwrap();
    let session = pkcs11.open_rw_session(slot).unwrap();
    let _ = session.login(UserType::User, Some(&AuthPin::from(USER_PIN)));
    session
}

/// The `CKA_ID` of the private key labelled `key` on token `label`.
pub(crate) fn key_id(label: &str, key: &str) -> Vec<u8> {
    let session = raw_session(label);
    let found = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(key.as_bytes().to_vec()),
        ])
        .unwrap();
    let [object] = found.as_slice() else {
        panic!("one key labelled {key}");
    };
    match session
        .get_attributes(*object, &[AttributeType::Id])
        .unwrap()
        .as_slice()
    {
        [Attribute::Id(id)] => id.clone(),
        other => panic!("no CKA_ID: {other:?}"),
    }
}

softhsm_test!(Full fn generated_keys_are_sensitive_token_objects() {
    let token = Token::open(&config("exists")).unwrap();
    token.generate(Algorithm::Es384, "guarded").unwrap();
    let session = raw_session("exists");
    let found = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(b"guarded".to_vec()),
        ])
        .unwrap();
    let attributes = session
        .get_attributes(
            found[0],
            &[
                AttributeType::Token,
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::Sign,
                AttributeType::Private,
            ],
        )
        .unwrap();
    for expected in [
        Attribute::Token(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Private(true),
    ] {
        assert!(attributes.contains(&expected), "{expected:?} in {attributes:?}");
    }
    // A second key with the same label is refused.
    assert_eq!(
        token.generate(Algorithm::Es384, "guarded").unwrap_err(),
        Pkcs11Error::KeyExists {
            token: "exists".into(),
            label: "guarded".into(),
        }
    );
});

softhsm_test!(Full fn a_generated_key_is_found_again_after_a_new_login() {
    let first_jwk = {
        let token = Token::open(&config("persist")).unwrap();
        let signer = token.generate(Algorithm::Es256, "issuer-key").unwrap();
        signer.public_jwk()
        // Token and signer dropped: sessions closed, logged out.
    };
    // A new token handle, logging in with the PIN from a file this time.
    let mut cfg = config("persist");
    cfg.pin = PinSource::File(dir().join("pin"));
    let token = Token::open(&cfg).unwrap();
    let signer = token
        .signer(Algorithm::Es256, &KeyRef::label("issuer-key"))
        .unwrap();
    assert_eq!(signer.public_jwk(), first_jwk);
    let signature = signer.sign(b"again").unwrap();
    first_jwk.verify(Algorithm::Es256, b"again", &signature).unwrap();

    // A second handle while this one is logged in shares the login (CKR_USER_ALREADY_LOGGED_IN):
    // as documented, the PIN is then not checked again.
    std::fs::write(dir().join("persist-wrong-pin"), "000000").unwrap();
    cfg.pin = PinSource::File(dir().join("persist-wrong-pin"));
    let second = Token::open(&cfg).unwrap();
    let again = second
        .signer(Algorithm::Es256, &KeyRef::label("issuer-key"))
        .unwrap();
    assert_eq!(again.public_jwk(), first_jwk);
    // Once every handle is gone, the login is gone and the wrong PIN is refused.
    drop((signer, again, token, second));
    assert_eq!(
        Token::open(&cfg).unwrap_err(),
        Pkcs11Error::PinIncorrect {
            token: "persist".into()
        }
    );
});

softhsm_test!(Full fn find_or_generate_creates_once() {
    let token = Token::open(&config("find-or-generate")).unwrap();
    let created = token.find_or_generate(Algorithm::EdDsa, "attester").unwrap();
    let found = token.find_or_generate(Algorithm::EdDsa, "attester").unwrap();
    assert_eq!(created.public_jwk(), found.public_jwk());
    let session = raw_session("find-or-generate");
    let keys = session
        .find_objects(&[Attribute::Label(b"attester".to_vec())])
        .unwrap();
    assert_eq!(keys.len(), 2, "one private and one public object");
    // Asked for another algorithm, the existing key is refused, not replaced.
    assert_eq!(
        token.find_or_generate(Algorithm::Es256, "attester").unwrap_err(),
        Pkcs11Error::KeyMismatch {
            token: "find-or-generate".into(),
            key: KeyRef::label("attester"),
            alg: Algorithm::Es256,
            reason: "the key type does not fit the algorithm",
        }
    );
});

softhsm_test!(Full fn a_token_failing_at_sign_time_is_signing_failed() {
    let token = Token::open(&config("failing")).unwrap();
    let signer = token.generate(Algorithm::Es256, "doomed").unwrap();
    signer.sign(b"works").unwrap();
    // Destroy the private key behind the signer's back.
    let session = raw_session("failing");
    for object in session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(b"doomed".to_vec()),
        ])
        .unwrap()
    {
        session.destroy_object(object).unwrap();
    }
    let err = signer.sign(b"fails").unwrap_err();
    let jose_core::Error::SigningFailed { reason } = err else {
        panic!("expected SigningFailed, got {err:?}");
    };
    assert_eq!(
        reason,
        "PKCS#11 token \"failing\": signing: C_SignInit returned CKR_OBJECT_HANDLE_INVALID"
    );
});
