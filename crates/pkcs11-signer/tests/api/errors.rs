//! Startup errors, each exact: module, token, PIN, key, algorithm.

use std::path::PathBuf;

use jose_core::Algorithm;
use pkcs11_signer::{KeyRef, PinSource, Pkcs11Error, Token, TokenConfig};

use crate::softhsm::{MODULE, config};

softhsm_test!(Full fn missing_module_path() {
    let path = "/nonexistent/libpkcs11-module.so";
    let cfg = TokenConfig::new(path, "es256", PinSource::Env("UNUSED".into()));
    let err = Token::open(&cfg).unwrap_err();
    let Pkcs11Error::ModuleLoad { path: reported, reason } = &err else {
        panic!("expected ModuleLoad, got {err:?}");
    };
    assert_eq!(reported, &PathBuf::from(path));
    assert!(reason.contains("No such file"), "{reason}");
    assert!(err.to_string().starts_with("cannot load PKCS#11 module /nonexistent/"));
});

softhsm_test!(Full fn missing_token() {
    let cfg = TokenConfig::new(MODULE, "no-such-token", PinSource::Env("UNUSED".into()));
    let err = Token::open(&cfg).unwrap_err();
    let Pkcs11Error::TokenNotFound { label, available } = &err else {
        panic!("expected TokenNotFound, got {err:?}");
    };
    assert_eq!(label, "no-such-token");
    assert!(available.iter().any(|l| l == "es256"), "{available:?}");
});

softhsm_test!(Full fn two_tokens_with_the_label() {
    let cfg = TokenConfig::new(MODULE, "twin", PinSource::Env("UNUSED".into()));
    assert_eq!(
        Token::open(&cfg).unwrap_err(),
        Pkcs11Error::AmbiguousToken {
            label: "twin".into(),
            count: 2
        }
    );
});

softhsm_test!(Full fn wrong_pin() {
    std::fs::write(crate::softhsm::dir().join("wrong-pin"), "000000\n").unwrap();
    let mut cfg = config("wrong-pin");
    cfg.pin = PinSource::File(crate::softhsm::dir().join("wrong-pin"));
    assert_eq!(
        Token::open(&cfg).unwrap_err(),
        Pkcs11Error::PinIncorrect {
            token: "wrong-pin".into()
        }
    );
    // The right PIN still works afterwards.
    Token::open(&config("wrong-pin")).unwrap();
});

softhsm_test!(Full fn pin_source_missing() {
    let mut cfg = config("pin-file");
    cfg.pin = PinSource::Env("PKCS11_SIGNER_TEST_NO_SUCH_VARIABLE".into());
    assert_eq!(
        Token::open(&cfg).unwrap_err(),
        Pkcs11Error::PinUnavailable {
            source_name: "environment variable PKCS11_SIGNER_TEST_NO_SUCH_VARIABLE".into(),
            reason: "not set".into(),
        }
    );
    let empty = crate::softhsm::dir().join("empty-pin");
    std::fs::write(&empty, "\n").unwrap();
    cfg.pin = PinSource::File(empty.clone());
    assert_eq!(
        Token::open(&cfg).unwrap_err(),
        Pkcs11Error::PinUnavailable {
            source_name: format!("file {}", empty.display()),
            reason: "the PIN is empty".into(),
        }
    );
    cfg.pin = PinSource::File(crate::softhsm::dir().join("pin"));
    Token::open(&cfg).unwrap();
});

softhsm_test!(Full fn missing_key() {
    let token = Token::open(&config("missing-key")).unwrap();
    assert_eq!(
        token
            .signer(Algorithm::Es256, &KeyRef::label("absent"))
            .unwrap_err(),
        Pkcs11Error::KeyNotFound {
            token: "missing-key".into(),
            key: KeyRef::label("absent"),
        }
    );
    assert_eq!(
        token
            .signer(Algorithm::Es256, &KeyRef::Id(vec![1, 2, 3]))
            .unwrap_err(),
        Pkcs11Error::KeyNotFound {
            token: "missing-key".into(),
            key: KeyRef::Id(vec![1, 2, 3]),
        }
    );
    assert_eq!(
        token
            .public_jwk(Algorithm::EdDsa, &KeyRef::label("absent"))
            .unwrap_err(),
        Pkcs11Error::KeyNotFound {
            token: "missing-key".into(),
            key: KeyRef::label("absent"),
        }
    );
});

softhsm_test!(Full fn key_of_another_curve_or_algorithm() {
    let token = Token::open(&config("wrong-alg")).unwrap();
    token.generate(Algorithm::Es384, "p384").unwrap();
    assert_eq!(
        token
            .signer(Algorithm::Es256, &KeyRef::label("p384"))
            .unwrap_err(),
        Pkcs11Error::KeyMismatch {
            token: "wrong-alg".into(),
            key: KeyRef::label("p384"),
            alg: Algorithm::Es256,
            reason: "the key's curve (CKA_EC_PARAMS) does not fit the algorithm",
        }
    );
    assert_eq!(
        token.generate(Algorithm::Rs256, "rsa").unwrap_err(),
        Pkcs11Error::AlgorithmUnsupported {
            alg: Algorithm::Rs256
        }
    );
});
