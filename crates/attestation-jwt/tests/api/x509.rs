//! The `x509-chain` verification method, with trust-x509's generated test PKI
//! (`crates/trust-x509/tests/data`, made by its `make_test_pki.py`) and the OpenID4VCI wallet
//! attestation's self-signed `x5c[0]`.

use attestation_jwt::{
    ClientAttestationVerifierBuilder, ClientAuthRequest, ConfigError, Error, prepare_attestation,
};
use base64ct::{Base64, Encoding};

use super::vectors::{WALLET_NBF, wallet_attestation};
use super::*;

fn pki(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../trust-x509/tests/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).unwrap()
}

/// PEM as RFC 7468 writes it: base64 lines of 64 characters.
fn pem(der: &[u8]) -> String {
    let base64 = Base64::encode_string(der);
    let lines: Vec<&str> = base64
        .as_bytes()
        .chunks(64)
        .map(|line| core::str::from_utf8(line).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

fn x509_builder(roots: &[Vec<u8>], required: bool) -> ClientAttestationVerifierBuilder {
    let roots: Vec<Value> = roots.iter().map(|der| Value::from(pem(der))).collect();
    let config = ClientAttestationConfig::from_json(
        json!({"required": required,
            "verificationMethod": {"type": "x509-chain", "trustedRootCertificatesPem": roots}})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    ClientAttestationVerifier::builder(config, ISSUER)
}

fn x509_verifier(roots: &[Vec<u8>]) -> Arc<ClientAttestationVerifier> {
    x509_builder(roots, true).build().unwrap()
}

fn attestation_with_x5c(fx: &Fixture, chain: Vec<Vec<u8>>) -> String {
    let unsigned =
        prepare_attestation(&fx.claims(), &AttesterKeyId::X5c(chain), Algorithm::Es256).unwrap();
    let signature = fx.attester.sign(unsigned.signing_input()).unwrap();
    unsigned.attach_signature(&signature).unwrap()
}

fn run(
    verifier: &ClientAttestationVerifier,
    attestation: &str,
    pop: &str,
    now: UnixTime,
) -> Result<Verdict, Error> {
    let request = ClientAuthRequest::new()
        .with_attestation(Some(attestation))
        .with_pop(Some(pop));
    verifier.verify(
        &request,
        ChallengeCheck::None,
        &InMemoryReplayGuard::new(10),
        now,
    )
}

#[test]
fn attestation_without_x5c_is_refused() {
    let fx = Fixture::new();
    let verifier = x509_verifier(&[pki("root.der")]);
    assert_eq!(
        run(&verifier, &fx.attestation(), &fx.pop(), fx.now),
        Err(Error::X5cMissing)
    );
}

#[test]
fn a_chain_to_the_configured_root_gives_the_leaf_key() {
    let fx = Fixture::new();
    let verifier = x509_verifier(&[pki("root.der")]);
    // The chain validates, so verification reaches the signature: our fixture key is not the
    // leaf's key (the PKI generator keeps no private keys).
    let attestation = attestation_with_x5c(&fx, vec![pki("leaf.der"), pki("inter.der")]);
    assert_eq!(
        run(&verifier, &attestation, &fx.pop(), fx.now),
        Err(Error::AttestationSignature(
            jose_core::Error::SignatureInvalid
        ))
    );
}

#[test]
fn a_chain_to_another_root_is_untrusted() {
    let fx = Fixture::new();
    let verifier = x509_verifier(&[pki("other_root.der")]);
    let attestation = attestation_with_x5c(&fx, vec![pki("leaf.der"), pki("inter.der")]);
    let error = run(&verifier, &attestation, &fx.pop(), fx.now).unwrap_err();
    assert!(matches!(error, Error::X5cUntrusted { .. }), "{error:?}");
}

/// Key rotation for `x509-chain`: with the old and the new root configured, a chain to either
/// is trusted (verification reaches the signature, which our fixture key cannot make for the
/// generated leaves); with one root retired, a chain to it is untrusted.
#[test]
fn a_chain_to_either_of_two_configured_roots_is_trusted() {
    let fx = Fixture::new();
    let to_root = attestation_with_x5c(&fx, vec![pki("leaf.der"), pki("inter.der")]);
    let to_other = attestation_with_x5c(&fx, vec![pki("leaf_other_root.der")]);
    let both = x509_verifier(&[pki("root.der"), pki("other_root.der")]);
    for attestation in [&to_root, &to_other] {
        assert_eq!(
            run(&both, attestation, &fx.pop(), fx.now),
            Err(Error::AttestationSignature(
                jose_core::Error::SignatureInvalid
            ))
        );
    }
    let retired = x509_verifier(&[pki("other_root.der")]);
    let error = run(&retired, &to_root, &fx.pop(), fx.now).unwrap_err();
    assert!(matches!(error, Error::X5cUntrusted { .. }), "{error:?}");
}

#[test]
fn roots_trust_x509_refuses_are_build_errors_in_both_modes() {
    for required in [true, false] {
        // Not DER at all.
        let error = x509_builder(&[vec![0x30, 0x00]], required)
            .build()
            .unwrap_err();
        let ConfigError::TrustedRoot { index: 0, reason } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(
            error.to_string(),
            format!("verificationMethod.trustedRootCertificatesPem[0]: {reason}")
        );
        assert!(reason.starts_with("trust anchor #0 is not a valid DER certificate"));
        // A good root, then a leaf certificate (not a CA): the second root is named, with
        // trust-x509's rule.
        let error = x509_builder(&[pki("root.der"), pki("leaf.der")], required)
            .build()
            .unwrap_err();
        assert_eq!(
            error,
            ConfigError::TrustedRoot {
                index: 1,
                reason: trust_x509::Error::Profile {
                    cert: trust_x509::CertRef::Anchor(1),
                    rule: trust_x509::ProfileRule::BasicConstraintsNotCa
                }
                .to_string()
            }
        );
        assert_eq!(
            error.to_string(),
            format!(
                "verificationMethod.trustedRootCertificatesPem[1]: trust anchor #1: {}",
                trust_x509::ProfileRule::BasicConstraintsNotCa
            )
        );
    }
}

#[test]
fn test_openid4vci_wallet_attestation_x5c_with_direct_trust() {
    let token = wallet_attestation();
    let jws = jose_core::CompactJws::parse(&token, &jose_core::Limits::default()).unwrap();
    let leaf = jws.header().x5c().unwrap()[0].clone();
    let now = UnixTime::from_secs(WALLET_NBF + 60);
    let other = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let pop = build_pop(&PopClaims::new(ISSUER, now), &other, &SystemRandom::new()).unwrap();
    // Without direct trust a self-signed x5c[0] that is itself the root is refused.
    let strict = x509_verifier(core::slice::from_ref(&leaf));
    let error = run(&strict, &token, &pop, now).unwrap_err();
    assert!(matches!(error, Error::X5cUntrusted { .. }), "{error:?}");
    // With it, the attestation passes every step and verification stops at the PoP, whose
    // instance key is unpublished.
    let pinned = x509_builder(&[leaf], true)
        .with_x509_direct_trust(true)
        .with_missing_iat_tolerated(true)
        .build()
        .unwrap();
    assert_eq!(
        run(&pinned, &token, &pop, now),
        Err(Error::Pop(pop_verifier::Error::SignatureInvalid))
    );
}
