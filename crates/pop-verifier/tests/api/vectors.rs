//! External vectors: the ABCA draft -10 PoP examples, the OpenID4VCI 1.0 F.1 key proof example
//! and the RFC 9449 DPoP examples.

use jose_core::{Algorithm, Limits, PublicJwk, UnixTime};
use pop_verifier::{
    AttestationPopPolicy, DpopPolicy, Error, InMemoryReplayGuard, KeyProofPolicy, KeySource,
    NonceCheck, PopShape, ProofClient, access_token_hash, verify_attestation_pop,
    verify_dpop_proof, verify_key_proof,
};
use serde_json::Value;

/// `../shared/vectors/` relative to the workspace root.
fn vectors_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
}

fn abca_examples() -> Vec<Value> {
    let path = vectors_dir().join("oauth-client-attestation-draft/examples.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["examples"].as_array().unwrap().clone()
}

fn example(id: &str) -> Value {
    abca_examples()
        .into_iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("example {id} missing"))
}

/// The attestation example's `cnf.jwk` (att-1).
fn attestation_cnf_jwk() -> PublicJwk {
    PublicJwk::from_value(&example("att-1")["payload"]["cnf"]["jwk"]).unwrap()
}

/// The draft -10 examples' `iat` (1772487595), plus a few seconds.
const ABCA_NOW: i64 = 1_772_487_600;

#[test]
fn test_abca_draft10_pop_examples_verify_with_cnf_jwk() {
    let cnf = attestation_cnf_jwk();
    for (id, audience) in [
        ("att-2", "https://as.example.com"),
        ("att-3", "https://rs.example.com"),
    ] {
        let e = example(id);
        let token = e["compact"].as_str().unwrap();
        let challenge = e["payload"]["challenge"].as_str().unwrap();
        let policy = AttestationPopPolicy::new(
            audience,
            "https://client.example.com",
            &[Algorithm::Es256],
            NonceCheck::Value(challenge),
        );
        let now = UnixTime::from_secs(ABCA_NOW);
        let v = verify_attestation_pop(token, &cnf, &policy, now, &Limits::default())
            .unwrap_or_else(|err| panic!("{id}: {err}"))
            .record(&InMemoryReplayGuard::new(1), now)
            .unwrap();
        assert_eq!(v.jti(), "d25d00ab-552b-46fc-ae19-98f440f25064");
        assert_eq!(v.iat(), UnixTime::from_secs(1_772_487_595));
        assert_eq!(v.shape(), PopShape::Draft10);
        assert_eq!(v.challenge(), Some("5c1a9e10-29ff-4c2b-ae73-57c0957c09c4"));
    }
}

/// A PoP policy for the examples' client without a challenge check.
fn unchecked_pop_policy(audience: &str) -> AttestationPopPolicy<'_> {
    AttestationPopPolicy::new(
        audience,
        "https://client.example.com",
        &[Algorithm::Es256],
        NonceCheck::NoneIssued,
    )
    .danger_skip_challenge_check()
}

#[test]
fn test_abca_draft10_pop_examples_refused_for_the_other_audience_and_late() {
    let cnf = attestation_cnf_jwk();
    let token = example("att-3")["compact"].as_str().unwrap().to_owned();
    let policy = unchecked_pop_policy("https://as.example.com");
    assert_eq!(
        verify_attestation_pop(
            &token,
            &cnf,
            &policy,
            UnixTime::from_secs(ABCA_NOW),
            &Limits::default()
        ),
        Err(Error::AudienceMismatch {
            found: "https://rs.example.com".into()
        })
    );
    // 600 s after iat plus one: outside window + skew.
    assert_eq!(
        verify_attestation_pop(
            &token,
            &cnf,
            &unchecked_pop_policy("https://rs.example.com"),
            UnixTime::from_secs(1_772_487_595 + 601),
            &Limits::default()
        ),
        Err(Error::IatTooOld {
            iat: 1_772_487_595,
            earliest: 1_772_487_595 + 1
        })
    );
}

#[test]
fn test_abca_attestation_example_is_not_a_pop() {
    // att-1 is the attestation itself: its typ is refused, so it cannot be replayed as a PoP.
    let e = example("att-1");
    let policy = unchecked_pop_policy("https://as.example.com");
    assert_eq!(
        verify_attestation_pop(
            e["compact"].as_str().unwrap(),
            &attestation_cnf_jwk(),
            &policy,
            UnixTime::from_secs(ABCA_NOW),
            &Limits::default()
        ),
        Err(Error::WrongType {
            expected: "oauth-client-attestation-pop+jwt",
            found: Some("oauth-client-attestation+jwt".into())
        })
    );
}

/// OpenID4VCI 1.0 App. F.1 `jwt` proof example (also quoted in
/// `../shared/specs/attestation-oid4vci-haip.md` A.8; not in the vectors directory).
const OID4VCI_F1_PROOF: &str = "eyJ0eXAiOiJvcGVuaWQ0dmNpLXByb29mK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwiY3J2IjoiUC0yNTYiLCJ4IjoiblVXQW9BdjNYWml0aDhFN2kxOU9kYXhPTFlGT3dNLVoyRXVNMDJUaXJUNCIsInkiOiJIc2tIVThCalVpMVU5WHFpN1N3bWo4Z3dBS18weGtjRGpFV183MVNvc0VZIn19.eyJhdWQiOiJodHRwczovL2NyZWRlbnRpYWwtaXNzdWVyLmV4YW1wbGUuY29tIiwiaWF0IjoxNzAxOTYwNDQ0LCJub25jZSI6IkxhclJHU2JtVVBZdFJZTzZCUTR5bjgifQ.-a3EDsxClUB4O3LeDD5DVGEnNMT01FCQW4P6-2-BNBqc_Zxf0Qw4CWayLEpqkAomlkLb9zioZoipdP-jvh1WlA";

#[test]
fn test_openid4vci_f1_proof_example_verifies() {
    let policy = KeyProofPolicy::new(
        "https://credential-issuer.example.com",
        &[Algorithm::Es256],
        NonceCheck::Value("LarRGSbmUPYtRYO6BQ4yn8"),
    )
    .with_client(ProofClient::AnonymousPreAuthorized);
    let now = UnixTime::from_secs(1_701_960_444 + 10);
    let v = verify_key_proof(OID4VCI_F1_PROOF, &policy, now, &Limits::default())
        .unwrap()
        .record(&InMemoryReplayGuard::new(1), now)
        .unwrap();
    assert_eq!(v.key_source(), &KeySource::Jwk);
    let expected = PublicJwk::from_json(
        br#"{"kty":"EC","crv":"P-256","x":"nUWAoAv3XZith8E7i19OdaxOLYFOwM-Z2EuM02TirT4","y":"HskHU8BjUi1U9Xqi7Swmj8gwAK_0xkcDjEW_71SosEY"}"#,
    )
    .unwrap();
    assert!(v.holder_key().same_key(&expected));
    // The same proof with another c_nonce is refused.
    let other = KeyProofPolicy::new(
        "https://credential-issuer.example.com",
        &[Algorithm::Es256],
        NonceCheck::Value("another"),
    );
    assert_eq!(
        verify_key_proof(
            OID4VCI_F1_PROOF,
            &other,
            UnixTime::from_secs(1_701_960_444),
            &Limits::default()
        ),
        Err(Error::NonceMismatch)
    );
}

/// RFC 9449 §5 Figure 5 (decoded in Figure 4): token request proof.
const RFC9449_TOKEN_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";

/// RFC 9449 §7.1 Figure 13 (decoded in Figure 14): protected resource request proof with `ath`.
const RFC9449_RESOURCE_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA";

/// RFC 9449 §6.1 Figure 9: the `jkt` of the examples' key.
const RFC9449_JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

/// RFC 9449 §7.1 Figure 12: the access token.
const RFC9449_ACCESS_TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";

/// A DPoP policy for a server that issues no DPoP nonces (as in the RFC's examples).
fn dpop_policy<'a>(method: &'a str, uri: &'a str) -> DpopPolicy<'a> {
    DpopPolicy::new(method, uri, &[Algorithm::Es256], NonceCheck::NoneIssued)
        .danger_skip_nonce_check()
}

#[test]
fn test_rfc9449_token_request_proof_verifies() {
    let policy = dpop_policy("POST", "https://server.example.com/token");
    let now = UnixTime::from_secs(1_562_262_616);
    let v = verify_dpop_proof(RFC9449_TOKEN_PROOF, &policy, now, &Limits::default())
        .unwrap()
        .record(&InMemoryReplayGuard::new(1), now)
        .unwrap();
    assert_eq!(v.jkt(), RFC9449_JKT);
    assert_eq!(v.jti(), "-BwC3ESc6acc2lTc");
    let elsewhere = dpop_policy("POST", "https://server.example.com/par");
    assert_eq!(
        verify_dpop_proof(
            RFC9449_TOKEN_PROOF,
            &elsewhere,
            UnixTime::from_secs(1_562_262_616),
            &Limits::default()
        ),
        Err(Error::HtuMismatch {
            found: "https://server.example.com/token".into()
        })
    );
}

#[test]
fn test_rfc9449_resource_request_proof_verifies_with_ath() {
    assert_eq!(
        access_token_hash(RFC9449_ACCESS_TOKEN),
        "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    );
    let policy = dpop_policy("GET", "https://resource.example.org/protectedresource")
        .with_access_token(RFC9449_ACCESS_TOKEN);
    let now = UnixTime::from_secs(1_562_262_618);
    let v = verify_dpop_proof(RFC9449_RESOURCE_PROOF, &policy, now, &Limits::default())
        .unwrap()
        .record(&InMemoryReplayGuard::new(1), now)
        .unwrap();
    assert_eq!(v.jkt(), RFC9449_JKT);
    assert_eq!(v.jti(), "e1j3V_bKic8-LAEB");
    // A server that requires DPoP nonces refuses the proof, which carries none.
    let strict = DpopPolicy::new(
        "GET",
        "https://resource.example.org/protectedresource",
        &[Algorithm::Es256],
        NonceCheck::NoneIssued,
    )
    .with_access_token(RFC9449_ACCESS_TOKEN);
    assert_eq!(
        verify_dpop_proof(RFC9449_RESOURCE_PROOF, &strict, now, &Limits::default()),
        Err(Error::NonceMissing)
    );
    let wrong_token = policy.with_access_token("another-token");
    assert_eq!(
        verify_dpop_proof(
            RFC9449_RESOURCE_PROOF,
            &wrong_token,
            now,
            &Limits::default()
        ),
        Err(Error::AthMismatch)
    );
}
