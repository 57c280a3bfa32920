//! The fuzz entry points run on random input without panicking, and the signed mode reaches
//! the claim checks (the committed seeds run in `tests/api/fuzz_seeds.rs`).

use proptest::prelude::*;

use crate::{Error, fuzzing};

#[test]
fn signed_mode_reaches_claim_checks() {
    let ok = br#"{"aud":"https://as.example.com","jti":"j1","iat":1772487595}"#;
    assert_eq!(
        fuzzing::attestation_pop_verify(&[&[1u8][..], ok].concat()),
        Ok(())
    );
    let bad_aud = br#"{"aud":"https://x.example","jti":"j1","iat":1772487595}"#;
    assert_eq!(
        fuzzing::attestation_pop_verify(&[&[1u8][..], bad_aud].concat()),
        Err(Error::AudienceMismatch {
            found: "https://x.example".into()
        })
    );
    let dpop = br#"{"jti":"j","htm":"POST","htu":"https://server.example.com/token","iat":1772487600,"ath":"fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"}"#;
    assert_eq!(fuzzing::dpop_verify(&[&[1u8][..], dpop].concat()), Ok(()));
    let proof =
        br#"{"aud":"https://credential-issuer.example.com","iat":1772487600,"iss":"wallet"}"#;
    assert_eq!(
        fuzzing::key_proof_verify(&[&[1u8][..], proof].concat()),
        Ok(())
    );
}

proptest! {
    #[test]
    fn random_input_never_panics(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = fuzzing::attestation_pop_verify(&data);
        let _ = fuzzing::dpop_verify(&data);
        let _ = fuzzing::key_proof_verify(&data);
        if let Ok(text) = core::str::from_utf8(&data) {
            let _ = fuzzing::nonce_verify(text);
            let _ = crate::normalize_htu(text);
        }
    }

    #[test]
    fn random_json_payloads_never_panic(
        aud in "[a-z:/.]{0,20}",
        jti in "[ -~]{0,20}",
        iat in any::<i64>(),
        htu in "[ -~]{0,40}",
    ) {
        let payload = serde_json::json!({"aud": aud, "jti": jti, "iat": iat, "htm": "POST", "htu": htu});
        let data = [&[1u8][..], payload.to_string().as_bytes()].concat();
        let _ = fuzzing::attestation_pop_verify(&data);
        let _ = fuzzing::dpop_verify(&data);
        let _ = fuzzing::key_proof_verify(&data);
    }
}
