//! Integration tests of the public API: one binary, submodules by topic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers outside #[test] functions"
)]

use attestation_jwt::{
    AttestationClaims, AttesterKeyId, ChallengeCheck, ClientAttestationConfig,
    ClientAttestationVerifier, ClientAttestationVerifierBuilder, ClientAuthRequest, Error,
    PopClaims, Verdict, VerificationMethod, build_pop, issue_attestation,
};
use std::sync::Arc;

use jose_core::{Algorithm, LocalSigner, PublicJwk, Signer, SystemRandom, UnixTime, base64url};
use pop_verifier::InMemoryReplayGuard;
use serde_json::{Value, json};

#[path = "api/combined.rs"]
mod combined;
#[path = "api/config.rs"]
mod config;
#[path = "api/fallback.rs"]
mod fallback;
#[path = "api/flow.rs"]
mod flow;
#[path = "api/negative.rs"]
mod negative;
#[path = "api/rotation.rs"]
mod rotation;
#[path = "api/server_faults.rs"]
mod server_faults;
#[path = "api/vectors.rs"]
mod vectors;
#[cfg(feature = "x509")]
#[path = "api/x509.rs"]
mod x509;

/// Without the `x509` feature the method parses, and building a verifier says plainly what it
/// needs.
#[cfg(not(feature = "x509"))]
#[test]
fn x509_chain_needs_the_feature() {
    let config = ClientAttestationConfig::from_json(
        br#"{"verificationMethod": {"type": "x509-chain",
            "trustedRootCertificatesPem": "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----"}}"#,
    )
    .unwrap();
    let error = ClientAttestationVerifier::builder(config, ISSUER)
        .build()
        .unwrap_err();
    assert_eq!(error, attestation_jwt::ConfigError::X509Unavailable);
    assert_eq!(
        error.to_string(),
        "verificationMethod.type: x509-chain needs the x509 feature of attestation-jwt"
    );
}

/// The AS issuer identifier of every test.
const ISSUER: &str = "https://as.example.com";
/// The client id of every test.
const CLIENT_ID: &str = "https://wallet.example.com";
/// The fixed "now" of every test.
const NOW: i64 = 1_760_000_000;

/// An attester key, a wallet instance key and helpers to make valid and broken tokens.
#[derive(Debug)]
struct Fixture {
    attester: LocalSigner,
    instance: LocalSigner,
    now: UnixTime,
}

impl Fixture {
    fn new() -> Self {
        Self::with_algorithms(Algorithm::Es256, Algorithm::Es256)
    }

    fn with_algorithms(attester: Algorithm, instance: Algorithm) -> Self {
        let rng = SystemRandom::new();
        Self {
            attester: LocalSigner::generate(attester, &rng).unwrap(),
            instance: LocalSigner::generate(instance, &rng).unwrap(),
            now: UnixTime::from_secs(NOW),
        }
    }

    fn claims(&self) -> AttestationClaims {
        AttestationClaims::new(
            CLIENT_ID,
            self.instance.public_jwk(),
            self.now.saturating_sub(60),
            self.now.saturating_add(3600),
        )
    }

    fn attestation(&self) -> String {
        self.attestation_from(&self.claims())
    }

    fn attestation_from(&self, claims: &AttestationClaims) -> String {
        issue_attestation(claims, &AttesterKeyId::Kid("att-1".into()), &self.attester).unwrap()
    }

    fn pop_claims(&self) -> PopClaims {
        PopClaims::new(ISSUER, self.now.saturating_sub(5))
    }

    fn pop(&self) -> String {
        self.pop_from(&self.pop_claims())
    }

    fn pop_from(&self, claims: &PopClaims) -> String {
        build_pop(claims, &self.instance, &SystemRandom::new()).unwrap()
    }

    /// A valid attestation's payload as JSON, to be edited.
    fn attestation_payload(&self) -> Value {
        json!({
            "sub": CLIENT_ID,
            "iat": NOW - 60,
            "exp": NOW + 3600,
            "cnf": {"jwk": self.instance.public_jwk().to_value()},
        })
    }

    /// A valid PoP payload as JSON, to be edited.
    fn pop_payload(&self) -> Value {
        json!({"aud": ISSUER, "jti": "jti-1", "iat": NOW - 5})
    }

    fn config(&self, required: bool) -> ClientAttestationConfig {
        ClientAttestationConfig::new(VerificationMethod::StaticJwk {
            jwk: self.attester.public_jwk(),
            additional_jwks: Vec::new(),
        })
        .with_required(required)
    }

    fn builder(&self, required: bool) -> ClientAttestationVerifierBuilder {
        ClientAttestationVerifier::builder(self.config(required), ISSUER)
    }

    fn verifier(&self, required: bool) -> Arc<ClientAttestationVerifier> {
        self.builder(required).build().unwrap()
    }

    /// Verifies headers with a fresh replay guard and no challenge.
    fn verify(
        &self,
        required: bool,
        attestation: &str,
        pop: &str,
        client_id: Option<&str>,
    ) -> Result<Verdict, Error> {
        let request = ClientAuthRequest::new()
            .with_attestation(Some(attestation))
            .with_pop(Some(pop))
            .with_client_id(client_id);
        self.verifier(required).verify(
            &request,
            ChallengeCheck::None,
            &InMemoryReplayGuard::new(100),
            self.now,
        )
    }
}

/// Signs raw header and payload JSON texts (which may be malformed on purpose).
fn sign_raw(header: &str, payload: &str, signer: &dyn Signer) -> String {
    let input = format!(
        "{}.{}",
        base64url::encode(header.as_bytes()),
        base64url::encode(payload.as_bytes())
    );
    let signature = signer.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", base64url::encode(&signature))
}

/// Signs JSON values.
fn sign_json(header: &Value, payload: &Value, signer: &dyn Signer) -> String {
    sign_raw(&header.to_string(), &payload.to_string(), signer)
}

/// The standard attestation header for `alg`.
fn attestation_header(alg: &str) -> Value {
    json!({"typ": "oauth-client-attestation+jwt", "alg": alg, "kid": "att-1"})
}

/// The standard PoP header for `alg`.
fn pop_header(alg: &str) -> Value {
    json!({"typ": "oauth-client-attestation-pop+jwt", "alg": alg})
}

/// A public JWK parsed from JSON.
fn jwk(value: &Value) -> PublicJwk {
    PublicJwk::from_value(value).unwrap()
}
