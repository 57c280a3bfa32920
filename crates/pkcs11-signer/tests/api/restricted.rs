//! A SoftHSM configured without `CKM_EDDSA` (`slots.mechanisms = CKM_ECDSA,CKM_EC_KEY_PAIR_GEN`):
//! EdDSA fails when the signer is built, with a typed error; ECDSA still works.

use jose_core::{Algorithm, Signer};
use pkcs11_signer::{Pkcs11Error, Token};

use crate::softhsm::config;

softhsm_test!(Restricted fn eddsa_without_the_mechanism_fails_at_construction() {
    let token = Token::open(&config("restricted")).unwrap();
    let expected = Pkcs11Error::MechanismUnsupported {
        token: "restricted".into(),
        mechanism: "CKM_EDDSA",
        alg: Algorithm::EdDsa,
    };
    assert_eq!(
        token.generate(Algorithm::EdDsa, "ed").unwrap_err(),
        expected
    );
    assert_eq!(
        token.find_or_generate(Algorithm::EdDsa, "ed").unwrap_err(),
        expected
    );
    let signer = token.generate(Algorithm::Es256, "ec").unwrap();
    signer.sign(b"still fine").unwrap();
});
